/* SPDX-License-Identifier: GPL-2.0 */
/* Entry points of the subcommands; each returns the process exit status. */
#ifndef RST_COMMANDS_H
#define RST_COMMANDS_H

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

#endif
