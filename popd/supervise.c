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
 * The supervised children: restarted when one dies, so that a crash costs
 * its sessions, not the service; after a reload the new one takes over
 * and the previous one drains.  proc_kinds[]: what each may say to us.
 */
#include <sys/param.h>
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "chan.h"
#include "config.h"
#include "proc.h"
#include "table.h"
#include "lookup.h"
#include "stats.h"
#include "pki.h"

/* Listeners at most, for more connections too (config.h). */
#define LISTENER_MAX	LISTENERS_MAX
#define STOP_LMTP_WAIT	5

static void		parent_listener_full(struct chan *, const void *, int);

static int		 stopping;
static void		(*stop_done)(void);
static struct event	 stop_ev;

/* A message that breaks its declaration (msg.c) ends that child. */
static const struct msg_handler from_listener[] = {
	{ MSG_LISTENER_SESSION,	parent_listener_session },
	{ MSG_LISTENER_FULL,	parent_listener_full },
	{ MSG_LISTENER_REKEY,	parent_listener_rekey },
};
static const struct msg_handler from_authpop[] = {
	{ MSG_AUTHPOP_LOGIN,	parent_authpop_login },
	{ MSG_AUTHPOP_CLOSED,	parent_authpop_closed },
	{ MSG_AUTHPOP_STLS,	parent_authpop_stls },
	{ MSG_AUTHPOP_PENALTY,	parent_authpop_penalty },
	{ MSG_AUTHPOP_READY,	parent_ready },
	{ MSG_AUTHPOP_HANDBACK,	parent_authpop_handback },
};
static const struct msg_handler from_lmtp[] = {
	{ MSG_LMTP_RCPT,	parent_lmtp_rcpt },
	{ MSG_LMTP_FORGET,	parent_lmtp_forget },
	{ MSG_LMTP_DLVRPOP,	parent_lmtp_dlvrpop },
	{ MSG_LMTP_KILL,	parent_lmtp_kill },
};
static const struct msg_handler from_control[] = {
	{ MSG_CONTROL_REQUEST,	parent_control_request },
};
static const struct msg_handler from_table[] = {
	{ MSG_TABLE_ANSWER,	parent_table_answer },
	{ MSG_TABLE_READY,	parent_ready },
};

const struct proc_kind	 proc_kinds[KIND_MAX] = {
	[KIND_LISTENER] = { PROC_LISTENER, from_listener,
	    nitems(from_listener) },
	[KIND_AUTHPOP] = { PROC_AUTHPOP, from_authpop, nitems(from_authpop) },
	[KIND_LMTP] = { PROC_LMTP, from_lmtp, nitems(from_lmtp) },
	[KIND_CONTROL] = { PROC_CONTROL, from_control, nitems(from_control) },
	[KIND_TABLE] = { PROC_TABLE, from_table, nitems(from_table) },
	/* It tells httppop and control, on their own channels. */
	[KIND_ROUTE] = { PROC_ROUTE, NULL, 0 },
	/* One per listener, started with it (keypop_spawn); it says nothing. */
	[KIND_KEY] = { PROC_KEY, NULL, 0 },
	/* It tells authpop and routepop, on their own channels. */
	[KIND_HTTP] = { PROC_HTTP, NULL, 0 },
};

static struct event	 restart_ev[KIND_MAX];
static struct event	 fill_ev;	/* listeners_fill */

static void		(*reload_hook)(const char *);

static uint32_t
conf_pki_index(const struct popd_conf *c, const char *name)
{
	const struct conf_pki	*pki;
	uint32_t		 i = 0;

	TAILQ_FOREACH(pki, &c->pkis, entry) {
		if (strcmp(pki->name, name) == 0)
			return i;
		i++;
	}
	return 0;
}

