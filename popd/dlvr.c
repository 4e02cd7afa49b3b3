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
 * dlvr.c -- the parent's side of LMTP deliveries.  The lmtp process
 * (lmtp.c) parses what the MTA says and names recipients; here the
 * parent decides who they are at RCPT (mailuser.c, as for a login),
 * keeps that for the transaction, and at DATA hands each message to
 * delivery workers (dlvrpop), one per maildir, started as that
 * maildir's user and kept warm for timeout delivery-idle seconds, at
 * most limit delivery-workers of them.  A message's
 * recipients that share a maildir share one job: one worker round trip,
 * one copy.  The message itself travels as one descriptor (a sealed
 * memfd), dup'ed for each job, never copied here.
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
 * Quotas (userquota.c has each user's limit): a recipient with a limit
 * is checked at RCPT by its maildir's worker (MSG_PARENT_QUOTA, a job
 * without a message), which refuses it when the maildir is over, or
 * when SIZE= says the message cannot fit, unless that worker said
 * within seconds that it had room (userquota_room); its delivery job
 * carries the limit, and the worker refuses it (DLV_QUOTA) if the
 * message does not fit then.  popctl show quota asks the same way.
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
#include "lookup.h"
#include "proto.h"
#include "table.h"
#include "stats.h"
#include "quota.h"

struct dmsg;

/*
 * The n-th successor sent to look at a killed worker's job starts
 * min(2^n, DLV_PAUSE_MAX) ms after its predecessor died: the first few
 * at once, a worker that dies at every look at most once a second.
 */
#define DLV_PAUSE_MAX	1000

/*
 * One maildir's part of one message; or, without a message (m NULL), a
 * question about its use: done() is told the answer.
 */
struct djob {
	TAILQ_ENTRY(djob)	 entry;		/* its message's, its
						   worker's, or waiting */
	uint64_t		 id;
	struct dmsg		*m;
	struct quota_limit	 lim;		/* the first recipient's */
	uint64_t		 size;		/* a question's */
	dlvr_quota_cb		 done;		/* a question's */
	void			*arg;
	struct quota_use	 use;		/* the worker's answer */
	int			 counted;	/* use is set */
	int			 over;		/* and at or over lim */
	uid_t			 uid;
	gid_t			 gid;
	char			 maildir[PATH_MAX];
	char			 user[POPD_MAXUSER + 1];	/* the first */
	int			 rcpt[LMTP_MAXRCPT];	/* indices in m */
	int			 nrcpt;
	int			 checked;	/* successors sent to look */
	struct msg_intent	 intent;	/* its names, if told */
	int			 has_intent;
	time_t			 giveup;	/* looks end, from the first
						   worker's death */
	struct event		 pause;		/* before the next look */
};
TAILQ_HEAD(djobq, djob);

/* One MSG_LMTP_DELIVER, until every recipient has a status. */
struct dmsg {
	pid_t			 lmtppid;
	uint64_t		 id;
	int			 fd;		/* the message */
	uint32_t		 nrcpt;
	uint32_t		 status[LMTP_MAXRCPT];
	struct djobq		 jobs;		/* until they are queued */
	int			 njobs;		/* jobs not done */
};

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

struct rcpt_wait;
struct rcptref;

static void	 rcpt_next(struct rcpt_wait *);
static void	 rcpt_found(void *, int, const struct mailuser *,
		    const char *);
static void	 rcpt_limit(void *, int, const struct quota_limit *);
static void	 rcpt_use(void *, uint32_t, const struct quota_use *, int);
static void	 rcpt_reply(struct rcpt_wait *, uint32_t,
		    const struct mailuser *);
static void	 dmsg_assign(struct dmsg *, int, const struct rcptref *);
static void	 dmsg_finish(struct dmsg *);
static void	 dmsg_reply(struct dmsg *);
static void	 dlv_count(const uint32_t *, uint32_t);
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
static void	 dworker_intent(struct chan *, const void *, int);
static void	 dworker_done(struct chan *, const void *, int);

static const struct msg_handler from_dlvrpop[] = {
	{ MSG_DLVRPOP_INTENT,	dworker_intent },
	{ MSG_DLVRPOP_DONE,	dworker_done },
};

