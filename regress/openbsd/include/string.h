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
 * OpenBSD stand-in (regress/openbsd/check.sh): glibc's <string.h> plus
 * what OpenBSD's <string.h> declares and glibc does not, as in
 * OpenBSD's manual pages.  Only what popd uses.
 */
#ifndef POPD_OBSD_STRING_H
#define POPD_OBSD_STRING_H

#include_next <string.h>

/* strlcpy(3) */
size_t	 strlcpy(char *dst, const char *src, size_t dstsize);
size_t	 strlcat(char *dst, const char *src, size_t dstsize);
/* timingsafe_bcmp(3) */
int	 timingsafe_bcmp(const void *b1, const void *b2, size_t len);
/* explicit_bzero(3), in bzero(3) */
void	 explicit_bzero(void *buf, size_t len);
/* memchr(3): glibc hides memrchr without _GNU_SOURCE. */
void	*memrchr(const void *b, int c, size_t len);

#endif
