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
 * lmtp_txn.h -- an LMTP transaction as the lmtp process keeps it
 * (lmtp_txn.c): its sender, the recipients the parent accepted, and the
 * message spooled for the delivery workers (lmtp_pool.c).
 */
#ifndef POPD_LMTP_TXN_H
#define POPD_LMTP_TXN_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "lmtp_cmd.h"
#include "lmtp_pool.h"

#define RETURN_PATH		"Return-Path:"

/* Why a message found no room: all of limit lmtp-spool is held, or
   all but what is kept for root and the MTA's user. */
#define TXN_FULL		1
#define TXN_FULL_KEPT		2

struct chan;
struct conf_settings;
struct lmtp_peer;

/*
 * An accepted recipient: as the client gave it, the parent's user (for
 * logs), the parent's name for what it found at RCPT, and the maildir
 * and limit it said.
 */
struct lmtp_rcpt {
	char			 addr[LMTP_MAXADDR + 1];
	char			 user[POPD_MAXUSER + 1];
	uint64_t		 ref;
	struct pool_key		 key;
};

/* A message's delivery is over: its id, each recipient's DLV_*. */
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
void		 txn_reset(struct lmtp_txn *);

#endif
