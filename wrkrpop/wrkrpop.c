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
 * wrkrpop -- the TRANSACTION and UPDATE states (RFC 1939) of one POP3 session,
 * as the mail user, confined to that user's maildir.  Synchronous: the write
 * buffer's flushes wait for the client, the back-pressure of a long RETR.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "chan.h"
#include "pop3.h"
#include "fslock.h"
#include "maildrop.h"
#include "proc.h"
#include "sandbox.h"
#include "stats.h"
#include "wrkrpop.h"

static struct session	sess;

struct removal {
	const struct mmsg	*m;
	char			 msgid[MSGID_MAX];
};
static struct removal	*removals;
static size_t		 nremovals, removal_next;
static char		*jlines;	/* the journal's lines to add */
static size_t		 jlen, jcap;

static void		bad_command(struct session *, const char *, ...)
			    __attribute__((__format__ (printf, 2, 3)));

/* Only the settings we read, not all 41 KB of them. */
struct conf_worker	set;
struct msg_worker	who;

static void
wrkrpop_parent_worker(struct chan *c, const void *data, int fd)
{
	memcpy(&who, data, sizeof(who));
	set = who.set;
}

static const struct msg_handler from_parent[] = {
	{ MSG_PARENT_WORKER,	wrkrpop_parent_worker },
	{ MSG_PARENT_STATS,	proc_parent_stats },
};

size_t
nmsgs(const struct session *s)
{
	return s->md.nmsgs + s->junk.nmsgs;
}

struct mmsg *
msg_at(struct session *s, size_t i)
{
	return i < s->md.nmsgs ? &s->md.msgs[i] :
	    &s->junk.msgs[i - s->md.nmsgs];
}

struct maildrop *
msg_md(struct session *s, const struct mmsg *m)
{
	if (s->junk.nmsgs > 0 && m >= s->junk.msgs &&
	    m < s->junk.msgs + s->junk.nmsgs)
		return &s->junk;
	return &s->md;
}

off_t
msg_size(struct session *s, const struct mmsg *m)
{
	if (msg_md(s, m) != &s->junk)
		return m->size;
	/* junk subject: the prefix, or a line "Subject: PREFIX". */
	if (s->subj != NULL)
		return m->size + (off_t)strlen(who.junk.subject) +
		    (s->subj[m - s->junk.msgs] >= 0 ? 0 :
		    (off_t)sizeof("Subject: \r\n") - 1);
	if (s->flagged == NULL || s->flagged[m - s->junk.msgs])
		return m->size;
	return m->size + (off_t)sizeof(JUNK_HEADER "\r\n") - 1;
}

static size_t
last_seen(struct session *s)
{
	const char	*flags, *name;
	size_t		 i, last = 0;

	for (i = 0; i < nmsgs(s); i++) {
		name = msg_at(s, i)->name;
		if (strncmp(name, "cur/", 4) == 0 &&
		    (flags = strstr(name, ":2,")) != NULL &&
		    strchr(flags + 3, 'S') != NULL)
			last = i + 1;
	}
	return last;
}

__dead static void
startup_fail(struct session *s, int stat, const char *msg)
{
	STAT_INC(stat);
	reply(s, "%s", msg);
	out_flush(s);
	exit(1);
}

static void
session_log(struct session *s, size_t ndele, const char *how)
{
	struct timespec	 ts;
	char		 addr[PEER_STRLEN];
	double		 secs;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	secs = (ts.tv_sec - s->start.tv_sec) +
	    (ts.tv_nsec - s->start.tv_nsec) / 1e9;
	log_info("session end: user %s from %s, %s: retr %zu/%lld, "
	    "top %zu/%lld, dele %zu, %.3fs, %s", s->user,
	    peer_log(&who.peer, addr, sizeof(addr)), who.tls, s->nretr,
	    (long long)s->retroct, s->ntop, (long long)s->topoct, ndele,
	    secs, how);
}

/*
 * Fixed words and values without blanks, for grep and fail2ban-style tools
 * (wrkrpop.8).
 */
