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
 * test_msgid -- the Message-ID wrkrpop logs for each message a client
 * reads or removes (wrkrpop/msgid.c): headers as mail has them (CRLF or
 * LF, folded, lower case), none, one only in the body, and bytes a log
 * line must not carry as they are; and the lines of popd.journal
 * (wrkrpop/journal.c) those records also go to, parsed and printed.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wrkrpop.h"
#include "unit.h"

static void	journal_lines(void);

static const char *
id(const char *hdr)
{
	static char	out[MSGID_MAX];

	msgid_parse(hdr, strlen(hdr), out, sizeof(out));
	return out;
}

static void
journal_lines(void)
{
	static const char *const good[] = {
		"session 1795659990 1795660000 192.0.2.7 app:phone 3 1 2 quit",
		"session 5 5 2001:db8::1 password 0 0 0 dropped",
		"removed 1795660000 1700000000.M1P2.host <a\\x01@b> expire "
		    "unknown ticket",
		"removed 1795660000 1700000000.M1P2.host none dele "
		    "192.0.2.7 password Junk",
	};
	static const char *const bad[] = {
		"", "session", "session 6 5 a b 0 0 0 quit",
		"session 1 2 a b 0 0 0 quit extra",
		"session 1 2 a b 0 0 0 left", "session 1 2 a b -1 0 0 quit",
		"session 1 2 a b +1 0 0 quit", "session 1 2 a  b 0 0 0 quit",
		"removed 1 u m undelete a b", "removed 1 u m dele a",
		"removed x u m dele a b", "sessions 1 2 a b 0 0 0 quit",
		"removed 1 u m\x01 dele a b",
		"removed 1 u m dele a b .Junk", "removed 1 u m dele a b INBOX",
		"removed 1 u m dele a b Junk x",
	};
	struct jrec	 r;
	char		 line[JOURNAL_LINE];
	size_t		 i, n;

	for (i = 0; i < nitems(good); i++) {
		CHECK(journal_parse(good[i], &r) == 0, "parses: %s", good[i]);
		n = journal_format(&r, line, sizeof(line));
		CHECK(n > 0 && line[n - 1] == '\n' &&
		    strncmp(line, good[i], n - 1) == 0 &&
		    strlen(good[i]) == n - 1, "prints back: %s", good[i]);
	}
	CHECK(journal_parse(good[0], &r) == 0 && r.kind == JREC_SESSION &&
	    r.start == 1795659990 && r.time == 1795660000 && r.retr == 3 &&
	    r.top == 1 && r.dele == 2 && strcmp(r.cred, "app:phone") == 0,
	    "a session's fields");
	CHECK(journal_parse(good[2], &r) == 0 && r.kind == JREC_REMOVED &&
	    strcmp(r.what, "expire") == 0 && strcmp(r.addr, "unknown") == 0 &&
	    strcmp(r.msgid, "<a\\x01@b>") == 0 && r.folder[0] == '\0',
	    "a removal's fields");
	CHECK(journal_parse(good[3], &r) == 0 && r.kind == JREC_REMOVED &&
	    strcmp(r.folder, "Junk") == 0 && strcmp(r.cred, "password") == 0,
	    "a removal from a merged folder");
	for (i = 0; i < nitems(bad); i++)
		CHECK(journal_parse(bad[i], &r) == -1, "refused: %s", bad[i]);
}

