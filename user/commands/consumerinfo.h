/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who consumes a persistent attachment's events, as `rsttrace status`
 * shows it: the pid and subscriber count the consumer writes in its lock
 * file (consumer.h), whether that lock is held and that process alive,
 * and the socket it publishes on. Read only: nothing is created, and the
 * lock is tested with a shared flock taken and released at once (a
 * consumer starting in that instant retries its own within 2 s).
 */
#ifndef RST_CONSUMERINFO_H
#define RST_CONSUMERINFO_H

#include <limits.h>

struct json_writer;

enum {
	CI_NONE = 0, /* no lock file: no consumer ever ran with this run directory */
	CI_RUNNING,  /* the lock is held */
	CI_STALE,    /* a lock file, not held: its consumer is gone */
	CI_UNKNOWN,  /* the run directory could not be read (err) */
};

struct consumer_info {
	int state;	  /* CI_* */
	int err;	  /* for CI_UNKNOWN: -errno */
	int pid;	  /* from the lock file; 0: not written */
	int alive;	  /* that pid is a process */
	int subs;	  /* subscribers the consumer wrote; -1: not known */
	int sock;	  /* the socket file is there */
	char command[32]; /* "serve", "watch": the consumer's argv[1]; "" not known */
	char lock[PATH_MAX], sock_path[PATH_MAX];
};

/* Fill ci for the attachment at pin_path and the run directory run_dir; 0 or -errno. */
int consumer_info_read(const char *pin_path, const char *run_dir, struct consumer_info *ci);
/* One line, "consumer: ...". */
void consumer_info_text(const struct consumer_info *ci);
/* The member "consumer" (docs/persistent.md). */
void consumer_info_json(struct json_writer *w, const struct consumer_info *ci);

#endif
