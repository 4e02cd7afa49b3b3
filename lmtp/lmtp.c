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
 * The lmtp process: LMTP (RFC 2033) from the MTA, chrooted as POPD_USER.
 * The parent judges each RCPT; a message is spooled once, sealed, and
 * handed to the recipients' dlvrpop workers.  Commands are answered in
 * order.  Per-peer and spool limits keep local users from starving the MTA.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "chan.h"
#include "addr.h"
#include "proc.h"
#include "sandbox.h"
#include "lmtp.h"
#include "lmtp_cmd.h"
#include "stats.h"

#define LMTP_INBUF		16384	/* per session: commands or DATA */
#define LMTP_OUTMAX		65536	/* queued replies: read no more */
#define LMTP_REPLYMAX		(LMTP_MAXADDR + 128)

#define LMTP_BUSY	"421 4.3.2 too many connections, try later\r\n"
#define LMTP_PEERBUSY	"421 4.3.2 too many connections from you, try " \
			"later\r\n"

static struct chan	parent_chan;

enum lmtp_state {
	L_CMD,			/* reading commands */
	L_DATA,			/* reading the message */
	L_RCPT,			/* a RCPT waits for the parent, or its
				   worker's quota check */
	L_DELIVER,		/* the message waits for its workers */
	L_CLOSING,		/* last replies out, then close */
};

struct session {
	TAILQ_ENTRY(session)	 entry;
	int			 fd;	/* -1: client gone, an answer is due */
	int			 broken; /* client gone: end the session */
	enum lmtp_state		 state;
	uint64_t		 id;	/* of the request the parent answers */
	char			 client[PEER_STRLEN];	/* "local", ip:port */
	struct lmtp_peer	*peer;		/* who it counts as */
	struct event		 rev, wev, tmo;
	int			 ron, won, tmo_on, tmo_closing;
	char			 in[LMTP_INBUF];
	size_t			 inlen;
	char			*out;
	size_t			 outlen, outcap;
	int			 skipping;	/* a line too long, to its LF */
	int			 nbad;
	int			 lhlo;
	size_t			 progress;	/* message bytes since the
						   timer was last set */
	struct lmtp_txn		 txn;
};

static TAILQ_HEAD(, session)		sessions =
    TAILQ_HEAD_INITIALIZER(sessions);
static struct conf_settings		set;
static char				hostname[256];
static unsigned int			nsessions;
static unsigned int			ncounted;	/* .counted */
static uint64_t				next_id;
static int				draining;
static struct lograte			rate_busy, rate_peer;

static void	respond(struct session *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));

static void
respond(struct session *s, const char *fmt, ...)
{
	char	 line[LMTP_REPLYMAX];
	char	*p;
	va_list	 ap;
	size_t	 n, cap;
	int	 len;

	if (s->fd == -1)
		return;		/* the client is gone */
	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(line) - 2)
		fatalx("%s: reply too long", __func__);
	memcpy(line + len, "\r\n", 2);
	n = len + 2;
	if (s->outlen + n > s->outcap) {
		cap = s->outcap == 0 ? 1024 : s->outcap;
		while (cap < s->outlen + n)
			cap *= 2;
		if ((p = realloc(s->out, cap)) == NULL)
			fatal("reply");
		s->out = p;
		s->outcap = cap;
	}
	memcpy(s->out + s->outlen, line, n);
	s->outlen += n;
}

static void
session_consume(struct session *s, size_t n)
{
	memmove(s->in, s->in + n, s->inlen - n);
	s->inlen -= n;
}

/* The session that asked request id and waits in state st, or NULL. */
static struct session *
session_find(uint64_t id, enum lmtp_state st)
{
	struct session	*s;

	TAILQ_FOREACH(s, &sessions, entry)
		if (s->id == id && s->state == st)
			return s;
	return NULL;
}

/* timeout lmtp runs from a whole command or LMTP_INBUF message bytes. */
static void
session_progress(struct session *s)
{
	if (s->tmo_on)
		evtimer_del(&s->tmo);
	s->tmo_on = 0;
}

