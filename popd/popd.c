/*
 * popd.c -- the popd parent.  It runs as root, never reads a byte from a
 * client, binds the listening sockets, starts and supervises the
 * listener and authpop, and spawns one wrkrpop per login with exactly the
 * uid, gid and path of the user's usertab entry.
 *
 * Peers:
 *	listener	popd -P listener	fd 3	sessions after TLS
 *	authpop		LIBEXECDIR/authpop	fd 3	logins
 *	wrkrpop		LIBEXECDIR/wrkrpop	fd 3	one per session (no channel)
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <libgen.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <tls.h>
#include <unistd.h>

#include "popd.h"
#include "addr.h"
#include "proc.h"
#include "table.h"
#include "sandbox.h"

#define MAX_LISTEN	16
#define MAX_TRUSTED	16
#define MAX_PREAUTH	4096	/* sessions handed to authpop at once */
#define BUSY		"-ERR [SYS/TEMP] server busy, try later\r\n"
#define EXEC_FAILED	"-ERR [SYS/TEMP] cannot start the session, try later\r\n"

enum proc_id { PROC_LISTENER, PROC_AUTHPOP, PROC_MAX };

/*
 * A supervised child.  The current one of each kind is restarted when it
 * dies; after a reload the previous one drains: it gets no new work and
 * exits once its sessions are over.
 */
struct proc {
	TAILQ_ENTRY(proc)	 entry;
	enum proc_id		 id;
	pid_t			 pid;
	int			 draining;
	struct chan		 chan;
};
TAILQ_HEAD(proclist, proc);

/* A session handed to an authpop, not yet logged in (MON_ONCE state). */
struct preauth {
	RB_ENTRY(preauth)	 entry;
	uint64_t		 id;
	struct proc		*owner;		/* the authpop that has it */
	pid_t			 lpid;		/* the listener that relays it */
	uint32_t		 lid;		/* the listener's name for it */
	uint32_t		 flags;		/* SESSION_* */
	dev_t			 dev;
	ino_t			 ino;
};

RB_HEAD(preauthtree, preauth);

static int	preauth_cmp(struct preauth *, struct preauth *);
RB_PROTOTYPE_STATIC(preauthtree, preauth, entry, preauth_cmp)
RB_GENERATE_STATIC(preauthtree, preauth, entry, preauth_cmp)

__dead static void	usage(void);
static int		parse_listen(const char *, int, const char *);
static int		parse_trusted(const char *);
static int		is_trusted(const char *);
static void		find_helpers(void);
static void		check_users(void);
static int		child_argv(char **, const char *);
static pid_t		child_exec(const char *, char **, int,
			    const struct userent *);
static void		proc_start(enum proc_id);
static void		proc_restart(int, short, void *);
static void		proc_eof(struct chan *);
static void		proc_bad(struct chan *);
static void		proc_exited(struct proc *, int);
static void		reload(void);
static int		tls_usable(void);
static void		popd_dispatch_listener(struct chan *, uint32_t,
			    const void *, size_t, int);
static void		popd_dispatch_authpop(struct chan *, uint32_t,
			    const void *, size_t, int);
static void		spawn_worker(struct chan *, const struct msg_login *,
			    int);
static void		preauth_clear(struct proc *);
static void		starttls(const struct preauth *);
static struct preauth	*preauth_take(struct proc *, uint64_t);
static void		sig_handler(int, short, void *);
static void		shutdown_children(void);

static const struct {
	const char	*name;
	chan_dispatch_cb dispatch;
} proc_kinds[PROC_MAX] = {
	[PROC_LISTENER] = { "listener", popd_dispatch_listener },
	[PROC_AUTHPOP] = { "authpop", popd_dispatch_authpop },
};

static struct proclist	 procs = TAILQ_HEAD_INITIALIZER(procs);
static struct proc	*current[PROC_MAX];
static struct event	 restart_ev[PROC_MAX];

static struct {
	int		 fd;
	int		 flags;
} listens[MAX_LISTEN];
static int		 nlistens;

