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
 * session.c -- the POP3 AUTHORIZATION state, and what every session has (struct
 * session_ops).  A socket is read one line at a time, so what a client
 * pipelines after PASS stays for wrkrpop; every recv and send is MSG_DONTWAIT.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <errno.h>
#include <event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "chan.h"
#include "log.h"
#include "pop3.h"
#include "proto.h"
#include "stats.h"
#include "util.h"
#include "auth.h"

#define AUTH_PEEK		1024	/* bytes looked at per recv */
#define AUTH_MAXLINE		POP3_SASL_MAXLINE /* RFC 5034 responses */
#define AUTH_OUTMAX		4096	/* stop reading while this is unsent */
#define AUTH_BURST		16	/* lines per read event, for fairness */

RB_HEAD(sesstree, session);
static int	session_cmp(struct session *, struct session *);
RB_PROTOTYPE_STATIC(sesstree, session, entry, session_cmp)
RB_GENERATE_STATIC(sesstree, session, entry, session_cmp)

static struct sesstree	 sessions = RB_INITIALIZER(&sessions);
static size_t		 nsessions;
static void		(*last_gone)(void);	/* when draining */

static int
session_cmp(struct session *a, struct session *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

void
session_last(void (*fn)(void))
{
	last_gone = fn;
	if (nsessions == 0)
		fn();
}

struct session *
session_find(uint64_t id)
{
	struct session	key;

	key.id = id;
	return RB_FIND(sesstree, &sessions, &key);
}

/* Its answer was due on ch, which is gone: fn may end the session. */
void
session_table_lost(int ch, void (*fn)(struct session *))
{
	struct session	*s, *next;

	RB_FOREACH_SAFE(s, sesstree, &sessions, next)
		if ((s->state == S_LOOKUP || s->tablate) && s->tabchan == ch)
			fn(s);
}

/* timeout login: nothing extends it. */
void
session_deadline(struct session *s)
{
	timer_in(&s->tmo, s->deadline - auth_now());
}

void
session_reply(struct session *s, const char *fmt, ...)
{
	va_list	ap;
	int	r;

	if (strchr(fmt, '%') == NULL)
		r = evbuffer_add(s->out, fmt, strlen(fmt));
	else {
		va_start(ap, fmt);
		r = evbuffer_add_vprintf(s->out, fmt, ap);
		va_end(ap);
	}
	if (r == -1 || evbuffer_add(s->out, "\r\n", 2) == -1)
		fatal("evbuffer_add");
}

static int
session_send(struct session *s)
{
	ssize_t	n;

	while (EVBUFFER_LENGTH(s->out) > 0) {
		n = send(s->fd, EVBUFFER_DATA(s->out), EVBUFFER_LENGTH(s->out),
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return 0;
			log_debug("session %s%llu: send: %s", SIDP(s->id),
			    strerror(errno));
			return -1;
		}
		evbuffer_drain(s->out, n);
	}
	return 0;
}

/* The listener answers +OK, starts TLS and brings the client back anew. */
static void
session_stls(struct session *s)
{
	struct msg_id	mi;

	memset(&mi, 0, sizeof(mi));
	mi.id = s->id;
	s->state = S_STLS;
	log_debug("session %s%llu: STLS", SIDP(s->id));
	chan_send(&parent, MSG_AUTHPOP_STLS, -1, &mi, sizeof(mi));
	timer_in(&s->tmo, AUTH_CLOSE_TIMEOUT);
	session_update(s);
}

/*
 * If the parent refuses the login, it sends the socket back (session_refused).
 */
static void
session_handoff(struct session *s)
{
	struct msg_login	ml;

	memset(&ml, 0, sizeof(ml));
	ml.id = s->id;
	(void)strlcpy(ml.user, s->user, sizeof(ml.user));
	ml.nonce = s->tnonce;
	ml.expiry = s->texpiry;
	(void)strlcpy(ml.app, s->app, sizeof(ml.app));
	s->state = S_HANDOFF;
	if (event_del(&s->rev) == -1 || event_del(&s->wev) == -1 ||
	    evtimer_del(&s->tmo) == -1)
		fatal("event_del");
	chan_send(&parent, MSG_AUTHPOP_LOGIN, s->fd, &ml, sizeof(ml));
	s->fd = -1;
	session_close(s, 0);
}

/*
 * This may close or hand off the session: callers must not touch s afterwards.
 */
void
session_update(struct session *s)
{
	size_t	pending = EVBUFFER_LENGTH(s->out);
	int	want_read, want_write;

	/* Most replies are one short line: sent at once, no event to arm. */
	if (pending > 0 && !s->writing) {
		if (session_send(s) == -1) {
			session_close(s, 1);
			return;
		}
		pending = EVBUFFER_LENGTH(s->out);
	}
	want_read = s->fd != -1 && ((s->state == S_CMD &&
	    pending < AUTH_OUTMAX) || s->state == S_STLS);
	want_write = pending > 0;
	if (want_read != s->reading) {
		if ((want_read ? event_add(&s->rev, NULL) :
		    event_del(&s->rev)) == -1)
			fatal("event_add/del");
		s->reading = want_read;
	}
	if (want_write != s->writing) {
		if ((want_write ? event_add(&s->wev, NULL) :
		    event_del(&s->wev)) == -1)
			fatal("event_add/del");
		s->writing = want_write;
	}
	if (pending == 0) {
		if (s->state == S_CLOSING)
			session_close(s, 1);
		else if (s->state == S_DRAIN)
			session_handoff(s);
		else if (s->state == S_STLS_DRAIN)
			session_stls(s);
	}
}

static void
session_write(int fd, short ev, void *arg)
{
	struct session	*s = arg;

	if (session_send(s) == -1) {
		session_close(s, 1);
		return;
	}
	session_update(s);
}

static void
session_timeout(int fd, short ev, void *arg)
{
	struct session	*s = arg;

	switch (s->state) {
	case S_DELAY:
		s->ops->failed(s);
		session_update(s);
		break;
	case S_LOOKUP:
		if (auth_now() < s->deadline) {
			verify_unanswered(s);
			session_update(s);
			break;
		}
		s->tabapps = 0;
		/* FALLTHROUGH */
	case S_CHECK:
		if (s->state == S_CHECK) {
			/* A worker has it: the result comes, then this. */
			if (s->job == NULL)
				return;
			host_dequeue(s);
		}
		freezero(s->job, sizeof(*s->job));
		s->job = NULL;
		/* FALLTHROUGH */
	case S_CMD:
	case S_TICKET:
		s->ops->timeout(s);
		break;
	default:
		log_debug("session %s%llu: %s: peer does not read, closing",
		    SIDP(s->id), s->addr);
		session_close(s, 1);
		break;
	}
}

static int
plaintext_ok(struct session *s)
{
	return (s->flags & (SESSION_TLS | SESSION_TRUSTED)) != 0;
}

static int
plaintext_refused(struct session *s, int login)
{
	char	addr[PEER_STRLEN];

	if (plaintext_ok(s))
		return 0;
	if (login)
		STAT_INC(STAT_LOGIN_PLAINTEXT);
	if (!s->plainlogged) {
		log_info("plaintext login refused from %s",
		    peer_log(&s->peer, addr, sizeof(addr)));
		s->plainlogged = 1;
	}
	session_reply(s, "-ERR [AUTH] plaintext login is only allowed over "
	    "TLS");
	return 1;
}

/*
 * At limit bad-commands the session ends.  One reply per command keeps a
 * pipelining client in step.
 */
static void
bad_command(struct session *s, const char *cmd, const char *why)
{
	char	addr[PEER_STRLEN];

	if (++s->nbad < auth_set.limit.bad_commands) {
		session_reply(s, "-ERR %s%s", cmd, why);
		return;
	}
	STAT_INC(STAT_REFUSED_BAD_COMMANDS);
	log_info("too many invalid commands from %s, closing",
	    peer_log(&s->peer, addr, sizeof(addr)));
	session_reply(s, "-ERR too many invalid commands, closing");
	s->sasl = 0;
	s->state = S_CLOSING;
	timer_in(&s->tmo, AUTH_CLOSE_TIMEOUT);
}

static void
session_sasl(struct session *s, const char *resp)
{
	char	pass[AUTH_MAXLINE];
	int	r;

	s->sasl = 0;
	if (strcmp(resp, "*") == 0) {
		session_reply(s, "-ERR authentication cancelled");
		return;
	}
	if ((r = pop3_sasl_plain(resp, s->user, sizeof(s->user), pass,
	    sizeof(pass))) != 0) {
		explicit_bzero(s->user, sizeof(s->user));
		session_reply(s, r == -2 ? "-ERR [AUTH] authorization identity "
		    "must be empty or the user's own" :
		    "-ERR [AUTH] malformed AUTH PLAIN response");
	} else
		auth_start(s, pass, 0);
	explicit_bzero(pass, sizeof(pass));
}

static void
cmd_capa(struct session *s, struct pop3_line *l)
{
	const char	*capa;

	capa = pop3_capa((plaintext_ok(s) ? CAPA_USER | CAPA_SASL : 0) |
	    ((s->flags & (SESSION_STLS | SESSION_TLS)) == SESSION_STLS ?
	    CAPA_STLS : 0), auth_set.expire, auth_set.login_delay);
	if (evbuffer_add(s->out, capa, strlen(capa)) == -1)
		fatal("evbuffer_add");
}

static void
cmd_user(struct session *s, struct pop3_line *l)
{
	if (plaintext_refused(s, 0))
		return;
	if (l->nargs != 1) {
		session_reply(s, "-ERR usage: USER name");
		return;
	}
	/* Always "+OK": the reply must not tell who exists. */
	(void)strlcpy(s->user, l->args[0], sizeof(s->user));
	s->hasuser = 1;
	session_reply(s, "+OK send PASS");
}

static void
cmd_pass(struct session *s, struct pop3_line *l)
{
	if (plaintext_refused(s, 1))
		return;
	if (!s->hasuser) {
		session_reply(s, "-ERR USER first");
		return;
	}
	if (l->nargs != 1) {
		session_reply(s, "-ERR usage: PASS password");
		return;
	}
	auth_start(s, l->args[0], 0);
}

static void
cmd_auth(struct session *s, struct pop3_line *l)
{
	if (l->nargs == 0) {
		session_reply(s, "+OK SASL mechanisms follow");
		if (plaintext_ok(s))
			session_reply(s, "PLAIN");
		session_reply(s, ".");
		return;
	}
	if (strcasecmp(l->args[0], "PLAIN") != 0) {
		session_reply(s, "-ERR unsupported SASL mechanism");
		return;
	}
	if (plaintext_refused(s, 1))
		return;
	s->hasuser = 0;
	s->sasl = 1;
	if (l->nargs == 2)
		/* RFC 5034 initial response; "=" is an empty one. */
		session_sasl(s, l->args[1]);
	else
		session_reply(s, "+ ");
}

static void
cmd_quit(struct session *s, struct pop3_line *l)
{
	session_reply(s, "+OK bye");
	s->state = S_CLOSING;
	timer_in(&s->tmo, AUTH_CLOSE_TIMEOUT);
}

static void
cmd_stls(struct session *s, struct pop3_line *l)
{
	if (s->flags & SESSION_TLS)
		session_reply(s, "-ERR TLS is already active");
	else if (!(s->flags & SESSION_STLS))
		session_reply(s, "-ERR STLS is not available here");
	else if (l->nargs != 0)
		session_reply(s, "-ERR STLS takes no argument");
	else {
		/* Nothing learned before TLS is kept (RFC 2595). */
		explicit_bzero(s->user, sizeof(s->user));
		s->state = S_STLS_DRAIN;
	}
}

static void
cmd_apop(struct session *s, struct pop3_line *l)
{
	session_reply(s, "-ERR APOP is not supported");
}

static void
cmd_unknown(struct session *s, struct pop3_line *l)
{
	bad_command(s, "", "unknown command");
}

/* Any other known command gets "not valid before login". */
static void (*const commands[])(struct session *, struct pop3_line *) = {
	[CMD_CAPA] = cmd_capa,
	[CMD_USER] = cmd_user,
	[CMD_PASS] = cmd_pass,
	[CMD_AUTH] = cmd_auth,
	[CMD_QUIT] = cmd_quit,
	[CMD_STLS] = cmd_stls,
	[CMD_APOP] = cmd_apop,
	[CMD_UNKNOWN] = cmd_unknown,
};

static void
session_line(struct session *s, char *buf, size_t len)
{
	struct pop3_line	 l;

	if (s->sasl) {
		session_sasl(s, buf);
		return;
	}
	switch (pop3_parse(&l, buf, len)) {
	case POP3_OK:
		if ((size_t)l.cmd < nitems(commands) && commands[l.cmd] != NULL)
			commands[l.cmd](s, &l);
		else
			bad_command(s, l.name, " is not valid before login");
		break;
	case POP3_ETOOLONG:
		bad_command(s, "", "line too long");
		break;
	case POP3_EBADCHAR:
		bad_command(s, "", "invalid character in command");
		break;
	default:
		bad_command(s, "", "invalid arguments");
		break;
	}
	explicit_bzero(&l, sizeof(l));
}

/*
 * Never a byte past the LF: what follows a PASS belongs to wrkrpop.  A partial
 * line goes into the framer, so a level-triggered event does not spin.
 */
static void
pop3_read(struct session *s)
{
	char		 peek[AUTH_PEEK];
	ssize_t		 n;
	size_t		 take, used = 0;	/* of peek, to wipe */
	int		 r, lines = 0, empty = 0;

	/* empty: the last look took all the socket held. */
	while (s->state == S_CMD && lines < AUTH_BURST && !empty &&
	    EVBUFFER_LENGTH(s->out) < AUTH_OUTMAX) {
		if ((n = recv(s->fd, peek, sizeof(peek),
		    MSG_PEEK | MSG_DONTWAIT)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				break;
			log_debug("session %s%llu: recv: %s",
			    SIDP(s->id), strerror(errno));
			explicit_bzero(peek, used);
			session_close(s, 1);
			return;
		}
		if ((size_t)n > used)
			used = n;
		if (n == 0) {
			log_debug("session %s%llu: %s: closed by the client",
			    SIDP(s->id), s->addr);
			session_close(s, 1);
			return;
		}
		r = pop3_frame(&s->fr, peek, n, s->sasl ? AUTH_MAXLINE :
		    POP3_MAXLINE, &take);
		if (recv(s->fd, peek, take, MSG_DONTWAIT) != (ssize_t)take) {
			log_warn("session %s%llu: recv", SIDP(s->id));
			explicit_bzero(peek, used);
			session_close(s, 1);
			return;
		}
		/* A partial line counts too: no client holds the loop. */
		lines++;
		empty = take == (size_t)n && (size_t)n < sizeof(peek);
		if (r == FRAME_MORE)
			continue;
		/* No rearming: timeout login bounds the whole state. */
		if (r == FRAME_TOOLONG) {
			/* RFC 2449: 255 octets; reject, keep the session. */
			s->sasl = 0;
			bad_command(s, "", "line too long");
			continue;
		}
		session_line(s, s->fr.line, s->fr.len);
		pop3_frame_reset(&s->fr);
	}
	explicit_bzero(peek, used);
	session_update(s);
}

/* After STLS, what the client sent in plaintext is never read as commands. */
static void
session_read(int fd, short ev, void *arg)
{
	struct session	*s = arg;
	char		 buf[1024];
	ssize_t		 n;

	if (s->state != S_STLS) {
		pop3_read(s);
		return;
	}
	while ((n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		;
	explicit_bzero(buf, sizeof(buf));
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR))
		session_close(s, 0);
}

/* fd -1: lost to our shortage of descriptors, logged. */
void
auth_session_new(struct chan *c, const void *data, int fd)
{
	const struct msg_session	*ms = data;
	struct session			*s;
	struct msg_id			 mi;

	if (session_find(ms->id) != NULL)
		fatalx("%s from parent: session %s%llu exists",
		    msg_type_str(MSG_PARENT_SESSION), SIDP(ms->id));
	if (fd == -1 || (s = session_alloc(ms->id, fd, ms->flags, &ms->peer,
	    &pop3_ops)) == NULL) {
		memset(&mi, 0, sizeof(mi));
		mi.id = ms->id;
		chan_send(&parent, MSG_AUTHPOP_CLOSED, -1, &mi, sizeof(mi));
		return;
	}
	s->local = ms->local;
	/* timeout login counts from the greeting, the listener's. */
	s->deadline -= ms->waited;
	/* Handed back by a draining authpop after its USER. */
	if (ms->user[0] != '\0') {
		(void)strlcpy(s->user, ms->user, sizeof(s->user));
		s->hasuser = 1;
	}
	log_debug("session %s%llu: from %s%s%s (%zu open)",
	    SIDP(s->id), s->addr,
	    (s->flags & SESSION_TLS) ? ", tls" : "",
	    (s->flags & SESSION_TRUSTED) ? ", trusted" : "", nsessions);
	session_deadline(s);
	/* The listener handed it over with its first bytes in the socket. */
	pop3_read(s);
}

/* NULL (logged, fd closed) without memory. */
struct session *
session_alloc(uint64_t id, int fd, uint32_t flags,
    const struct peeraddr *peer, const struct session_ops *ops)
{
	struct session	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->out = evbuffer_new()) == NULL) {
		log_warn("session %s%llu", SIDP(id));
		free(s);
		close(fd);
		return NULL;
	}
	s->id = id;
	s->ops = ops;
	s->fd = fd;
	s->flags = flags;
	s->peer = *peer;
	(void)peer_str(&s->peer, s->addr, sizeof(s->addr));
	s->host = host_get(&s->peer);
	s->deadline = auth_now() + auth_set.timeout.login;
	s->state = S_CMD;
	event_set(&s->rev, fd, EV_READ | EV_PERSIST, session_read, s);
	event_set(&s->wev, fd, EV_WRITE | EV_PERSIST, session_write, s);
	evtimer_set(&s->tmo, session_timeout, s);
	RB_INSERT(sesstree, &sessions, s);
	nsessions++;
	trim_after_spike(nsessions);
	return s;
}

