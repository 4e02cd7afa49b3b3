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

/* proc.h -- how every popd process starts, in one fixed order. */
#ifndef POPD_PROC_H
#define POPD_PROC_H

#include <sys/types.h>
#include <sys/resource.h>

struct chan;
struct msg_ctlpeer;

/* Without a user, the prologue proves the inherited ids unprivileged. */
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
 * A child: -d and -v only; setup from the parent, load as root, the prologue,
 * then run, which never returns (or the event loop).
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
