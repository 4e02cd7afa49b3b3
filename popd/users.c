/*
 * users.c -- the users as the parent keeps them: usertab whole (the ids
 * and maildir of whoever logs in), and of authtab only a keyed hash of
 * each user's line.  authpop holds the password hashes; the parent reads
 * authtab to check it against usertab and, at a reload, to tell the
 * authpops still draining which passwords changed, so that no attempt
 * after the reload checks a password it revoked.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "popd.h"
#include "parent.h"
#include "chan.h"
#include "proto.h"
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
static int	auth_line(void *, char *, char *, size_t);
static void	change(struct pwchangeq *, const char *, const char *);

static uint64_t	mackey[2];

/* A line of usertab: no mail user may have a daemon's uid. */
static int
user_line(void *arg, char *name, char *info, size_t line)
{
	uid_t	uid = strtoul(info, NULL, 10);

	if (uid == daemon_uid[0] || uid == daemon_uid[1]) {
		log_warnx("%s:%zu: user %s has uid %u, the uid of %s: give "
		    "mail users uids of their own", (const char *)arg, line,
		    name, (unsigned)uid, uid == daemon_uid[0] ? POPD_USER :
		    POPD_AUTH_USER);
		return -1;
	}
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
	ssize_t		 i, o;
	uint64_t	 mac;

	if ((i = table_find(&a->u->tab, name)) == -1) {
		log_warnx("%s:%zu: user \"%s\" is not in %s", a->file, line,
		    name, a->userfile);
		return -1;
	}
	if (a->u->mac[i] != 0) {
		log_warnx("%s:%zu: duplicate entry for \"%s\"", a->file, line,
		    name);
		return -1;
	}
	a->u->mac[i] = mac = siphash(mackey, hash, strlen(hash));
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
 * Load usertab and check authtab against it into u.  Every bad line of
 * both is logged; USERS_BADUSERTAB and USERS_BADAUTHTAB say which file
 * had them, and u is then empty.  With old (a reload), the passwords
 * that differ from old's go to changes.
 */
int
users_load(const char *userfile, const char *authfile, struct users *u,
    const struct users *old, struct pwchangeq *changes)
{
	struct authscan	 a;
	size_t		 i;
	ssize_t		 j;

	memset(u, 0, sizeof(*u));
	if (mackey[0] == 0 && mackey[1] == 0)
		arc4random_buf(mackey, sizeof(mackey));
	if (table_load(userfile, TABLE_USERS, user_line, (void *)userfile,
	    &u->tab) == -1) {
		/* Without usertab, authtab's lines are checked alone. */
		return USERS_BADUSERTAB | (table_scan(authfile, TABLE_AUTH,
		    NULL, NULL) == -1 ? USERS_BADAUTHTAB : 0);
	}
	u->macsz = u->tab.n * sizeof(*u->mac);
	u->mac = map_anon(&u->macsz);
	a.file = authfile;
	a.userfile = userfile;
	a.u = u;
	a.old = old;
	a.changes = changes;
	if (table_scan(authfile, TABLE_AUTH, auth_line, &a) == -1) {
		users_free(u);
		if (changes != NULL)
			pwchanges_free(changes);
		return USERS_BADAUTHTAB;
	}
	/* Users whose password authtab no longer has. */
	for (i = 0; old != NULL && i < old->tab.n; i++) {
		if (old->mac[i] == 0)
			continue;
		j = table_find(&u->tab, table_name(&old->tab, i));
		if (j == -1 || u->mac[j] == 0)
			change(changes, table_name(&old->tab, i), NULL);
	}
	return 0;
}

void
users_free(struct users *u)
{
	table_free(&u->tab);
	unmap(u->mac, u->macsz);
	memset(u, 0, sizeof(*u));
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
