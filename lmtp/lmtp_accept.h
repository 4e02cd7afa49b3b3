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
 * lmtp_accept.h -- the lmtp process's listening sockets and the peers
 * of their connections (lmtp_accept.c), as lmtp.c adds them, takes
 * their connections and counts what each peer holds.
 */
#ifndef POPD_LMTP_ACCEPT_H
#define POPD_LMTP_ACCEPT_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <event.h>
#include <stdint.h>

#include "acceptor.h"

#define PEER_KEYLEN		64	/* "uid N", "loopback" or an address */

struct msg_listen;

struct lmtp_listen {
	TAILQ_ENTRY(lmtp_listen) entry;
	struct acceptor		 acc;
	uint32_t		 uid;	/* the MTA's (listen ... user) */
	int			 local;		/* a unix socket */
};

/*
 * A peer as limit lmtp-peer and limit lmtp-spool count it, while it
 * has sessions.  Not counted: root and the socket's MTA user, which
 * may use the places and the spool kept for the MTA.
 */
struct lmtp_peer {
	RB_ENTRY(lmtp_peer)	 entry;
	char			 key[PEER_KEYLEN];
	int			 counted;
	unsigned int		 nsessions;
	long long		 held;		/* of limit lmtp-spool */
};

/* lmtp_accept.c */
void	lmtp_accept_add(int, const struct msg_listen *, void (*)(void *, int,
	    const struct sockaddr *, socklen_t), const unsigned int *);
void	lmtp_accept_close(void);
int	lmtp_accept_mta(void);
int	peer_key(const struct lmtp_listen *, int, const struct sockaddr *,
	    socklen_t, char *, int *);
struct lmtp_peer *peer_find(const char *, int);
struct lmtp_peer *peer_get(const char *, int);
void	peer_put(struct lmtp_peer *);

#endif
