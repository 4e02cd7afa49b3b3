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
 * popd.conf(5)'s settings as every process receives them (MSG_PARENT_CONF).
 * A setting lives here, in settings.c and in conf/parse.y, nowhere else.
 */
#ifndef POPD_SETTINGS_H
#define POPD_SETTINGS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_PROTOLEN		64	/* tls protocols */
#define CONF_FMTLEN		64	/* uidl-format */
#define CONF_FOLDERLEN		64	/* junk: a folder, a subject prefix */
#define CONF_MIN_IDLE		600	/* RFC 1939 section 3: 10 minutes */
#define CONF_MIN_TICKETS	60	/* libtls: a session lives a minute or more */
#define UIDL_MAX		70	/* RFC 1939 section 7 */
#define UIDL_DEFAULT_FORMAT	"%08Xu%08Xv"	/* Dovecot's pop3_uidl_format */
#define LMTP_MAXRCPT		100	/* per transaction: RFC 5321 4.5.3.1.8 */

/* Where authtab and usertab come from: TABSRC_PASSWD is Dovecot's form. */
#define TABSRC_FILE		0
#define TABSRC_LOOKUP		1
#define TABSRC_SYSTEM		2
#define TABSRC_PASSWD		3	/* a file in Dovecot's passwd-file form */

/*
 * junk: a Maildir++ folder whose messages follow INBOX's ("" = none), and
 * what RETR and TOP add to them.
 */
struct conf_junk {
	char			 folder[CONF_FOLDERLEN];
	int			 tag;
	char			 subject[CONF_FOLDERLEN];
};
#define JUNK_SPECMAX		(2 * CONF_FOLDERLEN + 32)	/* formatted */

/*
 * Grace beyond timeout lookup, by which tablepop answers on its own,
 * before the parent and authpop take tablepop for stuck.
 */
#define LOOKUP_SLACK		1

struct conf_settings {
	char			 authtab[PATH_MAX];
	char			 usertab[PATH_MAX];
	int			 authsrc;	/* TABSRC_* */
	int			 usersrc;
	char			 maildir[PATH_MAX];	/* "" = the path itself */
	char			 tls_protocols[CONF_PROTOLEN];
	uint32_t		 protocols;	/* TLS_PROTOCOL_* of the above */
	int			 tls_tickets;	/* session lifetime, seconds; 0 off */
	struct {			/* seconds */
		int		 handshake;	/* TLS handshake */
		int		 login;		/* AUTHORIZATION state */
		int		 idle;		/* TRANSACTION, no command */
		int		 send;		/* client reads nothing */
		int		 close;		/* last reply, peer gone */
		int		 lookup;	/* a database table's answer
						   (tablepop's; its askers
						   wait LOOKUP_SLACK more) */
		int		 lmtp;		/* LMTP client silent */
		int		 delivery;	/* one delivery worker's job */
		int		 delivery_idle;	/* a warm worker without jobs */
		int		 store;		/* one call into the mail store:
						   then the worker is stuck */
		int		 drain;		/* SIGTERM to sessions' end */
	}			 timeout;
	struct {
		int		 handshakes;	/* TLS handshakes, in total */
		int		 sessions;	/* before login, in total */
		int		 logged_in;	/* after login, in total */
		int		 failures;	/* failed logins per connection */
		int		 bad_commands;	/* invalid commands per session */
		int		 lmtp_sessions;	/* LMTP connections, in total */
		int		 lmtp_peer;	/* of one uid or address */
		int		 lmtp_spool;	/* octets spooled, in total */
		int		 recipients;	/* per LMTP transaction */
		int		 message_size;	/* octets, LMTP (SIZE) */
		int		 delivery_workers; /* warm or busy, in total */
		int		 login_cache;	/* entries in authpop */
	}			 limit;
	struct {			/* per client address */
		int		 handshakes;
		int		 sessions;
		int		 logged_in;
		int		 ipv4_prefix;	/* bits that make an address */
		int		 ipv6_prefix;
	}			 per_address;
	struct {			/* seconds, per client address */
		int		 first;		/* after the first failure */
		int		 max;		/* doubling up to this */
	}			 failure_delay;
	int			 expire;	/* days, -1 = never */
	int			 deleted_keep;	/* seconds a removal is kept
						   (kept.h), 0 = none */
	int			 login_delay;	/* seconds, 0 = off */
	int			 login_cache;	/* seconds, 0 = off */
	int			 last;		/* RFC 1725 LAST */
	int			 weak_hashes;	/* read weak kinds (pwscheme.h) */
	char			 uidl_format[CONF_FMTLEN]; /* Dovecot's */
	/* auth_http: each user's backend, and the router's ticket key. */
	char			 route[PATH_MAX];
	int			 routesrc;	/* TABSRC_FILE or _LOOKUP */
	int			 route_port[3];	/* ROUTE_POP3, _IMAP, _SMTP */
	int			 route_health;	/* backends' health port, 0:
						   no checks (routepop) */
	char			 ticket_key[PATH_MAX];
	/* App passwords: apps_file "" means the table apps_table. */
	char			 app_key[PATH_MAX];
	char			 apps_file[PATH_MAX];
	char			 apps_table[PATH_MAX];
	/* Quotas: a user's own (quota_users, K_ALIAS) wins over the default. */
	struct {
		uint64_t	 bytes;
		uint64_t	 msgs;
		char		 users[PATH_MAX];
		int		 userssrc;	/* TABSRC_FILE, _LOOKUP, _PASSWD */
		int		 temporary;	/* 452 4.2.2, not 552 5.2.2 */
	}			 quota;
	/* junk_users: read by the parent alone (popd/userjunk.c). */
	struct conf_junk	 junk;
	char			 junk_users[PATH_MAX];
	int			 junk_userssrc;	/* TABSRC_FILE or _LOOKUP */
};
#define JUNK_TAG_NONE		0
#define JUNK_TAG_HEADER		1	/* a line "X-Spam-Flag: YES" first */
#define JUNK_TAG_SUBJECT	2	/* the prefix before the subject */
#define JUNK_HEADER		"X-Spam-Flag: YES"
/* A ticket key file's size: at least 256 bits of secret. */
#define TICKET_KEYMIN		32
#define TICKET_KEYMAX		4096
#define TICKET_KEYSIZES		"32 to 4096 bytes"

