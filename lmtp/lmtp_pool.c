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
 * The delivery workers (dlvrpop), one per maildir and limit.  A worker
 * names its files before creating them; a paced successor cleans up after
 * one that died: at worst the MTA sends a message again, never lost.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "chan.h"
#include "log.h"
#include "quotarule.h"
#include "stats.h"
#include "lmtp.h"

/* Successor n starts min(2^n, POOL_PAUSE_MAX) ms after the last died. */
#define POOL_PAUSE_MAX	1000

/* A message for one maildir (fd), or a question about its use (fd -1). */
struct pjob {
	TAILQ_ENTRY(pjob)	 entry;		/* its worker's, or waiting */
	uint64_t		 id;
	struct pool_key		 key;
	uint64_t		 ref;		/* to start a worker with */
	int			 fd;		/* the message, not ours */
	uint64_t		 size;		/* a question's */
	pool_cb			 done;
	void			*arg;
	struct quota_use	 use;		/* the worker's answer */
	int			 counted;	/* use is set */
	int			 over;		/* and at or over the limit */
	int			 checked;	/* successors sent to look */
	struct msg_intent	 intent;	/* its names, if told */
	int			 has_intent;
	time_t			 giveup;	/* looks end, from the first
						   worker's death */
	struct event		 pause;		/* before the next look */
};
TAILQ_HEAD(pjobq, pjob);

/* A delivery worker: a dlvrpop for one maildir and limit. */
struct pworker {
	RB_ENTRY(pworker)	 entry;
	TAILQ_ENTRY(pworker)	 lru;		/* idle ones, oldest first;
						   or ending */
	struct pool_key		 key;
	uint64_t		 ref;		/* starting: what we asked */
	pid_t			 pid;		/* 0 while starting */
	struct chan		 chan;
	struct pjob		*job;		/* at work on, or NULL */
	struct pjobq		 queue;		/* its next jobs */
	int			 isidle;	/* in the idle list */
	int			 detached;	/* out of the tree: ending */
	int			 closed;	/* -1 gone, 1 closing */
	struct event		 timer;		/* idle, or the deadline */
};
RB_HEAD(pworkertree, pworker);

static int	 pworker_cmp(struct pworker *, struct pworker *);
RB_PROTOTYPE_STATIC(pworkertree, pworker, entry, pworker_cmp);
RB_GENERATE_STATIC(pworkertree, pworker, entry, pworker_cmp);

/*
 * Saves RCPT a worker round trip; the check before writing still rules.
 * Kept while over, and QUOTA_FRESH seconds in any case.
 */
#define QUOTA_FRESH	2
struct seen {
	RB_ENTRY(seen)		 entry;
	TAILQ_ENTRY(seen)	 age;
	int			 aging;		/* on age */
	int			 over;
	struct quota_limit	 lim;
	struct quota_use	 use;
	time_t			 when;
	char			*maildir;
};
RB_HEAD(seentree, seen);
static int	seen_cmp(struct seen *, struct seen *);
RB_PROTOTYPE_STATIC(seentree, seen, entry, seen_cmp);
RB_GENERATE_STATIC(seentree, seen, entry, seen_cmp);

static void	 job_queue(struct pjob *);
static void	 pworker_timer(int, short, void *);

static const struct conf_settings *set;
static struct chan		*parent;
static struct pworkertree	 workers = RB_INITIALIZER(&workers);
static TAILQ_HEAD(, pworker)	 idle = TAILQ_HEAD_INITIALIZER(idle);
static TAILQ_HEAD(, pworker)	 ending = TAILQ_HEAD_INITIALIZER(ending);
static struct pjobq		 waiting = TAILQ_HEAD_INITIALIZER(waiting);
static size_t			 nworkers;
static uint64_t			 nextjob = 1;
static struct seentree		 seens = RB_INITIALIZER(&seens);
static TAILQ_HEAD(, seen)	 age = TAILQ_HEAD_INITIALIZER(age);

/* Keys are zeroed before they are filled (txn_key): bytes compare. */
static int
pworker_cmp(struct pworker *a, struct pworker *b)
{
	return memcmp(&a->key, &b->key, sizeof(a->key));
}

