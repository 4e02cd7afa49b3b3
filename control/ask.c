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
 * ask.c -- what control asks the listeners, authpop and routepop, for at most
 * ASK_TIME seconds.  A peer that answers what it was not asked loses its
 * channel; one that goes answers with what the others said.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "chan.h"
#include "proc.h"
#include "control_cmd.h"
#include "control.h"

#define ASK_TIME	5	/* seconds for the children's answers */

/*
 * An answer after the client's end finds none (NULL); one to a question not
 * asked of it ends its channel.
 */
static struct client *
peer_answer(struct chan *c, uint64_t req, int last)
{
	struct peer	*p = c->arg;
	struct client	*cl;
	int		 i = 0;

	TAILQ_FOREACH(cl, &clients, entry)
		if (cl->state == C_ASK && cl->req == req)
			break;
	if (cl == NULL && req <= next_req) {
		log_debug("a late answer from %s %d", proc_str(p->proc),
		    (int)p->pid);
		return NULL;
	}
	while (cl != NULL && i < cl->nowed && cl->owed[i] != p)
		i++;
	if (cl == NULL || i == cl->nowed) {
		chan_bad(c, "%s %d answered question %llu, not asked of it",
		    proc_str(p->proc), (int)p->pid, (unsigned long long)req);
		return NULL;
	}
	if (last)
		cl->owed[i] = cl->owed[--cl->nowed];
	return cl;
}

/* why: it ends with that error now instead. */
static void
ask_done(struct client *cl, const char *why)
{
	struct msg_count	 m;
	char			 what[INET6_ADDRSTRLEN + 8];
	size_t			 i;

	if (why == NULL && cl->nowed > 0)
		return;
	evtimer_del(&cl->asktmo);
	cl->nowed = 0;
	/* authpop went before it answered. */
	if (why == NULL && cl->cmd == CTL_SHOW_APPS && cl->count == 0)
		why = "authpop is restarting, try again";
	if (why != NULL) {
		client_last(cl, why);
		return;
	}
	for (i = 0; i < cl->nsess; i++)
		if (client_print(cl, MSG_PARENT_CTLSESSIONS, &cl->sess[i]) ==
		    -1)
			return;
	(void)net_str(&cl->net, what, sizeof(what));
	if (cl->cmd == CTL_DRAIN || cl->cmd == CTL_UNDRAIN) {
		if (cl->count == 0) {
			client_last(cl, "no route names that backend");
			return;
		}
		log_info("control: %s %s by uid %u", ctlcmd_verb(cl->cmd),
		    what, (unsigned)cl->uid);
	}
	if (cl->cmd == CTL_KICK_ADDRESS || cl->cmd == CTL_UNPENALIZE) {
		if (cl->cmd == CTL_KICK_ADDRESS)
			log_info("control: kick address %s by uid %u: %u "
			    "session%s ended", what, (unsigned)cl->uid,
			    cl->count, cl->count == 1 ? "" : "s");
		else
			log_info("control: unpenalize %s by uid %u: %u "
			    "entr%s forgotten", what, (unsigned)cl->uid,
			    cl->count, cl->count == 1 ? "y" : "ies");
		memset(&m, 0, sizeof(m));
		m.n = cl->count;
		if (client_print(cl, MSG_PARENT_CTLCOUNT, &m) == -1)
			return;
	}
	client_last(cl, NULL);
}

static void
control_listener_handshakes(struct chan *c, const void *data, int fd)
{
	const struct msg_handshakes	*m = data;
	static struct msg_ctlsessions	 s;
	struct ctl_session		*r;
	struct client			*cl;
	uint32_t			 i;

	if ((cl = peer_answer(c, m->req, !m->more)) == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		r = &s.rec[s.n++];
		memset(r, 0, sizeof(*r));
		/* Greeted, it is in AUTHORIZATION (PAGE_LOGIN). */
		r->state = m->rec[i].greeted ? PAGE_LOGIN + 1 : CTLS_HANDSHAKE;
		r->peer = m->rec[i].peer;
		if (m->rec[i].listen.af != 0)
			(void)peer_str(&m->rec[i].listen, r->listener,
			    sizeof(r->listener));
		r->since = m->rec[i].since;
		if (s.n == CTL_SESSROWS || i + 1 == m->n) {
			s.req = cl->req;
			if (client_print(cl, MSG_PARENT_CTLSESSIONS, &s) == -1)
				cl = NULL;
			s.n = 0;
			if (cl == NULL)
				return;
		}
	}
	ask_done(cl, NULL);
}

