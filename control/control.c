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
 * control.c -- the popd control process: popctl's side of the control
 * socket.  It runs chrooted as POPD_USER, waits for one request line
 * from each client, parses it (common/control_cmd.c), takes it only in
 * its canonical words (popctl sends those) and sends it typed to the
 * parent with the client's socket, from which the parent reads the
 * peer's credentials and decides (requests.c).  The answer comes back as
 * records, which it prints (print.c) and writes to the client, then the
 * last line, "ok" or "error: why", and closes.  It never judges who asks.
 *
 * It leaves the line in the socket: the parent takes it from there and
 * runs a request only if that line is the request it was sent, in its
 * canonical words.  So even a compromised control process cannot make root's
 * socket say what root did not, nor use it for a second request: what
 * is forged here is refused, and all it can do is not answer.
 *
 * Talks to (the messages are common/proto.c's and peers.c's, by
 * sender):
 *	the parent	fd 3
 *	popctl		the control socket
 *	a wrkrpop	reads its text for show user, undelete, show quota,
 *			on a socket the parent passes (MSG_PARENT_CTLRELAY)
 *	the listeners	show sessions' handshakes, kick address;
 *	authpop		show penalties, unpenalize, show app-passwords
 *			(the current one), and the uses of app passwords
 *			(each one, draining too: lastuse.c); and
 *	tablepop	show backends, drain and undrain BACKEND: on a
 *			channel to each that the parent passes
 *			(MSG_PARENT_CTLPEER), asked once the parent has
 *			answered the request ok
 *
 * Every client is bounded: CTL_MAXCLIENTS at once, one line of at most
 * CTL_LINEMAX bytes within CTL_READTIME seconds, CTL_OUTMAX bytes of
 * answer queued, and CTL_WRITETIME seconds without reading any of it.
 * The socket is every local user's (mda reports through it), so no uid
 * but root's holds more than CTL_PERUID clients, and CTL_ROOTSLOTS are
 * root's alone: a local user who holds what it may cannot keep root's
 * popctl out.  The peer's uid, read at accept, only counts here; the
 * parent judges what a client may do from the socket itself (requests.c).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "chan.h"
#include "proc.h"
#include "sandbox.h"
#include "control_cmd.h"
#include "control.h"

#define CTL_MAXCLIENTS		32
#define CTL_ROOTSLOTS		8	/* of CTL_MAXCLIENTS, root's only */
#define CTL_PERUID		8	/* clients of one uid but root */
#define CTL_READTIME		5	/* seconds for the request */
#define CTL_WRITETIME		10	/* seconds without progress */
#define CTL_OUTMAX		(8 * 1024 * 1024)
#define ACCEPT_PAUSE		1	/* seconds without accept at EMFILE */
#define PEEK_PAUSE		50000	/* microseconds: a line still coming */

#define CTL_BUSY		"error: busy, try again\n"
#define ASK_TIME		5	/* seconds for the children's answers */
#define CONTROL_STOPWAIT	2	/* seconds for the authpops' last uses */
#define ASK_PEERS		16	/* listeners (one drains per reload) */
#define RELAY_MAX		(64 * 1024)	/* bytes of a wrkrpop's text */
#define RELAY_LINEMAX		256	/* its last line is held back */

enum client_state {
	C_READ,			/* reading the request */
	C_WAIT,			/* the parent has it: waiting for answers */
	C_ASK,			/* the listeners, authpop or tablepop
				   have it */
	C_LAST,			/* the last line is queued: flush it */
	C_DRAIN,		/* all sent: read to the client's close */
};

struct client {
	TAILQ_ENTRY(client)	 entry;
	int			 fd;
	uid_t			 uid;		/* the peer's, at accept */
	enum client_state	 state;
	uint64_t		 req;
	uint32_t		 cmd;		/* CTL_*: what it asked */
	uint32_t		 nrec;		/* records of its answer */
	int			 begun;		/* its answer has begun */
	int			 parent_ok;	/* the parent ended it ok */
	int			 relay;		/* a wrkrpop's text, or -1 */
	struct event		 relayev;
	size_t			 relayed;
	char			 cur[RELAY_LINEMAX], held[RELAY_LINEMAX];
	size_t			 curlen, heldlen;
	char			 relayerr[RELAY_LINEMAX];	/* its
						   "error: why", why */
	struct event		 rev, wev, tmo, peek;
	struct netaddr		 net;		/* kick address, unpenalize */
	struct peer		*owed[ASK_PEERS];	/* asked, not done */
	int			 nowed;
	uint32_t		 count;		/* kicked, forgotten; backends
						   drained */
	struct msg_ctlsessions	*sess;		/* the parent's sessions, */
	size_t			 nsess;		/* after the handshakes */
	struct event		 asktmo;
	char			 user[POPD_MAXUSER + 1];	/* show
						   app-passwords */
	char			 in[CTL_LINEMAX];
	char			*out;
	size_t			 outoff, outlen, outcap;
	char			 last;		/* byte queued last */
};

/*
 * A listener, the current authpop or the current tablepop, on the
 * channel the parent made for us (MSG_PARENT_CTLPEER).  Its end closes
 * with it: a question never waits for one that is gone.
 */
struct peer {
	TAILQ_ENTRY(peer)	 entry;
	struct chan		 chan;
	int			 proc;		/* PROC_LISTENER, _AUTHPOP,
						   _TABLE */
	pid_t			 pid;
	int			 old;		/* an authpop replaced: it
						   drains, reports uses, and
						   is asked nothing */
};

static struct chan		 parent_chan;
static TAILQ_HEAD(, peer)	 peers = TAILQ_HEAD_INITIALIZER(peers);
static struct event		 accept_ev, accept_pause;
static int			 listen_fd = -1;
static TAILQ_HEAD(, client)	 clients = TAILQ_HEAD_INITIALIZER(clients);
static unsigned int		 nclients;
static uint64_t			 next_req;
static struct lograte		 rate_busy;
static int			 statefd = -1;	/* app-passwords last */
static struct event		 term_ev, stop_ev;
static int			 stopping;	/* SIGTERM came */

