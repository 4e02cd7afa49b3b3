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
 * deliver.c -- maildir delivery for mda and dlvrpop: tmp/, fsync, then
 * link(2) into new/, which never replaces, under a name with the time
 * in microseconds, the pid and 32 random bits.  deliver_cleanup is
 * async-signal-safe: mda calls it from its signal handler.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crlf.h"
#include "deliver.h"
#include "maildir.h"
#include "popcache.h"
#include "quota.h"

#define DELIVER_BUFSZ	65536

static char	buf[DELIVER_BUFSZ];

static void	errmsg(struct delivery *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));

static void
errmsg(struct delivery *d, const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	(void)vsnprintf(d->errmsg, sizeof(d->errmsg), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
deliver_init(struct delivery *d, void (*warnfn)(const char *, ...))
{
	memset(d, 0, sizeof(*d));
	d->dirfd = d->tmpdirfd = d->newdirfd = -1;
	(void)sigemptyset(&d->blocksigs);
	d->warn = warnfn;
	d->size = -1;
}

/* ',', ':' and '/' mean something in maildir names. */
static void
hostpart(char *out, size_t outlen)
{
	char	host[256];
	size_t	i;

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		(void)strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0' && i + 1 < outlen; i++) {
		unsigned char c = host[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.')
			out[i] = c;
		else
			out[i] = '_';
	}
	out[i] = '\0';
}

/* The sandbox wants the real path. */
int
deliver_open(struct delivery *d, const char *path)
{
	char	real[PATH_MAX];

	if (maildir_create(path) == -1) {
		errmsg(d, "%s: cannot create the maildir", path);
		return -1;
	}
	if (realpath(path, real) == NULL) {
		errmsg(d, "%s", path);
		return -1;
	}
	(void)strlcpy(d->maildir, real, sizeof(d->maildir));
	if ((d->dirfd = open(d->maildir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		errmsg(d, "%s", d->maildir);
		return -1;
	}
	if ((d->tmpdirfd = openat(d->dirfd, "tmp", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d->newdirfd = openat(d->dirfd, "new",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		errmsg(d, "%s/%s", d->maildir, d->tmpdirfd == -1 ? "tmp" :
		    "new");
		return -1;
	}
	hostpart(d->host, sizeof(d->host));
	return 0;
}

/* At most UIDL_MAX characters, so the name is its own UIDL. */
static void
deliver_uniqname(const struct delivery *d, char *out, size_t outlen,
    off_t size, off_t octets, int full)
{
	struct timeval	 tv;
	char		 pre[64], suf[64];
	long		 room;

	(void)gettimeofday(&tv, NULL);
	(void)snprintf(pre, sizeof(pre), "%lld.M%06ldP%ldR%08x",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
	    arc4random());
	suf[0] = '\0';
	if (size >= 0)
		(void)snprintf(suf, sizeof(suf), ",S=%lld,W=%lld",
		    (long long)size, (long long)octets);
	room = UIDL_MAX - (long)strlen(pre) - (long)strlen(suf);
	if (full)
		room = DELIVER_HOSTMAX;
	if (room >= 2 && d->host[0] != '\0')
		(void)snprintf(out, outlen, "%s.%.*s%s", pre, (int)(room - 1),
		    d->host, suf);
	else
		(void)snprintf(out, outlen, "%s%s", pre, suf);
}

static ssize_t
readin(int in, off_t *off)
{
	ssize_t	n;

	do {
		if (off != NULL)
			n = pread(in, buf, sizeof(buf), *off);
		else
			n = read(in, buf, sizeof(buf));
	} while (n == -1 && errno == EINTR);
	if (n > 0 && off != NULL)
		*off += n;
	return n;
}

/* Read by offset: the names are chosen before anything is written. */
int
deliver_count(struct delivery *d, int in)
{
	struct crlf	st;
	off_t		off = 0;
	ssize_t		n;

	d->size = d->octets = 0;
	crlf_init(&st, -1);
	while ((n = readin(in, &off)) > 0) {
		d->size += n;
		d->octets += crlf_count(&st, buf, n);
	}
	if (n == -1) {
		errmsg(d, "%s: reading the message", d->maildir);
		return -1;
	}
	d->octets += crlf_count_finish(&st);
	return 0;
}

/*
 * Signals in blocksigs wait while a name is taken: the cleanup must
 * remove our file, never one that had the name already.
 */
int
deliver_spool(struct delivery *d, int in, int counted)
{
	sigset_t	 osigs;
	struct crlf	 st;
	off_t		 off = 0, *offp = counted ? &off : NULL;
	off_t		 size = 0, octets = 0;
	ssize_t		 n;
	int		 fd, i, saved;

	d->have_tmp = d->have_new = d->delivered = 0;
	d->tmpname[0] = d->newname[0] = '\0';
	if (!counted)
		d->size = -1;
	for (i = 0;; i++) {
		deliver_uniqname(d, d->tmpname, sizeof(d->tmpname), -1, 0, 1);
		if (counted) {
			deliver_uniqname(d, d->newname, sizeof(d->newname),
			    d->size, d->octets, 0);
			if (d->intent != NULL && d->intent(d, d->arg) == -1) {
				errmsg(d, "%s: job abandoned", d->maildir);
				return -1;
			}
		}
		(void)sigprocmask(SIG_BLOCK, &d->blocksigs, &osigs);
		fd = openat(d->tmpdirfd, d->tmpname, O_WRONLY | O_CREAT |
		    O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		d->have_tmp = fd != -1;
		saved = errno;
		(void)sigprocmask(SIG_SETMASK, &osigs, NULL);
		if (fd != -1)
			break;
		errno = saved;
		if (errno != EEXIST || i >= DELIVER_TRIES) {
			errmsg(d, "%s/tmp/%s", d->maildir, d->tmpname);
			return -1;
		}
	}
	crlf_init(&st, -1);
	while ((n = readin(in, offp)) > 0) {
		size += n;
		if (!counted)
			octets += crlf_count(&st, buf, n);
		if (write_all(fd, buf, n) == -1) {
			errmsg(d, "%s/tmp/%s: write", d->maildir, d->tmpname);
			goto fail;
		}
	}
	if (n == -1) {
		if (counted)
			errmsg(d, "%s: reading the message", d->maildir);
		else
			errmsg(d, "reading the message");
		goto fail;
	}
	if (!counted) {
		d->size = size;
		d->octets = octets + crlf_count_finish(&st);
	} else if (size != d->size) {
		errno = EIO;
		errmsg(d, "%s/tmp/%s: the message changed size while it was "
		    "delivered", d->maildir, d->tmpname);
		goto fail;
	}
	/* Each of these can be the first to report a full disk. */
	if (fsync(fd) == -1) {
		errmsg(d, "%s/tmp/%s: fsync", d->maildir, d->tmpname);
		goto fail;
	}
	if (close(fd) == -1) {
		errmsg(d, "%s/tmp/%s: close", d->maildir, d->tmpname);
		return -1;
	}
	return 0;

fail:
	return maildir_close_failed(fd);
}

int
deliver_commit(struct delivery *d)
{
	sigset_t	osigs;
	int		i, r, saved;

	for (i = 0;; i++) {
		if (i > 0 || d->newname[0] == '\0') {
			deliver_uniqname(d, d->newname, sizeof(d->newname),
			    d->size, d->octets, 0);
			if (d->intent != NULL && d->intent(d, d->arg) == -1) {
				errmsg(d, "%s: job abandoned", d->maildir);
				return -1;
			}
		}
		(void)sigprocmask(SIG_BLOCK, &d->blocksigs, &osigs);
		r = linkat(d->tmpdirfd, d->tmpname, d->newdirfd, d->newname, 0);
		d->have_new = r == 0;
		saved = errno;
		(void)sigprocmask(SIG_SETMASK, &osigs, NULL);
		if (r == 0)
			break;
		errno = saved;
		if (errno != EEXIST || i >= DELIVER_TRIES) {
			errmsg(d, "%s/new/%s", d->maildir, d->newname);
			return -1;
		}
	}
	if (fsync(d->newdirfd) == -1) {
		errmsg(d, "%s/new: fsync", d->maildir);
		return -1;
	}
	d->delivered = 1;
	d->have_new = 0;
	if (unlinkat(d->tmpdirfd, d->tmpname, 0) == -1)
		d->warn("%s/tmp/%s: unlink", d->maildir, d->tmpname);
	d->have_tmp = 0;
	return 0;
}

/* A hint only, skipped if the popcache lock is busy. */
void
deliver_record(struct delivery *d)
{
	char	rel[NAME_MAX + 8], uidl[UIDL_MAX + 1];

	(void)snprintf(rel, sizeof(rel), "new/%s", d->newname);
	if (maildir_uidl(rel, uidl, sizeof(uidl)) == -1)
		d->warn("%s: uidl", rel);
	else if (popcache_append(d->dirfd, rel, uidl, d->octets) == -1)
		d->warn("%s/popcache: record for %s skipped", d->maildir,
		    d->newname);
}

int
deliver_fits(struct delivery *d, const struct quota_limit *lim,
    struct quota_use *use)
{
	char	msg[128];
	int	how;

	memset(use, 0, sizeof(*use));
	if (lim->bytes == 0 && lim->msgs == 0)
		return 1;
	if ((how = quota_read(d->dirfd, lim, use, msg, sizeof(msg))) == -1) {
		(void)snprintf(d->errmsg, sizeof(d->errmsg), "%s/%s",
		    d->maildir, msg);
		return -1;
	}
	if (how == QUOTA_DAMAGED) {
		errno = EBADMSG;
		d->warn("%s/%s: recalculated: %lld bytes, %lld messages",
		    d->maildir, msg, (long long)use->bytes,
		    (long long)use->msgs);
	}
	return quota_fits(lim, use, d->size);
}

/* A failure costs the count until the next recalculation: a warning. */
void
deliver_account(struct delivery *d, const struct quota_limit *lim)
{
	char	msg[128];
	int	none = lim->bytes == 0 && lim->msgs == 0;

	if (quota_add(d->dirfd, none ? NULL : lim, d->size, 1, msg,
	    sizeof(msg)) == -1)
		d->warn("%s/%s", d->maildir, msg);	/* warn adds errno */
}

/* Async-signal-safe, errno kept. */
void
deliver_cleanup(struct delivery *d)
{
	int	saved = errno;

	if (d->have_new && d->newdirfd != -1)
		(void)unlinkat(d->newdirfd, d->newname, 0);
	if (d->have_tmp && d->tmpdirfd != -1)
		(void)unlinkat(d->tmpdirfd, d->tmpname, 0);
	d->have_new = d->have_tmp = 0;
	errno = saved;
}
