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
 * OpenBSD stand-in (regress/openbsd/check.sh): glibc's <unistd.h> plus
 * what OpenBSD's <unistd.h> declares and glibc does not, or declares
 * otherwise, as in OpenBSD's manual pages.  Only what popd uses.
 */
#ifndef POPD_OBSD_UNISTD_H
#define POPD_OBSD_UNISTD_H

/* glibc's closefrom returns void; OpenBSD's returns int. */
#define closefrom	popd_glibc_closefrom
#include_next <unistd.h>
#undef closefrom

/* pledge(2), unveil(2) */
int	 pledge(const char *promises, const char *execpromises);
int	 unveil(const char *path, const char *permissions);
/* closefrom(2) */
int	 closefrom(int fd);
/* setresuid(2), getresuid(2): glibc hides them without _GNU_SOURCE. */
int	 setresuid(uid_t ruid, uid_t euid, uid_t suid);
int	 setresgid(gid_t rgid, gid_t egid, gid_t sgid);
int	 getresuid(uid_t *ruid, uid_t *euid, uid_t *suid);
int	 getresgid(gid_t *rgid, gid_t *egid, gid_t *sgid);
/* pipe2(2), dup3(2) */
int	 pipe2(int fildes[2], int flags);
int	 dup3(int oldd, int newd, int flags);
/* crypt_checkpass(3) */
int	 crypt_checkpass(const char *password, const char *hash);
int	 crypt_newhash(const char *password, const char *pref, char *hash,
	    size_t hashsize);

#endif
