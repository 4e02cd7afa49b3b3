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
 * tablecache.h -- the answers a database table keeps for "table ...
 * cache" (tablecache.c), for tablepop's lookups (backend.c).
 */
#ifndef POPD_TABLECACHE_H
#define POPD_TABLECACHE_H

#include <sys/types.h>
#include <sys/tree.h>

struct cached;
RB_HEAD(cachetree, cached);

/* One table's answers, by service and key. */
struct tablecache {
	struct cachetree	 tree;
	size_t			 n;
	int			 ttl;		/* seconds; 0 or less: none */
};

/* tablecache.c */
void	tablecache_init(struct tablecache *, int);
int	tablecache_get(struct tablecache *, int, const char *, int *,
	    const char **);
void	tablecache_put(struct tablecache *, int, const char *, int,
	    const char *);
void	tablecache_clear(struct tablecache *);

#endif
