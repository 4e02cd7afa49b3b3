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
 * popcache.c -- the per-maildir index of sizes and UIDLs, with change
 * stamps of new/ and cur/, that makes a warm open one sequential read
 * (popcache(5)).  Anything doubtful makes popcache_load fail, and the
 * maildrop scans.  wrkrpop rewrites the file and mda appends hints, both
 * under popcache.lock for milliseconds; readers take no lock.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

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
#include "popcache_file.h"

#define PC_FILE		POPCACHE_FILE
#define PC_TMP		"popcache.tmp"
#define PC_LOCK		"popcache.lock"
#define PC_VERSION	1
#define PC_LOCKWAIT	2000		/* ms: longest wait for popcache.lock */
#define PC_MAXFILE	(1LL << 30)	/* a bigger popcache is not ours */
#define PC_SIZEDIGITS	18		/* at most 18 digits: no overflow */
#define PC_MAXSIZE	999999999999999999LL
#define PC_RECMAX	(PC_SIZEDIGITS + UIDL_MAX + NAME_MAX + 8)

const char *pc_dirs[D_N] = { "new", "cur" };

void
popcache_init(struct popcache *pc, int dirfd, const char *path)
{
	memset(pc, 0, sizeof(*pc));
	pc->dirfd = dirfd;
	pc->path = path;
}

static void
pc_stamp_st(const struct stat *st, struct popcache_stamp *s)
{
	memset(s, 0, sizeof(*s));
	s->msec = st->st_mtim.tv_sec;
	s->mnsec = st->st_mtim.tv_nsec;
	s->csec = st->st_ctim.tv_sec;
	s->cnsec = st->st_ctim.tv_nsec;
	s->ino = st->st_ino;
	s->valid = s->msec >= 0 && s->csec >= 0;
}

/*
 * Stamps from the maildrop's own stat(2)s save a round trip on a network
 * filesystem; taken before the read, they are only more cautious.
 */
void
popcache_seen(struct popcache *pc, const struct stat *newst,
    const struct stat *curst)
{
	const struct stat	*st[D_N] = { newst, curst };
	int			 d;

	for (d = 0; d < D_N; d++) {
		if (!S_ISDIR(st[d]->st_mode))
			return;
		pc_stamp_st(st[d], &pc->pre[d]);
	}
	pc->havepre = 1;
}

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

/* Not cryptographic: whoever can write the popcache can write the mail. */
uint64_t
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

/* Open addressing, linear probing; a slot holds an index + 1, 0 free. */
void *
pc_tab(size_t n, size_t slotsize, size_t *mask)
{
	size_t	size;

	for (size = 64; size < n * 2; size *= 2)
		;
	*mask = size - 1;
	return calloc(size, slotsize);
}

/* Eight octets at a time: (x - 0x01) & ~x flags a zero octet of w ^ c. */
static int
pc_plain(const char *p, size_t len)
{
	const uint64_t	ones = 0x0101010101010101ULL, highs = ones * 0x80;
	uint64_t	w, x, bad = 0;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		x = w ^ (ones * '/');
		bad |= (x - ones) & ~x;
		x = w ^ (ones * '\n');
		bad |= (x - ones) & ~x;
		bad |= (w - ones) & ~w;
	}
	for (; len > 0; p++, len--)
		if (*p == '/' || *p == '\n' || *p == '\0')
			return 0;
	return (bad & highs) == 0;
}

static int
pc_name_ok(const char *name, size_t len)
{
	if (len < 5 || len > 4 + NAME_MAX || name[4] == '.' ||
	    (memcmp(name, "new/", 4) != 0 && memcmp(name, "cur/", 4) != 0))
		return 0;
	return pc_plain(name + 4, len - 4);
}

/* A record the reader will take: never write another one. */
static int
pc_rec_ok(const char *name, const char *uidl, off_t size)
{
	return pc_name_ok(name, strlen(name)) &&
	    maildir_uidl_ok(uidl, strlen(uidl)) && size >= 0 &&
	    size <= PC_MAXSIZE;
}

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