static void
table_conf(struct chan *c)
{
	const struct {
		int		 fd;
		const char	*name;
		int		 kind;
	} files[] = {
		{ users.userfd,	TABLE_FILE_USERS, users.userkind },
		{ users.quotafd, TABLE_FILE_QUOTAS, users.quotakind },
		{ users.junkfd,	TABLE_FILE_JUNK, TABLE_JUNK },
	};
	struct msg_tabfile	 mf;
	size_t			 i;

	lookup_conf(c, conf);
	/* Without one, its lookups fail: [SYS/TEMP], not "no such user". */
	for (i = 0; i < nitems(files); i++) {
		if (files[i].fd == -1)
			continue;
		memset(&mf, 0, sizeof(mf));
		(void)strlcpy(mf.name, files[i].name, sizeof(mf.name));
		mf.kind = files[i].kind;
		if (send_dup(c, MSG_PARENT_CONF_FILE, files[i].fd, &mf,
		    sizeof(mf)) == -1)
			log_warn("tablepop: table %s", files[i].name);
	}
	chan_send(c, MSG_PARENT_CONF_END, -1, NULL, 0);
}

/*
 * The route page (router.c) outlives routepop; root makes it and never
 * reads it.  Its bytes go to SOCKET.backends as popd stops and come back
 * at the next start, so that popctl's drains outlast a restart; routepop
 * checks them as any input, and holds no file that it could grow.
 */
static int		 route_pagefd = -1;

/* Opaque bytes, the page's size at most: a short file leaves zeroes. */
static int
page_copy(int to, int from)
{
	char	 buf[16384];
	off_t	 off;
	ssize_t	 n;

	for (off = 0; off < ROUTEPAGE_SIZE; off += n)
		if ((n = pread(from, buf, MIN(sizeof(buf), (size_t)
		    (ROUTEPAGE_SIZE - off)), off)) <= 0 ||
		    pwrite(to, buf, n, off) != n)
			return n == 0 ? 0 : -1;
	return 0;
}

static void
route_page(void)
{
	char		 buf[PATH_MAX];
	const char	*path;
	int		 fd;

	if ((route_pagefd = compat_page_create("popd-backends",
	    ROUTEPAGE_SIZE)) == -1) {
		log_warn("routepop: the backends' page");
		return;
	}
	if ((path = state_path(buf, sizeof(buf), STATE_BACKENDS)) == NULL)
		return;
	if ((fd = compat_open_regular(path, O_RDONLY | O_NOFOLLOW)) == -1) {
		if (errno != ENOENT)
			log_warn("routepop: %s: drains not kept", path);
		return;
	}
	if (page_copy(route_pagefd, fd) == -1)
		log_warn("routepop: %s: drains not kept", path);
	close(fd);
}

/* As popd stops: routepop, gone or going, writes no more. */
void
route_page_keep(void)
{
	char		 buf[PATH_MAX];
	const char	*path;
	int		 fd;

	if (route_pagefd == -1 || (path = state_path(buf, sizeof(buf),
	    STATE_BACKENDS)) == NULL)
		return;
	if ((fd = state_open(path)) == -1 || page_copy(fd, route_pagefd) ==
	    -1 || ftruncate(fd, ROUTEPAGE_SIZE) == -1)
		log_warn("%s: the next start forgets the drains", path);
	if (fd != -1)
		close(fd);
}

static void
route_conf(struct chan *c)
{
	static uint64_t		 run;
	struct msg_routepage	 m;

	chan_send(c, MSG_PARENT_CONF, -1, &conf->set, sizeof(conf->set));
	if (users.routefd != -1 && send_dup(c, MSG_PARENT_CONF_ROUTE,
	    users.routefd, NULL, 0) == -1)
		log_warn("routepop: the route file");
	if (route_pagefd == -1)
		route_page();
	while (run == 0)
		arc4random_buf(&run, sizeof(run));
	memset(&m, 0, sizeof(m));
	m.gen = conf_gen;
	m.run = run;
	if (route_pagefd != -1)
		(void)send_dup(c, MSG_PARENT_ROUTEPAGE, route_pagefd, &m,
		    sizeof(m));
	chan_send(c, MSG_PARENT_CONF_END, -1, NULL, 0);
}

