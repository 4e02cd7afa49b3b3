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
 * The parent's side of LMTP: it decides who each recipient is at RCPT
 * and starts the dlvrpops with its own copy of the ids, maildir and limit.
 * It reads nothing the workers say, and kills one when the lmtp process
 * asks (timeout delivery: it cannot signal another user).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "chan.h"
#include "lookup.h"
#include "proto.h"
#include "quotarule.h"
#include "util.h"

/*
 * A dlvrpop started for its ref gets these, whatever the lmtp process
 * says.  At most lmtp-sessions times recipients per lmtp process: a
 * session's recipients are forgotten before its DATA is answered.
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

/* A table that cannot answer is a temporary failure, never unknown. */
struct rcpt_wait {
	pid_t			 lmtppid;
	struct msg_rcpt		 mr;
	uint32_t		 next;
	struct mailuser		 mu;		/* found: who, its quota */
	struct quota_limit	 lim;
};

struct dlvrpop {
	LIST_ENTRY(dlvrpop)	 entry;
	pid_t			 pid;
	pid_t			 lmtppid;
	char			*maildir;	/* for logs */
	struct stats_page	*page;		/* whether it is busy, or NULL */
	time_t			 stuck;		/* in the store since, or 0 */
};
static LIST_HEAD(, dlvrpop)	 dlvrpops = LIST_HEAD_INITIALIZER(dlvrpops);
static size_t			 nstuck;	/* of them in the store */
static struct event		 stuckev;
static struct spool_page	*spoolpage;	/* recipients_lmtp_new's */

static int
rcptref_cmp(struct rcptref *a, struct rcptref *b)
{
	return a->ref < b->ref ? -1 : a->ref > b->ref;
}

static struct rcptref *
rcptref_find(pid_t pid, uint64_t ref, int take)
{
	struct rcptref	 key, *r;
	struct proc	*p;

	key.ref = ref;
	if ((r = RB_FIND(rcptreftree, &rcptrefs, &key)) == NULL ||
	    r->lmtppid != pid)
		return NULL;
	if (!take)
		return r;
	RB_REMOVE(rcptreftree, &rcptrefs, r);
	if ((p = proc_alive(KIND_LMTP, pid)) != NULL)
		p->nrefs--;
	return r;
}

static void
rcptref_free(struct rcptref *r)
{
	free(r->maildir);
	free(r);
}

void
recipients_lmtp_new(struct proc *p)
{
	static int			 pagefd = -1;
	struct msg_spoolpage		 m;
	struct proc			*q;
	unsigned int			 used = 0, i;
	int				 fd;

	if (pagefd == -1) {
		if ((fd = compat_page_create("popd-spool",
		    sizeof(*spoolpage))) == -1 || (spoolpage = mmap(NULL,
		    sizeof(*spoolpage), PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0)) == MAP_FAILED) {
			log_warn("lmtp: the spool page");
			spoolpage = NULL;
			if (fd != -1)
				close(fd);
			return;
		}
		pagefd = fd;
	}
	TAILQ_FOREACH(q, &procs, entry)
		if (q->id == KIND_LMTP && q->spoolslot != 0)
			used |= 1U << (q->spoolslot - 1);
	for (i = 0; i < SPOOL_SLOTS && (used & (1U << i)); i++)
		;
	if (i == SPOOL_SLOTS) {
		log_warnx("lmtp: %d lmtp processes: the new one keeps "
		    "within limit lmtp-spool alone", SPOOL_SLOTS + 1);
		return;
	}
	__atomic_store_n(&spoolpage->held[i], 0, __ATOMIC_RELAXED);
	memset(&m, 0, sizeof(m));
	m.slot = i;
	if (send_dup(&p->chan, MSG_PARENT_SPOOLPAGE, pagefd, &m,
	    sizeof(m)) == -1)
		log_warn("lmtp: the spool page");
	else
		p->spoolslot = i + 1;
}

