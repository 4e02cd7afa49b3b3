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
 * auth.h -- authpop's files, bottom up: each calls only those above it, and
 * those below through callbacks.
 */
#ifndef POPD_AUTH_H
#define POPD_AUTH_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <stdint.h>

#include "addr.h"
#include "compat.h"
#include "pop3.h"
#include "proto.h"
#include "settings.h"
#include "table.h"

#define AUTH_MAXPASS		COMPAT_PASS_MAX

enum sess_state {
	S_CMD,		/* reading commands */
	S_LOOKUP,	/* tablepop asks a database; not reading */
	S_CHECK,	/* its password check waits or runs; not reading */
	S_DELAY,	/* wrong password: the -ERR waits for its time */
	S_DRAIN,	/* password good: flushing replies before the handoff */
	S_HANDOFF,	/* logged in: the socket goes to the parent */
	S_TICKET,	/* good password; its ticket waits for the backend */
	S_CLOSING,	/* flushing the last reply, then close */
	S_STLS_DRAIN,	/* STLS: flushing replies before telling the parent */
	S_STLS		/* the listener starts TLS: discard until it closes */
};

/*
 * One password check, one thread at a time; it holds copies of hash and
 * password, so a worker reads nothing else.
 */
struct job {
	TAILQ_ENTRY(job)	 entry;
	uint64_t		 id;		/* the session's */
	int			 known;		/* user in both tables */
	int			 failing;	/* its address failed lately */
	int			 toolong;	/* password cannot match */
	uint64_t		 passmac;	/* host.c's keyed hash of it */
	uint64_t		 lcmac[2];	/* logincache.c's, if lcmacked */
	int			 lcmacked;
	double			 expected;	/* its kind's time unloaded */
	double			 took;		/* the check, seconds */
	int			 ok;		/* result */
	const char		*weak;		/* weak hash: its kind */
	int			 err;		/* crypt failed: errno */
	char			 why[96];	/* failure, if not the hash's */
	char			 hash[COMPAT_HASH_MAX + 1];
	char			 pass[AUTH_MAXPASS + 1];
	char			 user[POPD_MAXUSER + 1];	/* DIGEST-MD5's */
};
TAILQ_HEAD(jobq, job);

struct host;
struct session;

/* Where POP3 clients (session.c) and auth_http (nginx.c) differ. */
struct session_ops {
	int	  pop3;		/* a POP3 client's: tickets, login counters */
	void	(*good)(struct session *, double, const char *);
	/* perm: never checkable */
	void	(*unchecked)(struct session *, int, const char *);
	double	(*fail_at)(struct session *, double, double); /* delay, floor */
	void	(*failed)(struct session *);		/* its time came */
	void	(*timeout)(struct session *);		/* S_CMD, S_TICKET */
	void	(*closed)(struct session *, int);
};

struct session {
	RB_ENTRY(session)	 entry;
	TAILQ_ENTRY(session)	 qentry;	/* in its host's queue */
	struct host		*host;
	struct job		*job;		/* while it waits its turn */
	double			 deadline;	/* timeout login, absolute */
	double			 started;	/* its check went to a worker */
	int			 familiar;	/* host.c: it skips the queue */
	int			 failclose;	/* limit failures reached */
	uint64_t		 id;		/* the parent's */
	int			 fd;
	uint32_t		 flags;		/* SESSION_* */
	enum sess_state		 state;
	struct peeraddr		 peer;		/* the client */
	struct peeraddr		 local;		/* what it connected to */
	uint64_t		 tnonce;	/* logged in with a ticket: */
	int64_t			 texpiry;	/* its nonce, expiry; else 0 */
	char			 app[APPS_LABELMAX + 1]; /* or app label */
	int			 returned;	/* a refused login's, back */
	char			 addr[PEER_STRLEN];	/* it, for logs */
	char			 user[POP3_MAXLINE + 1];	/* as sent */
	int			 hasuser;
	int			 tabchan;	/* S_LOOKUP: asked on */
	int			 tabapps;	/* S_LOOKUP: app passwords */
	double			 tabasked;	/* S_LOOKUP: since */
	int			 tablate;	/* answer due past its bound */
	int			 nfail;
	int			 plainlogged;	/* refusal logged once */
	int			 nbad;		/* invalid commands */
	int			 sasl;		/* AUTH PLAIN response due */
	const struct session_ops *ops;		/* its kind */
	uint64_t		 reqid;		/* auth_http: httppop's id */
	int			 httpch;	/* its channel (nginx.c), */
	uint64_t		 httpgen;	/* while it is that httppop's */
	int			 proto;		/* its Auth-Protocol, HP_* */
	int			 attempt;	/* its Auth-Login-Attempt */
	double			 authwait;	/* its Auth-Wait, seconds */
	struct pop3_framer	 fr;		/* the line being read */
	struct evbuffer		*out;
	struct event		 rev, wev, tmo;
	int			 reading, writing;
};

#define AUTH_CLOSE_TIMEOUT	30	/* for a last reply nobody reads */
#define TICKET_MAX		HTTP_TICKETMAX

