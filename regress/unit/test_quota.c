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
 * test_quota -- Maildir++ quotas (store/quota.c): definition lines in
 * either order, with unknown letters, garbage, 64-bit overflow and
 * signs; maildirsize files as Courier pads them and as Dovecot writes
 * them, negative lines and every kind of damage; then a real maildir
 * in a temporary directory (new/, cur/, names with and without ",S=",
 * with flags, folders .Sent and .Trash): each reason quota_read has to
 * recalculate (missing, damaged, another definition, the 5120-byte
 * rule at 5119 and 5120 bytes, over quota in several lines or an old
 * file), appends of exactly one line, an append that takes the total
 * past int64_t (recalculated), 16 processes appending at once
 * summing exactly, and a recalculation racing appends and deliveries
 * leaving a file that parses.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "maildir.h"
#include "quota.h"
#include "unit.h"

#define NWRITERS	16	/* processes appending at once */
#define NAPPENDS	200	/* lines each */
#define NRACERS		8	/* deliverers racing recalculations */
#define NDELIVER	300	/* messages each */

static char	base[128];
static int	mdfd = -1;	/* the maildir, also the working directory */

/*
 * A file of len bytes, or of the string data when len is -1: a new file
 * renamed into place, as Maildir++ writers replace maildirsize (one
 * rewritten in place within the file system's timestamp granularity
 * would look unchanged to quota_read's kept count).
 */
static void
put(const char *rel, const char *data, ssize_t len)
{
	char	buf[4096], tmp[PATH_MAX];
	int	fd;

	if (len == -1)
		len = strlen(data);
	else {
		if ((size_t)len > sizeof(buf))
			abort();
		memset(buf, 'x', len);
		data = buf;
	}
	(void)snprintf(tmp, sizeof(tmp), "%s.put", rel);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, data, len) != len || close(fd) == -1 ||
	    rename(tmp, rel) == -1) {
		perror(rel);
		exit(2);
	}
}

static void
mkd(const char *rel)
{
	if (mkdir(rel, 0700) == -1 && errno != EEXIST) {
		perror(rel);
		exit(2);
	}
}

/*
 * maildirsize as it is now, NUL-terminated in a static buffer, its
 * length in *lenp; NULL if there is none.
 */
