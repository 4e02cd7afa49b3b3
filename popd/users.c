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
 * users.c -- the users as the parent keeps them: usertab whole (the ids
 * and maildir of whoever logs in), and of authtab only a keyed hash of
 * each user's line.  authpop holds the password hashes; the parent reads
 * authtab to check it against usertab and, at a reload, to tell the
 * authpops still draining which passwords changed, so that no attempt
 * after the reload checks a password it revoked.
 *
 * A database table is asked for each login instead (lookup.c): with
 * usertab one, the parent keeps authtab's names for the changes; with
 * authtab one, nothing of it.  The system's accounts (system.c) are
 * written as files first and then loaded as files are.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "popd.h"
#include "parent.h"
#include "chan.h"
#include "config.h"
#include "proto.h"
#include "pwscheme.h"
#include "table.h"

struct pwchange {
	TAILQ_ENTRY(pwchange)	 entry;
	char			 user[POPD_MAXUSER + 1];
	char			*hash;		/* NULL: removed */
};

/* What an authtab scan checks against and fills in. */
struct authscan {
	const char		*file;
	const char		*userfile;
	struct users		*u;		/* being loaded */
	const struct users	*old;		/* NULL at start */
	struct pwchangeq	*changes;
};

static int	user_line(void *, char *, char *, size_t);
static int	auth_index_line(void *, char *, char *, size_t);
static int	auth_line(void *, char *, char *, size_t);
static void	change(struct pwchangeq *, const char *, const char *);

static uint64_t	mackey[2];

/*
 * Is uid one of popd's daemon users'?  Then why says whose, and no mail
 * user may have it.
 */
int
users_refused_uid(uid_t uid, char *why, size_t len)
{
	static const char *const names[DAEMON_UIDS] = { POPD_USER,
	    POPD_AUTH_USER, POPD_TABLE_USER };
	int	i;

	for (i = 0; i < DAEMON_UIDS; i++)
		if (uid == daemon_uid[i]) {
			(void)snprintf(why, len, "uid %u is the uid of %s: "
			    "give mail users uids of their own",
			    (unsigned)uid, names[i]);
			return 1;
		}
	return 0;
}

/* A line of usertab: no mail user may have a daemon's uid. */
static int
user_line(void *arg, char *name, char *info, size_t line)
{
	char	why[128];

	if (users_refused_uid(strtoul(info, NULL, 10), why, sizeof(why))) {
		log_warnx("%s:%zu: user %s: %s", (const char *)arg, line,
		    name, why);
		return -1;
	}
	return 0;
}

/* An authtab line when authtab's names are the index: its keyed hash. */
static int
auth_index_line(void *arg, char *name, char *hash, size_t line)
{
	return 0;
}

/*
 * One line of authtab: its user must be in usertab, once; a password
 * that is not the one the old tables had is a change.
 */
static int
auth_line(void *arg, char *name, char *hash, size_t line)
{
	struct authscan	*a = arg;
	struct pwhash	 ph;
	ssize_t		 i, o;
	uint64_t	 mac;

	if ((i = table_find(&a->u->tab, name)) == -1) {
		log_warnx("%s:%zu: user \"%s\" is not in %s", a->file, line,
		    name, a->userfile);
		return -1;
	}
	/* authtab's own names: a duplicate was found when it was loaded. */
	if (a->u->mac[i] != 0) {
		log_warnx("%s:%zu: duplicate entry for \"%s\"", a->file, line,
		    name);
		return -1;
	}
	a->u->mac[i] = mac = siphash(mackey, hash, strlen(hash));
	/*
	 * show metrics' gauge, counted here where the hash is at hand;
	 * table_scan parsed it already (pwscheme_allowed).
	 */
	if (pwscheme_parse(hash, &ph) == 0)
		stats_kind_add(&a->u->kinds, pwscheme_hname(&ph),
		    ph.flags & PWS_WEAK);
	explicit_bzero(ph.raw, sizeof(ph.raw));
	if (a->old != NULL && ((o = table_find(&a->old->tab, name)) == -1 ||
	    a->old->mac[o] != mac))
		change(a->changes, name, hash);
	return 0;
}

