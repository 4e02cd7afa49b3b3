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
 * The confinement of every popd process, one sandbox_<role>() per role,
 * holding pledge/unveil and the Linux equivalent (no_new_privs, Landlock,
 * seccomp) side by side.  Every failure is fatal; only a kernel without
 * Landlock is tolerated, logged.  Called last, after chroot and the id
 * drop; core dumps go off here for the parent and mda (proc.c: others).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

static void
sb_nocore(const char *role)
{
	if (compat_nocoredump() == -1)
		fatal("%s: disable core dumps", role);
}

#ifdef POPD_OPENBSD

static const char	*sandbox_desc = "pledge+unveil";

static void
sb_unveil(const char *path, const char *perm)
{
	if (unveil(path, perm) == -1)
		fatal("unveil %s", path != NULL ? path : "(lock)");
}

static void
sb_pledge(const char *role, const char *promises)
{
	if (pledge(promises, NULL) == -1)
		fatal("%s: pledge", role);
}

#else /* Linux */

#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <linux/capability.h>
#include <linux/sockios.h>

#include <sched.h>
#include <seccomp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "landlock.h"
#ifndef SANDBOX_MKFILTER
#include "sc_wrkrpop.h"	/* made by common/mkfilter */
#endif
#include "sandbox_linux.h"

#endif /* Linux */

/*
 * Linux: Landlock and seccomp are inherited across execve(2), and each
 * wrkrpop needs a maildir usertab may change, so the parent's layer handles
 * only what no popd process needs (EXECUTE but on the helpers' inodes,
 * mknod, device ioctls, TCP bind/connect, signals out of its domain); it
 * must handle and grant REFER, else every rename across directories fails
 * (EXDEV) below it, so ABI 1 means no layer.  Seccomp is a deny-list:
 * an allow-list would have to foresee NSS and every reload path.
 */
void
sandbox_parent(const char *const exec[], const char *const rd[],
    const char *const rm[], int tcp)
{
#ifdef POPD_OPENBSD
	size_t	i;

	sb_nocore("parent");
	for (i = 0; exec != NULL && exec[i] != NULL; i++)
		sb_unveil(exec[i], "x");
	for (i = 0; rd != NULL && rd[i] != NULL; i++)
		sb_unveil(rd[i], "r");
	/* Its sockets, removed at exit, and the state file's directory. */
	for (i = 0; rm != NULL && rm[i] != NULL; i++)
		sb_unveil(rm[i], "rwc");
	/* shm_mkstemp(3): configuration images, certificate and counters. */
	sb_unveil("/tmp", "rwc");
	sb_unveil(NULL, NULL);
	/*
	 * stdio: channels, pipes; rpath: tables and certificates on SIGHUP;
	 * proc exec id: a process per role and login; sendfd recvfd: sockets;
	 * unix: getpeereid(2) and SO_TYPE on popctl's clients; cpath: unlink
	 * of its sockets, the state file made; wpath: that file for control.
	 */
	sb_pledge("parent",
	    "stdio rpath wpath cpath proc exec id sendfd recvfd unix");
#else
	(void)rd;	/* see above: reading stays with DAC on Linux */
	sb_nocore("parent");
	sb_nnp("parent");
	exec_only("parent", exec, tcp);
#endif
}

/* The one process that reads the network: no file, exec or connect. */
void
sandbox_listener(void)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	/*
	 * inet: accept(2) and socket options; sendfd: sessions to the parent;
	 * recvfd: the listening sockets.
	 */
	sb_pledge("listener", "stdio inet sendfd recvfd");
#else
	static const int allow[] = {
		SCMP_SYS(accept), SCMP_SYS(accept4),
		SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
		SCMP_SYS(getpeername), SCMP_SYS(getsockname),
		SCMP_SYS(splice),
	};
	scmp_filter_ctx	ctx;
	int		abi;

	ctx = sc_nofile("listener", allow, nitems(allow), &abi);
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair),
	    1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX)), "listener", "socketpair");
	sc_load(ctx, "listener", abi);
#endif
}

