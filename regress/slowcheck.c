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
 * slowcheck.so -- a keypop -c as slow as a test wants (test_certs.py):
 * what a pair that takes long to check, or a loaded machine, would do
 * to the parent, which must go on serving meanwhile.
 *
 * The test starts popd with LD_PRELOAD naming this library and
 * SLOWCHECK naming a file that holds a number of seconds.  keypop -c,
 * which the parent runs with its own environment (popd/child.c
 * child_exec), sleeps that long before its main runs; every other
 * program the library is loaded in goes on as it came.  Test-only:
 * nothing in the installed programs knows of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((constructor)) static void
slowcheck_init(int argc, char **argv, char **envp)
{
	const char	*f, *base;
	FILE		*fp;
	int		 secs = 0;

	if (argc < 2 || strcmp(argv[1], "-c") != 0 ||
	    (f = getenv("SLOWCHECK")) == NULL)
		return;
	base = strrchr(argv[0], '/');
	base = base != NULL ? base + 1 : argv[0];
	if (strcmp(base, "keypop") != 0 || (fp = fopen(f, "r")) == NULL)
		return;
	if (fscanf(fp, "%d", &secs) != 1)
		secs = 0;
	fclose(fp);
	if (secs > 0)
		sleep(secs);
}