static struct dworkertree	 dworkers = RB_INITIALIZER(&dworkers);
static TAILQ_HEAD(, dworker)	 idle = TAILQ_HEAD_INITIALIZER(idle);
static TAILQ_HEAD(, dworker)	 ending = TAILQ_HEAD_INITIALIZER(ending);
static struct djobq		 waiting = TAILQ_HEAD_INITIALIZER(waiting);
static size_t			 ndworkers, ndmsgs;
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
 * A recipient the parent found at RCPT, kept for its transaction: DATA
 * names it by ref and is delivered to these ids and this maildir without
 * asking again.  The lmtp process holds only the ref; the entry goes at
 * DATA (MSG_LMTP_DELIVER), when the transaction ends without one
 * (MSG_LMTP_FORGET), or with the lmtp process.  An lmtp process holds at
 * most lmtp-sessions times recipients of them, what its sessions can
 * have in their transactions at once.
 */
struct rcptref {
	RB_ENTRY(rcptref)	 entry;
	uint64_t		 ref;
	pid_t			 lmtppid;
	uid_t			 uid;
	gid_t			 gid;
	char			 user[POPD_MAXUSER + 1];
	char			*maildir;
	struct quota_limit	 lim;
};
RB_HEAD(rcptreftree, rcptref);
static int	 rcptref_cmp(struct rcptref *, struct rcptref *);
RB_PROTOTYPE_STATIC(rcptreftree, rcptref, entry, rcptref_cmp);
RB_GENERATE_STATIC(rcptreftree, rcptref, entry, rcptref_cmp);

static struct rcptreftree	 rcptrefs = RB_INITIALIZER(&rcptrefs);
static uint64_t			 nextref = 1;

static int
rcptref_cmp(struct rcptref *a, struct rcptref *b)
{
	return a->ref < b->ref ? -1 : a->ref > b->ref;
}

/* The ref of pid's transaction, taken out of the tree, or NULL. */
static struct rcptref *
rcptref_take(pid_t pid, uint64_t ref)
{
	struct rcptref	 key, *r;
	struct proc	*p;

	key.ref = ref;
	if ((r = RB_FIND(rcptreftree, &rcptrefs, &key)) == NULL ||
	    r->lmtppid != pid)
		return NULL;
	RB_REMOVE(rcptreftree, &rcptrefs, r);
	if ((p = proc_alive(KIND_LMTP, pid)) != NULL)
		p->nrefs--;
	return r;
}

static void
rcptref_free(struct rcptref *r)
{
	if (r == NULL)
		return;
	free(r->maildir);
	free(r);
}

/* The lmtp process pid is gone, and its transactions with it. */
void
dlvr_lmtp_gone(pid_t pid)
{
	struct rcptref	*r, *next;

	RB_FOREACH_SAFE(r, rcptreftree, &rcptrefs, next)
		if (r->lmtppid == pid) {
			RB_REMOVE(rcptreftree, &rcptrefs, r);
			rcptref_free(r);
		}
}

/*
 * RCPT TO: the keys tried, in this order, each only if the one before
 * is not a user: the address as given, then without a +detail, then the
 * local part of that (duplicates and invalid names skipped).  One table
 * question per key; DATA asks none.  A table that cannot answer is a
 * temporary failure, never an unknown user.
 */
struct rcpt_wait {
	pid_t			 lmtppid;
	uint64_t		 id;
	uint64_t		 size;		/* SIZE=, 0 if none */
	char			 cand[3][POPD_MAXUSER + 1];
	int			 ncand, next;
	struct mailuser		 mu;		/* found: who, its quota */
	struct quota_limit	 lim;
};

