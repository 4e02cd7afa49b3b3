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
 * test_healthline -- the line routepop reads from a backend's health
 * port (routepop/healthline.c): what the listener writes parses, and
 * anything else, short or long, is no health line.
 */
#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "proto.h"
#include "../../routepop/routepop.h"
#include "unit.h"

static int
line(const char *s, uint32_t *n)
{
	*n = 77;
	return health_line(s, strlen(s), n);
}

int
main(void)
{
	uint32_t	n;

	/* As listener_accept.c writes them. */
	CHECK_INT(line("up 0\n", &n), HEALTH_UP);
	CHECK_INT(n, 0);
	CHECK_INT(line("draining 12\n", &n), HEALTH_DRAINING);
	CHECK_INT(n, 12);
	CHECK_INT(line("degraded 3\n", &n), HEALTH_DEGRADED);
	CHECK_INT(n, 3);
	CHECK_INT(line("up 4294967295\r\n", &n), HEALTH_UP);
	CHECK_INT(n, 4294967295U);
	/* Anything else fails the check. */
	CHECK_INT(line("up 4294967296\n", &n), -1);
	CHECK_INT(line("up 00000000001\n", &n), -1);
	CHECK_INT(line("up 1", &n), -1);
	CHECK_INT(line("up\n", &n), -1);
	CHECK_INT(line("up  1\n", &n), -1);
	CHECK_INT(line("up -1\n", &n), -1);
	CHECK_INT(line("UP 1\n", &n), -1);
	CHECK_INT(line("down 0\n", &n), -1);
	CHECK_INT(line("degraded\n", &n), -1);
	CHECK_INT(line("up 1\n\n", &n), -1);
	CHECK_INT(line("up 1 \n", &n), -1);
	CHECK_INT(line("up 1\r\r\n", &n), -1);
	CHECK_INT(line("+OK POP3 ready\r\n", &n), -1);
	CHECK_INT(line("", &n), -1);
	CHECK_INT(health_line("up 1\0\n", 6, &n), -1);
	CHECK_INT(n, 77);
	return unit_done();
}
