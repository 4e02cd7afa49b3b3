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
 * test_apppass.c -- app passwords (common/apppass.c): the secret as a
 * person types it, the keyed hash against values of Python's hmac
 * module, records parsed, refused with their reason and printed back,
 * a user's records joined, the match, the key file's sizes and a file
 * of records scanned.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "apppass.h"
#include "log.h"
#include "unit.h"

#define NORM	"0123456789abcdefghjkmnpqrstv"
#define HASHA	"hmac-sha256:32c35febf0ce6991384c28de4f0b91ff" \
		"cc92d5f5df3c22f8aed5883464a29998"
#define REC	"phone " HASHA " 2026-11-25T10:00:00Z never any"

static char	dir[] = "/tmp/test_apppass.XXXXXX";

static void
shaped(void)
{
	static const struct {
		const char	*in;
		const char	*norm;	/* NULL: refused */
	} t[] = {
		{ NORM, NORM },
		{ "0123-4567-89ab-cdef-ghjk-mnpq-rstv", NORM },
		{ "0123 4567 89AB CDEF GHJK MNPQ RSTV", NORM },
		{ "0123456789ABCDEFGHJKMNPQRSTV", NORM },
		{ "-0123--4567-89ab cdef ghjk-mnpq-rstv-", NORM },
		/* o is zero, i and l are one, in either case */
		{ "o123456789abcdefghjkmnpqrstv", NORM },
		{ "O123456789abcdefghjkmnpqrstv", NORM },
		{ "0i23456789abcdefghjkmnpqrstv", NORM },
		{ "0L23456789abcdefghjkmnpqrstv", NORM },
		{ "0I23456789abcdefghjkmnpqrstv", NORM },
		/* u is no symbol, nor anything but letters and digits */
		{ "u123456789abcdefghjkmnpqrstv", NULL },
		{ "U123456789abcdefghjkmnpqrstv", NULL },
		{ "0123456789abcdefghjkmnpqrst_", NULL },
		{ "0123456789abcdefghjkmnpqrst\t", NULL },
		{ "0123456789abcdefghjkmnpqrst\xc3\xa9", NULL },
		/* 27 and 29 symbols, none, dashes alone */
		{ "0123456789abcdefghjkmnpqrst", NULL },
		{ "0123456789abcdefghjkmnpqrstvw", NULL },
		{ "0123-4567-89ab-cdef-ghjk-mnpq-rstv-w", NULL },
		{ "", NULL },
		{ "----", NULL },
		{ "0123456789abcdefghjkmnpqrstv0123456789abcdefghjkmnpqrstv",
		    NULL },
	};
	char	norm[APP_SECRETLEN + 1];
	size_t	i;
	int	r;

	for (i = 0; i < nitems(t); i++) {
		memset(norm, 'x', sizeof(norm));
		r = apppass_shaped(t[i].in, norm);
		CHECK(r == (t[i].norm != NULL), "apppass_shaped(\"%s\"): %d",
		    t[i].in, r);
		if (r == 1)
			CHECK_STR(norm, t[i].norm);
		else
			CHECK(norm[0] == '\0', "\"%s\": norm not wiped",
			    t[i].in);
	}
}

static void
secret(void)
{
	char	norm[APP_SECRETLEN + 1], shown[APP_SHOWNLEN + 1];
	char	back[APP_SECRETLEN + 1], other[APP_SECRETLEN + 1];
	size_t	i;

	apppass_secret(norm, shown);
	CHECK_INT(strlen(norm), APP_SECRETLEN);
	CHECK_INT(strlen(shown), APP_SHOWNLEN);
	CHECK_INT(strlen(shown), 34);
	for (i = 0; i < APP_SHOWNLEN; i++)
		CHECK(i % 5 == 4 ? shown[i] == '-' : shown[i] != '-',
		    "shown \"%s\": groups of four", shown);
	CHECK(strspn(norm, "0123456789abcdefghjkmnpqrstvwxyz") ==
	    APP_SECRETLEN, "norm \"%s\": symbols", norm);
	CHECK(apppass_shaped(shown, back) == 1 && strcmp(back, norm) == 0,
	    "shown \"%s\" reads back as \"%s\"", shown, norm);
	apppass_secret(other, shown);
	CHECK(strcmp(norm, other) != 0, "two secrets alike: %s", norm);
}