void
msg_record(struct session *s, const char *what, const struct mmsg *m,
    const char *msgid)
{
	const char	*folder = msg_md(s, m)->folder;
	char		 addr[PEER_STRLEN];

	/* A folder merged after INBOX is named last: the fields before stay. */
	log_info("message %s: user %s uidl %s size %lld message-id %s from "
	    "%s credential %s%s%s", what, s->user, m->uidl,
	    (long long)msg_size(s, m), msgid, peer_log(&who.peer, addr,
	    sizeof(addr)), who.cred[0] != '\0' ? who.cred : "none",
	    folder != NULL ? " folder " : "", folder != NULL ? folder : "");
}

static void
journal_who(struct jrec *r)
{
	struct peeraddr	peer = who.peer;

	peer.port = 0;
	(void)peer_str(&peer, r->addr, sizeof(r->addr));
	(void)strlcpy(r->cred, who.cred[0] != '\0' ? who.cred : "none",
	    sizeof(r->cred));
}

static void
journal_add(const struct jrec *r)
{
	char	 line[JOURNAL_LINE], *p;
	size_t	 n;

	if ((n = journal_format(r, line, sizeof(line))) == 0)
		return;
	if (jlen + n > jcap) {
		if ((p = realloc(jlines, jcap + n + 4096)) == NULL)
			return;		/* only a record */
		jlines = p;
		jcap += n + 4096;
	}
	memcpy(jlines + jlen, line, n);
	jlen += n;
}

/* Before the lock goes, so one session writes at a time. */
static void
journal_session(struct session *s, size_t ndele, const char *how)
{
	struct jrec	r;

	memset(&r, 0, sizeof(r));
	r.kind = JREC_SESSION;
	r.start = s->started;
	r.time = time(NULL);
	if (r.time < r.start)
		r.time = r.start;	/* the clock stepped back */
	journal_who(&r);
	r.retr = s->nretr;
	r.top = s->ntop;
	r.dele = ndele;
	(void)strlcpy(r.how, how, sizeof(r.how));
	journal_add(&r);
	journal_append(s->md.dirfd, s->md.path, jlines, jlen, r.time);
	jlen = 0;
}

/* Nothing is removed (RFC 1939 section 6). */
__dead void
session_end(struct session *s, const char *why, const char *how)
{
	if (s->updated)
		exit(0);	/* after QUIT's UPDATE: logged already */
	log_info("%s: session ended (%s), nothing removed", s->user, why);
	session_log(s, 0, how);
	journal_session(s, 0, how);
	maildrop_unlock(&s->md);
	exit(0);
}

/*
 * One reply per command, so that a pipelining client stays in step: the
 * command that reaches the limit gets the closing one only.
 */
static void
bad_command(struct session *s, const char *fmt, ...)
{
	char	buf[POP3_MAXLINE + 64];
	va_list	ap;

	if (++s->nbad >= set.bad_commands) {
		STAT_INC(STAT_REFUSED_BAD_COMMANDS);
		reply(s, "-ERR too many invalid commands, closing");
		out_flush(s);
		session_end(s, "too many invalid commands", END_ERROR);
	}
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	reply(s, "%s", buf);
}

/*
 * Read from each header now, since the sizes count the tag.  A message that
 * cannot be read gets the tag.
 */
static void
junk_tags(struct session *s)
{
	size_t	i;
	int	fd;

	if (who.junk.tag == JUNK_TAG_HEADER)
		s->flagged = calloc(s->junk.nmsgs + 1, 1);
	else if (who.junk.tag == JUNK_TAG_SUBJECT)
		s->subj = calloc(s->junk.nmsgs + 1, sizeof(*s->subj));
	else
		return;
	if (s->flagged == NULL && s->subj == NULL)
		fatal("%s", __func__);
	for (i = 0; i < s->junk.nmsgs; i++) {
		fd = maildrop_openmsg(&s->junk, &s->junk.msgs[i]);
		if (s->subj != NULL)
			s->subj[i] = fd == -1 ? -1 : msgid_subject_read(fd);
		else if (fd != -1)
			s->flagged[i] = msgid_spamflag_read(fd);
		if (fd != -1)
			close(fd);
		s->junkoct += msg_size(s, &s->junk.msgs[i]) -
		    s->junk.msgs[i].size;
	}
}

