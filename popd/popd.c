/*
 * popd.c -- the popd parent.  It runs as root, never reads a byte from a
 * client, binds the listening sockets, starts and supervises the
 * listener and authpop, and spawns one wrkrpop per login with exactly the
 * uid, gid and path of the user's usertab entry.
 *
 * Peers (what each may send is in from_listener[] and from_authpop[]
 * below; msg.c checks every message against them):
 *	listener	popd -P listener	fd 3	LISTENER_SESSION in;
 *						PARENT_LISTEN, PARENT_STARTTLS,
 *						PARENT_DRAIN out
 *	authpop		LIBEXECDIR/authpop	fd 3	AUTHPOP_LOGIN, _CLOSED,
 *						_STLS in; PARENT_SESSION,
 *						_SPAWNED, _REFUSED, _DRAIN out
 *	wrkrpop		LIBEXECDIR/wrkrpop	fd 3	one per session (no channel)
 *	log relay	(syslog.c)		stderr	every child's log lines
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <ifaddrs.h>
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
#include "chan.h"
#include "config.h"
#include "maildir.h"
#include "oldids.h"
#include "addr.h"
#include "proc.h"
#include "table.h"
#include "sandbox.h"

#define MAX_LISTEN	64	/* bound sockets */
#define FD_RESERVE	64	/* descriptors kept for children, reloads */
#define EXEC_FAILED	"-ERR [SYS/TEMP] cannot start the session, try later\r\n"

enum proc_id { KIND_LISTENER, KIND_AUTHPOP, KIND_MAX };

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

/*
 * A client address, masked as limit per-address ipv4-prefix/ipv6-prefix
 * say, with its sessions before and after login.  Freed when it has none.
 */
struct client {
	RB_ENTRY(client)	 entry;
	struct addrkey		 key;
	unsigned int		 prelogin;
	unsigned int		 loggedin;
};
RB_HEAD(clienttree, client);

/* A wrkrpop, for limit logged-in: the client it serves. */
struct worker {
	RB_ENTRY(worker)	 entry;
	pid_t			 pid;
	struct client		*client;
};
RB_HEAD(workertree, worker);

/* A session handed to an authpop, not yet logged in (MON_ONCE state). */
struct preauth {
	RB_ENTRY(preauth)	 entry;
	uint64_t		 id;
	struct client		*client;
	struct proc		*owner;		/* the authpop that has it */
	pid_t			 lpid;		/* the listener that relays it */
	uint32_t		 lid;		/* the listener's name for it */
	uint32_t		 flags;		/* SESSION_* */
	struct peeraddr		 peer;		/* the client */
	char			 addr[PEER_STRLEN];	/* it, for logs */
	char			 tls[POPD_MAXTLS];
	dev_t			 dev;
	ino_t			 ino;
};

RB_HEAD(preauthtree, preauth);

/*
 * LOGIN-DELAY: when each user last logged in (monotonic).  Only users of
 * usertab get here, so the tree is no larger than usertab.  A restart of
 * popd forgets it.
 */
struct lastlogin {
	RB_ENTRY(lastlogin)	 entry;
	char			 name[POPD_MAXUSER + 1];
	time_t			 when;
};
RB_HEAD(lastlogintree, lastlogin);
static int	lastlogin_cmp(struct lastlogin *, struct lastlogin *);
RB_PROTOTYPE_STATIC(lastlogintree, lastlogin, entry, lastlogin_cmp)
RB_GENERATE_STATIC(lastlogintree, lastlogin, entry, lastlogin_cmp)
static struct lastlogintree lastlogins = RB_INITIALIZER(&lastlogins);

static int	preauth_cmp(struct preauth *, struct preauth *);
RB_PROTOTYPE_STATIC(preauthtree, preauth, entry, preauth_cmp)
RB_GENERATE_STATIC(preauthtree, preauth, entry, preauth_cmp)
static int	client_cmp(struct client *, struct client *);
RB_PROTOTYPE_STATIC(clienttree, client, entry, client_cmp)
RB_GENERATE_STATIC(clienttree, client, entry, client_cmp)
static int	worker_cmp(struct worker *, struct worker *);
RB_PROTOTYPE_STATIC(workertree, worker, entry, worker_cmp)
RB_GENERATE_STATIC(workertree, worker, entry, worker_cmp)

__dead static void	usage(void);
static struct popd_conf	*conf_from_flags(char **, int, char **, int, char **,
			    int, char **, int);
static int		legacy_listen(struct popd_conf *, const char *, int);
static int		conf_usable(struct popd_conf *, struct usertree *,
			    struct usertree *);
static void		passwd_changes(struct usertree *, struct usertree *,
			    const struct proc *);
static struct client	*client_get(const struct peeraddr *);
static void		client_put(struct client *);
static void		worker_add(pid_t, struct client *);
static void		worker_gone(pid_t);
static void		preauth_remove(struct preauth *);
static void		preauth_free(struct preauth *);
static void		session_refuse(int, const char *);
static void		conf_changes(const struct popd_conf *,
			    const struct popd_conf *);
static int		bind_listen(const struct conf_listen *);
static const char	*listen_name(const struct conf_listen *);
static int		bind_one(const struct conf_listen *, struct sockaddr *,
			    socklen_t);
static int		is_trusted(const struct peeraddr *);
static const char *const *conf_files(const struct popd_conf *);
static uint32_t		conf_pki_index(const struct popd_conf *, const char *);
static void		fd_budget_set(rlim_t);
static void		find_helpers(void);
static void		check_users(void);
static int		child_argv(char **, const char *, const char *);
static pid_t		child_exec(const char *, char **, int, int,
			    const struct userent *, const char *);
static int		 login_too_soon(const char *);
static int		 migration_report(void);
static void		 report_maildir(const struct userent *, const char *);
static int		 report_count(void *, const char *);
static int		proc_start(enum proc_id);
static void		proc_restart(int, short, void *);
static void		proc_eof(struct chan *);
static void		proc_bad(struct chan *);
static void		proc_exited(struct proc *, int);
static void		reload(void);
static void		parent_listener_session(struct chan *, const void *,
			    int);
static void		parent_authpop_login(struct chan *, const void *, int);
static void		parent_authpop_closed(struct chan *, const void *,
			    int);
static void		parent_authpop_stls(struct chan *, const void *, int);
static void		spawn_worker(struct chan *, const struct msg_login *,
			    const struct preauth *, int);
