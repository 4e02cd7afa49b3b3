/*
 * authpop.c -- the AUTHORIZATION state of every POP3 session (RFC 1939
 * section 4): CAPA, USER/PASS, AUTH PLAIN, QUIT.  Passwords are checked
 * against authtab by a pool of worker threads (check.c) so that bcrypt
 * never stalls the other sessions, in an order and at times that
 * host.c decides per client address.  After a good password the session
 * socket goes to the parent, which starts a wrkrpop for the user.
 *
 * Peers (what the parent may send is in from_parent[] below):
 *	parent		fd 3 (POPD_CHANNEL_FD)	PARENT_SESSION, PARENT_SPAWNED,
 *			PARENT_REFUSED, PARENT_DRAIN, popctl's
 *			PARENT_PENALTIES, _UNPENALIZE in; AUTHPOP_LOGIN,
 *			AUTHPOP_CLOSED, AUTHPOP_STLS, popctl's answers out
 *	sessions	one SOCK_STREAM socketpair end each, plaintext POP3
 *			(the listener holds the other end and does the TLS)
 *
 * authpop reads each session socket one line at a time (recv MSG_PEEK up
 * to the LF, then recv exactly that line), so commands a client pipelines
 * after PASS stay in the socket for wrkrpop.  authpop never answers a
 * successful PASS: wrkrpop does, once the maildrop is locked.
 *
 * Everything in this file runs in the event loop's thread.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "addr.h"
#include "chan.h"
#include "pop3.h"
#include "table.h"
#include "proc.h"
#include "sandbox.h"
#include "stats.h"
#include "authpop.h"

#define AUTH_PEEK		1024	/* bytes looked at per recv */
#define AUTH_MAXLINE		POP3_SASL_MAXLINE /* RFC 5034 responses */
#define AUTH_OUTMAX		4096	/* stop reading while this is unsent */
#define AUTH_BURST		16	/* lines per read event, for fairness */
#define AUTH_MAXTHREADS		64
#define LOAD_HALF		60.0	/* seconds: a slowdown forgotten by half */

RB_HEAD(sesstree, session);

/* The configuration, from the parent (MSG_PARENT_CONF). */
struct conf_settings	set;

static int	session_cmp(struct session *, struct session *);
RB_PROTOTYPE_STATIC(sesstree, session, entry, session_cmp)
RB_GENERATE_STATIC(sesstree, session, entry, session_cmp)

static void		authpop_load(struct proc_setup *);
static void		authpop_run(void);
static void		authpop_parent_session(struct chan *, const void *,
			    int);
static void		authpop_parent_drain(struct chan *, const void *, int);
static void		authpop_parent_spawned(struct chan *, const void *,
			    int);
static void		authpop_parent_refused(struct chan *, const void *,
			    int);
static const char	*user_hash(const char *);
static void		authpop_parent_passwd(struct chan *, const void *,
			    int);
static void		authpop_parent_cred(struct chan *, const void *, int);
static void		authpop_parent_route(struct chan *, const void *, int);
static void		authpop_parent_listen(struct chan *, const void *, int);
static void		authpop_parent_proxy(struct chan *, const void *, int);
static void		authpop_parent_penalties(struct chan *, const void *,
			    int);
static void		authpop_parent_unpenalize(struct chan *, const void *,
			    int);
static void		auth_enqueue(struct session *);
static void		authpop_parent_penalty(struct chan *, const void *,
			    int);
static void		drained(int, short, void *);
static struct session	*handed_over(uint64_t, uint32_t);
static void		authpop_parent_eof(struct chan *);
static void		authpop_open(void *);
static void		authpop_sandbox(void *);
static void		session_new(const struct msg_session *, int);
static struct session	*session_find(uint64_t);
static void		session_read(int, short, void *);
static void		session_write(int, short, void *);
static void		session_timeout(int, short, void *);
static void		session_timer(struct session *, int);
static void		session_reply(struct session *, const char *, ...)
			    __attribute__((__format__ (printf, 2, 3)));
static void		session_line(struct session *, char *, size_t);
static int		plaintext_refused(struct session *);
static void		cmd_capa(struct session *, struct pop3_line *);
static void		cmd_user(struct session *, struct pop3_line *);
static void		cmd_pass(struct session *, struct pop3_line *);
static void		cmd_auth(struct session *, struct pop3_line *);
static void		cmd_quit(struct session *, struct pop3_line *);
static void		cmd_stls(struct session *, struct pop3_line *);
static void		cmd_apop(struct session *, struct pop3_line *);
static void		cmd_unknown(struct session *, struct pop3_line *);
static void		session_sasl(struct session *, const char *);
static void		session_handoff(struct session *);
static void		session_stls(struct session *);
static void		stls_discard(struct session *);
static int		plaintext_ok(struct session *);
static void		bad_command(struct session *, const char *, ...)
			    __attribute__((__format__ (printf, 2, 3)));
static const char	*logname(const char *);
static void		auth_result(struct session *, struct job *);
static void		login_ok(struct session *, double, const char *);
static void		session_deadline(struct session *);
static double		failure_floor(double, double, double);
static void		fail_reply(struct session *);

/*
 * What authpop does with each message the parent sends it (proto.c
 * declares them; msg.c checks each one before its handler runs).
 */
static const struct msg_handler from_parent[] = {
	{ MSG_PARENT_CONF,	proc_parent_conf },
	{ MSG_PARENT_CONF_END,	proc_parent_conf_end },
	{ MSG_PARENT_SESSION,	authpop_parent_session },
	{ MSG_PARENT_SPAWNED,	authpop_parent_spawned },
	{ MSG_PARENT_REFUSED,	authpop_parent_refused },
	{ MSG_PARENT_DRAIN,	authpop_parent_drain },
	{ MSG_PARENT_PASSWD,	authpop_parent_passwd },
	{ MSG_PARENT_PENALTY,	authpop_parent_penalty },
	{ MSG_PARENT_CRED,	authpop_parent_cred },
	{ MSG_PARENT_ROUTE,	authpop_parent_route },
	{ MSG_PARENT_LISTEN,	authpop_parent_listen },
	{ MSG_PARENT_CONF_PROXY, authpop_parent_proxy },
	{ MSG_PARENT_STATS,	proc_parent_stats },
	{ MSG_PARENT_PENALTIES,	authpop_parent_penalties },
	{ MSG_PARENT_UNPENALIZE, authpop_parent_unpenalize },
	{ MSG_PARENT_VERBOSE,	proc_parent_verbose },
};

