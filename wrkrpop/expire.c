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
 * EXPIRE (RFC 2449) at QUIT, from EXPIRE_FILE's "UIDL seconds" lines,
 * replaced atomically.  A lost or damaged file only delays expiry:
 * nothing is ever removed that was not listed.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "pop3.h"
#include "maildir.h"
#include "maildrop.h"
#include "wrkrpop.h"

#define EXPIRE_FILE	"popd.expire"
#define EXPIRE_TMP	"popd.expire.tmp"

struct expent {
	char		 uidl[UIDL_MAX + 1];
	long long	 when;
};

static int
expent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct expent *)a)->uidl,
	    ((const struct expent *)b)->uidl);
}

/* 0 if it is not to be listed (deleted, or never retrieved). */
static long long
expire_when(const struct mmsg *m, struct expent *ents, size_t n,
    long long now_s)
{
	struct expent	 key, *e = NULL;

	if (m->flags & (MMSG_DELETED | MMSG_GONE))
		return 0;
	if (n > 0) {
		(void)strlcpy(key.uidl, m->uidl, sizeof(key.uidl));
		e = bsearch(&key, ents, n, sizeof(*ents), expent_cmp);
	}
	return e != NULL ? e->when : (m->flags & MMSG_SEEN) ? now_s : 0;
}

/* Rewritten (and fsync'd) only when it changes. */
static void
expire_write(struct session *s, struct expent *ents, size_t n,
    long long now_s)
{
	FILE		*fp;
	size_t		 i, listed = 0, added = 0;
	int		 fd;
	long long	 when;

	for (i = 0; i < nmsgs(s); i++)
		if ((when = expire_when(msg_at(s, i), ents, n, now_s)) != 0) {
			listed++;
			if (when == now_s)
				added++;
		}
	if (added == 0 && listed == n)
		return;
	fd = maildir_openat(s->md.dirfd, EXPIRE_TMP,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL) {
		log_warn("%s: %s", s->user, EXPIRE_TMP);
		if (fd != -1)
			close(fd);
		return;
	}
	for (i = 0; i < nmsgs(s); i++)
		if ((when = expire_when(msg_at(s, i), ents, n, now_s)) != 0)
			fprintf(fp, "%s %lld\n", msg_at(s, i)->uidl, when);
	if (fflush(fp) == EOF || ferror(fp) || fsync(fileno(fp)) == -1) {
		log_warn("%s: %s", s->user, EXPIRE_TMP);
		fclose(fp);
		(void)unlinkat(s->md.dirfd, EXPIRE_TMP, 0);
		return;
	}
	if (fclose(fp) == EOF || renameat(s->md.dirfd, EXPIRE_TMP,
	    s->md.dirfd, EXPIRE_FILE) == -1) {
		log_warn("%s: %s", s->user, EXPIRE_FILE);
		(void)unlinkat(s->md.dirfd, EXPIRE_TMP, 0);
	}
}

void
expire_old(struct session *s)
{
	struct expent	*ents = NULL, key, *e;
	FILE		*fp;
	char		 line[UIDL_MAX + 32], fmt[32];
	size_t		 n = 0, nalloc = 0, i, nexp = 0;
	long long	 now_s = time(NULL), limit;
	int		 fd;

	limit = now_s - (long long)set.expire * 86400;
	/* Never a FIFO or a device: a regular file only. */
	if ((fd = maildir_openat(s->md.dirfd, EXPIRE_FILE, O_RDONLY, 0)) ==
	    -1 && errno == EINVAL)
		log_warnx("%s: %s is not a regular file, ignored", s->user,
		    EXPIRE_FILE);
	if (fd != -1 && (fp = fdopen(fd, "r")) != NULL) {
		(void)snprintf(fmt, sizeof(fmt), "%%%ds %%lld", UIDL_MAX);
		while (fgets(line, sizeof(line), fp) != NULL) {
			if (n == nalloc) {
				nalloc = nalloc ? nalloc * 2 : 256;
				if ((e = reallocarray(ents, nalloc,
				    sizeof(*ents))) == NULL)
					fatal("%s", __func__);
				ents = e;
			}
			if (sscanf(line, fmt, ents[n].uidl, &ents[n].when) == 2)
				n++;
		}
		fclose(fp);
	} else if (fd != -1)
		close(fd);
	if (n > 0)
		qsort(ents, n, sizeof(*ents), expent_cmp);

	for (i = 0; i < nmsgs(s); i++) {
		struct mmsg	*m = msg_at(s, i);

		if (m->flags & (MMSG_DELETED | MMSG_GONE) || n == 0)
			continue;
		(void)strlcpy(key.uidl, m->uidl, sizeof(key.uidl));
		e = bsearch(&key, ents, n, sizeof(*ents), expent_cmp);
		if (e != NULL && e->when <= limit) {
			maildrop_mark(msg_md(s, m), m,
			    MMSG_DELETED | MMSG_EXPIRED);
			s->live--;
			s->liveoct -= msg_size(s, m);
			nexp++;
		}
	}
	expire_write(s, ents, n, now_s);
	free(ents);
	if (nexp > 0)
		log_info("%s: %zu messages expired (retrieved %d days ago or "
		    "more)", s->user, nexp, set.expire);
}
