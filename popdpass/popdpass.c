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
 * popdpass(8).  The password lives only in two static buffers an atexit
 * handler wipes, so no exit path leaves a copy; stdin is read one byte
 * at a time so no stdio buffer keeps one.  A file it changes is locked
 * (two runs keep each other's lines) and replaced whole by rename(2), so
 * popd never reads half of one.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <paths.h>
#include <readpassphrase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "pwscheme.h"
#include "table.h"
#include "util.h"
#include "version.h"
#include "popdpass.h"

#ifndef POPD_OPENBSD
#include <sys/prctl.h>
#include <seccomp.h>
#include "landlock.h"
#endif

#define POPDPASS_COST	10	/* the default; popdpass(8) states it */
#define BCRYPT_KEYMAX	72	/* bcrypt ignores the bytes after these */

/* One byte more than a password may have, to see a longer one. */
static char	pass[COMPAT_PASS_MAX + 2];
static char	again[COMPAT_PASS_MAX + 2];
static char	hash[COMPAT_HASH_MAX + 1];

static struct {
	const char	*plainfile;	/* -P */
	const char	*add, *revoke;	/* -A, -R */
	const char	*expiry, *file;	/* -e, -f */
	const char	*keyfile, *nets; /* -k, -n */
	int		 cost, costset;	/* -c */
	int		 fromstdin;	/* -s */
	int		 bar;		/* -B */
} opt;

__dead static void
usage(const char *why)
{
	if (why != NULL)
		warnx("%s", why);
	fprintf(stderr, "usage: popdpass [-sV] [-c cost] [user]\n"
	    "       popdpass [-c cost] -P file\n"
	    "       popdpass -A label [-e expiry] [-f file] "
	    "[-n network[,...]] -k keyfile user\n"
	    "       popdpass -R label -f file user\n"
	    "       popdpass -B -f file user\n");
	exit(1);
}

static void
wipe(void)
{
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(again, sizeof(again));
	explicit_bzero(hash, sizeof(hash));
	app_wipe();
}

/* Twice without echo from /dev/tty, as encrypt(1) and passwd(1) do. */
static void
read_tty(const char *user)
{
	char	prompt[POPD_MAXUSER + 32];

	(void)snprintf(prompt, sizeof(prompt), "Password%s%s: ",
	    user != NULL ? " for " : "", user != NULL ? user : "");
	if (readpassphrase(prompt, pass, sizeof(pass),
	    RPP_REQUIRE_TTY) == NULL)
		err(1, "no terminal to read the password from "
		    "(-s reads standard input)");
	if (pass[0] == '\0')
		errx(1, "empty password refused");
	if (strchr(pass, '\r') != NULL)
		errx(1, "password with a CR refused");
	if (strlen(pass) > COMPAT_PASS_MAX)
		errx(1, "password longer than %d bytes refused",
		    COMPAT_PASS_MAX);
	if (readpassphrase("Retype password: ", again, sizeof(again),
	    RPP_REQUIRE_TTY) == NULL)
		err(1, "terminal");
	if (strcmp(pass, again) != 0)
		errx(1, "passwords do not match; nothing written");
	explicit_bzero(again, sizeof(again));
}

/* One line; its newline (and a CR before it) is not part of it. */
static void
read_stdin(void)
{
	size_t	len = 0;
	ssize_t	n;
	char	c;

	for (;;) {
		if ((n = read(STDIN_FILENO, &c, 1)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "standard input");
		}
		if (n == 0 || c == '\n')
			break;
		if (c == '\0')
			errx(1, "password with a NUL byte refused");
		if (len >= COMPAT_PASS_MAX)
			errx(1, "password longer than %d bytes refused",
			    COMPAT_PASS_MAX);
		pass[len++] = c;
	}
	explicit_bzero(&c, sizeof(c));
	if (len > 0 && pass[len - 1] == '\r')
		len--;
	pass[len] = '\0';
	/* No POP3 client could send it: see authpop(8), PASSWORDS. */
	if (memchr(pass, '\r', len) != NULL)
		errx(1, "password with a CR refused");
	if (len == 0)
		errx(1, "empty password refused (-s reads one line "
		    "from standard input)");
}

static void
parse_args(int argc, char *argv[])
{
	const char	*errstr;
	int		 ch;

	opt.cost = POPDPASS_COST;
	while ((ch = getopt(argc, argv, "A:Bc:e:f:k:n:P:R:sV")) != -1) {
		switch (ch) {
		case 'A':
			opt.add = optarg;
			break;
		case 'B':
			opt.bar = 1;
			break;
		case 'P':
			opt.plainfile = optarg;
			break;
		case 'R':
			opt.revoke = optarg;
			break;
		case 'V':
			printf("popdpass (popd) %s\n", POPD_VERSION);
			exit(0);
		case 'c':
			/* popd checks no costlier bcrypt (authtab(5)). */
			opt.cost = strtonum(optarg, 4, PWS_BCRYPT_MAX, &errstr);
			if (errstr != NULL)
				errx(1, "cost %s is %s: popd takes bcrypt of "
				    "4 to %d", optarg, errstr, PWS_BCRYPT_MAX);
			opt.costset = 1;
			break;
		case 'e':
			opt.expiry = optarg;
			break;
		case 'f':
			opt.file = optarg;
			break;
		case 'k':
			opt.keyfile = optarg;
			break;
		case 'n':
			opt.nets = optarg;
			break;
		case 's':
			opt.fromstdin = 1;
			break;
		default:
			usage(NULL);
		}
	}
	/* Options that go together, or with -A, -R or -B alone. */
	if ((opt.add != NULL) + (opt.revoke != NULL) + opt.bar > 1)
		usage("-A, -R and -B: one at a time");
	if (opt.add == NULL && (opt.expiry != NULL || opt.nets != NULL ||
	    opt.keyfile != NULL))
		usage("-e, -k and -n go with -A");
	if (opt.add == NULL && opt.revoke == NULL && !opt.bar &&
	    opt.file != NULL)
		usage("-f goes with -A, -R or -B");
}

static void
check_user(const char *user)
{
	if (!valid_username(user))
		errx(1, "invalid user name \"%s\": 1 to %d letters, "
		    "digits and \"._-+@\", not starting with \"-\"",
		    user, POPD_MAXUSER);
}

static int
apps(int argc, char *argv[])
{
	if (opt.plainfile != NULL || opt.fromstdin || opt.costset)
		usage("-c, -P and -s make bcrypt hashes, not app passwords");
	if (argc != 1)
		usage("one user name");
	check_user(argv[0]);
	if (opt.add != NULL) {
		if (opt.keyfile == NULL)
			usage("-A needs -k keyfile: the site key "
			    "the hash is made with");
		return app_add(argv[0], opt.add, opt.expiry, opt.nets,
		    opt.keyfile, opt.file);
	}
	if (opt.file == NULL)
		usage(opt.bar ? "-B needs -f file" : "-R needs -f file");
	if (opt.bar)
		return app_bar(argv[0], opt.file);
	return app_remove(argv[0], opt.revoke, opt.file);
}

/*
 * Before any file is opened: only the directories of file and key and the
 * terminal, no exec, no socket.
 */
static void
confine(const char *file, const char *key, int tty)
{
	const char	*files[2] = { file, key };
	char		 dirs[2][PATH_MAX];
	size_t		 i, n = 0;
#ifdef POPD_OPENBSD
	int		 r = 0;
#else
	static const int allow[] = {
		SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(close),
		SCMP_SYS(openat), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
		SCMP_SYS(statx), SCMP_SYS(lseek), SCMP_SYS(flock),
		SCMP_SYS(fcntl), SCMP_SYS(pread64), SCMP_SYS(access),
		SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(writev),
		SCMP_SYS(clock_gettime), SCMP_SYS(link), SCMP_SYS(linkat),
		SCMP_SYS(fchown), SCMP_SYS(fchmod), SCMP_SYS(fsync),
		SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2),
		SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(getrandom),
		SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap),
		SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(futex),
		SCMP_SYS(geteuid), SCMP_SYS(getegid), SCMP_SYS(getpid),
		SCMP_SYS(sysinfo), SCMP_SYS(rt_sigreturn), SCMP_SYS(exit),
		SCMP_SYS(exit_group),
		/* readpassphrase: the terminal's modes and signals. */
		SCMP_SYS(ioctl), SCMP_SYS(rt_sigaction),
		SCMP_SYS(rt_sigprocmask), SCMP_SYS(kill),
	};
	struct ll_path		 paths[3];
	scmp_filter_ctx		 ctx;
