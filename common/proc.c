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
 * The start of every popd process: rlimit, chroot, title, ids dropped
 * and verified, not dumpable, the role's opens, its sandbox.  Core dumps
 * go off after the ids are final, because a credential change resets
 * the dumpable flag on Linux, and before anything secret is opened.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <syslog.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "proto.h"
#include "chan.h"
#include "proc.h"
#include "stats.h"
#include "version.h"

/* A listener's 10,000 handshakes are 40, for each of CTL_MAXCLIENTS. */
#define CTL_QUEUEMAX	1024

/*
 * A mail user's process comes from the parent's spawn with root's real
 * uid (popd/child.c says why): make it the mail user's first.
 */
static void
proc_finish_drop(void)
{
	uid_t	ru, eu, su;

	if (getresuid(&ru, &eu, &su) == -1)
		fatal("getresuid");
	if (ru != 0 || eu == 0)
		return;
	if (setresuid(eu, eu, eu) == -1)
		fatal("setresuid(%u)", (unsigned)eu);
}

static int
proc_args(int argc, char *argv[], int fd, const char *role)
{
	socklen_t	len;
	int		ch, debug = 0, verbose = 0, type;

	while ((ch = getopt(argc, argv, "dVv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'V':
			printf("%s (popd) %s\n", role, POPD_VERSION);
			exit(0);
		case 'v':
			verbose++;
			break;
		default:
			return -1;
		}
	}
	len = sizeof(type);
	if (optind != argc || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type,
	    &len) == -1 || type != SOCK_SEQPACKET)
		return -1;
	log_init(debug, LOG_MAIL);
	log_setverbose(verbose);
	log_procinit(role);
	return 0;
}

__dead void
proc_run(const struct proc_role *r, int argc, char *argv[])
{
	struct proc_setup	 ps = r->setup;
	struct chan		*c = r->chan;
	int			 fd = r->setupfd ? r->setupfd : POPD_CHANNEL_FD;

	proc_finish_drop();
	/* A worker's: before logging starts, syslog's socket must survive. */
	if (fd != POPD_CHANNEL_FD)
		closefrom(fd + 1);
	if (proc_args(argc, argv, fd, ps.role) == -1) {
		if (r->usage != NULL)
			fprintf(stderr, "%s\n", r->usage);
		else
			fprintf(stderr, "usage: %s [-dVv]\n%s is started by "
			    "popd, which sends it its configuration on its "
			    "channel\n", ps.role, ps.role);
		exit(1);
	}
	if (set_cloexec(POPD_CHANNEL_FD) == -1)
		fatal("%s: no channel to the parent on fd %d", ps.role,
		    POPD_CHANNEL_FD);
	chan_init(c, fd, r->self, PROC_PARENT, PH_START, r->handlers,
	    r->nhandlers, r->eof, (void *)r);
	while (c->phase & PH_SETUP)
		chan_poll(c);
	if (fd != POPD_CHANNEL_FD)
		chan_close(c);
	if (r->load != NULL)
		r->load(&ps);
	proc_prologue(&ps);
	if (r->run != NULL)
		r->run();
	chan_start(c);
	log_debug("ready");
	if (event_dispatch() == -1)
		fatal("event_dispatch");
	fatalx("%s: event loop ended", ps.role);
}

/* Set by the parent before exec: prove root's cannot be had back. */
static void
proc_inherited(const char *role)
{
	uid_t	uid = getuid();
	gid_t	gid = getgid();

	if (uid == 0 || gid == 0)
		fatalx("%s: running with uid %u gid %u: root's ids", role,
		    (unsigned)uid, (unsigned)gid);
	if (ids_final(role, uid, gid) == -1)
		fatalx("%s: ids are not final", role);
	/* Without SECBIT_NOROOT (conf/child.c), the drop took them all. */
	if (compat_nocaps() == -1)
		fatal("%s: capabilities left after the drop", role);
}

#ifdef __OpenBSD__
#define USERADD_HINT	"useradd -d " CHROOTDIR " -s /sbin/nologin -g =uid"
#else
#define USERADD_HINT	"useradd -r -d " CHROOTDIR " -s /usr/sbin/nologin"
#endif

