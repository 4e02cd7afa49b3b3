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
 * backend.c -- tablepop's database tables: their OpenSMTPD table programs,
 * asked what the parent, authpop and routepop ask.  Whoever asked checks each
 * answer again.  A late answer, no process and a full queue are all
 * TABANS_TEMP, never "no such user".
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "proc.h"
#include "pwscheme.h"
#include "table.h"
#include "tablepop.h"

#define LOOKUP_PROCS		2	/* processes per table */
#define LOOKUP_QUEUE		1024	/* questions waiting per table */
#define LOOKUP_BACKOFF_MAX	8	/* seconds between restarts */

struct request {
	TAILQ_ENTRY(request)	 entry;
	struct dbtable		*t;
	struct backend		*b;		/* answering it, NULL: queued */
	int			 again;		/* asked a second time */
	int			 service;
	char			 key[POPD_MAXUSER + 1];
	struct event		 tmo;
	uint64_t		 id;		/* the parent's */
};
TAILQ_HEAD(requestq, request);

enum bstate { B_DOWN, B_OPENING, B_IDLE, B_BUSY };

struct backend {
	struct dbtable		*t;
	enum bstate		 state;
	pid_t			 pid;		/* -1: none */
	int			 fd;		/* the imsg stream */
	int			 errfd;		/* its stderr and stdout */
	struct event		 rev, errev, restart, errwake;
	struct request		*req;
	int			 warned;	/* since req was sent */
	int			 backoff;	/* seconds */
	unsigned char		 in[TAPI_MAXLEN];
	size_t			 inlen;
	char			 err[512];
	size_t			 errlen;
	time_t			 errsec;	/* second of the lines logged */
	int			 errlogged;	/* lines logged in errsec */
	unsigned long long	 errquiet;	/* lines not logged since */
};

/*
 * At most ERR_RATE lines a second of each program are logged, and then its
 * stderr is not read for a second (its writes block), so that a flood costs
 * neither the log nor the CPU of tablepop or the parent.
 */
#define ERR_RATE	20
#define ERR_READ	(64 * 1024)

struct dbtable {
	TAILQ_ENTRY(dbtable)	 entry;
	char			 name[TABLE_NAMELEN];
	char			 program[PATH_MAX];
	char			 config[PATH_MAX];
	char			 interp[PATH_MAX];	/* a script's */
	const char		*progname;	/* in program */
	int			 old;		/* drained after a reload */
	struct backend		 be[LOOKUP_PROCS];
	struct requestq		 queue;
	size_t			 nqueue, nflight;
	struct tablecache	 cache;		/* table ... cache */
};
TAILQ_HEAD(dbtableq, dbtable);

static struct dbtableq	 tables = TAILQ_HEAD_INITIALIZER(tables);
static int		 draining;
static const struct conf_settings *set;
static tables_answer_cb	 answer;
static char		**table_env;	/* popd's at start, for the programs */
static size_t		 nenv;
static char		 table_home[PATH_MAX + 8];	/* "HOME=..." */

static void	 backend_down(struct backend *);

static const char *
tables_service_str(int service)
{
	return service == TABLE_CREDENTIALS ? "credentials" :
	    service == TABLE_ALIAS ? "alias" : "userinfo";
}

