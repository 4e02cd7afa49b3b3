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
 * lastuse.c -- each app password's last use, kept for show app-passwords and
 * written to the state file at most every LASTUSE_FLUSH seconds, in place (we
 * may not make files).  Its lines are outside bytes, checked as a message is.
 * At most LASTUSE_MAX are kept, the oldest forgotten first: an authpop reports
 * labels we cannot check.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "protodecl.h"
#include "chan.h"
#include "control.h"

#define LASTUSE_FLUSH	60		/* seconds: the state file's staleness */
#define LASTUSE_MAX	100000		/* kept: about 20 MB */
#define LASTUSE_TIMEMAX	253402300799LL	/* 9999-12-31T23:59:59Z */

struct lastuse {
	RB_ENTRY(lastuse)	 entry;
	TAILQ_ENTRY(lastuse)	 age;	/* the oldest use first */
	struct lastuse_rec	 r;
};
RB_HEAD(lastuses, lastuse);
TAILQ_HEAD(lastages, lastuse);

static int
lastuse_cmp(struct lastuse *a, struct lastuse *b)
{
	int	c;

	if ((c = strcmp(a->r.user, b->r.user)) != 0)
		return c;
	return strcmp(a->r.label, b->r.label);
}

RB_PROTOTYPE_STATIC(lastuses, lastuse, entry, lastuse_cmp)
RB_GENERATE_STATIC(lastuses, lastuse, entry, lastuse_cmp)

static struct lastuses	 lasts = RB_INITIALIZER(&lasts);
static struct lastages	 ages = TAILQ_HEAD_INITIALIZER(ages);
static size_t		 nlasts;
static int		 statefd = -1;
static int		 dirty;
static struct event	 flush_ev;

static struct lastuse *
lastuse_find(const char *user, const char *label)
{
	struct lastuse	k;

	if (strlcpy(k.r.user, user, sizeof(k.r.user)) >= sizeof(k.r.user) ||
	    strlcpy(k.r.label, label, sizeof(k.r.label)) >= sizeof(k.r.label))
		return NULL;
	return RB_FIND(lastuses, &lasts, &k);
}

static void
lastuse_drop(struct lastuse *l)
{
	RB_REMOVE(lastuses, &lasts, l);
	TAILQ_REMOVE(&ages, l, age);
	free(l);
	nlasts--;
}

static void
lastuse_put(const struct lastuse_rec *r)
{
	struct lastuse	*l;

	if ((l = lastuse_find(r->user, r->label)) != NULL) {
		if (l->r.at > r->at)
			return;
		TAILQ_REMOVE(&ages, l, age);
	} else {
		if (nlasts >= LASTUSE_MAX)
			lastuse_drop(TAILQ_FIRST(&ages));
		if ((l = calloc(1, sizeof(*l))) == NULL) {
			log_warn("%s", __func__);
			return;
		}
		l->r = *r;
		RB_INSERT(lastuses, &lasts, l);
		nlasts++;
	}
	l->r = *r;
	TAILQ_INSERT_TAIL(&ages, l, age);
}

static int
ages_cmp(const void *a, const void *b)
{
	const struct lastuse	*la = *(struct lastuse *const *)a;
	const struct lastuse	*lb = *(struct lastuse *const *)b;

	if (la->r.at != lb->r.at)
		return la->r.at < lb->r.at ? -1 : 1;
	return lastuse_cmp((struct lastuse *)la, (struct lastuse *)lb);
}

