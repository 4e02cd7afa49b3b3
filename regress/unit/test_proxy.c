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
 * test_proxy -- the PROXY protocol header parser (listener/listener_proxy.c):
 * versions 1 and 2, every way a header can be short, long or wrong,
 * proxy_want never letting the listener read past a header's end, and
 * the IPv4 client of a dual-stack proxy (::ffff:a.b.c.d) made IPv4.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "../../listener/listener_proxy.h"
#include "unit.h"

static const unsigned char sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* A v2 header: ver/cmd, family, body (len bytes). */
static size_t
v2(unsigned char *out, int vercmd, int fam, const unsigned char *body,
    size_t len)
{
	memcpy(out, sig, sizeof(sig));
	out[12] = vercmd;
	out[13] = fam;
	out[14] = len >> 8;
	out[15] = len & 0xff;
	if (len > 0)
		memcpy(out + 16, body, len);
	return 16 + len;
}

/*
 * buf parses as want (a length, 0 for "more", -1 for bad) with addr (a
 * client, "" for LOCAL), and every proper prefix of a good one asks for
 * more.
 */
static void
expect(const char *what, const unsigned char *buf, size_t len, int want,
    const char *addr)
{
	struct proxy_hdr	 h;
	const unsigned char	*lf;
	const char		*errstr = NULL;
	char			 got[PEER_STRLEN];
	size_t			 i, more;
	int			 r, to_lf;

	r = proxy_parse(buf, len, &h, &errstr);
	CHECK(r == want, "%s: parse %d, want %d (%s)", what, r, want,
	    errstr ? errstr : "no error");
	if (r == -1)
		CHECK(errstr != NULL, "%s: a reason for -1", what);
	if (r > 0) {
		if (h.local)
			got[0] = '\0';
		else
			(void)peer_str(&h.peer, got, sizeof(got));
		CHECK(strcmp(got, addr) == 0 && h.local == (*addr == '\0'),
		    "%s: client \"%s\" local %d, want \"%s\"", what, got,
		    h.local, addr);
		/* Read as the listener does, the header ends where it ends. */
		for (i = 0; i < (size_t)r; i += more) {
			more = proxy_want(buf, i, &to_lf);
			lf = memchr(buf + i, '\n', r - i);
			if (to_lf && lf != NULL &&
			    (size_t)(lf - (buf + i)) + 1 < more)
				more = lf - (buf + i) + 1;
			CHECK(more > 0 && i + more <= (size_t)r,
			    "%s: proxy_want(%zu) = %zu, header %d", what, i,
			    more, r);
			if (more == 0)
				break;
			CHECK(proxy_parse(buf, i + more, &h, &errstr) ==
			    (i + more == (size_t)r ? r : 0),
			    "%s: prefix of %zu bytes", what, i + more);
		}
	}
}

