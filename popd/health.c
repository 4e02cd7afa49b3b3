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
 * What the health ports say.  Health comes from the store, never from users
 * (DESIGN.md invariant 33): a user can stop his own wrkrpop.  One probe at
 * a time: one stuck in the store cannot be killed.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <event.h>
#ifdef __linux__
#include <mntent.h>
#endif
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"

static struct msg_health	 now = { .state = HEALTH_UP };
static struct msg_health	 sent = { .state = HEALTH_UP };
static struct event		 pace;
static int			 drained;
static size_t			 stuck[2];	/* sessions, deliveries */

#define PROBE_EVERY	3	/* seconds from a probe's end to the next */

static struct {
	struct event	 tick;
	pid_t		 pid;		/* its wrkrpop, or 0 */
	int		 asking;	/* its user looked up */
	time_t		 began, ended;	/* monotonic, 0: never */
	int		 ok;		/* the latest succeeded */
	int		 late;		/* out beyond timeout store */
	int		 said;		/* bad as logged: -1 not yet */
	char		 user[POPD_MAXUSER + 1];	/* "": no probe */
} probe = { .said = -1 };

static void	health_paced(int, short, void *);

void
health_send(struct chan *c)
{
	chan_send(c, MSG_PARENT_HEALTH, -1, &now, sizeof(now));
}

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
	if (!event_initialized(&pace))
		evtimer_set(&pace, health_paced, NULL);
	evtimer_add(&pace, &tv);
}

static void
health_paced(int fd, short ev, void *arg)
{
	if (memcmp(&now, &sent, sizeof(now)) != 0)
		health_push();
}

void
health_sessions(size_t n)
{
	if (now.state == HEALTH_DRAINING && n == 0 && now.sessions != 0)
		log_info("drained: the last session ended");
	now.sessions = n > UINT32_MAX ? UINT32_MAX : n;
	if (!event_initialized(&pace) || !evtimer_pending(&pace, NULL))
		health_push();
}

static int
probe_bad(void)
{
	return probe.user[0] != '\0' && (!probe.ok || probe.late);
}

static void
health_state(void)
{
	now.state = drained ? HEALTH_DRAINING : probe_bad() ?
	    HEALTH_DEGRADED : HEALTH_UP;
	if (now.state != sent.state)
		health_push();
}

/* A drain lasts across restarts, as an admin upgrading a backend expects. */
static const char *
drain_file(void)
{
	static char	path[PATH_MAX];

	return state_path(path, sizeof(path), STATE_DRAINED);
}

/* Logins are still served: not sending them is the fronts' job. */
void
health_drain(struct ctlans *a, int on)
{
	const char	*path;
	int		 i, fd;

	for (i = 0; i < nlistens && !(listens[i].flags & LISTEN_HEALTH); i++)
		;
	if (i == nlistens) {
		ctlans_end(a, NO_HEALTH_PORT);
		return;
	}
	if (on && !drained && now.sessions == 0)
		log_info("drained: no session was open");
	drained = on;
	if ((path = drain_file()) != NULL) {
		if (on && (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC | O_NOFOLLOW, 0600)) != -1)
			close(fd);
		else if (on || (unlink(path) == -1 && errno != ENOENT))
			log_warn("%s: %s", path, on ? "the drain lasts until "
			    "popd stops" : "the next start drains again");
	}
	health_state();
	log_info("control: %s by uid %u: %u session%s open", on ? "drain" :
	    "undrain", (unsigned)ctlans_uid(a), now.sessions,
	    now.sessions == 1 ? "" : "s");
	ctlans_count(a, now.sessions);
}

void
health_stop(void)
{
	drained = 1;
	health_state();
}

void
health_stuck(int kind, size_t n)
{
	stuck[kind != 0] = n;
}

void
health_stuck_users(char names[][POPD_MAXUSER + 1])
{
	memcpy(now.stuck, names, sizeof(now.stuck));
	if (memcmp(&now, &sent, sizeof(now)) != 0 &&
	    (!event_initialized(&pace) || !evtimer_pending(&pace, NULL)))
		health_push();
}

size_t
health_stuck_now(void)
{
	return stuck[0] + stuck[1];
}

static void
probe_result(int ok, const char *what)
{
	int	bad;

	if (!probe.late)
		probe.ok = ok;
	bad = probe_bad();
	if (bad != probe.said) {
		if (bad)
			log_warnx("health: degraded: the store probe as %s %s",
			    probe.user, what);
		else
			log_info("health: the store probe as %s %s: the mail "
			    "store answers", probe.user, what);
		probe.said = bad;
	}
	health_state();
}

