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

/* proto.h -- popd's messages: types, payloads and their declarations. */
#ifndef POPD_PROTO_H
#define POPD_PROTO_H

#include <sys/types.h>
#include <netinet/in.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"
#include "addr.h"
#include "settings.h"
#include "stats.h"

/*
 * Every channel is a SOCK_SEQPACKET socketpair, so one datagram is one
 * message: a header, then exactly hdr.len payload bytes, and at most one
 * passed descriptor.  Messages are named by their sender and meaning;
 * each hop has its own type and payload.  Bump MSG_VERSION on any change
 * to the types or payloads below, then run make msg-update
 * (regress/unit/test_msgsum fails on a change without a bump).
 */
#define MSG_VERSION		73
#define MSG_MAXPAYLOAD		49152	/* struct conf_settings fits */
#define MSG_MAXFDS		8	/* received (and closed) at most */

enum msg_type {
	MSG_NONE = 0,

	/* parent -> a child, before it serves: its configuration */
	MSG_PARENT_CONF,	/* not to a worker: struct conf_settings */
	MSG_PARENT_CONF_PKI,	/* to the listener: fd: checked cert; msg_pki */
	MSG_PARENT_CONF_KEY,	/* to keypop: a private key; msg_key */
	MSG_PARENT_CONF_PROXY,	/* to listener, httppop: a proxy; msg_proxy */
	MSG_PARENT_CONF_END,	/* the configuration is complete */
	MSG_PARENT_WORKER,	/* a worker's session, settings; msg_worker */
	/* parent -> listener (httppop: LISTEN_HTTP ones) */
	MSG_PARENT_LISTEN,	/* fd: a listening socket; msg_listen */
	MSG_PARENT_STARTTLS,	/* start TLS on a plaintext session; msg_lid */
	/* parent -> authpop */
	MSG_PARENT_SESSION,	/* fd: a new session; msg_session */
	MSG_PARENT_REFUSED,	/* fd: a refused login's socket; msg_refused */
	MSG_PARENT_TABLE,	/* fd: a table image, a reload's; msg_newtab */
	MSG_PARENT_AUTHKEY,	/* fd: ticket or app key; msg_authkey */
	MSG_PARENT_APPSASK,	/* ask tablepop for apps; no payload */
	/* parent -> listener, authpop */
	MSG_PARENT_DRAIN,	/* take no new work, exit when idle; none */
	MSG_PARENT_PENALTY,	/* to authpop: predecessor's; msg_penalty */
	/* parent -> lmtp (and MSG_PARENT_LISTEN: LISTEN_LMTP ones) */
	MSG_PARENT_RCPT,	/* the answer to MSG_LMTP_RCPT; msg_rcptok */
	MSG_PARENT_DLVRPOP,	/* fd: a new dlvrpop's channel; msg_dlvrpop */
	MSG_PARENT_NODLVRPOP,	/* none could start; msg_dlvrpop */
	MSG_PARENT_SPOOLPAGE,	/* fd: the lmtp spool page; msg_spoolpage */
	/* parent -> control */
	MSG_PARENT_ANSWER,	/* a piece of an answer; msg_ctlans */
	MSG_PARENT_CTLSTATS,	/* show stats, metrics; msg_ctlstats */
	MSG_PARENT_CTLSESSIONS,	/* show sessions, in chunks; msg_ctlsessions */
	MSG_PARENT_CTLCOUNT,	/* kick user, drain: how many; msg_count */
	MSG_PARENT_CTLCERT,	/* show certificates: a pki; msg_ctlcert */
	MSG_PARENT_CTLUSER,	/* show user, undelete, quota; msg_ctluser */
	MSG_PARENT_CTLRELAY,	/* fd: a wrkrpop's text to relay; msg_ctlq */
	MSG_PARENT_CTLRELOAD,	/* reload: what was reloaded; msg_ctlreload */
	MSG_PARENT_CTLDENIED,	/* a request refused; msg_ctldenied */
	MSG_PARENT_CTLPEER,	/* fd: a channel for popctl; msg_ctlpeer */
	MSG_PARENT_APPSLAST,	/* fd: app passwords' state file; none */
	/* parent -> listener, authpop, routepop */
	MSG_PARENT_CTLCHAN,	/* fd: its channel to control; no payload */
	/* parent -> every child but a worker */
	MSG_PARENT_VERBOSE,	/* popctl log verbose|brief; msg_verbose */
	/* parent -> a child (not dlvrpop), before its configuration */
	MSG_PARENT_STATS,	/* fd: its page of counters (stats.h) */
	/* parent -> listener (popctl, a login stuck in the store) */
	MSG_PARENT_KICK,	/* end a session at once; msg_lid */
	/* parent -> listener, from its start and as they rotate */
	MSG_PARENT_TICKET,	/* a TLS session ticket key; msg_ticket */
	/* parent -> listener, from its start and as it changes */
	MSG_PARENT_HEALTH,	/* what a health port says; msg_health */
	/* parent -> tablepop */
	MSG_PARENT_CONF_TABLE,	/* a database table to run; msg_table */
	MSG_PARENT_CONF_ENV,	/* a variable for table programs; msg_env */
	MSG_PARENT_LOOKUP,	/* a question for a table; msg_lookup */
	MSG_PARENT_CONF_FILE,	/* fd: a file table; msg_tabfile */
	MSG_PARENT_TABLEPEER,	/* fd: to an authpop or routepop; msg_ctlpeer */
	/* parent -> authpop, routepop */
	MSG_PARENT_TABLECHAN,	/* fd: its channel to tablepop; no payload */
	/* parent -> routepop */
	MSG_PARENT_CONF_ROUTE,	/* fd: the route file; no payload */
	MSG_PARENT_ROUTEPAGE,	/* fd: backends' state page; msg_routepage */
	MSG_PARENT_ROUTEPEER,	/* fd: a channel to an httppop; msg_ctlpeer */
	/* parent -> httppop */
	MSG_PARENT_ROUTECHAN,	/* fd: its channel to routepop; no payload */
	/* parent -> authpop, httppop */
	MSG_PARENT_HTTPPEER,	/* to authpop: fd: httppop's; msg_ctlpeer */
	MSG_PARENT_AUTHCHAN,	/* to httppop: fd: authpop's; no payload */

