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

/* maildir.h -- maildir naming, reading and creation (maildir.c). */
#ifndef POPD_MAILDIR_H
#define POPD_MAILDIR_H

#include <sys/types.h>

#include <stdint.h>

#include "settings.h"
#include "util.h"

struct stat;

/* maildir_open's stat(2)s of the subdirectories, in this order. */
#define MAILDIR_TMP		0
#define MAILDIR_NEW		1
#define MAILDIR_CUR		2
#define MAILDIR_NSUBS		3

#define MAILDIR_FNV_BASIS	0xcbf29ce484222325ULL

int		 maildir_uidl_ok(const char *, size_t);
size_t		 maildir_uidl_span(const char *, size_t);
uint64_t	 maildir_fnv(uint64_t, const void *, size_t);
int		 maildir_openat(int, const char *, int, mode_t);
int		 maildir_openst(int, const char *, int, mode_t,
		    struct stat *);
int		 maildir_open(const char *, struct stat *);
int		 maildir_create(const char *);
int		 maildir_close_failed(int);
int		 maildir_fsyncat(int, const char *);
int		 maildir_readdir(int, const char *,
		    int (*)(void *, const char *), void *);
int		 maildir_uidl(const char *, char *, size_t);
void		 maildir_uidl_alt(const char *, unsigned int, char *, size_t);
off_t		 maildir_namesize(const char *);
off_t		 maildir_quotasize(int, const char *, const char *);
int		 maildir_msgsize(int, const char *, off_t *);
int		 maildir_readsize(int, const char *, off_t *);
int		 maildir_size_fits(const char *, off_t);
int		 maildir_recsize(int, const char *, off_t, off_t *);
int		 maildir_seen_name(const char *, char *, size_t);
int		 maildir_namecmp(const char *, const char *);

#endif
