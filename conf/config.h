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

/* popd.conf(5) as the grammar (parse.y) builds it. */
#ifndef POPD_CONFIG_H
#define POPD_CONFIG_H

#include <sys/types.h>
#include <sys/queue.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "addr.h"
#include "pathnames.h"
#include "pki.h"
#include "proto.h"
#include "settings.h"
#include "util.h"

#define CONF_NAMELEN		128	/* pki names */
#define CONF_ADDRLEN		64	/* listen addresses, networks */

/* parse_config() options */
#define CONF_NOCHECK		0x01	/* syntax only: skip conf_check() */

/* Listen flags: proto.h's LISTEN_*, and STARTTLS, which is none. */
#define CONF_LISTEN_TLS		LISTEN_TLS	/* implicit TLS (RFC 8314) */
#define CONF_LISTEN_STARTTLS	0x100	/* plaintext with STLS (RFC 2595) */
#define CONF_LISTEN_PROXY	LISTEN_PROXY	/* a PROXY protocol header */
#define CONF_LISTEN_HTTP	LISTEN_HTTP	/* nginx's auth_http (httppop) */
#define CONF_LISTEN_LMTP	LISTEN_LMTP	/* LMTP deliveries (lmtp) */
#define CONF_LISTEN_HEALTH	LISTEN_HEALTH	/* a health port (listener) */
#define CONF_LISTEN_HEALTHHTTP	LISTEN_HEALTHHTTP /* ... health http */
#define CONF_LISTEN_CONTROL	LISTEN_CONTROL	/* popctl's (never in
						   popd.conf) */

/* Where a statement was read: for conf_check() messages. */
struct conf_where {
	const char		*file;		/* one of popd_conf's files */
	int			 line;
};

struct conf_listen {
	TAILQ_ENTRY(conf_listen) entry;
	char			 addr[CONF_ADDRLEN]; /* "*", IP or interface */
	char			 path[PATH_MAX];	/* a unix socket: addr "" */
	char			 group[POPD_MAXUSER + 1];	/* its group */
	char			 user[POPD_MAXUSER + 1];	/* its peer */
	int			 port;
	int			 flags;
	char			 pki[CONF_NAMELEN]; /* "" = the first pki */
	struct conf_where	 where;
};

/*
 * stat(2) of each file and lstat(2) of its name, so that a renamed file, a
 * rewritten one and a symlink pointed elsewhere (certbot's live/) differ.
 */
#define LOOK_FILES	3
struct pki_look {
	struct {
		dev_t		 dev;
		ino_t		 ino;
		off_t		 size;
		struct timespec	 mtime, ctime;
		int		 error;
	}		 f[2 * LOOK_FILES];	/* a file, its name, ... */
};

/* The pair a pki serves, as the parent read and checked it (certs.c). */
struct pki_served {
	int		 fd;		/* the certificate: pki_memfd's */
	int		 keyfd;		/* its key, for keypop alone */
	uint32_t	 certlen, keylen;
	char		 subject[256];
	char		 serial[PKI_SERIALMAX];
	char		 sha256[PKI_SHA256LEN + 1];
	time_t		 notafter;
	time_t		 loaded;	/* wall clock */
	struct pki_look	 seen;		/* the files at the last look */
	struct pki_look	 tried;		/* the files last read */
	time_t		 warned;	/* monotonic: the last expiry warning */
	/* The first renewal refused since this pair serves; the last why. */
	time_t		 refused;	/* wall clock; 0: none */
	char		 refusedwhy[CTL_PKIWHY];
};

struct conf_pki {
	TAILQ_ENTRY(conf_pki)	 entry;
	struct pki_served	*served;	/* NULL: not read yet */
	char			 name[CONF_NAMELEN];
	char			 cert[PATH_MAX];	/* "" = not given */
	char			 key[PATH_MAX];
	struct conf_where	 where;		/* the first statement */
	struct conf_where	 cert_where;
	struct conf_where	 key_where;
};

struct conf_trusted {
	TAILQ_ENTRY(conf_trusted) entry;
	char			 text[CONF_ADDRLEN];	/* as written */
	struct netaddr		 net;		/* host bits cleared */
	int			 trusted;		/* proxy ... trusted */
	struct conf_where	 where;
};

#define CONF_MAXCACHE		300	/* seconds */
#define POPD_MAXTABLES		16	/* table statements */
/*
 * listeners: at most, and by default one per core up to this many.
 * pid_max (32,768) over what one listener holds (10,000 sessions).
 */
