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
 * apps.c -- the app-password stage of a login: an app password logs in, fails
 * like a wrong password, or bars the main password.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apppass.h"
#include "chan.h"
#include "log.h"
#include "proc.h"
#include "proto.h"
#include "table.h"
#include "util.h"
#include "auth.h"

static struct appkey	 appkey;
/* A file's app passwords: authcheck's image, records joined by ",". */
static struct table	 apptab;
static int		 apps_ask;
static int		 newapps_fd = -1;

static struct msg_appused	 used;
static struct event		 used_ev;

/* A file's image came before the settings. */
void
opts_load(void)
{
	apps_ask = 1;
	if (auth_set.apps_file[0] != '\0' && newapps_fd == -1)
		fatalx("app passwords: the parent sent no image of them");
}

void
apps_image(int fd)
{
	if (newapps_fd != -1)
		close(newapps_fd);
	newapps_fd = fd;
}

void
apps_key(int fd)
{
	char	why[160];

	if (apppass_keyfd(fd, &appkey, why, sizeof(why)) == -1)
		fatalx("app-passwords key %s: %s", auth_set.app_key, why);
}

void
apps_read(void)
{
	if (newapps_fd == -1)
		return;
	table_image_free(&apptab);
	if (table_image_map(newapps_fd, "app passwords", &apptab) == -1)
		fatalx("the app passwords cannot be read");
	apps_ask = 0;
	log_debug("app passwords: %zu users", apptab.n);
	close(newapps_fd);
	newapps_fd = -1;
}

void
apps_begin(struct session *s)
{
	const char	*recs;

	if (!apps_ask) {
		recs = table_get(&apptab, s->user);
		verify_apps(s, recs != NULL ? CRED_FOUND : CRED_NONE, recs);
	} else if (tablepop_ask(s, 1) == -1)
		verify_apps(s, CRED_TEMP, NULL);
}

void
verify_appsask(struct chan *c, const void *data, int fd)
{
	if (!apps_ask)
		log_debug("app passwords: a reload's are in no file, the "
		    "database's from now on");
	apps_ask = 1;
	table_image_free(&apptab);
	if (newapps_fd != -1) {
		close(newapps_fd);
		newapps_fd = -1;
	}
}

/*
 * Fails like a wrong password, at the same time: checked against the dummy
 * hash, no login cache.
 */
static void
app_fail(struct session *s, const char *why)
{
	(void)strlcpy(s->job->why, why, sizeof(s->job->why));
	s->job->known = 1;
	auth_enqueue(s, NULL);
}

void
verify_used_flush(void)
{
	if (used.n == 0)
		return;
	evtimer_del(&used_ev);
	auth_ctl_send(MSG_AUTHPOP_APPUSED, &used, sizeof(used));
	memset(&used, 0, sizeof(used));
}

static void
used_wait(int fd, short ev, void *arg)
{
	verify_used_flush();
}

/* Gathered for APPUSED_WAIT and sent together. */
static void
app_used(struct session *s, const char *label)
{
	struct appuse	*u;

	if (s->ops->pop3)
		(void)strlcpy(s->app, label, sizeof(s->app));
	if (used.n == 0) {
		evtimer_set(&used_ev, used_wait, NULL);
		timer_in(&used_ev, APPUSED_WAIT);
	}
	u = &used.use[used.n++];
	(void)strlcpy(u->user, s->user, sizeof(u->user));
	(void)strlcpy(u->label, label, sizeof(u->label));
	u->peer = s->peer;
	if (used.n == APPUSED_MAX)
		verify_used_flush();
}

/*
 * Hashed under the site's key (microseconds: no checker thread).  Anything else
 * is the main password's, unless the records bar it.
 */
void
verify_apps(struct session *s, int status, const char *joined)
{
	/* The event loop's alone. */
	static struct apprec	 recs[APP_MAXPERUSER];
	struct job		*j = s->job;
	char			 norm[APP_SECRETLEN + 1], mac[APP_HASHLEN + 1];
	char			 why[160];
	int			 n = 0, i, barred = 0;

	if (s->state == S_LOOKUP)
		lookup_counted(s, status);
	/*
	 * A file's were checked at load; tablepop passes a database's unread.
	 */
	if (status == CRED_TEMP)
		log_warnx("session %s%llu: %s: app-passwords could not answer "
		    "for %s", SIDP(s->id), s->addr, logname(s->user));
	else if (status == CRED_FOUND && (n = apppass_split(joined, recs,
	    APP_MAXPERUSER, why, sizeof(why))) == -1)
		log_warnx("app-passwords <%s>: the app passwords of %s: %s",
		    auth_set.apps_table, logname(s->user), why);
	if (status == CRED_TEMP || n == -1) {
		verify_end(s, V_TEMP, "cannot check passwords now");
		return;
	}
	for (i = 0; i < n; i++)
		if (strcmp(recs[i].label, "main") == 0)
			barred = 1;
	if (n > 0 && !j->toolong && apppass_shaped(j->pass, norm)) {
		apppass_mac(&appkey, s->user, norm, mac);
		explicit_bzero(norm, sizeof(norm));
		if ((i = apppass_match(recs, n, mac)) != -1) {
			if (recs[i].expires != 0 &&
			    recs[i].expires <= time(NULL))
				(void)snprintf(why, sizeof(why), "app password "
				    "\"%s\" expired", recs[i].label);
			else if (recs[i].nnets > 0 && !net_match(recs[i].nets,
			    recs[i].nnets, &s->peer))
				(void)snprintf(why, sizeof(why), "app password "
				    "\"%s\" used outside its networks",
				    recs[i].label);
			else {
				app_used(s, recs[i].label);
				(void)snprintf(why, sizeof(why), " with app "
				    "password \"%s\"", recs[i].label);
				verify_end(s, V_GOOD, why);
				return;
			}
			app_fail(s, why);
			return;
		}
	}
	if (barred) {
		app_fail(s, "main password barred (app passwords only)");
		return;
	}
	auth_main(s);
}

