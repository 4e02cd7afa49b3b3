/*
 * maildir.c -- the maildrop of one POP3 session (open, lock, scan,
 * UPDATE) and the maildir naming rules that popcache.c and mda share:
 * UIDLs, sizes from ",W=" and the layout of a new maildir.
 *
 * Every path below the maildir goes through md->dirfd (openat and
 * friends): once wrkrpop is confined, the maildir is all it can see.
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
#include "popcache.h"
#include "crlf.h"

#define LOCK_NAME	"popd.lock"

#define TMP_MAXAGE	(36 * 60 * 60)	/* seconds, as maildir(5) says */

static int	sweep_tmp(void *, const char *);
static int	maildrop_fullscan(struct maildrop *, int *);
static int	maildrop_scandir(struct maildrop *, const char *, int *);
static int	maildrop_scan_one(void *, const char *);
static int	maildrop_relocate(struct maildrop *, struct mmsg *);
static int	maildir_seen_name(const char *, char *, size_t);
static int	move_noreplace(int, const char *, const char *);
static int	link_unlink(int, const char *, const char *);
static int	remove_msg(struct maildrop *, struct mmsg *);
static int	mmsg_cmp(const void *, const void *);
static const char *base_name(const char *);
static void	uidl_hash(const char *, size_t, unsigned int, char *, size_t);

/*
 * Create a maildir (tmp/, new/, cur/; mode 0700) where it is missing.
 * Only the last component of path is created: the parent must exist.
 */
int
maildir_create(const char *path)
{
	static const char	*subs[] = { "tmp", "new", "cur" };
	size_t			 i;
	int			 dfd, saved;

	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return -1;
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (mkdirat(dfd, subs[i], 0700) == -1 && errno != EEXIST) {
			saved = errno;
			close(dfd);
			errno = saved;
			return -1;
		}
	}
	close(dfd);
	return 0;
}

