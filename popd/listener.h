/*
 * listener.h -- the listener process: its sessions, as the admission
 * and handshakes (listener.c) and the relay engine (listener_relay.c)
 * share them.
 */
#ifndef POPD_LISTENER_H
#define POPD_LISTENER_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "settings.h"

#define RELAY_UP		16384	/* client to worker: commands */
#define RELAY_DOWN		262144	/* worker to client: replies, mail */
#define RELAY_SPARE		8	/* empty down buffers kept for reuse */
#define RELAY_PIPES		8	/* plaintext sessions spliced at once */
/* Descriptors besides two per connection: listening sockets, the
   channel, the spare socketpair and a handoff, pipes, the log. */
#define LISTENER_RESERVE	(64 + 2 * RELAY_PIPES)
#define TLS_RECORD_MAX		16384	/* plaintext octets in a record */
#define ACCEPT_PAUSE		1	/* seconds without accept at EMFILE */
#define ACCEPT_BATCH		64	/* accepts per wakeup, for fairness */
#define RELAY_ROUNDS		4	/* buffers relayed per wakeup, likewise */


struct listen_sock {
	TAILQ_ENTRY(listen_sock) entry;
	int			 fd;
	uint32_t		 flags;		/* LISTEN_* */
	uint32_t		 sock;		/* the parent's index of it */
	struct tls		*tls;		/* its default keypair first */
	struct event		 ev;
	struct event		 pause;
};

enum sess_state {
	SESS_PROXY,		/* reading the proxy's PROXY protocol header */
	SESS_WAITHS,		/* over limit per-address handshakes: waits,
				   unread, for one of its address's to end */
	SESS_HANDSHAKE,		/* TLS handshake running, worker not asked */
	SESS_RELAY,		/* bytes flow both ways */
	SESS_CLOSING,		/* worker gone: flush to the client, close */
	SESS_STLS,		/* STLS: flush authpop's replies and our +OK */
};

#define STLS_OK			"+OK begin TLS negotiation\r\n"

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
 * A client address (addr.c's key: masked to a /32 or /64) with its
 * connections, and those of them in their TLS handshake.
 */
struct source {
	RB_ENTRY(source)	 entry;
	struct addrkey		 key;
	unsigned int		 nconn;
	unsigned int		 nhs;
	TAILQ_HEAD(, session)	 waiting;	/* SESS_WAITHS, in order */
};
RB_HEAD(sourcetree, source);

struct session {
	TAILQ_ENTRY(session)	 entry;
	TAILQ_ENTRY(session)	 hsentry;	/* in handshakes, oldest 1st */
	TAILQ_ENTRY(session)	 waitentry;	/* in its client's waiting */
	struct source		*client;
	int			 inhs;		/* in its TLS handshake */
	int			 waiting;	/* in its client's waiting */
	enum sess_state		 state;
	uint32_t		 lid;		/* our name for it, for STLS */
	uint32_t		 lsock;		/* its listen_sock's sock */
	time_t			 since;		/* accepted at */
	int			 resumed;	/* TLS started with STLS */
	int			 sock;		/* the client's TCP socket */
	int			 pair;		/* our end of the socketpair */
	int			 handoff;	/* its other end, until sent */
	struct tls		*tls;		/* NULL for plaintext */
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
	int			 client_eof;	/* client finished sending */
	int			 pair_shut;	/* we shut down our writing */
	int			 pair_eof;	/* worker finished sending */
	int			 wpending;	/* tls_write to redo as is */
	int			 pipe[2];	/* plaintext down: the splice */
	size_t			 piped;		/* octets in it */
	struct relaybuf		 up;		/* client -> worker */
	struct relaybuf		 down;		/* worker -> client */
};


/* listener.c */
extern struct conf_settings	 set;
extern unsigned char		*sparebufs[RELAY_SPARE];
extern int			 nspare;
extern int			 pipes[RELAY_PIPES][2];
extern int			 npipes;
void		 session_free(struct session *);
void		 session_timer(struct session *, int);

/* listener_relay.c */
int		 session_relay(struct session *, short *, short *, int *);
int		 relay_nobuf(struct session *);
ssize_t		 client_read(struct session *, void *, size_t);
ssize_t		 client_write(struct session *, const void *, size_t);
const char	*client_error(struct session *);
int		 client_gone(struct session *);
void		 relaybuf_release(struct relaybuf *);
int		 relaybuf_space(struct relaybuf *, int, unsigned char **,
		    size_t *);
void		 relaybuf_consume(struct relaybuf *, size_t, int);
int		 relay_splice_out(struct session *, short *);
int		 pipe_take(struct session *);
void		 pipe_give(struct session *);

#endif