/* The networks whose plaintext logins are allowed (-t). */
static struct netaddr	 trusted[MAX_TRUSTED];
static size_t		 ntrusted;

static struct preauthtree preauths = RB_INITIALIZER(&preauths);
static size_t		 npreauth;
static uint64_t		 next_id = 1;

static struct usertree	 users;
static char		 self_path[PATH_MAX];
static char		 authpop_path[PATH_MAX];
static char		 wrkrpop_path[PATH_MAX];
static const char	*authtab, *usertab, *certfile, *keyfile, *subdir;
static int		 debug, verbose, tls12, privsep;

static int
preauth_cmp(struct preauth *a, struct preauth *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

__dead static void
usage(void)
{
	fprintf(stderr, "usage: popd [-dTv] -a authtab -c certfile "
	    "[-e subdir] -k keyfile [-l address]\n"
	    "            [-p address] [-t network] -u usertab\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct event	 ev_sigchld, ev_sigterm, ev_sigint, ev_sighup;
	struct usertree	 auth;
	const char	*role = NULL;
	char		*listen_args[MAX_LISTEN], *plain_args[MAX_LISTEN];
	char		*trusted_args[MAX_TRUSTED];
	int		 ch, i, nl = 0, np = 0, nt = 0;

	while ((ch = getopt(argc, argv, "a:c:de:k:l:P:p:Tt:u:v")) != -1) {
		switch (ch) {
		case 'a':
			authtab = optarg;
			break;
		case 'c':
			certfile = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'e':
			subdir = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'l':
			if (nl == MAX_LISTEN)
				errx(1, "too many -l addresses (max %d)",
				    MAX_LISTEN);
			listen_args[nl++] = optarg;
			break;
		case 'P':
			role = optarg;
			break;
		case 'p':
			if (np == MAX_LISTEN)
				errx(1, "too many -p addresses (max %d)",
				    MAX_LISTEN);
			plain_args[np++] = optarg;
			break;
		case 't':
			if (nt == MAX_TRUSTED)
				errx(1, "too many -t networks (max %d)",
				    MAX_TRUSTED);
			trusted_args[nt++] = optarg;
			break;
		case 'T':
			tls12 = 1;
			break;
		case 'u':
			usertab = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 0)
		usage();

	log_init(1, LOG_MAIL);
	log_setverbose(verbose);

	/* The listener is this program, exec'd again with a role flag. */
	if (role != NULL) {
		if (strcmp(role, "listener") != 0 || certfile == NULL ||
		    keyfile == NULL)
			usage();
		log_init(debug, LOG_MAIL);
		log_procinit("listener");
		if (set_cloexec(POPD_CHANNEL_FD) == -1)
			fatal("channel");
		listener_main(certfile, keyfile, tls12);
		/* NOTREACHED */
	}

	if (authtab == NULL || usertab == NULL || certfile == NULL ||
	    keyfile == NULL || nl + np == 0)
		usage();
	if (subdir != NULL && (subdir[0] == '\0' || subdir[0] == '/' ||
	    strstr(subdir, "..") != NULL))
		errx(1, "-e %s: must be a relative path without \"..\"",
		    subdir);

	privsep = (geteuid() == 0);
	log_procinit("parent");

	/* Check everything before daemonizing, so errors reach the admin. */
	if (table_load_users(usertab, &users) == -1)
		errx(1, "%s: not loaded", usertab);
	if (table_load_auth(authtab, &auth) == -1)
		errx(1, "%s: not loaded", authtab);
	if (table_crosscheck(authtab, &auth, usertab, &users) == -1)
		errx(1, "tables do not agree");
	table_free(&auth);
	if (!tls_usable())
		exit(1);
	find_helpers();
	if (privsep)
		check_users();
	else
		log_warnx("not started as root: all processes run as uid %u, "
		    "usertab uids are not applied", (unsigned)getuid());
	for (i = 0; i < nl; i++)
		if (parse_listen(listen_args[i], LISTEN_TLS, POPD_PORT) == -1)
			exit(1);
	for (i = 0; i < np; i++)
		if (parse_listen(plain_args[i], 0, POPD_PLAIN_PORT) == -1)
			exit(1);
	for (i = 0; i < nt; i++)
		if (parse_trusted(trusted_args[i]) == -1)
			exit(1);

	if (!debug && daemon(0, 0) == -1)
		err(1, "daemon");
	log_init(debug, LOG_MAIL);
	log_setverbose(verbose);
	signal(SIGPIPE, SIG_IGN);

	event_init();
	signal_set(&ev_sigchld, SIGCHLD, sig_handler, NULL);
	signal_set(&ev_sigterm, SIGTERM, sig_handler, NULL);
	signal_set(&ev_sigint, SIGINT, sig_handler, NULL);
	signal_set(&ev_sighup, SIGHUP, sig_handler, NULL);
	signal_add(&ev_sigchld, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sighup, NULL);

	/* Confined before the first child: they all inherit it. */
	sandbox_parent((const char *const []){ self_path, authpop_path,
	    wrkrpop_path, NULL }, (const char *const []){ authtab, usertab,
	    certfile, keyfile, NULL });
	proc_start(PROC_AUTHPOP);
	proc_start(PROC_LISTENER);
	log_info("started: %d address%s, %s, confinement: %s", nlistens,
	    nlistens == 1 ? "" : "es",
	    privsep ? "privilege separation by uid" : "single uid",
	    sandbox_describe());

	setproctitle("parent");
	event_dispatch();
	fatalx("event loop ended");
}

/*
 * Bind and listen on every address of arg (see addr_split) and keep
 * the sockets for the listener.
 */
static int
parse_listen(const char *arg, int flags, const char *defport)
{
	struct addrinfo	 hints, *res, *ai;
	char		 host[ADDR_HOSTMAX], port[ADDR_PORTMAX];
	const char	*errstr;
	const char	*opt = (flags & LISTEN_TLS) ? "-l" : "-p";
	int		 fd, on = 1, error, n = 0;

	if (addr_split(arg, defport, host, sizeof(host), port, sizeof(port),
	    &errstr) == -1) {
		log_warnx("%s %s: %s", opt, arg, errstr);
		return -1;
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((error = getaddrinfo(strcmp(host, "*") == 0 ? NULL : host, port,
	    &hints, &res)) != 0) {
		log_warnx("%s %s: %s", opt, arg, gai_strerror(error));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (nlistens == MAX_LISTEN) {
			log_warnx("%s %s: too many addresses", opt, arg);
			freeaddrinfo(res);
			return -1;
		}
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			log_warn("%s %s: socket", opt, arg);
			freeaddrinfo(res);
			return -1;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == -1 ||
		    (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
		    IPV6_V6ONLY, &on, sizeof(on)) == -1)) {
			log_warn("%s %s: setsockopt", opt, arg);
			close(fd);
			freeaddrinfo(res);
			return -1;
		}
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
		    listen(fd, 512) == -1) {
			log_warn("%s %s: %s", opt, arg, sockaddr_str(ai->ai_addr,
			    ai->ai_addrlen));
			close(fd);
			freeaddrinfo(res);
			return -1;
		}
		log_debug("listening on %s", sockaddr_str(ai->ai_addr,
		    ai->ai_addrlen));
		listens[nlistens].fd = fd;
		listens[nlistens].flags = flags;
		nlistens++;
		n++;
	}
	freeaddrinfo(res);
	return n > 0 ? 0 : -1;
}

/* A -t network (see net_parse). */
static int
parse_trusted(const char *arg)
{
	const char	*errstr;

	/* main() takes at most MAX_TRUSTED -t options. */
	if (net_parse(arg, &trusted[ntrusted], &errstr) == -1) {
		log_warnx("-t %s: %s", arg, errstr);
		return -1;
	}
	ntrusted++;
	return 0;
}

/* Is "1.2.3.4:port" or "[v6]:port" in a -t network? */
static int
is_trusted(const char *addr)
{
	return net_match(trusted, ntrusted, addr);
}

/*
 * Installed as SBINDIR/popd, the helpers are in LIBEXECDIR.  Run from
 * anywhere else it is the build tree: the helpers are in the sibling
 * folders authpop/ and wrkrpop/.
 */
static void
find_helpers(void)
{
	char	 dir[PATH_MAX], top[PATH_MAX];
	int	 r1, r2;

	if (compat_exe_path(self_path, sizeof(self_path)) == -1)
		err(1, "cannot find the path of the running popd");
	if (strcmp(self_path, SBINDIR "/popd") == 0) {
		r1 = snprintf(authpop_path, sizeof(authpop_path), "%s",
		    LIBEXECDIR "/authpop");
		r2 = snprintf(wrkrpop_path, sizeof(wrkrpop_path), "%s",
		    LIBEXECDIR "/wrkrpop");
	} else {
		(void)strlcpy(dir, self_path, sizeof(dir));
		(void)strlcpy(top, dirname(dir), sizeof(top));
		(void)strlcpy(dir, top, sizeof(dir));
		(void)strlcpy(top, dirname(dir), sizeof(top));
		r1 = snprintf(authpop_path, sizeof(authpop_path),
		    "%s/authpop/authpop", top);
		r2 = snprintf(wrkrpop_path, sizeof(wrkrpop_path),
		    "%s/wrkrpop/wrkrpop", top);
	}
	if (r1 < 0 || (size_t)r1 >= sizeof(authpop_path) || r2 < 0 ||
	    (size_t)r2 >= sizeof(wrkrpop_path))
		errx(1, "helper path too long");
	if (access(authpop_path, X_OK) == -1)
		err(1, "%s", authpop_path);
	if (access(wrkrpop_path, X_OK) == -1)
		err(1, "%s", wrkrpop_path);
}

static void
check_users(void)
{
	struct stat	 st;

	if (getpwnam(POPD_USER) == NULL)
		errx(1, "user %s does not exist: useradd -r -d %s "
		    "-s /usr/sbin/nologin %s", POPD_USER, CHROOTDIR,
		    POPD_USER);
	if (getpwnam(POPD_AUTH_USER) == NULL)
		errx(1, "user %s does not exist: useradd -r -d %s "
		    "-s /usr/sbin/nologin %s", POPD_AUTH_USER, CHROOTDIR,
		    POPD_AUTH_USER);
	if (stat(CHROOTDIR, &st) == -1)
		err(1, "chroot directory %s (mkdir -m 755 %s)", CHROOTDIR,
		    CHROOTDIR);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)))
		errx(1, "%s must be a directory owned by root and writable "
		    "by root only", CHROOTDIR);
}

