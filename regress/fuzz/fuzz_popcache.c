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
 * fuzz_popcache -- libFuzzer target for the popcache(5) reader
 * (store/popcache.c): a file in the user's maildir, which the user can
 * write.  A throw-away maildir is made once; each input becomes its
 * popcache file and is loaded with popcache_load()
 * (through maildrop_cache_load, whose message list it fills).
 *
 * The first input byte is a mode.  Bit 0 clear: the rest is the file.
 * Bit 0 set: the rest is records, then after a NUL the mda hints, and
 * the header and trailer are made here (bits 1 and 2: the real stamp of
 * new/ and cur/ instead of "-"; bit 3: a wrong count; bit 4: a wrong
 * checksum).  Either way "@N" and "@C" become the current stamps of
 * new/ and cur/ and "@H" the checksum of the lines above it, which a
 * fuzzer could not guess.
 *
 * A load must never crash or leak, and what it returns must be sane:
 * valid names and UIDLs, and from a directory the file's stamp does not
 * vouch for, exactly the messages that are there.  The log functions
 * are stubs that still format every message.
 *
 *	make fuzz && regress/fuzz/fuzz_popcache -max_total_time=60
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildrop.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The maildir: regular files first, then what a reader must skip. */
static const struct {
	const char	*name;
	const char	*body;
} msgs[] = {
	{ "new/1", "a\nb\n" },
	{ "new/2,W=10", "x" },
	{ "new/3,S=3,W=5", "ab\n" },
	{ "cur/4:2,S", "hello\n" },
	{ "cur/5:2,RS", ".\n" },
	{ "cur/6", "" },
	{ "cur/.7", "dotfile" },
};
#define NREG	6
#define NMSGS	(sizeof(msgs) / sizeof(msgs[0]))

static char	 dir[PATH_MAX];
static char	 stamp[2][128];
static int	 mdfd = -1;

static void
cleanup(void)
{
	size_t	i;

	if (mdfd == -1)
		return;
	for (i = 0; i < NMSGS; i++)
		(void)unlinkat(mdfd, msgs[i].name, 0);
	(void)unlinkat(mdfd, "new/l", 0);
	(void)unlinkat(mdfd, "cur/d", AT_REMOVEDIR);
	(void)unlinkat(mdfd, "popcache", 0);
	(void)unlinkat(mdfd, "tmp", AT_REMOVEDIR);
	(void)unlinkat(mdfd, "new", AT_REMOVEDIR);
	(void)unlinkat(mdfd, "cur", AT_REMOVEDIR);
	close(mdfd);
	mdfd = -1;
	(void)rmdir(dir);
}

