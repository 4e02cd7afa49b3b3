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
 * oldids.c -- the UIDLs Dovecot or Courier gave a maildir's messages, so
 * clients do not download everything again after a migration.  A UIDL
 * must never change: the first full scan takes them from the other
 * server's file into popd.migrated before any is served, and from then
 * on only that record counts; one that does not check is refused.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"
#include "oldids.h"

#define FILE_MAX		(512 * 1024 * 1024) /* others' files */
#define LINE_BUF		(64 * 1024)	/* the longest line, + 1 */
#define RECORD_TMP		OLDIDS_RECORD ".tmp"
#define RECORD_VERSION		2
#define RECORD_LINE		(UIDL_MAX + 1 + NAME_MAX + 1)
#define COURIER			100	/* + the version of its header */

static const char *const lists[] = {
	"dovecot-uidlist",
	"courierpop3dsizelist",
};

struct oldent {
	size_t		 name;		/* in pool */
	size_t		 namelen;
	size_t		 uidl;		/* in pool; 0: none */
	off_t		 vsize;		/* Dovecot's W: CRLF size, or -1 */
	int		 dup;		/* another message has this UIDL */
};

struct oldids {
	const char	*source;	/* the UIDLs' file, or NULL */
	char		*pool;		/* names and UIDLs, each with a NUL */
	size_t		 poollen, poolsize;
	struct oldent	*v;
	size_t		 n, nalloc;
	size_t		*tab;		/* index + 1 by name */
	size_t		 mask;
};

struct lines {
	int		 fd;
	char		*buf;		/* LINE_BUF bytes */
	size_t		 off, len;	/* buf[off..len) is unread */
	size_t		 no;		/* the line's number */
	int		 eof;
	int		 partial;	/* a last line without a newline */
};

struct rec {
	unsigned long	 uid;
	unsigned long	 uidv;		/* Courier's own, per record */
	const char	*name;		/* up to the end of the line */
	size_t		 namelen;	/* up to ':' */
	const char	*pop3;		/* Dovecot's P: the UIDL it gave */
	const char	*guid;		/* Dovecot's G: the first name */
	off_t		 vsize;
};

/* popd.migrated version 1: the takeover's limit. */
struct limit {
	const char	*list;
	unsigned long	 uidv, next;
};

static ssize_t
pool_add(struct oldids *o, const char *s, size_t len)
{
	size_t	 size, off = o->poollen;
	char	*p;

	if (o->poolsize - o->poollen < len + 1) {
		for (size = o->poolsize == 0 ? 4096 : o->poolsize;
		    size - o->poollen < len + 1; size *= 2)
			;
		if ((p = realloc(o->pool, size)) == NULL)
			return -1;
		o->pool = p;
		o->poolsize = size;
	}
	memcpy(o->pool + off, s, len);
	o->pool[off + len] = '\0';
	o->poollen += len + 1;
	return off;
}

static size_t
find(const struct oldids *o, const char *name, size_t len)
{
	const struct oldent	*e;
	size_t			 k;

	k = maildir_fnv(MAILDIR_FNV_BASIS, name, len) & o->mask;
	for (; o->tab[k] != 0; k = (k + 1) & o->mask) {
		e = &o->v[o->tab[k] - 1];
		if (e->namelen == len && memcmp(o->pool + e->name, name,
		    len) == 0)
			break;
	}
	return k;
}

/* A name wanted twice (a copy in new/ and cur/) is one message. */
static int
index_build(struct oldids *o)
{
	size_t	i, k;

	if (o->tab != NULL)
		return 0;
	for (o->mask = 63; o->mask < o->n * 2; o->mask = o->mask * 2 + 1)
		;
	if ((o->tab = calloc(o->mask + 1, sizeof(*o->tab))) == NULL)
		return -1;
	for (i = 0; i < o->n; i++) {
		k = find(o, o->pool + o->v[i].name, o->v[i].namelen);
		if (o->tab[k] == 0)
			o->tab[k] = i + 1;
	}
	return 0;
}

static struct oldent *
lookup(const struct oldids *o, const char *name, size_t len)
{
	size_t	k;

	if (o->tab == NULL)
		return NULL;	/* no records looked at */
	k = find(o, name, len);
	return o->tab[k] == 0 ? NULL : &o->v[o->tab[k] - 1];
}

