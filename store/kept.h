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
 * kept.h -- messages "deleted keep" moved into KEPT_DIR at UPDATE, for
 * popctl undelete until a sweep removes them (kept.c).
 */
#ifndef POPD_KEPT_H
#define POPD_KEPT_H

#include <sys/types.h>

#include <limits.h>

#include "settings.h"

/* Not a dot-directory, so Maildir++ readers take it for no folder. */
#define KEPT_DIR	"popd.deleted"

struct kept {
	long long	 time;			/* when UPDATE removed it */
	char		 uidl[UIDL_MAX + 1];
	char		 uniq[NAME_MAX + 1];	/* its unique name, no flags */
	char		 folder[CONF_FOLDERLEN];	/* "": INBOX */
};

struct kept_sum {
	size_t		 n, swept;
	off_t		 bytes, sweptbytes;
};

int	kept_name(const char *, const char *, const char *, long long,
	    char *, size_t);
int	kept_parse(const char *, struct kept *);
int	kept_walk(int, int (*)(void *, const char *, const struct kept *),
	    void *);
int	kept_sweep(int, long long, struct kept_sum *);
off_t	kept_size(int, const char *, const struct kept *);

#endif
