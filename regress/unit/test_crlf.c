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
 * test_crlf -- CRLF conversion, dot-stuffing, TOP limits and the RFC
 * 1939 size of crlf.c: literal expectations for odd inputs, then random
 * inputs against a byte-at-a-time reference, each split at every chunk
 * boundary and squeezed through tiny output buffers.  The invariant
 * under test: un-stuffed output minus the terminator == crlf_size.
 * Also the maildir rules built on it (maildir.c): sizes from ",W=" in
 * file names, and UIDLs, whose hashed form is pinned: it must never
 * change.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crlf.h"
#include "maildir.h"
#include "unit.h"

struct buf {
	char	*p;
	size_t	 len, cap;
};

static void
buf_add(struct buf *b, const char *p, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 16;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			abort();
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

/* The dots the last convert() stuffed, as crlf_convert counted them. */
static long long	conv_stuffed;

/*
 * Convert in, split at split, through an output buffer of outsz bytes.
 */
static void
convert(const char *in, size_t len, size_t split, size_t outsz,
    long long top, struct buf *b)
{
	struct crlf	 st;
	char		 out[65536];
	size_t		 off, end, used, n;

	b->len = 0;
	crlf_init(&st, top);
	for (off = 0; off < len && !st.done; ) {
		end = off < split ? split : len;
		while (off < end && !st.done) {
			n = crlf_convert(&st, in + off, end - off, out, outsz,
			    &used);
			buf_add(b, out, n);
			off += used;
			if (n == 0 && used == 0 && !st.done) {
				printf("FAIL no progress at %zu\n", off);
				abort();
			}
		}
	}
	n = crlf_finish(&st, out, outsz < 5 ? 5 : outsz);
	buf_add(b, out, n);
	conv_stuffed = st.stuffed;
}

/*
 * The reference: one byte at a time, straight from RFC 1939 and the
 * rules in crlf.c's header comment.
 */
static void
reference(const char *in, size_t len, long long top, struct buf *b)
{
	size_t		i;
	int		bol = 1, prev = -1, inbody = 0, done = 0;
	size_t		linelen = 0;
	long long	left = top;
	char		c;

	b->len = 0;
	for (i = 0; i < len && !done; i++) {
		c = in[i];
		if (c == '\n') {
			if (prev != '\r')
				buf_add(b, "\r", 1);
			buf_add(b, "\n", 1);
			if (top >= 0) {
				if (!inbody) {
					if (linelen == 0 ||
					    (linelen == 1 && prev == '\r')) {
						inbody = 1;
						if (left == 0)
							done = 1;
					}
				} else if (--left == 0)
					done = 1;
			}
			bol = 1;
			linelen = 0;
			prev = c;
			continue;
		}
		if ((bol || prev == '\r') && c == '.')
			buf_add(b, ".", 1);
		buf_add(b, &c, 1);
		bol = 0;
		linelen++;
		prev = (unsigned char)c;
	}
	if (!bol)
		buf_add(b, "\r\n", 2);
	buf_add(b, ".\r\n", 3);
}

/*
 * Undo dot-stuffing as a client that ends lines at a CR or an LF alike
 * does (bare-CR smuggling); -1 if a line is a lone "." anywhere but at
 * the very end.  Returns the message octets.
 */
static long long
unstuffed_len(const struct buf *b)
{
	size_t		i, start = 0;
	long long	n = 0;

	for (i = 0; i < b->len; i++) {
		if (b->p[i] != '\r' && b->p[i] != '\n')
			continue;
		if (i - start == 1 && b->p[start] == '.')
			return i + 2 == b->len && b->p[i] == '\r' &&
			    b->p[i + 1] == '\n' ? n : -1;
		if (i > start && b->p[start] == '.')
			n--;
		n += i + 1 - start;
		start = i + 1;
	}
	return -1;
}

static off_t
size_of(const char *in, size_t len)
{
	FILE	*f;
	off_t	 n;

	if ((f = tmpfile()) == NULL || fwrite(in, 1, len, f) != len ||
	    fflush(f) != 0) {
		perror("tmpfile");
		abort();
	}
	n = crlf_size(fileno(f));
	fclose(f);
	return n;
}

static int
same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* Every size function agrees, at every split. */
/*
 * Every split of the input must give the same size: one check per input,
 * naming the first split that differs.
 */
static void
check_sizes(const char *in, size_t len, off_t want, const char *what)
{
	struct crlf	st;
	off_t		n;
	size_t		k;

	CHECK(size_of(in, len) == want, "%s: crlf_size expected %lld, "
	    "got %lld", what, (long long)want, (long long)size_of(in, len));
	for (k = 0; k <= len; k++) {
		crlf_init(&st, -1);
		n = crlf_count(&st, in, k);
		n += crlf_count(&st, in + k, len - k);
		n += crlf_count_finish(&st);
		if (n != want)
			break;
	}
	CHECK(k > len, "%s: split %zu: expected %lld, crlf_count %lld",
	    what, k, (long long)want, (long long)n);
}

/*
 * Whole conversions at every split and through tiny buffers: one check
 * per input, naming the first case that differs.
 */
static void
check_convert(const char *in, size_t len, long long top,
    const struct buf *want, const char *what)
{
	struct buf	got = { NULL, 0, 0 };
	size_t		k = 0, outsz[] = { 2, 3, 7, 65536 }, j;
	int		ok = 1, counted = 1;
	off_t		size = top < 0 ? size_of(in, len) : 0;

	for (j = 0; ok && counted && j < sizeof(outsz) / sizeof(outsz[0]);
	    j++) {
		for (k = 0; ok && counted && k <= len; k++) {
			convert(in, len, k, outsz[j], top, &got);
			ok = same(&got, want);
			/* RETR's count: what went out less stuffing and ".CRLF" */
			counted = top >= 0 ||
			    (off_t)got.len - conv_stuffed - 3 == size;
		}
	}
	CHECK(ok, "%s: top %lld split %zu outsz %zu: expected %zu bytes, "
	    "got %zu", what, top, k - 1, outsz[j - 1], want->len, got.len);
	CHECK(counted, "%s: split %zu outsz %zu: %zu octets sent less %lld "
	    "stuffed and 3 is not the size %lld", what, k - 1, outsz[j - 1],
	    got.len, conv_stuffed, (long long)size);
	free(got.p);
}

struct odd {
	const char	*name;
	const char	*in;
	size_t		 inlen;
	const char	*out;		/* stuffed, terminator included */
	size_t		 outlen;
	off_t		 size;
};

#define S(x)	x, sizeof(x) - 1

static const struct odd odds[] = {
	{ "empty",		S(""),		S(".\r\n"),		0 },
	{ "one byte",		S("a"),		S("a\r\n.\r\n"),	3 },
	{ "LF",			S("a\n"),	S("a\r\n.\r\n"),	3 },
	{ "CRLF",		S("a\r\n"),	S("a\r\n.\r\n"),	3 },
	{ "final CR",		S("a\r"),	S("a\r\r\n.\r\n"),	4 },
	{ "lone CR",		S("\r"),	S("\r\r\n.\r\n"),	3 },
	{ "lone LF",		S("\n"),	S("\r\n.\r\n"),		2 },
	{ "CR CR LF",		S("a\r\r\n"),	S("a\r\r\n.\r\n"),	4 },
	{ "bare CR mid",	S("a\rb\n"),	S("a\rb\r\n.\r\n"),	5 },
	{ "LF CR",		S("a\n\rb"),	S("a\r\n\rb\r\n.\r\n"),	7 },
	{ "dot line",		S(".\n"),	S("..\r\n.\r\n"),	3 },
	{ "dot no LF",		S("."),		S("..\r\n.\r\n"),	3 },
	{ "dots",		S("..\r\n"),	S("...\r\n.\r\n"),	4 },
	{ "dot after LF",	S("x\n.\r\n.y"),
	    S("x\r\n..\r\n..y\r\n.\r\n"),			10 },
	{ "dot after CR",	S("a\r.b\n"),	S("a\r..b\r\n.\r\n"),	6 },
	{ "CR dot CR",		S("A\r.\r\n+OK x\r\nB"),
	    S("A\r..\r\n+OK x\r\nB\r\n.\r\n"),			15 },
	{ "CR dots",		S("\r.\r.."),	S("\r..\r...\r\n.\r\n"),	7 },
	{ "dot mid line",	S("a.b\n"),	S("a.b\r\n.\r\n"),	5 },
	{ "NULs",		S("\0\n\0"),	S("\0\r\n\0\r\n.\r\n"),	6 },
	{ "CRLF CRLF",		S("\r\n\r\n"),	S("\r\n\r\n.\r\n"),	4 },
	{ "mixed",		S("a\r\nb\nc\r\n"),
	    S("a\r\nb\r\nc\r\n.\r\n"),				9 },
	{ "terminator-like",	S("\r\n.\r\n"),	S("\r\n..\r\n.\r\n"),	5 },
};

struct topcase {
	const char	*name;
	const char	*in;
	size_t		 inlen;
	long long	 top;
	const char	*out;
	size_t		 outlen;
};

#define MSG	"H1: a\nH2: b\n\nl1\n.l2\nl3\n"

static const struct topcase tops[] = {
	{ "top 0", S(MSG), 0, S("H1: a\r\nH2: b\r\n\r\n.\r\n") },
	{ "top 1", S(MSG), 1, S("H1: a\r\nH2: b\r\n\r\nl1\r\n.\r\n") },
	{ "top 2", S(MSG), 2,
	    S("H1: a\r\nH2: b\r\n\r\nl1\r\n..l2\r\n.\r\n") },
	{ "top 3", S(MSG), 3,
	    S("H1: a\r\nH2: b\r\n\r\nl1\r\n..l2\r\nl3\r\n.\r\n") },
	{ "top 99", S(MSG), 99,
	    S("H1: a\r\nH2: b\r\n\r\nl1\r\n..l2\r\nl3\r\n.\r\n") },
	{ "top CRLF", S("H: a\r\n\r\nb\r\nc\r\n"), 1,
	    S("H: a\r\n\r\nb\r\n.\r\n") },
	{ "top no body", S("H: a\n"), 0, S("H: a\r\n.\r\n") },
	{ "top no sep, no LF", S("H: a"), 5, S("H: a\r\n.\r\n") },
	{ "top CR line not blank", S("H: a\n\r\r\nb\n\nc\n"), 0,
	    S("H: a\r\n\r\r\nb\r\n\r\n.\r\n") },
	{ "top last line open", S("H: a\n\nb"), 3,
	    S("H: a\r\n\r\nb\r\n.\r\n") },
	{ "top empty", S(""), 0, S(".\r\n") },
	{ "top only separator", S("\n\nx\n"), 0, S("\r\n.\r\n") },
};

static void
check_uidl(const char *name, const char *want)
{
	char	out[UIDL_MAX + 1];

	CHECK(maildir_uidl(name, out, sizeof(out)) == 0, "uidl of %s", name);
	CHECK_STR(out, want);
}

static void
check_msgsize(int dfd, const char *name, off_t want)
{
	off_t	got = -2;

	CHECK(maildir_msgsize(dfd, name, &got) == 0 && got == want,
	    "size of %s: expected %lld, got %lld", name, (long long)want,
	    (long long)got);
}

static void
check_seen(const char *base, const char *want)
{
	char	out[PATH_MAX];

	CHECK(maildir_seen_name(base, out, sizeof(out)) == 0,
	    "seen name of %s", base);
	CHECK_STR(out, want);
}

/* The maildir path of popd -e and mda -e, and the cur/ name of RETR. */
/* Delivery order (wrkrpop.8): seconds, then ".M<usec>", as numbers. */
static void
maildir_order(void)
{
	static const char	*sorted[] = {
		"new/999999999.M5P1.h",
		"cur/1700000000.M78422P9.h:2,S",
		"new/1700000000.M104643P1.h",
		"new/1700000000.M0104644P1.h",
		"new/1700000000.M999999P1.h",
		"new/1700000000.P5Q1.h",
		"new/1700000001.M1P1.h",
		"new/01700000002.M1P1.h",
		"new/17000000000.M1P1.h",
		"new/abc",
	};
	size_t			 i, j;
	int			 c;

	for (i = 0; i < nitems(sorted); i++)
		for (j = 0; j < nitems(sorted); j++) {
			c = maildir_namecmp(sorted[i], sorted[j]);
			CHECK((i < j && c < 0) || (i == j && c == 0) ||
			    (i > j && c > 0), "%s against %s: %d", sorted[i],
			    sorted[j], c);
		}
}

static void
maildir_names(void)
{
	char	out[PATH_MAX], small[8];

	CHECK(settings_subdir_ok("Maildir"), "Maildir is a subdir");
	CHECK(settings_subdir_ok("mail/inbox"), "mail/inbox is a subdir");
	CHECK(!settings_subdir_ok(""), "empty subdir refused");
	CHECK(!settings_subdir_ok("/etc"), "absolute subdir refused");
	CHECK(!settings_subdir_ok("../x"), "subdir with .. refused");
	CHECK(!settings_subdir_ok("a/..b"), "subdir with .. refused");
	CHECK_INT(settings_maildir(out, sizeof(out), "/home/a", "Maildir"), 0);
	CHECK_STR(out, "/home/a/Maildir");
	CHECK_INT(settings_maildir(out, sizeof(out), "/home/a", NULL), 0);
	CHECK_STR(out, "/home/a");
	CHECK_INT(settings_maildir(small, sizeof(small), "/home/a", "M"), -1);
	CHECK_INT(settings_maildir(small, sizeof(small), "/home/a/", NULL), -1);

	check_seen("1.x", "cur/1.x:2,S");
	check_seen("1.x:2,", "cur/1.x:2,S");
	check_seen("1.x:2,S", "cur/1.x:2,S");
	check_seen("1.x:2,TFaS", "cur/1.x:2,FSTa");
	check_seen("1.x:2,RRF", "cur/1.x:2,FRS");
	check_seen("1.x:1,abc", "cur/1.x:1,abc");
	check_seen("1.x:2,a1", "cur/1.x:2,a1");

	/* popd's own names: W= is what popd sends. */
	CHECK_INT(maildir_namesize("new/1700000000.M000001P2R0123abcd.x,S=10,W=12"), 12);
	CHECK_INT(maildir_namesize("new/1700000000.M000001P2R0123abcd.x,S=10"), -1);
	CHECK_INT(maildir_namesize("cur/1700000000.M000001P2R0123abcd.x,S=10,W=9:2,S"), -1);
	CHECK_INT(maildir_namesize("cur/1700000000.M000001P2R0123abcd.x,S=10,W=12:2,S"), 12);
	CHECK_INT(maildir_namesize("new/1700000000.M1P2R0123abcd,S=1,W=2"), 2);
	/* Other servers' names: the file must say (maildir_msgsize). */
	CHECK_INT(maildir_namesize("new/1.x,S=10,W=12"), -1);
	CHECK_INT(maildir_namesize("new/1700000000.M1P2.host,S=10,W=12"), -1);
	CHECK_INT(maildir_namesize("new/1700000000.M1P2R0123abc.h,S=1,W=2"),
	    -1);
	CHECK_INT(maildir_namesize("new/1700000000.M1P2R0123abcg.h,S=1,W=2"),
	    -1);
}

/* A file named as another server names it, in directory dir. */
static void
dovecot_file(const char *dir, const char *name, const char *data)
{
	char	path[PATH_MAX];
	FILE	*f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(data, f) < 0 ||
	    fclose(f) != 0) {
		perror(path);
		abort();
	}
}