static const char *
current(size_t *lenp)
{
	static char	buf[65536];
	size_t		len = 0;
	ssize_t		n;
	int		fd;

	if ((fd = open(QUOTA_FILE, O_RDONLY)) == -1)
		return NULL;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	if (n == -1 || len == sizeof(buf) - 1) {
		perror(QUOTA_FILE);
		exit(2);
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

/* Whether maildirsize holds exactly the definition and one line. */
static int
file_is(const char *def, int64_t bytes, int64_t msgs)
{
	const char	*got = current(NULL);
	char		 want[128];

	(void)snprintf(want, sizeof(want), "%s\n%lld %lld\n", def,
	    (long long)bytes, (long long)msgs);
	if (got != NULL && strcmp(got, want) == 0)
		return 1;
	printf("maildirsize: expected \"%s\", got \"%s\"\n", want,
	    got != NULL ? got : "(none)");
	return 0;
}

/* Files left in tmp/: a recalculation must leave none. */
static int
tmp_files(void)
{
	FILE	*fp;
	int	 n = -1;

	if ((fp = popen("ls -A tmp | wc -l", "r")) == NULL ||
	    fscanf(fp, "%d", &n) != 1)
		n = -1;
	if (fp != NULL)
		pclose(fp);
	return n;
}

/* Fork n children running fn(i); 0 if all of them exited 0. */
static int
children(int n, int (*fn)(int), int (*meanwhile)(void))
{
	pid_t	pid;
	int	i, status, running, bad = 0;

	for (i = 0; i < n; i++) {
		if ((pid = fork()) == -1) {
			perror("fork");
			exit(2);
		}
		if (pid == 0)
			_exit(fn(i));
	}
	for (running = n; running > 0; ) {
		if (meanwhile != NULL)
			bad += meanwhile();
		while (running > 0 && (pid = waitpid(-1, &status,
		    meanwhile != NULL ? WNOHANG : 0)) > 0) {
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				bad++;
			running--;
		}
		if (pid == -1) {
			perror("waitpid");
			exit(2);
		}
	}
	return bad;
}

/*
 * Definition lines, each parsed and formatted back: the limits in
 * Dovecot's form, or NULL where the line is no definition.
 */
static void
test_def(void)
{
	static const struct {
		const char	*s, *back;
	} t[] = {
		{ "10000000S,1000C", "10000000S,1000C" },
		{ "1000C,10000000S", "10000000S,1000C" },
		{ "10000000S", "10000000S" },
		{ "1000C", "1000C" },
		{ "", "0S" },
		{ "0S", "0S" },
		{ "0S,0C", "0S" },
		{ "5000S,7X", "5000S" },		/* unknown letter */
		{ "7X,5000S,3z", "5000S" },
		{ "1S,2S", "2S" },			/* the last one */
		{ "18446744073709551615S", "18446744073709551615S" },
		{ "18446744073709551615S,18446744073709551615C",
		    "18446744073709551615S,18446744073709551615C" },
		{ "18446744073709551616S", NULL },	/* 2^64 */
		{ "99999999999999999999999S", NULL },
		{ "-5S", NULL },
		{ "+5S", NULL },
		{ "abc", NULL },
		{ "1000", NULL },			/* no letter */
		{ "S", NULL },
		{ "100S,", NULL },
		{ ",100S", NULL },
		{ "100S,,5C", NULL },
		{ "100S 5C", NULL },
		{ "100SC", NULL },
		{ " 100S", NULL },
		{ "100S\r", NULL },
		{ "100 S", NULL },
		{ "100\xc3\x9f", NULL },
	};
	struct quota_limit	lim;
	char			buf[QUOTA_DEFMAX];
	size_t			i;

	for (i = 0; i < nitems(t); i++) {
		if (quota_def_parse(t[i].s, strlen(t[i].s), &lim) == -1) {
			CHECK(t[i].back == NULL, "\"%s\": expected %s, "
			    "refused", t[i].s, t[i].back);
			continue;
		}
		CHECK(t[i].back != NULL, "\"%s\": expected a refusal", t[i].s);
		CHECK(quota_def_format(&lim, buf, sizeof(buf)) > 0,
		    "\"%s\" does not format", t[i].s);
		if (t[i].back != NULL)
			CHECK_STR(buf, t[i].back);
	}
	/* Only len bytes are read: the line without its newline. */
	CHECK_INT(quota_def_parse("100S\n", 4, &lim), 0);
	CHECK_INT(lim.bytes, 100);
	CHECK_INT(quota_def_parse("100S,5C", 5, &lim), -1);
	/* Formatting into a short buffer. */
	lim.bytes = 1048576;
	lim.msgs = 0;
	CHECK_INT(quota_def_format(&lim, buf, 8), -1);
	CHECK_INT(errno, ERANGE);
	CHECK_INT(quota_def_format(&lim, buf, 9), 8);
}

static void
test_parse(void)
{
	static const struct {
		const char	*file;
		int		 rv;		/* lines, or -1 */
		int64_t		 bytes, msgs;
		const char	*err;		/* how err starts */
	} t[] = {
		/* Dovecot: no padding. */
		{ "1048576S\n12345 3\n", 1, 12345, 3, NULL },
		{ "1048576S\n12345 3\n-200 -1\n700 1\n", 3, 12845, 3, NULL },
		{ "0S\n0 0\n", 1, 0, 0, NULL },
		{ "\n5 1\n", 1, 5, 1, NULL },
		/* Courier: lines of 14 bytes, and its %12s fields. */
		{ "10000000S,1000C\n"
		  "       1234 1\n"
		  "   -500    -1\n"
		  "1234 1       \n", 3, 1968, 1, NULL },
		{ "10000000S\n"
		  "        1234            1\n"
		  "        -234           -1\n", 2, 1000, 0, NULL },
		{ "10S\n\t5\t1\t\n", 1, 5, 1, NULL },
		{ "10S\n5 1\r\n", 1, 5, 1, NULL },
		{ "10S\n-0 0\n", 1, 0, 0, NULL },
		{ "10S\n9223372036854775807 1\n", 1, INT64_MAX, 1, NULL },
		/* Damaged. */
		{ "", -1, 0, 0, "line 1: empty" },
		{ "10S", -1, 0, 0, "line 1: no newline" },
		{ "10S\n", -1, 0, 0, "line 2: missing" },
		{ "10S\n5 1", -1, 0, 0, "line 2: no newline" },
		{ "10S\n5 1\n7 1", -1, 0, 0, "line 3: no newline" },
		{ "10S\n5a 1\n", -1, 0, 0, "line 2: not two" },
		{ "10S\n5 1\n5 1x\n", -1, 0, 0, "line 3: not two" },
		{ "10S\n5 0x1\n", -1, 0, 0, "line 2: not two" },
		{ "10S\n5\n", -1, 0, 0, "line 2: not two" },
		{ "10S\n5 1 1\n", -1, 0, 0, "line 2: not two" },
		{ "10S\n51\n", -1, 0, 0, "line 2: not two" },
		{ "10S\n\n", -1, 0, 0, "line 2: not two" },
		{ "10S\n5 1\n\n", -1, 0, 0, "line 3: not two" },
		{ "10S\n  \n", -1, 0, 0, "line 2: not two" },
		{ "10S\n+5 1\n", -1, 0, 0, "line 2: not two" },
		{ "10S\n- 5 1\n", -1, 0, 0, "line 2: not two" },
		{ "10S\n--5 1\n", -1, 0, 0, "line 2: not two" },
		{ "10S\n5 -\n", -1, 0, 0, "line 2: not two" },
		{ "10S\n9223372036854775808 1\n", -1, 0, 0, "line 2: not two" },
		{ "10S\n9223372036854775807 1\n1 0\n", -1, 0, 0,
		    "line 3: total" },
		{ "10S\n5 1\n-10 -1\n", -1, 0, 0, "negative total" },
		{ "10S\n5 1\n-5 -2\n", -1, 0, 0, "negative total" },
		{ "10X S\n5 1\n", -1, 0, 0, "line 1: not a quota" },
		{ "garbage\n5 1\n", -1, 0, 0, "line 1: not a quota" },
	};
	struct quota_limit	def;
	struct quota_use	use;
	char			err[64];
	size_t			i;
	int			rv;

	for (i = 0; i < nitems(t); i++) {
		err[0] = '\0';
		use.bytes = use.msgs = -99;
		rv = quota_parse(t[i].file, strlen(t[i].file), &def, &use, err,
		    sizeof(err));
		CHECK(rv == t[i].rv, "file %zu: expected %d, got %d (%s)", i,
		    t[i].rv, rv, err);
		if (rv >= 0 && t[i].rv >= 0)
			CHECK(use.bytes == t[i].bytes && use.msgs == t[i].msgs,
			    "file %zu: expected %lld %lld, got %lld %lld", i,
			    (long long)t[i].bytes, (long long)t[i].msgs,
			    (long long)use.bytes, (long long)use.msgs);
		if (t[i].err != NULL)
			CHECK(strncmp(err, t[i].err, strlen(t[i].err)) == 0,
			    "file %zu: expected \"%s...\", got \"%s\"", i,
			    t[i].err, err);
	}
	/* A NUL byte is damage, and so is what follows len. */
	CHECK_INT(quota_parse("10S\n5\0 1\n", 9, &def, &use, NULL, 0), -1);
	CHECK_INT(quota_parse("10S\n5 1\n", 7, &def, &use, NULL, 0), -1);
	CHECK_INT(quota_parse("10S,3C\n5 1\n", 11, &def, &use, NULL, 0), 1);
	CHECK(def.bytes == 10 && def.msgs == 3, "definition 10S,3C: got "
	    "%llu %llu", (unsigned long long)def.bytes,
	    (unsigned long long)def.msgs);
}

static void
test_checks(void)
{
	struct quota_limit	lim = { 1000, 10 }, none = { 0, 0 };
	struct quota_limit	bytes = { 1000, 0 };
	struct quota_use	use = { 0, 0 };

	CHECK_INT(quota_over(&lim, &use), 0);
	CHECK_INT(quota_fits(&lim, &use, 1000), 1);
	CHECK_INT(quota_fits(&lim, &use, 1001), 0);
	use.bytes = 999;
	CHECK_INT(quota_over(&lim, &use), 0);
	CHECK_INT(quota_fits(&lim, &use, 1), 1);
	CHECK_INT(quota_fits(&lim, &use, 2), 0);
	use.bytes = 1000;
	CHECK_INT(quota_over(&lim, &use), 1);
	CHECK_INT(quota_fits(&lim, &use, 1), 0);
	use.bytes = 5000;
	CHECK_INT(quota_fits(&lim, &use, 0), 0);
	CHECK_INT(quota_fits(&lim, &use, UINT64_MAX), 0);
	use.bytes = 0;
	use.msgs = 9;
	CHECK_INT(quota_over(&lim, &use), 0);
	CHECK_INT(quota_fits(&lim, &use, 10), 1);
	use.msgs = 10;
	CHECK_INT(quota_over(&lim, &use), 1);
	CHECK_INT(quota_fits(&lim, &use, 10), 0);
	CHECK_INT(quota_over(&bytes, &use), 0);
	CHECK_INT(quota_fits(&bytes, &use, 10), 1);
	use.bytes = INT64_MAX;
	use.msgs = INT64_MAX;
	CHECK_INT(quota_over(&none, &use), 0);
	CHECK_INT(quota_fits(&none, &use, UINT64_MAX), 1);
	use.bytes = -5;
	use.msgs = -5;
	CHECK_INT(quota_over(&lim, &use), 0);
	CHECK_INT(quota_fits(&lim, &use, 1000), 1);
}

/*
 * The messages of the test maildir: what quota.c must count, and what
 * it must not.  Returns the expected bytes; *msgs the count.
 */
static int64_t
fill_maildir(int64_t *msgs)
{
	/* ",S=" is believed over the file's size, as everywhere. */
	put("new/1700000001.M1P1.host,S=1000", NULL, 10);
	put("new/1700000002.M2P1.host", NULL, 123);
	put("new/1700000003.M3P1.host,S=7,W=9", NULL, 7);
	put("cur/1700000004.M4P1.host,S=500:2,S", NULL, 20);
	put("cur/1700000005.M5P1.host:2,RS", NULL, 77);
	/* Not a size: the file's. */
	put("cur/1700000006.M6P1.host,S=abc:2,", NULL, 31);
	put("cur/1700000007.M7P1.host,S=:2,S", NULL, 5);
	/* Not messages: dot files, directories, tmp/, the root. */
	put("cur/.hidden", NULL, 1000);
	mkd("cur/adir");
	put("tmp/1700000008.M8P1.host,S=4000", NULL, 10);
	put("dovecot-uidlist", NULL, 100);
	put(".notafolder", NULL, 100);
	/* Folders: their own new/ and cur/; one without new/. */
	mkd(".Sent");
	mkd(".Sent/cur");
	mkd(".Sent/tmp");
	put(".Sent/maildirfolder", "", -1);
	put(".Sent/cur/1700000009.M9P1.host,S=300:2,S", NULL, 1);
	put(".Sent/cur/1700000010.M10P1.host:2,S", NULL, 40);
	/* Trash and T-flagged messages count, as in Dovecot. */
	mkd(".Trash");
	mkd(".Trash/new");
	mkd(".Trash/cur");
	put(".Trash/cur/1700000011.M11P1.host,S=50:2,ST", NULL, 1);
	put(".Trash/new/1700000012.M12P1.host,S=60", NULL, 1);
	/* A link to a folder is not followed: not counted twice. */
	if (symlink(".Sent", ".Linked") == -1) {
		perror("symlink");
		exit(2);
	}
	*msgs = 11;
	return 1000 + 123 + 7 + 500 + 77 + 31 + 5 + 300 + 40 + 50 + 60;
}

/* Set maildirsize, and its mtime to age seconds ago. */
static void
setfile(const char *data, time_t age)
{
	struct timespec	ts[2];

	put(QUOTA_FILE, data, -1);
	if (age > 0) {
		ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		if (utimensat(AT_FDCWD, QUOTA_FILE, ts, 0) == -1) {
			perror("utimensat");
			exit(2);
		}
	}
}

/* A maildirsize of exactly size bytes whose lines say "1 1". */
static void
setfile_size(const char *def, size_t size)
{
	char	*buf;
	size_t	 len, n;

	if ((buf = malloc(size + 1)) == NULL)
		abort();
	len = snprintf(buf, size + 1, "%s\n", def);
	while (size - len >= 8) {
		memcpy(buf + len, "1 1\n", 4);
		len += 4;
	}
	/* The rest, 4 to 7 bytes, as a line padded before its newline. */
	n = size - len;
	memcpy(buf + len, "1 1    ", n - 1);
	buf[size - 1] = '\n';
	buf[size] = '\0';
	put(QUOTA_FILE, buf, -1);
	free(buf);
}

/*
 * Files quota_read must not trust, for the limit 1000000S, and its
 * answer: each recalculated, msg saying why.  "@link" stands for a
 * symbolic link.
 */
static const struct {
	const char	*file;
	time_t		 age;
	int		 how;
	const char	*msg;
} untrusted[] = {
	{ "1000000S\n5 1\n7 1", 0, QUOTA_DAMAGED,
	    "line 3: no newline at the end" },
	{ "1000000S\n5 1\n5a 1\n", 0, QUOTA_DAMAGED,
	    "line 3: not two integers" },
	{ "1000000S\n5 1\n-10 -2\n", 0, QUOTA_DAMAGED,
	    "negative total (-5 bytes, -1 messages)" },
	{ "", 0, QUOTA_DAMAGED, "line 1: empty file" },
	{ "1000000S\n", 0, QUOTA_DAMAGED, "line 2: missing, no usage line" },
	{ "@link", 0, QUOTA_DAMAGED, ": not a regular file" },
	{ "2000S\n10 1\n", 0, QUOTA_REDEFINED,
	    ": definition 2000S, not 1000000S" },
	{ "1000000S,5C\n10 1\n", 0, QUOTA_REDEFINED,
	    ": definition 1000000S,5C, not 1000000S" },
	{ "0S\n10 1\n", 0, QUOTA_REDEFINED, ": definition 0S, not 1000000S" },
	/* Over quota: several lines, or 15 minutes old. */
	{ "1000000S\n999999 1\n1 0\n", 0, QUOTA_OVERSTALE,
	    ": over quota by several lines" },
	{ "1000000S\n1000000 1\n", QUOTA_STALE + 60, QUOTA_OVERSTALE,
	    ": over quota by an old count" },
};

static void
test_read(void)
{
	struct quota_limit	lim = { 1000000, 0 }, lim2 = { 1000000, 50 };
	struct quota_limit	small = { 100, 0 };
	struct quota_use	use;
	struct stat		st;
	char			msg[256], want[256];
	int64_t			bytes, msgs;
	size_t			i;

	bytes = fill_maildir(&msgs);

	/* Missing: recalculated, in Dovecot's form. */
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)),
	    QUOTA_MISSING);
	CHECK_INT(use.bytes, bytes);
	CHECK_INT(use.msgs, msgs);
	CHECK_STR(msg, QUOTA_FILE ": missing");
	CHECK(file_is("1000000S", bytes, msgs), "the recalculated file");
	CHECK_INT(tmp_files(), 1);	/* the test's own tmp/ message */

	/* Read as it is now. */
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)), QUOTA_READ);
	CHECK_STR(msg, "");
	CHECK_INT(use.bytes, bytes);
	CHECK_INT(use.msgs, msgs);

	/* One line per change, read back as the sum. */
	CHECK_INT(quota_add(mdfd, &lim, 4096, 1, msg, sizeof(msg)), 0);
	CHECK_INT(quota_add(mdfd, &lim, -96, -1, msg, sizeof(msg)), 0);
	CHECK_INT(quota_add(mdfd, &lim, 0, 0, msg, sizeof(msg)), 0);
	snprintf(want, sizeof(want), "1000000S\n%lld %lld\n4096 1\n-96 -1\n",
	    (long long)bytes, (long long)msgs);
	CHECK_STR(current(NULL), want);
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)), QUOTA_READ);
	CHECK_INT(use.bytes, bytes + 4000);
	CHECK_INT(use.msgs, msgs);

	/* Courier's padded lines are trusted as they are. */
	setfile("1000000S\n       1234 3\n    -34    -1\n", 0);
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)), QUOTA_READ);
	CHECK_INT(use.bytes, 1200);
	CHECK_INT(use.msgs, 2);
	/* The same limits in another order are the same definition. */
	setfile("50C,1000000S\n10 1\n", 0);
	CHECK_INT(quota_read(mdfd, &lim2, &use, msg, sizeof(msg)),
	    QUOTA_READ);
	CHECK_INT(use.bytes, 10);
	/* Under quota, an old file of many lines is trusted. */
	setfile("1000000S\n100 1\n100 0\n", QUOTA_STALE + 60);
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)), QUOTA_READ);
	CHECK_INT(use.bytes, 200);
	/* Over quota, a fresh file of one line: what a recalculation made. */
	setfile("100S\n200 1\n", QUOTA_STALE - 60);
	CHECK_INT(quota_read(mdfd, &small, &use, msg, sizeof(msg)),
	    QUOTA_READ);
	CHECK_INT(use.bytes, 200);

	for (i = 0; i < nitems(untrusted); i++) {
		if (strcmp(untrusted[i].file, "@link") != 0)
			setfile(untrusted[i].file, untrusted[i].age);
		else if (unlink(QUOTA_FILE) == -1 ||
		    symlink("/etc/passwd", QUOTA_FILE) == -1) {
			perror("symlink");
			exit(2);
		}
		msg[0] = '\0';
		use.bytes = use.msgs = -1;
		CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)),
		    untrusted[i].how);
		snprintf(want, sizeof(want), QUOTA_FILE "%s%s",
		    untrusted[i].msg[0] == ':' ? "" : " ", untrusted[i].msg);
		CHECK_STR(msg, want);
		CHECK(use.bytes == bytes && use.msgs == msgs, "case %zu: "
		    "expected %lld %lld, got %lld %lld", i, (long long)bytes,
		    (long long)msgs, (long long)use.bytes,
		    (long long)use.msgs);
		CHECK(file_is("1000000S", bytes, msgs), "case %zu replaced",
		    i);
	}
	/* A limit of messages is written in the definition. */
	CHECK_INT(quota_read(mdfd, &lim2, &use, msg, sizeof(msg)),
	    QUOTA_REDEFINED);
	CHECK(file_is("1000000S,50C", bytes, msgs), "a message limit added");

	/* The size rule: 5119 bytes are read, 5120 are not. */
	setfile_size("1000000S", QUOTA_FILEMAX - 1);
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)), QUOTA_READ);
	CHECK_INT(use.msgs, (QUOTA_FILEMAX - 1 - 9) / 4);
	setfile_size("1000000S", QUOTA_FILEMAX);
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)),
	    QUOTA_SIZERULE);
	CHECK_STR(msg, QUOTA_FILE ": 5120 bytes or more");
	CHECK_INT(use.msgs, msgs);
	CHECK(file_is("1000000S", bytes, msgs), "the size rule");
	setfile_size("1000000S", 3 * QUOTA_FILEMAX);
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)),
	    QUOTA_SIZERULE);

	/* No maildirsize: an append recalculates instead. */
	if (unlink(QUOTA_FILE) == -1)
		abort();
	CHECK_INT(quota_add(mdfd, &lim, 4096, 1, msg, sizeof(msg)), 0);
	CHECK(file_is("1000000S", bytes, msgs), "an append without a file");
	/*
	 * A FIFO (opened for writing without a reader: ENXIO) is no count:
	 * left alone without a limit, replaced under one, never blocked on.
	 */
	if (unlink(QUOTA_FILE) == -1 || mkfifo(QUOTA_FILE, 0600) == -1) {
		perror("mkfifo");
		exit(2);
	}
	CHECK_INT(quota_add(mdfd, NULL, -4096, -1, msg, sizeof(msg)), 0);
	CHECK(lstat(QUOTA_FILE, &st) == 0 && S_ISFIFO(st.st_mode),
	    "a FIFO left by a writer without a limit");
	CHECK_INT(quota_add(mdfd, &lim, 4096, 1, msg, sizeof(msg)), 0);
	CHECK(lstat(QUOTA_FILE, &st) == 0 && S_ISREG(st.st_mode) &&
	    file_is("1000000S", bytes, msgs), "a FIFO replaced");
	CHECK_INT(quota_recalc(mdfd, &small, &use, msg, sizeof(msg)), 0);
	CHECK(file_is("100S", bytes, msgs), "quota_recalc for 100S");
	CHECK_INT(tmp_files(), 1);

	/* A failure names the step; errno says why (root may write). */
	if (geteuid() != 0) {
		if (chmod("tmp", 0500) == -1)
			abort();
		CHECK_INT(quota_recalc(mdfd, &lim, &use, msg, sizeof(msg)),
		    -1);
		CHECK_INT(errno, EACCES);
		CHECK(strncmp(msg, "tmp/", 4) == 0 && strstr(msg, ": create"),
		    "got \"%s\"", msg);
		if (chmod("tmp", 0700) == -1)
			abort();
	}
}

