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
 * test_tlssign -- compat/tlssign.c's bound on keypop's answer: the
 * listener's key for a certificate (SSL_CTX_check_private_key, as libtls
 * calls it) signs through the signer compat_tls_signer was given, here
 * one that signs with the real key made here (RSA-2048, P-256) in place
 * of keypop's round trip, then answers as many bytes as the case says.
 * An RSA answer of RSA_size bytes is the caller's; 0, 255, 257 and
 * SIGN_MAXSIG (1,024, which the message check lets through) are refused
 * and nothing is written past the caller's buffer (RSA_size bytes
 * between guards).  ECDSA_sign takes up to ECDSA_size bytes and refuses
 * more the same way.
 */
#define OPENSSL_API_COMPAT	0x10100000L	/* RSA_*, EC_KEY_* */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "util.h"
#include "proto.h"
#include "unit.h"

#define GUARD	64
#define BUFLEN	(GUARD + SIGN_MAXSIG + GUARD)
#define REAL	-1	/* the answer: the real signature as it is */

static EVP_PKEY	*realkey;	/* what keypop would hold */
static long	 answer;	/* bytes the signer answers, or REAL */
static uint8_t	 lastid[32], lastsig[SIGN_MAXSIG];
static uint32_t	 lastkind;

/*
 * keypop's part: sign with the real key, then answer answer bytes (0xa5
 * past the signature), written into sig as the listener's key_sign does.
 */
static int
signer(const uint8_t *id, uint32_t kind, const uint8_t *in, size_t len,
    uint8_t *sig, size_t *siglen)
{
	unsigned int	 n = 0;
	int		 r;

	memcpy(lastid, id, sizeof(lastid));
	lastkind = kind;
	memset(lastsig, 0xa5, sizeof(lastsig));
	if (kind == SIGN_ECDSA) {
		if (ECDSA_sign(0, in, len, lastsig, &n,
		    (EC_KEY *)EVP_PKEY_get0_EC_KEY(realkey)) != 1)
			return -1;
	} else {
		if ((r = RSA_private_encrypt(len, in, lastsig,
		    (RSA *)EVP_PKEY_get0_RSA(realkey), kind == SIGN_RSA_RAW ?
		    RSA_NO_PADDING : RSA_PKCS1_PADDING)) == -1)
			return -1;
		n = r;
	}
	*siglen = answer == REAL ? n : (size_t)answer;
	memcpy(sig, lastsig, *siglen);
	return 0;
}

/* A context with key's certificate and the listener's key for it. */
static SSL_CTX *
keyless(EVP_PKEY *key, uint8_t id[32])
{
	SSL_CTX		*ctx;
	X509		*x;
	unsigned int	 len = 32;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    (x = X509_new()) == NULL ||
	    X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 3600) == NULL ||
	    X509_set_pubkey(x, key) != 1 ||
	    X509_sign(x, key, EVP_sha256()) == 0 ||
	    X509_pubkey_digest(x, EVP_sha256(), id, &len) != 1 ||
	    SSL_CTX_use_certificate(ctx, x) != 1) {
		printf("FAIL: cannot make a certificate\n");
		exit(1);
	}
	X509_free(x);
	CHECK_INT(compat_tls_keyless(NULL), 0);
	CHECK_INT(SSL_CTX_check_private_key(ctx), 1);
	CHECK_INT(compat_tls_keyless_done(1), 0);
	CHECK(SSL_CTX_get0_privatekey(ctx) != NULL &&
	    SSL_CTX_get0_privatekey(ctx) != key, "the listener's own key");
	return ctx;
}

/*
 * buf (BUFLEN): GUARD bytes, the caller's size bytes, guards to the end;
 * whether the guards hold their 0x5a still.
 */
static int
guarded(const uint8_t *buf, int size)
{
	size_t	i;

	for (i = 0; i < BUFLEN; i++)
		if ((i < GUARD || i >= GUARD + (size_t)size) && buf[i] != 0x5a)
			return 0;
	return 1;
}

