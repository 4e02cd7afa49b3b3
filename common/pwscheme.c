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
 * What a stored password hash is, before anything checks it: crypt(3)'s
 * kinds, argon2's PHC strings and Dovecot's "{SCHEME}" ones.  Nothing
 * here logs, and nothing here ever shows a hash.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "pwscheme.h"

#define ENC_DEFAULT	0
#define ENC_HEX		1
#define ENC_B64		2

static const struct pwscheme schemes[] = {
	{ "CRYPT",		0,		PWM_CRYPT,	0 },
	{ "BLF-CRYPT",		0,		PWM_CRYPT,	0 },
	{ "SHA256-CRYPT",	0,		PWM_CRYPT,	0 },
	{ "SHA512-CRYPT",	0,		PWM_CRYPT,	0 },
	{ "MD5-CRYPT",		PWS_WEAK,	PWM_CRYPT,	0 },
	/* crypt(3)'s DES: 8 characters of password, 12 bits of salt. */
	{ "DES-CRYPT",		PWS_WEAK,	PWM_CRYPT,	0 },
	{ "ARGON2I",		0,		PWM_ARGON2,	0 },
	{ "ARGON2ID",		0,		PWM_ARGON2,	0 },
	/* A salt slows no guess: as fast as {SHA}. */
	{ "SSHA",		PWS_WEAK,	PWM_SDIGEST,	PWD_SHA1 },
	{ "SSHA256",		PWS_WEAK,	PWM_SDIGEST,	PWD_SHA256 },
	{ "SSHA512",		PWS_WEAK,	PWM_SDIGEST,	PWD_SHA512 },
	{ "PBKDF2",		0,		PWM_PBKDF2,	PWD_SHA1 },
	{ "SMD5",		PWS_WEAK,	PWM_SDIGEST,	PWD_MD5 },
	/* Dovecot's MD5 is md5crypt, or else PLAIN-MD5. */
	{ "MD5",		PWS_WEAK,	PWM_DIGEST,	PWD_MD5 },
	{ "PLAIN-MD5",		PWS_WEAK,	PWM_DIGEST,	PWD_MD5 },
	{ "LDAP-MD5",		PWS_WEAK,	PWM_DIGEST,	PWD_MD5 },
	{ "SHA",		PWS_WEAK,	PWM_DIGEST,	PWD_SHA1 },
	{ "SHA1",		PWS_WEAK,	PWM_DIGEST,	PWD_SHA1 },
	{ "SHA256",		PWS_WEAK,	PWM_DIGEST,	PWD_SHA256 },
	{ "SHA512",		PWS_WEAK,	PWM_DIGEST,	PWD_SHA512 },
	/* Dovecot's CRAM-MD5 and DIGEST-MD5 secrets: unsalted MD5. */
	{ "CRAM-MD5",		PWS_WEAK,	PWM_CRAMMD5,	PWD_MD5 },
	{ "HMAC-MD5",		PWS_WEAK,	PWM_CRAMMD5,	PWD_MD5 },
	{ "DIGEST-MD5",		PWS_WEAK,	PWM_DIGESTMD5,	PWD_MD5 },
	{ "PLAIN-MD4",		PWS_WEAK,	PWM_DIGEST,	PWD_MD4 },
	{ "NTLM",		PWS_WEAK,	PWM_NTLM,	PWD_MD4 },
	/*
	 * SCRAM's StoredKey: slow to guess, yet weak, for it is all a
	 * client needs to log in with SCRAM wherever it is taken.
	 */
	{ "SCRAM-SHA-1",	PWS_WEAK,	PWM_SCRAM,	PWD_SHA1 },
	{ "SCRAM-SHA-256",	PWS_WEAK,	PWM_SCRAM,	PWD_SHA256 },
	{ "PLAIN",		PWS_PLAIN,	PWM_NONE,	0 },
	{ "CLEAR",		PWS_PLAIN,	PWM_NONE,	0 },
	{ "CLEARTEXT",		PWS_PLAIN,	PWM_NONE,	0 },
	/* Secrets a login proves without the password, or a cut one. */
	{ "PLAIN-TRUNC",	PWS_PLAIN | PWS_RESET, PWM_NONE, 0 },
	{ "LANMAN",		PWS_PLAIN | PWS_RESET, PWM_NONE, 0 },
	{ "RPA",		PWS_PLAIN | PWS_RESET, PWM_NONE, 0 },
};

#define NSCHEMES	(sizeof(schemes) / sizeof(schemes[0]))

