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
 * scheme.c -- the checks of each kind of stored hash (pwscheme.c takes
 * them apart): crypt(3) for its own, libargon2 for argon2, libmd's
 * digests for Dovecot's salted and unsalted SHA and MD5, PBKDF2 on
 * HMAC-SHA1 for Dovecot's PBKDF2, and Dovecot's CRAM-MD5 and DIGEST-MD5
 * secrets, which a typed password is checked against as Dovecot does.  Run by authpop's checker threads
 * (check.c): nothing here keeps state, and every secret is wiped.
 *
 * libargon2, not libsodium: it reads every PHC string, PHP's
 * password_hash with more than one thread (p>1) too, where libsodium
 * takes p=1 only; and it is the reference code and nothing more.
 */
#include <sys/types.h>

#include <argon2.h>
#include <errno.h>
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

/* H(a b) into out. */
static void
digest(int d, const void *a, size_t alen, const void *b, size_t blen,
    unsigned char *out)
{
	MD5_CTX		m;
	SHA1_CTX	s1;
	SHA2_CTX	s2;

	switch (d) {
	case PWD_MD5:
		MD5Init(&m);
		MD5Update(&m, a, alen);
		MD5Update(&m, b, blen);
		MD5Final(out, &m);
		explicit_bzero(&m, sizeof(m));
		break;
	case PWD_SHA1:
		SHA1Init(&s1);
		SHA1Update(&s1, a, alen);
		SHA1Update(&s1, b, blen);
		SHA1Final(out, &s1);
		explicit_bzero(&s1, sizeof(s1));
		break;
	case PWD_SHA256:
		SHA256Init(&s2);
		SHA256Update(&s2, a, alen);
		SHA256Update(&s2, b, blen);
		SHA256Final(out, &s2);
		explicit_bzero(&s2, sizeof(s2));
		break;
	case PWD_SHA512:
		SHA512Init(&s2);
		SHA512Update(&s2, a, alen);
		SHA512Update(&s2, b, blen);
		SHA512Final(out, &s2);
		explicit_bzero(&s2, sizeof(s2));
		break;
	}
}

/*
 * PBKDF2-HMAC-SHA1 (RFC 8018), its first block: Dovecot's key is 20
 * bytes, one block.  The HMAC's inner and outer states are made once.
 */
static void
pbkdf2_sha1(const char *pass, const char *salt, size_t saltlen,
    unsigned int rounds, unsigned char out[SHA1_DIGEST_LENGTH])
{
	SHA1_CTX	 in, outer, c;
	unsigned char	 k[HMAC_BLOCK], u[SHA1_DIGEST_LENGTH];
	size_t		 plen = strlen(pass), i;
	unsigned int	 r;

	memset(k, 0, sizeof(k));
	if (plen > HMAC_BLOCK) {
		SHA1Init(&c);
		SHA1Update(&c, (const uint8_t *)pass, plen);
		SHA1Final(k, &c);
	} else
		memcpy(k, pass, plen);
	for (i = 0; i < HMAC_BLOCK; i++)
		k[i] ^= 0x36;
	SHA1Init(&in);
	SHA1Update(&in, k, HMAC_BLOCK);
	for (i = 0; i < HMAC_BLOCK; i++)
		k[i] ^= 0x36 ^ 0x5c;
	SHA1Init(&outer);
	SHA1Update(&outer, k, HMAC_BLOCK);

	/* U1 = HMAC(pass, salt INT(1)). */
	c = in;
	SHA1Update(&c, (const uint8_t *)salt, saltlen);
	SHA1Update(&c, (const uint8_t *)"\0\0\0\1", 4);
	SHA1Final(u, &c);
	c = outer;
	SHA1Update(&c, u, sizeof(u));
	SHA1Final(u, &c);
	memcpy(out, u, sizeof(u));
	for (r = 1; r < rounds; r++) {
		c = in;
		SHA1Update(&c, u, sizeof(u));
		SHA1Final(u, &c);
		c = outer;
		SHA1Update(&c, u, sizeof(u));
		SHA1Final(u, &c);
		for (i = 0; i < sizeof(u); i++)
			out[i] ^= u[i];
	}
	explicit_bzero(k, sizeof(k));
	explicit_bzero(u, sizeof(u));
	explicit_bzero(&in, sizeof(in));
	explicit_bzero(&outer, sizeof(outer));
	explicit_bzero(&c, sizeof(c));
}

/*
 * Dovecot's CRAM-MD5 secret of pass (RFC 2104's precomputation): the
 * MD5 states after the key's outer and then inner pad block, each as
 * its four words, least significant byte first.
 */
