/*
 * listener_relay.c -- the listener's relay engine: bytes of a logged-in
 * or pre-login session between the client (TLS, or plaintext spliced
 * through a pipe) and its worker's socketpair, unchanged in both
 * directions, in bounded rounds.  listener.c admits the connections,
 * runs their handshakes and STLS, and calls session_relay.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "popd.h"
#include "compat.h"
#include "stats.h"
#include "listener.h"

static int	relay_client_in(struct session *, short *);
static int	relay_worker_out(struct session *, short *);
static void	relay_client_eof(struct session *);
static int	relay_worker_in(struct session *, short *);
static int	relay_client_out(struct session *, short *);
static int	relay_finish(struct session *, short *);
static int	relay_splice_in(struct session *, short *);

/*
 * One round of the relay, in the order bytes flow: client to buffer to
 * worker, worker to buffer to client, then the ends.  Adds to *sw and
 * *pw the events the client socket and the pair wait for, sets *sent
 * when the client took data.  Returns 1 if anything moved, 0 if not,
 * -1 if the session is gone.
 */
int
session_relay(struct session *s, short *sw, short *pw, int *sent)
{
	int	r, progress = 0;

	if ((r = relay_client_in(s, sw)) == -1)
		return -1;
	progress |= r;
	if ((r = relay_worker_out(s, pw)) == -1)
		return -1;
	progress |= r;
	relay_client_eof(s);
	if ((r = relay_worker_in(s, pw)) == -1)
		return -1;
	progress |= r;
	if ((r = relay_client_out(s, sw)) == -1)
		return -1;
	if (r == 1)
		*sent = 1;
	progress |= r;
	if (relay_finish(s, sw) == -1)
		return -1;
	return progress;
}

/* Client to buffer; nothing more is read once closing. */
static int
relay_client_in(struct session *s, short *sw)
{
	unsigned char	*p;
	size_t		 room;
	ssize_t		 n;
	int		 r;

	if (s->state != SESS_RELAY || s->client_eof ||
	    (r = relaybuf_space(&s->up, 1, &p, &room)) == 1)
		return 0;
	if (r == -1)
		return relay_nobuf(s);
	n = client_read(s, p, room);
	if (n > 0) {
		s->up.len += n;
		return 1;
	}
	if (n == 0) {
		log_debug("%s: client closed", s->addr);
		s->client_eof = 1;
		return 1;
	}
	if (n == TLS_WANT_POLLIN)
		*sw |= EV_READ;
	else if (n == TLS_WANT_POLLOUT)
		*sw |= EV_WRITE;
	else {
		if (client_gone(s))
			log_debug("%s: client gone: %s", s->addr,
			    client_error(s));
		else
			log_info("%s: client read: %s", s->addr,
			    client_error(s));
		session_free(s);
		return -1;
	}
	return 0;
}

/* Buffer to worker. */
static int
relay_worker_out(struct session *s, short *pw)
{
	ssize_t	n;

	if (s->up.len == 0)
		return 0;
	n = send(s->pair, s->up.data + s->up.off, s->up.len, MSG_NOSIGNAL);
	if (n > 0) {
		relaybuf_consume(&s->up, n, 1);
		return 1;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		*pw |= EV_WRITE;
		return 0;
	}
	if (errno == EPIPE || errno == ECONNRESET) {
		/* The worker left; its EOF ends the session. */
		relaybuf_consume(&s->up, s->up.len, 1);
		return 1;
	}
	log_warn("%s: send to worker", s->addr);
	session_free(s);
	return -1;
}

/*
 * Pass the client's end of input on, after everything it sent before,
 * so a pipelined QUIT still reaches the worker.
 */
static void
relay_client_eof(struct session *s)
{
	if (s->client_eof && s->up.len == 0 && !s->pair_shut) {
		(void)shutdown(s->pair, SHUT_WR);
		s->pair_shut = 1;
	}
}