static enum proc_id
listen_kind(int flags)
{
	if (flags & LISTEN_HTTP)
		return KIND_HTTP;
	if (flags & LISTEN_LMTP)
		return KIND_LMTP;
	if (flags & LISTEN_CONTROL)
		return KIND_CONTROL;
	return KIND_LISTENER;
}

int
proc_wanted(enum proc_id id)
{
	int	i;

	if (id == KIND_ROUTE)
		return conf->set.route[0] != '\0';
	if (id == KIND_KEY)
		return 0;
	if (id != KIND_LMTP && id != KIND_CONTROL && id != KIND_HTTP)
		return 1;
	for (i = 0; i < nlistens; i++)
		if (listen_kind(listens[i].flags) == id)
			return 1;
	return 0;
}

static void
proc_eof(struct chan *c)
{
	log_debug("%s closed its channel", proc_str(c->peer));
}

static void
proc_bad(struct chan *c)
{
	struct proc	*p = c->arg;

	/* Reaped, its pid may be another process's now. */
	if (!p->reaped)
		(void)kill(p->pid, SIGKILL);
}

static struct proc *
proc_exec(enum proc_id id, int conffd)
{
	struct proc	*p;
	const char	*name = proc_str(proc_kinds[id].proc);
	int		 sp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("cannot start %s: socketpair", name);
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		log_warn("cannot start %s", name);
	else if ((p->pid = child_spawn(proc_path[id], id == KIND_LISTENER ||
	    id == KIND_LMTP || id == KIND_CONTROL ? "popd" : name, sp[1],
	    conffd, name, NULL, NULL)) == -1) {
		free(p);
		p = NULL;
	}
	close(sp[1]);
	if (p == NULL) {
		close(sp[0]);
		return NULL;
	}
	p->id = id;
	chan_init(&p->chan, sp[0], PROC_PARENT, proc_kinds[id].proc, PH_START,
	    proc_kinds[id].handlers, proc_kinds[id].nhandlers, proc_eof, p);
	p->chan.bad = proc_bad;
	chan_start(&p->chan);
	TAILQ_INSERT_TAIL(&procs, p, entry);
	return p;
}

/* A listener's keypop (keypop.8): the one process that holds the keys. */
static struct proc *
keypop_spawn(int *lfd)
{
	const struct conf_pki	*pki;
	struct proc		*p;
	struct msg_key		*m;
	size_t			 len;
	int			 kp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, kp) == -1) {
		log_warn("cannot start keypop: socketpair");
		return NULL;
	}
	p = proc_exec(KIND_KEY, kp[0]);
	close(kp[0]);
	if (p == NULL) {
		close(kp[1]);
		return NULL;
	}
	/* It ends when its listener does: an exit 0 is no news. */
	p->draining = 1;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		log_warn("cannot start keypop");
		goto fail;
	}
	chan_send(&p->chan, MSG_PARENT_CONF, -1, &conf->set,
	    sizeof(conf->set));
	TAILQ_FOREACH(pki, &conf->pkis, entry) {
		len = pki->served != NULL ? pki->served->keylen : 0;
		if (len == 0 || len > sizeof(m->pem) ||
		    pki_pread(pki->served->keyfd, m->pem, len, 0) == -1) {
			if (len > sizeof(m->pem))
				log_warnx("%s: %zu bytes, not a key of at "
				    "most %zu", pki->key, len, sizeof(m->pem));
			else
				log_warn("pki %s: its key", pki->name);
			freezero(m, sizeof(*m));
			goto fail;
		}
		m->len = len;
		chan_send(&p->chan, MSG_PARENT_CONF_KEY, -1, m, sizeof(*m));
		explicit_bzero(m, sizeof(*m));
	}
	free(m);
	chan_send(&p->chan, MSG_PARENT_CONF_END, -1, NULL, 0);
	log_debug("started keypop, pid %d", (int)p->pid);
	*lfd = kp[1];
	return p;
 fail:
	/* It exits when it sees us close both channels. */
	chan_close(&p->chan);
	close(kp[1]);
	return NULL;
}