static void
test_v1(void)
{
	const char	*good[][2] = {
		{ "PROXY TCP4 192.0.2.1 192.0.2.2 56324 995\r\n",
		    "192.0.2.1:56324" },
		{ "PROXY TCP6 2001:db8::1 2001:db8::2 4 995\r\n",
		    "[2001:db8::1]:4" },
		/* An IPv4 client of a dual-stack proxy is IPv4. */
		{ "PROXY TCP6 ::ffff:192.0.2.1 ::1 0 65535\r\n",
		    "192.0.2.1" },
		{ "PROXY TCP6 ::ffff:192.0.2.1 ::ffff:192.0.2.2 1 995\r\n",
		    "192.0.2.1:1" },
		{ "PROXY TCP6 ::192.0.2.1 ::1 2 995\r\n",
		    "[::192.0.2.1]:2" },
		{ "PROXY UNKNOWN\r\n", "" },
		{ "PROXY UNKNOWN fe80::1%eth0 ::1 1 995\r\n", "" },
		{ "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 "
		    "65535\r\n", "" },
	};
	const char	*bad[] = {
		"PROXY TCP4 192.0.2.1 192.0.2.2 56324\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 56324 995 x\r\n",
		"PROXY TCP4 2001:db8::1 192.0.2.2 1 2\r\n",
		"PROXY TCP6 192.0.2.1 2001:db8::2 1 2\r\n",
		/* A client that does not parse: a bad header, not UNKNOWN. */
		"PROXY TCP6 fe80::1%eth0 ::1 1 995\r\n",
		"PROXY TCP6 fe80::1%1 ::1 1 995\r\n",
		"PROXY TCP6 unknown ::1 1 995\r\n",
		"PROXY TCP4 unknown 192.0.2.2 1 995\r\n",
		"PROXY TCP6 ::ffff:192.0.2.1%eth0 ::1 1 995\r\n",
		"PROXY TCP4 ::ffff:192.0.2.1 192.0.2.2 1 995\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 65536 995\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 -1 995\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 0995 995\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2  995\r\n",
		"PROXY TCP4 192.0.2.1  192.0.2.2 1 995\r\n",
		"PROXY UDP4 192.0.2.1 192.0.2.2 1 995\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 1 995\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 1 995\r\r\n",
		"PROXY TCP4 192.0.2.1\t192.0.2.2 1 995\r\n",
		"PROXY \r\n",
		"proxy TCP4 192.0.2.1 192.0.2.2 1 995\r\n",
		"GET / HTTP/1.0\r\n",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
	};
	char		 longline[200];
	size_t		 i;

	for (i = 0; i < nitems(good); i++)
		expect(good[i][0], (const unsigned char *)good[i][0],
		    strlen(good[i][0]), strlen(good[i][0]), good[i][1]);
	for (i = 0; i < nitems(bad); i++)
		expect(bad[i], (const unsigned char *)bad[i], strlen(bad[i]),
		    -1, "");
	/* A start that could still become a header asks for more. */
	expect("PROX", (const unsigned char *)"PROX", 4, 0, "");
	expect("v1 without its CRLF yet", (const unsigned char *)
	    "PROXY TCP4 192.0.2.1 19", 23, 0, "");
	/* 107 bytes at most, CRLF included. */
	memset(longline, '1', sizeof(longline));
	memcpy(longline, "PROXY UNKNOWN ", 14);
	expect("v1 of 108 bytes without an end", (unsigned char *)longline,
	    108, -1, "");
	memcpy(longline + 105, "\r\n", 2);
	expect("v1 of 107 bytes", (unsigned char *)longline, 107, 107, "");
	memcpy(longline + 105, "11\r\n", 4);
	expect("v1 of 109 bytes", (unsigned char *)longline, 109, -1, "");
}

static void
test_v2(void)
{
	unsigned char	 b[2048], body[1100];
	size_t		 n;

	memset(body, 0, sizeof(body));
	/* TCP4 192.0.2.1:56324 -> 192.0.2.2:995 */
	memcpy(body, "\xc0\x00\x02\x01\xc0\x00\x02\x02\xdc\x04\x03\xe3", 12);
	n = v2(b, 0x21, 0x11, body, 12);
	expect("v2 TCP4", b, n, n, "192.0.2.1:56324");
	/* With TLVs after the addresses: skipped. */
	memcpy(body + 12, "\x01\x00\x02h2\x20\x00\x05\x01\x00\x00\x00\x00",
	    13);
	n = v2(b, 0x21, 0x11, body, 25);
	expect("v2 TCP4 with TLVs", b, n, n, "192.0.2.1:56324");
	/* TCP6 [2001:db8::1]:4 -> [2001:db8::2]:995 */
	memset(body, 0, 36);
	memcpy(body, "\x20\x01\x0d\xb8", 4);
	body[15] = 1;
	memcpy(body + 16, "\x20\x01\x0d\xb8", 4);
	body[31] = 2;
	body[33] = 4;
	body[34] = 0x03;
	body[35] = 0xe3;
	n = v2(b, 0x21, 0x21, body, 36);
	expect("v2 TCP6", b, n, n, "[2001:db8::1]:4");
	/* TCP6 [::ffff:192.0.2.1]:4 -> [::ffff:192.0.2.2]:995: IPv4. */
	memset(body, 0, 36);
	memcpy(body + 10, "\xff\xff\xc0\x00\x02\x01", 6);
	memcpy(body + 26, "\xff\xff\xc0\x00\x02\x02", 6);
	body[33] = 4;
	body[34] = 0x03;
	body[35] = 0xe3;
	n = v2(b, 0x21, 0x21, body, 36);
	expect("v2 TCP6 IPv4-mapped", b, n, n, "192.0.2.1:4");
	n = v2(b, 0x20, 0x00, NULL, 0);
	expect("v2 LOCAL", b, n, n, "");
	n = v2(b, 0x20, 0x11, body, 12);
	expect("v2 LOCAL with addresses", b, n, n, "");
	n = v2(b, 0x21, 0x00, NULL, 0);
	expect("v2 PROXY UNSPEC", b, n, n, "");
	n = v2(b, 0x21, 0x11, body, 11);
	expect("v2 TCP4 too short", b, n, -1, "");
	n = v2(b, 0x21, 0x21, body, 35);
	expect("v2 TCP6 too short", b, n, -1, "");
	n = v2(b, 0x21, 0x12, body, 12);
	expect("v2 UDP4", b, n, -1, "");
	n = v2(b, 0x21, 0x31, body, 216);
	expect("v2 UNIX", b, n, -1, "");
	n = v2(b, 0x11, 0x11, body, 12);
	expect("v2 version 1", b, n, -1, "");
	n = v2(b, 0x22, 0x11, body, 12);
	expect("v2 command 2", b, n, -1, "");
	n = v2(b, 0x21, 0x11, body, 1025);
	expect("v2 body over 1024", b, n, -1, "");
	memset(body, 0, sizeof(body));
	n = v2(b, 0x21, 0x11, body, 1024);
	expect("v2 body of 1024", b, n, n, "0.0.0.0");
	/* Truncated: asks for more, at every length. */
	n = v2(b, 0x21, 0x11, body, 12);
	expect("v2 truncated", b, n - 1, 0, "");
	expect("v2 signature only", b, 12, 0, "");
	b[5] = 'x';
	expect("v2 bad signature", b, 12, -1, "");
}