static void
session_flush(struct session *s)
{
	ssize_t	n;

	while (s->fd != -1 && !s->broken && s->outlen > 0) {
		n = send(s->fd, s->out, s->outlen, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				log_debug("%s: write: %s", s->client,
				    strerror(errno));
				s->broken = 1;
			}
			return;
		}
		memmove(s->out, s->out + n, s->outlen - n);
		s->outlen -= n;
	}
}

static void
lmtp_session_free(struct session *s)
{
	TAILQ_REMOVE(&sessions, s, entry);
	nsessions--;
	ncounted -= s->peer->counted;
	if (s->ron)
		event_del(&s->rev);
	if (s->won)
		event_del(&s->wev);
	evtimer_del(&s->tmo);
	if (s->fd != -1)
		close(s->fd);
	txn_reset(&s->txn);
	peer_put(s->peer);
	free(s->txn.rcpts);
	free(s->out);
	log_debug("%s: session over", s->client);
	free(s);
	if (draining && nsessions == 0) {
		log_debug("drained, exiting");
		exit(0);
	}
}

/*
 * Only this ends a session, so no caller holds a freed one.  A session
 * whose client left keeps waiting for its answer, so it is logged.
 */
static void
session_settle(struct session *s)
{
	struct timeval	tv = { 0, 0 };
	int		waiting, rwant, wwant;

	session_flush(s);
	waiting = s->state == L_RCPT || s->state == L_DELIVER;
	if (s->broken || (s->state == L_CLOSING && s->outlen == 0)) {
		if (!waiting) {
			lmtp_session_free(s);
			return;
		}
		if (s->fd != -1) {
			if (s->state == L_DELIVER)
				txn_cancel(s->id);
			if (s->ron)
				event_del(&s->rev);
			if (s->won)
				event_del(&s->wev);
			s->ron = s->won = 0;
			close(s->fd);
			s->fd = -1;
			s->outlen = 0;
			s->inlen = 0;
		}
	}
	if (s->fd == -1) {
		session_progress(s);	/* no timer without a client */
		return;
	}

	/* While its message is delivered, only to see the client leave. */
	rwant = (s->state == L_CMD || s->state == L_DATA ||
	    s->state == L_DELIVER) && s->outlen < LMTP_OUTMAX &&
	    s->inlen < sizeof(s->in);
	wwant = s->outlen > 0;
	if (rwant != s->ron && (rwant ? event_add(&s->rev, NULL) :
	    event_del(&s->rev)) == -1)
		fatal("event_add");
	if (wwant != s->won && (wwant ? event_add(&s->wev, NULL) :
	    event_del(&s->wev)) == -1)
		fatal("event_add");
	s->ron = rwant;
	s->won = wwant;

	/* Our time is not the client's: no timer meanwhile. */
	if (waiting)
		session_progress(s);
	else if (!s->tmo_on ||
	    s->tmo_closing != (s->state == L_CLOSING)) {
		s->tmo_closing = s->state == L_CLOSING;
		tv.tv_sec = s->tmo_closing ? set.timeout.close :
		    set.timeout.lmtp;
		evtimer_add(&s->tmo, &tv);
		s->tmo_on = 1;
	}
}

static void
session_closing(struct session *s)
{
	txn_reset(&s->txn);
	s->state = L_CLOSING;
	s->inlen = 0;
}

static void
session_drained(struct session *s)
{
	respond(s, "421 4.3.2 service shutting down, closing");
	session_closing(s);
}

static void
session_bad(struct session *s, const char *err)
{
	if (++s->nbad < set.limit.bad_commands) {
		respond(s, "%s", err);
		return;
	}
	STAT_INC(STAT_REFUSED_BAD_COMMANDS);
	log_info("%s: %d bad commands (limit bad-commands), closing%s",
	    s->client, s->nbad,
	    s->txn.mail ? ", transaction not finished" : "");
	respond(s, "421 4.7.0 too many errors, closing");
	session_closing(s);
}

static const char *
quota_code(void)
{
	return set.quota.temporary ? "452 4.2.2" : "552 5.2.2";
}

