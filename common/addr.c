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
 * addr.c -- the text of listening addresses (-l, -p) and networks, and
 * client addresses (struct peeraddr) for the rules and the logs, apart
 * from the binding so that a unit test can reach every case
 * (regress/unit/test_addr.c links this file alone).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "addr.h"

/* "[v6addr]:port", the longest client address the listener reports. */
#define ADDR_PEERMAX		64

/*
 * Split "127.0.0.1", "127.0.0.1:9950", "[::1]:9950", "::1" or "*:995"
 * into host and port, without the brackets; an address without a port
 * gets defport.  The port must be a number from 1 to 65535.  The host,
 * "*" for any address, is not checked here: the resolver does that when
 * binding.  Returns 0, or -1 with *errstr.
 */
int
addr_split(const char *arg, const char *defport, char *host, size_t hostsz,
    char *port, size_t portsz, const char **errstr)
{
	char		 buf[ADDR_HOSTMAX], *p;
	const char	*h, *pt = NULL, *e;

	if (strlcpy(buf, arg, sizeof(buf)) >= sizeof(buf)) {
		*errstr = "too long";
		return -1;
	}
	h = buf;
	if (buf[0] == '[') {
		if ((p = strchr(buf, ']')) == NULL) {
			*errstr = "missing ']'";
			return -1;
		}
		*p++ = '\0';
		h = buf + 1;
		if (*p == ':')
			pt = p + 1;
		else if (*p != '\0') {
			*errstr = "junk after ']'";
			return -1;
		}
	} else if ((p = strchr(buf, ':')) != NULL &&
	    strchr(p + 1, ':') == NULL) {
		/* One colon: host:port.  More: a bare IPv6 address. */
		*p = '\0';
		pt = p + 1;
	}
	if (pt == NULL || *pt == '\0')
		pt = defport;
	(void)strtonum(pt, 1, 65535, &e);
	if (e != NULL) {
		*errstr = strcmp(e, "too large") == 0 ? "port is too large" :
		    strcmp(e, "too small") == 0 ? "port is too small" :
		    "port is invalid";
		return -1;
	}
	if (strlcpy(host, h, hostsz) >= hostsz ||
	    strlcpy(port, pt, portsz) >= portsz) {
		*errstr = "too long";
		return -1;
	}
	return 0;
}

/* The IPv4-mapped IPv6 prefix, ::ffff:0:0/96 (RFC 4291 2.5.5.2). */
static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/*
 * "192.0.2.0/24", "2001:db8::/32" or a single address (all of its
 * bits).  An IPv4-mapped network of /96 or longer is the IPv4 network
 * it maps ("::ffff:192.0.2.0/120" is 192.0.2.0/24), since clients are
 * never IPv4-mapped (peer_set).  Returns 0 with *n filled in, or -1
 * with *errstr.
 */
int
net_parse(const char *arg, struct netaddr *n, const char **errstr)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash;
	const char	*e;
	int		 max;

	memset(n, 0, sizeof(*n));
	if (strlcpy(buf, arg, sizeof(buf)) >= sizeof(buf)) {
		*errstr = "too long";
		return -1;
	}
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->af = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->af = AF_INET6;
		max = 128;
	} else {
		*errstr = "not an IPv4 or IPv6 network";
		return -1;
	}
	n->bits = max;
	if (slash != NULL) {
		n->bits = strtonum(slash, 0, max, &e);
		if (e != NULL) {
			*errstr = strcmp(e, "too large") == 0 ?
			    "prefix length is too large" :
			    strcmp(e, "too small") == 0 ?
			    "prefix length is too small" :
			    "prefix length is invalid";
			return -1;
		}
	}
	if (n->af == AF_INET6 && memcmp(n->addr, v4mapped,
	    sizeof(v4mapped)) == 0) {
		if (n->bits < 96) {
			*errstr = "IPv4-mapped network shorter than /96";
			return -1;
		}
		n->af = AF_INET;
		n->bits -= 96;
		memmove(n->addr, n->addr + 12, 4);
		memset(n->addr + 4, 0, 12);
	}
	return 0;
}

/*
 * p is the client af a (4 or 16 bytes) port.  An IPv4-mapped IPv6
 * address (::ffff:192.0.2.1), as a dual-stack socket or proxy names an
 * IPv4 client, is made the IPv4 address it maps, here where every
 * client address is made: limits, delays, networks and logs then see
 * one IPv4 client, never all of IPv4 as one IPv6 /64.  IPv4-compatible
 * (::192.0.2.1, deprecated, and :: and ::1 have that form) and NAT64
 * (64:ff9b::/96, which an IPv6 host could take to pass for an IPv4
 * network) addresses stay IPv6.  -1 for another family or port.
 */
