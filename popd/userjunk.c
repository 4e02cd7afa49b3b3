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
 * userjunk.c -- each user's junk folder.  A table that cannot answer, or
 * answers no junk setting, fails the login for now ([SYS/TEMP]): a session
 * without the folder, or with another, would show the user a maildrop that is
 * not his.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "popd.h"
#include "parent.h"
#include "config.h"
#include "settings.h"
#include "table.h"
#include "lookup.h"

static void
junk_answer(void *arg, int status, const char *value)
{
	struct user_wait	*w = arg;
	struct conf_junk	 j;
	char			 err[JUNK_SPECMAX + 160];

	j = conf->set.junk;
	if (status == LOOKUP_FOUND &&
	    junk_spec_parse(value, &j, err, sizeof(err)) == -1) {
		log_warnx("junk users %s%s%s: %s: junk %s",
		    conf->set.junk_userssrc == TABSRC_LOOKUP ? "<" : "",
		    conf->set.junk_users,
		    conf->set.junk_userssrc == TABSRC_LOOKUP ? ">" : "",
		    w->user, err);
		status = LOOKUP_TEMP;
	}
	w->cb.junk(w->arg, status, status == LOOKUP_TEMP ? NULL : &j);
	free(w);
}

/* cb may run before this returns. */
void
userjunk_find(const char *user, userjunk_cb cb, void *arg)
{
	struct user_wait	*w;

	if ((w = user_wait(user, arg)) == NULL) {
		cb(arg, LOOKUP_TEMP, NULL);
		return;
	}
	w->cb.junk = cb;
	lookup_user(conf->set.junk_users, conf->set.junk_userssrc,
	    TABLE_FILE_JUNK, user, junk_answer, w);
}
