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
 * httppop.c -- nginx's auth_http requests, read apart from authpop, the
 * process that holds every password hash (as OpenSSH's sshd-auth parses
 * apart from its monitor): a bug of the HTTP parser can reach no hash.
 * Started by the parent only for popd.conf's listen ... auth-http
 * statements, as the listener's user in an empty chroot, with no file
 * (sandbox_httppop).
 *
 * It takes the auth_http listening sockets (MSG_PARENT_LISTEN with
 * LISTEN_HTTP): a unix socket, which its mode guards and where only its
 * user and root are answered, or TCP, served only to the addresses of
 * popd.conf's proxy statements.  It reads one request head within
 * HTTP_READTIME seconds, parses it (http.c), answers a bad one itself,
 * and hands a good one to the current authpop with the connection
 * (MSG_HTTP_REQUEST), which checks the password and answers.  Nothing
 * after the head is read.
 *
 * Peers:
 *	parent   ==fd 3==  httppop	PARENT_CONF, _CONF_PROXY, _LISTEN,
 *					_AUTHCHAN, _DRAIN in
 *	authpop  ==chan==  httppop	HTTP_REQUEST out, with its socket
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "chan.h"
#include "proc.h"
#include "sandbox.h"
#include "http.h"

#define HTTP_MAXLISTEN	16
#define HTTP_READTIME	10	/* seconds for the request head */
#define HTTP_ACCEPTS	32	/* per accept event, for fairness */

struct httplisten {
	int		 fd;
	int		 local;		/* a unix socket, else TCP: proxies */
	uint32_t	 uid;		/* its user's: the only peer but root
					   (LISTEN_ANYUID: any) */
	struct event	 ev;
	struct event	 pause;		/* out of descriptors */
};

/* A connection whose request head is being read. */
struct conn {
	TAILQ_ENTRY(conn)	 entry;
	uint64_t		 id;
	int			 fd;
	struct peeraddr		 proxy;
	struct event		 rev, tmo;
	size_t			 len;
	char			 buf[HTTP_MAXREQ];
};

static struct conf_settings	 set;
static struct chan		 parent_chan, authchan;
static int			 authup;	/* authchan is open */
static int			 draining;
static struct httplisten	 listens[HTTP_MAXLISTEN];
static size_t			 nlistens;
static struct netaddr		 proxies[POPD_MAXPROXY];
static size_t			 nproxies;
static TAILQ_HEAD(, conn)	 conns = TAILQ_HEAD_INITIALIZER(conns);
static size_t			 nconns;
static uint64_t			 nextid = 1;

static void	httppop_parent_proxy(struct chan *, const void *, int);
static void	httppop_parent_listen(struct chan *, const void *, int);
static void	httppop_parent_authchan(struct chan *, const void *, int);
static void	httppop_parent_drain(struct chan *, const void *, int);
static void	httppop_parent_eof(struct chan *);
static void	httppop_auth_eof(struct chan *);
static void	httppop_open(void *);
static void	httppop_sandbox(void *);
static void	http_accept(int, short, void *);
static int	peer_is(int, uint32_t);
static void	http_resume(int, short, void *);
static void	http_new(int, const struct peeraddr *);
static void	http_read(int, short, void *);
static void	http_timeout(int, short, void *);
static void	http_pass(struct conn *, const struct http_req *);
static void	http_end(struct conn *, int);
static void	drained(int, short, void *);

static const struct msg_handler from_parent[] = {
	{ MSG_PARENT_CONF,	proc_parent_conf },
	{ MSG_PARENT_CONF_PROXY, httppop_parent_proxy },
	{ MSG_PARENT_CONF_END,	proc_parent_conf_end },
	{ MSG_PARENT_LISTEN,	httppop_parent_listen },
	{ MSG_PARENT_AUTHCHAN,	httppop_parent_authchan },
	{ MSG_PARENT_DRAIN,	httppop_parent_drain },
	{ MSG_PARENT_VERBOSE,	proc_parent_verbose },
};

static const struct proc_role httppop_role = {
	.setup = {
		.role = "httppop",
		.title = "httppop",
		.user = POPD_USER,
		.chroot = 1,
		.nofile = 1,		/* a socket per request */
		.nohup = 1,
		.open = httppop_open,
		.sandbox = httppop_sandbox,
	},
	.self = PROC_HTTP,
	.chan = &parent_chan,
	.handlers = from_parent,
	.nhandlers = nitems(from_parent),
	.settings = &set,
	.eof = httppop_parent_eof,
};

int
main(int argc, char *argv[])
{
	proc_run(&httppop_role, argc, argv);
}

static void
httppop_open(void *arg)
{
	if (event_init() == NULL)
		fatalx("event_init failed");
}

