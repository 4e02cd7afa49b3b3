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
 * OpenBSD's runtime for make openbsd-test (regress/openbsd/emu.sh),
 * linked into that build's programs only, never an installed one:
 * pledge(2) as a seccomp filter from pledge(2)'s promise table (7.6),
 * unveil(2), shm_mkstemp(3) in /tmp, no file seals, the login class's
 * descriptor limit.  getprogname(3) is libbsd's, already argv[0]'s last
 * component as OpenBSD's kernel sets it.  openbsd/README says what it cannot.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "emu.h"

/* openfiles of the port's login class popd (pkg/popd.login). */
#define EMU_OPENFILES	8192

enum {
	P_STDIO, P_RPATH, P_WPATH, P_CPATH, P_DPATH, P_TMPPATH, P_INET,
	P_MCAST, P_FATTR, P_CHOWN, P_FLOCK, P_UNIX, P_DNS, P_GETPW,
	P_SENDFD, P_RECVFD, P_TAPE, P_TTY, P_PROC, P_EXEC, P_PROT_EXEC,
	P_SETTIME, P_PS, P_VMINFO, P_ID, P_PF, P_ROUTE, P_WROUTE, P_AUDIO,
	P_VIDEO, P_BPF, P_UNVEIL, P_ERROR
};
#define B(p)	(1ULL << (p))

/* pledge(2)'s promises, in the manual's order. */
static const char *const names[] = {
	"stdio", "rpath", "wpath", "cpath", "dpath", "tmppath", "inet",
	"mcast", "fattr", "chown", "flock", "unix", "dns", "getpw",
	"sendfd", "recvfd", "tape", "tty", "proc", "exec", "prot_exec",
	"settime", "ps", "vminfo", "id", "pf", "route", "wroute", "audio",
	"video", "bpf", "unveil", "error"
};

/* How a call is judged: by the promises alone, or on its arguments. */
enum { K_ANY, K_OPEN, K_STAT, K_MAKE, K_EXEC, K_SOCKET, K_ADDR,
    K_SENDTO, K_SENDMSG, K_FCNTL, K_IOCTL, K_KILL, K_PRLIMIT, K_CHDIR };

/*
 * Linux's calls for the manual's: kqueue is epoll, closefrom close_range,
 * getentropy getrandom, sendsyslog nothing (syslog(3) connects before
 * the pledge), __tfork clone3.  prctl, splice and the thread calls are
 * Linux's own plumbing of the programs' Linux paths.  A call trapped
 * while SIGSYS is blocked (glibc blocks all around a clone) kills: so
 * those calls are judged by the filter alone.
 */