static int
seen_cmp(struct seen *a, struct seen *b)
{
	return strcmp(a->maildir, b->maildir);
}

void
pool_init(const struct conf_settings *conf, struct chan *c)
{
	set = conf;
	parent = c;
}

static void
seen_expire(time_t now)
{
	struct seen	*e;

	while ((e = TAILQ_FIRST(&age)) != NULL &&
	    now - e->when >= QUOTA_FRESH) {
		TAILQ_REMOVE(&age, e, age);
		e->aging = 0;
		if (!e->over) {
			RB_REMOVE(seentree, &seens, e);
			free(e->maildir);
			free(e);
		}
	}
}

static void
seen_answer(const struct pjob *j)
{
	struct seen	 find, *e;
	time_t		 now = monotime();

	seen_expire(now);
	find.maildir = (char *)j->key.maildir;
	if ((e = RB_FIND(seentree, &seens, &find)) == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL ||
		    (e->maildir = strdup(j->key.maildir)) == NULL) {
			free(e);
			return;
		}
		RB_INSERT(seentree, &seens, e);
	} else if (e->aging)
		TAILQ_REMOVE(&age, e, age);
	if (j->over && !e->over)
		stats->quota_over++;
	else if (!j->over && e->over)
		stats->quota_over--;
	e->over = j->over != 0;
	e->lim.bytes = j->key.bytes;
	e->lim.msgs = j->key.msgs;
	e->use = j->use;
	e->when = now;
	e->aging = 1;
	TAILQ_INSERT_TAIL(&age, e, age);
}

/* Whether key's maildir had room for size more bytes lately (0: one). */
int
pool_room(const struct pool_key *key, uint64_t size)
{
	struct quota_limit	 lim = { key->bytes, key->msgs };
	struct seen		 find, *e;

	seen_expire(monotime());
	find.maildir = (char *)key->maildir;
	if ((e = RB_FIND(seentree, &seens, &find)) == NULL || !e->aging ||
	    e->lim.bytes != lim.bytes || e->lim.msgs != lim.msgs)
		return 0;
	return !quota_over(&lim, &e->use) && quota_fits(&lim, &e->use, size);
}

static void
job_done(struct pjob *j, uint32_t status)
{
	if (j->counted)
		seen_answer(j);
	evtimer_del(&j->pause);
	j->done(j->arg, status, j->counted ? &j->use : NULL, j->over);
	free(j);
}

static void
waiting_run(void)
{
	struct pjob	*j;

	while ((j = TAILQ_FIRST(&waiting)) != NULL &&
	    (nworkers < (size_t)set->limit.delivery_workers ||
	    !TAILQ_EMPTY(&idle))) {
		TAILQ_REMOVE(&waiting, j, entry);
		job_queue(j);
	}
}

/* Freed once its channel is; a new job starts a new worker. */
static void
pworker_detach(struct pworker *w)
{
	if (w->detached)
		return;
	w->detached = 1;
	RB_REMOVE(pworkertree, &workers, w);
	if (w->isidle) {
		TAILQ_REMOVE(&idle, w, lru);
		w->isidle = 0;
	}
	TAILQ_INSERT_TAIL(&ending, w, lru);
	nworkers--;
}

/* Closed from its timer, outside the channel's own callbacks. */
static void
pworker_close(struct pworker *w)
{
	struct timeval	tv = { 0, 0 };

	pworker_detach(w);
	if (w->closed > 0)
		return;
	w->closed = 1;
	evtimer_del(&w->timer);
	evtimer_add(&w->timer, &tv);
}

/* It runs as another user: the parent, which started it, kills it. */
static void
pworker_kill(struct pworker *w)
{
	struct msg_dlvrpop	m;

	memset(&m, 0, sizeof(m));
	m.pid = w->pid;
	chan_send(parent, MSG_LMTP_KILL, -1, &m, sizeof(m));
}

