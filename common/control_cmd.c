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
 * control_cmd.c -- popctl's requests: words whole or by unique prefix ("sh
 * ses").  popctl sends canonical words (ctlcmd_line), control takes only those,
 * and the parent compares them with the line.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "control_cmd.h"

#define MAXWORDS	5

enum ctlarg { ARG_NONE, ARG_USER, ARG_NET, ARG_USER_FIND, ARG_UNDELETE,
    ARG_HOST_OPT };

static const struct ctlword {
	const char	*w[3];		/* the fixed words */
	enum ctlarg	 arg;
	uint32_t	 cmd;		/* CTL_* */
	const char	*usage;
} cmds[] = {
	{ { "show", "sessions" }, ARG_NONE, CTL_SHOW_SESSIONS,
	    "show sessions" },
	{ { "show", "stats" }, ARG_NONE, CTL_SHOW_STATS, "show stats" },
	{ { "show", "penalties" }, ARG_NONE, CTL_SHOW_PENALTIES,
	    "show penalties" },
	{ { "show", "metrics" }, ARG_NONE, CTL_SHOW_METRICS, "show metrics" },
	{ { "kick", "user" }, ARG_USER, CTL_KICK_USER, "kick user NAME" },
	{ { "kick", "address" }, ARG_NET, CTL_KICK_ADDRESS,
	    "kick address ADDRESS[/PREFIX]" },
	{ { "unpenalize" }, ARG_NET, CTL_UNPENALIZE,
	    "unpenalize ADDRESS[/PREFIX]" },
	{ { "reload" }, ARG_NONE, CTL_RELOAD, "reload" },
	{ { "log", "verbose" }, ARG_NONE, CTL_LOG_VERBOSE, "log verbose" },
	{ { "log", "brief" }, ARG_NONE, CTL_LOG_BRIEF, "log brief" },
	{ { "report", "mda", "delivered" }, ARG_NONE, CTL_MDA_DELIVERED,
	    "report mda delivered" },
	{ { "report", "mda", "deferred" }, ARG_NONE, CTL_MDA_DEFERRED,
	    "report mda deferred" },
	{ { "report", "mda", "quota" }, ARG_NONE, CTL_MDA_QUOTA,
	    "report mda quota" },
	{ { "show", "quota" }, ARG_USER, CTL_SHOW_QUOTA, "show quota NAME" },
	{ { "show", "app-passwords" }, ARG_USER, CTL_SHOW_APPS,
	    "show app-passwords NAME" },
	{ { "show", "user" }, ARG_USER_FIND, CTL_SHOW_USER,
	    "show user NAME [UIDL | MESSAGE-ID]" },
	{ { "undelete" }, ARG_UNDELETE, CTL_UNDELETE,
	    "undelete NAME [all | since TIME | UIDL | MESSAGE-ID]" },
	{ { "show", "certificates" }, ARG_NONE, CTL_SHOW_CERTS,
	    "show certificates" },
	{ { "show", "backends" }, ARG_NONE, CTL_SHOW_BACKENDS,
	    "show backends" },
	{ { "drain" }, ARG_HOST_OPT, CTL_DRAIN, "drain [BACKEND]" },
	{ { "undrain" }, ARG_HOST_OPT, CTL_UNDRAIN, "undrain [BACKEND]" },
};

static int
fixed(const struct ctlword *c)
{
	int	n = 0;

	while (n < (int)nitems(c->w) && c->w[n] != NULL)
		n++;
	return n;
}

