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
 * fuzz_journal -- libFuzzer target for popd.journal's lines
 * (wrkrpop/journal.c), which wrkrpop reads back from a file in the
 * user's maildir, a file the user may write: each line of the input is
 * parsed; one that parses must print back (journal_format) to a line
 * that parses to the same record and prints the same again.
 *
 *	make regress/fuzz/fuzz_journal &&
 *	    regress/fuzz/fuzz_journal regress/fuzz/corpus_fuzz_journal
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wrkrpop.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const char *line)
{
	struct jrec	 r, back;
	char		 out[JOURNAL_LINE], again[JOURNAL_LINE];
	size_t		 n;

	memset(&r, 0, sizeof(r));
	if (journal_parse(line, &r) == -1)
		return;
	if (r.kind != JREC_SESSION && r.kind != JREC_REMOVED)
		abort();
	if ((n = journal_format(&r, out, sizeof(out))) == 0 ||
	    out[n - 1] != '\n' || strchr(out, '\n') != out + n - 1)
		abort();
	out[n - 1] = '\0';
	memset(&back, 0, sizeof(back));
	if (journal_parse(out, &back) == -1 || memcmp(&r, &back,
	    sizeof(r)) != 0)
		abort();
	if (journal_format(&back, again, sizeof(again)) != n ||
	    strncmp(out, again, n - 1) != 0)
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
