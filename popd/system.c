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
 * system.c -- usertab system and authtab system: the system's accounts
 * (tpop3d's auth_pam case, without PAM as root next to the network).
 * The parent reads the user database (getpwent, so NSS sources too) and
 * the shadow database, keeps the users within "system uid MIN-MAX" (and
 * "system group NAME" when given) that are neither root nor one of
 * popd's daemon users, and writes them as a usertab and an authtab into
 * files of no name.  From there they are file tables like any other: the
 * parent loads the usertab, and authpop gets the authtab as its
 * POPD_CONF_FD.  SIGHUP reads the system again.
 */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "config.h"
#include "table.h"

static int	member(const struct group *, const struct passwd *);
static int	auth_lines(FILE *, char **, size_t, size_t *);

/* Is pw in group g, as its primary group or a listed member? */
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

/*
 * Write the system's users as a usertab to *userfd and their password
 * hashes as an authtab to *authfd (each only if not NULL), files of no
 * name the caller closes.  -1 (logged) if the databases cannot be read.
 */
int
system_tables(const struct popd_conf *c, int *userfd, int *authfd)
{
	struct passwd	 pwbuf, *pw;
	struct group	 grbuf, *gr = NULL;
	FILE		*uf = NULL, *af = NULL;
	char		*buf = NULL, *gbuf = NULL, **names = NULL, **nn;
	size_t		 len = 16384, n = 0, nauth = 0, nnames = 0, j;
	int		 r, fd, i, ret = -1;

	if ((buf = malloc(len)) == NULL || (gbuf = malloc(len * 4)) == NULL) {
		log_warn("%s", __func__);
		goto done;
	}
	if (c->system_group[0] != '\0') {
		r = getgrnam_r(c->system_group, &grbuf, gbuf, len * 4, &gr);
		if (gr == NULL) {
			log_warnx("system group %s: %s", c->system_group,
			    r == 0 ? "no such group" : strerror(r));
			goto done;
		}
	}
	if (userfd != NULL) {
		if ((fd = compat_anonfile("usertab-system")) == -1 ||
		    (uf = fdopen(fd, "w+")) == NULL) {
			log_warn("usertab system");
			goto done;
		}
	}
	if (authfd != NULL) {
		if ((fd = compat_anonfile("authtab-system")) == -1 ||
		    (af = fdopen(fd, "w+")) == NULL) {
			log_warn("authtab system");
			goto done;
		}
	}
	setpwent();
	for (;;) {
		if ((r = compat_getpwent(&pwbuf, buf, len, &pw)) != 0) {
			errno = r;
			log_warn("usertab system: the user database");
			endpwent();
			goto done;
		}
		if (pw == NULL)
			break;
		if (pw->pw_uid < c->system_uid[0] ||
		    pw->pw_uid > c->system_uid[1] || pw->pw_uid == 0 ||
		    pw->pw_gid == 0 || (gr != NULL && !member(gr, pw)))
			continue;
		for (i = 0; i < DAEMON_UIDS; i++)
			if (pw->pw_uid == daemon_uid[i])
				break;
		if (i < DAEMON_UIDS) {
			log_warnx("system user %s: the uid %u of one of popd's "
			    "daemon users: left out", pw->pw_name,
			    (unsigned)pw->pw_uid);
			continue;
		}
		if (!valid_username(pw->pw_name) || pw->pw_dir[0] != '/' ||
		    strstr(pw->pw_dir, "/..") != NULL ||
		    strlen(pw->pw_dir) >= PATH_MAX ||
		    strpbrk(pw->pw_dir, "\n\r") != NULL) {
			log_debug("system user %s: name or home not usable: "
			    "left out", pw->pw_name);
			continue;
		}
		if (uf != NULL)
			fprintf(uf, "%s %u:%u:%s\n", pw->pw_name,
			    (unsigned)pw->pw_uid, (unsigned)pw->pw_gid,
			    pw->pw_dir);
		n++;
		if (af == NULL)
			continue;
		/* Their hashes once the walk is over: OpenBSD's share it. */
		if ((nn = reallocarray(names, nnames + 1,
		    sizeof(*names))) == NULL ||
		    (nn[nnames] = strdup(pw->pw_name)) == NULL) {
			log_warn("authtab system");
			if (nn != NULL)
				names = nn;
			endpwent();
			goto done;
		}
		names = nn;
		nnames++;
	}
	endpwent();
	if (af != NULL && auth_lines(af, names, nnames, &nauth) == -1)
		goto done;
	if ((uf != NULL && (fflush(uf) == EOF || ferror(uf))) ||
	    (af != NULL && (fflush(af) == EOF || ferror(af)))) {
		log_warn("system tables");
		goto done;
	}
	log_debug("system: %zu users of uid %u-%u%s%s, %zu with a password",
	    n, c->system_uid[0], c->system_uid[1], gr != NULL ? " in group " :
	    "", gr != NULL ? c->system_group : "", nauth);
	if (uf != NULL) {
		if ((*userfd = dup(fileno(uf))) == -1)
			goto done;
		(void)set_cloexec(*userfd);
	}
	if (af != NULL) {
		if ((*authfd = dup(fileno(af))) == -1) {
			if (uf != NULL)
				close(*userfd);
			goto done;
		}
		(void)set_cloexec(*authfd);
	}
	ret = 0;
 done:
	if (uf != NULL)
		fclose(uf);
	if (af != NULL)
		fclose(af);
	free(buf);
	free(gbuf);
	for (j = 0; j < nnames; j++)
		free(names[j]);
	free(names);
	return ret;
}

/*
 * The authtab lines of names: each one's hash from the shadow database.
 * Locked ("!", "*") and empty passwords never log in: no line.  The
 * parent reads no hash further: authpop leaves out, and logs, a kind it
 * refuses (a weak md5crypt unless weak-hashes, TABLE_SKIP).  -1 (logged)
 * if the database cannot be read.
 */
static int
auth_lines(FILE *af, char **names, size_t n, size_t *nauth)
{
	char		 hash[COMPAT_HASH_MAX + 1];
	size_t		 i;
	int		 r;

	for (i = 0; i < n; i++) {
		if ((r = compat_pwhash(names[i], hash, sizeof(hash))) == -1) {
			log_warn("authtab system: the shadow database "
			    "(readable by root only)");
			return -1;
		}
		if (r == 1 && hash[0] != '\0' && hash[0] != '!' &&
		    hash[0] != '*' && strpbrk(hash, " \t\r\n") == NULL) {
			fprintf(af, "%s %s\n", names[i], hash);
			(*nauth)++;
		}
		explicit_bzero(hash, sizeof(hash));
	}
	return 0;
}
