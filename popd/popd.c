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
 * The popd parent: runs as root, never reads a client's byte, binds the
 * sockets, and supervises the children (proto.c declares what each may
 * send, supervise.c handles it), one wrkrpop per login and one dlvrpop
 * per maildir in delivery, each as the user usertab gives.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/tree.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "chan.h"
#include "config.h"
#include "settings.h"
#include "addr.h"
#include "proc.h"
#include "table.h"
#include "sandbox.h"
#include "lookup.h"
#include "version.h"

/* A million users load in about a second. */
#define RELOAD_AUTHWAIT		5

static void		restart_needed(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
static void		reload(void);

static struct popd_args	 args;
/* What confpop -C is given at each load: our arguments, our directory. */
static char		**popd_argv;
static char		 popd_cwd[PATH_MAX] = "/";

static char **
strv_copy(char *const v[])
{
	char	**copy;
	size_t	  n, i;

	for (n = 0; v[n] != NULL; n++)
		;
	if ((copy = calloc(n + 1, sizeof(*copy))) == NULL)
		err(1, NULL);
	for (i = 0; i < n; i++)
		if ((copy[i] = strdup(v[i])) == NULL)
			err(1, NULL);
	return copy;
}

/*
 * What the parent and children may exec, for good (Landlock, unveil): a
 * reload cannot add a program.  A script needs its interpreter too.
 */
static const char *const *
exec_paths(const struct popd_conf *c)
{
	static const char	*paths[KIND_MAX + 6 + 2 * POPD_MAXTABLES];
	const struct conf_table	*t;
	size_t			 i, n = 0;

	for (i = 0; i < KIND_MAX; i++)
		paths[n++] = proc_path[i];
	paths[n++] = wrkrpop_path;
	paths[n++] = dlvrpop_path;
	paths[n++] = authcheck_path;
	paths[n++] = confpop_path;
	if (access(TABLEDIR, F_OK) == 0)
		paths[n++] = TABLEDIR;
	TAILQ_FOREACH(t, &c->tables, entry) {
		if (t->program[0] == '\0')
			continue;	/* a file */
		/* TABLEDIR's are there already; a script's interpreter not. */
		if (strcmp(t->backend, "proc") == 0)
			paths[n++] = t->program;
		for (i = 0; t->interp[0] != '\0' && i < n; i++)
			if (strcmp(paths[i], t->interp) == 0)
				break;
		if (t->interp[0] != '\0' && i == n &&
		    (paths[n++] = strdup(t->interp)) == NULL)
			fatal("%s", __func__);
	}
	paths[n] = NULL;
	return paths;
}

static const char *
link_dir(const char *path)
{
	struct stat	 st;
	char		 real[PATH_MAX], *dir;

	if (lstat(path, &st) == -1 || !S_ISLNK(st.st_mode) ||
	    realpath(path, real) == NULL)
		return NULL;
	if ((dir = strdup(dirname(real))) == NULL)
		fatal("%s", __func__);
	return dir;
}

/*
 * What SIGHUP reads, for unveil(2).  A pki symlink (certbot's live/) is
 * unveiled with its target's directory: a renewal points it at a new file.
 */
static const char *const *
conf_files(const struct popd_conf *c)
{
	static const char	**files;
	const struct conf_pki	*pki;
	size_t			 n = 0;

	TAILQ_FOREACH(pki, &c->pkis, entry)
		n += 4;
	if ((files = reallocarray(NULL, n + 10, sizeof(*files))) == NULL)
		fatal("%s", __func__);
	n = 0;
	if (c->apps[0] != '\0') {
		if (c->appssrc == TABSRC_FILE)
			files[n++] = c->apps;
		files[n++] = c->set.app_key;
	}
	if (c->set.ticket_key[0] != '\0')
		files[n++] = c->set.ticket_key;
	if (c->set.authsrc == TABSRC_FILE || c->set.authsrc == TABSRC_PASSWD)
		files[n++] = c->set.authtab;
	if (c->set.usersrc == TABSRC_FILE || c->set.usersrc == TABSRC_PASSWD)
		files[n++] = c->set.usertab;
	if (c->set.junk_users[0] != '\0' &&
	    c->set.junk_userssrc == TABSRC_FILE)
		files[n++] = c->set.junk_users;
	if (c->set.quota.users[0] != '\0' &&
	    (c->set.quota.userssrc == TABSRC_FILE ||
	    c->set.quota.userssrc == TABSRC_PASSWD))
		files[n++] = c->set.quota.users;
	if (c->set.route[0] != '\0' && c->set.routesrc == TABSRC_FILE)
		files[n++] = c->set.route;
	TAILQ_FOREACH(pki, &c->pkis, entry) {
		files[n++] = pki->cert;
		files[n++] = pki->key;
		if ((files[n] = link_dir(pki->cert)) != NULL)
			n++;
		if ((files[n] = link_dir(pki->key)) != NULL)
			n++;
	}
	files[n] = NULL;
	return files;
}

static const char *const *
made_paths(const struct popd_conf *c, const char *appsdir)
{
	static const char	 *paths[MAX_LISTEN + 5];
	static char		  drained[PATH_MAX], backends[PATH_MAX];
	const struct conf_listen *l;
	size_t			  n = 0;

	paths[n++] = c->ctlsock;
	/* The state files beside it, made and removed after confinement. */
	if (state_path(drained, sizeof(drained), STATE_DRAINED) != NULL)
		paths[n++] = drained;
	if (state_path(backends, sizeof(backends), STATE_BACKENDS) != NULL)
		paths[n++] = backends;
	TAILQ_FOREACH(l, &c->listens, entry)
		if (l->path[0] != '\0' && n < MAX_LISTEN + 3)
			paths[n++] = l->path;
	if (appsdir != NULL)
		paths[n++] = appsdir;
	paths[n] = NULL;
	return paths;
}

/*
 * SIGHUP: new children with the new configuration; the old ones drain.
 * Anything wrong keeps the whole old configuration.  One reload at a time.
 */
struct waiter {
	TAILQ_ENTRY(waiter)	 entry;
	struct ctlans		*a;
};
TAILQ_HEAD(waiters, waiter);

static struct reloading {
	int			 busy, again;
	int			 follow;	/* the tables alone */
	int			 followed;	/* the last one did */
	struct popd_conf	*nconf;
	struct users		 nusers;
	int			 tables;	/* tablepop first: started */
	int			 tablewait;	/* until it serves */
	struct event		 authwait;	/* RELOAD_AUTHWAIT */
	struct waiters		 waiting, after;
	char			 why[512];
	int			 nrestart;	/* restart needed */
	char			 restart[CTL_RESTARTMAX];
} rl = {
	.waiting = TAILQ_HEAD_INITIALIZER(rl.waiting),
	.after = TAILQ_HEAD_INITIALIZER(rl.after),
};

static void
reload_control(struct ctlans *a)
{
	struct waiter	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("%s", __func__);
		ctlans_end(a, "out of memory");
		return;
	}
	w->a = a;
	TAILQ_INSERT_TAIL(&rl.after, w, entry);
	if (rl.busy)
		rl.again = 1;
	else
		reload();
}

