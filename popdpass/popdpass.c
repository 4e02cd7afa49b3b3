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
 * popdpass -- print a bcrypt hash, or a whole authtab(5) line, for a
 * password typed twice on the terminal or read from standard input
 * (see popdpass(8)).
 *
 * The password lives only in two static buffers that an atexit handler
 * wipes, so every exit path, errors included, leaves no copy behind.
 * Standard input is read with read(2), one byte at a time, so that no
 * stdio buffer keeps a copy and nothing after the first line is taken.
 *
 * With -P it turns a table of passwords in clear, Dovecot's {PLAIN}
 * lines, into bcrypt lines (convert): each line read is wiped once
 * written.
 *
 * With -A, -R and -B it makes, revokes and bars: app passwords
 * (apppass.h), a secret popdpass draws and shows once, of which only a
 * keyed hash is kept.  A file of them is changed under flock(2), so
 * that two runs do not lose each other's line, and replaced whole by
 * rename(2), so that popd never reads half of one.
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
#include <readpassphrase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "apppass.h"
#include "log.h"
#include "pwscheme.h"
#include "util.h"
#include "version.h"

#define POPDPASS_COST	10	/* the default; popdpass(8) states it */
#define BCRYPT_KEYMAX	72	/* bcrypt ignores the bytes after these */
#define APP_NEWKEY	32	/* bytes of a key file popdpass makes */
/* The last time apppass_time prints in four digits of year. */
#define APP_TIMEMAX	253402300799LL	/* 9999-12-31T23:59:59Z */

/* One byte more than a password may have, to see a longer one. */
static char	pass[COMPAT_PASS_MAX + 2];
static char	again[COMPAT_PASS_MAX + 2];
static char	hash[COMPAT_HASH_MAX + 1];
/* An app password's secret, as hashed and as shown, and the site key. */
static char	secret[APP_SECRETLEN + 1];
static char	shown[APP_SHOWNLEN + 1];
static struct appkey sitekey;

/* What apppass_scan found in a file for one user (app_scan). */
struct appscan {
	const char	*user;
	const char	*label;		/* its lines are in drop */
	size_t		 nrecs;		/* the user's records */
	size_t		 joined;	/* their bytes joined, NUL */
	size_t		*drop;
	size_t		 ndrop;
};

__dead static void	usage(void);
static void		wipe(void);
static void		read_tty(const char *);
static void		read_stdin(void);
static int		convert(const char *, int);
static time_t		parse_expiry(const char *, time_t);
static void		parse_nets(const char *, struct apprec *);
static void		check_label(const char *);
static void		load_key(const char *);
static void		fsync_dir(const char *);
static int		lock_file(const char *, int, struct stat *);
static int		app_scan(void *, const char *, const char *, size_t);
static void		scan_file(const char *, struct appscan *);
static void		rewrite(const char *, int, const struct stat *,
			    const struct appscan *, const char *);
static int		app_add(const char *, const char *, const char *,
			    const char *, const char *, const char *);
static int		app_remove(const char *, const char *, const char *);
static int		app_bar(const char *, const char *);

__dead static void
usage(void)
{
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
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(shown, sizeof(shown));
	explicit_bzero(&sitekey, sizeof(sitekey));
}

