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
 * undelete.c -- popctl undelete, and show quota's count of kept messages, for
 * one maildir, as the user.  Messages go back under their UIDLs, so a client
 * that leaves mail on the server does not fetch them again; a junk folder's go
 * back into it.  It locks the maildrop as a session does: never while a
 * session holds it.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "maildrop.h"
#include "proto.h"
#include "quota.h"
#include "wrkrpop.h"

#define UNDELETE_MAX	100000	/* kept messages looked at, at most */
#define UNDELETE_FOLDERS 8	/* folders restored into, at most */

struct want {
	char		*fname;
	struct kept	 k;
};

struct undo {
	const struct msg_worker	*who;
	const char		*fmt;
	struct maildrop		 md;
	struct maildrop		 folders[UNDELETE_FOLDERS];
	size_t			 nfolders;
	long long		 since;		/* removed since, or 0 */
	int			 keep;		/* deleted keep, seconds */
	size_t			 nkept;		/* all of them */
	struct want		*v;		/* those asked for */
	size_t			 n, nalloc;
};

static struct undo	undo;

__dead static void undelete_fail(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));

static int
want_cmp(const void *a, const void *b)
{
	const struct want	*x = a, *y = b;

	if (x->k.time != y->k.time)
		return x->k.time < y->k.time ? -1 : 1;
	return strcmp(x->fname, y->fname);
}

static int
uidl_taken(const struct maildrop *md, const char *uidl)
{
	size_t	i;

	for (i = 0; i < md->nmsgs; i++)
		if (strcmp(md->msgs[i].uidl, uidl) == 0)
			return 1;
	return 0;
}

int
undelete_is(int dirfd, const char *fname, const struct kept *k,
    const char *find)
{
	char	rel[sizeof(KEPT_DIR) + NAME_MAX + 1], msgid[MSGID_MAX];
	int	fd;

	if (strcmp(find, k->uidl) == 0)
		return 1;
	(void)snprintf(rel, sizeof(rel), "%s/%s", KEPT_DIR, fname);
	if ((fd = maildir_openat(dirfd, rel, O_RDONLY, 0)) == -1)
		return 0;
	msgid_read(fd, msgid, sizeof(msgid));
	close(fd);
	return strcmp(find, msgid) == 0;
}

static int
undelete_want(void *arg, const char *fname, const struct kept *k)
{
	struct undo	*u = arg;
	struct want	*w;
	size_t		 n;

	if (++u->nkept > UNDELETE_MAX)
		return 0;
	if (u->since != 0 && k->time < u->since)
		return 0;
	if (u->who->find[0] != '\0' && !undelete_is(u->md.dirfd, fname, k,
	    u->who->find))
		return 0;
	if (u->n == u->nalloc) {
		n = u->nalloc == 0 ? 64 : u->nalloc * 2;
		if ((w = reallocarray(u->v, n, sizeof(*w))) == NULL)
			undelete_fail("%s", strerror(errno));
		u->v = w;
		u->nalloc = n;
	}
	w = &u->v[u->n];
	w->k = *k;
	if ((w->fname = strdup(fname)) == NULL)
		undelete_fail("%s", strerror(errno));
	u->n++;
	return 0;
}

/*
 * A folder that is gone is not made (IMAP would show it): INBOX then, so the
 * message is not lost.
 */
static struct maildrop *
undelete_into(struct undo *u, const struct want *w, const char **why)
{
	struct maildrop	*md;
	size_t		 i;

	if (w->k.folder[0] == '\0')
		return &u->md;
	for (i = 0; i < u->nfolders; i++)
		if (strcmp(u->folders[i].folder, w->k.folder) == 0)
			return u->folders[i].dirfd != -1 ? &u->folders[i] :
			    &u->md;
	if (u->nfolders == UNDELETE_FOLDERS) {
		*why = "too many folders at once: undelete by folder";
		return NULL;
	}
	md = &u->folders[u->nfolders];
	/* The name must live as long as md: w's does. */
	if (maildrop_folder(md, &u->md, w->k.folder) == -1) {
		*why = errno != ENOENT ? strerror(errno) : NULL;
		maildrop_close(md);
		if (*why != NULL)
			return NULL;
		md->folder = w->k.folder;
		md->dirfd = -1;
		u->nfolders++;
		return &u->md;
	}
	if (maildrop_scan(md) == -1) {
		*why = errno == EBADMSG ? "the maildrop's UIDL record "
		    "(popd.migrated) is damaged: see the log" : strerror(errno);
		maildrop_close(md);
		return NULL;
	}
	u->nfolders++;
	return md;
}