/* Changes only a restart applies end the reload in error: popctl exits 1. */
static void
reload_answer(const char *why)
{
	static struct msg_ctlreload	 m;
	struct waiter			*w;
	char				 left[64];

	memset(&m, 0, sizeof(m));
	if (!args.legacy)
		(void)strlcpy(m.conffile, conf->file, sizeof(m.conffile));
	(void)strlcpy(m.restart, rl.restart, sizeof(m.restart));
	(void)snprintf(left, sizeof(left), "%d change%s need%s a restart of "
	    "popd", rl.nrestart, rl.nrestart == 1 ? "" : "s",
	    rl.nrestart == 1 ? "s" : "");
	while ((w = TAILQ_FIRST(&rl.waiting)) != NULL) {
		TAILQ_REMOVE(&rl.waiting, w, entry);
		if (why == NULL)
			ctlans_rec(w->a, MSG_PARENT_CTLRELOAD, -1, &m,
			    sizeof(m));
		ctlans_end(w->a, why != NULL ? why : rl.nrestart > 0 ? left :
		    NULL);
		free(w);
	}
}

static const char *
tables_named(const struct popd_conf *c, int files)
{
	static char	 buf[3 * PATH_MAX + 64];
	const char	*name[3] = { c->set.authtab, c->set.usertab, c->apps };
	char		 what[3][PATH_MAX + 32];
	int		 src[3] = { c->set.authsrc, c->set.usersrc,
			    c->apps[0] != '\0' ? c->appssrc : -1 };
	int		 i, j, n = 0;
	for (i = 0; i < 3; i++) {
		if (src[i] == -1 || (files && src[i] != TABSRC_FILE &&
		    src[i] != TABSRC_PASSWD))
			continue;
		if (src[i] == TABSRC_SYSTEM)
			(void)strlcpy(what[n], i == 0 ? "the system's "
			    "passwords" : "the system's accounts",
			    sizeof(what[n]));
		else
			(void)snprintf(what[n], sizeof(what[n]), "%s%s%s",
			    src[i] == TABSRC_LOOKUP ? "table " : "", name[i],
			    src[i] == TABSRC_LOOKUP ? " (database)" : "");
		/* A passwd-file that is authtab and usertab: once. */
		for (j = 0; j < n; j++)
			if (strcmp(what[j], what[n]) == 0)
				break;
		if (j == n)
			n++;
	}
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			(void)strlcat(buf, i == n - 1 ? " and " : ", ",
			    sizeof(buf));
		(void)strlcat(buf, what[i], sizeof(buf));
	}
	return buf;
}