void
parent_lmtp_rcpt(struct chan *c, const void *data, int fd)
{
	const struct msg_rcpt	*mr = data;
	struct rcpt_wait	*w;
	char			 cand[3][LMTP_MAXADDR + 1], *at, *plus;
	int			 i, j, n = 0;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		struct msg_rcptok	ok;

		log_warn("lmtp: rcpt");
		memset(&ok, 0, sizeof(ok));
		ok.id = mr->id;
		ok.status = RCPT_TEMP;
		chan_send(c, MSG_PARENT_RCPT, -1, &ok, sizeof(ok));
		return;
	}
	w->lmtppid = ((struct proc *)c->arg)->pid;
	w->id = mr->id;
	/*
	 * SIZE= counts CRLF line ends, the maildir LF: the message is
	 * stored in at least half of it.  Only that much must fit at
	 * RCPT, so that no message that would fit is refused before it
	 * was sent; DATA checks the real size.
	 */
	w->size = mr->size / 2 + mr->size % 2;
	(void)strlcpy(cand[n++], mr->addr, sizeof(cand[0]));
	at = strrchr(mr->addr, '@');
	plus = strchr(mr->addr, '+');
	if (plus != NULL && (at == NULL || plus < at)) {
		(void)snprintf(cand[n], sizeof(cand[0]), "%.*s%s",
		    (int)(plus - mr->addr), mr->addr, at != NULL ? at : "");
		n++;
	}
	if (at != NULL) {
		(void)strlcpy(cand[n], cand[n - 1], sizeof(cand[0]));
		*strrchr(cand[n], '@') = '\0';
		n++;
	}
	for (i = 0; i < n; i++) {
		if (!valid_username(cand[i]))
			continue;
		for (j = 0; j < w->ncand; j++)
			if (strcmp(w->cand[j], cand[i]) == 0)
				break;
		if (j == w->ncand)
			(void)strlcpy(w->cand[w->ncand++], cand[i],
			    sizeof(w->cand[0]));
	}
	rcpt_next(w);
}

static void
rcpt_next(struct rcpt_wait *w)
{
	if (w->next == w->ncand)
		rcpt_reply(w, RCPT_NONE, NULL);
	else
		mailuser_find(w->cand[w->next], rcpt_found, w);
}

static void
rcpt_found(void *arg, int status, const struct mailuser *mu,
    const char *why)
{
	struct rcpt_wait	*w = arg;

	switch (status) {
	case MU_FOUND:
		if (!userquota_on()) {
			rcpt_reply(w, RCPT_OK, mu);
			break;
		}
		w->mu = *mu;
		userquota_find(mu->name, rcpt_limit, w);
		break;
	case MU_NONE:
		w->next++;
		rcpt_next(w);
		break;
	case MU_TEMP:
		log_warnx("lmtp: table %s could not say who \"%s\" is",
		    conf->set.usertab, w->cand[w->next]);
		rcpt_reply(w, RCPT_TEMP, NULL);
		break;
	default:
		/*
		 * Ids or a home we refuse are the admin's error, not the
		 * sender's: the mail waits in the queue (451) until the
		 * table is fixed.
		 */
		log_warnx("lmtp: the userinfo of \"%s\" in %s%s: %s",
		    w->cand[w->next], conf->set.usersrc == TABSRC_LOOKUP ?
		    "table " : "", conf->set.usertab, why);
		rcpt_reply(w, RCPT_TEMP, NULL);
		break;
	}
}

/* The recipient's limit: none, or ask its maildir's worker. */
static void
rcpt_limit(void *arg, int status, const struct quota_limit *lim)
{
	struct rcpt_wait	*w = arg;

	if (status != LOOKUP_FOUND) {
		rcpt_reply(w, RCPT_QUOTATEMP, NULL);	/* userquota.c logs */
		return;
	}
	w->lim = *lim;
	if ((lim->bytes == 0 && lim->msgs == 0) ||
	    userquota_room(w->mu.maildir, lim, w->size)) {
		rcpt_reply(w, RCPT_OK, &w->mu);
		return;
	}
	dlvr_quota(&w->mu, lim, w->size, rcpt_use, w);
}

/* Its worker's answer: over quota, too big for what is left, or in. */
static void
rcpt_use(void *arg, uint32_t status, const struct quota_use *use, int over)
{
	struct rcpt_wait	*w = arg;

	if (status == DLV_QUOTA) {
		STAT_INC(use != NULL && !over ? STAT_REFUSED_QUOTA_SIZE :
		    STAT_REFUSED_QUOTA_RCPT);
		rcpt_reply(w, use != NULL && !over ? RCPT_QUOTASIZE :
		    RCPT_QUOTA, NULL);
	} else if (status == DLV_OK)
		rcpt_reply(w, RCPT_OK, &w->mu);
	else {
		log_warnx("lmtp: the quota use of %s in %s could not be read",
		    w->mu.name, w->mu.maildir);
		rcpt_reply(w, RCPT_QUOTATEMP, NULL);
	}
}

