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
 * peers.c -- the messages between two children.  The parent passes these
 * channels and never reads one: it and wrkrpop are built without this file.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <string.h>

#include "protodecl.h"

/* keypop decides what it signs (sigcheck.c); this is the shape. */
static const char *
valid_sign(const void *p)
{
	const struct msg_sign	*m = p;

	switch (m->kind) {
	case SIGN_RSA_PKCS1:
	case SIGN_ECDSA:
		if (m->len == 0 || m->len > 128)
			return "length";
		break;
	case SIGN_RSA_RAW:
		/* RSA 1024 to 8192 bits; keypop checks its key's size. */
		if (m->len < 128 || m->len > sizeof(m->in))
			return "RSA length";
		break;
	default:
		return "kind";
	}
	return NULL;
}

static const char *
valid_signed(const void *p)
{
	const struct msg_signed	*m = p;

	return m->len > sizeof(m->sig) ? "length" : NULL;
}

static const char *
valid_cred(const void *p)
{
	const struct msg_cred	*m = p;

	if (m->status < CRED_FOUND || m->status > CRED_TEMP)
		return "status";
	if (!TERMINATED(m->hash))
		return "unterminated string";
	if ((m->status == CRED_FOUND) != (m->hash[0] != '\0'))
		return "hash";
	return NULL;
}

static const char *
valid_apps(const void *p)
{
	const struct msg_apps	*m = p;

	if (m->status < CRED_FOUND || m->status > CRED_TEMP)
		return "status";
	if (!TERMINATED(m->recs))
		return "unterminated string";
	if ((m->status == CRED_FOUND) != (m->recs[0] != '\0'))
		return "records";
	return NULL;
}

static const char *
valid_appused(const void *p)
{
	const struct msg_appused	*m = p;
	static const struct appuse	 zero;
	const struct appuse		*u;
	uint32_t			 i;

	if (m->n == 0 || m->n > APPUSED_MAX || m->pad != 0)
		return "count";
	for (i = 0; i < APPUSED_MAX; i++) {
		u = &m->use[i];
		if (i >= m->n) {
			if (memcmp(u, &zero, sizeof(zero)) != 0)
				return "a use past n";
			continue;
		}
		if (!TERMINATED(u->user) || !valid_username(u->user))
			return "user name";
		if (!valid_label(u->label, sizeof(u->label)))
			return "label";
		if (!peer_valid(&u->peer))
			return "address";
	}
	return NULL;
}

static const char *
valid_appskept(const void *p)
{
	const struct msg_appskept	*m = p;
	static const struct appkept	 zero;
	uint32_t			 i;

	if (m->n > APPSKEPT_RECS || m->pad != 0)
		return "count";
	for (i = 0; i < APPSKEPT_RECS; i++) {
		if (i >= m->n) {
			if (memcmp(&m->rec[i], &zero, sizeof(zero)) != 0)
				return "a record past n";
			continue;
		}
		if (!TERMINATED(m->rec[i].user) ||
		    !valid_username(m->rec[i].user))
			return "user name";
		if (!valid_label(m->rec[i].label, sizeof(m->rec[i].label)))
			return "label";
	}
	return NULL;
}

static const char *
valid_route(const void *p)
{
	const struct msg_route	*m = p;
	unsigned char		 a[16];

	if (m->status < ROUTE_FOUND || m->status > ROUTE_TEMP)
		return "status";
	if (!TERMINATED(m->addr))
		return "unterminated string";
	if (m->status != ROUTE_FOUND ? m->addr[0] != '\0' :
	    inet_pton(AF_INET, m->addr, a) != 1 &&
	    inet_pton(AF_INET6, m->addr, a) != 1)
		return "address";
	return NULL;
}

static int
valid_text(const char *f, size_t size)
{
	const char	*end;

	if ((end = memchr(f, '\0', size)) == NULL)
		return 0;
	for (; f < end; f++)
		if ((unsigned char)*f < 0x20 || *f == 0x7f)
			return 0;
	return 1;
}

/* authpop checks its password: every field as from a compromised httppop. */
static const char *
valid_httpreq(const void *p)
{
	const struct msg_httpreq	*m = p;

	if (m->method < 0 || m->method > HM_OTHER)
		return "method";
	if (m->protocol < 0 || m->protocol > HP_SMTP)
		return "protocol";
	if (m->attempt < 1 || m->attempt > 9999)
		return "attempt";
	if (m->badchars > 1 || m->usertoolong > 1 || m->passtoolong > 1)
		return "flags";
	/* A name has no control byte; a password any but CR and LF. */
	if (!valid_text(m->user, sizeof(m->user)))
		return "user name";
	if (!TERMINATED(m->pass) || strpbrk(m->pass, "\r\n") != NULL)
		return "password";
	if ((m->badchars || m->usertoolong) && m->user[0] != '\0')
		return "user name";
	if ((m->badchars || m->passtoolong) && m->pass[0] != '\0')
		return "password";
	/* httppop refuses a request without one (Client-IP is required). */
	if (!peer_valid(&m->client) || m->client.af == 0 ||
	    m->client.port != 0)
		return "Client-IP";
	return NULL;
}

