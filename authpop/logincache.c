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
 * logincache.c -- logins verified lately, keyed by a 128-bit MAC of (user,
 * password, stored hash) under a key that never leaves authpop.  A hit within
 * TIME logs in without the slow check; failures are never cached, and a hit
 * never makes an entry younger: each user pays one full check per TIME.  At
 * most limit entries, LRU.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "log.h"
#include "proto.h"
#include "stats.h"
#include "table.h"
#include "util.h"
#include "auth.h"

struct lcentry {
	RB_ENTRY(lcentry)	 entry;
	TAILQ_ENTRY(lcentry)	 lru;
	uint64_t		 mac[2];
	double			 checked;
	char			 user[POPD_MAXUSER + 1];
};
RB_HEAD(lctree, lcentry);
static int	lcentry_cmp(struct lcentry *, struct lcentry *);
RB_PROTOTYPE_STATIC(lctree, lcentry, entry, lcentry_cmp)
RB_GENERATE_STATIC(lctree, lcentry, entry, lcentry_cmp)

static struct lctree			 cache = RB_INITIALIZER(&cache);
static TAILQ_HEAD(, lcentry)		 lru = TAILQ_HEAD_INITIALIZER(lru);
static uint64_t				 key[2][2];
static size_t				 n, max;
static double				 ttl;

static int
lcentry_cmp(struct lcentry *a, struct lcentry *b)
{
	return strcmp(a->user, b->user);
}

void
logincache_init(int seconds, int entries)
{
	ttl = seconds;
	max = entries > 0 ? (size_t)entries : 0;
	arc4random_buf(key, sizeof(key));
	if (ttl > 0)
		log_debug("login cache: %d seconds, %zu entries at most",
		    seconds, max);
}

/* Two SipHash-2-4, made before the check wipes the password. */
int
logincache_mac(const char *user, const char *pass, const char *hash,
    uint64_t mac[2])
{
	char	buf[POPD_MAXUSER + AUTH_MAXPASS + COMPAT_HASH_MAX + 3];
	size_t	lu, lp, lh;

	/* Off: the password and the hash are not copied anywhere. */
	if (ttl <= 0)
		return 0;
	lu = strlen(user);
	lp = strlen(pass);
	lh = strlen(hash);
	/* Each part NUL-terminated: no two triples give the same bytes. */
	memcpy(buf, user, lu + 1);
	memcpy(buf + lu + 1, pass, lp + 1);
	memcpy(buf + lu + lp + 2, hash, lh + 1);
	mac[0] = siphash(key[0], buf, lu + lp + lh + 3);
	mac[1] = siphash(key[1], buf, lu + lp + lh + 3);
	explicit_bzero(buf, sizeof(buf));
	return 1;
}

static struct lcentry *
lc_find(const char *user)
{
	struct lcentry	k;

	if (strlcpy(k.user, user, sizeof(k.user)) >= sizeof(k.user))
		return NULL;
	return RB_FIND(lctree, &cache, &k);
}

static void
lc_remove(struct lcentry *e)
{
	RB_REMOVE(lctree, &cache, e);
	TAILQ_REMOVE(&lru, e, lru);
	freezero(e, sizeof(*e));
	n--;
}

/* An unknown user is never a hit nor a miss. */
int
logincache_hit(const char *user, const uint64_t mac[2], double t)
{
	struct lcentry	*e;

	if ((e = lc_find(user)) != NULL && t - e->checked >= ttl) {
		lc_remove(e);
		e = NULL;
	}
	/* In constant time: a branch on each word would tell which. */
	if (e == NULL || ((mac[0] ^ e->mac[0]) | (mac[1] ^ e->mac[1])) != 0) {
		STAT_INC(STAT_LOGIN_CACHE_MISS);
		return 0;
	}
	STAT_INC(STAT_LOGIN_CACHE_HIT);
	TAILQ_REMOVE(&lru, e, lru);
	TAILQ_INSERT_TAIL(&lru, e, lru);
	return 1;
}

void
logincache_put(const char *user, const uint64_t mac[2], double t)
{
	struct lcentry	*e;

	if (ttl <= 0 || max == 0)
		return;
	if ((e = lc_find(user)) != NULL)
		TAILQ_REMOVE(&lru, e, lru);
	else {
		if (n >= max) {
			lc_remove(TAILQ_FIRST(&lru));
			STAT_INC(STAT_LOGIN_CACHE_EVICT);
		}
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			log_warn("%s", __func__);
			return;
		}
		if (strlcpy(e->user, user, sizeof(e->user)) >=
		    sizeof(e->user)) {
			free(e);
			return;
		}
		RB_INSERT(lctree, &cache, e);
		n++;
	}
	e->mac[0] = mac[0];
	e->mac[1] = mac[1];
	e->checked = t;
	TAILQ_INSERT_TAIL(&lru, e, lru);
}