/*
 * The commands of the AUTHORIZATION state; any other known one gets
 * "not valid before login".
 */
static const struct {
	enum pop3_cmd	 cmd;
	void		(*fn)(struct session *, struct pop3_line *);
} commands[] = {
	{ CMD_CAPA,	cmd_capa },
	{ CMD_USER,	cmd_user },
	{ CMD_PASS,	cmd_pass },
	{ CMD_AUTH,	cmd_auth },
	{ CMD_QUIT,	cmd_quit },
	{ CMD_STLS,	cmd_stls },
	{ CMD_APOP,	cmd_apop },
	{ CMD_UNKNOWN,	cmd_unknown },
};

/*
 * A password a reload changed (hash "": removed), told by the parent
 * while a newer authpop loads or serves: it counts before authtab's.
 */
struct pwchange {
	RB_ENTRY(pwchange)	 entry;
	char			 user[POPD_MAXUSER + 1];
	char			 hash[COMPAT_HASH_MAX + 1];
};
RB_HEAD(pwchanges, pwchange);
static int	pwchange_cmp(struct pwchange *, struct pwchange *);
RB_PROTOTYPE_STATIC(pwchanges, pwchange, entry, pwchange_cmp)
RB_GENERATE_STATIC(pwchanges, pwchange, entry, pwchange_cmp)

static struct chan	 parent;
static struct table	 authtab;
static struct pwchanges	 changed = RB_INITIALIZER(&changed);
static struct sesstree	 sessions = RB_INITIALIZER(&sessions);
static size_t		 nsessions;
static int		 draining;	/* a newer authpop took over */
static double		 fail_floor;	/* no failure reply sooner: seconds */
static double		 slowest;	/* the slowest check at start */
static double		 load, load_at;	/* how much slower checks run now */

