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
 * fuzz_quota -- libFuzzer target for Maildir++ quotas (store/quota.c):
 * a maildirsize is written by every program that delivers to or
 * expunges from the maildir, and by the user if he can, and is read
 * before each delivery.
 *
 * The input is a whole maildirsize.  Checked: a definition that parses
 * formats back to the same limits; a file that parses ends in a
 * newline, has as many lines as it says, a total that is not negative,
 * and its definition and total written back as one line parse the
 * same; a file that does not parse says which line or why.  Then the
 * input is put in a real maildir and read for a fixed limit: the
 * result is the file's own total exactly when it is under 5120 bytes,
 * parses, has the limit's definition and is not over it in several
 * lines; otherwise the maildir's true count, written back in Dovecot's
 * form.  A file read as it is then gets a delivery's line (quota_add),
 * and is read again: its total plus the line, or, over the limit in
 * several lines, recalculated, as is a total the line takes past
 * int64_t (damage).
 *
 *	make fuzz && regress/fuzz/fuzz_quota -max_total_time=60 \
 *	    /tmp/corpus regress/fuzz/corpus_quota
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir.h"
#include "quota.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The maildir of the read check, and what its messages add up to. */
static const char *const msgs[] = {
	"new/1700000001.M1P1.fuzz,S=300",
	"cur/1700000002.M2P1.fuzz,S=200:2,S",
	".Sent/cur/1700000003.M3P1.fuzz,S=45:2,S",
};
#define MD_BYTES	545
#define MD_MSGS		3
#define MD_WANT		"1000S,10C\n545 3\n"
#define ADD_BYTES	100		/* check_add's delivery */
#define ADD_LINE	"100 1\n"

static const struct quota_limit	want = { 1000, 10 };
static char			top[PATH_MAX];
static int			mdfd = -1;

static void	check_add(size_t, const struct quota_use *);
static void	check_recalculated(const struct quota_use *);

static int
remove_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	return remove(path);
}

