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

/* maildrop.h -- one user's maildrop for a session (maildrop.c). */
#ifndef POPD_MAILDROP_H
#define POPD_MAILDROP_H

#include <sys/types.h>

#include <limits.h>

#include "kept.h"
#include "maildir.h"
#include "oldids.h"
#include "popcache.h"

/* name and uidl point into kept or strings; both live until maildrop_clear. */
#define MMSG_DELETED		0x01	/* DELE in this session */
#define MMSG_SEEN		0x02	/* RETR/TOP: move to cur/ at UPDATE */
#define MMSG_GONE		0x04	/* removed by another program */
#define MMSG_EXPIRED		0x08	/* with DELETED: by EXPIRE, not DELE */

struct mmsg {
	const char	*name;
	const char	*uidl;
	off_t		 size;		/* RFC 1939 octets: CRLF, unstuffed */
	int		 flags;
};

struct mstrings;

struct maildrop {
	char		 path[PATH_MAX];
	int		 dirfd;		/* the maildir itself */
	int		 lockfd;	/* session lock, held until exit */
	struct mmsg	*msgs;		/* grown by maildrop_add */
	char		*kept;		/* the popcache file msgs point into */
	size_t		 keptlen;
	struct mstrings	*strings;	/* the other names and UIDLs */
	size_t		 nmsgs;
	size_t		 nalloc;	/* slots allocated in msgs */
	off_t		 total;		/* octets of all messages */
	struct popcache	 pc;		/* its popcache; pc.stats for tests */
	struct oldids	*old;		/* a previous server's, in a scan */
	size_t		 fromrec;	/* sizes taken from its records */
	size_t		 removed;	/* messages UPDATE dropped */
	off_t		 qbytes;	/* what UPDATE removed, as */
	int64_t		 qmsgs;		/* maildirsize counts it */
	size_t		 marked;	/* maildrop_mark calls */
	int		 keep;		/* UPDATE moves removals to KEPT_DIR */
	size_t		 nkept;		/* messages UPDATE kept so */
	const char	*uidl_format;	/* Dovecot's, for its UIDLs */
	/* A merged Maildir++ folder: its root fd, name and dir, or -1. */
	int		 rootfd;
	const char	*folder;
	char		 dir[CONF_FOLDERLEN + 2];
	struct oldids	*moved;		/* oldids_moved's, once asked */
	int		 movedread;
	void		(*removed_fn)(void *, const struct mmsg *);
	void		*removed_arg;
};

int		 maildrop_open(struct maildrop *, const char *, const char *);
int		 maildrop_folder(struct maildrop *, const struct maildrop *,
		    const char *);
int		 maildrop_lock(struct maildrop *);
void		 maildrop_unlock(struct maildrop *);
int		 maildrop_scan(struct maildrop *);
int		 maildrop_cache_load(struct maildrop *);
int		 maildrop_cache_write(struct maildrop *);
int		 maildrop_update(struct maildrop *);
void		 maildrop_sweep(struct maildrop *);
int		 maildrop_openmsg(struct maildrop *, struct mmsg *);
void		 maildrop_mark(struct maildrop *, struct mmsg *, int);
void		 maildrop_close(struct maildrop *);
int		 maildrop_restore(struct maildrop *, const char *,
		    const struct kept *);
int		 maildrop_uniq_after(struct maildrop *,
		    const struct maildrop *);

#endif
