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
 * proto.h -- the wire format of the messages between popd processes: the
 * types, their payloads, and the one declaration of each (proto.c, and
 * peers.c for the channels between two children) that
 * the transport (chan.h, msg.c) enforces on both ends.
 */
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
#define MSG_VERSION		72
#define MSG_MAXPAYLOAD		49152	/* struct conf_settings fits */
#define MSG_MAXFDS		8	/* received (and closed) at most */

enum msg_type {
	MSG_NONE = 0,

	/* parent -> a child, before it serves: its configuration */
	MSG_PARENT_CONF,	/* not to a worker: struct conf_settings */
	MSG_PARENT_CONF_PKI,	/* to the listener: fd: a certificate as the
				   parent checked it; msg_pki */
	MSG_PARENT_CONF_KEY,	/* to keypop: a private key; msg_key */
	MSG_PARENT_CONF_PROXY,	/* to the listener and httppop: a proxy;
				   msg_proxy */
	MSG_PARENT_CONF_END,	/* the configuration is complete */
	MSG_PARENT_WORKER,	/* to a wrkrpop or dlvrpop, its one message
				   but its page of counters: its session
				   and settings; msg_worker */
	/* parent -> listener (httppop: LISTEN_HTTP ones) */
	MSG_PARENT_LISTEN,	/* fd: a listening socket; msg_listen */
	MSG_PARENT_STARTTLS,	/* start TLS on a plaintext session; msg_lid */
	/* parent -> authpop */
	MSG_PARENT_SESSION,	/* fd: a new session; msg_session */
	MSG_PARENT_REFUSED,	/* fd: the socket of a login that gets no
				   wrkrpop, back to say why; msg_refused */
	MSG_PARENT_TABLE,	/* fd: the image of authtab or of the app
				   passwords' file (tabimage.c): a reload's,
				   to an authpop it did not replace, or the
				   app passwords' with a new one's settings;
				   msg_newtab */
	MSG_PARENT_AUTHKEY,	/* fd: the ticket key or the app passwords'
				   key, with a new one's settings;
				   msg_authkey */
	MSG_PARENT_APPSASK,	/* a reload's app passwords are in no file:
				   ask tablepop for them; no payload */
	/* parent -> listener, authpop */
	MSG_PARENT_DRAIN,	/* after a reload: take no new work, exit 0
				   when the last session is over; no payload */
	MSG_PARENT_PENALTY,	/* to authpop: failures and familiar users
				   its predecessor knew; msg_penalty */
	/* parent -> lmtp (and MSG_PARENT_LISTEN: LISTEN_LMTP ones) */
	MSG_PARENT_RCPT,	/* the answer to MSG_LMTP_RCPT; msg_rcptok */
	MSG_PARENT_DLVRPOP,	/* fd: the channel of a new dlvrpop, the
				   answer to MSG_LMTP_DLVRPOP; msg_dlvrpop */
	MSG_PARENT_NODLVRPOP,	/* none could start; msg_dlvrpop */
	MSG_PARENT_SPOOLPAGE,	/* fd: the page where every lmtp process
				   says what it spools; msg_spoolpage */
	/* parent -> control */
	MSG_PARENT_ANSWER,	/* a piece of the answer to a request;
				   msg_ctlans */
	MSG_PARENT_CTLSTATS,	/* show stats, show metrics: the counters;
				   msg_ctlstats */
	MSG_PARENT_CTLSESSIONS,	/* show sessions, in chunks; msg_ctlsessions */
	MSG_PARENT_CTLCOUNT,	/* kick user, drain: how many;
				   msg_count */
	MSG_PARENT_CTLCERT,	/* show certificates: a pki; msg_ctlcert */
	MSG_PARENT_CTLUSER,	/* show user, undelete, show quota: the
				   user's maildir (and quota); msg_ctluser */
	MSG_PARENT_CTLRELAY,	/* fd: a wrkrpop's text for the answer, to
				   relay to its end; msg_ctlq */
	MSG_PARENT_CTLRELOAD,	/* reload: what was reloaded;
				   msg_ctlreload */
	MSG_PARENT_CTLDENIED,	/* a request refused to its peer, which
				   ends the answer; msg_ctldenied */
	MSG_PARENT_CTLPEER,	/* fd: a channel to a listener, the
				   current authpop or routepop, for
				   popctl's questions; msg_ctlpeer */
	MSG_PARENT_APPSLAST,	/* fd: the app passwords' state file
				   (app-passwords last), opened by root;
				   no payload */
	/* parent -> listener, authpop, routepop */
	MSG_PARENT_CTLCHAN,	/* fd: its channel to the control process
				   (a new one replaces the old); no
				   payload */
	/* parent -> listener, authpop, lmtp, control, tablepop, routepop,
	   keypop, httppop */
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
	MSG_PARENT_CONF_ENV,	/* a variable of popd's environment at
				   start, for the table programs; msg_env */
	MSG_PARENT_LOOKUP,	/* a question for a table; msg_lookup */
	MSG_PARENT_CONF_FILE,	/* fd: a file table (usertab, quota or
				   junk users), opened by root; msg_tabfile */
	MSG_PARENT_TABLEPEER,	/* fd: a channel to an authpop or a
				   routepop; msg_ctlpeer */
	/* parent -> authpop, routepop */
	MSG_PARENT_TABLECHAN,	/* fd: its channel to the current tablepop
				   (a new one replaces the old); no
				   payload */
	/* parent -> routepop */
	MSG_PARENT_CONF_ROUTE,	/* fd: the route file, opened by root;
				   no payload */
	MSG_PARENT_ROUTEPAGE,	/* fd: the page where the backends' states
				   outlive a routepop; msg_routepage */
	MSG_PARENT_ROUTEPEER,	/* fd: a channel to an httppop;
				   msg_ctlpeer */
	/* parent -> httppop */
	MSG_PARENT_ROUTECHAN,	/* fd: its channel to the current routepop
				   (a new one replaces the old); no
				   payload */
	/* parent -> authpop, httppop */
	MSG_PARENT_HTTPPEER,	/* to authpop: fd: a channel to httppop
				   (a new one replaces the old);
				   msg_ctlpeer */
	MSG_PARENT_AUTHCHAN,	/* to httppop: fd: its channel to the
				   current authpop (a new one replaces
				   the old); no payload */

