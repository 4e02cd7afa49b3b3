/*
 * test_table -- authtab and usertab parsing (common/table.c): golden
 * cases, each checking the result and the "file:line: reason" message.
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

#include "table.h"
#include "unit.h"

#define H1	"$2b$04$uFPyEj/AJZe79Zyj5mRQAegzOVZOd0m0.khvz1lKmboKBJBheAYNq"
#define H2	"$2b$05$nAK2teh/7E8nSjM2TZBXHuHh3bFVN9yGkKM85Bb4TmG4E3MIJXQkO"
#define H6	"$6$rounds=5000$saltsalt$Xr4ahJ5H.Zwz8HRT6xFhJ3bL2dIaZ8mZL1p" \
		"T3nV9.qXW7A0k1mH6Y8r0e2yI3u5o7a9c1e3g5i7k9m1o3q5s7u9w1y3A"

static char	 dir[] = "/tmp/test_table.XXXXXX";
static char	 errs[8192];	/* what the last load logged */

/* Write a table file; returns its path (static buffer). */
static const char *
mkfile(const char *name, const char *content)
{
	static char	 path[PATH_MAX];
	FILE		*fp;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(2);
	}
	fputs(content, fp);
	if (fclose(fp) == EOF) {
		perror(path);
		exit(2);
	}
	return path;
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

static int
load(int auth, const char *content, struct usertree *t, char *path,
    size_t len)
{
	const char	*p;
	int		 saved, r;

	p = mkfile(auth ? "authtab" : "usertab", content);
	(void)strlcpy(path, p, len);
	saved = capture_start();
	r = auth ? table_load_auth(path, t) : table_load_users(path, t);
	capture_end(saved);
	return r;
}

