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
 * The checks of each kind of stored hash, run by authpop's checker
 * threads: nothing here keeps state, and every secret is wiped.
 * libargon2, not libsodium: it reads every PHC string, PHP's p>1 too.
 */
#include <sys/types.h>

#include <argon2.h>
#include <errno.h>
#ifdef __OpenBSD__
/* OpenBSD's libc has no MD4: libcrypto's, of the same interface. */
#define OPENSSL_API_COMPAT	0x10100000L	/* check.py: OpenSSL 3 */
#include <openssl/md4.h>
#define MD4Init		MD4_Init
#define MD4Update	MD4_Update
#define MD4Final	MD4_Final
#else
#include <md4.h>
#endif
#include <md5.h>
#include <pthread.h>
#include <sha1.h>
#include <sha2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "pwscheme.h"

#define HMAC_BLOCK	64

union hctx {
	MD4_CTX		m4;
	MD5_CTX		m5;
	SHA1_CTX	s1;
	SHA2_CTX	s2;
};

static void
h_init(int d, union hctx *c)
{
	if (d == PWD_MD4)
		MD4Init(&c->m4);
	else if (d == PWD_MD5)
		MD5Init(&c->m5);
	else if (d == PWD_SHA1)
		SHA1Init(&c->s1);
	else if (d == PWD_SHA256)
		SHA256Init(&c->s2);
	else if (d == PWD_SHA512)
		SHA512Init(&c->s2);
}

static void
h_update(int d, union hctx *c, const void *p, size_t n)
{
	if (d == PWD_MD4)
		MD4Update(&c->m4, p, n);
	else if (d == PWD_MD5)
		MD5Update(&c->m5, p, n);
	else if (d == PWD_SHA1)
		SHA1Update(&c->s1, p, n);
	else if (d == PWD_SHA256)
		SHA256Update(&c->s2, p, n);
	else if (d == PWD_SHA512)
		SHA512Update(&c->s2, p, n);
}

static void
h_final(int d, union hctx *c, unsigned char *out)
{
	if (d == PWD_MD4)
		MD4Final(out, &c->m4);
	else if (d == PWD_MD5)
		MD5Final(out, &c->m5);
	else if (d == PWD_SHA1)
		SHA1Final(out, &c->s1);
	else if (d == PWD_SHA256)
		SHA256Final(out, &c->s2);
	else if (d == PWD_SHA512)
		SHA512Final(out, &c->s2);
}

static void
digest(int d, const void *a, size_t alen, const void *b, size_t blen,
    unsigned char *out)
{
	union hctx	c;

	h_init(d, &c);
	h_update(d, &c, a, alen);
	h_update(d, &c, b, blen);
	h_final(d, &c, out);
	explicit_bzero(&c, sizeof(c));
}

static void
hmac_init(int d, const void *key, size_t klen, union hctx *in,
    union hctx *outer)
{
	unsigned char	 k[HMAC_BLOCK];
	size_t		 i;

	memset(k, 0, sizeof(k));
	if (klen > HMAC_BLOCK)
		digest(d, key, klen, "", 0, k);
	else
		memcpy(k, key, klen);
	for (i = 0; i < HMAC_BLOCK; i++)
		k[i] ^= 0x36;
	h_init(d, in);
	h_update(d, in, k, HMAC_BLOCK);
	for (i = 0; i < HMAC_BLOCK; i++)
		k[i] ^= 0x36 ^ 0x5c;
	h_init(d, outer);
	h_update(d, outer, k, HMAC_BLOCK);
	explicit_bzero(k, sizeof(k));
}

static void
hmac_final(int d, const union hctx *in, const union hctx *outer,
    const void *a, size_t alen, const void *b, size_t blen, unsigned char *out)
{
	union hctx	c;
	size_t		dlen = pwscheme_dlen(d);

	c = *in;
	h_update(d, &c, a, alen);
	h_update(d, &c, b, blen);
	h_final(d, &c, out);
	c = *outer;
	h_update(d, &c, out, dlen);
	h_final(d, &c, out);
	explicit_bzero(&c, sizeof(c));
}