/* The RCPT path's keys that are user names, each once, into m. */
static uint32_t
rcpt_keys(struct msg_rcpt *m, const char *path)
{
	char		keys[LMTP_MAXKEYS][LMTP_MAXADDR + 1];
	uint32_t	j;
	int		i, n;

	memset(m, 0, sizeof(*m));
	n = lmtp_rcpt_keys(path, keys);
	for (i = 0; i < n; i++) {
		if (!valid_username(keys[i]))
			continue;
		for (j = 0; j < m->nkeys; j++)
			if (strcmp(m->key[j], keys[i]) == 0)
				break;
		if (j == m->nkeys)
			(void)strlcpy(m->key[m->nkeys++], keys[i],
			    sizeof(m->key[0]));
	}
	return m->nkeys;
}

static void
rcpt_accept(struct session *s, const struct msg_rcptok *m)
{
	if (txn_rcpt(&s->txn, m) == -1) {
		log_warn("%s: recipient", s->client);
		rcpt_forget(&m->ref, 1);
		respond(s, "451 4.3.0 <%s>: out of memory, try later",
		    s->txn.asked);
	} else
		respond(s, "250 2.1.5 ok");
}

/* Why not (RCPT_*); ref, if not 0, is the parent's to forget. */
static void
rcpt_refuse(struct session *s, uint32_t status, uint64_t ref)
{
	if (ref != 0)
		rcpt_forget(&ref, 1);
	switch (status) {
	case RCPT_NONE:
		log_info("%s: <%s> -> <%s>: no such user", s->client,
		    s->txn.sender, s->txn.asked);
		respond(s, "550 5.1.1 <%s>: no such user", s->txn.asked);
		break;
	case RCPT_QUOTA:
	case RCPT_QUOTASIZE:
		log_info("%s: <%s> -> <%s>: %s", s->client, s->txn.sender,
		    s->txn.asked, status == RCPT_QUOTA ? "over quota" :
		    "SIZE= over what the quota leaves");
		respond(s, "%s <%s> mailbox full: %s", quota_code(),
		    s->txn.asked, status == RCPT_QUOTA ?
		    "over quota" : "the message would exceed the quota");
		break;
	case RCPT_QUOTATEMP:
		log_info("%s: <%s> -> <%s>: temporary failure, the quota use "
		    "could not be read", s->client, s->txn.sender,
		    s->txn.asked);
		respond(s, "451 4.3.0 <%s>: cannot check the mailbox's quota, "
		    "try later", s->txn.asked);
		break;
	default:
		log_info("%s: <%s> -> <%s>: temporary failure, user table "
		    "unavailable", s->client, s->txn.sender, s->txn.asked);
		respond(s, "451 4.3.0 <%s>: user table unavailable, try later",
		    s->txn.asked);
		break;
	}
}

/* 1 when the message ended (refused or handed over), 0 for more. */
static int
session_data(struct session *s)
{
	const struct lmtp_rcpt	*r;
	const char		*why;
	char			 out[LMTP_INBUF];
	size_t			 used, olen, i;
	int			 done;

	used = lmtp_data(&s->txn.dec, s->in, s->inlen, out, &olen, &done);
	txn_write(&s->txn, out, olen);
	session_consume(s, used);
	if ((s->progress += used) >= LMTP_INBUF) {
		s->progress = 0;
		session_progress(s);
	}
	if (!done)
		return 0;
	s->state = L_CMD;
	if ((why = txn_end(&s->txn)) != NULL) {
		if (s->txn.toobig)
			STAT_INC(STAT_REFUSED_MESSAGE_SIZE);
		else if (s->txn.full)
			log_info("%s: %s holds %lld octets of limit lmtp-spool, "
			    "all sessions %lld", s->client, s->peer->key,
			    s->peer->held, txn_spooled());
		STAT_ADD(s->txn.toobig ? STAT_LMTP_PERM : STAT_LMTP_TEMP,
		    s->txn.nrcpt);
		for (i = 0; i < s->txn.nrcpt; i++) {
			r = &s->txn.rcpts[i];
			log_info("%s: <%s> -> <%s> (%s): %s", s->client,
			    s->txn.sender, r->addr, r->user, why);
			if (s->txn.toobig)
				respond(s, "552 5.3.4 message too big");
			else if (s->txn.full)
				respond(s, "452 4.3.1 <%s> insufficient system "
				    "storage, try later", r->addr);
			else
				respond(s, "451 4.3.0 <%s> temporary failure, "
				    "try later", r->addr);
		}
		txn_reset(&s->txn);
		return 1;
	}
	s->id = ++next_id;
	s->state = L_DELIVER;
	if (txn_deliver(&s->txn, s->id) == 0)
		return 1;
	s->state = L_CMD;
	STAT_ADD(STAT_LMTP_TEMP, s->txn.nrcpt);
	for (i = 0; i < s->txn.nrcpt; i++)
		respond(s, "451 4.3.0 <%s> temporary failure, "
		    "try later", s->txn.rcpts[i].addr);
	txn_reset(&s->txn);
	return 1;
}

