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
 * usertab, both checks at once.  Every authpop reads the authtab that
 * was checked, on the descriptor the parent keeps.  At a reload it hands
 * every authpop still serving, draining ones too, the new authtab and
 * app passwords as descriptors (users_send_tables): each reads them
 * whole, so that no attempt after the reload checks a password it
 * revoked.
 *
 * The system's accounts are written as files first, by authcheck -m
 * system, and then served as files are.  A file of app passwords is
 * checked by authcheck -m apps (apps_check) and loaded by authpop.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>
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

/* An authcheck under way (users_check_start), for users_check_end. */
struct check {
	pid_t		 pid;
	int		 out;		/* what it says */
	time_t		 deadline;
};

/*
 * What one authcheck fills in: authtab's (file) kinds of hashes, or
 * usertab's (userfile) daemon uids and authtab's users not in it (bad).
 */
#define APPS_LOAD_WAIT	120		/* seconds: authcheck on a file */

struct checkarg {
	struct users	*u;
	const char	*file;
	const char	*userfile;
	int		 bad;
};

static int	user_line(void *, char *);
static int	check_line(void *, char *);
static int	users_check_start(const char *, int, int, const char *,
		    int, int, struct check *);
static pid_t	check_spawn(const char *, int, int, int, int, int, int);
static int	users_check_end(struct check *, const char *,
		    int (*)(void *, char *), void *, int);
static void	users_init(struct users *);
static int	users_table_start(const char *, int, int, int, int,
		    struct check *);
static int	system_tables(const struct popd_conf *, int *, int *);
static int	apps_check(const char *);
static int	daemon_args(char **, int, char [][16 + POPD_MAXUSER]);

/*
 * Is uid one of popd's daemon users'?  Then why says whose, and no mail
 * user may have it.
 */
int
users_refused_uid(uid_t uid, char *why, size_t len)
{
	int	i;

	for (i = 0; i < DAEMON_UIDS; i++)
		if (uid == daemon_uid[i]) {
			(void)snprintf(why, len, "uid %u is the uid of %s: "
			    "give mail users uids of their own",
			    (unsigned)uid, daemon_names[i]);
			return 1;
		}
	return 0;
}

/*
 * One line of usertab's check (-A): authtab's user not in usertab
 * ("=user LINE NAME"), which makes authtab bad.
 */