/*
 * The expected values were computed once, independently, with Python:
 *	python3 -c 'import hmac, hashlib
 *	n = b"0123456789abcdefghjkmnpqrstv"
 *	for k in (bytes(range(32)), bytes(range(64)),
 *	    bytes(i % 256 for i in range(100))):
 *		print(hmac.new(k, b"alice\0" + n, hashlib.sha256).hexdigest())
 *	print(hmac.new(bytes(range(32)), b"bob\0" + n,
 *	    hashlib.sha256).hexdigest())'
 * A key of 64 bytes is one block; one of 100 is hashed first (RFC 2104).
 */
static void
mac(void)
{
	static const struct {
		size_t		 keylen;
		const char	*user;
		const char	*hex;
	} t[] = {
		{ 32, "alice", "32c35febf0ce6991384c28de4f0b91ff"
		    "cc92d5f5df3c22f8aed5883464a29998" },
		{ 64, "alice", "038beacce4ae599463a6b3808b668484"
		    "222041ba75d94254cfa44b281e5a8d9f" },
		{ 100, "alice", "85b8e20e9c34f6a11f63488c2372a489"
		    "2c861cb83e1d19e893711d80fad2f063" },
		{ 32, "bob", "d6b0f9a0752c6f91b0a715174577fc927404ae0d7f6c7734"
		    "6941c005b04cc363" },
	};
	struct appkey	 key;
	char		 out[APP_HASHLEN + 1], want[APP_HASHLEN + 1];
	char		 path[PATH_MAX], why[160];
	size_t		 i, j;
	int		 fd;

	(void)snprintf(path, sizeof(path), "%s/mackey", dir);
	for (i = 0; i < nitems(t); i++) {
		memset(&key, 0, sizeof(key));
		for (j = 0; j < t[i].keylen; j++)
			key.k[j] = j % 256;
		key.len = t[i].keylen;
		memset(out, 'x', sizeof(out));
		apppass_mac(&key, t[i].user, NORM, out);
		(void)snprintf(want, sizeof(want), "%s%s", APP_HASHPFX,
		    t[i].hex);
		CHECK_STR(out, want);
		CHECK_INT(strlen(out), APP_HASHLEN);

		/*
		 * The same key from a file, as authpop and popdpass read
		 * it: its pads hashed once, at the read, and every hash
		 * the same as above.
		 */
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) ==
		    -1 || write(fd, key.k, key.len) != (ssize_t)key.len ||
		    close(fd) == -1) {
			CHECK(0, "%s: %s", path, strerror(errno));
			continue;
		}
		if (apppass_key(path, &key, why, sizeof(why)) == -1) {
			CHECK(0, "key of %zu bytes: %s", t[i].keylen, why);
			continue;
		}
		CHECK(key.padded, "key of %zu bytes read without its pads",
		    t[i].keylen);
		for (j = 0; j < 2; j++) {
			memset(out, 'x', sizeof(out));
			apppass_mac(&key, t[i].user, NORM, out);
			CHECK_STR(out, want);
		}
	}
}

