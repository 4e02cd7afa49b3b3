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
 * host.c -- the per-address scheduler: which waiting password check
 * goes to the workers next, and not before when.  Its state (struct
 * host and struct pair, known only here) outlives a session, so that
 * failures count against an address rather than a connection.  All of
 * it runs in the event loop; the workers see only the jobs that
 * jobs_dispatch hands to check.c (jobs_submit).
 *
 * Many users may share one address (NAT, CGNAT, webmail), one of them
 * an attacker.  What keeps the others going (struct pair):
 *  - a user who logged in from an address lately is familiar there: its
 *    checks skip the address's queue and failure delay, one at a time
 *    (it has no failure since: a wrong password ends it, and the next
 *    check waits in the queue until the one before is answered, so an
 *    attacker who tries a familiar user's name, however many guesses
 *    it sends at once, gets one guess per real login);
 *  - in the address's queue, users without failures from it go before
 *    those with, as they stand when a check is dispatched (not when it
 *    joined: a burst for one user sent before its first failure does
 *    not keep its place), and one user holds at most PAIR_WAITING
 *    checks there;
 *  - the same wrong password again for the same user (a client with a
 *    stale saved password) is not counted again.
 * Everything else from the address takes its turn, one check at a time
 * once it failed lately, after its growing failure delay: a sprayer
 * gets no more guesses than before, whatever names and connections it
 * uses.
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
 * A client address (masked: a /32 or /64) as the password checks see it:
 * its sessions whose check waits, taken in turn with other addresses'
 * so that no address's flood goes first, and its recent failures, which
 * delay its failure replies and its next check (1 s doubling to 15 s by
 * default).  One failure is forgiven per HOST_DECAY seconds without one.
 */