/* Twice without echo from /dev/tty, as encrypt(1) and passwd(1) do. */
static void
read_tty(const char *user)
{
	char	prompt[POPD_MAXUSER + 32];

	if (user != NULL)
		(void)snprintf(prompt, sizeof(prompt), "Password for %s: ",
		    user);
	else
		(void)strlcpy(prompt, "Password: ", sizeof(prompt));
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

int
main(int argc, char *argv[])
{
	const char	*user = NULL, *errstr, *plainfile = NULL;
	const char	*add = NULL, *expiry = NULL, *file = NULL;
	const char	*keyfile = NULL, *nets = NULL, *revoke = NULL;
	int		 ch, cost = POPDPASS_COST, fromstdin = 0, bar = 0;
	int		 costset = 0;

	if (atexit(wipe) != 0)
		err(1, "atexit");
	/* No core file may hold the password. */
	if (compat_nocoredump() == -1)
		err(1, "cannot disable core dumps");
	/* apppass_scan says a file's bad lines through the log. */
	log_init(1, LOG_AUTH);
	log_procinit("");

	while ((ch = getopt(argc, argv, "A:Bc:e:f:k:n:P:R:sV")) != -1) {
		switch (ch) {
		case 'A':
			add = optarg;
			break;
		case 'B':
			bar = 1;
			break;
		case 'P':
			plainfile = optarg;
			break;
		case 'R':
			revoke = optarg;
			break;
		case 'V':
			printf("popdpass (popd) %s\n", POPD_VERSION);
			exit(0);
		case 'c':
			cost = strtonum(optarg, 4, 31, &errstr);
			if (errstr != NULL)
				errx(1, "cost %s is %s: bcrypt takes 4 to 31",
				    optarg, errstr);
			costset = 1;
			break;
		case 'e':
			expiry = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'n':
			nets = optarg;
			break;
		case 's':
			fromstdin = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((add != NULL) + (revoke != NULL) + bar > 1) {
		warnx("-A, -R and -B: one at a time");
		usage();
	}
	if (add == NULL && (expiry != NULL || nets != NULL ||
	    keyfile != NULL)) {
		warnx("-e, -k and -n go with -A");
		usage();
	}
	if (add == NULL && revoke == NULL && !bar && file != NULL) {
		warnx("-f goes with -A, -R or -B");
		usage();
	}
	if (add != NULL || revoke != NULL || bar) {
		if (plainfile != NULL || fromstdin || costset) {
			warnx("-c, -P and -s make bcrypt hashes, not app "
			    "passwords");
			usage();
		}
		if (argc != 1) {
			warnx("one user name");
			usage();
		}
		if (!valid_username(argv[0]))
			errx(1, "invalid user name \"%s\": 1 to %d letters, "
			    "digits and \"._-+@\", not starting with \"-\"",
			    argv[0], POPD_MAXUSER);
		if (add != NULL) {
			if (keyfile == NULL) {
				warnx("-A needs -k keyfile: the site key "
				    "the hash is made with");
				usage();
			}
			return app_add(argv[0], add, expiry, nets, keyfile,
			    file);
		}
		if (file == NULL) {
			warnx("-%c needs -f file", bar ? 'B' : 'R');
			usage();
		}
		if (bar)
			return app_bar(argv[0], file);
		return app_remove(argv[0], revoke, file);
	}
	if (plainfile != NULL) {
		if (argc != 0 || fromstdin)
			usage();
		return convert(plainfile, cost);
	}
	if (argc > 1) {
		warnx("one user name at most, and never the password");
		usage();
	}
	if (argc == 1) {
		user = argv[0];
		/* The rule authtab loading applies: fail now, not at HUP. */
		if (!valid_username(user))
			errx(1, "invalid user name \"%s\": 1 to %d letters, "
			    "digits and \"._-+@\", not starting with \"-\"",
			    user, POPD_MAXUSER);
	}

	if (fromstdin)
		read_stdin();
	else
		read_tty(user);
	if (strlen(pass) > BCRYPT_KEYMAX)
		warnx("bcrypt uses only the first %d bytes of the password",
		    BCRYPT_KEYMAX);

	if (compat_newhash(pass, cost, hash, sizeof(hash)) == -1)
		err(1, "bcrypt");
	/* Print nothing that authpop would not accept for this password. */
	if (compat_checkpass(pass, hash) == -1)
		err(1, "the new hash does not verify");
	explicit_bzero(pass, sizeof(pass));

	if (user != NULL)
		printf("%s\t%s\n", user, hash);
	else
		printf("%s\n", hash);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "standard output");
	return 0;
}

/*
 * An authtab of passwords in clear, as Dovecot's {PLAIN}, {CLEAR} and
 * {CLEARTEXT} lines hold them ("user {PLAIN}secret", "user:{PLAIN}..."),
 * printed with a bcrypt hash in place of each such password; comments,
 * blank lines and hashes of other kinds as they are.  A secret that no
 * hash can be made from ({NTLM}...) or a password authpop could not
 * take is left out and said on standard error, and the exit is then 1.
 */
static int
convert(const char *file, int cost)
{
	FILE		*fp;
	struct pwhash	 ph;
	char		*line = NULL, *key, *val, *end, *pw;
	size_t		 sz = 0, lineno = 0, n = 0, keylen;
	ssize_t		 len;
	int		 bad = 0;

	if ((fp = fopen(file, "r")) == NULL)
		err(1, "%s", file);
	while ((len = getline(&line, &sz, fp)) != -1) {
		lineno++;
		end = line + len;
		while (end > line && (end[-1] == '\n' || end[-1] == '\r' ||
		    end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		key = line + strspn(line, " \t");
		keylen = strcspn(key, " \t:");
		val = key + keylen + strspn(key + keylen, " \t:");
		if (*key == '\0' || *key == '#' || *val == '\0' ||
		    pwscheme_parse(val, &ph) == -1 ||
		    !(ph.flags & PWS_PLAIN)) {
			printf("%s\n", line);
			goto next;
		}
		key[keylen] = '\0';
		pw = strchr(val, '}') + 1;
		if (ph.flags & PWS_RESET) {
			warnx("%s:%zu: \"%s\": a {%s} secret, from which no "
			    "hash can be made: reset the user's password",
			    file, lineno, key, ph.s->name);
			bad = 1;
		} else if (strcasecmp(ph.s->name, "PLAIN") != 0 &&
		    strcasecmp(ph.s->name, "CLEAR") != 0 &&
		    strcasecmp(ph.s->name, "CLEARTEXT") != 0) {
			warnx("%s:%zu: \"%s\": {%s} is not converted: reset "
			    "the user's password", file, lineno, key,
			    ph.s->name);
			bad = 1;
		} else if (strchr(val, '.') != NULL &&
		    strchr(val, '.') < pw) {
			warnx("%s:%zu: \"%s\": an encoded password is not "
			    "converted", file, lineno, key);
			bad = 1;
		} else if (!valid_username(key) || *pw == '\0' ||
		    strlen(pw) > COMPAT_PASS_MAX ||
		    strchr(pw, '\r') != NULL) {
			warnx("%s:%zu: \"%s\": a user name or password "
			    "authtab cannot hold", file, lineno, key);
			bad = 1;
		} else if (compat_newhash(pw, cost, hash, sizeof(hash)) ==
		    -1 || compat_checkpass(pw, hash) == -1)
			err(1, "bcrypt");
		else {
			printf("%s\t%s\n", key, hash);
			n++;
		}
 next:
		explicit_bzero(line, sz);
		explicit_bzero(&ph, sizeof(ph));
	}
	if (ferror(fp))
		err(1, "%s", file);
	fclose(fp);
	freezero(line, sz);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "standard output");
	fprintf(stderr, "popdpass: %zu password%s in clear hashed\n", n,
	    n == 1 ? "" : "s");
	return bad;
}

/*
 * -e: "Nd" or "Nh" from now, "YYYY-MM-DD" (its midnight, UTC) or
 * "YYYY-MM-DDTHH:MM:SSZ"; a time past or too far (apppass_time prints
 * four digits of year) is refused.
 */
static time_t
parse_expiry(const char *arg, time_t now)
{
	const char	*errstr;
	char		 num[16], when[32], full[32];
	size_t		 len = strlen(arg);
	long long	 n;
	time_t		 t;

	if (len >= 2 && len < sizeof(num) &&
	    (arg[len - 1] == 'd' || arg[len - 1] == 'h') &&
	    strspn(arg, "0123456789") == len - 1) {
		memcpy(num, arg, len - 1);
		num[len - 1] = '\0';
		/* Bounded so that it cannot overflow; 9999 is checked below. */
		n = strtonum(num, 0, 10000000, &errstr);
		if (errstr != NULL)
			errx(1, "expiry \"%s\": the number is %s", arg, errstr);
		t = now + n * (arg[len - 1] == 'd' ? 86400 : 3600);
	} else {
		/* A day is its first second. */
		(void)snprintf(full, sizeof(full), "%s%s", arg,
		    len == 10 ? "T00:00:00Z" : "");
		if ((len != 10 && len != 20) ||
		    utc_parse(full, &t) == -1)
			errx(1, "expiry \"%s\": not Nd (days from now), Nh "
			    "(hours), YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)",
			    arg);
	}
	if (t <= now)
		errx(1, "expiry \"%s\" is %s, not in the future", arg,
		    apppass_time(t, when, sizeof(when)));
	if ((long long)t > APP_TIMEMAX)
		errx(1, "expiry \"%s\" is after 9999-12-31", arg);
	return t;
}

/* -n: networks joined by ",", into r. */
static void
parse_nets(const char *arg, struct apprec *r)
{
	const char	*errstr;
	char		 buf[1024], *p, *net;

	r->nnets = 0;
	if (strlcpy(buf, arg, sizeof(buf)) >= sizeof(buf))
		errx(1, "networks \"%.40s...\": more than %d or too long", arg,
		    APP_MAXNETS);
	p = buf;
	while ((net = strsep(&p, ",")) != NULL) {
		if (*net == '\0')
			errx(1, "networks \"%s\": an empty one (networks are "
			    "joined by \",\" alone)", arg);
		if (r->nnets == APP_MAXNETS)
			errx(1, "networks \"%s\": more than %d", arg,
			    APP_MAXNETS);
		if (net_parse(net, &r->nets[r->nnets], &errstr) == -1)
			errx(1, "network \"%s\": %s", net, errstr);
		r->nnets++;
	}
}

static void
check_label(const char *label)
{
	if (strcmp(label, "main") == 0)
		errx(1, "label \"main\" is reserved: it names the user's main "
		    "password (-B bars it)");
	if (!apppass_valid_label(label))
		errx(1, "label \"%s\": 1 to %d letters, digits, \".\", \"_\" "
		    "or \"-\"", label, APP_LABELMAX);
}

/*
 * -k: the site key, made when there is none (APP_NEWKEY random bytes,
 * mode 0600), then read as popd reads it.  It is written to a temporary
 * file and link(2)ed into place, which fails if there is one: a run
 * never reads a key half written, two runs at once cannot both make
 * one, and an existing key is never replaced, which would void every
 * hash made with it.
 */
static void
load_key(const char *path)
{
	unsigned char	 k[APP_NEWKEY];
	char		 tmp[PATH_MAX], dir[PATH_MAX], why[160];
	ssize_t		 n;
	size_t		 done = 0;
	int		 fd = -1, made = 0;

	if (access(path, F_OK) == -1 && errno == ENOENT) {
		if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir) ||
		    snprintf(tmp, sizeof(tmp), "%s/.popdpass.XXXXXXXXXX",
		    dirname(dir)) >= (int)sizeof(tmp))
			errx(1, "key file %s: path too long", path);
		if ((fd = mkstemp(tmp)) == -1)
			err(1, "key file %s", path);
		arc4random_buf(k, sizeof(k));
		if (fchmod(fd, 0600) == -1)
			goto fail;
		while (done < sizeof(k)) {
			if ((n = write(fd, k + done, sizeof(k) - done)) == -1) {
				if (errno == EINTR)
					continue;
				goto fail;
			}
			done += n;
		}
		explicit_bzero(k, sizeof(k));
		n = fsync(fd);
		if (close(fd) == -1 || n == -1) {
			fd = -1;
			goto fail;
		}
		fd = -1;
		if (link(tmp, path) == 0)
			made = 1;
		else if (errno != EEXIST)
			goto fail;
		(void)unlink(tmp);
		if (made) {
			fsync_dir(path);
			fprintf(stderr, "popdpass: made the key file %s (%d "
			    "random bytes, mode 0600): keep it, every app "
			    "password's hash is made with it\n", path,
			    APP_NEWKEY);
		}
	}
	if (apppass_key(path, &sitekey, why, sizeof(why)) == -1)
		errx(1, "key file %s: %s", path, why);
	return;
 fail:
	explicit_bzero(k, sizeof(k));
	warn("key file %s", path);
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	exit(1);
}

/* A rename or a new file lasts only once its directory is on disk. */
static void
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
 * The file of app passwords, locked: its fd, and st.  create: make it
 * (empty, 0600) if missing.  A run that waited for the lock while
 * another replaced the file holds the old one: it opens the new.
 */
static int
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

/* apppass_scan's function: the user's records and lines of a label. */
static int
app_scan(void *arg, const char *user, const char *rec, size_t lineno)
{
	struct appscan	*sc = arg;
	size_t		 n;

	if (strcmp(user, sc->user) != 0)
		return 0;
	sc->nrecs++;
	sc->joined += strlen(rec) + 1;
	n = strcspn(rec, " \t");
	if (sc->label == NULL || strlen(sc->label) != n ||
	    strncmp(rec, sc->label, n) != 0)
		return 0;
	if ((sc->drop = reallocarray(sc->drop, sc->ndrop + 1,
	    sizeof(*sc->drop))) == NULL)
		err(1, NULL);
	sc->drop[sc->ndrop++] = lineno;
	return 0;
}

/* A file popd would refuse is not changed: its lines are said first. */
static void
scan_file(const char *file, struct appscan *sc)
{
	if (apppass_scan(file, app_scan, sc) == -1)
		errx(1, "%s: not changed: correct the lines above first",
		    file);
}

/*
 * file (locked as fd, st) replaced by a copy in its directory: every
 * line as it is, but those of sc->drop, then add (a line) if not NULL;
 * the owner and mode kept.
 */
static void
rewrite(const char *file, int fd, const struct stat *st,
    const struct appscan *sc, const char *add)
{
	char		 tmp[PATH_MAX], dir[PATH_MAX], *buf = NULL, *p, *nl;
	char		*end;
	size_t		 len = 0, cap = 0, lineno = 0, i;
	ssize_t		 n;
	int		 out, keep;
	FILE		*fp;

	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 8192 : cap * 2;
			if ((buf = realloc(buf, cap)) == NULL)
				err(1, NULL);
		}
		if ((n = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "%s", file);
		}
		if (n == 0)
			break;
		len += n;
	}
	if (strlcpy(dir, file, sizeof(dir)) >= sizeof(dir) ||
	    snprintf(tmp, sizeof(tmp), "%s/.popdpass.XXXXXXXXXX",
	    dirname(dir)) >= (int)sizeof(tmp))
		errx(1, "%s: path too long", file);
	if ((out = mkstemp(tmp)) == -1)
		err(1, "temporary file beside %s", file);
	if ((fp = fdopen(out, "w")) == NULL)
		goto fail;
	end = buf + len;
	for (p = buf; p < end; p = nl) {
		if ((nl = memchr(p, '\n', end - p)) != NULL)
			nl++;
		else
			nl = end;
		lineno++;
		keep = 1;
		for (i = 0; i < sc->ndrop; i++)
			if (sc->drop[i] == lineno)
				keep = 0;
		if (keep && fwrite(p, 1, nl - p, fp) != (size_t)(nl - p))
			goto fail;
		/* A last line without its newline gets one before add. */
		if (keep && add != NULL && nl == end && nl[-1] != '\n' &&
		    putc('\n', fp) == EOF)
			goto fail;
	}
	if (add != NULL && fprintf(fp, "%s\n", add) < 0)
		goto fail;
	/* The owner first: chown(2) may clear set-id bits of the mode. */
	if (fflush(fp) == EOF || (fchown(out, st->st_uid, st->st_gid) == -1 &&
	    (st->st_uid != geteuid() || st->st_gid != getegid())) ||
	    fchmod(out, st->st_mode & 07777) == -1 || fsync(out) == -1)
		goto fail;
	n = fclose(fp);
	fp = NULL;
	out = -1;
	if (n == EOF)
		goto fail;
	if (rename(tmp, file) == -1)
		goto fail;
	fsync_dir(file);
	free(buf);
	return;
 fail:
	warn("%s: not changed: %s", file, tmp);
	if (fp != NULL)
		fclose(fp);
	else if (out != -1)
		close(out);
	(void)unlink(tmp);
	exit(1);
}