	/* listener -> parent */
	MSG_LISTENER_SESSION,	/* fd: a client is ready; msg_newsession */
	MSG_LISTENER_FULL,	/* it holds as many connections as its
				   descriptors allow (n 1) and takes no
				   more, or takes them again (n 0);
				   msg_count, req 0 */
	MSG_LISTENER_REKEY,	/* its wall clock stepped ahead: a ticket
				   key now, please; msg_rekey */

	/* httppop -> authpop, on the channel the parent made them */
	MSG_HTTP_VERIFY,	/* an auth_http request's password, to
				   check; msg_httpreq */
	MSG_HTTP_TICKET,	/* a ticket for the backend of a request
				   said HV_OKTICKET, id its sid; msg_route */
	/* httppop -> routepop, likewise */
	MSG_HTTP_ROUTE,		/* a user's backend, please; msg_login */

	/* listener -> keypop, on the channel the parent made them */
	MSG_LISTENER_SIGN,	/* sign a handshake, one at a time; msg_sign */
	/* keypop -> listener */
	MSG_KEY_SIGNED,		/* the answer to MSG_LISTENER_SIGN; msg_signed */

	/* listener -> control, on the channel the parent made them */
	MSG_LISTENER_HANDSHAKES, /* the answer to MSG_CONTROL_HANDSHAKES, in
				   chunks; msg_handshakes */
	MSG_LISTENER_KICKED,	/* the answer to MSG_CONTROL_KICKNET;
				   msg_count */

	/* authpop -> parent */
	MSG_AUTHPOP_LOGIN,	/* fd: the session socket; msg_login */
	MSG_AUTHPOP_CLOSED,	/* session ended before login; msg_id */
	MSG_AUTHPOP_STLS,	/* client said STLS; msg_id */
	MSG_AUTHPOP_PENALTY,	/* draining: what it knows of addresses, for
				   its successor; msg_penalty */
	MSG_AUTHPOP_READY,	/* its tables are loaded, it is confined:
				   it may have sessions now; no payload */
	MSG_AUTHPOP_HANDBACK,	/* draining: fd: a session that waits for a
				   command, for the current authpop;
				   msg_handback */
	/* authpop -> control, on the channel the parent made them */
	MSG_AUTHPOP_APPUSED,	/* an app password logged in; msg_appused */
	MSG_AUTHPOP_CTLAPPS,	/* the answer to MSG_CONTROL_APPS;
				   msg_ctlapps */
	MSG_AUTHPOP_APPSGONE,	/* the answer to MSG_CONTROL_APPSKEPT:
				   those no longer in its file;
				   msg_appskept */
	MSG_AUTHPOP_PENALTIES,	/* the answer to MSG_CONTROL_PENALTIES, in
				   chunks; msg_penalties */
	MSG_AUTHPOP_UNPENALIZED, /* the answer to MSG_CONTROL_UNPENALIZE;
				   msg_count */
	/* authpop -> httppop, on the channel the parent made them */
	MSG_AUTHPOP_VERDICT,	/* the answer to MSG_HTTP_VERIFY or
				   MSG_HTTP_TICKET; msg_verdict */
	/* authpop -> tablepop, on the channel the parent made them */
	MSG_AUTHPOP_APPS,	/* a user's app passwords, please; msg_login */
	MSG_AUTHPOP_LOOKUP,	/* authtab is a database table: a user's
				   password hash, please; msg_login */

	/* lmtp -> parent */
	MSG_LMTP_RCPT,		/* RCPT TO: whose is it? msg_rcpt */
	MSG_LMTP_FORGET,	/* a transaction ended, delivered or not:
				   its recipients; msg_deliver */
	MSG_LMTP_DLVRPOP,	/* start a dlvrpop for a recipient's
				   maildir; msg_dlvrpop */
	MSG_LMTP_KILL,		/* that dlvrpop is past timeout delivery,
				   or broke the protocol; msg_dlvrpop */
	/* lmtp -> dlvrpop, on the channel the parent made them */
	MSG_LMTP_JOB,		/* fd: a spooled message; msg_job */
	MSG_LMTP_DLVCHECK,	/* finish or undo what a killed worker of
				   this maildir meant to do; msg_intent */
	MSG_LMTP_QUOTA,		/* the maildir's use against its limit,
				   for a RCPT; msg_quota */

	/* dlvrpop -> lmtp */
	MSG_DLVRPOP_INTENT,	/* the names it is about to use; msg_intent */
	MSG_DLVRPOP_DONE,	/* a job is over; msg_done */

