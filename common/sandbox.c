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
 * sandbox.c -- the confinement of every popd process, one function per
 * role.  Each sandbox_<role>() holds the OpenBSD promises (pledge(2),
 * unveil(2)) and their Linux equivalent (no_new_privs, a Landlock
 * ruleset made by landlock.c, a seccomp allow-list) side by side, so
 * that what a role may do is changed in one place for both systems.
 * Every failure is fatal: a process that cannot be confined must not
 * run.  The only tolerated degradation is a Linux kernel without
 * Landlock (or one too old for a role); it is logged, never silent, and
 * seccomp still applies.
 *
 * Call order in every role: load what it needs, chroot, drop ids, then
 * sandbox_<role>() as the last step before the event loop.  Core dumps
 * are off in every role, which holds a password, a TLS key or mail:
 * the child roles switch them off once in their prologue (proc.c),
 * after the id change that would reset the dumpable flag; the parent
 * and mda, which have no prologue, here.
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
 * The parent: root, no network I/O, never parses client bytes.  It
 * forks and execs the listener, lmtp, control and authpop (programs of
 * LIBEXECDIR, as root, to drop to their users themselves) and one
 * wrkrpop per login after setgroups/setresgid/setresuid, passes
 * descriptors between them, and rereads the tables (and certificates)
 * on SIGHUP.  exec: the helper programs it may run (never popd
 * itself); rd: files it rereads.
 *
 * Linux: Landlock layers and seccomp filters are inherited across
 * execve(2), so whatever the parent's layer refuses, every child is
 * refused too -- and each wrkrpop needs read/write/create/rename on a
 * maildir named by usertab, which SIGHUP may change.  So the parent's
 * Landlock layer handles only what no popd process ever needs besides
 * exec: EXECUTE (allowed on the helpers and ld.so), making devices,
 * fifos, sockets and symlinks, device ioctls; TCP bind/connect (the
 * listening sockets are bound before); signals and abstract sockets
 * outside its own domain.  It must handle REFER too, and grant it
 * everywhere: a layer that does not handle REFER refuses every rename
 * across directories (EXDEV) to all its descendants, which would stop
 * each wrkrpop's new/ -> cur/ moves; so ABI 1 means no parent layer.
 * The EXECUTE rules hold the helpers' inodes, not their names: a helper
 * replaced on disk (an upgrade, a rebuild) cannot be exec'd by a running
 * parent (EACCES) until popd is restarted -- it only ever runs the very
 * binaries it started with.  Reading and writing files stay with DAC:
 * the parent is root, and it is the one process that must reach every
 * user's uid.  Its seccomp filter is a deny-list (an allow-list would
 * have to foresee getpwnam, NSS modules and every reload path of a
 * root process): what kills is what no popd process needs and what
 * would turn a root compromise into a kernel one.
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
	/*
	 * The sockets it made, removed at a clean exit (bind_unlink), and
	 * the directory of its state file (app passwords' last use).
	 */
	for (i = 0; rm != NULL && rm[i] != NULL; i++)
		sb_unveil(rm[i], "rwc");
	/*
	 * shm_mkstemp(3) and shm_unlink: the configuration images,
	 * certificate and counter pages it makes after the sandbox.
	 */
	sb_unveil("/tmp", "rwc");
	sb_unveil(NULL, NULL);
	/*
	 * stdio: channels, and pipes from authcheck and keypop -c; rpath:
	 * tables and certificates on SIGHUP and as they change (certs.c);
	 * proc exec: one process per role and per login; id: the
	 * workers' setgroups/setresgid/setresuid; sendfd recvfd: the
	 * listening and session sockets travel through the parent; unix:
	 * getpeereid(2) and SO_TYPE on the sockets of popctl's clients
	 * (pledge allows socket options only with unix or inet); cpath:
	 * unlink(2) of its own sockets at exit, unveiled alone, and the
	 * state file made if missing; wpath: that file, opened read-write
	 * for the control process, which writes it.
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

/*
 * The listener: _pop3d in an empty chroot, the one process that reads
 * bytes from the network.  It holds the listening sockets, the TLS
 * context (key loaded before) and one socketpair per session.  After
 * setup it needs no file, no exec, no new connection: it accepts,
 * relays, and creates a socketpair per session to pass to the parent.
 */
void
sandbox_listener(void)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	/*
	 * stdio: relaying, socketpair; inet: accept(2) and socket options
	 * on the TCP sockets; sendfd: session sockets to the parent;
	 * recvfd: listening sockets from the parent.
	 */
	sb_pledge("listener", "stdio inet sendfd recvfd");