	/* listener -> parent */
	MSG_LISTENER_SESSION,	/* fd: a client is ready; msg_newsession */
	MSG_LISTENER_FULL,	/* descriptors full (n 1) or not; msg_count */
	MSG_LISTENER_REKEY,	/* clock stepped: a ticket key; msg_rekey */

	/* httppop -> authpop, on the channel the parent made them */
	MSG_HTTP_VERIFY,	/* a password to check; msg_httpreq */
	MSG_HTTP_TICKET,	/* a HV_OKTICKET's backend; msg_route */
	/* httppop -> routepop, likewise */
	MSG_HTTP_ROUTE,		/* a user's backend, please; msg_login */

	/* listener -> keypop, on the channel the parent made them */
	MSG_LISTENER_SIGN,	/* sign a handshake, one at a time; msg_sign */
	/* keypop -> listener */
	MSG_KEY_SIGNED,		/* the answer to MSG_LISTENER_SIGN; msg_signed */

	/* listener -> control, on the channel the parent made them */
	MSG_LISTENER_HANDSHAKES, /* MSG_CONTROL_HANDSHAKES'; msg_handshakes */
	MSG_LISTENER_KICKED,	/* MSG_CONTROL_KICKNET's; msg_count */

	/* authpop -> parent */
	MSG_AUTHPOP_LOGIN,	/* fd: the session socket; msg_login */
	MSG_AUTHPOP_CLOSED,	/* session ended before login; msg_id */
	MSG_AUTHPOP_STLS,	/* client said STLS; msg_id */
	MSG_AUTHPOP_PENALTY,	/* draining: for its successor; msg_penalty */
	MSG_AUTHPOP_READY,	/* loaded and confined; no payload */
	MSG_AUTHPOP_HANDBACK,	/* draining: fd: idle session; msg_handback */
	/* authpop -> control, on the channel the parent made them */
	MSG_AUTHPOP_APPUSED,	/* an app password logged in; msg_appused */
	MSG_AUTHPOP_CTLAPPS,	/* MSG_CONTROL_APPS's; msg_ctlapps */
	MSG_AUTHPOP_APPSGONE,	/* MSG_CONTROL_APPSKEPT's; msg_appskept */
	MSG_AUTHPOP_PENALTIES,	/* MSG_CONTROL_PENALTIES'; msg_penalties */
	MSG_AUTHPOP_UNPENALIZED, /* MSG_CONTROL_UNPENALIZE's; msg_count */
	/* authpop -> httppop, on the channel the parent made them */
	MSG_AUTHPOP_VERDICT,	/* HTTP_VERIFY's, HTTP_TICKET's; msg_verdict */
	/* authpop -> tablepop, on the channel the parent made them */
	MSG_AUTHPOP_APPS,	/* a user's app passwords, please; msg_login */
	MSG_AUTHPOP_LOOKUP,	/* a user's password hash; msg_login */

	/* lmtp -> parent */
	MSG_LMTP_RCPT,		/* RCPT TO: whose is it? msg_rcpt */
	MSG_LMTP_FORGET,	/* a transaction's recipients; msg_deliver */
	MSG_LMTP_DLVRPOP,	/* a dlvrpop for a maildir; msg_dlvrpop */
	MSG_LMTP_KILL,		/* that dlvrpop is to die; msg_dlvrpop */
	/* lmtp -> dlvrpop, on the channel the parent made them */
	MSG_LMTP_JOB,		/* fd: a spooled message; msg_job */
	MSG_LMTP_DLVCHECK,	/* undo a killed worker's job; msg_intent */
	MSG_LMTP_QUOTA,		/* a maildir's use for RCPT; msg_quota */

	/* dlvrpop -> lmtp */
	MSG_DLVRPOP_INTENT,	/* the names it is about to use; msg_intent */
	MSG_DLVRPOP_DONE,	/* a job is over; msg_done */

	/* control -> parent */
	MSG_CONTROL_REQUEST,	/* fd: the client's socket; msg_ctlreq */
	/* control -> listener, once the parent let the client ask */
	MSG_CONTROL_HANDSHAKES,	/* list connections in handshake; msg_ctlq */
	MSG_CONTROL_KICKNET,	/* end a network's connections; msg_net */
	/* control -> authpop, likewise */
	MSG_CONTROL_PENALTIES,	/* list the failures; msg_ctlq */
	MSG_CONTROL_UNPENALIZE,	/* forget a network's failures; msg_net */
	MSG_CONTROL_APPS,	/* a user's app passwords; msg_ctlappsq */
	MSG_CONTROL_APPSKEPT,	/* kept last uses, to authpop; msg_appskept */
	/* control -> routepop, likewise */
	MSG_CONTROL_BACKENDS,	/* list the backends; msg_ctlq */
	MSG_CONTROL_DRAIN,	/* send no new user to a backend; msg_net */
	MSG_CONTROL_UNDRAIN,	/* take it back; msg_net */

