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
 * proto.c -- every message between popd processes, declared once: its
 * sender, receivers, payload, descriptor, field checks and phases
 * (struct msg_decl in proto.h).  The transport (msg.c) enforces all of
 * it on both ends; handlers receive checked payloads.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <string.h>

#include "proto.h"

/* A string field must end inside its fixed-size buffer. */
#define TERMINATED(f)	(memchr((f), '\0', sizeof(f)) != NULL)
/* A user name, or none (""). */
#define OPTUSER(f)	(TERMINATED(f) && ((f)[0] == '\0' || \
			    valid_username(f)))

static int	valid_word(const char *);
static int	valid_ip(const char *, size_t);

static const char *
valid_none(const void *p)
{
	return NULL;
}

static const char *
valid_conf(const void *p)
{
	return settings_check(p);
}

static const char *
valid_pki(const void *p)
{
	const struct msg_pki	*m = p;

	if (m->certlen == 0 || m->certlen > PKI_MAXFILE)
		return "file size";
	return NULL;
}

static const char *
valid_keymsg(const void *p)
{
	const struct msg_key	*m = p;

	if (m->len == 0 || m->len > sizeof(m->pem))
		return "length";
	return NULL;
}

/*
 * A request for a signature of one of the declared kinds and sizes
 * (proto.h); anything else is garbage from a listener.
 */
