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
 * The parent's keypairs, followed on disk so a renewed pair serves
 * without a reload.  The parent parses no certificate: keypop -c, confined,
 * judges each pair; one late, crashed or saying more is refused.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "util.h"
#include "pki.h"
#include "parent.h"

#define CERTS_TICK	5			/* seconds between looks */
#define CERTS_REWARN	(24 * 3600)
#define CERTS_WAIT	10			/* seconds: keypop -c's time */
#define CERTS_REAPMS	20			/* its exit, looked for */

/* One keypop -c on one pki's pair, from its files to its verdict. */
struct certs_check {
	TAILQ_ENTRY(certs_check) entry;
	struct certs_batch	*batch;		/* NULL: a look's */
	void			(*done)(struct certs_check *);
	const struct popd_conf	*conf;		/* the batch's */
	struct conf_pki		*pki;
	struct pki_look		 look;		/* the files before the read */
	time_t			 notbefore;	/* refused if expired then */
	uint64_t		 gen;		/* a look's: conf_gen then */
	int			 fd, keyfd;	/* the pair: pki_memfd's */
	size_t			 certlen, keylen;
	pid_t			 pid;
	int			 out;		/* its verdict (ev); -1: read */
	time_t			 deadline;	/* monotime */
	uint8_t			 buf[PKI_VERDICTMAX + 1];
	size_t			 len;
	struct event		 ev, timer;
	struct pki_info		 info;
	int			 result;	/* 0: serves; -1: why */
	char			 why[512];
};
TAILQ_HEAD(certs_checks, certs_check);

struct certs_batch {
	struct certs_checks	  checks;
	int			  pending;
	struct event_base	 *base;		/* NULL: the event loop's */
	void			(*done)(int, const char *);
};

static struct event	certs_ev;
/* popd's (certs_start): a listener with new pairs, a reload of tables. */
static struct proc	*(*certs_restart)(enum proc_id);
static int		(*certs_reload)(void);
/* The tables' files (certs_tables): at the last look, and last read. */
static struct pki_look	tables_seen, tables_tried, tables_before;
/* The look under way: its checks not yet over, and whether one serves. */
static struct {
	int		pending, changed;
	uint64_t	gen;
} looking;

/*
 * Whoever owns the directory may point the names elsewhere: the files
 * are opened only if regular (open_regular).
 */
static void
files_look(const char *const *paths, struct pki_look *look)
{
	struct stat	 st;
	int		 i, r;

	memset(look, 0, sizeof(*look));
	for (i = 0; i < 2 * LOOK_FILES; i++) {
		if (paths[i / 2] == NULL)
			continue;
		r = i % 2 == 0 ? stat(paths[i / 2], &st) :
		    lstat(paths[i / 2], &st);
		if (r == -1) {
			look->f[i].error = errno;
			continue;
		}
		look->f[i].dev = st.st_dev;
		look->f[i].ino = st.st_ino;
		look->f[i].size = st.st_size;
		look->f[i].mtime = st.st_mtim;
		look->f[i].ctime = st.st_ctim;
	}
}

static void
certs_look(const struct conf_pki *pki, struct pki_look *look)
{
	const char	*paths[LOOK_FILES] = { pki->cert, pki->key, NULL };

	files_look(paths, look);
}

static struct certs_check *
check_new(const struct popd_conf *c, struct conf_pki *pki, time_t notbefore)
{
	struct certs_check	*cc;

	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		fatal("%s", __func__);
	cc->conf = c;
	cc->pki = pki;
	cc->notbefore = notbefore;
	cc->fd = cc->keyfd = cc->out = -1;
	cc->pid = -1;
	cc->result = -1;
	certs_look(pki, &cc->look);
	return cc;
}

static void
check_stop(struct certs_check *cc)
{
	if (cc->out == -1)
		return;
	(void)event_del(&cc->ev);
	close(cc->out);
	cc->out = -1;
}

