/*
 * lmtp.c -- the popd lmtp process: speaks LMTP (RFC 2033) to the MTA on
 * the sockets the parent binds, and nothing else.  It runs chrooted as
 * POPD_USER, never touches a maildir and never decides who a user is:
 * it asks the parent about each RCPT, spools each message once into a
 * sealed anonymous file and hands that to the parent with the users it
 * accepted; the parent's delivery workers write it (popd/dlvr.c).
 *
 * Peers (the messages it takes are in from_parent[] below):
 *	parent  ==fd 3==  lmtp	PARENT_LISTEN, PARENT_RCPT, PARENT_DELIVERED,
 *				PARENT_DRAIN, PARENT_STATS in; LMTP_RCPT,
 *				LMTP_DELIVER (and the spool's descriptor)
 *				out
 *	MTA     <-unix or loopback TCP->  lmtp
 *
 * A session reads commands (lmtp_cmd.c parses them), answering each in
 * order; while a RCPT or a delivery waits for the parent it reads
 * nothing more, so pipelined commands keep their order.  Replies go out
 * when no complete command is left to read, or before such a wait.
 *
 * The sockets are every local user's (as the loopback port is), so no
 * client can hold what the MTA needs: a peer (a uid on a unix socket, an
 * address over TCP) holds at most limit lmtp-peer sessions, and where a
 * socket names the MTA's user, that uid and root are not counted so and
 * the others together leave limit lmtp-peer sessions to them.  timeout
 * lmtp runs from one whole command, or LMTP_INBUF bytes of a message,
 * to the next: a byte at a time does not hold a session.  What all
 * sessions have spooled is at most limit lmtp-spool; past it a message
 * is refused 452 4.3.1, to come again.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "popd.h"
#include "chan.h"
#include "addr.h"
#include "proc.h"
#include "sandbox.h"
#include "lmtp_cmd.h"
#include "stats.h"

#define RETURN_PATH		"Return-Path:"
#define LMTP_INBUF		16384	/* per session: commands or DATA */
#define LMTP_OUTMAX		65536	/* queued replies: read no more */
#define LMTP_REPLYMAX		(LMTP_MAXADDR + 128)
#define ACCEPT_PAUSE		1	/* seconds without accept at EMFILE */
#define ACCEPT_BATCH		64	/* accepts per wakeup, for fairness */
#define MAXLISTEN		16
#define PEER_KEYLEN		64	/* "uid N", or an address */

#define LMTP_BUSY	"421 4.3.2 too many connections, try later\r\n"
#define LMTP_PEERBUSY	"421 4.3.2 too many connections from you, try " \
			"later\r\n"

static struct chan	parent_chan;

struct lmtp_listen {
	TAILQ_ENTRY(lmtp_listen) entry;
	int			 fd;
	uint32_t		 uid;	/* the MTA's (listen ... user) */
	int			 local;		/* a unix socket */
	struct event		 ev;
	struct event		 pause;
};

enum lmtp_state {
	L_CMD,			/* reading commands */
	L_DATA,			/* reading the message */
	L_RCPT,			/* a RCPT waits for the parent */
	L_DELIVER,		/* the message waits for the parent */
	L_CLOSING,		/* last replies out, then close */
};

/*
 * An accepted recipient: as the client gave it, the parent's user (for
 * logs) and the parent's name for what it found at RCPT.
 */
struct lmtp_rcpt {
	char			 addr[LMTP_MAXADDR + 1];
	char			 user[POPD_MAXUSER + 1];
	uint64_t		 ref;
};

struct session {
	TAILQ_ENTRY(session)	 entry;
	int			 fd;	/* -1: client gone, an answer is due */
	int			 broken; /* client gone: end the session */
	enum lmtp_state		 state;
	uint64_t		 id;	/* of the request the parent answers */
	char			 client[PEER_STRLEN];	/* "local", ip:port */
	char			 peer[PEER_KEYLEN];	/* what is counted */
	int			 counted;	/* against limit lmtp-peer */
	struct event		 rev, wev, tmo;
	int			 ron, won, tmo_on, tmo_closing;
	char			 in[LMTP_INBUF];
	size_t			 inlen;
	char			*out;
	size_t			 outlen, outcap;
	int			 skipping;	/* a line too long, to its LF */
	int			 nbad;
	int			 lhlo;
	/* The transaction. */
	int			 mail;
	char			 sender[LMTP_MAXADDR + 1];
	char			 asked[LMTP_MAXADDR + 1];	/* RCPT */
	struct lmtp_rcpt	*rcpts;
	size_t			 nrcpt, rcptcap;
	int			 handed;	/* the parent has the refs */
	int			 spool;
	long long		 msgsize;	/* the message, decoded */
	long long		 octets;	/* RFC 1870's: CRLF, unstuffed */
	long long		 hdrlen;	/* our Return-Path line */
	int			 toobig, spoolerr, full;
	long long		 held;		/* of limit lmtp-spool */
	size_t			 progress;	/* message bytes since the
						   timer was last set */
	/* The message's first bytes, until we know whether it has a
	   Return-Path of its own (smtpd's lmtp sends one). */
	char			 head[sizeof(RETURN_PATH) - 1];
	size_t			 nhead;
	int			 headdone;
	struct lmtp_data	 dec;
};