static int
session_cmp(struct session *a, struct session *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

static const struct proc_role authpop_role = {
	.setup = {
		.role = "authpop",
		.title = "pre-login",
		.user = POPD_AUTH_USER,
		.chroot = 1,
		.nofile = 1,		/* one descriptor per session */
		.nohup = 1,
		.open = authpop_open,
		.sandbox = authpop_sandbox,
	},
	.self = PROC_AUTHPOP,
	.chan = &parent,
	.setupfd = POPD_CHANNEL_FD,
	.usage = "usage: authpop [-dv]\n"
	    "authpop is started by popd, which sends it its configuration "
	    "on its channel",
	.handlers = from_parent,
	.nhandlers = nitems(from_parent),
	.settings = &set,
	.eof = authpop_parent_eof,
	.load = authpop_load,
	.run = authpop_run,
};

int
main(int argc, char *argv[])
{
	proc_run(&authpop_role, argc, argv);
}

/*
 * Configured: authtab and the ticket key are read, and the checks
 * timed, as root before the prologue.  The parent has checked authtab
 * against usertab already: errors are rare.  The parent keeps usertab:
 * a user it does not know is refused there.  The system's accounts come
 * as a file of no name on POPD_CONF_FD; a database table is asked
 * through the parent for each login (MSG_AUTHPOP_LOOKUP).
 */
static void
authpop_load(struct proc_setup *ps)
{
	char	sysauth[32];

	if (set.authsrc == TABSRC_SYSTEM) {
		(void)snprintf(sysauth, sizeof(sysauth), "/dev/fd/%d",
		    POPD_CONF_FD);
		if (table_load(sysauth, TABLE_AUTH, NULL, NULL, &authtab) == -1)
			exit(1);
		close(POPD_CONF_FD);
	} else if (set.authsrc == TABSRC_FILE &&
	    table_load(set.authtab, TABLE_AUTH, NULL, NULL, &authtab) == -1)
		exit(1);

	if (set.ticket_key[0] != '\0' && ticket_init(set.ticket_key) == -1)
		exit(1);

	/* Before the chroot: these read /dev/urandom and /sys. */
	dummy_init(&authtab);
	slowest = slowest_check(&authtab);
	fail_floor = 2 * slowest + 0.05;
	log_debug("failure replies after %.3f s at least", fail_floor);
	nworkers = sysconf(_SC_NPROCESSORS_ONLN);
	if (nworkers < 2)
		nworkers = 2;
	if (nworkers > AUTH_MAXTHREADS)
		nworkers = AUTH_MAXTHREADS;
}

static void
authpop_run(void)
{
	/*
	 * Threads only after the sandbox: they inherit the seccomp filter
	 * and the Landlock domain of their creator, but Landlock (before
	 * ABI 8) does not reach threads that already exist.  The filter
	 * allows clone(2) with CLONE_THREAD for this.
	 */
	workers_start();

	/* A reload's password changes before any line read with them. */
	chan_priority(&parent, 0);
	chan_start(&parent);
	/* After a reload, our predecessor serves until it reads this. */
	chan_send(&parent, MSG_AUTHPOP_READY, -1, NULL, 0);
	log_debug("ready");
	if (event_dispatch() == -1)
		fatal("event_dispatch");
	fatalx("event loop ended");
}

/* The event loop and the workers' way back into it. */
static void
authpop_open(void *arg)
{
	event_init();
	if (event_priority_init(2) == -1)
		fatalx("event_priority_init");
	jobs_init();
	host_init();
	evtimer_set(&kick_ev, jobs_kicked, NULL);
}

static void
authpop_sandbox(void *arg)
{
	/* auth_http sockets come with a route (conf_check). */
	sandbox_authpop(set.route[0] != '\0');
}

static void
authpop_parent_eof(struct chan *c)
{
	log_debug("parent closed the channel: exiting");
	exit(0);
}

/* A new session from the parent, with its socket. */
static void
authpop_parent_session(struct chan *c, const void *data, int fd)
{
	const struct msg_session	*ms = data;
	struct msg_id			 mi;

	if (fd == -1) {
		/* Lost to our shortage of descriptors (logged): let go. */
		memset(&mi, 0, sizeof(mi));
		mi.id = ms->id;
		chan_send(&parent, MSG_AUTHPOP_CLOSED, -1, &mi, sizeof(mi));
		return;
	}
	if (session_find(ms->id) != NULL)
		fatalx("%s from parent: session %s%llu exists",
		    msg_type_str(MSG_PARENT_SESSION),
		    SIDP(ms->id));
	session_new(ms, fd);
}

/*
 * A reload changed, added or removed a user's password: the sessions
 * this (draining) authpop still has check against the new one from now.
 */
static void
authpop_parent_passwd(struct chan *c, const void *data, int fd)
{
	const struct msg_passwd	*mp = data;
	struct pwchange		 k, *pc;

	memset(&k, 0, sizeof(k));
	(void)strlcpy(k.user, mp->user, sizeof(k.user));
	if ((pc = RB_FIND(pwchanges, &changed, &k)) == NULL) {
		if ((pc = calloc(1, sizeof(*pc))) == NULL)
			fatal("%s", __func__);
		*pc = k;
		RB_INSERT(pwchanges, &changed, pc);
	}
	(void)strlcpy(pc->hash, mp->hash, sizeof(pc->hash));
	log_debug("password of %s %s", logname(mp->user),
	    mp->hash[0] == '\0' ? "removed" : "changed");
}

static int
pwchange_cmp(struct pwchange *a, struct pwchange *b)
{
	return strcmp(a->user, b->user);
}

/* The hash of user: a reload's change, else authtab's; NULL if none. */
static const char *
user_hash(const char *user)
{
	struct pwchange	 k, *pc;

	if (!RB_EMPTY(&changed) &&
	    strlcpy(k.user, user, sizeof(k.user)) < sizeof(k.user) &&
	    (pc = RB_FIND(pwchanges, &changed, &k)) != NULL)
		return pc->hash[0] == '\0' ? NULL : pc->hash;
	return table_get(&authtab, user);
}

/* After a reload: finish these sessions, then leave. */
static void
authpop_parent_drain(struct chan *c, const void *data, int fd)
{
	draining = 1;
	setproctitle("draining");
	http_stop();
	host_export(c);
	if (nsessions == 0)
		drained(-1, 0, NULL);
}

/* Exit once what host_export queued is sent (at most a few seconds). */
static void
drained(int fd, short ev, void *arg)
{
	static struct event	 ev_drained;
	static int		 tries;

	if (TAILQ_EMPTY(&parent.outq) || parent.fd == -1 || tries++ > 300)
		exit(0);
	if (tries == 1)
		evtimer_set(&ev_drained, drained, NULL);
	timer_in(&ev_drained, 0.01);
}

/* Our predecessor's failures and familiar users (host.c). */
static void
authpop_parent_penalty(struct chan *c, const void *data, int fd)
{
	host_import(data);
}

/* popctl's show penalties (host.c). */
static void
authpop_parent_penalties(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlq	*q = data;

	host_list(c, q->req);
}

/* popctl's unpenalize: the network's failures are forgotten. */
static void
authpop_parent_unpenalize(struct chan *c, const void *data, int fd)
{
	const struct msg_net	*mn = data;
	struct msg_count	 m;

	memset(&m, 0, sizeof(m));
	m.req = mn->req;
	m.n = host_forget(&mn->net);
	chan_send(c, MSG_AUTHPOP_UNPENALIZED, -1, &m, sizeof(m));
	/* Checks that waited out a delay may start now. */
	jobs_kick();
}

/*
 * The session handed over at login, for an answer from the parent; NULL
 * (logged) if it has gone meanwhile, fatal if it never logged in.
 */
static struct session *
handed_over(uint64_t id, uint32_t type)
{
	struct session	*s;

	if ((s = session_find(id)) == NULL) {
		log_debug("session %s%llu: %s for a closed session",
		    SIDP(id), msg_type_str(type));
		return NULL;
	}
	if (s->state != S_HANDOFF)
		fatalx("%s from parent for session %s%llu, which has "
		    "not logged in", msg_type_str(type),
		    SIDP(id));
	return s;
}

/* wrkrpop owns the socket now and answers the PASS. */
static void
authpop_parent_spawned(struct chan *c, const void *data, int fd)
{
	const struct msg_id	*mi = data;
	struct session		*s;

	if ((s = handed_over(mi->id, MSG_PARENT_SPAWNED)) == NULL)
		return;
	log_debug("session %s%llu: handed to wrkrpop", SIDP(s->id));
	session_close(s, 0);
}

/* No wrkrpop for a good password: say why, then close. */
static void
authpop_parent_refused(struct chan *c, const void *data, int fd)
{
	const struct msg_refused	*mr = data;
	struct session			*s;

	if ((s = handed_over(mr->id, MSG_PARENT_REFUSED)) == NULL)
		return;
	if (mr->code == REFUSED_TEMP)
		session_reply(s, "-ERR [SYS/TEMP] cannot open the maildrop now, "
		    "try again later");
	else if (mr->code == REFUSED_DELAY)
		session_reply(s, "-ERR [LOGIN-DELAY] logins are at least %d "
		    "seconds apart, try again later", set.login_delay);
	else if (mr->code == REFUSED_BUSY_ADDR)
		session_reply(s, "-ERR [SYS/TEMP] too many sessions from your "
		    "address, try again later");
	else if (mr->code == REFUSED_BUSY)
		session_reply(s, "-ERR [SYS/TEMP] too many sessions, try again "
		    "later");
	else if (mr->code == REFUSED_TICKET)
		session_reply(s, "-ERR [AUTH] invalid user name or password");
	else
		session_reply(s, "-ERR [SYS/PERM] no maildrop for this user, "
		    "contact the administrator");
	s->state = S_CLOSING;
	session_timer(s, AUTH_CLOSE_TIMEOUT);
	session_update(s);
}

static struct session *
session_find(uint64_t id)
{
	struct session	key;

	key.id = id;
	return RB_FIND(sesstree, &sessions, &key);
}

static void
session_new(const struct msg_session *ms, int fd)
{
	struct session	*s;
	struct msg_id	 mi;
	int		 type;
	socklen_t	 len = sizeof(type);

	/* The parent passes only stream socketpair ends. */
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_STREAM)
		fatalx("%s from parent: not a stream socket",
		    msg_type_str(MSG_PARENT_SESSION));

	if ((s = session_alloc(ms->id, fd, ms->flags, &ms->peer)) == NULL) {
		memset(&mi, 0, sizeof(mi));
		mi.id = ms->id;
		chan_send(&parent, MSG_AUTHPOP_CLOSED, -1, &mi, sizeof(mi));
		return;
	}
	s->local = ms->local;
	if (set_nonblock(fd) == -1) {
		log_warn("session %s%llu: set_nonblock",
		    SIDP(s->id));
		session_close(s, 1);
		return;
	}
	log_debug("session %s%llu: from %s%s%s (%zu open)",
	    SIDP(s->id), s->addr,
	    (s->flags & SESSION_TLS) ? ", tls" : "",
	    (s->flags & SESSION_TRUSTED) ? ", trusted" : "", nsessions);
	/* No APOP timestamp: APOP is not offered.  After STLS, no new one. */
	if (!(s->flags & SESSION_RESUMED))
		session_reply(s, "+OK popd ready");
	session_deadline(s);
	session_update(s);
}

