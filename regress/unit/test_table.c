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
 * test_table -- authtab and usertab parsing (common/table.c): golden
 * cases, each checking the result and the "file:line: reason" message,
 * the limits (user name, path), and lookups in a big table.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "settings.h"
#include "pwscheme.h"
#include "table.h"
#include "unit.h"

#define H1	"$2b$04$uFPyEj/AJZe79Zyj5mRQAegzOVZOd0m0.khvz1lKmboKBJBheAYNq"
#define H2	"$2b$05$nAK2teh/7E8nSjM2TZBXHuHh3bFVN9yGkKM85Bb4TmG4E3MIJXQkO"
#define H6	"$6$rounds=5000$saltsalt$8RWsOfwR6M6PpnoeQiEiWzNTPo1f0HjVYjDnL" \
		"ZhGx16aBFRkeqiHAzfXP/LgrOWMBMXqiU2pLrXsSOHNUyUm91"

#define NMANY	10000		/* users in test_many */

static char	 dir[] = "/tmp/test_table.XXXXXX";
static char	 errs[8192];	/* what the last load logged */

/* Write len bytes of a table file; returns its path (static buffer). */
static const char *
mkfile_len(const char *name, const char *content, size_t len)
{
	static char	 path[PATH_MAX];
	FILE		*fp;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL ||
	    fwrite(content, 1, len, fp) != len || fclose(fp) == EOF) {
		perror(path);
		exit(2);
	}
	return path;
}

static const char *
mkfile(const char *name, const char *content)
{
	return mkfile_len(name, content, strlen(content));
}

/* Run a table function with stderr captured into errs[]. */
static int
capture_start(void)
{
	char	path[PATH_MAX];
	int	saved, fd;

	(void)snprintf(path, sizeof(path), "%s/stderr", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (saved = dup(STDERR_FILENO)) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1) {
		perror("capture");
		exit(2);
	}
	close(fd);
	return saved;
}

static void
capture_end(int saved)
{
	ssize_t	n;

	if (lseek(STDERR_FILENO, 0, SEEK_SET) == -1 ||
	    (n = read(STDERR_FILENO, errs, sizeof(errs) - 1)) == -1) {
		perror("capture");
		exit(2);
	}
	errs[n] = '\0';
	if (dup2(saved, STDERR_FILENO) == -1) {
		perror("dup2");
		exit(2);
	}
	close(saved);
}

/* table_load of path with the log captured. */
static int
load_path(const char *path, int kind, struct table *t)
{
	int	saved, r;

	saved = capture_start();
	r = table_load(path, kind, NULL, NULL, t);
	capture_end(saved);
	return r;
}

/* Load content as an authtab or usertab, path set to its file. */
static int
load(int kind, const char *content, struct table *t, char *path,
    size_t len)
{
	const char	*p;

	p = mkfile(kind == TABLE_AUTH ? "authtab" : "usertab", content);
	(void)strlcpy(path, p, len);
	return load_path(path, kind, t);
}

/* Entry of name in a usertab: 1 and *ui filled, or 0. */
static int
user(const struct table *t, const char *name, struct userinfo *ui)
{
	ssize_t	i;

	if ((i = table_find(t, name)) == -1)
		return 0;
	table_user(t, i, ui);
	return 1;
}

/* A failed load leaves the table empty. */
static int
empty(const struct table *t)
{
	return t->n == 0 && t->buf == NULL && t->off == NULL;
}

/* The log holds "path:line: reason". */
static int
logged(const char *path, int line, const char *reason)
{
	char	want[PATH_MAX + 256];

	(void)snprintf(want, sizeof(want), "%s:%d: %s", path, line, reason);
	return strstr(errs, want) != NULL;
}

#define CHECK_LOGGED(path, line, reason)				\
	CHECK(logged(path, line, reason),				\
	    "expected \"%s:%d: %s\" in the log, got \"%s\"", path, line,	\
	    reason, errs)

static void
test_good_usertab(void)
{
	struct table	 t;
	struct userinfo	 u;
	char		 path[PATH_MAX];

	CHECK_INT(load(TABLE_USERS,
	    "# comment\n"
	    "\n"
	    "   # indented comment\n"
	    "alice 1000:1000:/home/alice\n"
	    "bob\t\t  1001:1002:/var/mail/bob  \n"
	    "   \t\n"
	    "carol:1003:1003:/srv/mail/carol\r\n"
	    "dave : \t 1004:1004:/m/dave@x\n"
	    "first.last+tag@example.org 1005:1005:/m/p with space\n"
	    "eve 1006:1006:/m/eve", &t, path, sizeof(path)), 0);
	CHECK_STR(errs, "");
	CHECK_INT(t.n, 6);
	CHECK(user(&t, "alice", &u), "alice: expected an entry");
	if (user(&t, "alice", &u)) {
		CHECK_STR(u.name, "alice");
		CHECK_INT(u.uid, 1000);
		CHECK_INT(u.gid, 1000);
		CHECK_STR(u.path, "/home/alice");
	}
	CHECK_STR(table_get(&t, "alice"), "1000:1000:/home/alice");
	CHECK(user(&t, "bob", &u) && u.uid == 1001 && u.gid == 1002 &&
	    strcmp(u.path, "/var/mail/bob") == 0,
	    "bob: tabs and trailing blanks: got %s",
	    user(&t, "bob", &u) ? u.path : "nothing");
	CHECK(user(&t, "carol", &u) && strcmp(u.path, "/srv/mail/carol") == 0,
	    "carol: colon separator and CRLF: got \"%s\"",
	    user(&t, "carol", &u) ? u.path : "nothing");
	CHECK(user(&t, "dave", &u) && u.uid == 1004,
	    "dave: mixed separator run");
	CHECK(user(&t, "first.last+tag@example.org", &u) &&
	    strcmp(u.path, "/m/p with space") == 0,
	    "address-like name, path with a space");
	CHECK(user(&t, "eve", &u) && strcmp(u.path, "/m/eve") == 0,
	    "eve: last line without newline");
	CHECK_INT(table_find(&t, "Alice"), -1);
	CHECK_INT(table_find(&t, ""), -1);
	CHECK(table_get(&t, "Alice") == NULL, "names are case-sensitive");
	table_free(&t);
	CHECK(empty(&t), "table_free: expected an empty table");
}