/* len bytes, no NUL needed. */
int
lastuse_parse(const char *line, size_t len, struct lastuse_rec *r)
{
	char		 buf[LASTUSE_LINEMAX + 1], *f[5], *p;
	unsigned char	 a[sizeof(struct in6_addr)];
	long long	 at;
	int		 n = 0;

	if (len == 0 || len > LASTUSE_LINEMAX || memchr(line, '\0', len))
		return -1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (p = buf; n < 5 && (f[n] = strsep(&p, " \t")) != NULL;)
		if (*f[n] != '\0')
			n++;
	if (n != 4 || p != NULL)
		return -1;
	if (!valid_username(f[0]) || !valid_label(f[1], APPS_LABELMAX + 1) ||
	    strcmp(f[1], "main") == 0)
		return -1;
	/* Twelve digits at most: strtoll cannot overflow. */
	if (f[2][strspn(f[2], "0123456789")] != '\0' || strlen(f[2]) > 12)
		return -1;
	at = strtoll(f[2], NULL, 10);
	if (at <= 0 || at > LASTUSE_TIMEMAX)
		return -1;
	if (strlen(f[3]) >= sizeof(r->addr) ||
	    (inet_pton(AF_INET, f[3], a) != 1 &&
	    inet_pton(AF_INET6, f[3], a) != 1))
		return -1;
	memset(r, 0, sizeof(*r));
	(void)strlcpy(r->user, f[0], sizeof(r->user));
	(void)strlcpy(r->label, f[1], sizeof(r->label));
	r->at = at;
	(void)strlcpy(r->addr, f[3], sizeof(r->addr));
	return 0;
}

/*
 * A later use of a label seen twice wins (a crash in a write may leave both).
 * Returns how many lines were skipped.
 */
size_t
lastuse_read(int fd)
{
	struct lastuse_rec	 r;
	struct lastuse		*l, **v;
	char			 buf[65536], line[LASTUSE_LINEMAX];
	size_t			 len = 0, nv_n = 0, i, bad = 0, lineno = 0;
	ssize_t			 n, k;
	int			 toolong = 0;

	if (lseek(fd, 0, SEEK_SET) == -1) {
		log_warn("app-passwords last");
		return 0;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("app-passwords last");
			break;
		}
		for (k = 0; k < n; k++) {
			if (buf[k] != '\n') {
				if (len < sizeof(line))
					line[len++] = buf[k];
				else
					toolong = 1;
				continue;
			}
			lineno++;
			if (toolong || lastuse_parse(line, len, &r) == -1) {
				if (bad++ < 10)
					log_warnx("app-passwords last: line "
					    "%zu: not \"user label time "
					    "address\": skipped", lineno);
			} else
				lastuse_put(&r);
			len = 0;
			toolong = 0;
		}
	}
	/* A last line without its newline was cut by a crash. */
	if (len > 0 || toolong)
		bad++;
	if (nlasts == 0)
		return bad;
	if ((v = reallocarray(NULL, nlasts, sizeof(*v))) == NULL) {
		log_warn("%s", __func__);
		return bad;
	}
	TAILQ_FOREACH(l, &ages, age)
		v[nv_n++] = l;
	qsort(v, nv_n, sizeof(*v), ages_cmp);
	TAILQ_INIT(&ages);
	for (i = 0; i < nv_n; i++)
		TAILQ_INSERT_TAIL(&ages, v[i], age);
	free(v);
	return bad;
}

void
lastuse_free(void)
{
	struct lastuse	*l;

	while ((l = TAILQ_FIRST(&ages)) != NULL)
		lastuse_drop(l);
}

static void
flush_timer(int fd, short ev, void *arg)
{
	lastuse_flush();
}

void
lastuse_start(int fd)
{
	size_t	bad;

	evtimer_set(&flush_ev, flush_timer, NULL);
	if ((statefd = fd) == -1)
		return;
	if ((bad = lastuse_read(fd)) > 0)
		log_warnx("app-passwords last: %zu line%s skipped", bad,
		    bad == 1 ? "" : "s");
	log_debug("app-passwords last: %zu last uses", nlasts);
}

static void
changed(void)
{
	struct timeval	tv = { LASTUSE_FLUSH, 0 };

	if (!dirty && statefd != -1 && evtimer_add(&flush_ev, &tv) == -1)
		fatal("evtimer_add");
	dirty = 1;
}

/*
 * A draining authpop's may name one a reload revoked: control.c asks the
 * current one again.
 */
void
lastuse_used(const struct msg_appused *mu)
{
	struct lastuse_rec	 r;
	struct peeraddr		 peer;
	time_t			 now;
	uint32_t		 i;

	/* Without the state file (logged by the parent): in memory only. */
	if ((now = time(NULL)) <= 0)
		return;
	for (i = 0; i < mu->n; i++) {
		memset(&r, 0, sizeof(r));
		(void)strlcpy(r.user, mu->use[i].user, sizeof(r.user));
		(void)strlcpy(r.label, mu->use[i].label, sizeof(r.label));
		r.at = now;
		/* The address alone: a port says nothing of a device. */
		peer = mu->use[i].peer;
		peer.port = 0;
		(void)peer_str(&peer, r.addr, sizeof(r.addr));
		lastuse_put(&r);
	}
	changed();
}

