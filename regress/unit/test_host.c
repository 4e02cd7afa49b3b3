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
 * test_host -- authpop's per-address scheduler (authpop/host.c) alone,
 * with the rest of authpop it calls played here: a clock the test moves
 * (now), timers that fire when the test says the time has come (timer_in:
 * host.c's wake-ups, run through libevent's own callbacks), the workers
 * (jobs_submit records each check handed over, in order, and whether it
 * counted as a failing address's), sessions closed (the callback
 * host_init is given), the settings (set) and the channel to the parent
 * (chan_send keeps what host_export sends).  What is tested is what
 * host.c's comments promise: addresses take turns; an address's failure
 * delay, 1 s doubling to the maximum, one failure forgiven per minute;
 * from an address that failed lately one check per delay, in turn after
 * the other addresses', never on every worker; users without failures
 * first in an address's queue, as they stand at dispatch; at most
 * PAIR_WAITING checks of a user in the queue; a user who logged in lately
 * skips queue and delay until a wrong password; the same wrong password
 * again counts once; a check whose client hung up is dropped; what
 * host_export tells a successor, and host_import takes back.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "chan.h"
#include "proto.h"
#include "../../authpop/auth.h"
#include "unit.h"

#define HOST_DECAY	60		/* host.c's: one failure forgiven */
#define FAMILIAR	(7 * 86400)	/* host.c's PAIR_FAMILIAR */
#define DAY		86400.0

/* ---- the fakes of state.c, session.c and check.c for host.c ---- */

struct conf_settings	 auth_set;
long			 nworkers;
long			 inflight;
long			 inflight_failing;

static double		 clock_now = 1000;

double
auth_now(void)
{
	return clock_now;
}

/* The timers host.c armed: each fires once the clock reaches its due. */
#define MAXTIMERS	256
static struct {
	struct event	*ev;
	double		 due;
} timers[MAXTIMERS];
static int		 ntimers;
static int		 timer_calls;
static double		 last_timer_secs;

void
timer_in(struct event *ev, double secs)
{
	struct timeval	tv = { 3600, 0 };	/* never in this test */
	int		i;

	timer_calls++;
	last_timer_secs = secs;
	for (i = 0; i < ntimers; i++)
		if (timers[i].ev == ev)
			break;
	if (i == ntimers) {
		if (ntimers == MAXTIMERS) {
			printf("too many timers\n");
			exit(2);
		}
		ntimers++;
	}
	timers[i].ev = ev;
	timers[i].due = clock_now + (secs > 0 ? secs : 0);
	/* libevent keeps it pending until host.c deletes it. */
	if (evtimer_add(ev, &tv) == -1) {
		printf("evtimer_add failed\n");
		exit(2);
	}
}

/* What went to the workers, in order. */
#define MAXJOBS		1024
static struct job	*running[MAXJOBS];	/* at the workers now */
static int		 nrunning;
static uint64_t		 sub_id[MAXJOBS];
static int		 sub_failing[MAXJOBS];
static int		 nsub, nsub_seen;

void
jobs_submit(struct job *j)
{
	if (nsub == MAXJOBS || nrunning == MAXJOBS) {
		printf("too many jobs\n");
		exit(2);
	}
	sub_id[nsub] = j->id;
	sub_failing[nsub++] = j->failing;
	running[nrunning++] = j;
	if (j->failing)
		inflight_failing++;
	inflight++;
}

/* The sessions of the test, by id; labels say which in the results. */
#define MAXSESS		1024
static struct session	*sess[MAXSESS];
static char		 label[MAXSESS][16];
static uint64_t		 nextid = 1;
static uint64_t		 closes[MAXSESS];
static int		 ncloses;
static int		 live_fd = -1;	/* a client still there */
static int		 gone_fd = -1;	/* one that hung up */

static void
sess_free(struct session *s)
{
	/* Its check waits (dropped, not run) or the workers have it. */
	if (s->state == S_CHECK)
		host_dequeue(s);
	if (s->job != NULL) {
		free(s->job);
		s->job = NULL;
	}
	host_put(s->host);
	sess[s->id] = NULL;
	free(s);
}

/* host_init's callback: what session.c's session_close would do. */
static void
sess_gone(struct session *s, int how)
{
	closes[ncloses++] = s->id;
	sess_free(s);
}

/* The channel to the parent: what host_export sent. */
#define MAXMSGS		16
static struct msg_penalty	 sent[MAXMSGS];
static int			 nsent, sent_bad;

/* What host_list sent: its rows' address families, in order. */
static int	listed_af[64], nlisted;

void
chan_send(struct chan *c, uint32_t type, int fd, const void *data,
    size_t len)
{
	const struct msg_penalties	*pm = data;
	uint32_t			 i;

	if (type == MSG_AUTHPOP_PENALTIES && len == sizeof(*pm)) {
		for (i = 0; i < pm->n && nlisted < 64; i++)
			listed_af[nlisted++] = pm->rec[i].key.af;
		return;
	}
	if (type != MSG_AUTHPOP_PENALTY || fd != -1 ||
	    len != sizeof(struct msg_penalty) || nsent == MAXMSGS) {
		sent_bad++;
		return;
	}
	memcpy(&sent[nsent++], data, len);
}

/* ---- the test's side: clients, checks, workers, time ---- */

static struct event_base	*base;

static struct peeraddr
peer(const char *ip, unsigned port)
{
	struct peeraddr	p;
	char		buf[64];

	if (strchr(ip, ':') != NULL)
		(void)snprintf(buf, sizeof(buf), "[%s]:%u", ip, port);
	else
		(void)snprintf(buf, sizeof(buf), "%s:%u", ip, port);
	if (peer_parse(buf, &p) == -1) {
		printf("bad address %s in the test\n", ip);
		exit(2);
	}
	return p;
}

