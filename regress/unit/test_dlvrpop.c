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
 * test_dlvrpop -- a real dlvrpop (the build tree's dlvrpop/dlvrpop),
 * configured on fd 4 as the parent does (mailuser_conf), exec'd as a
 * mail user's ids with its channel on fd 3, driven over it as the lmtp
 * process drives it: MSG_LMTP_JOB with sealed memfds and
 * MSG_LMTP_DLVCHECK.  Checks the files it leaves (byte-exact, named
 * with the right S= and W=, recorded in popcache), what it refuses
 * (an unsealed file, a pipe), what it answers when it cannot write (a
 * read-only tmp/ or new/: DLV_TEMP; a full tmpfs: DLV_FULL) with nothing
 * left behind, and the recovery of a job whose worker was killed: the
 * three states a job can be left in, and a worker really killed with
 * SIGKILL in the middle of a large message.  As root (the ids, the
 * tmpfs); otherwise the checks that need root are skipped.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "chan.h"
#include "log.h"
#include "unit.h"

#define TEST_UID	61992	/* any unused id: the worker needs no user */
#define TEST_GID	61992
#define WAIT_SECS	60	/* the whole test, bounded */

struct worker {
	pid_t		 pid;
	struct chan	 c;
};

static char		 exe[PATH_MAX];		/* dlvrpop/dlvrpop */
static char		 top[PATH_MAX];
static char		 logpath[PATH_MAX];
static int		 asroot;

/* What the worker answered last. */
static int		 nintent, ndone, eof;
static struct msg_intent last_intent;
static struct msg_done	 last_done;
static uint64_t		 limit_bytes;	/* the next spawn's, as the parent's */
static pid_t		 stop_at_intent;	/* SIGSTOP it at its INTENT */

static void
on_intent(struct chan *c, const void *data, int fd)
{
	memcpy(&last_intent, data, sizeof(last_intent));
	nintent++;
	if (stop_at_intent != 0) {
		(void)kill(stop_at_intent, SIGSTOP);
		stop_at_intent = 0;
	}
}

static void
on_done(struct chan *c, const void *data, int fd)
{
	memcpy(&last_done, data, sizeof(last_done));
	ndone++;
}

static void
on_eof(struct chan *c)
{
	eof = 1;
}

static const struct msg_handler from_dlvrpop[] = {
	{ MSG_DLVRPOP_INTENT,	on_intent },
	{ MSG_DLVRPOP_DONE,	on_done },
};

static void
on_alarm(int sig)
{
	static const char	msg[] = "FAIL test_dlvrpop: no answer within "
				    "the time limit\n";

	(void)write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

static void
pathcat(char *buf, const char *a, const char *b)
{
	if ((size_t)snprintf(buf, PATH_MAX, "%s/%s", a, b) >= PATH_MAX)
		errx(1, "path too long");
}

/* A maildir (tmp/, new/, cur/, a popcache) of the test user's. */
static void
mkmaildir(char *md, const char *name)
{
	static const char	*subs[] = { "", "tmp", "new", "cur" };
	char			 p[PATH_MAX];
	size_t			 i;
	int			 fd;

	pathcat(md, top, name);
	for (i = 0; i < nitems(subs); i++) {
		pathcat(p, md, subs[i]);
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			err(1, "mkdir %s", p);
		if (asroot && chown(p, TEST_UID, TEST_GID) == -1)
			err(1, "chown %s", p);
	}
	pathcat(p, md, "popcache");
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		err(1, "%s", p);
	if (write(fd, "popcache 1 - - 0\nend 0 0000000000000000\n", 40) != 40)
		err(1, "write %s", p);
	if (asroot && fchown(fd, TEST_UID, TEST_GID) == -1)
		err(1, "chown %s", p);
	close(fd);
}

/*
 * Start a dlvrpop for md as the parent does: its configuration on a
 * channel of its own (fd 4), its channel on fd 3, the user's ids.
 */
static void
spawn(struct worker *w, const char *md)
{
	struct chan		 wc;
	struct msg_worker	 mw;
	int			 sp[2], cp[2], a, b, logfd;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cp) == -1)
		err(1, "socketpair");
	memset(&mw, 0, sizeof(mw));
	(void)strlcpy(mw.user, "alice", sizeof(mw.user));
	(void)strlcpy(mw.maildir, md, sizeof(mw.maildir));
	mw.flags = WORKER_DELIVER;
	mw.qbytes = limit_bytes;
	settings_worker(&settings_defaults, &mw.set);
	/* Closed once written: dlvrpop says nothing to the parent. */
	chan_init(&wc, cp[0], PROC_PARENT, PROC_DLVRPOP, PH_START, NULL, 0,
	    NULL, NULL);
	chan_send(&wc, MSG_PARENT_WORKER, -1, &mw, sizeof(mw));
	if (!TAILQ_EMPTY(&wc.outq))
		errx(1, "the configuration did not fit the socket");
	chan_close(&wc);

	if ((logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644)) == -1)
		err(1, "%s", logpath);
	if ((w->pid = fork()) == -1)
		err(1, "fork");
	if (w->pid == 0) {
		/* Out of the way of 3 and 4 first. */
		if ((a = fcntl(sp[1], F_DUPFD, 10)) == -1 ||
		    (b = fcntl(cp[1], F_DUPFD, 10)) == -1 ||
		    dup2(a, POPD_CHANNEL_FD) == -1 ||
		    dup2(b, POPD_CONF_FD) == -1 ||
		    dup2(logfd, STDERR_FILENO) == -1)
			_exit(90);
		if (asroot && (setgroups(1, &(gid_t){ TEST_GID }) == -1 ||
		    setresgid(TEST_GID, TEST_GID, TEST_GID) == -1 ||
		    setresuid(TEST_UID, TEST_UID, TEST_UID) == -1))
			_exit(91);
		execl(exe, "dlvrpop", "-d", (char *)NULL);
		_exit(92);
	}
	close(logfd);
	close(sp[1]);
	close(cp[1]);
	chan_init(&w->c, sp[0], PROC_LMTP, PROC_DLVRPOP, PH_RUN,
	    from_dlvrpop, nitems(from_dlvrpop), on_eof, NULL);
	eof = 0;
}

