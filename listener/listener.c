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
 * listener.c -- accepts connections on the sockets the parent binds,
 * terminates TLS with libtls and relays plaintext over one socketpair per
 * session.  It runs chrooted as POPD_USER and never parses POP3: bytes go
 * through unchanged.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <event.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include "proto.h"
#include "pki.h"
#include "chan.h"
#include "addr.h"
#include "listener_proxy.h"
#include "pop3.h"
#include "proc.h"
#include "sandbox.h"
#include "stats.h"
#include "listener.h"

static struct chan	parent_chan;
static struct chan	key_chan;
static struct msg_signed key_answer;
static int		key_answered;
struct peeraddr		lnames[POPD_MAXLISTEN];

struct session_list			sessions =
    TAILQ_HEAD_INITIALIZER(sessions);
static struct conf_settings		set;
static struct pki_pair			 pairs[POPD_MAXPKI];
static struct tls			*tls_srv[POPD_MAXPKI];
static struct tls_config		*tls_cfg[POPD_MAXPKI];	/* tickets */
static size_t				 npki;
unsigned int				 nsessions;
/* Each holds a third descriptor, counted as half a session. */
static unsigned int			 ngreeted;
#define FDS_USED	(2 * nsessions + ngreeted)
static uint32_t				 next_lid;
static int				 draining;
static unsigned int			 maxsessions = UINT_MAX;
static int				 full;
/* Stamped by the wall clock, which libtls reads on every handshake. */
static struct {
	uint32_t	 rev;
	time_t		 added;
	int		 have;
	int		 asked;		/* for a key after rev */
} tkey;
static const int	greeted_wait = GREETED_WAIT;
static const struct {
	const int	*limit;
	const char	*why;
} states[] = {
	[SESS_PROXY] = { &set.timeout.handshake,
	    "no PROXY header in time, closing" },
	[SESS_WAITHS] = { &set.timeout.handshake,
	    "no turn for a TLS handshake in time, closing" },
	[SESS_WAITKEY] = { &set.timeout.handshake,
	    "no TLS ticket key in time, closing" },
	[SESS_HANDSHAKE] = { &set.timeout.handshake,
	    "TLS handshake timeout" },
	[SESS_GREETED] = { &greeted_wait, NULL },
	[SESS_RELAY] = { &set.timeout.send,
	    "client takes no data, closing" },
	[SESS_CLOSING] = { &set.timeout.close,
	    "client takes no data, closing" },
	[SESS_STLS] = { &set.timeout.close,
	    "client takes no data, closing" },
};

/*
 * libtls asks in the middle of tls_handshake(): the other sessions wait the
 * few milliseconds of keypop's work too, as in smtpd and relayd.
 */