void
auth_checked(struct job *j)
{
	struct session	*s;

	if ((s = session_find(j->id)) != NULL && s->state == S_CHECK) {
		auth_result(s, j);
		session_update(s);
	} else
		log_debug("session %s%llu: password checked after the "
		    "session closed", SIDP(j->id));
}

static void
pop3_good(struct session *s, double t, const char *how)
{
	log_info("session %s%llu: %s: login %s%s", SIDP(s->id),
	    s->addr, s->user, how);
	host_success(s->host, s->user, t);
	s->state = S_DRAIN;
	timer_in(&s->tmo, AUTH_CLOSE_TIMEOUT);
}

/* No check could be made: never passed off as a wrong password. */
static void
pop3_unchecked(struct session *s, int perm, const char *why)
{
	if (!perm)
		STAT_INC(STAT_LOGIN_TEMP);
	s->state = S_CMD;
	s->hasuser = 0;
	explicit_bzero(s->user, sizeof(s->user));
	session_reply(s, "-ERR [SYS/%s] %s, %s", perm ? "PERM" : "TEMP", why,
	    perm ? "contact the administrator" : "try again later");
	session_deadline(s);
}

static double
pop3_fail_at(struct session *s, double wait, double floor)
{
	return wait > floor ? wait : floor;
}

