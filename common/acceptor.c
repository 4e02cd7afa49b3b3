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
 * acceptor.c -- a listening socket: accepts in batches (ACCEPT_BATCH, so no
 * busy socket starves the others), and at EMFILE or ENOMEM a pause of
 * ACCEPT_PAUSE instead of spinning on a level-triggered event.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <event.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "acceptor.h"

#define ACCEPT_PAUSE		1	/* seconds without accept at EMFILE */
#define ACCEPT_BATCH		64	/* accepts per wakeup, for fairness */

static void	acceptor_conns(int, short, void *);
static void	acceptor_resume(int, short, void *);

void
acceptor_start(struct acceptor *a, int fd)
{
	int		on;
	socklen_t	len = sizeof(on);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1 ||
	    !on)
		fatalx("parent passed a socket that does not listen");
	if (set_nonblock(fd) == -1 || set_cloexec(fd) == -1)
		fatal("listening socket");
	a->fd = fd;
	event_set(&a->ev, fd, EV_READ | EV_PERSIST, acceptor_conns, a);
	evtimer_set(&a->pause, acceptor_resume, a);
	if (!a->stopped && event_add(&a->ev, NULL) == -1)
		fatal("event_add");
}

static void
acceptor_conns(int fd, short ev, void *arg)
{
	struct acceptor		*a = arg;
	struct sockaddr_storage	 ss;
	struct timeval		 tv = { ACCEPT_PAUSE, 0 };
	socklen_t		 len;
	const char		*what;
	int			 i, s;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		if (a->prepare != NULL && a->prepare(a->arg, &what) == -1)
			goto fail;
		what = "accept";
		len = sizeof(ss);
		s = accept4(fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			goto fail;
		}
		a->conn(a->arg, s, (struct sockaddr *)&ss, len);
	}
	return;

 fail:
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
	    errno == ENOMEM) {
		log_warn("%s, pausing %d s with %u sessions", what,
		    ACCEPT_PAUSE, *a->nsessions);
		event_del(&a->ev);
		evtimer_add(&a->pause, &tv);
	} else
		log_warn("%s", what);
}

static void
acceptor_resume(int fd, short ev, void *arg)
{
	struct acceptor	*a = arg;

	if (!a->stopped && event_add(&a->ev, NULL) == -1)
		fatal("event_add");
}

void
acceptor_stop(struct acceptor *a, int on)
{
	a->stopped = on;
	evtimer_del(&a->pause);
	event_del(&a->ev);
	if (!on && event_add(&a->ev, NULL) == -1)
		fatal("event_add");
}

void
acceptor_close(struct acceptor *a)
{
	event_del(&a->ev);
	evtimer_del(&a->pause);
	close(a->fd);
	a->fd = -1;
}
