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
 * dworkers.c -- the delivery workers (dlvrpop): one per maildir, started
 * as that maildir's user and kept warm for timeout delivery-idle
 * seconds, at most limit delivery-workers of them.  A job is a message
 * to write into the maildir (its descriptor, a sealed memfd, dup'ed
 * here for the worker, never copied) or, without a message, a question
 * about the maildir's use against a quota; whoever queued it is told
 * the answer (dworkers_cb).  recipients.c queues the messages of LMTP
 * transactions, userquota.c's callers the questions.
 *
 * A worker tells us the names it is about to use before it creates them
 * (MSG_DLVRPOP_INTENT).  If it dies during a job (killed, or past
 * timeout delivery), its successor for that maildir looks at what it
 * left (MSG_PARENT_DLVCHECK): a message already in new/ was delivered
 * and is reported so, once; anything else is removed and reported as a
 * temporary failure, which the MTA retries.  Successors that die too
 * are followed by others, paced (DLV_PAUSE_MAX), until timeout delivery
 * after the first death; then the job is a temporary failure and what
 * it left stays: at worst a message the MTA sends again, never one lost.
 *
 * A message job carries the recipient's limit, and the worker refuses
 * it (DLV_QUOTA) if the message does not fit then; every answer with a
 * use is remembered for a few seconds (userquota_seen).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <errno.h>
#include <event.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "chan.h"
#include "config.h"
#include "proto.h"
#include "quota.h"

/*
 * The n-th successor sent to look at a killed worker's job starts
 * min(2^n, DLV_PAUSE_MAX) ms after its predecessor died: the first few
 * at once, a worker that dies at every look at most once a second.
 */
#define DLV_PAUSE_MAX	1000

/* A message for one maildir (fd), or a question about its use (fd -1). */
struct djob {
	TAILQ_ENTRY(djob)	 entry;		/* its worker's, or waiting */
	uint64_t		 id;
	int			 fd;		/* the message, not ours */
	struct quota_limit	 lim;
	uint64_t		 size;		/* a question's */
	dworkers_cb		 done;
	void			*arg;
	struct quota_use	 use;		/* the worker's answer */
	int			 counted;	/* use is set */
	int			 over;		/* and at or over lim */
	uid_t			 uid;
	gid_t			 gid;
	char			 maildir[PATH_MAX];
	char			 user[POPD_MAXUSER + 1];
	int			 checked;	/* successors sent to look */
	struct msg_intent	 intent;	/* its names, if told */
	int			 has_intent;
	time_t			 giveup;	/* looks end, from the first
						   worker's death */
	struct event		 pause;		/* before the next look */
};
TAILQ_HEAD(djobq, djob);

/* A delivery worker: a dlvrpop for one maildir. */
struct dworker {
	RB_ENTRY(dworker)	 entry;
	TAILQ_ENTRY(dworker)	 lru;		/* idle ones, oldest first;
						   or ending */
	uid_t			 uid;
	gid_t			 gid;
	char			 maildir[PATH_MAX];
	pid_t			 pid;
	struct chan		 chan;
	struct djob		*job;		/* at work on, or NULL */
	struct djobq		 queue;		/* its next jobs */
	int			 isidle;	/* in the idle list */
	int			 detached;	/* out of the tree: ending */
	int			 closed;	/* -1 gone, 1 closing, 2 closed */
	int			 reaped;
	struct event		 timer;		/* idle, or the deadline */
};
RB_HEAD(dworkertree, dworker);

static int	 dworker_cmp(struct dworker *, struct dworker *);
RB_PROTOTYPE_STATIC(dworkertree, dworker, entry, dworker_cmp);
RB_GENERATE_STATIC(dworkertree, dworker, entry, dworker_cmp);

static void	 job_done(struct djob *, uint32_t);
static void	 job_queue(struct djob *);
static void	 job_pause(int, short, void *);
static void	 waiting_run(void);
static struct dworker *dworker_start(const struct djob *);
static void	 dworker_next(struct dworker *);
static void	 dworker_detach(struct dworker *);
static void	 dworker_close(struct dworker *);
static void	 dworker_eof(struct chan *);
static void	 dworker_bad(struct chan *);
static void	 dworker_timer(int, short, void *);
static void	 parent_dlvrpop_intent(struct chan *, const void *, int);
static void	 parent_dlvrpop_done(struct chan *, const void *, int);

static const struct msg_handler from_dlvrpop[] = {
	{ MSG_DLVRPOP_INTENT,	parent_dlvrpop_intent },
	{ MSG_DLVRPOP_DONE,	parent_dlvrpop_done },
};

