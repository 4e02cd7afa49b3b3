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
 * users.c -- the tables as the parent keeps them: descriptors.  It opens
 * each file table as root (usertab, quota users, junk users, route) and
 * has authcheck check it, as _pop3auth, as tablepop will load it; then
 * tablepop parses and serves it (lookup.c), and the parent checks each
 * answer again as a database's.  No root process parses them.  authpop
 * holds the password hashes; authcheck checks authtab's users against
 * usertab.  At a reload it hands every authpop still serving,
 * draining ones too, the new authtab and app passwords as descriptors
 * (users_send_tables): each reads them whole, so that no attempt after
 * the reload checks a password it revoked.
 *
 * The system's accounts (system.c) are written as files first and then
 * served as files are.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
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
#include "proto.h"
#include "table.h"

#define CHECK_NAMES	0x10000		/* authtab_spawn: -U, the names too */

/* CHECK_NAMES: usertab, of names_kind, for authcheck's fd 3. */
static int	names_fd = -1;
static int	names_kind;

/* What one authcheck of authtab fills in. */
struct checkarg {
	struct users	*u;
	const char	*file;
	const char	*userfile;	/* NULL: a database's, or none */
};

static int	uid_line(void *, char *);
static int	check_line(void *, char *);
static void	users_init(struct users *);
static int	copy_fd(int);
static int	users_authtab(const struct conf_settings *, const char *, int,
		    struct users *, const char *);
static int	users_apps(const char *, struct applabels *);

/*
 * Is uid one of popd's daemon users'?  Then why says whose, and no mail
 * user may have it.
 */
int
users_refused_uid(uid_t uid, char *why, size_t len)
{
	static const char *const names[DAEMON_UIDS] = { POPD_USER,
	    POPD_AUTH_USER, POPD_TABLE_USER };
	int	i;

	for (i = 0; i < DAEMON_UIDS; i++)
		if (uid == daemon_uid[i]) {
			(void)snprintf(why, len, "uid %u is the uid of %s: "
			    "give mail users uids of their own",
			    (unsigned)uid, names[i]);
			return 1;
		}
	return 0;
}

/*
 * One line of authcheck's "table" check: a usertab's uid ("=uid LINE
 * NAME UID"), which no mail user may share with a daemon.
 */
static int
uid_line(void *arg, char *line)
{
	const char	*file = arg, *errstr;
	char		*f[3], *p = line + 5, why[128];
	long long	 n, uid;
	int		 i;

	if (strncmp(line, "=uid ", 5) != 0)
		return -1;
	for (i = 0; i < 3; i++)
		if ((f[i] = strsep(&p, " ")) == NULL)
			return -1;
	n = strtonum(f[0], 1, LLONG_MAX, &errstr);
	if (errstr != NULL)
		return -1;
	uid = strtonum(f[2], 0, UINT32_MAX, &errstr);
	if (errstr != NULL)
		return -1;
	if (users_refused_uid(uid, why, sizeof(why))) {
		log_warnx("%s:%lld: user %s: %s", file, n, f[1], why);
		return -1;
	}
	return 0;
}

/*
 * The file table file of kind (table.h's), opened as root unless fd
 * (the system's) is given, and checked by authcheck as tablepop will
 * parse it: its descriptor, for tablepop, or -1 with its bad lines
 * logged.  No root process parses it.
 */