/*
 * A folder that cannot be read leaves INBOX alone: the session serves what it
 * can.
 */
static void
junk_open(struct session *s)
{
	s->junk.dirfd = s->junk.lockfd = s->junk.rootfd = -1;
	if (who.junk.folder[0] == '\0')
		return;
	if (maildrop_folder(&s->junk, &s->md, who.junk.folder) == -1) {
		if (errno != ENOENT)
			log_warn("%s: %s/.%s", s->user, s->md.path,
			    who.junk.folder);
		maildrop_close(&s->junk);
		return;
	}
	/* Its removals are kept as INBOX's are (drop_file). */
	s->junk.keep = s->md.keep;
	if (maildrop_scan(&s->junk) == -1) {
		log_warn("%s: scan %s, served without it", s->user,
		    s->junk.path);
		maildrop_close(&s->junk);
		return;
	}
	if (s->junk.nmsgs > 0 && maildrop_uniq_after(&s->junk, &s->md) > 0 &&
	    maildrop_cache_write(&s->junk) == -1)
		log_warn("%s: popcache write", s->junk.path);
	junk_tags(s);
}

static struct mmsg *
msg_arg(struct session *s, const char *arg, size_t *idx)
{
	long long	 n;

	if ((n = pop3_number(arg)) == -1) {
		reply(s, "-ERR invalid message number");
		return NULL;
	}
	if (n == 0 || (unsigned long long)n > nmsgs(s)) {
		reply(s, "-ERR no such message");
		return NULL;
	}
	if (msg_at(s, n - 1)->flags & MMSG_DELETED) {
		reply(s, "-ERR message %lld is deleted", n);
		return NULL;
	}
	if (msg_at(s, n - 1)->flags & MMSG_GONE) {
		reply(s, "-ERR message %lld has been removed", n);
		return NULL;
	}
	*idx = n - 1;
	return msg_at(s, n - 1);
}

static void
cmd_stat(struct session *s, struct pop3_line *l)
{
	reply(s, "+OK %zu %lld", s->live, (long long)s->liveoct);
}

static char *
put_num(char *p, unsigned long long v)
{
	char	num[24], *q = num + sizeof(num);

	do
		*--q = '0' + v % 10;
	while ((v /= 10) > 0);
	memcpy(p, q, num + sizeof(num) - q);
	return p + (num + sizeof(num) - q);
}

/* No printf: a listing of 100,000 messages is 100,000 of these. */
static void
listing_line(struct session *s, size_t n, const char *uidl, off_t size)
{
	char	*p;
	size_t	 len;

	if (sizeof(s->wbuf) - s->wlen < 24 + 1 + UIDL_MAX + 2)
		out_flush(s);
	p = put_num(s->wbuf + s->wlen, n);
	*p++ = ' ';
	if (uidl != NULL) {
		len = strlen(uidl);
		memcpy(p, uidl, len);
		p += len;
	} else
		p = put_num(p, size);
	*p++ = '\r';
	*p++ = '\n';
	s->wlen = p - s->wbuf;
}

static void
listing(struct session *s, struct pop3_line *l)
{
	struct mmsg	*m;
	size_t		 i;
	int		 uidl = l->cmd == CMD_UIDL;

	if (l->nargs == 1) {
		if ((m = msg_arg(s, l->args[0], &i)) == NULL)
			return;
		if (uidl)
			reply(s, "+OK %zu %s", i + 1, m->uidl);
		else
			reply(s, "+OK %zu %lld", i + 1,
			    (long long)msg_size(s, m));
		return;
	}
	if (uidl)
		reply(s, "+OK unique-id listing follows");
	else
		reply(s, "+OK %zu messages (%lld octets)", s->live,
		    (long long)s->liveoct);
	for (i = 0; i < nmsgs(s); i++) {
		m = msg_at(s, i);
		if (m->flags & (MMSG_DELETED | MMSG_GONE))
			continue;
		listing_line(s, i + 1, uidl ? m->uidl : NULL,
		    msg_size(s, m));
	}
	out(s, ".\r\n", 3);
}

