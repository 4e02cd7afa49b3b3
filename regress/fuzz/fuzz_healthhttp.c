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
 * fuzz_healthhttp -- libFuzzer target for a health port's HTTP request
 * (listener/listener_health.c): any bytes, in any cuts; an answer
 * given for a prefix never changes as more bytes come, a request is
 * never whole past HEALTH_HTTP_MAX bytes, and one said whole starts
 * with its method.
 *
 *	make regress/fuzz/fuzz_healthhttp && \
 *	    regress/fuzz/fuzz_healthhttp -max_total_time=60
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "../../listener/listener_health.h"

char	health_line_now[HEALTH_ANSWERMAX] = "up 0\n";
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*buf = (const char *)data;
	size_t		 i;
	int		 got, last = 0;

	if (size > HEALTH_HTTP_MAX)
		size = HEALTH_HTTP_MAX;
	/* Byte by byte, as a slow client sends it. */
	for (i = 0; i <= size; i++) {
		got = health_http_request(buf, i);
		if (last != 0 && got != last)
			abort();
		last = got;
	}
	if (got == 1 && memcmp(buf, "GET ", 4) != 0)
		abort();
	if (got == 2 && memcmp(buf, "HEAD ", 5) != 0)
		abort();
	if (size == HEALTH_HTTP_MAX && got == 0)
		abort();
	return 0;
}
