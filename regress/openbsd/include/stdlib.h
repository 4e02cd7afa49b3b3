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
 * OpenBSD stand-in (regress/openbsd/check.sh): glibc's <stdlib.h> plus
 * what OpenBSD's <stdlib.h> declares and glibc does not, as in
 * OpenBSD's manual pages.  Only what popd uses.
 */
#ifndef POPD_OBSD_STDLIB_H
#define POPD_OBSD_STDLIB_H

#include_next <stdlib.h>
#include <stdint.h>

/* setproctitle(3), getprogname(3) */
void		 setproctitle(const char *fmt, ...)
		    __attribute__((__format__ (printf, 1, 2)));
const char	*getprogname(void);
/* strtonum(3) */
long long	 strtonum(const char *nptr, long long minval,
		    long long maxval, const char **errstr);
/* reallocarray(3), freezero(3) */
void		*reallocarray(void *ptr, size_t nmemb, size_t size);
void		 freezero(void *ptr, size_t size);
/* arc4random(3) */
uint32_t	 arc4random(void);
void		 arc4random_buf(void *buf, size_t nbytes);
/* mkstemp(3): glibc hides mkostemp without _GNU_SOURCE. */
int		 mkostemp(char *template, int flags);

#endif
