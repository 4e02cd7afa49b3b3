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
 * maildrop.c -- one POP3 session's maildrop and its message list.  Every
 * path goes through md->dirfd: a confined wrkrpop sees only the maildir.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "maildrop.h"
#include "quota.h"

#define LOCK_NAME	"popd.lock"
#define TMP_MAXAGE	(36 * 60 * 60)	/* seconds, as maildir(5) says */
#define MOVE_TRIES	3	/* a stale name: 2.4 s (move_noreplace) */
#define MOVE_PAUSE	{ 1, 200 * 1000 * 1000 }	/* past a FUSE cache */

/* Strings not in the popcache buffer; freed only by maildrop_clear. */
#define STRINGS_MIN	4096
#define STRINGS_MAX	65536

struct mstrings {
	struct mstrings	*next;
	size_t		 size, used;
	char		 buf[];
};

/* Where the lock, quota, popd.migrated and KEPT_DIR are: the maildir. */
#define ROOTFD(md)	((md)->rootfd != -1 ? (md)->rootfd : (md)->dirfd)

static int
md_kept(const struct maildrop *md, const char *s)
{
	uintptr_t	p = (uintptr_t)s, k = (uintptr_t)md->kept;

	return md->kept != NULL && p >= k && p - k < md->keptlen;
}

static const char *
md_str(struct maildrop *md, const char *s)
{
	struct mstrings	*c = md->strings;
	size_t		 len, size;
	char		*p;

	if (md_kept(md, s))
		return s;
	len = strlen(s) + 1;
	if (c == NULL || c->size - c->used < len) {
		size = c == NULL ? STRINGS_MIN : c->size < STRINGS_MAX ?
		    c->size * 2 : STRINGS_MAX;
		if (size < len)
			size = len;
		if ((c = malloc(sizeof(*c) + size)) == NULL)
			return NULL;
		c->next = md->strings;
		c->size = size;
		c->used = 0;
		md->strings = c;
	}
	p = c->buf + c->used;
	memcpy(p, s, len);
	c->used += len;
	return p;
}

static int
pcm_reserve(void *arg, size_t n)
{
	struct maildrop	*md = arg;
	struct mmsg	*m;

	/* A 100,000-message maildrop must not grow it by doubling. */
	if (md->nalloc - md->nmsgs >= n)
		return 0;
	if ((m = reallocarray(md->msgs, md->nmsgs + n, sizeof(*m))) == NULL)
		return -1;
	md->msgs = m;
	md->nalloc = md->nmsgs + n;
	return 0;
}

static int
maildrop_add(struct maildrop *md, const char *name, off_t size,
    const char *uidl)
{
	struct mmsg	*m;
	char		 buf[UIDL_MAX + 1];

	if (md->nmsgs == md->nalloc &&
	    pcm_reserve(md, md->nalloc == 0 ? 256 : md->nalloc) == -1)
		return -1;
	m = &md->msgs[md->nmsgs];
	memset(m, 0, sizeof(*m));
	if (uidl == NULL) {
		if (maildir_uidl(name, buf, sizeof(buf)) == -1)
			return -1;
		uidl = buf;
	}
	if (!md_kept(md, uidl) && strlen(uidl) > UIDL_MAX) {
		errno = EINVAL;
		return -1;
	}
	if ((m->name = md_str(md, name)) == NULL ||
	    (m->uidl = md_str(md, uidl)) == NULL)
		return -1;
	m->size = size;
	md->nmsgs++;
	md->total += size;
	return 0;
}

static void
maildrop_clear(struct maildrop *md)
{
	struct mstrings	*c;

	while ((c = md->strings) != NULL) {
		md->strings = c->next;
		free(c);
	}
	free(md->kept);
	md->kept = NULL;
	md->keptlen = 0;
	md->nmsgs = 0;
	md->total = 0;
}

