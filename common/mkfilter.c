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
 * mkfilter -- at build time: wrkrpop's seccomp filter as libseccomp builds it,
 * printed as sc_wrkrpop.h.  Built for two pids no process has; the two programs
 * must differ only in BPF_JEQ|BPF_K compares of that pid, printed with their
 * places for the real pid.  Any other difference stops the build.
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <linux/filter.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

/* Above pid_max's ceiling (2^22): no process has them. */
#define PID_A	0x7ffffff1U
#define PID_B	0x7ffffff2U
#define MAXPID	8		/* kill and tgkill: 2 */

static size_t
export(pid_t pid, struct sock_filter *prog, size_t n)
{
	ssize_t	r;
	int	fd;

	if ((fd = memfd_create("mkfilter", MFD_CLOEXEC)) == -1)
		err(1, "memfd_create");
	if (sandbox_wrkrpop_export(pid, fd) == -1)
		err(1, "seccomp_export_bpf");
	if ((r = pread(fd, prog, n * sizeof(*prog), 0)) == -1)
		err(1, "read the filter");
	close(fd);
	if (r == 0 || (size_t)r % sizeof(*prog) != 0 ||
	    (size_t)r / sizeof(*prog) > BPF_MAXINSNS)
		errx(1, "a filter of %zd bytes", r);
	return r / sizeof(*prog);
}

int
main(int argc, char *argv[])
{
	static struct sock_filter	a[BPF_MAXINSNS + 1], b[BPF_MAXINSNS + 1];
	size_t				at[MAXPID], i, n, npid = 0;

	if (argc != 1) {
		fprintf(stderr, "usage: mkfilter > sc_wrkrpop.h\n");
		return 1;
	}
	n = export(PID_A, a, nitems(a));
	if (export(PID_B, b, nitems(b)) != n)
		errx(1, "the filter's length depends on the pid");
	for (i = 0; i < n; i++) {
		if (memcmp(&a[i], &b[i], sizeof(a[i])) == 0) {
			if (a[i].k == PID_A)
				errx(1, "instruction %zu: the pid as it is", i);
			continue;
		}
		if (a[i].code != (BPF_JMP | BPF_JEQ | BPF_K) ||
		    a[i].code != b[i].code || a[i].jt != b[i].jt ||
		    a[i].jf != b[i].jf || a[i].k != PID_A || b[i].k != PID_B)
			errx(1, "instruction %zu depends on the pid", i);
		if (npid == MAXPID)
			errx(1, "the pid in more than %d places", MAXPID);
		at[npid++] = i;
	}
	if (npid == 0)
		errx(1, "no pid in the filter");

	printf("/* Made by common/mkfilter from common/sandbox.c: not "
	    "edited, not committed. */\n");
	printf("#define SC_WRKRPOP_PID\t0x%08xU\n\n", PID_A);
	printf("static const struct sock_filter sc_wrkrpop_prog[%zu] = {\n",
	    n);
	for (i = 0; i < n; i++)
		printf("\t{ 0x%04x, %u, %u, 0x%08x },\n", a[i].code, a[i].jt,
		    a[i].jf, a[i].k);
	printf("};\n\nstatic const unsigned int sc_wrkrpop_pidat[%zu] = {\n",
	    npid);
	for (i = 0; i < npid; i++)
		printf("\t%zu,\n", at[i]);
	printf("};\n");
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}