/* A writer of test_concurrent: NAPPENDS lines of "<i + 1> 1". */
/*
 * The count a worker keeps between its reads and its own lines: every
 * change another writer makes is read, however it makes it.
 */
static void
test_cache(void)
{
	struct quota_limit	lim = { 1000000, 0 };
	struct quota_use	use;
	char			msg[256];
	int			fd;

	setfile("1000000S\n100 1\n", 0);
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)), QUOTA_READ);
	CHECK_INT(use.bytes, 100);
	CHECK_INT(use.msgs, 1);
	/* Our own line: kept without reading, and right. */
	CHECK_INT(quota_add(mdfd, &lim, 50, 1, msg, sizeof(msg)), 0);
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)), QUOTA_READ);
	CHECK_INT(use.bytes, 150);
	CHECK_INT(use.msgs, 2);
	/* Another writer's line after ours. */
	if ((fd = open(QUOTA_FILE, O_WRONLY | O_APPEND)) == -1 ||
	    write(fd, "7 1\n", 4) != 4 || close(fd) == -1)
		exit(2);
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)), QUOTA_READ);
	CHECK_INT(use.bytes, 157);
	CHECK_INT(use.msgs, 3);
	/* Another writer's line before ours: ours does not hide it. */
	if ((fd = open(QUOTA_FILE, O_WRONLY | O_APPEND)) == -1 ||
	    write(fd, "3 1\n", 4) != 4 || close(fd) == -1)
		exit(2);
	CHECK_INT(quota_add(mdfd, &lim, 10, 1, msg, sizeof(msg)), 0);
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)), QUOTA_READ);
	CHECK_INT(use.bytes, 170);
	CHECK_INT(use.msgs, 5);
	/* Replaced by a rename (a recalculation elsewhere). */
	put("tmp/new", "1000000S\n200 9\n", -1);
	if (rename("tmp/new", QUOTA_FILE) == -1)
		exit(2);
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)), QUOTA_READ);
	CHECK_INT(use.bytes, 200);
	CHECK_INT(use.msgs, 9);
	/* Replaced by one of the same size. */
	setfile("1000000S\n300 9\n", 0);
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)), QUOTA_READ);
	CHECK_INT(use.bytes, 300);
	/* Another limit: read again, and redefined. */
	lim.bytes = 2000000;
	CHECK_INT(quota_read(mdfd, &lim, &use, msg, sizeof(msg)),
	    QUOTA_REDEFINED);
}

