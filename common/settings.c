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

/* The defaults and ranges of popd.conf's settings, declared once. */
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <tls.h>

#include "compat.h"
#include "settings.h"

/* What is not here is 0 or "": off, or none. */
const struct conf_settings settings_defaults = {
	.authtab = "/etc/mail/authtab",
	.usertab = "/etc/mail/usertab",
	.tls_protocols = "tlsv1.3",
	.protocols = TLS_PROTOCOL_TLSv1_3,
	.timeout = {
		.handshake = 60,
		.login = 600,
		.idle = 600,
		.send = 600,
		.close = 60,
		.lookup = 5,
		.lmtp = 300,
		.delivery = 120,
		.delivery_idle = 60,
		.store = 10,
		.drain = 8,
	},
	.limit = {
		.handshakes = 1024,
		.sessions = 4096,
		.logged_in = 10000,
		.failures = 3,
		.bad_commands = 10,
		.lmtp_sessions = 64,
		.lmtp_peer = 16,
		.lmtp_spool = 1073741824,
		.recipients = 100,
		.message_size = 52428800,
		.delivery_workers = 128,
		.login_cache = 100000,
	},
	.per_address = {
		.handshakes = 16,
		.sessions = 32,
		.logged_in = 64,
		.ipv4_prefix = 32,
		.ipv6_prefix = 64,
	},
	.failure_delay = {
		.first = 1,
		.max = 15,
	},
	.expire = -1,
	.uidl_format = UIDL_DEFAULT_FORMAT,
	.login_cache = 3600,
	.tls_tickets = 3600,
	.route_port = { 110, 143, 25 },
};

#define T(f)	offsetof(struct conf_settings, timeout.f)
#define L(f)	offsetof(struct conf_settings, limit.f)
#define A(f)	offsetof(struct conf_settings, per_address.f)
#define O(f)	offsetof(struct conf_settings, f)
static const struct conf_knob knobs[] = {
	{ KNOB_TIMEOUT, "handshake",	T(handshake),	1, 86400, NULL },
	{ KNOB_TIMEOUT, "login",	T(login),	1, 86400, NULL },
	{ KNOB_TIMEOUT, "idle",		T(idle),	CONF_MIN_IDLE, 86400,
	    "RFC 1939 asks for at least 10m" },
	{ KNOB_TIMEOUT, "send",		T(send),	1, 86400, NULL },
	{ KNOB_TIMEOUT, "close",	T(close),	1, 3600, NULL },
	{ KNOB_TIMEOUT, "lookup",	T(lookup),	1, 60, NULL },
	{ KNOB_TIMEOUT, "lmtp",		T(lmtp),	1, 86400, NULL },
	{ KNOB_TIMEOUT, "delivery",	T(delivery),	1, 3600, NULL },
	{ KNOB_TIMEOUT, "delivery-idle", T(delivery_idle), 1, 86400, NULL },
	{ KNOB_TIMEOUT, "store",	T(store),	1, 3600, NULL },
	{ KNOB_TIMEOUT, "drain",	T(drain),	1, 3600, NULL },
	{ KNOB_LIMIT,	"handshakes",	L(handshakes),	1, 1000000, NULL },
	{ KNOB_LIMIT,	"sessions",	L(sessions),	1, 1000000, NULL },
	{ KNOB_LIMIT,	"logged-in",	L(logged_in),	1, 1000000, NULL },
	{ KNOB_LIMIT,	"failures",	L(failures),	1, 1000, NULL },
	{ KNOB_LIMIT,	"bad-commands",	L(bad_commands), 1, 1000000, NULL },
	{ KNOB_LIMIT,	"lmtp-sessions", L(lmtp_sessions), 1, 10000, NULL },
	{ KNOB_LIMIT,	"lmtp-peer",	L(lmtp_peer),	1, 10000, NULL },
	{ KNOB_LIMIT,	"lmtp-spool",	L(lmtp_spool),	1024, INT_MAX, NULL },
	{ KNOB_LIMIT,	"recipients",	L(recipients),	1, LMTP_MAXRCPT,
	    NULL },
	{ KNOB_LIMIT,	"message-size",	L(message_size), 1024, INT_MAX, NULL },
	{ KNOB_LIMIT,	"delivery-workers", L(delivery_workers), 1, 10000,
	    NULL },
	{ KNOB_LIMIT,	"login-cache",	L(login_cache),	1, 10000000, NULL },
	{ KNOB_PERADDR,	"handshakes",	A(handshakes),	1, 1000000, NULL },
	{ KNOB_PERADDR,	"sessions",	A(sessions),	1, 1000000, NULL },
	{ KNOB_PERADDR,	"logged-in",	A(logged_in),	1, 1000000, NULL },
	{ KNOB_PERADDR,	"ipv4-prefix",	A(ipv4_prefix),	8, 32, NULL },
	{ KNOB_PERADDR,	"ipv6-prefix",	A(ipv6_prefix),	16, 128, NULL },
	{ KNOB_OTHER,	"failure-delay", O(failure_delay.first), 0, 3600,
	    NULL },
	{ KNOB_OTHER,	"failure-delay", O(failure_delay.max), 0, 3600,
	    NULL },
	{ KNOB_OTHER,	"expire",	O(expire),	-1, 36500, NULL },
	{ KNOB_OTHER,	"deleted-keep",	O(deleted_keep), 0, 366 * 86400, NULL },
	{ KNOB_OTHER,	"login-delay",	O(login_delay),	0, 86400, NULL },
	{ KNOB_OTHER,	"login-cache",	O(login_cache),	0, 86400, NULL },
	{ KNOB_OTHER,	"tls-tickets",	O(tls_tickets),	0, 86400, NULL },
	{ KNOB_OTHER,	"last",		O(last),	0, 1, NULL },
	{ KNOB_OTHER,	"weak-hashes",	O(weak_hashes),	0, 1, NULL },
};
#undef T
#undef L
#undef A
#undef O

