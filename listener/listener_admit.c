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
 * listener_admit.c -- the limits per client address, checked before TLS costs
 * anything: its connections, its handshakes in progress (beyond them a
 * connection waits, unread) and all addresses' handshakes (at the limit the
 * oldest is cut).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <netinet/in.h>

#include "log.h"
#include "addr.h"
#include "settings.h"
#include "stats.h"
#include "listener.h"

struct source {
	struct addrnode		 node;
	unsigned int		 nconn;
	unsigned int		 nhs;
	TAILQ_HEAD(, admit)	 waiting;	/* hs_wait's, in order */
};

static struct addrtree			clients = RB_INITIALIZER(&clients);
static TAILQ_HEAD(, admit)		handshakes =
    TAILQ_HEAD_INITIALIZER(handshakes);
static unsigned int			nhandshakes;
static struct lograte			rate_addr, rate_total, rate_conn;
static const struct conf_settings	*set;		/* listener.c's */

void
admit_init(const struct conf_settings *conf)
{
	set = conf;
}

static const char *
source_str(const struct source *c, char *buf, size_t len)
{
	return addrkey_str(&c->node.key, set->per_address.ipv4_prefix,
	    set->per_address.ipv6_prefix, buf, len);
}

/*
 * The client's share of all connections, refused before TLS costs anything.
 * -1 if over.
 */
int
client_admit(struct admit *a, const struct peeraddr *peer)
{
	struct addrkey	 key;
	struct source	*c;
	char		 buf[INET6_ADDRSTRLEN + 8];

	addr_key(peer, set->per_address.ipv4_prefix,
	    set->per_address.ipv6_prefix, &key);
	if ((c = addrtree_get(&clients, &key, sizeof(*c))) == NULL) {
		log_warn("%s: client", a->addr);
		return -1;
	}
	if (c->nconn == 0)	/* new: a source goes when its last does */
		TAILQ_INIT(&c->waiting);
	else if (c->nconn >= (unsigned int)(set->per_address.handshakes +
	    set->per_address.sessions + set->per_address.logged_in)) {
		STAT_INC(STAT_REFUSED_ADDR_CONNECTIONS);
		log_rate(&rate_conn, "%s: refused: %u connections from %s "
		    "(the per-address limits of all stages together)",
		    a->addr, c->nconn, source_str(c, buf, sizeof(buf)));
		return -1;
	}
	c->nconn++;
	a->client = c;
	return 0;
}

void
client_leave(struct admit *a)
{
	struct source	*c = a->client;

	if (a->waiting) {
		TAILQ_REMOVE(&c->waiting, a, waitentry);
		a->waiting = 0;
	}
	if (c == NULL)
		return;
	a->client = NULL;
	if (--c->nconn == 0)
		addrtree_del(&clients, c);
}

/* first: its turn came and was taken again, so it waits at the front. */
int
hs_wait(struct admit *a, int first)
{
	char	buf[INET6_ADDRSTRLEN + 8];

	if (a->client->nhs < (unsigned int)set->per_address.handshakes &&
	    (first || TAILQ_EMPTY(&a->client->waiting)))
		return 0;
	if (first)
		TAILQ_INSERT_HEAD(&a->client->waiting, a, waitentry);
	else {
		log_rate(&rate_addr, "%s: waits: %u TLS handshakes in progress "
		    "from %s (limit per-address handshakes)", a->addr,
		    a->client->nhs, source_str(a->client, buf, sizeof(buf)));
		TAILQ_INSERT_TAIL(&a->client->waiting, a, waitentry);
	}
	a->waiting = 1;
	return 1;
}

/*
 * At limit handshakes the oldest is cut, so that a flood of stalled handshakes
 * cannot keep out a client that completes its own in milliseconds.
 */
void
hs_begin(struct admit *a)
{
	struct admit	*old;

	if (nhandshakes >= (unsigned int)set->limit.handshakes &&
	    (old = TAILQ_FIRST(&handshakes)) != NULL) {
		STAT_INC(STAT_REFUSED_HANDSHAKES);
		log_rate(&rate_total, "%u TLS handshakes in progress (limit "
		    "handshakes): closing the oldest, from %s", nhandshakes,
		    old->addr);
		session_free(old->arg);
	}
	a->client->nhs++;
	a->inhs = 1;
	TAILQ_INSERT_TAIL(&handshakes, a, hsentry);
	nhandshakes++;
}

void
hs_end(struct admit *a)
{
	struct admit	*w;

	if (!a->inhs)
		return;
	a->inhs = 0;
	TAILQ_REMOVE(&handshakes, a, hsentry);
	nhandshakes--;
	a->client->nhs--;
	if ((w = TAILQ_FIRST(&a->client->waiting)) != NULL) {
		TAILQ_REMOVE(&a->client->waiting, w, waitentry);
		w->waiting = 0;
		session_turn(w->arg);
	}
}