/* Its first block only: Dovecot's PBKDF2 key and SCRAM's are one block. */
static void
pbkdf2(int d, const char *pass, const void *salt, size_t saltlen,
    unsigned int rounds, unsigned char *out)
{
	union hctx	 in, outer;
	unsigned char	 u[SHA256_DIGEST_LENGTH];
	size_t		 dlen = pwscheme_dlen(d), i;
	unsigned int	 r;

	hmac_init(d, pass, strlen(pass), &in, &outer);
	hmac_final(d, &in, &outer, salt, saltlen, "\0\0\0\1", 4, u);
	memcpy(out, u, dlen);
	for (r = 1; r < rounds; r++) {
		hmac_final(d, &in, &outer, u, dlen, "", 0, u);
		for (i = 0; i < dlen; i++)
			out[i] ^= u[i];
	}
	explicit_bzero(u, sizeof(u));
	explicit_bzero(&in, sizeof(in));
	explicit_bzero(&outer, sizeof(outer));
}

static void
scram(int d, const char *pass, const unsigned char *salt, size_t saltlen,
    unsigned int rounds, unsigned char *out)
{
	union hctx	 in, outer;
	unsigned char	 sp[SHA256_DIGEST_LENGTH];
	size_t		 dlen = pwscheme_dlen(d);

	pbkdf2(d, pass, salt, saltlen, rounds, sp);
	hmac_init(d, sp, dlen, &in, &outer);
	hmac_final(d, &in, &outer, "Client Key", 10, "", 0, sp);
	digest(d, sp, dlen, "", 0, out);
	explicit_bzero(sp, sizeof(sp));
	explicit_bzero(&in, sizeof(in));
	explicit_bzero(&outer, sizeof(outer));
}

/* -1 if pass is not UTF-8: no such password matches. */
static int
ntlm(const char *pass, unsigned char out[16])
{
	static const uint32_t	 least[] = { 0, 0x80, 0x800, 0x10000 };
	union hctx		 c;
	const unsigned char	*p = (const unsigned char *)pass;
	unsigned char		 u[4];
	uint32_t		 cp;
	int			 n, more, i, rv = 0;

	h_init(PWD_MD4, &c);
	while (*p != '\0') {
		for (n = 0; n < 5 && (*p & (0x80 >> n)) != 0; n++)
			;
		if (n == 1 || n > 4) {
			rv = -1;
			break;
		}
		more = n > 0 ? n - 1 : 0;
		cp = *p++ & (0x7f >> n);
		for (i = 0; i < more && (*p & 0xc0) == 0x80; i++)
			cp = cp << 6 | (*p++ & 0x3f);
		if (i < more || cp < least[more] || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			rv = -1;
			break;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			u[0] = (0xd800 | cp >> 10) & 0xff;
			u[1] = (0xd800 | cp >> 10) >> 8;
			u[2] = (0xdc00 | (cp & 0x3ff)) & 0xff;
			u[3] = (0xdc00 | (cp & 0x3ff)) >> 8;
			h_update(PWD_MD4, &c, u, 4);
		} else {
			u[0] = cp & 0xff;
			u[1] = cp >> 8;
			h_update(PWD_MD4, &c, u, 2);
		}
	}
	h_final(PWD_MD4, &c, out);
	explicit_bzero(&c, sizeof(c));
	explicit_bzero(u, sizeof(u));
	return rv;
}

/* Each MD5 state as its four words, least significant byte first. */
static void
cram_md5(const char *pass, unsigned char out[32])
{
	union hctx	 st[2];		/* outer, inner: Dovecot's order */
	size_t		 i, w;
	int		 pad;

	hmac_init(PWD_MD5, pass, strlen(pass), &st[1], &st[0]);
	for (pad = 0; pad < 2; pad++)
		for (w = 0; w < 4; w++)
			for (i = 0; i < 4; i++)
				out[pad * 16 + w * 4 + i] =
				    (st[pad].m5.state[w] >> (8 * i)) & 0xff;
	explicit_bzero(st, sizeof(st));
}

