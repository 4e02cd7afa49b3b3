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
 * state.c -- what every file of authpop stands on: the settings the
 * parent sent, the channels to the parent, the control process and
 * tablepop, and the clock.  It calls none of the other files.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <time.h>

#include "chan.h"
#include "log.h"
#include "settings.h"
#include "proc.h"
#include "auth.h"

/* The configuration, from the parent (MSG_PARENT_CONF). */
struct conf_settings	auth_set;
/* The channel to the parent (authpop.c's role starts it). */
struct chan		parent;
/* The control process's (authpop.c starts it). */
struct chan		ctl_chan;
/*
 * The channels to tablepop (nginx.c starts them): the current one,
 * tabcur (-1: none), and the one before, whose answers to what it was
 * asked still count.
 */
static struct chan	tabchans[2];
struct chan *const	tabchan = tabchans;
int			tabcur = -1;

/* Monotonic seconds, to the microsecond. */
double
auth_now(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Fire ev in secs seconds (at once if secs is not positive). */
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

/*
 * A message to the control process; none while it restarts (an app
 * password's use is then not kept: a crash of the keeper loses as much).
 */
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
