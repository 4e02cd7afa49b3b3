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
 * listener_relay.c -- the listener's relay engine: bytes of a logged-in
 * or pre-login session between the client (TLS, or plaintext spliced
 * through a pipe) and its worker's socketpair, unchanged in both
 * directions, in bounded rounds.  listener.c runs the sessions (their
 * handshakes and STLS) and calls relay_round, and relay_stls for STLS.
 *
 * The relay knows a session only as its struct relayio, and tells
 * listener.c when the worker has finished sending (session_closing) and
 * when the session must end (session_free).  It keeps the pools all
 * sessions share: empty down buffers and splice pipes.
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

#include "proto.h"
#include "compat.h"
#include "stats.h"
#include "listener.h"

/* Empty down buffers, kept for the next session that streams. */
static unsigned char	*sparebufs[RELAY_SPARE];
static int		 nspare;
/* Empty pipes for relaying plaintext without copying (pipe_take). */
static int		 pipes[RELAY_PIPES][2];
static int		 npipes;

/* Before the sandbox, which allows no pipe(2): the splice pipes. */
void
relay_init(void)
{
	for (npipes = 0; npipes < RELAY_PIPES; npipes++)
		if (compat_relay_pipe(pipes[npipes], RELAY_DOWN) == -1) {
			if (errno != ENOSYS)
				log_warn("relay pipe");
			break;
		}
}

/* No relay buffer could be had: the session ends. */
static int
relay_nobuf(struct relayio *io)
{
	log_warn("%s: relay buffer", io->addr);
	session_free(io->arg);
	return -1;
}

/* A client read or write failed: the session ends, logged as why. */
static int
relay_client_fail(struct relayio *io, const char *how)
{
	if (client_gone(io))
		log_debug("%s: client gone: %s", io->addr, client_error(io));
	else
		log_info("%s: client %s: %s", io->addr, how, client_error(io));
	session_free(io->arg);
	return -1;
}

/* Adds to *sw what a TLS_WANT_* in r waits for: 1 if it was one. */
static int
relay_want(ssize_t r, short *sw)
{
	if (r == TLS_WANT_POLLIN)
		*sw |= EV_READ;
	else if (r == TLS_WANT_POLLOUT)
		*sw |= EV_WRITE;
	else
		return 0;
	return 1;
}

/* Like tls_read, for both kinds of session: n, 0 at EOF, TLS_WANT_*, -1. */
static ssize_t
client_read(struct relayio *io, void *buf, size_t len)
{
	ssize_t	n;

	if (io->tls != NULL)
		return tls_read(io->tls, buf, len);
	if ((n = read(io->sock, buf, len)) == -1 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return TLS_WANT_POLLIN;
	return n;
}

static ssize_t
client_write(struct relayio *io, const void *buf, size_t len)
{
	ssize_t	n;

	if (io->tls != NULL)
		return tls_write(io->tls, buf, len);
	if ((n = send(io->sock, buf, len, MSG_NOSIGNAL)) == -1 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return TLS_WANT_POLLOUT;
	return n;
}

/*
 * Plaintext from the worker to the client through a pipe (splice(2)):
 * the pages the worker wrote go to the TCP socket without being copied
 * into this process and out again.  A session holds a pipe only while
 * octets are in it; with none free it copies as TLS sessions do.
 */
static int
pipe_take(struct relayio *io)
{
	if (io->pipe[0] != -1)
		return 0;
	if (npipes == 0)
		return -1;
	npipes--;
	io->pipe[0] = pipes[npipes][0];
	io->pipe[1] = pipes[npipes][1];
	return 0;
}

/*
 * The pipe back to the pool, emptied first if the session ends with
 * octets in it (at most the pipe's size: a few reads).
 */
void
pipe_give(struct relayio *io)
{
	char	buf[4096];

	if (io->pipe[0] == -1)
		return;
	while (io->piped > 0 && read(io->pipe[0], buf, sizeof(buf)) > 0)
		;
	io->piped = 0;
	pipes[npipes][0] = io->pipe[0];
	pipes[npipes][1] = io->pipe[1];
	npipes++;
	io->pipe[0] = io->pipe[1] = -1;
}

/*
 * No bytes from the worker (n is 0 or -1): wait for more, or its EOF
 * (what it sent still goes out), or the end of the session.
 */
static int
relay_worker_none(struct relayio *io, ssize_t n, short *pw, const char *how)
{
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)) {
		*pw |= EV_READ;
		return 0;
	}
	if (n == 0 || errno == ECONNRESET) {
		io->pair_eof = 1;
		session_closing(io->arg);
		return 1;
	}
	log_warn("%s: %s from worker", io->addr, how);
	session_free(io->arg);
	return -1;
}