/* Each end closes with its process; the parent relays none of it. */
static void
proc_link(struct proc *p, struct proc *peer)
{
	static const uint32_t	 types[KIND_MAX][2] = {	/* to p, to peer */
		[KIND_CONTROL] = { MSG_PARENT_CTLCHAN, MSG_PARENT_CTLPEER },
		[KIND_TABLE] = { MSG_PARENT_TABLECHAN, MSG_PARENT_TABLEPEER },
		/* httppop asks authpop to check its requests' passwords. */
		[KIND_AUTHPOP] = { MSG_PARENT_AUTHCHAN, MSG_PARENT_HTTPPEER },
		/* httppop asks routepop for its users' backends. */
		[KIND_ROUTE] = { MSG_PARENT_ROUTECHAN, MSG_PARENT_ROUTEPEER },
	};
	struct msg_ctlpeer	 m;
	int			 sp[2];

	if (p == NULL || peer == NULL || peer->chan.fd == -1 ||
	    p->chan.fd == -1)
		return;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("no channel from %s to %s %d",
		    proc_str(proc_kinds[peer->id].proc),
		    proc_str(proc_kinds[p->id].proc),
		    (int)p->pid);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.proc = proc_kinds[p->id].proc;
	m.pid = p->pid;
	chan_send(&p->chan, types[peer->id][0], sp[0], NULL, 0);
	chan_send(&peer->chan, types[peer->id][1], sp[1], &m, sizeof(m));
}

static struct proc *
proc_spawn(enum proc_id id, int slot)
{
	struct msg_listen	 ml;
	struct proc		*p;
	const char		*name = proc_str(proc_kinds[id].proc);
	int			 i, conffd = -1, pagefd, sent = 0, hs;

	if (id == KIND_LISTENER && keypop_spawn(&conffd) == NULL)
		return NULL;
	/* The image of authtab that authcheck wrote: the authpops map it. */
	if (id == KIND_AUTHPOP)
		conffd = users.authimg;
	p = proc_exec(id, conffd);
	/* Only the listener holds its end of its keypop's channel. */
	if (id == KIND_LISTENER)
		close(conffd);
	if (p == NULL)
		return NULL;
	/* Its page of counters; without one it serves uncounted. */
	if (id != KIND_CONTROL && id != KIND_TABLE && id != KIND_ROUTE &&
	    id != KIND_HTTP && (p->page = stats_page_new(&pagefd)) != NULL)
		chan_send(&p->chan, MSG_PARENT_STATS, pagefd, NULL, 0);
	if (id == KIND_LMTP)
		recipients_lmtp_new(p);
	/* The control process's one file, before its configuration. */
	if (id == KIND_CONTROL)
		apps_send_last(&p->chan);
	p->slot = slot;
	/* Each listener's share of limit handshakes. */
	hs = conf->set.limit.handshakes;
	if (id == KIND_LISTENER && nlisteners > 1 &&
	    (conf->set.limit.handshakes = hs / nlisteners +
	    (slot < hs % nlisteners)) == 0)
		conf->set.limit.handshakes = 1;
	if (id == KIND_TABLE)
		table_conf(&p->chan);
	else if (id == KIND_ROUTE)
		route_conf(&p->chan);
	else
		sent = conf_send(&p->chan, conf, proc_kinds[id].proc,
		    id == KIND_AUTHPOP ? users.appsimg : -1);
	conf->set.limit.handshakes = hs;
	/* Before its sockets: the tickets it issues resume elsewhere. */
	if (id == KIND_LISTENER) {
		tickets_send(p);
		health_send(&p->chan);
		log_debug("started listener %d of %d, pid %d", slot + 1,
		    nlisteners, (int)p->pid);
	} else
		log_debug("started %s, pid %d", name, (int)p->pid);
	if (sent == -1)
		goto fail;

	for (i = 0; i < nlistens; i++) {
		if (listen_kind(listens[i].flags) != id ||
		    (id == KIND_LISTENER && listens[i].slot != -1 &&
		    listens[i].slot != slot))
			continue;
		memset(&ml, 0, sizeof(ml));
		ml.flags = listens[i].flags;
		ml.pki = conf_pki_index(conf, listens[i].pki);
		ml.sock = i;
		ml.uid = listens[i].uid;
		if (send_dup(&p->chan, MSG_PARENT_LISTEN, listens[i].fd, &ml,
		    sizeof(ml)) == -1) {
			log_warn("cannot start %s: dup", name);
			goto fail;
		}
	}
	if (id == KIND_LISTENER)
		proc_link(p, current[KIND_CONTROL]);
	if (id == KIND_AUTHPOP || id == KIND_ROUTE)
		proc_link(p, current[KIND_TABLE]);
	if (id == KIND_HTTP) {
		proc_link(p, current[KIND_AUTHPOP]);
		proc_link(p, current[KIND_ROUTE]);
	}
	return p;
 fail:
	/* It exits when it sees us close it. */
	(void)kill(p->pid, SIGKILL);
	chan_close(&p->chan);
	return NULL;
}