/* Open (creating it if needed) the maildir at path. */
int
maildrop_open(struct maildrop *md, const char *path)
{
	memset(md, 0, sizeof(*md));
	md->dirfd = md->lockfd = -1;
	if (strlcpy(md->path, path, sizeof(md->path)) >= sizeof(md->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (maildir_create(path) == -1)
		return -1;
	md->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (md->dirfd == -1)
		return -1;
	return 0;
}

/*
 * Take the session lock, held until the process exits.  A lock held by
 * another session fails at once with errno EWOULDBLOCK.
 */
int
maildrop_lock(struct maildrop *md)
{
	int	fd, saved;

	fd = openat(md->dirfd, LOCK_NAME,
	    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	md->lockfd = fd;
	return 0;
}

/*
 * Fill md->msgs.  popcache.c gets the first try; without a usable cache,
 * read the directories and write a fresh cache.  A failed cache write
 * is only logged: the cache is only a cache.
 */
int
maildrop_scan(struct maildrop *md)
{
	int	skipped = 0;

	if (popcache_load(md) == 0) {
		/* A warm load has checked its UIDLs are unique already. */
		if (popcache_stats.result != POPCACHE_WARM &&
		    maildrop_uniq(md) > 0 && popcache_write(md) == -1)
			log_warn("%s: popcache write", md->path);
		return 0;
	}
	if (maildrop_fullscan(md, &skipped) == -1)
		return -1;
	/* A message skipped now must not vanish from the cache for good. */
	if (!skipped && popcache_write(md) == -1)
		log_warn("%s: popcache write", md->path);
	return 0;
}

/* The directories themselves, in a stable order: oldest names first. */
static int
maildrop_fullscan(struct maildrop *md, int *skipped)
{
	maildrop_clear(md);
	if (maildrop_scandir(md, "cur", skipped) == -1 ||
	    maildrop_scandir(md, "new", skipped) == -1)
		return -1;
	if (md->nmsgs > 0)
		qsort(md->msgs, md->nmsgs, sizeof(md->msgs[0]), mmsg_cmp);
	(void)maildrop_uniq(md);
	log_debug("%s: scanned %zu messages, %lld octets", md->path,
	    md->nmsgs, (long long)md->total);
	return 0;
}

/*
 * Call cb with the name of every message file in sub/ of the maildir:
 * regular files that are not dotfiles.  A cb returning other than 0
 * ends the walk with that value; -1 sets errno, as failures here do.
 */
int
maildir_readdir(int mddirfd, const char *sub,
    int (*cb)(void *, const char *), void *arg)
{
	DIR		*dp;
	struct dirent	*de;
	struct stat	 sb;
	int		 dfd, rv = 0, saved;

	dfd = openat(mddirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		return -1;
	if ((dp = fdopendir(dfd)) == NULL) {
		saved = errno;
		close(dfd);
		errno = saved;
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(dp)) == NULL) {
			if (errno != 0)
				rv = -1;
			break;
		}
		/* Dotfiles are other programs' temporary files. */
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type != DT_REG) {
			if (de->d_type != DT_UNKNOWN)
				continue;
			if (fstatat(dfd, de->d_name, &sb,
			    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(sb.st_mode))
				continue;
		}
		if ((rv = cb(arg, de->d_name)) != 0)
			break;
	}
	saved = errno;
	closedir(dp);
	errno = saved;
	return rv;
}

struct scan_arg {
	struct maildrop	*md;
	const char	*sub;
	int		*skipped;
};

static int
maildrop_scan_one(void *arg, const char *name)
{
	struct scan_arg	*a = arg;
	struct maildrop	*md = a->md;
	char		 rel[PATH_MAX];
	off_t		 size;

	if ((size_t)snprintf(rel, sizeof(rel), "%s/%s", a->sub, name) >=
	    sizeof(rel))
		return 0;
	if (maildir_msgsize(md->dirfd, rel, &size) == -1) {
		if (errno == ENOENT)
			return 0;	/* removed meanwhile */
		if (errno == ENOMEM || errno == EMFILE || errno == ENFILE)
			return -1;
		/* One unreadable file must not hide the others. */
		log_warn("%s/%s: skipped", md->path, rel);
		(*a->skipped)++;
		return 0;
	}
	return maildrop_add(md, rel, size, NULL);
}

static int
maildrop_scandir(struct maildrop *md, const char *sub, int *skipped)
{
	struct scan_arg	a = { md, sub, skipped };

	if (maildir_readdir(md->dirfd, sub, maildrop_scan_one, &a) == -1) {
		log_warn("%s/%s: scan", md->path, sub);
		return -1;
	}
	return 0;
}

/*
 * Append a message; uidl NULL computes it with maildir_uidl.  For the
 * scan here and for popcache_load.
 */
int
maildrop_add(struct maildrop *md, const char *name, off_t size,
    const char *uidl)
{
	struct mmsg	*m;
	size_t		 n;

	if (md->nmsgs == md->nalloc) {
		n = md->nalloc == 0 ? 256 : md->nalloc * 2;
		if ((m = reallocarray(md->msgs, n, sizeof(*m))) == NULL)
			return -1;
		md->msgs = m;
		md->nalloc = n;
	}
	m = &md->msgs[md->nmsgs];
	memset(m, 0, sizeof(*m));
	if (uidl == NULL) {
		if (maildir_uidl(name, m->uidl, sizeof(m->uidl)) == -1)
			return -1;
	} else if (strlcpy(m->uidl, uidl, sizeof(m->uidl)) >=
	    sizeof(m->uidl)) {
		errno = EINVAL;
		return -1;
	}
	if ((m->name = strdup(name)) == NULL)
		return -1;
	m->size = size;
	md->nmsgs++;
	md->total += size;
	return 0;
}

static const char *
base_name(const char *name)
{
	const char	*p;

	return (p = strrchr(name, '/')) != NULL ? p + 1 : name;
}

/*
 * Message order, for names with or without "new/" or "cur/": by unique
 * name (a leading number, usually the delivery time, compares
 * numerically), then by full name.  Message numbers only live for one
 * session, but a stable order is kinder to clients.
 */
int
maildir_namecmp(const char *a, const char *b)
{
	const char	*x = base_name(a), *y = base_name(b);
	size_t		 dx, dy;

	dx = strspn(x, "0123456789");
	dy = strspn(y, "0123456789");
	if (dx > 0 && dy > 0 && dx != dy)
		return dx < dy ? -1 : 1;
	for (; *x == *y && *x != '\0' && *x != ':'; x++, y++)
		;
	if ((*x == '\0' || *x == ':') && (*y == '\0' || *y == ':'))
		return strcmp(a, b);
	if (*x == '\0' || *x == ':')
		return -1;
	if (*y == '\0' || *y == ':')
		return 1;
	return (unsigned char)*x < (unsigned char)*y ? -1 : 1;
}

static int
mmsg_cmp(const void *a, const void *b)
{
	return maildir_namecmp(((const struct mmsg *)a)->name,
	    ((const struct mmsg *)b)->name);
}

#define FNV_BASIS	0xcbf29ce484222325ULL

/* 64-bit FNV-1a, continued from h. */
static uint64_t
fnv1a(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i;

	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

/*
 * Two 64-bit FNV-1a hashes of s, the second one started on a prefix,
 * as "H" and 32 hex digits; salt > 0 appends "#<salt>" to s.  UIDLs
 * derived from it are forever: never change this function.
 */
static void
uidl_hash(const char *s, size_t len, unsigned int salt, char *out,
    size_t outlen)
{
	static const char	 prefix[] = "popd-uidl:";
	uint64_t		 h1, h2;
	char			 sbuf[16];
	int			 n;

	h1 = fnv1a(FNV_BASIS, s, len);
	h2 = fnv1a(fnv1a(FNV_BASIS, prefix, sizeof(prefix) - 1), s, len);
	if (salt > 0) {
		n = snprintf(sbuf, sizeof(sbuf), "#%u", salt);
		h1 = fnv1a(h1, sbuf, n);
		h2 = fnv1a(h2, sbuf, n);
	}
	(void)snprintf(out, outlen, "H%016llx%016llx", (unsigned long long)h1,
	    (unsigned long long)h2);
}

/*
 * The UIDL of a maildir file (name may carry "new/" or "cur/"): its
 * unique name, the base name up to the first ':', when that is 1 to
 * UIDL_MAX characters in 0x21-0x7E; else "H" and a 128-bit hash of the
 * unique name.  Either way moves to cur/ and flag changes keep it.
 */
int
maildir_uidl(const char *name, char *out, size_t outlen)
{
	const char	*base = base_name(name);
	size_t		 i, n;
	int		 ok;

	n = strcspn(base, ":");
	ok = n >= 1 && n <= UIDL_MAX;
	for (i = 0; ok && i < n; i++)
		if ((unsigned char)base[i] < 0x21 ||
		    (unsigned char)base[i] > 0x7e)
			ok = 0;
	if (ok) {
		if (outlen <= n) {
			errno = ERANGE;
			return -1;
		}
		memcpy(out, base, n);
		out[n] = '\0';
		return 0;
	}
	if (outlen < 34) {
		errno = ERANGE;
		return -1;
	}
	uidl_hash(base, n, 0, out, outlen);
	return 0;
}

/*
 * Make the UIDLs unique: a later message whose UIDL is taken (a copy
 * of a file under a second name) gets one derived from its full name.
 * Returns how many changed, or -1.
 */
int
maildrop_uniq(struct maildrop *md)
{
	const char	**tab;
	const char	 *u;
	size_t		  size, i, j;
	unsigned int	  salt;
	int		  changed = 0;

	for (size = 16; size < md->nmsgs * 2; size *= 2)
		;
	if ((tab = calloc(size, sizeof(*tab))) == NULL)
		return -1;
	for (i = 0; i < md->nmsgs; i++) {
		for (salt = 0;; salt++) {
			u = md->msgs[i].uidl;
			j = fnv1a(FNV_BASIS, u, strlen(u)) & (size - 1);
			for (; tab[j] != NULL; j = (j + 1) & (size - 1))
				if (strcmp(tab[j], u) == 0)
					break;
			if (tab[j] == NULL) {
				tab[j] = u;
				break;
			}
			if (salt == 0)
				log_warnx("%s: %s has the UIDL of another "
				    "message", md->path, md->msgs[i].name);
			/* Without the flags, which other programs change. */
			uidl_hash(md->msgs[i].name,
			    strcspn(md->msgs[i].name, ":"), salt,
			    md->msgs[i].uidl, sizeof(md->msgs[i].uidl));
			changed++;
		}
	}
	free(tab);
	return changed;
}

/* The number in ",<key>=<n>" of a unique name, or -1. */
static off_t
name_field(const char *base, const char *end, char key)
{
	const char	*p, *q;
	off_t		 v;
	int		 digits;

	for (p = base; (p = memchr(p, ',', end - p)) != NULL; p++) {
		if (end - p < 4 || p[1] != key || p[2] != '=')
			continue;
		/* At most 18 digits: no overflow, and junk is not a size. */
		for (q = p + 3, v = 0, digits = 0; q < end && digits < 18 &&
		    *q >= '0' && *q <= '9'; q++, digits++)
			v = v * 10 + (*q - '0');
		if (digits > 0 && (q == end || *q == ','))
			return v;
	}
	return -1;
}

/*
 * The RFC 1939 size of a maildir file: from ",W=<n>" in its unique name
 * when present (set by our mda and Dovecot), else by reading it.  A W=
 * that cannot belong to the file size in ",S=" is not believed.
 */
int
maildir_msgsize(int dirfd, const char *name, off_t *size)
{
	const char	*base = base_name(name), *end;
	off_t		 v, raw;
	int		 fd, saved;

	end = base + strcspn(base, ":");
	if ((v = name_field(base, end, 'W')) != -1) {
		raw = name_field(base, end, 'S');
		if (raw == -1 || (v >= raw && v <= 2 * raw + 2)) {
			*size = v;
			return 0;
		}
	}
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	v = crlf_size(fd);
	saved = errno;
	close(fd);
	errno = saved;
	if (v == -1)
		return -1;
	*size = v;
	return 0;
}

/*
 * Open a message for reading.  When another program moved it (a flag
 * change in cur/), look for its unique name again.
 */
int
maildrop_openmsg(struct maildrop *md, struct mmsg *m)
{
	int	fd;

	fd = openat(md->dirfd, m->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT && maildrop_relocate(md, m) == 0)
		fd = openat(md->dirfd, m->name,
		    O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	return fd;
}

/* Find m's unique name in cur/ or new/ and rename m; -1/ENOENT if gone. */
static int
maildrop_relocate(struct maildrop *md, struct mmsg *m)
{
	static const char	*subs[] = { "cur", "new" };
	DIR			*dp;
	struct dirent		*de;
	const char		*base = base_name(m->name);
	char			 rel[PATH_MAX], *p;
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
			    subs[i], de->d_name) >= sizeof(rel))
				continue;
			if (strcmp(rel, m->name) == 0)
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
	if ((p = strdup(rel)) == NULL)
		return -1;
	log_info("%s: %s is now %s", md->path, m->name, p);
	free(m->name);
	m->name = p;
	return 0;
}

/*
 * The cur/ name of a seen message in new/: flag S added to the
 * "2," info, flags kept in ASCII order as the maildir format wants.
 */
static int
maildir_seen_name(const char *base, char *out, size_t outlen)
{
	const char	*info;
	char		 flags[64];
	size_t		 n, i, j, nf = 0;
	int		 c, seen = 0;

	n = strcspn(base, ":");
	info = base + n;
	if (*info == '\0')
		info = ":2,";
	if (strncmp(info, ":2,", 3) != 0) {
		/* An info we do not know: move it, but leave it alone. */
		if ((size_t)snprintf(out, outlen, "cur/%s", base) >= outlen)
			goto toolong;
		return 0;
	}
	for (i = 3; info[i] != '\0'; i++) {
		c = (unsigned char)info[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) ||
		    nf + 2 >= sizeof(flags)) {
			if ((size_t)snprintf(out, outlen, "cur/%s", base) >=
			    outlen)
				goto toolong;
			return 0;
		}
		if (c == 'S')
			seen = 1;
		flags[nf++] = c;
	}
	if (!seen)
		flags[nf++] = 'S';
	/* Insertion sort, dropping repeats: a handful of letters. */
	for (i = 1; i < nf; i++)
		for (j = i; j > 0 && flags[j - 1] > flags[j]; j--) {
			c = flags[j];
			flags[j] = flags[j - 1];
			flags[j - 1] = c;
		}
	for (i = j = 0; i < nf; i++)
		if (j == 0 || flags[j - 1] != flags[i])
			flags[j++] = flags[i];
	flags[j] = '\0';
	if ((size_t)snprintf(out, outlen, "cur/%.*s:2,%s", (int)n, base,
	    flags) >= outlen)
		goto toolong;
	return 0;
 toolong:
	errno = ENAMETOOLONG;
	return -1;
}

static int
link_unlink(int dirfd, const char *from, const char *to)
{
	if (linkat(dirfd, from, dirfd, to, 0) == -1)
		return -1;
	return unlinkat(dirfd, from, 0);
}

/*
 * Rename without ever replacing an existing file.  The target being
 * the same file (a link left by an interrupted earlier move) is fine.
 */
static int
move_noreplace(int dirfd, const char *from, const char *to)
{
	struct stat	sa, sb;
	int		r;

#ifdef RENAME_NOREPLACE
	r = renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE);
	/* Filesystems without the flag: link+unlink never replaces either. */
	if (r == -1 && (errno == EINVAL || errno == ENOSYS ||
	    errno == EOPNOTSUPP))
		r = link_unlink(dirfd, from, to);
#else
	r = link_unlink(dirfd, from, to);
#endif
	if (r == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (fstatat(dirfd, from, &sa, AT_SYMLINK_NOFOLLOW) == 0 &&
	    fstatat(dirfd, to, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)
		return unlinkat(dirfd, from, 0);
	errno = EEXIST;
	return -1;
}

/* Unlink a deleted message; one that is gone already counts as done. */
static int
remove_msg(struct maildrop *md, struct mmsg *m)
{
	if (unlinkat(md->dirfd, m->name, 0) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	if (maildrop_relocate(md, m) == -1)
		return errno == ENOENT ? 0 : -1;
	if (unlinkat(md->dirfd, m->name, 0) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

static int
fsync_dir(struct maildrop *md, const char *sub)
{
	int	fd, r, saved;

	if ((fd = openat(md->dirfd, sub,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

#define DIRTY_MOVE	0x01
#define DIRTY_DELE	0x02

/*
 * The UPDATE state (RFC 1939 section 6): remove the deleted messages,
 * move the seen ones from new/ to cur/ with flag S, make it durable and
 * rewrite the cache.  md->msgs then lists what is left.  Returns -1 if
 * some deleted message could not be removed (or its removal made
 * durable); a failed move only costs the S flag and is only logged.
 */
int
maildrop_update(struct maildrop *md)
{
	struct mmsg	*m;
	char		 to[PATH_MAX], *p;
	size_t		 i, j;
	int		 fail = 0, dnew = 0, dcur = 0;

	for (i = 0; i < md->nmsgs; i++) {
		m = &md->msgs[i];
		if (m->flags & MMSG_DELETED) {
			if (remove_msg(md, m) == -1) {
				log_warn("%s: unlink %s", md->path, m->name);
				m->flags &= ~MMSG_DELETED;
				fail++;
				continue;
			}
			if (strncmp(m->name, "new/", 4) == 0)
				dnew |= DIRTY_DELE;
			else
				dcur |= DIRTY_DELE;
			continue;
		}
		if (!(m->flags & MMSG_SEEN) || strncmp(m->name, "new/", 4) != 0)
			continue;
		if (maildir_seen_name(m->name + 4, to, sizeof(to)) == -1 ||
		    (p = strdup(to)) == NULL) {
			log_warn("%s: %s", md->path, m->name);
			continue;
		}
		if (move_noreplace(md->dirfd, m->name, to) == -1) {
			log_warn("%s: move %s to %s", md->path, m->name, to);
			free(p);
			continue;
		}
		free(m->name);
		m->name = p;
		dnew |= DIRTY_MOVE;
		dcur |= DIRTY_MOVE;
	}
	/* Removals must be durable before we say so; moves may be lost. */
	if (dnew && fsync_dir(md, "new") == -1) {
		log_warn("%s: fsync new", md->path);
		if (dnew & DIRTY_DELE)
			fail++;
	}
	if (dcur && fsync_dir(md, "cur") == -1) {
		log_warn("%s: fsync cur", md->path);
		if (dcur & DIRTY_DELE)
			fail++;
	}

	md->total = 0;
	for (i = j = 0; i < md->nmsgs; i++) {
		m = &md->msgs[i];
		if (m->flags & MMSG_DELETED) {
			free(m->name);
			continue;
		}
		m->flags = 0;
		md->total += m->size;
		md->msgs[j++] = *m;
	}
	md->nmsgs = j;
	if (popcache_write(md) == -1)
		log_warn("%s: popcache write", md->path);
	(void)maildir_readdir(md->dirfd, "tmp", sweep_tmp, md);
	return fail ? -1 : 0;
}

/*
 * A file left in tmp/ for 36 hours is a delivery that died (an mda killed
 * with SIGKILL): remove it, as the maildir convention says.
 */
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

/* Empty md->msgs, keeping the array for reuse. */
void
maildrop_clear(struct maildrop *md)
{
	size_t	i;

	for (i = 0; i < md->nmsgs; i++)
		free(md->msgs[i].name);
	md->nmsgs = 0;
	md->total = 0;
}

void
maildrop_close(struct maildrop *md)
{
	maildrop_clear(md);
	free(md->msgs);
	md->msgs = NULL;
	md->nalloc = 0;
	if (md->lockfd != -1)
		close(md->lockfd);
	if (md->dirfd != -1)
		close(md->dirfd);
	md->lockfd = md->dirfd = -1;
}

/*
 * "<home>/<subdir>", or home when subdir is NULL or empty: the maildir
 * of a usertab entry.  -1 if it does not fit.
 */
int
maildir_path(char *out, size_t outlen, const char *home, const char *subdir)
{
	int	r;

	if (subdir != NULL && subdir[0] != '\0')
		r = snprintf(out, outlen, "%s/%s", home, subdir);
	else
		r = snprintf(out, outlen, "%s", home);
	if (r < 0 || (size_t)r >= outlen)
		return -1;
	return 0;
}

/* A maildir subdirectory (-e, "maildir"): relative, without "..". */
int
maildir_subdir_ok(const char *subdir)
{
	return subdir[0] != '\0' && subdir[0] != '/' &&
	    strstr(subdir, "..") == NULL;
}