static void
retr_top(struct session *s, struct pop3_line *l)
{
	struct mmsg	*m;
	long long	 lines = -1;
	size_t		 i;

	if ((m = msg_arg(s, l->args[0], &i)) == NULL)
		return;
	/* A count past the body's end means the whole body. */
	if (l->cmd == CMD_TOP && (lines = pop3_number(l->args[1])) == -1) {
		reply(s, "-ERR invalid line count");
		return;
	}
	send_msg(s, m, i, lines);
}

static void
cmd_dele(struct session *s, struct pop3_line *l)
{
	struct mmsg	*m;
	size_t		 i;
	long long	 n;

	/* What another program removed is deleted already: no error. */
	if ((n = pop3_number(l->args[0])) > 0 &&
	    (unsigned long long)n <= nmsgs(s) &&
	    msg_at(s, n - 1)->flags & MMSG_GONE) {
		reply(s, "+OK message %lld deleted", n);
		return;
	}
	if ((m = msg_arg(s, l->args[0], &i)) == NULL)
		return;
	maildrop_mark(msg_md(s, m), m, MMSG_DELETED);
	s->live--;
	s->liveoct -= msg_size(s, m);
	stats->marked = nmsgs(s) - s->live - s->ngone;
	reply(s, "+OK message %zu deleted", i + 1);
}

static void
cmd_last(struct session *s, struct pop3_line *l)
{
	if (set.last)
		reply(s, "+OK %zu", s->lastno);
	else
		reply(s, "-ERR unknown command");
}

static void
cmd_capa(struct session *s, struct pop3_line *l)
{
	const char	*capa = pop3_capa(0, set.expire, set.login_delay);

	out(s, capa, strlen(capa));
}

static void
cmd_rset(struct session *s, struct pop3_line *l)
{
	size_t	i;

	for (i = 0; i < nmsgs(s); i++)
		msg_at(s, i)->flags &= ~MMSG_DELETED;
	/* What another program removed stays gone. */
	s->live = nmsgs(s) - s->ngone;
	s->liveoct = s->md.total + s->junk.total + s->junkoct - s->goneoct;
	s->lastno = s->lastinit;
	stats->marked = 0;
	reply(s, "+OK maildrop has %zu messages (%lld octets)", s->live,
	    (long long)s->liveoct);
}

static void
removed(void *arg, const struct mmsg *m)
{
	struct session	*s = arg;
	struct jrec	 r;
	const char	*msgid = "none", *folder = msg_md(s, m)->folder;
	size_t		 i;

	for (i = removal_next; i < nremovals; i++)
		if (removals[i].m == m) {
			msgid = removals[i].msgid;
			removal_next = i + 1;
			break;
		}
	msg_record(s, (m->flags & MMSG_EXPIRED) ? "expire" : "dele", m, msgid);
	memset(&r, 0, sizeof(r));
	r.kind = JREC_REMOVED;
	r.time = time(NULL);
	(void)strlcpy(r.uidl, m->uidl, sizeof(r.uidl));
	(void)strlcpy(r.msgid, msgid, sizeof(r.msgid));
	(void)strlcpy(r.what, (m->flags & MMSG_EXPIRED) ? "expire" : "dele",
	    sizeof(r.what));
	if (folder != NULL)
		(void)strlcpy(r.folder, folder, sizeof(r.folder));
	journal_who(&r);
	journal_add(&r);
}

/* Read while the file is there, for the record once it is gone. */
static void
removals_read(struct session *s, size_t ndeleted)
{
	struct mmsg	*m;
	size_t		 i;
	int		 fd;

	s->md.removed_fn = s->junk.removed_fn = removed;
	s->md.removed_arg = s->junk.removed_arg = s;
	if (ndeleted == 0)
		return;
	if ((removals = calloc(ndeleted, sizeof(*removals))) == NULL) {
		log_warn("%s: the Message-IDs of %zu messages", s->user,
		    ndeleted);
		return;
	}
	for (i = 0; i < nmsgs(s) && nremovals < ndeleted; i++) {
		m = msg_at(s, i);
		if (!(m->flags & MMSG_DELETED) || (m->flags & MMSG_GONE))
			continue;
		removals[nremovals].m = m;
		(void)strlcpy(removals[nremovals].msgid, "none", MSGID_MAX);
		if ((fd = maildrop_openmsg(msg_md(s, m), m)) != -1) {
			msgid_read(fd, removals[nremovals].msgid, MSGID_MAX);
			close(fd);
		}
		nremovals++;
	}
}