/* argv[0] and the flags every child shares; returns the count. */
static int
child_argv(char **argv, const char *name)
{
	static char	 vflag[8];
	int		 argc = 0;

	argv[argc++] = (char *)name;
	if (debug)
		argv[argc++] = "-d";
	if (verbose > 0) {
		(void)snprintf(vflag, sizeof(vflag), "-%.*s",
		    verbose > 5 ? 5 : verbose, "vvvvv");
		argv[argc++] = vflag;
	}
	return argc;
}

/*
 * Fork and exec path with fd as its POPD_CHANNEL_FD and nothing else
 * open beyond stdio, as the ids of u when given (a mail user).  The
 * child's own prologue (proc.c) checks those ids again.
 */
static pid_t
child_exec(const char *path, char **argv, int fd, const struct userent *u)
{
	char	*envp[] = { "PATH=/usr/bin:/bin", NULL };
	pid_t	 pid;
	int	 saved;

	if ((pid = fork()) != 0)
		return pid;
	if (proc_child_fds(fd) == -1)
		_exit(1);
	saved = 0;
	if (u != NULL && privsep && proc_become(u->name, u->uid, u->gid) == -1)
		goto fail;
	execve(path, argv, envp);
	saved = errno;
	log_warn("exec %s", path);
 fail:
	if (u != NULL) {
		/* The client's PASS is waiting for an answer. */
		(void)write(POPD_CHANNEL_FD, EXEC_FAILED,
		    sizeof(EXEC_FAILED) - 1);
		if (saved == EACCES)
			log_warnx("%s replaced since popd started? restart "
			    "popd after an upgrade", path);
	}
	_exit(1);
}