static TAILQ_HEAD(, lmtp_listen)	listeners =
    TAILQ_HEAD_INITIALIZER(listeners);
static TAILQ_HEAD(, session)		sessions =
    TAILQ_HEAD_INITIALIZER(sessions);
static struct conf_settings		set;
static char				hostname[256];
static unsigned int			nsessions;
static unsigned int			ncounted;	/* .counted */
static long long			spooled;	/* all .held */
static uint64_t				next_id;
static int				draining;
static struct lograte			rate_busy, rate_peer;

static void	lmtp_parent_listen(struct chan *, const void *, int);
static void	lmtp_parent_drain(struct chan *, const void *, int);
static void	lmtp_parent_rcpt(struct chan *, const void *, int);
static void	lmtp_parent_delivered(struct chan *, const void *, int);
static void	lmtp_parent_eof(struct chan *);
static void	lmtp_open(void *);
static void	lmtp_sandbox(void *);
static void	lmtp_accept(int, short, void *);
static void	lmtp_resume(int, short, void *);
static void	session_new(int, const struct sockaddr *, socklen_t, int,
		    const char *, int);
static int	peer_key(const struct lmtp_listen *, int,
		    const struct sockaddr *, socklen_t, char *, int *);
static const char *peer_room(const char *);
static void	session_progress(struct session *);
static void	session_read(int, short, void *);
static void	session_write(int, short, void *);
static void	session_timeout(int, short, void *);
static void	session_input(struct session *);
static int	session_command(struct session *);
static void	session_line(struct session *, const char *, size_t);
static int	session_data(struct session *);
static void	session_data_end(struct session *);
static void	session_bad(struct session *, const char *);
static void	session_closing(struct session *);
static void	session_flush(struct session *);
static void	session_settle(struct session *);
static void	session_free(struct session *);
static struct session *session_find(uint64_t, enum lmtp_state);
static void	session_consume(struct session *, size_t);
static void	reply(struct session *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	txn_reset(struct session *);
static void	rcpt_forget(const uint64_t *, size_t);
static int	txn_spool(struct session *);
static void	txn_write(struct session *, const char *, size_t);
static int	txn_head(struct session *, const char *, size_t);

/* What the lmtp process does with each message the parent sends it. */
static const struct msg_handler from_parent[] = {
	{ MSG_PARENT_CONF,		proc_parent_conf },
	{ MSG_PARENT_CONF_END,		proc_parent_conf_end },
	{ MSG_PARENT_LISTEN,		lmtp_parent_listen },
	{ MSG_PARENT_DRAIN,		lmtp_parent_drain },
	{ MSG_PARENT_RCPT,		lmtp_parent_rcpt },
	{ MSG_PARENT_DELIVERED,		lmtp_parent_delivered },
	{ MSG_PARENT_STATS,		proc_parent_stats },
	{ MSG_PARENT_VERBOSE,		proc_parent_verbose },
};

static void	lmtp_load(struct proc_setup *);

const struct proc_role lmtp_role = {
	.setup = {
		.role = "lmtp",
		.title = "lmtp",
		.user = POPD_USER,
		.chroot = 1,
		.nofile = 1,		/* a socket and a spool per session */
		.nohup = 1,
		.open = lmtp_open,
		.sandbox = lmtp_sandbox,
	},
	.self = PROC_LMTP,
	.chan = &parent_chan,
	.setupfd = POPD_CHANNEL_FD,
	.usage = "popd -P lmtp is popd's internal lmtp role, started by popd "
	    "itself with its channel: run popd without -P",
	.handlers = from_parent,
	.nhandlers = nitems(from_parent),
	.settings = &set,
	.eof = lmtp_parent_eof,
	.load = lmtp_load,
};

/* The greeting names us; the sandbox has no uname(2). */
static void
lmtp_load(struct proc_setup *ps)
{
	if (gethostname(hostname, sizeof(hostname)) == -1 ||
	    hostname[0] == '\0')
		(void)strlcpy(hostname, "localhost", sizeof(hostname));
	hostname[sizeof(hostname) - 1] = '\0';
	log_debug("%s, %d sessions at most", hostname,
	    set.limit.lmtp_sessions);
}

/* Before the sandbox, so it need not allow creating the poller. */
static void
lmtp_open(void *arg)
{
	if (event_init() == NULL)
		fatalx("event_init failed");
}

static void
lmtp_sandbox(void *arg)
{
	sandbox_lmtp();
}

/* A listening socket for LMTP: a unix socket, or loopback TCP. */
static void
lmtp_parent_listen(struct chan *c, const void *data, int fd)
{
	const struct msg_listen	*ml = data;
	struct lmtp_listen	*l;
	int			 on, n = 0;
	socklen_t		 len = sizeof(on);

	if (fd == -1)
		fatalx("no descriptors for the listening sockets");
	if (!(ml->flags & LISTEN_LMTP) ||
	    (ml->flags & ~(LISTEN_LMTP | LISTEN_UNIX)))
		fatalx("%s from parent: flags %#x, not an LMTP socket",
		    msg_type_str(MSG_PARENT_LISTEN), ml->flags);
	TAILQ_FOREACH(l, &listeners, entry)
		n++;
	if (n == MAXLISTEN)
		fatalx("more than %d LMTP sockets", MAXLISTEN);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1 ||
	    !on)
		fatalx("parent passed a socket that does not listen");
	if (set_nonblock(fd) == -1 || set_cloexec(fd) == -1)
		fatal("listening socket");
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("listening socket: calloc");
	l->fd = fd;
	l->local = (ml->flags & LISTEN_UNIX) != 0;
	l->uid = ml->uid;
	event_set(&l->ev, fd, EV_READ | EV_PERSIST, lmtp_accept, l);
	evtimer_set(&l->pause, lmtp_resume, l);
	if (event_add(&l->ev, NULL) == -1)
		fatal("event_add");
	TAILQ_INSERT_TAIL(&listeners, l, entry);
	log_debug("accepting on fd %d%s", fd, l->local ? " (unix)" : "");
}

