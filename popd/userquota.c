/*
 * userquota.c -- the parent's part of quotas: each user's limit, and
 * the users known to be over theirs.
 *
 * A user's limit is its line in quota users (a file loaded with the
 * other tables, or a database table asked with K_ALIAS, the usertab
 * key as the key), else popd.conf's quota.  The use is never read
 * here: the parent does not touch maildirs.  The user's dlvrpop reads
 * it (dlvr.c, MSG_PARENT_QUOTA) and every answer it gives, after a
 * delivery or a check, says whether the maildir is over: that is what
 * popd_quota_users_over counts, as of each maildir's last answer.
 *
 * An answer is also kept for QUOTA_FRESH seconds, with the use and the
 * limit it was for: a recipient whose maildir had room for the message
 * then is taken at RCPT without asking the worker again, which costs a
 * round trip through three processes (on two cores, a fifth of the
 * deliveries a single LMTP connection makes).  The worker's check
 * before it writes the message stays the rule: a maildir that another
 * writer (mda, a POP3 or IMAP server) filled within those seconds is
 * refused after DATA instead of at RCPT, for that recipient only.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "popd.h"
#include "parent.h"
#include "config.h"
#include "settings.h"
#include "table.h"
#include "lookup.h"
#include "quota.h"

struct quota_wait {
	userquota_cb	 cb;
	void		*arg;
	char		 user[POPD_MAXUSER + 1];
};

/* A maildir whose last answer said it is over quota. */
struct overq {
	RB_ENTRY(overq)	 entry;
	char		*maildir;
};
RB_HEAD(overtree, overq);
static int	overq_cmp(struct overq *, struct overq *);
RB_PROTOTYPE_STATIC(overtree, overq, entry, overq_cmp);
RB_GENERATE_STATIC(overtree, overq, entry, overq_cmp);

static struct overtree	over = RB_INITIALIZER(&over);
static size_t		nover;

/* A maildir's last answer, for QUOTA_FRESH seconds (oldest first). */
#define QUOTA_FRESH	2
struct freshq {
	RB_ENTRY(freshq)	 entry;
	TAILQ_ENTRY(freshq)	 age;
	struct quota_limit	 lim;
	struct quota_use	 use;
	time_t			 when;
	char			*maildir;
};
RB_HEAD(freshtree, freshq);
static int	freshq_cmp(struct freshq *, struct freshq *);
RB_PROTOTYPE_STATIC(freshtree, freshq, entry, freshq_cmp);
RB_GENERATE_STATIC(freshtree, freshq, entry, freshq_cmp);

static struct freshtree		 fresh = RB_INITIALIZER(&fresh);
static TAILQ_HEAD(, freshq)	 freshage = TAILQ_HEAD_INITIALIZER(freshage);

static void	fresh_expire(time_t);
static void	fresh_put(const char *, const struct quota_limit *,
		    const struct quota_use *);

static void	quota_answer(struct quota_wait *, int, const char *);
static void	quota_looked(void *, int, const char *);

static int
overq_cmp(struct overq *a, struct overq *b)
{
	return strcmp(a->maildir, b->maildir);
}

static int
freshq_cmp(struct freshq *a, struct freshq *b)
{
	return strcmp(a->maildir, b->maildir);
}

/* Whether any user has a limit: without, deliveries ask nothing. */
int
userquota_on(void)
{
	return conf->set.quota.bytes != 0 || conf->set.quota.msgs != 0 ||
	    conf->set.quota.users[0] != '\0';
}

/*
 * The limit of user (a usertab key): cb(arg, LOOKUP_FOUND, limit), the
 * limit all 0 for none, or cb(arg, LOOKUP_TEMP, NULL) when its table
 * cannot say; perhaps before this returns.
 */
void
userquota_find(const char *user, userquota_cb cb, void *arg)
{
	struct quota_wait	*w, fw;
	const char		*v = NULL;

	if (conf->set.quota.users[0] == '\0' ||
	    conf->set.quota.userssrc == TABSRC_FILE) {
		fw.cb = cb;
		fw.arg = arg;
		(void)strlcpy(fw.user, user, sizeof(fw.user));
		if (conf->set.quota.users[0] != '\0')
			v = table_get(&users.quotas, user);
		quota_answer(&fw, v != NULL ? LOOKUP_FOUND : LOOKUP_NONE, v);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("%s", __func__);
		cb(arg, LOOKUP_TEMP, NULL);
		return;
	}
	w->cb = cb;
	w->arg = arg;
	(void)strlcpy(w->user, user, sizeof(w->user));
	lookup(conf->set.quota.users, LOOKUP_ALIAS, user, quota_looked, w);
}