/*
 * A total an append takes past int64_t: a user who may write his
 * maildirsize puts the largest count in it, and the next delivery's
 * line takes the sum past it (signed overflow in the kept count,
 * which UBSan stops at).  Damage, as quota_parse finds it in the file:
 * the next read recalculates, and the count is the maildir's, never a
 * wrapped one.  For bytes, and for messages.
 */
static void
test_overflow(void)
{
	static const struct {
		const char		*file, *def;
		struct quota_limit	 lim;
	} t[] = {
		{ "0S,100C\n9223372036854775807 0\n", "100C", { 0, 100 } },
		{ "1000000S\n0 9223372036854775807\n", "1000000S",
		    { 1000000, 0 } },
	};
	struct quota_use	truth, use;
	char			msg[256];
	size_t			i;

	for (i = 0; i < nitems(t); i++) {
		CHECK_INT(quota_recalc(mdfd, &t[i].lim, &truth, NULL, 0), 0);
		setfile(t[i].file, 0);
		CHECK_INT(quota_read(mdfd, &t[i].lim, &use, msg, sizeof(msg)),
		    QUOTA_READ);
		CHECK(use.bytes == INT64_MAX || use.msgs == INT64_MAX,
		    "%s: read %lld bytes, %lld messages", t[i].def,
		    (long long)use.bytes, (long long)use.msgs);
		CHECK_INT(quota_add(mdfd, &t[i].lim, 50, 1, msg, sizeof(msg)),
		    0);
		CHECK_INT(quota_read(mdfd, &t[i].lim, &use, msg, sizeof(msg)),
		    QUOTA_DAMAGED);
		CHECK(strcmp(msg, QUOTA_FILE " line 3: total out of range") ==
		    0, "got \"%s\"", msg);
		CHECK_INT(use.bytes, truth.bytes);
		CHECK_INT(use.msgs, truth.msgs);
		CHECK(file_is(t[i].def, truth.bytes, truth.msgs),
		    "%s: not recalculated", t[i].def);
	}
}