static void
session_line(struct session *s, const char *line, size_t len)
{
	struct lmtp_cmd	 cmd;
	struct msg_rcpt	 mr;
	const char	*err;
	size_t		 maxrcpt;

	if ((err = lmtp_parse(line, len, &cmd)) != NULL) {
		session_bad(s, err);
		return;
	}
	switch (cmd.verb) {
	case LMTP_LHLO:
		txn_reset(&s->txn);
		s->lhlo = 1;
		respond(s, "250-%s", hostname);
		respond(s, "250-PIPELINING");
		respond(s, "250-ENHANCEDSTATUSCODES");
		respond(s, "250-8BITMIME");
		respond(s, "250 SIZE %d", set.limit.message_size);
		break;
	case LMTP_MAIL:
		if (!s->lhlo)
			session_bad(s, "503 5.5.1 send LHLO first");
		else if (s->txn.mail)
			session_bad(s, "503 5.5.1 MAIL already given");
		else if (cmd.size > set.limit.message_size) {
			STAT_INC(STAT_REFUSED_MESSAGE_SIZE);
			respond(s, "552 5.3.4 message too big");
		} else if (cmd.size > txn_room(&s->txn)) {
			log_info("%s (%s): <%s> %lld octets: %lld of limit "
			    "lmtp-spool held, %lld left to %s", s->client,
			    s->peer->key, cmd.path, (long long)cmd.size,
			    txn_spooled(), txn_room(&s->txn),
			    s->peer->counted ? "peers other than root and "
			    "the MTA's user" : "root and the MTA's user");
			respond(s, "452 4.3.1 insufficient system storage, try "
			    "later");
		} else {
			(void)strlcpy(s->txn.sender, cmd.path,
			    sizeof(s->txn.sender));
			s->txn.declared = cmd.size > 0 ? cmd.size : 0;
			s->txn.mail = 1;
			respond(s, "250 2.1.0 ok");
		}
		break;
	case LMTP_RCPT:
		maxrcpt = set.limit.recipients < LMTP_MAXRCPT ?
		    (size_t)set.limit.recipients : LMTP_MAXRCPT;
		if (!s->txn.mail) {
			session_bad(s, "503 5.5.1 send MAIL first");
			break;
		}
		if (s->txn.nrcpt >= maxrcpt) {
			STAT_INC(STAT_REFUSED_RECIPIENTS);
			respond(s, "452 4.5.3 too many recipients");
			break;
		}
		(void)strlcpy(s->txn.asked, cmd.path, sizeof(s->txn.asked));
		if (rcpt_keys(&mr, cmd.path) == 0) {
			rcpt_refuse(s, RCPT_NONE, 0);
			break;
		}
		mr.id = s->id = ++next_id;
		s->state = L_RCPT;
		chan_send(&parent_chan, MSG_LMTP_RCPT, -1, &mr, sizeof(mr));
		break;
	case LMTP_DATA:
		if (!s->txn.mail)
			session_bad(s, "503 5.5.1 send MAIL first");
		/* Pipelined after refused RCPTs: not the client's fault. */
		else if (s->txn.nrcpt == 0)
			respond(s, "503 5.5.1 no valid recipients");
		else if (txn_spool(&s->txn) == -1)
			respond(s, "451 4.3.0 cannot spool the message, try "
			    "later");
		else {
			lmtp_data_init(&s->txn.dec);
			s->state = L_DATA;
			respond(s, "354 go ahead");
		}
		break;
	case LMTP_RSET:
		txn_reset(&s->txn);
		respond(s, "250 2.0.0 ok");
		break;
	case LMTP_NOOP:
		respond(s, "250 2.0.0 ok");
		break;
	case LMTP_VRFY:
		respond(s, "252 2.5.0 cannot verify, send the message");
		break;
	case LMTP_QUIT:
		respond(s, "221 2.0.0 bye");
		session_closing(s);
		break;
	default:
		session_bad(s, "500 5.5.1 unknown command");
		break;
	}
}