/* The sockets bound at startup: a reload cannot change them. */
static struct conf_listen	*bound;
static size_t			 nbound;
static char			 boundctl[PATH_MAX];
static int			 boundlisteners, boundv4, boundv6;

static void
conf_bound(const struct popd_conf *c)
{
	const struct conf_listen	*l;

	TAILQ_FOREACH(l, &c->listens, entry) {
		if ((bound = reallocarray(bound, nbound + 1,
		    sizeof(*bound))) == NULL)
			fatal("%s", __func__);
		bound[nbound] = *l;
		memset(&bound[nbound++].where, 0, sizeof(bound->where));
	}
	(void)strlcpy(boundctl, c->ctlsock, sizeof(boundctl));
	boundlisteners = c->listeners;
	boundv4 = c->set.per_address.ipv4_prefix;
	boundv6 = c->set.per_address.ipv6_prefix;
}

static int
listen_same(const struct conf_listen *a, const struct conf_listen *b)
{
	return strcmp(a->addr, b->addr) == 0 && a->port == b->port &&
	    a->flags == b->flags && strcmp(a->path, b->path) == 0 &&
	    strcmp(a->group, b->group) == 0 &&
	    strcmp(a->user, b->user) == 0 && strcmp(a->pki, b->pki) == 0;
}

static const char *
listen_text(const struct conf_listen *l)
{
	static char	buf[PATH_MAX + 64];

	if (l->path[0] != '\0')
		(void)snprintf(buf, sizeof(buf), "listen on socket %s",
		    l->path);
	else
		(void)snprintf(buf, sizeof(buf), "listen on %s port %d",
		    l->addr, l->port);
	return buf;
}

static void
restart_needed(const char *fmt, ...)
{
	va_list	 ap;
	char	 line[PATH_MAX + 128];
	size_t	 len = strlen(rl.restart);

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_warnx("reload: %s", line);
	rl.nrestart++;
	/* What does not fit is in the log: popctl's error says how many. */
	if (len + strlen(line) + 2 <= sizeof(rl.restart))
		(void)snprintf(rl.restart + len, sizeof(rl.restart) - len,
		    "%s%s", len > 0 ? "\n" : "", line);
}

/* Against what was bound, so that a second reload still says. */
static void
conf_changes(const struct popd_conf *n)
{
	const struct conf_listen	*l;
	char				*kept;
	size_t				 i;

	if ((kept = calloc(nbound + 1, 1)) == NULL)
		fatal("%s", __func__);
	TAILQ_FOREACH(l, &n->listens, entry) {
		for (i = 0; i < nbound; i++)
			if (!kept[i] && listen_same(&bound[i], l))
				break;
		if (i < nbound)
			kept[i] = 1;
		else
			restart_needed("%s:%d: %s: not bound until a restart",
			    l->where.file, l->where.line, listen_text(l));
	}
	for (i = 0; i < nbound; i++)
		if (!kept[i])
			restart_needed("%s, as at startup: served until a "
			    "restart", listen_text(&bound[i]));
	free(kept);
	if (strcmp(boundctl, n->ctlsock) != 0)
		restart_needed("control socket %s: popd keeps %s until a "
		    "restart", n->ctlsock, boundctl);
	if (boundlisteners != n->listeners || (nlisteners > 1 &&
	    (boundv4 != n->set.per_address.ipv4_prefix ||
	    boundv6 != n->set.per_address.ipv6_prefix)))
		restart_needed("listeners or a per-address prefix: popd "
		    "keeps %d listeners, each client's on one, until a "
		    "restart", nlisteners);
}