static void
key_sizes(void)
{
	static const struct {
		size_t	len;
		int	ok;
	} t[] = {
		{ 0, 0 }, { 31, 0 }, { 32, 1 }, { 64, 1 }, { 4096, 1 },
		{ 4097, 0 }, { 10000, 0 },
	};
	struct appkey	 key;
	unsigned char	 buf[10000];
	char		 path[PATH_MAX], why[160];
	size_t		 i;
	int		 fd, r;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (i * 7 + 3) % 256;
	(void)snprintf(path, sizeof(path), "%s/key", dir);
	for (i = 0; i < nitems(t); i++) {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) ==
		    -1 || write(fd, buf, t[i].len) != (ssize_t)t[i].len ||
		    close(fd) == -1) {
			CHECK(0, "%s: %s", path, strerror(errno));
			return;
		}
		why[0] = '\0';
		r = apppass_key(path, &key, why, sizeof(why));
		CHECK(r == (t[i].ok ? 0 : -1), "key of %zu bytes: %d (%s)",
		    t[i].len, r, why);
		if (t[i].ok)
			CHECK(key.len == t[i].len &&
			    memcmp(key.k, buf, t[i].len) == 0,
			    "key of %zu bytes read as %zu", t[i].len, key.len);
		else {
			CHECK(strstr(why, "a key is 32 to 4096 bytes") !=
			    NULL, "key of %zu bytes: why \"%s\"", t[i].len,
			    why);
			CHECK(key.len == 0, "refused key of %zu: len %zu",
			    t[i].len, key.len);
		}
	}
	CHECK_INT(apppass_key(dir, &key, why, sizeof(why)), -1);
	CHECK_STR(why, "not a regular file");
	(void)snprintf(path, sizeof(path), "%s/none", dir);
	CHECK_INT(apppass_key(path, &key, why, sizeof(why)), -1);
	CHECK_STR(why, strerror(ENOENT));
}

static void
labels(void)
{
	char	l[APP_LABELMAX + 2];

	CHECK(apppass_valid_label("phone"), "phone");
	CHECK(apppass_valid_label("A.b_c-9"), "A.b_c-9");
	CHECK(!apppass_valid_label("main"), "main is reserved");
	CHECK(apppass_valid_label("mainx"), "mainx");
	CHECK(!apppass_valid_label(""), "empty label");
	CHECK(!apppass_valid_label("a b"), "a b");
	CHECK(!apppass_valid_label("a,b"), "a,b");
	CHECK(!apppass_valid_label("a;b"), "a;b");
	memset(l, 'a', sizeof(l));
	l[APP_LABELMAX] = '\0';
	CHECK(apppass_valid_label(l), "%d characters", APP_LABELMAX);
	l[APP_LABELMAX] = 'a';
	l[APP_LABELMAX + 1] = '\0';
	CHECK(!apppass_valid_label(l), "%d characters", APP_LABELMAX + 1);
}

/* parse, format, parse: the same record and the same text. */
static void
roundtrip(const char *text, const char *want)
{
	struct apprec	 r, r2;
	char		 buf[APP_RECSMAX], buf2[APP_RECSMAX], why[160];
	size_t		 i;

	why[0] = '\0';
	if (apppass_parse(text, &r, why, sizeof(why)) == -1) {
		CHECK(0, "\"%s\" refused: %s", text, why);
		return;
	}
	CHECK_INT(apppass_format(&r, buf, sizeof(buf)), 0);
	CHECK_STR(buf, want);
	CHECK_INT(apppass_parse(buf, &r2, why, sizeof(why)), 0);
	CHECK_STR(r2.label, r.label);
	CHECK_STR(r2.hash, r.hash);
	CHECK_INT(r2.created, r.created);
	CHECK_INT(r2.expires, r.expires);
	CHECK_INT(r2.nnets, r.nnets);
	for (i = 0; i < r.nnets && i < r2.nnets; i++)
		CHECK(r2.nets[i].af == r.nets[i].af &&
		    r2.nets[i].bits == r.nets[i].bits &&
		    memcmp(r2.nets[i].addr, r.nets[i].addr,
		    sizeof(r.nets[i].addr)) == 0, "%s: network %zu", text, i);
	CHECK_INT(apppass_format(&r2, buf2, sizeof(buf2)), 0);
	CHECK_STR(buf2, buf);
	/* Too short a buffer is said, never cut silently. */
	CHECK_INT(apppass_format(&r, buf, strlen(want)), -1);
	CHECK_INT(apppass_format(&r, buf, strlen(want) + 1), 0);
}

