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
 * checkpop.c -- the checkpop process: a router's health checks.  Every
 * second it connects to each backend tablepop named, at the health
 * port (route ... health PORT, popd.conf(5)), reads the one line the
 * backend's listener answers (healthline.c) and reports it; a check
 * that fails (refused, no line within the second, not a health line)
 * counts, and after CHECK_FAILS in a row the backend is reported down.
 * tablepop decides what a state means for routing (router.c), and takes
 * a state only for a backend it named: all we can say is up or down.
 *
 * Talks to (the messages are common/proto.c's, by sender):
 *	the parent	fd 3 (POPD_CHANNEL_FD)
 *	tablepop	the backends, their states, on a channel the parent
 *			passes (MSG_PARENT_TABLECHAN); a new one replaces it
 *	backends	one TCP connection per check, nonblocking
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "proc.h"
#include "sandbox.h"
#include "healthline.h"

struct backend {
	TAILQ_ENTRY(backend)	 entry;
	char			 addr[INET6_ADDRSTRLEN];
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd;		/* the check in progress, or -1 */
	struct event		 ev;
	char			 buf[HEALTH_LINEMAX];
	size_t			 len;
	int			 fails;		/* in a row */
};

static struct chan		 parent;
static struct chan		 tabchan;	/* tablepop's */
static struct conf_settings	 set;
static TAILQ_HEAD(, backend)	 backends = TAILQ_HEAD_INITIALIZER(backends);
static struct event		 tick;

static void	checkpop_open(void *);
static void	checkpop_sandbox(void *);
static void	checkpop_run(void);
static void	checkpop_parent_eof(struct chan *);
static void	checkpop_parent_tablechan(struct chan *, const void *, int);
static void	checkpop_table_backend(struct chan *, const void *, int);
static void	checkpop_table_eof(struct chan *);
static void	checkpop_parent_drain(struct chan *, const void *, int);
static void	checkpop_tick(int, short, void *);
static void	check_start(struct backend *);
static void	check_read(int, short, void *);
static void	check_end(struct backend *, int, uint32_t, const char *);

static const struct msg_handler from_parent[] = {
	{ MSG_PARENT_CONF,	proc_parent_conf },
	{ MSG_PARENT_CONF_END,	proc_parent_conf_end },
	{ MSG_PARENT_DRAIN,	checkpop_parent_drain },
	{ MSG_PARENT_TABLECHAN,	checkpop_parent_tablechan },
	{ MSG_PARENT_VERBOSE,	proc_parent_verbose },
};

static const struct msg_handler from_table[] = {
	{ MSG_TABLE_BACKEND,	checkpop_table_backend },
};

/*
 * POPD_USER, as the listener, lmtp and control: no file, and its
 * confinement keeps it from them (signals and ptrace stay in its own
 * Landlock domain and seccomp filter).
 */
static const struct proc_role checkpop_role = {
	.setup = {
		.role = "checkpop",
		.title = "checks",
		.user = POPD_USER,
		.chroot = 1,
		.nohup = 1,
		.open = checkpop_open,
		.sandbox = checkpop_sandbox,
	},
	.self = PROC_CHECK,
	.chan = &parent,
	.handlers = from_parent,
	.nhandlers = nitems(from_parent),
	.settings = &set,
	.eof = checkpop_parent_eof,
	.run = checkpop_run,
};

int
main(int argc, char *argv[])
{
	proc_run(&checkpop_role, argc, argv);
}

static void
checkpop_open(void *arg)
{
	event_init();
}

static void
checkpop_sandbox(void *arg)
{
	sandbox_checkpop(set.route_health);
}

static void
checkpop_run(void)
{
	struct timeval	tv = { 1, 0 };

	tabchan.fd = -1;
	event_set(&tick, -1, EV_PERSIST, checkpop_tick, NULL);
	if (event_add(&tick, &tv) == -1)
		fatal("event_add");
	chan_start(&parent);
	log_debug("ready, port %d", set.route_health);
	if (event_dispatch() == -1)
		fatal("event_dispatch");
	fatalx("event loop ended");
}

static void
checkpop_parent_eof(struct chan *c)
{
	exit(0);
}

/* After a reload its successor checks: nothing to finish. */
static void
checkpop_parent_drain(struct chan *c, const void *data, int fd)
{
	exit(0);
}

/*
 * tablepop's channel: a new tablepop names its backends anew, so the
 * ones the last named are forgotten.
 */
static void
checkpop_parent_tablechan(struct chan *c, const void *data, int fd)
{
	checkpop_table_eof(&tabchan);
	if (fd == -1)
		return;		/* our shortage of descriptors: logged */
	chan_init(&tabchan, fd, PROC_CHECK, PROC_TABLE, PH_RUN, from_table,
	    nitems(from_table), checkpop_table_eof, NULL);
	tabchan.bad = checkpop_table_eof;
	chan_start(&tabchan);
}

/* tablepop gone, or replaced: its backends are no longer checked. */
static void
checkpop_table_eof(struct chan *c)
{
	struct backend	*b;

	chan_close(c);
	while ((b = TAILQ_FIRST(&backends)) != NULL) {
		if (b->fd != -1) {
			event_del(&b->ev);
			close(b->fd);
		}
		TAILQ_REMOVE(&backends, b, entry);
		free(b);
	}
}

/* A backend to check (its address checked by peers.c). */
static void
checkpop_table_backend(struct chan *c, const void *data, int fd)
{
	const struct msg_backend	*m = data;
	struct sockaddr_in		*sin;
	struct sockaddr_in6		*sin6;
	struct backend			*b;

	TAILQ_FOREACH(b, &backends, entry)
		if (strcmp(b->addr, m->addr) == 0)
			return;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(b->addr, m->addr, sizeof(b->addr));
	b->fd = -1;
	sin = (struct sockaddr_in *)&b->ss;
	sin6 = (struct sockaddr_in6 *)&b->ss;
	if (inet_pton(AF_INET, b->addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(set.route_health);
		b->sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, b->addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(set.route_health);
		b->sslen = sizeof(*sin6);
	} else
		fatalx("%s: %s", __func__, b->addr);
	TAILQ_INSERT_TAIL(&backends, b, entry);
	log_debug("checking %s port %d", b->addr, set.route_health);
	check_start(b);
}

/*
 * Every second: a check still open had its second and failed; each
 * backend gets a new one.  So a backend that stops answering is down
 * after CHECK_FAILS checks, at most CHECK_FAILS + 1 seconds.
 */
static void
checkpop_tick(int fd, short ev, void *arg)
{
	struct backend	*b;

	TAILQ_FOREACH(b, &backends, entry) {
		if (b->fd != -1)
			check_end(b, -1, 0, "no line within 1 s");
		check_start(b);
	}
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

/* The line, to the backend's close; then it is judged whole. */
static void
check_read(int fd, short ev, void *arg)
{
	struct backend	*b = arg;
	ssize_t		 n;
	uint32_t	 sessions;
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
	if ((state = health_line(b->buf, b->len, &sessions)) == -1)
		check_end(b, -1, 0, "not a health line");
	else
		check_end(b, state, sessions, NULL);
}

/*
 * A check's end: a state and its sessions, or -1 and why it failed.
 * Every good check is reported (the parent shows when each backend was
 * last checked); a failed one once it makes the backend down.
 */
static void
check_end(struct backend *b, int state, uint32_t sessions, const char *why)
{
	struct msg_check	m;

	if (b->fd != -1) {
		if (event_initialized(&b->ev))
			event_del(&b->ev);
		close(b->fd);
		b->fd = -1;
	}
	memset(&m, 0, sizeof(m));
	(void)strlcpy(m.addr, b->addr, sizeof(m.addr));
	if (state == -1) {
		log_debug("%s: check failed: %s", b->addr, why);
		if (++b->fails < CHECK_FAILS)
			return;
		if (b->fails == CHECK_FAILS)
			log_info("%s: %d checks failed in a row, the last: %s",
			    b->addr, CHECK_FAILS, why);
		m.state = CHECK_DOWN;
	} else {
		b->fails = 0;
		m.state = state;
		m.sessions = sessions;
	}
	chan_send(&tabchan, MSG_CHECK_STATE, -1, &m, sizeof(m));
}