static void
proc_drain(struct proc *p)
{
	if (successor[p->id] == p)
		successor[p->id] = NULL;
	p->draining = 1;
	chan_send(&p->chan, MSG_PARENT_DRAIN, -1, NULL, 0);
}

/* Started a second after one dies: clients steered to its sockets wait. */
static void
listeners_fill(int fd, short ev, void *arg)
{
	struct timeval	 tv = { 1, 0 };
	struct proc	*q;
	int		 slot, have;

	if (current[KIND_LISTENER] == NULL || stop_done != NULL)
		return;
	for (slot = 1; slot < nlisteners; slot++) {
		have = 0;
		TAILQ_FOREACH(q, &procs, entry)
			if (q->id == KIND_LISTENER && q->slot == slot &&
			    !q->draining && !q->extra && !q->reaped)
				have = 1;
		if (!have && proc_spawn(KIND_LISTENER, slot) == NULL)
			evtimer_add(&fill_ev, &tv);
	}
}

static void
proc_takeover(struct proc *p)
{
	struct proc	*prev = current[p->id], *q;

	current[p->id] = p;
	if (successor[p->id] == p)
		successor[p->id] = NULL;
	/*
	 * Draining authpops still report the app passwords they check
	 * (control.c): they stay the control process's peers.
	 */
	if (p->id == KIND_AUTHPOP || p->id == KIND_ROUTE)
		proc_link(p, current[KIND_CONTROL]);
	if (p->id == KIND_CONTROL) {
		TAILQ_FOREACH(q, &procs, entry)
			if (q->id == KIND_LISTENER || q == current[KIND_ROUTE] ||
			    (q->id == KIND_AUTHPOP && q->draining))
				proc_link(q, p);
		proc_link(current[KIND_AUTHPOP], p);
	}
	if (p->id == KIND_TABLE)
		TAILQ_FOREACH(q, &procs, entry)
			if (q->id == KIND_AUTHPOP || q == current[KIND_ROUTE])
				proc_link(q, p);
	if (p->id == KIND_ROUTE)
		TAILQ_FOREACH(q, &procs, entry)
			if (q->id == KIND_HTTP)
				proc_link(q, p);
	/* auth_http's requests go to the authpop that serves. */
	if (p->id == KIND_AUTHPOP)
		proc_link(current[KIND_HTTP], p);
	/*
	 * The older authpops get its tables first, for the sessions they keep
	 * (authpop's verify.c), and nothing after the drain they may exit at.
	 */
	if (p->id == KIND_AUTHPOP && p->announce)
		users_send_tables(p);
	if (prev != NULL && prev != p)
		proc_drain(prev);
	/* A restart after a crash leaves the other slots. */
	if (p->id == KIND_LISTENER) {
		TAILQ_FOREACH(q, &procs, entry)
			if (q->id == p->id && q != p && !q->draining &&
			    prev != NULL)
				proc_drain(q);
		listeners_fill(-1, 0, NULL);
	}
	if (p->announce) {
		p->announce = 0;
		reload_hook(NULL);
	}
}

