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
 * fuzz_oldids -- libFuzzer target for the readers of other servers'
 * UIDL files and of popd's own record of them (store/oldids.c):
 * Dovecot's dovecot-uidlist (versions 1 and 3), Courier's
 * courierpop3dsizelist (versions 2 and 3) and popd.migrated (versions 1
 * and 2), files in the user's maildir, which the user can write.
 *
 * A throw-away directory is made once; each input becomes its files and
 * oldids_load() runs on it for a fixed set of message names.  The first
 * input byte is a mode:
 *
 *	bits 0-1	0: the rest is dovecot-uidlist
 *			1: the rest is courierpop3dsizelist
 *			2: the rest is popd.migrated
 *			3: the rest is popd.migrated without its end line
 *			   (made here: a fuzzer could not guess the
 *			   checksum), then after a NUL dovecot-uidlist, then
 *			   after another NUL courierpop3dsizelist
 *	bits 2-3	the uidl-format: Dovecot's default, "%v-%u", "%f",
 *			"UID%u"
 *	bit 4		OLDIDS_SERVED (a popcache and no record)
 *	bit 5		OLDIDS_DRYRUN (popd -m)
 *
 * With a dovecot-uidlist, oldids_moved() reads its "G" fields (the first
 * names of messages Dovecot moved) and gives each such message a UIDL:
 * never a crash, and each UIDL valid.
 *
 * A load must never crash or leak, and what it answers must be sane:
 * each UIDL valid, no two messages with the same UIDL, and a record it
 * writes must read back to exactly the same UIDLs (the takeover is
 * never done twice), while a record of version 2 is never rewritten and
 * nothing is written in a dry run.  The log functions are stubs that
 * still format every message.
 *
 *	make regress/fuzz/fuzz_oldids &&
 *	    sh regress/fuzz/run.sh -max_total_time=60 regress/fuzz/fuzz_oldids
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir.h"
#include "oldids.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The maildir's messages as a scan names them; two share a unique name. */
static const char *const names[] = {
	"new/1700000000.M1P1.host",
	"cur/1700000001.M2P2.host,S=10,W=12:2,S",
	"cur/1700000002.M3P3.host:2,",
	"new/a b",
	"cur/x:2,RS",
	"new/1",
	"cur/1:2,S",
};
#define NNAMES	(sizeof(names) / sizeof(names[0]))

static const char *const formats[] = {
	"%08Xu%08Xv", "%v-%u", "%f", "UID%u",
};

static const char *const files[] = {
	"dovecot-uidlist", "courierpop3dsizelist", OLDIDS_RECORD,
	OLDIDS_RECORD ".tmp",
};
#define NFILES	(sizeof(files) / sizeof(files[0]))

static char	dir[PATH_MAX];
static int	dirfd = -1;

static void
cleanup(void)
{
	size_t	i;

	if (dirfd == -1)
		return;
	for (i = 0; i < NFILES; i++)
		(void)unlinkat(dirfd, files[i], 0);
	close(dirfd);
	dirfd = -1;
	(void)rmdir(dir);
}

static void
setup(void)
{
	const char	*tmp;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/fuzz_oldids.XXXXXX",
	    tmp) >= sizeof(dir) || mkdtemp(dir) == NULL ||
	    (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		abort();
	atexit(cleanup);
}

static void
put(const char *name, const void *p, size_t len)
{
	int	fd;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	if (fd == -1 || (len > 0 && write(fd, p, len) != (ssize_t)len))
		abort();
	close(fd);
}

/* The whole of a file (NULL if there is none), its length in *len. */
static char *
get(const char *name, size_t *len)
{
	struct stat	 st;
	char		*p;
	int		 fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			abort();
		return NULL;
	}
	if (fstat(fd, &st) == -1 || (p = malloc(st.st_size + 1)) == NULL ||
	    read(fd, p, st.st_size) != st.st_size)
		abort();
	close(fd);
	*len = st.st_size;
	return p;
}

/* popd.migrated from its header and records, with its end line. */
static void
put_record(const uint8_t *p, size_t len)
{
	uint8_t		*buf;
	size_t		 i, n = 0, blen = len;
	int		 t;

	if ((buf = malloc(len + 64)) == NULL)
		abort();
	memcpy(buf, p, len);
	if (blen > 0 && buf[blen - 1] != '\n')
		buf[blen++] = '\n';
	for (i = 0; i < blen; i++)
		n += buf[i] == '\n';
	t = snprintf((char *)buf + blen, 64, "end %zu %016llx\n",
	    n > 0 ? n - 1 : 0, (unsigned long long)maildir_fnv(MAILDIR_FNV_BASIS, buf, blen));
	put(OLDIDS_RECORD, buf, blen + t);
	free(buf);
}

