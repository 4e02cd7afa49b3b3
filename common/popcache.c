/*
 * popcache.c -- the per-maildir index that makes opening a big maildrop
 * one sequential read: the RFC 1939 size and the UIDL of every message,
 * keyed by its unique name, plus change stamps of new/ and cur/.  The
 * format is in popcache(5).
 *
 * A warm open (stamps unchanged) reads the file and nothing else.  A
 * changed directory is read again and reconciled with the records:
 * known unique names keep their record, unknown ones are sized from
 * ",W=" or by reading them, vanished ones drop out.  Anything doubtful
 * makes popcache_load fail so that maildir.c does a full scan.
 *
 * Writers: wrkrpop (whole file: temp file, fsync, rename) and mda (one
 * appended record, a hint for new/).  Both take popcache.lock for a few
 * milliseconds only; readers take no lock.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "popcache.h"

#define PC_FILE		"popcache"
#define PC_TMP		"popcache.tmp"
#define PC_LOCK		"popcache.lock"
#define PC_VERSION	1
#define PC_SETTLE	2		/* s: a younger dir stamp is doubtful */
#define PC_LOCKWAIT	2000		/* ms: longest wait for popcache.lock */
#define PC_MAXFILE	(1LL << 30)	/* a bigger popcache is not ours */
#define PC_SIZEDIGITS	18		/* at most 18 digits: no overflow */
#define PC_MAXSIZE	999999999999999999LL
#define PC_RECMAX	(PC_SIZEDIGITS + UIDL_MAX + NAME_MAX + 8)

enum { D_NEW, D_CUR, D_N };
static const char *pc_dirs[D_N] = { "new", "cur" };

/* What a directory looked like: changes to it change one of these. */
struct pc_stamp {
	int			 valid;
	long long		 msec, csec;
	long			 mnsec, cnsec;
	unsigned long long	 ino;
};

/* One record of the file; the strings point into the file buffer. */
struct pc_rec {
	char		*name;		/* "new/x" or "cur/x:2,S" */
	char		*uidl;
	off_t		 size;
	unsigned short	 namelen;
	unsigned char	 uidllen;
	unsigned char	 dir;
	long		 ent;		/* matching directory entry, or -1 */
};

struct pc_file {
	char		*buf;
	size_t		 len;
	struct pc_stamp	 stamp[D_N];
	struct pc_rec	*recs;
	size_t		 nrecs;
	struct pc_rec	*hints;		/* appended by mda after "end" */
	size_t		 nhints;
	dev_t		 dev;
	ino_t		 ino;
	int		 partial;	/* the last line has no line end */
};

/* Names read from the changed directories. */
struct pc_ent {
	size_t		 off;		/* of "dir/name" in pc_ents.names */
	long		 rec;		/* matching record, or -1 */
};

struct pc_ents {
	const char	*dir;		/* the one being read */
	char		*names;
	size_t		 len, cap;
	struct pc_ent	*v;
	size_t		 n, nalloc;
};

/*
 * What popcache.c knows about the maildrop it last loaded: the stamps
 * its msgs[] reflect (only stamps that were old enough when the
 * directory was read), so that popcache_write knows which ones it may
 * record.  One maildrop per process, so one of these.
 */
static struct {
	const struct maildrop	*md;
	struct pc_stamp		 view[D_N];
	size_t			 count[D_N];	/* msgs[] entries per dir */
	int			 counted;	/* count[] is known */
	int			 clean;		/* the file says just that */
	int			 havefile;	/* dev, ino, size are set */
	int			 partial;	/* it ended in a partial line */
	dev_t			 dev;
	ino_t			 ino;
	off_t			 size;
} pcv;

struct popcache_stats popcache_stats;

static int	 pc_stamp_dir(int, int, struct pc_stamp *);
static int	 pc_stamp_eq(const struct pc_stamp *, const struct pc_stamp *);
static int	 pc_settled(const struct pc_stamp *, time_t);
static char	*pc_stamp_fmt(char *, const struct pc_stamp *);
static int	 pc_stamp_parse(char **, struct pc_stamp *);
static int	 pc_num(char **, int, long long *);
static char	*pc_putnum(char *, unsigned long long);
static uint64_t	 pc_hash(const void *, size_t, uint64_t);
static uint32_t	*pc_tab(size_t, size_t *);
static void	 pc_tab_put(uint32_t *, size_t, uint64_t, size_t);
static int	 pc_name_ok(const char *, size_t);
static int	 pc_uidl_ok(const char *, size_t);
static int	 pc_rec_ok(const char *, const char *, off_t);
static char	*pc_putrec(char *, off_t, const char *, const char *);
static ssize_t	 pc_pread(int, char *, size_t, off_t);
static int	 pc_parse_rec(char *, char *, struct pc_rec *);
static int	 pc_reserve(struct maildrop *, size_t);
static int	 pc_uidls_unique(const struct pc_file *);
static int	 pc_read(struct maildrop *, struct pc_file *, const char **);
static void	 pc_file_free(struct pc_file *);
static int	 pc_ent_add(void *, const char *);
static int	 pc_reconcile(struct maildrop *, struct pc_file *,
		    const int *);
