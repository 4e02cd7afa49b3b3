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
 * apps.c -- app passwords in the parent (apppass.h).  A file of them is
 * read here at start and at each reload, into each user's records joined
 * by ","; a database table is asked with the alias service, the user the
 * key, one question for all of a user's records.  authpop asks for a
 * user's records (MSG_AUTHPOP_APPS) and checks the password itself: the
 * parent never sees a secret.  After a reload, every question gets the
 * new records, draining authpops' too: a revoked app password logs in no
 * more.
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

struct apps_wait {
	pid_t		 authpid;
	uint64_t	 id;
	char		 user[POPD_MAXUSER + 1];
	apps_cb		 cb;
	void		*arg;
};

static void	apps_answer(void *, int, const char *);
static void	apps_authpop(void *, int, const char *);
static void	flush_timer(int, short, void *);
static int	has_label(const char *, const char *);
static struct lastuse *lastuse_get(const char *, const char *, int);


/*
 * The records of user, from the file or the database: cb(arg, status,
 * records), status LOOKUP_FOUND, _NONE, or _TEMP (the table could not
 * answer, or answered something that is no records: logged).
 */
void
apps_find(const char *user, apps_cb cb, void *arg)
{
	struct apps_wait	*w;
	const char		*v;

	if (conf->appssrc == TABSRC_FILE) {
		v = appfile_get(&users.apps, user);
		cb(arg, v != NULL ? LOOKUP_FOUND : LOOKUP_NONE, v);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("%s", __func__);
		cb(arg, LOOKUP_TEMP, NULL);
		return;
	}
	(void)strlcpy(w->user, user, sizeof(w->user));
	w->cb = cb;
	w->arg = arg;
	lookup(conf->apps, LOOKUP_ALIAS, user, apps_answer, w);
}

static void
apps_answer(void *arg, int status, const char *value)
{
	struct apps_wait	*w = arg;
	struct apprec		*recs;
	char			 why[160];

	if (status == LOOKUP_FOUND) {
		if ((recs = calloc(APP_MAXPERUSER, sizeof(*recs))) == NULL) {
			log_warn("%s", __func__);
			status = LOOKUP_TEMP;
		} else if (apppass_split(value, recs, APP_MAXPERUSER, why,
		    sizeof(why)) == -1) {
			log_warnx("app-passwords <%s>: the app passwords of "
			    "%s: %s", conf->apps, w->user, why);
			status = LOOKUP_TEMP;
		}
		free(recs);
	}
	w->cb(w->arg, status, status == LOOKUP_FOUND ? value : NULL);
	free(w);
}

/* authpop asks for a user's records. */
void
parent_authpop_apps(struct chan *c, const void *data, int fd)
{
	const struct msg_login	*ml = data;
	struct apps_wait	*w;
	struct msg_apps		 ma;

	/* An authpop of before a reload that removed them: none. */
	if (conf->apps[0] == '\0' ||
	    (w = calloc(1, sizeof(*w))) == NULL) {
		if (conf->apps[0] != '\0')
			log_warn("%s", __func__);
		memset(&ma, 0, sizeof(ma));
		ma.id = ml->id;
		ma.status = conf->apps[0] == '\0' ? CRED_NONE : CRED_TEMP;
		chan_send(c, MSG_PARENT_APPS, -1, &ma, sizeof(ma));
		return;
	}
	w->authpid = ((struct proc *)c->arg)->pid;
	w->id = ml->id;
	apps_find(ml->user, apps_authpop, w);
}

static void
apps_authpop(void *arg, int status, const char *recs)
{
	struct apps_wait	*w = arg;
	struct msg_apps		*ma;
	struct proc		*p;

	if ((p = proc_alive(KIND_AUTHPOP, w->authpid)) != NULL) {
		if ((ma = calloc(1, sizeof(*ma))) == NULL)
			fatal("%s", __func__);
		ma->id = w->id;
		ma->status = status == LOOKUP_FOUND ? CRED_FOUND :
		    status == LOOKUP_NONE ? CRED_NONE : CRED_TEMP;
		if (status == LOOKUP_FOUND &&
		    strlcpy(ma->recs, recs, sizeof(ma->recs)) >=
		    sizeof(ma->recs)) {
			memset(ma->recs, 0, sizeof(ma->recs));
			ma->status = CRED_TEMP;
		}
		chan_send(&p->chan, MSG_PARENT_APPS, -1, ma, sizeof(*ma));
		free(ma);
	}
	free(w);
}