	/* tablepop -> parent */
	MSG_TABLE_ANSWER,	/* MSG_PARENT_LOOKUP's; msg_tabans */
	MSG_TABLE_READY,	/* file tables loaded; no payload */
	/* tablepop -> authpop, routepop: their channels */
	MSG_TABLE_APPS,		/* the answer to MSG_AUTHPOP_APPS; msg_apps */
	MSG_TABLE_CRED,		/* the answer to MSG_AUTHPOP_LOOKUP; msg_cred */
	MSG_TABLE_ROUTEVAL,	/* MSG_ROUTE_LOOKUP's; msg_routeval */

	/* routepop -> httppop, control, tablepop: their channels */
	MSG_ROUTE_ANSWER,	/* the answer to MSG_HTTP_ROUTE; msg_route */
	MSG_ROUTE_BACKENDS,	/* MSG_CONTROL_BACKENDS' etc.; msg_ctlbackend */
	MSG_ROUTE_LOOKUP,	/* a route database's value; msg_login */

	MSG_MAX
};

struct msg_hdr {
	uint32_t	type;
	uint32_t	version;
	uint32_t	len;
	uint32_t	pad;
};

#define PROC_PARENT		0x01
#define PROC_LISTENER		0x02
#define PROC_AUTHPOP		0x04
#define PROC_WRKRPOP		0x08
#define PROC_LMTP		0x10
#define PROC_DLVRPOP		0x20
#define PROC_CONTROL		0x40
#define PROC_TABLE		0x80
#define PROC_ROUTE		0x100	/* routepop */
#define PROC_KEY		0x200	/* keypop */
#define PROC_HTTP		0x400	/* httppop */

/* A channel's phases, the same on both ends (a worker's: PH_RUN at once). */
#define PH_START		0x01
#define PH_CONF			0x02
#define PH_RUN			0x04
#define PH_DRAIN		0x08
#define PH_SIGN			0x10	/* listener-keypop: asked, unanswered */
#define PH_SETUP		(PH_START | PH_CONF)

#define POPD_MAXPKI		16	/* keypairs, chosen by SNI */
#define POPD_MAXPROXY		64	/* proxy statements */
#define POPD_MAXTLS		16	/* "TLSv1.3", "plaintext" */
#define POPD_MAXLISTEN		64	/* bound sockets (MAX_LISTEN) */

/* A sealed memfd of the checked certificate: the listener opens no file. */
#define PKI_MAXFILE	(1024 * 1024)	/* Let's Encrypt's chains: 6 KB */
struct msg_pki {
	uint32_t	certlen;
};

/* An RSA key of 4096 bits is about 3,300 bytes. */
#define KEY_MAXPEM		16384
struct msg_key {
	uint32_t	len;
	uint8_t		pem[KEY_MAXPEM];
};

/*
 * id: SHA-256 of the public key bits, as libtls names keys.  keypop signs less
 * (sigcheck.c); MSG_KEY_SIGNED len 0: refused.
 */
#define SIGN_MAXIN		1024	/* RSA 8192 */
#define SIGN_MAXSIG		1024
struct msg_sign {
	uint8_t		id[32];
	uint32_t	kind;		/* SIGN_* */
	uint32_t	len;
	uint8_t		in[SIGN_MAXIN];
};
struct msg_signed {
	uint32_t	len;
	uint8_t		sig[SIGN_MAXSIG];
};

/* rev names the key inside a ticket: AES-256 and HMAC keys. */
#define TICKET_KEYLEN		48
struct msg_ticket {
	uint32_t	rev;
	uint8_t		key[TICKET_KEYLEN];
};

/* rev names the listener's key: one new key per clock step. */
struct msg_rekey {
	uint32_t	rev;
	uint32_t	lifetime;
};

/* "up N", "draining N" or "degraded N", at most once a second. */
#define HEALTH_UP		1
#define HEALTH_DRAINING		2
#define HEALTH_DEGRADED		4	/* 3 is CHECK_DOWN */
/*
 * stuck: users with a wrkrpop stuck in the store here, the first
 * HEALTH_STUCKMAX, "" after them: the health port's second line,
 * "stuck NAME ...", so that routepop sends them nowhere until they are
 * out (a second wrkrpop would wait on the first's locks).
 */
#define HEALTH_STUCKMAX		8
#define HEALTH_ANSWERMAX	(32 + HEALTH_STUCKMAX * (POPD_MAXUSER + 1) + 8)
struct msg_health {
	uint32_t	state;		/* HEALTH_* */
	uint32_t	sessions;
	char		stuck[HEALTH_STUCKMAX][POPD_MAXUSER + 1];
};

/* user: no byte below 0x20 nor 0x7f; pass: no CR nor LF. */
enum http_method {
	HM_PLAIN, HM_LOGIN, HM_APOP, HM_CRAMMD5, HM_EXTERNAL, HM_NONE,
	HM_OTHER
};
enum http_proto { HP_POP3, HP_IMAP, HP_SMTP };
struct msg_httpreq {
	uint64_t	id;
	int32_t		method;
	int32_t		protocol;
	int32_t		attempt;	/* Auth-Login-Attempt, >= 1 */
	uint32_t	badchars;
	uint32_t	usertoolong;
	uint32_t	passtoolong;
	struct peeraddr	client;		/* Client-IP, port 0 */
	char		user[POPD_MAXUSER + 1];
	char		pass[511 + 1];	/* COMPAT_PASS_MAX */
};

