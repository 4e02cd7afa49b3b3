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
 * wrkrpop.h -- what wrkrpop's files share: popd -m's report of one
 * maildir (report.c), run instead of a session when the parent asks,
 * and a message's Message-ID for the log (msgid.c).
 */
#ifndef POPD_WRKRPOP_H
#define POPD_WRKRPOP_H

/* report.c */
__dead void	report_main(const char *, const char *, const char *);

/* msgid.c */
#define MSGID_MAX	256	/* a Message-ID as logged, with its NUL */
#define MSGID_HEAD	8192	/* the bytes of a header looked at */
void		msgid_parse(const char *, size_t, char *, size_t);
void		msgid_read(int, char *, size_t);

#endif