#else
	static const int allow[] = {
		/* New sessions on the listening sockets we were passed. */
		SCMP_SYS(accept), SCMP_SYS(accept4),
		SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
		SCMP_SYS(getpeername), SCMP_SYS(getsockname),
		/* Plaintext relayed between descriptors it already holds. */
		SCMP_SYS(splice),
	};
	scmp_filter_ctx	ctx;
	int		abi;

	ctx = sc_nofile("listener", allow, nitems(allow), &abi);
	/* One socketpair per session; AF_UNIX only. */
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair),
	    1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX)), "listener", "socketpair");
	sc_load(ctx, "listener", abi);
#endif
}

/*
 * The lmtp process: _pop3d in an empty chroot, reading what the MTA
 * sends.  It holds the LMTP listening sockets (unix or loopback TCP) and
 * its channel to the parent; per message it creates one anonymous file
 * (memfd), writes the message, seals it and passes it on.  No file by
 * name, no new socket, no exec, no fork.
 */
void
sandbox_lmtp(void)
{
#ifdef POPD_OPENBSD
	/*
	 * The spool is shm_mkstemp(3): a file in /tmp, unlinked at once.
	 * The chroot (CHROOTDIR) must hold a /tmp for it.
	 */
	sb_unveil("/tmp", "rwc");
	sb_unveil(NULL, NULL);
	/*
	 * stdio: the sessions and the spool; inet and unix: accept(2) on
	 * the TCP and unix LMTP sockets; recvfd: those sockets from the
	 * parent; sendfd: each spooled message to the parent; rpath wpath
	 * cpath: shm_mkstemp and shm_unlink in /tmp, unveiled alone.
	 */
	sb_pledge("lmtp", "stdio rpath wpath cpath inet unix sendfd recvfd");
#else
	static const int allow[] = {
		/* New sessions on the listening sockets we were passed. */
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
 * The control process: _pop3d in an empty chroot, reading popctl's
 * requests.  It holds the control socket and its clients, and passes
 * each client's socket to the parent with its request.  No file, no
 * new socket (not even a socketpair: the parent must only ever get
 * sockets that popctl's users connected), no exec, no fork.
 */
void
sandbox_control(int statefd)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	/*
	 * stdio: the clients and the channel, and pwrite, ftruncate and
	 * fsync on the state file the parent opened; unix: accept(2) on
	 * the control socket; recvfd: that socket and the file from the
	 * parent; sendfd: each client's socket to the parent.
	 */
	sb_pledge("control", "stdio unix recvfd sendfd");
#else
	static const int allow[] = {
		/* Clients on the socket we were passed. */
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

/*
 * keypop: the listener's user in an empty chroot, holding the private
 * keys.  It has its two channels (the parent's, its listener's) and
 * needs nothing else: no file, no socket, no descriptor passing, no
 * exec, no fork; it reads a request, signs, answers.
 */
void
sandbox_keypop(void)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	/* stdio: its channels; nothing more. */
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
 * keypop -c: the key process's check of one keypair for the parent,
 * as the listener's user in an empty chroot, for a moment, with the
 * pair on two descriptors from the parent and a pipe for its verdict.
 * libtls parses the pair and shakes hands with itself over a
 * socketpair: no file, no network, no descriptor passing, no exec, no
 * fork.  keypop's signing mode gets neither pread nor socketpair.
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
	/* Its handshake with itself; AF_UNIX only. */
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair),
	    1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX)), "keypop -c", "socketpair");
	sc_load(ctx, "keypop -c", abi);
#endif
}

/*
 * confpop -C: popd.conf and the files it names read and checked for the
 * parent (conf_fetch), as root, since they may be root's alone, but for
 * reading only: of root's capabilities, CAP_DAC_READ_SEARCH alone (none
 * where it is not held, as in a container: then the files' modes must
 * let root read them, popd(8)); a
 * Landlock layer that handles every right but reading; a seccomp filter
 * with the parent's deny-list that refuses every open for writing, every
 * change to a file, exec, binding a socket and a signal to another
 * process.  NSS may still ask its daemons.  It is the parent's first
 * child, before the parent's own sandbox, and at each reload under it.
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
 * routepop: POPD_USER in an empty chroot, auth_http's router.  It holds
 * its channels (to the parent, and to httppop, tablepop and control,
 * which the parent passes), the route file read before, and with a
 * health port one TCP socket per check in progress: it connects to the
 * backends its routes name, at that port, reads one line and closes.
 * No file, no listening, no exec, no fork; TCP connect only to that
 * port (Landlock ABI 4: the kernel's check), none without one.
 */
void
sandbox_routepop(int port)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	/*
	 * stdio: the channels and the reads; inet: socket(2), connect(2)
	 * for the checks; recvfd: its channels, from the parent.
	 */
	sb_pledge("routepop", port != 0 ? "stdio inet recvfd" :
	    "stdio recvfd");
