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
 * popd -m for one maildir: which UIDLs popd would keep from the previous
 * POP3 server (oldids.c) and which get its own.  Run as a wrkrpop with
 * WORKER_REPORT, confined like a session; nothing in the maildir is written.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kept.h"
#include "log.h"
#include "maildir.h"
#include "oldids.h"
#include "popcache.h"
#include "proc.h"
#include "util.h"
#include "sandbox.h"
#include "wrkrpop.h"

static struct report	*report_who;

struct report {
	const char		*user, *path, *fmt;
	int			 dirfd;
	const struct oldids	*old;
	size_t			 n, kept;
};

static const char	*report_find;
static const char	*job_path;	/* what job_sandbox confines to */
static int		 report_log;	/* probe: its line logged */

__dead static void report_done(int, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));

static int
report_is(void *arg, const char *fname, const struct kept *k)
{
	struct report	*r = arg;

	return undelete_is(r->dirfd, fname, k, report_find);
}

/* The maildir, as its user, before confinement (job_start). */
static void
report_open(void *arg)
{
	struct report	*r = arg;

	report_who = r;
	if ((r->dirfd = open(r->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		report_done(1, "%s", strerror(errno));
}

static void
job_sandbox(void *arg)
{
	sandbox_wrkrpop(job_path);
}

/* For jobs run instead of a session (here, undelete.c). */
void
job_start(const char *user, const char *path, void (*open)(void *),
    void *arg)
{
	const struct proc_setup	 ps = {
		.role = "wrkrpop",
		.title = user,
		.user = NULL,		/* the parent set the mail user's ids */
		.open = open,
		.sandbox = job_sandbox,
		.arg = arg,
	};

	job_path = path;
	proc_prologue(&ps);
}

static void
report_kept(struct report *r, const char *find)
{
	struct kept_sum	sum;

	if (find == NULL) {
		if (kept_sweep(r->dirfd, 0, &sum) == 0 && sum.n > 0)
			dprintf(POPD_CHANNEL_FD, "kept for popctl undelete: "
			    "%zu messages, %lld bytes\n", sum.n,
			    (long long)sum.bytes);
		return;
	}
	report_find = find;
	if (kept_walk(r->dirfd, report_is, r) == 1)
		dprintf(POPD_CHANNEL_FD, "kept: \"popctl undelete %s %s\" "
		    "puts it back\n", r->user, find);
}

static int
report_want(void *arg, const char *name)
{
	return oldids_want(arg, name);
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

__dead void
report_main(const char *user, const char *path, const char *fmt)
{
	struct report		 r = { user, path, fmt, -1, NULL, 0, 0 };
	struct oldids		*old;
	struct stat		 st;

	job_start(user, path, report_open, &r);
	if (fstatat(r.dirfd, POPCACHE_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0)
		report_done(0, "served by popd already (popcache): its UIDLs "
		    "stay");
	/* As a session's first open does it (maildrop.c), writing nothing. */
	if ((old = oldids_new()) == NULL)
		report_done(1, "%s", strerror(errno));
	r.old = old;
	if (maildir_readdir(r.dirfd, "cur", report_want, old) == -1 ||
	    maildir_readdir(r.dirfd, "new", report_want, old) == -1)
		report_done(1, "%s", strerror(errno));
	if (oldids_load(old, r.dirfd, path, fmt, OLDIDS_DRYRUN) == -1)
		report_done(1, "%s", errno == EBADMSG ? OLDIDS_RECORD " is "
		    "damaged (logged): no session can list this maildrop" :
		    strerror(errno));
	if (maildir_readdir(r.dirfd, "cur", report_count, &r) == -1 ||
	    maildir_readdir(r.dirfd, "new", report_count, &r) == -1)
		report_done(1, "%s", strerror(errno));
	if (oldids_source(old) == NULL)
		report_done(0, "%zu messages, popd's own UIDLs (no records of "
		    "another server)", r.n);
	report_done(0, "%zu messages, %zu UIDLs from %s, %zu popd's own",
	    r.n, r.kept, oldids_source(old), r.n - r.kept);
}

/*
 * The parent's health probe: a file in tmp is written, synced, read back
 * and removed, so the data reaches a CephFS OSD, not its MDS alone.  Exit
 * 2 when the mount is gone (ESHUTDOWN: a CephFS client evicted; ENOTCONN:
 * a FUSE client dead), else 1 on failure.
 */
__dead void
probe_main(const char *user, const char *path)
{
	static const char *const dirs[] = { "new", "cur", "tmp" };
	struct report		 r = { user, path, NULL, -1, NULL, 0, 0 };
	struct stat		 st;
	char			 name[64], back[sizeof(name)];
	size_t			 i, len;
	int			 fd;

	report_log = 1;
	job_start(user, path, report_open, &r);
	for (i = 0; i < nitems(dirs); i++) {
		if (fstatat(r.dirfd, dirs[i], &st, 0) == -1)
			report_done(1, "%s: %s", dirs[i], strerror(errno));
		if (!S_ISDIR(st.st_mode))
			report_done(1, "%s: not a directory", dirs[i]);
	}
	(void)snprintf(name, sizeof(name), "tmp/popd-probe.%ld",
	    (long)getpid());
	len = strlen(name);
	if ((fd = openat(r.dirfd, name, O_RDWR | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0600)) == -1)
		report_done(1, "%s: %s", name, strerror(errno));
	if (write(fd, name, len) != (ssize_t)len || fsync(fd) == -1 ||
	    pread(fd, back, len, 0) != (ssize_t)len)
		report_done(1, "%s: writing, syncing, reading it: %s", name,
		    strerror(errno));
	if (memcmp(name, back, len) != 0)
		report_done(1, "%s: read back other bytes", name);
	close(fd);
	if (unlinkat(r.dirfd, name, 0) == -1)
		report_done(1, "%s: removing it: %s", name, strerror(errno));
	exit(0);
}

__dead void
report_journal(const char *user, const char *path, const char *find)
{
	struct report		 r = { user, path, NULL, -1, NULL, 0, 0 };

	job_start(user, path, report_open, &r);
	if (journal_report(r.dirfd, POPD_CHANNEL_FD, find[0] != '\0' ? find :
	    NULL) == -1)
		report_done(errno == ENOENT ? 0 : 1, "%s", errno == ENOENT ?
		    "no journal: no session has ended here since popd kept one" :
		    strerror(errno));
	report_kept(&r, find[0] != '\0' ? find : NULL);
	exit(0);
}

static void
report_done(int status, const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;
	int	 n, m, gone = errno == ESHUTDOWN || errno == ENOTCONN;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		exit(1);
	if (report_log) {
		log_warnx("health probe as %s: %s: %s", report_who->user,
		    report_who->path, line);
		exit(status != 0 && gone ? 2 : status);
	}
	m = dprintf(POPD_CHANNEL_FD, "%s: %s: %s\n", report_who->user,
	    report_who->path, line);
	exit(m < 0 ? 1 : status);
}