/*
 * A session in S_CMD on socket fd, with its events and timer set but not
 * added; NULL (logged, fd closed) without memory.  POP3 sessions come
 * from the parent (session_new), auth_http ones from nginx (nginx.c).
 */
struct session *
session_alloc(uint64_t id, int fd, uint32_t flags,
    const struct peeraddr *peer)
{
	struct session	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->out = evbuffer_new()) == NULL) {
		log_warn("session %s%llu", SIDP(id));
		free(s);
		close(fd);
		return NULL;
	}
	s->id = id;
	s->fd = fd;
	s->flags = flags;
	s->peer = *peer;
	(void)peer_str(&s->peer, s->addr, sizeof(s->addr));
	s->host = host_get(&s->peer);
	s->deadline = now() + set.timeout.login;
	s->state = S_CMD;
	event_set(&s->rev, fd, EV_READ | EV_PERSIST, session_read, s);
	event_set(&s->wev, fd, EV_WRITE | EV_PERSIST, session_write, s);
	evtimer_set(&s->tmo, session_timeout, s);
	RB_INSERT(sesstree, &sessions, s);
	nsessions++;
	trim_after_spike(nsessions);
	return s;
}

/* A message to the parent, for nginx.c. */
void
auth_parent_send(uint32_t type, const void *data, size_t len)
{
	chan_send(&parent, type, -1, data, len);
}

/* The timer at the end of timeout login, which nothing extends. */
static void
session_deadline(struct session *s)
{
	timer_in(&s->tmo, s->deadline - now());
}

/* Fire ev in secs seconds (at once if secs is not positive). */
void
timer_in(struct event *ev, double secs)
{
	struct timeval	tv = { 0, 0 };

	if (secs > 0) {
		tv.tv_sec = (time_t)secs;
		tv.tv_usec = (suseconds_t)((secs - tv.tv_sec) * 1e6);
	}
	if (evtimer_add(ev, &tv) == -1)
		fatal("evtimer_add");
}

/* (Re)arm the session's one timer. */
static void
session_timer(struct session *s, int secs)
{
	struct timeval	tv = { secs, 0 };

	if (evtimer_add(&s->tmo, &tv) == -1)
		fatal("evtimer_add");
}

static void
session_reply(struct session *s, const char *fmt, ...)
{
	va_list	ap;
	int	r;

	va_start(ap, fmt);
	r = evbuffer_add_vprintf(s->out, fmt, ap);
	va_end(ap);
	if (r == -1 || evbuffer_add(s->out, "\r\n", 2) == -1)
		fatal("evbuffer_add");
}

/*
 * Bring the session's events in line with its state.  This may close
 * the session or hand it off, so callers must not touch s afterwards.
 */
void
session_update(struct session *s)
{
	size_t	pending = evbuffer_get_length(s->out);
	int	want_read, want_write;

	want_read = (s->state == S_CMD && pending < AUTH_OUTMAX) ||
	    s->state == S_STLS;
	want_write = pending > 0;
	if (want_read != s->reading) {
		if ((want_read ? event_add(&s->rev, NULL) :
		    event_del(&s->rev)) == -1)
			fatal("event_add/del");
		s->reading = want_read;
	}
	if (want_write != s->writing) {
		if ((want_write ? event_add(&s->wev, NULL) :
		    event_del(&s->wev)) == -1)
			fatal("event_add/del");
		s->writing = want_write;
	}
	if (pending == 0) {
		if (s->state == S_CLOSING)
			session_close(s, 1);
		else if (s->state == S_DRAIN)
			session_handoff(s);
		else if (s->state == S_STLS_DRAIN)
			session_stls(s);
	}
}

static void
session_write(int fd, short ev, void *arg)
{
	struct session	*s = arg;

	if (evbuffer_write(s->out, s->fd) == -1 && errno != EAGAIN &&
	    errno != EWOULDBLOCK && errno != EINTR) {
		log_debug("session %s%llu: write: %s",
		    SIDP(s->id), strerror(errno));
		session_close(s, 1);
		return;
	}
	session_update(s);
}

static void
session_timeout(int fd, short ev, void *arg)
{
	struct session	*s = arg;

	switch (s->state) {
	case S_DELAY:
		fail_reply(s);
		session_update(s);
		break;
	case S_LOOKUP:
		/* The parent's answer, if it comes, finds no one. */
		freezero(s->job, sizeof(*s->job));
		s->job = NULL;
		goto timedout;
	case S_ROUTE:
		/* The route's answer, if it comes, finds no one. */
		log_warnx("session %s%llu: %s: no answer from route <%s> "
		    "within %d s", SIDP(s->id), s->addr,
		    set.route, set.timeout.login);
		http_temp(s);
		session_update(s);
		break;
	case S_CHECK:
		if (s->job == NULL) {
			/* A worker has it: the result comes, then this. */
			return;
		}
		host_dequeue(s);
		freezero(s->job, sizeof(*s->job));
		s->job = NULL;
		/* FALLTHROUGH */
	case S_CMD:
 timedout:
		if (s->http) {
			/* nginx has given up (auth_http_timeout) or stalls. */
			log_info("session %s%llu: auth-http: no answer within "
			    "the time, closing", SIDP(s->id));
			session_close(s, 0);
			break;
		}
		log_info("session %s%llu: %s: no login within %d s, closing",
		    SIDP(s->id), s->addr, set.timeout.login);
		session_reply(s, "-ERR [SYS/TEMP] no login within %d seconds, "
		    "closing", set.timeout.login);
		s->state = S_CLOSING;
		session_timer(s, AUTH_CLOSE_TIMEOUT);
		session_update(s);
		break;
	case S_HANDOFF:
		/* The timer is off in this state. */
		break;
	default:
		log_debug("session %s%llu: %s: peer does not read, closing",
		    SIDP(s->id), s->addr);
		session_close(s, 1);
		break;
	}
}

