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
 * test_fslock -- store/fslock.c: the mount of a device found in
 * mountinfo text (proc(5)), and which filesystems' locks are trusted to
 * hold across hosts; the maildir of this test's own directory (a local
 * disk, or the overlay of a container) is served.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fslock.h"
#include "unit.h"

static const char mountinfo[] =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "40 22 0:45 / /srv/mail rw,relatime shared:2 - fuse.glusterfs "
    "192.0.2.10:mail rw,user_id=0,group_id=0,allow_other\n"
    "41 22 0:46 / /nfs rw,relatime - nfs4 nas:/mail "
    "rw,vers=4.2,local_lock=none,addr=192.0.2.3\n"
    "42 22 0:47 / /nfsl rw - nfs nas:/m rw,vers=3,nolock,local_lock=all\n"
    "43 22 0:48 / /fuse rw - fuse bindfs rw,user_id=0\n";

static void
find(unsigned int maj, unsigned int min, int want, const char *wtype,
    const char *wopts)
{
	char	buf[sizeof(mountinfo)], type[64], opts[256];

	memcpy(buf, mountinfo, sizeof(mountinfo));
	type[0] = opts[0] = '\0';
	CHECK_INT(fslock_mountinfo(buf, maj, min, type, sizeof(type), opts,
	    sizeof(opts)), want);
	if (want == 0) {
		CHECK_STR(type, wtype);
		CHECK_STR(opts, wopts);
	}
}

int
main(void)
{
	char	buf[128], type[8], opts[8], why[256];
	int	fd;

	find(8, 1, 0, "ext4", "rw");
	find(0, 45, 0, "fuse.glusterfs",
	    "rw,user_id=0,group_id=0,allow_other");
	find(0, 42, -1, NULL, NULL);
	/* Too long for the caller's buffers: no answer, not a cut one. */
	memcpy(buf, mountinfo, 60);
	buf[59] = '\0';
	CHECK_INT(fslock_mountinfo(buf, 8, 1, type, 4, opts, sizeof(opts)),
	    -1);
	/* A line without the separator's three fields after it. */
	(void)strlcpy(buf, "1 2 0:9 / /x rw a b c d - ext4\n", sizeof(buf));
	CHECK_INT(fslock_mountinfo(buf, 0, 9, type, sizeof(type), opts,
	    sizeof(opts)), -1);

	CHECK(fslock_verdict("ext4", "rw") == NULL, "ext4 trusted");
	CHECK(fslock_verdict("fuse.glusterfs", "rw") == NULL,
	    "GlusterFS trusted");
	CHECK(fslock_verdict("fuse.ceph-fuse", "rw") == NULL,
	    "ceph-fuse trusted");
	/* No program makes it (mount.fuse.ceph runs ceph-fuse): untested. */
	CHECK(fslock_verdict("fuse.ceph", "rw") != NULL, "fuse.ceph refused");
	CHECK(fslock_verdict("fuseblk", "rw") == NULL, "fuseblk trusted");
	CHECK(fslock_verdict("nfs4", "rw,vers=4.2,local_lock=none") == NULL,
	    "NFSv4 trusted");
	CHECK(fslock_verdict("nfs", "rw,vers=3,nolock") != NULL,
	    "NFS nolock refused");
	CHECK(fslock_verdict("nfs4", "rw,local_lock=flock") != NULL,
	    "NFS local_lock=flock refused");
	CHECK(fslock_verdict("cifs", "rw,nobrl") != NULL, "CIFS nobrl refused");
	CHECK(fslock_verdict("cifs", "rw,nobrlx") == NULL,
	    "an option is matched whole");
	CHECK(fslock_verdict("fuse", "rw") != NULL, "plain FUSE refused");
	CHECK(fslock_verdict("fuse.sshfs", "rw") != NULL, "sshfs refused");

	if ((fd = open(".", O_RDONLY | O_DIRECTORY)) == -1)
		return 1;
	CHECK_INT(fslock_check(fd, why, sizeof(why)), 1);
	close(fd);
	/* No block device (tmpfs, proc): told by mountinfo, local too. */
	if ((fd = open("/proc", O_RDONLY | O_DIRECTORY)) != -1) {
		CHECK_INT(fslock_check(fd, why, sizeof(why)), 1);
		close(fd);
	}
	return unit_done();
}