int
maildrop_open(struct maildrop *md, const char *path, const char *uidl_format)
{
	struct stat	sb[MAILDIR_NSUBS];

	memset(md, 0, sizeof(*md));
	md->dirfd = md->lockfd = md->rootfd = -1;
	md->uidl_format = uidl_format != NULL ? uidl_format :
	    UIDL_DEFAULT_FORMAT;
	if (strlcpy(md->path, path, sizeof(md->path)) >= sizeof(md->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((md->dirfd = maildir_open(path, sb)) == -1)
		return -1;
	popcache_init(&md->pc, md->dirfd, md->path);
	popcache_seen(&md->pc, &sb[MAILDIR_NEW], &sb[MAILDIR_CUR]);
	return 0;
}

/* Its lock, quota and popd.migrated are root's; ENOENT if absent. */
int
maildrop_folder(struct maildrop *md, const struct maildrop *root,
    const char *folder)
{
	memset(md, 0, sizeof(*md));
	md->dirfd = md->lockfd = -1;
	md->rootfd = root->dirfd;
	md->uidl_format = root->uidl_format;
	md->folder = folder;
	if ((size_t)snprintf(md->dir, sizeof(md->dir), ".%s/", folder) >=
	    sizeof(md->dir) || (size_t)snprintf(md->path, sizeof(md->path),
	    "%s/.%s", root->path, folder) >= sizeof(md->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	md->dir[strlen(md->dir) - 1] = '\0';
	md->dirfd = openat(root->dirfd, md->dir,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	md->dir[strlen(md->dir)] = '/';
	if (md->dirfd == -1)
		return -1;
	popcache_init(&md->pc, md->dirfd, md->path);
	return 0;
}

int
maildrop_lock(struct maildrop *md)
{
	int	fd;

	fd = maildir_openat(md->dirfd, LOCK_NAME, O_RDWR | O_CREAT, 0600);
	if (fd == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		return maildir_close_failed(fd);
	md->lockfd = fd;
	return 0;
}

/*
 * close(2) alone does not do on FUSE (GlusterFS): the lock goes with the
 * release the kernel sends after close returns.  flock(LOCK_UN) waits.
 */
void
maildrop_unlock(struct maildrop *md)
{
	if (md->lockfd == -1)
		return;
	(void)flock(md->lockfd, LOCK_UN);
	close(md->lockfd);
	md->lockfd = -1;
}

static int
mmsg_cmp(const void *a, const void *b)
{
	return maildir_namecmp(((const struct mmsg *)a)->name,
	    ((const struct mmsg *)b)->name);
}

static uint64_t
str_hash(const char *s)
{
	return maildir_fnv(MAILDIR_FNV_BASIS, s, strlen(s));
}

static uint64_t
mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

/* Length and the first, middle and last 8 octets, where names differ. */
static uint64_t
uidl_key(const char *u)
{
	uint64_t	a = 0, b = 0, c = 0;
	size_t		len = strlen(u);

	memcpy(&a, u, len < 8 ? len : 8);
	if (len > 8)
		memcpy(&b, u + len - 8, 8);
	if (len > 16)
		memcpy(&c, u + (len - 8) / 2, 8);
	return mix64(a ^ mix64(b ^ c * 0x9e3779b97f4a7c15ULL) ^ len);
}

/* md is the small side (a folder): its UIDLs go into the table. */
static int
uidl_shared(const struct maildrop *md, const struct maildrop *before)
{
	const char	**tab;
	uint64_t	 *keys, k;
	size_t		  size, i, j;
	int		  found = 0;

	for (size = 16; size < md->nmsgs * 2; size *= 2)
		;
	tab = calloc(size, sizeof(*tab));
	keys = calloc(size, sizeof(*keys));
	if (tab == NULL || keys == NULL) {
		free(tab);
		free(keys);
		return -1;
	}
	for (i = 0; i < md->nmsgs; i++) {
		k = uidl_key(md->msgs[i].uidl);
		for (j = k & (size - 1); tab[j] != NULL;
		    j = (j + 1) & (size - 1))
			;
		tab[j] = md->msgs[i].uidl;
		keys[j] = k;
	}
	for (i = 0; i < before->nmsgs && !found; i++) {
		k = uidl_key(before->msgs[i].uidl);
		for (j = k & (size - 1); tab[j] != NULL && !found;
		    j = (j + 1) & (size - 1))
			found = keys[j] == k &&
			    strcmp(tab[j], before->msgs[i].uidl) == 0;
	}
	free(tab);
	free(keys);
	return found;
}

/*
 * A copy under a second name gets a UIDL from its full name.  before's
 * UIDLs are taken first: a copy in both (IMAP's COPY) keeps INBOX's.
 */
int
maildrop_uniq_after(struct maildrop *md, const struct maildrop *before)
{
	const char	**tab;
	const char	 *u;
	struct mmsg	 *m;
	char		  alt[UIDL_MAX + 1], full[PATH_MAX];
	size_t		  size, i, j, nb = before != NULL ? before->nmsgs : 0;
	unsigned int	  salt;
	int		  changed = 0, shared;

	if (before != NULL && (shared = uidl_shared(md, before)) != 1)
		return shared;
	for (size = 16; size < (md->nmsgs + nb) * 2; size *= 2)
		;
	if ((tab = calloc(size, sizeof(*tab))) == NULL)
		return -1;
	for (i = 0; i < nb + md->nmsgs; i++) {
		m = i < nb ? &before->msgs[i] : &md->msgs[i - nb];
		for (salt = 0;; salt++) {
			u = m->uidl;
			j = str_hash(u) & (size - 1);
			for (; tab[j] != NULL; j = (j + 1) & (size - 1))
				if (strcmp(tab[j], u) == 0)
					break;
			if (tab[j] == NULL || i < nb) {
				tab[j] = u;
				break;
			}
			if (salt == 0)
				log_warnx("%s: %s has the UIDL of another "
				    "message", md->path, m->name);
			(void)snprintf(full, sizeof(full), "%s%s", md->dir,
			    m->name);
			maildir_uidl_alt(full, salt, alt, sizeof(alt));
			if ((m->uidl = md_str(md, alt)) == NULL) {
				free(tab);
				return -1;
			}
			changed++;
		}
	}
	free(tab);
	return changed;
}

static int
pcm_add(void *arg, const struct popcache_rec *r)
{
	return maildrop_add(arg, r->name, r->size, r->uidl);
}

static void
pcm_keep(void *arg, char *buf, size_t len)
{
	struct maildrop	*md = arg;

	free(md->kept);
	md->kept = buf;
	md->keptlen = len;
}

static size_t
pcm_count(void *arg)
{
	return ((struct maildrop *)arg)->nmsgs;
}

static void
pcm_get(void *arg, size_t i, struct popcache_rec *r)
{
	struct mmsg	*m = &((struct maildrop *)arg)->msgs[i];

	r->name = m->name;
	r->uidl = m->uidl;
	r->size = m->size;
}

/* A folder's dovecot-uidlist is read once, and only when asked. */
static const char *
pcm_moved(void *arg, const char *name)
{
	struct maildrop	*md = arg;

	if (!md->movedread) {
		md->movedread = 1;
		md->moved = oldids_moved(md->dirfd, ROOTFD(md), md->path,
		    md->uidl_format);
	}
	return md->moved == NULL ? NULL : oldids_get(md->moved, name);
}

#define PC_MSGS(md)	{ (md), pcm_reserve, pcm_add, pcm_keep, pcm_count, \
			    pcm_get, pcm_moved }

int
maildrop_cache_load(struct maildrop *md)
{
	struct popcache_msgs	pm = PC_MSGS(md);

	maildrop_clear(md);
	if (popcache_load(&md->pc, &pm) == 0)
		return 0;
	maildrop_clear(md);
	return -1;
}

int
maildrop_cache_write(struct maildrop *md)
{
	struct popcache_msgs	pm = PC_MSGS(md);

	return popcache_write(&md->pc, &pm);
}

struct scan_arg {
	struct maildrop	*md;
	const char	*sub;
};

static int
maildrop_scan_one(void *arg, const char *name)
{
	struct scan_arg	*a = arg;
	struct maildrop	*md = a->md;
	char		 rel[PATH_MAX];

	if ((size_t)snprintf(rel, sizeof(rel), "%s/%s", a->sub, name) >=
	    sizeof(rel))
		return 0;
	if (maildrop_add(md, rel, 0, NULL) == -1 ||
	    oldids_want(md->old, rel) == -1)
		return -1;
	return 0;
}

/* 1: gone or unreadable (skipped); -1: out of memory or descriptors. */
static int
maildrop_size_one(struct maildrop *md, struct mmsg *m, int *skipped)
{
	const char	*uidl;
	off_t		 size;

	if ((size = maildir_namesize(m->name)) == -1 &&
	    maildir_recsize(md->dirfd, m->name, oldids_size(md->old,
	    m->name), &size) == 0)
		md->fromrec++;
	else if (size == -1 && maildir_msgsize(md->dirfd, m->name,
	    &size) == -1) {
		if (errno == ENOENT)
			return 1;	/* removed meanwhile */
		if (errno == ENOMEM || errno == EMFILE || errno == ENFILE)
			return -1;
		/* One unreadable file must not hide the others. */
		log_warn("%s/%s: skipped", md->path, m->name);
		(*skipped)++;
		return 1;
	}
	m->size = size;
	if ((uidl = oldids_get(md->old, m->name)) == NULL)
		uidl = pcm_moved(md, m->name);
	if (uidl != NULL && (m->uidl = md_str(md, uidl)) == NULL)
		return -1;
	return 0;
}

static int
maildrop_scandir(struct maildrop *md, const char *sub)
{
	struct scan_arg	a = { md, sub };

	if (maildir_readdir(md->dirfd, sub, maildrop_scan_one, &a) == -1) {
		if (errno == ENOENT && md->rootfd != -1)
			return 0;	/* a folder half made: empty */
		log_warn("%s/%s: scan", md->path, sub);
		return -1;
	}
	return 0;
}

static int
maildrop_fullscan(struct maildrop *md, int *skipped)
{
	struct stat	 st;
	size_t		 i, n;
	int		 flags = 0, rv = -1, saved;

	maildrop_clear(md);
	md->fromrec = 0;
	if ((md->old = oldids_new()) == NULL)
		return -1;
	if (maildrop_scandir(md, "cur") == -1 ||
	    maildrop_scandir(md, "new") == -1)
		goto done;
		/*
		 * A popcache without popd.migrated: an older popd took none.
		 * Dovecot's POP3 served INBOX only, so folders take none.
		 */
	if (md->rootfd != -1)
		flags |= OLDIDS_RECORDONLY;
	else if (fstatat(md->dirfd, POPCACHE_FILE, &st,
	    AT_SYMLINK_NOFOLLOW) == 0)
		flags |= OLDIDS_SERVED;
	if (oldids_load(md->old, ROOTFD(md), md->path, md->uidl_format,
	    flags) == -1)
		goto done;
	for (i = n = 0; i < md->nmsgs; i++) {
		switch (maildrop_size_one(md, &md->msgs[i], skipped)) {
		case -1:
			for (; i < md->nmsgs; i++)
				md->msgs[n++] = md->msgs[i];
			md->nmsgs = n;
			goto done;
		case 0:
			md->total += md->msgs[i].size;
			md->msgs[n++] = md->msgs[i];
			break;
		default:
			break;			/* gone, or skipped */
		}
	}
	md->nmsgs = n;
	rv = 0;
 done:
	saved = errno;
	oldids_free(md->old);
	md->old = NULL;
	if (rv == -1) {
		maildrop_clear(md);
		errno = saved;	/* EBADMSG: popd.migrated is damaged */
		return -1;
	}
	if (md->nmsgs > 0)
		qsort(md->msgs, md->nmsgs, sizeof(md->msgs[0]), mmsg_cmp);
	(void)maildrop_uniq_after(md, NULL);
	log_debug("%s: scanned %zu messages, %lld octets, %zu sized from "
	    "another server's records", md->path, md->nmsgs,
	    (long long)md->total, md->fromrec);
	return 0;
}

int
maildrop_scan(struct maildrop *md)
{
	int	skipped = 0;

	if (maildrop_cache_load(md) == 0) {
		if (md->pc.stats.result != POPCACHE_WARM &&
		    maildrop_uniq_after(md, NULL) > 0 &&
		    maildrop_cache_write(md) == -1)
			log_warn("%s: popcache write", md->path);
		return 0;
	}
	if (maildrop_fullscan(md, &skipped) == -1)
		return -1;
		/* A message skipped now must not vanish from the cache. */
	if (!skipped && maildrop_cache_write(md) == -1)
		log_warn("%s: popcache write", md->path);
	return 0;
}

void
maildrop_mark(struct maildrop *md, struct mmsg *m, int flag)
{
	m->flags |= flag;
	md->marked++;
}

static int
maildrop_relocate(struct maildrop *md, struct mmsg *m)
{
	static const char	*subs[] = { "cur", "new" };
	DIR			*dp;
	struct dirent		*de;
	const char		*base = m->name + 4;	/* after "new/" */
	const char		*p;
	char			 rel[PATH_MAX];
	size_t			 i, n;
	int			 dfd, found = 0;

	n = strcspn(base, ":");
	for (i = 0; i < 2 && !found; i++) {
		dfd = openat(md->dirfd, subs[i],
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd == -1)
			continue;
		if ((dp = fdopendir(dfd)) == NULL) {
			close(dfd);
			continue;
		}
		while ((de = readdir(dp)) != NULL) {
			if (strncmp(de->d_name, base, n) != 0 ||
			    (de->d_name[n] != '\0' && de->d_name[n] != ':'))
				continue;
			if ((size_t)snprintf(rel, sizeof(rel), "%s/%s",
			    subs[i], de->d_name) >= sizeof(rel) ||
			    strcmp(rel, m->name) == 0)
				continue;
			found = 1;
			break;
		}
		closedir(dp);
	}
	if (!found) {
		errno = ENOENT;
		return -1;
	}
	if ((p = md_str(md, rel)) == NULL)
		return -1;
	log_info("%s: %s is now %s", md->path, m->name, p);
	m->name = p;
	return 0;
}

/* Another program may have moved it (a flag change): look again. */
int
maildrop_openmsg(struct maildrop *md, struct mmsg *m)
{
	int	fd;

	fd = maildir_openat(md->dirfd, m->name, O_RDONLY, 0);
	if (fd == -1 && errno == ENOENT && maildrop_relocate(md, m) == 0)
		fd = maildir_openat(md->dirfd, m->name, O_RDONLY, 0);
	if (fd == -1 && errno == EINVAL) {
		log_warnx("%s: %s is not a regular file, not served",
		    md->path, m->name);
		errno = ENOENT;
	}
	return fd;
}

static int
link_unlink(int dirfd, const char *from, int tofd, const char *to)
{
	if (linkat(dirfd, from, tofd, to, 0) == -1)
		return -1;
	return unlinkat(dirfd, from, 0);
}

/*
 * Never replaces a file.  GlusterFS's client may still answer for "to"
 * from its md-cache after another host moved the file, and unlinking
 * from would lose it: wait past the cache (MOVE_PAUSE), look at "to"
 * first, MOVE_TRIES times, then EEXIST.
 */
static int
move_noreplace(int dirfd, const char *from, int tofd, const char *to)
{
	const struct timespec	 pause = MOVE_PAUSE;
	struct stat		 sa, sb;
	int			 r, tries;

	for (tries = 1; ; tries++) {
#ifdef RENAME_NOREPLACE
		r = renameat2(dirfd, from, tofd, to, RENAME_NOREPLACE);
		/* Without the flag: link+unlink never replaces either. */
		if (r == -1 && (errno == EINVAL || errno == ENOSYS ||
		    errno == EOPNOTSUPP))
			r = link_unlink(dirfd, from, tofd, to);
#else
		r = link_unlink(dirfd, from, tofd, to);
#endif
		if (r == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
		if (fstatat(dirfd, from, &sa, AT_SYMLINK_NOFOLLOW) == -1 ||
		    fstatat(tofd, to, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
		    sa.st_dev != sb.st_dev || sa.st_ino != sb.st_ino)
			break;
		if (sa.st_nlink > 1)
			return unlinkat(dirfd, from, 0);
		if (tries == MOVE_TRIES)
			break;
		(void)nanosleep(&pause, NULL);
		if (fstatat(tofd, to, &sb, AT_SYMLINK_NOFOLLOW) == -1 &&
		    errno != ENOENT)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* One rename(2) into KEPT_DIR: a kill leaves m in one place or the other. */
static int
drop_file(struct maildrop *md, struct mmsg *m)
{
	char	kept[NAME_MAX + 1], to[sizeof(KEPT_DIR) + NAME_MAX + 1];
	int	tries, saved, keepfd = ROOTFD(md);

	if (!md->keep)
		return unlinkat(md->dirfd, m->name, 0);
	if (kept_name(m->name, m->uidl, md->folder, time(NULL), kept,
	    sizeof(kept)) == -1) {
		log_warn("%s: %s cannot be kept, removed", md->path, m->name);
		return unlinkat(md->dirfd, m->name, 0);
	}
	(void)snprintf(to, sizeof(to), "%s/%s", KEPT_DIR, kept);
	for (tries = 0;; tries++) {
		if (move_noreplace(md->dirfd, m->name, keepfd, to) == 0) {
			md->nkept++;
			return 0;
		}
		saved = errno;
		if (saved != ENOENT || tries > 0 || mkdirat(keepfd,
		    KEPT_DIR, 0700) == -1)
			break;
	}
	errno = saved;
	if (errno == EEXIST) {
		log_warnx("%s: %s: %s is taken, removed instead", md->path,
		    m->name, to);
		return unlinkat(md->dirfd, m->name, 0);
	}
	return -1;
}

static int
remove_msg(struct maildrop *md, struct mmsg *m)
{
	off_t	size;

	if ((size = maildir_quotasize(md->dirfd, m->name, m->name)) == -1 &&
	    errno != ENOENT)
		return -1;
	if (size != -1 && drop_file(md, m) == 0)
		goto removed;
	if (size != -1 && errno != ENOENT)
		return -1;
	if (maildrop_relocate(md, m) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((size = maildir_quotasize(md->dirfd, m->name, m->name)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (drop_file(md, m) == -1)
		return errno == ENOENT ? 0 : -1;
 removed:
		/* Only what this session removed: others count their own. */
	md->qbytes += size;
	md->qmsgs++;
	if (md->removed_fn != NULL)
		md->removed_fn(md->removed_arg, m);
	return 0;
}

/* popctl undelete.  EEXIST: md has a message with that UIDL or name. */
int
maildrop_restore(struct maildrop *md, const char *fname, const struct kept *k)
{
	char	from[sizeof(KEPT_DIR) + NAME_MAX + 1], to[NAME_MAX + 5];
	size_t	i, n = strlen(k->uniq);
	off_t	size, qsize;
	int	keepfd = ROOTFD(md);

	for (i = 0; i < md->nmsgs; i++) {
		const char	*base = md->msgs[i].name + 4;	/* "new/" */

		if (strcmp(md->msgs[i].uidl, k->uidl) == 0 ||
		    (strncmp(base, k->uniq, n) == 0 && (base[n] == '\0' ||
		    base[n] == ':'))) {
			errno = EEXIST;
			return -1;
		}
	}
	(void)snprintf(from, sizeof(from), "%s/%s", KEPT_DIR, fname);
	(void)snprintf(to, sizeof(to), "new/%s", k->uniq);
	if ((qsize = kept_size(keepfd, fname, k)) == -1)
		return -1;
	if ((size = maildir_namesize(to)) == -1 &&
	    maildir_msgsize(keepfd, from, &size) == -1)
		return -1;
	if (move_noreplace(keepfd, from, md->dirfd, to) == -1)
		return -1;
	if (maildrop_add(md, to, size, k->uidl) == -1)
		return -1;
	md->qbytes += qsize;
	md->qmsgs++;
	return 0;
}

#define DIRTY_MOVE	0x01
#define DIRTY_DELE	0x02

static int
update_remove(struct maildrop *md, struct mmsg *m, int *dirty)
{
	if (remove_msg(md, m) == -1) {
		log_warn("%s: unlink %s", md->path, m->name);
		m->flags &= ~MMSG_DELETED;
		return -1;
	}
	dirty[strncmp(m->name, "new/", 4) == 0 ? 0 : 1] |= DIRTY_DELE;
	return 0;
}

/* Flag S in cur/, which IMAP reads as \Seen; a failure is only logged. */
static void
update_move(struct maildrop *md, struct mmsg *m, int *dirty)
{
	const char	*p;
	char		 to[PATH_MAX];
	int		 fromnew = strncmp(m->name, "new/", 4) == 0;

	if (maildir_seen_name(m->name + 4, to, sizeof(to)) == -1) {
		log_warn("%s: %s", md->path, m->name);
		return;
	}
	if (strcmp(to, m->name) == 0)
		return;		/* seen already, or flags we do not know */
	if ((p = md_str(md, to)) == NULL) {
		log_warn("%s: %s", md->path, m->name);
		return;
	}
	if (move_noreplace(md->dirfd, m->name, md->dirfd, to) == -1) {
		log_warn("%s: move %s to %s", md->path, m->name, to);
		return;
	}
	m->name = p;
	if (fromnew)
		dirty[0] |= DIRTY_MOVE;
	dirty[1] |= DIRTY_MOVE;
}

/* Removals must be durable before we say so; moves may be lost. */
static int
update_sync(struct maildrop *md, const int *dirty)
{
	static const char	*subs[] = { "new", "cur" };
	int			 d, fail = 0;

	for (d = 0; d < 2; d++) {
		if (dirty[d] && maildir_fsyncat(md->dirfd, subs[d]) == -1) {
			log_warn("%s: fsync %s", md->path, subs[d]);
			if (dirty[d] & DIRTY_DELE)
				fail++;
		}
	}
	if (dirty[2] && maildir_fsyncat(ROOTFD(md), KEPT_DIR) == -1)
		log_warn("%s: fsync %s", md->path, KEPT_DIR);
	return fail;
}

static void
update_compact(struct maildrop *md)
{
	struct mmsg	*m;
	size_t		 i, j;

	md->total = 0;
	for (i = j = 0; i < md->nmsgs; i++) {
		m = &md->msgs[i];
		if (m->flags & (MMSG_DELETED | MMSG_GONE))
			continue;
		m->flags = 0;
		md->total += m->size;
		if (j != i)
			md->msgs[j] = *m;
		j++;
	}
	md->removed += md->nmsgs - j;
	md->nmsgs = j;
}

/* RFC 1939 section 6.  -1 if a deletion failed; a failed move costs S. */
int
maildrop_update(struct maildrop *md)
{
	struct mmsg	*m;
	size_t		 i;
	int		 fail = 0, dirty[3] = { 0, 0, 0 };
	size_t		 kept = md->nkept;
	char		 qmsg[128];

	for (i = 0; md->marked > 0 && i < md->nmsgs; i++) {
		m = &md->msgs[i];
		if (m->flags & MMSG_GONE)
			continue;
		if (m->flags & MMSG_DELETED) {
			if (update_remove(md, m, dirty) == -1)
				fail++;
		} else if (m->flags & MMSG_SEEN)
			update_move(md, m, dirty);
	}
	dirty[2] = md->nkept > kept;
	fail += update_sync(md, dirty);
	if (md->qmsgs > 0 && quota_add(ROOTFD(md), NULL, -(int64_t)md->qbytes,
	    -(int64_t)md->qmsgs, qmsg, sizeof(qmsg)) == -1)
		log_warn("%s/%s", md->path, qmsg);
	md->qbytes = 0;
	md->qmsgs = 0;
	if (md->marked > 0)
		update_compact(md);
	md->marked = 0;
	/* Checking 100,000 records to find nothing changed takes ms. */
	if ((dirty[0] || dirty[1] || md->removed ||
	    !popcache_current(&md->pc)) && maildrop_cache_write(md) == -1)
		log_warn("%s: popcache write", md->path);
	return fail ? -1 : 0;
}

static int
sweep_tmp(void *arg, const char *name)
{
	struct maildrop	*md = arg;
	struct stat	 sb;
	char		 rel[PATH_MAX];

	if ((size_t)snprintf(rel, sizeof(rel), "tmp/%s", name) >=
	    sizeof(rel))
		return 0;
	if (fstatat(md->dirfd, rel, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(sb.st_mode) || time(NULL) - sb.st_mtime < TMP_MAXAGE)
		return 0;
	if (unlinkat(md->dirfd, rel, 0) == -1)
		log_warn("%s: unlink %s", md->path, rel);
	else
		log_info("%s: removed %s, a delivery abandoned 36 hours ago",
		    md->path, rel);
	return 0;
}

/* No lock needed: a file TMP_MAXAGE old is nobody's. */
void
maildrop_sweep(struct maildrop *md)
{
	(void)maildir_readdir(md->dirfd, "tmp", sweep_tmp, md);
}

void
maildrop_close(struct maildrop *md)
{
	maildrop_clear(md);
	free(md->msgs);
	md->msgs = NULL;
	md->nalloc = 0;
	oldids_free(md->moved);
	md->moved = NULL;
	md->movedread = 0;
	if (md->lockfd != -1)
		close(md->lockfd);
	if (md->dirfd != -1)
		close(md->dirfd);
	md->lockfd = md->dirfd = -1;
}
