// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "util.h"

/* More options than any command has; the table is built on the stack. */
#define OPT_ROWS_MAX 64
/* Codes of long-only options, above every character getopt returns. */
#define OPT_CODE_BASE 0x100

const struct opt_row opt_common_rows[] = {
	{ .name = "debug",
	  .short_opt = 'd',
	  .type = OPT_LOGLEVEL,
	  .help = "more log messages (repeatable; or RSTTRACE_DEBUG=N)" },
	{ .name = "help", .short_opt = 'h', .type = OPT_HELP, .help = "this text" },
	{ 0 },
};

const struct opt_row opt_verbose_log_rows[] = {
	{ .name = "verbose",
	  .short_opt = 'v',
	  .type = OPT_LOGLEVEL,
	  .help = "more messages, as -d" },
	{ 0 },
};

/* The rows of a command in order, with the base of each. */
struct opt_flat {
	const struct opt_row *row[OPT_ROWS_MAX];
	size_t base[OPT_ROWS_MAX];
	int n;
};

static int flatten(const struct opt_cmd *c, struct opt_flat *f)
{
	const struct opt_row *r;
	int s;

	f->n = 0;
	for (s = 0; s < OPT_SETS_MAX && c->sets[s].rows; s++) {
		for (r = c->sets[s].rows; r->name || r->short_opt || r->type == OPT_DOC; r++) {
			if (f->n >= OPT_ROWS_MAX)
				return -E2BIG;
			f->row[f->n] = r;
			f->base[f->n++] = c->sets[s].base;
		}
	}
	return 0;
}

static int takes_arg(const struct opt_row *r)
{
	switch (r->type) {
	case OPT_FLAG:
	case OPT_COUNT:
	case OPT_LOGLEVEL:
	case OPT_HELP:
	case OPT_DOC:
		return 0;
	case OPT_FUNC:
		return r->metavar != NULL;
	default:
		return 1;
	}
}

/* "-c" or "--sample": how the errors name an option, as typed. */
static const char *label(const struct opt_row *r, char buf[64])
{
	if (r->short_opt)
		snprintf(buf, 64, "-%c", r->short_opt);
	else
		snprintf(buf, 64, "--%s", r->name);
	return buf;
}

/* "xdp or tc", "in, out or both": the choices as the error lists them. */
static void choice_list(const struct opt_choice *ch, char *buf, size_t len)
{
	size_t n = 0, i, count = 0;

	while (ch[count].name)
		count++;
	buf[0] = '\0';
	for (i = 0; i < count && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s",
			      i == 0	       ? ""
			      : i + 1 == count ? " or "
					       : ", ",
			      ch[i].name);
}

static int parse_choice(const struct opt_row *r, const char *lab, const char *arg, int *out)
{
	const struct opt_choice *ch;
	char list[128];

	for (ch = r->choices; ch->name; ch++) {
		if (!strcmp(arg, ch->name)) {
			*out = ch->value;
			return 0;
		}
	}
	choice_list(r->choices, list, sizeof(list));
	pr_warn("invalid %s '%s': expected %s", lab, arg, list);
	return -EINVAL;
}

static int add_string(const struct opt_row *r, char *cfg, size_t base, const char *arg)
{
	const char **list = (const char **)(cfg + base + r->off);
	int *n = (int *)(cfg + base + r->count_off);

	if ((__u64)*n >= r->max) {
		pr_warn("too many %s (at most %d)", r->many, (int)r->max);
		return -EINVAL;
	}
	list[(*n)++] = arg;
	return 0;
}

