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

/* What the parent and confpop check before serving, and a reload too. */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "config.h"
#include "settings.h"
#include "lookup.h"

static struct usable {
	struct users	 *u;
	int		  badtab, badfile, error;
	void		(*done)(int, const char *);
} usable;

static char	self_path[PATH_MAX];

void
conf_tables_errors(struct popd_conf *c, int badtab)
{
	if (badtab & USERS_BADUSERTAB)
		conf_error(c, &c->usertab_where, "usertab \"%s\": not loaded",
		    c->set.usertab);
	if (badtab & USERS_BADAUTHTAB)
		conf_error(c, &c->authtab_where, "authtab \"%s\": not loaded",
		    c->set.authtab);
	if (badtab & USERS_BADROUTE)
		conf_error(c, &c->route_where, "route \"%s\": not loaded",
		    c->set.route);
	if (badtab & USERS_BADAPPS)
		conf_error(c, &c->apps_where, "app-passwords \"%s\": not "
		    "loaded", c->apps);
	if (badtab & USERS_BADQUOTA)
		conf_error(c, &c->quota_where, "quota users \"%s\": not "
		    "loaded", c->set.quota.users);
	if (badtab & USERS_BADJUNK)
		conf_error(c, &c->junk_where, "junk users \"%s\": not "
		    "loaded", c->set.junk_users);
}

/* Before the event loop only: it waits on an event base of its own. */
int
conf_usable(struct popd_conf *c, struct users *u, int badtab)
{
	struct event_base	*base;

	if ((base = event_base_new()) == NULL)
		fatalx("%s: event_base_new", __func__);
	conf_usable_start(c, u, badtab, base, NULL);
	if (event_base_dispatch(base) == -1)
		fatalx("%s: event_base_dispatch", __func__);
	event_base_free(base);
	return usable.error;
}

static void
conf_usable_done(int badpki, const char *why)
{
	usable.error = 0;
	if (usable.badtab || usable.badfile || badpki) {
		users_free(usable.u);
		usable.error = usable.badtab ? -1 : -2;
	}
	if (usable.done != NULL)
		usable.done(usable.error, why);
}

static int
pki_files_ok(const struct popd_conf *c, const struct conf_pki *pki)
{
	const char	*path, *errstr;
	int		 fd, iskey, r = 0;

	for (iskey = 0; iskey < 2; iskey++) {
		path = iskey ? pki->key : pki->cert;
		if ((fd = open_regular(path, &errstr)) == -1)
			r = conf_error(c, iskey ? &pki->key_where :
			    &pki->cert_where, "pki %s %s \"%s\": %s",
			    pki->name, iskey ? "key" : "cert", path, errstr);
		else
			close(fd);
	}
	return r;
}

/* One at a time. */
void
conf_usable_start(struct popd_conf *c, struct users *u, int badtab,
    struct event_base *base, void (*done)(int, const char *))
{
	struct certs_batch	*b;
	struct conf_pki		*pki;

	usable.u = u;
	usable.badtab = badtab;
	usable.badfile = 0;
	usable.done = done;
	conf_tables_errors(c, badtab);
	b = certs_batch_new(base, conf_usable_done);
	TAILQ_FOREACH(pki, &c->pkis, entry)
		if (pki_files_ok(c, pki) == -1)
			usable.badfile = 1;
		else
			certs_batch_add(b, c, pki);
	certs_batch_go(b);
}

/* In LIBEXECDIR if we run as self, else the build tree; missing ends us. */
void
helper_path(const char *name, const char *self, char *path)
{
	const char	*me = strrchr(self, '/') + 1;
	char		 dir[PATH_MAX], top[PATH_MAX];
	int		 r, installed;

	if (self_path[0] == '\0' &&
	    compat_exe_path(self_path, sizeof(self_path)) == -1)
		err(1, "cannot find the path of the running %s", me);
	/* confpop runs with popd's argv[0] (OpenBSD's way). */
	installed = strcmp(self_path, self) == 0 ||
	    strcmp(self_path, SBINDIR "/popd") == 0;
	if (installed)
		r = snprintf(path, PATH_MAX, "%s/%s", LIBEXECDIR, name);
	else {
		(void)strlcpy(dir, self_path, sizeof(dir));
		(void)strlcpy(top, dirname(dir), sizeof(top));
		(void)strlcpy(dir, top, sizeof(dir));
		(void)strlcpy(top, dirname(dir), sizeof(top));
		r = snprintf(path, PATH_MAX, "%s/%s/%s", top, name, name);
	}
	if (r < 0 || r >= PATH_MAX)
		errx(1, "helper path too long");
	if (access(path, X_OK) == 0)
		return;
	if (installed)
		err(1, "%s: %s runs its helpers from LIBEXECDIR (%s), set "
		    "when it was built", path, me, LIBEXECDIR);
	err(1, "%s: %s %s is not where it was installed (%s), so it looks "
	    "for its helpers next to it, as in the build tree; a staged "
	    "(DESTDIR) copy runs only once installed there, with the helpers "
	    "in LIBEXECDIR %s", path, me, self_path, self, LIBEXECDIR);
}