/* HV_OKTICKET asks httppop for the backend, for the ticket (HV_TICKET). */
enum http_verdict {
	HV_OK, HV_OKTICKET, HV_TICKET, HV_FAIL, HV_LAST, HV_TEMP, HV_PERM,
	HV_BADCHARS, HV_METHOD
};
#define HTTP_TICKETMAX		128	/* a ticket and its NUL */
#define HTTP_WAITMAX		86400
struct msg_verdict {
	uint64_t	id;
	uint64_t	sid;		/* HV_OKTICKET: authpop's; else 0 */
	uint32_t	verdict;	/* HV_* */
	uint32_t	wait;		/* HV_FAIL: >= 1; else 0 */
	char		ticket[HTTP_TICKETMAX];	/* HV_TICKET */
};

struct msg_proxy {
	struct netaddr	net;
	uint32_t	trusted;	/* it terminated TLS for the client */
};

#define APPS_LABELMAX		32	/* apppass.h's APP_LABELMAX */
#define WORKER_CREDMAX		(4 + APPS_LABELMAX + 1)	/* "app:" LABEL */
#define WORKER_FINDMAX		256	/* a Message-ID as logged */

/* The same to a dlvrpop, which reads no settings. */
struct msg_worker {
	char		user[POPD_MAXUSER + 1];
	char		maildir[PATH_MAX];
	struct peeraddr	peer;		/* the client, for logs */
	char		tls[POPD_MAXTLS];	/* the TLS version, for logs */
	char		cred[WORKER_CREDMAX];	/* "password", "app:L" */
	char		find[WORKER_FINDMAX];	/* UIDL, Message-ID or "" */
	struct conf_junk junk;		/* merged after INBOX */
	uint32_t	flags;		/* WORKER_* */
	uint32_t	pad;
	uint64_t	qbytes;		/* the user's limit, 0: none */
	uint64_t	qmsgs;
	int64_t		since;		/* removed since (< 0: seconds ago) */
	struct conf_worker set;
};
#define WORKER_REPORT		0x01	/* popd -m: report, serve nobody */
#define WORKER_JOURNAL		0x04	/* show user: journal or removals */
#define WORKER_DELIVER		0x02	/* to a dlvrpop: deliver, peer 0 */
#define WORKER_UNDELETE		0x08	/* popctl undelete */
#define WORKER_KEPT		0x10	/* popctl show quota: kept messages */
#define WORKER_PROBE		0x20	/* health probe: serve nobody */
#define WORKER_ALL		(WORKER_REPORT | WORKER_DELIVER | \
				 WORKER_JOURNAL | WORKER_UNDELETE | \
				 WORKER_KEPT | WORKER_PROBE)

#define LISTEN_TLS		0x01	/* implicit TLS (RFC 8314) */
#define LISTEN_PROXY		0x02	/* PROXY protocol header first */
#define LISTEN_HTTP		0x04	/* nginx's auth_http: to httppop */
#define LISTEN_UNIX		0x08	/* a unix socket (HTTP or LMTP) */
#define LISTEN_LMTP		0x10	/* LMTP (RFC 2033): to the lmtp process */
#define LISTEN_CONTROL		0x20	/* popctl's: to the control process */
#define LISTEN_HEALTH		0x40	/* a health port: one line, closed */
#define LISTEN_HEALTHHTTP	0x80	/* with LISTEN_HEALTH: its HTTP form */
#define LISTEN_ALL		(LISTEN_TLS | LISTEN_PROXY | LISTEN_HTTP | \
				    LISTEN_UNIX | LISTEN_LMTP | LISTEN_CONTROL | \
				    LISTEN_HEALTH | LISTEN_HEALTHHTTP)

struct msg_listen {
	uint32_t	flags;		/* LISTEN_* */
	uint32_t	pki;		/* the listener's keypair index */
	uint32_t	sock;		/* listens[] index, < POPD_MAXLISTEN */
	uint32_t	uid;		/* unix socket's: only it and root */
};
#define LISTEN_ANYUID		0U

#define SESSION_TLS		0x01	/* the client talks TLS to us */
#define SESSION_TRUSTED		0x02	/* plaintext login allowed anyway */
#define SESSION_STLS		0x04	/* plaintext port: STLS offered */
#define SESSION_RESUMED		0x08	/* after STLS: not greeted again */
#define SESSION_PROXYTRUST	0x10	/* via a proxy that terminated TLS */
#define SESSION_ALL		0x1f

/* The listener's name for a session is its lid. */
struct msg_newsession {
	uint32_t	lid;
	uint32_t	flags;		/* SESSION_TLS/STLS/RESUMED/PROXYTRUST */
	struct peeraddr	peer;		/* the client */
	struct peeraddr	local;		/* the address it connected to */
	char		tls[POPD_MAXTLS];	/* the TLS version, for logs */
	uint32_t	listen;		/* msg_listen's index it came in on */
	int64_t		since;		/* accepted at, unix time */
	uint32_t	waited;		/* greeting to first bytes, seconds */
	uint32_t	pad;
};

/* The parent's name for a session is its id; user: a hand-back's USER. */
struct msg_session {
	uint64_t	id;
	uint32_t	flags;		/* SESSION_*, TRUSTED added */
	uint32_t	waited;		/* msg_newsession's */
	struct peeraddr	peer;		/* the client */
	struct peeraddr	local;		/* the address it connected to */
	char		user[POPD_MAXUSER + 1];
};

