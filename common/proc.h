/*
 * proc.h -- how every popd process starts: the child prologue each role
 * runs in one fixed order, and the parent's side of fork+exec (proc.c).
 */
#ifndef POPD_PROC_H
#define POPD_PROC_H

#include <sys/types.h>
#include <sys/resource.h>

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

/* proc.c */
int	proc_args(int, char *[], int, const char *);
void	proc_prologue(const struct proc_setup *);
int	proc_become(const char *, uid_t, gid_t);
int	proc_child_fds(int, int);
rlim_t	proc_nofile(void);
struct chan;
void	proc_parent_verbose(struct chan *, const void *, int);

#endif
