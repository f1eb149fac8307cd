// SPDX-License-Identifier: GPL-2.0
/*
 * user/outputs/pcapout.c: records read back with libpcap equal what was written,
 * and rotation makes exactly the files tcpdump 4.99 makes for -C, -G, -W
 * and their combinations (the -G clock is replaced by a fake one), plus
 * tcpdump's file names and the -C size syntax.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pcap/pcap.h>

#include "pcapout.h"
#include "rsttrace.h"
#include "rowtests.h"

static time_t fake_now;

static time_t fake_clock(void)
{
	return fake_now;
}

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rsttrace-pcapout.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	struct dirent *d;
	char p[PATH_MAX];
	DIR *dd;

	(void)state;
	dd = opendir(dir);
	if (!dd)
		return 0;
	while ((d = readdir(dd))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, d->d_name);
		unlink(p);
	}
	closedir(dd);
	rmdir(dir);
	return 0;
}

/* Every test starts from an empty directory. */
static void empty_dir(void)
{
	teardown(NULL);
	assert_int_equal(mkdir(dir, 0700), 0);
}

/* A 54-byte IPv4 RST-ACK frame; n makes it unique. */
static void mkevent(struct rst_event *e, __u32 n)
{
	memset(e, 0, sizeof(*e));
	e->family = AF_INET;
	e->snap_len = 54;
	e->pkt_len = 60;
	memset(e->snap, 0xab, 54);
	e->snap[12] = 0x08;
	e->snap[13] = 0x00;
	memcpy(e->snap + 14 + 24, &n, sizeof(n)); /* the TCP sequence number */
}

static int count_packets(const char *name, __u32 *first)
{
	char path[PATH_MAX], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	p = pcap_open_offline(path, err);
	if (!p)
		return -1;
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (n == 0 && first)
			memcpy(first, data + 14 + 24, sizeof(*first));
		assert_int_equal(h->caplen, 54);
		assert_int_equal(h->len, 60);
		n++;
	}
	pcap_close(p);
	return n;
}

/* The directory's file names, sorted, joined by spaces. */
static void listing(char *out, size_t len)
{
	struct dirent **names;
	int i, n;

	out[0] = '\0';
	n = scandir(dir, &names, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			if (out[0])
				strncat(out, " ", len - strlen(out) - 1);
			strncat(out, names[i]->d_name, len - strlen(out) - 1);
		}
		free(names[i]);
	}
	free(names);
}

static void open_w(struct pcapw *w, const char *name, __u64 size, __u32 secs, __u32 count)
{
	static char path[PATH_MAX];
	struct pcapw_opts o = {
		.size_limit = size,
		.rotate_secs = secs,
		.file_count = count,
		.snaplen = 128,
		.now = fake_clock,
	};

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	o.name = path;
	assert_int_equal(pcapw_open(w, &o), 0);
}

static int write_n(struct pcapw *w, __u32 from, int n)
{
	struct timespec wall = { 1700000000, 5000 };
	struct rst_event e;
	int i, r;

	for (i = 0; i < n; i++) {
		mkevent(&e, from + (__u32)i);
		wall.tv_sec = fake_now;
		r = pcapw_write(w, &e, &wall);
		if (r)
			return r;
	}
	return 0;
}

