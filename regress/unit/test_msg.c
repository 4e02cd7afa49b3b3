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
 * test_msg -- the message layer (common/msg.c) and the declarations it
 * enforces (common/proto.c), over real SOCK_SEQPACKET socketpairs, with
 * datagrams crafted by hand: every malformed message (short, long, of
 * another version, type, sender, receiver or phase, with a field its
 * declaration refuses, with descriptors it should not have) is rejected
 * before any handler runs, the peer is reported (bad handler) or the
 * receiver dies (no bad handler), and no descriptor that came with a
 * rejected message stays open.  Sending against a declaration, or a
 * handler table that does not cover what the peer sends, is fatal.
 * Links msg.c, proto.c and what they call only.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <event.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "chan.h"
#include "log.h"
#include "../fdcount.h"
#include "unit.h"

/* A good worker's settings (MSG_PARENT_WORKER's): popd.conf's defaults. */
#define WSET	.set = { UIDL_DEFAULT_FORMAT, 0, -1, 0, 0, CONF_MIN_IDLE, 10 }

static int		handled, handled_fd, bad_called, eof_called;
static int		owned_fd = -1;	/* the last descriptor handed over */
static uint32_t		handled_type;
static unsigned char	handled_data[MSG_MAXPAYLOAD];

/*
 * Every handler (on_any, msgends.h) calls it with the type it handles:
 * what it was given, copied for the checks.
 */
static void
on_message(struct chan *c, uint32_t type, const void *data, int fd)
{
	const struct msg_decl	*d = msg_decl(type);

	handled++;
	handled_type = type;
	handled_fd = fd;
	if (fd != -1)
		owned_fd = fd;
	if (d != NULL && d->size > 0)
		memcpy(handled_data, data, d->size);
}

/* The handler tables, derived from the declarations. */
#include "../msgends.h"

static void
on_bad(struct chan *c)
{
	bad_called++;
}

static void
on_eof(struct chan *c)
{
	eof_called++;
}

/* The ends of the channels, with what each end takes from its peer. */
enum { E_LISTENER, E_AUTHPOP, E_WRKRPOP, E_PARENT_L, E_PARENT_A,
    E_PARENT_W, E_LMTP, E_DLVRPOP, E_PARENT_M, E_PARENT_V, E_CONTROL,
    E_PARENT_C, E_TABLE, E_PARENT_T, E_ROUTE, E_PARENT_R, E_KEY,
    E_LISTENER_K, E_KEY_P, E_LISTENER_C, E_AUTHPOP_C, E_CONTROL_L,
    E_CONTROL_A, E_AUTHPOP_T, E_TABLE_A, E_ROUTE_T, E_TABLE_R, E_ROUTE_C,
    E_CONTROL_R, E_DLVRPOP_M, E_LMTP_V, E_AUTHPOP_H, E_HTTP, E_HTTP_A,
    E_HTTP_R, E_ROUTE_H };
static struct end {
	int			 self, peer;
	struct msg_handler	 h[MSG_MAX];	/* msgends() */
	size_t			 n;
} ends[] = {
	[E_LISTENER] = { PROC_LISTENER, PROC_PARENT },
	[E_AUTHPOP] = { PROC_AUTHPOP, PROC_PARENT },
	[E_WRKRPOP] = { PROC_WRKRPOP, PROC_PARENT },
	[E_PARENT_L] = { PROC_PARENT, PROC_LISTENER },
	[E_PARENT_A] = { PROC_PARENT, PROC_AUTHPOP },
	[E_PARENT_W] = { PROC_PARENT, PROC_WRKRPOP },
	[E_LMTP] = { PROC_LMTP, PROC_PARENT },
	[E_DLVRPOP] = { PROC_DLVRPOP, PROC_PARENT },
	[E_PARENT_M] = { PROC_PARENT, PROC_LMTP },
	[E_CONTROL] = { PROC_CONTROL, PROC_PARENT },
	[E_PARENT_C] = { PROC_PARENT, PROC_CONTROL },
	[E_TABLE] = { PROC_TABLE, PROC_PARENT },
	[E_PARENT_T] = { PROC_PARENT, PROC_TABLE },
	[E_ROUTE] = { PROC_ROUTE, PROC_PARENT },
	[E_PARENT_R] = { PROC_PARENT, PROC_ROUTE },
	[E_PARENT_V] = { PROC_PARENT, PROC_DLVRPOP },
	[E_DLVRPOP_M] = { PROC_DLVRPOP, PROC_LMTP },
	[E_LMTP_V] = { PROC_LMTP, PROC_DLVRPOP },
	[E_KEY] = { PROC_KEY, PROC_LISTENER },
	[E_LISTENER_K] = { PROC_LISTENER, PROC_KEY },
	[E_KEY_P] = { PROC_KEY, PROC_PARENT },
	[E_LISTENER_C] = { PROC_LISTENER, PROC_CONTROL },
	[E_AUTHPOP_C] = { PROC_AUTHPOP, PROC_CONTROL },
	[E_CONTROL_L] = { PROC_CONTROL, PROC_LISTENER },
	[E_CONTROL_A] = { PROC_CONTROL, PROC_AUTHPOP },
	[E_AUTHPOP_T] = { PROC_AUTHPOP, PROC_TABLE },
	[E_TABLE_A] = { PROC_TABLE, PROC_AUTHPOP },
	[E_ROUTE_T] = { PROC_ROUTE, PROC_TABLE },
	[E_TABLE_R] = { PROC_TABLE, PROC_ROUTE },
	[E_ROUTE_C] = { PROC_ROUTE, PROC_CONTROL },
	[E_CONTROL_R] = { PROC_CONTROL, PROC_ROUTE },
	[E_AUTHPOP_H] = { PROC_AUTHPOP, PROC_HTTP },
	[E_HTTP] = { PROC_HTTP, PROC_PARENT },
	[E_HTTP_A] = { PROC_HTTP, PROC_AUTHPOP },
	[E_HTTP_R] = { PROC_HTTP, PROC_ROUTE },
	[E_ROUTE_H] = { PROC_ROUTE, PROC_HTTP },
};

/*
 * Not complete tables, chan_init must refuse them: the listener's
 * without MSG_PARENT_DRAIN, and authpop's with one more handler, for the
 * first message the parent sends to others only.
 */
static struct msg_handler	to_listener_short[MSG_MAX];
static struct msg_handler	to_authpop_extra[MSG_MAX + 1];
static size_t			nto_listener_short, nto_authpop_extra;

static size_t
table_without(struct msg_handler *h, size_t n, uint32_t type)
{
	size_t	i, k;

	for (i = k = 0; i < n; i++)
		if (h[i].type != type)
			h[k++] = h[i];
	return k;
}

static size_t
table_plus_foreign(struct msg_handler *h, size_t n, int self, int peer)
{
	const struct msg_decl	*const *d;
	size_t			 i, nd;

	d = msg_decls(&nd);
	for (i = 0; i < nd; i++)
		if (d[i]->from == peer && !(d[i]->to & self)) {
			h[n].type = d[i]->type;
			h[n].fn = on_any;
			return n + 1;
		}
	return n;
}

static void
ends_init(void)
{
	size_t	e;

	for (e = 0; e < nitems(ends); e++)
		ends[e].n = msgends(ends[e].self, ends[e].peer, ends[e].h,
		    nitems(ends[e].h));
	nto_listener_short = table_without(to_listener_short,
	    msgends(PROC_LISTENER, PROC_PARENT, to_listener_short,
	    nitems(to_listener_short)), MSG_PARENT_DRAIN);
	nto_authpop_extra = table_plus_foreign(to_authpop_extra,
	    msgends(PROC_AUTHPOP, PROC_PARENT, to_authpop_extra,
	    nitems(to_authpop_extra) - 1), PROC_AUTHPOP, PROC_PARENT);
}

static void
open_end(struct chan *c, int fd, int e, int phase, int bad)
{
	chan_init(c, fd, ends[e].self, ends[e].peer, phase, ends[e].h,
	    ends[e].n, on_eof, NULL);
	if (bad)
		c->bad = on_bad;
}

static void
reset(void)
{
	handled = bad_called = eof_called = 0;
	handled_fd = -1;
	handled_type = MSG_NONE;
}

static int
xpipe(void)
{
	int	pfd[2];

	if (pipe(pfd) == -1) {
		perror("pipe");
		exit(2);
	}
	close(pfd[1]);
	return pfd[0];
}

/*
 * Send one raw datagram: hdr (if hdrlen), then payload, with the fds in
 * ncmsg control messages (fds spread over them).
 */
static void
send_raw(int s, const void *hdr, size_t hdrlen, const void *payload,
    size_t plen, const int *fds, int nfds, int ncmsg)
{
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int) * 4) * 4];
	} cbuf;
	struct msghdr	 mh;
	struct iovec	 iov[2];
	struct cmsghdr	*cm;
	int		 i, per;
	size_t		 clen = 0;

	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	iov[0].iov_base = (void *)hdr;
	iov[0].iov_len = hdrlen;
	iov[1].iov_base = (void *)payload;
	iov[1].iov_len = plen;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (nfds > 0) {
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		per = nfds / ncmsg;
		for (i = 0; i < ncmsg; i++) {
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * per);
			memcpy(CMSG_DATA(cm), fds + i * per, sizeof(int) * per);
			clen += CMSG_SPACE(sizeof(int) * per);
			cm = CMSG_NXTHDR(&mh, cm);
		}
		mh.msg_controllen = clen;
	}
	if (sendmsg(s, &mh, 0) == -1) {
		perror("sendmsg");
		exit(2);
	}
}

/* A whole message as chan_send would make it, sent raw. */
static void
send_msg(int s, uint32_t type, const void *payload, size_t len, int nfds)
{
	struct msg_hdr	 hdr;
	int		 fds[4] = { -1, -1, -1, -1 }, i;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.version = MSG_VERSION;
	hdr.len = len;
	for (i = 0; i < nfds; i++)
		fds[i] = xpipe();
	send_raw(s, &hdr, sizeof(hdr), payload, len, fds, nfds, 1);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

struct msgcase {
	const char	*name;
	int		 end, phase;		/* the receiver */
	uint32_t	 type, version, len;	/* header fields */
	size_t		 hdrlen, plen;		/* bytes actually sent */
	int		 nfds, ncmsg;
	int		 ok;			/* handler expected */
	const void	*payload;		/* NULL: zeros */
};

/*
 * Run one case on a fresh channel; check the handler ran with what was
 * sent (and the phase moved as declared) or the peer was reported, and
 * that descriptors are back to what they were.
 */
static void
run_case(const struct msgcase *tc)
{
	static const unsigned char	 zeros[MSG_MAXPAYLOAD + 64];
	const struct msg_decl		*d;
	struct chan			 c;
	struct msg_hdr			 hdr;
	const void			*payload;
	int				 sp[2], fds[4], before, i, want;

	before = open_fds();
	reset();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1) {
		perror("socketpair");
		exit(2);
	}
	open_end(&c, sp[0], tc->end, tc->phase, 1);
	chan_start(&c);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = tc->type;
	hdr.version = tc->version;
	hdr.len = tc->len;
	payload = tc->payload != NULL ? tc->payload : zeros;
	for (i = 0; i < tc->nfds; i++)
		fds[i] = xpipe();
	send_raw(sp[1], &hdr, tc->hdrlen, payload, tc->plen, fds, tc->nfds,
	    tc->ncmsg ? tc->ncmsg : 1);
	for (i = 0; i < tc->nfds; i++)
		close(fds[i]);
	(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);

	if (tc->ok) {
		d = msg_decl(tc->type);
		CHECK(handled == 1 && bad_called == 0, "%s: handled %d, bad %d,"
		    " want 1, 0", tc->name, handled, bad_called);
		CHECK(handled_type == tc->type, "%s: handler of %s ran, want "
		    "%s", tc->name, msg_type_str(handled_type),
		    msg_type_str(tc->type));
		CHECK((tc->nfds == 1) == (handled_fd != -1),
		    "%s: handler fd %d with %d sent", tc->name, handled_fd,
		    tc->nfds);
		CHECK(d != NULL && d->size == tc->len &&
		    memcmp(handled_data, payload, tc->len) == 0,
		    "%s: the handler got other bytes than the %u sent",
		    tc->name, tc->len);
		want = d != NULL && d->next != 0 ? d->next : tc->phase;
		CHECK(c.phase == want, "%s: phase %#x after it, want %#x",
		    tc->name, c.phase, want);
		if (handled_fd != -1)
			close(handled_fd);
	} else
		CHECK(handled == 0 && bad_called == 1 && eof_called == 0 &&
		    c.fd == -1, "%s: handled %d, bad %d, eof %d, open %d, "
		    "want 0, 1, 0, 0", tc->name, handled, bad_called,
		    eof_called, c.fd != -1);
	chan_close(&c);
	close(sp[1]);
	CHECK(open_fds() == before, "%s: %d descriptors open, %d before",
	    tc->name, open_fds(), before);
}

/* Run fn in a child with stderr closed; its exit status. */
static int
in_child(void (*fn)(const void *), const void *arg)
{
	pid_t	pid;
	int	status, fd;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			(void)dup2(fd, STDERR_FILENO);
		event_reinit(event_init());
		fn(arg);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) == -1) {
		perror("waitpid");
		exit(2);
	}
	return status;
}

#define DIED(st)	(WIFEXITED(st) && WEXITSTATUS(st) == 1)
#define LIVED(st)	(WIFEXITED(st) && WEXITSTATUS(st) == 0)

/* Without a bad() handler a malformed message is fatal: in a child. */
struct nobad {
	const char	*name;
	int		 end, phase;
	uint32_t	 type;
	const void	*payload;
	size_t		 len;
	int		 nfds;
	int		 close;		/* the peer closes instead (EOF) */
	int		 eof;		/* with an eof() handler */
};

static void
nobad_child(const void *arg)
{
	const struct nobad	*tc = arg;
	struct chan		 c;
	int			 sp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
		_exit(2);
	chan_init(&c, sp[0], ends[tc->end].self, ends[tc->end].peer,
	    tc->phase, ends[tc->end].h, ends[tc->end].n,
	    tc->eof ? on_eof : NULL, NULL);
	chan_start(&c);
	if (tc->close)
		close(sp[1]);
	else
		send_msg(sp[1], tc->type, tc->payload, tc->len, tc->nfds);
	(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);
	_exit(handled == 1 || eof_called == 1 ? 0 : 3);
}

static void
fatal_without_handler(void)
{
	const struct msg_session	 badflags = { .id = 1, .flags = 0x80 };
	const struct msg_session	 good = { .id = 1,
	    .flags = SESSION_TLS };
	const struct msg_login		 badlogin = { .id = 1,
	    .user = "al ice" };
	const struct msg_worker		 relative = { .user = "alice",
	    .maildir = "home/alice/Maildir", WSET };
	const struct nobad		 cases[] = {
		{ "unknown type", E_LISTENER, PH_RUN, 99, NULL, 0, 0, 0, 1 },
		{ "out of phase", E_AUTHPOP, PH_DRAIN, MSG_PARENT_SESSION,
		    &good, sizeof(good), 1, 0, 1 },
		{ "a field refused", E_AUTHPOP, PH_RUN, MSG_PARENT_SESSION,
		    &badflags, sizeof(badflags), 1, 0, 1 },
		/* What chan_send no longer checks (send_checked). */
		{ "a login of an invalid name", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_LOGIN, &badlogin, sizeof(badlogin), 1, 0, 1 },
		{ "a worker in a relative maildir", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, &relative, sizeof(relative), 0, 0, 1 },
		{ "EOF without eof()", E_WRKRPOP, PH_START, 0, NULL, 0, 0, 1,
		    0 },
	};
	const struct nobad		 fine[] = {
		{ "a good message", E_AUTHPOP, PH_RUN, MSG_PARENT_SESSION,
		    &good, sizeof(good), 1, 0, 1 },
		{ "EOF with eof()", E_LISTENER, PH_RUN, 0, NULL, 0, 0, 1, 1 },
	};
	size_t				 i;
	int				 st;

	for (i = 0; i < nitems(cases); i++) {
		st = in_child(nobad_child, &cases[i]);
		CHECK(DIED(st), "a receiver without bad() dies of %s: status "
		    "%#x", cases[i].name, st);
	}
	for (i = 0; i < nitems(fine); i++) {
		st = in_child(nobad_child, &fine[i]);
		CHECK(LIVED(st), "a receiver without bad() takes %s: status "
		    "%#x", fine[i].name, st);
	}
}

/*
 * chan_send checks the message's type, size, descriptor and phase
 * against its declaration before it leaves: anything else is our own
 * bug, fatal (in a child).  Its content is checked where it arrives
 * (fatal_without_handler): a session with unknown flags, a login of an invalid
 * name, a worker in a relative maildir leave, and their receivers
 * refuse them.
 */
struct sendcase {
	const char	*name;
	int		 end, phase;	/* the sender */
	uint32_t	 type;
	int		 fd;		/* pass a descriptor */
	const void	*payload;
	size_t		 len;
	int		 ok;
};

static void
send_child(const void *arg)
{
	const struct sendcase	*tc = arg;
	struct chan		 c;
	int			 sp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
		_exit(2);
	open_end(&c, sp[0], tc->end, tc->phase, 1);
	chan_send(&c, tc->type, tc->fd ? xpipe() : -1, tc->payload, tc->len);
	_exit(TAILQ_EMPTY(&c.outq) ? 0 : 3);
}