/* Close its channel: it must exit 0. */
static void
finish(struct worker *w)
{
	int	status;

	chan_close(&w->c);
	if (waitpid(w->pid, &status, 0) == -1)
		err(1, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "dlvrpop exits 0 when its channel is closed: status %#x",
	    status);
}

static void
kill_worker(struct worker *w)
{
	(void)kill(w->pid, SIGKILL);
	(void)waitpid(w->pid, NULL, 0);
	chan_close(&w->c);
}

/* The next DONE, or the end of the channel (0). */
static int
wait_done(struct worker *w)
{
	int	n = ndone;

	while (ndone == n && !eof && w->c.fd != -1)
		chan_poll(&w->c);
	return ndone != n;
}

/* A memfd holding len bytes of data, sealed as the lmtp process does. */
static int
spool(const void *data, size_t len, int seal)
{
	int	fd;

	if ((fd = memfd_create("lmtp", MFD_CLOEXEC | MFD_ALLOW_SEALING)) ==
	    -1)
		err(1, "memfd_create");
	if (write(fd, data, len) != (ssize_t)len)
		err(1, "write memfd");
	if (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK |
	    F_SEAL_GROW | F_SEAL_SEAL) == -1)
		err(1, "F_ADD_SEALS");
	return fd;
}

/* Send a job; returns the status of its DONE (0: none). */
static uint32_t
deliver(struct worker *w, uint64_t job, int fd)
{
	struct msg_job	mj;

	memset(&mj, 0, sizeof(mj));
	mj.job = job;
	chan_send(&w->c, MSG_LMTP_JOB, fd, &mj, sizeof(mj));
	if (!wait_done(w))
		return 0;
	CHECK_INT(last_done.job, job);
	return last_done.status;
}

