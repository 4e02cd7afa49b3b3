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
 * The parent's log relay: children, chrooted or confined, write lines
 * to a datagram socket that the parent hands to syslog(3).  The role
 * comes from the socket, never the child, so none writes in another's name.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "popd.h"
#include "parent.h"

#define RELAY_BURST	64	/* lines per wakeup and role */

struct relay {
	const char	*role;
	int		 fd[2];		/* ours, the children's */
	struct event	 ev;
};

static struct relay	relays[] = {
	{ .role = "listener" },
	{ .role = "authpop" },
	{ .role = "wrkrpop" },
	{ .role = "lmtp" },
	{ .role = "dlvrpop" },
};
static void
relay_line(const struct relay *r, char *buf, size_t len)
{
	static char	 ident[32];
	const char	*errstr;
	char		*p, *msg;
	size_t		 i;
	int		 pri;
	long long	 pid;

	buf[len] = '\0';
	if (buf[0] != '<' || (p = strchr(buf, '>')) == NULL)
		return;
	*p++ = '\0';
	pri = strtonum(buf + 1, 0, LOG_DEBUG, &errstr);
	if (errstr != NULL || (msg = strchr(p, ' ')) == NULL)
		return;
	*msg++ = '\0';
	pid = strtonum(p, 1, INT32_MAX, &errstr);
	if (errstr != NULL)
		return;
	/* One line each: no control bytes from a child reach the log. */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	(void)snprintf(ident, sizeof(ident), "popd[%lld]", pid);
	openlog(ident, LOG_NDELAY, LOG_MAIL);
	syslog(pri, "%s: %s", r->role, msg);
	openlog(getprogname(), LOG_PID | LOG_NDELAY, LOG_MAIL);
}

static void
relay_read(int fd, short ev, void *arg)
{
	struct relay	*r = arg;
	char		 buf[LOG_RELAY_MAX + 1];
	ssize_t		 n;
	int		 i;

	for (i = 0; i < RELAY_BURST; i++) {
		if ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("log relay %s", r->role);
			return;
		}
		relay_line(r, buf, n);
	}
}

/* Non-blocking: a child drops a line rather than wait for the parent. */
void
logrelay_init(void)
{
	struct relay	*r;
	size_t		 i;

	for (i = 0; i < nitems(relays); i++) {
		r = &relays[i];
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
		    r->fd) == -1)
			fatal("log relay socketpair");
		if (set_nonblock(r->fd[0]) == -1 ||
		    set_nonblock(r->fd[1]) == -1)
			fatal("log relay");
		if (shutdown(r->fd[0], SHUT_WR) == -1)
			fatal("log relay shutdown");
		event_set(&r->ev, r->fd[0], EV_READ | EV_PERSIST, relay_read,
		    r);
		if (event_add(&r->ev, NULL) == -1)
			fatal("log relay event_add");
	}
}

int
logrelay_fd(const char *role)
{
	size_t	i;

	for (i = 0; i < nitems(relays); i++)
		if (strcmp(relays[i].role, role) == 0)
			return relays[i].fd[1];
	return -1;
}