static void
test_rsa(void)
{
	uint8_t		 buf[BUFLEN], in[256], out[256];
	uint8_t		 id[32], *to = buf + GUARD;
	static const long refused[] = { 0, 255, 257, SIGN_MAXSIG };
	SSL_CTX		*ctx;
	RSA		*rsa;
	size_t		 i;
	int		 size;

	realkey = EVP_RSA_gen(2048);
	ctx = keyless(realkey, id);
	rsa = (RSA *)EVP_PKEY_get0_RSA(SSL_CTX_get0_privatekey(ctx));
	CHECK(rsa != NULL && RSA_get0_d(rsa) == NULL,
	    "an RSA key without its private part");
	size = RSA_size(rsa);
	CHECK_INT(size, 256);

	/* A PSS block (raw): RSA_size bytes, the real signature. */
	memset(in, 0x33, sizeof(in));
	in[0] = 0;
	memset(buf, 0x5a, sizeof(buf));
	answer = REAL;
	CHECK_INT(RSA_private_encrypt(size, in, to, rsa, RSA_NO_PADDING),
	    size);
	CHECK_INT(lastkind, SIGN_RSA_RAW);
	CHECK(memcmp(lastid, id, sizeof(id)) == 0, "the key's id");
	CHECK(memcmp(to, lastsig, size) == 0, "what keypop answered");
	CHECK_INT(RSA_public_decrypt(size, to, out, rsa, RSA_NO_PADDING),
	    size);
	CHECK(memcmp(out, in, size) == 0, "a signature of what was asked");
	CHECK(guarded(buf, size), "written past the caller's %d bytes", size);

	/* PKCS#1 v1.5: a DigestInfo, padded by keypop. */
	memset(buf, 0x5a, sizeof(buf));
	CHECK_INT(RSA_private_encrypt(51, in, to, rsa, RSA_PKCS1_PADDING),
	    size);
	CHECK_INT(lastkind, SIGN_RSA_PKCS1);
	CHECK_INT(RSA_public_decrypt(size, to, out, rsa, RSA_PKCS1_PADDING),
	    51);
	CHECK(guarded(buf, size), "written past the caller's %d bytes", size);

	/* Any other length: refused, nothing past the caller's bytes. */
	for (i = 0; i < nitems(refused); i++) {
		memset(buf, 0x5a, sizeof(buf));
		answer = refused[i];
		CHECK_INT(RSA_private_encrypt(size, in, to, rsa,
		    RSA_NO_PADDING), -1);
		CHECK(guarded(buf, size), "an answer of %ld bytes written "
		    "past the caller's %d", answer, size);
	}
	SSL_CTX_free(ctx);
	EVP_PKEY_free(realkey);
}

static void
test_ec(void)
{
	uint8_t		 buf[BUFLEN], dgst[32];
	uint8_t		 id[32], *to = buf + GUARD;
	static const long refused[] = { 73, SIGN_MAXSIG };
	SSL_CTX		*ctx;
	EC_KEY		*ec;
	unsigned int	 len;
	size_t		 i;
	int		 size;

	realkey = EVP_EC_gen("P-256");
	ctx = keyless(realkey, id);
	ec = (EC_KEY *)EVP_PKEY_get0_EC_KEY(SSL_CTX_get0_privatekey(ctx));
	CHECK(ec != NULL && EC_KEY_get0_private_key(ec) == NULL,
	    "an EC key without its private part");
	size = ECDSA_size(ec);
	CHECK_INT(size, 72);
	memset(dgst, 0x44, sizeof(dgst));

	/* The real signature, DER: up to ECDSA_size bytes. */
	memset(buf, 0x5a, sizeof(buf));
	answer = REAL;
	len = 0;
	CHECK_INT(ECDSA_sign(0, dgst, sizeof(dgst), to, &len, ec), 1);
	CHECK_INT(lastkind, SIGN_ECDSA);
	CHECK(memcmp(lastid, id, sizeof(id)) == 0, "the key's id");
	CHECK_INT(ECDSA_verify(0, dgst, sizeof(dgst), to, len, ec), 1);
	CHECK(guarded(buf, size), "written past the caller's %d bytes", size);

	/* Exactly ECDSA_size: taken as answered. */
	memset(buf, 0x5a, sizeof(buf));
	answer = size;
	CHECK_INT(ECDSA_sign(0, dgst, sizeof(dgst), to, &len, ec), 1);
	CHECK_INT(len, size);
	CHECK(memcmp(to, lastsig, size) == 0, "what keypop answered");
	CHECK(guarded(buf, size), "written past the caller's %d bytes", size);

	/* More: refused, nothing past the caller's bytes. */
	for (i = 0; i < nitems(refused); i++) {
		memset(buf, 0x5a, sizeof(buf));
		answer = refused[i];
		CHECK_INT(ECDSA_sign(0, dgst, sizeof(dgst), to, &len, ec), 0);
		CHECK(guarded(buf, size), "an answer of %ld bytes written "
		    "past the caller's %d", answer, size);
	}
	SSL_CTX_free(ctx);
	EVP_PKEY_free(realkey);
}

int
main(void)
{
	compat_tls_signer(signer);
	test_rsa();
	test_ec();
	return unit_done();
}