static void
records(void)
{
	struct apprec	 r;
	char		 why[160];

	roundtrip(REC, REC);
	roundtrip("  phone\t" HASHA "  2026-11-25T10:00:00Z\tnever any \t",
	    REC);
	roundtrip("laptop " HASHA " 2026-11-25T10:00:00Z "
	    "2027-01-31T23:59:59Z 192.0.2.0/24;2001:db8::/32;10.1.2.3",
	    "laptop " HASHA " 2026-11-25T10:00:00Z "
	    "2027-01-31T23:59:59Z 192.0.2.0/24;2001:db8::/32;10.1.2.3");
	/* An IPv4-mapped network is the IPv4 one. */
	roundtrip("x " HASHA " 2026-11-25T10:00:00Z never ::ffff:192.0.2.0/120",
	    "x " HASHA " 2026-11-25T10:00:00Z never 192.0.2.0/24");
	roundtrip("main barred", "main barred");
	roundtrip("  main \t barred ", "main barred");
	roundtrip("n " HASHA " 2026-11-25T10:00:00Z never "
	    "1.0.0.0/8;2.0.0.0/8;3.0.0.0/8;4.0.0.0/8;5.0.0.0/8;6.0.0.0/8;"
	    "7.0.0.0/8;8.0.0.0/8", "n " HASHA " 2026-11-25T10:00:00Z never "
	    "1.0.0.0/8;2.0.0.0/8;3.0.0.0/8;4.0.0.0/8;5.0.0.0/8;6.0.0.0/8;"
	    "7.0.0.0/8;8.0.0.0/8");

	CHECK_INT(apppass_parse(REC, &r, why, sizeof(why)), 0);
	CHECK_STR(r.label, "phone");
	CHECK_STR(r.hash, HASHA);
	CHECK_INT(r.created, 1795600800);	/* date -u -d ... +%s */
	CHECK_INT(r.expires, 0);
	CHECK_INT(r.nnets, 0);
	CHECK_INT(apppass_parse("main barred", &r, why, sizeof(why)), 0);
	CHECK_STR(r.label, "main");
	CHECK_STR(r.hash, "");
}

static void
bad_records(void)
{
	static const struct {
		const char	*rec;
		const char	*why;
	} t[] = {
		{ "", "fewer fields, not 5: label hash created expires from" },
		{ "main", "fewer fields, not 5" },
		{ "main open", "\"main\" is followed by \"barred\" or nothing "
		    "else" },
		{ "phone " HASHA " 2026-11-25T10:00:00Z never",
		    "fewer fields, not 5" },
		{ REC " more", "more fields, not 5" },
		{ REC " more and more", "more fields, not 5" },
		{ "main " HASHA " 2026-11-25T10:00:00Z never any",
		    "label \"main\": 1 to 32 letters, digits, \".\", \"_\" or "
		    "\"-\", not \"main\"" },
		{ "ph/one " HASHA " 2026-11-25T10:00:00Z never any",
		    "label \"ph/one\"" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa " HASHA
		    " 2026-11-25T10:00:00Z never any", "label \"aaaa" },
		{ "phone sha256:32c35febf0ce6991384c28de4f0b91ff"
		    "cc92d5f5df3c22f8aed5883464a29998 2026-11-25T10:00:00Z "
		    "never any",
		    "app password \"phone\": the hash is not hmac-sha256: and "
		    "64 hex digits" },
		{ "phone " HASHA "0 2026-11-25T10:00:00Z never any",
		    "the hash is not hmac-sha256: and 64 hex digits" },
		{ "phone hmac-sha256:32C35FEBF0CE6991384C28DE4F0B91FF"
		    "CC92D5F5DF3C22F8AED5883464A29998 2026-11-25T10:00:00Z "
		    "never any",
		    "the hash is not" },
		{ "phone hmac-sha256:g2c35febf0ce6991384c28de4f0b91ff"
		    "cc92d5f5df3c22f8aed5883464a29998 2026-11-25T10:00:00Z "
		    "never any",
		    "the hash is not" },
		{ "phone " HASHA " 2026-11-25 never any",
		    "app password \"phone\": created \"2026-11-25\" is not "
		    "YYYY-MM-DDTHH:MM:SSZ" },
		{ "phone " HASHA " never never any", "created \"never\"" },
		{ "phone " HASHA " 2026-11-25T10:00:00 never any",
		    "created \"2026-11-25T10:00:00\"" },
		{ "phone " HASHA " 2026-11-25T10:00:00Zx never any",
		    "created" },
		{ "phone " HASHA " 2026-13-25T10:00:00Z never any",
		    "created" },
		{ "phone " HASHA " 1970-01-01T00:00:00Z never any",
		    "created" },
		{ "phone " HASHA " 2026-11-25T10:00:00Z 2027 any",
		    "app password \"phone\": expires \"2027\" is not "
		    "YYYY-MM-DDTHH:MM:SSZ or never" },
		{ "phone " HASHA " 2026-11-25T10:00:00Z Never any",
		    "expires \"Never\"" },
		{ "phone " HASHA " 2026-11-25T10:00:00Z never anywhere",
		    "network \"anywhere\": not an IPv4 or IPv6 network "
		    "(app password \"phone\")" },
		{ "phone " HASHA " 2026-11-25T10:00:00Z never 10.0.0.0/33",
		    "network \"10.0.0.0/33\": prefix length is too large" },
		{ "phone " HASHA " 2026-11-25T10:00:00Z never 10.0.0.0/8;",
		    "network \"\": not an IPv4 or IPv6 network" },
		{ "phone " HASHA " 2026-11-25T10:00:00Z never 10.0.0.0/8,"
		    "11.0.0.0/8", "network \"10.0.0.0/8,11.0.0.0/8\"" },
		{ "phone " HASHA " 2026-11-25T10:00:00Z never "
		    "1.0.0.0/8;2.0.0.0/8;3.0.0.0/8;4.0.0.0/8;5.0.0.0/8;"
		    "6.0.0.0/8;7.0.0.0/8;8.0.0.0/8;9.0.0.0/8",
		    "more than 8 networks (app password \"phone\")" },
	};
	struct apprec	 r;
	char		 why[160], big[APP_RECSMAX + 10];
	size_t		 i;

	for (i = 0; i < nitems(t); i++) {
		why[0] = '\0';
		CHECK(apppass_parse(t[i].rec, &r, why, sizeof(why)) == -1,
		    "\"%s\" taken", t[i].rec);
		CHECK(strstr(why, t[i].why) != NULL, "\"%s\": expected "
		    "\"%s\" in \"%s\"", t[i].rec, t[i].why, why);
	}
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(apppass_parse(big, &r, why, sizeof(why)), -1);
	CHECK_STR(why, "record too long");
}

