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
 * listener_relay.c -- bytes between the client (TLS, or plaintext spliced
 * through a pipe) and its worker's socketpair, unchanged, in bounded rounds.
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

static unsigned char	*sparebufs[RELAY_SPARE];
static int		 nspare;
static int		 pipes[RELAY_PIPES][2];
static int		 npipes;

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

static int
relay_nobuf(struct relayio *io)
{
	log_warn("%s: relay buffer", io->addr);
	session_free(io->arg);
	return -1;
}

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
 * splice(2): the worker's pages reach the socket without a copy through us.  A
 * session holds a pipe only while octets are in it; with none free it copies.
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
		relaybuf_consume(&io->up, io->up.len, 1);
		return 1;
	}
	log_warn("%s: send to worker", io->addr);
	session_free(io->arg);
	return -1;
}

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
 * libtls writes one record per call: with more to go they are corked into full
 * segments instead of a packet each (TCP_NODELAY is for short replies).
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
	if (io->down.len > 0 && (io->wpending = relay_want(n, sw)) == 0)
		return relay_client_fail(io, "write");
	if (corked)
		(void)compat_cork(io->sock, 0);
	return moved;
}

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

/* Returns 1 if anything moved, 0 if not, -1 if the session is gone. */
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
 * authpop's bytes before STLS are sent, then msg, and the pair closed.  1
 * while the client must take more, -1 once the session is gone.
 */
int
relay_stls(struct relayio *io, const char *msg, size_t len, int *sent)
{
	unsigned char	*p;
	size_t		 room;
	ssize_t		 n;
	short		 sw = 0;

	for (;;) {
		if (io->piped > 0) {
			if (relay_splice_out(io, &sw) == -1)
				return -1;
			if (io->piped > 0)
				return 1;
			*sent = 1;
			continue;
		}
		if (io->down.len > 0) {
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
			session_free(io->arg);
			return -1;
		}
		close(io->pair);
		io->pair = -1;
		if (relaybuf_space(&io->down, 1, &p, &room) != 0)
			return relay_nobuf(io);
		memcpy(p, msg, len);
		io->down.len += len;
	}
}

/*
 * Only if the client waits for an answer: the worker sent nothing since its
 * last bytes.  One write, never waited for.
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
 * Many clients end TLS without a close_notify after QUIT: an ordinary end, not
 * a fault worth the default log level.
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
 * A tls_write waiting to be retried must see the same bytes at the same
 * address: data moves to the front only if movable.
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
 * A few kept for the next session that streams: no malloc and free per wakeup
 * of a long RETR.
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

