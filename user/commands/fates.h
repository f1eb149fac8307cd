/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The end-of-run lines of watch about received RSTs: their fates per
 * interface and per peer host, and the stack's own resets with no RST
 * received (kernel/fatetrace.h counts them).
 */
#ifndef RST_CMD_FATES_H
#define RST_CMD_FATES_H

#include <stdio.h>

#include "attach.h"

struct rsttrace;

/* To f: one line per traced interface, one per peer host, then the local resets. */
void fates_summary(FILE *f, const struct rsttrace *skel, const struct rst_link *links, int n);

#endif
