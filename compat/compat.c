/*
 * compat.c -- OS glue that role files must not carry as #ifdefs.
 */
#include <sys/types.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"

int
compat_exe_path(char *buf, size_t len)
{
#ifdef __linux__
	ssize_t	n;

	if ((n = readlink("/proc/self/exe", buf, len - 1)) == -1)
		return -1;
	if ((size_t)n >= len - 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	buf[n] = '\0';
	return 0;
#else
	const char	*p = getprogname();
	char		 rp[PATH_MAX];

	/* OpenBSD has no /proc: only an explicit path can be trusted. */
	if (p == NULL || strchr(p, '/') == NULL || realpath(p, rp) == NULL) {
		errno = ENOENT;
		return -1;
	}
	if (strlcpy(buf, rp, len) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
#endif
}

int
compat_nocoredump(void)
{
	struct rlimit	rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		return -1;
#ifdef __linux__
	/* Also keeps /proc/PID/mem and ptrace away from same-uid peers. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return -1;
#endif
	return 0;
}
