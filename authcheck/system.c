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
 * system.c -- authcheck -m system: the system's accounts (getpwent, so
 * NSS too) written as a usertab on fd 0 and an authtab on fd 3.  It
 * reads the shadow database as _pop3auth with the shadow group, never
 * as root, and leaves out root's, gid 0's and popd's daemons' users.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "util.h"
#include "authcheck.h"

/* Checked as every role's ids are (ids_final). */
void
system_become(int hashes)
{
	struct passwd	*pw;
	struct group	*gr;
	gid_t		 groups[2], got[4];
	int		 n = 1;

	if (geteuid() != 0) {
		log_debug("not root: the ids inherited");
		return;
	}
	if ((pw = getpwnam(POPD_AUTH_USER)) == NULL)
		fatalx("user %s is missing", POPD_AUTH_USER);
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		fatalx("%s has root's ids", POPD_AUTH_USER);
	groups[0] = pw->pw_gid;
	if (hashes) {
		if ((gr = getgrnam(POPD_SHADOW_GROUP)) == NULL)
			fatalx("no group %s: the shadow database cannot be "
			    "read but as root", POPD_SHADOW_GROUP);
		if (gr->gr_gid == 0)
			fatalx("group %s is gid 0", POPD_SHADOW_GROUP);
		groups[n++] = gr->gr_gid;
	}
	if (setgroups(n, groups) == -1)
		fatal("setgroups");
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1)
		fatal("setresgid(%u)", (unsigned)pw->pw_gid);
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("setresuid(%u)", (unsigned)pw->pw_uid);
	/* The kernel keeps the groups sorted: both, in either order. */
	if (ids_final("authcheck", pw->pw_uid, pw->pw_gid) == -1 ||
	    getgroups(nitems(got), got) != n ||
	    (got[0] != groups[0] && got[0] != groups[n - 1]) ||
	    (got[n - 1] != groups[0] && got[n - 1] != groups[n - 1]))
		fatalx("cannot drop privileges to %s", POPD_AUTH_USER);
	/* Hashes from here on: no core files, no ptrace. */
	if (compat_nocoredump() == -1)
		fatal("disable core dumps");
}

static int
member(const struct group *g, const struct passwd *pw)
{
	char	**m;

	if (pw->pw_gid == g->gr_gid)
		return 1;
	for (m = g->gr_mem; m != NULL && *m != NULL; m++)
		if (strcmp(*m, pw->pw_name) == 0)
			return 1;
	return 0;
}

/* Locked ("!", "*") and empty passwords never log in: no line. */
static int
auth_lines(FILE *af, char **names, size_t n)
{
	char		 hash[COMPAT_HASH_MAX + 1];
	size_t		 i;
	int		 r;

	for (i = 0; i < n; i++) {
		if ((r = compat_pwhash(names[i], hash, sizeof(hash))) == -1) {
			log_warn("the shadow database (readable by root "
			    "and group %s only)", POPD_SHADOW_GROUP);
			return -1;
		}
		if (r == 1 && hash[0] != '\0' && hash[0] != '!' &&
		    hash[0] != '*' && strpbrk(hash, " \t\r\n") == NULL)
			fprintf(af, "%s %s\n", names[i], hash);
		explicit_bzero(hash, sizeof(hash));
	}
	return 0;
}

int
system_write(unsigned lo, unsigned hi, const char *group,
    const long long *x, int nx, const long long *y, const char *const *ywhat,
    int ny, int hashes)
{
	struct passwd	 pwbuf, *pw;
	struct group	*gr = NULL;
	FILE		*uf, *af = NULL;
	char		*buf, **names = NULL, **nn;
	size_t		 len = 16384, nnames = 0;
	int		 r, i;

	if (group != NULL && (gr = getgrnam(group)) == NULL) {
		log_warnx("system group %s: no such group", group);
		return -1;
	}
	if ((buf = malloc(len)) == NULL || (uf = fdopen(0, "w")) == NULL ||
	    (hashes && (af = fdopen(3, "w")) == NULL))
		fatal("%s", __func__);
	setpwent();
	for (;;) {
		if ((r = compat_getpwent(&pwbuf, buf, len, &pw)) != 0) {
			errno = r;
			log_warn("the user database");
			return -1;
		}
		if (pw == NULL)
			break;
		if (pw->pw_uid < lo || pw->pw_uid > hi || pw->pw_uid == 0 ||
		    pw->pw_gid == 0 || (gr != NULL && !member(gr, pw)))
			continue;
		for (i = 0; i < nx; i++)
			if ((long long)pw->pw_uid == x[i])
				break;
		if (i < nx) {
			log_warnx("system user %s: the uid %u of one of popd's "
			    "daemon users: left out", pw->pw_name,
			    (unsigned)pw->pw_uid);
			continue;
		}
		for (i = 0; i < ny; i++)
			if ((long long)pw->pw_gid == y[i])
				break;
		if (i < ny) {
			log_warnx("system user %s: gid %u is %s: left out",
			    pw->pw_name, (unsigned)pw->pw_gid, ywhat[i]);
			continue;
		}
		if (!valid_username(pw->pw_name) || pw->pw_dir[0] != '/' ||
		    strstr(pw->pw_dir, "/..") != NULL ||
		    strlen(pw->pw_dir) >= PATH_MAX ||
		    strpbrk(pw->pw_dir, "\n\r") != NULL)
			continue;	/* name or home not usable */
		fprintf(uf, "%s %u:%u:%s\n", pw->pw_name, (unsigned)pw->pw_uid,
		    (unsigned)pw->pw_gid, pw->pw_dir);
		if (af == NULL)
			continue;
		/* Their hashes once the walk is over: OpenBSD's share it. */
		if ((nn = reallocarray(names, nnames + 1,
		    sizeof(*names))) == NULL ||
		    (nn[nnames] = strdup(pw->pw_name)) == NULL)
			fatal("%s", __func__);
		names = nn;
		nnames++;
	}
	endpwent();
	if (af != NULL && auth_lines(af, names, nnames) == -1)
		return -1;
	if (fflush(uf) == EOF || ferror(uf) ||
	    (af != NULL && (fflush(af) == EOF || ferror(af))))
		fatal("system tables");
	return 0;
}