static int
session_command(struct session *s)
{
	char	 line[LMTP_MAXLINE];
	char	*lf;
	size_t	 n;

	if (s->inlen == 0)
		return 0;
	lf = memchr(s->in, '\n', s->inlen);
	if (s->skipping) {
		if (lf == NULL) {
			s->inlen = 0;
			return 0;
		}
		session_consume(s, lf - s->in + 1);
		session_progress(s);
		s->skipping = 0;
		session_bad(s, "500 5.5.2 line too long");
		return 1;
	}
	if (lf == NULL) {
		/* No room left for its CRLF: read it away, then answer. */
		if (s->inlen >= LMTP_MAXLINE) {
			s->inlen = 0;
			s->skipping = 1;
		}
		return 0;
	}
	n = lf - s->in + 1;
	session_progress(s);
	if (n > LMTP_MAXLINE || n < 2 || lf[-1] != '\r') {
		session_consume(s, n);
		session_bad(s, n > LMTP_MAXLINE ? "500 5.5.2 line too long" :
		    "500 5.5.2 line must end with CRLF");
		return 1;
	}
	memcpy(line, s->in, n - 2);
	session_consume(s, n);
	session_line(s, line, n - 2);
	/* RSET or a refused MAIL while draining: nothing more to wait for. */
	if (draining && s->state == L_CMD && !s->txn.mail)
		session_drained(s);
	return 1;
}

/*
 * Stop at a command that waits for the parent or a worker, at replies the
 * client must read, or at an incomplete line.
 */
static void
session_input(struct session *s)
{
	while (!s->broken && s->outlen < LMTP_OUTMAX) {
		if (s->state == L_DATA) {
			if (!session_data(s))
				break;
		} else if (s->state != L_CMD || !session_command(s))
			break;
	}
	session_settle(s);
}

static void
session_write(int fd, short ev, void *arg)
{
	struct session	*s = arg;

	session_flush(s);
	/* Replies were held back: read what waits behind them. */
	session_input(s);
}

static void
session_timeout(int fd, short ev, void *arg)
{
	struct session	*s = arg;

	s->tmo_on = 0;
	if (s->state == L_CLOSING) {
		log_debug("%s: last replies not taken, closed", s->client);
		lmtp_session_free(s);
		return;
	}
	log_info("%s: timeout after %d s%s", s->client, set.timeout.lmtp,
	    s->txn.mail ? ", transaction not finished: nothing delivered" : "");
	respond(s, "421 4.4.2 timeout, closing");
	session_closing(s);
	session_settle(s);
}

static void
session_read(int fd, short ev, void *arg)
{
	struct session	*s = arg;
	ssize_t		 n;

	n = recv(s->fd, s->in + s->inlen, sizeof(s->in) - s->inlen, 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n <= 0) {
		if (n == -1)
			log_debug("%s: read: %s", s->client, strerror(errno));
		if (s->state == L_DELIVER)
			log_info("%s: connection closed before the answer to "
			    "its message from <%s>: what is not delivered yet "
			    "is cancelled", s->client, s->txn.sender);
		else if (s->txn.mail)
			log_info("%s: connection closed during a transaction "
			    "from <%s>: nothing delivered", s->client,
			    s->txn.sender);
		else
			log_debug("%s: closed by the client", s->client);
		s->broken = 1;
		session_settle(s);
		return;
	}
	s->inlen += n;
	session_input(s);
}

