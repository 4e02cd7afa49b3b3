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
 * addr.c -- addresses and networks as text, apart from binding for the unit
 * test.
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

#define ADDR_PEERMAX		64

/* The host is the resolver's to check.  0, or -1 with *errstr. */
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

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* IPv4-mapped /96 or longer is IPv4: clients never are (peer_set). */
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
 * IPv4-mapped becomes IPv4 here, where every client is made, so limits see one
 * IPv4 client, not all of IPv4 as one /64.  NAT64 stays IPv6: it could pass for
 * IPv4.
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

/* Sockets are IPV6_V6ONLY; were one not, peer_set makes the client IPv4. */
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

/* For a peer from a message: zero past the address, never IPv4-mapped. */
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

const char *
sockaddr_str(const struct sockaddr *sa, socklen_t len)
{
	static char		 buf[PEER_STRLEN];
	struct peeraddr		 p;

	if (peer_from_sockaddr(&p, sa, len) == -1)
		return "unknown";
	return peer_str(&p, buf, sizeof(buf));
}

/* "1.2.3.4 port 5": fail2ban's <HOST> then stands alone. */
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

static int
prefix_eq(const unsigned char *a, const unsigned char *b, int bits)
{
	int	k;

	for (k = 0; bits >= 8; k++, bits -= 8)
		if (a[k] != b[k])
			return 0;
	return bits == 0 || ((a[k] ^ b[k]) & (0xff << (8 - bits))) == 0;
}

/* An unknown client is in no network. */
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

/* One IPv6 /64, which one customer usually has whole, is one client. */
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
 * Yes when the shorter prefix agrees: forgiving 2001:db8::1 forgives its /64.
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

static int
addrnode_cmp(struct addrnode *a, struct addrnode *b)
{
	return addrkey_cmp(&a->key, &b->key);
}

RB_GENERATE(addrtree, addrnode, entry, addrnode_cmp)

/* size 0 only finds; else a new node is that many zeroes.  NULL: ENOMEM. */
void *
addrtree_get(struct addrtree *t, const struct addrkey *k, size_t size)
{
	struct addrnode	 key, *n;

	key.key = *k;
	if ((n = RB_FIND(addrtree, t, &key)) != NULL || size == 0)
		return n;
	if ((n = calloc(1, size)) != NULL) {
		n->key = *k;
		RB_INSERT(addrtree, t, n);
	}
	return n;
}

void
addrtree_del(struct addrtree *t, void *n)
{
	free(RB_REMOVE(addrtree, t, n));
}

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

static int
digits(const char *s, int n)
{
	int	v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* A time that exists: timegm would move February 30 to March. */
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
