/* SPDX-License-Identifier: GPL-2.0 */
/* Entry points of the subcommands; each returns the process exit status. */
#ifndef RST_COMMANDS_H
#define RST_COMMANDS_H

int cmd_watch(int argc, char **argv);
int cmd_demo(int argc, char **argv);

#endif