static int
undelete_one(struct undo *u, struct want *w)
{
	struct maildrop	*md;
	const char	*why = NULL;
	char		 rel[sizeof(KEPT_DIR) + NAME_MAX + 1];
	char		 msgid[MSGID_MAX], t[32];
	int		 fd;

	(void)snprintf(rel, sizeof(rel), "%s/%s", KEPT_DIR, w->fname);
	(void)strlcpy(msgid, "none", sizeof(msgid));
	if ((fd = maildir_openat(u->md.dirfd, rel, O_RDONLY, 0)) != -1) {
		msgid_read(fd, msgid, sizeof(msgid));
		close(fd);
	}
	md = undelete_into(u, w, &why);
	/* A folder's UIDL must be free in INBOX too: it comes after. */
	if (md != NULL && md != &u->md && uidl_taken(&u->md, w->k.uidl)) {
		errno = EEXIST;
		md = NULL;
	}
	if (md == NULL || maildrop_restore(md, w->fname, &w->k) == -1) {
		if (why == NULL && errno == EEXIST)
			why = "a message of the maildrop has this UIDL or name";
		else if (why == NULL)
			why = strerror(errno);
		dprintf(POPD_CHANNEL_FD, "not restored: %s %s: %s\n",
		    w->k.uidl, msgid, why);
		log_warnx("%s: undelete %s: %s", u->who->user, w->k.uidl,
		    why);
		return 0;
	}
	log_info("%s: undelete: %s %s back in %snew/", u->who->user,
	    w->k.uidl, msgid, md->dir);
	dprintf(POPD_CHANNEL_FD, "restored %s %s (%lld octets)%s%s%s, "
	    "removed %s\n", w->k.uidl, msgid,
	    (long long)md->msgs[md->nmsgs - 1].size,
	    md->folder != NULL ? " into " : "",
	    md->folder != NULL ? md->folder : "",
	    md == &u->md && w->k.folder[0] != '\0' ? " (its folder "
	    "is gone: into INBOX)" : "",
	    journal_stamp(w->k.time, t, sizeof(t)));
	return 1;
}

static void
undelete_commit(struct undo *u, size_t restored)
{
	char		 qmsg[128];
	size_t		 i;

	for (i = 0; i < u->nfolders; i++) {
		u->md.qbytes += u->folders[i].qbytes;
		u->md.qmsgs += u->folders[i].qmsgs;
	}
	if (restored == 0)
		return;
	/* maildirsize counts them again (kept ones it does not). */
	if (quota_add(u->md.dirfd, NULL, u->md.qbytes, u->md.qmsgs,
	    qmsg, sizeof(qmsg)) == -1)
		log_warn("%s/%s", u->md.path, qmsg);
	for (i = 0; i <= u->nfolders; i++) {
		struct maildrop	*md = i == 0 ? &u->md :
		    &u->folders[i - 1];

		if (md->qmsgs == 0 && i > 0)
			continue;
		if (maildir_fsyncat(md->dirfd, "new") == -1)
			log_warn("%s: fsync new", md->path);
		if (maildrop_cache_write(md) == -1)
			log_warn("%s: popcache write", md->path);
	}
}

