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
 * fslock.c -- whether a maildir's flock(2) holds for every host: if not,
 * two hosts could serve it at once and each UPDATE act on a list the
 * other changes.  NFS and CIFS carry locks unless mounted nolock,
 * local_lock or nobrl; of FUSE, only GlusterFS and ceph-fuse.  mountinfo
 * is read because fstatfs(2) on FUSE or NFS asks the server every login.
 */
#include <sys/types.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#else
#include <sys/mount.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fslock.h"

#define NFS_MAGIC	0x6969
#define SMB_MAGIC	0x517b
#define CIFS_MAGIC	0xff534d42
#define SMB2_MAGIC	0xfe534d42
#define FUSE_MAGIC	0x65735546

#define MOUNTINFO_MAX	(1024 * 1024)	/* bytes read of mountinfo */

/* The first line that names maj:min; buf is changed. */
int
fslock_mountinfo(char *buf, unsigned int maj, unsigned int min,
    char *type, size_t tlen, char *opts, size_t olen)
{
	char		*line, *f[64], *end;
	unsigned long	 a, b;
	int		 n, i;

	while ((line = strsep(&buf, "\n")) != NULL) {
		if (*line == '\0')
			continue;
		for (n = 0; n < 64 && (f[n] = strsep(&line, " ")) != NULL; n++)
			;
		if (n < 10)
			return -1;
		errno = 0;
		a = strtoul(f[2], &end, 10);
		if (end == f[2] || *end != ':' || errno != 0)
			return -1;
		b = strtoul(end + 1, &end, 10);
		if (*end != '\0' || errno != 0)
			return -1;
		if (a != maj || b != min)
			continue;
		for (i = 6; i < n && strcmp(f[i], "-") != 0; i++)
			;
		if (i + 3 >= n)
			return -1;
		if (strlcpy(type, f[i + 1], tlen) >= tlen ||
		    strlcpy(opts, f[i + 3], olen) >= olen)
			return -1;
		return 0;
	}
	return -1;
}

static const char *
has_opt(const char *opts, const char *o)
{
	size_t		 len = strlen(o);
	const char	*p = opts;

	for (;;) {
		if (strncmp(p, o, len) == 0 && (o[len - 1] == '=' ||
		    p[len] == ',' || p[len] == '\0'))
			return p + len;
		if ((p = strchr(p, ',')) == NULL)
			return NULL;
		p++;
	}
}

/* NULL if the lock holds across hosts, else why not. */
const char *
fslock_verdict(const char *type, const char *opts)
{
	const char	*v;

	if (strncmp(type, "nfs", 3) == 0) {
		if (has_opt(opts, "nolock") != NULL)
			return "mounted nolock: its locks are this host's only";
		if ((v = has_opt(opts, "local_lock=")) != NULL &&
		    strncmp(v, "none", 4) != 0)
			return "mounted local_lock: its locks are this host's "
			    "only";
		return NULL;
	}
	if (strcmp(type, "cifs") == 0 || strcmp(type, "smb3") == 0)
		return has_opt(opts, "nobrl") != NULL ? "mounted nobrl: its "
		    "locks are this host's only" : NULL;
	if (strcmp(type, "fuse.glusterfs") == 0 ||
	    strcmp(type, "fuse.ceph-fuse") == 0 || strcmp(type, "fuseblk") == 0)
		return NULL;
	if (strncmp(type, "fuse", 4) == 0)
		return "a FUSE filesystem that does not lock across mounts";
	return NULL;
}

#ifdef __linux__
static int
mi_lookup(const struct stat *st, char *type, size_t tlen, char *opts,
    size_t olen)
{
	char	*buf = NULL;
	size_t	 have = 0;
	ssize_t	 r;
	int	 fd, saved;

	if ((fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((buf = malloc(MOUNTINFO_MAX + 1)) == NULL)
		goto fail;
	while (have < MOUNTINFO_MAX && (r = read(fd, buf + have,
	    MOUNTINFO_MAX - have)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		have += r;
	}
	buf[have] = '\0';
	close(fd);
	fd = -1;
	if (fslock_mountinfo(buf, major(st->st_dev), minor(st->st_dev), type,
	    tlen, opts, olen) == -1) {
		errno = ENOENT;
		goto fail;
	}
	free(buf);
	return 0;
 fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	free(buf);
	errno = saved;
	return -1;
}
#endif

int
fslock_check(int dirfd, char *why, size_t len)
{
#ifdef __linux__
	struct statfs	 sf;
	struct stat	 st;
	char		 type[64], opts[1024];
	const char	*v;
	int		 saved;

	if (fstat(dirfd, &st) == -1)
		return -1;
	/* A block device's filesystem: a local disk's, or fuseblk's. */
	if (major(st.st_dev) != 0)
		return 1;
	if (mi_lookup(&st, type, sizeof(type), opts, sizeof(opts)) == -1) {
		/*
		 * No /proc, or a device mountinfo does not name (a btrfs
		 * subvolume's): only the shared types need it.
		 */
		saved = errno;
		if (fstatfs(dirfd, &sf) == -1)
			return -1;
		switch ((unsigned long)sf.f_type) {
		case NFS_MAGIC:
		case SMB_MAGIC:
		case CIFS_MAGIC:
		case SMB2_MAGIC:
		case FUSE_MAGIC:
			errno = saved;
			return -1;
		default:
			return 1;
		}
	}
	if ((v = fslock_verdict(type, opts)) == NULL)
		return 1;
	(void)snprintf(why, len, "%s, %s", type, v);
	return 0;
#else
	struct statfs	sf;

	if (fstatfs(dirfd, &sf) == -1)
		return -1;
	if (strcmp(sf.f_fstypename, MOUNT_NFS) != 0)
		return 1;
	(void)snprintf(why, len, "nfs, whose locks are this host's only");
	return 0;
#endif
}
