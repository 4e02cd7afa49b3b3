/*
 * migrate.c -- popd -m: for each maildir, which UIDLs popd would keep
 * from the POP3 server before it, so that a migration can be checked
 * before any client sees it.  Nothing is written.  Each maildir is read
 * by a wrkrpop started as its user, as for a session, but told to report
 * (WORKER_REPORT, wrkrpop/report.c) on our standard output: the parent
 * links no mail store code.
 */
#include <sys/types.h>
#include <sys/tree.h>
#include <sys/wait.h>

#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "config.h"
#include "addr.h"
#include "settings.h"
#include "table.h"

int
migration_report(void)
{
	struct userinfo		 ui, *u = &ui;
	size_t			 i;
	struct peeraddr		 nobody;
	char			 path[PATH_MAX], *argv[8];
	pid_t			 pid;
	int			 argc, conffd, status, bad = 0;

	if (users.tabkind != TABLE_USERS) {
		fprintf(stderr, "popd -m: usertab <%s> is a database table, "
		    "whose users popd cannot list: run popd -m -f with a "
		    "configuration whose usertab is a file of them\n",
		    conf->set.usertab);
		return 1;
	}
	peer_set(&nobody, 0, NULL, 0);
	argc = child_argv(argv, "wrkrpop", NULL);
	argv[argc] = NULL;
	for (i = 0; i < users.tab.n; i++) {
		table_user(&users.tab, i, u);
		if (settings_maildir(path, sizeof(path), u->path,
		    conf->set.maildir) == -1) {
			printf("%s: maildir path too long\n", u->name);
			bad = 1;
			continue;
		}
		fflush(stdout);
		if ((conffd = worker_conf(u->name, path, &nobody, "",
		    WORKER_REPORT, -1)) == -1)
			err(1, "%s", u->name);
		if ((pid = child_exec(wrkrpop_path, argv, STDOUT_FILENO,
		    conffd, u, "wrkrpop")) == -1)
			err(1, "fork");
		close(conffd);
		/* Exit 1: it wrote what went wrong. */
		if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) > 1)
			printf("%s: %s: not read (see the log)\n", u->name,
			    path);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad = 1;
	}
	return bad;
}