/* The realm is after the login's last '@', as doveadm pw -u makes it. */
static void
digest_md5(const char *user, const char *pass, unsigned char out[16])
{
	MD5_CTX		 c;
	const char	*at;

	if ((at = strrchr(user, '@')) == NULL)
		at = user + strlen(user);
	MD5Init(&c);
	MD5Update(&c, (const uint8_t *)user, at - user);
	MD5Update(&c, (const uint8_t *)":", 1);
	if (*at == '@')
		MD5Update(&c, (const uint8_t *)at + 1, strlen(at + 1));
	MD5Update(&c, (const uint8_t *)":", 1);
	MD5Update(&c, (const uint8_t *)pass, strlen(pass));
	MD5Final(out, &c);
	explicit_bzero(&c, sizeof(c));
}

int
pwscheme_verify(const char *pass, const struct pwhash *ph)
{
	unsigned char	 got[SHA512_DIGEST_LENGTH];
	int		 r, nomatch = 0;

	/* Over its kind's ceiling: refused where it was read, never run. */
	if (ph->flags & PWS_COSTLY) {
		errno = E2BIG;
		return -1;
	}
	if (ph->crypt != NULL && ph->s->method != PWM_ARGON2)
		return compat_checkpass(pass, ph->crypt);
	switch (ph->s->method) {
	case PWM_ARGON2:
		if ((r = argon2_verify(ph->crypt, pass, strlen(pass),
		    strncmp(ph->crypt, "$argon2id$", 10) == 0 ? Argon2_id :
		    Argon2_i)) == ARGON2_OK)
			return 0;
		errno = r == ARGON2_VERIFY_MISMATCH ? EACCES :
		    r == ARGON2_MEMORY_ALLOCATION_ERROR ? ENOMEM : EINVAL;
		return -1;
	case PWM_DIGEST:
		digest(ph->s->digest, pass, strlen(pass), "", 0, got);
		break;
	case PWM_SDIGEST:
		digest(ph->s->digest, pass, strlen(pass), ph->raw + ph->dlen,
		    ph->rawlen - ph->dlen, got);
		break;
	case PWM_PBKDF2:
		pbkdf2(PWD_SHA1, pass, ph->salt, ph->saltlen, ph->rounds, got);
		break;
	case PWM_SCRAM:
		scram(ph->s->digest, pass, ph->raw + ph->dlen,
		    ph->rawlen - ph->dlen, ph->rounds, got);
		break;
	case PWM_NTLM:
		nomatch = ntlm(pass, got) == -1;
		break;
	case PWM_CRAMMD5:
		cram_md5(pass, got);
		break;
	case PWM_DIGESTMD5:
		nomatch = ph->user == NULL;
		digest_md5(ph->user != NULL ? ph->user : "", pass, got);
		break;
	default:
		/* Plaintext kinds are never checked: they never load. */
		errno = EINVAL;
		return -1;
	}
	r = !nomatch && timingsafe_bcmp(got, ph->raw, ph->dlen) == 0 ? 0 : -1;
	explicit_bzero(got, sizeof(got));
	if (r == -1)
		errno = EACCES;
	return r;
}

int
pwscheme_check(const char *pass, const char *hash)
{
	struct pwhash	ph;
	int		r;

	if (pwscheme_parse(hash, &ph) == -1)
		return -1;
	/* explicit_bzero leaves errno as pwscheme_verify set it. */
	r = pwscheme_verify(pass, &ph);
	explicit_bzero(&ph, sizeof(ph));
	return r;
}

static void *
exit_at_once(void *arg)
{
	pthread_exit(arg);
}

/*
 * Before the chroot: glibc opens libgcc_s at the first pthread_exit(3)
 * and aborts if it cannot; libargon2 ends each lane's thread so.
 */
int
pwscheme_init(void)
{
	pthread_t	t;

	if ((errno = pthread_create(&t, NULL, exit_at_once, NULL)) != 0 ||
	    (errno = pthread_join(t, NULL)) != 0)
		return -1;
	return 0;
}
