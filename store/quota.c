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
 * quota.c -- Maildir++ "maildirsize" (quota.h).  Lines are appended by
 * one write(2), far below PIPE_BUF, so they never mix and nothing is
 * locked; a recalculation renames a whole file in.  Trash and folders
 * count, as in Dovecot's default (Courier needs --with-trashquota).
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "maildir.h"
#include "quota.h"

struct scan {
	int		count;		/* read the messages, not only stat */
	int		dirfd;		/* new/ or cur/ being read */
	int64_t		bytes, msgs;
	uint64_t	stamp;		/* sum over the directories' stamps */
};

/*
 * The count last read or appended to, reread only when fstatat(2) sees
 * another inode, size or mtime: a rewrite in place to the same size in
 * the same timestamp tick is missed until the next line.
 */
static struct {
	int			valid;
	dev_t			dev;
	ino_t			ino;
	off_t			size;
	struct timespec		mtim;
	struct quota_limit	def;
	struct quota_use	use;
	int			lines;
} last;

static int	say(char *, size_t, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));

static int
say(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	if (msg != NULL && msglen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	errno = saved;
	return -1;
}

/*
 * A shared filesystem may say ESTALE just after another host renamed a
 * new file in, until its caches see it (about 1 s with GlusterFS).
 */
static int
quota_open(int dirfd, int flags)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	int		 fd, tries = 0;

	while ((fd = maildir_openat(dirfd, QUOTA_FILE, flags, 0)) == -1 &&
	    errno == ESTALE && tries++ < 7) {
		(void)nanosleep(&ts, NULL);
		ts.tv_nsec *= 2;
	}
	return fd;
}

/* A short write fails (EIO): a second write could follow another's line. */
static int
write_close(int fd, const char *buf, int len)
{
	ssize_t	n;

	if ((n = write(fd, buf, len)) != len) {
		if (n >= 0)
			errno = EIO;
		return maildir_close_failed(fd);
	}
	return close(fd);
}

int
quota_def_parse(const char *s, size_t len, struct quota_limit *lim)
{
	const char	*p = s, *end = s + len;
	uint64_t	 v, bytes = 0, msgs = 0;
	unsigned int	 d;

	while (p < end) {
		if (p > s && *p++ != ',')
			return -1;
		for (v = 0, d = 0; p < end && *p >= '0' && *p <= '9'; p++) {
			if (v > (UINT64_MAX - (*p - '0')) / 10)
				return -1;
			v = v * 10 + (*p - '0');
			d++;
		}
		if (d == 0 || p == end ||
		    !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
			return -1;
		if (*p == 'S')
			bytes = v;
		else if (*p == 'C')
			msgs = v;
		p++;
	}
	lim->bytes = bytes;
	lim->msgs = msgs;
	return 0;
}

int
quota_def_format(const struct quota_limit *lim, char *buf, size_t len)
{
	unsigned long long	b = lim->bytes, c = lim->msgs;
	int			n;

	/* Dovecot's form: "0S" rather than an empty line for no limit. */
	if (c == 0)
		n = snprintf(buf, len, "%lluS", b);
	else if (b == 0)
		n = snprintf(buf, len, "%lluC", c);
	else
		n = snprintf(buf, len, "%lluS,%lluC", b, c);
	if (n < 0 || (size_t)n >= len) {
		errno = ERANGE;
		return -1;
	}
	return n;
}

int
quota_file_limit(int dirfd, struct quota_limit *lim)
{
	char	buf[QUOTA_DEFMAX + 2];
	ssize_t	n;
	char	*nl;
	int	fd;

	memset(lim, 0, sizeof(*lim));
	if ((fd = quota_open(dirfd, O_RDONLY)) == -1)
		return errno == ENOENT || errno == EINVAL || errno == ELOOP ?
		    0 : -1;
	while ((n = read(fd, buf, sizeof(buf) - 1)) == -1 && errno == EINTR)
		continue;
	if (n == -1)
		return maildir_close_failed(fd);
	close(fd);
	buf[n] = '\0';
	if ((nl = strchr(buf, '\n')) == NULL ||
	    quota_def_parse(buf, nl - buf, lim) == -1) {
		memset(lim, 0, sizeof(*lim));
		return 0;
	}
	return lim->bytes != 0 || lim->msgs != 0;
}

static int
parse_num(const char **pp, const char *end, int64_t *v)
{
	const char	*p = *pp;
	int64_t		 n = 0;
	int		 neg = 0;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p == end || *p < '0' || *p > '9')
		return -1;
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(n, 10, &n) ||
		    __builtin_add_overflow(n, neg ? -(*p - '0') : *p - '0',
		    &n))
			return -1;
	*pp = p;
	*v = n;
	return 0;
}

