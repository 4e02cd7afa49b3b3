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
 * tapi.c -- the frames of OpenSMTPD's table API, read as strictly as
 * what a client sends: a table program (and the database behind it) is
 * outside popd.  Nothing here has state; regress/fuzz/fuzz_tapi.c feeds
 * it what a program could write.
 *
 * A frame is an imsg: a 16-byte header (type, total length, flags, peer
 * id, pid; host order) and its payload.  The answer to PROC_TABLE_OPEN
 * is PROC_TABLE_OK with nothing; the answer to a lookup is PROC_TABLE_OK
 * with an int, 1 and then the value as one string that ends the frame,
 * or 0 or -1 alone.  Anything else means the stream is out of step.
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
 * The length of the first frame in buf (its type in *type, its payload
 * length in *plen), 0 if buf does not hold all of it yet, or -1 with why
 * if it cannot be a frame.  A frame is at most TAPI_MAXLEN bytes, as in
 * imsg(3): one that says it is longer could never fit the caller's
 * buffer, which would wait for it forever.
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

/* A frame of type with payload data into buf; its length, 0 if too big. */
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
	/* No flags, peer id or pid. */
	memset(buf + 6, 0, TAPI_HDRLEN - 6);
	memcpy(buf + TAPI_HDRLEN, data, dlen);
	return flen;
}

/*
 * Our PROC_TABLE_OPEN of the table name (struct table_open_params:
 * the API version, the name in LINE_MAX bytes), as a frame in buf; its
 * length, 0 if buf is too small.
 */
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

/*
 * A PROC_TABLE_LOOKUP of key for service (an int, no parameters: a
 * size_t 0, the key with its NUL), as a frame in buf; its length, 0 if
 * buf is too small.
 */
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

/* The answer to our PROC_TABLE_OPEN: 0, or -1 and why. */
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
 * The answer to a lookup of key for service, a frame of type with
 * payload p.  TAPI_FOUND puts the value in value: for credentials
 * ("user:hash", for the user asked) the hash alone, which must be one
 * that authpop can check; for userinfo the string as it came (the parent
 * checks it as it checks usertab's lines).  why never holds the value:
 * it may be a password.
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
		 * A directory that compares names without case (LDAP)
		 * found "alice" for "Alice": popd's names have case, so
		 * there is no user "Alice".
		 */
		if (strcasecmp(value, key) == 0) {
			explicit_bzero(value, plen);
			return TAPI_NONE;
		}
		(void)snprintf(why, whylen, "the answer is for another user");
		goto invalid;
	}
	/*
	 * Weak kinds and costs over a kind's ceiling pass here: the caller
	 * knows whether they may.
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