static uint32_t
dlvcheck(struct worker *w, const struct msg_intent *mi)
{
	chan_send(&w->c, MSG_LMTP_DLVCHECK, -1, mi, sizeof(*mi));
	if (!wait_done(w))
		return 0;
	CHECK_INT(last_done.job, mi->job);
	return last_done.status;
}

/* The number of entries of md/sub (no dotfiles); the first in name. */
static int
count(const char *md, const char *sub, char *name)
{
	char		 p[PATH_MAX];
	DIR		*dp;
	struct dirent	*de;
	int		 n = 0;

	pathcat(p, md, sub);
	if ((dp = opendir(p)) == NULL)
		err(1, "%s", p);
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n++ == 0 && name != NULL)
			(void)strlcpy(name, de->d_name, NAME_MAX + 1);
	}
	closedir(dp);
	return n;
}

/* The contents of md/rel, malloc'd and NUL-terminated; *len its size. */
static char *
slurp(const char *md, const char *rel, size_t *len)
{
	char		 p[PATH_MAX], *buf;
	size_t		 size = 65536;
	ssize_t		 n;
	int		 fd;

	pathcat(p, md, rel);
	if ((fd = open(p, O_RDONLY)) == -1)
		return NULL;
	if ((buf = malloc(size + 1)) == NULL)
		err(1, NULL);
	*len = 0;
	while ((n = read(fd, buf + *len, size - *len)) > 0) {
		*len += n;
		if (*len == size && (buf = realloc(buf, (size *= 2) + 1)) ==
		    NULL)
			err(1, NULL);
	}
	if (n == -1)
		err(1, "read %s", p);
	buf[*len] = '\0';
	close(fd);
	return buf;
}

static int
log_has(const char *needle)
{
	size_t	 len;
	char	*buf;
	int	 r;

	if ((buf = slurp(top, "log", &len)) == NULL)
		return 0;
	r = strstr(buf, needle) != NULL;
	free(buf);
	return r;
}

static void
mkfile(const char *md, const char *rel, const char *text)
{
	char	p[PATH_MAX];
	int	fd;

	pathcat(p, md, rel);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		err(1, "%s", p);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		err(1, "write %s", p);
	close(fd);
}

static int
exists(const char *md, const char *rel)
{
	char		p[PATH_MAX];
	struct stat	sb;

	pathcat(p, md, rel);
	return lstat(p, &sb) == 0;
}

/*
 * A message with every kind of line end: 4 bare LFs (each one octet
 * more in RFC 1939's count), a CRLF, a bare CR, and no final line end
 * (a CRLF more).
 */
static const char	msg1[] = "Return-Path: <bob@example.org>\n"
			    "Subject: test\n\nline\r\nbare\rcr\nlast";
#define MSG1_OCTETS	(sizeof(msg1) - 1 + 4 + 2)

