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
 * Sessions before login, and the logins.  A login is believed only for a
 * session the parent handed out; the ids and maildir come from our usertab:
 * a compromised authpop can at most name an existing user.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/tree.h>
#include <sys/wait.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "chan.h"
#include "config.h"
#include "settings.h"
#include "addr.h"
#include "pop3.h"
#include "table.h"
#include "lookup.h"
#include "stats.h"
#include "util.h"

/* Well under a front's timeout: [SYS/TEMP], never a hanging client. */
#define LOGIN_STORE	5
#define FD_RESERVE	64	/* descriptors kept for children, reloads */
/* Workers' pidfds' share of the session descriptors; beyond it, SIGCHLD. */
#define PIDFD_SHARE(budget)	((budget) / 4 * 3)

struct client {
	struct addrnode		 node;
	unsigned int		 prelogin;
	unsigned int		 loggedin;
};

struct worker {
	RB_ENTRY(worker)	 entry;
	pid_t			 pid;
	struct client		*client;
	char			 user[POPD_MAXUSER + 1];
	struct peeraddr		 peer;
	pid_t			 lpid;		/* the listener that relays it */
	uint32_t		 lid;		/* the listener's name for it */
	uint32_t		 sock;		/* listens[] it came in on */
	time_t			 since;		/* accepted at */
	struct stats_page	*page;
	time_t			 stuck;		/* in the store since, or 0 */
	int			 pidfd;		/* or -1: child.c reaps it on SIGCHLD */
	struct event		 exitev;	/* pidfd readable: it exited */
};
RB_HEAD(workertree, worker);

/* A session handed to an authpop, not yet logged in (MON_ONCE state). */
struct preauth {
	RB_ENTRY(preauth)	 entry;
	uint64_t		 id;
	struct client		*client;
	struct proc		*owner;		/* the authpop that has it */
	pid_t			 lpid;		/* the listener that relays it */
	uint32_t		 lid;		/* the listener's name for it */
	uint32_t		 flags;		/* SESSION_* */
	struct peeraddr		 peer;		/* the client */
	struct peeraddr		 local;		/* the address it came to */
	uint32_t		 sock;		/* listens[] it came in on */
	time_t			 since;		/* accepted at */
	char			 addr[PEER_STRLEN];	/* it, for logs */
	char			 tls[POPD_MAXTLS];
	dev_t			 dev;
	ino_t			 ino;
};

RB_HEAD(preauthtree, preauth);

/* LOGIN-DELAY: only usertab's users get here, so no larger than usertab. */
struct lastlogin {
	RB_ENTRY(lastlogin)	 entry;
	char			 name[POPD_MAXUSER + 1];
	time_t			 when;
};
RB_HEAD(lastlogintree, lastlogin);
static int	lastlogin_cmp(struct lastlogin *, struct lastlogin *);
RB_PROTOTYPE_STATIC(lastlogintree, lastlogin, entry, lastlogin_cmp)
RB_GENERATE_STATIC(lastlogintree, lastlogin, entry, lastlogin_cmp)
static struct lastlogintree lastlogins = RB_INITIALIZER(&lastlogins);

static int	preauth_cmp(struct preauth *, struct preauth *);
RB_PROTOTYPE_STATIC(preauthtree, preauth, entry, preauth_cmp)
RB_GENERATE_STATIC(preauthtree, preauth, entry, preauth_cmp)
static int	worker_cmp(struct worker *, struct worker *);
RB_PROTOTYPE_STATIC(workertree, worker, entry, worker_cmp)
RB_GENERATE_STATIC(workertree, worker, entry, worker_cmp)

static struct preauthtree preauths = RB_INITIALIZER(&preauths);
static size_t		 npreauth;
static struct addrtree	 clients = RB_INITIALIZER(&clients);
static struct workertree workers = RB_INITIALIZER(&workers);
static size_t		 nworkers;
static size_t		 nstuck;	/* workers stuck in the store */
static struct event	 stuckev;
static size_t		 npidfds;	/* workers reaped through one */
static int		 pidfd_floor;	/* where they are kept: above the rest */
static void		(*reaped_to)(pid_t, int); /* popd.c: whose child */
static size_t		 fd_budget = 256; /* session fds queued to authpop */
static struct lograte	 rate_prelogin, rate_loggedin, rate_busy;
static uint64_t		 next_id = 1;