static const struct call {
	long		 nr;
	int		 kind;
	unsigned long long need;	/* any of these */
} calls[] = {
#define STDIO	B(P_STDIO)
	{ SYS_read, K_ANY, STDIO }, { SYS_write, K_ANY, STDIO },
	{ SYS_readv, K_ANY, STDIO }, { SYS_writev, K_ANY, STDIO },
	{ SYS_pread64, K_ANY, STDIO }, { SYS_pwrite64, K_ANY, STDIO },
	{ SYS_preadv, K_ANY, STDIO }, { SYS_pwritev, K_ANY, STDIO },
	{ SYS_close, K_ANY, STDIO }, { SYS_close_range, K_ANY, STDIO },
	{ SYS_dup, K_ANY, STDIO }, { SYS_dup2, K_ANY, STDIO },
	{ SYS_dup3, K_ANY, STDIO }, { SYS_fchdir, K_ANY, STDIO },
	{ SYS_fstat, K_ANY, STDIO }, { SYS_fsync, K_ANY, STDIO },
	{ SYS_fdatasync, K_ANY, STDIO }, { SYS_ftruncate, K_ANY, STDIO },
	{ SYS_getegid, K_ANY, STDIO }, { SYS_geteuid, K_ANY, STDIO },
	{ SYS_getgid, K_ANY, STDIO }, { SYS_getgroups, K_ANY, STDIO },
	{ SYS_getrandom, K_ANY, STDIO }, { SYS_getitimer, K_ANY, STDIO },
	{ SYS_getpgid, K_ANY, STDIO }, { SYS_getpgrp, K_ANY, STDIO },
	{ SYS_getpid, K_ANY, STDIO }, { SYS_getppid, K_ANY, STDIO },
	{ SYS_getresgid, K_ANY, STDIO }, { SYS_getresuid, K_ANY, STDIO },
	{ SYS_getsid, K_ANY, STDIO }, { SYS_gettid, K_ANY, STDIO },
	{ SYS_gettimeofday, K_ANY, STDIO }, { SYS_getuid, K_ANY, STDIO },
	{ SYS_getrusage, K_ANY, STDIO }, { SYS_uname, K_ANY, STDIO },
	{ SYS_lseek, K_ANY, STDIO }, { SYS_madvise, K_ANY, STDIO },
	{ SYS_mmap, K_ANY, STDIO }, { SYS_mprotect, K_ANY, STDIO },
	{ SYS_munmap, K_ANY, STDIO }, { SYS_mremap, K_ANY, STDIO },
	{ SYS_brk, K_ANY, STDIO }, { SYS_nanosleep, K_ANY, STDIO },
	{ SYS_clock_nanosleep, K_ANY, STDIO },
	{ SYS_clock_gettime, K_ANY, STDIO }, { SYS_clock_getres, K_ANY, STDIO },
	{ SYS_pipe, K_ANY, STDIO }, { SYS_pipe2, K_ANY, STDIO },
	{ SYS_poll, K_ANY, STDIO }, { SYS_ppoll, K_ANY, STDIO },
	{ SYS_select, K_ANY, STDIO }, { SYS_pselect6, K_ANY, STDIO },
	{ SYS_recvfrom, K_ANY, STDIO }, { SYS_recvmsg, K_ANY, STDIO },
	{ SYS_sendmsg, K_SENDMSG, STDIO }, { SYS_sendto, K_SENDTO, STDIO },
	{ SYS_setitimer, K_ANY, STDIO }, { SYS_shutdown, K_ANY, STDIO },
	{ SYS_rt_sigaction, K_ANY, STDIO },
	{ SYS_rt_sigprocmask, K_ANY, STDIO },
	{ SYS_rt_sigreturn, K_ANY, STDIO }, { SYS_rt_sigsuspend, K_ANY, STDIO },
	{ SYS_sigaltstack, K_ANY, STDIO }, { SYS_socketpair, K_ANY, STDIO },
	{ SYS_umask, K_ANY, STDIO }, { SYS_wait4, K_ANY, STDIO },
	{ SYS_waitid, K_ANY, STDIO }, { SYS_exit, K_ANY, STDIO },
	{ SYS_exit_group, K_ANY, STDIO }, { SYS_epoll_create1, K_ANY, STDIO },
	{ SYS_epoll_ctl, K_ANY, STDIO }, { SYS_epoll_wait, K_ANY, STDIO },
	{ SYS_epoll_pwait, K_ANY, STDIO }, { SYS_futex, K_ANY, STDIO },
	{ SYS_sched_yield, K_ANY, STDIO }, { SYS_tgkill, K_ANY, STDIO },
	{ SYS_rseq, K_ANY, STDIO }, { SYS_set_robust_list, K_ANY, STDIO },
	/* glibc's qsort(3) asks sysconf(_SC_PHYS_PAGES); OpenBSD's not. */
	{ SYS_sysinfo, K_ANY, STDIO },
	{ SYS_restart_syscall, K_ANY, STDIO }, { SYS_prctl, K_ANY, STDIO },
	{ SYS_splice, K_ANY, STDIO }, { SYS_getsockopt, K_ANY, STDIO },
	{ SYS_setsockopt, K_ANY, STDIO }, { SYS_fcntl, K_FCNTL, STDIO },
	{ SYS_ioctl, K_IOCTL, STDIO }, { SYS_kill, K_KILL, STDIO },
	{ SYS_prlimit64, K_PRLIMIT, STDIO },
	{ SYS_openat, K_OPEN, 0 }, { SYS_open, K_OPEN, 0 },
	{ SYS_newfstatat, K_STAT, 0 }, { SYS_stat, K_STAT, 0 },
	{ SYS_lstat, K_STAT, 0 }, { SYS_statx, K_STAT, 0 },
	{ SYS_access, K_STAT, 0 }, { SYS_faccessat, K_STAT, 0 },
	{ SYS_faccessat2, K_STAT, 0 }, { SYS_readlink, K_STAT, 0 },
	{ SYS_readlinkat, K_STAT, 0 }, { SYS_statfs, K_STAT, 0 },
	{ SYS_chdir, K_CHDIR, B(P_RPATH) },
	{ SYS_getcwd, K_ANY, B(P_RPATH) | B(P_WPATH) },
	{ SYS_getdents64, K_ANY, B(P_RPATH) },
	{ SYS_fstatfs, K_ANY, B(P_RPATH) },
	{ SYS_fchmod, K_ANY, B(P_RPATH) | B(P_WPATH) | B(P_FATTR) },
	{ SYS_fchown, K_ANY, B(P_CHOWN) },
	{ SYS_unlink, K_MAKE, B(P_CPATH) }, { SYS_unlinkat, K_MAKE, B(P_CPATH) },
	{ SYS_mkdir, K_MAKE, B(P_CPATH) }, { SYS_mkdirat, K_MAKE, B(P_CPATH) },
	{ SYS_rmdir, K_MAKE, B(P_CPATH) }, { SYS_rename, K_MAKE, B(P_CPATH) },
	{ SYS_renameat, K_MAKE, B(P_CPATH) },
	{ SYS_renameat2, K_MAKE, B(P_CPATH) },
	{ SYS_link, K_MAKE, B(P_CPATH) }, { SYS_linkat, K_MAKE, B(P_CPATH) },
	{ SYS_symlink, K_MAKE, B(P_CPATH) },
	{ SYS_socket, K_SOCKET, 0 }, { SYS_connect, K_ADDR, 0 },
	{ SYS_bind, K_ADDR, 0 },
	{ SYS_listen, K_ANY, B(P_INET) | B(P_UNIX) },
	{ SYS_accept, K_ANY, B(P_INET) | B(P_UNIX) },
	{ SYS_accept4, K_ANY, B(P_INET) | B(P_UNIX) },
	{ SYS_getpeername, K_ANY, B(P_INET) | B(P_UNIX) },
	{ SYS_getsockname, K_ANY, B(P_INET) | B(P_UNIX) | B(P_DNS) },
	{ SYS_flock, K_ANY, B(P_FLOCK) },
	{ SYS_fork, K_ANY, B(P_PROC) }, { SYS_vfork, K_ANY, B(P_PROC) },
	{ SYS_clone, K_ANY, B(P_PROC) },
	/* __tfork(2) is stdio; glibc makes threads alone with clone3. */
	{ SYS_clone3, K_ANY, STDIO },
	{ SYS_setpgid, K_ANY, B(P_PROC) }, { SYS_setsid, K_ANY, B(P_PROC) },
	{ SYS_setpriority, K_ANY, B(P_PROC) | B(P_ID) },
	{ SYS_pidfd_send_signal, K_ANY, B(P_PROC) },
	{ SYS_execve, K_EXEC, B(P_EXEC) }, { SYS_execveat, K_EXEC, B(P_EXEC) },
	{ SYS_setuid, K_ANY, B(P_ID) }, { SYS_setgid, K_ANY, B(P_ID) },
	{ SYS_setreuid, K_ANY, B(P_ID) }, { SYS_setregid, K_ANY, B(P_ID) },
	{ SYS_setresuid, K_ANY, B(P_ID) }, { SYS_setresgid, K_ANY, B(P_ID) },
	{ SYS_setgroups, K_ANY, B(P_ID) }, { SYS_capget, K_ANY, B(P_ID) },
	{ SYS_capset, K_ANY, B(P_ID) },
	{ SYS_setrlimit, K_ANY, B(P_PROC) | B(P_ID) },
	{ SYS_mknod, K_MAKE, B(P_DPATH) }, { SYS_mknodat, K_MAKE, B(P_DPATH) },
};