static int
lastuse_cmp(struct lastuse *a, struct lastuse *b)
{
	int	c;

	if ((c = strcmp(a->user, b->user)) != 0)
		return c;
	return strcmp(a->label, b->label);
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

/* Do records (joined) hold label? */
static int
has_label(const char *recs, const char *label)
{
	struct apprec	*v;
	char		 why[160];
	int		 n, i, found = 0;

	if (recs == NULL || (v = calloc(APP_MAXPERUSER, sizeof(*v))) == NULL)
		return 0;
	n = apppass_split(recs, v, APP_MAXPERUSER, why, sizeof(why));
	for (i = 0; i < n; i++)
		if (strcmp(v[i].label, label) == 0)
			found = 1;
	free(v);
	return found;
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
	    !has_label(appfile_get(&users.apps, user), label)) {
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

/* The last use of user's label: 0 if none known. */
time_t
apps_last(const char *user, const char *label, const char **addr)
{
	struct lastuse	*l;

	if ((l = lastuse_get(user, label, 0)) == NULL)
		return 0;
	*addr = l->addr;
	return l->at;
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

static void	show_apps(void *, int, const char *);

void
ctl_show_apps(struct ctlans *a, const struct msg_ctlreq *r)
{
	struct show_ask	*q;

	if (conf->apps[0] == '\0') {
		ctlans_end(a, "popd.conf has no app-passwords");
		return;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		ctlans_end(a, "out of memory");
		return;
	}
	q->a = a;
	(void)strlcpy(q->user, r->user, sizeof(q->user));
	apps_find(q->user, show_apps, q);
}

static void
show_apps(void *arg, int status, const char *recs)
{
	struct show_ask	*q = arg;
	struct ctlans	*a = q->a;
	struct apprec	*v;
	const char	*addr, *user = q->user;
	char		 why[160], c[32], e[32], l[32], net[INET6_ADDRSTRLEN + 5];
	time_t		 at;
	int		 n = 0, i;
	size_t		 j;

	if (status == LOOKUP_TEMP) {
		ctlans_end(a, "the app-passwords table cannot answer");
		free(q);
		return;
	}
	if ((v = calloc(APP_MAXPERUSER, sizeof(*v))) == NULL) {
		ctlans_end(a, "out of memory");
		free(q);
		return;
	}
	if (status == LOOKUP_FOUND && (n = apppass_split(recs, v,
	    APP_MAXPERUSER, why, sizeof(why))) == -1) {
		free(v);
		free(q);
		ctlans_end(a, why);
		return;
	}
	ctlans_printf(a, "user %s\n", user);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].label, "main") == 0)
			ctlans_printf(a, "main password barred\n");
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].label, "main") == 0)
			continue;
		ctlans_printf(a, "app-password %s created %s expires %s "
		    "from ", v[i].label, apppass_time(v[i].created, c,
		    sizeof(c)), apppass_time(v[i].expires, e, sizeof(e)));
		if (v[i].nnets == 0)
			ctlans_printf(a, "any");
		for (j = 0; j < v[i].nnets; j++)
			ctlans_printf(a, "%s%s", j > 0 ? ";" : "",
			    net_str(&v[i].nets[j], net, sizeof(net)));
		if ((at = apps_last(user, v[i].label, &addr)) == 0)
			ctlans_printf(a, " last-used never\n");
		else
			ctlans_printf(a, " last-used %s %s\n",
			    apppass_time(at, l, sizeof(l)), addr);
	}
	free(v);
	free(q);
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
		if (conf->appssrc == TABSRC_FILE && !has_label(
		    appfile_get(&users.apps, l->user), l->label)) {
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