static const struct {
	const char	*start;
	struct pwscheme	 s;
} bare[] = {
	{ "$2a$",	{ "bcrypt",		0,	  PWM_CRYPT,	0 } },
	{ "$2b$",	{ "bcrypt",		0,	  PWM_CRYPT,	0 } },
	{ "$2y$",	{ "bcrypt",		0,	  PWM_CRYPT,	0 } },
	{ "$5$",	{ "sha256-crypt",	0,	  PWM_CRYPT,	0 } },
	{ "$6$",	{ "sha512-crypt",	0,	  PWM_CRYPT,	0 } },
	{ "$y$",	{ "yescrypt",		0,	  PWM_CRYPT,	0 } },
	{ "$1$",	{ "md5crypt",		PWS_WEAK, PWM_CRYPT,	0 } },
	{ "$argon2i$",	{ "argon2i",		0,	  PWM_ARGON2,	0 } },
	{ "$argon2id$",	{ "argon2id",		0,	  PWM_ARGON2,	0 } },
};

size_t
pwscheme_dlen(int digest)
{
	switch (digest) {
	case PWD_MD4:
	case PWD_MD5:
		return 16;
	case PWD_SHA1:
		return 20;
	case PWD_SHA256:
		return 32;
	case PWD_SHA512:
		return 64;
	}
	return 0;
}

static void
ceiling(struct pwhash *ph, int over, const char *what)
{
	if (over) {
		ph->flags |= PWS_COSTLY;
		ph->over = what;
	}
}

/* glibc's strspn(3) is slow with a set of 64, and authtab is big. */
static size_t
crypt64_span(const char *s)
{
	const char	*p = s;

	while ((unsigned char)((*p | 0x20) - 'a') < 26 ||
	    (unsigned char)(*p - '.') < 12)
		p++;
	return p - s;
}

/* yescrypt's variable-length base64 (libxcrypt's alg-yescrypt-common.c). */
static int64_t
yescrypt_number(const char **s, int64_t min)
{
	static const char	 itoa64[] = "./0123456789"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	const char		*c;
	int64_t			 v = min, start = 0, end = 47, bits = 0;
	int			 more = 0;

	if (**s == '\0' || (c = strchr(itoa64, **s)) == NULL)
		return -1;
	(*s)++;
	while (c - itoa64 > end) {
		v += (end + 1 - start) << bits;
		start = end + 1;
		end = start + (62 - end) / 2;
		more++;
		bits += 6;
	}
	v += (c - itoa64 - start) << bits;
	for (; more > 0; more--) {
		if (**s == '\0' || (c = strchr(itoa64, **s)) == NULL)
			return -1;
		(*s)++;
		bits -= 6;
		v += (int64_t)(c - itoa64) << bits;
	}
	return v;
}

/*
 * Memory is 128 x N x r bytes (the memory-hard budget, authpop/check.c);
 * the ceiling is on that times p and t + 1, which multiply its time.
 */
static int
yescrypt_cost(const char *s, struct pwhash *ph)
{
	int64_t		 nlog2, r, have = 0, par = 1, t = 0;
	uint64_t	 units, max = (uint64_t)PWS_MEMHARD_KIB * 8;

	if (yescrypt_number(&s, 0) == -1 ||
	    (nlog2 = yescrypt_number(&s, 1)) == -1 || nlog2 > 63 ||
	    (r = yescrypt_number(&s, 1)) == -1)
		return 0;
	if (*s != '$' && (have = yescrypt_number(&s, 1)) == -1)
		return 0;
	if ((have & ~3) != 0 ||
	    ((have & 1) && (par = yescrypt_number(&s, 2)) == -1) ||
	    ((have & 2) && (t = yescrypt_number(&s, 1)) == -1) || *s != '$')
		return 0;
	/* In units of 128 bytes; each factor is below 2^37. */
	units = nlog2 > 40 ? max + 1 : (uint64_t)1 << nlog2;
	if (units <= max)
		units *= (uint64_t)r;
	ph->kib = units <= max ? (units + 7) / 8 : PWS_MEMHARD_KIB + 1;
	if (units <= max)
		units *= (uint64_t)par;
	if (units <= max)
		units *= (uint64_t)t + 1;
	ceiling(ph, units > max,
	    "N x r x p x (t + 1) x 128 bytes at most 256 MiB");
	return 1;
}

/*
 * A cost over its kind's ceiling makes the hash PWS_COSTLY, as musl's
 * crypt(3) refuses SHA-crypt's rounds over its own.
 */
