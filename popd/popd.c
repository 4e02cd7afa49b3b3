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
 * popd.c -- the popd parent.  It runs as root, never reads a byte from a
 * client, binds the listening sockets, starts and supervises its
 * children, and starts one wrkrpop per login and one dlvrpop per
 * maildir in delivery with exactly the uid, gid and path usertab gives
 * the user (mailuser.c).
 *
 * This file reads the command line and the configuration, checks them,
 * and reloads them on SIGHUP or popctl reload.  The parent's other jobs
 * have files of their own (parent.h lists them from the bottom up):
 * bind.c binds the sockets, supervise.c starts and restarts the
 * children, login.c keeps the sessions before login, recipients.c the
 * LMTP transactions, dworkers.c the delivery workers, mailuser.c finds
 * and becomes mail users, requests.c, answers.c and commands.c answer
 * popctl, users.c and system.c hold the tables,
 * lookup.c asks tablepop the database tables' questions, migrate.c
 * writes the popd -m report, certs.c reads, checks and follows the pki
 * files, parent.c holds the state they share.
 *
 * popd/ holds the parent alone, all of it root's: every child is a
 * program of its own in LIBEXECDIR, with a folder of its own in the tree
 * (listener/, lmtp/, control/, authpop/, wrkrpop/, dlvrpop/).
 *
 * Children (what each may send is declared in proto.c; the parent's
 * handlers are in supervise.c's from_*[] tables, and msg.c checks every
 * message against its declaration):
 *	listener	LIBEXECDIR/listener	supervised, restarted
 *	lmtp		LIBEXECDIR/lmtp		supervised, if an LMTP socket
 *	control		LIBEXECDIR/control	supervised, if a control socket
 *	authpop		LIBEXECDIR/authpop	supervised; a reload's new one
 *						takes over once ready
 *	tablepop	LIBEXECDIR/tablepop	supervised, if a database
 *						table; a reload's new one
 *						takes over, the old drains
 *	wrkrpop		LIBEXECDIR/wrkrpop	one per session, as the user
 *	dlvrpop		LIBEXECDIR/dlvrpop	one per maildir in delivery,
 *						as its user, kept warm
 *	log relay	(syslog.c)		every child's stderr
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/tree.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
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


static int		conf_usable(struct popd_conf *, struct users *, int);
static int		pki_file_ok(const struct popd_conf *,
			    const struct conf_pki *, int);
static void		conf_changes(const struct popd_conf *,
			    const struct popd_conf *);
static const char *const *conf_files(const struct popd_conf *);
static const char	*link_dir(const char *);
static const char *const *made_paths(const struct popd_conf *);
static const char *const *exec_paths(const struct popd_conf *);
static const char	*script_interp(const char *);
static void		save_environment(void);
static void		find_helpers(void);
static void		check_users(void);
static void		reload(void);
static void		*reload_tables(void *);
static void		reload_done(int, short, void *);
static void		reload_control(struct ctlans *);
static void		reload_answer(const char *);
static void		reload_takeover(const char *);
static void		reloaded(void);
static void		sig_handler(int, short, void *);
static void		child_exited(pid_t, int);

static const char	*conffile;		/* NULL: the flags' shorthand */
static char		 conffile_abs[PATH_MAX];
static int		 foreground;	/* -F: no detaching, still syslog */
static const char	*ctlsock_flag;	/* -s: wins over popd.conf's */
static char		 self_path[PATH_MAX];