#endif

	for (i = 0; i < nitems(files); i++) {
		if (files[i] == NULL)
			continue;
		if (strlcpy(dirs[n], files[i], PATH_MAX) >= PATH_MAX)
			errx(1, "%s: path too long", files[i]);
		(void)strlcpy(dirs[n], dirname(dirs[n]), PATH_MAX);
		n++;
	}
#ifdef POPD_OPENBSD
	for (i = 0; i < n && r == 0; i++)
		r = unveil(dirs[i], "rwc");
	if (tty && r == 0)
		r = unveil(_PATH_TTY, "rw");
	if (r == 0)
		r = unveil(NULL, NULL);
	/* A hash of the terminal's password; or files, locked, kept owned. */
	if (r == 0 && tty)
		r = pledge("stdio rpath wpath tty", NULL);
	else if (r == 0)
		r = pledge("stdio rpath wpath cpath flock fattr chown", NULL);
	if (r == -1)
		err(1, "confinement");
#else
	for (i = 0; i < n; i++) {
		paths[i].path = dirs[i];
		paths[i].access = LL_FS_READ_FILE | LL_FS_WRITE_FILE |
		    LL_FS_READ_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_REG |
		    LL_FS_TRUNCATE;
	}
	if (tty) {
		paths[n].path = _PATH_TTY;
		paths[n++].access = LL_FS_READ_FILE | LL_FS_WRITE_FILE |
		    LL_FS_IOCTL_DEV;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		err(1, "no_new_privs");
	(void)ll_restrict("popdpass", LL_FS_ALL, 1, paths, n, 1, 0);
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		errx(1, "seccomp_init");
	for (i = 0; i < nitems(allow); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0) < 0)
			errx(1, "seccomp_rule_add");
	if (seccomp_load(ctx) < 0)
		errx(1, "seccomp_load");
	seccomp_release(ctx);