static void
quota_looked(void *arg, int status, const char *value)
{
	quota_answer(arg, status, value);
	free(arg);
}

/*
 * The table's answer: the user's own limit, the default if it has
 * none, or a temporary failure if the table is down or its value is
 * not a quota (the admin's error, never the sender's).
 */
static void
quota_answer(struct quota_wait *w, int status, const char *value)
{
	struct quota_limit	 lim;
	char			 err[128];

	lim.bytes = conf->set.quota.bytes;
	lim.msgs = conf->set.quota.msgs;
	if (status == LOOKUP_FOUND &&
	    quota_spec_parse(value, &lim, err, sizeof(err)) == -1) {
		log_warnx("quota users %s%s%s: %s: %s",
		    conf->set.quota.userssrc == TABSRC_LOOKUP ? "<" : "",
		    conf->set.quota.users,
		    conf->set.quota.userssrc == TABSRC_LOOKUP ? ">" : "",
		    w->user, err);
		status = LOOKUP_TEMP;
	}
	if (status == LOOKUP_TEMP)
		w->cb(w->arg, LOOKUP_TEMP, NULL);
	else
		w->cb(w->arg, LOOKUP_FOUND, &lim);
}

/* The answers older than QUOTA_FRESH seconds are forgotten. */
static void
fresh_expire(time_t now)
{
	struct freshq	*f;

	while ((f = TAILQ_FIRST(&freshage)) != NULL &&
	    now - f->when >= QUOTA_FRESH) {
		TAILQ_REMOVE(&freshage, f, age);
		RB_REMOVE(freshtree, &fresh, f);
		free(f->maildir);
		free(f);
	}
}

/* maildir's answer, the newest: kept, or kept again. */
static void
fresh_put(const char *maildir, const struct quota_limit *lim,
    const struct quota_use *use)
{
	struct freshq	 key, *f;
	time_t		 now = monotime();

	fresh_expire(now);
	key.maildir = (char *)maildir;
	if ((f = RB_FIND(freshtree, &fresh, &key)) != NULL)
		TAILQ_REMOVE(&freshage, f, age);
	else {
		if ((f = calloc(1, sizeof(*f))) == NULL ||
		    (f->maildir = strdup(maildir)) == NULL) {
			free(f);
			return;
		}
		RB_INSERT(freshtree, &fresh, f);
	}
	f->lim = *lim;
	f->use = *use;
	f->when = now;
	TAILQ_INSERT_TAIL(&freshage, f, age);
}

/*
 * Whether maildir's worker said less than QUOTA_FRESH seconds ago, for
 * the same limit, that it had room for size more bytes (half of SIZE=,
 * as the worker asks; 0 without) and one more message.
 */
int
userquota_room(const char *maildir, const struct quota_limit *lim,
    uint64_t size)
{
	struct freshq	 key, *f;

	fresh_expire(monotime());
	key.maildir = (char *)maildir;
	if ((f = RB_FIND(freshtree, &fresh, &key)) == NULL ||
	    f->lim.bytes != lim->bytes || f->lim.msgs != lim->msgs)
		return 0;
	return !quota_over(lim, &f->use) && quota_fits(lim, &f->use, size);
}

/*
 * A dlvrpop's answer about maildir, under lim: its use, and whether it
 * is over.
 */
void
userquota_seen(const char *maildir, const struct quota_limit *lim,
    const struct quota_use *use, int isover)
{
	struct overq	 key, *o;

	fresh_put(maildir, lim, use);

	key.maildir = (char *)maildir;
	o = RB_FIND(overtree, &over, &key);
	if (isover && o == NULL) {
		if ((o = calloc(1, sizeof(*o))) == NULL ||
		    (o->maildir = strdup(maildir)) == NULL) {
			free(o);
			return;
		}
		RB_INSERT(overtree, &over, o);
		nover++;
	} else if (!isover && o != NULL) {
		RB_REMOVE(overtree, &over, o);
		free(o->maildir);
		free(o);
		nover--;
	}
}

/* For the metrics: maildirs over quota, as of their last answer. */
size_t
userquota_nover(void)
{
	return nover;
}
