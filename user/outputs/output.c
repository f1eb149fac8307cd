// SPDX-License-Identifier: GPL-2.0
/*
 * watch's sinks: stdout (text or JSON), pcap savefile, syslog. Each event
 * is formatted once per sink into a buffer and written whole, so lines
 * never interleave and nothing from the network reaches a format string.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "json.h"
#include "log.h"
#include "output.h"
#include "rstreason.h"
#include "stdoutw.h"
#include "syslogout.h"
#include "util.h"

void output_opts_default(struct output_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->facility = syslogout_default_facility();
}

int output_parse_opt(struct output_opts *o, int opt, const char *arg)
{
	int fac;

	switch (opt) {
	case OPT_OUT_JSON:
		o->json = 1;
		return 1;
	case OPT_OUT_PRINT:
		o->print = 1;
		return 1;
	case OPT_OUT_SYSLOG:
		o->syslog = 1;
		return 1;
	case OPT_OUT_FACILITY:
		fac = syslogout_facility(arg);
		if (fac < 0) {
			pr_warn("invalid --syslog-facility '%s': expected one of %s", arg,
				syslogout_facility_names);
			return -EINVAL;
		}
		o->facility = fac;
		o->syslog = 1; /* naming a facility asks for syslog */
		return 1;
	case 'w':
		if (!*arg) {
			pr_warn("invalid -w '': an empty string is not a valid file "
				"name");
			return -EINVAL;
		}
		o->wfile = arg;
		return 1;
	case 'C':
		return pcapw_parse_size(arg, &o->size_limit) ? -EINVAL : 1;
	case 'G':
		return parse_u32("-G", arg, 1, 31536000, &o->rotate_secs) ? -EINVAL : 1;
	case 'W':
		return parse_u32("-W", arg, 1, 1000000000, &o->file_count) ? -EINVAL : 1;
	}
	return 0;
}

int output_check(struct output_opts *o)
{
	int to_stdout = o->wfile && !strcmp(o->wfile, "-");

	if ((o->size_limit || o->rotate_secs || o->file_count) && !o->wfile) {
		pr_warn("%s needs -w FILE", o->size_limit ? "-C" : o->rotate_secs ? "-G" : "-W");
		return -EINVAL;
	}
	if (to_stdout && (o->size_limit || o->rotate_secs)) {
		pr_warn("-w -: standard output cannot be rotated (-C, -G)");
		return -EINVAL;
	}
	if (to_stdout && (o->print || o->json)) {
		pr_warn("-w - writes the pcap to standard output: %s cannot go there "
			"too",
			o->json ? "--json" : "--print");
		return -EINVAL;
	}
	if (o->print && o->json) {
		pr_warn("--print (text) and --json both choose what stdout carries");
		return -EINVAL;
	}
	if (o->file_count && !o->size_limit && !o->rotate_secs)
		pr_warn("warning: -W has no effect without -C or -G");
	return 0;
}

int output_open(struct output *out, const struct output_opts *o, const struct fmt_opts *fo,
		__u32 snaplen, int flows_fd)
{
	struct pcapw_opts po = {};
	int err;

	memset(out, 0, sizeof(*out));
	out->o = *o;
	out->fo = *fo;
	out->flows_fd = flows_fd;
	why_maps_init(&out->why);
	if (o->json)
		out->stdout_mode = OUT_STDOUT_JSON;
	else if (o->print || (!o->wfile && !o->syslog))
		out->stdout_mode = OUT_STDOUT_TEXT;
	else
		out->stdout_mode = OUT_STDOUT_NONE;
	/*
	 * Into a pipe or file, stdout gets a 64 KiB buffer instead of stdio's
	 * 4 KiB (the poll loop flushes it after every batch, so lines are not
	 * held back longer). A terminal stays line-buffered. Only before the
	 * first byte is written; watch writes nothing to stdout before this.
	 */
	/*
	 * Whatever goes to stdout goes through stdoutw, so that a reader that
	 * stopped reading cannot hold a stop (watch's signals) for longer
	 * than STDOUTW_GRACE_MS.
	 */
	if (out->stdout_mode != OUT_STDOUT_NONE || (o->wfile && !strcmp(o->wfile, "-"))) {
		err = stdoutw_install();
		if (err) {
			pr_warn("standard output: %s", strerror(-err));
			return err;
		}
	}
	if (out->stdout_mode != OUT_STDOUT_NONE && !isatty(STDOUT_FILENO)) {
		static char stdout_buf[64 << 10];

		setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf));
	}

	if (o->wfile) {
		po.name = o->wfile;
		po.size_limit = o->size_limit;
		po.rotate_secs = o->rotate_secs;
		po.file_count = o->file_count;
		po.snaplen = snaplen;
		err = pcapw_open(&out->pw, &po);
		if (err)
			return err;
		out->pcap_open = 1;
	}
	if (o->syslog) {
		syslogout_open(o->facility);
		out->syslog_open = 1;
	}
	return 0;
}

static int write_stdout(const char *line, int len)
{
	stdoutw_record((size_t)len);
	errno = 0;
	if (fwrite(line, 1, (size_t)len, stdout) != (size_t)len)
		return errno ? -errno : -EIO;
	return 0;
}