static int
key_sign(const uint8_t *id, uint32_t kind, const uint8_t *in, size_t len,
    uint8_t *sig, size_t *siglen)
{
	struct msg_sign	 m;
	struct pollfd	 pfd;
	int		 n;

	if (len > sizeof(m.in))
		return -1;
	memset(&m, 0, sizeof(m));
	memcpy(m.id, id, sizeof(m.id));
	m.kind = kind;
	m.len = len;
	memcpy(m.in, in, len);
	key_answered = 0;
	chan_send(&key_chan, MSG_LISTENER_SIGN, -1, &m, sizeof(m));
	if (chan_sync(&key_chan) == -1)
		fatalx("keypop is gone: no key to sign with");
	/* keypop answers at once, or is stuck: we would be too. */
	while (!key_answered) {
		pfd.fd = key_chan.fd;
		pfd.events = POLLIN;
		if ((n = poll(&pfd, 1, KEY_TIMEOUT * 1000)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (n == 0)
			fatalx("keypop did not sign within %d seconds",
			    KEY_TIMEOUT);
		chan_poll(&key_chan);
	}
	if (key_answer.len == 0)
		return -1;
	memcpy(sig, key_answer.sig, key_answer.len);
	*siglen = key_answer.len;
	return 0;
}

static void
listener_key_signed(struct chan *c, const void *data, int fd)
{
	memcpy(&key_answer, data, sizeof(key_answer));
	key_answered = 1;
}

static void
listener_key_eof(struct chan *c)
{
	fatalx("keypop closed its channel");
}

static void
listener_parent_conf_pki(struct chan *c, const void *data, int fd)
{
	const struct msg_pki	*m = data;

	if (npki == POPD_MAXPKI)
		fatalx("more than %d keypairs", POPD_MAXPKI);
	if (pki_recv(fd, m->certlen, &pairs[npki]) == -1)
		fatal("certificate %zu from the parent", npki);
	npki++;
}

/*
 * The parent makes a key every L/4 by its monotonic clock, so one older than
 * L/2 means the wall clock stepped ahead (NTP, a VM resumed): libtls would
 * fail handshakes at L, so those that could get there wait for a new key.
 */
static int
hs_waitkey(void)
{
	struct msg_rekey	 m;
	time_t			 age;

	if (set.tls_tickets == 0 || !tkey.have)
		return 0;
	age = time(NULL) - tkey.added;
	if (age <= set.tls_tickets / 2)
		return 0;
	if (!tkey.asked) {
		log_info("tls tickets: the wall clock stepped ahead: key %u "
		    "looks %llds old, a new key asked", (unsigned)tkey.rev,
		    (long long)age);
		memset(&m, 0, sizeof(m));
		m.rev = tkey.rev;
		m.lifetime = set.tls_tickets;
		chan_send(&parent_chan, MSG_LISTENER_REKEY, -1, &m, sizeof(m));
		tkey.asked = 1;
	}
	return age > set.tls_tickets - set.tls_tickets / 4;
}

/* Every context issues tickets under it, and takes the three keys before. */
static void
listener_parent_ticket(struct chan *c, const void *data, int fd)
{
	struct msg_ticket	 m;
	struct session		*s;
	size_t			 i;

	_Static_assert(sizeof(m.key) == TLS_TICKET_KEY_SIZE, "ticket key");
	if (set.tls_tickets == 0)	/* a draining one of before a reload */
		return;
	memcpy(&m, data, sizeof(m));
	for (i = 0; i < npki; i++)
		if (tls_config_add_ticket_key(tls_cfg[i], m.rev, m.key,
		    sizeof(m.key)) == -1)
			log_warnx("tls tickets: key %u: %s", (unsigned)m.rev,
			    tls_config_error(tls_cfg[i]));
	tkey.rev = m.rev;
	tkey.added = time(NULL);
	tkey.have = 1;
	tkey.asked = 0;
	explicit_bzero(&m, sizeof(m));
	TAILQ_FOREACH(s, &sessions, entry)
		if (s->state == SESS_WAITKEY)
			session_turn(s);
}

static void
listener_open(void *arg)
{
	struct rlimit	rl;

	if (event_init() == NULL)
		fatalx("event_init failed");
	chan_start(&key_chan);
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < UINT_MAX)
		maxsessions = rl.rlim_cur > LISTENER_RESERVE * 2 ?
		    (rl.rlim_cur - LISTENER_RESERVE) / 2 : LISTENER_RESERVE / 2;
	admit_init(&set);
	relay_init();
}

static void
listener_sandbox(void *arg)
{
	sandbox_listener();
}

static void
listener_parent_listen(struct chan *c, const void *data, int fd)
{
	const struct msg_listen	*ml = data;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (fd == -1)
		fatalx("no descriptors for the listening sockets");
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    peer_from_sockaddr(&lnames[ml->sock], (struct sockaddr *)&ss,
	    len) == -1)
		memset(&lnames[ml->sock], 0, sizeof(lnames[0]));
	if ((ml->flags & LISTEN_HEALTH) == 0 &&
	    (ml->pki >= npki || (ml->flags & LISTEN_HTTP)))
		fatalx("%s from parent: pki %u of %zu",
		    msg_type_str(MSG_PARENT_LISTEN), ml->pki, npki);
	accept_add(fd, ml, (ml->flags & LISTEN_HEALTH) ? NULL :
	    tls_srv[ml->pki], full);
}

static void
listener_parent_drain(struct chan *c, const void *data, int fd)
{
	draining = 1;
	accept_close();
	setproctitle("listener (draining)");
	log_debug("draining, %u sessions left", nsessions);
	if (nsessions == 0)
		exit(0);
}

static void
listener_parent_eof(struct chan *c)
{
	log_debug("parent closed the channel, exiting");
	exit(0);
}

/*
 * The parent starts another listener on the same sockets when every listener
 * is full.  The two marks are an eighth apart so that nothing flaps.
 */