static int
backend_send(struct backend *b, unsigned char *frame, size_t len)
{
	ssize_t	n;

	if (len == 0)
		return -1;
	/* A quiet stream of a few kilobytes: it all fits at once. */
	n = send(b->fd, frame, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	explicit_bzero(frame, len);
	return n == (ssize_t)len ? 0 : -1;
}

static void
backend_quiet(struct backend *b)
{
	if (b->errquiet > 0)
		log_warnx("table %s: %llu more lines of %s not logged (at "
		    "most %d a second)", b->t->name, b->errquiet,
		    b->t->progname, ERR_RATE);
	b->errquiet = 0;
}

static void
backend_warn(struct backend *b, const char *line)
{
	time_t	now = monotime();

	if (now != b->errsec) {
		backend_quiet(b);
		b->errsec = now;
		b->errlogged = 0;
	}
	if (b->errlogged < ERR_RATE) {
		log_warnx("table %s: %s", b->t->name, line);
		b->errlogged++;
	} else
		b->errquiet++;
}

static void
backend_stderr(int fd, short ev, void *arg)
{
	struct backend	*b = arg;
	char		*nl, *line, *c;
	ssize_t		 n;
	size_t		 total = 0;

	while (total < ERR_READ) {
		n = read(fd, b->err + b->errlen, sizeof(b->err) - 1 -
		    b->errlen);
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				(void)event_del(&b->errev);
				(void)evtimer_del(&b->errwake);
				close(b->errfd);
				b->errfd = -1;
			}
			break;
		}
		total += n;
		b->errlen += n;
		b->err[b->errlen] = '\0';
		while ((nl = strchr(b->err, '\n')) != NULL ||
		    b->errlen == sizeof(b->err) - 1) {
			if (nl == NULL)
				nl = b->err + b->errlen - 1;
			*nl = '\0';
			line = b->err;
			for (c = line; *c != '\0'; c++)
				if (*c == '\t')
					*c = ' ';
				else if ((unsigned char)*c < 0x20 ||
				    *c == 0x7f)
					*c = '?';
			/*
			 * Not its debug lines: table-ldap's show its
			 * configuration, the bind password too.  Its info
			 * lines are no warning: table-ldap says "closed
			 * previous connection" at each key it does not find.
			 */
			if (strstr(line, "debug: ") != NULL || *line == '\0')
				;
			else if (b->t->old ||
			    strstr(line, "]: info: ") != NULL)
				log_debug("table %s: %s", b->t->name, line);
			else {
				backend_warn(b, line);
				b->warned = 1;
			}
			b->errlen -= nl + 1 - b->err;
			memmove(b->err, nl + 1, b->errlen);
			b->err[b->errlen] = '\0';
		}
	}
	if (b->errfd != -1 && b->errlogged >= ERR_RATE) {
		struct timeval	tv = { 1, 0 };

		(void)event_del(&b->errev);
		if (evtimer_add(&b->errwake, &tv) == -1)
			fatal("evtimer_add");
	}
}

static void
backend_errwake(int fd, short ev, void *arg)
{
	struct backend	*b = arg;

	if (b->errfd != -1 && event_add(&b->errev, NULL) == -1)
		fatal("event_add");
}

/*
 * Answers carry no request id: a process out of step is killed.  tables_reap()
 * reaps it.
 */
static void
backend_kill(struct backend *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[256];

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warnx("table %s: %s (pid %d): %s: restarting it", b->t->name,
	    b->t->progname, (int)b->pid, why);
	if (b->pid != -1)
		(void)kill(b->pid, SIGKILL);
	backend_down(b);
}

static int
request_send(struct backend *b, struct request *r)
{
	unsigned char	frame[TAPI_HDRLEN + sizeof(int32_t) +
			    sizeof(uint64_t) + TAPI_KEYMAX];

	b->warned = 0;
	if (backend_send(b, frame, tapi_lookup(frame, sizeof(frame),
	    r->service, r->key)) == -1) {
		backend_kill(b, "cannot send it a lookup");
		return -1;
	}
	return 0;
}

/* Idle processes of a replaced table exit on EOF. */
static void
table_retire(struct dbtable *t)
{
	int	i;

	for (i = 0; i < LOOKUP_PROCS; i++) {
		(void)evtimer_del(&t->be[i].restart);
		if (t->be[i].state == B_IDLE || t->be[i].state == B_OPENING)
			backend_down(&t->be[i]);
	}
}

static void
request_done(struct request *r, int status, const char *value)
{
	struct dbtable	*t = r->t;

	if (r->b != NULL) {
		r->b->req = NULL;
		t->nflight--;
	} else {
		TAILQ_REMOVE(&t->queue, r, entry);
		t->nqueue--;
	}
	(void)evtimer_del(&r->tmo);
	if (status != TABANS_TEMP && !t->old)
		tablecache_put(&t->cache, r->service, r->key, status, value);
	answer(r->id, status, value);
	freezero(r, sizeof(*r));
	if (t->old && t->nqueue == 0)
		table_retire(t);
}

