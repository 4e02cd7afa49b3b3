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
 * quota.h -- Maildir++ "maildirsize" quotas, as Courier and Dovecot keep
 * them (quota.c).  There is no lock: concurrent deliveries overshoot by
 * at most one message per writer, and a recalculation racing a writer
 * may miscount until the size rule or quota_read's recheck corrects it.
 */
#ifndef POPD_QUOTA_H
#define POPD_QUOTA_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "quotarule.h"

#define QUOTA_FILE	"maildirsize"
#define QUOTA_FILEMAX	5120		/* the format's size rule */
#define QUOTA_STALE	(15 * 60)	/* seconds an over-quota file holds */
#define QUOTA_TRIES	3		/* scans while the maildir changes */
#define QUOTA_DEFMAX	44		/* "<20 digits>S,<20 digits>C" + NUL */

/* What quota_read did: read the file, or recalculated it and why. */
enum quota_how {
	QUOTA_READ = 0,		/* maildirsize used as it was */
	QUOTA_MISSING,		/* there was none */
	QUOTA_DAMAGED,		/* unparsable, or not a regular file */
	QUOTA_REDEFINED,	/* for another definition than the wanted */
	QUOTA_SIZERULE,		/* QUOTA_FILEMAX bytes or more */
	QUOTA_OVERSTALE		/* over quota, several lines or not fresh */
};

/* On failure (-1, errno kept) msg, if not NULL, names the file and step. */

int	quota_def_parse(const char *, size_t, struct quota_limit *);

/* QUOTA_DEFMAX always holds the result. */
int	quota_def_format(const struct quota_limit *, char *, size_t);

/* Padded (Courier) and unpadded (Dovecot) lines both parse. */
int	quota_parse(const char *, size_t, struct quota_limit *,
	    struct quota_use *, char *, size_t);

int	quota_read(int, const struct quota_limit *, struct quota_use *,
	    char *, size_t);

int	quota_recalc(int, const struct quota_limit *, struct quota_use *,
	    char *, size_t);

/* For a writer without a limit of its own (Maildir++: mda without -q). */
int	quota_file_limit(int, struct quota_limit *);

/* With no maildirsize this recalculates, which counts the change made. */
int	quota_add(int, const struct quota_limit *, int64_t, int64_t,
	    char *, size_t);

#endif
