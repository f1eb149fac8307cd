// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <bpf/libbpf.h>

#include "log.h"

int log_level = LOG_WARN;

void log_set_level(int level)
{
	log_level = level;
}

/*
 * Messages name interfaces, paths and namespaces that another user may
 * have chosen: an ESC or BEL in a name must not reach the terminal raw.
 * Every control byte but tabs is written as \xNN, as escape_text does for
 * standard output; the closing newline is ours. libbpf's messages keep
 * their newlines: the verifier log is one message of many lines.
 */
static void put_escaped(const char *msg, size_t n, int newlines)
{
	static const char hex[] = "0123456789abcdef";
	char out[4096 + 16];
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)msg[i];

		if (o + 4 > sizeof(out) - 1) {
			fwrite(out, 1, o, stderr);
			o = 0;
		}
		if ((c >= 0x20 && c < 0x7f) || c == '\t' || (c == '\n' && newlines)) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	fwrite(out, 1, o, stderr);
}

/*
 * prefix goes before the message; ours end with a newline added here,
 * libbpf's carry their own (and keep the ones inside them).
 */
static void log_vprint(const char *prefix, int own, const char *fmt, va_list ap)
{
	char buf[1024], *msg = buf;
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= (int)sizeof(buf)) {
		msg = malloc((size_t)n + 1);
		if (msg)
			vsnprintf(msg, (size_t)n + 1, fmt, copy);
		else
			n = sizeof(buf) - 1; /* print what fits */
	}
	va_end(copy);
	if (n < 0)
		return;
	if (prefix)
		fputs(prefix, stderr);
	put_escaped(msg ? msg : buf, (size_t)n, !own);
	if (own)
		fputc('\n', stderr);
	if (msg != buf)
		free(msg);
}

void log_print(int level, int prefixed, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	log_vprint(prefixed ? "rsttrace: " : NULL, 1, fmt, ap);
	va_end(ap);
}

void log_vprint_lib(int level, const char *prefix, const char *fmt, va_list ap)
{
	if (level <= log_level)
		log_vprint(prefix, 0, fmt, ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf warnings show at -d, its info at -dd, its debug at -ddd. */
	int ours = (int)level + 1;

	if (ours > log_level)
		return 0;
	log_vprint("libbpf: ", 0, fmt, ap);
	return 0;
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