/* A draining authpop's idle session, for the current authpop. */
struct msg_handback {
	uint64_t	id;
	uint32_t	waited;
	uint32_t	pad;
	char		user[POPD_MAXUSER + 1];
};

/* KICK_STORE: its wrkrpop is stuck in the store before answering. */
#define KICK_POPCTL		0
#define KICK_STORE		1
struct msg_lid {
	uint32_t	lid;
	uint32_t	why;
};

/* MSG_AUTHPOP_LOGIN (app: the app password's label), _LOOKUP, _ROUTE, _APPS */
struct msg_login {
	uint64_t	id;
	char		user[POPD_MAXUSER + 1];
	uint64_t	nonce;		/* a router's ticket logged in: */
	int64_t		expiry;		/* its nonce and expiry; else 0 */
	char		app[APPS_LABELMAX + 1];
};
/* One expiring past twice this is refused. */
#define TICKET_LIFE	60	/* seconds */

/* Times are CLOCK_MONOTONIC, which both authpops share. */
#define PENALTY_RECS		48
struct penalty_rec {
	struct addrkey	key;
	char		user[POPD_MAXUSER + 1];
	uint32_t	fails;
	double		lastfail;
	double		next;		/* address: no check before */
	double		familiar;	/* user: logged in at, or 0 */
};
struct msg_penalty {
	uint32_t		n;
	struct penalty_rec	rec[PENALTY_RECS];
};

struct msg_id {
	uint64_t	id;
};

#define REFUSED_TEMP		1	/* [SYS/TEMP]: fork failed etc. */
#define REFUSED_PERM		2	/* [SYS/PERM]: no such mail user */
#define REFUSED_DELAY		3	/* [LOGIN-DELAY]: too soon again */
#define REFUSED_BUSY_ADDR	4	/* [SYS/TEMP]: per-address logged-in */
#define REFUSED_BUSY		5	/* [SYS/TEMP]: limit logged-in */
#define REFUSED_TICKET		6	/* [AUTH]: a ticket used before */
#define REFUSED_STUCK		7	/* [IN-USE]: stuck in the store */

struct msg_refused {
	uint64_t	 id;
	uint32_t	 code;		/* REFUSED_* */
	uint32_t	 flags;		/* the session's SESSION_* */
	struct peeraddr	 peer;		/* its client */
	int64_t		 since;		/* REFUSED_STUCK: unix time, else 0 */
};

/* kind TABLE_AUTH (and flags): authtab's image; 0: the app passwords'. */
struct msg_newtab {
	uint32_t	kind;
	uint32_t	pad;
};

/* Opened by the parent: authpop opens no file. */
#define AUTHKEY_TICKET	0	/* ticket key */
#define AUTHKEY_APPS	1	/* app-passwords key */
struct msg_authkey {
	uint32_t	kind;		/* AUTHKEY_* */
	uint32_t	pad;
};

/* tablepop asked it: the parent never holds a password hash. */
#define CRED_FOUND		1
#define CRED_NONE		2
#define CRED_TEMP		3
struct msg_cred {
	uint64_t	id;
	uint32_t	status;		/* CRED_* */
	char		hash[COMPAT_HASH_MAX + 1];	/* CRED_FOUND */
};

/* ROUTE_TEMP: no answer, or no backend of the pool takes users. */
#define ROUTE_FOUND		1
#define ROUTE_NONE		2
#define ROUTE_TEMP		3
struct msg_route {
	uint64_t	id;
	uint32_t	status;		/* ROUTE_* */
	char		addr[INET6_ADDRSTRLEN];	/* ROUTE_FOUND */
};

/* As it came: routepop checks it is a pool. */
#define ROUTE_VALUEMAX		512	/* ROUTE_POOLMAX addresses, blanks */
struct msg_routeval {
	uint64_t	id;
	uint32_t	status;		/* ROUTE_* */
	char		value[ROUTE_VALUEMAX];	/* ROUTE_FOUND */
};

/* Records joined by "," (apppass.h); CRED_TEMP: no answer, or no records. */
#define APPS_RECSMAX		8192	/* apppass.h's APP_RECSMAX */
struct msg_apps {
	uint64_t	id;
	uint32_t	status;		/* CRED_* */
	char		recs[APPS_RECSMAX];	/* CRED_FOUND */
};

/* Gathered for APPUSED_WAIT: one message, not one a login. */
#define APPUSED_MAX		32
#define APPUSED_WAIT		1.0	/* seconds */
struct appuse {
	char		 user[POPD_MAXUSER + 1];
	char		 label[APPS_LABELMAX + 1];
	struct peeraddr	 peer;
};
struct msg_appused {
	uint32_t	 n;
	uint32_t	 pad;
	struct appuse	 use[APPUSED_MAX];
};

/* APPSGONE: those no longer in authpop's file, for control to forget. */
#define APPSKEPT_RECS		256
struct appkept {
	char		 user[POPD_MAXUSER + 1];
	char		 label[APPS_LABELMAX + 1];
};
struct msg_appskept {
	uint32_t	 n;
	uint32_t	 pad;
	struct appkept	 rec[APPSKEPT_RECS];
};

/* LMTP: lmtp names usertab keys; the parent decides ids and maildirs. */
#define LMTP_MAXADDR		255	/* RFC 5321 4.5.3.1.3: a path */

