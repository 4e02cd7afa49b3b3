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
 * fuzz_sigcheck -- libFuzzer target for what keypop signs for a
 * listener (keypop/sigcheck.c), differentially against OpenSSL:
 *
 *	first byte < 0x80: a request as a listener taken over may send
 *	  (kind, key kind and size from the first two bytes, the rest as
 *	  the block).  Whatever sigcheck accepts must be what OpenSSL
 *	  calls well-formed: a DigestInfo that d2i_X509_SIG parses and
 *	  i2d_X509_SIG gives back byte for byte, of SHA-256, -384 or
 *	  -512 with NULL parameters; an EMSA-PSS block that, unmasked
 *	  with OpenSSL's MGF1, is PS || 0x01 || salt of the hash's length
 *	  (rebuilt and compared); an ECDSA digest of the hash's length.
 *	first byte >= 0x80: a digest from the input, encoded by OpenSSL
 *	  as a correct handshake would (RSA_padding_add_PKCS1_PSS_mgf1,
 *	  i2d_X509_SIG): sigcheck must accept it, with that hash.
 *
 *	make regress/fuzz/fuzz_sigcheck && \
 *	    regress/fuzz/fuzz_sigcheck -max_total_time=60
 */
#define OPENSSL_API_COMPAT	0x10100000L	/* RSA padding, PKCS1_MGF1 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "proto.h"
#include "../../keypop/sigcheck.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const int	sizes[] = { 1024, 1025, 2047, 2048, 2049, 3072, 4096,
			    8192 };

static const EVP_MD *
md_of(int h)
{
	return h == 0 ? EVP_sha256() : h == 1 ? EVP_sha384() :
	    h == 2 ? EVP_sha512() : NULL;
}

/* A DigestInfo as OpenSSL reads and writes one, of hash h. */
static int
digestinfo_ok(const uint8_t *in, size_t len, int h)
{
	const unsigned char	*p = in;
	const X509_ALGOR	*alg;
	const ASN1_OCTET_STRING	*dig;
	const ASN1_OBJECT	*obj;
	const void		*pval;
	X509_SIG		*sig;
	unsigned char		*der = NULL;
	int			 ptype, n, ok = 0;

	if ((sig = d2i_X509_SIG(NULL, &p, len)) == NULL)
		return 0;
	X509_SIG_get0(sig, &alg, &dig);
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	if ((size_t)(p - in) == len && OBJ_obj2nid(obj) ==
	    EVP_MD_type(md_of(h)) && ptype == V_ASN1_NULL &&
	    ASN1_STRING_length(dig) == EVP_MD_size(md_of(h)) &&
	    (n = i2d_X509_SIG(sig, &der)) == (int)len &&
	    memcmp(der, in, len) == 0)
		ok = 1;
	OPENSSL_free(der);
	X509_SIG_free(sig);
	return ok;
}

/*
 * An EMSA-PSS block of hash h for a modulus of bits: its salt read back
 * with OpenSSL's MGF1, and the block built again from it (RFC 8017
 * 9.1.1 steps 7-12) equal to what was sent.
 */
static int
pss_ok(const uint8_t *in, size_t len, int bits, int h)
{
	const EVP_MD	*md = md_of(h);
	uint8_t		 mask[1024], ref[1024];
	size_t		 hlen = EVP_MD_size(md), emlen, dblen, off, i;
	int		 embits = bits - 1, top;

	emlen = (embits + 7) / 8;
	top = 0xff >> (8 * emlen - embits);
	if (len != (size_t)(bits + 7) / 8 || emlen < 2 * hlen + 2)
		return 0;
	off = len - emlen;
	if ((off == 1 && in[0] != 0) || (in[off] & ~top) != 0 ||
	    in[len - 1] != 0xbc)
		return 0;
	dblen = emlen - hlen - 1;
	if (PKCS1_MGF1(mask, dblen, in + off + dblen, hlen, md) != 0)
		return 0;
	memset(ref, 0, sizeof(ref));
	ref[dblen - hlen - 1] = 0x01;
	for (i = dblen - hlen; i < dblen; i++)
		ref[i] = in[off + i] ^ mask[i];
	for (i = 0; i < dblen; i++)
		if (((ref[i] ^ mask[i]) & (i == 0 ? top : 0xff)) !=
		    in[off + i])
			return 0;
	return 1;
}