#endif
}

static int
new_hash(const char *user)
{
	if (opt.fromstdin)
		read_stdin();
	else
		read_tty(user);
	if (strlen(pass) > BCRYPT_KEYMAX)
		warnx("bcrypt uses only the first %d bytes of the password",
		    BCRYPT_KEYMAX);

	if (compat_newhash(pass, opt.cost, hash, sizeof(hash)) == -1)
		err(1, "bcrypt");
	/* Print nothing that authpop would not accept for this password. */
	if (compat_checkpass(pass, hash) == -1)
		err(1, "the new hash does not verify");
	explicit_bzero(pass, sizeof(pass));

	printf("%s%s%s\n", user != NULL ? user : "", user != NULL ? "\t" : "",
	    hash);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "standard output");
	return 0;
}

/*
 * -P: each {PLAIN}, {CLEAR} or {CLEARTEXT} password becomes a bcrypt hash
 * in the table's own form (a bare "$2b$" in an authtab, which OpenSMTPD
 * reads too; "{BLF-CRYPT}$2b$" in a passwd-file, whatever Dovecot's
 * default scheme).  Every other byte stays; each line and then the whole
 * file are read back as popd reads them before the old one is replaced.
 */

struct convline {
	size_t	 line;
	char	*val;
	int	 seen;
};

