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
 * pop3.c -- the POP3 command line parser and the CAPA list, shared by
 * authpop (AUTHORIZATION) and wrkrpop (TRANSACTION).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include "b64.h"
#include "pop3.h"

static const struct {
	const char	*name;
	enum pop3_cmd	 cmd;
} cmds[] = {
	{ "APOP", CMD_APOP },
	{ "AUTH", CMD_AUTH },
	{ "CAPA", CMD_CAPA },
	{ "DELE", CMD_DELE },
	{ "LAST", CMD_LAST },
	{ "LIST", CMD_LIST },
	{ "NOOP", CMD_NOOP },
	{ "PASS", CMD_PASS },
	{ "QUIT", CMD_QUIT },
	{ "RETR", CMD_RETR },
	{ "RSET", CMD_RSET },
	{ "STAT", CMD_STAT },
	{ "STLS", CMD_STLS },
	{ "TOP", CMD_TOP },
	{ "UIDL", CMD_UIDL },
	{ "USER", CMD_USER },
};

/*
 * Split one command line (without its CRLF) into a keyword and up to two
 * arguments.  Keywords are case-insensitive (RFC 1939 section 3).  PASS
 * takes the rest of the line as one argument, since passwords may hold
 * spaces.  Returns POP3_OK or a negative POP3_E* code; l->cmd is
 * CMD_UNKNOWN for a keyword we do not know.
 */
int
pop3_parse(struct pop3_line *l, const char *line, size_t len)
{
	char	*p;
	size_t	 i, n;

	memset(l, 0, sizeof(*l));
	l->cmd = CMD_UNKNOWN;
	if (len > POP3_MAXLINE - 2)
		return POP3_ETOOLONG;
	for (i = 0; i < len; i++)
		if (line[i] == '\0' || line[i] == '\r' || line[i] == '\n')
			return POP3_EBADCHAR;
	memcpy(l->buf, line, len);
	l->buf[len] = '\0';

	p = l->buf;
	n = strcspn(p, " ");
	if (n == 0 || n > 4)
		return POP3_OK;
	for (i = 0; i < n; i++)
		l->name[i] = toupper((unsigned char)p[i]);
	l->name[n] = '\0';
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(l->name, cmds[i].name) == 0)
			l->cmd = cmds[i].cmd;
	p += n;
	if (*p == '\0')
		return POP3_OK;
	*p++ = '\0';
	if (l->cmd == CMD_PASS) {
		l->args[0] = p;
		l->nargs = 1;
		return POP3_OK;
	}
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (l->nargs == 2)
			return POP3_EARG;
		l->args[l->nargs++] = p;
		n = strcspn(p, " ");
		/*
		 * RFC 2449's 40-octet argument limit is for message numbers
		 * and the like: user names may be longer (POPD_MAXUSER) and
		 * an AUTH initial response fills the line (RFC 5034).
		 */
		if (n > POP3_MAXARG && l->cmd != CMD_USER && l->cmd != CMD_AUTH)
			return POP3_EARG;
		p += n;
		if (*p == ' ')
			*p++ = '\0';
	}
	return POP3_OK;
}

/*
 * The CAPA response body, multi-line terminator included: flags say what
 * this session may do; expire (days, -1: never) and login_delay (seconds,
 * 0: none) are the site's policy.  Every line is well under POP3_MAXLINE
 * octets.
 */
const char *
pop3_capa(int flags, int expire, int login_delay)
{
	static char	buf[512];
	char		exp[16] = "NEVER", delay[32] = "";

	/* RFC 2449: what popd enforces, in both states. */
	if (expire >= 0)
		(void)snprintf(exp, sizeof(exp), "%d", expire);
	if (login_delay > 0)
		(void)snprintf(delay, sizeof(delay), "LOGIN-DELAY %d\r\n",
		    login_delay);
	(void)snprintf(buf, sizeof(buf), "+OK capability list follows\r\n"
	    "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n"
	    "%s%s%sEXPIRE %s\r\n%sIMPLEMENTATION popd\r\n.\r\n",
	    (flags & CAPA_USER) ? "USER\r\n" : "",
	    (flags & CAPA_SASL) ? "SASL PLAIN\r\n" : "",
	    (flags & CAPA_STLS) ? "STLS\r\n" : "", exp, delay);
	return buf;
}