static int
user_line(void *arg, char *line)
{
	struct checkarg	*ua = arg;
	const char	*errstr;
	char		*sp;
	long long	 n;

	if (strncmp(line, "=user ", 6) != 0)
		return -1;
	if ((sp = strchr(line + 6, ' ')) == NULL)
		return -1;
	*sp++ = '\0';
	n = strtonum(line + 6, 1, LLONG_MAX, &errstr);
	if (errstr != NULL || !valid_username(sp))
		return -1;
	log_warnx("%s:%lld: user \"%s\" is not in %s", ua->file, n, sp,
	    ua->userfile);
	ua->bad = 1;
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
	struct check	 ck;

	if ((fd = users_table_start(file, fd, kind, -1, 0, &ck)) != -1 &&
	    users_check_end(&ck, file, NULL, NULL, 1) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * users_table's first half: the file opened and its check started
 * (users_check_end waits for it), so that authtab's runs meanwhile;
 * authfd: authtab (of authkind), whose users must be in this usertab.
 */
static int
users_table_start(const char *file, int fd, int kind, int authfd,
    int authkind, struct check *ck)
{
	const char	*errstr;

	/* A FIFO or a device would hang or harm the root parent. */
	if (fd == -1 && (fd = open_regular(file, &errstr)) == -1) {
		log_warnx("%s: %s", file, errstr);
		return -1;
	}
	if (users_check_start("table", fd, kind, file, authfd, authkind,
	    ck) == -1) {
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
	struct check	 uck, ack;
	struct checkarg	 ua, ca;
	char		 userpath[32], authpath[32];
	const char	*userfile = NULL, *authfile = NULL, *errstr;
	int		 userfd = -1, authfd = -1, afd = -1, bad = 0;
	int		 authkind, started = 0;

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
	    apps_check(c->apps) == -1) {
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
		if (system_tables(c, &userfd, set->authsrc == TABSRC_SYSTEM ?
		    &authfd : NULL) == -1) {
			users_free(u);
			return (set->usersrc == TABSRC_SYSTEM ?
			    USERS_BADUSERTAB : 0) |
			    (set->authsrc == TABSRC_SYSTEM ?
			    USERS_BADAUTHTAB : 0);
		}
		if (set->usersrc != TABSRC_SYSTEM) {
			close(userfd);
			userfd = -1;
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

	u->authkind = authkind = (set->weak_hashes ? TABLE_WEAK : 0) |
	    (set->authsrc == TABSRC_PASSWD ? TABLE_PASSWD : 0) |
	    (set->authsrc == TABSRC_SYSTEM ? TABLE_SKIP : 0);
	/* A FIFO or a device would hang or harm the root parent. */
	if (authfile != NULL && (afd = authfd) == -1 &&
	    (afd = open_regular(authfile, &errstr)) == -1) {
		log_warnx("%s: %s", authfile, errstr);
		bad = USERS_BADAUTHTAB;
	}
	/*
	 * usertab's check and authtab's at once (2 cores: a million users
	 * start and reload sooner).  usertab's finds authtab's users in
	 * usertab, authtab on its fd 3 (each reads at its own offset:
	 * table.c); without usertab, authtab's lines are checked alone.
	 */
	memset(&ua, 0, sizeof(ua));
	ua.file = authfile;
	ua.userfile = userfile;
	if (userfile != NULL && (u->userfd = users_table_start(userfile,
	    userfd, u->userkind, afd, authkind, &uck)) == -1)
		bad |= USERS_BADUSERTAB;
	if (afd != -1 && users_check_start("check", afd, authkind, authfile,
	    -1, 0, &ack) == 0)
		started = 1;
	else if (afd != -1)
		bad |= USERS_BADAUTHTAB;
	if (u->userfd != -1 && users_check_end(&uck, userfile, user_line,
	    &ua, 1) == -1)
		bad |= USERS_BADUSERTAB;
	if (ua.bad)
		bad |= USERS_BADAUTHTAB;
	memset(&ca, 0, sizeof(ca));
	ca.u = u;
	ca.file = authfile;
	if (started && users_check_end(&ack, authfile, check_line, &ca,
	    0) == -1)
		bad |= USERS_BADAUTHTAB;
	else if (started)
		u->kinds_read = 1;
	/*
	 * The authtab checked is the one every authpop reads, a file
	 * replaced meanwhile waiting for the next reload.
	 */
	if (bad != 0) {
		users_free(u);
		if (afd != -1)
			close(afd);
	} else
		u->authfd = afd;
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
	users_init(u);
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
		mt.kind = TABLE_AUTH | users.authkind;
		/* The authtab checked: each authpop reads it at its offset. */
		if (users.authfd != -1) {
			if ((fd = fcntl(users.authfd, F_DUPFD_CLOEXEC, 0)) == -1)
				errstr = strerror(errno);
		} else
			fd = compat_spool_create("authtab-none");
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
 * "authcheck -m mode" on the authtab fd (authcheck/authcheck.c): it
 * reads it for the parent, as _pop3auth in its chroot; its stdout goes
 * to out, its stderr to err.  kind's TABLE_PASSWD, _SKIP and _WEAK are
 * its flags.  The pid, or -1 (logged).
 */
pid_t
authtab_spawn(const char *mode, int fd, int kind, int out, int err)
{
	return check_spawn(mode, fd, kind, -1, 0, out, err);
}

/*
 * authtab_spawn's, and mode "table": fd is another table, of table.h's
 * kind; a usertab's lines with a daemon's uid are said (-x), and
 * authfd, unless -1, is authtab (of authkind's flags), whose users must
 * be in it (-A), for its fd 3.
 */
static pid_t
check_spawn(const char *mode, int fd, int kind, int authfd, int authkind,
    int out, int err)
{
	char		*argv[24], other[16], names[16];
	char		 uids[DAEMON_UIDS][16 + POPD_MAXUSER];
	pid_t		 pid;
	int		 argc = 0, fds[4], n = 3;

	argv[argc++] = "authcheck";
	argv[argc++] = "-m";
	argv[argc++] = (char *)mode;
	if (strcmp(mode, "table") == 0) {
		(void)snprintf(other, sizeof(other), "%d", kind);
		argv[argc++] = "-t";
		argv[argc++] = other;
		if ((kind & 0xf) == TABLE_USERS)
			argc = daemon_args(argv, argc, uids);
		kind = 0;
	}
	if (kind & TABLE_PASSWD)
		argv[argc++] = "-p";
	if (kind & TABLE_SKIP)
		argv[argc++] = "-s";
	if (kind & TABLE_WEAK)
		argv[argc++] = "-w";
	if (authfd != -1) {
		(void)snprintf(names, sizeof(names), "%d", TABLE_AUTH |
		    authkind);
		argv[argc++] = "-A";
		argv[argc++] = names;
		fds[n++] = authfd;
	}
	argv[argc] = NULL;
	fds[0] = fd;
	fds[1] = out;
	fds[2] = err;
	if ((pid = child_exec(authcheck_path, argv, fds, n)) == -1)
		log_warn("authtab: authcheck");
	return pid;
}

/*
 * usertab system, authtab system: authcheck -m system writes the
 * system's users as a usertab into *userfd and, if authfd is not NULL,
 * their hashes as an authtab into *authfd: files of no name made here.
 * It reads the user and shadow databases as _pop3auth (authcheck's
 * system.c): the parent reads neither.  -1 (logged) if it could not.
 */
static int
system_tables(const struct popd_conf *c, int *userfd, int *authfd)
{
	struct check	 ck;
	char		*argv[12 + 2 * DAEMON_UIDS], range[32];
	char		 uids[DAEMON_UIDS][16 + POPD_MAXUSER];
	int		 p[2] = { -1, -1 }, fds[4], argc = 0, n = 3;

	*userfd = -1;
	argv[argc++] = "authcheck";
	argv[argc++] = "-m";
	argv[argc++] = "system";
	argv[argc++] = "-r";
	(void)snprintf(range, sizeof(range), "%u-%u", c->system_uid[0],
	    c->system_uid[1]);
	argv[argc++] = range;
	if (authfd != NULL)
		argv[argc++] = "-H";
	if (c->system_group[0] != '\0') {
		argv[argc++] = "-g";
		argv[argc++] = (char *)c->system_group;
	}
	argc = daemon_args(argv, argc, uids);
	argv[argc] = NULL;
	if ((*userfd = compat_spool_create("usertab-system")) == -1 ||
	    (authfd != NULL && (*authfd = compat_spool_create(
	    "authtab-system")) == -1) || pipe2(p, O_CLOEXEC) == -1) {
		log_warn("system accounts");
		goto fail;
	}
	fds[0] = *userfd;
	fds[1] = fds[2] = p[1];
	if (authfd != NULL)
		fds[n++] = *authfd;
	ck.deadline = monotime() + AUTHTAB_WAIT;
	ck.pid = child_exec(authcheck_path, argv, fds, n);
	close(p[1]);
	if (ck.pid == -1) {
		log_warn("system accounts: authcheck");
		close(p[0]);
		goto fail;
	}
	ck.out = p[0];
	if (users_check_end(&ck, "system accounts", NULL, NULL, 1) == 0)
		return 0;
 fail:
	if (*userfd != -1)
		close(*userfd);
	if (authfd != NULL && *authfd != -1)
		close(*authfd);
	*userfd = -1;
	return -1;
}

/*
 * "-x UID:NAME" for each daemon's uid, after argv[argc]: the new argc.
 * authcheck refuses a usertab line with one, naming the daemon.
 */
static int
daemon_args(char **argv, int argc, char uids[][16 + POPD_MAXUSER])
{
	int	i;

	for (i = 0; i < DAEMON_UIDS; i++) {
		if (daemon_uid[i] == (uid_t)-1)
			continue;
		(void)snprintf(uids[i], 16 + POPD_MAXUSER, "%u:%s",
		    (unsigned)daemon_uid[i], daemon_names[i]);
		argv[argc++] = "-x";
		argv[argc++] = uids[i];
	}
	return argc;
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

/* One line of authcheck's check: a count of a kind of hash, or -1. */
static int
check_line(void *arg, char *line)
{
	struct checkarg		*ca = arg;
	struct stats_kinds	*k = &ca->u->kinds;
	const char		*errstr, *name;
	char			*sp, *sp2;
	long long		 n;
	int			 weak;

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
 * The file of app passwords (apps.c), opened as root and checked by
 * "authcheck -m apps" for at most APPS_LOAD_WAIT seconds: 0, or -1 with
 * the reasons logged, naming the file.  A table thread may call this
 * (the reload).
 */
static int
apps_check(const char *file)
{
	struct check	 ck;
	const char	*errstr;
	int		 fd, r = -1;

	/* A FIFO or a device would hang or harm the root parent. */
	if ((fd = open_regular(file, &errstr)) == -1) {
		log_warnx("%s: %s", file, errstr);
		return -1;
	}
	if (users_check_start("apps", fd, 0, file, -1, 0, &ck) == 0) {
		ck.deadline = monotime() + APPS_LOAD_WAIT;
		r = users_check_end(&ck, file, NULL, NULL, 0);
	}
	close(fd);
	return r;
}

/*
 * "authcheck -m mode" (kind: its flags) started on fd, a file named
 * file (check_spawn's authfd, authkind), for at most AUTHTAB_WAIT
 * seconds: users_check_end waits for it, and says "=" lines to its fn.
 * -1 if it could not be (logged).
 */
static int
users_check_start(const char *mode, int fd, int kind, const char *file,
    int authfd, int authkind, struct check *ck)
{
	int	p[2];

	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("%s: pipe", file);
		return -1;
	}
	ck->deadline = monotime() + AUTHTAB_WAIT;
	if ((ck->pid = check_spawn(mode, fd, kind, authfd, authkind, p[1],
	    p[1])) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	ck->out = p[0];
	return 0;
}

/*
 * What the authcheck of ck says: each "=" line to fn(arg, line), its
 * messages logged, naming file; table: its warnings ("=ok" after them)
 * leave the table good.  0 if it said "=ok" and fn took every line.
 * Another one may run meanwhile: it only waits to write what it says.
 */
static int
users_check_end(struct check *ck, const char *file, int (*fn)(void *,
    char *), void *arg, int table)
{
	char	 buf[2048], *nl, *line;
	size_t	 have = 0;
	ssize_t	 n;
	struct pollfd pfd;
	int	 ok = 0, bad = 0;

	pfd.fd = ck->out;
	pfd.events = POLLIN;
	while (monotime() < ck->deadline) {
		if (poll(&pfd, 1, 1000) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((n = read(ck->out, buf + have, sizeof(buf) - 1 - have)) <=
		    0) {
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
				/* A record no mode of fn's (NULL) says. */
				if (fn == NULL || fn(arg, line) == -1)
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
	close(ck->out);
	if (child_wait(ck->pid, ck->deadline, "authcheck") != 0 && !ok)
		bad = 1;
	return bad || !ok ? -1 : 0;
}
