/*
 * tablecache.h -- the answers a database table keeps for "table ...
 * cache" (tablecache.c), for the parent's lookups (lookup.c).
 */
#ifndef POPD_TABLECACHE_H
#define POPD_TABLECACHE_H

#include <sys/types.h>
#include <sys/tree.h>

struct cached;
RB_HEAD(cachetree, cached);

/* One table's answers, by service and key. */
struct tablecache {
	struct cachetree	 tree;
	size_t			 n;
	int			 ttl;		/* seconds; 0 or less: none */
};

/* tablecache.c */
void	tablecache_init(struct tablecache *, int);
int	tablecache_get(struct tablecache *, int, const char *, int *,
	    const char **);
void	tablecache_put(struct tablecache *, int, const char *, int,
	    const char *);
void	tablecache_clear(struct tablecache *);

#endif
