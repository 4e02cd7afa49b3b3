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
 * The popd.conf(5) grammar and lexer, shaped as the OpenBSD daemons'.
 * Parsing goes on after an error so the admin sees every mistake at once.
 * Files are opened with open_regular(): a FIFO would hang the parent.  A
 * NUL byte is an error (it would end a word unseen), and so is a macro
 * with a newline (it would reset the bound on expansions within a line).
 */
%{
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "settings.h"
#include "config.h"
#include "quotarule.h"

#define MAXINCLUDE	16	/* nested include files */
#define MAXEXPAND	64	/* macro expansions in one line */
#define MAXTOKEN	8192

/* A file being read: the top file and the include files it opened. */
struct file {
	TAILQ_ENTRY(file)	 entry;
	FILE			*stream;
	char			*name;
	int			 lineno;
	dev_t			 dev;
	ino_t			 ino;
	unsigned char		*unget;		/* pushed back, last first */
	size_t			 nunget, unget_size;
	int			 eof_nl;	/* the '\n' at EOF was given */
	int			 nul_line;	/* a NUL byte reported here */
};
TAILQ_HEAD(files, file);

/* A macro; -D ones (persist) outlive a parse and win over the file's. */
struct sym {
	TAILQ_ENTRY(sym)	 entry;
	char			*name;
	char			*val;
	int			 persist;
};
TAILQ_HEAD(syms, sym);

typedef struct {
	union {
		long long	 number;
		char		*string;
		struct {
			char	*name;
			int	 kind;	/* TABSRC_* */
		} tab;
	} v;
	int			 lineno;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED 1

static struct files	 files = TAILQ_HEAD_INITIALIZER(files);
static struct syms	 syms = TAILQ_HEAD_INITIALIZER(syms);
static struct file	*file;
static struct popd_conf	*conf;
static int		 errors;
static int		 expansions;

/*
 * The strings the lexer hands to the grammar, freed all at once when the
 * parse ends: a syntax error drops tokens that no action sees.
 */
static char		**strings;
static size_t		 nstrings, strings_size;

/* The options of the "listen on" statement being read. */
static struct {
	int		 port;
	int		 flags;
	int		 proxy;
	const char	*pki;
	const char	*group;
	const char	*user;
	int		 errors;
} lopts;

/* yylex's: the first word of the statement, if no keyword. */
static const char	*lead_word;
static int		 stmt_tokens, lex_pos;

int		 yyparse(void);
int		 yylex(void);
static int	 lex_token(void);
void		 yyerror(const char *);
static void	 lerror(int, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
/* An error in a listen statement's options: the listener is not added. */
#define lopt_error(...)	(lopts.errors++, lerror(__VA_ARGS__))
static const char	*conftext;	/* parse_config_text's */
static int	 popfile(void);
static const char *symget(const char *);
static void	 where(struct conf_where *, int);
%}

%token	AUTHTAB CACHE CERT EXPIRE FAILUREDELAY INCLUDE JUNK KEY LAST LIMIT LISTEN
%token	LOGINDELAY MAILDIR NEVER NO ON PERADDRESS PKI PORT PROTOCOLS
%token	PROXY PROXYPROTOCOL STARTTLS TIMEOUT TLS UIDLFORMAT
%token	TRUSTED USERTAB YES ERROR SYSTEM TABLE UID GROUP
%token	AUTHHTTP SOCKET ROUTE TICKET TICKETS LMTP CONTROL USER QUOTA LOGIN
%token	WEAKHASHES APPPASSWORDS DELETED HEALTH HTTP LISTENERS REFUSE GROUPS
%token	<v.string>	STRING
%token	<v.number>	NUMBER
%type	<v.number>	yesno time pkipart optrusted listenkind
%type	<v.string>	word strnum
%type	<v.tab>		tabsrc usersrc
%%

grammar		: /* empty */
		| grammar '\n'
		| grammar include '\n'
		| grammar varset '\n'
		| grammar main '\n'
		| grammar error '\n'		{ yyerrok; }
		;

include		: INCLUDE STRING		{
			struct file	*nfile;

			if ((nfile = pushfile($2, $<lineno>1)) != NULL) {
				file = nfile;
				/* Ends the include statement. */
				file->unget[file->nunget++] = '\n';
			}
		}
		;

varset		: STRING '=' strnum		{
			if (!valid_macro_name($1))
				lerror($<lineno>1, "macro name \"%s\" must be "
				    "letters, digits and _", $1);
			else if (symset($1, $3, 0) == -1)
				fatal("symset");
		}
		;

/* A number where a word is read: "system uid 1000", "deleted keep 30". */
strnum		: STRING
		| NUMBER			{
			char	buf[32];

			(void)snprintf(buf, sizeof(buf), "%lld", $1);
			$$ = token_string(buf);
		}
		;

/* refuse groups NAME ...: the primary groups no mail user may have. */
refuse		: STRING			{ add_refuse($1, $<lineno>1); }
		| refuse STRING			{ add_refuse($2, $<lineno>2); }
		;

yesno		: YES				{ $$ = 1; }
		| NO				{ $$ = 0; }
		;

/* Seconds: a number, or a number and a unit, "90s", "10m", "1h". */
time		: NUMBER			{
			if ($1 < 0) {
				lerror($<lineno>1, "time %lld: negative", $1);
				$$ = -1;
			} else
				$$ = $1;
		}
		| STRING			{
			$$ = duration($1, $<lineno>1);
		}
		;

optrusted	: /* empty */			{ $$ = 0; }
		| TRUSTED			{ $$ = 1; }
		;

pkipart		: CERT				{ $$ = 0; }
		| KEY				{ $$ = 1; }
		;

/* A table: a file's path or a table statement's <name>. */
tabsrc		: STRING			{
			$$.name = $1;
			$$.kind = TABSRC_FILE;
		}
		| '<' STRING '>'		{
			$$.name = $2;
			$$.kind = TABSRC_LOOKUP;
		}
		;

/* authtab and usertab: a table, or the system's users. */
usersrc		: tabsrc
		| SYSTEM			{
			$$.name = "system";
			$$.kind = TABSRC_SYSTEM;
		}
		;

main		: AUTHTAB usersrc		{
			set_table(conf->set.authtab, &conf->set.authsrc,
			    &conf->authtab_where, "authtab", $2.name, $2.kind,
			    $<lineno>1);
		}
		| USERTAB usersrc		{
			set_table(conf->set.usertab, &conf->set.usersrc,
			    &conf->usertab_where, "usertab", $2.name, $2.kind,
			    $<lineno>1);
		}
		| TABLE STRING STRING		{
			add_table($2, $3, 0, $<lineno>1);
		}
		| TABLE STRING STRING CACHE time {
			add_table($2, $3, $5 == 0 ? -1 : $5, $<lineno>1);
		}
		| SYSTEM UID strnum		{
			set_system_uid($3, $<lineno>1);
		}
		| SYSTEM GROUP STRING		{
			if (!valid_username($3))
				lerror($<lineno>1, "system group \"%s\": not a "
				    "group name", $3);
			else
				(void)strlcpy(conf->system_group, $3,
				    sizeof(conf->system_group));
		}
		| REFUSE GROUPS			{ conf->nrefuse = 0; } refuse {
			if (conf->nrefuse == -1)	/* "none" */
				conf->nrefuse = 0;
		}
		| CONTROL SOCKET STRING		{
			set_control("socket", $3, $<lineno>1);
		}
		| CONTROL GROUP STRING		{
			set_control("group", $3, $<lineno>1);
		}
		| HEALTH STRING STRING		{
			set_probe($2, $3, $<lineno>1);
		}
		| MAILDIR STRING		{
			if (!settings_subdir_ok($2))
				lerror($<lineno>1, "maildir \"%s\": must be a "
				    "relative path without \"..\"", $2);
			else if (strlcpy(conf->set.maildir, $2,
			    sizeof(conf->set.maildir)) >= sizeof(conf->set.maildir))
				lerror($<lineno>1, "maildir: too long");
		}
		| PKI STRING pkipart STRING	{
			add_pki($2, $3, $4, $<lineno>1);
		}
		| TLS PROTOCOLS STRING		{
			uint32_t	p;

			if (tls_config_parse_protocols(&p, $3) == -1 ||
			    p == 0)
				lerror($<lineno>1, "tls protocols \"%s\": "
				    "not valid", $3);
			else if ((p & ~(TLS_PROTOCOL_TLSv1_2 |
			    TLS_PROTOCOL_TLSv1_3)) != 0)
				lerror($<lineno>1, "tls protocols \"%s\": "
				    "only tlsv1.2 and tlsv1.3 are allowed", $3);
			else if (strlcpy(conf->set.tls_protocols, $3,
			    sizeof(conf->set.tls_protocols)) >=
			    sizeof(conf->set.tls_protocols))
				lerror($<lineno>1, "tls protocols: too long");
			else
				conf->set.protocols = p;
		}
		| TLS TICKETS time		{
			if ($3 > 0 && $3 < CONF_MIN_TICKETS)
				lerror($<lineno>1, "tls tickets %s: less than "
				    "a minute (0 turns them off)",
				    conf_duration($3));
			else
				set_day(&conf->set.tls_tickets, "tls-tickets",
				    "tls tickets", $3, $<lineno>1);
		}
		| LISTEN ON STRING listenopts	{
			add_listen($3, NULL, $<lineno>1);
		}
		| LISTEN ON SOCKET STRING listenopts	{
			add_listen("", $4, $<lineno>1);
		}
		| ROUTE tabsrc			{
			set_table(conf->set.route, &conf->set.routesrc,
			    &conf->route_where, "route", $2.name, $2.kind,
			    $<lineno>1);
		} routeports
		| APPPASSWORDS tabsrc KEY STRING	{
			set_table(conf->apps, &conf->appssrc, &conf->apps_where,
			    "app-passwords", $2.name, $2.kind, $<lineno>1);
			(void)set_path(conf->set.app_key, "app-passwords key",
			    $4, $<lineno>1);
		} appslast
		| QUOTA { nqargs = 0; } qargs	{
			set_quota($<lineno>1);
		}
		| JUNK { nqargs = 0; } qargs	{
			set_junk($<lineno>1);
		}
		| TICKET KEY STRING		{
			if (conf->ticket_where.file != NULL)
				lerror($<lineno>1, "ticket key given twice, "
				    "first at %s:%d", conf->ticket_where.file,
				    conf->ticket_where.line);
			else if (set_path(conf->set.ticket_key, "ticket key",
			    $3, $<lineno>1) == 0)
				where(&conf->ticket_where, $<lineno>1);
		}
		| TRUSTED STRING		{
			add_trusted(&conf->trusted, "trusted", $2, 0,
			    $<lineno>1);
		}
		| PROXY STRING optrusted	{
			add_trusted(&conf->proxies, "proxy", $2, $3,
			    $<lineno>1);
		}
		| TIMEOUT word time		{
			set_knob(KNOB_TIMEOUT, $2, $3, $<lineno>1);
		}
		| LIMIT word NUMBER		{
			set_knob(KNOB_LIMIT, $2, $3, $<lineno>1);
		}
		| LIMIT PERADDRESS word NUMBER	{
			set_knob(KNOB_PERADDR, $3, $4, $<lineno>1);
		}
		| FAILUREDELAY time		{
			set_failure_delay($2, $2 == 0 ? 0 :
			    ($2 > 15 ? $2 : 15), $<lineno>1);
		}
		| FAILUREDELAY time time	{
			set_failure_delay($2, $3, $<lineno>1);
		}
		| DELETED STRING strnum		{
			set_deleted_keep($2, $3, $<lineno>1);
		}
		| EXPIRE NEVER			{ conf->set.expire = -1; }
		| EXPIRE NUMBER			{
			const struct conf_knob *k;

			k = conf_knob(KNOB_OTHER, "expire");
			if ($2 < 0 || $2 > k->max)
				lerror($<lineno>1, "expire %lld: days must be "
				    "0 to %lld, or never", $2, k->max);
			else
				conf->set.expire = $2;
		}
		| LOGINDELAY time		{
			set_day(&conf->set.login_delay, "login-delay",
			    "login-delay", $2, $<lineno>1);
		}
		| LOGIN CACHE time		{
			set_day(&conf->set.login_cache, "login-cache",
			    "login cache", $3, $<lineno>1);
		}
		| LAST yesno			{ conf->set.last = $2; }
		| LISTENERS NUMBER		{
			if ($2 < 1 || $2 > LISTENERS_MAX)
				lerror($<lineno>1, "listeners %lld: must be 1 "
				    "to %d", $2, LISTENERS_MAX);
			else
				conf->listeners = $2;
		}
		| WEAKHASHES yesno		{ conf->set.weak_hashes = $2; }
		| UIDLFORMAT STRING		{
			/* Dovecot's pop3_uidl_format, as settings.c knows it. */
			if (!settings_uidl_ok($2))
				lerror($<lineno>1, "uidl-format \"%s\": only "
				    "%%u %%v %%f %%%% with a width and X or x "
				    "before u and v, at most %d characters", $2,
				    UIDL_MAX);
			else if (strlcpy(conf->set.uidl_format, $2,
			    sizeof(conf->set.uidl_format)) >=
			    sizeof(conf->set.uidl_format))
				lerror($<lineno>1, "uidl-format: too long");
		}
		;

/* quota's words, read by set_quota: "<name>" for a table. */
qargs		: qarg
		| qargs qarg
		;

qarg		: strnum			{ quota_arg($1, 0); }
		| '<' STRING '>'		{ quota_arg($2, 1); }
		;

appslast	: /* empty */
		| LAST STRING			{
			(void)set_path(conf->apps_last, "app-passwords last",
			    $2, $<lineno>2);
		}
		;

routeports	: /* empty */
		| routeports word NUMBER	{
			set_route_port($2, $3, $<lineno>2);
		}
		;

/* A name that is also a keyword elsewhere: timeout lmtp. */
word		: STRING			{ $$ = $1; }
		| LMTP			{ $$ = token_string("lmtp"); }
		| LOGIN			{ $$ = token_string("login"); }
		| HEALTH		{ $$ = token_string("health"); }
		| HTTP			{ $$ = token_string("http"); }
		;

listenopts	: /* empty */			{
			memset(&lopts, 0, sizeof(lopts));
		}
		| listenopts listenopt
		;

listenopt	: PORT NUMBER			{
			if (lopts.port != 0)
				lopt_error($<lineno>1, "port given twice");
			else if ($2 < 1 || $2 > 65535)
				lopt_error($<lineno>1, "port %lld: must be 1 "
				    "to 65535", $2);
			else
				lopts.port = $2;
		}
		| listenkind			{
			if (lopts.flags != 0)
				lopt_error($<lineno>1, "tls, starttls, "
				    "auth-http, lmtp or health given twice");
			lopts.flags = $1;
		}
		| GROUP STRING			{
			if (lopts.group != NULL)
				lopt_error($<lineno>1, "group given twice");
			else
				lopts.group = $2;
		}
		| USER STRING			{
			if (lopts.user != NULL)
				lopt_error($<lineno>1, "user given twice");
			else
				lopts.user = $2;
		}
		| PROXYPROTOCOL			{
			lopts.proxy = CONF_LISTEN_PROXY;
		}
		| PKI STRING			{
			if (lopts.pki != NULL)
				lopt_error($<lineno>1, "pki given twice");
			else
				lopts.pki = $2;
		}
		;

listenkind	: TLS				{ $$ = CONF_LISTEN_TLS; }
		| STARTTLS			{ $$ = CONF_LISTEN_STARTTLS; }
		| AUTHHTTP			{ $$ = CONF_LISTEN_HTTP; }
		| LMTP				{ $$ = CONF_LISTEN_LMTP; }
		| HEALTH			{ $$ = CONF_LISTEN_HEALTH; }
		| HEALTH HTTP			{
			$$ = CONF_LISTEN_HEALTH | CONF_LISTEN_HEALTHHTTP;
		}
		;

%%

/* Sorted: looked up with bsearch(3). */
static const struct keyword {
	const char	*name;
	int		 token;
} keywords[] = {
	{ "app-passwords",	APPPASSWORDS },
	{ "auth-http",		AUTHHTTP },
	{ "authtab",		AUTHTAB },
	{ "cache",		CACHE },
	{ "cert",		CERT },
	{ "control",		CONTROL },
	{ "deleted",		DELETED },
	{ "expire",		EXPIRE },
	{ "failure-delay",	FAILUREDELAY },
	{ "group",		GROUP },
	{ "groups",		GROUPS },
	{ "health",		HEALTH },
	{ "http",		HTTP },
	{ "include",		INCLUDE },
	{ "junk",		JUNK },
	{ "key",		KEY },
	{ "last",		LAST },
	{ "limit",		LIMIT },
	{ "listen",		LISTEN },
	{ "listeners",		LISTENERS },
	{ "lmtp",		LMTP },
	{ "login",		LOGIN },
	{ "login-delay",	LOGINDELAY },
	{ "maildir",		MAILDIR },
	{ "never",		NEVER },
	{ "no",			NO },
	{ "on",			ON },
	{ "per-address",	PERADDRESS },
	{ "pki",		PKI },
	{ "port",		PORT },
	{ "protocols",		PROTOCOLS },
	{ "proxy",		PROXY },
	{ "proxy-protocol",	PROXYPROTOCOL },
	{ "quota",		QUOTA },
	{ "refuse",		REFUSE },
	{ "route",		ROUTE },
	{ "socket",		SOCKET },
	{ "starttls",		STARTTLS },
	{ "system",		SYSTEM },
	{ "table",		TABLE },
	{ "ticket",		TICKET },
	{ "tickets",		TICKETS },
	{ "timeout",		TIMEOUT },
	{ "tls",		TLS },
	{ "trusted",		TRUSTED },
	{ "uid",		UID },
	{ "uidl-format",	UIDLFORMAT },
	{ "user",		USER },
	{ "usertab",		USERTAB },
	{ "weak-hashes",	WEAKHASHES },
	{ "yes",		YES },
};

static int
kw_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keyword *)e)->name);
}

