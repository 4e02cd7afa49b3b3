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
 * apps.c -- popdpass -A, -R and -B: app passwords, a secret drawn here and
 * shown once, of which the file keeps a keyed hash alone.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apppass.h"
#include "util.h"
#include "popdpass.h"

#define APP_NEWKEY	32	/* bytes of a key file popdpass makes */
/* The last time apppass_time prints in four digits of year. */
#define APP_TIMEMAX	253402300799LL	/* 9999-12-31T23:59:59Z */

static char	secret[APP_SECRETLEN + 1];
static char	shown[APP_SHOWNLEN + 1];
static struct appkey sitekey;

struct appscan {
	const char	*user;
	const char	*label;		/* its lines are in drop */
	size_t		 nrecs;		/* the user's records */
	size_t		 joined;	/* their bytes joined, NUL */
	size_t		*drop;
	size_t		 ndrop;
};

void
app_wipe(void)
{
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(shown, sizeof(shown));
	explicit_bzero(&sitekey, sizeof(sitekey));
}

/* A time too far is refused: apppass_time prints four digits of year. */
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
 * Written to a temporary file and link(2)ed into place, which fails if there
 * is one: a key is never read half written, nor replaced, which would void
 * every hash made with it.
 */
static void
load_key(const char *path)
{
	unsigned char	 k[APP_NEWKEY];
	char		 tmp[PATH_MAX], dir[PATH_MAX], why[160];
	int		 fd = -1, made = 0, r;

	if (access(path, F_OK) == -1 && errno == ENOENT) {
		if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir) ||
		    snprintf(tmp, sizeof(tmp), "%s/.popdpass.XXXXXXXXXX",
		    dirname(dir)) >= (int)sizeof(tmp))
			errx(1, "key file %s: path too long", path);
		if ((fd = mkstemp(tmp)) == -1)
			err(1, "key file %s", path);
		arc4random_buf(k, sizeof(k));
		if (fchmod(fd, 0600) == -1 || write_all(fd, k, sizeof(k)) == -1)
			goto fail;
		explicit_bzero(k, sizeof(k));
		r = fsync(fd);
		if (close(fd) == -1 || r == -1) {
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

/* A file popd would refuse is not changed. */
static int
scan_file(const char *file, int create, const char *user,
    const char *label, struct appscan *sc, struct stat *st)
{
	int	fd;

	memset(sc, 0, sizeof(*sc));
	sc->user = user;
	sc->label = label;
	fd = lock_file(file, create, st);
	if (apppass_scan(file, app_scan, sc) == -1)
		errx(1, "%s: not changed: correct the lines above first",
		    file);
	return fd;
}

static void
check_room(const char *file, const struct appscan *sc, size_t len)
{
	if (sc->nrecs >= APP_MAXPERUSER)
		errx(1, "%s: %s already has %zu records, the most popd takes",
		    file, sc->user, sc->nrecs);
	if (sc->joined + len + 1 > APP_RECSMAX)
		errx(1, "%s: %s's records would be longer than the %d bytes "
		    "popd takes", file, sc->user, APP_RECSMAX - 1);
}

static void
rewrite(const char *file, int fd, const struct stat *st,
    const struct appscan *sc, const char *add)
{
	char		*buf, *out, *p, *nl, *end;
	size_t		 len, olen = 0, lineno = 0, i, clen;

	buf = read_all(file, fd, &len);
	if ((out = malloc(len + (add != NULL ? strlen(add) + 2 : 0) + 1)) ==
	    NULL)
		err(1, NULL);
	end = buf + len;
	for (p = buf; p < end; p = nl) {
		nl = line_end(p, end, &clen);
		lineno++;
		for (i = 0; i < sc->ndrop && sc->drop[i] != lineno; i++)
			;
		if (i < sc->ndrop)
			continue;
		memcpy(out + olen, p, nl - p);
		olen += nl - p;
		/* A last line without its newline gets one before add. */
		if (add != NULL && nl == end && nl[-1] != '\n')
			out[olen++] = '\n';
	}
	if (add != NULL)
		olen += snprintf(out + olen, strlen(add) + 2, "%s\n", add);
	replace(file, st, out, olen, NULL, NULL);
	close(fd);
	free(buf);
	free(out);
}

int
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
	if (file != NULL)
		fd = scan_file(file, 1, user, label, &sc, &st);
	if (sc.ndrop > 0)
		errx(1, "%s: %s already has an app password \"%s\" "
		    "(popdpass -R %s -f %s %s revokes it)", file, user, label,
		    label, file, user);

	apppass_secret(secret, shown);
	apppass_mac(&sitekey, user, secret, r.hash);
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(&sitekey, sizeof(sitekey));
	/* Nothing is kept or printed that popd would not read back. */
	if (apppass_format(&r, rec, sizeof(rec)) == -1)
		errx(1, "the new record is longer than %zu bytes", sizeof(rec));
	if (apppass_parse(rec, &back, why, sizeof(why)) == -1)
		errx(1, "the new record does not parse: %s", why);
	if (file != NULL)
		check_room(file, &sc, strlen(rec));
	(void)snprintf(line, sizeof(line), "%s %s", user, rec);

	if (file != NULL)
		rewrite(file, fd, &st, &sc, line);
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

int
app_remove(const char *user, const char *label, const char *file)
{
	struct appscan	 sc;
	struct stat	 st;
	int		 fd;

	if (strcmp(label, "main") != 0)
		check_label(label);
	fd = scan_file(file, 0, user, label, &sc, &st);
	if (sc.ndrop == 0)
		errx(1, "%s: %s has no %s \"%s\"", file, user,
		    strcmp(label, "main") == 0 ? "bar of the main password" :
		    "app password", label);
	rewrite(file, fd, &st, &sc, NULL);
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

int
app_bar(const char *user, const char *file)
{
	struct appscan	 sc;
	struct stat	 st;
	char		 line[POPD_MAXUSER + 16];
	int		 fd;

	fd = scan_file(file, 1, user, "main", &sc, &st);
	if (sc.ndrop > 0) {
		fprintf(stderr, "popdpass: %s: %s's main password is barred "
		    "already\n", file, user);
		return 0;
	}
	check_room(file, &sc, strlen("main barred"));
	(void)snprintf(line, sizeof(line), "%s main barred", user);
	rewrite(file, fd, &st, &sc, line);
	fprintf(stderr, "popdpass: %s's main password no longer logs in to "
	    "POP3 once popd reloads (popctl reload); app passwords do\n",
	    user);
	return 0;
}
