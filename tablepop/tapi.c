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
 * tapi.c -- the frames of OpenSMTPD's table API, read as strictly as what a
 * client sends: a table program is outside popd.  No state; the fuzz target
 * feeds it what a program could write.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "pwscheme.h"
#include "table.h"
#include "tablepop.h"

/*
 * At most TAPI_MAXLEN, as in imsg(3): a longer one could never fit the
 * caller's buffer, which would wait for it forever.
 */
ssize_t
tapi_frame(const unsigned char *buf, size_t len, uint32_t *type,
    size_t *plen, char *why, size_t whylen)
{
	uint16_t	flen;

	if (len < TAPI_HDRLEN)
		return 0;
	memcpy(type, buf, sizeof(*type));
	memcpy(&flen, buf + 4, sizeof(flen));
	if (flen < TAPI_HDRLEN || flen > TAPI_MAXLEN) {
		(void)snprintf(why, whylen, "a frame of %u bytes (%d to %d)",
		    (unsigned)flen, TAPI_HDRLEN, TAPI_MAXLEN);
		return -1;
	}
	if (len < flen)
		return 0;
	*plen = flen - TAPI_HDRLEN;
	return flen;
}

size_t
tapi_request(unsigned char *buf, size_t len, uint32_t type, const void *data,
    size_t dlen)
{
	uint16_t	flen;

	if (dlen > TAPI_MAXLEN - TAPI_HDRLEN || TAPI_HDRLEN + dlen > len)
		return 0;
	flen = TAPI_HDRLEN + dlen;
	memcpy(buf, &type, 4);
	memcpy(buf + 4, &flen, 2);
	memset(buf + 6, 0, TAPI_HDRLEN - 6);
	memcpy(buf + TAPI_HDRLEN, data, dlen);
	return flen;
}

size_t
tapi_open(unsigned char *buf, size_t len, const char *name)
{
	unsigned char	op[sizeof(uint32_t) + TAPI_NAMELEN];
	uint32_t	version = TAPI_VERSION;

	memset(op, 0, sizeof(op));
	memcpy(op, &version, sizeof(version));
	(void)strlcpy((char *)op + sizeof(version), name, TAPI_NAMELEN);
	return tapi_request(buf, len, TAPI_OPEN, op, sizeof(op));
}

size_t
tapi_lookup(unsigned char *buf, size_t len, int service, const char *key)
{
	unsigned char	lk[sizeof(int32_t) + sizeof(uint64_t) + TAPI_KEYMAX];
	int32_t		svc = service;
	uint64_t	nparams = 0;
	size_t		klen = strlen(key) + 1;

	if (klen > TAPI_KEYMAX)
		return 0;
	memcpy(lk, &svc, sizeof(svc));
	memcpy(lk + sizeof(svc), &nparams, sizeof(nparams));
	memcpy(lk + sizeof(svc) + sizeof(nparams), key, klen);
	return tapi_request(buf, len, TAPI_LOOKUP, lk, sizeof(svc) +
	    sizeof(nparams) + klen);
}

int
tapi_opened(uint32_t type, size_t plen, char *why, size_t whylen)
{
	if (type != TAPI_OK) {
		(void)snprintf(why, whylen, "a frame of type %u", type);
		return -1;
	}
	if (plen != 0) {
		(void)snprintf(why, whylen, "%zu bytes in its answer to open",
		    plen);
		return -1;
	}
	return 0;
}

/*
 * The credentials hash must be one that authpop can check.  why never holds
 * the value: it may be a password.
 */
int
tapi_answer(uint32_t type, const unsigned char *p, size_t plen, int service,
    const char *key, char *value, size_t vlen, char *why, size_t whylen)
{
	int32_t		 res;
	char		*hash;
	size_t		 n;

	if (type != TAPI_OK) {
		(void)snprintf(why, whylen, "a frame of type %u", type);
		return TAPI_BAD;
	}
	if (plen < sizeof(res)) {
		(void)snprintf(why, whylen, "an answer of %zu bytes", plen);
		return TAPI_BAD;
	}
	memcpy(&res, p, sizeof(res));
	p += sizeof(res);
	plen -= sizeof(res);
	if (res == 0 || res == -1) {
		if (plen != 0) {
			(void)snprintf(why, whylen, "%zu bytes after its "
			    "answer %d", plen, (int)res);
			return TAPI_BAD;
		}
		return res == 0 ? TAPI_NONE : TAPI_ERROR;
	}
	if (res != 1) {
		(void)snprintf(why, whylen, "the answer %d", (int)res);
		return TAPI_BAD;
	}
	if (plen == 0 || memchr(p, '\0', plen) != p + plen - 1) {
		(void)snprintf(why, whylen, "a value that is not one string");
		return TAPI_BAD;
	}
	if (plen > vlen) {
		(void)snprintf(why, whylen, "a value of %zu bytes", plen - 1);
		return TAPI_INVALID;
	}
	memcpy(value, p, plen);
	if (service != TAPI_CREDENTIALS)
		return TAPI_FOUND;
	if ((hash = strchr(value, ':')) == NULL) {
		(void)snprintf(why, whylen, "not user:hash");
		goto invalid;
	}
	*hash++ = '\0';
	if (strcmp(value, key) != 0) {
		/*
		 * A directory that compares names without case (LDAP) finds
		 * "alice" for "Alice": popd's names have case.
		 */
		if (strcasecmp(value, key) == 0) {
			explicit_bzero(value, plen);
			return TAPI_NONE;
		}
		(void)snprintf(why, whylen, "the answer is for another user");
		goto invalid;
	}
	/*
	 * Weak kinds and costs over a ceiling pass: the caller knows whether
	 * they may.
	 */
	if ((n = strlen(hash)) > COMPAT_HASH_MAX) {
		(void)snprintf(why, whylen, "a hash of %zu bytes", n);
		goto invalid;
	}
	if (pwscheme_allowed(hash, 1 | PWA_COSTLY, NULL, why, whylen) == -1)
		goto invalid;
	memmove(value, hash, n + 1);
	return TAPI_FOUND;
 invalid:
	explicit_bzero(value, plen);
	return TAPI_INVALID;
}
