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
 * lmtp_pool.h -- the delivery workers the lmtp process keeps
 * (lmtp_pool.c), one per maildir and limit, as the parent said at RCPT.
 */
#ifndef POPD_LMTP_POOL_H
#define POPD_LMTP_POOL_H

#include <sys/types.h>

#include <limits.h>
#include <stdint.h>

struct chan;
struct conf_settings;
struct quota_use;

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

void	pool_init(const struct conf_settings *, struct chan *);
void	pool_job(const struct pool_key *, uint64_t, int, uint64_t, pool_cb,
	    void *);
int	pool_room(const struct pool_key *, uint64_t);
void	lmtp_parent_dlvrpop(struct chan *, const void *, int);
void	lmtp_parent_nodlvrpop(struct chan *, const void *, int);

#endif
