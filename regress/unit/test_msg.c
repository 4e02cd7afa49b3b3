/*
 * test_msg -- the message layer (common/msg.c) against its rules, over
 * real SOCK_SEQPACKET socketpairs, with datagrams crafted by hand: every
 * malformed message is rejected before any handler runs, the peer is
 * reported (bad handler) or the receiver dies (no bad handler), and no
 * descriptor that came with a rejected message stays open.  Links msg.c
 * and what it calls (log.c, util.c, compat) only.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <event.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "proto.h"
#include "../fdcount.h"
#include "unit.h"

static int	handled, handled_fd, bad_called, eof_called;
static size_t	handled_len;

static void
on_msg(struct chan *c, const void *data, size_t len, int fd)
{
	handled++;
	handled_fd = fd;
	handled_len = len;
}

static void
on_bad(struct chan *c)
{
	bad_called++;
}

static void
on_eof(struct chan *c)
{
	eof_called++;
}

/* What this test's receiver takes: one rule of each kind. */
static const struct msg_rule rules[] = {
	{ MSG_PARENT_LISTEN, sizeof(struct msg_listen), MSG_FD, on_msg },
	{ MSG_PARENT_STARTTLS, sizeof(struct msg_lid), MSG_NOFD, on_msg },
	{ MSG_PARENT_DRAIN, 0, MSG_NOFD, on_msg },
};

/*
 * Send one raw datagram: hdr (if hdrlen), then payload, with the fds in
 * ncmsg control messages (fds spread over them).
 */
static void
send_raw(int s, const void *hdr, size_t hdrlen, const void *payload,
    size_t plen, const int *fds, int nfds, int ncmsg)
{
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int) * 4) * 4];
	} cbuf;
	struct msghdr	 mh;
	struct iovec	 iov[2];
	struct cmsghdr	*cm;
	int		 i, per;
	size_t		 clen = 0;

	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	iov[0].iov_base = (void *)hdr;
	iov[0].iov_len = hdrlen;
	iov[1].iov_base = (void *)payload;
	iov[1].iov_len = plen;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (nfds > 0) {
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		per = nfds / ncmsg;
		for (i = 0; i < ncmsg; i++) {
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * per);
			memcpy(CMSG_DATA(cm), fds + i * per, sizeof(int) * per);
			clen += CMSG_SPACE(sizeof(int) * per);
			cm = CMSG_NXTHDR(&mh, cm);
		}
		mh.msg_controllen = clen;
	}
	if (sendmsg(s, &mh, 0) == -1) {
		perror("sendmsg");
		exit(2);
	}
}

struct msgcase {
	const char	*name;
	uint32_t	 type, version, len;	/* header fields */
	size_t		 hdrlen, plen;		/* bytes actually sent */
	int		 nfds, ncmsg;
	int		 ok;			/* handler expected */
};

/*
 * Run one case on a fresh channel; check the handler ran or the peer was
 * reported, and that descriptors are back to what they were.
 */
static void
run_case(const struct msgcase *tc)
{
	struct chan	 c;
	struct msg_hdr	 hdr;
	unsigned char	 payload[64];
	int		 sp[2], pfd[2], fds[4], before, i;

	before = open_fds();
	handled = bad_called = eof_called = 0;
	handled_fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1) {
		perror("socketpair");
		exit(2);
	}
	chan_init(&c, sp[0], "test", "peer", rules, nitems(rules), on_eof,
	    NULL);
	c.bad = on_bad;
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = tc->type;
	hdr.version = tc->version;
	hdr.len = tc->len;
	memset(payload, 0, sizeof(payload));
	for (i = 0; i < tc->nfds; i++) {
		if (pipe(pfd) == -1)
			exit(2);
		fds[i] = pfd[0];
		close(pfd[1]);
	}
	send_raw(sp[1], &hdr, tc->hdrlen, payload, tc->plen, fds, tc->nfds,
	    tc->ncmsg ? tc->ncmsg : 1);
	for (i = 0; i < tc->nfds; i++)
		close(fds[i]);
	(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);

	if (tc->ok) {
		CHECK(handled == 1 && bad_called == 0, "%s: handled %d, bad %d,"
		    " want 1, 0", tc->name, handled, bad_called);
		CHECK((tc->nfds == 1) == (handled_fd != -1),
		    "%s: handler fd %d with %d sent", tc->name, handled_fd,
		    tc->nfds);
		CHECK(handled_len == tc->len, "%s: handler got %zu bytes, "
		    "want %u", tc->name, handled_len, tc->len);
		if (handled_fd != -1)
			close(handled_fd);
	} else
		CHECK(handled == 0 && bad_called == 1 && eof_called == 0,
		    "%s: handled %d, bad %d, eof %d, want 0, 1, 0", tc->name,
		    handled, bad_called, eof_called);
	chan_close(&c);
	close(sp[1]);
	CHECK(open_fds() == before, "%s: %d descriptors open, %d before",
	    tc->name, open_fds(), before);
}