/*
 * Consume complete lines, never a byte past the LF of the line in hand:
 * what follows a PASS belongs to wrkrpop.  A partial line is taken into
 * the framer (s->fr) so that a level-triggered read event does not spin on it.
 */
static void
session_read(int fd, short ev, void *arg)
{
	struct session	*s = arg;
	char		 peek[AUTH_PEEK];
	ssize_t		 n;
	size_t		 take, limit;
	int		 r, lines = 0;

	if (s->state == S_STLS) {
		stls_discard(s);
		return;
	}
	if (s->http) {
		http_read(s);
		return;
	}
	while (s->state == S_CMD && lines < AUTH_BURST &&
	    evbuffer_get_length(s->out) < AUTH_OUTMAX) {
		if ((n = recv(s->fd, peek, sizeof(peek), MSG_PEEK)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				break;
			log_debug("session %s%llu: recv: %s",
			    SIDP(s->id), strerror(errno));
			explicit_bzero(peek, sizeof(peek));
			session_close(s, 1);
			return;
		}
		if (n == 0) {
			log_debug("session %s%llu: %s: closed by the client",
			    SIDP(s->id), s->addr);
			session_close(s, 1);
			return;
		}
		limit = s->sasl ? AUTH_MAXLINE : POP3_MAXLINE;
		r = pop3_frame(&s->fr, peek, n, limit, &take);
		/* What the framer took, and not a byte more, leaves the socket. */
		if (recv(s->fd, peek, take, 0) != (ssize_t)take) {
			log_warn("session %s%llu: recv", SIDP(s->id));
			explicit_bzero(peek, sizeof(peek));
			session_close(s, 1);
			return;
		}
		/* A partial line counts too: no client holds the loop. */
		lines++;
		if (r == FRAME_MORE)
			continue;
		/*
		 * No rearming of the timer here: timeout login is a deadline
		 * for the whole AUTHORIZATION state, which talking (NOOP,
		 * CAPA, one byte at a time) cannot extend.
		 */
		if (r == FRAME_TOOLONG) {
			/* RFC 2449: 255 octets; reject, keep the session. */
			s->sasl = 0;
			bad_command(s, "-ERR line too long");
			continue;
		}
		session_line(s, s->fr.line, s->fr.len);
		pop3_frame_reset(&s->fr);
	}
	explicit_bzero(peek, sizeof(peek));
	session_update(s);
}

/* USER/PASS and AUTH only where the password cannot be sniffed. */
static int
plaintext_ok(struct session *s)
{
	return (s->flags & (SESSION_TLS | SESSION_TRUSTED)) != 0;
}

/*
 * Refuse a credential command where plaintext_ok says no, and say so in
 * the log once per session; 1 if refused.
 */
static int
plaintext_refused(struct session *s)
{
	char	addr[PEER_STRLEN];

	if (plaintext_ok(s))
		return 0;
	if (!s->plainlogged) {
		log_info("plaintext login refused from %s",
		    peer_log(&s->peer, addr, sizeof(addr)));
		s->plainlogged = 1;
	}
	session_reply(s, "-ERR [AUTH] plaintext login is only allowed over "
	    "TLS");
	return 1;
}

/* One line from the client: a command, or the rest of an AUTH PLAIN. */
static void
session_line(struct session *s, char *buf, size_t len)
{
	struct pop3_line	 l;
	size_t			 i;

	if (s->sasl) {
		session_sasl(s, buf);
		return;
	}
	switch (pop3_parse(&l, buf, len)) {
	case POP3_OK:
		for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (commands[i].cmd == l.cmd)
				break;
		if (i < sizeof(commands) / sizeof(commands[0]))
			commands[i].fn(s, &l);
		else
			bad_command(s, "-ERR %s is not valid before login",
			    l.name);
		break;
	case POP3_ETOOLONG:
		bad_command(s, "-ERR line too long");
		break;
	case POP3_EBADCHAR:
		bad_command(s, "-ERR invalid character in command");
		break;
	default:
		bad_command(s, "-ERR invalid arguments");
		break;
	}
	explicit_bzero(&l, sizeof(l));
}

static void
cmd_capa(struct session *s, struct pop3_line *l)
{
	const char	*capa;

	/* The list comes complete with CRLFs and the final dot. */
	capa = pop3_capa((plaintext_ok(s) ? CAPA_USER | CAPA_SASL : 0) |
	    ((s->flags & (SESSION_STLS | SESSION_TLS)) == SESSION_STLS ?
	    CAPA_STLS : 0), set.expire, set.login_delay);
	if (evbuffer_add(s->out, capa, strlen(capa)) == -1)
		fatal("evbuffer_add");
}

static void
cmd_user(struct session *s, struct pop3_line *l)
{
	if (plaintext_refused(s))
		return;
	if (l->nargs != 1) {
		session_reply(s, "-ERR usage: USER name");
		return;
	}
	/* Always "+OK": the reply must not tell who exists. */
	(void)strlcpy(s->user, l->args[0], sizeof(s->user));
	s->hasuser = 1;
	session_reply(s, "+OK send PASS");
}

static void
cmd_pass(struct session *s, struct pop3_line *l)
{
	if (plaintext_refused(s)) {
		STAT_INC(STAT_LOGIN_PLAINTEXT);
		return;
	}
	if (!s->hasuser) {
		session_reply(s, "-ERR USER first");
		return;
	}
	if (l->nargs != 1) {
		session_reply(s, "-ERR usage: PASS password");
		return;
	}
	auth_start(s, l->args[0], 0);
}

static void
cmd_auth(struct session *s, struct pop3_line *l)
{
	if (l->nargs == 0) {
		/* Mechanism list, as most servers answer. */
		session_reply(s, "+OK SASL mechanisms follow");
		if (plaintext_ok(s))
			session_reply(s, "PLAIN");
		session_reply(s, ".");
		return;
	}
	if (strcasecmp(l->args[0], "PLAIN") != 0) {
		session_reply(s, "-ERR unsupported SASL mechanism");
		return;
	}
	if (plaintext_refused(s)) {
		STAT_INC(STAT_LOGIN_PLAINTEXT);
		return;
	}
	s->hasuser = 0;
	s->sasl = 1;
	if (l->nargs == 2)
		/* RFC 5034 initial response; "=" is an empty one. */
		session_sasl(s, l->args[1]);
	else
		session_reply(s, "+ ");
}

static void
cmd_quit(struct session *s, struct pop3_line *l)
{
	session_reply(s, "+OK bye");
	s->state = S_CLOSING;
	session_timer(s, AUTH_CLOSE_TIMEOUT);
}

static void
cmd_stls(struct session *s, struct pop3_line *l)
{
	if (s->flags & SESSION_TLS)
		session_reply(s, "-ERR TLS is already active");
	else if (!(s->flags & SESSION_STLS))
		session_reply(s, "-ERR STLS is not available here");
	else if (l->nargs != 0)
		session_reply(s, "-ERR STLS takes no argument");
	else {
		/* Nothing learned before TLS is kept (RFC 2595). */
		explicit_bzero(s->user, sizeof(s->user));
		s->state = S_STLS_DRAIN;
	}
}

static void
cmd_apop(struct session *s, struct pop3_line *l)
{
	session_reply(s, "-ERR APOP is not supported");
}

static void
cmd_unknown(struct session *s, struct pop3_line *l)
{
	bad_command(s, "-ERR unknown command");
}

/*
 * An invalid command: answered, and counted; at limit bad-commands the
 * session ends, so that a stream of garbage costs one connection a few
 * replies, not one each.  One reply per command, so that a pipelining
 * client stays in step: the command that reaches the limit gets the
 * closing one only.
 */
static void
bad_command(struct session *s, const char *fmt, ...)
{
	char	addr[PEER_STRLEN];
	va_list	ap;

	if (++s->nbad < set.limit.bad_commands) {
		va_start(ap, fmt);
		if (evbuffer_add_vprintf(s->out, fmt, ap) == -1 ||
		    evbuffer_add(s->out, "\r\n", 2) == -1)
			fatal("evbuffer_add");
		va_end(ap);
		return;
	}
	STAT_INC(STAT_REFUSED_BAD_COMMANDS);
	log_info("too many invalid commands from %s, closing",
	    peer_log(&s->peer, addr, sizeof(addr)));
	session_reply(s, "-ERR too many invalid commands, closing");
	s->sasl = 0;
	s->state = S_CLOSING;
	session_timer(s, AUTH_CLOSE_TIMEOUT);
}

/* The client's AUTH PLAIN response, as an initial response or a line. */
static void
session_sasl(struct session *s, const char *resp)
{
	char	pass[AUTH_MAXLINE];
	int	r;

	s->sasl = 0;
	if (strcmp(resp, "*") == 0) {
		session_reply(s, "-ERR authentication cancelled");
		return;
	}
	if ((r = pop3_sasl_plain(resp, s->user, sizeof(s->user), pass,
	    sizeof(pass))) != 0) {
		explicit_bzero(pass, sizeof(pass));
		explicit_bzero(s->user, sizeof(s->user));
		session_reply(s, r == -2 ? "-ERR [AUTH] authorization identity "
		    "must be empty or the user's own" :
		    "-ERR [AUTH] malformed AUTH PLAIN response");
		return;
	}
	auth_start(s, pass, 0);
	explicit_bzero(pass, sizeof(pass));
}

/* A user name as sent by a client, safe for one log line. */
static const char *
logname(const char *user)
{
	static char	 buf[POPD_MAXUSER * 4 + 4];
	unsigned char	 c;
	size_t		 i, n = 0;

	/*
	 * Printable, and unambiguous inside the quotes of a log line:
	 * '"' and '\\' escaped, other bytes as \xNN (fail2ban relies on it).
	 */
	for (i = 0; user[i] != '\0' && i < POPD_MAXUSER; i++) {
		c = user[i];
		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = c;
		} else if (c < 0x20 || c > 0x7e)
			n += snprintf(buf + n, sizeof(buf) - n, "\\x%02x", c);
		else
			buf[n++] = c;
	}
	buf[n] = '\0';
	if (user[i] != '\0')
		(void)strlcat(buf, "...", sizeof(buf));
	return buf;
}