static const char *
valid_ticketreq(const void *p)
{
	const struct msg_route	*m = p;

	if (m->status != ROUTE_FOUND)
		return "status";
	return valid_route(p);
}

/* As from a compromised authpop: a ticket goes into a header to nginx. */
static const char *
valid_verdict(const void *p)
{
	const struct msg_verdict	*m = p;
	size_t				 i;

	if (m->verdict > HV_METHOD)
		return "verdict";
	if ((m->verdict == HV_OKTICKET) != (m->sid != 0))
		return "session";
	if (m->verdict == HV_FAIL ? m->wait < 1 || m->wait > HTTP_WAITMAX :
	    m->wait != 0)
		return "wait";
	if (!TERMINATED(m->ticket))
		return "unterminated ticket";
	for (i = 0; m->ticket[i] != '\0'; i++)
		if (!isalnum((unsigned char)m->ticket[i]) &&
		    m->ticket[i] != '.')
			return "ticket";
	if (m->verdict != HV_TICKET && i > 0)
		return "ticket";
	return NULL;
}

static const char *
valid_handshakes(const void *p)
{
	const struct msg_handshakes	*m = p;
	uint32_t			 i;

	if (m->n > HS_RECS || m->more > 1)
		return "record count";
	for (i = 0; i < m->n; i++) {
		if (m->rec[i].peer.af == 0 || !peer_valid(&m->rec[i].peer))
			return "client address";
		if (!peer_valid(&m->rec[i].listen))
			return "socket address";
		if (m->rec[i].since < 0)
			return "time";
		if (m->rec[i].greeted > 1)
			return "state";
	}
	return NULL;
}

static const char *
valid_msgnet(const void *p)
{
	const struct msg_net	*m = p;

	return valid_net(&m->net) ? NULL : "network";
}

static const char *
valid_penrows(const struct penalty_row *r, uint32_t n)
{
	uint32_t	i;

	if (n > PENALTY_ROWS)
		return "record count";
	for (i = 0; i < n; i++, r++) {
		if (r->key.af != AF_INET && r->key.af != AF_INET6)
			return "address family";
		if (!TERMINATED(r->user))
			return "unterminated string";
		if (r->user[0] != '\0' && !valid_username(r->user))
			return "user name";
		if (r->fails > 32)
			return "failures";
		if (!valid_time(r->delay))
			return "time";
	}
	return NULL;
}

static const char *
valid_penalties(const void *p)
{
	const struct msg_penalties	*m = p;

	if (m->v4bits > 32 || m->v6bits > 128)
		return "prefix";
	return m->more > 1 ? "record count" : valid_penrows(m->rec, m->n);
}

static const char *
valid_ctlappsq(const void *p)
{
	const struct msg_ctlappsq	*m = p;

	return TERMINATED(m->user) && valid_username(m->user) ? NULL :
	    "user name";
}

static const char *
valid_ctlapps(const void *p)
{
	const struct msg_ctlapps	*m = p;
	const struct ctl_app		*r;
	static const struct ctl_app	 zero;
	uint32_t			 i;
	size_t				 k;

	if (!OPTUSER(m->user))
		return "user name";
	if (m->status < CRED_FOUND || m->status > CRED_TEMP ||
	    m->n > CTL_APPSMAX || (m->status != CRED_FOUND && m->n != 0))
		return "status";
	for (i = 0; i < CTL_APPSMAX; i++) {
		r = &m->rec[i];
		if (i >= m->n) {
			if (memcmp(r, &zero, sizeof(zero)) != 0)
				return "a record past n";
			continue;
		}
		if (!TERMINATED(r->desc) || !TERMINATED(r->addr) ||
		    !valid_label(r->label, sizeof(r->label)))
			return "record";
		/* popctl prints them on a line of their own. */
		for (k = 0; r->desc[k] != '\0'; k++)
			if (r->desc[k] < 0x20 || r->desc[k] > 0x7e)
				return "a description that is not text";
		if (r->addr[strspn(r->addr, "0123456789abcdefABCDEF.:")] !=
		    '\0')
			return "an address that is not one";
		if (r->last < 0 || (r->last == 0 && r->addr[0] != '\0'))
			return "last use";
		if (strcmp(r->label, "main") == 0 && (r->desc[0] != '\0' ||
		    r->last != 0))
			return "the bar with a description";
	}
	return NULL;
}

