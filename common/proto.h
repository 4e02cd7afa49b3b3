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
 * hdr.len payload bytes, and at most one passed descriptor.  Messages
 * are named by their sender and meaning; each hop has its own type and
 * payload.  A receiver declares what it takes from each peer in a table
 * of rules (struct msg_rule): msg.c checks every message against it
 * (version, type, exact size, descriptor) before the handler sees it.
 * Bump MSG_VERSION on any change to the types or payloads below.
 */
#define MSG_VERSION		7
#define MSG_MAXPAYLOAD		1024
#define MSG_MAXFDS		8	/* received (and closed) at most */

enum msg_type {
	MSG_NONE = 0,

	/* parent -> listener */
	MSG_PARENT_LISTEN,	/* fd: a listening socket; msg_listen */
	MSG_PARENT_STARTTLS,	/* start TLS on a plaintext session; msg_lid */
	/* parent -> authpop */
	MSG_PARENT_SESSION,	/* fd: a new session; msg_session */
	MSG_PARENT_SPAWNED,	/* a wrkrpop has the session; msg_id */
	MSG_PARENT_REFUSED,	/* no wrkrpop for it; msg_refused */
	MSG_PARENT_PASSWD,	/* to a draining authpop: a user's password
				   changed in a reload; msg_passwd */
	/* parent -> listener, authpop */
	MSG_PARENT_DRAIN,	/* after a reload: take no new work, exit 0
				   when the last session is over; no payload */

	/* listener -> parent */
	MSG_LISTENER_SESSION,	/* fd: a client is ready; msg_newsession */

	/* authpop -> parent */
	MSG_AUTHPOP_LOGIN,	/* fd: the session socket; msg_login */
	MSG_AUTHPOP_CLOSED,	/* session ended before login; msg_id */
	MSG_AUTHPOP_STLS,	/* client said STLS; msg_id */

	MSG_MAX
};

struct msg_hdr {
	uint32_t	type;
	uint32_t	version;
	uint32_t	len;
	uint32_t	pad;
};

#define LISTEN_TLS		0x01	/* implicit TLS (RFC 8314) */
#define LISTEN_PROXY		0x02	/* PROXY protocol header first */

/* MSG_PARENT_LISTEN */
struct msg_listen {
	uint32_t	flags;		/* LISTEN_* */
	uint32_t	pki;		/* the listener's keypair index */
};

#define SESSION_TLS		0x01	/* the client talks TLS to us */
#define SESSION_TRUSTED		0x02	/* plaintext login allowed anyway */
#define SESSION_STLS		0x04	/* plaintext port: STLS offered */
#define SESSION_RESUMED		0x08	/* after STLS: no new greeting */
#define SESSION_PROXYTRUST	0x10	/* listener to parent: via a proxy
					   that terminated TLS (trusted) */

#define POPD_MAXTLS		16	/* "TLSv1.3", "plaintext" */

/* MSG_LISTENER_SESSION: the listener's name for a session is its lid. */
struct msg_newsession {
	uint32_t	lid;
	uint32_t	flags;		/* SESSION_TLS/STLS/RESUMED */
	char		addr[POPD_MAXADDR];
	char		tls[POPD_MAXTLS];	/* the TLS version, for logs */
};

/* MSG_PARENT_SESSION: the parent's name for a session is its id. */
struct msg_session {
	uint64_t	id;
	uint32_t	flags;		/* SESSION_*, TRUSTED added */
	char		addr[POPD_MAXADDR];
};

/* MSG_PARENT_STARTTLS */
struct msg_lid {
	uint32_t	lid;
};

/* MSG_AUTHPOP_LOGIN */
struct msg_login {
	uint64_t	id;
	char		user[POPD_MAXUSER + 1];
};

/* MSG_AUTHPOP_CLOSED, MSG_AUTHPOP_STLS, MSG_PARENT_SPAWNED */
struct msg_id {
	uint64_t	id;
};

#define REFUSED_TEMP		1	/* [SYS/TEMP]: fork failed etc. */
#define REFUSED_PERM		2	/* [SYS/PERM]: no such mail user */
#define REFUSED_DELAY		3	/* [LOGIN-DELAY]: too soon again */
#define REFUSED_BUSY_ADDR	4	/* [SYS/TEMP]: per-address logged-in */
#define REFUSED_BUSY		5	/* [SYS/TEMP]: limit logged-in */

/* MSG_PARENT_REFUSED */
struct msg_refused {
	uint64_t	id;
	uint32_t	code;		/* REFUSED_* */
};

/* MSG_PARENT_PASSWD: hash "" means the user is gone. */
struct msg_passwd {
	char		user[POPD_MAXUSER + 1];
	char		hash[COMPAT_HASH_MAX + 1];
};

/* One end of a channel, driven by libevent. */
struct chan_msg {
	TAILQ_ENTRY(chan_msg)	 entry;
	struct msg_hdr		 hdr;
	int			 fd;
	unsigned char		 data[];
};

struct chan;

/*
 * What a receiver takes from one peer: each type it accepts, the exact
 * size of its payload, whether it carries a descriptor, and the handler,
 * which owns that descriptor.  Anything else is a protocol violation.
 */
#define MSG_NOFD		0
#define MSG_FD			1
/*
 * A handler of a MSG_FD type gets -1 instead of the descriptor when it
 * was lost to our own shortage of descriptors (logged by msg.c): the
 * message still counts, the session it names has gone.
 */
struct msg_rule {
	uint32_t	  type;
	size_t		  size;
	int		  fd;		/* MSG_FD or MSG_NOFD */
	void		(*handler)(struct chan *, const void *, size_t, int);
};

struct chan {
	int				 fd;
	const char			*self;	/* our name, for errors */
	const char			*peer;	/* the other end */
	struct event			 ev;
	short				 events;
	TAILQ_HEAD(, chan_msg)		 outq;
	size_t				 outfds; /* descriptors in outq */
	int				 pri;	/* event priority, -1 default */
	const struct msg_rule		*rules;	/* what the peer may send */
	size_t				 nrules;
	void				 (*eof)(struct chan *);
	/* A malformed message: end this peer (it must close c), or fatal. */
	void				 (*bad)(struct chan *);
	void				*arg;
};

/* msg.c */
const char	*msg_type_str(uint32_t);
void		 chan_init(struct chan *, int, const char *, const char *,
		    const struct msg_rule *, size_t, void (*)(struct chan *),
		    void *);
void		 chan_send(struct chan *, uint32_t, int, const void *, size_t);
void		 chan_close(struct chan *);
void		 chan_priority(struct chan *, int);
void		 chan_bad(struct chan *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
int		 msg_check_str(struct chan *, uint32_t, const char *, size_t);

#endif