/* Worker to buffer. */
static int
relay_worker_in(struct session *s, short *pw)
{
	unsigned char	*p;
	size_t		 room;
	ssize_t		 n;
	int		 r;

	if (s->pair_eof || s->piped > 0)
		return 0;
	if (s->tls == NULL && s->down.len == 0 && pipe_take(s) == 0)
		return relay_splice_in(s, pw);
	if ((r = relaybuf_space(&s->down, !s->wpending, &p, &room)) == 1)
		return 0;
	if (r == -1)
		return relay_nobuf(s);
	n = read(s->pair, p, room);
	if (n > 0) {
		s->down.len += n;
		return 1;
	}
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)) {
		*pw |= EV_READ;
		return 0;
	}
	if (n == 0 || errno == ECONNRESET) {
		s->pair_eof = 1;
		s->state = SESS_CLOSING;
		session_timer(s, 0);	/* rearmed by session_run */
		return 1;
	}
	log_warn("%s: read from worker", s->addr);
	session_free(s);
	return -1;
}

/*
 * Buffer to client, as far as the client takes it.  libtls writes one
 * TLS record per call; with more than one to go, the records are corked
 * into segments as large as the kernel makes them, instead of a packet
 * each (TCP_NODELAY is for the short replies).
 */
static int
relay_client_out(struct session *s, short *sw)
{
	ssize_t	n;
	int	moved = 0, corked = 0;

	if (s->piped > 0)
		return relay_splice_out(s, sw);
	while (s->down.len > 0) {
		if (!corked && s->down.len > TLS_RECORD_MAX)
			corked = compat_cork(s->sock, 1) == 0;
		n = client_write(s, s->down.data + s->down.off, s->down.len);
		if (n > 0) {
			s->wpending = 0;
			relaybuf_consume(&s->down, n, 0);
			moved = 1;
			continue;
		}
		if (n == TLS_WANT_POLLIN) {
			s->wpending = 1;
			*sw |= EV_READ;
		} else if (n == TLS_WANT_POLLOUT) {
			s->wpending = 1;
			*sw |= EV_WRITE;
		} else {
			if (client_gone(s))
				log_debug("%s: client gone: %s", s->addr,
				    client_error(s));
			else
				log_info("%s: client write: %s", s->addr,
				    client_error(s));
			session_free(s);
			return -1;
		}
		break;
	}
	if (corked)
		(void)compat_cork(s->sock, 0);
	return moved;
}

/*
 * Plaintext from the worker to the client through a pipe (splice(2)):
 * the pages the worker wrote go to the TCP socket without being copied
 * into this process and out again.  A session holds a pipe only while
 * octets are in it; with none free it copies as TLS sessions do.
 */
int
pipe_take(struct session *s)
{
	if (s->pipe[0] != -1)
		return 0;
	if (npipes == 0)
		return -1;
	npipes--;
	s->pipe[0] = pipes[npipes][0];
	s->pipe[1] = pipes[npipes][1];
	return 0;
}

/*
 * The pipe back to the pool, emptied first if the session ends with
 * octets in it (at most the pipe's size: a few reads).
 */
void
pipe_give(struct session *s)
{
	char	buf[4096];

	if (s->pipe[0] == -1)
		return;
	while (s->piped > 0 && read(s->pipe[0], buf, sizeof(buf)) > 0)
		;
	s->piped = 0;
	pipes[npipes][0] = s->pipe[0];
	pipes[npipes][1] = s->pipe[1];
	npipes++;
	s->pipe[0] = s->pipe[1] = -1;
}

/* Worker to pipe: as relay_worker_in, for an empty pipe. */
static int
relay_splice_in(struct session *s, short *pw)
{
	ssize_t	n;

	n = compat_splice(s->pair, s->pipe[1], RELAY_DOWN);
	if (n > 0) {
		s->piped = n;
		return 1;
	}
	pipe_give(s);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)) {
		*pw |= EV_READ;
		return 0;
	}
	if (n == 0 || errno == ECONNRESET) {
		s->pair_eof = 1;
		s->state = SESS_CLOSING;
		session_timer(s, 0);	/* rearmed by session_run */
		return 1;
	}
	log_warn("%s: splice from worker", s->addr);
	session_free(s);
	return -1;
}

/* Pipe to client: as relay_client_out. */
int
relay_splice_out(struct session *s, short *sw)
{
	ssize_t	n;
	int	moved = 0;

	while (s->piped > 0) {
		n = compat_splice(s->pipe[0], s->sock, s->piped);
		if (n > 0) {
			s->piped -= n;
			moved = 1;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR)) {
			*sw |= EV_WRITE;
			return moved;
		}
		if (errno == EPIPE || errno == ECONNRESET)
			log_debug("%s: client gone: %s", s->addr,
			    strerror(errno));
		else
			log_info("%s: client write: %s", s->addr,
			    n == 0 ? "nothing sent" : strerror(errno));
		session_free(s);
		return -1;
	}
	pipe_give(s);
	return moved;
}

