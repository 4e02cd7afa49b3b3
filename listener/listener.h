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

#ifndef POPD_LISTENER_H
#define POPD_LISTENER_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event.h>
#include <stdint.h>
#include <time.h>

#include "acceptor.h"
#include "addr.h"

struct chan;
struct conf_settings;
struct msg_listen;
struct source;
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

#define RELAY_UP		16384	/* client to worker: commands */
#define RELAY_DOWN		262144	/* worker to client: replies, mail */
#define RELAY_SPARE		8	/* empty down buffers kept for reuse */
#define RELAY_PIPES		8	/* plaintext sessions spliced at once */
#define TLS_RECORD_MAX		16384	/* plaintext octets in a record */

/* Allocated only while it holds data: an idle session stays small. */
struct relaybuf {
	unsigned char		*data;
	size_t			 size;		/* RELAY_UP or RELAY_DOWN */
	size_t			 off;
	size_t			 len;
};

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

/* Seconds keypop may take to sign before we give up on it (fatal). */
#define KEY_TIMEOUT		10

/* Descriptors besides two per connection: listening sockets, the
   channel, the spare socketpair and a handoff, pipes, the log. */
#define LISTENER_RESERVE	(64 + 2 * RELAY_PIPES)
#define RELAY_ROUNDS		4	/* buffers relayed per wakeup, for
					   fairness */

enum sess_state {
	SESS_PROXY,		/* reading the proxy's PROXY protocol header */
	SESS_WAITHS,		/* over limit per-address handshakes: waits,
				   unread, for one of its address's to end */
	SESS_WAITKEY,		/* its handshake counted, waits, unread,
				   for a ticket key (a wall clock step) */
	SESS_HANDSHAKE,		/* TLS handshake running, worker not asked */
	SESS_GREETED,		/* greeted: waits GREETED_WAIT at most for
				   the client's first bytes, before the
				   parent hears of it */
	SESS_RELAY,		/* bytes flow both ways */
	SESS_CLOSING,		/* worker gone: flush to the client, close */
	SESS_STLS,		/* STLS: flush authpop's replies and our +OK */
};

#define GREETED_WAIT		1	/* seconds a greeted client's first
					   bytes are waited for before the
					   parent hears of the session */
#define STLS_OK			"+OK begin TLS negotiation\r\n"
#define STUCK_ERR		"-ERR [SYS/TEMP] the mail store does not " \
				"answer, try again later\r\n"

struct session {
	TAILQ_ENTRY(session)	 entry;
	enum sess_state		 state;
	uint32_t		 lid;		/* our name for it, for STLS */
	uint32_t		 lsock;		/* its listen_sock's sock */
	time_t			 since;		/* accepted at */
	int			 resumed;	/* TLS started with STLS */
	time_t			 greeted;	/* greeted at (monotime) */
	int			 handoff;	/* io.pair's other end, until
						   sent */
	struct tls		*tlsctx;	/* its listening socket's */
	int			 tlsport;	/* TLS from the start */
	int			 proxytrust;	/* via a trusted proxy */
	unsigned char		*ph;		/* the PROXY header so far */
	size_t			 phlen;
	struct peeraddr		 peer;		/* the client */
	struct peeraddr		 local;		/* what it connected to */
	char			 addr[PEER_STRLEN];	/* it, for logs */
	struct event		 sockev;
	short			 sockwant;
	struct event		 pairev;
	short			 pairwant;
	struct event		 timer;
	int			 timer_on;
	struct event		 again;		/* more to relay, later */
	time_t			 lastsend;	/* client last took data */
	struct admit		 adm;		/* as its limits count it */
	struct relayio		 io;		/* its ends, and the bytes
						   between them */
};

/* listener.c */
TAILQ_HEAD(session_list, session);
extern struct session_list	 sessions;
extern struct peeraddr		 lnames[];	/* by listening socket */
extern unsigned int		 nsessions;
void	session_new(int, const struct sockaddr *, socklen_t,
	    const struct listen_sock *, int *);
void	session_closing(void *);
void	session_turn(void *);
void	session_free(void *);
int	session_begin(struct session *);
void	session_timer(struct session *, int);
void	session_watch(struct session *, int, struct event *, short *, short);

/* listener_proxied.c */
void	listener_parent_conf_proxy(struct chan *, const void *, int);
int	proxy_accept(struct session *);
int	session_proxy(struct session *);

/* listener_control.c */
void	listener_parent_ctlchan(struct chan *, const void *, int);
void	listener_parent_kick(struct chan *, const void *, int);

#endif
