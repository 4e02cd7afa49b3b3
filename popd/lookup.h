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

/* The parent's table lookups: OpenSMTPD's table programs, via tablepop. */
#ifndef POPD_LOOKUP_H
#define POPD_LOOKUP_H

#include <sys/types.h>

/*
 * K_USERINFO, and K_ALIAS for quota and junk users (one string from every
 * backend).  Password hashes (K_CREDENTIALS) never pass here.
 */
#define LOOKUP_ALIAS		0x01
#define LOOKUP_USERINFO		0x10

#define LOOKUP_FOUND		1
#define LOOKUP_NONE		0	/* no such user */
#define LOOKUP_TEMP		(-1)	/* the table could not answer */

struct chan;
struct popd_conf;
struct proc;
typedef void	(*lookup_cb)(void *, int, const char *);

extern char	**table_env;

void		 lookup_conf(struct chan *, const struct popd_conf *);
size_t		 lookup_names(const struct popd_conf *, const char *[6]);
void		 lookup(const char *, int, const char *, lookup_cb, void *);
void		 lookup_user(const char *, int, const char *, const char *,
		    lookup_cb, void *);
void		 parent_table_answer(struct chan *, const void *, int);
void		 lookup_gone(const struct proc *);

#endif
