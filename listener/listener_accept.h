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
 * listener_accept.h -- the listener's listening sockets
 * (listener_accept.c), as listener.c adds them and takes their
 * connections.
 */
#ifndef POPD_LISTENER_ACCEPT_H
#define POPD_LISTENER_ACCEPT_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event.h>
#include <stdint.h>

#include "acceptor.h"

struct chan;
struct msg_listen;
struct tls;

struct listen_sock {
	TAILQ_ENTRY(listen_sock) entry;
	struct acceptor		 acc;
	uint32_t		 flags;		/* LISTEN_* */
	uint32_t		 sock;		/* the parent's index of it */
	struct tls		*tls;		/* its default keypair first */
};

/* listener_accept.c */
void	accept_add(int, const struct msg_listen *, struct tls *, int);
void	accept_stop(int);
void	accept_close(void);
void	listener_parent_health(struct chan *, const void *, int);

#endif