static void
httppop_sandbox(void *arg)
{
	sandbox_httppop();
}

static void
httppop_parent_eof(struct chan *c)
{
	log_debug("parent closed the channel: exiting");
	exit(0);
}

/* A proxy statement: who may ask over TCP. */
static void
httppop_parent_proxy(struct chan *c, const void *data, int fd)
{
	const struct msg_proxy	*mx = data;

	if (nproxies < nitems(proxies))
		proxies[nproxies++] = mx->net;
}

/* A listening socket from the parent. */
static void
httppop_parent_listen(struct chan *c, const void *data, int fd)
{
	const struct msg_listen	*ml = data;
	struct httplisten	*l;

	if (!(ml->flags & LISTEN_HTTP))
		fatalx("%s from parent: not an auth-http socket",
		    msg_type_str(MSG_PARENT_LISTEN));
	if (fd == -1)
		return;		/* our shortage of descriptors: logged */
	if (draining || nlistens == nitems(listens) ||
	    set_nonblock(fd) == -1) {
		log_warnx("auth-http: cannot take listening socket %d", fd);
		close(fd);
		return;
	}
	l = &listens[nlistens++];
	l->fd = fd;
	l->local = (ml->flags & LISTEN_UNIX) != 0;
	l->uid = ml->uid;
	event_set(&l->ev, fd, EV_READ | EV_PERSIST, http_accept, l);
	evtimer_set(&l->pause, http_resume, l);
	if (event_add(&l->ev, NULL) == -1)
		fatal("event_add");
}

/* The current authpop's channel: a new one replaces the old. */
static void
httppop_parent_authchan(struct chan *c, const void *data, int fd)
{
	if (authup)
		chan_close(&authchan);
	authup = 0;
	if (fd == -1)
		return;		/* our shortage of descriptors: logged */
	/* authpop says nothing: any message from it is garbage. */
	chan_init(&authchan, fd, PROC_HTTP, PROC_AUTHPOP, PH_RUN, NULL, 0,
	    httppop_auth_eof, NULL);
	authchan.bad = httppop_auth_eof;
	chan_start(&authchan);
	authup = 1;
}

static void
httppop_auth_eof(struct chan *c)
{
	log_debug("authpop closed its channel");
	if (authup && c->fd != -1)
		chan_close(c);
	authup = 0;
}

/* After a reload: a newer httppop accepts; finish the heads we read. */
static void
httppop_parent_drain(struct chan *c, const void *data, int fd)
{
	size_t	i;

	draining = 1;
	setproctitle("draining");
	for (i = 0; i < nlistens; i++) {
		(void)event_del(&listens[i].ev);
		(void)evtimer_del(&listens[i].pause);
		close(listens[i].fd);
	}
	nlistens = 0;
	if (nconns == 0)
		drained(-1, 0, NULL);
}

/* No request left: exit once authpop has what we passed it. */
static void
drained(int fd, short ev, void *arg)
{
	static struct event	 ev_drained;
	static int		 tries;
	struct timeval		 tv = { 0, 10000 };

	if (!authup || TAILQ_EMPTY(&authchan.outq) || tries++ > 300)
		exit(0);
	if (tries == 1)
		evtimer_set(&ev_drained, drained, NULL);
	evtimer_add(&ev_drained, &tv);
}

