/*
 * msg.c -- typed messages between popd processes over SOCK_SEQPACKET
 * socketpairs, with optional descriptor passing.  A malformed message
 * from a peer is treated as a compromise of that peer: fatal, unless the
 * channel has a bad() handler (the parent's channels to its children),
 * which ends that peer instead.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"

static void	chan_event(int, short, void *);
static void	chan_update(struct chan *);
static void	chan_flush(struct chan *);
static void	chan_read(struct chan *);

const char *
msg_type_str(uint32_t type)
{
	switch (type) {
	case MSG_LST_SOCKET:
		return "LST_SOCKET";
	case MSG_LST_SESSION:
		return "LST_SESSION";
	case MSG_AUTH_LOGIN:
		return "AUTH_LOGIN";
	case MSG_AUTH_CLOSED:
		return "AUTH_CLOSED";
	case MSG_AUTH_STLS:
		return "AUTH_STLS";
	case MSG_LST_STARTTLS:
		return "LST_STARTTLS";
	case MSG_AUTH_SPAWNED:
		return "AUTH_SPAWNED";
	case MSG_AUTH_REFUSED:
		return "AUTH_REFUSED";
	case MSG_DRAIN:
		return "DRAIN";
	default:
		return "UNKNOWN";
	}
}

void
chan_init(struct chan *c, int fd, const char *self, const char *peer,
    chan_dispatch_cb dispatch, void (*eof)(struct chan *), void *arg)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->self = self;
	c->peer = peer;
	c->dispatch = dispatch;
	c->eof = eof;
	c->arg = arg;
	TAILQ_INIT(&c->outq);
	if (set_nonblock(fd) == -1)
		fatal("%s: chan_init", self);
	c->events = EV_READ;
	event_set(&c->ev, fd, c->events | EV_PERSIST, chan_event, c);
	if (event_add(&c->ev, NULL) == -1)
		fatal("%s: event_add", self);
}

/*
 * Queue a message; it leaves as soon as the peer's socket has room.  A
 * passed descriptor is closed here once it has been sent.
 */
void
chan_send(struct chan *c, uint32_t type, int fd, const void *data, size_t len)
{
	struct chan_msg	*m;

	if (len > MSG_MAXPAYLOAD)
		fatalx("%s: %s message to %s too large", c->self,
		    msg_type_str(type), c->peer);
	if ((m = calloc(1, sizeof(*m) + len)) == NULL)
		fatal("%s: chan_send", c->self);
	m->hdr.type = type;
	m->hdr.version = MSG_VERSION;
	m->hdr.len = len;
	m->fd = fd;
	if (len > 0)
		memcpy(m->data, data, len);
	TAILQ_INSERT_TAIL(&c->outq, m, entry);
	chan_flush(c);
}

void
chan_close(struct chan *c)
{
	struct chan_msg	*m;

	if (c->fd == -1)
		return;
	event_del(&c->ev);
	while ((m = TAILQ_FIRST(&c->outq)) != NULL) {
		TAILQ_REMOVE(&c->outq, m, entry);
		if (m->fd != -1)
			close(m->fd);
		free(m);
	}
	close(c->fd);
	c->fd = -1;
}

/*
 * The peer broke the protocol.  With a bad() handler it is ended (the
 * handler closes the channel) and we go on; without one we die.
 */
void
chan_bad(struct chan *c, const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->bad == NULL)
		fatalx("%s: %s", c->self, msg);
	log_warnx("%s: %s: %s is compromised or broken, ending it", c->self,
	    msg, c->peer);
	c->bad(c);
	chan_close(c);
}

/* Returns 0, or -1 after chan_bad: the caller must return at once. */
int
msg_check_size(struct chan *c, uint32_t type, size_t len, size_t want)
{
	if (len == want)
		return 0;
	chan_bad(c, "%s from %s: payload %zu bytes, want %zu",
	    msg_type_str(type), c->peer, len, want);
	return -1;
}

/* A string field must be NUL-terminated inside its fixed-size buffer. */
int
msg_check_str(struct chan *c, uint32_t type, const char *s, size_t size)
{
	if (memchr(s, '\0', size) != NULL)
		return 0;
	chan_bad(c, "%s from %s: unterminated string", msg_type_str(type),
	    c->peer);
	return -1;
}

static void
chan_update(struct chan *c)
{
	short	want = EV_READ;

	if (c->fd == -1)
		return;
	if (!TAILQ_EMPTY(&c->outq))
		want |= EV_WRITE;
	if (want == c->events)
		return;
	event_del(&c->ev);
	c->events = want;
	event_set(&c->ev, c->fd, want | EV_PERSIST, chan_event, c);
	if (event_add(&c->ev, NULL) == -1)
		fatal("%s: event_add", c->self);
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
			    errno == EINTR || errno == ENOBUFS)
				break;
			if (errno == EPIPE || errno == ECONNRESET) {
				/* The read side reports the end. */
				break;
			}
			fatal("%s: sendmsg to %s", c->self, c->peer);
		}
		TAILQ_REMOVE(&c->outq, m, entry);
		if (m->fd != -1)
			close(m->fd);
		free(m);
	}
	chan_update(c);
}

static void
chan_read(struct chan *c)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	struct msg_hdr	 hdr;
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr	*cm;
	unsigned char	 buf[sizeof(struct msg_hdr) + MSG_MAXPAYLOAD];
	ssize_t		 n;
	int		 fd;

	for (;;) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = &cmsgbuf.buf;
		mh.msg_controllen = sizeof(cmsgbuf.buf);
		if ((n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return;
			if (errno == ECONNRESET)
				n = 0;
			else
				fatal("%s: recvmsg from %s", c->self, c->peer);
		}
		if (n == 0) {
			chan_close(c);
			if (c->eof != NULL)
				c->eof(c);
			else
				fatalx("%s: %s closed the channel", c->self,
				    c->peer);
			return;
		}
		fd = -1;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS ||
			    cm->cmsg_len != CMSG_LEN(sizeof(int)) ||
			    fd != -1) {
				chan_bad(c, "bad control message from %s",
				    c->peer);
				goto bad;
			}
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		}
		if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			chan_bad(c, "truncated message from %s", c->peer);
			goto bad;
		}
		if ((size_t)n < sizeof(hdr)) {
			chan_bad(c, "short message from %s", c->peer);
			goto bad;
		}
		memcpy(&hdr, buf, sizeof(hdr));
		if (hdr.version != MSG_VERSION) {
			chan_bad(c, "message version %u from %s, want %u",
			    hdr.version, c->peer, MSG_VERSION);
			goto bad;
		}
		if (hdr.len != (size_t)n - sizeof(hdr)) {
			chan_bad(c, "%s from %s: length %u, datagram %zd",
			    msg_type_str(hdr.type), c->peer, hdr.len, n);
			goto bad;
		}
		c->dispatch(c, hdr.type, buf + sizeof(hdr), hdr.len, fd);
		if (c->fd == -1)
			return;
	}
 bad:
	/* Only reached with a bad() handler: fatal otherwise. */
	if (fd != -1)
		close(fd);
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
