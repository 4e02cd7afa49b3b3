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
 * fuzz_tabimage -- libFuzzer target for authpop's reader of table
 * images (common/tabimage.c), which a compromised authcheck could
 * write: each input is sealed into a file of no name and mapped; an
 * image it takes must hold each name once, in order, found again by
 * table_find, its value inside the image.  The log functions are
 * stubs that still format every message.
 *
 *	make fuzz && regress/fuzz/fuzz_tabimage -max_total_time=60
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "table.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct table	 t;
	const char	*name, *value;
	size_t		 i;
	int		 fd;

	if ((fd = compat_spool_create("fuzz_tabimage")) == -1 ||
	    (size > 0 && write(fd, data, size) != (ssize_t)size) ||
	    compat_spool_seal(fd) == -1)
		abort();
	if (table_image_map(fd, "fuzz", &t) == -1) {
		if (t.n != 0 || t.buf != NULL || t.off != NULL)
			abort();
		close(fd);
		return 0;
	}
	close(fd);
	for (i = 0; i < t.n; i++) {
		name = table_name(&t, i);
		value = table_value(&t, i);
		if (name < t.buf || value + strlen(value) >= t.buf + t.bufsz ||
		    name[0] == '\0' || value[0] == '\0' ||
		    table_find(&t, name) != (ssize_t)i ||
		    (i > 0 && strcmp(table_name(&t, i - 1), name) >= 0))
			abort();
	}
	table_image_free(&t);
	return 0;
}