int
main(int argc, char *argv[])
{
	struct event	 ev_sigchld, ev_sigterm, ev_sigint, ev_sighup;
	struct conf_listen *l;
	char		*listen_args[MAX_LISTEN], *plain_args[MAX_LISTEN];
	char		*trusted_args[MAX_LISTEN], *flags[5] = { NULL };
	const char	*ctlsock = NULL;
	int		 ch, nl = 0, np = 0, nt = 0, noaction = 0, tls12 = 0;
	int		 report = 0, badtab;
	int		 legacy = 0;

	save_environment();

	log_init(1, LOG_MAIL);
	while ((ch = getopt(argc, argv, "a:c:dD:e:f:Fk:l:mnp:s:Tt:u:vV")) != -1) {
		switch (ch) {
		case 'a':
			flags[0] = optarg;
			legacy = 1;
			break;
		case 'c':
			flags[1] = optarg;
			legacy = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'V':
			printf("popd %s\n", POPD_VERSION);
			exit(0);
		case 'D':
			if (cmdline_symset(optarg) == -1)
				errx(1, "-D %s: not a macro=value definition",
				    optarg);
			break;
		case 'e':
			flags[2] = optarg;
			legacy = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'F':
			foreground = 1;
			break;
		case 'k':
			flags[3] = optarg;
			legacy = 1;
			break;
		case 'l':
		case 'p':
			if (nl + np == MAX_LISTEN)
				errx(1, "too many -l and -p addresses (max %d)",
				    MAX_LISTEN);
			if (ch == 'l')
				listen_args[nl++] = optarg;
			else
				plain_args[np++] = optarg;
			legacy = 1;
			break;
		case 'm':
			report = 1;
			break;
		case 'n':
			noaction = 1;
			break;
		case 's':
			ctlsock = optarg;
			break;
		case 't':
			if (nt == MAX_LISTEN)
				errx(1, "too many -t networks (max %d)",
				    MAX_LISTEN);
			trusted_args[nt++] = optarg;
			legacy = 1;
			break;
		case 'T':
			tls12 = 1;
			legacy = 1;
			break;
		case 'u':
			flags[4] = optarg;
			legacy = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			popd_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 0)
		popd_usage();
	log_setverbose(verbose);
	/* Configuration errors are "file:line: message", as in smtpd -n. */
	log_procinit("");

	if (legacy) {
		if (conffile != NULL)
			errx(1, "-f cannot be combined with the flags -a -c -e "
			    "-k -l -p -T -t -u, which stand for a "
			    "configuration file of their own");
		conf = conf_from_flags(flags, tls12, listen_args, nl,
		    plain_args, np, trusted_args, nt);
	} else {
		if (conffile == NULL) {
			conffile = POPD_CONF;
			if (access(conffile, F_OK) == -1) {
				fprintf(stderr, "popd: %s: %s\n", conffile,
				    strerror(errno));
				popd_usage();
			}
		}
		absolute("-f", conffile, conffile_abs, sizeof(conffile_abs));
		conffile = conffile_abs;
		conf = parse_config(conffile, 0);
	}
	if (conf == NULL)
		exit(1);
	if (ctlsock != NULL) {
		if (ctlsock[0] != '/' || strlen(ctlsock) >=
		    sizeof(((struct sockaddr_un *)0)->sun_path))
			errx(1, "-s %s: must be an absolute path of at most "
			    "%zu bytes", ctlsock,
			    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		ctlsock_flag = ctlsock;
		(void)strlcpy(conf->ctlsock, ctlsock, sizeof(conf->ctlsock));
	}

	privsep = (geteuid() == 0);
	/* Check everything before daemonizing, so errors reach the admin. */
	if (privsep) {
		check_users();
		/* Else no mail user's process could start: say so now. */
		if (compat_spawn_ready() == -1)
			err(1, "CAP_SETPCAP, which starting a mail user's "
			    "process needs (popd(8)), is missing: a service's "
			    "CapabilityBoundingSet?");
	}
	/* authcheck reads authtab for the parent (users.c). */
	find_helpers();
	badtab = users_load(conf, &users);
	/* Before the verdict: the users whose hashes refuse authtab. */
	if (report)
		users_passwords(stdout, conf, &users);
	if (conf_usable(conf, &users, badtab) != 0)
		exit(1);
	if (report)
		exit(migration_report());
	if (noaction) {
		certs_warn(conf);
		if (verbose) {
			conf_print(stdout, conf);
			users_kinds(stdout, conf, &users);
		}
		printf("configuration OK\n");
		exit(0);
	}
	log_procinit("parent");
	if (!privsep)
		log_warnx("not started as root: all processes run as uid %u, "
		    "usertab uids are not applied", (unsigned)getuid());
	/* First: a popd running already says so before its ports do. */
	if (bind_control(conf->ctlsock) == -1)
		exit(1);
	TAILQ_FOREACH(l, &conf->listens, entry)
		if (bind_listen(l) == -1)
			exit(1);
	fd_budget_set(proc_nofile());

	/* -F: a service manager keeps us; the log still goes to syslog. */
	if (!debug && !foreground && daemon(0, 0) == -1)
		err(1, "daemon");
	log_init(debug, LOG_MAIL);
	log_setverbose(verbose);
	signal(SIGPIPE, SIG_IGN);

	event_init();
	if (!debug)
		logrelay_init();
	signal_set(&ev_sigchld, SIGCHLD, sig_handler, NULL);
	login_reaped_to(child_exited);
	signal_set(&ev_sigterm, SIGTERM, sig_handler, NULL);
	signal_set(&ev_sigint, SIGINT, sig_handler, NULL);
	signal_set(&ev_sighup, SIGHUP, sig_handler, NULL);
	signal_add(&ev_sigchld, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sighup, NULL);

	/* Its directory made before unveil(2) names it. */
	apps_start();
	/* Confined before the first child: they all inherit it. */
	/*
	 * Database tables may be reached over TCP: their programs inherit;
	 * a router's checkpop connects to its backends' health ports.
	 */
	sandbox_parent(exec_paths(conf), conf_files(conf), made_paths(conf),
	    conf->set.route[0] != '\0' ||
	    conf->set.authsrc == TABSRC_LOOKUP ||
	    conf->set.usersrc == TABSRC_LOOKUP ||
	    conf->appssrc == TABSRC_LOOKUP ||
	    conf->set.routesrc == TABSRC_LOOKUP ||
	    conf->set.quota.userssrc == TABSRC_LOOKUP ||
	    conf->set.junk_userssrc == TABSRC_LOOKUP);
	counters_reloaded();
	supervise_init(reload_takeover);
	ctl_init(reload_control);
	tickets_start(conf->set.tls_tickets);
	certs_start();
	if (proc_start(KIND_AUTHPOP) == NULL ||
	    proc_start(KIND_LISTENER) == NULL ||
	    (proc_wanted(KIND_LMTP) && proc_start(KIND_LMTP) == NULL) ||
	    (proc_wanted(KIND_TABLE) && proc_start(KIND_TABLE) == NULL) ||
	    (proc_wanted(KIND_CHECK) && proc_start(KIND_CHECK) == NULL))
		fatalx("cannot start the children");
	if (proc_wanted(KIND_CONTROL) && proc_start(KIND_CONTROL) == NULL)
		fatalx("cannot start the control process");
	log_info("popd %s started: %d address%s, %s, confinement: %s",
	    POPD_VERSION, nlistens - 1,
	    nlistens - 1 == 1 ? "" : "es",
	    privsep ? "privilege separation by uid" : "single uid",
	    sandbox_describe());

	setproctitle("parent");
	event_dispatch();
	fatalx("event loop ended");
}

/*
 * Tables and certificates of c: both tables loaded and agreed (u, and
 * badtab: what users_load returned), and every pki read and checked
 * (certs.c), kept in c for the listeners.
 * Errors are logged, each with the popd.conf statement that names the
 * file; -1 for the tables, -2 for the certificates (u is then freed).
 */
static int
conf_usable(struct popd_conf *c, struct users *u, int badtab)
{
	struct conf_pki	*pki;
	int		 badpki = 0, badfile;

	/* Every error at once: both tables and every pki are checked. */
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
	/* Each pki on its own, so that its statement can be named. */
	TAILQ_FOREACH(pki, &c->pkis, entry) {
		badfile = 0;
		if (pki_file_ok(c, pki, 0) == -1)
			badfile = 1;
		if (pki_file_ok(c, pki, 1) == -1)
			badfile = 1;
		if (badfile) {
			badpki = 1;
			continue;
		}
		if (certs_load(c, pki) == -1)
			badpki = 1;
	}
	if (badtab || badpki) {
		users_free(u);
		return badtab ? -1 : -2;
	}
	return 0;
}

/*
 * The certificate (iskey 0) or key file of pki opens as a regular file,
 * or an error names it and its pki statement.
 */
static int
pki_file_ok(const struct popd_conf *c, const struct conf_pki *pki,
    int iskey)
{
	const char	*path = iskey ? pki->key : pki->cert, *errstr;
	int		 fd;

	if ((fd = open_regular(path, &errstr)) == -1)
		return conf_error(c, iskey ? &pki->key_where :
		    &pki->cert_where, "pki %s %s \"%s\": %s", pki->name,
		    iskey ? "key" : "cert", path, errstr);
	close(fd);
	return 0;
}

/*
 * Installed as SBINDIR/popd, the helpers are in LIBEXECDIR.  Run from
 * anywhere else it is the build tree: each helper is in the sibling
 * folder of its name (listener/listener, authpop/authpop, ...).
 */
static void
find_helpers(void)
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
		{ "checkpop",	proc_path[KIND_CHECK] },
		{ "keypop",	proc_path[KIND_KEY] },
		{ "wrkrpop",	wrkrpop_path },
		{ "authcheck",	authcheck_path },
		{ "dlvrpop",	dlvrpop_path },
	};
	char		 dir[PATH_MAX], top[PATH_MAX];
	size_t		 i;
	int		 r, installed;

	if (compat_exe_path(self_path, sizeof(self_path)) == -1)
		err(1, "cannot find the path of the running popd");
	installed = strcmp(self_path, SBINDIR "/popd") == 0;
	(void)strlcpy(dir, self_path, sizeof(dir));
	(void)strlcpy(top, dirname(dir), sizeof(top));
	(void)strlcpy(dir, top, sizeof(dir));
	(void)strlcpy(top, dirname(dir), sizeof(top));
	for (i = 0; i < nitems(helpers); i++) {
		if (installed)
			r = snprintf(helpers[i].path, PATH_MAX, "%s/%s",
			    LIBEXECDIR, helpers[i].name);
		else
			r = snprintf(helpers[i].path, PATH_MAX, "%s/%s/%s",
			    top, helpers[i].name, helpers[i].name);
		if (r < 0 || r >= PATH_MAX)
			errx(1, "helper path too long");
		if (access(helpers[i].path, X_OK) == 0)
			continue;
		if (installed)
			err(1, "%s: popd runs its helpers from LIBEXECDIR "
			    "(%s), set when it was built", helpers[i].path,
			    LIBEXECDIR);
		err(1, "%s: popd %s is not where it was installed "
		    "(SBINDIR %s), so it looks for its helpers next to it, "
		    "as in the build tree; a staged (DESTDIR) copy runs only "
		    "once installed in SBINDIR, with the helpers in "
		    "LIBEXECDIR %s", helpers[i].path, self_path, SBINDIR,
		    LIBEXECDIR);
	}
}