static void
change(struct pwchangeq *q, const char *user, const char *hash)
{
	struct pwchange	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (hash != NULL && (c->hash = strdup(hash)) == NULL))
		fatal("%s", __func__);
	(void)strlcpy(c->user, user, sizeof(c->user));
	TAILQ_INSERT_TAIL(q, c, entry);
}

/*
 * The tables of c into u.  Every bad line is logged; USERS_BADUSERTAB
 * and USERS_BADAUTHTAB say which table had them, and u is then empty.
 * With old (a reload), the passwords that differ from old's go to
 * changes.  A table thread may call this (the reload).
 */
int
users_load(const struct popd_conf *c, struct users *u,
    const struct users *old, struct pwchangeq *changes)
{
	const struct conf_settings *set = &c->set;
	struct authscan	 a;
	char		 userpath[32], authpath[32];
	const char	*userfile = NULL, *authfile = NULL;
	int		 userfd = -1, authfd = -1, bad = 0;
	size_t		 i;
	ssize_t		 j;
	int		 userkind, authkind;

	/* Dovecot's passwd-file: each reading takes the columns it needs. */
	userkind = TABLE_USERS |
	    (set->usersrc == TABSRC_PASSWD ? TABLE_PASSWD : 0);
	authkind = TABLE_AUTH | (set->weak_hashes ? TABLE_WEAK : 0) |
	    (set->authsrc == TABSRC_PASSWD ? TABLE_PASSWD : 0);
	memset(u, 0, sizeof(*u));
	u->authfd = -1;
	if (mackey[0] == 0 && mackey[1] == 0)
		arc4random_buf(mackey, sizeof(mackey));
	/* nginx's auth_http: each user's backend. */
	if (set->route[0] != '\0' && set->routesrc == TABSRC_FILE &&
	    table_load(set->route, TABLE_ROUTES, NULL, NULL, &u->routes) ==
	    -1)
		return USERS_BADROUTE;
	/* App passwords, if a file holds them. */
	if (c->apps[0] != '\0' && c->appssrc == TABSRC_FILE &&
	    appfile_load(c->apps, &u->apps) == -1) {
		table_free(&u->routes);
		return USERS_BADAPPS;
	}
	/* Each user's quota. */
	if (set->quota.users[0] != '\0' &&
	    (set->quota.userssrc == TABSRC_FILE ||
	    set->quota.userssrc == TABSRC_PASSWD) &&
	    table_load(set->quota.users, TABLE_QUOTAS |
	    (set->quota.userssrc == TABSRC_PASSWD ? TABLE_PASSWD : 0), NULL,
	    NULL, &u->quotas) == -1) {
		table_free(&u->routes);
		appfile_free(&u->apps);
		return USERS_BADQUOTA;
	}
	/* Each user's junk folder. */
	if (set->junk_users[0] != '\0' && set->junk_userssrc == TABSRC_FILE &&
	    table_load(set->junk_users, TABLE_JUNK, NULL, NULL, &u->junks) ==
	    -1) {
		table_free(&u->routes);
		appfile_free(&u->apps);
		table_free(&u->quotas);
		return USERS_BADJUNK;
	}
	if (set->usersrc == TABSRC_SYSTEM || set->authsrc == TABSRC_SYSTEM) {
		if (system_tables(c, set->usersrc == TABSRC_SYSTEM ? &userfd :
		    NULL, set->authsrc == TABSRC_SYSTEM ? &authfd : NULL) ==
		    -1)
			return (set->usersrc == TABSRC_SYSTEM ?
			    USERS_BADUSERTAB : 0) |
			    (set->authsrc == TABSRC_SYSTEM ?
			    USERS_BADAUTHTAB : 0);
		(void)snprintf(userpath, sizeof(userpath), "/dev/fd/%d",
		    userfd);
		(void)snprintf(authpath, sizeof(authpath), "/dev/fd/%d",
		    authfd);
	}
	if (set->usersrc == TABSRC_FILE || set->usersrc == TABSRC_PASSWD)
		userfile = set->usertab;
	else if (set->usersrc == TABSRC_SYSTEM)
		userfile = userpath;
	if (set->authsrc == TABSRC_FILE || set->authsrc == TABSRC_PASSWD)
		authfile = set->authtab;
	else if (set->authsrc == TABSRC_SYSTEM)
		authfile = authpath;

	if (userfile != NULL) {
		if (table_load(userfile, userkind, user_line,
		    (void *)userfile, &u->tab) == -1) {
			/* Without usertab, authtab's lines are checked alone. */
			bad = USERS_BADUSERTAB | (authfile != NULL &&
			    table_scan(authfile, authkind, NULL, NULL) == -1 ?
			    USERS_BADAUTHTAB : 0);
			goto done;
		}
		u->tabkind = TABLE_USERS;
	} else if (authfile != NULL) {
		/* usertab is a database: authtab's names are the index. */
		if (table_load(authfile, authkind, auth_index_line, NULL,
		    &u->tab) == -1) {
			bad = USERS_BADAUTHTAB;
			goto done;
		}
		u->tabkind = TABLE_AUTH;
	}
	u->macsz = u->tab.n * sizeof(*u->mac);
	u->mac = u->tab.n > 0 ? map_anon(&u->macsz) : NULL;
	if (authfile != NULL) {
		a.file = authfile;
		a.userfile = userfile;
		a.u = u;
		a.old = old;
		a.changes = changes;
		if (table_scan(authfile, authkind, auth_line, &a) == -1) {
			users_free(u);
			if (changes != NULL)
				pwchanges_free(changes);
			bad = USERS_BADAUTHTAB;
			goto done;
		}
		u->kinds_read = 1;
	}
	/* Users whose password authtab no longer has. */
	for (i = 0; old != NULL && i < old->tab.n; i++) {
		if (old->mac[i] == 0)
			continue;
		j = table_find(&u->tab, table_name(&old->tab, i));
		if (j == -1 || u->mac[j] == 0)
			change(changes, table_name(&old->tab, i), NULL);
	}
 done:
	if (userfd != -1)
		close(userfd);
	if (bad == 0 && authfd != -1)
		u->authfd = authfd;
	else if (authfd != -1)
		close(authfd);
	return bad;
}

