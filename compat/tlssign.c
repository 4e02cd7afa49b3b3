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
 * tlssign.c -- libretls has no signer interface, so popd defines
 * SSL_CTX_check_private_key, as ticketfix.c does, to give a keyless
 * context a key whose private operations go to keypop.  Only keypop's
 * schemes are offered (SIGALGS); a libtls that never makes the call
 * fails compat_tls_keyless_done, and the listener does not start.
 */
#define OPENSSL_API_COMPAT	0x10100000L	/* RSA_METHOD, EC_KEY_METHOD */

#include <sys/types.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "util.h"
#include "log.h"
#include "proto.h"

/* What keypop signs; an RSA-PSS key's schemes are rsa_pss_pss_*. */
#define SIGALGS	"rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:" \
		"rsa_pss_rsae_sha512:rsa_pss_pss_sha256:rsa_pss_pss_sha384:" \
		"rsa_pss_pss_sha512:rsa_pkcs1_sha256:rsa_pkcs1_sha384:" \
		"rsa_pkcs1_sha512:ecdsa_secp256r1_sha256:" \
		"ecdsa_secp384r1_sha384:ecdsa_secp521r1_sha512"

static compat_signer	 signer;
static RSA_METHOD	*rsa_meth;
static EC_KEY_METHOD	*ec_meth;
static int		 rsa_idx = -1, ec_idx = -1;
static size_t		 installed;

int		 SSL_CTX_check_private_key(const SSL_CTX *);

/*
 * OpenSSL 3 asks a legacy RSA_METHOD for each signature.  keypop's
 * answer is checked in buf before it goes into to (RSA_size bytes).
 */
static int
rsa_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
    int padding)
{
	uint8_t		 buf[SIGN_MAXSIG];
	const uint8_t	*id = RSA_get_ex_data(rsa, rsa_idx);
	size_t		 len;
	uint32_t	 kind;

	if (padding == RSA_PKCS1_PADDING)
		kind = SIGN_RSA_PKCS1;
	else if (padding == RSA_NO_PADDING)
		kind = SIGN_RSA_RAW;
	else
		return -1;
	if (id == NULL || signer(id, kind, from, flen, buf, &len) == -1 ||
	    len != (size_t)RSA_size(rsa))
		return -1;
	memcpy(to, buf, len);
	return len;
}

static int
rsa_dec(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
    int padding)
{
	return -1;
}

/* ECDSA_do_sign, which no handshake calls, finds no sign_sig and fails. */
static int
ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
    unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
	uint8_t		 buf[SIGN_MAXSIG];
	const uint8_t	*id = EC_KEY_get_ex_data(ec, ec_idx);
	size_t		 len;

	if (id == NULL || dlen < 0 || signer(id, SIGN_ECDSA, dgst, dlen, buf,
	    &len) == -1 || len > (size_t)ECDSA_size(ec))
		return 0;
	memcpy(sig, buf, len);
	*siglen = len;
	return 1;
}