/*
 * A new lmtp process took over after a reload: stop accepting, and
 * leave once the sessions in progress are over.
 */
static void
lmtp_parent_drain(struct chan *c, const void *data, int fd)
{
	struct lmtp_listen	*l;

	draining = 1;
	while ((l = TAILQ_FIRST(&listeners)) != NULL) {
		TAILQ_REMOVE(&listeners, l, entry);
		event_del(&l->ev);
		evtimer_del(&l->pause);
		close(l->fd);
		free(l);
	}
	setproctitle("lmtp (draining)");
	log_debug("draining, %u sessions left", nsessions);
	if (nsessions == 0)
		exit(0);
}

/*
 * Nobody answers our questions any more: a transaction in progress
 * could never end.  The MTA retries what it did not see acknowledged.
 */
static void
lmtp_parent_eof(struct chan *c)
{
	log_debug("parent closed the channel, exiting");
	exit(0);
}

/* The parent's answer to a RCPT: the recipient's user, or why not. */
static void
lmtp_parent_rcpt(struct chan *c, const void *data, int fd)
{
	const struct msg_rcptok	*m = data;
	struct lmtp_rcpt	*r;
	struct session		*s;

	if ((s = session_find(m->id, L_RCPT)) == NULL) {
		log_debug("recipient %llu: no such request",
		    (unsigned long long)m->id);
		if (m->status == RCPT_OK)
			rcpt_forget(&m->ref, 1);
		return;
	}
	switch (m->status) {
	case RCPT_OK:
		if (s->nrcpt == s->rcptcap) {
			if ((r = reallocarray(s->rcpts, s->rcptcap + 8,
			    sizeof(*r))) == NULL) {
				log_warn("%s: recipient", s->client);
				rcpt_forget(&m->ref, 1);
				reply(s, "451 4.3.0 <%s>: out of memory, try "
				    "later", s->asked);
				break;
			}
			s->rcpts = r;
			s->rcptcap += 8;
		}
		r = &s->rcpts[s->nrcpt++];
		(void)strlcpy(r->addr, s->asked, sizeof(r->addr));
		(void)strlcpy(r->user, m->user, sizeof(r->user));
		r->ref = m->ref;
		reply(s, "250 2.1.5 ok");
		break;
	case RCPT_NONE:
		log_info("%s: <%s> -> <%s>: no such user", s->client,
		    s->sender, s->asked);
		reply(s, "550 5.1.1 <%s>: no such user", s->asked);
		break;
	default:
		log_info("%s: <%s> -> <%s>: temporary failure, user table "
		    "unavailable", s->client, s->sender, s->asked);
		reply(s, "451 4.3.0 <%s>: user table unavailable, try later",
		    s->asked);
		break;
	}
	s->state = L_CMD;
	session_input(s);
}

/*
 * The parent's answer to a delivery: one status per recipient, replied
 * in RCPT order (RFC 2033 4.2), and one log line each.
 */
static void
lmtp_parent_delivered(struct chan *c, const void *data, int fd)
{
	const struct msg_delivered	*m = data;
	const struct lmtp_rcpt		*r;
	struct session			*s;
	size_t				 i;

	if ((s = session_find(m->id, L_DELIVER)) == NULL) {
		log_debug("delivery %llu: no such transaction",
		    (unsigned long long)m->id);
		return;
	}
	if (m->nrcpt != s->nrcpt) {
		chan_bad(c, "%s from parent: %u statuses for %zu recipients",
		    msg_type_str(MSG_PARENT_DELIVERED), m->nrcpt, s->nrcpt);
		return;
	}
	for (i = 0; i < s->nrcpt; i++) {
		r = &s->rcpts[i];
		switch (m->status[i]) {
		case DLV_OK:
			log_info("%s: <%s> -> <%s> (%s): delivered, %lld bytes",
			    s->client, s->sender, r->addr, r->user,
			    s->msgsize + s->hdrlen);
			reply(s, "250 2.0.0 <%s> delivered", r->addr);
			break;
		case DLV_FULL:
			log_info("%s: <%s> -> <%s> (%s): temporary failure, "
			    "mailbox full or disk full", s->client, s->sender,
			    r->addr, r->user);
			reply(s, "452 4.2.2 <%s> mailbox full or disk full",
			    r->addr);
			break;
		default:
			log_info("%s: <%s> -> <%s> (%s): temporary failure",
			    s->client, s->sender, r->addr, r->user);
			reply(s, "451 4.3.0 <%s> temporary failure, try later",
			    r->addr);
			break;
		}
	}
	txn_reset(s);
	s->state = L_CMD;
	session_input(s);
}

