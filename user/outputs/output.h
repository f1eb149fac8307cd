/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where watch sends the events that pass its filter: standard output (the
 * tcpdump text line, or JSON with --json), a pcap savefile (-w, rotated
 * with -C/-G/-W), syslog (--syslog). The rules, tcpdump's where tcpdump
 * has them:
 *
 * - stdout carries the text line unless another sink was chosen (-w,
 *   --syslog); --print brings the text back, --json replaces it by JSON
 *   (and, like --print, keeps stdout on beside -w / --syslog).
 * - -w - writes the pcap to stdout, so nothing else may go there.
 * - -C, -G and -W need -w FILE. -W alone changes nothing, as in tcpdump.
 *
 * Functions print their own one-line errors and return 0 or -errno.
 */
#ifndef RST_OUTPUT_H
#define RST_OUTPUT_H

#include <stdio.h>
#include <time.h>
#include <linux/types.h>

#include "pcapout.h"
#include "rsttrace.h"
#include "tcpdump.h"
#include "why.h"

/* Option values, from 0x300 on (the datapath's are 0x100..). */
enum {
	OPT_OUT_JSON = 0x300,
	OPT_OUT_PRINT,
	OPT_OUT_SYSLOG,
	OPT_OUT_FACILITY,
};

#define OUTPUT_SHORTOPTS "w:C:G:W:"

#define OUTPUT_LONGOPTS                                                                            \
	{ "json", no_argument, NULL, OPT_OUT_JSON },                                               \
		{ "print", no_argument, NULL, OPT_OUT_PRINT },                                     \
		{ "syslog", no_argument, NULL, OPT_OUT_SYSLOG },                                   \
	{                                                                                          \
		"syslog-facility", required_argument, NULL, OPT_OUT_FACILITY                       \
	}

#define OUTPUT_USAGE                                                                               \
	"  --json                 JSON lines on stdout instead of text (keys: docs/json.md)\n"     \
	"  -w FILE                write the snapshots to a pcap file ('-': stdout); no text\n"     \
	"                         on stdout then, unless --print or --json\n"                      \
	"  --print                print the text lines on stdout as well (as tcpdump --print)\n"   \
	"  -C SIZE                with -w: new file once the current one is over SIZE million\n"   \
	"                         bytes (k, m, g suffix: KiB, MiB, GiB); FILE, FILE1, ...\n"       \
	"  -G SEC                 with -w: new file every SEC seconds, FILE through strftime(3)\n" \
	"  -W N                   with -C: a ring of N files; with -G: stop after N files\n"       \
	"  --syslog               send each text line to syslog (ident rsttrace); no text on\n"    \
	"                         stdout then, unless --print or --json\n"                         \
	"  --syslog-facility NAME daemon (default), user, local0..local7, ...\n"

enum { OUT_STDOUT_NONE, OUT_STDOUT_TEXT, OUT_STDOUT_JSON };

struct output_opts {
	int json, print, syslog;
	int facility; /* syslog facility (syslogout.h) */
	const char *wfile;
	__u64 size_limit;  /* -C, bytes */
	__u32 rotate_secs; /* -G */
	__u32 file_count;  /* -W */
};

struct output {
	struct output_opts o;
	struct fmt_opts fo;  /* the text line's options (-t, -v, -i any prefix) */
	struct fmt_state fs; /* relative timestamps of the stdout lines */
	int stdout_mode;     /* OUT_STDOUT_* */
	int flows_fd;	     /* flow map for the JSON class; -1: none */
	struct why_maps why; /* fates and owners (views/why.h); output_open: none */
	struct pcapw pw;
	int pcap_open, syslog_open;
	int done;      /* -G -W limit reached: take nothing more */
	__u64 printed; /* lines on stdout */
	__u64 logged;  /* lines sent to syslog */
};

void output_opts_default(struct output_opts *o);

/* One option of ours: 1 if handled, 0 if not ours, -EINVAL (printed) if bad. */
int output_parse_opt(struct output_opts *o, int opt, const char *arg);

/* The combination rules above; -EINVAL (printed) when they are broken. */
int output_check(struct output_opts *o);

/* Open every chosen sink. */
int output_open(struct output *out, const struct output_opts *o, const struct fmt_opts *fo,
		__u32 snaplen, int flows_fd);

/*
 * One event to every sink: 0, 1 when the -G -W file limit was reached
 * (the event went nowhere; stop), or -errno (-EPIPE: the reader of stdout
 * has gone).
 */
int output_event(struct output *out, const struct rst_event *e, const char *ifname,
		 const struct timespec *wall);

/* Flush stdout and the pcap file. */
int output_flush(struct output *out);

/* Flush and close every sink; safe twice. */
int output_close(struct output *out);

/* The summary lines for stderr. */
void output_summary(const struct output *out, FILE *f);

#endif