/* Kept messages are not counted by the quota, so they are shown apart. */
__dead static void
undelete_kept(struct undo *u)
{
	struct quota_limit	lim = { u->who->qbytes, u->who->qmsgs };
	struct quota_use	use;
	struct kept_sum		sum;
	char			msg[128];
	int			how = QUOTA_READ;

	memset(&use, 0, sizeof(use));
	if ((lim.bytes != 0 || lim.msgs != 0) && u->md.dirfd != -1 &&
	    (how = quota_read(u->md.dirfd, &lim, &use, msg, sizeof(msg))) ==
	    -1)
		undelete_fail("the maildir's use cannot be read: %s: %s", msg,
		    strerror(errno));
	if (how != QUOTA_READ)
		log_info("%s/%s: recalculated: %lld bytes, %lld messages",
		    u->who->maildir, msg, (long long)use.bytes,
		    (long long)use.msgs);
	if (lim.bytes != 0 || lim.msgs != 0)
		dprintf(POPD_CHANNEL_FD, "used %lld bytes, %lld messages\n"
		    "over %s\n", (long long)use.bytes, (long long)use.msgs,
		    quota_over(&lim, &use) ? "yes" : "no");
	memset(&sum, 0, sizeof(sum));
	if (u->md.dirfd != -1 && kept_sweep(u->md.dirfd, 0, &sum) == -1 &&
	    errno != ENOENT)
		undelete_fail("%s: %s", KEPT_DIR, strerror(errno));
	if (u->keep == 0 && sum.n == 0)
		exit(0);
	dprintf(POPD_CHANNEL_FD, "kept %zu messages, %lld bytes (deleted "
	    "keep; not counted)\n", sum.n, (long long)sum.bytes);
	exit(0);
}

static void
undelete_open(void *arg)
{
	struct undo	*u = arg;

	if (u->who->flags & WORKER_KEPT) {
		memset(&u->md, 0, sizeof(u->md));
		if ((u->md.dirfd = open(u->who->maildir, O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC)) != -1)
			return;
		if (errno != ENOENT)
			undelete_fail("%s: %s", u->who->maildir,
			    strerror(errno));
		undelete_kept(u);	/* no maildir yet: nothing kept */
	}
	if (maildrop_open(&u->md, u->who->maildir, u->fmt) == -1)
		undelete_fail("%s: %s", u->who->maildir, strerror(errno));
	if (maildrop_lock(&u->md) == -1) {
		if (errno == EWOULDBLOCK)
			undelete_fail("the maildrop of %s is in use by a "
			    "session: try again when it ends", u->who->user);
		undelete_fail("%s/popd.lock: %s", u->who->maildir,
		    strerror(errno));
	}
}

/* keep: deleted keep, in seconds (0: none), for the sweep after it. */
__dead void
undelete_main(const struct msg_worker *req, const char *fmt, int keep)
{
	struct undo		*u = &undo;
	struct kept_sum		 sum;
	char			 t[32];
	size_t			 i, restored = 0;
	long long		 now = time(NULL);

	u->who = req;
	u->fmt = fmt;
	u->keep = keep;
	u->since = req->since < 0 ? now + req->since : req->since;
	job_start(req->user, req->maildir, undelete_open, u);
	if (req->flags & WORKER_KEPT)
		undelete_kept(u);
	if (maildrop_scan(&u->md) == -1)
		undelete_fail("%s", errno == EBADMSG ? "the maildrop's UIDL "
		    "record (popd.migrated) is damaged: see the log" :
		    strerror(errno));
	if (kept_walk(u->md.dirfd, undelete_want, u) == -1 && errno != ENOENT)
		undelete_fail("%s: %s", KEPT_DIR, strerror(errno));
	if (u->nkept == 0)
		undelete_fail("no message is kept for %s", req->user);
	if (u->n == 0) {
		if (req->find[0] != '\0')
			undelete_fail("none of the %zu kept messages is %s",
			    u->nkept, req->find);
		undelete_fail("none of the %zu kept messages was removed "
		    "since %s", u->nkept, journal_stamp(u->since, t,
		    sizeof(t)));
	}
	/* Oldest first: they are listed after INBOX's, as they came. */
	qsort(u->v, u->n, sizeof(*u->v), want_cmp);
	for (i = 0; i < u->n; i++)
		restored += undelete_one(u, &u->v[i]);
	undelete_commit(u, restored);
	/* The lock is ours: the sweep cannot race an undelete. */
	if (keep > 0 && kept_sweep(u->md.dirfd, now - keep, &sum) == 0 &&
	    sum.swept > 0)
		dprintf(POPD_CHANNEL_FD, "%zu kept messages past deleted "
		    "keep removed\n", sum.swept);
	if (restored == 0)
		undelete_fail("none of the %zu messages asked for was "
		    "restored", u->n);
	dprintf(POPD_CHANNEL_FD, "%zu message%s restored\n", restored,
	    restored == 1 ? "" : "s");
	exit(0);
}

static void
undelete_fail(const char *fmt, ...)
{
	char	 line[512];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	dprintf(POPD_CHANNEL_FD, "error: %s\n", line);
	exit(1);
}