static void
lmtp_accept(int fd, short ev, void *arg)
{
	struct lmtp_listen	*l = arg;
	struct sockaddr_storage	 ss;
	struct timeval		 tv = { ACCEPT_PAUSE, 0 };
	socklen_t		 len;
	char			 key[PEER_KEYLEN];
	const char		*busy;
	int			 i, s, counted;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		len = sizeof(ss);
		s = accept4(fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Level-triggered: pause rather than spin. */
				log_warn("accept, pausing %d s with %u "
				    "sessions", ACCEPT_PAUSE, nsessions);
				event_del(&l->ev);
				evtimer_add(&l->pause, &tv);
			} else
				log_warn("accept");
			return;
		}
		if (nsessions >= (unsigned int)set.limit.lmtp_sessions) {
			STAT_INC(STAT_REFUSED_LMTP_SESSIONS);
			log_rate(&rate_busy, "%u LMTP sessions (limit "
			    "lmtp-sessions): refused one", nsessions);
			(void)send(s, LMTP_BUSY, sizeof(LMTP_BUSY) - 1,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
			close(s);
			continue;
		}
		if (peer_key(l, s, (struct sockaddr *)&ss, len, key,
		    &counted) == -1)
			busy = LMTP_BUSY;
		else
			busy = counted ? peer_room(key) : NULL;
		if (busy != NULL) {
			STAT_INC(STAT_REFUSED_LMTP_SESSIONS);
			(void)send(s, busy, strlen(busy), MSG_DONTWAIT |
			    MSG_NOSIGNAL);
			close(s);
			continue;
		}
		session_new(s, (struct sockaddr *)&ss, len, l->local, key,
		    counted);
	}
}

/*
 * Who a new client counts as: "uid N" on a unix socket (its MTA user
 * and root not counted), its address without the port over TCP.  -1
 * (logged) when the kernel will not say.
 */
static int
peer_key(const struct lmtp_listen *l, int fd, const struct sockaddr *sa,
    socklen_t salen, char *key, int *counted)
{
	struct peeraddr	 peer;
	uid_t		 uid;
	gid_t		 gid;

	*counted = 1;
	if (l->local) {
		if (compat_peerid(fd, &uid, &gid) == -1) {
			log_warn("the peer's credentials");
			return -1;
		}
		(void)snprintf(key, PEER_KEYLEN, "uid %u", (unsigned)uid);
		*counted = uid != 0 && (uint32_t)uid != l->uid;
		return 0;
	}
	if (peer_from_sockaddr(&peer, sa, salen) == -1) {
		(void)strlcpy(key, "unknown", PEER_KEYLEN);
		return 0;
	}
	peer.port = 0;
	(void)peer_log(&peer, key, PEER_KEYLEN);
	return 0;
}

/*
 * Room for one more session of a counted peer: fewer than limit
 * lmtp-peer of its own, and, when a socket names the MTA's user, the
 * last limit lmtp-peer places left to that user and root.  NULL, or
 * the reply that refuses it.
 */
static const char *
peer_room(const char *key)
{
	struct session	*s;
	int		 n = 0, keep = 0;
	struct lmtp_listen *l;

	TAILQ_FOREACH(l, &listeners, entry)
		if (l->uid != LISTEN_ANYUID)
			keep = set.limit.lmtp_peer;
	TAILQ_FOREACH(s, &sessions, entry)
		if (s->counted && strcmp(s->peer, key) == 0)
			n++;
	if (n >= set.limit.lmtp_peer) {
		log_rate(&rate_peer, "%s holds %d LMTP sessions (limit "
		    "lmtp-peer): refused one", key, n);
		return LMTP_PEERBUSY;
	}
	if (keep > 0 && ncounted + keep >= (unsigned int)
	    set.limit.lmtp_sessions) {
		log_rate(&rate_peer, "%u LMTP sessions of peers that are not "
		    "the MTA's user, %d places kept for it: refused one from "
		    "%s", ncounted, keep, key);
		return LMTP_BUSY;
	}
	return NULL;
}

static void
lmtp_resume(int fd, short ev, void *arg)
{
	struct lmtp_listen	*l = arg;

	if (event_add(&l->ev, NULL) == -1)
		fatal("event_add");
}