static int
crypt_valid(const char *h, struct pwhash *ph)
{
	size_t		 len = strlen(h), n;
	unsigned long	 rounds = 0;
	const char	*p;
	int		 cost;

	if (len == 60 && h[0] == '$' && h[1] == '2' &&
	    (h[2] == 'a' || h[2] == 'b' || h[2] == 'y') && h[3] == '$' &&
	    isdigit((unsigned char)h[4]) && isdigit((unsigned char)h[5]) &&
	    h[6] == '$') {
		cost = (h[4] - '0') * 10 + (h[5] - '0');
		ceiling(ph, cost > PWS_BCRYPT_MAX && cost <= 31,
		    "cost at most 14");
		return cost >= 4 && cost <= 31 && crypt64_span(h + 7) == 53;
	}
		/*
		 * Whole, as libxcrypt takes it: anything less is a setting,
		 * whose check never matches: a wrong password for ever.
		 */
	if (len > 4 && h[0] == '$' && (h[1] == '5' || h[1] == '6') &&
	    h[2] == '$') {
		p = h + 3;
		if (strncmp(p, "rounds=", 7) == 0) {
			if (p[7] == '0')
				return 0;
			for (p += 7, n = 0; isdigit((unsigned char)*p) &&
			    n < 9; p++, n++)
				rounds = rounds * 10 + (*p - '0');
			if (*p++ != '$' || rounds < 1000)
				return 0;
		}
		if ((n = crypt64_span(p)) > 16 || p[n] != '$')
			return 0;
		p += n + 1;
		n = h[1] == '5' ? 43 : 86;
		if (strlen(p) != n || crypt64_span(p) != n)
			return 0;
		ceiling(ph, rounds > PWS_ROUNDS_MAX, "rounds at most 2000000");
		return 1;
	}
	if (len > 4 && h[0] == '$' && h[1] == 'y' && h[2] == '$')
		return yescrypt_cost(h + 3, ph);
	if (len > 3 && strncmp(h, "$1$", 3) == 0) {
		n = crypt64_span(h + 3);
		if (n > 8 || h[3 + n] != '$' ||
		    strlen(h + 4 + n) != 22 || crypt64_span(h + 4 + n) != 22)
			return 0;
		ph->flags |= PWS_WEAK;
		return 1;
	}
	/* DES: the last character of the digest holds only 4 bits. */
	if (len == 13 && crypt64_span(h) == 13 &&
	    strchr(".26AEIMQUYcgkosw", h[12]) != NULL) {
		ph->flags |= PWS_WEAK;
		return 1;
	}
	return 0;
}

static long
number(const char **s, const char *key, int stop, long max)
{
	const char	*p = *s;
	size_t		 n = strlen(key);
	long		 v = 0;

	if (strncmp(p, key, n) != 0)
		return -1;
	p += n;
	if (!isdigit((unsigned char)*p) || (*p == '0' && p[1] != stop))
		return -1;
	for (; isdigit((unsigned char)*p); p++)
		if ((v = v * 10 + (*p - '0')) > max)
			return -1;
	if (*p != stop)
		return -1;
	*s = p + 1;
	return v;
}

/*
 * Memory times passes is bounded (pwscheme.h): a table's hash must not
 * make authpop take a gigabyte, nor minutes, per check.
 */
static int
argon2_valid(const char *h, const char *start, struct pwhash *ph)
{
	const char	*p;
	long		 m, t, par;
	size_t		 n;

	if (strncmp(h, start, strlen(start)) != 0)
		return 0;
	p = h + strlen(start);
	if (strncmp(p, "v=", 2) == 0 && number(&p, "v=", '$', 255) == -1)
		return 0;
	if ((m = number(&p, "m=", ',', 99999999)) == -1 ||
	    (t = number(&p, "t=", ',', 99999999)) < 1 ||
	    (par = number(&p, "p=", '$', 16)) < 1 || m < 8 * par)
		return 0;
	if ((n = strspn(p, b64_alphabet)) < 11 || p[n] != '$')
		return 0;
	p += n + 1;
	if ((n = strspn(p, b64_alphabet)) < 16 || p[n] != '\0')
		return 0;
	ph->kib = m;
	ceiling(ph, (unsigned long long)m * t > PWS_MEMHARD_KIB,
	    "m x t at most 256 MiB");
	return 1;
}