/* Store one option's value in its field: 0 or -errno after printing why. */
static int apply(const struct opt_row *r, char *cfg, size_t base, const char *arg)
{
	void *field = cfg + base + r->off;
	char lab[64];
	int err = 0;

	label(r, lab);
	switch (r->type) {
	case OPT_FLAG:
		*(int *)field = 1;
		break;
	case OPT_COUNT:
		(*(int *)field)++;
		break;
	case OPT_U32:
		err = parse_u32(lab, arg, (__u32)r->min, (__u32)r->max, field);
		break;
	case OPT_U64:
		err = parse_u64(lab, arg, r->min, r->max, field);
		break;
	case OPT_SECONDS:
		err = parse_seconds(lab, arg, r->max_sec, field);
		break;
	case OPT_STRING:
		*(const char **)field = arg;
		break;
	case OPT_CHOICE:
		err = parse_choice(r, lab, arg, field);
		break;
	case OPT_STRINGS:
		err = add_string(r, cfg, base, arg);
		break;
	case OPT_FUNC:
		err = r->fn(field, r->code, arg);
		break;
	case OPT_LOGLEVEL:
		log_set_level(log_level + 1);
		break;
	case OPT_HELP:
	case OPT_DOC:
		break;
	}
	if (!err && r->check)
		err = r->check(arg, field);
	if (!err && r->given)
		*(int *)(cfg + base + r->given - 1) = 1;
	return err;
}

/* The getopt_long table and short option string of the rows. */
static void build_getopt(const struct opt_flat *f, struct option *lo, char *so)
{
	int i, nl = 0, ns = 0;

	so[ns++] = '+'; /* stop at the first word: the rest is the command's */
	so[ns++] = ':'; /* a missing argument is ':', told apart from an unknown option */
	for (i = 0; i < f->n; i++) {
		const struct opt_row *r = f->row[i];

		if (r->type == OPT_DOC)
			continue;
		if (r->short_opt) {
			so[ns++] = (char)r->short_opt;
			if (takes_arg(r))
				so[ns++] = ':';
		}
		if (r->name) {
			lo[nl].name = r->name;
			lo[nl].has_arg = takes_arg(r) ? required_argument : no_argument;
			lo[nl].flag = NULL;
			lo[nl].val = r->short_opt ? r->short_opt : OPT_CODE_BASE + i;
			nl++;
		}
	}
	so[ns] = '\0';
	memset(&lo[nl], 0, sizeof(lo[nl]));
}

static int find_code(const struct opt_flat *f, int code)
{
	int i;

	for (i = 0; i < f->n; i++)
		if (f->row[i]->type != OPT_DOC &&
		    (f->row[i]->short_opt ? f->row[i]->short_opt : OPT_CODE_BASE + i) == code)
			return i;
	return -1;
}

/*
 * glibc getopt's wording for what it refused, as "rsttrace: ..." and one
 * hint line, never the whole usage: a typo is not worth a screenful. The
 * word getopt stopped at is argv[optind - 1]; a long option is told by
 * its "--", an ambiguous abbreviation by the long names it starts.
 */
static void bad_option(const struct opt_cmd *c, const struct option *lo, int argc, char **argv,
		       int opt)
{
	const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	char names[256] = "";
	size_t n = 0, len;
	const char *eq;
	int i, matches = 0;

	int is_long = !strncmp(word, "--", 2) && word[2];

	/*
	 * A bad letter inside a cluster leaves optind on the word before:
	 * only ':' (the missing argument ends its word) and optopt 0 (an
	 * unknown long name) are sure to be about argv[optind - 1]; "=" after
	 * a long option that takes none keeps its letter or code in optopt.
	 */
	if (opt != ':' && optopt)
		is_long = is_long && strchr(word, '=');
	if (!is_long) {
		if (opt == ':')
			pr_warn("option requires an argument -- '%c'", optopt);
		else
			pr_warn("invalid option -- '%c'", optopt);
	} else if (opt == ':') {
		pr_warn("option '%s' requires an argument", word);
	} else {
		eq = strchr(word, '=');
		len = eq ? (size_t)(eq - word - 2) : strlen(word + 2);
		for (i = 0; lo[i].name; i++) {
			if (strncmp(lo[i].name, word + 2, len))
				continue;
			matches++;
			if (n < sizeof(names))
				n += snprintf(names + n, sizeof(names) - n, " '--%s'", lo[i].name);
		}
		if (matches > 1)
			pr_warn("option '%.*s' is ambiguous; possibilities:%s", (int)len + 2, word,
				names);
		else if (eq && matches == 1)
			pr_warn("option '--%.*s' doesn't allow an argument", (int)len, word + 2);
		else
			pr_warn("unrecognized option '%s'", word);
	}
	log_print(LOG_WARN, 0, "Try 'rsttrace %s --help'.", c->name);
}