static void
send_checked(void)
{
	const struct msg_session	 sess = { .id = 1,
	    .flags = SESSION_STLS };
	const struct msg_session	 badflags = { .id = 1, .flags = 0x80 };
	const struct msg_login		 login = { .id = 1, .user = "alice" };
	const struct msg_login		 badlogin = { .id = 1,
	    .user = "al ice" };
	const struct msg_worker		 relative = { .user = "alice",
	    .maildir = "home/alice/Maildir", WSET };
	const struct msg_worker		 worker = { .user = "alice",
	    .maildir = "/home/alice/Maildir", WSET };
	const struct msg_id		 mi = { .id = 1 };
	struct conf_settings		 conf = settings_defaults;
	const struct sendcase		 cases[] = {
		{ "a session", E_PARENT_A, PH_RUN, MSG_PARENT_SESSION, 1,
		    &sess, sizeof(sess), 1 },
		{ "a login", E_AUTHPOP, PH_RUN, MSG_AUTHPOP_LOGIN, 1,
		    &login, sizeof(login), 1 },
		{ "a worker", E_PARENT_W, PH_START, MSG_PARENT_WORKER, 0,
		    &worker, sizeof(worker), 1 },
		{ "the settings to a worker", E_PARENT_W, PH_START,
		    MSG_PARENT_CONF, 0, &conf, sizeof(conf), 0 },
		{ "the configuration", E_PARENT_L, PH_START, MSG_PARENT_CONF,
		    0, &conf, sizeof(conf), 1 },
		{ "the configuration twice", E_PARENT_L, PH_CONF,
		    MSG_PARENT_CONF, 0, &conf, sizeof(conf), 0 },
		{ "a second worker", E_PARENT_W, PH_RUN,
		    MSG_PARENT_WORKER, 0, &worker, sizeof(worker), 0 },
		{ "a short session", E_PARENT_A, PH_RUN, MSG_PARENT_SESSION, 1,
		    &sess, sizeof(sess) - 1, 0 },
		{ "a long closed", E_AUTHPOP, PH_RUN, MSG_AUTHPOP_CLOSED, 0,
		    &login, sizeof(mi) + 1, 0 },
		{ "a session without its socket", E_PARENT_A, PH_RUN,
		    MSG_PARENT_SESSION, 0, &sess, sizeof(sess), 0 },
		{ "a session to a draining authpop", E_PARENT_A, PH_DRAIN,
		    MSG_PARENT_SESSION, 1, &sess, sizeof(sess), 0 },
		{ "the configuration after its end", E_PARENT_L, PH_RUN,
		    MSG_PARENT_CONF, 0, &conf, sizeof(conf), 0 },
		{ "a session with unknown flags", E_PARENT_A, PH_RUN,
		    MSG_PARENT_SESSION, 1, &badflags, sizeof(badflags), 1 },
		{ "a login of an invalid name", E_AUTHPOP, PH_RUN,
		    MSG_AUTHPOP_LOGIN, 1, &badlogin, sizeof(badlogin), 1 },
		{ "a worker in a relative maildir", E_PARENT_W, PH_START,
		    MSG_PARENT_WORKER, 0, &relative, sizeof(relative), 1 },
		{ "the parent's message from authpop", E_AUTHPOP, PH_RUN,
		    MSG_PARENT_DRAIN, 0, NULL, 0, 0 },
		{ "authpop's message to the listener", E_PARENT_L, PH_RUN,
		    MSG_PARENT_SESSION, 1, &sess, sizeof(sess), 0 },
		{ "an unknown type", E_PARENT_L, PH_RUN, 99, 0, NULL, 0, 0 },
		{ "no type", E_PARENT_L, PH_RUN, MSG_NONE, 0, NULL, 0, 0 },
	};
	size_t				 i;
	int				 st;

	for (i = 0; i < nitems(cases); i++) {
		st = in_child(send_child, &cases[i]);
		if (cases[i].ok)
			CHECK(LIVED(st), "chan_send of %s: status %#x, want "
			    "exit 0", cases[i].name, st);
		else
			CHECK(DIED(st), "chan_send of %s: status %#x, want "
			    "fatal", cases[i].name, st);
	}
}

/* chan_init takes only a table that covers what the peer may send. */
struct initcase {
	const char			*name;
	int				 self, peer;
	const struct msg_handler	*h;
	size_t				 n;
	int				 ok;
};

static void
init_child(const void *arg)
{
	const struct initcase	*tc = arg;
	struct chan		 c;
	int			 sp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
		_exit(2);
	chan_init(&c, sp[0], tc->self, tc->peer, PH_CONF, tc->h, tc->n, NULL,
	    NULL);
}

static void
init_checked(void)
{
	const struct initcase	 cases[] = {
		{ "the listener's table", PROC_LISTENER, PROC_PARENT,
		    ends[E_LISTENER].h, ends[E_LISTENER].n, 1 },
		{ "the parent's table for wrkrpop", PROC_PARENT, PROC_WRKRPOP,
		    NULL, 0, 1 },
		{ "a table without DRAIN", PROC_LISTENER, PROC_PARENT,
		    to_listener_short, nto_listener_short, 0 },
		{ "authpop's table with a message for others", PROC_AUTHPOP,
		    PROC_PARENT, to_authpop_extra, nto_authpop_extra, 0 },
		{ "authpop's table on the listener", PROC_LISTENER,
		    PROC_PARENT, ends[E_AUTHPOP].h, ends[E_AUTHPOP].n, 0 },
		{ "no table for authpop", PROC_PARENT, PROC_AUTHPOP, NULL, 0,
		    0 },
		{ "the parent's table for the wrong child", PROC_PARENT,
		    PROC_LISTENER, ends[E_PARENT_A].h, ends[E_PARENT_A].n, 0 },
	};
	size_t			 i;
	int			 st;

	for (i = 0; i < nitems(cases); i++) {
		st = in_child(init_child, &cases[i]);
		if (cases[i].ok)
			CHECK(LIVED(st), "chan_init with %s: status %#x, want "
			    "exit 0", cases[i].name, st);
		else
			CHECK(DIED(st), "chan_init with %s: status %#x, want "
			    "fatal", cases[i].name, st);
	}
}

/*
 * Every end's table, as msgends() derives it, is one chan_init takes:
 * checked first, as the other checks open these ends and die if not.
 */
static void
ends_checked(void)
{
	struct initcase	 tc;
	char		 name[64];
	size_t		 e;
	int		 st;

	for (e = 0; e < nitems(ends); e++) {
		(void)snprintf(name, sizeof(name), "%s's table for %s",
		    proc_str(ends[e].self), proc_str(ends[e].peer));
		tc = (struct initcase){ name, ends[e].self, ends[e].peer,
		    ends[e].h, ends[e].n, 1 };
		st = in_child(init_child, &tc);
		CHECK(LIVED(st), "chan_init with %s (%zu handlers): status "
		    "%#x, want exit 0", name, ends[e].n, st);
	}
}

/*
 * Every type between MSG_NONE and MSG_MAX is declared exactly once, in
 * full: a name (msg_type_str's), one sender, receivers other than it,
 * a validator, a size that fits, phases, and a next phase or none.
 */
static void
declarations(void)
{
	const struct msg_decl	*const *all, *d;
	size_t			 n, i;
	uint32_t		 t;
	int			 count, procs, phases;

	procs = PROC_PARENT | PROC_LISTENER | PROC_AUTHPOP | PROC_WRKRPOP |
	    PROC_LMTP | PROC_DLVRPOP | PROC_CONTROL | PROC_TABLE | PROC_ROUTE |
	    PROC_KEY | PROC_HTTP;
	phases = PH_START | PH_CONF | PH_RUN | PH_DRAIN | PH_SIGN;
	all = msg_decls(&n);
	CHECK(n == MSG_MAX - 1, "%zu declarations for %d types", n,
	    MSG_MAX - 1);
	for (i = 0; i < n; i++)
		CHECK(all[i]->type > MSG_NONE && all[i]->type < MSG_MAX,
		    "declaration %zu: type %u out of the enum", i, all[i]->type);
	for (t = MSG_NONE + 1; t < MSG_MAX; t++) {
		for (count = 0, i = 0; i < n; i++)
			if (all[i]->type == t)
				count++;
		CHECK(count == 1, "type %u: %d declarations", t, count);
		if (count != 1 || (d = msg_decl(t)) == NULL)
			continue;
		CHECK(d->type == t, "msg_decl(%u) is of type %u", t, d->type);
		CHECK(d->name != NULL && d->name[0] != '\0' &&
		    strcmp(msg_type_str(t), d->name) == 0,
		    "type %u: name \"%s\"", t, d->name ? d->name : "(null)");
		CHECK(d->valid != NULL, "%s: no validator", d->name);
		CHECK((d->from & procs) == d->from && d->from != 0 &&
		    (d->from & (d->from - 1)) == 0, "%s: sender %#x",
		    d->name, d->from);
		CHECK((d->to & procs) == d->to && d->to != 0 &&
		    (d->to & d->from) == 0, "%s: receivers %#x", d->name,
		    d->to);
		/*
		 * The parent talks to each child, children not to another
		 * but a listener and its keypop, the control process and a
		 * listener, authpop or routepop, tablepop and authpop or
		 * routepop, routepop and httppop, httppop and authpop, and
		 * the lmtp process and its dlvrpops.
		 */
		CHECK(d->from == PROC_PARENT || d->to == PROC_PARENT ||
		    (d->from | d->to) == (PROC_LISTENER | PROC_KEY) ||
		    (d->from | d->to) == (PROC_LISTENER | PROC_CONTROL) ||
		    (d->from | d->to) == (PROC_AUTHPOP | PROC_CONTROL) ||
		    (d->from | d->to) == (PROC_ROUTE | PROC_CONTROL) ||
		    (d->from | d->to) == (PROC_TABLE | PROC_AUTHPOP) ||
		    (d->from | d->to) == (PROC_TABLE | PROC_ROUTE) ||
		    (d->from | d->to) == (PROC_ROUTE | PROC_HTTP) ||
		    (d->from | d->to) == (PROC_HTTP | PROC_AUTHPOP) ||
		    (d->from | d->to) == (PROC_LMTP | PROC_DLVRPOP),
		    "%s: neither end is the parent", d->name);
		CHECK(d->size <= MSG_MAXPAYLOAD, "%s: %zu bytes, at most %d",
		    d->name, d->size, MSG_MAXPAYLOAD);
		CHECK(d->fd == MSG_FD || d->fd == MSG_NOFD, "%s: fd %d",
		    d->name, d->fd);
		CHECK(d->phases != 0 && (d->phases & phases) == d->phases,
		    "%s: phases %#x", d->name, d->phases);
		CHECK(d->next == 0 || d->next == PH_CONF ||
		    d->next == PH_RUN || d->next == PH_DRAIN ||
		    d->next == PH_SIGN,
		    "%s: next phase %#x", d->name, d->next);
		/* A message that moves the phase may arrive only before it. */
		CHECK(d->next == 0 || (d->phases & d->next) == 0,
		    "%s: moves to phase %#x, in which it may arrive again",
		    d->name, d->next);
	}
	CHECK(msg_decl(MSG_NONE) == NULL && msg_decl(MSG_MAX) == NULL,
	    "MSG_NONE and MSG_MAX are not messages");
	CHECK_STR(msg_type_str(MSG_AUTHPOP_LOGIN), "AUTHPOP_LOGIN");
	CHECK_STR(msg_type_str(MSG_PARENT_CONF_END), "PARENT_CONF_END");
	CHECK_STR(msg_type_str(12345), "UNKNOWN");
	CHECK_STR(proc_str(PROC_PARENT), "parent");
	CHECK_STR(proc_str(PROC_WRKRPOP), "wrkrpop");
	CHECK_STR(proc_str(PROC_CONTROL), "control");
	CHECK_STR(proc_str(PROC_TABLE), "tablepop");
	CHECK_STR(proc_str(PROC_ROUTE), "routepop");
	CHECK_STR(proc_str(PROC_KEY), "keypop");
	CHECK_STR(proc_str(PROC_HTTP), "httppop");
	CHECK_STR(proc_str(0x800), "unknown");
}

/* The listener's handler of MSG_PARENT_DRAIN in round_trip(). */
static int		drain_handled;
static uint32_t		drain_type;

static void
on_drain(struct chan *c, const void *data, int fd)
{
	drain_handled++;
	drain_type = c->intype;
	on_message(c, c->intype, data, fd);
}

/*
 * chan_send to chan_read: payload and descriptor arrive as sent, each
 * to its own entry of the table (DRAIN's handler is on_drain).
 */
static void
round_trip(void)
{
	struct chan		 a, b;
	struct msg_listen	 ml = { LISTEN_TLS, 3, 0, 0 };
	struct msg_handler	 h[MSG_MAX];
	size_t			 i, n;
	int			 sp[2], before;

	before = open_fds();
	reset();
	owned_fd = -1;
	drain_handled = 0;
	drain_type = MSG_NONE;
	n = msgends(PROC_LISTENER, PROC_PARENT, h, nitems(h));
	for (i = 0; i < n; i++)
		if (h[i].type == MSG_PARENT_DRAIN)
			h[i].fn = on_drain;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
		exit(2);
	open_end(&a, sp[0], E_PARENT_L, PH_RUN, 1);
	chan_init(&b, sp[1], PROC_LISTENER, PROC_PARENT, PH_RUN, h, n, on_eof,
	    NULL);
	b.bad = on_bad;
	chan_start(&a);
	chan_start(&b);
	chan_send(&a, MSG_PARENT_LISTEN, xpipe(), &ml, sizeof(ml));
	CHECK(a.phase == PH_RUN, "round trip: sender phase %#x after LISTEN",
	    a.phase);
	chan_send(&a, MSG_PARENT_DRAIN, -1, NULL, 0);
	CHECK(a.phase == PH_DRAIN, "round trip: sender phase %#x after DRAIN",
	    a.phase);
	(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);
	(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);
	CHECK(handled == 2 && bad_called == 0, "round trip: handled %d, "
	    "bad %d", handled, bad_called);
	CHECK(b.phase == PH_DRAIN, "round trip: receiver phase %#x, want "
	    "PH_DRAIN", b.phase);
	CHECK(handled_type == MSG_PARENT_DRAIN, "round trip: last %s",
	    msg_type_str(handled_type));
	CHECK(drain_handled == 1 && drain_type == MSG_PARENT_DRAIN,
	    "round trip: DRAIN's own handler ran %d times, for %s; want 1, "
	    "PARENT_DRAIN", drain_handled, msg_type_str(drain_type));
	chan_close(&a);
	chan_close(&b);
	CHECK(open_fds() == before + 1, "round trip: the handler owns one "
	    "descriptor (%d open, %d before)", open_fds(), before);
	close(owned_fd);
	CHECK(open_fds() == before, "round trip: %d open, %d before",
	    open_fds(), before);
}

/*
 * Before the event loop, chan_poll handles one message per call, so the
 * phase a message moves to is in place for the next one: a session right
 * behind the end of the configuration is taken.
 */
static void
poll_one(void)
{
	struct chan		 a, b;
	struct conf_settings	 set = settings_defaults;
	struct msg_session	 ms = { .id = 7, .flags = SESSION_TLS };
	int			 sp[2], before;

	before = open_fds();
	reset();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
		exit(2);
	open_end(&a, sp[0], E_PARENT_A, PH_START, 1);
	open_end(&b, sp[1], E_AUTHPOP, PH_START, 1);
	chan_send(&a, MSG_PARENT_CONF, -1, &set, sizeof(set));
	chan_send(&a, MSG_PARENT_CONF_END, -1, NULL, 0);
	chan_send(&a, MSG_PARENT_SESSION, xpipe(), &ms, sizeof(ms));
	CHECK(TAILQ_EMPTY(&a.outq) && a.outfds == 0 && a.phase == PH_RUN,
	    "poll: all sent before the loop, phase %#x", a.phase);
	chan_poll(&b);
	CHECK(handled == 1 && handled_type == MSG_PARENT_CONF &&
	    b.phase == PH_CONF, "poll 1: handled %d (%s), phase %#x", handled,
	    msg_type_str(handled_type), b.phase);
	CHECK(memcmp(handled_data, &set, sizeof(set)) == 0,
	    "poll 1: the settings as sent");
	chan_poll(&b);
	CHECK(handled == 2 && handled_type == MSG_PARENT_CONF_END &&
	    b.phase == PH_RUN, "poll 2: handled %d (%s), phase %#x", handled,
	    msg_type_str(handled_type), b.phase);
	chan_poll(&b);
	CHECK(handled == 3 && handled_type == MSG_PARENT_SESSION &&
	    handled_fd != -1 && b.fd != -1, "poll 3: handled %d (%s), fd %d",
	    handled, msg_type_str(handled_type), handled_fd);
	if (handled_fd != -1)
		close(handled_fd);
	chan_close(&a);
	chan_poll(&b);
	CHECK(eof_called == 1 && b.fd == -1, "poll 4: eof %d", eof_called);
	chan_close(&b);
	CHECK(open_fds() == before, "poll: %d open, %d before", open_fds(),
	    before);
}

/*
 * Out of descriptors ourselves: the kernel drops a message's descriptor
 * (MSG_CTRUNC).  That is not the peer's fault: the handler runs with -1
 * and the channel stays.  A message that must not carry one still is.
 */
static void
own_shortage(uint32_t type, const void *payload, size_t len, int ok)
{
	struct chan	 c;
	struct rlimit	 rl, low;
	int		 sp[2], hog[64], nhog = 0, fd, before;

	before = open_fds();
	reset();
	handled_fd = 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1 ||
	    getrlimit(RLIMIT_NOFILE, &rl) == -1)
		exit(2);
	open_end(&c, sp[0], E_LISTENER, PH_RUN, 1);
	chan_start(&c);
	send_msg(sp[1], type, payload, len, 1);
	/* Every descriptor below the limit taken: none left to receive. */
	low = rl;
	low.rlim_cur = open_fds() + 8;
	if (setrlimit(RLIMIT_NOFILE, &low) == -1)
		exit(2);
	while (nhog < (int)nitems(hog) && (fd = dup(sp[1])) != -1)
		hog[nhog++] = fd;
	(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);
	while (nhog > 0)
		close(hog[--nhog]);
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	if (ok) {
		CHECK(handled == 1 && handled_fd == -1 && bad_called == 0,
		    "own shortage, %s: handled %d with fd %d, bad %d; want 1, "
		    "-1, 0", msg_type_str(type), handled, handled_fd,
		    bad_called);
		CHECK(c.fd != -1, "own shortage: the channel stays open");
	} else
		CHECK(handled == 0 && bad_called == 1, "own shortage, %s "
		    "with a descriptor: handled %d, bad %d; want 0, 1",
		    msg_type_str(type), handled, bad_called);
	chan_close(&c);
	close(sp[1]);
	CHECK(open_fds() == before, "own shortage: %d open, %d before",
	    open_fds(), before);
}

