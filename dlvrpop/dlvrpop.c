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
 * The delivery worker of one maildir, as the mail user, confined to it.
 * DLV_OK only once fsync'd in new/ (mda's guarantees); names are told
 * before files exist so a successor can finish or undo a killed job:
 * never twice, never lost.  One worker a maildir: LMTP never overshoots.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "deliver.h"
#include "maildir.h"
#include "proc.h"
#include "quota.h"
#include "sandbox.h"
#include "stats.h"

/* The seals that make a spooled message immutable (Linux memfd). */
#ifdef F_GET_SEALS
#define SPOOL_SEALS	(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | \
			    F_SEAL_SEAL)
#endif

static struct msg_worker	who;

static struct delivery		dlv;
static struct chan		lmtp;	/* the jobs' channel, the only one */

/* Only a message nobody can change while we copy it: sealed or read-only. */
static int
spool_ok(unsigned long long id, int fd)
{
	struct stat	sb;
	int		seals;

	if (fstat(fd, &sb) == -1) {
		log_warn("%s: job %llu: fstat of the message", dlv.maildir, id);
		return 0;
	}
	if (!S_ISREG(sb.st_mode)) {
		log_warnx("%s: job %llu: the message is not a regular file",
		    dlv.maildir, id);
		return 0;
	}
#ifdef F_GET_SEALS
	if ((seals = fcntl(fd, F_GET_SEALS)) == -1) {
		log_warn("%s: job %llu: the message's seals", dlv.maildir, id);
		return 0;
	}
	if ((seals & SPOOL_SEALS) != SPOOL_SEALS) {
		log_warnx("%s: job %llu: the message is not sealed (seals "
		    "%#x)", dlv.maildir, id, seals);
		return 0;
	}
#else
	/* No seals (OpenBSD): lmtp hands on a read-only descriptor alone. */
	if ((seals = fcntl(fd, F_GETFL)) == -1 ||
	    (seals & O_ACCMODE) != O_RDONLY) {
		log_warnx("%s: job %llu: the message was handed on writable",
		    dlv.maildir, id);
		return 0;
	}
#endif
	return 1;
}

/* A step failed: logged, undone; a full disk or quota is DLV_FULL. */
static uint32_t
job_failed(unsigned long long id)
{
	int	saved = errno;

	log_warn("%s (job %llu)", dlv.errmsg, id);
	deliver_cleanup(&dlv);
	if (saved == ENOSPC || saved == EDQUOT)
		return DLV_FULL;
	return DLV_TEMP;
}

static int
cur_match(void *arg, const char *name)
{
	const char	*new = arg;
	size_t		 len = strlen(new);

	return strncmp(name, new, len) == 0 && name[len] == ':';
}