/* Spools each message to a sealed memfd: no named file, socket or exec. */
void
sandbox_lmtp(void)
{
#ifdef POPD_OPENBSD
	/* The spool is shm_mkstemp(3): CHROOTDIR must hold a /tmp. */
	sb_unveil("/tmp", "rwc");
	sb_unveil(NULL, NULL);
	/*
	 * inet unix: accept(2) on the LMTP sockets; recvfd: those; sendfd: each
	 * spool; rpath wpath cpath: shm_mkstemp in /tmp, unveiled alone.
	 */
	sb_pledge("lmtp", "stdio rpath wpath cpath inet unix sendfd recvfd");
#else
	static const int allow[] = {
		SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(getsockopt),
		/* One sealed spool per message (fcntl is common). */
		SCMP_SYS(memfd_create),
	};
	scmp_filter_ctx	ctx;
	int		abi;

	ctx = sc_nofile("lmtp", allow, nitems(allow), &abi);
	sc_load(ctx, "lmtp", abi);
#endif
}

/*
 * No new socket, not even a socketpair: the parent must only get sockets
 * that popctl's users connected.
 */
void
sandbox_control(int statefd)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	/*
	 * stdio: pwrite, ftruncate, fsync on the state file; unix: accept(2);
	 * recvfd: that socket and file; sendfd: each client to the parent.
	 */
	sb_pledge("control", "stdio unix recvfd sendfd");
#else
	static const int allow[] = {
		SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(getsockopt),
	};
	/* The app passwords' state file, rewritten in place: that fd only. */
	static const int statefile[] = {
		SCMP_SYS(pwrite64), SCMP_SYS(ftruncate), SCMP_SYS(fsync),
	};
	scmp_filter_ctx	ctx;
	size_t		i;
	int		abi;

	ctx = sc_nofile("control", allow, nitems(allow), &abi);
	for (i = 0; statefd != -1 && i < nitems(statefile); i++)
		sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, statefile[i], 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)statefd)), "control",
		    "the state file");
	sc_load(ctx, "control", abi);
#endif
}

/* keypop holds the private keys: its two channels and nothing else. */
void
sandbox_keypop(void)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	sb_pledge("keypop", "stdio");
#else
	scmp_filter_ctx	ctx;
	int		abi;

	ctx = sc_nofile("keypop", NULL, 0, &abi);
	/* Is our last answer read (compat_unread)? */
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, SIOCOUTQ)), "keypop", "ioctl SIOCOUTQ");
	sc_load(ctx, "keypop", abi);
#endif
}

/*
 * keypop -c: libtls checks a keypair by a handshake with itself over a
 * socketpair; signing mode gets neither pread nor socketpair.
 */
void
sandbox_keycheck(void)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	/* stdio: the pair, the verdict and the socketpair. */
	sb_pledge("keypop -c", "stdio");
#else
	static const int allow[] = {
		/* The pair's bytes, from the start of what the parent wrote. */
		SCMP_SYS(pread64),
	};
	scmp_filter_ctx	ctx;
	int		abi;

	ctx = sc_nofile("keypop -c", allow, nitems(allow), &abi);
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair),
	    1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX)), "keypop -c", "socketpair");
	sc_load(ctx, "keypop -c", abi);
#endif
}

/*
 * confpop -C reads root's files for the parent, read-only: only
 * CAP_DAC_READ_SEARCH kept, Landlock handles every right but reading, and
 * seccomp refuses writing opens, changes, exec, bind and foreign signals.
 */
