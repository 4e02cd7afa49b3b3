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
 * commands.c -- popctl's commands, answered with records that the control
 * process prints: nothing is formatted here.  What only a maildir says, a
 * wrkrpop of the user answers (struct mdjob).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "chan.h"
#include "config.h"
#include "stats.h"
#include "lookup.h"
#include "quotarule.h"
#include "util.h"

#define JOB_TIMEOUT	10	/* seconds for a look at a maildir */
#define UNDELETE_TIMEOUT 60	/* seconds for an undelete */

/*
 * A wrkrpop works on the maildir as the user (the parent never opens one) and
 * writes text that control relays: the parent reads none of it.  a is NULL
 * once the answer ended at the timeout.
 */
struct mdjob {
	LIST_ENTRY(mdjob)	 entry;
	struct ctlans		*a;
	uint32_t		 kind;	/* WORKER_JOURNAL, _UNDELETE, _KEPT */
	struct msg_worker	 who;	/* what the wrkrpop is told */
	pid_t			 pid;
	struct event		 tmo;
	struct mailuser		 mu;
	uint32_t		 junkfrom;	/* CTLJ_*: show user, quota */
	struct conf_junk	 junk;
	struct quota_limit	 lim;	/* show quota: the use against it */
};
static LIST_HEAD(, mdjob)	 mdjobs = LIST_HEAD_INITIALIZER(mdjobs);

static const char *
listener_name(uint32_t i)
{
	static char		 names[MAX_LISTEN][PEER_STRLEN];
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (i >= (uint32_t)nlistens)
		return NULL;
	if (names[i][0] == '\0') {
		if (getsockname(listens[i].fd, (struct sockaddr *)&ss,
		    &len) == -1)
			return NULL;
		(void)strlcpy(names[i], sockaddr_str((struct sockaddr *)&ss,
		    len), sizeof(names[i]));
	}
	return names[i];
}

static void
session_add(struct ctlans *a, const struct ctl_session *r)
{
	static struct msg_ctlsessions	m;

	if (r != NULL)
		m.rec[m.n++] = *r;
	if ((r == NULL && m.n > 0) || m.n == nitems(m.rec)) {
		ctlans_rec(a, MSG_PARENT_CTLSESSIONS, -1, &m, sizeof(m));
		memset(&m, 0, sizeof(m));
	}
}

static void
session_row(const struct sessview *v, void *a)
{
	struct ctl_session	 s;
	const char		*name;
	uint64_t		 c[STAT_MAX];

	memset(&s, 0, sizeof(s));
	(void)strlcpy(s.user, v->user != NULL ? v->user : "", sizeof(s.user));
	s.peer = *v->peer;
	if ((name = listener_name(v->sock)) != NULL)
		(void)strlcpy(s.listener, name, sizeof(s.listener));
	s.since = v->since;
	s.state = CTLS_AUTHORIZATION;
	if (v->page != NULL) {
		stats_read(v->page, c);
		s.state = CTLS_AUTHORIZATION + stats_state(v->page);
		s.counted = 1;
		s.retr = c[STAT_RETRIEVED];
		s.octets = c[STAT_RETRIEVED_OCTETS];
		s.marked = stats_marked(v->page);
		if (v->stuck != 0)
			s.state = CTLS_STUCK;
	}
	session_add(a, &s);
}

void
ctl_show_sessions(struct ctlans *a, const struct msg_ctlreq *r)
{
	login_walk(session_row, a);
	session_add(a, NULL);
	ctlans_end(a, NULL);
}

static void
gauge(const struct sessview *v, void *arg)
{
	struct msg_ctlstats	*m = arg;
	uint32_t		 st;

	st = v->page != NULL ? stats_state(v->page) : PAGE_LOGIN;
	if (st == PAGE_TRANSACTION)
		m->transaction++;
	else if (st == PAGE_UPDATE)
		m->update++;
	else
		m->authorization++;
}