int
pc_stamp_dir(int dirfd, int d, struct popcache_stamp *s)
{
	struct stat	st;

	memset(s, 0, sizeof(*s));
	if (fstatat(dirfd, pc_dirs[d], &st, 0) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	pc_stamp_st(&st, s);
	return 0;
}

int
pc_stamp_eq(const struct popcache_stamp *a, const struct popcache_stamp *b)
{
	return a->valid && b->valid && a->msec == b->msec &&
	    a->mnsec == b->mnsec && a->csec == b->csec &&
	    a->cnsec == b->cnsec && a->ino == b->ino;
}

static char *
pc_stamp_fmt(char *p, const struct popcache_stamp *s)
{
	if (!s->valid) {
		*p++ = '-';
		return p;
	}
	p += sprintf(p, "%lld.%09ld,%lld.%09ld,%llu", s->msec, s->mnsec,
	    s->csec, s->cnsec, s->ino);
	return p;
}

static int
pc_stamp_parse(char **pp, struct popcache_stamp *s)
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

static int
pc_parse_rec(char *p, char *end, struct pc_rec *r)
{
	long long	 v;
	char		*u, *n;
	size_t		 ulen;

	*end = '\0';
	if (pc_num(&p, PC_SIZEDIGITS, &v) == -1 || *p != ' ')
		return -1;
	u = p + 1;
	ulen = maildir_uidl_span(u, end - u > UIDL_MAX ? UIDL_MAX + 1 :
	    (size_t)(end - u));
	if (ulen < 1 || ulen > UIDL_MAX || u[ulen] != ' ')
		return -1;
	p = u + ulen;
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

/* mda may append meanwhile: what came later waits for the next open. */
static int
pc_read_file(struct popcache *pc, struct pc_file *f, const char **why)
{
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	*why = "unreadable";
	fd = maildir_openst(pc->dirfd, PC_FILE, O_RDONLY, 0, &st);
	if (fd == -1) {
		if (errno == ENOENT)
			*why = "missing";
		else if (errno == EINVAL)
			*why = "not a regular file";
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > PC_MAXFILE) {
		*why = "not a regular file or too big";
		goto fail;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	if ((f->buf = malloc(st.st_size + 1)) == NULL)
		goto fail;
	if ((n = pc_pread(fd, f->buf, st.st_size, 0)) == -1)
		goto fail;
	close(fd);
	f->len = n;
	f->buf[f->len] = '\0';
	f->partial = f->len > 0 && f->buf[f->len - 1] != '\n';
	return 0;
 fail:
	return maildir_close_failed(fd);
}

static char *
pc_parse_header(struct pc_file *f, long long *count, const char **why)
{
	char		*p, *nl;
	long long	 v;

	*why = "truncated";
	if ((nl = memchr(f->buf, '\n', f->len)) == NULL)
		return NULL;
	*nl = '\0';
	*why = "bad header";
	p = f->buf;
	if (strncmp(p, "popcache ", 9) != 0)
		return NULL;
	p += 9;
	if (pc_num(&p, 9, &v) == -1 || *p++ != ' ')
		return NULL;
	if (v != PC_VERSION) {
		*why = "unknown version";
		return NULL;
	}
	if (pc_stamp_parse(&p, &f->stamp[D_NEW]) == -1 || *p++ != ' ' ||
	    pc_stamp_parse(&p, &f->stamp[D_CUR]) == -1 || *p++ != ' ' ||
	    pc_num(&p, 12, count) == -1 || *p != '\0')
		return NULL;
	*nl = '\n';
	if ((size_t)*count > f->len / 10) {
		*why = "truncated";
		return NULL;
	}
	return nl + 1;
}

/* From the end, past the few hints, without a pass over the records. */
static char *
pc_find_trailer(char *recs, char *end)
{
	char	*p = end, *start, *nl;

	for (; p > recs; p = start) {
		nl = memrchr(recs, '\n', p - 1 - recs);
		start = nl != NULL ? nl + 1 : recs;
		if (p[-1] == '\n' && p - start > 4 &&
		    memcmp(start, "end ", 4) == 0)
			return start;
	}
	return NULL;
}

/* The checksum is checked before the records are parsed in place. */
static char *
pc_check_trailer(struct pc_file *f, char *recs, long long count,
    const char **why)
{
	char		*p, *nl, hex[17];
	long long	 v;

	*why = "truncated";
	if ((p = pc_find_trailer(recs, f->buf + f->len)) == NULL ||
	    (count == 0) != (p == recs))
		return NULL;
	f->first = recs;
	f->trailer = p;
	f->count = count;
	nl = memchr(p, '\n', f->buf + f->len - p);	/* a complete line */
	*why = "bad trailer";
	(void)snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)
	    pc_hash(f->buf, p - f->buf, 0));
	*nl = '\0';
	if (strncmp(p, "end ", 4) != 0)
		return NULL;
	p += 4;
	if (pc_num(&p, 12, &v) == -1 || v != count || *p++ != ' ')
		return NULL;
	if (strcmp(p, hex) != 0) {
		*why = "checksum mismatch";
		return NULL;
	}
	return nl + 1;
}

int
pc_next_rec(struct pc_file *f, char **pp, size_t i, struct pc_rec *r)
{
	char	*nl;

	if ((nl = memchr(*pp, '\n', f->trailer - *pp)) == NULL ||
	    pc_parse_rec(*pp, nl, r) == -1)
		return -1;
	*pp = nl + 1;
	if (i + 1 == f->count && *pp != f->trailer)
		return -1;		/* more lines than records */
	return 0;
}

void
pc_bad_rec(struct popcache *pc, size_t i)
{
	log_warnx("popcache: %s/%s:%zu: bad record", pc->path, PC_FILE,
	    i + 2);
}

/* A bad hint is skipped: the directory is read anyway. */
static int
pc_parse_hints(struct pc_file *f, char *p, const char **why)
{
	struct pc_rec	*h;
	char		*nl, *end = f->buf + f->len;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			break;
		if (f->nhints % 64 == 0) {
			h = reallocarray(f->hints, f->nhints + 64,
			    sizeof(*h));
			if (h == NULL) {
				*why = "out of memory";
				return -1;
			}
			f->hints = h;
		}
		if (pc_parse_rec(p, nl, &f->hints[f->nhints]) == -1 ||
		    f->hints[f->nhints].dir != D_NEW)
			continue;
		f->nhints++;
	}
	return 0;
}

