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
 * nginx.c -- nginx's mail auth_http, answered by authpop: nginx asks,
 * one HTTP/1.0 request a login, whether a client's user and password are
 * good and which backend serves the user.  The password is checked as a
 * POP3 client's is (check.c, host.c: the same queues, delays and failure
 * times), keyed on the Client-IP nginx vouches for; the backend comes
 * from tablepop's route table (MSG_AUTHPOP_ROUTE), asked on a channel
 * the parent made us (MSG_PARENT_TABLECHAN), on which any session's
 * app passwords of a database are asked too (MSG_AUTHPOP_APPS, for
 * verify.c, and for popctl's show app-passwords under SID_CTL ids).
 * While no tablepop runs,
 * and when one dies with our questions, they are temporary failures.
 *
 * httppop reads the request (httppop.c, http.c): it accepts nginx's
 * connections, checks the peer, parses the head and hands us the
 * connection with what it parsed (MSG_HTTP_REQUEST, on a channel the
 * parent made us, MSG_PARENT_HTTPPEER).  We never read from that
 * connection; we write the answer on it.  Nothing of the request is
 * trusted: peers.c checks the message, and here the descriptor.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/tree.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "util.h"
#include "chan.h"
#include "auth.h"
#include "authhttp.h"

/* What an answer says, besides OK: see texts[]. */
enum answer { A_FAIL, A_LAST, A_TEMP, A_METHOD, A_BADCHARS, A_PERM };

/*
 * Auth-Status for each protocol, as nginx shows it to the client after
 * "-ERR ", "tag NO " or the smtp code; RFC 2449/3206 and RFC 5530 codes.
 */
static const struct {
	const char	*text[3];	/* HP_POP3, HP_IMAP, HP_SMTP */
	const char	*smtpcode;
} texts[] = {
	[A_FAIL] = { { "[AUTH] invalid user name or password",
	    "[AUTHENTICATIONFAILED] Invalid user name or password",
	    "Authentication credentials invalid" }, "535 5.7.8" },
	[A_LAST] = { { "[AUTH] too many failures",
	    "[AUTHENTICATIONFAILED] Too many failures",
	    "Too many authentication failures" }, "535 5.7.8" },
	[A_TEMP] = { { "[SYS/TEMP] cannot log in now, try again later",
	    "[UNAVAILABLE] Cannot log in now, try again later",
	    "Temporary authentication failure" }, "454 4.7.0" },
	[A_METHOD] = { { "[AUTH] authentication method not supported",
	    "[CANNOT] Authentication method not supported",
	    "Authentication mechanism not supported" }, "504 5.5.4" },
	[A_BADCHARS] = { { "[AUTH] invalid characters in user name or "
	    "password", "[AUTHENTICATIONFAILED] Invalid characters in user "
	    "name or password", "Authentication credentials invalid" },
	    "535 5.7.8" },
	[A_PERM] = { { "[SYS/PERM] the stored password cannot be used, "
	    "contact the administrator", "[CONTACTADMIN] The stored password "
	    "cannot be used, contact the administrator", "The stored "
	    "password cannot be used, contact the administrator" },
	    "554 5.7.0" },
};

static const char *protos[] = { "pop3", "imap", "smtp" };

static struct chan	 httpchan[2];	/* to httppop: the newest two */
static int		 httpcur;
static size_t		 nhttp;		/* open requests */
static uint64_t		 nextid = SID_HTTP + 1;	/* the parent's are below */

static void	httppop_request(struct chan *, const void *, int);
static void	httppop_eof(struct chan *);
static void	http_request(struct session *, const struct msg_httpreq *);
static void	http_send(struct session *, const char *, const char *const *);
static void	http_refuse(struct session *, enum answer, int);
static void	http_read(struct session *);
static void	http_good(struct session *, double, const char *);
static void	http_temp(struct session *, const char *);
static double	http_fail_at(struct session *, double, double);
static void	http_failed(struct session *);
static void	http_timeout(struct session *);
static void	http_closed(struct session *, int);
static void	http_perm(struct session *, const char *);

static const struct session_ops http_ops;

/* All httppop may send us. */
static const struct msg_handler from_http[] = {
	{ MSG_HTTP_REQUEST,	httppop_request },
};

/*
 * MSG_PARENT_HTTPPEER: a new httppop's channel.  The one before it is
 * kept, for a reload's draining httppop passes on the requests it was
 * reading.
 */
void
http_peerchan(int fd)
{
	int	i = httpcur == 0 ? 1 : 0;

	if (fd == -1)
		return;		/* our shortage of descriptors: logged */
	if (httpchan[i].handlers != NULL)
		httppop_eof(&httpchan[i]);
	chan_init(&httpchan[i], fd, PROC_AUTHPOP, PROC_HTTP, PH_RUN,
	    from_http, nitems(from_http), httppop_eof, NULL);
	/* Garbage: chan_bad closes it; a new httppop comes with a new one. */
	httpchan[i].bad = httppop_eof;
	chan_start(&httpchan[i]);
	httpcur = i;
}

static void
httppop_eof(struct chan *c)
{
	log_debug("httppop closed its channel");
	if (c->fd != -1)
		chan_close(c);
	c->handlers = NULL;
}

/*
 * A request httppop parsed (peers.c checked its fields), with nginx's
 * connection: a socket, or httppop is not to be believed.  At most
 * limit sessions open, as when authpop accepted them itself.
 */
static void
httppop_request(struct chan *c, const void *data, int fd)
{
	const struct msg_httpreq	*m = data;
	struct session			*s;
	struct stat			 st;

	if (fd == -1)
		return;		/* our shortage of descriptors: logged */
	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode)) {
		log_warnx("%s from httppop: not a socket: closing its "
		    "channel", msg_type_str(MSG_HTTP_REQUEST));
		close(fd);
		httppop_eof(c);
		return;
	}
	if (nhttp >= (size_t)set.limit.sessions) {
		log_warnx("auth-http: %zu requests open (limit "
		    "sessions), closed one", nhttp);
		close(fd);
		return;
	}
	if (set_nonblock(fd) == -1) {
		log_warn("auth-http");
		close(fd);
		return;
	}
	/* Closed if it cannot be had (logged). */
	if ((s = session_alloc(nextid++, fd, 0, &m->proxy, &http_ops)) ==
	    NULL)
		return;
	nhttp++;
	http_request(s, m);
	explicit_bzero((void *)(uintptr_t)m->pass, sizeof(m->pass));
	session_update(s);
}