#define BLANK(c)	((c) == ' ' || (c) == '\t' || (c) == '\r' || \
			    (c) == '\v' || (c) == '\f')

static int
parse_pair(const char *p, const char *end, int64_t *a, int64_t *b)
{
	while (p < end && BLANK(*p))
		p++;
	if (parse_num(&p, end, a) == -1 || p == end || !BLANK(*p))
		return -1;
	while (p < end && BLANK(*p))
		p++;
	if (parse_num(&p, end, b) == -1)
		return -1;
	while (p < end && BLANK(*p))
		p++;
	return p == end ? 0 : -1;
}

int
quota_parse(const char *buf, size_t len, struct quota_limit *def,
    struct quota_use *use, char *err, size_t errlen)
{
	const char	*p, *end = buf + len, *nl;
	int64_t		 b, m, sb = 0, sm = 0;
	int		 line = 1;

	if ((nl = memchr(buf, '\n', len)) == NULL)
		return say(err, errlen, "line 1: %s", len == 0 ? "empty file" :
		    "no newline at the end");
	if (quota_def_parse(buf, nl - buf, def) == -1)
		return say(err, errlen, "line 1: not a quota definition");
	for (p = nl + 1; p < end; p = nl + 1) {
		if (line == INT_MAX)
			return say(err, errlen, "too many lines");
		line++;
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			return say(err, errlen,
			    "line %d: no newline at the end", line);
		if (parse_pair(p, nl, &b, &m) == -1)
			return say(err, errlen, "line %d: not two integers",
			    line);
		if (__builtin_add_overflow(sb, b, &sb) ||
		    __builtin_add_overflow(sm, m, &sm))
			return say(err, errlen, "line %d: total out of range",
			    line);
	}
	if (line == 1)
		return say(err, errlen, "line 2: missing, no usage line");
	if (sb < 0 || sm < 0)
		return say(err, errlen, "negative total (%lld bytes, "
		    "%lld messages)", (long long)sb, (long long)sm);
	use->bytes = sb;
	use->msgs = sm;
	return line - 1;
}