/* Without their hashes; a database's are checked first, as for a login. */
static void
verify_ctlanswer(uint64_t req, int status, const char *joined)
{
	static struct apprec		 recs[APP_MAXPERUSER];
	static struct msg_ctlapps	 m;
	char				 why[160];
	int				 n = 0, i;

	memset(&m, 0, sizeof(m));
	m.req = req;
	if (status == CRED_FOUND && (n = apppass_split(joined, recs,
	    APP_MAXPERUSER, why, sizeof(why))) == -1) {
		log_warnx("app-passwords <%s>: the app passwords asked by "
		    "popctl: %s", auth_set.apps_table, why);
		status = CRED_TEMP;
	}
	m.status = status;
	for (i = 0; status == CRED_FOUND && i < n && i < CTL_APPSMAX; i++) {
		(void)strlcpy(m.rec[i].label, recs[i].label,
		    sizeof(m.rec[i].label));
		if (apppass_desc(&recs[i], m.rec[i].desc,
		    sizeof(m.rec[i].desc)) == -1)
			memset(m.rec[i].desc, 0, sizeof(m.rec[i].desc));
		m.n++;
	}
	explicit_bzero(recs, sizeof(recs));
	auth_ctl_send(MSG_AUTHPOP_CTLAPPS, &m, sizeof(m));
}

/* -1 if no tablepop runs. */
static int
tablepop_ctlapps(uint64_t req, const char *user)
{
	struct msg_login	ml;

	if (tabcur == -1 || (req & (SID_CTL | SID_HTTP)) != 0)
		return -1;
	memset(&ml, 0, sizeof(ml));
	ml.id = req | SID_CTL;
	(void)strlcpy(ml.user, user, sizeof(ml.user));
	chan_send(&tabchan[tabcur], MSG_AUTHPOP_APPS, -1, &ml, sizeof(ml));
	return 0;
}

void
verify_ctlapps(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlappsq	*q = data;
	const char			*recs, *user = q->user;
	uint64_t			 req = q->req;

	if (proc_ctlfull(c))
		return;
	/* What popctl shows next has the last second's uses. */
	verify_used_flush();
	tables_read();
	if (auth_set.app_key[0] == '\0') {
		verify_ctlanswer(req, CRED_NONE, NULL);
		return;
	}
	if (!apps_ask) {
		recs = table_get(&apptab, user);
		verify_ctlanswer(req, recs != NULL ? CRED_FOUND : CRED_NONE,
		    recs);
		return;
	}
	if (tablepop_ctlapps(req, user) == -1)
		verify_ctlanswer(req, CRED_TEMP, NULL);
}

static int
app_filed(const char *user, const char *label)
{
	const char	*p;
	size_t		 len = strlen(label);

	for (p = table_get(&apptab, user); p != NULL;
	    p = (p = strchr(p, ',')) != NULL ? p + 1 : NULL)
		if (strncmp(p, label, len) == 0 && p[len] == ' ')
			return 1;
	return 0;
}

/* Those our file lost were revoked; a database's we cannot tell. */
void
verify_appskept(struct chan *c, const void *data, int fd)
{
	const struct msg_appskept	*m = data;
	static struct msg_appskept	 gone;
	uint32_t			 i;

	if (proc_ctlfull(c))
		return;
	tables_read();
	memset(&gone, 0, sizeof(gone));
	for (i = 0; auth_set.app_key[0] != '\0' && !apps_ask && i < m->n; i++)
		if (!app_filed(m->rec[i].user, m->rec[i].label))
			gone.rec[gone.n++] = m->rec[i];
	if (gone.n > 0)
		auth_ctl_send(MSG_AUTHPOP_APPSGONE, &gone, sizeof(gone));
}

void
apps_table(struct chan *c, const void *data, int fd)
{
	const struct msg_apps	*ma = data;
	struct session		*s;

	if ((ma->id & (SID_CTL | SID_HTTP)) == SID_CTL) {
		verify_ctlanswer(ma->id & ~SID_CTL, ma->status, ma->recs);
		return;
	}
	if ((s = session_find(ma->id)) == NULL || s->state != S_LOOKUP ||
	    !s->tabapps || &tabchan[s->tabchan] != c) {
		log_debug("session %s%llu: its app passwords came %s",
		    SIDP(ma->id), s != NULL && verify_late(s, c) ?
		    "after their bound" : "after the session ended");
		return;
	}
	s->tabapps = 0;
	verify_apps(s, ma->status, ma->recs);
	session_update(s);
}
