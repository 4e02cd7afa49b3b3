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
 * listener_relay.h -- the listener's relay engine (listener_relay.c):
 * a session's bytes between its client and its worker, as listener.c
 * hands them to it.
 */
#ifndef POPD_LISTENER_RELAY_H
#define POPD_LISTENER_RELAY_H

#include <sys/types.h>

#define RELAY_UP		16384	/* client to worker: commands */
#define RELAY_DOWN		262144	/* worker to client: replies, mail */
#define RELAY_SPARE		8	/* empty down buffers kept for reuse */
#define RELAY_PIPES		8	/* plaintext sessions spliced at once */
#define TLS_RECORD_MAX		16384	/* plaintext octets in a record */

struct tls;

/*
 * One direction of the relay.  The buffer is allocated only while it
 * holds data, so an idle session costs little more than its TLS state.
 */
struct relaybuf {
	unsigned char		*data;
	size_t			 size;		/* RELAY_UP or RELAY_DOWN */
	size_t			 off;
	size_t			 len;
};

/*
 * What the relay knows of a session: its two ends and what is on the
 * way between them.  arg, the session that holds it, is what the relay
 * gives session_closing and session_free (listener.c).
 */
struct relayio {
	void			*arg;		/* the session */
	const char		*addr;		/* the client, for logs */
	int			 sock;		/* the client's TCP socket */
	int			 pair;		/* our end of the socketpair */
	struct tls		*tls;		/* NULL for plaintext */
	int			 client_eof;	/* client finished sending */
	int			 pair_shut;	/* we shut down our writing */
	int			 pair_eof;	/* worker finished sending */
	int			 wpending;	/* tls_write to redo as is */
	int			 pipe[2];	/* plaintext down: the splice */
	size_t			 piped;		/* octets in it */
	size_t			 upsent;	/* octets given to the worker */
	int			 spoke;		/* the worker sent since the
						   client last did */
	struct relaybuf		 up;		/* client -> worker */
	struct relaybuf		 down;		/* worker -> client */
};

/* listener_relay.c */
void		 relay_init(void);
int		 relay_round(struct relayio *, short *, short *, int *);
int		 relay_stls(struct relayio *, const char *, size_t, int *);
int		 relay_answer(struct relayio *, const char *);
void		 pipe_give(struct relayio *);
const char	*client_error(struct relayio *);
int		 client_gone(struct relayio *);
int		 relaybuf_space(struct relaybuf *, int, unsigned char **,
		    size_t *);
void		 relaybuf_consume(struct relaybuf *, size_t, int);
void		 relaybuf_release(struct relaybuf *);

#endif