static void
session_new(int fd, const struct sockaddr *sa, socklen_t salen, int local,
    const char *key, int counted)
{
	struct session	*s;
	struct peeraddr	 peer;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("session");
		close(fd);
		return;
	}
	s->fd = fd;
	s->spool = -1;
	(void)strlcpy(s->peer, key, sizeof(s->peer));
	s->counted = counted;
	ncounted += counted;
	if (local)
		(void)strlcpy(s->client, "local", sizeof(s->client));
	else if (peer_from_sockaddr(&peer, sa, salen) == -1)
		(void)strlcpy(s->client, "unknown", sizeof(s->client));
	else
		(void)peer_str(&peer, s->client, sizeof(s->client));
	event_set(&s->rev, fd, EV_READ | EV_PERSIST, session_read, s);
	event_set(&s->wev, fd, EV_WRITE | EV_PERSIST, session_write, s);
	evtimer_set(&s->tmo, session_timeout, s);
	TAILQ_INSERT_TAIL(&sessions, s, entry);
	nsessions++;
	log_debug("%s: connected", s->client);
	reply(s, "220 %s popd LMTP ready", hostname);
	session_settle(s);
}

static void
session_read(int fd, short ev, void *arg)
{
	struct session	*s = arg;
	ssize_t		 n;

	n = recv(s->fd, s->in + s->inlen, sizeof(s->in) - s->inlen, 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n <= 0) {
		if (n == -1)
			log_debug("%s: read: %s", s->client, strerror(errno));
		if (s->mail)
			log_info("%s: connection closed during a transaction "
			    "from <%s>: nothing delivered", s->client,
			    s->sender);
		else
			log_debug("%s: closed by the client", s->client);
		s->broken = 1;
		session_settle(s);
		return;
	}
	s->inlen += n;
	session_input(s);
}

static void
session_write(int fd, short ev, void *arg)
{
	struct session	*s = arg;

	session_flush(s);
	/* Replies were held back: read what waits behind them. */
	session_input(s);
}

static void
session_timeout(int fd, short ev, void *arg)
{
	struct session	*s = arg;

	s->tmo_on = 0;
	if (s->state == L_CLOSING) {
		log_debug("%s: last replies not taken, closed", s->client);
		session_free(s);
		return;
	}
	log_info("%s: timeout after %d s%s", s->client, set.timeout.lmtp,
	    s->mail ? ", transaction not finished: nothing delivered" : "");
	reply(s, "421 4.4.2 timeout, closing");
	session_closing(s);
	session_settle(s);
}

/*
 * Handle what the input holds, in order, until a command must wait for
 * the parent, the client must read its replies, or a line is not
 * complete; then send the replies and arm the session again.
 */
static void
session_input(struct session *s)
{
	while (!s->broken && s->outlen < LMTP_OUTMAX) {
		if (s->state == L_DATA) {
			if (!session_data(s))
				break;
		} else if (s->state != L_CMD || !session_command(s))
			break;
	}
	session_settle(s);
}

/* One command line, if a whole one is there: 1, else 0. */
static int
session_command(struct session *s)
{
	char	 line[LMTP_MAXLINE];
	char	*lf;
	size_t	 n;

	if (s->inlen == 0)
		return 0;
	lf = memchr(s->in, '\n', s->inlen);
	if (s->skipping) {
		if (lf == NULL) {
			s->inlen = 0;
			return 0;
		}
		session_consume(s, lf - s->in + 1);
		session_progress(s);
		s->skipping = 0;
		session_bad(s, "500 5.5.2 line too long");
		return 1;
	}
	if (lf == NULL) {
		/* No room left for its CRLF: read it away, then answer. */
		if (s->inlen >= LMTP_MAXLINE) {
			s->inlen = 0;
			s->skipping = 1;
		}
		return 0;
	}
	n = lf - s->in + 1;
	session_progress(s);
	if (n > LMTP_MAXLINE) {
		session_consume(s, n);
		session_bad(s, "500 5.5.2 line too long");
		return 1;
	}
	if (n < 2 || lf[-1] != '\r') {
		session_consume(s, n);
		session_bad(s, "500 5.5.2 line must end with CRLF");
		return 1;
	}
	memcpy(line, s->in, n - 2);
	session_consume(s, n);
	session_line(s, line, n - 2);
	return 1;
}

