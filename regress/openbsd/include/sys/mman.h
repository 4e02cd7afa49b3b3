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
 * OpenBSD stand-in (regress/openbsd/check.sh): glibc's <sys/mman.h>
 * without the Linux-only names popd tests for, plus shm_mkstemp, as in
 * OpenBSD's manual pages.
 */
#ifndef POPD_OBSD_SYS_MMAN_H
#define POPD_OBSD_SYS_MMAN_H

#include_next <sys/mman.h>

/* madvise(2) and mmap(2) flags that only Linux has. */
#undef MADV_DONTFORK
#undef MADV_DOFORK
#undef MAP_POPULATE
#undef MAP_LOCKED
#undef MAP_NORESERVE

/* shm_open(3) */
int	 shm_mkstemp(char *template);

#endif
