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
 * How the parent starts any child: its command line, environment, and a
 * spawn that leaves it its channel, configuration channel and log relay,
 * nothing else.  Short-lived helpers are run and waited for here too.
 */
#include <sys/param.h>
#include <sys/types.h>
#include <sys/tree.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/securebits.h>
#endif
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "config.h"
#include "proc.h"

/* setproctitle(3) on Linux writes over argv and environ: leave room. */
static char	*child_envp[] = { "PATH=/usr/bin:/bin", "TITLE="
    "................................................................"
    "................", NULL };

/*
 * Children without a process descriptor, each waited for by pid:
 * waitpid(-1) would walk 10,000 sessions' wrkrpops for each exit.
 * Beyond CHILD_BYPID of them the walk is cheaper, and taken.
 */
#define CHILD_BYPID	64
struct tracked {
	RB_ENTRY(tracked)	 entry;
	pid_t			 pid;
};
static int	tracked_cmp(struct tracked *, struct tracked *);
RB_HEAD(trackedtree, tracked);
RB_PROTOTYPE_STATIC(trackedtree, tracked, entry, tracked_cmp)
RB_GENERATE_STATIC(trackedtree, tracked, entry, tracked_cmp)
static struct trackedtree tracked = RB_INITIALIZER(&tracked);
static size_t		  ntracked;

static int
tracked_cmp(struct tracked *a, struct tracked *b)
{
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

void
child_track(pid_t pid)
{
	struct tracked	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("%s", __func__);
	t->pid = pid;
	if (RB_INSERT(trackedtree, &tracked, t) != NULL)
		free(t);	/* a pid reused before we heard: known */
	else
		ntracked++;
}

static void
child_untrack(pid_t pid)
{
	struct tracked	 key, *t;

	key.pid = pid;
	if ((t = RB_FIND(trackedtree, &tracked, &key)) != NULL) {
		RB_REMOVE(trackedtree, &tracked, t);
		ntracked--;
		free(t);
	}
}

void
child_reap(void (*reaped)(pid_t, int))
{
	struct tracked	*t, *next;
	pid_t		 pid;
	int		 status;

	if (ntracked > CHILD_BYPID) {
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			child_untrack(pid);
			reaped(pid, status);
		}
		return;
	}
	RB_FOREACH_SAFE(t, trackedtree, &tracked, next) {
		if ((pid = waitpid(t->pid, &status, WNOHANG)) == 0)
			continue;
		child_untrack(t->pid);
		if (pid > 0)
			reaped(pid, status);
	}
}

struct spawn {
	const char		*path;
	char			*argv[4];
	const struct mailuser	*mu;		/* or NULL */
	sigset_t		 mask;		/* the parent's */
	int			 fd, conffd, logfd;
	const char		*failed;	/* what the child could not do */
	int			 err;		/* its errno */
};

#ifdef __linux__
/*
 * glibc's setxid wrappers act on every thread, which a child sharing the
 * parent's memory takes for its own: the kernel's calls alone.
 */
#ifdef SYS_setresuid32
#define spawn_setgroups(n, g)	syscall(SYS_setgroups32, (n), (g))
#define spawn_setresgid(g)	syscall(SYS_setresgid32, (g), (g), (g))
#define spawn_seteuid(u)	syscall(SYS_setresuid32, 0, (u), 0)
#else
#define spawn_setgroups(n, g)	syscall(SYS_setgroups, (n), (g))
#define spawn_setresgid(g)	syscall(SYS_setresgid, (g), (g), (g))
#define spawn_seteuid(u)	syscall(SYS_setresuid, 0, (u), 0)
#endif
#define spawn_noroot()		syscall(SYS_prctl, PR_SET_SECUREBITS,	\
				    SECBIT_NOROOT | SECBIT_NOROOT_LOCKED, \
				    0, 0, 0)
/* libbsd's closefrom may read /proc with malloc(3): the kernel's call. */
#define spawn_closefrom(fd)	close_range((fd), ~0U, 0)
/*
 * The child starts on the parent's table (CLONE_FILES) and keeps only
 * what is below fd, not the sessions' process descriptors.  Linux 5.9.
 */