static void
session_line(struct session *s, const char *line, size_t len)
{
	struct lmtp_cmd	 cmd;
	struct msg_rcpt	 mr;
	const char	*err;
	size_t		 maxrcpt;

	if ((err = lmtp_parse(line, len, &cmd)) != NULL) {
		session_bad(s, err);
		return;
	}
	switch (cmd.verb) {
	case LMTP_LHLO:
		txn_reset(s);
		s->lhlo = 1;
		reply(s, "250-%s", hostname);
		reply(s, "250-PIPELINING");
		reply(s, "250-ENHANCEDSTATUSCODES");
		reply(s, "250-8BITMIME");
		reply(s, "250 SIZE %d", set.limit.message_size);
		break;
	case LMTP_MAIL:
		if (!s->lhlo)
			session_bad(s, "503 5.5.1 send LHLO first");
		else if (s->mail)
			session_bad(s, "503 5.5.1 MAIL already given");
		else if (cmd.size > set.limit.message_size) {
			STAT_INC(STAT_REFUSED_MESSAGE_SIZE);
			reply(s, "552 5.3.4 message too big");
		} else if (cmd.size > set.limit.lmtp_spool - spooled) {
			log_info("%s: <%s> %lld octets: %lld of limit "
			    "lmtp-spool held", s->client, cmd.path,
			    (long long)cmd.size, spooled);
			reply(s, "452 4.3.1 insufficient system storage, try "
			    "later");
		}
		else {
			(void)strlcpy(s->sender, cmd.path, sizeof(s->sender));
			s->mail = 1;
			reply(s, "250 2.1.0 ok");
		}
		break;
	case LMTP_RCPT:
		maxrcpt = set.limit.recipients < LMTP_MAXRCPT ?
		    (size_t)set.limit.recipients : LMTP_MAXRCPT;
		if (!s->mail) {
			session_bad(s, "503 5.5.1 send MAIL first");
			break;
		}
		if (s->nrcpt >= maxrcpt) {
			STAT_INC(STAT_REFUSED_RECIPIENTS);
			reply(s, "452 4.5.3 too many recipients");
			break;
		}
		memset(&mr, 0, sizeof(mr));
		mr.id = s->id = ++next_id;
		(void)strlcpy(mr.addr, cmd.path, sizeof(mr.addr));
		(void)strlcpy(s->asked, cmd.path, sizeof(s->asked));
		s->state = L_RCPT;
		chan_send(&parent_chan, MSG_LMTP_RCPT, -1, &mr, sizeof(mr));
		break;
	case LMTP_DATA:
		if (!s->mail)
			session_bad(s, "503 5.5.1 send MAIL first");
		/* Pipelined after refused RCPTs: not the client's fault. */
		else if (s->nrcpt == 0)
			reply(s, "503 5.5.1 no valid recipients");
		else if (txn_spool(s) == -1)
			reply(s, "451 4.3.0 cannot spool the message, try "
			    "later");
		else {
			lmtp_data_init(&s->dec);
			s->state = L_DATA;
			reply(s, "354 go ahead");
		}
		break;
	case LMTP_RSET:
		txn_reset(s);
		reply(s, "250 2.0.0 ok");
		break;
	case LMTP_NOOP:
		reply(s, "250 2.0.0 ok");
		break;
	case LMTP_VRFY:
		reply(s, "252 2.5.0 cannot verify, send the message");
		break;
	case LMTP_QUIT:
		reply(s, "221 2.0.0 bye");
		session_closing(s);
		break;
	default:
		session_bad(s, "500 5.5.1 unknown command");
		break;
	}
}

/*
 * A whole command, or LMTP_INBUF bytes of a message: timeout lmtp runs
 * again from here (session_settle sets it), not from any byte.
 */
static void
session_progress(struct session *s)
{
	if (s->tmo_on)
		evtimer_del(&s->tmo);
	s->tmo_on = 0;
}

/* Message bytes: 1 when the message ended, 0 when more must come. */
static int
session_data(struct session *s)
{
	char	out[LMTP_INBUF];
	size_t	used, olen;
	int	done;

	used = lmtp_data(&s->dec, s->in, s->inlen, out, &olen, &done);
	txn_write(s, out, olen);
	session_consume(s, used);
	if ((s->progress += used) >= LMTP_INBUF) {
		s->progress = 0;
		session_progress(s);
	}
	if (!done)
		return 0;
	session_data_end(s);
	return 1;
}

/* CRLF "." CRLF: refuse the message, or hand it to the parent. */
static void
session_data_end(struct session *s)
{
	struct msg_deliver	 md;
	const struct lmtp_rcpt	*r;
	const char		*why = NULL;
	size_t			 i;

	s->state = L_CMD;
	if (!s->toobig && !s->spoolerr && !s->headdone &&
	    txn_head(s, "", 0) == -1) {
		log_warn("%s: spool", s->client);
		s->spoolerr = 1;
	}
	if (!s->toobig && !s->spoolerr && compat_spool_seal(s->spool) == -1) {
		log_warn("%s: seal the spool", s->client);
		s->spoolerr = 1;
	}
	if (s->toobig)
		why = "message too big";
	else if (s->spoolerr)
		why = "temporary failure, cannot spool the message";
	else if (s->full)
		why = "temporary failure, limit lmtp-spool reached";
	if (why != NULL) {
		if (s->toobig)
			STAT_INC(STAT_REFUSED_MESSAGE_SIZE);
		STAT_ADD(s->toobig ? STAT_LMTP_PERM : STAT_LMTP_TEMP, s->nrcpt);
		for (i = 0; i < s->nrcpt; i++) {
			r = &s->rcpts[i];
			log_info("%s: <%s> -> <%s> (%s): %s", s->client,
			    s->sender, r->addr, r->user, why);
			if (s->toobig)
				reply(s, "552 5.3.4 message too big");
			else if (s->full)
				reply(s, "452 4.3.1 <%s> insufficient system "
				    "storage, try later", r->addr);
			else
				reply(s, "451 4.3.0 <%s> temporary failure, "
				    "try later", r->addr);
		}
		txn_reset(s);
		return;
	}
	memset(&md, 0, sizeof(md));
	md.id = s->id = ++next_id;
	md.nrcpt = s->nrcpt;
	for (i = 0; i < s->nrcpt; i++)
		md.ref[i] = s->rcpts[i].ref;
	s->handed = 1;
	s->state = L_DELIVER;
	/* chan_send closes the spool once it has been passed. */
	chan_send(&parent_chan, MSG_LMTP_DELIVER, s->spool, &md, sizeof(md));
	s->spool = -1;
}

