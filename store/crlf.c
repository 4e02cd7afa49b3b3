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
 * crlf.c -- a maildir message as POP3 sends it: bare LF becomes CRLF,
 * CRLF and bare CR are kept, lines starting with '.' are dot-stuffed, a
 * missing final line end is added and ".\r\n" ends it (RFC 1939 section
 * 3).  The same rules give the RFC 1939 size (STAT, LIST, RETR): the
 * converted octets before dot-stuffing, so crlf_size() and crlf_convert()
 * must never disagree.  Everything streams in bounded chunks.
 *
 * A '.' after a bare CR is stuffed too, so that a client splitting lines
 * on CR as well never reads "A\r.\r\n" as the end (bare-CR smuggling).
 * Turning bare CR into CRLF would change the size of messages already
 * delivered, which their names (",W=") and popcache state and which
 * clients already hold; a stuffed dot changes no size.  A client that
 * splits on CRLF alone keeps that dot: only a message with a CR before
 * a dot, which RFC 5322 forbids, reaches it one octet longer.
 */
#include <sys/types.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "crlf.h"

#define CRLF_CHUNK	65536

/*
 * toplines -1 converts a whole message (RETR); toplines >= 0 stops after
 * the header/body separator and that many body lines (TOP).
 */
void
crlf_init(struct crlf *st, long long toplines)
{
	memset(st, 0, sizeof(*st));
	st->bol = 1;
	st->lines = toplines < 0 ? -1 : toplines;
}

/* A line end went out: track the header/body separator for TOP. */
static void
crlf_eol(struct crlf *st)
{
	int	blank;

	/* "" or a lone CR before the LF: the empty line of RFC 5322. */
	blank = st->linelen == 0 || (st->linelen == 1 && st->cr);
	st->bol = 1;
	st->cr = 0;
	st->linelen = 0;
	if (!st->inbody) {
		if (blank) {
			st->inbody = 1;
			if (st->lines == 0)
				st->done = 1;
		}
	} else if (st->lines > 0 && --st->lines == 0)
		st->done = 1;
}

/*
 * block_eol copies BLOCK bytes from in to out and returns the index of
 * the first LF or CR among them, or BLOCK if there is none: 16 bytes at
 * a time with SSE2 (every amd64), else 8 in a 64-bit word, where the
 * high bit of each byte of t is set exactly when that byte is an LF or
 * a CR.
 */
#ifdef __SSE2__
#define BLOCK	16

static unsigned int
block_eol(const char *in, char *out)
{
	__m128i		v;
	unsigned int	m;

	v = _mm_loadu_si128((const __m128i *)in);
	_mm_storeu_si128((__m128i *)out, v);
	m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v,
	    _mm_set1_epi8('\n')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
	return m == 0 ? BLOCK : (unsigned int)__builtin_ctz(m);
}
#else
#define BLOCK	8

static unsigned int
block_eol(const char *in, char *out)
{
	const uint64_t	low7 = 0x7f7f7f7f7f7f7f7fULL;
	uint64_t	w, x, y, t;

	memcpy(&w, in, 8);
	memcpy(out, &w, 8);
	x = w ^ 0x0a0a0a0a0a0a0a0aULL;
	y = w ^ 0x0d0d0d0d0d0d0d0dULL;
	t = ~(((x & low7) + low7) | x | low7) |
	    ~(((y & low7) + low7) | y | low7);
	if (t == 0)
		return BLOCK;
#if BYTE_ORDER == BIG_ENDIAN
	return __builtin_clzll(t) >> 3;
#else
	return __builtin_ctzll(t) >> 3;
#endif
}
#endif

/*
 * The common case of RETR, a block at a time: copy a block, look for a
 * line end in it, and only there do the line-end work (memchr and memcpy
 * per line cost 5 times more on short lines).  Stops with less than a
 * block of input or a block and 4 octets of output left (the byte loop
 * in crlf_convert does the rest) and never inside a line end.  TOP,
 * which counts lines, takes the byte loop only.
 */
