/*
 * authpop.h -- the authpop program: the sessions and their commands
 * (authpop.c), the password check threads (check.c) and the per-address
 * scheduler that feeds them (host.c).  Only what crosses files is here;
 * the rest stays static in its own file.
 */
#ifndef POPD_AUTHPOP_H
#define POPD_AUTHPOP_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <stdint.h>

#include "addr.h"
#include "compat.h"
#include "pop3.h"
#include "settings.h"
#include "table.h"

#define AUTH_MAXPASS		COMPAT_PASS_MAX

enum sess_state {
	S_CMD,		/* reading commands */
	S_LOOKUP,	/* the parent asks authtab's database; not reading */
	S_CHECK,	/* its password check waits or runs; not reading */
	S_DELAY,	/* wrong password: the -ERR waits for its time */
	S_DRAIN,	/* password good: flushing replies before the handoff */
	S_HANDOFF,	/* the parent has the socket; waiting for its answer */
	S_ROUTE,	/* auth_http: the parent asks the route table */
	S_CLOSING,	/* flushing the last reply, then close */
	S_STLS_DRAIN,	/* STLS: flushing replies before telling the parent */
	S_STLS		/* the listener starts TLS: discard until it closes */
};

/*
 * One password check, owned by one thread at a time.  It carries copies
 * of the hash and the password, so that a worker reads nothing else.
 */
struct job {
	TAILQ_ENTRY(job)	 entry;
	uint64_t		 id;		/* the session's */
	int			 known;		/* user in both tables */
	int			 failing;	/* its address failed lately */
	int			 toolong;	/* password cannot match */
	uint64_t		 passmac;	/* host.c's keyed hash of it */
	double			 expected;	/* its kind's time unloaded */
	double			 took;		/* the check, seconds */
	int			 ok;		/* result */
	int			 err;		/* crypt failed: errno */
	char			 hash[COMPAT_HASH_MAX + 1];
	char			 pass[AUTH_MAXPASS + 1];
};
TAILQ_HEAD(jobq, job);

/* A client address, as host.c schedules its checks; opaque elsewhere. */
struct host;

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
	char			 addr[PEER_STRLEN];	/* it, for logs */
	char			 user[POP3_MAXLINE + 1];	/* as sent */
	int			 hasuser;
	int			 nfail;
	int			 plainlogged;	/* refusal logged once */
	int			 nbad;		/* invalid commands */
	int			 sasl;		/* AUTH PLAIN response due */
	int			 http;		/* nginx's auth_http: nginx.c */
	int			 proto;		/* its Auth-Protocol, HP_* */
	int			 attempt;	/* its Auth-Login-Attempt */
	double			 authwait;	/* its Auth-Wait, seconds */
	char			*req;		/* the request head so far */
	size_t			 reqlen;
	struct pop3_framer	 fr;		/* the line being read */
	struct evbuffer		*out;
	struct event		 rev, wev, tmo;
	int			 reading, writing;
};

#define AUTH_CLOSE_TIMEOUT	30	/* for a last reply nobody reads */
#define TICKET_MAX		128	/* a ticket and its NUL */

/*
 * Session ids: the parent's count from 1; authpop's own, for nginx's
 * auth_http requests, from SID_HTTP up, so that the two never meet.
 * Logs write them "session 7" and "session h7" (SIDP: two arguments
 * for "%s%llu").
 */
#define SID_HTTP		(1ULL << 63)
#define PAIR_WAITING		4	/* checks of one user waiting at an
					   address (host.c) */
#define SIDP(id)		(((id) & SID_HTTP) ? "h" : ""), \
				(unsigned long long)((id) & ~SID_HTTP)

/* authpop.c */
extern struct conf_settings	 set;
double		 now(void);
void		 timer_in(struct event *, double);
struct session	*session_alloc(uint64_t, int, uint32_t,
		    const struct peeraddr *);
void		 session_update(struct session *);
void		 session_close(struct session *, int);
void		 auth_start(struct session *, const char *, int);
void		 auth_checked(struct job *);
void		 auth_parent_send(uint32_t, const void *, size_t);

/* nginx.c */
struct msg_route;
void		 http_proxy(const struct netaddr *);
void		 http_listen(int, int, uint32_t);
void		 http_stop(void);
void		 http_read(struct session *);
void		 http_checked(struct session *, int, int, double);
void		 http_route(struct session *, const struct msg_route *);
void		 http_temp(struct session *);
void		 http_closed(struct session *);

/* ticket.c */
int		 ticket_init(const char *);
int		 ticket_make(const char *, const char *, char *, size_t);
int		 ticket_like(const char *);
int		 ticket_check(const char *, const char *,
		    const struct peeraddr *, uint64_t *, int64_t *,
		    const char **);

/* check.c */
extern char		 dummy_hash[COMPAT_HASH_MAX + 1];
extern long		 nworkers;
extern long		 inflight;
extern long		 inflight_failing;
extern struct jobq	 jobs_todo;	/* elsewhere only in the fuzzer */
void		 dummy_init(const struct table *);
double		 slowest_check(const struct table *);
double		 check_expected(const char *);
double		 check_learn(const char *, double);
void		 jobs_init(void);
void		 workers_start(void);
void		 jobs_submit(struct job *);

/* host.c */
extern struct event	 kick_ev;	/* set by authpop_open */
struct host	*host_get(const struct peeraddr *);
void		 host_put(struct host *);
struct chan;
struct msg_penalty;
void		 host_init(void);
void		 host_export(struct chan *);
void		 host_import(const struct msg_penalty *);
uint64_t	 passmac(const char *);
int		 host_enqueue(struct session *);
void		 host_dequeue(struct session *);
void		 host_success(struct host *, const char *, double);
double		 host_failure(struct host *, const char *, int, uint64_t,
		    double, double);
void		 host_list(struct chan *, uint64_t);
struct netaddr;
uint32_t	 host_forget(const struct netaddr *);
void		 jobs_dispatch(void);
void		 jobs_kick(void);
void		 jobs_kicked(int, short, void *);

#endif
