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
 * fuzz_lastuse -- libFuzzer target for the app passwords' state file as
 * the control process reads it (control/lastuse.c): any bytes.  What it
 * keeps it writes back in lines that read again whole, none skipped,
 * and write again to the same bytes; a line that parses is one of them.
 *
 *	make regress/fuzz/fuzz_lastuse && \
 *	    regress/fuzz/fuzz_lastuse -max_total_time=60
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "../../control/control.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* fd's bytes, malloc'd, and their count in *len. */
static char *
slurp(int fd, size_t *len)
{
	char	*buf;
	off_t	 end;

	if ((end = lseek(fd, 0, SEEK_END)) == -1 ||
	    (buf = malloc(end + 1)) == NULL ||
	    pread(fd, buf, end, 0) != end)
		abort();
	*len = end;
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lastuse_rec	 r;
	char			*once, *twice;
	size_t			 n1, n2;
	int			 in, out1, out2;

	/* One line: a record that parses has its fields in their bounds. */
	if (lastuse_parse((const char *)data, size, &r) == 0 &&
	    (r.at <= 0 || r.user[0] == '\0' || r.label[0] == '\0' ||
	    r.addr[0] == '\0' || memchr(data, '\n', size) != NULL))
		abort();

	if ((in = compat_spool_create("fuzz-lastuse")) == -1 ||
	    (out1 = compat_spool_create("fuzz-lastuse")) == -1 ||
	    (out2 = compat_spool_create("fuzz-lastuse")) == -1)
		abort();
	if (size > 0 && write(in, data, size) != (ssize_t)size)
		abort();
	(void)lastuse_read(in);
	if (lastuse_write(out1) == -1)
		abort();
	lastuse_free();
	if (lastuse_read(out1) != 0 || lastuse_write(out2) == -1)
		abort();
	lastuse_free();
	once = slurp(out1, &n1);
	twice = slurp(out2, &n2);
	if (n1 != n2 || memcmp(once, twice, n1) != 0)
		abort();
	free(once);
	free(twice);
	close(in);
	close(out1);
	close(out2);
	return 0;
}