/* The unique name (up to ':', after '/') of names[i] equals names[j]'s. */
static int
same_message(size_t i, size_t j)
{
	const char	*a = strchr(names[i], '/') + 1;
	const char	*b = strchr(names[j], '/') + 1;
	size_t		 n = strcspn(a, ":");

	return n == strcspn(b, ":") && memcmp(a, b, n) == 0;
}

static void	moved(const char *);

static struct oldids *
load(const char *fmt, int flags, int *r)
{
	struct oldids	*o;
	size_t		 i;

	if ((o = oldids_new()) == NULL)
		abort();
	for (i = 0; i < NNAMES; i++)
		if (oldids_want(o, names[i]) == -1)
			abort();
	errno = 0;
	*r = oldids_load(o, dirfd, dir, fmt, flags);
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oldids	*o, *again;
	const uint8_t	*p, *nul;
	const char	*u[NNAMES], *src, *fmt;
	char		*before, *after;
	size_t		 i, j, len, blen = 0, alen = 0, part;
	int		 mode, flags = 0, r, r2, had;

	if (dirfd == -1)
		setup();
	for (i = 0; i < NFILES; i++)
		if (unlinkat(dirfd, files[i], 0) == -1 && errno != ENOENT)
			abort();
	if (size == 0)
		return 0;
	mode = data[0];
	fmt = formats[(mode >> 2) & 3];
	if (mode & 0x10)
		flags |= OLDIDS_SERVED;
	if (mode & 0x20)
		flags |= OLDIDS_DRYRUN;
	p = data + 1;
	len = size - 1;
	if ((mode & 3) < 3)
		put(files[mode & 3], p, len);
	else
		for (part = 0; part < 3 && (part == 0 || len > 0); part++) {
			nul = memchr(p, '\0', len);
			i = nul != NULL ? (size_t)(nul - p) : len;
			if (part == 0)
				put_record(p, i);
			else
				put(files[part - 1], p, i);
			p += i + (nul != NULL);
			len -= i + (nul != NULL);
		}
	before = get(OLDIDS_RECORD, &blen);
	had = before != NULL;

	o = load(fmt, flags, &r);
	if (r == -1 && (errno != EBADMSG || !had))
		abort();
	src = oldids_source(o);
	if (src != NULL && strcmp(src, "dovecot-uidlist") != 0 &&
	    strcmp(src, "courierpop3dsizelist") != 0 &&
	    strcmp(src, OLDIDS_RECORD) != 0)
		abort();
	for (i = 0; i < NNAMES; i++) {
		u[i] = oldids_get(o, names[i]);
		if (r == -1 && u[i] != NULL)
			abort();
		if (u[i] != NULL && !maildir_uidl_ok(u[i], strlen(u[i])))
			abort();
		if (oldids_size(o, names[i]) < -1)
			abort();
		for (j = 0; j < i && u[i] != NULL; j++)
			if (u[j] != NULL && strcmp(u[i], u[j]) == 0 &&
			    !same_message(i, j))
				abort();
	}

	/* What is on disk now. */
	if (get(files[3], &alen) != NULL)
		abort();	/* no temporary file left */
	after = get(OLDIDS_RECORD, &alen);
	if ((flags & OLDIDS_DRYRUN) || r == -1 || (had &&
	    blen > sizeof(OLDIDS_RECORD) && memcmp(before, OLDIDS_RECORD " ",
	    sizeof(OLDIDS_RECORD)) == 0)) {
		/* Nothing written: a dry run, a refusal, a record of ours. */
		if (had != (after != NULL) || (had && (blen != alen ||
		    memcmp(before, after, blen) != 0)))
			abort();
	} else if (after == NULL)
		abort();
	else {
		/* Written: it reads back to the same UIDLs, and only it. */
		(void)unlinkat(dirfd, files[0], 0);
		(void)unlinkat(dirfd, files[1], 0);
		again = load(fmt, 0, &r2);
		if (r2 != 0)
			abort();
		for (i = 0; i < NNAMES; i++) {
			src = oldids_get(again, names[i]);
			if ((src == NULL) != (u[i] == NULL) ||
			    (src != NULL && strcmp(src, u[i]) != 0))
				abort();
		}
		oldids_free(again);
	}
	free(before);
	free(after);
	oldids_free(o);
	moved(fmt);
	return 0;
}

/* oldids_moved on what dovecot-uidlist holds now, if anything. */
static void
moved(const char *fmt)
{
	struct oldids	*m;
	const char	*u;
	size_t		 i;

	if ((m = oldids_moved(dirfd, dirfd, dir, fmt)) == NULL)
		return;
	for (i = 0; i < NNAMES; i++)
		if ((u = oldids_get(m, names[i])) != NULL &&
		    !maildir_uidl_ok(u, strlen(u)))
			abort();
	oldids_free(m);
}
