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
 * Keys held by keypop on OpenBSD, as smtpd's ca.c: 7.6's libtls keeps
 * its sign callback internal but exports tls_config_use_fake_private_key;
 * the default RSA and EC_KEY methods send such keys' private operations
 * to the signer.  compat/tlssign.c is Linux's.
 */
/* LibreSSL ignores it; check.py's stand-ins have OpenSSL 3's headers. */
#define OPENSSL_API_COMPAT	0x10100000L	/* RSA_METHOD, EC_KEY_METHOD */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tls.h>

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include "util.h"
#include "log.h"
#include "proto.h"

/* Exported by libtls, not in tls.h (smtpd and relayd declare it too). */
void	tls_config_use_fake_private_key(struct tls_config *);

static compat_signer		 signer;
static const RSA_METHOD		*rsa_default;
static const EC_KEY_METHOD	*ec_default;

static int
key_id(const char *hash, uint8_t id[32])
{
	size_t		 i;
	unsigned int	 b;

	if (hash == NULL || strncmp(hash, "SHA256:", 7) != 0 ||
	    strlen(hash) != 7 + 64)
		return -1;
	for (i = 0; i < 32; i++) {
		if (sscanf(hash + 7 + 2 * i, "%2x", &b) != 1)
			return -1;
		id[i] = b;
	}
	return 0;
}

static int
rsa_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
    int padding)
{
	uint8_t		 id[32], buf[SIGN_MAXSIG];
	const char	*hash = RSA_get_ex_data(rsa, 0);
	size_t		 len;
	uint32_t	 kind;

	if (hash == NULL)
		return RSA_meth_get_priv_enc(rsa_default)(flen, from, to, rsa,
		    padding);
	if (padding == RSA_PKCS1_PADDING)
		kind = SIGN_RSA_PKCS1;
	else if (padding == RSA_NO_PADDING)
		kind = SIGN_RSA_RAW;
	else
		return -1;
	if (key_id(hash, id) == -1 || signer(id, kind, from, flen, buf,
	    &len) == -1 || len != (size_t)RSA_size(rsa))
		return -1;
	memcpy(to, buf, len);
	return len;
}

/* RSA key exchange: never with keypop's keys. */
static int
rsa_dec(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
    int padding)
{
	if (RSA_get_ex_data(rsa, 0) != NULL)
		return -1;
	return RSA_meth_get_priv_dec(rsa_default)(flen, from, to, rsa,
	    padding);
}

static int
ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
    unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
	int		(*next)(int, const unsigned char *, int,
			    unsigned char *, unsigned int *, const BIGNUM *,
			    const BIGNUM *, EC_KEY *);
	uint8_t		 id[32], buf[SIGN_MAXSIG];
	const char	*hash = EC_KEY_get_ex_data(ec, 0);
	size_t		 len;

	if (hash == NULL) {
		EC_KEY_METHOD_get_sign(ec_default, &next, NULL, NULL);
		return next(type, dgst, dlen, sig, siglen, kinv, r, ec);
	}
	if (dlen < 0 || key_id(hash, id) == -1 || signer(id, SIGN_ECDSA,
	    dgst, dlen, buf, &len) == -1 || len > (size_t)ECDSA_size(ec))
		return 0;
	memcpy(sig, buf, len);
	*siglen = len;
	return 1;
}

void
compat_tls_signer(compat_signer fn)
{
	signer = fn;
}

/* The default methods replaced once, as smtpd's ca_engine_init. */
int
compat_tls_keyless(struct tls_config *cfg)
{
	RSA_METHOD	*rm;
	EC_KEY_METHOD	*em;
	int		(*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **);
	ECDSA_SIG	*(*sign_sig)(const unsigned char *, int,
			    const BIGNUM *, const BIGNUM *, EC_KEY *);

	if (signer == NULL) {
		log_warnx("tls: no signer for keys held elsewhere");
		return -1;
	}
	if (rsa_default == NULL) {
		if ((rsa_default = RSA_get_default_method()) == NULL ||
		    (ec_default = EC_KEY_get_default_method()) == NULL ||
		    (rm = RSA_meth_dup(rsa_default)) == NULL ||
		    RSA_meth_set_priv_enc(rm, rsa_enc) != 1 ||
		    RSA_meth_set_priv_dec(rm, rsa_dec) != 1 ||
		    RSA_meth_set_flags(rm, RSA_meth_get_flags(rsa_default) |
		    RSA_METHOD_FLAG_NO_CHECK) != 1 ||
		    (em = EC_KEY_METHOD_new(ec_default)) == NULL) {
			rsa_default = NULL;
			log_warnx("tls: cannot make the key methods for "
			    "keypop");
			return -1;
		}
		EC_KEY_METHOD_get_sign(ec_default, NULL, &setup, &sign_sig);
		EC_KEY_METHOD_set_sign(em, ec_sign, setup, sign_sig);
		RSA_set_default_method(rm);
		EC_KEY_set_default_method(em);
	}
	tls_config_use_fake_private_key(cfg);
	return 0;
}

/* libtls gives every keypair of such a configuration the fake key. */
int
compat_tls_keyless_done(size_t n)
{
	return 0;
}