static void
dispatch(struct dbtable *t)
{
	struct request	*r;
	struct backend	*b;
	int		 i, up = 0;

	for (i = 0; i < LOOKUP_PROCS; i++)
		if (t->be[i].state != B_DOWN)
			up++;
	while ((r = TAILQ_FIRST(&t->queue)) != NULL) {
		if (up == 0) {
			log_warnx("table %s: no %s running: %s lookup of "
			    "\"%s\" failed", t->name, t->progname,
			    tables_service_str(r->service), r->key);
			request_done(r, TABANS_TEMP, NULL);
			continue;
		}
		for (i = 0; i < LOOKUP_PROCS; i++)
			if (t->be[i].state == B_IDLE)
				break;
		if (i == LOOKUP_PROCS)
			return;
		b = &t->be[i];
		TAILQ_REMOVE(&t->queue, r, entry);
		t->nqueue--;
		r->b = b;
		b->req = r;
		b->state = B_BUSY;
		t->nflight++;
		if (request_send(b, r) == -1)
			up--;
	}
}

/* Its pid stays until it is reaped. */
static void
backend_down(struct backend *b)
{
	struct dbtable	*t = b->t;
	struct timeval	 tv;

	if (b->fd != -1) {
		(void)event_del(&b->rev);
		close(b->fd);
		b->fd = -1;
	}
	b->state = B_DOWN;
	if (b->req != NULL)
		request_done(b->req, TABANS_TEMP, NULL);
	if (!t->old) {
		b->backoff = b->backoff == 0 ? 1 : b->backoff * 2;
		if (b->backoff > LOOKUP_BACKOFF_MAX)
			b->backoff = LOOKUP_BACKOFF_MAX;
		tv = (struct timeval){ b->backoff, 0 };
		if (evtimer_add(&b->restart, &tv) == -1)
			fatal("evtimer_add");
	}
	/* A retired table's processes never run: its queue fails. */
	dispatch(t);
}

static int
backend_frame(struct backend *b, uint32_t type, const unsigned char *p,
    size_t len)
{
	struct request	*r = b->req;
	char		 value[TAPI_MAXLEN], why[192];
	int		 res;

	if (b->state == B_OPENING) {
		if (tapi_opened(type, len, why, sizeof(why)) == -1) {
			backend_kill(b, "%s", why);
			return -1;
		}
		b->state = B_IDLE;
		b->backoff = 0;
		log_debug("table %s: %s (pid %d) ready", b->t->name,
		    b->t->progname, (int)b->pid);
		dispatch(b->t);
		return 0;
	}
	if (b->state != B_BUSY || r == NULL) {
		backend_kill(b, "an answer to no question");
		return -1;
	}
	/*
	 * What it wrote on stderr before this answer is read first.
	 * table-ldap answers "not found" after a warning when it cannot reach
	 * the directory: no answer.  table-postgres and table-mysql warn too
	 * when they reconnect, then answer right: so a "not found" after a
	 * warning is asked once more.
	 */
	if (b->errfd != -1)
		backend_stderr(b->errfd, EV_READ, b);
	res = tapi_answer(type, p, len, r->service, r->key, value,
	    sizeof(value), why, sizeof(why));
	if (res == TAPI_NONE && b->warned && !r->again) {
		r->again = 1;
		return request_send(b, r);
	}
	if (res == TAPI_NONE && b->warned) {
		(void)snprintf(why, sizeof(why), "\"not found\" after a "
		    "warning: taken as no answer");
		res = TAPI_INVALID;
	}
	/*
	 * A weak kind of hash only when popd.conf says so.  One over its
	 * kind's ceiling goes on: authpop refuses and counts it.
	 */
	if (res == TAPI_FOUND && r->service == TAPI_CREDENTIALS &&
	    pwscheme_allowed(value, set->weak_hashes | PWA_COSTLY, NULL, why,
	    sizeof(why)) == -1) {
		explicit_bzero(value, sizeof(value));
		res = TAPI_INVALID;
	}
	if (res == TAPI_BAD) {
		backend_kill(b, "%s", why);
		return -1;
	}
	b->state = B_IDLE;
	if (res == TAPI_ERROR) {
		log_warnx("table %s: %s lookup of \"%s\" failed (%s%s%s)",
		    b->t->name, tables_service_str(r->service), r->key,
		    b->warned ? "see the lines of " : "", b->t->progname,
		    b->warned ? " before this one" :
		    " said nothing on its standard error");
		request_done(r, TABANS_TEMP, NULL);
	} else if (res == TAPI_INVALID) {
		log_warnx("table %s: the %s of \"%s\": %s", b->t->name,
		    tables_service_str(r->service), r->key, why);
		request_done(r, TABANS_TEMP, NULL);
	} else if (res == TAPI_NONE)
		request_done(r, TABANS_NONE, NULL);
	else {
		request_done(r, TABANS_FOUND, value);
		explicit_bzero(value, strlen(value));
	}
	if (b->fd != -1 && b->state == B_IDLE)
		dispatch(b->t);
	return b->fd == -1 ? -1 : 0;
}