/* Worker to pipe: as relay_worker_in, for an empty pipe. */
static int
relay_splice_in(struct relayio *io, short *pw)
{
	ssize_t	n;

	n = compat_splice(io->pair, io->pipe[1], RELAY_DOWN);
	if (n > 0) {
		io->piped = n;
		io->spoke = 1;
		return 1;
	}
	pipe_give(io);
	return relay_worker_none(io, n, pw, "splice");
}

/* Pipe to client: as relay_client_out. */
static int
relay_splice_out(struct relayio *io, short *sw)
{
	ssize_t	n;
	int	moved = 0;

	while (io->piped > 0) {
		n = compat_splice(io->pipe[0], io->sock, io->piped);
		if (n > 0) {
			io->piped -= n;
			moved = 1;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR)) {
			*sw |= EV_WRITE;
			return moved;
		}
		return relay_client_fail(io, "write");
	}
	pipe_give(io);
	return moved;
}

/* Client to buffer; nothing more is read once the worker is done. */
static int
relay_client_in(struct relayio *io, short *sw)
{
	unsigned char	*p;
	size_t		 room;
	ssize_t		 n;
	int		 r;

	if (io->pair_eof || io->client_eof ||
	    (r = relaybuf_space(&io->up, 1, &p, &room)) == 1)
		return 0;
	if (r == -1)
		return relay_nobuf(io);
	n = client_read(io, p, room);
	if (n > 0) {
		io->up.len += n;
		io->spoke = 0;
		return 1;
	}
	if (n == 0) {
		log_debug("%s: client closed", io->addr);
		io->client_eof = 1;
		return 1;
	}
	if (relay_want(n, sw))
		return 0;
	return relay_client_fail(io, "read");
}

/* Buffer to worker. */
static int
relay_worker_out(struct relayio *io, short *pw)
{
	ssize_t	n;

	if (io->up.len == 0)
		return 0;
	n = send(io->pair, io->up.data + io->up.off, io->up.len, MSG_NOSIGNAL);
	if (n > 0) {
		io->upsent += n;
		relaybuf_consume(&io->up, n, 1);
		return 1;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		*pw |= EV_WRITE;
		return 0;
	}
	if (errno == EPIPE || errno == ECONNRESET) {
		/* The worker left; its EOF ends the session. */
		relaybuf_consume(&io->up, io->up.len, 1);
		return 1;
	}
	log_warn("%s: send to worker", io->addr);
	session_free(io->arg);
	return -1;
}

/* Worker to buffer. */
static int
relay_worker_in(struct relayio *io, short *pw)
{
	unsigned char	*p;
	size_t		 room;
	ssize_t		 n;
	int		 r;

	if (io->pair_eof || io->piped > 0)
		return 0;
	if (io->tls == NULL && io->down.len == 0 && pipe_take(io) == 0)
		return relay_splice_in(io, pw);
	if ((r = relaybuf_space(&io->down, !io->wpending, &p, &room)) == 1)
		return 0;
	if (r == -1)
		return relay_nobuf(io);
	n = read(io->pair, p, room);
	if (n > 0) {
		io->down.len += n;
		io->spoke = 1;
		return 1;
	}
	return relay_worker_none(io, n, pw, "read");
}

/*
 * Buffer to client, as far as the client takes it.  libtls writes one
 * TLS record per call; with more than one to go, the records are corked
 * into segments as large as the kernel makes them, instead of a packet
 * each (TCP_NODELAY is for the short replies).
 */
static int
relay_client_out(struct relayio *io, short *sw)
{
	ssize_t	n = 0;
	int	moved = 0, corked = 0;

	if (io->piped > 0)
		return relay_splice_out(io, sw);
	while (io->down.len > 0) {
		if (!corked && io->down.len > TLS_RECORD_MAX)
			corked = compat_cork(io->sock, 1) == 0;
		n = client_write(io, io->down.data + io->down.off,
		    io->down.len);
		if (n <= 0)
			break;
		io->wpending = 0;
		relaybuf_consume(&io->down, n, 0);
		moved = 1;
	}
	/* Unsent: a tls_write to redo as is, or the end. */
	if (io->down.len > 0 && (io->wpending = relay_want(n, sw)) == 0)
		return relay_client_fail(io, "write");
	if (corked)
		(void)compat_cork(io->sock, 0);
	return moved;
}

/* The worker is done, the client has it all: close TLS, then the session. */
static int
relay_finish(struct relayio *io, short *sw)
{
	int	r;

	if (!io->pair_eof || io->down.len > 0 || io->piped > 0)
		return 0;
	r = io->tls != NULL ? tls_close(io->tls) : 0;
	if (relay_want(r, sw))
		return 0;
	session_free(io->arg);
	return -1;
}

