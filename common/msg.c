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
 * msg.c -- typed messages over SOCK_SEQPACKET, each checked against its
 * declaration (proto.c).  A malformed one means a compromised peer: fatal, or
 * bad() ends it.  Sending one against its declaration is our bug: fatal.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <event.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"

#define CHAN_DRAINMAX	4096	/* messages of a peer gone, read at most */

static struct lograte	rate_lost;

static void	chan_event(int, short, void *);
static void	chan_update(struct chan *);
static void	chan_flush(struct chan *);
static void	chan_read(struct chan *);
static const char *reason(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));

static const struct msg_handler *
chan_handler(const struct chan *c, uint32_t type)
{
	size_t	i;

	for (i = 0; i < c->nhandlers; i++)
		if (c->handlers[i].type == type)
			return &c->handlers[i];
	return NULL;
}

/* handlers cover exactly the types declared from peer to self. */
void
chan_init(struct chan *c, int fd, int self, int peer, int phase,
    const struct msg_handler *handlers, size_t nhandlers,
    void (*eof)(struct chan *), void *arg)
{
	const struct msg_decl	*const *all, *d;
	size_t			 i, n;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->self = self;
	c->peer = peer;
	c->phase = phase;
	c->handlers = handlers;
	c->nhandlers = nhandlers;
	c->eof = eof;
	c->arg = arg;
	c->pri = -1;
	TAILQ_INIT(&c->outq);
	if (!msg_checks(self))
		fatalx("%s: built without the checks of its messages",
		    proc_str(self));
	all = msg_decls(&n);
	for (i = 0; i < n; i++)
		if (all[i]->from == peer && (all[i]->to & self) &&
		    chan_handler(c, all[i]->type) == NULL)
			fatalx("no handler for %s from %s", all[i]->name,
			    proc_str(peer));
	for (i = 0; i < nhandlers; i++)
		if ((d = msg_decl(handlers[i].type)) == NULL ||
		    d->from != peer || !(d->to & self))
			fatalx("a handler for %s, which %s does not send",
			    msg_type_str(handlers[i].type), proc_str(peer));
	if (set_nonblock(fd) == -1)
		fatal("channel to %s", proc_str(peer));
}

void
chan_start(struct chan *c)
{
	c->started = 1;
	chan_update(c);
}

/* One message, so that its phase change is seen. */
void
chan_poll(struct chan *c)
{
	struct pollfd	 pfd;

	pfd.fd = c->fd;
	pfd.events = POLLIN;
	while (c->fd != -1 && poll(&pfd, 1, -1) == -1)
		if (errno != EINTR)
			fatal("poll");
	if (c->fd != -1)
		chan_read(c);
}

/*
 * The parent reaps a child before it reads its last messages (a draining
 * authpop's hand-backs).
 */
void
chan_drain(struct chan *c)
{
	struct pollfd	 pfd;
	int		 i;

	for (i = 0; i < CHAN_DRAINMAX && c->fd != -1; i++) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) <= 0)
			break;
		chan_read(c);
	}
}

/*
 * Type, size, descriptor and phase must match its declaration (else our bug:
 * fatal); the receiver checks the fields.
 */
void
chan_send(struct chan *c, uint32_t type, int fd, const void *data, size_t len)
{
	const struct msg_decl	*d;
	struct chan_msg		*m;

	if ((d = msg_decl(type)) == NULL || d->from != c->self ||
	    !(d->to & c->peer))
		fatalx("%s is not a message to %s", msg_type_str(type),
		    proc_str(c->peer));
	if (len != d->size || (fd != -1) != (d->fd == MSG_FD) ||
	    !(d->phases & c->phase))
		fatalx("%s to %s: %zu bytes, fd %d, phase %#x, against its "
		    "declaration", d->name, proc_str(c->peer), len, fd,
		    c->phase);
	if (d->next != 0)
		c->phase = d->next;
	/* A closed channel takes nothing: the descriptor is ours to close. */
	if (c->fd == -1) {
		if (fd != -1)
			close(fd);
		return;
	}
	if ((m = calloc(1, sizeof(*m) + len)) == NULL)
		fatal("chan_send");
	m->hdr.type = type;
	m->hdr.version = MSG_VERSION;
	m->hdr.len = len;
	m->fd = fd;
	if (fd != -1)
		c->outfds++;
	if (len > 0)
		memcpy(m->data, data, len);
	TAILQ_INSERT_TAIL(&c->outq, m, entry);
	c->outmsgs++;
	chan_flush(c);
}