static void test_plain_file(void **state)
{
	struct timespec wall = { 1700000000, 123456789 };
	char path[PATH_MAX], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct rst_event e;
	struct pcapw w;
	pcap_t *p;

	(void)state;
	empty_dir();
	open_w(&w, "plain.pcap", 0, 0, 0);
	mkevent(&e, 7);
	assert_int_equal(pcapw_write(&w, &e, &wall), 0);
	assert_int_equal(pcapw_close(&w), 0);
	assert_int_equal(pcapw_close(&w), 0);
	snprintf(path, sizeof(path), "%s/plain.pcap", dir);
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, err);
	assert_non_null(p);
	assert_int_equal(pcap_snapshot(p), 128);
	assert_int_equal(pcap_next_ex(p, &h, &data), 1);
	assert_int_equal(h->ts.tv_sec, 1700000000);
	assert_int_equal(h->ts.tv_usec, 123456);
	assert_int_equal(h->caplen, 54);
	assert_int_equal(h->len, 60);
	assert_memory_equal(data, e.snap, 54);
	assert_int_equal(pcap_next_ex(p, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(p);
	assert_int_equal(w.written, 1);
	assert_int_equal(w.files, 1);
}

/*
 * 200-byte limit: the 24-byte header and 70-byte records give 94, 164, 234;
 * the fourth packet finds the file over the limit. So 3 packets a file.
 */
static void test_size_rotation(void **state)
{
	char ls[512];
	struct pcapw w;
	__u32 first;

	(void)state;
	empty_dir();
	open_w(&w, "c.pcap", 200, 0, 0);
	assert_int_equal(write_n(&w, 0, 10), 0);
	assert_int_equal(pcapw_close(&w), 0);
	listing(ls, sizeof(ls));
	assert_string_equal(ls, "c.pcap c.pcap1 c.pcap2 c.pcap3");
	assert_int_equal(count_packets("c.pcap", &first), 3);
	assert_int_equal(first, 0);
	assert_int_equal(count_packets("c.pcap1", &first), 3);
	assert_int_equal(first, 3);
	assert_int_equal(count_packets("c.pcap3", &first), 1);
	assert_int_equal(first, 9);
	assert_int_equal(w.files, 4);
}

/* -C with -W 2: a ring FILE0 FILE1 FILE0 FILE1, the last one written wins. */
static void test_size_ring(void **state)
{
	char ls[512];
	struct pcapw w;
	__u32 first;

	(void)state;
	empty_dir();
	open_w(&w, "r.pcap", 200, 0, 2);
	assert_int_equal(write_n(&w, 0, 10), 0);
	assert_int_equal(pcapw_close(&w), 0);
	listing(ls, sizeof(ls));
	assert_string_equal(ls, "r.pcap0 r.pcap1");
	assert_int_equal(count_packets("r.pcap0", &first), 3);
	assert_int_equal(first, 6);
	assert_int_equal(count_packets("r.pcap1", &first), 1);
	assert_int_equal(first, 9);

	/* -W 11: two digits (tcpdump pads to the digits of N - 1). */
	empty_dir();
	open_w(&w, "p.pcap", 200, 0, 11);
	assert_int_equal(write_n(&w, 0, 4), 0);
	assert_int_equal(pcapw_close(&w), 0);
	listing(ls, sizeof(ls));
	assert_string_equal(ls, "p.pcap00 p.pcap01");

	/* -W 1: a single file, no number. */
	empty_dir();
	open_w(&w, "o.pcap", 200, 0, 1);
	assert_int_equal(write_n(&w, 0, 10), 0);
	assert_int_equal(pcapw_close(&w), 0);
	listing(ls, sizeof(ls));
	assert_string_equal(ls, "o.pcap");
	assert_int_equal(count_packets("o.pcap", NULL), 1);
}

static void test_time_rotation(void **state)
{
	char ls[512];
	struct pcapw w;

	(void)state;
	empty_dir();
	fake_now = 1000;
	open_w(&w, "g-%s.pcap", 0, 10, 0);
	assert_int_equal(write_n(&w, 0, 2), 0);
	fake_now = 1009; /* 9 s: not yet */
	assert_int_equal(write_n(&w, 2, 1), 0);
	fake_now = 1010; /* 10 s: a new file named for 1010 */
	assert_int_equal(write_n(&w, 3, 1), 0);
	fake_now = 1045; /* quiet for 35 s: one rotation, not three */
	assert_int_equal(write_n(&w, 4, 2), 0);
	assert_int_equal(pcapw_close(&w), 0);
	listing(ls, sizeof(ls));
	assert_string_equal(ls, "g-1000.pcap g-1010.pcap g-1045.pcap");
	assert_int_equal(count_packets("g-1000.pcap", NULL), 3);
	assert_int_equal(count_packets("g-1010.pcap", NULL), 1);
	assert_int_equal(count_packets("g-1045.pcap", NULL), 2);
}

/* -G with -W 2: the second rotation is the end; its packet is not written. */
static void test_time_limit(void **state)
{
	char ls[512];
	struct pcapw w;

	(void)state;
	empty_dir();
	fake_now = 2000;
	open_w(&w, "l-%s", 0, 5, 2);
	assert_int_equal(write_n(&w, 0, 1), 0);
	fake_now = 2005;
	assert_int_equal(write_n(&w, 1, 1), 0);
	fake_now = 2010;
	assert_int_equal(write_n(&w, 2, 1), 1);
	assert_int_equal(write_n(&w, 3, 1), -EBADF);
	assert_int_equal(pcapw_close(&w), 0);
	listing(ls, sizeof(ls));
	assert_string_equal(ls, "l-2000 l-2005");
	assert_int_equal(w.written, 2);
}

/*
 * -G and -C together: numbered files within each interval, numbering
 * restarting at each rotation; -W then is a ring within the interval, and
 * never ends the capture.
 */
static void test_time_and_size(void **state)
{
	char ls[512];
	struct pcapw w;

	(void)state;
	empty_dir();
	fake_now = 3000;
	open_w(&w, "b-%s-", 200, 10, 0);
	assert_int_equal(write_n(&w, 0, 7), 0);
	fake_now = 3010;
	assert_int_equal(write_n(&w, 7, 4), 0);
	assert_int_equal(pcapw_close(&w), 0);
	listing(ls, sizeof(ls));
	assert_string_equal(ls, "b-3000- b-3000-1 b-3000-2 b-3010- b-3010-1");
	assert_int_equal(count_packets("b-3000-2", NULL), 1);
	assert_int_equal(count_packets("b-3010-1", NULL), 1);

	empty_dir();
	fake_now = 4000;
	open_w(&w, "d-%s-", 200, 10, 2);
	assert_int_equal(write_n(&w, 0, 7), 0);
	fake_now = 4010;
	assert_int_equal(write_n(&w, 7, 1), 0);
	fake_now = 4020;
	assert_int_equal(write_n(&w, 8, 1), 0);
	assert_int_equal(pcapw_close(&w), 0);
	listing(ls, sizeof(ls));
	assert_string_equal(ls, "d-4000-0 d-4000-1 d-4010-0 d-4020-0");
	assert_int_equal(count_packets("d-4000-0", NULL), 1);
}

/* Sizes of the files named prefix* in the directory, "name:size ..." with prefix cut. */
static void sizes(const char *prefix, char *out, size_t len)
{
	struct dirent **names;
	char path[PATH_MAX], item[64];
	struct stat st;
	int i, n;

	out[0] = '\0';
	n = scandir(dir, &names, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		const char *d = names[i]->d_name;

		if (!strncmp(d, prefix, strlen(prefix))) {
			snprintf(path, sizeof(path), "%s/%s", dir, d);
			assert_int_equal(stat(path, &st), 0);
			snprintf(item, sizeof(item), "[%s]:%lld ", d + strlen(prefix),
				 (long long)st.st_size);
			strncat(out, item, len - strlen(out) - 1);
		}
		free(names[i]);
	}
	free(names);
}

/*
 * The oracle: tcpdump itself rotating a capture of the same records with
 * -C 1 (and -W), reading it with -r. The file sets and sizes must agree.
 */
static void test_size_rotation_like_tcpdump(void **state)
{
	static const char *const wopts[] = { "", "-W 2", "-W 3", "-W 12" };
	static const __u32 wvals[] = { 0, 2, 3, 12 };
	char in[PATH_MAX], cmd[PATH_MAX * 2], ours[1024], theirs[1024];
	struct timespec wall = { 1700000000, 0 };
	struct pcap_pkthdr h = { .caplen = 54, .len = 60 };
	struct rst_event e;
	pcap_dumper_t *d;
	struct pcapw w;
	pcap_t *dead;
	size_t k;
	int i;

	(void)state;
	if (system("command -v tcpdump >/dev/null 2>&1")) {
		skip();
		return;
	}
	for (k = 0; k < sizeof(wvals) / sizeof(wvals[0]); k++) {
		empty_dir();
		/* 30000 records of 70 bytes: 2.1 MB, three files of -C 1. */
		snprintf(in, sizeof(in), "%s/in", dir);
		dead = pcap_open_dead(DLT_EN10MB, 128);
		d = pcap_dump_open(dead, in);
		assert_non_null(d);
		open_w(&w, "o", 1000000, 0, wvals[k]);
		for (i = 0; i < 30000; i++) {
			mkevent(&e, (__u32)i);
			h.ts.tv_sec = wall.tv_sec;
			pcap_dump((u_char *)d, &h, e.snap);
			assert_int_equal(pcapw_write(&w, &e, &wall), 0);
		}
		pcap_dump_close(d);
		pcap_close(dead);
		assert_int_equal(pcapw_close(&w), 0);
		snprintf(cmd, sizeof(cmd), "tcpdump -Z root -r %s -w %s/t -C 1 %s 2>/dev/null", in,
			 dir, wopts[k]);
		assert_int_equal(system(cmd), 0);
		sizes("o", ours, sizeof(ours));
		sizes("t", theirs, sizeof(theirs));
		if (strcmp(ours, theirs))
			fail_msg("-C 1 %s: ours %s, tcpdump's %s", wopts[k], ours, theirs);
	}
}

static void test_filenames(void **state)
{
	char buf[PATH_MAX + 1], big[PATH_MAX + 10];

	(void)state;
	assert_int_equal(pcapw_filename(buf, sizeof(buf), "x.pcap", 0, 0, 0, 0), 0);
	assert_string_equal(buf, "x.pcap");
	assert_int_equal(pcapw_filename(buf, sizeof(buf), "x.pcap", 0, 0, 0, 2), 0);
	assert_string_equal(buf, "x.pcap00");
	assert_int_equal(pcapw_filename(buf, sizeof(buf), "x.pcap", 0, 0, 12, 0), 0);
	assert_string_equal(buf, "x.pcap12");
	assert_int_equal(pcapw_filename(buf, sizeof(buf), "x.pcap", 0, 0, 7, 3), 0);
	assert_string_equal(buf, "x.pcap007");
	/* Without -G a '%' is just a character. */
	assert_int_equal(pcapw_filename(buf, sizeof(buf), "%s", 0, 0, 0, 0), 0);
	assert_string_equal(buf, "%s");
	assert_int_equal(pcapw_filename(buf, sizeof(buf), "t-%%-%s", 1, 86400, 0, 0), 0);
	assert_string_equal(buf, "t-%-86400");
	assert_int_equal(pcapw_filename(buf, sizeof(buf), "", 0, 0, 0, 0), -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(pcapw_filename(buf, sizeof(buf), big, 0, 0, 0, 0), -ENAMETOOLONG);
}

static const struct {
	const char *arg;
	int err;
	__u64 bytes;
} size_rows[] = {
	{ "1", 0, 1000000ULL },
	{ "250", 0, 250000000ULL },
	{ "2k", 0, 2048 },
	{ "3m", 0, 3ULL << 20 },
	{ "1g", 0, 1ULL << 30 },
	{ "4K", 0, 4096 },
	{ "0", -EINVAL, 0 },
	{ "", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "+1", -EINVAL, 0 },
	{ "1x", -EINVAL, 0 },
	{ "k", -EINVAL, 0 },
	{ "1.5", -EINVAL, 0 },
	{ " 1", -EINVAL, 0 },
	{ "99999999999999999999", -ERANGE, 0 },
	{ "9223372036855", -ERANGE, 0 },
};

/* One row of size_rows. */
static void test_parse_size(void **state)
{
	const size_t i = (size_t)((const __typeof__(size_rows[0]) *)*state - size_rows);
	__u64 b = 0;

	if (pcapw_parse_size(size_rows[i].arg, &b) != size_rows[i].err)
		fail_msg("-C '%s': want %d", size_rows[i].arg, size_rows[i].err);
	if (!size_rows[i].err)
		assert_int_equal(b, size_rows[i].bytes);
}

static void size_row_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)row;
	snprintf(buf, len, "parse_size '%s'", size_rows[i].arg);
}