static struct dworkertree	 dworkers = RB_INITIALIZER(&dworkers);
static TAILQ_HEAD(, dworker)	 idle = TAILQ_HEAD_INITIALIZER(idle);
static TAILQ_HEAD(, dworker)	 ending = TAILQ_HEAD_INITIALIZER(ending);
static struct djobq		 waiting = TAILQ_HEAD_INITIALIZER(waiting);
static size_t			 ndworkers;
static uint64_t			 nextjob = 1;

static int
dworker_cmp(struct dworker *a, struct dworker *b)
{
	if (a->uid != b->uid)
		return a->uid < b->uid ? -1 : 1;
	if (a->gid != b->gid)
		return a->gid < b->gid ? -1 : 1;
	return strcmp(a->maildir, b->maildir);
}

/*
 * A job for mu's maildir: the message fd (kept open by the caller until
 * told), or without one (-1), whether a message of size bytes fits
 * under lim (0: whether the maildir is over).  done(arg, DLV_OK,
 * DLV_QUOTA or DLV_TEMP, the use if the worker counted it, whether it
 * is over) is told once, perhaps before this returns.
 */
void
dworkers_job(const struct mailuser *mu, const struct quota_limit *lim,
    int fd, uint64_t size, dworkers_cb done, void *arg)
{
	struct djob	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		log_warn("%s", __func__);
		done(arg, DLV_TEMP, NULL, 0);
		return;
	}
	j->id = nextjob++;
	evtimer_set(&j->pause, job_pause, j);
	j->fd = fd;
	j->uid = mu->uid;
	j->gid = mu->gid;
	j->lim = *lim;
	j->size = size;
	j->done = done;
	j->arg = arg;
	(void)strlcpy(j->maildir, mu->maildir, sizeof(j->maildir));
	(void)strlcpy(j->user, mu->name, sizeof(j->user));
	job_queue(j);
}

static void
job_done(struct djob *j, uint32_t status)
{
	if (j->counted)
		userquota_seen(j->maildir, &j->lim, &j->use, j->over);
	evtimer_del(&j->pause);
	j->done(j->arg, status, j->counted ? &j->use : NULL, j->over);
	free(j);
}

/*
 * A job to its maildir's worker: the warm one, a new one, or, at limit
 * delivery-workers with none idle to end, the queue of those waiting.
 */
static void
job_queue(struct djob *j)
{
	struct dworker	 key, *w;

	key.uid = j->uid;
	key.gid = j->gid;
	(void)strlcpy(key.maildir, j->maildir, sizeof(key.maildir));
	if ((w = RB_FIND(dworkertree, &dworkers, &key)) == NULL) {
		if (ndworkers >= (size_t)conf->set.limit.delivery_workers &&
		    (w = TAILQ_FIRST(&idle)) != NULL)
			dworker_close(w);
		if (ndworkers >= (size_t)conf->set.limit.delivery_workers) {
			TAILQ_INSERT_TAIL(&waiting, j, entry);
			return;
		}
		if ((w = dworker_start(j)) == NULL) {
			job_done(j, DLV_TEMP);
			return;
		}
	}
	TAILQ_INSERT_TAIL(&w->queue, j, entry);
	if (w->job == NULL)
		dworker_next(w);
}

/* A killed worker's job, after its pause: to the next successor. */
static void
job_pause(int fd, short ev, void *arg)
{
	job_queue(arg);
}

/* A worker ended or went idle: those waiting may go now. */
static void
waiting_run(void)
{
	struct djob	*j;

	while ((j = TAILQ_FIRST(&waiting)) != NULL &&
	    (ndworkers < (size_t)conf->set.limit.delivery_workers ||
	    !TAILQ_EMPTY(&idle))) {
		TAILQ_REMOVE(&waiting, j, entry);
		job_queue(j);
	}
}

/*
 * A dlvrpop for j's maildir, as its user (mailuser.c): the ids come from
 * usertab at RCPT, never from the lmtp process.
 */
static struct dworker *
dworker_start(const struct djob *j)
{
	struct dworker	*w;
	struct mailuser	 mu;
	struct msg_worker nobody;	/* a delivery has no client */
	int		 sp[2] = { -1, -1 };

	if ((w = calloc(1, sizeof(*w))) == NULL)
		goto fail;
	memset(&nobody, 0, sizeof(nobody));
	memset(&mu, 0, sizeof(mu));
	(void)strlcpy(mu.name, j->user, sizeof(mu.name));
	mu.uid = j->uid;
	mu.gid = j->gid;
	(void)strlcpy(mu.maildir, j->maildir, sizeof(mu.maildir));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1 ||
	    (w->pid = mailuser_spawn(MU_DELIVERY, &mu, &nobody, sp[1], -1,
	    NULL)) == -1)
		goto fail;
	close(sp[1]);
	w->uid = j->uid;
	w->gid = j->gid;
	(void)strlcpy(w->maildir, j->maildir, sizeof(w->maildir));
	TAILQ_INIT(&w->queue);
	chan_init(&w->chan, sp[0], PROC_PARENT, PROC_DLVRPOP, PH_RUN,
	    from_dlvrpop, nitems(from_dlvrpop), dworker_eof, w);
	w->chan.bad = dworker_bad;
	chan_start(&w->chan);
	evtimer_set(&w->timer, dworker_timer, w);
	RB_INSERT(dworkertree, &dworkers, w);
	ndworkers++;
	log_debug("dlvrpop for %s: pid %d, uid %u gid %u, %s", j->user,
	    (int)w->pid, (unsigned)j->uid, (unsigned)j->gid, j->maildir);
	return w;
 fail:
	log_warn("lmtp: cannot start a delivery worker for %s", j->user);
	if (sp[0] != -1) {
		close(sp[0]);
		close(sp[1]);
	}
	free(w);
	return NULL;
}