void
users_free(struct users *u)
{
	table_free(&u->tab);
	table_free(&u->routes);
	table_free(&u->quotas);
	table_free(&u->junks);
	appfile_free(&u->apps);
	if (u->mac != NULL)
		unmap(u->mac, u->macsz);
	if (u->authfd != -1)
		close(u->authfd);
	memset(u, 0, sizeof(*u));
	u->authfd = -1;
}

/*
 * Tell every authpop but fresh, the one that read the new authtab, the
 * changed passwords; changes is emptied.
 */
void
pwchanges_send(struct pwchangeq *changes, const struct proc *fresh)
{
	struct msg_passwd	 mp;
	struct pwchange		*c;
	struct proc		*p;
	size_t			 count = 0;

	TAILQ_FOREACH(c, changes, entry) {
		memset(&mp, 0, sizeof(mp));
		(void)strlcpy(mp.user, c->user, sizeof(mp.user));
		if (c->hash != NULL)
			(void)strlcpy(mp.hash, c->hash, sizeof(mp.hash));
		TAILQ_FOREACH(p, &procs, entry)
			if (p->id == KIND_AUTHPOP && p != fresh &&
			    p->chan.fd != -1)
				chan_send(&p->chan, MSG_PARENT_PASSWD, -1,
				    &mp, sizeof(mp));
		count++;
	}
	explicit_bzero(&mp, sizeof(mp));
	pwchanges_free(changes);
	/*
	 * App passwords: an older authpop's file is the old one, if any;
	 * it asks the parent, which has the new, from now on.
	 */
	TAILQ_FOREACH(p, &procs, entry)
		if (p->id == KIND_AUTHPOP && p != fresh && p->chan.fd != -1)
			chan_send(&p->chan, MSG_PARENT_APPSASK, -1, NULL, 0);
	if (count > 0)
		log_debug("reload: %zu password%s changed", count,
		    count == 1 ? "" : "s");
}

