/*
 * popd.h -- what the popd programs share: limits, the messages between
 * processes, and the prototypes of the shared code, grouped by the file
 * that owns them.
 */
#ifndef POPD_H
#define POPD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "compat.h"
#include "log.h"

#define POPD_USER		"_pop3d"	/* listener */
#define POPD_AUTH_USER		"_pop3auth"	/* authpop */
#define POPD_PORT		"995"		/* implicit TLS */
#define POPD_PLAIN_PORT		"110"		/* plaintext with STLS */
#define POPD_CHANNEL_FD		3	/* a child's channel or session fd */

#define POP3_MAXLINE		255	/* RFC 2449: commands and CAPA lines */
#define POP3_MAXARG		40	/* RFC 2449: arguments */
#define POP3_IDLE_TIMEOUT	600	/* RFC 1939 section 3: 10 minutes */
#define POP3_MAXFAIL		3	/* failed logins before disconnect */
#define POPD_MAXUSER		64
#define POPD_MAXADDR		64	/* "[v6addr]:port" for logs */
#define UIDL_MAX		70

/*
 * Messages between processes.  Every channel is a SOCK_SEQPACKET
 * socketpair, so one datagram is one message: a header, then exactly
 * hdr.len payload bytes, and at most one passed descriptor.
 * Bump MSG_VERSION on any change to the types or payloads below.
 */
#define MSG_VERSION		3
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
};

#define SESSION_TLS		0x01	/* the client talks TLS to us */
#define SESSION_TRUSTED		0x02	/* plaintext login allowed anyway */
#define SESSION_STLS		0x04	/* plaintext port: STLS offered */
#define SESSION_RESUMED		0x08	/* after STLS: no new greeting */