static char *
token_string(const char *s)
{
	char	**p;

	if (nstrings == strings_size) {
		if ((p = reallocarray(strings, strings_size + 64,
		    sizeof(*p))) == NULL)
			fatal("token_string");
		strings = p;
		strings_size += 64;
	}
	if ((strings[nstrings] = strdup(s)) == NULL)
		fatal("token_string");
	return strings[nstrings++];
}

/* An error in the statement that starts at line. */
static void
lerror(int line, const char *fmt, ...)
{
	va_list	ap;
	char	msg[1024];

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errors++;
	log_warnx("%s:%d: %s", file->name, line, msg);
}

/*
 * Names the statement's first word if no keyword is; after the lexer's
 * own message about a token, a second one would only be noise.
 */
void
yyerror(const char *msg)
{
	char		 num[32], word[48];
	const char	*w = NULL;
	size_t		 i, n;
	int		 unknown;

	if (file == NULL) {	/* past the end of the top file */
		errors++;
		log_warnx("%s: %s at end of file", conf->file, msg);
		return;
	}
	/* The lexer said why already: a bad token, a NUL byte. */
	if (yychar == ERROR || yylval.lineno == file->nul_line) {
		errors++;
		return;
	}
	/* A word at the start of a statement that no keyword is. */
	if ((unknown = lex_pos == 1 && lead_word != NULL && yychar != '='))
		w = lead_word;
	else switch (yychar) {
	case '\n':
		lerror(yylval.lineno, "%s at end of line", msg);
		return;
	case STRING:
		w = yylval.v.string;
		break;
	case NUMBER:
		(void)snprintf(num, sizeof(num), "%lld", yylval.v.number);
		w = num;
		break;
	default:
		for (i = 0; i < nitems(keywords); i++)
			if (keywords[i].token == yychar)
				w = keywords[i].name;
		if (w == NULL) {
			num[0] = yychar;
			num[1] = '\0';
			w = num;
		}
	}
	/* Bytes that would garble the message are shown as '?'. */
	for (n = 0; w[n] != '\0' && n < sizeof(word) - 4; n++)
		word[n] = (w[n] < 0x20 || w[n] >= 0x7f || w[n] == '"') ? '?' :
		    w[n];
	if (w[n] != '\0')
		(void)strlcpy(word + n, "...", sizeof(word) - n);
	else
		word[n] = '\0';
	lerror(yylval.lineno, unknown ? "%s: unknown keyword \"%s\"" :
	    "%s near \"%s\"", msg, word);
}