static void
test_bad_usertab(void)
{
	struct table	t;
	char		path[PATH_MAX];

	/*
	 * A duplicate or a userinfo popd refuses: that user alone, marked
	 * (TABLE_NOLOGIN), the others load (issue 85 G2).  Neither line
	 * of a duplicate stands: which one was meant is not known.
	 */
	CHECK_INT(load(TABLE_USERS, "alice 1000:1000:/a\nbob 1:1:/b\n"
	    "alice 2:2:/c\n", &t, path, sizeof(path)), 0);
	CHECK_LOGGED(path, 3, "duplicate entry for \"alice\" (first on line "
	    "1): alice cannot log in");
	CHECK_STR(table_get(&t, "alice"), "!");
	CHECK_STR(table_get(&t, "bob"), "1:1:/b");
	CHECK(t.n == 2, "alice once: %zu entries", t.n);
	table_free(&t);

	CHECK_INT(load(TABLE_USERS, "root 0:1000:/root\nbob 1:1:/b\n", &t,
	    path, sizeof(path)), 0);
	CHECK_LOGGED(path, 1, "uid and gid 0 are refused: root cannot log in");
	CHECK_STR(table_get(&t, "root"), "!");
	CHECK_STR(table_get(&t, "bob"), "1:1:/b");
	table_free(&t);
	CHECK_INT(load(TABLE_USERS, "\nwheel 1000:0:/w\n", &t, path,
	    sizeof(path)), 0);
	CHECK_LOGGED(path, 2, "uid and gid 0 are refused");
	CHECK_STR(table_get(&t, "wheel"), "!");
	table_free(&t);

	CHECK_INT(load(TABLE_USERS, "alice 1000:1000:home/alice\n", &t, path,
	    sizeof(path)), 0);
	CHECK_LOGGED(path, 1, "path \"home/alice\" is not absolute");
	table_free(&t);
	CHECK_INT(load(TABLE_USERS, "a 1:1:/home/../etc\n", &t, path,
	    sizeof(path)), 0);
	CHECK_LOGGED(path, 1, "path \"/home/../etc\" contains \"..\"");
	CHECK_STR(table_get(&t, "a"), "!");
	table_free(&t);
	CHECK_INT(load(TABLE_USERS, "a 1:1:/home/..\n", &t, path,
	    sizeof(path)), 0);
	CHECK_LOGGED(path, 1, "path \"/home/..\" contains \"..\"");
	table_free(&t);
	CHECK_INT(load(TABLE_USERS, "a 1:1:/home/..x/y\n", &t, path,
	    sizeof(path)), 0);
	CHECK_STR(table_get(&t, "a"), "1:1:/home/..x/y");
	table_free(&t);

	CHECK_INT(load(TABLE_USERS, "alice\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "\"alice\" has no value");
	CHECK_INT(load(TABLE_USERS, "# x\nalice   \t\n", &t, path,
	    sizeof(path)), -1);
	CHECK_LOGGED(path, 2, "\"alice\" has no value");

	CHECK_INT(load(TABLE_USERS, "al/ice 1:1:/a\n", &t, path,
	    sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "invalid user name \"al/ice\"");
	CHECK_INT(load(TABLE_USERS, "-alice 1:1:/a\n", &t, path,
	    sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "invalid user name \"-alice\"");

	CHECK_INT(load(TABLE_USERS, "alice 1000\n", &t, path, sizeof(path)),
	    0);
	CHECK_LOGGED(path, 1, "value must be uid:gid:/path");
	table_free(&t);
	CHECK_INT(load(TABLE_USERS, "alice x:1:/a\n", &t, path, sizeof(path)),
	    0);
	CHECK_LOGGED(path, 1, "uid \"x\" is invalid");
	table_free(&t);
	CHECK_INT(load(TABLE_USERS, "alice 1:-5:/a\n", &t, path,
	    sizeof(path)), 0);
	CHECK_LOGGED(path, 1, "gid \"-5\" is too small");
	table_free(&t);
	CHECK_INT(load(TABLE_USERS, "alice 99999999999:1:/a\n", &t, path,
	    sizeof(path)), 0);
	CHECK_LOGGED(path, 1, "uid \"99999999999\" is too large");
	table_free(&t);

	/* Every bad line is reported, not only the first. */
	CHECK_INT(load(TABLE_USERS, "a 0:1:/a\nb 1:1:/b\nc 1:1:c\n", &t, path,
	    sizeof(path)), 0);
	CHECK_LOGGED(path, 1, "uid and gid 0 are refused");
	CHECK_LOGGED(path, 3, "path \"c\" is not absolute");
	CHECK(strstr(errs, ":2:") == NULL, "line 2 is good, got \"%s\"",
	    errs);
	CHECK_STR(table_get(&t, "b"), "1:1:/b");
	table_free(&t);

	(void)snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK_INT(load_path(path, TABLE_USERS, &t), -1);
	CHECK(strstr(errs, strerror(ENOENT)) != NULL,
	    "missing file: expected \"%s\", got \"%s\"", strerror(ENOENT),
	    errs);
	CHECK(strstr(errs, path) != NULL, "missing file: expected \"%s\", "
	    "got \"%s\"", path, errs);
	CHECK(empty(&t), "a missing file leaves the table empty");
}

static void
test_authtab(void)
{
	struct table	t;
	char		path[PATH_MAX];

	CHECK_INT(load(TABLE_AUTH, "# creds\nalice " H1 "\nbob:" H2 "\r\n"
	    "carol\t" H6, &t, path, sizeof(path)), 0);
	CHECK_STR(errs, "");
	CHECK_INT(t.n, 3);
	CHECK_STR(table_get(&t, "alice"), H1);
	CHECK_STR(table_get(&t, "bob"), H2);
	CHECK_STR(table_get(&t, "carol"), H6);
	CHECK(table_get(&t, "dave") == NULL, "dave: expected no entry");
	table_free(&t);

	/*
	 * A clear-text password: refused, and never logged; issue 69: the
	 * file loads, its user marked (TABLE_NOLOGIN) and unable to log in.
	 */
	CHECK_INT(load(TABLE_AUTH, "alice hunter2secret\n", &t, path,
	    sizeof(path)), 0);
	CHECK_LOGGED(path, 1, "\"alice\" has no bcrypt, SHA-crypt, yescrypt, argon2 or Dovecot "
	    "{SCHEME} hash: alice cannot log in");
	CHECK(strstr(errs, "hunter2secret") == NULL,
	    "the bad value must not be logged: got \"%s\"", errs);
	CHECK_STR(table_get(&t, "alice"), "!");
	table_free(&t);
	/* md5crypt: weak, read only with weak-hashes (TABLE_WEAK). */
	CHECK_INT(load(TABLE_AUTH, "alice $1$salt$abcdefghijklmnopqrstuv\n"
	    "bob " H1 "\n", &t, path, sizeof(path)), 0);
	CHECK_LOGGED(path, 1, "\"alice\" has a weak md5crypt hash, read only "
	    "with \"weak-hashes yes\" in popd.conf");
	CHECK_STR(table_get(&t, "alice"), "!md5crypt");
	CHECK_STR(table_get(&t, "bob"), H1);
	table_free(&t);
	CHECK_INT(load(TABLE_AUTH | TABLE_WEAK,
	    "alice $1$salt$abcdefghijklmnopqrstuv\n", &t, path, sizeof(path)),
	    0);
	CHECK_STR(table_get(&t, "alice"), "$1$salt$abcdefghijklmnopqrstuv");
	table_free(&t);
	/* Dovecot's: in clear, never; its secrets, never, and said why. */
	CHECK_INT(load(TABLE_AUTH | TABLE_WEAK, "alice {PLAIN}hunter2secret\n",
	    &t, path, sizeof(path)), 0);
	CHECK_LOGGED(path, 1, "\"alice\" has a {PLAIN} password in clear: "
	    "\"popdpass -P\" turns such lines into bcrypt hashes");
	CHECK(strstr(errs, "hunter2secret") == NULL,
	    "the bad value must not be logged: got \"%s\"", errs);
	CHECK_STR(table_get(&t, "alice"), "!PLAIN");
	table_free(&t);
	CHECK_INT(load(TABLE_AUTH, "bob {LANMAN}5350280f85bc507e6b49c9eee8"
	    "63ab2048\n", &t, path, sizeof(path)), 0);
	CHECK_LOGGED(path, 1, "\"bob\" has a {LANMAN} secret, as good as the "
	    "password, which no hash can be made from: reset the user's "
	    "password");
	table_free(&t);
	/* Salted or not, a fast digest is weak (issue 69). */
	CHECK_INT(load(TABLE_AUTH, "carol {SSHA512}SugW8aQ1RrAFypW+2Yf+E+3Lmg"
	    "39jv9zPmRW4PoVFEQvyOH4CZaHDY3kRuZLpUL6yCAShDLiBhp/CEtdExWnZseEplY"
	    "=\n", &t, path, sizeof(path)), 0);
	CHECK_LOGGED(path, 1, "\"carol\" has a weak {SSHA512} hash, read only "
	    "with \"weak-hashes yes\" in popd.conf");
	CHECK_STR(table_get(&t, "carol"), "!SSHA512");
	table_free(&t);
	CHECK_INT(load(TABLE_AUTH | TABLE_WEAK, "carol {SSHA512}SugW8aQ1RrAFy"
	    "pW+2Yf+E+3Lmg39jv9zPmRW4PoVFEQvyOH4CZaHDY3kRuZLpUL6yCAShDLiBhp/CE"
	    "tdExWnZseEplY=\n", &t, path, sizeof(path)), 0);
	table_free(&t);
	/* Over its kind's ceiling: named by its line, weak-hashes or not. */
	CHECK_INT(load(TABLE_AUTH | TABLE_WEAK, "# costly\ndave $2b$31$YdByxK"
	    "SiJ.4e00dW5oeBN./JDD86S0BXGZETea57GhiFIf4iu2nQG\n", &t, path,
	    sizeof(path)), 0);
	CHECK_LOGGED(path, 2, "\"dave\" has a hash over popd's ceiling for its "
	    "kind, bcrypt (cost at most 14; authtab(5)): never checked");
	CHECK_STR(table_get(&t, "dave"), "!bcrypt");
	table_free(&t);
	/* bcrypt with a cost crypt(3) refuses, bad length, bad alphabet. */
	CHECK_INT(load(TABLE_AUTH, "alice $2b$99$uFPyEj/AJZe79Zyj5mRQAegzOVZO"
	    "d0m0.khvz1lKmboKBJBheAYNq\n", &t, path, sizeof(path)), 0);
	CHECK_LOGGED(path, 1, "\"alice\" has no bcrypt, SHA-crypt, yescrypt, argon2 or Dovecot "
	    "{SCHEME} hash");
	CHECK_STR(table_get(&t, "alice"), "!");
	table_free(&t);
	CHECK_INT(load(TABLE_AUTH, "alice $2b$03$uFPyEj/AJZe79Zyj5mRQAegzOVZO"
	    "d0m0.khvz1lKmboKBJBheAYNq\n", &t, path, sizeof(path)), 0);
	CHECK_STR(table_get(&t, "alice"), "!");
	table_free(&t);
	CHECK_INT(load(TABLE_AUTH, "alice " H1 "x\n", &t, path, sizeof(path)),
	    0);
	CHECK_STR(table_get(&t, "alice"), "!");
	table_free(&t);
	CHECK_INT(load(TABLE_AUTH, "alice $2b$04$uFPyEj/AJZe79Zyj5mRQAegzOVZO"
	    "d0m0.khvz1lKmboKBJBheAY!q\n", &t, path, sizeof(path)), 0);
	CHECK_LOGGED(path, 1, "\"alice\" has no bcrypt, SHA-crypt, yescrypt, argon2 or Dovecot "
	    "{SCHEME} hash");
	table_free(&t);
	/* A syntax error still refuses the file whole. */
	CHECK_INT(load(TABLE_AUTH, "alice " H1 "\nbob\n", &t, path,
	    sizeof(path)), -1);
	CHECK_LOGGED(path, 2, "\"bob\" has no value");
	/* A duplicate: neither password works, the others' do. */
	CHECK_INT(load(TABLE_AUTH, "alice " H1 "\nbob " H2 "\nalice " H2
	    "\n", &t, path, sizeof(path)), 0);
	CHECK_LOGGED(path, 3, "duplicate entry for \"alice\" (first on line "
	    "1): alice cannot log in");
	CHECK(strstr(errs, H1) == NULL && strstr(errs, H2) == NULL,
	    "no hash is logged: got \"%s\"", errs);
	CHECK_STR(table_get(&t, "alice"), "!");
	CHECK_STR(table_get(&t, "bob"), H2);
	CHECK(memmem(t.buf, t.bufsz, H1, strlen(H1)) == NULL,
	    "the dropped hash is wiped");
	table_free(&t);
	CHECK_INT(load(TABLE_AUTH, "bob\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "\"bob\" has no value");
	CHECK(empty(&t), "a failed load leaves the table empty");
}

/*
 * A duplicate names its own line and the first one, wherever the two are
 * in the file and however many there are.
 */
static void
test_duplicates(void)
{
	struct table	t;
	char		path[PATH_MAX];

	CHECK_INT(load(TABLE_USERS, "alice 1000:1000:/a\nbob 1:1:/b\n"
	    "alice 2:2:/c\n", &t, path, sizeof(path)), 0);
	CHECK_LOGGED(path, 3, "duplicate entry for \"alice\" (first on line "
	    "1)");
	CHECK(strstr(errs, ":1: ") == NULL && strstr(errs, ":2: ") == NULL,
	    "only line 3 is reported, got \"%s\"", errs);
	table_free(&t);

	/* Comments and blank lines count; other names sort between them. */
	CHECK_INT(load(TABLE_AUTH, "# x\nzed " H1 "\n\nbob " H1 "\n"
	    "carol " H2 "\nbob " H2 "\namy " H1 "\n", &t, path, sizeof(path)),
	    0);
	CHECK_LOGGED(path, 6, "duplicate entry for \"bob\" (first on line 4)");
	CHECK_INT(t.n, 4);
	table_free(&t);

	/* Three times: both later ones name the first. */
	CHECK_INT(load(TABLE_USERS, "dan 1:1:/a\nx 1:1:/x\ndan 2:2:/b\n"
	    "y 1:1:/y\ndan 3:3:/c\n", &t, path, sizeof(path)), 0);
	CHECK_LOGGED(path, 3, "duplicate entry for \"dan\" (first on line 1)");
	CHECK_LOGGED(path, 5, "duplicate entry for \"dan\" (first on line 1)");
	CHECK_STR(table_get(&t, "dan"), "!");
	table_free(&t);

	/* A duplicate and a bad line: both reported. */
	CHECK_INT(load(TABLE_USERS, "a 1:1:/a\nb 0:1:/b\na 1:1:/a\n", &t,
	    path, sizeof(path)), 0);
	CHECK_LOGGED(path, 2, "uid and gid 0 are refused");
	CHECK_LOGGED(path, 3, "duplicate entry for \"a\" (first on line 1)");
	table_free(&t);

	/* Names differing in case or by a suffix are not duplicates. */
	CHECK_INT(load(TABLE_USERS, "a 1:1:/a\nA 1:1:/A\naa 1:1:/aa\n", &t,
	    path, sizeof(path)), 0);
	CHECK_STR(errs, "");
	CHECK_INT(t.n, 3);
	table_free(&t);
}

/*
 * TABLE_NAMES (a check's table): the names alone, each value "", its
 * lines checked and its duplicates found as a whole load's.
 */
static void
test_names(void)
{
	struct table	t;
	char		path[PATH_MAX];

	CHECK_INT(load(TABLE_USERS | TABLE_NAMES, "bob 1:1:/b\nalice 2:2:/a\n",
	    &t, path, sizeof(path)), 0);
	CHECK_INT(t.n, 2);
	CHECK(table_find(&t, "alice") != -1 && table_find(&t, "bob") != -1 &&
	    table_find(&t, "carol") == -1, "both names and no other");
	CHECK_STR(table_get(&t, "bob"), "");
	table_free(&t);

	CHECK_INT(load(TABLE_USERS | TABLE_NAMES, "a 1:1:/a\nb 0:1:/b\n"
	    "a 1:1:/a\n", &t, path, sizeof(path)), 0);
	CHECK_LOGGED(path, 2, "uid and gid 0 are refused");
	CHECK_LOGGED(path, 3, "duplicate entry for \"a\" (first on line 1)");
	CHECK_INT(t.n, 2);
	table_free(&t);

	CHECK_INT(load(TABLE_AUTH | TABLE_NAMES, "carol " H1 "\n", &t, path,
	    sizeof(path)), 0);
	CHECK_STR(table_get(&t, "carol"), "");
	table_free(&t);
}

/* A user name of POPD_MAXUSER characters, a path of PATH_MAX - 1 bytes. */
static void
test_limits(void)
{
	struct table	 t;
	struct userinfo	 u;
	char		 path[PATH_MAX], name[POPD_MAXUSER + 2];
	char		 reason[POPD_MAXUSER + 64], *text, *upath;
	size_t		 len;

	memset(name, 'n', POPD_MAXUSER);
	name[POPD_MAXUSER] = '\0';
	if ((text = malloc(2 * PATH_MAX)) == NULL ||
	    (upath = malloc(PATH_MAX + 1)) == NULL) {
		perror("malloc");
		exit(2);
	}
	(void)snprintf(text, 2 * PATH_MAX, "# longest name\n%s 7:7:/n\n",
	    name);
	CHECK_INT(load(TABLE_USERS, text, &t, path, sizeof(path)), 0);
	CHECK_STR(errs, "");
	CHECK(user(&t, name, &u) && strcmp(u.name, name) == 0 &&
	    u.uid == 7, "%d-character name: expected an entry",
	    POPD_MAXUSER);
	name[POPD_MAXUSER - 1] = '\0';
	CHECK_INT(table_find(&t, name), -1);
	table_free(&t);

	name[POPD_MAXUSER - 1] = 'n';
	name[POPD_MAXUSER] = 'n';
	name[POPD_MAXUSER + 1] = '\0';
	(void)snprintf(text, 2 * PATH_MAX, "ok 1:1:/o\n%s 7:7:/n\n", name);
	CHECK_INT(load(TABLE_USERS, text, &t, path, sizeof(path)), -1);
	(void)snprintf(reason, sizeof(reason), "invalid user name \"%s\"",
	    name);
	CHECK_LOGGED(path, 2, reason);
	CHECK(empty(&t), "a failed load leaves the table empty");

	/* The path: "/ppp...", PATH_MAX - 1 bytes, then PATH_MAX. */
	for (len = PATH_MAX - 1; len <= PATH_MAX; len++) {
		upath[0] = '/';
		memset(upath + 1, 'p', len - 1);
		upath[len] = '\0';
		(void)snprintf(text, 2 * PATH_MAX, "ok 1:1:/o\n\nlong "
		    "1000:1000:%s\r\nz 2:2:/z", upath);
		if (len == PATH_MAX - 1) {
			CHECK_INT(load(TABLE_USERS, text, &t, path,
			    sizeof(path)), 0);
			CHECK_STR(errs, "");
			CHECK(user(&t, "long", &u) &&
			    strcmp(u.path, upath) == 0,
			    "path of %zu bytes: expected it whole", len);
			CHECK_INT(t.n, 3);
			table_free(&t);
			continue;
		}
		CHECK_INT(load(TABLE_USERS, text, &t, path, sizeof(path)), 0);
		(void)snprintf(reason, sizeof(reason), "path too long (%d "
		    "bytes, at most %d)", PATH_MAX, PATH_MAX - 1);
		CHECK_LOGGED(path, 3, reason);
		CHECK_STR(table_get(&t, "long"), "!");
		table_free(&t);
	}
	free(text);
	free(upath);
}

/* Line ends, comments, blank lines, an empty file, no final newline. */
static void
test_format(void)
{
	struct table	 t;
	struct userinfo	 u;
	char		 path[PATH_MAX];

	CHECK_INT(load(TABLE_USERS, "", &t, path, sizeof(path)), 0);
	CHECK_STR(errs, "");
	CHECK_INT(t.n, 0);
	CHECK_INT(table_find(&t, "alice"), -1);
	CHECK_INT(table_find(&t, ""), -1);
	table_free(&t);
	CHECK_INT(load(TABLE_AUTH, "", &t, path, sizeof(path)), 0);
	CHECK_INT(t.n, 0);
	CHECK(table_get(&t, "alice") == NULL, "empty authtab: no alice");
	table_free(&t);

	/* Comments and blank lines only, CRLF or not, no final newline. */
	CHECK_INT(load(TABLE_USERS, "# a\r\n\r\n\n  \t\r\n\t# b\n#", &t, path,
	    sizeof(path)), 0);
	CHECK_STR(errs, "");
	CHECK_INT(t.n, 0);
	table_free(&t);

	/* CRLF throughout, the last line without one. */
	CHECK_INT(load(TABLE_USERS, "# users\r\nalice 1:2:/a\r\n\r\n"
	    "bob 3:4:/b\r\ncarol 5:6:/c", &t, path, sizeof(path)), 0);
	CHECK_STR(errs, "");
	CHECK_INT(t.n, 3);
	CHECK(user(&t, "alice", &u) && u.uid == 1 && u.gid == 2 &&
	    strcmp(u.path, "/a") == 0, "alice: CRLF");
	CHECK(user(&t, "bob", &u) && strcmp(u.path, "/b") == 0,
	    "bob: CRLF after a blank CRLF line");
	CHECK(user(&t, "carol", &u) && u.uid == 5 && u.gid == 6 &&
	    strcmp(u.path, "/c") == 0,
	    "carol: last line without newline, got \"%s\"",
	    user(&t, "carol", &u) ? u.path : "nothing");
	CHECK_STR(table_get(&t, "carol"), "5:6:/c");
	table_free(&t);

	/* One line, no newline, the shortest value. */
	CHECK_INT(load(TABLE_USERS, "a 1:1:/", &t, path, sizeof(path)), 0);
	CHECK_INT(t.n, 1);
	CHECK_STR(table_get(&t, "a"), "1:1:/");
	table_free(&t);
	CHECK_INT(load(TABLE_AUTH, "alice " H1, &t, path, sizeof(path)), 0);
	CHECK_STR(table_get(&t, "alice"), H1);
	table_free(&t);

	/* A bad last line without newline still names its line. */
	CHECK_INT(load(TABLE_USERS, "a 1:1:/a\r\n\r\nb 1:1:b", &t, path,
	    sizeof(path)), 0);
	CHECK_LOGGED(path, 3, "path \"b\" is not absolute");
	table_free(&t);
}

/* The name of user i of test_many: even numbers only, so odd ones miss. */
static void
many_name(char *buf, size_t len, unsigned int i)
{
	(void)snprintf(buf, len, "u%05u", 2 * i);
}

/* A table of NMANY users in shuffled order: every one found, no other. */
static void
test_many(void)
{
	struct table	 t;
	struct userinfo	 u;
	const char	*text;
	char		 path[PATH_MAX], name[POPD_MAXUSER + 2], want[128];
	char		*buf;
	unsigned int	 order[NMANY], line[NMANY], i, j, tmp, found, right;
	unsigned int	 seed = 12345;
	size_t		 len = 0, sz = NMANY * 64;
	ssize_t		 k;

	for (i = 0; i < NMANY; i++)
		order[i] = i;
	/* Fisher-Yates with a fixed LCG: the same order on every run. */
	for (i = NMANY - 1; i > 0; i--) {
		seed = seed * 1103515245 + 12345;
		j = (seed >> 8) % (i + 1);
		tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	if ((buf = malloc(sz)) == NULL) {
		perror("malloc");
		exit(2);
	}
	len += snprintf(buf + len, sz - len, "# %u users\n", NMANY);
	for (i = 0; i < NMANY; i++) {
		many_name(name, sizeof(name), order[i]);
		len += snprintf(buf + len, sz - len, "%s %u:%u:/m/%s\n", name,
		    1000 + order[i], 2000 + order[i], name);
		line[order[i]] = i + 2;
	}
	text = mkfile_len("usertab", buf, len);
	(void)strlcpy(path, text, sizeof(path));
	free(buf);
	CHECK_INT(load_path(path, TABLE_USERS, &t), 0);
	CHECK_STR(errs, "");
	CHECK_INT(t.n, NMANY);

	for (i = 1; i < t.n; i++)
		if (strcmp(table_name(&t, i - 1), table_name(&t, i)) >= 0)
			break;
	CHECK_INT(i, NMANY);
	for (i = found = right = 0; i < NMANY; i++) {
		many_name(name, sizeof(name), i);
		if ((k = table_find(&t, name)) == -1)
			continue;
		found++;
		(void)snprintf(want, sizeof(want), "%u:%u:/m/%s", 1000 + i,
		    2000 + i, name);
		table_user(&t, k, &u);
		if (strcmp(table_name(&t, k), name) == 0 &&
		    strcmp(table_value(&t, k), want) == 0 &&
		    strcmp(table_get(&t, name), want) == 0 &&
		    u.uid == 1000 + i && u.gid == 2000 + i &&
		    strcmp(u.path + 3, name) == 0)
			right++;
		else
			CHECK(0, "%s: expected \"%s\" (line %u), got \"%s\"",
			    name, want, line[i], table_value(&t, k));
	}
	CHECK_INT(found, NMANY);
	CHECK_INT(right, NMANY);

	/* Between two names, before the first, after the last. */
	CHECK_INT(table_find(&t, "u00001"), -1);
	CHECK_INT(table_find(&t, "u10001"), -1);
	CHECK_INT(table_find(&t, "u19997"), -1);
	CHECK_INT(table_find(&t, "a"), -1);
	CHECK_INT(table_find(&t, "u"), -1);
	CHECK_INT(table_find(&t, "u19999"), -1);
	CHECK_INT(table_find(&t, "v"), -1);
	/* A prefix of a name, a name with a suffix, the empty name. */
	CHECK_INT(table_find(&t, "u0000"), -1);
	CHECK_INT(table_find(&t, "u1999"), -1);
	CHECK_INT(table_find(&t, "u00000x"), -1);
	CHECK_INT(table_find(&t, "u19998 "), -1);
	CHECK_INT(table_find(&t, ""), -1);
	CHECK(table_get(&t, "u00001") == NULL, "u00001: expected no value");
	/* The first and the last are there. */
	CHECK(table_find(&t, "u00000") == 0, "u00000: expected entry 0");
	CHECK(table_find(&t, "u19998") == NMANY - 1,
	    "u19998: expected the last entry");
	/* An over-long name. */
	memset(name, 'u', sizeof(name));
	name[sizeof(name) - 1] = '\0';
	CHECK_INT(table_find(&t, name), -1);
	table_free(&t);
}

static void
test_lookup(void)
{
	struct table	t;
	char		path[PATH_MAX], name[POPD_MAXUSER + 2];

	memset(name, 'a', sizeof(name));
	name[sizeof(name) - 1] = '\0';
	CHECK_INT(load(TABLE_USERS, "alice 1:1:/a\n", &t, path, sizeof(path)),
	    0);
	CHECK_INT(table_find(&t, name), -1);
	CHECK(table_get(&t, name) == NULL, "over-long name: no entry");
	table_free(&t);
}

/* What the callback of test_scan got, and the line it refuses. */
struct scanned {
	char	 got[1024];
	size_t	 refuse;
	int	 calls;
};

static int
scan_fn(void *arg, char *name, char *value, size_t line)
{
	struct scanned	*s = arg;
	size_t		 len = strlen(s->got);

	s->calls++;
	(void)snprintf(s->got + len, sizeof(s->got) - len, "%zu %s=%s;", line,
	    name, value);
	if (line == s->refuse) {
		log_warnx("refused line %zu", line);
		return -1;
	}
	return 0;
}

static int
scan(const char *path, int kind, struct scanned *s)
{
	int	saved, r;

	s->got[0] = '\0';
	s->calls = 0;
	saved = capture_start();
	r = table_scan(path, kind, scan_fn, s);
	capture_end(saved);
	return r;
}

/* table_scan: each good line to the callback, in file order. */
static void
test_scan(void)
{
	struct scanned	 s;
	char		 path[PATH_MAX];
	int		 saved;

	(void)strlcpy(path, mkfile("usertab", "# c\nbob 2:3:/b\r\n\n"
	    "alice:1:1:/a \ncarol 4:4:/c"), sizeof(path));
	s.refuse = 0;
	CHECK_INT(scan(path, TABLE_USERS, &s), 0);
	CHECK_STR(errs, "");
	CHECK_INT(s.calls, 3);
	CHECK_STR(s.got, "2 bob=2:3:/b;4 alice=1:1:/a;5 carol=4:4:/c;");

	/* The callback's -1 fails the scan, which goes on to the end. */
	s.refuse = 4;
	CHECK_INT(scan(path, TABLE_USERS, &s), -1);
	CHECK_INT(s.calls, 3);
	CHECK_STR(s.got, "2 bob=2:3:/b;4 alice=1:1:/a;5 carol=4:4:/c;");
	CHECK(strstr(errs, "refused line 4") != NULL && strstr(errs, path) ==
	    NULL, "only the callback's message, got \"%s\"", errs);
	s.refuse = 5;
	CHECK_INT(scan(path, TABLE_USERS, &s), -1);

	/*
	 * A hash refused reaches the callback as the marker alone, never
	 * the value (issue 69); a bad line never does.
	 */
	(void)strlcpy(path, mkfile("authtab", "a " H1 "\nb secret\nc " H2
	    "\nd\n"), sizeof(path));
	s.refuse = 0;
	CHECK_INT(scan(path, TABLE_AUTH, &s), -1);
	CHECK_LOGGED(path, 2, "\"b\" has no bcrypt, SHA-crypt, yescrypt, argon2 or Dovecot "
	    "{SCHEME} hash: b cannot log in");
	CHECK_LOGGED(path, 4, "\"d\" has no value");
	CHECK_INT(s.calls, 3);
	CHECK_STR(s.got, "1 a=" H1 ";2 b=!;3 c=" H2 ";");

	/* TABLE_QUIET: the same answer, no message; no callback: checks. */
	CHECK_INT(scan(path, TABLE_AUTH | TABLE_QUIET, &s), -1);
	CHECK_STR(errs, "");
	CHECK_INT(s.calls, 3);
	saved = capture_start();
	CHECK_INT(table_scan(path, TABLE_AUTH, NULL, NULL), -1);
	capture_end(saved);
	CHECK_LOGGED(path, 2, "\"b\" has no bcrypt, SHA-crypt, yescrypt, argon2 or Dovecot "
	    "{SCHEME} hash");
	(void)strlcpy(path, mkfile("authtab", "a " H1 "\n"), sizeof(path));
	CHECK_INT(table_scan(path, TABLE_AUTH, NULL, NULL), 0);

	(void)snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK_INT(scan(path, TABLE_USERS, &s), -1);
	CHECK_INT(s.calls, 0);
	CHECK(strstr(errs, strerror(ENOENT)) != NULL,
	    "missing file: expected \"%s\", got \"%s\"", strerror(ENOENT),
	    errs);
}

/*
 * Only a regular file is read, and a FIFO is refused at once: opening
 * one would block until a writer came (the SIGALRM set in main() turns
 * such a hang into a failure).
 */
static void
test_not_regular(void)
{
	struct table	t;
	char		path[PATH_MAX], want[PATH_MAX + 64];
	int		i;

	(void)snprintf(path, sizeof(path), "%s/fifo", dir);
	if (mkfifo(path, 0600) == -1) {
		perror(path);
		exit(2);
	}
	for (i = 0; i < 2; i++) {
		CHECK_INT(load_path(path, i == 0 ? TABLE_AUTH : TABLE_USERS,
		    &t), -1);
		(void)snprintf(want, sizeof(want), "%s: not a regular file\n",
		    path);
		CHECK(strstr(errs, want) != NULL, "expected \"%s\", got \"%s\"",
		    want, errs);
		CHECK(empty(&t), "a failed load leaves the table empty");
	}
	CHECK_INT(load_path(dir, TABLE_USERS, &t), -1);
	(void)snprintf(want, sizeof(want), "%s: not a regular file\n", dir);
	CHECK(strstr(errs, want) != NULL, "expected \"%s\", got \"%s\"", want,
	    errs);
}

/* A NUL byte would cut a line short where nobody sees it. */
static void
test_nul(void)
{
	struct table	 t;
	char		 path[PATH_MAX];
	static const char text[] = "alice 1000:1000:/home/alice\0/../../root\n"
	    "bob 1001:1001:/home/bob\n";

	(void)strlcpy(path, mkfile_len("usertab", text, sizeof(text) - 1),
	    sizeof(path));
	CHECK_INT(load_path(path, TABLE_USERS, &t), -1);
	CHECK_LOGGED(path, 1, "NUL byte");
	CHECK(empty(&t), "a failed load leaves the table empty");
}

/* One passwd-file line through table_parse_passwd: 0 and *pl, or -1. */
static int
pwline(const char *text, struct passwdline *pl, char *buf, size_t len,
    char *why, size_t whylen)
{
	(void)strlcpy(buf, text, len);
	why[0] = '\0';
	return table_parse_passwd(buf, pl, table_quota_rule, why, whylen);
}

/* Dovecot's passwd-file lines, cut as db-passwd-file.c cuts them. */
static void
test_passwd_parse(void)
{
	struct passwdline pl;
	char		 buf[1024], why[256], val[PATH_MAX + 64];

	/* Dovecot's documented examples, with a crypt hash. */
	CHECK_INT(pwline("user:" H1 ":1000:1000::/home/user::"
	    "userdb_mail=maildir:~/Maildir", &pl, buf, sizeof(buf), why,
	    sizeof(why)), 0);
	CHECK_STR(pl.name, "user");
	CHECK_STR(pl.pass, H1);
	CHECK_STR(pl.uid, "1000");
	CHECK_STR(pl.gid, "1000");
	CHECK_STR(pl.home, "/home/user");
	CHECK_STR(pl.mail, "maildir:~/Maildir");
	CHECK_INT(pl.has_limit, 0);
	CHECK_INT(table_passwd_user(&pl, val, sizeof(val), why, sizeof(why)),
	    0);
	CHECK_STR(val, "1000:1000:=/home/user/Maildir");

	CHECK_INT(pwline("user2@example.com:" H1 ":1001:1001::/home/user2::"
	    "userdb_quota_rule=*:storage=100M", &pl, buf, sizeof(buf), why,
	    sizeof(why)), 0);
	CHECK_STR(pl.name, "user2@example.com");
	CHECK_INT(pl.has_limit, 1);
	CHECK_INT(pl.bytes, 100ULL * 1024 * 1024);
	CHECK_INT(pl.msgs, 0);
	CHECK_INT(pl.ignored, 0);
	CHECK(pl.mail == NULL, "mail \"%s\", expected none", pl.mail);
	CHECK_INT(table_passwd_user(&pl, val, sizeof(val), why, sizeof(why)),
	    0);
	CHECK_STR(val, "1001:1001:/home/user2");

	/* storage without a unit is in kilobytes; a second rule adds. */
	CHECK_INT(pwline("u3:" H1 ":5:5::/h::userdb_quota_rule=*:storage=1000 "
	    "userdb_quota_rule2=*:messages=50 userdb_quota_rule3=Trash:ignore "
	    "userdb_nice=10", &pl, buf, sizeof(buf), why, sizeof(why)), 0);
	CHECK_INT(pl.bytes, 1000 * 1024);
	CHECK_INT(pl.msgs, 50);
	CHECK_INT(pl.ignored, 2);
	CHECK_STR(pl.ignored_key, "userdb_quota_rule3");
	CHECK_INT(pwline("u4:" H1 ":5:5::/h::userdb_quota_rule=*:bytes=512:"
	    "messages=7", &pl, buf, sizeof(buf), why, sizeof(why)), 0);
	CHECK_INT(pl.bytes, 512);
	CHECK_INT(pl.msgs, 7);
	/* Relative or per-folder rules are ignored, not misread. */
	CHECK_INT(pwline("u5:" H1 ":5:5::/h::userdb_quota_rule=*:storage=+10M",
	    &pl, buf, sizeof(buf), why, sizeof(why)), 0);
	CHECK_INT(pl.has_limit, 0);
	CHECK_INT(pl.ignored, 1);
	CHECK_INT(pwline("u5:" H1 ":5:5::/h::userdb_quota_rule=*:storage=0",
	    &pl, buf, sizeof(buf), why, sizeof(why)), 0);
	CHECK_INT(pl.has_limit, 1);
	CHECK_INT(pl.bytes, 0);

	/* Only the name and password: a passdb line, no user info. */
	CHECK_INT(pwline("alice:" H1, &pl, buf, sizeof(buf), why,
	    sizeof(why)), 0);
	CHECK_STR(pl.pass, H1);
	CHECK_STR(pl.uid, "");
	CHECK_STR(pl.home, "");
	CHECK_INT(table_passwd_user(&pl, val, sizeof(val), why, sizeof(why)),
	    -1);
	CHECK(strstr(why, "no uid") != NULL, "why \"%s\"", why);
	CHECK_INT(pwline("alice:" H1 ":1000:::/h", &pl, buf, sizeof(buf),
	    why, sizeof(why)), 0);
	CHECK_INT(table_passwd_user(&pl, val, sizeof(val), why, sizeof(why)),
	    -1);
	CHECK(strstr(why, "no gid") != NULL, "why \"%s\"", why);
	CHECK_INT(pwline("alice:" H1 ":1000:1000", &pl, buf, sizeof(buf),
	    why, sizeof(why)), 0);
	CHECK_INT(table_passwd_user(&pl, val, sizeof(val), why, sizeof(why)),
	    -1);
	CHECK(strstr(why, "no home") != NULL, "why \"%s\"", why);
	/* Root's ids, as usertab. */
	CHECK_INT(pwline("r:" H1 ":0:0::/root", &pl, buf, sizeof(buf),
	    why, sizeof(why)), 0);
	CHECK_INT(table_passwd_user(&pl, val, sizeof(val), why, sizeof(why)),
	    -1);
	CHECK(strstr(why, "uid and gid 0") != NULL, "why \"%s\"", why);

	/* The old format: an empty 8th field, then the mail location. */
	CHECK_INT(pwline("old:" H1 ":7:7::/home/old:::maildir:/var/mail/old:"
	    "LAYOUT=fs", &pl, buf, sizeof(buf), why, sizeof(why)), 0);
	CHECK_STR(pl.mail, "maildir:/var/mail/old:LAYOUT=fs");
	CHECK_INT(table_passwd_user(&pl, val, sizeof(val), why, sizeof(why)),
	    0);
	CHECK_STR(val, "7:7:=/var/mail/old");
	/* userdb_ fields override the columns. */
	CHECK_INT(pwline("v:" H1 ":::::/bin/false:userdb_uid=8 userdb_gid=9 "
	    "userdb_home=/srv/v", &pl, buf, sizeof(buf), why, sizeof(why)), 0);
	CHECK_INT(table_passwd_user(&pl, val, sizeof(val), why, sizeof(why)),
	    0);
	CHECK_STR(val, "8:9:/srv/v");
	/* Not a maildir, variables, ~ without a home. */
	CHECK_INT(pwline("m:" H1 ":8:8::/h::userdb_mail=mdbox:~/mdbox", &pl,
	    buf, sizeof(buf), why, sizeof(why)), 0);
	CHECK_INT(table_passwd_user(&pl, val, sizeof(val), why, sizeof(why)),
	    -1);
	CHECK(strstr(why, "not a maildir") != NULL, "why \"%s\"", why);
	CHECK_INT(pwline("m:" H1 ":8:8::/h::userdb_mail=maildir:/m/%u", &pl,
	    buf, sizeof(buf), why, sizeof(why)), 0);
	CHECK_INT(table_passwd_user(&pl, val, sizeof(val), why, sizeof(why)),
	    -1);
	CHECK(strstr(why, "variables") != NULL, "why \"%s\"", why);
	CHECK_INT(pwline("m:" H1 ":8:8::::userdb_mail=maildir:~/Maildir", &pl,
	    buf, sizeof(buf), why, sizeof(why)), 0);
	CHECK_INT(table_passwd_user(&pl, val, sizeof(val), why, sizeof(why)),
	    -1);
	CHECK(strstr(why, "needs a home") != NULL, "why \"%s\"", why);

	/* What Dovecot would refuse or popd cannot honour. */
	CHECK_INT(pwline(":" H1, &pl, buf, sizeof(buf), why, sizeof(why)),
	    -1);
	CHECK_INT(pwline("n:" H1 ":1:1::/h::nologin=y", &pl, buf, sizeof(buf),
	    why, sizeof(why)), -1);
	CHECK(strstr(why, "\"nologin\"") != NULL, "why \"%s\"", why);
	CHECK_INT(pwline("n:" H1 ":1:1::/h::allow_nets=10.0.0.0/8", &pl, buf,
	    sizeof(buf), why, sizeof(why)), -1);
	CHECK_INT(pwline("q:" H1 ":1:1::/h::userdb_quota_rule=*:storage=1Q",
	    &pl, buf, sizeof(buf), why, sizeof(why)), -1);
	CHECK(strstr(why, "storage \"1Q\"") != NULL, "why \"%s\"", why);
	CHECK_INT(pwline("q:" H1 ":1:1::/h::userdb_quota_rule=*:size=1",
	    &pl, buf, sizeof(buf), why, sizeof(why)), -1);
	CHECK_INT(pwline("q:" H1 ":1:1::/h::userdb_quota_rule=*:messages=1k",
	    &pl, buf, sizeof(buf), why, sizeof(why)), -1);
	CHECK_INT(pwline("q:" H1 ":1:1::/h::userdb_quota_rule=*:storage="
	    "99999999999999999999", &pl, buf, sizeof(buf), why, sizeof(why)),
	    -1);
}

/* Load content as a passwd-file read for kind. */
static int
load_passwd(int kind, const char *content, struct table *t, char *path,
    size_t len)
{
	(void)strlcpy(path, mkfile("users", content), len);
	return load_path(path, kind | TABLE_PASSWD, t);
}

#define PWFILE								\
	"# Dovecot's users\n"						\
	"\n"								\
	"alice:" H1 ":1000:1000::/home/alice::"				\
	    "userdb_mail=maildir:~/Maildir userdb_quota_rule=*:storage=1G\n" \
	"bob@example.com:" H6 ":1001:1002:Bob B:/home/bob:/bin/false\n"	\
	":ignored:line\n"						\
	"carol:" H2 ":1003:1003::/home/carol::"				\
	    "userdb_quota_rule=*:messages=10 userdb_quota_rule2=Trash:ignore\r\n"

/* One file, three readings: hashes, user info, quotas. */
static void
test_passwd_load(void)
{
	struct table	 t;
	struct userinfo	 u;
	char		 path[PATH_MAX];

	CHECK_INT(load_passwd(TABLE_AUTH, PWFILE, &t, path, sizeof(path)), 0);
	CHECK_INT(t.n, 3);
	CHECK_STR(table_get(&t, "alice"), H1);
	CHECK_STR(table_get(&t, "bob@example.com"), H6);
	CHECK_STR(table_get(&t, "carol"), H2);
	CHECK_STR(errs, "");
	table_free(&t);

	CHECK_INT(load_passwd(TABLE_USERS, PWFILE, &t, path, sizeof(path)), 0);
	CHECK_INT(t.n, 3);
	CHECK_INT(user(&t, "alice", &u), 1);
	CHECK_INT(u.uid, 1000);
	CHECK_STR(u.path, "/home/alice/Maildir");
	CHECK_INT(u.own, 1);
	CHECK_INT(user(&t, "bob@example.com", &u), 1);
	CHECK_INT(u.uid, 1001);
	CHECK_INT(u.gid, 1002);
	CHECK_STR(u.path, "/home/bob");
	CHECK_INT(u.own, 0);
	/* No hash in the users' reading. */
	CHECK(memmem(t.buf, t.bufsz, "$2b$", 4) == NULL,
	    "a hash in the user info");
	/* The ignored rule, once. */
	CHECK(strstr(errs, "1 line with extra fields popd ignores (the first "
	    "on line 6: userdb_quota_rule2)") != NULL, "log \"%s\"", errs);
	table_free(&t);

	CHECK_INT(load_passwd(TABLE_QUOTAS, PWFILE, &t, path, sizeof(path)),
	    0);
	CHECK_INT(t.n, 2);
	CHECK_STR(table_get(&t, "alice"), "1G");
	CHECK_STR(table_get(&t, "carol"), "messages 10");
	CHECK(table_get(&t, "bob@example.com") == NULL, "bob has a quota");
	table_free(&t);

	/*
	 * A refused hash: file:line, the user unable to log in, the others
	 * loaded (issue 69), as authtab's.
	 */
	CHECK_INT(load_passwd(TABLE_AUTH, "a:" H1 "\nb:{PLAIN}secret\n"
	    "c\nd::1:1::/d\n", &t, path, sizeof(path)), 0);
	CHECK_STR(table_get(&t, "a"), H1);
	CHECK_STR(table_get(&t, "b"), "!PLAIN");
	table_free(&t);
	/* The words may change as the hash kinds grow: the line and user. */
	CHECK_LOGGED(path, 2, "\"b\"");
	CHECK(strstr(errs, ":3:") == NULL && strstr(errs, ":4:") == NULL,
	    "no password is no error: %s", errs);
	CHECK(strstr(errs, "secret") == NULL, "the password logged: %s", errs);
	/* No password: a user whom no password lets in, as in Dovecot. */
	CHECK_INT(load_passwd(TABLE_AUTH, "a:" H1 "\nd::1:1::/d\n", &t, path,
	    sizeof(path)), 0);
	CHECK_INT(t.n, 1);
	CHECK(table_get(&t, "d") == NULL, "d has a password");
	table_free(&t);
	CHECK_INT(load_passwd(TABLE_USERS, "a:" H1 ":1:1::/a\nb:" H1 "\n"
	    "c:" H1 ":0:1::/c\nd/x:" H1 ":1:1::/d\n", &t, path, sizeof(path)),
	    -1);
	CHECK_LOGGED(path, 2, "user \"b\": no uid");
	CHECK_LOGGED(path, 3, "user \"c\": uid and gid 0 are refused");
	CHECK_LOGGED(path, 4, "invalid user name \"d/x\"");
	/* Only the user info needs the ids: the hashes load. */
	CHECK_INT(load_passwd(TABLE_AUTH, "a:" H1 ":1:1::/a\nb:" H1 "\n",
	    &t, path, sizeof(path)), 0);
	table_free(&t);
	CHECK_INT(load_passwd(TABLE_QUOTAS, "a:" H1 ":1:1::/a::"
	    "userdb_quota_rule=*:storage=x\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "quota rule: storage \"x\" is not a number");
	CHECK_INT(load_passwd(TABLE_USERS, "a:" H1 ":1:1::/a::"
	    "userdb_quota_rule=*:size=1\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "quota rule: unknown limit \"size\"");
	/* Only the user info and the quotas read the rules: the hashes load. */
	CHECK_INT(load_passwd(TABLE_AUTH, "a:" H1 ":1:1::/a::"
	    "userdb_quota_rule=*:storage=x\n", &t, path, sizeof(path)), 0);
	CHECK_STR(table_get(&t, "a"), H1);
	table_free(&t);
	CHECK_INT(load_passwd(TABLE_AUTH, "a:" H1 "\na:" H2 "\n", &t, path,
	    sizeof(path)), 0);
	CHECK_LOGGED(path, 2, "duplicate entry for \"a\" (first on line 1)");
	CHECK_STR(table_get(&t, "a"), "!");
	table_free(&t);
	CHECK_INT(load_passwd(TABLE_ROUTES, "a:" H1 "\n", &t, path,
	    sizeof(path)), -1);
	/* Blanks before '#': not a comment for Dovecot (a user " #"). */
	CHECK_INT(load_passwd(TABLE_AUTH, " # x:" H1 "\n", &t, path,
	    sizeof(path)), -1);
}

/* A route's pool: its syntax, and which backend the rendezvous picks. */
static void
test_route_pool(void)
{
	char	pool[ROUTE_POOLMAX][INET6_ADDRSTRLEN], user[32];
	int	usable[ROUTE_POOLMAX] = { 1, 1, 1 };
	int	before[3000], count[3] = { 0, 0, 0 }, i, now, moved = 0;
	int	stayed = 0;

	CHECK_INT(table_route_split("192.0.2.21", pool), 1);
	CHECK_STR(pool[0], "192.0.2.21");
	CHECK_INT(table_route_split(" 192.0.2.21, 2001:db8::22\t192.0.2.23",
	    pool), 3);
	CHECK_STR(pool[1], "2001:db8::22");
	CHECK_STR(pool[2], "192.0.2.23");
	CHECK_INT(table_route_split("1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 "
	    "5.5.5.5 6.6.6.6 7.7.7.7 8.8.8.8", pool), 8);
	CHECK_INT(table_route_split("1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 "
	    "5.5.5.5 6.6.6.6 7.7.7.7 8.8.8.8 9.9.9.9", pool), -1);
	CHECK_INT(table_route_split("192.0.2.21 192.0.2.21", pool), -1);
	CHECK_INT(table_route_split("192.0.2.21 backend2", pool), -1);
	CHECK_INT(table_route_split(" , ", pool), -1);
	CHECK_INT(table_valid_route("192.0.2.21,192.0.2.22"), 1);
	CHECK_INT(table_valid_route("192.0.2.0/24"), 0);

	/* Stable, and spread: 3000 users over 3 backends. */
	CHECK_INT(table_route_split("192.0.2.21 192.0.2.22 192.0.2.23", pool),
	    3);
	for (i = 0; i < 3000; i++) {
		(void)snprintf(user, sizeof(user), "user%d@example.org", i);
		before[i] = table_route_pick(user, pool, 3, usable);
		CHECK_INT(table_route_pick(user, pool, 3, usable), before[i]);
		count[before[i]]++;
	}
	for (i = 0; i < 3; i++)
		CHECK(count[i] > 850 && count[i] < 1150, "backend %d has %d "
		    "of 3000 users", i, count[i]);
	/* The second goes: only its users move, to both others. */
	usable[1] = 0;
	count[0] = count[2] = 0;
	for (i = 0; i < 3000; i++) {
		(void)snprintf(user, sizeof(user), "user%d@example.org", i);
		now = table_route_pick(user, pool, 3, usable);
		if (before[i] == 1) {
			moved++;
			count[now]++;
		} else if (now == before[i])
			stayed++;
	}
	CHECK_INT(stayed, 3000 - moved);
	CHECK(moved * 3 > 2550 && moved * 3 < 3450, "%d of 3000 moved", moved);
	CHECK(count[0] > moved / 3 && count[2] > moved / 3, "moved to the "
	    "first %d, the third %d", count[0], count[2]);
	/* It comes back: so do they. */
	usable[1] = 1;
	for (i = 0; i < 3000; i++) {
		(void)snprintf(user, sizeof(user), "user%d@example.org", i);
		CHECK_INT(table_route_pick(user, pool, 3, usable), before[i]);
	}
	usable[0] = usable[1] = usable[2] = 0;
	CHECK_INT(table_route_pick("alice", pool, 3, usable), -1);
}

/*
 * junk users: each value in popd.conf's junk words (or none), read back
 * the same; a bad line is an error that names the file, the line and
 * the user, and the table is not loaded.
 */
static void
test_junk(void)
{
	static const struct {
		const char	*in;
		int		 ok;
		const char	*folder, *subject;
		int		 tag;
		const char	*out;
	} v[] = {
		{ "none", 1, "", "", JUNK_TAG_NONE, "none" },
		{ "Junk merge", 1, "Junk", "", JUNK_TAG_NONE, "Junk merge" },
		{ " Spam\tmerge  tag", 1, "Spam", "", JUNK_TAG_HEADER,
		    "Spam merge tag" },
		{ "Junk merge tag subject [SPAM]", 1, "Junk", "[SPAM]",
		    JUNK_TAG_SUBJECT, "Junk merge tag subject \"[SPAM]\"" },
		{ "Junk merge tag subject \"[SPAM] \"", 1, "Junk", "[SPAM] ",
		    JUNK_TAG_SUBJECT, "Junk merge tag subject \"[SPAM] \"" },
		{ "Junk merge tag subject ** spam **", 1, "Junk",
		    "** spam **", JUNK_TAG_SUBJECT,
		    "Junk merge tag subject \"** spam **\"" },
		{ "Lists.Spam merge", 1, "Lists.Spam", "", JUNK_TAG_NONE,
		    "Lists.Spam merge" },
		{ "", 0, NULL, NULL, 0, NULL },
		{ "none merge", 1, "none", "", JUNK_TAG_NONE, "none merge" },
		{ "none tag", 0, NULL, NULL, 0, NULL },
		{ "Junk", 0, NULL, NULL, 0, NULL },
		{ "Junk copy", 0, NULL, NULL, 0, NULL },
		{ "Junk merge label", 0, NULL, NULL, 0, NULL },
		{ "Junk merge tag subject", 0, NULL, NULL, 0, NULL },
		{ "Junk merge tag header X", 0, NULL, NULL, 0, NULL },
		{ "Junk merge tag extra", 0, NULL, NULL, 0, NULL },
		{ ".Junk merge", 0, NULL, NULL, 0, NULL },
		{ "../../etc merge", 0, NULL, NULL, 0, NULL },
		{ "Junk/../x merge", 0, NULL, NULL, 0, NULL },
		{ "a..b merge", 0, NULL, NULL, 0, NULL },
		{ "Junk. merge", 0, NULL, NULL, 0, NULL },
		{ "inbox merge", 0, NULL, NULL, 0, NULL },
		{ "Junk merge tag subject \"\"", 0, NULL, NULL, 0, NULL },
		{ "Junk merge tag subject a\tb", 0, NULL, NULL, 0, NULL },
		{ "0123456789012345678901234567890123456789012345678901234567"
		    "89012 merge", 1,
		    "0123456789012345678901234567890123456789012345678901234567"
		    "89012", "", JUNK_TAG_NONE, NULL },
		{ "0123456789012345678901234567890123456789012345678901234567"
		    "890123 merge", 0, NULL, NULL, 0, NULL },
	};
	struct conf_junk	 j, back;
	struct table		 t;
	char			 buf[JUNK_SPECMAX], err[JUNK_SPECMAX + 160];
	char			 path[PATH_MAX];
	const char		*p;
	size_t			 i;
	int			 r;

	for (i = 0; i < nitems(v); i++) {
		err[0] = '\0';
		r = junk_spec_parse(v[i].in, &j, err, sizeof(err));
		CHECK(r == (v[i].ok ? 0 : -1), "junk \"%s\": %d (%s)",
		    v[i].in, r, err);
		CHECK(settings_junk_ok(&j), "junk \"%s\": a valid setting",
		    v[i].in);
		if (!v[i].ok) {
			CHECK(err[0] != '\0' && j.folder[0] == '\0',
			    "junk \"%s\": a reason, and none left", v[i].in);
			continue;
		}
		CHECK_STR(j.folder, v[i].folder);
		CHECK_STR(j.subject, v[i].subject);
		CHECK_INT(j.tag, v[i].tag);
		CHECK(junk_spec_format(&j, buf, sizeof(buf)) <
		    (int)sizeof(buf), "junk \"%s\" formatted", v[i].in);
		if (v[i].out != NULL)
			CHECK_STR(buf, v[i].out);
		CHECK_INT(junk_spec_parse(buf, &back, NULL, 0), 0);
		CHECK(memcmp(&j, &back, sizeof(j)) == 0, "junk \"%s\" read "
		    "back the same", buf);
	}

	p = mkfile("junks", "# per user\nalice\tSpam merge tag\n"
	    "bob none\ncarol Junk merge tag subject \"[SPAM] \"\n");
	CHECK_INT(load_path(p, TABLE_JUNK, &t), 0);
	CHECK_STR(table_get(&t, "alice"), "Spam merge tag");
	CHECK_STR(table_get(&t, "bob"), "none");
	CHECK_STR(table_get(&t, "carol"),
	    "Junk merge tag subject \"[SPAM] \"");
	CHECK(table_get(&t, "dave") == NULL, "dave has the default");
	table_free(&t);
	(void)strlcpy(path, mkfile("junks", "alice Junk merge\n"
	    "bob Junk/.. merge\ncarol\ndave Junk merge tag subject\n"),
	    sizeof(path));
	CHECK_INT(load_path(path, TABLE_JUNK, &t), -1);
	CHECK(empty(&t), "a bad file loads nothing");
	CHECK_LOGGED(path, 2, "\"bob\": junk \"Junk/..\": a folder's name");
	CHECK_LOGGED(path, 3, "\"carol\" has no value");
	CHECK_LOGGED(path, 4, "\"dave\": junk \"Junk merge tag subject\": "
	    "must be FOLDER merge [tag [subject PREFIX]], or none");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	log_init(1, LOG_MAIL);
	table_hash_allowed = pwscheme_allowed;
	test_good_usertab();
	test_bad_usertab();
	test_authtab();
	test_duplicates();
	test_names();
	test_limits();
	test_format();
	test_many();
	test_lookup();
	test_scan();
	alarm(10);
	test_not_regular();
	test_nul();
	test_passwd_parse();
	test_passwd_load();
	test_route_pool();
	test_junk();
	alarm(0);
	{
		char	cmd[PATH_MAX + 16];

		(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)system(cmd);
	}
	return unit_done();
}
