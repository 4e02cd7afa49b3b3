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
 * line must not carry as they are.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "wrkrpop.h"
#include "unit.h"

static const char *
id(const char *hdr)
{
	static char	out[MSGID_MAX];

	msgid_parse(hdr, strlen(hdr), out, sizeof(out));
	return out;
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
	return unit_done();
}