/* What a session's wrkrpop reads, sent with it (MSG_PARENT_WORKER). */
struct conf_worker {
	char			 uidl_format[CONF_FMTLEN];
	int			 last, expire, login_delay;
	int			 deleted_keep;	/* seconds, 0: removals unlinked */
	int			 idle;		/* timeout idle */
	int			 bad_commands;	/* limit bad-commands */
};

#define ROUTE_POP3		0
#define ROUTE_IMAP		1
#define ROUTE_SMTP		2

/*
 * The range of every number in struct conf_settings, declared once
 * (settings.c): the grammar, settings_check and conf_print use it.
 * KNOB_OTHER: a number with a statement of its own.
 */
enum conf_knob_kind { KNOB_TIMEOUT, KNOB_LIMIT, KNOB_PERADDR, KNOB_OTHER };
struct conf_knob {
	enum conf_knob_kind	 kind;
	const char		*name;
	size_t			 off;		/* int in struct conf_settings */
	long long		 min, max;
	const char		*why;		/* shown below min, or NULL */
};

/* settings.c */
extern const struct conf_settings	 settings_defaults;
const struct conf_knob	*conf_knob(enum conf_knob_kind, const char *);
const struct conf_knob	*conf_knobs(size_t *);
const char		*settings_check(const void *);
void			 settings_worker(const struct conf_settings *,
			    struct conf_worker *);
const char		*settings_check_worker(const struct conf_worker *);
int			 settings_subdir_ok(const char *);
int			 spec_err(char *, size_t, const char *, ...)
			    __attribute__((__format__ (printf, 3, 4)));
int			 settings_maildir(char *, size_t, const char *,
			    const char *);
int			 settings_uidl(const char *, unsigned long,
			    unsigned long, const char *, char *, size_t);
int			 settings_uidl_ok(const char *);
int			 settings_folder_ok(const char *);
int			 settings_junk_ok(const struct conf_junk *);
int			 junk_spec_parse(const char *, struct conf_junk *,
			    char *, size_t);
int			 junk_spec_format(const struct conf_junk *, char *,
			    size_t);

#endif
