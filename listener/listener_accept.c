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
 * The listener's listening sockets: each connection with the socketpair
 * its session will relay over, handed to session_new.  A health port's
 * connection is no session: it gets the parent's last line, nothing read.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acceptor.h"
#include "log.h"
#include "proto.h"
#include "stats.h"
#include "util.h"
#include "chan.h"
#include "listener.h"
#include "listener_health.h"

static TAILQ_HEAD(, listen_sock)	listeners =
    TAILQ_HEAD_INITIALIZER(listeners);
static int				spare[2] = { -1, -1 };
/* What a health port says: "up 0" until the parent says otherwise. */
char					 health_line_now[HEALTH_ANSWERMAX] =
    "up 0\n";

/*
 * The socketpair first: out of descriptors, the client waits in the
 * backlog rather than being dropped after its handshake.  Only our end
 * is nonblocking: the flag is shared with the receiver.
 */
static int
spare_make(void *arg, const char **what)
{
	*what = "socketpair";
	if (spare[0] != -1)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, spare) == -1)
		return -1;
	if (set_nonblock(spare[0]) == -1)
		fatal("socketpair");
	return 0;
}

static void
accept_conn(void *arg, int s, const struct sockaddr *sa, socklen_t len)
{
	const struct listen_sock	*l = arg;

	/* A fresh socket's buffer takes the line whole: never wait or read. */
	if (l->flags & LISTEN_HEALTHHTTP) {
		health_http_conn(s);
		return;
	}
	if (l->flags & LISTEN_HEALTH) {
		(void)send(s, health_line_now, strlen(health_line_now),
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		close(s);
		return;
	}
	STAT_INC(STAT_CONNECTIONS);
	/* session_new takes the spare socketpair, setting both to -1. */
	session_new(s, sa, len, l, spare);
}

void
accept_add(int fd, const struct msg_listen *ml, struct tls *tls, int stopped)
{
	struct listen_sock	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("listening socket: calloc");
	l->flags = ml->flags;
	l->sock = ml->sock;
	l->tls = tls;
	l->acc.arg = l;
	l->acc.prepare = spare_make;
	l->acc.conn = accept_conn;
	l->acc.nsessions = &nsessions;
	l->acc.stopped = stopped;
	acceptor_start(&l->acc, fd);
	TAILQ_INSERT_TAIL(&listeners, l, entry);
	log_debug("accepting on fd %d%s", fd,
	    (l->flags & LISTEN_TLS) ? " (TLS)" : "");
}

void
listener_parent_health(struct chan *c, const void *data, int fd)
{
	const struct msg_health	*m = data;
	size_t			 i, len;

	len = snprintf(health_line_now, sizeof(health_line_now), "%s %u\n",
	    m->state == HEALTH_DRAINING ? "draining" :
	    m->state == HEALTH_DEGRADED ? "degraded" : "up", m->sessions);
	/* Its stuck users: a second line, for routepop (router.c). */
	for (i = 0; i < HEALTH_STUCKMAX && m->stuck[i][0] != '\0'; i++) {
		health_line_now[len - (i > 0)] = '\0';
		(void)strlcat(health_line_now, i == 0 ? "stuck " : " ",
		    sizeof(health_line_now));
		(void)strlcat(health_line_now, m->stuck[i],
		    sizeof(health_line_now));
		len = strlcat(health_line_now, "\n", sizeof(health_line_now));
	}
}

void
accept_stop(int on)
{
	struct listen_sock	*l;

	TAILQ_FOREACH(l, &listeners, entry)
		acceptor_stop(&l->acc, on);
}

/* A health port stays to say draining until the last session ends. */
void
accept_close(void)
{
	struct listen_sock	*l, *next;

	TAILQ_FOREACH_SAFE(l, &listeners, entry, next) {
		if (l->flags & LISTEN_HEALTH)
			continue;
		TAILQ_REMOVE(&listeners, l, entry);
		acceptor_close(&l->acc);
		free(l);
	}
}