static void
pop3_failed(struct session *s)
{
	if (s->failclose) {
		STAT_INC(STAT_REFUSED_FAILURES);
		session_reply(s, "-ERR [AUTH] too many failures");
		s->state = S_CLOSING;
		timer_in(&s->tmo, AUTH_CLOSE_TIMEOUT);
		return;
	}
	session_reply(s, "-ERR [AUTH] invalid user name or password");
	s->state = S_CMD;
	session_deadline(s);
}

static void
pop3_timeout(struct session *s)
{
	log_info("session %s%llu: %s: no login within %d s, closing",
	    SIDP(s->id), s->addr, auth_set.timeout.login);
	session_reply(s, "-ERR [SYS/TEMP] no login within %d seconds, "
	    "closing", auth_set.timeout.login);
	s->state = S_CLOSING;
	timer_in(&s->tmo, AUTH_CLOSE_TIMEOUT);
	session_update(s);
}

/* notify 0: wrkrpop has it. */
static void
pop3_closed(struct session *s, int notify)
{
	struct msg_id	mi;

	if (!notify || s->returned)
		return;
	memset(&mi, 0, sizeof(mi));
	mi.id = s->id;
	chan_send(&parent, MSG_AUTHPOP_CLOSED, -1, &mi, sizeof(mi));
}