/* NULL (logged): the current one serves on. */
struct proc *
proc_start(enum proc_id id)
{
	struct proc	*p;

	if ((p = proc_spawn(id, 0)) == NULL)
		return NULL;
	/* A successor that a newer reload replaces before it was ready. */
	if (successor[id] != NULL)
		proc_drain(successor[id]);
	if ((id == KIND_AUTHPOP || id == KIND_TABLE) && current[id] != NULL)
		successor[id] = p;
	else
		proc_takeover(p);
	return p;
}

static void
proc_restart(int fd, short ev, void *arg)
{
	struct timeval	 tv = { 1, 0 };
	enum proc_id	 id = (enum proc_id)(intptr_t)arg;

	if (current[id] != NULL || !proc_wanted(id))
		return;
	/* A successor that was loading takes over at once. */
	if (successor[id] != NULL)
		proc_takeover(successor[id]);
	else if (proc_start(id) == NULL)
		evtimer_add(&restart_ev[id], &tv);
}

void
supervise_init(void (*hook)(const char *))
{
	int	id;

	reload_hook = hook;
	for (id = 0; id < KIND_MAX; id++)
		evtimer_set(&restart_ev[id], proc_restart,
		    (void *)(intptr_t)id);
	evtimer_set(&fill_ev, listeners_fill, NULL);
}

static void
listeners_check(const struct proc *why)
{
	struct proc	*q;
	int		 n = 0, open = 0, all = 0;

	TAILQ_FOREACH(q, &procs, entry) {
		if (q->id != KIND_LISTENER || q->draining ||
		    q->chan.fd == -1)
			continue;
		all++;
		if (q->slot != why->slot)
			continue;
		n++;
		if (!q->full)
			open++;
	}
	/* None at all: the restart timers bring one. */
	if (open > 0 || n == 0)
		return;
	if (all >= LISTENER_MAX + nlisteners - 1) {
		log_warnx("%d listeners, all full: new connections wait in "
		    "the backlog", n);
		return;
	}
	log_info("listener %d is full or gone: starting listener %d (at "
	    "most %d)", (int)why->pid, all + 1, LISTENER_MAX + nlisteners -
	    1);
	if ((q = proc_spawn(KIND_LISTENER, why->slot)) != NULL)
		q->extra = 1;
}

/* One more listener when all are full: the machine is the limit. */
static void
parent_listener_full(struct chan *c, const void *data, int fd)
{
	const struct msg_count	*m = data;
	struct proc		*p = c->arg;

	p->full = m->n;
	if (p->full && !p->draining)
		listeners_check(p);
}

void
proc_retire(enum proc_id id)
{
	struct proc	*p;

	if ((p = current[id]) == NULL)
		return;
	current[id] = NULL;
	proc_drain(p);
}

void
parent_ready(struct chan *c, const void *data, int fd)
{
	struct proc	*p = c->arg;

	if (successor[p->id] == p) {
		log_debug("%s %d ready: it takes over",
		    proc_str(proc_kinds[p->id].proc), (int)p->pid);
		proc_takeover(p);
	}
}