/* Called by session_close. */
static void
http_closed(struct session *s, int notify)
{
	nhttp--;
}

/*
 * Whatever nginx sends after its request is not ours to read (httppop
 * read the head): the session waits for its answer, or its close.
 */
static void
http_read(struct session *s)
{
	(void)event_del(&s->rev);
	s->reading = 0;
}

/* A whole request: the client is Client-IP from now on. */
static void
http_request(struct session *s, const struct msg_httpreq *r)
{
	char	addr[PEER_STRLEN];

	host_put(s->host);
	s->peer = r->client;
	(void)peer_str(&s->peer, s->addr, sizeof(s->addr));
	s->host = host_get(&s->peer);
	s->proto = r->protocol;
	s->attempt = r->attempt;
	s->deadline = now() + set.timeout.login;
	timer_in(&s->tmo, set.timeout.login);
	log_debug("session %s%llu: auth-http %s from %s, attempt %d",
	    SIDP(s->id), protos[s->proto], s->addr, s->attempt);
	if (r->method != HM_PLAIN && r->method != HM_LOGIN) {
		/* apop, cram-md5: nginx would take an OK without Auth-Pass. */
		log_info("auth-http: %s from %s: method not supported",
		    protos[s->proto], peer_log(&s->peer, addr, sizeof(addr)));
		http_refuse(s, A_METHOD, 0);
		return;
	}
	if (r->badchars) {
		/* A CR or LF would be a command of its own at the backend. */
		log_info("session %s%llu: failed login for \"\" from %s: "
		    "control characters in the user name or password",
		    SIDP(s->id), peer_log(&s->peer, addr, sizeof(addr)));
		http_refuse(s, A_BADCHARS, 0);
		return;
	}
	if (s->attempt > set.limit.failures) {
		log_info("auth-http: %s from %s: attempt %d, over limit "
		    "failures", protos[s->proto], peer_log(&s->peer, addr,
		    sizeof(addr)), s->attempt);
		http_refuse(s, A_LAST, 0);
		return;
	}
	/* Too long: no such user, checked (and failed) as one. */
	(void)strlcpy(s->user, r->user, sizeof(s->user));
	s->hasuser = 1;
	auth_start(s, r->pass, r->passtoolong);
}

static void	authpop_table_route(struct chan *, const void *, int);
static void	authpop_table_apps(struct chan *, const void *, int);
static void	authpop_table_cred(struct chan *, const void *, int);
static void	tablepop_eof(struct chan *);
static void	tablepop_lost(struct session *);

/* All tablepop may send us. */
static const struct msg_handler from_table[] = {
	{ MSG_TABLE_ROUTE,	authpop_table_route },
	{ MSG_TABLE_APPS,	authpop_table_apps },
	{ MSG_TABLE_CRED,	authpop_table_cred },
};

