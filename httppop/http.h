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

#ifndef POPD_HTTP_H
#define POPD_HTTP_H

#include <stddef.h>

#include "addr.h"
#include "authhttp.h"
#include "compat.h"
#include "proto.h"
#include "util.h"

#define HTTP_MAXREQ	4096	/* the request head, CRLFCRLF included */
#define HTTP_MAXHDRS	32	/* header lines */
#define HTTP_MAXLINE	1024	/* one line, CRLF included */

/* What http_parse() makes of the bytes so far. */
#define HTTP_MORE	0	/* no end of head yet: read more */
#define HTTP_DONE	1	/* *r is the request; *used bytes were it */
#define HTTP_BAD	(-1)	/* answer 400 and close: why says what */

/*
 * A value too long is "" with its toolong flag set.  With badchars both are
 * "", for such a name or password is refused unchecked.
 */
struct http_req {
	int			 method;	/* enum http_method */
	int			 protocol;	/* enum http_proto */
	int			 attempt;	/* Auth-Login-Attempt, 1 if absent */
	int			 badchars;
	int			 usertoolong;
	int			 passtoolong;
	struct peeraddr		 client;
	char			 user[POPD_MAXUSER + 1];
	char			 pass[COMPAT_PASS_MAX + 1];
};

/* http.c */
int	http_parse(const char *, size_t, struct http_req *, size_t *, char *,
	    size_t);
size_t	http_bad(char *, size_t);

#endif