/* A UIDL that two messages got is neither's. */
static size_t
mark_dups(struct oldids *o)
{
	const char	*u;
	size_t		*t, i, j, mask, dup = 0;

	for (mask = 63; mask < o->n * 2; mask = mask * 2 + 1)
		;
	if ((t = calloc(mask + 1, sizeof(*t))) == NULL)
		return (size_t)-1;
	for (i = 0; i < o->n; i++) {
		if (o->v[i].uidl == 0)
			continue;
		u = o->pool + o->v[i].uidl;
		j = maildir_fnv(MAILDIR_FNV_BASIS, u, strlen(u)) & mask;
		for (; t[j] != 0; j = (j + 1) & mask)
			if (strcmp(o->pool + o->v[t[j] - 1].uidl, u) == 0)
				break;
		if (t[j] == 0) {
			t[j] = i + 1;
			continue;
		}
		dup += o->v[t[j] - 1].dup ? 1 : 2;
		o->v[t[j] - 1].dup = o->v[i].dup = 1;
	}
	free(t);
	return dup;
}

static void
forget(struct oldids *o)
{
	size_t	i;

	o->source = NULL;
	for (i = 0; i < o->n; i++) {
		o->v[i].uidl = 0;
		o->v[i].vsize = -1;
		o->v[i].dup = 0;
	}
}

/* ENOENT: no such file, EFBIG: too big; other errors are logged. */
static int
lines_open(struct lines *lr, int dirfd, const char *path, const char *name)
{
	struct stat	st;
	int		saved;

	memset(lr, 0, sizeof(*lr));
	if ((lr->fd = maildir_openat(dirfd, name, O_RDONLY, 0)) == -1) {
		if (errno != ENOENT)
			log_warn("%s/%s", path, name);
		return -1;
	}
	if (fstat(lr->fd, &st) == -1 || (lr->buf = malloc(LINE_BUF)) ==
	    NULL) {
		saved = errno;
		log_warn("%s/%s", path, name);
	} else if (st.st_size > FILE_MAX)
		saved = EFBIG;
	else
		return 0;
	free(lr->buf);
	close(lr->fd);
	errno = saved;
	return -1;
}

/*
 * A last line without a newline is not a line (lr->partial); a line too
 * long or holding a NUL comes as *line NULL.
 */
