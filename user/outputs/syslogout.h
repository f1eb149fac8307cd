/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watch --syslog: one syslog(3) message per event, ident "rsttrace",
 * priority info, in the facility chosen by name. Kept apart from log.h,
 * whose LOG_WARN/LOG_INFO names <syslog.h> also defines.
 */
#ifndef RST_SYSLOGOUT_H
#define RST_SYSLOGOUT_H

/* The facility called name (case-insensitive); -1 if there is none. */
int syslogout_facility(const char *name);

/* The names syslogout_facility knows, for an error message. */
extern const char syslogout_facility_names[];

/* The default facility: daemon. */
int syslogout_default_facility(void);

void syslogout_open(int facility);
/* The line is an argument, never the format. */
void syslogout_line(const char *line);
void syslogout_close(void);

#endif