static void
rcpt_checked(void *arg, uint32_t status, const struct quota_use *use,
    int over)
{
	struct msg_rcptok	*q = arg;
	struct session		*s;

	if ((s = session_find(q->id, L_RCPT)) == NULL) {
		rcpt_forget(&q->ref, 1);
		free(q);
		return;
	}
	if (status == DLV_OK)
		rcpt_accept(s, q);
	else if (status == DLV_QUOTA) {
		STAT_INC(use != NULL && !over ? STAT_REFUSED_QUOTA_SIZE :
		    STAT_REFUSED_QUOTA_RCPT);
		rcpt_refuse(s, use != NULL && !over ? RCPT_QUOTASIZE :
		    RCPT_QUOTA, q->ref);
	} else {
		log_warnx("the quota use of %s in %s could not be read",
		    q->user, q->maildir);
		rcpt_refuse(s, RCPT_QUOTATEMP, q->ref);
	}
	free(q);
	s->state = L_CMD;
	session_input(s);
}

/*
 * A recipient with a quota is checked by its worker unless it said lately
 * it had room (pool_room).  SIZE= counts CRLF, the maildir LF: only half
 * must fit at RCPT, so no message that would fit is refused; the worker
 * checks the real size after DATA.
 */
static void
lmtp_parent_rcpt(struct chan *c, const void *data, int fd)
{
	const struct msg_rcptok	*m = data;
	struct msg_rcptok	*q;	/* kept for the worker's answer */
	struct session		*s;
	struct pool_key		 key;
	uint64_t		 size;

	if ((s = session_find(m->id, L_RCPT)) == NULL) {
		log_debug("recipient %llu: no such request",
		    (unsigned long long)m->id);
		if (m->status == RCPT_OK)
			rcpt_forget(&m->ref, 1);
		return;
	}
	size = s->txn.declared / 2 + s->txn.declared % 2;
	txn_key(&key, m);
	if (m->status != RCPT_OK)
		rcpt_refuse(s, m->status, 0);
	else if ((m->bytes == 0 && m->msgs == 0) || pool_room(&key, size))
		rcpt_accept(s, m);
	else if ((q = calloc(1, sizeof(*q))) == NULL) {
		log_warn("%s: recipient", s->client);
		rcpt_refuse(s, RCPT_QUOTATEMP, m->ref);
	} else {
		*q = *m;
		pool_job(&key, m->ref, -1, size, rcpt_checked, q);
		return;
	}
	s->state = L_CMD;
	session_input(s);
}

/* Replies in RCPT order (RFC 2033 4.2), one log line each. */
static void
session_delivered(uint64_t id, const uint32_t *status, size_t n)
{
	const struct lmtp_rcpt	*r;
	struct session		*s;
	size_t			 i;

	for (i = 0; i < n; i++)
		STAT_INC(status[i] == DLV_OK ? STAT_LMTP_OK :
		    status[i] == DLV_QUOTA && !set.quota.temporary ?
		    STAT_LMTP_PERM : STAT_LMTP_TEMP);
	if ((s = session_find(id, L_DELIVER)) == NULL) {
		log_debug("delivery %llu: no such transaction",
		    (unsigned long long)id);
		return;
	}
	for (i = 0; i < s->txn.nrcpt; i++) {
		r = &s->txn.rcpts[i];
		switch (status[i]) {
		case DLV_OK:
			log_info("%s: <%s> -> <%s> (%s): delivered, %lld bytes",
			    s->client, s->txn.sender, r->addr, r->user,
			    s->txn.msgsize + s->txn.hdrlen);
			respond(s, "250 2.0.0 <%s> delivered", r->addr);
			break;
		case DLV_FULL:
			log_info("%s: <%s> -> <%s> (%s): temporary failure, "
			    "mailbox full or disk full", s->client,
			    s->txn.sender, r->addr, r->user);
			respond(s, "452 4.2.2 <%s> mailbox full or disk full",
			    r->addr);
			break;
		case DLV_QUOTA:
			log_info("%s: <%s> -> <%s> (%s): over quota, %lld "
			    "bytes", s->client, s->txn.sender, r->addr,
			    r->user, s->txn.msgsize + s->txn.hdrlen);
			respond(s, "%s <%s> mailbox full: the message would "
			    "exceed the quota", quota_code(), r->addr);
			break;
		default:
			log_info("%s: <%s> -> <%s> (%s): temporary failure",
			    s->client, s->txn.sender, r->addr, r->user);
			respond(s, "451 4.3.0 <%s> temporary failure, "
			    "try later", r->addr);
			break;
		}
	}
	txn_reset(&s->txn);
	s->state = L_CMD;
	if (draining)
		session_drained(s);
	session_input(s);
}