static int
unhex(const char *s, unsigned char *out, size_t outsz, size_t *len)
{
	static const char	 hex[] = "0123456789abcdef";
	const char		*hi, *lo;
	size_t			 i, n = strlen(s);

	if (n == 0 || n % 2 != 0 || n / 2 > outsz)
		return -1;
	for (i = 0; i < n; i += 2) {
		hi = strchr(hex, tolower((unsigned char)s[i]));
		lo = strchr(hex, tolower((unsigned char)s[i + 1]));
		if (hi == NULL || lo == NULL)
			return -1;
		out[i / 2] = (hi - hex) << 4 | (lo - hex);
	}
	*len = n / 2;
	return 0;
}

static int
decode(const char *s, int enc, struct pwhash *ph)
{
	return enc == ENC_HEX ? unhex(s, ph->raw, sizeof(ph->raw),
	    &ph->rawlen) : b64_decode(s, ph->raw, sizeof(ph->raw), &ph->rawlen);
}

/*
 * Dovecot's "$1$SALT$ROUNDS$KEY".  Fewer rounds than Dovecot's default
 * are weak: a guess then costs less than one at SHA-crypt's default.
 */
static int
pbkdf2_parse(const char *b, struct pwhash *ph)
{
	const char	*p;
	long		 r;

	if (strncmp(b, "$1$", 3) != 0)
		return -1;
	ph->salt = b + 3;
	if ((p = strchr(ph->salt, '$')) == NULL || p == ph->salt)
		return -1;
	ph->saltlen = p - ph->salt;
	p++;
	if ((r = number(&p, "", '$', 99999999)) < 1)
		return -1;
	ph->rounds = r;
	if (r < PWS_PBKDF2_MIN)
		ph->flags |= PWS_WEAK;
	ceiling(ph, r > PWS_ROUNDS_MAX, "rounds at most 2000000");
	ph->dlen = 20;
	return decode(p, ENC_HEX, ph) == -1 || ph->rawlen != ph->dlen ? -1 : 0;
}

/* Dovecot's "ITER,SALT,STOREDKEY,SERVERKEY": raw holds StoredKey, salt. */
static int
scram_parse(const char *b, struct pwhash *ph)
{
	unsigned char	 key[PWS_RAWMAX];
	char		 buf[3 * PWS_RAWMAX], *p = buf, *part[3];
	size_t		 len, dlen = pwscheme_dlen(ph->s->digest);
	long		 r;
	int		 i, rv = -1;

	if ((r = number(&b, "", ',', 99999999)) < 1)
		return -1;
	ph->rounds = r;
	ceiling(ph, r > PWS_ROUNDS_MAX, "rounds at most 2000000");
	ph->dlen = dlen;
	if (strlcpy(buf, b, sizeof(buf)) >= sizeof(buf))
		return -1;
	for (i = 0; i < 3; i++)
		if ((part[i] = strsep(&p, ",")) == NULL || *part[i] == '\0' ||
		    strlen(part[i]) >= PWS_RAWMAX)
			goto done;
	if (p != NULL || b64_decode(part[0], key, sizeof(key), &len) == -1 ||
	    len == 0 || dlen + len > sizeof(ph->raw))
		goto done;
	memcpy(ph->raw + dlen, key, len);
	ph->rawlen = dlen + len;
	if (b64_decode(part[1], ph->raw, dlen, &len) == 0 && len == dlen &&
	    b64_decode(part[2], key, sizeof(key), &len) == 0 && len == dlen)
		rv = 0;
 done:
	explicit_bzero(key, sizeof(key));
	explicit_bzero(buf, sizeof(buf));
	return rv;
}

static int
parse_bare(const char *h, struct pwhash *ph)
{
	size_t	i;

	for (i = 0; i < sizeof(bare) / sizeof(bare[0]); i++)
		if (strncmp(h, bare[i].start, strlen(bare[i].start)) == 0)
			break;
	if (i == sizeof(bare) / sizeof(bare[0]))
		return -1;
	ph->s = &bare[i].s;
	ph->flags = ph->s->flags;
	ph->crypt = h;
	return (ph->s->method == PWM_ARGON2 ? argon2_valid(h, bare[i].start,
	    ph) : crypt_valid(h, ph)) ? 0 : -1;
}

static int
parse_digest(const struct pwscheme *s, int enc, const char *body,
    struct pwhash *ph)
{
	int	given;