int output_event(struct output *out, const struct rst_event *e, const char *ifname,
		 const struct timespec *wall)
{
	char line[2048];
	struct rst_why why;
	int len, err;

	if (out->done)
		return 1;
	/* The file first: a -G -W limit ends the run before the event is printed, as in tcpdump. */
	if (out->pcap_open) {
		err = pcapw_write(&out->pw, e, wall);
		if (err) {
			if (err > 0)
				out->done = 1;
			return err;
		}
	}
	/* Fate, stage, owner: only for a sink that prints them (the join may wait 5 ms). */
	if ((out->stdout_mode == OUT_STDOUT_TEXT && out->fo.verbose > 0) ||
	    out->stdout_mode == OUT_STDOUT_JSON)
		why_event(&why, &out->why, out->flows_fd, e);
	if (out->stdout_mode == OUT_STDOUT_TEXT) {
		if (out->fo.verbose > 0) {
			out->fo.class = why.class;
			out->fo.why = &why;
			out->fo.reason = rst_reason_name(e->reason);
			out->fo.state = rst_state_name(e->sk_state);
		}
		len = fmt_event_line(line, sizeof(line), e, ifname, wall, &out->fo, &out->fs);
		if (len > 0) {
			err = write_stdout(line, len);
			if (err)
				return err;
			out->printed++;
		}
	} else if (out->stdout_mode == OUT_STDOUT_JSON) {
		struct json_info ji = {
			.ifname = ifname,
			.wall = wall,
			.class = why.class,
			.reason = rst_reason_name(e->reason),
			.state = rst_state_name(e->sk_state),
			.why = &why,
		};

		len = json_event(line, sizeof(line), e, &ji);
		if (len > 0) {
			err = write_stdout(line, len);
			if (err)
				return err;
			out->printed++;
		}
	}
	if (out->syslog_open) {
		/* The line without timestamp (syslog has one), always naming the interface. */
		struct fmt_opts so = out->fo;

		so.tstamp = TS_NONE;
		/* One message a line: the dumps of -x, -X and -A stay on stdout. */
		so.xflag = so.Xflag = so.Aflag = 0;
		so.any_prefix = 1;
		len = fmt_event_line(line, sizeof(line), e, ifname, wall, &so, NULL);
		if (len > 0) {
			if (line[len - 1] == '\n')
				line[len - 1] = '\0';
			syslogout_line(line);
			out->logged++;
		}
	}
	return 0;
}

int output_flush(struct output *out)
{
	int err = 0;

	if (out->stdout_mode != OUT_STDOUT_NONE) {
		errno = 0;
		if (fflush(stdout))
			err = errno ? -errno : -EIO;
	}
	if (!err && out->pcap_open)
		err = pcapw_flush(&out->pw);
	return err;
}

int output_close(struct output *out)
{
	int err = 0, e2;

	if (out->stdout_mode != OUT_STDOUT_NONE && fflush(stdout))
		err = errno ? -errno : -EIO;
	if (out->pcap_open) {
		e2 = pcapw_close(&out->pw);

		if (!err)
			err = e2;
		out->pcap_open = 0;
	}
	if (out->syslog_open) {
		syslogout_close();
		out->syslog_open = 0;
	}
	e2 = stdoutw_finish();
	if (!err)
		err = e2;
	return err;
}

void output_summary(const struct output *out, FILE *f)
{
	int pcap_stdout = out->o.wfile && !strcmp(out->o.wfile, "-");
	struct stdoutw_stats ss;
	__u64 n;

	/* What stdoutw dropped was handed to stdout, never written whole. */
	stdoutw_stats(&ss);
	if (out->stdout_mode != OUT_STDOUT_NONE) {
		n = out->printed -
		    (ss.records_dropped < out->printed ? ss.records_dropped : out->printed);
		fprintf(f, "%llu event%s printed\n", (unsigned long long)n, n == 1 ? "" : "s");
	}
	if (out->o.wfile) {
		n = out->pw.written;
		if (pcap_stdout)
			n -= ss.records_dropped < n ? ss.records_dropped : n;
		fprintf(f, "%llu packet%s written to %s (%llu file%s)\n", (unsigned long long)n,
			n == 1 ? "" : "s", pcap_stdout ? "standard output" : out->o.wfile,
			(unsigned long long)out->pw.files, out->pw.files == 1 ? "" : "s");
	}
	if (ss.dropping && ss.err)
		fprintf(f, "%llu %s%s not written (%llu bytes): standard output: %s%s\n",
			(unsigned long long)ss.records_dropped, pcap_stdout ? "packet" : "event",
			ss.records_dropped == 1 ? "" : "s", (unsigned long long)ss.bytes_dropped,
			ss.err == EPIPE ? "the reader went away" : strerror(ss.err),
			ss.cut ? "; the last one written is cut short" : "");
	else if (ss.dropping)
		fprintf(f,
			"%llu %s%s not written (%llu bytes): standard output still blocked "
			"%d ms after the signal%s\n",
			(unsigned long long)ss.records_dropped, pcap_stdout ? "packet" : "event",
			ss.records_dropped == 1 ? "" : "s", (unsigned long long)ss.bytes_dropped,
			STDOUTW_GRACE_MS, ss.cut ? "; the last one written is cut short" : "");
	if (out->o.syslog)
		fprintf(f, "%llu event%s sent to syslog\n", (unsigned long long)out->logged,
			out->logged == 1 ? "" : "s");
}