/*
 * A peer (a uid, or all loopback TCP) holds at most limit lmtp-peer
 * sessions; counted peers together leave that many to root and the MTA's
 * user.  NULL, or the refusing reply.
 */
static const char *
peer_room(const char *key)
{
	struct lmtp_peer	*p;
	unsigned int		 n, keep = 0;

	if (lmtp_accept_mta())
		keep = set.limit.lmtp_peer;
	n = (p = peer_find(key, 1)) != NULL ? p->nsessions : 0;
	if (n >= (unsigned int)set.limit.lmtp_peer) {
		log_rate(&rate_peer, "%s holds %u LMTP sessions (limit "
		    "lmtp-peer): refused one", key, n);
		return LMTP_PEERBUSY;
	}
	if (keep > 0 && ncounted + keep >= (unsigned int)
	    set.limit.lmtp_sessions) {
		log_rate(&rate_peer, "%u LMTP sessions of peers that are not "
		    "the MTA's user, %u places kept for it: refused one from "
		    "%s", ncounted, keep, key);
		return LMTP_BUSY;
	}
	return NULL;
}

static void
session_accept(void *arg, int fd, const struct sockaddr *sa, socklen_t len)
{
	const struct lmtp_listen	*l = arg;
	struct session			*s;
	struct peeraddr			 peer;
	char				 key[PEER_KEYLEN];
	const char			*busy;
	int				 counted;

	if (nsessions >= (unsigned int)set.limit.lmtp_sessions) {
		log_rate(&rate_busy, "%u LMTP sessions (limit "
		    "lmtp-sessions): refused one", nsessions);
		busy = LMTP_BUSY;
	} else if (peer_key(l, fd, sa, len, key, &counted) == -1)
		busy = LMTP_BUSY;
	else
		busy = counted ? peer_room(key) : NULL;
	if (busy != NULL) {
		STAT_INC(STAT_REFUSED_LMTP_SESSIONS);
		(void)send(fd, busy, strlen(busy), MSG_DONTWAIT |
		    MSG_NOSIGNAL);
		close(fd);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("session");
		close(fd);
		return;
	}
	if ((s->peer = peer_get(key, counted)) == NULL) {
		free(s);
		close(fd);
		return;
	}
	s->fd = fd;
	s->txn.client = s->client;
	s->txn.peer = s->peer;
	s->txn.spool = s->txn.spoolro = -1;
	ncounted += counted;
	if (l->local)
		(void)strlcpy(s->client, "local", sizeof(s->client));
	else if (peer_from_sockaddr(&peer, sa, len) == -1)
		(void)strlcpy(s->client, "unknown", sizeof(s->client));
	else
		(void)peer_str(&peer, s->client, sizeof(s->client));
	event_set(&s->rev, fd, EV_READ | EV_PERSIST, session_read, s);
	event_set(&s->wev, fd, EV_WRITE | EV_PERSIST, session_write, s);
	evtimer_set(&s->tmo, session_timeout, s);
	TAILQ_INSERT_TAIL(&sessions, s, entry);
	nsessions++;
	log_debug("%s: connected", s->client);
	respond(s, "220 %s popd LMTP ready", hostname);
	session_settle(s);
}

