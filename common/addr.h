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
 * addr.h -- parsing and formatting of addresses, shared by every process:
 * nothing here logs, binds or keeps state.
 */
#ifndef POPD_ADDR_H
#define POPD_ADDR_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>

struct sockaddr;

#define ADDR_HOSTMAX		256	/* host part of an -l/-p address */
#define ADDR_PORTMAX		8	/* "65535" and a NUL */

struct netaddr {
	int		 af;		/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	int		 bits;		/* prefix length */
};

/* Never IPv4-mapped (peer_set makes it AF_INET); af 0: no client (popd -m). */
struct peeraddr {
	uint16_t	 af;		/* AF_INET, AF_INET6 or 0 */
	uint16_t	 port;		/* host byte order */
	unsigned char	 a[16];		/* 4 or 16 bytes of address */
};
#define PEER_STRLEN		64	/* "[v6addr]:port" and "... port N" */

struct addrkey {
	int		 af;		/* 0 when the address did not parse */
	unsigned char	 a[16];
};

/* State per client address, in a struct that begins with its addrnode. */
struct addrnode {
	RB_ENTRY(addrnode)	 entry;
	struct addrkey		 key;
};
RB_HEAD(addrtree, addrnode);
RB_PROTOTYPE(addrtree, addrnode, entry, addrnode_cmp)
#define ADDRTREE_FOREACH_SAFE(v, t, tv)					\
	for ((v) = (void *)RB_MIN(addrtree, t); (v) != NULL &&		\
	    ((tv) = (void *)RB_NEXT(addrtree, t, (void *)(v)), 1); (v) = (tv))

/* addr.c */
int	addr_split(const char *, const char *, char *, size_t, char *, size_t,
	    const char **);
int	net_parse(const char *, struct netaddr *, const char **);
int	net_match(const struct netaddr *, size_t, const struct peeraddr *);
const char *net_str(const struct netaddr *, char *, size_t);
int	peer_set(struct peeraddr *, int, const void *, unsigned int);
int	peer_from_sockaddr(struct peeraddr *, const struct sockaddr *,
	    size_t);
int	peer_parse(const char *, struct peeraddr *);
int	peer_valid(const struct peeraddr *);
const char *peer_str(const struct peeraddr *, char *, size_t);
const char *sockaddr_str(const struct sockaddr *, socklen_t);
const char *peer_log(const struct peeraddr *, char *, size_t);
void	addr_key(const struct peeraddr *, int, int, struct addrkey *);
int	addrkey_cmp(const struct addrkey *, const struct addrkey *);
int	addrkey_in(const struct addrkey *, int, const struct netaddr *);
const char *addrkey_str(const struct addrkey *, int, int, char *, size_t);
void	*addrtree_get(struct addrtree *, const struct addrkey *, size_t);
void	 addrtree_del(struct addrtree *, void *);
int	utc_parse(const char *, time_t *);

#endif
