// SPDX-License-Identifier: GPL-2.0
/*
 * The declarative option parser (user/cli/options.h): a table of rows
 * fills a config struct, builds the usage text and handles the tails all
 * commands share (-h, -d, an unknown option, an unexpected argument).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "loader.h"
#include "log.h"
#include "options.h"
#include "util.h"

struct t_cfg {
	int flag, count, choice, n_names, given_u32;
	__u32 u32;
	__u64 u64;
	double secs;
	const char *str;
	const char *names[3];
	struct rst_opts o;
};

static const struct opt_choice t_choices[] = {
	{ "in", 1 },
	{ "out", 2 },
	{ "both", 3 },
	{ NULL },
};

#define F(f) .off = offsetof(struct t_cfg, f)

static const struct opt_row t_rows[] = {
	{ .name = "flag", .type = OPT_FLAG, F(flag), .help = "a flag" },
	{ .short_opt = 't', .type = OPT_COUNT, F(count), .help = "a count" },
	{ .name = "num",
	  .short_opt = 'N',
	  .type = OPT_U32,
	  F(u32),
	  .min = 2,
	  .max = 9,
	  .given = OPT_GIVEN(struct t_cfg, given_u32),
	  .metavar = "N",
	  .help = "2..9" },
	{ .name = "big",
	  .type = OPT_U64,
	  F(u64),
	  .min = 1,
	  .max = UINT64_MAX,
	  .metavar = "N",
	  .help = "a big one" },
	{ .name = "secs",
	  .type = OPT_SECONDS,
	  F(secs),
	  .max_sec = 60,
	  .metavar = "SEC",
	  .help = "seconds,\nat most 60" },
	{ .name = "str", .type = OPT_STRING, F(str), .metavar = "S", .help = "a string" },
	{ .name = "way", .type = OPT_CHOICE, F(choice), .choices = t_choices, .help = "which way" },
	{ .name = "name",
	  .short_opt = 'i',
	  .type = OPT_STRINGS,
	  F(names),
	  .max = 3,
	  .count_off = offsetof(struct t_cfg, n_names),
	  .many = "names",
	  .metavar = "NAME",
	  .help = "repeatable" },
	{ .type = OPT_DOC, .display = "WORDS", .help = "the rest" },
	{ 0 },
};

static const struct opt_cmd t_cmd = {
	.name = "tcmd",
	.synopsis = "usage: tcmd [options]\n",
	.epilog = "the end\n",
	.sets = {
		{ t_rows, 0 },
		{ datapath_rows, offsetof(struct t_cfg, o) },
		{ opt_common_rows, 0 },
	},
};

static const struct opt_cmd t_cmd_args = {
	.name = "targs",
	.synopsis = "usage: targs [options] WORDS\n",
	.sets = { { t_rows, 0 }, { opt_common_rows, 0 } },
	.takes_args = 1,
};

/* Run the parser on a command line of up to 18 words after the command name. */
static int parse(const struct opt_cmd *c, struct t_cfg *cfg, int *first, ...)
{
	static char *argv[20];
	const char *w;
	va_list ap;
	int argc = 0;

	memset(cfg, 0, sizeof(*cfg));
	opts_default(&cfg->o);
	argv[argc++] = (char *)c->name;
	va_start(ap, first);
	while ((w = va_arg(ap, const char *)) && argc < 19)
		argv[argc++] = (char *)w;
	va_end(ap);
	argv[argc] = NULL;
	return opt_parse(c, argc, argv, cfg, first);
}