/* Fork+exec a supervised child with its channel on POPD_CHANNEL_FD. */
static void
proc_start(enum proc_id id)
{
	struct proc	*p;
	const char	*name = proc_kinds[id].name;
	char		*argv[16];
	const char	*path;
	int		 sp[2], argc, i;
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair for %s", name);
	if (id == PROC_LISTENER) {
		path = self_path;
		argc = child_argv(argv, "popd");
		argv[argc++] = "-P";
		argv[argc++] = "listener";
		argv[argc++] = "-c";
		argv[argc++] = (char *)certfile;
		argv[argc++] = "-k";
		argv[argc++] = (char *)keyfile;
		if (tls12)
			argv[argc++] = "-T";
	} else {
		path = authpop_path;
		argc = child_argv(argv, "authpop");
		argv[argc++] = "-a";
		argv[argc++] = (char *)authtab;
		argv[argc++] = "-u";
		argv[argc++] = (char *)usertab;
	}
	argv[argc] = NULL;

	if ((pid = child_exec(path, argv, sp[1], NULL)) == -1)
		fatal("fork %s", name);
	close(sp[1]);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("%s", __func__);
	p->id = id;
	p->pid = pid;
	chan_init(&p->chan, sp[0], "parent", name, proc_kinds[id].dispatch,
	    proc_eof, p);
	p->chan.bad = proc_bad;
	TAILQ_INSERT_TAIL(&procs, p, entry);
	current[id] = p;
	log_debug("started %s, pid %d", name, (int)pid);

	if (id == PROC_LISTENER) {
		struct msg_listen	 ml;
		int			 fd;

		for (i = 0; i < nlistens; i++) {
			/* chan_send closes what it passes: keep ours. */
			if ((fd = dup(listens[i].fd)) == -1)
				fatal("dup");
			set_cloexec(fd);
			memset(&ml, 0, sizeof(ml));
			ml.flags = listens[i].flags;
			chan_send(&p->chan, MSG_LST_SOCKET, fd, &ml,
			    sizeof(ml));
		}
	}
}