static int
appender(int i)
{
	struct quota_limit	lim = { 1000000, 0 };
	int			j;

	for (j = 0; j < NAPPENDS; j++)
		if (quota_add(mdfd, &lim, i + 1, 1, NULL, 0) == -1)
			return 1;
	return 0;
}

/* NWRITERS processes appending NAPPENDS lines each at once. */
static void
test_concurrent(void)
{
	struct quota_limit	 lim = { 1000000, 0 }, def;
	struct quota_use	 use, before;
	const char		*buf, *p, *nl;
	size_t			 len;
	int			 i, bad = 0, lines = 0;
	int			 seen[NWRITERS] = { 0 };
	long long		 b, m;

	CHECK_INT(quota_recalc(mdfd, &lim, &before, NULL, 0), 0);
	CHECK_INT(children(NWRITERS, appender, NULL), 0);
	if ((buf = current(&len)) == NULL)
		abort();
	CHECK_INT(quota_parse(buf, len, &def, &use, NULL, 0),
	    1 + NWRITERS * NAPPENDS);
	CHECK_INT(use.bytes, before.bytes +
	    (int64_t)NAPPENDS * NWRITERS * (NWRITERS + 1) / 2);
	CHECK_INT(use.msgs, before.msgs + NWRITERS * NAPPENDS);
	/* Each line whole, as one writer wrote it. */
	p = strchr(strchr(buf, '\n') + 1, '\n') + 1;
	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1, lines++) {
		if (sscanf(p, "%lld %lld", &b, &m) != 2 || b < 1 ||
		    b > NWRITERS || m != 1) {
			bad++;
			continue;
		}
		seen[b - 1]++;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(lines, NWRITERS * NAPPENDS);
	for (i = 0; i < NWRITERS; i++)
		CHECK(seen[i] == NAPPENDS, "writer %d: %d lines", i + 1,
		    seen[i]);
	/* Past the size rule: the next read recalculates. */
	CHECK_INT(quota_read(mdfd, &lim, &use, NULL, 0), QUOTA_SIZERULE);
	CHECK_INT(use.bytes, before.bytes);
	CHECK_INT(use.msgs, before.msgs);
}