/* Tried in order: as given, without +detail, the local part. */
#define LMTP_MAXKEYS		3
struct msg_rcpt {
	uint64_t	id;		/* the lmtp process's */
	uint32_t	nkeys;		/* 1..LMTP_MAXKEYS */
	uint32_t	pad;
	char		key[LMTP_MAXKEYS][POPD_MAXUSER + 1];
};

/* Only ref names it back: the parent keeps its own copy. */
#define RCPT_OK			1	/* user: the usertab key */
#define RCPT_NONE		2	/* 550 5.1.1 */
#define RCPT_TEMP		3	/* 451 4.3.0: the table is down */
#define RCPT_QUOTA		4	/* over quota: 552 5.2.2 or 452 4.2.2 */
#define RCPT_QUOTASIZE		5	/* SIZE= does not fit: the same */
#define RCPT_QUOTATEMP		6	/* 451 4.3.0: the use cannot be read */
#define RCPT_MAX		RCPT_QUOTATEMP
struct msg_rcptok {
	uint64_t	id;
	uint64_t	ref;		/* RCPT_OK: the parent's name for it */
	uint32_t	status;		/* RCPT_OK, _NONE, _TEMP, _QUOTATEMP */
	uint32_t	uid;		/* RCPT_OK: the maildir's owner */
	uint32_t	gid;
	uint32_t	pad;
	uint64_t	bytes;		/* RCPT_OK: the user's limit, 0 none */
	uint64_t	msgs;
	char		user[POPD_MAXUSER + 1];	/* RCPT_OK, for logs */
	char		maildir[PATH_MAX];	/* RCPT_OK */
};

struct msg_deliver {
	uint64_t	id;		/* the lmtp process's transaction */
	uint32_t	nrcpt;		/* 1..LMTP_MAXRCPT */
	uint32_t	pad;
	uint64_t	ref[LMTP_MAXRCPT];	/* msg_rcptok's, each once */
};

/* MSG_PARENT_DLVRPOP: its pid, fd its channel; MSG_LMTP_KILL: pid dies. */
struct msg_dlvrpop {
	uint64_t	ref;		/* not MSG_LMTP_KILL's */
	int32_t		pid;		/* not MSG_LMTP_DLVRPOP's */
	uint32_t	pad;
};

#define DLV_OK			1	/* 250 2.0.0: fsync'd in new/ */
#define DLV_TEMP		2	/* 451 4.3.0: I/O, lock, a killed worker */
#define DLV_FULL		3	/* 452 4.2.2: ENOSPC, EDQUOT */
#define DLV_QUOTA		4	/* over quota: 552 5.2.2 or 452 4.2.2 */
#define DLV_MAX			DLV_QUOTA

/* Under the limit the parent gave the worker (msg_worker). */
struct msg_job {
	uint64_t	job;		/* the lmtp process's */
};

/* DONE says DLV_QUOTA if size bytes would not fit (0: at the limit). */
struct msg_quota {
	uint64_t	job;
	uint64_t	size;
};

/* Sent before either exists, so a successor finishes or undoes the job. */
struct msg_intent {
	uint64_t	job;
	char		tmp[NAME_MAX + 1];
	char		new[NAME_MAX + 1];
};

struct msg_done {
	uint64_t	job;
	uint32_t	status;		/* DLV_OK, _TEMP, _FULL or _QUOTA */
	uint32_t	counted;	/* bytes, msgs: the use */
	int64_t		bytes;
	int64_t		msgs;
	uint32_t	over;		/* counted: at or over the limit */
	uint32_t	pad;
};

/* popctl's questions on control's own channels; lists end with more 0. */
struct msg_ctlpeer {
	uint32_t	proc;		/* the peer's PROC_* */
	int32_t		pid;		/* for logs */
};

struct msg_ctlq {
	uint64_t	req;
};

/* Host bits are zero. */
struct msg_net {
	uint64_t	req;
	struct netaddr	net;
};

struct msg_count {
	uint64_t	req;
	uint32_t	n;
	uint32_t	pad;
};

/* Connections not handed over yet: in handshake, or greeted and silent. */
#define HS_RECS			256
struct hs_rec {
	struct peeraddr	peer;		/* the client (after PROXY) */
	struct peeraddr	listen;		/* bound address, or af 0 */
	int64_t		since;
	uint32_t	greeted;	/* 1: greeted, not a word yet */
	uint32_t	pad;
};
struct msg_handshakes {
	uint64_t	req;
	uint32_t	n;
	uint32_t	more;		/* 1: another chunk follows */
	struct hs_rec	rec[HS_RECS];
};

/* A user only if authtab knows it: never a password typed as a name. */
#define PENALTY_ROWS		128
struct penalty_row {
	struct addrkey	key;
	char		user[POPD_MAXUSER + 1];
	uint32_t	fails;
	uint32_t	queued;
	double		delay;
};
struct msg_penalties {
	uint64_t		req;
	uint32_t		n;
	uint32_t		more;
	uint32_t		v4bits;	/* its per-address prefixes */
	uint32_t		v6bits;
	struct penalty_row	rec[PENALTY_ROWS];
};