int
quota_read(int dirfd, const struct quota_limit *want, struct quota_use *use,
    char *msg, size_t msglen)
{
	struct quota_limit	 def;
	struct stat		 st;
	char			 buf[QUOTA_FILEMAX], err[64];
	char			 d1[QUOTA_DEFMAX], d2[QUOTA_DEFMAX];
	size_t			 len;
	ssize_t			 n;
	int			 fd, lines, how, tries = 0;

	/* last's count, unless our own appends grew it past the size rule. */
	if (last.valid && last.def.bytes == want->bytes &&
	    last.def.msgs == want->msgs &&
	    fstatat(dirfd, QUOTA_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && st.st_dev == last.dev &&
	    st.st_ino == last.ino && st.st_size == last.size &&
	    st.st_mtim.tv_sec == last.mtim.tv_sec &&
	    st.st_mtim.tv_nsec == last.mtim.tv_nsec &&
	    st.st_size < QUOTA_FILEMAX) {
		*use = last.use;
		lines = last.lines;
		goto check;
	}
	last.valid = 0;
 again:
	len = 0;
	n = 0;
	if ((fd = quota_open(dirfd, O_RDONLY)) == -1) {
		if (errno == ENOENT) {
			how = QUOTA_MISSING;
			(void)say(msg, msglen, QUOTA_FILE ": missing");
		} else if (errno == EINVAL || errno == ELOOP) {
			how = QUOTA_DAMAGED;
			(void)say(msg, msglen, QUOTA_FILE
			    ": not a regular file");
		} else
			return say(msg, msglen, QUOTA_FILE ": open");
		goto recalc;
	}
	while (len < sizeof(buf)) {
		if ((n = read(fd, buf + len, sizeof(buf) - len)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0)
			break;
		len += n;
	}
	if (n == -1 || fstat(fd, &st) == -1) {
		/* Replaced by another host's writer (ENOENT or ESTALE). */
		if ((errno == ENOENT || errno == ESTALE) && tries++ < 3) {
			close(fd);
			goto again;
		}
		(void)maildir_close_failed(fd);
		return say(msg, msglen, QUOTA_FILE ": read");
	}
	close(fd);
	if (len == sizeof(buf)) {
		how = QUOTA_SIZERULE;
		(void)say(msg, msglen, QUOTA_FILE ": %d bytes or more",
		    QUOTA_FILEMAX);
		goto recalc;
	}
	if ((lines = quota_parse(buf, len, &def, use, err, sizeof(err))) ==
	    -1) {
		how = QUOTA_DAMAGED;
		(void)say(msg, msglen, QUOTA_FILE " %s", err);
		goto recalc;
	}
	if (def.bytes != want->bytes || def.msgs != want->msgs) {
		how = QUOTA_REDEFINED;
		(void)quota_def_format(&def, d1, sizeof(d1));
		(void)quota_def_format(want, d2, sizeof(d2));
		(void)say(msg, msglen, QUOTA_FILE ": definition %s, not %s",
		    d1, d2);
		goto recalc;
	}
	last.dev = st.st_dev;
	last.ino = st.st_ino;
	last.size = st.st_size;
	last.mtim = st.st_mtim;
	last.def = def;
	last.use = *use;
	last.lines = lines;
	last.valid = 1;
 check:
	/*
	 * README.maildirquota: over quota holds only in a fresh file of one
	 * line, which a recalculation wrote.
	 */
	if (quota_over(want, use) && (lines > 1 ||
	    time(NULL) - st.st_mtime >= QUOTA_STALE)) {
		how = QUOTA_OVERSTALE;
		(void)say(msg, msglen, QUOTA_FILE ": over quota by %s",
		    lines > 1 ? "several lines" : "an old count");
		goto recalc;
	}
	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	return QUOTA_READ;

 recalc:
	if (quota_recalc(dirfd, want, use, msg, msglen) == -1)
		return -1;
	return how;
}

static int
count_msg(void *arg, const char *name)
{
	struct scan	*sc = arg;
	off_t		 size;

	if ((size = maildir_quotasize(sc->dirfd, name, name)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (__builtin_add_overflow(sc->bytes, size, &sc->bytes))
		sc->bytes = INT64_MAX;
	sc->msgs++;
	return 0;
}

/* Stamped before it is read (README.maildirquota): a change shows. */
static int
scan_sub(int fd, const char *sub, struct scan *sc)
{
	struct stat	st;
	uint64_t	v[5];
	int		rv = 0;

	if ((sc->dirfd = openat(fd, sub, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ?
		    0 : -1;
	if (fstat(sc->dirfd, &st) == -1)
		rv = -1;
	else {
	/* Summed: the order folders are listed in does not matter. */
		v[0] = st.st_ino;
		v[1] = st.st_mtim.tv_sec;
		v[2] = st.st_mtim.tv_nsec;
		v[3] = st.st_ctim.tv_sec;
		v[4] = st.st_ctim.tv_nsec;
		sc->stamp += maildir_fnv(maildir_fnv(MAILDIR_FNV_BASIS, sub,
		    strlen(sub)), v, sizeof(v));
		if (sc->count)
			rv = maildir_readdir(sc->dirfd, ".", count_msg, sc);
	}
	if (rv == -1)
		(void)maildir_close_failed(sc->dirfd);
	else
		close(sc->dirfd);
	sc->dirfd = -1;
	return rv;
}

static int
scan_maildir(int dirfd, struct scan *sc)
{
	DIR		*dp;
	struct dirent	*de;
	int		 fd, rv = 0, saved;

	if (scan_sub(dirfd, "new", sc) == -1 ||
	    scan_sub(dirfd, "cur", sc) == -1)
		return -1;
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return -1;
	if ((dp = fdopendir(fd)) == NULL)
		return maildir_close_failed(fd);
	while (rv == 0) {
		errno = 0;
		if ((de = readdir(dp)) == NULL) {
			rv = errno != 0 ? -1 : 1;	/* 1: the end */
			break;
		}
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if ((fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1) {
			if (errno != ENOENT && errno != ENOTDIR &&
			    errno != ELOOP)
				rv = -1;
			continue;
		}
		if (scan_sub(fd, "new", sc) == -1 ||
		    scan_sub(fd, "cur", sc) == -1)
			rv = maildir_close_failed(fd);
		else
			close(fd);
	}
	saved = errno;
	closedir(dp);
	errno = saved;
	return rv == -1 ? -1 : 0;
}

/* Not fsync'd: a file lost in a crash is missing or damaged, recalculated. */
static int
write_file(int dirfd, const struct quota_limit *lim, const struct scan *sc,
    char *msg, size_t msglen)
{
	struct timeval	tv;
	char		buf[QUOTA_DEFMAX + 48], tmp[80];
	int		fd, n, len, tries = 0, saved;

	if ((n = quota_def_format(lim, buf, sizeof(buf))) == -1)
		return say(msg, msglen, QUOTA_FILE ": definition");
	len = snprintf(buf + n, sizeof(buf) - n, "\n%lld %lld\n",
	    (long long)sc->bytes, (long long)sc->msgs);
	if (len < 0 || (size_t)len >= sizeof(buf) - n) {
		errno = ERANGE;
		return say(msg, msglen, QUOTA_FILE ": format");
	}
	len += n;
	do {
		(void)gettimeofday(&tv, NULL);
		(void)snprintf(tmp, sizeof(tmp), "tmp/%lld.M%06ldP%ldR%08x."
		    QUOTA_FILE, (long long)tv.tv_sec, (long)tv.tv_usec,
		    (long)getpid(), arc4random());
		fd = maildir_openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL,
		    0600);
	} while (fd == -1 && errno == EEXIST && ++tries < 10);
	if (fd == -1)
		return say(msg, msglen, "%s: create", tmp);
	if (write_close(fd, buf, len) == -1) {
		(void)say(msg, msglen, "%s: write", tmp);
		goto fail;
	}
	if (renameat(dirfd, tmp, dirfd, QUOTA_FILE) == -1) {
		(void)say(msg, msglen, "%s: rename to " QUOTA_FILE, tmp);
		goto fail;
	}
	return 0;

 fail:
	saved = errno;
	(void)unlinkat(dirfd, tmp, 0);
	errno = saved;
	return -1;
}

int
quota_recalc(int dirfd, const struct quota_limit *lim, struct quota_use *use,
    char *msg, size_t msglen)
{
	struct scan	sc, again;
	int		try;

	last.valid = 0;		/* a new file, read again when asked */
	for (try = 1;; try++) {
		memset(&sc, 0, sizeof(sc));
		sc.count = 1;
		if (scan_maildir(dirfd, &sc) == -1)
			return say(msg, msglen, "counting the maildir");
		if (write_file(dirfd, lim, &sc, msg, msglen) == -1)
			return -1;
		/*
		 * A directory that changed while read may be miscounted, and a
		 * line appended meanwhile to the old file is lost: count again.
		 */
		memset(&again, 0, sizeof(again));
		if (try == QUOTA_TRIES || (scan_maildir(dirfd, &again) == 0 &&
		    again.stamp == sc.stamp))
			break;
	}
	use->bytes = sc.bytes;
	use->msgs = sc.msgs;
	return 0;
}

int
quota_add(int dirfd, const struct quota_limit *lim, int64_t bytes,
    int64_t msgs, char *msg, size_t msglen)
{
	struct quota_use	use, sum;
	struct stat		st;
	char			line[48];
	ssize_t			n;
	int			fd, len;

	if (bytes == 0 && msgs == 0)
		return 0;
	if ((fd = quota_open(dirfd, O_WRONLY | O_APPEND)) == -1) {
		/* A FIFO without a reader fails ENXIO (O_NONBLOCK). */
		if (errno == ENOENT || errno == EINVAL || errno == ELOOP ||
		    errno == ENXIO)
			return lim == NULL ? 0 :
			    quota_recalc(dirfd, lim, &use, msg, msglen);
		return say(msg, msglen, QUOTA_FILE ": open");
	}
	len = snprintf(line, sizeof(line), "%lld %lld\n", (long long)bytes,
	    (long long)msgs);
	if ((n = write(fd, line, len)) != len) {
		if (n >= 0)
			errno = EIO;
		last.valid = 0;
		(void)maildir_close_failed(fd);
		return say(msg, msglen, QUOTA_FILE ": append");
	}
	/* A total past int64_t or negative is damage: reread, recalculated. */
	if (last.valid && fstat(fd, &st) == 0 && st.st_dev == last.dev &&
	    st.st_ino == last.ino && st.st_size == last.size + len &&
	    !__builtin_add_overflow(last.use.bytes, bytes, &sum.bytes) &&
	    !__builtin_add_overflow(last.use.msgs, msgs, &sum.msgs) &&
	    sum.bytes >= 0 && sum.msgs >= 0 && last.lines < INT_MAX) {
		last.size = st.st_size;
		last.mtim = st.st_mtim;
		last.use = sum;
		last.lines++;
	} else
		last.valid = 0;
	if (close(fd) == -1) {
		last.valid = 0;
		return say(msg, msglen, QUOTA_FILE ": append");
	}
	return 0;
}