/*
 * Our environment, for the table programs (tablepop: lookup.c), before
 * setproctitle() may write over it.
 */
static void
save_environment(void)
{
	extern char	**environ;
	size_t		 n, i;

	for (n = 0; environ[n] != NULL; n++)
		;
	if ((table_env = calloc(n + 1, sizeof(*table_env))) == NULL)
		err(1, NULL);
	for (i = 0; i < n; i++)
		if ((table_env[i] = strdup(environ[i])) == NULL)
			err(1, NULL);
}

/*
 * What the parent and its children may exec, for good (Landlock, unveil):
 * our helpers, and OpenSMTPD's table programs (TABLEDIR, and programs
 * named by their path at start: a reload cannot add one).  A program
 * that is a script, named by its path or by its backend, needs its
 * interpreter too: the kernel execs that.
 */
static const char *const *
exec_paths(const struct popd_conf *c)
{
	static const char	*paths[KIND_MAX + 5 + 2 * POPD_MAXTABLES];
	const struct conf_table	*t;
	const char		*interp;
	size_t			 i, n = 0;

	for (i = 0; i < KIND_MAX; i++)
		paths[n++] = proc_path[i];
	paths[n++] = wrkrpop_path;
	paths[n++] = dlvrpop_path;
	paths[n++] = authcheck_path;
	if (access(TABLEDIR, F_OK) == 0)
		paths[n++] = TABLEDIR;
	TAILQ_FOREACH(t, &c->tables, entry) {
		if (t->program[0] == '\0')
			continue;	/* a file */
		/* TABLEDIR's are there already; a script's interpreter not. */
		if (strcmp(t->backend, "proc") == 0)
			paths[n++] = t->program;
		if ((interp = script_interp(t->program)) == NULL)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(paths[i], interp) == 0)
				break;
		if (i == n)
			paths[n++] = interp;
	}
	paths[n] = NULL;
	return paths;
}

