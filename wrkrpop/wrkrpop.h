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

#ifndef POPD_WRKRPOP_H
#define POPD_WRKRPOP_H

#include <sys/types.h>

#include <time.h>

#include "maildrop.h"
#include "pop3.h"
#include "settings.h"

/* One session: wrkrpop.c, send.c and expire.c */
#define RBUF_SIZE	16384
#define WBUF_SIZE	262144

struct session {
	int		 fd;
	const char	*user;
	struct maildrop	 md;
	struct maildrop	 junk;		/* popd.conf junk: after md's */
	off_t		*subj;		/* junk subject: where it goes */
	char		*flagged;	/* junk tag: the header is there */
	off_t		 junkoct;	/* what RETR adds to all of them */

	char		 rbuf[RBUF_SIZE];
	size_t		 rpos, rlen;
	struct pop3_framer fr;		/* the command line being read */

	char		 wbuf[WBUF_SIZE];
	size_t		 wlen;

	time_t		 last;		/* last progress either way */
	int		 trimmed;	/* memory given back since then */

	size_t		 live;		/* messages not deleted or gone */
	off_t		 liveoct;
	size_t		 ngone;		/* found removed by another program */
	int		 updated;	/* UPDATE done and logged (QUIT) */
	off_t		 goneoct;
	size_t		 nretr;		/* RETR commands answered */
	off_t		 retroct;	/* octets of those */
	size_t		 ntop;		/* TOP commands answered */
	size_t		 lastno;	/* LAST: highest message retrieved */
	size_t		 lastinit;	/* ... before this session (RSET) */
	int		 nbad;		/* invalid commands so far */
	off_t		 topoct;	/* octets sent by TOP */
	struct timespec	 start;		/* for the session line */
	time_t		 started;	/* ... and the journal's */
};

#define END_QUIT	"quit"
#define END_TIMEOUT	"timeout"
#define END_DROPPED	"dropped"
#define END_ERROR	"error"

extern struct conf_worker	set;	/* what we read of the settings */
extern struct msg_worker	who;	/* who logged in, from where */

/* wrkrpop.c */
size_t		 nmsgs(const struct session *);
struct mmsg	*msg_at(struct session *, size_t);
struct maildrop	*msg_md(struct session *, const struct mmsg *);
off_t		 msg_size(struct session *, const struct mmsg *);
void		 msg_record(struct session *, const char *,
		    const struct mmsg *, const char *);
__dead void	 session_end(struct session *, const char *, const char *);

/* send.c */
void		 send_msg(struct session *, struct mmsg *, size_t, long long);
void		 reply(struct session *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
void		 out(struct session *, const char *, size_t);
void		 out_flush(struct session *);
void		 wait_io(struct session *, short);

/* expire.c */
void		 expire_old(struct session *);

/* report.c */
__dead void	report_main(const char *, const char *, const char *);
__dead void	report_journal(const char *, const char *, const char *);
__dead void	probe_main(const char *, const char *);
void		job_start(const char *, const char *, void (*)(void *),
		    void *);

/* msgid.c */
#define MSGID_MAX	256	/* a Message-ID as logged, with its NUL */
#define MSGID_HEAD	8192	/* the bytes of a header looked at */
void		msgid_parse(const char *, size_t, char *, size_t);
void		msgid_read(int, char *, size_t);
off_t		msgid_subject(const char *, size_t);
off_t		msgid_subject_read(int);
int		msgid_spamflag(const char *, size_t);
int		msgid_spamflag_read(int);

/* journal.c: popd.journal's lines (popcache(5)) */
#define JOURNAL_FILE	"popd.journal"
#define JOURNAL_LINE	512	/* the longest line, with its newline */
#define JREC_SESSION	1
#define JREC_REMOVED	2
struct jrec {
	int		 kind;		/* JREC_* */
	long long	 start, time;	/* a session's start and end; a
					   removal's session's end */
	char		 addr[64];	/* the client, "unknown" */
	char		 cred[40];	/* "password", "app:LABEL"... */
	long long	 retr, top, dele;	/* a session's counts */
	char		 how[16];	/* how it ended: quit, timeout... */
	char		 uidl[70 + 1];	/* a removal's: UIDL_MAX */
	char		 msgid[MSGID_MAX];
	char		 what[8];	/* dele, expire */
	char		 folder[CONF_FOLDERLEN];	/* junk's, or "" */
};
int		journal_parse(const char *, struct jrec *);
size_t		journal_format(const struct jrec *, char *, size_t);
void		journal_append(int, const char *, const char *, size_t, time_t);
int		journal_report(int, int, const char *);
const char	*journal_stamp(long long, char *, size_t);

/* undelete.c */
struct msg_worker;
struct kept;
__dead void	undelete_main(const struct msg_worker *, const char *, int);
int		undelete_is(int, const char *, const struct kept *,
		    const char *);

#endif
