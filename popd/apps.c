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
 * apps.c -- app passwords in the parent, which reads none of their
 * records.  A file of them is read by authpop: at start and at each
 * reload "authcheck -m apps" checks it and says each record without its
 * hash (users.c runs it), which the parent keeps for popctl and to know
 * the labels; each authpop loads the file itself, a reload hands it to
 * the older ones (users_send_tables).  A database table is asked by
 * tablepop for authpop (MSG_AUTHPOP_APPS, tablepop/router.c), which
 * checks what it gets; popctl's show app-passwords asks it here, with
 * the alias service, the user the key, and has authcheck read the
 * answer.
 *
 * Each app password's last use (time and address) is kept in memory and
 * written to the state file (app-passwords last) at most once every
 * APPS_FLUSH seconds, and when popd stops: a busy host writes it once a
 * minute, and a crash loses at most that minute.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/tree.h>

#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "chan.h"
#include "apppass.h"
#include "config.h"
#include "lookup.h"
#include "parent.h"

#define APPS_FLUSH	60		/* seconds: the state file's staleness */
#define APPS_LASTMAX	100000		/* a table's last uses kept: 15 MB */
#define APPS_SHOW_WAIT	5		/* seconds: authcheck for popctl */
#define APPS_LOAD_WAIT	120		/* seconds: authcheck on a file */


struct lastuse {
	RB_ENTRY(lastuse)	 entry;
	char			 user[POPD_MAXUSER + 1];
	char			 label[APP_LABELMAX + 1];
	time_t			 at;
	char			 addr[INET6_ADDRSTRLEN];
};
RB_HEAD(lastuses, lastuse);
static int	lastuse_cmp(struct lastuse *, struct lastuse *);
RB_PROTOTYPE_STATIC(lastuses, lastuse, entry, lastuse_cmp)
RB_GENERATE_STATIC(lastuses, lastuse, entry, lastuse_cmp)

static struct lastuses	 lasts = RB_INITIALIZER(&lasts);
static size_t		 nlasts;
static int		 dirty;
static struct event	 flush_ev;
static struct lograte	 rate_full;

/* A record of a file, as authcheck said it: its label, no hash. */
struct applabel {
	RB_ENTRY(applabel)	 entry;
	char			 user[POPD_MAXUSER + 1];
	char			 label[APP_LABELMAX + 1];
	char			*desc;	/* "created ... from ...", or "" */
};
static int	applabel_cmp(struct applabel *, struct applabel *);
RB_PROTOTYPE_STATIC(applabels, applabel, entry, applabel_cmp)
RB_GENERATE_STATIC(applabels, applabel, entry, applabel_cmp)

static void	flush_timer(int, short, void *);
static int	has_label(const struct applabels *, const char *,
		    const char *);
static struct lastuse *lastuse_get(const char *, const char *, int);
static int	app_line(void *, char *);


/* Both trees are in the order of user, then label. */
static int
user_label_cmp(const char *au, const char *al, const char *bu,
    const char *bl)
{
	int	c;

	if ((c = strcmp(au, bu)) != 0)
		return c;
	return strcmp(al, bl);
}

static int
applabel_cmp(struct applabel *a, struct applabel *b)
{
	return user_label_cmp(a->user, a->label, b->user, b->label);
}

/*
 * One line of authcheck -m apps: "=app USER LABEL [DESC]" into the
 * tree arg.  -1 if it is not one.
 */
static int
app_line(void *arg, char *line)
{
	struct applabels	*t = arg;
	struct applabel		*a;
	char			*user, *label, *desc;

	if (strncmp(line, "=app ", 5) != 0)
		return -1;
	user = line + 5;
	if ((label = strchr(user, ' ')) == NULL)
		return -1;
	*label++ = '\0';
	if ((desc = strchr(label, ' ')) != NULL)
		*desc++ = '\0';
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->desc = strdup(desc != NULL ? desc : "")) == NULL) {
		free(a);
		log_warn("%s", __func__);
		return -1;
	}
	if (!valid_username(user) ||
	    strlcpy(a->user, user, sizeof(a->user)) >= sizeof(a->user) ||
	    strlcpy(a->label, label, sizeof(a->label)) >= sizeof(a->label) ||
	    RB_INSERT(applabels, t, a) != NULL) {
		free(a->desc);
		free(a);
		return -1;
	}
	return 0;
}

/*
 * The file of app passwords (its name, its fd), checked by authcheck,
 * into t: each record's label and what popctl shows of it.  0, or -1
 * with the reasons logged (t is then empty).  A table thread may call
 * this (the reload).
 */
int
apps_load(const char *file, int fd, struct applabels *t)
{
	RB_INIT(t);
	if (users_authpop_n("apps", fd, 0, file, app_line, t,
	    APPS_LOAD_WAIT) == 0)
		return 0;
	apps_free(t);
	return -1;
}

void
apps_free(struct applabels *t)
{
	struct applabel	*a, *next;

	RB_FOREACH_SAFE(a, applabels, t, next) {
		RB_REMOVE(applabels, t, a);
		free(a->desc);
		free(a);
	}
}

