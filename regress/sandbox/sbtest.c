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
 * sbtest -- prove the confinement of each popd role.  For every check a
 * child process is forked, prepares what the role holds before its
 * sandbox (sockets, a maildir), applies the real sandbox_<role>() from
 * common/sandbox.c, and tries one thing: what the role needs must work,
 * what it must not do must be refused with the designed errno or kill
 * the process with SIGSYS.  Run as root, the maildir checks also drop to
 * a test uid, and files that plain permissions would let through show
 * that Landlock is what refuses them.
 *
 * The Landlock-absent (and too-old) paths are simulated here only: this
 * file defines sandbox_landlock_abi_hook(), which replaces the weak one
 * in sandbox.c for this program alone.
 *
 * usage: sbtest [-v]	prints one line per check, then "N passed, N failed"
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/sockios.h>

#include <argon2.h>
#include <crypt.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "proto.h"
#include "pwscheme.h"
#include "sandbox.h"

#define TEST_UID	61991	/* any unused id: drop_privileges needs no user */
#define TEST_GID	61991

enum expect {
	XP_OK,		/* the call succeeds */
	XP_ERR,		/* refused with errno e1 (or e2) */
	XP_SYS,		/* the process is killed by SIGSYS */
};

struct check {
	const char	*role;
	const char	*name;
	int		(*prep)(void);	/* before the sandbox; NULL: nothing */
	int		(*act)(void);	/* 0, or -1 with errno */
	enum expect	 expect;
	int		 e1, e2;
	int		 needabi;	/* skip if the kernel's ABI is lower */
	int		 fakeabi;	/* >= 0: pretend this ABI */
	int		 degraded;	/* "sandbox degraded" lines expected */
	int		 root;		/* needs root */
};

/* sandbox.c calls this for the kernel's Landlock ABI. */
int	sandbox_landlock_abi_hook(int);

static int	 fake_abi = -1;
static int	 real_abi;
static int	 verbose;
static int	 passed, failed, skipped;
static char	 self[PATH_MAX];
static char	 top[PATH_MAX], maildir[PATH_MAX], other[PATH_MAX];
static char	 outside[PATH_MAX], logpath[PATH_MAX];
static int	 port;		/* a TCP listener of ours on 127.0.0.1 */
static int	 heldfd = -1;	/* prepared before the sandbox */
static int	 heldfd2 = -1;
static int	 statefd = -1;	/* control's state file (prep_statefile) */

int
sandbox_landlock_abi_hook(int abi)
{
	return fake_abi >= 0 ? fake_abi : abi;
}

static void
mkfile(const char *path, const char *text, mode_t mode)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) == -1)
		err(1, "%s", path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		err(1, "write %s", path);
	if (fchmod(fd, mode) == -1)
		err(1, "fchmod %s", path);
	close(fd);
}

static void
mkdir_or_die(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == -1 || chmod(path, mode) == -1)
		err(1, "mkdir %s", path);
}

static void
pathcat(char *buf, const char *a, const char *b)
{
	if ((size_t)snprintf(buf, PATH_MAX, "%s/%s", a, b) >= PATH_MAX)
		errx(1, "path too long");
}

static void
setup(void)
{
	char	 p[PATH_MAX];
	int	 asroot = geteuid() == 0;

	strlcpy(top, "/tmp/sbtest.XXXXXXXX", sizeof(top));
	if (mkdtemp(top) == NULL)
		err(1, "mkdtemp");
	if (chmod(top, 0755) == -1)
		err(1, "chmod");
	pathcat(maildir, top, "alice");
	pathcat(other, top, "bob");
	pathcat(outside, top, "outside");
	pathcat(logpath, top, "log");

	mkdir_or_die(maildir, 0700);
	pathcat(p, maildir, "tmp");
	mkdir_or_die(p, 0700);
	pathcat(p, maildir, "new");
	mkdir_or_die(p, 0700);
	pathcat(p, maildir, "cur");
	mkdir_or_die(p, 0700);
	pathcat(p, maildir, "cur/1.msg:2,S");
	mkfile(p, "Subject: alice\n\nhi\n", 0600);
	pathcat(p, maildir, "popcache");
	mkfile(p, "cache\n", 0600);
	if (asroot) {
		const char *own[] = { "", "/tmp", "/new", "/cur",
		    "/cur/1.msg:2,S", "/popcache" };
		size_t	i;

		for (i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
			(void)snprintf(p, sizeof(p), "%s%s", maildir, own[i]);
			if (chown(p, TEST_UID, TEST_GID) == -1)
				err(1, "chown %s", p);
		}
	}

	/* Another user's mail, readable by anyone: only Landlock stops it. */
	mkdir_or_die(other, 0755);
	pathcat(p, other, "new");
	mkdir_or_die(p, 0755);
	pathcat(p, other, "new/secret");
	mkfile(p, "Subject: bob's secret\n\n", 0644);
	/* World-writable: only Landlock stops a write outside the maildir. */
	mkdir_or_die(outside, 01777);
}

static void
cleanup(void)
{
	char	cmd[PATH_MAX + 16];

	if (top[0] == '\0' || strncmp(top, "/tmp/sbtest.", 12) != 0)
		return;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		warnx("could not remove %s", top);
}

/* A listening TCP socket on loopback for the connect/accept checks. */
static void
tcp_listener(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			s;

	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 16) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1)
		err(1, "listen");
	port = ntohs(sin.sin_port);
	/* Stays open for the whole run: connects only need the backlog. */
}

static void
loopback(struct sockaddr_in *sin, int p)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(p);
}

/* Preparations: what a role holds before it is confined. */

static int
prep_tcp_socket(void)
{
	heldfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return heldfd == -1 ? -1 : 0;
}

