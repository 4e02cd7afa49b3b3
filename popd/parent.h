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
 * The popd parent's files, grouped by owner from the bottom up: a file
 * calls only those above it here.  All of it runs as root, in the parent.
 */
#ifndef POPD_PARENT_H
#define POPD_PARENT_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <limits.h>
#include <stdint.h>

#include "popd.h"
#include "chan.h"
#include "config.h"
#include "stats.h"
#include "table.h"

/*
 * After a reload the previous one drains.  A new authpop takes over only
 * once it has loaded authtab; until then the current one serves on.
 */
struct proc {
	TAILQ_ENTRY(proc)	 entry;
	enum proc_id		 id;
	pid_t			 pid;
	int			 draining;
	int			 announce;	/* reloaded() when ready */
	int			 extra;		/* a listener for a full one */
	int			 slot;		/* a listener's sockets */
	int			 full;		/* a listener taking no more */
	int			 tickets;	/* a listener's tls tickets */
	int			 spoolslot;	/* lmtp: its slot + 1, or 0 */
	int			 reaped;	/* its last messages read */
	struct chan		 chan;
	struct stats_page	*page;		/* its counters, or NULL */
	size_t			 nrefs;		/* lmtp: recipients kept
						   (recipients.c) */
};
TAILQ_HEAD(proclist, proc);

struct proc_kind {
	int			 proc;		/* PROC_* */
	const struct msg_handler *handlers;
	size_t			 nhandlers;
};

struct listen_socket {
	int		 fd;
	int		 flags;			/* LISTEN_* */
	char		 pki[CONF_NAMELEN];	/* "" = the first */
	uint32_t	 uid;	/* the only peer but root; LISTEN_ANYUID */
	int		 slot;	/* the listener that serves it, -1: all */
};

/*
 * Opened as root and checked by authcheck; tablepop parses them, no root
 * process.  -1: none.
 */
struct users {
	int			 userfd;	/* usertab, a file or the system's */
	int			 userkind;	/* TABLE_USERS [| TABLE_PASSWD] */
	int			 authfd;	/* the system's accounts' */
	int			 authimg;	/* authtab's, authpop maps it */
	int			 appsimg;	/* app passwords', a file's */
	int			 authkind;	/* TABLE_WEAK, _PASSWD, _SKIP */
	int			 routefd;	/* route, a file */
	int			 quotafd;	/* quota users, a file */
	int			 quotakind;
	int			 junkfd;	/* junk users, a file */
	struct stats_kinds	 kinds;		/* authtab's hashes, if read */
	int			 kinds_read;	/* a file or the system's */
	uint64_t		 nologin;	/* of authtab, refused hashes */
	char			 first[POPD_MAXUSER + 1];	/* usertab's */
	char			 firstpath[PATH_MAX];	/* its maildir */
	char			 fault[256];	/* a bad table's first, for
						   popctl reload: file:line */
};

struct sessview {
	const char		*user;		/* NULL before login */
	const struct peeraddr	*peer;
	uint32_t		 sock;		/* listens[] it came in on */
	time_t			 since;		/* accepted at */
	int			 loggedin;	/* a wrkrpop has it */
	const struct stats_page	*page;		/* the wrkrpop's, or NULL */
	time_t			 stuck;		/* in the store since, or 0 */
};

extern struct popd_conf		*conf;
extern struct users		 users;
extern uint64_t			 conf_gen;	/* one more each reload */
extern char			 proc_path[KIND_MAX][PATH_MAX]; /* by kind */
extern char			 wrkrpop_path[PATH_MAX];
extern char			 authcheck_path[PATH_MAX];
extern char			 confpop_path[PATH_MAX];
extern char			 dlvrpop_path[PATH_MAX];
extern int			 privsep;
#define DAEMON_UIDS	3
extern uid_t			 daemon_uid[DAEMON_UIDS]; /* the listener's,
							     authpop's, the
							     tables' */
extern const char *const	 daemon_names[DAEMON_UIDS];
/*
 * Groups no mail user may have (startup.c): the daemon users' (one reads
 * database passwords) and shadow's; popd.conf's refuse groups and every
 * gid below FIRST_GID are refused too (users.c).
 */
#define DAEMON_GIDS	(DAEMON_UIDS + 1)
extern gid_t			 daemon_gid[DAEMON_GIDS];
extern char			 daemon_gwhat[DAEMON_GIDS][64];
extern struct proclist		 procs;
extern struct proc		*current[KIND_MAX];
extern struct proc		*successor[KIND_MAX];
struct proc	*proc_alive(enum proc_id, pid_t);
int		 send_dup(struct chan *, uint32_t, int, const void *, size_t);
#define STATE_DRAINED	".drained"	/* popctl drain: health.c */
#define STATE_BACKENDS	".backends"	/* the router's page: supervise.c */
const char	*state_path(char *, size_t, const char *);
int		 state_open(const char *);