static void
proc_restart(int fd, short ev, void *arg)
{
	enum proc_id	 id = (enum proc_id)(intptr_t)arg;

	if (current[id] == NULL)
		proc_start(id);
}

static void
proc_eof(struct chan *c)
{
	log_debug("%s closed its channel", c->peer);
}

/*
 * A malformed message: the child is compromised or broken.  End it; the
 * parent goes on, and restarts it when it is reaped.
 */
static void
proc_bad(struct chan *c)
{
	struct proc	*p = c->arg;

	(void)kill(p->pid, SIGKILL);
}

/* Reaped: forget it, and restart it unless it was draining. */
static void
proc_exited(struct proc *p, int status)
{
	struct timeval	 tv = { 1, 0 };
	const char	*name = proc_kinds[p->id].name;
	int		 restart;

	restart = (current[p->id] == p);
	if (p->draining && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_debug("previous %s (pid %d) drained", name, (int)p->pid);
	else if (WIFSIGNALED(status))
		log_warnx("%s (pid %d) killed by signal %d%s", name,
		    (int)p->pid, WTERMSIG(status), restart ? ", restarting" : "");
	else
		log_warnx("%s (pid %d) exited %d%s", name, (int)p->pid,
		    WEXITSTATUS(status), restart ? ", restarting" : "");
	chan_close(&p->chan);
	if (p->id == PROC_AUTHPOP)
		preauth_clear(p);
	TAILQ_REMOVE(&procs, p, entry);
	if (restart) {
		current[p->id] = NULL;
		evtimer_set(&restart_ev[p->id], proc_restart,
		    (void *)(intptr_t)p->id);
		evtimer_add(&restart_ev[p->id], &tv);
	}
	free(p);
}

/* The certificate and key make a TLS server, as the listener will. */
static int
tls_usable(void)
{
	struct tls	*ctx;

	if ((ctx = listener_tls(certfile, keyfile, tls12)) == NULL)
		return 0;
	tls_free(ctx);
	return 1;
}

/*
 * SIGHUP: read the tables again and, if they are good, start a new
 * authpop and listener (which load the tables and the certificate as
 * root before confining themselves).  The old ones drain: sessions in
 * progress are not cut.
 */
static void
reload(void)
{
	struct usertree	 nusers, auth;
	struct proc	*old[PROC_MAX];
	int		 id;

	if (table_load_users(usertab, &nusers) == -1) {
		log_warnx("reload: %s not loaded, keeping the old tables",
		    usertab);
		return;
	}
	if (table_load_auth(authtab, &auth) == -1) {
		log_warnx("reload: %s not loaded, keeping the old tables",
		    authtab);
		table_free(&nusers);
		return;
	}
	if (table_crosscheck(authtab, &auth, usertab, &nusers) == -1) {
		log_warnx("reload: tables do not agree, keeping the old ones");
		table_free(&nusers);
		table_free(&auth);
		return;
	}
	table_free(&auth);
	if (!tls_usable()) {
		log_warnx("reload: keeping the old certificate and tables");
		table_free(&nusers);
		return;
	}
	table_free(&users);
	users = nusers;

	for (id = 0; id < PROC_MAX; id++) {
		old[id] = current[id];
		current[id] = NULL;
	}
	proc_start(PROC_AUTHPOP);
	proc_start(PROC_LISTENER);
	for (id = 0; id < PROC_MAX; id++) {
		if (old[id] == NULL)
			continue;
		old[id]->draining = 1;
		chan_send(&old[id]->chan, MSG_DRAIN, -1, NULL, 0);
	}
	log_info("reloaded %s and %s", authtab, usertab);
}

static void
popd_dispatch_listener(struct chan *c, uint32_t type, const void *data,
    size_t len, int fd)
{
	struct msg_session	 ms;
	struct preauth		*pa;
	struct stat		 st;
	struct proc		*auth = current[PROC_AUTHPOP];
	size_t			 i;

	switch (type) {
	case MSG_LST_SESSION:
		if (fd == -1) {
			chan_bad(c, "%s from listener without a socket",
			    msg_type_str(type));
			return;
		}
		if (msg_check_size(c, type, len, sizeof(ms)) == -1)
			goto bad;
		memcpy(&ms, data, sizeof(ms));
		if (msg_check_str(c, type, ms.addr, sizeof(ms.addr)) == -1)
			goto bad;
		/* Only for logs, ours and authpop's: printable or '?'. */
		for (i = 0; ms.addr[i] != '\0'; i++)
			if (ms.addr[i] < 0x21 || ms.addr[i] > 0x7e)
				ms.addr[i] = '?';
		if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode)) {
			chan_bad(c, "listener passed a non-socket");
			goto bad;
		}
		if ((ms.flags & ~(SESSION_TLS | SESSION_STLS |
		    SESSION_RESUMED)) != 0 || ((ms.flags & SESSION_TLS) ==
		    0) == ((ms.flags & SESSION_STLS) == 0)) {
			chan_bad(c, "%s from listener: flags %#x",
			    msg_type_str(type), ms.flags);
			goto bad;
		}
		if (!(ms.flags & SESSION_TLS) && is_trusted(ms.addr))
			ms.flags |= SESSION_TRUSTED;
		if (auth == NULL || auth->chan.fd == -1 ||
		    npreauth >= MAX_PREAUTH) {
			log_warnx("session from %s dropped: %s", ms.addr,
			    npreauth >= MAX_PREAUTH ? "too many sessions" :
			    "authpop is restarting");
			/*
			 * A canned reply: nothing from the client is read.
			 * Never wait: the listener may have filled the socket.
			 */
			(void)send(fd, BUSY, sizeof(BUSY) - 1,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			return;
		}
		if ((pa = calloc(1, sizeof(*pa))) == NULL)
			fatal("%s", __func__);
		pa->id = ms.id = next_id++;
		pa->owner = auth;
		pa->lpid = ((struct proc *)c->arg)->pid;
		pa->lid = ms.lid;
		pa->flags = ms.flags;
		pa->dev = st.st_dev;
		pa->ino = st.st_ino;
		RB_INSERT(preauthtree, &preauths, pa);
		npreauth++;
		chan_send(&auth->chan, MSG_LST_SESSION, fd, &ms, sizeof(ms));
		return;
	default:
		chan_bad(c, "unexpected %s (%u) from listener",
		    msg_type_str(type), type);
		goto bad;
	}
 bad:
	if (fd != -1)
		close(fd);
}

