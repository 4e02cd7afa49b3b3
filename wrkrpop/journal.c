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
 * journal.c -- popd.journal, a maildir's record of its sessions and removals,
 * which outlives log rotation.  Written with the maildrop locked: one writer
 * at a time.  Only a record: a line that does not parse is dropped at the next
 * rewrite, and no failure here fails a session.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"
#include "settings.h"
#include "util.h"
#include "wrkrpop.h"

#define JOURNAL_TMP		"popd.journal.tmp"
#define JOURNAL_HEADER		"popd.journal 1\n"
#define JOURNAL_MAX		(256 * 1024)	/* bytes: then rewritten */
#define JOURNAL_SESSIONS	100
#define JOURNAL_DAYS		30
#define JOURNAL_READMAX		(4 * JOURNAL_MAX) /* more: start again */

#define SHOW_SESSIONS		10	/* the newest, in a report */
#define SHOW_REMOVED		20
#define SHOW_LOGINS		32	/* credential and address pairs */

struct login {
	char		 cred[sizeof(((struct jrec *)0)->cred)];
	char		 addr[sizeof(((struct jrec *)0)->addr)];
	long long	 last;
	size_t		 n;
};

static int
field_ok(const char *f, size_t size)
{
	size_t	i;

	for (i = 0; f[i] != '\0'; i++)
		if (f[i] <= 0x20 || f[i] >= 0x7f)
			return 0;
	return i > 0 && i < size;
}

static int
number(const char *s, long long *v)
{
	const char	*errstr;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	*v = strtonum(s, 0, 1LL << 50, &errstr);
	return errstr == NULL ? 0 : -1;
}

/* r is undefined on -1. */
int
journal_parse(const char *line, struct jrec *r)
{
	char		 buf[JOURNAL_LINE], *f[10], *p;
	size_t		 n = 0;

	if (strlcpy(buf, line, sizeof(buf)) >= sizeof(buf))
		return -1;
	for (p = buf; n < nitems(f); ) {
		f[n++] = p;
		if ((p = strchr(p, ' ')) == NULL)
			break;
		*p++ = '\0';
	}
	if (p != NULL)
		return -1;	/* more fields than any line has */
	memset(r, 0, sizeof(*r));
	if (n == 9 && strcmp(f[0], "session") == 0) {
		r->kind = JREC_SESSION;
		if (number(f[1], &r->start) == -1 ||
		    number(f[2], &r->time) == -1 || r->start > r->time ||
		    number(f[5], &r->retr) == -1 || number(f[6], &r->top) == -1 ||
		    number(f[7], &r->dele) == -1 ||
		    !field_ok(f[8], sizeof(r->how)))
			return -1;
		if (strcmp(f[8], "quit") != 0 && strcmp(f[8], "timeout") != 0 &&
		    strcmp(f[8], "dropped") != 0 && strcmp(f[8], "error") != 0)
			return -1;
		(void)strlcpy(r->how, f[8], sizeof(r->how));
	} else if ((n == 7 || n == 8) && strcmp(f[0], "removed") == 0) {
		r->kind = JREC_REMOVED;
		if (number(f[1], &r->time) == -1 ||
		    !field_ok(f[2], sizeof(r->uidl)) ||
		    !field_ok(f[3], sizeof(r->msgid)) ||
		    (strcmp(f[4], "dele") != 0 && strcmp(f[4], "expire") != 0))
			return -1;
		(void)strlcpy(r->uidl, f[2], sizeof(r->uidl));
		(void)strlcpy(r->msgid, f[3], sizeof(r->msgid));
		(void)strlcpy(r->what, f[4], sizeof(r->what));
		/* A folder merged after INBOX (popd.conf junk), or none. */
		if (n == 8 && !settings_folder_ok(f[7]))
			return -1;
		if (n == 8)
			(void)strlcpy(r->folder, f[7], sizeof(r->folder));
		f[3] = f[5];
		f[4] = f[6];
	} else
		return -1;
	if (!field_ok(f[3], sizeof(r->addr)) || !field_ok(f[4], sizeof(r->cred)))
		return -1;
	(void)strlcpy(r->addr, f[3], sizeof(r->addr));
	(void)strlcpy(r->cred, f[4], sizeof(r->cred));
	return 0;
}

size_t
journal_format(const struct jrec *r, char *buf, size_t len)
{
	int	n;

	if (r->kind == JREC_SESSION)
		n = snprintf(buf, len, "session %lld %lld %s %s %lld %lld "
		    "%lld %s\n", r->start, r->time, r->addr, r->cred, r->retr,
		    r->top, r->dele, r->how);
	else
		n = snprintf(buf, len, "removed %lld %s %s %s %s %s%s%s\n",
		    r->time, r->uidl, r->msgid, r->what, r->addr, r->cred,
		    r->folder[0] != '\0' ? " " : "", r->folder);
	return n < 0 || (size_t)n >= len ? 0 : (size_t)n;
}