void
recipients_lmtp_gone(struct proc *p)
{
	struct rcptref	*r, *next;

	if (p->spoolslot != 0)
		__atomic_store_n(&spoolpage->held[p->spoolslot - 1], 0,
		    __ATOMIC_RELAXED);
	RB_FOREACH_SAFE(r, rcptreftree, &rcptrefs, next)
		if (r->lmtppid == p->pid) {
			RB_REMOVE(rcptreftree, &rcptrefs, r);
			rcptref_free(r);
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
	ok.id = w->mr.id;
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
			free(r);	/* no maildir */
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
			(void)strlcpy(ok.maildir, mu->maildir,
			    sizeof(ok.maildir));
			ok.uid = mu->uid;
			ok.gid = mu->gid;
			ok.bytes = w->lim.bytes;
			ok.msgs = w->lim.msgs;
		}
	}
	chan_send(&p->chan, MSG_PARENT_RCPT, -1, &ok, sizeof(ok));
 done:
	free(w);
}

static void
rcpt_limit(void *arg, int status, const struct quota_limit *lim)
{
	struct rcpt_wait	*w = arg;

	if (status != LOOKUP_FOUND) {
		rcpt_reply(w, RCPT_QUOTATEMP, NULL);	/* userquota.c logs */
		return;
	}
	w->lim = *lim;
	rcpt_reply(w, RCPT_OK, &w->mu);
}

static void
rcpt_found(void *arg, int status, const struct mailuser *mu,
    const char *why)
{
	struct rcpt_wait	*w = arg;

	switch (status) {
	case MU_FOUND:
		w->mu = *mu;
		if (!userquota_on())
			rcpt_reply(w, RCPT_OK, mu);
		else
			userquota_find(mu->name, rcpt_limit, w);
		break;
	case MU_NONE:
		if (++w->next < w->mr.nkeys)
			mailuser_find(w->mr.key[w->next], rcpt_found, w);
		else
			rcpt_reply(w, RCPT_NONE, NULL);
		break;
	case MU_TEMP:
		log_warnx("lmtp: table %s could not say who \"%s\" is",
		    conf->set.usertab, w->mr.key[w->next]);
		rcpt_reply(w, RCPT_TEMP, NULL);
		break;
	default:
		/*
		 * Ids or a home we refuse are the admin's error, not the
		 * sender's: the mail waits queued (451) until it is fixed.
		 */
		log_warnx("lmtp: the userinfo of \"%s\" in %s%s: %s",
		    w->mr.key[w->next], conf->set.usersrc == TABSRC_LOOKUP ?
		    "table " : "", conf->set.usertab, why);
		rcpt_reply(w, RCPT_TEMP, NULL);
		break;
	}
}

void
parent_lmtp_rcpt(struct chan *c, const void *data, int fd)
{
	const struct msg_rcpt	*mr = data;
	struct rcpt_wait	*w;

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
	w->mr = *mr;
	/* proto.c checked that it names 1 to LMTP_MAXKEYS keys. */
	mailuser_find(w->mr.key[0], rcpt_found, w);
}

void
parent_lmtp_forget(struct chan *c, const void *data, int fd)
{
	const struct msg_deliver	*md = data;
	pid_t				 pid = ((struct proc *)c->arg)->pid;
	struct rcptref			*r;
	uint32_t			 i;

	for (i = 0; i < md->nrcpt; i++) {
		if ((r = rcptref_find(pid, md->ref[i], 1)) == NULL) {
			chan_bad(c, "%s of recipient %llu, not one of its "
			    "transactions'", msg_type_str(MSG_LMTP_FORGET),
			    (unsigned long long)md->ref[i]);
			return;
		}
		rcptref_free(r);
	}
}

/* lmtp's timeout delivery has the parent kill one, which may not end it. */
static void
dlvrpops_tick(int fd, short ev, void *arg)
{
	struct dlvrpop	*d;

	LIST_FOREACH(d, &dlvrpops, entry)
		nstuck += store_watch(d->page, &d->stuck,
		    conf->set.timeout.store, "dlvrpop", d->pid,
		    "for", d->maildir);
	health_stuck(1, nstuck);
}