#else
	static const int allow[] = {
		/* A nonblocking connect's outcome. */
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
 * tablepop: POPD_TABLE_USER, no chroot, the parent of OpenSMTPD's table
 * programs (table-sqlite, table-mysql, table-ldap...): it forks, execs,
 * signals and reaps them, and talks to them over the socketpair and pipe
 * it makes for each.  exec: those programs (and a script's interpreter).
 *
 * The programs inherit what tablepop's confinement is on Linux (a
 * seccomp filter and a Landlock layer stay across execve), and they
 * need what their databases need: their configuration and database
 * files (DAC decides: they run as POPD_TABLE_USER), TCP and unix
 * sockets to the database server, DNS.  So tablepop's rules are the
 * parent's kind: its Landlock layer grants EXECUTE on the programs
 * alone, and handles and denies making devices, fifos, sockets and
 * symlinks, device ioctls, TCP bind, signals and abstract sockets
 * outside its own domain (REFER handled and granted, as for the
 * parent); its seccomp filter is the parent's deny-list (sc_deny).
 * Neither the programs nor tablepop can exec anything else, reach
 * another process, or bind a port.  On OpenBSD the programs start
 * unpledged and without tablepop's unveil, as smtpd's do: no
 * execpromises are set.
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
	 * stdio: the channel, the programs' socketpairs and pipes (dup2
	 * onto their 0-2, closefrom); proc: fork, kill and wait for them,
	 * setsid and setrlimit (no core) in the child; exec: execve of
	 * the programs, unveiled alone; recvfd: the channels to authpop
	 * and routepop, from the parent.
	 */
	sb_pledge("tablepop", "stdio proc exec recvfd");
#else
	sb_nnp("tablepop");
	exec_only("tablepop", exec, 1);
#endif
}

/*
 * authpop: _pop3auth in an empty chroot, holding the password hashes
 * (read before) and seeing every password typed.  It needs nothing on
 * disk after startup (the parent restarts it to reload authtab), no
 * network beyond the session sockets it is handed (and nginx's auth_http
 * connections, which httppop accepted and read), no exec, no fork.
 * It may start threads (the bcrypt workers) after the sandbox: clone(2)
 * is allowed with CLONE_THREAD only.  Call it before creating threads
 * if at all possible: Landlock (before ABI 8) restricts the calling
 * thread only, while the seccomp filter is synced to all threads.
 */
void
sandbox_authpop(void)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	/*
	 * stdio: the session sockets and the bcrypt worker threads;
	 * recvfd: session sockets from the parent; sendfd: back to the
	 * parent after a login.
	 */
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

/*
 * authcheck: _pop3auth in an empty chroot, for a moment, reading a
 * table on the descriptors the parent opened and writing what it read
 * into the file of no name the parent made (tabimage.c), its answers
 * on a pipe: authpop's confinement without threads, plus pread(2).
 */
void
sandbox_authcheck(void)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	/* stdio: the descriptors it was handed. */
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

/*
 * httppop: the listener's user in an empty chroot, reading and answering
 * nginx's auth_http requests.  It holds the auth_http listening sockets
 * (unix or TCP), the connections it reads a request head from and
 * answers, and its channels (the parent's, and authpop's and
 * tablepop's, which the parent passes): it accepts, checks the peer,
 * parses, asks authpop and tablepop, and answers.  No password hash, no
 * file at all, no new socket, no exec, no fork.
 */
void
sandbox_httppop(void)
{
#ifdef POPD_OPENBSD
	sb_unveil("/", "");
	sb_unveil(NULL, NULL);
	/*
	 * stdio: the connections and channels; inet and unix: accept(2)
	 * on the auth_http sockets; recvfd: those sockets and authpop's
	 * and tablepop's channels from the parent.  It passes none.
	 */
	sb_pledge("httppop", "stdio inet unix recvfd");
#else
	static const int allow[] = {
		/* Connections on the sockets we were passed; the peer's uid. */
		SCMP_SYS(accept4), SCMP_SYS(getsockopt),
	};
	scmp_filter_ctx	ctx;
	int		abi;

	ctx = sc_nofile("httppop", allow, nitems(allow), &abi);
	sc_load(ctx, "httppop", abi);
#endif
}

#ifndef POPD_OPENBSD
/*
 * wrkrpop, mda, dlvrpop: the same rights beneath one maildir, no more.
 * No new privileges, then the Landlock layer; the ABI used.
 */
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

