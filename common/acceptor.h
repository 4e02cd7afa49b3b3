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

#ifndef POPD_ACCEPTOR_H
#define POPD_ACCEPTOR_H

#include <sys/types.h>
#include <sys/socket.h>

#include <event.h>

struct acceptor {
	int		  fd;
	int		  stopped;	/* acceptor_stop: no accepting */
	struct event	  ev;
	struct event	  pause;	/* out of descriptors or memory */
	void		 *arg;		/* its owner's */
	/* Before each accept (may be NULL): 0, or -1 with errno and what. */
	int		(*prepare)(void *, const char **);
	void		(*conn)(void *, int, const struct sockaddr *, socklen_t);
	const unsigned int *nsessions;	/* for the pause's log line */
};

/* acceptor.c */
void	acceptor_start(struct acceptor *, int);
void	acceptor_stop(struct acceptor *, int);
void	acceptor_close(struct acceptor *);

#endif
