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

/* maildir.c -- maildir naming and single files; no session state. */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir.h"
#include "crlf.h"

/*
 * Looked up before anything is made: a mkdir of an existing name costs
 * a round trip on a network filesystem (FUSE revalidates for O_EXCL).
 */
int
maildir_open(const char *path, struct stat *sb)
{
	static const char	*subs[MAILDIR_NSUBS] = { "tmp", "new", "cur" };
	struct stat		 st[MAILDIR_NSUBS];
	size_t			 i;
	int			 dfd;

	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT ||
		    (mkdir(path, 0700) == -1 && errno != EEXIST) ||
		    (dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
		    -1)
			return -1;
	}
	for (i = 0; i < MAILDIR_NSUBS; i++) {
		if (fstatat(dfd, subs[i], &st[i], 0) == 0)
			continue;
		if (errno != ENOENT || (mkdirat(dfd, subs[i], 0700) == -1 &&
		    errno != EEXIST) ||
		    fstatat(dfd, subs[i], &st[i], 0) == -1)
			return maildir_close_failed(dfd);
	}
	if (sb != NULL)
		memcpy(sb, st, sizeof(st));
	return dfd;
}

int
maildir_create(const char *path)
{
	int	dfd;

	if ((dfd = maildir_open(path, NULL)) == -1)
		return -1;
	close(dfd);
	return 0;
}

int
maildir_close_failed(int fd)
{
	int	saved = errno;

	close(fd);
	errno = saved;
	return -1;
}