/* Without a bad() handler a malformed message is fatal: in a child. */
static void
fatal_without_handler(void)
{
	struct chan	 c;
	struct msg_hdr	 hdr;
	int		 sp[2], status;
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
		exit(2);
	if ((pid = fork()) == 0) {
		close(sp[1]);
		(void)dup2(open("/dev/null", O_WRONLY), STDERR_FILENO);
		event_reinit(event_init());
		chan_init(&c, sp[0], "test", "peer", rules, nitems(rules),
		    on_eof, NULL);
		(void)event_loop(0);
		_exit(0);
	}
	close(sp[0]);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = 99;
	hdr.version = MSG_VERSION;
	send_raw(sp[1], &hdr, sizeof(hdr), NULL, 0, NULL, 0, 1);
	(void)waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "a receiver without bad() dies: status %#x", status);
	close(sp[1]);
}

/* chan_send to chan_read: payload and descriptor arrive as sent. */
static void
round_trip(void)
{
	struct chan		 a, b;
	struct msg_listen	 ml = { LISTEN_TLS, 0 };
	int			 sp[2], pfd[2], before;

	before = open_fds();
	handled = bad_called = 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1 ||
	    pipe(pfd) == -1)
		exit(2);
	close(pfd[1]);
	chan_init(&a, sp[0], "a", "b", NULL, 0, on_eof, NULL);
	chan_init(&b, sp[1], "b", "a", rules, nitems(rules), on_eof, NULL);
	b.bad = on_bad;
	chan_send(&a, MSG_PARENT_LISTEN, pfd[0], &ml, sizeof(ml));
	chan_send(&a, MSG_PARENT_DRAIN, -1, NULL, 0);
	(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);
	(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);
	CHECK(handled == 2 && bad_called == 0, "round trip: handled %d, "
	    "bad %d", handled, bad_called);
	chan_close(&a);
	chan_close(&b);
	CHECK(open_fds() == before + 1, "round trip: the handler owns one "
	    "descriptor (%d open, %d before)", open_fds(), before);
	close(handled_fd);
}

/*
 * Out of descriptors ourselves: the kernel drops a message's descriptor
 * (MSG_CTRUNC).  That is not the peer's fault: the handler runs with -1
 * and the channel stays.  A message that must not carry one still is.
 */
static void
own_shortage(void)
{
	struct chan		 c;
	struct msg_hdr		 hdr;
	struct msg_listen	 ml = { LISTEN_TLS, 0 };
	struct rlimit		 rl, low;
	int			 sp[2], pfd[2], hog[64], nhog = 0, fd;

	handled = bad_called = eof_called = 0;
	handled_fd = 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1 ||
	    pipe(pfd) == -1 || getrlimit(RLIMIT_NOFILE, &rl) == -1)
		exit(2);
	close(pfd[1]);
	chan_init(&c, sp[0], "test", "peer", rules, nitems(rules), on_eof,
	    NULL);
	c.bad = on_bad;
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = MSG_PARENT_LISTEN;
	hdr.version = MSG_VERSION;
	hdr.len = sizeof(ml);
	send_raw(sp[1], &hdr, sizeof(hdr), &ml, sizeof(ml), &pfd[0], 1, 1);
	close(pfd[0]);
	/* Every descriptor below the limit taken: none left to receive. */
	low = rl;
	low.rlim_cur = open_fds() + 8;
	if (setrlimit(RLIMIT_NOFILE, &low) == -1)
		exit(2);
	while (nhog < (int)nitems(hog) && (fd = dup(sp[1])) != -1)
		hog[nhog++] = fd;
	(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);
	while (nhog > 0)
		close(hog[--nhog]);
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	CHECK(handled == 1 && handled_fd == -1 && bad_called == 0,
	    "own shortage: handled %d with fd %d, bad %d; want 1, -1, 0",
	    handled, handled_fd, bad_called);
	CHECK(c.fd != -1, "own shortage: the channel stays open");
	chan_close(&c);
	close(sp[1]);
}