struct convert {
	struct convline	*c;
	size_t		 n;
	int		 passwd;	/* TABLE_PASSWD, or 0: an authtab */
	const char	*file;
};

static int
passwd_line(const char *p, size_t clen)
{
	const char	*colon;

	if (clen == 0 || p[0] == '#' || p[0] == ':' ||
	    (colon = memchr(p, ':', clen)) == NULL ||
	    memchr(p, ' ', colon - p) != NULL ||
	    memchr(p, '\t', colon - p) != NULL)
		return 0;
	return memchr(colon + 1, ':', clen - (colon + 1 - p)) != NULL;
}

static int
password_field(const char *content, int passwd, char *name, size_t namelen,
    size_t *start, size_t *len)
{
	const char	*key, *val;
	size_t		 keylen;

	if (passwd) {
		if (content[0] == '\0' || content[0] == '#' ||
		    content[0] == ':' || (val = strchr(content, ':')) == NULL)
			return -1;
		key = content;
		keylen = val - content;
		val++;
		*len = strcspn(val, ":");
	} else {
		key = content + strspn(content, " \t");
		if (*key == '\0' || *key == '#')
			return -1;
		keylen = strcspn(key, " \t:");
		val = key + keylen + strspn(key + keylen, " \t:");
		*len = strlen(val);
	}
	if (*len == 0)
		return -1;
	*start = val - content;
	(void)snprintf(name, namelen, "%.*s", (int)keylen, key);
	return 0;
}

static const char *
load_check(char *line, int passwd, const char *name, const char *val,
    char *why, size_t whylen)
{
	struct passwdline	 pl;
	char			*key, *v;
	size_t			 keylen;

	if (passwd) {
		/* As an authtab reads it: no quota rules. */
		if (table_parse_passwd(line, &pl, NULL, why, whylen) == -1)
			return why;
		key = pl.name;
		v = pl.pass;
	} else {
		key = line + strspn(line, " \t");
		keylen = strcspn(key, " \t:");
		v = key + keylen + strspn(key + keylen, " \t:");
		key[keylen] = '\0';
	}
	if (strcmp(key, name) != 0 || strcmp(v, val) != 0)
		return "the new line would read otherwise";
	if (!valid_username(key))
		return "an invalid user name";
	if (pwscheme_allowed(v, 0, NULL, why, whylen) == -1)
		return why;
	return NULL;
}