int
maildir_fsyncat(int dirfd, const char *sub)
{
	int	fd;

	if ((fd = openat(dirfd, sub,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (fsync(fd) == -1)
		return maildir_close_failed(fd);
	close(fd);
	return 0;
}

/* Regular files that are not dotfiles; a cb's non-zero ends the walk. */
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
	if ((dp = fdopendir(dfd)) == NULL)
		return maildir_close_failed(dfd);
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

static const char *
base_name(const char *name)
{
	const char	*p;

	return (p = strrchr(name, '/')) != NULL ? p + 1 : name;
}

static size_t
numlen(const char **s)
{
	size_t	n = strspn(*s, "0123456789");

	while (n > 1 && **s == '0') {
		(*s)++;
		n--;
	}
	return n;
}

/*
 * By unique name, the leading seconds and the ".M<usec>" comparing as
 * numbers: wrkrpop(8) promises delivery order.
 */
int
maildir_namecmp(const char *a, const char *b)
{
	const char	*x = base_name(a), *y = base_name(b);
	const char	*ux, *uy;
	size_t		 dx, dy;

	dx = numlen(&x);
	dy = numlen(&y);
	if (dx > 0 && dy > 0 && dx != dy)
		return dx < dy ? -1 : 1;
	if (dx > 0 && dx == dy && memcmp(x, y, dx) == 0 &&
	    strncmp(x + dx, ".M", 2) == 0 && strncmp(y + dy, ".M", 2) == 0) {
		ux = x + dx + 2;
		uy = y + dy + 2;
		dx = numlen(&ux);
		dy = numlen(&uy);
		if (dx > 0 && dy > 0 && dx != dy)
			return dx < dy ? -1 : 1;
		if (dx > 0 && dy > 0 && memcmp(ux, uy, dx) != 0)
			return memcmp(ux, uy, dx) < 0 ? -1 : 1;
	}
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

/* RFC 1939 section 7: UIDL characters are 0x21 to 0x7e. */
size_t
maildir_uidl_span(const char *u, size_t max)
{
	const uint64_t	ones = 0x0101010101010101ULL, highs = ones * 0x80;
	uint64_t	w, bad;
	size_t		i = 0;

	/*
	 * A borrow or carry only runs upwards (little endian) from an octet
	 * that is bad itself: the lowest flagged octet is the first bad one.
	 */
	for (; i + 8 <= max; i += 8) {
		memcpy(&w, u + i, 8);
		w = le64toh(w);
		bad = (((w - ones * 0x21) & ~w) | (w + ones * 0x01) | w) &
		    highs;
		if (bad != 0)
			return i + __builtin_ctzll(bad) / 8;
	}
	for (; i < max; i++)
		if ((unsigned char)(u[i] - 0x21) > 0x7e - 0x21)
			break;
	return i;
}

int
maildir_uidl_ok(const char *u, size_t len)
{
	return len >= 1 && len <= UIDL_MAX && maildir_uidl_span(u, len) == len;
}

uint64_t
maildir_fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i;

	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

/* UIDLs derived from it are forever: never change this function. */
static void
uidl_hash(const char *s, size_t len, unsigned int salt, char *out,
    size_t outlen)
{
	static const char	 prefix[] = "popd-uidl:";
	uint64_t		 h1, h2;
	char			 sbuf[16];
	int			 n;

	h1 = maildir_fnv(MAILDIR_FNV_BASIS, s, len);
	h2 = maildir_fnv(maildir_fnv(MAILDIR_FNV_BASIS, prefix,
	    sizeof(prefix) - 1), s, len);
	if (salt > 0) {
		n = snprintf(sbuf, sizeof(sbuf), "#%u", salt);
		h1 = maildir_fnv(h1, sbuf, n);
		h2 = maildir_fnv(h2, sbuf, n);
	}
	(void)snprintf(out, outlen, "H%016llx%016llx", (unsigned long long)h1,
	    (unsigned long long)h2);
}

/* The unique name, else a hash of it; a move or flag change keeps either. */
int
maildir_uidl(const char *name, char *out, size_t outlen)
{
	const char	*base = base_name(name);
	size_t		 n = strcspn(base, ":");

	if (maildir_uidl_ok(base, n)) {
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

/* Without the flags, which other programs change.  outlen >= 34. */
void
maildir_uidl_alt(const char *name, unsigned int salt, char *out,
    size_t outlen)
{
	uidl_hash(name, strcspn(name, ":"), salt, out, outlen);
}

static off_t
name_field(const char *base, const char *end, char key)
{
	const char	*p, *q;
	off_t		 v;
	int		 digits;

	for (p = base; (p = memchr(p, ',', end - p)) != NULL; p++) {
		if (end - p < 4 || p[1] != key || p[2] != '=')
			continue;
		for (q = p + 3, v = 0, digits = 0; q < end && digits < 18 &&
		    *q >= '0' && *q <= '9'; q++, digits++)
			v = v * 10 + (*q - '0');
		if (digits > 0 && (q == end || *q == ','))
			return v;
	}
	return -1;
}

/* "<sec>.M<usec>P<pid>R<8 hex>." (deliver_uniqname), host part optional. */
static int
own_name(const char *base)
{
	const char	*p = base;
	int		 i;

#define DIGITS(p)	do { if (*(p) < '0' || *(p) > '9') return 0; \
			    while (*(p) >= '0' && *(p) <= '9') (p)++; } while (0)
	DIGITS(p);
	if (*p++ != '.' || *p++ != 'M')
		return 0;
	DIGITS(p);
	if (*p++ != 'P')
		return 0;
	DIGITS(p);
	if (*p++ != 'R')
		return 0;
#undef DIGITS
	for (i = 0; i < 8; i++, p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return *p == '.' || *p == ',' || *p == ':' || *p == '\0';
}

static off_t
name_w(const char *name)
{
	const char	*base = base_name(name), *end;
	off_t		 v;

	end = base + strcspn(base, ":");
	if ((v = name_field(base, end, 'W')) == -1)
		return -1;
	return maildir_size_fits(name, v) ? v : -1;
}

/*
 * Only popd's own names count a CRLF after an unterminated last line;
 * Dovecot's W= does not, and the file's last octet decides.
 */
off_t
maildir_namesize(const char *name)
{
	if (!own_name(base_name(name)))
		return -1;
	return name_w(name);
}

static off_t
maildir_rawsize(const char *name)
{
	const char	*base = base_name(name);

	return name_field(base, base + strcspn(base, ":"), 'S');
}

off_t
maildir_quotasize(int dirfd, const char *path, const char *name)
{
	struct stat	st;
	off_t		size;

	if ((size = maildir_rawsize(name)) != -1)
		return size;
	if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	return st.st_size;
}

/* Between n and 2n + 2: every LF doubled, a final CRLF added. */
int
maildir_size_fits(const char *name, off_t size)
{
	off_t	raw = maildir_rawsize(name);

	return size >= 0 &&
	    (raw == -1 || (size >= raw && size <= 2 * raw + 2));
}

int
maildir_msgsize(int dirfd, const char *name, off_t *size)
{
	off_t	v;

	if ((v = maildir_namesize(name)) != -1) {
		*size = v;
		return 0;
	}
	if ((v = name_w(name)) != -1 && maildir_recsize(dirfd, name, v,
	    size) == 0)
		return 0;
	return maildir_readsize(dirfd, name, size);
}

/* Believed only if w fits the file; costs an open and a one-octet read. */
int
maildir_recsize(int dirfd, const char *name, off_t w, off_t *size)
{
	struct stat	 st;
	char		 c = '\n';
	int		 fd, rv = -1;

	if (w < 0 || (fd = maildir_openat(dirfd, name, O_RDONLY, 0)) == -1)
		return -1;
	if (fstat(fd, &st) == 0 && w >= st.st_size && w <= 2 * st.st_size &&
	    (st.st_size == 0 || pread(fd, &c, 1, st.st_size - 1) == 1)) {
		*size = w + (c == '\n' ? 0 : 2);
		rv = 0;
	}
	close(fd);
	return rv;
}

int
maildir_readsize(int dirfd, const char *name, off_t *size)
{
	off_t	v;
	int	fd;

	if ((fd = maildir_openat(dirfd, name, O_RDONLY, 0)) == -1)
		return -1;
	if ((v = crlf_size(fd)) == -1)
		return maildir_close_failed(fd);
	close(fd);
	*size = v;
	return 0;
}

int
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
	if (strncmp(info, ":2,", 3) != 0)
		goto asis;
	for (i = 3; info[i] != '\0'; i++) {
		c = (unsigned char)info[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) ||
		    nf + 2 >= sizeof(flags))
			goto asis;
		if (c == 'S')
			seen = 1;
		flags[nf++] = c;
	}
	if (!seen)
		flags[nf++] = 'S';
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
 asis:
	if ((size_t)snprintf(out, outlen, "cur/%s", base) < outlen)
		return 0;
 toolong:
	errno = ENAMETOOLONG;
	return -1;
}

/*
 * Anyone with the mail user's rights may have replaced the file: never
 * follow a symlink, never block on a FIFO, refuse all but regular files.
 */
int
maildir_openat(int dirfd, const char *name, int flags, mode_t mode)
{
	struct stat	st;

	return maildir_openst(dirfd, name, flags, mode, &st);
}

int
maildir_openst(int dirfd, const char *name, int flags, mode_t mode,
    struct stat *st)
{
	int	fd, saved;

	if ((fd = openat(dirfd, name, flags | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC, mode)) == -1)
		return -1;
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		saved = S_ISREG(st->st_mode) ? errno : EINVAL;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}