int
pc_read(struct popcache *pc, struct pc_file *f, const char **why)
{
	char		*recs, *hints;
	long long	 count;
	int		 saved;

	memset(f, 0, sizeof(*f));
	if (pc_read_file(pc, f, why) == -1)
		saved = errno;
	else if ((recs = pc_parse_header(f, &count, why)) == NULL ||
	    (hints = pc_check_trailer(f, recs, count, why)) == NULL ||
	    pc_parse_hints(f, hints, why) == -1)
		saved = errno == ENOMEM ? ENOMEM : EINVAL;
	else
		return 0;
	pc_file_free(f);
	errno = saved;
	return -1;
}

void
pc_file_free(struct pc_file *f)
{
	free(f->buf);
	free(f->recs);
	free(f->hints);
	memset(f, 0, sizeof(*f));
}

/* LOCK_NB retried for at most ms: nobody ever waits long for it. */
static int
pc_lock(int dirfd, int ms)
{
	struct timespec	 start, now, nap;
	long		 waited, step = 1;
	int		 fd;

	fd = maildir_openat(dirfd, PC_LOCK, O_RDWR | O_CREAT, 0600);
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
		nap.tv_sec = 0;
		nap.tv_nsec = step * 1000000;
		if (step < 16)
			step *= 2;
		(void)nanosleep(&nap, NULL);
	}
 fail:
	return maildir_close_failed(fd);
}

/* Unlock before close: on FUSE the close alone unlocks later. */
static void
pc_unlock(int fd)
{
	(void)flock(fd, LOCK_UN);
	close(fd);
}