	/* control -> parent */
	MSG_CONTROL_REQUEST,	/* fd: the client's socket, whose peer
				   the parent judges; msg_ctlreq */
	/* control -> listener, once the parent let the client ask */
	MSG_CONTROL_HANDSHAKES,	/* list the connections not yet handed
				   over (TLS handshake); msg_ctlq */
	MSG_CONTROL_KICKNET,	/* end every connection of a network, say
				   how many; msg_net */
	/* control -> authpop, likewise */
	MSG_CONTROL_PENALTIES,	/* list the failures; msg_ctlq */
	MSG_CONTROL_UNPENALIZE,	/* forget a network's failures, say how
				   many entries; msg_net */
	MSG_CONTROL_APPS,	/* a user's app passwords, without their
				   hashes; msg_ctlappsq */
	MSG_CONTROL_APPSKEPT,	/* app passwords whose last use it keeps,
				   to a new authpop; msg_appskept */
	/* control -> routepop, likewise */
	MSG_CONTROL_BACKENDS,	/* list the backends; msg_ctlq */
	MSG_CONTROL_DRAIN,	/* send no new user to a backend; msg_net */
	MSG_CONTROL_UNDRAIN,	/* take it back; msg_net */

	/* tablepop -> parent */
	MSG_TABLE_ANSWER,	/* the answer to MSG_PARENT_LOOKUP;
				   msg_tabans */
	MSG_TABLE_READY,	/* its file tables are loaded: it may be
				   asked now; no payload */
	/* tablepop -> authpop, routepop: their channels */
	MSG_TABLE_APPS,		/* the answer to MSG_AUTHPOP_APPS; msg_apps */
	MSG_TABLE_CRED,		/* the answer to MSG_AUTHPOP_LOOKUP; msg_cred */
	MSG_TABLE_ROUTEVAL,	/* the answer to MSG_ROUTE_LOOKUP;
				   msg_routeval */

	/* routepop -> httppop, control, tablepop: their channels */
	MSG_ROUTE_ANSWER,	/* the answer to MSG_HTTP_ROUTE; msg_route */
	MSG_ROUTE_BACKENDS,	/* the answer to MSG_CONTROL_BACKENDS,
				   _DRAIN, _UNDRAIN; msg_ctlbackend */
	MSG_ROUTE_LOOKUP,	/* the route table is a database: a user's
				   or domain's value, please; msg_login */

	MSG_MAX
};

struct msg_hdr {
	uint32_t	type;
	uint32_t	version;
	uint32_t	len;
	uint32_t	pad;
};

/* The processes, as senders and receivers of messages. */
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

/*
 * The phases of a channel, the same on both ends: a child waits for its
 * settings (PH_START: MSG_PARENT_CONF, once, after its page of counters,
 * MSG_PARENT_STATS), is configured (PH_CONF) until MSG_PARENT_CONF_END,
 * serves (PH_RUN), and after MSG_PARENT_DRAIN finishes what it has
 * (PH_DRAIN).  A worker's MSG_PARENT_WORKER takes it from PH_START to
 * PH_RUN at once.
 */
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

/*
 * MSG_PARENT_CONF_PKI: a file of no name (sealed on Linux) that holds
 * the certificate file's bytes as the parent read and checked them with
 * their key (pki.c): the listener opens no file of its own, and its key
 * goes to keypop alone (MSG_PARENT_CONF_KEY).
 */
#define PKI_MAXFILE	(1024 * 1024)	/* Let's Encrypt's chains: 6 KB */
struct msg_pki {
	uint32_t	certlen;
};

/*
 * MSG_PARENT_CONF_KEY: a pki key file's bytes (PEM), read by the
 * parent, for keypop alone.  An RSA key of 4096 bits is about 3,300.
 */
#define KEY_MAXPEM		16384
struct msg_key {
	uint32_t	len;
	uint8_t		pem[KEY_MAXPEM];
};

/*
 * MSG_LISTENER_SIGN: what a handshake signs, for the key whose public
 * key hashes to id (SHA-256 of the certificate's public key bits, as
 * libtls names keys).  The kinds (compat.h) and their sizes: SIGN_RSA_PKCS1,
 * a DigestInfo to pad, and SIGN_ECDSA, a digest, 1 to 128 bytes;
 * SIGN_RSA_RAW, RSA_size bytes already PSS-encoded (RSA of 1024 to 8192
 * bits: what libtls took before keypop).  What keypop signs of those is
 * narrower (keypop/sigcheck.c).  MSG_KEY_SIGNED: the signature, or len
 * 0 (no such key, or a request keypop does not sign: logged by keypop).
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

/*
 * MSG_PARENT_TICKET: the newest key of the tickets every listener issues
 * (popd/tlskeys.c); rev names it inside a ticket.  libtls's
 * TLS_TICKET_KEY_SIZE: the AES-256 key and the HMAC key.
 */
#define TICKET_KEYLEN		48
struct msg_ticket {
	uint32_t	rev;
	uint8_t		key[TICKET_KEYLEN];
};

/*
 * MSG_LISTENER_REKEY: the listener's newest key looks older by its wall
 * clock than the parent's timer lets a key get (listener.c); rev names
 * that key, so that the parent makes one key for a step, not one per
 * listener that saw it, and lifetime is the listener's tls tickets (a
 * draining one's may be a reload older than the parent's).
 */
struct msg_rekey {
	uint32_t	rev;
	uint32_t	lifetime;
};

/*
 * MSG_PARENT_HEALTH: what the listener answers on a health port (listen
 * ... health), "up N", "draining N" or "degraded N" (a session stuck in
 * the mail store), N the sessions logged in now.  The parent sends it
 * when it changes, sessions at most once a second, so the listener
 * never asks (popd/health.c).
 */
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

