// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace: who is resetting TCP connections, on which interface, how
 * often and why. This file only dispatches to the subcommands and maps
 * nothing itself: each command returns its exit status (0, 1 or 2).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "options.h"
#include "util.h"
#include "rsttrace.h"

#ifndef RST_VERSION
#define RST_VERSION "unknown"
#endif

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "watch", cmd_watch, "trace RSTs in the foreground; detaches on exit" },
	{ "serve", cmd_serve, "Prometheus exporter of a persistent attachment" },
	{ "demo", cmd_demo, "self-contained demonstration in two network namespaces" },
	{ "attach", cmd_attach, "attach persistently to interfaces; pinned under /sys/fs/bpf" },
	{ "detach", cmd_detach, "remove a persistent attachment (-i IFACE... or --all)" },
	{ "set", cmd_set, "change sampling / rate limit of the persistent attachment" },
	{ "status", cmd_status, "what is attached where, map fill and event losses" },
	{ "top", cmd_top, "live per-host RST rates" },
	{ "flows", cmd_flows, "per-flow SYN/FIN/RST counts, sorted by RSTs" },
	{ "stats", cmd_stats, "global counters, malformed packets, events by result" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: rsttrace COMMAND [options]\n"
		   "       rsttrace [tcpdump options] [EXPRESSION]   (as rsttrace watch)\n"
		   "\ncommands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'rsttrace COMMAND --help' for the options of one command.\n");
}

/*
 * The words pcap-filter(7) starts a primitive with: "rsttrace tcp port
 * 443" is tcpdump's command line, not a command named "tcp". A bare host
 * name, which tcpdump would also take, is not recognised (it would pass
 * for a mistyped command): write "host NAME".
 */
static const char *const expr_words[] = {
	"dst",	   "src",	"host",	     "net",	"port",	    "portrange", "gateway",
	"proto",   "ether",	"ip",	     "ip6",	"arp",	    "rarp",	 "tcp",
	"udp",	   "icmp",	"icmp6",     "sctp",	"vlan",	    "mpls",	 "less",
	"greater", "broadcast", "multicast", "inbound", "outbound", "not",	 "ifname",
	"link",	   "len",	"tcpflags",  "pppoed",	"pppoes",   "geneve",	 NULL,
};

/* An expression rather than a command: a filter word, or a character no command name has. */
static int looks_like_expression(const char *w)
{
	size_t i;

	if (strpbrk(w, "[]()&|=!<> \t"))
		return 1;
	for (i = 0; expr_words[i]; i++)
		if (!strcmp(w, expr_words[i]))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	opt_debug_env();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("rsttrace %s (ABI %d)\n", RST_VERSION, RST_ABI_VERSION);
		return EXIT_OK;
	}
	/* rsttrace -r FILE ...: tcpdump's offline reading is watch's (offline.c). */
	if (!strncmp(argv[1], "-r", 2) || !strncmp(argv[1], "--read-file", 11))
		return cmd_watch(argc, argv);
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	/*
	 * tcpdump's command line with "tcpdump" replaced: options, or an
	 * expression, and no command is watch. argv[0] stands for watch's
	 * name; the options and words after it are the same.
	 */
	if (argv[1][0] == '-' || looks_like_expression(argv[1]))
		return cmd_watch(argc, argv);
	pr_warn("unknown command '%s' (rsttrace --help lists them)", argv[1]);
	return EXIT_USAGE;
}
