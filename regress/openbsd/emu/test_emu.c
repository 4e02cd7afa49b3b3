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
 * test_emu: emu.c's promise table against calls each promise must allow
 * and refuse (pledge(2) of 7.6), then pledge and unveil for real in
 * children: a call outside the promises ends one with SIGABRT.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu.h"

static int	passed, failed;

static void
expect(const char *what, int got, int want)
{
	if (got == want)
		passed++;
	else {
		failed++;
		printf("FAIL %s: expected %d, got %d\n", what, want, got);
	}
}

static int
judge(const char *promises, long nr, unsigned long long a0,
    unsigned long long a1, unsigned long long a2)
{
	unsigned long long	set, a[6] = { a0, a1, a2, 0, 0, 0 };

	if (emu_promises(promises, &set) == -1)
		return -2;
	return emu_check(set, nr, a);
}

/* How a child that pledged promises and ran f ended: its signal, or 0. */
static int
child(const char *promises, void (*f)(void))
{
	pid_t	pid;
	int	st;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (pledge(promises, NULL) == -1)
			_exit(2);
		f();
		_exit(0);
	}
	if (waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st) == 0 ? 0 :
	    -WEXITSTATUS(st);
}

static void
inet_socket(void)
{
	(void)socket(AF_INET, SOCK_STREAM, 0);
}

static void
open_write(void)
{
	(void)open("/tmp/test_emu.w", O_WRONLY | O_CREAT, 0600);
}

static void
seals(void)
{
	int	fd;

	/* No seals: EINVAL, and the process goes on. */
	if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
	    fcntl(fd, 1033 /* F_ADD_SEALS */, 1) != -1 || errno != EINVAL)
		_exit(3);
}

static void
unveiled(void)
{
	char	path[] = "/tmp/test_emu.XXXXXXXX";
	int	fd;

	/* Outside the unveiled /tmp: ENOENT; inside: made. */
	if (open("/etc/hostname", O_RDONLY) != -1 || errno != ENOENT)
		_exit(3);
	if ((fd = shm_mkstemp(path)) == -1 || shm_unlink(path) == -1)
		_exit(4);
}

static void
widen(void)
{
	if (pledge("stdio inet", NULL) != -1 || errno != EPERM)
		_exit(8);
}

static void
unveil_then(void)
{
	if (unveil("/tmp", "rwc") == -1 || unveil(NULL, NULL) == -1)
		_exit(5);
	if (unveil("/", "r") != -1)
		_exit(6);
	unveiled();
}