int
main(void)
{
	char	 big[1024], out[MSGID_MAX], path[] = "/tmp/test_msgid.XXXXXX";
	int	 fd;

	CHECK_STR(id("From: a@b\r\nMessage-ID: <1@example.org>\r\n\r\nx\r\n"),
	    "<1@example.org>");
	CHECK_STR(id("message-id:<2@example.org>\n\n"), "<2@example.org>");
	CHECK_STR(id("Subject: s\nMessage-Id:\n\t<3@example.org> (c)\n\n"),
	    "<3@example.org>");
	CHECK_STR(id("Message-ID: \r\n <4@example.org>\r\n\r\n"),
	    "<4@example.org>");
	CHECK_STR(id("Subject: s\r\n\r\nMessage-ID: <body@x>\r\n"), "none");
	CHECK_STR(id("X-Message-ID: <5@x>\r\nMessage-IDs: <6@x>\r\n\r\n"),
	    "none");
	CHECK_STR(id("Subject: s\r\n Message-ID: <folded-in@x>\r\n\r\n"),
	    "none");
	CHECK_STR(id("Message-ID:\r\n\r\n"), "none");
	CHECK_STR(id("Message-ID:\r\nSubject: <not-it@x>\r\n\r\n"), "none");
	CHECK_STR(id(""), "none");
	CHECK_STR(id("Message-ID: <a\x01" "b\\c\xff@x>\r\n"),
	    "<a\\x01b\\x5cc\\xff@x>");
	CHECK_STR(id("Message-ID: <7@x>"), "<7@x>");

	/* A long one: what fits, never a broken escape. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "Message-ID: <", 13);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(strlen(id(big)), MSGID_MAX - 4);
	msgid_parse("Message-ID: <\x01\x01\x01>", 17, out, 12);
	CHECK_STR(out, "<\\x01\\x01");

	/* From a file, as wrkrpop reads it: the first bytes only. */
	if ((fd = mkstemp(path)) == -1)
		abort();
	(void)unlink(path);
	CHECK_INT(write(fd, "Message-ID: <8@x>\r\n\r\n", 21), 21);
	msgid_read(fd, out, sizeof(out));
	CHECK_STR(out, "<8@x>");
	close(fd);
	msgid_read(fd, out, sizeof(out));
	CHECK_STR(out, "none");

	/* Where junk's subject prefix goes: after "Subject:" and blanks. */
	CHECK_INT(msgid_subject("Subject: hi\r\n\r\n", 15), 9);
	CHECK_INT(msgid_subject("From: a\nsubject:\t \tx\n\n", 24), 19);
	CHECK_INT(msgid_subject("From: a\n\nSubject: body\n", 24), -1);
	CHECK_INT(msgid_subject("From: a\r\n\r\nSubject: body\r\n", 28),
	    -1);
	CHECK_INT(msgid_subject("X-Subject: no\nSubjects: no\n\n", 28), -1);
	CHECK_INT(msgid_subject("From: a\n Subject: folded\n\n", 27), -1);
	CHECK_INT(msgid_subject("Subject:", 8), 8);
	CHECK_INT(msgid_subject("Subject", 7), -1);
	CHECK_INT(msgid_subject("", 0), -1);
	memset(big, 'x', sizeof(big));
	CHECK_INT(msgid_subject(big, sizeof(big)), -1);
	(void)strlcpy(path, "/tmp/test_msgid.XXXXXX", sizeof(path));
	if ((fd = mkstemp(path)) == -1)
		abort();
	(void)unlink(path);
	CHECK_INT(write(fd, "A: b\nSubject: s\n", 17), 17);
	CHECK_INT(msgid_subject_read(fd), 14);
	close(fd);
	CHECK_INT(msgid_subject_read(fd), -1);

	/* junk tag's header already there: a field of the header, YES. */
	CHECK_INT(msgid_spamflag("X-Spam-Flag: YES\r\n\r\nb\r\n", 23), 1);
	CHECK_INT(msgid_spamflag("From: a\nx-spam-flag:yes \n\n", 26), 1);
	CHECK_INT(msgid_spamflag("X-Spam-Flag: NO\n\n", 17), 0);
	CHECK_INT(msgid_spamflag("X-Spam-Flag: YESS\n\n", 19), 0);
	CHECK_INT(msgid_spamflag("X-Spam-Flag: YES\n more\n\n", 24), 0);
	CHECK_INT(msgid_spamflag("From: a\n\nX-Spam-Flag: YES\n", 26), 0);
	CHECK_INT(msgid_spamflag("From: a\r\n\r\nX-Spam-Flag: YES\r\n",
	    29), 0);
	CHECK_INT(msgid_spamflag("X-Spam-Flags: YES\n\n", 19), 0);
	CHECK_INT(msgid_spamflag("", 0), 0);
	(void)strlcpy(path, "/tmp/test_msgid.XXXXXX", sizeof(path));
	if ((fd = mkstemp(path)) == -1)
		abort();
	(void)unlink(path);
	CHECK_INT(write(fd, "A: b\nX-Spam-Flag: YES\n\n", 23), 23);
	CHECK_INT(msgid_spamflag_read(fd), 1);
	close(fd);
	CHECK_INT(msgid_spamflag_read(fd), 0);

	journal_lines();
	return unit_done();
}
