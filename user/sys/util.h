/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the commands: strict number parsing that prints
 * the one-line error itself, clocks, text escaping, and the exit codes.
 */
#ifndef RST_UTIL_H
#define RST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Exit status at the edge: 0 ok, 1 runtime failure, 2 usage. */
#define EXIT_OK	     0
#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Parse a whole decimal number in [min, max]. On failure prints
 * "rsttrace: invalid OPT 'VALUE': why" and returns -EINVAL or -ERANGE.
 */
int parse_u64(const char *opt, const char *s, __u64 min, __u64 max, __u64 *out);
int parse_u32(const char *opt, const char *s, __u32 min, __u32 max, __u32 *out);
/* Seconds with an optional fraction ("1", "0.5"), in (0, max]. */
int parse_seconds(const char *opt, const char *s, double max, double *out);

/* Monotonic and wall clocks in nanoseconds. */
__u64 now_mono_ns(void);
__u64 now_real_ns(void);
/*
 * What to add to a CLOCK_MONOTONIC stamp (bpf_ktime_get_ns(), an event's
 * ts_ns) for CLOCK_REALTIME: the monotonic read is bracketed by two wall
 * reads and set against their midpoint, so the offset errs by half the
 * time a clock read takes, not by a whole one.
 */
__s64 mono_to_real_offset(void);

/* Escape bytes for text output: printable ASCII kept, the rest as \xNN. */
size_t escape_text(char *dst, size_t len, const char *src);

/*
 * A name for text output (an interface, a namespace, a path: anything
 * another user may have chosen), escaped into a buffer that lives until
 * the end of the caller's full expression's block: printf("%s", ESC(name)).
 */
#define ESC_LEN 1024
#define ESC(s)	esc_str((char[ESC_LEN]){ 0 }, (s))
const char *esc_str(char buf[ESC_LEN], const char *s);

#endif