/*
 * Queue a password check behind the others of the same address.  A user
 * missing from either table is checked against the dummy hash, so that
 * the reply and its timing are those of a wrong password.
 */
void
auth_start(struct session *s, const char *pass, int toolong)
{
	struct job		*j;
	const char		*hash, *why;
	struct msg_login	 ml;

	/* A router's ticket (ticket.c): the password was checked there. */
	if (!s->http && !toolong && ticket_like(pass) &&
	    valid_username(s->user)) {
		if (ticket_check(s->user, pass, &s->local, &s->tnonce,
		    &s->texpiry, &why)) {
			/* The parent spends it (login.c), across reloads. */
			login_ok(s, now(), " with a ticket");
			return;
		}
		log_info("session %s%llu: %s: a ticket for %s refused: %s",
		    SIDP(s->id), s->addr, logname(s->user), why);
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		fatal("%s", __func__);
	j->id = s->id;
	/* crypt(3) takes at most AUTH_MAXPASS: no stored hash can match. */
	if (toolong ||
	    strlcpy(j->pass, pass, sizeof(j->pass)) >= sizeof(j->pass))
		j->toolong = 1;
	j->passmac = passmac(pass);
	(void)strlcpy(j->hash, dummy_hash, sizeof(j->hash));
	s->job = j;
	if (!valid_username(s->user)) {
		auth_enqueue(s);
		return;
	}
	if (set.authsrc == TABSRC_LOOKUP) {
		/* The parent asks the database; authpop_parent_cred. */
		memset(&ml, 0, sizeof(ml));
		ml.id = s->id;
		(void)strlcpy(ml.user, s->user, sizeof(ml.user));
		s->state = S_LOOKUP;
		chan_send(&parent, MSG_AUTHPOP_LOOKUP, -1, &ml, sizeof(ml));
		return;
	}
	if ((hash = user_hash(s->user)) != NULL &&
	    strlcpy(j->hash, hash, sizeof(j->hash)) < sizeof(j->hash))
		j->known = 1;
	else
		(void)strlcpy(j->hash, dummy_hash, sizeof(j->hash));
	auth_enqueue(s);
}

/*
 * Queue a password check behind the others of the same address.  A user
 * missing from either table is checked against the dummy hash, so that
 * the reply and its timing are those of a wrong password.
 */
static void
auth_enqueue(struct session *s)
{
	s->job->expected = check_expected(s->job->hash);
	s->state = S_CHECK;
	if (host_enqueue(s) == -1) {
		/* A limit, never a wrong password. */
		log_info("session %s%llu: %s: the check for %s refused: %d "
		    "of its checks wait already", SIDP(s->id), s->addr,
		    logname(s->user), PAIR_WAITING);
		freezero(s->job, sizeof(*s->job));
		s->job = NULL;
		if (s->http) {
			http_checked(s, 0, 1, 0);
			return;
		}
		STAT_INC(STAT_LOGIN_TEMP);
		s->state = S_CMD;
		s->hasuser = 0;
		session_reply(s, "-ERR [SYS/TEMP] too many logins of this user "
		    "waiting from your address, try again later");
		explicit_bzero(s->user, sizeof(s->user));
		session_deadline(s);
		return;
	}
	/*
	 * Not here: dispatching may close a session whose client has gone,
	 * and the caller, reading this one, still holds it.
	 */
	jobs_kick();
}

/*
 * authtab's database answered for a session: the user's hash, no such
 * user (the dummy hash: a wrong password to the client), or no answer
 * at all, which is never passed off as a wrong password.
 */
static void
authpop_parent_cred(struct chan *c, const void *data, int fd)
{
	const struct msg_cred	*mc = data;
	struct session		*s;

	if ((s = session_find(mc->id)) == NULL || s->state != S_LOOKUP) {
		log_debug("session %s%llu: its password hash came after the "
		    "session ended", SIDP(mc->id));
		return;
	}
	if (mc->status == CRED_TEMP) {
		log_warnx("session %s%llu: %s: authtab <%s> could not answer for "
		    "%s", SIDP(s->id), s->addr, set.authtab,
		    logname(s->user));
		freezero(s->job, sizeof(*s->job));
		s->job = NULL;
		if (s->http) {
			http_temp(s);
			session_update(s);
			return;
		}
		STAT_INC(STAT_LOGIN_TEMP);
		s->state = S_CMD;
		s->hasuser = 0;
		explicit_bzero(s->user, sizeof(s->user));
		session_reply(s, "-ERR [SYS/TEMP] cannot check passwords now, "
		    "try again later");
		session_deadline(s);
		session_update(s);
		return;
	}
	if (mc->status == CRED_FOUND &&
	    strlcpy(s->job->hash, mc->hash, sizeof(s->job->hash)) <
	    sizeof(s->job->hash))
		s->job->known = 1;
	else
		(void)strlcpy(s->job->hash, dummy_hash, sizeof(s->job->hash));
	auth_enqueue(s);
	session_update(s);
}

/* auth_http: the backend of a user whose password was good. */
static void
authpop_parent_route(struct chan *c, const void *data, int fd)
{
	const struct msg_route	*mr = data;
	struct session		*s;

	if ((s = session_find(mr->id)) == NULL || s->state != S_ROUTE) {
		log_debug("session %s%llu: its route came after the session "
		    "ended", SIDP(mr->id));
		return;
	}
	http_route(s, mr);
	session_update(s);
}

/* auth_http's listening sockets, and who may use them over TCP. */
static void
authpop_parent_listen(struct chan *c, const void *data, int fd)
{
	const struct msg_listen	*ml = data;

	if (!(ml->flags & LISTEN_HTTP) || set.route[0] == '\0')
		fatalx("%s from parent: not an auth-http socket",
		    msg_type_str(MSG_PARENT_LISTEN));
	if (draining) {
		close(fd);
		return;
	}
	http_listen(fd, (ml->flags & LISTEN_UNIX) != 0, ml->uid);
}

static void
authpop_parent_proxy(struct chan *c, const void *data, int fd)
{
	const struct msg_proxy	*mx = data;

	http_proxy(&mx->net);
}

/* From jobs_collect: a finished check, for its session if it still waits. */
void
auth_checked(struct job *j)
{
	struct session	*s;

	if ((s = session_find(j->id)) != NULL && s->state == S_CHECK) {
		auth_result(s, j);
		session_update(s);
	} else
		log_debug("session %s%llu: password checked after the "
		    "session closed", SIDP(j->id));
}

/*
 * A check is back.  A good password goes on at once.  A wrong one is
 * answered at a time that does not depend on the stored hash or on
 * whether the user exists (fail_floor, longer than the slowest check
 * in authtab, after the check started) nor sooner than the address's
 * failure delay; meanwhile the session reads nothing.
 */
static void
auth_result(struct session *s, struct job *j)
{
	char		 addr[PEER_STRLEN];
	double		 t = now(), at, wait, floor, most;

	/* A database's hash of a kind not seen before: now it is. */
	if (j->known && set.authsrc == TABSRC_LOOKUP &&
	    (most = check_learn(j->hash, j->took)) > slowest) {
		slowest = most;
		if (2 * slowest + 0.05 > fail_floor)
			fail_floor = 2 * slowest + 0.05;
	}
	floor = failure_floor(t - s->started, j->expected, t);
	if (j->ok && s->http) {
		host_success(s->host, s->user, t);
		http_checked(s, 1, 0, 0);
		return;
	}
	if (j->ok) {
		login_ok(s, t, "");
		return;
	}
	s->state = S_CMD;
	/* RFC 1939: after a failed PASS the client starts over. */
	s->hasuser = 0;
	if (j->err != 0) {
		/* A system error is never passed off as a wrong password. */
		errno = j->err;
		log_warn("session %s%llu: %s: cannot check the password of %s",
		    SIDP(s->id), s->addr, logname(s->user));
		if (s->http) {
			http_checked(s, 0, 1, 0);
			return;
		}
		STAT_INC(STAT_LOGIN_TEMP);
		session_reply(s, "-ERR [SYS/TEMP] cannot check passwords now, "
		    "try again later");
		explicit_bzero(s->user, sizeof(s->user));
		session_deadline(s);
		return;
	}
	s->nfail++;
	log_info("session %s%llu: failed login for \"%s\" from %s: %s",
	    SIDP(s->id), logname(s->user), peer_log(&s->peer, addr,
	    sizeof(addr)), j->known ? "wrong password" : "unknown user");
	if (!s->http)
		STAT_INC(STAT_LOGIN_AUTH);
	wait = host_failure(s->host, s->user, j->known, j->passmac, t,
	    s->started);
	explicit_bzero(s->user, sizeof(s->user));
	s->failclose = s->nfail >= set.limit.failures;
	at = s->started + (wait > floor ? wait : floor);
	if (s->http) {
		/* nginx waits out the rest of the delay (Auth-Wait). */
		s->authwait = wait - floor;
		at = s->started + floor;
	}
	if (at <= t) {
		fail_reply(s);
		return;
	}
	s->state = S_DELAY;
	timer_in(&s->tmo, at - t);
}

/*
 * A good password, or a good ticket (how says which): the session goes
 * to the parent once our replies have left (S_DRAIN).
 */
static void
login_ok(struct session *s, double t, const char *how)
{
	log_info("session %s%llu: %s: login %s%s", SIDP(s->id),
	    s->addr, s->user, how);
	host_success(s->host, s->user, t);
	s->state = S_DRAIN;
	session_timer(s, AUTH_CLOSE_TIMEOUT);
}

/*
 * How long after its check started a failure is answered: fail_floor,
 * or longer while checks run slower than they did at start (a busy
 * machine), so that no check, of whatever hash, ends after its reply
 * would be due.  load is the most a check of a costly kind (a quarter of
 * the slowest or more) was slowed down lately, forgotten smoothly: by
 * half after LOAD_HALF seconds, so that checks a few seconds apart see
 * about the same floor.
 */
static double
failure_floor(double took, double expected, double t)
{
	double	f;

	if (t > load_at)
		load *= LOAD_HALF / (LOAD_HALF + (t - load_at));
	load_at = t;
	/*
	 * Only checks of the costlier kinds tell the load: a cheap one is
	 * mostly the time the loop took to see it, not the hash's.
	 */
	if (expected >= slowest / 4 && expected > 0 && took / expected > load)
		load = took / expected;
	f = (load > 1 ? load : 1) * slowest * 1.5 + 0.05;
	return f > fail_floor ? f : fail_floor;
}

/* The reply to a failed login, when its time has come. */
static void
fail_reply(struct session *s)
{
	if (s->http) {
		http_checked(s, 0, 0, s->authwait);
		return;
	}
	if (s->failclose) {
		STAT_INC(STAT_REFUSED_FAILURES);
		session_reply(s, "-ERR [AUTH] too many failures");
		s->state = S_CLOSING;
		session_timer(s, AUTH_CLOSE_TIMEOUT);
		return;
	}
	session_reply(s, "-ERR [AUTH] invalid user name or password");
	s->state = S_CMD;
	session_deadline(s);
}

/*
 * STLS: our replies are out; the listener now answers +OK itself, starts
 * TLS and brings the client back as a new session.  This one only waits
 * for the listener to close it.
 */
static void
session_stls(struct session *s)
{
	struct msg_id	mi;

	memset(&mi, 0, sizeof(mi));
	mi.id = s->id;
	s->state = S_STLS;
	log_debug("session %s%llu: STLS", SIDP(s->id));
	chan_send(&parent, MSG_AUTHPOP_STLS, -1, &mi, sizeof(mi));
	session_timer(s, AUTH_CLOSE_TIMEOUT);
	session_update(s);
}

/* Plaintext the client sent after STLS: never read as commands. */
static void
stls_discard(struct session *s)
{
	char	buf[1024];
	ssize_t	n;

	while ((n = recv(s->fd, buf, sizeof(buf), 0)) > 0)
		;
	explicit_bzero(buf, sizeof(buf));
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR))
		session_close(s, 0);
}