static void
control_peer_count(struct chan *c, const void *data, int fd)
{
	const struct msg_count	*m = data;
	struct client		*cl;

	if ((cl = peer_answer(c, m->req, 1)) == NULL)
		return;
	cl->count += m->n;
	ask_done(cl, NULL);
}

static void
control_route_backends(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlbackend	*m = data;
	struct client			*cl;

	if ((cl = peer_answer(c, m->req, !m->more)) == NULL)
		return;
	if (m->addr[0] != '\0') {
		if (client_print(cl, MSG_ROUTE_BACKENDS, m) == -1)
			return;
		cl->count++;
	}
	ask_done(cl, NULL);
}

/*
 * A draining authpop's may name one a reload revoked: the current one is asked
 * about these again (MSG_CONTROL_APPSKEPT).
 */
static void
control_authpop_appused(struct chan *c, const void *data, int fd)
{
	static struct msg_appskept	 m;
	const struct msg_appused	*mu = data;
	const struct peer		*p = c->arg;
	struct peer			*cur;
	uint32_t			 i;

	lastuse_used(mu);
	if (!p->old)
		return;
	TAILQ_FOREACH(cur, &peers, entry)
		if (cur->proc == PROC_AUTHPOP && !cur->old)
			break;
	if (cur == NULL)
		return;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < mu->n; i++) {
		(void)strlcpy(m.rec[i].user, mu->use[i].user,
		    sizeof(m.rec[i].user));
		(void)strlcpy(m.rec[i].label, mu->use[i].label,
		    sizeof(m.rec[i].label));
	}
	m.n = mu->n;
	chan_send(&cur->chan, MSG_CONTROL_APPSKEPT, -1, &m, sizeof(m));
}

static void
control_authpop_appsgone(struct chan *c, const void *data, int fd)
{
	lastuse_gone(data);
}

static void
control_authpop_ctlapps(struct chan *c, const void *data, int fd)
{
	static struct msg_ctlapps	 m;
	struct client			*cl;

	memcpy(&m, data, sizeof(m));
	if ((cl = peer_answer(c, m.req, 1)) == NULL)
		return;
	cl->count = 1;
	if (m.status == CRED_TEMP) {
		ask_done(cl, "the app-passwords table cannot answer");
		return;
	}
	lastuse_show(cl->user, &m);
	if (client_print(cl, MSG_AUTHPOP_CTLAPPS, &m) == -1)
		return;
	ask_done(cl, NULL);
}

static void
control_authpop_penalties(struct chan *c, const void *data, int fd)
{
	const struct msg_penalties	*m = data;
	struct client			*cl;

	if ((cl = peer_answer(c, m->req, !m->more)) == NULL)
		return;
	if (m->n > 0 && client_print(cl, MSG_AUTHPOP_PENALTIES, m) == -1)
		return;
	ask_done(cl, NULL);
}

static void
peer_unlink(struct peer *p)
{
	struct client	*cl, *next;
	int		 i;

	TAILQ_FOREACH_SAFE(cl, &clients, entry, next) {
		for (i = 0; cl->state == C_ASK && i < cl->nowed; i++)
			if (cl->owed[i] == p) {
				cl->owed[i] = cl->owed[--cl->nowed];
				ask_done(cl, NULL);
				break;
			}
	}
	if (stopping)
		stop_if_done();
}

/* An older channel of pid's own goes: it has the new one. */
static void
peer_replaced(int proc, pid_t pid)
{
	struct peer	*p, *next;

	TAILQ_FOREACH_SAFE(p, &peers, entry, next)
		if (p->proc == proc) {
			if (proc == PROC_AUTHPOP && p->pid != pid)
				p->old = 1;
			else
				peer_eof(&p->chan);
		}
}

static const struct msg_handler from_listener[] = {
	{ MSG_LISTENER_HANDSHAKES,	control_listener_handshakes },
	{ MSG_LISTENER_KICKED,		control_peer_count },
};
static const struct msg_handler from_authpop[] = {
	{ MSG_AUTHPOP_PENALTIES,	control_authpop_penalties },
	{ MSG_AUTHPOP_UNPENALIZED,	control_peer_count },
	{ MSG_AUTHPOP_APPUSED,		control_authpop_appused },
	{ MSG_AUTHPOP_CTLAPPS,		control_authpop_ctlapps },
	{ MSG_AUTHPOP_APPSGONE,		control_authpop_appsgone },
};
static const struct msg_handler from_route[] = {
	{ MSG_ROUTE_BACKENDS,		control_route_backends },
};