/*
 * MSG_HTTP_VERIFY: what authpop needs of an auth_http request head that
 * httppop parsed (httppop/http.h's struct http_req) to check its
 * password; id is httppop's, for the answer.  user holds no byte below
 * 0x20 nor 0x7f, pass no CR nor LF; each is "" when badchars, or its
 * toolong flag, is set.
 */
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

/*
 * MSG_AUTHPOP_VERDICT: authpop's answer to request id, when it is due
 * (the failure delays are authpop's).  HV_OK: a good password, which
 * HV_OKTICKET says too and asks httppop for the user's backend
 * (MSG_HTTP_TICKET, whose id is sid), to make a router's ticket for
 * it; HV_TICKET: that ticket, "" if none could be made.  wait:
 * HV_FAIL's Auth-Wait, seconds; nginx shows the others' texts
 * (httppop.c) to the client.
 */
enum http_verdict {
	HV_OK, HV_OKTICKET, HV_TICKET, HV_FAIL, HV_LAST, HV_TEMP, HV_PERM,
	HV_BADCHARS, HV_METHOD
};
#define HTTP_TICKETMAX		128	/* a ticket and its NUL */
#define HTTP_WAITMAX		86400
struct msg_verdict {
	uint64_t	id;
	uint64_t	sid;		/* HV_OKTICKET: authpop's, for
					   MSG_HTTP_TICKET; else 0 */
	uint32_t	verdict;	/* HV_* */
	uint32_t	wait;		/* HV_FAIL: >= 1; else 0 */
	char		ticket[HTTP_TICKETMAX];	/* HV_TICKET */
};

/* MSG_PARENT_CONF_PROXY */
struct msg_proxy {
	struct netaddr	net;
	uint32_t	trusted;	/* it terminated TLS for the client */
};

#define APPS_LABELMAX		32	/* apppass.h's APP_LABELMAX */
#define WORKER_CREDMAX		(4 + APPS_LABELMAX + 1)	/* "app:" LABEL */
#define WORKER_FINDMAX		256	/* a Message-ID as logged */

/*
 * MSG_PARENT_WORKER: who logged in, from where, into which maildir, and
 * the settings a session reads (the same to a dlvrpop, which reads none).
 */
struct msg_worker {
	char		user[POPD_MAXUSER + 1];
	char		maildir[PATH_MAX];
	struct peeraddr	peer;		/* the client, for logs */
	char		tls[POPD_MAXTLS];	/* the TLS version, for logs */
	char		cred[WORKER_CREDMAX];	/* what logged in, for logs:
					   "password", "ticket", "app:LABEL";
					   "" without a client */
	char		find[WORKER_FINDMAX];	/* WORKER_JOURNAL,
					   WORKER_UNDELETE: a UIDL or a
					   Message-ID, or "" */
	struct conf_junk junk;		/* a session's: the folder merged
					   after INBOX (junk, junk users),
					   "" for none and the others */
	uint32_t	flags;		/* WORKER_* */
	uint32_t	pad;
	uint64_t	qbytes;		/* WORKER_DELIVER, WORKER_KEPT: the
					   user's limit, 0: none */
	uint64_t	qmsgs;
	int64_t		since;		/* WORKER_UNDELETE: removed since
					   this time, or this many seconds
					   ago if negative; 0: not asked */
	struct conf_worker set;
};
#define WORKER_REPORT		0x01	/* popd -m: report, serve nobody */
#define WORKER_JOURNAL		0x04	/* popctl show user: the journal
					   summed up, or find's removals */
#define WORKER_DELIVER		0x02	/* to a dlvrpop: deliver, peer 0 */
#define WORKER_UNDELETE		0x08	/* popctl undelete: kept messages
					   back, all, since or find */
#define WORKER_KEPT		0x10	/* popctl show quota: the kept
					   messages counted */
#define WORKER_PROBE		0x20	/* health probe: the store answers,
					   serve nobody */
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

/* MSG_PARENT_LISTEN */
struct msg_listen {
	uint32_t	flags;		/* LISTEN_* */
	uint32_t	pki;		/* the listener's keypair index */
	uint32_t	sock;		/* listens[] index, < POPD_MAXLISTEN */
	uint32_t	uid;		/* a unix socket's user (listen ...
					   user): auth-http answers only it
					   and root, lmtp keeps room for it;
					   LISTEN_ANYUID (root's): none */
};
#define LISTEN_ANYUID		0U

#define SESSION_TLS		0x01	/* the client talks TLS to us */
#define SESSION_TRUSTED		0x02	/* plaintext login allowed anyway */
#define SESSION_STLS		0x04	/* plaintext port: STLS offered */
#define SESSION_RESUMED		0x08	/* after STLS (the listener greeted
					   before it, not again) */
#define SESSION_PROXYTRUST	0x10	/* listener to parent: via a proxy
					   that terminated TLS (trusted) */
#define SESSION_ALL		0x1f

/* MSG_LISTENER_SESSION: the listener's name for a session is its lid. */
struct msg_newsession {
	uint32_t	lid;
	uint32_t	flags;		/* SESSION_TLS/STLS/RESUMED/PROXYTRUST */
	struct peeraddr	peer;		/* the client */
	struct peeraddr	local;		/* the address it connected to */
	char		tls[POPD_MAXTLS];	/* the TLS version, for logs */
	uint32_t	listen;		/* msg_listen's index it came in on */
	int64_t		since;		/* accepted at, unix time */
	uint32_t	waited;		/* seconds from the greeting to the
					   client's first bytes */
	uint32_t	pad;
};