/* Their seccomp rules, kill(2) and tgkill(2) to pid alone. */
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
 * wrkrpop's filter for the process pid as libseccomp builds it, written
 * to fd as BPF (seccomp_export_bpf): for common/mkfilter, which makes
 * sc_wrkrpop.h of it at build time, and for the test that proves the
 * two the same (regress/unit/test_scfilter.c).  -1 with errno.
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
 * wrkrpop's filter for the process pid, made from the one common/mkfilter
 * exported at build time (sc_wrkrpop.h): its instructions with pid
 * where kill(2) and tgkill(2) compare their first argument, the only
 * place one process's filter differs from another's.  A session so
 * loads its filter ready, instead of having libseccomp add its rules
 * and generate the BPF again each time (a ninth of a session's CPU on
 * the 2-core VM: regress/bench/RESULTS.md); test_scfilter proves it
 * byte for byte the one libseccomp would have built.  The number of
 * instructions in prog (n of them at least), or -1 with errno.
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

/*
 * Load prog as seccomp_load() does with SCMP_FLTATR_CTL_TSYNC: on every
 * thread or none (a positive return names a thread it could not sync).
 * no_new_privs is set already (sb_nnp).
 */
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

/*
 * wrkrpop: one per session, as the mail user, exec'd with the session
 * socket on fd 3.  Called once the maildrop is opened and locked: from
 * then on it reads, writes, creates, renames and deletes beneath its
 * own maildir, and talks on the session socket.  No network, no exec,
 * no fork, no other user's mail.
 */
void
sandbox_wrkrpop(const char *maildir)
{
#ifdef POPD_OPENBSD
	/* rwc: messages, popcache and locks; no x. */
	sb_unveil(maildir, "rwc");
	sb_unveil(NULL, NULL);
	/*
	 * stdio: the session socket; rpath wpath cpath: the maildir
	 * (UPDATE renames and unlinks, popcache rewrites); flock: the
	 * session lock and popcache.lock.
	 */
	sb_pledge("wrkrpop", "stdio rpath wpath cpath flock");
#elif defined(SANDBOX_MKFILTER)
	fatalx("wrkrpop: common/mkfilter has no filter to load");
#else
	struct sock_filter	prog[nitems(sc_wrkrpop_prog)];
	int			abi, n;

	abi = sb_maildir_fs("wrkrpop", maildir);
	/* sc_maildir_rules with sc_wrkrpop_extra, built at build time. */
	if ((n = sandbox_wrkrpop_bpf(getpid(), prog, nitems(prog))) == -1)
		fatal("wrkrpop: seccomp: the prebuilt filter");
	sc_load_bpf("wrkrpop", prog, n);
	sb_describe(abi, "wrkrpop");
#endif
}

/*
 * mda: run by the MTA as the mail user with the message on stdin.
 * Called after the target maildir has been opened (and created): from
 * then on it writes the message into tmp/, moves it into new/ and
 * appends to popcache, and nothing else.
 */
void
sandbox_mda(const char *maildir)
{
#ifdef POPD_OPENBSD
	sb_nocore("mda");
	sb_unveil(maildir, "rwc");
	sb_unveil(NULL, NULL);
	/*
	 * As wrkrpop, without a socket of its own: the message comes on
	 * stdin; popd's control socket, if there, is connected already
	 * and only written to (stdio).
	 */
	sb_pledge("mda", "stdio rpath wpath cpath flock");
#else
	static const int extra[] = {
		SCMP_SYS(uname),	/* gethostname(3): unique file names */
	};

	sb_nocore("mda");
	sb_maildir("mda", maildir, extra, sizeof(extra) / sizeof(int));
#endif
}

/*
 * dlvrpop: one per maildir, as the mail user, exec'd by the parent with
 * its channel on fd 3, reused for many messages.  Called once the
 * maildir is created and opened: from then on it reads the spooled
 * messages it is handed (fstat, F_GET_SEALS, pread), writes them into
 * tmp/, links them into new/, appends to popcache, and talks to the
 * parent.  No network, no exec, no fork, no other user's mail.
 */
void
sandbox_dlvrpop(const char *maildir)
{
#ifdef POPD_OPENBSD
	/* rwc: messages, popcache and its lock; no x. */
	sb_unveil(maildir, "rwc");
	sb_unveil(NULL, NULL);
	/*
	 * stdio: the channel, reading the spooled message; rpath wpath
	 * cpath: tmp/, new/, popcache, and cur/ for MSG_LMTP_DLVCHECK;
	 * flock: popcache.lock; recvfd: the messages from the parent.
	 */
	sb_pledge("dlvrpop", "stdio rpath wpath cpath flock recvfd");
#else
	/* sc_common has the channel's recvmsg/sendmsg and fcntl. */
	sb_maildir("dlvrpop", maildir, NULL, 0);
#endif
}

/*
 * One line naming the confinement in force (after sandbox_<role>()) or
 * available (before), for the startup log (Linux: sandbox_linux.c).
 */
#ifdef POPD_OPENBSD
const char *
sandbox_describe(void)
{
	return sandbox_desc;
}
#endif
