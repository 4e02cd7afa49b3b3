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
 * lmtp_cmd.c -- LMTP command lines and the DATA stream.  Paths are 0x21-0x7E
 * only, as the parent's user lookup and the logs need.  A bare CR or LF in
 * DATA stays as it is: "LF.LF" or "LF.CRLF" is data (DESIGN 24).
 */
#include <sys/types.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lmtp_cmd.h"

#define E_UNKNOWN	"500 5.5.1 unknown command"
#define E_HELO		"500 5.5.1 this is LMTP: use LHLO"
#define E_TOOLONG	"500 5.5.2 line too long"
#define E_CHARS		"501 5.5.4 invalid character in command"
#define E_LHLO		"501 5.5.4 syntax: LHLO hostname"
#define E_MAIL		"501 5.5.4 syntax: MAIL FROM:<address>"
#define E_RCPT		"501 5.5.4 syntax: RCPT TO:<address>"
#define E_VRFY		"501 5.5.4 syntax: VRFY address"
#define E_NOARGS	"501 5.5.4 no parameters allowed"
#define E_SIZE		"501 5.5.4 bad SIZE parameter"
#define E_BODY		"501 5.5.4 bad BODY parameter"
#define E_DUP		"501 5.5.4 parameter given twice"
#define E_PARAM		"555 5.5.4 unsupported parameter"
#define E_ADDR		"553 5.1.3 invalid character or syntax in address"
#define E_ADDRLONG	"553 5.1.3 address too long"
#define E_EMPTY		"553 5.1.3 empty address"

static const struct {
	const char	*name;
	enum lmtp_verb	 verb;
} verbs[] = {
	{ "LHLO", LMTP_LHLO },
	{ "HELO", LMTP_HELO },
	{ "EHLO", LMTP_HELO },
	{ "MAIL", LMTP_MAIL },
	{ "RCPT", LMTP_RCPT },
	{ "DATA", LMTP_DATA },
	{ "RSET", LMTP_RSET },
	{ "NOOP", LMTP_NOOP },
	{ "QUIT", LMTP_QUIT },
	{ "VRFY", LMTP_VRFY },
};

/* ASCII case: no program of popd calls setlocale(3). */
static int
word_is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

static int
printable(const char *p, const char *end)
{
	for (; p < end; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p > '~')
			return 0;
	return 1;
}

static const char *
param_size(const char *p, const char *end, struct lmtp_cmd *cmd)
{
	long long	n = 0;
	int		d;

	if (cmd->size != -1)
		return E_DUP;
	if (p == end)
		return E_SIZE;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return E_SIZE;
		d = *p - '0';
		if (n > (LLONG_MAX - d) / 10)
			return E_SIZE;
		n = n * 10 + d;
	}
	cmd->size = n;
	return NULL;
}

static const char *
param_body(const char *p, const char *end, struct lmtp_cmd *cmd)
{
	if (cmd->body != LMTP_BODY_NONE)
		return E_DUP;
	if (word_is(p, end - p, "7BIT"))
		cmd->body = LMTP_BODY_7BIT;
	else if (word_is(p, end - p, "8BITMIME"))
		cmd->body = LMTP_BODY_8BITMIME;
	else
		return E_BODY;
	return NULL;
}

static const char *
parse_path(const char *p, const char *end, const char *kw, int mail,
    struct lmtp_cmd *cmd)
{
	const char	*esyntax = mail ? E_MAIL : E_RCPT;
	const char	*open, *gt, *a, *colon, *q, *why;
	size_t		 kwlen = strlen(kw), alen;
	unsigned char	 c;

	if ((size_t)(end - p) < kwlen || !word_is(p, kwlen, kw))
		return esyntax;
	p += kwlen;
	if (p < end && *p == ' ')
		p++;
	if (p == end || *p != '<')
		return esyntax;
	open = ++p;
	for (gt = open; gt < end && *gt != '>'; gt++) {
		c = *gt;
		if (c <= ' ' || c > '~' || c == '<')
			return E_ADDR;
	}
	if (gt == end)
		return esyntax;

	/* A source route, "@a,@b:", is obsolete: drop it (RFC 5321 C). */
	a = open;
	if (a < gt && *a == '@') {
		if ((colon = memchr(a, ':', gt - a)) == NULL)
			return E_ADDR;
		a = colon + 1;
	}
	alen = gt - a;
	/* "<>" is the null sender, of MAIL only. */
	if (alen == 0 && (!mail || a != open))
		return E_EMPTY;
	if (alen > LMTP_MAXADDR)
		return E_ADDRLONG;
	memcpy(cmd->path, a, alen);
	cmd->path[alen] = '\0';