static void
rcpt_reply(struct rcpt_wait *w, uint32_t status, const struct mailuser *mu)
{
	struct msg_rcptok	 ok;
	struct rcptref		*r = NULL;
	struct proc		*p;
	size_t			 max;

	if ((p = proc_alive(KIND_LMTP, w->lmtppid)) == NULL)
		goto done;
	memset(&ok, 0, sizeof(ok));
	ok.id = w->id;
	ok.status = status;
	if (mu != NULL) {
		max = (size_t)conf->set.limit.lmtp_sessions *
		    (conf->set.limit.recipients < LMTP_MAXRCPT ?
		    (size_t)conf->set.limit.recipients : LMTP_MAXRCPT);
		if (p->nrefs >= max) {
			log_warnx("lmtp: %zu recipients in transactions "
			    "already (lmtp-sessions times recipients)", max);
			ok.status = RCPT_TEMP;
		} else if ((r = calloc(1, sizeof(*r))) == NULL ||
		    (r->maildir = strdup(mu->maildir)) == NULL) {
			log_warn("lmtp: %s", mu->name);
			rcptref_free(r);
			ok.status = RCPT_TEMP;
		} else {
			r->ref = ok.ref = nextref++;
			r->lmtppid = w->lmtppid;
			r->uid = mu->uid;
			r->gid = mu->gid;
			r->lim = w->lim;
			(void)strlcpy(r->user, mu->name, sizeof(r->user));
			RB_INSERT(rcptreftree, &rcptrefs, r);
			p->nrefs++;
			(void)strlcpy(ok.user, mu->name, sizeof(ok.user));
		}
	}
	chan_send(&p->chan, MSG_PARENT_RCPT, -1, &ok, sizeof(ok));
 done:
	free(w);
}

/* A transaction ended without DATA: its recipients are forgotten. */
void
parent_lmtp_forget(struct chan *c, const void *data, int fd)
{
	const struct msg_deliver	*md = data;
	pid_t				 pid = ((struct proc *)c->arg)->pid;
	struct rcptref			*r;
	uint32_t			 i;

	for (i = 0; i < md->nrcpt; i++) {
		if ((r = rcptref_take(pid, md->ref[i])) == NULL) {
			chan_bad(c, "%s of recipient %llu, not one of its "
			    "transactions'", msg_type_str(MSG_LMTP_FORGET),
			    (unsigned long long)md->ref[i]);
			return;
		}
		rcptref_free(r);
	}
}

/*
 * A message for the recipients the parent found at RCPT, grouped by
 * maildir.  At most one message per LMTP connection is in delivery.
 */
void
parent_lmtp_deliver(struct chan *c, const void *data, int fd)
{
	const struct msg_deliver	*md = data;
	pid_t				 pid = ((struct proc *)c->arg)->pid;
	struct rcptref			*r[LMTP_MAXRCPT];
	struct msg_delivered		 out;
	struct dmsg			*m = NULL;
	uint32_t			 i, n;

	for (n = 0; n < md->nrcpt; n++)
		if ((r[n] = rcptref_take(pid, md->ref[n])) == NULL) {
			chan_bad(c, "%s to recipient %llu, not one of its "
			    "transactions'", msg_type_str(MSG_LMTP_DELIVER),
			    (unsigned long long)md->ref[n]);
			goto done;
		}
	if (fd == -1 || ndmsgs >= (size_t)conf->set.limit.lmtp_sessions ||
	    (m = calloc(1, sizeof(*m))) == NULL) {
		if (fd != -1) {
			log_warnx("lmtp: %zu messages in delivery already "
			    "(limit lmtp-sessions)", ndmsgs);
			STAT_INC(STAT_REFUSED_LMTP_SESSIONS);
		}
		memset(&out, 0, sizeof(out));
		out.id = md->id;
		out.nrcpt = md->nrcpt;
		for (i = 0; i < md->nrcpt; i++)
			out.status[i] = DLV_TEMP;
		dlv_count(out.status, out.nrcpt);
		chan_send(c, MSG_PARENT_DELIVERED, -1, &out, sizeof(out));
		goto done;
	}
	ndmsgs++;
	log_debug("lmtp: message %llu for %u recipients",
	    (unsigned long long)md->id, md->nrcpt);
	m->lmtppid = pid;
	m->id = md->id;
	m->fd = fd;
	fd = -1;
	m->nrcpt = md->nrcpt;
	TAILQ_INIT(&m->jobs);
	for (i = 0; i < m->nrcpt; i++)
		dmsg_assign(m, i, r[i]);
	dmsg_finish(m);
 done:
	for (i = 0; i < n; i++)
		rcptref_free(r[i]);
	if (fd != -1)
		close(fd);
}