static int
users_table(const char *file, int fd, int kind)
{
	const char	*errstr;

	/* A FIFO or a device would hang or harm the root parent. */
	if (fd == -1 && (fd = open_regular(file, &errstr)) == -1) {
		log_warnx("%s: %s", file, errstr);
		return -1;
	}
	if (users_authpop_n("table", fd, kind, file, uid_line, (void *)file,
	    AUTHTAB_WAIT) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The tables of c into u.  Every bad line is logged; USERS_BADUSERTAB
 * and USERS_BADAUTHTAB say which table had them, and u is then empty.
 * A table thread may call this (the reload).
 */
int
users_load(const struct popd_conf *c, struct users *u)
{
	const struct conf_settings *set = &c->set;
	char		 userpath[32], authpath[32];
	const char	*userfile = NULL, *authfile = NULL;
	int		 userfd = -1, authfd = -1, bad = 0;

	users_init(u);
	/* Dovecot's passwd-file: each reading takes the columns it needs. */
	u->userkind = TABLE_USERS |
	    (set->usersrc == TABSRC_PASSWD ? TABLE_PASSWD : 0);
	/* nginx's auth_http: each user's backend, which tablepop routes. */
	if (set->route[0] != '\0' && set->routesrc == TABSRC_FILE &&
	    (u->routefd = users_table(set->route, -1, TABLE_ROUTES)) == -1)
		return USERS_BADROUTE;
	/* App passwords, if a file holds them. */
	if (c->apps[0] != '\0' && c->appssrc == TABSRC_FILE &&
	    users_apps(c->apps, &u->apps) == -1) {
		users_free(u);
		return USERS_BADAPPS;
	}
	/* Each user's quota. */
	u->quotakind = TABLE_QUOTAS |
	    (set->quota.userssrc == TABSRC_PASSWD ? TABLE_PASSWD : 0);
	if (set->quota.users[0] != '\0' &&
	    (set->quota.userssrc == TABSRC_FILE ||
	    set->quota.userssrc == TABSRC_PASSWD) &&
	    (u->quotafd = users_table(set->quota.users, -1, u->quotakind)) ==
	    -1) {
		users_free(u);
		return USERS_BADQUOTA;
	}
	/* Each user's junk folder. */
	if (set->junk_users[0] != '\0' && set->junk_userssrc == TABSRC_FILE &&
	    (u->junkfd = users_table(set->junk_users, -1, TABLE_JUNK)) ==
	    -1) {
		users_free(u);
		return USERS_BADJUNK;
	}
	if (set->usersrc == TABSRC_SYSTEM || set->authsrc == TABSRC_SYSTEM) {
		if (system_tables(c, set->usersrc == TABSRC_SYSTEM ? &userfd :
		    NULL, set->authsrc == TABSRC_SYSTEM ? &authfd : NULL) ==
		    -1) {
			users_free(u);
			return (set->usersrc == TABSRC_SYSTEM ?
			    USERS_BADUSERTAB : 0) |
			    (set->authsrc == TABSRC_SYSTEM ?
			    USERS_BADAUTHTAB : 0);
		}
		(void)snprintf(userpath, sizeof(userpath), "/dev/fd/%d",
		    userfd);
		(void)snprintf(authpath, sizeof(authpath), "/dev/fd/%d",
		    authfd);
	}
	if (set->usersrc == TABSRC_FILE || set->usersrc == TABSRC_PASSWD)
		userfile = set->usertab;
	else if (set->usersrc == TABSRC_SYSTEM)
		userfile = userpath;
	if (set->authsrc == TABSRC_FILE || set->authsrc == TABSRC_PASSWD)
		authfile = set->authtab;
	else if (set->authsrc == TABSRC_SYSTEM)
		authfile = authpath;

	if (userfile != NULL &&
	    (u->userfd = users_table(userfile, userfd, u->userkind)) == -1) {
		/* Without usertab, authtab's lines are checked alone. */
		bad = USERS_BADUSERTAB | (authfile != NULL &&
		    users_authtab(set, authfile, authfd, u, NULL) == -1 ?
		    USERS_BADAUTHTAB : 0);
		goto done;
	}
	if (authfile != NULL) {
		if (users_authtab(set, authfile, authfd, u, userfile) == -1) {
			bad = USERS_BADAUTHTAB;
			goto done;
		}
		u->kinds_read = 1;
	}
 done:
	if (bad != 0) {
		users_free(u);
		if (authfd != -1)
			close(authfd);
	} else if (authfd != -1)
		u->authfd = authfd;
	return bad;
}

/* u holds nothing. */
static void
users_init(struct users *u)
{
	memset(u, 0, sizeof(*u));
	u->userfd = u->authfd = u->routefd = u->quotafd = u->junkfd = -1;
}

void
users_free(struct users *u)
{
	int	*fds[] = { &u->userfd, &u->authfd, &u->routefd, &u->quotafd,
		    &u->junkfd };
	size_t	 i;

	for (i = 0; i < nitems(fds); i++)
		if (*fds[i] != -1)
			close(*fds[i]);
	apps_free(&u->apps);
	users_init(u);
}

/* The file of app passwords, opened as root, read by authcheck. */
static int
users_apps(const char *file, struct applabels *t)
{
	const char	*errstr;
	int		 fd, r;

	/* A FIFO or a device would hang or harm the root parent. */
	if ((fd = open_regular(file, &errstr)) == -1) {
		log_warnx("%s: %s", file, errstr);
		return -1;
	}
	r = apps_load(file, fd, t);
	close(fd);
	return r;
}

/*
 * authtab (file; authfd: the system's, else -1) checked by authcheck
 * (users_authpop_n), against usertab (userfile's) unless NULL.
 */
static int
users_authtab(const struct conf_settings *set, const char *file, int authfd,
    struct users *u, const char *userfile)
{
	struct checkarg	 ca;
	const char	*errstr;
	int		 fd = authfd, r;

	/* A FIFO or a device would hang or harm the root parent. */
	if (fd == -1 && (fd = open_regular(file, &errstr)) == -1) {
		log_warnx("%s: %s", file, errstr);
		return -1;
	}
	ca.u = u;
	ca.file = file;
	ca.userfile = userfile;
	/* authcheck finds authtab's users in usertab, on its fd 3. */
	names_fd = userfile != NULL ? u->userfd : -1;
	names_kind = u->userkind;
	r = users_authpop_n("check", fd, (set->weak_hashes ? TABLE_WEAK : 0) |
	    (set->authsrc == TABSRC_PASSWD ? TABLE_PASSWD : 0) |
	    (set->authsrc == TABSRC_SYSTEM ? TABLE_SKIP : 0) |
	    (userfile != NULL ? CHECK_NAMES : 0), file, check_line, &ca,
	    AUTHTAB_WAIT);
	names_fd = -1;
	if (fd != authfd)
		close(fd);
	return r;
}

/*
 * A reload's tables for every authpop but fresh, the one that read them
 * itself: the draining ones, and the current one when fresh could not
 * start.  authtab (none in a file: an empty one) and a file of app
 * passwords as descriptors, with what authtab's lines may hold; app
 * passwords in no file are tablepop's to ask (MSG_PARENT_APPSASK).
 * Each authpop reads them whole before any line a client sends after
 * this.  The parent reads none of their hashes.
 */
void
users_send_tables(const struct proc *fresh)
{
	struct msg_newtab	 mt;
	struct proc		*p;
	const char		*errstr = "";
	int			 fd, appfile;

	appfile = conf->apps[0] != '\0' && conf->appssrc == TABSRC_FILE;
	TAILQ_FOREACH(p, &procs, entry) {
		if (p->id != KIND_AUTHPOP || p == fresh || p->chan.fd == -1)
			continue;
		memset(&mt, 0, sizeof(mt));
		mt.kind = TABLE_AUTH | (conf->set.weak_hashes ? TABLE_WEAK :
		    0) | (conf->set.authsrc == TABSRC_PASSWD ? TABLE_PASSWD : 0) |
		    (conf->set.authsrc == TABSRC_SYSTEM ? TABLE_SKIP : 0);
		if (conf->set.authsrc == TABSRC_SYSTEM)
			fd = copy_fd(users.authfd);
		else if (conf->set.authsrc == TABSRC_FILE ||
		    conf->set.authsrc == TABSRC_PASSWD)
			fd = open_regular(conf->set.authtab, &errstr);
		else
			fd = compat_anonfile("authtab-none");
		if (fd != -1) {
			chan_send(&p->chan, MSG_PARENT_TABLE, fd, &mt,
			    sizeof(mt));
			if (appfile) {
				mt.kind = 0;
				fd = open_regular(conf->apps, &errstr);
			}
		}
		if (fd == -1) {
			/* It cannot read what it was not sent: it goes. */
			log_warnx("reload: authpop %d cannot have the new "
			    "tables (%s): it stops", (int)p->pid, errstr);
			(void)kill(p->pid, SIGKILL);
			continue;
		}
		if (appfile)
			chan_send(&p->chan, MSG_PARENT_TABLE, fd, &mt,
			    sizeof(mt));
		else
			chan_send(&p->chan, MSG_PARENT_APPSASK, -1, NULL, 0);
	}
}

/*
 * A copy of the system's authtab (system.c), to read from its start
 * without moving the offset the fresh authpop reads with; or -1.
 */
static int
copy_fd(int from)
{
	char	buf[8192];
	ssize_t	n, w;
	off_t	off = 0;
	int	fd;

	if (from == -1 || (fd = compat_anonfile("authtab-system")) == -1)
		return -1;
	while ((n = pread(from, buf, sizeof(buf), off)) > 0) {
		if ((w = write(fd, buf, n)) != n) {
			close(fd);
			explicit_bzero(buf, sizeof(buf));
			return -1;
		}
		off += n;
	}
	explicit_bzero(buf, sizeof(buf));
	if (n == -1) {
		close(fd);
		return -1;
	}
	(void)set_cloexec(fd);
	return fd;
}

/*
 * "authcheck -m mode" on the authtab fd (authcheck/authcheck.c): it
 * reads it for the parent, as _pop3auth in its chroot; its stdout goes
 * to out, its stderr to err.  kind's TABLE_PASSWD, _SKIP, _WEAK and
 * CHECK_NAMES (each user's name wanted) are its flags.  The pid, or -1
 * (logged).
 */
pid_t
authtab_spawn(const char *mode, int fd, int kind, int out, int err)
{
	char		*argv[12], other[16], names[16];
	pid_t		 pid;
	int		 argc = 0, fds[4], n = 3;

	argv[argc++] = "authcheck";
	argv[argc++] = "-m";
	argv[argc++] = (char *)mode;
	if (strcmp(mode, "table") == 0) {
		/* Not authtab: another table, of table.h's kind. */
		(void)snprintf(other, sizeof(other), "%d", kind);
		argv[argc++] = "-t";
		argv[argc++] = other;
		kind = 0;
	}
	if (kind & TABLE_PASSWD)
		argv[argc++] = "-p";
	if (kind & TABLE_SKIP)
		argv[argc++] = "-s";
	if (kind & TABLE_WEAK)
		argv[argc++] = "-w";
	if ((kind & CHECK_NAMES) && names_fd != -1) {
		(void)snprintf(names, sizeof(names), "%d", names_kind);
		argv[argc++] = "-U";
		argv[argc++] = names;
		fds[n++] = names_fd;
	}
	argv[argc] = NULL;
	fds[0] = fd;
	fds[1] = out;
	fds[2] = err;
	if ((pid = child_exec(authcheck_path, argv, fds, n)) == -1)
		log_warn("authtab: authcheck");
	return pid;
}

/* A kind's name, kept for good: u->kinds points to it. */
static const char *
kind_name(const char *name)
{
	static char	 names[STATS_KINDS][32];
	static size_t	 n;
	size_t		 i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return names[i];
	if (n == STATS_KINDS || strlen(name) >= sizeof(names[0]))
		return NULL;
	(void)strlcpy(names[n], name, sizeof(names[0]));
	return names[n++];
}

/*
 * One line of authcheck's check: a user not in usertab (a file's), or
 * a count of a kind of hash.  -1 for such a user, or no such line.
 */
static int
check_line(void *arg, char *line)
{
	struct checkarg		*ca = arg;
	struct stats_kinds	*k = &ca->u->kinds;
	const char		*errstr, *name;
	char			*sp, *sp2;
	long long		 n;
	int			 weak;

	/* authcheck names only those of authtab's users not in usertab. */
	if (strncmp(line, "=user ", 6) == 0 && ca->userfile != NULL &&
	    (sp = strchr(line + 6, ' ')) != NULL) {
		*sp++ = '\0';
		n = strtonum(line + 6, 1, LLONG_MAX, &errstr);
		if (errstr != NULL || !valid_username(sp))
			return -1;
		log_warnx("%s:%lld: user \"%s\" is not in %s", ca->file, n, sp,
		    ca->userfile);
		return -1;
	}
	if (strncmp(line, "=kind ", 6) != 0 ||
	    (sp = strchr(line + 6, ' ')) == NULL ||
	    (sp2 = strchr(sp + 1, ' ')) == NULL)
		return -1;
	*sp++ = '\0';
	*sp2++ = '\0';
	n = strtonum(line + 6, 1, LLONG_MAX, &errstr);
	weak = strcmp(sp, "1") == 0;
	if (errstr != NULL || (!weak && strcmp(sp, "0") != 0))
		return -1;
	if ((name = kind_name(sp2)) != NULL && k->nkinds < STATS_KINDS) {
		k->name[k->nkinds] = name;
		k->n[k->nkinds] = n;
		k->weak[k->nkinds++] = weak;
	}
	return 0;
}

/*
 * "authcheck -m mode" (kind: its flags) on fd, a file named file, for
 * at most secs seconds: each "=" line of what it says to fn(arg, line),
 * its messages logged, naming file.  0 if it said "=ok" and fn took
 * every line; else -1, the reasons logged.
 */
int
users_authpop_n(const char *mode, int fd, int kind, const char *file,
    int (*fn)(void *, char *), void *arg, int secs)
{
	char	 buf[2048], *nl, *line;
	size_t	 have = 0;
	ssize_t	 n;
	time_t	 deadline = monotime() + secs;
	struct pollfd pfd;
	pid_t	 pid;
	int	 p[2], ok = 0, bad = 0;
	/* A table's warnings ("=ok" after them) leave it good. */
	int	 table = strcmp(mode, "table") == 0;

	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("%s: pipe", file);
		return -1;
	}
	if ((pid = authtab_spawn(mode, fd, kind, p[1], p[1])) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (monotime() < deadline) {
		if (poll(&pfd, 1, 1000) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((n = read(p[0], buf + have, sizeof(buf) - 1 - have)) <= 0) {
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			break;
		}
		have += n;
		buf[have] = '\0';
		/* A line longer than buf is cut: only a message can be. */
		if (strchr(buf, '\n') == NULL && have == sizeof(buf) - 1)
			buf[have - 1] = '\n';
		line = buf;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (strcmp(line, "=ok") == 0)
				ok = 1;
			else if (line[0] == '=') {
				if (fn(arg, line) == -1)
					bad = 1;
			/* Its messages name the file it read on fd 0. */
			} else if (strncmp(line, "/dev/fd/0", 9) == 0) {
				log_warnx("%s%s", file, line + 9);
				bad |= !table;
			} else {
				log_warnx("%s: %s", file, line);
				bad |= !table;
			}
			line = nl + 1;
		}
		have -= line - buf;
		memmove(buf, line, have);
	}
	close(p[0]);
	if (child_wait(pid, deadline, "authcheck") != 0 && !ok)
		bad = 1;
	return bad || !ok ? -1 : 0;
}