static int	 pc_lock(int, int);
static int	 pc_writeall(int, const char *, size_t);
static int	 pc_carry_hints(int, int);
static int	 pc_ent_cmp(const void *, const void *);

/* --- stamps ------------------------------------------------------------ */

static int
pc_stamp_dir(int dirfd, int d, struct pc_stamp *s)
{
	struct stat	st;

	memset(s, 0, sizeof(*s));
	if (fstatat(dirfd, pc_dirs[d], &st, 0) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	s->msec = st.st_mtim.tv_sec;
	s->mnsec = st.st_mtim.tv_nsec;
	s->csec = st.st_ctim.tv_sec;
	s->cnsec = st.st_ctim.tv_nsec;
	s->ino = st.st_ino;
	s->valid = s->msec >= 0 && s->csec >= 0;
	return 0;
}

static int
pc_stamp_eq(const struct pc_stamp *a, const struct pc_stamp *b)
{
	return a->valid && b->valid && a->msec == b->msec &&
	    a->mnsec == b->mnsec && a->csec == b->csec &&
	    a->cnsec == b->cnsec && a->ino == b->ino;
}

/*
 * Directory times have a coarse granularity: a change made in the same
 * tick as the stamp leaves the stamp as it was.  A stamp is only
 * trusted once it is PC_SETTLE seconds old (Dovecot does the same).
 */
static int
pc_settled(const struct pc_stamp *s, time_t now)
{
	long long	t = s->msec > s->csec ? s->msec : s->csec;

	return s->valid && t + PC_SETTLE <= (long long)now;
}

static char *
pc_stamp_fmt(char *p, const struct pc_stamp *s)
{
	if (!s->valid) {
		*p++ = '-';
		return p;
	}
	p += sprintf(p, "%lld.%09ld,%lld.%09ld,%llu", s->msec, s->mnsec,
	    s->csec, s->cnsec, s->ino);
	return p;
}

/* "-" or "<msec>.<9 digits>,<csec>.<9 digits>,<ino>" */
static int
pc_stamp_parse(char **pp, struct pc_stamp *s)
{
	char		*p = *pp;
	long long	 sec, nsec;
	int		 i, k;

	memset(s, 0, sizeof(*s));
	if (*p == '-') {
		*pp = p + 1;
		return 0;
	}
	for (i = 0; i < 2; i++) {
		if (pc_num(&p, PC_SIZEDIGITS, &sec) == -1 || *p++ != '.')
			return -1;
		/* Nanoseconds: exactly 9 digits, leading zeros included. */
		for (k = 0, nsec = 0; k < 9; k++, p++) {
			if (*p < '0' || *p > '9')
				return -1;
			nsec = nsec * 10 + (*p - '0');
		}
		if (*p++ != ',')
			return -1;
		if (i == 0) {
			s->msec = sec;
			s->mnsec = nsec;
		} else {
			s->csec = sec;
			s->cnsec = nsec;
		}
	}
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		return -1;
	for (s->ino = 0; *p >= '0' && *p <= '9'; p++) {
		if (s->ino > (~0ULL - 9) / 10)
			return -1;
		s->ino = s->ino * 10 + (*p - '0');
	}
	s->valid = 1;
	*pp = p;
	return 0;
}

/* --- small helpers ------------------------------------------------------ */

/* 1..maxd decimal digits, no leading zero; *pp is left after them. */
static int
pc_num(char **pp, int maxd, long long *v)
{
	char		*p = *pp;
	long long	 n = 0;
	int		 d;

	for (d = 0; *p >= '0' && *p <= '9'; p++, d++) {
		if (d == maxd)
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (d == 0 || (d > 1 && **pp == '0'))
		return -1;
	*pp = p;
	*v = n;
	return 0;
}

static char *
pc_putnum(char *p, unsigned long long v)
{
	char	tmp[24];
	int	n = 0;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/*
 * A fast 64-bit hash, eight bytes at a time, for the file checksum and
 * the name tables.  Not cryptographic: it catches damage, not forgery
 * (whoever can write the popcache can write the messages too).
 */
static uint64_t
pc_hash(const void *buf, size_t len, uint64_t h)
{
	const unsigned char	*s = buf;
	uint64_t		 w;

	h ^= (uint64_t)len * 0x9e3779b97f4a7c15ULL;
	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ le64toh(w)) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	w = 0;
	while (len > 0)
		w = (w << 8) | s[--len];
	h = (h ^ w) * 0x94d049bb133111ebULL;
	h ^= h >> 29;
	return h;
}

/*
 * The name tables: open addressing, linear probing, slots holding an
 * index + 1 (0 is free).  A table for n keys, *mask set to its size - 1.
 */
static uint32_t *
pc_tab(size_t n, size_t *mask)
{
	size_t	size;

	for (size = 64; size < n * 2; size *= 2)
		;
	*mask = size - 1;
	return calloc(size, sizeof(uint32_t));
}

static void
pc_tab_put(uint32_t *tab, size_t mask, uint64_t hv, size_t i)
{
	size_t	j;

	for (j = hv & mask; tab[j] != 0; j = (j + 1) & mask)
		;
	tab[j] = i + 1;
}

/*
 * A name the file can hold: "new/" or "cur/", then a file name that is
 * not a dotfile and has no '/' and no line end.
 */
static int
pc_name_ok(const char *name, size_t len)
{
	if (len < 5 || len > 4 + NAME_MAX || name[4] == '.' ||
	    (memcmp(name, "new/", 4) != 0 && memcmp(name, "cur/", 4) != 0))
		return 0;
	return memchr(name + 4, '/', len - 4) == NULL &&
	    memchr(name + 4, '\n', len - 4) == NULL &&
	    memchr(name + 4, '\0', len - 4) == NULL;
}

static int
pc_uidl_ok(const char *u, size_t len)
{
	size_t	i;

	if (len < 1 || len > UIDL_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)u[i] < 0x21 || (unsigned char)u[i] > 0x7e)
			return 0;
	return 1;
}

/* A record the reader will take: never write another one. */
static int
pc_rec_ok(const char *name, const char *uidl, off_t size)
{
	return pc_name_ok(name, strlen(name)) &&
	    pc_uidl_ok(uidl, strlen(uidl)) && size >= 0 && size <= PC_MAXSIZE;
}

/* "<size> <uidl> <name>\n" at p; returns the end. */
static char *
pc_putrec(char *p, off_t size, const char *uidl, const char *name)
{
	size_t	len;

	p = pc_putnum(p, size);
	*p++ = ' ';
	len = strlen(uidl);
	memcpy(p, uidl, len);
	p += len;
	*p++ = ' ';
	len = strlen(name);
	memcpy(p, name, len);
	p += len;
	*p++ = '\n';
	return p;
}

/* len bytes at off, fewer only at the end of the file; or -1. */
static ssize_t
pc_pread(int fd, char *buf, size_t len, off_t off)
{
	size_t	got = 0;
	ssize_t	n;

	while (got < len) {
		if ((n = pread(fd, buf + got, len - got, off + got)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

/* The unique part of "dir/name": up to the first ':'. */
static size_t
pc_uniqlen(const char *name)
{
	return strcspn(name + 4, ":");
}

/* --- reading ------------------------------------------------------------ */

/*
 * "<size> <uidl> <name>" in [p, end), end being the line's '\n'; the
 * fields are NUL-terminated in place.  One pass over the bytes.
 */
static int
pc_parse_rec(char *p, char *end, struct pc_rec *r)
{
	long long	 v;
	char		*u, *n;

	*end = '\0';
	if (pc_num(&p, PC_SIZEDIGITS, &v) == -1 || *p != ' ')
		return -1;
	u = p + 1;
	if ((p = strchr(u, ' ')) == NULL || !pc_uidl_ok(u, p - u))
		return -1;
	*p++ = '\0';
	n = p;
	if (!pc_name_ok(n, end - n))
		return -1;
	r->size = v;
	r->uidl = u;
	r->uidllen = n - 1 - u;
	r->name = n;
	r->namelen = end - n;
	r->dir = n[0] == 'n' ? D_NEW : D_CUR;
	r->ent = -1;
	return 0;
}

/*
 * Room for n more messages in md->msgs at once: a 100,000-message
 * maildrop must not grow the array by doubling.
 */
static int
pc_reserve(struct maildrop *md, size_t n)
{
	struct mmsg	*m;

	if (md->nalloc - md->nmsgs >= n)
		return 0;
	if ((m = reallocarray(md->msgs, md->nmsgs + n, sizeof(*m))) == NULL)
		return -1;
	md->msgs = m;
	md->nalloc = md->nmsgs + n;
	return 0;
}

/*
 * The warm path hands the UIDLs out as they are: make sure no two are
 * the same (the file was written that way; a damaged or hand-made one
 * is rebuilt).  Returns 1 if they are unique, 0 if not, -1 on error.
 */
static int
pc_uidls_unique(const struct pc_file *f)
{
	uint64_t	*hv;
	uint32_t	*tab;
	size_t		 mask, i, j;
	int		 rv = 1;

	tab = pc_tab(f->nrecs, &mask);
	hv = reallocarray(NULL, f->nrecs + 1, sizeof(*hv));
	if (tab == NULL || hv == NULL) {
		free(tab);
		free(hv);
		return -1;
	}
	for (i = 0; i < f->nrecs && rv == 1; i++) {
		hv[i] = pc_hash(f->recs[i].uidl, f->recs[i].uidllen, 0);
		for (j = hv[i] & mask; tab[j] != 0; j = (j + 1) & mask)
			if (hv[tab[j] - 1] == hv[i] &&
			    strcmp(f->recs[tab[j] - 1].uidl,
			    f->recs[i].uidl) == 0) {
				rv = 0;
				break;
			}
		tab[j] = i + 1;
	}
	free(tab);
	free(hv);
	return rv;
}

/*
 * Read and check the whole file.  Returns 0, or -1 with *why set (the
 * reason, for the log) and errno ENOENT when there is no file.
 */
static int
pc_read(struct maildrop *md, struct pc_file *f, const char **why)
{
	struct stat	 st;
	char		*p, *nl, *end, *hdrend, *trailer, *hints, hex[17];
	long long	 count, v;
	size_t		 i;
	ssize_t		 n;
	int		 fd, saved;

	memset(f, 0, sizeof(*f));
	*why = "unreadable";
	fd = openat(md->dirfd, PC_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		if (errno == ENOENT)
			*why = "missing";
		return -1;
	}
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_size > PC_MAXFILE) {
		*why = "not a regular file or too big";
		goto fail;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	if ((f->buf = malloc(st.st_size + 1)) == NULL)
		goto fail;
	/* One read; mda may append meanwhile: what came later waits. */
	if ((n = pc_pread(fd, f->buf, st.st_size, 0)) == -1)
		goto fail;
	close(fd);
	fd = -1;
	f->len = n;
	f->buf[f->len] = '\0';
	f->partial = f->len > 0 && f->buf[f->len - 1] != '\n';
	end = f->buf + f->len;

	/* Header: "popcache <version> <new-stamp> <cur-stamp> <count>" */
	*why = "truncated";
	if ((nl = memchr(f->buf, '\n', f->len)) == NULL)
		goto fail;
	*nl = '\0';
	*why = "bad header";
	p = f->buf;
	if (strncmp(p, "popcache ", 9) != 0)
		goto fail;
	p += 9;
	if (pc_num(&p, 9, &v) == -1 || *p++ != ' ')
		goto fail;
	if (v != PC_VERSION) {
		*why = "unknown version";
		goto fail;
	}
	if (pc_stamp_parse(&p, &f->stamp[D_NEW]) == -1 || *p++ != ' ' ||
	    pc_stamp_parse(&p, &f->stamp[D_CUR]) == -1 || *p++ != ' ' ||
	    pc_num(&p, 12, &count) == -1 || *p != '\0')
		goto fail;
	*nl = '\n';
	/* Every record takes at least "0 u new/x\n". */
	if ((size_t)count > f->len / 10) {
		*why = "truncated";
		goto fail;
	}
	if (count > 0 && (f->recs = calloc(count, sizeof(*f->recs))) == NULL) {
		*why = "out of memory";
		goto fail;
	}
	hdrend = nl + 1;

	/*
	 * Find the trailer "end <count> <checksum>" and check the sum of
	 * all above it before the records are parsed (in place).
	 */
	for (p = hdrend, i = 0; i < (size_t)count; i++, p = nl + 1)
		if ((nl = memchr(p, '\n', end - p)) == NULL) {
			*why = "truncated";
			goto fail;
		}
	trailer = p;
	if ((nl = memchr(p, '\n', end - p)) == NULL) {
		*why = "truncated";
		goto fail;
	}
	*why = "bad trailer";
	(void)snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)
	    pc_hash(f->buf, trailer - f->buf, 0));
	*nl = '\0';
	if (strncmp(p, "end ", 4) != 0)
		goto fail;
	p += 4;
	if (pc_num(&p, 12, &v) == -1 || v != count || *p++ != ' ')
		goto fail;
	if (strcmp(p, hex) != 0) {
		*why = "checksum mismatch";
		goto fail;
	}
	hints = nl + 1;

	*why = "bad record";
	for (p = hdrend, i = 0; i < (size_t)count; i++, p = nl + 1) {
		nl = memchr(p, '\n', trailer - p);
		if (pc_parse_rec(p, nl, &f->recs[i]) == -1)
			goto fail;
	}
	f->nrecs = count;

	/*
	 * Hints appended by mda: only complete lines, only for new/.  A
	 * bad one is skipped, not fatal: the directory is read anyway.
	 */
	for (p = hints; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			break;
		if (f->nhints % 64 == 0) {
			struct pc_rec	*h;

			h = reallocarray(f->hints, f->nhints + 64,
			    sizeof(*h));
			if (h == NULL) {
				*why = "out of memory";
				goto fail;
			}
			f->hints = h;
		}
		if (pc_parse_rec(p, nl, &f->hints[f->nhints]) == -1 ||
		    f->hints[f->nhints].dir != D_NEW)
			continue;
		f->nhints++;
	}
	return 0;
 fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	pc_file_free(f);
	errno = saved;
	return -1;
}

static void
pc_file_free(struct pc_file *f)
{
	free(f->buf);
	free(f->recs);
	free(f->hints);
	memset(f, 0, sizeof(*f));
}

/* maildir_readdir's callback: keep "dir/name" in e. */
static int
pc_ent_add(void *arg, const char *name)
{
	struct pc_ents	*e = arg;
	struct pc_ent	*v;
	char		*nb;
	size_t		 len, need, n;

	len = strlen(name);
	need = e->len + 4 + len + 1;
	if (need > e->cap) {
		for (n = e->cap == 0 ? 65536 : e->cap; n < need; n *= 2)
			;
		if ((nb = realloc(e->names, n)) == NULL)
			return -1;
		e->names = nb;
		e->cap = n;
	}
	if (e->n == e->nalloc) {
		n = e->nalloc == 0 ? 1024 : e->nalloc * 2;
		if ((v = reallocarray(e->v, n, sizeof(*v))) == NULL)
			return -1;
		e->v = v;
		e->nalloc = n;
	}
	e->v[e->n].off = e->len;
	e->v[e->n].rec = -1;
	memcpy(e->names + e->len, e->dir, 3);
	e->names[e->len + 3] = '/';
	memcpy(e->names + e->len + 4, name, len + 1);
	e->len = need;
	e->n++;
	return 0;
}

static const char *pc_sort_names;

/* New names in maildir.c's message order. */
static int
pc_ent_cmp(const void *a, const void *b)
{
	return maildir_namecmp(pc_sort_names + ((const struct pc_ent *)a)->off,
	    pc_sort_names + ((const struct pc_ent *)b)->off);
}

/*
 * Bring the records of the changed directories up to date with what
 * readdir says, and fill md: unchanged directories and known names
 * cost nothing, unknown names are sized, vanished ones dropped.
 */
static int
pc_reconcile(struct maildrop *md, struct pc_file *f, const int *changed)
{
	struct pc_ents	 e;
	struct pc_rec	*r;
	uint32_t	*tab = NULL, *htab = NULL;
	const char	*name;
	size_t		 mask, hmask, i, j, k, len, nnew = 0, gone = 0;
	uint64_t	 hv;
	off_t		 size;
	int		 d, pass, rv = -1, saved;

	memset(&e, 0, sizeof(e));
	for (d = 0; d < D_N; d++) {
		if (!changed[d])
			continue;
		popcache_stats.dirs_read++;
		e.dir = pc_dirs[d];
		if (maildir_readdir(md->dirfd, pc_dirs[d], pc_ent_add,
		    &e) == -1) {
			log_warn("popcache: %s/%s", md->path, pc_dirs[d]);
			goto done;
		}
	}

	/* Index the records of the changed directories by unique name. */
	if ((tab = pc_tab(f->nrecs, &mask)) == NULL)
		goto done;
	for (i = 0; i < f->nrecs; i++)
		if (changed[f->recs[i].dir])
			pc_tab_put(tab, mask, pc_hash(f->recs[i].name + 4,
			    pc_uniqlen(f->recs[i].name), 0), i);

	/*
	 * Pass 0 matches identical names, pass 1 the same unique name
	 * under another name (moved to cur/, flags changed): it keeps its
	 * UIDL and size.
	 */
	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < e.n; k++) {
			if (e.v[k].rec != -1)
				continue;
			name = e.names + e.v[k].off;
			len = pc_uniqlen(name);
			hv = pc_hash(name + 4, len, 0);
			for (j = hv & mask; tab[j] != 0; j = (j + 1) & mask) {
				r = &f->recs[tab[j] - 1];
				if (r->ent != -1)
					continue;
				if (pass == 0 ? strcmp(r->name, name) != 0 :
				    (pc_uniqlen(r->name) != len ||
				    memcmp(r->name + 4, name + 4, len) != 0))
					continue;
				r->ent = k;
				e.v[k].rec = tab[j] - 1;
				break;
			}
		}
	}

	/* The records in file order, then the new names. */
	for (i = 0, k = 0; i < f->nrecs; i++)
		if (!changed[f->recs[i].dir])
			k++;
	if (pc_reserve(md, k + e.n) == -1)
		goto done;
	for (i = 0; i < f->nrecs; i++) {
		r = &f->recs[i];
		if (!changed[r->dir])
			name = r->name;
		else if (r->ent != -1)
			name = e.names + e.v[r->ent].off;
		else {
			gone++;
			continue;
		}
		if (maildrop_add(md, name, r->size, r->uidl) == -1)
			goto done;
	}
	for (k = 0; k < e.n; k++)
		if (e.v[k].rec == -1)
			e.v[nnew++] = e.v[k];
	pc_sort_names = e.names;
	qsort(e.v, nnew, sizeof(e.v[0]), pc_ent_cmp);

	/* mda's hints spare reading a new message that has no ",W=". */
	if ((htab = pc_tab(f->nhints, &hmask)) == NULL)
		goto done;
	for (i = 0; i < f->nhints; i++)
		pc_tab_put(htab, hmask, pc_hash(f->hints[i].name,
		    f->hints[i].namelen, 0), i);
	for (k = 0; k < nnew; k++) {
		name = e.names + e.v[k].off;
		size = -1;
		hv = pc_hash(name, strlen(name), 0);
		for (j = hv & hmask; htab[j] != 0; j = (j + 1) & hmask)
			if (strcmp(f->hints[htab[j] - 1].name, name) == 0) {
				size = f->hints[htab[j] - 1].size;
				break;
			}
		if (size == -1) {
			popcache_stats.sized++;
			if (maildir_msgsize(md->dirfd, name, &size) == -1) {
				if (errno == ENOENT)
					continue;	/* removed meanwhile */
				/* The full scan knows what to do with it. */
				log_warn("popcache: %s/%s", md->path, name);
				goto done;
			}
		}
		if (maildrop_add(md, name, size, NULL) == -1)
			goto done;
	}
	log_debug("popcache: %s: read%s%s: %zu new, %zu gone", md->path,
	    changed[D_NEW] ? " new/" : "", changed[D_CUR] ? " cur/" : "",
	    nnew, gone);
	rv = 0;
 done:
	saved = errno;
	free(tab);
	free(htab);
	free(e.names);
	free(e.v);
	errno = saved;
	return rv;
}

/*
 * Fill md->msgs from the popcache.  Returns 0, or -1 when there is no
 * usable cache: the caller then scans the maildir and calls
 * popcache_write, which records the stamps taken here, before that scan.
 */
int
popcache_load(struct maildrop *md)
{
	struct pc_file	 f;
	struct pc_stamp	 now_st[D_N];
	struct timespec	 ts;
	const char	*why;
	size_t		 i;
	int		 d, changed[D_N];

	memset(&pcv, 0, sizeof(pcv));
	memset(&popcache_stats, 0, sizeof(popcache_stats));
	pcv.md = md;
	popcache_stats.result = POPCACHE_REBUILD;

	/* Stamps first: whatever changes after this is seen next time. */
	for (d = 0; d < D_N; d++)
		if (pc_stamp_dir(md->dirfd, d, &now_st[d]) == -1) {
			log_warn("popcache: %s/%s", md->path, pc_dirs[d]);
			return -1;
		}
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	for (d = 0; d < D_N; d++) {
		pcv.view[d] = now_st[d];
		if (!pc_settled(&now_st[d], ts.tv_sec))
			pcv.view[d].valid = 0;
	}

	if (pc_read(md, &f, &why) == -1) {
		if (errno == ENOENT)
			log_info("popcache: %s: missing, rebuilding it from "
			    "the maildir", md->path);
		else
			log_warnx("popcache: %s: %s, rebuilding it from the "
			    "maildir", md->path, why);
		return -1;
	}
	pcv.havefile = 1;
	pcv.dev = f.dev;
	pcv.ino = f.ino;
	pcv.size = f.len;
	pcv.partial = f.partial;

	maildrop_clear(md);
	for (d = 0; d < D_N; d++) {
		changed[d] = !pc_stamp_eq(&f.stamp[d], &now_st[d]);
		/* The header's stamps were settled when written. */
		if (!changed[d])
			pcv.view[d] = now_st[d];
	}
	if (!changed[D_NEW] && !changed[D_CUR]) {
		/* Warm: the file is the maildrop. */
		switch (pc_uidls_unique(&f)) {
		case -1:
			goto nomem;
		case 0:
			log_warnx("popcache: %s: two records with one UIDL",
			    md->path);
			goto fail;
		}
		if (pc_reserve(md, f.nrecs) == -1)
			goto nomem;
		for (i = 0; i < f.nrecs; i++)
			if (maildrop_add(md, f.recs[i].name, f.recs[i].size,
			    f.recs[i].uidl) == -1)
				goto nomem;
		pcv.clean = f.nhints == 0;
		popcache_stats.result = POPCACHE_WARM;
	} else {
		if (pc_reconcile(md, &f, changed) == -1)
			goto fail;
		popcache_stats.result = POPCACHE_UPDATED;
	}
	for (i = 0; i < md->nmsgs; i++)
		pcv.count[md->msgs[i].name[0] == 'n' ? D_NEW : D_CUR]++;
	pcv.counted = 1;
	popcache_stats.records = f.nrecs;
	log_debug("popcache: %s: %s, %zu messages", md->path,
	    popcache_stats.result == POPCACHE_WARM ? "warm" : "updated",
	    md->nmsgs);
	pc_file_free(&f);
	return 0;
 nomem:
	log_warn("popcache: %s", md->path);
 fail:
	pc_file_free(&f);
	maildrop_clear(md);
	pcv.counted = pcv.clean = 0;
	popcache_stats.result = POPCACHE_REBUILD;
	log_warnx("popcache: %s: rebuilding it from the maildir", md->path);
	return -1;
}

/* --- writing ------------------------------------------------------------ */

/*
 * popcache.lock, with LOCK_NB retried for at most ms milliseconds:
 * nobody ever waits long for it.  Returns the locked fd, or -1 with
 * errno ETIMEDOUT when it stayed busy.
 */
static int
pc_lock(int dirfd, int ms)
{
	struct timespec	 start, now, nap;
	long		 waited, step = 1;
	int		 fd, saved;

	fd = openat(dirfd, PC_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return -1;
	if (clock_gettime(CLOCK_MONOTONIC, &start) == -1)
		goto fail;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR)
			goto fail;
		if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
			goto fail;
		waited = (now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited >= ms) {
			errno = ETIMEDOUT;
			goto fail;
		}
		/* 1, 2, 4 .. 16 ms: quick when the holder is quick. */
		nap.tv_sec = 0;
		nap.tv_nsec = step * 1000000;
		if (step < 16)
			step *= 2;
		(void)nanosleep(&nap, NULL);
	}
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static int
pc_writeall(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * Copy to the new file (tmpfd) the hints mda appended to the current
 * one since we read or wrote it; called under popcache.lock.  Returns
 * the bytes copied, or -1.
 */
static int
pc_carry_hints(int dirfd, int tmpfd)
{
	struct stat	 st;
	char		*buf, *p, *nl, *line;
	struct pc_rec	 r;
	ssize_t		 got;
	size_t		 len, out = 0;
	int		 fd, rv = -1;

	if (!pcv.havefile)
		return 0;
	fd = openat(dirfd, PC_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1 || st.st_dev != pcv.dev ||
	    st.st_ino != pcv.ino || st.st_size <= pcv.size ||
	    st.st_size - pcv.size > PC_MAXFILE) {
		close(fd);
		return 0;
	}
	len = st.st_size - pcv.size;
	if ((buf = malloc(len + 1)) == NULL ||
	    (line = malloc(PC_RECMAX + 1)) == NULL) {
		free(buf);
		close(fd);
		return -1;
	}
	if ((got = pc_pread(fd, buf, len, pcv.size)) == -1)
		goto done;
	buf[got] = '\0';
	/*
	 * The old file may not end with a line end before the first
	 * hint: a partial line is skipped, as the loader would.
	 */
	p = buf;
	if (pcv.partial && (p = memchr(buf, '\n', got)) != NULL)
		p++;
	for (; p != NULL && (nl = memchr(p, '\n', buf + got - p)) != NULL;
	    p = nl + 1) {
		if ((size_t)(nl - p) > PC_RECMAX)
			continue;
		memcpy(line, p, nl - p + 1);
		if (pc_parse_rec(line, line + (nl - p), &r) == -1 ||
		    r.dir != D_NEW)
			continue;
		if (pc_writeall(tmpfd, p, nl - p + 1) == -1)
			goto done;
		out += nl - p + 1;
	}
	rv = out;
 done:
	free(line);
	free(buf);
	close(fd);
	return rv;
}

/*
 * Write md->msgs as the new popcache: temp file, fsync, then rename
 * under popcache.lock.  A directory stamp is recorded only if md's
 * view of that directory is current and was read from a settled
 * stamp; otherwise "-" makes the next open read that directory.  What
 * it knows of md's view comes from popcache_load on the same md, which
 * maildrop_scan always calls first.
 */
int
popcache_write(struct maildrop *md)
{
	struct pc_stamp	 st[D_N], rec[D_N];
	struct stat	 sb;
	struct mmsg	*m;
	size_t		 i, len, cap, count[D_N];
	char		*buf = NULL, *p;
	int		 d, keep[D_N], fd = -1, lockfd = -1, saved, known;
	int		 carried;

	known = pcv.md == md;
	memset(count, 0, sizeof(count));
	cap = 512;		/* header and trailer */
	for (i = 0; i < md->nmsgs; i++) {
		m = &md->msgs[i];
		if (!pc_rec_ok(m->name, m->uidl, m->size)) {
			log_warnx("popcache: %s: %s cannot be cached",
			    md->path, m->name);
			errno = EINVAL;
			return -1;
		}
		count[m->name[0] == 'n' ? D_NEW : D_CUR]++;
		cap += PC_SIZEDIGITS + 3 + strlen(m->name) + strlen(m->uidl);
	}
	for (d = 0; d < D_N; d++) {
		if (pc_stamp_dir(md->dirfd, d, &st[d]) == -1) {
			log_warn("popcache: %s/%s", md->path, pc_dirs[d]);
			return -1;
		}
		/* Our view of d is still the directory and still complete. */
		keep[d] = known && pc_stamp_eq(&pcv.view[d], &st[d]) &&
		    (!pcv.counted || pcv.count[d] == count[d]);
		rec[d] = keep[d] ? st[d] : (struct pc_stamp){ 0 };
	}
	if (known && pcv.clean && keep[D_NEW] && keep[D_CUR])
		return 0;	/* the file already says all that */

	if ((buf = malloc(cap)) == NULL)
		return -1;
	p = buf;
	p += sprintf(p, "popcache %d ", PC_VERSION);
	p = pc_stamp_fmt(p, &rec[D_NEW]);
	*p++ = ' ';
	p = pc_stamp_fmt(p, &rec[D_CUR]);
	*p++ = ' ';
	p = pc_putnum(p, md->nmsgs);
	*p++ = '\n';
	for (i = 0; i < md->nmsgs; i++)
		p = pc_putrec(p, md->msgs[i].size, md->msgs[i].uidl,
		    md->msgs[i].name);
	len = p - buf;
	p += sprintf(p, "end %zu %016llx\n", md->nmsgs,
	    (unsigned long long)pc_hash(buf, len, 0));
	len = p - buf;

	fd = openat(md->dirfd, PC_TMP, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		goto fail;
	if (pc_writeall(fd, buf, len) == -1 || fsync(fd) == -1)
		goto fail;
	free(buf);
	buf = NULL;

	/* The lock only covers the rename and the hints that came since. */
	if ((lockfd = pc_lock(md->dirfd, PC_LOCKWAIT)) == -1)
		goto fail;
	if ((carried = pc_carry_hints(md->dirfd, fd)) == -1 ||
	    (carried > 0 && fsync(fd) == -1))
		goto fail;
	if (fstat(fd, &sb) == -1)
		goto fail;
	if (renameat(md->dirfd, PC_TMP, md->dirfd, PC_FILE) == -1)
		goto fail;
	close(lockfd);
	lockfd = -1;
	close(fd);
	fd = -1;
	/* The rename must last too; a failure here only costs a rebuild. */
	if (fsync(md->dirfd) == -1)
		log_warn("popcache: %s: fsync", md->path);

	pcv.md = md;
	for (d = 0; d < D_N; d++) {
		pcv.view[d] = rec[d];
		pcv.count[d] = count[d];
	}
	pcv.counted = 1;
	pcv.clean = carried == 0;
	pcv.havefile = 1;
	pcv.partial = 0;
	pcv.dev = sb.st_dev;
	pcv.ino = sb.st_ino;
	pcv.size = sb.st_size;
	log_debug("popcache: %s: wrote %zu messages (new/ %s, cur/ %s)",
	    md->path, md->nmsgs, rec[D_NEW].valid ? "stamped" : "unknown",
	    rec[D_CUR].valid ? "stamped" : "unknown");
	return 0;
 fail:
	saved = errno;
	free(buf);
	if (fd != -1) {
		close(fd);
		(void)unlinkat(md->dirfd, PC_TMP, 0);
	}
	if (lockfd != -1)
		close(lockfd);
	errno = saved;
	return -1;
}

/*
 * mda: record a message just linked into new/ (name "new/x").  Best
 * effort and bounded: the lock is tried for PC_LOCKWAIT ms; without a
 * popcache there is nothing to append to.  Returns 0, or -1 with errno
 * (ETIMEDOUT: the lock stayed busy).
 */
int
popcache_append(int dirfd, const char *name, const char *uidl, off_t size)
{
	struct stat	 st;
	char		 line[PC_RECMAX + 2], *p, c;
	int		 fd, lockfd, saved;

	if (!pc_rec_ok(name, uidl, size) || name[0] != 'n') {
		errno = EINVAL;
		return -1;
	}
	line[0] = '\n';		/* used only after a partial line */
	p = pc_putrec(line + 1, size, uidl, name);

	if ((lockfd = pc_lock(dirfd, PC_LOCKWAIT)) == -1)
		return -1;
	/* O_RDWR: the pread of the last byte below needs read access. */
	fd = openat(dirfd, PC_FILE, O_RDWR | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW);
	if (fd == -1) {
		saved = errno;
		close(lockfd);
		if (saved == ENOENT)
			return 0;
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		st.st_size = -1;
		goto fail;
	}
	/* A partial line left by a full disk must not swallow ours. */
	c = '\n';
	if (st.st_size > 0 && pread(fd, &c, 1, st.st_size - 1) != 1)
		c = 0;
	if (c == '\n') {
		if (pc_writeall(fd, line + 1, p - line - 1) == -1)
			goto fail;
	} else if (pc_writeall(fd, line, p - line) == -1)
		goto fail;
	close(fd);
	close(lockfd);
	return 0;
 fail:
	saved = errno;
	/* Take back a partial record (disk full). */
	if (st.st_size >= 0)
		(void)ftruncate(fd, st.st_size);
	close(fd);
	close(lockfd);
	errno = saved;
	return -1;
}
