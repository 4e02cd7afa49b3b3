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
 * clockshift.so -- a wall clock of a test's own for popd's listener only,
 * as an NTP step or a resumed VM moves it, while the parent and the
 * system keep the real one (test_tickets.py).  A time namespace cannot
 * do it: it moves the monotonic clocks, never CLOCK_REALTIME.
 *
 * The test starts popd with LD_PRELOAD naming this library and
 * CLOCKSHIFT_LISTENER naming a file of 8 bytes, a signed offset in
 * seconds (native byte order).  In the parent the library only passes
 * itself on: the parent execs its children with an environment of its
 * own (popd/child.c), so an execve of the listener program gets
 * LD_PRELOAD and CLOCKSHIFT=file added, every other call goes on as it
 * came.  In the listener (CLOCKSHIFT set) the file is mapped before
 * popd's main runs, so before its chroot and sandbox, and time(),
 * gettimeofday() and clock_gettime() of the realtime clocks add the
 * offset that the mapping holds at each call: the test rewrites the
 * file in place to step the clock, and the listener makes no system
 * call to see it.  Test-only: nothing in the installed programs knows
 * of it.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/time.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int	(*execve_fn)(const char *, char *const[], char *const[]);
typedef int	(*clock_gettime_fn)(clockid_t, struct timespec *);

static execve_fn		 real_execve;
static clock_gettime_fn		 real_clock_gettime;
static const volatile int64_t	*offset;	/* the listener's only */
static char			 preload[4096], shift[4096];

__attribute__((constructor)) static void
clockshift_init(void)
{
	const char	*p, *f;
	int		 fd;
	void		*m;

	real_execve = (execve_fn)dlsym(RTLD_NEXT, "execve");
	real_clock_gettime = (clock_gettime_fn)dlsym(RTLD_NEXT,
	    "clock_gettime");
	if (real_execve == NULL || real_clock_gettime == NULL)
		abort();
	if ((f = getenv("CLOCKSHIFT")) != NULL) {
		if ((fd = open(f, O_RDONLY | O_CLOEXEC)) == -1 ||
		    (m = mmap(NULL, sizeof(*offset), PROT_READ, MAP_SHARED,
		    fd, 0)) == MAP_FAILED) {
			perror(f);
			abort();
		}
		close(fd);
		offset = m;
	}
	/* The parent: what a listener it starts gets. */
	if ((p = getenv("LD_PRELOAD")) != NULL &&
	    (f = getenv("CLOCKSHIFT_LISTENER")) != NULL) {
		if ((size_t)snprintf(preload, sizeof(preload), "LD_PRELOAD=%s",
		    p) >= sizeof(preload) || (size_t)snprintf(shift,
		    sizeof(shift), "CLOCKSHIFT=%s", f) >= sizeof(shift))
			abort();
	}
}

/*
 * Called in the parent's spawned child before its exec (it may share the
 * parent's memory): no allocation, the new environment on the stack.
 */
int
execve(const char *path, char *const argv[], char *const envp[])
{
	char		*env[64];
	size_t		 n = 0;
	const char	*base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	if (shift[0] == '\0' || strcmp(base, "listener") != 0)
		return real_execve(path, argv, envp);
	for (; n < 61 && envp[n] != NULL; n++)
		env[n] = envp[n];
	env[n++] = preload;
	env[n++] = shift;
	env[n] = NULL;
	return real_execve(path, argv, env);
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int	r;

	r = real_clock_gettime(id, ts);
	if (r == 0 && offset != NULL && (id == CLOCK_REALTIME ||
	    id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI))
		ts->tv_sec += *offset;
	return r;
}

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t
time(time_t *t)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return (time_t)-1;
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