/* Under popcache.lock: the hints mda appended since we read the file. */
static int
pc_carry_hints(struct popcache *pc, int tmpfd)
{
	struct stat	 st;
	char		*buf, *p, *nl, *line;
	struct pc_rec	 r;
	ssize_t		 got;
	size_t		 len, out = 0;
	int		 fd, rv = -1;

	if (!pc->havefile)
		return 0;
	fd = maildir_openst(pc->dirfd, PC_FILE, O_RDONLY, 0, &st);
	if (fd == -1)
		return errno == ENOENT || errno == EINVAL ? 0 : -1;
	if (st.st_dev != pc->dev ||
	    st.st_ino != pc->ino || st.st_size <= pc->size ||
	    st.st_size - pc->size > PC_MAXFILE) {
		close(fd);
		return 0;
	}
	len = st.st_size - pc->size;
	if ((buf = malloc(len + 1)) == NULL ||
	    (line = malloc(PC_RECMAX + 1)) == NULL) {
		free(buf);
		close(fd);
		return -1;
	}
	if ((got = pc_pread(fd, buf, len, pc->size)) == -1)
		goto done;
	buf[got] = '\0';
	/* A partial line before the first hint is skipped, as on load. */
	p = buf;
	if (pc->partial && (p = memchr(buf, '\n', got)) != NULL)
		p++;
	for (; p != NULL && (nl = memchr(p, '\n', buf + got - p)) != NULL;
	    p = nl + 1) {
		if ((size_t)(nl - p) > PC_RECMAX)
			continue;
		memcpy(line, p, nl - p + 1);
		if (pc_parse_rec(line, line + (nl - p), &r) == -1 ||
		    r.dir != D_NEW)
			continue;
		if (write_all(tmpfd, p, nl - p + 1) == -1)
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

static size_t
pc_check_msgs(struct popcache *pc, const struct popcache_msgs *pm,
    size_t n, size_t *count)
{
	struct popcache_rec	r;
	size_t			i, cap = 512;	/* header and trailer */

	count[D_NEW] = count[D_CUR] = 0;
	for (i = 0; i < n; i++) {
		pm->get(pm->arg, i, &r);
		if (!pc_rec_ok(r.name, r.uidl, r.size)) {
			log_warnx("popcache: %s: %s cannot be cached",
			    pc->path, r.name);
			errno = EINVAL;
			return 0;
		}
		count[r.name[0] == 'n' ? D_NEW : D_CUR]++;
		cap += PC_SIZEDIGITS + 3 + strlen(r.name) + strlen(r.uidl);
	}
	return cap;
}

/*
 * A directory's stamp only if pc's view of it is current and complete;
 * "-" makes the next open read it.  0: the file already says all that.
 */
static int
pc_stamps_to_record(struct popcache *pc, const size_t *count,
    struct popcache_stamp *rec)
{
	struct popcache_stamp	st;
	int			d, keep[D_N];

	for (d = 0; d < D_N; d++) {
		if (pc_stamp_dir(pc->dirfd, d, &st) == -1) {
			log_warn("popcache: %s/%s", pc->path, pc_dirs[d]);
			return -1;
		}
		keep[d] = pc->known && pc_stamp_eq(&pc->view[d], &st) &&
		    (!pc->counted || pc->count[d] == count[d]);
		rec[d] = keep[d] ? st : (struct popcache_stamp){ 0 };
	}
	if (pc->known && pc->clean && keep[D_NEW] && keep[D_CUR])
		return 0;
	return 1;
}

static char *
pc_format(const struct popcache_msgs *pm, size_t n,
    const struct popcache_stamp *rec, size_t cap, size_t *lenp)
{
	struct popcache_rec	 r;
	char			*buf, *p;
	size_t			 i;

	if ((buf = malloc(cap)) == NULL)
		return NULL;
	p = buf;
	p += sprintf(p, "popcache %d ", PC_VERSION);
	p = pc_stamp_fmt(p, &rec[D_NEW]);
	*p++ = ' ';
	p = pc_stamp_fmt(p, &rec[D_CUR]);
	*p++ = ' ';
	p = pc_putnum(p, n);
	*p++ = '\n';
	for (i = 0; i < n; i++) {
		pm->get(pm->arg, i, &r);
		p = pc_putrec(p, r.size, r.uidl, r.name);
	}
	p += sprintf(p, "end %zu %016llx\n", n,
	    (unsigned long long)pc_hash(buf, p - buf, 0));
	*lenp = p - buf;
	return buf;
}

static int
pc_replace(struct popcache *pc, const char *buf, size_t len,
    struct stat *sb, int *carried)
{
	int	fd, lockfd = -1, saved;

	fd = maildir_openat(pc->dirfd, PC_TMP, O_WRONLY | O_CREAT | O_TRUNC,
	    0600);
	if (fd == -1)
		return -1;
	if (write_all(fd, buf, len) == -1 || fsync(fd) == -1)
		goto fail;

	/* The lock only covers the rename and the hints that came since. */
	if ((lockfd = pc_lock(pc->dirfd, PC_LOCKWAIT)) == -1)
		goto fail;
	if ((*carried = pc_carry_hints(pc, fd)) == -1 ||
	    (*carried > 0 && fsync(fd) == -1))
		goto fail;
	if (fstat(fd, sb) == -1)
		goto fail;
	if (renameat(pc->dirfd, PC_TMP, pc->dirfd, PC_FILE) == -1)
		goto fail;
	pc_unlock(lockfd);
	close(fd);
	/* A failed fsync of the rename only costs a rebuild. */
	if (fsync(pc->dirfd) == -1)
		log_warn("popcache: %s: fsync", pc->path);
	return 0;
 fail:
	saved = errno;
	close(fd);
	(void)unlinkat(pc->dirfd, PC_TMP, 0);
	if (lockfd != -1)
		pc_unlock(lockfd);
	errno = saved;
	return -1;
}

int
popcache_write(struct popcache *pc, const struct popcache_msgs *pm)
{
	struct popcache_stamp	 rec[D_N];
	struct stat		 sb;
	size_t			 n, len, cap, count[D_N];
	char			*buf;
	int			 r, carried = 0, saved;

	n = pm->count(pm->arg);
	if ((cap = pc_check_msgs(pc, pm, n, count)) == 0)
		return -1;
	if ((r = pc_stamps_to_record(pc, count, rec)) <= 0)
		return r;
	if ((buf = pc_format(pm, n, rec, cap, &len)) == NULL)
		return -1;
	r = pc_replace(pc, buf, len, &sb, &carried);
	saved = errno;
	free(buf);
	errno = saved;
	if (r == -1)
		return -1;

	pc->known = 1;
	memcpy(pc->view, rec, sizeof(pc->view));
	memcpy(pc->count, count, sizeof(pc->count));
	pc->counted = 1;
	pc->clean = carried == 0;
	pc->havefile = 1;
	pc->partial = 0;
	pc->dev = sb.st_dev;
	pc->ino = sb.st_ino;
	pc->size = sb.st_size;
	log_debug("popcache: %s: wrote %zu messages (new/ %s, cur/ %s)",
	    pc->path, n, rec[D_NEW].valid ? "stamped" : "unknown",
	    rec[D_CUR].valid ? "stamped" : "unknown");
	return 0;
}

/* Two stats spare a session that changed nothing a pass over every record. */
int
popcache_current(struct popcache *pc)
{
	struct popcache_stamp	st;
	int			d;

	if (!pc->known || !pc->clean)
		return 0;
	for (d = 0; d < D_N; d++)
		if (pc_stamp_dir(pc->dirfd, d, &st) == -1 ||
		    !pc_stamp_eq(&pc->view[d], &st))
			return 0;
	return 1;
}

/* Best effort and bounded by PC_LOCKWAIT; no popcache: nothing to do. */
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
	/* O_RDWR: the pread of the last byte needs read access. */
	fd = maildir_openst(dirfd, PC_FILE, O_RDWR | O_APPEND, 0, &st);
	if (fd == -1) {
		saved = errno;
		pc_unlock(lockfd);
		if (saved == ENOENT)
			return 0;
		errno = saved;
		return -1;
	}
	/* A partial line left by a full disk must not swallow ours. */
	c = '\n';
	if (st.st_size > 0 && pread(fd, &c, 1, st.st_size - 1) != 1)
		c = 0;
	if (c == '\n') {
		if (write_all(fd, line + 1, p - line - 1) == -1)
			goto fail;
	} else if (write_all(fd, line, p - line) == -1)
		goto fail;
	close(fd);
	pc_unlock(lockfd);
	return 0;
 fail:
	saved = errno;
	/* Take back a partial record (disk full), or the next open rebuilds. */
	if (ftruncate(fd, st.st_size) == -1) {
	}
	close(fd);
	pc_unlock(lockfd);
	errno = saved;
	return -1;
}