void
proc_exited(struct proc *p, int status)
{
	struct timeval	 tv = { 1, 0 };
	const char	*name = proc_str(proc_kinds[p->id].proc);
	int		 restart;

	restart = (current[p->id] == p) && stop_done == NULL;
	if (successor[p->id] == p && p->id == KIND_TABLE) {
		/*
		 * The reload's configuration is not in effect until it serves
		 * (reload_takeover): the previous tablepop serves on.
		 */
		successor[p->id] = NULL;
		if (p->announce)
			reload_hook("the new tablepop exited before it was "
			    "ready: the previous one serves on");
	} else if (successor[p->id] == p) {
		log_warnx("reload: the new %s (pid %d) exited before it was "
		    "ready: the previous one serves on", name, (int)p->pid);
		successor[p->id] = NULL;
		reload_hook("the new authpop exited before it was ready: "
		    "the previous one serves on");
	}
	if (p->draining && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_debug("previous %s (pid %d) drained", name, (int)p->pid);
	else if (WIFSIGNALED(status))
		log_warnx("%s (pid %d) killed by signal %d%s", name,
		    (int)p->pid, WTERMSIG(status), restart ? ", restarting" : "");
	else
		log_warnx("%s (pid %d) exited %d%s", name, (int)p->pid,
		    WEXITSTATUS(status), restart ? ", restarting" : "");
	/* What it said before it went, the socket its handlers close. */
	p->reaped = 1;
	chan_drain(&p->chan);
	chan_close(&p->chan);
	if (p->id == KIND_AUTHPOP)
		preauth_clear(p);
	counters_reaped(p->page);
	if (p->id == KIND_CONTROL)
		ctlans_gone(p);
	if (p->id == KIND_LMTP)
		recipients_lmtp_gone(p);
	if (p->id == KIND_TABLE)
		lookup_gone(p);
	TAILQ_REMOVE(&procs, p, entry);
	/* The others of its slot may all be full; another slot refills. */
	if (p->id == KIND_LISTENER && !restart && !p->draining &&
	    stop_done == NULL) {
		listeners_check(p);
		if (!p->extra)
			evtimer_add(&fill_ev, &tv);
	}
	if (restart) {
		current[p->id] = NULL;
		evtimer_add(&restart_ev[p->id], &tv);
	}
	free(p);
}

void
shutdown_children(void)
{
	struct proc	*p;

	TAILQ_FOREACH(p, &procs, entry)
		(void)kill(p->pid, SIGTERM);
}

/* Not a connection before login: nothing to lose, may idle for minutes. */
static size_t
stop_left(void)
{
	struct proc	*p;
	size_t		 n = stopping == 1 ? login_sessions() : 0;

	TAILQ_FOREACH(p, &procs, entry)
		n += p->id == KIND_LMTP || (stopping == 2 &&
		    p->id == KIND_CONTROL);
	return n;
}

/* 1 s once the drain's time is spent (docker stop's 10 s). */
static void
stop_next(int fd, short ev, void *arg)
{
	struct timeval	 tv = { arg != NULL ? 1 : STOP_LMTP_WAIT, 0 };
	struct proc	*p;

	if (stopping == 2) {
		if (arg != NULL)
			log_warnx("stopping: LMTP sessions or the control "
			    "process still there, cut");
		stop_done();
		return;
	}
	if (arg != NULL)
		log_warnx("stopping: %zu sessions still open after timeout "
		    "drain (%d s): ended without UPDATE", login_sessions(),
		    conf->set.timeout.drain);
	stopping = 2;
	TAILQ_FOREACH(p, &procs, entry)
		if (p->id != KIND_LMTP)
			(void)kill(p->pid, SIGTERM);
	evtimer_del(&stop_ev);
	if (stop_left() == 0)
		stop_done();
	else
		evtimer_add(&stop_ev, &tv);
}

void
stop_check(void)
{
	if (stopping && stop_left() == 0)
		stop_next(-1, 0, NULL);
}

/* A killed session removes nothing. */
void
shutdown_drain(void (*done)(void))
{
	struct timeval	 tv = { conf->set.timeout.drain, 0 };
	struct proc	*p;

	stop_done = done;
	stopping = 1;
	current[KIND_LMTP] = current[KIND_LISTENER] = NULL;
	TAILQ_FOREACH(p, &procs, entry)
		if ((p->id == KIND_LMTP || p->id == KIND_LISTENER) &&
		    !p->draining)
			proc_drain(p);
	log_info("stopping: %zu sessions may run to their end, for %d s at "
	    "most", login_sessions(), conf->set.timeout.drain);
	evtimer_set(&stop_ev, stop_next, &stop_ev);
	evtimer_add(&stop_ev, &tv);
	stop_check();
}
