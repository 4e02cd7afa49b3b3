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
 * spent.c -- the router tickets the parent has let log in, until they expire:
 * each is taken once.  The parent outlives every authpop, so a reload does not
 * make a spent ticket good again.  Past SPENT_MAX a ticket login fails for now
 * rather than grow the set without end.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "popd.h"
#include "parent.h"

#define SPENT_MAX	1000000		/* 80 MB, with malloc's share */

struct spent {
	RB_ENTRY(spent)		 entry;
	TAILQ_ENTRY(spent)	 qentry;	/* as taken: expiry, roughly */
	uint64_t		 nonce;
	int64_t			 expiry;
};
RB_HEAD(spenttree, spent);
TAILQ_HEAD(spentq, spent);

static int	spent_cmp(struct spent *, struct spent *);
RB_PROTOTYPE_STATIC(spenttree, spent, entry, spent_cmp)
RB_GENERATE_STATIC(spenttree, spent, entry, spent_cmp)

static struct spenttree	 tree = RB_INITIALIZER(&tree);
static struct spentq	 queue = TAILQ_HEAD_INITIALIZER(queue);
static size_t		 nspent;

static int
spent_cmp(struct spent *a, struct spent *b)
{
	return a->nonce < b->nonce ? -1 : a->nonce > b->nonce;
}

int
spent_take(uint64_t nonce, int64_t expiry)
{
	struct spent	 k, *sp;
	int64_t		 t = time(NULL);

	/* Tickets live a minute: those taken first expire first. */
	while ((sp = TAILQ_FIRST(&queue)) != NULL && sp->expiry < t) {
		TAILQ_REMOVE(&queue, sp, qentry);
		RB_REMOVE(spenttree, &tree, sp);
		free(sp);
		nspent--;
	}
	k.nonce = nonce;
	if (RB_FIND(spenttree, &tree, &k) != NULL)
		return SPENT_AGAIN;
	if (nspent >= SPENT_MAX || (sp = calloc(1, sizeof(*sp))) == NULL)
		return SPENT_FULL;
	sp->nonce = nonce;
	sp->expiry = expiry;
	RB_INSERT(spenttree, &tree, sp);
	TAILQ_INSERT_TAIL(&queue, sp, qentry);
	nspent++;
	return 0;
}
