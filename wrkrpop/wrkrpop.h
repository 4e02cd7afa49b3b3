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
 * wrkrpop.h -- what wrkrpop's files share: popd -m's report of one
 * maildir (report.c), run instead of a session when the parent asks,
 * a message's Message-ID for the log and where junk's subject prefix
 * goes (msgid.c), and popctl undelete's job (undelete.c).
 */
#ifndef POPD_WRKRPOP_H
#define POPD_WRKRPOP_H

#include "settings.h"

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