/*
 * A bad command: its reply, or after limit bad-commands of them, the
 * last reply.
 */
static void
session_bad(struct session *s, const char *err)
{
	if (++s->nbad < set.limit.bad_commands) {
		reply(s, "%s", err);
		return;
	}
	STAT_INC(STAT_REFUSED_BAD_COMMANDS);
	log_info("%s: %d bad commands (limit bad-commands), closing%s",
	    s->client, s->nbad, s->mail ? ", transaction not finished" : "");
	reply(s, "421 4.7.0 too many errors, closing");
	session_closing(s);
}

/* The last reply is queued: read nothing more, close once it is out. */
static void
session_closing(struct session *s)
{
	txn_reset(s);
	s->state = L_CLOSING;
	s->inlen = 0;
}

static void
session_flush(struct session *s)
{
	ssize_t	n;

	while (s->fd != -1 && !s->broken && s->outlen > 0) {
		n = send(s->fd, s->out, s->outlen, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				log_debug("%s: write: %s", s->client,
				    strerror(errno));
				s->broken = 1;
			}
			return;
		}
		memmove(s->out, s->out + n, s->outlen - n);
		s->outlen -= n;
	}
}

/*
 * After every event: send what is queued, then end the session, or arm
 * its reading, writing and timer for its state.  Nothing else ends a
 * session, so no caller holds a freed one.  A session whose client went
 * away while the parent works for it stays, without its socket, until
 * the answer comes: the parent's answer is logged, never lost.
 */
static void
session_settle(struct session *s)
{
	struct timeval	tv = { 0, 0 };
	int		waiting, rwant, wwant;

	session_flush(s);
	waiting = s->state == L_RCPT || s->state == L_DELIVER;
	if (s->broken || (s->state == L_CLOSING && s->outlen == 0)) {
		if (!waiting) {
			session_free(s);
			return;
		}
		if (s->fd != -1) {
			if (s->ron)
				event_del(&s->rev);
			if (s->won)
				event_del(&s->wev);
			s->ron = s->won = 0;
			close(s->fd);
			s->fd = -1;
			s->outlen = 0;
			s->inlen = 0;
		}
	}
	if (s->fd == -1) {
		if (s->tmo_on)
			evtimer_del(&s->tmo);
		s->tmo_on = 0;
		return;
	}

	rwant = (s->state == L_CMD || s->state == L_DATA) &&
	    s->outlen < LMTP_OUTMAX && s->inlen < sizeof(s->in);
	wwant = s->outlen > 0;
	if (rwant != s->ron && (rwant ? event_add(&s->rev, NULL) :
	    event_del(&s->rev)) == -1)
		fatal("event_add");
	if (wwant != s->won && (wwant ? event_add(&s->wev, NULL) :
	    event_del(&s->wev)) == -1)
		fatal("event_add");
	s->ron = rwant;
	s->won = wwant;

	/* The parent's time is not the client's: no timer meanwhile. */
	if (waiting) {
		if (s->tmo_on)
			evtimer_del(&s->tmo);
		s->tmo_on = 0;
	} else if (!s->tmo_on ||
	    s->tmo_closing != (s->state == L_CLOSING)) {
		s->tmo_closing = s->state == L_CLOSING;
		tv.tv_sec = s->tmo_closing ? set.timeout.close :
		    set.timeout.lmtp;
		evtimer_add(&s->tmo, &tv);
		s->tmo_on = 1;
	}
}

static void
session_free(struct session *s)
{
	TAILQ_REMOVE(&sessions, s, entry);
	nsessions--;
	ncounted -= s->counted;
	if (s->ron)
		event_del(&s->rev);
	if (s->won)
		event_del(&s->wev);
	evtimer_del(&s->tmo);
	if (s->fd != -1)
		close(s->fd);
	txn_reset(s);
	free(s->rcpts);
	free(s->out);
	log_debug("%s: session over", s->client);
	free(s);
	if (draining && nsessions == 0) {
		log_debug("drained, exiting");
		exit(0);
	}
}

/* The session that asked request id and waits in state st, or NULL. */
static struct session *
session_find(uint64_t id, enum lmtp_state st)
{
	struct session	*s;

	TAILQ_FOREACH(s, &sessions, entry)
		if (s->id == id && s->state == st)
			return s;
	return NULL;
}