static int
preauth_cmp(struct preauth *a, struct preauth *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

/* A stalled authpop must not take the descriptors we need elsewhere. */
void
fd_budget_set(rlim_t nofile)
{
	if (nofile > 1000000)
		nofile = 1000000;
	fd_budget = nofile > FD_RESERVE + (rlim_t)nlistens + 16 ?
	    nofile - FD_RESERVE - nlistens : 16;
	pidfd_floor = nofile - PIDFD_SHARE(fd_budget);
}

static int
lastlogin_cmp(struct lastlogin *a, struct lastlogin *b)
{
	return strcmp(a->name, b->name);
}

static int
login_too_soon(const char *user)
{
	struct lastlogin	 key, *l;
	time_t			 now = monotime();

	if (conf->set.login_delay <= 0)
		return 0;
	(void)strlcpy(key.name, user, sizeof(key.name));
	if ((l = RB_FIND(lastlogintree, &lastlogins, &key)) == NULL) {
		if ((l = calloc(1, sizeof(*l))) == NULL)
			fatal("%s", __func__);
		(void)strlcpy(l->name, user, sizeof(l->name));
		RB_INSERT(lastlogintree, &lastlogins, l);
	} else if (now - l->when < conf->set.login_delay)
		return 1;
	l->when = now;
	return 0;
}

static int
worker_cmp(struct worker *a, struct worker *b)
{
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

static struct client *
client_get(const struct peeraddr *peer)
{
	struct addrkey	 key;
	struct client	*cl;

	addr_key(peer, conf->set.per_address.ipv4_prefix,
	    conf->set.per_address.ipv6_prefix, &key);
	if ((cl = addrtree_get(&clients, &key, sizeof(*cl))) == NULL)
		log_warn("%s", __func__);
	return cl;
}

static void
client_put(struct client *cl)
{
	if (cl == NULL || cl->prelogin > 0 || cl->loggedin > 0)
		return;
	addrtree_del(&clients, cl);
}

static struct preauth *
preauth_take(struct proc *owner, uint64_t id)
{
	struct preauth	 key, *pa;

	key.id = id;
	if ((pa = RB_FIND(preauthtree, &preauths, &key)) == NULL ||
	    pa->owner != owner)
		return NULL;
	RB_REMOVE(preauthtree, &preauths, pa);
	return pa;
}

static void
preauth_free(struct preauth *pa)
{
	if (pa == NULL)
		return;
	npreauth--;
	pa->client->prelogin--;
	client_put(pa->client);
	free(pa);
}

/* A canned reply, never waited for (the listener may fill the socket). */
static void
session_refuse(int fd, const char *reply)
{
	(void)send(fd, reply, strlen(reply), MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

static int
listener_tell(pid_t lpid, uint32_t type, uint32_t lid, uint32_t why)
{
	struct proc	*l;
	struct msg_lid	 ml;

	if ((l = proc_alive(KIND_LISTENER, lpid)) == NULL)
		return 0;
	memset(&ml, 0, sizeof(ml));
	ml.lid = lid;
	ml.why = why;
	chan_send(&l->chan, type, -1, &ml, sizeof(ml));
	return 1;
}

/*
 * The limits per client address hang on the kernel having the connection:
 * a listener taken over would fill those of clients it does not serve.
 * Not on a PROXY port (the proxy's).  Linux only (compat.c).
 */
static int
session_connected(const struct msg_newsession *mn)
{
	unsigned char	l6[16], p6[16];

	if (mn->peer.af == 0 || mn->listen >= (uint32_t)nlistens ||
	    (listens[mn->listen].flags & LISTEN_PROXY))
		return 1;
	/* fe80::/10 needs its interface, which no message carries. */
	if (mn->peer.af == AF_INET6 && mn->peer.a[0] == 0xfe &&
	    (mn->peer.a[1] & 0xc0) == 0x80)
		return 1;
	if (compat_tcp_exists(mn->peer.af, mn->local.a, mn->local.port,
	    mn->peer.a, mn->peer.port) == 0)
		return 1;
	if (errno != ENOENT) {
		if (errno != ENOSYS)	/* OpenBSD: the listener's word */
			log_warn("the kernel's TCP connections");
		return 1;
	}
	if (mn->peer.af != AF_INET)
		return 0;
	memset(l6, 0, sizeof(l6));
	memset(p6, 0, sizeof(p6));
	l6[10] = l6[11] = p6[10] = p6[11] = 0xff;
	memcpy(l6 + 12, mn->local.a, 4);
	memcpy(p6 + 12, mn->peer.a, 4);
	return compat_tcp_exists(AF_INET6, l6, mn->local.port, p6,
	    mn->peer.port) == 0 || errno != ENOENT;
}

void
parent_listener_session(struct chan *c, const void *data, int fd)
{
	const struct msg_newsession	*mn = data;
	const struct conf_trusted	*t;
	struct msg_session		 ms;
	struct preauth			*pa;
	struct client			*cl;
	struct stat			 st;
	struct proc			*auth = current[KIND_AUTHPOP];
	char				 addr[PEER_STRLEN];
	int				 type, trusted = 0;
	socklen_t			 len = sizeof(type);

	if (fd == -1)
		return;		/* lost to our shortage, logged */
	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_STREAM) {
		chan_bad(c, "listener passed no stream socket");
		close(fd);
		return;
	}
	(void)peer_str(&mn->peer, addr, sizeof(addr));
	if (!session_connected(mn)) {
		log_rate(&rate_busy, "session from %s refused: the listener "
		    "named a connection the kernel does not have", addr);
		close(fd);
		return;
	}
	memset(&ms, 0, sizeof(ms));
	/*
	 * Plaintext passwords: from a trusted network, or through a proxy
	 * said to be trusted (it terminated TLS, proxy ... trusted).
	 */
	TAILQ_FOREACH(t, &conf->trusted, entry)
		if (net_match(&t->net, 1, &mn->peer))
			trusted = 1;
	ms.flags = mn->flags & ~SESSION_PROXYTRUST;
	if (!(mn->flags & SESSION_TLS) && (trusted ||
	    (mn->flags & SESSION_PROXYTRUST)))
		ms.flags |= SESSION_TRUSTED;
	ms.peer = mn->peer;
	ms.local = mn->local;
	ms.waited = mn->waited;
	if (auth == NULL || auth->chan.fd == -1) {
		log_rate(&rate_busy, "session from %s refused: authpop is "
		    "restarting", addr);
		goto busy;
	}
	if (npreauth >= (size_t)conf->set.limit.sessions) {
		STAT_INC(STAT_REFUSED_SESSIONS);
		log_rate(&rate_busy, "session from %s refused: %zu sessions "
		    "before login (limit sessions)", addr, npreauth);
		goto busy;
	}
	if (auth->chan.outfds + npidfds >= fd_budget) {
		log_rate(&rate_busy, "session from %s refused: authpop is not "
		    "taking sessions, %zu wait", addr, auth->chan.outfds);
		goto busy;
	}
	if ((cl = client_get(&mn->peer)) == NULL)
		goto busy;
	if (cl->prelogin >= (unsigned int)conf->set.per_address.sessions) {
		STAT_INC(STAT_REFUSED_ADDR_SESSIONS);
		log_rate(&rate_prelogin, "session from %s refused: %u sessions "
		    "before login from that address (limit per-address "
		    "sessions)", addr, cl->prelogin);
		client_put(cl);
		session_refuse(fd, BUSY_ADDR);
		return;
	}
	if ((pa = calloc(1, sizeof(*pa))) == NULL) {
		log_warn("session from %s", addr);
		client_put(cl);
		goto busy;
	}
	pa->client = cl;
	cl->prelogin++;
	npreauth++;
	pa->id = ms.id = next_id++;
	pa->owner = auth;
	pa->lpid = ((struct proc *)c->arg)->pid;
	pa->lid = mn->lid;
	pa->flags = ms.flags;
	pa->peer = mn->peer;
	pa->local = mn->local;
	pa->sock = mn->listen;
	pa->since = mn->since;
	(void)strlcpy(pa->addr, addr, sizeof(pa->addr));
	(void)strlcpy(pa->tls, mn->tls, sizeof(pa->tls));
	pa->dev = st.st_dev;
	pa->ino = st.st_ino;
	RB_INSERT(preauthtree, &preauths, pa);
	chan_send(&auth->chan, MSG_PARENT_SESSION, fd, &ms, sizeof(ms));
	return;
 busy:
	session_refuse(fd, BUSY);
}

static void
refuse(pid_t authpid, uint32_t code, int fd, const struct preauth *pa,
    time_t since)
{
	struct msg_refused	 mr;
	struct proc		*p;

	STAT_INC(code == REFUSED_TEMP ? STAT_LOGIN_TEMP :
	    code == REFUSED_PERM ? STAT_LOGIN_PERM :
	    code == REFUSED_STUCK ? STAT_LOGIN_INUSE :
	    code == REFUSED_TICKET ? STAT_LOGIN_AUTH : STAT_LOGIN_LIMIT);
	if (fd == -1)
		return;
	if ((p = proc_alive(KIND_AUTHPOP, authpid)) == NULL &&
	    ((p = current[KIND_AUTHPOP]) == NULL || p->chan.fd == -1)) {
		log_debug("session %llu: no authpop to say why its login "
		    "was refused", (unsigned long long)pa->id);
		close(fd);
		return;
	}
	memset(&mr, 0, sizeof(mr));
	mr.id = pa->id;
	mr.code = code;
	mr.flags = pa->flags;
	mr.peer = pa->peer;
	mr.since = since;
	chan_send(&p->chan, MSG_PARENT_REFUSED, fd, &mr, sizeof(mr));
}

/*
 * A worker's page, looked at every second: +1 just stuck in the store, -1
 * out, else 0.  The page's word is read once, as any untrusted number.
 */
int
store_watch(const struct stats_page *page, time_t *stuck, int limit,
    const char *kind, pid_t pid, const char *prep, const char *name)
{
	time_t	now = monotime(), wall = time(NULL);
	int64_t	b;
	int	in;

	if (page == NULL)
		return 0;
	b = ((const volatile struct stats_page *)page)->busy;
	in = b > 0 && b <= now && now - b > limit;
	if (in && *stuck == 0) {
		*stuck = wall - (now - b);
		STAT_INC(STAT_STORE_STUCK);
		log_warnx("%s %d %s %s: stuck in the mail store for %lld s"
		    "%s", kind, (int)pid, prep, name,
		    (long long)(now - b), strcmp(kind, "wrkrpop") == 0 ?
		    ": its maildrop stays locked until it returns" : "");
		return 1;
	}
	if (!in && *stuck != 0) {
		log_info("%s %d %s %s: out of the mail store after %lld s",
		    kind, (int)pid, prep, name, (long long)(wall - *stuck));
		*stuck = 0;
		return -1;
	}
	return 0;
}

int
store_busy_init(int pagefd)
{
	int64_t	busy = monotime();

	return pwrite(pagefd, &busy, sizeof(busy),
	    offsetof(struct stats_page, busy)) == sizeof(busy) ? 0 : -1;
}

static void
stuck_tick(int fd, short ev, void *arg)
{
	char		 names[HEALTH_STUCKMAX][POPD_MAXUSER + 1];
	struct worker	*w;
	size_t		 i, n = 0;
	int		 r, login, limit;

	memset(names, 0, sizeof(names));
	RB_FOREACH(w, workertree, &workers) {
		login = stats_state(w->page) == PAGE_LOGIN;
		limit = conf->set.timeout.store;
		if (login && limit > LOGIN_STORE)
			limit = LOGIN_STORE;
		r = store_watch(w->page, &w->stuck, limit, "wrkrpop", w->pid,
		    "of", w->user);
		nstuck += r;
		/* The page's word puts at stake only its own session. */
		if (r == 1 && login)
			(void)listener_tell(w->lpid, MSG_PARENT_KICK, w->lid,
			    KICK_STORE);
		for (i = 0; i < n && strcmp(names[i], w->user) != 0; i++)
			;
		if (w->stuck != 0 && i == n && n < HEALTH_STUCKMAX &&
		    valid_username(w->user))
			(void)strlcpy(names[n++], w->user, sizeof(names[0]));
	}
	health_stuck(0, nstuck);
	health_stuck_users(names);
}

static void
worker_to_sigchld(struct worker *w)
{
	event_del(&w->exitev);
	close(w->pidfd);
	w->pidfd = -1;
	npidfds--;
	child_track(w->pid);
}

/*
 * Not persistent: a traced worker (strace -p) is a zombie only its tracer
 * reaps, and the descriptor reads all that time; SIGCHLD reaps it then.
 */
static void
worker_exited(int fd, short ev, void *arg)
{
	struct worker	*w = arg;
	pid_t		 pid = w->pid;
	int		 status;
#ifdef __linux__
	siginfo_t	 si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG) == -1)
		log_warn("wrkrpop %d: waitid", (int)pid);
	else if (si.si_pid == 0)
		log_debug("wrkrpop %d: exited, not yet reaped (traced?): "
		    "reaped on SIGCHLD", (int)pid);
	/* Either way si_pid is still 0. */
	if (si.si_pid == 0) {
		worker_to_sigchld(w);
		return;
	}
	if (si.si_code == CLD_EXITED)
		status = W_EXITCODE(si.si_status, 0);
	else
		status = W_EXITCODE(0, si.si_status) |
		    (si.si_code == CLD_DUMPED ? WCOREFLAG : 0);
#else
	/* child_spawn gives none elsewhere. */
	if (waitpid(pid, &status, WNOHANG) <= 0) {
		worker_to_sigchld(w);
		return;
	}
#endif
	reaped_to(pid, status);
}

static void
worker_add(pid_t pid, const struct preauth *pa, const char *user,
    struct stats_page *page, int pidfd)
{
	struct timeval	 tv = { 1, 0 };
	struct worker	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("%s", __func__);
	w->pid = pid;
	w->client = pa->client;
	(void)strlcpy(w->user, user, sizeof(w->user));
	w->peer = pa->peer;
	w->lpid = pa->lpid;
	w->lid = pa->lid;
	w->sock = pa->sock;
	w->since = pa->since;
	w->page = page;
	w->pidfd = pidfd;
	w->client->loggedin++;
	RB_INSERT(workertree, &workers, w);
	nworkers++;
	health_sessions(nworkers);
	if (!event_initialized(&stuckev)) {
		event_set(&stuckev, -1, EV_PERSIST, stuck_tick, NULL);
		if (event_add(&stuckev, &tv) == -1)
			fatal("%s: event_add", __func__);
	}
	if (pidfd != -1) {
		event_set(&w->exitev, pidfd, EV_READ, worker_exited, w);
		if (event_add(&w->exitev, NULL) == -1)
			fatal("%s: event_add", __func__);
		npidfds++;
	}
}

static time_t
stuck_since(const char *user)
{
	struct worker	*w;

	if (nstuck == 0)
		return 0;
	RB_FOREACH(w, workertree, &workers)
		if (w->stuck != 0 && strcmp(w->user, user) == 0)
			return w->stuck;
	return 0;
}

/* The ids and path come from our own usertab, never from authpop. */
static void
spawn_worker(pid_t authpid, const struct msg_login *ml,
    const struct preauth *pa, int fd, const struct mailuser *u,
    const struct conf_junk *junk)
{
	struct stats_page	*page;
	struct msg_worker	 who;
	int			 pagefd = -1, pidfd = -1, moved, code = 0;
	pid_t			 pid;
	time_t			 since = 0;

	if (nworkers >= (size_t)conf->set.limit.logged_in) {
		log_rate(&rate_loggedin, "login of \"%s\" from %s refused: %zu "
		    "sessions logged in (limit logged-in)", u->name, pa->addr,
		    nworkers);
		STAT_INC(STAT_REFUSED_LOGGED_IN);
		code = REFUSED_BUSY;
	} else if (pa->client->loggedin >=
	    (unsigned int)conf->set.per_address.logged_in) {
		log_rate(&rate_loggedin, "login of \"%s\" from %s refused: %u "
		    "sessions logged in from that address (limit per-address "
		    "logged-in)", u->name, pa->addr, pa->client->loggedin);
		STAT_INC(STAT_REFUSED_ADDR_LOGGED_IN);
		code = REFUSED_BUSY_ADDR;
	} else if (login_too_soon(u->name)) {
		log_info("login of \"%s\" refused: within the login-delay of "
		    "%d seconds", u->name, conf->set.login_delay);
		STAT_INC(STAT_REFUSED_LOGIN_DELAY);
		code = REFUSED_DELAY;
	} else if ((since = stuck_since(u->name)) != 0) {
		log_info("login of \"%s\" refused: a session of the user is "
		    "stuck in the mail store", u->name);
		code = REFUSED_STUCK;
	}
	if (code != 0) {
		refuse(authpid, code, fd, pa, since);
		return;
	}

	memset(&who, 0, sizeof(who));
	who.peer = pa->peer;
	who.junk = *junk;
	(void)strlcpy(who.tls, pa->tls, sizeof(who.tls));
	if (ml->app[0] != '\0')
		(void)snprintf(who.cred, sizeof(who.cred), "app:%s", ml->app);
	else
		(void)strlcpy(who.cred, ml->expiry != 0 ? "ticket" :
		    "password", sizeof(who.cred));
	if ((page = stats_page_new(&pagefd)) != NULL &&
	    store_busy_init(pagefd) == -1)
		log_warn("wrkrpop for %s: its page", u->name);
	if ((pid = mailuser_spawn(0, u, &who, fd, pagefd,
	    npidfds < PIDFD_SHARE(fd_budget) ? &pidfd : NULL)) == -1) {
		stats_page_free(page);
		refuse(authpid, REFUSED_TEMP, fd, pa, 0);
		return;
	}
	close(fd);
	/*
	 * Up: a child spawned next copies the descriptors below its own
	 * only (child.c).  Without room it stays, costing spawns a copy.
	 */
	if (pidfd != -1 && pidfd < pidfd_floor &&
	    (moved = fcntl(pidfd, F_DUPFD_CLOEXEC, pidfd_floor)) != -1) {
		close(pidfd);
		pidfd = moved;
	}
	worker_add(pid, pa, u->name, page, pidfd);
	log_debug("wrkrpop for %s: pid %d, uid %u gid %u, %s", u->name,
	    (int)pid, (unsigned)u->uid, (unsigned)u->gid, u->maildir);
}

struct login_wait {
	pid_t			 authpid;	/* the authpop that asked */
	struct msg_login	 ml;
	struct preauth		*pa;
	int			 fd;
	struct mailuser		 mu;		/* found: its junk asked */
};

/* A table that cannot say: [SYS/TEMP], never a session hiding the folder. */
static void
login_junk(void *arg, int status, const struct conf_junk *junk)
{
	struct login_wait	*w = arg;

	if (status == LOOKUP_TEMP) {
		log_warnx("login of \"%s\" refused: junk users <%s> could not "
		    "say which folder to merge", w->ml.user,
		    conf->set.junk_users);
		refuse(w->authpid, REFUSED_TEMP, w->fd, w->pa, 0);
	} else
		spawn_worker(w->authpid, &w->ml, w->pa, w->fd, &w->mu, junk);
	preauth_free(w->pa);
	free(w);
}

static void
login_found(void *arg, int status, const struct mailuser *mu,
    const char *why)
{
	struct login_wait	*w = arg;
	const char		*tab = conf->set.usertab;
	int			 db = conf->set.usersrc == TABSRC_LOOKUP;

	if (status == MU_FOUND) {
		/* Still before login until its junk folder is known. */
		w->mu = *mu;
		userjunk_find(mu->name, login_junk, w);
		return;
	}
	/* The authpop that asked may have gone: the session is ours. */
	if (status == MU_TEMP)
		log_warnx("login of \"%s\" refused: table %s could not say "
		    "who the user is", w->ml.user, tab);
	else if (status == MU_NONE)
		log_warnx("login of \"%s\" refused: not in %s%s", w->ml.user,
		    db ? "table " : "", tab);
	else
		log_warnx("login of \"%s\" refused: the userinfo of %s%s: %s",
		    w->ml.user, db ? "table " : "", tab, why);
	refuse(w->authpid, status == MU_TEMP || status == MU_BROKEN ?
	    REFUSED_TEMP : REFUSED_PERM, w->fd, w->pa, 0);
	preauth_free(w->pa);
	free(w);
}

void
parent_authpop_login(struct chan *c, const void *data, int fd)
{
	const struct msg_login	*ml = data;
	struct login_wait	*w;
	struct preauth		*pa;
	struct stat		 st;
	pid_t			 authpid = ((struct proc *)c->arg)->pid;
	int			 spent = 0;

	if ((pa = preauth_take(c->arg, ml->id)) == NULL) {
		chan_bad(c, "authpop logged in unknown session %llu",
		    (unsigned long long)ml->id);
		goto bad;
	}
	if (fd == -1)
		goto refused;
	if (fstat(fd, &st) == -1 || st.st_dev != pa->dev ||
	    st.st_ino != pa->ino) {
		preauth_free(pa);
		chan_bad(c, "authpop passed another socket for session %llu",
		    (unsigned long long)ml->id);
		goto bad;
	}
	/* A router's ticket: once, whichever authpop it came to. */
	if (ml->expiry != 0 && (spent = spent_take(ml->nonce,
	    ml->expiry)) != 0) {
		log_info("session %llu: %s: a ticket for %s refused: %s",
		    (unsigned long long)ml->id, pa->addr, ml->user,
		    spent == SPENT_AGAIN ? "used before" : "too many tickets "
		    "in their minute");
		goto refused;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("login of \"%s\"", ml->user);
		goto refused;
	}
	w->authpid = authpid;
	w->ml = *ml;
	w->pa = pa;
	w->fd = fd;
	mailuser_find(ml->user, login_found, w);
	return;
 refused:
	refuse(authpid, spent == SPENT_AGAIN ? REFUSED_TICKET : REFUSED_TEMP,
	    fd, pa, 0);
	preauth_free(pa);
	return;
 bad:
	if (fd != -1)
		close(fd);
}

void
parent_authpop_closed(struct chan *c, const void *data, int fd)
{
	const struct msg_id	*mi = data;

	preauth_free(preauth_take(c->arg, mi->id));
}

void
parent_authpop_penalty(struct chan *c, const void *data, int fd)
{
	struct proc	*cur = current[KIND_AUTHPOP];

	if (cur != NULL && &cur->chan != c && !cur->draining)
		chan_send(&cur->chan, MSG_PARENT_PENALTY, -1, data,
		    sizeof(struct msg_penalty));
}

/* With its own socket only, as a login is. */
void
parent_authpop_handback(struct chan *c, const void *data, int fd)
{
	const struct msg_handback	*mh = data;
	struct proc			*auth = current[KIND_AUTHPOP];
	struct preauth			*pa;
	struct msg_session		 ms;
	struct stat			 st;

	if ((pa = preauth_take(c->arg, mh->id)) != NULL && fd == -1) {
		preauth_free(pa);
		return;
	}
	if (pa == NULL || fstat(fd, &st) == -1 || st.st_dev != pa->dev ||
	    st.st_ino != pa->ino) {
		chan_bad(c, "%s for session %llu, not one of this authpop's "
		    "with its socket", msg_type_str(MSG_AUTHPOP_HANDBACK),
		    (unsigned long long)mh->id);
		preauth_free(pa);
		if (fd != -1)
			close(fd);
		return;
	}
	if (auth == NULL || auth == c->arg || auth->chan.fd == -1) {
		log_debug("session %llu: no authpop to hand it to",
		    (unsigned long long)pa->id);
		preauth_free(pa);
		session_refuse(fd, BUSY);
		return;
	}
	memset(&ms, 0, sizeof(ms));
	ms.id = pa->id;
	ms.flags = pa->flags;
	ms.waited = mh->waited;
	ms.peer = pa->peer;
	ms.local = pa->local;
	(void)strlcpy(ms.user, mh->user, sizeof(ms.user));
	log_debug("session %llu: from authpop %d to authpop %d",
	    (unsigned long long)pa->id, (int)((struct proc *)c->arg)->pid,
	    (int)auth->pid);
	pa->owner = auth;
	RB_INSERT(preauthtree, &preauths, pa);
	chan_send(&auth->chan, MSG_PARENT_SESSION, fd, &ms, sizeof(ms));
}

void
parent_authpop_stls(struct chan *c, const void *data, int fd)
{
	const struct msg_id	*mi = data;
	struct preauth		*pa;

	pa = preauth_take(c->arg, mi->id);
	if (pa == NULL || !(pa->flags & SESSION_STLS)) {
		preauth_free(pa);
		chan_bad(c, "%s for session %llu, not a plaintext session of "
		    "this authpop", msg_type_str(MSG_AUTHPOP_STLS),
		    (unsigned long long)mi->id);
		return;
	}
	if (!listener_tell(pa->lpid, MSG_PARENT_STARTTLS, pa->lid, 0))
		log_debug("STLS for session %llu: its listener is gone",
		    (unsigned long long)pa->id);
	preauth_free(pa);
}

void
login_reaped_to(void (*fn)(pid_t, int))
{
	reaped_to = fn;
}

struct stats_page *
worker_reaped(pid_t pid, int status)
{
	struct worker		 key, *w;
	struct stats_page	*page;

	if (WIFSIGNALED(status))
		log_warnx("wrkrpop %d killed by signal %d", (int)pid,
		    WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		log_debug("wrkrpop %d exited %d", (int)pid,
		    WEXITSTATUS(status));
	key.pid = pid;
	if ((w = RB_FIND(workertree, &workers, &key)) == NULL)
		return NULL;
	RB_REMOVE(workertree, &workers, w);
	nworkers--;
	health_sessions(nworkers);
	if (w->stuck != 0) {
		log_info("wrkrpop %d of %s: ended after %lld s stuck in the "
		    "mail store", (int)pid, w->user,
		    (long long)(time(NULL) - w->stuck));
		health_stuck(0, --nstuck);
	}
	if (w->pidfd != -1) {
		event_del(&w->exitev);
		close(w->pidfd);
		npidfds--;
	}
	w->client->loggedin--;
	client_put(w->client);
	page = w->page;
	free(w);
	return page;
}

size_t
login_sessions(void)
{
	return nworkers;
}

void
login_walk(void (*fn)(const struct sessview *, void *), void *arg)
{
	struct sessview	 v;
	struct preauth	*pa;
	struct worker	*w;

	RB_FOREACH(pa, preauthtree, &preauths) {
		memset(&v, 0, sizeof(v));
		v.peer = &pa->peer;
		v.sock = pa->sock;
		v.since = pa->since;
		fn(&v, arg);
	}
	RB_FOREACH(w, workertree, &workers) {
		memset(&v, 0, sizeof(v));
		v.user = w->user;
		v.peer = &w->peer;
		v.sock = w->sock;
		v.since = w->since;
		v.loggedin = 1;
		v.page = w->page;
		v.stuck = w->stuck;
		fn(&v, arg);
	}
}

/* A dropped connection: no DELE applied. */
int
login_kick_user(const char *user)
{
	struct worker	*w;
	int		 n = 0;

	RB_FOREACH(w, workertree, &workers)
		if (strcmp(w->user, user) == 0 && listener_tell(w->lpid,
		    MSG_PARENT_KICK, w->lid, KICK_POPCTL))
			n++;
	return n;
}

void
preauth_clear(struct proc *owner)
{
	struct preauth	*pa, *next;

	RB_FOREACH_SAFE(pa, preauthtree, &preauths, next)
		if (pa->owner == owner) {
			RB_REMOVE(preauthtree, &preauths, pa);
			preauth_free(pa);
		}
}
