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
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
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

#ifdef __linux__
/*
 * setproctitle for Linux.  libbsd's leaves a stray '.' in ps output when
 * the title is shorter than the original argv[0], so we write the title
 * ourselves over the original argument area, which libbsd's constructor
 * has already copied away (argv[] and environ point to copies).  The
 * area is found in /proc/self/stat before any chroot or sandbox.
 */
static char	*title_base;
static size_t	 title_size;

static void __attribute__((__constructor__))
compat_title_init(void)
{
	FILE			*fp;
	char			 buf[1024], *p;
	unsigned long long	 v, start = 0, end = 0;
	int			 field;

	if ((fp = fopen("/proc/self/stat", "re")) == NULL)
		return;
	p = fgets(buf, sizeof(buf), fp);
	fclose(fp);
	/* The fields after the command name, which may hold spaces. */
	if (p == NULL || (p = strrchr(buf, ')')) == NULL)
		return;
	/* Each space found starts field number "field" (1-based). */
	for (field = 3; field <= 49; field++) {
		if ((p = strchr(p + 1, ' ')) == NULL)
			return;
		if (field < 48)
			continue;
		v = strtoull(p + 1, NULL, 10);
		if (field == 48)
			start = v;
		else
			end = v;
	}
	if (start == 0 || end <= start + 1)
		return;
	title_base = (char *)(uintptr_t)start;
	title_size = end - start;
}

void
compat_setproctitle(const char *fmt, ...)
{
	char	 title[256];
	va_list	 ap;
	int	 n;

	if (title_base == NULL)
		return;
	n = snprintf(title, sizeof(title), "%s: ", getprogname());
	if (n < 0 || (size_t)n >= sizeof(title))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(title + n, sizeof(title) - n, fmt, ap);
	va_end(ap);
	/* The last byte stays NUL: the kernel then shows the area as is. */
	memset(title_base, 0, title_size);
	(void)strlcpy(title_base, title, title_size);
}
#endif
