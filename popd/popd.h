/*
 * popd.h -- the popd program: the parent (popd.c and the files it names;
 * the state they share is in parent.h) and the roles it runs as popd -P
 * (listener.c, lmtp.c, control.c).
 */
#ifndef POPD_POPD_H
#define POPD_POPD_H

#include <sys/types.h>
#include <sys/resource.h>

#include "proto.h"

#define POPD_PORT		"995"		/* implicit TLS */
#define POPD_PLAIN_PORT		"110"		/* plaintext with STLS */

/* What the parent and the listener answer a client they turn away. */
#define BUSY		"-ERR [SYS/TEMP] server busy, try later\r\n"
#define BUSY_ADDR	"-ERR [SYS/TEMP] too many connections from your " \
			"address, try later\r\n"

/* The supervised children (supervise.c). */
enum proc_id { KIND_LISTENER, KIND_AUTHPOP, KIND_LMTP, KIND_CONTROL,
    KIND_MAX };

struct chan;
struct conf_listen;
struct proc;
struct userinfo;

/* bind.c */
int		 bind_listen(const struct conf_listen *);
int		 bind_control(const char *);
const char *const *bind_made(void);
void		 bind_unlink(void);

/* supervise.c */
extern char	*child_envp[];
int		 child_argv(char **, const char *, const char *);
pid_t		 child_fork(int, int, const char *);
struct proc	*proc_start(enum proc_id);
struct proc	*proc_alive(enum proc_id, pid_t);
int		 proc_wanted(enum proc_id);
void		 reloaded(void);
void		 proc_restart(int, short, void *);
void		 proc_exited(struct proc *, int);
void		 shutdown_children(void);

/* login.c */
void		 parent_listener_session(struct chan *, const void *, int);
void		 parent_authpop_login(struct chan *, const void *, int);
void		 parent_authpop_closed(struct chan *, const void *, int);
void		 parent_authpop_stls(struct chan *, const void *, int);
void		 parent_authpop_penalty(struct chan *, const void *, int);
void		 parent_authpop_ready(struct chan *, const void *, int);
void		 parent_authpop_lookup(struct chan *, const void *, int);
void		 preauth_clear(struct proc *);
void		 worker_gone(pid_t);
void		 fd_budget_set(rlim_t);

/* ctlshow.c */
void		 parent_listener_handshakes(struct chan *, const void *, int);
void		 parent_listener_kicked(struct chan *, const void *, int);
void		 parent_authpop_penalties(struct chan *, const void *, int);
void		 parent_authpop_unpenalized(struct chan *, const void *, int);
void		 ctl_proc_gone(pid_t);

/* dlvr.c */
void		 parent_lmtp_rcpt(struct chan *, const void *, int);
void		 parent_lmtp_deliver(struct chan *, const void *, int);
void		 parent_lmtp_forget(struct chan *, const void *, int);
void		 dlvr_lmtp_gone(pid_t);
int		 dlvr_exited(pid_t, int);

/* route.c */
void		 parent_authpop_route(struct chan *, const void *, int);

/* migrate.c */
int		 migration_report(void);

/* syslog.c */
void		 logrelay_init(void);
int		 logrelay_fd(const char *);

/* listener.c, lmtp.c, control.c: popd -P ROLE (proc.h) */
struct proc_role;
extern const struct proc_role listener_role, lmtp_role, control_role;

/* ctl.c */
void		 parent_control_request(struct chan *, const void *, int);
void		 ctl_gone(struct proc *);

/* pki.c */
struct tls;
struct tls	*pki_tls(size_t, char *const [], char *const [], size_t,
		    const char *);

#endif
