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
 * listener_proxy.c -- the PROXY protocol header, versions 1 and 2 (HAProxy's
 * proxy-protocol.txt).  Parsing only, so that a unit test and a fuzzer reach
 * every case.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "addr.h"
#include "listener_proxy.h"

static const unsigned char v2sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
static const char v1sig[] = "PROXY ";

static int
parse_v1(const unsigned char *buf, size_t len, struct proxy_hdr *h,
    const char **errstr)
{
	char		 line[PROXY_V1_MAX + 1], *f[7], *p;
	unsigned char	 a[16];
	const char	*e;
	size_t		 i, n;
	int		 af, port;

	for (i = 0; i < len && i < PROXY_V1_MAX; i++) {
		if (buf[i] == '\n')
			break;
		if ((buf[i] < 0x20 || buf[i] > 0x7e) && buf[i] != '\r') {
			*errstr = "v1 header with a control character";
			return -1;
		}
	}
	if (i == len && len < PROXY_V1_MAX)
		return 0;
	if (i == PROXY_V1_MAX || i == 0 || buf[i - 1] != '\r' ||
	    memchr(buf, '\r', i - 1) != NULL) {
		*errstr = i == PROXY_V1_MAX ? "v1 header too long" :
		    "v1 header not ended by CRLF";
		return -1;
	}
	memcpy(line, buf, i - 1);
	line[i - 1] = '\0';
	for (n = 0, p = line; n < nitems(f) && p != NULL; n++)
		f[n] = strsep(&p, " ");
	if (n >= 2 && strcmp(f[1], "UNKNOWN") == 0) {
		h->local = 1;
		return i + 1;
	}
	if (n != 6 || p != NULL) {
		*errstr = "v1 header: not PROXY TCP4|TCP6 src dst sport dport";
		return -1;
	}
	if (strcmp(f[1], "TCP4") == 0)
		af = AF_INET;
	else if (strcmp(f[1], "TCP6") == 0)
		af = AF_INET6;
	else {
		*errstr = "v1 header: protocol not TCP4, TCP6 or UNKNOWN";
		return -1;
	}
	/*
	 * An address that does not parse (a scope, "unknown") is refused: only
	 * UNKNOWN names no client.  A v4-mapped client is IPv4 from here on
	 * (peer_set).
	 */
	if (inet_pton(af, f[3], a) != 1 || inet_pton(af, f[2], a) != 1) {
		*errstr = "v1 header: bad address";
		return -1;
	}
	for (n = 5; n >= 4; n--) {
		/* Decimal, no sign, no leading zero. */
		if (f[n][0] == '\0' || strspn(f[n], "0123456789") !=
		    strlen(f[n]) || (f[n][0] == '0' && f[n][1] != '\0') ||
		    (port = strtonum(f[n], 0, 65535, &e), e != NULL)) {
			*errstr = "v1 header: bad port";
			return -1;
		}
	}
	if (peer_set(&h->peer, af, a, port) == -1) {
		*errstr = "v1 header: bad address";
		return -1;
	}
	return i + 1;
}

static int
parse_v2(const unsigned char *buf, size_t len, struct proxy_hdr *h,
    const char **errstr)
{
	const unsigned char	*p = buf + PROXY_V2_MIN;
	size_t			 blen, alen;

	if (len < PROXY_V2_MIN)
		return 0;
	if ((buf[12] & 0xf0) != 0x20) {
		*errstr = "v2 header: version not 2";
		return -1;
	}
	if ((buf[12] & 0x0f) > 1) {
		*errstr = "v2 header: command not LOCAL or PROXY";
		return -1;
	}
	blen = (size_t)buf[14] << 8 | buf[15];
	if (blen > PROXY_V2_MAXLEN) {
		*errstr = "v2 header too long";
		return -1;
	}
	if (len < PROXY_V2_MIN + blen)
		return 0;
	/* LOCAL (a health check of the proxy's own): no client named. */
	if ((buf[12] & 0x0f) == 0 || buf[13] == 0x00) {
		h->local = 1;
		return PROXY_V2_MIN + blen;
	}
	/* TCP over IPv4 (0x11) or IPv6 (0x21; ::ffff:a.b.c.d is IPv4). */
	if (buf[13] != 0x11 && buf[13] != 0x21) {
		*errstr = "v2 header: not TCP over IPv4 or IPv6";
		return -1;
	}
	/* TLVs are skipped: none is needed. */
	alen = buf[13] == 0x11 ? 4 : 16;
	if (blen < 2 * alen + 4 || peer_set(&h->peer, alen == 4 ? AF_INET :
	    AF_INET6, p, p[2 * alen] << 8 | p[2 * alen + 1]) == -1) {
		*errstr = "v2 header: address block too short";
		return -1;
	}
	return PROXY_V2_MIN + blen;
}

/* 0 while buf is the start of a header that needs more bytes. */
int
proxy_parse(const unsigned char *buf, size_t len, struct proxy_hdr *h,
    const char **errstr)
{
	memset(h, 0, sizeof(*h));
	if (memcmp(buf, v2sig, len < sizeof(v2sig) ? len : sizeof(v2sig)) ==
	    0)
		return len < sizeof(v2sig) ? 0 : parse_v2(buf, len, h, errstr);
	if (memcmp(buf, v1sig, len < 6 ? len : 6) == 0)
		return len < 6 ? 0 : parse_v1(buf, len, h, errstr);
	*errstr = "not a PROXY protocol header";
	return -1;
}

/* *to_lf: a v1 header, whose LF the reader must look for itself. */
size_t
proxy_want(const unsigned char *buf, size_t len, int *to_lf)
{
	size_t	total;

	*to_lf = 0;
	if (len < 15)
		return 15 - len;
	if (memcmp(buf, v2sig, sizeof(v2sig)) != 0) {
		*to_lf = 1;
		return len < PROXY_V1_MAX ? PROXY_V1_MAX - len : 0;
	}
	if (len < PROXY_V2_MIN)
		return PROXY_V2_MIN - len;
	total = PROXY_V2_MIN + ((size_t)buf[14] << 8 | buf[15]);
	return total > len ? total - len : 0;
}