/*
 * The interpreter of a script, kept for good; NULL if path is no script
 * or names none we could run (popd -n says so: conf_script_interp).
 */
static const char *
script_interp(const char *path)
{
	char	 interp[PATH_MAX], *p;

	if (conf_script_interp(path, interp, sizeof(interp)) != 1)
		return NULL;
	if ((p = strdup(interp)) == NULL)
		fatal("%s", __func__);
	return p;
}

/*
 * What the parent reads on SIGHUP, and the pki files it follows
 * (certs.c): for unveil(2) on OpenBSD.  A pki file that is a symbolic
 * link (certbot's live/ -> archive/) is unveiled as named, and the
 * directory of its target too: a renewal points the link at a new file
 * there.
 */
static const char *const *
conf_files(const struct popd_conf *c)
{
	static const char	**files;
	const struct conf_pki	*pki;
	size_t			 n = 0;

	TAILQ_FOREACH(pki, &c->pkis, entry)
		n += 4;
	if ((files = reallocarray(NULL, n + 9, sizeof(*files))) == NULL)
		fatal("%s", __func__);
	n = 0;
	if (c->apps[0] != '\0') {
		if (c->appssrc == TABSRC_FILE)
			files[n++] = c->apps;
		files[n++] = c->set.app_key;
	}
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
	if (conffile != NULL)
		files[n++] = conffile;
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

/* The directory of the file a symbolic link leads to; NULL if none. */
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
 * What the parent creates or removes: its sockets, and the directory
 * of the app passwords' state file.
 */
static const char *const *
made_paths(const struct popd_conf *c)
{
	static char		  dir[PATH_MAX];
	static const char	**paths;
	const char *const	 *made = bind_made();
	char			 *slash;
	size_t			  n = 0, i;

	while (made != NULL && made[n] != NULL)
		n++;
	if ((paths = reallocarray(NULL, n + 2, sizeof(*paths))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < n; i++)
		paths[i] = made[i];
	(void)strlcpy(dir, c->apps_last, sizeof(dir));
	if (c->apps[0] != '\0' && (slash = strrchr(dir, '/')) != NULL &&
	    slash != dir) {
		*slash = '\0';
		paths[n++] = dir;
	}
	paths[n] = NULL;
	return paths;
}

static void
check_users(void)
{
	struct stat	 st;

	struct passwd	*pw;

	if ((pw = getpwnam(POPD_USER)) == NULL)
		errx(1, "user %s does not exist: useradd -r -d %s "
		    "-s /usr/sbin/nologin %s", POPD_USER, CHROOTDIR,
		    POPD_USER);
	daemon_uid[0] = pw->pw_uid;
	if ((pw = getpwnam(POPD_AUTH_USER)) == NULL)
		errx(1, "user %s does not exist: useradd -r -d %s "
		    "-s /usr/sbin/nologin %s", POPD_AUTH_USER, CHROOTDIR,
		    POPD_AUTH_USER);
	daemon_uid[1] = pw->pw_uid;
	/* Needed only to run database tables or routes (tablepop). */
	if ((pw = getpwnam(POPD_TABLE_USER)) != NULL)
		daemon_uid[2] = pw->pw_uid;
	else if (lookup_wanted(conf) || conf->set.route[0] != '\0')
		errx(1, "user %s does not exist: useradd -r -d %s "
		    "-s /usr/sbin/nologin %s", POPD_TABLE_USER, CHROOTDIR,
		    POPD_TABLE_USER);
	if (stat(CHROOTDIR, &st) == -1)
		err(1, "chroot directory %s (mkdir -m 755 %s)", CHROOTDIR,
		    CHROOTDIR);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)))
		errx(1, "%s must be a directory owned by root and writable "
		    "by root only", CHROOTDIR);
}

