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
 * Who a mail user is, and the one place a process becomes one
 * (doc/DESIGN.md, invariant 2).  Ids and maildir come from tablepop's
 * answer, checked here, never from authpop or the lmtp process.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "chan.h"
#include "config.h"
#include "settings.h"
#include "lookup.h"
#include "proc.h"
#include "table.h"

/* The rules every user is held to, wherever its line came from. */
int
mailuser_check(struct mailuser *mu, const struct userinfo *ui, char *why,
    size_t len)
{
	memset(mu, 0, sizeof(*mu));
	if (strlcpy(mu->name, ui->name, sizeof(mu->name)) >=
	    sizeof(mu->name)) {
		(void)strlcpy(why, "user name too long", len);
		return MU_REFUSED;
	}
	if (users_refused_uid(ui->uid, why, len) ||
	    users_refused_gid(ui->gid, why, len))
		return MU_REFUSED;
	/* tablepop served the system's accounts: those system.c wrote. */
	if (conf->set.usersrc == TABSRC_SYSTEM && (ui->uid <
	    conf->system_uid[0] || ui->uid > conf->system_uid[1])) {
		(void)snprintf(why, len, "uid %u is not in system uid %u-%u",
		    (unsigned)ui->uid, conf->system_uid[0],
		    conf->system_uid[1]);
		return MU_REFUSED;
	}
	if (settings_maildir(mu->maildir, sizeof(mu->maildir), ui->path,
	    ui->own ? NULL : conf->set.maildir) == -1) {
		(void)strlcpy(why, "maildir path too long", len);
		return MU_REFUSED;
	}
	mu->uid = ui->uid;
	mu->gid = ui->gid;
	return MU_FOUND;
}

/*
 * Root's ids, a path not absolute, with "..", or too long: -2; not of
 * the form: -1.  tablepop parsed it already; this is the parent's check.
 */
static int
userinfo_parse(char *val, struct userinfo *ui, char *why, size_t len)
{
	const char	*errstr;
	char		*f[2];
	long long	 id[2];
	size_t		 n;
	int		 i;

	/* A usertab line refused at load (table.h), logged there. */
	if (val[0] == TABLE_NOLOGIN) {
		(void)strlcpy(why, "its line was refused at load (see the "
		    "load's log line)", len);
		return -2;
	}
	for (i = 0; i < 2; i++)
		if ((f[i] = strsep(&val, ":")) == NULL || val == NULL) {
			(void)strlcpy(why, "value must be uid:gid:/path", len);
			return -1;
		}
	for (i = 0; i < 2; i++) {
		id[i] = strtonum(f[i], 0, UINT32_MAX - 1, &errstr);
		if (errstr != NULL) {
			(void)snprintf(why, len, "%s \"%.32s\" is %s",
			    i == 0 ? "uid" : "gid", f[i], errstr);
			return -1;
		}
	}
	if ((ui->own = val[0] == '=') != 0)
		val++;
	n = strlen(val);
	if (id[0] == 0 || id[1] == 0)
		(void)strlcpy(why, "uid and gid 0 are refused", len);
	else if (val[0] != '/')
		(void)snprintf(why, len, "path \"%.64s\" is not absolute", val);
	else if (strstr(val, "/../") != NULL ||
	    (n >= 3 && strcmp(val + n - 3, "/..") == 0))
		(void)snprintf(why, len, "path \"%.64s\" contains \"..\"", val);
	else if (n >= PATH_MAX)
		(void)snprintf(why, len, "path too long (%zu bytes, at most "
		    "%d)", n, PATH_MAX - 1);
	else {
		ui->uid = id[0];
		ui->gid = id[1];
		ui->path = val;
		return 0;
	}
	return -2;
}

static void
find_answer(void *arg, int status, const char *value)
{
	struct user_wait	*w = arg;
	struct userinfo		 ui;
	struct mailuser		 mu;
	char			 buf[PATH_MAX + 64], why[160];
	int			 r;

	if (status == LOOKUP_TEMP)
		w->cb.user(w->arg, MU_TEMP, NULL, NULL);
	else if (status != LOOKUP_FOUND)
		w->cb.user(w->arg, MU_NONE, NULL, NULL);
	else if (strlcpy(buf, value, sizeof(buf)) >= sizeof(buf))
		w->cb.user(w->arg, MU_BROKEN, NULL, "too long");
	else if ((r = userinfo_parse(buf, &ui, why, sizeof(why))) < 0)
		/* Garbage is no answer; ids or a path we refuse are one. */
		w->cb.user(w->arg, r == -1 ? MU_BROKEN : MU_REFUSED, NULL, why);
	else {
		ui.name = w->user;
		r = mailuser_check(&mu, &ui, why, sizeof(why));
		w->cb.user(w->arg, r, r == MU_FOUND ? &mu : NULL,
		    r == MU_FOUND ? NULL : why);
	}
	free(w);
}

void
mailuser_find(const char *user, mailuser_cb cb, void *arg)
{
	struct user_wait	*w;

	if ((w = user_wait(user, arg)) == NULL) {
		cb(arg, MU_TEMP, NULL, NULL);
		return;
	}
	w->cb.user = cb;
	lookup(conf->set.usersrc == TABSRC_LOOKUP ? conf->set.usertab :
	    TABLE_FILE_USERS, LOOKUP_USERINFO, user, find_answer, w);
}

static int
mailuser_conf(const struct mailuser *mu, const struct msg_worker *who,
    uint32_t flags, int pagefd)
{
	struct chan		 wc;
	struct msg_worker	 mw;
	int			 sp[2], ok, proc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		if (pagefd != -1)
			close(pagefd);
		return -1;
	}
	mw = *who;
	(void)strlcpy(mw.user, mu->name, sizeof(mw.user));
	(void)strlcpy(mw.maildir, mu->maildir, sizeof(mw.maildir));
	mw.flags = flags;
	settings_worker(&conf->set, &mw.set);
	proc = (flags & WORKER_DELIVER) ? PROC_DLVRPOP : PROC_WRKRPOP;
	chan_init(&wc, sp[0], PROC_PARENT, proc, PH_START, NULL, 0, NULL,
	    NULL);
	if (pagefd != -1)
		chan_send(&wc, MSG_PARENT_STATS, pagefd, NULL, 0);
	chan_send(&wc, MSG_PARENT_WORKER, -1, &mw, sizeof(mw));
	/* An empty socket takes all of it at once: nothing may wait. */
	ok = TAILQ_EMPTY(&wc.outq);
	chan_close(&wc);
	if (!ok) {
		close(sp[1]);
		errno = ENOBUFS;
		return -1;
	}
	return sp[1];
}

/* pagefd is closed in any case; on failure nothing is left running. */
pid_t
mailuser_spawn(uint32_t flags, const struct mailuser *mu,
    const struct msg_worker *who, int fd, int pagefd, int *pidfd)
{
	const char	*path, *name;
	pid_t		 pid;
	int		 conffd, saved;

	path = flags & WORKER_DELIVER ? dlvrpop_path : wrkrpop_path;
	name = flags & WORKER_DELIVER ? "dlvrpop" : "wrkrpop";
	if ((conffd = mailuser_conf(mu, who, flags, pagefd)) == -1) {
		log_warn("%s for %s: its configuration", name, mu->name);
		return -1;
	}
	/* The one place a process becomes a mail user: child.c does it. */
	pid = child_spawn(path, name, fd, conffd, name, privsep ? mu : NULL,
	    pidfd);
	saved = errno;
	close(conffd);
	errno = saved;
	return pid;
}