static void
listener_full(int on)
{
	struct msg_count	 m;

	full = on;
	accept_stop(on);
	if (on)
		log_info("%u connections, as many as our descriptors allow: "
		    "taking no more (another listener takes them)",
		    nsessions);
	else
		log_info("%u connections: taking new ones again", nsessions);
	memset(&m, 0, sizeof(m));
	m.n = on;
	chan_send(&parent_chan, MSG_LISTENER_FULL, -1, &m, sizeof(m));
}

void
session_timer(struct session *s, int on)
{
	struct timeval	tv = { 0, 0 };

	if (on == s->timer_on)
		return;
	s->timer_on = on;
	if (!on) {
		evtimer_del(&s->timer);
		return;
	}
	s->lastsend = monotime();
	tv.tv_sec = *states[s->state].limit;
	evtimer_add(&s->timer, &tv);
}

static int
hs_tls(struct session *s)
{
	if (tls_accept_socket(s->tlsctx, &s->io.tls, s->io.sock) == -1) {
		log_warnx("%s: tls_accept_socket: %s", s->addr,
		    tls_error(s->tlsctx));
		session_free(s);
		return -1;
	}
	s->state = SESS_HANDSHAKE;
	session_timer(s, 0);
	session_timer(s, 1);
	return 0;
}

/* -1 while it waits or once the session is gone. */
static int
hs_start(struct session *s, int first)
{
	if (hs_wait(&s->adm, first))
		s->state = SESS_WAITHS;
	else {
		hs_begin(&s->adm);
		if (!hs_waitkey())
			return hs_tls(s);
		s->state = SESS_WAITKEY;
		session_timer(s, 0);	/* timeout handshake from now */
	}
	session_watch(s, s->io.sock, &s->sockev, &s->sockwant, 0);
	session_watch(s, s->io.pair, &s->pairev, &s->pairwant, 0);
	session_timer(s, 1);
	return -1;
}

/*
 * The parent counts the pair's other end against the limits once the client's
 * first bytes are in it, or after GREETED_WAIT.  -1 once the session is gone.
 */
static int
session_greeted(struct session *s, int now)
{
	struct msg_newsession	ms;

	if (s->io.upsent == 0 && !now) {
		if (!s->io.client_eof)
			return 0;
		log_debug("%s: left after the greeting", s->addr);
		session_free(s);
		return -1;
	}
	s->state = SESS_RELAY;
	ngreeted--;
	if (full && FDS_USED < 2 * (maxsessions - maxsessions / 8))
		listener_full(0);
	memset(&ms, 0, sizeof(ms));
	ms.lid = s->lid;
	if (s->io.tls == NULL)
		ms.flags = SESSION_STLS |
		    (s->proxytrust ? SESSION_PROXYTRUST : 0);
	else
		ms.flags = SESSION_TLS | (s->resumed ? SESSION_RESUMED : 0);
	ms.peer = s->peer;
	ms.local = s->local;
	ms.listen = s->lsock;
	ms.since = s->since;
	ms.waited = monotime() - s->greeted;
	(void)strlcpy(ms.tls, s->io.tls != NULL ? tls_conn_version(s->io.tls) :
	    "plaintext", sizeof(ms.tls));
	chan_send(&parent_chan, MSG_LISTENER_SESSION, s->handoff, &ms,
	    sizeof(ms));
	s->handoff = -1;
	return 0;
}

/*
 * Waiting for the first bytes lets authpop take the session and the first
 * command in one wake-up.
 */
static int
session_start(struct session *s)
{
	unsigned char	*p;
	size_t		 room, len = sizeof(POP3_GREETING) - 1;

	s->state = SESS_GREETED;
	s->greeted = monotime();
	s->io.upsent = 0;
	ngreeted++;
	if (!s->resumed) {
		if (relaybuf_space(&s->io.down, 1, &p, &room) == -1 ||
		    room < len) {
			log_warn("%s: no memory for a reply", s->addr);
			session_free(s);
			return -1;
		}
		memcpy(p, POP3_GREETING, len);
		s->io.down.len += len;
	}
	if (full || FDS_USED > 2 * maxsessions)
		return session_greeted(s, 1);
	return 0;
}