static const struct msg_decl peers[] = {
	/*
	 * A request, then its answer (PH_SIGN: keypop ends a listener that
	 * tries).
	 */
	D(MSG_LISTENER_SIGN, L, Y, sizeof(struct msg_sign), MSG_NOFD,
	    valid_sign, RUN, PH_SIGN),
	D(MSG_KEY_SIGNED, Y, L, sizeof(struct msg_signed), MSG_NOFD,
	    valid_signed, PH_SIGN, PH_RUN),
	/* Draining ends answer and take the requests on their way. */
	D(MSG_HTTP_VERIFY, H, A, sizeof(struct msg_httpreq), MSG_NOFD,
	    valid_httpreq, ANY, 0),
	D(MSG_HTTP_TICKET, H, A, sizeof(struct msg_route), MSG_NOFD,
	    valid_ticketreq, ANY, 0),
	D(MSG_AUTHPOP_VERDICT, A, H, sizeof(struct msg_verdict), MSG_NOFD,
	    valid_verdict, ANY, 0),
	/*
	 * popctl's questions only; they may reach a draining listener or
	 * authpop.
	 */
	D(MSG_CONTROL_HANDSHAKES, C, L, sizeof(struct msg_ctlq), MSG_NOFD,
	    valid_none, ANY, 0),
	D(MSG_CONTROL_KICKNET, C, L, sizeof(struct msg_net), MSG_NOFD,
	    valid_msgnet, ANY, 0),
	D(MSG_CONTROL_PENALTIES, C, A, sizeof(struct msg_ctlq), MSG_NOFD,
	    valid_none, ANY, 0),
	D(MSG_CONTROL_UNPENALIZE, C, A, sizeof(struct msg_net), MSG_NOFD,
	    valid_msgnet, ANY, 0),
	D(MSG_CONTROL_APPS, C, A, sizeof(struct msg_ctlappsq), MSG_NOFD,
	    valid_ctlappsq, ANY, 0),
	D(MSG_CONTROL_APPSKEPT, C, A, sizeof(struct msg_appskept), MSG_NOFD,
	    valid_appskept, ANY, 0),
	D(MSG_LISTENER_HANDSHAKES, L, C, sizeof(struct msg_handshakes),
	    MSG_NOFD, valid_handshakes, ANY, 0),
	D(MSG_LISTENER_KICKED, L, C, sizeof(struct msg_count), MSG_NOFD,
	    valid_count, ANY, 0),
	D(MSG_AUTHPOP_PENALTIES, A, C, sizeof(struct msg_penalties),
	    MSG_NOFD, valid_penalties, ANY, 0),
	D(MSG_AUTHPOP_UNPENALIZED, A, C, sizeof(struct msg_count), MSG_NOFD,
	    valid_count, ANY, 0),
	/* A draining authpop still reports the logins it checks. */
	D(MSG_AUTHPOP_APPUSED, A, C, sizeof(struct msg_appused), MSG_NOFD,
	    valid_appused, ANY, 0),
	D(MSG_AUTHPOP_CTLAPPS, A, C, sizeof(struct msg_ctlapps), MSG_NOFD,
	    valid_ctlapps, ANY, 0),
	D(MSG_AUTHPOP_APPSGONE, A, C, sizeof(struct msg_appskept), MSG_NOFD,
	    valid_appskept, ANY, 0),
	/* Draining ends still answer what they were asked. */
	D(MSG_HTTP_ROUTE, H, R, sizeof(struct msg_login), MSG_NOFD,
	    valid_login, ANY, 0),
	D(MSG_ROUTE_ANSWER, R, H, sizeof(struct msg_route), MSG_NOFD,
	    valid_route, ANY, 0),
	D(MSG_AUTHPOP_APPS, A, T, sizeof(struct msg_login), MSG_NOFD,
	    valid_login, ANY, 0),
	D(MSG_AUTHPOP_LOOKUP, A, T, sizeof(struct msg_login), MSG_NOFD,
	    valid_login, ANY, 0),
	D(MSG_TABLE_APPS, T, A, sizeof(struct msg_apps), MSG_NOFD,
	    valid_apps, ANY, 0),
	/* A draining authpop still checks the passwords it was given. */
	D(MSG_TABLE_CRED, T, A, sizeof(struct msg_cred), MSG_NOFD,
	    valid_cred, ANY, 0),
};

