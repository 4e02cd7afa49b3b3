/*
 * listener.h -- the listener process (listener.c): its listening sockets
 * and its sessions, each with the part the relay engine sees
 * (listener_relay.h).
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
#include "listener_relay.h"

/* Descriptors besides two per connection: listening sockets, the
   channel, the spare socketpair and a handoff, pipes, the log. */
#define LISTENER_RESERVE	(64 + 2 * RELAY_PIPES)
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
	struct relayio		 io;		/* its ends, and the bytes
						   between them */
};

#endif
