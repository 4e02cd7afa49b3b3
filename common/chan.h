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

/* chan.h -- one end of a SOCK_SEQPACKET channel to a peer process. */
#ifndef POPD_CHAN_H
#define POPD_CHAN_H

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <stdint.h>

#include "proto.h"

struct chan;

/*
 * Payloads come checked and aligned.  A MSG_FD handler owns the fd, or gets -1
 * if our shortage lost it.
 */
struct msg_handler {
	uint32_t	  type;
	void		(*fn)(struct chan *, const void *, int);
};

struct chan_msg {
	TAILQ_ENTRY(chan_msg)	 entry;
	struct msg_hdr		 hdr;
	int			 fd;
	unsigned char		 data[];
};

struct chan {
	int				 fd;
	int				 self;	/* PROC_*: this end */
	int				 peer;	/* PROC_*: the other end */
	int				 phase;	/* PH_*, as both ends see it */
	int				 started; /* in the event loop */
	uint32_t			 intype; /* the message being handled */
	struct event			 ev;
	short				 events;
	TAILQ_HEAD(, chan_msg)		 outq;
	size_t				 outfds; /* descriptors in outq */
	size_t				 outmsgs; /* messages in outq */
	int				 pri;	/* event priority, -1 default */
	const struct msg_handler	*handlers;
	size_t				 nhandlers;
	void				 (*eof)(struct chan *);
	/* A malformed message: end this peer (chan_bad then closes c). */
	void				 (*bad)(struct chan *);
	void				*arg;
};

struct peer {
	TAILQ_ENTRY(peer)	 entry;
	struct chan		 chan;
	int			 proc;
	pid_t			 pid;
	int			 old;	/* control: a replaced authpop's */
};
TAILQ_HEAD(peerlist, peer);
extern struct peerlist	 peers;

/* msg.c */
void	chan_init(struct chan *, int, int, int, int,
	    const struct msg_handler *, size_t, void (*)(struct chan *),
	    void *);
void	chan_start(struct chan *);
void	chan_poll(struct chan *);
void	chan_drain(struct chan *);
void	chan_send(struct chan *, uint32_t, int, const void *, size_t);
int	chan_sync(struct chan *);
void	chan_close(struct chan *);
void	chan_priority(struct chan *, int);
void	chan_bad(struct chan *, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));

#endif
