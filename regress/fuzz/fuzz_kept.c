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
 * fuzz_kept -- libFuzzer target for the names of kept messages
 * (store/kept.c), which the undelete job and the sweep read from a
 * directory of the user's maildir, where the user may put any name:
 * each line of the input is parsed as a name; one that parses must be
 * made again (kept_name) from what it said, into a name that parses to
 * the same kept message and is made the same again.
 *
 *	make regress/fuzz/fuzz_kept &&
 *	    regress/fuzz/fuzz_kept regress/fuzz/corpus_fuzz_kept
 */
#include <sys/types.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "kept.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const char *fname)
{
	struct kept	 k, back;
	char		 full[NAME_MAX + 8], out[NAME_MAX + 1], again[NAME_MAX + 1];

	if (kept_parse(fname, &k) == -1)
		return;
	if (strlen(fname) > NAME_MAX)
		return;		/* no such name on disk */
	(void)snprintf(full, sizeof(full), "cur/%s:2,S", k.uniq);
	/* The name made is the shortest spelling: "-" for the own UIDL. */
	if (kept_name(full, k.uidl, k.folder, k.time, out, sizeof(out)) ==
	    -1 || strlen(out) > strlen(fname))
		abort();
	if (kept_parse(out, &back) == -1 || back.time != k.time ||
	    strcmp(back.uidl, k.uidl) != 0 || strcmp(back.uniq, k.uniq) != 0 ||
	    strcmp(back.folder, k.folder) != 0)
		abort();
	if (kept_name(full, back.uidl, back.folder, back.time, again,
	    sizeof(again)) == -1 || strcmp(out, again) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf, *p, *nl;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (p = buf; p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		check(p);
	}
	free(buf);
	return 0;
}
