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
 * The lmtp process's parts: listening sockets and peers (lmtp_accept.c),
 * delivery workers (lmtp_pool.c) and transactions (lmtp_txn.c).
 */
#ifndef POPD_LMTP_H
#define POPD_LMTP_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <event.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "acceptor.h"
#include "proto.h"
#include "lmtp_cmd.h"

struct chan;
struct conf_settings;
struct msg_listen;
struct quota_use;

#define PEER_KEYLEN		64	/* "uid N", "loopback" or an address */

struct lmtp_listen {
	TAILQ_ENTRY(lmtp_listen) entry;
	struct acceptor		 acc;
	uint32_t		 uid;	/* the MTA's (listen ... user) */
	int			 local;		/* a unix socket */
};

/* Root and the socket's MTA user are not counted: theirs is kept. */
struct lmtp_peer {
	RB_ENTRY(lmtp_peer)	 entry;
	char			 key[PEER_KEYLEN];
	int			 counted;
	unsigned int		 nsessions;
	long long		 held;		/* of limit lmtp-spool */
};

/* lmtp_accept.c */
void	lmtp_accept_add(int, const struct msg_listen *, void (*)(void *, int,
	    const struct sockaddr *, socklen_t), const unsigned int *);
void	lmtp_accept_close(void);
int	lmtp_accept_mta(void);
int	peer_key(const struct lmtp_listen *, int, const struct sockaddr *,
	    socklen_t, char *, int *);
struct lmtp_peer *peer_find(const char *, int);
struct lmtp_peer *peer_get(const char *, int);
void	peer_put(struct lmtp_peer *);

/* What a worker is for: msg_rcptok's, the parent's. */
struct pool_key {
	uid_t		 uid;
	gid_t		 gid;
	uint64_t	 bytes;		/* the limit, 0: none */
	uint64_t	 msgs;
	char		 maildir[PATH_MAX];
};

/* A job's end: DLV_*, the use if the worker counted it, over it. */
typedef void	(*pool_cb)(void *, uint32_t, const struct quota_use *, int);

/* lmtp_pool.c */
void	pool_init(const struct conf_settings *, struct chan *);
void	pool_job(const struct pool_key *, uint64_t, int, uint64_t, pool_cb,
	    void *);
int	pool_room(const struct pool_key *, uint64_t);
void	pool_cancel(void *);
void	lmtp_parent_dlvrpop(struct chan *, const void *, int);
void	lmtp_parent_nodlvrpop(struct chan *, const void *, int);

#define RETURN_PATH		"Return-Path:"

/* Why a message found no room: all of limit lmtp-spool is held, or
   all but what is kept for root and the MTA's user. */
#define TXN_FULL		1
#define TXN_FULL_KEPT		2

struct lmtp_rcpt {
	char			 addr[LMTP_MAXADDR + 1];
	char			 user[POPD_MAXUSER + 1];
	uint64_t		 ref;
	struct pool_key		 key;
};

typedef void	(*txn_done_cb)(uint64_t, const uint32_t *, size_t);

struct lmtp_txn {
	const char		*client;	/* its session's, for logs */
	struct lmtp_peer	*peer;		/* its session's */
	int			 mail;
	char			 sender[LMTP_MAXADDR + 1];
	long long		 declared;	/* MAIL's SIZE=, 0 if none */
	char			 asked[LMTP_MAXADDR + 1];	/* RCPT */
	struct lmtp_rcpt	*rcpts;
	size_t			 nrcpt, rcptcap;
	int			 handed;	/* in delivery: the refs too */
	int			 spool;
	int			 spoolro;	/* what is handed on */
	long long		 msgsize;	/* the message, decoded */
	long long		 octets;	/* RFC 1870: CRLF, unstuffed */
	long long		 hdrlen;	/* our Return-Path line */
	int			 toobig, spoolerr;
	int			 full;		/* TXN_FULL_* */
	long long		 held;		/* of limit lmtp-spool */
	/* The message's first bytes, until we know whether it has a
	   Return-Path of its own (smtpd's lmtp sends one). */
	char			 head[sizeof(RETURN_PATH) - 1];
	size_t			 nhead;
	int			 headdone;
	struct lmtp_data	 dec;
};

/* lmtp_txn.c */
void		 txn_init(const struct conf_settings *, struct chan *,
		    txn_done_cb);
void		 txn_key(struct pool_key *, const struct msg_rcptok *);
long long	 txn_spooled(void);
void		 txn_parent_spoolpage(struct chan *, const void *, int);
long long	 txn_room(const struct lmtp_txn *);
int		 txn_rcpt(struct lmtp_txn *, const struct msg_rcptok *);
void		 rcpt_forget(const uint64_t *, size_t);
int		 txn_spool(struct lmtp_txn *);
void		 txn_write(struct lmtp_txn *, const char *, size_t);
const char	*txn_end(struct lmtp_txn *);
int		 txn_deliver(struct lmtp_txn *, uint64_t);
void		 txn_cancel(uint64_t);
void		 txn_reset(struct lmtp_txn *);

#endif
