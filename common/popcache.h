/*
 * popcache.h -- the popcache file: a maildrop's sizes and UIDLs
 * (popcache.c, popcache(5)).
 */
#ifndef POPD_POPCACHE_H
#define POPD_POPCACHE_H

#include <sys/types.h>

#include "maildrop.h"

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

#endif