#define LISTENERS_MAX		8
struct conf_table {
	TAILQ_ENTRY(conf_table)	 entry;
	char			 name[CONF_NAMELEN];
	char			 backend[CONF_NAMELEN];	/* "file", "sqlite".. */
	char			 program[PATH_MAX];	/* "" for file */
	char			 config[PATH_MAX];
	char			 interp[PATH_MAX];	/* a script's "#!" */
	int			 cache;		/* seconds, 0: none */
	struct conf_where	 where;
};

TAILQ_HEAD(conf_listens, conf_listen);
TAILQ_HEAD(conf_tables, conf_table);
TAILQ_HEAD(conf_pkis, conf_pki);
TAILQ_HEAD(conf_trusteds, conf_trusted);

/* Groups that read disks, memory or logs, become root, or are < FIRST_GID. */
#define REFUSE_GROUPS	"disk", "adm", "docker", "sudo", "wheel", "staff", \
			"kmem", "operator", "lxd"
#define REFUSE_MAX	16

struct popd_conf {
	char			 file[PATH_MAX];
	char			**files;	/* read: conf_where's names */
	size_t			 nfiles;
	struct conf_settings	 set;
	struct conf_where	 authtab_where;	/* file NULL: the default */
	struct conf_where	 usertab_where;
	struct conf_where	 route_where;
	struct conf_where	 quota_where;
	struct conf_where	 ticket_where;
	/* App passwords: a file or a database table, and a last-use file. */
	char			 apps[PATH_MAX];
	int			 appssrc;	/* TABSRC_FILE or _LOOKUP */
	char			 apps_last[PATH_MAX];
	struct conf_where	 apps_where;
	struct conf_where	 junk_where;	/* junk users */
	/* The last limit lmtp-peer, lmtp-spool or message-size. */
	struct conf_where	 spool_where;
	struct conf_listens	 listens;
	int			 listeners;	/* 0: one per core (bind.c) */
	struct conf_pkis	 pkis;
	struct conf_trusteds	 trusted;
	struct conf_trusteds	 proxies;	/* may send PROXY headers */
	struct conf_tables	 tables;
	uint32_t		 system_uid[2];	/* who of the system */
	char			 system_group[POPD_MAXUSER + 1];
	/* refuse groups: no mail user's primary group; gids by conf_check. */
	char			 refuse_groups[REFUSE_MAX][POPD_MAXUSER + 1];
	gid_t			 refuse_gid[REFUSE_MAX];	/* -1: none such */
	int			 nrefuse;
	/* popctl show: the group's gid and members' uids, by conf_check. */
	char			 ctlsock[PATH_MAX];
	struct conf_where	 ctlsock_where;
	char			 ctlgroup[POPD_MAXUSER + 1];	/* "": none */
	struct conf_where	 ctlgroup_where;
	/* health probe: the mail user of the store probes ("": none). */
	char			 probe_user[POPD_MAXUSER + 1];
	struct conf_where	 probe_where;
	gid_t			 ctlgid;
	uid_t			*ctluids;
	size_t			 nctluids;
};

/* parse.y */
struct popd_conf	*parse_config(const char *, int);
struct popd_conf	*parse_config_text(const char *, const char *);
int			 cmdline_symset(const char *);

/* config.c */
struct popd_conf	*conf_new(void);
void			 conf_free(struct popd_conf *);
int			 conf_check(struct popd_conf *);
int			 conf_error(const struct popd_conf *,
			    const struct conf_where *, const char *, ...)
			    __attribute__((__format__ (printf, 3, 4)));
struct chan;
int			 conf_send(struct chan *, const struct popd_conf *, int,
			    int);
int			 conf_parse_network(const char *, struct conf_trusted *,
			    const char **);
int			 conf_valid_listen_addr(const char *);
int			 conf_loopback_addr(const char *);
int			 conf_valid_table_name(const char *);
int			 conf_script_interp(const char *, char *, size_t);
const struct conf_table	*conf_table(const struct popd_conf *, const char *);
struct conf_pki		*conf_pki(const struct popd_conf *, const char *);
int			 conf_table_file(const struct conf_table *);
const char		*conf_duration(long long);

/*
 * confimage.c: the configuration from confpop -C to the parent, which
 * waits CONF_WAIT seconds for it, and reads at most CONF_IMAGEMAX bytes
 * and CONF_MAXFILES file names.
 */
#define CONF_WAIT		30
#define CONF_IMAGEMAX		(4 * 1024 * 1024)
#define CONF_MAXFILES		65536	/* names of conf_where's files */
int			 conf_image(FILE *, const struct popd_conf *);
struct popd_conf	*conf_unimage(const void *, size_t, const char **);
struct popd_conf	*conf_fetch(const char *, char *const [], const char *);

/* confpop/print.c: popd -n -v's, and the golden files' (test_conf). */
void			 conf_print(FILE *, const struct popd_conf *);

#endif