/* popctl: typed requests with the client's socket, for the parent to judge. */
#define CTL_SHOW_SESSIONS	1
#define CTL_SHOW_STATS		2
#define CTL_SHOW_PENALTIES	3
#define CTL_SHOW_METRICS	4
#define CTL_KICK_USER		5
#define CTL_KICK_ADDRESS	6
#define CTL_UNPENALIZE		7
#define CTL_RELOAD		8
#define CTL_LOG_VERBOSE		9
#define CTL_LOG_BRIEF		10
#define CTL_MDA_DELIVERED	11
#define CTL_MDA_DEFERRED	12
#define CTL_MDA_QUOTA		13
#define CTL_SHOW_QUOTA		14
#define CTL_SHOW_APPS		15
#define CTL_SHOW_USER		16
#define CTL_UNDELETE		17
#define CTL_SHOW_CERTS		18
#define CTL_DRAIN		19
#define CTL_UNDRAIN		20
#define CTL_SHOW_BACKENDS	21
#define CTL_MAX			CTL_SHOW_BACKENDS

struct msg_ctlreq {
	uint64_t	req;		/* the control process's */
	uint32_t	cmd;		/* CTL_* */
	uint32_t	pad;
	char		user[POPD_MAXUSER + 1];	/* CTL_KICK_USER etc. */
	struct netaddr	net;		/* a network, or a drained backend */
	char		find[WORKER_FINDMAX];	/* UIDL, Message-ID or "" */
	int64_t		since;		/* CTL_UNDELETE: msg_worker's */
};
/* undelete since TIME: at most 100 years ago. */
#define CTL_SINCE_AGO_MAX	(100LL * 366 * 86400)

/* Answers are records that control prints, so root formats no answer. */
#define CTL_KINDNAME		32
struct ctl_kind {
	char		name[CTL_KINDNAME];	/* pwscheme_hname's */
	uint32_t	weak;
	uint32_t	pad;
	uint64_t	n;		/* users */
};
#define CTL_PKINAME		128	/* CONF_NAMELEN */
struct ctl_pkiexp {
	char		name[CTL_PKINAME];
	int64_t		notafter;	/* unix times */
	int64_t		refused;	/* 0: no renewal refused */
};

struct msg_ctlstats {
	uint64_t	req;
	uint64_t	start[STAT_MAX];	/* since popd started */
	uint64_t	reload[STAT_MAX];	/* since the last reload */
	uint64_t	authorization;		/* sessions now, by state */
	uint64_t	transaction;
	uint64_t	update;
	uint64_t	quota_over;
	uint64_t	stuck;			/* sessions stuck in the store */
	uint64_t	nologin;		/* authtab's, cannot log in */
	int64_t		started;		/* unix times */
	int64_t		reloaded;
	uint32_t	ncerts;
	uint32_t	nkinds;			/* 0: no authtab read */
	struct ctl_pkiexp cert[POPD_MAXPKI];
	struct ctl_kind	kind[STATS_KINDS];
};

/* A listener's handshakes print as such records too. */
#define CTLS_HANDSHAKE		0
#define CTLS_AUTHORIZATION	1
#define CTLS_TRANSACTION	2
#define CTLS_UPDATE		3
#define CTLS_STUCK		4	/* in one store call too long */
#define CTL_SESSROWS		128
struct ctl_session {
	char		user[POPD_MAXUSER + 1];	/* "": none yet */
	char		listener[PEER_STRLEN];	/* "": unknown */
	struct peeraddr	peer;
	uint32_t	state;		/* CTLS_* */
	uint32_t	counted;	/* logged in: retr, octets, marked */
	int64_t		since;		/* unix time, 0: unknown */
	uint64_t	retr;
	uint64_t	octets;
	uint32_t	marked;
	uint32_t	pad;
};
struct msg_ctlsessions {
	uint64_t		req;
	uint32_t		n;
	uint32_t		pad;
	struct ctl_session	rec[CTL_SESSROWS];
};

/* why printable ASCII, cut at CTL_PKIWHY - 1. */
#define CTL_PKIWHY	512
struct msg_ctlcert {
	uint64_t	req;
	char		name[CTL_PKINAME];
	char		subject[256];
	char		serial[68];		/* PKI_SERIALMAX */
	char		sha256[68];		/* PKI_SHA256LEN hex digits */
	char		cert[PATH_MAX];
	char		key[PATH_MAX];
	char		why[CTL_PKIWHY];
	int64_t		notafter;	/* unix times */
	int64_t		loaded;
	int64_t		refused;
};

/* quota CTLQ_NONE for show user, undelete; junkfrom CTLJ_NONE for undelete. */
#define CTLQ_NONE		0
#define CTLQ_NOLIMIT		1	/* show quota: no limit */
#define CTLQ_LIMIT		2	/* a limit; a wrkrpop's text the use */
struct msg_ctluser {
	uint64_t	req;
	char		user[POPD_MAXUSER + 1];
	char		maildir[PATH_MAX];
	uint32_t	quota;		/* CTLQ_* */
	uint32_t	pad0;
	uint64_t	limit_bytes;
	uint64_t	limit_msgs;
	uint32_t	junkfrom;	/* CTLJ_* */
	uint32_t	pad;
	struct conf_junk junk;		/* CTLJ_DEFAULT, CTLJ_TABLE */
};

#define CTLJ_NONE		0	/* not asked (undelete) */
#define CTLJ_DEFAULT		1	/* popd.conf's junk */
#define CTLJ_TABLE		2	/* the user's line in junk users */
#define CTLJ_TEMP		3	/* junk users could not answer */