/* Under the maildrop's lock, so that no undelete is half way through it. */
static void
kept_expire(struct session *s)
{
	struct kept_sum	sum;

	if (s->md.nkept > 0)
		log_info("%s: %zu removed messages kept in %s", s->user,
		    s->md.nkept, KEPT_DIR);
	if (set.deleted_keep <= 0 || kept_sweep(s->md.dirfd, (long long)time(
	    NULL) - set.deleted_keep, &sum) == -1 || sum.swept == 0)
		return;
	log_info("%s: %zu kept messages (%lld octets) past deleted keep "
	    "removed, %zu kept", s->user, sum.swept,
	    (long long)sum.sweptbytes, sum.n);
}

__dead static void
cmd_quit(struct session *s, struct pop3_line *l)
{
	size_t	ndeleted, before;
	int	r;

	stats->state = PAGE_UPDATE;
	if (set.expire >= 0)
		expire_old(s);
	ndeleted = nmsgs(s) - s->live - s->ngone;
	stats->marked = ndeleted;
	before = nmsgs(s) - s->ngone;
	removals_read(s, ndeleted);
	r = maildrop_update(&s->md);
	if (s->junk.dirfd != -1 && maildrop_update(&s->junk) == -1)
		r = -1;
	/* What is gone, even when some deleted ones could not be. */
	STAT_ADD(STAT_DELETED, before - nmsgs(s));
	/* The maildir's own record, while the lock keeps other writers. */
	journal_session(s, r == 0 ? ndeleted : 0, r == 0 ? END_QUIT :
	    END_ERROR);
	kept_expire(s);
	/*
	 * UPDATE is over: let the client's next login in before it reads
	 * our reply, instead of racing our exit for the lock.
	 */
	maildrop_unlock(&s->md);
	if (r == 0) {
		log_info("%s: logout, %zu retrieved, %zu deleted, %zu left",
		    s->user, s->nretr, ndeleted, nmsgs(s));
		session_log(s, ndeleted, END_QUIT);
		reply(s, "+OK popd signing off (%zu messages left)",
		    nmsgs(s));
	} else {
		log_warnx("%s: logout, some of %zu deleted messages not "
		    "removed", s->user, ndeleted);
		session_log(s, 0, END_ERROR);
		reply(s, "-ERR [SYS/TEMP] some deleted messages not removed");
	}
	/*
	 * The end is logged: a client (or popctl's kick) gone before it
	 * reads the reply changes nothing of what UPDATE did.
	 */
	s->updated = 1;
	out_flush(s);
	maildrop_sweep(&s->md);
	exit(0);
}

/* A command not listed is unknown. */
#define ARGS_ANY	2		/* pop3_parse gives at most two */
static const struct cmd {
	enum pop3_cmd	  cmd;
	int		  minargs, maxargs;
	const char	 *argerr;
	void		(*handler)(struct session *, struct pop3_line *);
	const char	 *text;
} cmds[] = {
	{ CMD_STAT, 0, 0, " takes no arguments",	cmd_stat, NULL },
	{ CMD_LIST, 0, 1, " takes at most one argument", listing, NULL },
	{ CMD_UIDL, 0, 1, " takes at most one argument", listing, NULL },
	{ CMD_RETR, 1, 1, " needs a message number",	retr_top, NULL },
	{ CMD_TOP, 2, 2, " needs a message number and a line count",
	    retr_top, NULL },
	{ CMD_DELE, 1, 1, " needs a message number",	cmd_dele, NULL },
	{ CMD_RSET, 0, 0, " takes no arguments",	cmd_rset, NULL },
	{ CMD_NOOP, 0, 0, " takes no arguments",	NULL, "+OK" },
	{ CMD_QUIT, 0, 0, " takes no arguments",	cmd_quit, NULL },
	{ CMD_CAPA, 0, 0, " takes no arguments",	cmd_capa, NULL },
	{ CMD_LAST, 0, 0, " takes no arguments",	cmd_last, NULL },
	/* AUTHORIZATION is over, whatever their arguments. */
	{ CMD_USER, 0, ARGS_ANY, NULL, NULL, "-ERR already logged in" },
	{ CMD_PASS, 0, ARGS_ANY, NULL, NULL, "-ERR already logged in" },
	{ CMD_AUTH, 0, ARGS_ANY, NULL, NULL, "-ERR already logged in" },
	{ CMD_APOP, 0, ARGS_ANY, NULL, NULL, "-ERR already logged in" },
	{ CMD_STLS, 0, ARGS_ANY, NULL, NULL, "-ERR already logged in" },
};

