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
 * test_addr -- the parent's address text (addr.c, linked alone):
 * splitting -l/-p addresses into host and port, parsing -t networks,
 * and matching client addresses as the listener reports them against
 * those networks, at every interesting prefix length.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "unit.h"

/* Split arg; expect host and port, or (host NULL) the error want. */
static void
split(const char *arg, const char *host, const char *port, const char *want)
{
	char		 h[ADDR_HOSTMAX], p[ADDR_PORTMAX];
	const char	*errstr = NULL;
	int		 r;

	r = addr_split(arg, "995", h, sizeof(h), p, sizeof(p), &errstr);
	if (host != NULL) {
		CHECK(r == 0, "addr_split(\"%s\"): expected 0, got %d (%s)",
		    arg, r, errstr ? errstr : "");
		if (r == 0) {
			CHECK_STR(h, host);
			CHECK_STR(p, port);
		}
	} else {
		CHECK(r == -1, "addr_split(\"%s\"): expected -1, got %d", arg,
		    r);
		if (r == -1)
			CHECK(errstr != NULL && strcmp(errstr, want) == 0,
			    "addr_split(\"%s\"): expected \"%s\", got \"%s\"",
			    arg, want, errstr ? errstr : "(null)");
	}
}

/* Parse net; expect success (want NULL) or the error want. */
static void
parse(const char *arg, int af, int bits, const char *want)
{
	struct netaddr	 n;
	const char	*errstr = NULL;
	int		 r;

	r = net_parse(arg, &n, &errstr);
	if (want == NULL) {
		CHECK(r == 0, "net_parse(\"%s\"): expected 0, got %d (%s)",
		    arg, r, errstr ? errstr : "");
		if (r == 0) {
			CHECK(n.af == af, "net_parse(\"%s\"): af %d, got %d",
			    arg, af, n.af);
			CHECK(n.bits == bits, "net_parse(\"%s\"): bits %d, "
			    "got %d", arg, bits, n.bits);
		}
	} else {
		CHECK(r == -1, "net_parse(\"%s\"): expected -1, got %d", arg,
		    r);
		if (r == -1)
			CHECK(errstr != NULL && strcmp(errstr, want) == 0,
			    "net_parse(\"%s\"): expected \"%s\", got \"%s\"",
			    arg, want, errstr ? errstr : "(null)");
	}
}

/*
 * A client address as text, typed as the listener would send it; what
 * does not parse is an unknown client (af 0).  Two buffers, for two
 * arguments of one call.
 */
static const struct peeraddr *
P(const char *text)
{
	static struct peeraddr	 p[2];
	static int		 i;

	i = !i;
	if (peer_parse(text, &p[i]) == -1)
		memset(&p[i], 0, sizeof(p[i]));
	return &p[i];
}

/* Is peer in the one network net? */
static void
match(const char *net, const char *peer, int want)
{
	struct netaddr	 n;
	const char	*errstr;
	int		 got;

	if (net_parse(net, &n, &errstr) == -1) {
		CHECK(0, "net_parse(\"%s\"): %s", net, errstr);
		return;
	}
	got = net_match(&n, 1, P(peer));
	CHECK(got == want, "net_match(%s, \"%s\"): expected %d, got %d", net,
	    peer, want, got);
}

static void
test_split(void)
{
	char	 longer[ADDR_HOSTMAX + 8];

	split("127.0.0.1", "127.0.0.1", "995", NULL);
	split("127.0.0.1:9950", "127.0.0.1", "9950", NULL);
	split("[::1]:9950", "::1", "9950", NULL);
	split("[::1]", "::1", "995", NULL);
	split("[::1]:", "::1", "995", NULL);
	split("::1", "::1", "995", NULL);
	split("2001:db8::1", "2001:db8::1", "995", NULL);
	split("*:995", "*", "995", NULL);
	split("*", "*", "995", NULL);
	split("127.0.0.1:", "127.0.0.1", "995", NULL);
	split("localhost:1", "localhost", "1", NULL);
	split("127.0.0.1:65535", "127.0.0.1", "65535", NULL);

	split("[::1", NULL, NULL, "missing ']'");
	split("[::1]x", NULL, NULL, "junk after ']'");
	split("[::1]9950", NULL, NULL, "junk after ']'");
	split("127.0.0.1:99999", NULL, NULL, "port is too large");
	split("127.0.0.1:65536", NULL, NULL, "port is too large");
	split("127.0.0.1:0", NULL, NULL, "port is too small");
	split("127.0.0.1:-1", NULL, NULL, "port is too small");
	split("127.0.0.1:pop3s", NULL, NULL, "port is invalid");
	split("127.0.0.1:99 ", NULL, NULL, "port is invalid");
	split("[::1]:x", NULL, NULL, "port is invalid");
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	split(longer, NULL, NULL, "too long");
}