/* The messages of no program before login: see HAS_REST. */
#ifdef HAS_REST
/* No path, no dot file. */
static int
valid_name(const char *n, size_t size)
{
	if (memchr(n, '\0', size) == NULL || n[0] == '\0' || n[0] == '.')
		return 0;
	return strchr(n, '/') == NULL;
}

static const char *
valid_intent(const void *p)
{
	const struct msg_intent	*m = p;

	if (!valid_name(m->tmp, sizeof(m->tmp)) ||
	    !valid_name(m->new, sizeof(m->new)))
		return "file name";
	return NULL;
}

static const char *
valid_done(const void *p)
{
	const struct msg_done	*m = p;

	if (m->status < DLV_OK || m->status > DLV_MAX)
		return "status";
	if (m->counted > 1 || m->over > m->counted)
		return "counted";
	if (m->bytes < 0 || m->msgs < 0 ||
	    (!m->counted && (m->bytes != 0 || m->msgs != 0)))
		return "use";
	return NULL;
}

static const char *
valid_hostnet(const void *p)
{
	const struct msg_net	*m = p;

	return valid_net(&m->net) && m->net.bits == (m->net.af == AF_INET ?
	    32 : 128) ? NULL : "backend";
}

static int
valid_ip(const char *s, size_t size)
{
	unsigned char	a[16];

	return memchr(s, '\0', size) != NULL && (inet_pton(AF_INET, s,
	    a) == 1 || inet_pton(AF_INET6, s, a) == 1);
}

static const char *
valid_ctlbackend(const void *p)
{
	const struct msg_ctlbackend	*m = p;
	const char			 zero[INET6_ADDRSTRLEN] = { 0 };

	/* None: the answer's end, with nothing else in it. */
	if (memcmp(m->addr, zero, sizeof(zero)) == 0)
		return m->health == 0 && m->drained == 0 &&
		    m->sessions == 0 && m->more == 0 && m->age == 0 &&
		    m->users == 0 ? NULL : "record";
	if (!valid_ip(m->addr, sizeof(m->addr)))
		return "address";
	if (m->health > HEALTH_DEGRADED || m->drained > 1 || m->more > 1 ||
	    m->age < -1)
		return "state";
	return NULL;
}

/* As from a compromised tablepop: text, and only with ROUTE_FOUND. */
static const char *
valid_routeval(const void *p)
{
	const struct msg_routeval	*m = p;

	if (m->status < ROUTE_FOUND || m->status > ROUTE_TEMP)
		return "status";
	if (!valid_text(m->value, sizeof(m->value)) ||
	    (m->status == ROUTE_FOUND) != (m->value[0] != '\0'))
		return "value";
	return NULL;
}

static const struct msg_decl peers_rest[] = {
	/* A dlvrpop's starts in PH_RUN, after its configuration. */
	D(MSG_LMTP_JOB, M, V, sizeof(struct msg_job), MSG_FD, valid_none,
	    RUN, 0),
	D(MSG_LMTP_QUOTA, M, V, sizeof(struct msg_quota), MSG_NOFD,
	    valid_none, RUN, 0),
	D(MSG_LMTP_DLVCHECK, M, V, sizeof(struct msg_intent), MSG_NOFD,
	    valid_intent, RUN, 0),
	D(MSG_DLVRPOP_INTENT, V, M, sizeof(struct msg_intent), MSG_NOFD,
	    valid_intent, RUN, 0),
	D(MSG_DLVRPOP_DONE, V, M, sizeof(struct msg_done), MSG_NOFD,
	    valid_done, RUN, 0),
	/* A draining tablepop or routepop answers what it was asked. */
	D(MSG_ROUTE_LOOKUP, R, T, sizeof(struct msg_login), MSG_NOFD,
	    valid_login, ANY, 0),
	D(MSG_TABLE_ROUTEVAL, T, R, sizeof(struct msg_routeval), MSG_NOFD,
	    valid_routeval, ANY, 0),
	D(MSG_CONTROL_BACKENDS, C, R, sizeof(struct msg_ctlq), MSG_NOFD,
	    valid_none, ANY, 0),
	D(MSG_CONTROL_DRAIN, C, R, sizeof(struct msg_net), MSG_NOFD,
	    valid_hostnet, ANY, 0),
	D(MSG_CONTROL_UNDRAIN, C, R, sizeof(struct msg_net), MSG_NOFD,
	    valid_hostnet, ANY, 0),
	D(MSG_ROUTE_BACKENDS, R, C, sizeof(struct msg_ctlbackend), MSG_NOFD,
	    valid_ctlbackend, ANY, 0),
};
#endif

void
peers_decls(void)
{
	msg_index(peers, nitems(peers));
#ifdef HAS_REST
	msg_index(peers_rest, nitems(peers_rest));
#endif
}