#define spawn_unshare(fd)	close_range((fd), ~0U, CLOSE_RANGE_UNSHARE)
#else
#define spawn_setgroups(n, g)	setgroups((n), (g))
#define spawn_setresgid(g)	setresgid((g), (g), (g))
#define spawn_seteuid(u)	setresuid(0, (u), 0)
/* Real uid root gives nothing at exec where only uid 0 is privileged. */
#define spawn_noroot()		0
#define spawn_closefrom(fd)	closefrom(fd)
#endif

int	child_noroot = 1;

#define SPAWN_FAIL(sp, what) do {					\
	(sp)->err = errno;						\
	(sp)->failed = (what);						\
	_exit(127);							\
} while (0)

/*
 * In the parent's memory until execve: system calls only (no malloc,
 * stdio or log); what failed is left in sp for the parent.
 */
static int
spawn_child(void *arg)
{
	struct spawn	*sp = arg;
	int		 i, fd = sp->fd, cfd = sp->conffd;

#ifdef __linux__
	/* First of all: a table of its own, before any dup2. */
	if (spawn_unshare(MAX(MAX(fd, cfd), MAX(sp->logfd, STDERR_FILENO)) +
	    1) == -1)
		SPAWN_FAIL(sp, "close_range");
#endif
	/* Not the parent's handlers, which would run in its memory. */
	for (i = 1; i < NSIG; i++)
		(void)signal(i, SIG_DFL);
	if (sp->logfd != -1 && dup2(sp->logfd, STDERR_FILENO) == -1)
		SPAWN_FAIL(sp, "its log relay");
	if (cfd == POPD_CHANNEL_FD && (cfd = dup(cfd)) == -1)
		SPAWN_FAIL(sp, "its channels");
	/* dup2 onto itself would keep close-on-exec set. */
	if (fd == POPD_CHANNEL_FD ? fcntl(fd, F_SETFD, 0) == -1 :
	    dup2(fd, POPD_CHANNEL_FD) == -1)
		SPAWN_FAIL(sp, "its channels");
	if (cfd != -1 && (cfd == POPD_CONF_FD ? fcntl(cfd, F_SETFD, 0) ==
	    -1 : dup2(cfd, POPD_CONF_FD) == -1))
		SPAWN_FAIL(sp, "its channels");
	if (spawn_closefrom((cfd != -1 ? POPD_CONF_FD : POPD_CHANNEL_FD) +
	    1) == -1)
		SPAWN_FAIL(sp, "closefrom");
	/*
	 * Real and saved uid stay root's until the exec, so no process of
	 * the mail user's may signal this one while the parent waits.
	 * SECBIT_NOROOT, locked: a real uid of root gets no capabilities.
	 */
	if (sp->mu != NULL) {
		if (spawn_setgroups(1, &sp->mu->gid) == -1)
			SPAWN_FAIL(sp, "setgroups");
		if (spawn_setresgid(sp->mu->gid) == -1)
			SPAWN_FAIL(sp, "setresgid");
		if (child_noroot && spawn_noroot() == -1)
			SPAWN_FAIL(sp, "securebits");
		if (spawn_seteuid(sp->mu->uid) == -1)
			SPAWN_FAIL(sp, "setresuid");
	}
	if (sigprocmask(SIG_SETMASK, &sp->mask, NULL) == -1)
		SPAWN_FAIL(sp, "sigprocmask");
	execve(sp->path, sp->argv, child_envp);
	SPAWN_FAIL(sp, "exec");
}

/*
 * The child shares the parent's memory until it execs (clone(2) with
 * CLONE_VM|CLONE_VFORK, or vfork(2)): no copy of its page tables.
 * With pidfd the caller reaps it (login.c) and child_reap leaves it alone.
 */
