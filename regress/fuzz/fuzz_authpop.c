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
 * fuzz_authpop -- libFuzzer target for authpop's AUTHORIZATION state as
 * it runs: the real authpop.c and session.c (included, for their static
 * functions) with verify.c, its scheduler (host.c) and check queue
 * (check.c), configured with what the parent would send (its line
 * framing with peek-then-read, over-long lines, USER/PASS, AUTH PLAIN
 * with its continuation state, CAPA, STLS, QUIT) on one session per
 * input over a real socketpair, with a channel to a stand-in parent.
 * Password checks go through the per-address queue and are answered at
 * once as failures (the bcrypt threads do not run, the failure delay is
 * not waited for), which takes the session back to its commands.  Aborts
 * on any sanitizer finding, or if a descriptor or a session outlives its
 * input.
 *
 *	make fuzz && regress/fuzz/fuzz_authpop -max_total_time=60
 *
 * Input: byte 0 picks the kind of connection (implicit TLS, plaintext
 * with STLS, trusted plaintext); the rest is what the client sends.
 */
#define main	authpop_program_main
#include "../../authpop/authpop.c"
#undef main
#include "../../authpop/session.c"

#include <syslog.h>

#include "../fdcount.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	parent_end = -1;

/* What authpop sent the parent: read and dropped, descriptors closed. */
static void
drain_parent(void)
{
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int) * 4)];
	} cbuf;
	unsigned char	 buf[2048];
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	int		 fd;

	(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);
	for (;;) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		if (recvmsg(parent_end, &mh, MSG_DONTWAIT) <= 0)
			return;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm)) {
			memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
			close(fd);
		}
	}
}

/*
 * The bcrypt workers' answer, at once: wrong password, through the fair
 * queue (jobs_dispatch, host.c) and the failure delay, whose timer is
 * not waited for.  What jobs_collect (check.c) does with an answer.
 */
static void
answer_checks(void)
{
	struct job	*j;
	struct session	*s;

	jobs_dispatch();	/* what jobs_kick leaves to the loop */
	while ((j = TAILQ_FIRST(&jobs_todo)) != NULL) {
		TAILQ_REMOVE(&jobs_todo, j, entry);
		inflight--;
		if (j->failing)
			inflight_failing--;
		j->ok = 0;
		if ((s = session_find(j->id)) != NULL && s->state == S_CHECK) {
			auth_result(s, j);
			if (s->state == S_DELAY)
				s->ops->failed(s);
		}
		freezero(j, sizeof(*j));
		jobs_dispatch();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t kinds[] = { SESSION_TLS, SESSION_STLS,
	    SESSION_STLS | SESSION_TRUSTED, SESSION_TLS | SESSION_RESUMED };
	static int		 init;
	static uint64_t		 id;
	struct msg_session	 ms;
	struct session		*s;
	char			 sink[4096];
	int			 cs[2], sp[2], before, i;
	size_t			 off;
	ssize_t			 n;

	if (!init) {
		log_init(0, LOG_USER);
		event_init();
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
			abort();
		/* Configured (MSG_PARENT_CONF_END) and serving. */
		chan_init(&parent, sp[0], PROC_AUTHPOP, PROC_PARENT, PH_RUN,
		    from_parent, nitems(from_parent), authpop_parent_eof,
		    NULL);
		chan_start(&parent);
		parent_end = sp[1];
		/* What the parent would send, with EXPIRE and LOGIN-DELAY. */
		auth_set = settings_defaults;
		auth_set.expire = 30;
		auth_set.login_delay = 60;
		evtimer_set(&kick_ev, jobs_kicked, NULL);
		/*
		 * As authpop_open: a check whose client hung up while it
		 * waited (a later input's, once an earlier one's failure
		 * delay ends) is closed by jobs_dispatch through this.
		 */
		host_init(session_close);
		nworkers = 1;		/* answer_checks plays the worker */
		init = 1;
	}
	if (size < 1 || size > 32768)
		return 0;
	before = open_fds();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, cs) == -1)
		abort();
	memset(&ms, 0, sizeof(ms));
	ms.id = ++id;
	ms.flags = kinds[data[0] % nitems(kinds)];
	if (peer_parse("127.0.0.1:1", &ms.peer) == -1)
		abort();
	auth_session_new(NULL, &ms, cs[0]);
	if ((s = session_find(ms.id)) == NULL)
		abort();

	/* The client's bytes, a socket buffer at a time; replies dropped. */
	for (off = 1, i = 0; i < 64 && (s = session_find(ms.id)) != NULL;
	    i++) {
		if (off < size && (n = send(cs[1], data + off, size - off,
		    MSG_DONTWAIT)) > 0)
			off += n;
		else if (off == size) {
			shutdown(cs[1], SHUT_WR);
			off++;
		}
		session_read(cs[0], EV_READ, s);
		answer_checks();
		if ((s = session_find(ms.id)) != NULL)
			session_write(cs[0], EV_WRITE, s);
		while (recv(cs[1], sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
		drain_parent();
	}
	if ((s = session_find(ms.id)) != NULL)
		session_close(s, 1);
	drain_parent();
	close(cs[1]);
	if (nsessions != 0 || open_fds() != before)
		abort();
	return 0;
}
