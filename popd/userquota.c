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
 * userquota.c -- each user's quota limit.  The use is never read here: the
 * parent does not touch maildirs.
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

int
userquota_on(void)
{
	return conf->set.quota.bytes != 0 || conf->set.quota.msgs != 0 ||
	    conf->set.quota.users[0] != '\0';
}

/*
 * A value that is no quota is the admin's error, never the sender's: a
 * temporary failure.
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

/* cb may run before this returns. */
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
