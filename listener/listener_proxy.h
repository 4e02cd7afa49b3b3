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
 * listener_proxy.h -- the PROXY protocol header parser, for the listener and
 * its tests.
 */
#ifndef POPD_LISTENER_PROXY_H
#define POPD_LISTENER_PROXY_H

#include <stddef.h>

#include "util.h"
#include "addr.h"

#define PROXY_V1_MAX		107	/* the whole line, CRLF included */
#define PROXY_V2_MIN		16	/* signature, command, family, length */
#define PROXY_V2_MAXLEN		1024	/* addresses and TLVs we accept */
#define PROXY_MAX		(PROXY_V2_MIN + PROXY_V2_MAXLEN)

struct proxy_hdr {
	int		local;		/* LOCAL, UNKNOWN, UNSPEC: no client */
	struct peeraddr	peer;		/* the client, unless local */
};

/* listener_proxy.c */
int	proxy_parse(const unsigned char *, size_t, struct proxy_hdr *,
	    const char **);
size_t	proxy_want(const unsigned char *, size_t, int *);

#endif
