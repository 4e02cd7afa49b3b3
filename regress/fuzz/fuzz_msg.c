/*
 * fuzz_msg -- libFuzzer target for the receive path of the message layer
 * (common/msg.c) as the parent uses it: arbitrary datagrams, with 0 to 3
 * passed descriptors, read by a channel with the parent's rules for the
 * listener or for authpop.  Aborts if a descriptor leaks, if a handler
 * sees a message its rule does not allow, or on any sanitizer finding.
 *
 *	make fuzz && regress/fuzz/fuzz_msg -max_total_time=60
 *
 * Input: byte 0 picks the sender (bit 0) and the descriptor count (bits
 * 1-2) and whether they go in one or several control messages (bit 3);
 * the rest is the datagram.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "proto.h"
#include "../fdcount.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct msg_rule	*current;
static size_t			 ncurrent;

/* A handler may only see what a rule allows: check it, then drop it. */
static void
handler(struct chan *c, const void *data, size_t len, int fd)
{
	size_t	i;

	for (i = 0; i < ncurrent; i++)
		if (current[i].size == len &&
		    (current[i].fd == MSG_FD) == (fd != -1))
			break;
	if (i == ncurrent)
		abort();
	if (fd != -1)
		close(fd);
}

static void
bad(struct chan *c)
{
}

static void
eof(struct chan *c)
{
}

static const struct msg_rule from_listener[] = {
	{ MSG_LISTENER_SESSION, sizeof(struct msg_newsession), MSG_FD,
	    handler },
};
static const struct msg_rule from_authpop[] = {
	{ MSG_AUTHPOP_LOGIN, sizeof(struct msg_login), MSG_FD, handler },
	{ MSG_AUTHPOP_CLOSED, sizeof(struct msg_id), MSG_NOFD, handler },
	{ MSG_AUTHPOP_STLS, sizeof(struct msg_id), MSG_NOFD, handler },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int) * 3) * 3];
	} cbuf;
	struct chan	 c;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	int		 sp[2], pfd[2], fds[3], nfds, split, before, i;
	size_t		 clen = 0;

	if (!init) {
		/* Rejections are logged: to syslog, not the fuzzer's output. */
		log_init(0, LOG_USER);
		log_procinit("fuzz_msg");
		event_init();
		init = 1;
	}
	if (size < 1 || size > sizeof(struct msg_hdr) + MSG_MAXPAYLOAD + 64)
		return 0;
	before = open_fds();
	if (data[0] & 1) {
		current = from_authpop;
		ncurrent = nitems(from_authpop);
	} else {
		current = from_listener;
		ncurrent = nitems(from_listener);
	}
	nfds = (data[0] >> 1) & 3;
	split = (data[0] >> 3) & 1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
		abort();
	chan_init(&c, sp[0], "parent", "child", current, ncurrent, eof,
	    NULL);
	c.bad = bad;

	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = (void *)(data + 1);
	iov.iov_len = size - 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	for (i = 0; i < nfds; i++) {
		if (pipe(pfd) == -1)
			abort();
		fds[i] = pfd[0];
		close(pfd[1]);
	}
	if (nfds > 0) {
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		for (i = 0; i < (split ? nfds : 1); i++) {
			int	n = split ? 1 : nfds;

			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
			memcpy(CMSG_DATA(cm), fds + i, sizeof(int) * n);
			clen += CMSG_SPACE(sizeof(int) * n);
			cm = CMSG_NXTHDR(&mh, cm);
		}
		mh.msg_controllen = clen;
	}
	if (sendmsg(sp[1], &mh, 0) == -1)
		abort();
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);
	chan_close(&c);
	close(sp[1]);
	if (open_fds() != before)
		abort();
	return 0;
}