/* -A: a new app password for user. */
static int
app_add(const char *user, const char *label, const char *expiry,
    const char *nets, const char *keyfile, const char *file)
{
	struct appscan	 sc;
	struct apprec	 r, back;
	struct stat	 st;
	char		 rec[APP_RECSMAX], why[160];
	char		 line[APP_RECSMAX + POPD_MAXUSER + 2];
	char		 out[APP_SHOWNLEN + sizeof(line) + 2];
	time_t		 now = time(NULL);
	int		 fd = -1, n;

	/* Every argument is checked before anything is made. */
	check_label(label);
	memset(&r, 0, sizeof(r));
	(void)strlcpy(r.label, label, sizeof(r.label));
	r.created = now;
	if (expiry != NULL)
		r.expires = parse_expiry(expiry, now);
	if (nets != NULL)
		parse_nets(nets, &r);
	load_key(keyfile);

	memset(&sc, 0, sizeof(sc));
	sc.user = user;
	sc.label = label;
	if (file != NULL) {
		fd = lock_file(file, 1, &st);
		scan_file(file, &sc);
		if (sc.ndrop > 0)
			errx(1, "%s: %s already has an app password \"%s\" "
			    "(popdpass -R %s -f %s %s revokes it)", file, user,
			    label, label, file, user);
		if (sc.nrecs >= APP_MAXPERUSER)
			errx(1, "%s: %s already has %zu records, the most "
			    "popd takes", file, user, sc.nrecs);
	}

	apppass_secret(secret, shown);
	apppass_mac(&sitekey, user, secret, r.hash);
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(&sitekey, sizeof(sitekey));
	/* Nothing is kept or printed that popd would not read back. */
	if (apppass_format(&r, rec, sizeof(rec)) == -1)
		errx(1, "the new record is longer than %zu bytes", sizeof(rec));
	if (apppass_parse(rec, &back, why, sizeof(why)) == -1)
		errx(1, "the new record does not parse: %s", why);
	if (file != NULL && sc.joined + strlen(rec) + 1 > APP_RECSMAX)
		errx(1, "%s: %s's records would be longer than the %d bytes "
		    "popd takes", file, user, APP_RECSMAX - 1);
	(void)snprintf(line, sizeof(line), "%s %s", user, rec);

	if (file != NULL) {
		rewrite(file, fd, &st, &sc, line);
		close(fd);
	}
	/* write(2), not stdio: no buffer of the secret is left behind. */
	n = snprintf(out, sizeof(out), "%s\n%s%s", shown,
	    file == NULL ? line : "", file == NULL ? "\n" : "");
	explicit_bzero(shown, sizeof(shown));
	if (n < 0 || (size_t)n >= sizeof(out) || write_all(STDOUT_FILENO, out, n) == -1) {
		explicit_bzero(out, sizeof(out));
		if (file != NULL)
			err(1, "standard output: the secret is lost, its "
			    "record is in %s: popdpass -R %s -f %s %s revokes "
			    "it", file, label, file, user);
		err(1, "standard output");
	}
	explicit_bzero(out, sizeof(out));
	if (file != NULL)
		fprintf(stderr, "popdpass: app password \"%s\" of %s added to "
		    "%s; it is shown this once; \"popctl reload\" makes popd "
		    "take it\n", label, user, file);
	else
		fprintf(stderr, "popdpass: it is shown this once; the second "
		    "line is the record to store for %s\n", user);
	free(sc.drop);
	return 0;
}