/* unveil(2)'s table; none until the first call. */
static struct {
	char	path[PATH_MAX];
	int	perm;			/* 'r' 'w' 'c' 'x' bits */
} veil[64];
static int		nveil = -1;	/* -1: unveil(2) never called */
static int		veil_locked;
static unsigned long long mine;		/* our promises; 0: none */
static int		pledged;
static long		(*trampoline)(long, long, long, long, long, long, long);

#define U_R	1
#define U_W	2
#define U_C	4
#define U_X	8

/* A call from here is outside every filter's text ranges: let through. */
static const unsigned char tramp_code[] = {
	0x48, 0x89, 0xf8,		/* mov %rdi,%rax */
	0x48, 0x89, 0xf7,		/* mov %rsi,%rdi */
	0x48, 0x89, 0xd6,		/* mov %rdx,%rsi */
	0x48, 0x89, 0xca,		/* mov %rcx,%rdx */
	0x4d, 0x89, 0xc2,		/* mov %r8,%r10 */
	0x4d, 0x89, 0xc8,		/* mov %r9,%r8 */
	0x4c, 0x8b, 0x4c, 0x24, 0x08,	/* mov 8(%rsp),%r9 */
	0x0f, 0x05,			/* syscall */
	0xc3				/* ret */
};

static long
sys(long nr, long a, long b, long c, long d, long e, long f)
{
	return trampoline(nr, a, b, c, d, e, f);
}