/* Recipient i is r: into the job of its maildir, made if need be. */
static void
dmsg_assign(struct dmsg *m, int i, const struct rcptref *r)
{
	struct djob	*j;

	TAILQ_FOREACH(j, &m->jobs, entry)
		if (j->uid == r->uid && j->gid == r->gid &&
		    strcmp(j->maildir, r->maildir) == 0)
			break;
	if (j == NULL) {
		if ((j = calloc(1, sizeof(*j))) == NULL) {
			log_warn("lmtp: %s", r->user);
			m->status[i] = DLV_TEMP;
			return;
		}
		j->id = nextjob++;
		j->m = m;
		evtimer_set(&j->pause, job_pause, j);
		j->uid = r->uid;
		j->gid = r->gid;
		j->lim = r->lim;
		(void)strlcpy(j->maildir, r->maildir, sizeof(j->maildir));
		(void)strlcpy(j->user, r->user, sizeof(j->user));
		TAILQ_INSERT_TAIL(&m->jobs, j, entry);
		m->njobs++;
	}
	j->rcpt[j->nrcpt++] = i;
}

/* Every recipient is known: the jobs go to their workers. */
static void
dmsg_finish(struct dmsg *m)
{
	struct djob	*j;

	if (m->njobs == 0) {
		dmsg_reply(m);
		return;
	}
	while ((j = TAILQ_FIRST(&m->jobs)) != NULL) {
		TAILQ_REMOVE(&m->jobs, j, entry);
		job_queue(j);
	}
}

/* Every recipient has its status: tell the lmtp process. */
static void
dmsg_reply(struct dmsg *m)
{
	struct msg_delivered	 out;
	struct proc		*p;

	memset(&out, 0, sizeof(out));
	out.id = m->id;
	out.nrcpt = m->nrcpt;
	memcpy(out.status, m->status, sizeof(out.status));
	dlv_count(out.status, out.nrcpt);
	if ((p = proc_alive(KIND_LMTP, m->lmtppid)) != NULL)
		chan_send(&p->chan, MSG_PARENT_DELIVERED, -1, &out,
		    sizeof(out));
	close(m->fd);
	free(m);
	ndmsgs--;
}

/* The recipients' results, as the lmtp process will answer them. */
static void
dlv_count(const uint32_t *status, uint32_t n)
{
	uint32_t	i;

	for (i = 0; i < n; i++)
		STAT_INC(status[i] == DLV_OK ? STAT_LMTP_OK :
		    status[i] == DLV_QUOTA && !conf->set.quota.temporary ?
		    STAT_LMTP_PERM : STAT_LMTP_TEMP);
}

static void
job_done(struct djob *j, uint32_t status)
{
	struct dmsg	*m = j->m;
	int		 i;

	if (j->counted)
		userquota_seen(j->maildir, &j->lim, &j->use, j->over);
	if (status == DLV_QUOTA && m != NULL)
		STAT_ADD(STAT_REFUSED_QUOTA_DATA, j->nrcpt);
	if (m == NULL) {
		evtimer_del(&j->pause);
		j->done(j->arg, status, j->counted ? &j->use : NULL,
		    j->over);
		free(j);
		return;
	}
	for (i = 0; i < j->nrcpt; i++)
		m->status[j->rcpt[i]] = status;
	evtimer_del(&j->pause);
	free(j);
	if (--m->njobs == 0)
		dmsg_reply(m);
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
	if (j->m == NULL) {
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
	if ((fd = dup(j->m->fd)) == -1) {
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
dworker_intent(struct chan *c, const void *data, int fd)
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
dworker_done(struct chan *c, const void *data, int fd)
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

/*
 * Ask mu's maildir's worker for its use against lim, and whether a
 * message of size bytes fits (0: whether it is over): done(arg, DLV_OK
 * or DLV_QUOTA, the use, whether it is over) or done(arg, DLV_TEMP,
 * NULL, 0), perhaps before this returns.
 */
void
dlvr_quota(const struct mailuser *mu, const struct quota_limit *lim,
    uint64_t size, dlvr_quota_cb done, void *arg)
{
	struct djob	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		log_warn("%s", __func__);
		done(arg, DLV_TEMP, NULL, 0);
		return;
	}
	j->id = nextjob++;
	evtimer_set(&j->pause, job_pause, j);
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

/* SIGCHLD: 1 if pid was a delivery worker we still know. */
int
dlvr_exited(pid_t pid, int status)
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