static int		worker_conf(const char *, const char *,
			    const struct preauth *);
static void		preauth_clear(struct proc *);
static void		starttls(const struct preauth *);
static struct preauth	*preauth_take(struct proc *, uint64_t);
static void		sig_handler(int, short, void *);
static void		shutdown_children(void);

/*
 * What the parent does with each message a child sends it (proto.c
 * declares them; msg.c checks every one, and a message that breaks its
 * declaration ends that child).
 */
static const struct msg_handler from_listener[] = {
	{ MSG_LISTENER_SESSION,	parent_listener_session },
};
static const struct msg_handler from_authpop[] = {
	{ MSG_AUTHPOP_LOGIN,	parent_authpop_login },
	{ MSG_AUTHPOP_CLOSED,	parent_authpop_closed },
	{ MSG_AUTHPOP_STLS,	parent_authpop_stls },
};

static const struct {
	const char		*name;
	int			 proc;		/* PROC_* */
	const struct msg_handler *handlers;
	size_t			 nhandlers;
} proc_kinds[KIND_MAX] = {
	[KIND_LISTENER] = { "listener", PROC_LISTENER, from_listener,
	    nitems(from_listener) },
	[KIND_AUTHPOP] = { "authpop", PROC_AUTHPOP, from_authpop,
	    nitems(from_authpop) },
};

static struct proclist	 procs = TAILQ_HEAD_INITIALIZER(procs);
static struct proc	*current[KIND_MAX];
static struct event	 restart_ev[KIND_MAX];

/* The bound sockets: kept across reloads (new addresses need a restart). */
static struct {
	int		 fd;
	int		 flags;			/* LISTEN_* */
	char		 pki[CONF_NAMELEN];	/* "" = the first */
} listens[MAX_LISTEN];
static int		 nlistens;

static struct preauthtree preauths = RB_INITIALIZER(&preauths);
static size_t		 npreauth;
static struct clienttree clients = RB_INITIALIZER(&clients);
static struct workertree workers = RB_INITIALIZER(&workers);
static size_t		 nworkers;
static size_t		 fd_budget = 256; /* session fds queued to authpop */
static struct lograte	 rate_prelogin, rate_loggedin, rate_busy;
static uint64_t		 next_id = 1;

static struct popd_conf	*conf;
static struct usertree	 users;
static struct usertree	 authtab;	/* to tell draining authpops changes */
static char		 self_path[PATH_MAX];
static char		 authpop_path[PATH_MAX];
static char		 wrkrpop_path[PATH_MAX];
static const char	*conffile;		/* NULL: the flags' shorthand */
static int		 debug, verbose, privsep;
/* The uids of POPD_USER and POPD_AUTH_USER: no mail user may have them. */
static uid_t		 daemon_uid[2] = { (uid_t)-1, (uid_t)-1 };

static int
preauth_cmp(struct preauth *a, struct preauth *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

__dead static void
usage(void)
{
	fprintf(stderr, "usage: popd [-dmnv] [-D macro=value] [-f file]\n"
	    "       popd [-dmnTv] -a authtab -c certfile [-e subdir] "
	    "-k keyfile [-l address]\n"
	    "            [-p address] [-t network] -u usertab\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct event	 ev_sigchld, ev_sigterm, ev_sigint, ev_sighup;
	struct conf_listen *l;
	char		*listen_args[MAX_LISTEN], *plain_args[MAX_LISTEN];
	char		*trusted_args[MAX_LISTEN], *flags[5] = { NULL };
	int		 ch, nl = 0, np = 0, nt = 0, noaction = 0, tls12 = 0;
	int		 report = 0;
	int		 legacy = 0, id;

	/* The listener is this program, exec'd again with a role flag. */
	if (argc > 1 && strcmp(argv[1], "-P") == 0)
		listener_main(argc, argv);

	log_init(1, LOG_MAIL);
	while ((ch = getopt(argc, argv, "a:c:dD:e:f:k:l:mnp:Tt:u:v")) != -1) {
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
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 0)
		usage();
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
				usage();
			}
		}
		conf = parse_config(conffile, 0);
	}
	if (conf == NULL)
		exit(1);

	privsep = (geteuid() == 0);
	/* Check everything before daemonizing, so errors reach the admin. */
	if (privsep)
		check_users();
	if (conf_usable(conf, &users, &authtab) != 0)
		exit(1);
	find_helpers();
	if (report)
		exit(migration_report());
	if (noaction) {
		if (verbose)
			conf_print(stdout, conf);
		printf("configuration OK\n");
		exit(0);
	}
	log_procinit("parent");
	if (!privsep)
		log_warnx("not started as root: all processes run as uid %u, "
		    "usertab uids are not applied", (unsigned)getuid());
	TAILQ_FOREACH(l, &conf->listens, entry)
		if (bind_listen(l) == -1)
			exit(1);
	fd_budget_set(proc_nofile());

	if (!debug && daemon(0, 0) == -1)
		err(1, "daemon");
	log_init(debug, LOG_MAIL);
	log_setverbose(verbose);
	signal(SIGPIPE, SIG_IGN);

	event_init();
	if (!debug)
		logrelay_init();
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
	    wrkrpop_path, NULL }, conf_files(conf));
	for (id = 0; id < KIND_MAX; id++)
		evtimer_set(&restart_ev[id], proc_restart,
		    (void *)(intptr_t)id);
	if (proc_start(KIND_AUTHPOP) == -1 || proc_start(KIND_LISTENER) == -1)
		fatalx("cannot start the children");
	log_info("started: %d address%s, %s, confinement: %s", nlistens,
	    nlistens == 1 ? "" : "es",
	    privsep ? "privilege separation by uid" : "single uid",
	    sandbox_describe());

	setproctitle("parent");
	event_dispatch();
	fatalx("event loop ended");
}

/*
 * The original command line, a shorthand for the configuration file it
 * stands for: one pki, -l (tls) and -p (starttls) listeners, -t trusted
 * networks (nets).  flags: authtab, certfile, subdir, keyfile, usertab.
 */
