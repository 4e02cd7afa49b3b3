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

/* popcache_file.h -- shared by popcache.c and popcache_scan.c only. */
#ifndef POPD_POPCACHE_FILE_H
#define POPD_POPCACHE_FILE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "popcache.h"

#define D_NEW		POPCACHE_NEW
#define D_CUR		POPCACHE_CUR
#define D_N		POPCACHE_NDIRS

extern const char *pc_dirs[D_N];

struct pc_rec {
	char		*name;		/* "new/x" or "cur/x:2,S" */
	char		*uidl;
	off_t		 size;
	unsigned short	 namelen;
	unsigned char	 uidllen;
	unsigned char	 dir;
	long		 ent;		/* matching directory entry, or -1 */
};

struct pc_file {
	char		*buf;
	size_t		 len;
	struct popcache_stamp	 stamp[D_N];
	char		*first;		/* the first record's line */
	char		*trailer;	/* the trailer's line */
	size_t		 count;		/* lines between them */
	struct pc_rec	*recs;		/* parsed when reconciling */
	size_t		 nrecs;
	struct pc_rec	*hints;		/* appended by mda after "end" */
	size_t		 nhints;
	dev_t		 dev;
	ino_t		 ino;
	int		 partial;	/* the last line has no line end */
};

/* popcache.c */
int		 pc_stamp_dir(int, int, struct popcache_stamp *);
int		 pc_stamp_eq(const struct popcache_stamp *,
		    const struct popcache_stamp *);
uint64_t	 pc_hash(const void *, size_t, uint64_t);
void		*pc_tab(size_t, size_t, size_t *);
int		 pc_next_rec(struct pc_file *, char **, size_t,
		    struct pc_rec *);
void		 pc_bad_rec(struct popcache *, size_t);
int		 pc_read(struct popcache *, struct pc_file *, const char **);
void		 pc_file_free(struct pc_file *);

#endif
