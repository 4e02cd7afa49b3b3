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
 * host.c -- the per-address scheduler of password checks.  Its state outlives a
 * session, so failures count against an address: a sprayer gets no more guesses
 * whatever names it uses, while its neighbours (NAT, webmail) keep going.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "chan.h"
#include "proto.h"

#define HOST_DECAY		60	/* seconds that forgive one failure */
#define HOST_KEEP		16384	/* addresses kept without a session */
#define PAIR_KEEP		16384	/* users of addresses remembered */
#define PAIR_FAMILIAR		(7 * 86400)	/* a login is remembered */

TAILQ_HEAD(sessq, session);
TAILQ_HEAD(hostq, host);

/*
 * A client address (a /32 or /64): its waiting checks, in turn with other
 * addresses', and its failures, one forgiven per HOST_DECAY.
 */
struct host {
	struct addrnode		 node;
	TAILQ_ENTRY(host)	 turn;		/* in a ready queue, or idle */
	struct hostq		*rq;		/* that ready queue */
	struct sessq		 waiting;	/* its queue */
	struct sessq		 familiar;	/* checks that skip it */
	struct sessq		 famrun;	/* those at the workers */
	unsigned int		 nsess;		/* sessions of this address */
	unsigned int		 fails;
	double			 lastfail;
	double			 next;		/* no check starts before */
	int			 where;		/* H_NONE, H_READY, H_IDLE */
	struct event		 wake;		/* at next, if waiting */
};
#define H_NONE		0
#define H_READY		1
#define H_IDLE		2

/*
 * A user as tried from one address.  Once it logged in there, its checks skip
 * the queue and delay one at a time: a guesser of its name gets one guess per
 * real login.
 */
struct pair {
	RB_ENTRY(pair)		 entry;
	TAILQ_ENTRY(pair)	 lru;
	struct addrkey		 key;
	char			 user[POPD_MAXUSER + 1];
	unsigned int		 fails;
	double			 lastfail;
	double			 familiar;
	uint64_t		 lastbad;
	int			 known;
};
RB_HEAD(pairtree, pair);
TAILQ_HEAD(pairq, pair);

static void	(*gone_cb)(struct session *, int);
static int	pair_cmp(struct pair *, struct pair *);
RB_PROTOTYPE_STATIC(pairtree, pair, entry, pair_cmp)
RB_GENERATE_STATIC(pairtree, pair, entry, pair_cmp)

static struct addrtree	 hosts = RB_INITIALIZER(&hosts);
static struct hostq	 ready = TAILQ_HEAD_INITIALIZER(ready);
static struct hostq	 ready_failing = TAILQ_HEAD_INITIALIZER(ready_failing);
static struct hostq	 idle = TAILQ_HEAD_INITIALIZER(idle);
static size_t		 nidle;
static struct pairtree	 pairs = RB_INITIALIZER(&pairs);
static struct pairq	 pairs_lru = TAILQ_HEAD_INITIALIZER(pairs_lru);
static size_t		 npairs;
struct event		 kick_ev;	/* jobs_dispatch, from the loop */

/* Wrong passwords are kept only as SipHash-2-4 under a key of ours. */
static uint64_t		 mackey[2];

static int
pair_cmp(struct pair *a, struct pair *b)
{
	int	r;

	if ((r = addrkey_cmp(&a->key, &b->key)) != 0)
		return r;
	return strcmp(a->user, b->user);
}

static void
decay(unsigned int *fails, double *lastfail, double t)
{
	unsigned int	k;

	if (*fails == 0 || t - *lastfail < HOST_DECAY)
		return;
	k = (t - *lastfail) / HOST_DECAY;
	*fails = k >= *fails ? 0 : *fails - k;
	*lastfail += (double)k * HOST_DECAY;
}

static double
host_delay(unsigned int n)
{
	double	d;

	if (n == 0 || auth_set.failure_delay.first == 0)
		return 0;
	d = (double)auth_set.failure_delay.first *
	    (1U << (n > 16 ? 16 : n - 1));
	return d > auth_set.failure_delay.max ? auth_set.failure_delay.max : d;
}

