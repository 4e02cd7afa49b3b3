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

#ifndef POPD_SANDBOX_H
#define POPD_SANDBOX_H

#include "util.h"

/* sandbox.c */
void		 sandbox_parent(const char *const [], const char *const [],
		    const char *const [], int);
void		 sandbox_listener(void);
void		 sandbox_lmtp(void);
void		 sandbox_control(int);
void		 sandbox_keypop(void);
void		 sandbox_keycheck(void);
void		 sandbox_confpop(void);
void		 sandbox_tablepop(const char *const []);
void		 sandbox_routepop(int);
void		 sandbox_authpop(void);
void		 sandbox_authcheck(void);
void		 sandbox_httppop(void);
void		 sandbox_wrkrpop(const char *);
/* Linux: wrkrpop's seccomp filter, from libseccomp and prebuilt. */
struct sock_filter;
int		 sandbox_wrkrpop_export(pid_t, int);
int		 sandbox_wrkrpop_bpf(pid_t, struct sock_filter *, size_t);
void		 sandbox_mda(const char *);
void		 sandbox_dlvrpop(const char *);
const char	*sandbox_describe(void);

#endif
