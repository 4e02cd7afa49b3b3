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
 * A second line may name its users stuck in the store (health_stuckline).
 */
#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "proto.h"
#include "util.h"
#include "routepop.h"

/*
 * The answer's second line, "stuck NAME ...": at most HEALTH_STUCKMAX
 * user names into stuck, "" after them; none if len is 0.  A backend
 * may lie: anything else fails the check.
 */
int
health_stuckline(const char *buf, size_t len, char stuck[][POPD_MAXUSER + 1])
{
	char	 line[HEALTH_ANSWERMAX], *p, *name;
	size_t	 n = 0;

	memset(stuck, 0, HEALTH_STUCKMAX * sizeof(stuck[0]));
	if (len == 0)
		return 0;
	if (len < 8 || len >= sizeof(line) || memcmp(buf, "stuck ", 6) != 0 ||
	    buf[len - 1] != '\n')
		return -1;
	memcpy(line, buf + 6, len - 7);
	line[len - 7] = '\0';
	if (line[len - 8] == '\r')
		line[len - 8] = '\0';
	p = line;
	while ((name = strsep(&p, " ")) != NULL) {
		if (n == HEALTH_STUCKMAX || !valid_username(name))
			return -1;
		(void)strlcpy(stuck[n++], name, POPD_MAXUSER + 1);
	}
	return 0;
}

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