static void
maildir_rules(void)
{
	char	dir[] = "/tmp/test_crlf.XXXXXX", path[PATH_MAX], out[8];
	FILE	*f;
	int	 dfd;

	check_uidl("new/1700000000.M1P2.host,S=5,W=7",
	    "1700000000.M1P2.host,S=5,W=7");
	check_uidl("cur/1700000000.M1P2.host:2,FS", "1700000000.M1P2.host");
	check_uidl("x", "x");
	/* 0x21-0x7E, at most 70 characters, else the pinned hash. */
	check_uidl("new/3002 has space", "Hc3fffa57c36a372e3bd9f6cb618bfd2a");
	check_uidl("cur/3002 has space:2,S",
	    "Hc3fffa57c36a372e3bd9f6cb618bfd2a");
	check_uidl("new/\xc3\xa9t\xc3\xa9",
	    "H009a8f0e88b5185715d04b1daaf2cdcb");
	check_uidl(":2,S", "Hcbf29ce4842223258daa6763c970c119");
	memset(path, 'a', UIDL_MAX + 1);
	path[UIDL_MAX] = '\0';
	check_uidl(path, path);
	path[UIDL_MAX] = 'a';
	path[UIDL_MAX + 1] = '\0';
	check_uidl(path, "Hf39b401dc15e64ded62d00da1909885a");
	CHECK(maildir_uidl("new/abcdefgh", out, sizeof(out)) == -1,
	    "uidl: short buffer refused");

	if (mkdtemp(dir) == NULL || (dfd = open(dir, O_RDONLY |
	    O_DIRECTORY)) == -1) {
		perror(dir);
		abort();
	}
	(void)snprintf(path, sizeof(path), "%s/f", dir);
	if ((f = fopen(path, "w")) == NULL || fputs("a\nb", f) < 0 ||
	    fclose(f) != 0) {
		perror(path);
		abort();
	}
	check_msgsize(dfd, "f", 6);
	/* No such file: sizes below come from popd's own name alone. */
	check_msgsize(dfd, "1700000000.M000001P2R0123abcd.x,W=123", 123);
	check_msgsize(dfd, "1700000000.M000001P2R0123abcd.x,S=100,W=150:2,S", 150);
	check_msgsize(dfd, "1700000000.M000001P2R0123abcd.x,W=0", 0);
	/*
	 * Dovecot's names without a final newline (issue 43): "a\nb" is
	 * S=3,W=4, and popd sends "a\r\nb\r\n"; with one, W= is what
	 * popd sends.  Another server's W= alone is not believed.
	 */
	dovecot_file(dir, "1700000000.M1P2.host,S=3,W=4", "a\nb");
	check_msgsize(dfd, "1700000000.M1P2.host,S=3,W=4", 6);
	dovecot_file(dir, "1700000000.M3P4.host,S=4,W=6:2,S", "a\nb\n");
	check_msgsize(dfd, "1700000000.M3P4.host,S=4,W=6:2,S", 6);
	dovecot_file(dir, "1700000000.M5P6.host,S=7,W=8", "a\r\nb\nc");
	check_msgsize(dfd, "1700000000.M5P6.host,S=7,W=8", 10);
	{
		off_t	got;

		CHECK(maildir_msgsize(dfd, "1.x,W=123", &got) == -1,
		    "another server's W= without its file not believed");
	}
	{
		off_t	got;

		/* Not a believable W=: the file is read, and is missing. */
		CHECK(maildir_msgsize(dfd, "1.x,S=100,W=99", &got) == -1,
		    "W= below S= not believed");
		CHECK(maildir_msgsize(dfd, "1.x,S=100,W=203", &got) == -1,
		    "W= above 2S+2 not believed");
		CHECK(maildir_msgsize(dfd, "1.x,W=12a", &got) == -1,
		    "W= with junk not believed");
		CHECK(maildir_msgsize(dfd, "1.x,W=", &got) == -1,
		    "empty W= not believed");
		CHECK(maildir_msgsize(dfd, "1.x:2,W=5", &got) == -1,
		    "W= in the flags not believed");
		CHECK(maildir_msgsize(dfd, "1.x,W=1234567890123456789", &got)
		    == -1, "19-digit W= not believed");
	}
	(void)unlink(path);
	(void)unlinkat(dfd, "1700000000.M1P2.host,S=3,W=4", 0);
	(void)unlinkat(dfd, "1700000000.M3P4.host,S=4,W=6:2,S", 0);
	(void)unlinkat(dfd, "1700000000.M5P6.host,S=7,W=8", 0);
	close(dfd);
	(void)rmdir(dir);
}

