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

/* crlf.h -- RFC 1939 line endings, dot-stuffing and sizes (crlf.c). */
#ifndef POPD_CRLF_H
#define POPD_CRLF_H

#include <sys/types.h>

#include <stddef.h>

struct crlf {
	int		 bol;		/* the next byte starts a line */
	int		 cr;		/* the last byte was a CR */
	int		 linelen;	/* bytes in this line so far, max 2 */
	int		 inbody;	/* past the header/body separator */
	long long	 lines;		/* body lines still allowed, -1: all */
	int		 done;		/* TOP limit reached: stop reading */
	long long	 stuffed;	/* dots added by dot-stuffing */
};

void		 crlf_init(struct crlf *, long long);
size_t		 crlf_convert(struct crlf *, const char *, size_t, char *,
		    size_t, size_t *);
size_t		 crlf_finish(struct crlf *, char *, size_t);
off_t		 crlf_size(int);
off_t		 crlf_count(struct crlf *, const char *, size_t);
off_t		 crlf_count_finish(struct crlf *);

#endif
