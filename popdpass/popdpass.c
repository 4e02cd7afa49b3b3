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
 */
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <readpassphrase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "pwscheme.h"
#include "util.h"
#include "version.h"

#define POPDPASS_COST	10	/* the default; popdpass(8) states it */
#define BCRYPT_KEYMAX	72	/* bcrypt ignores the bytes after these */

/* One byte more than a password may have, to see a longer one. */
static char	pass[COMPAT_PASS_MAX + 2];
static char	again[COMPAT_PASS_MAX + 2];
static char	hash[COMPAT_HASH_MAX + 1];

__dead static void	usage(void);
static void		wipe(void);
static void		read_tty(const char *);
static void		read_stdin(void);
static int		convert(const char *, int);

__dead static void
usage(void)
{
	fprintf(stderr, "usage: popdpass [-sV] [-c cost] [user]\n"
	    "       popdpass [-c cost] -P file\n");
	exit(1);
}

static void
wipe(void)
{
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(again, sizeof(again));
	explicit_bzero(hash, sizeof(hash));
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
	int		 ch, cost = POPDPASS_COST, fromstdin = 0;

	if (atexit(wipe) != 0)
		err(1, "atexit");
	/* No core file may hold the password. */
	if (compat_nocoredump() == -1)
		err(1, "cannot disable core dumps");

	while ((ch = getopt(argc, argv, "c:P:sV")) != -1) {
		switch (ch) {
		case 'P':
			plainfile = optarg;
			break;
		case 'V':
			printf("popdpass (popd) %s\n", POPD_VERSION);
			exit(0);
		case 'c':
			cost = strtonum(optarg, 4, 31, &errstr);
			if (errstr != NULL)
				errx(1, "cost %s is %s: bcrypt takes 4 to 31",
				    optarg, errstr);
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
 * hash can be made from ({CRAM-MD5}...) or a password authpop could not
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