void
pwchanges_free(struct pwchangeq *changes)
{
	struct pwchange	*c;

	while ((c = TAILQ_FIRST(changes)) != NULL) {
		TAILQ_REMOVE(changes, c, entry);
		if (c->hash != NULL)
			freezero(c->hash, strlen(c->hash));
		free(c);
	}
}

/* users_kinds' count: each kind of hash, and the users of weak ones. */
struct kindcount {
	FILE		*fp;		/* NULL: count; else name weak ones */
	const char	*names[64];
	size_t		 counts[64];
	int		 weak[64];
	size_t		 nkinds, other, users;
};

static int
kind_line(void *arg, char *name, char *hash, size_t lineno)
{
	struct kindcount	*k = arg;
	struct pwhash		 ph;
	const char		*kind = pwscheme_name(hash);
	size_t			 i;
	int			 weak;

	weak = pwscheme_parse(hash, &ph) == 0 && (ph.flags & PWS_WEAK);
	explicit_bzero(&ph, sizeof(ph));
	if (k->fp != NULL) {
		if (weak)
			fprintf(k->fp, "# authtab: %s has a weak %s hash\n", name,
			    kind);
		return 0;
	}
	k->users++;
	for (i = 0; i < k->nkinds; i++)
		if (strcmp(k->names[i], kind) == 0)
			break;
	if (i == k->nkinds && k->nkinds < nitems(k->names)) {
		k->weak[i] = weak;
		k->names[k->nkinds++] = kind;
	}
	if (i < k->nkinds)
		k->counts[i]++;
	else
		k->other++;
	return 0;
}

/*
 * popd -nv: how many users of authtab (a file, a passwd-file, or the
 * system's accounts)
 * have each kind of hash, and which have weak ones, to reset before
 * weak-hashes is turned off.  A database's table is not listed.  As
 * comments: what -nv prints stays a configuration popd reads.
 */
void
users_kinds(FILE *fp, const struct popd_conf *c, const struct users *u)
{
	struct kindcount	 k;
	char			 path[32];
	const char		*file;
	size_t			 i;
	int			 kind = TABLE_AUTH | TABLE_WEAK | TABLE_QUIET;

	if (c->set.authsrc == TABSRC_PASSWD)
		kind |= TABLE_PASSWD;
	if (c->set.authsrc == TABSRC_FILE || c->set.authsrc == TABSRC_PASSWD)
		file = c->set.authtab;
	else if (c->set.authsrc == TABSRC_SYSTEM && u->authfd != -1) {
		(void)snprintf(path, sizeof(path), "/dev/fd/%d", u->authfd);
		file = path;
	} else
		return;
	memset(&k, 0, sizeof(k));
	(void)table_scan(file, kind, kind_line, &k);
	fprintf(fp, "# authtab: %zu user%s\n", k.users, k.users == 1 ? "" :
	    "s");
	for (i = 0; i < k.nkinds; i++)
		fprintf(fp, "# authtab: %zu %s%s\n", k.counts[i], k.names[i],
		    k.weak[i] ? " (weak)" : "");
	if (k.other > 0)
		fprintf(fp, "# authtab: %zu of other kinds\n", k.other);
	k.fp = fp;
	(void)table_scan(file, kind, kind_line, &k);
}

/* popd -m's count of authtab's hashes: which work, which never can. */
struct pwcount {
	struct stats_kinds	 ok, weak, plain, reset;
	uint64_t		 users, nok, nweak, nnever, unknown;
};