/* Does t have user's label? */
static int
has_label(const struct applabels *t, const char *user, const char *label)
{
	struct applabel	k;

	memset(&k, 0, sizeof(k));
	if (strlcpy(k.user, user, sizeof(k.user)) >= sizeof(k.user) ||
	    strlcpy(k.label, label, sizeof(k.label)) >= sizeof(k.label))
		return 0;
	return RB_FIND(applabels, (struct applabels *)t, &k) != NULL;
}

static int
lastuse_cmp(struct lastuse *a, struct lastuse *b)
{
	return user_label_cmp(a->user, a->label, b->user, b->label);
}

static struct lastuse *
lastuse_get(const char *user, const char *label, int create)
{
	struct lastuse	 k, *l;

	memset(&k, 0, sizeof(k));
	if (strlcpy(k.user, user, sizeof(k.user)) >= sizeof(k.user) ||
	    strlcpy(k.label, label, sizeof(k.label)) >= sizeof(k.label))
		return NULL;
	if ((l = RB_FIND(lastuses, &lasts, &k)) != NULL || !create)
		return l;
	/* A file's are bounded by its records (has_label); a table's not. */
	if (nlasts >= APPS_LASTMAX && conf->appssrc != TABSRC_FILE) {
		log_rate(&rate_full, "app passwords: %d last uses kept "
		    "already, %s's \"%s\" not", APPS_LASTMAX, user, label);
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	*l = k;
	RB_INSERT(lastuses, &lasts, l);
	nlasts++;
	return l;
}

/* authpop: an app password was good for an auth_http router. */
void
parent_authpop_appused(struct chan *c, const void *data, int fd)
{
	const struct msg_appused	*mu = data;

	apps_used(mu->user, mu->label, &mu->peer);
}

/* user's app password label was good, from peer (MSG_AUTHPOP_LOGIN's). */
void
apps_used(const char *user, const char *label, const struct peeraddr *from)
{
	struct lastuse			*l;
	struct peeraddr			 peer;
	struct timeval			 tv = { APPS_FLUSH, 0 };

	/*
	 * A file's: only a label the user has (a reload may have just
	 * revoked it), so that authpop cannot fill this tree with others.
	 */
	if (conf->appssrc == TABSRC_FILE &&
	    !has_label(&users.apps, user, label)) {
		log_debug("app password \"%s\" of %s used, but not in %s",
		    label, user, conf->apps);
		return;
	}
	if ((l = lastuse_get(user, label, 1)) == NULL)
		return;
	l->at = time(NULL);
	/* The address alone: a port says nothing of a device. */
	peer = *from;
	peer.port = 0;
	(void)peer_str(&peer, l->addr, sizeof(l->addr));
	if (!dirty && conf->apps_last[0] != '\0')
		evtimer_add(&flush_ev, &tv);
	dirty = 1;
}

/*
 * At start: the state file's last uses.  A bad line is logged with
 * file:line and skipped: this file is ours, and losing a line of it
 * loses only a date.
 */
void
apps_start(void)
{
	FILE		*fp;
	struct lastuse	*l;
	char		*line = NULL, user[POPD_MAXUSER + 1];
	char		 label[APP_LABELMAX + 1], addr[INET6_ADDRSTRLEN];
	long long	 at;
	size_t		 sz = 0, lineno = 0;
	char		*dir, *slash;

	evtimer_set(&flush_ev, flush_timer, NULL);
	if (conf->apps[0] == '\0')
		return;
	if ((dir = strdup(conf->apps_last)) != NULL &&
	    (slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) == 0)
			log_info("app passwords: made %s for their last use",
			    dir);
	}
	free(dir);
	if ((fp = fopen(conf->apps_last, "re")) == NULL) {
		if (errno != ENOENT)
			log_warn("app-passwords last %s", conf->apps_last);
		return;
	}
	while (getline(&line, &sz, fp) != -1) {
		lineno++;
		if (sscanf(line, "%64s %32s %lld %45s", user, label, &at,
		    addr) != 4 || at <= 0 || !valid_username(user)) {
			log_warnx("%s:%zu: not \"user label time address\": "
			    "skipped", conf->apps_last, lineno);
			continue;
		}
		if ((l = lastuse_get(user, label, 1)) != NULL) {
			l->at = at;
			(void)strlcpy(l->addr, addr, sizeof(l->addr));
		}
	}
	free(line);
	fclose(fp);
}

/*
 * show app-passwords NAME: the user's app passwords, from the file or
 * the database, each with its last use; never a hash.
 */
struct show_ask {
	struct ctlans	*a;
	char		 user[POPD_MAXUSER + 1];
};

static void	show_answer(void *, int, const char *);
static void	show_print(struct ctlans *, const char *,
		    const struct applabels *);

void
ctl_show_apps(struct ctlans *a, const struct msg_ctlreq *r)
{
	struct show_ask	*q;

	if (conf->apps[0] == '\0') {
		ctlans_end(a, "popd.conf has no app-passwords");
		return;
	}
	if (conf->appssrc == TABSRC_FILE) {
		show_print(a, r->user, &users.apps);
		return;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		ctlans_end(a, "out of memory");
		return;
	}
	q->a = a;
	(void)strlcpy(q->user, r->user, sizeof(q->user));
	lookup(conf->apps, LOOKUP_ALIAS, q->user, show_answer, q);
}