static void
say(const char *s)
{
	(void)sys(SYS_write, 2, (long)s, strlen(s), 0, 0, 0);
}

int
emu_promises(const char *s, unsigned long long *set)
{
	size_t	i, n;

	*set = 0;
	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		n = strcspn(s, " ");
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i]) == n && strncmp(s, names[i], n) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return -1;
		*set |= B(i);
		s += n;
	}
	return 0;
}

static const struct call *
call_of(long nr)
{
	size_t	i;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (calls[i].nr == nr)
			return &calls[i];
	return NULL;
}

/* path made absolute (against dirfd's or the cwd) and lexically clean. */
static int
abspath(long dirfd, const char *path, char *out)
{
	char	 buf[PATH_MAX * 2], link[64];
	char	*p, *q, *o;
	long	 n;

	if (path[0] == '/')
		n = 0;
	else if (dirfd == AT_FDCWD) {
		if ((n = sys(SYS_getcwd, (long)buf, PATH_MAX, 0, 0, 0, 0)) <
		    0)
			return -1;
		n = strlen(buf);
	} else {
		(void)strcpy(link, "/proc/self/fd/");
		p = link + strlen(link);
		q = p + 20;
		*q = '\0';
		do {
			*--q = '0' + dirfd % 10;
		} while ((dirfd /= 10) != 0);
		memmove(p, q, strlen(q) + 1);
		if ((n = sys(SYS_readlink, (long)link, (long)buf, PATH_MAX - 1,
		    0, 0, 0)) < 0)
			return -1;	/* no /proc (chroot): not judged */
	}
	buf[n] = '/';
	if (strlen(path) >= PATH_MAX)
		return -1;
	(void)strcpy(buf + n + 1, path);
	o = out;
	for (p = buf; *p != '\0'; p = q) {
		while (*p == '/')
			p++;
		if ((q = strchr(p, '/')) == NULL)
			q = p + strlen(p);
		if (q - p == 0 || (q - p == 1 && p[0] == '.'))
			continue;
		if (q - p == 2 && p[0] == '.' && p[1] == '.') {
			while (o > out && *--o != '/')
				;
			continue;
		}
		*o++ = '/';
		memcpy(o, p, q - p);
		o += q - p;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return 0;
}

/*
 * unveil(2): the closest unveiled path at or above path decides; none
 * is ENOENT, one without the right EACCES.  0: allowed.
 */
static int
veiled(long dirfd, const char *path, int want)
{
	char	abs[PATH_MAX];
	size_t	len, best = 0;
	int	i, found = -1;

	if (nveil == -1 || path == NULL)
		return 0;
	if (abspath(dirfd, path, abs) == -1)
		return 0;
	for (i = 0; i < nveil; i++) {
		len = strlen(veil[i].path);
		if (strncmp(abs, veil[i].path, len) != 0 || (abs[len] != '\0' &&
		    abs[len] != '/' && len != 1))
			continue;
		if (found == -1 || len >= best) {
			found = i;
			best = len;
		}
	}
	if (found == -1)
		return ENOENT;
	if (want != 0 && (veil[found].perm & want) != want)
		return EACCES;
	if (want == 0 && veil[found].perm == 0)
		return ENOENT;
	return 0;
}

/* The family a sockaddr names, and the promise it needs. */
static unsigned long long
family_needs(int family)
{
	if (family == AF_UNIX)
		return B(P_UNIX);
	if (family == AF_INET || family == AF_INET6)
		return B(P_INET);
	return 0;
}

/*
 * The promise table: EMU_OK, EMU_KILL (a violation: OpenBSD's abort),
 * or the errno OpenBSD returns (unveil's ENOENT and EACCES, no seals'
 * EINVAL) for nr with args under promises set.
 */
int
emu_check(unsigned long long set, long nr, const unsigned long long a[6])
{
	const struct call	*c;
	const struct msghdr	*mh;
	const struct cmsghdr	*cm;
	const char		*path;
	long			 dirfd = AT_FDCWD;
	int			 flags, want;

	if ((c = call_of(nr)) == NULL)
		return EMU_KILL;
	switch (c->kind) {
	case K_ANY:
		return (set & c->need) != 0 ? EMU_OK : EMU_KILL;
	case K_OPEN:
		if (nr == SYS_openat) {
			dirfd = (int)a[0];
			path = (const char *)a[1];
			flags = (int)a[2];
		} else {
			path = (const char *)a[0];
			flags = (int)a[1];
		}
		/* pledge(2)'s stdio paths. */
		if (strcmp(path, "/dev/null") == 0 ||
		    strcmp(path, "/etc/localtime") == 0 ||
		    strncmp(path, "/usr/share/zoneinfo/", 20) == 0)
			return (set & STDIO) ? EMU_OK : EMU_KILL;
		if ((set & B(P_GETPW)) && (flags & O_ACCMODE) == O_RDONLY &&
		    (strcmp(path, "/etc/passwd") == 0 ||
		    strcmp(path, "/etc/group") == 0 ||
		    strcmp(path, "/etc/nsswitch.conf") == 0))
			return EMU_OK;
		want = 0;
		if ((flags & O_ACCMODE) != O_WRONLY && !(flags & O_PATH)) {
			if (!(set & B(P_RPATH)))
				return EMU_KILL;
			want |= U_R;
		}
		if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) {
			if (!(set & B(P_WPATH)))
				return EMU_KILL;
			want |= U_W;
		}
		if (flags & O_CREAT) {
			if (!(set & B(P_CPATH)))
				return EMU_KILL;
			want |= U_C;
		}
		return veiled(dirfd, path, want);
	case K_STAT:
		if (nr == SYS_newfstatat || nr == SYS_statx ||
		    nr == SYS_faccessat || nr == SYS_faccessat2 ||
		    nr == SYS_readlinkat) {
			dirfd = (int)a[0];
			path = (const char *)a[1];
		} else
			path = (const char *)a[0];
		/* fstat(3) is fstatat(fd, "", AT_EMPTY_PATH) in glibc. */
		if ((nr == SYS_newfstatat || nr == SYS_statx) &&
		    path[0] == '\0')
			return (set & STDIO) ? EMU_OK : EMU_KILL;
		if (!(set & (B(P_RPATH) | B(P_WPATH))))
			return EMU_KILL;
		return veiled(dirfd, path, 0);
	case K_CHDIR:
		if (!(set & c->need))
			return EMU_KILL;
		return veiled(AT_FDCWD, (const char *)a[0], 0);
	case K_MAKE:
		if (!(set & c->need))
			return EMU_KILL;
		if (nr == SYS_unlinkat || nr == SYS_mkdirat ||
		    nr == SYS_renameat || nr == SYS_renameat2 ||
		    nr == SYS_linkat || nr == SYS_mknodat) {
			dirfd = (int)a[0];
			path = (const char *)a[1];
		} else
			path = (const char *)a[0];
		return veiled(dirfd, path, U_C);
	case K_EXEC:
		if (!(set & c->need))
			return EMU_KILL;
		return veiled(nr == SYS_execveat ? (long)(int)a[0] : AT_FDCWD,
		    (const char *)(nr == SYS_execveat ? a[1] : a[0]), U_X);
	case K_SOCKET:
		/* syslog(3)'s socket: sendsyslog(2), allowed always. */
		if ((int)a[0] == AF_UNIX && ((int)a[1] & 0xf) == SOCK_DGRAM)
			return EMU_OK;
		/* getpw: glibc's NSS asks nscd and systemd (YP's stand-ins). */
		if ((int)a[0] == AF_UNIX && (set & B(P_GETPW)))
			return EMU_OK;
		return (set & family_needs((int)a[0])) ? EMU_OK : EMU_KILL;
	case K_ADDR:
		if (a[1] == 0)
			return EMU_KILL;
		if (nr == SYS_connect && strcmp(((const struct sockaddr_un *)
		    a[1])->sun_path, "/dev/log") == 0)
			return EMU_OK;
		if (nr == SYS_connect && (set & B(P_GETPW)) &&
		    ((const struct sockaddr *)a[1])->sa_family == AF_UNIX)
			return EMU_OK;
		if (!(set & family_needs(((const struct sockaddr *)a[1])->
		    sa_family)))
			return EMU_KILL;
		if (((const struct sockaddr *)a[1])->sa_family == AF_UNIX)
			return veiled(AT_FDCWD,
			    ((const struct sockaddr_un *)a[1])->sun_path,
			    nr == SYS_bind ? U_C : U_W);
		return EMU_OK;
	case K_SENDTO:
		if (a[4] == 0)
			return (set & STDIO) ? EMU_OK : EMU_KILL;
		return (set & family_needs(((const struct sockaddr *)a[4])->
		    sa_family)) ? EMU_OK : EMU_KILL;
	case K_SENDMSG:
		if (!(set & STDIO))
			return EMU_KILL;
		mh = (const struct msghdr *)a[1];
		if (mh->msg_name != NULL && !(set & family_needs(
		    ((const struct sockaddr *)mh->msg_name)->sa_family)))
			return EMU_KILL;
		for (cm = CMSG_FIRSTHDR(mh); cm != NULL;
		    cm = CMSG_NXTHDR((struct msghdr *)mh, (struct cmsghdr *)cm))
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_RIGHTS && !(set & B(P_SENDFD)))
				return EMU_KILL;
		return EMU_OK;
	case K_FCNTL:
		if (!(set & STDIO))
			return EMU_KILL;
		switch ((int)a[1]) {
		case 1033: case 1034:	/* F_ADD_SEALS, F_GET_SEALS */
			return EINVAL;	/* OpenBSD has no such command */
		case F_GETLK: case F_SETLK: case F_SETLKW:
		case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
			return (set & B(P_FLOCK)) ? EMU_OK : EMU_KILL;
		}
		return EMU_OK;
	case K_IOCTL:
		switch ((unsigned long)a[1]) {
		case FIONREAD: case FIONBIO: case FIOCLEX: case FIONCLEX:
			return (set & STDIO) ? EMU_OK : EMU_KILL;
		case TCGETS:	/* isatty(3): fcntl F_ISATTY on OpenBSD */
			return (set & (STDIO | B(P_TTY))) ? ENOTTY : EMU_KILL;
		}
		return EMU_KILL;
	case K_KILL:
		if (set & B(P_PROC))
			return EMU_OK;
		return ((set & STDIO) && ((pid_t)a[0] == 0 ||
		    (pid_t)a[0] == getpid())) ? EMU_OK : EMU_KILL;
	case K_PRLIMIT:
		if (a[2] == 0)
			return (set & STDIO) ? EMU_OK : EMU_KILL;
		return (set & (B(P_PROC) | B(P_ID))) ? EMU_OK : EMU_KILL;
	}
	return EMU_KILL;
}

