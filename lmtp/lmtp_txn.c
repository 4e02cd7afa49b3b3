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
 * The lmtp process's transactions: the recipients the parent accepted,
 * and the message spooled once into a sealed file within limit
 * message-size and limit lmtp-spool, then one job per maildir.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "proto.h"
#include "chan.h"
#include "log.h"
#include "stats.h"
#include "lmtp.h"

static const struct conf_settings	*set;
static struct chan			*parent;
static txn_done_cb			 delivered;

/* One job per maildir and limit: one round trip, one copy. */
struct tgroup {
	struct tmsg	*m;
	size_t		 first;		/* its first recipient's index */
};
struct tmsg {
	LIST_ENTRY(tmsg) entry;
	uint64_t	 id;
	int		 fd;		/* the sealed spool */
	size_t		 nrcpt;
	uint32_t	 status[LMTP_MAXRCPT];
	uint64_t	 ref[LMTP_MAXRCPT];
	size_t		 group[LMTP_MAXRCPT];	/* each one's group's first */
	struct tgroup	 g[LMTP_MAXRCPT];	/* a job's, at its first */
	int		 njobs;		/* not done */
	struct event	 ev;		/* the answer, from the event loop */
};
static LIST_HEAD(, tmsg)		 tmsgs = LIST_HEAD_INITIALIZER(tmsgs);
static long long			 spooled;	/* all .held */
static long long			 bycounted;	/* of it, counted peers' */
/* What the other lmtp processes spool: the parent's page, our slot. */
static struct spool_page		*page;
static uint32_t				 slot;

void
txn_init(const struct conf_settings *conf, struct chan *c, txn_done_cb cb)
{
	set = conf;
	parent = c;
	delivered = cb;
}

void
txn_key(struct pool_key *k, const struct msg_rcptok *m)
{
	memset(k, 0, sizeof(*k));
	k->uid = m->uid;
	k->gid = m->gid;
	k->bytes = m->bytes;
	k->msgs = m->msgs;
	(void)strlcpy(k->maildir, m->maildir, sizeof(k->maildir));
}

/*
 * Every lmtp process says what it spools here, so a draining one and the
 * current one keep within limit lmtp-spool together.
 */
void
txn_parent_spoolpage(struct chan *c, const void *data, int fd)
{
	const struct msg_spoolpage	*m = data;
	struct stat			 st;
	void				*p;

	if (page != NULL)
		fatalx("a second spool page");
	if (fstat(fd, &st) == -1 || st.st_size < (off_t)sizeof(*page) ||
	    (p = mmap(NULL, sizeof(*page), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0)) == MAP_FAILED)
		log_warn("spool page not mapped: limit lmtp-spool counts "
		    "this process alone");
	else {
		page = p;
		slot = m->slot;
	}
	close(fd);
}

/* A peer's page is read as any of its messages: the limit at most. */
static long long
spooled_elsewhere(void)
{
	long long	 n = 0, v;
	size_t		 i;

	if (page == NULL)
		return 0;
	for (i = 0; i < SPOOL_SLOTS; i++) {
		if (i == slot)
			continue;
		v = __atomic_load_n(&page->held[i], __ATOMIC_RELAXED);
		if (v > 0)
			n += v < set->limit.lmtp_spool ? v :
			    set->limit.lmtp_spool;
	}
	return n;
}

static void
txn_hold(struct lmtp_txn *t, long long n)
{
	spooled += n;
	t->held += n;
	t->peer->held += n;
	if (t->peer->counted)
		bycounted += n;
	if (page != NULL)
		__atomic_store_n(&page->held[slot], spooled,
		    __ATOMIC_RELAXED);
}

long long
txn_spooled(void)
{
	return spooled;
}

/* A counted peer leaves one limit message-size to root and the MTA. */
long long
txn_room(const struct lmtp_txn *t)
{
	long long	room, left, others = spooled_elsewhere();

	room = set->limit.lmtp_spool - spooled - others;
	if (t->peer->counted) {
		left = set->limit.lmtp_spool - set->limit.message_size -
		    bycounted - others;
		if (left < room)
			room = left;
	}
	return room > 0 ? room : 0;
}