static void	control_parent_listen(struct chan *, const void *, int);
static void	control_parent_answer(struct chan *, const void *, int);
static void	control_parent_record(struct chan *, const void *, int);
static void	control_parent_relay(struct chan *, const void *, int);
static void	control_parent_denied(struct chan *, const void *, int);
static void	control_parent_peer(struct chan *, const void *, int);
static void	control_parent_appslast(struct chan *, const void *, int);
static void	control_stop(int, short, void *);
static void	control_authpop_appused(struct chan *, const void *, int);
static void	control_authpop_ctlapps(struct chan *, const void *, int);
static void	control_authpop_appsgone(struct chan *, const void *, int);
static void	peer_eof(struct chan *);
static void	peer_replaced(int, pid_t);
static void	peer_bad(struct chan *);
static void	peer_unlink(struct peer *);
static struct client *peer_answer(struct chan *, uint64_t, int);
static void	control_listener_handshakes(struct chan *, const void *,
		    int);
static void	control_peer_count(struct chan *, const void *, int);
static void	control_authpop_penalties(struct chan *, const void *, int);
static void	control_table_backends(struct chan *, const void *, int);
static void	client_ask(struct client *);
static void	ask_timeout(int, short, void *);
static void	ask_done(struct client *, const char *);
static void	client_relay(int, short, void *);
static int	relay_text(struct client *, const char *, size_t);
static void	relay_end(struct client *, const char *);
static struct client *client_answered(uint64_t);
static int	client_print(struct client *, uint32_t, const void *);
static void	control_parent_eof(struct chan *);
static void	control_open(void *);
static void	control_sandbox(void *);
static void	control_accept(int, short, void *);
static void	control_resume(int, short, void *);
static void	client_read(int, short, void *);
static void	client_peek(int, short, void *);
static int	peer_done(int);
static void	stop_if_done(void);
static void	control_stopwait(int, short, void *);
static void	client_write(int, short, void *);
static void	client_timeout(int, short, void *);
static void	client_request(struct client *, size_t);
static int	client_queue(struct client *, const char *, size_t);
static void	client_last(struct client *, const char *, const char *);
static void	client_timer(struct client *, int);
static void	client_free(struct client *);

/* What the control process does with each message the parent sends. */
static const struct msg_handler from_parent[] = {
	{ MSG_PARENT_CONF,		proc_parent_conf },
	{ MSG_PARENT_CONF_END,		proc_parent_conf_end },
	{ MSG_PARENT_LISTEN,		control_parent_listen },
	{ MSG_PARENT_ANSWER,		control_parent_answer },
	{ MSG_PARENT_CTLSTATS,		control_parent_record },
	{ MSG_PARENT_CTLSESSIONS,	control_parent_record },
	{ MSG_PARENT_CTLCOUNT,		control_parent_record },
	{ MSG_PARENT_CTLCERT,		control_parent_record },
	{ MSG_PARENT_CTLUSER,		control_parent_record },
	{ MSG_PARENT_CTLRELOAD,		control_parent_record },
	{ MSG_PARENT_CTLDENIED,		control_parent_denied },
	{ MSG_PARENT_CTLRELAY,		control_parent_relay },
	{ MSG_PARENT_CTLPEER,		control_parent_peer },
	{ MSG_PARENT_APPSLAST,		control_parent_appslast },
	{ MSG_PARENT_VERBOSE,		proc_parent_verbose },
};

/* All a listener, authpop or tablepop may send us: our answers. */
static const struct msg_handler from_listener[] = {
	{ MSG_LISTENER_HANDSHAKES,	control_listener_handshakes },
	{ MSG_LISTENER_KICKED,		control_peer_count },
};
static const struct msg_handler from_authpop[] = {
	{ MSG_AUTHPOP_PENALTIES,	control_authpop_penalties },
	{ MSG_AUTHPOP_UNPENALIZED,	control_peer_count },
	{ MSG_AUTHPOP_APPUSED,		control_authpop_appused },
	{ MSG_AUTHPOP_CTLAPPS,		control_authpop_ctlapps },
	{ MSG_AUTHPOP_APPSGONE,		control_authpop_appsgone },
};
static const struct msg_handler from_table[] = {
	{ MSG_TABLE_BACKENDS,		control_table_backends },
};


/* The limits are fixed: nothing of the settings is ours. */
static const struct proc_role control_role = {
	.setup = {
		.role = "control",
		.title = "control",
		.user = POPD_USER,
		.chroot = 1,
		.nohup = 1,
		.open = control_open,
		.sandbox = control_sandbox,
	},
	.self = PROC_CONTROL,
	.chan = &parent_chan,
	.handlers = from_parent,
	.nhandlers = nitems(from_parent),
	.eof = control_parent_eof,
};

int
main(int argc, char *argv[])
{
	proc_run(&control_role, argc, argv);
}

/* Before the sandbox, so it need not allow creating the poller. */
static void
control_open(void *arg)
{
	if (event_init() == NULL)
		fatalx("event_init failed");
	/* popd stops: the last uses are written first. */
	signal_set(&term_ev, SIGTERM, control_stop, NULL);
	if (signal_add(&term_ev, NULL) == -1)
		fatal("signal_add");
}

/* The state file is read confined: its bytes are not ours. */
static void
control_sandbox(void *arg)
{
	sandbox_control(statefd);
	lastuse_start(statefd);
}

/*
 * The app passwords' state file, opened by the parent as root before
 * our prologue: the one file we write, and no other (sandbox_control).
 */