/*
 * Decode an AUTH PLAIN response (RFC 4616): base64 (RFC 4648, padded) of
 * "[authzid] NUL authcid NUL passwd".  An authzid must be empty or name
 * the authcid itself: nobody logs in as somebody else.  Fills user and
 * pass, NUL-terminated.  Returns 0, or -1 if the response is malformed
 * or does not fit.  The decoded copy is wiped either way.
 */
int
pop3_sasl_plain(const char *b64, char *user, size_t usize, char *pass,
    size_t psize)
{
	unsigned char	 raw[POP3_SASL_MAXLINE / 4 * 3];
	unsigned char	*cid, *pw, *nul;
	size_t		 n, zlen, clen, plen;
	int		 rv = -1;

	if (b64_decode(b64, raw, sizeof(raw), &n) == -1)
		goto done;
	if ((nul = memchr(raw, '\0', n)) == NULL)
		goto done;
	zlen = nul - raw;
	cid = nul + 1;
	if ((nul = memchr(cid, '\0', n - (cid - raw))) == NULL)
		goto done;
	clen = nul - cid;
	pw = nul + 1;
	plen = n - (pw - raw);
	/* A password is any octets but NUL, CR and LF (as auth_http's). */
	if (clen == 0 || plen == 0 || memchr(pw, '\0', plen) != NULL ||
	    memchr(pw, '\r', plen) != NULL || memchr(pw, '\n', plen) != NULL)
		goto done;
	if (zlen != 0 && (zlen != clen || memcmp(raw, cid, clen) != 0)) {
		/* Well formed, but we do not log in as somebody else. */
		rv = -2;
		goto done;
	}
	if (clen >= usize || plen >= psize)
		goto done;
	memcpy(user, cid, clen);
	user[clen] = '\0';
	memcpy(pass, pw, plen);
	pass[plen] = '\0';
	rv = 0;
 done:
	explicit_bzero(raw, sizeof(raw));
	return rv;
}

/*
 * A message number or line count as RFC 1939 writes them: one or more
 * digits, nothing else.  Returns the value, LLONG_MAX for anything
 * larger, or -1 when it is not a number.
 */
long long
pop3_number(const char *s)
{
	long long	n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (n > (LLONG_MAX - 9) / 10)
			n = LLONG_MAX;
		else
			n = n * 10 + (*s - '0');
	}
	return n;
}

/*
 * Line framing, shared by authpop and wrkrpop.  Feed it bytes; it takes
 * them up to and including the first LF (*used says how many) and
 * answers FRAME_MORE until a line is complete, then FRAME_LINE with the
 * line in fr->line, CRLF or bare LF removed and NUL-terminated, or
 * FRAME_TOOLONG for a line of more than max octets (its terminator
 * included), which is dropped up to its LF so that the session goes on
 * (RFC 2449: 255 octets for commands, authpop allows more for SASL).
 * The caller wipes the line with pop3_frame_reset when it is done.
 */
int
pop3_frame(struct pop3_framer *fr, const char *p, size_t n, size_t max,
    size_t *used)
{
	const char	*lf;
	size_t		 take;

	if (max > sizeof(fr->line) - 1)
		max = sizeof(fr->line) - 1;
	lf = memchr(p, '\n', n);
	take = lf != NULL ? (size_t)(lf - p) + 1 : n;
	*used = take;
	if (fr->toolong || fr->len + take > max)
		fr->toolong = 1;
	else {
		memcpy(fr->line + fr->len, p, take);
		fr->len += take;
	}
	if (lf == NULL)
		return FRAME_MORE;
	if (fr->toolong) {
		pop3_frame_reset(fr);
		return FRAME_TOOLONG;
	}
	fr->len--;
	if (fr->len > 0 && fr->line[fr->len - 1] == '\r')
		fr->len--;
	fr->line[fr->len] = '\0';
	return FRAME_LINE;
}

/* Ready for the next line; what the last one held is wiped. */
void
pop3_frame_reset(struct pop3_framer *fr)
{
	explicit_bzero(fr, sizeof(*fr));
}