static void
popd_dispatch_authpop(struct chan *c, uint32_t type, const void *data,
    size_t len, int fd)
{
	struct msg_login	 ml;
	struct msg_id		 mi;
	struct preauth		*pa;
	struct stat		 st;

	switch (type) {
	case MSG_AUTH_LOGIN:
		if (msg_check_size(c, type, len, sizeof(ml)) == -1)
			goto bad;
		memcpy(&ml, data, sizeof(ml));
		if (msg_check_str(c, type, ml.user, sizeof(ml.user)) == -1)
			goto bad;
		if (fd == -1) {
			chan_bad(c, "%s from authpop without a socket",
			    msg_type_str(type));
			return;
		}
		/*
		 * Only a session we handed out and that has not logged in
		 * yet, and only with its own socket: a compromised authpop
		 * can at most name an existing user for its own session.
		 */
		if ((pa = preauth_take(c->arg, ml.id)) == NULL) {
			chan_bad(c, "authpop logged in unknown session %llu",
			    (unsigned long long)ml.id);
			goto bad;
		}
		if (fstat(fd, &st) == -1 || st.st_dev != pa->dev ||
		    st.st_ino != pa->ino) {
			free(pa);
			chan_bad(c, "authpop passed another socket for "
			    "session %llu", (unsigned long long)ml.id);
			goto bad;
		}
		free(pa);
		spawn_worker(c, &ml, fd);
		return;
	case MSG_AUTH_CLOSED:
	case MSG_AUTH_STLS:
		if (fd != -1) {
			chan_bad(c, "%s from authpop with a descriptor",
			    msg_type_str(type));
			goto bad;
		}
		if (msg_check_size(c, type, len, sizeof(mi)) == -1)
			return;
		memcpy(&mi, data, sizeof(mi));
		/* A session authpop closed may be unknown to us already. */
		pa = preauth_take(c->arg, mi.id);
		if (type == MSG_AUTH_STLS) {
			if (pa == NULL || !(pa->flags & SESSION_STLS)) {
				free(pa);
				chan_bad(c, "%s for session %llu, not a "
				    "plaintext session of this authpop",
				    msg_type_str(type),
				    (unsigned long long)mi.id);
				return;
			}
			/*
			 * The session ends here for authpop; the listener
			 * starts TLS and hands over a new one.
			 */
			starttls(pa);
		}
		free(pa);
		return;
	default:
		chan_bad(c, "unexpected %s (%u) from authpop",
		    msg_type_str(type), type);
		goto bad;
	}
 bad:
	if (fd != -1)
		close(fd);
}

