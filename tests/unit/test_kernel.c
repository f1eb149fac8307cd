// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel layer's bookkeeping, without the kernel: the one map list
 * (enum pin_map, pin_map_names and the fields of struct rst_maps made from
 * RST_PIN_MAPS), which fds maps_close closes, a session's teardown state
 * (what session_detach keeps for the drain, what session_close clears),
 * and the monotonic-to-wall-clock offset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "maps.h"
#include "session.h"
#include "util.h"

static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* The names the pins, the skeleton and the programs use, in enum order. */
static void test_map_names(void **state)
{
	static const char *const want[] = { "counters",	 "settings", "flows",	 "hosts",
					    "events",	 "reasons",  "causes",	 "cause_hosts",
					    "fate_ring", "fate_res", "fate_ifs", "fate_hosts",
					    "owners",	 "cgroups",  "ev_rings" };
	int i;

	(void)state;
	assert_int_equal(PM_MAX, 15);
	for (i = 0; i < PM_MAX; i++)
		assert_string_equal(pin_map_names[i], want[i]);
	assert_int_equal(PM_COUNTERS, 0);
	assert_int_equal(PM_HOSTS, 3);
	assert_int_equal(PM_REASONS, 5);
}

/* m.hosts and m.fd[PM_HOSTS] are one int, for every map. */
static void test_fields_alias_fd(void **state)
{
	struct rst_maps m;
	int i;

	(void)state;
	for (i = 0; i < PM_MAX; i++)
		m.fd[i] = 100 + i;
	assert_int_equal(m.counters, 100);
	assert_int_equal(m.settings, 101);
	assert_int_equal(m.flows, 102);
	assert_int_equal(m.hosts, 103);
	assert_int_equal(m.events, 104);
	assert_int_equal(m.reasons, 105);
	assert_ptr_equal(maps_slot(&m, PM_HOSTS), &m.hosts);
	m.flows = 7;
	assert_int_equal(m.fd[PM_FLOWS], 7);
}

/* maps_close closes only what the struct owns, and leaves every fd -1. */
static void test_maps_close_owned(void **state)
{
	struct rst_maps m;
	int p[2], i;

	(void)state;
	maps_init(&m);
	for (i = 0; i < PM_MAX; i++)
		assert_int_equal(m.fd[i], -1);
	assert_int_equal(m.owned, 0);

	assert_int_equal(pipe(p), 0);
	m.counters = p[0];
	m.events = p[1];
	maps_close(&m); /* borrowed: not closed */
	assert_true(fd_open(p[0]));
	assert_true(fd_open(p[1]));
	assert_int_equal(m.counters, -1);
	assert_int_equal(m.events, -1);

	m.counters = p[0];
	m.events = p[1];
	m.owned = 1;
	maps_close(&m);
	assert_false(fd_open(p[0]));
	assert_false(fd_open(p[1]));
	for (i = 0; i < PM_MAX; i++)
		assert_int_equal(m.fd[i], -1);
	assert_int_equal(m.owned, 0);
}

/*
 * Nothing done: every teardown step is a no-op, twice. After a detach the
 * tracing link is closed but the reasons map stays, for the events drained
 * after it (watch joins them); session_close forgets it.
 */
static void test_session_teardown(void **state)
{
	struct rst_session s;
	int p[2];

	(void)state;
	session_init(&s);
	assert_null(s.skel);
	assert_null(s.rb);
	assert_int_equal(s.n_links, 0);
	assert_int_equal(s.trace_fd, -1);
	assert_int_equal(s.reasons_fd, -1);
	assert_int_equal(s.progs.xdp, -1);
	assert_int_equal(s.progs.tc_in, -1);
	assert_int_equal(s.progs.tc_out, -1);
	assert_int_equal(s.maps.events, -1);
	assert_int_equal(session_consume(&s), 0);

	assert_int_equal(pipe(p), 0);
	s.trace_fd = p[0];
	s.reasons_fd = p[1];
	session_detach(&s);
	assert_false(fd_open(p[0]));
	assert_int_equal(s.trace_fd, -1);
	assert_int_equal(s.reasons_fd, p[1]);
	session_detach(&s);
	session_close(&s);
	assert_int_equal(s.reasons_fd, -1);
	assert_true(fd_open(p[1])); /* the skeleton's map fd: not the session's to close */
	close(p[1]);
	session_close(&s);
	assert_null(s.skel);
}

/* The offset turns a monotonic stamp into the wall clock (to well within a second). */
static void test_mono_to_real_offset(void **state)
{
	struct timespec r, m;
	__s64 off = mono_to_real_offset(), direct;

	(void)state;
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	direct = ((__s64)r.tv_sec - m.tv_sec) * 1000000000LL + (r.tv_nsec - m.tv_nsec);
	/* Bounded, not timed: only a wall clock step between the reads moves it. */
	assert_true(llabs(direct - off) < 1000000000LL);
	assert_true(off > 0); /* the wall clock is past the boot */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_names),	    cmocka_unit_test(test_fields_alias_fd),
		cmocka_unit_test(test_maps_close_owned),    cmocka_unit_test(test_session_teardown),
		cmocka_unit_test(test_mono_to_real_offset),
	};

	/* tests/run.sh passes one TESTS pattern at a time. */
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests_name("kernel", tests, NULL, NULL);
}
