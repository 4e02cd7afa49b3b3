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
 * A maildir message as POP3 sends it (RFC 1939 section 3).  The RFC 1939
 * size is the converted octets before dot-stuffing: crlf_size() and
 * crlf_convert() must never disagree.  A '.' after a bare CR is stuffed
 * too, so a client splitting on CR never reads "A\r.\r\n" as the end;
 * turning bare CR into CRLF would change sizes clients already hold.
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

void
crlf_init(struct crlf *st, long long toplines)
{
	memset(st, 0, sizeof(*st));
	st->bol = 1;
	st->lines = toplines < 0 ? -1 : toplines;
}

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
 * The index of the first LF or CR of BLOCK bytes copied: the high bit of
 * each byte of t is set exactly when that byte is an LF or a CR.
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
 * RETR's common case: memchr and memcpy per line cost 5 times more on
 * short lines.  Never stops inside a line end; TOP takes the byte loop.
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
 * A CR is sent as it comes, so nothing is held back between calls.  The
 * output is the RFC 1939 size plus st->stuffed: RETR needs no second
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

/* For the mda, which sizes a message while copying it. */
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

off_t
crlf_count_finish(struct crlf *st)
{
	return st->bol ? 0 : 2;
}

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