/*
 * The only place that creates a process with a mail user's ids: the ids
 * and path come from our own usertab, never from authpop.
 */
static void
spawn_worker(struct chan *auth, const struct msg_login *ml, int fd)
{
	struct userent		*u;
	struct msg_refused	 mr;
	struct msg_id		 mi;
	char			 maildir[PATH_MAX];
	char			*argv[8];
	int			 argc, r;
	pid_t			 pid;

	memset(&mr, 0, sizeof(mr));
	mr.id = ml->id;
	if ((u = table_lookup(&users, ml->user)) == NULL) {
		log_warnx("login of \"%s\" refused: not in %s", ml->user,
		    usertab);
		close(fd);
		mr.code = REFUSED_PERM;
		chan_send(auth, MSG_AUTH_REFUSED, -1, &mr, sizeof(mr));
		return;
	}
	if (subdir != NULL)
		r = snprintf(maildir, sizeof(maildir), "%s/%s", u->path,
		    subdir);
	else
		r = snprintf(maildir, sizeof(maildir), "%s", u->path);
	if (r < 0 || (size_t)r >= sizeof(maildir)) {
		log_warnx("login of \"%s\" refused: maildir path too long",
		    u->name);
		close(fd);
		mr.code = REFUSED_PERM;
		chan_send(auth, MSG_AUTH_REFUSED, -1, &mr, sizeof(mr));
		return;
	}

	argc = child_argv(argv, "wrkrpop");
	argv[argc++] = u->name;
	argv[argc++] = maildir;
	argv[argc] = NULL;

	if ((pid = child_exec(wrkrpop_path, argv, fd, u)) == -1) {
		log_warn("fork wrkrpop for %s", u->name);
		close(fd);
		mr.code = REFUSED_TEMP;
		chan_send(auth, MSG_AUTH_REFUSED, -1, &mr, sizeof(mr));
		return;
	}
	close(fd);
	log_debug("wrkrpop for %s: pid %d, uid %u gid %u, %s", u->name,
	    (int)pid, (unsigned)u->uid, (unsigned)u->gid, maildir);
	mi.id = ml->id;
	chan_send(auth, MSG_AUTH_SPAWNED, -1, &mi, sizeof(mi));
}

