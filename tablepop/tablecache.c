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
 * tablecache.c -- a database table's answers kept for "table ... cache"
 * seconds, so that a busy user does not cost a question per login.  Only found
 * or no such user is kept, never a failure.  At most TABLECACHE_MAX per table:
 * when full, expired ones go, and nothing new is kept.
 */
#include <sys/types.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "tablepop.h"

#define TABLECACHE_MAX		65536	/* answers kept per table */

struct cached {
	RB_ENTRY(cached)	 entry;
	int			 service;
	char			 key[POPD_MAXUSER + 1];
	int			 status;
	char			*value;
	time_t			 expires;
};

static int
cached_cmp(struct cached *a, struct cached *b)
{
	if (a->service != b->service)
		return a->service < b->service ? -1 : 1;
	return strcmp(a->key, b->key);
}
RB_PROTOTYPE_STATIC(cachetree, cached, entry, cached_cmp)
RB_GENERATE_STATIC(cachetree, cached, entry, cached_cmp)

static void
cached_free(struct tablecache *tc, struct cached *c)
{
	RB_REMOVE(cachetree, &tc->tree, c);
	tc->n--;
	if (c->value != NULL)
		freezero(c->value, strlen(c->value));
	free(c);
}

void
tablecache_init(struct tablecache *tc, int ttl)
{
	RB_INIT(&tc->tree);
	tc->n = 0;
	tc->ttl = ttl;
}

/* *value is valid until the next call here; NULL if kept without one. */
int
tablecache_get(struct tablecache *tc, int service, const char *key,
    int *status, const char **value)
{
	struct cached	 k, *c;

	if (tc->ttl <= 0)
		return 0;
	k.service = service;
	(void)strlcpy(k.key, key, sizeof(k.key));
	if ((c = RB_FIND(cachetree, &tc->tree, &k)) == NULL)
		return 0;
	if (c->expires > monotime()) {
		*status = c->status;
		*value = c->value;
		return 1;
	}
	cached_free(tc, c);
	return 0;
}

void
tablecache_put(struct tablecache *tc, int service, const char *key,
    int status, const char *value)
{
	struct cached	*c, *next;
	time_t		 now;

	if (tc->ttl <= 0)
		return;
	now = monotime();
	if (tc->n >= TABLECACHE_MAX)
		RB_FOREACH_SAFE(c, cachetree, &tc->tree, next)
			if (c->expires <= now)
				cached_free(tc, c);
	if (tc->n >= TABLECACHE_MAX || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->service = service;
	(void)strlcpy(c->key, key, sizeof(c->key));
	if (RB_FIND(cachetree, &tc->tree, c) != NULL ||
	    (value != NULL && (c->value = strdup(value)) == NULL)) {
		free(c);
		return;
	}
	c->status = status;
	c->expires = now + tc->ttl;
	RB_INSERT(cachetree, &tc->tree, c);
	tc->n++;
}

void
tablecache_clear(struct tablecache *tc)
{
	struct cached	*c, *next;

	RB_FOREACH_SAFE(c, cachetree, &tc->tree, next)
		cached_free(tc, c);
}