static void
reloaded(void)
{
	char	left[64] = "";

	/* Counters since a reload: not since a table's edit. */
	if (!rl.followed)
		counters_reloaded();
	if (rl.nrestart > 0)
		(void)snprintf(left, sizeof(left), "; %d change%s need%s a "
		    "restart", rl.nrestart, rl.nrestart == 1 ? "" : "s",
		    rl.nrestart == 1 ? "s" : "");
	if (rl.followed)
		log_info("tables changed on disk, now served: %s",
		    tables_named(conf, 1));
	else
		log_info("reloaded %s%s%s%s", args.legacy ? "" : conf->file,
		    args.legacy ? "" : ", ", tables_named(conf, 0), left);
	reload_answer(NULL);
}

static void
reload_next(void)
{
	rl.busy = rl.tables = rl.tablewait = rl.follow = 0;
	if (rl.again) {
		rl.again = 0;
		reload();
	}
}

static void
reload_fail(const char *why)
{
	log_warnx("reload: %s: keeping the old tables and configuration",
	    why);
	reload_answer(why);
	if (!rl.follow)
		conf_free(rl.nconf);
	rl.nconf = NULL;
	users_free(&rl.nusers);
	reload_next();
}

/* A new gen, kept if it fails, so that no restart takes it. */
static struct proc *
reload_tablepop(void)
{
	struct popd_conf	*oconf = conf;
	struct users		 ousers = users;
	struct proc		*t;

	conf = rl.nconf;
	users = rl.nusers;
	if (!rl.follow)
		conf_gen++;
	t = proc_start(KIND_TABLE);
	conf = oconf;
	users = ousers;
	return t;
}

/* So that no password the reload revoked works for longer. */
static void
reload_authwait(int fd, short ev, void *arg)
{
	struct proc	*p = successor[KIND_AUTHPOP];

	if (p == NULL || !p->announce)
		return;
	log_warnx("reload: the new authpop (pid %d) does not serve after %d "
	    "s: the current one reads the new tables meanwhile", (int)p->pid,
	    RELOAD_AUTHWAIT);
	users_send_tables(p);
}

static void
reload_commit(void)
{
	struct timeval	 authwait = { RELOAD_AUTHWAIT, 0 };
	struct proc	*fresh[KIND_MAX] = { NULL };
	int		 id;

	if (!rl.follow) {
		conf_changes(rl.nconf);
		conf_free(conf);
		conf = rl.nconf;
		/* routepop's backends count again: reload_tablepop's gen. */
		if (!rl.tables)
			conf_gen++;
	}
	rl.nconf = NULL;
	users_free(&users);
	users = rl.nusers;
	tickets_start(conf->set.tls_tickets);
	health_probe_start();
	/* The control process has no configuration: it stays. */
	for (id = 0; id < KIND_MAX; id++) {
		if (rl.follow && id != KIND_AUTHPOP)
			continue;
		if (!proc_wanted(id))
			proc_retire(id);
		else if (id != KIND_CONTROL && !(id == KIND_TABLE &&
		    rl.tables) && (fresh[id] = proc_start(id)) == NULL)
			restart_needed("the new %s did not start%s",
			    proc_str(proc_kinds[id].proc), current[id] !=
			    NULL ? ": the previous one serves on" : "");
	}
	rl.followed = rl.follow;
	/*
	 * Read at once, the older authpops would stop serving while loading:
	 * no login for 0.6 s with a million users.
	 */
	if (fresh[KIND_AUTHPOP] != NULL &&
	    successor[KIND_AUTHPOP] == fresh[KIND_AUTHPOP]) {
		fresh[KIND_AUTHPOP]->announce = 1;
		evtimer_set(&rl.authwait, reload_authwait, NULL);
		if (evtimer_add(&rl.authwait, &authwait) == -1)
			fatal("evtimer_add");
	} else {
		users_send_tables(fresh[KIND_AUTHPOP]);
		reloaded();
	}
	reload_next();
}

static void
reload_takeover(const char *why)
{
	if (rl.tablewait && successor[KIND_TABLE] == NULL) {
		rl.tablewait = 0;
		if (why != NULL)
			reload_fail(why);
		else
			reload_commit();
		return;
	}
	if (evtimer_initialized(&rl.authwait))
		(void)evtimer_del(&rl.authwait);
	if (why == NULL)
		reloaded();	/* the older authpops have its tables */
	else {
		users_send_tables(NULL);
		reload_answer(why);
	}
}