static void
test_parse(void)
{
	parse("192.0.2.0/24", AF_INET, 24, NULL);
	parse("192.0.2.1", AF_INET, 32, NULL);
	parse("0.0.0.0/0", AF_INET, 0, NULL);
	parse("10.0.0.0/8", AF_INET, 8, NULL);
	parse("2001:db8::/32", AF_INET6, 32, NULL);
	parse("::1", AF_INET6, 128, NULL);
	parse("::/0", AF_INET6, 0, NULL);
	parse("fe80::/64", AF_INET6, 64, NULL);
	/* IPv4-mapped networks are the IPv4 networks they map. */
	parse("::ffff:192.0.2.0/120", AF_INET, 24, NULL);
	parse("::ffff:127.0.0.1", AF_INET, 32, NULL);
	parse("::ffff:0:0/96", AF_INET, 0, NULL);
	parse("::ffff:0:0/95", 0, 0, "IPv4-mapped network shorter than /96");
	/* IPv4-compatible and NAT64 ones stay IPv6. */
	parse("::192.0.2.0/120", AF_INET6, 120, NULL);
	parse("64:ff9b::/96", AF_INET6, 96, NULL);

	parse("example.org", 0, 0, "not an IPv4 or IPv6 network");
	parse("", 0, 0, "not an IPv4 or IPv6 network");
	parse("10.0.0/8", 0, 0, "not an IPv4 or IPv6 network");
	parse("[::1]", 0, 0, "not an IPv4 or IPv6 network");
	parse("10.0.0.0/33", 0, 0, "prefix length is too large");
	parse("::/129", 0, 0, "prefix length is too large");
	parse("10.0.0.0/-1", 0, 0, "prefix length is too small");
	parse("10.0.0.0/", 0, 0, "prefix length is invalid");
	parse("10.0.0.0/8x", 0, 0, "prefix length is invalid");
	/* Leading zeros would make a good prefix, were it short enough. */
	parse("10.0.0.0/00000000000000000000000000000000000000000000000008",
	    0, 0, "too long");
}