static void
convert_blocks(struct crlf *st, const char *in, size_t inlen, char *out,
    size_t outsz, size_t *ip, size_t *op)
{
	size_t		i = 0, o = 0;
	unsigned int	k;

	while (inlen - i >= BLOCK && outsz - o >= BLOCK + 4) {
		if (st->bol || (i > 0 ? in[i - 1] == '\r' : st->cr)) {
			st->bol = 0;
			if (in[i] == '.') {
				out[o++] = '.';
				st->stuffed++;
			}
		}
		if ((k = block_eol(in + i, out + o)) == BLOCK) {
			i += BLOCK;
			o += BLOCK;
			continue;
		}
		/* CRLF at once; a bare CR as it is, what follows it next. */
		if (in[i + k] == '\r') {
			if (i + k + 1 < inlen && in[i + k + 1] == '\n') {
				out[o + k + 1] = '\n';
				i++;
				o++;
				st->bol = 1;
			}
			i += k + 1;
			o += k + 1;
			continue;
		}
		/* The k bytes before the LF are out; then CRLF or LF. */
		o += k;
		if (!(k > 0 ? in[i + k - 1] == '\r' : i > 0 ?
		    in[i - 1] == '\r' : st->cr))
			out[o++] = '\r';
		out[o++] = '\n';
		i += k + 1;
		st->bol = 1;
	}
	/* linelen only matters to TOP, which does not come here. */
	if (i > 0)
		st->cr = in[i - 1] == '\r';
	*ip = i;
	*op = o;
}

/*
 * Convert up to inlen bytes of the message into out, which holds outsz
 * bytes.  Returns the bytes produced and sets *consumed to the input
 * bytes used; stops early when out is nearly full or the TOP limit is
 * reached (st->done: the caller stops reading).  A CR is sent as it
 * comes, whatever follows, so nothing is held back between calls.
 * What comes out is the RFC 1939 size plus st->stuffed (and, after
 * crlf_finish, the 3 octets of the terminator): RETR needs no second
 * pass to count what it sent.
 */
size_t
crlf_convert(struct crlf *st, const char *in, size_t inlen, char *out,
    size_t outsz, size_t *consumed)
{
	const char	*lf;
	size_t		 i = 0, o = 0, n;

	if (st->lines < 0)
		convert_blocks(st, in, inlen, out, outsz, &i, &o);
	while (i < inlen && !st->done && outsz - o >= 2) {
		if (in[i] == '\n') {
			if (!st->cr)
				out[o++] = '\r';
			out[o++] = '\n';
			i++;
			crlf_eol(st);
			continue;
		}
		if (st->bol || st->cr) {
			st->bol = 0;
			if (in[i] == '.') {
				out[o++] = '.';
				st->stuffed++;
			}
		}
		/* Copy the rest of the line, up to a CR, as one run. */
		n = inlen - i;
		if (n > outsz - o)
			n = outsz - o;
		if ((lf = memchr(in + i, '\n', n)) != NULL)
			n = lf - (in + i);
		if ((lf = memchr(in + i, '\r', n)) != NULL)
			n = lf - (in + i) + 1;
		memcpy(out + o, in + i, n);
		st->cr = in[i + n - 1] == '\r';
		if (st->linelen + n >= 2)
			st->linelen = 2;
		else
			st->linelen += n;
		i += n;
		o += n;
	}
	*consumed = i;
	return o;
}

/*
 * The end of a converted message: CRLF if the last line had no line
 * end, then the terminator.  out must hold 5 bytes; returns 0 if not.
 */
size_t
crlf_finish(struct crlf *st, char *out, size_t outsz)
{
	size_t	o = 0;

	if (outsz < 5)
		return 0;
	if (!st->bol) {
		out[o++] = '\r';
		out[o++] = '\n';
		st->bol = 1;
	}
	memcpy(out + o, ".\r\n", 3);
	return o + 3;
}

/*
 * Count the RFC 1939 octets of the next len bytes of a message: each
 * LF not preceded by CR costs one more.  Call crlf_init(st, -1) first
 * and add crlf_count_finish() at the end.  For the mda, which sizes a
 * message while copying it.
 */
off_t
crlf_count(struct crlf *st, const char *buf, size_t len)
{
	const char	*p = buf, *end = buf + len, *lf;
	off_t		 extra = 0;

	if (len == 0)
		return 0;
	while (p < end && (lf = memchr(p, '\n', end - p)) != NULL) {
		if (lf == buf ? !st->cr : lf[-1] != '\r')
			extra++;
		p = lf + 1;
	}
	st->cr = end[-1] == '\r';
	st->bol = end[-1] == '\n';
	return (off_t)len + extra;
}

/* The CRLF added when the last line has no line end. */
off_t
crlf_count_finish(struct crlf *st)
{
	return st->bol ? 0 : 2;
}

/* The RFC 1939 size of the open message file fd, read from its start. */
off_t
crlf_size(int fd)
{
	struct crlf	 st;
	char		 buf[CRLF_CHUNK];
	off_t		 off = 0, total = 0;
	ssize_t		 n;

	crlf_init(&st, -1);
	for (;;) {
		if ((n = pread(fd, buf, sizeof(buf), off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		total += crlf_count(&st, buf, n);
		off += n;
	}
	return total + crlf_count_finish(&st);
}
