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
 * check.c -- routepop's health checks: every second one TCP connection to each
 * backend's health port, and its one line read.  After CHECK_FAILS failed
 * checks in a row the backend is down.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "routepop.h"

static int		 running;
static struct event	 tick;

/*
 * Every good check is reported (popctl shows when each backend was last
 * checked); a failed one once it makes the backend down.
 */
static void
check_end(struct backend *b, int state, uint32_t sessions, const char *why)
{
	if (b->fd != -1) {
		if (event_initialized(&b->ev))
			event_del(&b->ev);
		close(b->fd);
		b->fd = -1;
	}
	if (state == -1) {
		log_debug("%s: check failed: %s", b->addr, why);
		if (++b->fails < CHECK_FAILS)
			return;
		if (b->fails == CHECK_FAILS)
			log_info("%s: %d checks failed in a row, the last: %s",
			    b->addr, CHECK_FAILS, why);
		state = CHECK_DOWN;
	} else
		b->fails = 0;
	router_state(b, state, sessions);
}

static void
check_read(int fd, short ev, void *arg)
{
	struct backend	*b = arg;
	ssize_t		 n;
	uint32_t	 sessions;
	size_t		 line;
	char		*nl;
	int		 state;

	n = read(fd, b->buf + b->len, sizeof(b->buf) - b->len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1) {
		check_end(b, -1, 0, strerror(errno));
		return;
	}
	if (n > 0) {
		b->len += n;
		if (b->len == sizeof(b->buf))
			check_end(b, -1, 0, "not a health line (too long)");
		return;
	}
	nl = memchr(b->buf, '\n', b->len);
	line = nl != NULL ? (size_t)(nl + 1 - b->buf) : b->len;
	if ((state = health_line(b->buf, line, &sessions)) == -1 ||
	    health_stuckline(b->buf + line, b->len - line, b->stuck) == -1)
		check_end(b, -1, 0, "not a health line");
	else
		check_end(b, state, sessions, NULL);
}

static void
check_start(struct backend *b)
{
	b->len = 0;
	if ((b->fd = socket(b->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		check_end(b, -1, 0, strerror(errno));
		return;
	}
	if (connect(b->fd, (struct sockaddr *)&b->ss, b->sslen) == -1 &&
	    errno != EINPROGRESS) {
		check_end(b, -1, 0, strerror(errno));
		return;
	}
	/* A failed connect reads as its error, a good one as the line. */
	event_set(&b->ev, b->fd, EV_READ | EV_PERSIST, check_read, b);
	if (event_add(&b->ev, NULL) == -1)
		fatal("event_add");
}

/*
 * A backend that stops answering is down after at most CHECK_FAILS + 1
 * seconds.
 */
static void
check_tick(int fd, short ev, void *arg)
{
	struct backend	*b;

	TAILQ_FOREACH(b, &backends, entry) {
		if (b->fd != -1)
			check_end(b, -1, 0, "no line within 1 s");
		check_start(b);
	}
}

void
check_add(struct backend *b, int port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&b->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&b->ss;

	b->fd = -1;
	if (inet_pton(AF_INET, b->addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		b->sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, b->addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		b->sslen = sizeof(*sin6);
	} else
		fatalx("%s: %s", __func__, b->addr);
	if (running) {
		log_debug("checking %s port %d", b->addr, port);
		check_start(b);
	}
}

void
check_run(int port)
{
	struct timeval	 tv = { 1, 0 };
	struct backend	*b;

	if (port == 0)
		return;
	running = 1;
	event_set(&tick, -1, EV_PERSIST, check_tick, NULL);
	if (event_add(&tick, &tv) == -1)
		fatal("event_add");
	TAILQ_FOREACH(b, &backends, entry)
		check_start(b);
}
