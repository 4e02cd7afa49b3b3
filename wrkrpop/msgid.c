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
 * msgid.c -- a message's Message-ID for the log, and junk's Subject prefix and
 * X-Spam-Flag, from the first MSGID_HEAD bytes.  Bytes outside printable
 * ASCII, and the backslash, are written as \xNN, so that a log line keeps one
 * word for it whatever the message says.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "wrkrpop.h"

#define FIELD		"Message-ID:"

static const char *
field(const char *p, const char *end, const char *name)
{
	const char	*nl;
	size_t		 len = strlen(name);

	while (p < end && *p != '\n' && !(*p == '\r' && end - p > 1 &&
	    p[1] == '\n')) {
		if ((size_t)(end - p) >= len && strncasecmp(p, name, len) == 0)
			return p;
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			break;
		p = nl + 1;
	}
	return NULL;
}

static int
wsp(char c)
{
	return c == ' ' || c == '\t';
}

void
msgid_parse(const char *p, size_t len, char *out, size_t outlen)
{
	const char	*end = p + (len < MSGID_HEAD ? len : MSGID_HEAD);
	size_t		 n = 0;
	unsigned char	 c;

	(void)strlcpy(out, "none", outlen);
	if ((p = field(p, end, FIELD)) == NULL)
		return;		/* the header ended without one */
	/* Blanks, and a fold: CRLF (or LF) and a blank. */
	for (p += sizeof(FIELD) - 1; p < end; p++) {
		if (wsp(*p))
			continue;
		if (*p == '\r' && end - p > 2 && p[1] == '\n' && wsp(p[2]))
			p++;
		else if (!(*p == '\n' && end - p > 1 && wsp(p[1])))
			break;
	}
	for (; p < end && !wsp(*p) && *p != '\r' && *p != '\n'; p++) {
		c = *p;
		if (n + 5 > outlen)
			break;		/* the rest of a long one is lost */
		if (c > 0x20 && c < 0x7f && c != '\\')
			out[n++] = c;
		else
			n += snprintf(out + n, outlen - n, "\\x%02x", c);
	}
	if (n > 0)
		out[n] = '\0';
}

void
msgid_read(int fd, char *out, size_t outlen)
{
	char	buf[MSGID_HEAD];
	ssize_t	n;

	n = pread(fd, buf, sizeof(buf), 0);
	msgid_parse(buf, n > 0 ? n : 0, out, outlen);
}

/*
 * A message is looked at twice, to count its size and to send it, and the
 * offset must be the same: it depends on these bytes only.
 */
off_t
msgid_subject(const char *p, size_t len)
{
	const char	*start = p, *end = p + (len < MSGID_HEAD ? len :
			    MSGID_HEAD);

	if ((p = field(p, end, "Subject:")) == NULL)
		return -1;
	for (p += sizeof("Subject:") - 1; p < end && wsp(*p); p++)
		;
	return p - start;
}

off_t
msgid_subject_read(int fd)
{
	char	buf[MSGID_HEAD];
	ssize_t	n;

	n = pread(fd, buf, sizeof(buf), 0);
	return msgid_subject(buf, n > 0 ? n : 0);
}

/* It depends on these bytes only, as msgid_subject. */
int
msgid_spamflag(const char *p, size_t len)
{
	const char	*end = p + (len < MSGID_HEAD ? len : MSGID_HEAD), *nl;
	size_t		 flen = sizeof("X-Spam-Flag:") - 1;

	for (; (p = field(p, end, "X-Spam-Flag:")) != NULL; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			break;
		for (p += flen; p < nl && wsp(*p); p++)
			;
		if (nl - p >= 3 && strncasecmp(p, "YES", 3) == 0) {
			for (p += 3; p < nl && (wsp(*p) || *p == '\r'); p++)
				;
			/* Not folded: the value is all there. */
			if (p == nl && !(nl + 1 < end && wsp(nl[1])))
				return 1;
		}
	}
	return 0;
}

int
msgid_spamflag_read(int fd)
{
	char	buf[MSGID_HEAD];
	ssize_t	n;

	n = pread(fd, buf, sizeof(buf), 0);
	return msgid_spamflag(buf, n > 0 ? n : 0);
}
