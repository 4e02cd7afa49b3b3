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

#ifndef POPD_SANDBOX_LINUX_H
#define POPD_SANDBOX_LINUX_H

#include <seccomp.h>

/* sandbox_linux.c */
void		 sb_nnp(const char *);
void		 sc_check(int, const char *, const char *);
void		 sc_allow(scmp_filter_ctx, const char *, const int *, size_t);
scmp_filter_ctx	 sc_init(const char *, uint32_t);
void		 sc_child_base(scmp_filter_ctx, const char *, int, pid_t);
void		 sb_describe(int, const char *);
void		 sc_load(scmp_filter_ctx, const char *, int);
void		 sc_nofs(scmp_filter_ctx, const char *);
scmp_filter_ctx	 sc_nofile(const char *, const int *, size_t, int *);
void		 sc_deny(scmp_filter_ctx, const char *);
void		 exec_only(const char *, const char *const [], int);

#endif