	for (p = gt + 1; p < end; p = q) {
		if (*p++ != ' ')
			return esyntax;
		for (q = p; q < end && *q != ' '; q++)
			;
		if (q == p)
			return esyntax;
		if (!printable(p, q))
			return E_CHARS;
		if (!mail)
			return E_PARAM;
		if ((size_t)(q - p) >= 5 && word_is(p, 5, "SIZE="))
			why = param_size(p + 5, q, cmd);
		else if ((size_t)(q - p) >= 5 && word_is(p, 5, "BODY="))
			why = param_body(p + 5, q, cmd);
		else
			why = E_PARAM;
		if (why != NULL)
			return why;
	}
	return NULL;
}

/*
 * Fills the verb even when the line is bad.  Returns NULL, or the error reply.
 */
const char *
lmtp_parse(const char *line, size_t len, struct lmtp_cmd *cmd)
{
	const char	*end = line + len, *args;
	size_t		 i, vlen;

	memset(cmd, 0, sizeof(*cmd));
	cmd->verb = LMTP_UNKNOWN;
	cmd->size = -1;
	if (len > LMTP_MAXLINE - 2)
		return E_TOOLONG;
	for (vlen = 0; vlen < len && line[vlen] != ' '; vlen++)
		;
	for (i = 0; i < nitems(verbs); i++)
		if (word_is(line, vlen, verbs[i].name))
			cmd->verb = verbs[i].verb;
	args = line + vlen;

	switch (cmd->verb) {
	case LMTP_UNKNOWN:
		return E_UNKNOWN;
	case LMTP_HELO:
		return E_HELO;
	case LMTP_LHLO:
		if (end - args < 2 || args[1] == ' ')
			return E_LHLO;
		return printable(args, end) ? NULL : E_CHARS;
	case LMTP_MAIL:
		return parse_path(args, end, " FROM:", 1, cmd);
	case LMTP_RCPT:
		return parse_path(args, end, " TO:", 0, cmd);
	case LMTP_DATA:
	case LMTP_RSET:
	case LMTP_QUIT:
		return args == end ? NULL : E_NOARGS;
	case LMTP_VRFY:
		if (end - args < 2)
			return E_VRFY;
		return printable(args, end) ? NULL : E_CHARS;
	case LMTP_NOOP:
		return printable(args, end) ? NULL : E_CHARS;
	}
	return E_UNKNOWN;
}

#define D_BOL		0	/* at the start of a line */
#define D_DOT		1	/* a line began with ".": stuffing or the end */
#define D_MID		2	/* within a line */

void
lmtp_data_init(struct lmtp_data *st)
{
	st->state = D_BOL;
	st->done = 0;
}

/*
 * A last CR waits for the byte after it: the caller offers it again with more.
 * What follows the final CRLF "." CRLF is pipelined commands, not consumed.
 */
size_t
lmtp_data(struct lmtp_data *st, const char *in, size_t len, char *out,
    size_t *outlen, int *done)
{
	size_t	i = 0, o = 0;

	while (i < len && !st->done) {
		if (in[i] == '.' && st->state == D_BOL) {
			st->state = D_DOT;
			i++;
		} else if (in[i] == '\r') {
			if (i + 1 == len)
				break;
			if (in[i + 1] != '\n') {
				/* A bare CR is data. */
				out[o++] = '\r';
				i++;
				st->state = D_MID;
			} else if (st->state == D_DOT) {
				i += 2;
				st->done = 1;
			} else {
				out[o++] = '\n';
				i += 2;
				st->state = D_BOL;
			}
		} else {
			/* A bare LF too: the line goes on. */
			out[o++] = in[i++];
			st->state = D_MID;
		}
	}
	*outlen = o;
	*done = st->done;
	return i;
}

/*
 * Each key is tried only if the one before is no user.  Some may be equal, or
 * no user name.
 */
int
lmtp_rcpt_keys(const char *addr, char keys[][LMTP_MAXADDR + 1])
{
	const char	*at, *plus;
	int		 n = 0;

	(void)strlcpy(keys[n++], addr, LMTP_MAXADDR + 1);
	at = strrchr(addr, '@');
	plus = strchr(addr, '+');
	if (plus != NULL && (at == NULL || plus < at)) {
		(void)snprintf(keys[n], LMTP_MAXADDR + 1, "%.*s%s",
		    (int)(plus - addr), addr, at != NULL ? at : "");
		n++;
	}
	if (at != NULL) {
		(void)strlcpy(keys[n], keys[n - 1], LMTP_MAXADDR + 1);
		*strrchr(keys[n], '@') = '\0';
		n++;
	}
	return n;
}
