// SPDX-License-Identifier: GPL-2.0
#include <strings.h>
#include <syslog.h>

#include "syslogout.h"

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{ "auth", LOG_AUTH },	  { "authpriv", LOG_AUTHPRIV }, { "cron", LOG_CRON },
	{ "daemon", LOG_DAEMON }, { "ftp", LOG_FTP },		{ "kern", LOG_KERN },
	{ "lpr", LOG_LPR },	  { "mail", LOG_MAIL },		{ "news", LOG_NEWS },
	{ "syslog", LOG_SYSLOG }, { "user", LOG_USER },		{ "uucp", LOG_UUCP },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },	{ "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },	{ "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

const char syslogout_facility_names[] = "auth, authpriv, cron, daemon, ftp, kern, lpr, mail, "
					"news, syslog, user, uucp, local0..local7";

int syslogout_facility(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (!strcasecmp(name, facilities[i].name))
			return facilities[i].facility;
	return -1;
}

int syslogout_default_facility(void)
{
	return LOG_DAEMON;
}

void syslogout_open(int facility)
{
	/* LOG_NDELAY: connect now rather than at the first event. */
	openlog("rsttrace", LOG_PID | LOG_NDELAY, facility);
}

void syslogout_line(const char *line)
{
	syslog(LOG_INFO, "%s", line);
}

void syslogout_close(void)
{
	closelog();
}
