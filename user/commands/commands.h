/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry points of the subcommands, each returning the process exit status,
 * and what the commands share: the option rows every pin reader has and
 * the signal hold of the commands that change pins.
 */
#ifndef RST_COMMANDS_H
#define RST_COMMANDS_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "options.h"

int cmd_watch(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_stats(int argc, char **argv);

/* The most interfaces one command line names with -i. */
#define CMD_MAX_IFACES 64

/* persist_path_check as an option row check. */
int cmd_pin_path_check(const char *arg, const void *field);

/* --pin-path DIR into a const char * field (default RST_PIN_DEFAULT, persist.h). */
#define CMD_PIN_PATH_ROW(cfg_type, member)                                                         \
	{                                                                                          \
		.name = "pin-path", .type = OPT_STRING, .off = offsetof(cfg_type, member),         \
		.metavar = "DIR", .check = cmd_pin_path_check,                                     \
		.help = "pin directory (default " RST_PIN_DEFAULT ")"                              \
	}

/* --json into an int field: the command's output as JSON. */
#define CMD_JSON_ROW(cfg_type, member, helptext)                                                   \
	{                                                                                          \
		.name = "json", .type = OPT_FLAG, .off = offsetof(cfg_type, member),               \
		.help = helptext                                                                   \
	}

/* -i IFACE, repeatable, into member[CMD_MAX_IFACES] and its counter. */
#define CMD_IFACE_ROW(cfg_type, member, counter, helptext)                                         \
	{                                                                                          \
		.name = "interface", .short_opt = 'i', .type = OPT_STRINGS,                        \
		.off = offsetof(cfg_type, member), .count_off = offsetof(cfg_type, counter),       \
		.max = CMD_MAX_IFACES, .many = "interfaces", .metavar = "IFACE", .help = helptext  \
	}

/* The signals that stop a command: SIGINT, SIGTERM and SIGHUP. */
void stop_signals(sigset_t *set);

/*
 * Ctrl-C, SIGTERM and SIGHUP wait while the pins change: they are then
 * delivered, with their default action, once the pins are consistent
 * (an interface half pinned would pass for attached with a hook missing).
 */
void signals_hold(sigset_t *old);

/* fn for SIGINT, SIGTERM and SIGHUP (no SA_RESTART: a blocked read returns); SIGPIPE ignored. */
void stop_handlers(void (*fn)(int));

struct persist;
struct rst_config;
/* The settings map of an opened attachment; -errno after printing why. */
int cmd_read_settings(struct persist *p, struct rst_config *cfg);

/* rsttrace -r FILE (offline.c): watch's command line, replayed from a capture. */
struct offline_cfg;
int do_offline(const struct offline_cfg *c);

struct source;
struct json_writer;
/* Every flow of src as `flows` lists them (flows.c): text into f, or a JSON array into w. */
int flows_list(struct source *src, struct json_writer *w, __s64 off, FILE *f);

#endif