/*
 * An authpop keeps its channel until it exits, for the uses of app passwords
 * it still checks.  A new control process is given the draining authpops'
 * first, the current one's last.
 */
void
control_parent_peer(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlpeer	*m = data;
	struct peer			*p;

	if (fd == -1)
		return;		/* our own shortage of descriptors: logged */
	if (m->proc != PROC_LISTENER)
		peer_replaced(m->proc, m->pid);
	if (m->proc == PROC_LISTENER)
		p = peer_add(PROC_CONTROL, m, fd, from_listener,
		    nitems(from_listener), peer_unlink);
	else if (m->proc == PROC_AUTHPOP)
		p = peer_add(PROC_CONTROL, m, fd, from_authpop,
		    nitems(from_authpop), peer_unlink);
	else
		p = peer_add(PROC_CONTROL, m, fd, from_route,
		    nitems(from_route), peer_unlink);
	if (p != NULL && m->proc == PROC_AUTHPOP)
		lastuse_check(&p->chan);
}

static const struct {
	uint32_t	cmd, type;
	int		proc, net;
} asks[] = {
	{ CTL_SHOW_SESSIONS, MSG_CONTROL_HANDSHAKES, PROC_LISTENER, 0 },
	{ CTL_KICK_ADDRESS, MSG_CONTROL_KICKNET, PROC_LISTENER, 1 },
	{ CTL_SHOW_PENALTIES, MSG_CONTROL_PENALTIES, PROC_AUTHPOP, 0 },
	{ CTL_UNPENALIZE, MSG_CONTROL_UNPENALIZE, PROC_AUTHPOP, 1 },
	{ CTL_SHOW_APPS, MSG_CONTROL_APPS, PROC_AUTHPOP, 0 },
	{ CTL_SHOW_BACKENDS, MSG_CONTROL_BACKENDS, PROC_ROUTE, 0 },
	{ CTL_DRAIN, MSG_CONTROL_DRAIN, PROC_ROUTE, 1 },
	{ CTL_UNDRAIN, MSG_CONTROL_UNDRAIN, PROC_ROUTE, 1 },
};

/* -1 if it asks none (drain without a BACKEND is the parent's alone). */
int
client_ask(struct client *cl)
{
	struct timeval	 tv = { ASK_TIME, 0 };
	struct msg_net	 m;	/* a msg_ctlq is its first member */
	struct msg_ctlappsq aq;	/* show app-passwords */
	struct peer	*p;
	size_t		 i;

	for (i = 0; i < nitems(asks) && asks[i].cmd != cl->cmd; i++)
		;
	if (i == nitems(asks) || ((cl->cmd == CTL_DRAIN ||
	    cl->cmd == CTL_UNDRAIN) && cl->net.af == 0))
		return -1;
	memset(&m, 0, sizeof(m));
	m.req = cl->req;
	m.net = cl->net;
	memset(&aq, 0, sizeof(aq));
	aq.req = cl->req;
	(void)strlcpy(aq.user, cl->user, sizeof(aq.user));
	cl->state = C_ASK;
	TAILQ_FOREACH(p, &peers, entry)
		if (p->proc == asks[i].proc && !p->old &&
		    cl->nowed < ASK_PEERS) {
			if (asks[i].type == MSG_CONTROL_APPS)
				chan_send(&p->chan, asks[i].type, -1, &aq,
				    sizeof(aq));
			else
				chan_send(&p->chan, asks[i].type, -1, &m,
				    asks[i].net ? sizeof(m) :
				    sizeof(struct msg_ctlq));
			cl->owed[cl->nowed++] = p;
		}
	if ((cl->cmd == CTL_UNPENALIZE || cl->cmd == CTL_SHOW_APPS) &&
	    cl->nowed == 0) {
		client_last(cl, "authpop is restarting, try again");
		return 0;
	}
	if (evtimer_add(&cl->asktmo, &tv) == -1)
		fatal("evtimer_add");
	ask_done(cl, NULL);
	return 0;
}

void
ask_timeout(int fd, short ev, void *arg)
{
	ask_done(arg, "no answer from popd's processes in time");
}

int
ask_authpops(void)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &peers, entry)
		if (p->proc == PROC_AUTHPOP)
			return 1;
	return 0;
}
