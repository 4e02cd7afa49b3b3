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
 * A pool of threads that run crypt(3), so that a bcrypt never stalls the
 * event loop; popd's only threaded code, kept apart to be audited alone.
 * Threads touch only the job queues, jobs_cv, mem_used and mem_cv under
 * jobs_mtx, the one job they took, and jobs_pipe[1]; the event loop keeps
 * no pointer to a job in the pool, so a session may close while it runs.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "pwscheme.h"

#define AUTH_DEFAULT_COST	10

static void	(*done_cb)(struct job *);
static void	(*next_cb)(void);

char			 dummy_hash[COMPAT_HASH_MAX + 1];
long			 nworkers;	/* threads, set by main */
long			 inflight;	/* checks the workers have */
long			 inflight_failing; /* of those, failing addresses' */

/* jobs_todo is global only for the fuzzer, which plays the worker. */
static pthread_mutex_t	 jobs_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 jobs_cv = PTHREAD_COND_INITIALIZER;
struct jobq		 jobs_todo = TAILQ_HEAD_INITIALIZER(jobs_todo);
static struct jobq	 jobs_done = TAILQ_HEAD_INITIALIZER(jobs_done);
static int		 jobs_pipe[2] = { -1, -1 };
static struct event	 jobs_ev;

/*
 * argon2 and yescrypt checks running at once hold at most mem_budget KiB
 * together, so that a burst of logins cannot exhaust authpop's memory;
 * one runs alone whatever it costs (at most PWS_MEMHARD_KIB).
 */
static pthread_cond_t	 mem_cv = PTHREAD_COND_INITIALIZER;
static unsigned long	 mem_used;	/* KiB, under jobs_mtx */
static unsigned long	 mem_budget;

/*
 * bcrypt at the real ones' cost: a miss costs as much time as a wrong
 * password.  Of a random password, so that no check against it passes.
 */
void
dummy_init(const struct table *authtab)
{
	const char		*h;
	char			 pw[33];
	size_t			 i;
	int			 n[32] = { 0 }, c, cost = AUTH_DEFAULT_COST;

	for (i = 0; i < authtab->n; i++) {
		h = table_value(authtab, i);
		if (h[0] == '{' && (h = strchr(h, '}')) != NULL)
			h++;
		if (h == NULL || h[0] != '$' || h[1] != '2' || strlen(h) < 7)
			continue;
		c = (h[4] - '0') * 10 + (h[5] - '0');
		if (c >= 4 && c <= PWS_BCRYPT_MAX && ++n[c] > n[cost])
			cost = c;
	}
	(void)snprintf(pw, sizeof(pw), "%08x%08x%08x%08x", arc4random(),
	    arc4random(), arc4random(), arc4random());
	if (compat_newhash(pw, cost, dummy_hash, sizeof(dummy_hash)) == -1)
		fatal("bcrypt hash at cost %d", cost);
	explicit_bzero(pw, sizeof(pw));
	log_debug("dummy hash: bcrypt cost %d", cost);
}

static struct {
	char	 name[48];
	double	 took;
} kinds[64];
static size_t	 nkinds;
static double	 most;

static size_t
kind_find(const char *hash, char *kind, size_t len)
{
	size_t	i;

	kind[0] = '\0';
	if (hash[0] != '\0')
		pwscheme_kind(hash, kind, len);
	for (i = 0; i < nkinds; i++)
		if (strcmp(kinds[i].name, kind) == 0)
			break;
	return i;
}

/* No failure is answered sooner, whichever hash it met. */
double
slowest_check(const struct table *authtab)
{
	const char	*h;
	double		 t;
	size_t		 u;

	for (u = 0; u <= authtab->n && nkinds < nitems(kinds); u++) {
		h = u == 0 ? dummy_hash : table_value(authtab, u - 1);
		if (kind_find(h, kinds[nkinds].name, sizeof(kinds[0].name)) <
		    nkinds)
			continue;
		t = auth_now();
		(void)pwscheme_check("not the password", h);
		if ((kinds[nkinds++].took = auth_now() - t) > most)
			most = kinds[nkinds - 1].took;
	}
	log_debug("%zu kind%s of hash, the slowest checks in %.3f s", nkinds,
	    nkinds == 1 ? "" : "s", most);
	return most;
}

double
check_expected(const char *hash)
{
	char	kind[48];
	size_t	i = kind_find(hash, kind, sizeof(kind));

	return i < nkinds && kinds[i].took > 0 ? kinds[i].took : most;
}

/* From now on no failure is answered sooner than this kind's check. */
double
check_learn(const char *hash, double took)
{
	if (nkinds == nitems(kinds) || kind_find(hash, kinds[nkinds].name,
	    sizeof(kinds[0].name)) < nkinds)
		return 0;
	kinds[nkinds++].took = took;
	log_debug("new kind of hash %s: checks in %.3f s",
	    kinds[nkinds - 1].name, took);
	if (took <= most)
		return 0;
	return most = took;
}

static void
xlock(pthread_mutex_t *m)
{
	if ((errno = pthread_mutex_lock(m)) != 0)
		fatal("pthread_mutex_lock");
}

