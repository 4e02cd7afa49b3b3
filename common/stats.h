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
 * stats.h -- every process counts into its own page with plain stores: no
 * system call on the data path.  The parent reads the pages as untrusted
 * numbers, once, states clamped.
 */
#ifndef POPD_STATS_H
#define POPD_STATS_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Counters only grow.  The order is the one show stats prints. */
enum stat_id {
	STAT_CONNECTIONS,		/* listener: accepted */
	STAT_TLS_FAILURES,		/* listener: failed, timed out */
	STAT_LOGIN_OK,			/* wrkrpop: TRANSACTION reached */
	STAT_LOGIN_AUTH,		/* authpop: wrong password, no user */
	STAT_LOGIN_PLAINTEXT,		/* authpop: PASS/AUTH without TLS */
	STAT_LOGIN_INUSE,		/* wrkrpop: [IN-USE] */
	STAT_LOGIN_LIMIT,		/* parent: logged-in, login-delay */
	STAT_LOGIN_TEMP,		/* all: [SYS/TEMP] */
	STAT_LOGIN_PERM,		/* parent, wrkrpop: [SYS/PERM] */
	STAT_REFUSED_HANDSHAKES,	/* listener: the oldest cut */
	STAT_REFUSED_ADDR_HANDSHAKES,	/* listener */
	STAT_REFUSED_ADDR_CONNECTIONS,	/* listener: all stages together */
	STAT_REFUSED_SESSIONS,		/* parent */
	STAT_REFUSED_ADDR_SESSIONS,	/* parent */
	STAT_REFUSED_LOGGED_IN,		/* parent */
	STAT_REFUSED_ADDR_LOGGED_IN,	/* parent */
	STAT_REFUSED_LOGIN_DELAY,	/* parent */
	STAT_REFUSED_FAILURES,		/* authpop: limit failures */
	STAT_REFUSED_HASH_COST,		/* authpop: over its kind's ceiling */
	STAT_REFUSED_BAD_COMMANDS,	/* authpop, wrkrpop, lmtp */
	STAT_REFUSED_LMTP_SESSIONS,	/* lmtp */
	STAT_REFUSED_MESSAGE_SIZE,	/* lmtp */
	STAT_REFUSED_RECIPIENTS,	/* lmtp */
	STAT_REFUSED_QUOTA_RCPT,	/* lmtp: over quota at RCPT */
	STAT_REFUSED_QUOTA_SIZE,	/* lmtp: SIZE= does not fit */
	STAT_REFUSED_QUOTA_DATA,	/* lmtp: after DATA, per recipient */
	STAT_REFUSED_QUOTA_MDA,		/* parent: mda's reports */
	STAT_RETRIEVED,			/* wrkrpop: RETR and TOP */
	STAT_RETRIEVED_OCTETS,		/* wrkrpop */
	STAT_DELETED,			/* wrkrpop: removed at UPDATE */
	STAT_MDA_OK,			/* parent: mda's reports */
	STAT_MDA_TEMP,
	STAT_LMTP_OK,			/* lmtp: per recipient */
	STAT_LMTP_TEMP,			/* lmtp */
	STAT_LMTP_PERM,			/* lmtp */
	STAT_LOOKUP_FOUND,		/* parent: database tables */
	STAT_LOOKUP_NONE,
	STAT_LOOKUP_TEMP,
	STAT_LOOKUP_USEC,		/* the time they took, summed */
	STAT_LOOKUP_1MS,		/* answered within 1 ms */
	STAT_LOOKUP_10MS,
	STAT_LOOKUP_100MS,
	STAT_LOOKUP_1S,
	STAT_LOGIN_CACHE_HIT,		/* authpop: the login cache */
	STAT_LOGIN_CACHE_MISS,
	STAT_LOGIN_CACHE_EVICT,		/* the least recently used, for room */
	STAT_STORE_STUCK,		/* parent: stuck in the mail store */
	STAT_MAX
};

#define PAGE_LOGIN		0	/* its login is not answered yet */
#define PAGE_TRANSACTION	1
#define PAGE_UPDATE		2

/* A wrkrpop's page is its session's too, for show sessions. */
struct stats_page {
	uint64_t	c[STAT_MAX];
	uint32_t	state;
	uint32_t	marked;
	uint64_t	quota_over;	/* lmtp: maildirs over their limit */
	int64_t		busy;		/* wrkrpop: stopped waiting, or 0 */
};

extern struct stats_page	*stats;
#define STAT_ADD(id, n)	(stats->c[(id)] += (n))
#define STAT_INC(id)	STAT_ADD(id, 1)

typedef void	(*stats_out)(void *, const char *);

/* Counted as the parent reads authtab, never per scrape. */
#define STATS_KINDS	48	/* more than pwscheme.c has names */
struct stats_kinds {
	const char	*name[STATS_KINDS];
	uint64_t	 n[STATS_KINDS];
	int		 weak[STATS_KINDS];
	size_t		 nkinds;
};

struct stats_gauges {
	uint64_t	authorization;	/* sessions before login */
	uint64_t	transaction;
	uint64_t	update;
	uint64_t	quota_over;	/* maildirs, as of their last check */
	long long	started;	/* unix times */
	long long	reloaded;
	const struct stats_kinds *kinds;	/* NULL: no authtab read */
	const struct stats_cert	*certs;		/* ncerts of them */
	size_t		 ncerts;
	long long	 now;		/* unix time: the certificates' expiry */
	uint64_t	 nologin;	/* authtab's users who cannot log in */
	uint64_t	 stuck;		/* sessions stuck in the store */
};

struct stats_cert {
	const char	*name;
	long long	 notafter;	/* unix times */
	long long	 refused;	/* 0: no renewal refused */
};

/* NULL strings print as "-". */
struct stats_session {
	const char	*user;
	struct peeraddr	 peer;
	const char	*listener;
	const char	*state;
	long long	 since;		/* unix time, 0: unknown */
	int		 counted;	/* logged in: the next three */
	uint64_t	 retr;
	uint64_t	 octets;
	uint32_t	 marked;
};

/* NULL user: the address's own line. */
struct stats_penalty {
	struct addrkey	 key;
	int		 v4bits, v6bits;	/* limit per-address */
	const char	*user;
	uint32_t	 fails;
	double		 delay;
	uint32_t	 queued;
};

/* stats.c */
void		 stats_attach(int);
struct stats_page *stats_page_new(int *);
void		 stats_page_free(struct stats_page *);
void		 stats_read(const struct stats_page *, uint64_t *);
uint32_t	 stats_state(const struct stats_page *);
uint32_t	 stats_marked(const struct stats_page *);
void		 stats_sum(uint64_t *, const uint64_t *);
const char	*stats_name(int);
const char	*stats_state_str(uint32_t);
void		 stats_lookup_time(double);
void		 stats_show(stats_out, void *, const uint64_t *,
		    const uint64_t *);
void		 stats_metrics(stats_out, void *, const uint64_t *,
		    const struct stats_gauges *);
void		 stats_kind_add(struct stats_kinds *, const char *, int);
void		 stats_session_line(stats_out, void *,
		    const struct stats_session *);
void		 stats_penalty_line(stats_out, void *,
		    const struct stats_penalty *);
const char	*stats_time(long long, char *, size_t);

#endif