static void
check_end(struct certs_check *cc, int status, int late)
{
	char	 bad[256], date[32];
	int	 r;

	cc->pid = -1;
	if ((r = pki_verdict(cc->buf, cc->len, &cc->info, cc->why,
	    sizeof(cc->why))) != -1 && (status == 0 || status == -1)) {
		if (r != 0)
			return;
		if (cc->info.notafter >= cc->notbefore)
			cc->result = 0;
		else
			(void)snprintf(cc->why, sizeof(cc->why), "the "
			    "certificate expired on %s", stats_time(
			    cc->info.notafter, date, sizeof(date)));
		return;
	}
	if (cc->len == sizeof(cc->buf))
		(void)snprintf(cc->why, sizeof(cc->why), "not checked: "
		    "keypop -c wrote more than %d bytes", PKI_VERDICTMAX);
	else if (status > 128 && late)
		(void)snprintf(cc->why, sizeof(cc->why), "not checked: "
		    "keypop -c took more than %d seconds", CERTS_WAIT);
	else if (status > 128)
		(void)snprintf(cc->why, sizeof(cc->why), "not checked: "
		    "keypop -c was killed by signal %d", status - 128);
	else if (status > 0)
		(void)snprintf(cc->why, sizeof(cc->why), "not checked: "
		    "keypop -c exited %d %s%s", status, r == -1 ?
		    "without a verdict" : "after its verdict", status == 127 ?
		    " (not run: replaced since popd started? restart popd)" :
		    "");
	else {
		(void)strlcpy(bad, cc->why, sizeof(bad));
		(void)snprintf(cc->why, sizeof(cc->why), "not checked: "
		    "keypop -c wrote %s", bad);
	}
}

static int
check_serve(struct certs_check *cc)
{
	struct conf_pki		*pki = cc->pki;
	struct pki_served	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		(void)snprintf(cc->why, sizeof(cc->why), "%s",
		    strerror(errno));
		return -1;
	}
	s->fd = cc->fd;
	s->keyfd = cc->keyfd;
	cc->fd = cc->keyfd = -1;
	s->certlen = cc->certlen;
	s->keylen = cc->keylen;
	(void)strlcpy(s->subject, cc->info.subject, sizeof(s->subject));
	(void)strlcpy(s->serial, cc->info.serial, sizeof(s->serial));
	(void)strlcpy(s->sha256, cc->info.sha256, sizeof(s->sha256));
	s->notafter = cc->info.notafter;
	s->loaded = time(NULL);
	s->seen = s->tried = cc->look;
	if (pki->served != NULL) {
		close(pki->served->fd);
		close(pki->served->keyfd);
		free(pki->served);
	}
	pki->served = s;
	return 0;
}

static void
check_free(struct certs_check *cc)
{
	check_stop(cc);
	if (cc->pid != -1) {
		(void)kill(cc->pid, SIGKILL);
		(void)waitpid(cc->pid, NULL, 0);
	}
	if (cc->fd != -1)
		close(cc->fd);
	if (cc->keyfd != -1)
		close(cc->keyfd);
	free(cc);
}

static void
check_reap(struct certs_check *cc)
{
	struct timeval	 tv = { 0, CERTS_REAPMS * 1000 };
	pid_t		 r;
	int		 status, late = 0;

	if ((r = waitpid(cc->pid, &status, WNOHANG)) == 0) {
		if (monotime() < cc->deadline) {
			if (evtimer_add(&cc->timer, &tv) == -1)
				fatal("evtimer_add");
			return;
		}
		log_warnx("keypop -c %d took too long: killed", (int)cc->pid);
		(void)kill(cc->pid, SIGKILL);
		r = waitpid(cc->pid, &status, 0);
		late = 1;
	}
	/* -1: the event loop reaped it first (child_reap). */
	if (r == -1)
		status = -1;
	else
		status = WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status);
	check_end(cc, status, late);
	cc->done(cc);
}

/* One that says more than a verdict is killed. */
static void
check_event(int fd, short ev, void *arg)
{
	struct certs_check	*cc = arg;
	ssize_t			 n;

	n = read(cc->out, cc->buf + cc->len, sizeof(cc->buf) - cc->len);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0 && (cc->len += n) < sizeof(cc->buf))
		return;
	check_stop(cc);
	if (cc->len == sizeof(cc->buf))
		(void)kill(cc->pid, SIGKILL);
	(void)evtimer_del(&cc->timer);
	check_reap(cc);
}

static void
check_timer(int fd, short ev, void *arg)
{
	struct certs_check	*cc = arg;

	check_stop(cc);
	check_reap(cc);
}