/* At most twice limit delivery-workers per lmtp process, unreaped too. */
void
parent_lmtp_dlvrpop(struct chan *c, const void *data, int fd)
{
	const struct msg_dlvrpop	*m = data;
	pid_t				 pid = ((struct proc *)c->arg)->pid;
	struct msg_dlvrpop		 out;
	struct msg_worker		 who;	/* a delivery has no client */
	struct mailuser			 mu;
	struct timeval			 tv = { 1, 0 };
	struct rcptref			*r;
	struct dlvrpop			*d;
	size_t				 n = 0;
	int				 sp[2] = { -1, -1 }, pagefd = -1;

	memset(&out, 0, sizeof(out));
	out.ref = m->ref;
	/* A transaction that ended as its worker was asked for: none. */
	if ((r = rcptref_find(pid, m->ref, 0)) == NULL) {
		log_debug("lmtp: a dlvrpop for recipient %llu, forgotten",
		    (unsigned long long)m->ref);
		goto fail;
	}
	LIST_FOREACH(d, &dlvrpops, entry)
		n += d->lmtppid == pid;
	if (n >= 2 * (size_t)conf->set.limit.delivery_workers) {
		log_warnx("lmtp: %zu dlvrpops already (twice limit "
		    "delivery-workers)", n);
		goto fail;
	}
	memset(&who, 0, sizeof(who));
	who.qbytes = r->lim.bytes;
	who.qmsgs = r->lim.msgs;
	memset(&mu, 0, sizeof(mu));
	(void)strlcpy(mu.name, r->user, sizeof(mu.name));
	mu.uid = r->uid;
	mu.gid = r->gid;
	(void)strlcpy(mu.maildir, r->maildir, sizeof(mu.maildir));
	if ((d = calloc(1, sizeof(*d))) != NULL &&
	    /* Its page says only when it is busy (dlvrpops_tick). */
	    (d->page = stats_page_new(&pagefd)) != NULL &&
	    store_busy_init(pagefd) == -1)
		log_warn("dlvrpop for %s: its page", r->user);
	if (d == NULL || (d->maildir = strdup(r->maildir)) == NULL ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1 ||
	    (d->pid = mailuser_spawn(WORKER_DELIVER, &mu, &who, sp[1], pagefd,
	    NULL)) == -1) {
		log_warn("lmtp: cannot start a delivery worker for %s",
		    r->user);
		if (d != NULL) {
			free(d->maildir);
			stats_page_free(d->page);
			if (pagefd != -1 && d->pid != -1)
				close(pagefd);	/* mailuser_spawn takes it */
		}
		free(d);
		if (sp[0] != -1) {
			close(sp[0]);
			close(sp[1]);
		}
		goto fail;
	}
	close(sp[1]);
	d->lmtppid = pid;
	LIST_INSERT_HEAD(&dlvrpops, d, entry);
	if (!event_initialized(&stuckev)) {
		event_set(&stuckev, -1, EV_PERSIST, dlvrpops_tick, NULL);
		if (event_add(&stuckev, &tv) == -1)
			fatal("%s: event_add", __func__);
	}
	log_debug("dlvrpop for %s: pid %d, uid %u gid %u, %s", r->user,
	    (int)d->pid, (unsigned)r->uid, (unsigned)r->gid, r->maildir);
	out.pid = d->pid;
	chan_send(c, MSG_PARENT_DLVRPOP, sp[0], &out, sizeof(out));
	return;
 fail:
	chan_send(c, MSG_PARENT_NODLVRPOP, -1, &out, sizeof(out));
}

void
parent_lmtp_kill(struct chan *c, const void *data, int fd)
{
	const struct msg_dlvrpop	*m = data;
	pid_t				 pid = ((struct proc *)c->arg)->pid;
	struct dlvrpop			*d;

	LIST_FOREACH(d, &dlvrpops, entry)
		if (d->pid == m->pid && d->lmtppid == pid) {
			(void)kill(d->pid, SIGKILL);
			return;
		}
	log_debug("lmtp: kill %d: not one of its dlvrpops, or reaped",
	    (int)m->pid);
}

int
dlvrpops_exited(pid_t pid, int status)
{
	struct dlvrpop	*d;

	LIST_FOREACH(d, &dlvrpops, entry)
		if (d->pid == pid)
			break;
	if (d == NULL)
		return 0;
	if (WIFSIGNALED(status))
		log_warnx("dlvrpop %d for %s killed by signal %d", (int)pid,
		    d->maildir, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		log_warnx("dlvrpop %d for %s exited %d", (int)pid, d->maildir,
		    WEXITSTATUS(status));
	LIST_REMOVE(d, entry);
	if (d->stuck != 0) {
		log_info("dlvrpop %d for %s: ended after %lld s stuck in the "
		    "mail store", (int)pid, d->maildir,
		    (long long)(time(NULL) - d->stuck));
		health_stuck(1, --nstuck);
	}
	stats_page_free(d->page);
	free(d->maildir);
	free(d);
	return 1;
}
