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
 * counters.c -- the parent's sums of popd's counters: its own page, the last
 * values of the children it reaped, and the pages of those alive.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <string.h>
#include <time.h>

#include "popd.h"
#include "parent.h"
#include "stats.h"

static uint64_t	reaped[STAT_MAX];	/* children gone, summed */
static uint64_t	at_reload[STAT_MAX];	/* the total then */
static time_t	started, reload_time;

static void
add_page(uint64_t *sum, const struct stats_page *page)
{
	uint64_t	c[STAT_MAX];

	if (page == NULL)
		return;
	stats_read(page, c);
	stats_sum(sum, c);
}

void
counters_reaped(struct stats_page *page)
{
	add_page(reaped, page);
	stats_page_free(page);
}

static void
add_session(const struct sessview *v, void *arg)
{
	add_page(arg, v->page);
}

static void
counters_total(uint64_t *sum)
{
	struct proc	*p;

	memcpy(sum, stats->c, sizeof(stats->c));
	stats_sum(sum, reaped);
	TAILQ_FOREACH(p, &procs, entry)
		add_page(sum, p->page);
	login_walk(add_session, sum);
}

/* A child may have lowered what it wrote meanwhile: never below 0. */
void
counters_show(struct msg_ctlstats *m)
{
	size_t	i;

	counters_total(m->start);
	for (i = 0; i < STAT_MAX; i++)
		m->reload[i] = m->start[i] >= at_reload[i] ?
		    m->start[i] - at_reload[i] : 0;
	m->started = started;
	m->reloaded = reload_time;
}

void
counters_reloaded(void)
{
	reload_time = time(NULL);
	if (started == 0)
		started = reload_time;
	else
		counters_total(at_reload);
}
