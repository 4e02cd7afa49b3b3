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
 * control.c -- popctl's side of the control socket.  The request line stays
 * in the socket: the parent reads it there and runs it only if it is the
 * request sent, in canonical words, so a compromised control process can
 * forge nothing and only fail to answer.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

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
#define CONTROL_STOPWAIT	2	/* seconds for the authpops' last uses */
#define RELAY_MAX		(64 * 1024)	/* bytes of a wrkrpop's text */

static struct chan		 parent_chan;
static struct event		 accept_ev, accept_pause;
static int			 listen_fd = -1;
struct client_list		 clients = TAILQ_HEAD_INITIALIZER(clients);
static unsigned int		 nclients;
uint64_t			 next_req;
static struct lograte		 rate_busy;
static int			 statefd = -1;	/* app-passwords last */
static struct event		 term_ev, stop_ev;
int				 stopping;	/* SIGTERM came */

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

static void
client_timer(struct client *cl, int secs)
{
	struct timeval	tv = { secs, 0 };

	if (evtimer_add(&cl->tmo, &tv) == -1)
		fatal("evtimer_add");
}

/* -1 when cl was dropped for holding over CTL_OUTMAX bytes unread. */
static int
client_queue(struct client *cl, const char *s, size_t len)
{
	size_t	 cap;
	char	*p;

	if (len == 0)
		return 0;
	if (cl->outlen - cl->outoff + len > CTL_OUTMAX) {
		log_warnx("control client: over %d bytes of answer not "
		    "read, dropped", CTL_OUTMAX);
		client_free(cl);
		return -1;
	}
	if (cl->outlen + len > cl->outcap) {
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

void
client_last(struct client *cl, const char *why)
{
	char	line[CTL_CHUNK + 16];
	int	n;

	event_del(&cl->rev);
	evtimer_del(&cl->peek);
	if (why == NULL)
		why = "";
	n = snprintf(line, sizeof(line), "%s%s%s\n", cl->last != '\n' ?
	    "\n" : "", why[0] != '\0' ? "error: " : "ok", why);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	cl->state = C_LAST;
	(void)client_queue(cl, line, n);
}

static void
client_timeout(int fd, short ev, void *arg)
{
	struct client	*cl = arg;

	if (cl->state == C_READ) {
		client_last(cl, "timeout");
		return;
	}
	if (cl->state != C_DRAIN)
		log_info("control client: not reading its answer for %d s, "
		    "dropped", CTL_WRITETIME);
	client_free(cl);
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

static void
relay_end(struct client *cl, const char *why)
{
	event_del(&cl->relayev);
	close(cl->relay);
	cl->relay = -1;
	if (why != NULL)
		(void)strlcpy(cl->relayerr, why, sizeof(cl->relayerr));
	if (cl->parent_ok)
		client_last(cl, cl->relayerr);
}

/* The last line is held back: "error: why" ends the answer with why. */
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

int
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
	if ((p = reallocarray(cl->sess, cl->nsess + 1,
	    sizeof(*cl->sess))) == NULL) {
		log_warn("control client");
		client_free(cl);
		return;
	}
	cl->sess = p;
	memcpy(&cl->sess[cl->nsess++], data, sizeof(*cl->sess));
}

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
	client_last(cl, why);
}

static void
control_parent_answer(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlans	*m = data;
	struct client		*cl;
	char			 why[CTL_CHUNK + 1];

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
		if (client_ask(cl) == 0)
			break;
		cl->parent_ok = 1;
		if (cl->relay == -1)
			client_last(cl, cl->relayerr);
		break;
	default:
		/* valid_ctlans: one line, NUL-free, not empty. */
		if (cl->relay != -1)
			relay_end(cl, NULL);
		(void)snprintf(why, sizeof(why), "%.*s", (int)m->len, m->text);
		client_last(cl, why);
		break;
	}
}

/*
 * Relayed here, so that the parent reads none of it.  The parent ends the
 * answer when the wrkrpop is reaped, or at its timeout.
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

static void
client_request(struct client *cl, size_t len)
{
	struct msg_ctlreq	 req;
	char			 why[CTL_ERRMAX + CTL_LINEMAX];
	char			 line[CTL_LINEMAX];
	int			 fd;

	if (ctlcmd_parse(cl->in, len, &req, why, sizeof(why)) == -1) {
		log_debug("client: %s", why);
		client_last(cl, why);
		return;
	}
	/* The parent parses nothing: only the canonical form goes to it. */
	if (ctlcmd_line(&req, line, sizeof(line)) == -1 ||
	    strlen(line) != len || memcmp(line, cl->in, len) != 0) {
		(void)snprintf(why, sizeof(why), "send the request in full: "
		    "\"%s\"", line);
		client_last(cl, why);
		return;
	}
	/* chan_send closes what it passes: the parent gets a copy. */
	if ((fd = dup(cl->fd)) == -1) {
		log_warn("control client: dup");
		client_last(cl, "popd is short of descriptors, try again");
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

/* Linux has POLLRDHUP; elsewhere a half-closed peer waits for CTL_READTIME. */
#ifndef POLLRDHUP
#define POLLRDHUP	0
#endif
static int
peer_done(int fd)
{
	struct pollfd	pfd = { fd, POLLIN | POLLRDHUP, 0 };

	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	return (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

static void
client_peek(int fd, short ev, void *arg)
{
	struct client	*cl = arg;

	if (event_add(&cl->rev, NULL) == -1)
		fatal("event_add");
}

/*
 * Only looked at (MSG_PEEK), never taken: the parent takes the line from the
 * socket itself.  Looked at again after PEEK_PAUSE, since the socket stays
 * readable while bytes wait.
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
		client_last(cl, "request too long");
	else if (peer_done(fd))
		client_last(cl, "request without a newline");
	else if (evtimer_add(&cl->peek, &tv) == -1)
		fatal("evtimer_add");
}

static void
control_resume(int fd, short ev, void *arg)
{
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
	/* Every local user may connect: none may keep root's popctl out. */
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
control_stopwait(int fd, short ev, void *arg)
{
	lastuse_flush();
	exit(0);
}

void
stop_if_done(void)
{
	if (ask_authpops())
		return;
	lastuse_flush();
	exit(0);
}

/*
 * Each authpop sends the uses of app passwords it gathered: we write them once
 * their channels close, or after CONTROL_STOPWAIT seconds.
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

/* Before the sandbox, so it need not allow creating the poller. */
static void
control_open(void *arg)
{
	if (event_init() == NULL)
		fatalx("event_init failed");
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

/* Opened by the parent as root: the one file we write (sandbox_control). */
static void
control_parent_appslast(struct chan *c, const void *data, int fd)
{
	if (fd == -1)
		fatalx("no descriptor for app-passwords last");
	if (statefd != -1)
		fatalx("%s from parent: twice", msg_type_str(c->intype));
	statefd = fd;
}

static void
control_parent_eof(struct chan *c)
{
	log_debug("parent closed the channel, exiting");
	lastuse_flush();
	exit(0);
}

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