void
sandbox_confpop(void)
{
#ifdef POPD_OPENBSD
	sb_pledge("confpop -C", "stdio rpath getpw");
#else
	static const int change[] = {
		SCMP_SYS(creat), SCMP_SYS(unlink), SCMP_SYS(unlinkat),
		SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2),
		SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(rmdir),
		SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(symlink),
		SCMP_SYS(symlinkat), SCMP_SYS(chmod), SCMP_SYS(fchmod),
		SCMP_SYS(fchmodat), SCMP_SYS(chown), SCMP_SYS(fchown),
		SCMP_SYS(lchown), SCMP_SYS(fchownat), SCMP_SYS(truncate),
		SCMP_SYS(utimensat), SCMP_SYS(execve), SCMP_SYS(bind),
		SCMP_SYS(setxattr), SCMP_SYS(removexattr),
	};
	static const int writing[] = { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC };
	struct __user_cap_header_struct	 h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	 d[2];
	scmp_filter_ctx			 ctx;
	const char			*role = "confpop -C";
	pid_t				 pid = getpid();
	size_t				 i;
	int				 abi;

	sb_nocore(role);
	if (syscall(SYS_capget, &h, d) == -1)
		fatal("%s: capget", role);
	d[0].effective = d[0].permitted &= 1U << CAP_DAC_READ_SEARCH;
	d[0].inheritable = d[1].effective = d[1].permitted =
	    d[1].inheritable = 0;
	if (syscall(SYS_capset, &h, d) == -1)
		fatal("%s: capset", role);
	sb_nnp(role);
	abi = ll_restrict(role, LL_FS_ALL & ~(LL_FS_READ_FILE |
	    LL_FS_READ_DIR), LL_NOBIND, NULL, 0, 1, 0);
	ctx = sc_init(role, SCMP_ACT_ALLOW);
	sc_deny(ctx, role);
	for (i = 0; i < nitems(change); i++)
		sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    change[i], 0), role, "change");
	for (i = 0; i < nitems(writing); i++) {
		sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    SCMP_SYS(open), 1, SCMP_A1(SCMP_CMP_MASKED_EQ,
		    writing[i], writing[i])), role, "open");
		sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    SCMP_SYS(openat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ,
		    writing[i], writing[i])), role, "openat");
	}
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
	    SCMP_SYS(openat2), 0), role, "openat2");
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(kill),
	    1, SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)pid)), role, "kill");
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
	    SCMP_SYS(tgkill), 1, SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)pid)),
	    role, "tgkill");
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
	    SCMP_SYS(tkill), 1, SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)pid)),
	    role, "tkill");
	sc_load(ctx, role, abi);
#endif
}

/*
 * routepop: TCP connect only to the health port (Landlock ABI 4), none
 * without one; no file, listening or exec.
 */
void
sandbox_routepop(int port)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	/* inet: socket(2) and connect(2) for the checks. */
	sb_pledge("routepop", port != 0 ? "stdio inet recvfd" :
	    "stdio recvfd");
#else
	static const int allow[] = {
		SCMP_SYS(getsockopt),
	};
	scmp_filter_ctx	ctx;
	int		abi;

	sb_nnp("routepop");
	/* Every fs right handled, no rule; TCP: connect to port alone. */
	abi = ll_restrict("routepop", LL_FS_ALL, 1, NULL, 0, 1, port);

	ctx = sc_init("routepop", SCMP_ACT_KILL_PROCESS);
	sc_child_base(ctx, "routepop", 1, getpid());
	sc_nofs(ctx, "routepop");
	sc_allow(ctx, "routepop", allow, sizeof(allow) / sizeof(allow[0]));
	sc_load(ctx, "routepop", abi);
#endif
}

/*
 * tablepop runs OpenSMTPD's table programs, which inherit its Linux
 * confinement and need their databases (files by DAC, sockets, DNS): so
 * its rules are the parent's kind (EXECUTE on the programs alone, REFER
 * granted, sc_deny).  On OpenBSD they start unpledged, as smtpd's do.
 */
void
sandbox_tablepop(const char *const exec[])
{
#ifdef POPD_OPENBSD
	size_t	i;

	for (i = 0; exec != NULL && exec[i] != NULL; i++)
		sb_unveil(exec[i], "x");
	sb_unveil(NULL, NULL);
	/*
	 * stdio: socketpairs, pipes, dup2; proc: fork, kill, wait, setsid,
	 * setrlimit; exec: the programs, unveiled alone; recvfd: its channels.
	 */
	sb_pledge("tablepop", "stdio proc exec recvfd");
#else
	sb_nnp("tablepop");
	exec_only("tablepop", exec, 1);
#endif
}

/*
 * authpop sees every password typed.  Its bcrypt threads start after the
 * sandbox (clone(2) with CLONE_THREAD only); call it before any thread:
 * Landlock before ABI 8 restricts the calling thread alone.
 */
void
sandbox_authpop(void)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	/* sendfd recvfd: the session sockets to and from the parent. */
	sb_pledge("authpop", "stdio sendfd recvfd");