const struct conf_knob *
conf_knob(enum conf_knob_kind kind, const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(knobs); i++)
		if (knobs[i].kind == kind && strcmp(knobs[i].name, name) == 0)
			return &knobs[i];
	return NULL;
}

const struct conf_knob *
conf_knobs(size_t *n)
{
	*n = nitems(knobs);
	return knobs;
}

/*
 * Every string ends inside its buffer, every number is in the grammar's
 * range: only a parent broken or not ours fails it.
 */
const char *
settings_check(const void *p)
{
	const struct conf_settings	*set = p;
	size_t				 i;
	int				 v;

	if (!TERMINATED(set->authtab) || !TERMINATED(set->usertab) ||
	    !TERMINATED(set->maildir) || !TERMINATED(set->tls_protocols) ||
	    !TERMINATED(set->uidl_format) || !TERMINATED(set->route) ||
	    !TERMINATED(set->ticket_key) || !TERMINATED(set->app_key) ||
	    !TERMINATED(set->apps_file) || !TERMINATED(set->apps_table) ||
	    !TERMINATED(set->quota.users) || !TERMINATED(set->junk_users))
		return "unterminated string";
	if (set->junk_userssrc != TABSRC_FILE &&
	    set->junk_userssrc != TABSRC_LOOKUP)
		return "junk";
	if (set->routesrc != TABSRC_FILE && set->routesrc != TABSRC_LOOKUP)
		return "route source";
	if ((set->quota.userssrc != TABSRC_FILE &&
	    set->quota.userssrc != TABSRC_LOOKUP &&
	    set->quota.userssrc != TABSRC_PASSWD) ||
	    (set->quota.temporary != 0 && set->quota.temporary != 1) ||
	    set->quota.bytes > INT64_MAX || set->quota.msgs > INT64_MAX)
		return "quota";
	if (set->route_health < 0 || set->route_health > 65535)
		return "route health";
	for (i = 0; i < nitems(set->route_port); i++)
		if (set->route_port[i] < 1 || set->route_port[i] > 65535)
			return "route port";
	if (set->authsrc < TABSRC_FILE || set->authsrc > TABSRC_PASSWD ||
	    set->usersrc < TABSRC_FILE || set->usersrc > TABSRC_PASSWD)
		return "table source";
	for (i = 0; i < nitems(knobs); i++) {
		memcpy(&v, (const char *)set + knobs[i].off, sizeof(v));
		if (v < knobs[i].min || v > knobs[i].max)
			return knobs[i].name;
	}
	if (set->failure_delay.max < set->failure_delay.first)
		return "failure-delay";
	if (set->tls_tickets != 0 && set->tls_tickets < CONF_MIN_TICKETS)
		return "tls-tickets";
	return NULL;
}