int opt_parse(const struct opt_cmd *c, int argc, char **argv, void *cfg, int *first_arg)
{
	struct option lo[OPT_ROWS_MAX + 1];
	char so[OPT_ROWS_MAX * 2 + 3];
	struct opt_flat f;
	int opt, i;

	if (flatten(c, &f))
		return -E2BIG;
	build_getopt(&f, lo, so);
	/*
	 * 0, not 1: glibc then also forgets where it was inside a word, which
	 * an error in the middle of "-kt" leaves behind for the next parse.
	 */
	optind = 0;
	/* getopt's own messages would name argv[0]; bad_option() says it in our voice. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		i = find_code(&f, opt);
		if (opt == '?' || opt == ':' || i < 0) {
			bad_option(c, lo, argc, argv, opt);
			return -EINVAL;
		}
		if (f.row[i]->type == OPT_HELP) {
			opt_usage(c, stdout);
			return 1;
		}
		if (apply(f.row[i], cfg, f.base[i], optarg))
			return -EINVAL;
	}
	if (first_arg && c->takes_args) {
		*first_arg = optind;
	} else if (optind < argc) {
		pr_warn("%s: unexpected argument '%s'", c->name, argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int opt_exit_status(int err)
{
	return err > 0 ? EXIT_OK : EXIT_USAGE;
}

/* "-i, --interface IFACE", "--hook xdp|tc", "-N COUNT". */
static void left_column(const struct opt_row *r, char *buf, size_t len)
{
	const char *meta = takes_arg(r) ? r->metavar : NULL;
	char choices[128] = "";
	size_t n = 0;
	int i;

	if (r->display) {
		snprintf(buf, len, "%s", r->display);
		return;
	}
	if (r->type == OPT_CHOICE && !meta) {
		for (i = 0; r->choices[i].name; i++)
			n += snprintf(choices + n, sizeof(choices) - n, "%s%s", i ? "|" : "",
				      r->choices[i].name);
		meta = choices;
	}
	if (r->short_opt && r->name)
		snprintf(buf, len, "-%c, --%s%s%s", r->short_opt, r->name, meta ? " " : "",
			 meta ? meta : "");
	else if (r->short_opt)
		snprintf(buf, len, "-%c%s%s", r->short_opt, meta ? " " : "", meta ? meta : "");
	else
		snprintf(buf, len, "--%s%s%s", r->name, meta ? " " : "", meta ? meta : "");
}

/*
 * One usage line: the left column padded to 22, the help after it; a
 * longer left column is followed by two spaces. A help of several lines
 * ("\n" inside) goes on aligned under its first.
 */
static void usage_row(FILE *f, const struct opt_row *r)
{
	const char *h = r->help, *nl;
	char left[160];

	left_column(r, left, sizeof(left));
	fprintf(f, "  %-22s%s", left, strlen(left) > 22 ? "  " : " ");
	while ((nl = strchr(h, '\n'))) {
		fprintf(f, "%.*s\n%25s", (int)(nl - h), h, "");
		h = nl + 1;
	}
	fprintf(f, "%s\n", h);
}

void opt_usage(const struct opt_cmd *c, FILE *f)
{
	struct opt_flat fl;
	int i;

	fputs(c->synopsis, f);
	if (!flatten(c, &fl))
		for (i = 0; i < fl.n; i++)
			if (fl.row[i]->help)
				usage_row(f, fl.row[i]);
	if (c->epilog)
		fputs(c->epilog, f);
}

int opt_parse_one(const struct opt_row *rows, void *cfg, const char *name, const char *arg)
{
	const struct opt_row *r;

	int err;

	for (r = rows; r->name || r->short_opt || r->type == OPT_DOC; r++) {
		if (r->name && !strcmp(r->name, name)) {
			err = apply(r, cfg, 0, arg);
			return err ? err : 1;
		}
	}
	return 0;
}

void opt_debug_env(void)
{
	const char *s = getenv("RSTTRACE_DEBUG");
	char *end;
	long n;

	if (!s || !*s)
		return;
	n = strtol(s, &end, 10);
	if (*end || n < 0)
		n = 1; /* "yes", "on": one step */
	if (n > LOG_DEBUG)
		n = LOG_DEBUG + 1; /* libbpf's debug too; more changes nothing */
	log_set_level(log_level + (int)n);
}