/*
 * MSG_PARENT_SESSION: the parent's name for a session is its id.  The
 * listener greeted it and handed it over with the client's first bytes
 * in the socket; or a draining authpop handed it back (user: what its
 * USER named, if anything), and there may be none.
 */
struct msg_session {
	uint64_t	id;
	uint32_t	flags;		/* SESSION_*, TRUSTED added */
	uint32_t	waited;		/* msg_newsession's */
	struct peeraddr	peer;		/* the client */
	struct peeraddr	local;		/* the address it connected to */
	char		user[POPD_MAXUSER + 1];
};

/*
 * MSG_AUTHPOP_HANDBACK: a draining authpop's session that waits for a
 * command, with nothing of one read and no check under way: the parent
 * gives it to the current authpop, which checks its next command against
 * the reload's tables.  waited: seconds since the greeting.
 */
struct msg_handback {
	uint64_t	id;
	uint32_t	waited;
	uint32_t	pad;
	char		user[POPD_MAXUSER + 1];
};

/*
 * MSG_PARENT_STARTTLS (why 0), MSG_PARENT_KICK: why KICK_STORE, its
 * wrkrpop is stuck in the store before it answered the login: the
 * listener answers -ERR [SYS/TEMP] if the client waits for an answer.
 */
#define KICK_POPCTL		0
#define KICK_STORE		1
struct msg_lid {
	uint32_t	lid;
	uint32_t	why;
};

/*
 * MSG_AUTHPOP_LOGIN (app: the label of the app password that logged in,
 * else ""), MSG_AUTHPOP_LOOKUP, _ROUTE, _APPS (app "")
 */
struct msg_login {
	uint64_t	id;
	char		user[POPD_MAXUSER + 1];
	uint64_t	nonce;		/* a router's ticket logged in: */
	int64_t		expiry;		/* its nonce and expiry; else 0 */
	char		app[APPS_LABELMAX + 1];
};
/* A router's ticket's life; one expiring past twice that is refused. */
#define TICKET_LIFE	60	/* seconds */

/*
 * MSG_AUTHPOP_PENALTY, MSG_PARENT_PENALTY: an address's recent failures
 * (user ""), or a user's as tried from an address, and when it last
 * logged in from there (authpop/host.c).  Times are CLOCK_MONOTONIC
 * seconds, which both authpops share.
 */
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

/* MSG_AUTHPOP_CLOSED, MSG_AUTHPOP_STLS */
struct msg_id {
	uint64_t	id;
};

#define REFUSED_TEMP		1	/* [SYS/TEMP]: fork failed etc. */
#define REFUSED_PERM		2	/* [SYS/PERM]: no such mail user */
#define REFUSED_DELAY		3	/* [LOGIN-DELAY]: too soon again */
#define REFUSED_BUSY_ADDR	4	/* [SYS/TEMP]: per-address logged-in */
#define REFUSED_BUSY		5	/* [SYS/TEMP]: limit logged-in */
#define REFUSED_TICKET		6	/* [AUTH]: a ticket used before */
#define REFUSED_STUCK		7	/* [IN-USE]: a session of the user is
					   stuck in the store since since */

/* MSG_PARENT_REFUSED */
struct msg_refused {
	uint64_t	 id;
	uint32_t	 code;		/* REFUSED_* */
	uint32_t	 flags;		/* the session's SESSION_* */
	struct peeraddr	 peer;		/* its client */
	int64_t		 since;		/* REFUSED_STUCK: unix time, else 0 */
};

/*
 * MSG_PARENT_TABLE: kind TABLE_AUTH with TABLE_PASSWD, TABLE_WEAK and
 * TABLE_SKIP as the new popd.conf says (table.h): the fd is authtab's
 * image; kind 0: the fd is the app passwords' image.
 */
struct msg_newtab {
	uint32_t	kind;
	uint32_t	pad;
};

/*
 * MSG_PARENT_AUTHKEY: a key file the settings name, opened by the
 * parent (authpop opens no file).
 */
#define AUTHKEY_TICKET	0	/* ticket key */
#define AUTHKEY_APPS	1	/* app-passwords key */
struct msg_authkey {
	uint32_t	kind;		/* AUTHKEY_* */
	uint32_t	pad;
};

/*
 * MSG_TABLE_CRED: authtab's database's answer for session id's user,
 * which tablepop asked (the credentials service): the parent never
 * holds a password hash.
 * CRED_NONE: no such user (checked against the dummy hash, as unknown
 * users of a file); CRED_TEMP: the table could not answer ([SYS/TEMP]).
 */
#define CRED_FOUND		1
#define CRED_NONE		2
#define CRED_TEMP		3
struct msg_cred {
	uint64_t	id;
	uint32_t	status;		/* CRED_* */
	char		hash[COMPAT_HASH_MAX + 1];	/* CRED_FOUND */
};

/*
 * MSG_ROUTE_ANSWER: the route table's backend for request id's user (or
 * for its domain), a literal IP address; ROUTE_TEMP: the table could not
 * answer, or no backend of its pool takes users (logged by routepop).
 */
#define ROUTE_FOUND		1
#define ROUTE_NONE		2
#define ROUTE_TEMP		3
struct msg_route {
	uint64_t	id;
	uint32_t	status;		/* ROUTE_* */
	char		addr[INET6_ADDRSTRLEN];	/* ROUTE_FOUND */
};

/*
 * MSG_TABLE_ROUTEVAL: the route database's alias answer for key id of
 * a routepop's, as it came (routepop checks it is a pool of addresses);
 * ROUTE_TEMP too for one longer than value.
 */
