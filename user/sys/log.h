/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one logging module: pr_warn/pr_info/pr_debug print one line to
 * stderr, "rsttrace: " + the message + a newline, with printf format
 * checking, when the level allows; pr_note is an info line about one
 * interface ("IFACE: what happened") without the prefix. Messages pass
 * without their own prefix or newline; control bytes in them (a name
 * someone else chose) are escaped.
 */
#ifndef RST_LOG_H
#define RST_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_WARN = 0,
	LOG_INFO = 1,
	LOG_DEBUG = 2,
};

extern int log_level;

void log_set_level(int level);
/* Route libbpf's own messages here, one level lower than ours. */
void log_setup_libbpf(void);
void log_print(int level, int prefixed, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Another library's messages (libmicrohttpd's), with its own prefix and newlines. */
void log_vprint_lib(int level, const char *prefix, const char *fmt, va_list ap);

#define pr_warn(...)  log_print(LOG_WARN, 1, __VA_ARGS__)
#define pr_info(...)  log_print(LOG_INFO, 1, __VA_ARGS__)
#define pr_debug(...) log_print(LOG_DEBUG, 1, __VA_ARGS__)
#define pr_note(...)  log_print(LOG_INFO, 0, __VA_ARGS__)

#endif