/*
 * One round of the relay, in the order bytes flow: client to buffer to
 * worker, worker to buffer to client, then the ends.  Adds to *sw and
 * *pw the events the client socket and the pair wait for, sets *sent
 * when the client took data.  Returns 1 if anything moved, 0 if not,
 * -1 if the session is gone.
 */
int
relay_round(struct relayio *io, short *sw, short *pw, int *sent)
{
	int	cin, wout, win, cout;

	if ((cin = relay_client_in(io, sw)) == -1 ||
	    (wout = relay_worker_out(io, pw)) == -1)
		return -1;
	/* The client's end, after all it sent: a pipelined QUIT counts. */
	if (io->client_eof && io->up.len == 0 && !io->pair_shut) {
		(void)shutdown(io->pair, SHUT_WR);
		io->pair_shut = 1;
	}
	if ((win = relay_worker_in(io, pw)) == -1 ||
	    (cout = relay_client_out(io, sw)) == -1 ||
	    relay_finish(io, sw) == -1)
		return -1;
	if (cout)
		*sent = 1;
	return cin | wout | win | cout;
}

/*
 * STLS, the relay's part: to the client what authpop wrote before the
 * STLS (in the pair already, which the caller watches no more), then msg
 * (our +OK), the pair closed.  0 once all is sent, 1 while the client
 * must take more (*sent once it took some), -1 once the session is gone.
 */
int
relay_stls(struct relayio *io, const char *msg, size_t len, int *sent)
{
	unsigned char	*p;
	size_t		 room;
	ssize_t		 n;
	short		 sw = 0;

	for (;;) {
		/* What the worker wrote before, spliced and not sent yet. */
		if (io->piped > 0) {
			if (relay_splice_out(io, &sw) == -1)
				return -1;
			if (io->piped > 0)
				return 1;
			*sent = 1;
			continue;
		}
		if (io->down.len > 0) {
			/* Plaintext yet: client_write is send(2). */
			n = client_write(io, io->down.data + io->down.off,
			    io->down.len);
			if (n > 0) {
				relaybuf_consume(&io->down, n, 0);
				*sent = 1;
				continue;
			}
			if (n == TLS_WANT_POLLOUT)
				return 1;
			log_info("%s: STLS: %s", io->addr, strerror(errno));
			session_free(io->arg);
			return -1;
		}
		if (io->pair == -1)
			return 0;
		if (relaybuf_space(&io->down, 1, &p, &room) == -1)
			return relay_nobuf(io);
		n = read(io->pair, p, room);
		if (n > 0) {
			io->down.len += n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			/* The worker went away: nobody to hand over to. */
			session_free(io->arg);
			return -1;
		}
		/* The worker's bytes are out: now msg, and no more of its. */
		close(io->pair);
		io->pair = -1;
		if (relaybuf_space(&io->down, 1, &p, &room) != 0)
			return relay_nobuf(io);
		memcpy(p, msg, len);
		io->down.len += len;
	}
}

/*
 * Our line to the client in place of the worker's answer, only if the
 * client waits for one: the worker sent nothing since the client's last
 * bytes.  One write, never waited for, then close_notify.  Returns 0 if
 * all of it went to the socket, else -1.
 */
int
relay_answer(struct relayio *io, const char *line)
{
	size_t	len = strlen(line);

	if (io->spoke || io->down.len > 0 || io->piped > 0 ||
	    client_write(io, line, len) != (ssize_t)len)
		return -1;
	if (io->tls != NULL)
		(void)tls_close(io->tls);
	return 0;
}

/*
 * The client just went away: it closed or reset the connection, or ended
 * TLS without a close_notify (as many do after QUIT).  That is an
 * ordinary end of session, not a fault worth the default log level.
 */
int
client_gone(struct relayio *io)
{
	const char	*e;

	if (errno == ECONNRESET || errno == EPIPE)
		return 1;
	if (io->tls == NULL || (e = tls_error(io->tls)) == NULL)
		return 0;
	return strstr(e, "unexpected eof") != NULL ||
	    strstr(e, "EOF") != NULL || strstr(e, "Connection reset") != NULL ||
	    strstr(e, "Broken pipe") != NULL;
}

/* Why the last client_read/client_write/tls_handshake failed. */
const char *
client_error(struct relayio *io)
{
	const char	*e;

	if (io->tls == NULL)
		return strerror(errno);
	if ((e = tls_error(io->tls)) == NULL)
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
	/* Nothing: a buffer never filled has no data to wipe (NULL). */
	if (n == 0)
		return;
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

