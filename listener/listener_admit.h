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
 * listener_admit.h -- the listener's limits per client address and on
 * TLS handshakes (listener_admit.c), as listener.c asks them for each
 * session.
 */
#ifndef POPD_LISTENER_ADMIT_H
#define POPD_LISTENER_ADMIT_H

#include <sys/queue.h>

struct conf_settings;
struct peeraddr;
struct source;

/*
 * A connection as the limits count it: its client address, and its TLS
 * handshake in progress or its turn awaited.  arg, the session that
 * holds it, is what the limits give session_free and session_turn.
 */
struct admit {
	TAILQ_ENTRY(admit)	 hsentry;	/* in handshakes, oldest 1st */
	TAILQ_ENTRY(admit)	 waitentry;	/* in its client's waiting */
	struct source		*client;
	int			 inhs;		/* in its TLS handshake */
	int			 waiting;	/* in its client's waiting */
	void			*arg;		/* the session */
	const char		*addr;		/* the client, for logs */
};

/* listener_admit.c */
void		 admit_init(const struct conf_settings *);
int		 client_admit(struct admit *, const struct peeraddr *);
void		 client_leave(struct admit *);
int		 hs_wait(struct admit *, int);
void		 hs_begin(struct admit *);
void		 hs_end(struct admit *);

#endif
