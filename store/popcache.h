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

/* popcache.h -- a maildrop's sizes and UIDLs (popcache.c, popcache(5)). */
#ifndef POPD_POPCACHE_H
#define POPD_POPCACHE_H

#include <sys/types.h>

#include "maildir.h"

#define POPCACHE_FILE		"popcache"	/* in the maildir */

#define POPCACHE_REBUILD	0	/* no usable cache: full scan */
#define POPCACHE_WARM		1	/* nothing changed: the file only */
#define POPCACHE_UPDATED	2	/* changed directories were read */

struct popcache_stats {			/* the last popcache_load, for tests */
	int		 result;
	unsigned int	 dirs_read;	/* directories read with readdir */
	size_t		 sized;		/* new messages sized (maybe read) */
	size_t		 records;	/* records in the file */
};

/* What a directory looked like: changes to it change one of these. */
struct popcache_stamp {
	int			 valid;
	long long		 msec, csec;
	long			 mnsec, cnsec;
	unsigned long long	 ino;
};

#define POPCACHE_NEW		0	/* index of new/ in the arrays */
#define POPCACHE_CUR		1
#define POPCACHE_NDIRS		2

/* view: only stamps old enough when read, so popcache_write may record them. */
struct popcache {
	int			 dirfd;		/* the maildir */
	const char		*path;		/* for the log */
	struct popcache_stats	 stats;

	int			 known;		/* the fields below are set */
	struct popcache_stamp	 view[POPCACHE_NDIRS];
	size_t			 count[POPCACHE_NDIRS];	/* messages per dir */
	int			 counted;	/* count[] is known */
	int			 clean;		/* the file says just that */
	int			 havefile;	/* dev, ino, size are set */
	int			 partial;	/* it ended in a partial line */
	dev_t			 dev;
	ino_t			 ino;
	off_t			 size;
	int			 havepre;	/* pre: popcache_seen's */
	struct popcache_stamp	 pre[POPCACHE_NDIRS];
};

/* One message as the file records it: "new/x" or "cur/x:2,S". */
struct popcache_rec {
	const char		*name;
	const char		*uidl;
	off_t			 size;
};

/* add may keep pointers into the buffer handed over by keep. */
struct popcache_msgs {
	void		 *arg;
	int		(*reserve)(void *, size_t);	/* room for n more */
	int		(*add)(void *, const struct popcache_rec *);
	void		(*keep)(void *, char *, size_t);	/* buf, len */
	size_t		(*count)(void *);
	void		(*get)(void *, size_t, struct popcache_rec *);
	/* A new name mda did not deliver: the UIDL it had, or NULL. */
	const char	*(*moved)(void *, const char *);
};

void		 popcache_init(struct popcache *, int, const char *);
void		 popcache_seen(struct popcache *, const struct stat *,
		    const struct stat *);
int		 popcache_load(struct popcache *, const struct popcache_msgs *);
int		 popcache_current(struct popcache *);
int		 popcache_write(struct popcache *,
		    const struct popcache_msgs *);
int		 popcache_append(int, const char *, const char *, off_t);

#endif