int
main(void)
{
	const size_t	 H = sizeof(struct msg_hdr);
	const uint32_t	 V = MSG_VERSION;
	const uint32_t	 LS = sizeof(struct msg_listen);
	const uint32_t	 LD = sizeof(struct msg_lid);
	const uint32_t	 ID = sizeof(struct msg_id);
	const uint32_t	 SS = sizeof(struct msg_session);
	const uint32_t	 NS = sizeof(struct msg_newsession);
	const uint32_t	 LG = sizeof(struct msg_login);
	const uint32_t	 WK = sizeof(struct msg_worker);
	const uint32_t	 RF = sizeof(struct msg_refused);
	const uint32_t	 NW = sizeof(struct msg_newtab);
	const uint32_t	 AK = sizeof(struct msg_authkey);
	const uint32_t	 PK = sizeof(struct msg_pki);
	const uint32_t	 PX = sizeof(struct msg_proxy);
	const uint32_t	 CF = sizeof(struct conf_settings);
	const uint32_t	 PN = sizeof(struct msg_penalty);
	const uint32_t	 RC = sizeof(struct msg_rcpt);
	const uint32_t	 RO = sizeof(struct msg_rcptok);
	const uint32_t	 DL = sizeof(struct msg_deliver);
	const uint32_t	 DP = sizeof(struct msg_dlvrpop);
	const uint32_t	 JB = sizeof(struct msg_job);
	const uint32_t	 IN = sizeof(struct msg_intent);
	const uint32_t	 HR = sizeof(struct msg_httpreq);
	const uint32_t	 VD = sizeof(struct msg_verdict);
	const uint32_t	 DN = sizeof(struct msg_done);
	const uint32_t	 QT = sizeof(struct msg_quota);
	const uint32_t	 CR = sizeof(struct msg_cred);
	const uint32_t	 RT = sizeof(struct msg_route);
	const uint32_t	 AP = sizeof(struct msg_apps);
	const uint32_t	 QQ = sizeof(struct msg_ctlq);
	const uint32_t	 NT = sizeof(struct msg_net);
	const uint32_t	 CT = sizeof(struct msg_count);
	const uint32_t	 HS = sizeof(struct msg_handshakes);
	const uint32_t	 CP = sizeof(struct msg_ctlpeer);
	const struct msg_ctlpeer	 peer_l = { PROC_LISTENER, 100 };
	const struct msg_ctlpeer	 peer_a = { PROC_AUTHPOP, 100 };
	const struct msg_ctlpeer	 peer_p = { PROC_PARENT, 100 };
	const struct msg_ctlpeer	 peer_0 = { PROC_LISTENER, 0 };
	const struct msg_ctlpeer	 peer_t = { PROC_TABLE, 100 };
	const struct msg_ctlpeer	 peer_r = { PROC_ROUTE, 100 };
	const struct msg_ctlpeer	 peer_h = { PROC_HTTP, 100 };
	const uint32_t	 RV = sizeof(struct msg_routeval);
	const uint32_t	 CB = sizeof(struct msg_ctlbackend);
	const uint32_t	 KP = sizeof(struct msg_routepage);
	/* The route database's values: text, routepop parses them. */
	const struct msg_routeval	 rv = { .id = 1, .status = ROUTE_FOUND,
	    .value = "192.0.2.21, 2001:db8::21" };
	const struct msg_routeval	 rv_name = { .id = 1,
	    .status = ROUTE_FOUND, .value = "mail2.example.org" };
	const struct msg_routeval	 rv_none = { .id = 1,
	    .status = ROUTE_NONE };
	const struct msg_routeval	 rv_none_value = { .id = 1,
	    .status = ROUTE_NONE, .value = "192.0.2.21" };
	const struct msg_routeval	 rv_empty = { .id = 1,
	    .status = ROUTE_FOUND };
	const struct msg_routeval	 rv_ctl = { .id = 1,
	    .status = ROUTE_FOUND, .value = "192.0.2.21\r\n" };
	const struct msg_routeval	 rv_4 = { .id = 1,
	    .status = ROUTE_TEMP + 1 };
	static struct msg_routeval	 rv_unterm;
	const struct msg_ctlbackend	 cb = { .req = 1, .addr = "::1",
	    .health = HEALTH_DRAINING, .drained = 1, .age = -1 };
	const struct msg_ctlbackend	 cb_none = { .req = 1 };
	const struct msg_ctlbackend	 cb_none_users = { .req = 1,
	    .users = 5 };
	const struct msg_ctlbackend	 cb_more = { .req = 1, .addr = "::1",
	    .more = 2 };
	const struct msg_routepage	 kept = { .gen = 2, .run = 7 };
	const uint32_t	 PR = sizeof(struct msg_penalties);
	const uint32_t	 TK = sizeof(struct msg_ticket);
	const uint32_t	 RK = sizeof(struct msg_rekey);
	static struct msg_handshakes	 hs, hs_many, hs_more, hs_noaddr,
					 hs_index, hs_time;
	static struct msg_penalties	 prow, prow_many, prow_user, prow_af,
					 prow_delay, prow_unterm, prow_bits;
	const struct msg_net		 net = { .req = 1, .net = {
	    .af = AF_INET6, .addr = { 0x20, 0x01, 0x0d, 0xb8 }, .bits = 32 } };
	const struct msg_net		 net_bits = { .req = 1, .net = {
	    .af = AF_INET, .bits = 33 } };
	const struct msg_net		 net_af = { .req = 1 };
	const struct msg_net		 host = { .req = 1, .net = {
	    .af = AF_INET, .addr = { 192, 0, 2, 21 }, .bits = 32 } };
	const struct msg_lid		 kick_store = { 1, KICK_STORE };
	const struct msg_lid		 kick_why = { 1, KICK_STORE + 1 };
	const struct msg_count		 count = { .req = 1, .n = 3 };
	const struct msg_count		 count_pad = { .req = 1, .pad = 1 };
	const struct msg_count		 full = { .n = 1 };
	const struct msg_count		 full_two = { .n = 2 };
	const struct msg_newsession	 ns_listen = { .lid = 1,
	    .flags = SESSION_TLS, .listen = POPD_MAXLISTEN };
	const struct msg_newsession	 ns_since = { .lid = 1,
	    .flags = SESSION_TLS, .since = -1 };
	const struct msg_listen		 listen_index = { .flags = LISTEN_TLS,
	    .sock = POPD_MAXLISTEN };
	const uint32_t	 CQ = sizeof(struct msg_ctlreq);
	const uint32_t	 TA = sizeof(struct msg_tabans);
	const uint32_t	 LK = sizeof(struct msg_lookup);
	const uint32_t	 CA = sizeof(struct msg_ctlans);
	const uint32_t	 VB = sizeof(struct msg_verbose);
	static struct msg_ctlans	 ans_more, ans_ok, ans_err, ans_0,
					 ans_4, ans_long, ans_nul, ans_errnl,
					 ans_errempty;
	const struct msg_ctlreq		 creq = { .req = 1,
	    .cmd = CTL_SHOW_STATS };
	const struct msg_ctlreq		 creq_kick = { .req = 2,
	    .cmd = CTL_KICK_USER, .user = "alice@example.org" };
	const struct msg_ctlreq		 creq_kick_space = { .req = 2,
	    .cmd = CTL_KICK_USER, .user = "al ice" };
	const struct msg_ctlreq		 creq_kick_none = { .req = 2,
	    .cmd = CTL_KICK_USER };
	const struct msg_ctlreq		 creq_show_user = { .req = 2,
	    .cmd = CTL_SHOW_SESSIONS, .user = "alice" };
	const struct msg_ctlreq		 creq_quota = { .req = 2,
	    .cmd = CTL_SHOW_QUOTA, .user = "alice@example.org" };
	const struct msg_ctlreq		 creq_quota_none = { .req = 2,
	    .cmd = CTL_SHOW_QUOTA };
	const struct msg_ctlreq		 creq_net = { .req = 3,
	    .cmd = CTL_KICK_ADDRESS, .net = { .af = AF_INET,
	    .addr = { 192, 0, 2 }, .bits = 24 } };
	const struct msg_ctlreq		 creq_net6 = { .req = 3,
	    .cmd = CTL_UNPENALIZE, .net = { .af = AF_INET6,
	    .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 1 }, .bits = 128 } };
	const struct msg_ctlreq		 creq_net_host = { .req = 3,
	    .cmd = CTL_KICK_ADDRESS, .net = { .af = AF_INET,
	    .addr = { 192, 0, 2, 1 }, .bits = 24 } };
	const struct msg_ctlreq		 creq_net_bits = { .req = 3,
	    .cmd = CTL_UNPENALIZE, .net = { .af = AF_INET, .bits = 33 } };
	const struct msg_ctlreq		 creq_net_af = { .req = 3,
	    .cmd = CTL_UNPENALIZE, .net = { .af = 3, .bits = 8 } };
	const struct msg_ctlreq		 creq_net_v4tail = { .req = 3,
	    .cmd = CTL_UNPENALIZE, .net = { .af = AF_INET,
	    .addr = { 192, 0, 2, 1, 7 }, .bits = 32 } };
	const struct msg_ctlreq		 creq_show_net = { .req = 3,
	    .cmd = CTL_SHOW_PENALTIES, .net = { .af = AF_INET,
	    .bits = 0 } };
	const struct msg_ctlreq		 creq_since = { .req = 2,
	    .cmd = CTL_UNDELETE, .user = "alice", .since = -CTL_SINCE_AGO_MAX };
	const struct msg_ctlreq		 creq_since_min = { .req = 2,
	    .cmd = CTL_UNDELETE, .user = "alice", .since = INT64_MIN };
	const struct msg_ctlreq		 creq_since_past = { .req = 2,
	    .cmd = CTL_UNDELETE, .user = "alice",
	    .since = -CTL_SINCE_AGO_MAX - 1 };
	const struct msg_ctlreq		 creq_0 = { .req = 4 };
	const struct msg_ctlreq		 creq_13 = { .req = 4,
	    .cmd = CTL_MAX + 1 };
	const struct msg_ctlreq		 creq_pad = { .req = 4,
	    .cmd = CTL_RELOAD, .pad = 1 };
	const struct msg_verbose	 vb = { 2 };
	const struct msg_verbose	 vb_6 = { VERBOSE_MAX + 1 };
	const struct msg_verbose	 vb_neg = { -1 };
	const struct msg_listen		 listen_ctl = {
	    .flags = LISTEN_CONTROL | LISTEN_UNIX };
	static struct msg_penalty	 pen, pen_zero, pen_many, pen_fails,
					 pen_time, pen_unterm, pen_af;
	const struct msg_session	 sess = { .id = 1,
	    .flags = SESSION_STLS | SESSION_TRUSTED };
	const struct msg_session	 sess_flags = { .id = 1,
	    .flags = 0x80 };
	const struct msg_session	 sess_proxytrust = { .id = 1,
	    .flags = SESSION_TLS | SESSION_PROXYTRUST };
	const struct msg_session	 sess_addr = { .id = 1,
	    .flags = SESSION_TLS, .peer = { .af = AF_INET, .port = 1,
	    .a = { 192, 0, 2, 1, 1 } } };
	const struct msg_newsession	 ns = { .lid = 1, .flags = SESSION_TLS,
	    .peer = { .af = AF_INET6, .port = 995, .a = { 0x20, 0x01 } },
	    .local = { .af = AF_INET, .port = 995, .a = { 192, 0, 2, 21 } },
	    .tls = "TLSv1.3" };
	const struct msg_newsession	 ns_nolocal = { .lid = 1,
	    .flags = SESSION_TLS, .peer = { .af = AF_INET6, .port = 995,
	    .a = { 0x20, 0x01 } }, .tls = "TLSv1.3" };
	const struct msg_login		 login_ticket = { .id = 1,
	    .user = "alice", .nonce = 7 };
	const struct msg_login		 login_expired = { .id = 1,
	    .user = "alice", .nonce = 7, .expiry = 1 };
	const struct msg_login		 login_forever = { .id = 1,
	    .user = "alice", .nonce = 7, .expiry = INT64_MAX };
	const struct msg_newsession	 ns_both = { .lid = 1,
	    .flags = SESSION_TLS | SESSION_STLS };
	const struct msg_newsession	 ns_neither = { .lid = 1 };
	const struct msg_login		 login = { .id = 1,
	    .user = "alice@example.org" };
	const struct msg_login		 login_space = { .id = 1,
	    .user = "al ice" };
	const struct msg_login		 login_dash = { .id = 1,
	    .user = "-alice" };
	const struct msg_login		 login_empty = { .id = 1 };
	const struct msg_worker		 worker = { .user = "alice",
	    .maildir = "/home/alice/Maildir", .tls = "TLSv1.3", WSET };
	const struct msg_worker		 worker_rel = { .user = "alice",
	    .maildir = "Maildir", WSET };
	const struct msg_worker		 worker_user = { .user = "../alice",
	    .maildir = "/home/alice/Maildir", WSET };
	const struct msg_worker		 worker_flag = { .user = "alice",
	    .maildir = "/home/alice/Maildir", .flags = WORKER_ALL + 1, WSET };
	const struct msg_worker		 worker_app = { .user = "alice",
	    .maildir = "/home/alice/Maildir", .cred = "app:phone", WSET };
	const struct msg_worker		 worker_cred = { .user = "alice",
	    .maildir = "/home/alice/Maildir", .cred = "app:", WSET };
	const struct msg_worker		 worker_pw = { .user = "alice",
	    .maildir = "/home/alice/Maildir", .cred = "passwd", WSET };
	const struct msg_worker		 worker_junk = { .user = "alice",
	    .maildir = "/home/alice/Maildir", .junk = { .folder = "Spam",
	    .tag = JUNK_TAG_SUBJECT, .subject = "[SPAM] " }, WSET };
	const struct msg_worker		 worker_junk_up = { .user = "alice",
	    .maildir = "/home/alice/Maildir", .junk = { .folder = "a/../.." },
	    WSET };
	const struct msg_worker		 worker_junk_tag = { .user = "alice",
	    .maildir = "/home/alice/Maildir", .junk = { .folder = "Spam",
	    .tag = JUNK_TAG_SUBJECT }, WSET };
	const struct msg_worker		 worker_junk_report = { .user = "alice",
	    .maildir = "/home/alice/Maildir", .flags = WORKER_REPORT,
	    .junk = { .folder = "Spam" }, WSET };
	const struct msg_refused	 refused = { .id = 1,
	    .code = REFUSED_BUSY };
	const struct msg_refused	 refused_0 = { .id = 1 };
	const struct msg_refused	 refused_6 = { .id = 1,
	    .code = REFUSED_TICKET + 1 };
	const struct msg_refused	 refused_addr = { .id = 1,
	    .code = REFUSED_BUSY, .peer = { .af = AF_INET, .port = 1,
	    .a = { 192, 0, 2, 1, 1 } } };
	const struct msg_login		 login_app = { .id = 1,
	    .user = "alice", .app = "phone-2" };
	const struct msg_login		 login_applabel = { .id = 1,
	    .user = "alice", .app = "a b" };
	const struct msg_listen		 listen_flags = { .flags = LISTEN_ALL + 1 };
	const struct msg_listen		 listen_pki = { .flags = LISTEN_TLS,
	    .pki = POPD_MAXPKI };
	const struct msg_listen		 listen_uid = { .flags = LISTEN_TLS,
	    .uid = 1000 };
	const struct msg_pki		 pki = { .certlen = 1800 };
	const struct msg_pki		 pki_empty = { .certlen = 0 };
	const struct msg_pki		 pki_big = { .certlen = PKI_MAXFILE + 1 };
	const uint32_t	 KY = sizeof(struct msg_key);
	const uint32_t	 SG = sizeof(struct msg_sign);
	const uint32_t	 SD = sizeof(struct msg_signed);
	const struct msg_key		 key = { .len = 100 };
	const struct msg_key		 key_empty = { .len = 0 };
	const struct msg_key		 key_long = { .len = KEY_MAXPEM + 1 };
	const struct msg_sign		 sign_ec = { .kind = SIGN_ECDSA,
	    .len = 32 };
	const struct msg_sign		 sign_ec33 = { .kind = SIGN_ECDSA,
	    .len = 33 };
	const struct msg_sign		 sign_ec129 = { .kind = SIGN_ECDSA,
	    .len = 129 };
	const struct msg_sign		 sign_ec0 = { .kind = SIGN_ECDSA };
	const struct msg_sign		 sign_kind = { .kind = 4, .len = 32 };
	const struct msg_sign		 sign_raw = { .kind = SIGN_RSA_RAW,
	    .len = 256 };
	const struct msg_sign		 sign_raw127 = { .kind = SIGN_RSA_RAW,
	    .len = 127 };
	const struct msg_sign		 sign_raw1025 = { .kind = SIGN_RSA_RAW,
	    .len = 1025 };
	/* DigestInfo of SHA-384, then of MD5 (18 + 16: not 51/67/83). */
	const struct msg_sign		 sign_pkcs1 = { .kind = SIGN_RSA_PKCS1,
	    .len = 67, .in = { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60,
	    0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04,
	    0x30 } };
	const struct msg_sign		 sign_pkcs1_sha1 = {
	    .kind = SIGN_RSA_PKCS1, .len = 51, .in = { 0x30, 0x21, 0x30,
	    0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
	    0x14 } };
	const struct msg_sign		 sign_pkcs1_mix = {
	    .kind = SIGN_RSA_PKCS1, .len = 51, .in = { 0x30, 0x31, 0x30,
	    0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	    0x02, 0x05, 0x00, 0x04, 0x20 } };
	const struct msg_signed		 signed_ok = { .len = 64 };
	const struct msg_signed		 signed_long = {
	    .len = SIGN_MAXSIG + 1 };
	const struct msg_proxy		 proxy = { .net = { .af = AF_INET,
	    .addr = { 192, 0, 2 }, .bits = 24 }, .trusted = 1 };
	const struct msg_proxy		 proxy_bits = { .net = { .af = AF_INET,
	    .bits = 33 } };
	const struct msg_proxy		 proxy_af = { .net = { .af = 0 } };
	const struct msg_proxy		 proxy_trusted = { .net = {
	    .af = AF_INET6, .bits = 128 }, .trusted = 2 };
	const struct msg_cred		 cred = { .id = 1,
	    .status = CRED_FOUND, .hash = "$2b$04$YdByxKSiJ.4e00dW5oeBN./"
	    "JDD86S0BXGZETea57GhiFIf4iu2nQG" };
	const struct msg_cred		 cred_none = { .id = 1,
	    .status = CRED_NONE };
	const struct msg_cred		 cred_temp = { .id = 1,
	    .status = CRED_TEMP };
	const struct msg_cred		 cred_0 = { .id = 1 };
	const struct msg_cred		 cred_4 = { .id = 1,
	    .status = CRED_TEMP + 1 };
	const struct msg_cred		 cred_empty = { .id = 1,
	    .status = CRED_FOUND };
	const struct msg_cred		 cred_none_hash = { .id = 1,
	    .status = CRED_NONE, .hash = "$y$j9T$salt$hash" };
	const struct msg_route		 route = { .id = 1,
	    .status = ROUTE_FOUND, .addr = "2001:db8::21" };
	const struct msg_route		 route_none = { .id = 1,
	    .status = ROUTE_NONE };
	const struct msg_route		 route_name = { .id = 1,
	    .status = ROUTE_FOUND, .addr = "mail2.example.org" };
	const struct msg_route		 route_none_addr = { .id = 1,
	    .status = ROUTE_NONE, .addr = "192.0.2.21" };
	const struct msg_route		 route_4 = { .id = 1,
	    .status = ROUTE_TEMP + 1 };
	struct msg_route		 route_unterm;
	/* 8 KB each: not on the stack. */
	static const struct msg_apps	 apps = { .id = 1,
	    .status = CRED_FOUND, .recs = "phone hmac-sha256:00 x y any" };
	static const struct msg_apps	 apps_none = { .id = 1,
	    .status = CRED_NONE };
	static const struct msg_apps	 apps_none_recs = { .id = 1,
	    .status = CRED_NONE, .recs = "phone hmac-sha256:00 x y any" };
	const struct msg_rcpt		 rcpt = { .id = 1, .nkeys = 3,
	    .key = { "alice+news@example.org", "alice@example.org",
	    "alice" } };
	const struct msg_rcpt		 rcpt_space = { .id = 1, .nkeys = 1,
	    .key = { "al ice@example.org" } };
	const struct msg_rcpt		 rcpt_empty = { .id = 1 };
	const struct msg_rcpt		 rcpt_8bit = { .id = 1, .nkeys = 1,
	    .key = { "\xc3\xa9@example.org" } };
	const struct msg_rcpt		 rcpt_twice = { .id = 1, .nkeys = 2,
	    .key = { "alice", "alice" } };
	const struct msg_rcpt		 rcpt_past = { .id = 1, .nkeys = 1,
	    .key = { "alice", "bob" } };
	const struct msg_rcptok		 rcptok = { .id = 1, .ref = 5,
	    .status = RCPT_OK, .user = "alice", .uid = 1000, .gid = 1000,
	    .maildir = "/home/alice/Maildir", .bytes = 1024 };
	const struct msg_rcptok		 rcptok_nomaildir = { .id = 1,
	    .ref = 5, .status = RCPT_OK, .user = "alice" };
	const struct msg_rcptok		 rcptok_huge = { .id = 1, .ref = 5,
	    .status = RCPT_OK, .user = "alice",
	    .maildir = "/home/alice/Maildir",
	    .msgs = (uint64_t)INT64_MAX + 1 };
	const struct msg_rcptok		 rcptok_quota = { .id = 1,
	    .status = RCPT_QUOTA };
	const struct msg_rcptok		 rcptok_none_limit = { .id = 1,
	    .status = RCPT_NONE, .bytes = 1024 };
	const struct msg_rcptok		 rcptok_none_user = { .id = 1,
	    .status = RCPT_NONE, .user = "alice" };
	const struct msg_rcptok		 rcptok_bad_user = { .id = 1,
	    .ref = 5, .status = RCPT_OK, .user = "../alice",
	    .maildir = "/home/alice/Maildir" };
	const struct msg_rcptok		 rcptok_noref = { .id = 1,
	    .status = RCPT_OK, .user = "alice",
	    .maildir = "/home/alice/Maildir" };
	const struct msg_rcptok		 rcptok_none_ref = { .id = 1,
	    .ref = 5, .status = RCPT_NONE };
	const struct msg_rcptok		 rcptok_4 = { .id = 1,
	    .status = RCPT_MAX + 1 };
	const struct msg_deliver	 dlv = { .id = 1, .nrcpt = 2,
	    .ref = { 5, 6 } };
	const struct msg_deliver	 dlv_0 = { .id = 1 };
	const struct msg_deliver	 dlv_101 = { .id = 1,
	    .nrcpt = LMTP_MAXRCPT + 1 };
	const struct msg_deliver	 dlv_extra = { .id = 1, .nrcpt = 1,
	    .ref = { 5, 6 } };
	const struct msg_deliver	 dlv_bad = { .id = 1, .nrcpt = 2,
	    .ref = { 5, 0 } };
	const struct msg_dlvrpop	 dlvrpop = { .ref = 5, .pid = 42 };
	const struct msg_dlvrpop	 dlvrpop_neg = { .ref = 5, .pid = -1 };
	const struct msg_dlvrpop	 dlvrpop_pad = { .ref = 5, .pad = 1 };
	const struct msg_intent		 intent = { .job = 1,
	    .tmp = "1700000000.M1P2R3.host",
	    .new = "1700000000.M1P2R3.host,S=10,W=11" };
	const struct msg_intent		 intent_slash = { .job = 1,
	    .tmp = "../cur/x", .new = "y" };
	const struct msg_intent		 intent_dot = { .job = 1,
	    .tmp = "x", .new = ".." };
	const struct msg_intent		 intent_empty = { .job = 1,
	    .tmp = "x" };
	/* What httppop parsed, and what a compromised one might send. */
	const struct msg_httpreq	 hreq = { .method = 0, .protocol = 0,
	    .attempt = 1, .client = { .af = AF_INET, .a = { 192, 0, 2, 7 } },
	    .user = "alice", .pass = "pw one" };
	struct msg_httpreq		 hreq_method, hreq_attempt, hreq_user,
					 hreq_cr, hreq_unterm, hreq_flagged,
					 hreq_port, hreq_proto, hreq_flag2,
					 hreq_userunterm, hreq_passlong,
					 hreq_af, hreq_attempt2, hreq_noip;
	/* authpop's verdicts, and what a compromised one might send. */
	const struct msg_verdict	 vd_ok = { .id = 1, .verdict = HV_OK };
	const struct msg_verdict	 vd_okticket = { .id = 1, .sid = 7,
	    .verdict = HV_OKTICKET };
	const struct msg_verdict	 vd_ticket = { .id = 1,
	    .verdict = HV_TICKET, .ticket = "popd2.1764300000.0123abcd.ff" };
	const struct msg_verdict	 vd_noticket = { .id = 1,
	    .verdict = HV_TICKET };
	const struct msg_verdict	 vd_fail = { .id = 1,
	    .verdict = HV_FAIL, .wait = 3 };
	const struct msg_verdict	 vd_9 = { .id = 1,
	    .verdict = HV_METHOD + 1 };
	const struct msg_verdict	 vd_fail0 = { .id = 1,
	    .verdict = HV_FAIL };
	const struct msg_verdict	 vd_faillong = { .id = 1,
	    .verdict = HV_FAIL, .wait = HTTP_WAITMAX + 1 };
	const struct msg_verdict	 vd_tempwait = { .id = 1,
	    .verdict = HV_TEMP, .wait = 2 };
	const struct msg_verdict	 vd_okt = { .id = 1, .verdict = HV_OK,
	    .ticket = "popd2.1.2.3" };
	const struct msg_verdict	 vd_nosid = { .id = 1,
	    .verdict = HV_OKTICKET };
	const struct msg_verdict	 vd_oksid = { .id = 1, .sid = 7,
	    .verdict = HV_OK };
	const struct msg_verdict	 vd_ticketcr = { .id = 1,
	    .verdict = HV_TICKET, .ticket = "popd2.1\r\nX-Header: 1" };
	const struct msg_verdict	 vd_ticketsp = { .id = 1,
	    .verdict = HV_TICKET, .ticket = "popd2.1 2" };
	struct msg_verdict		 vd_ticketunterm;
	const struct msg_done		 done = { .job = 1, .status = DLV_OK };
	const struct msg_done		 done_4 = { .job = 1,
	    .status = DLV_MAX + 1 };
	const struct msg_done		 done_used = { .job = 1,
	    .status = DLV_QUOTA, .counted = 1, .bytes = 5, .msgs = 1,
	    .over = 1 };
	const struct msg_done		 done_counted2 = { .job = 1,
	    .status = DLV_OK, .counted = 2 };
	const struct msg_done		 done_overonly = { .job = 1,
	    .status = DLV_QUOTA, .over = 1 };
	const struct msg_done		 done_negative = { .job = 1,
	    .status = DLV_OK, .counted = 1, .bytes = -1, .msgs = 1 };
	const struct msg_done		 done_uncounted = { .job = 1,
	    .status = DLV_OK, .bytes = 5, .msgs = 1 };
	const struct msg_job		 job = { .job = 1 };
	const struct msg_quota		 quota = { .job = 1, .size = 5 };
	const struct msg_worker		 worker_dlv = { .user = "alice",
	    .maildir = "/home/alice/Maildir", .flags = WORKER_DELIVER, WSET };
	const struct msg_worker		 worker_dlv_limit = { .user = "alice",
	    .maildir = "/home/alice/Maildir", .flags = WORKER_DELIVER,
	    .qbytes = 1024, .qmsgs = 10, WSET };
	const struct msg_worker		 worker_session_limit = {
	    .user = "alice", .maildir = "/home/alice/Maildir",
	    .qbytes = 1024, WSET };
	const struct msg_worker		 worker_dlv_peer = { .user = "alice",
	    .maildir = "/home/alice/Maildir", .flags = WORKER_DELIVER,
	    .peer = { .af = AF_INET, .a = { 127, 0, 0, 1 } }, WSET };
	const struct msg_tabans		 tabans = { .id = 1,
	    .status = TABANS_FOUND, .value = "1000:1000:/home/alice" };
	const struct msg_tabans		 tabans_none_value = { .id = 1,
	    .status = TABANS_NONE, .value = "x" };
	const struct msg_tabans		 tabans_status = { .id = 1,
	    .status = TABANS_TEMP + 1 };
	const struct msg_lookup		 lookup = { .id = 1,
	    .service = TABLE_USERINFO, .table = "users", .key = "alice" };
	const struct msg_lookup		 lookup_svc = { .id = 1,
	    .service = 2, .table = "users", .key = "alice" };
	const struct msg_lookup		 lookup_nokey = { .id = 1,
	    .service = TABLE_CREDENTIALS, .table = "users" };
	struct msg_login		 login_unterm;
	struct msg_cred			 cred_unterm;
	struct msg_newtab		 newtab_kind = { .kind = 2 };
	const struct msg_newtab		 newtab_auth = { .kind = 0x41 };
	const struct msg_authkey	 authkey_apps = { .kind = AUTHKEY_APPS };
	const struct msg_authkey	 authkey_kind = { .kind = 2 };
	const struct msg_authkey	 authkey_pad = { .pad = 1 };
	struct conf_settings		 set = settings_defaults;
	struct conf_settings		 set_idle = settings_defaults;
	struct conf_settings		 set_unterm = settings_defaults;
	struct conf_settings		 set_delay = settings_defaults;
	static struct msg_worker	 wk_max, wk_min, wk_unterm, wk_uidl,
					 wk_nouidl, wk_last, wk_expire,
					 wk_expire_max, wk_delay, wk_delay_max,
					 wk_keep, wk_keep_max, wk_idle,
					 wk_idle_max, wk_bad, wk_bad_max,
					 wk_dlv_idle;
	const struct msgcase		 cases[] = {
		/* The datagram and its descriptors. */
		{ "listen with its socket", E_LISTENER, PH_RUN,
		    MSG_PARENT_LISTEN, V, LS, H, LS, 1, 1, 1, NULL },
		{ "drain", E_LISTENER, PH_RUN, MSG_PARENT_DRAIN, V, 0, H, 0,
		    0, 1, 1, NULL },
		{ "starttls", E_LISTENER, PH_RUN, MSG_PARENT_STARTTLS, V, LD,
		    H, LD, 0, 1, 1, NULL },
		{ "short header", E_LISTENER, PH_RUN, MSG_PARENT_DRAIN, V, 0,
		    3, 0, 0, 1, 0, NULL },
		{ "short header with a socket", E_LISTENER, PH_RUN,
		    MSG_PARENT_DRAIN, V, 0, 3, 0, 1, 1, 0, NULL },
		{ "payload too long", E_LISTENER, PH_RUN, MSG_PARENT_LISTEN,
		    V, LS + 4, H, LS + 4, 1, 1, 0, NULL },
		{ "payload too short", E_LISTENER, PH_RUN,
		    MSG_PARENT_STARTTLS, V, LD - 1, H, LD - 1, 0, 1, 0, NULL },
		{ "length not the datagram's", E_LISTENER, PH_RUN,
		    MSG_PARENT_STARTTLS, V, LD, H, LD + 2, 0, 1, 0, NULL },
		{ "wrong version", E_LISTENER, PH_RUN, MSG_PARENT_DRAIN,
		    V + 1, 0, H, 0, 0, 1, 0, NULL },
		{ "wrong version with a socket", E_LISTENER, PH_RUN,
		    MSG_PARENT_LISTEN, V + 1, LS, H, LS, 1, 1, 0, NULL },
		{ "the previous version", E_LISTENER, PH_RUN,
		    MSG_PARENT_DRAIN, V - 1, 0, H, 0, 0, 1, 0, NULL },
		{ "unknown type", E_LISTENER, PH_RUN, 99, V, 0, H, 0, 0, 1, 0,
		    NULL },
		{ "type MSG_NONE", E_LISTENER, PH_RUN, MSG_NONE, V, 0, H, 0,
		    0, 1, 0, NULL },
		{ "type MSG_MAX", E_LISTENER, PH_RUN, MSG_MAX, V, 0, H, 0, 0,
		    1, 0, NULL },
		{ "descriptor missing", E_LISTENER, PH_RUN, MSG_PARENT_LISTEN,
		    V, LS, H, LS, 0, 1, 0, NULL },
		{ "descriptor unexpected", E_LISTENER, PH_RUN,
		    MSG_PARENT_DRAIN, V, 0, H, 0, 1, 1, 0, NULL },
		{ "two descriptors", E_LISTENER, PH_RUN, MSG_PARENT_LISTEN, V,
		    LS, H, LS, 2, 1, 0, NULL },
		{ "two control messages", E_LISTENER, PH_RUN,
		    MSG_PARENT_LISTEN, V, LS, H, LS, 2, 2, 0, NULL },
		{ "four descriptors, no header", E_LISTENER, PH_RUN, 0, 0, 0,
		    0, 0, 4, 2, 0, NULL },
		{ "empty datagram with a descriptor", E_LISTENER, PH_RUN, 0,
		    0, 0, 0, 0, 1, 1, 0, NULL },

		/* The sender and the receiver. */
		{ "not from this sender", E_LISTENER, PH_RUN,
		    MSG_AUTHPOP_CLOSED, V, ID, H, ID, 0, 1, 0, NULL },
		{ "not to this receiver", E_LISTENER, PH_RUN,
		    MSG_PARENT_SESSION, V, SS, H, SS, 1, 1, 0, &sess },
		{ "the listener's message from authpop", E_PARENT_A, PH_RUN,
		    MSG_LISTENER_SESSION, V, NS, H, NS, 1, 1, 0, &ns },
		{ "authpop's message from the listener", E_PARENT_L, PH_RUN,
		    MSG_AUTHPOP_CLOSED, V, ID, H, ID, 0, 1, 0, NULL },
		{ "the parent's message to the parent", E_PARENT_A, PH_RUN,
		    MSG_PARENT_DRAIN, V, 0, H, 0, 0, 1, 0, NULL },
		{ "a worker to authpop", E_AUTHPOP, PH_CONF,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &worker },
		{ "a keypair to authpop", E_AUTHPOP, PH_CONF,
		    MSG_PARENT_CONF_PKI, V, PK, H, PK, 1, 1, 0, &pki },
		{ "the end of configuration to wrkrpop", E_WRKRPOP, PH_CONF,
		    MSG_PARENT_CONF_END, V, 0, H, 0, 0, 1, 0, NULL },

		/* keypop's, from the parent and from its listener. */
		{ "a key", E_KEY_P, PH_CONF, MSG_PARENT_CONF_KEY, V, KY, H, KY,
		    0, 1, 1, &key },
		{ "a key of no bytes", E_KEY_P, PH_CONF, MSG_PARENT_CONF_KEY,
		    V, KY, H, KY, 0, 1, 0, &key_empty },
		{ "a key longer than its buffer", E_KEY_P, PH_CONF,
		    MSG_PARENT_CONF_KEY, V, KY, H, KY, 0, 1, 0, &key_long },
		{ "a key once serving", E_KEY_P, PH_RUN, MSG_PARENT_CONF_KEY,
		    V, KY, H, KY, 0, 1, 0, &key },
		{ "a key to the listener", E_LISTENER, PH_CONF,
		    MSG_PARENT_CONF_KEY, V, KY, H, KY, 0, 1, 0, &key },
		{ "a key from the listener", E_KEY, PH_RUN,
		    MSG_PARENT_CONF_KEY, V, KY, H, KY, 0, 1, 0, &key },
		{ "an ECDSA request", E_KEY, PH_RUN, MSG_LISTENER_SIGN, V, SG,
		    H, SG, 0, 1, 1, &sign_ec },
		{ "a second request before the answer", E_KEY, PH_SIGN,
		    MSG_LISTENER_SIGN, V, SG, H, SG, 0, 1, 0, &sign_ec },
		{ "a request with a descriptor", E_KEY, PH_RUN,
		    MSG_LISTENER_SIGN, V, SG, H, SG, 1, 1, 0, &sign_ec },
		{ "a request one byte long", E_KEY, PH_RUN, MSG_LISTENER_SIGN,
		    V, SG + 1, H, SG + 1, 0, 1, 0, NULL },
		{ "an ECDSA digest of 33 bytes (keypop's to refuse)", E_KEY,
		    PH_RUN, MSG_LISTENER_SIGN, V, SG, H, SG, 0, 1, 1,
		    &sign_ec33 },
		{ "an ECDSA digest of 129 bytes", E_KEY, PH_RUN,
		    MSG_LISTENER_SIGN, V, SG, H, SG, 0, 1, 0, &sign_ec129 },
		{ "an empty ECDSA digest", E_KEY, PH_RUN,
		    MSG_LISTENER_SIGN, V, SG, H, SG, 0, 1, 0, &sign_ec0 },
		{ "a request of kind 4", E_KEY, PH_RUN, MSG_LISTENER_SIGN, V,
		    SG, H, SG, 0, 1, 0, &sign_kind },
		{ "a PSS block of 256 bytes", E_KEY, PH_RUN, MSG_LISTENER_SIGN,
		    V, SG, H, SG, 0, 1, 1, &sign_raw },
		{ "a PSS block of 127 bytes", E_KEY, PH_RUN, MSG_LISTENER_SIGN,
		    V, SG, H, SG, 0, 1, 0, &sign_raw127 },
		{ "a PSS block of 1025 bytes", E_KEY, PH_RUN,
		    MSG_LISTENER_SIGN, V, SG, H, SG, 0, 1, 0, &sign_raw1025 },
		{ "a SHA-384 DigestInfo", E_KEY, PH_RUN, MSG_LISTENER_SIGN, V,
		    SG, H, SG, 0, 1, 1, &sign_pkcs1 },
		/* keypop's to refuse (sigcheck.c): one handshake fails. */
		{ "a SHA-1 DigestInfo", E_KEY, PH_RUN, MSG_LISTENER_SIGN, V,
		    SG, H, SG, 0, 1, 1, &sign_pkcs1_sha1 },
		{ "a SHA-384 DigestInfo of SHA-256's length", E_KEY, PH_RUN,
		    MSG_LISTENER_SIGN, V, SG, H, SG, 0, 1, 1, &sign_pkcs1_mix },
		{ "an answer", E_LISTENER_K, PH_SIGN, MSG_KEY_SIGNED, V, SD, H,
		    SD, 0, 1, 1, &signed_ok },
		{ "an answer to no request", E_LISTENER_K, PH_RUN,
		    MSG_KEY_SIGNED, V, SD, H, SD, 0, 1, 0, &signed_ok },
		{ "an answer longer than its buffer", E_LISTENER_K, PH_SIGN,
		    MSG_KEY_SIGNED, V, SD, H, SD, 0, 1, 0, &signed_long },

		/* The phases. */
		{ "the configuration", E_LISTENER, PH_START, MSG_PARENT_CONF,
		    V, CF, H, CF, 0, 1, 1, &set },
		{ "the configuration twice", E_LISTENER, PH_CONF,
		    MSG_PARENT_CONF, V, CF, H, CF, 0, 1, 0, &set },
		{ "a keypair before the settings", E_LISTENER, PH_START,
		    MSG_PARENT_CONF_PKI, V, PK, H, PK, 1, 1, 0, &pki },
		{ "the end before the settings", E_AUTHPOP, PH_START,
		    MSG_PARENT_CONF_END, V, 0, H, 0, 0, 1, 0, NULL },
		{ "the settings to a wrkrpop", E_WRKRPOP, PH_START,
		    MSG_PARENT_CONF, V, CF, H, CF, 0, 1, 0, &set },
		{ "the settings to a dlvrpop", E_DLVRPOP, PH_START,
		    MSG_PARENT_CONF, V, CF, H, CF, 0, 1, 0, &set },
		{ "a session before the settings", E_AUTHPOP, PH_START,
		    MSG_PARENT_SESSION, V, SS, H, SS, 1, 1, 0, &sess },
		{ "a keypair", E_LISTENER, PH_CONF, MSG_PARENT_CONF_PKI, V, PK,
		    H, PK, 1, 1, 1, &pki },
		{ "a proxy", E_LISTENER, PH_CONF, MSG_PARENT_CONF_PROXY, V, PX,
		    H, PX, 0, 1, 1, &proxy },
		{ "the end of the configuration", E_AUTHPOP, PH_CONF,
		    MSG_PARENT_CONF_END, V, 0, H, 0, 0, 1, 1, NULL },
		{ "the worker", E_WRKRPOP, PH_START, MSG_PARENT_WORKER, V, WK,
		    H, WK, 0, 1, 1, &worker },
		{ "a session", E_AUTHPOP, PH_RUN, MSG_PARENT_SESSION, V, SS,
		    H, SS, 1, 1, 1, &sess },
		{ "a session to a draining authpop", E_AUTHPOP, PH_DRAIN,
		    MSG_PARENT_SESSION, V, SS, H, SS, 1, 1, 0, &sess },
		{ "a session before the configuration ends", E_AUTHPOP,
		    PH_CONF, MSG_PARENT_SESSION, V, SS, H, SS, 1, 1, 0,
		    &sess },
		{ "listen during the configuration", E_LISTENER, PH_CONF,
		    MSG_PARENT_LISTEN, V, LS, H, LS, 1, 1, 0, NULL },
		{ "the configuration after its end", E_LISTENER, PH_RUN,
		    MSG_PARENT_CONF, V, CF, H, CF, 0, 1, 0, &set },
		{ "a keypair after the end", E_LISTENER, PH_RUN,
		    MSG_PARENT_CONF_PKI, V, PK, H, PK, 1, 1, 0, &pki },
		{ "the end of the configuration twice", E_LISTENER, PH_RUN,
		    MSG_PARENT_CONF_END, V, 0, H, 0, 0, 1, 0, NULL },
		{ "a second worker", E_WRKRPOP, PH_RUN, MSG_PARENT_WORKER, V,
		    WK, H, WK, 0, 1, 0, &worker },
		{ "drain before the configuration ends", E_LISTENER, PH_CONF,
		    MSG_PARENT_DRAIN, V, 0, H, 0, 0, 1, 0, NULL },
		{ "drain twice", E_AUTHPOP, PH_DRAIN, MSG_PARENT_DRAIN, V, 0,
		    H, 0, 0, 1, 0, NULL },
		{ "refused while draining", E_AUTHPOP, PH_DRAIN,
		    MSG_PARENT_REFUSED, V, RF, H, RF, 1, 1, 1, &refused },
		{ "refused without its socket", E_AUTHPOP, PH_RUN,
		    MSG_PARENT_REFUSED, V, RF, H, RF, 0, 1, 0, &refused },
		{ "starttls to a draining listener", E_LISTENER, PH_DRAIN,
		    MSG_PARENT_STARTTLS, V, LD, H, LD, 0, 1, 1, NULL },
		{ "a session from a draining listener", E_PARENT_L, PH_DRAIN,
		    MSG_LISTENER_SESSION, V, NS, H, NS, 1, 1, 1, &ns },
		{ "a session from an unconfigured listener", E_PARENT_L,
		    PH_CONF, MSG_LISTENER_SESSION, V, NS, H, NS, 1, 1, 0,
		    &ns },
		{ "a login from a draining authpop", E_PARENT_A, PH_DRAIN,
		    MSG_AUTHPOP_LOGIN, V, LG, H, LG, 1, 1, 1, &login },
		{ "a session without the address it came to", E_PARENT_L,
		    PH_RUN, MSG_LISTENER_SESSION, V, NS, H, NS, 1, 1, 0,
		    &ns_nolocal },
		{ "a ticket's nonce without its expiry", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_LOGIN, V, LG, H, LG, 1, 1, 0, &login_ticket },
		{ "a ticket that expired", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_LOGIN, V, LG, H, LG, 1, 1, 1, &login_expired },
		{ "a ticket that never expires (kept for good by spent.c)",
		    E_PARENT_A, PH_RUN, MSG_AUTHPOP_LOGIN, V, LG, H, LG, 1, 1,
		    0, &login_forever },

		/* The fields: each declaration's validator. */
		{ "a session with unknown flags", E_AUTHPOP, PH_RUN,
		    MSG_PARENT_SESSION, V, SS, H, SS, 1, 1, 0, &sess_flags },
		{ "a session with the listener's proxy flag", E_AUTHPOP,
		    PH_RUN, MSG_PARENT_SESSION, V, SS, H, SS, 1, 1, 0,
		    &sess_proxytrust },
		{ "a session from an IPv4 address of 5 bytes", E_AUTHPOP,
		    PH_RUN, MSG_PARENT_SESSION, V, SS, H, SS, 1, 1, 0,
		    &sess_addr },
		{ "a new session over TLS and STLS", E_PARENT_L, PH_RUN,
		    MSG_LISTENER_SESSION, V, NS, H, NS, 1, 1, 0, &ns_both },
		{ "a new session over neither", E_PARENT_L, PH_RUN,
		    MSG_LISTENER_SESSION, V, NS, H, NS, 1, 1, 0, &ns_neither },
		{ "a login", E_PARENT_A, PH_RUN, MSG_AUTHPOP_LOGIN, V, LG, H,
		    LG, 1, 1, 1, &login },
		{ "a login of an unterminated name", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_LOGIN, V, LG, H, LG, 1, 1, 0, &login_unterm },
		{ "a login of a name with a space", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_LOGIN, V, LG, H, LG, 1, 1, 0, &login_space },
		{ "a login of a name like an option", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_LOGIN, V, LG, H, LG, 1, 1, 0, &login_dash },
		{ "a login of no name", E_PARENT_A, PH_RUN, MSG_AUTHPOP_LOGIN,
		    V, LG, H, LG, 1, 1, 0, &login_empty },
		{ "a worker in a relative maildir", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &worker_rel },
		{ "a worker of an invalid name", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &worker_user },
		{ "a worker with an unknown flag", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &worker_flag },
		{ "a worker of an app password", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 1, &worker_app },
		{ "a worker of an app password without its label",
		    E_WRKRPOP, PH_START, MSG_PARENT_WORKER, V, WK, H, WK, 0, 1,
		    0, &worker_cred },
		{ "a worker of an unknown credential", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &worker_pw },
		{ "a session with its own junk folder", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 1, &worker_junk },
		{ "a junk folder out of the maildir", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &worker_junk_up },
		{ "a junk subject tag without a prefix", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0,
		    &worker_junk_tag },
		{ "a junk folder for popd -m's report", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0,
		    &worker_junk_report },
		/* A worker's settings, each in settings_check's range. */
		{ "a worker's settings at their limits", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 1, &wk_max },
		{ "a worker's settings at their other limits", E_WRKRPOP,
		    PH_START, MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 1,
		    &wk_min },
		{ "a worker with an unterminated uidl-format", E_WRKRPOP,
		    PH_START, MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0,
		    &wk_unterm },
		{ "a worker with uidl-format %g", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &wk_uidl },
		{ "a worker with no uidl-format", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &wk_nouidl },
		{ "a worker with last 2", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &wk_last },
		{ "a worker with expire -2", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &wk_expire },
		{ "a worker with expire 36501", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &wk_expire_max },
		{ "a worker with login-delay -1", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &wk_delay },
		{ "a worker with login-delay 86401", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &wk_delay_max },
		{ "a worker with deleted keep -1", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &wk_keep },
		{ "a worker with deleted keep over 366 days", E_WRKRPOP,
		    PH_START, MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0,
		    &wk_keep_max },
		{ "a worker with timeout idle 599", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &wk_idle },
		{ "a worker with timeout idle 86401", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &wk_idle_max },
		{ "a worker with limit bad-commands 0", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, &wk_bad },
		{ "a worker with limit bad-commands 1000001", E_WRKRPOP,
		    PH_START, MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0,
		    &wk_bad_max },
		{ "a delivery worker with timeout idle 599", E_DLVRPOP,
		    PH_START, MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0,
		    &wk_dlv_idle },
		{ "refused with code 0", E_AUTHPOP, PH_RUN, MSG_PARENT_REFUSED,
		    V, RF, H, RF, 1, 1, 0, &refused_0 },
		{ "refused with code 7", E_AUTHPOP, PH_RUN,
		    MSG_PARENT_REFUSED, V, RF, H, RF, 1, 1, 0, &refused_6 },
		{ "refused from an IPv4 address of 5 bytes", E_AUTHPOP,
		    PH_RUN, MSG_PARENT_REFUSED, V, RF, H, RF, 1, 1, 0,
		    &refused_addr },
		{ "a login with an app password", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_LOGIN, V, LG, H, LG, 1, 1, 1, &login_app },
		{ "a login with an app password of no label", E_PARENT_A,
		    PH_RUN, MSG_AUTHPOP_LOGIN, V, LG, H, LG, 1, 1, 0,
		    &login_applabel },
		{ "a reload's table of usertab's kind", E_AUTHPOP,
		    PH_DRAIN, MSG_PARENT_TABLE, V, NW, H, NW, 1, 1, 0,
		    &newtab_kind },
		{ "a reload's authtab to a draining authpop", E_AUTHPOP,
		    PH_DRAIN, MSG_PARENT_TABLE, V, NW, H, NW, 1, 1, 1,
		    &newtab_auth },
		{ "a reload's authtab without its descriptor", E_AUTHPOP,
		    PH_DRAIN, MSG_PARENT_TABLE, V, NW, H, NW, 0, 0, 0,
		    &newtab_auth },
		{ "app passwords' image with the settings", E_AUTHPOP,
		    PH_CONF, MSG_PARENT_TABLE, V, NW, H, NW, 1, 1, 1, NULL },
		{ "app passwords' image before the settings", E_AUTHPOP,
		    PH_START, MSG_PARENT_TABLE, V, NW, H, NW, 1, 1, 0, NULL },
		{ "a ticket key with the settings", E_AUTHPOP, PH_CONF,
		    MSG_PARENT_AUTHKEY, V, AK, H, AK, 1, 1, 1, NULL },
		{ "an app-passwords key with the settings", E_AUTHPOP,
		    PH_CONF, MSG_PARENT_AUTHKEY, V, AK, H, AK, 1, 1, 1,
		    &authkey_apps },
		{ "a key of kind 2", E_AUTHPOP, PH_CONF, MSG_PARENT_AUTHKEY,
		    V, AK, H, AK, 1, 1, 0, &authkey_kind },
		{ "a key with padding", E_AUTHPOP, PH_CONF,
		    MSG_PARENT_AUTHKEY, V, AK, H, AK, 1, 1, 0, &authkey_pad },
		{ "a key without its descriptor", E_AUTHPOP, PH_CONF,
		    MSG_PARENT_AUTHKEY, V, AK, H, AK, 0, 0, 0, &authkey_apps },
		{ "a key once serving", E_AUTHPOP, PH_RUN, MSG_PARENT_AUTHKEY,
		    V, AK, H, AK, 1, 1, 0, &authkey_apps },
		{ "a key to the listener", E_LISTENER, PH_CONF,
		    MSG_PARENT_AUTHKEY, V, AK, H, AK, 1, 1, 0, &authkey_apps },
		{ "listen with an unknown flag", E_LISTENER, PH_RUN,
		    MSG_PARENT_LISTEN, V, LS, H, LS, 1, 1, 0, &listen_flags },
		{ "listen with keypair 16", E_LISTENER, PH_RUN,
		    MSG_PARENT_LISTEN, V, LS, H, LS, 1, 1, 0, &listen_pki },
		{ "listen on an address with a user", E_LISTENER, PH_RUN,
		    MSG_PARENT_LISTEN, V, LS, H, LS, 1, 1, 0, &listen_uid },
		{ "a certificate of no bytes", E_LISTENER, PH_CONF,
		    MSG_PARENT_CONF_PKI, V, PK, H, PK, 1, 1, 0, &pki_empty },
		{ "a certificate over PKI_MAXFILE", E_LISTENER, PH_CONF,
		    MSG_PARENT_CONF_PKI, V, PK, H, PK, 1, 1, 0, &pki_big },
		{ "a certificate without its file", E_LISTENER, PH_CONF,
		    MSG_PARENT_CONF_PKI, V, PK, H, PK, 0, 1, 0, &pki },
		{ "a proxy of prefix 33", E_LISTENER, PH_CONF,
		    MSG_PARENT_CONF_PROXY, V, PX, H, PX, 0, 1, 0, &proxy_bits },
		{ "a proxy of no family", E_LISTENER, PH_CONF,
		    MSG_PARENT_CONF_PROXY, V, PX, H, PX, 0, 1, 0, &proxy_af },
		{ "a proxy trusted 2", E_LISTENER, PH_CONF,
		    MSG_PARENT_CONF_PROXY, V, PX, H, PX, 0, 1, 0,
		    &proxy_trusted },
		{ "the configuration with timeout idle 599", E_AUTHPOP,
		    PH_START, MSG_PARENT_CONF, V, CF, H, CF, 0, 1, 0,
		    &set_idle },
		{ "the configuration with an unterminated authtab", E_AUTHPOP,
		    PH_START, MSG_PARENT_CONF, V, CF, H, CF, 0, 1, 0,
		    &set_unterm },
		{ "the configuration with failure-delay 10s 5s", E_LMTP,
		    PH_START, MSG_PARENT_CONF, V, CF, H, CF, 0, 1, 0,
		    &set_delay },
		{ "penalties", E_AUTHPOP, PH_RUN, MSG_PARENT_PENALTY, V, PN,
		    H, PN, 0, 1, 1, &pen },
		{ "penalties to a draining authpop", E_AUTHPOP, PH_DRAIN,
		    MSG_PARENT_PENALTY, V, PN, H, PN, 0, 1, 0, &pen },
		{ "penalties from a draining authpop", E_PARENT_A, PH_DRAIN,
		    MSG_AUTHPOP_PENALTY, V, PN, H, PN, 0, 1, 1, &pen },
		{ "penalties from a serving authpop", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_PENALTY, V, PN, H, PN, 0, 1, 0, &pen },
		{ "ready from a serving authpop", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_READY, V, 0, H, 0, 0, 1, 1, NULL },
		{ "ready from a draining authpop", E_PARENT_A, PH_DRAIN,
		    MSG_AUTHPOP_READY, V, 0, H, 0, 0, 1, 0, NULL },
		{ "ready with a payload", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_READY, V, 4, H, 4, 0, 1, 0, NULL },
		{ "ready with a descriptor", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_READY, V, 0, H, 0, 1, 1, 0, NULL },
		{ "a lookup from a serving authpop", E_TABLE_A, PH_RUN,
		    MSG_AUTHPOP_LOOKUP, V, LG, H, LG, 0, 1, 1, &login },
		{ "a lookup from a draining authpop", E_TABLE_A, PH_DRAIN,
		    MSG_AUTHPOP_LOOKUP, V, LG, H, LG, 0, 1, 1, &login },
		{ "a lookup of an unterminated name", E_TABLE_A, PH_RUN,
		    MSG_AUTHPOP_LOOKUP, V, LG, H, LG, 0, 1, 0, &login_unterm },
		{ "a lookup of a name with a space", E_TABLE_A, PH_RUN,
		    MSG_AUTHPOP_LOOKUP, V, LG, H, LG, 0, 1, 0, &login_space },
		{ "a lookup of no name", E_TABLE_A, PH_RUN,
		    MSG_AUTHPOP_LOOKUP, V, LG, H, LG, 0, 1, 0, &login_empty },
		{ "a lookup with a descriptor", E_TABLE_A, PH_RUN,
		    MSG_AUTHPOP_LOOKUP, V, LG, H, LG, 1, 1, 0, &login },
		{ "a lookup to authpop", E_AUTHPOP_T, PH_RUN,
		    MSG_AUTHPOP_LOOKUP, V, LG, H, LG, 0, 1, 0, &login },
		{ "a hash to a serving authpop", E_AUTHPOP_T, PH_RUN,
		    MSG_TABLE_CRED, V, CR, H, CR, 0, 1, 1, &cred },
		{ "a hash to a draining authpop", E_AUTHPOP_T, PH_DRAIN,
		    MSG_TABLE_CRED, V, CR, H, CR, 0, 1, 1, &cred },
		{ "no such user", E_AUTHPOP_T, PH_RUN, MSG_TABLE_CRED, V, CR,
		    H, CR, 0, 1, 1, &cred_none },
		{ "a table that could not say", E_AUTHPOP_T, PH_DRAIN,
		    MSG_TABLE_CRED, V, CR, H, CR, 0, 1, 1, &cred_temp },
		{ "a credential of status 0", E_AUTHPOP_T, PH_RUN,
		    MSG_TABLE_CRED, V, CR, H, CR, 0, 1, 0, &cred_0 },
		{ "a credential of status 4", E_AUTHPOP_T, PH_RUN,
		    MSG_TABLE_CRED, V, CR, H, CR, 0, 1, 0, &cred_4 },
		{ "a credential found with no hash", E_AUTHPOP_T, PH_RUN,
		    MSG_TABLE_CRED, V, CR, H, CR, 0, 1, 0, &cred_empty },
		{ "no such user with a hash", E_AUTHPOP_T, PH_RUN,
		    MSG_TABLE_CRED, V, CR, H, CR, 0, 1, 0, &cred_none_hash },
		{ "a credential of an unterminated hash", E_AUTHPOP_T, PH_RUN,
		    MSG_TABLE_CRED, V, CR, H, CR, 0, 1, 0, &cred_unterm },
		{ "a credential with a descriptor", E_AUTHPOP_T, PH_RUN,
		    MSG_TABLE_CRED, V, CR, H, CR, 1, 1, 0, &cred },
		{ "a credential one byte short", E_AUTHPOP_T, PH_RUN,
		    MSG_TABLE_CRED, V, CR - 1, H, CR - 1, 0, 1, 0, &cred },
		{ "a credential from authpop", E_TABLE_A, PH_RUN,
		    MSG_TABLE_CRED, V, CR, H, CR, 0, 1, 0, &cred },
		/* Password hashes: authpop and tablepop, no root. */
		{ "a lookup to the parent", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_LOOKUP, V, LG, H, LG, 0, 1, 0, &login },
		{ "a hash from the parent", E_AUTHPOP, PH_RUN,
		    MSG_TABLE_CRED, V, CR, H, CR, 0, 1, 0, &cred },
		/* auth_http's routes: httppop and routepop, no root. */
		{ "a route to a draining httppop", E_HTTP_R, PH_DRAIN,
		    MSG_ROUTE_ANSWER, V, RT, H, RT, 0, 1, 1, &route },
		{ "no route", E_HTTP_R, PH_RUN, MSG_ROUTE_ANSWER, V, RT, H,
		    RT, 0, 1, 1, &route_none },
		{ "a route to a host name", E_HTTP_R, PH_RUN,
		    MSG_ROUTE_ANSWER, V, RT, H, RT, 0, 1, 0, &route_name },
		{ "no route with an address", E_HTTP_R, PH_RUN,
		    MSG_ROUTE_ANSWER, V, RT, H, RT, 0, 1, 0, &route_none_addr },
		{ "a route of status 4", E_HTTP_R, PH_RUN, MSG_ROUTE_ANSWER,
		    V, RT, H, RT, 0, 1, 0, &route_4 },
		{ "a route of an unterminated address", E_HTTP_R, PH_RUN,
		    MSG_ROUTE_ANSWER, V, RT, H, RT, 0, 1, 0, &route_unterm },
		{ "a route to authpop", E_AUTHPOP_T, PH_RUN,
		    MSG_ROUTE_ANSWER, V, RT, H, RT, 0, 1, 0, &route },
		{ "a route from the parent", E_HTTP, PH_RUN,
		    MSG_ROUTE_ANSWER, V, RT, H, RT, 0, 1, 0, &route },
		{ "a route from httppop", E_ROUTE_H, PH_RUN,
		    MSG_ROUTE_ANSWER, V, RT, H, RT, 0, 1, 0, &route },
		{ "a route asked by httppop", E_ROUTE_H, PH_RUN,
		    MSG_HTTP_ROUTE, V, LG, H, LG, 0, 1, 1, &login },
		{ "a route asked by a draining httppop", E_ROUTE_H, PH_DRAIN,
		    MSG_HTTP_ROUTE, V, LG, H, LG, 0, 1, 1, &login },
		{ "a route asked of an invalid name", E_ROUTE_H, PH_RUN,
		    MSG_HTTP_ROUTE, V, LG, H, LG, 0, 1, 0, &login_space },
		{ "a route asked by authpop", E_TABLE_A, PH_RUN,
		    MSG_HTTP_ROUTE, V, LG, H, LG, 0, 1, 0, &login },
		{ "a route asked of the parent", E_PARENT_A, PH_RUN,
		    MSG_HTTP_ROUTE, V, LG, H, LG, 0, 1, 0, &login },
		/* A route database's values: routepop and tablepop. */
		{ "a route value asked", E_TABLE_R, PH_RUN, MSG_ROUTE_LOOKUP,
		    V, LG, H, LG, 0, 1, 1, &login },
		{ "a route value asked of a draining tablepop", E_TABLE_R,
		    PH_DRAIN, MSG_ROUTE_LOOKUP, V, LG, H, LG, 0, 1, 1, &login },
		{ "a route value asked of an invalid name", E_TABLE_R, PH_RUN,
		    MSG_ROUTE_LOOKUP, V, LG, H, LG, 0, 1, 0, &login_space },
		{ "a route value asked by authpop", E_TABLE_A, PH_RUN,
		    MSG_ROUTE_LOOKUP, V, LG, H, LG, 0, 1, 0, &login },
		{ "a route value asked by httppop", E_ROUTE_H, PH_RUN,
		    MSG_ROUTE_LOOKUP, V, LG, H, LG, 0, 1, 0, &login },
		{ "a route value", E_ROUTE_T, PH_RUN, MSG_TABLE_ROUTEVAL, V,
		    RV, H, RV, 0, 1, 1, &rv },
		{ "a route value to a draining routepop", E_ROUTE_T, PH_DRAIN,
		    MSG_TABLE_ROUTEVAL, V, RV, H, RV, 0, 1, 1, &rv },
		{ "a route value of a host name", E_ROUTE_T, PH_RUN,
		    MSG_TABLE_ROUTEVAL, V, RV, H, RV, 0, 1, 1, &rv_name },
		{ "no route value", E_ROUTE_T, PH_RUN, MSG_TABLE_ROUTEVAL, V,
		    RV, H, RV, 0, 1, 1, &rv_none },
		{ "no route value with a value", E_ROUTE_T, PH_RUN,
		    MSG_TABLE_ROUTEVAL, V, RV, H, RV, 0, 1, 0, &rv_none_value },
		{ "an empty route value", E_ROUTE_T, PH_RUN,
		    MSG_TABLE_ROUTEVAL, V, RV, H, RV, 0, 1, 0, &rv_empty },
		{ "a route value with CR LF", E_ROUTE_T, PH_RUN,
		    MSG_TABLE_ROUTEVAL, V, RV, H, RV, 0, 1, 0, &rv_ctl },
		{ "a route value of status 4", E_ROUTE_T, PH_RUN,
		    MSG_TABLE_ROUTEVAL, V, RV, H, RV, 0, 1, 0, &rv_4 },
		{ "an unterminated route value", E_ROUTE_T, PH_RUN,
		    MSG_TABLE_ROUTEVAL, V, RV, H, RV, 0, 1, 0, &rv_unterm },
		{ "a route value one byte short", E_ROUTE_T, PH_RUN,
		    MSG_TABLE_ROUTEVAL, V, RV - 1, H, RV - 1, 0, 1, 0, &rv },
		{ "a route value with a descriptor", E_ROUTE_T, PH_RUN,
		    MSG_TABLE_ROUTEVAL, V, RV, H, RV, 1, 1, 0, &rv },
		{ "a route value to httppop", E_HTTP_R, PH_RUN,
		    MSG_TABLE_ROUTEVAL, V, RV, H, RV, 0, 1, 0, &rv },
		{ "a route value from the parent", E_ROUTE, PH_RUN,
		    MSG_TABLE_ROUTEVAL, V, RV, H, RV, 0, 1, 0, &rv },
		/* A database's app passwords: authpop and tablepop too. */
		{ "app passwords to a draining authpop", E_AUTHPOP_T,
		    PH_DRAIN, MSG_TABLE_APPS, V, AP, H, AP, 0, 1, 1, &apps },
		{ "no app passwords", E_AUTHPOP_T, PH_RUN, MSG_TABLE_APPS,
		    V, AP, H, AP, 0, 1, 1, &apps_none },
		{ "no app passwords with records", E_AUTHPOP_T, PH_RUN,
		    MSG_TABLE_APPS, V, AP, H, AP, 0, 1, 0, &apps_none_recs },
		{ "app passwords from the parent", E_AUTHPOP, PH_RUN,
		    MSG_TABLE_APPS, V, AP, H, AP, 0, 1, 0, &apps },
		{ "app passwords asked by authpop", E_TABLE_A, PH_RUN,
		    MSG_AUTHPOP_APPS, V, LG, H, LG, 0, 1, 1, &login },
		{ "app passwords asked of an invalid name", E_TABLE_A,
		    PH_RUN, MSG_AUTHPOP_APPS, V, LG, H, LG, 0, 1, 0,
		    &login_space },
		{ "app passwords asked of the parent", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_APPS, V, LG, H, LG, 0, 1, 0, &login },
		{ "a channel to tablepop", E_AUTHPOP, PH_RUN,
		    MSG_PARENT_TABLECHAN, V, 0, H, 0, 1, 1, 1, NULL },
		{ "a channel to tablepop for routepop", E_ROUTE, PH_RUN,
		    MSG_PARENT_TABLECHAN, V, 0, H, 0, 1, 1, 1, NULL },
		{ "a channel to tablepop for httppop", E_HTTP, PH_RUN,
		    MSG_PARENT_TABLECHAN, V, 0, H, 0, 1, 1, 0, NULL },
		{ "a channel to tablepop without its descriptor", E_AUTHPOP,
		    PH_RUN, MSG_PARENT_TABLECHAN, V, 0, H, 0, 0, 1, 0, NULL },
		{ "a channel to tablepop for a listener", E_LISTENER, PH_RUN,
		    MSG_PARENT_TABLECHAN, V, 0, H, 0, 1, 1, 0, NULL },
		{ "tablepop's channel to authpop", E_TABLE, PH_RUN,
		    MSG_PARENT_TABLEPEER, V, CP, H, CP, 1, 1, 1, &peer_a },
		{ "tablepop's channel to routepop", E_TABLE, PH_DRAIN,
		    MSG_PARENT_TABLEPEER, V, CP, H, CP, 1, 1, 1, &peer_r },
		{ "tablepop's channel to httppop", E_TABLE, PH_RUN,
		    MSG_PARENT_TABLEPEER, V, CP, H, CP, 1, 1, 0, &peer_h },
		{ "tablepop's channel to a listener", E_TABLE, PH_RUN,
		    MSG_PARENT_TABLEPEER, V, CP, H, CP, 1, 1, 0, &peer_l },
		{ "a channel to routepop for httppop", E_HTTP, PH_RUN,
		    MSG_PARENT_ROUTECHAN, V, 0, H, 0, 1, 1, 1, NULL },
		{ "a channel to routepop without its descriptor", E_HTTP,
		    PH_RUN, MSG_PARENT_ROUTECHAN, V, 0, H, 0, 0, 1, 0, NULL },
		{ "a channel to routepop for authpop", E_AUTHPOP, PH_RUN,
		    MSG_PARENT_ROUTECHAN, V, 0, H, 0, 1, 1, 0, NULL },
		{ "routepop's channel to httppop", E_ROUTE, PH_RUN,
		    MSG_PARENT_ROUTEPEER, V, CP, H, CP, 1, 1, 1, &peer_h },
		{ "routepop's channel to a draining httppop", E_ROUTE,
		    PH_DRAIN, MSG_PARENT_ROUTEPEER, V, CP, H, CP, 1, 1, 1,
		    &peer_h },
		{ "routepop's channel to authpop", E_ROUTE, PH_RUN,
		    MSG_PARENT_ROUTEPEER, V, CP, H, CP, 1, 1, 0, &peer_a },
		{ "routepop's channel without its descriptor", E_ROUTE, PH_RUN,
		    MSG_PARENT_ROUTEPEER, V, CP, H, CP, 0, 1, 0, &peer_h },
		{ "tablepop's channel to httppop as routepop's", E_TABLE,
		    PH_RUN, MSG_PARENT_ROUTEPEER, V, CP, H, CP, 1, 1, 0,
		    &peer_h },
		{ "the route file", E_ROUTE, PH_CONF, MSG_PARENT_CONF_ROUTE,
		    V, 0, H, 0, 1, 1, 1, NULL },
		{ "the route file once running", E_ROUTE, PH_RUN,
		    MSG_PARENT_CONF_ROUTE, V, 0, H, 0, 1, 1, 0, NULL },
		{ "the route file to tablepop", E_TABLE, PH_CONF,
		    MSG_PARENT_CONF_ROUTE, V, 0, H, 0, 1, 1, 0, NULL },
		{ "the backends' page", E_ROUTE, PH_CONF, MSG_PARENT_ROUTEPAGE,
		    V, KP, H, KP, 1, 1, 1, &kept },
		{ "the backends' page without its descriptor", E_ROUTE,
		    PH_CONF, MSG_PARENT_ROUTEPAGE, V, KP, H, KP, 0, 1, 0, &kept },
		{ "the backends' page to tablepop", E_TABLE, PH_CONF,
		    MSG_PARENT_ROUTEPAGE, V, KP, H, KP, 1, 1, 0, &kept },
		/* popctl's backends: control and routepop. */
		{ "backends asked", E_ROUTE_C, PH_RUN, MSG_CONTROL_BACKENDS,
		    V, QQ, H, QQ, 0, 1, 1, NULL },
		{ "a backend drained", E_ROUTE_C, PH_DRAIN, MSG_CONTROL_DRAIN,
		    V, NT, H, NT, 0, 1, 1, &host },
		{ "a network drained", E_ROUTE_C, PH_RUN, MSG_CONTROL_DRAIN,
		    V, NT, H, NT, 0, 1, 0, &net },
		{ "a backend undrained", E_ROUTE_C, PH_RUN,
		    MSG_CONTROL_UNDRAIN, V, NT, H, NT, 0, 1, 1, &host },
		{ "a drain from authpop", E_TABLE_A, PH_RUN, MSG_CONTROL_DRAIN,
		    V, NT, H, NT, 0, 1, 0, &host },
		{ "a drain from httppop", E_ROUTE_H, PH_RUN, MSG_CONTROL_DRAIN,
		    V, NT, H, NT, 0, 1, 0, &host },
		{ "a backend shown", E_CONTROL_R, PH_RUN, MSG_ROUTE_BACKENDS,
		    V, CB, H, CB, 0, 1, 1, &cb },
		{ "no backend", E_CONTROL_R, PH_RUN, MSG_ROUTE_BACKENDS,
		    V, CB, H, CB, 0, 1, 1, &cb_none },
		{ "no backend with users", E_CONTROL_R, PH_RUN,
		    MSG_ROUTE_BACKENDS, V, CB, H, CB, 0, 1, 0, &cb_none_users },
		{ "a backend of more 2", E_CONTROL_R, PH_RUN,
		    MSG_ROUTE_BACKENDS, V, CB, H, CB, 0, 1, 0, &cb_more },
		{ "a channel to routepop for control", E_CONTROL, PH_RUN,
		    MSG_PARENT_CTLPEER, V, CP, H, CP, 1, 1, 1, &peer_r },
		{ "a channel to tablepop for control", E_CONTROL, PH_RUN,
		    MSG_PARENT_CTLPEER, V, CP, H, CP, 1, 1, 0, &peer_t },
		{ "no penalty records", E_AUTHPOP, PH_RUN, MSG_PARENT_PENALTY,
		    V, PN, H, PN, 0, 1, 0, &pen_zero },
		{ "49 penalty records", E_AUTHPOP, PH_RUN, MSG_PARENT_PENALTY,
		    V, PN, H, PN, 0, 1, 0, &pen_many },
		{ "33 failures", E_AUTHPOP, PH_RUN, MSG_PARENT_PENALTY, V, PN,
		    H, PN, 0, 1, 0, &pen_fails },
		{ "a failure at a NaN time", E_AUTHPOP, PH_RUN,
		    MSG_PARENT_PENALTY, V, PN, H, PN, 0, 1, 0, &pen_time },
		{ "a penalty of an unterminated user", E_AUTHPOP, PH_RUN,
		    MSG_PARENT_PENALTY, V, PN, H, PN, 0, 1, 0, &pen_unterm },
		{ "a penalty of family 3", E_AUTHPOP, PH_RUN,
		    MSG_PARENT_PENALTY, V, PN, H, PN, 0, 1, 0, &pen_af },
		{ "all zeros as the configuration", E_LISTENER, PH_START,
		    MSG_PARENT_CONF, V, CF, H, CF, 0, 1, 0, NULL },
		{ "all zeros as a worker", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0, NULL },

		/* LMTP: the lmtp process and the delivery workers. */
		{ "a recipient", E_PARENT_M, PH_RUN, MSG_LMTP_RCPT, V, RC, H,
		    RC, 0, 1, 1, &rcpt },
		{ "a recipient from a draining lmtp", E_PARENT_M, PH_DRAIN,
		    MSG_LMTP_RCPT, V, RC, H, RC, 0, 1, 1, &rcpt },
		{ "a recipient with a space", E_PARENT_M, PH_RUN,
		    MSG_LMTP_RCPT, V, RC, H, RC, 0, 1, 0, &rcpt_space },
		{ "an empty recipient", E_PARENT_M, PH_RUN, MSG_LMTP_RCPT, V,
		    RC, H, RC, 0, 1, 0, &rcpt_empty },
		{ "an 8-bit recipient", E_PARENT_M, PH_RUN, MSG_LMTP_RCPT, V,
		    RC, H, RC, 0, 1, 0, &rcpt_8bit },
		{ "a recipient's key twice", E_PARENT_M, PH_RUN,
		    MSG_LMTP_RCPT, V, RC, H, RC, 0, 1, 0, &rcpt_twice },
		{ "a recipient's key past nkeys", E_PARENT_M, PH_RUN,
		    MSG_LMTP_RCPT, V, RC, H, RC, 0, 1, 0, &rcpt_past },
		{ "a recipient with a descriptor", E_PARENT_M, PH_RUN,
		    MSG_LMTP_RCPT, V, RC, H, RC, 1, 1, 0, &rcpt },
		{ "a recipient from authpop", E_PARENT_A, PH_RUN,
		    MSG_LMTP_RCPT, V, RC, H, RC, 0, 1, 0, &rcpt },
		{ "a recipient's user", E_LMTP, PH_RUN, MSG_PARENT_RCPT, V, RO,
		    H, RO, 0, 1, 1, &rcptok },
		{ "no such recipient, with a user", E_LMTP, PH_RUN,
		    MSG_PARENT_RCPT, V, RO, H, RO, 0, 1, 0, &rcptok_none_user },
		{ "a recipient's invalid user", E_LMTP, PH_RUN,
		    MSG_PARENT_RCPT, V, RO, H, RO, 0, 1, 0, &rcptok_bad_user },
		{ "a recipient's user without a ref", E_LMTP, PH_RUN,
		    MSG_PARENT_RCPT, V, RO, H, RO, 0, 1, 0, &rcptok_noref },
		{ "no such recipient, with a ref", E_LMTP, PH_RUN,
		    MSG_PARENT_RCPT, V, RO, H, RO, 0, 1, 0, &rcptok_none_ref },
		{ "forget two recipients", E_PARENT_M, PH_RUN,
		    MSG_LMTP_FORGET, V, DL, H, DL, 0, 1, 1, &dlv },
		{ "forget with a descriptor", E_PARENT_M, PH_RUN,
		    MSG_LMTP_FORGET, V, DL, H, DL, 1, 1, 0, &dlv },
		{ "forget a recipient of ref 0", E_PARENT_M, PH_RUN,
		    MSG_LMTP_FORGET, V, DL, H, DL, 0, 1, 0, &dlv_bad },
		{ "forget nobody", E_PARENT_M, PH_RUN, MSG_LMTP_FORGET, V,
		    DL, H, DL, 0, 1, 0, &dlv_0 },
		{ "forget 101", E_PARENT_M, PH_RUN, MSG_LMTP_FORGET, V, DL,
		    H, DL, 0, 1, 0, &dlv_101 },
		{ "forget a recipient past nrcpt", E_PARENT_M, PH_RUN,
		    MSG_LMTP_FORGET, V, DL, H, DL, 0, 1, 0, &dlv_extra },
		{ "a recipient of an unknown status", E_LMTP, PH_RUN,
		    MSG_PARENT_RCPT,
		    V, RO, H, RO, 0, 1, 0, &rcptok_4 },
		{ "a recipient without a maildir", E_LMTP, PH_RUN,
		    MSG_PARENT_RCPT, V, RO, H, RO, 0, 1, 0, &rcptok_nomaildir },
		{ "a recipient of a limit over 2^63", E_LMTP, PH_RUN,
		    MSG_PARENT_RCPT, V, RO, H, RO, 0, 1, 0, &rcptok_huge },
		{ "over quota, from the parent", E_LMTP, PH_RUN,
		    MSG_PARENT_RCPT, V, RO, H, RO, 0, 1, 0, &rcptok_quota },
		{ "no such recipient, with a limit", E_LMTP, PH_RUN,
		    MSG_PARENT_RCPT, V, RO, H, RO, 0, 1, 0,
		    &rcptok_none_limit },
		{ "a dlvrpop, please", E_PARENT_M, PH_RUN, MSG_LMTP_DLVRPOP,
		    V, DP, H, DP, 0, 1, 1, &dlvrpop },
		{ "a dlvrpop with a descriptor", E_PARENT_M, PH_RUN,
		    MSG_LMTP_DLVRPOP, V, DP, H, DP, 1, 1, 0, &dlvrpop },
		{ "a dlvrpop of pid -1", E_PARENT_M, PH_RUN, MSG_LMTP_KILL,
		    V, DP, H, DP, 0, 1, 0, &dlvrpop_neg },
		{ "kill a dlvrpop", E_PARENT_M, PH_DRAIN, MSG_LMTP_KILL, V,
		    DP, H, DP, 0, 1, 1, &dlvrpop },
		{ "a dlvrpop's channel", E_LMTP, PH_RUN, MSG_PARENT_DLVRPOP,
		    V, DP, H, DP, 1, 1, 1, &dlvrpop },
		{ "a dlvrpop's channel without it", E_LMTP, PH_RUN,
		    MSG_PARENT_DLVRPOP, V, DP, H, DP, 0, 1, 0, &dlvrpop },
		{ "no dlvrpop", E_LMTP, PH_DRAIN, MSG_PARENT_NODLVRPOP, V,
		    DP, H, DP, 0, 1, 1, &dlvrpop },
		{ "no dlvrpop, padded", E_LMTP, PH_RUN, MSG_PARENT_NODLVRPOP,
		    V, DP, H, DP, 0, 1, 0, &dlvrpop_pad },
		{ "a dlvrpop from the parent to a delivery worker",
		    E_DLVRPOP, PH_RUN, MSG_PARENT_DLVRPOP, V, DP, H, DP, 1, 1,
		    0, &dlvrpop },
		{ "the delivery worker's configuration", E_DLVRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 1, &worker_dlv },
		{ "a delivery worker with a client", E_DLVRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0,
		    &worker_dlv_peer },
		{ "a delivery worker's limit", E_DLVRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 1,
		    &worker_dlv_limit },
		{ "a session's limit", E_WRKRPOP, PH_START,
		    MSG_PARENT_WORKER, V, WK, H, WK, 0, 1, 0,
		    &worker_session_limit },
		{ "a job", E_DLVRPOP_M, PH_RUN, MSG_LMTP_JOB, V, JB, H, JB,
		    1, 1, 1, &job },
		{ "a job without its message", E_DLVRPOP_M, PH_RUN,
		    MSG_LMTP_JOB, V, JB, H, JB, 0, 1, 0, &job },
		{ "a job from the parent", E_DLVRPOP, PH_RUN, MSG_LMTP_JOB, V,
		    JB, H, JB, 1, 1, 0, &job },
		{ "a quota question", E_DLVRPOP_M, PH_RUN, MSG_LMTP_QUOTA, V,
		    QT, H, QT, 0, 1, 1, &quota },
		{ "a check", E_DLVRPOP_M, PH_RUN, MSG_LMTP_DLVCHECK, V, IN, H,
		    IN, 0, 1, 1, &intent },
		{ "a check of ../cur/x", E_DLVRPOP_M, PH_RUN,
		    MSG_LMTP_DLVCHECK, V, IN, H, IN, 0, 1, 0, &intent_slash },
		/* httppop's requests to authpop, checked as a compromised
		 * sender's (peers.c valid_httpreq, valid_ticketreq). */
		{ "an auth_http request", E_AUTHPOP_H, PH_RUN,
		    MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 1, &hreq },
		{ "an auth_http request to a draining authpop", E_AUTHPOP_H,
		    PH_DRAIN, MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 1, &hreq },
		{ "an auth_http request with a descriptor", E_AUTHPOP_H,
		    PH_RUN, MSG_HTTP_VERIFY, V, HR, H, HR, 1, 1, 0, &hreq },
		{ "an auth_http request of no method", E_AUTHPOP_H, PH_RUN,
		    MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0, &hreq_method },
		{ "an auth_http request of no protocol", E_AUTHPOP_H, PH_RUN,
		    MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0, &hreq_proto },
		{ "an auth_http request of attempt 0", E_AUTHPOP_H, PH_RUN,
		    MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0, &hreq_attempt },
		{ "an auth_http request of attempt 10000", E_AUTHPOP_H,
		    PH_RUN, MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0,
		    &hreq_attempt2 },
		{ "an auth_http request flagged 2", E_AUTHPOP_H, PH_RUN,
		    MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0, &hreq_flag2 },
		{ "an auth_http user with a control byte", E_AUTHPOP_H,
		    PH_RUN, MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0,
		    &hreq_user },
		{ "an auth_http user unterminated", E_AUTHPOP_H, PH_RUN,
		    MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0, &hreq_userunterm },
		{ "an auth_http password with a CR", E_AUTHPOP_H, PH_RUN,
		    MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0, &hreq_cr },
		{ "an auth_http password unterminated", E_AUTHPOP_H, PH_RUN,
		    MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0, &hreq_unterm },
		{ "an auth_http user flagged bad but sent", E_AUTHPOP_H,
		    PH_RUN, MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0,
		    &hreq_flagged },
		{ "an auth_http password too long but sent", E_AUTHPOP_H,
		    PH_RUN, MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0,
		    &hreq_passlong },
		{ "an auth_http Client-IP with a port", E_AUTHPOP_H, PH_RUN,
		    MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0, &hreq_port },
		{ "an auth_http Client-IP of no family", E_AUTHPOP_H, PH_RUN,
		    MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0, &hreq_af },
		{ "an auth_http request without a Client-IP", E_AUTHPOP_H,
		    PH_RUN, MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0,
		    &hreq_noip },
		{ "an auth_http request one byte short", E_AUTHPOP_H, PH_RUN,
		    MSG_HTTP_VERIFY, V, HR - 1, H, HR - 1, 0, 1, 0, &hreq },
		{ "an auth_http request to the parent", E_PARENT_A, PH_RUN,
		    MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0, &hreq },
		{ "an auth_http request to routepop", E_ROUTE_H, PH_RUN,
		    MSG_HTTP_VERIFY, V, HR, H, HR, 0, 1, 0, &hreq },
		{ "a ticket asked for a backend", E_AUTHPOP_H, PH_RUN,
		    MSG_HTTP_TICKET, V, RT, H, RT, 0, 1, 1, &route },
		{ "a ticket asked for no backend", E_AUTHPOP_H, PH_RUN,
		    MSG_HTTP_TICKET, V, RT, H, RT, 0, 1, 0, &route_none },
		{ "a ticket asked for a host name", E_AUTHPOP_H, PH_RUN,
		    MSG_HTTP_TICKET, V, RT, H, RT, 0, 1, 0, &route_name },
		{ "a ticket asked of an unterminated address", E_AUTHPOP_H,
		    PH_RUN, MSG_HTTP_TICKET, V, RT, H, RT, 0, 1, 0,
		    &route_unterm },
		{ "a ticket asked by tablepop", E_AUTHPOP_T, PH_RUN,
		    MSG_HTTP_TICKET, V, RT, H, RT, 0, 1, 0, &route },
		/* authpop's verdicts, checked as a compromised sender's
		 * (peers.c valid_verdict). */
		{ "a good password", E_HTTP_A, PH_RUN, MSG_AUTHPOP_VERDICT,
		    V, VD, H, VD, 0, 1, 1, &vd_ok },
		{ "a good password, a ticket to come", E_HTTP_A, PH_RUN,
		    MSG_AUTHPOP_VERDICT, V, VD, H, VD, 0, 1, 1, &vd_okticket },
		{ "a ticket", E_HTTP_A, PH_RUN, MSG_AUTHPOP_VERDICT, V, VD,
		    H, VD, 0, 1, 1, &vd_ticket },
		{ "no ticket", E_HTTP_A, PH_RUN, MSG_AUTHPOP_VERDICT, V, VD,
		    H, VD, 0, 1, 1, &vd_noticket },
		{ "a failure with its wait", E_HTTP_A, PH_DRAIN,
		    MSG_AUTHPOP_VERDICT, V, VD, H, VD, 0, 1, 1, &vd_fail },
		{ "a verdict past HV_METHOD", E_HTTP_A, PH_RUN,
		    MSG_AUTHPOP_VERDICT, V, VD, H, VD, 0, 1, 0, &vd_9 },
		{ "a failure with no wait", E_HTTP_A, PH_RUN,
		    MSG_AUTHPOP_VERDICT, V, VD, H, VD, 0, 1, 0, &vd_fail0 },
		{ "a failure of a wait too long", E_HTTP_A, PH_RUN,
		    MSG_AUTHPOP_VERDICT, V, VD, H, VD, 0, 1, 0, &vd_faillong },
		{ "a temporary failure with a wait", E_HTTP_A, PH_RUN,
		    MSG_AUTHPOP_VERDICT, V, VD, H, VD, 0, 1, 0, &vd_tempwait },
		{ "a good password with a ticket", E_HTTP_A, PH_RUN,
		    MSG_AUTHPOP_VERDICT, V, VD, H, VD, 0, 1, 0, &vd_okt },
		{ "a ticket to come without its session", E_HTTP_A, PH_RUN,
		    MSG_AUTHPOP_VERDICT, V, VD, H, VD, 0, 1, 0, &vd_nosid },
		{ "a good password with a session", E_HTTP_A, PH_RUN,
		    MSG_AUTHPOP_VERDICT, V, VD, H, VD, 0, 1, 0, &vd_oksid },
		{ "a ticket with a CR", E_HTTP_A, PH_RUN, MSG_AUTHPOP_VERDICT,
		    V, VD, H, VD, 0, 1, 0, &vd_ticketcr },
		{ "a ticket with a space", E_HTTP_A, PH_RUN,
		    MSG_AUTHPOP_VERDICT, V, VD, H, VD, 0, 1, 0, &vd_ticketsp },
		{ "a ticket unterminated", E_HTTP_A, PH_RUN,
		    MSG_AUTHPOP_VERDICT, V, VD, H, VD, 0, 1, 0,
		    &vd_ticketunterm },
		{ "a verdict with a descriptor", E_HTTP_A, PH_RUN,
		    MSG_AUTHPOP_VERDICT, V, VD, H, VD, 1, 1, 0, &vd_ok },
		{ "a verdict to the parent", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_VERDICT, V, VD, H, VD, 0, 1, 0, &vd_ok },
		{ "a verdict from routepop", E_HTTP_R, PH_RUN,
		    MSG_AUTHPOP_VERDICT, V, VD, H, VD, 0, 1, 0, &vd_ok },
		{ "an intent", E_LMTP_V, PH_RUN, MSG_DLVRPOP_INTENT, V, IN,
		    H, IN, 0, 1, 1, &intent },
		{ "an intent of ..", E_LMTP_V, PH_RUN, MSG_DLVRPOP_INTENT,
		    V, IN, H, IN, 0, 1, 0, &intent_dot },
		{ "an intent without a new name", E_LMTP_V, PH_RUN,
		    MSG_DLVRPOP_INTENT, V, IN, H, IN, 0, 1, 0, &intent_empty },
		{ "done", E_LMTP_V, PH_RUN, MSG_DLVRPOP_DONE, V, DN, H, DN,
		    0, 1, 1, &done },
		{ "done of status 4", E_LMTP_V, PH_RUN, MSG_DLVRPOP_DONE,
		    V, DN, H, DN, 0, 1, 0, &done_4 },
		{ "done over quota, with the use", E_LMTP_V, PH_RUN,
		    MSG_DLVRPOP_DONE, V, DN, H, DN, 0, 1, 1, &done_used },
		{ "done counted twice", E_LMTP_V, PH_RUN, MSG_DLVRPOP_DONE,
		    V, DN, H, DN, 0, 1, 0, &done_counted2 },
		{ "done over without a use", E_LMTP_V, PH_RUN,
		    MSG_DLVRPOP_DONE, V, DN, H, DN, 0, 1, 0, &done_overonly },
		{ "done with a use below zero", E_LMTP_V, PH_RUN,
		    MSG_DLVRPOP_DONE, V, DN, H, DN, 0, 1, 0, &done_negative },
		{ "done with a use but not counted", E_LMTP_V, PH_RUN,
		    MSG_DLVRPOP_DONE, V, DN, H, DN, 0, 1, 0, &done_uncounted },
		{ "an intent to the parent", E_PARENT_V, PH_RUN,
		    MSG_DLVRPOP_INTENT, V, IN, H, IN, 0, 1, 0, &intent },
		{ "done from the lmtp process", E_PARENT_M, PH_RUN,
		    MSG_DLVRPOP_DONE, V, DN, H, DN, 0, 1, 0, &done },

		/* popctl's: counters, sessions, kicks, penalties. */
		{ "the listener's page of counters", E_LISTENER, PH_START,
		    MSG_PARENT_STATS, V, 0, H, 0, 1, 1, 1, NULL },
		{ "a wrkrpop's page of counters", E_WRKRPOP, PH_START,
		    MSG_PARENT_STATS, V, 0, H, 0, 1, 1, 1, NULL },
		{ "the lmtp process's page of counters", E_LMTP, PH_START,
		    MSG_PARENT_STATS, V, 0, H, 0, 1, 1, 1, NULL },
		{ "a page of counters without its descriptor", E_AUTHPOP,
		    PH_START, MSG_PARENT_STATS, V, 0, H, 0, 0, 1, 0, NULL },
		{ "a page of counters after the settings", E_AUTHPOP,
		    PH_CONF, MSG_PARENT_STATS, V, 0, H, 0, 1, 1, 0, NULL },
		{ "a page of counters once serving", E_LISTENER, PH_RUN,
		    MSG_PARENT_STATS, V, 0, H, 0, 1, 1, 0, NULL },
		{ "a delivery worker's page of counters", E_DLVRPOP,
		    PH_START, MSG_PARENT_STATS, V, 0, H, 0, 1, 1, 1, NULL },
		{ "a page of counters with a payload", E_LISTENER, PH_START,
		    MSG_PARENT_STATS, V, 4, H, 4, 1, 1, 0, NULL },
		{ "handshakes asked of a draining listener", E_LISTENER_C,
		    PH_DRAIN, MSG_CONTROL_HANDSHAKES, V, QQ, H, QQ, 0, 1, 1,
		    NULL },
		{ "handshakes asked of authpop", E_AUTHPOP_C, PH_RUN,
		    MSG_CONTROL_HANDSHAKES, V, QQ, H, QQ, 0, 1, 0, NULL },
		{ "handshakes asked by the parent", E_LISTENER, PH_RUN,
		    MSG_CONTROL_HANDSHAKES, V, QQ, H, QQ, 0, 1, 0, NULL },
		{ "a channel to control", E_LISTENER, PH_RUN,
		    MSG_PARENT_CTLCHAN, V, 0, H, 0, 1, 1, 1, NULL },
		{ "a channel to control for a draining authpop", E_AUTHPOP,
		    PH_DRAIN, MSG_PARENT_CTLCHAN, V, 0, H, 0, 1, 1, 1, NULL },
		{ "a channel to control without its descriptor", E_LISTENER,
		    PH_RUN, MSG_PARENT_CTLCHAN, V, 0, H, 0, 0, 1, 0, NULL },
		{ "a channel to control from control", E_LISTENER_C, PH_RUN,
		    MSG_PARENT_CTLCHAN, V, 0, H, 0, 1, 1, 0, NULL },
		{ "a channel to a listener", E_CONTROL, PH_RUN,
		    MSG_PARENT_CTLPEER, V, CP, H, CP, 1, 1, 1, &peer_l },
		{ "a channel to authpop", E_CONTROL, PH_RUN,
		    MSG_PARENT_CTLPEER, V, CP, H, CP, 1, 1, 1, &peer_a },
		{ "a channel to the parent", E_CONTROL, PH_RUN,
		    MSG_PARENT_CTLPEER, V, CP, H, CP, 1, 1, 0, &peer_p },
		{ "a channel to pid 0", E_CONTROL, PH_RUN,
		    MSG_PARENT_CTLPEER, V, CP, H, CP, 1, 1, 0, &peer_0 },
		{ "a kick", E_LISTENER, PH_RUN, MSG_PARENT_KICK, V, LD, H, LD,
		    0, 1, 1, NULL },
		{ "a kick with a descriptor", E_LISTENER, PH_RUN,
		    MSG_PARENT_KICK, V, LD, H, LD, 1, 1, 0, NULL },
		{ "a kick of a login stuck in the store", E_LISTENER, PH_RUN,
		    MSG_PARENT_KICK, V, LD, H, LD, 0, 1, 1, &kick_store },
		{ "a kick of an unknown why", E_LISTENER, PH_RUN,
		    MSG_PARENT_KICK, V, LD, H, LD, 0, 1, 0, &kick_why },
		{ "starttls with a why", E_LISTENER, PH_RUN,
		    MSG_PARENT_STARTTLS, V, LD, H, LD, 0, 1, 0, &kick_store },
		{ "a ticket key", E_LISTENER, PH_RUN, MSG_PARENT_TICKET, V,
		    TK, H, TK, 0, 1, 1, NULL },
		{ "a ticket key to a draining listener", E_LISTENER, PH_DRAIN,
		    MSG_PARENT_TICKET, V, TK, H, TK, 0, 1, 1, NULL },
		{ "a ticket key before the configuration", E_LISTENER,
		    PH_CONF, MSG_PARENT_TICKET, V, TK, H, TK, 0, 1, 0, NULL },
		{ "a short ticket key", E_LISTENER, PH_RUN, MSG_PARENT_TICKET,
		    V, TK - 1, H, TK - 1, 0, 1, 0, NULL },
		{ "a ticket key to authpop", E_AUTHPOP, PH_RUN,
		    MSG_PARENT_TICKET, V, TK, H, TK, 0, 1, 0, NULL },
		{ "a network kicked", E_LISTENER_C, PH_DRAIN,
		    MSG_CONTROL_KICKNET, V, NT, H, NT, 0, 1, 1, &net },
		{ "a network of prefix 33 kicked", E_LISTENER_C, PH_RUN,
		    MSG_CONTROL_KICKNET, V, NT, H, NT, 0, 1, 0, &net_bits },
		{ "a network of no family kicked", E_LISTENER_C, PH_RUN,
		    MSG_CONTROL_KICKNET, V, NT, H, NT, 0, 1, 0, &net_af },
		{ "handshakes", E_CONTROL_L, PH_RUN, MSG_LISTENER_HANDSHAKES, V,
		    HS, H, HS, 0, 1, 1, &hs },
		{ "257 handshakes", E_CONTROL_L, PH_RUN,
		    MSG_LISTENER_HANDSHAKES, V, HS, H, HS, 0, 1, 0, &hs_many },
		{ "handshakes, more 2", E_CONTROL_L, PH_RUN,
		    MSG_LISTENER_HANDSHAKES, V, HS, H, HS, 0, 1, 0, &hs_more },
		{ "a handshake from no address", E_CONTROL_L, PH_RUN,
		    MSG_LISTENER_HANDSHAKES, V, HS, H, HS, 0, 1, 0,
		    &hs_noaddr },
		{ "a handshake on a socket of family 3", E_CONTROL_L, PH_RUN,
		    MSG_LISTENER_HANDSHAKES, V, HS, H, HS, 0, 1, 0, &hs_index },
		{ "handshakes to the parent", E_PARENT_L, PH_RUN,
		    MSG_LISTENER_HANDSHAKES, V, HS, H, HS, 0, 1, 0, &hs },
		{ "a handshake before 1970", E_CONTROL_L, PH_RUN,
		    MSG_LISTENER_HANDSHAKES, V, HS, H, HS, 0, 1, 0, &hs_time },
		{ "handshakes from authpop", E_CONTROL_A, PH_RUN,
		    MSG_LISTENER_HANDSHAKES, V, HS, H, HS, 0, 1, 0, &hs },
		{ "kicked", E_CONTROL_L, PH_DRAIN, MSG_LISTENER_KICKED, V, CT,
		    H, CT, 0, 1, 1, &count },
		{ "kicked, with padding", E_CONTROL_L, PH_RUN,
		    MSG_LISTENER_KICKED, V, CT, H, CT, 0, 1, 0, &count_pad },
		{ "full", E_PARENT_L, PH_RUN, MSG_LISTENER_FULL, V, CT,
		    H, CT, 0, 1, 1, &full },
		{ "full, 2", E_PARENT_L, PH_RUN, MSG_LISTENER_FULL, V, CT,
		    H, CT, 0, 1, 0, &full_two },
		{ "full, with a request id", E_PARENT_L, PH_RUN,
		    MSG_LISTENER_FULL, V, CT, H, CT, 0, 1, 0, &count },
		{ "a new ticket key asked", E_PARENT_L, PH_RUN,
		    MSG_LISTENER_REKEY, V, RK, H, RK, 0, 1, 1, NULL },
		{ "a new ticket key asked by a draining listener", E_PARENT_L,
		    PH_DRAIN, MSG_LISTENER_REKEY, V, RK, H, RK, 0, 1, 1, NULL },
		{ "a new ticket key asked, long", E_PARENT_L, PH_RUN,
		    MSG_LISTENER_REKEY, V, RK + 4, H, RK + 4, 0, 1, 0, NULL },
		{ "a new ticket key asked with a descriptor", E_PARENT_L,
		    PH_RUN, MSG_LISTENER_REKEY, V, RK, H, RK, 1, 1, 0, NULL },
		{ "a new ticket key asked by authpop", E_PARENT_A, PH_RUN,
		    MSG_LISTENER_REKEY, V, RK, H, RK, 0, 1, 0, NULL },
		{ "full from authpop", E_PARENT_A, PH_RUN, MSG_LISTENER_FULL,
		    V, CT, H, CT, 0, 1, 0, &full },
		{ "a new session on socket 64", E_PARENT_L, PH_RUN,
		    MSG_LISTENER_SESSION, V, NS, H, NS, 1, 1, 0, &ns_listen },
		{ "a new session before 1970", E_PARENT_L, PH_RUN,
		    MSG_LISTENER_SESSION, V, NS, H, NS, 1, 1, 0, &ns_since },
		{ "listen with socket index 64", E_LISTENER, PH_RUN,
		    MSG_PARENT_LISTEN, V, LS, H, LS, 1, 1, 0, &listen_index },
		{ "penalties asked", E_AUTHPOP_C, PH_RUN, MSG_CONTROL_PENALTIES,
		    V, QQ, H, QQ, 0, 1, 1, NULL },
		{ "penalties asked by the parent", E_AUTHPOP, PH_RUN,
		    MSG_CONTROL_PENALTIES, V, QQ, H, QQ, 0, 1, 0, NULL },
		{ "a network unpenalized", E_AUTHPOP_C, PH_RUN,
		    MSG_CONTROL_UNPENALIZE, V, NT, H, NT, 0, 1, 1, &net },
		{ "a network of prefix 33 unpenalized", E_AUTHPOP_C, PH_RUN,
		    MSG_CONTROL_UNPENALIZE, V, NT, H, NT, 0, 1, 0, &net_bits },
		{ "penalty rows of prefix 33", E_CONTROL_A, PH_RUN,
		    MSG_AUTHPOP_PENALTIES, V, PR, H, PR, 0, 1, 0, &prow_bits },
		{ "penalty rows to the parent", E_PARENT_A, PH_RUN,
		    MSG_AUTHPOP_PENALTIES, V, PR, H, PR, 0, 1, 0, &prow },
		{ "penalty rows", E_CONTROL_A, PH_RUN, MSG_AUTHPOP_PENALTIES, V,
		    PR, H, PR, 0, 1, 1, &prow },
		{ "129 penalty rows", E_CONTROL_A, PH_RUN,
		    MSG_AUTHPOP_PENALTIES, V, PR, H, PR, 0, 1, 0, &prow_many },
		{ "a penalty row of a name with a space", E_CONTROL_A, PH_RUN,
		    MSG_AUTHPOP_PENALTIES, V, PR, H, PR, 0, 1, 0, &prow_user },
		{ "a penalty row of no family", E_CONTROL_A, PH_RUN,
		    MSG_AUTHPOP_PENALTIES, V, PR, H, PR, 0, 1, 0, &prow_af },
		{ "a penalty row with a NaN delay", E_CONTROL_A, PH_RUN,
		    MSG_AUTHPOP_PENALTIES, V, PR, H, PR, 0, 1, 0, &prow_delay },
		{ "a penalty row of an unterminated name", E_CONTROL_A, PH_RUN,
		    MSG_AUTHPOP_PENALTIES, V, PR, H, PR, 0, 1, 0,
		    &prow_unterm },
		{ "unpenalized", E_CONTROL_A, PH_DRAIN, MSG_AUTHPOP_UNPENALIZED,
		    V, CT, H, CT, 0, 1, 1, &count },
		{ "penalty rows to authpop", E_AUTHPOP_C, PH_RUN,
		    MSG_AUTHPOP_PENALTIES, V, PR, H, PR, 0, 1, 0, &prow },
		/* tablepop and the parent. */
		{ "a table's answer", E_PARENT_T, PH_RUN, MSG_TABLE_ANSWER,
		    V, TA, H, TA, 0, 1, 1, &tabans },
		{ "a drained tablepop's answer", E_PARENT_T, PH_DRAIN,
		    MSG_TABLE_ANSWER, V, TA, H, TA, 0, 1, 1, &tabans },
		{ "a value with no answer", E_PARENT_T, PH_RUN,
		    MSG_TABLE_ANSWER, V, TA, H, TA, 0, 1, 0,
		    &tabans_none_value },
		{ "an answer of no status", E_PARENT_T, PH_RUN,
		    MSG_TABLE_ANSWER, V, TA, H, TA, 0, 1, 0, &tabans_status },
		{ "a question", E_TABLE, PH_RUN, MSG_PARENT_LOOKUP, V, LK, H,
		    LK, 0, 1, 1, &lookup },
		{ "a question of no service", E_TABLE, PH_RUN,
		    MSG_PARENT_LOOKUP, V, LK, H, LK, 0, 1, 0, &lookup_svc },
		{ "a question of no key", E_TABLE, PH_RUN, MSG_PARENT_LOOKUP,
		    V, LK, H, LK, 0, 1, 0, &lookup_nokey },
		{ "a question to a drained tablepop", E_TABLE, PH_DRAIN,
		    MSG_PARENT_LOOKUP, V, LK, H, LK, 0, 1, 0, &lookup },
		/* popctl: the control process and the parent. */
		{ "the control socket", E_CONTROL, PH_RUN, MSG_PARENT_LISTEN,
		    V, LS, H, LS, 1, 1, 1, &listen_ctl },
		{ "the control's configuration", E_CONTROL, PH_START,
		    MSG_PARENT_CONF, V, CF, H, CF, 0, 1, 1, &set },
		{ "a request", E_PARENT_C, PH_RUN, MSG_CONTROL_REQUEST, V, CQ,
		    H, CQ, 1, 1, 1, &creq },
		{ "a request without its client", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 0, 1, 0, &creq },
		{ "a request before the configuration ends", E_PARENT_C,
		    PH_CONF, MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0,
		    &creq },
		{ "a request one byte short", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ - 1, H, CQ - 1, 1, 1, 0, &creq },
		{ "a request from the listener", E_PARENT_L, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0, &creq },
		{ "a request to the control process", E_CONTROL, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0, &creq },
		{ "a kick of a user", E_PARENT_C, PH_RUN, MSG_CONTROL_REQUEST,
		    V, CQ, H, CQ, 1, 1, 1, &creq_kick },
		{ "a kick of a user with a space", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0,
		    &creq_kick_space },
		{ "a kick of no user", E_PARENT_C, PH_RUN, MSG_CONTROL_REQUEST,
		    V, CQ, H, CQ, 1, 1, 0, &creq_kick_none },
		{ "a show with a user", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0,
		    &creq_show_user },
		{ "show quota of a user", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 1, &creq_quota },
		{ "show quota of no user", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0,
		    &creq_quota_none },
		{ "undelete since 100 years ago", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 1, &creq_since },
		{ "undelete since INT64_MIN seconds", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0,
		    &creq_since_min },
		{ "undelete since over 100 years ago", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0,
		    &creq_since_past },
		{ "a kick of a network", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 1, &creq_net },
		{ "an IPv6 address forgiven", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 1, &creq_net6 },
		{ "a network with host bits", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0,
		    &creq_net_host },
		{ "a network of prefix 33", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0,
		    &creq_net_bits },
		{ "a network of family 3", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0, &creq_net_af },
		{ "an IPv4 network with bytes past 4", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0,
		    &creq_net_v4tail },
		{ "a show with a network", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0,
		    &creq_show_net },
		{ "a request of command 0", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0, &creq_0 },
		{ "a request of an unknown command", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0, &creq_13 },
		{ "a request with padding", E_PARENT_C, PH_RUN,
		    MSG_CONTROL_REQUEST, V, CQ, H, CQ, 1, 1, 0, &creq_pad },
		{ "a piece of an answer", E_CONTROL, PH_RUN, MSG_PARENT_ANSWER,
		    V, CA, H, CA, 0, 1, 1, &ans_more },
		{ "the last piece", E_CONTROL, PH_RUN, MSG_PARENT_ANSWER, V, CA,
		    H, CA, 0, 1, 1, &ans_ok },
		{ "an error", E_CONTROL, PH_RUN, MSG_PARENT_ANSWER, V, CA, H,
		    CA, 0, 1, 1, &ans_err },
		{ "an answer of status 0", E_CONTROL, PH_RUN,
		    MSG_PARENT_ANSWER, V, CA, H, CA, 0, 1, 0, &ans_0 },
		{ "an answer of status 4", E_CONTROL, PH_RUN,
		    MSG_PARENT_ANSWER, V, CA, H, CA, 0, 1, 0, &ans_4 },
		{ "an answer longer than its text", E_CONTROL, PH_RUN,
		    MSG_PARENT_ANSWER, V, CA, H, CA, 0, 1, 0, &ans_long },
		{ "an answer with a NUL", E_CONTROL, PH_RUN,
		    MSG_PARENT_ANSWER, V, CA, H, CA, 0, 1, 0, &ans_nul },
		{ "an error of two lines", E_CONTROL, PH_RUN,
		    MSG_PARENT_ANSWER, V, CA, H, CA, 0, 1, 0, &ans_errnl },
		{ "an error without a reason", E_CONTROL, PH_RUN,
		    MSG_PARENT_ANSWER, V, CA, H, CA, 0, 1, 0, &ans_errempty },
		{ "an answer with a descriptor", E_CONTROL, PH_RUN,
		    MSG_PARENT_ANSWER, V, CA, H, CA, 1, 1, 0, &ans_ok },
		{ "an answer to the listener", E_LISTENER, PH_RUN,
		    MSG_PARENT_ANSWER, V, CA, H, CA, 0, 1, 0, &ans_ok },
		{ "an answer from the control process", E_PARENT_C, PH_RUN,
		    MSG_PARENT_ANSWER, V, CA, H, CA, 0, 1, 0, &ans_ok },
		{ "log verbose to the listener", E_LISTENER, PH_RUN,
		    MSG_PARENT_VERBOSE, V, VB, H, VB, 0, 1, 1, &vb },
		{ "log verbose to a draining authpop", E_AUTHPOP, PH_DRAIN,
		    MSG_PARENT_VERBOSE, V, VB, H, VB, 0, 1, 1, &vb },
		{ "log verbose to lmtp", E_LMTP, PH_RUN, MSG_PARENT_VERBOSE, V,
		    VB, H, VB, 0, 1, 1, &vb },
		{ "log verbose to the control process", E_CONTROL, PH_RUN,
		    MSG_PARENT_VERBOSE, V, VB, H, VB, 0, 1, 1, &vb },
		{ "log level 6", E_LISTENER, PH_RUN, MSG_PARENT_VERBOSE, V, VB,
		    H, VB, 0, 1, 0, &vb_6 },
		{ "log level -1", E_CONTROL, PH_RUN, MSG_PARENT_VERBOSE, V, VB,
		    H, VB, 0, 1, 0, &vb_neg },
		{ "log verbose to a wrkrpop", E_WRKRPOP, PH_RUN,
		    MSG_PARENT_VERBOSE, V, VB, H, VB, 0, 1, 0, &vb },
		{ "log verbose from the control process", E_PARENT_C, PH_RUN,
		    MSG_PARENT_VERBOSE, V, VB, H, VB, 0, 1, 0, &vb },
	};
	struct msg_listen	 ml = { LISTEN_TLS, 0, 0, 0 };
	struct msg_lid		 lid = { 1, 0 };
	size_t			 i;
	struct chan		 c;
	int			 sp[2];

	ans_more.req = ans_ok.req = ans_err.req = 7;
	ans_more.status = ANS_MORE;
	ans_more.len = CTL_CHUNK;
	memset(ans_more.text, 'x', sizeof(ans_more.text));
	ans_ok.status = ANS_OK;
	ans_err.status = ANS_ERROR;
	ans_err.len = snprintf(ans_err.text, sizeof(ans_err.text),
	    "permission denied");
	ans_0 = ans_4 = ans_long = ans_nul = ans_ok;
	ans_0.status = 0;
	ans_4.status = ANS_ERROR + 1;
	ans_long.len = CTL_CHUNK + 1;
	ans_nul.len = 3;
	ans_nul.text[0] = 'a';
	ans_errnl = ans_errempty = ans_err;
	ans_errnl.text[3] = '\n';
	ans_errempty.len = 0;
	hreq_method = hreq_attempt = hreq_user = hreq_cr = hreq_unterm =
	    hreq_flagged = hreq_port = hreq_proto = hreq_flag2 =
	    hreq_userunterm = hreq_passlong = hreq_af = hreq_attempt2 =
	    hreq_noip = hreq;
	hreq_attempt2.attempt = 10000;
	hreq_proto.protocol = HP_SMTP + 1;
	hreq_flag2.usertoolong = 2;
	memset(hreq_userunterm.user, 'u', sizeof(hreq_userunterm.user));
	hreq_passlong.passtoolong = 1;
	hreq_af.client.af = 0;
	memset(&hreq_noip.client, 0, sizeof(hreq_noip.client));
	vd_ticketunterm = vd_ticket;
	memset(vd_ticketunterm.ticket, 'a', sizeof(vd_ticketunterm.ticket));
	hreq_method.method = HM_OTHER + 1;
	hreq_attempt.attempt = 0;
	hreq_user.user[2] = '\001';
	hreq_cr.pass[2] = '\r';
	memset(hreq_unterm.pass, 'p', sizeof(hreq_unterm.pass));
	hreq_flagged.badchars = 1;
	hreq_port.client.port = 995;
	memset(&login_unterm, 'a', sizeof(login_unterm));
	login_unterm.id = 1;
	memset(&rv_unterm, '1', sizeof(rv_unterm));
	rv_unterm.id = 1;
	rv_unterm.status = ROUTE_FOUND;
	memset(&route_unterm, '1', sizeof(route_unterm));
	route_unterm.id = 1;
	route_unterm.status = ROUTE_FOUND;
	memset(&cred_unterm, 'x', sizeof(cred_unterm));
	cred_unterm.id = 1;
	cred_unterm.status = CRED_FOUND;
	set_idle.timeout.idle = CONF_MIN_IDLE - 1;
	memset(set_unterm.authtab, 'a', sizeof(set_unterm.authtab));
	set_delay.failure_delay.first = 10;
	set_delay.failure_delay.max = 5;
	wk_max = wk_min = wk_unterm = wk_uidl = wk_nouidl = wk_last =
	    wk_expire = wk_expire_max = wk_delay = wk_delay_max = wk_keep =
	    wk_keep_max = wk_idle = wk_idle_max = wk_bad = wk_bad_max = worker;
	wk_max.set.last = 1;
	wk_max.set.expire = 36500;
	wk_max.set.login_delay = 86400;
	wk_max.set.deleted_keep = 366 * 86400;
	wk_max.set.idle = 86400;
	wk_max.set.bad_commands = 1000000;
	(void)strlcpy(wk_max.set.uidl_format, "%f",
	    sizeof(wk_max.set.uidl_format));
	wk_min.set.bad_commands = 1;
	memset(wk_unterm.set.uidl_format, 'u',
	    sizeof(wk_unterm.set.uidl_format));
	(void)strlcpy(wk_uidl.set.uidl_format, "%g",
	    sizeof(wk_uidl.set.uidl_format));
	wk_nouidl.set.uidl_format[0] = '\0';
	wk_last.set.last = 2;
	wk_expire.set.expire = -2;
	wk_expire_max.set.expire = 36501;
	wk_delay.set.login_delay = -1;
	wk_delay_max.set.login_delay = 86401;
	wk_keep.set.deleted_keep = -1;
	wk_keep_max.set.deleted_keep = 366 * 86400 + 1;
	wk_idle.set.idle = CONF_MIN_IDLE - 1;
	wk_idle_max.set.idle = 86401;
	wk_bad.set.bad_commands = 0;
	wk_bad_max.set.bad_commands = 1000001;
	wk_dlv_idle = worker_dlv;
	wk_dlv_idle.set.idle = CONF_MIN_IDLE - 1;
	pen.n = 2;
	pen.rec[0].key.af = AF_INET;
	pen.rec[0].fails = 3;
	pen.rec[0].lastfail = 100.5;
	pen.rec[1].key.af = AF_INET6;
	(void)strlcpy(pen.rec[1].user, "alice", sizeof(pen.rec[1].user));
	pen.rec[1].familiar = 99;
	pen_many = pen_fails = pen_time = pen_unterm = pen_af = pen;
	pen_many.n = PENALTY_RECS + 1;
	pen_fails.rec[1].fails = 33;
	pen_time.rec[0].lastfail = 0.0 / 0.0;
	memset(pen_unterm.rec[1].user, 'a', sizeof(pen_unterm.rec[1].user));
	pen_af.rec[0].key.af = 3;
	hs.req = 7;
	hs.n = 2;
	hs.more = 1;
	hs.rec[0].peer.af = AF_INET;
	hs.rec[0].peer.port = 40000;
	hs.rec[0].since = 1700000000;
	hs.rec[1].peer.af = AF_INET6;
	hs.rec[1].peer.a[0] = 0x20;
	hs.rec[1].listen.af = AF_INET;
	hs.rec[1].listen.port = 995;
	hs_many = hs_more = hs_noaddr = hs_index = hs_time = hs;
	hs_many.n = HS_RECS + 1;
	hs_more.more = 2;
	hs_noaddr.rec[1].peer.af = 0;
	hs_noaddr.rec[1].peer.a[0] = 0;
	hs_index.rec[0].listen.af = 3;
	hs_time.rec[1].since = -1;
	prow.req = 7;
	prow.n = 2;
	prow.rec[0].key.af = AF_INET;
	prow.rec[0].fails = 5;
	prow.rec[0].delay = 16;
	prow.rec[0].queued = 3;
	prow.rec[1].key.af = AF_INET6;
	(void)strlcpy(prow.rec[1].user, "alice", sizeof(prow.rec[1].user));
	prow.rec[1].fails = 2;
	prow.v4bits = 32;
	prow.v6bits = 64;
	prow_many = prow_user = prow_af = prow_delay = prow_unterm =
	    prow_bits = prow;
	prow_bits.v4bits = 33;
	prow_many.n = PENALTY_ROWS + 1;
	(void)strlcpy(prow_user.rec[1].user, "al ice",
	    sizeof(prow_user.rec[1].user));
	prow_af.rec[0].key.af = 0;
	prow_delay.rec[0].delay = 0.0 / 0.0;
	memset(prow_unterm.rec[1].user, 'a', sizeof(prow_unterm.rec[1].user));

	log_init(1, LOG_MAIL);
	log_procinit("test_msg");
	/* The bad-message log lines are expected: keep them off stdout. */
	(void)dup2(open("/dev/null", O_WRONLY), STDERR_FILENO);
	event_init();

	/* The other checks open these ends: a table refused is fatal. */
	ends_init();
	ends_checked();
	if (unit_failed != 0)
		return unit_done();

	for (i = 0; i < nitems(cases); i++)
		run_case(&cases[i]);

	/* A real end of channel is EOF, not a malformed message. */
	reset();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
		exit(2);
	open_end(&c, sp[0], E_LISTENER, PH_RUN, 1);
	chan_start(&c);
	close(sp[1]);
	(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);
	CHECK(eof_called == 1 && bad_called == 0 && c.fd == -1,
	    "close is EOF: eof %d, bad %d", eof_called, bad_called);

	declarations();
	round_trip();
	poll_one();
	own_shortage(MSG_PARENT_LISTEN, &ml, sizeof(ml), 1);
	own_shortage(MSG_PARENT_STARTTLS, &lid, sizeof(lid), 0);
	fatal_without_handler();
	send_checked();
	init_checked();
	return unit_done();
}