static struct popd_conf *
conf_from_flags(char **flags, int tls12, char **tls_args, int ntls,
    char **plain_args, int nplain, char **nets, int nnets)
{
	struct conf_trusted	*t;
	const char		*errstr;
	static const char *const names[] = { "-a authtab", "-c certfile",
	    NULL, "-k keyfile", "-u usertab" };
	struct popd_conf	*c;
	struct conf_pki		*pki;
	char			 missing[128] = "";
	int			 i;

	for (i = 0; i < 5; i++)
		if (flags[i] == NULL && names[i] != NULL) {
			if (missing[0] != '\0')
				(void)strlcat(missing, ", ", sizeof(missing));
			(void)strlcat(missing, names[i], sizeof(missing));
		}
	if (missing[0] != '\0') {
		fprintf(stderr, "popd: missing %s\n", missing);
		usage();
	}
	if (ntls + nplain == 0) {
		fprintf(stderr, "popd: nothing to listen on: give -l address "
		    "(implicit TLS) or -p address (STLS)\n");
		usage();
	}
	if (flags[2] != NULL && !maildir_subdir_ok(flags[2]))
		errx(1, "-e %s: must be a relative path without \"..\"",
		    flags[2]);
	if ((c = conf_new()) == NULL || (pki = calloc(1, sizeof(*pki))) ==
	    NULL)
		err(1, NULL);
	if (strlcpy(c->set.authtab, flags[0], sizeof(c->set.authtab)) >=
	    sizeof(c->set.authtab) || strlcpy(c->set.usertab, flags[4],
	    sizeof(c->set.usertab)) >= sizeof(c->set.usertab) ||
	    strlcpy(pki->cert, flags[1], sizeof(pki->cert)) >=
	    sizeof(pki->cert) || strlcpy(pki->key, flags[3],
	    sizeof(pki->key)) >= sizeof(pki->key) ||
	    (flags[2] != NULL && strlcpy(c->set.maildir, flags[2],
	    sizeof(c->set.maildir)) >= sizeof(c->set.maildir)))
		errx(1, "path too long");
	(void)strlcpy(pki->name, "default", sizeof(pki->name));
	TAILQ_INSERT_TAIL(&c->pkis, pki, entry);
	if (tls12) {
		(void)strlcpy(c->set.tls_protocols, "tlsv1.2,tlsv1.3",
		    sizeof(c->set.tls_protocols));
		c->set.protocols = TLS_PROTOCOL_TLSv1_2 | TLS_PROTOCOL_TLSv1_3;
	}
	for (i = 0; i < ntls; i++)
		if (legacy_listen(c, tls_args[i], CONF_LISTEN_TLS) == -1)
			exit(1);
	for (i = 0; i < nplain; i++)
		if (legacy_listen(c, plain_args[i], CONF_LISTEN_STARTTLS) == -1)
			exit(1);
	for (i = 0; i < nnets; i++) {
		if ((t = calloc(1, sizeof(*t))) == NULL)
			err(1, NULL);
		if (conf_parse_network(nets[i], t, &errstr) == -1)
			errx(1, "-t %s: %s", nets[i], errstr);
		TAILQ_INSERT_TAIL(&c->trusted, t, entry);
	}
	return c;
}

/* -l and -p: "127.0.0.1", "127.0.0.1:9950", "[::1]:9950", "::1", "*:995". */
static int
legacy_listen(struct popd_conf *c, const char *arg, int flags)
{
	struct conf_listen	*l;
	char			 host[ADDR_HOSTMAX], port[ADDR_PORTMAX];
	const char		*errstr;
	const char		*opt = (flags & CONF_LISTEN_TLS) ? "-l" : "-p";

	if (addr_split(arg, (flags & CONF_LISTEN_TLS) ? POPD_PORT :
	    POPD_PLAIN_PORT, host, sizeof(host), port, sizeof(port),
	    &errstr) == -1) {
		log_warnx("%s %s: %s", opt, arg, errstr);
		return -1;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		err(1, NULL);
	l->flags = flags;
	l->port = strtonum(port, 1, 65535, &errstr);	/* checked */
	if (strlcpy(l->addr, host, sizeof(l->addr)) >= sizeof(l->addr)) {
		log_warnx("%s %s: too long", opt, arg);
		free(l);
		return -1;
	}
	/* Messages name the flag as given (listen_name). */
	if (asprintf(&l->where.file, "%s %s", opt, arg) == -1)
		err(1, NULL);
	TAILQ_INSERT_TAIL(&c->listens, l, entry);
	return 0;
}

/*
 * Tables and certificates of c: both tables load and agree (users gets
 * usertab), and every pki makes a TLS server.  Errors are logged; -1 for
 * the tables, -2 for the certificates.
 */
static int
conf_usable(struct popd_conf *c, struct usertree *u, struct usertree *auth)
{
	struct userent	*ue;
	struct conf_pki	*pki;
	struct tls	*ctx;
	char		*certs[POPD_MAXPKI], *keys[POPD_MAXPKI];
	size_t		 n;

	if (table_load_users(c->set.usertab, u) == -1) {
		log_warnx("%s: not loaded", c->set.usertab);
		return -1;
	}
	RB_FOREACH(ue, usertree, u)
		if (ue->uid == daemon_uid[0] || ue->uid == daemon_uid[1]) {
			log_warnx("%s:%zu: user %s has uid %u, the uid of %s: "
			    "give mail users uids of their own", c->set.usertab,
			    ue->lineno, ue->name, (unsigned)ue->uid,
			    ue->uid == daemon_uid[0] ? POPD_USER :
			    POPD_AUTH_USER);
			table_free(u);
			return -1;
		}
	if (table_load_auth(c->set.authtab, auth) == -1) {
		log_warnx("%s: not loaded", c->set.authtab);
		table_free(u);
		return -1;
	}
	if (table_crosscheck(c->set.authtab, auth, c->set.usertab, u) == -1) {
		log_warnx("tables do not agree");
		table_free(auth);
		table_free(u);
		return -1;
	}
	n = 0;
	TAILQ_FOREACH(pki, &c->pkis, entry) {
		if (n == nitems(certs)) {
			log_warnx("more than %zu pki", nitems(certs));
			table_free(auth);
			table_free(u);
			return -1;
		}
		certs[n] = pki->cert;
		keys[n++] = pki->key;
	}
	if ((ctx = pki_tls(n, certs, keys, 0, c->set.tls_protocols)) ==
	    NULL) {
		table_free(auth);
		table_free(u);
		return -2;
	}
	tls_free(ctx);
	return 0;
}

/* The listener's index of a pki name ("" is the first). */
static uint32_t
conf_pki_index(const struct popd_conf *c, const char *name)
{
	const struct conf_pki	*pki;
	uint32_t		 i = 0;

	TAILQ_FOREACH(pki, &c->pkis, entry) {
		if (strcmp(pki->name, name) == 0)
			return i;
		i++;
	}
	return 0;
}

/* "-l 1.2.3.4:995" or "popd.conf:12: listen on 1.2.3.4", for messages. */
static const char *
listen_name(const struct conf_listen *l)
{
	static char	buf[PATH_MAX + 128];

	if (l->where.file != NULL && l->where.line == 0)
		return l->where.file;
	if (l->where.file != NULL)
		(void)snprintf(buf, sizeof(buf), "%s:%d: listen on %s",
		    l->where.file, l->where.line, l->addr);
	else
		(void)snprintf(buf, sizeof(buf), "listen on %s", l->addr);
	return buf;
}

/*
 * Bind every address of l: "*" (all), a numeric address, or an
 * interface name (each of its addresses).
 */
static int
bind_listen(const struct conf_listen *l)
{
	struct addrinfo	 hints, *res, *ai;
	struct ifaddrs	*ifa, *i;
	char		 port[8];
	const char	*h;
	int		 error, n = 0;

	(void)snprintf(port, sizeof(port), "%d", l->port);
	h = strcmp(l->addr, "*") == 0 ? NULL : l->addr;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((error = getaddrinfo(h, port, &hints, &res)) == 0) {
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (bind_one(l, ai->ai_addr, ai->ai_addrlen) == -1) {
				freeaddrinfo(res);
				return -1;
			}
			n++;
		}
		freeaddrinfo(res);
		return 0;
	}
	/* Not an address: an interface. */
	if (getifaddrs(&ifa) == -1) {
		log_warn("%s: getifaddrs", listen_name(l));
		return -1;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || strcmp(i->ifa_name, l->addr) != 0 ||
		    (i->ifa_addr->sa_family != AF_INET &&
		    i->ifa_addr->sa_family != AF_INET6))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			((struct sockaddr_in *)i->ifa_addr)->sin_port =
			    htons(l->port);
		else
			((struct sockaddr_in6 *)i->ifa_addr)->sin6_port =
			    htons(l->port);
		if (bind_one(l, i->ifa_addr, i->ifa_addr->sa_family ==
		    AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6)) == -1) {
			freeifaddrs(ifa);
			return -1;
		}
		n++;
	}
	freeifaddrs(ifa);
	if (n == 0) {
		log_warnx("%s: not an address or an interface with an "
		    "address", listen_name(l));
		return -1;
	}
	return 0;
}

