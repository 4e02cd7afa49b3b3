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
 * userquota.c -- the parent's part of quotas: each user's limit, and
 * the users known to be over theirs.
 *
 * A user's limit is its line in quota users (a file loaded with the
 * other tables, or a database table asked with K_ALIAS, the usertab
 * key as the key), else popd.conf's quota.  The use is never read
 * here: the parent does not touch maildirs.  The user's dlvrpop reads
 * it (dworkers.c, MSG_PARENT_QUOTA) and every answer it gives, after a
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

/*
 * A maildir's last answer, with its use and limit: kept while it says
 * the maildir is over (popd_quota_users_over counts those), and for
 * QUOTA_FRESH seconds after it (on age, oldest first) in any case.
 */
#define QUOTA_FRESH	2
struct seen {
	RB_ENTRY(seen)		 entry;
	TAILQ_ENTRY(seen)	 age;
	int			 aging;		/* on age */
	int			 over;
	struct quota_limit	 lim;
	struct quota_use	 use;
	time_t			 when;
	char			*maildir;
};
RB_HEAD(seentree, seen);
static int	seen_cmp(struct seen *, struct seen *);
RB_PROTOTYPE_STATIC(seentree, seen, entry, seen_cmp);
RB_GENERATE_STATIC(seentree, seen, entry, seen_cmp);

static struct seentree		 seens = RB_INITIALIZER(&seens);
static TAILQ_HEAD(, seen)	 age = TAILQ_HEAD_INITIALIZER(age);
static size_t			 nover;

static void	seen_expire(time_t);
static void	quota_answer(void *, int, const char *);

static int
seen_cmp(struct seen *a, struct seen *b)
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
	struct quota_wait	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("%s", __func__);
		cb(arg, LOOKUP_TEMP, NULL);
		return;
	}
	w->cb = cb;
	w->arg = arg;
	(void)strlcpy(w->user, user, sizeof(w->user));
	lookup_user(conf->set.quota.users, conf->set.quota.userssrc,
	    TABLE_FILE_QUOTAS, user, quota_answer, w);
}

/*
 * The table's answer: the user's own limit, the default if it has
 * none, or a temporary failure if the table is down or its value is
 * not a quota (the admin's error, never the sender's).
 */
static void
quota_answer(void *arg, int status, const char *value)
{
	struct quota_wait	*w = arg;
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
	free(w);
}

/*
 * Answers QUOTA_FRESH seconds old leave age, and the tree unless they
 * said over.
 */
static void
seen_expire(time_t now)
{
	struct seen	*e;

	while ((e = TAILQ_FIRST(&age)) != NULL &&
	    now - e->when >= QUOTA_FRESH) {
		TAILQ_REMOVE(&age, e, age);
		e->aging = 0;
		if (!e->over) {
			RB_REMOVE(seentree, &seens, e);
			free(e->maildir);
			free(e);
		}
	}
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
	struct seen	 key, *e;

	seen_expire(monotime());
	key.maildir = (char *)maildir;
	if ((e = RB_FIND(seentree, &seens, &key)) == NULL || !e->aging ||
	    e->lim.bytes != lim->bytes || e->lim.msgs != lim->msgs)
		return 0;
	return !quota_over(lim, &e->use) && quota_fits(lim, &e->use, size);
}

/*
 * A dlvrpop's answer about maildir, under lim: its use, and whether it
 * is over.
 */
void
userquota_seen(const char *maildir, const struct quota_limit *lim,
    const struct quota_use *use, int isover)
{
	struct seen	 key, *e;
	time_t		 now = monotime();

	seen_expire(now);
	key.maildir = (char *)maildir;
	if ((e = RB_FIND(seentree, &seens, &key)) == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL ||
		    (e->maildir = strdup(maildir)) == NULL) {
			free(e);
			return;
		}
		RB_INSERT(seentree, &seens, e);
	} else if (e->aging)
		TAILQ_REMOVE(&age, e, age);
	if (isover && !e->over)
		nover++;
	else if (!isover && e->over)
		nover--;
	e->over = isover != 0;
	e->lim = *lim;
	e->use = *use;
	e->when = now;
	e->aging = 1;
	TAILQ_INSERT_TAIL(&age, e, age);
}

/* For the metrics: maildirs over quota, as of their last answer. */
size_t
userquota_nover(void)
{
	return nover;
}