/* A client session from ip, for user, called lbl in the results. */
static struct session *
sess_new(const char *lbl, const char *ip, const char *user)
{
	struct session	*s;

	if (nextid == MAXSESS) {
		printf("too many sessions\n");
		exit(2);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		exit(2);
	s->id = nextid++;
	s->fd = live_fd;
	s->peer = peer(ip, 40000 + s->id);
	(void)peer_str(&s->peer, s->addr, sizeof(s->addr));
	(void)strlcpy(s->user, user, sizeof(s->user));
	s->hasuser = 1;
	s->state = S_CMD;
	s->host = host_get(&s->peer);
	sess[s->id] = s;
	(void)strlcpy(label[s->id], lbl, sizeof(label[s->id]));
	return s;
}

/* PASS for s: its check waits its turn (host_enqueue's answer). */
static int
try(struct session *s, const char *pass)
{
	struct job	*j;
	int		 r;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		exit(2);
	j->id = s->id;
	j->known = 1;
	j->passmac = passmac(pass);
	s->job = j;
	s->state = S_CHECK;
	if ((r = host_enqueue(s)) == -1) {
		free(j);
		s->job = NULL;
		s->state = S_CMD;
	}
	return r;
}

/* A session and its check at once. */
static struct session *
queue(const char *lbl, const char *ip, const char *user, const char *pass)
{
	struct session	*s = sess_new(lbl, ip, user);

	if (try(s, pass) != 0)
		CHECK(0, "%s: check of %s from %s refused", lbl, user, ip);
	return s;
}

/*
 * The check of s is back from the workers: right (ok) or wrong, as
 * verify.c's auth_result tells host.c; then the workers take more, as
 * jobs_collect does.  The failure delay host_failure gave, or 0.
 */
static double
finish(struct session *s, int ok)
{
	struct job	*j = NULL;
	double		 wait = 0;
	int		 i;

	for (i = 0; i < nrunning; i++)
		if (running[i]->id == s->id) {
			j = running[i];
			running[i] = running[--nrunning];
			break;
		}
	if (j == NULL) {
		CHECK(0, "%s: no check of it at the workers", label[s->id]);
		return -1;
	}
	inflight--;
	if (j->failing)
		inflight_failing--;
	host_dequeue(s);
	s->state = S_CMD;
	if (ok)
		host_success(s->host, s->user, auth_now());
	else
		wait = host_failure(s->host, s->user, j->known, j->passmac,
		    auth_now(), s->started);
	free(j);
	jobs_dispatch();
	return wait;
}

/* What the workers were given since last asked: "a1 b1 c2!" (! failing). */
static const char *
taken(void)
{
	static char	buf[4096];
	size_t		len = 0;

	buf[0] = '\0';
	for (; nsub_seen < nsub; nsub_seen++) {
		uint64_t	id = sub_id[nsub_seen];

		len += snprintf(buf + len, sizeof(buf) - len, "%s%s%s",
		    len > 0 ? " " : "", id < MAXSESS ? label[id] : "?",
		    sub_failing[nsub_seen] ? "!" : "");
		if (len >= sizeof(buf))
			break;
	}
	return buf;
}

/* The events libevent has pending: host.c deletes a host's before free. */
static struct event	*pend[MAXTIMERS];
static int		 npend;

static int
pending_cb(const struct event_base *b, const struct event *ev, void *arg)
{
	if (npend < MAXTIMERS)
		pend[npend++] = (struct event *)ev;
	return 0;
}

static int
timer_pending(int i)
{
	int	k;

	npend = 0;
	(void)event_base_foreach_event(base, pending_cb, NULL);
	for (k = 0; k < npend; k++)
		if (pend[k] == timers[i].ev)
			return 1;
	return 0;
}

/* When h's wake-up is due (host.c's timer for it), or -1 if none. */
static double
wake_at(const struct host *h)
{
	int	i;

	for (i = 0; i < ntimers; i++)
		if (timer_pending(i) &&
		    event_get_callback_arg(timers[i].ev) == h)
			return timers[i].due;
	return -1;
}

/* Move the clock to t, firing the timers due by then, earliest first. */
static void
advance_to(double t)
{
	struct event		*ev;
	event_callback_fn	 fn;
	int			 i, first;

	for (;;) {
		first = -1;
		for (i = 0; i < ntimers; i++) {
			if (!timer_pending(i)) {
				timers[i--] = timers[--ntimers];
				continue;
			}
			if (timers[i].due <= t && (first == -1 ||
			    timers[i].due < timers[first].due))
				first = i;
		}
		if (first == -1)
			break;
		ev = timers[first].ev;
		if (timers[first].due > clock_now)
			clock_now = timers[first].due;
		timers[first] = timers[--ntimers];
		(void)event_del(ev);
		fn = event_get_callback(ev);
		fn(event_get_fd(ev), EV_TIMEOUT, event_get_callback_arg(ev));
	}
	if (t > clock_now)
		clock_now = t;
}

static void
advance(double secs)
{
	advance_to(clock_now + secs);
}

/* The end of a test: its clients gone, the workers idle, a day later. */
static void
end_test(void)
{
	uint64_t	id;

	for (id = 1; id < nextid; id++)
		if (sess[id] != NULL)
			sess_free(sess[id]);
	while (nrunning > 0)
		free(running[--nrunning]);
	inflight = inflight_failing = 0;
	advance(DAY);
	(void)taken();
	CHECK_INT(nsub, nsub_seen);
	nsub = nsub_seen = 0;
}

/* ---- the tests ---- */

/* (a) Addresses take turns: no address's flood goes first. */
static void
test_turns(void)
{
	struct session	*a[8], *b[3], *c[2], *x[3], *y;
	int		 i;

	nworkers = 100;
	a[0] = queue("a1", "192.0.2.1", "ann1", "pw");
	a[1] = queue("a2", "192.0.2.1", "ann2", "pw");
	a[2] = queue("a3", "192.0.2.1", "ann3", "pw");
	b[0] = queue("b1", "192.0.2.2", "bea1", "pw");
	a[3] = queue("a4", "192.0.2.1", "ann4", "pw");
	a[4] = queue("a5", "192.0.2.1", "ann5", "pw");
	b[1] = queue("b2", "192.0.2.2", "bea2", "pw");
	c[0] = queue("c1", "192.0.2.3", "cid1", "pw");
	CHECK_STR(taken(), "");
	jobs_dispatch();
	CHECK_STR(taken(), "a1 b1 c1 a2 b2 a3 a4 a5");
	CHECK_INT(inflight, 8);
	CHECK_INT(inflight_failing, 0);
	for (i = 0; i < 5; i++)
		(void)finish(a[i], 1);
	(void)finish(b[0], 1);
	(void)finish(b[1], 1);
	(void)finish(c[0], 1);
	CHECK_INT(inflight, 0);

	/* One worker: one check at a time, the addresses in turn. */
	nworkers = 1;
	a[5] = queue("a6", "192.0.2.1", "ann6", "pw");
	a[6] = queue("a7", "192.0.2.1", "ann7", "pw");
	a[7] = queue("a8", "192.0.2.1", "ann8", "pw");
	b[2] = queue("b3", "192.0.2.2", "bea3", "pw");
	c[1] = queue("c2", "192.0.2.3", "cid2", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "a6");
	jobs_dispatch();		/* the worker is busy: nothing */
	CHECK_STR(taken(), "");
	(void)finish(a[5], 1);
	CHECK_STR(taken(), "b3");
	(void)finish(b[2], 1);
	CHECK_STR(taken(), "c2");
	(void)finish(c[1], 1);
	CHECK_STR(taken(), "a7");
	(void)finish(a[6], 1);
	CHECK_STR(taken(), "a8");
	(void)finish(a[7], 1);
	CHECK_STR(taken(), "");
	CHECK_INT(inflight, 0);

	/* An IPv6 /64 is one address; another /64 is another. */
	nworkers = 100;
	x[0] = queue("x1", "2001:db8:1::1", "xia1", "pw");
	x[1] = queue("x2", "2001:db8:1::2", "xia2", "pw");
	x[2] = queue("x3", "2001:db8:1:0:ffff::3", "xia3", "pw");
	y = queue("y1", "2001:db8:2::1", "yan1", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "x1 y1 x2 x3");
	CHECK(x[0]->host == x[1]->host && x[1]->host == x[2]->host,
	    "one /64, several hosts");
	CHECK(x[0]->host != y->host, "two /64s, one host");
	/* An IPv4 address is its own /32. */
	CHECK(a[0]->host != b[0]->host, "192.0.2.1 and .2 share a host");
	CHECK(a[0]->host == a[7]->host, "192.0.2.1 has two hosts");
	end_test();
}

/* A client that hung up before its turn: dropped, the others go on. */
static void
test_gone(void)
{
	struct session	*g1, *g2;
	uint64_t	 id;

	nworkers = 4;
	ncloses = 0;
	g1 = queue("g1", "192.0.2.20", "gus", "pw");
	g1->fd = gone_fd;
	id = g1->id;
	g2 = queue("g2", "192.0.2.20", "gil", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "g2");
	CHECK_INT(ncloses, 1);
	CHECK_INT(closes[0], id);
	CHECK(sess[id] == NULL, "g1 not closed");
	CHECK_INT(inflight, 1);
	(void)finish(g2, 1);
	end_test();
}

/* (b) The failure delay: 1 s doubling up to the maximum, decaying. */
static void
test_delay(void)
{
	static const double	 want[] = { 1, 2, 4, 8, 15, 15, 15 };
	struct session		*s, *prev;
	char			 lbl[16], user[24];
	double			 w, started;
	size_t			 i;

	nworkers = 4;
	prev = queue("d0", "192.0.2.30", "dan0", "pw0");
	jobs_dispatch();
	CHECK_STR(taken(), "d0");
	advance(0.25);
	w = finish(prev, 0);
	CHECK(w == 1, "first failure: delay %g, want 1", w);
	CHECK_STR(taken(), "");

	/* Each next check of the address waits the delay from the last. */
	for (i = 1; i < sizeof(want) / sizeof(want[0]); i++) {
		(void)snprintf(lbl, sizeof(lbl), "d%zu", i);
		(void)snprintf(user, sizeof(user), "dan%zu", i);
		started = prev->started;
		advance(0.25);
		timer_calls = 0;
		s = queue(lbl, "192.0.2.30", user, "wrong");
		jobs_dispatch();
		CHECK_STR(taken(), "");
		CHECK(timer_calls == 1 && wake_at(s->host) ==
		    started + want[i - 1], "%s: wake at %g (%d timers), "
		    "want %g", lbl, wake_at(s->host), timer_calls,
		    started + want[i - 1]);
		advance_to(started + want[i - 1] - 0.25);
		CHECK_STR(taken(), "");
		advance_to(started + want[i - 1]);
		(void)snprintf(user, sizeof(user), "%s!", lbl);
		CHECK_STR(taken(), user);
		CHECK(s->started == started + want[i - 1], "%s started at "
		    "%g, want %g", lbl, s->started, started + want[i - 1]);
		advance(0.25);
		w = finish(s, 0);
		CHECK(w == want[i], "failure %zu: delay %g, want %g", i + 1, w,
		    want[i]);
		prev = s;
	}
	end_test();

	/* A maximum under the doubling, and none at all. */
	auth_set.failure_delay.first = 2;
	auth_set.failure_delay.max = 5;
	s = sess_new("m", "192.0.2.31", "max");
	CHECK(host_failure(s->host, "max", 1, 1, auth_now(), auth_now()) == 2,
	    "first of 2: not 2");
	CHECK(host_failure(s->host, "max", 1, 2, auth_now(), auth_now()) == 4,
	    "second of 2: not 4");
	CHECK(host_failure(s->host, "max", 1, 3, auth_now(), auth_now()) == 5,
	    "third of 2, max 5: not 5");
	auth_set.failure_delay.first = 0;
	CHECK(host_failure(s->host, "max", 1, 4, auth_now(), auth_now()) == 0,
	    "failure-delay 0: a delay");
	auth_set.failure_delay.first = 1;
	auth_set.failure_delay.max = 15;
	end_test();
}

/* (b) One failure forgiven per HOST_DECAY seconds without one. */
static void
test_decay(void)
{
	struct session	*e, *f, *g, *g2;
	double		 t, w;

	nworkers = 4;
	e = sess_new("e", "192.0.2.40", "eve");
	f = sess_new("f", "192.0.2.41", "fay");
	t = auth_now();
	CHECK(host_failure(e->host, "eve", 1, 11, t, t) == 1, "e: not 1");
	CHECK(host_failure(e->host, "eve", 1, 12, t, t) == 2, "e: not 2");
	CHECK(host_failure(e->host, "eve", 1, 13, t, t) == 4, "e: not 4");
	CHECK(host_failure(f->host, "fay", 1, 11, t, t) == 1, "f: not 1");
	CHECK(host_failure(f->host, "fay", 1, 12, t, t) == 2, "f: not 2");
	CHECK(host_failure(f->host, "fay", 1, 13, t, t) == 4, "f: not 4");
	/* Just short of a minute: none forgiven, the fourth counts 8. */
	advance_to(t + HOST_DECAY - 0.25);
	w = host_failure(e->host, "eve", 1, 14, auth_now(), auth_now());
	CHECK(w == 8, "59.75 s on: delay %g, want 8", w);
	/* A minute: one forgiven, so the fourth counts as a third. */
	advance_to(t + HOST_DECAY);
	w = host_failure(f->host, "fay", 1, 14, auth_now(), auth_now());
	CHECK(w == 4, "60 s on: delay %g, want 4", w);
	/* Two minutes without: two of four forgiven, the next is the third. */
	advance_to(t + HOST_DECAY - 0.25 + 2 * HOST_DECAY);
	w = host_failure(e->host, "eve", 1, 16, auth_now(), auth_now());
	CHECK(w == 4, "two minutes on: delay %g, want 4", w);
	/* Three minutes without: all three forgiven. */
	advance_to(t + 4 * HOST_DECAY);
	w = host_failure(f->host, "fay", 1, 15, auth_now(), auth_now());
	CHECK(w == 1, "three minutes on: delay %g, want 1", w);
	end_test();

	/* An address whose failure is forgiven is not a failing one. */
	g = sess_new("g", "192.0.2.42", "gwen");
	t = auth_now();
	CHECK(host_failure(g->host, "gwen", 1, 21, t, t) == 1, "g: not 1");
	advance_to(t + HOST_DECAY - 0.25);
	g2 = queue("g2", "192.0.2.42", "gwen2", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "g2!");
	(void)finish(g2, 1);
	advance_to(t + HOST_DECAY);
	g2 = queue("g3", "192.0.2.42", "gwen3", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "");		/* g2 started its delay */
	advance_to(t + HOST_DECAY - 0.25 + 1);
	CHECK_STR(taken(), "g3");	/* no longer failing */
	(void)finish(g2, 1);
	end_test();
}

/*
 * (b) One check at a time from an address that failed lately, and the
 * failing addresses served after the others, never on every worker.
 */
static void
test_failing(void)
{
	struct session	*h1, *h2, *h3, *i1, *i2, *i3, *k1, *k2, *z;
	double		 t;

	/* h fails once; its delay over, its checks go one at a time. */
	nworkers = 4;
	z = sess_new("z", "192.0.2.50", "zoe");
	t = auth_now();
	(void)host_failure(z->host, "zoe", 1, 1, t, t);
	h1 = queue("h1", "192.0.2.50", "hal1", "pw");
	h2 = queue("h2", "192.0.2.50", "hal2", "pw");
	h3 = queue("h3", "192.0.2.50", "hal3", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "");
	advance_to(t + 1);
	CHECK_STR(taken(), "h1!");
	CHECK_INT(inflight_failing, 1);
	(void)finish(h1, 1);		/* another user's login: still failing */
	CHECK_STR(taken(), "");
	CHECK(wake_at(h2->host) == t + 2, "h2 wakes at %g, want %g",
	    wake_at(h2->host), t + 2);
	advance_to(t + 2);
	CHECK_STR(taken(), "h2!");
	/*
	 * One per delay, by when they start: h3 goes though h2's check
	 * still runs (a check slower than the delay overlaps the next).
	 */
	advance_to(t + 3);
	CHECK_STR(taken(), "h3!");
	CHECK_INT(inflight_failing, 2);
	(void)finish(h2, 1);
	(void)finish(h3, 1);
	CHECK_INT(inflight_failing, 0);
	end_test();

	/* Failing addresses wait for the others, and leave one worker. */
	nworkers = 2;
	z = sess_new("z", "192.0.2.51", "zed");
	t = auth_now();
	(void)host_failure(z->host, "zed", 1, 1, t, t);
	z = sess_new("z2", "192.0.2.52", "zack");
	(void)host_failure(z->host, "zack", 1, 1, t, t);
	advance_to(t + 1);
	h1 = queue("h1", "192.0.2.51", "hugo", "pw");	/* failing */
	k1 = queue("k1", "192.0.2.52", "kurt", "pw");	/* failing */
	i1 = queue("i1", "192.0.2.53", "ida1", "pw");
	i2 = queue("i2", "192.0.2.53", "ida2", "pw");
	i3 = queue("i3", "192.0.2.53", "ida3", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "i1 i2");
	(void)finish(i1, 1);
	CHECK_STR(taken(), "i3");
	(void)finish(i2, 1);
	CHECK_STR(taken(), "h1!");
	(void)finish(i3, 1);
	/* A worker is free, but the other one is all failing ones get. */
	CHECK_STR(taken(), "");
	CHECK_INT(inflight, 1);
	CHECK_INT(inflight_failing, 1);
	(void)finish(h1, 0);
	CHECK_STR(taken(), "k1!");
	k2 = queue("k2", "192.0.2.52", "kim", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "");		/* k1 runs: k2 waits its delay */
	(void)finish(k1, 1);
	CHECK_STR(taken(), "");
	advance(1);
	CHECK_STR(taken(), "k2!");
	(void)finish(k2, 1);
	end_test();

	/* One worker: a failing address still gets it when alone. */
	nworkers = 1;
	z = sess_new("z", "192.0.2.54", "zia");
	t = auth_now();
	(void)host_failure(z->host, "zia", 1, 1, t, t);
	advance_to(t + 1);
	h1 = queue("h1", "192.0.2.54", "hex", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "h1!");
	(void)finish(h1, 1);
	end_test();

	/* A new address's first guesses, sent at once, wait after one fails. */
	nworkers = 1;
	h1 = queue("n1", "192.0.2.55", "nat1", "pw");
	h2 = queue("n2", "192.0.2.55", "nat2", "pw");
	h3 = queue("n3", "192.0.2.55", "nat3", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "n1");
	t = h1->started;
	advance(0.25);
	(void)finish(h1, 0);
	CHECK_STR(taken(), "");
	advance_to(t + 1 - 0.25);
	CHECK_STR(taken(), "");
	advance_to(t + 1);
	CHECK_STR(taken(), "n2!");
	(void)finish(h2, 0);
	CHECK_STR(taken(), "");
	advance_to(t + 1 + 2);
	CHECK_STR(taken(), "n3!");
	(void)finish(h3, 1);
	end_test();
}

/* (c) Users without failures from the address go first, at dispatch. */
static void
test_order(void)
{
	struct session	*x1, *x2, *x3, *y1, *w1, *v1;
	double		 t;

	nworkers = 1;
	/* x's burst joined before its first failure: it keeps no place. */
	x1 = queue("x1", "192.0.2.60", "xena", "pw1");
	x2 = queue("x2", "192.0.2.60", "xena", "pw2");
	x3 = queue("x3", "192.0.2.60", "xena", "pw3");
	y1 = queue("y1", "192.0.2.60", "yuri", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "x1");
	t = x1->started;
	(void)finish(x1, 0);
	w1 = queue("w1", "192.0.2.60", "wes", "pw");
	advance_to(t + 1);
	CHECK_STR(taken(), "y1!");
	(void)finish(y1, 0);		/* yuri fails too */
	advance_to(y1->started + 2);
	CHECK_STR(taken(), "w1!");	/* the first without failures */
	(void)finish(w1, 1);
	/* Both failed: the first that joined. */
	advance_to(w1->started + 2);
	CHECK_STR(taken(), "x2!");
	(void)finish(x2, 1);		/* xena's mistakes forgiven */
	v1 = queue("v1", "192.0.2.60", "yuri", "pw");
	advance_to(x2->started + 2);
	/* x3 is now xena's familiar check: it skips the queue. */
	CHECK_STR(taken(), "x3");
	(void)finish(x3, 1);
	advance_to(x3->started + 2);
	CHECK_STR(taken(), "v1!");
	(void)finish(v1, 1);
	end_test();

	/* A user's own failures are forgiven in time, as the address's. */
	nworkers = 1;
	x1 = sess_new("x", "192.0.2.61", "xavi");
	t = auth_now();
	(void)host_failure(x1->host, "xavi", 1, 1, t, t);	/* 1 s */
	(void)host_failure(x1->host, "omar", 1, 1, t, t);	/* 2 s */
	(void)host_failure(x1->host, "omar", 1, 2, t, t);	/* 4 s */
	advance_to(t + 2 * HOST_DECAY - 0.25);
	/* 119.75 s on: one of xavi's, one of omar's two forgiven. */
	x2 = queue("x2", "192.0.2.61", "omar", "pw");
	x3 = queue("x3", "192.0.2.61", "xavi", "pw");
	y1 = queue("y1", "192.0.2.61", "omar", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "x3!");
	(void)finish(x3, 0);		/* the address's third: 4 s */
	advance_to(x3->started + 4 - 0.25);
	CHECK_STR(taken(), "");
	/* Both left are omar's, who failed: the first that joined. */
	advance_to(x3->started + 4);
	CHECK_STR(taken(), "x2!");
	(void)finish(x2, 0);
	advance_to(x2->started + 8);
	CHECK_STR(taken(), "y1!");
	(void)finish(y1, 0);
	end_test();
}

/* (d) A user holds at most PAIR_WAITING checks in an address's queue. */
static void
test_pair_waiting(void)
{
	struct session	*k[PAIR_WAITING + 2], *s;
	char		 lbl[16];
	int		 i;

	nworkers = 0;		/* nothing leaves the queue */
	for (i = 0; i < PAIR_WAITING + 2; i++) {
		(void)snprintf(lbl, sizeof(lbl), "k%d", i + 1);
		k[i] = sess_new(lbl, "192.0.2.70", "kate");
	}
	for (i = 0; i < PAIR_WAITING; i++)
		CHECK(try(k[i], "pw") == 0, "kate's check %d refused", i + 1);
	CHECK_INT(try(k[PAIR_WAITING], "pw"), -1);
	CHECK(k[PAIR_WAITING]->job == NULL, "refused, its job kept");
	CHECK_INT(try(k[PAIR_WAITING], "other"), -1);
	/* Another user at the address, kate at another address: in. */
	s = sess_new("ken", "192.0.2.70", "ken");
	CHECK_INT(try(s, "pw"), 0);
	s = sess_new("kate2", "192.0.2.71", "kate");
	CHECK_INT(try(s, "pw"), 0);
	/* A name that differs only in case is another user. */
	s = sess_new("Kate", "192.0.2.70", "Kate");
	CHECK_INT(try(s, "pw"), 0);
	/* One of kate's leaves for the workers: room for one more. */
	nworkers = 2;
	jobs_dispatch();
	CHECK_STR(taken(), "k1 kate2");
	CHECK_INT(try(k[PAIR_WAITING], "pw"), 0);
	CHECK_INT(try(k[PAIR_WAITING + 1], "pw"), -1);
	/* One leaves before its turn (its client closed): room again. */
	sess_free(k[1]);
	CHECK_INT(try(k[PAIR_WAITING + 1], "pw"), 0);
	end_test();
}

/* (e) A user who logged in from an address lately is familiar there. */
static void
test_familiar(void)
{
	struct session	*f1, *f2, *f3, *f4, *r, *w;
	double		 t, d = 0;
	int		 i;

	nworkers = 1;
	f1 = queue("f1", "192.0.2.80", "fred", "right");
	jobs_dispatch();
	CHECK_STR(taken(), "f1");
	(void)finish(f1, 1);
	/* Then a sprayer at the same address: delay 8 s, checks waiting. */
	r = sess_new("r", "192.0.2.80", "root");
	t = auth_now();
	for (i = 0; i < 4; i++)
		d = host_failure(r->host, "root", 1, 100 + i, t, t);
	CHECK(d == 8, "sprayer's delay %g", d);
	w = queue("w1", "192.0.2.80", "admin", "guess");
	jobs_dispatch();
	CHECK_STR(taken(), "");
	/* fred's check skips the queue and the delay. */
	advance(0.25);
	f2 = queue("f2", "192.0.2.80", "fred", "right");
	CHECK_INT(f2->familiar, 1);
	jobs_dispatch();
	CHECK_STR(taken(), "f2");	/* not counted as failing */
	CHECK_INT(inflight_failing, 0);
	(void)finish(f2, 1);
	CHECK_STR(taken(), "");		/* admin still waits */
	/* A wrong password ends it: then fred waits as everyone. */
	f3 = queue("f3", "192.0.2.80", "fred", "wrong");
	jobs_dispatch();
	CHECK_STR(taken(), "f3");
	advance(0.25);
	d = finish(f3, 0);
	CHECK(d == 15, "fifth failure's delay %g, want 15 (max)", d);
	f4 = queue("f4", "192.0.2.80", "fred", "right");
	CHECK_INT(f4->familiar, 0);
	jobs_dispatch();
	CHECK_STR(taken(), "");
	advance_to(t + 8 - 0.25);
	CHECK_STR(taken(), "");
	/* fred has failed since: admin (without failures) goes first. */
	advance_to(f3->started + d);
	CHECK_STR(taken(), "w1!");
	(void)finish(w, 1);
	advance(16);
	CHECK_STR(taken(), "f4!");
	(void)finish(f4, 1);		/* familiar again */
	f1 = queue("f5", "192.0.2.80", "fred", "right");
	CHECK_INT(f1->familiar, 1);
	jobs_dispatch();
	CHECK_STR(taken(), "f5");
	(void)finish(f1, 1);
	/* Only at that address, only for that name. */
	f1 = queue("f6", "192.0.2.81", "fred", "right");
	CHECK_INT(f1->familiar, 0);
	f2 = queue("f7", "192.0.2.80", "freddy", "right");
	CHECK_INT(f2->familiar, 0);
	end_test();

	/* Lately: for PAIR_FAMILIAR (7 days) after the login. */
	nworkers = 1;
	f1 = queue("f1", "192.0.2.82", "fran", "right");
	jobs_dispatch();
	CHECK_STR(taken(), "f1");
	(void)finish(f1, 1);
	t = auth_now();
	advance_to(t + FAMILIAR - 1);
	f2 = queue("f2", "192.0.2.82", "fran", "right");
	CHECK_INT(f2->familiar, 1);
	host_dequeue(f2);
	free(f2->job);
	f2->job = NULL;
	f2->state = S_CMD;
	advance_to(t + FAMILIAR);
	CHECK_INT(try(f2, "right"), 0);
	CHECK_INT(f2->familiar, 0);
	end_test();

	/* A login moves the user's checks waiting at h out of the queue. */
	nworkers = 2;
	r = sess_new("r", "192.0.2.83", "root");
	t = auth_now();
	(void)host_failure(r->host, "root", 1, 1, t, t);
	(void)host_failure(r->host, "root", 1, 2, t, t);	/* 2 s */
	w = queue("w", "192.0.2.83", "admin", "guess");
	f1 = queue("h1", "192.0.2.83", "hank", "right");
	jobs_dispatch();
	CHECK_STR(taken(), "");
	advance(0.25);
	/* hank logged in elsewhere */
	host_success(r->host, "hank", auth_now());
	CHECK_INT(f1->familiar, 1);
	jobs_dispatch();
	CHECK_STR(taken(), "h1");
	CHECK_INT(inflight_failing, 0);
	(void)finish(f1, 1);
	CHECK_STR(taken(), "");			/* admin waits */
	advance_to(t + 2);
	CHECK_STR(taken(), "w!");
	(void)finish(w, 1);
	end_test();

	/* A login forgives the user's own failures, not the address's. */
	nworkers = 1;
	r = sess_new("r", "192.0.2.84", "gina");
	t = auth_now();
	(void)host_failure(r->host, "gina", 1, 1, t, t);
	(void)host_failure(r->host, "gina", 1, 2, t, t);	/* 2 s */
	w = queue("w", "192.0.2.84", "walt", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "");
	advance(0.25);
	/* she typed it right */
	host_success(r->host, "gina", auth_now());
	jobs_dispatch();
	CHECK_STR(taken(), "w");		/* no longer failing */
	(void)finish(w, 1);
	end_test();
	r = sess_new("r", "192.0.2.85", "gina");
	t = auth_now();
	(void)host_failure(r->host, "gina", 1, 1, t, t);
	(void)host_failure(r->host, "root", 1, 2, t, t);
	(void)host_failure(r->host, "root", 1, 3, t, t);	/* 4 s */
	w = queue("w", "192.0.2.85", "walt", "pw");
	advance(0.25);
	host_success(r->host, "gina", auth_now());
	jobs_dispatch();
	CHECK_STR(taken(), "");			/* root's two remain */
	advance_to(t + 4);
	CHECK_STR(taken(), "w!");
	(void)finish(w, 1);
	end_test();
}

/*
 * "an attacker who tries a familiar user's name gets one guess per real
 * login", also with its guesses all queued before the first is answered
 * (issue 51): one check of a familiar user at a time skips the queue,
 * the others wait in it, within PAIR_WAITING's bound, and after the
 * wrong password for the failure delay.
 */
static void
test_familiar_burst(void)
{
	struct session	*f, *g[PAIR_WAITING + 1];
	char		 lbl[16];
	int		 i, r[PAIR_WAITING + 1];

	nworkers = 1;
	f = queue("f", "192.0.2.86", "fred", "right");
	jobs_dispatch();
	(void)taken();
	(void)finish(f, 1);
	for (i = 0; i < PAIR_WAITING + 1; i++) {
		(void)snprintf(lbl, sizeof(lbl), "g%d", i + 1);
		g[i] = sess_new(lbl, "192.0.2.86", "fred");
		r[i] = try(g[i], "guess");
	}
	CHECK(r[PAIR_WAITING] == -1,
	    "more than PAIR_WAITING of fred's checks taken");
	jobs_dispatch();
	CHECK_STR(taken(), "g1");
	(void)finish(g[0], 0);
	CHECK_STR(taken(), "");		/* the next guess waits 1 s */
	advance(1);
	CHECK_STR(taken(), "g2!");
	end_test();

	/*
	 * The user's own two clients at once, beside a sprayer (delay
	 * 8 s): the second waits for the first, then goes at once.
	 */
	nworkers = 2;
	f = queue("f0", "192.0.2.86", "fred", "right");
	jobs_dispatch();
	(void)taken();
	(void)finish(f, 1);
	f = sess_new("r", "192.0.2.86", "root");
	for (i = 0; i < 4; i++)
		(void)host_failure(f->host, "root", 1, 100 + i, auth_now(),
		    auth_now());
	g[0] = queue("f1", "192.0.2.86", "fred", "right");
	g[1] = queue("f2", "192.0.2.86", "fred", "right");
	CHECK_INT(g[0]->familiar, 1);
	CHECK_INT(g[1]->familiar, 0);
	jobs_dispatch();
	CHECK_STR(taken(), "f1");
	(void)finish(g[0], 1);
	CHECK_INT(g[1]->familiar, 1);
	CHECK_STR(taken(), "f2");
	CHECK_INT(inflight_failing, 0);
	(void)finish(g[1], 1);
	/* A client that leaves while its check runs frees the turn. */
	g[2] = queue("f3", "192.0.2.86", "fred", "right");
	jobs_dispatch();
	CHECK_STR(taken(), "f3");
	sess_free(g[2]);
	g[3] = queue("f4", "192.0.2.86", "fred", "right");
	CHECK_INT(g[3]->familiar, 1);
	jobs_dispatch();
	CHECK_STR(taken(), "f4");
	end_test();

	/*
	 * A wrong password for the user while its check waits beside the
	 * queue (the workers busy): that check goes back in the queue,
	 * and waits for the failure delay.
	 */
	nworkers = 1;
	f = queue("f0", "192.0.2.86", "fred", "right");
	jobs_dispatch();
	(void)taken();
	(void)finish(f, 1);
	g[0] = queue("x", "192.0.2.89", "xena", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "x");
	g[1] = queue("f1", "192.0.2.86", "fred", "right");
	CHECK_INT(g[1]->familiar, 1);
	(void)host_failure(g[1]->host, "fred", 1, 7, auth_now(), auth_now());
	CHECK_INT(g[1]->familiar, 0);
	(void)finish(g[0], 1);
	CHECK_STR(taken(), "");
	advance(1);
	CHECK_STR(taken(), "f1!");
	end_test();
}

/*
 * "A familiar user's check does not wait for its address's failure
 * delay", and "a sprayer's checks do not hold up a user who types the
 * right password", also when the address is in turn among the failing
 * ones as the familiar check arrives: it goes in turn among the others,
 * not after every other address's queue (issue 51).
 */
static void
test_familiar_failing(void)
{
	struct session	*f, *r, *o[4];
	double		 t;

	nworkers = 1;
	f = queue("f0", "192.0.2.87", "fred", "right");
	jobs_dispatch();
	(void)taken();
	(void)finish(f, 1);
	r = sess_new("r", "192.0.2.87", "root");
	t = auth_now();
	(void)host_failure(r->host, "root", 1, 1, t, t);
	(void)queue("r1", "192.0.2.87", "admin", "guess");
	o[0] = queue("o1", "192.0.2.88", "olga1", "pw");
	o[1] = queue("o2", "192.0.2.88", "olga2", "pw");
	o[2] = queue("o3", "192.0.2.88", "olga3", "pw");
	o[3] = queue("o4", "192.0.2.88", "olga4", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "o1");
	advance_to(t + 1);		/* the sprayer's address in turn */
	f = queue("f", "192.0.2.87", "fred", "right");
	CHECK_INT(f->familiar, 1);
	(void)finish(o[0], 1);
	CHECK_STR(taken(), "o2");
	(void)finish(o[1], 1);
	CHECK_STR(taken(), "f");	/* its turn among the others */
	end_test();
}

/* (f) The same wrong password again for the same user counts once. */
static void
test_stale(void)
{
	struct session	*s, *j;
	double		 t;

	CHECK(passmac("old") == passmac("old"), "passmac not a function");
	CHECK(passmac("old") != passmac("new"), "passmac old == new");
	CHECK(passmac("old") != passmac("old "), "passmac old == \"old \"");
	CHECK(passmac("") != 0, "passmac of \"\" is 0");

	s = sess_new("i", "192.0.2.90", "ivan");
	t = auth_now();
	CHECK(host_failure(s->host, "ivan", 1, passmac("old"), t, t) == 1,
	    "old: not 1");
	CHECK(host_failure(s->host, "ivan", 1, passmac("old"), t, t) == 1,
	    "old again: counted");
	CHECK(host_failure(s->host, "ivan", 1, passmac("old"), t, t) == 1,
	    "old a third time: counted");
	CHECK(host_failure(s->host, "ivan", 1, passmac("new"), t, t) == 2,
	    "new: not counted");
	CHECK(host_failure(s->host, "ivan", 1, passmac("new"), t, t) == 2,
	    "new again: counted");
	CHECK(host_failure(s->host, "ivan", 1, passmac("old"), t, t) == 4,
	    "old after new: not counted");
	/* Another user's same password is another guess. */
	CHECK(host_failure(s->host, "ivy", 1, passmac("old"), t, t) == 8,
	    "ivy's old: not counted");
	end_test();

	/* Not counted, it does not push the address's next check back. */
	nworkers = 1;
	s = sess_new("i", "192.0.2.91", "ivan");
	t = auth_now();
	(void)host_failure(s->host, "ivan", 1, passmac("old"), t, t);
	advance(0.25);
	j = queue("j", "192.0.2.91", "jack", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "");
	advance(0.25);
	CHECK(host_failure(s->host, "ivan", 1, passmac("old"), auth_now(),
	    auth_now() - 0.25) == 1, "stale retry: counted");
	CHECK(wake_at(j->host) == t + 1, "jack wakes at %g, want %g",
	    wake_at(j->host), t + 1);
	advance_to(t + 1);
	CHECK_STR(taken(), "j!");
	(void)finish(j, 1);
	end_test();

	/* Once the user's failure is forgiven, the same password counts. */
	s = sess_new("i", "192.0.2.92", "ivan");
	t = auth_now();
	(void)host_failure(s->host, "ivan", 1, passmac("old"), t, t);
	(void)host_failure(s->host, "ivan", 1, passmac("new"), t, t);
	advance_to(t + 2 * HOST_DECAY);
	CHECK(host_failure(s->host, "ivan", 1, passmac("new"), auth_now(),
	    auth_now()) == 1, "new, two minutes on: not counted");
	end_test();
}

/* The records of m (n of them) for key (and user; NULL: address). */
static const struct penalty_rec *
find_rec(const char *ip, const char *user)
{
	struct peeraddr	 p = peer(ip, 0);
	struct addrkey	 k;
	int		 i;
	uint32_t	 r;

	addr_key(&p, auth_set.per_address.ipv4_prefix,
	    auth_set.per_address.ipv6_prefix, &k);
	for (i = 0; i < nsent; i++)
		for (r = 0; r < sent[i].n && r < PENALTY_RECS; r++)
			if (addrkey_cmp(&sent[i].rec[r].key, &k) == 0 &&
			    strcmp(sent[i].rec[r].user, user ? user : "") == 0)
				return &sent[i].rec[r];
	return NULL;
}

/*
 * A session without an address (as a compromised httppop's request
 * may make), failing, and a predecessor's record without one: show
 * penalties lists neither, as control takes only IPv4 and IPv6 rows
 * (it would cut authpop off).
 */
static void
test_list_noaddr(void)
{
	struct msg_penalty	 m;
	struct session		*s;
	struct peeraddr		 none;
	double			 t = auth_now();
	int			 i, v4 = 0;

	memset(&none, 0, sizeof(none));
	s = sess_new("n", "192.0.2.120", "nan");
	(void)host_failure(s->host, "nan", 1, 1, t, t);
	s = sess_new("z", "192.0.2.121", "zed");
	host_put(s->host);
	s->peer = none;
	s->host = host_get(&none);
	(void)host_failure(s->host, "zed", 1, 1, t, t);
	memset(&m, 0, sizeof(m));
	m.rec[0].fails = 3;
	m.rec[0].lastfail = t;
	(void)strlcpy(m.rec[1].user, "zed", sizeof(m.rec[1].user));
	m.rec[1].fails = 3;
	m.rec[1].lastfail = t;
	m.n = 2;
	host_import(NULL, &m, -1);
	nlisted = 0;
	host_list(NULL, 1);
	for (i = 0; i < nlisted; i++) {
		CHECK(listed_af[i] == AF_INET || listed_af[i] == AF_INET6,
		    "a row of address family %d", listed_af[i]);
		v4 += listed_af[i] == AF_INET;
	}
	CHECK(v4 > 0, "192.0.2.120 not listed");
	end_test();
}

/* (g) host_export for a successor; host_import of a predecessor's. */
static void
test_export(void)
{
	struct session			*a, *k, *l, *s;
	const struct penalty_rec	*r;
	struct penalty_rec		 ra, rk;
	struct msg_penalty		 m, old[MAXMSGS];
	struct peeraddr			 p;
	struct netaddr			 net;
	const char			*why;
	double				 t, next;
	int				 i, nold;

	nworkers = 1;
	l = queue("l", "192.0.2.100", "lee", "right");
	jobs_dispatch();
	CHECK_STR(taken(), "l");
	(void)finish(l, 1);
	t = auth_now();
	k = sess_new("k", "192.0.2.100", "kim");
	(void)host_failure(k->host, "kim", 1, 1, t, t);
	(void)host_failure(k->host, "kim", 1, 2, t, t);
	next = t + 2;
	a = queue("a", "192.0.2.100", "amy", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "");

	memset(&ra, 0, sizeof(ra));
	memset(&rk, 0, sizeof(rk));
	nsent = sent_bad = 0;
	host_export(NULL);
	CHECK_INT(sent_bad, 0);
	CHECK(nsent >= 1, "nothing exported");
	if ((r = find_rec("192.0.2.100", NULL)) == NULL)
		CHECK(0, "no record of 192.0.2.100");
	else {
		CHECK_INT(r->fails, 2);
		CHECK(r->lastfail == t && r->next == next, "lastfail %g next "
		    "%g, want %g %g", r->lastfail, r->next, t, next);
		ra = *r;
	}
	if ((r = find_rec("192.0.2.100", "kim")) == NULL)
		CHECK(0, "no record of kim at 192.0.2.100");
	else {
		CHECK_INT(r->fails, 2);
		CHECK(r->lastfail == t && r->familiar == 0, "kim: lastfail "
		    "%g familiar %g", r->lastfail, r->familiar);
		rk = *r;
	}
	if ((r = find_rec("192.0.2.100", "lee")) == NULL)
		CHECK(0, "no record of lee at 192.0.2.100");
	else
		CHECK(r->fails == 0 && r->familiar == l->started,
		    "lee: fails %u familiar %g, want 0 %g", r->fails,
		    r->familiar, l->started);
	/* Who neither failed nor logged in is not told. */
	CHECK(find_rec("192.0.2.100", "amy") == NULL, "amy exported");
	nold = nsent;
	memcpy(old, sent, sizeof(old));

	/* Forget it all, then take it back: as before. */
	CHECK_INT(net_parse("192.0.2.100", &net, &why), 0);
	CHECK_INT(host_forget(&net), 2);
	jobs_dispatch();
	CHECK_STR(taken(), "a");
	(void)finish(a, 1);
	nsent = 0;
	host_export(NULL);
	CHECK(find_rec("192.0.2.100", NULL) == NULL, "forgotten, exported");
	CHECK(find_rec("192.0.2.100", "kim") == NULL, "kim forgotten, "
	    "exported");
	for (i = 0; i < nold; i++)
		host_import(NULL, &old[i], -1);
	nsent = 0;
	host_export(NULL);
	if ((r = find_rec("192.0.2.100", NULL)) == NULL)
		CHECK(0, "192.0.2.100 not imported");
	else
		CHECK(r->fails == ra.fails && r->lastfail == ra.lastfail &&
		    r->next == ra.next, "imported: %u %g %g, want %u %g %g",
		    r->fails, r->lastfail, r->next, ra.fails, ra.lastfail,
		    ra.next);
	if ((r = find_rec("192.0.2.100", "kim")) == NULL)
		CHECK(0, "kim not imported");
	else
		CHECK(r->fails == rk.fails && r->lastfail == rk.lastfail,
		    "kim imported: %u %g", r->fails, r->lastfail);
	/* And it delays as it did (amy logged in: not her). */
	a = queue("a2", "192.0.2.100", "abe", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "");
	advance_to(next);
	CHECK_STR(taken(), "a2!");
	(void)finish(a, 1);
	end_test();

	/* A predecessor's record of an address we never saw, and a user. */
	t = auth_now();
	memset(&m, 0, sizeof(m));
	p = peer("192.0.2.101", 0);
	addr_key(&p, 32, 64, &m.rec[0].key);
	m.rec[0].fails = 3;
	m.rec[0].lastfail = t;
	m.rec[0].next = t + 4;
	p = peer("192.0.2.102", 0);
	addr_key(&p, 32, 64, &m.rec[1].key);
	(void)strlcpy(m.rec[1].user, "mo", sizeof(m.rec[1].user));
	m.rec[1].familiar = t - 10;
	m.n = 2;
	host_import(NULL, &m, -1);
	s = queue("v", "192.0.2.101", "val", "pw");
	jobs_dispatch();
	CHECK_STR(taken(), "");
	advance_to(t + 4 - 0.25);
	CHECK_STR(taken(), "");
	advance_to(t + 4);
	CHECK_STR(taken(), "v!");
	(void)finish(s, 0);
	CHECK(host_failure(s->host, "x", 1, 1, auth_now(), auth_now()) == 15,
	    "imported 3 failures, 2 more: not 15 (16, max 15)");
	s = queue("mo", "192.0.2.102", "mo", "pw");
	CHECK_INT(s->familiar, 1);
	s = queue("mo2", "192.0.2.101", "mo", "pw");
	CHECK_INT(s->familiar, 0);
	end_test();

	/* A record with fewer failures lowers nothing. */
	s = sess_new("w", "192.0.2.103", "wim");
	t = auth_now();
	(void)host_failure(s->host, "wim", 1, 1, t, t);
	(void)host_failure(s->host, "wim", 1, 2, t, t);
	memset(&m, 0, sizeof(m));
	p = peer("192.0.2.103", 0);
	addr_key(&p, 32, 64, &m.rec[0].key);
	m.rec[0].fails = 1;
	m.rec[0].lastfail = t;
	m.n = 1;
	host_import(NULL, &m, -1);
	CHECK(host_failure(s->host, "wim", 1, 3, t, t) == 4,
	    "after an import of fewer: not the third failure");
	end_test();

	/* More than a message holds: several messages, all full but one. */
	t = auth_now();
	for (i = 0; i < PENALTY_RECS + 2; i++) {
		char	ip[32];

		(void)snprintf(ip, sizeof(ip), "198.51.100.%d", i + 1);
		s = sess_new("n", ip, "nobody");
		(void)host_failure(s->host, "nobody", 0, 1, t, t);
	}
	nsent = sent_bad = 0;
	host_export(NULL);
	CHECK_INT(sent_bad, 0);
	CHECK(nsent >= 3, "%d messages for %d records", nsent,
	    2 * (PENALTY_RECS + 2));
	nold = 0;
	for (i = 0; i < nsent; i++) {
		CHECK(sent[i].n == PENALTY_RECS || (i == nsent - 1 &&
		    sent[i].n > 0 && sent[i].n <= PENALTY_RECS),
		    "message %d of %d holds %u", i + 1, nsent, sent[i].n);
		nold += sent[i].n;
	}
	for (i = 0; i < PENALTY_RECS + 2; i++) {
		char	ip[32];

		(void)snprintf(ip, sizeof(ip), "198.51.100.%d", i + 1);
		if (find_rec(ip, NULL) == NULL || find_rec(ip, "nobody") ==
		    NULL)
			break;
	}
	CHECK(i == PENALTY_RECS + 2, "198.51.100.%d missing", i + 1);
	end_test();
	/* A day later nothing of those is left to tell. */
	nsent = 0;
	host_export(NULL);
	CHECK(find_rec("198.51.100.1", NULL) == NULL, "failures a day old "
	    "exported");
}

int
main(void)
{
	int	sp[2];

	log_init(1, LOG_MAIL);
	log_procinit("test_host");
	if ((base = event_init()) == NULL) {
		printf("event_init failed\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1) {
		perror("socketpair");
		return 2;
	}
	live_fd = sp[0];		/* sp[1] stays open: still there */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1) {
		perror("socketpair");
		return 2;
	}
	gone_fd = sp[0];
	close(sp[1]);			/* hung up */
	auth_set.per_address.ipv4_prefix = 32;
	auth_set.per_address.ipv6_prefix = 64;
	auth_set.failure_delay.first = 1;
	auth_set.failure_delay.max = 15;
	host_init(sess_gone);

	test_turns();
	test_gone();
	test_delay();
	test_decay();
	test_failing();
	test_order();
	test_pair_waiting();
	test_familiar();
	test_familiar_burst();
	test_familiar_failing();
	test_stale();
	test_list_noaddr();
	test_export();
	return unit_done();
}