static void
reload_checked(int error, const char *why)
{
	struct proc	*t;

	log_capture(NULL, 0);
	if (rl.why[0] == '\0' && why != NULL)
		(void)strlcpy(rl.why, why, sizeof(rl.why));
	rl.busy = 0;
	if (error != 0 && rl.follow) {
		/* Logged once: the files are read again once they change. */
		log_warnx("tables changed on disk: not loaded, those loaded "
		    "before serve on");
	} else if (error != 0) {
		if (error == -1)
			log_warnx("reload: keeping the old tables and "
			    "configuration");
		else {
			log_warnx("reload: keeping the old certificate and "
			    "tables");
			/* Good tables changed on disk still load. */
			certs_tables(NULL);
		}
		reload_answer(rl.why[0] != '\0' ? rl.why : "the tables or "
		    "certificates have errors");
		conf_free(rl.nconf);
	} else {
		/*
		 * One table at a time in two copies bounds the reload's peak
		 * memory.  A failure keeps the previous one serving.
		 */
		if ((rl.tables = current[KIND_TABLE] != NULL) &&
		    (t = reload_tablepop()) == NULL)
			reload_fail("the new tablepop could not start");
		else if (rl.tables && successor[KIND_TABLE] == t) {
			t->announce = 1;
			rl.busy = rl.tablewait = 1;
		} else
			reload_commit();
		return;
	}
	reload_next();
}

static void
reload_done(int badtab, void *arg)
{
	if (rl.follow) {
		conf_tables_errors(conf, badtab);
		if (badtab)
			users_free(&rl.nusers);
		reload_checked(badtab ? -1 : 0, NULL);
		return;
	}
	log_capture(rl.why, sizeof(rl.why));
	/* The table's own file:line first, not the statement naming it. */
	if (badtab != 0)
		(void)strlcpy(rl.why, rl.nusers.fault, sizeof(rl.why));
	conf_usable_start(rl.nconf, &rl.nusers, badtab, NULL,
	    reload_checked);
	/* Not what the event loop logs meanwhile: reload_checked's why. */
	log_capture(NULL, 0);
}

static void
reload(void)
{
	struct popd_conf	*nconf;

	if (rl.busy) {
		log_info("reload: one is under way, another one after it");
		rl.again = 1;
		return;
	}
	TAILQ_CONCAT(&rl.waiting, &rl.after, entry);
	rl.nrestart = 0;
	rl.restart[0] = '\0';
	log_capture(rl.why, sizeof(rl.why));
	nconf = conf_fetch(confpop_path, popd_argv, popd_cwd);
	log_capture(NULL, 0);
	if (nconf == NULL) {
		log_warnx("reload: %s has errors, keeping the old "
		    "configuration", conf->file);
		reload_answer(rl.why[0] != '\0' ? rl.why :
		    "the configuration has errors");
		return;
	}
	rl.nconf = nconf;
	rl.busy = 1;
	certs_tables(nconf);
	users_load_start(nconf, &rl.nusers, NULL, reload_done, NULL);
}

/* popd.conf may be half edited: the tables alone, as configured now. */
int
reload_tables(void)
{
	if (rl.busy)
		return -1;
	log_info("tables changed on disk: loading %s", tables_named(conf,
	    1));
	certs_tables(conf);
	rl.nconf = conf;
	rl.busy = rl.follow = 1;
	rl.why[0] = '\0';
	users_load_start(conf, &rl.nusers, NULL, reload_done, NULL);
	return 0;
}

static void
child_exited(pid_t pid, int status)
{
	struct proc	*p;

	TAILQ_FOREACH(p, &procs, entry)
		if (p->pid == pid)
			break;
	if (p != NULL)
		proc_exited(p, status);
	else if (!dlvrpops_exited(pid, status) && !mdjob_exited(pid,
	    status) && !health_probe_exited(pid, status))
		counters_reaped(worker_reaped(pid, status));
	stop_check();
}

static void
stop_now(void)
{
	shutdown_children();
	route_page_keep();
	bind_unlink();
	exit(0);
}

static void
sig_handler(int sig, short ev, void *arg)
{
	static int	stopping;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		if (stopping++) {
			log_info("signal %d again: stopping now", sig);
			stop_now();
		}
		log_info("stopping on signal %d", sig);
		health_stop();
		bind_close();
		shutdown_drain(stop_now);
		break;
	case SIGHUP:
		if (!stopping)
			reload();
		break;
	case SIGCHLD:
		child_reap(child_exited);
		break;
	}
}