static void
lmtp_parent_listen(struct chan *c, const void *data, int fd)
{
	const struct msg_listen	*ml = data;

	if (fd == -1)
		fatalx("no descriptors for the listening sockets");
	if (!(ml->flags & LISTEN_LMTP) ||
	    (ml->flags & ~(LISTEN_LMTP | LISTEN_UNIX)))
		fatalx("%s from parent: flags %#x, not an LMTP socket",
		    msg_type_str(MSG_PARENT_LISTEN), ml->flags);
	lmtp_accept_add(fd, ml, session_accept, &nsessions);
}

/*
 * Reload or stop: close idle sessions (421) now, others once answered, so
 * the MTA sees the answer to every message handed over and sends none twice.
 */
static void
lmtp_parent_drain(struct chan *c, const void *data, int fd)
{
	struct session	*s, *next;

	draining = 1;
	lmtp_accept_close();
	setproctitle("lmtp (draining)");
	log_debug("draining, %u sessions left", nsessions);
	if (nsessions == 0)
		exit(0);
	TAILQ_FOREACH_SAFE(s, &sessions, entry, next)
		if (s->state == L_CMD && !s->txn.mail) {
			session_drained(s);
			session_settle(s);
		}
}

/* The MTA retries what it did not see acknowledged. */
static void
lmtp_parent_eof(struct chan *c)
{
	log_debug("parent closed the channel, exiting");
	exit(0);
}

/* The greeting names us; the sandbox has no uname(2). */
static void
lmtp_load(struct proc_setup *ps)
{
	if (gethostname(hostname, sizeof(hostname)) == -1 ||
	    hostname[0] == '\0')
		(void)strlcpy(hostname, "localhost", sizeof(hostname));
	hostname[sizeof(hostname) - 1] = '\0';
	log_debug("%s, %d sessions at most", hostname,
	    set.limit.lmtp_sessions);
}

/* Before the sandbox, so it need not allow creating the poller. */
static void
lmtp_open(void *arg)
{
	if (event_init() == NULL)
		fatalx("event_init failed");
	txn_init(&set, &parent_chan, session_delivered);
	pool_init(&set, &parent_chan);
}

static void
lmtp_sandbox(void *arg)
{
	sandbox_lmtp();
}

static const struct msg_handler from_parent[] = {
	{ MSG_PARENT_CONF,		proc_parent_conf },
	{ MSG_PARENT_CONF_END,		proc_parent_conf_end },
	{ MSG_PARENT_LISTEN,		lmtp_parent_listen },
	{ MSG_PARENT_DRAIN,		lmtp_parent_drain },
	{ MSG_PARENT_RCPT,		lmtp_parent_rcpt },
	{ MSG_PARENT_DLVRPOP,		lmtp_parent_dlvrpop },
	{ MSG_PARENT_NODLVRPOP,		lmtp_parent_nodlvrpop },
	{ MSG_PARENT_SPOOLPAGE,		txn_parent_spoolpage },
	{ MSG_PARENT_STATS,		proc_parent_stats },
	{ MSG_PARENT_VERBOSE,		proc_parent_verbose },
};

static const struct proc_role lmtp_role = {
	.setup = {
		.role = "lmtp",
		.title = "lmtp",
		.user = POPD_USER,
		.chroot = 1,
		.nofile = 1,		/* a socket and a spool per session,
					   a channel per worker */
		.nohup = 1,
		.open = lmtp_open,
		.sandbox = lmtp_sandbox,
	},
	.self = PROC_LMTP,
	.chan = &parent_chan,
	.handlers = from_parent,
	.nhandlers = nitems(from_parent),
	.settings = &set,
	.eof = lmtp_parent_eof,
	.load = lmtp_load,
};

int
main(int argc, char *argv[])
{
	proc_run(&lmtp_role, argc, argv);
}