struct msg_session {
	uint64_t	id;		/* set by the parent */
	uint32_t	lid;		/* set by the listener */
	uint32_t	flags;
	char		addr[POPD_MAXADDR];
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

/* Users from usertab and credentials from authtab: table(5) file tables. */
struct userent {
	RB_ENTRY(userent)	 entry;
	char			 name[POPD_MAXUSER + 1];
	uid_t			 uid;
	gid_t			 gid;
	char			 path[PATH_MAX];
	char			*hash;		/* authtab only */
	size_t			 lineno;	/* for messages */
};
RB_HEAD(usertree, userent);
RB_PROTOTYPE(usertree, userent, entry, userent_cmp)

/*
 * One message of a maildrop.  name is malloc'd (maildrop_close frees
 * it) and relative to the maildir: "new/x" or "cur/x:2,S".
 */
#define MMSG_DELETED		0x01	/* DELE in this session */
#define MMSG_SEEN		0x02	/* RETR/TOP: move to cur/ at UPDATE */

struct mmsg {
	char		*name;
	char		 uidl[UIDL_MAX + 1];
	off_t		 size;		/* RFC 1939 octets: CRLF, unstuffed */
	int		 flags;
};

struct maildrop {
	char		 path[PATH_MAX];
	int		 dirfd;		/* the maildir itself */
	int		 lockfd;	/* session lock, held until exit */
	struct mmsg	*msgs;		/* grown by maildrop_add */
	size_t		 nmsgs;
	size_t		 nalloc;	/* slots allocated in msgs */
	off_t		 total;		/* octets of all messages */
};

/*
 * CRLF conversion and dot-stuffing state for streaming a message, and
 * for counting its RFC 1939 size (crlf_count).  Set up by crlf_init.
 */
struct crlf {
	int		 bol;		/* the next byte starts a line */
	int		 cr;		/* the last byte was a CR */
	int		 linelen;	/* bytes in this line so far, max 2 */
	int		 inbody;	/* past the header/body separator */
	long long	 lines;		/* body lines still allowed, -1: all */
	int		 done;		/* TOP limit reached: stop reading */
};

/* A parsed POP3 command line. */
enum pop3_cmd {
	CMD_UNKNOWN = 0,
	CMD_USER, CMD_PASS, CMD_QUIT, CMD_CAPA, CMD_AUTH, CMD_STLS,
	CMD_STAT, CMD_LIST, CMD_RETR, CMD_DELE, CMD_NOOP, CMD_RSET,
	CMD_TOP, CMD_UIDL, CMD_APOP
};

struct pop3_line {
	enum pop3_cmd	 cmd;
	char		 name[5];	/* the keyword as sent, upper-cased */
	int		 nargs;
	char		*args[2];	/* point into the line buffer */
	char		 buf[POP3_MAXLINE + 1];
};

/* listener.c */
struct tls;
__dead void	 listener_main(const char *, const char *, int);
struct tls	*listener_tls(const char *, const char *, int);

/* log.c: see log.h */

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

/* table.c */
int		 table_load_users(const char *, struct usertree *);
int		 table_load_auth(const char *, struct usertree *);
int		 table_crosscheck(const char *, struct usertree *,
		    const char *, struct usertree *);
struct userent	*table_lookup(struct usertree *, const char *);
void		 table_free(struct usertree *);

/* util.c */
int		 valid_username(const char *);
int		 set_nonblock(int);
int		 set_cloexec(int);
int		 drop_privileges(const char *, uid_t, gid_t);
const char	*sockaddr_str(const struct sockaddr *, socklen_t);

/* maildir.c */
int		 maildrop_open(struct maildrop *, const char *);
int		 maildrop_lock(struct maildrop *);
int		 maildrop_scan(struct maildrop *);
int		 maildrop_update(struct maildrop *);
int		 maildrop_openmsg(struct maildrop *, struct mmsg *);
void		 maildrop_clear(struct maildrop *);
void		 maildrop_close(struct maildrop *);
int		 maildrop_add(struct maildrop *, const char *, off_t,
		    const char *);
int		 maildrop_uniq(struct maildrop *);
int		 maildir_uidl(const char *, char *, size_t);
int		 maildir_msgsize(int, const char *, off_t *);
int		 maildir_create(const char *);
int		 maildir_readdir(int, const char *,
		    int (*)(void *, const char *), void *);
int		 maildir_namecmp(const char *, const char *);

/* popcache.c */
#define POPCACHE_REBUILD	0	/* no usable cache: full scan */
#define POPCACHE_WARM		1	/* nothing changed: the file only */
#define POPCACHE_UPDATED	2	/* changed directories were read */
struct popcache_stats {			/* the last popcache_load, for tests */
	int		 result;
	unsigned int	 dirs_read;	/* directories read with readdir */
	size_t		 sized;		/* new messages sized (maybe read) */
	size_t		 records;	/* records in the file */
};
extern struct popcache_stats popcache_stats;
int		 popcache_load(struct maildrop *);
int		 popcache_write(struct maildrop *);
int		 popcache_append(int, const char *, const char *, off_t);

/* crlf.c */
void		 crlf_init(struct crlf *, long long);
size_t		 crlf_convert(struct crlf *, const char *, size_t, char *,
		    size_t, size_t *);
size_t		 crlf_finish(struct crlf *, char *, size_t);
off_t		 crlf_size(int);
off_t		 crlf_count(struct crlf *, const char *, size_t);
off_t		 crlf_count_finish(struct crlf *);
off_t		 crlf_size_buf(const char *, size_t, int *);

/* pop3.c */
#define POP3_OK			0
#define POP3_ETOOLONG		(-1)	/* line over POP3_MAXLINE octets */
#define POP3_EBADCHAR		(-2)	/* NUL or control byte in the line */
#define POP3_EARG		(-3)	/* argument too long or too many */
#define CAPA_USER		0x01	/* USER/PASS allowed here */
#define CAPA_STLS		0x02	/* plaintext port offering STLS */
#define CAPA_SASL		0x04	/* AUTH PLAIN allowed here */
#define POP3_SASL_MAXLINE	1024	/* base64 AUTH PLAIN response */
long long	 pop3_number(const char *);
int		 pop3_parse(struct pop3_line *, const char *, size_t);
const char	*pop3_capa(int);
int		 pop3_sasl_plain(const char *, char *, size_t, char *, size_t);

/* sandbox.c */
void		 sandbox_parent(const char *const [], const char *const []);
void		 sandbox_listener(void);
void		 sandbox_authpop(void);
void		 sandbox_wrkrpop(const char *);
void		 sandbox_mda(const char *);
const char	*sandbox_describe(void);

#endif