int
main(int argc, char *argv[])
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
	struct event	 sigev[nitems(sigs)];
	struct conf_listen ctl, *l;
	extern char	**environ;
	const char	*tables[6];
	int		 badtab, i, n;

	/* For the table programs (lookup.c), before setproctitle(). */
	table_env = strv_copy(environ);

	compat_exe_keep(argv[0]);
	log_init(1, LOG_MAIL);
	flags_parse(argc, argv, &args, "popd");
	helper_path("confpop", SBINDIR "/popd", confpop_path);
	/* popd -n and -m: confpop(8), as whoever runs us. */
	if (args.noaction || args.report) {
		execv(confpop_path, argv);
		err(1, "%s", confpop_path);
	}
	log_setverbose(verbose);
	log_procinit("");
	popd_argv = strv_copy(argv);
	if (flags_relative(&args) && getcwd(popd_cwd, sizeof(popd_cwd)) ==
	    NULL)
		err(1, "getcwd: the directory a relative path names");
	if ((conf = conf_fetch(confpop_path, popd_argv, popd_cwd)) == NULL)
		exit(1);
	privsep = (geteuid() == 0);
	/* Check everything before daemonizing, so errors reach the admin. */
	if (privsep)
		check_users();
	find_helpers(SBINDIR "/popd");
	certs_tables(conf);
	badtab = users_load(conf, &users);
	if (conf_usable(conf, &users, badtab) != 0)
		exit(1);
	log_procinit("parent");
	if (!privsep)
		log_warnx("not started as root: all processes run as uid %u, "
		    "usertab uids are not applied", (unsigned)getuid());
	/* First: a popd running already says so before its ports do. */
	memset(&ctl, 0, sizeof(ctl));
	ctl.flags = CONF_LISTEN_CONTROL;
	ctl.where.file = "control socket";
	(void)strlcpy(ctl.path, conf->ctlsock, sizeof(ctl.path));
	if (bind_listen(&ctl) == -1)
		exit(1);
	bind_init(conf);
	TAILQ_FOREACH(l, &conf->listens, entry)
		if (bind_listen(l) == -1) {
			/* No control socket of a popd that never ran. */
			bind_unlink();
			exit(1);
		}
	conf_bound(conf);
	fd_budget_set(proc_nofile());

	/* -F: a service manager keeps us; the log still goes to syslog. */
	if (!debug && !args.foreground && daemon(0, 0) == -1)
		err(1, "daemon");
	log_init(debug, LOG_MAIL);
	log_setverbose(verbose);
	signal(SIGPIPE, SIG_IGN);

	event_init();
	if (!debug)
		logrelay_init();
	login_reaped_to(child_exited);
	for (i = 0; i < (int)nitems(sigs); i++) {
		signal_set(&sigev[i], sigs[i], sig_handler, NULL);
		signal_add(&sigev[i], NULL);
	}

	/*
	 * Confined before the first child: they all inherit it.  Database
	 * tables and a router's health probes may need TCP.
	 */
	sandbox_parent(exec_paths(conf), conf_files(conf), made_paths(conf,
	    apps_start()), conf->set.route[0] != '\0' ||
	    lookup_names(conf, tables) != 0);
	counters_reloaded();
	supervise_init(reload_takeover);
	ctl_init(reload_control);
	tickets_start(conf->set.tls_tickets);
	certs_start(proc_start, reload_tables);
	if (proc_start(KIND_AUTHPOP) == NULL ||
	    proc_start(KIND_LISTENER) == NULL ||
	    (proc_wanted(KIND_LMTP) && proc_start(KIND_LMTP) == NULL) ||
	    proc_start(KIND_TABLE) == NULL ||
	    (proc_wanted(KIND_ROUTE) && proc_start(KIND_ROUTE) == NULL) ||
	    (proc_wanted(KIND_HTTP) && proc_start(KIND_HTTP) == NULL))
		fatalx("cannot start the children");
	if (proc_wanted(KIND_CONTROL) && proc_start(KIND_CONTROL) == NULL)
		fatalx("cannot start the control process");
	health_probe_start();
	for (i = 1, n = 0; i < nlistens; i++)
		n += listens[i].slot <= 0;
	log_info("popd %s started: %d address%s, %d listener%s, %s, "
	    "confinement: %s", POPD_VERSION, n, n == 1 ? "" : "es",
	    nlisteners, nlisteners == 1 ? "" : "s",
	    privsep ? "privilege separation by uid" : "single uid",
	    sandbox_describe());

	setproctitle("parent");
	event_dispatch();
	fatalx("event loop ended");
}