static int
session_handshake(struct session *s)
{
	int	r;

	r = tls_handshake(s->io.tls);
	if (r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT) {
		session_watch(s, s->io.sock, &s->sockev, &s->sockwant,
		    r == TLS_WANT_POLLIN ? EV_READ : EV_WRITE);
		return -1;
	}
	if (r == -1) {
		STAT_INC(STAT_TLS_FAILURES);
		if (client_gone(&s->io))
			log_debug("%s: closed during the TLS handshake",
			    s->addr);
		else
			log_info("%s: TLS handshake: %s", s->addr,
			    client_error(&s->io));
		session_free(s);
		return -1;
	}
	session_timer(s, 0);
	hs_end(&s->adm);
	log_debug("%s: %s %s%s", s->addr, tls_conn_version(s->io.tls),
	    tls_conn_cipher(s->io.tls),
	    tls_conn_session_resumed(s->io.tls) ? ", resumed" : "");
	return session_start(s);
}

/* A fresh pair, so that no byte from before TLS reaches authpop. */
static int
session_stls(struct session *s)
{
	int	sp[2], r, sent = 0;

	session_watch(s, s->io.pair, &s->pairev, &s->pairwant, 0);
	r = relay_stls(&s->io, STLS_OK, sizeof(STLS_OK) - 1, &sent);
	if (r == -1)
		return -1;
	if (sent)
		s->lastsend = monotime();
	if (r == 1) {
		session_watch(s, s->io.sock, &s->sockev, &s->sockwant,
		    EV_WRITE);
		session_timer(s, 1);
		return -1;
	}

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0) {
		s->io.pair = sp[0];
		s->handoff = sp[1];
	}
	if (s->io.pair == -1 || set_nonblock(s->io.pair) == -1) {
		log_warn("%s: STLS: socketpair", s->addr);
		session_free(s);
		return -1;
	}
	relaybuf_release(&s->io.down);
	relaybuf_release(&s->io.up);
	s->resumed = 1;
	log_debug("%s: STLS", s->addr);
	/* Waiting beats a close that looks like a network error. */
	return hs_start(s, 0);
}

/*
 * Each direction stops reading while its buffer is full, so a slow reader
 * holds back its writer instead of growing our memory.
 */
static void
session_run(struct session *s)
{
	struct timeval	 now = { 0, 0 };
	short		 sw, pw;
	int		 progress, sent = 0, rounds = 0;

	if (s->state == SESS_PROXY && session_proxy(s) == -1)
		return;
	if (s->state == SESS_WAITHS && (s->adm.waiting ||
	    hs_start(s, 1) == -1))
		return;
	if (s->state == SESS_STLS && session_stls(s) == -1)
		return;
	if (s->state == SESS_WAITKEY && (hs_waitkey() || hs_tls(s) == -1))
		return;
	if (s->state == SESS_HANDSHAKE && session_handshake(s) == -1)
		return;

	do {
		sw = pw = 0;
		if ((progress = relay_round(&s->io, &sw, &pw, &sent)) == -1)
			return;
	} while (progress && ++rounds < RELAY_ROUNDS);
	if (s->state == SESS_GREETED && session_greeted(s, 0) == -1)
		return;

	/* Come back later: TLS may hold data no poll would report. */
	if (progress)
		evtimer_add(&s->again, &now);
	relaybuf_release(&s->io.up);
	relaybuf_release(&s->io.down);
	/*
	 * No idle timeout here (the worker has the POP3 one), but a client
	 * that stops taking what we owe it must not pin the session.
	 */
	if (sent)
		s->lastsend = monotime();
	session_timer(s, s->io.down.len > 0 || s->io.piped > 0 ||
	    s->state == SESS_CLOSING || s->state == SESS_GREETED);
	session_watch(s, s->io.sock, &s->sockev, &s->sockwant, sw);
	session_watch(s, s->io.pair, &s->pairev, &s->pairwant, pw);
}

static void
session_event(int fd, short ev, void *arg)
{
	session_run(arg);
}

void
session_watch(struct session *s, int fd, struct event *ev, short *cur,
    short want)
{
	if (want == *cur)
		return;
	if (*cur != 0)
		event_del(ev);
	*cur = want;
	if (want == 0)
		return;
	event_set(ev, fd, want | EV_PERSIST, session_event, s);
	if (event_add(ev, NULL) == -1)
		fatal("event_add");
}

/*
 * Progress only moves lastsend, so the timer is rearmed here instead of on
 * every write.  A reader freeing less than half a full send buffer (2 MB on
 * Linux) in timeout send looks dead.
 */