/* As popcache.c writes it: "msec.mnsec,csec.cnsec,ino". */
static void
get_stamp(const char *sub, char *buf, size_t len)
{
	struct stat	st;

	if (fstatat(mdfd, sub, &st, 0) == -1)
		abort();
	(void)snprintf(buf, len, "%lld.%09ld,%lld.%09ld,%llu",
	    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	    (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec,
	    (unsigned long long)st.st_ino);
}

static void
setup(void)
{
	const char	*tmp;
	size_t		 i, len;
	int		 fd;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/fuzz_popcache.XXXXXX",
	    tmp) >= sizeof(dir) || mkdtemp(dir) == NULL ||
	    maildir_create(dir) == -1 ||
	    (mdfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		abort();
	atexit(cleanup);
	for (i = 0; i < NMSGS; i++) {
		fd = openat(mdfd, msgs[i].name, O_WRONLY | O_CREAT | O_EXCL,
		    0600);
		len = strlen(msgs[i].body);
		if (fd == -1 || write(fd, msgs[i].body, len) != (ssize_t)len)
			abort();
		close(fd);
	}
	if (symlinkat("1", mdfd, "new/l") == -1 ||
	    mkdirat(mdfd, "cur/d", 0700) == -1)
		abort();
	get_stamp("new", stamp[0], sizeof(stamp[0]));
	get_stamp("cur", stamp[1], sizeof(stamp[1]));
}

/* The checksum of popcache(5), written from the manual page. */
static uint64_t
checksum(const unsigned char *s, size_t n)
{
	uint64_t	h, w;
	size_t		i;

	h = (uint64_t)n * 0x9e3779b97f4a7c15ULL;
	for (; n >= 8; s += 8, n -= 8) {
		for (w = 0, i = 0; i < 8; i++)
			w |= (uint64_t)s[i] << (8 * i);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	for (w = 0, i = 0; i < n; i++)
		w |= (uint64_t)s[i] << (8 * i);
	h = (h ^ w) * 0x94d049bb133111ebULL;
	h ^= h >> 29;
	return h;
}

struct out {
	char	*p;
	size_t	 len, cap;
	size_t	 bol;		/* where the current line starts */
};

static void
out_add(struct out *o, const void *p, size_t len)
{
	const char	*nl;
	char		*np;

	if (len == 0)
		return;
	if (o->len + len > o->cap) {
		o->cap = (o->len + len) * 2 + 256;
		if ((np = realloc(o->p, o->cap)) == NULL)
			abort();
		o->p = np;
	}
	memcpy(o->p + o->len, p, len);
	if ((nl = memrchr(o->p + o->len, '\n', len)) != NULL)
		o->bol = nl - o->p + 1;
	o->len += len;
}

/* Append p with the @N, @C and @H tokens replaced. */
static void
out_subst(struct out *o, const uint8_t *p, size_t len)
{
	char	hex[17];
	size_t	i;
	int	d;

	for (i = 0; i < len; i++) {
		if (p[i] != '@' || i + 1 == len ||
		    (p[i + 1] != 'N' && p[i + 1] != 'C' && p[i + 1] != 'H')) {
			out_add(o, p + i, 1);
			continue;
		}
		i++;
		if (p[i] == 'H') {
			(void)snprintf(hex, sizeof(hex), "%016llx",
			    (unsigned long long)checksum(
			    (unsigned char *)o->p, o->bol));
			out_add(o, hex, 16);
		} else {
			d = p[i] == 'C';
			out_add(o, stamp[d], strlen(stamp[d]));
		}
	}
}

static void
make_file(struct out *o, const uint8_t *data, size_t size)
{
	const uint8_t	*recs, *nul;
	char		 line[512];
	size_t		 rlen, count, i;
	int		 mode = data[0];

	data++;
	size--;
	if ((mode & 0x01) == 0) {
		out_subst(o, data, size);
		return;
	}
	recs = data;
	if ((nul = memchr(data, '\0', size)) != NULL)
		rlen = nul - data;
	else
		rlen = size;
	for (i = 0, count = 0; i < rlen; i++)
		if (recs[i] == '\n')
			count++;
	if (rlen > 0 && recs[rlen - 1] != '\n')
		count++;
	(void)snprintf(line, sizeof(line), "popcache 1 %s %s %zu\n",
	    mode & 0x02 ? stamp[0] : "-", mode & 0x04 ? stamp[1] : "-",
	    count + (mode & 0x08 ? 1 : 0));
	out_add(o, line, strlen(line));
	out_subst(o, recs, rlen);
	if (rlen > 0 && recs[rlen - 1] != '\n')
		out_add(o, "\n", 1);
	(void)snprintf(line, sizeof(line), "end %zu %016llx\n", count,
	    (unsigned long long)(checksum((unsigned char *)o->p, o->len) ^
	    (mode & 0x10 ? 1 : 0)));
	out_add(o, line, strlen(line));
	if (nul != NULL)
		out_subst(o, nul + 1, size - rlen - 1);
}

static int
valid_name(const char *name)
{
	size_t	len = strlen(name);

	return len >= 5 && (strncmp(name, "new/", 4) == 0 ||
	    strncmp(name, "cur/", 4) == 0) && name[4] != '.' &&
	    strchr(name + 4, '/') == NULL && strchr(name, '\n') == NULL;
}

static int
valid_uidl(const char *u)
{
	size_t	i, len = strlen(u);

	if (len < 1 || len > UIDL_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)u[i] < 0x21 || (unsigned char)u[i] > 0x7e)
			return 0;
	return 1;
}

static int
uidl_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
check(const struct maildrop *md, const struct out *o)
{
	struct stat	  st;
	const char	**u;
	char		  rec[NAME_MAX + 8];
	off_t		  total = 0;
	size_t		  i, k, n, seen[2] = { 0, 0 };
	int		  d, trusted[2];

	/* A directory whose stamp the file has may be taken from it. */
	for (d = 0; d < 2; d++)
		trusted[d] = memmem(o->p, o->len, stamp[d],
		    strlen(stamp[d])) != NULL;

	for (i = 0; i < md->nmsgs; i++) {
		if (!valid_name(md->msgs[i].name) ||
		    !valid_uidl(md->msgs[i].uidl) || md->msgs[i].size < 0 ||
		    md->msgs[i].size > 999999999999999999LL)
			abort();
		total += md->msgs[i].size;
		d = md->msgs[i].name[0] == 'c';
		seen[d]++;
		if (fstatat(mdfd, md->msgs[i].name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			continue;
		/* Not in the maildir: only a trusted record may say so. */
		n = snprintf(rec, sizeof(rec), " %s\n", md->msgs[i].name);
		if (!trusted[d] || n >= sizeof(rec) ||
		    memmem(o->p, o->len, rec, n) == NULL)
			abort();
	}
	if (total != md->total)
		abort();

	/* A directory read again gives what is in it, once each. */
	for (d = 0; d < 2; d++) {
		if (trusted[d])
			continue;
		if (seen[d] != 3)
			abort();
		for (k = 0; k < NREG; k++) {
			if ((msgs[k].name[0] == 'c') != d)
				continue;
			for (i = 0, n = 0; i < md->nmsgs; i++)
				if (strcmp(md->msgs[i].name, msgs[k].name) == 0)
					n++;
			if (n != 1)
				abort();
		}
	}

	/* A warm load hands out the file's UIDLs: no two the same. */
	if (md->pc.stats.result == POPCACHE_WARM && md->nmsgs > 1) {
		if ((u = calloc(md->nmsgs, sizeof(*u))) == NULL)
			abort();
		for (i = 0; i < md->nmsgs; i++)
			u[i] = md->msgs[i].uidl;
		qsort(u, md->nmsgs, sizeof(*u), uidl_cmp);
		for (i = 1; i < md->nmsgs; i++)
			if (strcmp(u[i - 1], u[i]) == 0)
				abort();
		free(u);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct maildrop	 md;
	struct out	 o = { NULL, 0, 0, 0 };
	int		 fd, r;

	if (mdfd == -1)
		setup();
	if (size == 0) {
		/* No file at all. */
		if (unlinkat(mdfd, "popcache", 0) == -1 && errno != ENOENT)
			abort();
	} else {
		make_file(&o, data, size);
		fd = openat(mdfd, "popcache", O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0600);
		if (fd == -1 || (o.len > 0 &&
		    write(fd, o.p, o.len) != (ssize_t)o.len))
			abort();
		close(fd);
	}

	if (maildrop_open(&md, dir, NULL) == -1)
		abort();
	r = maildrop_cache_load(&md);
	if (r == 0) {
		if (md.pc.stats.result != POPCACHE_WARM &&
		    md.pc.stats.result != POPCACHE_UPDATED)
			abort();
		check(&md, &o);
	} else if (r != -1 || md.nmsgs != 0 || md.total != 0 ||
	    md.pc.stats.result != POPCACHE_REBUILD)
		abort();
	maildrop_close(&md);
	free(o.p);
	return 0;
}