/* The parent's ids count from 1, ours for auth_http from SID_HTTP up. */
#define SID_HTTP		(1ULL << 63)
#define PAIR_WAITING		4	/* one user's checks at an address */
/* Our questions to tablepop for control: apart from both. */
#define SID_CTL			(1ULL << 62)
#define SIDP(id)		(((id) & SID_HTTP) ? "h" : ""), \
				(unsigned long long)((id) & ~SID_HTTP)

struct chan;
struct msg_cred;
struct msg_penalty;
struct netaddr;

/* state.c */
extern struct conf_settings	 auth_set;
extern struct chan		 parent;
extern struct chan		 ctl_chan;
extern struct chan *const	 tabchan;	/* [2] */
extern int			 tabcur;
void		 auth_ctl_send(uint32_t, const void *, size_t);
double		 auth_now(void);
void		 timer_in(struct event *, double);

/* loginticket.c */
int		 ticket_init(int, const char *);
int		 ticket_make(const char *, const char *, char *, size_t);
int		 ticket_like(const char *);
int		 ticket_check(const char *, const char *,
		    const struct peeraddr *, uint64_t *, int64_t *,
		    const char **);

/* check.c: done gets each finished job, then next runs. */
extern char		 dummy_hash[COMPAT_HASH_MAX + 1];
extern long		 nworkers;
extern long		 inflight;
extern long		 inflight_failing;
extern struct jobq	 jobs_todo;	/* elsewhere only in the fuzzer */
void		 dummy_init(const struct table *);
double		 slowest_check(const struct table *);
double		 check_expected(const char *);
double		 check_learn(const char *, double);
void		 jobs_init(void (*)(struct job *), void (*)(void));
void		 jobs_budget(void);
void		 workers_start(void);
void		 jobs_submit(struct job *);

/* host.c: gone closes a session whose client left before its check. */
extern struct event	 kick_ev;	/* set by authpop_open */
struct host	*host_get(const struct peeraddr *);
void		 host_put(struct host *);
void		 host_init(void (*)(struct session *, int));
void		 host_export(struct chan *);
void		 host_import(struct chan *, const void *, int);
uint64_t	 passmac(const char *);
int		 host_enqueue(struct session *);
void		 host_dequeue(struct session *);
void		 host_success(struct host *, const char *, double);
double		 host_failure(struct host *, const char *, int, uint64_t,
		    double, double);
void		 host_list(struct chan *, uint64_t);
uint32_t	 host_forget(const struct netaddr *);
void		 jobs_dispatch(void);
void		 jobs_kick(void);
void		 jobs_kicked(int, short, void *);

/* logincache.c */
void		 logincache_init(int, int);
int		 logincache_mac(const char *, const char *, const char *,
		    uint64_t [2]);
int		 logincache_hit(const char *, const uint64_t [2], double);
void		 logincache_put(const char *, const uint64_t [2], double);

/* verify.c; verify_end's verdicts */
#define V_GOOD		0
#define V_TEMP		1
#define V_PERM		2
void		 verify_load(void);
void		 verify_table(struct chan *, const void *, int);
void		 verify_key(struct chan *, const void *, int);
void		 tables_read(void);
void		 verify_cred(struct session *, const struct msg_cred *);
void		 verify_end(struct session *, int, const char *);
void		 verify_unanswered(struct session *);
int		 verify_late(struct session *, const struct chan *);
void		 lookup_counted(struct session *, int);
int		 tablepop_ask(struct session *, int);
void		 table_chan(struct chan *, const void *, int);
const char	*logname(const char *);
void		 auth_start(struct session *, const char *, int);
void		 auth_main(struct session *);
void		 auth_enqueue(struct session *, const char *);
void		 auth_result(struct session *, struct job *);

/* apps.c, nginx.c and loginticket.c: app passwords, auth_http, tickets */
void		 opts_load(void);
int		 ticket_login(struct session *, const char *);
void		 apps_image(int);
void		 apps_key(int);
void		 apps_read(void);
void		 apps_begin(struct session *);
void		 apps_table(struct chan *, const void *, int);
void		 verify_apps(struct session *, int, const char *);
void		 verify_appsask(struct chan *, const void *, int);
void		 verify_ctlapps(struct chan *, const void *, int);
void		 verify_used_flush(void);
void		 verify_appskept(struct chan *, const void *, int);
void		 http_peerchan(struct chan *, const void *, int);

/* session.c */
struct msg_session;
extern const struct session_ops	 pop3_ops;
void		 session_last(void (*)(void));
struct session	*session_find(uint64_t);
void		 session_table_lost(int, void (*)(struct session *));
void		 auth_session_new(struct chan *, const void *, int);
struct session	*session_alloc(uint64_t, int, uint32_t,
		    const struct peeraddr *, const struct session_ops *);
void		 session_deadline(struct session *);
void		 session_reply(struct session *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
void		 session_update(struct session *);
void		 auth_checked(struct job *);
void		 session_refused(struct chan *, const void *, int);
void		 session_close(struct session *, int);
void		 session_handback(void);

#endif