pid_t
child_spawn(const char *path, const char *argv0, int fd, int conffd,
    const char *role, const struct mailuser *mu, int *pidfd)
{
	static char	 vflag[8];
#ifdef __linux__
	static char	 stack[65536] __attribute__((aligned(16)));
#endif
	struct spawn	 sp;
	sigset_t	 all;
	pid_t		 pid;
	int		 saved, argc = 0;

	if (mu != NULL && (mu->uid == 0 || mu->gid == 0)) {
		log_warnx("%s for %s: refusing uid %u gid %u: root's ids",
		    role, mu->name, (unsigned)mu->uid, (unsigned)mu->gid);
		errno = EPERM;
		return -1;
	}
	memset(&sp, 0, sizeof(sp));
	sp.path = path;
	sp.argv[argc++] = (char *)argv0;
	if (debug)
		sp.argv[argc++] = "-d";
	if (verbose > 0) {
		(void)snprintf(vflag, sizeof(vflag), "-%.*s",
		    verbose > 5 ? 5 : verbose, "vvvvv");
		sp.argv[argc++] = vflag;
	}
	sp.mu = mu;
	sp.fd = fd;
	sp.conffd = conffd;
	sp.logfd = debug ? -1 : logrelay_fd(role);

	/* No handler of ours may run in the child before it resets them. */
	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &sp.mask) == -1) {
		log_warn("%s: sigprocmask", role);
		return -1;
	}
	pid = -1;
	if (pidfd != NULL)
		*pidfd = -1;
#ifdef __linux__
	/* Out of descriptors (or an old kernel): SIGCHLD's, as any. */
	if (pidfd != NULL && (pid = clone(spawn_child, stack + sizeof(stack),
	    CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_PIDFD | SIGCHLD, &sp,
	    pidfd)) == -1)
		*pidfd = -1;
	if (pid == -1)
		pid = clone(spawn_child, stack + sizeof(stack), CLONE_VM |
		    CLONE_VFORK | CLONE_FILES | SIGCHLD, &sp);
#else
	if ((pid = vfork()) == 0)
		spawn_child(&sp);
#endif
	saved = errno;
	if (sigprocmask(SIG_SETMASK, &sp.mask, NULL) == -1)
		fatal("sigprocmask");
	if (pid == -1) {
		errno = saved;
		log_warn("cannot start %s", role);
		return -1;
	}
	if (sp.failed == NULL) {
		if (pidfd == NULL || *pidfd == -1)
			child_track(pid);
		return pid;
	}

	(void)waitpid(pid, NULL, 0);
	if (pidfd != NULL && *pidfd != -1) {
		close(*pidfd);
		*pidfd = -1;
	}
	errno = sp.err;
	if (mu != NULL)
		log_warn("%s for %s: %s %s", role, mu->name, sp.failed, path);
	else
		log_warn("%s: %s %s", role, sp.failed, path);
	if (sp.err == EACCES && strcmp(sp.failed, "exec") == 0) {
		if (helper_replaced(path))
			log_warnx("%s replaced since popd started: restart "
			    "popd after an upgrade", path);
		else if (mu != NULL)
			log_warnx("%s: uid %u gid %u may not execute it: the "
			    "mode of the file or of a directory above it",
			    path, (unsigned)mu->uid, (unsigned)mu->gid);
		else
			log_warnx("%s: root may not execute it: its mode, or "
			    "a noexec mount", path);
	}
	errno = sp.err;
	return -1;
}

/* fds[0] to fds[n - 1] become its descriptors 0 to n - 1, and no other. */
pid_t
child_exec(const char *path, char *const argv[], const int fds[], int n)
{
	sigset_t	 none;
	pid_t		 pid;
	int		 i, moved[4];

	if (n > (int)nitems(moved)) {
		errno = EINVAL;
		return -1;
	}
	if ((pid = fork()) != 0)
		return pid;
	/* Above n first: one of fds may be another's place. */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		_exit(127);
	for (i = 0; i < n; i++)
		if ((moved[i] = fcntl(fds[i], F_DUPFD, n)) == -1)
			_exit(127);
	for (i = 0; i < n; i++)
		if (dup2(moved[i], i) == -1)
			_exit(127);
	closefrom(n);
	execv(path, argv);
	_exit(127);
}

/*
 * Root waits on no unprivileged process without an end: killed at
 * deadline.  -1 if the event loop reaped it first (child_reap).
 */
