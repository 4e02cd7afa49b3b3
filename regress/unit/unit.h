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
 * Tiny assert helpers for the C unit tests.
 *
 *	CHECK(cond, fmt, ...)	count a pass, or print "FAIL file:line: ..."
 *				and count a failure; fmt says what was
 *				expected and what was got.
 *	CHECK_INT(got, want)	integer equality with both values printed.
 *	CHECK_STR(got, want)	string equality (NULL safe).
 *	return unit_done();	prints "N passed, N failed", returns the
 *				exit code (1 if anything failed).
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

#define CHECK(cond, ...) do {						\
	if (cond)							\
		unit_passed++;						\
	else {								\
		unit_failed++;						\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		fflush(stdout);						\
	}								\
} while (0)

#define CHECK_INT(got, want) do {					\
	long long unit_g_ = (got), unit_w_ = (want);			\
	CHECK(unit_g_ == unit_w_, "%s: expected %lld, got %lld",	\
	    #got, unit_w_, unit_g_);					\
} while (0)

#define CHECK_STR(got, want) do {					\
	const char *unit_gs_ = (got), *unit_ws_ = (want);		\
	CHECK((unit_gs_ == NULL && unit_ws_ == NULL) ||			\
	    (unit_gs_ != NULL && unit_ws_ != NULL &&			\
	    strcmp(unit_gs_, unit_ws_) == 0),				\
	    "%s: expected \"%s\", got \"%s\"", #got,			\
	    unit_ws_ ? unit_ws_ : "(null)",				\
	    unit_gs_ ? unit_gs_ : "(null)");				\
} while (0)

static inline int
unit_done(void)
{
	printf("%d passed, %d failed\n", unit_passed, unit_failed);
	fflush(stdout);
	return unit_failed != 0;
}

#endif /* UNIT_H */
