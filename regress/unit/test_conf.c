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
 * test_conf -- popd.conf(5) (conf/parse.y, conf/config.c) against the
 * golden files in regress/unit/conf/:
 *
 *	NAME.conf	parses; conf_print() gives NAME.out, and parsing
 *			that output again prints the same
 *	bad-NAME.conf	fails; the errors logged are NAME.err, line by
 *			line ("file:line: message"), every one of them
 *
 * Files under conf/inc/ are only included.  The test runs in conf/, so
 * the file names in the messages are relative.  What a golden file cannot
 * hold (a FIFO, a -D macro) is written to a temporary directory.
 *
 * test_conf -s DIR writes each good file's image (confimage.c) into DIR:
 * the seeds of fuzz_confimage.
 *
 * test_conf -u (make conf-update) writes each golden file that differs
 * from what the parser gives, instead of failing on it, and names it:
 * a new setting is a diff to review, not 21 files to type.  A good file
 * that does not parse, or a bad one that does, is still a failure, and
 * its golden file is left alone.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "config.h"
#include "unit.h"

static void	 image(const char *, struct popd_conf *, const char *);

static char	 tmpdir[] = "/tmp/test_conf.XXXXXX";
static char	 errs[65536];	/* what the last parse logged */
static int	 update;	/* -u: rewrite the golden files */
static const char *seeds;	/* -s: write each image there (fuzz seeds) */

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