static struct {
	const char	*path;
	dev_t		 dev;
	ino_t		 ino;
	struct timespec	 mtim;
} helper_ids[12];

void
find_helpers(const char *self)
{
	const struct {
		const char	*name;
		char		*path;
	} helpers[] = {
		{ "listener",	proc_path[KIND_LISTENER] },
		{ "authpop",	proc_path[KIND_AUTHPOP] },
		{ "lmtp",	proc_path[KIND_LMTP] },
		{ "control",	proc_path[KIND_CONTROL] },
		{ "tablepop",	proc_path[KIND_TABLE] },
		{ "routepop",	proc_path[KIND_ROUTE] },
		{ "keypop",	proc_path[KIND_KEY] },
		{ "httppop",	proc_path[KIND_HTTP] },
		{ "wrkrpop",	wrkrpop_path },
		{ "authcheck",	authcheck_path },
		{ "dlvrpop",	dlvrpop_path },
		{ "confpop",	confpop_path },
	};
	struct stat	 st;
	size_t		 i;

	_Static_assert(nitems(helpers) == nitems(helper_ids), "helper_ids");
	for (i = 0; i < nitems(helpers); i++) {
		helper_path(helpers[i].name, self, helpers[i].path);
		helper_ids[i].path = helpers[i].path;
		if (stat(helpers[i].path, &st) == -1)
			continue;	/* then any exec failure says why */
		helper_ids[i].dev = st.st_dev;
		helper_ids[i].ino = st.st_ino;
		helper_ids[i].mtim = st.st_mtim;
	}
}

/* The parent may exec only the inodes it started with (sandbox_parent). */
int
helper_replaced(const char *path)
{
	struct stat	 st;
	size_t		 i;

	for (i = 0; i < nitems(helper_ids); i++)
		if (helper_ids[i].path != NULL &&
		    strcmp(helper_ids[i].path, path) == 0)
			break;
	if (i == nitems(helper_ids))
		return 0;
	if (stat(path, &st) == -1)
		return errno == ENOENT;
	return st.st_dev != helper_ids[i].dev ||
	    st.st_ino != helper_ids[i].ino ||
	    st.st_mtim.tv_sec != helper_ids[i].mtim.tv_sec ||
	    st.st_mtim.tv_nsec != helper_ids[i].mtim.tv_nsec;
}

void
check_users(void)
{
	struct stat	 st;
	struct passwd	*pw;
	struct group	*gr;
	int		 i;

	/* tablepop, as POPD_TABLE_USER, serves every table: usertab too. */
	for (i = 0; i < DAEMON_UIDS; i++) {
		if ((pw = getpwnam(daemon_names[i])) == NULL)
			errx(1, "user %s does not exist: useradd -r -d %s "
			    "-s /usr/sbin/nologin %s", daemon_names[i],
			    CHROOTDIR, daemon_names[i]);
		daemon_uid[i] = pw->pw_uid;
		/* Its files, and _pop3table's the table configurations. */
		daemon_gid[i] = pw->pw_gid;
		(void)snprintf(daemon_gwhat[i], sizeof(daemon_gwhat[i]),
		    "the group of %s", daemon_names[i]);
	}
	/* Whoever has it reads every system account's hash. */
	daemon_gid[DAEMON_UIDS] = (gid_t)-1;
	if ((gr = getgrnam(POPD_SHADOW_GROUP)) != NULL) {
		daemon_gid[DAEMON_UIDS] = gr->gr_gid;
		(void)snprintf(daemon_gwhat[DAEMON_UIDS],
		    sizeof(daemon_gwhat[DAEMON_UIDS]), "the group %s",
		    POPD_SHADOW_GROUP);
	}
	if (stat(CHROOTDIR, &st) == -1)
		err(1, "chroot directory %s (mkdir -m 755 %s)", CHROOTDIR,
		    CHROOTDIR);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)))
		errx(1, "%s must be a directory owned by root and writable "
		    "by root only", CHROOTDIR);
	/*
	 * Without CAP_SETPCAP (a container's, popd(8)) a mail user's process
	 * keeps root's capabilities until its first act drops them (proc.c).
	 */
	if (compat_spawn_ready() == -1) {
		child_noroot = 0;
		log_info("no CAP_SETPCAP: mail users' processes drop root's "
		    "real uid themselves");
	}
}