static void
split(void)
{
	struct apprec	 recs[APP_MAXPERUSER + 1];
	char		 buf[APP_RECSMAX * 2], why[160];
	size_t		 i;
	int		 n;

	n = apppass_split("", recs, APP_MAXPERUSER, why, sizeof(why));
	CHECK_INT(n, 0);
	n = apppass_split(" , ,", recs, APP_MAXPERUSER, why, sizeof(why));
	CHECK_INT(n, 0);
	n = apppass_split(REC, recs, APP_MAXPERUSER, why, sizeof(why));
	CHECK_INT(n, 1);
	/* Joined by "," or ", " (a database's GROUP_CONCAT, or a person). */
	n = apppass_split(REC ",main barred,tab " HASHA " 2026-11-25T10:00:00Z "
	    "2027-01-01T00:00:00Z 192.0.2.1", recs, APP_MAXPERUSER, why,
	    sizeof(why));
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(recs[0].label, "phone");
		CHECK_STR(recs[1].label, "main");
		CHECK_STR(recs[2].label, "tab");
		CHECK_INT(recs[2].nnets, 1);
	}
	n = apppass_split(REC ", main barred,\ttab " HASHA
	    " 2026-11-25T10:00:00Z never any", recs, APP_MAXPERUSER, why,
	    sizeof(why));
	CHECK_INT(n, 3);

	/* One label twice: revoking one would leave the other. */
	n = apppass_split(REC "," REC, recs, APP_MAXPERUSER, why, sizeof(why));
	CHECK_INT(n, -1);
	CHECK_STR(why, "label \"phone\" twice");
	n = apppass_split("main barred, main barred", recs, APP_MAXPERUSER,
	    why, sizeof(why));
	CHECK_INT(n, -1);
	CHECK_STR(why, "label \"main\" twice");
	/* A bad record says its own reason. */
	n = apppass_split(REC ",main open", recs, APP_MAXPERUSER, why,
	    sizeof(why));
	CHECK_INT(n, -1);
	CHECK_STR(why, "\"main\" is followed by \"barred\" or nothing else");

	/* At most max. */
	buf[0] = '\0';
	for (i = 0; i < APP_MAXPERUSER; i++) {
		(void)snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
		    "%sl%zu " HASHA " 2026-11-25T10:00:00Z never any",
		    i > 0 ? "," : "", i);
	}
	n = apppass_split(buf, recs, APP_MAXPERUSER, why, sizeof(why));
	CHECK_INT(n, APP_MAXPERUSER);
	n = apppass_split(buf, recs, APP_MAXPERUSER - 1, why, sizeof(why));
	CHECK_INT(n, -1);
	CHECK_STR(why, "more than 31 records");
	n = apppass_split(REC ",main barred", recs, 1, why, sizeof(why));
	CHECK_INT(n, -1);
	CHECK_STR(why, "more than 1 records");

	/* Longer than APP_RECSMAX - 1 bytes. */
	memset(buf, ' ', APP_RECSMAX);
	buf[APP_RECSMAX] = '\0';
	n = apppass_split(buf, recs, APP_MAXPERUSER, why, sizeof(why));
	CHECK_INT(n, -1);
	CHECK_STR(why, "records longer than 8191 bytes");
	buf[APP_RECSMAX - 1] = '\0';
	n = apppass_split(buf, recs, APP_MAXPERUSER, why, sizeof(why));
	CHECK_INT(n, 0);
}

