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

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Letters, digits and "._-+@", 1..POPD_MAXUSER, not starting with '-'. */
int
valid_username(const char *s)
{
	size_t	n;

	if ((n = strnlen(s, POPD_MAXUSER + 1)) == 0 || n > POPD_MAXUSER)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-+@") == n && s[0] != '-';
}

int
set_nonblock(int fd)
{
	int	flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ? -1 : 0;
}

/*
 * Only a regular file, opened without waiting (a FIFO would block the parent)
 * and checked on the name resolved once, so none can be swapped in.
 * "/dev/fd/N" is fd N: a chrooted authcheck reads tables so.
 */
int
open_regular(const char *path, const char **errstr)
{
	struct stat	 st;
	const char	*e;
	int		 fd, flags, n;

	if (strncmp(path, "/dev/fd/", 8) == 0) {
		n = strtonum(path + 8, 0, INT_MAX, &e);
		if (e != NULL) {
			*errstr = "not a descriptor";
			return -1;
		}
		if ((fd = fcntl(n, F_DUPFD_CLOEXEC, 0)) == -1 ||
		    lseek(fd, 0, SEEK_SET) == -1 || fstat(fd, &st) == -1)
			goto fail;
		if (!S_ISREG(st.st_mode)) {
			errno = EFTYPE;
			goto fail;
		}
	} else if ((fd = compat_open_regular(path, O_RDONLY)) == -1)
		goto fail;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		goto fail;
	return fd;
 fail:
	*errstr = errno == EFTYPE ? "not a regular file" : strerror(errno);
	if (fd != -1)
		close(fd);
	return -1;
}

/* size if it holds more than the caller's largest key, or -1. */
ssize_t
key_read(int fd, unsigned char *buf, size_t size)
{
	ssize_t	n;
	size_t	got = 0;

	while (got < size) {
		if ((n = read(fd, buf + got, size - got)) == -1 &&
		    errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

int
set_cloexec(int fd)
{
	int	flags;

	if ((flags = fcntl(fd, F_GETFD)) == -1)
		return -1;
	return fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1 ? -1 : 0;
}

/* No unprivileged role may run as uid 0 or gid 0. */
int
drop_privileges(const char *who, uid_t uid, gid_t gid)
{
	if (uid == 0 || gid == 0) {
		log_warnx("%s: refusing uid %u gid %u: root's ids", who,
		    (unsigned)uid, (unsigned)gid);
		return -1;
	}
	if (setgroups(1, &gid) == -1) {
		log_warn("%s: setgroups(%u)", who, (unsigned)gid);
		return -1;
	}
	if (setresgid(gid, gid, gid) == -1) {
		log_warn("%s: setresgid(%u)", who, (unsigned)gid);
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		log_warn("%s: setresuid(%u)", who, (unsigned)uid);
		return -1;
	}
	return ids_final(who, uid, gid);
}

/* OpenSSH's permanently_set_uid makes the same check. */
int
ids_final(const char *who, uid_t uid, gid_t gid)
{
	uid_t	ru, eu, su;
	gid_t	rg, eg, sg;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1) {
		log_warn("%s: getresuid", who);
		return -1;
	}
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid) {
		log_warnx("%s: ids are %u/%u/%u:%u/%u/%u, want %u:%u", who,
		    ru, eu, su, rg, eg, sg, (unsigned)uid, (unsigned)gid);
		return -1;
	}
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		log_warnx("%s: could regain root after dropping to uid %u",
		    who, (unsigned)uid);
		return -1;
	}
	if (gid != 0 && uid != 0 && (setgid(0) != -1 || setegid(0) != -1)) {
		log_warnx("%s: could regain gid 0", who);
		return -1;
	}
	return 0;
}

int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

time_t
monotime(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return ts.tv_sec;
}

/* At a quarter of its peak, memory goes back: a flood costs nothing lasting. */
void
trim_after_spike(size_t n)
{
	static size_t	peak;

	if (n > peak)
		peak = n;
	else if (peak >= 64 && n <= peak / 4) {
		compat_memtrim();
		peak = n;
	}
}

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/* Never 0, which its users keep for "none". */
uint64_t
siphash(const uint64_t key[2], const void *data, size_t len)
{
	const unsigned char	*in = data;
	uint64_t		 v0, v1, v2, v3, m;
	size_t			 i;
	int			 k;

	v0 = key[0] ^ 0x736f6d6570736575ULL;
	v1 = key[1] ^ 0x646f72616e646f6dULL;
	v2 = key[0] ^ 0x6c7967656e657261ULL;
	v3 = key[1] ^ 0x7465646279746573ULL;
	for (i = 0; i + 8 <= len; i += 8) {
		for (m = 0, k = 7; k >= 0; k--)
			m = (m << 8) | in[i + k];
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	m = (uint64_t)len << 56;
	for (k = 0; i + k < len; k++)
		m |= (uint64_t)in[i + k] << (8 * k);
	v3 ^= m;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	for (k = 0; k < 4; k++)
		SIPROUND(v0, v1, v2, v3);
	m = v0 ^ v1 ^ v2 ^ v3;
	return m != 0 ? m : 1;
}

/* A mapping of its own: unmap() gives it back, whatever malloc does. */
void *
map_anon(size_t *len)
{
	size_t	 pg = getpagesize();
	void	*p;

	*len = (*len + pg - 1) / pg * pg;
	if (*len == 0)
		*len = pg;
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON,
	    -1, 0);
	if (p == MAP_FAILED)
		fatal("%s: mmap", __func__);
	return p;
}

void
unmap(void *p, size_t len)
{
	if (p != NULL && munmap(p, len) == -1)
		fatal("%s: munmap", __func__);
}