/*
 * Removals newest first up to half of JOURNAL_MAX, so that a rewrite is not
 * soon needed again.
 */
static int
rewrite(int dirfd, const char *old, size_t oldlen, const char *lines,
    size_t len, time_t now)
{
	struct jrec	 r;
	char		*keep, *p, *e, *line, tmpl[JOURNAL_LINE];
	size_t		 nkeep = 0, room = JOURNAL_MAX / 2, l;
	int		 fd, sessions = 0, ok;

	if ((keep = malloc(room)) == NULL)
		return -1;
	for (p = (char *)lines; p < lines + len; p = e + 1) {
		if ((e = memchr(p, '\n', lines + len - p)) == NULL)
			break;
		if (strncmp(p, "session ", 8) == 0)
			sessions++;
	}
	/* Newest first: from the end, each kept line put before the last. */
	e = old != NULL ? (char *)old + oldlen : NULL;
	while (old != NULL && e > old + sizeof(JOURNAL_HEADER) - 1) {
		for (p = e - 1; p > old && p[-1] != '\n'; p--)
			;
		l = e - p;
		line = p;
		e = p;
		if (l < 2 || line[l - 1] != '\n' || l > sizeof(tmpl))
			continue;
		memcpy(tmpl, line, l - 1);
		tmpl[l - 1] = '\0';
		if (journal_parse(tmpl, &r) == -1)
			continue;
		ok = r.kind == JREC_SESSION ? sessions++ < JOURNAL_SESSIONS :
		    r.time >= (long long)now - JOURNAL_DAYS * 86400LL;
		if (!ok || l > room - nkeep)
			continue;
		memmove(keep + room - nkeep - l, line, l);
		nkeep += l;
	}
	if ((fd = maildir_openat(dirfd, JOURNAL_TMP, O_WRONLY | O_CREAT |
	    O_TRUNC, 0600)) == -1) {
		free(keep);
		return -1;
	}
	ok = write_all(fd, JOURNAL_HEADER, sizeof(JOURNAL_HEADER) - 1) == 0 &&
	    write_all(fd, keep + room - nkeep, nkeep) == 0 &&
	    write_all(fd, lines, len) == 0;
	free(keep);
	if (close(fd) == -1 || !ok ||
	    renameat(dirfd, JOURNAL_TMP, dirfd, JOURNAL_FILE) == -1) {
		(void)unlinkat(dirfd, JOURNAL_TMP, 0);
		return -1;
	}
	return 0;
}

/* Only logged if it cannot be done. */
void
journal_append(int dirfd, const char *path, const char *lines, size_t len,
    time_t now)
{
	struct stat	 st;
	char		*old = NULL;
	const char	*why = NULL;
	ssize_t		 n;
	int		 fd;

	if ((fd = maildir_openst(dirfd, JOURNAL_FILE, O_RDWR | O_APPEND |
	    O_CREAT, 0600, &st)) == -1) {
		log_warn("%s/%s", path, JOURNAL_FILE);
		return;
	}
	if (st.st_size == 0 && write_all(fd, JOURNAL_HEADER,
	    sizeof(JOURNAL_HEADER) - 1) == -1)
		log_warn("%s/%s", path, JOURNAL_FILE);
	else if (st.st_size + (off_t)len <= JOURNAL_MAX) {
		if (write_all(fd, lines, len) == -1)
			log_warn("%s/%s", path, JOURNAL_FILE);
		close(fd);
		return;
	}
	if (st.st_size > 0 && st.st_size <= JOURNAL_READMAX &&
	    (old = malloc(st.st_size + 1)) != NULL &&
	    (n = pread(fd, old, st.st_size, 0)) == st.st_size) {
		old[n] = '\0';
		if (strncmp(old, JOURNAL_HEADER,
		    sizeof(JOURNAL_HEADER) - 1) != 0)
			why = "not a journal";
	} else if (st.st_size > 0)
		why = "too big or unreadable";
	close(fd);
	if (why != NULL) {
		log_warnx("%s/%s: %s, started again", path, JOURNAL_FILE, why);
		free(old);
		old = NULL;
	}
	if (rewrite(dirfd, old, old != NULL ? st.st_size : 0, lines, len,
	    now) == -1)
		log_warn("%s/%s", path, JOURNAL_FILE);
	free(old);
}