/*
 * The password is good and our replies have left: pass a copy of the
 * socket to the parent and keep ours until it answers.
 */
static void
session_handoff(struct session *s)
{
	struct msg_login	ml;
	int			fd;

	if ((fd = dup(s->fd)) == -1) {
		log_warn("session %s%llu: dup", SIDP(s->id));
		STAT_INC(STAT_LOGIN_TEMP);
		session_reply(s, "-ERR [SYS/TEMP] cannot start the session "
		    "now, try again later");
		s->state = S_CLOSING;
		session_timer(s, AUTH_CLOSE_TIMEOUT);
		session_update(s);
		return;
	}
	memset(&ml, 0, sizeof(ml));
	ml.id = s->id;
	(void)strlcpy(ml.user, s->user, sizeof(ml.user));
	ml.nonce = s->tnonce;
	ml.expiry = s->texpiry;
	s->state = S_HANDOFF;
	if (evtimer_del(&s->tmo) == -1)
		fatal("evtimer_del");
	chan_send(&parent, MSG_AUTHPOP_LOGIN, fd, &ml, sizeof(ml));
}

/* End a session; tell the parent unless wrkrpop has taken it over. */
void
session_close(struct session *s, int notify)
{
	struct msg_id	mi;
	char		buf[1024];
	int		i;

	if (s->http)
		http_closed(s);
	else if (notify) {
		memset(&mi, 0, sizeof(mi));
		mi.id = s->id;
		chan_send(&parent, MSG_AUTHPOP_CLOSED, -1, &mi, sizeof(mi));
	}
	(void)event_del(&s->rev);
	(void)event_del(&s->wev);
	(void)evtimer_del(&s->tmo);
	if (s->job != NULL) {
		/* Its check never started: it is dropped, not run. */
		if (s->state == S_CHECK)
			host_dequeue(s);
		freezero(s->job, sizeof(*s->job));
		s->job = NULL;
	}
	host_put(s->host);
	if (s->state != S_HANDOFF) {
		/*
		 * Unread input at close() turns the listener's EOF into
		 * ECONNRESET, which could cost the client our last reply.
		 */
		for (i = 0; i < 8; i++)
			if (recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
				break;
		explicit_bzero(buf, sizeof(buf));
	}
	close(s->fd);
	evbuffer_free(s->out);
	RB_REMOVE(sesstree, &sessions, s);
	nsessions--;
	log_debug("session %s%llu: closed (%zu open)", SIDP(s->id),
	    nsessions);
	freezero(s, sizeof(*s));
	if (draining && nsessions == 0)
		drained(-1, 0, NULL);
	trim_after_spike(nsessions);
}

/* Monotonic seconds, to the microsecond. */
double
now(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
