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
 * fuzz_msgid -- libFuzzer target for wrkrpop's Message-ID reader
 * (wrkrpop/msgid.c), which reads the header of every message a client
 * retrieves or removes: whatever the header, the answer is one word of
 * printable ASCII without a backslash but for its \xNN escapes, NUL-
 * terminated inside the buffer, and "none" or something the header
 * holds; the same input gives the same answer in a buffer just big
 * enough for it and one escape more.  Where junk's subject prefix goes
 * (msgid_subject) is -1 or an offset inside the first MSGID_HEAD bytes,
 * just after "Subject:" or a blank.
 *
 *	make regress/fuzz/fuzz_msgid &&
 *	    regress/fuzz/fuzz_msgid regress/fuzz/corpus_fuzz_msgid
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wrkrpop.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 out[MSGID_MAX], again[MSGID_MAX];
	size_t	 i, n;
	off_t	 off;

	memset(out, 'x', sizeof(out));
	msgid_parse((const char *)data, size, out, sizeof(out));
	if ((n = strnlen(out, sizeof(out))) == sizeof(out) || n == 0)
		abort();
	for (i = 0; i < n; i++) {
		if (out[i] <= 0x20 || out[i] >= 0x7f)
			abort();
		if (out[i] == '\\' && (i + 3 >= n || out[i + 1] != 'x'))
			abort();
	}
	off = msgid_subject((const char *)data, size);
	if (off != -1 && (off < 8 || (size_t)off > size || off > MSGID_HEAD ||
	    (data[off - 1] != ':' && data[off - 1] != ' ' &&
	    data[off - 1] != '\t')))
		abort();
	/* The tag's header seen in the first MSGID_HEAD bytes only. */
	if (size > MSGID_HEAD && msgid_spamflag((const char *)data, size) !=
	    msgid_spamflag((const char *)data, MSGID_HEAD))
		abort();
	/* Room for what it said and one escape more: the same again. */
	memset(again, 'y', sizeof(again));
	if (n + 5 <= sizeof(again)) {
		msgid_parse((const char *)data, size, again, n + 5);
		if (strcmp(out, again) != 0)
			abort();
	}
	return 0;
}
