/*
 * proto.h -- the messages between popd processes and the channels that
 * carry them (msg.c).
 */
#ifndef POPD_PROTO_H
#define POPD_PROTO_H

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <stdint.h>

#include "util.h"

/*
 * Messages between processes.  Every channel is a SOCK_SEQPACKET
 * socketpair, so one datagram is one message: a header, then exactly
 * hdr.len payload bytes, and at most one passed descriptor.
 * Bump MSG_VERSION on any change to the types or payloads below.
 */
#define MSG_VERSION		4
#define MSG_MAXPAYLOAD		1024

enum msg_type {
	MSG_NONE = 0,

	/* parent -> listener */
	MSG_LST_SOCKET,		/* fd: listening socket; struct msg_listen */
	/* listener -> parent, parent -> authpop */
	MSG_LST_SESSION,	/* fd: session socket; struct msg_session */

	/* authpop -> parent */
	MSG_AUTH_LOGIN,		/* fd: session socket; struct msg_login */
	MSG_AUTH_CLOSED,	/* session ended before login; struct msg_id */
	MSG_AUTH_STLS,		/* client said STLS, +OK sent; struct msg_id */
	/* parent -> authpop */
	MSG_AUTH_SPAWNED,	/* worker runs the session; struct msg_id */
	MSG_AUTH_REFUSED,	/* no worker; struct msg_refused */

	/* parent -> listener */
	MSG_LST_STARTTLS,	/* start TLS on a plaintext session; msg_lid */

	/* parent -> listener, authpop */
	MSG_DRAIN,		/* after a reload: take no new work, exit 0
				   when the last session is over; no payload */

	MSG_MAX
};

struct msg_hdr {
	uint32_t	type;
	uint32_t	version;
	uint32_t	len;
	uint32_t	pad;
};

#define LISTEN_TLS		0x01	/* implicit TLS (RFC 8314) */

struct msg_listen {
	uint32_t	flags;
	uint32_t	pki;		/* the listener's keypair index */
};

#define SESSION_TLS		0x01	/* the client talks TLS to us */
#define SESSION_TRUSTED		0x02	/* plaintext login allowed anyway */
#define SESSION_STLS		0x04	/* plaintext port: STLS offered */
#define SESSION_RESUMED		0x08	/* after STLS: no new greeting */

#define POPD_MAXTLS		16	/* "TLSv1.3", "plaintext" */

struct msg_session {
	uint64_t	id;		/* set by the parent */
	uint32_t	lid;		/* set by the listener */
	uint32_t	flags;
	char		addr[POPD_MAXADDR];
	char		tls[POPD_MAXTLS];	/* the TLS version, for logs */
};

struct msg_lid {
	uint32_t	lid;
};

struct msg_login {
	uint64_t	id;
	char		user[POPD_MAXUSER + 1];
};

struct msg_id {
	uint64_t	id;
};

#define REFUSED_TEMP		1	/* [SYS/TEMP]: fork failed etc. */
#define REFUSED_PERM		2	/* [SYS/PERM]: no such mail user */
#define REFUSED_DELAY		3	/* [LOGIN-DELAY]: too soon again */

struct msg_refused {
	uint64_t	id;
	uint32_t	code;
};

/* One end of a channel, driven by libevent. */
struct chan_msg {
	TAILQ_ENTRY(chan_msg)	 entry;
	struct msg_hdr		 hdr;
	int			 fd;
	unsigned char		 data[];
};

struct chan;
typedef void (*chan_dispatch_cb)(struct chan *, uint32_t, const void *,
    size_t, int);

struct chan {
	int				 fd;
	const char			*self;	/* our name, for errors */
	const char			*peer;	/* the other end */
	struct event			 ev;
	short				 events;
	TAILQ_HEAD(, chan_msg)		 outq;
	chan_dispatch_cb		 dispatch;
	void				 (*eof)(struct chan *);
	/* A malformed message: end this peer (it must close c), or fatal. */
	void				 (*bad)(struct chan *);
	void				*arg;
};

/* msg.c */
const char	*msg_type_str(uint32_t);
void		 chan_init(struct chan *, int, const char *, const char *,
		    chan_dispatch_cb, void (*)(struct chan *), void *);
void		 chan_send(struct chan *, uint32_t, int, const void *, size_t);
void		 chan_close(struct chan *);
void		 chan_bad(struct chan *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
int		 msg_check_size(struct chan *, uint32_t, size_t, size_t);
int		 msg_check_str(struct chan *, uint32_t, const char *, size_t);

#endif