static void
backend_read(int fd, short ev, void *arg)
{
	struct backend	*b = arg;
	uint32_t	 type;
	size_t		 plen;
	ssize_t		 n;
	char		 why[128];

	n = read(fd, b->in + b->inlen, sizeof(b->in) - b->inlen);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		backend_kill(b, "read: %s", strerror(errno));
		return;
	}
	if (n == 0) {
		backend_down(b);
		return;
	}
	b->inlen += n;
	while (b->fd != -1 && (n = tapi_frame(b->in, b->inlen, &type, &plen,
	    why, sizeof(why))) != 0) {
		if (n == -1) {
			backend_kill(b, "%s", why);
			return;
		}
		if (backend_frame(b, type, b->in + TAPI_HDRLEN, plen) == -1)
			return;
		memmove(b->in, b->in + n, b->inlen - n);
		b->inlen -= n;
	}
}

static void
backend_start(struct backend *b)
{
	struct dbtable	*t = b->t;
	struct rlimit	 rl;
	char		*argv[3], **envp;
	size_t		 n, i;
	unsigned char	 frame[TAPI_HDRLEN + sizeof(uint32_t) + TAPI_NAMELEN];
	int		 sp[2] = { -1, -1 }, ep[2] = { -1, -1 };
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1 ||
	    pipe2(ep, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		log_warn("table %s: %s", t->name, sp[0] == -1 ? "socketpair" :
		    ep[0] == -1 ? "pipe" : "fork");
		(void)close(sp[0]);
		(void)close(sp[1]);
		(void)close(ep[0]);
		(void)close(ep[1]);
		backend_down(b);
		return;
	}
	if (pid == 0) {
		if (dup2(sp[1], STDIN_FILENO) == -1 ||
		    dup2(ep[1], STDOUT_FILENO) == -1 ||
		    dup2(ep[1], STDERR_FILENO) == -1)
			_exit(1);
		closefrom(STDERR_FILENO + 1);
		for (i = 1; i < NSIG; i++)
			signal(i, SIG_DFL);
		rl.rlim_cur = rl.rlim_max = 0;
		(void)setrlimit(RLIMIT_CORE, &rl);
		if (setsid() == -1)
			_exit(1);
		/*
		 * popd's environment (MYSQL_UNIX_PORT, PGHOST...), as smtpd
		 * gives its table programs, but the table user's HOME.
		 */
		if ((envp = calloc(nenv + 2, sizeof(*envp))) == NULL)
			_exit(1);
		for (i = n = 0; i < nenv; i++)
			if (strncmp(table_env[i], "HOME=", 5) != 0)
				envp[n++] = table_env[i];
		envp[n++] = table_home;
		envp[n] = NULL;
		argv[0] = (char *)t->progname;
		argv[1] = t->config;
		argv[2] = NULL;
		execve(t->program, argv, envp);
		fprintf(stderr, "exec %s: %s\n", t->program, strerror(errno));
		_exit(1);
	}
	close(sp[1]);
	close(ep[1]);
	b->pid = pid;
	b->fd = sp[0];
	b->errfd = ep[0];
	b->inlen = b->errlen = 0;
	if (set_nonblock(b->fd) == -1 || set_nonblock(b->errfd) == -1)
		fatal("%s", __func__);
	event_set(&b->rev, b->fd, EV_READ | EV_PERSIST, backend_read, b);
	event_set(&b->errev, b->errfd, EV_READ | EV_PERSIST, backend_stderr,
	    b);
	if (event_add(&b->rev, NULL) == -1 || event_add(&b->errev, NULL) == -1)
		fatal("event_add");
	b->state = B_OPENING;
	log_debug("table %s: started %s %s, pid %d", t->name, t->program,
	    t->config, (int)pid);
	if (backend_send(b, frame, tapi_open(frame, sizeof(frame),
	    t->name)) == -1)
		backend_kill(b, "cannot open the table");
}