void
settings_worker(const struct conf_settings *set, struct conf_worker *w)
{
	memset(w, 0, sizeof(*w));
	memcpy(w->uidl_format, set->uidl_format, sizeof(w->uidl_format));
	w->last = set->last;
	w->expire = set->expire;
	w->login_delay = set->login_delay;
	w->deleted_keep = set->deleted_keep;
	w->idle = set->timeout.idle;
	w->bad_commands = set->limit.bad_commands;
}

/* A wrkrpop's settings, checked as settings_check would. */
const char *
settings_check_worker(const struct conf_worker *w)
{
	const struct {
		enum conf_knob_kind	 kind;
		const char		*name;
		int			 v;
	} f[] = {
		{ KNOB_OTHER, "last", w->last },
		{ KNOB_OTHER, "expire", w->expire },
		{ KNOB_OTHER, "login-delay", w->login_delay },
		{ KNOB_OTHER, "deleted-keep", w->deleted_keep },
		{ KNOB_TIMEOUT, "idle", w->idle },
		{ KNOB_LIMIT, "bad-commands", w->bad_commands },
	};
	const struct conf_knob	*k;
	size_t			 i;

	if (!TERMINATED(w->uidl_format) || !settings_uidl_ok(w->uidl_format))
		return "uidl-format";
	for (i = 0; i < nitems(f); i++)
		if ((k = conf_knob(f[i].kind, f[i].name)) == NULL ||
		    f[i].v < k->min || f[i].v > k->max)
			return f[i].name;
	return NULL;
}

/* The maildir setting, below each user's path: relative, without "..". */
int
settings_subdir_ok(const char *subdir)
{
	return subdir[0] != '\0' && subdir[0] != '/' &&
	    strstr(subdir, "..") == NULL;
}

/*
 * junk's folder (".NAME" in the maildir): one word in logs and the
 * journal, no '/', not hidden, not INBOX, no empty Maildir++ level.
 */
int
settings_folder_ok(const char *name)
{
	size_t	i;

	for (i = 0; name[i] != '\0'; i++)
		if (name[i] < 0x21 || name[i] > 0x7e || name[i] == '/')
			return 0;
	return i > 0 && i < CONF_FOLDERLEN && name[0] != '.' &&
	    name[i - 1] != '.' && strstr(name, "..") == NULL &&
	    strcasecmp(name, "INBOX") != 0;
}

/* junk's subject prefix: inside a header line, so no line end. */
static int
settings_prefix_ok(const char *prefix)
{
	size_t	i;

	for (i = 0; prefix[i] != '\0'; i++)
		if (prefix[i] < 0x20 || prefix[i] > 0x7e)
			return 0;
	return i > 0 && i < CONF_FOLDERLEN;
}

/* A junk setting received: one that popd.conf or a table could give. */
int
settings_junk_ok(const struct conf_junk *j)
{
	if (!TERMINATED(j->folder) || !TERMINATED(j->subject))
		return 0;
	if (j->folder[0] == '\0')
		return j->tag == JUNK_TAG_NONE && j->subject[0] == '\0';
	return settings_folder_ok(j->folder) &&
	    j->tag >= JUNK_TAG_NONE && j->tag <= JUNK_TAG_SUBJECT &&
	    (j->tag == JUNK_TAG_SUBJECT) == (j->subject[0] != '\0') &&
	    (j->subject[0] == '\0' || settings_prefix_ok(j->subject));
}

/*
 * "FOLDER merge [tag [subject PREFIX]]" or "none", from popd.conf or a
 * table (outside bytes).  PREFIX may be quoted to keep trailing blanks,
 * which a table file's line loses.
 */