	if (strcasecmp(s->name, "MD5") == 0 &&
	    strncmp(body, "$1$", 3) == 0) {
		if (enc != ENC_DEFAULT || !crypt_valid(body, ph))
			return -1;
		ph->crypt = body;
		return 0;
	}
	ph->dlen = pwscheme_dlen(s->digest);
	if (!(given = enc != ENC_DEFAULT))
		enc = s->digest != PWD_SHA1 &&
		    s->digest != PWD_SHA256 &&
		    s->digest != PWD_SHA512 &&
		    strcasecmp(s->name, "LDAP-MD5") != 0 ? ENC_HEX :
		    ENC_B64;
	if (decode(body, enc, ph) == 0 && ph->rawlen == ph->dlen)
		return 0;
	if (given || decode(body, enc == ENC_HEX ? ENC_B64 : ENC_HEX, ph) == -1)
		return -1;
	return ph->rawlen == ph->dlen ? 0 : -1;
}

static int
parse_body(const struct pwscheme *s, int enc, const char *body,
    struct pwhash *ph)
{
	switch (s->method) {
	case PWM_NONE:
		return 0;
	case PWM_CRYPT:
	case PWM_ARGON2:
		ph->crypt = body;
		return enc == ENC_DEFAULT && (s->method == PWM_CRYPT ?
		    crypt_valid(body, ph) : argon2_valid(body,
		    strcasecmp(s->name, "ARGON2I") == 0 ? "$argon2i$" :
		    "$argon2id$", ph)) ? 0 : -1;
	case PWM_PBKDF2:
		return enc == ENC_DEFAULT ? pbkdf2_parse(body, ph) : -1;
	case PWM_DIGEST:
		return parse_digest(s, enc, body, ph);
	case PWM_SCRAM:
		return enc == ENC_DEFAULT ? scram_parse(body, ph) : -1;
	case PWM_CRAMMD5:
	case PWM_DIGESTMD5:
	case PWM_NTLM:
		ph->dlen = s->method == PWM_CRAMMD5 ? 32 : 16;
		return decode(body, enc == ENC_DEFAULT ? ENC_HEX : enc, ph) ==
		    -1 || ph->rawlen != ph->dlen ? -1 : 0;
	case PWM_SDIGEST:
		ph->dlen = pwscheme_dlen(s->digest);
		return decode(body, enc == ENC_DEFAULT ? ENC_B64 : enc, ph) ==
		    -1 || ph->rawlen <= ph->dlen ? -1 : 0;
	}
	return -1;
}

/* 0 for a kind popd knows, refused ones too (ph->flags says); else -1. */
int
pwscheme_parse(const char *h, struct pwhash *ph)
{
	const struct pwscheme	*s = NULL;
	const char		*end, *body, *dot;
	char			 name[32];
	size_t			 i, n;
	int			 enc = ENC_DEFAULT;

	memset(ph, 0, sizeof(*ph));
	if (h[0] != '{') {
		if (parse_bare(h, ph) == -1)
			goto bad;
		return 0;
	}
	if ((end = strchr(h, '}')) == NULL ||
	    (n = end - h - 1) == 0 || n >= sizeof(name))
		goto bad;
	memcpy(name, h + 1, n);
	name[n] = '\0';
	body = end + 1;
	if ((dot = strchr(name, '.')) != NULL) {
		if (strcasecmp(dot + 1, "HEX") == 0)
			enc = ENC_HEX;
		else if (strcasecmp(dot + 1, "B64") == 0 ||
		    strcasecmp(dot + 1, "BASE64") == 0)
			enc = ENC_B64;
		else
			goto bad;
		name[dot - name] = '\0';
	}
	for (i = 0; i < NSCHEMES; i++)
		if (strcasecmp(schemes[i].name, name) == 0)
			s = &schemes[i];
	if (s == NULL)
		goto bad;
	ph->s = s;
	ph->flags = s->flags;
	if (parse_body(s, enc, body, ph) == -1)
		goto bad;
	return 0;
 bad:
	explicit_bzero(ph, sizeof(*ph));
	errno = EINVAL;
	return -1;
}

const char *
pwscheme_name(const char *h)
{
	struct pwhash	 ph;

	if (pwscheme_parse(h, &ph) == -1)
		return "";
	explicit_bzero(ph.raw, sizeof(ph.raw));
	return pwscheme_hname(&ph);
}

const char *
pwscheme_hname(const struct pwhash *ph)
{
	if (ph->s->method == PWM_CRYPT && strcmp(ph->s->name, "CRYPT") == 0 &&
	    (ph->flags & PWS_WEAK))
		return ph->crypt[0] == '$' ? "CRYPT (md5crypt)" :
		    "CRYPT (DES)";
	return ph->s->name;
}

