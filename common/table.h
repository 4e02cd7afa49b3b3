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

#ifndef POPD_TABLE_H
#define POPD_TABLE_H

#include <sys/types.h>
#include <netinet/in.h>

#include <stdint.h>

#include "util.h"

#define TABLE_AUTH	1	/* name -> crypt(3) hash: authtab */
#define TABLE_USERS	2	/* name -> uid:gid:/path: usertab */
#define TABLE_ROUTES	3	/* name or domain -> IP addresses: route */
#define ROUTE_POOLMAX	8	/* addresses in a route's pool */
#define TABLE_QUOTAS	4	/* name -> SIZE [messages N]: quota users */
#define TABLE_JUNK	5	/* name -> FOLDER merge ... | none: junk users */
#define TABLE_QUIET	0x10	/* table_scan: no messages */
#define TABLE_PASSWD	0x20	/* the file is Dovecot's passwd-file */
#define TABLE_WEAK	0x40	/* TABLE_AUTH: weak hashes too (weak-hashes) */
#define TABLE_ANYHASH	0x80	/* table_scan, TABLE_AUTH: every kind to fn */
#define TABLE_SKIP	0x100	/* system accounts: a bad hash skips */
#define TABLE_NAMES	0x200	/* table_load: names alone, values "" */

/*
 * Only authcheck reads hashes: a table of hashes read without this is refused.
 */
extern int	(*table_hash_allowed)(const char *, int, const char **,
		    char *, size_t);

/*
 * A refused hash leaves the file good: its user loads with TABLE_NOLOGIN and
 * never logs in.  table_nologin is told of each.
 */
#define TABLE_NOLOGIN	'!'
/* Below it every gid is the system's (Debian's FIRST_GID, OpenBSD's). */
#define FIRST_GID	1000
extern void	(*table_nologin)(const char *, size_t, const char *,
		    const char *);

/* Records and offsets by name in two mappings, read-only once loaded. */
struct table {
	char		*buf;
	size_t		 bufsz;		/* mapped */
	uint32_t	*off;		/* of each record in buf, by name */
	size_t		 offsz;		/* mapped */
	size_t		 n;
};

struct userinfo {
	const char	*name;
	uid_t		 uid;
	gid_t		 gid;
	const char	*path;
	int		 own;		/* path is the maildir: no subdir */
};

/* A passwd-file line cut in place ("" for an empty field). */
struct passwdline {
	char		*name;
	char		*pass;
	char		*uid;
	char		*gid;
	char		*home;
	char		*mail;
	uint64_t	 bytes;
	uint64_t	 msgs;
	int		 has_limit;
	size_t		 ignored;
	const char	*ignored_key;
};

typedef int	(*table_fn)(void *, char *, char *, size_t);

typedef void	(*table_rec_fn)(const void *, size_t, const char **,
		    const char **);

typedef int	(*table_rule_fn)(char *, struct passwdline *, char *, size_t);

/* table.c */
int		 table_scan(const char *, int, table_fn, void *);
int		 table_load(const char *, int, table_fn, void *,
		    struct table *);
void		 table_free(struct table *);
ssize_t		 table_find(const struct table *, const char *);
const char	*table_name(const struct table *, size_t);
const char	*table_value(const struct table *, size_t);
const char	*table_get(const struct table *, const char *);
void		 table_user(const struct table *, size_t, struct userinfo *);
int		 table_parse_user(char *, struct userinfo *, char *, size_t);
int		 table_parse_passwd(char *, struct passwdline *, table_rule_fn,
		    char *, size_t);
int		 table_quota_rule(char *, struct passwdline *, char *, size_t);
int		 table_passwd_user(const struct passwdline *, char *, size_t,
		    char *, size_t);
int		 table_valid_route(const char *);
int		 table_route_split(const char *, char [][INET6_ADDRSTRLEN]);
int		 table_route_pick(const char *, char [][INET6_ADDRSTRLEN], int,
		    const int *);

/* tabimage.c */
int		 table_image_write(int, size_t, table_rec_fn, const void *);
int		 table_image_map(int, const char *, struct table *);
void		 table_image_free(struct table *);

#endif