static void
test_deliver(void)
{
	struct worker	 w;
	struct stat	 sb;
	char		 md[PATH_MAX], name[NAME_MAX + 1], rel[NAME_MAX + 8];
	char		 want[64], line[NAME_MAX * 2 + 64], *buf, *p;
	size_t		 len;
	int		 i, n;

	mkmaildir(md, "deliver");
	spawn(&w, md);
	nintent = 0;
	CHECK_INT(deliver(&w, 1, spool(msg1, sizeof(msg1) - 1, 1)), DLV_OK);
	CHECK_INT(nintent, 1);
	CHECK_INT(last_intent.job, 1);
	CHECK_INT(count(md, "new", name), 1);
	CHECK_STR(name, last_intent.new);
	CHECK_INT(count(md, "tmp", NULL), 0);
	(void)snprintf(want, sizeof(want), ",S=%zu,W=%zu", sizeof(msg1) - 1,
	    MSG1_OCTETS);
	len = strlen(name) - strlen(want);
	CHECK(strlen(name) > strlen(want) && strcmp(name + len, want) == 0,
	    "name %s ends in %s", name, want);
	CHECK(strlen(name) <= UIDL_MAX, "name %s is at most %d characters",
	    name, UIDL_MAX);
	(void)snprintf(rel, sizeof(rel), "new/%s", name);
	buf = slurp(md, rel, &len);
	CHECK(buf != NULL && len == sizeof(msg1) - 1 &&
	    memcmp(buf, msg1, len) == 0, "new/%s is the message, byte for "
	    "byte (%zu bytes)", name, buf != NULL ? len : 0);
	free(buf);
	CHECK(stat(md, &sb) == 0, "stat %s", md);
	pathcat(line, md, rel);
	CHECK(stat(line, &sb) == 0 && (!asroot || sb.st_uid == TEST_UID) &&
	    (sb.st_mode & 0777) == 0600, "new/%s: the user's, mode 0600 "
	    "(uid %u, mode %o)", name, (unsigned)sb.st_uid,
	    (unsigned)sb.st_mode & 0777);
	/* popcache: the record, appended. */
	buf = slurp(md, "popcache", &len);
	(void)snprintf(line, sizeof(line), "\n%zu %s new/%s\n", MSG1_OCTETS,
	    name, name);
	CHECK(buf != NULL && len > strlen(line) &&
	    strcmp(buf + len - strlen(line), line) == 0,
	    "popcache ends with the record \"%s\"", line + 1);
	free(buf);

	/* Confined: seccomp filter on, no new privileges. */
	(void)snprintf(line, sizeof(line), "/proc/%d/status", (int)w.pid);
	buf = slurp("", line, &len);
	CHECK(buf != NULL && strstr(buf, "\nSeccomp:\t2\n") != NULL &&
	    strstr(buf, "\nNoNewPrivs:\t1\n") != NULL,
	    "%s: Seccomp 2 and NoNewPrivs 1", line);
	free(buf);

	/* The same worker, many messages: a new name each time. */
	for (i = 0; i < 200; i++) {
		if (deliver(&w, 100 + i, spool("x\n", 2, 1)) != DLV_OK)
			break;
	}
	CHECK_INT(i, 200);
	CHECK_INT(count(md, "new", NULL), 201);
	CHECK_INT(count(md, "tmp", NULL), 0);
	buf = slurp(md, "popcache", &len);
	for (n = 0, p = buf; p != NULL && (p = strstr(p, "\n3 ")) != NULL;
	    p++)
		n++;
	CHECK_INT(n, 200);
	free(buf);

	/* An empty message. */
	CHECK_INT(deliver(&w, 400, spool("", 0, 1)), DLV_OK);
	CHECK(strstr(last_intent.new, ",S=0,W=0") != NULL, "empty: %s",
	    last_intent.new);
	finish(&w);
}

/* Not sealed, not a regular file: refused, nothing written. */
static void
test_refused(void)
{
	struct worker	w;
	char		md[PATH_MAX];
	int		pfd[2];

	mkmaildir(md, "refused");
	spawn(&w, md);
	nintent = 0;
	CHECK_INT(deliver(&w, 1, spool(msg1, sizeof(msg1) - 1, 0)), DLV_TEMP);
	CHECK(log_has("the message is not sealed"), "logged: not sealed");
	if (pipe(pfd) == -1)
		err(1, "pipe");
	(void)write(pfd[1], "x\n", 2);
	close(pfd[1]);
	CHECK_INT(deliver(&w, 2, pfd[0]), DLV_TEMP);
	CHECK(log_has("not a regular file"), "logged: not a regular file");
	CHECK_INT(nintent, 0);
	CHECK_INT(count(md, "new", NULL), 0);
	CHECK_INT(count(md, "tmp", NULL), 0);
	/* And it still delivers. */
	CHECK_INT(deliver(&w, 3, spool(msg1, sizeof(msg1) - 1, 1)), DLV_OK);
	finish(&w);
}

