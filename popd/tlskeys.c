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
 * tlskeys.c -- the keys of the TLS session tickets every listener issues
 * (popd.conf's `tls tickets TIME`), so that a client that keeps its
 * session (Thunderbird, K-9, Outlook) resumes it without a full
 * handshake on whichever listener takes its next connection: the
 * current one, the ones started when it is full, the one a reload
 * starts.  They are made here, with arc4random, held in this process's
 * memory and the listeners', and written nowhere.
 *
 * TIME is the session's lifetime, L.  A new key every L/4 goes to every
 * listener; a listener issues tickets under the newest and accepts the
 * four newest (libtls keeps four, and drops a key L after it got it),
 * while OpenSSL refuses a session older than L.  So a ticket resumes
 * for at least 3L/4 and at most L after its full handshake, and a key
 * that leaves the ring takes every ticket made under it along.  A
 * reload that changes TIME starts a new ring: tickets made before it
 * are refused (a full handshake follows); one that keeps TIME keeps the
 * keys, and tickets resume on the new listener.
 *
 * Our timer is monotonic, but libtls stamps each key with the wall
 * clock when a listener adds it, and issues no ticket, failing the
 * handshake, once the newest is L old by that clock.  So a step of the
 * wall clock ahead (an NTP step at boot, a VM or laptop resumed) would
 * fail every handshake until our next key.  A listener notices it (its
 * newest key looks older than our timer lets one get) and asks for a
 * key, which every listener gets at once; its handshakes wait for it.
 * A step back leaves the keys stamped in libtls's future, valid by its
 * clock, and still each leaves the ring L after it was made by ours.
 * One key on request per L/4 at most: a listener taken over that asks
 * again and again makes at most two keys a quarter, and a ticket still
 * resumes for L/4 at least, where four requests voided every ticket.
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
 * A new key to every listener, every L/4; a draining one too: libtls
 * fails a handshake (its sessions' STLS) with no key younger than L.
 * Not to one that drains with another lifetime (a reload changed it):
 * it would issue tickets of its lifetime under the new ring's keys; its
 * newest own key is good for 3L/4 at least.
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

/* At start and after each reload: the ring for life seconds (0: none). */
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
 * A listener's wall clock stepped ahead of m->rev, its newest key: a new
 * key now, unless one newer than it is made already (on its way to
 * that listener: one key per step, however many listeners ask), or the
 * listener drains with the tickets of before a reload (off now, or
 * another lifetime: its idea of a key's age is not our timer's).
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

/* A listener just configured: every key, the oldest first. */
void
tickets_send(struct proc *p)
{
	int	i;

	p->tickets = lifetime;
	for (i = nkeys - 1; i >= 0; i--)
		chan_send(&p->chan, MSG_PARENT_TICKET, -1, &ring[i],
		    sizeof(ring[i]));
}