static void
control_parent_appslast(struct chan *c, const void *data, int fd)
{
	if (fd == -1)
		fatalx("no descriptor for app-passwords last");
	if (statefd != -1)
		fatalx("%s from parent: twice", msg_type_str(c->intype));
	statefd = fd;
}

/*
 * SIGTERM: popd stops, the authpops too.  Each sends the uses of app
 * passwords it gathered, then exits: we write the last uses once their
 * channels are closed (peer_eof), or after CONTROL_STOPWAIT seconds.
 */
static void
control_stop(int sig, short ev, void *arg)
{
	struct timeval	tv = { CONTROL_STOPWAIT, 0 };

	stopping = 1;
	evtimer_set(&stop_ev, control_stopwait, NULL);
	if (evtimer_add(&stop_ev, &tv) == -1)
		fatal("evtimer_add");
	stop_if_done();
}

static void
stop_if_done(void)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &peers, entry)
		if (p->proc == PROC_AUTHPOP)
			return;
	lastuse_flush();
	exit(0);
}

/* An authpop still there: what we have is written. */
static void
control_stopwait(int fd, short ev, void *arg)
{
	lastuse_flush();
	exit(0);
}

/* The parent is gone: nobody can answer a request any more. */
static void
control_parent_eof(struct chan *c)
{
	log_debug("parent closed the channel, exiting");
	lastuse_flush();
	exit(0);
}

/* The control socket, bound by the parent as root. */
static void
control_parent_listen(struct chan *c, const void *data, int fd)
{
	const struct msg_listen	*ml = data;
	int			 on;
	socklen_t		 len = sizeof(on);

	if (fd == -1)
		fatalx("no descriptor for the control socket");
	if (ml->flags != (LISTEN_CONTROL | LISTEN_UNIX) || listen_fd != -1)
		fatalx("%s from parent: flags %#x, not one control socket",
		    msg_type_str(MSG_PARENT_LISTEN), ml->flags);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1 || !on)
		fatalx("parent passed a socket that does not listen");
	if (set_nonblock(fd) == -1 || set_cloexec(fd) == -1)
		fatal("control socket");
	listen_fd = fd;
	event_set(&accept_ev, fd, EV_READ | EV_PERSIST, control_accept, NULL);
	evtimer_set(&accept_pause, control_resume, NULL);
	if (event_add(&accept_ev, NULL) == -1)
		fatal("event_add");
}

static void
control_accept(int fd, short ev, void *arg)
{
	struct timeval	 tv = { ACCEPT_PAUSE, 0 };
	struct client	*cl;
	uid_t		 uid;
	gid_t		 gid;
	unsigned int	 n = 0;
	int		 s;

	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR || errno == ECONNABORTED)
			return;
		/* Level-triggered: pause rather than spin. */
		log_warn("accept, pausing %d s", ACCEPT_PAUSE);
		event_del(&accept_ev);
		evtimer_add(&accept_pause, &tv);
		return;
	}
	if (compat_peerid(s, &uid, &gid) == -1) {
		log_warn("control client: its credentials");
		close(s);
		return;
	}
	if (uid != 0)
		TAILQ_FOREACH(cl, &clients, entry)
			if (cl->uid == uid)
				n++;
	if (nclients >= CTL_MAXCLIENTS || (uid != 0 &&
	    (nclients >= CTL_MAXCLIENTS - CTL_ROOTSLOTS ||
	    n >= CTL_PERUID))) {
		log_rate(&rate_busy, "%u control clients, %u of uid %u: "
		    "refused one", nclients, n, (unsigned)uid);
		(void)send(s, CTL_BUSY, sizeof(CTL_BUSY) - 1,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		close(s);
		return;
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		log_warn("control client");
		close(s);
		return;
	}
	cl->fd = s;
	cl->relay = -1;
	cl->uid = uid;
	cl->state = C_READ;
	cl->last = '\n';
	event_set(&cl->rev, s, EV_READ | EV_PERSIST, client_read, cl);
	event_set(&cl->wev, s, EV_WRITE | EV_PERSIST, client_write, cl);
	evtimer_set(&cl->tmo, client_timeout, cl);
	evtimer_set(&cl->peek, client_peek, cl);
	evtimer_set(&cl->asktmo, ask_timeout, cl);
	if (event_add(&cl->rev, NULL) == -1)
		fatal("event_add");
	client_timer(cl, CTL_READTIME);
	TAILQ_INSERT_TAIL(&clients, cl, entry);
	nclients++;
}

static void
control_resume(int fd, short ev, void *arg)
{
	if (event_add(&accept_ev, NULL) == -1)
		fatal("event_add");
}

/* (Re)arm the client's one timer: the request's, or the answer's. */
static void
client_timer(struct client *cl, int secs)
{
	struct timeval	tv = { secs, 0 };

	if (evtimer_add(&cl->tmo, &tv) == -1)
		fatal("evtimer_add");
}

/*
 * Up to the first LF, within CTL_LINEMAX bytes; what follows is ignored.
 * The line is only looked at (MSG_PEEK), never taken: the parent takes
 * it from the socket itself, so what it runs is what the client sent.
 * A line still coming is looked at again after PEEK_PAUSE, not at every
 * turn of the loop (the socket stays readable while bytes wait).
 */
static void
client_read(int fd, short ev, void *arg)
{
	struct timeval	 tv = { 0, PEEK_PAUSE };
	struct client	*cl = arg;
	ssize_t		 n;
	char		*lf;

	if (cl->state == C_DRAIN) {
		n = read(fd, cl->in, sizeof(cl->in));
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			client_free(cl);
		return;
	}
	if (cl->state != C_READ)
		return;
	n = recv(fd, cl->in, sizeof(cl->in), MSG_PEEK | MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_free(cl);	/* a probe (a starting popd) */
		return;
	}
	event_del(&cl->rev);
	if ((lf = memchr(cl->in, '\n', n)) != NULL)
		client_request(cl, lf - cl->in);
	else if ((size_t)n == sizeof(cl->in))
		client_last(cl, "request too long", NULL);
	else if (peer_done(fd))
		client_last(cl, "request without a newline", NULL);
	else if (evtimer_add(&cl->peek, &tv) == -1)
		fatal("evtimer_add");
}

