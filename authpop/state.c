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

/* state.c -- settings, channels and clock; it calls no other authpop file. */
#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <time.h>

#include "chan.h"
#include "log.h"
#include "settings.h"
#include "proc.h"
#include "auth.h"

struct conf_settings	auth_set;
struct chan		parent;
struct chan		ctl_chan;
/* tablepop's: the current one (tabcur) and the one before. */
static struct chan	tabchans[2];
struct chan *const	tabchan = tabchans;
int			tabcur = -1;

double
auth_now(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
timer_in(struct event *ev, double secs)
{
	struct timeval	tv = { 0, 0 };

	if (secs > 0) {
		tv.tv_sec = (time_t)secs;
		tv.tv_usec = (suseconds_t)((secs - tv.tv_sec) * 1e6);
	}
	if (evtimer_add(ev, &tv) == -1)
		fatal("evtimer_add");
}

/* None while control restarts: the use is lost, as in its crash. */
void
auth_ctl_send(uint32_t type, const void *data, size_t len)
{
	if (ctl_chan.handlers == NULL || ctl_chan.fd == -1) {
		log_debug("no control process for %s", msg_type_str(type));
		return;
	}
	if (!proc_ctlfull(&ctl_chan))
		chan_send(&ctl_chan, type, -1, data, len);
}
