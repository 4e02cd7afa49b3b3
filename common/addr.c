/*
 * addr.c -- the text of listening addresses (-l, -p) and trusted
 * networks (-t), apart from the binding so that a unit test can reach
 * every case (regress/unit/test_addr.c links this file alone).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

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

/*
 * "192.0.2.0/24", "2001:db8::/32" or a single address (all of its
 * bits).  Returns 0 with *n filled in, or -1 with *errstr.
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
	return 0;
}

/*
 * A client address as the listener reports it, "1.2.3.4:port" or
 * "[v6]:port", as af and 4 or 16 bytes in a.  An IPv4-mapped IPv6
 * address stays IPv6: IPv4 networks do not match it.  Returns -1 if it
 * does not parse.
 */
static int
peer_parse(const char *peer, int *af, unsigned char a[16])
{
	char	 buf[ADDR_PEERMAX], *p;

	if (strlcpy(buf, peer, sizeof(buf)) >= sizeof(buf))
		return -1;
	if (buf[0] == '[') {
		if ((p = strchr(buf, ']')) == NULL)
			return -1;
		*p = '\0';
		memmove(buf, buf + 1, strlen(buf + 1) + 1);
		*af = AF_INET6;
	} else {
		if ((p = strrchr(buf, ':')) != NULL)
			*p = '\0';
		*af = AF_INET;
	}
	memset(a, 0, 16);
	return inet_pton(*af, buf, a) == 1 ? 0 : -1;
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

/*
 * Is a client address as the listener reports it, "1.2.3.4:port" or
 * "[v6]:port", in one of the n networks?  An address that does not
 * parse is in none.
 */
int
net_match(const struct netaddr *nets, size_t n, const char *peer)
{
	unsigned char	 a[16];
	size_t		 i;
	int		 af;

	if (peer_parse(peer, &af, a) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if (nets[i].af == af && prefix_eq(a, nets[i].addr,
		    nets[i].bits))
			return 1;
	return 0;
}

/*
 * The key that per-address limits count a client under: its address
 * with only the first v4bits (IPv4) or v6bits (IPv6) kept, so that one
 * IPv6 /64, which one customer usually has whole, is one client.  An
 * address that does not parse gets the key of all such addresses.
 */
void
addr_key(const char *peer, int v4bits, int v6bits, struct addrkey *k)
{
	unsigned char	a[16];
	int		af, bits, i;

	memset(k, 0, sizeof(*k));
	if (peer_parse(peer, &af, a) == -1)
		return;
	k->af = af;
	bits = af == AF_INET ? v4bits : v6bits;
	for (i = 0; i < 16 && bits > 0; i++, bits -= 8)
		k->a[i] = bits >= 8 ? a[i] : a[i] & (0xff << (8 - bits));
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

/*
 * A session address, "1.2.3.4:5" or "[v6]:5", as log lines write it:
 * "1.2.3.4 port 5" (fail2ban's <HOST> then stands alone).  Anything
 * else is written as it is.
 */
const char *
addr_log(const char *addr, char *buf, size_t len)
{
	char		 host[ADDR_HOSTMAX], port[ADDR_PORTMAX];
	const char	*errstr;

	if (addr_split(addr, "1", host, sizeof(host), port, sizeof(port),
	    &errstr) == 0)
		(void)snprintf(buf, len, "%s port %s", host, port);
	else
		(void)snprintf(buf, len, "%s", addr);
	return buf;
}