/* Look again at a line that was still coming. */
static void
client_peek(int fd, short ev, void *arg)
{
	struct client	*cl = arg;

	if (event_add(&cl->rev, NULL) == -1)
		fatal("event_add");
}

/*
 * Whether the client will send no more: shown by poll(2) with bytes
 * still waiting (Linux: POLLRDHUP; elsewhere only a closed peer's
 * POLLHUP, and a half-closed one waits for CTL_READTIME).
 */
static int
peer_done(int fd)
{
#ifdef POLLRDHUP
	struct pollfd	pfd = { fd, POLLIN | POLLRDHUP, 0 };
#else
	struct pollfd	pfd = { fd, POLLIN, 0 };
#endif

	if (poll(&pfd, 1, 0) <= 0)
		return 0;
#ifdef POLLRDHUP
	return (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
#else
	return (pfd.revents & (POLLHUP | POLLERR)) != 0;
#endif
}

/* One line: parsed here, judged and answered by the parent. */
static void
client_request(struct client *cl, size_t len)
{
	struct msg_ctlreq	 req;
	char			 why[CTL_ERRMAX + CTL_LINEMAX];
	char			 line[CTL_LINEMAX];
	int			 fd;

	if (ctlcmd_parse(cl->in, len, &req, why, sizeof(why)) == -1) {
		log_debug("client: %s", why);
		client_last(cl, why, NULL);
		return;
	}
	/*
	 * The parent compares the line with the request in its canonical
	 * words (it parses nothing): only that form goes to it.
	 */
	if (ctlcmd_line(&req, line, sizeof(line)) == -1 ||
	    strlen(line) != len || memcmp(line, cl->in, len) != 0) {
		(void)snprintf(why, sizeof(why), "send the request in full: "
		    "\"%s\"", line);
		client_last(cl, why, NULL);
		return;
	}
	/* chan_send closes what it passes: the parent gets a copy. */
	if ((fd = dup(cl->fd)) == -1) {
		log_warn("control client: dup");
		client_last(cl, "popd is short of descriptors, try again",
		    NULL);
		return;
	}
	req.req = cl->req = ++next_req;
	cl->cmd = req.cmd;
	cl->net = req.net;
	(void)strlcpy(cl->user, req.user, sizeof(cl->user));
	cl->state = C_WAIT;
	evtimer_del(&cl->tmo);
	chan_send(&parent_chan, MSG_CONTROL_REQUEST, fd, &req, sizeof(req));
}

/* The client waiting for answer req; NULL if it went away (logged). */
static struct client *
client_answered(uint64_t req)
{
	struct client	*cl;

	TAILQ_FOREACH(cl, &clients, entry)
		if (cl->state == C_WAIT && cl->req == req)
			return cl;
	log_debug("answer %llu: its client is gone", (unsigned long long)req);
	return NULL;
}

/*
 * Print for cl what it is answered (print.c): a record of type, or
 * with type 0 only how its answer begins.  0, or -1 when cl was dropped.
 */
static int
client_print(struct client *cl, uint32_t type, const void *data)
{
	FILE	*fp;
	char	*text = NULL;
	size_t	 len = 0;
	int	 rc = 0;

	if ((fp = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	if (!cl->begun)
		print_begin(fp, cl->cmd);
	cl->begun = 1;
	if (type != 0 && print_record(fp, type, data, cl->cmd,
	    cl->nrec++) == -1)
		fatalx("%s from parent: no answer to %s",
		    msg_type_str(type), ctlcmd_verb(cl->cmd));
	if (fclose(fp) == EOF)
		fatal("open_memstream");
	rc = client_queue(cl, text, len);
	free(text);
	return rc;
}

/* A record of the answer to a client's request, printed as text. */
static void
control_parent_record(struct chan *c, const void *data, int fd)
{
	struct msg_ctlsessions	*p;
	struct client		*cl;
	uint64_t		 req;

	memcpy(&req, data, sizeof(req));	/* every record's first */
	if ((cl = client_answered(req)) == NULL)
		return;
	if (cl->cmd != CTL_SHOW_SESSIONS ||
	    c->intype != MSG_PARENT_CTLSESSIONS) {
		(void)client_print(cl, c->intype, data);
		return;
	}
	/* Printed after the listeners' handshakes. */
	if ((p = reallocarray(cl->sess, cl->nsess + 1,
	    sizeof(*cl->sess))) == NULL) {
		log_warn("control client");
		client_free(cl);
		return;
	}
	cl->sess = p;
	memcpy(&cl->sess[cl->nsess++], data, sizeof(*cl->sess));
}

/* The parent refused the request to its client: the answer's end. */
static void
control_parent_denied(struct chan *c, const void *data, int fd)
{
	const struct msg_ctldenied	*m = data;
	struct client			*cl;
	char				 why[256];

	if ((cl = client_answered(m->req)) == NULL)
		return;
	if (m->cmd != cl->cmd || cl->begun)
		fatalx("%s from parent: not an answer to %s",
		    msg_type_str(c->intype), ctlcmd_verb(cl->cmd));
	print_denied(why, sizeof(why), m);
	client_last(cl, why, NULL);
}

/*
 * A piece of the answer to cl's request: queued, the last one with its
 * status line.  A client gone meanwhile had its answer dropped.
 */
static void
control_parent_answer(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlans	*m = data;
	struct client		*cl;

	if ((cl = client_answered(m->req)) == NULL)
		return;
	if (m->status != ANS_ERROR && !cl->begun &&
	    client_print(cl, 0, NULL) == -1)
		return;
	switch (m->status) {
	case ANS_MORE:
		(void)client_queue(cl, m->text, m->len);
		break;
	case ANS_OK:
		if (client_queue(cl, m->text, m->len) == -1)
			break;
		/* The parent allowed it: what the children know is asked. */
		if (cl->cmd == CTL_SHOW_SESSIONS || cl->cmd ==
		    CTL_SHOW_PENALTIES || cl->cmd == CTL_KICK_ADDRESS ||
		    cl->cmd == CTL_UNPENALIZE || cl->cmd ==
		    CTL_SHOW_BACKENDS || cl->cmd == CTL_SHOW_APPS ||
		    ((cl->cmd == CTL_DRAIN ||
		    cl->cmd == CTL_UNDRAIN) && cl->net.af != 0)) {
			client_ask(cl);
			break;
		}
		/* A wrkrpop's text still coming ends the answer. */
		cl->parent_ok = 1;
		if (cl->relay == -1)
			client_last(cl, cl->relayerr[0] != '\0' ? cl->relayerr :
			    NULL, NULL);
		break;
	default:
		/* valid_ctlans: one line, NUL-free, not empty. */
		if (cl->relay != -1)
			relay_end(cl, NULL);
		client_last(cl, m->text, m->text + m->len);
		break;
	}
}

/*
 * The text a wrkrpop writes for cl's answer (show user, undelete, show
 * quota): relayed here, so that the parent reads none of it.  It ends
 * when the wrkrpop closes it; the parent ends the answer when it is
 * reaped, or at its timeout.
 */
static void
control_parent_relay(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlq	*m = data;
	struct client		*cl;

	if ((cl = client_answered(m->req)) == NULL || cl->relay != -1 ||
	    cl->parent_ok) {
		if (fd != -1)
			close(fd);
		return;
	}
	if (fd == -1) {
		/* Our own shortage of descriptors (msg.c logged it). */
		(void)strlcpy(cl->relayerr, "popd is short of descriptors, "
		    "try again", sizeof(cl->relayerr));
		return;
	}
	if (!cl->begun && client_print(cl, 0, NULL) == -1) {
		close(fd);
		return;
	}
	if (set_nonblock(fd) == -1)
		fatal("%s", __func__);
	cl->relay = fd;
	event_set(&cl->relayev, fd, EV_READ | EV_PERSIST, client_relay, cl);
	if (event_add(&cl->relayev, NULL) == -1)
		fatal("event_add");
}

/*
 * The wrkrpop's text: printable bytes, line by line, the last one held
 * back: if it is "error: why", the answer ends with why.
 */
static void
client_relay(int fd, short ev, void *arg)
{
	struct client	*cl = arg;
	char		 buf[4096], c;
	ssize_t		 n, i;

	if ((n = read(fd, buf, sizeof(buf))) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		log_warn("control: the maildir's reader");
		relay_end(cl, "the maildir's reader failed");
		return;
	}
	if (n == 0) {
		if (cl->curlen == 0 && cl->heldlen > 8 &&
		    memcmp(cl->held, "error: ", 7) == 0) {
			cl->held[cl->heldlen - 1] = '\0';
			relay_end(cl, cl->held + 7);
		} else if (relay_text(cl, cl->held, cl->heldlen) == 0 &&
		    relay_text(cl, cl->cur, cl->curlen) == 0)
			relay_end(cl, NULL);
		return;
	}
	for (i = 0; i < n; i++) {
		c = (buf[i] < 0x20 || buf[i] >= 0x7f) && buf[i] != '\n' ?
		    '?' : buf[i];
		if (cl->curlen == sizeof(cl->cur)) {
			/* A line this long is only text: no status. */
			if (relay_text(cl, cl->held, cl->heldlen) == -1 ||
			    relay_text(cl, cl->cur, cl->curlen) == -1)
				return;
			cl->heldlen = cl->curlen = 0;
		}
		cl->cur[cl->curlen++] = c;
		if (c == '\n') {
			if (relay_text(cl, cl->held, cl->heldlen) == -1)
				return;
			memcpy(cl->held, cl->cur, cl->curlen);
			cl->heldlen = cl->curlen;
			cl->curlen = 0;
		}
	}
}

/* Text of the answer, up to RELAY_MAX: the rest is dropped.  -1: cl is. */
static int
relay_text(struct client *cl, const char *p, size_t len)
{
	if (len == 0 || cl->relayed >= RELAY_MAX)
		return 0;
	if (len > RELAY_MAX - cl->relayed)
		len = RELAY_MAX - cl->relayed;
	cl->relayed += len;
	return client_queue(cl, p, len);
}

/*
 * The wrkrpop's text is over (why: its error, or NULL); if the parent
 * ended the answer ok already, it ends now.
 */
static void
relay_end(struct client *cl, const char *why)
{
	event_del(&cl->relayev);
	close(cl->relay);
	cl->relay = -1;
	if (why != NULL)
		(void)strlcpy(cl->relayerr, why, sizeof(cl->relayerr));
	if (cl->parent_ok)
		client_last(cl, cl->relayerr[0] != '\0' ? cl->relayerr : NULL,
		    NULL);
}

/*
 * A channel to a listener, an authpop or tablepop, from the parent.  A
 * new authpop's or tablepop's replaces the one before: that one drains,
 * and is no longer asked; an authpop keeps its channel until it exits,
 * for the uses of app passwords it still checks.  A new control process
 * is given the draining authpops' first, the current one's last.
 */
static void
control_parent_peer(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlpeer	*m = data;
	struct peer			*p;

	if (fd == -1)
		return;		/* our own shortage of descriptors: logged */
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("channel to %s %d", proc_str(m->proc), (int)m->pid);
		close(fd);
		return;
	}
	if (m->proc != PROC_LISTENER)
		peer_replaced(m->proc, m->pid);
	p->proc = m->proc;
	p->pid = m->pid;
	if (m->proc == PROC_LISTENER)
		chan_init(&p->chan, fd, PROC_CONTROL, m->proc, PH_RUN,
		    from_listener, nitems(from_listener), peer_eof, p);
	else if (m->proc == PROC_AUTHPOP)
		chan_init(&p->chan, fd, PROC_CONTROL, m->proc, PH_RUN,
		    from_authpop, nitems(from_authpop), peer_eof, p);
	else
		chan_init(&p->chan, fd, PROC_CONTROL, m->proc, PH_RUN,
		    from_table, nitems(from_table), peer_eof, p);
	p->chan.bad = peer_bad;
	chan_start(&p->chan);
	TAILQ_INSERT_TAIL(&peers, p, entry);
	if (m->proc == PROC_AUTHPOP)
		lastuse_check(&p->chan);
}

/* A peer closed its channel. */
static void
peer_eof(struct chan *c)
{
	struct peer	*p = c->arg;

	peer_unlink(p);
	chan_close(&p->chan);
	free(p);
	if (stopping)
		stop_if_done();
}

/*
 * The current authpop or tablepop is replaced (by pid's): the last
 * tablepop goes, an authpop is asked no more; an older channel of pid's
 * own goes (it has the new one).
 */
static void
peer_replaced(int proc, pid_t pid)
{
	struct peer	*p, *next;

	TAILQ_FOREACH_SAFE(p, &peers, entry, next)
		if (p->proc == proc) {
			if (proc == PROC_AUTHPOP && p->pid != pid)
				p->old = 1;
			else
				peer_eof(&p->chan);
		}
}

/*
 * It broke the protocol: chan_bad closes its channel once we return,
 * then it is freed.  We cannot end it: it is not ours.
 */
static void
peer_bad(struct chan *c)
{
	peer_unlink(c->arg);
	proc_free_later(c->arg);
}

/* p is asked no more: the questions it owed answer with what they have. */
static void
peer_unlink(struct peer *p)
{
	struct client	*cl, *next;
	int		 i;

	TAILQ_REMOVE(&peers, p, entry);
	TAILQ_FOREACH_SAFE(cl, &clients, entry, next) {
		for (i = 0; cl->state == C_ASK && i < cl->nowed; i++)
			if (cl->owed[i] == p) {
				cl->owed[i] = cl->owed[--cl->nowed];
				ask_done(cl, NULL);
				break;
			}
	}
}

/*
 * The parent allowed cl's request: ask each listener (show sessions,
 * kick address), the current authpop (show penalties, unpenalize) or
 * tablepop (show backends, drain BACKEND), for at most ASK_TIME seconds.
 */
static void
client_ask(struct client *cl)
{
	struct timeval	 tv = { ASK_TIME, 0 };
	struct msg_net	 m;	/* a msg_ctlq is its first member */
	struct msg_ctlappsq aq;	/* show app-passwords */
	struct peer	*p;
	uint32_t	 type;
	size_t		 len = sizeof(struct msg_ctlq);
	int		 proc = PROC_LISTENER;

	switch (cl->cmd) {
	case CTL_SHOW_SESSIONS:
		type = MSG_CONTROL_HANDSHAKES;
		break;
	case CTL_KICK_ADDRESS:
		type = MSG_CONTROL_KICKNET;
		len = sizeof(m);
		break;
	case CTL_SHOW_PENALTIES:
		type = MSG_CONTROL_PENALTIES;
		proc = PROC_AUTHPOP;
		break;
	case CTL_SHOW_BACKENDS:
		type = MSG_CONTROL_BACKENDS;
		proc = PROC_TABLE;
		break;
	case CTL_SHOW_APPS:
		type = MSG_CONTROL_APPS;
		proc = PROC_AUTHPOP;
		break;
	case CTL_DRAIN:
	case CTL_UNDRAIN:
		type = cl->cmd == CTL_DRAIN ? MSG_CONTROL_DRAIN :
		    MSG_CONTROL_UNDRAIN;
		len = sizeof(m);
		proc = PROC_TABLE;
		break;
	default:
		type = MSG_CONTROL_UNPENALIZE;
		len = sizeof(m);
		proc = PROC_AUTHPOP;
		break;
	}
	memset(&m, 0, sizeof(m));
	m.req = cl->req;
	m.net = cl->net;
	memset(&aq, 0, sizeof(aq));
	aq.req = cl->req;
	(void)strlcpy(aq.user, cl->user, sizeof(aq.user));
	cl->state = C_ASK;
	TAILQ_FOREACH(p, &peers, entry)
		if (p->proc == proc && !p->old && cl->nowed < ASK_PEERS) {
			if (type == MSG_CONTROL_APPS)
				chan_send(&p->chan, type, -1, &aq,
				    sizeof(aq));
			else
				chan_send(&p->chan, type, -1, &m, len);
			cl->owed[cl->nowed++] = p;
		}
	if ((cl->cmd == CTL_UNPENALIZE || cl->cmd == CTL_SHOW_APPS) &&
	    cl->nowed == 0) {
		client_last(cl, "authpop is restarting, try again", NULL);
		return;
	}
	if (evtimer_add(&cl->asktmo, &tv) == -1)
		fatal("evtimer_add");
	ask_done(cl, NULL);
}

static void
ask_timeout(int fd, short ev, void *arg)
{
	ask_done(arg, "no answer from popd's processes in time");
}

/*
 * Once every peer asked has answered (or is gone), cl's answer ends:
 * the parent's sessions after the handshakes, or the count.  why: it
 * ends with that error now instead.
 */
static void
ask_done(struct client *cl, const char *why)
{
	struct msg_count	 m;
	char			 what[INET6_ADDRSTRLEN + 8];
	size_t			 i;

	if (why == NULL && cl->nowed > 0)
		return;
	evtimer_del(&cl->asktmo);
	cl->nowed = 0;
	if (why != NULL) {
		client_last(cl, why, NULL);
		return;
	}
	/* authpop went before it answered. */
	if (cl->cmd == CTL_SHOW_APPS && cl->count == 0) {
		client_last(cl, "authpop is restarting, try again", NULL);
		return;
	}
	for (i = 0; i < cl->nsess; i++)
		if (client_print(cl, MSG_PARENT_CTLSESSIONS, &cl->sess[i]) ==
		    -1)
			return;
	if (cl->cmd == CTL_DRAIN || cl->cmd == CTL_UNDRAIN) {
		(void)net_str(&cl->net, what, sizeof(what));
		/* No tablepop (no route), or none of its backends. */
		if (cl->count == 0) {
			client_last(cl, "no route names that backend", NULL);
			return;
		}
		log_info("control: %s %s by uid %u", ctlcmd_verb(cl->cmd),
		    what, (unsigned)cl->uid);
	}
	if (cl->cmd == CTL_KICK_ADDRESS || cl->cmd == CTL_UNPENALIZE) {
		(void)net_str(&cl->net, what, sizeof(what));
		if (cl->cmd == CTL_KICK_ADDRESS)
			log_info("control: kick address %s by uid %u: %u "
			    "session%s ended", what, (unsigned)cl->uid,
			    cl->count, cl->count == 1 ? "" : "s");
		else
			log_info("control: unpenalize %s by uid %u: %u "
			    "entr%s forgotten", what, (unsigned)cl->uid,
			    cl->count, cl->count == 1 ? "y" : "ies");
		memset(&m, 0, sizeof(m));
		m.n = cl->count;
		if (client_print(cl, MSG_PARENT_CTLCOUNT, &m) == -1)
			return;
	}
	client_last(cl, NULL, NULL);
}

/*
 * The client a peer's answer is for; last: its last chunk.  An answer
 * after the client's end finds none (NULL); one to a question not
 * asked of it ends its channel.
 */
static struct client *
peer_answer(struct chan *c, uint64_t req, int last)
{
	struct peer	*p = c->arg;
	struct client	*cl;
	int		 i = 0;

	TAILQ_FOREACH(cl, &clients, entry)
		if (cl->state == C_ASK && cl->req == req)
			break;
	if (cl == NULL && req <= next_req) {
		log_debug("a late answer from %s %d", proc_str(p->proc),
		    (int)p->pid);
		return NULL;
	}
	while (cl != NULL && i < cl->nowed && cl->owed[i] != p)
		i++;
	if (cl == NULL || i == cl->nowed) {
		chan_bad(c, "%s %d answered question %llu, not asked of it",
		    proc_str(p->proc), (int)p->pid, (unsigned long long)req);
		return NULL;
	}
	if (last)
		cl->owed[i] = cl->owed[--cl->nowed];
	return cl;
}

/* A chunk of a listener's connections in their handshake. */
static void
control_listener_handshakes(struct chan *c, const void *data, int fd)
{
	const struct msg_handshakes	*m = data;
	static struct msg_ctlsessions	 s;
	struct ctl_session		*r;
	struct client			*cl;
	uint32_t			 i;

	if ((cl = peer_answer(c, m->req, !m->more)) == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		r = &s.rec[s.n++];
		memset(r, 0, sizeof(*r));
		/* Greeted, it is in AUTHORIZATION (PAGE_LOGIN). */
		r->state = m->rec[i].greeted ? PAGE_LOGIN + 1 : CTLS_HANDSHAKE;
		r->peer = m->rec[i].peer;
		if (m->rec[i].listen.af != 0)
			(void)peer_str(&m->rec[i].listen, r->listener,
			    sizeof(r->listener));
		r->since = m->rec[i].since;
		if (s.n == CTL_SESSROWS || i + 1 == m->n) {
			s.req = cl->req;
			if (client_print(cl, MSG_PARENT_CTLSESSIONS, &s) == -1)
				cl = NULL;
			s.n = 0;
			if (cl == NULL)
				return;
		}
	}
	ask_done(cl, NULL);
}

/* How many a listener kicked, or authpop forgot. */
static void
control_peer_count(struct chan *c, const void *data, int fd)
{
	const struct msg_count	*m = data;
	struct client		*cl;

	if ((cl = peer_answer(c, m->req, 1)) == NULL)
		return;
	cl->count += m->n;
	ask_done(cl, NULL);
}

/* A backend of tablepop's, for show backends or drain. */
static void
control_table_backends(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlbackend	*m = data;
	struct client			*cl;

	if ((cl = peer_answer(c, m->req, !m->more)) == NULL)
		return;
	if (m->addr[0] != '\0') {
		if (client_print(cl, MSG_TABLE_BACKENDS, m) == -1)
			return;
		cl->count++;
	}
	ask_done(cl, NULL);
}

/*
 * An authpop's, draining or not: app passwords were good.  A draining
 * one's, up to a second late, may name one the reload revoked after the
 * current authpop said which we keep are gone: the current one is asked
 * about these again (MSG_CONTROL_APPSKEPT), and names those gone.
 */
static void
control_authpop_appused(struct chan *c, const void *data, int fd)
{
	static struct msg_appskept	 m;
	const struct msg_appused	*mu = data;
	const struct peer		*p = c->arg;
	struct peer			*cur;
	uint32_t			 i;

	lastuse_used(mu);
	if (!p->old)
		return;
	TAILQ_FOREACH(cur, &peers, entry)
		if (cur->proc == PROC_AUTHPOP && !cur->old)
			break;
	if (cur == NULL)
		return;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < mu->n; i++) {
		(void)strlcpy(m.rec[i].user, mu->use[i].user,
		    sizeof(m.rec[i].user));
		(void)strlcpy(m.rec[i].label, mu->use[i].label,
		    sizeof(m.rec[i].label));
	}
	m.n = mu->n;
	chan_send(&cur->chan, MSG_CONTROL_APPSKEPT, -1, &m, sizeof(m));
}

/* An authpop's: of the app passwords we keep, these are revoked. */
static void
control_authpop_appsgone(struct chan *c, const void *data, int fd)
{
	lastuse_gone(data);
}

/*
 * authpop's answer to show app-passwords: its records (or tablepop's,
 * which it asked), with the last uses we keep.
 */
static void
control_authpop_ctlapps(struct chan *c, const void *data, int fd)
{
	static struct msg_ctlapps	 m;
	struct client			*cl;

	memcpy(&m, data, sizeof(m));
	if ((cl = peer_answer(c, m.req, 1)) == NULL)
		return;
	cl->count = 1;
	if (m.status == CRED_TEMP) {
		ask_done(cl, "the app-passwords table cannot answer");
		return;
	}
	lastuse_show(cl->user, &m);
	if (client_print(cl, MSG_AUTHPOP_CTLAPPS, &m) == -1)
		return;
	ask_done(cl, NULL);
}

/* A chunk of authpop's penalties. */
static void
control_authpop_penalties(struct chan *c, const void *data, int fd)
{
	const struct msg_penalties	*m = data;
	struct client			*cl;

	if ((cl = peer_answer(c, m->req, !m->more)) == NULL)
		return;
	if (m->n > 0 && client_print(cl, MSG_AUTHPOP_PENALTIES, m) == -1)
		return;
	ask_done(cl, NULL);
}

/*
 * Queue len bytes for cl; 0, or -1 when cl was dropped for holding
 * more than CTL_OUTMAX bytes that it does not read.
 */
static int
client_queue(struct client *cl, const char *s, size_t len)
{
	size_t	 cap;
	char	*p;

	if (len == 0)
		return 0;
	if (cl->outoff > 0 && cl->outoff == cl->outlen)
		cl->outoff = cl->outlen = 0;
	if (cl->outlen - cl->outoff + len > CTL_OUTMAX) {
		log_warnx("control client: over %d bytes of answer not "
		    "read, dropped", CTL_OUTMAX);
		client_free(cl);
		return -1;
	}
	if (cl->outlen + len > cl->outcap) {
		/* Move what is left to the front, then grow. */
		memmove(cl->out, cl->out + cl->outoff, cl->outlen -
		    cl->outoff);
		cl->outlen -= cl->outoff;
		cl->outoff = 0;
		for (cap = cl->outcap ? cl->outcap : 4096; cap < cl->outlen +
		    len; cap *= 2)
			;
		if (cap > cl->outcap) {
			if ((p = realloc(cl->out, cap)) == NULL) {
				log_warn("control client");
				client_free(cl);
				return -1;
			}
			cl->out = p;
			cl->outcap = cap;
		}
	}
	memcpy(cl->out + cl->outlen, s, len);
	cl->outlen += len;
	cl->last = s[len - 1];
	if (!event_pending(&cl->wev, EV_WRITE, NULL)) {
		if (event_add(&cl->wev, NULL) == -1)
			fatal("event_add");
		client_timer(cl, CTL_WRITETIME);
	}
	return 0;
}

/*
 * The last line: "ok" (why NULL), or "error: why" (up to end, or its
 * NUL), on a line of its own; then flush and close.
 */
static void
client_last(struct client *cl, const char *why, const char *end)
{
	char	line[CTL_CHUNK + 16];
	int	n;

	event_del(&cl->rev);
	evtimer_del(&cl->peek);
	n = snprintf(line, sizeof(line), "%s%s%.*s\n", cl->last != '\n' ?
	    "\n" : "", why != NULL ? "error: " : "ok", why == NULL ? 0 :
	    end != NULL ? (int)(end - why) : (int)strlen(why),
	    why != NULL ? why : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	cl->state = C_LAST;
	(void)client_queue(cl, line, n);
}

static void
client_write(int fd, short ev, void *arg)
{
	struct client	*cl = arg;
	ssize_t		 n;

	n = send(fd, cl->out + cl->outoff, cl->outlen - cl->outoff,
	    MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		log_debug("control client: %s", strerror(errno));
		client_free(cl);
		return;
	}
	cl->outoff += n;
	client_timer(cl, CTL_WRITETIME);
	if (cl->outoff < cl->outlen)
		return;
	event_del(&cl->wev);
	evtimer_del(&cl->tmo);
	if (cl->state != C_LAST)
		return;
	/*
	 * Closing with bytes unread (a request too long, or more after
	 * its line) would reset the connection and lose the answer: say
	 * we are done, and read until the client closes, for a while.
	 */
	if (shutdown(fd, SHUT_WR) == -1 ||
	    event_add(&cl->rev, NULL) == -1) {
		client_free(cl);
		return;
	}
	cl->state = C_DRAIN;
	client_timer(cl, CTL_WRITETIME);
}

/* The request took too long to come, or the answer to be read. */
static void
client_timeout(int fd, short ev, void *arg)
{
	struct client	*cl = arg;

	if (cl->state == C_READ) {
		client_last(cl, "timeout", NULL);
		return;
	}
	if (cl->state == C_DRAIN) {
		client_free(cl);
		return;
	}
	log_info("control client: not reading its answer for %d s, dropped",
	    CTL_WRITETIME);
	client_free(cl);
}

static void
client_free(struct client *cl)
{
	if (cl->relay != -1) {
		event_del(&cl->relayev);
		close(cl->relay);
	}
	event_del(&cl->rev);
	event_del(&cl->wev);
	evtimer_del(&cl->tmo);
	evtimer_del(&cl->peek);
	evtimer_del(&cl->asktmo);
	close(cl->fd);
	free(cl->out);
	free(cl->sess);
	TAILQ_REMOVE(&clients, cl, entry);
	nclients--;
	free(cl);
}