#else
	static const int allow[] = {
		/* Threads: setup by glibc, then the worker loop. */
		SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
		SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity),
		SCMP_SYS(getsockopt),
	};
	scmp_filter_ctx	ctx;
	int		abi;

	ctx = sc_nofile("authpop", allow, nitems(allow), &abi);
	/* Threads only: clone(2) without CLONE_THREAD (fork) kills. */
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)),
	    "authpop", "clone");
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
	    SCMP_SYS(clone3), 0), "authpop", "clone3");
	sc_load(ctx, "authpop", abi);
#endif
}

/* authcheck: authpop's confinement without threads, plus pread(2). */
void
sandbox_authcheck(void)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	sb_pledge("authcheck", "stdio");
#else
	static const int allow[] = {
		/* A table two checks read at once, each at its offset. */
		SCMP_SYS(pread64),
	};
	scmp_filter_ctx	ctx;
	int		abi;

	ctx = sc_nofile("authcheck", allow, nitems(allow), &abi);
	sc_load(ctx, "authcheck", abi);
#endif
}

/* httppop answers nginx's auth_http: no hash, no file, socket or exec. */
void
sandbox_httppop(void)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	/* inet unix: accept(2); recvfd: sockets, channels.  It passes none. */
	sb_pledge("httppop", "stdio inet unix recvfd");
#else
	static const int allow[] = {
		SCMP_SYS(accept4), SCMP_SYS(getsockopt),
	};
	scmp_filter_ctx	ctx;
	int		abi;

	ctx = sc_nofile("httppop", allow, nitems(allow), &abi);
	sc_load(ctx, "httppop", abi);
#endif
}

#ifndef POPD_OPENBSD
/* wrkrpop, mda, dlvrpop: the same rights beneath one maildir. */
static int
sb_maildir_fs(const char *role, const char *maildir)
{
	struct ll_path	path;

	if (maildir == NULL || maildir[0] != '/')
		fatalx("%s: sandbox needs an absolute maildir path", role);
	sb_nnp(role);
	path.path = maildir;
	path.access = LL_MAILDIR_RIGHTS;
	/* ABI 1 refuses every rename across directories: new/ -> cur/. */
	return ll_restrict(role, LL_FS_ALL, 1, &path, 1, 2, 0);
}

/* Opening and changing files beneath the maildir (Landlock decides where). */
static const int sc_maildir[] = {
	SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(newfstatat),
	SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(statx),
	SCMP_SYS(getdents64), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
	SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2),
	SCMP_SYS(link), SCMP_SYS(linkat),
	SCMP_SYS(unlink), SCMP_SYS(unlinkat),
	SCMP_SYS(mkdir), SCMP_SYS(mkdirat),
	SCMP_SYS(flock), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(ftruncate), SCMP_SYS(umask),
	/*
	 * Not chmod/chown/utimes: Landlock does not mediate metadata
	 * changes, so they would reach outside the maildir.
	 */
};

static scmp_filter_ctx
sc_maildir_rules(const char *role, pid_t pid, const int *extra,
    size_t nextra)
{
	scmp_filter_ctx	ctx;

	ctx = sc_init(role, SCMP_ACT_KILL_PROCESS);
	sc_child_base(ctx, role, 0, pid);
	sc_allow(ctx, role, sc_maildir, sizeof(sc_maildir) / sizeof(int));
	sc_allow(ctx, role, extra, nextra);
	return ctx;
}

static void
sb_maildir(const char *role, const char *maildir, const int *extra,
    size_t nextra)
{
	int	abi;

	abi = sb_maildir_fs(role, maildir);
	sc_load(sc_maildir_rules(role, getpid(), extra, nextra), role, abi);
}

/* wrkrpop's beyond sb_maildir's: SO_ERROR on the session socket. */
static const int sc_wrkrpop_extra[] = {
	SCMP_SYS(getsockopt),
};

/*
 * wrkrpop's filter as BPF, for common/mkfilter (sc_wrkrpop.h) and
 * test_scfilter.c, which proves the two the same.
 */