/*
 * A deliverer of test_race: a message into new/, then its line; every
 * third one removed again, then its negative line.
 */
static int
deliverer(int i)
{
	struct quota_limit	lim = { 1000000, 0 };
	char			name[128];
	int			j;

	for (j = 0; j < NDELIVER; j++) {
		snprintf(name, sizeof(name), "new/1800000000.M%dP%d.race,S=10",
		    j, i);
		put(name, NULL, 10);
		if (quota_add(mdfd, &lim, 10, 1, NULL, 0) == -1)
			return 1;
		if (j % 3 == 2 && (unlink(name) == -1 ||
		    quota_add(mdfd, &lim, -10, -1, NULL, 0) == -1))
			return 1;
	}
	return 0;
}

/* The parent of test_race: recalculations while they deliver. */
static int	race_recalcs, race_unparsable;

static int
recalculator(void)
{
	struct quota_limit	 lim = { 1000000, 0 }, def;
	struct quota_use	 use;
	const char		*buf;
	size_t			 len;
	int			 rv;

	rv = quota_recalc(mdfd, &lim, &use, NULL, 0) == -1;
	race_recalcs++;
	if ((buf = current(&len)) == NULL ||
	    quota_parse(buf, len, &def, &use, NULL, 0) < 1)
		race_unparsable++;
	return rv;
}