static void
match(void)
{
	struct apprec	 recs[4];
	struct appkey	 key;
	char		 h[APP_HASHLEN + 1], why[160];
	size_t		 j;
	int		 n;

	memset(&key, 0, sizeof(key));
	for (j = 0; j < 32; j++)
		key.k[j] = j;
	key.len = 32;
	n = apppass_split("main barred," REC ",tab hmac-sha256:"
	    "d6b0f9a0752c6f91b0a715174577fc927404ae0d7f6c77346941c005b04cc363"
	    " 2026-11-25T10:00:00Z never any", recs, nitems(recs), why,
	    sizeof(why));
	CHECK_INT(n, 3);
	if (n != 3)
		return;
	apppass_mac(&key, "alice", NORM, h);
	CHECK_INT(apppass_match(recs, n, h), 1);
	apppass_mac(&key, "bob", NORM, h);
	CHECK_INT(apppass_match(recs, n, h), 2);
	/* The other user's secret, or another secret: none. */
	apppass_mac(&key, "carol", NORM, h);
	CHECK_INT(apppass_match(recs, n, h), -1);
	apppass_mac(&key, "alice", "1123456789abcdefghjkmnpqrstv", h);
	CHECK_INT(apppass_match(recs, n, h), -1);
	/* One digit off at the end, at the start. */
	(void)strlcpy(h, HASHA, sizeof(h));
	h[APP_HASHLEN - 1] = '9';
	CHECK_INT(apppass_match(recs, n, h), -1);
	(void)strlcpy(h, HASHA, sizeof(h));
	h[sizeof(APP_HASHPFX) - 1] = '0';
	CHECK_INT(apppass_match(recs, n, h), -1);
	/* "main barred" has no hash: an empty one matches nothing. */
	memset(h, 0, sizeof(h));
	CHECK_INT(apppass_match(recs, 1, h), -1);
	CHECK_INT(apppass_match(recs, 0, HASHA), -1);
}

struct seen {
	char	lines[8][256];
	size_t	linenos[8];
	size_t	n;
};

static int
scan_fn(void *arg, const char *user, const char *rec, size_t lineno)
{
	struct seen	*s = arg;

	if (s->n < nitems(s->lines)) {
		(void)snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s|%s",
		    user, rec);
		s->linenos[s->n++] = lineno;
	}
	return 0;
}

static int
scan_text(const char *text, size_t len, struct seen *s, char *first,
    size_t firstlen)
{
	char	path[PATH_MAX];
	int	fd, r;

	(void)snprintf(path, sizeof(path), "%s/apppass", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, text, len) != (ssize_t)len || close(fd) == -1) {
		CHECK(0, "%s: %s", path, strerror(errno));
		return -2;
	}
	memset(s, 0, sizeof(*s));
	log_capture(first, firstlen);
	r = apppass_scan(path, scan_fn, s);
	log_capture(NULL, 0);
	return r;
}

