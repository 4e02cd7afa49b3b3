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

static struct lograte	rate_lost;

static void	chan_event(int, short, void *);
static void	chan_update(struct chan *);
static void	chan_flush(struct chan *);
static void	chan_read(struct chan *);

static const char *const msg_names[MSG_MAX] = {
	[MSG_PARENT_LISTEN] = "PARENT_LISTEN",
	[MSG_PARENT_STARTTLS] = "PARENT_STARTTLS",
	[MSG_PARENT_SESSION] = "PARENT_SESSION",
	[MSG_PARENT_SPAWNED] = "PARENT_SPAWNED",
	[MSG_PARENT_REFUSED] = "PARENT_REFUSED",
	[MSG_PARENT_DRAIN] = "PARENT_DRAIN",
	[MSG_PARENT_PASSWD] = "PARENT_PASSWD",
	[MSG_LISTENER_SESSION] = "LISTENER_SESSION",
	[MSG_AUTHPOP_LOGIN] = "AUTHPOP_LOGIN",
	[MSG_AUTHPOP_CLOSED] = "AUTHPOP_CLOSED",
	[MSG_AUTHPOP_STLS] = "AUTHPOP_STLS",
};

const char *
msg_type_str(uint32_t type)
{
	if (type < MSG_MAX && msg_names[type] != NULL)
		return msg_names[type];
	return "UNKNOWN";
}

/*
 * c talks to peer over fd; rules say what peer may send us (see struct
 * msg_rule).  eof: the peer closed the channel (NULL: fatal).
 */
void
chan_init(struct chan *c, int fd, const char *self, const char *peer,
    const struct msg_rule *rules, size_t nrules, void (*eof)(struct chan *),
    void *arg)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->self = self;
	c->peer = peer;
	c->rules = rules;
	c->nrules = nrules;
	c->eof = eof;
	c->arg = arg;
	c->pri = -1;
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
	if (fd != -1)
		c->outfds++;
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
	c->outfds = 0;
	close(c->fd);
	c->fd = -1;
}

/*
 * Messages from this peer before other events of the same loop (libevent
 * priorities: lower first; event_priority_init must allow pri).
 */
void
chan_priority(struct chan *c, int pri)
{
	c->pri = pri;
	event_del(&c->ev);
	if (event_priority_set(&c->ev, pri) == -1)
		fatalx("%s: event_priority_set", c->self);
	if (event_add(&c->ev, NULL) == -1)
		fatal("%s: event_add", c->self);
}

/*
 * Did the kernel drop the descriptors of a message (MSG_CTRUNC) because
 * we are out of them, rather than because the peer sent too many?  Our
 * own shortage is never blamed on the peer.
 */
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
	if (c->pri != -1 && event_priority_set(&c->ev, c->pri) == -1)
		fatalx("%s: event_priority_set", c->self);
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
		if (m->fd != -1) {
			close(m->fd);
			c->outfds--;
		}
		free(m);
	}
	chan_update(c);
}

/*
 * What is wrong with a received message, or NULL: the datagram, its
 * descriptors and the rule for its type must agree exactly.
 */
static const char *
msg_check(struct chan *c, const unsigned char *buf, ssize_t n, int flags,
    int ctlbad, size_t nfds, const struct msg_rule **rulep)
{
	static char		 why[128];
	struct msg_hdr		 hdr;
	const struct msg_rule	*r;
	size_t			 i;
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
	if ((size_t)n < sizeof(hdr)) {
		(void)snprintf(why, sizeof(why), "short message (%zd bytes)",
		    n);
		return why;
	}
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.version != MSG_VERSION) {
		(void)snprintf(why, sizeof(why), "message version %u, want %u",
		    hdr.version, MSG_VERSION);
		return why;
	}
	if (hdr.len != (size_t)n - sizeof(hdr)) {
		(void)snprintf(why, sizeof(why), "%s: length %u, datagram %zd",
		    msg_type_str(hdr.type), hdr.len, n);
		return why;
	}
	for (i = 0, r = NULL; i < c->nrules; i++)
		if (c->rules[i].type == hdr.type) {
			r = &c->rules[i];
			break;
		}
	if (r == NULL) {
		(void)snprintf(why, sizeof(why), "unexpected %s (%u)",
		    msg_type_str(hdr.type), hdr.type);
		return why;
	}
	if (hdr.len != r->size) {
		(void)snprintf(why, sizeof(why), "%s: payload %u bytes, want %zu",
		    msg_type_str(hdr.type), hdr.len, r->size);
		return why;
	}
	if (lost && r->fd == MSG_FD) {
		log_rate(&rate_lost, "%s: %s from %s lost its descriptor: "
		    "out of descriptors", c->self, msg_type_str(hdr.type),
		    c->peer);
		*rulep = r;
		return NULL;
	}
	if (lost)
		return "truncated message";
	if (nfds != (r->fd == MSG_FD ? 1 : 0)) {
		(void)snprintf(why, sizeof(why), "%s with %zu descriptors, "
		    "want %d", msg_type_str(hdr.type), nfds,
		    r->fd == MSG_FD ? 1 : 0);
		return why;
	}
	*rulep = r;
	return NULL;
}

/*
 * Read and dispatch every waiting message.  Every descriptor that comes
 * in, however many a datagram carries, is either handed to the handler
 * (which owns it) or closed here: a rejected message leaks nothing.
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
	const struct msg_rule	*rule;
	unsigned char		 buf[sizeof(struct msg_hdr) + MSG_MAXPAYLOAD];
	const char		*why;
	ssize_t			 n;
	size_t			 nfds, i, k;
	int			 fds[MSG_MAXFDS], ctlbad;

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
		nfds = 0;
		ctlbad = 0;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS) {
				ctlbad = 1;
				continue;
			}
			k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < k && nfds < MSG_MAXFDS; i++)
				memcpy(&fds[nfds++], CMSG_DATA(cm) +
				    i * sizeof(int), sizeof(int));
		}
		/* The end, unless an empty datagram came with something. */
		if (n == 0 && nfds == 0 && !ctlbad &&
		    !(mh.msg_flags & MSG_CTRUNC)) {
			chan_close(c);
			if (c->eof != NULL)
				c->eof(c);
			else
				fatalx("%s: %s closed the channel", c->self,
				    c->peer);
			return;
		}
		rule = NULL;
		if ((why = msg_check(c, buf, n, mh.msg_flags, ctlbad, nfds,
		    &rule)) != NULL) {
			for (i = 0; i < nfds; i++)
				close(fds[i]);
			chan_bad(c, "%s from %s", why, c->peer);
			return;
		}
		rule->handler(c, buf + sizeof(struct msg_hdr),
		    n - sizeof(struct msg_hdr), nfds ? fds[0] : -1);
		if (c->fd == -1)
			return;
	}
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