static void test_fills_fields(void **state)
{
	struct t_cfg c;

	(void)state;
	assert_int_equal(parse(&t_cmd, &c, NULL, "--flag", "-ttt", "-N", "7", "--big",
			       "18446744073709551615", "--secs", "0.5", NULL),
			 0);
	assert_int_equal(c.flag, 1);
	assert_int_equal(c.count, 3);
	assert_int_equal(c.u32, 7);
	assert_int_equal(c.given_u32, 1);
	assert_true(c.u64 == UINT64_MAX);
	assert_true(c.secs == 0.5);
	assert_int_equal(parse(&t_cmd, &c, NULL, "--str", "x", "--way", "both", "-i", "a", "--name",
			       "b", "--hook", "tc", "--sample", "100", NULL),
			 0);
	assert_string_equal(c.str, "x");
	assert_int_equal(c.choice, 3);
	assert_int_equal(c.n_names, 2);
	assert_string_equal(c.names[0], "a");
	assert_string_equal(c.names[1], "b");
	/* The datapath rows land in the embedded struct rst_opts. */
	assert_int_equal(c.o.ingress_hook, RST_HOOK_TC_INGRESS);
	assert_int_equal(c.o.sample, 100);
	assert_int_equal(c.o.set_sample, 1);
	assert_int_equal(c.o.set_rate, 0);
	assert_int_equal(c.given_u32, 0);
}

struct bad_case {
	const char *opt, *arg;
};

/* Each a usage error: -EINVAL, whatever the parse helper said. */
static const struct bad_case bad_cases[] = {
	{ "-N", "1" },		   /* below min */
	{ "-N", "10" },		   /* above max */
	{ "-N", "+5" },		   /* strict: no sign */
	{ "--big", "0" },	   /* below min */
	{ "--secs", "0" },	   /* (0, max] */
	{ "--secs", "61" },	   /* above max */
	{ "--way", "up" },	   /* not a choice */
	{ "--ring-size", "5000" }, /* the row's own check: a power of 2 */
	{ "--nosuch", NULL },	   /* getopt's own complaint, then the usage */
	{ "stray", NULL },	   /* no arguments taken */
};

static void test_errors(void **state)
{
	struct t_cfg c;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		int err = parse(&t_cmd, &c, NULL, bad_cases[i].opt, bad_cases[i].arg, NULL);

		if (err != -EINVAL)
			fail_msg("%s %s: %d, want -EINVAL", bad_cases[i].opt,
				 bad_cases[i].arg ? bad_cases[i].arg : "", err);
	}
	assert_int_equal(opt_exit_status(-EINVAL), EXIT_USAGE);
	/* The fourth of at most three names. */
	assert_int_equal(parse(&t_cmd, &c, NULL, "-i", "a", "-i", "b", "-i", "c", "-i", "d", NULL),
			 -EINVAL);
	assert_int_equal(c.n_names, 3);
}

static void test_help_and_args(void **state)
{
	int first = -1, saved, null, err;
	struct t_cfg c;

	(void)state;
	/* The usage goes to stdout, where the TAP lines go: away with it here. */
	fflush(stdout);
	saved = dup(1);
	null = open("/dev/null", O_WRONLY);
	assert_true(saved >= 0 && null >= 0 && dup2(null, 1) == 1);
	err = parse(&t_cmd, &c, NULL, "-h", "--nosuch", NULL);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(null);
	assert_int_equal(err, 1);
	assert_int_equal(opt_exit_status(1), EXIT_OK);
	assert_int_equal(parse(&t_cmd_args, &c, &first, "--flag", "host", "10.0.0.1", NULL), 0);
	assert_int_equal(first, 2);
	/* The words stop the options ("+"): -t after them is the command's. */
	assert_int_equal(parse(&t_cmd_args, &c, &first, "port", "-t", NULL), 0);
	assert_int_equal(first, 1);
	assert_int_equal(c.count, 0);
}

static void test_debug_levels(void **state)
{
	struct t_cfg c;

	(void)state;
	log_set_level(LOG_WARN);
	assert_int_equal(parse(&t_cmd, &c, NULL, "-dd", "--debug", NULL), 0);
	assert_int_equal(log_level, LOG_WARN + 3);
	log_set_level(LOG_WARN);
	setenv("RSTTRACE_DEBUG", "2", 1);
	opt_debug_env();
	assert_int_equal(log_level, LOG_DEBUG);
	log_set_level(LOG_WARN);
	setenv("RSTTRACE_DEBUG", "yes", 1);
	opt_debug_env();
	assert_int_equal(log_level, LOG_INFO);
	log_set_level(LOG_WARN);
	setenv("RSTTRACE_DEBUG", "0", 1);
	opt_debug_env();
	assert_int_equal(log_level, LOG_WARN);
	unsetenv("RSTTRACE_DEBUG");
	log_set_level(-1);
}