static int
bind_one(const struct conf_listen *l, struct sockaddr *sa, socklen_t salen)
{
	int	 fd, on = 1;

	if (nlistens == MAX_LISTEN) {
		log_warnx("%s: too many addresses (max %d)", listen_name(l),
		    MAX_LISTEN);
		return -1;
	}
	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) ==
	    -1) {
		log_warn("%s: socket", listen_name(l));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (sa->sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)) {
		log_warn("%s: setsockopt", listen_name(l));
		close(fd);
		return -1;
	}
	if (bind(fd, sa, salen) == -1 || listen(fd, 512) == -1) {
		log_warn("%s: %s", listen_name(l), sockaddr_str(sa, salen));
		close(fd);
		return -1;
	}
	log_debug("listening on %s", sockaddr_str(sa, salen));
	listens[nlistens].fd = fd;
	listens[nlistens].flags = ((l->flags & CONF_LISTEN_TLS) ? LISTEN_TLS :
	    0) | ((l->flags & CONF_LISTEN_PROXY) ? LISTEN_PROXY : 0);
	(void)strlcpy(listens[nlistens].pki, l->pki,
	    sizeof(listens[nlistens].pki));
	nlistens++;
	return 0;
}

/* Is the client in a trusted network? */
static int
is_trusted(const struct peeraddr *peer)
{
	const struct conf_trusted	*t;

	TAILQ_FOREACH(t, &conf->trusted, entry)
		if (net_match(&t->net, 1, peer))
			return 1;
	return 0;
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
	if (access(authpop_path, X_OK) == -1 ||
	    access(wrkrpop_path, X_OK) == -1) {
		if (strcmp(self_path, SBINDIR "/popd") == 0)
			err(1, "%s: popd runs its helpers from LIBEXECDIR "
			    "(%s), set when it was built", access(authpop_path,
			    X_OK) == -1 ? authpop_path : wrkrpop_path,
			    LIBEXECDIR);
		err(1, "%s: popd %s is not where it was installed "
		    "(SBINDIR %s), so it looks for its helpers next to it, "
		    "as in the build tree; a staged (DESTDIR) copy runs only "
		    "once installed in SBINDIR, with the helpers in "
		    "LIBEXECDIR %s", access(authpop_path, X_OK) == -1 ?
		    authpop_path : wrkrpop_path, self_path, SBINDIR,
		    LIBEXECDIR);
	}
}

/* What the parent reads on SIGHUP: for unveil(2) on OpenBSD. */
static const char *const *
conf_files(const struct popd_conf *c)
{
	static const char	**files;
	const struct conf_pki	*pki;
	size_t			 n = 0;

	TAILQ_FOREACH(pki, &c->pkis, entry)
		n += 2;
	if ((files = reallocarray(NULL, n + 4, sizeof(*files))) == NULL)
		fatal("%s", __func__);
	n = 0;
	files[n++] = c->set.authtab;
	files[n++] = c->set.usertab;
	if (conffile != NULL)
		files[n++] = conffile;
	TAILQ_FOREACH(pki, &c->pkis, entry) {
		files[n++] = pki->cert;
		files[n++] = pki->key;
	}
	files[n] = NULL;
	return files;
}

/*
 * Sessions waiting for authpop hold a descriptor here each: a stalled
 * authpop must not take the ones we need for anything else.
 */
