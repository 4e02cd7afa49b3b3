/*
 * config.h -- popd.conf(5): the configuration the grammar (parse.y)
 * builds, and the checks and printing that need all of it (config.c).
 */
#ifndef POPD_CONFIG_H
#define POPD_CONFIG_H

#include <sys/queue.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#define POPD_CONF		"/etc/popd.conf"
#define CONF_NAMELEN		128	/* pki names */
#define CONF_ADDRLEN		64	/* listen addresses, networks */
#define CONF_PROTOLEN		64	/* tls protocols */
#define CONF_FMTLEN		64	/* uidl-format */
#define CONF_MIN_IDLE		600	/* RFC 1939 section 3: 10 minutes */
#define CONF_MAX_PROXY		64	/* proxy statements */

/* parse_config() options */
#define CONF_NOCHECK		0x01	/* syntax only: skip conf_check() */

/* conf_listen flags */
#define CONF_LISTEN_TLS		0x01	/* implicit TLS (RFC 8314) */
#define CONF_LISTEN_STARTTLS	0x02	/* plaintext with STLS (RFC 2595) */
#define CONF_LISTEN_PROXY	0x04	/* a PROXY protocol header first */

/* Where a statement was read: for conf_check() messages. */
struct conf_where {
	char			*file;		/* owned copy */
	int			 line;
};

struct conf_listen {
	TAILQ_ENTRY(conf_listen) entry;
	char			 addr[CONF_ADDRLEN]; /* "*", IP or interface */
	int			 port;
	int			 flags;
	char			 pki[CONF_NAMELEN]; /* "" = the first pki */
	struct conf_where	 where;
};

struct conf_pki {
	TAILQ_ENTRY(conf_pki)	 entry;
	char			 name[CONF_NAMELEN];
	char			 cert[PATH_MAX];	/* "" = not given */
	char			 key[PATH_MAX];
	struct conf_where	 where;
};

struct conf_trusted {
	TAILQ_ENTRY(conf_trusted) entry;
	char			 text[CONF_ADDRLEN];	/* as written */
	int			 af;			/* AF_INET, AF_INET6 */
	uint8_t			 addr[16];		/* host bits cleared */
	int			 prefix;
	int			 trusted;		/* proxy ... trusted */
	struct conf_where	 where;
};

TAILQ_HEAD(conf_listens, conf_listen);
TAILQ_HEAD(conf_pkis, conf_pki);
TAILQ_HEAD(conf_trusteds, conf_trusted);

struct popd_conf {
	char			 file[PATH_MAX];
	char			 authtab[PATH_MAX];
	char			 usertab[PATH_MAX];
	char			 maildir[PATH_MAX];	/* "" = the path itself */
	char			 tls_protocols[CONF_PROTOLEN];
	uint32_t		 protocols;	/* TLS_PROTOCOL_* of the above */
	struct conf_listens	 listens;
	struct conf_pkis	 pkis;
	struct conf_trusteds	 trusted;
	struct conf_trusteds	 proxies;	/* may send PROXY headers */
	struct {			/* seconds */
		int		 handshake;	/* TLS handshake */
		int		 login;		/* AUTHORIZATION state */
		int		 idle;		/* TRANSACTION, no command */
		int		 send;		/* client reads nothing */
		int		 close;		/* last reply, peer gone */
	}			 timeout;
	struct {
		int		 handshakes;	/* TLS handshakes, in total */
		int		 sessions;	/* before login, in total */
		int		 logged_in;	/* after login, in total */
		int		 failures;	/* failed logins per connection */
		int		 bad_commands;	/* invalid commands per session */
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
	int			 login_delay;	/* seconds, 0 = off */
	int			 last;		/* RFC 1725 LAST */
	char			 uidl_format[CONF_FMTLEN]; /* Dovecot's */
};

/*
 * The "timeout NAME", "limit NAME" and "limit per-address NAME"
 * statements: one line each in config.c's table, shared by the grammar
 * and by conf_print().
 */
enum conf_knob_kind { KNOB_TIMEOUT, KNOB_LIMIT, KNOB_PERADDR };
struct conf_knob {
	enum conf_knob_kind	 kind;
	const char		*name;
	size_t			 off;		/* int in struct popd_conf */
	long long		 min, max;
	const char		*why;		/* shown below min, or NULL */
};

/* parse.y */
struct popd_conf	*parse_config(const char *, int);
int			 cmdline_symset(const char *);

/* config.c */
struct popd_conf	*conf_new(void);
void			 conf_free(struct popd_conf *);
int			 conf_check(struct popd_conf *);
void			 conf_print(FILE *, const struct popd_conf *);
const struct conf_knob	*conf_knob(enum conf_knob_kind, const char *);
int			 conf_parse_network(const char *, struct conf_trusted *,
			    const char **);
int			 conf_valid_listen_addr(const char *);
const char		*conf_duration(long long);

#endif
