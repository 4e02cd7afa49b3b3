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
 * lmtp_accept.c -- the lmtp process's listening sockets, and who a connecting
 * peer is, as limit lmtp-peer and limit lmtp-spool count it.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/tree.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acceptor.h"
#include "proto.h"
#include "lmtp.h"

#define MAXLISTEN		16

static TAILQ_HEAD(, lmtp_listen)	listeners =
    TAILQ_HEAD_INITIALIZER(listeners);

RB_HEAD(peertree, lmtp_peer);
static int	peer_cmp(struct lmtp_peer *, struct lmtp_peer *);
RB_PROTOTYPE_STATIC(peertree, lmtp_peer, entry, peer_cmp)
RB_GENERATE_STATIC(peertree, lmtp_peer, entry, peer_cmp)
static struct peertree	clientpeers = RB_INITIALIZER(&clientpeers);

void
lmtp_accept_add(int fd, const struct msg_listen *ml, void (*conn)(void *,
    int, const struct sockaddr *, socklen_t), const unsigned int *nsess)
{
	struct lmtp_listen	*l;
	int			 n = 0;

	TAILQ_FOREACH(l, &listeners, entry)
		n++;
	if (n == MAXLISTEN)
		fatalx("more than %d LMTP sockets", MAXLISTEN);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("listening socket: calloc");
	l->local = (ml->flags & LISTEN_UNIX) != 0;
	l->uid = ml->uid;
	l->acc.arg = l;
	l->acc.conn = conn;
	l->acc.nsessions = nsess;
	acceptor_start(&l->acc, fd);
	TAILQ_INSERT_TAIL(&listeners, l, entry);
	log_debug("accepting on fd %d%s", fd, l->local ? " (unix)" : "");
}

void
lmtp_accept_close(void)
{
	struct lmtp_listen	*l;

	while ((l = TAILQ_FIRST(&listeners)) != NULL) {
		TAILQ_REMOVE(&listeners, l, entry);
		acceptor_close(&l->acc);
		free(l);
	}
}

int
lmtp_accept_mta(void)
{
	struct lmtp_listen	*l;

	TAILQ_FOREACH(l, &listeners, entry)
		if (l->uid != LISTEN_ANYUID)
			return 1;
	return 0;
}

/*
 * Any local user may take any loopback address, so TCP from 127.0.0.0/8 or ::1
 * is one peer.  The MTA user and root are not counted.
 */
int
peer_key(const struct lmtp_listen *l, int fd, const struct sockaddr *sa,
    socklen_t salen, char *key, int *counted)
{
	static const unsigned char	 v6lo[16] = { [15] = 1 };
	struct peeraddr			 peer;
	uid_t				 uid;
	gid_t				 gid;

	*counted = 1;
	if (l->local) {
		if (compat_peerid(fd, &uid, &gid) == -1) {
			log_warn("the peer's credentials");
			return -1;
		}
		(void)snprintf(key, PEER_KEYLEN, "uid %u", (unsigned)uid);
		*counted = uid != 0 && (uint32_t)uid != l->uid;
		return 0;
	}
	if (peer_from_sockaddr(&peer, sa, salen) == -1) {
		(void)strlcpy(key, "unknown", PEER_KEYLEN);
		return 0;
	}
	/* peer_from_sockaddr made an IPv4-mapped address AF_INET. */
	if ((peer.af == AF_INET && peer.a[0] == 127) ||
	    (peer.af == AF_INET6 && memcmp(peer.a, v6lo, 16) == 0)) {
		(void)strlcpy(key, "loopback", PEER_KEYLEN);
		return 0;
	}
	peer.port = 0;
	(void)peer_log(&peer, key, PEER_KEYLEN);
	return 0;
}

static int
peer_cmp(struct lmtp_peer *a, struct lmtp_peer *b)
{
	if (a->counted != b->counted)
		return a->counted < b->counted ? -1 : 1;
	return strcmp(a->key, b->key);
}

struct lmtp_peer *
peer_find(const char *key, int counted)
{
	struct lmtp_peer	 find;

	(void)strlcpy(find.key, key, sizeof(find.key));
	find.counted = counted;
	return RB_FIND(peertree, &clientpeers, &find);
}

struct lmtp_peer *
peer_get(const char *key, int counted)
{
	struct lmtp_peer	*p;

	if ((p = peer_find(key, counted)) == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL) {
			log_warn("peer");
			return NULL;
		}
		(void)strlcpy(p->key, key, sizeof(p->key));
		p->counted = counted;
		RB_INSERT(peertree, &clientpeers, p);
	}
	p->nsessions++;
	return p;
}

void
peer_put(struct lmtp_peer *p)
{
	if (--p->nsessions > 0)
		return;
	if (p->held != 0)
		fatalx("peer %s: %lld octets of limit lmtp-spool held without "
		    "a session", p->key, p->held);
	RB_REMOVE(peertree, &clientpeers, p);
	free(p);
}