static void
fd_budget_set(rlim_t nofile)
{
	if (nofile > 1000000)
		nofile = 1000000;
	fd_budget = nofile > FD_RESERVE + (rlim_t)nlistens + 16 ?
	    nofile - FD_RESERVE - nlistens : 16;
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
child_argv(char **argv, const char *name, const char *role)
{
	static char	 vflag[8];
	int		 argc = 0;

	argv[argc++] = (char *)name;
	if (role != NULL) {
		argv[argc++] = "-P";
		argv[argc++] = (char *)role;
	}
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
 * popd -m: for each user, which UIDLs its maildir would keep from the
 * server before (oldids.c) at its first open, and which get popd's own.
 * Read only, as the user (a child per maildir), nothing written.
 */
static int
migration_report(void)
{
	struct userent	*u;
	char		 path[PATH_MAX];
	pid_t		 pid;
	int		 status, bad = 0;

	RB_FOREACH(u, usertree, &users) {
		if (maildir_path(path, sizeof(path), u->path,
		    conf->set.maildir) == -1) {
			printf("%s: maildir path too long\n", u->name);
			bad = 1;
			continue;
		}
		fflush(stdout);
		if ((pid = fork()) == -1)
			err(1, "fork");
		if (pid == 0) {
			if (privsep && proc_become(u->name, u->uid, u->gid) == -1)
				_exit(1);
			report_maildir(u, path);
			fflush(stdout);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			bad = 1;
	}
	return bad;
}

struct report {
	const struct oldids	*old;
	size_t			 n, kept;
};

static void
report_maildir(const struct userent *u, const char *path)
{
	struct report	 r = { NULL, 0, 0 };
	struct oldids	*old;
	struct stat	 st;
	int		 dirfd;

	if ((dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		printf("%s: %s: %s\n", u->name, path, strerror(errno));
		return;
	}
	if (fstatat(dirfd, "popcache", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		printf("%s: %s: served by popd already (popcache): its UIDLs "
		    "stay\n", u->name, path);
		close(dirfd);
		return;
	}
	old = oldids_load(dirfd, path, conf->set.uidl_format, OLDIDS_DRYRUN);
	r.old = old;
	if (maildir_readdir(dirfd, "cur", report_count, &r) == -1 ||
	    maildir_readdir(dirfd, "new", report_count, &r) == -1)
		printf("%s: %s: %s\n", u->name, path, strerror(errno));
	else if (old == NULL)
		printf("%s: %s: %zu messages, popd's own UIDLs (no records of "
		    "another server)\n", u->name, path, r.n);
	else
		printf("%s: %s: %zu messages, %zu UIDLs from %s, %zu popd's "
		    "own\n", u->name, path, r.n, r.kept, oldids_source(old),
		    r.n - r.kept);
	oldids_free(old);
	close(dirfd);
}

static int
report_count(void *arg, const char *name)
{
	struct report	*r = arg;

	r->n++;
	if (oldids_get(r->old, name) != NULL)
		r->kept++;
	return 0;
}

static int
lastlogin_cmp(struct lastlogin *a, struct lastlogin *b)
{
	return strcmp(a->name, b->name);
}

/*
 * A login of user sooner than login-delay after the previous one is
 * refused (RFC 2449 LOGIN-DELAY); otherwise it is recorded.
 */
static int
login_too_soon(const char *user)
{
	struct lastlogin	 key, *l;
	time_t			 now = monotime();

	if (conf->set.login_delay <= 0)
		return 0;
	(void)strlcpy(key.name, user, sizeof(key.name));
	if ((l = RB_FIND(lastlogintree, &lastlogins, &key)) == NULL) {
		if ((l = calloc(1, sizeof(*l))) == NULL)
			fatal("%s", __func__);
		(void)strlcpy(l->name, user, sizeof(l->name));
		RB_INSERT(lastlogintree, &lastlogins, l);
	} else if (now - l->when < conf->set.login_delay)
		return 1;
	l->when = now;
	return 0;
}

/*
 * Fork and exec path with fd as its POPD_CHANNEL_FD, conffd (or -1) as
 * its POPD_CONF_FD and nothing else open beyond stdio, as the ids of u
 * when given (a mail user).  The child's own prologue (proc.c) checks
 * those ids again.  A daemonized parent gives the child its log relay
 * for role as stderr.
 */
static pid_t
child_exec(const char *path, char **argv, int fd, int conffd,
    const struct userent *u, const char *role)
{
	/*
	 * The children's command lines are short (their configuration
	 * comes as messages), and setproctitle(3) on Linux writes over the
	 * argv and environment strings: room for "wrkrpop: <user>".
	 */
	char	*envp[] = { "PATH=/usr/bin:/bin", "TITLE="
	    "................................................................"
	    "................", NULL };
	pid_t	 pid;
	int	 saved, lfd;

	if ((pid = fork()) != 0)
		return pid;
	if (!debug && (lfd = logrelay_fd(role)) != -1 &&
	    dup2(lfd, STDERR_FILENO) == -1)
		_exit(1);
	if (proc_child_fds(fd, conffd) == -1)
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

/*
 * Fork+exec a supervised child with its channel on POPD_CHANNEL_FD.
 * Returns -1 (logged) when descriptors, memory or processes are short.
 */
static int
proc_start(enum proc_id id)
{
	struct proc	*p;
	const char	*name = proc_kinds[id].name;
	char		*argv[8];
	const char	*path;
	int		 sp[2], argc, i;
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("cannot start %s: socketpair", name);
		return -1;
	}
	if (id == KIND_LISTENER) {
		path = self_path;
		argc = child_argv(argv, "popd", "listener");
	} else {
		path = authpop_path;
		argc = child_argv(argv, "authpop", NULL);
	}
	argv[argc] = NULL;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (pid = child_exec(path, argv, sp[1], -1, NULL, name)) == -1) {
		log_warn("cannot start %s", name);
		free(p);
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	close(sp[1]);
	p->id = id;
	p->pid = pid;
	chan_init(&p->chan, sp[0], PROC_PARENT, proc_kinds[id].proc, PH_CONF,
	    proc_kinds[id].handlers, proc_kinds[id].nhandlers, proc_eof, p);
	p->chan.bad = proc_bad;
	chan_start(&p->chan);
	conf_send(&p->chan, conf, id == KIND_LISTENER ? PROC_LISTENER :
	    PROC_AUTHPOP);
	TAILQ_INSERT_TAIL(&procs, p, entry);
	current[id] = p;
	log_debug("started %s, pid %d", name, (int)pid);

	if (id == KIND_LISTENER) {
		struct msg_listen	 ml;
		int			 fd;

		for (i = 0; i < nlistens; i++) {
			/* chan_send closes what it passes: keep ours. */
			if ((fd = dup(listens[i].fd)) == -1) {
				/* It exits when it sees us close it. */
				log_warn("cannot start listener: dup");
				(void)kill(pid, SIGKILL);
				chan_close(&p->chan);
				return -1;
			}
			set_cloexec(fd);
			memset(&ml, 0, sizeof(ml));
			ml.flags = listens[i].flags;
			ml.pki = conf_pki_index(conf, listens[i].pki);
			chan_send(&p->chan, MSG_PARENT_LISTEN, fd, &ml,
			    sizeof(ml));
		}
	}
	return 0;
}

static void
proc_restart(int fd, short ev, void *arg)
{
	struct timeval	 tv = { 1, 0 };
	enum proc_id	 id = (enum proc_id)(intptr_t)arg;

	if (current[id] == NULL && proc_start(id) == -1)
		evtimer_add(&restart_ev[id], &tv);
}

static void
proc_eof(struct chan *c)
{
	log_debug("%s closed its channel", proc_str(c->peer));
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
	if (p->id == KIND_AUTHPOP)
		preauth_clear(p);
	TAILQ_REMOVE(&procs, p, entry);
	if (restart) {
		current[p->id] = NULL;
		evtimer_add(&restart_ev[p->id], &tv);
	}
	free(p);
}

/*
 * SIGHUP: read the configuration file (if there is one) and the tables
 * again and, if everything is good, start a new authpop and listener
 * (which load the tables and the certificates as root before confining
 * themselves).  The old ones drain: sessions in progress are not cut.
 * Anything wrong keeps the whole old configuration.
 */
static void
reload(void)
{
	struct popd_conf	*nconf;
	struct usertree		 nusers, nauth;
	struct proc		*old[KIND_MAX];
	int			 id, error;

	if (conffile != NULL) {
		if ((nconf = parse_config(conffile, 0)) == NULL) {
			log_warnx("reload: %s has errors, keeping the old "
			    "configuration", conffile);
			return;
		}
	} else
		nconf = conf;
	if ((error = conf_usable(nconf, &nusers, &nauth)) != 0) {
		if (error == -1)
			log_warnx("reload: keeping the old tables and "
			    "configuration");
		else
			log_warnx("reload: keeping the old certificate and "
			    "tables");
		if (nconf != conf)
			conf_free(nconf);
		return;
	}
	if (nconf != conf) {
		conf_changes(conf, nconf);
		conf_free(conf);
		conf = nconf;
	}
	table_free(&users);
	users = nusers;

	for (id = 0; id < KIND_MAX; id++) {
		old[id] = current[id];
		current[id] = NULL;
	}
	for (id = 0; id < KIND_MAX; id++) {
		if (proc_start(id) == -1) {
			log_warnx("reload: keeping the previous %s",
			    proc_kinds[id].name);
			current[id] = old[id];
			continue;
		}
		if (old[id] == NULL)
			continue;
		old[id]->draining = 1;
		chan_send(&old[id]->chan, MSG_PARENT_DRAIN, -1, NULL, 0);
	}
	/* Sessions that older authpops still serve use the new passwords. */
	passwd_changes(&authtab, &nauth, current[KIND_AUTHPOP] !=
	    old[KIND_AUTHPOP] ? current[KIND_AUTHPOP] : NULL);
	table_free(&authtab);
	authtab = nauth;
	log_info("reloaded %s%s%s and %s", conffile ? conffile : "",
	    conffile ? ", " : "", conf->set.authtab, conf->set.usertab);
}

/*
 * Tell every authpop but fresh, the one that read the new authtab,
 * about each user whose password the reload changed, added or removed,
 * so that no attempt after the reload checks a password it revoked.
 */
static void
passwd_changes(struct usertree *o, struct usertree *n,
    const struct proc *fresh)
{
	struct msg_passwd	 mp;
	struct userent		*a, *b;
	struct proc		*p;
	size_t			 count = 0;
	int			 pass;

	/* Pass 0: users of the old table; pass 1: users only in the new. */
	for (pass = 0; pass < 2; pass++) {
		RB_FOREACH(a, usertree, pass == 0 ? o : n) {
			b = table_lookup(pass == 0 ? n : o, a->name);
			if (pass == 1 && b != NULL)
				continue;
			if (pass == 0 && b != NULL &&
			    strcmp(a->hash, b->hash) == 0)
				continue;
			memset(&mp, 0, sizeof(mp));
			(void)strlcpy(mp.user, a->name, sizeof(mp.user));
			if (pass == 0 && b != NULL)
				(void)strlcpy(mp.hash, b->hash,
				    sizeof(mp.hash));
			else if (pass == 1)
				(void)strlcpy(mp.hash, a->hash,
				    sizeof(mp.hash));
			TAILQ_FOREACH(p, &procs, entry)
				if (p->id == KIND_AUTHPOP &&
				    p != fresh &&
				    p->chan.fd != -1)
					chan_send(&p->chan, MSG_PARENT_PASSWD,
					    -1, &mp, sizeof(mp));
			count++;
		}
	}
	explicit_bzero(&mp, sizeof(mp));
	if (count > 0)
		log_debug("reload: %zu passwords changed", count);
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
		    a->flags != b->flags)
			break;
	if (a != NULL || b != NULL)
		log_warnx("reload: the listen statements changed; popd keeps "
		    "listening where it did: restart it to apply them");
}

/*
 * A client is ready (after its TLS handshake, or at once on a plaintext
 * port): hand the session to the current authpop, with our own id.
 */
static void
parent_listener_session(struct chan *c, const void *data, int fd)
{
	const struct msg_newsession	*mn = data;
	struct msg_session		 ms;
	struct preauth			*pa;
	struct client			*cl;
	struct stat			 st;
	struct proc			*auth = current[KIND_AUTHPOP];
	char				 addr[PEER_STRLEN];

	if (fd == -1)
		return;		/* lost to our shortage, logged */
	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode)) {
		chan_bad(c, "listener passed a non-socket");
		close(fd);
		return;
	}
	(void)peer_str(&mn->peer, addr, sizeof(addr));
	memset(&ms, 0, sizeof(ms));
	/*
	 * Plaintext passwords: from a trusted network, or through a proxy
	 * said to be trusted (it terminated TLS, proxy ... trusted).
	 */
	ms.flags = mn->flags & ~SESSION_PROXYTRUST;
	if (!(mn->flags & SESSION_TLS) && (is_trusted(&mn->peer) ||
	    (mn->flags & SESSION_PROXYTRUST)))
		ms.flags |= SESSION_TRUSTED;
	ms.peer = mn->peer;
	if (auth == NULL || auth->chan.fd == -1) {
		log_rate(&rate_busy, "session from %s refused: authpop is "
		    "restarting", addr);
		session_refuse(fd, BUSY);
		return;
	}
	if (npreauth >= (size_t)conf->set.limit.sessions) {
		log_rate(&rate_busy, "session from %s refused: %zu sessions "
		    "before login (limit sessions)", addr, npreauth);
		session_refuse(fd, BUSY);
		return;
	}
	if (auth->chan.outfds >= fd_budget) {
		log_rate(&rate_busy, "session from %s refused: authpop is not "
		    "taking sessions, %zu wait", addr, auth->chan.outfds);
		session_refuse(fd, BUSY);
		return;
	}
	if ((cl = client_get(&mn->peer)) == NULL) {
		session_refuse(fd, BUSY);
		return;
	}
	if (cl->prelogin >= (unsigned int)conf->set.per_address.sessions) {
		log_rate(&rate_prelogin, "session from %s refused: %u sessions "
		    "before login from that address (limit per-address "
		    "sessions)", addr, cl->prelogin);
		client_put(cl);
		session_refuse(fd, BUSY_ADDR);
		return;
	}
	if ((pa = calloc(1, sizeof(*pa))) == NULL) {
		log_warn("session from %s", addr);
		client_put(cl);
		session_refuse(fd, BUSY);
		return;
	}
	pa->client = cl;
	cl->prelogin++;
	pa->id = ms.id = next_id++;
	pa->owner = auth;
	pa->lpid = ((struct proc *)c->arg)->pid;
	pa->lid = mn->lid;
	pa->flags = ms.flags;
	pa->peer = mn->peer;
	(void)strlcpy(pa->addr, addr, sizeof(pa->addr));
	(void)strlcpy(pa->tls, mn->tls, sizeof(pa->tls));
	pa->dev = st.st_dev;
	pa->ino = st.st_ino;
	RB_INSERT(preauthtree, &preauths, pa);
	npreauth++;
	chan_send(&auth->chan, MSG_PARENT_SESSION, fd, &ms, sizeof(ms));
}

/*
 * A good password.  Only for a session we handed out and that has not
 * logged in yet, and only with its own socket: a compromised authpop can
 * at most name an existing user for its own session.
 */
static void
parent_authpop_login(struct chan *c, const void *data, int fd)
{
	const struct msg_login	*ml = data;
	struct msg_refused	 mr;
	struct preauth		*pa;
	struct stat		 st;

	if ((pa = preauth_take(c->arg, ml->id)) == NULL) {
		chan_bad(c, "authpop logged in unknown session %llu",
		    (unsigned long long)ml->id);
		goto bad;
	}
	if (fd == -1) {
		/* Lost to our own shortage of descriptors (logged). */
		memset(&mr, 0, sizeof(mr));
		mr.id = ml->id;
		mr.code = REFUSED_TEMP;
		chan_send(c, MSG_PARENT_REFUSED, -1, &mr, sizeof(mr));
		preauth_free(pa);
		return;
	}
	if (fstat(fd, &st) == -1 || st.st_dev != pa->dev ||
	    st.st_ino != pa->ino) {
		preauth_free(pa);
		chan_bad(c, "authpop passed another socket for session %llu",
		    (unsigned long long)ml->id);
		goto bad;
	}
	spawn_worker(c, ml, pa, fd);
	preauth_free(pa);
	return;
 bad:
	if (fd != -1)
		close(fd);
}

/* A session authpop closed may be unknown to us already. */
static void
parent_authpop_closed(struct chan *c, const void *data, int fd)
{
	const struct msg_id	*mi = data;

	preauth_free(preauth_take(c->arg, mi->id));
}

/*
 * STLS: the session ends here for authpop; the listener starts TLS and
 * hands over a new one.
 */
static void
parent_authpop_stls(struct chan *c, const void *data, int fd)
{
	const struct msg_id	*mi = data;
	struct preauth		*pa;

	pa = preauth_take(c->arg, mi->id);
	if (pa == NULL || !(pa->flags & SESSION_STLS)) {
		preauth_free(pa);
		chan_bad(c, "%s for session %llu, not a plaintext session of "
		    "this authpop", msg_type_str(MSG_AUTHPOP_STLS),
		    (unsigned long long)mi->id);
		return;
	}
	starttls(pa);
	preauth_free(pa);
}

/*
 * The only place that creates a process with a mail user's ids: the ids
 * and path come from our own usertab, never from authpop.
 */
static void
spawn_worker(struct chan *auth, const struct msg_login *ml,
    const struct preauth *pa, int fd)
{
	struct userent		*u;
	struct msg_refused	 mr;
	struct msg_id		 mi;
	char			 maildir[PATH_MAX];
	char			*argv[8];
	int			 argc, conffd;
	pid_t			 pid;

	memset(&mr, 0, sizeof(mr));
	mr.id = ml->id;
	if ((u = table_lookup(&users, ml->user)) == NULL) {
		log_warnx("login of \"%s\" refused: not in %s", ml->user,
		    conf->set.usertab);
		close(fd);
		mr.code = REFUSED_PERM;
		chan_send(auth, MSG_PARENT_REFUSED, -1, &mr, sizeof(mr));
		return;
	}
	if (pa->client->loggedin >=
	    (unsigned int)conf->set.per_address.logged_in ||
	    nworkers >= (size_t)conf->set.limit.logged_in) {
		if (nworkers >= (size_t)conf->set.limit.logged_in) {
			log_rate(&rate_loggedin, "login of \"%s\" from %s "
			    "refused: %zu sessions logged in (limit "
			    "logged-in)", u->name, pa->addr, nworkers);
			mr.code = REFUSED_BUSY;
		} else {
			log_rate(&rate_loggedin, "login of \"%s\" from %s "
			    "refused: %u sessions logged in from that "
			    "address (limit per-address logged-in)", u->name,
			    pa->addr, pa->client->loggedin);
			mr.code = REFUSED_BUSY_ADDR;
		}
		close(fd);
		chan_send(auth, MSG_PARENT_REFUSED, -1, &mr, sizeof(mr));
		return;
	}
	if (login_too_soon(u->name)) {
		log_info("login of \"%s\" refused: within the login-delay of "
		    "%d seconds", u->name, conf->set.login_delay);
		close(fd);
		mr.code = REFUSED_DELAY;
		chan_send(auth, MSG_PARENT_REFUSED, -1, &mr, sizeof(mr));
		return;
	}
	if (maildir_path(maildir, sizeof(maildir), u->path,
	    conf->set.maildir) == -1) {
		log_warnx("login of \"%s\" refused: maildir path too long",
		    u->name);
		close(fd);
		mr.code = REFUSED_PERM;
		chan_send(auth, MSG_PARENT_REFUSED, -1, &mr, sizeof(mr));
		return;
	}

	argc = child_argv(argv, "wrkrpop", NULL);
	argv[argc] = NULL;
	if ((conffd = worker_conf(u->name, maildir, pa)) == -1 ||
	    (pid = child_exec(wrkrpop_path, argv, fd, conffd, u,
	    "wrkrpop")) == -1) {
		log_warn("wrkrpop for %s", u->name);
		if (conffd != -1)
			close(conffd);
		close(fd);
		mr.code = REFUSED_TEMP;
		chan_send(auth, MSG_PARENT_REFUSED, -1, &mr, sizeof(mr));
		return;
	}
	close(conffd);
	close(fd);
	worker_add(pid, pa->client);
	log_debug("wrkrpop for %s: pid %d, uid %u gid %u, %s", u->name,
	    (int)pid, (unsigned)u->uid, (unsigned)u->gid, maildir);
	mi.id = ml->id;
	chan_send(auth, MSG_PARENT_SPAWNED, -1, &mi, sizeof(mi));
}

/*
 * A wrkrpop's configuration, on a channel of its own that is done with
 * once it has read it: the settings and its session.  Returns the
 * child's end (to become its POPD_CONF_FD), or -1.
 */
static int
worker_conf(const char *user, const char *maildir, const struct preauth *pa)
{
	struct chan		 wc;
	struct msg_worker	 mw;
	int			 sp[2], ok;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
		return -1;
	memset(&mw, 0, sizeof(mw));
	(void)strlcpy(mw.user, user, sizeof(mw.user));
	(void)strlcpy(mw.maildir, maildir, sizeof(mw.maildir));
	mw.peer = pa->peer;
	(void)strlcpy(mw.tls, pa->tls, sizeof(mw.tls));
	chan_init(&wc, sp[0], PROC_PARENT, PROC_WRKRPOP, PH_CONF, NULL, 0,
	    NULL, NULL);
	conf_send(&wc, conf, PROC_WRKRPOP);
	chan_send(&wc, MSG_PARENT_WORKER, -1, &mw, sizeof(mw));
	/* An empty socket takes both at once: nothing may wait. */
	ok = TAILQ_EMPTY(&wc.outq);
	chan_close(&wc);
	if (!ok) {
		close(sp[1]);
		errno = ENOBUFS;
		return -1;
	}
	return sp[1];
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
	preauth_remove(pa);
	return pa;
}

/* Out of the table: the client has one session before login less. */
static void
preauth_remove(struct preauth *pa)
{
	RB_REMOVE(preauthtree, &preauths, pa);
	npreauth--;
	pa->client->prelogin--;
}

/* A pre-login session taken out (preauth_take) is done with. */
static void
preauth_free(struct preauth *pa)
{
	if (pa == NULL)
		return;
	client_put(pa->client);
	free(pa);
}

static int
client_cmp(struct client *a, struct client *b)
{
	return addrkey_cmp(&a->key, &b->key);
}

static int
worker_cmp(struct worker *a, struct worker *b)
{
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

/*
 * The client that a session address counts against, created if new (it
 * stays while the caller holds a count on it), or NULL with no memory.
 */
static struct client *
client_get(const struct peeraddr *peer)
{
	struct client	 key, *cl;

	addr_key(peer, conf->set.per_address.ipv4_prefix,
	    conf->set.per_address.ipv6_prefix, &key.key);
	if ((cl = RB_FIND(clienttree, &clients, &key)) != NULL)
		return cl;
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	cl->key = key.key;
	RB_INSERT(clienttree, &clients, cl);
	return cl;
}

/* Forget a client that has no session left. */
static void
client_put(struct client *cl)
{
	if (cl == NULL || cl->prelogin > 0 || cl->loggedin > 0)
		return;
	RB_REMOVE(clienttree, &clients, cl);
	free(cl);
}

static void
worker_add(pid_t pid, struct client *cl)
{
	struct worker	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("%s", __func__);
	w->pid = pid;
	w->client = cl;
	cl->loggedin++;
	RB_INSERT(workertree, &workers, w);
	nworkers++;
}

/* A wrkrpop was reaped: its client has one session less. */
static void
worker_gone(pid_t pid)
{
	struct worker	 key, *w;

	key.pid = pid;
	if ((w = RB_FIND(workertree, &workers, &key)) == NULL)
		return;
	RB_REMOVE(workertree, &workers, w);
	nworkers--;
	w->client->loggedin--;
	client_put(w->client);
	free(w);
}

/*
 * A canned reply and a close: nothing from the client is read.  Never
 * wait: the listener may have filled the socket.
 */
static void
session_refuse(int fd, const char *reply)
{
	(void)send(fd, reply, strlen(reply), MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

/* Ask the listener that relays a session to start TLS on it. */
static void
starttls(const struct preauth *pa)
{
	struct proc	*p;
	struct msg_lid	 ml;

	TAILQ_FOREACH(p, &procs, entry)
		if (p->id == KIND_LISTENER && p->pid == pa->lpid)
			break;
	if (p == NULL || p->chan.fd == -1) {
		log_debug("STLS for session %llu: its listener is gone",
		    (unsigned long long)pa->id);
		return;
	}
	memset(&ml, 0, sizeof(ml));
	ml.lid = pa->lid;
	chan_send(&p->chan, MSG_PARENT_STARTTLS, -1, &ml, sizeof(ml));
}

/* The sessions of an authpop that died are gone with it. */
static void
preauth_clear(struct proc *owner)
{
	struct preauth	*pa, *next;

	RB_FOREACH_SAFE(pa, preauthtree, &preauths, next) {
		if (pa->owner != owner)
			continue;
		preauth_remove(pa);
		preauth_free(pa);
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
			worker_gone(pid);
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