/* tmp/, then new/, not writable: DLV_TEMP, nothing left anywhere. */
static void
test_readonly(void)
{
	struct worker	w;
	char		md[PATH_MAX], p[PATH_MAX];

	if (!asroot) {
		printf("skip readonly: needs root (root ignores modes)\n");
		return;
	}
	mkmaildir(md, "readonly");
	spawn(&w, md);
	pathcat(p, md, "tmp");
	if (chmod(p, 0500) == -1)
		err(1, "chmod %s", p);
	CHECK_INT(deliver(&w, 1, spool(msg1, sizeof(msg1) - 1, 1)), DLV_TEMP);
	CHECK_INT(count(md, "tmp", NULL), 0);
	CHECK_INT(count(md, "new", NULL), 0);
	if (chmod(p, 0700) == -1)
		err(1, "chmod %s", p);
	pathcat(p, md, "new");
	if (chmod(p, 0500) == -1)
		err(1, "chmod %s", p);
	CHECK_INT(deliver(&w, 2, spool(msg1, sizeof(msg1) - 1, 1)), DLV_TEMP);
	CHECK_INT(count(md, "tmp", NULL), 0);
	CHECK_INT(count(md, "new", NULL), 0);
	CHECK(log_has("Permission denied"), "logged: permission denied");
	if (chmod(p, 0700) == -1)
		err(1, "chmod %s", p);
	CHECK_INT(deliver(&w, 3, spool(msg1, sizeof(msg1) - 1, 1)), DLV_OK);
	finish(&w);
}

/* A full file system: DLV_FULL, nothing left; room again: DLV_OK. */
static void
test_full(void)
{
	struct worker	 w;
	char		 mnt[PATH_MAX], md[PATH_MAX], opts[64], *big;
	size_t		 bigsz = 256 * 1024;

	if (!asroot) {
		printf("skip full: needs root (mount)\n");
		return;
	}
	pathcat(mnt, top, "full");
	if (mkdir(mnt, 0755) == -1)
		err(1, "mkdir %s", mnt);
	(void)snprintf(opts, sizeof(opts), "size=64k,mode=0755");
	if (mount("tmpfs", mnt, "tmpfs", 0, opts) == -1) {
		printf("skip full: mount tmpfs: %s\n", strerror(errno));
		return;
	}
	mkmaildir(md, "full/md");
	spawn(&w, md);
	if ((big = malloc(bigsz)) == NULL)
		err(1, NULL);
	memset(big, 'a', bigsz);
	big[bigsz - 1] = '\n';
	CHECK_INT(deliver(&w, 1, spool(big, bigsz, 1)), DLV_FULL);
	CHECK_INT(count(md, "tmp", NULL), 0);
	CHECK_INT(count(md, "new", NULL), 0);
	CHECK(log_has("No space left on device"), "logged: no space");
	CHECK_INT(deliver(&w, 2, spool(msg1, sizeof(msg1) - 1, 1)), DLV_OK);
	CHECK_INT(count(md, "new", NULL), 1);
	free(big);
	finish(&w);
	if (umount(mnt) == -1)
		warn("umount %s", mnt);
}

/*
 * The states a killed worker can leave a job in, made by hand, then a
 * fresh worker asked to finish or undo it.
 */
