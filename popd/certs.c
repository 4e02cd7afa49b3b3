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
 * certs.c -- the parent's keypairs: each pki's files read (pki.c) and
 * checked by keypop -c at start and reload, and followed on disk
 * afterwards, so that a renewed certificate is served without anyone
 * reloading popd.  The parent parses no certificate: the key process
 * in its check mode (keypop -c; no other holds a private key), run as
 * the listener's user in the empty chroot and confined, tries the pair
 * and says, in one line the parent reads strictly (pki_verdict), its
 * subject and not-after time or why it does not serve.  A keypop -c
 * that crashes, takes more than CERTS_WAIT seconds or says anything
 * else leaves the pair not checked: refused, as a bad pair is.
 *
 * Every CERTS_TICK seconds the parent looks at each pki's certificate
 * and key files: stat(2) of each, through any symbolic links, and
 * lstat(2) of its name (device, inode, size, modification and change
 * times).  A look is a handful of system calls, the same on Linux and
 * OpenBSD, and sees both ways files are renewed: certbot points the
 * symbolic links of live/ at new files in archive/, acme-client and
 * most scripts write the files in place or rename new ones over them.
 * inotify and kqueue would need a watch on every link and directory on
 * the way, renewed as links move, and code of each kind; a renewal is
 * no matter of seconds.  Files that differ from the last look are
 * still being written, perhaps one of the pair only: they are looked
 * at again on the next tick, and read once two looks agree.  So a new
 * pair is read CERTS_TICK to 2 * CERTS_TICK seconds after its last
 * write.
 *
 * A pair that reads and checks (the certificate parses, the key is its
 * own, it has not expired) is served: a new listener gets it and the
 * previous one drains, as after a reload, so sessions in flight keep
 * theirs and the next handshake shows the new certificate.  One that
 * does not is logged once, and the pair before it serves on until the
 * files change again.  From CERTS_WARN before a certificate expires, a
 * warning is logged once a day.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "util.h"
#include "pki.h"
#include "parent.h"

#define CERTS_TICK	5			/* seconds between looks */
#define CERTS_REWARN	(24 * 3600)
#define CERTS_WAIT	10			/* seconds: keypop -c's time */

static void	certs_look(const struct conf_pki *, struct pki_look *);
static int	certs_check(int, int, const char *, struct pki_info *,
		    char *, size_t);
static int	certs_read(struct conf_pki *, const char *,
		    const struct pki_look *, time_t, char *, size_t);
static void	certs_tick(int, short, void *);
static void	certs_expiry(struct conf_pki *, time_t);

static struct event	certs_ev;

/* The files of pki as they are now: never fails, an error is a look. */
static void
certs_look(const struct conf_pki *pki, struct pki_look *look)
{
	const char	*path;
	struct stat	 st;
	int		 i, r;

	memset(look, 0, sizeof(*look));
	for (i = 0; i < 4; i++) {
		path = i < 2 ? pki->cert : pki->key;
		r = i % 2 == 0 ? stat(path, &st) : lstat(path, &st);
		if (r == -1) {
			look->f[i].error = errno;
			continue;
		}
		look->f[i].dev = st.st_dev;
		look->f[i].ino = st.st_ino;
		look->f[i].size = st.st_size;
		look->f[i].mtime = st.st_mtim;
		look->f[i].ctime = st.st_ctim;
	}
}

/*
 * keypop -c on the pair in certfd and keyfd (pki_memfd's), at most
 * CERTS_WAIT seconds: 0 with what it read in info, or -1 with the
 * reason in why, its own (the pair is bad) or ours ("not checked": it
 * could not run, crashed, took too long or wrote what is no verdict).
 */
static int
certs_check(int certfd, int keyfd, const char *protocols,
    struct pki_info *info, char *why, size_t whylen)
{
	char		*argv[] = { "keypop", "-c", "-P", (char *)protocols,
			    NULL };
	uint8_t		 buf[PKI_VERDICTMAX + 1];
	char		 bad[256];
	struct pollfd	 pfd;
	time_t		 deadline = monotime() + CERTS_WAIT, left;
	size_t		 len = 0;
	ssize_t		 n;
	pid_t		 pid;
	int		 p[2], fds[4], r, status;

