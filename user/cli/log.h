/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one logging module: pr_warn/pr_info/pr_debug print to stderr with
 * printf format checking when the level allows; each -v raises the level.
 */
#ifndef RST_LOG_H
#define RST_LOG_H

enum log_level {
	LOG_WARN = 0,
	LOG_INFO = 1,
	LOG_DEBUG = 2,
};

extern int log_level;

void log_set_level(int level);
/* Route libbpf's own messages here, one level lower than ours. */
void log_setup_libbpf(void);
void log_print(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_warn(...)  log_print(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_print(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_print(LOG_DEBUG, __VA_ARGS__)

#endif
