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
 * What the parent's files share (parent.h).  Nothing here calls another
 * of the parent's files: they all stand on it.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"

struct popd_conf	*conf;
struct users		 users;
uint64_t		 conf_gen = 1;
char			 proc_path[KIND_MAX][PATH_MAX];
char			 wrkrpop_path[PATH_MAX];
char			 authcheck_path[PATH_MAX];	/* users.c runs it */
char			 confpop_path[PATH_MAX];	/* conf_fetch runs it */
char			 dlvrpop_path[PATH_MAX];
int			 privsep;
/* The daemon users' uids (startup.c): no mail user may have one. */
uid_t			 daemon_uid[DAEMON_UIDS] = { (uid_t)-1, (uid_t)-1,
			    (uid_t)-1 };
const char *const	 daemon_names[DAEMON_UIDS] = { POPD_USER,
			    POPD_AUTH_USER, POPD_TABLE_USER };
gid_t			 daemon_gid[DAEMON_GIDS] = {
			    [0 ... DAEMON_GIDS - 1] = (gid_t)-1 };
char			 daemon_gwhat[DAEMON_GIDS][64];

struct proclist		 procs = TAILQ_HEAD_INITIALIZER(procs);
struct proc		*current[KIND_MAX];
struct proc		*successor[KIND_MAX];

/* The child a session or question belongs to may have died meanwhile. */
struct proc *
proc_alive(enum proc_id id, pid_t pid)
{
	struct proc	*p;

	TAILQ_FOREACH(p, &procs, entry)
		if (p->id == id && p->pid == pid)
			return p->chan.fd != -1 ? p : NULL;
	return NULL;
}

/* chan_send closes what it passes: ours is kept.  -1 if short of fds. */
int
send_dup(struct chan *c, uint32_t type, int fd, const void *data,
    size_t len)
{
	if ((fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	chan_send(c, type, fd, data, len);
	return 0;
}

/* SOCKET.ext, next to the control socket; NULL without a socket. */
const char *
state_path(char *buf, size_t len, const char *ext)
{
	if (conf->ctlsock[0] == '\0' || snprintf(buf, len, "%s%s",
	    conf->ctlsock, ext) >= (int)len)
		return NULL;
	return buf;
}

/* Root's state file: made 0600; never a link, FIFO or device swapped in. */
int
state_open(const char *path)
{
	int	 fd, flags, e;

	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0600)) == -1 && errno == EEXIST)
		fd = compat_open_regular(path, O_RDWR | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