static int
unget(int c)
{
	unsigned char	*p;

	if (c == EOF)
		return 0;
	if (file->nunget == file->unget_size) {
		if (file->unget_size >= MAXTOKEN * 4)
			return -1;
		if ((p = reallocarray(file->unget, file->unget_size * 2,
		    1)) == NULL)
			fatal("unget");
		file->unget = p;
		file->unget_size *= 2;
	}
	file->unget[file->nunget++] = c;
	return 0;
}

/* A NUL byte is reported once a line and read as a space. */
static int
lgetc(void)
{
	int	c, next;

	if (file->nunget > 0)
		return file->unget[--file->nunget];
	for (;;) {
		if ((c = getc(file->stream)) == '\0') {
			if (file->nul_line != file->lineno)
				lerror(file->lineno, "NUL byte");
			file->nul_line = file->lineno;
			return ' ';
		}
		if (c != '\\')
			return c;
		if ((next = getc(file->stream)) != '\n') {
			if (next != EOF)
				ungetc(next, file->stream);
			return c;
		}
		file->lineno++;
	}
}

static int
word_char(int c)
{
	return c != EOF && (isalnum(c) || strchr("-_.:/*%,", c) != NULL);
}

/* Push a macro's value back so that the lexer reads it as input. */
static int
expand(void)
{
	char		 name[MAXTOKEN];
	const char	*val;
	size_t		 n = 0, i;
	int		 c;

	while ((c = lgetc()) != EOF && (isalnum(c) || c == '_')) {
		if (n == sizeof(name) - 1) {
			lerror(yylval.lineno, "macro name too long");
			return -1;
		}
		name[n++] = c;
	}
	(void)unget(c);
	name[n] = '\0';
	if (n == 0) {
		lerror(yylval.lineno, "\"$\" without a macro name");
		return -1;
	}
	if ((val = symget(name)) == NULL) {
		lerror(yylval.lineno, "macro \"%s\" is not defined", name);
		return -1;
	}
	/* Only -D can give one. */
	if (strchr(val, '\n') != NULL) {
		lerror(yylval.lineno, "macro \"%s\": the value has a newline",
		    name);
		return -1;
	}
	if (++expansions > MAXEXPAND) {
		lerror(yylval.lineno, "macro \"%s\": too many expansions",
		    name);
		return -1;
	}
	for (i = strlen(val); i > 0; i--)
		if (unget((unsigned char)val[i - 1]) == -1) {
			lerror(yylval.lineno, "macro \"%s\": too long", name);
			return -1;
		}
	return 0;
}

