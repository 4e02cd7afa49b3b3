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
 * fuzz_pop3 -- libFuzzer target for what authpop and wrkrpop parse from
 * the network: POP3 command lines (pop3_parse) and AUTH PLAIN responses
 * (pop3_sasl_plain), the input taken both as the base64 the client sends
 * and as the payload it encodes.  User and password buffers are of exact
 * size on the heap.  Aborts when a result breaks the parser's promises.
 *
 *	make fuzz && regress/fuzz/fuzz_pop3 -max_total_time=60
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_line(const uint8_t *data, size_t size)
{
	struct pop3_line	l;
	int			r, i;

	r = pop3_parse(&l, (const char *)data, size);
	if (r != POP3_OK && r != POP3_ETOOLONG && r != POP3_EBADCHAR &&
	    r != POP3_EARG)
		abort();
	if (r != POP3_OK)
		return;
	if (size > POP3_MAXLINE - 2 || l.nargs < 0 || l.nargs > 2)
		abort();
	if (strlen(l.name) > 4)
		abort();
	for (i = 0; i < l.nargs; i++) {
		/* Arguments point into the copy, NUL-terminated there. */
		if (l.args[i] < l.buf || l.args[i] >= l.buf + sizeof(l.buf))
			abort();
		if (l.args[i] + strlen(l.args[i]) >= l.buf + sizeof(l.buf))
			abort();
		if (l.cmd != CMD_PASS && strchr(l.args[i], ' ') != NULL)
			abort();
	}
	if (l.cmd == CMD_PASS && l.nargs == 1 &&
	    memcmp(l.args[0], data + 5, size - 5) != 0)
		abort();
}

static void
b64_encode(const unsigned char *in, size_t len, char *out)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long		 acc;
	size_t			 i, k;

	/* Sextet k of a group is sent if its first k bytes are there. */
	for (i = 0; i < len; i += 3) {
		acc = (unsigned long)in[i] << 16;
		if (i + 1 < len)
			acc |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < len)
			acc |= in[i + 2];
		for (k = 0; k < 4; k++)
			*out++ = k <= len - i ?
			    b64[(acc >> (18 - 6 * k)) & 63] : '=';
	}
	*out = '\0';
}

/*
 * pop3_sasl_plain with user and pass buffers of exactly usize and psize
 * bytes on the heap, so that ASan sees a write past either.  On success
 * the results are left in *up and *pp for the caller to free.
 */
static int
plain(const char *b64, size_t usize, size_t psize, char **up, char **pp)
{
	char	*user, *pass;
	int	 r;

	if ((user = malloc(usize)) == NULL || (pass = malloc(psize)) == NULL)
		abort();
	r = pop3_sasl_plain(b64, user, usize, pass, psize);
	if (r != 0 && r != -1 && r != -2)
		abort();
	if (r == 0 && up != NULL) {
		*up = user;
		*pp = pass;
	} else {
		free(user);
		free(pass);
	}
	return r;
}

/* The input as a base64 response (it is what the client sends). */
static void
check_plain(const uint8_t *data, size_t size)
{
	char	*s, *user, *pass, *u2, *p2, *raw, *enc;
	size_t	 ulen, plen;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (plain(s, POPD_MAXUSER + 1, 512, &user, &pass) != 0) {
		free(s);
		return;
	}
	ulen = strlen(user);
	plen = strlen(pass);
	if (ulen == 0 || plen == 0 || ulen > POPD_MAXUSER || plen > 511)
		abort();

	/* The tightest buffers work, one byte less does not. */
	if (plain(s, ulen + 1, plen + 1, &u2, &p2) != 0 ||
	    strcmp(u2, user) != 0 || strcmp(p2, pass) != 0)
		abort();
	free(u2);
	free(p2);
	if (plain(s, ulen, plen + 1, NULL, NULL) != -1 ||
	    plain(s, ulen + 1, plen, NULL, NULL) != -1)
		abort();

	/* Encoded again as NUL user NUL pass, it decodes the same. */
	if ((raw = malloc(ulen + plen + 2)) == NULL ||
	    (enc = malloc((ulen + plen + 4) / 3 * 4 + 1)) == NULL)
		abort();
	raw[0] = '\0';
	memcpy(raw + 1, user, ulen);
	raw[ulen + 1] = '\0';
	memcpy(raw + ulen + 2, pass, plen);
	b64_encode((unsigned char *)raw, ulen + plen + 2, enc);
	if (plain(enc, ulen + 1, plen + 1, &u2, &p2) != 0 ||
	    strcmp(u2, user) != 0 || strcmp(p2, pass) != 0)
		abort();
	free(u2);
	free(p2);
	free(raw);
	free(enc);
	free(user);
	free(pass);
	free(s);
}

/*
 * The input as the decoded response: encoded here, so every payload is
 * reached, and the result checked against a plain reading of RFC 4616.
 */
static void
check_plain_raw(const uint8_t *data, size_t size)
{
	const uint8_t	*z, *c = NULL, *p = NULL, *nul;
	char		*enc, *user, *pass;
	size_t		 zlen, clen = 0, plen = 0, usize, psize;
	int		 want, r;

	if (size == 0 || size > POP3_SASL_MAXLINE / 4 * 3)
		return;
	if ((enc = malloc((size + 2) / 3 * 4 + 1)) == NULL)
		abort();
	b64_encode(data, size, enc);
	/* Buffer sizes from the length: now roomy, now too small. */
	usize = 1 + size % (POPD_MAXUSER + 1);
	psize = 1 + size * 7 % 97;

	want = -1;
	z = data;
	if ((nul = memchr(z, '\0', size)) != NULL) {
		zlen = nul - z;
		c = nul + 1;
		if ((nul = memchr(c, '\0', size - (c - data))) != NULL) {
			clen = nul - c;
			p = nul + 1;
			plen = size - (p - data);
			/* A password: any octets but NUL, CR and LF. */
			if (clen == 0 || plen == 0 ||
			    memchr(p, '\0', plen) != NULL ||
			    memchr(p, '\r', plen) != NULL ||
			    memchr(p, '\n', plen) != NULL)
				want = -1;
			else if (zlen != 0 &&
			    (zlen != clen || memcmp(z, c, clen) != 0))
				want = -2;
			else if (clen < usize && plen < psize)
				want = 0;
		}
	}
	r = plain(enc, usize, psize, &user, &pass);
	if (r != want)
		abort();
	if (r == 0) {
		if (strlen(user) != clen || memcmp(user, c, clen) != 0 ||
		    strlen(pass) != plen || memcmp(pass, p, plen) != 0)
			abort();
		free(user);
		free(pass);
	}
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_line(data, size);
	check_plain(data, size);
	check_plain_raw(data, size);
	return 0;
}
