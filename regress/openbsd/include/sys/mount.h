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
 * OpenBSD stand-in (regress/openbsd/check.sh): what popd uses of
 * OpenBSD's <sys/mount.h>, as statfs(2) shows it: struct statfs with
 * the filesystem's type name, fstatfs, and the type names of mount(2).
 * glibc's header of the same name (mount(2) flags) is not OpenBSD's.
 */
#ifndef POPD_OBSD_SYS_MOUNT_H
#define POPD_OBSD_SYS_MOUNT_H

#include <sys/types.h>
#include <stdint.h>

#define MFSNAMELEN	16
#define MNAMELEN	90

#define MOUNT_FFS	"ffs"
#define MOUNT_NFS	"nfs"
#define MOUNT_MFS	"mfs"
#define MOUNT_MSDOS	"msdos"
#define MOUNT_TMPFS	"tmpfs"

struct statfs {
	uint32_t	f_flags;
	uint32_t	f_bsize;
	uint32_t	f_iosize;
	uint64_t	f_blocks;
	uint64_t	f_bfree;
	int64_t		f_bavail;
	uint64_t	f_files;
	uint64_t	f_ffree;
	int64_t		f_favail;
	uint64_t	f_syncwrites;
	uint64_t	f_syncreads;
	uint64_t	f_asyncwrites;
	uint64_t	f_asyncreads;
	uint32_t	f_ctime;
	uid_t		f_owner;
	uint32_t	f_namemax;
	char		f_fstypename[MFSNAMELEN];
	char		f_mntonname[MNAMELEN];
	char		f_mntfromname[MNAMELEN];
	char		f_mntfromspec[MNAMELEN];
};

int	statfs(const char *, struct statfs *);
int	fstatfs(int, struct statfs *);

#endif