static void
test_match(void)
{
	struct netaddr	 nets[2];
	const char	*errstr;

	/* /0: everything of the family, nothing of the other. */
	match("0.0.0.0/0", "203.0.113.9:110", 1);
	match("0.0.0.0/0", "[::1]:110", 0);
	match("::/0", "[2001:db8::1]:110", 1);
	match("::/0", "127.0.0.1:110", 0);

	/* /7, /8, /9: around the first byte boundary. */
	match("10.0.0.0/7", "11.255.0.1:110", 1);
	match("10.0.0.0/7", "12.0.0.1:110", 0);
	match("10.0.0.0/7", "9.0.0.1:110", 0);
	match("10.0.0.0/8", "10.200.3.4:110", 1);
	match("10.0.0.0/8", "11.0.0.1:110", 0);
	match("10.0.0.0/9", "10.127.255.255:110", 1);
	match("10.0.0.0/9", "10.128.0.0:110", 0);

	/* /24 and /32. */
	match("192.0.2.0/24", "192.0.2.200:995", 1);
	match("192.0.2.0/24", "192.0.3.1:995", 0);
	match("127.0.0.1", "127.0.0.1:110", 1);
	match("127.0.0.1/32", "127.0.0.2:110", 0);
	match("127.0.0.1", "127.0.0.1", 1);	/* no port */

	/* IPv6: /64 and /128. */
	match("2001:db8:1:2::/64", "[2001:db8:1:2:ffff::1]:110", 1);
	match("2001:db8:1:2::/64", "[2001:db8:1:3::1]:110", 0);
	match("::1", "[::1]:110", 1);
	match("::1/128", "[::2]:110", 0);

	/*
	 * An IPv4-mapped client is IPv4, whichever way the network is
	 * written; IPv6 networks no longer take it.
	 */
	match("127.0.0.0/8", "[::ffff:127.0.0.1]:110", 1);
	match("127.0.0.0/8", "[::ffff:128.0.0.1]:110", 0);
	match("::ffff:127.0.0.0/104", "127.0.0.1:110", 1);
	match("::ffff:127.0.0.0/104", "[::ffff:127.0.0.1]:110", 1);
	match("0.0.0.0/0", "[::ffff:192.0.2.1]:110", 1);
	match("::/0", "[::ffff:192.0.2.1]:110", 0);
	/* The families never mix otherwise: compatible and NAT64 forms. */
	match("127.0.0.1", "[::127.0.0.1]:110", 0);
	match("::/96", "[::127.0.0.1]:110", 1);
	match("192.0.2.0/24", "[64:ff9b::192.0.2.1]:110", 0);
	match("64:ff9b::/96", "[64:ff9b::192.0.2.1]:110", 1);
	match("::/0", "[64:ff9b::192.0.2.1]:110", 1);

	/* Addresses that do not parse are in no network. */
	match("0.0.0.0/0", "", 0);
	match("0.0.0.0/0", "unknown", 0);
	match("::/0", "[::1:110", 0);
	match("::/0", "::1", 0);		/* v6 without brackets */
	match("0.0.0.0/0", "1.2.3.4.5:110", 0);
	match("::/0", "[0000:0000:0000:0000:0000:0000:0000:0001]:"
	    "00000000000000000000065535", 0);	/* too long */
	match("::/0", "[0000:0000:0000:0000:0000:0000:0000:0001]:65535", 1);

	/* Several networks: any one will do; none gives 0. */
	if (net_parse("10.0.0.0/8", &nets[0], &errstr) == -1 ||
	    net_parse("::1", &nets[1], &errstr) == -1) {
		CHECK(0, "net_parse: %s", errstr);
		return;
	}
	CHECK_INT(net_match(nets, 2, P("[::1]:110")), 1);
	CHECK_INT(net_match(nets, 2, P("10.1.1.1:110")), 1);
	CHECK_INT(net_match(nets, 2, P("127.0.0.1:110")), 0);
	CHECK_INT(net_match(nets, 0, P("10.1.1.1:110")), 0);
}

/* Do a and b count as one client, with these prefixes? */
static void
same_client(const char *a, const char *b, int v4, int v6, int want)
{
	struct addrkey	ka, kb;
	int		got;

	addr_key(P(a), v4, v6, &ka);
	addr_key(P(b), v4, v6, &kb);
	got = addrkey_cmp(&ka, &kb) == 0;
	CHECK(got == want, "addr_key /%d /%d: \"%s\" and \"%s\": expected "
	    "%s, got %s", v4, v6, a, b, want ? "one client" : "two",
	    got ? "one" : "two");
}

static void
key_text(const char *a, int v4, int v6, const char *want)
{
	struct addrkey	k;
	char		buf[64];

	addr_key(P(a), v4, v6, &k);
	addrkey_str(&k, v4, v6, buf, sizeof(buf));
	CHECK(strcmp(buf, want) == 0, "addrkey_str(\"%s\"): expected \"%s\", "
	    "got \"%s\"", a, want, buf);
}

/*
 * A client address typed: from a socket address, as text for the rules'
 * tests and logs, and checked as a message field.
 */