static const char *
num_str(long v, char *buf, size_t len)
{
	char	*p = buf + len - 1;

	*p = '\0';
	if (v < 0)
		v = -v;
	do {
		*--p = '0' + v % 10;
	} while ((v /= 10) != 0 && p > buf);
	return p;
}

/* The kernel's SIGSYS: judged here, made from the trampoline, or fatal. */
static void
emu_sigsys(int sig, siginfo_t *si, void *arg)
{
	ucontext_t		*uc = arg;
	greg_t			*r = uc->uc_mcontext.gregs;
	unsigned long long	 a[6];
	char			 num[24];
	long			 nr = si->si_syscall;
	int			 e;
	struct sigaction	 sa;

	a[0] = r[REG_RDI];
	a[1] = r[REG_RSI];
	a[2] = r[REG_RDX];
	a[3] = r[REG_R10];
	a[4] = r[REG_R8];
	a[5] = r[REG_R9];
	if ((e = emu_check(mine, nr, a)) == EMU_OK) {
		r[REG_RAX] = sys(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		return;
	}
	if (e > 0) {
		r[REG_RAX] = -e;
		return;
	}
	say(program_invocation_short_name);
	say(": pledge violation: Linux system call ");
	say(num_str(nr, num, sizeof(num)));
	say(", arguments ");
	say(num_str((long)a[0], num, sizeof(num)));
	say(" ");
	say(num_str((long)a[1], num, sizeof(num)));
	say("\n");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sys(SYS_rt_sigaction, SIGABRT, (long)&sa, 0, 8, 0, 0);
	(void)sys(SYS_kill, sys(SYS_getpid, 0, 0, 0, 0, 0, 0), SIGABRT,
	    0, 0, 0, 0);
	(void)sys(SYS_exit_group, 134, 0, 0, 0, 0, 0);
}

/* The text of every object loaded now: the code the filter judges. */
struct ranges {
	uint64_t	lo[64], hi[64];
	int		n;
};

static int
text_range(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct ranges	*rg = arg;
	uint64_t	 lo, hi;
	int		 i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_LOAD ||
		    !(info->dlpi_phdr[i].p_flags & PF_X))
			continue;
		lo = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
		hi = lo + info->dlpi_phdr[i].p_memsz;
		/* Split at 4 GB: the filter compares 32-bit halves. */
		while (lo < hi && rg->n < 64) {
			rg->lo[rg->n] = lo;
			rg->hi[rg->n] = (lo | 0xffffffffULL) + 1 < hi ?
			    (lo | 0xffffffffULL) + 1 : hi;
			lo = rg->hi[rg->n++];
		}
	}
	return 0;
}