static void
cleanup(void)
{
	close(mdfd);
	(void)nftw(top, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* A maildir with a folder, in TMPDIR (regress/fuzz/run.sh's scratch). */
static void
setup(void)
{
	const char	*tmp;
	char		 md[PATH_MAX + 16];
	size_t		 i;
	int		 fd;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	(void)snprintf(top, sizeof(top), "%s/fuzz_quota.XXXXXX", tmp);
	if (mkdtemp(top) == NULL)
		abort();
	atexit(cleanup);
	(void)snprintf(md, sizeof(md), "%s/Maildir", top);
	if (maildir_create(md) == -1 ||
	    (mdfd = open(md, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		abort();
	(void)strlcat(md, "/.Sent", sizeof(md));
	if (maildir_create(md) == -1)
		abort();
	for (i = 0; i < nitems(msgs); i++) {
		if ((fd = openat(mdfd, msgs[i], O_WRONLY | O_CREAT | O_CLOEXEC,
		    0600)) == -1)
			abort();
		close(fd);
	}
}

/* A definition that parses formats back to itself. */
static void
check_def(const char *s, size_t len)
{
	struct quota_limit	lim, back;
	char			buf[QUOTA_DEFMAX];
	int			n;

	if (quota_def_parse(s, len, &lim) == -1)
		return;
	if ((n = quota_def_format(&lim, buf, sizeof(buf))) <= 0 ||
	    (size_t)n != strlen(buf) ||
	    quota_def_parse(buf, n, &back) == -1 ||
	    back.bytes != lim.bytes || back.msgs != lim.msgs)
		abort();
}

/*
 * A limit as a quota table's answer writes it (outside bytes: a
 * database's): refused with a reason, or formatted back to itself.
 */
static void
check_spec(const char *s, size_t len)
{
	struct quota_limit	lim, back;
	char			buf[256], out[64], err[128];

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	err[0] = '\0';
	if (quota_spec_parse(buf, &lim, err, sizeof(err)) == -1) {
		if (err[0] == '\0' || lim.bytes != 0 || lim.msgs != 0)
			abort();
		return;
	}
	if (lim.bytes > INT64_MAX || lim.msgs > INT64_MAX ||
	    quota_spec_format(&lim, out, sizeof(out)) >= (int)sizeof(out) ||
	    quota_spec_parse(out, &back, NULL, 0) == -1 ||
	    back.bytes != lim.bytes || back.msgs != lim.msgs)
		abort();
}

/* quota_parse on the file; its number of lines, or -1. */
static int
check_parse(const char *s, size_t len, struct quota_limit *def,
    struct quota_use *use)
{
	struct quota_limit	 d2;
	struct quota_use	 u2;
	const char		*nl;
	char			 err[64], buf[QUOTA_DEFMAX + 48];
	size_t			 i, nls = 0;
	int			 lines, n;

	err[0] = '\0';
	if ((lines = quota_parse(s, len, def, use, err, sizeof(err))) == -1) {
		if (strncmp(err, "line ", 5) != 0 &&
		    strncmp(err, "negative total", 14) != 0 &&
		    strcmp(err, "too many lines") != 0)
			abort();
		return -1;
	}
	for (i = 0; i < len; i++)
		if (s[i] == '\n')
			nls++;
	nl = memchr(s, '\n', len);
	if (lines < 1 || s[len - 1] != '\n' || nls != (size_t)lines + 1 ||
	    use->bytes < 0 || use->msgs < 0 || nl == NULL ||
	    quota_def_parse(s, nl - s, &d2) == -1 ||
	    d2.bytes != def->bytes || d2.msgs != def->msgs)
		abort();
	/* Written back as a recalculation would. */
	if ((n = quota_def_format(def, buf, sizeof(buf))) == -1)
		abort();
	n += snprintf(buf + n, sizeof(buf) - n, "\n%lld %lld\n",
	    (long long)use->bytes, (long long)use->msgs);
	if (quota_parse(buf, n, &d2, &u2, NULL, 0) != 1 ||
	    d2.bytes != def->bytes || d2.msgs != def->msgs ||
	    u2.bytes != use->bytes || u2.msgs != use->msgs)
		abort();
	return lines;
}

/* quota_read of the file in a maildir: used as is, or recalculated. */
static void
check_read(const char *s, size_t len, int lines,
    const struct quota_limit *def, const struct quota_use *fuse)
{
	struct quota_use	 use;
	char			 msg[256];
	int			 fd, how, expect;

	/*
	 * Renamed into place, as Maildir++ writers replace the file: one
	 * rewritten in place to the same size within the timestamp
	 * granularity would look unchanged to quota_read's kept count.
	 */
	if ((fd = openat(mdfd, "tmp/fuzz." QUOTA_FILE, O_WRONLY | O_CREAT |
	    O_TRUNC | O_CLOEXEC, 0600)) == -1 ||
	    (len > 0 && write(fd, s, len) != (ssize_t)len))
		abort();
	close(fd);
	if (renameat(mdfd, "tmp/fuzz." QUOTA_FILE, mdfd, QUOTA_FILE) == -1)
		abort();

	if (len >= QUOTA_FILEMAX)
		expect = QUOTA_SIZERULE;
	else if (lines == -1)
		expect = QUOTA_DAMAGED;
	else if (def->bytes != want.bytes || def->msgs != want.msgs)
		expect = QUOTA_REDEFINED;
	else if (quota_over(&want, fuse) && lines > 1)
		expect = QUOTA_OVERSTALE;	/* the file is fresh */
	else
		expect = QUOTA_READ;
	if ((how = quota_read(mdfd, &want, &use, msg, sizeof(msg))) != expect)
		abort();
	if (how == QUOTA_READ) {
		if (use.bytes != fuse->bytes || use.msgs != fuse->msgs)
			abort();
		check_add(len, fuse);
		return;
	}
	check_recalculated(&use);
}

/*
 * A delivery's line appended to a file read as it is (kept by quota.c
 * since), then read again.
 */
static void
check_add(size_t len, const struct quota_use *fuse)
{
	struct quota_use	 sum, use;
	int			 expect;

	if (quota_add(mdfd, &want, ADD_BYTES, 1, NULL, 0) == -1)
		abort();
	if (__builtin_add_overflow(fuse->bytes, ADD_BYTES, &sum.bytes) ||
	    __builtin_add_overflow(fuse->msgs, 1, &sum.msgs))
		/* Past int64_t: the file is read again, and damaged. */
		expect = len + strlen(ADD_LINE) >= QUOTA_FILEMAX ?
		    QUOTA_SIZERULE : QUOTA_DAMAGED;
	else if (quota_over(&want, &sum))
		expect = QUOTA_OVERSTALE;	/* two lines at least */
	else
		expect = QUOTA_READ;
	if (quota_read(mdfd, &want, &use, NULL, 0) != expect)
		abort();
	if (expect != QUOTA_READ)
		check_recalculated(&use);
	else if (use.bytes != sum.bytes || use.msgs != sum.msgs)
		abort();
}

/* The maildir's true count, and the file written back with it. */
static void
check_recalculated(const struct quota_use *use)
{
	char	got[64];
	ssize_t	n;
	int	fd;

	if (use->bytes != MD_BYTES || use->msgs != MD_MSGS)
		abort();
	if ((fd = openat(mdfd, QUOTA_FILE, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (n = read(fd, got, sizeof(got) - 1)) == -1)
		abort();
	close(fd);
	got[n] = '\0';
	if (strcmp(got, MD_WANT) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quota_limit	 def;
	struct quota_use	 use;
	const char		*s = (const char *)data, *nl;
	int			 lines;

	/* libFuzzer's data is a copy of exactly size bytes: ASan sees past. */
	if (mdfd == -1)
		setup();
	check_def(s, size);
	check_spec(s, size);
	if ((nl = memchr(s, '\n', size)) != NULL)
		check_def(s, nl - s);
	lines = check_parse(s, size, &def, &use);
	check_read(s, size, lines, &def, &use);
	return 0;
}