/*
 * SIGHUP: read the configuration file (if there is one), the tables
 * and the pki files again and, if everything is good, start a new
 * authpop (which loads the tables as root before confining itself) and
 * a new listener, handed the keypairs the parent checked (certs.c).  The old ones drain: sessions in progress are not cut.
 * Anything wrong keeps the whole old configuration.
 *
 * The tables are read by a thread of their own (a million users take
 * a second), while the event loop goes on serving logins with the old
 * ones.  The thread reads the new configuration's file names, which
 * nothing changes meanwhile, and writes only to struct
 * reloading; the event loop takes its result when it writes its pipe.
 * One reload at a time: a SIGHUP meanwhile makes another one after it.
 */
struct waiter {
	TAILQ_ENTRY(waiter)	 entry;
	struct ctlans		*a;
};
TAILQ_HEAD(waiters, waiter);

/*
 * popctl reload: the answers waiting for the reload under way (waiting)
 * and for the one after it (after); why: the first error of a reload.
 */
static struct reloading {
	int			 busy, again;
	pthread_t		 thread;
	int			 pipe[2];
	struct event		 ev;
	struct popd_conf	*nconf;
	struct users		 nusers;
	int			 badtab;	/* users_load's */
	struct waiters		 waiting, after;
	char			 why[512];
} rl = {
	.waiting = TAILQ_HEAD_INITIALIZER(rl.waiting),
	.after = TAILQ_HEAD_INITIALIZER(rl.after),
};

