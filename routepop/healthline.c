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
 * healthline.c -- what a backend's health port said: "up N", "draining N" or
 * "degraded N", N at most 2^32-1.  Anything else, or more, fails the check.
 */
#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "proto.h"
#include "routepop.h"

int
health_line(const char *buf, size_t len, uint32_t *sessions)
{
	uint64_t	 n = 0;
	size_t		 i, digits = 0;
	int		 state;

	if (len >= 3 && memcmp(buf, "up ", 3) == 0) {
		state = HEALTH_UP;
		i = 3;
	} else if (len >= 9 && memcmp(buf, "draining ", 9) == 0) {
		state = HEALTH_DRAINING;
		i = 9;
	} else if (len >= 9 && memcmp(buf, "degraded ", 9) == 0) {
		state = HEALTH_DEGRADED;
		i = 9;
	} else
		return -1;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		if (++digits > 10)
			return -1;
		n = n * 10 + (buf[i] - '0');
	}
	if (digits == 0 || n > UINT32_MAX)
		return -1;
	/* LF or CR LF, and nothing after it. */
	if (i < len && buf[i] == '\r')
		i++;
	if (i + 1 != len || buf[i] != '\n')
		return -1;
	*sessions = n;
	return state;
}
