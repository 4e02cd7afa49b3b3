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
 * proc.h -- how every popd process starts: the child prologue each role
 * runs in one fixed order, and the parent's side of fork+exec (proc.c).
 */
#ifndef POPD_PROC_H
#define POPD_PROC_H

#include <sys/types.h>
#include <sys/resource.h>

struct chan;
struct msg_ctlpeer;

/*
 * What a role needs from its prologue.  With a user (started as root),
 * the role chroots if asked and becomes that user; without one, the
 * parent has set the ids already (wrkrpop) and the prologue only proves
 * they are unprivileged and final.
 */
struct proc_setup {
	const char	*role;		/* for logs: "listener" */
	const char	*title;		/* for ps(1) */
	const char	*user;		/* POPD_USER ...; NULL: ids inherited */
	int		 chroot;	/* chroot(CHROOTDIR) when root */
	int		 nofile;	/* raise RLIMIT_NOFILE to the hard limit */
	int		 nohup;		/* ignore SIGHUP: reloads are not ours */
	/* Opened as the final ids, not dumpable, before confinement. */
	void		(*open)(void *);
	void		(*sandbox)(void *);	/* sandbox_<role>() */
	void		*arg;		/* for open and sandbox */
};

/*
 * A child role, as every child starts (proc_run): its command line
 * (-d, -v, nothing else; usage otherwise, or without one "usage: role
 * [-dVv]" and who starts it), its setup from the parent on setupfd
 * (0: POPD_CHANNEL_FD, which then carries its work, or a worker's
 * POPD_CONF_FD, closed once read) with these handlers until
 * MSG_PARENT_CONF_END or MSG_PARENT_WORKER, then load (what needs the
 * file system, as root; it may set the prologue's title and arg), the
 * prologue above, and run, which never returns; without run, the event
 * loop with the channel started (a daemon's).
 */
struct msg_handler;
struct proc_role {
	struct proc_setup	 setup;
	int			 self;		/* PROC_* */
	struct chan		*chan;		/* the role's, to the parent */
	int			 setupfd;
	const char		*usage;
	const struct msg_handler *handlers;
	size_t			 nhandlers;
	void			*settings;	/* proc_parent_conf's, or NULL */
	void			(*eof)(struct chan *);
	void			(*load)(struct proc_setup *);
	void			(*run)(void);
};

/* proc.c */
__dead void proc_run(const struct proc_role *, int, char *[]);
void	proc_prologue(const struct proc_setup *);
rlim_t	proc_nofile(void);
void	proc_parent_conf(struct chan *, const void *, int);
void	proc_parent_conf_end(struct chan *, const void *, int);
void	proc_parent_stats(struct chan *, const void *, int);
void	proc_parent_verbose(struct chan *, const void *, int);
void	proc_ctlchan(struct chan *, int, int, const struct msg_handler *,
	    size_t);
int	proc_ctlfull(struct chan *);
void	proc_free_later(void *);
struct peer *peer_add(int, const struct msg_ctlpeer *, int,
	    const struct msg_handler *, size_t, void (*)(struct peer *));
void	peer_eof(struct chan *);

#endif