/* 1: converted; 0: no password in clear; -1: one not converted (said). */
static int
convert_line(const char *file, size_t lineno, const char *p, size_t clen,
    int passwd, int cost, char *val, size_t vallen, size_t *start,
    size_t *flen)
{
	struct pwhash	 ph;
	char		*content, *field, *pw, *line = NULL;
	char		 name[POPD_MAXUSER + 2], why[384];
	const char	*bad = NULL;
	size_t		 linelen = 0;
	int		 ret = 0;

	if ((content = strndup(p, clen)) == NULL)
		err(1, NULL);
	if (password_field(content, passwd, name, sizeof(name), start,
	    flen) == -1)
		goto done;
	field = content + *start;
	field[*flen] = '\0';
	if (pwscheme_parse(field, &ph) == -1 || !(ph.flags & PWS_PLAIN))
		goto done;
	pw = strchr(field, '}') + 1;
	if (ph.flags & PWS_RESET) {
		(void)snprintf(why, sizeof(why), "a {%s} secret, from which "
		    "no hash can be made: reset the user's password",
		    ph.s->name);
		bad = why;
	} else if (strcasecmp(ph.s->name, "PLAIN") != 0 &&
	    strcasecmp(ph.s->name, "CLEAR") != 0 &&
	    strcasecmp(ph.s->name, "CLEARTEXT") != 0) {
		(void)snprintf(why, sizeof(why), "{%s} is not converted: "
		    "reset the user's password", ph.s->name);
		bad = why;
	} else if (strchr(field, '.') != NULL && strchr(field, '.') < pw)
		bad = "an encoded password is not converted";
	else if (!valid_username(name))
		bad = "a user name popd refuses";
	else if (*pw == '\0' || strlen(pw) > COMPAT_PASS_MAX ||
	    strchr(pw, '\r') != NULL)
		bad = "a password authpop cannot take (empty, a CR, or "
		    "longer than 511 bytes)";
	else {
		(void)strlcpy(pass, pw, sizeof(pass));
		if (compat_newhash(pass, cost, hash, sizeof(hash)) == -1 ||
		    compat_checkpass(pass, hash) == -1)
			err(1, "bcrypt");
		explicit_bzero(pass, sizeof(pass));
		(void)snprintf(val, vallen, "%s%s", passwd ? "{BLF-CRYPT}" :
		    "", hash);
		explicit_bzero(hash, sizeof(hash));
		/* The line as it would be, read back as popd reads it. */
		linelen = clen - *flen + strlen(val) + 1;
		if ((line = malloc(linelen)) == NULL)
			err(1, NULL);
		(void)snprintf(line, linelen, "%.*s%s%.*s", (int)*start, p,
		    val, (int)(clen - *start - *flen), p + *start + *flen);
		bad = load_check(line, passwd, name, val, why, sizeof(why));
		ret = 1;
	}
 done:
	explicit_bzero(&ph, sizeof(ph));
	freezero(content, clen + 1);
	freezero(line, linelen);
	if (bad != NULL) {
		warnx("%s:%zu: \"%s\": not converted: %s", file, lineno, name,
		    bad);
		return -1;
	}
	return ret;
}

static int
conv_seen(void *arg, char *key, char *val, size_t lineno)
{
	struct convert	*cv = arg;
	size_t		 lo = 0, hi = cv->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cv->c[mid].line == lineno) {
			if (strcmp(cv->c[mid].val, val) == 0)
				cv->c[mid].seen = 1;
			return 0;
		}
		if (cv->c[mid].line < lineno)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* replace's check: popd's loader takes every converted line. */
static int
conv_check(const char *tmp, void *arg)
{
	struct convert	*cv = arg;
	size_t		 i;
	int		 ok = 0;

	(void)table_scan(tmp, TABLE_AUTH | TABLE_QUIET | cv->passwd,
	    conv_seen, cv);
	for (i = 0; i < cv->n; i++)
		if (!cv->c[i].seen) {
			warnx("%s:%zu: the line as converted would not load",
			    cv->file, cv->c[i].line);
			ok = -1;
		}
	return ok;
}

/* Not realloc: the bytes may be passwords, and the old ones are wiped. */
static void
grow(char **buf, size_t len, size_t *cap, size_t ncap)
{
	char	*nbuf;

	if ((nbuf = malloc(ncap)) == NULL)
		err(1, NULL);
	if (*buf != NULL) {
		memcpy(nbuf, *buf, len);
		freezero(*buf, *cap);
	}
	*buf = nbuf;
	*cap = ncap;
}

static void
put(char **out, size_t *olen, size_t *ocap, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (*ocap - *olen < n)
		grow(out, *olen, ocap, (*olen + n) * 2);
	memcpy(*out + *olen, p, n);
	*olen += n;
}

char *
line_end(char *p, char *end, size_t *clen)
{
	char	*nl;

	if ((nl = memchr(p, '\n', end - p)) != NULL)
		nl++;
	else
		nl = end;
	/* Its end (newline, CR, blanks) is not part of it, and stays. */
	for (*clen = nl - p; *clen > 0 &&
	    strchr("\n\r \t", p[*clen - 1]) != NULL; (*clen)--)
		;
	return nl;
}