/* tlskeys.c: the listeners' TLS session ticket keys. */
void		 tickets_start(int);
void		 tickets_send(struct proc *);
void		 parent_listener_rekey(struct chan *, const void *, int);

/* health.c */
struct ctlans;
#define NO_HEALTH_PORT	"no health port: a drain is what health ports say " \
			"(listen ... health)"
void		 health_send(struct chan *);
void		 health_sessions(size_t);
void		 health_drain(struct ctlans *, int);
void		 health_stuck(int, size_t);
size_t		 health_stuck_now(void);
void		 health_stuck_users(char [][POPD_MAXUSER + 1]);
void		 health_stop(void);
void		 health_probe_start(void);
int		 health_probe_exited(pid_t, int);

/* syslog.c */
void		 logrelay_init(void);
int		 logrelay_fd(const char *);

/* child.c */
struct mailuser;
extern int	 child_noroot;
pid_t		 child_spawn(const char *, const char *, int, int, const char *,
		    const struct mailuser *, int *);
void		 child_track(pid_t);
void		 child_reap(void (*)(pid_t, int));
pid_t		 child_exec(const char *, char *const [], const int [], int);
int		 child_wait(pid_t, time_t, const char *);

/* bind.c */
extern struct listen_socket	 listens[MAX_LISTEN];
extern int			 nlistens;
extern int			 nlisteners;
void		 bind_init(const struct popd_conf *);
int		 bind_listen(const struct conf_listen *);
void		 bind_unlink(void);
void		 bind_close(void);

/* users.c */
#define USERS_BADUSERTAB	0x01
#define USERS_BADAUTHTAB	0x02
#define USERS_BADROUTE		0x04
#define USERS_BADQUOTA		0x08
#define USERS_BADAPPS		0x10
#define USERS_BADJUNK		0x20
int		 users_load(const struct popd_conf *, struct users *);
void		 users_load_start(const struct popd_conf *, struct users *,
		    struct event_base *, void (*)(int, void *), void *);
int		 users_refused_uid(uid_t, char *, size_t);
int		 users_refused_gid(gid_t, char *, size_t);
void		 users_free(struct users *);
/* authcheck's time for authtab: a million lines take a few seconds. */
#define AUTHTAB_WAIT	120		/* seconds */
void		 users_send_tables(const struct proc *);
pid_t		 authtab_spawn(const char *, int, int, int, int, int, int);

/* userjunk.c */
struct conf_junk;
typedef void	(*userjunk_cb)(void *, int, const struct conf_junk *);
void		 userjunk_find(const char *, userjunk_cb, void *);

/* userquota.c */
struct quota_limit;
typedef void	(*userquota_cb)(void *, int, const struct quota_limit *);
int		 userquota_on(void);
void		 userquota_find(const char *, userquota_cb, void *);

/* apps.c */
const char	*apps_start(void);
void		 apps_send_last(struct chan *);

/* spent.c */
#define SPENT_AGAIN	1
#define SPENT_FULL	2
int		 spent_take(uint64_t, int64_t);

/* mailuser.c: who a mail user is, and the one way to become one. */
struct mailuser {
	char		 name[POPD_MAXUSER + 1];
	uid_t		 uid;
	gid_t		 gid;
	char		 maildir[PATH_MAX];	/* with the maildir setting */
};
#define MU_FOUND	0
#define MU_NONE		1	/* no such user */
#define MU_TEMP		2	/* the table could not answer */
#define MU_BROKEN	3	/* its answer is no userinfo */
#define MU_REFUSED	4	/* a userinfo we refuse: the admin's error */
typedef void	(*mailuser_cb)(void *, int, const struct mailuser *,
		    const char *);
int		 mailuser_check(struct mailuser *, const struct userinfo *,
		    char *, size_t);
void		 mailuser_find(const char *, mailuser_cb, void *);

/* lookup.c: one user's question to its table, for all three finders. */
struct user_wait {
	union {
		mailuser_cb	 user;
		userquota_cb	 quota;
		userjunk_cb	 junk;
	}		 cb;
	void		*arg;
	char		 user[POPD_MAXUSER + 1];
};
struct user_wait *user_wait(const char *, void *);
pid_t		 mailuser_spawn(uint32_t, const struct mailuser *,
		    const struct msg_worker *, int, int, int *);