/* The caller ends with pair_done(). */
static struct pair *
pair_get(const struct addrkey *key, const char *user, int create)
{
	struct pair	 k, *p;

	memset(&k, 0, sizeof(k));
	k.key = *key;
	if (strlcpy(k.user, user, sizeof(k.user)) >= sizeof(k.user))
		return NULL;
	if ((p = RB_FIND(pairtree, &pairs, &k)) != NULL) {
		TAILQ_REMOVE(&pairs_lru, p, lru);
		TAILQ_INSERT_TAIL(&pairs_lru, p, lru);
		return p;
	}
	if (!create)
		return NULL;
	if (npairs >= PAIR_KEEP) {
		p = TAILQ_FIRST(&pairs_lru);
		TAILQ_REMOVE(&pairs_lru, p, lru);
		RB_REMOVE(pairtree, &pairs, p);
		npairs--;
		free(p);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("%s", __func__);
	*p = k;
	RB_INSERT(pairtree, &pairs, p);
	TAILQ_INSERT_TAIL(&pairs_lru, p, lru);
	npairs++;
	return p;
}

static void
pair_done(struct pair *p)
{
	if (p->fails > 0 || p->familiar > 0)
		return;
	TAILQ_REMOVE(&pairs_lru, p, lru);
	RB_REMOVE(pairtree, &pairs, p);
	npairs--;
	free(p);
}

/*
 * Failing addresses wait in their own queue, never on every worker at once: a
 * sprayer does not hold up a user who types the right password.
 */
static void
host_schedule(struct host *h)
{
	double	t;

	if (h->where == H_READY) {
		/*
		 * A familiar check goes among the failing addresses, not after
		 * them.
		 */
		if (h->rq == &ready || TAILQ_EMPTY(&h->familiar))
			return;
		TAILQ_REMOVE(h->rq, h, turn);
		h->where = H_NONE;
	}
	if (!TAILQ_EMPTY(&h->familiar)) {
		h->rq = &ready;
		TAILQ_INSERT_TAIL(h->rq, h, turn);
		h->where = H_READY;
		return;
	}
	if (TAILQ_EMPTY(&h->waiting))
		return;
	t = auth_now();
	if (h->next <= t) {
		evtimer_del(&h->wake);
		decay(&h->fails, &h->lastfail, t);
		h->rq = h->fails > 0 ? &ready_failing : &ready;
		TAILQ_INSERT_TAIL(h->rq, h, turn);
		h->where = H_READY;
		return;
	}
	timer_in(&h->wake, h->next - t);
}

static void
host_wake(int fd, short ev, void *arg)
{
	host_schedule(arg);
	jobs_dispatch();
}

static struct host *
host_find(const struct addrkey *key, int create)
{
	struct host	*h;

	if ((h = addrtree_get(&hosts, key, 0)) != NULL || !create)
		return h;
	if ((h = addrtree_get(&hosts, key, sizeof(*h))) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&h->waiting);
	TAILQ_INIT(&h->familiar);
	TAILQ_INIT(&h->famrun);
	evtimer_set(&h->wake, host_wake, h);
	return h;
}

struct host *
host_get(const struct peeraddr *peer)
{
	struct addrkey	 key;
	struct host	*h;

	addr_key(peer, auth_set.per_address.ipv4_prefix,
	    auth_set.per_address.ipv6_prefix, &key);
	h = host_find(&key, 1);
	if (h->where == H_IDLE) {
		TAILQ_REMOVE(&idle, h, turn);
		h->where = H_NONE;
		nidle--;
	}
	h->nsess++;
	return h;
}

/* Kept without sessions while it has failures, at most HOST_KEEP. */
void
host_put(struct host *h)
{
	if (--h->nsess > 0)
		return;
	if (h->where == H_READY) {
		TAILQ_REMOVE(h->rq, h, turn);
		h->where = H_NONE;
	}
	decay(&h->fails, &h->lastfail, auth_now());
	if (h->fails > 0) {
		TAILQ_INSERT_TAIL(&idle, h, turn);
		h->where = H_IDLE;
		if (++nidle <= HOST_KEEP)
			return;
		h = TAILQ_FIRST(&idle);
		TAILQ_REMOVE(&idle, h, turn);
		nidle--;
	}
	evtimer_del(&h->wake);
	addrtree_del(&hosts, h);
}

/*
 * A user's next check waits in the queue until its one beside it is answered.
 */
static int
queued(struct sessq *q, const char *user)
{
	struct session	*o;
	int		 n = 0;

	TAILQ_FOREACH(o, q, qentry)
		if (user == NULL || strcmp(o->user, user) == 0)
			n++;
	return n;
}

/* -1 when the user has PAIR_WAITING checks at the address already. */
int
host_enqueue(struct session *s)
{
	struct host	*h = s->host;
	struct pair	*p;
	double		 t = auth_now();
	int		 familiar = 0;

	s->familiar = 0;
	if ((p = pair_get(&h->node.key, s->user, 0)) != NULL) {
		familiar = p->familiar > 0 && t - p->familiar < PAIR_FAMILIAR;
		pair_done(p);
	}
	if (familiar && queued(&h->familiar, s->user) +
	    queued(&h->famrun, s->user) == 0)
		s->familiar = 1;
	else if (queued(&h->familiar, s->user) +
	    queued(&h->waiting, s->user) >= PAIR_WAITING)
		return -1;
	TAILQ_INSERT_TAIL(s->familiar ? &h->familiar : &h->waiting, s, qentry);
	host_schedule(h);
	return 0;
}

/* Decided at dispatch: a burst sent before a first failure keeps no place. */
static struct session *
host_pick(struct host *h, double t)
{
	struct session	*s;
	struct pair	*p;
	int		 fails;

	TAILQ_FOREACH(s, &h->waiting, qentry) {
		fails = 0;
		if ((p = pair_get(&h->node.key, s->user, 0)) != NULL) {
			decay(&p->fails, &p->lastfail, t);
			fails = p->fails > 0;
			pair_done(p);
		}
		if (!fails)
			return s;
	}
	return TAILQ_FIRST(&h->waiting);
}

void
host_dequeue(struct session *s)
{
	struct host	*h = s->host;

	if (s->job != NULL)
		TAILQ_REMOVE(s->familiar ? &h->familiar : &h->waiting, s,
		    qentry);
	else if (s->familiar)
		TAILQ_REMOVE(&h->famrun, s, qentry);
	s->familiar = 0;
}

/*
 * Only the user's own failures are forgiven: an attacker's own account buys a
 * sprayer no guesses.
 */
void
host_success(struct host *h, const char *user, double t)
{
	struct pair	*p;
	struct session	*s;

	decay(&h->fails, &h->lastfail, t);
	if ((p = pair_get(&h->node.key, user, 1)) == NULL)
		return;
	decay(&p->fails, &p->lastfail, t);
	if (p->fails > 0) {
		h->fails = p->fails >= h->fails ? 0 : h->fails - p->fails;
		if (h->fails == 0)
			h->next = 0;
	}
	p->fails = 0;
	p->lastbad = 0;
	p->familiar = t;
	p->known = 1;
	pair_done(p);
	if (queued(&h->familiar, user) + queued(&h->famrun, user) == 0)
		TAILQ_FOREACH(s, &h->waiting, qentry) {
			if (strcmp(s->user, user) != 0)
				continue;
			TAILQ_REMOVE(&h->waiting, s, qentry);
			TAILQ_INSERT_TAIL(&h->familiar, s, qentry);
			s->familiar = 1;
			break;
		}
	host_schedule(h);
}

/* A stale client retries the same wrong password, an attacker would not. */
double
host_failure(struct host *h, const char *user, int known, uint64_t passmac,
    double t, double started)
{
	struct pair	*p;
	struct session	*s, *next;
	double		 wait;

	TAILQ_FOREACH_SAFE(s, &h->familiar, qentry, next) {
		if (strcmp(s->user, user) != 0)
			continue;
		TAILQ_REMOVE(&h->familiar, s, qentry);
		TAILQ_INSERT_TAIL(&h->waiting, s, qentry);
		s->familiar = 0;
	}
	decay(&h->fails, &h->lastfail, t);
	if ((p = pair_get(&h->node.key, user, 1)) != NULL) {
		decay(&p->fails, &p->lastfail, t);
		p->familiar = 0;
		p->known = known;
		if (p->fails > 0 && p->lastbad == passmac) {
			pair_done(p);
			return host_delay(h->fails);
		}
		if (p->fails < 32)
			p->fails++;
		p->lastfail = t;
		p->lastbad = passmac;
		pair_done(p);
	}
	if (h->fails < 32)
		h->fails++;
	h->lastfail = t;
	wait = host_delay(h->fails);
	if (h->next < started + wait)
		h->next = started + wait;
	host_schedule(h);
	return wait;
}

void
jobs_kick(void)
{
	timer_in(&kick_ev, 0);
}

void
jobs_kicked(int fd, short ev, void *arg)
{
	jobs_dispatch();
}

/* A hung-up client's check is dropped: its EOF is in the socket unread. */
void
jobs_dispatch(void)
{
	struct host	*h;
	struct hostq	*from;
	struct session	*s;
	struct job	*j;
	char		 c;
	double		 t;

	while (inflight < nworkers && ((h = TAILQ_FIRST(&ready)) != NULL ||
	    (inflight_failing < (nworkers > 1 ? nworkers - 1 : 1) &&
	    (h = TAILQ_FIRST(&ready_failing)) != NULL))) {
		from = h->rq;
		TAILQ_REMOVE(h->rq, h, turn);
		h->where = H_NONE;
		t = auth_now();
		if ((s = TAILQ_FIRST(&h->familiar)) != NULL)
			TAILQ_REMOVE(&h->familiar, s, qentry);
		else if (h->next > t || (from == &ready && h->fails > 0)) {
			/*
			 * A new address's first burst: the rest waits its
			 * delay.
			 */
			host_schedule(h);
			continue;
		} else if ((s = host_pick(h, t)) != NULL)
			TAILQ_REMOVE(&h->waiting, s, qentry);
		else
			continue;	/* its sessions left meanwhile */
		j = s->job;
		s->job = NULL;
		if (s->fd != -1 &&
		    recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
			log_debug("session %s%llu: %s: gone before its password "
			    "check", SIDP(s->id), s->addr);
			s->familiar = 0;	/* in no queue: see host_dequeue */
			freezero(j, sizeof(*j));
			host_schedule(h);	/* its other sessions' turn */
			gone_cb(s, 1);		/* may free h: not used below */
			continue;
		}
		s->started = t;
		if (s->familiar)
			TAILQ_INSERT_TAIL(&h->famrun, s, qentry);
		decay(&h->fails, &h->lastfail, t);
		j->failing = h->fails > 0 && !s->familiar;
		if (j->failing && h->next < t + host_delay(h->fails))
			h->next = t + host_delay(h->fails);
		host_schedule(h);
		jobs_submit(j);
	}
}

void
host_init(void (*gone)(struct session *, int))
{
	gone_cb = gone;
	arc4random_buf(mackey, sizeof(mackey));
}

/* Never 0, which stands for no password. */
uint64_t
passmac(const char *pass)
{
	return siphash(mackey, pass, strlen(pass));
}

static struct penalty_rec *
export_rec(struct chan *c, struct msg_penalty *m)
{
	if (m->n == PENALTY_RECS) {
		chan_send(c, MSG_AUTHPOP_PENALTY, -1, m, sizeof(*m));
		memset(m, 0, sizeof(*m));
	}
	return &m->rec[m->n++];
}

/*
 * Our successor gets failures and familiar users: a reload forgives no sprayer.
 * The keyed hashes stay, as the key does.
 */
void
host_export(struct chan *c)
{
	struct msg_penalty	 m;
	struct penalty_rec	*r;
	struct host		*h, *hnext;
	struct pair		*p;
	double			 t = auth_now();

	memset(&m, 0, sizeof(m));
	ADDRTREE_FOREACH_SAFE(h, &hosts, hnext) {
		decay(&h->fails, &h->lastfail, t);
		if (h->fails == 0)
			continue;
		r = export_rec(c, &m);
		r->key = h->node.key;
		r->fails = h->fails;
		r->lastfail = h->lastfail;
		r->next = h->next;
	}
	TAILQ_FOREACH(p, &pairs_lru, lru) {
		decay(&p->fails, &p->lastfail, t);
		if (p->fails == 0 && p->familiar == 0)
			continue;
		r = export_rec(c, &m);
		r->key = p->key;
		(void)strlcpy(r->user, p->user, sizeof(r->user));
		r->fails = p->fails;
		r->lastfail = p->lastfail;
		r->familiar = p->familiar;
	}
	if (m.n > 0)
		chan_send(c, MSG_AUTHPOP_PENALTY, -1, &m, sizeof(m));
}

void
host_import(struct chan *c, const void *data, int fd)
{
	const struct msg_penalty	*m = data;
	const struct penalty_rec	*r;
	struct host			*h;
	struct pair			*p;
	uint32_t			 i;

	for (i = 0; i < m->n; i++) {
		r = &m->rec[i];
		if (r->user[0] != '\0') {
			if ((p = pair_get(&r->key, r->user, 1)) == NULL)
				continue;
			if (r->fails > p->fails) {
				p->fails = r->fails;
				p->lastfail = r->lastfail;
			}
			if (r->familiar > p->familiar && p->fails == 0)
				p->familiar = r->familiar;
			pair_done(p);
			continue;
		}
		if ((h = host_find(&r->key, nidle < HOST_KEEP)) == NULL)
			continue;
		if (h->nsess == 0 && h->where != H_IDLE) {
			TAILQ_INSERT_TAIL(&idle, h, turn);
			h->where = H_IDLE;
			nidle++;
		}
		if (r->fails > h->fails) {
			h->fails = r->fails;
			h->lastfail = r->lastfail;
		}
		if (r->next > h->next)
			h->next = r->next;
		host_schedule(h);
	}
}

static struct penalty_row *
list_row(struct chan *c, struct msg_penalties *m)
{
	if (m->n == PENALTY_ROWS) {
		m->more = 1;
		chan_send(c, MSG_AUTHPOP_PENALTIES, -1, m, sizeof(*m));
		memset(m->rec, 0, sizeof(m->rec));
		m->n = m->more = 0;
	}
	return &m->rec[m->n++];
}

/* A key without an address is no row: control would cut us off. */
void
host_list(struct chan *c, uint64_t req)
{
	struct msg_penalties	 m;
	struct penalty_row	*r;
	struct host		*h, *hnext;
	struct pair		*p;
	double			 t = auth_now();
	uint32_t		 n;

	memset(&m, 0, sizeof(m));
	m.req = req;
	m.v4bits = auth_set.per_address.ipv4_prefix;
	m.v6bits = auth_set.per_address.ipv6_prefix;
	ADDRTREE_FOREACH_SAFE(h, &hosts, hnext) {
		decay(&h->fails, &h->lastfail, t);
		n = queued(&h->waiting, NULL) + queued(&h->familiar, NULL);
		if ((h->fails == 0 && n == 0) || h->node.key.af == 0)
			continue;
		r = list_row(c, &m);
		r->key = h->node.key;
		r->fails = h->fails;
		r->delay = host_delay(h->fails);
		r->queued = n;
	}
	TAILQ_FOREACH(p, &pairs_lru, lru) {
		decay(&p->fails, &p->lastfail, t);
		if (p->fails == 0 || !p->known || !valid_username(p->user) ||
		    p->key.af == 0)
			continue;
		r = list_row(c, &m);
		r->key = p->key;
		(void)strlcpy(r->user, p->user, sizeof(r->user));
		r->fails = p->fails;
	}
	chan_send(c, MSG_AUTHPOP_PENALTIES, -1, &m, sizeof(m));
}

uint32_t
host_forget(const struct netaddr *net)
{
	struct host	*h, *hnext;
	struct pair	*p, *pnext;
	uint32_t	 n = 0;
	int		 bits;

	bits = net->af == AF_INET ? auth_set.per_address.ipv4_prefix :
	    auth_set.per_address.ipv6_prefix;
	ADDRTREE_FOREACH_SAFE(h, &hosts, hnext) {
		if (!addrkey_in(&h->node.key, bits, net))
			continue;
		if (h->fails > 0)
			n++;
		h->fails = 0;
		h->lastfail = 0;
		h->next = 0;
		if (h->where == H_IDLE) {
			TAILQ_REMOVE(&idle, h, turn);
			nidle--;
			evtimer_del(&h->wake);
			addrtree_del(&hosts, h);
			continue;
		}
		if (h->where == H_READY && h->rq == &ready_failing) {
			TAILQ_REMOVE(h->rq, h, turn);
			h->where = H_NONE;
		}
		host_schedule(h);
	}
	TAILQ_FOREACH_SAFE(p, &pairs_lru, lru, pnext) {
		if (!addrkey_in(&p->key, bits, net) || p->fails == 0)
			continue;
		n++;
		p->fails = 0;
		p->lastbad = 0;
		pair_done(p);
	}
	return n;
}
