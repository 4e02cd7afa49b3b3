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
 * userquota.c -- the parent's part of quotas: each user's limit.
 *
 * A user's limit is its line in quota users (a file loaded with the
 * other tables, or a database table asked with K_ALIAS, the usertab
 * key as the key), else popd.conf's quota.  The use is never read
 * here: the parent does not touch maildirs.  The lmtp process gets the
 * limit at RCPT and has the user's dlvrpop check it (lmtp/lmtp_pool.c);
 * the dlvrpop gets it from the parent, and refuses what does not fit.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "popd.h"
#include "parent.h"
#include "config.h"
#include "settings.h"
#include "table.h"
#include "lookup.h"
#include "quotarule.h"

/* Whether any user has a limit: without, deliveries ask nothing. */
int
userquota_on(void)
{
	return conf->set.quota.bytes != 0 || conf->set.quota.msgs != 0 ||
	    conf->set.quota.users[0] != '\0';
}

/*
 * The table's answer: the user's own limit, the default if it has
 * none, or a temporary failure if the table is down or its value is
 * not a quota (the admin's error, never the sender's).
 */
static void
quota_answer(void *arg, int status, const char *value)
{
	struct user_wait	*w = arg;
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
	w->cb.quota(w->arg, status == LOOKUP_TEMP ? LOOKUP_TEMP : LOOKUP_FOUND,
	    status == LOOKUP_TEMP ? NULL : &lim);
	free(w);
}

/*
 * The limit of user (a usertab key), all 0 for none: cb(arg,
 * LOOKUP_FOUND, limit), or cb(arg, LOOKUP_TEMP, NULL); perhaps at once.
 */
void
userquota_find(const char *user, userquota_cb cb, void *arg)
{
	struct user_wait	*w;

	if ((w = user_wait(user, arg)) == NULL) {
		cb(arg, LOOKUP_TEMP, NULL);
		return;
	}
	w->cb.quota = cb;
	lookup_user(conf->set.quota.users, conf->set.quota.userssrc,
	    TABLE_FILE_QUOTAS, user, quota_answer, w);
}
