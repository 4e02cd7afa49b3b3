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

/* deliver.h -- one message into a maildir, for mda and dlvrpop (deliver.c). */
#ifndef POPD_DELIVER_H
#define POPD_DELIVER_H

#include <sys/types.h>

#include <limits.h>
#include <signal.h>

#define DELIVER_TRIES		100	/* names tried before giving up */
#define DELIVER_HOSTMAX		64

/* After a failed step (-1, errno kept), deliver_cleanup removes the rest. */
struct delivery {
	char			 maildir[PATH_MAX];	/* its real path */
	int			 dirfd, tmpdirfd, newdirfd;
	char			 host[DELIVER_HOSTMAX + 1];
	sigset_t		 blocksigs;	/* held while a name is taken */
	void			(*warn)(const char *, ...)
				    __attribute__((__format__ (printf, 1, 2)));
	/* Told the names before a file is created; -1 stops the delivery. */
	int			(*intent)(struct delivery *, void *);
	void			*arg;

	off_t			 size, octets;	/* octets: RFC 1939's count */
	char			 tmpname[NAME_MAX + 1];
	char			 newname[NAME_MAX + 1];
	/* What deliver_cleanup must undo: set before the step creates it. */
	volatile sig_atomic_t	 have_tmp, have_new;
	volatile sig_atomic_t	 delivered;	/* never undone from here */
	char			 errmsg[PATH_MAX + NAME_MAX + 64];
};

struct quota_limit;
struct quota_use;

void	deliver_init(struct delivery *, void (*)(const char *, ...));
int	deliver_open(struct delivery *, const char *);
int	deliver_count(struct delivery *, int);
int	deliver_spool(struct delivery *, int, int);
int	deliver_commit(struct delivery *);
void	deliver_record(struct delivery *);
int	deliver_fits(struct delivery *, const struct quota_limit *,
	    struct quota_use *);
void	deliver_account(struct delivery *, const struct quota_limit *);
void	deliver_cleanup(struct delivery *);

#endif