int
peer_set(struct peeraddr *p, int af, const void *a, unsigned int port)
{
	memset(p, 0, sizeof(*p));
	if ((af != AF_INET && af != AF_INET6) || port > 65535)
		return -1;
	if (af == AF_INET6 && memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
		af = AF_INET;
		a = (const unsigned char *)a + sizeof(v4mapped);
	}
	p->af = af;
	p->port = port;
	memcpy(p->a, a, af == AF_INET ? 4 : 16);
	return 0;
}

/*
 * The client of an accepted connection; -1 if not IPv4 or IPv6.  popd
 * binds its IPv6 sockets IPV6_V6ONLY (bind.c), so none names an IPv4
 * client ::ffff:a.b.c.d; were one to, peer_set makes it IPv4.
 */
int
peer_from_sockaddr(struct peeraddr *p, const struct sockaddr *sa,
    size_t len)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;

	memset(p, 0, sizeof(*p));
	if (sa->sa_family == AF_INET && len >= sizeof(*sin))
		return peer_set(p, AF_INET, &sin->sin_addr,
		    ntohs(sin->sin_port));
	if (sa->sa_family == AF_INET6 && len >= sizeof(*sin6))
		return peer_set(p, AF_INET6, &sin6->sin6_addr,
		    ntohs(sin6->sin6_port));
	return -1;
}

/*
 * "1.2.3.4:port" or "[v6]:port" (peer_str's), or "1.2.3.4" (port 0), for
 * tests and tools; -1 if it does not parse.
 */
int
peer_parse(const char *text, struct peeraddr *p)
{
	char		 buf[ADDR_PEERMAX], *colon;
	unsigned char	 a[16];
	const char	*errstr;
	long long	 port;
	int		 af;

	memset(p, 0, sizeof(*p));
	if (strlcpy(buf, text, sizeof(buf)) >= sizeof(buf))
		return -1;
	/* An IPv4 address may come without its port. */
	if ((colon = strrchr(buf, ':')) == NULL) {
		if (inet_pton(AF_INET, buf, a) != 1)
			return -1;
		return peer_set(p, AF_INET, a, 0);
	}
	*colon++ = '\0';
	port = strtonum(colon, 0, 65535, &errstr);
	if (errstr != NULL)
		return -1;
	af = buf[0] == '[' ? AF_INET6 : AF_INET;
	if (af == AF_INET6) {
		if (colon - buf < 3 || colon[-2] != ']')
			return -1;
		colon[-2] = '\0';
	}
	if (inet_pton(af, buf + (af == AF_INET6), a) != 1)
		return -1;
	return peer_set(p, af, a, port);
}

/*
 * Is p what peer_set makes?  For a peer that came in a message: the
 * bytes past the address are zero, as is everything of an unknown one,
 * and an IPv6 address is not IPv4-mapped.
 */
int
peer_valid(const struct peeraddr *p)
{
	static const unsigned char	zero[16];

	if (p->af == AF_INET)
		return memcmp(p->a + 4, zero, 12) == 0;
	if (p->af == AF_INET6)
		return memcmp(p->a, v4mapped, sizeof(v4mapped)) != 0;
	return p->af == 0 && p->port == 0 && memcmp(p->a, zero, 16) == 0;
}

/* "1.2.3.4:5", "[2001:db8::1]:5", or "unknown". */
const char *
peer_str(const struct peeraddr *p, char *buf, size_t len)
{
	char	host[INET6_ADDRSTRLEN];

	if (p->af == 0 || inet_ntop(p->af, p->a, host, sizeof(host)) == NULL)
		(void)snprintf(buf, len, "unknown");
	else if (p->port == 0)	/* nginx's Client-IP has none */
		(void)snprintf(buf, len, "%s", host);
	else
		(void)snprintf(buf, len, p->af == AF_INET6 ? "[%s]:%u" :
		    "%s:%u", host, (unsigned)p->port);
	return buf;
}

/* A socket's own address, "1.2.3.4:995" or "[::1]:995", for logs. */
const char *
sockaddr_str(const struct sockaddr *sa, socklen_t len)
{
	static char		 buf[PEER_STRLEN];
	struct peeraddr		 p;

	if (peer_from_sockaddr(&p, sa, len) == -1)
		return "unknown";
	return peer_str(&p, buf, sizeof(buf));
}

/*
 * The client as log lines write it: "1.2.3.4 port 5" (fail2ban's
 * <HOST> then stands alone), "1.2.3.4" when there is no port (nginx's
 * Client-IP), or "unknown".
 */
const char *
peer_log(const struct peeraddr *p, char *buf, size_t len)
{
	char	host[INET6_ADDRSTRLEN];

	if (p->af == 0 || p->port == 0 ||
	    inet_ntop(p->af, p->a, host, sizeof(host)) == NULL)
		return peer_str(p, buf, len);
	(void)snprintf(buf, len, "%s port %u", host, (unsigned)p->port);
	return buf;
}