static void
backend_restart(int fd, short ev, void *arg)
{
	struct backend	*b = arg;
	struct timeval	 tv = { 1, 0 };

	if (b->t->old || b->state != B_DOWN)
		return;
	if (b->pid != -1) {
		/* Not reaped yet. */
		if (evtimer_add(&b->restart, &tv) == -1)
			fatal("evtimer_add");
		return;
	}
	backend_start(b);
}

static void
table_free_if_done(struct dbtable *t)
{
	int	i;

	if (!t->old || t->nflight > 0 || t->nqueue > 0)
		return;
	for (i = 0; i < LOOKUP_PROCS; i++)
		if (t->be[i].pid != -1)
			return;
	tablecache_clear(&t->cache);
	TAILQ_REMOVE(&tables, t, entry);
	free(t);
	if (draining && TAILQ_EMPTY(&tables)) {
		log_debug("drained");
		exit(0);
	}
}

static void
request_timeout(int fd, short ev, void *arg)
{
	struct request	*r = arg;
	struct dbtable	*t = r->t;

	if (r->b != NULL) {
		backend_kill(r->b, "no answer to the %s lookup of \"%s\" "
		    "within %d s (timeout lookup)",
		    tables_service_str(r->service), r->key,
		    set->timeout.lookup);
		return;
	}
	log_warnx("table %s: the %s lookup of \"%s\" waited %d s for a "
	    "free %s (timeout lookup)", t->name,
	    tables_service_str(r->service), r->key, set->timeout.lookup,
	    t->progname);
	request_done(r, TABANS_TEMP, NULL);
	table_free_if_done(t);
}

static void
backend_exited(pid_t pid, int status)
{
	struct dbtable	*t;
	struct backend	*b;
	int		 i;

	TAILQ_FOREACH(t, &tables, entry)
		for (i = 0; i < LOOKUP_PROCS; i++) {
			b = &t->be[i];
			if (b->pid != pid)
				continue;
			if (b->errfd != -1)
				backend_stderr(b->errfd, EV_READ, b);
			backend_quiet(b);
			if (!t->old)
				log_warnx("table %s: %s (pid %d) %s %d",
				    t->name, t->progname, (int)pid,
				    WIFSIGNALED(status) ? "killed by signal" :
				    "exited with status", WIFSIGNALED(status) ?
				    WTERMSIG(status) : WEXITSTATUS(status));
			b->pid = -1;
			if (b->errfd != -1) {
				(void)event_del(&b->errev);
				(void)evtimer_del(&b->errwake);
				close(b->errfd);
				b->errfd = -1;
			}
			if (b->state != B_DOWN)
				backend_down(b);
			table_free_if_done(t);
			return;
		}
}

void
tables_add(struct chan *c, const void *data, int fd)
{
	const struct msg_table	*m = data;
	struct dbtable		*t;
	int			 j;

	TAILQ_FOREACH(t, &tables, entry)
		if (strcmp(t->name, m->name) == 0)
			fatalx("table %s named twice", m->name);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(t->name, m->name, sizeof(t->name));
	(void)strlcpy(t->program, m->program, sizeof(t->program));
	(void)strlcpy(t->config, m->config, sizeof(t->config));
	(void)strlcpy(t->interp, m->interp, sizeof(t->interp));
	t->progname = strrchr(t->program, '/') != NULL ?
	    strrchr(t->program, '/') + 1 : t->program;
	TAILQ_INIT(&t->queue);
	tablecache_init(&t->cache, m->cache);
	TAILQ_INSERT_TAIL(&tables, t, entry);
	for (j = 0; j < LOOKUP_PROCS; j++) {
		t->be[j].t = t;
		t->be[j].pid = t->be[j].fd = t->be[j].errfd = -1;
	}
}

