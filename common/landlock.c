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
 * landlock.c -- a Landlock layer; each role's rules are its sandbox_<role>().
 */
#ifndef __OpenBSD__
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "landlock.h"

static int	ll_warned;

/*
 * sbtest.c links its own to pretend an older kernel; nothing at run time can.
 */
__attribute__((__weak__)) int
sandbox_landlock_abi_hook(int abi)
{
	return abi;
}

/*
 * 0 without Landlock (ENOSYS, EOPNOTSUPP).  EPERM (a container's filter) is
 * fatal: no popd with less confinement than the kernel offers.
 */
int
ll_abi(void)
{
	long	abi;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LL_CREATE_RULESET_VERSION);
	if (abi == -1) {
		if (errno != ENOSYS && errno != EOPNOTSUPP)
			fatalx("landlock_create_ruleset: %s: Landlock is "
			    "refused to popd (a container's system call "
			    "filter?) and popd does not run less confined; "
			    "allow landlock_create_ruleset, landlock_add_rule "
			    "and landlock_restrict_self, or run popd on the "
			    "host", strerror(errno));
		abi = 0;
	}
	return sandbox_landlock_abi_hook((int)abi);
}

/* The ABI used, or 0 if skipped (logged): none, or older than minabi. */
int
ll_restrict(const char *role, uint64_t fs, int nonet,
    const struct ll_path *paths, size_t npaths, int minabi, int connport)
{
	struct ll_ruleset_attr		attr;
	struct ll_path_beneath_attr	pb;
	struct stat			st;
	uint64_t			known;
	size_t				i, asize;
	char				why[64];
	int				abi, rfd, pfd;

	if ((abi = ll_abi()) <= 0 || abi < minabi) {
		(void)snprintf(why, sizeof(why), abi <= 0 ? "no Landlock in "
		    "this kernel" : "Landlock ABI %d is too old (need %d)",
		    abi, minabi);
		if (!ll_warned)
			log_warnx("%s: sandbox degraded: %s; filesystem "
			    "confinement rests on seccomp, ids and chroot only",
			    role, why);
		ll_warned = 1;
		return 0;
	}

	known = LL_FS_ABI1;
	if (abi >= 2)
		known |= LL_FS_REFER;
	if (abi >= 3)
		known |= LL_FS_TRUNCATE;
	if (abi >= 5)
		known |= LL_FS_IOCTL_DEV;

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = fs & known;
	asize = sizeof(attr.handled_access_fs);
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP |
		    (nonet == LL_NOBIND ? 0 : LL_NET_CONNECT_TCP);
		asize += sizeof(attr.handled_access_net);
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		asize += sizeof(attr.scoped);
	}

	rfd = syscall(SYS_landlock_create_ruleset, &attr, asize, 0);
	if (rfd == -1)
		fatal("%s: landlock_create_ruleset", role);

	for (i = 0; i < npaths; i++) {
		if ((pfd = open(paths[i].path, O_PATH | O_CLOEXEC)) == -1)
			fatal("%s: landlock rule: %s", role, paths[i].path);
		if (fstat(pfd, &st) == -1)
			fatal("%s: landlock rule: fstat %s", role,
			    paths[i].path);
		memset(&pb, 0, sizeof(pb));
		pb.allowed_access = paths[i].access & attr.handled_access_fs;
		if (!S_ISDIR(st.st_mode))
			pb.allowed_access &= LL_FS_FILE;
		pb.parent_fd = pfd;
		if (pb.allowed_access != 0 &&
		    syscall(SYS_landlock_add_rule, rfd, LL_RULE_PATH_BENEATH,
		    &pb, 0) == -1)
			fatal("%s: landlock_add_rule %s", role, paths[i].path);
		close(pfd);
	}

	/* nonet, but TCP connect to that port (routepop's checks). */
	if (connport != 0 && (attr.handled_access_net & LL_NET_CONNECT_TCP)) {
		struct ll_net_port_attr	np;

		memset(&np, 0, sizeof(np));
		np.allowed_access = LL_NET_CONNECT_TCP;
		np.port = connport;
		if (syscall(SYS_landlock_add_rule, rfd, LL_RULE_NET_PORT, &np,
		    0) == -1)
			fatal("%s: landlock_add_rule port %d", role, connport);
	}
	if (syscall(SYS_landlock_restrict_self, rfd, 0) == -1)
		fatal("%s: landlock_restrict_self", role);
	close(rfd);
	return abi;
}
#endif /* Linux */
