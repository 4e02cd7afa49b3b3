/*
 * addr.h -- listening addresses and trusted networks as text: the pure
 * parsing the parent does before it binds (addr.c).  No function here
 * logs, binds or keeps state: each returns -1 and a reason.
 */
#ifndef POPD_ADDR_H
#define POPD_ADDR_H

#include <stddef.h>

#define ADDR_HOSTMAX		256	/* host part of an -l/-p address */
#define ADDR_PORTMAX		8	/* "65535" and a NUL */

/* A network: "192.0.2.0/24", "2001:db8::/32" or a single address. */
struct netaddr {
	int		 af;		/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	int		 bits;		/* prefix length */
};

/* A client as per-address limits count it: its address, masked. */
struct addrkey {
	int		 af;		/* 0 when the address did not parse */
	unsigned char	 a[16];
};

/* addr.c */
int	addr_split(const char *, const char *, char *, size_t, char *, size_t,
	    const char **);
int	net_parse(const char *, struct netaddr *, const char **);
int	net_match(const struct netaddr *, size_t, const char *);
const char *addr_log(const char *, char *, size_t);
void	addr_key(const char *, int, int, struct addrkey *);
int	addrkey_cmp(const struct addrkey *, const struct addrkey *);
const char *addrkey_str(const struct addrkey *, int, int, char *, size_t);

#endif
