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
 * tapi.h -- OpenSMTPD's table API (version 2) as popd speaks it to the
 * table programs: the frames, and what an answer may be (tapi.c).
 */
#ifndef POPD_TAPI_H
#define POPD_TAPI_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define TAPI_VERSION		2
#define TAPI_NAMELEN		2048	/* struct table_open_params */
#define TAPI_OK			0	/* PROC_TABLE_OK */
#define TAPI_OPEN		2
#define TAPI_LOOKUP		6
#define TAPI_HDRLEN		16	/* struct imsg_hdr */
#define TAPI_MAXLEN		16384	/* MAX_IMSGSIZE */
#define TAPI_KEYMAX		256	/* a key we ask, with its NUL */

/* K_ALIAS, K_CREDENTIALS and K_USERINFO */
#define TAPI_ALIAS		0x01
#define TAPI_CREDENTIALS	0x04
#define TAPI_USERINFO		0x10

/* What tapi_answer() makes of a frame. */
#define TAPI_FOUND		1	/* value holds the answer */
#define TAPI_NONE		0	/* no such key */
#define TAPI_ERROR		(-1)	/* the program could not say */
#define TAPI_INVALID		(-2)	/* a value we do not take: why */
#define TAPI_BAD		(-3)	/* out of step: why */

ssize_t		 tapi_frame(const unsigned char *, size_t, uint32_t *,
		    size_t *, char *, size_t);
size_t		 tapi_request(unsigned char *, size_t, uint32_t, const void *,
		    size_t);
size_t		 tapi_open(unsigned char *, size_t, const char *);
size_t		 tapi_lookup(unsigned char *, size_t, int, const char *);
int		 tapi_opened(uint32_t, size_t, char *, size_t);
int		 tapi_answer(uint32_t, const unsigned char *, size_t, int,
		    const char *, char *, size_t, char *, size_t);

#endif
