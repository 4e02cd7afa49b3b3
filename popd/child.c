/*
 * child.c -- how the parent starts any child: its command line, its
 * environment, and a fork that leaves it its channel, its configuration
 * channel and its log relay, nothing else.  supervise.c execs the
 * supervised daemons with it, mailuser.c the mail users' processes.
 */
#include <sys/types.h>

#include <stdio.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "proc.h"

/* argv[0] and the flags every child shares; returns the count. */
int
child_argv(char **argv, const char *name, const char *role)
{
	static char	 vflag[8];
	int		 argc = 0;

	argv[argc++] = (char *)name;
	if (role != NULL) {
		argv[argc++] = "-P";
		argv[argc++] = (char *)role;
	}
	if (debug)
		argv[argc++] = "-d";
	if (verbose > 0) {
		(void)snprintf(vflag, sizeof(vflag), "-%.*s",
		    verbose > 5 ? 5 : verbose, "vvvvv");
		argv[argc++] = vflag;
	}
	return argc;
}

/*
 * The children's command lines are short (their configuration comes as
 * messages), and setproctitle(3) on Linux writes over the argv and
 * environment strings: room for "wrkrpop: <user>".
 */
char	*child_envp[] = { "PATH=/usr/bin:/bin", "TITLE="
    "................................................................"
    "................", NULL };

/*
 * Fork a child with fd as its POPD_CHANNEL_FD, conffd (or -1) as its
 * POPD_CONF_FD and nothing else open beyond stdio; a daemonized parent
 * gives it its log relay for role as stderr.  Returns as fork(2) does.
 */
pid_t
child_fork(int fd, int conffd, const char *role)
{
	pid_t	 pid;
	int	 lfd;

	if ((pid = fork()) != 0)
		return pid;
	if (!debug && (lfd = logrelay_fd(role)) != -1 &&
	    dup2(lfd, STDERR_FILENO) == -1)
		_exit(1);
	if (proc_child_fds(fd, conffd) == -1)
		_exit(1);
	return 0;
}
