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

#ifndef POPDPASS_H
#define POPDPASS_H

struct stat;

/* popdpass.c */
void	fsync_dir(const char *);
int	lock_file(const char *, int, struct stat *);
char	*read_all(const char *, int, size_t *);
char	*line_end(char *, char *, size_t *);
void	replace(const char *, const struct stat *, const char *, size_t,
	    int (*)(const char *, void *), void *);

/* apps.c */
void	app_wipe(void);
int	app_add(const char *, const char *, const char *, const char *,
	    const char *, const char *);
int	app_remove(const char *, const char *, const char *);
int	app_bar(const char *, const char *);

#endif