/* MSG_PARENT_TABLECHAN: the current tablepop's, the last one's kept. */
void
http_tablechan(int fd)
{
	int	i = tabcur == 0 ? 1 : 0;

	if (fd == -1)
		return;		/* our shortage of descriptors: logged */
	if (tabchan[i].handlers != NULL)
		tablepop_eof(&tabchan[i]);
	chan_init(&tabchan[i], fd, PROC_AUTHPOP, PROC_TABLE, PH_RUN,
	    from_table, nitems(from_table), tablepop_eof, NULL);
	/* Its end, whatever it did: chan_bad closes it, and then this. */
	tabchan[i].bad = tablepop_eof;
	chan_start(&tabchan[i]);
	tabcur = i;
}

/* A tablepop gone, or broken: what it was asked is a temporary failure. */
static void
tablepop_eof(struct chan *c)
{
	int	i = c == &tabchan[0] ? 0 : 1;

	session_route_lost(i, tablepop_lost);
	if (c->fd != -1)
		chan_close(c);
	c->handlers = NULL;
	if (tabcur == i)
		tabcur = -1;
}

static void
tablepop_lost(struct session *s)
{
	if (s->state != S_LOOKUP && s->state != S_ROUTE) {
		/* Its late answer will not come: it may ask again. */
		s->tablate = 0;
		return;
	}
	if (s->state == S_LOOKUP) {
		if (s->tabapps) {
			s->tabapps = 0;
			verify_apps(s, CRED_TEMP, NULL);
		} else {
			log_warnx("session %s%llu: %s: table %s: tablepop gone: "
			    "credentials lookup of \"%s\" failed", SIDP(s->id),
			    s->addr, set.authtab, logname(s->user));
			verify_cred(s, NULL);
		}
		session_update(s);
		return;
	}
	log_warnx("session %s%llu: %s: %s, but tablepop, which routes, is "
	    "gone", SIDP(s->id), s->addr, s->user);
	http_refuse(s, A_TEMP, 0);
	session_update(s);
}

static void
authpop_table_apps(struct chan *c, const void *data, int fd)
{
	const struct msg_apps	*ma = data;
	struct session		*s;

	if ((ma->id & (SID_CTL | SID_HTTP)) == SID_CTL) {
		verify_ctlanswer(ma->id & ~SID_CTL, ma->status, ma->recs);
		return;
	}
	if ((s = session_find(ma->id)) == NULL || s->state != S_LOOKUP ||
	    !s->tabapps || &tabchan[s->tabchan] != c) {
		log_debug("session %s%llu: its app passwords came %s",
		    SIDP(ma->id), s != NULL && verify_late(s, c) ?
		    "after their bound" : "after the session ended");
		return;
	}
	s->tabapps = 0;
	verify_apps(s, ma->status, ma->recs);
	session_update(s);
}

/* authtab's database's answer (verify.c's question): the user's hash. */
static void
authpop_table_cred(struct chan *c, const void *data, int fd)
{
	const struct msg_cred	*mc = data;
	struct session		*s;

	if ((s = session_find(mc->id)) == NULL || s->state != S_LOOKUP ||
	    s->tabapps || &tabchan[s->tabchan] != c) {
		log_debug("session %s%llu: its password hash came %s",
		    SIDP(mc->id), s != NULL && verify_late(s, c) ?
		    "after its bound" : "after the session ended");
		return;
	}
	verify_cred(s, mc);
	session_update(s);
}

/* A good password: tablepop is asked for the route. */
static void
http_good(struct session *s, double t, const char *how)
{
	struct msg_login	ml;

	host_success(s->host, s->user, t);
	if (tabcur == -1) {
		log_warnx("session %s%llu: %s: %s, but no tablepop runs to "
		    "route it", SIDP(s->id), s->addr, s->user);
		http_refuse(s, A_TEMP, 0);
		return;
	}
	memset(&ml, 0, sizeof(ml));
	ml.id = s->id;
	(void)strlcpy(ml.user, s->user, sizeof(ml.user));
	s->state = S_ROUTE;
	s->tabchan = tabcur;
	chan_send(&tabchan[tabcur], MSG_AUTHPOP_ROUTE, -1, &ml, sizeof(ml));
}

/* tablepop's answer, for a session that may have ended meanwhile. */
static void
authpop_table_route(struct chan *c, const void *data, int fd)
{
	const struct msg_route	*mr = data;
	struct session		*s;

	if ((s = session_find(mr->id)) == NULL || s->state != S_ROUTE ||
	    &tabchan[s->tabchan] != c) {
		log_debug("session %s%llu: its route came after the session "
		    "ended", SIDP(mr->id));
		return;
	}
	http_route(s, mr);
	session_update(s);
}

