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

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "pop3.h"
#include "crlf.h"
#include "maildrop.h"
#include "stats.h"
#include "wrkrpop.h"

#define FILE_CHUNK	16384		/* bigger messages are mapped */
#define MAP_MIN		(256 * 1024)	/* RETR maps messages this big */
#define TRIM_IDLE_MS	1000		/* idle this long: give memory back */
#ifdef MAP_POPULATE
#define MAP_POPULATE_RO	MAP_POPULATE	/* one fault-in, not one per page */
#else
#define MAP_POPULATE_RO	0
#endif

static off_t
send_conv(struct session *s, struct crlf *st, const char *p, size_t len)
{
	size_t	off, used, w;
	off_t	wire = 0;

	for (off = 0; off < len && !st->done; off += used) {
		if (sizeof(s->wbuf) - s->wlen < 2)
			out_flush(s);
		w = crlf_convert(st, p + off, len - off, s->wbuf + s->wlen,
		    sizeof(s->wbuf) - s->wlen, &used);
		s->wlen += w;
		wire += w;
	}
	return wire;
}

/* ins: where junk's prefix goes (-1: none); the octets sent exclude it. */
static off_t
send_read(struct session *s, struct mmsg *m, int fd, struct crlf *st,
    char *msgid, off_t ins)
{
	char		 buf[FILE_CHUNK];
	ssize_t		 n;
	off_t		 wire = 0, pos = 0;
	size_t		 k;

	while (!st->done) {
		if ((n = read(fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: read %s", s->user, m->name);
			session_end(s, "message read error", END_ERROR);
		}
		if (n == 0)
			break;
		if (pos == 0 && msgid != NULL)
			msgid_parse(buf, n, msgid, MSGID_MAX);
		k = 0;
		if (ins >= pos && ins <= pos + n) {
			/* Inside the Subject line: no line end, no dot. */
			k = ins - pos;
			wire += send_conv(s, st, buf, k);
			out(s, who.junk.subject, strlen(who.junk.subject));
			ins = -1;
		}
		wire += send_conv(s, st, buf + k, n - k);
		pos += n;
		/* A short read of a regular file is its end. */
		if ((size_t)n < sizeof(buf))
			break;
	}
	return wire;
}

/* A file truncated meanwhile ends the session by SIGBUS, as a crash. */
static off_t
send_mapped(struct session *s, struct mmsg *m, int fd, struct crlf *st,
    char *msgid)
{
	struct stat	 sb;
	void		*p;
	off_t		 wire;

	if (fstat(fd, &sb) == -1 || sb.st_size <= 0 ||
	    (uintmax_t)sb.st_size > SIZE_MAX)
		return -1;
	p = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE_RO,
	    fd, 0);
	if (p == MAP_FAILED)
		return -1;
	if (msgid != NULL)
		msgid_parse(p, sb.st_size, msgid, MSGID_MAX);
	wire = send_conv(s, st, p, sb.st_size);
	(void)munmap(p, sb.st_size);
	return wire;
}

/* Once "+OK" is out, a read error ends the session: no short reply. */
void
send_msg(struct session *s, struct mmsg *m, size_t idx, long long toplines)
{
	struct crlf	 st;
	off_t		 sent, wire, tag, ins;
	int		 fd;
	size_t		 w;
	char		 msgid[MSGID_MAX], *record;

	if ((fd = maildrop_openmsg(msg_md(s, m), m)) == -1) {
		if (errno == ENOENT) {
			/* Another program removed it: as if deleted. */
			log_warnx("%s: %s has been removed", s->user, m->name);
			maildrop_mark(msg_md(s, m), m, MMSG_GONE);
			s->live--;
			s->liveoct -= msg_size(s, m);
			s->ngone++;
			s->goneoct += msg_size(s, m);
			reply(s, "-ERR message %zu has been removed", idx + 1);
		} else {
			log_warn("%s: open %s", s->user, m->name);
			reply(s, "-ERR [SYS/TEMP] cannot open message %zu",
			    idx + 1);
		}
		return;
	}
	if (toplines < 0)
		reply(s, "+OK %lld octets", (long long)msg_size(s, m));
	else
		reply(s, "+OK top of message follows");
	tag = msg_md(s, m) == &s->junk ? msg_size(s, m) - m->size : 0;
	ins = s->subj != NULL && tag > 0 ? s->subj[m - s->junk.msgs] : -1;
	if (tag > 0 && s->subj == NULL)
		out(s, JUNK_HEADER "\r\n", tag);
	else if (tag > 0 && ins == -1) {
		out(s, "Subject: ", 9);
		out(s, who.junk.subject, strlen(who.junk.subject));
		out(s, "\r\n", 2);
	}
	/* Only when asked: costs a quarter of the rate of small messages. */
	(void)strlcpy(msgid, "none", sizeof(msgid));
	record = log_getverbose() ? msgid : NULL;
	crlf_init(&st, toplines);
	if (toplines >= 0 || m->size < MAP_MIN || ins != -1 ||
	    (wire = send_mapped(s, m, fd, &st, record)) == -1)
		wire = send_read(s, m, fd, &st, record, ins);
	close(fd);
	if (sizeof(s->wbuf) - s->wlen < 5)
		out_flush(s);
	w = crlf_finish(&st, s->wbuf + s->wlen, sizeof(s->wbuf) - s->wlen);
	s->wlen += w;
	wire += w + tag;
	STAT_INC(STAT_RETRIEVED);
	if (toplines >= 0) {
		s->ntop++;
		s->topoct += wire;
		STAT_ADD(STAT_RETRIEVED_OCTETS, wire);
	} else {
		/* Only RETR reads a message; TOP is a preview (no \Seen). */
		maildrop_mark(msg_md(s, m), m, MMSG_SEEN);
		s->nretr++;
		if (idx + 1 > s->lastno)
			s->lastno = idx + 1;
		/* The RFC 1939 octets: less the stuffed dots and ".CRLF". */
		sent = wire - st.stuffed - 3;
		s->retroct += sent;
		STAT_ADD(STAT_RETRIEVED_OCTETS, sent);
		/* A wrong ",W=" in a name or a file changed under us. */
		if (sent != msg_size(s, m))
			log_warnx("%s: %s: sent %lld octets, announced %lld",
			    s->user, m->name, (long long)sent,
			    (long long)msg_size(s, m));
	}
	if (record != NULL)
		msg_record(s, toplines >= 0 ? "top" : "retr", m, msgid);
}

void
reply(struct session *s, const char *fmt, ...)
{
	char	line[POP3_MAXLINE + 3];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("vsnprintf");
	if ((size_t)n >= sizeof(line) - 2)
		n = sizeof(line) - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	out(s, line, n);
}

void
out(struct session *s, const char *p, size_t len)
{
	size_t	n;

	while (len > 0) {
		if (s->wlen == sizeof(s->wbuf))
			out_flush(s);
		n = sizeof(s->wbuf) - s->wlen;
		if (n > len)
			n = len;
		memcpy(s->wbuf + s->wlen, p, n);
		s->wlen += n;
		p += n;
		len -= n;
	}
}

void
out_flush(struct session *s)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < s->wlen) {
		n = write(s->fd, s->wbuf + off, s->wlen - off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				wait_io(s, POLLOUT);
				continue;
			}
			if (errno == EPIPE || errno == ECONNRESET)
				session_end(s, "connection closed", END_DROPPED);
			log_warn("%s: write", s->user);
			session_end(s, "write error", END_ERROR);
		}
		off += n;
		s->last = monotime();
	}
	s->wlen = 0;
}

void
wait_io(struct session *s, short events)
{
	struct pollfd	pfd = { .fd = s->fd, .events = events };
	time_t		left;
	int		r, trim;

	for (;;) {
		left = s->last + set.idle - monotime();
		if (left <= 0) {
			log_info("%s: autologout", s->user);
			/* Only between replies: never inside one. */
			if (events == POLLIN && s->wlen == 0) {
				static const char	msg[] =
				    "-ERR autologout: idle for too long\r\n";

				if (write(s->fd, msg, sizeof(msg) - 1) == -1) {
				}
			}
			session_end(s, "idle timeout", END_TIMEOUT);
		}
		trim = events == POLLIN && !s->trimmed;
		/* Waiting for the client, not the store (popd's stuck_tick). */
		stats->busy = 0;
		r = poll(&pfd, 1, trim ? TRIM_IDLE_MS : left > INT_MAX / 1000 ?
		    INT_MAX : (int)left * 1000);
		stats->busy = monotime();
		if (r == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (r > 0)
			return;	/* ready, hung up or failed: I/O tells */
		if (trim) {
			/* Idle sessions are many: return what setup freed. */
			compat_memtrim();
			compat_stack_trim();
			s->trimmed = 1;
		}
	}
}