static int
pwcount_line(void *arg, char *name, char *hash, size_t lineno)
{
	struct pwcount	*p = arg;
	struct pwhash	 ph;

	p->users++;
	if (pwscheme_parse(hash, &ph) == -1) {
		p->unknown++;
		p->nnever++;
		return 0;
	}
	if (ph.flags & PWS_RESET) {
		stats_kind_add(&p->reset, pwscheme_hname(&ph), 0);
		p->nnever++;
	} else if (ph.flags & PWS_PLAIN) {
		stats_kind_add(&p->plain, pwscheme_hname(&ph), 0);
		p->nnever++;
	} else if (ph.flags & PWS_WEAK) {
		stats_kind_add(&p->weak, pwscheme_hname(&ph), 1);
		p->nweak++;
	} else {
		stats_kind_add(&p->ok, pwscheme_hname(&ph), 0);
		p->nok++;
	}
	explicit_bzero(ph.raw, sizeof(ph.raw));
	return 0;
}

static void
pwcount_print(FILE *fp, const struct stats_kinds *k, const char *what)
{
	size_t	i;

	for (i = 0; i < k->nkinds; i++)
		fprintf(fp, "passwords: %llu %s: %s\n",
		    (unsigned long long)k->n[i], k->name[i], what);
}

/*
 * popd -m: how many users of authtab (a file, a passwd-file or the
 * system's accounts) hold a hash popd checks, a weak one that works only
 * with weak-hashes, or one that can never work, and what to do about it.
 * Every line is read, refused ones too: an authtab with any is refused
 * whole, which popd -m says after this.
 */
void
users_passwords(FILE *fp, const struct popd_conf *c, const struct users *u)
{
	struct pwcount	 p;
	char		 path[32];
	const char	*file;
	int		 kind = TABLE_AUTH | TABLE_QUIET | TABLE_ANYHASH;
	int		 weakok = c->set.weak_hashes;

	if (c->set.authsrc == TABSRC_FILE)
		file = c->set.authtab;
	else if (c->set.authsrc == TABSRC_PASSWD) {
		file = c->set.authtab;
		kind |= TABLE_PASSWD;
	} else if (c->set.authsrc == TABSRC_SYSTEM) {
		(void)snprintf(path, sizeof(path), "/dev/fd/%d", u->authfd);
		file = u->authfd != -1 ? path : NULL;
	} else {
		fprintf(fp, "passwords: authtab is a database table, whose "
		    "hashes popd reads only at each login: not counted\n");
		return;
	}
	memset(&p, 0, sizeof(p));
	if (file == NULL || (table_scan(file, kind, pwcount_line, &p) == -1 &&
	    p.users == 0)) {
		fprintf(fp, "passwords: authtab not read: see below\n");
		fflush(fp);
		return;
	}
	fprintf(fp, "passwords: %llu user%s: %llu will work, %llu only with "
	    "weak-hashes yes (%s), %llu never\n", (unsigned long long)p.users,
	    p.users == 1 ? "" : "s",
	    (unsigned long long)(p.nok + (weakok ? p.nweak : 0)),
	    (unsigned long long)p.nweak, weakok ? "set" : "not set",
	    (unsigned long long)p.nnever);
	pwcount_print(fp, &p.ok, "checked");
	pwcount_print(fp, &p.weak, weakok ? "weak, checked as weak-hashes "
	    "is yes: give these users new passwords" : "weak, refused "
	    "without weak-hashes yes");
	pwcount_print(fp, &p.plain, "in clear, never read: \"popdpass -P\" "
	    "turns them into bcrypt hashes");
	pwcount_print(fp, &p.reset, "never read, and no hash can be made "
	    "from it: reset these users' passwords (popdpass)");
	if (p.unknown > 0)
		fprintf(fp, "passwords: %llu of no kind popd reads: reset these "
		    "users' passwords (popdpass)\n",
		    (unsigned long long)p.unknown);
	if (p.nnever > 0 || (p.nweak > 0 && !weakok))
		fprintf(fp, "passwords: while any is refused, popd refuses "
		    "authtab whole: no one logs in\n");
	fflush(fp);
}