/* keypop -c checks the very bytes a listener and keypop will read. */
static int
check_start(struct certs_check *cc, const char *protocols)
{
	char		*argv[] = { "keypop", "-c", "-P", (char *)protocols,
			    NULL };
	struct timeval	 tv = { CERTS_WAIT, 0 };
	struct pki_pair	 pp;
	int		 p[2], fds[4];

	if (pki_read(cc->pki->cert, cc->pki->key, &pp, cc->why,
	    sizeof(cc->why)) == -1)
		return -1;
	cc->certlen = pp.certlen;
	cc->keylen = pp.keylen;
	cc->fd = pki_memfd(pp.cert, pp.certlen);
	if (cc->fd != -1)
		cc->keyfd = pki_memfd(pp.key, pp.keylen);
	pki_free(&pp);
	if (cc->fd == -1 || cc->keyfd == -1) {
		(void)snprintf(cc->why, sizeof(cc->why), "%s",
		    strerror(errno));
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		(void)snprintf(cc->why, sizeof(cc->why), "not checked: pipe: "
		    "%s", strerror(errno));
		return -1;
	}
	fds[0] = cc->fd;
	fds[1] = p[1];
	fds[2] = STDERR_FILENO;		/* its log lines, as authcheck's */
	fds[3] = cc->keyfd;
	cc->deadline = monotime() + CERTS_WAIT;
	cc->pid = child_exec(proc_path[KIND_KEY], argv, fds, 4);
	close(p[1]);
	if (cc->pid == -1) {
		(void)snprintf(cc->why, sizeof(cc->why), "not checked: "
		    "keypop -c: %s", strerror(errno));
		close(p[0]);
		return -1;
	}
	cc->out = p[0];
	if (set_nonblock(cc->out) == -1)
		fatal("%s: set_nonblock", __func__);
	event_set(&cc->ev, cc->out, EV_READ | EV_PERSIST, check_event, cc);
	evtimer_set(&cc->timer, check_timer, cc);
	if (cc->batch != NULL && cc->batch->base != NULL &&
	    (event_base_set(cc->batch->base, &cc->ev) == -1 ||
	    event_base_set(cc->batch->base, &cc->timer) == -1))
		fatalx("%s: event_base_set", __func__);
	if (event_add(&cc->ev, NULL) == -1 ||
	    evtimer_add(&cc->timer, &tv) == -1)
		fatal("event_add");
	return 0;
}

static void
batch_check_done(struct certs_check *cc)
{
	if (--cc->batch->pending == 0)
		certs_batch_go(cc->batch);
}

/*
 * certs_batch_add each pki, then certs_batch_go; done(bad, why) once all
 * are over, the errors logged with the statement that names each.
 */
struct certs_batch *
certs_batch_new(struct event_base *base, void (*done)(int, const char *))
{
	struct certs_batch	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&b->checks);
	b->base = base;
	b->done = done;
	return b;
}

void
certs_batch_add(struct certs_batch *b, const struct popd_conf *c,
    struct conf_pki *pki)
{
	struct certs_check	*cc;

	cc = check_new(c, pki, 0);
	cc->batch = b;
	cc->done = batch_check_done;
	TAILQ_INSERT_TAIL(&b->checks, cc, entry);
	b->pending++;
	if (check_start(cc, c->set.tls_protocols) == -1)
		b->pending--;
}

void
certs_batch_go(struct certs_batch *b)
{
	struct certs_check	*cc;
	char			 why[512];
	int			 bad = 0;

	if (b->pending > 0)
		return;
	log_capture(why, sizeof(why));
	while ((cc = TAILQ_FIRST(&b->checks)) != NULL) {
		TAILQ_REMOVE(&b->checks, cc, entry);
		if (cc->result != 0 || check_serve(cc) == -1) {
			(void)conf_error(cc->conf, &cc->pki->where, "pki %s: "
			    "%s, %s: not loaded: %s", cc->pki->name,
			    cc->pki->cert, cc->pki->key, cc->why);
			bad = 1;
		}
		check_free(cc);
	}
	log_capture(NULL, 0);
	b->done(bad, why[0] != '\0' ? why : NULL);
	free(b);
}

/* why holds keypop -c's words: printable ASCII, CTL_PKIWHY - 1 at most. */
static void
certs_refused(struct conf_pki *pki, const char *why)
{
	struct pki_served	*s = pki->served;
	char			 date[32];
	size_t			 i;

	if (s->refused == 0)
		s->refused = time(NULL);
	(void)strlcpy(s->refusedwhy, why, sizeof(s->refusedwhy));
	for (i = 0; s->refusedwhy[i] != '\0'; i++)
		if ((unsigned char)s->refusedwhy[i] < 0x20 ||
		    (unsigned char)s->refusedwhy[i] > 0x7e)
			s->refusedwhy[i] = '?';
	if (s->refusedwhy[0] == '\0')
		(void)strlcpy(s->refusedwhy, "?", sizeof(s->refusedwhy));
	log_warnx("pki %s: %s, %s changed, not loaded: %s; the certificate "
	    "loaded on %s serves on", pki->name, pki->cert, pki->key,
	    s->refusedwhy, stats_time(s->loaded, date, sizeof(date)));
}

static void
certs_tick_over(void)
{
	struct timeval	tv = { CERTS_TICK, 0 };

	/* The previous listener drains. */
	if (looking.changed && looking.gen == conf_gen &&
	    certs_restart(KIND_LISTENER) == NULL)
		log_warnx("the listener with the new certificates did not "
		    "start: the previous one serves on");
	looking.changed = 0;
	if (evtimer_add(&certs_ev, &tv) == -1)
		fatal("evtimer_add");
}

