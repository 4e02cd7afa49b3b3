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
 * authpop.c -- the authpop process: tables mapped and checks timed before the
 * chroot, worker threads after the sandbox.  All of it runs in the event loop's
 * thread.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <event.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "chan.h"
#include "pop3.h"
#include "pwscheme.h"
#include "table.h"
#include "proc.h"
#include "sandbox.h"
#include "stats.h"
#include "auth.h"

#define AUTH_MAXTHREADS		64

static void		authpop_load(struct proc_setup *);
static void		authpop_run(void);
static void		authpop_open(void *);
static void		authpop_sandbox(void *);
static void		authpop_parent_eof(struct chan *);
static void		authpop_parent_drain(struct chan *, const void *, int);
static void		authpop_parent_ctlchan(struct chan *, const void *,
			    int);
static void		authpop_control_penalties(struct chan *, const void *,
			    int);
static void		authpop_control_unpenalize(struct chan *, const void *,
			    int);

static struct event	 term_ev;

static const struct msg_handler from_parent[] = {
	{ MSG_PARENT_CONF,	proc_parent_conf },
	{ MSG_PARENT_CONF_END,	proc_parent_conf_end },
	{ MSG_PARENT_SESSION,	auth_session_new },
	{ MSG_PARENT_REFUSED,	session_refused },
	{ MSG_PARENT_DRAIN,	authpop_parent_drain },
	{ MSG_PARENT_TABLE,	verify_table },
	{ MSG_PARENT_AUTHKEY,	verify_key },
	{ MSG_PARENT_PENALTY,	host_import },
	{ MSG_PARENT_APPSASK,	verify_appsask },
	{ MSG_PARENT_HTTPPEER,	http_peerchan },
	{ MSG_PARENT_STATS,	proc_parent_stats },
	{ MSG_PARENT_CTLCHAN,	authpop_parent_ctlchan },
	{ MSG_PARENT_TABLECHAN,	table_chan },
	{ MSG_PARENT_VERBOSE,	proc_parent_verbose },
};

/* popctl's questions: all the control process may send. */
static const struct msg_handler from_control[] = {
	{ MSG_CONTROL_PENALTIES,	authpop_control_penalties },
	{ MSG_CONTROL_UNPENALIZE,	authpop_control_unpenalize },
	{ MSG_CONTROL_APPS,		verify_ctlapps },
	{ MSG_CONTROL_APPSKEPT,		verify_appskept },
};

static const struct proc_role authpop_role = {
	.setup = {
		.role = "authpop",
		.title = "pre-login",
		.user = POPD_AUTH_USER,
		.chroot = 1,
		.nofile = 1,		/* one descriptor per session */
		.nohup = 1,
		.open = authpop_open,
		.sandbox = authpop_sandbox,
	},
	.self = PROC_AUTHPOP,
	.chan = &parent,
	.handlers = from_parent,
	.nhandlers = nitems(from_parent),
	.settings = &auth_set,
	.eof = authpop_parent_eof,
	.load = authpop_load,
	.run = authpop_run,
};

int
main(int argc, char *argv[])
{
	proc_run(&authpop_role, argc, argv);
}

static void
authpop_load(struct proc_setup *ps)
{
	verify_load();
	nworkers = sysconf(_SC_NPROCESSORS_ONLN);
	if (nworkers < 2)
		nworkers = 2;
	if (nworkers > AUTH_MAXTHREADS)
		nworkers = AUTH_MAXTHREADS;
}

static void
authpop_run(void)
{
	/*
	 * Threads after the sandbox: Landlock before ABI 8 does not reach
	 * threads that exist.
	 */
	workers_start();

	/* A reload's password changes before any line read with them. */
	chan_priority(&parent, 0);
	chan_start(&parent);
	/* After a reload, our predecessor serves until it reads this. */
	chan_send(&parent, MSG_AUTHPOP_READY, -1, NULL, 0);
	log_debug("ready");
	if (event_dispatch() == -1)
		fatal("event_dispatch");
	fatalx("event loop ended");
}

/* The last uses of app passwords leave first; at most a few seconds. */
static void
drain_wait(int fd, short ev, void *arg)
{
	static struct event	 ev_drained;
	static int		 tries;

	if (((TAILQ_EMPTY(&parent.outq) || parent.fd == -1) &&
	    (ctl_chan.handlers == NULL || ctl_chan.fd == -1 ||
	    TAILQ_EMPTY(&ctl_chan.outq))) || tries++ > 300)
		exit(0);
	if (tries == 1)
		evtimer_set(&ev_drained, drain_wait, NULL);
	timer_in(&ev_drained, 0.01);
}

static void
drained(void)
{
	verify_used_flush();
	drain_wait(-1, 0, NULL);
}

static void
authpop_stop(int sig, short ev, void *arg)
{
	drained();
}

static void
authpop_open(void *arg)
{
	event_init();
	if (event_priority_init(2) == -1)
		fatalx("event_priority_init");
	jobs_init(auth_checked, jobs_dispatch);
	host_init(session_close);
	evtimer_set(&kick_ev, jobs_kicked, NULL);
	/* popd stops: the uses of app passwords go to control first. */
	signal_set(&term_ev, SIGTERM, authpop_stop, NULL);
	if (signal_add(&term_ev, NULL) == -1)
		fatal("signal_add");
}

static void
authpop_sandbox(void *arg)
{
	sandbox_authpop();
}

static void
authpop_parent_eof(struct chan *c)
{
	log_debug("parent closed the channel: exiting");
	verify_used_flush();
	exit(0);
}

static void
authpop_parent_drain(struct chan *c, const void *data, int fd)
{
	setproctitle("draining");
	host_export(c);
	session_handback();
	session_last(drained);
}

static void
authpop_parent_ctlchan(struct chan *c, const void *data, int fd)
{
	proc_ctlchan(&ctl_chan, PROC_AUTHPOP, fd, from_control,
	    nitems(from_control));
}

static void
authpop_control_penalties(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlq	*q = data;

	if (!proc_ctlfull(c))
		host_list(c, q->req);
}

static void
authpop_control_unpenalize(struct chan *c, const void *data, int fd)
{
	const struct msg_net	*mn = data;
	struct msg_count	 m;

	if (proc_ctlfull(c))
		return;
	memset(&m, 0, sizeof(m));
	m.req = mn->req;
	m.n = host_forget(&mn->net);
	chan_send(c, MSG_AUTHPOP_UNPENALIZED, -1, &m, sizeof(m));
	jobs_kick();
}