/* Bytes outside 0x20-0x7e and quotes as '?': what a refusal may echo back. */
static void
quote(char *dst, size_t size, const char *s, size_t len)
{
	char	buf[64];
	size_t	i, n = len > 48 ? 48 : len;

	for (i = 0; i < n; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' ? s[i] :
		    '?';
	buf[n] = '\0';
	(void)snprintf(dst, size, "\"%s%s\"", buf, n < len ? "..." : "");
}

static int
parse_net(const char *s, struct netaddr *n, const char **errstr)
{
	const char	*slash;
	int		 i;

	/* A prefix length is digits only: no sign, no space. */
	if ((slash = strchr(s, '/')) != NULL &&
	    (slash[1] < '0' || slash[1] > '9')) {
		*errstr = "prefix length is invalid";
		return -1;
	}
	if (net_parse(s, n, errstr) == -1)
		return -1;
	for (i = 0; i < 16; i++) {
		if (i * 8 >= n->bits)
			n->addr[i] = 0;
		else if (i * 8 + 8 > n->bits)
			n->addr[i] &= 0xff << (8 - (n->bits - i * 8));
	}
	return 0;
}

/* A time ago as negative seconds, so a line parses the same twice. */
static int
parse_since(const char *s, int64_t *since)
{
	static const char	 units[] = "smhd";	/* its NUL: seconds */
	static const long long	 secs[] = { 1, 60, 3600, 86400, 1 };
	char			 day[32];
	const char		*end, *u;
	long long		 v = 0, mult;
	size_t			 n;
	time_t			 t;

	n = strspn(s, "0123456789");
	if (n > 0 && n <= 9 && (s[n] == '\0' || s[n + 1] == '\0')) {
		if ((u = strchr(units, s[n])) == NULL)
			return -1;
		mult = secs[u - units];
		for (end = s; end < s + n; end++)
			v = v * 10 + (*end - '0');
		if (v == 0 || v * mult > CTL_SINCE_AGO_MAX)
			return -1;
		*since = -v * mult;
		return 0;
	}
	if (strlen(s) == 10 && snprintf(day, sizeof(day), "%sT00:00:00Z",
	    s) == 20)
		s = day;
	if (utc_parse(s, &t) == -1)
		return -1;
	*since = t;
	return 0;
}

/* -1 if the line is too long or holds a byte outside 0x20-0x7e. */
static int
split_words(const char *line, size_t len, char *buf, size_t size,
    char **words)
{
	char	*p;
	size_t	 k;
	int	 nwords = 0;

	if (len >= size || memchr(line, '\0', len) != NULL)
		return -1;
	for (k = 0; k < len; k++)
		if (line[k] < 0x20 || line[k] >= 0x7f)
			return -1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (p = buf; nwords <= MAXWORDS; ) {
		while (*p == ' ')
			*p++ = '\0';
		if (*p == '\0')
			break;
		words[nwords++] = p;
		p += strcspn(p, " ");
	}
	return nwords;
}

static int
match_command(char **words, int nwords, const char *q,
    const struct ctlword **only, char *err, size_t errlen)
{
	const struct ctlword	*c;
	const char		*seen;
	int			 alive[nitems(cmds)], i, exact;
	size_t			 k;

	for (k = 0; k < nitems(cmds); k++)
		alive[k] = 1;
	for (i = 0; i < nwords; i++) {
		exact = 0;
		seen = NULL;
		for (k = 0; k < nitems(cmds); k++) {
			c = &cmds[k];
			if (!alive[k] || i >= fixed(c))
				continue;	/* words[i] is its argument */
			if (strncmp(c->w[i], words[i], strlen(words[i])) != 0)
				alive[k] = 0;
			else if (strcmp(c->w[i], words[i]) == 0)
				exact = 1;
		}
		/* A whole word wins over longer ones it begins. */
		for (k = 0; k < nitems(cmds); k++) {
			c = &cmds[k];
			if (!alive[k] || i >= fixed(c))
				continue;
			if (exact && strcmp(c->w[i], words[i]) != 0)
				alive[k] = 0;
			else if (seen != NULL && strcmp(seen, c->w[i]) != 0) {
				(void)snprintf(err, errlen, "ambiguous word "
				    "\"%s\" in %s", words[i], q);
				return -1;
			} else
				seen = c->w[i];
		}
		if (seen == NULL)
			break;		/* the argument, or too many words */
	}
	for (*only = NULL, k = 0; k < nitems(cmds); k++) {
		if (!alive[k])
			continue;
		if (fixed(&cmds[k]) > nwords) {
			(void)snprintf(err, errlen, "incomplete command %s: "
			    "%s ...", q, cmds[k].w[0]);
			return -1;
		}
		*only = &cmds[k];
	}
	return 0;
}

static int
arg_user(const struct ctlword *c, char **args, int nargs,
    struct msg_ctlreq *req, char *err, size_t errlen)
{
	if (strlcpy(req->user, args[0], sizeof(req->user)) >=
	    sizeof(req->user)) {
		(void)snprintf(err, errlen, "%s: a name of at most %d "
		    "characters", c->usage, POPD_MAXUSER);
		return -1;
	}
	return 0;
}

static int
arg_find(const struct ctlword *c, char **args, int nargs,
    struct msg_ctlreq *req, char *err, size_t errlen)
{
	if (nargs == 2 && strlcpy(req->find, args[1], sizeof(req->find)) >=
	    sizeof(req->find)) {
		(void)snprintf(err, errlen, "%s: a UIDL or Message-ID "
		    "of at most %d characters", c->usage, WORKER_FINDMAX - 1);
		return -1;
	}
	return arg_user(c, args, nargs, req, err, errlen);
}

static int
arg_undelete(const struct ctlword *c, char **args, int nargs,
    struct msg_ctlreq *req, char *err, size_t errlen)
{
	char	q[64];

	if (nargs == 3 && strcmp(args[1], "since") == 0) {
		if (parse_since(args[2], &req->since) == -1) {
			quote(q, sizeof(q), args[2], strlen(args[2]));
			(void)snprintf(err, errlen, "undelete: since "
			    "%s: a time ago (90s, 10m, 2h, 3d) or a "
			    "UTC date (2026-11-26T04:55:12Z)", q);
			return -1;
		}
	} else if (nargs == 3 || (nargs == 2 &&
	    strcmp(args[1], "since") == 0)) {
		(void)snprintf(err, errlen, "%s: %s", c->usage,
		    nargs == 2 ? "since needs a TIME" : "too many arguments");
		return -1;
	} else if (nargs == 2 && strcmp(args[1], "all") != 0)
		return arg_find(c, args, nargs, req, err, errlen);
	return arg_user(c, args, nargs, req, err, errlen);
}

static int
arg_net(const struct ctlword *c, char **args, int nargs,
    struct msg_ctlreq *req, char *err, size_t errlen)
{
	const char	*errstr;
	char		 q[64];

	if (parse_net(args[0], &req->net, &errstr) == -1) {
		quote(q, sizeof(q), args[0], strlen(args[0]));
		(void)snprintf(err, errlen, "%s %s: %s", c->w[1] != NULL ?
		    "kick address" : "unpenalize", q, errstr);
		return -1;
	}
	return 0;
}

static int
arg_host(const struct ctlword *c, char **args, int nargs,
    struct msg_ctlreq *req, char *err, size_t errlen)
{
	const char	*errstr;
	char		 q[64];

	if (nargs == 0)
		return 0;
	if (strchr(args[0], '/') != NULL ||
	    parse_net(args[0], &req->net, &errstr) == -1) {
		quote(q, sizeof(q), args[0], strlen(args[0]));
		(void)snprintf(err, errlen, "%s %s: not an IP address",
		    c->w[0], q);
		return -1;
	}
	return 0;
}

static const struct ctlargs {
	int		 min, max;
	const char	*toomany;
	int		(*parse)(const struct ctlword *, char **, int,
			    struct msg_ctlreq *, char *, size_t);
} ctlargs[] = {
	[ARG_NONE] = { 0, 0, NULL, NULL },
	[ARG_USER] = { 1, 1, "one argument only", arg_user },
	[ARG_NET] = { 1, 1, "one argument only", arg_net },
	[ARG_USER_FIND] = { 1, 2, "two arguments at most", arg_find },
	[ARG_UNDELETE] = { 1, 3, "too many arguments", arg_undelete },
	[ARG_HOST_OPT] = { 0, 1, "one argument at most", arg_host },
};

/* A CR before the LF is taken off too.  why is printable. */
int
ctlcmd_parse(const char *line, size_t len, struct msg_ctlreq *req,
    char *err, size_t errlen)
{
	char			 buf[CTL_LINEMAX], q[64];
	char			*words[MAXWORDS + 1];
	const struct ctlword	*only;
	const struct ctlargs	*a;
	int			 nwords, nargs;

	memset(req, 0, sizeof(*req));
	if (len > 0 && line[len - 1] == '\r')
		len--;
	quote(q, sizeof(q), line, len);
	if ((nwords = split_words(line, len, buf, sizeof(buf), words)) == -1)
		goto unknown;
	if (nwords == 0) {
		(void)snprintf(err, errlen, "empty request");
		return -1;
	}
	if (nwords > MAXWORDS)
		goto unknown;
	if (match_command(words, nwords, q, &only, err, errlen) == -1)
		return -1;
	if (only == NULL)
		goto unknown;

	a = &ctlargs[only->arg];
	nargs = nwords - fixed(only);
	if (nargs > a->max && a->toomany == NULL)
		goto unknown;
	if (nargs > a->max || nargs < a->min) {
		(void)snprintf(err, errlen, "%s: %s", only->usage,
		    nargs < a->min ? "an argument is missing" : a->toomany);
		return -1;
	}
	req->cmd = only->cmd;
	if (a->parse != NULL && a->parse(only, words + fixed(only), nargs,
	    req, err, errlen) == -1) {
		memset(req, 0, sizeof(*req));
		return -1;
	}
	return 0;
 unknown:
	(void)snprintf(err, errlen, "unknown command %s", q);
	return -1;
}

/* Two requests never have the same line. */
int
ctlcmd_line(const struct msg_ctlreq *req, char *buf, size_t len)
{
	const struct ctlword	*c = NULL;
	struct tm		 tm;
	time_t			 t;
	char			 arg[INET6_ADDRSTRLEN + 8], when[32];
	long long		 ago;
	size_t			 k, n;
	int			 i;

	for (k = 0; k < nitems(cmds) && c == NULL; k++)
		if (cmds[k].cmd == req->cmd)
			c = &cmds[k];
	/* undelete takes "all" and "since" as words, never as a message. */
	if (c == NULL || len == 0 || (c->arg == ARG_UNDELETE &&
	    (strcmp(req->find, "all") == 0 || strcmp(req->find, "since") == 0)))
		return -1;
	buf[0] = '\0';
	for (i = 0; i < fixed(c); i++)
		(void)snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
		    i > 0 ? " " : "", c->w[i]);
	when[0] = '\0';
	if (req->since < 0) {
		ago = -req->since;
		(void)snprintf(when, sizeof(when), "%lld%c", ago % 86400 == 0 ?
		    ago / 86400 : ago % 3600 == 0 ? ago / 3600 : ago % 60 == 0 ?
		    ago / 60 : ago, ago % 86400 == 0 ? 'd' : ago % 3600 == 0 ?
		    'h' : ago % 60 == 0 ? 'm' : 's');
	} else if (req->since > 0) {
		t = req->since;
		if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when),
		    "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			return -1;
	}
	if ((n = strlen(buf)) + 1 >= len)
		return -1;
	if (c->arg == ARG_USER || c->arg == ARG_USER_FIND ||
	    c->arg == ARG_UNDELETE)
		n += snprintf(buf + n, len - n, " %s%s%s%s%s", req->user,
		    req->find[0] != '\0' ? " " : "", req->find,
		    when[0] != '\0' ? " since " : "", when);
	else if (c->arg != ARG_NONE && req->net.af != 0) {
		(void)net_str(&req->net, arg, sizeof(arg));
		n += snprintf(buf + n, len - n, " %s", arg);
	}
	return n < len ? 0 : -1;
}

const char *
ctlcmd_usage(size_t i)
{
	return i < nitems(cmds) ? cmds[i].usage : NULL;
}

const char *
ctlcmd_verb(uint32_t cmd)
{
	size_t	k;

	for (k = 0; k < nitems(cmds); k++)
		if (cmds[k].cmd == cmd)
			return cmds[k].w[0];
	return "?";
}