static void
test_peer(void)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	struct peeraddr		 p;
	struct netaddr		 n;
	struct addrkey		 k, k4;
	const char		*errstr;
	char			 buf[PEER_STRLEN];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(995);
	(void)inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	CHECK_INT(peer_from_sockaddr(&p, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	CHECK_STR(peer_str(&p, buf, sizeof(buf)), "192.0.2.7:995");
	CHECK_STR(peer_log(&p, buf, sizeof(buf)), "192.0.2.7 port 995");
	CHECK_INT(peer_valid(&p), 1);
	/* nginx's Client-IP has no port: none in peer_str or peer_log. */
	p.port = 0;
	CHECK_STR(peer_str(&p, buf, sizeof(buf)), "192.0.2.7");
	CHECK_STR(peer_log(&p, buf, sizeof(buf)), "192.0.2.7");
	p.port = 995;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(40000);
	(void)inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	CHECK_INT(peer_from_sockaddr(&p, (struct sockaddr *)&sin6,
	    sizeof(sin6)), 0);
	CHECK_STR(peer_str(&p, buf, sizeof(buf)), "[2001:db8::1]:40000");
	CHECK_STR(peer_log(&p, buf, sizeof(buf)), "2001:db8::1 port 40000");
	/*
	 * An IPv4 client on a dual-stack socket (IPV6_V6ONLY off) is
	 * IPv4: in the logs, in IPv4 networks, under its IPv4 key.
	 */
	(void)inet_pton(AF_INET6, "::ffff:192.0.2.7", &sin6.sin6_addr);
	CHECK_INT(peer_from_sockaddr(&p, (struct sockaddr *)&sin6,
	    sizeof(sin6)), 0);
	CHECK_INT(p.af, AF_INET);
	CHECK_STR(peer_str(&p, buf, sizeof(buf)), "192.0.2.7:40000");
	CHECK_STR(peer_log(&p, buf, sizeof(buf)), "192.0.2.7 port 40000");
	CHECK_INT(peer_valid(&p), 1);
	if (net_parse("192.0.2.0/24", &n, &errstr) == -1)
		CHECK(0, "net_parse: %s", errstr);
	else
		CHECK_INT(net_match(&n, 1, &p), 1);
	addr_key(&p, 32, 64, &k);
	addr_key(P("192.0.2.7:1"), 32, 64, &k4);
	CHECK_INT(addrkey_cmp(&k, &k4), 0);
	/* peer_set, from a PROXY header: the same. */
	CHECK_INT(peer_set(&p, AF_INET6, &sin6.sin6_addr, 7), 0);
	CHECK_STR(peer_str(&p, buf, sizeof(buf)), "192.0.2.7:7");
	CHECK_INT(peer_valid(&p), 1);
	/* Short, or another family: not a client. */
	CHECK_INT(peer_from_sockaddr(&p, (struct sockaddr *)&sin6,
	    sizeof(sin)), -1);
	sin.sin_family = AF_UNIX;
	CHECK_INT(peer_from_sockaddr(&p, (struct sockaddr *)&sin,
	    sizeof(sin)), -1);
	/* Text and back; mapped text is IPv4, compatible text is not. */
	CHECK_INT(peer_parse("[::ffff:192.0.2.1]:1", &p), 0);
	CHECK_STR(peer_str(&p, buf, sizeof(buf)), "192.0.2.1:1");
	CHECK_INT(peer_parse("[::192.0.2.1]:1", &p), 0);
	CHECK_STR(peer_str(&p, buf, sizeof(buf)), "[::192.0.2.1]:1");
	CHECK_INT(peer_parse("[64:ff9b::192.0.2.1]:1", &p), 0);
	CHECK_STR(peer_str(&p, buf, sizeof(buf)), "[64:ff9b::c000:201]:1");
	CHECK_INT(peer_parse("192.0.2.1:65536", &p), -1);
	CHECK_INT(peer_parse("192.0.2.1", &p), 0);
	CHECK_INT(p.port, 0);
	CHECK_INT(peer_parse("[::1:1", &p), -1);
	memset(&p, 0, sizeof(p));
	CHECK_STR(peer_str(&p, buf, sizeof(buf)), "unknown");
	CHECK_STR(peer_log(&p, buf, sizeof(buf)), "unknown");
	CHECK_INT(peer_valid(&p), 1);
	/* A message field: nothing past the address, no other family. */
	CHECK_INT(peer_parse("192.0.2.1:5", &p), 0);
	p.a[4] = 1;
	CHECK_INT(peer_valid(&p), 0);
	memset(&p, 0, sizeof(p));
	p.af = 99;
	CHECK_INT(peer_valid(&p), 0);
	memset(&p, 0, sizeof(p));
	p.port = 1;
	CHECK_INT(peer_valid(&p), 0);
	/* An IPv4-mapped IPv6 address is not what peer_set makes. */
	memset(&p, 0, sizeof(p));
	p.af = AF_INET6;
	(void)inet_pton(AF_INET6, "::ffff:192.0.2.1", p.a);
	CHECK_INT(peer_valid(&p), 0);
}

/* Per-address limits: which session addresses are one client. */
static void
test_key(void)
{
	same_client("192.0.2.1:1000", "192.0.2.1:2000", 32, 64, 1);
	same_client("192.0.2.1:1000", "192.0.2.2:1000", 32, 64, 0);
	same_client("192.0.2.1:1000", "192.0.2.200:1000", 24, 64, 1);
	same_client("192.0.2.1:1000", "192.0.3.1:1000", 24, 64, 0);
	same_client("192.0.2.1:1000", "192.0.2.129:1000", 25, 64, 0);
	same_client("192.0.2.1:1000", "192.0.2.127:1000", 25, 64, 1);
	same_client("[2001:db8:1:2::1]:995", "[2001:db8:1:2:ffff::9]:995",
	    32, 64, 1);
	same_client("[2001:db8:1:2::1]:995", "[2001:db8:1:3::1]:995",
	    32, 64, 0);
	same_client("[2001:db8:1:2::1]:995", "[2001:db8:1:3::1]:995",
	    32, 48, 1);
	same_client("[2001:db8::1]:995", "[2001:db8::2]:995", 32, 128, 0);
	/* Families never mix... */
	same_client("0.0.0.0:1", "[::]:1", 32, 64, 0);
	same_client("[::192.0.2.1]:1", "192.0.2.1:1", 32, 64, 0);
	/* ...but a mapped address is IPv4: its own client, not a /64. */
	same_client("[::ffff:192.0.2.1]:1", "192.0.2.1:1", 32, 64, 1);
	same_client("[::ffff:192.0.2.1]:1", "[::ffff:192.0.2.2]:1", 32, 64,
	    0);
	same_client("[::ffff:192.0.2.1]:1", "[::ffff:192.0.2.2]:1", 24, 64,
	    1);
	key_text("[::ffff:192.0.2.77]:5", 32, 64, "192.0.2.77");
	/*
	 * No address (a peer that did not parse here; no session has one)
	 * is one client of its own.
	 */
	same_client("unknown", "garbage", 32, 64, 1);
	same_client("unknown", "192.0.2.1:1", 32, 64, 0);
	key_text("192.0.2.77:5", 32, 64, "192.0.2.77");
	key_text("192.0.2.77:5", 24, 64, "192.0.2.0/24");
	key_text("[2001:db8:1:2:3:4:5:6]:7", 32, 64, "2001:db8:1:2::/64");
	key_text("[2001:db8::6]:7", 32, 128, "2001:db8::6");
	key_text("junk", 32, 64, "unknown");
}

/* The trees of per-address state: one node per client, freed by the user. */
struct counted {
	struct addrnode	 node;
	int		 n;
};

static void
test_tree(void)
{
	static const char	*peers[] = { "[2001:db8::2]:1", "192.0.2.9:1",
	    "[2001:db8::3]:9", "192.0.2.1:1", "192.0.2.9:2" };
	struct addrtree		 t = RB_INITIALIZER(&t);
	struct counted		*c, *next, *first;
	struct peeraddr		 p;
	struct addrkey		 k;
	size_t			 i;
	int			 nodes = 0, total = 0, last = 0;

	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		CHECK_INT(peer_parse(peers[i], &p), 0);
		addr_key(&p, 32, 64, &k);
		if (i == 0)
			CHECK(addrtree_get(&t, &k, 0) == NULL,
			    "a lookup created %s", peers[i]);
		c = addrtree_get(&t, &k, sizeof(*c));
		CHECK(c != NULL && addrtree_get(&t, &k, 0) == c,
		    "%s: not found after its creation", peers[i]);
		c->n++;
	}
	first = (struct counted *)RB_MIN(addrtree, &t);
	CHECK(first->node.key.af == AF_INET && first->n == 1 &&
	    first->node.key.a[3] == 1, "192.0.2.1 is not the first node");
	ADDRTREE_FOREACH_SAFE(c, &t, next) {
		CHECK(c->node.key.af >= last, "af %d after %d", c->node.key.af,
		    last);
		last = c->node.key.af;
		nodes++;
		total += c->n;
		addrtree_del(&t, c);
	}
	CHECK_INT(nodes, 3);	/* 192.0.2.1, 192.0.2.9 twice, one /64 */
	CHECK_INT(total, 5);
	CHECK(RB_EMPTY(&t), "nodes left after deleting each");
}

int
main(void)
{
	test_split();
	test_parse();
	test_match();
	test_key();
	test_peer();
	test_tree();
	return unit_done();
}