static void
pworker_failed(struct pworker *w)
{
	struct pjob	*j;

	RB_REMOVE(pworkertree, &workers, w);
	nworkers--;
	while ((j = TAILQ_FIRST(&w->queue)) != NULL) {
		TAILQ_REMOVE(&w->queue, j, entry);
		job_done(j, DLV_TEMP);
	}
	free(w);
	waiting_run();
}

static void
pworker_next(struct pworker *w)
{
	struct timeval	 tv = { 0, 0 };
	struct msg_job	 mj;
	struct msg_quota mq;
	struct pjob	*j;
	int		 fd;

	if (w->isidle) {
		TAILQ_REMOVE(&idle, w, lru);
		w->isidle = 0;
	}
	if ((j = TAILQ_FIRST(&w->queue)) == NULL) {
		w->job = NULL;
		TAILQ_INSERT_TAIL(&idle, w, lru);
		w->isidle = 1;
		tv.tv_sec = set->timeout.delivery_idle;
		evtimer_add(&w->timer, &tv);
		waiting_run();
		return;
	}
	TAILQ_REMOVE(&w->queue, j, entry);
	w->job = j;
	tv.tv_sec = set->timeout.delivery;
	evtimer_add(&w->timer, &tv);
	if (j->fd == -1) {
		memset(&mq, 0, sizeof(mq));
		mq.job = j->id;
		mq.size = j->size;
		chan_send(&w->chan, MSG_LMTP_QUOTA, -1, &mq, sizeof(mq));
		return;
	}
	if (j->has_intent) {
		j->checked++;
		chan_send(&w->chan, MSG_LMTP_DLVCHECK, -1, &j->intent,
		    sizeof(j->intent));
		return;
	}
	if ((fd = dup(j->fd)) == -1) {
		log_warn("dup");
		w->job = NULL;
		job_done(j, DLV_TEMP);
		pworker_next(w);
		return;
	}
	memset(&mj, 0, sizeof(mj));
	mj.job = j->id;
	log_debug("job %llu to dlvrpop %d for %s", (unsigned long long)j->id,
	    (int)w->pid, w->key.maildir);
	chan_send(&w->chan, MSG_LMTP_JOB, fd, &mj, sizeof(mj));
}

static struct pworker *
pworker_start(const struct pjob *j)
{
	struct pworker		*w;
	struct msg_dlvrpop	 m;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	w->key = j->key;
	w->ref = j->ref;
	w->chan.fd = -1;
	TAILQ_INIT(&w->queue);
	evtimer_set(&w->timer, pworker_timer, w);
	RB_INSERT(pworkertree, &workers, w);
	nworkers++;
	memset(&m, 0, sizeof(m));
	m.ref = j->ref;
	chan_send(parent, MSG_LMTP_DLVRPOP, -1, &m, sizeof(m));
	return w;
}

/* At limit delivery-workers with none idle to end, it waits. */
static void
job_queue(struct pjob *j)
{
	struct pworker	 find, *w;

	find.key = j->key;
	if ((w = RB_FIND(pworkertree, &workers, &find)) == NULL) {
		if (nworkers >= (size_t)set->limit.delivery_workers &&
		    (w = TAILQ_FIRST(&idle)) != NULL)
			pworker_close(w);
		if (nworkers >= (size_t)set->limit.delivery_workers) {
			TAILQ_INSERT_TAIL(&waiting, j, entry);
			return;
		}
		if ((w = pworker_start(j)) == NULL) {
			job_done(j, DLV_TEMP);
			return;
		}
	}
	TAILQ_INSERT_TAIL(&w->queue, j, entry);
	if (w->job == NULL && w->pid != 0)
		pworker_next(w);
}

static void
job_pause(int fd, short ev, void *arg)
{
	job_queue(arg);
}

/*
 * With its names told, a successor looks at what it left; else it failed
 * before creating any.
 */