static int
count(struct usertree *t)
{
	struct userent	*u;
	int		 n = 0;

	RB_FOREACH(u, usertree, t)
		n++;
	return n;
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
	struct usertree	 t;
	struct userent	*u;
	char		 path[PATH_MAX];

	CHECK_INT(load(0,
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
	CHECK_INT(count(&t), 6);
	u = table_lookup(&t, "alice");
	CHECK(u != NULL, "alice: expected an entry");
	if (u != NULL) {
		CHECK_INT(u->uid, 1000);
		CHECK_INT(u->gid, 1000);
		CHECK_STR(u->path, "/home/alice");
		CHECK_INT(u->lineno, 4);
	}
	u = table_lookup(&t, "bob");
	CHECK(u != NULL && u->uid == 1001 && u->gid == 1002 &&
	    strcmp(u->path, "/var/mail/bob") == 0,
	    "bob: tabs and trailing blanks: got %s",
	    u != NULL ? u->path : "nothing");
	u = table_lookup(&t, "carol");
	CHECK(u != NULL && strcmp(u->path, "/srv/mail/carol") == 0,
	    "carol: colon separator and CRLF: got \"%s\"",
	    u != NULL ? u->path : "nothing");
	u = table_lookup(&t, "dave");
	CHECK(u != NULL && u->uid == 1004, "dave: mixed separator run");
	u = table_lookup(&t, "first.last+tag@example.org");
	CHECK(u != NULL && strcmp(u->path, "/m/p with space") == 0,
	    "address-like name, path with a space");
	u = table_lookup(&t, "eve");
	CHECK(u != NULL && strcmp(u->path, "/m/eve") == 0,
	    "eve: last line without newline");
	CHECK(table_lookup(&t, "Alice") == NULL, "names are case-sensitive");
	CHECK(table_lookup(&t, "") == NULL, "empty name");
	table_free(&t);
	CHECK_INT(count(&t), 0);
}

static void
test_bad_usertab(void)
{
	struct usertree	t;
	char		path[PATH_MAX];

	CHECK_INT(load(0, "alice 1000:1000:/a\nbob 1:1:/b\nalice 2:2:/c\n",
	    &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 3, "duplicate entry for \"alice\"");

	CHECK_INT(load(0, "root 0:1000:/root\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "uid and gid 0 are refused");
	CHECK_INT(load(0, "\nwheel 1000:0:/w\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 2, "uid and gid 0 are refused");

	CHECK_INT(load(0, "alice 1000:1000:home/alice\n", &t, path,
	    sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "path \"home/alice\" is not absolute");
	CHECK_INT(load(0, "a 1:1:/home/../etc\n", &t, path, sizeof(path)),
	    -1);
	CHECK_LOGGED(path, 1, "path \"/home/../etc\" contains \"..\"");
	CHECK_INT(load(0, "a 1:1:/home/..\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "path \"/home/..\" contains \"..\"");
	CHECK_INT(load(0, "a 1:1:/home/..x/y\n", &t, path, sizeof(path)), 0);
	table_free(&t);

	CHECK_INT(load(0, "alice\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "\"alice\" has no value");
	CHECK_INT(load(0, "# x\nalice   \t\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 2, "\"alice\" has no value");

	CHECK_INT(load(0, "al/ice 1:1:/a\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "invalid user name \"al/ice\"");
	CHECK_INT(load(0, "-alice 1:1:/a\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "invalid user name \"-alice\"");

	CHECK_INT(load(0, "alice 1000\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "value must be uid:gid:/path");
	CHECK_INT(load(0, "alice x:1:/a\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "uid \"x\" is invalid");
	CHECK_INT(load(0, "alice 1:-5:/a\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "gid \"-5\" is too small");
	CHECK_INT(load(0, "alice 99999999999:1:/a\n", &t, path,
	    sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "uid \"99999999999\" is too large");

	/* Every bad line is reported, not only the first. */
	CHECK_INT(load(0, "a 0:1:/a\nb 1:1:/b\nc 1:1:c\n", &t, path,
	    sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "uid and gid 0 are refused");
	CHECK_LOGGED(path, 3, "path \"c\" is not absolute");
	CHECK(strstr(errs, ":2:") == NULL, "line 2 is good, got \"%s\"",
	    errs);

	(void)snprintf(path, sizeof(path), "%s/missing", dir);
	{
		int	saved = capture_start();

		CHECK_INT(table_load_users(path, &t), -1);
		capture_end(saved);
	}
	CHECK(strstr(errs, strerror(ENOENT)) != NULL,
	    "missing file: expected \"%s\", got \"%s\"", strerror(ENOENT),
	    errs);
}

static void
test_authtab(void)
{
	struct usertree	 t, u;
	struct userent	*e;
	char		 path[PATH_MAX], upath[PATH_MAX];
	int		 saved;

	CHECK_INT(load(1, "# creds\nalice " H1 "\nbob:" H2 "\r\n"
	    "carol\t" H6, &t, path, sizeof(path)), 0);
	CHECK_STR(errs, "");
	CHECK_INT(count(&t), 3);
	e = table_lookup(&t, "alice");
	CHECK_STR(e != NULL ? e->hash : NULL, H1);
	e = table_lookup(&t, "bob");
	CHECK_STR(e != NULL ? e->hash : NULL, H2);
	e = table_lookup(&t, "carol");
	CHECK_STR(e != NULL ? e->hash : NULL, H6);
	table_free(&t);

	/* A clear-text password: refused, and never logged. */
	CHECK_INT(load(1, "alice hunter2secret\n", &t, path, sizeof(path)),
	    -1);
	CHECK_LOGGED(path, 1, "\"alice\" has no bcrypt or SHA-crypt hash");
	CHECK(strstr(errs, "hunter2secret") == NULL,
	    "the bad value must not be logged: got \"%s\"", errs);
	CHECK_INT(load(1, "alice $1$salt$abcdefghijklmnopqrstuv\n", &t, path,
	    sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "\"alice\" has no bcrypt or SHA-crypt hash");
	/* bcrypt with a cost crypt(3) refuses, bad length, bad alphabet. */
	CHECK_INT(load(1, "alice $2b$99$uFPyEj/AJZe79Zyj5mRQAegzOVZOd0m0."
	    "khvz1lKmboKBJBheAYNq\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "\"alice\" has no bcrypt or SHA-crypt hash");
	CHECK_INT(load(1, "alice $2b$03$uFPyEj/AJZe79Zyj5mRQAegzOVZOd0m0."
	    "khvz1lKmboKBJBheAYNq\n", &t, path, sizeof(path)), -1);
	CHECK_INT(load(1, "alice " H1 "x\n", &t, path, sizeof(path)), -1);
	CHECK_INT(load(1, "alice $2b$04$uFPyEj/AJZe79Zyj5mRQAegzOVZOd0m0."
	    "khvz1lKmboKBJBheAY!q\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "\"alice\" has no bcrypt or SHA-crypt hash");
	CHECK_INT(load(1, "alice " H1 "\nalice " H2 "\n", &t, path,
	    sizeof(path)), -1);
	CHECK_LOGGED(path, 2, "duplicate entry for \"alice\"");
	CHECK_INT(load(1, "bob\n", &t, path, sizeof(path)), -1);
	CHECK_LOGGED(path, 1, "\"bob\" has no value");

	/* Every authtab user needs a usertab entry. */
	CHECK_INT(load(1, "alice " H1 "\n\ncarol " H2 "\n", &t, path,
	    sizeof(path)), 0);
	CHECK_INT(load(0, "alice 1000:1000:/a\nbob 1001:1001:/b\n", &u, upath,
	    sizeof(upath)), 0);
	saved = capture_start();
	CHECK_INT(table_crosscheck(path, &t, upath, &u), -1);
	capture_end(saved);
	{
		char	reason[PATH_MAX + 64];

		(void)snprintf(reason, sizeof(reason),
		    "user \"carol\" is not in %s", upath);
		CHECK_LOGGED(path, 3, reason);
	}
	CHECK(strstr(errs, "alice") == NULL, "alice is fine, got \"%s\"",
	    errs);
	table_free(&t);
	CHECK_INT(load(1, "bob " H1 "\n", &t, path, sizeof(path)), 0);
	saved = capture_start();
	CHECK_INT(table_crosscheck(path, &t, upath, &u), 0);
	capture_end(saved);
	CHECK_STR(errs, "");
	table_free(&t);
	table_free(&u);
}

static void
test_lookup(void)
{
	struct usertree	t;
	char		path[PATH_MAX], name[POPD_MAXUSER + 2];

	memset(name, 'a', sizeof(name));
	name[sizeof(name) - 1] = '\0';
	CHECK_INT(load(0, "alice 1:1:/a\n", &t, path, sizeof(path)), 0);
	CHECK(table_lookup(&t, name) == NULL, "over-long name: no entry");
	table_free(&t);
}

/*
 * Only a regular file is read, and a FIFO is refused at once: opening
 * one would block until a writer came (the SIGALRM set in main() turns
 * such a hang into a failure).
 */
static void
test_not_regular(void)
{
	struct usertree	t;
	char		path[PATH_MAX], want[PATH_MAX + 64];
	int		saved, i;

	(void)snprintf(path, sizeof(path), "%s/fifo", dir);
	if (mkfifo(path, 0600) == -1) {
		perror(path);
		exit(2);
	}
	for (i = 0; i < 2; i++) {
		saved = capture_start();
		CHECK_INT(i == 0 ? table_load_auth(path, &t) :
		    table_load_users(path, &t), -1);
		capture_end(saved);
		(void)snprintf(want, sizeof(want), "%s: not a regular file\n",
		    path);
		CHECK(strstr(errs, want) != NULL, "expected \"%s\", got \"%s\"",
		    want, errs);
	}
	saved = capture_start();
	CHECK_INT(table_load_users(dir, &t), -1);
	capture_end(saved);
	(void)snprintf(want, sizeof(want), "%s: not a regular file\n", dir);
	CHECK(strstr(errs, want) != NULL, "expected \"%s\", got \"%s\"", want,
	    errs);
}

/* A NUL byte would cut a line short where nobody sees it. */
static void
test_nul(void)
{
	struct usertree	 t;
	char		 path[PATH_MAX];
	const char	*p;
	FILE		*fp;
	int		 saved;
	static const char text[] = "alice 1000:1000:/home/alice\0/../../root\n"
	    "bob 1001:1001:/home/bob\n";

	p = mkfile("usertab", "");
	(void)strlcpy(path, p, sizeof(path));
	if ((fp = fopen(path, "w")) == NULL ||
	    fwrite(text, 1, sizeof(text) - 1, fp) != sizeof(text) - 1 ||
	    fclose(fp) == EOF) {
		perror(path);
		exit(2);
	}
	saved = capture_start();
	CHECK_INT(table_load_users(path, &t), -1);
	capture_end(saved);
	CHECK_LOGGED(path, 1, "NUL byte");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	log_init(1, LOG_MAIL);
	test_good_usertab();
	test_bad_usertab();
	test_authtab();
	test_lookup();
	alarm(10);
	test_not_regular();
	test_nul();
	alarm(0);
	{
		char	cmd[PATH_MAX + 16];

		(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)system(cmd);
	}
	return unit_done();
}