static int
convert(const char *file, int cost)
{
	struct convert	 cv;
	struct stat	 st;
	char		*buf, *out = NULL, *p, *nl, *end;
	char		 val[COMPAT_HASH_MAX + 16];
	size_t		 len, olen = 0, ocap = 0, lineno = 0, clen, start, flen;
	size_t		 nbad = 0, i;
	int		 fd, r;

	memset(&cv, 0, sizeof(cv));
	cv.file = file;
	table_hash_allowed = pwscheme_allowed;
	fd = lock_file(file, 0, &st);
	/* The new file replaces one name: the others would keep the clear. */
	if (st.st_nlink > 1)
		errx(1, "%s: not changed: it has %ju hard links, which would "
		    "keep the passwords in clear: make it a file of its own "
		    "(cp, then rm the other names) and run again", file,
		    (uintmax_t)st.st_nlink);
	buf = read_all(file, fd, &len);
	end = buf + len;
	for (p = buf; p < end && !cv.passwd; p = nl) {
		nl = line_end(p, end, &clen);
		if (memchr(p, '\0', nl - p) == NULL && passwd_line(p, clen))
			cv.passwd = TABLE_PASSWD;
	}
	for (p = buf; p < end; p = nl) {
		nl = line_end(p, end, &clen);
		lineno++;
		/* popd refuses a line with a NUL: it stays as it is. */
		r = 0;
		if (memchr(p, '\0', nl - p) == NULL)
			r = convert_line(file, lineno, p, clen, cv.passwd,
			    cost, val, sizeof(val), &start, &flen);
		if (r == -1)
			nbad++;
		if (r != 1) {
			put(&out, &olen, &ocap, p, nl - p);
			continue;
		}
		put(&out, &olen, &ocap, p, start);
		put(&out, &olen, &ocap, val, strlen(val));
		put(&out, &olen, &ocap, p + start + flen,
		    nl - p - start - flen);
		if ((cv.c = reallocarray(cv.c, cv.n + 1, sizeof(*cv.c))) ==
		    NULL)
			err(1, NULL);
		cv.c[cv.n].line = lineno;
		cv.c[cv.n].seen = 0;
		if ((cv.c[cv.n].val = strdup(val)) == NULL)
			err(1, NULL);
		cv.n++;
	}
	explicit_bzero(val, sizeof(val));
	if (cv.n > 0)
		replace(file, &st, out, olen, conv_check, &cv);
	close(fd);
	freezero(buf, len);
	freezero(out, ocap);
	for (i = 0; i < cv.n; i++)
		free(cv.c[i].val);
	free(cv.c);
	fprintf(stderr, "popdpass: %s (%s): %zu password%s in clear hashed, "
	    "%zu not%s\n", file, cv.passwd ? "Dovecot's passwd-file" :
	    "an authtab", cv.n, cv.n == 1 ? "" : "s", nbad,
	    cv.n == 0 ? "; the file is not changed" : "");
	return nbad > 0;
}

/* A rename or a new file lasts only once its directory is on disk. */
void
fsync_dir(const char *path)
{
	char	 buf[PATH_MAX];
	int	 fd;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		errx(1, "%s: path too long", path);
	/* Said, not fatal: what it follows is done already. */
	if ((fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || fsync(fd) == -1)
		warn("fsync of the directory of %s", path);
	if (fd != -1)
		close(fd);
}

/*
 * A run that waited for the lock while another replaced the file holds
 * the old one: it opens the new.
 */
int
lock_file(const char *file, int create, struct stat *st)
{
	struct stat	 now;
	int		 fd;

	for (;;) {
		fd = open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd == -1 && errno == ENOENT && create) {
			fd = open(file, O_RDONLY | O_CREAT | O_EXCL |
			    O_NOFOLLOW | O_CLOEXEC, 0600);
			if (fd == -1 && errno == EEXIST)
				continue;
			if (fd != -1 && fchmod(fd, 0600) == -1)
				err(1, "%s", file);
			if (fd != -1)
				fprintf(stderr, "popdpass: made %s (mode "
				    "0600)\n", file);
		}
		if (fd == -1 && errno == ELOOP)
			errx(1, "%s: a symbolic link: name the file itself "
			    "(it is replaced, not written through)", file);
		if (fd == -1)
			err(1, "%s", file);
		if (fstat(fd, st) == -1)
			err(1, "%s", file);
		if (!S_ISREG(st->st_mode))
			errx(1, "%s: not a regular file", file);
		if (flock(fd, LOCK_EX) == -1)
			err(1, "%s: flock", file);
		/* The owner and mode rewrite keeps: as they are now. */
		if (fstat(fd, st) == -1)
			err(1, "%s", file);
		if (stat(file, &now) == 0 && now.st_dev == st->st_dev &&
		    now.st_ino == st->st_ino)
			return fd;
		close(fd);
	}
}

