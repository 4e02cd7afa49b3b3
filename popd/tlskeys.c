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
 * TLS session ticket keys (`tls tickets TIME`), shared by every listener
 * so a client resumes on whichever takes its next connection.  Made with
 * arc4random, held in memory only.  A key every L/4, four kept: a ticket
 * resumes for 3L/4 to L.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "util.h"
#include "parent.h"

#define TICKET_RING	4	/* libtls's TLS_NUM_TICKETS */

static struct msg_ticket	 ring[TICKET_RING];	/* [0] the newest */
static int			 nkeys;
static int			 lifetime;		/* seconds, 0 = off */
static uint32_t			 nextrev;
static struct event		 rotate_ev;
static time_t			 asked;		/* monotime of the last */

/*
 * A draining listener too: libtls fails a handshake with no key younger
 * than L.  Not one with another lifetime: it would issue tickets of its
 * lifetime under the new ring's keys.
 */
static void
tickets_rotate(int fd, short ev, void *arg)
{
	struct timeval	 tv = { lifetime / 4, 0 };
	struct proc	*p;

	memmove(&ring[1], &ring[0], sizeof(ring) - sizeof(ring[0]));
	ring[0].rev = nextrev++;
	arc4random_buf(ring[0].key, sizeof(ring[0].key));
	if (nkeys < TICKET_RING)
		nkeys++;
	TAILQ_FOREACH(p, &procs, entry)
		if (p->id == KIND_LISTENER && p->chan.fd != -1 &&
		    p->tickets == lifetime)
			chan_send(&p->chan, MSG_PARENT_TICKET, -1, &ring[0],
			    sizeof(ring[0]));
	if (evtimer_add(&rotate_ev, &tv) == -1)
		fatal("evtimer_add");
	log_debug("tls tickets: key %u made, the next in %ds",
	    (unsigned)ring[0].rev, lifetime / 4);
}

void
tickets_start(int life)
{
	if (event_initialized(&rotate_ev) && life == lifetime)
		return;
	if (!event_initialized(&rotate_ev)) {
		evtimer_set(&rotate_ev, tickets_rotate, NULL);
		nextrev = arc4random();
	}
	evtimer_del(&rotate_ev);
	explicit_bzero(ring, sizeof(ring));
	nkeys = 0;
	lifetime = life;
	if (life > 0)
		tickets_rotate(-1, 0, NULL);
	else
		log_info("tls tickets: off");
}

/*
 * libtls stamps keys by wall clock: a step ahead fails every handshake
 * until a new key.  One key per step however many listeners ask, and at
 * most one on request per L/4, so a ticket still resumes for L/4.  Not
 * for a listener with the tickets of before a reload.
 */
void
parent_listener_rekey(struct chan *c, const void *data, int fd)
{
	const struct msg_rekey	*m = data;

	if (nkeys == 0 || m->lifetime != (uint32_t)lifetime ||
	    m->rev != ring[0].rev) {
		log_debug("tls tickets: a key after key %u asked: %s",
		    (unsigned)m->rev, nkeys == 0 ||
		    m->lifetime != (uint32_t)lifetime ?
		    "tickets changed in a reload" : "made already");
		return;
	}
	if (asked != 0 && monotime() - asked < lifetime / 4) {
		log_warnx("tls tickets: a listener asked for a key after key "
		    "%u again within %ds: refused", (unsigned)m->rev,
		    lifetime / 4);
		return;
	}
	asked = monotime();
	log_info("tls tickets: a listener's wall clock stepped ahead of key "
	    "%u: a new key now", (unsigned)m->rev);
	tickets_rotate(-1, 0, NULL);
}

void
tickets_send(struct proc *p)
{
	int	i;

	p->tickets = lifetime;
	for (i = nkeys - 1; i >= 0; i--)
		chan_send(&p->chan, MSG_PARENT_TICKET, -1, &ring[i],
		    sizeof(ring[i]));
}