static int
quoted(int quote)
{
	char	buf[MAXTOKEN];
	size_t	n = 0;
	int	c, next, toolong = 0;

	for (;;) {
		if ((c = lgetc()) == EOF || c == '\n') {
			lerror(yylval.lineno, "unterminated quoted string");
			if (c == '\n')
				(void)unget(c);
			return ERROR;
		}
		if (c == quote)
			break;
		if (c == '\\') {
			next = lgetc();
			if (next == quote || next == '\\')
				c = next;
			else
				(void)unget(next);
		}
		if (n == sizeof(buf) - 1)
			toolong = 1;
		else
			buf[n++] = c;
	}
	buf[n] = '\0';
	if (toolong) {
		lerror(yylval.lineno, "quoted string too long");
		return ERROR;
	}
	yylval.v.string = token_string(buf);
	return STRING;
}

/*
 * The grammar's tokens, with where each stands in its statement: a
 * statement whose first word is no keyword ("listn on") is named by
 * that word, not by the next one, where yacc finds the error.
 */
int
yylex(void)
{
	int	t = lex_token();

	lex_pos = stmt_tokens;
	stmt_tokens = t == '\n' ? 0 : stmt_tokens + 1;
	if (lex_pos == 0)
		lead_word = t == STRING ? yylval.v.string : NULL;
	return t;
}

static int
lex_token(void)
{
	const struct keyword	*kw;
	char			 buf[MAXTOKEN];
	const char		*errstr;
	size_t			 n;
	int			 c;

 top:
	while ((c = lgetc()) == ' ' || c == '\t')
		;
	yylval.lineno = file->lineno;
	if (c == '#')
		while ((c = lgetc()) != '\n' && c != EOF)
			;
	if (c == '$') {
		if (expand() == -1)
			return ERROR;
		goto top;
	}
	if (c == '"' || c == '\'')
		return quoted(c);
	if (c == '\n') {
		file->lineno++;
		expansions = 0;
		return '\n';
	}
	if (c == EOF) {
		/* A last line without a newline still ends a statement. */
		if (!file->eof_nl) {
			file->eof_nl = 1;
			return '\n';
		}
		if (popfile() == EOF)
			return 0;
		goto top;
	}
	if (!word_char(c))
		return c;

	n = 0;
	do {
		if (n == sizeof(buf) - 1) {
			lerror(yylval.lineno, "word too long");
			while (word_char(c = lgetc()))
				;
			(void)unget(c);
			return ERROR;
		}
		buf[n++] = c;
	} while (word_char(c = lgetc()));
	(void)unget(c);
	buf[n] = '\0';

	if (strspn(buf + (buf[0] == '-'), "0123456789") ==
	    n - (buf[0] == '-') && n > (size_t)(buf[0] == '-')) {
		yylval.v.number = strtonum(buf, LLONG_MIN, LLONG_MAX, &errstr);
		if (errstr != NULL) {
			lerror(yylval.lineno, "number %s is %s", buf, errstr);
			return ERROR;
		}
		return NUMBER;
	}
	if ((kw = bsearch(buf, keywords, nitems(keywords),
	    sizeof(keywords[0]), kw_cmp)) != NULL)
		return kw->token;
	yylval.v.string = token_string(buf);
	return STRING;
}

/* A file that cannot be read: an include statement's, or the top one. */
static void
file_error(int line, const char *path, const char *why)
{
	if (file != NULL)
		lerror(line, "include \"%s\": %s", path, why);
	else {
		errors++;
		log_warnx("%s: %s", path, why);
	}
}