static void
cram_md5(const char *pass, unsigned char out[32])
{
	MD5_CTX		 c;
	unsigned char	 k[HMAC_BLOCK];
	size_t		 plen = strlen(pass), i, w;
	int		 pad;

	memset(k, 0, sizeof(k));
	if (plen > HMAC_BLOCK) {
		MD5Init(&c);
		MD5Update(&c, (const uint8_t *)pass, plen);
		MD5Final(k, &c);
	} else
		memcpy(k, pass, plen);
	for (pad = 0; pad < 2; pad++) {
		for (i = 0; i < HMAC_BLOCK; i++)
			k[i] ^= pad == 0 ? 0x5c : 0x5c ^ 0x36;
		MD5Init(&c);
		/* One whole block: the state is its compression's. */
		MD5Update(&c, k, HMAC_BLOCK);
		for (w = 0; w < 4; w++)
			for (i = 0; i < 4; i++)
				out[pad * 16 + w * 4 + i] =
				    (c.state[w] >> (8 * i)) & 0xff;
	}
	explicit_bzero(k, sizeof(k));
	explicit_bzero(&c, sizeof(c));
}

/*
 * Dovecot's DIGEST-MD5 secret: MD5(user:realm:pass), the realm after
 * the login's last '@' (none: empty), as doveadm pw -u makes it.
 */
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

/*
 * 0 if pass matches the stored hash taken apart in ph; else -1 with
 * errno EACCES for a wrong password, another when it cannot be checked.
 */
int
pwscheme_verify(const char *pass, const struct pwhash *ph)
{
	unsigned char	 got[SHA512_DIGEST_LENGTH];
	int		 r = -1, e = EACCES;

	if (ph->s == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* Over its kind's ceiling: refused where it was read, never run. */
	if (ph->flags & PWS_COSTLY) {
		errno = E2BIG;
		return -1;
	}
	if (ph->crypt != NULL && ph->s->method != PWM_ARGON2)
		return compat_checkpass(pass, ph->crypt);
	switch (ph->s->method) {
	case PWM_ARGON2:
		switch (argon2_verify(ph->crypt, pass, strlen(pass),
		    strncmp(ph->crypt, "$argon2id$", 10) == 0 ? Argon2_id :
		    Argon2_i)) {
		case ARGON2_OK:
			return 0;
		case ARGON2_VERIFY_MISMATCH:
			break;
		case ARGON2_MEMORY_ALLOCATION_ERROR:
			e = ENOMEM;
			break;
		default:
			e = EINVAL;
			break;
		}
		errno = e;
		return -1;
	case PWM_DIGEST:
		digest(ph->s->digest, pass, strlen(pass), "", 0, got);
		r = timingsafe_bcmp(got, ph->raw, ph->dlen) ? -1 : 0;
		break;
	case PWM_SDIGEST:
		digest(ph->s->digest, pass, strlen(pass), ph->raw + ph->dlen,
		    ph->rawlen - ph->dlen, got);
		r = timingsafe_bcmp(got, ph->raw, ph->dlen) ? -1 : 0;
		break;
	case PWM_PBKDF2:
		pbkdf2_sha1(pass, ph->salt, ph->saltlen, ph->rounds, got);
		r = timingsafe_bcmp(got, ph->raw, ph->dlen) ? -1 : 0;
		break;
	case PWM_CRAMMD5:
		cram_md5(pass, got);
		r = timingsafe_bcmp(got, ph->raw, ph->dlen) ? -1 : 0;
		break;
	case PWM_DIGESTMD5:
		/* No login name (the timing checks): no match. */
		digest_md5(ph->user != NULL ? ph->user : "", pass, got);
		r = ph->user != NULL &&
		    timingsafe_bcmp(got, ph->raw, ph->dlen) == 0 ? 0 : -1;
		break;
	default:
		/* Plaintext kinds are never checked: they never load. */
		e = EINVAL;
		break;
	}
	explicit_bzero(got, sizeof(got));
	if (r == -1)
		errno = e;
	return r;
}

/* pwscheme_verify of a stored hash as it is written. */
int
pwscheme_check(const char *pass, const char *hash)
{
	struct pwhash	ph;
	int		r, saved;

	if (pwscheme_parse(hash, &ph) == -1)
		return -1;
	r = pwscheme_verify(pass, &ph);
	saved = errno;
	explicit_bzero(&ph, sizeof(ph));
	errno = saved;
	return r;
}

static void *
exit_at_once(void *arg)
{
	pthread_exit(arg);
}

/*
 * Before the chroot: glibc opens libgcc_s at the first pthread_exit(3),
 * to unwind the thread, and aborts the process if it cannot, and
 * libargon2 ends the thread of each lane of a hash so.  -1 with errno
 * if a thread could not be made.
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
