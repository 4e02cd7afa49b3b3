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
 * recipients.c -- the parent's side of LMTP transactions.  The lmtp
 * process (lmtp/) parses what the MTA says and names recipients; here
 * the parent decides who they are at RCPT (mailuser.c, as for a login),
 * keeps that for the transaction, and at DATA hands the message to the
 * delivery workers (dworkers.c), one job per maildir: recipients that
 * share a maildir share one job, one worker round trip, one copy.
 *
 * Quotas (userquota.c has each user's limit): a recipient with a limit
 * is checked at RCPT by its maildir's worker (a job without a message),
 * which refuses it when the maildir is over, or when SIZE= says the
 * message cannot fit, unless that worker said within seconds that it
 * had room (userquota_room); its delivery job carries the limit, and
 * the worker refuses it (DLV_QUOTA) if the message does not fit then.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <limits.h>
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

/* One maildir's recipients of one message: one delivery job. */
struct dgroup {
	TAILQ_ENTRY(dgroup)	 entry;
	struct dmsg		*m;
	struct mailuser		 mu;		/* the first recipient */
	struct quota_limit	 lim;		/* the first's */
	int			 rcpt[LMTP_MAXRCPT];	/* indices in m */
	int			 nrcpt;
};
TAILQ_HEAD(dgroupq, dgroup);

/* One MSG_LMTP_DELIVER, until every recipient has a status. */
struct dmsg {
	pid_t			 lmtppid;
	uint64_t		 id;
	int			 fd;		/* the message */
	uint32_t		 nrcpt;
	uint32_t		 status[LMTP_MAXRCPT];
	struct dgroupq		 groups;	/* until they are queued */
	int			 njobs;		/* jobs not done */
};

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

struct rcpt_wait;

static void	 rcpt_next(struct rcpt_wait *);
static void	 rcpt_found(void *, int, const struct mailuser *,
		    const char *);
static void	 rcpt_limit(void *, int, const struct quota_limit *);
static void	 rcpt_use(void *, uint32_t, const struct quota_use *, int);
static void	 rcpt_reply(struct rcpt_wait *, uint32_t,
		    const struct mailuser *);
static void	 dmsg_assign(struct dmsg *, int, const struct rcptref *);
static void	 dmsg_finish(struct dmsg *);
static void	 dmsg_done(void *, uint32_t, const struct quota_use *, int);
static void	 dmsg_reply(struct dmsg *);
static void	 dlv_count(const uint32_t *, uint32_t);

static size_t			 ndmsgs;

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
recipients_lmtp_gone(pid_t pid)
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
	dworkers_job(&w->mu, lim, -1, w->size, rcpt_use, w);
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
	TAILQ_INIT(&m->groups);
	for (i = 0; i < m->nrcpt; i++)
		dmsg_assign(m, i, r[i]);
	dmsg_finish(m);
 done:
	for (i = 0; i < n; i++)
		rcptref_free(r[i]);
	if (fd != -1)
		close(fd);
}

/* Recipient i is r: into the group of its maildir, made if need be. */
static void
dmsg_assign(struct dmsg *m, int i, const struct rcptref *r)
{
	struct dgroup	*g;

	TAILQ_FOREACH(g, &m->groups, entry)
		if (g->mu.uid == r->uid && g->mu.gid == r->gid &&
		    strcmp(g->mu.maildir, r->maildir) == 0)
			break;
	if (g == NULL) {
		if ((g = calloc(1, sizeof(*g))) == NULL) {
			log_warn("lmtp: %s", r->user);
			m->status[i] = DLV_TEMP;
			return;
		}
		g->m = m;
		g->mu.uid = r->uid;
		g->mu.gid = r->gid;
		(void)strlcpy(g->mu.maildir, r->maildir,
		    sizeof(g->mu.maildir));
		(void)strlcpy(g->mu.name, r->user, sizeof(g->mu.name));
		g->lim = r->lim;
		TAILQ_INSERT_TAIL(&m->groups, g, entry);
	}
	g->rcpt[g->nrcpt++] = i;
}

/*
 * Every recipient is known: a job per group.  One more job than there
 * are is counted until all are queued, so that jobs done before this
 * returns cannot end the message under it.
 */
static void
dmsg_finish(struct dmsg *m)
{
	struct dgroup	*g;

	m->njobs = 1;
	while ((g = TAILQ_FIRST(&m->groups)) != NULL) {
		TAILQ_REMOVE(&m->groups, g, entry);
		m->njobs++;
		dworkers_job(&g->mu, &g->lim, m->fd, 0, dmsg_done, g);
	}
	if (--m->njobs == 0)
		dmsg_reply(m);
}

/* A group's job is done: its recipients have their status. */
static void
dmsg_done(void *arg, uint32_t status, const struct quota_use *use, int over)
{
	struct dgroup	*g = arg;
	struct dmsg	*m = g->m;
	int		 i;

	if (status == DLV_QUOTA)
		STAT_ADD(STAT_REFUSED_QUOTA_DATA, g->nrcpt);
	for (i = 0; i < g->nrcpt; i++)
		m->status[g->rcpt[i]] = status;
	free(g);
	if (--m->njobs == 0)
		dmsg_reply(m);
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