/* An include loop is refused; relative names follow the includer. */
static struct file *
pushfile(const char *name, int line)
{
	struct file	*nf, *f;
	struct stat	 st;
	char		 path[PATH_MAX];
	const char	*slash, *errstr;
	size_t		 n;
	int		 depth = 0, fd;

	if (file != NULL && name[0] != '/' &&
	    (slash = strrchr(file->name, '/')) != NULL)
		n = snprintf(path, sizeof(path), "%.*s/%s",
		    (int)(slash - file->name), file->name, name);
	else
		n = strlcpy(path, name, sizeof(path));
	if (n >= sizeof(path)) {
		file_error(line, name, "path too long");
		return NULL;
	}
	TAILQ_FOREACH(f, &files, entry)
		depth++;
	if (depth > MAXINCLUDE) {
		lerror(line, "include \"%s\": more than %d levels", name,
		    MAXINCLUDE);
		return NULL;
	}

	if ((nf = calloc(1, sizeof(*nf))) == NULL ||
	    (nf->name = strdup(path)) == NULL ||
	    (nf->unget = malloc(64)) == NULL)
		fatal("pushfile");
	nf->unget_size = 64;
	nf->nul_line = -1;
	/* An include file starts with the '\n' that ends the include. */
	nf->lineno = file != NULL ? 0 : 1;
	if (file == NULL && conftext != NULL) {
		/* The command line's statements (parse_config_text). */
		if ((nf->stream = fmemopen((void *)conftext,
		    strlen(conftext), "r")) == NULL)
			fatal("pushfile");
		TAILQ_INSERT_TAIL(&files, nf, entry);
		return nf;
	}
	if ((fd = open_regular(path, &errstr)) == -1) {
		file_error(line, path, errstr);
		goto fail;
	}
	if ((nf->stream = fdopen(fd, "r")) == NULL ||
	    fstat(fd, &st) == -1) {
		file_error(line, path, strerror(errno));
		if (nf->stream == NULL)
			close(fd);
		goto fail;
	}
	TAILQ_FOREACH(f, &files, entry)
		if (f->dev == st.st_dev && f->ino == st.st_ino) {
			lerror(line, "include \"%s\": loop, %s is open "
			    "already", path, f->name);
			goto fail;
		}
	nf->dev = st.st_dev;
	nf->ino = st.st_ino;
	TAILQ_INSERT_TAIL(&files, nf, entry);
	return nf;

 fail:
	if (nf->stream != NULL)
		fclose(nf->stream);
	free(nf->unget);
	free(nf->name);
	free(nf);
	return NULL;
}

/* Close the current file; EOF when it was the top one. */
static int
popfile(void)
{
	struct file	*prev;

	prev = TAILQ_PREV(file, files, entry);
	TAILQ_REMOVE(&files, file, entry);
	fclose(file->stream);
	free(file->unget);
	free(file->name);
	free(file);
	file = prev;
	return file != NULL ? 0 : EOF;
}

/* Statements in memory, named name in messages: the flags' (flags.c). */
struct popd_conf *
parse_config_text(const char *name, const char *statements)
{
	struct popd_conf	*c;

	conftext = statements;
	c = parse_config(name, 0);
	conftext = NULL;
	return c;
}

struct popd_conf *
parse_config(const char *filename, int opts)
{
	struct sym	*s, *next;

	if ((conf = conf_new()) == NULL) {
		log_warn("parse_config");
		return NULL;
	}
	errors = 0;
	expansions = 0;
	stmt_tokens = 0;
	file = NULL;
	if (strlcpy(conf->file, filename, sizeof(conf->file)) >=
	    sizeof(conf->file)) {
		log_warnx("%s: path too long", filename);
		conf_free(conf);
		return NULL;
	}
	if ((file = pushfile(filename, 0)) == NULL) {
		conf_free(conf);
		return NULL;
	}
	yyparse();
	while (file != NULL)
		(void)popfile();
	while (nstrings > 0)
		free(strings[--nstrings]);
	free(strings);
	strings = NULL;
	strings_size = 0;
	memset(&lopts, 0, sizeof(lopts));

	/* The file's macros end with it; -D ones stay for a reload. */
	TAILQ_FOREACH_SAFE(s, &syms, entry, next) {
		if (s->persist)
			continue;
		TAILQ_REMOVE(&syms, s, entry);
		free(s->name);
		free(s->val);
		free(s);
	}

	if (errors == 0 && !(opts & CONF_NOCHECK) && conf_check(conf) == -1)
		errors++;
	if (errors != 0) {
		conf_free(conf);
		conf = NULL;
		return NULL;
	}
	return conf;
}

