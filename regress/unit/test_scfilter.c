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
 * test_scfilter -- common/sandbox.c: the seccomp filter a wrkrpop loads
 * ready (sandbox_wrkrpop_bpf, from common/mkfilter's sc_wrkrpop.h) is
 * byte for byte the one libseccomp builds from the same rules for the
 * same pid (seccomp_export_bpf), for pids across the whole range.
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <linux/filter.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "unit.h"

static struct sock_filter	lib[BPF_MAXINSNS], ours[BPF_MAXINSNS];

/* libseccomp's program for pid: its length, -1 on failure. */
static int
libseccomp(pid_t pid)
{
	ssize_t	r;
	int	fd;

	if ((fd = memfd_create("test_scfilter", MFD_CLOEXEC)) == -1)
		return -1;
	if (sandbox_wrkrpop_export(pid, fd) == -1 ||
	    (r = pread(fd, lib, sizeof(lib), 0)) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	if (r % sizeof(lib[0]) != 0)
		return -1;
	return r / sizeof(lib[0]);
}

static void
same(pid_t pid)
{
	int	nl, no, i;

	memset(ours, 0xa5, sizeof(ours));
	nl = libseccomp(pid);
	no = sandbox_wrkrpop_bpf(pid, ours, nitems(ours));
	CHECK(nl > 0, "pid %d: libseccomp's filter not exported", (int)pid);
	CHECK(nl == no, "pid %d: %d instructions from libseccomp, %d "
	    "prebuilt", (int)pid, nl, no);
	if (nl <= 0 || nl != no)
		return;
	for (i = 0; i < nl; i++)
		if (memcmp(&lib[i], &ours[i], sizeof(lib[i])) != 0)
			break;
	CHECK(i == nl, "pid %d: instruction %d: libseccomp's "
	    "{ 0x%x, %u, %u, 0x%x }, prebuilt { 0x%x, %u, %u, 0x%x }",
	    (int)pid, i, i < nl ? lib[i].code : 0, i < nl ? lib[i].jt : 0,
	    i < nl ? lib[i].jf : 0, i < nl ? lib[i].k : 0,
	    i < nl ? ours[i].code : 0, i < nl ? ours[i].jt : 0,
	    i < nl ? ours[i].jf : 0, i < nl ? ours[i].k : 0);
}

int
main(void)
{
	static const pid_t	pids[] = {
		1, 2, 255, 256, 4095, 32767, 32768, 65535, 65536, 1000000,
		4194303, 4194304, 0x7fffffff,
	};
	size_t			i;
	int			n;

	for (i = 0; i < nitems(pids); i++)
		same(pids[i]);
	same(getpid());
	srandom(72);
	for (i = 0; i < 200; i++)
		same(1 + random() % 4194304);

	/* The pid goes where kill(2)'s argument is compared. */
	n = sandbox_wrkrpop_bpf(4242, ours, nitems(ours));
	CHECK(n > 0, "no prebuilt filter");
	for (i = 0; n > 0 && i < (size_t)n; i++)
		if (ours[i].k == 4242)
			break;
	CHECK(n > 0 && i < (size_t)n && ours[i].code == (BPF_JMP | BPF_JEQ |
	    BPF_K), "pid 4242 not in the prebuilt filter");

	/* No pid of no process, and no room for the program. */
	errno = 0;
	CHECK_INT(sandbox_wrkrpop_bpf(0, ours, nitems(ours)), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(sandbox_wrkrpop_bpf(-1, ours, nitems(ours)), -1);
	CHECK_INT(sandbox_wrkrpop_bpf(1, ours, n > 0 ? n - 1 : 0), -1);
	return unit_done();
}