static const char want_usage[] =
	"usage: targs [options] WORDS\n"
	"  --flag                 a flag\n"
	"  -t                     a count\n"
	"  -N, --num N            2..9\n"
	"  --big N                a big one\n"
	"  --secs SEC             seconds,\n"
	"                         at most 60\n"
	"  --str S                a string\n"
	"  --way in|out|both      which way\n"
	"  -i, --name NAME        repeatable\n"
	"  WORDS                  the rest\n"
	"  -d, --debug            more log messages (repeatable; or RSTTRACE_DEBUG=N)\n"
	"  -h, --help             this text\n";

static void test_usage_text(void **state)
{
	char buf[4096] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	(void)state;
	assert_non_null(f);
	opt_usage(&t_cmd_args, f);
	fclose(f);
	assert_string_equal(buf, want_usage);
}

/*
 * What getopt refused, in glibc getopt's words after "rsttrace: ", and the
 * hint: exactly two lines on stderr, never the usage.
 */
struct wording {
	const char *argv[4];
	const char *want;
};

static const struct wording wordings[] = {
	{ { "-k" }, "rsttrace: invalid option -- 'k'\n" },
	{ { "-tk" }, "rsttrace: invalid option -- 'k'\n" },
	/* A bad letter before another in its word: optind still on the word before. */
	{ { "--flag", "-kt" }, "rsttrace: invalid option -- 'k'\n" },
	{ { "-N" }, "rsttrace: option requires an argument -- 'N'\n" },
	{ { "--num" }, "rsttrace: option '--num' requires an argument\n" },
	{ { "--nosuch" }, "rsttrace: unrecognized option '--nosuch'\n" },
	{ { "--nosuch=1" }, "rsttrace: unrecognized option '--nosuch=1'\n" },
	{ { "--flag=1" }, "rsttrace: option '--flag' doesn't allow an argument\n" },
	{ { "--s" },
	  "rsttrace: option '--s' is ambiguous; possibilities: '--secs' '--str' '--sample' "
	  "'--snaplen'\n" },
};

static void test_bad_option_wording(void **state)
{
	char buf[1024], want[1024];
	struct t_cfg c;
	size_t i, n;
	FILE *tmp;
	int saved, err;

	(void)state;
	for (i = 0; i < sizeof(wordings) / sizeof(wordings[0]); i++) {
		const struct wording *w = &wordings[i];

		tmp = tmpfile();
		assert_non_null(tmp);
		fflush(stderr);
		saved = dup(2);
		assert_true(saved >= 0 && dup2(fileno(tmp), 2) == 2);
		log_set_level(LOG_WARN);
		err = parse(&t_cmd, &c, NULL, w->argv[0], w->argv[1], w->argv[2], NULL);
		log_set_level(-1);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		if (err != -EINVAL)
			fail_msg("row %zu (%s): %d", i, w->argv[0], err);
		rewind(tmp);
		n = fread(buf, 1, sizeof(buf) - 1, tmp);
		buf[n] = '\0';
		fclose(tmp);
		snprintf(want, sizeof(want), "%sTry 'rsttrace tcmd --help'.\n", w->want);
		assert_string_equal(buf, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fills_fields),  cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help_and_args), cmocka_unit_test(test_debug_levels),
		cmocka_unit_test(test_usage_text),    cmocka_unit_test(test_bad_option_wording),
	};

	/* The parser prints its one-line errors; keep the test output clean. */
	log_set_level(-1);
	/* tests/run.sh passes one TESTS pattern at a time. */
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