int
sandbox_wrkrpop_export(pid_t pid, int fd)
{
	scmp_filter_ctx	ctx;
	int		rc;

	ctx = sc_maildir_rules("wrkrpop", pid, sc_wrkrpop_extra,
	    nitems(sc_wrkrpop_extra));
	rc = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

#ifndef SANDBOX_MKFILTER
/*
 * The prebuilt filter with pid patched into kill(2) and tgkill(2), the
 * only difference between processes: building it per session cost a
 * ninth of a session's CPU (regress/bench/RESULTS.md).
 */
_Static_assert(nitems(sc_wrkrpop_prog) <= BPF_MAXINSNS,
    "wrkrpop's filter is longer than the kernel takes");

int
sandbox_wrkrpop_bpf(pid_t pid, struct sock_filter *prog, size_t n)
{
	struct sock_filter	*f;
	size_t			 i;

	if (pid <= 0 || n < nitems(sc_wrkrpop_prog)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(prog, sc_wrkrpop_prog, sizeof(sc_wrkrpop_prog));
	for (i = 0; i < nitems(sc_wrkrpop_pidat); i++) {
		if (sc_wrkrpop_pidat[i] >= nitems(sc_wrkrpop_prog)) {
			errno = EINVAL;
			return -1;
		}
		f = &prog[sc_wrkrpop_pidat[i]];
		if (f->code != (BPF_JMP | BPF_JEQ | BPF_K) ||
		    f->k != SC_WRKRPOP_PID) {
			errno = EINVAL;
			return -1;
		}
		f->k = (uint32_t)pid;
	}
	return nitems(sc_wrkrpop_prog);
}

/* As seccomp_load() with TSYNC: every thread or none. */
static void
sc_load_bpf(const char *role, struct sock_filter *prog, size_t n)
{
	struct sock_fprog	fp;
	long			rc;

	memset(&fp, 0, sizeof(fp));
	fp.len = n;
	fp.filter = prog;
	rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_TSYNC, &fp);
	if (rc == -1)
		fatal("%s: seccomp load", role);
	if (rc != 0)
		fatalx("%s: seccomp load: thread %ld not synced", role, rc);
}
#endif /* !SANDBOX_MKFILTER */
#endif /* !POPD_OPENBSD */

/* wrkrpop: called once the maildrop is opened and locked. */
void
sandbox_wrkrpop(const char *maildir)
{
#ifdef POPD_OPENBSD
	sb_unveil(maildir, "rwc");
	sb_unveil(NULL, NULL);
	/* rpath wpath cpath: UPDATE, popcache; flock: the session lock. */
	sb_pledge("wrkrpop", "stdio rpath wpath cpath flock");
#elif defined(SANDBOX_MKFILTER)
	fatalx("wrkrpop: common/mkfilter has no filter to load");
#else
	struct sock_filter	prog[nitems(sc_wrkrpop_prog)];
	int			abi, n;

	abi = sb_maildir_fs("wrkrpop", maildir);
	if ((n = sandbox_wrkrpop_bpf(getpid(), prog, nitems(prog))) == -1)
		fatal("wrkrpop: seccomp: the prebuilt filter");
	sc_load_bpf("wrkrpop", prog, n);
	sb_describe(abi, "wrkrpop");
#endif
}

/* mda: called once the target maildir is opened (and created). */
void
sandbox_mda(const char *maildir)
{
#ifdef POPD_OPENBSD
	sb_nocore("mda");
	sb_unveil(maildir, "rwc");
	sb_unveil(NULL, NULL);
	/* stdin is the message; popd's control socket is only written to. */
	sb_pledge("mda", "stdio rpath wpath cpath flock");
#else
	static const int extra[] = {
		SCMP_SYS(uname),	/* gethostname(3): unique file names */
	};

	sb_nocore("mda");
	sb_maildir("mda", maildir, extra, sizeof(extra) / sizeof(int));
#endif
}

/* dlvrpop: called once the maildir is created and opened. */
void
sandbox_dlvrpop(const char *maildir)
{
#ifdef POPD_OPENBSD
	sb_unveil(maildir, "rwc");
	sb_unveil(NULL, NULL);
	/*
	 * rpath wpath cpath: tmp/, new/, popcache, cur/ for MSG_LMTP_DLVCHECK;
	 * flock: popcache.lock; recvfd: the messages.
	 */
	sb_pledge("dlvrpop", "stdio rpath wpath cpath flock recvfd");
#else
	/* sc_common has the channel's recvmsg/sendmsg and fcntl. */
	sb_maildir("dlvrpop", maildir, NULL, 0);
#endif
}

#ifdef POPD_OPENBSD
const char *
sandbox_describe(void)
{
	return sandbox_desc;
}
#endif