const struct session_ops pop3_ops = {
	1, pop3_good, pop3_unchecked, pop3_fail_at, pop3_failed,
	pop3_timeout, pop3_closed
};

void
session_refused(struct chan *c, const void *data, int fd)
{
	const struct msg_refused	*mr = data;
	struct session			*s;
	char				 since[32];

	if ((s = session_alloc(mr->id, fd, mr->flags, &mr->peer,
	    &pop3_ops)) == NULL)
		return;
	s->returned = 1;
	if (mr->code == REFUSED_TEMP)
		session_reply(s, "-ERR [SYS/TEMP] cannot open the maildrop now, "
		    "try again later");
	else if (mr->code == REFUSED_DELAY)
		session_reply(s, "-ERR [LOGIN-DELAY] logins are at least %d "
		    "seconds apart, try again later", auth_set.login_delay);
	else if (mr->code == REFUSED_BUSY_ADDR)
		session_reply(s, "-ERR [SYS/TEMP] too many sessions from your "
		    "address, try again later");
	else if (mr->code == REFUSED_BUSY)
		session_reply(s, "-ERR [SYS/TEMP] too many sessions, try again "
		    "later");
	else if (mr->code == REFUSED_TICKET)
		session_reply(s, "-ERR [AUTH] invalid user name or password");
	else if (mr->code == REFUSED_STUCK)
		session_reply(s, "-ERR [IN-USE] maildrop held by a session "
		    "stuck in the mail store since %s, try again later",
		    stats_time(mr->since, since, sizeof(since)));
	else
		session_reply(s, "-ERR [SYS/PERM] no maildrop for this user, "
		    "contact the administrator");
	s->state = S_CLOSING;
	timer_in(&s->tmo, AUTH_CLOSE_TIMEOUT);
	session_update(s);
}