/* Its next job, or idle: warm for timeout delivery-idle seconds. */
static void
dworker_next(struct dworker *w)
{
	struct timeval	 tv = { 0, 0 };
	struct msg_job	 mj;
	struct msg_quota mq;
	struct djob	*j;
	int		 fd;

	if (w->isidle) {
		TAILQ_REMOVE(&idle, w, lru);
		w->isidle = 0;
	}
	if ((j = TAILQ_FIRST(&w->queue)) == NULL) {
		w->job = NULL;
		TAILQ_INSERT_TAIL(&idle, w, lru);
		w->isidle = 1;
		tv.tv_sec = conf->set.timeout.delivery_idle;
		evtimer_add(&w->timer, &tv);
		waiting_run();
		return;
	}
	TAILQ_REMOVE(&w->queue, j, entry);
	w->job = j;
	tv.tv_sec = conf->set.timeout.delivery;
	evtimer_add(&w->timer, &tv);
	if (j->fd == -1) {
		memset(&mq, 0, sizeof(mq));
		mq.job = j->id;
		mq.bytes = j->lim.bytes;
		mq.msgs = j->lim.msgs;
		mq.size = j->size;
		chan_send(&w->chan, MSG_PARENT_QUOTA, -1, &mq, sizeof(mq));
		return;
	}
	if (j->has_intent) {
		/* Its worker died: what did it leave? */
		j->checked++;
		chan_send(&w->chan, MSG_PARENT_DLVCHECK, -1, &j->intent,
		    sizeof(j->intent));
		return;
	}
	if ((fd = dup(j->fd)) == -1) {
		log_warn("lmtp: dup");
		w->job = NULL;
		job_done(j, DLV_TEMP);
		dworker_next(w);
		return;
	}
	memset(&mj, 0, sizeof(mj));
	mj.job = j->id;
	mj.bytes = j->lim.bytes;
	mj.msgs = j->lim.msgs;
	log_debug("lmtp: job %llu to dlvrpop %d for %s",
	    (unsigned long long)j->id, (int)w->pid, w->maildir);
	chan_send(&w->chan, MSG_PARENT_DELIVER, fd, &mj, sizeof(mj));
}

/*
 * Out of the tree (a new job for its maildir starts a new worker) and
 * off the idle list, into the ending ones, freed once reaped.
 */
static void
dworker_detach(struct dworker *w)
{
	if (w->detached)
		return;
	w->detached = 1;
	RB_REMOVE(dworkertree, &dworkers, w);
	if (w->isidle) {
		TAILQ_REMOVE(&idle, w, lru);
		w->isidle = 0;
	}
	TAILQ_INSERT_TAIL(&ending, w, lru);
	ndworkers--;
}

/*
 * No more work for w: its channel is closed from its timer, outside the
 * channel's own callbacks, and a worker that reads its end exits.
 */
static void
dworker_close(struct dworker *w)
{
	struct timeval	tv = { 0, 0 };

	dworker_detach(w);
	if (w->closed > 0)
		return;
	w->closed = 1;
	evtimer_del(&w->timer);
	evtimer_add(&w->timer, &tv);
}

/*
 * The worker is gone (its channel closed, or it broke the protocol):
 * its job is looked at by a successor if it had named its files, else
 * it failed before creating any; its queue goes to that successor.
 */