#define ROUTE_VALUEMAX		512	/* ROUTE_POOLMAX addresses, blanks */
struct msg_routeval {
	uint64_t	id;
	uint32_t	status;		/* ROUTE_* */
	char		value[ROUTE_VALUEMAX];	/* ROUTE_FOUND */
};

/*
 * MSG_TABLE_APPS: the app passwords of session id's user, as records
 * joined by "," (apppass.h), from the app-passwords database's alias
 * answer, which tablepop asked; CRED_NONE: the user has none; CRED_TEMP: the table
 * could not answer, or answered what is no records (logged).
 */
#define APPS_RECSMAX		8192	/* apppass.h's APP_RECSMAX */
struct msg_apps {
	uint64_t	id;
	uint32_t	status;		/* CRED_* */
	char		recs[APPS_RECSMAX];	/* CRED_FOUND */
};

/*
 * MSG_AUTHPOP_APPUSED: n app passwords that were good, for the last
 * uses the control process keeps and popctl shows: user's label, from
 * peer (a POP3 client, or the address nginx vouches for).  authpop
 * sends them a second after the first (APPUSED_WAIT), when APPUSED_MAX
 * wait, before it answers popctl's question and when it drains: one
 * message, not one a login.
 */
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

/*
 * MSG_CONTROL_APPSKEPT: app passwords whose last use the control process
 * keeps, to each new current authpop (after a reload, a restart), in
 * chunks; MSG_AUTHPOP_APPSGONE: those of a chunk that authpop's file no
 * longer has, which it forgets.  A database's are never said gone.
 */
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

/*
 * LMTP (lmtp/lmtp.c, the parent's popd/recipients.c, dlvrpop/).  A
 * recipient is the address of RCPT TO; the parent answers with the
 * usertab key it found for it.  A transaction's recipients are named by
 * those keys again at delivery, and the parent looks each up again (a
 * table lookup, or its cache): the lmtp process names users, the parent
 * decides their ids and maildirs.
 */
#define LMTP_MAXADDR		255	/* RFC 5321 4.5.3.1.3: a path */

/*
 * MSG_LMTP_RCPT: the usertab keys a RCPT path names, in the order they
 * are tried (lmtp_rcpt_keys: as given, without a +detail, the local
 * part), each a user name, each once.  The parent reads no address.
 */
#define LMTP_MAXKEYS		3
struct msg_rcpt {
	uint64_t	id;		/* the lmtp process's */
	uint32_t	nkeys;		/* 1..LMTP_MAXKEYS */
	uint32_t	pad;
	char		key[LMTP_MAXKEYS][POPD_MAXUSER + 1];
};

/*
 * MSG_PARENT_RCPT.  RCPT_OK: who the recipient is and its quota, which
 * the lmtp process uses to group recipients by maildir, to keep one
 * dlvrpop per maildir and limit, and for logs; only ref names it back
 * (MSG_LMTP_DLVRPOP starts a dlvrpop with the parent's own copy).
 */
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

/* MSG_LMTP_FORGET: the refs of one transaction. */
struct msg_deliver {
	uint64_t	id;		/* the lmtp process's transaction */
	uint32_t	nrcpt;		/* 1..LMTP_MAXRCPT */
	uint32_t	pad;
	uint64_t	ref[LMTP_MAXRCPT];	/* msg_rcptok's, each once */
};

/*
 * MSG_LMTP_DLVRPOP: a dlvrpop for ref's maildir, as its user, under its
 * limit; MSG_PARENT_DLVRPOP its pid (its channel: the fd), or
 * MSG_PARENT_NODLVRPOP; MSG_LMTP_KILL: pid, which the parent started
 * for this lmtp process, is killed.
 */
struct msg_dlvrpop {
	uint64_t	ref;		/* not MSG_LMTP_KILL's */
	int32_t		pid;		/* not MSG_LMTP_DLVRPOP's */
	uint32_t	pad;
};

/* A job's status, for each of its recipients. */
#define DLV_OK			1	/* 250 2.0.0: fsync'd in new/ */
#define DLV_TEMP		2	/* 451 4.3.0: I/O, lock, a killed worker */
#define DLV_FULL		3	/* 452 4.2.2: ENOSPC, EDQUOT */
#define DLV_QUOTA		4	/* over quota: 552 5.2.2 or 452 4.2.2 */
#define DLV_MAX			DLV_QUOTA

/*
 * MSG_LMTP_JOB: write the fd's message into the maildir, under the
 * limit the parent gave the worker (msg_worker).
 */
struct msg_job {
	uint64_t	job;		/* the lmtp process's */
};

/*
 * MSG_LMTP_QUOTA: the maildir's use (quota_read) against the worker's
 * limit; DONE says DLV_QUOTA if a message of size bytes would not fit
 * (size 0: if the maildir is at or over the limit), with the use.
 */
struct msg_quota {
	uint64_t	job;
	uint64_t	size;
};

/*
 * MSG_DLVRPOP_INTENT, MSG_LMTP_DLVCHECK: a job's names, tmp/ and new/
 * (no "/"), sent before either exists.  When a worker dies during a
 * job, the lmtp process asks its successor to look: the message in new/
 * (or cur/) means it was delivered, and the job is done (DLV_OK); else
 * the tmp/ file, if any, is removed (DLV_TEMP).  Never twice, never lost.
 */
struct msg_intent {
	uint64_t	job;
	char		tmp[NAME_MAX + 1];
	char		new[NAME_MAX + 1];
};