#define ARCH_OFF	offsetof(struct seccomp_data, arch)
#define NR_OFF		offsetof(struct seccomp_data, nr)
#define IP_LO		offsetof(struct seccomp_data, instruction_pointer)
#define IP_HI		(IP_LO + 4)
#define STMT(c, k)	((struct sock_filter)BPF_STMT(c, k))
#define JUMP(c, k, t, f) ((struct sock_filter)BPF_JUMP(c, k, t, f))

/*
 * Calls from this image's text under set: what the table allows
 * whatever the arguments passes, the rest traps to emu_sigsys.  Calls
 * from elsewhere pass: after an exec(2) a child's text lies elsewhere
 * (ASLR), and OpenBSD drops the promises at exec.
 */
static int
emu_filter(unsigned long long set)
{
	static struct sock_filter f[1024];
	struct sock_fprog	prog;
	struct ranges		rg;
	size_t			i, n = 0;
	int			r;

	memset(&rg, 0, sizeof(rg));
	(void)dl_iterate_phdr(text_range, &rg);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARCH_OFF);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	for (r = 0; r < rg.n; r++) {
		f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, IP_HI);
		f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    (uint32_t)(rg.lo[r] >> 32), 0, 4);
		f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, IP_LO);
		f[n++] = JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)rg.lo[r],
		    0, 2);
		f[n++] = JUMP(BPF_JMP | BPF_JGT | BPF_K,
		    (uint32_t)(rg.hi[r] - 1), 1, 0);
		f[n++] = STMT(BPF_JMP | BPF_JA, 6 * (rg.n - r - 1) + 1);
	}
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF);
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		if (calls[i].kind != K_ANY || !(calls[i].need & set))
			continue;
		f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, calls[i].nr, 0, 1);
		f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	prog.len = n;
	prog.filter = f;
	if (sys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0) < 0)
		return -1;
	return sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&prog, 0,
	    0, 0) < 0 ? -1 : 0;
}

