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
 * nginx.c -- passwords of auth_http requests that httppop parsed, checked as a
 * POP3 client's, keyed on the Client-IP nginx vouches for.  Nothing httppop
 * sends is trusted: peers.c checks it.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "util.h"
#include "chan.h"
#include "auth.h"

static const char *protos[] = { "pop3", "imap", "smtp" };

static struct chan	 httpchan[2];	/* to httppop: the newest two */
static uint64_t		 httpgen[2];	/* which httppop each is */
static int		 httpcur;
static size_t		 nhttp;		/* open requests */
static uint64_t		 nextid = SID_HTTP + 1;	/* the parent's are below */

static void	httppop_verify(struct chan *, const void *, int);
static void	httppop_ticket(struct chan *, const void *, int);
static void	httppop_eof(struct chan *);
static int	httppop_unread(struct chan *);
static void	verdict_send(struct chan *, uint64_t, uint64_t, int, int,
		    const char *);
static void	http_verdict(struct session *, int, int);

static const struct session_ops http_ops;

static const struct msg_handler from_http[] = {
	{ MSG_HTTP_VERIFY,	httppop_verify },
	{ MSG_HTTP_TICKET,	httppop_ticket },
};

/*
 * The one before is kept: a reload's draining httppop waits for our verdicts.
 */
void
http_peerchan(struct chan *pc, const void *data, int fd)
{
	static uint64_t	 gen;
	int		 i = httpcur == 0 ? 1 : 0;

	if (fd == -1)
		return;		/* our shortage of descriptors: logged */
	if (httpchan[i].handlers != NULL)
		httppop_eof(&httpchan[i]);
	chan_init(&httpchan[i], fd, PROC_AUTHPOP, PROC_HTTP, PH_RUN,
	    from_http, nitems(from_http), httppop_eof, NULL);
	/* Garbage: chan_bad closes it; a new httppop comes with a new one. */
	httpchan[i].bad = httppop_eof;
	chan_start(&httpchan[i]);
	httpgen[i] = ++gen;
	httpcur = i;
}

static void
httppop_eof(struct chan *c)
{
	log_debug("httppop closed its channel");
	if (c->fd != -1)
		chan_close(c);
	c->handlers = NULL;
	httpgen[c == &httpchan[0] ? 0 : 1] = 0;
}

/*
 * Past limit sessions unread verdicts an httppop is stuck or compromised: cut
 * off before our memory goes to its queue.
 */
static int
httppop_unread(struct chan *c)
{
	if (c->outmsgs <= 2 * (size_t)auth_set.limit.sessions)
		return 0;
	chan_bad(c, "%zu verdicts unread", c->outmsgs);
	return 1;
}

/* Past limit sessions open, a temporary failure. */
static void
httppop_verify(struct chan *c, const void *data, int fd)
{
	const struct msg_httpreq	*r = data;
	struct session			*s;
	char				 addr[PEER_STRLEN];
	int				 i = c == &httpchan[0] ? 0 : 1;

	if (httppop_unread(c))
		goto wipe;
	if (nhttp >= (size_t)auth_set.limit.sessions) {
		log_warnx("auth-http: %zu requests open (limit sessions), "
		    "refused one", nhttp);
		verdict_send(c, r->id, 0, HV_TEMP, 0, "");
		goto wipe;
	}
	if ((s = session_alloc(nextid++, -1, 0, &r->client, &http_ops)) ==
	    NULL) {
		verdict_send(c, r->id, 0, HV_TEMP, 0, "");
		goto wipe;
	}
	nhttp++;
	s->reqid = r->id;
	s->httpch = i;
	s->httpgen = httpgen[i];
	s->proto = r->protocol;
	s->attempt = r->attempt;
	session_deadline(s);
	log_debug("session %s%llu: auth-http %s from %s, attempt %d",
	    SIDP(s->id), protos[s->proto], s->addr, s->attempt);
	if (r->method != HM_PLAIN && r->method != HM_LOGIN) {
		/* apop, cram-md5: nginx would take an OK without Auth-Pass. */
		log_info("auth-http: %s from %s: method not supported",
		    protos[s->proto], peer_log(&s->peer, addr, sizeof(addr)));
		http_verdict(s, HV_METHOD, 0);
	} else if (r->badchars) {
		/* A CR or LF would be a command of its own at the backend. */
		log_info("session %s%llu: failed login for \"\" from %s: "
		    "control characters in the user name or password",
		    SIDP(s->id), peer_log(&s->peer, addr, sizeof(addr)));
		http_verdict(s, HV_BADCHARS, 0);
	} else if (s->attempt > auth_set.limit.failures) {
		log_info("auth-http: %s from %s: attempt %d, over limit "
		    "failures", protos[s->proto], peer_log(&s->peer, addr,
		    sizeof(addr)), s->attempt);
		http_verdict(s, HV_LAST, 0);
	} else {
		/* Too long: no such user, checked (and failed) as one. */
		(void)strlcpy(s->user, r->user, sizeof(s->user));
		s->hasuser = 1;
		auth_start(s, r->pass, r->passtoolong);
	}
	session_update(s);
 wipe:
	explicit_bzero((void *)(uintptr_t)r->pass, sizeof(r->pass));
}

