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
 * httppop.c -- nginx's auth_http requests, read and answered apart from
 * authpop, which holds every password hash (as sshd-auth parses apart from its
 * monitor): a bug of the HTTP parser can reach no hash.  It holds no hash and
 * no ticket key: authpop checks passwords and makes tickets, routepop names
 * backends.
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
#include "authhttp.h"

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

enum conn_state {
	C_READ,		/* its request head */
	C_VERDICT,	/* authpop's verdict on the password */
	C_ROUTE,	/* routepop's backend for the user */
	C_TICKET	/* authpop's ticket for that backend */
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	uint64_t		 id;
	int			 fd;
	enum conn_state		 state;
	struct peeraddr		 proxy;
	struct event		 rev, tmo;
	int			 ach, tch;	/* authchan[ach] checks it,
						   tabchan[tch] routes it */
	uint64_t		 agen, tgen;	/* while they are the same */
	uint64_t		 sid;		/* HV_OKTICKET's */
	int			 proto;		/* HP_* */
	char			 addr[PEER_STRLEN];	/* Client-IP */
	char			 user[POPD_MAXUSER + 1];
	char			 server[INET6_ADDRSTRLEN];
	size_t			 len;
	char			 buf[HTTP_MAXREQ];
};

/*
 * Auth-Status for each refusal and protocol, as nginx shows it to the
 * client after "-ERR ", "tag NO " or the smtp code; RFC 2449/3206 and
 * RFC 5530 codes.
 */
static const struct {
	const char	*text[3];	/* HP_POP3, HP_IMAP, HP_SMTP */
	const char	*smtpcode;
} texts[] = {
	[HV_FAIL] = { { "[AUTH] invalid user name or password",
	    "[AUTHENTICATIONFAILED] Invalid user name or password",
	    "Authentication credentials invalid" }, "535 5.7.8" },
	[HV_LAST] = { { "[AUTH] too many failures",
	    "[AUTHENTICATIONFAILED] Too many failures",
	    "Too many authentication failures" }, "535 5.7.8" },
	[HV_TEMP] = { { "[SYS/TEMP] cannot log in now, try again later",
	    "[UNAVAILABLE] Cannot log in now, try again later",
	    "Temporary authentication failure" }, "454 4.7.0" },
	[HV_METHOD] = { { "[AUTH] authentication method not supported",
	    "[CANNOT] Authentication method not supported",
	    "Authentication mechanism not supported" }, "504 5.5.4" },
	[HV_BADCHARS] = { { "[AUTH] invalid characters in user name or "
	    "password", "[AUTHENTICATIONFAILED] Invalid characters in user "
	    "name or password", "Authentication credentials invalid" },
	    "535 5.7.8" },
	[HV_PERM] = { { "[SYS/PERM] the stored password cannot be used, "
	    "contact the administrator", "[CONTACTADMIN] The stored password "
	    "cannot be used, contact the administrator", "The stored "
	    "password cannot be used, contact the administrator" },
	    "554 5.7.0" },
};

static const char *protos[] = { "pop3", "imap", "smtp" };

static struct conf_settings	 set;
static struct chan		 parent_chan;
static struct chan		 authchan[2];	/* the newest two authpops' */
static struct chan		 tabchan[2];	/* the newest two routepops' */
static uint64_t			 authgen[2], tabgen[2];	/* 0: closed */
static int			 authcur = -1, tabcur = -1;
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
static void	httppop_parent_routechan(struct chan *, const void *, int);
static void	httppop_parent_drain(struct chan *, const void *, int);
static void	httppop_parent_eof(struct chan *);
static void	httppop_open(void *);
static void	httppop_sandbox(void *);
static void	authpop_verdict(struct chan *, const void *, int);
static void	routepop_answer(struct chan *, const void *, int);