int
pledge(const char *promises, const char *execpromises)
{
	unsigned long long	set;

	if (promises == NULL)
		return 0;
	if (emu_promises(promises, &set) == -1 ||
	    (pledged && (set & ~mine) != 0)) {
		errno = pledged ? EPERM : EINVAL;
		return -1;
	}
	if (emu_filter(set) == -1)
		return -1;
	mine = set;
	pledged = 1;
	return 0;
}

int
unveil(const char *path, const char *perm)
{
	const char	*p;
	int		 bits = 0;

	if (veil_locked) {
		errno = EPERM;
		return -1;
	}
	if (path == NULL && perm == NULL) {
		veil_locked = 1;
		return 0;
	}
	if (nveil == -1)
		nveil = 0;
	for (p = perm; *p != '\0'; p++)
		switch (*p) {
		case 'r': bits |= U_R; break;
		case 'w': bits |= U_W; break;
		case 'c': bits |= U_C; break;
		case 'x': bits |= U_X; break;
		default:
			errno = EINVAL;
			return -1;
		}
	if (nveil == 64 || abspath(AT_FDCWD, path, veil[nveil].path) == -1) {
		errno = E2BIG;
		return -1;
	}
	veil[nveil++].perm = bits;
	return 0;
}

/* OpenBSD's name is /tmp/<sha256 of the template>.shm; ours a hash. */
static void
shm_path(const char *t, char *out)
{
	uint64_t	h = 14695981039346656037ULL;
	int		i;

	for (; *t != '\0'; t++)
		h = (h ^ (unsigned char)*t) * 1099511628211ULL;
	(void)strcpy(out, "/tmp/");
	for (i = 0; i < 16; i++)
		out[5 + i] = "0123456789abcdef"[(h >> (i * 4)) & 15];
	(void)strcpy(out + 21, ".shm");
}

