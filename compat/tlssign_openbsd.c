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
 * tlssign_openbsd.c -- LibreSSL's libtls signs with keys held elsewhere
 * by itself: a configuration with a sign callback serves keypairs of a
 * certificate alone, and asks the callback for each signature, naming
 * the key "SHA256:" and the hex of its public key's hash, the padding
 * TLS_PADDING_RSA_PKCS1 (a DigestInfo) or TLS_PADDING_NONE (a PSS block
 * of RSA_size bytes, or an ECDSA digest of 64 bytes at most).  OpenBSD
 * only (openbsd/ builds it; compat/tlssign.c is Linux's).
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>

#include "util.h"
#include "log.h"
#include "proto.h"

/* libtls's (tls_internal.h), which tls.h does not declare. */
#define TLS_PADDING_NONE	0
#define TLS_PADDING_RSA_PKCS1	1
typedef int	(*tls_sign_cb)(void *, const char *, const uint8_t *, size_t,
		    int, uint8_t **, size_t *);
int		 tls_config_set_sign_cb(struct tls_config *, tls_sign_cb,
		    void *);

static compat_signer	signer;

static int
obsd_sign(void *arg, const char *hash, const uint8_t *in, size_t len,
    int padding, uint8_t **out, size_t *outlen)
{
	uint8_t		 id[32], sig[SIGN_MAXSIG];
	uint32_t	 kind;
	size_t		 i;
	unsigned int	 b;

	if (strncmp(hash, "SHA256:", 7) != 0 || strlen(hash) != 7 + 64)
		return -1;
	for (i = 0; i < sizeof(id); i++) {
		if (sscanf(hash + 7 + 2 * i, "%2x", &b) != 1)
			return -1;
		id[i] = b;
	}
	if (padding == TLS_PADDING_RSA_PKCS1)
		kind = SIGN_RSA_PKCS1;
	else if (padding == TLS_PADDING_NONE)
		kind = len <= 64 ? SIGN_ECDSA : SIGN_RSA_RAW;
	else
		return -1;
	if (signer(id, kind, in, len, sig, outlen) == -1 ||
	    (*out = malloc(*outlen)) == NULL)
		return -1;
	memcpy(*out, sig, *outlen);
	return 0;
}

void
compat_tls_signer(compat_signer fn)
{
	signer = fn;
}

int
compat_tls_keyless(struct tls_config *cfg)
{
	if (signer == NULL || tls_config_set_sign_cb(cfg, obsd_sign,
	    NULL) == -1) {
		log_warnx("tls: cannot sign with keypop: %s", signer == NULL ?
		    "no signer" : tls_config_error(cfg));
		return -1;
	}
	return 0;
}

/* libtls refuses a context it cannot sign for by itself. */
int
compat_tls_keyless_done(size_t n)
{
	return 0;
}