static const struct msg_handler from_parent[] = {
	{ MSG_PARENT_CONF,	proc_parent_conf },
	{ MSG_PARENT_CONF_PROXY, httppop_parent_proxy },
	{ MSG_PARENT_CONF_END,	proc_parent_conf_end },
	{ MSG_PARENT_LISTEN,	httppop_parent_listen },
	{ MSG_PARENT_AUTHCHAN,	httppop_parent_authchan },
	{ MSG_PARENT_ROUTECHAN,	httppop_parent_routechan },
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

static const struct msg_handler from_auth[] = {
	{ MSG_AUTHPOP_VERDICT,	authpop_verdict },
};
static const struct msg_handler from_table[] = {
	{ MSG_ROUTE_ANSWER,	routepop_answer },
};

int
main(int argc, char *argv[])
{
	proc_run(&httppop_role, argc, argv);
}

static void
http_end(struct conn *c)
{
	(void)event_del(&c->rev);
	(void)evtimer_del(&c->tmo);
	close(c->fd);
	TAILQ_REMOVE(&conns, c, entry);
	nconns--;
	freezero(c, sizeof(*c));
	if (draining && nconns == 0)
		exit(0);
}

static void
http_send(struct conn *c, const char *status, const char *const *h)
{
	char	buf[HTTP_MAXANSWER];
	size_t	n;

	if ((n = http_answer(buf, sizeof(buf), status, h)) == 0)
		fatalx("%s: answer does not fit", __func__);
	if (send(c->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n)
		log_debug("session h%llu: auth-http: the answer: %s",
		    (unsigned long long)c->id, strerror(errno));
	explicit_bzero(buf, sizeof(buf));
	http_end(c);
}

static void
http_refuse(struct conn *c, int verdict, int wait)
{
	char		 code[64], w[32];
	const char	*h[3] = { NULL, NULL, NULL };
	int		 n = 0;

	if (c->proto == HP_SMTP) {
		(void)snprintf(code, sizeof(code), "Auth-Error-Code: %s",
		    texts[verdict].smtpcode);
		h[n++] = code;
	}
	if (wait > 0) {
		(void)snprintf(w, sizeof(w), "Auth-Wait: %d", wait);
		h[n++] = w;
	}
	http_send(c, texts[verdict].text[c->proto], h);
}

static void
http_ok(struct conn *c, const char *ticket)
{
	char		 server[64], port[32], pass[HTTP_TICKETMAX + 16];
	const char	*h[4] = { server, port, NULL, NULL };

	(void)snprintf(server, sizeof(server), "Auth-Server: %s", c->server);
	(void)snprintf(port, sizeof(port), "Auth-Port: %d",
	    set.route_port[c->proto]);
	if (ticket[0] != '\0') {
		(void)snprintf(pass, sizeof(pass), "Auth-Pass: %s", ticket);
		h[2] = pass;
	}
	log_info("session h%llu: %s: login %s, %s to %s port %d",
	    (unsigned long long)c->id, c->addr, c->user, protos[c->proto],
	    c->server, set.route_port[c->proto]);
	http_send(c, "OK", h);
	explicit_bzero(pass, sizeof(pass));
}

/* Only if answered on the channel it was asked on, by the same peer. */
static struct conn *
conn_find(uint64_t id, enum conn_state state, struct chan *c)
{
	struct conn	*n;

	TAILQ_FOREACH(n, &conns, entry)
		if (n->id == id)
			break;
	if (n == NULL || n->state != state || (state == C_ROUTE ?
	    &tabchan[n->tch] != c || tabgen[n->tch] != n->tgen :
	    &authchan[n->ach] != c || authgen[n->ach] != n->agen)) {
		log_debug("session h%llu: an answer it does not wait for",
		    (unsigned long long)id);
		return NULL;
	}
	return n;
}

static void
authpop_verdict(struct chan *c, const void *data, int fd)
{
	const struct msg_verdict	*m = data;
	struct conn			*n;
	struct msg_login		 ml;

	if (m->verdict == HV_TICKET) {
		if ((n = conn_find(m->id, C_TICKET, c)) != NULL)
			http_ok(n, m->ticket);
		return;
	}
	if ((n = conn_find(m->id, C_VERDICT, c)) == NULL)
		return;
	if (m->verdict != HV_OK && m->verdict != HV_OKTICKET) {
		http_refuse(n, m->verdict, m->wait);
		return;
	}
	if (tabcur == -1) {
		log_warnx("session h%llu: %s: %s, but no routepop runs to "
		    "route it", (unsigned long long)n->id, n->addr, n->user);
		http_refuse(n, HV_TEMP, 0);
		return;
	}
	n->sid = m->sid;
	n->state = C_ROUTE;
	n->tch = tabcur;
	n->tgen = tabgen[tabcur];
	memset(&ml, 0, sizeof(ml));
	ml.id = n->id;
	(void)strlcpy(ml.user, n->user, sizeof(ml.user));
	chan_send(&tabchan[tabcur], MSG_HTTP_ROUTE, -1, &ml, sizeof(ml));
}

static void
routepop_answer(struct chan *c, const void *data, int fd)
{
	const struct msg_route	*mr = data;
	struct msg_route	 mt;
	struct conn		*n;

	if ((n = conn_find(mr->id, C_ROUTE, c)) == NULL)
		return;
	if (mr->status != ROUTE_FOUND) {
		log_warnx("session h%llu: %s: %s, but route <%s> has %s",
		    (unsigned long long)n->id, n->addr, n->user, set.route,
		    mr->status == ROUTE_NONE ? "no backend for the user or "
		    "its domain" : "no answer");
		http_refuse(n, HV_TEMP, 0);
		return;
	}
	(void)strlcpy(n->server, mr->addr, sizeof(n->server));
	if (n->sid == 0) {
		http_ok(n, "");
		return;
	}
	/* The authpop that checked the password, if it is still there. */
	if (authgen[n->ach] != n->agen) {
		log_warnx("session h%llu: %s: %s, but authpop, which makes "
		    "its ticket, is gone", (unsigned long long)n->id,
		    n->addr, n->user);
		http_refuse(n, HV_TEMP, 0);
		return;
	}
	n->state = C_TICKET;
	memset(&mt, 0, sizeof(mt));
	mt.id = n->sid;
	mt.status = ROUTE_FOUND;
	(void)strlcpy(mt.addr, n->server, sizeof(mt.addr));
	chan_send(&authchan[n->ach], MSG_HTTP_TICKET, -1, &mt, sizeof(mt));
}

static void
upstream_eof(struct chan *c)
{
	struct conn	*n, *next;
	int		 tab = c == &tabchan[0] || c == &tabchan[1];
	uint64_t	*gen = tab ? &tabgen[c - tabchan] :
			    &authgen[c - authchan];

	log_debug("%s closed its channel", tab ? "routepop" : "authpop");
	TAILQ_FOREACH_SAFE(n, &conns, entry, next)
		if (tab ? n->state == C_ROUTE && n->tgen == *gen :
		    (n->state == C_VERDICT || n->state == C_TICKET) &&
		    n->agen == *gen) {
			log_warnx("session h%llu: %s: %s gone before its "
			    "answer", (unsigned long long)n->id, n->addr,
			    tab ? "routepop" : "authpop");
			http_refuse(n, HV_TEMP, 0);
		}
	if (c->fd != -1)
		chan_close(c);
	*gen = 0;
	if (tab && tabcur == c - tabchan)
		tabcur = -1;
	else if (!tab && authcur == c - authchan)
		authcur = -1;
}

static int
peer_chan(struct chan *ch, uint64_t *gen, int cur, int fd, int proc,
    const struct msg_handler *h, size_t nh)
{
	static uint64_t	 gens;
	int		 i = cur == 0 ? 1 : 0;

	if (fd == -1)
		return cur;	/* our shortage of descriptors: logged */
	if (gen[i] != 0)
		upstream_eof(&ch[i]);
	chan_init(&ch[i], fd, PROC_HTTP, proc, PH_RUN, h, nh, upstream_eof, NULL);
	ch[i].bad = upstream_eof;
	chan_start(&ch[i]);
	gen[i] = ++gens;
	return i;
}

/* No answer in time: nginx has given up, or stalls. */
static void
http_timeout(int fd, short ev, void *arg)
{
	struct conn	*c = arg;

	if (c->state == C_ROUTE || c->state == C_TICKET) {
		log_warnx("session h%llu: %s: no answer from route <%s> "
		    "within %d s", (unsigned long long)c->id, c->addr,
		    set.route, set.timeout.login);
		http_refuse(c, HV_TEMP, 0);
		return;
	}
	log_info("session h%llu: auth-http: no answer within the time, "
	    "closing", (unsigned long long)c->id);
	http_end(c);
}

/* timeout login from now on, as authpop keeps it. */
static void
http_verify(struct conn *c, const struct http_req *r)
{
	struct msg_httpreq	m;
	struct timeval		tv = { set.timeout.login, 0 };

	_Static_assert(sizeof(m.user) == sizeof(r->user), "user");
	_Static_assert(sizeof(m.pass) == sizeof(r->pass), "pass");
	if (authcur == -1) {
		log_warnx("session h%llu: auth-http: no authpop to check it, "
		    "closed", (unsigned long long)c->id);
		http_end(c);
		return;
	}
	(void)event_del(&c->rev);
	memset(&m, 0, sizeof(m));
	m.id = c->id;
	m.method = r->method;
	m.protocol = r->protocol;
	m.attempt = r->attempt;
	m.badchars = r->badchars != 0;
	m.usertoolong = r->usertoolong != 0;
	m.passtoolong = r->passtoolong != 0;
	m.client = r->client;
	memcpy(m.user, r->user, sizeof(m.user));
	memcpy(m.pass, r->pass, sizeof(m.pass));
	chan_send(&authchan[authcur], MSG_HTTP_VERIFY, -1, &m, sizeof(m));
	explicit_bzero(&m, sizeof(m));
	c->state = C_VERDICT;
	c->ach = authcur;
	c->agen = authgen[authcur];
	c->proto = r->protocol;
	(void)strlcpy(c->user, r->user, sizeof(c->user));
	(void)peer_str(&r->client, c->addr, sizeof(c->addr));
	explicit_bzero(c->buf, sizeof(c->buf));
	if (evtimer_add(&c->tmo, &tv) == -1)
		fatal("evtimer_add");
}

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
		http_end(c);
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
		http_end(c);
	} else
		http_verify(c, &r);
	explicit_bzero(&r, sizeof(r));
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

static void
http_resume(int fd, short ev, void *arg)
{
	struct httplisten	*l = arg;

	if (event_add(&l->ev, NULL) == -1)
		fatal("event_add");
}

/*
 * Its group may hold other programs, PHP-FPM's on Debian, which must not speak
 * for nginx.
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
		    !net_match(proxies, nproxies, &peer)))
			log_info("auth-http: %s is not a proxy, closed",
			    peer_log(&peer, addr, sizeof(addr)));
		else if (l->uid != LISTEN_ANYUID && !peer_is(cfd, l->uid))
			;	/* peer_is logged it */
		else if (nconns >= (size_t)set.limit.sessions)
			log_warnx("auth-http: %zu requests open (limit "
			    "sessions), closed one", nconns);
		else {
			http_new(cfd, &peer);
			continue;
		}
		close(cfd);
	}
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

static void
httppop_parent_proxy(struct chan *c, const void *data, int fd)
{
	const struct msg_proxy	*mx = data;

	if (nproxies < nitems(proxies))
		proxies[nproxies++] = mx->net;
}

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

/* The one before is kept for the requests it has. */
static void
httppop_parent_authchan(struct chan *c, const void *data, int fd)
{
	authcur = peer_chan(authchan, authgen, authcur, fd, PROC_AUTHPOP,
	    from_auth, nitems(from_auth));
}

static void
httppop_parent_routechan(struct chan *c, const void *data, int fd)
{
	tabcur = peer_chan(tabchan, tabgen, tabcur, fd, PROC_ROUTE,
	    from_table, nitems(from_table));
}

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
		exit(0);
}
