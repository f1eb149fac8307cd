/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarative command-line options, one row per option in the manner of
 * xdp-tools' DEFINE_OPTION: long name, short form, type, the config field
 * it fills (an offset into the command's config struct), metavar and help.
 * One parser builds the getopt_long table, the usage text and -h from the
 * rows of a command, fills its config struct and handles the tails every
 * command shares: -h/--help, -d/--debug, an unknown option (getopt's
 * wording on one line and a hint, "Try 'rsttrace CMD --help'.", never the
 * usage) and an unexpected argument. Numbers are parsed strictly
 * (util.h parse_u32/parse_u64/parse_seconds) with their one-line errors.
 */
#ifndef RST_OPTIONS_H
#define RST_OPTIONS_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

enum opt_type {
	OPT_FLAG,     /* int field = 1 */
	OPT_COUNT,    /* int field += 1, repeatable (-t, -tt, ...) */
	OPT_U32,      /* __u32 field in min..max */
	OPT_U64,      /* __u64 field in min..max */
	OPT_SECONDS,  /* double field in (0, max_sec] */
	OPT_STRING,   /* const char * field */
	OPT_CHOICE,   /* int field, the value of the name given among choices */
	OPT_STRINGS,  /* const char *field[max], repeatable; count in count_off */
	OPT_FUNC,     /* fn(field, code, arg) parses it */
	OPT_LOGLEVEL, /* no field: raises the log level (-d, and -v outside watch) */
	OPT_HELP,     /* no field: usage on stdout, exit 0 */
	OPT_DOC,      /* not an option: one more line of usage (display, help) */
};

struct opt_choice {
	const char *name;
	int value;
};

struct opt_row {
	const char *name; /* long name without "--"; NULL: short form only */
	int short_opt;	  /* 0: long form only */
	enum opt_type type;
	size_t off;	     /* offsetof the field in the config struct */
	size_t given;	     /* OPT_GIVEN(): an int field set to 1 when given; 0: none */
	const char *metavar; /* the argument's name; NULL for the types without one */
	const char *help;    /* NULL: not shown in the usage */
	__u64 min, max;	     /* U32, U64 bounds; STRINGS: max is the most entries */
	double max_sec;	     /* SECONDS upper bound */
	const struct opt_choice *choices; /* CHOICE, ended by { NULL } */
	size_t count_off;		  /* STRINGS: offsetof its int count */
	const char *many;		  /* STRINGS: "interfaces" in "too many interfaces" */
	int code;			  /* FUNC: passed to fn */
	/* FUNC: 0 or -errno after printing why. */
	int (*fn)(void *field, int code, const char *arg);
	/* A further check once the value is stored: 0 or -errno after printing why. */
	int (*check)(const char *arg, const void *field);
	const char *display; /* usage: the left column, instead of "-s, --long METAVAR" */
};

/* The offset of a "given" flag: +1 so that 0 means none. */
#define OPT_GIVEN(type, field) (offsetof(type, field) + 1)

/* A set of rows ended by an empty row, and where its fields sit in the config struct. */
struct opt_set {
	const struct opt_row *rows;
	size_t base;
};

#define OPT_SETS_MAX 10

struct opt_cmd {
	const char *name;		   /* "attach": prefix of its own errors */
	const char *synopsis;		   /* the usage line(s), "usage: rsttrace attach ...\n" */
	const char *epilog;		   /* after the options; NULL: none */
	struct opt_set sets[OPT_SETS_MAX]; /* ended by { NULL } */
	int takes_args;			   /* 1: words after the options are the command's */
};

/* -d/--debug and -h/--help: every command has them. */
extern const struct opt_row opt_common_rows[];
/* -v/--verbose as more log messages, for the commands without an output detail. */
extern const struct opt_row opt_verbose_log_rows[];

/*
 * Fill cfg (already holding its defaults) from argv (argv[0] the command
 * name). 0: parsed; *first_arg (when takes_args) indexes the first word
 * after the options. 1: -h printed the usage. -errno: a usage error,
 * printed.
 */
int opt_parse(const struct opt_cmd *c, int argc, char **argv, void *cfg, int *first_arg);
/* The exit status of a non-zero opt_parse result: 0 after -h, 2 after an error. */
int opt_exit_status(int err);
void opt_usage(const struct opt_cmd *c, FILE *f);

/*
 * One option of rows by long name, as if given on the command line (for
 * tests): 1 handled, 0 not among rows, -errno on a bad value.
 */
int opt_parse_one(const struct opt_row *rows, void *cfg, const char *name, const char *arg);

/*
 * The RSTTRACE_DEBUG environment variable: a number N raises the log level
 * N steps, any other non-empty value one step; unset, empty or 0: none.
 */
void opt_debug_env(void);

#endif