/* A listening socket with one connection waiting in the backlog. */
static int
prep_pending(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	if ((heldfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	loopback(&sin, 0);
	if (bind(heldfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(heldfd, 4) == -1 ||
	    getsockname(heldfd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	if ((heldfd2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	return connect(heldfd2, (struct sockaddr *)&sin, sizeof(sin));
}

/* The same on a unix socket (abstract: no file), as popctl's. */
static int
prep_pending_unix(void)
{
	struct sockaddr_un	sun;
	socklen_t		len;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	len = offsetof(struct sockaddr_un, sun_path) + 1 +
	    snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
	    "sbtest-%d", (int)getpid());
	if ((heldfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(heldfd, (struct sockaddr *)&sun, len) == -1 ||
	    listen(heldfd, 4) == -1)
		return -1;
	if ((heldfd2 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	return connect(heldfd2, (struct sockaddr *)&sun, len);
}

static int
prep_maildir_fd(void)
{
	heldfd = open(maildir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return heldfd == -1 ? -1 : 0;
}

/* A spooled message as the lmtp process hands it over: a sealed memfd. */
static int
prep_sealed_memfd(void)
{
#ifdef F_ADD_SEALS
	if ((heldfd = memfd_create("lmtp", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1)
		return -1;
	if (write(heldfd, "Subject: x\n\nbody\n", 17) != 17)
		return -1;
	return fcntl(heldfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK |
	    F_SEAL_GROW | F_SEAL_SEAL);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* Actions.  Each returns 0 on success or -1 with errno. */

/* dlvrpop's look at a spooled message: type, seals, contents. */
static int
act_read_spool(void)
{
	struct stat	sb;
	char		buf[32];

	if (fstat(heldfd, &sb) == -1)
		return -1;
#ifdef F_GET_SEALS
	if (fcntl(heldfd, F_GET_SEALS) == -1)
		return -1;
#endif
	if (pread(heldfd, buf, sizeof(buf), 0) != 17)
		return -1;
	return 0;
}

/* authpop's take of a table image (its seals are fcntl's): a mapping. */
static int
act_map_image(void)
{
	struct stat	 sb;
	void		*p;

	if (fstat(heldfd, &sb) == -1)
		return -1;
	if ((p = mmap(NULL, sb.st_size, PROT_READ, MAP_SHARED, heldfd, 0)) ==
	    MAP_FAILED)
		return -1;
	return munmap(p, sb.st_size);
}

static int
act_open_passwd(void)
{
	int	fd;

	if ((fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	close(fd);
	return 0;
}

static int
act_getpwnam(void)
{
	if (getpwnam("root") == NULL) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

/* A socket of that family and type, closed at once. */
static int
sock_of(int af, int type)
{
	int	s;

	if ((s = socket(af, type, 0)) == -1)
		return -1;
	close(s);
	return 0;
}

static int
act_socket_inet(void)
{
	return sock_of(AF_INET, SOCK_STREAM);
}

static int
act_socket_unix(void)
{
	return sock_of(AF_UNIX, SOCK_DGRAM);
}

static int
act_connect(void)
{
	struct sockaddr_in	sin;

	loopback(&sin, port);
	return connect(heldfd, (struct sockaddr *)&sin, sizeof(sin));
}

/* A port other than routepop's (nothing listens there: refused). */
static int
act_connect_other(void)
{
	struct sockaddr_in	sin;

	loopback(&sin, port == 65535 ? 1 : port + 1);
	return connect(heldfd, (struct sockaddr *)&sin, sizeof(sin));
}

static int
act_socket_inet6(void)
{
	return sock_of(AF_INET6, SOCK_STREAM);
}

static int
act_bind(void)
{
	struct sockaddr_in	sin;

	loopback(&sin, 0);
	return bind(heldfd, (struct sockaddr *)&sin, sizeof(sin));
}

static int
act_listen(void)
{
	return listen(heldfd, 1);
}

static int
act_accept(void)
{
	int	s;

	if ((s = accept4(heldfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return -1;
	close(s);
	return 0;
}

static int
act_socketpair(void)
{
	int	sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	close(sv[0]);
	close(sv[1]);
	return 0;
}

static int
act_socketpair_inet(void)
{
	int	sv[2];

	return socketpair(AF_INET, SOCK_STREAM, 0, sv);
}

/*
 * The lmtp process's spool: an anonymous file, written, sealed; after
 * the seal a write must be refused (EPERM), as dlvrpop relies on.
 */
static int
act_spool(void)
{
	int	fd, seals, saved;

	if ((fd = compat_spool_create("sbtest")) == -1)
		return -1;
	if (write(fd, "Return-Path: <>\n", 16) != 16 ||
	    compat_spool_seal(fd) == -1)
		goto fail;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals == -1)
		goto fail;
	if ((seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK |
	    F_SEAL_SEAL)) != (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK |
	    F_SEAL_SEAL) || write(fd, "x", 1) != -1 || errno != EPERM) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	close(fd);
	return 0;
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * control's state file, as the parent opens it and passes it before the
 * sandbox (statefd), and another file it was not given (heldfd2).
 */
static int
prep_statefile(void)
{
	char	path[PATH_MAX];
	int	i, fd;

	for (i = 0; i < 2; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/state%d", top,
		    i) >= sizeof(path))
			return -1;
		if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600)) == -1)
			return -1;
		(void)unlink(path);
		if (i == 0)
			statefd = fd;
		else
			heldfd2 = fd;
	}
	return 0;
}

/* The state file rewritten in place, as control/lastuse.c does. */
static int
act_state_rewrite(void)
{
	if (pwrite(statefd, "a b 1 ::1\n", 10, 0) != 10 ||
	    ftruncate(statefd, 10) == -1 || fsync(statefd) == -1)
		return -1;
	return 0;
}

static int
act_other_pwrite(void)
{
	return pwrite(heldfd2, "x", 1, 0) == 1 ? 0 : -1;
}

static int
act_other_ftruncate(void)
{
	return ftruncate(heldfd2, 0);
}

/* A channel, as the parent hands it over before the sandbox. */
static int
prep_channel(void)
{
	int	sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	heldfd = sv[0];
	heldfd2 = sv[1];
	return 0;
}

/* Pass a descriptor over the channel and receive it back. */
static int
act_fdpass(void)
{
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	char		 c = 'x';
	int		 fd = STDERR_FILENO, got;

	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = &c;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	if (sendmsg(heldfd, &msg, 0) != 1)
		return -1;
	memset(&cm, 0, sizeof(cm));
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	if (recvmsg(heldfd2, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	if ((cmsg = CMSG_FIRSTHDR(&msg)) == NULL ||
	    cmsg->cmsg_type != SCM_RIGHTS) {
		errno = EBADMSG;
		return -1;
	}
	memcpy(&got, CMSG_DATA(cmsg), sizeof(int));
	close(got);
	return 0;
}

/* A message over the channel and back, no descriptor (keypop's). */
static int
act_message(void)
{
	char	c = 'x';

	if (send(heldfd, &c, 1, 0) != 1 || recv(heldfd2, &c, 1, 0) != 1)
		return -1;
	return 0;
}

/* keypop's question: has the listener read our last answer? */
static int
act_outq(void)
{
	int	n;

	return ioctl(heldfd, SIOCOUTQ, &n);
}

static int
act_execve(void)
{
	char	*argv[] = { "/bin/true", NULL };

	return execve("/bin/true", argv, environ);
}

/* The parent's helper: this very program, which exits 0 at once. */
static int
act_spawn_helper(void)
{
	char	*argv[] = { self, "-x", NULL };
	pid_t	 pid;
	int	 status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		execve(self, argv, environ);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = ECHILD;
		return -1;
	}
	return 0;
}

static int
act_fork(void)
{
	pid_t	pid;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		_exit(0);
	(void)waitpid(pid, NULL, 0);
	return 0;
}

static int
act_vfork(void)
{
	return syscall(SYS_vfork) == -1 ? -1 : 0;
}

static int
act_clone3(void)
{
	return syscall(SYS_clone3, NULL, 0);
}

/* The parent's supervision: signal and reap a child of its own. */
static int
act_kill_child(void)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		pause();
		_exit(0);
	}
	if (kill(pid, SIGTERM) == -1)
		return -1;
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	return 0;
}

static int
act_kill_other(void)
{
	return kill(getppid(), SIGCONT);
}

/* kill(2) and tgkill(2) to itself: the pid in the filter is its own. */
static int
act_kill_self(void)
{
	if (kill(getpid(), 0) == -1)
		return -1;
	return syscall(SYS_tgkill, getpid(), gettid(), 0);
}

static int
act_ptrace(void)
{
	return ptrace(PTRACE_ATTACH, getppid(), NULL, NULL) == -1 ? -1 : 0;
}

static int
act_mount(void)
{
	return syscall(SYS_mount, "none", outside, "tmpfs", 0, NULL);
}

static int
act_bpf(void)
{
	return syscall(SYS_bpf, 0, NULL, 0);
}

static int
act_init_module(void)
{
	return syscall(SYS_init_module, NULL, 0, "");
}

static int
act_unshare(void)
{
	return syscall(SYS_unshare, CLONE_NEWNS);
}

static int
act_io_uring(void)
{
	return syscall(SYS_io_uring_setup, 1, NULL);
}

static int
act_setresuid(void)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		_exit(drop_privileges("sbtest", TEST_UID, TEST_GID) == 0 ?
		    0 : 1);
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static int
act_setuid0(void)
{
	return setuid(0);
}

static int
act_mkdir_tmp(void)
{
	char	p[PATH_MAX];

	pathcat(p, outside, "dir");
	return mkdir(p, 0700);
}

static int
act_symlink_outside(void)
{
	char	p[PATH_MAX];

	pathcat(p, outside, "link");
	return symlink("/etc/passwd", p);
}

static int
act_mmap_exec(void)
{
	void	*p;

	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANON,
	    -1, 0);
	return p == MAP_FAILED ? -1 : 0;
}

static int
act_crypt(void)
{
	struct crypt_data	*cd;
	char			 hash[CRYPT_OUTPUT_SIZE];
	const char		*h;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return -1;
	if ((h = crypt_r("secret", "$2b$04$abcdefghijklmnopqrstuu", cd)) ==
	    NULL || h[0] == '*')
		goto bad;
	strlcpy(hash, h, sizeof(hash));
	if ((h = crypt_r("secret", hash, cd)) == NULL || strcmp(h, hash) != 0)
		goto bad;
	free(cd);
	return 0;
 bad:
	free(cd);
	errno = EINVAL;
	return -1;
}

/* What authpop does before its chroot (verify_load). */
static int
prep_threads(void)
{
	return pwscheme_init();
}

/*
 * What authpop/scheme.c runs for an argon2 hash of two lanes (PHP's
 * password_hash may write those): libargon2 allocates its 8 MiB and
 * starts a thread per lane, then verifies.
 */
static int
act_argon2(void)
{
	char		 enc[160];
	int		 r;

	if ((r = argon2id_hash_encoded(1, 8192, 2, "secret", 6,
	    "saltsaltsaltsalt", 16, 32, enc, sizeof(enc))) != ARGON2_OK ||
	    (r = argon2id_verify(enc, "secret", 6)) != ARGON2_OK) {
		errno = r == ARGON2_MEMORY_ALLOCATION_ERROR ? ENOMEM :
		    r == ARGON2_THREAD_FAIL ? EAGAIN : EINVAL;
		return -1;
	}
	if (argon2id_verify(enc, "secreT", 6) != ARGON2_VERIFY_MISMATCH) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static void *
thread_main(void *arg)
{
	return arg;
}

static int
act_thread(void)
{
	static int	 token;
	pthread_t	 t;
	void		*ret;
	int		 e;

	if ((e = pthread_create(&t, NULL, thread_main, &token)) != 0) {
		errno = e;
		return -1;
	}
	if ((e = pthread_join(t, &ret)) != 0) {
		errno = e;
		return -1;
	}
	return ret == &token ? 0 : -1;
}

/* The whole life of a message in a session, beneath the maildir. */
static int
act_maildir_cycle(void)
{
	char	a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], n[32];
	int	fd;

	/* Named after the pid: a failed check leaves nothing in the way. */
	(void)snprintf(n, sizeof(n), "tmp/%d.msg", (int)getpid());
	pathcat(a, maildir, n);
	(void)snprintf(n, sizeof(n), "new/%d.msg", (int)getpid());
	pathcat(b, maildir, n);
	(void)snprintf(n, sizeof(n), "cur/%d.msg:2,S", (int)getpid());
	pathcat(c, maildir, n);
	if ((fd = open(a, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1)
		return -1;
	if (write(fd, "Subject: x\n\nbody\n", 17) != 17 || fsync(fd) == -1)
		return -1;
	close(fd);
	if (rename(a, b) == -1)		/* delivery: tmp/ -> new/ */
		return -1;
	if (rename(b, c) == -1)		/* RETR then QUIT: new/ -> cur/ */
		return -1;
	if (unlink(c) == -1)		/* DELE then QUIT */
		return -1;
	return 0;
}

/*
 * A worker started under the parent's layer, stacking its own: renames
 * across directories need REFER handled in every layer.
 */
static int
act_worker_under_parent(void)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		sandbox_wrkrpop(maildir);
		_exit(act_maildir_cycle() == 0 ? 0 : 10 + errno);
	}
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	errno = WIFEXITED(status) && WEXITSTATUS(status) >= 10 ?
	    WEXITSTATUS(status) - 10 : ECHILD;
	return -1;
}

static int
act_maildir_link(void)
{
	char	a[PATH_MAX], b[PATH_MAX], n[32];
	int	fd;

	(void)snprintf(n, sizeof(n), "tmp/%d.lnk", (int)getpid());
	pathcat(a, maildir, n);
	(void)snprintf(n, sizeof(n), "new/%d.lnk", (int)getpid());
	pathcat(b, maildir, n);
	if ((fd = open(a, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1)
		return -1;
	close(fd);
	if (link(a, b) == -1 || unlink(a) == -1 || unlink(b) == -1)
		return -1;
	return 0;
}

static int
act_maildir_readdir(void)
{
	struct dirent	*de;
	DIR		*d;
	char		 p[PATH_MAX];
	int		 n = 0;

	pathcat(p, maildir, "cur");
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	if (n != 1) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

/* popd.lock and popcache: flock, rewrite in place, truncate. */
static int
act_maildir_lock_trunc(void)
{
	char	p[PATH_MAX];
	int	fd;

	pathcat(p, maildir, "popd.lock");
	if ((fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		return -1;
	close(fd);
	pathcat(p, maildir, "popcache");
	if ((fd = open(p, O_RDWR | O_TRUNC | O_CLOEXEC)) == -1)
		return -1;
	if (ftruncate(fd, 0) == -1)
		return -1;
	close(fd);
	return 0;
}

/* Through a directory descriptor held from before, as maildir.c does. */
static int
act_maildir_openat(void)
{
	int	fd;

	if ((fd = openat(heldfd, "cur/1.msg:2,S", O_RDONLY | O_CLOEXEC)) ==
	    -1)
		return -1;
	close(fd);
	return 0;
}

static int
act_read_other(void)
{
	char	p[PATH_MAX];
	int	fd;

	pathcat(p, other, "new/secret");
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	close(fd);
	return 0;
}

static int
act_list_other(void)
{
	DIR	*d;

	if ((d = opendir(other)) == NULL)
		return -1;
	closedir(d);
	return 0;
}

static int
act_write_outside(void)
{
	char	p[PATH_MAX];
	int	fd;

	pathcat(p, outside, "stolen");
	if ((fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0666)) == -1)
		return -1;
	close(fd);
	return 0;
}

static int
act_rename_out(void)
{
	char	a[PATH_MAX], b[PATH_MAX];

	pathcat(a, maildir, "cur/1.msg:2,S");
	pathcat(b, outside, "moved");
	return rename(a, b);
}

static int
act_symlink_in(void)
{
	char	p[PATH_MAX];

	pathcat(p, maildir, "new/link");
	return symlink("/etc/passwd", p);
}

static int
act_mkfifo_in(void)
{
	char	p[PATH_MAX];

	pathcat(p, maildir, "tmp/fifo");
	return mkfifo(p, 0600);
}

static int
act_describe_landlock(void)
{
	const char	*d = sandbox_describe();

	if (strstr(d, "landlock(abi ") == NULL ||
	    strstr(d, "no_new_privs") == NULL) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int
act_describe_nolandlock(void)
{
	const char	*d = sandbox_describe();

	if (strstr(d, "no landlock") == NULL ||
	    strstr(d, "seccomp") == NULL) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static void
apply(const char *role)
{
	const char	*exec[] = { self, NULL };
	const char	*rd[] = { "/etc/passwd", NULL };

	if (strcmp(role, "parent") == 0)
		sandbox_parent(exec, rd, NULL, 0);
	else if (strcmp(role, "parent-tables") == 0)
		sandbox_parent(exec, rd, NULL, 1);	/* database tables */
	else if (strcmp(role, "tablepop") == 0)
		sandbox_tablepop(exec);	/* self: the one table program */
	else if (strcmp(role, "listener") == 0)
		sandbox_listener();
	else if (strcmp(role, "lmtp") == 0)
		sandbox_lmtp();
	else if (strcmp(role, "control") == 0)
		sandbox_control(statefd);
	else if (strcmp(role, "routepop") == 0)
		sandbox_routepop(port);	/* its health port: ours */
	else if (strcmp(role, "routepop-nohealth") == 0)
		sandbox_routepop(0);	/* a route without health */
	else if (strcmp(role, "keypop") == 0)
		sandbox_keypop();
	else if (strcmp(role, "keycheck") == 0)
		sandbox_keycheck();	/* keypop -c */
	else if (strcmp(role, "confpop") == 0)
		sandbox_confpop();	/* confpop -C */
	else if (strcmp(role, "authpop") == 0)
		sandbox_authpop();
	else if (strcmp(role, "authcheck") == 0)
		sandbox_authcheck();
	else if (strcmp(role, "httppop") == 0)
		sandbox_httppop();	/* auth_http: accept4 */
	else if (strcmp(role, "wrkrpop") == 0) {
		/* As the mail user, as the parent execs it. */
		if (geteuid() == 0 &&
		    drop_privileges("sbtest", TEST_UID, TEST_GID) == -1)
			_exit(99);
		sandbox_wrkrpop(maildir);
	} else if (strcmp(role, "dlvrpop") == 0) {
		/* As the mail user, as the parent execs it. */
		if (geteuid() == 0 &&
		    drop_privileges("sbtest", TEST_UID, TEST_GID) == -1)
			_exit(99);
		sandbox_dlvrpop(maildir);
	} else if (strcmp(role, "mda") == 0)
		sandbox_mda(maildir);	/* as root when we are: Landlock alone */
	else
		errx(1, "unknown role %s", role);
}

static int
count_in_log(const char *needle)
{
	char	 buf[8192];
	char	*p;
	ssize_t	 n;
	int	 fd, count = 0;

	if ((fd = open(logpath, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, needle)) != NULL; p++)
		count++;
	if (verbose && n > 0)
		printf("    log: %s", buf);
	return count;
}

static const char *
errname(int e)
{
	static char	buf[32];

	switch (e) {
	case EPERM:	return "EPERM";
	case EACCES:	return "EACCES";
	case ENOSYS:	return "ENOSYS";
	case EXDEV:	return "EXDEV";
	case ENOENT:	return "ENOENT";
	case EINVAL:	return "EINVAL";
	default:
		(void)snprintf(buf, sizeof(buf), "errno %d", e);
		return buf;
	}
}

static void
run(const struct check *c)
{
	char	 what[96], got[96];
	pid_t	 pid;
	int	 pfd[2], res[2], status, n, lfd, ok, deg;

	if (c->root && geteuid() != 0) {
		printf("skip %s: %s: needs root\n", c->role, c->name);
		skipped++;
		return;
	}
	if (c->needabi > real_abi) {
		printf("skip %s: %s: needs Landlock ABI %d, kernel has %d\n",
		    c->role, c->name, c->needabi, real_abi);
		skipped++;
		return;
	}
	fflush(stdout);
	if (pipe2(pfd, O_CLOEXEC) == -1)
		err(1, "pipe");
	if ((lfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		err(1, "%s", logpath);
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		close(pfd[0]);
		if (dup2(lfd, STDERR_FILENO) == -1)
			_exit(98);
		fake_abi = c->fakeabi;
		log_init(1, LOG_DAEMON);
		log_procinit(c->role);
		if (c->prep != NULL && c->prep() == -1) {
			res[0] = -2;
			res[1] = errno;
			(void)write(pfd[1], res, sizeof(res));
			_exit(0);
		}
		apply(c->role);
		res[0] = c->act();
		res[1] = errno;
		(void)write(pfd[1], res, sizeof(res));
		_exit(0);
	}
	close(lfd);
	close(pfd[1]);
	n = read(pfd[0], res, sizeof(res));
	close(pfd[0]);
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");

	switch (c->expect) {
	case XP_OK:
		strlcpy(what, "success", sizeof(what));
		break;
	case XP_ERR:
		(void)snprintf(what, sizeof(what), "refused with %s",
		    errname(c->e1));
		if (c->e2 != 0) {
			strlcat(what, " or ", sizeof(what));
			strlcat(what, errname(c->e2), sizeof(what));
		}
		break;
	case XP_SYS:
		strlcpy(what, "killed by SIGSYS", sizeof(what));
		break;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		strlcpy(got, "killed by SIGSYS", sizeof(got));
	else if (WIFSIGNALED(status))
		(void)snprintf(got, sizeof(got), "killed by signal %d",
		    WTERMSIG(status));
	else if (n != sizeof(res))
		(void)snprintf(got, sizeof(got), "exit %d, no result",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	else if (res[0] == -2)
		(void)snprintf(got, sizeof(got), "preparation failed: %s",
		    strerror(res[1]));
	else if (res[0] == -1)
		(void)snprintf(got, sizeof(got), "refused with %s",
		    errname(res[1]));
	else
		strlcpy(got, "success", sizeof(got));

	ok = strcmp(what, got) == 0;
	if (c->expect == XP_ERR && !ok && c->e2 != 0 && n == sizeof(res) &&
	    res[0] == -1 && (res[1] == c->e1 || res[1] == c->e2))
		ok = 1;
	deg = count_in_log("sandbox degraded");
	if (ok && deg != c->degraded) {
		ok = 0;
		(void)snprintf(got + strlen(got), sizeof(got) - strlen(got),
		    ", but %d \"sandbox degraded\" log lines (want %d)", deg,
		    c->degraded);
	}
	if (ok) {
		passed++;
		printf("ok   %s: %s: %s%s\n", c->role, c->name, got,
		    c->degraded ? ", degradation logged once" : "");
	} else {
		failed++;
		printf("FAIL %s: %s: expected %s, got %s\n", c->role, c->name,
		    what, got);
	}
}

#define OK(r, n, p, a)		{ r, n, p, a, XP_OK, 0, 0, 0, -1, 0, 0 }
#define ERR(r, n, p, a, e)	{ r, n, p, a, XP_ERR, e, 0, 0, -1, 0, 0 }
#define ERR2(r, n, p, a, e, f)	{ r, n, p, a, XP_ERR, e, f, 0, -1, 0, 0 }
#define SYS(r, n, p, a)		{ r, n, p, a, XP_SYS, 0, 0, 0, -1, 0, 0 }
/* Refused by Landlock only: skipped on kernels without that ABI. */
#define LL(r, n, p, a, e, v)	{ r, n, p, a, XP_ERR, e, 0, v, -1, 0, 0 }

static const struct check checks[] = {
	/* parent: root, fork+exec of the helpers only, no network. */
	OK("parent", "fork and exec an allowed helper", NULL,
	    act_spawn_helper),
	{ "parent", "drop a child to a mail user's ids", NULL,
	    act_setresuid, XP_OK, 0, 0, 0, -1, 0, 1 },
	OK("parent", "signal and reap its own child", NULL, act_kill_child),
	OK("parent", "a worker under it moves new/ -> cur/", NULL,
	    act_worker_under_parent),
	OK("parent", "read the password database", NULL, act_getpwnam),
	OK("parent", "create a session socketpair", NULL, act_socketpair),
	OK("parent", "pass a descriptor", prep_channel, act_fdpass),
	LL("parent", "exec /bin/true (not a helper)", NULL, act_execve,
	    EACCES, 1),
	LL("parent", "connect to a TCP port", prep_tcp_socket, act_connect,
	    EACCES, 4),
	LL("parent", "bind a TCP port", prep_tcp_socket, act_bind, EACCES, 4),
	/* With database tables: their programs may reach a server. */
	OK("parent-tables", "connect to a TCP port", prep_tcp_socket,
	    act_connect),
	LL("parent-tables", "bind a TCP port", prep_tcp_socket, act_bind,
	    EACCES, 4),
	LL("parent-tables", "exec /bin/true (not a helper)", NULL, act_execve,
	    EACCES, 1),
	LL("parent", "signal a process outside its domain", NULL,
	    act_kill_other, EPERM, 6),
	LL("parent", "create a symlink", NULL, act_symlink_outside, EACCES, 1),
	SYS("parent", "ptrace another process", NULL, act_ptrace),
	SYS("parent", "mount a filesystem", NULL, act_mount),
	SYS("parent", "load a bpf program", NULL, act_bpf),
	SYS("parent", "load a kernel module", NULL, act_init_module),
	SYS("parent", "unshare a mount namespace", NULL, act_unshare),
	SYS("parent", "set up io_uring", NULL, act_io_uring),
	ERR("parent", "clone3 (glibc falls back to clone)", NULL, act_clone3,
	    ENOSYS),

	/*
	 * tablepop: the parent of the table programs, which inherit its
	 * confinement: they run (and only they), reach their database,
	 * and can do no more than the parent's deny-list allows.
	 */
	OK("tablepop", "fork and exec a table program", NULL,
	    act_spawn_helper),
	OK("tablepop", "signal and reap its own child", NULL, act_kill_child),
	OK("tablepop", "create a socketpair", NULL, act_socketpair),
	/* The router's channels, from the parent. */
	OK("tablepop", "receive a descriptor", prep_channel, act_fdpass),
	OK("tablepop", "a program connects to its database", prep_tcp_socket,
	    act_connect),
	OK("tablepop", "describe the confinement", NULL,
	    act_describe_landlock),
	LL("tablepop", "exec /bin/true (not a table program)", NULL,
	    act_execve, EACCES, 1),
	LL("tablepop", "bind a TCP port", prep_tcp_socket, act_bind, EACCES,
	    4),
	LL("tablepop", "signal a process outside its domain", NULL,
	    act_kill_other, EPERM, 6),
	LL("tablepop", "create a symlink", NULL, act_symlink_outside, EACCES,
	    1),
	SYS("tablepop", "ptrace another process", NULL, act_ptrace),
	SYS("tablepop", "mount a filesystem", NULL, act_mount),
	SYS("tablepop", "unshare a mount namespace", NULL, act_unshare),
	SYS("tablepop", "set up io_uring", NULL, act_io_uring),

	/* listener: sockets, TLS, descriptor passing; nothing else. */
	OK("listener", "accept a connection", prep_pending, act_accept),
	OK("listener", "create a session socketpair", NULL, act_socketpair),
	OK("listener", "pass a descriptor", prep_channel, act_fdpass),
	OK("listener", "describe the confinement", NULL,
	    act_describe_landlock),
	ERR("listener", "open /etc/passwd", NULL, act_open_passwd, EACCES),
	ERR("listener", "create a TCP socket", NULL, act_socket_inet, EPERM),
	ERR("listener", "create a unix socket", NULL, act_socket_unix, EPERM),
	ERR("listener", "connect a socket", prep_tcp_socket, act_connect,
	    EPERM),
	ERR("listener", "map executable memory", NULL, act_mmap_exec, EACCES),
	SYS("listener", "bind a TCP port", prep_tcp_socket, act_bind),
	SYS("listener", "listen on a new socket", prep_tcp_socket, act_listen),
	SYS("listener", "socketpair outside AF_UNIX", NULL,
	    act_socketpair_inet),
	SYS("listener", "execve /bin/true", NULL, act_execve),
	SYS("listener", "fork", NULL, act_fork),
	SYS("listener", "ptrace another process", NULL, act_ptrace),
	SYS("listener", "signal another process", NULL, act_kill_other),
	SYS("listener", "make a directory", NULL, act_mkdir_tmp),
	SYS("listener", "change uid", NULL, act_setuid0),

	/*
	 * routepop: TCP sockets, connect to the health port alone; no
	 * file, no bind, no listen, nothing else.
	 */
	OK("routepop", "create a TCP socket", NULL, act_socket_inet),
	/* Its channels, from the parent. */
	OK("routepop", "receive a descriptor", prep_channel, act_fdpass),
	OK("routepop", "create a TCP socket (IPv6)", NULL, act_socket_inet6),
	OK("routepop", "connect to the health port", prep_tcp_socket,
	    act_connect),
	OK("routepop", "describe the confinement", NULL,
	    act_describe_landlock),
	LL("routepop", "connect to another port", prep_tcp_socket,
	    act_connect_other, EACCES, 4),
	/* Without a health port: no TCP connect at all. */
	LL("routepop-nohealth", "connect to the port", prep_tcp_socket,
	    act_connect, EACCES, 4),
	SYS("routepop", "bind a TCP port", prep_tcp_socket, act_bind),
	ERR("routepop", "open /etc/passwd", NULL, act_open_passwd, EACCES),
	ERR("routepop", "create a unix socket", NULL, act_socket_unix, EPERM),
	ERR("routepop", "map executable memory", NULL, act_mmap_exec,
	    EACCES),
	SYS("routepop", "listen on a new socket", prep_tcp_socket,
	    act_listen),
	SYS("routepop", "create a socketpair", NULL, act_socketpair),
	SYS("routepop", "execve /bin/true", NULL, act_execve),
	SYS("routepop", "fork", NULL, act_fork),
	SYS("routepop", "ptrace another process", NULL, act_ptrace),
	SYS("routepop", "signal another process", NULL, act_kill_other),
	SYS("routepop", "make a directory", NULL, act_mkdir_tmp),

	/* lmtp: accept, spool, pass the spool on; nothing else. */
	OK("lmtp", "accept a connection", prep_pending, act_accept),
	OK("lmtp", "spool a message and seal it", NULL, act_spool),
	OK("lmtp", "pass a descriptor", prep_channel, act_fdpass),
	OK("lmtp", "describe the confinement", NULL, act_describe_landlock),
	ERR("lmtp", "open /etc/passwd", NULL, act_open_passwd, EACCES),
	ERR("lmtp", "create a TCP socket", NULL, act_socket_inet, EPERM),
	ERR("lmtp", "create a unix socket", NULL, act_socket_unix, EPERM),
	ERR("lmtp", "connect a socket", prep_tcp_socket, act_connect, EPERM),
	ERR("lmtp", "map executable memory", NULL, act_mmap_exec, EACCES),
	SYS("lmtp", "create a socketpair", NULL, act_socketpair),
	SYS("lmtp", "bind a TCP port", prep_tcp_socket, act_bind),
	SYS("lmtp", "listen on a new socket", prep_tcp_socket, act_listen),
	SYS("lmtp", "execve /bin/true", NULL, act_execve),
	SYS("lmtp", "fork", NULL, act_fork),
	SYS("lmtp", "ptrace another process", NULL, act_ptrace),
	SYS("lmtp", "signal another process", NULL, act_kill_other),
	SYS("lmtp", "make a directory", NULL, act_mkdir_tmp),
	SYS("lmtp", "change uid", NULL, act_setuid0),

	/*
	 * control: popctl's clients on the socket it was passed, each
	 * passed on to the parent; no new socket, not even a pair.
	 */
	OK("control", "accept a unix connection", prep_pending_unix,
	    act_accept),
	OK("control", "pass a descriptor", prep_channel, act_fdpass),
	OK("control", "rewrite its state file in place", prep_statefile,
	    act_state_rewrite),
	SYS("control", "pwrite another file it holds", prep_statefile,
	    act_other_pwrite),
	SYS("control", "truncate another file it holds", prep_statefile,
	    act_other_ftruncate),
	OK("control", "describe the confinement", NULL,
	    act_describe_landlock),
	ERR("control", "open /etc/passwd", NULL, act_open_passwd, EACCES),
	ERR("control", "create a TCP socket", NULL, act_socket_inet, EPERM),
	ERR("control", "create a unix socket", NULL, act_socket_unix, EPERM),
	ERR("control", "connect a socket", prep_tcp_socket, act_connect,
	    EPERM),
	ERR("control", "map executable memory", NULL, act_mmap_exec, EACCES),
	SYS("control", "create a socketpair", NULL, act_socketpair),
	SYS("control", "make an anonymous file", NULL, act_spool),
	SYS("control", "bind a TCP port", prep_tcp_socket, act_bind),
	SYS("control", "listen on a new socket", prep_tcp_socket, act_listen),
	SYS("control", "execve /bin/true", NULL, act_execve),
	SYS("control", "fork", NULL, act_fork),
	SYS("control", "ptrace another process", NULL, act_ptrace),
	SYS("control", "signal another process", NULL, act_kill_other),
	SYS("control", "make a directory", NULL, act_mkdir_tmp),
	SYS("control", "change uid", NULL, act_setuid0),

	/*
	 * confpop -C: root that may only read, for popd.conf and what it
	 * names; NSS may ask its daemons.
	 */
	OK("confpop", "open /etc/passwd", NULL, act_open_passwd),
	OK("confpop", "read the password database", NULL, act_getpwnam),
	OK("confpop", "create a unix socket", NULL, act_socket_unix),
	OK("confpop", "describe the confinement", NULL,
	    act_describe_landlock),
	ERR("confpop", "create a file", NULL, act_write_outside, EACCES),
	ERR("confpop", "make a directory", NULL, act_mkdir_tmp, EACCES),
	ERR("confpop", "create a symlink", NULL, act_symlink_outside, EACCES),
	ERR("confpop", "rename a file", NULL, act_rename_out, EACCES),
	ERR("confpop", "execve /bin/true", NULL, act_execve, EACCES),
	ERR("confpop", "bind a TCP port", prep_tcp_socket, act_bind, EACCES),
	ERR("confpop", "signal another process", NULL, act_kill_other,
	    EPERM),
	SYS("confpop", "ptrace another process", NULL, act_ptrace),
	SYS("confpop", "mount a filesystem", NULL, act_mount),
	SYS("confpop", "load a kernel module", NULL, act_init_module),
	SYS("confpop", "unshare a mount namespace", NULL, act_unshare),

	/*
	 * keycheck (keypop -c): one keypair on descriptors the parent
	 * sealed, read with pread; a socketpair for its handshake with
	 * itself; no file, no network.
	 */
	OK("keycheck", "read a sealed anonymous file", prep_sealed_memfd,
	    act_read_spool),
	OK("keycheck", "create a socketpair", NULL, act_socketpair),
	OK("keycheck", "describe the confinement", NULL,
	    act_describe_landlock),
	ERR("keycheck", "open /etc/passwd", NULL, act_open_passwd, EACCES),
	ERR("keycheck", "create a TCP socket", NULL, act_socket_inet, EPERM),
	ERR("keycheck", "create a unix socket", NULL, act_socket_unix, EPERM),
	ERR("keycheck", "map executable memory", NULL, act_mmap_exec, EACCES),
	SYS("keycheck", "create an inet socketpair", NULL,
	    act_socketpair_inet),
	SYS("keycheck", "make an anonymous file", NULL, act_spool),
	SYS("keycheck", "execve /bin/true", NULL, act_execve),
	SYS("keycheck", "fork", NULL, act_fork),
	SYS("keycheck", "ptrace another process", NULL, act_ptrace),
	SYS("keycheck", "signal another process", NULL, act_kill_other),
	SYS("keycheck", "make a directory", NULL, act_mkdir_tmp),
	SYS("keycheck", "change uid", NULL, act_setuid0),

	/*
	 * keypop: the keys; its two channels and nothing else, not even
	 * accept(2) on one passed to it.
	 */
	OK("keypop", "a message on its channel", prep_channel, act_message),
	OK("keypop", "ask what its peer has not read", prep_channel,
	    act_outq),
	OK("keypop", "describe the confinement", NULL, act_describe_landlock),
	ERR("keypop", "open /etc/passwd", NULL, act_open_passwd, EACCES),
	ERR("keypop", "create a TCP socket", NULL, act_socket_inet, EPERM),
	ERR("keypop", "create a unix socket", NULL, act_socket_unix, EPERM),
	ERR("keypop", "map executable memory", NULL, act_mmap_exec, EACCES),
	SYS("keypop", "accept a unix connection", prep_pending_unix,
	    act_accept),
	SYS("keypop", "create a socketpair", NULL, act_socketpair),
	SYS("keypop", "read a sealed anonymous file (keypop -c's)",
	    prep_sealed_memfd, act_read_spool),
	SYS("keypop", "make an anonymous file", NULL, act_spool),
	SYS("keypop", "execve /bin/true", NULL, act_execve),
	SYS("keypop", "fork", NULL, act_fork),
	SYS("keypop", "ptrace another process", NULL, act_ptrace),
	SYS("keypop", "signal another process", NULL, act_kill_other),
	SYS("keypop", "make a directory", NULL, act_mkdir_tmp),
	SYS("keypop", "change uid", NULL, act_setuid0),

	/* authpop: bcrypt in threads, the session sockets; nothing else. */
	OK("authpop", "check a bcrypt hash", NULL, act_crypt),
	OK("authpop", "start and join a thread", NULL, act_thread),
	OK("authpop", "check an argon2 hash of two lanes", prep_threads,
	    act_argon2),
	OK("authpop", "pass a descriptor", prep_channel, act_fdpass),
	OK("authpop", "map a sealed table image (a reload's)",
	    prep_sealed_memfd, act_map_image),
	OK("authpop", "describe the confinement", NULL,
	    act_describe_landlock),
	ERR("authpop", "open /etc/passwd", NULL, act_open_passwd, EACCES),
	ERR("authpop", "create a TCP socket", NULL, act_socket_inet, EPERM),
	ERR("authpop", "connect a socket", prep_tcp_socket, act_connect,
	    EPERM),
	ERR("authpop", "clone3 (glibc falls back to clone)", NULL, act_clone3,
	    ENOSYS),
	SYS("authpop", "accept a connection", prep_pending, act_accept),
	/* A table's offsets were authcheck's: images are mapped. */
	SYS("authpop", "read at an offset (pread)", prep_sealed_memfd,
	    act_read_spool),
	/*
	 * authcheck: a table on the descriptors the parent opened, read
	 * at offsets; as authpop, but no thread.
	 */
	OK("authcheck", "read at an offset (pread)", prep_sealed_memfd,
	    act_read_spool),
	OK("authcheck", "describe the confinement", NULL,
	    act_describe_landlock),
	ERR("authcheck", "open /etc/passwd", NULL, act_open_passwd, EACCES),
	ERR("authcheck", "create a TCP socket", NULL, act_socket_inet,
	    EPERM),
	SYS("authcheck", "start a thread", NULL, act_thread),
	SYS("authcheck", "fork", NULL, act_fork),
	SYS("authcheck", "execve /bin/true", NULL, act_execve),
	SYS("authcheck", "accept a connection", prep_pending, act_accept),
	SYS("authcheck", "change uid", NULL, act_setuid0),
	/* nginx's requests, accepted by httppop: no file. */
	OK("httppop", "accept a connection", prep_pending, act_accept),
	ERR("httppop", "open /etc/passwd", NULL, act_open_passwd, EACCES),
	ERR("httppop", "create a TCP socket", NULL, act_socket_inet,
	    EPERM),
	ERR("httppop", "connect a socket", prep_tcp_socket, act_connect,
	    EPERM),
	SYS("httppop", "fork", NULL, act_fork),
	SYS("authpop", "fork", NULL, act_fork),
	SYS("authpop", "vfork", NULL, act_vfork),
	SYS("authpop", "execve /bin/true", NULL, act_execve),
	SYS("authpop", "ptrace another process", NULL, act_ptrace),
	SYS("authpop", "signal another process", NULL, act_kill_other),
	SYS("authpop", "create a socketpair", NULL, act_socketpair),
	SYS("authpop", "change uid", NULL, act_setuid0),

	/* wrkrpop: its own maildir, the session socket; nothing else. */
	OK("wrkrpop", "deliver, read, move to cur/, delete", NULL,
	    act_maildir_cycle),
	OK("wrkrpop", "list cur/", NULL, act_maildir_readdir),
	OK("wrkrpop", "lock, rewrite and truncate popcache", NULL,
	    act_maildir_lock_trunc),
	OK("wrkrpop", "open a message through the maildir fd",
	    prep_maildir_fd, act_maildir_openat),
	OK("wrkrpop", "describe the confinement", NULL,
	    act_describe_landlock),
	LL("wrkrpop", "open /etc/passwd", NULL, act_open_passwd, EACCES, 1),
	LL("wrkrpop", "read another user's (world-readable) mail", NULL,
	    act_read_other, EACCES, 1),
	LL("wrkrpop", "list another user's maildir", NULL, act_list_other,
	    EACCES, 1),
	LL("wrkrpop", "write outside the maildir (world-writable)", NULL,
	    act_write_outside, EACCES, 1),
	{ "wrkrpop", "move a message out of the maildir", NULL,
	    act_rename_out, XP_ERR, EXDEV, EACCES, 1, -1, 0, 0 },
	SYS("wrkrpop", "plant a symlink in the maildir", NULL, act_symlink_in),
	ERR("wrkrpop", "create a TCP socket", NULL, act_socket_inet, EPERM),
	ERR("wrkrpop", "create a unix socket", NULL, act_socket_unix, EPERM),
	ERR("wrkrpop", "connect a socket", prep_tcp_socket, act_connect,
	    EPERM),
	ERR("wrkrpop", "map executable memory", NULL, act_mmap_exec, EACCES),
	SYS("wrkrpop", "execve /bin/true", NULL, act_execve),
	SYS("wrkrpop", "fork", NULL, act_fork),
	SYS("wrkrpop", "vfork", NULL, act_vfork),
	SYS("wrkrpop", "clone3", NULL, act_clone3),
	SYS("wrkrpop", "create a socketpair", NULL, act_socketpair),
	SYS("wrkrpop", "make a fifo in the maildir", NULL, act_mkfifo_in),
	SYS("wrkrpop", "ptrace another process", NULL, act_ptrace),
	SYS("wrkrpop", "signal another process", NULL, act_kill_other),
	OK("wrkrpop", "signal itself", NULL, act_kill_self),
	SYS("wrkrpop", "change uid", NULL, act_setuid0),

	/* mda (run as root here: Landlock alone keeps it in the maildir). */
	OK("mda", "deliver, move, delete", NULL, act_maildir_cycle),
	OK("mda", "deliver by link(2)", NULL, act_maildir_link),
	OK("mda", "lock and rewrite popcache", NULL, act_maildir_lock_trunc),
	LL("mda", "open /etc/passwd (as root)", NULL, act_open_passwd,
	    EACCES, 1),
	LL("mda", "read another user's mail (as root)", NULL, act_read_other,
	    EACCES, 1),
	LL("mda", "write outside the maildir (as root)", NULL,
	    act_write_outside, EACCES, 1),
	ERR("mda", "create a TCP socket", NULL, act_socket_inet, EPERM),
	SYS("mda", "execve /bin/true", NULL, act_execve),
	SYS("mda", "fork", NULL, act_fork),
	SYS("mda", "ptrace another process", NULL, act_ptrace),

	/* dlvrpop: its own maildir, the spool it is handed; nothing else. */
	OK("dlvrpop", "read a sealed spooled message", prep_sealed_memfd,
	    act_read_spool),
	OK("dlvrpop", "receive a descriptor", prep_channel, act_fdpass),
	OK("dlvrpop", "deliver by link(2)", NULL, act_maildir_link),
	OK("dlvrpop", "deliver, move, delete", NULL, act_maildir_cycle),
	OK("dlvrpop", "list cur/", NULL, act_maildir_readdir),
	OK("dlvrpop", "lock and rewrite popcache", NULL,
	    act_maildir_lock_trunc),
	OK("dlvrpop", "describe the confinement", NULL,
	    act_describe_landlock),
	LL("dlvrpop", "open /etc/passwd", NULL, act_open_passwd, EACCES, 1),
	LL("dlvrpop", "read another user's (world-readable) mail", NULL,
	    act_read_other, EACCES, 1),
	LL("dlvrpop", "write outside the maildir (world-writable)", NULL,
	    act_write_outside, EACCES, 1),
	SYS("dlvrpop", "plant a symlink in the maildir", NULL, act_symlink_in),
	ERR("dlvrpop", "create a TCP socket", NULL, act_socket_inet, EPERM),
	ERR("dlvrpop", "connect a socket", prep_tcp_socket, act_connect,
	    EPERM),
	ERR("dlvrpop", "map executable memory", NULL, act_mmap_exec, EACCES),
	SYS("dlvrpop", "execve /bin/true", NULL, act_execve),
	SYS("dlvrpop", "fork", NULL, act_fork),
	SYS("dlvrpop", "create a socketpair", NULL, act_socketpair),
	SYS("dlvrpop", "ptrace another process", NULL, act_ptrace),
	SYS("dlvrpop", "signal another process", NULL, act_kill_other),
	SYS("dlvrpop", "change uid", NULL, act_setuid0),

	/*
	 * A kernel without Landlock (simulated): logged once, the role
	 * still works, seccomp still holds.
	 */
	{ "wrkrpop", "no Landlock: session still works", NULL,
	    act_maildir_cycle, XP_OK, 0, 0, 0, 0, 1, 0 },
	{ "wrkrpop", "no Landlock: described as such", NULL,
	    act_describe_nolandlock, XP_OK, 0, 0, 0, 0, 1, 0 },
	{ "wrkrpop", "no Landlock: execve still killed", NULL,
	    act_execve, XP_SYS, 0, 0, 0, 0, 1, 0 },
	{ "wrkrpop", "no Landlock: socket still refused", NULL,
	    act_socket_inet, XP_ERR, EPERM, 0, 0, 0, 1, 0 },
	{ "listener", "no Landlock: accept still works", prep_pending,
	    act_accept, XP_OK, 0, 0, 0, 0, 1, 0 },
	{ "listener", "no Landlock: open still refused", NULL,
	    act_open_passwd, XP_ERR, EACCES, 0, 0, 0, 1, 0 },
	{ "lmtp", "no Landlock: spool still works", NULL, act_spool, XP_OK,
	    0, 0, 0, 0, 1, 0 },
	{ "control", "no Landlock: accept still works", prep_pending_unix,
	    act_accept, XP_OK, 0, 0, 0, 0, 1, 0 },
	{ "control", "no Landlock: open still refused", NULL,
	    act_open_passwd, XP_ERR, EACCES, 0, 0, 0, 1, 0 },
	{ "authpop", "no Landlock: bcrypt still works", NULL,
	    act_crypt, XP_OK, 0, 0, 0, 0, 1, 0 },
	{ "parent", "no Landlock: helper still runs", NULL,
	    act_spawn_helper, XP_OK, 0, 0, 0, 0, 1, 0 },
	{ "mda", "no Landlock: delivery still works", NULL,
	    act_maildir_cycle, XP_OK, 0, 0, 0, 0, 1, 0 },
	/* ABI 1 cannot rename across directories: maildir roles skip it. */
	{ "wrkrpop", "Landlock ABI 1: skipped, new/ -> cur/ works", NULL,
	    act_maildir_cycle, XP_OK, 0, 0, 1, 1, 1, 0 },
	{ "listener", "Landlock ABI 1: applied, open refused", NULL,
	    act_open_passwd, XP_ERR, EACCES, 0, 1, 1, 0, 0 },
	/* ABI 3 (no net, no scopes, no ioctl rights): still confined. */
	{ "wrkrpop", "Landlock ABI 3: session works", NULL,
	    act_maildir_cycle, XP_OK, 0, 0, 3, 3, 0, 0 },
	{ "wrkrpop", "Landlock ABI 3: /etc/passwd refused", NULL,
	    act_open_passwd, XP_ERR, EACCES, 0, 3, 3, 0, 0 },
	{ "wrkrpop", "Landlock ABI 3: other's mail refused", NULL,
	    act_read_other, XP_ERR, EACCES, 0, 3, 3, 0, 0 },
	{ "parent", "Landlock ABI 3: exec of a non-helper refused", NULL,
	    act_execve, XP_ERR, EACCES, 0, 3, 3, 0, 0 },
	{ "parent", "Landlock ABI 5: helper still runs", NULL,
	    act_spawn_helper, XP_OK, 0, 0, 5, 5, 0, 0 },
	{ "parent", "Landlock ABI 3: a worker under it moves to cur/", NULL,
	    act_worker_under_parent, XP_OK, 0, 0, 3, 3, 0, 0 },
	/* ABI 1 would refuse the workers' renames: the parent skips it. */
	{ "parent", "Landlock ABI 1: skipped, workers still move to cur/",
	    NULL, act_worker_under_parent, XP_OK, 0, 0, 1, 1, 1, 0 },
};

int
main(int argc, char *argv[])
{
	size_t	i;
	long	abi;

	/* The helper the parent role is allowed to exec. */
	if (argc == 2 && strcmp(argv[1], "-x") == 0)
		return 0;
	if (argc == 2 && strcmp(argv[1], "-v") == 0)
		verbose = 1;
	else if (argc != 1) {
		fprintf(stderr, "usage: sbtest [-v]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (compat_exe_path(self, sizeof(self)) == -1)
		err(1, "compat_exe_path");
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U);
	real_abi = abi < 0 ? 0 : (int)abi;
	printf("# kernel Landlock ABI %d, running as uid %d; sandbox_describe: "
	    "%s\n", real_abi, (int)geteuid(), sandbox_describe());
	setup();
	tcp_listener();
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		run(&checks[i]);
	cleanup();
	if (skipped)
		printf("%d passed, %d failed, %d skipped\n", passed, failed,
		    skipped);
	else
		printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