/*
 * Deliverers racing recalculations: the file parses throughout and at
 * the end, tmp/ is clean, and a recalculation once all is quiet finds
 * the truth.
 */
static void
test_race(void)
{
	struct quota_limit	 lim = { 1000000, 0 }, def;
	struct quota_use	 quiet, before, end;
	const char		*buf;
	size_t			 len;
	int64_t			 kept = NRACERS * (NDELIVER - NDELIVER / 3);

	CHECK_INT(quota_recalc(mdfd, &lim, &before, NULL, 0), 0);
	CHECK_INT(children(NRACERS, deliverer, recalculator), 0);
	CHECK_INT(race_unparsable, 0);
	CHECK_INT(tmp_files(), 1);
	buf = current(&len);
	CHECK(buf != NULL && quota_parse(buf, len, &def, &end, NULL, 0) >= 1,
	    "the file after the race does not parse");
	CHECK_INT(quota_recalc(mdfd, &lim, &quiet, NULL, 0), 0);
	CHECK_INT(quiet.msgs, before.msgs + kept);
	CHECK_INT(quiet.bytes, before.bytes + 10 * kept);
	/* Figures, not checks: the bound is for the documentation. */
	printf("race: %d recalculations, the file off by %lld messages "
	    "at the end\n", race_recalcs, (long long)(end.msgs - quiet.msgs));
}