int
main(void)
{
	const size_t	 H = sizeof(struct msg_hdr);
	const uint32_t	 V = MSG_VERSION;
	const uint32_t	 LS = sizeof(struct msg_listen);
	const uint32_t	 LD = sizeof(struct msg_lid);
	const struct msgcase cases[] = {
		{ "listen with its socket", MSG_PARENT_LISTEN, V, LS, H, LS,
		    1, 1, 1 },
		{ "drain", MSG_PARENT_DRAIN, V, 0, H, 0, 0, 1, 1 },
		{ "starttls", MSG_PARENT_STARTTLS, V, LD, H, LD, 0, 1, 1 },
		{ "short header", MSG_PARENT_DRAIN, V, 0, 3, 0, 0, 1, 0 },
		{ "short header with a socket", MSG_PARENT_DRAIN, V, 0, 3, 0,
		    1, 1, 0 },
		{ "payload too long", MSG_PARENT_LISTEN, V, LS + 4, H, LS + 4,
		    1, 1, 0 },
		{ "payload too short", MSG_PARENT_STARTTLS, V, LD - 1, H,
		    LD - 1, 0, 1, 0 },
		{ "length not the datagram's", MSG_PARENT_STARTTLS, V, LD, H,
		    LD + 2, 0, 1, 0 },
		{ "wrong version", MSG_PARENT_DRAIN, V + 1, 0, H, 0, 0, 1, 0 },
		{ "wrong version with a socket", MSG_PARENT_LISTEN, V + 1, LS,
		    H, LS, 1, 1, 0 },
		{ "unknown type", 99, V, 0, H, 0, 0, 1, 0 },
		{ "not from this sender", MSG_AUTHPOP_CLOSED, V,
		    sizeof(struct msg_id), H, sizeof(struct msg_id), 0, 1, 0 },
		{ "descriptor missing", MSG_PARENT_LISTEN, V, LS, H, LS, 0, 1,
		    0 },
		{ "descriptor unexpected", MSG_PARENT_DRAIN, V, 0, H, 0, 1, 1,
		    0 },
		{ "two descriptors", MSG_PARENT_LISTEN, V, LS, H, LS, 2, 1,
		    0 },
		{ "two control messages", MSG_PARENT_LISTEN, V, LS, H, LS, 2,
		    2, 0 },
		{ "four descriptors, no header", 0, 0, 0, 0, 0, 4, 2, 0 },
		{ "empty datagram with a descriptor", 0, 0, 0, 0, 0, 1, 1, 0 },
	};
	size_t		 i;
	struct chan	 c;
	int		 sp[2];

	log_init(1, LOG_MAIL);
	log_procinit("test_msg");
	/* The bad-message log lines are expected: keep them off stdout. */
	(void)dup2(open("/dev/null", O_WRONLY), STDERR_FILENO);
	event_init();

	for (i = 0; i < nitems(cases); i++)
		run_case(&cases[i]);

	/* A real end of channel is EOF, not a malformed message. */
	eof_called = bad_called = 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
		exit(2);
	chan_init(&c, sp[0], "test", "peer", rules, nitems(rules), on_eof,
	    NULL);
	c.bad = on_bad;
	close(sp[1]);
	(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);
	CHECK(eof_called == 1 && bad_called == 0, "close is EOF: eof %d, "
	    "bad %d", eof_called, bad_called);

	round_trip();
	own_shortage();
	fatal_without_handler();
	CHECK_STR(msg_type_str(MSG_AUTHPOP_LOGIN), "AUTHPOP_LOGIN");
	CHECK_STR(msg_type_str(12345), "UNKNOWN");
	return unit_done();
}