/* dlvrpop creates no file before its INTENT is out.  -1, EPIPE: peer gone. */
int
chan_sync(struct chan *c)
{
	struct pollfd	pfd;

	while (c->fd != -1) {
		chan_flush(c);
		if (TAILQ_EMPTY(&c->outq))
			return 0;
		pfd.fd = c->fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;	/* none, after an EINTR */
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			fatal("poll");
		if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
			break;
	}
	errno = EPIPE;
	return -1;
}

void
chan_close(struct chan *c)
{
	struct chan_msg	*m;

	if (c->fd == -1)
		return;
	if (c->started)
		event_del(&c->ev);
	while ((m = TAILQ_FIRST(&c->outq)) != NULL) {
		TAILQ_REMOVE(&c->outq, m, entry);
		if (m->fd != -1)
			close(m->fd);
		freezero(m, sizeof(*m) + m->hdr.len);
	}
	c->outfds = c->outmsgs = 0;
	close(c->fd);
	c->fd = -1;
}

/* Lower first; event_priority_init must allow pri. */
void
chan_priority(struct chan *c, int pri)
{
	if (c->started)
		fatalx("%s: after chan_start", __func__);
	c->pri = pri;
}

/* A descriptor dropped for our own shortage is never the peer's fault. */
static int
fds_exhausted(int probe)
{
	int	fd;

	if ((fd = dup(probe)) != -1) {
		close(fd);
		return 0;
	}
	return errno == EMFILE || errno == ENFILE;
}

void
chan_bad(struct chan *c, const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->bad == NULL)
		fatalx("%s", msg);
	log_warnx("%s: %s is compromised or broken, ending it", msg,
	    proc_str(c->peer));
	c->bad(c);
	chan_close(c);
}

static void
chan_update(struct chan *c)
{
	short	want = EV_READ;

	if (c->fd == -1 || !c->started)
		return;
	if (!TAILQ_EMPTY(&c->outq))
		want |= EV_WRITE;
	if (want == c->events)
		return;
	if (c->events != 0)
		event_del(&c->ev);
	c->events = want;
	event_set(&c->ev, c->fd, want | EV_PERSIST, chan_event, c);
	if (c->pri != -1 && event_priority_set(&c->ev, c->pri) == -1)
		fatalx("event_priority_set");
	if (event_add(&c->ev, NULL) == -1)
		fatal("event_add");
}

static void
chan_flush(struct chan *c)
{
	struct chan_msg	*m;
	struct msghdr	 mh;
	struct iovec	 iov[2];
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr	*cm;

	while (c->fd != -1 && (m = TAILQ_FIRST(&c->outq)) != NULL) {
		memset(&mh, 0, sizeof(mh));
		iov[0].iov_base = &m->hdr;
		iov[0].iov_len = sizeof(m->hdr);
		iov[1].iov_base = m->data;
		iov[1].iov_len = m->hdr.len;
		mh.msg_iov = iov;
		mh.msg_iovlen = 2;
		if (m->fd != -1) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			mh.msg_control = &cmsgbuf.buf;
			mh.msg_controllen = sizeof(cmsgbuf.buf);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cm), &m->fd, sizeof(int));
		}
		if (sendmsg(c->fd, &mh, MSG_NOSIGNAL) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ENOBUFS ||
			    errno == EPIPE || errno == ECONNRESET)
				break;
			fatal("sendmsg to %s", proc_str(c->peer));
		}
		TAILQ_REMOVE(&c->outq, m, entry);
		c->outmsgs--;
		if (m->fd != -1) {
			close(m->fd);
			c->outfds--;
		}
		freezero(m, sizeof(*m) + m->hdr.len);
	}
	chan_update(c);
}