/*
 * popctl reload: as SIGHUP, but answered once the reload is over, with
 * what was reloaded or its first error.  One under way: the next one.
 */
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
	if (rl.busy) {
		TAILQ_INSERT_TAIL(&rl.after, w, entry);
		rl.again = 1;
		return;
	}
	TAILQ_INSERT_TAIL(&rl.waiting, w, entry);
	reload();
}

/* The reload is over: ok (why NULL) or why not, to all who asked. */
static void
reload_answer(const char *why)
{
	static struct msg_ctlreload	 m;
	struct waiter			*w;

	memset(&m, 0, sizeof(m));
	if (conffile != NULL)
		(void)strlcpy(m.conffile, conffile, sizeof(m.conffile));
	while ((w = TAILQ_FIRST(&rl.waiting)) != NULL) {
		TAILQ_REMOVE(&rl.waiting, w, entry);
		if (why == NULL)
			ctlans_rec(w->a, MSG_PARENT_CTLRELOAD, -1, &m,
			    sizeof(m));
		ctlans_end(w->a, why);
		free(w);
	}
}

static void
reload(void)
{
	struct popd_conf	*nconf;
	sigset_t		 all, saved;

	if (rl.busy) {
		log_info("reload: one is under way, another one after it");
		rl.again = 1;
		return;
	}
	TAILQ_CONCAT(&rl.waiting, &rl.after, entry);
	if (conffile != NULL) {
		log_capture(rl.why, sizeof(rl.why));
		nconf = parse_config(conffile, 0);
		log_capture(NULL, 0);
		if (nconf == NULL) {
			log_warnx("reload: %s has errors, keeping the old "
			    "configuration", conffile);
			reload_answer(rl.why[0] != '\0' ? rl.why :
			    "the configuration has errors");
			return;
		}
		if (ctlsock_flag != NULL)
			(void)strlcpy(nconf->ctlsock, ctlsock_flag,
			    sizeof(nconf->ctlsock));
	} else
		nconf = conf;
	rl.nconf = nconf;
	if (pipe2(rl.pipe, O_CLOEXEC) == -1) {
		log_warn("reload: pipe");
		goto fail;
	}
	/* Signals are the event loop's. */
	sigfillset(&all);
	if ((errno = pthread_sigmask(SIG_BLOCK, &all, &saved)) != 0)
		fatal("pthread_sigmask");
	errno = pthread_create(&rl.thread, NULL, reload_tables, &rl);
	if (pthread_sigmask(SIG_SETMASK, &saved, NULL) != 0)
		fatal("pthread_sigmask");
	if (errno != 0) {
		log_warn("reload: pthread_create");
		close(rl.pipe[0]);
		close(rl.pipe[1]);
		goto fail;
	}
	rl.busy = 1;
	event_set(&rl.ev, rl.pipe[0], EV_READ, reload_done, NULL);
	if (event_add(&rl.ev, NULL) == -1)
		fatal("event_add");
	return;
fail:
	log_warnx("reload: keeping the old tables and configuration");
	reload_answer("reload failed: out of resources, see the log");
	if (nconf != conf)
		conf_free(nconf);
}