static void
scan(void)
{
	static const char good[] = "# user record\n"
	    "\n"
	    "alice " REC "\n"
	    "   \t\n"
	    "  bob\t" REC " \r\n"
	    "alice main barred";
	static const struct {
		const char	*text;
		const char	*why;
	} bad[] = {
		{ "alice " REC "\nbad/user " REC "\n",
		    ":2: invalid user name \"bad/user\"" },
		{ "alice " REC ",main barred\n",
		    ":1: \"alice\": a record has no \",\"" },
		{ "# c\nalice\n", ":2: \"alice\": fewer fields, not 5" },
		{ "alice main open\n", ":1: \"alice\": \"main\" is followed" },
		{ "alice " REC " x\n", ":1: \"alice\": more fields, not 5" },
	};
	struct seen	 s;
	char		 first[512], path[PATH_MAX];
	size_t		 i;
	int		 r;

	r = scan_text(good, sizeof(good) - 1, &s, first, sizeof(first));
	CHECK_INT(r, 0);
	CHECK_INT(s.n, 3);
	if (s.n == 3) {
		CHECK_STR(s.lines[0], "alice|" REC);
		CHECK_INT(s.linenos[0], 3);
		CHECK_STR(s.lines[1], "bob|" REC);
		CHECK_INT(s.linenos[1], 5);
		CHECK_STR(s.lines[2], "alice|main barred");
		CHECK_INT(s.linenos[2], 6);
	}
	for (i = 0; i < nitems(bad); i++) {
		r = scan_text(bad[i].text, strlen(bad[i].text), &s, first,
		    sizeof(first));
		CHECK_INT(r, -1);
		CHECK(strstr(first, bad[i].why) != NULL &&
		    strstr(first, "/apppass:") != NULL, "scan of \"%s\": "
		    "expected file and \"%s\" in \"%s\"", bad[i].text,
		    bad[i].why, first);
	}
	/* A good line after a bad one still reaches the function. */
	CHECK_INT(s.n, 0);
	r = scan_text("bad/user " REC "\nalice " REC "\n", 2 * strlen(REC) +
	    16, &s, first, sizeof(first));
	CHECK_INT(r, -1);
	CHECK_INT(s.n, 1);
	r = scan_text("alice " REC "\0x\n", strlen(REC) + 9, &s, first,
	    sizeof(first));
	CHECK_INT(r, -1);
	CHECK(strstr(first, ":1: NUL byte") != NULL, "NUL: %s", first);
	(void)snprintf(path, sizeof(path), "%s/none", dir);
	log_capture(first, sizeof(first));
	CHECK_INT(apppass_scan(path, scan_fn, &s), -1);
	log_capture(NULL, 0);
	CHECK(strstr(first, "none: No such file") != NULL, "missing: %s",
	    first);
}

static void
times(void)
{
	char	buf[32];

	CHECK_STR(apppass_time(0, buf, sizeof(buf)), "never");
	CHECK_STR(apppass_time(1795600800, buf, sizeof(buf)),
	    "2026-11-25T10:00:00Z");
	CHECK_STR(apppass_time(253402300799LL, buf, sizeof(buf)),
	    "9999-12-31T23:59:59Z");
}

int
main(void)
{
	char	path[PATH_MAX];

	/* apppass_scan's messages: captured, and on stderr for a reader. */
	log_init(1, LOG_MAIL);
	log_procinit("");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	shaped();
	secret();
	mac();
	key_sizes();
	labels();
	records();
	bad_records();
	split();
	match();
	scan();
	times();
	(void)snprintf(path, sizeof(path), "%s/key", dir);
	(void)unlink(path);
	(void)snprintf(path, sizeof(path), "%s/apppass", dir);
	(void)unlink(path);
	(void)snprintf(path, sizeof(path), "%s/mackey", dir);
	(void)unlink(path);
	(void)rmdir(dir);
	return unit_done();
}