/* The whole of a file, NUL-terminated, or NULL if it is missing. */
static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 n;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == -1 || (n = ftell(fp)) == -1 ||
	    fseek(fp, 0, SEEK_SET) == -1)
		die(path);
	if ((buf = malloc(n + 1)) == NULL)
		die("malloc");
	if (fread(buf, 1, n, fp) != (size_t)n)
		die(path);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* The configuration as conf_print() shows it (malloc'd). */
static char *
printed(const struct popd_conf *conf)
{
	char	*buf;
	size_t	 len;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		die("open_memstream");
	conf_print(fp, conf);
	if (fclose(fp) == EOF)
		die("fclose");
	return buf;
}

/*
 * Parse with stderr in a file; errs[] gets the messages without the
 * "test_conf[pid]: " that log.c puts in front of each.
 */
static struct popd_conf *
parse_captured(const char *path, int opts)
{
	struct popd_conf	*conf;
	char			 tmp[PATH_MAX], raw[sizeof(errs)];
	char			*line, *p, *msg;
	ssize_t			 n;
	int			 saved, fd;

	(void)snprintf(tmp, sizeof(tmp), "%s/stderr", tmpdir);
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (saved = dup(STDERR_FILENO)) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		die("capture");
	close(fd);
	conf = parse_config(path, opts);
	if (lseek(STDERR_FILENO, 0, SEEK_SET) == -1 ||
	    (n = read(STDERR_FILENO, raw, sizeof(raw) - 1)) == -1)
		die("capture");
	raw[n] = '\0';
	if (dup2(saved, STDERR_FILENO) == -1)
		die("dup2");
	close(saved);

	errs[0] = '\0';
	p = raw;
	while ((line = strsep(&p, "\n")) != NULL) {
		if (*line == '\0')
			continue;
		msg = strstr(line, "]: ");
		(void)strlcat(errs, msg != NULL ? msg + 3 : line,
		    sizeof(errs));
		(void)strlcat(errs, "\n", sizeof(errs));
	}
	return conf;
}

/* A file of text in tmpdir; its path in path. */
static void
tmpfile_text(char *path, size_t len, const char *name, const char *text)
{
	FILE	*fp;

	(void)snprintf(path, len, "%s/%s", tmpdir, name);
	if ((fp = fopen(path, "w")) == NULL)
		die(path);
	fputs(text, fp);
	if (fclose(fp) == EOF)
		die(path);
}

/* name.conf -> name.ext */
static void
golden(char *dst, size_t len, const char *conf, const char *ext)
{
	(void)snprintf(dst, len, "%.*s.%s", (int)(strlen(conf) - 5), conf,
	    ext);
}

static void
check_text(const char *what, const char *got, const char *want)
{
	CHECK(want != NULL && strcmp(got, want) == 0,
	    "%s: expected:\n%s-- got:\n%s--", what,
	    want != NULL ? want : "(no golden file)\n", got);
}

/* A golden file against what was got; with -u, rewritten to it. */
static void
check_golden(const char *path, const char *got, const char *want)
{
	FILE	*fp;

	if (!update) {
		check_text(path, got, want);
		return;
	}
	if (want != NULL && strcmp(got, want) == 0)
		return;
	if ((fp = fopen(path, "w")) == NULL)
		die(path);
	fputs(got, fp);
	if (fclose(fp) == EOF)
		die(path);
	printf("wrote regress/unit/conf/%s\n", path);
}

static void
good(const char *name)
{
	struct popd_conf	*conf, *again;
	char			 path[PATH_MAX], reprint[PATH_MAX];
	char			*out, *want, *out2;
	FILE			*fp;

	conf = parse_captured(name, 0);
	CHECK(conf != NULL, "%s: should parse, got:\n%s", name, errs);
	CHECK_STR(errs, "");
	if (conf == NULL)
		return;
	out = printed(conf);
	golden(path, sizeof(path), name, "out");
	want = slurp(path);
	check_golden(path, out, want);

	/* The printed form is a configuration file too. */
	(void)snprintf(reprint, sizeof(reprint), "%s/reprint.conf", tmpdir);
	if ((fp = fopen(reprint, "w")) == NULL)
		die(reprint);
	fputs(out, fp);
	if (fclose(fp) == EOF)
		die(reprint);
	again = parse_captured(reprint, 0);
	CHECK(again != NULL, "%s printed: should parse, got:\n%s", name,
	    errs);
	if (again != NULL) {
		out2 = printed(again);
		check_text("printed again", out2, out);
		free(out2);
		conf_free(again);
	}
	free(want);
	image(name, conf, out);
	free(out);
	conf_free(conf);
}

/* conf_image's image of c, in *buf (len bytes); 0, or -1. */
static int
imaged(const struct popd_conf *c, char **buf, size_t *len)
{
	FILE	*fp;
	int	 r;

	*buf = NULL;
	if ((fp = open_memstream(buf, len)) == NULL)
		die("open_memstream");
	r = conf_image(fp, c);
	if (fclose(fp) == EOF)
		die("fclose");
	return r;
}

/* Whether the parent takes c as confpop -C would send it. */
static int
taken(const struct popd_conf *c)
{
	struct popd_conf	*back;
	const char		*why;
	char			*buf;
	size_t			 len;

	if (imaged(c, &buf, &len) == -1)
		die("conf_image");
	back = conf_unimage(buf, len, &why);
	free(buf);
	conf_free(back);
	return back != NULL;
}

/*
 * confpop -C's image of conf, read back as the parent reads it
 * (conf_unimage), prints the same; cut short anywhere, longer, or
 * written by a confpop that lies about a string, a number, a name or
 * a count, it is refused.
 */
static void
image(const char *name, struct popd_conf *conf, const char *out)
{
	struct popd_conf	*back;
	struct conf_listen	*l, one;
	struct conf_table	*tb;
	struct conf_settings	 set;
	const char		*why;
	char			*buf, *cut, *out2, save[sizeof(conf->ctlgroup)];
	size_t			 len, i;
	uint32_t		 n;

	CHECK(imaged(conf, &buf, &len) == 0, "%s: conf_image", name);
	if (seeds != NULL) {
		char	 path[PATH_MAX];
		FILE	*fp;

		(void)snprintf(path, sizeof(path), "%s/%s", seeds, name);
		if ((fp = fopen(path, "w")) == NULL ||
		    fwrite(buf, 1, len, fp) != len || fclose(fp) == EOF)
			die(path);
	}
	if ((back = conf_unimage(buf, len, &why)) == NULL) {
		CHECK(0, "%s: its image refused: %s", name, why);
		free(buf);
		return;
	}
	out2 = printed(back);
	check_text("read back from its image", out2, out);
	free(out2);
	conf_free(back);
	if ((cut = malloc(len + 1)) == NULL)
		die("malloc");
	for (i = 0; i < len; i += i < 64 ? 1 : 61) {
		memcpy(cut, buf, i);
		back = conf_unimage(cut, i, &why);
		CHECK(back == NULL, "%s: image cut at %zu of %zu taken", name,
		    i, len);
		conf_free(back);
	}
	memcpy(cut, buf, len);
	cut[len] = '\0';
	CHECK((back = conf_unimage(cut, len + 1, &why)) == NULL,
	    "%s: a byte after the image taken", name);
	conf_free(back);
	/* The head's counts: nfiles, nlistens (conf_imghead). */
	for (i = 1; i <= 2; i++) {
		memcpy(cut, buf, len);
		memcpy(&n, cut + i * sizeof(n), sizeof(n));
		n = i == 1 ? n + 1 : 65;
		memcpy(cut + i * sizeof(n), &n, sizeof(n));
		CHECK((back = conf_unimage(cut, len, &why)) == NULL,
		    "%s: count %zu spoiled, taken", name, i);
		conf_free(back);
	}
	/* One file name more than CONF_MAXFILES: refused before any. */
	memcpy(cut, buf, len);
	n = CONF_MAXFILES + 1;
	memcpy(cut + sizeof(n), &n, sizeof(n));
	CHECK((back = conf_unimage(cut, len, &why)) == NULL &&
	    strcmp(why, "too many entries") == 0,
	    "%s: %u file names taken", name, (unsigned)n);
	conf_free(back);
	free(cut);
	free(buf);

	memcpy(save, conf->ctlgroup, sizeof(save));
	memset(conf->ctlgroup, 'x', sizeof(conf->ctlgroup));
	CHECK(!taken(conf), "%s: an unterminated string taken", name);
	memcpy(conf->ctlgroup, save, sizeof(save));
	set = conf->set;
	conf->set.timeout.idle = -1;
	CHECK(!taken(conf), "%s: timeout idle -1 taken", name);
	conf->set = set;
	(void)strlcpy(conf->set.maildir, "../other", sizeof(conf->set.maildir));
	CHECK(!taken(conf), "%s: maildir ../other taken", name);
	conf->set = set;
	conf->set.authsrc = TABSRC_LOOKUP;
	(void)strlcpy(conf->set.authtab, "nosuchtable",
	    sizeof(conf->set.authtab));
	CHECK(!taken(conf), "%s: authtab of no table taken", name);
	conf->set = set;
	/* A script's interpreter, which root may exec: an absolute path. */
	if ((tb = TAILQ_FIRST(&conf->tables)) != NULL) {
		(void)strlcpy(tb->interp, "python3", sizeof(tb->interp));
		CHECK(!taken(conf), "%s: a relative interpreter taken", name);
		(void)strlcpy(tb->interp, "/usr/bin/python3",
		    sizeof(tb->interp));
		CHECK(taken(conf) == !conf_table_file(tb), "%s: %s table's "
		    "interpreter", name, conf_table_file(tb) ? "a file" :
		    "a program");
		tb->interp[0] = '\0';
	}
	if ((l = TAILQ_FIRST(&conf->listens)) == NULL)
		return;
	one = *l;
	l->port = 65536;
	CHECK(!taken(conf), "%s: port 65536 taken", name);
	*l = one;
	l->flags |= CONF_LISTEN_LMTP | CONF_LISTEN_TLS;
	CHECK(!taken(conf), "%s: a listener of two kinds taken", name);
	*l = one;
	l->flags = CONF_LISTEN_LMTP;
	l->path[0] = l->pki[0] = l->group[0] = l->user[0] = '\0';
	(void)strlcpy(l->addr, "0.0.0.0", sizeof(l->addr));
	CHECK(!taken(conf), "%s: lmtp on 0.0.0.0 taken", name);
	(void)strlcpy(l->addr, "127.0.0.1", sizeof(l->addr));
	l->port = 24;
	CHECK(taken(conf), "%s: lmtp on 127.0.0.1 refused", name);
	*l = one;
	if (l->flags & (CONF_LISTEN_HTTP | CONF_LISTEN_LMTP |
	    CONF_LISTEN_HEALTH))
		return;
	(void)strlcpy(l->pki, "no such pki", sizeof(l->pki));
	CHECK(!taken(conf), "%s: a listener of no pki taken", name);
	*l = one;
}

static void
bad(const char *name)
{
	struct popd_conf	*conf;
	char			 path[PATH_MAX];
	char			*want;

	conf = parse_captured(name, 0);
	CHECK(conf == NULL, "%s: should fail", name);
	golden(path, sizeof(path), name, "err");
	want = slurp(path);
	if (conf == NULL)
		check_golden(path, errs, want);
	else
		check_text(path, errs, want);
	conf_free(conf);
	free(want);
}

/* -D macros win over the file's and stay for the next parse (reload). */
static void
cmdline(void)
{
	struct popd_conf	*conf;
	char			*out, *want;
	char			 path[PATH_MAX], want2[2 * PATH_MAX];
	int			 i;

	CHECK_INT(cmdline_symset("noequals"), -1);
	CHECK_INT(cmdline_symset("bad-name=1"), -1);
	CHECK_INT(cmdline_symset("=1"), -1);
	CHECK_INT(cmdline_symset("pop3s=2995"), 0);
	CHECK_INT(cmdline_symset("addr=::1"), 0);
	CHECK_INT(cmdline_symset("addr=192.0.2.1"), 0);	/* last one wins */
	for (i = 0; i < 2; i++) {
		conf = parse_captured("cmdline.conf", 0);
		CHECK(conf != NULL, "cmdline.conf with -D: got:\n%s", errs);
		if (conf == NULL)
			return;
		out = printed(conf);
		want = slurp("cmdline-D.out");
		check_golden("cmdline-D.out", out, want);
		free(out);
		free(want);
		conf_free(conf);
	}

	/*
	 * Only -D can put a newline in a macro: it would end the line, start
	 * another statement, and let a macro that names itself expand
	 * without end.  An error where it is used.
	 */
	CHECK_INT(cmdline_symset("nl=x\n$nl"), 0);
	tmpfile_text(path, sizeof(path), "nl.conf",
	    "pki a cert \"/etc/ssl/a.crt\"\npki a key \"/etc/ssl/a.key\"\n"
	    "listen on $nl tls\n");
	alarm(10);
	conf = parse_captured(path, 0);
	alarm(0);
	CHECK(conf == NULL, "a macro with a newline");
	(void)snprintf(want2, sizeof(want2), "%s:3: macro \"nl\": the value "
	    "has a newline\n", path);
	CHECK_STR(errs, want2);
	(void)unlink(path);
}

/*
 * A FIFO as popd.conf or as an include is refused at once, with the
 * include's file:line; opening it would block until a writer came (the
 * alarm turns such a hang into a failure).
 */
static void
fifo(void)
{
	struct popd_conf	*conf;
	char			 path[PATH_MAX], conffile[PATH_MAX];
	char			 want[3 * PATH_MAX];

	(void)snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	if (mkfifo(path, 0600) == -1)
		die(path);
	tmpfile_text(conffile, sizeof(conffile), "fifo.conf",
	    "listen on * tls\ninclude \"fifo\"\n");
	alarm(10);
	conf = parse_captured(conffile, CONF_NOCHECK);
	CHECK(conf == NULL, "an include that is a FIFO");
	(void)snprintf(want, sizeof(want), "%s:2: include \"%s\": not a "
	    "regular file\n", conffile, path);
	CHECK_STR(errs, want);
	conf = parse_captured(path, CONF_NOCHECK);
	CHECK(conf == NULL, "popd.conf that is a FIFO");
	(void)snprintf(want, sizeof(want), "%s: not a regular file\n", path);
	CHECK_STR(errs, want);
	alarm(0);
	(void)unlink(path);
	(void)unlink(conffile);
}

/* What the golden files cannot show: defaults, options, parsed bits. */
static void
api(void)
{
	struct popd_conf	*conf;
	struct conf_trusted	*t;
	struct conf_listen	*l;

	conf = conf_new();
	CHECK_STR(conf->set.authtab, "/etc/mail/authtab");
	CHECK_STR(conf->set.usertab, "/etc/mail/usertab");
	CHECK_STR(conf->set.maildir, "");
	CHECK_INT(conf->set.timeout.idle, 600);
	CHECK_INT(conf->set.limit.sessions, 4096);
	CHECK_INT(conf->set.expire, -1);
	CHECK(TAILQ_EMPTY(&conf->listens), "no listener by default");
	conf_free(conf);
	conf_free(NULL);

	/* Syntax only: an empty file has no listener, but parses. */
	conf = parse_captured("inc/empty.conf", CONF_NOCHECK);
	CHECK(conf != NULL, "CONF_NOCHECK: got:\n%s", errs);
	conf_free(conf);
	conf = parse_captured("inc/empty.conf", 0);
	CHECK(conf == NULL, "empty file without CONF_NOCHECK");
	CHECK_STR(errs, "inc/empty.conf: no \"listen on\" statement\n");

	conf = parse_captured("missing.conf", 0);
	CHECK(conf == NULL, "missing file");
	CHECK_STR(errs, "missing.conf: No such file or directory\n");

	conf = parse_captured("full.conf", 0);
	CHECK(conf != NULL, "full.conf: got:\n%s", errs);
	if (conf == NULL)
		return;
	t = TAILQ_FIRST(&conf->trusted);
	CHECK(t != NULL, "a trusted network");
	if (t != NULL) {
		CHECK_INT(t->net.af, AF_INET);
		CHECK_INT(t->net.bits, 8);
		CHECK_INT(t->net.addr[0], 10);
		CHECK_INT(t->net.addr[1], 0);	/* host bits cleared */
		CHECK_STR(t->text, "10.1.2.3/8");
		CHECK_STR(t->where.file, "full.conf");
	}
	l = TAILQ_FIRST(&conf->listens);
	CHECK(l != NULL, "a listener");
	if (l != NULL) {
		CHECK_INT(l->flags, CONF_LISTEN_TLS);
		CHECK_INT(l->port, 995);
		CHECK(l->where.line > 1, "listener line %d", l->where.line);
	}
	conf_free(conf);
}

int
main(int argc, char *argv[])
{
	glob_t	 g;
	char	 self[PATH_MAX], dir[PATH_MAX];
	size_t	 i;

	if (argc == 2 && strcmp(argv[1], "-u") == 0)
		update = 1;
	else if (argc == 3 && strcmp(argv[1], "-s") == 0)
		seeds = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: test_conf [-u | -s dir]\n");
		return 2;
	}
	log_init(1, LOG_MAIL);
	log_procinit("test_conf");
	if (mkdtemp(tmpdir) == NULL)
		die("mkdtemp");
	(void)strlcpy(self, argv[0], sizeof(self));
	(void)snprintf(dir, sizeof(dir), "%s/conf", dirname(self));
	if (chdir(dir) == -1)
		die(dir);

	if (glob("*.conf", 0, NULL, &g) != 0) {
		fprintf(stderr, "%s: no *.conf\n", dir);
		return 2;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		if (strncmp(g.gl_pathv[i], "bad-", 4) == 0)
			bad(g.gl_pathv[i]);
		else
			good(g.gl_pathv[i]);
	}
	globfree(&g);
	api();
	fifo();
	cmdline();

	(void)snprintf(dir, sizeof(dir), "%s/stderr", tmpdir);
	(void)unlink(dir);
	(void)snprintf(dir, sizeof(dir), "%s/reprint.conf", tmpdir);
	(void)unlink(dir);
	(void)rmdir(tmpdir);
	return unit_done();
}
