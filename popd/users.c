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
 * The file tables, opened as root, checked by authcheck as _pop3auth and
 * parsed by tablepop alone.  A reload hands every authpop authtab's new
 * image before its next check: no later attempt checks a revoked password.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
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

struct check {
	struct load	*load;
	pid_t		 pid;		/* 0: not running */
	int		 out;		/* what it says */
	struct event	 ev;
	const char	*file;		/* what its messages name */
	int		 badbit;	/* USERS_BAD*: what its failure makes */
	int		 ok, bad, failed;
	size_t		 have;
	char		 buf[2048];
	char		 first[256];	/* its first message */
};

struct checkarg {
	struct users	*u;
	const char	*file;
	const char	*userfile;
	int		 bad;
};

#define DAEMON_ARGS	(DAEMON_UIDS + DAEMON_GIDS + REFUSE_MAX)
#define DAEMON_ARGLEN	(16 + sizeof(daemon_gwhat[0]))

enum { CK_ROUTE, CK_APPS, CK_QUOTA, CK_JUNK, CK_SYSTEM, CK_USER, CK_AUTH,
    CK_MAX };

struct load {
	const struct popd_conf	*c;
	struct users		*u;
	struct event_base	*base;		/* NULL: the event loop's */
	void			(*done)(int, void *);
	void			*arg;
	struct check		 ck[CK_MAX];
	struct event		 timer;
	time_t			 deadline;
	int			 running, bad;
	int			 sysuser, sysauth;	/* CK_SYSTEM's files */
	int			 afd;			/* authtab */
	int			 img;			/* its image */
	int			 appimg;		/* app passwords' */
	struct checkarg		 ua, ca;
	char			 userpath[32], authpath[32];
	uint64_t		 said[256];		/* check_said's */
	int			 nsaid;
	char			 fault[256];	/* users.fault's */
};

static const int badbits[CK_MAX] = {
	USERS_BADROUTE, USERS_BADAPPS, USERS_BADQUOTA, USERS_BADJUNK, 0,
	USERS_BADUSERTAB, USERS_BADAUTHTAB
};

static void	check_read(int, short, void *);

static void
load_fault(struct load *l, const char *file, const char *why)
{
	if (l->fault[0] != '\0')
		return;
	(void)strlcpy(l->fault, file, sizeof(l->fault));
	if (why != NULL) {
		(void)strlcat(l->fault, ": ", sizeof(l->fault));
		(void)strlcat(l->fault, why, sizeof(l->fault));
	}
}

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
 * No mail user may have it: a session would run with it, and only
 * Landlock would stand between it and what the group reads.
 */
int
users_refused_gid(gid_t gid, char *why, size_t len)
{
	int	i;

	for (i = 0; i < DAEMON_GIDS; i++)
		if (daemon_gid[i] != (gid_t)-1 && gid == daemon_gid[i]) {
			(void)snprintf(why, len, "gid %u is %s: give mail "
			    "users groups of their own", (unsigned)gid,
			    daemon_gwhat[i]);
			return 1;
		}
	for (i = 0; i < conf->nrefuse; i++)
		if (gid == conf->refuse_gid[i]) {
			(void)snprintf(why, len, "gid %u is the group %s of "
			    "refuse groups", (unsigned)gid,
			    conf->refuse_groups[i]);
			return 1;
		}
	if (gid < FIRST_GID) {
		(void)snprintf(why, len, "gid %u is a system group's (below "
		    "%d)", (unsigned)gid, FIRST_GID);
		return 1;
	}
	return 0;
}

static int
nologin_line(const char *file, char *line, uint64_t *count)
{
	const char	*errstr;
	char		*sp, *sp2;
	long long	 n;

	if ((sp = strchr(line + 9, ' ')) == NULL ||
	    (sp2 = strchr(sp + 1, ' ')) == NULL)
		return -1;
	*sp++ = '\0';
	*sp2++ = '\0';
	n = strtonum(line + 9, 0, LLONG_MAX, &errstr);
	if (errstr != NULL || !valid_username(sp))
		return -1;
	if (n == 0)
		log_warnx("authtab system: user %s: %s: no login", sp, sp2);
	else {
		log_warnx("%s:%lld: \"%s\" has %s: %s cannot log in", file, n,
		    sp, sp2, sp);
		if (count != NULL)
			(*count)++;
	}
	return 0;
}