static const char *
reason(const char *fmt, ...)
{
	static char	buf[160];
	va_list		ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

/*
 * Datagram, descriptors and declaration agree exactly, from the peer, in phase.
 */
static const char *
msg_check(struct chan *c, const unsigned char *buf, ssize_t n, int flags,
    int ctlbad, size_t nfds, const struct msg_decl **declp)
{
	struct msg_hdr		 hdr;
	const struct msg_decl	*d;
	const char		*bad;
	int			 lost = 0;

	if (flags & MSG_TRUNC)
		return "truncated message";
	if (flags & MSG_CTRUNC) {
		if (nfds != 0 || !fds_exhausted(c->fd))
			return "truncated message";
		lost = 1;
	}
	if (ctlbad)
		return "bad control message";
	if ((size_t)n < sizeof(hdr))
		return reason("short message (%zd bytes)", n);
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.version != MSG_VERSION)
		return reason("message version %u, want %u", hdr.version,
		    MSG_VERSION);
	if (hdr.len != (size_t)n - sizeof(hdr))
		return reason("%s: length %u, datagram %zd",
		    msg_type_str(hdr.type), hdr.len, n);
	if ((d = msg_decl(hdr.type)) == NULL || d->from != c->peer ||
	    !(d->to & c->self))
		return reason("unexpected %s (%u)", msg_type_str(hdr.type),
		    hdr.type);
	if (!(d->phases & c->phase))
		return reason("%s out of order (phase %#x)", d->name, c->phase);
	if (hdr.len != d->size)
		return reason("%s: payload %u bytes, want %zu", d->name,
		    hdr.len, d->size);
	if ((bad = d->valid(buf + sizeof(hdr))) != NULL)
		return reason("%s: bad %s", d->name, bad);
	if (lost && d->fd != MSG_FD)
		return "truncated message";
	if (lost)
		log_rate(&rate_lost, "%s from %s lost its descriptor: out of "
		    "descriptors", d->name, proc_str(c->peer));
	else if (nfds != (d->fd == MSG_FD ? 1 : 0))
		return reason("%s with %zu descriptors, want %d", d->name,
		    nfds, d->fd == MSG_FD ? 1 : 0);
	*declp = d;
	return NULL;
}

/*
 * Level-triggered: one message per wakeup.  Every descriptor that comes in goes
 * to the handler or is closed: a rejected message leaks none.
 */
static void
chan_read(struct chan *c)
{
	struct msghdr		 mh;
	struct iovec		 iov;
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int) * MSG_MAXFDS)];
	} cmsgbuf;
	struct cmsghdr		*cm;
	const struct msg_decl	*decl;
	/* Aligned, so that handlers may read the payload as its struct. */
	union {
		max_align_t	align;
		unsigned char	buf[sizeof(struct msg_hdr) + MSG_MAXPAYLOAD];
	} u;
	unsigned char		*buf = u.buf;
	const char		*why;
	ssize_t			 n;
	size_t			 nfds, i, k;
	int			 fds[MSG_MAXFDS], ctlbad;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = sizeof(u.buf);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = &cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
	if ((n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (errno == ECONNRESET) {
			n = 0;
			mh.msg_controllen = 0;
			mh.msg_flags = 0;
		} else
			fatal("recvmsg from %s", proc_str(c->peer));
	}
	nfds = 0;
	ctlbad = 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS) {
			ctlbad = 1;
			continue;
		}
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k && nfds < MSG_MAXFDS; i++)
			memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
	}
	/* The end, unless an empty datagram came with something. */
	if (n == 0 && nfds == 0 && !ctlbad &&
	    !(mh.msg_flags & MSG_CTRUNC)) {
		chan_close(c);
		if (c->eof != NULL)
			c->eof(c);
		else
			fatalx("%s closed the channel", proc_str(c->peer));
		return;
	}
	decl = NULL;
	if ((why = msg_check(c, buf, n, mh.msg_flags, ctlbad, nfds,
	    &decl)) != NULL) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		chan_bad(c, "%s from %s", why, proc_str(c->peer));
		return;
	}
	/* The handler runs in the phase the message moves to. */
	if (decl->next != 0)
		c->phase = decl->next;
	c->intype = decl->type;
	chan_handler(c, decl->type)->fn(c, buf + sizeof(struct msg_hdr),
	    nfds ? fds[0] : -1);
}

static void
chan_event(int fd, short ev, void *arg)
{
	struct chan	*c = arg;

	if (ev & EV_WRITE)
		chan_flush(c);
	if (c->fd != -1 && (ev & EV_READ))
		chan_read(c);
}
