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

/* oldids.h -- a previous server's UIDLs and popd.migrated (oldids.c). */
#ifndef POPD_OLDIDS_H
#define POPD_OLDIDS_H

#include <sys/types.h>

#include <stddef.h>

#define OLDIDS_RECORD		"popd.migrated"

#define OLDIDS_DRYRUN		0x01	/* write no popd.migrated */
#define OLDIDS_SERVED		0x02	/* popd served it before: take none */
#define OLDIDS_RECORDONLY	0x04	/* popd.migrated only, or none */

struct oldids;

struct oldids	*oldids_new(void);
int		 oldids_want(struct oldids *, const char *);
int		 oldids_load(struct oldids *, int, const char *, const char *,
		    int);
const char	*oldids_source(const struct oldids *);
const char	*oldids_get(const struct oldids *, const char *);
off_t		 oldids_size(const struct oldids *, const char *);
void		 oldids_free(struct oldids *);
struct oldids	*oldids_moved(int, int, const char *, const char *);

#endif