static void test_open_error(void **state)
{
	struct pcapw_opts o = { .name = "/nonexistent-rsttrace-dir/x.pcap", .snaplen = 128 };
	struct pcapw w;

	(void)state;
	assert_true(pcapw_open(&w, &o) < 0);
	o.name = "";
	assert_int_equal(pcapw_open(&w, &o), -EINVAL);
}

int main(void)
{
	struct rowtests rt = { 0 };

	rt_add(&rt, "test_plain_file", test_plain_file, NULL);
	rt_add(&rt, "test_size_rotation", test_size_rotation, NULL);
	rt_add(&rt, "test_size_ring", test_size_ring, NULL);
	rt_add(&rt, "test_time_rotation", test_time_rotation, NULL);
	rt_add(&rt, "test_time_limit", test_time_limit, NULL);
	rt_add(&rt, "test_time_and_size", test_time_and_size, NULL);
	rt_add(&rt, "test_size_rotation_like_tcpdump", test_size_rotation_like_tcpdump, NULL);
	rt_add(&rt, "test_filenames", test_filenames, NULL);
	RT_ADD_ROWS(&rt, size_rows, test_parse_size, size_row_name);
	rt_add(&rt, "test_open_error", test_open_error, NULL);

	return rt_run(&rt, setup, teardown);
}
