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
 * quota.h -- per-user quotas kept in the Maildir++ "maildirsize" file
 * of a maildir's root, as Courier's README.maildirquota defines it and
 * Dovecot 2.3's "quota = maildir" reads and writes it (quota.c).
 *
 * Line 1 is the definition ("10000000S,1000C": bytes, messages); every
 * other line holds two integers, bytes and messages, and the use is
 * their sum.  Each change appends one line; a reader recalculates the
 * file from the maildir when it cannot trust it.  There is no lock, so:
 * - deliveries that each check the same sum before they append
 *   overshoot the limit by at most one message per concurrent writer;
 * - a recalculation may count a message twice, or miss it, for each
 *   writer that is between its change to the maildir and its line; it
 *   counts again while the directories it read change under it, up to
 *   QUOTA_TRIES times, then keeps the last count, which the size rule
 *   and the check before a refusal (quota_read) correct later.
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

/*
 * The functions that touch files take the maildir's directory
 * descriptor and work relative to it, and an optional buffer msg
 * (NULL: none): after a failure (-1, errno kept) it names the file and
 * the step, for log_warn or warn(3), which add errno's text.
 */

/*
 * Parse a definition line of len bytes (no newline): comma-separated
 * <integer><letter>, S bytes, C messages, in any order; other letters
 * are kinds we do not know, ignored; empty or 0 means no limit.  0, or
 * -1 if it is not one (a missing letter, a sign, a 64-bit overflow).
 */
int	quota_def_parse(const char *, size_t, struct quota_limit *);

/*
 * Write the definition line of a limit as Dovecot does ("1048576S",
 * "1048576S,100C", "100C", "0S" for none), NUL-terminated, without a
 * newline.  Its length, or -1 (errno ERANGE) if the buffer is short;
 * QUOTA_DEFMAX always holds it.
 */
int	quota_def_format(const struct quota_limit *, char *, size_t);

/*
 * Parse a whole maildirsize of len bytes: the definition into def and
 * the sum of the other lines into use.  Lines may be padded with
 * blanks (Courier) or not (Dovecot); a line that is not two integers,
 * a last line without a newline, no line after the definition and a
 * negative total are damage.  The number of lines after the
 * definition, or -1 with "line N: why" in err (NULL: none).
 */
int	quota_parse(const char *, size_t, struct quota_limit *,
	    struct quota_use *, char *, size_t);

/*
 * The use of the maildir for the wanted limit: from maildirsize when
 * it can be trusted, else recalculated (quota_recalc).  Returns how
 * (enum quota_how; msg says why in words, a damaged file's line
 * included), or -1 with errno.
 */
int	quota_read(int, const struct quota_limit *, struct quota_use *,
	    char *, size_t);

/*
 * Count the messages of the maildir and of its folders (new/ and cur/;
 * ",S=" in a name or the file's size) and put a new maildirsize in
 * place by rename(2).  Scans again, up to QUOTA_TRIES times, while a
 * directory changes under it, then keeps the last count.  0 or -1.
 */
int	quota_recalc(int, const struct quota_limit *, struct quota_use *,
	    char *, size_t);

/*
 * The limit maildirsize's definition line states, for a writer that
 * has none of its own (Maildir++: mda without -q).  1 if there is one,
 * 0 if none (no file, a definition of no limit, or damage), -1 with
 * errno if the file cannot be read.
 */
int	quota_file_limit(int, struct quota_limit *);

/*
 * Record a change (bytes and messages, negative for removals) made to
 * the maildir: one line appended to maildirsize by one write(2).  When
 * there is no maildirsize it is recalculated instead, which counts the
 * change already made; with no limit (NULL: a writer that only keeps
 * the count of a file others made, wrkrpop), nothing.  Nothing to do
 * for 0 and 0.  0 or -1.
 */
int	quota_add(int, const struct quota_limit *, int64_t, int64_t,
	    char *, size_t);

#endif