/* A network as popd.conf writes it: "192.0.2.0/24", or "192.0.2.1". */
const char *
net_str(const struct netaddr *n, char *buf, size_t len)
{
	char	host[INET6_ADDRSTRLEN];

	if (inet_ntop(n->af, n->addr, host, sizeof(host)) == NULL)
		(void)strlcpy(host, "?", sizeof(host));
	if (n->bits == (n->af == AF_INET ? 32 : 128))
		(void)snprintf(buf, len, "%s", host);
	else
		(void)snprintf(buf, len, "%s/%d", host, n->bits);
	return buf;
}

/* Do the first bits bits of a and b agree? */
static int
prefix_eq(const unsigned char *a, const unsigned char *b, int bits)
{
	int	k;

	/* Whole bytes first, then the bits left of the last one. */
	for (k = 0; bits >= 8; k++, bits -= 8)
		if (a[k] != b[k])
			return 0;
	return bits == 0 || ((a[k] ^ b[k]) & (0xff << (8 - bits))) == 0;
}

/* Is the client p in one of the n networks?  An unknown one is in none. */
int
net_match(const struct netaddr *nets, size_t n, const struct peeraddr *p)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p->af != 0 && nets[i].af == p->af &&
		    prefix_eq(p->a, nets[i].addr, nets[i].bits))
			return 1;
	return 0;
}

/*
 * The key that per-address limits count a client under: its address
 * with only the first v4bits (IPv4) or v6bits (IPv6) kept, so that one
 * IPv6 /64, which one customer usually has whole, is one client (an
 * IPv4 client named ::ffff:a.b.c.d is IPv4 by now: peer_set).  A peer
 * without an address (af 0) gets the key of all such peers; no session
 * has one: the listener refuses a PROXY header whose address does not
 * parse, and keeps the proxy's own for a LOCAL or UNKNOWN one.
 */
void
addr_key(const struct peeraddr *p, int v4bits, int v6bits, struct addrkey *k)
{
	int	bits, i;

	memset(k, 0, sizeof(*k));
	if (p->af != AF_INET && p->af != AF_INET6)
		return;
	k->af = p->af;
	bits = p->af == AF_INET ? v4bits : v6bits;
	for (i = 0; i < 16 && bits > 0; i++, bits -= 8)
		k->a[i] = bits >= 8 ? p->a[i] : p->a[i] & (0xff << (8 - bits));
}

/*
 * Does the client key k (an address masked to kbits) share addresses
 * with the network n?  Yes when the shorter of the two prefixes agrees:
 * forgiving 2001:db8::1 forgives the /64 it is counted under.
 */
int
addrkey_in(const struct addrkey *k, int kbits, const struct netaddr *n)
{
	return k->af == n->af &&
	    prefix_eq(k->a, n->addr, kbits < n->bits ? kbits : n->bits);
}

int
addrkey_cmp(const struct addrkey *a, const struct addrkey *b)
{
	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	return memcmp(a->a, b->a, sizeof(a->a));
}

/* The key as text, "192.0.2.1" or "2001:db8:1:2::/64", for logs. */
const char *
addrkey_str(const struct addrkey *k, int v4bits, int v6bits, char *buf,
    size_t len)
{
	char	host[INET6_ADDRSTRLEN];
	int	bits = k->af == AF_INET ? v4bits : v6bits;

	if (k->af == 0 || inet_ntop(k->af, k->a, host, sizeof(host)) == NULL)
		(void)snprintf(buf, len, "unknown");
	else if (bits == (k->af == AF_INET ? 32 : 128))
		(void)snprintf(buf, len, "%s", host);
	else
		(void)snprintf(buf, len, "%s/%d", host, bits);
	return buf;
}

/* Digits s[0..n-1] as a number. */
static int
digits(const char *s, int n)
{
	int	v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/*
 * YYYY-MM-DDTHH:MM:SSZ exactly, a time that exists (timegm would move
 * February 30 to March): 0, or -1.  Here because every program that
 * reads one (app password records, popdpass, popctl's undelete) links
 * this file.
 */
int
utc_parse(const char *s, time_t *t)
{
	static const char	 shape[] = "dddd-dd-ddTdd:dd:ddZ";
	struct tm		 tm, want;
	size_t			 i;

	if (strlen(s) != sizeof(shape) - 1)
		return -1;
	for (i = 0; shape[i] != '\0'; i++)
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' :
		    s[i] != shape[i])
			return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = digits(s, 4) - 1900;
	tm.tm_mon = digits(s + 5, 2) - 1;
	tm.tm_mday = digits(s + 8, 2);
	tm.tm_hour = digits(s + 11, 2);
	tm.tm_min = digits(s + 14, 2);
	tm.tm_sec = digits(s + 17, 2);
	want = tm;
	if ((*t = timegm(&tm)) == -1 || *t <= 0 ||
	    tm.tm_year != want.tm_year || tm.tm_mon != want.tm_mon ||
	    tm.tm_mday != want.tm_mday || tm.tm_hour != want.tm_hour ||
	    tm.tm_min != want.tm_min || tm.tm_sec != want.tm_sec)
		return -1;
	return 0;
}
