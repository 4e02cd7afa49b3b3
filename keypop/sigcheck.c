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
 * What keypop signs: only what a TLS 1.2 or 1.3 handshake asks for, so
 * that no raw private-key operation is reachable from a listener taken
 * over by a client.  A PSS block must unmask to 8 * (k - 2h - 2) zero bits
 * and a 0x01: a blinded ciphertext (RSA "signing" as decryption) matches
 * with probability 2^-1520 for RSA 2048, not 1/256 for the 0xbc alone.
 */
#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "proto.h"
#include "sigcheck.h"

static const struct {
	const char	*name;
	size_t		 len;
	/* DigestInfo's DER (RFC 8017 9.2 note 1) before the digest. */
	uint8_t		 di[19];
} hashes[] = {
	{ "sha256", 32, { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
	    0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
	    0x20 } },
	{ "sha384", 48, { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
	    0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04,
	    0x30 } },
	{ "sha512", 64, { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
	    0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04,
	    0x40 } },
};

static const EVP_MD *
hash_md(int h)
{
	return h == 0 ? EVP_sha256() : h == 1 ? EVP_sha384() : EVP_sha512();
}

const char *
sigcheck_hash(int h)
{
	return h >= 0 && h < (int)nitems(hashes) ? hashes[h].name : "?";
}

static int
mgf1_xor(uint8_t *buf, size_t len, const uint8_t *seed, size_t seedlen,
    const EVP_MD *md)
{
	EVP_MD_CTX	*ctx;
	uint8_t		 c[4], out[EVP_MAX_MD_SIZE];
	unsigned int	 outlen;
	uint32_t	 n;
	size_t		 off, i;
	int		 rv = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	for (n = 0, off = 0; off < len; n++) {
		c[0] = n >> 24;
		c[1] = n >> 16;
		c[2] = n >> 8;
		c[3] = n;
		if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
		    EVP_DigestUpdate(ctx, seed, seedlen) != 1 ||
		    EVP_DigestUpdate(ctx, c, sizeof(c)) != 1 ||
		    EVP_DigestFinal_ex(ctx, out, &outlen) != 1)
			goto done;
		for (i = 0; i < outlen && off < len; i++)
			buf[off++] ^= out[i];
	}
	rv = 0;
 done:
	EVP_MD_CTX_free(ctx);
	return rv;
}

/* RSA_NO_PADDING's input: a leading zero byte when bits - 1 is 8k. */
static const char *
pss_check(const uint8_t *em, size_t len, int bits, int *h)
{
	uint8_t		db[SIGN_MAXIN];
	size_t		emlen, dblen, pslen, i, j;
	unsigned int	embits, topmask;

	if (bits < 1024 || (size_t)(bits + 7) / 8 != len || len > sizeof(db))
		return "not the modulus's size";
	embits = bits - 1;
	emlen = (embits + 7) / 8;
	if (emlen < len) {
		if (em[0] != 0)
			return "not a PSS encoding: a leading byte";
		em++;
	}
	topmask = 0xff >> (8 * emlen - embits);
	if ((em[0] & ~topmask) != 0 || em[emlen - 1] != 0xbc)
		return "not a PSS encoding";
	for (i = 0; i < nitems(hashes); i++) {
		if (emlen < 2 * hashes[i].len + 2)
			continue;
		dblen = emlen - hashes[i].len - 1;
		memcpy(db, em, dblen);
		if (mgf1_xor(db, dblen, em + dblen, hashes[i].len,
		    hash_md(i)) == -1)
			return "MGF1 failed";
		db[0] &= topmask;
		pslen = dblen - hashes[i].len - 1;
		for (j = 0; j < pslen && db[j] == 0; j++)
			;
		if (j == pslen && db[pslen] == 0x01) {
			explicit_bzero(db, sizeof(db));
			*h = i;
			return NULL;
		}
	}
	explicit_bzero(db, sizeof(db));
	return "not a PSS encoding with SHA-256, -384 or -512";
}

const char *
sigcheck(int rsa, int bits, uint32_t kind, const uint8_t *in, size_t len,
    int *h)
{
	size_t	i;

	*h = -1;
	switch (kind) {
	case SIGN_RSA_PKCS1:
		if (!rsa)
			return "a PKCS#1 signature by an EC key";
		/* id-RSASSA-PSS: a key for PSS alone (RFC 4055 1.2). */
		if (rsa == SIGKEY_PSS)
			return "a PKCS#1 signature by an RSA-PSS key";
		for (i = 0; i < nitems(hashes); i++)
			if (len == sizeof(hashes[i].di) + hashes[i].len &&
			    memcmp(in, hashes[i].di, sizeof(hashes[i].di)) == 0) {
				*h = i;
				return NULL;
			}
		return "not a DigestInfo of SHA-256, -384 or -512";
	case SIGN_RSA_RAW:
		if (!rsa)
			return "an RSA block for an EC key";
		return pss_check(in, len, bits, h);
	case SIGN_ECDSA:
		if (rsa)
			return "an ECDSA digest for an RSA key";
		for (i = 0; i < nitems(hashes); i++)
			if (len == hashes[i].len) {
				*h = i;
				return NULL;
			}
		return "not a SHA-256, -384 or -512 digest";
	}
	return "an unknown kind";
}