static int
valid_macro_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static int
symset(const char *name, const char *val, int persist)
{
	struct sym	*s;

	TAILQ_FOREACH(s, &syms, entry)
		if (strcmp(s->name, name) == 0)
			break;
	if (s != NULL) {
		if (s->persist && !persist)
			return 0;	/* -D wins over the file */
		free(s->val);
		if ((s->val = strdup(val)) == NULL)
			return -1;
		s->persist = persist;
		return 0;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	if ((s->name = strdup(name)) == NULL ||
	    (s->val = strdup(val)) == NULL) {
		free(s->name);
		free(s);
		return -1;
	}
	s->persist = persist;
	TAILQ_INSERT_TAIL(&syms, s, entry);
	return 0;
}

static const char *
symget(const char *name)
{
	struct sym	*s;

	TAILQ_FOREACH(s, &syms, entry)
		if (strcmp(s->name, name) == 0)
			return s->val;
	return NULL;
}

/* -D name=value: a macro that the file cannot redefine. */
int
cmdline_symset(const char *arg)
{
	char	*name, *eq;
	int	 ret;

	if ((eq = strchr(arg, '=')) == NULL)
		return -1;
	if ((name = strndup(arg, eq - arg)) == NULL)
		return -1;
	if (!valid_macro_name(name)) {
		free(name);
		return -1;
	}
	ret = symset(name, eq + 1, 1);
	free(name);
	return ret;
}

/* Table files are read again at reload, after chdir("/"): absolute. */
static int
set_path(char *dst, const char *what, const char *path, int line)
{
	if (path[0] != '/') {
		lerror(line, "%s \"%s\": must be an absolute path", what,
		    path);
		return -1;
	}
	if (strlcpy(dst, path, PATH_MAX) >= PATH_MAX) {
		lerror(line, "%s: path too long", what);
		return -1;
	}
	return 0;
}

/*
 * A second authtab or usertab would replace the first unseen.  A table's
 * name is resolved by conf_check: the table may come later.
 */
static void
set_table(char *dst, int *src, struct conf_where *w, const char *what,
    const char *arg, int kind, int line)
{
	if (w->file != NULL) {
		lerror(line, "%s given twice, first at %s:%d", what, w->file,
		    w->line);
		return;
	}
	where(w, line);
	*src = kind;
	if (kind == TABSRC_FILE)
		(void)set_path(dst, what, arg, line);
	else if (!conf_valid_table_name(arg))
		lerror(line, "%s <%s>: a table name is letters, digits, "
		    "\"-\" and \"_\"", what, arg);
	else
		(void)strlcpy(dst, arg, PATH_MAX);
}

/*
 * Any backend but "file" and "passwd-file" is an OpenSMTPD table program
 * the parent runs.  cache: seconds, -1 for "cache 0".
 */
static void
add_table(const char *name, const char *spec, long long cache, int line)
{
	struct conf_table	*t;
	const char		*colon;
	size_t			 n;

	if (!conf_valid_table_name(name)) {
		lerror(line, "table %s: a table name is letters, digits, "
		    "\"-\" and \"_\"", name);
		return;
	}
	TAILQ_FOREACH(t, &conf->tables, entry)
		if (strcmp(t->name, name) == 0) {
			lerror(line, "table %s given twice, first at %s:%d",
			    name, t->where.file, t->where.line);
			return;
		}
	if ((colon = strchr(spec, ':')) == NULL || colon == spec ||
	    colon[1] == '\0') {
		lerror(line, "table %s \"%s\": must be backend:config, as "
		    "file:/etc/mail/authtab or sqlite:/etc/mail/sqlite.conf",
		    name, spec);
		return;
	}
	if (cache > CONF_MAXCACHE) {
		lerror(line, "table %s cache %s: at most %s", name,
		    conf_duration(cache), conf_duration(CONF_MAXCACHE));
		return;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(t->name, name, sizeof(t->name));
	n = colon - spec;
	if (spec[0] == '/') {
		/* A program of our own choosing: "/path/table-x:config". */
		(void)strlcpy(t->backend, "proc", sizeof(t->backend));
		if (n >= sizeof(t->program))
			lerror(line, "table %s: program path too long", name);
		else
			memcpy(t->program, spec, n);
	} else if (n >= sizeof(t->backend) ||
	    strspn(spec, "abcdefghijklmnopqrstuvwxyz0123456789-_") != n) {
		lerror(line, "table %s \"%.*s\": a backend is a name such as "
		    "file, sqlite, postgres, mysql or ldap, or a program's "
		    "absolute path", name, (int)n, spec);
		free(t);
		return;
	} else {
		memcpy(t->backend, spec, n);
		if (!conf_table_file(t) &&
		    snprintf(t->program, sizeof(t->program), "%s/table-%s",
		    TABLEDIR, t->backend) >= (int)sizeof(t->program))
			lerror(line, "table %s: program path too long", name);
	}
	if (conf_table_file(t) && colon[1] != '/')
		lerror(line, "table %s \"%s\": the file must be an absolute "
		    "path", name, spec);
	else if (strlcpy(t->config, colon + 1, sizeof(t->config)) >=
	    sizeof(t->config))
		lerror(line, "table %s: path too long", name);
	else if (conf_table_file(t) && cache != 0)
		lerror(line, "table %s: a file table has no cache: popd keeps "
		    "it whole and reads it again on SIGHUP", name);
	t->cache = cache < 0 ? 0 : cache;
	where(&t->where, line);
	TAILQ_INSERT_TAIL(&conf->tables, t, entry);
}

/* One name of refuse groups; "none" alone: no group by name. */
static void
add_refuse(const char *name, int line)
{
	if (strcmp(name, "none") == 0 && conf->nrefuse == 0)
		conf->nrefuse = -1;
	else if (conf->nrefuse == -1 || strcmp(name, "none") == 0)
		lerror(line, "refuse groups: none is alone");
	else if (!valid_username(name))
		lerror(line, "refuse groups: \"%s\": not a group name", name);
	else if (conf->nrefuse == REFUSE_MAX)
		lerror(line, "refuse groups: more than %d", REFUSE_MAX);
	else
		(void)strlcpy(conf->refuse_groups[conf->nrefuse++], name,
		    sizeof(conf->refuse_groups[0]));
}

/* system uid MIN-MAX: the uids of the system's that may log in. */
static void
set_system_uid(const char *arg, int line)
{
	const char	*errstr = NULL;
	char		 buf[32], *dash;
	long long	 lo, hi;

	(void)strlcpy(buf, arg, sizeof(buf));
	if ((dash = strchr(buf, '-')) != NULL)
		*dash++ = '\0';
	lo = strtonum(buf, 1, UINT32_MAX - 1, &errstr);
	hi = dash == NULL ? lo : strtonum(dash, 1, UINT32_MAX - 1, &errstr);
	if (errstr != NULL || hi < lo)
		lerror(line, "system uid %s: must be MIN-MAX, 1 to %u, as "
		    "1000-60000", arg, UINT32_MAX - 1);
	else {
		conf->system_uid[0] = lo;
		conf->system_uid[1] = hi;
	}
}

static void
set_control(const char *what, const char *arg, int line)
{
	struct conf_where	*w;

	w = strcmp(what, "socket") == 0 ? &conf->ctlsock_where :
	    &conf->ctlgroup_where;
	if (w->file != NULL) {
		lerror(line, "control %s given twice, first at %s:%d", what,
		    w->file, w->line);
		return;
	}
	if (w == &conf->ctlgroup_where) {
		if (!valid_username(arg))
			lerror(line, "control group \"%s\": not a group name",
			    arg);
		else {
			(void)strlcpy(conf->ctlgroup, arg,
			    sizeof(conf->ctlgroup));
			where(w, line);
		}
		return;
	}
	if (arg[0] != '/' || strlen(arg) >= sizeof(((struct sockaddr_un *)
	    0)->sun_path))
		lerror(line, "control socket \"%s\": must be an absolute path "
		    "of at most %zu bytes", arg,
		    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	else {
		(void)strlcpy(conf->ctlsock, arg, sizeof(conf->ctlsock));
		where(w, line);
	}
}

/* The name is usertab's to know, as a login's. */
static void
set_probe(const char *what, const char *user, int line)
{
	if (strcmp(what, "probe") != 0)
		lerror(line, "health %s: unknown (health probe USER)", what);
	else if (conf->probe_where.file != NULL)
		lerror(line, "health probe given twice, first at %s:%d",
		    conf->probe_where.file, conf->probe_where.line);
	else if (user[0] == '\0' || strpbrk(user, " \t/") != NULL ||
	    strlcpy(conf->probe_user, user, sizeof(conf->probe_user)) >=
	    sizeof(conf->probe_user)) {
		conf->probe_user[0] = '\0';
		lerror(line, "health probe \"%s\": not a user name of at "
		    "most %d bytes", user, POPD_MAXUSER);
	} else
		where(&conf->probe_where, line);
}

/* "90", "90s", "10m", "2h", "7d" in seconds, or -1 after an error. */
static long long
duration(const char *s, int line)
{
	static const char	 units[] = "smhd";
	static const long long	 mults[] = { 1, 60, 3600, 86400 };
	const char		*errstr, *unit;
	char			 num[32];
	size_t			 n;
	long long		 v, mult;

	n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof(num))
		goto bad;
	if (s[n] == '\0')
		mult = 1;
	else if ((unit = strchr(units, s[n])) != NULL && s[n + 1] == '\0')
		mult = mults[unit - units];
	else
		goto bad;
	memcpy(num, s, n);
	num[n] = '\0';
	v = strtonum(num, 0, INT_MAX / (mult == 86400 ? mult : 3600),
	    &errstr);
	if (errstr != NULL) {
		lerror(line, "time \"%s\" is %s", s, errstr);
		return -1;
	}
	return v * mult;
 bad:
	lerror(line, "time \"%s\": a number of seconds, or a number and "
	    "s, m, h or d", s);
	return -1;
}

/* deleted keep TIME | none: how long UPDATE keeps what it removes. */
static void
set_deleted_keep(const char *word, const char *arg, int line)
{
	const struct conf_knob	*k;
	long long		 v;

	if (strcmp(word, "keep") != 0) {
		lerror(line, "deleted %s: only \"deleted keep TIME\" or "
		    "\"deleted keep none\"", word);
		return;
	}
	if (strcmp(arg, "none") == 0) {
		conf->set.deleted_keep = 0;
		return;
	}
	if ((v = duration(arg, line)) == -1)
		return;
	k = conf_knob(KNOB_OTHER, "deleted-keep");
	if (v < 1 || v > k->max)
		lerror(line, "deleted keep %s: must be 1s to %lldd, or none",
		    arg, k->max / 86400);
	else
		conf->set.deleted_keep = v;
}

static void
set_knob(enum conf_knob_kind kind, const char *name, long long v, int line)
{
	const struct conf_knob	*k;
	const char		*what;
	int			 iv;

	what = kind == KNOB_TIMEOUT ? "timeout" : kind == KNOB_LIMIT ?
	    "limit" : "limit per-address";
	if ((k = conf_knob(kind, name)) == NULL) {
		lerror(line, "unknown %s \"%s\"", what, name);
		return;
	}
	if (v == -1 && kind == KNOB_TIMEOUT)
		return;		/* reported by duration() */
	if (v < k->min || v > k->max) {
		if (kind == KNOB_TIMEOUT)
			lerror(line, "timeout %s %s: must be %s to %s%s%s",
			    name, conf_duration(v), conf_duration(k->min),
			    conf_duration(k->max),
			    k->why ? "; " : "", k->why ? k->why : "");
		else
			lerror(line, "%s %s %lld: must be %lld to %lld%s%s",
			    what, name, v, k->min, k->max,
			    k->why ? "; " : "", k->why ? k->why : "");
		return;
	}
	iv = v;
	memcpy((char *)&conf->set + k->off, &iv, sizeof(iv));
	/* conf_check weighs these three together: name where. */
	if (kind == KNOB_LIMIT && (strcmp(name, "lmtp-peer") == 0 ||
	    strcmp(name, "lmtp-spool") == 0 ||
	    strcmp(name, "message-size") == 0)) {
		where(&conf->spool_where, line);
	}
}

/* tls tickets, login-delay, login cache: at most a day (the knob's). */
static void
set_day(int *dst, const char *knob, const char *what, long long v, int line)
{
	if (v > conf_knob(KNOB_OTHER, knob)->max)
		lerror(line, "%s %s: more than a day", what, conf_duration(v));
	else if (v >= 0)	/* -1: reported by duration() */
		*dst = v;
}

static void
set_failure_delay(long long first, long long max, int line)
{
	const struct conf_knob	*k = conf_knob(KNOB_OTHER, "failure-delay");

	if (first < 0 || max < 0)
		return;		/* reported by duration() */
	if (first > k->max || max > k->max)
		lerror(line, "failure-delay %s: at most %s",
		    conf_duration(first > k->max ? first : max),
		    conf_duration(k->max));
	else if (max < first)
		lerror(line, "failure-delay %s %s: the second is the most, "
		    "not less than the first", conf_duration(first),
		    conf_duration(max));
	else {
		conf->set.failure_delay.first = first;
		conf->set.failure_delay.max = max;
	}
}

/* The statement at line of the current file: its name kept once in conf. */
static void
where(struct conf_where *w, int line)
{
	char	**names;

	if (conf->nfiles == 0 ||
	    strcmp(conf->files[conf->nfiles - 1], file->name) != 0) {
		if ((names = reallocarray(conf->files, conf->nfiles + 1,
		    sizeof(*names))) == NULL)
			fatal("where");
		conf->files = names;
		if ((names[conf->nfiles] = strdup(file->name)) == NULL)
			fatal("where");
		conf->nfiles++;
	}
	w->file = conf->files[conf->nfiles - 1];
	w->line = line;
}

static void
add_listen(const char *addr, const char *path, int line)
{
	struct conf_listen	*l;
	const char		*name = path != NULL ? path : addr, *kind;

	if (path != NULL) {
		if (lopts.flags != CONF_LISTEN_HTTP &&
		    lopts.flags != CONF_LISTEN_LMTP)
			lopt_error(line, "listen on socket %s: only auth-http "
			    "and lmtp are served on a socket", path);
		if (lopts.port != 0 || lopts.proxy || lopts.pki != NULL)
			lopt_error(line, "listen on socket %s: port, pki and "
			    "proxy-protocol are for addresses", path);
		if (path[0] != '/' || strlen(path) >= sizeof(((struct
		    sockaddr_un *)0)->sun_path))
			lopt_error(line, "listen on socket \"%s\": must be an "
			    "absolute path of at most %zu bytes", path,
			    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	} else if (!conf_valid_listen_addr(addr))
		lopt_error(line, "listen on \"%s\": not an address, \"*\" or "
		    "an interface name", addr);
	else if (strlen(addr) >= sizeof(l->addr))
		lopt_error(line, "listen on \"%s\": too long", addr);
	if (lopts.flags == 0 && lopts.errors == 0)
		lopt_error(line, "listen on %s: tls, starttls, auth-http, "
		    "lmtp or health is needed", addr);
	/* health, auth-http and lmtp on an address (socket: above). */
	kind = lopts.flags & CONF_LISTEN_HEALTH ? "health" :
	    lopts.flags == CONF_LISTEN_HTTP ? "auth-http" :
	    lopts.flags == CONF_LISTEN_LMTP ? "lmtp" : NULL;
	if (kind != NULL && path == NULL && lopts.errors == 0) {
		if (lopts.port == 0)
			lopt_error(line, "listen on %s %s: %s needed", addr,
			    kind, kind[0] == 'h' ? "an address and a port "
			    "are" : "a port is");
		else if (kind[0] == 'l' && !conf_loopback_addr(addr))
			lopt_error(line, "listen on %s lmtp: LMTP has no "
			    "authentication: loopback addresses only "
			    "(127.0.0.0/8, ::1), or a socket", addr);
		if (lopts.proxy || lopts.pki != NULL)
			lopt_error(line, "listen on %s %s: %sno pki or "
			    "proxy-protocol", addr, kind, kind[0] == 'h' ?
			    "one line in the clear, nothing read: " :
			    kind[0] == 'a' ? "nginx speaks plain HTTP: " : "");
	}
	if (lopts.group != NULL && (path == NULL ||
	    strlen(lopts.group) > POPD_MAXUSER))
		lopt_error(line, "listen on %s: group is for a socket, a "
		    "name of at most %d bytes", name, POPD_MAXUSER);
	if (lopts.user != NULL && (path == NULL ||
	    strlen(lopts.user) > POPD_MAXUSER))
		lopt_error(line, "listen on %s: user is for a socket, a "
		    "name of at most %d bytes", name, POPD_MAXUSER);
	if (lopts.pki != NULL && strlen(lopts.pki) >= sizeof(l->pki))
		lopt_error(line, "pki name too long");
	if (lopts.errors == 0) {
		if ((l = calloc(1, sizeof(*l))) == NULL)
			fatal("listen");
		(void)strlcpy(l->addr, addr, sizeof(l->addr));
		if (path != NULL)
			(void)strlcpy(l->path, path, sizeof(l->path));
		if (lopts.group != NULL)
			(void)strlcpy(l->group, lopts.group, sizeof(l->group));
		if (lopts.user != NULL)
			(void)strlcpy(l->user, lopts.user, sizeof(l->user));
		l->flags = lopts.flags | lopts.proxy;
		l->port = lopts.port;
		if (l->port == 0 && path == NULL)
			l->port = (l->flags & CONF_LISTEN_TLS) ? 995 : 110;
		if (lopts.pki != NULL)
			(void)strlcpy(l->pki, lopts.pki, sizeof(l->pki));
		where(&l->where, line);
		TAILQ_INSERT_TAIL(&conf->listens, l, entry);
	}
	memset(&lopts, 0, sizeof(lopts));
}

/* A table's name keeps its '<' '>'. */
#define QUOTA_ARGS	5
static char	qargs[QUOTA_ARGS][PATH_MAX + 2];
static int	nqargs;

static void
quota_arg(const char *w, int table)
{
	if (nqargs < QUOTA_ARGS)
		(void)snprintf(qargs[nqargs], sizeof(qargs[0]),
		    table ? "<%s>" : "%s", w);
	nqargs++;
}

/* quota users and junk users: FILE or <table>. */
static void
set_users(char *dst, int *src, struct conf_where *w, const char *what,
    int line)
{
	char	*name = qargs[1];

	if (nqargs != 2)
		lerror(line, "%s: a file or a <table>", what);
	else if (name[0] == '<') {
		name[strlen(name) - 1] = '\0';
		set_table(dst, src, w, what, name + 1, TABSRC_LOOKUP, line);
	} else
		set_table(dst, src, w, what, name, TABSRC_FILE, line);
}

/* The words of quota or junk as one spec; junk's prefix one word. */
static int
join_qargs(char *spec, size_t size, const char *what, int line)
{
	int	i, prefix;

	spec[0] = '\0';
	for (i = 0; i < nqargs; i++) {
		if (qargs[i][0] == '<') {
			lerror(line, "%s %s: a table only after \"%s users\"",
			    what, qargs[i], what);
			return -1;
		}
		if (i > 0)
			(void)strlcat(spec, " ", size);
		/* The prefix keeps its blanks. */
		prefix = i == 4 && strcmp(what, "junk") == 0;
		if (prefix)
			(void)strlcat(spec, "\"", size);
		(void)strlcat(spec, qargs[i], size);
		if (prefix)
			(void)strlcat(spec, "\"", size);
	}
	return 0;
}

static void
set_quota(int line)
{
	struct quota_limit	 lim;
	char			 spec[128], err[128];

	if (nqargs > QUOTA_ARGS) {
		lerror(line, "quota: too many words");
		return;
	}
	if (strcmp(qargs[0], "users") == 0) {
		set_users(conf->set.quota.users, &conf->set.quota.userssrc,
		    &conf->quota_where, "quota users", line);
		return;
	}
	if (strcmp(qargs[0], "full") == 0) {
		if (nqargs == 2 && strcmp(qargs[1], "temporary") == 0)
			conf->set.quota.temporary = 1;
		else if (nqargs == 2 && strcmp(qargs[1], "permanent") == 0)
			conf->set.quota.temporary = 0;
		else
			lerror(line, "quota full: temporary or permanent");
		return;
	}
	if (join_qargs(spec, sizeof(spec), "quota", line) == -1)
		return;
	if (quota_spec_parse(spec, &lim, err, sizeof(err)) == -1) {
		lerror(line, "quota %s", err);
		return;
	}
	conf->set.quota.bytes = lim.bytes;
	conf->set.quota.msgs = lim.msgs;
}

static void
set_junk(int line)
{
	char	spec[JUNK_SPECMAX + 8], err[JUNK_SPECMAX + 160];

	/* "junk users merge": the folder "users". */
	if (nqargs >= 1 && strcmp(qargs[0], "users") == 0 &&
	    (nqargs < 2 || strcmp(qargs[1], "merge") != 0)) {
		set_users(conf->set.junk_users, &conf->set.junk_userssrc,
		    &conf->junk_where, "junk users", line);
		return;
	}
	if (nqargs > QUOTA_ARGS) {
		lerror(line, "junk: too many words");
		return;
	}
	if (nqargs > 0 && strpbrk(qargs[0], " \t") != NULL) {
		lerror(line, "junk \"%s\": a folder whose name has a blank "
		    "cannot be merged", qargs[0]);
		return;
	}
	if (join_qargs(spec, sizeof(spec), "junk", line) == -1)
		return;
	if (junk_spec_parse(spec, &conf->set.junk, err, sizeof(err)) == -1)
		lerror(line, "junk %s", err);
}

/* route ... pop3 N imap N smtp N: the backends' port for each. */
static void
set_route_port(const char *proto, long long port, int line)
{
	static const char	*names[] = { "pop3", "imap", "smtp" };
	size_t			 i;

	if (strcmp(proto, "health") == 0) {
		if (port < 1 || port > 65535)
			lerror(line, "route health %lld: must be 1 to 65535",
			    port);
		else
			conf->set.route_health = port;
		return;
	}
	for (i = 0; i < nitems(names); i++)
		if (strcmp(proto, names[i]) == 0)
			break;
	if (i == nitems(names))
		lerror(line, "route: \"%s\" is not pop3, imap, smtp or "
		    "health", proto);
	else if (port < 1 || port > 65535)
		lerror(line, "route %s port %lld: must be 1 to 65535", proto,
		    port);
	else
		conf->set.route_port[i] = port;
}

static void
add_pki(const char *name, int part, const char *path, int line)
{
	struct conf_pki	*p;
	char		*dst;
	const char	*what = part == 0 ? "cert" : "key";

	if (name[0] == '\0' || strlen(name) >= sizeof(p->name)) {
		lerror(line, "pki \"%s\": name empty or too long", name);
		return;
	}
	if ((p = conf_pki(conf, name)) == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			fatal("pki");
		(void)strlcpy(p->name, name, sizeof(p->name));
		where(&p->where, line);
		TAILQ_INSERT_TAIL(&conf->pkis, p, entry);
	}
	dst = part == 0 ? p->cert : p->key;
	if (dst[0] != '\0') {
		lerror(line, "pki %s: %s given twice", name, what);
		return;
	}
	if (set_path(dst, what, path, line) == 0)
		where(part == 0 ? &p->cert_where : &p->key_where, line);
}

/* trusted NETWORK, proxy NETWORK [trusted]: onto list. */
static void
add_trusted(struct conf_trusteds *list, const char *what, const char *text,
    int trusted, int line)
{
	struct conf_trusted	*t;
	const char		*errstr;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("%s", what);
	if (conf_parse_network(text, t, &errstr) == -1) {
		lerror(line, "%s \"%s\": not an IPv4 or IPv6 network", what,
		    text);
		free(t);
	} else {
		t->trusted = trusted;
		where(&t->where, line);
		TAILQ_INSERT_TAIL(list, t, entry);
	}
}