void
ctl_show_stats(struct ctlans *a, const struct msg_ctlreq *r)
{
	static struct msg_ctlstats	 m;
	const struct conf_pki		*pki;
	struct proc			*p;
	size_t				 i;

	memset(&m, 0, sizeof(m));
	counters_show(&m);
	login_walk(gauge, &m);
	m.stuck = health_stuck_now();
	/* What the lmtp processes last saw; a draining one's is older. */
	TAILQ_FOREACH(p, &procs, entry)
		if (p->id == KIND_LMTP && p->page != NULL &&
		    p->page->quota_over > m.quota_over)
			m.quota_over = p->page->quota_over;
	TAILQ_FOREACH(pki, &conf->pkis, entry)
		if (pki->served != NULL && m.ncerts < nitems(m.cert)) {
			(void)strlcpy(m.cert[m.ncerts].name, pki->name,
			    sizeof(m.cert[0].name));
			m.cert[m.ncerts].refused = pki->served->refused;
			m.cert[m.ncerts++].notafter = pki->served->notafter;
		}
	if (users.kinds_read)
		m.nologin = users.nologin;
	for (i = 0; users.kinds_read && i < users.kinds.nkinds &&
	    i < nitems(m.kind); i++, m.nkinds++) {
		(void)strlcpy(m.kind[i].name, users.kinds.name[i],
		    sizeof(m.kind[i].name));
		m.kind[i].weak = users.kinds.weak[i] != 0;
		m.kind[i].n = users.kinds.n[i];
	}
	ctlans_rec(a, MSG_PARENT_CTLSTATS, -1, &m, sizeof(m));
	ctlans_end(a, NULL);
}

void
ctl_show_certificates(struct ctlans *a, const struct msg_ctlreq *r)
{
	static struct msg_ctlcert	 m;
	const struct conf_pki		*pki;
	const struct pki_served		*sv;

	TAILQ_FOREACH(pki, &conf->pkis, entry) {
		if ((sv = pki->served) == NULL)
			continue;
		memset(&m, 0, sizeof(m));
		(void)strlcpy(m.name, pki->name, sizeof(m.name));
		(void)strlcpy(m.subject, sv->subject, sizeof(m.subject));
		(void)strlcpy(m.serial, sv->serial, sizeof(m.serial));
		(void)strlcpy(m.sha256, sv->sha256, sizeof(m.sha256));
		(void)strlcpy(m.cert, pki->cert, sizeof(m.cert));
		(void)strlcpy(m.key, pki->key, sizeof(m.key));
		m.notafter = sv->notafter;
		m.loaded = sv->loaded;
		if ((m.refused = sv->refused) != 0)
			(void)strlcpy(m.why, sv->refusedwhy, sizeof(m.why));
		ctlans_rec(a, MSG_PARENT_CTLCERT, -1, &m, sizeof(m));
	}
	ctlans_end(a, NULL);
}

void
ctl_kick_user(struct ctlans *a, const struct msg_ctlreq *r)
{
	int	n;

	n = login_kick_user(r->user);
	log_info("control: kick user \"%s\" by uid %u: %d session%s ended",
	    r->user, (unsigned)ctlans_uid(a), n, n == 1 ? "" : "s");
	ctlans_count(a, n);
}

void
ctl_drain(struct ctlans *a, const struct msg_ctlreq *r)
{
	if (r->net.af != 0)
		ctlans_end(a, NULL);
	else
		health_drain(a, r->cmd == CTL_DRAIN);
}

static void
mdjob_done(struct mdjob *j, const char *why)
{
	ctlans_end(j->a, why);
	free(j);
}

/*
 * The job waits for its reaping (mdjob_exited), so that its pid is never
 * another's.
 */
static void
mdjob_timeout(int fd, short ev, void *arg)
{
	struct mdjob	*j = arg;

	(void)kill(j->pid, SIGKILL);
	ctlans_end(j->a, "the maildir's reader did not finish in time");
	j->a = NULL;
}