struct host {
	RB_ENTRY(host)		 entry;
	TAILQ_ENTRY(host)	 turn;		/* in a ready queue, or idle */
	struct hostq		*rq;		/* that ready queue */
	struct addrkey		 key;
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
RB_HEAD(hosttree, host);
#define H_NONE		0
#define H_READY		1
#define H_IDLE		2

/*
 * A user name as tried from one address: its failures from there, when
 * it last logged in from there (0: not lately, or it failed since), and
 * a keyed hash of its last wrong password.  known: authtab has the
 * name, so that popctl may show it (a password typed as a name is
 * not).  Kept while there is one of these to remember, at most
 * PAIR_KEEP (the least recently used go).
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

static int	host_cmp(struct host *, struct host *);
/* host_init's: how a session whose client left is closed. */
static void	(*gone_cb)(struct session *, int);
RB_PROTOTYPE_STATIC(hosttree, host, entry, host_cmp)
RB_GENERATE_STATIC(hosttree, host, entry, host_cmp)
static int	pair_cmp(struct pair *, struct pair *);
RB_PROTOTYPE_STATIC(pairtree, pair, entry, pair_cmp)
RB_GENERATE_STATIC(pairtree, pair, entry, pair_cmp)

/* Addresses with sessions or failures; those with checks waiting, in turn. */
static struct hosttree	 hosts = RB_INITIALIZER(&hosts);
static struct hostq	 ready = TAILQ_HEAD_INITIALIZER(ready);
static struct hostq	 ready_failing = TAILQ_HEAD_INITIALIZER(ready_failing);
static struct hostq	 idle = TAILQ_HEAD_INITIALIZER(idle);
static size_t		 nidle;
static struct pairtree	 pairs = RB_INITIALIZER(&pairs);
static struct pairq	 pairs_lru = TAILQ_HEAD_INITIALIZER(pairs_lru);
static size_t		 npairs;
struct event		 kick_ev;	/* jobs_dispatch, from the loop */

/*
 * The key of passmac(): wrong passwords are remembered only as SipHash-2-4
 * values under a key that never leaves this process.
 */
static uint64_t		 mackey[2];

static int
host_cmp(struct host *a, struct host *b)
{
	return addrkey_cmp(&a->key, &b->key);
}

static int
pair_cmp(struct pair *a, struct pair *b)
{
	int	r;

	if ((r = addrkey_cmp(&a->key, &b->key)) != 0)
		return r;
	return strcmp(a->user, b->user);
}

/*
 * Forgive one of *fails (an address's, or a user's at an address) per
 * HOST_DECAY seconds without one since *lastfail.
 */
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

/* The failure delay after n failures: doubling from -W up to -M. */
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

/*
 * The pair of user at key, made when create says so (NULL when not
 * found, or when the name cannot be kept), and now the most recently
 * used one.  The caller ends with pair_done().
 */
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

/* A pair with nothing left to remember goes. */
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
 * Put h in turn for a worker if it has a check waiting and may start
 * one now, or wake it when it may.  Addresses that failed lately wait
 * in a queue of their own, served only when no other address waits and
 * never on every worker at once: a sprayer's checks do not hold up a
 * user who types the right password.  A familiar user's check does not
 * wait for its address's failure delay.
 */
static void
host_schedule(struct host *h)
{
	double	t;

	if (h->where == H_READY) {
		/*
		 * In turn among the failing addresses as a familiar check
		 * comes: it goes among the others, not after them all.
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

/* The host of key, made (without sessions) if create says so, or NULL. */
static struct host *
host_find(const struct addrkey *key, int create)
{
	struct host	 k, *h;

	k.key = *key;
	if ((h = RB_FIND(hosttree, &hosts, &k)) != NULL || !create)
		return h;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		fatal("%s", __func__);
	h->key = *key;
	TAILQ_INIT(&h->waiting);
	TAILQ_INIT(&h->familiar);
	TAILQ_INIT(&h->famrun);
	evtimer_set(&h->wake, host_wake, h);
	RB_INSERT(hosttree, &hosts, h);
	return h;
}

/* The host a session address counts under, with one more session. */
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

/*
 * A session of h is gone.  Without sessions, h is kept while it has
 * failures to remember, at most HOST_KEEP of them (the oldest go).
 */
void
host_put(struct host *h)
{
	if (--h->nsess > 0)
		return;
	if (h->where == H_READY) {
		/* Its last waiting session left after it got its turn. */
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
	RB_REMOVE(hosttree, &hosts, h);
	free(h);
}

/*
 * How many checks of user (NULL: of all) are in q.  While user has one
 * beside an address's queue (familiar, or famrun: at the workers), its
 * next one waits in the queue until that one is answered (host_success
 * lets it out then).
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

/*
 * The check of s (s->job) for s->user waits its turn: in the address's
 * queue (which of its checks goes first is decided at dispatch:
 * host_pick), or beside it when the user logged in from this address
 * lately, has not failed since and has no other check beside it.  -1
 * (nothing queued) when the user has PAIR_WAITING checks waiting at
 * the address already, beside the queue or in it.
 */
int
host_enqueue(struct session *s)
{
	struct host	*h = s->host;
	struct pair	*p;
	double		 t = auth_now();
	int		 familiar = 0;

	s->familiar = 0;
	if ((p = pair_get(&h->key, s->user, 0)) != NULL) {
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

/*
 * The next check of h's queue: the first of a user without failures
 * from h as things stand now, else the first.
 */
static struct session *
host_pick(struct host *h, double t)
{
	struct session	*s;
	struct pair	*p;
	int		 fails;

	TAILQ_FOREACH(s, &h->waiting, qentry) {
		fails = 0;
		if ((p = pair_get(&h->key, s->user, 0)) != NULL) {
			decay(&p->fails, &p->lastfail, t);
			fails = p->fails > 0;
			pair_done(p);
		}
		if (!fails)
			return s;
	}
	return TAILQ_FIRST(&h->waiting);
}

/*
 * The check of s is done with here: it leaves its queue before it
 * started (the caller frees s->job), or it was answered, or its session
 * closes while a worker has it.  A familiar check frees its user's turn
 * beside the queue.
 */
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
 * A good password for user from h at t: familiar there from now on, and
 * the failures it made from h are forgiven (a user who mistyped).  The
 * address's other failures stay: a neighbour's logins, or an attacker's
 * own account, do not buy a sprayer behind the same address more guesses.
 */
void
host_success(struct host *h, const char *user, double t)
{
	struct pair	*p;
	struct session	*s;

	decay(&h->fails, &h->lastfail, t);
	if ((p = pair_get(&h->key, user, 1)) == NULL)
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
	/*
	 * Its first check waiting at h need not wait any longer; the next
	 * one goes when that one is answered right.
	 */
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

/*
 * A wrong password (passmac: its keyed hash) for user (known: in authtab)
 * from h at t, whose check started at started: one more failure, and no
 * check from h's queue before its failure delay, which is returned.  The
 * user is no longer familiar at h: its check beside the queue, if one
 * waits there, goes back in it.  The same wrong password as last time
 * for this user from h is not counted again: a client with a stale
 * saved password retries it, an attacker would not.
 */
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
	if ((p = pair_get(&h->key, user, 1)) != NULL) {
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

/* Dispatch from the event loop, once the current callback is done. */
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

/*
 * Give the workers checks while they have room, one address at a time
 * in turn.  A check whose client has hung up is dropped here instead:
 * the listener's EOF is in the socket even while we do not read it.
 */
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
			 * Its familiar check left, or it failed since it
			 * got in turn (a new address's first guesses, all
			 * sent at once): the rest waits its delay, and
			 * then its turn among failing addresses.
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
		/* Its user's next check waits for this one's answer. */
		if (s->familiar)
			TAILQ_INSERT_TAIL(&h->famrun, s, qentry);
		decay(&h->fails, &h->lastfail, t);
		j->failing = h->fails > 0 && !s->familiar;
		/* An address that failed lately has one check at a time. */
		if (j->failing && h->next < t + host_delay(h->fails))
			h->next = t + host_delay(h->fails);
		host_schedule(h);
		jobs_submit(j);
	}
}

/*
 * Before the sandbox: the key of passmac(); gone closes a session whose
 * client hung up while its check waited (session.c's session_close).
 */
void
host_init(void (*gone)(struct session *, int))
{
	gone_cb = gone;
	arc4random_buf(mackey, sizeof(mackey));
}

/*
 * SipHash-2-4 of a password under mackey: what host_failure compares to
 * tell a stale client's retry from a new guess.  Never 0, which stands
 * for no password.
 */
uint64_t
passmac(const char *pass)
{
	return siphash(mackey, pass, strlen(pass));
}

/* The next free record of m, sending m first when it is full. */
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
 * Draining after a reload: tell the parent what we know of addresses
 * (their failures) and of users as tried from them (failures, familiar),
 * for our successor, so that a reload forgives no sprayer and forgets
 * no regular.  The keyed hashes of wrong passwords stay here: the key
 * does.
 */
void
host_export(struct chan *c)
{
	struct msg_penalty	 m;
	struct penalty_rec	*r;
	struct host		*h;
	struct pair		*p;
	double			 t = auth_now();

	memset(&m, 0, sizeof(m));
	RB_FOREACH(h, hosttree, &hosts) {
		decay(&h->fails, &h->lastfail, t);
		if (h->fails == 0)
			continue;
		r = export_rec(c, &m);
		r->key = h->key;
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

/*
 * MSG_PARENT_PENALTY: what our predecessor knew (host_export), merged
 * with what we know.
 */
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
			/* New: kept for its failures, as host_put keeps. */
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

/* The next free row of m, sending m first when it is full. */
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

/*
 * popctl's show penalties: the addresses that failed lately or have
 * checks waiting, and the users authtab knows that failed from them,
 * in chunks.  A key without an address (only a compromised httppop's
 * request or predecessor's record makes one) is no row: control takes
 * IPv4 and IPv6 ones only, and would cut this authpop off.
 */
void
host_list(struct chan *c, uint64_t req)
{
	struct msg_penalties	 m;
	struct penalty_row	*r;
	struct host		*h;
	struct pair		*p;
	double			 t = auth_now();
	uint32_t		 n;

	memset(&m, 0, sizeof(m));
	m.req = req;
	m.v4bits = auth_set.per_address.ipv4_prefix;
	m.v6bits = auth_set.per_address.ipv6_prefix;
	RB_FOREACH(h, hosttree, &hosts) {
		decay(&h->fails, &h->lastfail, t);
		n = queued(&h->waiting, NULL) + queued(&h->familiar, NULL);
		if ((h->fails == 0 && n == 0) || h->key.af == 0)
			continue;
		r = list_row(c, &m);
		r->key = h->key;
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

/*
 * popctl's unpenalize: forget the failures of the addresses (and of the
 * users tried from them) that share addresses with net, as if none had
 * happened.  Their waiting checks may go at once.  Returns how many
 * addresses and users had failures to forget.
 */
uint32_t
host_forget(const struct netaddr *net)
{
	struct host	*h, *hnext;
	struct pair	*p, *pnext;
	uint32_t	 n = 0;
	int		 bits;

	bits = net->af == AF_INET ? auth_set.per_address.ipv4_prefix :
	    auth_set.per_address.ipv6_prefix;
	RB_FOREACH_SAFE(h, hosttree, &hosts, hnext) {
		if (!addrkey_in(&h->key, bits, net))
			continue;
		if (h->fails > 0)
			n++;
		h->fails = 0;
		h->lastfail = 0;
		h->next = 0;
		if (h->where == H_IDLE) {
			/* Kept only for its failures. */
			TAILQ_REMOVE(&idle, h, turn);
			nidle--;
			evtimer_del(&h->wake);
			RB_REMOVE(hosttree, &hosts, h);
			free(h);
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
