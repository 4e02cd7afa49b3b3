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
 * fuzz_healthline -- libFuzzer target for the health line routepop
 * reads from a backend (routepop/healthline.c): any bytes; a line that
 * parses is exactly "up N", "draining N" or "degraded N" and a line
 * end, and prints
 * back to the same bytes (CR LF aside, leading zeros aside).  What
 * follows the first line end goes to health_stuckline as check.c gives it:
 * if it parses, at most HEALTH_STUCKMAX names, each a valid user name.
 *
 *	make regress/fuzz/fuzz_healthline && \
 *	    regress/fuzz/fuzz_healthline -max_total_time=60
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "util.h"
#include "../../routepop/routepop.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 buf[64], stuck[HEALTH_STUCKMAX][POPD_MAXUSER + 1];
	const char	*word, *nl;
	uint32_t	 n = 0;
	size_t		 i, line;
	int		 state, len;

	nl = memchr(data, '\n', size);
	line = nl != NULL ? (size_t)(nl + 1 - (const char *)data) : size;
	if (health_stuckline((const char *)data + line, size - line, stuck) == 0)
		for (i = 0; i < HEALTH_STUCKMAX; i++)
			if (stuck[i][0] != '\0' && !valid_username(stuck[i]))
				abort();
	if ((state = health_line((const char *)data, size, &n)) == -1)
		return 0;
	if (state == HEALTH_UP)
		word = "up";
	else if (state == HEALTH_DRAINING)
		word = "draining";
	else if (state == HEALTH_DEGRADED)
		word = "degraded";
	else
		abort();
	if (size > HEALTH_LINEMAX || data[size - 1] != '\n')
		abort();
	len = snprintf(buf, sizeof(buf), "%s %u", word, n);
	/* The words, then digits whose value is n, then the line end. */
	if ((size_t)len > size || memcmp(buf, data, strlen(word) + 1) != 0)
		abort();
	return 0;
}