/* The reload's thread: only this. */
static void *
reload_tables(void *arg)
{
	struct reloading	*r = arg;

	r->badtab = users_load(r->nconf, &r->nusers);
	while (write(r->pipe[1], "", 1) == -1 && errno == EINTR)
		;
	return NULL;
}

/* The new tables are read: check the rest and switch over. */
static void
reload_done(int fd, short ev, void *arg)
{
	struct popd_conf	*nconf = rl.nconf;
	struct proc		*fresh[KIND_MAX] = { NULL };
	int			 id, error;

	if ((errno = pthread_join(rl.thread, NULL)) != 0)
		fatal("pthread_join");
	close(rl.pipe[0]);
	close(rl.pipe[1]);
	rl.busy = 0;
	log_capture(rl.why, sizeof(rl.why));
	error = conf_usable(nconf, &rl.nusers, rl.badtab);
	log_capture(NULL, 0);
	if (error != 0) {
		if (error == -1)
			log_warnx("reload: keeping the old tables and "
			    "configuration");
		else
			log_warnx("reload: keeping the old certificate and "
			    "tables");
		reload_answer(rl.why[0] != '\0' ? rl.why : "the tables or "
		    "certificates have errors");
		if (nconf != conf)
			conf_free(nconf);
	} else {
		if (nconf != conf) {
			conf_changes(conf, nconf);
			conf_free(conf);
			conf = nconf;
		}
		users_free(&users);
		users = rl.nusers;
		/* tablepop's backends count again (tablepop/router.c). */
		conf_gen++;
		tickets_start(conf->set.tls_tickets);
		/*
		 * The control process has no configuration: it stays.  A
		 * tablepop whose tables are gone drains.
		 */
		for (id = 0; id < KIND_MAX; id++) {
			if (!proc_wanted(id))
				proc_retire(id);
			else if (id != KIND_CONTROL &&
			    (fresh[id] = proc_start(id)) == NULL)
				log_warnx("reload: keeping the previous %s",
				    proc_kinds[id].name);
		}
		/* Sessions older authpops still serve: the new tables. */
		users_send_tables(fresh[KIND_AUTHPOP]);
		/* Said once the new authpop serves. */
		if (fresh[KIND_AUTHPOP] != NULL &&
		    successor[KIND_AUTHPOP] == fresh[KIND_AUTHPOP])
			fresh[KIND_AUTHPOP]->announce = 1;
		else
			reloaded();
	}
	if (rl.again) {
		rl.again = 0;
		reload();
	}
}

