// SPDX-License-Identifier: GPL-2.0
/*
 * verifier_stats: load a BPF object and print, per program, the verifier's
 * own statistics (instructions processed against the 1M budget, states,
 * time). The budget is a hard limit on every kernel: the tests assert
 * headroom so a change that would fail on a slightly different kernel or
 * compiler is caught here first.
 *
 *   verifier_stats OBJECT.bpf.o [MAX_PERCENT]
 *
 * Prints one TAP line per program, "ok N - PROG: N insns processed (P% of
 * the 1M budget, limit MAX_PERCENT%)"; exits 1 when a program does not
 * load or exceeds MAX_PERCENT (default 100).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#define LOG_SIZE (1 << 20)
#define BUDGET	 1000000.0

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	double max_pct = argc > 2 ? atof(argv[2]) : 100.0;
	int err, ret = 0, n = 0;
	char *logs[16] = {};

	if (argc < 2) {
		fprintf(stderr, "usage: verifier_stats OBJECT [MAX_PERCENT]\n");
		return 2;
	}
	libbpf_set_print(NULL);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		perror("open");
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
	{
		if (n >= 16)
			break;
		logs[n] = calloc(1, LOG_SIZE);
		/* Level 4: statistics only, no instruction trace. */
		bpf_program__set_log_level(prog, 4);
		bpf_program__set_log_buf(prog, logs[n], LOG_SIZE);
		n++;
	}
	err = bpf_object__load(obj);
	n = 0;
	bpf_object__for_each_program(prog, obj)
	{
		const char *p = logs[n] ? strstr(logs[n], "processed ") : NULL;
		long insns = p ? atol(p + strlen("processed ")) : -1;
		double pct = insns >= 0 ? 100.0 * insns / BUDGET : 100.0;

		printf("%s %d - %s: %ld insns processed (%.1f%% of the 1M budget, limit %.0f%%)\n",
		       insns < 0 || pct > max_pct ? "not ok" : "ok", n + 1, bpf_program__name(prog),
		       insns, pct, max_pct);
		if (insns < 0 || pct > max_pct)
			ret = 1;
		free(logs[n++]);
		if (n >= 16)
			break;
	}
	if (err) {
		fprintf(stderr, "verifier_stats: load failed: %d\n", err);
		ret = 1;
	}
	bpf_object__close(obj);
	return ret;
}