static void
xunlock(pthread_mutex_t *m)
{
	if ((errno = pthread_mutex_unlock(m)) != 0)
		fatal("pthread_mutex_unlock");
}

static void
jobs_collect(int fd, short ev, void *arg)
{
	struct jobq	 done = TAILQ_HEAD_INITIALIZER(done);
	struct job	*j;
	char		 buf[64];

	/* Drain first: a job finished after this wakes us again. */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	xlock(&jobs_mtx);
	TAILQ_CONCAT(&done, &jobs_done, entry);
	xunlock(&jobs_mtx);

	while ((j = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, j, entry);
		inflight--;
		if (j->failing)
			inflight_failing--;
		done_cb(j);
		freezero(j, sizeof(*j));
	}
	next_cb();
}

void
jobs_init(void (*done)(struct job *), void (*next)(void))
{
	done_cb = done;
	next_cb = next;
	if (pipe2(jobs_pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("pipe2");
	event_set(&jobs_ev, jobs_pipe[0], EV_READ | EV_PERSIST, jobs_collect,
	    NULL);
	if (event_add(&jobs_ev, NULL) == -1)
		fatal("event_add");
}

/* Before the chroot: a cgroup's limit is in /sys. */
void
jobs_budget(void)
{
	unsigned long	limit;
	long		pages, psz;

	if ((pages = sysconf(_SC_PHYS_PAGES)) <= 0 ||
	    (psz = sysconf(_SC_PAGESIZE)) <= 0)
		mem_budget = 1024 * 1024;
	else
		mem_budget = (unsigned long)pages * (psz / 1024);
	if ((limit = compat_mem_limit()) > 0 && limit < mem_budget)
		mem_budget = limit;
	mem_budget /= 4;
	log_debug("argon2 and yescrypt checks hold %lu MiB at most%s",
	    mem_budget / 1024,
	    limit > 0 ? " (a memory limit)" : "");
}

static void *
worker_main(void *arg)
{
	struct job		*j;
	struct pwhash		 ph;
	unsigned long		 need;
	int			 r;

	for (;;) {
		xlock(&jobs_mtx);
		while ((j = TAILQ_FIRST(&jobs_todo)) == NULL)
			if ((errno = pthread_cond_wait(&jobs_cv,
			    &jobs_mtx)) != 0)
				fatal("pthread_cond_wait");
		TAILQ_REMOVE(&jobs_todo, j, entry);
		xunlock(&jobs_mtx);

		need = 0;
		if ((r = pwscheme_parse(j->hash, &ph)) == 0 && ph.kib > 0 &&
		    !(ph.flags & PWS_COSTLY)) {
			need = ph.kib;
			xlock(&jobs_mtx);
			while (mem_used > 0 && mem_used + need > mem_budget)
				if ((errno = pthread_cond_wait(&mem_cv,
				    &jobs_mtx)) != 0)
					fatal("pthread_cond_wait");
			mem_used += need;
			xunlock(&jobs_mtx);
		}
		/* The wait for memory is not the check's own time. */
		j->took = auth_now();
		if (r == 0) {
			ph.user = j->user;
			r = pwscheme_verify(j->pass, &ph);
			/* A static name, for the event loop's log line. */
			if (r == 0 && (ph.flags & PWS_WEAK))
				j->weak = pwscheme_hname(&ph);
		}
		j->took = auth_now() - j->took;
		/* Now: the locks below set errno. */
		if (r == -1 && errno != EACCES)
			j->err = errno;
		else
			j->ok = r == 0 && j->known && !j->toolong &&
			    j->why[0] == '\0';
		explicit_bzero(&ph, sizeof(ph));
		if (need > 0) {
			xlock(&jobs_mtx);
			mem_used -= need;
			if ((errno = pthread_cond_broadcast(&mem_cv)) != 0)
				fatal("pthread_cond_broadcast");
			xunlock(&jobs_mtx);
		}
		/* Too long to hash at all: a plain failure, not an error. */
		if (j->toolong)
			j->err = 0;
		explicit_bzero(j->pass, sizeof(j->pass));

		xlock(&jobs_mtx);
		TAILQ_INSERT_TAIL(&jobs_done, j, entry);
		xunlock(&jobs_mtx);
		/* A full pipe already holds a wakeup: EAGAIN is fine. */
		if (write(jobs_pipe[1], "", 1) == -1)
			continue;
	}
	return NULL;
}

/* At least 2: logins use every core. */
void
workers_start(void)
{
	pthread_t	t;
	long		i;

	for (i = 0; i < nworkers; i++) {
		if ((errno = pthread_create(&t, NULL, worker_main, NULL)) != 0)
			fatal("pthread_create");
		if ((errno = pthread_detach(t)) != 0)
			fatal("pthread_detach");
	}
	log_debug("%ld password checkers", nworkers);
}

void
jobs_submit(struct job *j)
{
	if (j->failing)
		inflight_failing++;
	inflight++;
	xlock(&jobs_mtx);
	TAILQ_INSERT_TAIL(&jobs_todo, j, entry);
	if ((errno = pthread_cond_signal(&jobs_cv)) != 0)
		fatal("pthread_cond_signal");
	xunlock(&jobs_mtx);
}