int
txn_rcpt(struct lmtp_txn *t, const struct msg_rcptok *m)
{
	struct lmtp_rcpt	*r;

	if (t->nrcpt == t->rcptcap) {
		if ((r = reallocarray(t->rcpts, t->rcptcap + 8,
		    sizeof(*r))) == NULL)
			return -1;
		t->rcpts = r;
		t->rcptcap += 8;
	}
	r = &t->rcpts[t->nrcpt++];
	(void)strlcpy(r->addr, t->asked, sizeof(r->addr));
	(void)strlcpy(r->user, m->user, sizeof(r->user));
	r->ref = m->ref;
	txn_key(&r->key, m);
	return 0;
}

/* RSET, LHLO, close; tmsg_done forgets recipients a delivery holds. */
void
txn_reset(struct lmtp_txn *t)
{
	uint64_t	ref[LMTP_MAXRCPT];
	size_t		i;

	if (t->nrcpt > 0 && !t->handed) {
		for (i = 0; i < t->nrcpt; i++)
			ref[i] = t->rcpts[i].ref;
		rcpt_forget(ref, t->nrcpt);
	}
	t->handed = 0;
	if (t->spoolro != -1 && t->spoolro != t->spool)
		close(t->spoolro);
	if (t->spool != -1)
		close(t->spool);
	t->spool = t->spoolro = -1;
	t->mail = 0;
	t->sender[0] = '\0';
	t->declared = 0;
	t->nrcpt = 0;
	t->msgsize = t->octets = t->hdrlen = 0;
	t->toobig = t->spoolerr = t->full = 0;
	txn_hold(t, -t->held);
}

void
rcpt_forget(const uint64_t *ref, size_t n)
{
	struct msg_deliver	md;

	memset(&md, 0, sizeof(md));
	md.nrcpt = n;
	memcpy(md.ref, ref, n * sizeof(*ref));
	chan_send(parent, MSG_LMTP_FORGET, -1, &md, sizeof(md));
}

int
txn_spool(struct lmtp_txn *t)
{
	if ((t->spool = compat_spool_ro("lmtp", &t->spoolro)) == -1) {
		log_warn("%s: spool", t->client);
		return -1;
	}
	t->nhead = 0;
	t->headdone = 0;
	return 0;
}

/*
 * mda's Return-Path goes first, unless the message has one (smtpd's lmtp
 * client sends it).  -1: a write error.
 */
static int
txn_head(struct lmtp_txn *t, const char *p, size_t len)
{
	char	hdr[LMTP_MAXADDR + 32];
	size_t	take;
	int	n;

	take = sizeof(t->head) - t->nhead;
	if (take > len)
		take = len;
	memcpy(t->head + t->nhead, p, take);
	t->nhead += take;
	if (t->nhead < sizeof(t->head) && len > 0)
		return 0;
	t->headdone = 1;
	if (t->nhead < sizeof(t->head) ||
	    strncasecmp(t->head, RETURN_PATH, sizeof(t->head)) != 0) {
		n = snprintf(hdr, sizeof(hdr), "Return-Path: <%s>\n",
		    t->sender);
		if (n < 0 || (size_t)n >= sizeof(hdr) ||
		    write_all(t->spool, hdr, n) == -1)
			return -1;
		t->hdrlen = n;
	}
	if (write_all(t->spool, t->head, t->nhead) == -1 ||
	    write_all(t->spool, p + take, len - take) == -1)
		return -1;
	return 0;
}

/* Past limit message-size, bytes are read and dropped, then refused. */
void
txn_write(struct lmtp_txn *t, const char *p, size_t len)
{
	const char	*lf, *end = p + len;
	long long	 octets = len;

	if (len == 0 || t->toobig || t->spoolerr || t->full)
		return;
	/* limit message-size is RFC 1870's: CRLF, but we hold LF. */
	for (lf = p; (lf = memchr(lf, '\n', end - lf)) != NULL; lf++)
		octets++;
	if (t->octets + octets > set->limit.message_size) {
		t->toobig = 1;
		return;
	}
	t->octets += octets;
	if ((long long)len > txn_room(t)) {
		t->full = spooled + spooled_elsewhere() + (long long)len >
		    set->limit.lmtp_spool ? TXN_FULL : TXN_FULL_KEPT;
		return;
	}
	txn_hold(t, len);
	if (t->headdone ? write_all(t->spool, p, len) :
	    txn_head(t, p, len)) {
		log_warn("%s: spool", t->client);
		t->spoolerr = 1;
		return;
	}
	t->msgsize += len;
}

