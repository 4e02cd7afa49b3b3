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
 * OpenBSD stand-in (regress/openbsd/check.sh): glibc's <netinet/tcp.h>
 * without the Linux-only socket options, with OpenBSD's TCP_NOPUSH
 * (tcp(4)).
 */
#ifndef POPD_OBSD_NETINET_TCP_H
#define POPD_OBSD_NETINET_TCP_H

#include_next <netinet/tcp.h>

#undef TCP_CORK
#undef TCP_KEEPIDLE
#undef TCP_KEEPINTVL
#undef TCP_KEEPCNT
#undef TCP_DEFER_ACCEPT
#undef TCP_QUICKACK
#undef TCP_USER_TIMEOUT
#undef TCP_FASTOPEN
#undef TCP_CONGESTION
#define TCP_NOPUSH	0x10

#endif