/*
 * What a dual-stack proxy names ::ffff:192.0.2.1, in v1 and v2, is the
 * IPv4 client 192.0.2.1 for everything after the parser: the log line,
 * IPv4 networks (trusted, proxy), and the per-address key.
 */
static void
test_mapped(void)
{
	const char		*v1 = "PROXY TCP6 ::ffff:192.0.2.1 "
				    "::ffff:192.0.2.2 56324 995\r\n";
	unsigned char		 b[64], body[36];
	struct proxy_hdr	 h;
	struct netaddr		 net;
	struct peeraddr		 v4;
	struct addrkey		 k, k4;
	const char		*errstr = NULL;
	char			 buf[PEER_STRLEN];
	size_t			 n;
	int			 i;

	memset(body, 0, sizeof(body));
	memcpy(body + 10, "\xff\xff\xc0\x00\x02\x01", 6);
	memcpy(body + 26, "\xff\xff\xc0\x00\x02\x02", 6);
	memcpy(body + 32, "\xdc\x04\x03\xe3", 4);
	n = v2(b, 0x21, 0x21, body, sizeof(body));
	if (net_parse("192.0.2.0/24", &net, &errstr) == -1 ||
	    peer_parse("192.0.2.1:1", &v4) == -1) {
		CHECK(0, "net_parse, peer_parse: %s", errstr);
		return;
	}
	addr_key(&v4, 32, 64, &k4);
	for (i = 0; i < 2; i++) {
		if (i == 0)
			CHECK_INT(proxy_parse((const unsigned char *)v1,
			    strlen(v1), &h, &errstr), (int)strlen(v1));
		else
			CHECK_INT(proxy_parse(b, n, &h, &errstr), (int)n);
		CHECK_INT(h.local, 0);
		CHECK_INT(h.peer.af, AF_INET);
		CHECK_INT(peer_valid(&h.peer), 1);
		CHECK_STR(peer_log(&h.peer, buf, sizeof(buf)),
		    "192.0.2.1 port 56324");
		CHECK_INT(net_match(&net, 1, &h.peer), 1);
		addr_key(&h.peer, 32, 64, &k);
		CHECK(addrkey_cmp(&k, &k4) == 0, "v%d: the key of 192.0.2.1",
		    i + 1);
	}
}

int
main(void)
{
	test_v1();
	test_v2();
	test_mapped();
	return unit_done();
}
