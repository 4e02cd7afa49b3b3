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
 * fuzz_pwscheme -- libFuzzer target for the reader of stored password
 * hashes (common/pwscheme.c): Dovecot's {SCHEME} prefixes and encoding
 * suffixes, its base64 and hexadecimal, PBKDF2's and SCRAM's fields,
 * argon2's PHC parameters, crypt(3)'s shapes.  They come from authtab, from a table
 * backend's answer (a database the site may not control) and from the
 * shadow file.
 *
 * The input, up to its first NUL, is a stored hash.  Taking it apart
 * must never crash or read out of bounds, and what it says must hold
 * together: a decoded digest fits and has its kind's length, a salted
 * one has a salt, what pwscheme_allowed takes parses and is no password
 * in clear, a refusal's sentence never shows the value.  The fast kinds
 * (digests, PBKDF2 of few rounds, crypt(3)'s at low cost) are checked
 * against a password too: a hash taken is one whose check runs and may
 * match, never an error, nor a setting crypt(3) completes (issue 86).
 *
 *	make regress/fuzz/fuzz_pwscheme &&
 *	    sh regress/fuzz/run.sh -max_total_time=60 \
 *	    regress/fuzz/fuzz_pwscheme
 */
#include <sys/types.h>

#include <crypt.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pwscheme.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A crypt(3) hash checked in a few milliseconds: run it. */
static int
cheap_crypt(const char *h)
{
	const char	*r = strstr(h, "$rounds=");

	if (h[0] != '$')
		return 1;
	if (h[1] == '2')
		return strncmp(h + 3, "$04$", 4) == 0 ||
		    strncmp(h + 3, "$05$", 4) == 0;
	if (h[1] == '5' || h[1] == '6')
		return r == NULL || strtoul(r + 8, NULL, 10) <= 5000;
	return h[1] == '1';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct crypt_data cd;
	struct pwhash	 ph;
	const char	*kind, *body, *out;
	char		 h[512], why[256], k[64];
	size_t		 n;
	int		 parsed, ok, weakok, r;

	n = size < sizeof(h) - 1 ? size : sizeof(h) - 1;
	memcpy(h, data, n);
	h[n] = '\0';

	parsed = pwscheme_parse(h, &ph) == 0;
	if (parsed) {
		if (ph.s == NULL || ph.rawlen > sizeof(ph.raw) ||
		    ph.dlen > ph.rawlen)
			abort();
		if (ph.s->method == PWM_DIGEST && ph.crypt == NULL &&
		    ph.rawlen != pwscheme_dlen(ph.s->digest))
			abort();
		if (ph.s->method == PWM_SDIGEST && ph.rawlen <= ph.dlen)
			abort();
		if (ph.s->method == PWM_PBKDF2 && (ph.rawlen != 20 ||
		    ph.saltlen == 0 || ph.rounds == 0))
			abort();
		if (ph.s->method == PWM_ARGON2 && ph.kib == 0)
			abort();
		/* Within the ceiling, or never checked. */
		if (ph.kib > PWS_MEMHARD_KIB && !(ph.flags & PWS_COSTLY))
			abort();
		if ((ph.flags & PWS_COSTLY) &&
		    (pwscheme_verify("x", &ph) != -1 || errno != E2BIG))
			abort();
		if ((ph.s->method == PWM_CRAMMD5 && ph.rawlen != 32) ||
		    (ph.s->method == PWM_DIGESTMD5 && ph.rawlen != 16) ||
		    (ph.s->method == PWM_NTLM && ph.rawlen != 16))
			abort();
		/* SCRAM: StoredKey, then a salt; its rounds counted. */
		if (ph.s->method == PWM_SCRAM && (ph.rawlen <= ph.dlen ||
		    ph.dlen != pwscheme_dlen(ph.s->digest) || ph.rounds == 0))
			abort();
		if (ph.s->method == PWM_DIGESTMD5)
			ph.user = "alice@example.org";
		if ((ph.s->method == PWM_DIGEST && ph.crypt == NULL) ||
		    ph.s->method == PWM_SDIGEST ||
		    ph.s->method == PWM_CRAMMD5 ||
		    ph.s->method == PWM_DIGESTMD5 ||
		    ph.s->method == PWM_NTLM ||
		    ((ph.s->method == PWM_PBKDF2 ||
		    ph.s->method == PWM_SCRAM) && ph.rounds <= 2000)) {
			r = pwscheme_verify("correct horse", &ph);
			if (r != 0 && errno != EACCES)
				abort();
		}
		if (ph.s->method == PWM_CRYPT && cheap_crypt(ph.crypt)) {
			r = pwscheme_verify("correct horse", &ph);
			memset(&cd, 0, sizeof(cd));
			out = crypt_rn("correct horse", ph.crypt, &cd,
			    sizeof(cd));
			if ((r != 0 && errno != EACCES) || out == NULL ||
			    strlen(out) != strlen(ph.crypt))
				abort();
		}
		if (ph.s->method == PWM_NONE &&
		    pwscheme_verify("x", &ph) != -1)
			abort();
	}
	for (weakok = 0; weakok < 2; weakok++) {
		memset(why, 0, sizeof(why));
		ok = pwscheme_allowed(h, weakok, &kind, why, sizeof(why)) == 0;
		if (ok && (!parsed || (ph.flags & (PWS_PLAIN | PWS_COSTLY)) ||
		    (!weakok && (ph.flags & PWS_WEAK))))
			abort();
		if (!ok && (why[0] == '\0' || memchr(why, '\0', sizeof(why)) ==
		    NULL))
			abort();
		/*
		 * The value is never in the sentence, but for the scheme's
		 * name, which the value might repeat.  Values of crypt's or
		 * base64's characters only: the sentence's own words are
		 * none.
		 */
		body = strchr(h, '}') != NULL ? strchr(h, '}') + 1 : h;
		memcpy(k, h, sizeof(k) - 1);
		k[body - h < (ptrdiff_t)sizeof(k) ? body - h : 0] = '\0';
		if (!ok && strlen(body) >= 8 && strpbrk(body, "$+/=") != NULL &&
		    strstr(why, body) != NULL && strstr(k, body) == NULL)
			abort();
	}
	pwscheme_kind(h, k, sizeof(k));
	if (memchr(k, '\0', sizeof(k)) == NULL)
		abort();
	(void)pwscheme_name(h);
	explicit_bzero(&ph, sizeof(ph));
	return 0;
}
