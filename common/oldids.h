/*
 * oldids.h -- the UIDLs a previous POP3 server gave a maildir's messages,
 * so that clients that leave mail on the server see the same ones from
 * popd (oldids.c).  Dovecot's dovecot-uidlist for now.
 */
#ifndef POPD_OLDIDS_H
#define POPD_OLDIDS_H

#include <stddef.h>

#define OLDIDS_STAMP		"popd.migrated"

struct oldids;

/* oldids.c */
#define OLDIDS_DRYRUN		0x01	/* oldids_load: write no popd.migrated */

struct oldids	*oldids_load(int, const char *, const char *, int);
const char	*oldids_source(const struct oldids *);
const char	*oldids_get(const struct oldids *, const char *);
off_t		 oldids_size(const struct oldids *, const char *);
void		 oldids_free(struct oldids *);

#endif