/*
 * Draining: an idle POP3 session goes to the current authpop, so no client
 * waits for a table we read.
 */
void
session_handback(void)
{
	struct msg_handback	 mh;
	struct session		*s, *next;
	double			 waited;

	RB_FOREACH_SAFE(s, sesstree, &sessions, next) {
		if (s->ops != &pop3_ops || s->state != S_CMD || s->sasl ||
		    s->job != NULL || s->returned || s->fr.len > 0 ||
		    s->fr.toolong || EVBUFFER_LENGTH(s->out) > 0 ||
		    (s->hasuser && !valid_username(s->user)))
			continue;
		memset(&mh, 0, sizeof(mh));
		mh.id = s->id;
		waited = auth_set.timeout.login - (s->deadline - auth_now());
		mh.waited = waited < 0 ? 0 : waited > 86400 ? 86400 : waited;
		if (s->hasuser)
			(void)strlcpy(mh.user, s->user, sizeof(mh.user));
		if (event_del(&s->rev) == -1 || event_del(&s->wev) == -1 ||
		    evtimer_del(&s->tmo) == -1)
			fatal("event_del");
		log_debug("session %s%llu: to the current authpop",
		    SIDP(s->id));
		chan_send(&parent, MSG_AUTHPOP_HANDBACK, s->fd, &mh,
		    sizeof(mh));
		s->fd = -1;
		session_close(s, 0);
	}
}

void
session_close(struct session *s, int notify)
{
	char		buf[1024];
	int		i;

	s->ops->closed(s, notify);
	(void)event_del(&s->rev);
	(void)event_del(&s->wev);
	(void)evtimer_del(&s->tmo);
	if (s->state == S_CHECK)
		host_dequeue(s);
	freezero(s->job, sizeof(*s->job));
	host_put(s->host);
	if (s->fd != -1) {
		/*
		 * Unread input at close() turns EOF into ECONNRESET: our last
		 * reply lost.
		 */
		for (i = 0; i < 8; i++)
			if (recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
				break;
		explicit_bzero(buf, sizeof(buf));
		close(s->fd);
	}
	evbuffer_free(s->out);
	RB_REMOVE(sesstree, &sessions, s);
	nsessions--;
	log_debug("session %s%llu: closed (%zu open)", SIDP(s->id),
	    nsessions);
	freezero(s, sizeof(*s));
	if (nsessions == 0 && last_gone != NULL)
		last_gone();
	trim_after_spike(nsessions);
}
