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
 * PASS takes the rest of the line as one argument: passwords may hold spaces.
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
		/* RFC 2449's 40 octets are for numbers, not names nor AUTH. */
		if (n > POP3_MAXARG && l->cmd != CMD_USER && l->cmd != CMD_AUTH)
			return POP3_EARG;
		p += n;
		if (*p == ' ')
			*p++ = '\0';
	}
	return POP3_OK;
}

/* Every line is well under POP3_MAXLINE. */
const char *
pop3_capa(int flags, int expire, int login_delay)
{
	static char	buf[512];
	char		exp[16] = "NEVER", delay[32] = "";

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

/* authzid empty or the authcid: nobody logs in as somebody else. */
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

/* LLONG_MAX for anything larger, -1 if not a number. */
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

/* An overlong line is dropped up to its LF and the session goes on. */
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

void
pop3_frame_reset(struct pop3_framer *fr)
{
	explicit_bzero(fr, sizeof(*fr));
}