/* MSG_DLVRPOP_DONE */
struct msg_done {
	uint64_t	job;
	uint32_t	status;		/* DLV_OK, _TEMP, _FULL or _QUOTA */
	uint32_t	counted;	/* bytes, msgs: the use, after a
					   delivery under a limit, or
					   MSG_LMTP_QUOTA's */
	int64_t		bytes;
	int64_t		msgs;
	uint32_t	over;		/* counted: at or over the limit */
	uint32_t	pad;
};

/*
 * popctl's questions to the listener and authpop, which the control
 * process asks on a channel of its own to each (control/control.c)
 * once the parent let the client ask.  req is the control process's
 * name for the question; the answer names it again.  Lists come in
 * chunks, the last one with more 0.
 */
struct msg_ctlpeer {
	uint32_t	proc;		/* PROC_LISTENER, PROC_AUTHPOP, or
					   PROC_ROUTE (to control);
					   PROC_AUTHPOP or PROC_ROUTE (to
					   tablepop); PROC_HTTP (to authpop,
					   routepop) */
	int32_t		pid;		/* for logs */
};

struct msg_ctlq {
	uint64_t	req;
};

/* MSG_CONTROL_KICKNET, MSG_CONTROL_UNPENALIZE: host bits are zero. */
struct msg_net {
	uint64_t	req;
	struct netaddr	net;
};

/* MSG_LISTENER_KICKED, MSG_LISTENER_FULL, MSG_AUTHPOP_UNPENALIZED */
struct msg_count {
	uint64_t	req;
	uint32_t	n;
	uint32_t	pad;
};

/*
 * MSG_LISTENER_HANDSHAKES: connections not handed over yet, in their
 * handshake or greeted and silent.
 */
#define HS_RECS			256
struct hs_rec {
	struct peeraddr	peer;		/* the client (after PROXY) */
	struct peeraddr	listen;		/* the socket's bound address, or
					   af 0: unknown */
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

/*
 * MSG_AUTHPOP_PENALTIES: an address's failures (user ""), or a user's
 * as tried from an address (only a user authtab knows: a password
 * typed as a name is never shown).  delay: seconds between its checks
 * and before its failure replies now; queued: its checks waiting.
 */
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

/*
 * popctl (control/control.c, the parent's popd/requests.c).  The control
 * process reads one request line from a client of the control socket,
 * parses it (common/control_cmd.c) and sends it typed, with the client's
 * socket: the parent judges the peer's credentials itself.  The answer comes back
 * as records (below), then ANS_OK, or ANS_ERROR with the reason.
 */
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

/* MSG_CONTROL_REQUEST */
struct msg_ctlreq {
	uint64_t	req;		/* the control process's */
	uint32_t	cmd;		/* CTL_* */
	uint32_t	pad;
	char		user[POPD_MAXUSER + 1];	/* CTL_KICK_USER, _SHOW_QUOTA,
					   _SHOW_APPS, _SHOW_USER,
					   _UNDELETE */
	struct netaddr	net;		/* CTL_KICK_ADDRESS, CTL_UNPENALIZE;
					   CTL_DRAIN, _UNDRAIN: a backend
					   (a host), or none (af 0) */
	char		find[WORKER_FINDMAX];	/* CTL_SHOW_USER,
					   CTL_UNDELETE: a UIDL or a
					   Message-ID, or "" */
	int64_t		since;		/* CTL_UNDELETE: msg_worker's */
};
/* undelete since TIME: at most this many seconds ago (100 years). */
#define CTL_SINCE_AGO_MAX	(100LL * 366 * 86400)

/*
 * The parent's answers as records: the control process prints them
 * (control/print.c), so that root formats no answer.  A record names
 * the request; the answer ends with MSG_PARENT_ANSWER (or a refusal,
 * MSG_PARENT_CTLDENIED).
 */
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

/* MSG_PARENT_CTLSTATS: the gauges for show metrics only. */
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

/*
 * MSG_PARENT_CTLSESSIONS: a session the parent knows; the control
 * process prints a listener's handshakes as such records too.
 */
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

/*
 * MSG_PARENT_CTLCERT: a pki as it is served, and its last renewal
 * refused since (refused 0: none).  serial and sha256 as keypop -c
 * said them (pki.h); why printable ASCII, cut at CTL_PKIWHY - 1.
 */
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

/*
 * MSG_PARENT_CTLUSER: quota is CTLQ_NONE for show user and undelete;
 * junkfrom CTLJ_NONE for undelete.
 */
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

/*
 * MSG_PARENT_CTLUSER's junk: the user's junk setting (show user, show
 * quota), from junk users or popd.conf's junk, or its table could not say.
 */
#define CTLJ_NONE		0	/* not asked (undelete) */
#define CTLJ_DEFAULT		1	/* popd.conf's junk */
#define CTLJ_TABLE		2	/* the user's line in junk users */
#define CTLJ_TEMP		3	/* junk users could not answer */

/*
 * MSG_CONTROL_APPS: show app-passwords user, question req;
 * MSG_AUTHPOP_CTLAPPS: its answer:
 * the user's app passwords as authpop has them (a file) or tablepop
 * answered them (a database table), never a hash: each one's label and
 * what popctl shows of it (desc: "created ... from ..."), "main" (desc
 * "") if the main password is barred.  CRED_NONE: none (n 0);
 * CRED_TEMP: the table could not answer, or not with records.  The
 * control process adds each one's last use (last 0: never; authpop
 * sends 0 and "") before it prints them.
 */
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
	char		user[POPD_MAXUSER + 1];	/* "": the control
						   process adds it */
	struct ctl_app	rec[CTL_APPSMAX];
};