/* login.c */
void		 parent_listener_session(struct chan *, const void *, int);
void		 parent_authpop_login(struct chan *, const void *, int);
void		 parent_authpop_closed(struct chan *, const void *, int);
void		 parent_authpop_stls(struct chan *, const void *, int);
void		 parent_authpop_handback(struct chan *, const void *, int);
void		 parent_authpop_penalty(struct chan *, const void *, int);
void		 preauth_clear(struct proc *);
struct stats_page *worker_reaped(pid_t, int);
size_t		 login_sessions(void);
void		 login_reaped_to(void (*)(pid_t, int));
void		 fd_budget_set(rlim_t);
void		 login_walk(void (*)(const struct sessview *, void *), void *);
int		 login_kick_user(const char *);
int		 store_watch(const struct stats_page *, time_t *, int,
		    const char *, pid_t, const char *, const char *);
/* The pages' busy: a worker's parent writes it at spawn (read-only map). */
int		 store_busy_init(int);

/* counters.c */
void		 counters_reaped(struct stats_page *);
void		 counters_reloaded(void);
void		 counters_show(struct msg_ctlstats *);

/*
 * answers.c: one popctl answer.  If the control process dies meanwhile,
 * the answer is marked dead and freed at its end: no call harms.
 */
struct ctlans;
struct ctlans	*ctlans_new(struct proc *, uint64_t, uid_t);
void		 ctlans_error(struct proc *, uint64_t, const char *);
void		 ctlans_end(struct ctlans *, const char *);
void		 ctlans_rec(struct ctlans *, uint32_t, int, void *, size_t);
void		 ctlans_count(struct ctlans *, uint32_t);
uid_t		 ctlans_uid(const struct ctlans *);	/* who asked */
void		 ctlans_gone(struct proc *);

/* commands.c: each handler ends its answer. */
void	ctl_show_sessions(struct ctlans *, const struct msg_ctlreq *);
void	ctl_show_stats(struct ctlans *, const struct msg_ctlreq *);
void	ctl_kick_user(struct ctlans *, const struct msg_ctlreq *);
void	ctl_drain(struct ctlans *, const struct msg_ctlreq *);
void	ctl_mdjob(struct ctlans *, const struct msg_ctlreq *);
void	ctl_show_apps(struct ctlans *, const struct msg_ctlreq *);
void	ctl_show_certificates(struct ctlans *, const struct msg_ctlreq *);
void	ctl_mda_report(struct ctlans *, const struct msg_ctlreq *);
int	mdjob_exited(pid_t, int);

/* requests.c: a request; popd.c's reload answers once it is over. */
void		 ctl_init(void (*)(struct ctlans *));
void		 parent_control_request(struct chan *, const void *, int);

/* recipients.c: LMTP recipients at RCPT, and their dlvrpops. */
void		 parent_lmtp_rcpt(struct chan *, const void *, int);
void		 parent_lmtp_forget(struct chan *, const void *, int);
void		 parent_lmtp_dlvrpop(struct chan *, const void *, int);
void		 parent_lmtp_kill(struct chan *, const void *, int);
void		 recipients_lmtp_new(struct proc *);
void		 recipients_lmtp_gone(struct proc *);
int		 dlvrpops_exited(pid_t, int);

/* supervise.c */
extern const struct proc_kind	 proc_kinds[KIND_MAX];
void		 supervise_init(void (*)(const char *));
struct proc	*proc_start(enum proc_id);
int		 proc_wanted(enum proc_id);
void		 proc_retire(enum proc_id);
void		 proc_exited(struct proc *, int);
void		 parent_ready(struct chan *, const void *, int);
void		 shutdown_children(void);
void		 shutdown_drain(void (*)(void));
void		 stop_check(void);
void		 route_page_keep(void);

/* certs.c */
#define CERTS_WARN	(14 * 24 * 3600)	/* warnings before expiry */
struct certs_batch;
struct certs_batch *certs_batch_new(struct event_base *,
		    void (*)(int, const char *));
void		 certs_batch_add(struct certs_batch *,
		    const struct popd_conf *, struct conf_pki *);
void		 certs_batch_go(struct certs_batch *);
void		 certs_start(struct proc *(*)(enum proc_id), int (*)(void));
void		 certs_tables(const struct popd_conf *);

/* popd.c: a reload of the tables alone, when certs.c sees them change. */
int		 reload_tables(void);

/* startup.c: checks before serving, also confpop's for popd -n and -m. */
int		 conf_usable(struct popd_conf *, struct users *, int);
void		 conf_usable_start(struct popd_conf *, struct users *, int,
		    struct event_base *, void (*)(int, const char *));
void		 conf_tables_errors(struct popd_conf *, int);
void		 helper_path(const char *, const char *, char *);
void		 find_helpers(const char *);
int		 helper_replaced(const char *);
void		 check_users(void);

#endif
