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
 * OpenBSD stand-in (regress/openbsd/check.sh): glibc's <sys/socket.h>
 * plus what OpenBSD's declares and glibc does not, or hides without
 * _GNU_SOURCE, as in OpenBSD's manual pages.  Only what popd uses.
 */
#ifndef POPD_OBSD_SYS_SOCKET_H
#define POPD_OBSD_SYS_SOCKET_H

#include_next <sys/socket.h>

/* getpeereid(2) */
int	 getpeereid(int s, uid_t *euid, gid_t *egid);
/* accept(2) */
int	 accept4(int s, struct sockaddr *addr, socklen_t *addrlen, int flags);

#endif