static void
session_timeout(int fd, short ev, void *arg)
{
	struct session	*s = arg;
	struct timeval	 tv = { 0, 0 };
	time_t		 limit, idle;

	limit = *states[s->state].limit;
	idle = monotime() - s->lastsend;
	if (idle < limit) {
		tv.tv_sec = limit - idle;
		evtimer_add(&s->timer, &tv);
		return;
	}
	if (s->state == SESS_GREETED) {
		s->timer_on = 0;	/* it fired */
		if (session_greeted(s, 1) == 0)
			session_run(s);
		return;
	}
	if (s->state == SESS_HANDSHAKE || s->state == SESS_WAITKEY)
		STAT_INC(STAT_TLS_FAILURES);
	else if (s->state == SESS_WAITHS)
		STAT_INC(STAT_REFUSED_ADDR_HANDSHAKES);
	log_info("%s: %s", s->addr, states[s->state].why);
	session_free(s);
}

/* -1 while its handshake waits or once the session is gone. */
int
session_begin(struct session *s)
{
	if (client_admit(&s->adm, &s->peer) == -1) {
		if (!s->tlsport)
			(void)send(s->io.sock, BUSY_ADDR,
			    sizeof(BUSY_ADDR) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		session_free(s);
		return -1;
	}
	if (!s->tlsport)
		return session_start(s);
	/*
	 * Many users behind one address (NAT) may connect at once: a
	 * connection waits its turn, unread, instead of being cut before TLS
	 * could carry a reply.  client_admit bounds the waiting.
	 */
	return hs_start(s, 0);
}

void
session_new(int fd, const struct sockaddr *sa, socklen_t salen,
    const struct listen_sock *l, int *spare)
{
	struct session	*s;
	struct sockaddr_storage ss;
	socklen_t	 sslen = sizeof(ss);
	int		 on = 1;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("session");
		close(fd);
		return;
	}
	/* Our end too: a router's ticket names the backend (loginticket.c). */
	if (peer_from_sockaddr(&s->peer, sa, salen) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    peer_from_sockaddr(&s->local, (struct sockaddr *)&ss,
	    sslen) == -1) {
		log_warnx("connection from %s: not IPv4 or IPv6",
		    peer_str(&s->peer, s->addr, sizeof(s->addr)));
		free(s);
		close(fd);
		return;
	}
	s->adm.arg = s;
	s->adm.addr = s->addr;
	s->io.arg = s;
	s->io.addr = s->addr;
	s->io.sock = fd;
	s->io.up.size = RELAY_UP;
	s->io.down.size = RELAY_DOWN;
	s->io.pipe[0] = s->io.pipe[1] = -1;
	s->tlsctx = l->tls;
	s->lid = ++next_lid;
	s->lsock = l->sock;
	s->since = time(NULL);
	s->io.pair = spare[0];
	s->handoff = spare[1];
	spare[0] = spare[1] = -1;
	(void)peer_str(&s->peer, s->addr, sizeof(s->addr));
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		log_debug("%s: TCP_NODELAY: %s", s->addr, strerror(errno));
	evtimer_set(&s->timer, session_timeout, s);
	evtimer_set(&s->again, session_event, s);
	TAILQ_INSERT_TAIL(&sessions, s, entry);
	nsessions++;
	if (!full && FDS_USED >= 2 * maxsessions)
		listener_full(1);
	trim_after_spike(nsessions);
	log_debug("%s: connected", s->addr);
	s->tlsport = (l->flags & LISTEN_TLS) != 0;
	if ((l->flags & LISTEN_PROXY) ? proxy_accept(s) == -1 :
	    session_begin(s) == -1)
		return;
	session_run(s);
}

void
session_closing(void *arg)
{
	struct session	*s = arg;

	s->state = SESS_CLOSING;
	session_timer(s, 0);	/* rearmed by session_run */
}

void
session_turn(void *arg)
{
	struct session	*s = arg;
	struct timeval	 now = { 0, 0 };

	evtimer_add(&s->again, &now);
}