static void
probe_found(void *arg, int status, const struct mailuser *mu,
    const char *why)
{
	struct msg_worker	 who;
	int			 sp[2];

	probe.asking = 0;
	if (status != MU_FOUND) {
		probe.ended = monotime();
		probe_result(0, status == MU_NONE ? "failed: no such user in "
		    "usertab" : status == MU_TEMP ? "failed: the user table "
		    "cannot answer" : "failed: its userinfo is refused");
		return;
	}
	/* Its channel says nothing: the probe logs what failed. */
	memset(&who, 0, sizeof(who));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		log_warn("health probe as %s", mu->name);
	else {
		probe.pid = mailuser_spawn(WORKER_PROBE, mu, &who, sp[1], -1,
		    NULL);
		close(sp[0]);
		close(sp[1]);
		if (probe.pid != -1)
			return;
	}
	probe.pid = 0;
	probe.ended = monotime();
	probe_result(0, "failed: cannot start its wrkrpop");
}

static void
probe_tick(int fd, short ev, void *arg)
{
	time_t	t = monotime();

	if (probe.user[0] == '\0') {
		health_state();		/* a reload took it away */
		return;
	}
	if (probe.pid != 0 || probe.asking) {
		if (!probe.late && t - probe.began > conf->set.timeout.store) {
			probe.late = 1;
			probe_result(0, "has not answered (timeout store)");
		}
		return;
	}
	if (probe.ended != 0 && t - probe.ended < PROBE_EVERY)
		return;
	probe.began = t;
	probe.asking = 1;
	mailuser_find(probe.user, probe_found, NULL);
}

/* From the mount table: a statfs(2) of a frozen store would hang us. */
static int
netfs(const char *path, char *fs, size_t fslen, char *dir, size_t dirlen)
{
#ifdef __linux__
	static const char *const types[] = { "ceph", "nfs", "nfs4", "cifs",
	    "smb3", "glusterfs", "lustre", "9p" };
	struct mntent	*m;
	FILE		*fp;
	size_t		 i, len, best = 0;

	if ((fp = setmntent("/proc/self/mounts", "r")) == NULL)
		return 0;
	fs[0] = '\0';
	/* The longest mount point above path, the last of equals (on top). */
	while ((m = getmntent(fp)) != NULL) {
		len = strlen(m->mnt_dir);
		if (len < best || strncmp(path, m->mnt_dir, len) != 0 ||
		    (len > 1 && path[len] != '/' && path[len] != '\0'))
			continue;
		best = len;
		(void)strlcpy(fs, m->mnt_type, fslen);
		(void)strlcpy(dir, m->mnt_dir, dirlen);
	}
	endmntent(fp);
	if (strncmp(fs, "fuse", 4) == 0 && strcmp(fs, "fuseblk") != 0)
		return 1;
	for (i = 0; i < nitems(types); i++)
		if (strcmp(fs, types[i]) == 0)
			return 1;
#endif
	return 0;
}

/* Its tmp is where messages are written first: the probe's file is none. */
static void
probe_pick(void)
{
	char	 fs[64], dir[PATH_MAX], was[sizeof(probe.user)];
	int	 i;

	(void)strlcpy(was, probe.user, sizeof(was));
	probe.user[0] = '\0';
	if (conf->probe_user[0] != '\0') {
		(void)strlcpy(probe.user, conf->probe_user, sizeof(probe.user));
		return;
	}
	for (i = 0; i < nlistens && !(listens[i].flags & LISTEN_HEALTH); i++)
		;
	if (i == nlistens || users.first[0] == '\0' ||
	    !netfs(users.firstpath, fs, sizeof(fs), dir, sizeof(dir)))
		return;
	(void)strlcpy(probe.user, users.first, sizeof(probe.user));
	if (strcmp(was, probe.user) != 0)
		log_info("health: the maildirs are on %s (%s): the store probe "
		    "is on, as usertab's first user, %s (health probe names "
		    "another)", fs, dir, probe.user);
}

void
health_probe_start(void)
{
	struct timeval	 tv = { 1, 0 };
	const char	*path;

	if (!drained && (path = drain_file()) != NULL &&
	    access(path, F_OK) == 0) {
		drained = 1;
		log_info("drained, as popctl drain left it (%s): popctl "
		    "undrain ends it", path);
		health_state();
	}
	probe_pick();
	if (probe.user[0] == '\0' || event_initialized(&probe.tick))
		return;
	health_state();		/* degraded until a probe succeeds */
	event_set(&probe.tick, -1, EV_PERSIST, probe_tick, NULL);
	if (event_add(&probe.tick, &tv) == -1)
		fatal("%s: event_add", __func__);
	probe_tick(-1, 0, NULL);
}

int
health_probe_exited(pid_t pid, int status)
{
	char	 why[96];

	if (probe.pid == 0 || pid != probe.pid)
		return 0;
	probe.pid = 0;
	probe.ended = monotime();
	probe.late = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		probe_result(1, "succeeded");
	else {
		if (WIFSIGNALED(status))
			(void)snprintf(why, sizeof(why), "failed: killed by "
			    "signal %d", WTERMSIG(status));
		else if (WEXITSTATUS(status) == 2)
			(void)strlcpy(why, "failed: the store's mount is gone "
			    "(evicted or its client dead): remount it", sizeof(why));
		else
			(void)snprintf(why, sizeof(why), "failed: exit %d "
			    "(its wrkrpop logged why)", WEXITSTATUS(status));
		probe_result(0, why);
	}
	return 1;
}
