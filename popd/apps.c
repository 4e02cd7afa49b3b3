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
 * App passwords in the parent, which reads none of their records: a
 * file is checked by authcheck before a load changes anything, and its
 * image handed to authpop.  What needs root stays here: the last-use
 * state file, opened for each control process.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "chan.h"
#include "config.h"
#include "parent.h"

/* At start: the state file's directory, made before unveil(2); or NULL. */
const char *
apps_start(void)
{
	static char	 dir[PATH_MAX];
	char		*slash;

	(void)strlcpy(dir, conf->apps_last, sizeof(dir));
	if (conf->apps[0] == '\0' || (slash = strrchr(dir, '/')) == NULL ||
	    slash == dir)
		return NULL;
	*slash = '\0';
	if (mkdir(dir, 0700) == 0)
		log_info("app passwords: made %s for their last use", dir);
	return dir;
}

/* Opened here as root, read and written there; without it, not kept. */
void
apps_send_last(struct chan *c)
{
	int	 fd;

	if (conf->apps[0] == '\0')
		return;
	if ((fd = state_open(conf->apps_last)) == -1 && errno == EFTYPE) {
		log_warnx("app-passwords last %s: not a regular file, not "
		    "kept", conf->apps_last);
		return;
	}
	if (fd == -1) {
		log_warn("app-passwords last %s: not kept", conf->apps_last);
		return;
	}
	chan_send(c, MSG_PARENT_APPSLAST, fd, NULL, 0);
}

void
ctl_show_apps(struct ctlans *a, const struct msg_ctlreq *r)
{
	if (conf->apps[0] == '\0')
		ctlans_end(a, "popd.conf has no app-passwords");
	else
		ctlans_end(a, NULL);
}