static void
dworker_gone(struct dworker *w)
{
	struct djob	*j, *check = w->job;
	struct timeval	 tv;
	long		 ms;

	w->job = NULL;
	if (check != NULL) {
		if (!check->has_intent) {
			log_warnx("lmtp: dlvrpop %d for %s ended before it "
			    "wrote anything: temporary failure", (int)w->pid,
			    w->maildir);
			job_done(check, DLV_TEMP);
			check = NULL;
		} else if (check->checked == 0) {
			log_warnx("lmtp: dlvrpop %d for %s ended during a "
			    "delivery: its successor looks at what it left",
			    (int)w->pid, w->maildir);
			check->giveup = monotime() +
			    conf->set.timeout.delivery;
		} else if (monotime() >= check->giveup) {
			log_warnx("lmtp: dlvrpop %d for %s: %d successors "
			    "ended while they looked at tmp/%s, for timeout "
			    "delivery (%d seconds): temporary failure, "
			    "tmp/%s left", (int)w->pid, w->maildir,
			    check->checked, check->intent.tmp,
			    conf->set.timeout.delivery, check->intent.tmp);
			job_done(check, DLV_TEMP);
			check = NULL;
		} else
			log_warnx("lmtp: dlvrpop %d for %s ended while it "
			    "looked at tmp/%s: another looks", (int)w->pid,
			    w->maildir, check->intent.tmp);
	}
	dworker_close(w);
	if (check != NULL) {
		ms = check->checked < 10 ? 1L << check->checked :
		    DLV_PAUSE_MAX;
		if (ms > DLV_PAUSE_MAX)
			ms = DLV_PAUSE_MAX;
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		evtimer_add(&check->pause, &tv);
	}
	while ((j = TAILQ_FIRST(&w->queue)) != NULL) {
		TAILQ_REMOVE(&w->queue, j, entry);
		job_queue(j);
	}
	/* Its place is free for a job that waited for one. */
	waiting_run();
}

static void
dworker_eof(struct chan *c)
{
	struct dworker	*w = c->arg;
	struct timeval	 tv = { 0, 0 };

	/* No new job for it; the rest not here: msg.c is still reading. */
	dworker_detach(w);
	if (w->closed == 0)
		w->closed = -1;		/* gone, not yet handled */
	evtimer_del(&w->timer);
	evtimer_add(&w->timer, &tv);
}

/* A malformed message: end it; msg.c closes the channel after us. */
static void
dworker_bad(struct chan *c)
{
	struct dworker	*w = c->arg;

	(void)kill(w->pid, SIGKILL);
	dworker_eof(c);
}

/*
 * The one timer of a worker: the end of its warm time (idle), the
 * deadline of its job (timeout delivery: killed, and looked at as any
 * killed worker's job), or the cleanup after its channel closed.
 */
static void
dworker_timer(int fd, short ev, void *arg)
{
	struct dworker	*w = arg;

	if (w->closed == -1) {
		w->closed = 0;
		dworker_gone(w);
	} else if (w->closed) {
		if (w->chan.fd != -1)
			chan_close(&w->chan);
		w->closed = 2;
		if (w->reaped) {
			TAILQ_REMOVE(&ending, w, lru);
			free(w);
		}
	} else if (w->job != NULL) {
		log_warnx("lmtp: dlvrpop %d for %s: no answer in %d seconds "
		    "(timeout delivery), killed", (int)w->pid, w->maildir,
		    conf->set.timeout.delivery);
		(void)kill(w->pid, SIGKILL);
	} else {
		log_debug("dlvrpop %d for %s: idle, ended", (int)w->pid,
		    w->maildir);
		dworker_close(w);
	}
}

/* The names of its job's files, before it creates them. */
static void
parent_dlvrpop_intent(struct chan *c, const void *data, int fd)
{
	const struct msg_intent	*mi = data;
	struct dworker		*w = c->arg;

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
parent_dlvrpop_done(struct chan *c, const void *data, int fd)
{
	const struct msg_done	*md = data;
	struct dworker		*w = c->arg;
	struct djob		*j = w->job;

	if (j == NULL || md->job != j->id) {
		chan_bad(c, "%s for job %llu, not its job",
		    msg_type_str(MSG_DLVRPOP_DONE),
		    (unsigned long long)md->job);
		return;
	}
	if (j->checked)
		log_info("lmtp: %s: the message a killed dlvrpop was "
		    "delivering is %s", w->maildir, md->status == DLV_OK ?
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
	dworker_next(w);
}

/* SIGCHLD: 1 if pid was a delivery worker we still know. */
int
dworkers_exited(pid_t pid, int status)
{
	struct dworker	*w;

	RB_FOREACH(w, dworkertree, &dworkers)
		if (w->pid == pid)
			break;
	if (w == NULL)
		TAILQ_FOREACH(w, &ending, lru)
			if (w->pid == pid)
				break;
	if (w == NULL)
		return 0;
	if (WIFSIGNALED(status))
		log_warnx("dlvrpop %d for %s killed by signal %d", (int)pid,
		    w->maildir, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		log_warnx("dlvrpop %d for %s exited %d", (int)pid, w->maildir,
		    WEXITSTATUS(status));
	w->reaped = 1;
	if (w->closed == 2) {
		TAILQ_REMOVE(&ending, w, lru);
		free(w);
	}
	return 1;
}