static void
report_line(struct jrec *list, const struct jrec *r, size_t max, size_t *n)
{
	if (*n == max) {
		memmove(list, list + 1, (max - 1) * sizeof(*list));
		(*n)--;
	}
	list[(*n)++] = *r;
}

static void
report_login(struct login *l, size_t *n, const struct jrec *r)
{
	size_t	i;

	for (i = 0; i < *n; i++)
		if (strcmp(l[i].cred, r->cred) == 0 &&
		    strcmp(l[i].addr, r->addr) == 0)
			break;
	if (i == *n) {
		if (*n == SHOW_LOGINS)
			return;		/* the first ones seen stay */
		(*n)++;
		memset(&l[i], 0, sizeof(l[i]));
		(void)strlcpy(l[i].cred, r->cred, sizeof(l[i].cred));
		(void)strlcpy(l[i].addr, r->addr, sizeof(l[i].addr));
	}
	l[i].n++;
	if (r->start > l[i].last)
		l[i].last = r->start;
}

/* -1 if the journal cannot be read (errno; ENOENT: there is none). */
int
journal_report(int dirfd, int out, const char *find)
{
	struct jrec	 r, sessions[SHOW_SESSIONS], removed[SHOW_REMOVED];
	struct login	 logins[SHOW_LOGINS];
	struct stat	 st;
	char		*buf, *p, *nl, t[32];
	size_t		 nsess = 0, nrem = 0, nlog = 0, total = 0, found = 0;
	size_t		 damaged = 0, i;
	ssize_t		 n;
	int		 fd;

	if ((fd = maildir_openst(dirfd, JOURNAL_FILE, O_RDONLY, 0, &st)) ==
	    -1)
		return -1;
	if (st.st_size > JOURNAL_READMAX ||
	    (buf = malloc(st.st_size + 1)) == NULL) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	n = pread(fd, buf, st.st_size, 0);
	close(fd);
	if (n < 0) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	for (p = buf; *p != '\0'; p = nl) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;		/* cut short: not a line */
		*nl++ = '\0';
		if (p == buf && strcmp(p, "popd.journal 1") == 0)
			continue;
		if (journal_parse(p, &r) == -1) {
			damaged++;
			continue;
		}
		if (r.kind == JREC_SESSION) {
			total++;
			report_line(sessions, &r, SHOW_SESSIONS, &nsess);
			report_login(logins, &nlog, &r);
		} else if (find == NULL || strcmp(r.uidl, find) == 0 ||
		    strcmp(r.msgid, find) == 0) {
			found++;
			report_line(removed, &r, SHOW_REMOVED, &nrem);
		}
	}
	free(buf);
	if (find != NULL) {
		if (found == 0)
			dprintf(out, "no removal of %s in the journal\n", find);
		for (i = 0; i < nrem; i++)
			dprintf(out, "%s removed %s %s (%s) from %s with "
			    "%s%s%s\n", journal_stamp(removed[i].time, t,
			    sizeof(t)), removed[i].uidl, removed[i].msgid,
			    removed[i].what, removed[i].addr, removed[i].cred,
			    removed[i].folder[0] != '\0' ? " in " : "",
			    removed[i].folder);
		return 0;
	}
	dprintf(out, "%zu sessions in the journal%s\n", total, damaged ?
	    ", some lines damaged" : "");
	dprintf(out, "last login of each credential from each address:\n");
	for (i = 0; i < nlog; i++)
		dprintf(out, "  %s from %s: %s (%zu sessions)\n", logins[i].cred,
		    logins[i].addr, journal_stamp(logins[i].last, t,
		    sizeof(t)), logins[i].n);
	dprintf(out, "sessions, newest first:\n");
	for (i = nsess; i-- > 0; )
		dprintf(out, "  %s %llds from %s with %s: retr %lld, top %lld, "
		    "dele %lld, %s\n", journal_stamp(sessions[i].start, t,
		    sizeof(t)), sessions[i].time - sessions[i].start,
		    sessions[i].addr, sessions[i].cred, sessions[i].retr,
		    sessions[i].top, sessions[i].dele, sessions[i].how);
	dprintf(out, "removed, newest first (%zu in the journal):\n", found);
	for (i = nrem; i-- > 0; )
		dprintf(out, "  %s %s %s (%s) from %s with %s%s%s\n",
		    journal_stamp(removed[i].time, t, sizeof(t)),
		    removed[i].uidl, removed[i].msgid, removed[i].what,
		    removed[i].addr, removed[i].cred, removed[i].folder[0] !=
		    '\0' ? " in " : "", removed[i].folder);
	return 0;
}

const char *
journal_stamp(long long t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, len, "%lld", t);
	return buf;
}