/* -R: every line of that label of the user's, "main" the bar. */
static int
app_remove(const char *user, const char *label, const char *file)
{
	struct appscan	 sc;
	struct stat	 st;
	int		 fd;

	if (strcmp(label, "main") != 0)
		check_label(label);
	memset(&sc, 0, sizeof(sc));
	sc.user = user;
	sc.label = label;
	fd = lock_file(file, 0, &st);
	scan_file(file, &sc);
	if (sc.ndrop == 0)
		errx(1, "%s: %s has no %s \"%s\"", file, user,
		    strcmp(label, "main") == 0 ? "bar of the main password" :
		    "app password", label);
	rewrite(file, fd, &st, &sc, NULL);
	close(fd);
	free(sc.drop);
	if (strcmp(label, "main") == 0)
		fprintf(stderr, "popdpass: %s's main password logs in again "
		    "once popd reloads (popctl reload)\n", user);
	else
		fprintf(stderr, "popdpass: app password \"%s\" of %s revoked "
		    "in %s; \"popctl reload\" makes popd forget it\n", label,
		    user, file);
	return 0;
}

/* -B: the user's main password no longer logs in to POP3. */
static int
app_bar(const char *user, const char *file)
{
	struct appscan	 sc;
	struct stat	 st;
	char		 line[POPD_MAXUSER + 16];
	int		 fd;

	memset(&sc, 0, sizeof(sc));
	sc.user = user;
	sc.label = "main";
	fd = lock_file(file, 1, &st);
	scan_file(file, &sc);
	if (sc.ndrop > 0) {
		fprintf(stderr, "popdpass: %s: %s's main password is barred "
		    "already\n", file, user);
		return 0;
	}
	if (sc.nrecs >= APP_MAXPERUSER)
		errx(1, "%s: %s already has %zu records, the most popd takes",
		    file, user, sc.nrecs);
	if (sc.joined + sizeof("main barred") > APP_RECSMAX)
		errx(1, "%s: %s's records would be longer than the %d bytes "
		    "popd takes", file, user, APP_RECSMAX - 1);
	(void)snprintf(line, sizeof(line), "%s main barred", user);
	rewrite(file, fd, &st, &sc, line);
	close(fd);
	fprintf(stderr, "popdpass: %s's main password no longer logs in to "
	    "POP3 once popd reloads (popctl reload); app passwords do\n",
	    user);
	return 0;
}
