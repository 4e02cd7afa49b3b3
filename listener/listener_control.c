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
 * listener_control.c -- what popctl asks of a listener: show sessions, kick a
 * session and kick address.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <string.h>

#include "proto.h"
#include "chan.h"
#include "addr.h"
#include "proc.h"
#include "stats.h"
#include "listener.h"

static struct chan	ctl_chan;

static void
listener_control_handshakes(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlq	*q = data;
	struct msg_handshakes	 m;
	struct session		*s;

	if (proc_ctlfull(c))
		return;
	memset(&m, 0, sizeof(m));
	m.req = q->req;
	TAILQ_FOREACH(s, &sessions, entry) {
		if (s->state == SESS_RELAY || s->state == SESS_CLOSING)
			continue;
		if (m.n == HS_RECS) {
			m.more = 1;
			chan_send(c, MSG_LISTENER_HANDSHAKES, -1, &m, sizeof(m));
			memset(&m, 0, sizeof(m));
			m.req = q->req;
		}
		m.rec[m.n].peer = s->peer;
		m.rec[m.n].listen = lnames[s->lsock];
		m.rec[m.n].since = s->since;
		m.rec[m.n].greeted = s->state == SESS_GREETED;
		m.n++;
	}
	chan_send(c, MSG_LISTENER_HANDSHAKES, -1, &m, sizeof(m));
}

/* The count goes first: the last session's end may end a draining listener. */
static void
listener_control_kicknet(struct chan *c, const void *data, int fd)
{
	const struct msg_net	*mn = data;
	struct msg_count	 m;
	struct session		*s, *next;

	if (proc_ctlfull(c))
		return;
	memset(&m, 0, sizeof(m));
	m.req = mn->req;
	TAILQ_FOREACH(s, &sessions, entry)
		if (net_match(&mn->net, 1, &s->peer))
			m.n++;
	chan_send(c, MSG_LISTENER_KICKED, -1, &m, sizeof(m));
	TAILQ_FOREACH_SAFE(s, &sessions, entry, next) {
		if (!net_match(&mn->net, 1, &s->peer))
			continue;
		log_info("%s: kicked (popctl)", s->addr);
		session_free(s);
	}
}

static const struct msg_handler from_control[] = {
	{ MSG_CONTROL_HANDSHAKES,	listener_control_handshakes },
	{ MSG_CONTROL_KICKNET,		listener_control_kicknet },
};

void
listener_parent_ctlchan(struct chan *c, const void *data, int fd)
{
	proc_ctlchan(&ctl_chan, PROC_LISTENER, fd, from_control,
	    nitems(from_control));
}

/* As a dropped connection, so that its wrkrpop applies no DELE. */
void
listener_parent_kick(struct chan *c, const void *data, int fd)
{
	const struct msg_lid	*ml = data;
	struct session		*s;

	TAILQ_FOREACH(s, &sessions, entry)
		if (s->lid == ml->lid)
			break;
	if (s == NULL) {
		log_debug("kick of session %u: gone already", ml->lid);
		return;
	}
	if (ml->why == KICK_POPCTL)
		log_info("%s: kicked (popctl)", s->addr);
	else if (s->state == SESS_RELAY &&
	    relay_answer(&s->io, STUCK_ERR) == 0) {
		STAT_INC(STAT_LOGIN_TEMP);
		log_info("%s: answered [SYS/TEMP]: its wrkrpop is stuck in "
		    "the mail store", s->addr);
	} else
		log_info("%s: ended: its wrkrpop is stuck in the mail store",
		    s->addr);
	session_free(s);
}