void
session_free(void *arg)
{
	struct session	*s = arg;

	log_debug("%s: closed", s->addr);
	hs_end(&s->adm);
	client_leave(&s->adm);
	session_watch(s, s->io.sock, &s->sockev, &s->sockwant, 0);
	session_watch(s, s->io.pair, &s->pairev, &s->pairwant, 0);
	evtimer_del(&s->timer);
	evtimer_del(&s->again);
	tls_free(s->io.tls);
	close(s->io.sock);
	if (s->io.pair != -1)
		close(s->io.pair);
	if (s->handoff != -1)
		close(s->handoff);
	freezero(s->ph, PROXY_MAX);
	/* Client bytes may hold a password. */
	freezero(s->io.up.data, RELAY_UP);
	free(s->io.down.data);
	pipe_give(&s->io);
	TAILQ_REMOVE(&sessions, s, entry);
	nsessions--;
	if (s->state == SESS_GREETED)
		ngreeted--;
	free(s);
	if (draining && nsessions == 0)
		exit(0);
	if (full && FDS_USED < 2 * (maxsessions - maxsessions / 8))
		listener_full(0);
	trim_after_spike(nsessions);
}

static void
listener_parent_starttls(struct chan *c, const void *data, int fd)
{
	const struct msg_lid	*ml = data;
	struct session		*s;

	TAILQ_FOREACH(s, &sessions, entry)
		if (s->lid == ml->lid)
			break;
	if (s == NULL || s->io.tls != NULL || s->state != SESS_RELAY) {
		log_debug("STLS for session %u: no such plaintext session",
		    ml->lid);
		return;
	}
	relaybuf_consume(&s->io.up, s->io.up.len, 1);
	s->state = SESS_STLS;
	session_run(s);
}

static const struct msg_handler from_key[] = {
	{ MSG_KEY_SIGNED,		listener_key_signed },
};

static void
listener_load(struct proc_setup *ps)
{
	char	why[512];
	size_t	i;

	if (set_cloexec(POPD_CONF_FD) == -1)
		fatal("no channel to keypop on fd %d", POPD_CONF_FD);
	chan_init(&key_chan, POPD_CONF_FD, PROC_LISTENER, PROC_KEY, PH_RUN,
	    from_key, nitems(from_key), listener_key_eof, NULL);
	compat_tls_signer(key_sign);
	pki_keyless = compat_tls_keyless;
	pki_keyless_done = compat_tls_keyless_done;

	/* No keypair: a router for nginx's auth_http only. */
	if (npki == 0)
		log_debug("no certificate: no POP3 listener");
	for (i = 0; i < npki; i++)
		if ((tls_srv[i] = pki_tls(npki, pairs, i, set.tls_protocols,
		    set.tls_tickets, &tls_cfg[i], why, sizeof(why))) == NULL)
			fatalx("cannot serve TLS: keypair %zu: %s", i, why);
	for (i = 0; i < npki; i++)
		free(pairs[i].cert);	/* no key: keypop holds it */
}

static const struct msg_handler from_parent[] = {
	{ MSG_PARENT_CONF,		proc_parent_conf },
	{ MSG_PARENT_CONF_PKI,		listener_parent_conf_pki },
	{ MSG_PARENT_CONF_PROXY,	listener_parent_conf_proxy },
	{ MSG_PARENT_CONF_END,		proc_parent_conf_end },
	{ MSG_PARENT_LISTEN,		listener_parent_listen },
	{ MSG_PARENT_STARTTLS,		listener_parent_starttls },
	{ MSG_PARENT_DRAIN,		listener_parent_drain },
	{ MSG_PARENT_STATS,		proc_parent_stats },
	{ MSG_PARENT_KICK,		listener_parent_kick },
	{ MSG_PARENT_CTLCHAN,		listener_parent_ctlchan },
	{ MSG_PARENT_VERBOSE,		proc_parent_verbose },
	{ MSG_PARENT_TICKET,		listener_parent_ticket },
	{ MSG_PARENT_HEALTH,		listener_parent_health },
};

static const struct proc_role listener_role = {
	.setup = {
		.role = "listener",
		.title = "listener",
		.user = POPD_USER,
		.chroot = 1,
		.nofile = 1,		/* two descriptors per session */
		.nohup = 1,
		.open = listener_open,
		.sandbox = listener_sandbox,
	},
	.self = PROC_LISTENER,
	.chan = &parent_chan,
	.handlers = from_parent,
	.nhandlers = nitems(from_parent),
	.settings = &set,
	.eof = listener_parent_eof,
	.load = listener_load,
};

int
main(int argc, char *argv[])
{
	proc_run(&listener_role, argc, argv);
}