/* NULL if the message may go on, else why it is refused. */
const char *
txn_end(struct lmtp_txn *t)
{
	if (!t->toobig && !t->spoolerr && !t->headdone &&
	    txn_head(t, "", 0) == -1) {
		log_warn("%s: spool", t->client);
		t->spoolerr = 1;
	}
	if (!t->toobig && !t->spoolerr && compat_spool_seal(t->spool) == -1) {
		log_warn("%s: seal the spool", t->client);
		t->spoolerr = 1;
	}
	/* Where nothing seals it, we keep no descriptor that can write. */
	if (t->spoolro != t->spool) {
		close(t->spool);
		t->spool = t->spoolro;
	}
	if (t->toobig)
		return "message too big";
	if (t->spoolerr)
		return "temporary failure, cannot spool the message";
	if (t->full == TXN_FULL)
		return "temporary failure, limit lmtp-spool reached";
	if (t->full)
		return "temporary failure, limit lmtp-spool reached but for "
		    "what is kept for root and the MTA's user";
	return NULL;
}

static void
tmsg_done(void *arg, uint32_t status, const struct quota_use *use, int over)
{
	struct timeval	 tv = { 0, 0 };
	struct tgroup	*g = arg;
	struct tmsg	*m = g->m;
	size_t		 i, n = 0;

	for (i = 0; i < m->nrcpt; i++)
		if (m->group[i] == g->first) {
			m->status[i] = status;
			n++;
		}
	if (status == DLV_QUOTA)
		STAT_ADD(STAT_REFUSED_QUOTA_DATA, n);
	if (--m->njobs == 0)
		evtimer_add(&m->ev, &tv);
}

static void
tmsg_answer(int fd, short ev, void *arg)
{
	struct tmsg	*m = arg;

	LIST_REMOVE(m, entry);
	rcpt_forget(m->ref, m->nrcpt);
	close(m->fd);
	delivered(m->id, m->status, m->nrcpt);
	free(m);
}

/*
 * Every job is counted before the first is queued, and the answer comes
 * from the event loop, even for jobs done before this returns.
 */
int
txn_deliver(struct lmtp_txn *t, uint64_t id)
{
	struct tmsg	*m;
	size_t		 i, k;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		log_warn("%s: delivery", t->client);
		return -1;
	}
	t->handed = 1;
	LIST_INSERT_HEAD(&tmsgs, m, entry);
	evtimer_set(&m->ev, tmsg_answer, m);
	m->id = id;
	m->fd = t->spool;
	t->spool = t->spoolro = -1;
	m->nrcpt = t->nrcpt;
	for (i = 0; i < t->nrcpt; i++) {
		m->ref[i] = t->rcpts[i].ref;
		for (k = 0; k < i; k++)
			if (memcmp(&t->rcpts[k].key, &t->rcpts[i].key,
			    sizeof(struct pool_key)) == 0)
				break;
		m->group[i] = k;
		m->g[i].m = m;
		m->g[i].first = i;
		m->njobs += k == i;
	}
	/* DATA has a recipient at least (lmtp.c): njobs is not 0. */
	for (i = 0; i < t->nrcpt; i++)
		if (m->group[i] == i)
			pool_job(&t->rcpts[i].key, t->rcpts[i].ref, m->fd, 0,
			    tmsg_done, &m->g[i]);
	return 0;
}

/*
 * The client left: no worker may commit now, or the MTA's retry makes a
 * second copy.  A worker inside a job is killed before its commit.
 */
void
txn_cancel(uint64_t id)
{
	struct tmsg	*m;
	size_t		 i, n;

	LIST_FOREACH(m, &tmsgs, entry)
		if (m->id == id)
			break;
	if (m == NULL)
		return;
	for (i = 0, n = m->nrcpt; i < n; i++)
		if (m->group[i] == i)
			pool_cancel(&m->g[i]);
}
