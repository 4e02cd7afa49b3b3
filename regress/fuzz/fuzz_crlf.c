/*
 * Copyright (c) 2025-2026 The popd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * fuzz_crlf -- libFuzzer target for the CRLF and dot-stuffing engine
 * (store/crlf.c), which turns message files anybody can mail us into
 * what RETR and TOP send.  The first input byte picks the chunk split
 * and the output buffer size, the second the TOP line count; the rest
 * is the message.  Each input is converted for RETR and for TOP, every
 * chunk and output buffer in an exact-size heap copy, and the result is
 * checked against a byte-at-a-time reference and crlf_count/crlf_size,
 * and read back as a client splitting lines on CR as well reads it.
 *
 *	make fuzz && regress/fuzz/fuzz_crlf -max_total_time=60
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crlf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct buf {
	char	*p;
	size_t	 len, cap;
};

static void
buf_add(struct buf *b, const char *p, size_t len)
{
	char	*np;

	if (len == 0)
		return;
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 16;
		if ((np = realloc(b->p, b->cap)) == NULL)
			abort();
		b->p = np;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

/* A copy of exactly len bytes, so that ASan sees any read past it. */
static char *
dup_exact(const char *p, size_t len)
{
	char	*s;

	if ((s = malloc(len == 0 ? 1 : len)) == NULL)
		abort();
	memcpy(s, p, len);
	return s;
}

/* The input bytes TOP with toplines (-1: RETR) must use. */
static size_t
ref_used(const char *in, size_t len, long long toplines)
{
	const char	*lf;
	size_t		 i = 0, start, linelen;
	int		 inbody = 0, blank;

	if (toplines < 0)
		return len;
	while (i < len) {
		if ((lf = memchr(in + i, '\n', len - i)) == NULL)
			return len;
		start = i;
		i = lf - in + 1;
		linelen = lf - (in + start);
		blank = linelen == 0 || (linelen == 1 && in[start] == '\r');
		if (!inbody) {
			if (blank) {
				inbody = 1;
				if (toplines == 0)
					return i;
			}
		} else if (--toplines == 0)
			return i;
	}
	return len;
}

/* Bare LF as CRLF, a CRLF after a last line without one: unstuffed. */
static void
ref_convert(const char *in, size_t len, struct buf *b)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			buf_add(b, "\r", 1);
		buf_add(b, in + i, 1);
	}
	if (len > 0 && in[len - 1] != '\n')
		buf_add(b, "\r\n", 2);
}

/*
 * Check converted output: every LF follows a CR, it ends with the
 * terminator, and every line that starts with '.', lines split at a CR
 * or an LF alike, is stuffed: no reader, strict or splitting on bare CR
 * as well, finds a lone "." before the end.  Leaves the message as the
 * latter unstuffs it, terminator removed, in u.
 */
static void
check_output(const struct buf *o, struct buf *u)
{
	size_t	i, start;

	if (o->len < 3 || memcmp(o->p + o->len - 3, ".\r\n", 3) != 0)
		abort();
	if (o->len > 3 && (o->len < 5 ||
	    memcmp(o->p + o->len - 5, "\r\n", 2) != 0))
		abort();
	for (i = 0; i < o->len; i++)
		if (o->p[i] == '\n' && (i == 0 || o->p[i - 1] != '\r'))
			abort();
	for (start = 0; start < o->len - 3; start = i) {
		for (i = start; i < o->len && o->p[i] != '\n' &&
		    o->p[i] != '\r'; i++)
			;
		i++;		/* past the CR or LF; never beyond o->len */
		if (o->p[start] == '.') {
			if (i - start < 2 || o->p[start + 1] != '.')
				abort();
			buf_add(u, o->p + start + 1, i - start - 1);
		} else
			buf_add(u, o->p + start, i - start);
	}
}

/* crlf_count over [0, split) and [split, len), plus the final CRLF. */
static off_t
count_split(const char *in, size_t len, size_t split)
{
	struct crlf	 st;
	char		*a, *b;
	off_t		 n;

	a = dup_exact(in, split);
	b = dup_exact(in + split, len - split);
	crlf_init(&st, -1);
	n = crlf_count(&st, a, split);
	n += crlf_count(&st, b, len - split);
	n += crlf_count_finish(&st);
	free(a);
	free(b);
	return n;
}

static void
run(const char *in, size_t len, size_t split, size_t outsz,
    long long toplines, off_t retr_size)
{
	struct crlf	 st;
	struct buf	 o = { 0 }, u = { 0 }, r = { 0 };
	char		*chunk, *out, *fin;
	size_t		 off, end, base, used, n;

	if ((out = malloc(outsz)) == NULL || (fin = malloc(5)) == NULL)
		abort();
	crlf_init(&st, toplines);
	/* Nothing in, nothing out. */
	if (crlf_convert(&st, in, 0, out, outsz, &used) != 0 || used != 0)
		abort();
	for (off = 0; off < len && !st.done; ) {
		end = off < split ? split : len;
		base = off;
		chunk = dup_exact(in + base, end - base);
		while (off < end && !st.done) {
			n = crlf_convert(&st, chunk + (off - base), end - off,
			    out, outsz, &used);
			if (n > outsz || used > end - off ||
			    (n == 0 && used == 0))
				abort();
			buf_add(&o, out, n);
			off += used;
		}
		free(chunk);
	}
	if (crlf_finish(&st, fin, 4) != 0)
		abort();
	n = crlf_finish(&st, fin, 5);
	if (n != 3 && n != 5)
		abort();
	buf_add(&o, fin, n);

	/* TOP stops right after its last line; RETR takes everything. */
	if (off != ref_used(in, len, toplines))
		abort();
	if (!st.done && off != len)
		abort();

	check_output(&o, &u);
	ref_convert(in, off, &r);
	if (u.len != r.len ||
	    (r.len > 0 && memcmp(u.p, r.p, r.len) != 0))
		abort();
	if ((off_t)u.len != count_split(in, off, split < off ? split : off))
		abort();
	if (toplines < 0 && (off_t)u.len != retr_size)
		abort();
	free(o.p);
	free(u.p);
	free(r.p);
	free(out);
	free(fin);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 fd = -1;
	const char	*in;
	size_t		 len, split, outsz;
	off_t		 sz;

	if (size < 2)
		return 0;
	if (fd == -1 && (fd = memfd_create("fuzz_crlf", 0)) == -1)
		abort();
	in = (const char *)data + 2;
	len = size - 2;
	split = (size_t)((unsigned long long)len * data[0] / 255);
	outsz = 2 + data[0] % 13;

	/* crlf_size reads the file as mda and wrkrpop do. */
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, in, len, 0) != (ssize_t)len)
		abort();
	if ((sz = crlf_size(fd)) != count_split(in, len, split))
		abort();

	run(in, len, split, outsz, -1, sz);
	run(in, len, split, outsz, data[1], sz);
	return 0;
}