int
junk_spec_parse(const char *spec, struct conf_junk *j, char *err,
    size_t errlen)
{
	char		 buf[JUNK_SPECMAX], *w[4], *p;
	size_t		 len;
	int		 n = 0;

	memset(j, 0, sizeof(*j));
	if (strlcpy(buf, spec, sizeof(buf)) >= sizeof(buf))
		return spec_err(err, errlen, "\"%.20s...\": too long", spec);
	for (p = buf + strspn(buf, " \t"); *p != '\0' && n < 4;
	    p += strspn(p, " \t")) {
		w[n++] = p;
		p += strcspn(p, " \t");
		if (*p != '\0')
			*p++ = '\0';
	}
	if (n == 1 && *p == '\0' && strcmp(w[0], "none") == 0)
		return 0;
	if (n < 2 || strcmp(w[1], "merge") != 0 ||
	    (n >= 3 && strcmp(w[2], "tag") != 0) ||
	    (n == 4 && (strcmp(w[3], "subject") != 0 || *p == '\0')) ||
	    (n < 4 && *p != '\0'))
		return spec_err(err, errlen, "\"%s\": must be FOLDER merge "
		    "[tag [subject PREFIX]], or none", spec);
	if (!settings_folder_ok(w[0]))
		return spec_err(err, errlen, "\"%s\": a folder's name as IMAP "
		    "shows it, at most %d printable characters without blank "
		    "or '/', not starting with '.', not INBOX, no empty level "
		    "(\"..\" or a final '.')", w[0], CONF_FOLDERLEN - 1);
	len = strlen(p);
	if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
		p[len - 1] = '\0';
		p++;
	}
	if (n == 4 && !settings_prefix_ok(p))
		return spec_err(err, errlen, "subject \"%s\": 1 to %d "
		    "printable characters", p, CONF_FOLDERLEN - 1);
	(void)strlcpy(j->folder, w[0], sizeof(j->folder));
	j->tag = n == 4 ? JUNK_TAG_SUBJECT : n == 3 ? JUNK_TAG_HEADER :
	    JUNK_TAG_NONE;
	if (n == 4)
		(void)strlcpy(j->subject, p, sizeof(j->subject));
	return 0;
}

/* j in the words junk_spec_parse reads; the length, as snprintf's. */
int
junk_spec_format(const struct conf_junk *j, char *buf, size_t len)
{
	if (j->folder[0] == '\0')
		return snprintf(buf, len, "none");
	return snprintf(buf, len, "%s merge%s%s%s%s", j->folder,
	    j->tag != JUNK_TAG_NONE ? " tag" : "",
	    j->tag == JUNK_TAG_SUBJECT ? " subject \"" : "",
	    j->subject, j->tag == JUNK_TAG_SUBJECT ? "\"" : "");
}

int
settings_maildir(char *out, size_t outlen, const char *home,
    const char *subdir)
{
	int	r;

	if (subdir != NULL && subdir[0] != '\0')
		r = snprintf(out, outlen, "%s/%s", home, subdir);
	else
		r = snprintf(out, outlen, "%s", home);
	if (r < 0 || (size_t)r >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Dovecot's pop3_uidl_format, expanded as Dovecot does; -1 for a format
 * popd does not know or a result longer than a UIDL may be.
 */
int
settings_uidl(const char *fmt, unsigned long uid, unsigned long uidv,
    const char *base, char *out, size_t outlen)
{
	size_t		 n = 0;
	int		 width, zero, r;
	char		 conv, spec[16];
	const char	*p;

	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%') {
			if (n + 1 >= outlen)
				return -1;
			out[n++] = *p;
			continue;
		}
		p++;
		zero = *p == '0';
		for (width = 0; *p >= '0' && *p <= '9' && width < 100; p++)
			width = width * 10 + (*p - '0');
		conv = 'u';
		if (*p == 'X' || *p == 'x')
			conv = *p++;
		if (*p == '%' && width == 0 && conv == 'u')
			r = snprintf(out + n, outlen - n, "%%");
		else if (*p == 'f' && width == 0 && conv == 'u')
			r = snprintf(out + n, outlen - n, "%.*s",
			    (int)strcspn(base, ":"), base);
		else if (*p == 'u' || *p == 'v') {
			/*
			 * Dovecot's X, like x, is lowercase hexadecimal; a
			 * width pads with zeros after a 0, else it cuts.
			 */
			(void)snprintf(spec, sizeof(spec), "%%%s*l%c",
			    zero ? "0" : "", conv == 'u' ? 'u' : 'x');
			r = snprintf(out + n, outlen - n, spec, zero ? width : 0,
			    *p == 'u' ? uid : uidv);
			if (!zero && width > 0 && r > width)
				r = width;
		} else
			return -1;
		if (r < 0 || (size_t)r >= outlen - n)
			return -1;
		n += r;
	}
	out[n] = '\0';
	return n;
}

/* UIDL_MAX must hold the largest UID and UIDVALIDITY. */
int
settings_uidl_ok(const char *fmt)
{
	char	test[UIDL_MAX + 1];

	return settings_uidl(fmt, 4294967295UL, 4294967295UL,
	    "1700000000.M1P1.host", test, sizeof(test)) > 0;
}

/* Why a junk or quota setting is not one, into err (NULL: nowhere); -1. */
int
spec_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}