	if (pipe2(p, O_CLOEXEC) == -1) {
		(void)snprintf(why, whylen, "not checked: pipe: %s",
		    strerror(errno));
		return -1;
	}
	fds[0] = certfd;
	fds[1] = p[1];
	fds[2] = STDERR_FILENO;		/* its log lines, as authcheck's */
	fds[3] = keyfd;
	pid = child_exec(proc_path[KIND_KEY], argv, fds, 4);
	close(p[1]);
	if (pid == -1) {
		(void)snprintf(why, whylen, "not checked: keypop -c: %s",
		    strerror(errno));
		close(p[0]);
		return -1;
	}
	/* Until it closes its end, says more than a verdict, or time is up. */
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (len < sizeof(buf) && (left = deadline - monotime()) > 0) {
		if ((r = poll(&pfd, 1, left * 1000)) == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if ((n = read(p[0], buf + len, sizeof(buf) - len)) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(p[0]);
	/* One that says too much ends now, not at the deadline. */
	if (len == sizeof(buf))
		(void)kill(pid, SIGKILL);
	status = child_wait(pid, deadline, "keypop -c");
	if ((r = pki_verdict(buf, len, info, why, whylen)) != -1 &&
	    (status == 0 || status == -1))
		return r == 0 ? 0 : -1;
	if (len == sizeof(buf))
		(void)snprintf(why, whylen, "not checked: keypop -c wrote "
		    "more than %d bytes", PKI_VERDICTMAX);
	else if (status > 128 && monotime() >= deadline)
		(void)snprintf(why, whylen, "not checked: keypop -c took "
		    "more than %d seconds", CERTS_WAIT);
	else if (status > 128)
		(void)snprintf(why, whylen, "not checked: keypop -c was "
		    "killed by signal %d", status - 128);
	else if (status > 0)
		(void)snprintf(why, whylen, "not checked: keypop -c exited "
		    "%d %s%s", status, r == -1 ? "without a verdict" :
		    "after its verdict", status == 127 ? " (not run: "
		    "replaced since popd started? restart popd)" : "");
	else {
		(void)strlcpy(bad, why, sizeof(bad));
		(void)snprintf(why, whylen, "not checked: keypop -c wrote "
		    "%s", bad);
	}
	return -1;
}

/*
 * Read pki's files, which looked like look before, and have keypop
 * -c check them: 0 with pki->served the new pair, or -1 with the reason
 * in why and pki as it was.  A certificate that expired before
 * notbefore is refused (0: none is).
 */
static int
certs_read(struct conf_pki *pki, const char *protocols,
    const struct pki_look *look, time_t notbefore, char *why, size_t whylen)
{
	struct pki_pair		 pp;
	struct pki_info		 info;
	struct pki_served	*s;
	char			 date[32];
	int			 fd = -1, keyfd = -1;

	if (pki_read(pki->cert, pki->key, &pp, why, whylen) == -1)
		return -1;
	/* keypop -c reads the very bytes a listener and keypop will. */
	if ((fd = pki_memfd(pp.cert, pp.certlen)) == -1 ||
	    (keyfd = pki_memfd(pp.key, pp.keylen)) == -1)
		(void)snprintf(why, whylen, "%s", strerror(errno));
	else if (certs_check(fd, keyfd, protocols, &info, why, whylen) == 0) {
		if (info.notafter >= notbefore)
			goto good;
		(void)snprintf(why, whylen, "the certificate expired on %s",
		    stats_time(info.notafter, date, sizeof(date)));
	}
	if (fd != -1)
		close(fd);
	if (keyfd != -1)
		close(keyfd);
	pki_free(&pp);
	return -1;
 good:
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		(void)snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		close(keyfd);
		pki_free(&pp);
		return -1;
	}
	s->fd = fd;
	s->keyfd = keyfd;
	s->certlen = pp.certlen;
	s->keylen = pp.keylen;
	pki_free(&pp);
	(void)strlcpy(s->subject, info.subject, sizeof(s->subject));
	s->notafter = info.notafter;
	s->loaded = time(NULL);
	s->seen = s->tried = *look;
	if (pki->served != NULL) {
		close(pki->served->fd);
		close(pki->served->keyfd);
		free(pki->served);
	}
	pki->served = s;
	return 0;
}

/*
 * pki of c read and checked, as a start or a reload needs it: 0, or -1
 * with the error logged with the statement that names it.
 */
int
certs_load(const struct popd_conf *c, struct conf_pki *pki)
{
	struct pki_look	 look;
	char		 why[512];

	certs_look(pki, &look);
	if (certs_read(pki, c->set.tls_protocols, &look, 0, why,
	    sizeof(why)) == -1)
		return conf_error(c, &pki->where, "pki %s: %s, %s: not "
		    "loaded: %s", pki->name, pki->cert, pki->key, why);
	return 0;
}

/* From CERTS_WARN before pki's certificate expires: once a day. */
static void
certs_expiry(struct conf_pki *pki, time_t now)
{
	struct pki_served	*s = pki->served;
	char			 date[32];
	long long		 left;

	if (s->notafter - now >= CERTS_WARN ||
	    (s->warned != 0 && monotime() - s->warned < CERTS_REWARN))
		return;
	s->warned = monotime();
	left = (long long)(s->notafter - now) / (24 * 3600);
	log_warnx("pki %s: certificate %s %s %s (%lld days%s); renew it: "
	    "popd serves the new files within %d seconds", pki->name,
	    pki->cert, s->notafter < now ? "expired on" : "expires on",
	    stats_time(s->notafter, date, sizeof(date)), left < 0 ? -left :
	    left, s->notafter < now ? " ago" : "", 2 * CERTS_TICK);
}

/* After the first load: a look every CERTS_TICK. */
void
certs_start(void)
{
	struct timeval	tv = { CERTS_TICK, 0 };

	evtimer_set(&certs_ev, certs_tick, NULL);
	if (evtimer_add(&certs_ev, &tv) == -1)
		fatal("evtimer_add");
}

/*
 * A look at every pki's files: a pair that changed and has stayed so
 * since the last look is read, and served if it is good.
 */
static void
certs_tick(int fd, short ev, void *arg)
{
	struct timeval	 tv = { CERTS_TICK, 0 };
	struct conf_pki	*pki;
	struct pki_look	 look;
	time_t		 now = time(NULL);
	char		 why[512], date[32];
	int		 changed = 0;

	TAILQ_FOREACH(pki, &conf->pkis, entry) {
		if (pki->served == NULL)
			continue;
		certs_look(pki, &look);
		if (memcmp(&look, &pki->served->seen, sizeof(look)) != 0)
			pki->served->seen = look;	/* being written */
		else if (memcmp(&look, &pki->served->tried,
		    sizeof(look)) != 0) {
			pki->served->tried = look;	/* once per change */
			if (certs_read(pki, conf->set.tls_protocols, &look,
			    now, why, sizeof(why)) == -1)
				log_warnx("pki %s: %s, %s changed, not "
				    "loaded: %s; the certificate loaded on %s "
				    "serves on", pki->name, pki->cert,
				    pki->key, why, stats_time(
				    pki->served->loaded, date, sizeof(date)));
			else {
				log_info("pki %s: new certificate %s "
				    "loaded, not after %s", pki->name,
				    pki->cert, stats_time(pki->served->notafter,
				    date, sizeof(date)));
				changed = 1;
			}
		}
		certs_expiry(pki, now);
	}
	/* New sessions get the new pair; the previous listener drains. */
	if (changed && proc_start(KIND_LISTENER) == NULL)
		log_warnx("the listener with the new certificates did not "
		    "start: the previous one serves on");
	if (evtimer_add(&certs_ev, &tv) == -1)
		fatal("evtimer_add");
}