/* Named by the hash of its public key's bits, as libtls's signer names. */
static EVP_PKEY *
proxy_key(X509 *x)
{
	EVP_PKEY	*pub, *pk = NULL;
	const RSA	*rsa;
	const EC_KEY	*ec;
	RSA		*r = NULL;
	EC_KEY		*e = NULL;
	uint8_t		*id;
	unsigned int	 len = 32;

	if ((pub = X509_get0_pubkey(x)) == NULL ||
	    (id = malloc(32)) == NULL)
		return NULL;
	if (X509_pubkey_digest(x, EVP_sha256(), id, &len) != 1 ||
	    (pk = EVP_PKEY_new()) == NULL)
		goto fail;
	if ((rsa = EVP_PKEY_get0_RSA(pub)) != NULL) {
		if ((r = RSA_new()) == NULL ||
		    RSA_set_method(r, rsa_meth) != 1 ||
		    RSA_set0_key(r, BN_dup(RSA_get0_n(rsa)),
		    BN_dup(RSA_get0_e(rsa)), NULL) != 1 ||
		    RSA_set_ex_data(r, rsa_idx, id) != 1 ||
		    EVP_PKEY_assign(pk, EVP_PKEY_base_id(pub), r) != 1)
			goto fail;
		return pk;
	}
	if ((ec = EVP_PKEY_get0_EC_KEY(pub)) != NULL) {
		if ((e = EC_KEY_new()) == NULL ||
		    EC_KEY_set_method(e, ec_meth) != 1 ||
		    EC_KEY_set_group(e, EC_KEY_get0_group(ec)) != 1 ||
		    EC_KEY_set_public_key(e, EC_KEY_get0_public_key(ec)) != 1 ||
		    EC_KEY_set_ex_data(e, ec_idx, id) != 1 ||
		    EVP_PKEY_assign_EC_KEY(pk, e) != 1)
			goto fail;
		return pk;
	}
	log_warnx("tls: a certificate's key is neither RSA nor EC");
 fail:
	RSA_free(r);
	EC_KEY_free(e);
	EVP_PKEY_free(pk);
	free(id);
	return NULL;
}

void
compat_tls_signer(compat_signer fn)
{
	signer = fn;
}

int
compat_tls_keyless(struct tls_config *cfg)
{
	int	(*psign_setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **);

	installed = 0;
	if (signer == NULL) {
		log_warnx("tls: no signer for keys held elsewhere");
		return -1;
	}
	if (rsa_meth != NULL)
		return 0;
	if ((rsa_meth = RSA_meth_dup(RSA_get_default_method())) == NULL ||
	    RSA_meth_set1_name(rsa_meth, "popd keypop") != 1 ||
	    RSA_meth_set_priv_enc(rsa_meth, rsa_enc) != 1 ||
	    RSA_meth_set_priv_dec(rsa_meth, rsa_dec) != 1 ||
	    (ec_meth = EC_KEY_METHOD_new(EC_KEY_get_default_method())) ==
	    NULL ||
	    (rsa_idx = RSA_get_ex_new_index(0, NULL, NULL, NULL, NULL)) ==
	    -1 ||
	    (ec_idx = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, NULL)) ==
	    -1) {
		log_warnx("tls: cannot make the key methods for keypop");
		return -1;
	}
	EC_KEY_METHOD_get_sign(EC_KEY_get_default_method(), NULL,
	    &psign_setup, NULL);
	EC_KEY_METHOD_set_sign(ec_meth, ec_sign, psign_setup, NULL);
	return 0;
}

int
compat_tls_keyless_done(size_t n)
{
	if (installed == n)
		return 0;
	log_warnx("tls: libtls installed %zu of %zu keys through popd's "
	    "key process: this libtls cannot sign with keypop, and the "
	    "listener holds no key", installed, n);
	return -1;
}

int
SSL_CTX_check_private_key(const SSL_CTX *ctx)
{
	static int	(*next)(const SSL_CTX *);
	EVP_PKEY	*pk;
	X509		*x;
	int		 ok;

	if (next == NULL && (next = (int (*)(const SSL_CTX *))dlsym(
	    RTLD_NEXT, "SSL_CTX_check_private_key")) == NULL)
		return 0;	/* libtls: "private/public key mismatch" */
	if (signer == NULL || SSL_CTX_get0_privatekey(ctx) != NULL ||
	    (x = SSL_CTX_get0_certificate(ctx)) == NULL)
		return next(ctx);
	if ((pk = proxy_key(x)) == NULL)
		return 0;
	if ((ok = SSL_CTX_set1_sigalgs_list((SSL_CTX *)ctx, SIGALGS)) != 1)
		log_warnx("tls: cannot offer only the signatures keypop "
		    "makes");
	else
		ok = SSL_CTX_use_PrivateKey((SSL_CTX *)ctx, pk);
	EVP_PKEY_free(pk);		/* the context holds its own */
	if (ok != 1)
		return 0;
	installed++;
	return next(ctx);
}