/*
 * MSG_ROUTE_BACKENDS: a backend as its last check saw it (health:
 * HEALTH_*, CHECK_DOWN, or 0 before its first check)
 * and as popctl drained it; age: seconds since its last check, -1 for
 * never.  more is 1 while others follow; the last has more 0, and
 * nothing but req when there is no backend to say (show backends of
 * none, drain of one that no route names).
 */
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

/*
 * MSG_PARENT_CTLRELOAD: conffile "" when popd runs without one;
 * restart: the changes only a restart applies, one a line (LF between
 * them), "" for none.
 */
#define CTL_RESTARTMAX	2048
struct msg_ctlreload {
	uint64_t	req;
	char		conffile[PATH_MAX];
	char		restart[CTL_RESTARTMAX];
};

/*
 * MSG_PARENT_CTLDENIED: the peer uid may not run cmd; group: the
 * control group, "" for none.
 */
struct msg_ctldenied {
	uint64_t	req;
	uint32_t	uid;
	uint32_t	cmd;		/* CTL_* */
	char		group[POPD_MAXUSER + 1];
};

/* MSG_PARENT_ANSWER */
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

/* MSG_PARENT_CONF_TABLE: interp is a script program's, else "". */
struct msg_table {
	char		name[TABLE_NAMELEN];
	char		program[PATH_MAX];
	char		config[PATH_MAX];
	char		interp[PATH_MAX];
	int32_t		cache;		/* seconds, 0: none */
};

/*
 * MSG_PARENT_CONF_FILE: tablepop parses the file table on fd and answers
 * lookups of name (TABLE_FILE_*) from it; kind is table.h's TABLE_USERS,
 * _QUOTAS or _JUNK, with TABLE_PASSWD for a passwd-file.
 */
#define TABLE_FILE_USERS	"/usertab"
#define TABLE_FILE_QUOTAS	"/quota users"
#define TABLE_FILE_JUNK		"/junk users"
struct msg_tabfile {
	char		name[TABLE_NAMELEN];
	uint32_t	kind;
	uint32_t	pad;
};

/* MSG_PARENT_CONF_ENV */
struct msg_env {
	char		var[TABLE_ENVMAX];
};

/* MSG_PARENT_LOOKUP: the parent's name for a question is its id. */
struct msg_lookup {
	uint64_t	id;
	int32_t		service;	/* TABLE_ALIAS ... */
	uint32_t	pad;
	char		table[TABLE_NAMELEN];
	char		key[POPD_MAXUSER + 1];
};

/*
 * MSG_TABLE_ANSWER: TABANS_NONE is "no such key"; TABANS_TEMP: the
 * table could not answer (tablepop logged why).  A credentials value
 * is the hash alone, checked by tablepop as the parent checks it again.
 */
#define TABANS_FOUND		1
#define TABANS_NONE		2
#define TABANS_TEMP		3
struct msg_tabans {
	uint64_t	id;
	uint32_t	status;		/* TABANS_* */
	uint32_t	pad;
	char		value[TABLE_VALUEMAX];	/* TABANS_FOUND */
};

/*
 * A router's health checks (routepop/check.c): a backend is down
 * (CHECK_DOWN, beside the health line's HEALTH_*) after CHECK_FAILS
 * failed checks in a row.
 */
#define CHECK_DOWN		3	/* beside HEALTH_UP, HEALTH_DRAINING */
#define CHECK_FAILS		2

/*
 * MSG_PARENT_SPOOLPAGE: the page the parent made once, for every lmtp
 * process: the current one and those that drain after a reload keep
 * within limit lmtp-spool together.  Each writes what it holds in its
 * slot and reads the others'; the parent zeroes a slot before it gives
 * it and when its process is gone, and reads nothing else.
 */
#define SPOOL_SLOTS		8
struct spool_page {
	int64_t		held[SPOOL_SLOTS];
};
struct msg_spoolpage {
	uint32_t	slot;
};

/*
 * MSG_PARENT_ROUTEPAGE: the page the parent made once, for every
 * routepop; gen changes with each configuration, so that a routepop tells a
 * reload (the counts start again) from a restart (nothing is lost).
 * The parent never reads the page.
 */
#define ROUTEPAGE_SIZE		(320 * 1024)	/* bytes */
struct msg_routepage {
	uint64_t	gen;
};

/* MSG_PARENT_VERBOSE: the log level, as -v given that many times. */
#define VERBOSE_MAX		5
struct msg_verbose {
	int32_t		level;
};

/*
 * The one declaration of a message type: who sends it to whom, its exact
 * payload, whether a descriptor comes with it, what its fields may hold,
 * the phases of the channel it may arrive in, and the phase it moves the
 * channel to (0: none).  msg.c checks every message sent and received
 * against it, so a handler sees only checked payloads.
 */
#define MSG_NOFD		0
#define MSG_FD			1
struct msg_decl {
	uint32_t	  type;
	const char	 *name;
	int		  from;		/* PROC_* */
	int		  to;		/* PROC_*, one or more */
	size_t		  size;
	int		  fd;		/* MSG_FD or MSG_NOFD */
	/* NULL if the payload is good, else what is wrong with it. */
	const char	*(*valid)(const void *);
	int		  phases;	/* PH_* it may arrive in */
	int		  next;		/* PH_* after it, or 0 */
};

/* proto.c: the declarations this program holds (msg_decls: in order). */
const struct msg_decl	*msg_decl(uint32_t);
const struct msg_decl *const *msg_decls(size_t *);
int			 msg_checks(int);
const char		*msg_type_str(uint32_t);
const char		*proc_str(int);

#endif
