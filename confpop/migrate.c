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
 * popd -m: which UIDLs popd would keep from the POP3 server before it,
 * checked before any client sees them; nothing is written.  A wrkrpop
 * reads each maildir: confpop, like the parent, links no mail store code.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "config.h"
#include "addr.h"
#include "settings.h"
#include "table.h"
#include "confpop.h"

int
migration_report(void)
{
	struct userinfo		 ui;
	struct mailuser		 mu;
	struct msg_worker	 nobody;	/* a report has no client */
	struct table		 tab;
	char			 why[160], path[32];
	size_t			 i;
	pid_t			 pid;
	int			 status, bad = 0;

	if (users.userfd == -1) {
		fprintf(stderr, "popd -m: usertab <%s> is a database table, "
		    "whose users popd cannot list: run " SBINDIR "/popd -m "
		    "-f with a configuration whose usertab is a file of "
		    "them\n",
		    conf->set.usertab);
		return 1;
	}
	/* confpop parses it itself: popd, the root daemon, never does. */
	(void)snprintf(path, sizeof(path), "/dev/fd/%d", users.userfd);
	if (table_load(path, users.userkind | TABLE_QUIET, NULL, NULL, &tab) ==
	    -1) {
		fprintf(stderr, "popd -m: usertab: cannot read it again\n");
		return 1;
	}
	memset(&nobody, 0, sizeof(nobody));
	for (i = 0; i < tab.n; i++) {
		table_user(&tab, i, &ui);
		if (mailuser_check(&mu, &ui, why, sizeof(why)) != MU_FOUND) {
			printf("%s: %s\n", ui.name, why);
			bad = 1;
			continue;
		}
		fflush(stdout);
		if ((pid = mailuser_spawn(WORKER_REPORT, &mu, &nobody,
		    STDOUT_FILENO, -1, NULL)) == -1) {
			printf("%s: %s: not read: cannot start wrkrpop: %s\n",
			    mu.name, mu.maildir, strerror(errno));
			bad = 1;
			continue;
		}
		/* Exit 1: it wrote what went wrong. */
		if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) > 1)
			printf("%s: %s: not read (see the log)\n", mu.name,
			    mu.maildir);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad = 1;
	}
	table_free(&tab);
	return bad;
}
