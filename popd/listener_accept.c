/*
 * listener_accept.c -- the listener's listening sockets: accepting in
 * batches, each connection with the socketpair its session will relay
 * over, a pause when descriptors or memory run out, no accepting while
 * the listener is full, and the sockets closed when it drains.
 *
 * It hands each connection to listener.c through the callback given to
 * accept_init, and knows nothing of sessions.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <unistd.h>

#include "proto.h"
#include "stats.h"
#include "listener_accept.h"

#define ACCEPT_PAUSE		1	/* seconds without accept at EMFILE */
#define ACCEPT_BATCH		64	/* accepts per wakeup, for fairness */

static TAILQ_HEAD(, listen_sock)	listeners =
    TAILQ_HEAD_INITIALIZER(listeners);
/* The socketpair for the next connection, made before it is accepted. */
static int				spare[2] = { -1, -1 };
static int				stopped;
/* listener.c's: where a connection goes; its sessions, for logs. */
static void	(*conn_cb)(int, const struct sockaddr *, socklen_t,
		    const struct listen_sock *, int *);
static const unsigned int		*nsessions;

static void	accept_conns(int, short, void *);
static void	accept_resume(int, short, void *);

/*
 * Each connection goes to conn with its listening socket and the spare
 * socketpair (int[2]), which conn takes by setting both to -1; nsess
 * counts the listener's sessions.
 */
void
accept_init(void (*conn)(int, const struct sockaddr *, socklen_t,
    const struct listen_sock *, int *), const unsigned int *nsess)
{
	conn_cb = conn;
	nsessions = nsess;
}

/* A listening socket, with its flags and default keypair. */
void
accept_add(int fd, const struct msg_listen *ml, struct tls *tls)
{
	struct listen_sock	*l;
	int			 on;
	socklen_t		 len = sizeof(on);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1 ||
	    !on)
		fatalx("parent passed a socket that does not "
		    "listen");
	if (set_nonblock(fd) == -1 || set_cloexec(fd) == -1)
		fatal("listening socket");
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("listening socket: calloc");
	l->fd = fd;
	l->flags = ml->flags;
	l->sock = ml->sock;
	l->tls = tls;
	event_set(&l->ev, fd, EV_READ | EV_PERSIST, accept_conns, l);
	evtimer_set(&l->pause, accept_resume, l);
	if (event_add(&l->ev, NULL) == -1)
		fatal("event_add");
	TAILQ_INSERT_TAIL(&listeners, l, entry);
	log_debug("accepting on fd %d%s", fd,
	    (l->flags & LISTEN_TLS) ? " (TLS)" : "");
}

static void
accept_conns(int fd, short ev, void *arg)
{
	struct listen_sock	*l = arg;
	struct sockaddr_storage	 ss;
	struct timeval		 tv = { ACCEPT_PAUSE, 0 };
	socklen_t		 len;
	const char		*what;
	int			 i, s;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		/*
		 * The session's socketpair comes first: when descriptors
		 * run out, the client waits in the backlog instead of
		 * being dropped after its handshake.  Only our end is
		 * nonblocking, as the flag is shared with the receiver.
		 */
		what = "socketpair";
		if (spare[0] == -1) {
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
			    spare) == -1)
				goto fail;
			if (set_nonblock(spare[0]) == -1)
				fatal("socketpair");
		}
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
		STAT_INC(STAT_CONNECTIONS);
		conn_cb(s, (struct sockaddr *)&ss, len, l, spare);
	}
	return;

 fail:
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
	    errno == ENOMEM) {
		/* Out of descriptors or memory: retry later, not now. */
		log_warn("%s, pausing %d s with %u sessions", what,
		    ACCEPT_PAUSE, *nsessions);
		event_del(&l->ev);
		evtimer_add(&l->pause, &tv);
	} else
		log_warn("%s", what);
}

static void
accept_resume(int fd, short ev, void *arg)
{
	struct listen_sock	*l = arg;

	if (!stopped && event_add(&l->ev, NULL) == -1)
		fatal("event_add");
}

/* Stop (on) or start again accepting on every socket. */
void
accept_stop(int on)
{
	struct listen_sock	*l;

	stopped = on;
	TAILQ_FOREACH(l, &listeners, entry) {
		evtimer_del(&l->pause);
		event_del(&l->ev);
		if (!on && event_add(&l->ev, NULL) == -1)
			fatal("event_add");
	}
}

/* Accept no more: the sockets are closed. */
void
accept_close(void)
{
	struct listen_sock	*l;

	while ((l = TAILQ_FIRST(&listeners)) != NULL) {
		TAILQ_REMOVE(&listeners, l, entry);
		event_del(&l->ev);
		evtimer_del(&l->pause);
		close(l->fd);
		free(l);
	}
}
