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

#ifndef POPD_UTIL_H
#define POPD_UTIL_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>

#include "compat.h"
#include "log.h"

/*
 * On OpenBSD, _pop3d is mail/pop3d's (uid 733, retired in user.list): the
 * listener is _popd there.
 */
#ifdef __OpenBSD__
#define POPD_USER		"_popd"		/* listener */
#else
#define POPD_USER		"_pop3d"	/* listener */
#endif
#define POPD_AUTH_USER		"_pop3auth"	/* authpop */
#define POPD_TABLE_USER		"_pop3table"	/* table backends */
#ifdef __OpenBSD__
#define POPD_SHADOW_GROUP	"_shadow"	/* getpwnam_shadow(3) */
#else
#define POPD_SHADOW_GROUP	"shadow"	/* /etc/shadow's group */
#endif
#define POPD_CHANNEL_FD		3	/* a child's channel or session fd */
#define POPD_CONF_FD		4	/* wrkrpop: its configuration */
#define POPD_MAXUSER		64

/* util.c */
int		 valid_username(const char *);
int		 set_nonblock(int);
int		 set_cloexec(int);
int		 open_regular(const char *, const char **);
ssize_t		 key_read(int, unsigned char *, size_t);
int		 write_all(int, const void *, size_t);
int		 drop_privileges(const char *, uid_t, gid_t);
int		 ids_final(const char *, uid_t, gid_t);
time_t		 monotime(void);
void		 trim_after_spike(size_t);
uint64_t	 siphash(const uint64_t [2], const void *, size_t);
void		*map_anon(size_t *);
void		 unmap(void *, size_t);

#endif