static void
pworker_gone(struct pworker *w)
{
	struct pjob	*j, *check = w->job;
	struct timeval	 tv;
	long		 ms;

	w->job = NULL;
	if (check != NULL) {
		if (!check->has_intent) {
			log_warnx("dlvrpop %d for %s ended before it "
			    "wrote anything: temporary failure", (int)w->pid,
			    w->key.maildir);
			job_done(check, DLV_TEMP);
			check = NULL;
		} else if (check->checked == 0) {
			log_warnx("dlvrpop %d for %s ended during a "
			    "delivery: its successor looks at what it left",
			    (int)w->pid, w->key.maildir);
			check->giveup = monotime() + set->timeout.delivery;
		} else if (monotime() >= check->giveup) {
			log_warnx("dlvrpop %d for %s: %d successors "
			    "ended while they looked at tmp/%s, for timeout "
			    "delivery (%d seconds): temporary failure, "
			    "tmp/%s left", (int)w->pid, w->key.maildir,
			    check->checked, check->intent.tmp,
			    set->timeout.delivery, check->intent.tmp);
			job_done(check, DLV_TEMP);
			check = NULL;
		} else
			log_warnx("dlvrpop %d for %s ended while it "
			    "looked at tmp/%s: another looks", (int)w->pid,
			    w->key.maildir, check->intent.tmp);
	}
	pworker_close(w);
	if (check != NULL) {
		ms = check->checked < 10 ? 1L << check->checked :
		    POOL_PAUSE_MAX;
		if (ms > POOL_PAUSE_MAX)
			ms = POOL_PAUSE_MAX;
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		evtimer_add(&check->pause, &tv);
	}
	while ((j = TAILQ_FIRST(&w->queue)) != NULL) {
		TAILQ_REMOVE(&w->queue, j, entry);
		job_queue(j);
	}
	waiting_run();
}

static void
pworker_eof(struct chan *c)
{
	struct pworker	*w = c->arg;
	struct timeval	 tv = { 0, 0 };

	/* No new job for it; the rest not here: msg.c is still reading. */
	pworker_detach(w);
	if (w->closed == 0)
		w->closed = -1;		/* gone, not yet handled */
	evtimer_del(&w->timer);
	evtimer_add(&w->timer, &tv);
}

/* A malformed message: end it; msg.c closes the channel after us. */
static void
pworker_bad(struct chan *c)
{
	pworker_kill(c->arg);
	pworker_eof(c);
}

/* Idle end, job deadline (killed, looked at), or cleanup after close. */
static void
pworker_timer(int fd, short ev, void *arg)
{
	struct pworker	*w = arg;

	if (w->closed == -1) {
		w->closed = 0;
		pworker_gone(w);
	} else if (w->closed) {
		if (w->chan.fd != -1)
			chan_close(&w->chan);
		TAILQ_REMOVE(&ending, w, lru);
		free(w);
	} else if (w->job != NULL) {
		log_warnx("dlvrpop %d for %s: no answer in %d seconds "
		    "(timeout delivery), killed", (int)w->pid,
		    w->key.maildir, set->timeout.delivery);
		pworker_kill(w);
	} else {
		log_debug("dlvrpop %d for %s: idle, ended", (int)w->pid,
		    w->key.maildir);
		pworker_close(w);
	}
}

static void
lmtp_dlvrpop_intent(struct chan *c, const void *data, int fd)
{
	const struct msg_intent	*mi = data;
	struct pworker		*w = c->arg;

	if (w->job == NULL || mi->job != w->job->id || w->job->checked) {
		chan_bad(c, "%s for job %llu, not its job",
		    msg_type_str(MSG_DLVRPOP_INTENT),
		    (unsigned long long)mi->job);
		return;
	}
	w->job->intent = *mi;
	w->job->has_intent = 1;
}

static void
lmtp_dlvrpop_done(struct chan *c, const void *data, int fd)
{
	const struct msg_done	*md = data;
	struct pworker		*w = c->arg;
	struct pjob		*j = w->job;

	if (j == NULL || md->job != j->id) {
		chan_bad(c, "%s for job %llu, not its job",
		    msg_type_str(MSG_DLVRPOP_DONE),
		    (unsigned long long)md->job);
		return;
	}
	if (j->checked)
		log_info("%s: the message a killed dlvrpop was delivering "
		    "is %s", w->key.maildir, md->status == DLV_OK ?
		    "in new/: delivered once" : "not there: removed, "
		    "temporary failure");
	if (md->counted) {
		j->counted = 1;
		j->over = md->over;
		j->use.bytes = md->bytes;
		j->use.msgs = md->msgs;
	}
	evtimer_del(&w->timer);
	w->job = NULL;
	job_done(j, md->status);
	pworker_next(w);
}