/*
 * The pre-login session id of owner, taken out of the table (MON_ONCE),
 * or NULL if owner has no such session.
 */
static struct preauth *
preauth_take(struct proc *owner, uint64_t id)
{
	struct preauth	 key, *pa;

	key.id = id;
	if ((pa = RB_FIND(preauthtree, &preauths, &key)) == NULL ||
	    pa->owner != owner)
		return NULL;
	RB_REMOVE(preauthtree, &preauths, pa);
	npreauth--;
	return pa;
}

/* Ask the listener that relays a session to start TLS on it. */
static void
starttls(const struct preauth *pa)
{
	struct proc	*p;
	struct msg_lid	 ml;

	TAILQ_FOREACH(p, &procs, entry)
		if (p->id == PROC_LISTENER && p->pid == pa->lpid)
			break;
	if (p == NULL || p->chan.fd == -1) {
		log_debug("STLS for session %llu: its listener is gone",
		    (unsigned long long)pa->id);
		return;
	}
	memset(&ml, 0, sizeof(ml));
	ml.lid = pa->lid;
	chan_send(&p->chan, MSG_LST_STARTTLS, -1, &ml, sizeof(ml));
}

/* The sessions of an authpop that died are gone with it. */
static void
preauth_clear(struct proc *owner)
{
	struct preauth	*pa, *next;

	RB_FOREACH_SAFE(pa, preauthtree, &preauths, next) {
		if (pa->owner != owner)
			continue;
		RB_REMOVE(preauthtree, &preauths, pa);
		npreauth--;
		free(pa);
	}
}

static void
shutdown_children(void)
{
	struct proc	*p;

	TAILQ_FOREACH(p, &procs, entry)
		(void)kill(p->pid, SIGTERM);
}

static void
sig_handler(int sig, short ev, void *arg)
{
	struct proc	*p;
	pid_t		 pid;
	int		 status;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("stopping on signal %d", sig);
		shutdown_children();
		exit(0);
	case SIGHUP:
		reload();
		break;
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			TAILQ_FOREACH(p, &procs, entry)
				if (p->pid == pid)
					break;
			if (p != NULL) {
				proc_exited(p, status);
				continue;
			}
			if (WIFSIGNALED(status))
				log_warnx("wrkrpop %d killed by signal %d",
				    (int)pid, WTERMSIG(status));
			else if (WEXITSTATUS(status) != 0)
				log_debug("wrkrpop %d exited %d", (int)pid,
				    WEXITSTATUS(status));
		}
		break;
	}
}