/* Any request but one we said HV_OKTICKET to is httppop's lie. */
static void
httppop_ticket(struct chan *c, const void *data, int fd)
{
	const struct msg_route	*m = data;
	struct session		*s;
	char			 ticket[HTTP_TICKETMAX];

	if (httppop_unread(c))
		return;
	if ((s = session_find(m->id)) == NULL || s->state != S_TICKET ||
	    &httpchan[s->httpch] != c || httpgen[s->httpch] != s->httpgen) {
		log_debug("session %s%llu: a ticket asked when none is due",
		    SIDP(m->id));
		return;
	}
	if (ticket_make(s->user, m->addr, ticket, sizeof(ticket)) == -1)
		ticket[0] = '\0';
	verdict_send(c, s->reqid, 0, HV_TICKET, 0, ticket);
	explicit_bzero(ticket, sizeof(ticket));
	s->state = S_CLOSING;
	session_update(s);
}

static void
verdict_send(struct chan *c, uint64_t id, uint64_t sid, int verdict,
    int wait, const char *ticket)
{
	struct msg_verdict	m;

	memset(&m, 0, sizeof(m));
	m.id = id;
	m.sid = sid;
	m.verdict = verdict;
	m.wait = wait;
	(void)strlcpy(m.ticket, ticket, sizeof(m.ticket));
	chan_send(c, MSG_AUTHPOP_VERDICT, -1, &m, sizeof(m));
	explicit_bzero(&m, sizeof(m));
}

static void
http_verdict(struct session *s, int verdict, int wait)
{
	if (httpgen[s->httpch] == s->httpgen)
		verdict_send(&httpchan[s->httpch], s->reqid, verdict ==
		    HV_OKTICKET ? s->id : 0, verdict, wait, "");
	s->state = verdict == HV_OKTICKET ? S_TICKET : S_CLOSING;
	if (s->state == S_TICKET)
		session_deadline(s);
}

static void
http_closed(struct session *s, int notify)
{
	nhttp--;
}

static void
http_good(struct session *s, double t, const char *how)
{
	host_success(s->host, s->user, t);
	log_debug("session %s%llu: %s: %s: good password%s", SIDP(s->id),
	    s->addr, s->user, how);
	http_verdict(s, s->proto == HP_POP3 && auth_set.ticket_key[0] != '\0' ?
	    HV_OKTICKET : HV_OK, 0);
}

/*
 * The rest of the address's delay goes in Auth-Wait; the last attempt has none.
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

	if (s->attempt >= auth_set.limit.failures)
		http_verdict(s, HV_LAST, 0);
	else
		http_verdict(s, HV_FAIL, delay < 1 ? 1 : delay > HTTP_WAITMAX ?
		    HTTP_WAITMAX : (int)delay + (delay > (int)delay));
}

static void
http_unchecked(struct session *s, int perm, const char *why)
{
	http_verdict(s, perm ? HV_PERM : HV_TEMP, 0);
}

/* httppop keeps the same time: it has closed the request already. */
static void
http_timeout(struct session *s)
{
	log_info("session %s%llu: auth-http: no answer within the time",
	    SIDP(s->id));
	session_close(s, 0);
}

static const struct session_ops http_ops = {
	0, http_good, http_unchecked, http_fail_at, http_failed,
	http_timeout, http_closed
};

/* The parent spends a ticket once, across reloads (login.c). */
int
ticket_login(struct session *s, const char *pass)
{
	const char	*why;

	if (!ticket_like(pass) || !valid_username(s->user))
		return 0;
	if (ticket_check(s->user, pass, &s->local, &s->tnonce, &s->texpiry,
	    &why)) {
		verify_end(s, V_GOOD, " with a ticket");
		return 1;
	}
	log_info("session %s%llu: %s: a ticket for %s refused: %s",
	    SIDP(s->id), s->addr, logname(s->user), why);
	return 0;
}