int
main(void)
{
	struct buf	 want = { NULL, 0, 0 }, got = { NULL, 0, 0 };
	char		*big, rnd[48];
	const char	 alpha[] = "a.\r\n\0";
	size_t		 i, j, len;
	long long	 top;

	for (i = 0; i < sizeof(odds) / sizeof(odds[0]); i++) {
		const struct odd *o = &odds[i];

		want.len = 0;
		buf_add(&want, o->out, o->outlen);
		check_convert(o->in, o->inlen, -1, &want, o->name);
		check_sizes(o->in, o->inlen, o->size, o->name);
		CHECK(unstuffed_len(&want) == o->size, "%s: unstuffed "
		    "expected %lld, got %lld", o->name, (long long)o->size,
		    unstuffed_len(&want));
		reference(o->in, o->inlen, -1, &got);
		CHECK(same(&got, &want), "%s: reference disagrees", o->name);
	}

	for (i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
		const struct topcase *t = &tops[i];

		want.len = 0;
		buf_add(&want, t->out, t->outlen);
		check_convert(t->in, t->inlen, t->top, &want, t->name);
		reference(t->in, t->inlen, t->top, &got);
		CHECK(same(&got, &want), "%s: reference disagrees", t->name);
	}

	/* 1 MB without a line end, and 1 MB of line ends. */
	len = 1024 * 1024;
	if ((big = malloc(len)) == NULL)
		abort();
	memset(big, 'x', len);
	convert(big, len, len / 3, 65536, -1, &got);
	CHECK(got.len == len + 5, "long line: expected %zu, got %zu",
	    len + 5, got.len);
	CHECK(size_of(big, len) == (off_t)len + 2, "long line size: "
	    "expected %zu, got %lld", len + 2, (long long)size_of(big, len));
	CHECK(unstuffed_len(&got) == (long long)len + 2, "long line "
	    "unstuffed");
	memset(big, '\n', len);
	convert(big, len, 65535, 65536, -1, &got);
	CHECK(got.len == 2 * len + 3, "LFs: expected %zu, got %zu",
	    2 * len + 3, got.len);
	CHECK(size_of(big, len) == 2 * (off_t)len, "LFs size");
	memset(big, '.', len);
	for (i = 0; i < len; i += 1000)
		big[i] = '\n';
	convert(big, len, 4097, 65536, -1, &got);
	reference(big, len, -1, &want);
	CHECK(same(&got, &want), "dotted lines: differs from reference");
	CHECK(unstuffed_len(&got) == size_of(big, len), "dotted lines: "
	    "unstuffed %lld, size %lld", unstuffed_len(&got),
	    (long long)size_of(big, len));
	free(big);

	/* Random messages over a nasty alphabet, every split. */
	srandom(1939);
	for (i = 0; i < 3000; i++) {
		len = random() % sizeof(rnd);
		for (j = 0; j < len; j++)
			rnd[j] = alpha[random() % (sizeof(alpha) - 1)];
		top = i % 3 == 0 ? (long long)(random() % 4) : -1;
		reference(rnd, len, top, &want);
		check_convert(rnd, len, top, &want, "random");
		if (top == -1) {
			off_t sz = size_of(rnd, len);

			CHECK(unstuffed_len(&want) == sz, "random %zu: "
			    "unstuffed %lld, size %lld", i,
			    unstuffed_len(&want), (long long)sz);
			check_sizes(rnd, len, sz, "random");
		}
	}
	free(want.p);
	free(got.p);
	maildir_rules();
	maildir_names();
	maildir_order();
	return unit_done();
}
