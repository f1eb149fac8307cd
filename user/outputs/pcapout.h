/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watch -w: the events' header snapshots as a pcap savefile (Ethernet link
 * type, microsecond timestamps) written with libpcap, rotated exactly as
 * tcpdump 4.99 rotates with -C, -G and -W (docs/pcap.md). Functions print
 * their own one-line errors and return 0 or -errno.
 */
#ifndef RST_PCAPOUT_H
#define RST_PCAPOUT_H

#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "rsttrace.h"

struct pcapw_opts {
	const char *name;    /* -w FILE; "-" is standard output */
	__u64 size_limit;    /* -C in bytes; 0: none */
	__u32 rotate_secs;   /* -G; 0: none */
	__u32 file_count;    /* -W; 0: none */
	__u32 snaplen;	     /* the file header's snapshot length */
	time_t (*now)(void); /* the -G clock; NULL: time(NULL). Tests replace it. */
};

/* libpcap's types by their struct names: see filter.h on <pcap/bpf.h>. */
struct pcap;
struct pcap_dumper;

/* The stdio buffer of the file being written (stdio's default is 4 KiB). */
#define PCAPW_STDIO_BUF (64 * 1024)

struct pcapw {
	struct pcapw_opts o;
	struct pcap *dead;	/* pcap_t */
	struct pcap_dumper *d;	/* pcap_dumper_t */
	FILE *f;		/* pcap_dump_file(d) */
	char *buf;		/* PCAPW_STDIO_BUF bytes, the stream's buffer */
	char cur[PATH_MAX + 1]; /* the file being written */
	int wchars;		/* digits for -W numbering, tcpdump's WflagChars */
	__u32 c_count;		/* -C file number, tcpdump's Cflag_count */
	__u32 g_count;		/* -G rotations, tcpdump's Gflag_count */
	time_t g_time;		/* start of the current -G interval */
	__u64 written;		/* packets written, all files */
	__u64 files;		/* files opened */
};

/* The value of -C: millions of bytes, or with a k/m/g suffix KiB/MiB/GiB. */
int pcapw_parse_size(const char *arg, __u64 *bytes);

/* Open the first file. Fails, printing why, if it cannot be created. */
int pcapw_open(struct pcapw *w, const struct pcapw_opts *o);

/*
 * Write one event's snapshot, rotating first if a limit says so. Returns
 * 0, 1 when -G with -W has made its last file (tcpdump then exits: the
 * event is not written and nothing more may be), or -errno.
 */
int pcapw_write(struct pcapw *w, const struct rst_event *e, const struct timespec *wall);

/* Push buffered records to the file; 0 or -errno. */
int pcapw_flush(struct pcapw *w);

/* Flush and close; safe twice. 0 or the -errno of the last flush. */
int pcapw_close(struct pcapw *w);

/*
 * tcpdump's file name for count (MakeFilename): name, through strftime
 * at t when -G is set, followed by count padded to wchars digits unless
 * both are 0. -ENAMETOOLONG if it does not fit PATH_MAX.
 */
int pcapw_filename(char *buf, size_t len, const char *name, int strftime_it, time_t t, __u32 count,
		   int wchars);

#endif