/* supervise.c: the reload's new authpop serves (why NULL), or died. */
static void
reload_takeover(const char *why)
{
	if (why == NULL)
		reloaded();
	else
		reload_answer(why);
}

/* A reload is in effect: new sessions get its settings and tables. */
static void
reloaded(void)
{
	counters_reloaded();
	log_info("reloaded %s%s%s%s%s and %s%s%s", conffile ? conffile : "",
	    conffile ? ", " : "",
	    conf->set.authsrc == TABSRC_LOOKUP ? "table " : "",
	    conf->set.authsrc == TABSRC_SYSTEM ? "the system's passwords" :
	    conf->set.authtab,
	    conf->set.authsrc == TABSRC_LOOKUP ? " (database)" : "",
	    conf->set.usersrc == TABSRC_LOOKUP ? "table " : "",
	    conf->set.usersrc == TABSRC_SYSTEM ? "the system's accounts" :
	    conf->set.usertab,
	    conf->set.usersrc == TABSRC_LOOKUP ? " (database)" : "");
	reload_answer(NULL);
}

/*
 * Say which changes a reload cannot apply: the sockets stay those bound
 * at startup, as root.
 */
static void
conf_changes(const struct popd_conf *o, const struct popd_conf *n)
{
	const struct conf_listen	*a, *b;

	a = TAILQ_FIRST(&o->listens);
	b = TAILQ_FIRST(&n->listens);
	for (; a != NULL && b != NULL; a = TAILQ_NEXT(a, entry),
	    b = TAILQ_NEXT(b, entry))
		if (strcmp(a->addr, b->addr) != 0 || a->port != b->port ||
		    a->flags != b->flags || strcmp(a->path, b->path) != 0 ||
		    strcmp(a->group, b->group) != 0 ||
		    strcmp(a->user, b->user) != 0)
			break;
	if (a != NULL || b != NULL)
		log_warnx("reload: the listen statements changed; popd keeps "
		    "listening where it did: restart it to apply them");
	if (strcmp(o->ctlsock, n->ctlsock) != 0)
		log_warnx("reload: control socket changed; popd keeps %s: "
		    "restart it to apply it", o->ctlsock);
}

/* A child reaped (child.c): whose it was. */
static void
child_exited(pid_t pid, int status)
{
	struct proc	*p;

	TAILQ_FOREACH(p, &procs, entry)
		if (p->pid == pid) {
			proc_exited(p, status);
			return;
		}
	if (dworkers_exited(pid, status) || mdjob_exited(pid, status))
		return;
	counters_reaped(worker_reaped(pid, status));
}

/* Stopping, the LMTP sessions over (or never begun): exit. */
static void
stop_now(void)
{
	shutdown_children();
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
		apps_flush();
		if (shutdown_lmtp_last(stop_now) == 0)
			stop_now();
		bind_close();
		log_info("stopping: the LMTP sessions in progress end first");
		break;
	case SIGHUP:
		if (stopping)
			break;
		reload();
		break;
	case SIGCHLD:
		child_reap(child_exited);
		break;
	}
}