int
shm_mkstemp(char *template)
{
	static const char	 set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char		 rnd[64];
	char			 path[32];
	size_t			 len = strlen(template), nx = 0, i;
	int			 fd, tries;

	while (nx < len && nx < sizeof(rnd) && template[len - nx - 1] == 'X')
		nx++;
	for (tries = 0; tries < 100; tries++) {
		if (getentropy(rnd, nx) == -1)
			return -1;
		for (i = 0; i < nx; i++)
			template[len - nx + i] = set[rnd[i] % (sizeof(set) - 1)];
		shm_path(template, path);
		if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600)) != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

int
shm_open(const char *name, int flags, mode_t mode)
{
	char	p[32];

	shm_path(name, p);
	return open(p, flags | O_CLOEXEC | O_NOFOLLOW, mode & 0600);
}

int
shm_unlink(const char *path)
{
	char	p[32];

	shm_path(path, p);
	return unlink(p);
}

/* The SIGSYS of the emulation stays when a program resets the others. */
sighandler_t
signal(int sig, sighandler_t h)
{
	struct sigaction	sa, old;

	if (sig == SIGSYS)
		return SIG_DFL;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sa.sa_flags = SA_RESTART;
	if (sigaction(sig, &sa, &old) == -1)
		return SIG_ERR;
	return old.sa_handler;
}

__attribute__((constructor)) static void
emu_init(void)
{
	struct sigaction	sa;
	struct rlimit		rl;
	sigset_t		sys;
	void			*t;

	if ((t = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		abort();
	memcpy(t, tramp_code, sizeof(tramp_code));
	if (mprotect(t, 4096, PROT_READ | PROT_EXEC) == -1)
		abort();
	trampoline = t;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = emu_sigsys;
	sa.sa_flags = SA_SIGINFO;
	/* An exec from emu_sigsys leaves SIGSYS blocked in the new image. */
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	if (sigaction(SIGSYS, &sa, NULL) == -1 ||
	    sigprocmask(SIG_UNBLOCK, &sys, NULL) == -1)
		abort();
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		abort();
	if (rl.rlim_max > EMU_OPENFILES)
		rl.rlim_max = EMU_OPENFILES;
	if (rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		abort();
}