static const char *
valid_sign(const void *p)
{
	/* DigestInfo's DER before a SHA-256 digest; -384, -512 differ. */
	static const uint8_t	 di[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09,
	    0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
	    0x04, 0x20 };
	const struct msg_sign	*m = p;
	size_t			 h;

	switch (m->kind) {
	case SIGN_RSA_PKCS1:
		h = m->len == 51 ? 0 : m->len == 67 ? 1 : m->len == 83 ? 2 : 3;
		if (h == 3)
			return "DigestInfo length";
		if (m->in[0] != di[0] || m->in[1] != di[1] + h * 0x10 ||
		    memcmp(m->in + 2, di + 2, 12) != 0 ||
		    m->in[14] != di[14] + h || memcmp(m->in + 15, di + 15,
		    3) != 0 || m->in[18] != di[18] + h * 0x10)
			return "DigestInfo";
		break;
	case SIGN_RSA_RAW:
		/* RSA 1024 to 8192 bits; keypop checks its key's size. */
		if (m->len < 128 || m->len > sizeof(m->in))
			return "RSA length";
		break;
	case SIGN_ECDSA:
		if (m->len != 20 && m->len != 28 && m->len != 32 &&
		    m->len != 48 && m->len != 64)
			return "digest length";
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

	if (m->len > sizeof(m->sig))
		return "length";
	return NULL;
}

static const char *
valid_proxy(const void *p)
{
	const struct msg_proxy	*m = p;

	if (m->net.af != AF_INET && m->net.af != AF_INET6)
		return "address family";
	if (m->net.bits < 0 || m->net.bits > (m->net.af == AF_INET ? 32 : 128))
		return "prefix length";
	if (m->trusted > 1)
		return "trusted flag";
	return NULL;
}

/* An app password's label, as apppass.c reads them: NUL-terminated. */
static int
valid_label(const char *label, size_t size)
{
	size_t	n;

	if (memchr(label, '\0', size) == NULL)
		return 0;
	n = strspn(label, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
	return n > 0 && label[n] == '\0';
}

static const char *
valid_worker(const void *p)
{
	const struct msg_worker	*m = p;

	if (!TERMINATED(m->user) || !TERMINATED(m->maildir) ||
	    !TERMINATED(m->tls) || !TERMINATED(m->cred) ||
	    !TERMINATED(m->find))
		return "unterminated string";
	if (!valid_username(m->user))
		return "user name";
	if (m->maildir[0] != '/')
		return "maildir path not absolute";
	if (!peer_valid(&m->peer))
		return "client address";
	if (m->flags & ~WORKER_ALL)
		return "flags";
	/* A delivery worker has no client. */
	if ((m->flags & WORKER_DELIVER) && m->peer.af != 0)
		return "client address";
	if (m->cred[0] != '\0' && strcmp(m->cred, "password") != 0 &&
	    strcmp(m->cred, "ticket") != 0 && (strncmp(m->cred, "app:", 4) !=
	    0 || !valid_label(m->cred + 4, sizeof(m->cred) - 4)))
		return "credential";
	if (!settings_junk_ok(&m->junk) || (m->junk.folder[0] != '\0' &&
	    m->flags != 0))
		return "junk";
	if (m->find[0] != '\0' && (!(m->flags & (WORKER_JOURNAL |
	    WORKER_UNDELETE)) || !valid_word(m->find)))
		return "what to find";
	if (m->pad != 0 || (m->since != 0 && (!(m->flags & WORKER_UNDELETE) ||
	    m->find[0] != '\0')))
		return "since";
	if (m->qbytes > INT64_MAX || m->qmsgs > INT64_MAX ||
	    ((m->qbytes != 0 || m->qmsgs != 0) &&
	    !(m->flags & (WORKER_DELIVER | WORKER_KEPT))))
		return "limit";
	return NULL;
}

/* Printable ASCII without a blank: one word of a log line. */
static int
valid_word(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

static const char *
valid_listen(const void *p)
{
	const struct msg_listen	*m = p;

	if (m->flags & ~LISTEN_ALL)
		return "flags";
	if (m->pki >= POPD_MAXPKI)
		return "pki index";
	if (m->sock >= POPD_MAXLISTEN)
		return "socket index";
	if (m->uid != LISTEN_ANYUID && !(m->flags & LISTEN_UNIX))
		return "a user for an address";
	return NULL;
}

static const char *
valid_newsession(const void *p)
{
	const struct msg_newsession	*m = p;

	if (m->flags & ~SESSION_ALL)
		return "flags";
	/* Implicit TLS or a plaintext port offering STLS: one of them. */
	if (((m->flags & SESSION_TLS) == 0) == ((m->flags & SESSION_STLS) == 0))
		return "flags";
	if (!TERMINATED(m->tls))
		return "unterminated string";
	if (!peer_valid(&m->peer))
		return "client address";
	if (!peer_valid(&m->local) || m->local.af == 0)
		return "local address";
	if (m->listen >= POPD_MAXLISTEN)
		return "socket index";
	if (m->since < 0)
		return "time";
	if (m->waited > 86400)	/* timeout login's largest */
		return "wait";
	return NULL;
}

static const char *
valid_session(const void *p)
{
	const struct msg_session	*m = p;

	if (m->flags & ~(SESSION_ALL & ~SESSION_PROXYTRUST))
		return "flags";
	if (m->waited > 86400)
		return "wait";
	if (!peer_valid(&m->peer))
		return "client address";
	if (!peer_valid(&m->local))
		return "local address";
	if (!OPTUSER(m->user))
		return "user name";
	return NULL;
}

static const char *
valid_handback(const void *p)
{
	const struct msg_handback	*m = p;

	if (m->waited > 86400 || m->pad != 0)
		return "wait";
	if (!OPTUSER(m->user))
		return "user name";
	return NULL;
}

static const char *
valid_login(const void *p)
{
	const struct msg_login	*m = p;

	if (!TERMINATED(m->user) || !valid_username(m->user))
		return "user name";
	if (m->expiry < 0 || (m->expiry == 0 && m->nonce != 0))
		return "ticket";
	if (m->app[0] != '\0' && !valid_label(m->app, sizeof(m->app)))
		return "label";
	return NULL;
}

static const char *
valid_refused(const void *p)
{
	const struct msg_refused	*m = p;

	if (m->code < REFUSED_TEMP || m->code > REFUSED_TICKET)
		return "refusal code";
	if (!peer_valid(&m->peer))
		return "address";
	return NULL;
}

static const char *
valid_newtab(const void *p)
{
	const struct msg_newtab	*m = p;

	/*
	 * table.h's: TABLE_AUTH 1, TABLE_PASSWD 0x20, TABLE_WEAK 0x40,
	 * TABLE_SKIP 0x100.
	 */
	if (m->kind != 0 && (m->kind & ~(0x20 | 0x40 | 0x100)) != 1)
		return "table kind";
	if (m->pad != 0)
		return "padding";
	return NULL;
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

/* A file name of a maildir's tmp/ or new/: no path, no dot file. */
static int
valid_name(const char *n, size_t size)
{
	if (memchr(n, '\0', size) == NULL || n[0] == '\0' || n[0] == '.')
		return 0;
	return strchr(n, '/') == NULL;
}

static const char *
valid_rcpt(const void *p)
{
	const struct msg_rcpt	*m = p;
	uint32_t		 i, j;

	if (m->nkeys < 1 || m->nkeys > LMTP_MAXKEYS || m->pad != 0)
		return "keys";
	for (i = 0; i < LMTP_MAXKEYS; i++) {
		if (!TERMINATED(m->key[i]) || (i < m->nkeys ?
		    !valid_username(m->key[i]) : m->key[i][0] != '\0'))
			return "key";
		for (j = 0; j < i && i < m->nkeys; j++)
			if (strcmp(m->key[i], m->key[j]) == 0)
				return "key twice";
	}
	return NULL;
}

static const char *
valid_rcptok(const void *p)
{
	const struct msg_rcptok	*m = p;

	if (m->status != RCPT_OK && m->status != RCPT_NONE &&
	    m->status != RCPT_TEMP && m->status != RCPT_QUOTATEMP)
		return "status";
	if ((m->status == RCPT_OK) != (m->ref != 0))
		return "ref";
	if (!TERMINATED(m->user) || !TERMINATED(m->maildir))
		return "unterminated string";
	if (m->status == RCPT_OK ? !valid_username(m->user) :
	    m->user[0] != '\0')
		return "user name";
	if (m->status == RCPT_OK ? m->maildir[0] != '/' :
	    m->maildir[0] != '\0' || m->uid != 0 || m->gid != 0)
		return "maildir";
	if (m->pad != 0 || m->bytes > INT64_MAX || m->msgs > INT64_MAX ||
	    (m->status != RCPT_OK && (m->bytes != 0 || m->msgs != 0)))
		return "limit";
	return NULL;
}

static const char *
valid_deliver(const void *p)
{
	const struct msg_deliver	*m = p;
	uint32_t			 i;

	if (m->nrcpt < 1 || m->nrcpt > LMTP_MAXRCPT)
		return "recipients";
	for (i = 0; i < LMTP_MAXRCPT; i++)
		if (i < m->nrcpt ? m->ref[i] == 0 : m->ref[i] != 0)
			return "ref";
	return NULL;
}

static const char *
valid_dlvrpop(const void *p)
{
	const struct msg_dlvrpop	*m = p;

	if (m->pad != 0 || m->pid < 0)
		return "pid";
	return NULL;
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
	return NULL;
}

static int
valid_time(double t)
{
	return t >= 0 && t < 1e12;	/* and not NaN */
}

static const char *
valid_penalty(const void *p)
{
	const struct msg_penalty	*m = p;
	const struct penalty_rec	*r;
	uint32_t			 i;

	if (m->n == 0 || m->n > PENALTY_RECS)
		return "record count";
	for (i = 0; i < m->n; i++) {
		r = &m->rec[i];
		if (r->key.af != 0 && r->key.af != AF_INET &&
		    r->key.af != AF_INET6)
			return "address family";
		if (!TERMINATED(r->user))
			return "unterminated string";
		if (r->fails > 32)
			return "failures";
		if (!valid_time(r->lastfail) || !valid_time(r->next) ||
		    !valid_time(r->familiar))
			return "time";
	}
	return NULL;
}

static const char *
valid_count(const void *p)
{
	const struct msg_count	*m = p;

	return m->pad != 0 ? "padding" : NULL;
}

static const char *
valid_ctlpeer(const void *p)
{
	const struct msg_ctlpeer	*m = p;

	if (m->proc != PROC_LISTENER && m->proc != PROC_AUTHPOP &&
	    m->proc != PROC_TABLE)
		return "process";
	return m->pid > 0 ? NULL : "pid";
}

static const char *
valid_tablepeer(const void *p)
{
	const struct msg_ctlpeer	*m = p;

	if (m->proc != PROC_AUTHPOP && m->proc != PROC_CHECK)
		return "process";
	return m->pid > 0 ? NULL : "pid";
}

static const char *
valid_full(const void *p)
{
	const struct msg_count	*m = p;

	if (m->pad != 0 || m->req != 0)
		return "padding";
	return m->n > 1 ? "not 0 or 1" : NULL;
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

/* A usertab key as popctl names it: 1..POPD_MAXUSER of 0x21..0x7e. */
static int
valid_key(const char *s, size_t size)
{
	size_t	i;

	if (memchr(s, '\0', size) == NULL || s[0] == '\0' ||
	    strlen(s) > POPD_MAXUSER)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* A network of ADDRESS[/PREFIX], host bits cleared (common/control_cmd.c). */
static int
valid_net(const struct netaddr *n)
{
	int	i, max;

	if (n->af != AF_INET && n->af != AF_INET6)
		return 0;
	max = n->af == AF_INET ? 32 : 128;
	if (n->bits < 0 || n->bits > max)
		return 0;
	for (i = 0; i < 16; i++) {
		if (i * 8 >= max || i * 8 >= n->bits) {
			if (n->addr[i] != 0)
				return 0;
		} else if (i * 8 + 8 > n->bits &&
		    (n->addr[i] & (0xff >> (n->bits - i * 8))) != 0)
			return 0;
	}
	return 1;
}

static const char *
valid_msgnet(const void *p)
{
	const struct msg_net	*m = p;

	return valid_net(&m->net) ? NULL : "network";
}

/* MSG_CONTROL_DRAIN, _UNDRAIN: a backend is one host. */
static const char *
valid_hostnet(const void *p)
{
	const struct msg_net	*m = p;

	return valid_net(&m->net) && m->net.bits == (m->net.af == AF_INET ?
	    32 : 128) ? NULL : "backend";
}

static const char *
valid_ctlreq(const void *p)
{
	const struct msg_ctlreq	*m = p;
	const struct netaddr	 none = { 0 };
	int			 net;

	if (m->cmd < 1 || m->cmd > CTL_MAX || m->pad != 0)
		return "command";
	if (m->cmd == CTL_KICK_USER || m->cmd == CTL_SHOW_QUOTA ||
	    m->cmd == CTL_SHOW_APPS || m->cmd == CTL_SHOW_USER ||
	    m->cmd == CTL_UNDELETE ?
	    !valid_key(m->user, sizeof(m->user)) :
	    memchr(m->user, '\0', sizeof(m->user)) == NULL ||
	    m->user[0] != '\0')
		return "user name";
	net = m->cmd == CTL_KICK_ADDRESS || m->cmd == CTL_UNPENALIZE;
	/* drain's backend is a host, or none. */
	if ((m->cmd == CTL_DRAIN || m->cmd == CTL_UNDRAIN) &&
	    m->net.af != 0)
		net = m->net.bits == (m->net.af == AF_INET ? 32 : 128);
	if (net ? !valid_net(&m->net) : memcmp(&m->net, &none,
	    sizeof(none)) != 0)
		return "network";
	if (!TERMINATED(m->find) || (m->find[0] != '\0' &&
	    ((m->cmd != CTL_SHOW_USER && m->cmd != CTL_UNDELETE) ||
	    !valid_word(m->find))))
		return "what to find";
	if (m->since != 0 && (m->cmd != CTL_UNDELETE || m->find[0] != '\0'))
		return "since";
	return NULL;
}

/* Rows of show penalties, from authpop to the control process. */
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
valid_ctlstats(const void *p)
{
	const struct msg_ctlstats	*m = p;
	uint32_t			 i;

	if (m->ncerts > POPD_MAXPKI || m->nkinds > STATS_KINDS)
		return "record count";
	for (i = 0; i < m->ncerts; i++)
		if (!TERMINATED(m->cert[i].name))
			return "unterminated string";
	for (i = 0; i < m->nkinds; i++)
		if (!TERMINATED(m->kind[i].name) || m->kind[i].weak > 1)
			return "kind";
	return NULL;
}

static const char *
valid_ctlsessions(const void *p)
{
	const struct msg_ctlsessions	*m = p;
	const struct ctl_session	*r;
	uint32_t			 i;

	if (m->n > CTL_SESSROWS || m->pad != 0)
		return "record count";
	for (i = 0; i < m->n; i++) {
		r = &m->rec[i];
		if (!TERMINATED(r->user) || !TERMINATED(r->listener))
			return "unterminated string";
		if (!peer_valid(&r->peer) || r->state > CTLS_UPDATE ||
		    r->counted > 1)
			return "session";
	}
	return NULL;
}

static const char *
valid_ctlcert(const void *p)
{
	const struct msg_ctlcert	*m = p;

	if (!TERMINATED(m->name) || !TERMINATED(m->subject) ||
	    !TERMINATED(m->cert) || !TERMINATED(m->key))
		return "unterminated string";
	return NULL;
}

static const char *
valid_ctluser(const void *p)
{
	const struct msg_ctluser	*m = p;

	if (!TERMINATED(m->user) || !TERMINATED(m->maildir))
		return "unterminated string";
	if (m->quota > CTLQ_LIMIT || m->pad0 != 0)
		return "quota";
	if (m->junkfrom > CTLJ_TEMP || m->pad != 0 ||
	    !settings_junk_ok(&m->junk) || ((m->junkfrom == CTLJ_NONE ||
	    m->junkfrom == CTLJ_TEMP) && m->junk.folder[0] != '\0'))
		return "junk";
	return NULL;
}

static const char *
valid_ctlappsq(const void *p)
{
	const struct msg_ctlappsq	*m = p;

	if (!TERMINATED(m->user) || !valid_username(m->user))
		return "user name";
	return NULL;
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
	if (m->health > CHECK_DOWN || m->drained > 1 || m->more > 1 ||
	    m->age < -1)
		return "state";
	return NULL;
}

static const char *
valid_ctlreload(const void *p)
{
	const struct msg_ctlreload	*m = p;

	return TERMINATED(m->conffile) ? NULL : "unterminated string";
}

static const char *
valid_ctldenied(const void *p)
{
	const struct msg_ctldenied	*m = p;

	if (m->cmd < 1 || m->cmd > CTL_MAX)
		return "command";
	return TERMINATED(m->group) ? NULL : "unterminated string";
}

static const char *
valid_ctlans(const void *p)
{
	const struct msg_ctlans	*m = p;

	if (m->status < ANS_MORE || m->status > ANS_ERROR)
		return "status";
	if (m->len > sizeof(m->text))
		return "length";
	if (memchr(m->text, '\0', m->len) != NULL)
		return "NUL in the text";
	/* The reason is one line: "error: " and it. */
	if (m->status == ANS_ERROR && (m->len == 0 ||
	    memchr(m->text, '\n', m->len) != NULL))
		return "reason";
	return NULL;
}

static int
valid_ip(const char *s, size_t size)
{
	unsigned char	a[16];

	return memchr(s, '\0', size) != NULL && (inet_pton(AF_INET, s,
	    a) == 1 || inet_pton(AF_INET6, s, a) == 1);
}

static const char *
valid_backend(const void *p)
{
	const struct msg_backend	*m = p;

	return valid_ip(m->addr, sizeof(m->addr)) ? NULL : "address";
}

static const char *
valid_check(const void *p)
{
	const struct msg_check	*m = p;

	if (!valid_ip(m->addr, sizeof(m->addr)))
		return "address";
	if (m->state != HEALTH_UP && m->state != HEALTH_DRAINING &&
	    m->state != CHECK_DOWN)
		return "state";
	if (m->state == CHECK_DOWN && m->sessions != 0)
		return "sessions";
	return NULL;
}

static const char *
valid_health(const void *p)
{
	const struct msg_health	*m = p;

	if (m->state != HEALTH_UP && m->state != HEALTH_DRAINING)
		return "state";
	return NULL;
}

static const char *
valid_verbose(const void *p)
{
	const struct msg_verbose	*m = p;

	if (m->level < 0 || m->level > VERBOSE_MAX)
		return "level";
	return NULL;
}

static const char *
valid_tabfile(const void *p)
{
	const struct msg_tabfile	*m = p;

	if (!TERMINATED(m->name) || m->name[0] != '/')
		return "name";
	return NULL;
}

static const char *
valid_table(const void *p)
{
	const struct msg_table	*m = p;

	if (!TERMINATED(m->name) || !TERMINATED(m->program) ||
	    !TERMINATED(m->config) || !TERMINATED(m->interp))
		return "unterminated string";
	if (m->name[0] == '\0' || m->program[0] != '/')
		return "name or program";
	if (m->interp[0] != '\0' && m->interp[0] != '/')
		return "interpreter";
	if (m->cache < 0)
		return "cache";
	return NULL;
}

static const char *
valid_env(const void *p)
{
	const struct msg_env	*m = p;

	if (!TERMINATED(m->var))
		return "unterminated string";
	if (m->var[0] == '=' || strchr(m->var, '=') == NULL)
		return "not NAME=value";
	return NULL;
}

static const char *
valid_lookup(const void *p)
{
	const struct msg_lookup	*m = p;

	if (m->service != TABLE_ALIAS && m->service != TABLE_CREDENTIALS &&
	    m->service != TABLE_USERINFO)
		return "service";
	if (!TERMINATED(m->table) || !TERMINATED(m->key))
		return "unterminated string";
	if (m->table[0] == '\0' || m->key[0] == '\0')
		return "empty table or key";
	return NULL;
}

static const char *
valid_tabans(const void *p)
{
	const struct msg_tabans	*m = p;

	if (m->status < TABANS_FOUND || m->status > TABANS_TEMP)
		return "status";
	if (!TERMINATED(m->value))
		return "unterminated string";
	if (m->status != TABANS_FOUND && m->value[0] != '\0')
		return "a value with no answer";
	return NULL;
}

static const char *
valid_notours(const void *p)
{
	return "a message of other processes";
}

#define P	PROC_PARENT
#define L	PROC_LISTENER
#define A	PROC_AUTHPOP
#define W	PROC_WRKRPOP
#define M	PROC_LMTP
#define V	PROC_DLVRPOP
#define C	PROC_CONTROL
#define T	PROC_TABLE
#define K	PROC_CHECK
#define Y	PROC_KEY
#define RUN	PH_RUN
#define ANY	(PH_RUN | PH_DRAIN)
/*
 * A program built with PROTO_SELF, its PROC_* (0 for one with no
 * channel), keeps the checks of the messages it receives only: the
 * others' validators are then not in it (Makefile).  chan_send checks
 * what leaves against its declaration (type, size, descriptor, phase),
 * never its fields: its receiver does, and a message that does not
 * pass is that receiver's to refuse.  The transport never calls another
 * process's validator, since it refuses any message not to the process
 * first.  Unit tests and fuzzers keep them all.
 */
#ifdef PROTO_SELF
#define OURS(from, to)	((to) & (PROTO_SELF))
#else
#define OURS(from, to)	1
#endif
#define D(t, from, to, payload, fd, valid, phases, next)		\
	{ t, &(#t)[4], from, to, payload, fd,				\
	    OURS(from, to) ? valid : valid_notours, phases, next }
static const struct msg_decl decls[] = {
	/*
	 * Once, and first but for MSG_PARENT_STATS: the phase it moves the
	 * channel to takes no more.
	 */
	D(MSG_PARENT_CONF, P, L | A | W | M | V | C | T | K | Y,
	    sizeof(struct conf_settings),
	    MSG_NOFD, valid_conf, PH_START, PH_CONF),
	D(MSG_PARENT_CONF_PKI, P, L, sizeof(struct msg_pki), MSG_FD,
	    valid_pki, PH_CONF, 0),
	D(MSG_PARENT_CONF_PROXY, P, L | A, sizeof(struct msg_proxy), MSG_NOFD,
	    valid_proxy, PH_CONF, 0),
	D(MSG_PARENT_CONF_KEY, P, Y, sizeof(struct msg_key), MSG_NOFD,
	    valid_keymsg, PH_CONF, 0),
	D(MSG_PARENT_CONF_END, P, L | A | M | C | T | K | Y, 0,
	    MSG_NOFD, valid_none, PH_CONF, PH_RUN),
	D(MSG_PARENT_WORKER, P, W | V, sizeof(struct msg_worker), MSG_NOFD,
	    valid_worker, PH_CONF, PH_RUN),
	D(MSG_PARENT_LISTEN, P, L | A | M | C, sizeof(struct msg_listen),
	    MSG_FD, valid_listen, RUN, 0),
	/* A draining listener still relays the sessions it has. */
	D(MSG_PARENT_STARTTLS, P, L, sizeof(struct msg_lid), MSG_NOFD,
	    valid_none, ANY, 0),
	/* Never to a draining authpop: it takes no new sessions. */
	D(MSG_PARENT_SESSION, P, A, sizeof(struct msg_session), MSG_FD,
	    valid_session, RUN, 0),
	/* Also to the current authpop, when the one that asked is gone. */
	D(MSG_PARENT_REFUSED, P, A, sizeof(struct msg_refused), MSG_FD,
	    valid_refused, ANY, 0),
	/* Also to a current authpop when its successor could not start. */
	D(MSG_PARENT_TABLE, P, A, sizeof(struct msg_newtab), MSG_FD,
	    valid_newtab, ANY, 0),
	D(MSG_PARENT_APPSASK, P, A, 0, MSG_NOFD, valid_none, ANY, 0),
	D(MSG_PARENT_DRAIN, P, L | A | M | T | K, 0, MSG_NOFD, valid_none,
	    RUN, PH_DRAIN),
	D(MSG_PARENT_PENALTY, P, A, sizeof(struct msg_penalty), MSG_NOFD,
	    valid_penalty, RUN, 0),
	/* A draining lmtp process finishes its transactions. */
	D(MSG_PARENT_RCPT, P, M, sizeof(struct msg_rcptok), MSG_NOFD,
	    valid_rcptok, ANY, 0),
	D(MSG_PARENT_DLVRPOP, P, M, sizeof(struct msg_dlvrpop), MSG_FD,
	    valid_dlvrpop, ANY, 0),
	D(MSG_PARENT_NODLVRPOP, P, M, sizeof(struct msg_dlvrpop), MSG_NOFD,
	    valid_dlvrpop, ANY, 0),
	/* Before the control process confines itself to this one file. */
	D(MSG_PARENT_APPSLAST, P, C, 0, MSG_FD, valid_none, PH_START, 0),
	/* Before the configuration: the child maps it before confining. */
	D(MSG_PARENT_STATS, P, L | A | M | W, 0, MSG_FD, valid_none, PH_START,
	    0),
	/* popctl's: a draining listener still has connections. */
	D(MSG_PARENT_KICK, P, L, sizeof(struct msg_lid), MSG_NOFD,
	    valid_none, ANY, 0),
	/* A new control process links again the ones that drain. */
	D(MSG_PARENT_CTLCHAN, P, L | A | T, 0, MSG_FD, valid_none, ANY, 0),
	/*
	 * After its configuration, before its sockets; a draining one
	 * still makes TLS for its sessions' STLS.
	 */
	D(MSG_PARENT_TICKET, P, L, sizeof(struct msg_ticket), MSG_NOFD,
	    valid_none, ANY, 0),
	/* A draining listener has closed its health ports. */
	D(MSG_PARENT_HEALTH, P, L, sizeof(struct msg_health), MSG_NOFD,
	    valid_health, RUN, 0),
	/* The control process is never drained: it has no configuration. */
	D(MSG_PARENT_ANSWER, P, C, sizeof(struct msg_ctlans), MSG_NOFD,
	    valid_ctlans, RUN, 0),
	D(MSG_PARENT_CTLSTATS, P, C, sizeof(struct msg_ctlstats), MSG_NOFD,
	    valid_ctlstats, RUN, 0),
	D(MSG_PARENT_CTLSESSIONS, P, C, sizeof(struct msg_ctlsessions),
	    MSG_NOFD, valid_ctlsessions, RUN, 0),
	D(MSG_PARENT_CTLCOUNT, P, C, sizeof(struct msg_count), MSG_NOFD,
	    valid_count, RUN, 0),
	D(MSG_PARENT_CTLCERT, P, C, sizeof(struct msg_ctlcert), MSG_NOFD,
	    valid_ctlcert, RUN, 0),
	D(MSG_PARENT_CTLUSER, P, C, sizeof(struct msg_ctluser), MSG_NOFD,
	    valid_ctluser, RUN, 0),
	D(MSG_PARENT_CTLRELAY, P, C, sizeof(struct msg_ctlq), MSG_FD,
	    valid_none, RUN, 0),
	D(MSG_PARENT_CTLRELOAD, P, C, sizeof(struct msg_ctlreload), MSG_NOFD,
	    valid_ctlreload, RUN, 0),
	D(MSG_PARENT_CTLDENIED, P, C, sizeof(struct msg_ctldenied), MSG_NOFD,
	    valid_ctldenied, RUN, 0),
	D(MSG_PARENT_CTLPEER, P, C, sizeof(struct msg_ctlpeer), MSG_FD,
	    valid_ctlpeer, RUN, 0),
	D(MSG_PARENT_VERBOSE, P, L | A | M | C | T | K | Y,
	    sizeof(struct msg_verbose), MSG_NOFD, valid_verbose, ANY, 0),
	/*
	 * The channels between tablepop and authpop, checkpop: a new
	 * tablepop's reach the draining ones too.
	 */
	D(MSG_PARENT_TABLEPEER, P, T, sizeof(struct msg_ctlpeer), MSG_FD,
	    valid_tablepeer, ANY, 0),
	D(MSG_PARENT_TABLECHAN, P, A | K, 0, MSG_FD, valid_none, ANY, 0),
	D(MSG_PARENT_CONF_ROUTE, P, T, 0, MSG_FD, valid_none, PH_CONF, 0),
	D(MSG_PARENT_CONF_FILE, P, T, sizeof(struct msg_tabfile), MSG_FD,
	    valid_tabfile, PH_CONF, 0),
	D(MSG_PARENT_ROUTEPAGE, P, T, sizeof(struct msg_routepage), MSG_FD,
	    valid_none, PH_CONF, 0),
	D(MSG_PARENT_CONF_TABLE, P, T, sizeof(struct msg_table), MSG_NOFD,
	    valid_table, PH_CONF, 0),
	D(MSG_PARENT_CONF_ENV, P, T, sizeof(struct msg_env), MSG_NOFD,
	    valid_env, PH_CONF, 0),
	/* Never to a draining tablepop: it answers what it has. */
	D(MSG_PARENT_LOOKUP, P, T, sizeof(struct msg_lookup), MSG_NOFD,
	    valid_lookup, RUN, 0),
	D(MSG_LISTENER_SESSION, L, P, sizeof(struct msg_newsession), MSG_FD,
	    valid_newsession, ANY, 0),
	D(MSG_LISTENER_FULL, L, P, sizeof(struct msg_count), MSG_NOFD,
	    valid_full, ANY, 0),
	/* A draining one still makes TLS for its sessions' STLS. */
	D(MSG_LISTENER_REKEY, L, P, sizeof(struct msg_rekey), MSG_NOFD,
	    valid_none, ANY, 0),
	/*
	 * The one channel between two children: a request, then its
	 * answer, never two requests at once (PH_SIGN: keypop ends a
	 * listener that tries).
	 */
	D(MSG_LISTENER_SIGN, L, Y, sizeof(struct msg_sign), MSG_NOFD,
	    valid_sign, RUN, PH_SIGN),
	D(MSG_KEY_SIGNED, Y, L, sizeof(struct msg_signed), MSG_NOFD,
	    valid_signed, PH_SIGN, PH_RUN),
	D(MSG_AUTHPOP_LOGIN, A, P, sizeof(struct msg_login), MSG_FD,
	    valid_login, ANY, 0),
	D(MSG_AUTHPOP_CLOSED, A, P, sizeof(struct msg_id), MSG_NOFD,
	    valid_none, ANY, 0),
	D(MSG_AUTHPOP_STLS, A, P, sizeof(struct msg_id), MSG_NOFD,
	    valid_none, ANY, 0),
	D(MSG_AUTHPOP_PENALTY, A, P, sizeof(struct msg_penalty), MSG_NOFD,
	    valid_penalty, PH_DRAIN, 0),
	D(MSG_AUTHPOP_READY, A, P, 0, MSG_NOFD, valid_none, RUN, 0),
	D(MSG_AUTHPOP_HANDBACK, A, P, sizeof(struct msg_handback), MSG_FD,
	    valid_handback, PH_DRAIN, 0),
	D(MSG_LMTP_RCPT, M, P, sizeof(struct msg_rcpt), MSG_NOFD,
	    valid_rcpt, ANY, 0),
	D(MSG_LMTP_FORGET, M, P, sizeof(struct msg_deliver), MSG_NOFD,
	    valid_deliver, ANY, 0),
	D(MSG_LMTP_DLVRPOP, M, P, sizeof(struct msg_dlvrpop), MSG_NOFD,
	    valid_dlvrpop, ANY, 0),
	D(MSG_LMTP_KILL, M, P, sizeof(struct msg_dlvrpop), MSG_NOFD,
	    valid_dlvrpop, ANY, 0),
	/*
	 * On the channel the parent made (MSG_PARENT_DLVRPOP): a dlvrpop's
	 * starts in PH_RUN, after its configuration.
	 */
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
	D(MSG_CONTROL_REQUEST, C, P, sizeof(struct msg_ctlreq), MSG_FD,
	    valid_ctlreq, RUN, 0),
	/*
	 * popctl's, on the channels the parent made (MSG_PARENT_CTLCHAN,
	 * MSG_PARENT_CTLPEER): only these questions, and their answers.
	 * A draining listener still has connections; a question may
	 * reach an authpop as it starts to drain.
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
	/* A draining tablepop answers what it was asked. */
	D(MSG_TABLE_ANSWER, T, P, sizeof(struct msg_tabans), MSG_NOFD,
	    valid_tabans, ANY, 0),
	D(MSG_TABLE_READY, T, P, 0, MSG_NOFD, valid_none, RUN, 0),
	/*
	 * On the channels the parent made (MSG_PARENT_TABLEPEER,
	 * MSG_PARENT_TABLECHAN, MSG_PARENT_CTLCHAN): a draining authpop
	 * still answers nginx, a draining tablepop what it was asked.
	 */
	D(MSG_AUTHPOP_ROUTE, A, T, sizeof(struct msg_login), MSG_NOFD,
	    valid_login, ANY, 0),
	D(MSG_TABLE_ROUTE, T, A, sizeof(struct msg_route), MSG_NOFD,
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
	D(MSG_TABLE_BACKEND, T, K, sizeof(struct msg_backend), MSG_NOFD,
	    valid_backend, ANY, 0),
	D(MSG_CHECK_STATE, K, T, sizeof(struct msg_check), MSG_NOFD,
	    valid_check, ANY, 0),
	D(MSG_CONTROL_BACKENDS, C, T, sizeof(struct msg_ctlq), MSG_NOFD,
	    valid_none, ANY, 0),
	D(MSG_CONTROL_DRAIN, C, T, sizeof(struct msg_net), MSG_NOFD,
	    valid_hostnet, ANY, 0),
	D(MSG_CONTROL_UNDRAIN, C, T, sizeof(struct msg_net), MSG_NOFD,
	    valid_hostnet, ANY, 0),
	D(MSG_TABLE_BACKENDS, T, C, sizeof(struct msg_ctlbackend), MSG_NOFD,
	    valid_ctlbackend, ANY, 0),
};
#undef D
#undef P
#undef L
#undef A
#undef W
#undef M
#undef V
#undef C
#undef K
#undef T
#undef Y
#undef RUN
#undef ANY

/*
 * The declaration of type, or NULL.  Every message sent and received
 * is looked up: by index, built at the first look (decls is not in the
 * enum's order).  A process's threads send nothing.
 */
const struct msg_decl *
msg_decl(uint32_t type)
{
	static const struct msg_decl	*bytype[MSG_MAX];
	static int			 indexed;
	size_t				 i;

	if (!indexed) {
		for (i = 0; i < nitems(decls); i++)
			if (decls[i].type < MSG_MAX &&
			    bytype[decls[i].type] == NULL)
				bytype[decls[i].type] = &decls[i];
		indexed = 1;
	}
	return type < MSG_MAX ? bytype[type] : NULL;
}

/* Does this program hold the checks of self's messages (PROTO_SELF)? */
int
msg_checks(int self)
{
#ifdef PROTO_SELF
	return self == (PROTO_SELF);
#else
	return 1;
#endif
}

/* All of them, for the tests. */
const struct msg_decl *
msg_decls(size_t *n)
{
	*n = nitems(decls);
	return decls;
}

const char *
msg_type_str(uint32_t type)
{
	const struct msg_decl	*d;

	if ((d = msg_decl(type)) == NULL)
		return "UNKNOWN";
	return d->name;
}

const char *
proc_str(int proc)
{
	switch (proc) {
	case PROC_PARENT:
		return "parent";
	case PROC_LISTENER:
		return "listener";
	case PROC_AUTHPOP:
		return "authpop";
	case PROC_WRKRPOP:
		return "wrkrpop";
	case PROC_LMTP:
		return "lmtp";
	case PROC_DLVRPOP:
		return "dlvrpop";
	case PROC_CONTROL:
		return "control";
	case PROC_TABLE:
		return "tablepop";
	case PROC_CHECK:
		return "checkpop";
	case PROC_KEY:
		return "keypop";
	}
	return "unknown";
}