int
main(void)
{
	pid_t	pid;
	int	st;

	/* stdio */
	expect("stdio read", judge("stdio", SYS_read, 0, 0, 0), EMU_OK);
	expect("stdio socketpair", judge("stdio", SYS_socketpair, 0, 0, 0),
	    EMU_OK);
	expect("stdio inet socket", judge("stdio", SYS_socket, AF_INET, 0, 0),
	    EMU_KILL);
	expect("stdio unix socket", judge("stdio", SYS_socket, AF_UNIX, 0, 0),
	    EMU_KILL);
	expect("stdio fork", judge("stdio", SYS_clone, 0, 0, 0), EMU_KILL);
	expect("stdio execve", judge("stdio", SYS_execve, (unsigned long long)
	    "/bin/true", 0, 0), EMU_KILL);
	expect("stdio setresuid", judge("stdio", SYS_setresuid, 0, 0, 0),
	    EMU_KILL);
	expect("stdio flock", judge("stdio", SYS_flock, 0, 0, 0), EMU_KILL);
	expect("stdio F_SETLK", judge("stdio", SYS_fcntl, 0, F_SETLK, 0),
	    EMU_KILL);
	expect("stdio F_ADD_SEALS", judge("stdio", SYS_fcntl, 0, 1033, 0),
	    EINVAL);
	expect("stdio kill self", judge("stdio", SYS_kill, getpid(), 9, 0),
	    EMU_OK);
	expect("stdio kill other", judge("stdio", SYS_kill, 1, 9, 0), EMU_KILL);
	expect("stdio setrlimit", judge("stdio", SYS_prlimit64, 0, 7, 1),
	    EMU_KILL);
	expect("stdio getrlimit", judge("stdio", SYS_prlimit64, 0, 7, 0),
	    EMU_OK);
	expect("stdio open", judge("stdio", SYS_open, (unsigned long long)
	    "/etc/passwd", O_RDONLY, 0), EMU_KILL);
	expect("stdio /dev/null", judge("stdio", SYS_open, (unsigned long long)
	    "/dev/null", O_RDWR, 0), EMU_OK);
	expect("none read", judge("", SYS_read, 0, 0, 0), EMU_KILL);
	/* rpath wpath cpath */
	expect("rpath read", judge("stdio rpath", SYS_open,
	    (unsigned long long)"/etc/passwd", O_RDONLY, 0), EMU_OK);
	expect("rpath write", judge("stdio rpath", SYS_open,
	    (unsigned long long)"/tmp/x", O_WRONLY, 0), EMU_KILL);
	expect("wpath write", judge("stdio wpath", SYS_open,
	    (unsigned long long)"/tmp/x", O_WRONLY, 0), EMU_OK);
	expect("wpath create", judge("stdio rpath wpath", SYS_open,
	    (unsigned long long)"/tmp/x", O_RDWR | O_CREAT, 0), EMU_KILL);
	expect("cpath create", judge("stdio rpath wpath cpath", SYS_open,
	    (unsigned long long)"/tmp/x", O_RDWR | O_CREAT, 0), EMU_OK);
	expect("rpath unlink", judge("stdio rpath", SYS_unlink,
	    (unsigned long long)"/tmp/x", 0, 0), EMU_KILL);
	expect("cpath unlink", judge("stdio cpath", SYS_unlink,
	    (unsigned long long)"/tmp/x", 0, 0), EMU_OK);
	expect("cpath rename", judge("stdio cpath", SYS_rename,
	    (unsigned long long)"/tmp/x", (unsigned long long)"/tmp/y", 0),
	    EMU_OK);
	expect("rpath stat", judge("stdio rpath", SYS_newfstatat, AT_FDCWD,
	    (unsigned long long)"/etc", 0), EMU_OK);
	expect("stdio stat", judge("stdio", SYS_newfstatat, AT_FDCWD,
	    (unsigned long long)"/etc", 0), EMU_KILL);
	expect("stdio fstat", judge("stdio", SYS_newfstatat, 0,
	    (unsigned long long)"", 0), EMU_OK);
	/* inet unix */
	expect("inet socket", judge("stdio inet", SYS_socket, AF_INET6, 0, 0),
	    EMU_OK);
	expect("inet unix socket", judge("stdio inet", SYS_socket, AF_UNIX,
	    0, 0), EMU_KILL);
	expect("unix socket", judge("stdio unix", SYS_socket, AF_UNIX, 0, 0),
	    EMU_OK);
	expect("unix accept", judge("stdio unix", SYS_accept4, 0, 0, 0),
	    EMU_OK);
	expect("stdio accept", judge("stdio", SYS_accept4, 0, 0, 0), EMU_KILL);
	/* flock proc exec id */
	expect("flock", judge("stdio flock", SYS_flock, 0, 0, 0), EMU_OK);
	expect("flock F_SETLK", judge("stdio flock", SYS_fcntl, 0, F_SETLK, 0),
	    EMU_OK);
	expect("proc fork", judge("stdio proc", SYS_clone, 0, 0, 0), EMU_OK);
	expect("proc kill", judge("stdio proc", SYS_kill, 1, 0, 0), EMU_OK);
	expect("proc setrlimit", judge("stdio proc", SYS_prlimit64, 0, 7, 1),
	    EMU_OK);
	expect("exec", judge("stdio exec", SYS_execve, (unsigned long long)
	    "/bin/true", 0, 0), EMU_OK);
	expect("id setresuid", judge("stdio id", SYS_setresuid, 0, 0, 0),
	    EMU_OK);
	expect("id setgroups", judge("stdio id", SYS_setgroups, 0, 0, 0),
	    EMU_OK);
	expect("a typo", judge("stdio rpth", SYS_read, 0, 0, 0), -2);
	/* Linux calls OpenBSD has no promise for */
	expect("ptrace", judge("stdio rpath wpath cpath proc exec id",
	    SYS_ptrace, 0, 0, 0), EMU_KILL);
	expect("mount", judge("stdio rpath wpath cpath proc exec id",
	    SYS_mount, 0, 0, 0), EMU_KILL);
	expect("chroot", judge("stdio rpath wpath cpath proc exec id",
	    SYS_chroot, 0, 0, 0), EMU_KILL);

	/* For real: the kernel's filter and the SIGSYS judge. */
	expect("pledged read", child("stdio", seals), 0);
	expect("stdio, then socket(AF_INET)", child("stdio", inet_socket),
	    SIGABRT);
	expect("stdio inet, then socket(AF_INET)",
	    child("stdio inet", inet_socket), 0);
	expect("stdio rpath, then open for writing",
	    child("stdio rpath", open_write), SIGABRT);
	expect("unveil /tmp, then outside and inside",
	    child("stdio rpath wpath cpath", unveil_then), 0);
	/* The promises are the pledging image's: an exec'd one has none. */
	if ((pid = fork()) == 0) {
		if (pledge("stdio exec", NULL) == -1)
			_exit(2);
		execl("/bin/sh", "sh", "-c", "echo x > /dev/null; exec true",
		    (char *)NULL);
		_exit(7);
	}
	expect("exec after pledge runs unpledged",
	    waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) :
	    -1, 0);
	expect("no promise added", child("stdio", widen), 0);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