static void
command(struct session *s, char *line, size_t len)
{
	struct pop3_line	 l;
	const struct cmd	*c;
	int			 r;

	if ((r = pop3_parse(&l, line, len)) != POP3_OK) {
		bad_command(s, r == POP3_ETOOLONG ? "-ERR line too long" :
		    r == POP3_EBADCHAR ? "-ERR invalid character in command" :
		    "-ERR too many arguments or argument too long");
		return;
	}
	log_debug("%s: %s", s->user, l.name);

	for (c = cmds; c < cmds + nitems(cmds) && c->cmd != l.cmd; c++)
		;
	if (c == cmds + nitems(cmds)) {
		bad_command(s, "-ERR unknown command");
		return;
	}
	if (l.nargs < c->minargs || l.nargs > c->maxargs) {
		bad_command(s, "-ERR %s%s", l.name, c->argerr);
		return;
	}
	if (c->handler != NULL)
		c->handler(s, &l);
	else
		reply(s, "%s", c->text);
}

/*
 * Lines over POP3_MAXLINE octets (CRLF included) are discarded up to their LF
 * and answered with -ERR.
 */
static int
next_line(struct session *s)
{
	size_t	used;
	int	r;

	if (s->rpos == s->rlen) {
		s->rpos = s->rlen = 0;
		return 0;
	}
	r = pop3_frame(&s->fr, s->rbuf + s->rpos, s->rlen - s->rpos,
	    POP3_MAXLINE, &used);
	s->rpos += used;
	switch (r) {
	case FRAME_MORE:
		/* The partial line is in the framer: the buffer is free. */
		s->rpos = s->rlen = 0;
		return 0;
	case FRAME_TOOLONG:
		bad_command(s, "-ERR line too long");
		return 1;
	default:
		command(s, s->fr.line, s->fr.len);
		pop3_frame_reset(&s->fr);
		return 1;
	}
}

__dead static void
session_loop(struct session *s)
{
	ssize_t	n;

	for (;;) {
		while (next_line(s))
			;
		out_flush(s);
		if (s->rlen == sizeof(s->rbuf))
			fatalx("read buffer full");	/* next_line prevents */
		wait_io(s, POLLIN);
		n = read(s->fd, s->rbuf + s->rlen, sizeof(s->rbuf) - s->rlen);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ECONNRESET)
				session_end(s, "connection reset", END_DROPPED);
			log_warn("%s: read", s->user);
			session_end(s, "read error", END_ERROR);
		}
		if (n == 0)
			session_end(s, "connection closed", END_DROPPED);
		s->rlen += n;
		s->last = monotime();
		s->trimmed = 0;
	}
}

