/*
 * migrate.c -- popd -m: for each maildir, which UIDLs popd would keep
 * from the POP3 server before it, so that a migration can be checked
 * before any client sees it.  Nothing is written, and each maildir is
 * read by a child with its user's ids, as its wrkrpop would read it.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/tree.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "config.h"
#include "maildir.h"
#include "oldids.h"
#include "proc.h"
#include "table.h"

static void		 report_maildir(const struct userent *, const char *);
static int		 report_count(void *, const char *);

/*
 * popd -m: for each user, which UIDLs its maildir would keep from the
 * server before (oldids.c) at its first open, and which get popd's own.
 * Read only, as the user (a child per maildir), nothing written.
 */
int
migration_report(void)
{
	struct userent	*u;
	char		 path[PATH_MAX];
	pid_t		 pid;
	int		 status, bad = 0;

	RB_FOREACH(u, usertree, &users) {
		if (maildir_path(path, sizeof(path), u->path,
		    conf->set.maildir) == -1) {
			printf("%s: maildir path too long\n", u->name);
			bad = 1;
			continue;
		}
		fflush(stdout);
		if ((pid = fork()) == -1)
			err(1, "fork");
		if (pid == 0) {
			if (privsep && proc_become(u->name, u->uid, u->gid) == -1)
				_exit(1);
			report_maildir(u, path);
			fflush(stdout);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			bad = 1;
	}
	return bad;
}

struct report {
	const struct oldids	*old;
	size_t			 n, kept;
};

static void
report_maildir(const struct userent *u, const char *path)
{
	struct report	 r = { NULL, 0, 0 };
	struct oldids	*old;
	struct stat	 st;
	int		 dirfd;

	if ((dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		printf("%s: %s: %s\n", u->name, path, strerror(errno));
		return;
	}
	if (fstatat(dirfd, "popcache", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		printf("%s: %s: served by popd already (popcache): its UIDLs "
		    "stay\n", u->name, path);
		close(dirfd);
		return;
	}
	old = oldids_load(dirfd, path, conf->set.uidl_format, OLDIDS_DRYRUN);
	r.old = old;
	if (maildir_readdir(dirfd, "cur", report_count, &r) == -1 ||
	    maildir_readdir(dirfd, "new", report_count, &r) == -1)
		printf("%s: %s: %s\n", u->name, path, strerror(errno));
	else if (old == NULL)
		printf("%s: %s: %zu messages, popd's own UIDLs (no records of "
		    "another server)\n", u->name, path, r.n);
	else
		printf("%s: %s: %zu messages, %zu UIDLs from %s, %zu popd's "
		    "own\n", u->name, path, r.n, r.kept, oldids_source(old),
		    r.n - r.kept);
	oldids_free(old);
	close(dirfd);
}

static int
report_count(void *arg, const char *name)
{
	struct report	*r = arg;

	r->n++;
	if (oldids_get(r->old, name) != NULL)
		r->kept++;
	return 0;
}