/* popd.conf's and the quota tables' way to write a limit. */
static void
test_spec(void)
{
	static const struct {
		const char	*in;
		int		 ok;
		uint64_t	 bytes, msgs;
		const char	*out;
	} t[] = {
		{ "none", 1, 0, 0, "none" },
		{ "0", 1, 0, 0, "none" },
		{ "1G", 1, 1073741824ULL, 0, "1G" },
		{ "1g", 1, 1073741824ULL, 0, "1G" },
		{ "1GB", 1, 1073741824ULL, 0, "1G" },
		{ "500M", 1, 524288000ULL, 0, "500M" },
		{ "1536K", 1, 1572864ULL, 0, "1536K" },
		{ "1048576", 1, 1048576ULL, 0, "1M" },
		{ "1000", 1, 1000, 0, "1000" },
		{ "2T", 1, 2199023255552ULL, 0, "2T" },
		{ "10M messages 1000", 1, 10485760ULL, 1000,
		    "10M messages 1000" },
		{ "messages 20", 1, 0, 20, "messages 20" },
		{ "  10M \tmessages   5 ", 1, 10485760ULL, 5,
		    "10M messages 5" },
		{ "8388607T", 1, 9223370937343148032ULL, 0, "8388607T" },
		{ "8388608T", 0, 0, 0, NULL },		/* over 2^63 */
		{ "99999999999999999999", 0, 0, 0, NULL },
		{ "10X", 0, 0, 0, NULL },
		{ "-5M", 0, 0, 0, NULL },
		{ "0M messages 5", 0, 0, 0, NULL },
		{ "5M messages 0", 0, 0, 0, NULL },
		{ "5M messages 1K", 0, 0, 0, NULL },
		{ "5M messages", 0, 0, 0, NULL },
		{ "5M 6M", 0, 0, 0, NULL },
		{ "messages 5 5M", 0, 0, 0, NULL },
		{ "", 0, 0, 0, NULL },
		{ "1048576S,100C", 0, 0, 0, NULL },
	};
	struct quota_limit	lim;
	char			buf[64], err[128];
	size_t			i;
	int			r;

	for (i = 0; i < nitems(t); i++) {
		err[0] = '\0';
		r = quota_spec_parse(t[i].in, &lim, err, sizeof(err));
		CHECK(r == (t[i].ok ? 0 : -1), "spec \"%s\": %d (%s)",
		    t[i].in, r, err);
		if (!t[i].ok) {
			CHECK(err[0] != '\0', "spec \"%s\": a reason",
			    t[i].in);
			CHECK(lim.bytes == 0 && lim.msgs == 0,
			    "spec \"%s\": no limit left", t[i].in);
			continue;
		}
		CHECK(lim.bytes == t[i].bytes && lim.msgs == t[i].msgs,
		    "spec \"%s\": %llu %llu", t[i].in,
		    (unsigned long long)lim.bytes,
		    (unsigned long long)lim.msgs);
		(void)quota_spec_format(&lim, buf, sizeof(buf));
		CHECK_STR(buf, t[i].out);
	}
}

/* mda without -q: the limit maildirsize's first line states. */
static void
test_file_limit(void)
{
	struct quota_limit	lim;

	(void)unlink(QUOTA_FILE);
	CHECK_INT(quota_file_limit(mdfd, &lim), 0);
	put(QUOTA_FILE, "1048576S,100C\n5 1\n", -1);
	CHECK_INT(quota_file_limit(mdfd, &lim), 1);
	CHECK(lim.bytes == 1048576 && lim.msgs == 100, "the file's limit");
	put(QUOTA_FILE, "0S\n5 1\n", -1);
	CHECK_INT(quota_file_limit(mdfd, &lim), 0);
	put(QUOTA_FILE, "garbage", -1);
	CHECK_INT(quota_file_limit(mdfd, &lim), 0);
	CHECK(lim.bytes == 0 && lim.msgs == 0, "damage: no limit");
	(void)unlink(QUOTA_FILE);
	CHECK(symlink("/etc/passwd", QUOTA_FILE) == 0, "symlink");
	CHECK_INT(quota_file_limit(mdfd, &lim), 0);
	(void)unlink(QUOTA_FILE);
	/* wrkrpop's way: no file, no limit: nothing made. */
	CHECK_INT(quota_add(mdfd, NULL, -100, -1, NULL, 0), 0);
	CHECK(access(QUOTA_FILE, F_OK) == -1, "no maildirsize made");
}

int
main(void)
{
	char	cmd[256];

	test_def();
	test_parse();
	test_checks();
	test_spec();

	/* The maildir is the working directory: paths are relative. */
	(void)strlcpy(base, "/tmp/test_quota.XXXXXX", sizeof(base));
	if (mkdtemp(base) == NULL || chdir(base) == -1 ||
	    maildir_create("Maildir") == -1 || chdir("Maildir") == -1 ||
	    (mdfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		perror(base);
		return 2;
	}
	test_read();
	test_cache();
	test_overflow();
	test_file_limit();
	test_concurrent();
	test_race();
	close(mdfd);

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (chdir("/") == -1 || system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", base);
	return unit_done();
}