/* -1 if we cannot tell. */
static int
delivered(const char *new)
{
	struct stat	sb;
	char		path[NAME_MAX + 8];
	int		r;

	if (fstatat(dlv.newdirfd, new, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	if (errno != ENOENT)
		return -1;
	(void)snprintf(path, sizeof(path), "cur/%s", new);
	if (fstatat(dlv.dirfd, path, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	if (errno != ENOENT)
		return -1;
	if ((r = maildir_readdir(dlv.dirfd, "cur", cur_match,
	    (void *)new)) == -1 && errno == ENOENT)
		return 0;
	return r;
}

static void
done(uint64_t id, uint32_t status, const struct quota_use *use)
{
	struct quota_limit	lim = { who.qbytes, who.qmsgs };
	struct msg_done		md;

	memset(&md, 0, sizeof(md));
	md.job = id;
	md.status = status;
	if (use != NULL) {
		md.counted = 1;
		md.bytes = use->bytes;
		md.msgs = use->msgs;
		md.over = quota_over(&lim, use);
	}
	chan_send(&lmtp, MSG_DLVRPOP_DONE, -1, &md, sizeof(md));
	/* Nothing queued between jobs; an lmtp gone ends us at its EOF. */
	(void)chan_sync(&lmtp);
}

/* arg: the job's id. */
static int
dlvrpop_intent(struct delivery *d, void *arg)
{
	struct msg_intent	 mi;

	memset(&mi, 0, sizeof(mi));
	mi.job = *(uint64_t *)arg;
	(void)strlcpy(mi.tmp, d->tmpname, sizeof(mi.tmp));
	(void)strlcpy(mi.new, d->newname, sizeof(mi.new));
	chan_send(&lmtp, MSG_DLVRPOP_INTENT, -1, &mi, sizeof(mi));
	return chan_sync(&lmtp);
}

static uint32_t
deliver_job(uint64_t id, int fd, struct quota_use *use)
{
	struct quota_limit	 l = { who.qbytes, who.qmsgs }, *lim = &l;
	int			 fits;

	if (fd == -1) {
		log_warnx("%s: job %llu: the message's descriptor was lost",
		    dlv.maildir, (unsigned long long)id);
		return DLV_TEMP;
	}
	if (!spool_ok(id, fd))
		return DLV_TEMP;
	dlv.arg = &id;
	if (deliver_count(&dlv, fd) == -1)
		return job_failed(id);
	if ((fits = deliver_fits(&dlv, lim, use)) == -1)
		return job_failed(id);
	if (fits == 0) {
		log_info("%s: job %llu: %lld bytes do not fit: %lld bytes, "
		    "%lld messages of %llu bytes, %llu messages",
		    dlv.maildir, (unsigned long long)id,
		    (long long)dlv.size, (long long)use->bytes,
		    (long long)use->msgs, (unsigned long long)lim->bytes,
		    (unsigned long long)lim->msgs);
		return DLV_QUOTA;
	}
	if (deliver_spool(&dlv, fd, 1) == -1 || deliver_commit(&dlv) == -1)
		return job_failed(id);
	deliver_record(&dlv);
	deliver_account(&dlv, lim);
	use->bytes += dlv.size;
	use->msgs++;
	log_debug("%s: job %llu: new/%s", dlv.maildir,
	    (unsigned long long)id, dlv.newname);
	return DLV_OK;
}

/* The user and the maildir: checked (proto.c) before they get here. */
static void
dlvrpop_parent_worker(struct chan *c, const void *data, int fd)
{
	memcpy(&who, data, sizeof(who));
}

static void
dlvrpop_lmtp_job(struct chan *c, const void *data, int fd)
{
	const struct msg_job	*mj = data;
	struct quota_use	 use;
	uint32_t		 status;

	stats->busy = monotime();
	memset(&use, 0, sizeof(use));
	status = deliver_job(mj->job, fd, &use);
	if (fd != -1)
		close(fd);
	done(mj->job, status, (status == DLV_OK || status == DLV_QUOTA) &&
	    (who.qbytes != 0 || who.qmsgs != 0) ? &use : NULL);
}

/* size 0: is it over?  No limit: it fits. */
static void
dlvrpop_lmtp_quota(struct chan *c, const void *data, int fd)
{
	const struct msg_quota	*mq = data;
	struct quota_limit	 lim = { who.qbytes, who.qmsgs };
	struct quota_use	 use;
	char			 msg[128];
	uint32_t		 status;
	int			 how;

	stats->busy = monotime();
	if (lim.bytes == 0 && lim.msgs == 0) {
		done(mq->job, DLV_OK, NULL);
		return;
	}
	if ((how = quota_read(dlv.dirfd, &lim, &use, msg, sizeof(msg))) ==
	    -1) {
		log_warn("%s/%s", dlv.maildir, msg);
		done(mq->job, DLV_TEMP, NULL);
		return;
	}
	if (how != QUOTA_READ)
		log_info("%s/%s: recalculated: %lld bytes, %lld messages",
		    dlv.maildir, msg, (long long)use.bytes,
		    (long long)use.msgs);
	if (mq->size == 0)
		status = quota_over(&lim, &use) ? DLV_QUOTA : DLV_OK;
	else
		status = quota_fits(&lim, &use, mq->size) ? DLV_OK :
		    DLV_QUOTA;
	done(mq->job, status, &use);
}

/*
 * A predecessor was killed mid-job.  In new/ or cur/: delivered, made
 * durable.  Otherwise nothing may stay: its tmp/ file goes.
 */
static void
dlvrpop_lmtp_dlvcheck(struct chan *c, const void *data, int fd)
{
	const struct msg_intent	*mi = data;
	unsigned long long	 id = mi->job;
	uint32_t		 status = DLV_TEMP;
	int			 r;

	stats->busy = monotime();
	if ((r = delivered(mi->new)) == -1)
		log_warn("%s: job %llu: looking for new/%s", dlv.maildir, id,
		    mi->new);
	else if (r == 1) {
		if (fsync(dlv.newdirfd) == -1)
			log_warn("%s/new: fsync (job %llu)", dlv.maildir, id);
		else
			status = DLV_OK;
	}
	if (unlinkat(dlv.tmpdirfd, mi->tmp, 0) == -1 && errno != ENOENT)
		log_warn("%s/tmp/%s: unlink (job %llu)", dlv.maildir, mi->tmp,
		    id);
	log_info("%s: job %llu of a killed worker: %s", dlv.maildir, id,
	    status == DLV_OK ? "delivered" : "undone");
	/* A missing maildirsize line is repaired by recalculation. */
	done(mi->job, status, NULL);
}

static void
dlvrpop_eof(struct chan *c)
{
	log_debug("%s: channel closed, exiting", dlv.maildir);
	exit(0);
}

static const struct msg_handler from_lmtp[] = {
	{ MSG_LMTP_JOB,		dlvrpop_lmtp_job },
	{ MSG_LMTP_DLVCHECK,	dlvrpop_lmtp_dlvcheck },
	{ MSG_LMTP_QUOTA,	dlvrpop_lmtp_quota },
};

static void
dlvrpop_load(struct proc_setup *ps)
{
	struct stat	sb;

	if (!(who.flags & WORKER_DELIVER))
		fatalx("%s: not configured as a delivery worker", who.user);
	ps->title = who.user;
	ps->arg = who.maildir;
	if (fstat(POPD_CHANNEL_FD, &sb) == -1 || !S_ISSOCK(sb.st_mode))
		fatalx("fd %d is not the channel to the lmtp process",
		    POPD_CHANNEL_FD);
	chan_init(&lmtp, POPD_CHANNEL_FD, PROC_DLVRPOP, PROC_LMTP, PH_RUN,
	    from_lmtp, nitems(from_lmtp), dlvrpop_eof, NULL);
	deliver_init(&dlv, log_warn);
	dlv.intent = dlvrpop_intent;
	(void)umask(077);
}

/* Not dumpable before the maildir was opened, confined after. */
static void
dlvrpop_run(void)
{
	log_debug("%s: delivering into %s", who.user, dlv.maildir);
	for (;;) {
		/* Waiting for a job, not the store (popd's dlvrpops_tick). */
		stats->busy = 0;
		chan_poll(&lmtp);
	}
}

static void
dlvrpop_open(void *arg)
{
	if (deliver_open(&dlv, arg) == -1)
		fatal("%s", dlv.errmsg);
}

/* From here on, the maildir and the channel only. */
static void
dlvrpop_sandbox(void *arg)
{
	sandbox_dlvrpop(dlv.maildir);
}

static const struct msg_handler from_parent[] = {
	{ MSG_PARENT_STATS,	proc_parent_stats },
	{ MSG_PARENT_WORKER,	dlvrpop_parent_worker },
};

static struct chan	conf_chan;

static const struct proc_role dlvrpop_role = {
	.setup = {
		.role = "dlvrpop",
		.user = NULL,		/* the parent set the mail user's ids */
		.open = dlvrpop_open,
		.sandbox = dlvrpop_sandbox,
	},
	.self = PROC_DLVRPOP,
	.chan = &conf_chan,
	.setupfd = POPD_CONF_FD,
	.usage = "usage: dlvrpop [-dVv]\n"
	    "dlvrpop is started by popd, with its channel and its "
	    "configuration on a channel of its own",
	.handlers = from_parent,
	.nhandlers = nitems(from_parent),
	.load = dlvrpop_load,
	.run = dlvrpop_run,
};

int
main(int argc, char *argv[])
{
	proc_run(&dlvrpop_role, argc, argv);
}