/* why is a sentence for the admin, never the value. */
int
pwscheme_allowed(const char *h, int weakok, const char **kind, char *why,
    size_t whylen)
{
	static const char *const unread[2] = { "OTP", "SKEY" };
	struct pwhash	 ph;
	const char	*name = NULL, *known, *end = strchr(h, '}');
	size_t		 i, n;

	if (kind != NULL)
		*kind = "";
	if (pwscheme_parse(h, &ph) == -1) {
		/* Only Dovecot's: a clear password may look like one. */
		n = h[0] == '{' && end != NULL ? strcspn(h + 1, ".}") : 0;
		for (i = 0; n > 0 && i < NSCHEMES + 2; i++) {
			known = i < NSCHEMES ? schemes[i].name :
			    unread[i - NSCHEMES];
			if (strlen(known) == n &&
			    strncasecmp(known, h + 1, n) == 0)
				name = known;
		}
		if (name != NULL)
			(void)snprintf(why, whylen, "a hash of kind {%s} "
			    "that popd does not read, or a malformed one, "
			    "which \"popdpass -P\" cannot convert: reset the "
			    "user's password (popdpass)", name);
		else
			(void)snprintf(why, whylen, "no bcrypt, SHA-crypt, "
			    "yescrypt, argon2 or Dovecot {SCHEME} hash");
		return -1;
	}
	explicit_bzero(ph.raw, sizeof(ph.raw));
	name = pwscheme_hname(&ph);
	if (kind != NULL)
		*kind = name;
	if (ph.flags & PWS_RESET) {
		(void)snprintf(why, whylen, "a {%s} secret, as good as the "
		    "password, which no hash can be made from: reset the "
		    "user's password (popdpass)", name);
		return -1;
	}
	if (ph.flags & PWS_PLAIN) {
		(void)snprintf(why, whylen, "a {%s} password in clear: "
		    "\"popdpass -P\" turns such lines into bcrypt hashes",
		    name);
		return -1;
	}
	if ((ph.flags & PWS_COSTLY) && !(weakok & PWA_COSTLY)) {
		(void)snprintf(why, whylen, "a hash over popd's ceiling for "
		    "its kind, %s%s%s (%s; authtab(5)): never checked; give "
		    "the user a new password (popdpass)", h[0] == '{' ? "{" :
		    "", name, h[0] == '{' ? "}" : "", ph.over);
		return -1;
	}
	if ((ph.flags & PWS_WEAK) && !(weakok & ~PWA_COSTLY)) {
		(void)snprintf(why, whylen, "a weak %s%s%s hash, read only "
		    "with \"weak-hashes yes\" in popd.conf",
		    h[0] == '{' ? "{" : "", name, h[0] == '{' ? "}" : "");
		return -1;
	}
	return 0;
}

/* Hashes of one kind take one time to check. */
void
pwscheme_kind(const char *hash, char *kind, size_t len)
{
	struct pwhash	 ph;
	char		*p;
	size_t		 n = 0;

	if (pwscheme_parse(hash, &ph) == -1) {
		(void)strlcpy(kind, "?", len);
		return;
	}
	explicit_bzero(ph.raw, sizeof(ph.raw));
	switch (ph.s->method) {
	case PWM_CRYPT:
	case PWM_DIGEST:
		if (ph.crypt == NULL)
			break;
		if (ph.crypt[0] != '$') {
			(void)strlcpy(kind, "DES", len);
			return;
		}
		(void)strlcpy(kind, ph.crypt, len);
		for (p = kind; *p != '\0'; p++)
			if (*p == '$' && ++n == 3)
				break;
		*p = '\0';
		if ((p = strchr(kind + 1, '$')) != NULL &&
		    strncmp(p, "$rounds=", 8) != 0 && kind[1] != '2' &&
		    kind[1] != 'y')
			p[1] = '\0';
		return;
	case PWM_ARGON2:
		(void)strlcpy(kind, ph.crypt, len);
		if ((p = strstr(kind, ",p=")) != NULL &&
		    (p = strchr(p, '$')) != NULL)
			*p = '\0';
		return;
	case PWM_PBKDF2:
		(void)snprintf(kind, len, "{PBKDF2}%u", ph.rounds);
		return;
	case PWM_SCRAM:
		(void)snprintf(kind, len, "{%s}%u", ph.s->name, ph.rounds);
		return;
	}
	(void)snprintf(kind, len, "{%s}", ph.s->name);
}