static void
http_accept(int fd, short ev, void *arg)
{
	struct httplisten	*l = arg;
	struct sockaddr_storage	 ss;
	struct peeraddr		 peer;
	struct timeval		 tv = { 1, 0 };
	socklen_t		 len;
	char			 addr[PEER_STRLEN];
	int			 i, cfd;

	for (i = 0; i < HTTP_ACCEPTS; i++) {
		len = sizeof(ss);
		if ((cfd = accept4(fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Level-triggered: pause rather than spin. */
				log_warn("auth-http: accept");
				(void)event_del(&l->ev);
				evtimer_add(&l->pause, &tv);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("auth-http: accept");
			return;
		}
		memset(&peer, 0, sizeof(peer));
		if (!l->local && (peer_from_sockaddr(&peer,
		    (struct sockaddr *)&ss, len) == -1 ||
		    !net_match(proxies, nproxies, &peer))) {
			log_info("auth-http: %s is not a proxy, closed",
			    peer_log(&peer, addr, sizeof(addr)));
			close(cfd);
			continue;
		}
		if (l->uid != LISTEN_ANYUID && !peer_is(cfd, l->uid)) {
			close(cfd);
			continue;
		}
		if (nconns >= (size_t)set.limit.sessions) {
			log_warnx("auth-http: %zu requests open (limit "
			    "sessions), closed one", nconns);
			close(cfd);
			continue;
		}
		http_new(cfd, &peer);
	}
}

/*
 * Whether the peer of a unix socket is its user or root (listen ...
 * user): its group may hold other programs, PHP-FPM's on Debian, which
 * must not speak for nginx.  Refusals are logged, at most a few a second.
 */
static int
peer_is(int fd, uint32_t want)
{
	static struct lograte	 rate;
	uid_t			 uid;
	gid_t			 gid;

	if (compat_peerid(fd, &uid, &gid) == -1) {
		log_warn("auth-http: the peer's credentials");
		return 0;
	}
	if (uid == 0 || (uint32_t)uid == want)
		return 1;
	log_rate(&rate, "auth-http: uid %u is not the socket's user (uid "
	    "%u), closed", (unsigned)uid, (unsigned)want);
	return 0;
}

static void
http_resume(int fd, short ev, void *arg)
{
	struct httplisten	*l = arg;

	if (event_add(&l->ev, NULL) == -1)
		fatal("event_add");
}

static void
http_new(int fd, const struct peeraddr *proxy)
{
	struct timeval	 tv = { HTTP_READTIME, 0 };
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("auth-http");
		close(fd);
		return;
	}
	c->id = nextid++;
	c->fd = fd;
	c->proxy = *proxy;
	event_set(&c->rev, fd, EV_READ | EV_PERSIST, http_read, c);
	evtimer_set(&c->tmo, http_timeout, c);
	if (event_add(&c->rev, NULL) == -1 || evtimer_add(&c->tmo, &tv) == -1)
		fatal("event_add");
	TAILQ_INSERT_TAIL(&conns, c, entry);
	nconns++;
}

/* The request head, as it comes; nothing after it is read. */
static void
http_read(int fd, short ev, void *arg)
{
	struct conn	*c = arg;
	struct http_req	 r;
	char		 why[128];
	ssize_t		 n;
	size_t		 used;
	int		 res;

	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n <= 0) {
		log_debug("session h%llu: auth-http: %s",
		    (unsigned long long)c->id, n == 0 ? "closed by nginx" :
		    strerror(errno));
		http_end(c, 1);
		return;
	}
	c->len += n;
	res = http_parse(c->buf, c->len, &r, &used, why, sizeof(why));
	if (res == HTTP_MORE)
		return;
	if (res == HTTP_BAD) {
		log_warnx("session h%llu: auth-http: bad request: %s",
		    (unsigned long long)c->id, why);
		/* A few bytes on a fresh socket: the kernel takes them. */
		if ((used = http_bad(why, sizeof(why))) > 0)
			(void)send(c->fd, why, used, MSG_NOSIGNAL |
			    MSG_DONTWAIT);
		http_end(c, 1);
	} else
		http_pass(c, &r);
	explicit_bzero(&r, sizeof(r));
}

/* A whole request: authpop checks it and answers on the connection. */
static void
http_pass(struct conn *c, const struct http_req *r)
{
	struct msg_httpreq	m;

	_Static_assert(sizeof(m.user) == sizeof(r->user), "user");
	_Static_assert(sizeof(m.pass) == sizeof(r->pass), "pass");
	if (!authup) {
		log_warnx("session h%llu: auth-http: no authpop to check it, "
		    "closed", (unsigned long long)c->id);
		http_end(c, 1);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.method = r->method;
	m.protocol = r->protocol;
	m.attempt = r->attempt;
	m.badchars = r->badchars != 0;
	m.usertoolong = r->usertoolong != 0;
	m.passtoolong = r->passtoolong != 0;
	m.proxy = c->proxy;
	m.client = r->client;
	memcpy(m.user, r->user, sizeof(m.user));
	memcpy(m.pass, r->pass, sizeof(m.pass));
	/* chan_send closes the connection once it is passed. */
	chan_send(&authchan, MSG_HTTP_REQUEST, c->fd, &m, sizeof(m));
	explicit_bzero(&m, sizeof(m));
	http_end(c, 0);
}

/* No request in time: nginx has given up, or stalls. */
static void
http_timeout(int fd, short ev, void *arg)
{
	struct conn	*c = arg;

	log_info("session h%llu: auth-http: no answer within the time, "
	    "closing", (unsigned long long)c->id);
	http_end(c, 1);
}

static void
http_end(struct conn *c, int closefd)
{
	(void)event_del(&c->rev);
	(void)evtimer_del(&c->tmo);
	if (closefd)
		close(c->fd);
	TAILQ_REMOVE(&conns, c, entry);
	nconns--;
	freezero(c, sizeof(*c));
	if (draining && nconns == 0)
		drained(-1, 0, NULL);
}