/*
 * The database's records, one a line as a file has them, read by
 * authcheck (a few milliseconds; at most APPS_SHOW_WAIT).
 */
static void
show_answer(void *arg, int status, const char *recs)
{
	struct show_ask		*q = arg;
	struct applabels	 t = RB_INITIALIZER(&t);
	FILE			*fp = NULL;
	const char		*p;
	size_t			 n;
	int			 fd = -1;

	if (status == LOOKUP_FOUND) {
		if ((fd = compat_anonfile("app-passwords")) == -1 ||
		    (fp = fdopen(dup(fd), "w")) == NULL) {
			log_warn("show app-passwords");
			status = LOOKUP_TEMP;
		}
		for (p = recs; fp != NULL && *p != '\0'; p += n + (p[n] != '\0')) {
			n = strcspn(p, ",");
			if (n > 0)
				fprintf(fp, "%s %.*s\n", q->user, (int)n, p);
		}
		if (fp != NULL && fclose(fp) == EOF)
			status = LOOKUP_TEMP;
		if (status == LOOKUP_FOUND &&
		    users_authpop_n("apps", fd, 0, conf->apps, app_line, &t,
		    APPS_SHOW_WAIT) == -1) {
			log_warnx("app-passwords <%s>: the app passwords of "
			    "%s: not app passwords", conf->apps, q->user);
			status = LOOKUP_TEMP;
		}
	}
	if (fd != -1)
		close(fd);
	if (status == LOOKUP_TEMP)
		ctlans_end(q->a, "the app-passwords table cannot answer");
	else
		show_print(q->a, q->user, &t);
	apps_free(&t);
	free(q);
}

/*
 * user's records in t, each with its last use, as records the control
 * process prints (control/print.c): first the user, then "main" if it
 * is barred.
 */
static void
show_print(struct ctlans *a, const char *user, const struct applabels *t)
{
	static struct msg_ctlapp m;
	struct applabel		 k, *r;
	struct lastuse		*l;

	memset(&m, 0, sizeof(m));
	(void)strlcpy(m.user, user, sizeof(m.user));
	ctlans_rec(a, MSG_PARENT_CTLAPP, -1, &m, sizeof(m));
	if (has_label(t, user, "main")) {
		(void)strlcpy(m.label, "main", sizeof(m.label));
		ctlans_rec(a, MSG_PARENT_CTLAPP, -1, &m, sizeof(m));
	}
	memset(&k, 0, sizeof(k));
	(void)strlcpy(k.user, user, sizeof(k.user));
	for (r = RB_NFIND(applabels, (struct applabels *)t, &k);
	    r != NULL && strcmp(r->user, user) == 0;
	    r = RB_NEXT(applabels, (struct applabels *)t, r)) {
		if (strcmp(r->label, "main") == 0)
			continue;
		(void)strlcpy(m.label, r->label, sizeof(m.label));
		(void)strlcpy(m.desc, r->desc, sizeof(m.desc));
		l = lastuse_get(user, r->label, 0);
		m.last = l != NULL ? l->at : 0;
		(void)strlcpy(m.addr, l != NULL ? l->addr : "",
		    sizeof(m.addr));
		ctlans_rec(a, MSG_PARENT_CTLAPP, -1, &m, sizeof(m));
	}
	ctlans_end(a, NULL);
}

static void
flush_timer(int fd, short ev, void *arg)
{
	apps_flush();
}

/* The last uses into the state file, if any changed: write, fsync, rename. */
void
apps_flush(void)
{
	struct lastuse	*l, *next;
	FILE		*fp;
	char		 tmp[PATH_MAX];
	int		 fd;

	if (!dirty || conf->apps_last[0] == '\0')
		return;
	dirty = 0;
	evtimer_del(&flush_ev);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", conf->apps_last) >=
	    sizeof(tmp)) {
		log_warnx("app-passwords last %s: path too long",
		    conf->apps_last);
		return;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		log_warn("app-passwords last %s", tmp);
		if (fd != -1)
			close(fd);
		return;
	}
	RB_FOREACH_SAFE(l, lastuses, &lasts, next) {
		/* A file's revoked app passwords are forgotten here. */
		if (conf->appssrc == TABSRC_FILE &&
		    !has_label(&users.apps, l->user, l->label)) {
			RB_REMOVE(lastuses, &lasts, l);
			free(l);
			nlasts--;
			continue;
		}
		fprintf(fp, "%s %s %lld %s\n", l->user, l->label,
		    (long long)l->at, l->addr);
	}
	if (fflush(fp) == EOF || fsync(fd) == -1) {
		log_warn("app-passwords last %s", tmp);
		fclose(fp);
		(void)unlink(tmp);
		return;
	}
	fclose(fp);
	if (rename(tmp, conf->apps_last) == -1) {
		log_warn("app-passwords last %s", conf->apps_last);
		(void)unlink(tmp);
	}
}