static int
user_line(struct checkarg *ua, char *line)
{
	const char	*errstr;
	char		*sp;
	long long	 n;

	if (strncmp(line, "=nologin ", 9) == 0)
		return nologin_line(ua->userfile, line, NULL);
	/* "=first NAME /PATH": usertab's first maildir (health.c). */
	if (strncmp(line, "=first ", 7) == 0) {
		if ((sp = strchr(line + 7, ' ')) == NULL)
			return -1;
		*sp++ = '\0';
		if (!valid_username(line + 7) || *sp != '/' ||
		    strlcpy(ua->u->firstpath, sp, sizeof(ua->u->firstpath)) >=
		    sizeof(ua->u->firstpath))
			return -1;
		(void)strlcpy(ua->u->first, line + 7, sizeof(ua->u->first));
		return 0;
	}
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

static int
check_line(struct checkarg *ca, char *line)
{
	struct stats_kinds	*k = &ca->u->kinds;
	const char		*errstr, *name;
	char			*sp, *sp2;
	long long		 n;
	int			 weak;

	if (strncmp(line, "=nologin ", 9) == 0)
		return nologin_line(ca->file, line, &ca->u->nologin);
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

static void
users_init(struct users *u)
{
	memset(u, 0, sizeof(*u));
	u->userfd = u->authfd = u->authimg = u->appsimg = u->routefd =
	    u->quotafd = u->junkfd = -1;
}

void
users_free(struct users *u)
{
	int	*fds[] = { &u->userfd, &u->authfd, &u->authimg, &u->appsimg,
		    &u->routefd, &u->quotafd, &u->junkfd };
	size_t	 i;

	for (i = 0; i < nitems(fds); i++)
		if (*fds[i] != -1)
			close(*fds[i]);
	users_init(u);
}

static void
load_event(struct load *l, struct event *ev)
{
	if (l->base != NULL && event_base_set(l->base, ev) == -1)
		fatalx("%s: event_base_set", __func__);
}

static void
load_sync(int bad, void *arg)
{
	*(int *)arg = bad;
}

static int
daemon_args(char **argv, int argc, char ids[][DAEMON_ARGLEN])
{
	int	i;

	for (i = 0; i < DAEMON_UIDS; i++) {
		if (daemon_uid[i] == (uid_t)-1)
			continue;
		(void)snprintf(ids[i], DAEMON_ARGLEN, "%u:%s",
		    (unsigned)daemon_uid[i], daemon_names[i]);
		argv[argc++] = "-x";
		argv[argc++] = ids[i];
	}
	for (i = 0; i < DAEMON_GIDS; i++) {
		if (daemon_gid[i] == (gid_t)-1)
			continue;
		(void)snprintf(ids[DAEMON_UIDS + i], DAEMON_ARGLEN, "%u:%.63s",
		    (unsigned)daemon_gid[i], daemon_gwhat[i]);
		argv[argc++] = "-y";
		argv[argc++] = ids[DAEMON_UIDS + i];
	}
	for (i = 0; i < conf->nrefuse; i++) {
		if (conf->refuse_gid[i] == (gid_t)-1)
			continue;
		(void)snprintf(ids[DAEMON_UIDS + DAEMON_GIDS + i],
		    DAEMON_ARGLEN, "%u:the group %s of refuse groups",
		    (unsigned)conf->refuse_gid[i], conf->refuse_groups[i]);
		argv[argc++] = "-z";
		argv[argc++] = ids[DAEMON_UIDS + DAEMON_GIDS + i];
	}
	return argc;
}

pid_t
authtab_spawn(const char *mode, int fd, int kind, int authfd, int authkind,
    int out, int err)
{
	char		*argv[16 + 2 * DAEMON_ARGS], other[16], names[16];
	char		 uids[DAEMON_ARGS][DAEMON_ARGLEN];
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
	/* Modes check's and apps' fd 3 is the image they write. */
	if (authfd != -1 && strcmp(mode, "table") == 0) {
		(void)snprintf(names, sizeof(names), "%d", TABLE_AUTH |
		    authkind);
		argv[argc++] = "-A";
		argv[argc++] = names;
	}
	if (authfd != -1)
		fds[n++] = authfd;
	argv[argc] = NULL;
	fds[0] = fd;
	fds[1] = out;
	fds[2] = err;
	if ((pid = child_exec(authcheck_path, argv, fds, n)) == -1)
		log_warn("authtab: authcheck");
	return pid;
}

static void
check_watch(struct load *l, int i, pid_t pid, int out, const char *file)
{
	struct check	*ck = &l->ck[i];

	ck->load = l;
	ck->pid = pid;
	ck->out = out;
	ck->file = file;
	if (i != CK_SYSTEM)
		ck->badbit = badbits[i];
	event_set(&ck->ev, out, EV_READ | EV_PERSIST, check_read, ck);
	load_event(l, &ck->ev);
	if (event_add(&ck->ev, NULL) == -1)
		fatal("event_add");
	l->running++;
}

/* No root process parses it. */
static int
check_file(struct load *l, int i, const char *mode, const char *file,
    int fd, int kind, int authfd, int authkind)
{
	const char	*errstr;
	pid_t		 pid;
	int		 p[2];

	/* A FIFO or a device would hang or harm the root parent. */
	if (fd == -1 && (fd = open_regular(file, &errstr)) == -1) {
		log_warnx("%s: %s", file, errstr);
		load_fault(l, file, errstr);
		l->bad |= badbits[i];
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("%s: pipe", file);
		goto bad;
	}
	pid = authtab_spawn(mode, fd, kind, authfd, authkind, p[1], p[1]);
	close(p[1]);
	if (pid == -1) {
		close(p[0]);
		goto bad;
	}
	check_watch(l, i, pid, p[0], file);
	return fd;
 bad:
	close(fd);
	l->bad |= badbits[i];
	return -1;
}

static void
userauth_start(struct load *l)
{
	const struct conf_settings *set = &l->c->set;
	struct users	*u = l->u;
	const char	*userfile = NULL, *authfile = NULL, *errstr;

	if (set->usersrc == TABSRC_FILE || set->usersrc == TABSRC_PASSWD)
		userfile = set->usertab;
	else if (set->usersrc == TABSRC_SYSTEM)
		userfile = l->userpath;
	if (set->authsrc == TABSRC_FILE || set->authsrc == TABSRC_PASSWD)
		authfile = set->authtab;
	else if (set->authsrc == TABSRC_SYSTEM)
		authfile = l->authpath;
	u->authkind = (set->weak_hashes ? TABLE_WEAK : 0) |
	    (set->authsrc == TABSRC_PASSWD ? TABLE_PASSWD : 0) |
	    (set->authsrc == TABSRC_SYSTEM ? TABLE_SKIP : 0);
	if (authfile != NULL && (l->afd = l->sysauth) == -1 &&
	    (l->afd = open_regular(authfile, &errstr)) == -1) {
		log_warnx("%s: %s", authfile, errstr);
		load_fault(l, authfile, errstr);
		l->bad |= USERS_BADAUTHTAB;
	}
	l->sysauth = -1;
	l->ua.file = l->ca.file = authfile;
	l->ua.userfile = userfile;
	l->ua.u = l->ca.u = u;
	if (userfile != NULL)
		u->userfd = check_file(l, CK_USER, "table", userfile,
		    l->sysuser, u->userkind, l->afd, u->authkind);
	l->sysuser = -1;
	if (l->afd == -1)
		return;
	if ((l->img = compat_spool_create("authtab-image")) == -1) {
		log_warn("%s: image", authfile);
		l->bad |= USERS_BADAUTHTAB;
		return;
	}
	l->afd = check_file(l, CK_AUTH, "check", authfile, l->afd,
	    u->authkind, l->img, 0);
}

/* Into files of no name made here: the parent reads neither database. */
static void
system_start(struct load *l)
{
	const struct popd_conf *c = l->c;
	char		*argv[12 + 2 * DAEMON_ARGS], range[32];
	char		 uids[DAEMON_ARGS][DAEMON_ARGLEN];
	int		 p[2] = { -1, -1 }, fds[4], argc = 0, n = 3;
	int		 auth = c->set.authsrc == TABSRC_SYSTEM;
	pid_t		 pid;

	argv[argc++] = "authcheck";
	argv[argc++] = "-m";
	argv[argc++] = "system";
	argv[argc++] = "-r";
	(void)snprintf(range, sizeof(range), "%u-%u", c->system_uid[0],
	    c->system_uid[1]);
	argv[argc++] = range;
	if (auth)
		argv[argc++] = "-H";
	if (c->system_group[0] != '\0') {
		argv[argc++] = "-g";
		argv[argc++] = (char *)c->system_group;
	}
	argc = daemon_args(argv, argc, uids);
	argv[argc] = NULL;
	l->ck[CK_SYSTEM].badbit =
	    (c->set.usersrc == TABSRC_SYSTEM ? USERS_BADUSERTAB : 0) |
	    (auth ? USERS_BADAUTHTAB : 0);
	if ((l->sysuser = compat_spool_create("usertab-system")) == -1 ||
	    (auth && (l->sysauth = compat_spool_create(
	    "authtab-system")) == -1) || pipe2(p, O_CLOEXEC) == -1) {
		log_warn("system accounts");
		l->bad |= l->ck[CK_SYSTEM].badbit;
		return;
	}
	fds[0] = l->sysuser;
	fds[1] = fds[2] = p[1];
	if (auth)
		fds[n++] = l->sysauth;
	pid = child_exec(authcheck_path, argv, fds, n);
	close(p[1]);
	if (pid == -1) {
		log_warn("system accounts: authcheck");
		close(p[0]);
		l->bad |= l->ck[CK_SYSTEM].badbit;
		return;
	}
	check_watch(l, CK_SYSTEM, pid, p[0], "system accounts");
}

static void
system_written(struct load *l)
{
	if (l->ck[CK_SYSTEM].failed)
		return;
	if (l->c->set.usersrc != TABSRC_SYSTEM) {
		close(l->sysuser);
		l->sysuser = -1;
	}
	(void)snprintf(l->userpath, sizeof(l->userpath), "/dev/fd/%d",
	    l->sysuser);
	(void)snprintf(l->authpath, sizeof(l->authpath), "/dev/fd/%d",
	    l->sysauth);
	userauth_start(l);
}

/* Bad unless it said "=ok" and nothing wrong. */
static void
check_end(struct check *ck)
{
	struct load	*l = ck->load;

	(void)event_del(&ck->ev);
	close(ck->out);
	(void)child_wait(ck->pid, l->deadline, "authcheck");
	ck->pid = 0;
	l->running--;
	if ((ck->failed = ck->bad || !ck->ok))
		l->bad |= ck->badbit;
	if (ck->failed && ck->badbit != 0 && ck->first[0] != '\0')
		load_fault(l, ck->first, NULL);
}

static void
load_end(struct load *l)
{
	struct users	*u = l->u;
	int		 bad = l->bad | (l->ua.bad ? USERS_BADAUTHTAB : 0);

	(void)event_del(&l->timer);
	if (l->sysuser != -1)
		close(l->sysuser);
	if (l->sysauth != -1)
		close(l->sysauth);
	u->authfd = l->afd;
	u->authimg = l->img;
	u->appsimg = l->appimg;
	u->kinds_read = l->afd != -1;
	/* Kept good for confpop's popd -nv and -m: the system accounts'. */
	if (bad != 0) {
		users_free(u);
		(void)strlcpy(u->fault, l->fault, sizeof(u->fault));
	} else if (l->afd != -1 && l->c->set.authsrc != TABSRC_SYSTEM) {
		close(u->authfd);
		u->authfd = -1;
	}
	l->done(bad, l->arg);
	free(l);
}

static void
load_timeout(int fd, short ev, void *arg)
{
	struct load	*l = arg;
	int		 i;

	for (i = 0; i < CK_MAX; i++)
		if (l->ck[i].pid != 0)
			check_end(&l->ck[i]);
	load_end(l);
}

/* A file two checks read (a passwd-file as authtab and usertab): once. */
static int
check_said(struct load *l, const char *msg)
{
	static const uint64_t	 key[2];
	uint64_t		 h = siphash(key, msg, strlen(msg));
	int			 i;

	for (i = 0; i < l->nsaid; i++)
		if (l->said[i] == h)
			return 1;
	if (l->nsaid < (int)nitems(l->said))
		l->said[l->nsaid++] = h;
	return 0;
}

/* A table's warnings ("=ok" after them) leave it good. */
static void
check_read(int fd, short ev, void *arg)
{
	struct check	*ck = arg;
	struct load	*l = ck->load;
	char		*nl, *line, msg[PATH_MAX + sizeof(ck->buf)];
	ssize_t		 n;
	int		 i = ck - l->ck, table = i != CK_APPS && i != CK_AUTH;

	if ((n = read(fd, ck->buf + ck->have, sizeof(ck->buf) - 1 -
	    ck->have)) == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		check_end(ck);
		if (ck == &l->ck[CK_SYSTEM])
			system_written(l);
		if (l->running == 0)
			load_end(l);
		return;
	}
	ck->have += n;
	ck->buf[ck->have] = '\0';
	/* A line longer than buf is cut: only a message can be. */
	if (strchr(ck->buf, '\n') == NULL && ck->have == sizeof(ck->buf) - 1)
		ck->buf[ck->have - 1] = '\n';
	line = ck->buf;
	while ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		if (strcmp(line, "=ok") == 0)
			ck->ok = 1;
		else if (line[0] == '=') {
			if ((i == CK_USER ? user_line(&l->ua, line) :
			    i == CK_AUTH ? check_line(&l->ca, line) : -1) == -1)
				ck->bad = 1;
		} else {
			/* Its messages name the file it read on fd 0. */
			if (strncmp(line, "/dev/fd/0", 9) == 0)
				(void)snprintf(msg, sizeof(msg), "%s%s",
				    ck->file, line + 9);
			else
				(void)snprintf(msg, sizeof(msg), "%s: %s",
				    ck->file, line);
			if (!check_said(l, msg))
				log_warnx("%s", msg);
			if (ck->first[0] == '\0')
				(void)strlcpy(ck->first, msg,
				    sizeof(ck->first));
			ck->bad |= !table;
		}
		line = nl + 1;
	}
	ck->have -= line - ck->buf;
	memmove(ck->buf, line, ck->have);
}

void
users_load_start(const struct popd_conf *c, struct users *u,
    struct event_base *base, void (*done)(int, void *), void *arg)
{
	const struct conf_settings *set = &c->set;
	struct timeval	 tv = { 0, 0 };
	struct load	*l;
	int		 fd;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("%s", __func__);
	l->c = c;
	l->u = u;
	l->base = base;
	l->done = done;
	l->arg = arg;
	l->deadline = monotime() + AUTHTAB_WAIT;
	l->sysuser = l->sysauth = l->afd = l->img = l->appimg = -1;
	users_init(u);
	/* Dovecot's passwd-file: each reading takes the columns it needs. */
	u->userkind = TABLE_USERS |
	    (set->usersrc == TABSRC_PASSWD ? TABLE_PASSWD : 0);
	/* nginx's auth_http: each user's backend, which tablepop routes. */
	if (set->route[0] != '\0' && set->routesrc == TABSRC_FILE)
		u->routefd = check_file(l, CK_ROUTE, "table", set->route, -1,
		    TABLE_ROUTES, -1, 0);
	/* App passwords, if a file holds them: their image for authpop. */
	if (c->apps[0] != '\0' && c->appssrc == TABSRC_FILE &&
	    (l->appimg = compat_spool_create("apps-image")) == -1) {
		log_warn("%s: image", c->apps);
		l->bad |= USERS_BADAPPS;
	} else if (l->appimg != -1 && (fd = check_file(l, CK_APPS, "apps",
	    c->apps, -1, 0, l->appimg, 0)) != -1)
		close(fd);
	u->quotakind = TABLE_QUOTAS |
	    (set->quota.userssrc == TABSRC_PASSWD ? TABLE_PASSWD : 0);
	if (set->quota.users[0] != '\0' &&
	    (set->quota.userssrc == TABSRC_FILE ||
	    set->quota.userssrc == TABSRC_PASSWD))
		u->quotafd = check_file(l, CK_QUOTA, "table", set->quota.users,
		    -1, u->quotakind, -1, 0);
	if (set->junk_users[0] != '\0' && set->junk_userssrc == TABSRC_FILE)
		u->junkfd = check_file(l, CK_JUNK, "table", set->junk_users, -1,
		    TABLE_JUNK, -1, 0);
	if (set->usersrc == TABSRC_SYSTEM || set->authsrc == TABSRC_SYSTEM)
		system_start(l);
	else
		userauth_start(l);
	evtimer_set(&l->timer, load_timeout, l);
	load_event(l, &l->timer);
	if (l->running > 0)
		tv.tv_sec = AUTHTAB_WAIT;
	if (evtimer_add(&l->timer, &tv) == -1)
		fatal("evtimer_add");
}

int
users_load(const struct popd_conf *c, struct users *u)
{
	struct event_base	*base;
	int			 bad = 0;

	if ((base = event_base_new()) == NULL)
		fatalx("%s: event_base_new", __func__);
	users_load_start(c, u, base, load_sync, &bad);
	if (event_base_dispatch(base) == -1)
		fatalx("%s: event_base_dispatch", __func__);
	event_base_free(base);
	return bad;
}

/* Each authpop takes them before any line a client sends after this. */
void
users_send_tables(const struct proc *fresh)
{
	struct msg_newtab	 mt;
	struct proc		*p;
	int			 fd;

	TAILQ_FOREACH(p, &procs, entry) {
		if (p->id != KIND_AUTHPOP || p == fresh || p->chan.fd == -1)
			continue;
		memset(&mt, 0, sizeof(mt));
		mt.kind = TABLE_AUTH | users.authkind;
		if (users.authimg != -1)
			fd = fcntl(users.authimg, F_DUPFD_CLOEXEC, 0);
		else if ((fd = compat_spool_create("authtab-none")) != -1 &&
		    compat_spool_seal(fd) == -1) {
			close(fd);
			fd = -1;
		}
		if (fd != -1)
			chan_send(&p->chan, MSG_PARENT_TABLE, fd, &mt,
			    sizeof(mt));
		mt.kind = 0;
		if (fd != -1 && users.appsimg != -1)
			fd = send_dup(&p->chan, MSG_PARENT_TABLE,
			    users.appsimg, &mt, sizeof(mt));
		if (fd == -1) {
			/* It cannot read what it was not sent: it goes. */
			log_warn("reload: authpop %d cannot have the new "
			    "tables: it stops", (int)p->pid);
			(void)kill(p->pid, SIGKILL);
			continue;
		}
		if (users.appsimg == -1)
			chan_send(&p->chan, MSG_PARENT_APPSASK, -1, NULL, 0);
	}
}