static void
test_recovery_states(void)
{
	struct worker		w;
	struct msg_intent	mi;
	char			md[PATH_MAX], rel[PATH_MAX];

	mkmaildir(md, "states");
	spawn(&w, md);
	memset(&mi, 0, sizeof(mi));

	/* Killed after its INTENT, before any file: undone. */
	mi.job = 1;
	(void)strlcpy(mi.tmp, "1.M1P1R1.host", sizeof(mi.tmp));
	(void)strlcpy(mi.new, "1.M1P1R1.host,S=2,W=3", sizeof(mi.new));
	CHECK_INT(dlvcheck(&w, &mi), DLV_TEMP);

	/* Killed while writing tmp/: undone, tmp/ emptied. */
	mi.job = 2;
	(void)strlcpy(mi.tmp, "2.M2P2R2.host", sizeof(mi.tmp));
	(void)strlcpy(mi.new, "2.M2P2R2.host,S=2,W=3", sizeof(mi.new));
	(void)snprintf(rel, sizeof(rel), "tmp/%s", mi.tmp);
	mkfile(md, rel, "x");
	CHECK_INT(dlvcheck(&w, &mi), DLV_TEMP);
	CHECK(!exists(md, rel), "%s removed", rel);

	/* Killed after the link into new/: delivered, once. */
	mi.job = 3;
	(void)strlcpy(mi.tmp, "3.M3P3R3.host", sizeof(mi.tmp));
	(void)strlcpy(mi.new, "3.M3P3R3.host,S=2,W=3", sizeof(mi.new));
	(void)snprintf(rel, sizeof(rel), "tmp/%s", mi.tmp);
	mkfile(md, rel, "x\n");
	(void)snprintf(rel, sizeof(rel), "new/%s", mi.new);
	mkfile(md, rel, "x\n");
	CHECK_INT(dlvcheck(&w, &mi), DLV_OK);
	CHECK(exists(md, rel), "%s kept", rel);
	CHECK_INT(count(md, "new", NULL), 1);
	CHECK_INT(count(md, "tmp", NULL), 0);

	/* Delivered, then retrieved by a session (cur/, with flags). */
	mi.job = 4;
	(void)strlcpy(mi.tmp, "4.M4P4R4.host", sizeof(mi.tmp));
	(void)strlcpy(mi.new, "4.M4P4R4.host,S=2,W=3", sizeof(mi.new));
	(void)snprintf(rel, sizeof(rel), "cur/%s:2,S", mi.new);
	mkfile(md, rel, "x\n");
	CHECK_INT(dlvcheck(&w, &mi), DLV_OK);
	/* In cur/ without flags. */
	mi.job = 5;
	(void)strlcpy(mi.tmp, "5.M5P5R5.host", sizeof(mi.tmp));
	(void)strlcpy(mi.new, "5.M5P5R5.host,S=2,W=3", sizeof(mi.new));
	(void)snprintf(rel, sizeof(rel), "cur/%s", mi.new);
	mkfile(md, rel, "x\n");
	CHECK_INT(dlvcheck(&w, &mi), DLV_OK);
	/* A longer name that starts like it is not it. */
	mi.job = 6;
	(void)strlcpy(mi.tmp, "6.M6P6R6.host", sizeof(mi.tmp));
	(void)strlcpy(mi.new, "6.M6P6R6.host,S=2", sizeof(mi.new));
	(void)snprintf(rel, sizeof(rel), "cur/%s,W=3:2,S", mi.new);
	mkfile(md, rel, "x\n");
	CHECK_INT(dlvcheck(&w, &mi), DLV_TEMP);
	finish(&w);
}

/*
 * The limit is the parent's (its configuration), never a job's: a
 * message that does not fit is refused with the use, nothing written;
 * a quota question answers against the same limit.
 */
static void
test_limit(void)
{
	struct worker	 w;
	struct msg_quota mq;
	char		 md[PATH_MAX], msg[64];

	memset(msg, 'q', sizeof(msg));
	msg[sizeof(msg) - 1] = '\n';
	mkmaildir(md, "limit");
	limit_bytes = 100;
	spawn(&w, md);
	limit_bytes = 0;
	CHECK_INT(deliver(&w, 1, spool(msg, sizeof(msg), 1)), DLV_OK);
	CHECK(last_done.counted && last_done.bytes == sizeof(msg) &&
	    !last_done.over, "the use after the first: %u %lld",
	    last_done.counted, (long long)last_done.bytes);
	CHECK_INT(deliver(&w, 2, spool(msg, sizeof(msg), 1)), DLV_QUOTA);
	CHECK_INT(count(md, "new", NULL), 1);
	CHECK_INT(count(md, "tmp", NULL), 0);
	memset(&mq, 0, sizeof(mq));
	mq.job = 3;
	mq.size = 30;
	chan_send(&w.c, MSG_LMTP_QUOTA, -1, &mq, sizeof(mq));
	CHECK(wait_done(&w) && last_done.status == DLV_OK &&
	    last_done.bytes == sizeof(msg), "30 bytes fit under 100");
	mq.job = 4;
	mq.size = 40;
	chan_send(&w.c, MSG_LMTP_QUOTA, -1, &mq, sizeof(mq));
	CHECK(wait_done(&w) && last_done.status == DLV_QUOTA &&
	    !last_done.over, "40 bytes do not fit, the maildir not over");
	finish(&w);
}

