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
 * lmtpref.h -- for test_lmtpcmd.c and fuzz_lmtp.c: a growing buffer, and
 * the reference the DATA decoder (popd/lmtp_cmd.c) is checked against,
 * written the plain way, a line at a time.
 */

struct buf {
	char	*p;
	size_t	 len, cap;
};

static void
buf_add(struct buf *b, const char *p, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len) * 2 + 16;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			abort();
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
}

/*
 * The reference: CRLF-delimited lines; "." alone ends the message; a
 * leading "." is removed; each line gets LF.  An unfinished last line
 * is given as the decoder must give it: its dot removed, a last CR
 * kept back.
 */
static size_t
reference(const char *in, size_t len, struct buf *out, int *done)
{
	const char	*p = in, *end = in + len, *q;
	size_t		 n;

	out->len = 0;
	buf_add(out, "", 0);
	*done = 0;
	for (;;) {
		for (q = p; q + 1 < end && !(q[0] == '\r' && q[1] == '\n'); q++)
			;
		if (q + 1 >= end)
			break;
		if (q - p == 1 && *p == '.') {
			*done = 1;
			return q + 2 - in;
		}
		if (q > p && *p == '.')
			p++;
		buf_add(out, p, q - p);
		buf_add(out, "\n", 1);
		p = q + 2;
	}
	n = end - p;
	if (n > 0 && *p == '.') {
		p++;
		n--;
	}
	if (n > 0 && p[n - 1] == '\r')
		n--;
	buf_add(out, p, n);
	return p + n - in;
}