int
child_wait(pid_t pid, time_t deadline, const char *name)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	int		 status;
	pid_t		 r;

	while ((r = waitpid(pid, &status, WNOHANG)) == 0 &&
	    monotime() < deadline)
		(void)nanosleep(&ts, NULL);
	if (r == 0) {
		log_warnx("%s %d took too long: killed", name, (int)pid);
		(void)kill(pid, SIGKILL);
		r = waitpid(pid, &status, 0);
	}
	if (r == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
}

/* 0 at its end, -1 with errno (ETIMEDOUT: too late). */
static ssize_t
read_by(int fd, void *buf, size_t len, time_t deadline)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	time_t		 now;
	int		 r;

	for (;;) {
		if ((now = monotime()) >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&pfd, 1, (int)(deadline - now) * 1000);
		if (r == -1 && errno != EINTR)
			return -1;
		if (r == 1)
			return read(fd, buf, len);
	}
}

/* confpop's own notes are no configuration error for popctl reload. */
static void
relay_lines(char *buf, size_t *n, size_t max)
{
	char	*nl;
	size_t	 left;

	while ((nl = memchr(buf, '\n', *n)) != NULL) {
		*nl = '\0';
		if (strncmp(buf, "confpop -C: ", 12) == 0)
			log_info("%s", buf);
		else
			log_warnx("%s", buf);
		left = *n - (nl + 1 - buf);
		memmove(buf, nl + 1, left);
		*n = left;
		buf[left] = '\0';
	}
	if (*n == max) {
		log_warnx("%s", buf);
		*n = 0;
	}
}

/* NULL if it has errors, or confpop failed or took over CONF_WAIT. */
struct popd_conf *
conf_fetch(const char *path, char *const argv[], const char *cwd)
{
	static char	 img[CONF_IMAGEMAX] __attribute__((__aligned__(16)));
	struct popd_conf *c = NULL;
	char		 line[1024], **cargv;
	const char	*why;
	time_t		 deadline = monotime() + CONF_WAIT;
	size_t		 n = 0, len = 0;
	ssize_t		 r;
	pid_t		 pid = -1;
	int		 argc, errp[2] = { -1, -1 }, imgp[2] = { -1, -1 };
	int		 fds[4], status;

	for (argc = 0; argv[argc] != NULL; argc++)
		;
	if ((cargv = calloc(argc + 3, sizeof(*cargv))) != NULL &&
	    pipe(errp) == 0 && pipe(imgp) == 0) {
		cargv[0] = argv[0];
		cargv[1] = "-C";
		cargv[2] = (char *)cwd;
		memcpy(cargv + 3, argv + 1, argc * sizeof(*cargv));
		/* Its stdout and stderr are its messages, 3 the image. */
		fds[0] = fds[1] = fds[2] = errp[1];
		fds[3] = imgp[1];
		pid = child_exec(path, cargv, fds, 4);
	}
	if (pid == -1)
		log_warn("confpop");
	free(cargv);
	close(errp[1]);
	close(imgp[1]);
	/* Its messages end before its image starts (confpop.c). */
	while (pid != -1 && (r = read_by(errp[0], line + n,
	    sizeof(line) - 1 - n, deadline)) > 0) {
		n += r;
		line[n] = '\0';
		relay_lines(line, &n, sizeof(line) - 1);
	}
	if (n > 0)
		log_warnx("%s", line);
	while (pid != -1 && len < sizeof(img) && (r = read_by(imgp[0],
	    img + len, sizeof(img) - len, deadline)) > 0)
		len += r;
	close(errp[0]);
	close(imgp[0]);
	if (pid == -1)
		return NULL;
	/* Cut short, confpop may end on SIGPIPE: the size says why. */
	status = child_wait(pid, deadline, "confpop");
	if (len == sizeof(img))
		log_warnx("confpop: the configuration is larger than %zu "
		    "bytes", sizeof(img) - 1);
	else if (status == 127 && helper_replaced(path))
		log_warnx("%s replaced since popd started: restart popd "
		    "after an upgrade", path);
	else if (status != 0 && status != 1)
		log_warnx("confpop: exit status %d: the configuration was "
		    "not read", status);
	else if (status == 0 && (c = conf_unimage(img, len, &why)) == NULL)
		log_warnx("confpop: the configuration's image: %s", why);
	return c;
}

