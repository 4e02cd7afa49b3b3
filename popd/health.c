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
 * health.c -- what this popd's health ports say (listen ... health,
 * popd.conf(5)): "up N", "draining N", or "degraded N" while a session
 * is stuck in the mail store (login.c), N its sessions logged in.  A
 * drain wins over degraded: both send new users elsewhere, and drained
 * is the admin's word.  The listeners answer the checks; the parent
 * tells them the line when it changes, so that a check never waits on
 * the parent.  A change of state (popctl drain, undrain, a session
 * stuck or free) goes out at once; a change of the count alone at most
 * once a second, so that a busy backend does not send every listener a
 * message per login.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <stdint.h>
#include <string.h>

#include "popd.h"
#include "parent.h"

static struct msg_health	 now = { HEALTH_UP, 0 };
static struct msg_health	 sent = { HEALTH_UP, 0 };
static struct event		 pace;
static int			 pace_set;
static int			 drained;
static size_t			 stuck[2];	/* sessions, deliveries */

static void	health_push(void);
static void	health_paced(int, short, void *);

/* A listener just started: its line before its sockets. */
void
health_send(struct chan *c)
{
	chan_send(c, MSG_PARENT_HEALTH, -1, &now, sizeof(now));
}

/* Every serving listener, then nothing for a second. */
static void
health_push(void)
{
	struct timeval	 tv = { 1, 0 };
	struct proc	*p;

	TAILQ_FOREACH(p, &procs, entry)
		if (p->id == KIND_LISTENER && !p->draining &&
		    p->chan.fd != -1)
			health_send(&p->chan);
	sent = now;
	if (!pace_set) {
		evtimer_set(&pace, health_paced, NULL);
		pace_set = 1;
	}
	evtimer_add(&pace, &tv);
}

static void
health_paced(int fd, short ev, void *arg)
{
	if (memcmp(&now, &sent, sizeof(now)) != 0)
		health_push();
}

/* The sessions logged in now (login.c, as each begins and ends). */
void
health_sessions(size_t n)
{
	if (now.state == HEALTH_DRAINING && n == 0 && now.sessions != 0)
		log_info("drained: the last session ended");
	now.sessions = n > UINT32_MAX ? UINT32_MAX : n;
	if (!pace_set || !evtimer_pending(&pace, NULL))
		health_push();
}

/* The state, from the drain and the sessions stuck; sent if new. */
static void
health_state(void)
{
	now.state = drained ? HEALTH_DRAINING : health_stuck_now() > 0 ?
	    HEALTH_DEGRADED : HEALTH_UP;
	if (now.state != sent.state)
		health_push();
}

/*
 * popctl drain, undrain: only what the health ports say.  Logins are
 * still served: not sending them is the fronts' job, which they learn
 * here.  Returns the sessions now.
 */
uint32_t
health_drain(int on)
{
	if (on && !drained && now.sessions == 0)
		log_info("drained: no session was open");
	drained = on;
	health_state();
	return now.sessions;
}

/*
 * The sessions (kind 0, login.c) or deliveries (1, recipients.c) stuck
 * in the mail store now: while there are any, the line says degraded,
 * so that the fronts send new users to a backend whose store answers.
 */
void
health_stuck(int kind, size_t n)
{
	size_t	before = health_stuck_now();

	stuck[kind != 0] = n;
	if ((before > 0) != (health_stuck_now() > 0))
		log_warnx("health: %s", before == 0 ? "degraded: the mail "
		    "store does not answer a session or delivery" :
		    "up: nothing is stuck in the mail store");
	health_state();
}

/* Sessions and deliveries stuck now. */
size_t
health_stuck_now(void)
{
	return stuck[0] + stuck[1];
}
