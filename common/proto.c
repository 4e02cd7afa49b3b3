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
 * proto.c -- every message to or from the parent, declared once; msg.c enforces
 * it on both ends.  Messages between two children are peers.c's.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>

#include "protodecl.h"
#include "table.h"

static const char *
valid_pki(const void *p)
{
	const struct msg_pki	*m = p;

	return m->certlen == 0 || m->certlen > PKI_MAXFILE ? "file size" : NULL;
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
valid_refused(const void *p)
{
	const struct msg_refused	*m = p;

	if (m->code < REFUSED_TEMP || m->code > REFUSED_STUCK)
		return "refusal code";
	if ((m->code == REFUSED_STUCK) != (m->since > 0))
		return "since";
	if (!peer_valid(&m->peer))
		return "address";
	return NULL;
}

static const char *
valid_lid(const void *p)
{
	const struct msg_lid	*m = p;

	return m->why == 0 ? NULL : "padding";
}

static const char *
valid_kick(const void *p)
{
	const struct msg_lid	*m = p;

	return m->why == KICK_POPCTL || m->why == KICK_STORE ? NULL : "why";
}

static const char *
valid_newtab(const void *p)
{
	const struct msg_newtab	*m = p;

	if (m->kind != 0 && (m->kind & ~(TABLE_PASSWD | TABLE_WEAK |
	    TABLE_SKIP)) != TABLE_AUTH)
		return "table kind";
	if (m->pad != 0)
		return "padding";
	return NULL;
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
valid_httppeer(const void *p)
{
	const struct msg_ctlpeer	*m = p;

	if (m->proc != PROC_HTTP)
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
valid_health(const void *p)
{
	const struct msg_health	*m = p;
	size_t			 i;

	for (i = 0; i < HEALTH_STUCKMAX; i++)
		if (!TERMINATED(m->stuck[i]) || (m->stuck[i][0] != '\0' &&
		    !valid_username(m->stuck[i])))
			return "stuck";
	return m->state == HEALTH_UP || m->state == HEALTH_DRAINING ||
	    m->state == HEALTH_DEGRADED ? NULL : "state";
}

static const char *
valid_verbose(const void *p)
{
	const struct msg_verbose	*m = p;

	return m->level < 0 || m->level > VERBOSE_MAX ? "level" : NULL;
}

static const char *
valid_authkey(const void *p)
{
	const struct msg_authkey	*m = p;

	if (m->kind != AUTHKEY_TICKET && m->kind != AUTHKEY_APPS)
		return "key kind";
	if (m->pad != 0)
		return "padding";
	return NULL;
}

static const struct msg_decl decls[] = {
	/*
	 * Once, first but for MSG_PARENT_STATS.  A worker's: MSG_PARENT_WORKER.
	 */
	D(MSG_PARENT_CONF, P, L | A | M | C | T | R | Y | H,
	    sizeof(struct conf_settings),
	    MSG_NOFD, settings_check, PH_START, PH_CONF),
	D(MSG_PARENT_CONF_PKI, P, L, sizeof(struct msg_pki), MSG_FD,
	    valid_pki, PH_CONF, 0),
	D(MSG_PARENT_CONF_PROXY, P, L | H, sizeof(struct msg_proxy), MSG_NOFD,
	    valid_proxy, PH_CONF, 0),
	D(MSG_PARENT_CONF_END, P, L | A | M | C | T | R | Y | H, 0,
	    MSG_NOFD, valid_none, PH_CONF, PH_RUN),
	D(MSG_PARENT_LISTEN, P, L | H | M | C, sizeof(struct msg_listen),
	    MSG_FD, valid_listen, RUN, 0),
	/* A draining listener still relays the sessions it has. */
	D(MSG_PARENT_STARTTLS, P, L, sizeof(struct msg_lid), MSG_NOFD,
	    valid_lid, ANY, 0),
	/* Never to a draining authpop: it takes no new sessions. */
	D(MSG_PARENT_SESSION, P, A, sizeof(struct msg_session), MSG_FD,
	    valid_session, RUN, 0),
	/* Also to the current authpop, when the one that asked is gone. */
	D(MSG_PARENT_REFUSED, P, A, sizeof(struct msg_refused), MSG_FD,
	    valid_refused, ANY, 0),
	/* Also to the current authpop; with a new one's settings too. */
	D(MSG_PARENT_TABLE, P, A, sizeof(struct msg_newtab), MSG_FD,
	    valid_newtab, PH_CONF | ANY, 0),
	D(MSG_PARENT_AUTHKEY, P, A, sizeof(struct msg_authkey), MSG_FD,
	    valid_authkey, PH_CONF, 0),
	D(MSG_PARENT_APPSASK, P, A, 0, MSG_NOFD, valid_none, ANY, 0),
	D(MSG_PARENT_DRAIN, P, L | A | M | T | R | H, 0, MSG_NOFD, valid_none,
	    RUN, PH_DRAIN),
	D(MSG_PARENT_PENALTY, P, A, sizeof(struct msg_penalty), MSG_NOFD,
	    valid_penalty, RUN, 0),
	/* Before the configuration: the child maps it before confining. */
	D(MSG_PARENT_STATS, P, L | A | M | W | V, 0, MSG_FD, valid_none, PH_START,
	    0),
	/* popctl's, a stuck login's: a draining one still has connections. */
	D(MSG_PARENT_KICK, P, L, sizeof(struct msg_lid), MSG_NOFD,
	    valid_kick, ANY, 0),
	/* A new control process links again the ones that drain. */
	D(MSG_PARENT_CTLCHAN, P, L | A | R, 0, MSG_FD, valid_none, ANY, 0),
	/* After its configuration; a draining one still makes TLS for STLS. */
	D(MSG_PARENT_TICKET, P, L, sizeof(struct msg_ticket), MSG_NOFD,
	    valid_none, ANY, 0),
	/* A draining listener has closed its health ports. */
	D(MSG_PARENT_HEALTH, P, L, sizeof(struct msg_health), MSG_NOFD,
	    valid_health, RUN, 0),
	D(MSG_PARENT_VERBOSE, P, L | A | M | C | T | R | Y | H,
	    sizeof(struct msg_verbose), MSG_NOFD, valid_verbose, ANY, 0),
	/* A new tablepop's or routepop's reach the draining ones too. */
	D(MSG_PARENT_TABLECHAN, P, A | R, 0, MSG_FD, valid_none, ANY, 0),
	D(MSG_PARENT_ROUTECHAN, P, H, 0, MSG_FD, valid_none, ANY, 0),
	D(MSG_PARENT_HTTPPEER, P, A, sizeof(struct msg_ctlpeer), MSG_FD,
	    valid_httppeer, ANY, 0),
	D(MSG_PARENT_AUTHCHAN, P, H, 0, MSG_FD, valid_none, ANY, 0),
	D(MSG_LISTENER_SESSION, L, P, sizeof(struct msg_newsession), MSG_FD,
	    valid_newsession, ANY, 0),
	D(MSG_LISTENER_FULL, L, P, sizeof(struct msg_count), MSG_NOFD,
	    valid_full, ANY, 0),
	/* A draining one still makes TLS for its sessions' STLS. */
	D(MSG_LISTENER_REKEY, L, P, sizeof(struct msg_rekey), MSG_NOFD,
	    valid_none, ANY, 0),
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
};

/* The messages of no program before login: see HAS_REST. */
#ifdef HAS_REST
static const char *
valid_keymsg(const void *p)
{
	const struct msg_key	*m = p;

	if (m->len == 0 || m->len > sizeof(m->pem))
		return "length";
	return NULL;
}

static int
valid_word(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return 0;
	return 1;
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
	if (m->pad != 0 || m->since < -CTL_SINCE_AGO_MAX || (m->since != 0 &&
	    (!(m->flags & WORKER_UNDELETE) || m->find[0] != '\0')))
		return "since";
	if (m->qbytes > INT64_MAX || m->qmsgs > INT64_MAX ||
	    ((m->qbytes != 0 || m->qmsgs != 0) &&
	    !(m->flags & (WORKER_DELIVER | WORKER_KEPT))))
		return "limit";
	return settings_check_worker(&m->set);
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
valid_ctlpeer(const void *p)
{
	const struct msg_ctlpeer	*m = p;

	if (m->proc != PROC_LISTENER && m->proc != PROC_AUTHPOP &&
	    m->proc != PROC_ROUTE)
		return "process";
	return m->pid > 0 ? NULL : "pid";
}

static const char *
valid_tablepeer(const void *p)
{
	const struct msg_ctlpeer	*m = p;

	if (m->proc != PROC_AUTHPOP && m->proc != PROC_ROUTE)
		return "process";
	return m->pid > 0 ? NULL : "pid";
}

static int
valid_key(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL && s[0] != '\0' &&
	    strlen(s) <= POPD_MAXUSER && valid_word(s);
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
	if (m->since < -CTL_SINCE_AGO_MAX || (m->since != 0 &&
	    (m->cmd != CTL_UNDELETE || m->find[0] != '\0')))
		return "since";
	return NULL;
}

static const char *
valid_ctlstats(const void *p)
{
	const struct msg_ctlstats	*m = p;
	uint32_t			 i;

	if (m->ncerts > POPD_MAXPKI || m->nkinds > STATS_KINDS)
		return "record count";
	for (i = 0; i < m->ncerts; i++)
		if (!TERMINATED(m->cert[i].name) || m->cert[i].refused < 0)
			return "pki";
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
		if (!peer_valid(&r->peer) || r->state > CTLS_STUCK ||
		    r->counted > 1)
			return "session";
	}
	return NULL;
}

static const char *
valid_ctlcert(const void *p)
{
	const struct msg_ctlcert	*m = p;
	size_t				 i;

	if (!TERMINATED(m->name) || !TERMINATED(m->subject) ||
	    !TERMINATED(m->cert) || !TERMINATED(m->key) ||
	    !TERMINATED(m->serial) || !TERMINATED(m->sha256) ||
	    !TERMINATED(m->why))
		return "unterminated string";
	if (strspn(m->serial, "-.0123456789ABCDEF") != strlen(m->serial) ||
	    strspn(m->sha256, "0123456789ABCDEF") != strlen(m->sha256))
		return "serial or fingerprint";
	for (i = 0; m->why[i] != '\0'; i++)
		if (m->why[i] < 0x20 || m->why[i] > 0x7e)
			return "reason";
	if (m->refused < 0 || (m->refused == 0) != (m->why[0] == '\0'))
		return "refused";
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
valid_ctlreload(const void *p)
{
	const struct msg_ctlreload	*m = p;
	size_t				 i;

	if (!TERMINATED(m->conffile) || !TERMINATED(m->restart))
		return "unterminated string";
	for (i = 0; m->restart[i] != '\0'; i++)
		if ((m->restart[i] < 0x20 && m->restart[i] != '\n') ||
		    m->restart[i] == 0x7f)
			return "restart";
	return NULL;
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
valid_spoolpage(const void *p)
{
	const struct msg_spoolpage	*m = p;

	return m->slot < SPOOL_SLOTS ? NULL : "slot";
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

static const struct msg_decl decls_rest[] = {
	D(MSG_PARENT_CONF_KEY, P, Y, sizeof(struct msg_key), MSG_NOFD,
	    valid_keymsg, PH_CONF, 0),
	D(MSG_PARENT_WORKER, P, W | V, sizeof(struct msg_worker), MSG_NOFD,
	    valid_worker, PH_START, PH_RUN),
	/* A draining lmtp process finishes its transactions. */
	D(MSG_PARENT_RCPT, P, M, sizeof(struct msg_rcptok), MSG_NOFD,
	    valid_rcptok, ANY, 0),
	D(MSG_PARENT_DLVRPOP, P, M, sizeof(struct msg_dlvrpop), MSG_FD,
	    valid_dlvrpop, ANY, 0),
	D(MSG_PARENT_NODLVRPOP, P, M, sizeof(struct msg_dlvrpop), MSG_NOFD,
	    valid_dlvrpop, ANY, 0),
	/* Before the configuration, as the counters' page. */
	D(MSG_PARENT_SPOOLPAGE, P, M, sizeof(struct msg_spoolpage), MSG_FD,
	    valid_spoolpage, PH_START, 0),
	/* Before the control process confines itself to this one file. */
	D(MSG_PARENT_APPSLAST, P, C, 0, MSG_FD, valid_none, PH_START, 0),
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
	/* The other ends of MSG_PARENT_TABLECHAN and MSG_PARENT_ROUTECHAN. */
	D(MSG_PARENT_TABLEPEER, P, T, sizeof(struct msg_ctlpeer), MSG_FD,
	    valid_tablepeer, ANY, 0),
	D(MSG_PARENT_ROUTEPEER, P, R, sizeof(struct msg_ctlpeer), MSG_FD,
	    valid_httppeer, ANY, 0),
	D(MSG_PARENT_CONF_ROUTE, P, R, 0, MSG_FD, valid_none, PH_CONF, 0),
	D(MSG_PARENT_CONF_FILE, P, T, sizeof(struct msg_tabfile), MSG_FD,
	    valid_tabfile, PH_CONF, 0),
	D(MSG_PARENT_ROUTEPAGE, P, R, sizeof(struct msg_routepage), MSG_FD,
	    valid_none, PH_CONF, 0),
	D(MSG_PARENT_CONF_TABLE, P, T, sizeof(struct msg_table), MSG_NOFD,
	    valid_table, PH_CONF, 0),
	D(MSG_PARENT_CONF_ENV, P, T, sizeof(struct msg_env), MSG_NOFD,
	    valid_env, PH_CONF, 0),
	/* Never to a draining tablepop: it answers what it has. */
	D(MSG_PARENT_LOOKUP, P, T, sizeof(struct msg_lookup), MSG_NOFD,
	    valid_lookup, RUN, 0),
	D(MSG_LMTP_RCPT, M, P, sizeof(struct msg_rcpt), MSG_NOFD,
	    valid_rcpt, ANY, 0),
	D(MSG_LMTP_FORGET, M, P, sizeof(struct msg_deliver), MSG_NOFD,
	    valid_deliver, ANY, 0),
	D(MSG_LMTP_DLVRPOP, M, P, sizeof(struct msg_dlvrpop), MSG_NOFD,
	    valid_dlvrpop, ANY, 0),
	D(MSG_LMTP_KILL, M, P, sizeof(struct msg_dlvrpop), MSG_NOFD,
	    valid_dlvrpop, ANY, 0),
	D(MSG_CONTROL_REQUEST, C, P, sizeof(struct msg_ctlreq), MSG_FD,
	    valid_ctlreq, RUN, 0),
	/* A draining tablepop answers what it was asked. */
	D(MSG_TABLE_ANSWER, T, P, sizeof(struct msg_tabans), MSG_NOFD,
	    valid_tabans, ANY, 0),
	D(MSG_TABLE_READY, T, P, 0, MSG_NOFD, valid_none, RUN, 0),
};
#endif

/*
 * Built without peers.c: the parent, a wrkrpop, and a program with no channel.
 */
#if !defined(PROTO_SELF) || ((PROTO_SELF) != PROC_PARENT && \
    (PROTO_SELF) != PROC_WRKRPOP && (PROTO_SELF) != 0)
#define HAS_PEERS	1
#endif

static const struct msg_decl	*all[MSG_MAX], *bytype[MSG_MAX];
static size_t			 nall;

void
msg_index(const struct msg_decl *d, size_t n)
{
	size_t	i;

	for (i = 0; i < n && nall < MSG_MAX; i++) {
		all[nall++] = &d[i];
		if (d[i].type < MSG_MAX && bytype[d[i].type] == NULL)
			bytype[d[i].type] = &d[i];
	}
}

/* Indexed at the first look: decls is not in the enum's order. */
const struct msg_decl *const *
msg_decls(size_t *n)
{
	if (nall == 0) {
		msg_index(decls, nitems(decls));
#ifdef HAS_REST
		msg_index(decls_rest, nitems(decls_rest));
#endif
#ifdef HAS_PEERS
		peers_decls();
#endif
	}
	*n = nall;
	return all;
}

const struct msg_decl *
msg_decl(uint32_t type)
{
	size_t	n;

	if (nall == 0)
		(void)msg_decls(&n);
	return type < MSG_MAX ? bytype[type] : NULL;
}

int
msg_checks(int self)
{
#ifdef PROTO_SELF
	return self == (PROTO_SELF);
#else
	return 1;
#endif
}

const char *
msg_type_str(uint32_t type)
{
	const struct msg_decl	*d = msg_decl(type);

	return d != NULL ? d->name : "UNKNOWN";
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
	case PROC_ROUTE:
		return "routepop";
	case PROC_KEY:
		return "keypop";
	case PROC_HTTP:
		return "httppop";
	}
	return "unknown";
}
