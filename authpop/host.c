/*
 * host.c -- the per-address scheduler: which waiting password check
 * goes to the workers next, and not before when.  Its state (struct
 * host, known only here) outlives a session, so that failures count
 * against an address rather than a connection.  All of it runs in the
 * event loop; the workers see only the jobs that jobs_dispatch hands
 * to check.c (jobs_submit).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <event.h>
#include <stdlib.h>
#include <string.h>

#include "authpop.h"

#define HOST_DECAY		60	/* seconds that forgive one failure */
#define HOST_KEEP		16384	/* addresses kept without a session */

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
	struct sessq		 waiting;
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

static int	host_cmp(struct host *, struct host *);
RB_PROTOTYPE_STATIC(hosttree, host, entry, host_cmp)
RB_GENERATE_STATIC(hosttree, host, entry, host_cmp)

static void	host_decay(struct host *, double);
static double	host_delay(unsigned int);
static void	host_schedule(struct host *);
static void	host_wake(int, short, void *);

/* Addresses with sessions or failures; those with checks waiting, in turn. */
static struct hosttree	 hosts = RB_INITIALIZER(&hosts);
static struct hostq	 ready = TAILQ_HEAD_INITIALIZER(ready);
static struct hostq	 ready_failing = TAILQ_HEAD_INITIALIZER(ready_failing);
static struct hostq	 idle = TAILQ_HEAD_INITIALIZER(idle);
static size_t		 nidle;
struct event		 kick_ev;	/* jobs_dispatch, from the loop */

static int
host_cmp(struct host *a, struct host *b)
{
	return addrkey_cmp(&a->key, &b->key);
}

/* The host a session address counts under, with one more session. */
struct host *
host_get(const struct peeraddr *peer)
{
	struct host	 key, *h;

	addr_key(peer, set.per_address.ipv4_prefix,
	    set.per_address.ipv6_prefix, &key.key);
	if ((h = RB_FIND(hosttree, &hosts, &key)) == NULL) {
		if ((h = calloc(1, sizeof(*h))) == NULL)
			fatal("%s", __func__);
		h->key = key.key;
		TAILQ_INIT(&h->waiting);
		evtimer_set(&h->wake, host_wake, h);
		RB_INSERT(hosttree, &hosts, h);
	} else if (h->where == H_IDLE) {
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
	struct host	*old;

	if (--h->nsess > 0)
		return;
	if (h->where == H_READY) {
		/* Its last waiting session left after it got its turn. */
		TAILQ_REMOVE(h->rq, h, turn);
		h->where = H_NONE;
	}
	host_decay(h, now());
	if (h->fails > 0) {
		TAILQ_INSERT_TAIL(&idle, h, turn);
		h->where = H_IDLE;
		if (++nidle <= HOST_KEEP)
			return;
		h = TAILQ_FIRST(&idle);
		TAILQ_REMOVE(&idle, h, turn);
		nidle--;
	}
	old = h;
	evtimer_del(&old->wake);
	RB_REMOVE(hosttree, &hosts, old);
	free(old);
}

/* The check of s (s->job) waits behind the others of its address. */
void
host_enqueue(struct session *s)
{
	TAILQ_INSERT_TAIL(&s->host->waiting, s, qentry);
	host_schedule(s->host);
}

/* The check of s leaves before it started; the caller frees s->job. */
void
host_dequeue(struct session *s)
{
	TAILQ_REMOVE(&s->host->waiting, s, qentry);
}

/* A good password from h at t: one failure fewer to remember. */
void
host_success(struct host *h, double t)
{
	host_decay(h, t);
	if (h->fails > 0 && --h->fails == 0)
		h->next = 0;
}

/*
 * A wrong password from h at t, whose check started at started: one
 * more failure, and no check from h before its failure delay, which
 * is returned.
 */
double
host_failure(struct host *h, double t, double started)
{
	double	wait;

	host_decay(h, t);
	if (h->fails < 32)
		h->fails++;
	h->lastfail = t;
	wait = host_delay(h->fails);
	if (h->next < started + wait)
		h->next = started + wait;
	host_schedule(h);
	return wait;
}

/* Forgive one failure per HOST_DECAY seconds without one. */
static void
host_decay(struct host *h, double t)
{
	unsigned int	k;

	if (h->fails == 0 || t - h->lastfail < HOST_DECAY)
		return;
	k = (t - h->lastfail) / HOST_DECAY;
	h->fails = k >= h->fails ? 0 : h->fails - k;
	h->lastfail += (double)k * HOST_DECAY;
}

/* The failure delay after n failures: doubling from -W up to -M. */
static double
host_delay(unsigned int n)
{
	double	d;

	if (n == 0 || set.failure_delay.first == 0)
		return 0;
	d = (double)set.failure_delay.first * (1U << (n > 16 ? 16 : n - 1));
	return d > set.failure_delay.max ? set.failure_delay.max : d;
}

/*
 * Put h in turn for a worker if it has a check waiting and may start
 * one now, or wake it when it may.  Addresses that failed lately wait
 * in a queue of their own, served only when no other address waits and
 * never on every worker at once: a sprayer's checks do not hold up a
 * user who types the right password.
 */
static void
host_schedule(struct host *h)
{
	double	t;

	if (TAILQ_EMPTY(&h->waiting) || h->where == H_READY)
		return;
	t = now();
	if (h->next <= t) {
		evtimer_del(&h->wake);
		host_decay(h, t);
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

/* Dispatch from the event loop, once the current callback is done. */
void
jobs_kick(void)
{
	struct timeval	tv = { 0, 0 };

	if (evtimer_add(&kick_ev, &tv) == -1)
		fatal("evtimer_add");
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
	struct session	*s;
	struct job	*j;
	char		 c;
	double		 t;

	while (inflight < nworkers && ((h = TAILQ_FIRST(&ready)) != NULL ||
	    (inflight_failing < (nworkers > 1 ? nworkers - 1 : 1) &&
	    (h = TAILQ_FIRST(&ready_failing)) != NULL))) {
		TAILQ_REMOVE(h->rq, h, turn);
		h->where = H_NONE;
		if ((s = TAILQ_FIRST(&h->waiting)) == NULL)
			continue;	/* its sessions left meanwhile */
		TAILQ_REMOVE(&h->waiting, s, qentry);
		j = s->job;
		s->job = NULL;
		if (recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
			log_debug("session %llu: %s: gone before its password "
			    "check", (unsigned long long)s->id, s->addr);
			freezero(j, sizeof(*j));
			host_schedule(h);	/* its other sessions' turn */
			session_close(s, 1);	/* may free h: not used below */
			continue;
		}
		t = now();
		s->started = t;
		host_decay(h, t);
		j->failing = h->fails > 0;
		/* An address that failed lately has one check at a time. */
		if (h->fails > 0 && h->next < t + host_delay(h->fails))
			h->next = t + host_delay(h->fails);
		host_schedule(h);
		jobs_submit(j);
	}
}
