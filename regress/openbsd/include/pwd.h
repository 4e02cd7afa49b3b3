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
 * OpenBSD stand-in (regress/openbsd/check.py): glibc's <pwd.h> without
 * what OpenBSD lacks (getpwent_r), plus what OpenBSD's declares, as in
 * its getpwent(3) and getpwnam(3) manual pages.  Only what popd uses.
 */
#ifndef POPD_OBSD_PWD_H
#define POPD_OBSD_PWD_H

#define getpwent_r	popd_linux_only_getpwent_r
#include_next <pwd.h>
#undef getpwent_r

/* getpwnam(3): the password hash, for root only. */
struct passwd	*getpwnam_shadow(const char *name);
struct passwd	*getpwuid_shadow(uid_t uid);

#endif