/* The route's answer: where nginx sends the client. */
void
http_route(struct session *s, const struct msg_route *mr)
{
	char		 server[64], port[32], pass[TICKET_MAX + 16];
	char		 ticket[TICKET_MAX];
	const char	*h[4] = { server, port, NULL, NULL };

	if (mr->status != ROUTE_FOUND) {
		log_warnx("session %s%llu: %s: %s, but route <%s> has %s",
		    SIDP(s->id), s->addr, s->user, set.route,
		    mr->status == ROUTE_NONE ? "no backend for the user or "
		    "its domain" : "no answer");
		http_refuse(s, A_TEMP, 0);
		return;
	}
	(void)snprintf(server, sizeof(server), "Auth-Server: %s", mr->addr);
	(void)snprintf(port, sizeof(port), "Auth-Port: %d",
	    set.route_port[s->proto]);
	/* The backend takes the ticket for the password: one check. */
	if (s->proto == HP_POP3 && ticket_make(s->user, mr->addr, ticket,
	    sizeof(ticket)) == 0) {
		(void)snprintf(pass, sizeof(pass), "Auth-Pass: %s", ticket);
		h[2] = pass;
	}
	log_info("session %s%llu: %s: login %s, %s to %s port %d",
	    SIDP(s->id), s->addr, s->user, protos[s->proto],
	    mr->addr, set.route_port[s->proto]);
	http_send(s, "OK", h);
	explicit_bzero(ticket, sizeof(ticket));
	explicit_bzero(pass, sizeof(pass));
}

/*
 * A failure is answered at its time: the floor after the check began
 * (http_fail_at), with what is left of the address's delay in
 * Auth-Wait, for nginx to wait before it tells the client; the last
 * attempt has none, so nginx closes.
 */
static double
http_fail_at(struct session *s, double wait, double floor)
{
	s->authwait = wait - floor;
	return floor;
}

static void
http_failed(struct session *s)
{
	double	delay = s->authwait;

	if (s->attempt >= set.limit.failures)
		http_refuse(s, A_LAST, 0);
	else
		http_refuse(s, A_FAIL, delay < 1 ? 1 :
		    (int)delay + (delay > (int)delay));
}

/* A database could not say, or the check failed: no answer but this. */
static void
http_temp(struct session *s, const char *why)
{
	http_refuse(s, A_TEMP, 0);
}

static void
http_perm(struct session *s, const char *why)
{
	http_refuse(s, A_PERM, 0);
}

/* No request or no route in time: nginx has given up, or stalls. */
static void
http_timeout(struct session *s)
{
	if (s->state == S_ROUTE) {
		/* The route's answer, if it comes, finds no one. */
		log_warnx("session %s%llu: %s: no answer from route <%s> "
		    "within %d s", SIDP(s->id), s->addr,
		    set.route, set.timeout.login);
		http_refuse(s, A_TEMP, 0);
		session_update(s);
		return;
	}
	log_info("session %s%llu: auth-http: no answer within the time, "
	    "closing", SIDP(s->id));
	session_close(s, 0);
}

static void
http_refuse(struct session *s, enum answer a, int wait)
{
	char		 code[64], w[32];
	const char	*h[3] = { NULL, NULL, NULL };
	int		 n = 0;

	if (s->proto == HP_SMTP) {
		(void)snprintf(code, sizeof(code), "Auth-Error-Code: %s",
		    texts[a].smtpcode);
		h[n++] = code;
	}
	if (wait > 0) {
		(void)snprintf(w, sizeof(w), "Auth-Wait: %d", wait);
		h[n++] = w;
	}
	http_send(s, texts[a].text[s->proto], h);
}

static void
http_send(struct session *s, const char *status, const char *const *h)
{
	char	buf[HTTP_MAXANSWER];
	size_t	n;

	if ((n = http_answer(buf, sizeof(buf), status, h)) == 0)
		fatalx("%s: answer does not fit", __func__);
	if (evbuffer_add(s->out, buf, n) == -1)
		fatal("evbuffer_add");
	explicit_bzero(buf, sizeof(buf));
	s->state = S_CLOSING;
	timer_in(&s->tmo, AUTH_CLOSE_TIMEOUT);
}

/* nginx's auth_http requests, as sessions (session.c). */
static const struct session_ops http_ops = {
	0, http_read, http_good, http_temp, http_fail_at, http_failed,
	http_timeout, http_closed, http_perm
};