/* Never a hash; "main" if the main password is barred. */
struct msg_ctlappsq {
	uint64_t	req;
	char		user[POPD_MAXUSER + 1];
};
#define CTL_APPLABEL		33	/* APP_LABELMAX + 1 */
#define CTL_APPDESC		512
#define CTL_APPSMAX		32	/* apppass.h's APP_MAXPERUSER */
struct ctl_app {
	char		label[CTL_APPLABEL];
	char		desc[CTL_APPDESC];
	char		addr[INET6_ADDRSTRLEN];
	int64_t		last;		/* unix time */
};
struct msg_ctlapps {
	uint64_t	req;
	uint32_t	status;		/* CRED_* */
	uint32_t	n;
	char		user[POPD_MAXUSER + 1];	/* "": control adds it */
	struct ctl_app	rec[CTL_APPSMAX];
};

/* health: HEALTH_*, CHECK_DOWN, or 0 unchecked; age -1: never. */
struct msg_ctlbackend {
	uint64_t	req;
	char		addr[INET6_ADDRSTRLEN];
	uint32_t	health;
	uint32_t	drained;
	uint32_t	sessions;	/* its health line's */
	uint32_t	more;
	int64_t		age;
	uint64_t	users;		/* routed since start, reload */
};

/* restart: the changes only a restart applies, one a line. */
#define CTL_RESTARTMAX	2048
struct msg_ctlreload {
	uint64_t	req;
	char		conffile[PATH_MAX];
	char		restart[CTL_RESTARTMAX];
};

/* group: the control group, "" for none. */
struct msg_ctldenied {
	uint64_t	req;
	uint32_t	uid;
	uint32_t	cmd;		/* CTL_* */
	char		group[POPD_MAXUSER + 1];
};

#define CTL_CHUNK		16000
#define ANS_MORE		1	/* text, more follows */
#define ANS_OK			2	/* text, then "ok" */
#define ANS_ERROR		3	/* text is the reason: "error: text" */
struct msg_ctlans {
	uint64_t	req;
	uint32_t	status;		/* ANS_* */
	uint32_t	len;		/* of text */
	char		text[CTL_CHUNK];
};

/*
 * Database tables (tablepop/, the parent's popd/lookup.c).  tablepop
 * runs OpenSMTPD's table programs for the tables the parent names and
 * asks them what the parent asks; the parent checks every answer again
 * (it decides the ids and maildirs) and never takes a missing answer
 * for "no such user".
 */
#define TABLE_NAMELEN		128	/* popd.conf's table names */
#define TABLE_ENVMAX		4096	/* one "NAME=value" */
#define TABLE_VALUEMAX		16384	/* an answer, with its NUL */
#define TABLE_ALIAS		0x01	/* the services (lookup.h) */
#define TABLE_CREDENTIALS	0x04
#define TABLE_USERINFO		0x10

struct msg_table {
	char		name[TABLE_NAMELEN];
	char		program[PATH_MAX];
	char		config[PATH_MAX];
	char		interp[PATH_MAX];
	int32_t		cache;		/* seconds, 0: none */
};

/* kind is table.h's, with TABLE_PASSWD for a passwd-file. */
#define TABLE_FILE_USERS	"/usertab"
#define TABLE_FILE_QUOTAS	"/quota users"
#define TABLE_FILE_JUNK		"/junk users"
struct msg_tabfile {
	char		name[TABLE_NAMELEN];
	uint32_t	kind;
	uint32_t	pad;
};

struct msg_env {
	char		var[TABLE_ENVMAX];
};

struct msg_lookup {
	uint64_t	id;
	int32_t		service;	/* TABLE_ALIAS ... */
	uint32_t	pad;
	char		table[TABLE_NAMELEN];
	char		key[POPD_MAXUSER + 1];
};

/* A credentials value is the hash alone, checked by tablepop. */
#define TABANS_FOUND		1
#define TABANS_NONE		2
#define TABANS_TEMP		3
struct msg_tabans {
	uint64_t	id;
	uint32_t	status;		/* TABANS_* */
	uint32_t	pad;
	char		value[TABLE_VALUEMAX];	/* TABANS_FOUND */
};

/* After CHECK_FAILS failed checks in a row. */
#define CHECK_DOWN		3	/* beside HEALTH_UP, HEALTH_DRAINING */
#define CHECK_FAILS		2

/* Shared by every lmtp process, to keep within limit lmtp-spool together. */
#define SPOOL_SLOTS		8
struct spool_page {
	int64_t		held[SPOOL_SLOTS];
};
struct msg_spoolpage {
	uint32_t	slot;
};

/*
 * gen tells a routepop a reload from its own restart; run, a restart of
 * popd (only the drains are kept then).  The parent never reads the page.
 */
#define ROUTEPAGE_SIZE		(320 * 1024)	/* bytes */
struct msg_routepage {
	uint64_t	gen;
	uint64_t	run;
};

#define VERBOSE_MAX		5
struct msg_verbose {
	int32_t		level;
};

/* msg.c checks every message against this: handlers see checked payloads. */
#define MSG_NOFD		0
#define MSG_FD			1
struct msg_decl {
	uint32_t	  type;
	const char	 *name;
	int		  from;		/* PROC_* */
	int		  to;		/* PROC_*, one or more */
	size_t		  size;
	int		  fd;		/* MSG_FD or MSG_NOFD */
	const char	*(*valid)(const void *);
	int		  phases;	/* PH_* it may arrive in */
	int		  next;		/* PH_* after it, or 0 */
};

const struct msg_decl	*msg_decl(uint32_t);
const struct msg_decl *const *msg_decls(size_t *);
int			 msg_checks(int);
const char		*msg_type_str(uint32_t);
const char		*proc_str(int);

#endif