static void
check_done(struct certs_check *cc)
{
	struct conf_pki	*pki = cc->pki;
	char		 date[32];

	/* A reload freed the pki meanwhile: it read the files itself. */
	if (cc->gen != conf_gen)
		;
	else if (cc->result == -1 || check_serve(cc) == -1)
		certs_refused(pki, cc->why);
	else {
		log_info("pki %s: new certificate %s loaded, not after %s",
		    pki->name, pki->cert, stats_time(pki->served->notafter,
		    date, sizeof(date)));
		looking.changed = 1;
	}
	check_free(cc);
	if (--looking.pending == 0)
		certs_tick_over();
}

static void
certs_expiry(struct conf_pki *pki, time_t now)
{
	struct pki_served	*s = pki->served;
	char			 date[32];
	long long		 left;

	if (s->notafter - now >= CERTS_WARN ||
	    (s->warned != 0 && monotime() - s->warned < CERTS_REWARN))
		return;
	s->warned = monotime();
	left = (long long)(s->notafter - now) / (24 * 3600);
	log_warnx("pki %s: certificate %s %s %s (%lld days%s); renew it: "
	    "popd serves the new files within %d seconds", pki->name,
	    pki->cert, s->notafter < now ? "expired on" : "expires on",
	    stats_time(s->notafter, date, sizeof(date)), left < 0 ? -left :
	    left, s->notafter < now ? " ago" : "", 2 * CERTS_TICK);
}

static void
tables_paths(const struct popd_conf *c, const char **paths)
{
	paths[0] = c->set.authsrc == TABSRC_FILE ||
	    c->set.authsrc == TABSRC_PASSWD ? c->set.authtab : NULL;
	paths[1] = c->set.usersrc == TABSRC_FILE ||
	    c->set.usersrc == TABSRC_PASSWD ? c->set.usertab : NULL;
	paths[2] = c->apps[0] != '\0' && c->appssrc == TABSRC_FILE ?
	    c->apps : NULL;
}

/*
 * Files that differ from the last look are still being written: read
 * once two looks agree, checked, and served if good.  inotify and kqueue
 * would need a watch on every link and directory on the way.
 */
static void
certs_tick(int fd, short ev, void *arg)
{
	struct certs_check	*cc;
	struct conf_pki		*pki;
	struct pki_look		 look;
	const char		*paths[LOOK_FILES];
	time_t			 now = time(NULL);

	looking.gen = conf_gen;
	looking.changed = 0;
	looking.pending = 1;		/* until every check has started */
	TAILQ_FOREACH(pki, &conf->pkis, entry) {
		if (pki->served == NULL)
			continue;
		certs_look(pki, &look);
		if (memcmp(&look, &pki->served->seen, sizeof(look)) != 0)
			pki->served->seen = look;	/* being written */
		else if (memcmp(&look, &pki->served->tried,
		    sizeof(look)) != 0) {
			pki->served->tried = look;	/* once per change */
			cc = check_new(conf, pki, now);
			cc->look = look;
			cc->gen = conf_gen;
			cc->done = check_done;
			if (check_start(cc, conf->set.tls_protocols) == 0)
				looking.pending++;
			else {
				certs_refused(pki, cc->why);
				check_free(cc);
			}
		}
		certs_expiry(pki, now);
	}
	/* The tables: a reload of them, which reads them (certs_tables). */
	tables_paths(conf, paths);
	files_look(paths, &look);
	if (memcmp(&look, &tables_seen, sizeof(look)) != 0)
		tables_seen = look;
	else if (memcmp(&look, &tables_tried, sizeof(look)) != 0)
		(void)certs_reload();		/* busy: the next look */
	if (--looking.pending == 0)
		certs_tick_over();
}

void
certs_start(struct proc *(*restart)(enum proc_id), int (*reload)(void))
{
	struct timeval	tv = { CERTS_TICK, 0 };

	certs_restart = restart;
	certs_reload = reload;
	evtimer_set(&certs_ev, certs_tick, NULL);
	if (evtimer_add(&certs_ev, &tv) == -1)
		fatal("evtimer_add");
}

/*
 * NULL: what was read is not served (a reload refused for its
 * certificates); the next look reads the tables again if they changed.
 */
void
certs_tables(const struct popd_conf *c)
{
	const char	*paths[LOOK_FILES];

	if (c == NULL) {
		tables_tried = tables_before;
		return;
	}
	tables_before = tables_tried;
	tables_paths(c, paths);
	files_look(paths, &tables_tried);
	tables_seen = tables_tried;
}