/*
 * The worker is done and the client has it all: close TLS, then the
 * session.  Returns -1 once the session is gone.
 */
static int
relay_finish(struct session *s, short *sw)
{
	int	r;

	if (!s->pair_eof || s->down.len > 0 || s->piped > 0)
		return 0;
	r = s->tls != NULL ? tls_close(s->tls) : 0;
	if (r == TLS_WANT_POLLIN)
		*sw |= EV_READ;
	else if (r == TLS_WANT_POLLOUT)
		*sw |= EV_WRITE;
	else {
		session_free(s);
		return -1;
	}
	return 0;
}

/* No relay buffer could be had: the session ends. */
int
relay_nobuf(struct session *s)
{
	log_warn("%s: relay buffer", s->addr);
	session_free(s);
	return -1;
}

/* Like tls_read, for both kinds of session: n, 0 at EOF, TLS_WANT_*, -1. */
ssize_t
client_read(struct session *s, void *buf, size_t len)
{
	ssize_t	n;

	if (s->tls != NULL)
		return tls_read(s->tls, buf, len);
	if ((n = read(s->sock, buf, len)) == -1 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return TLS_WANT_POLLIN;
	return n;
}

ssize_t
client_write(struct session *s, const void *buf, size_t len)
{
	ssize_t	n;

	if (s->tls != NULL)
		return tls_write(s->tls, buf, len);
	if ((n = send(s->sock, buf, len, MSG_NOSIGNAL)) == -1 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return TLS_WANT_POLLOUT;
	return n;
}

/*
 * The client just went away: it closed or reset the connection, or ended
 * TLS without a close_notify (as many do after QUIT).  That is an
 * ordinary end of session, not a fault worth the default log level.
 */
int
client_gone(struct session *s)
{
	const char	*e;

	if (errno == ECONNRESET || errno == EPIPE)
		return 1;
	if (s->tls == NULL || (e = tls_error(s->tls)) == NULL)
		return 0;
	return strstr(e, "unexpected eof") != NULL ||
	    strstr(e, "EOF") != NULL || strstr(e, "Connection reset") != NULL ||
	    strstr(e, "Broken pipe") != NULL;
}

/* Why the last client_read/client_write/tls_handshake failed. */
const char *
client_error(struct session *s)
{
	const char	*e;

	if (s->tls == NULL)
		return strerror(errno);
	if ((e = tls_error(s->tls)) == NULL)
		return "unknown error";
	return e;
}

/*
 * Where the next read into b may go: 0 and *p, *room; 1 if b is full;
 * -1 if no buffer could be allocated.  The data moves to the front only
 * if movable: a tls_write waiting to be retried must see the same bytes
 * at the same address.
 */
int
relaybuf_space(struct relaybuf *b, int movable, unsigned char **p,
    size_t *room)
{
	if (b->data == NULL) {
		if (b->size == RELAY_DOWN && nspare > 0)
			b->data = sparebufs[--nspare];
		else if ((b->data = malloc(b->size)) == NULL)
			return -1;
		b->off = b->len = 0;
	}
	if (b->off + b->len == b->size && b->off > 0 && movable &&
	    b->len <= b->size / 4) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
	if (b->off + b->len == b->size)
		return 1;
	*p = b->data + b->off + b->len;
	*room = b->size - b->off - b->len;
	return 0;
}

/* Drop n bytes from the front; wipe them if they may hold a password. */
void
relaybuf_consume(struct relaybuf *b, size_t n, int wipe)
{
	if (wipe)
		explicit_bzero(b->data + b->off, n);
	b->off += n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}

/*
 * Give an empty buffer back, so idle sessions stay small: to the few
 * kept for the next session that streams (no malloc and free per
 * wakeup of a long RETR), or to the allocator.
 */
void
relaybuf_release(struct relaybuf *b)
{
	if (b->data == NULL || b->len > 0)
		return;
	if (b->size == RELAY_DOWN && nspare < RELAY_SPARE)
		sparebufs[nspare++] = b->data;
	else
		free(b->data);
	b->data = NULL;
	b->off = 0;
}