/*
 * A worker really killed mid-job (stopped when its INTENT arrives, let
 * run a little, killed): its successor finishes or undoes the job, and
 * either way the message is in new/ exactly once, or nowhere.
 */
static void
test_recovery_kill(void)
{
	struct worker	 w;
	struct msg_job	 mj;
	char		 md[PATH_MAX], name[NAME_MAX + 1], rel[NAME_MAX + 8];
	char		*big, *buf;
	size_t		 bigsz = 8 * 1024 * 1024, len;
	uint32_t	 status;
	int		 round, nok = 0, ntemp = 0, fd;

	if ((big = malloc(bigsz)) == NULL)
		err(1, NULL);
	memset(big, 'b', bigsz);
	big[bigsz - 1] = '\n';
	mkmaildir(md, "killed");
	for (round = 0; round < 6; round++) {
		spawn(&w, md);
		nintent = 0;
		stop_at_intent = w.pid;
		memset(&mj, 0, sizeof(mj));
		mj.job = 10 + round;
		fd = spool(big, bigsz, 1);
		chan_send(&w.c, MSG_LMTP_JOB, fd, &mj, sizeof(mj));
		while (nintent == 0 && !eof)
			chan_poll(&w.c);
		CHECK_INT(nintent, 1);
		/* Later each round: before, during and after the copy. */
		(void)kill(w.pid, SIGCONT);
		usleep(round * 4000);
		kill_worker(&w);

		spawn(&w, md);
		status = dlvcheck(&w, &last_intent);
		CHECK(status == DLV_OK || status == DLV_TEMP,
		    "round %d: DLVCHECK answers %u", round, status);
		CHECK_INT(count(md, "tmp", NULL), 0);
		if (status == DLV_OK) {
			nok++;
			(void)snprintf(rel, sizeof(rel), "new/%s",
			    last_intent.new);
			buf = slurp(md, rel, &len);
			CHECK(buf != NULL && len == bigsz &&
			    memcmp(buf, big, len) == 0,
			    "round %d: %s complete", round, rel);
			free(buf);
		} else
			ntemp++;
		CHECK_INT(count(md, "new", name), nok);
		finish(&w);
	}
	printf("# killed mid-job: %d finished, %d undone\n", nok, ntemp);
	free(big);
}

int
main(int argc, char *argv[])
{
	char	*p;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(1, LOG_MAIL);
	log_procinit("test_dlvrpop");
	asroot = geteuid() == 0;
	if (signal(SIGALRM, on_alarm) == SIG_ERR || signal(SIGPIPE,
	    SIG_IGN) == SIG_ERR)
		err(1, "signal");
	alarm(WAIT_SECS);

	/* regress/unit/test_dlvrpop -> dlvrpop/dlvrpop */
	if (compat_exe_path(exe, sizeof(exe)) == -1)
		err(1, "compat_exe_path");
	if ((p = strstr(exe, "/regress/unit/")) == NULL)
		errx(1, "%s: not in the build tree", exe);
	*p = '\0';
	(void)strlcat(exe, "/dlvrpop/dlvrpop", sizeof(exe));
	if (access(exe, X_OK) == -1)
		err(1, "%s: make dlvrpop/dlvrpop first", exe);

	(void)strlcpy(top, "/tmp/test_dlvrpop.XXXXXXXX", sizeof(top));
	if (mkdtemp(top) == NULL)
		err(1, "mkdtemp");
	if (chmod(top, 0755) == -1)
		err(1, "chmod %s", top);
	pathcat(logpath, top, "log");

	test_deliver();
	test_refused();
	test_readonly();
	test_full();
	test_recovery_states();
	test_limit();
	test_recovery_kill();

	if (unit_failed == 0) {
		char	cmd[PATH_MAX + 16];

		(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
		(void)system(cmd);
	} else
		printf("# kept %s (the worker's log: %s)\n", top, logpath);
	return unit_done();
}