/* A correct handshake's request, made by OpenSSL: it must pass. */
static void
correct(const uint8_t *data, size_t size)
{
	uint8_t		 em[1024], dig[64];
	unsigned char	*der = NULL;
	X509_SIG	*sig;
	X509_ALGOR	*alg;
	ASN1_OCTET_STRING *os;
	RSA		*rsa;
	BIGNUM		*n, *e;
	int		 bits, h, got, len;

	bits = sizes[data[1] % nitems(sizes)];
	h = data[0] % 3;
	memset(dig, 0, sizeof(dig));
	memcpy(dig, data + 2, size - 2 > 64 ? 64 : size - 2);
	if (data[0] & 0x40) {
		/* A modulus of that size; PSS encoding needs no more. */
		if ((rsa = RSA_new()) == NULL || (n = BN_new()) == NULL ||
		    (e = BN_new()) == NULL || !BN_set_bit(n, bits - 1) ||
		    !BN_set_bit(n, 0) || !BN_set_word(e, 65537) ||
		    RSA_set0_key(rsa, n, e, NULL) != 1)
			abort();
		if ((size_t)bits - 1 < 8 * (2 * EVP_MD_size(md_of(h)) + 2)) {
			RSA_free(rsa);
			return;
		}
		memset(em, 0, sizeof(em));
		if (RSA_padding_add_PKCS1_PSS_mgf1(rsa, em, dig, md_of(h),
		    md_of(h), -1) != 1)
			abort();
		RSA_free(rsa);
		if (sigcheck(1, bits, SIGN_RSA_RAW, em, (bits + 7) / 8,
		    &got) != NULL || got != h)
			abort();
		return;
	}
	if ((sig = X509_SIG_new()) == NULL)
		abort();
	X509_SIG_getm(sig, &alg, &os);
	if (X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_type(md_of(h))),
	    V_ASN1_NULL, NULL) != 1 || ASN1_OCTET_STRING_set(os, dig,
	    EVP_MD_size(md_of(h))) != 1 || (len = i2d_X509_SIG(sig,
	    &der)) <= 0)
		abort();
	if (sigcheck(1, bits, SIGN_RSA_PKCS1, der, len, &got) != NULL ||
	    got != h)
		abort();
	OPENSSL_free(der);
	X509_SIG_free(sig);
	if (sigcheck(0, 0, SIGN_ECDSA, dig, EVP_MD_size(md_of(h)), &got) !=
	    NULL || got != h)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*in;
	uint8_t		*copy;
	uint32_t	 kind;
	size_t		 len;
	int		 rsa, bits, h;

	if (size < 2)
		return 0;
	if (data[0] >= 0x80) {
		correct(data, size);
		return 0;
	}
	kind = data[0] % 4;
	rsa = (data[0] & 4) != 0 ? SIGKEY_EC : (data[0] & 8) != 0 ?
	    SIGKEY_PSS : SIGKEY_RSA;
	bits = sizes[data[1] % nitems(sizes)];
	len = size - 2;
	if (len > SIGN_MAXIN)
		return 0;
	/* An exact copy: a read past the end is the sanitizer's. */
	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	memcpy(copy, data + 2, len);
	in = copy;
	if (sigcheck(rsa, bits, kind, in, len, &h) == NULL) {
		if (h < 0 || h > 2)
			abort();
		switch (kind) {
		case SIGN_RSA_PKCS1:
			if (rsa != SIGKEY_RSA || !digestinfo_ok(in, len, h))
				abort();
			break;
		case SIGN_RSA_RAW:
			if (!rsa || !pss_ok(in, len, bits, h))
				abort();
			break;
		case SIGN_ECDSA:
			if (rsa || len != (size_t)EVP_MD_size(md_of(h)))
				abort();
			break;
		default:
			abort();
		}
	}
	free(copy);
	return 0;
}
