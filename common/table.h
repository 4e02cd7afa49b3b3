/*
 * table.h -- usertab and authtab, table(5) file tables (table.c).
 */
#ifndef POPD_TABLE_H
#define POPD_TABLE_H

#include <sys/types.h>
#include <sys/tree.h>

#include <limits.h>

#include "util.h"

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

/* table.c */
int		 table_load_users(const char *, struct usertree *);
int		 table_load_auth(const char *, struct usertree *);
int		 table_crosscheck(const char *, struct usertree *,
		    const char *, struct usertree *);
struct userent	*table_lookup(struct usertree *, const char *);
void		 table_free(struct usertree *);

#endif