char *
read_all(const char *file, int fd, size_t *len)
{
	char	*buf = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	*len = 0;
	for (;;) {
		if (*len == cap)
			grow(&buf, *len, &cap, cap == 0 ? 8192 : cap * 2);
		if ((n = read(fd, buf + *len, cap - *len)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "%s", file);
		}
		if (n == 0)
			break;
		*len += n;
	}
	return buf;
}

/*
 * Via a temporary file with file's owner and mode, fsync'd and renamed,
 * so that popd reads either the old file or the new one, whole.
 */
void
replace(const char *file, const struct stat *st, const char *buf,
    size_t len, int (*check)(const char *, void *), void *arg)
{
	char	 tmp[PATH_MAX], dir[PATH_MAX];
	int	 out, r;

	if (strlcpy(dir, file, sizeof(dir)) >= sizeof(dir) ||
	    snprintf(tmp, sizeof(tmp), "%s/.popdpass.XXXXXXXXXX",
	    dirname(dir)) >= (int)sizeof(tmp))
		errx(1, "%s: path too long", file);
	if ((out = mkstemp(tmp)) == -1)
		err(1, "temporary file beside %s", file);
	/* The owner first: chown(2) may clear set-id bits of the mode. */
	if (write_all(out, buf, len) == -1 ||
	    (fchown(out, st->st_uid, st->st_gid) == -1 &&
	    (st->st_uid != geteuid() || st->st_gid != getegid())) ||
	    fchmod(out, st->st_mode & 07777) == -1 || fsync(out) == -1)
		goto fail;
	r = close(out);
	out = -1;
	if (r == -1)
		goto fail;
	if (check != NULL && check(tmp, arg) == -1) {
		(void)unlink(tmp);
		errx(1, "%s: not changed", file);
	}
	if (rename(tmp, file) == -1)
		goto fail;
	fsync_dir(file);
	return;
 fail:
	warn("%s: not changed: %s", file, tmp);
	if (out != -1)
		close(out);
	(void)unlink(tmp);
	exit(1);
}

int
main(int argc, char *argv[])
{
	if (atexit(wipe) != 0)
		err(1, "atexit");
	/* No core file may hold the password. */
	if (compat_nocoredump() == -1)
		err(1, "cannot disable core dumps");
	/* apppass_scan says a file's bad lines through the log. */
	log_init(1, LOG_AUTH);
	log_procinit("");

	parse_args(argc, argv);
	argc -= optind;
	argv += optind;
	if (opt.add != NULL || opt.revoke != NULL || opt.bar) {
		confine(opt.file, opt.keyfile, 0);
		return apps(argc, argv);
	}
	if (opt.plainfile != NULL) {
		if (argc != 0 || opt.fromstdin)
			usage(NULL);
		confine(opt.plainfile, NULL, 0);
		return convert(opt.plainfile, opt.cost);
	}
	confine(NULL, NULL, !opt.fromstdin);
	if (argc > 1)
		usage("one user name at most, and never the password");
	/* The rule authtab loading applies: fail now, not at HUP. */
	if (argc == 1)
		check_user(argv[0]);
	return new_hash(argc == 1 ? argv[0] : NULL);
}
