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
 * quotarule.h -- a quota's limit ("1G messages 1000") and its arithmetic,
 * shared with the store's maildirsize without its files.
 */
#ifndef POPD_QUOTARULE_H
#define POPD_QUOTARULE_H

#include <stddef.h>
#include <stdint.h>

/* A limit of 0 means none of that kind. */
struct quota_limit {
	uint64_t	bytes;
	uint64_t	msgs;
};

struct quota_use {
	int64_t		bytes;
	int64_t		msgs;
};

/* quotarule.c: a limit as popd.conf and the quota tables write it */

/* 0, or -1 with why in err (NULL: none). */
int	quota_spec_parse(const char *, struct quota_limit *, char *, size_t);

int	quota_spec_format(const struct quota_limit *, char *, size_t);

/* Here for the parent too (userquota.c), which links none of quota.c. */
static inline int
quota_over(const struct quota_limit *lim, const struct quota_use *use)
{
	return (lim->bytes != 0 && use->bytes >= 0 &&
	    (uint64_t)use->bytes >= lim->bytes) ||
	    (lim->msgs != 0 && use->msgs >= 0 &&
	    (uint64_t)use->msgs >= lim->msgs);
}

static inline int
quota_fits(const struct quota_limit *lim, const struct quota_use *use,
    uint64_t size)
{
	uint64_t	b = use->bytes > 0 ? (uint64_t)use->bytes : 0;
	uint64_t	m = use->msgs > 0 ? (uint64_t)use->msgs : 0;

	if (lim->bytes != 0 && (b > lim->bytes || size > lim->bytes - b))
		return 0;
	if (lim->msgs != 0 && m >= lim->msgs)
		return 0;
	return 1;
}

#endif