/* NULL-terminated, in the caller's memory. */
const char **
tables_exec(void)
{
	struct dbtable	*t;
	const char	**exec;
	size_t		 n = 0;

	TAILQ_FOREACH(t, &tables, entry)
		n++;
	if ((exec = calloc(2 * n + 1, sizeof(*exec))) == NULL)
		fatal("%s", __func__);
	n = 0;
	TAILQ_FOREACH(t, &tables, entry) {
		exec[n++] = t->program;
		if (t->interp[0] != '\0')
			exec[n++] = t->interp;
	}
	return exec;
}

void
tables_env(struct chan *c, const void *data, int fd)
{
	const struct msg_env	*m = data;
	char			**env;

	if ((env = reallocarray(table_env, nenv + 2, sizeof(*env))) == NULL)
		fatal("%s", __func__);
	table_env = env;
	if ((table_env[nenv] = strdup(m->var)) == NULL)
		fatal("%s", __func__);
	table_env[++nenv] = NULL;
}

void
tables_home(const char *dir)
{
	(void)snprintf(table_home, sizeof(table_home), "HOME=%s", dir);
}

void
tables_start(const struct conf_settings *s, tables_answer_cb done)
{
	struct dbtable	*t;
	int		 j;

	set = s;
	answer = done;
	TAILQ_FOREACH(t, &tables, entry)
		for (j = 0; j < LOOKUP_PROCS; j++) {
			evtimer_set(&t->be[j].restart, backend_restart,
			    &t->be[j]);
			evtimer_set(&t->be[j].errwake, backend_errwake,
			    &t->be[j]);
			backend_start(&t->be[j]);
		}
}

void
tables_drain(struct chan *c, const void *data, int fd)
{
	struct dbtable	*t, *next;

	draining = 1;
	TAILQ_FOREACH_SAFE(t, &tables, entry, next) {
		t->old = 1;
		if (t->nqueue == 0)
			table_retire(t);
		table_free_if_done(t);
	}
	if (TAILQ_EMPTY(&tables))
		exit(0);
}

void
tables_shutdown(void)
{
	struct dbtable	*t;
	int		 i;

	TAILQ_FOREACH(t, &tables, entry)
		for (i = 0; i < LOOKUP_PROCS; i++)
			if (t->be[i].pid != -1)
				(void)kill(t->be[i].pid, SIGTERM);
	exit(0);
}

/*
 * A credentials answer is a checked password hash; userinfo and alias come as
 * they came, for the parent to check.
 */
void
tables_lookup(uint64_t id, const char *name, int service, const char *key)
{
	struct dbtable	*t;
	struct request	*r;
	struct timeval	 tv = { set->timeout.lookup, 0 };
	const char	*value;
	int		 status;

	TAILQ_FOREACH(t, &tables, entry)
		if (!t->old && strcmp(t->name, name) == 0)
			break;
	if (t == NULL) {
		log_warnx("table %s: not running", name);
		answer(id, TABANS_TEMP, NULL);
		return;
	}
	if (tablecache_get(&t->cache, service, key, &status, &value)) {
		answer(id, status, value);
		return;
	}
	if (t->nqueue >= LOOKUP_QUEUE) {
		log_warnx("table %s: %zu lookups wait already: the database "
		    "is too slow", t->name, t->nqueue);
		answer(id, TABANS_TEMP, NULL);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("table %s", t->name);
		answer(id, TABANS_TEMP, NULL);
		return;
	}
	r->t = t;
	r->service = service;
	(void)strlcpy(r->key, key, sizeof(r->key));
	r->id = id;
	evtimer_set(&r->tmo, request_timeout, r);
	if (evtimer_add(&r->tmo, &tv) == -1)
		fatal("evtimer_add");
	TAILQ_INSERT_TAIL(&t->queue, r, entry);
	t->nqueue++;
	dispatch(t);
}

void
tables_reap(void)
{
	pid_t	pid;
	int	status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		backend_exited(pid, status);
}
