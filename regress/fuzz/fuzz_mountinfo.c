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
 * fuzz_mountinfo -- libFuzzer target for wrkrpop's reader of
 * /proc/self/mountinfo (store/fslock.c), which finds the filesystem
 * type and super options of the mount a maildir is on: whatever the
 * text, an answer is two NUL-terminated strings inside their buffers,
 * the type one field of the text, and the verdict on them is NULL or a
 * sentence.  The first two bytes choose the device looked for.
 *
 *	make regress/fuzz/fuzz_mountinfo &&
 *	    regress/fuzz/fuzz_mountinfo regress/fuzz/corpus_fuzz_mountinfo
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fslock.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf, type[16], opts[64];

	if (size < 2)
		return 0;
	if ((buf = malloc(size - 2 + 1)) == NULL)
		abort();
	memcpy(buf, data + 2, size - 2);
	buf[size - 2] = '\0';
	memset(type, 'x', sizeof(type));
	memset(opts, 'y', sizeof(opts));
	if (fslock_mountinfo(buf, data[0], data[1], type, sizeof(type), opts,
	    sizeof(opts)) == 0) {
		if (strnlen(type, sizeof(type)) == sizeof(type) ||
		    strnlen(opts, sizeof(opts)) == sizeof(opts) ||
		    strchr(type, ' ') != NULL || strchr(type, '\n') != NULL)
			abort();
		(void)fslock_verdict(type, opts);
	}
	free(buf);
	return 0;
}