static int
lines_next(struct lines *lr, char **line, size_t *len)
{
	char	*nl;
	ssize_t	 r;
	int	 skip = 0;

	for (;;) {
		nl = memchr(lr->buf + lr->off, '\n', lr->len - lr->off);
		if (nl != NULL) {
			*nl = '\0';
			*line = lr->buf + lr->off;
			*len = nl - *line;
			lr->off = nl + 1 - lr->buf;
			lr->no++;
			if (skip || memchr(*line, '\0', *len) != NULL)
				*line = NULL;
			return 1;
		}
		if (lr->eof) {
			lr->partial = skip || lr->off < lr->len;
			return 0;
		}
		memmove(lr->buf, lr->buf + lr->off, lr->len - lr->off);
		lr->len -= lr->off;
		lr->off = 0;
		if (lr->len == LINE_BUF) {
			skip = 1;	/* too long: drop it */
			lr->len = 0;
		}
		r = read(lr->fd, lr->buf + lr->len, LINE_BUF - lr->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			lr->eof = 1;
		lr->len += r;
	}
}

static void
lines_close(struct lines *lr)
{
	free(lr->buf);
	close(lr->fd);
}

static int
number(const char *s, unsigned long long max, unsigned long long *v)
{
	size_t	len = strspn(s, "0123456789");

	if (len == 0 || len > 19 || s[len] != '\0' || (s[0] == '0' &&
	    len > 1))
		return -1;
	*v = strtoull(s, NULL, 10);
	return *v <= max ? 0 : -1;
}

static const char *
list_name(const char *s)
{
	size_t	i;

	for (i = 0; i < nitems(lists); i++)
		if (strcmp(s, lists[i]) == 0)
			return lists[i];
	return NULL;
}

/* 1 for version 1 ("<file> V<uidv> N<next>", in *lim). */
static int
record_header(struct oldids *o, const char *line, unsigned long long *count,
    struct limit *lim)
{
	char			 buf[RECORD_LINE + 1], *f[5], *p = buf;
	unsigned long long	 v, n;
	size_t			 i;

	if (strlcpy(buf, line, sizeof(buf)) >= sizeof(buf))
		return -1;
	for (i = 0; i < nitems(f); i++)
		f[i] = strsep(&p, " ");
	if (f[0] == NULL || f[1] == NULL || f[2] == NULL)
		return -1;
	if (strcmp(f[0], OLDIDS_RECORD) != 0) {
		if (f[3] != NULL || (lim->list = list_name(f[0])) == NULL ||
		    f[1][0] != 'V' || number(f[1] + 1, ULONG_MAX, &v) == -1 ||
		    f[2][0] != 'N' || number(f[2] + 1, ULONG_MAX, &n) == -1)
			return -1;
		lim->uidv = v;
		lim->next = n;
		return 1;
	}
	if (f[3] == NULL || f[4] != NULL || strcmp(f[1], "2") != 0 ||
	    (list_name(f[2]) == NULL && strcmp(f[2], "-") != 0) ||
	    number(f[3], LLONG_MAX, count) == -1)
		return -1;
	o->source = list_name(f[2]) != NULL ? OLDIDS_RECORD : NULL;
	return 0;
}

static int
record_line(struct oldids *o, const char *line, size_t len, const char **why)
{
	struct oldent	*e;
	const char	*sp, *name;
	ssize_t		 off;
	size_t		 ulen, nlen;

	if ((sp = memchr(line, ' ', len)) == NULL) {
		*why = "not \"<uidl> <name>\"";
		return 1;
	}
	ulen = sp - line;
	name = sp + 1;
	nlen = len - ulen - 1;
	if (!maildir_uidl_ok(line, ulen)) {
		*why = "not a UIDL";
		return 1;
	}
	if (nlen == 0 || nlen > NAME_MAX || name[0] == '.' ||
	    memchr(name, '/', nlen) != NULL ||
	    memchr(name, ':', nlen) != NULL) {
		*why = "not a unique name";
		return 1;
	}
	if ((e = lookup(o, name, nlen)) == NULL)
		return 0;	/* gone since */
	if (e->uidl != 0) {
		*why = "a message given twice";
		return 1;
	}
	if ((off = pool_add(o, line, ulen)) == -1)
		return -1;
	e->uidl = off;
	return 0;
}

/* 1 for version 1; -1 with EBADMSG if it does not check. */
static int
record_read(struct oldids *o, int fd, const char *path, struct limit *lim)
{
	struct lines		 lr;
	unsigned long long	 count = 0, nrec = 0;
	uint64_t		 sum = MAILDIR_FNV_BASIS;
	size_t			 len, dup;
	char			*line, tail[RECORD_LINE + 1];
	const char		*why = NULL;
	int			 r, saved;

	memset(&lr, 0, sizeof(lr));
	lr.fd = fd;
	if ((lr.buf = malloc(LINE_BUF)) == NULL)
		goto fail;
	while ((r = lines_next(&lr, &line, &len)) == 1) {
		if (line == NULL || len > RECORD_LINE) {
			why = "a line too long or with a NUL";
			break;
		}
		if (lr.no > 1 && nrec == count) {
			if (snprintf(tail, sizeof(tail), "end %llu %016llx",
			    count, (unsigned long long)sum) != (int)len ||
			    strcmp(line, tail) != 0)
				why = strncmp(line, tail, strcspn(tail + 4,
				    " ") + 5) == 0 ? "the checksum does not "
				    "match" : "not the end line";
			break;
		}
		sum = maildir_fnv(maildir_fnv(sum, line, len), "\n", 1);
		if (lr.no == 1) {
			if ((r = record_header(o, line, &count, lim)) == 1) {
				lines_close(&lr);
				return 1;
			}
			if (r == -1) {
				why = "not a header popd knows";
				break;
			}
			continue;
		}
		nrec++;
		if (index_build(o) == -1 ||
		    (r = record_line(o, line, len, &why)) == -1)
			goto fail;
		if (r == 1)
			break;
	}
	if (r == -1 && why == NULL)
		goto fail;
	if (why == NULL && r == 0)
		why = lr.no == 0 && !lr.partial ? "empty" : "cut short";
	else if (why == NULL && (lines_next(&lr, &line, &len) != 0 ||
	    lr.partial))
		why = "lines after the end";
	if (why == NULL && (dup = mark_dups(o)) != 0) {
		if (dup == (size_t)-1)
			goto fail;
		why = "one UIDL for two messages";
	}
	if (why != NULL) {
		log_warnx("%s/%s:%zu: %s: refused; no list is served without "
		    "it (see MIGRATION in popd(8))", path, OLDIDS_RECORD,
		    lr.no + (r == 0), why);
		forget(o);
		lines_close(&lr);
		errno = EBADMSG;
		return -1;
	}
	lines_close(&lr);
	return 0;
 fail:
	saved = errno;
	log_warn("%s/%s", path, OLDIDS_RECORD);
	lines_close(&lr);
	forget(o);
	errno = saved;
	return -1;
}

/* Atomically: temporary file, fsync, rename, fsync of the maildir. */
static int
record_write(struct oldids *o, int dirfd, const char *path)
{
	const struct oldent	*e;
	char			*buf, *p;
	size_t			 i, n = 0, size = 128;
	int			 fd = -1, r, saved;

	for (i = 0; i < o->n; i++) {
		e = &o->v[i];
		if (e->uidl != 0 && !e->dup) {
			n++;
			size += strlen(o->pool + e->uidl) + e->namelen + 2;
		}
	}
	if ((buf = malloc(size)) == NULL)
		goto fail;
	p = buf + snprintf(buf, size, "%s %d %s %zu\n", OLDIDS_RECORD,
	    RECORD_VERSION, o->source != NULL ? o->source : "-", n);
	for (i = 0; i < o->n; i++) {
		e = &o->v[i];
		if (e->uidl != 0 && !e->dup)
			p += snprintf(p, size - (p - buf), "%s %s\n",
			    o->pool + e->uidl, o->pool + e->name);
	}
	p += snprintf(p, size - (p - buf), "end %zu %016llx\n", n,
	    (unsigned long long)maildir_fnv(MAILDIR_FNV_BASIS, buf, p - buf));
		/* A file of that name is a write that died: do not reuse it. */
	if ((unlinkat(dirfd, RECORD_TMP, 0) == -1 && errno != ENOENT) ||
	    (fd = maildir_openat(dirfd, RECORD_TMP, O_WRONLY | O_CREAT |
	    O_EXCL, 0600)) == -1 || write_all(fd, buf, p - buf) == -1 ||
	    fsync(fd) == -1)
		goto fail;
	r = close(fd);
	fd = -1;
	if (r == -1 || renameat(dirfd, RECORD_TMP, dirfd,
	    OLDIDS_RECORD) == -1 || fsync(dirfd) == -1)
		goto fail;
	free(buf);
	return 0;
 fail:
	saved = errno;
	log_warn("%s/%s: not written", path, OLDIDS_RECORD);
	if (fd != -1)
		close(fd);
	(void)unlinkat(dirfd, RECORD_TMP, 0);
	free(buf);
	errno = saved;
	return -1;
}

/* Courier's header gives its version + COURIER. */
static int
header(char *line, unsigned long *uidv, unsigned long *next, int *version)
{
	char	*f, *end;
	long	 v;
	int	 i, courier;

	*uidv = *next = 0;
	if ((f = strsep(&line, " ")) == NULL)
		return -1;
	if ((courier = *f == '/'))
		f++;
	v = strtol(f, &end, 10);
	if (end == f || *end != '\0' || (courier ? v != 2 && v != 3 :
	    v != 1 && v != 3))
		return -1;
	*version = courier ? v + COURIER : v;
	for (i = 0; (f = strsep(&line, " ")) != NULL; i++) {
		if (courier && i < 2)
			*(i == 0 ? next : uidv) = strtoul(f, &end, 10);
		else if (*version == 1 && i < 2)
			*(i == 0 ? uidv : next) = strtoul(f, &end, 10);
		else if (*version == 3 && (*f == 'V' || *f == 'N'))
			*(*f == 'V' ? uidv : next) = strtoul(f + 1, &end, 10);
		else
			continue;
		if (*end != '\0')
			return -1;
	}
	return (*uidv == 0 && !courier) || *next == 0 ? -1 : 0;
}

static int
dovecot_rec(char *line, int version, struct rec *r)
{
	char	*end, *f;

	memset(r, 0, sizeof(*r));
	r->vsize = -1;
	r->uid = strtoul(line, &end, 10);
	if (end == line || *end != ' ' || r->uid == 0)
		return -1;
	line = end + 1;
	if (version == 1)
		r->name = line;
	else
		while ((f = strsep(&line, " ")) != NULL) {
			if (*f == ':') {
				r->name = f + 1;
				if (line != NULL)
					line[-1] = ' ';
				break;
			}
			if (*f == 'P')
				r->pop3 = f + 1;
			else if (*f == 'G')
				r->guid = f + 1;
			else if (*f == 'W' && f[1] >= '0' && f[1] <= '9' &&
			    strlen(f + 1) <= 15 && strspn(f + 1,
			    "0123456789") == strlen(f + 1))
				r->vsize = strtoll(f + 1, NULL, 10);
		}
	if (r->name == NULL || (r->namelen = strcspn(r->name, ":")) == 0)
		return -1;
	return 0;
}

/* Read from the right: a name may hold spaces. */
static int
courier_rec(char *line, struct rec *r)
{
	char	*ids, *size, *end;

	memset(r, 0, sizeof(*r));
	r->vsize = -1;		/* counts CRLF lines twice: not exact */
	if ((ids = strrchr(line, ' ')) == NULL)
		return -1;
	*ids++ = '\0';
	if ((size = strrchr(line, ' ')) == NULL || size == line)
		return -1;
	*size = '\0';
	r->uid = strtoul(ids, &end, 10);
	if (end == ids || *end != ':' || r->uid == 0)
		return -1;
	r->uidv = strtoul(end + 1, &end, 10);
	if (*end != '\0' && *end != ':')
		return -1;
	r->name = line;
	if ((r->namelen = strcspn(line, ":")) == 0)
		return -1;
	return 0;
}

static int
rec_uidl(const struct rec *r, int version, unsigned long uidv,
    const char *fmt, char *uidl)
{
	if (version > COURIER) {
		if (r->uidv == 0)
			(void)snprintf(uidl, UIDL_MAX + 1, "UID%lu", r->uid);
		else
			(void)snprintf(uidl, UIDL_MAX + 1, "UID%lu-%lu",
			    r->uid, r->uidv);
	} else if (r->pop3 != NULL && *r->pop3 == '\0') {
		if (r->namelen > UIDL_MAX)
			return -1;
		memcpy(uidl, r->name, r->namelen);
		uidl[r->namelen] = '\0';
	} else if (r->pop3 != NULL) {
		if (strlcpy(uidl, r->pop3, UIDL_MAX + 1) >= UIDL_MAX + 1)
			return -1;
	} else if (settings_uidl(fmt, r->uid, uidv, r->name, uidl,
	    UIDL_MAX + 1) == -1)
		return -1;
	return maildir_uidl_ok(uidl, strlen(uidl)) ? 0 : -1;
}

static int
list_read(struct oldids *o, struct lines *lr, const char *path,
    const char *list, const char *fmt, const struct limit *lim)
{
	struct oldent	*e;
	struct rec	 rec;
	unsigned long	 uidv, next;
	size_t		 len, taken = 0, bad = 0, dup;
	ssize_t		 off;
	char		*line, uidl[UIDL_MAX + 1];
	int		 r, version;

	if ((r = lines_next(lr, &line, &len)) == -1)
		return -1;
	if (r == 0 || line == NULL || header(line, &uidv, &next,
	    &version) == -1) {
		log_warnx("%s/%s:1: not in a format popd knows: popd's own "
		    "UIDLs", path, list);
		return 0;
	}
	if (lim != NULL && uidv != lim->uidv) {
		log_warnx("%s: %s has UIDVALIDITY %lu, not %lu as when popd "
		    "took it over: none of its UIDLs is used", path, list,
		    uidv, lim->uidv);
		return 0;
	}
	/*
	 * Dovecot appends records without rewriting its header: at the first
	 * takeover its N is no limit.  A record of version 1 had one.
	 */
	next = lim != NULL ? lim->next : ULONG_MAX;
	while ((r = lines_next(lr, &line, &len)) == 1) {
		if (line == NULL || (version > COURIER ?
		    courier_rec(line, &rec) : dovecot_rec(line, version,
		    &rec)) == -1) {
			bad++;
			continue;
		}
		if (rec.uid >= next || (e = lookup(o, rec.name,
		    rec.namelen)) == NULL || e->uidl != 0)
			continue;
		if (rec_uidl(&rec, version, uidv, fmt, uidl) == -1) {
			bad++;
			continue;
		}
		if ((off = pool_add(o, uidl, strlen(uidl))) == -1)
			return -1;
		e->uidl = off;
		e->vsize = rec.vsize;
		taken++;
	}
	if (r == -1 || (dup = mark_dups(o)) == (size_t)-1)
		return -1;
	o->source = taken > dup ? list : NULL;
	log_info("%s: %zu UIDLs taken from %s", path, taken - dup, list);
	if (bad + dup > 0)
		log_warnx("%s: %s: %zu records unusable (UIDL too long, not "
		    "printable or given twice, or a bad line): popd's own "
		    "UIDLs for those", path, list, bad + dup);
	return 0;
}

static int
takeover(struct oldids *o, int dirfd, const char *path, const char *fmt,
    int flags, const struct limit *lim)
{
	struct lines	 lr;
	size_t		 i;
	int		 r;

	for (i = 0; i < nitems(lists); i++) {
		if (lim != NULL && strcmp(lists[i], lim->list) != 0)
			continue;
		if (lines_open(&lr, dirfd, path, lists[i]) == 0)
			break;
		if (errno == EFBIG) {
			log_warnx("%s/%s: over %d bytes, not read: popd's own "
			    "UIDLs", path, lists[i], FILE_MAX);
			i = nitems(lists);
			break;
		}
		if (errno != ENOENT)
			return -1;	/* try again in the next session */
	}
	if (i < nitems(lists)) {
		r = index_build(o) == -1 ? -1 :
		    list_read(o, &lr, path, lists[i], fmt, lim);
		lines_close(&lr);
		if (r == -1) {
			log_warn("%s/%s", path, lists[i]);
			return -1;
		}
	}
	/*
	 * UIDLs taken over are served only once recorded.  A record of none
	 * that cannot be written costs nothing: popd's own UIDLs are served.
	 */
	if (flags & OLDIDS_DRYRUN)
		return 0;
	if (record_write(o, dirfd, path) == -1 && o->source != NULL)
		return -1;
	return 0;
}

struct oldids *
oldids_new(void)
{
	struct oldids	*o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	if (pool_add(o, "", 0) == -1) {
		oldids_free(o);
		return NULL;
	}
	return o;
}

/* Names are indexed only when a file has records to look up. */
int
oldids_want(struct oldids *o, const char *name)
{
	const char	*base = strrchr(name, '/');
	struct oldent	*e;
	ssize_t		 off;
	size_t		 len, n;

	base = base == NULL ? name : base + 1;
	if (o->tab != NULL) {
		errno = EINVAL;		/* after oldids_load */
		return -1;
	}
	if ((len = strcspn(base, ":")) == 0)
		return 0;
	if (o->n == o->nalloc) {
		n = o->nalloc == 0 ? 256 : o->nalloc * 2;
		if ((e = reallocarray(o->v, n, sizeof(*e))) == NULL)
			return -1;
		o->v = e;
		o->nalloc = n;
	}
	if ((off = pool_add(o, base, len)) == -1)
		return -1;
	e = &o->v[o->n];
	memset(e, 0, sizeof(*e));
	e->name = off;
	e->namelen = len;
	e->vsize = -1;
	o->n++;
	return 0;
}

/* -1 with EBADMSG: popd.migrated does not check, and nothing is served. */
int
oldids_load(struct oldids *o, int dirfd, const char *path, const char *fmt,
    int flags)
{
	struct limit	 lim;
	int		 fd, r;

	forget(o);
	if ((fd = maildir_openat(dirfd, OLDIDS_RECORD, O_RDONLY, 0)) != -1) {
		r = record_read(o, fd, path, &lim);
		if (r == 1 && (flags & OLDIDS_RECORDONLY))
			return 0;
		if (r == 1)	/* version 1: take over again, then record */
			return takeover(o, dirfd, path, fmt, flags, &lim);
		return r;
	}
	if (errno != ENOENT) {
		log_warn("%s/%s", path, OLDIDS_RECORD);
		return -1;
	}
	if (flags & OLDIDS_RECORDONLY)
		return 0;
	if (flags & OLDIDS_SERVED) {
		log_info("%s: no %s but a popcache: popd's own UIDLs",
		    path, OLDIDS_RECORD);
		if (!(flags & OLDIDS_DRYRUN))
			(void)record_write(o, dirfd, path);
		return 0;
	}
	return takeover(o, dirfd, path, fmt, flags, NULL);
}

const char *
oldids_get(const struct oldids *o, const char *name)
{
	const char		*base = strrchr(name, '/');
	const struct oldent	*e;

	if (o == NULL)
		return NULL;
	base = base == NULL ? name : base + 1;
	e = lookup(o, base, strcspn(base, ":"));
	return e == NULL || e->uidl == 0 || e->dup ? NULL : o->pool + e->uidl;
}

/* Dovecot's W, not checked here: see maildir_recsize(). */
off_t
oldids_size(const struct oldids *o, const char *name)
{
	const char		*base = strrchr(name, '/');
	const struct oldent	*e;

	if (o == NULL)
		return -1;
	base = base == NULL ? name : base + 1;
	e = lookup(o, base, strcspn(base, ":"));
	return e == NULL ? -1 : e->vsize;
}

const char *
oldids_source(const struct oldids *o)
{
	return o == NULL ? NULL : o->source;
}

void
oldids_free(struct oldids *o)
{
	if (o == NULL)
		return;
	free(o->pool);
	free(o->v);
	free(o->tab);
	free(o);
}

/*
 * Dovecot's IMAP MOVE and COPY give a message a new name but keep its
 * GUID, the unique name it had first: its UIDL is that name's.
 */
struct oldids *
oldids_moved(int dirfd, int rootfd, const char *path, const char *fmt)
{
	struct oldids	*o, *m = NULL;
	struct oldent	*e;
	struct lines	 lr;
	struct rec	 rec;
	unsigned long	 uidv, next;
	char		*line, uidl[UIDL_MAX + 1];
	const char	*u;
	size_t		 len, i, glen;
	ssize_t		 off;
	int		 r, version;

	if ((o = oldids_new()) == NULL)
		return NULL;
	if (lines_open(&lr, dirfd, path, "dovecot-uidlist") == -1)
		goto fail;
	if ((r = lines_next(&lr, &line, &len)) != 1 || line == NULL ||
	    header(line, &uidv, &next, &version) == -1 || version != 3)
		r = -1;
	while (r != -1 && (r = lines_next(&lr, &line, &len)) == 1) {
		if (line == NULL || dovecot_rec(line, 3, &rec) == -1 ||
		    rec.guid == NULL || (glen = strcspn(rec.guid, ":")) == 0 ||
		    (glen == rec.namelen && memcmp(rec.guid, rec.name,
		    glen) == 0))
			continue;
		/* A name with no base ("cur/:2,S") is none to want. */
		i = o->n;
		if (oldids_want(o, rec.name) == -1) {
			r = -1;
			break;
		}
		if (o->n == i)
			continue;
		if ((off = pool_add(o, rec.guid, glen)) == -1) {
			r = -1;
			break;
		}
		o->v[i].uidl = off;
	}
	lines_close(&lr);
	if (r == -1 || o->n == 0 || index_build(o) == -1 ||
	    (m = oldids_new()) == NULL)
		goto fail;
	for (i = 0; i < o->n; i++)
		if (oldids_want(m, o->pool + o->v[i].uidl) == -1)
			goto fail;
	if (oldids_load(m, rootfd, path, fmt, OLDIDS_RECORDONLY) == -1)
		goto fail;
	for (i = 0; i < o->n; i++) {
		e = &o->v[i];
		if ((u = oldids_get(m, o->pool + e->uidl)) == NULL) {
			if (maildir_uidl(o->pool + e->uidl, uidl,
			    sizeof(uidl)) == -1)
				goto fail;
			u = uidl;
		}
		if ((off = pool_add(o, u, strlen(u))) == -1)
			goto fail;
		e->uidl = off;
	}
	oldids_free(m);
	return o;
 fail:
	oldids_free(m);
	oldids_free(o);
	return NULL;
}