static const struct msg_handler from_dlvrpop[] = {
	{ MSG_DLVRPOP_INTENT,	lmtp_dlvrpop_intent },
	{ MSG_DLVRPOP_DONE,	lmtp_dlvrpop_done },
};

static struct pworker *
pworker_starting(struct chan *c, int t, const struct msg_dlvrpop *m)
{
	struct pworker	*w;

	RB_FOREACH(w, pworkertree, &workers)
		if (w->pid == 0 && w->ref == m->ref &&
		    (t != MSG_PARENT_DLVRPOP || m->pid != 0))
			return w;
	chan_bad(c, "%s for recipient %llu: not asked", msg_type_str(t),
	    (unsigned long long)m->ref);
	return NULL;
}

void
lmtp_parent_dlvrpop(struct chan *c, const void *data, int fd)
{
	const struct msg_dlvrpop	*m = data;
	struct pworker			*w;

	if ((w = pworker_starting(c, MSG_PARENT_DLVRPOP, m)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	if (fd == -1) {
		/* Lost here (msg.c logged it): it reads its end and exits. */
		pworker_failed(w);
		return;
	}
	w->pid = m->pid;
	chan_init(&w->chan, fd, PROC_LMTP, PROC_DLVRPOP, PH_RUN,
	    from_dlvrpop, nitems(from_dlvrpop), pworker_eof, w);
	w->chan.bad = pworker_bad;
	chan_start(&w->chan);
	log_debug("dlvrpop %d for %s", (int)w->pid, w->key.maildir);
	pworker_next(w);
}

void
lmtp_parent_nodlvrpop(struct chan *c, const void *data, int fd)
{
	const struct msg_dlvrpop	*m = data;
	struct pworker			*w;

	if ((w = pworker_starting(c, MSG_PARENT_NODLVRPOP, m)) == NULL)
		return;
	log_warnx("no delivery worker for %s: temporary failure",
	    w->key.maildir);
	pworker_failed(w);
}

/*
 * The fd stays the caller's until told; fd -1 asks whether size bytes fit
 * (0: whether over).  done is called once, perhaps before this returns.
 */
void
pool_job(const struct pool_key *key, uint64_t ref, int fd, uint64_t size,
    pool_cb done, void *arg)
{
	struct pjob	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		log_warn("%s", __func__);
		done(arg, DLV_TEMP, NULL, 0);
		return;
	}
	j->id = nextjob++;
	evtimer_set(&j->pause, job_pause, j);
	j->key = *key;
	j->ref = ref;
	j->fd = fd;
	j->size = size;
	j->done = done;
	j->arg = arg;
	job_queue(j);
}

/* Their client left (txn_cancel). */
void
pool_cancel(void *arg)
{
	struct pworker	*w;
	struct pjob	*j, *next;

	RB_FOREACH(w, pworkertree, &workers) {
		if (w->job != NULL && w->job->arg == arg &&
		    w->job->checked == 0 && w->pid != 0) {
			log_warnx("dlvrpop %d for %s: its client left during "
			    "the delivery: killed, its message not committed",
			    (int)w->pid, w->key.maildir);
			pworker_kill(w);
		}
		TAILQ_FOREACH_SAFE(j, &w->queue, entry, next)
			if (j->arg == arg) {
				TAILQ_REMOVE(&w->queue, j, entry);
				job_done(j, DLV_TEMP);
			}
	}
	TAILQ_FOREACH_SAFE(j, &waiting, entry, next)
		if (j->arg == arg) {
			TAILQ_REMOVE(&waiting, j, entry);
			job_done(j, DLV_TEMP);
		}
}