static void
mdjob_start(struct mdjob *j, uint32_t quota)
{
	static struct msg_ctluser	 u;
	struct msg_ctlq			 m;
	struct timeval			 tv = { j->kind == WORKER_UNDELETE ?
					    UNDELETE_TIMEOUT : JOB_TIMEOUT, 0 };
	int				 sp[2];

	memset(&u, 0, sizeof(u));
	(void)strlcpy(u.user, j->mu.name, sizeof(u.user));
	(void)strlcpy(u.maildir, j->mu.maildir, sizeof(u.maildir));
	u.quota = quota;
	u.limit_bytes = j->lim.bytes;
	u.limit_msgs = j->lim.msgs;
	u.junkfrom = j->junkfrom;
	u.junk = j->junk;
	ctlans_rec(j->a, MSG_PARENT_CTLUSER, -1, &u, sizeof(u));
	j->who.qbytes = j->lim.bytes;
	j->who.qmsgs = j->lim.msgs;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("control: the maildir of %s", j->mu.name);
		mdjob_done(j, "cannot start the maildir's reader: see the log");
		return;
	}
	if ((j->pid = mailuser_spawn(j->kind, &j->mu, &j->who, sp[1], -1,
	    NULL)) == -1) {
		close(sp[0]);
		close(sp[1]);
		mdjob_done(j, "cannot start the maildir's reader: see the log");
		return;
	}
	close(sp[1]);
	memset(&m, 0, sizeof(m));
	ctlans_rec(j->a, MSG_PARENT_CTLRELAY, sp[0], &m, sizeof(m));
	evtimer_set(&j->tmo, mdjob_timeout, j);
	if (evtimer_add(&j->tmo, &tv) == -1)
		fatal("%s: evtimer_add", __func__);
	LIST_INSERT_HEAD(&mdjobs, j, entry);
}

static void
mdjob_limit(void *arg, int status, const struct quota_limit *lim)
{
	struct mdjob	*j = arg;

	if (status != LOOKUP_FOUND) {
		mdjob_done(j, "the quota table cannot answer");
		return;
	}
	j->lim = *lim;
	mdjob_start(j, lim->bytes == 0 && lim->msgs == 0 ? CTLQ_NOLIMIT :
	    CTLQ_LIMIT);
}

static void
mdjob_junk(void *arg, int status, const struct conf_junk *junk)
{
	struct mdjob	*j = arg;

	j->junkfrom = status == LOOKUP_FOUND ? CTLJ_TABLE :
	    status == LOOKUP_NONE ? CTLJ_DEFAULT : CTLJ_TEMP;
	if (junk != NULL)
		j->junk = *junk;
	if (j->kind == WORKER_KEPT)
		userquota_find(j->mu.name, mdjob_limit, j);
	else
		mdjob_start(j, CTLQ_NONE);
}

static void
mdjob_user(void *arg, int status, const struct mailuser *mu,
    const char *why)
{
	struct mdjob	*j = arg;

	if (status != MU_FOUND) {
		mdjob_done(j, status == MU_NONE ? "no such user" :
		    status == MU_TEMP ? "the user table cannot answer" :
		    "the user's userinfo is refused");
		return;
	}
	j->mu = *mu;
	if (j->kind == WORKER_UNDELETE)
		mdjob_start(j, CTLQ_NONE);
	else
		userjunk_find(mu->name, mdjob_junk, j);
}

void
ctl_mdjob(struct ctlans *a, const struct msg_ctlreq *r)
{
	struct mdjob	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		ctlans_end(a, "out of memory");
		return;
	}
	j->a = a;
	j->kind = r->cmd == CTL_SHOW_QUOTA ? WORKER_KEPT :
	    r->cmd == CTL_SHOW_USER ? WORKER_JOURNAL : WORKER_UNDELETE;
	if (j->kind != WORKER_KEPT) {
		(void)strlcpy(j->who.find, r->find, sizeof(j->who.find));
		j->who.since = r->since;
	}
	mailuser_find(r->user, mdjob_user, j);
}

/*
 * 1 if a job's wrkrpop: its answer ends ok, as an error is its text's last
 * line.
 */
int
mdjob_exited(pid_t pid, int status)
{
	struct mdjob	*j;

	LIST_FOREACH(j, &mdjobs, entry)
		if (j->pid == pid)
			break;
	if (j == NULL)
		return 0;
	LIST_REMOVE(j, entry);
	evtimer_del(&j->tmo);
	if (j->a != NULL)
		ctlans_end(j->a, NULL);
	free(j);
	return 1;
}

void
ctl_mda_report(struct ctlans *a, const struct msg_ctlreq *r)
{
	STAT_INC(r->cmd == CTL_MDA_DELIVERED ? STAT_MDA_OK :
	    r->cmd == CTL_MDA_QUOTA ? STAT_REFUSED_QUOTA_MDA : STAT_MDA_TEMP);
	ctlans_end(a, NULL);
}