static void
session_consume(struct session *s, size_t n)
{
	memmove(s->in, s->in + n, s->inlen - n);
	s->inlen -= n;
}

static void
reply(struct session *s, const char *fmt, ...)
{
	char	 line[LMTP_REPLYMAX];
	char	*p;
	va_list	 ap;
	size_t	 n, cap;
	int	 len;

	if (s->fd == -1)
		return;		/* the client is gone */
	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(line) - 2)
		fatalx("%s: reply too long", __func__);
	memcpy(line + len, "\r\n", 2);
	n = len + 2;
	if (s->outlen + n > s->outcap) {
		cap = s->outcap == 0 ? 1024 : s->outcap;
		while (cap < s->outlen + n)
			cap *= 2;
		if ((p = realloc(s->out, cap)) == NULL)
			fatal("reply");
		s->out = p;
		s->outcap = cap;
	}
	memcpy(s->out + s->outlen, line, n);
	s->outlen += n;
}

/*
 * The end of a transaction, delivered or not: RSET, LHLO, close.  The
 * parent forgets recipients that DATA did not take.
 */
static void
txn_reset(struct session *s)
{
	uint64_t	ref[LMTP_MAXRCPT];
	size_t		i;

	if (s->nrcpt > 0 && !s->handed) {
		for (i = 0; i < s->nrcpt; i++)
			ref[i] = s->rcpts[i].ref;
		rcpt_forget(ref, s->nrcpt);
	}
	s->handed = 0;
	if (s->spool != -1)
		close(s->spool);
	s->spool = -1;
	s->mail = 0;
	s->sender[0] = '\0';
	s->nrcpt = 0;
	s->msgsize = s->octets = s->hdrlen = 0;
	s->toobig = s->spoolerr = s->full = 0;
	spooled -= s->held;
	s->held = 0;
}

/* The parent may forget these recipients: no DATA takes them. */
static void
rcpt_forget(const uint64_t *ref, size_t n)
{
	struct msg_deliver	md;

	memset(&md, 0, sizeof(md));
	md.nrcpt = n;
	memcpy(md.ref, ref, n * sizeof(*ref));
	chan_send(&parent_chan, MSG_LMTP_FORGET, -1, &md, sizeof(md));
}

/* DATA: the spool. */
static int
txn_spool(struct session *s)
{
	if ((s->spool = compat_spool_create("lmtp")) == -1) {
		log_warn("%s: spool", s->client);
		return -1;
	}
	s->nhead = 0;
	s->headdone = 0;
	return 0;
}

/*
 * The first bytes of the message: the Return-Path that mda would write
 * goes first, unless the message starts with one (the MTA's, as
 * smtpd's lmtp client sends it).  Decided once enough bytes are here,
 * or at the end of a shorter message (len 0).  -1: a write error.
 */
static int
txn_head(struct session *s, const char *p, size_t len)
{
	char	hdr[LMTP_MAXADDR + 32];
	size_t	take;
	int	n;

	take = sizeof(s->head) - s->nhead;
	if (take > len)
		take = len;
	memcpy(s->head + s->nhead, p, take);
	s->nhead += take;
	if (s->nhead < sizeof(s->head) && len > 0)
		return 0;
	s->headdone = 1;
	if (s->nhead < sizeof(s->head) ||
	    strncasecmp(s->head, RETURN_PATH, sizeof(s->head)) != 0) {
		n = snprintf(hdr, sizeof(hdr), "Return-Path: <%s>\n",
		    s->sender);
		if (n < 0 || (size_t)n >= sizeof(hdr) ||
		    write_all(s->spool, hdr, n) == -1)
			return -1;
		s->hdrlen = n;
	}
	if (write_all(s->spool, s->head, s->nhead) == -1 ||
	    write_all(s->spool, p + take, len - take) == -1)
		return -1;
	return 0;
}

/*
 * Decoded message bytes into the spool.  Beyond limit message-size
 * they are read and dropped to the end, then refused; a write error
 * (out of memory) is answered at the end too, as a temporary failure.
 */
static void
txn_write(struct session *s, const char *p, size_t len)
{
	const char	*lf, *end = p + len;
	long long	 octets = len;

	if (len == 0 || s->toobig || s->spoolerr || s->full)
		return;
	/*
	 * limit message-size is RFC 1870's size, as SIZE= and the sender
	 * count it: line ends as CRLF, dots unstuffed.  The decoder turned
	 * each CRLF into LF.
	 */
	for (lf = p; (lf = memchr(lf, '\n', end - lf)) != NULL; lf++)
		octets++;
	if (s->octets + octets > set.limit.message_size) {
		s->toobig = 1;
		return;
	}
	s->octets += octets;
	/* What every session holds, until the parent has delivered it. */
	if (spooled + (long long)len > set.limit.lmtp_spool) {
		s->full = 1;
		return;
	}
	spooled += len;
	s->held += len;
	if (s->headdone ? write_all(s->spool, p, len) :
	    txn_head(s, p, len)) {
		log_warn("%s: spool", s->client);
		s->spoolerr = 1;
		return;
	}
	s->msgsize += len;
}