static int
label_cmp(const void *a, const void *b)
{
	const struct ctl_app	*ra = a, *rb = b;

	return strcmp(ra->label, rb->label);
}

/*
 * A user's last uses of labels not in it are forgotten (revoked), unless the
 * table could not answer.
 */
void
lastuse_show(const char *user, struct msg_ctlapps *m)
{
	struct lastuse	 k, *l, *next;
	uint32_t	 i;
	int		 found;

	(void)strlcpy(m->user, user, sizeof(m->user));
	qsort(m->rec, m->n, sizeof(m->rec[0]), label_cmp);
	for (i = 0; i < m->n; i++)
		if ((l = lastuse_find(user, m->rec[i].label)) != NULL) {
			m->rec[i].last = l->r.at;
			(void)strlcpy(m->rec[i].addr, l->r.addr,
			    sizeof(m->rec[i].addr));
		}
	if (m->status == CRED_TEMP)
		return;
	memset(&k, 0, sizeof(k));
	(void)strlcpy(k.r.user, user, sizeof(k.r.user));
	for (l = RB_NFIND(lastuses, &lasts, &k); l != NULL &&
	    strcmp(l->r.user, user) == 0; l = next) {
		next = RB_NEXT(lastuses, &lasts, l);
		for (i = 0, found = 0; i < m->n && !found; i++)
			found = strcmp(m->rec[i].label, l->r.label) == 0;
		if (!found) {
			lastuse_drop(l);
			changed();
		}
	}
}

int
lastuse_write(int fd)
{
	struct lastuse	*l;
	FILE		*fp;
	char		*text = NULL;
	size_t		 len = 0, off = 0;
	ssize_t		 n;
	int		 rc = 0;

	if ((fp = open_memstream(&text, &len)) == NULL) {
		log_warn("app-passwords last");
		return -1;
	}
	RB_FOREACH(l, lastuses, &lasts)
		fprintf(fp, "%s %s %lld %s\n", l->r.user, l->r.label,
		    (long long)l->r.at, l->r.addr);
	if (fclose(fp) == EOF) {
		log_warn("app-passwords last");
		free(text);
		return -1;
	}
	while (off < len) {
		if ((n = pwrite(fd, text + off, len - off, off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += n;
	}
	if (off < len || ftruncate(fd, len) == -1 || fsync(fd) == -1) {
		log_warn("app-passwords last: writing %zu bytes", len);
		rc = -1;
	}
	free(text);
	return rc;
}

void
lastuse_check(struct chan *c)
{
	static struct msg_appskept	 m;
	struct lastuse			*l;

	memset(&m, 0, sizeof(m));
	RB_FOREACH(l, lastuses, &lasts) {
		(void)strlcpy(m.rec[m.n].user, l->r.user,
		    sizeof(m.rec[m.n].user));
		(void)strlcpy(m.rec[m.n].label, l->r.label,
		    sizeof(m.rec[m.n].label));
		if (++m.n == APPSKEPT_RECS) {
			chan_send(c, MSG_CONTROL_APPSKEPT, -1, &m, sizeof(m));
			memset(&m, 0, sizeof(m));
		}
	}
	if (m.n > 0)
		chan_send(c, MSG_CONTROL_APPSKEPT, -1, &m, sizeof(m));
}

void
lastuse_gone(const struct msg_appskept *m)
{
	struct lastuse	*l;
	uint32_t	 i;

	for (i = 0; i < m->n; i++)
		if ((l = lastuse_find(m->rec[i].user, m->rec[i].label)) !=
		    NULL) {
			lastuse_drop(l);
			changed();
		}
}

void
lastuse_flush(void)
{
	if (!dirty || statefd == -1)
		return;
	dirty = 0;
	evtimer_del(&flush_ev);
	(void)lastuse_write(statefd);
}
