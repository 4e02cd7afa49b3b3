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
 * fuzz_msg -- libFuzzer target for the receive path of the message layer
 * (common/msg.c) and the declarations it enforces (common/proto.c):
 * arbitrary datagrams, with 0 to 3 passed descriptors, read by a channel
 * in any phase.  Above all the parent's ends, which read what the
 * listener and authpop send (the network's side of popd); also the
 * children's ends, for the validators of the parent's messages.  Aborts
 * if a descriptor leaks, if a handler sees a message that does not pass
 * its declaration (sender, receiver, phase, exact size, fields,
 * descriptor), or on any sanitizer finding.
 *
 *	make fuzz && regress/fuzz/fuzz_msg -max_total_time=60
 *
 * Input: byte 0 picks the channel (bits 0-2: the parent's end to the
 * listener, to authpop, the listener's, authpop's, a wrkrpop's, the
 * control process's end to the parent, the parent's end to it,
 * keypop's; with bit 5 and fewer than two descriptors, bits 0-1: the
 * listener's and authpop's ends to the control process, its ends to
 * them), the descriptor count (bits 3-4), whether they go in one or
 * several control messages (bit 5) and the phase (bits 6-7: run, drain,
 * configuration, start); the rest is the datagram.  The handler tables are derived
 * from the declarations (msgends.h).
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

#include "chan.h"
#include "log.h"
#include "../fdcount.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t	*datagram;	/* what was sent */
static size_t		 datagram_len;

/*
 * A handler may only see a message that passes its declaration: the
 * datagram is exactly its header and payload, from this peer, in this
 * phase, with good fields and its descriptor.  Check it, then drop it.
 */
static void
on_message(struct chan *c, uint32_t type, const void *data, int fd)
{
	const struct msg_decl	*d;
	struct msg_hdr		 hdr;

	/* A message that moves the phase is handled in the new one. */
	if ((d = msg_decl(type)) == NULL || d->from != c->peer ||
	    !(d->to & c->self) || (d->next != 0 ? c->phase != d->next :
	    !(d->phases & c->phase)))
		abort();
	if (datagram_len != sizeof(hdr) + d->size)
		abort();
	memcpy(&hdr, datagram, sizeof(hdr));
	if (hdr.type != type || hdr.version != MSG_VERSION ||
	    hdr.len != d->size)
		abort();
	if (d->size > 0 && memcmp(data, datagram + sizeof(hdr), d->size) != 0)
		abort();
	if (d->valid(data) != NULL)
		abort();
	/* No shortage of descriptors here: one came if one was due. */
	if ((fd != -1) != (d->fd == MSG_FD))
		abort();
	if (fd != -1)
		close(fd);
}

#include "../msgends.h"

static struct {
	int			 self, peer;
	struct msg_handler	 h[MSG_MAX];	/* msgends() */
	size_t			 n;
} ends[] = {
	{ PROC_PARENT, PROC_LISTENER },
	{ PROC_PARENT, PROC_AUTHPOP },
	{ PROC_LISTENER, PROC_PARENT },
	{ PROC_AUTHPOP, PROC_PARENT },
	{ PROC_WRKRPOP, PROC_PARENT },
	{ PROC_CONTROL, PROC_PARENT },
	{ PROC_PARENT, PROC_CONTROL },
	/* keypop's parser of its listener's requests. */
	{ PROC_KEY, PROC_LISTENER },
	/* popctl's questions from control, and their answers. */
	{ PROC_LISTENER, PROC_CONTROL },
	{ PROC_AUTHPOP, PROC_CONTROL },
	{ PROC_CONTROL, PROC_LISTENER },
	{ PROC_CONTROL, PROC_AUTHPOP },
	/* tablepop's peers; auth_http's router, routepop, and its. */
	{ PROC_TABLE, PROC_AUTHPOP },
	{ PROC_TABLE, PROC_ROUTE },
	{ PROC_AUTHPOP, PROC_TABLE },
	{ PROC_ROUTE, PROC_TABLE },
	{ PROC_ROUTE, PROC_HTTP },
	{ PROC_ROUTE, PROC_CONTROL },
	{ PROC_HTTP, PROC_ROUTE },
	{ PROC_CONTROL, PROC_ROUTE },
};
static const int	phases[] = { PH_RUN, PH_DRAIN, PH_CONF, PH_START };

/* The parent ends the peer; the channel is closed by msg.c. */
static void
bad(struct chan *c)
{
}

static void
eof(struct chan *c)
{
}

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
	int		 sp[2], pfd[2], fds[3], nfds, split, before, e, i, n;
	size_t		 clen = 0, k;

	if (!init) {
		/* Rejections are logged: to syslog, not the fuzzer's output. */
		log_init(0, LOG_USER);
		log_procinit("fuzz_msg");
		event_init();
		for (k = 0; k < nitems(ends); k++)
			ends[k].n = msgends(ends[k].self, ends[k].peer,
			    ends[k].h, nitems(ends[k].h));
		init = 1;
	}
	if (size < 1 || size > sizeof(struct msg_hdr) + MSG_MAXPAYLOAD + 64)
		return 0;
	before = open_fds();
	e = data[0] & 7;
	nfds = (data[0] >> 3) & 3;
	split = (data[0] >> 5) & 1;
	/* One control message or several means nothing below two. */
	if (split && nfds < 2)
		e = 8 + (e & 3);
	e %= nitems(ends);
	datagram = data + 1;
	datagram_len = size - 1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
		abort();
	chan_init(&c, sp[0], ends[e].self, ends[e].peer, phases[data[0] >> 6],
	    ends[e].h, ends[e].n, eof, NULL);
	c.bad = bad;
	chan_start(&c);

	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = (void *)datagram;
	iov.iov_len = datagram_len;
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
		n = split ? 1 : nfds;
		for (i = 0; i < (split ? nfds : 1); i++) {
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
