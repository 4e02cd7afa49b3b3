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
 * pwscheme.h -- stored hashes: crypt(3)'s, argon2's and Dovecot's "{SCHEME}".
 */
#ifndef POPD_PWSCHEME_H
#define POPD_PWSCHEME_H

#include <sys/types.h>

#define PWS_WEAK	0x01	/* fast or unsalted: only with weak-hashes */
#define PWS_PLAIN	0x02	/* the password, or as good as it: never */
#define PWS_RESET	0x04	/* of PWS_PLAIN: cannot become a hash */
#define PWS_COSTLY	0x08	/* over its kind's ceiling: never checked */

/* With weakok: over its ceiling passes (tablepop; authpop refuses it). */
#define PWA_COSTLY	0x1000

#define PWM_NONE	0	/* refused, never checked */
#define PWM_CRYPT	1	/* crypt(3): bcrypt, SHA-crypt, yescrypt, $1$ */
#define PWM_ARGON2	2	/* libargon2, a PHC string */
#define PWM_DIGEST	3	/* H(pass) */
#define PWM_SDIGEST	4	/* H(pass salt) salt */
#define PWM_PBKDF2	5	/* PBKDF2-HMAC-SHA1, Dovecot's layout */
#define PWM_CRAMMD5	6	/* HMAC-MD5's two states of pass */
#define PWM_DIGESTMD5	7	/* MD5(user:realm:pass) */
#define PWM_SCRAM	8	/* SCRAM's StoredKey: H(HMAC(PBKDF2, ...)) */
#define PWM_NTLM	9	/* MD4(UTF-16LE(pass)) */

#define PWD_MD5		1
#define PWD_SHA1	2
#define PWD_SHA256	3
#define PWD_SHA512	4
#define PWD_MD4		5

#define PWS_RAWMAX	384	/* decoded digest and salt, at most */

/*
 * Cost ceilings: a second or two of one core (SECURITY.md).  A hash over one is
 * refused where read, never checked.
 */
#define PWS_BCRYPT_MAX	14	/* bcrypt's cost (2^14 rounds) */
#define PWS_ROUNDS_MAX	2000000	/* SHA-crypt's and PBKDF2's rounds */
#define PWS_PBKDF2_MIN	5000	/* PBKDF2's rounds: fewer are weak */
/* argon2's m x t and yescrypt's N x r x p x (t + 1) x 128 bytes, KiB. */
#define PWS_MEMHARD_KIB	(256 * 1024)

struct pwscheme {
	const char	*name;		/* "SSHA512", as Dovecot spells it */
	int		 flags;		/* PWS_* */
	int		 method;	/* PWM_* */
	int		 digest;	/* PWD_*, of PWM_*DIGEST */
};

struct pwhash {
	const struct pwscheme	*s;
	int			 flags;	/* s's, or PWS_WEAK for {CRYPT}$1$ */
	const char		*crypt;	/* PWM_CRYPT, PWM_ARGON2: in hash */
	unsigned char		 raw[PWS_RAWMAX];	/* digest, then salt */
	size_t			 rawlen;
	size_t			 dlen;	/* the digest's part of raw */
	const char		*salt;	/* PWM_PBKDF2: in hash, saltlen */
	size_t			 saltlen;
	unsigned int		 rounds;	/* PWM_PBKDF2, PWM_SCRAM */
	unsigned int		 kib;	/* argon2, yescrypt: memory, KiB */
	const char		*over;	/* PWS_COSTLY: the ceiling passed */
	const char		*user;	/* DIGESTMD5: the login's */
};

/* pwscheme.c */
int		 pwscheme_parse(const char *, struct pwhash *);
int		 pwscheme_allowed(const char *, int, const char **, char *,
		    size_t);
void		 pwscheme_kind(const char *, char *, size_t);
const char	*pwscheme_name(const char *);
const char	*pwscheme_hname(const struct pwhash *);
size_t		 pwscheme_dlen(int);

/* authpop/scheme.c */
int		 pwscheme_init(void);
int		 pwscheme_verify(const char *, const struct pwhash *);
int		 pwscheme_check(const char *, const char *);

#endif
