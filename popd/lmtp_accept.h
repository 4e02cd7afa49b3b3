/*
 * lmtp_accept.h -- the lmtp process's listening sockets
 * (lmtp_accept.c), as lmtp.c adds them and takes their connections.
 */
#ifndef POPD_LMTP_ACCEPT_H
#define POPD_LMTP_ACCEPT_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event.h>
#include <stdint.h>

#include "acceptor.h"

#define PEER_KEYLEN		64	/* "uid N", or an address */

struct msg_listen;

struct lmtp_listen {
	TAILQ_ENTRY(lmtp_listen) entry;
	struct acceptor		 acc;
	uint32_t		 uid;	/* the MTA's (listen ... user) */
	int			 local;		/* a unix socket */
};

/* lmtp_accept.c */
void	lmtp_accept_init(void (*)(int, const struct sockaddr *, socklen_t,
	    const struct lmtp_listen *), const unsigned int *);
void	lmtp_accept_add(int, const struct msg_listen *);
void	lmtp_accept_close(void);
int	lmtp_accept_mta(void);
int	peer_key(const struct lmtp_listen *, int, const struct sockaddr *,
	    socklen_t, char *, int *);

#endif