/* Before the sandbox: a failure is answered to the client's PASS. */
static void
wrkrpop_open(void *arg)
{
	struct session	*s = &sess;
	const char	*path = who.maildir;
	char		 why[256];

	if (maildrop_open(&s->md, path, set.uidl_format) == -1) {
		log_warn("%s: %s", s->user, path);
		startup_fail(s, STAT_LOGIN_TEMP,
		    "-ERR [SYS/TEMP] cannot open the maildrop");
	}
	s->md.keep = set.deleted_keep > 0;
	if (maildrop_lock(&s->md) == -1) {
		if (errno == EWOULDBLOCK) {
			log_info("%s: maildrop in use", s->user);
			STAT_INC(STAT_LOGIN_INUSE);
			reply(s, "-ERR [IN-USE] maildrop is locked by "
			    "another session");
			out_flush(s);
			exit(0);
		}
		log_warn("%s: %s/popd.lock", s->user, path);
		startup_fail(s, STAT_LOGIN_TEMP,
		    "-ERR [SYS/TEMP] cannot lock the maildrop");
	}
	/* A lock another host would not see is no lock (fslock.c). */
	switch (fslock_check(s->md.dirfd, why, sizeof(why))) {
	case 1:
		break;
	case 0:
		log_warnx("%s: %s: not served: its filesystem (%s) gives no "
		    "lock that other hosts or mounts see", s->user, path, why);
		startup_fail(s, STAT_LOGIN_TEMP, "-ERR [SYS/TEMP] the "
		    "maildrop cannot be locked safely");
	default:
		log_warn("%s: %s: its filesystem's locks", s->user, path);
		startup_fail(s, STAT_LOGIN_TEMP,
		    "-ERR [SYS/TEMP] cannot lock the maildrop");
	}
}

static void
wrkrpop_sandbox(void *arg)
{
	sandbox_wrkrpop(who.maildir);
}

/* Reports, journal, undelete and the health probe run instead of a session. */
static void
wrkrpop_load(struct proc_setup *ps)
{
	struct session	*s = &sess;
	struct stat	 sb;

	if (who.flags & WORKER_REPORT)
		report_main(who.user, who.maildir, set.uidl_format);
	if (who.flags & WORKER_JOURNAL)
		report_journal(who.user, who.maildir, who.find);
	if (who.flags & WORKER_PROBE)
		probe_main(who.user, who.maildir);
	if (who.flags & (WORKER_UNDELETE | WORKER_KEPT))
		undelete_main(&who, set.uidl_format, set.deleted_keep);
	ps->title = who.user;
	s->fd = POPD_CHANNEL_FD;
	s->user = who.user;
	if (fstat(s->fd, &sb) == -1 || !S_ISSOCK(sb.st_mode))
		fatalx("fd %d is not the session socket", s->fd);
	if (set_nonblock(s->fd) == -1)
		fatal("session socket");
	s->last = monotime();
	(void)clock_gettime(CLOCK_MONOTONIC, &s->start);
	s->started = time(NULL);
}

static void
wrkrpop_run(void)
{
	struct session	*s = &sess;
	const char	*user = who.user, *path = who.maildir;

	if (maildrop_scan(&s->md) == -1) {
		log_warn("%s: scan %s", user, path);
		/* A damaged popd.migrated needs the administrator. */
		startup_fail(s, errno == EBADMSG ? STAT_LOGIN_PERM :
		    STAT_LOGIN_TEMP, errno == EBADMSG ? "-ERR [SYS/PERM] the "
		    "maildrop's UIDL record is damaged, ask the administrator" :
		    "-ERR [SYS/TEMP] cannot read the maildrop");
	}
	junk_open(s);
	s->lastinit = last_seen(s);
	cmd_rset(s, NULL);	/* the counts, and the answer to PASS */
	log_info("%s: login, %zu messages, %lld octets", user, s->live,
	    (long long)s->liveoct);
	STAT_INC(STAT_LOGIN_OK);
	stats->state = PAGE_TRANSACTION;
	session_loop(s);
}

static struct chan	parent;

static const struct proc_role wrkrpop_role = {
	.setup = {
		.role = "wrkrpop",
		.user = NULL,		/* the parent set the mail user's ids */
		.open = wrkrpop_open,
		.sandbox = wrkrpop_sandbox,
	},
	.self = PROC_WRKRPOP,
	.chan = &parent,
	.setupfd = POPD_CONF_FD,
	.usage = "usage: wrkrpop [-dVv]\n"
	    "wrkrpop is started by popd, with the session on its channel and "
	    "its configuration on a channel of its own",
	.handlers = from_parent,
	.nhandlers = nitems(from_parent),
	.load = wrkrpop_load,
	.run = wrkrpop_run,
};

int
main(int argc, char *argv[])
{
	proc_run(&wrkrpop_role, argc, argv);
}