void
proc_prologue(const struct proc_setup *ps)
{
	struct passwd	*pw = NULL;

	if (ps->nofile)
		proc_nofile();

	if (ps->user != NULL && geteuid() == 0) {
		if ((pw = getpwnam(ps->user)) == NULL)
			fatalx("user %s is missing: %s %s", ps->user,
			    USERADD_HINT, ps->user);
		if (ps->chroot) {
			if (chroot(CHROOTDIR) == -1)
				fatal("chroot %s", CHROOTDIR);
			if (chdir("/") == -1)
				fatal("chdir /");
		}
	}

	setproctitle("%s", ps->title);

	if (pw != NULL) {
		if (drop_privileges(ps->role, pw->pw_uid, pw->pw_gid) == -1)
			fatalx("cannot drop privileges to %s", ps->user);
	} else if (ps->user != NULL)
		log_debug("not root: no chroot, no privilege drop");
	else
		proc_inherited(ps->role);

	/* Passwords, keys or mail from here on: no core files, no ptrace. */
	if (compat_nocoredump() == -1)
		fatal("%s: disable core dumps", ps->role);

	/* A peer gone mid-write is an EPIPE to handle, not a signal. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	/* A reload of the parent must not cut the sessions we carry. */
	if (ps->nohup && signal(SIGHUP, SIG_IGN) == SIG_ERR)
		fatal("signal");

	if (ps->open != NULL)
		ps->open(ps->arg);
	ps->sandbox(ps->arg);
}

void
proc_parent_conf(struct chan *c, const void *data, int fd)
{
	const struct proc_role	*r = c->arg;

	if (r != NULL && r->settings != NULL)
		memcpy(r->settings, data, sizeof(struct conf_settings));
}

void
proc_parent_conf_end(struct chan *c, const void *data, int fd)
{
}

void
proc_parent_stats(struct chan *c, const void *data, int fd)
{
	stats_attach(fd);
}

void
proc_parent_verbose(struct chan *c, const void *data, int fd)
{
	const struct msg_verbose	*m = data;

	log_setverbose(m->level);
}

static void
ctl_eof(struct chan *c)
{
	log_debug("control closed its channel");
}

/* Not ours to end: chan_bad closes its channel, and we serve on. */
static void
ctl_bad(struct chan *c)
{
}

/*
 * The control process is unprivileged and trusted with no more: a
 * message that breaks its declaration closes this channel only.
 */
void
proc_ctlchan(struct chan *c, int self, int fd, const struct msg_handler *h,
    size_t n)
{
	if (c->handlers != NULL)
		chan_close(c);
	if (fd == -1)
		return;		/* our own shortage of descriptors: logged */
	chan_init(c, fd, self, PROC_CONTROL, PH_RUN, h, n, ctl_eof, NULL);
	c->bad = ctl_bad;
	chan_start(c);
}

static void
free_later(int fd, short ev, void *arg)
{
	free(arg);
}

/* chan_bad closes the channel once bad() returns: free it after. */
void
proc_free_later(void *p)
{
	struct timeval	 tv = { 0, 0 };

	if (event_once(-1, EV_TIMEOUT, free_later, p, &tv) == -1)
		fatal("event_once");
}

struct peerlist	 peers = TAILQ_HEAD_INITIALIZER(peers);
static void	(*peer_gone)(struct peer *);

void
peer_eof(struct chan *c)
{
	struct peer	*p = c->arg;

	TAILQ_REMOVE(&peers, p, entry);
	if (peer_gone != NULL)
		peer_gone(p);
	chan_close(&p->chan);
	free(p);
}

/* It broke the protocol: chan_bad closes its channel once we return. */
static void
peer_bad(struct chan *c)
{
	TAILQ_REMOVE(&peers, (struct peer *)c->arg, entry);
	if (peer_gone != NULL)
		peer_gone(c->arg);
	proc_free_later(c->arg);
}

struct peer *
peer_add(int self, const struct msg_ctlpeer *m, int fd,
    const struct msg_handler *h, size_t nh, void (*gone)(struct peer *))
{
	struct peer	*p;

	if (fd == -1)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("channel to %s %d", proc_str(m->proc), (int)m->pid);
		close(fd);
		return NULL;
	}
	p->proc = m->proc;
	p->pid = m->pid;
	peer_gone = gone;
	chan_init(&p->chan, fd, self, m->proc, PH_RUN, h, nh, peer_eof, p);
	p->chan.bad = peer_bad;
	chan_start(&p->chan);
	TAILQ_INSERT_TAIL(&peers, p, entry);
	return p;
}

/* So that the control process cannot make us hold answers without end. */
int
proc_ctlfull(struct chan *c)
{
	if (c->outmsgs < CTL_QUEUEMAX)
		return 0;
	chan_bad(c, "%d answers unread", CTL_QUEUEMAX);
	return 1;
}

rlim_t
proc_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit RLIMIT_NOFILE");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			log_warn("setrlimit RLIMIT_NOFILE");
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	return rl.rlim_cur;
}
