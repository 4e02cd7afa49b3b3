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
 * authtab and usertab, parsed as OpenSMTPD parses table(5) "file" tables.
 * A loaded table costs no allocation per entry; a lookup is a binary
 * search.  Nothing here is global: the parent loads tables in a thread.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quotarule.h"
#include "settings.h"
#include "table.h"

#define TABLE_MAXSIZE	((size_t)UINT32_MAX - 1)	/* 32-bit offsets */

struct scanning {
	const char		*file;
	table_fn		 fn;
	void			*arg;
	struct passwdline	 pl;
	size_t			 lineno, nign, ignline;
	int			 kind, flags;	/* flags: TABLE_QUIET... */
	char			 uval[PATH_MAX + 64], ignkey[64];
};

int	(*table_hash_allowed)(const char *, int, const char **, char *,
	    size_t);
void	(*table_nologin)(const char *, size_t, const char *, const char *);

/* What table_scan says, unless it reads a file again (TABLE_QUIET). */
#define WARNX(...)	do { if (!quiet) log_warnx(__VA_ARGS__); } while (0)
#define WARN(...)	do { if (!quiet) log_warn(__VA_ARGS__); } while (0)

static void
unmap_tail(void *p, size_t *len, size_t used)
{
	size_t	pg = getpagesize(), keep;

	keep = (used + pg - 1) / pg * pg;
	if (keep == 0)
		keep = pg;
	if (keep < *len && munmap((char *)p + keep, *len - keep) == -1)
		fatal("%s: munmap", __func__);
	if (keep < *len)
		*len = keep;
}

static int
off_less(const char *buf, uint32_t a, uint32_t b)
{
	int	c;

	if ((c = strcmp(buf + a, buf + b)) != 0)
		return c < 0;
	return a < b;
}

#define SWAP(v, i, j)	do {						\
	uint32_t tmp_ = (v)[i]; (v)[i] = (v)[j]; (v)[j] = tmp_;		\
} while (0)

/*
 * In place: qsort(3) may take a copy as large as the index, which a
 * reload would add to its peak.  The smaller side recurses: depth log2 n.
 */
static void
sort_offsets(const char *buf, uint32_t *v, size_t n)
{
	size_t		i, j, mid;
	uint32_t	pivot;

	while (n > 16) {
		mid = n / 2;
		if (off_less(buf, v[mid], v[0]))
			SWAP(v, mid, 0);
		if (off_less(buf, v[n - 1], v[0]))
			SWAP(v, n - 1, 0);
		if (off_less(buf, v[n - 1], v[mid]))
			SWAP(v, n - 1, mid);
		pivot = v[mid];
		/* Hoare: no two offsets are equal, v[0] <= pivot <= v[n-1]. */
		for (i = 0, j = n - 1;; i++, j--) {
			while (off_less(buf, v[i], pivot))
				i++;
			while (off_less(buf, pivot, v[j]))
				j--;
			if (i >= j)
				break;
			SWAP(v, i, j);
		}
		if (j + 1 < n - (j + 1)) {
			sort_offsets(buf, v, j + 1);
			v += j + 1;
			n -= j + 1;
		} else {
			sort_offsets(buf, v + j + 1, n - (j + 1));
			n = j + 1;
		}
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && off_less(buf, v[j], v[j - 1]); j--)
			SWAP(v, j, j - 1);
}

ssize_t
table_find(const struct table *t, const char *name)
{
	size_t	lo = 0, hi = t->n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(name, t->buf + t->off[mid])) == 0)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

const char *
table_name(const struct table *t, size_t i)
{
	return t->buf + t->off[i];
}

const char *
table_value(const struct table *t, size_t i)
{
	const char	*name = table_name(t, i);

	return name + strlen(name) + 1;
}

const char *
table_get(const struct table *t, const char *name)
{
	ssize_t	i;

	return (i = table_find(t, name)) == -1 ? NULL : table_value(t, i);
}

void
table_user(const struct table *t, size_t i, struct userinfo *ui)
{
	char	*p;

	ui->name = table_name(t, i);
	ui->uid = strtoul(table_value(t, i), &p, 10);
	ui->gid = strtoul(p + 1, &p, 10);
	ui->path = p + 1;
	/* A passwd-file's userdb_mail: the maildir itself. */
	if ((ui->own = ui->path[0] == '=') != 0)
		ui->path++;
}

void
table_free(struct table *t)
{
	unmap(t->buf, t->bufsz);
	unmap(t->off, t->offsz);
	memset(t, 0, sizeof(*t));
}

/*
 * "uid:gid:/absolute/path": -1 if not of that form, -2 if popd refuses
 * it (root's ids, a relative path or "..").
 */
int
table_parse_user(char *val, struct userinfo *ui, char *why, size_t len)
{
	char		*uid, *gid, *path;
	const char	*errstr;
	long long	 id[2];

	uid = strsep(&val, ":");
	gid = strsep(&val, ":");
	path = val;
	if (gid == NULL || path == NULL) {
		(void)snprintf(why, len, "value must be uid:gid:/path");
		return -1;
	}
	id[0] = strtonum(uid, 0, UINT32_MAX - 1, &errstr);
	if (errstr != NULL) {
		(void)snprintf(why, len, "uid \"%.32s\" is %s", uid, errstr);
		return -1;
	}
	id[1] = strtonum(gid, 0, UINT32_MAX - 1, &errstr);
	if (errstr != NULL) {
		(void)snprintf(why, len, "gid \"%.32s\" is %s", gid, errstr);
		return -1;
	}
	if (id[0] == 0 || id[1] == 0) {
		(void)snprintf(why, len, "uid and gid 0 are refused");
		return -2;
	}
	if (path[0] != '/') {
		(void)snprintf(why, len, "path \"%.64s\" is not absolute",
		    path);
		return -2;
	}
	if (strstr(path, "/../") != NULL ||
	    (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0)) {
		(void)snprintf(why, len, "path \"%.64s\" contains \"..\"",
		    path);
		return -2;
	}
	if (strlen(path) >= PATH_MAX) {
		(void)snprintf(why, len, "path too long (%zu bytes, at most "
		    "%d)", strlen(path), PATH_MAX - 1);
		return -2;
	}
	ui->uid = id[0];
	ui->gid = id[1];
	ui->path = path;
	ui->own = 0;
	/* Put the value back together (strsep cut it). */
	path[-1] = ':';
	gid[-1] = ':';
	return 0;
}

/*
 * Dovecot's passwd-file: "user:password:uid:gid:gecos:home:shell:extra",
 * the extra fields split at spaces, each "key=value".  An empty eighth
 * field is the old format: the rest is then the mail location.
 */

/*
 * Fields that refuse, redirect or rename a login: ignoring one would let
 * in whom Dovecot keeps out, so a line with one is refused.
 */
static const char *const passdb_refused[] = {
	"allow_nets", "allow_real_nets", "deny", "domain", "host",
	"master", "nologin", "noauthenticate", "nopassword", "proxy",
	"proxy_maybe", "user", "username"
};

static int
rule_number(const char *s, uint64_t mult, uint64_t *v)
{
	static const char	 units[] = "bkmgt";
	const char		*u;
	uint64_t		 n = 0;
	size_t			 i;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	for (i = 0; isdigit((unsigned char)s[i]); i++) {
		if (n > (INT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	if (s[i] != '\0') {
		if ((u = strchr(units, tolower((unsigned char)s[i]))) == NULL ||
		    s[i + 1] != '\0')
			return -1;
		mult = 1ULL << (10 * (u - units));
	}
	if (n != 0 && mult > INT64_MAX / n)
		return -1;
	*v = n * mult;
	return 0;
}

/*
 * Only the "*" rule counts: one for a folder or relative to the default
 * means nothing for a POP3 maildrop (1, ignored).
 */
int
table_quota_rule(char *rule, struct passwdline *pl, char *why, size_t len)
{
	struct passwdline	 tmp = *pl;
	char			*box, *lim, *val;
	uint64_t		 v, mult;

	box = strsep(&rule, ":");
	if (strcmp(box, "*") != 0 || rule == NULL)
		return 1;
	while ((lim = strsep(&rule, ":")) != NULL) {
		if ((val = strchr(lim, '=')) == NULL) {
			if (strcmp(lim, "ignore") == 0 ||
			    strncmp(lim, "backend", 7) == 0)
				return 1;
			(void)snprintf(why, len, "quota rule limit \"%.32s\" "
			    "is not key=value", lim);
			return -1;
		}
		*val++ = '\0';
		if (strcmp(lim, "backend") == 0 || val[0] == '+' ||
		    val[0] == '-' || (val[0] != '\0' &&
		    val[strlen(val) - 1] == '%'))
			return 1;
		if (strcmp(lim, "storage") == 0)
			mult = 1024;
		else if (strcmp(lim, "bytes") == 0 ||
		    strcmp(lim, "messages") == 0)
			mult = 1;
		else {
			(void)snprintf(why, len, "quota rule: unknown limit "
			    "\"%.32s\"", lim);
			return -1;
		}
		if (rule_number(val, mult, &v) == -1 ||
		    (strcmp(lim, "messages") == 0 &&
		    strspn(val, "0123456789") != strlen(val))) {
			(void)snprintf(why, len, "quota rule: %s \"%.32s\" is "
			    "not a number%s", lim, val,
			    mult == 1024 ? " (and b, k, M, G or T)" : "");
			return -1;
		}
		if (strcmp(lim, "messages") == 0)
			tmp.msgs = v;
		else
			tmp.bytes = v;
		tmp.has_limit = 1;
	}
	*pl = tmp;
	return 0;
}

int
table_parse_passwd(char *line, struct passwdline *pl, table_rule_fn rule,
    char *why, size_t len)
{
	static char	 empty[] = "";
	char		*f[6], *rest, *item, *eq, **dst;
	size_t		 i;
	int		 r;

	memset(pl, 0, sizeof(*pl));
	pl->name = strsep(&line, ":");
	for (i = 0; i < nitems(f); i++)
		f[i] = line != NULL ? strsep(&line, ":") : empty;
	rest = line;
	pl->pass = f[0];
	pl->uid = f[1];
	pl->gid = f[2];
	pl->home = f[4];
	if (pl->name[0] == '\0') {
		(void)snprintf(why, len, "no user name");
		return -1;
	}
	if (rest == NULL || rest[0] == '\0')
		return 0;
	if (rest[0] == ':') {
		if (rest[1] != '\0')
			pl->mail = rest + 1;
		return 0;
	}
	while ((item = strsep(&rest, " ")) != NULL) {
		if (item[0] == '\0')
			continue;
		if ((eq = strchr(item, '=')) != NULL)
			*eq = '\0';
		for (i = 0; i < nitems(passdb_refused); i++)
			if (strcmp(item, passdb_refused[i]) == 0) {
				(void)snprintf(why, len, "user \"%.64s\": "
				    "popd does not do what the field "
				    "\"%s\" says: remove it or the user",
				    pl->name, item);
				return -1;
			}
		r = 1;
		dst = NULL;
		if (eq == NULL)
			;
		else if (strcmp(item, "userdb_mail") == 0 ||
		    strcmp(item, "userdb_mail_path") == 0)
			dst = &pl->mail;
		else if (strcmp(item, "userdb_uid") == 0)
			dst = &pl->uid;
		else if (strcmp(item, "userdb_gid") == 0)
			dst = &pl->gid;
		else if (strcmp(item, "userdb_home") == 0)
			dst = &pl->home;
		else if (rule != NULL &&
		    strncmp(item, "userdb_quota_rule", 17) == 0 &&
		    strspn(item + 17, "0123456789") == strlen(item + 17)) {
			if ((r = rule(eq + 1, pl, why, len)) == -1)
				return -1;
		}
		if (dst != NULL)
			*dst = eq + 1;
		else if (r == 1 && pl->ignored++ == 0)
			pl->ignored_key = item;
	}
	return 0;
}

/*
 * A maildir named by userdb_mail gets '=' before its path: the maildir
 * setting does not apply to it (table_user).
 */
int
table_passwd_user(const struct passwdline *pl, char *val, size_t vlen,
    char *why, size_t len)
{
	struct userinfo	 ui;
	const char	*loc, *colon, *slash;
	char		 path[PATH_MAX], *p;
	size_t		 n;
	int		 own = 0;

	if (pl->uid[0] == '\0' || pl->gid[0] == '\0') {
		(void)snprintf(why, len, "no %s: popd reads no userdb "
		    "defaults, give the user its uid and gid in the file",
		    pl->uid[0] == '\0' ? "uid" : "gid");
		return -1;
	}
	if ((loc = pl->mail) != NULL) {
		if (strncmp(loc, "maildir:", 8) == 0)
			loc += 8;
		else if ((colon = strchr(loc, ':')) != NULL &&
		    ((slash = strchr(loc, '/')) == NULL || colon < slash)) {
			(void)snprintf(why, len, "mail location \"%.64s\" is "
			    "not a maildir", pl->mail);
			return -1;
		}
		n = strcspn(loc, ":");
		if (memchr(loc, '%', n) != NULL) {
			(void)snprintf(why, len, "mail location \"%.64s\": "
			    "popd expands no %% variables", pl->mail);
			return -1;
		}
		if (loc[0] == '~' && (n == 1 || loc[1] == '/')) {
			if (pl->home[0] == '\0') {
				(void)snprintf(why, len, "mail location "
				    "\"%.64s\" needs a home", pl->mail);
				return -1;
			}
			if ((size_t)snprintf(path, sizeof(path), "%s%.*s",
			    pl->home, (int)n - 1, loc + 1) >= sizeof(path))
				goto toolong;
		} else if ((size_t)snprintf(path, sizeof(path), "%.*s", (int)n,
		    loc) >= sizeof(path))
			goto toolong;
		own = 1;
	} else if (pl->home[0] == '\0') {
		(void)snprintf(why, len, "no home and no userdb_mail");
		return -1;
	} else if (strlcpy(path, pl->home, sizeof(path)) >= sizeof(path))
		goto toolong;
	if ((size_t)snprintf(val, vlen, "%s:%s:%s", pl->uid, pl->gid, path) >=
	    vlen)
		goto toolong;
	if (table_parse_user(val, &ui, why, len) < 0)
		return -1;
	if (own) {
		p = val + strlen(pl->uid) + strlen(pl->gid) + 2;
		memmove(p + 1, p, strlen(p) + 1);
		*p = '=';
	}
	return 0;
 toolong:
	(void)snprintf(why, len, "path too long (at most %d bytes)",
	    PATH_MAX - 1);
	return -1;
}

/*
 * pread(2) at an offset of our own: processes handed one descriptor
 * read it at once, each from its start.
 */
struct lines {
	int	 fd;
	char	*buf;
	size_t	 size, start, end;	/* unread: buf[start..end) */
	off_t	 off;
	int	 eof;
};

static ssize_t
next_line(struct lines *lb, char **line)
{
	char	*nl, *nbuf;
	size_t	 len, nsize;
	ssize_t	 n;

	for (;;) {
		if (lb->buf != NULL && ((nl = memchr(lb->buf + lb->start, '\n',
		    lb->end - lb->start)) != NULL ||
		    (lb->eof && lb->end > lb->start))) {
			*line = lb->buf + lb->start;
			len = nl != NULL ? (size_t)(nl - *line) + 1 :
			    lb->end - lb->start;
			lb->start += len;
			if (nl == NULL)
				(*line)[len] = '\0';
			return len;
		}
		if (lb->eof)
			return 0;
		if (lb->start > 0) {
			memmove(lb->buf, lb->buf + lb->start, lb->end -
			    lb->start);
			lb->end -= lb->start;
			lb->start = 0;
		}
		/* Room for a read and a terminating NUL. */
		if (lb->size - lb->end < 4096) {
			nsize = lb->size == 0 ? 65536 : lb->size * 2;
			if ((nbuf = malloc(nsize)) == NULL)
				return -1;
			if (lb->buf != NULL) {
				memcpy(nbuf, lb->buf, lb->end);
				freezero(lb->buf, lb->size);
			}
			lb->buf = nbuf;
			lb->size = nsize;
		}
		if ((n = pread(lb->fd, lb->buf + lb->end, lb->size - lb->end -
		    1, lb->off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		lb->eof = n == 0;
		lb->end += n;
		lb->off += n;
	}
}

static int
scan_passwd(struct scanning *s, char *line, char **key, char **val)
{
	struct quota_limit	 lim;
	char			 why[384];
	int			 quiet = s->flags & TABLE_QUIET;

	/* Dovecot's rules: no blanks before a comment. */
	if (line[0] == '\0' || line[0] == '#' || line[0] == ':')
		return 0;
	if (table_parse_passwd(line, &s->pl, s->kind == TABLE_AUTH ?
	    NULL : table_quota_rule, why, sizeof(why)) == -1) {
		WARNX("%s:%zu: %s", s->file, s->lineno, why);
		return -1;
	}
	*key = s->pl.name;
	if (s->pl.ignored > 0 && s->nign++ == 0) {
		s->ignline = s->lineno;
		(void)strlcpy(s->ignkey, s->pl.ignored_key, sizeof(s->ignkey));
	}
	*val = s->uval;
	if (s->kind == TABLE_AUTH) {
		/* No password: Dovecot lets no one in with it. */
		if (s->pl.pass[0] == '\0')
			return 0;
		*val = s->pl.pass;
	} else if (s->kind == TABLE_QUOTAS) {
		if (!s->pl.has_limit)
			return 0;
		lim.bytes = s->pl.bytes;
		lim.msgs = s->pl.msgs;
		(void)quota_spec_format(&lim, s->uval, sizeof(s->uval));
	} else if (!valid_username(*key))
		/* Refused by scan_entry, with its reason. */
		(void)strlcpy(s->uval, "-", sizeof(s->uval));
	else if (table_passwd_user(&s->pl, s->uval, sizeof(s->uval), why,
	    sizeof(why)) == -1) {
		WARNX("%s:%zu: user \"%s\": %s", s->file, s->lineno, *key,
		    why);
		return -1;
	}
	return 1;
}

static int
scan_refused(struct scanning *s, char *key, const char *val,
    const char *hkind, const char *why)
{
	char		 nologin[48];
	int		 quiet = s->flags & TABLE_QUIET;

	/* Never log the value: it may be a password. */
	if (s->flags & TABLE_SKIP) {
		if (table_nologin != NULL)
			table_nologin(s->file, 0, key, why);
		return 0;
	}
	if (table_hash_allowed == NULL && s->kind == TABLE_AUTH) {
		WARNX("%s:%zu: \"%s\" has %s", s->file, s->lineno, key, why);
		return -1;
	}
	/*
	 * This user alone cannot log in: a site moving from another server
	 * keeps the others.  The marker is no longer than the value.
	 */
	if (quiet)
		;
	else if (table_nologin != NULL)
		table_nologin(s->file, s->lineno, key, why);
	else if (s->kind == TABLE_USERS)
		log_warnx("%s:%zu: %s: %s cannot log in", s->file, s->lineno,
		    why, key);
	else
		log_warnx("%s:%zu: \"%s\" has %s: %s cannot log in",
		    s->file, s->lineno, key, why, key);
	nologin[0] = TABLE_NOLOGIN;
	nologin[1] = '\0';
	if (1 + strlen(hkind) <= strlen(val) &&
	    1 + strlen(hkind) < sizeof(nologin))
		(void)strlcat(nologin, hkind, sizeof(nologin));
	return s->fn != NULL && s->fn(s->arg, key, nologin, s->lineno) ==
	    -1 ? -1 : 0;
}

static int
scan_entry(struct scanning *s, char *key, char *val)
{
	struct quota_limit	 lim;
	struct conf_junk	 junk;
	struct userinfo		 ui;
	const char		*hkind;
	char			 why[384];
	int			 kind = s->kind, quiet = s->flags & TABLE_QUIET;

	if (*val == '\0') {
		WARNX("%s:%zu: \"%s\" has no value", s->file, s->lineno, key);
		return -1;
	} else if (!valid_username(key)) {
		WARNX("%s:%zu: invalid user name \"%s\"", s->file,
		    s->lineno, key);
		return -1;
	} else if (kind == TABLE_AUTH && !(s->flags & TABLE_ANYHASH) &&
	    (table_hash_allowed == NULL ? (strlcpy(why, "a hash, "
	    "which this program does not read", sizeof(why)), -1) :
	    table_hash_allowed(val, s->flags & TABLE_WEAK, &hkind, why,
	    sizeof(why))) == -1)
		return scan_refused(s, key, val, hkind, why);
	else if (kind == TABLE_ROUTES && !table_valid_route(val)) {
		WARNX("%s:%zu: \"%s\": \"%s\" is not an IPv4 or IPv6 address, "
		    "or a pool of %d at most", s->file, s->lineno, key, val,
		    ROUTE_POOLMAX);
		return -1;
	} else if (kind == TABLE_QUOTAS &&
	    quota_spec_parse(val, &lim, why, sizeof(why)) == -1) {
		WARNX("%s:%zu: \"%s\": quota %s", s->file, s->lineno, key, why);
		return -1;
	} else if (kind == TABLE_JUNK &&
	    junk_spec_parse(val, &junk, why, sizeof(why)) == -1) {
		WARNX("%s:%zu: \"%s\": junk %s", s->file, s->lineno, key, why);
		return -1;
	} else if (kind == TABLE_USERS && !(s->flags & TABLE_PASSWD) &&
	    table_parse_user(val, &ui, why, sizeof(why)) < 0) {
		/* That user alone: the others of the edit apply. */
		return scan_refused(s, key, val, "", why);
	}
	return s->fn != NULL && s->fn(s->arg, key, val, s->lineno) == -1 ?
	    -1 : 0;
}

/* TABLE_ANYHASH: a refused hash is a good entry too (popd -m's count). */
int
table_scan(const char *file, int kind, table_fn fn, void *arg)
{
	struct scanning	 s;
	struct lines	 lb;
	const char	*errstr, *sep;
	char		*line, *key, *val, *end;
	ssize_t		 len;
	int		 fd, r, bad = 0, quiet = kind & TABLE_QUIET;

	s = (struct scanning){ .file = file, .fn = fn, .arg = arg,
	    .flags = kind };
	kind &= ~(TABLE_QUIET | TABLE_PASSWD | TABLE_WEAK | TABLE_ANYHASH |
	    TABLE_SKIP);
	s.kind = kind;
	if ((s.flags & TABLE_PASSWD) && kind != TABLE_AUTH &&
	    kind != TABLE_USERS && kind != TABLE_QUOTAS) {
		WARNX("%s: a passwd-file has no routes", file);
		return -1;
	}
	/* A FIFO or a device would hang or harm the root parent. */
	if ((fd = open_regular(file, &errstr)) == -1) {
		WARNX("%s: %s", file, errstr);
		return -1;
	}
	lb = (struct lines){ .fd = fd };
	while ((len = next_line(&lb, &line)) > 0) {
		s.lineno++;
		if (memchr(line, '\0', len) != NULL) {
			WARNX("%s:%zu: NUL byte", file, s.lineno);
			bad = 1;
			continue;
		}
		end = line + len;
		while (end > line && (end[-1] == '\n' || end[-1] == '\r' ||
		    end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (s.flags & TABLE_PASSWD) {
			if ((r = scan_passwd(&s, line, &key, &val)) != 1) {
				if (r == -1)
					bad = 1;
				continue;
			}
		} else {
			key = line + strspn(line, " \t");
			if (*key == '\0' || *key == '#')
				continue;
			/* An IPv6 address starts with ':' maybe: none here. */
			sep = kind == TABLE_ROUTES || kind == TABLE_QUOTAS ||
			    kind == TABLE_JUNK ? " \t" : " \t:";
			val = key + strcspn(key, sep);
			if (*val != '\0') {
				*val++ = '\0';
				val += strspn(val, sep);
			}
		}
		if (scan_entry(&s, key, val) == -1)
			bad = 1;
	}
	if (len == -1) {
		WARN("%s", file);
		bad = 1;
	}
	/* Once a load, in the parent's scan of the users. */
	if (s.nign > 0 && kind == TABLE_USERS)
		WARNX("%s: %zu line%s with extra fields popd ignores (the "
		    "first on line %zu: %s)", file, s.nign, s.nign == 1 ?
		    "" : "s", s.ignline, s.ignkey);
	freezero(lb.buf, lb.size);
	close(fd);
	return bad ? -1 : 0;
}

struct loading {
	struct table	*t;
	const char	*file;
	table_fn	 check;		/* the caller's, or NULL */
	void		*arg;
	size_t		 used;		/* of t->buf */
	int		 names;		/* TABLE_NAMES */
};

static int
add_record(void *arg, char *key, char *val, size_t lineno)
{
	struct loading	*l = arg;
	struct table	*t = l->t;
	size_t		 klen = strlen(key) + 1, vlen;

	if (l->check != NULL && l->check(l->arg, key, val, lineno) == -1)
		return -1;
	if (l->names)
		val = "";
	vlen = strlen(val) + 1;
	/* Both mappings were made for the file's size when it was opened. */
	if (klen + vlen > t->bufsz - l->used ||
	    (t->n + 1) * sizeof(*t->off) > t->offsz) {
		log_warnx("%s:%zu: the file grew while it was read", l->file,
		    lineno);
		return -1;
	}
	t->off[t->n++] = l->used;
	memcpy(t->buf + l->used, key, klen);
	memcpy(t->buf + l->used + klen, val, vlen);
	l->used += klen + vlen;
	return 0;
}

/* A table keeps no line numbers: they would cost as much as its index. */
struct dupscan {
	const char		*file;
	const struct table	*t;
	size_t			*first;
	int			 nologin;	/* drop_duplicates' */
};

static int
dup_line(void *arg, char *name, char *val, size_t line)
{
	struct dupscan	*d = arg;
	ssize_t		 i;
	char		 why[96];

	if ((i = table_find(d->t, name)) == -1)
		return 0;
	while (i > 0 && strcmp(table_name(d->t, i - 1), name) == 0)
		i--;
	if ((size_t)i + 1 == d->t->n ||
	    strcmp(table_name(d->t, i + 1), name) != 0)
		return 0;
	if (d->first[i] == 0)
		d->first[i] = line;
	else if (d->nologin) {
		(void)snprintf(why, sizeof(why), "a duplicate entry (first on "
		    "line %zu): neither entry stands", d->first[i]);
		if (table_nologin != NULL)
			table_nologin(d->file, line, name, why);
		else
			log_warnx("%s:%zu: duplicate entry for \"%s\" (first "
			    "on line %zu): %s cannot log in", d->file, line,
			    name, d->first[i], name);
	} else
		log_warnx("%s:%zu: duplicate entry for \"%s\" (first on line "
		    "%zu)", d->file, line, name, d->first[i]);
	return 0;
}

/*
 * Which line the admin meant is not known: a duplicated name loads once,
 * as TABLE_NOLOGIN, and the values dropped are wiped.
 */
static void
drop_duplicates(struct table *t)
{
	char	*v;
	size_t	 i, n = 0;

	for (i = 0; i < t->n; i++) {
		if (n == 0 || strcmp(table_name(t, n - 1),
		    table_name(t, i)) != 0) {
			t->off[n++] = t->off[i];
			continue;
		}
		v = (char *)table_value(t, i);
		explicit_bzero(v, strlen(v));
		v = (char *)table_value(t, n - 1);
		if (v[0] != '\0') {
			explicit_bzero(v, strlen(v));
			v[0] = TABLE_NOLOGIN;
		}
	}
	t->n = n;
}

static void
report_duplicates(const char *file, int kind, const struct table *t,
    int nologin)
{
	struct dupscan	 d;

	d.file = file;
	d.t = t;
	d.nologin = nologin;
	if ((d.first = calloc(t->n, sizeof(*d.first))) == NULL)
		fatal("%s", __func__);
	(void)table_scan(file, kind | TABLE_QUIET, dup_line, &d);
	free(d.first);
}

/* TABLE_NAMES keeps the names alone: a fraction of a reload's memory. */
int
table_load(const char *file, int kind, table_fn check, void *arg,
    struct table *t)
{
	struct loading	 l;
	struct stat	 sb;
	const char	*errstr;
	size_t		 i;
	int		 bad, dups, fd;

	memset(t, 0, sizeof(*t));
	if ((fd = open_regular(file, &errstr)) == -1) {
		log_warnx("%s: %s", file, errstr);
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		log_warn("%s", file);
		close(fd);
		return -1;
	}
	close(fd);
	if ((size_t)sb.st_size > TABLE_MAXSIZE) {
		log_warnx("%s: larger than %zu bytes", file, TABLE_MAXSIZE);
		return -1;
	}
	/*
	 * Room for the whole file (a record is no longer than its line) and
	 * for a record every 4 bytes ("a b\n"): pages never written cost
	 * nothing, and the unused ones go back below.
	 */
	l = (struct loading){ .t = t, .file = file, .check = check,
	    .arg = arg, .names = kind & TABLE_NAMES };
	kind &= ~TABLE_NAMES;
	t->bufsz = sb.st_size + 1;
	t->buf = map_anon(&t->bufsz);
	t->offsz = (sb.st_size / 4 + 1) * sizeof(*t->off);
	t->off = map_anon(&t->offsz);
	bad = table_scan(file, kind, add_record, &l) == -1;

	/* A file in name order already (a generated one often is) is kept. */
	for (i = 1; i < t->n && off_less(t->buf, t->off[i - 1], t->off[i]);
	    i++)
		;
	if (i < t->n)
		sort_offsets(t->buf, t->off, t->n);
	for (i = 1; i < t->n; i++)
		if (strcmp(table_name(t, i - 1), table_name(t, i)) == 0)
			break;
	/* authtab's and usertab's refuse their user alone (drop_...). */
	dups = (kind & 0xf) == TABLE_AUTH || (kind & 0xf) == TABLE_USERS;
	if (i < t->n && !(dups && (kind & TABLE_QUIET)))
		report_duplicates(file, kind, t, dups);
	if (i < t->n && dups)
		drop_duplicates(t);
	else if (i < t->n)
		bad = 1;
	if (bad) {
		if ((kind & ~(TABLE_QUIET | TABLE_PASSWD | TABLE_WEAK |
		    TABLE_SKIP)) == TABLE_AUTH)
			explicit_bzero(t->buf, l.used);
		table_free(t);
		return -1;
	}
	unmap_tail(t->buf, &t->bufsz, l.used);
	unmap_tail(t->off, &t->offsz, t->n * sizeof(*t->off));
	if (mprotect(t->buf, t->bufsz, PROT_READ) == -1 ||
	    mprotect(t->off, t->offsz, PROT_READ) == -1)
		fatal("%s: mprotect", __func__);
	return 0;
}

/*
 * Literal addresses only: nginx resolves no names in Auth-Server.  A
 * pool holds up to ROUTE_POOLMAX, none twice.
 */
int
table_route_split(const char *v, char out[][INET6_ADDRSTRLEN])
{
	char		 pool[ROUTE_POOLMAX][INET6_ADDRSTRLEN];
	unsigned char	 a[16];
	size_t		 len;
	int		 n = 0, i;

	for (;;) {
		v += strspn(v, " \t,");
		if (*v == '\0')
			break;
		len = strcspn(v, " \t,");
		if (n == ROUTE_POOLMAX || len >= INET6_ADDRSTRLEN)
			return -1;
		memcpy(pool[n], v, len);
		pool[n][len] = '\0';
		if (inet_pton(AF_INET, pool[n], a) != 1 &&
		    inet_pton(AF_INET6, pool[n], a) != 1)
			return -1;
		for (i = 0; i < n; i++)
			if (strcmp(pool[i], pool[n]) == 0)
				return -1;
		n++;
		v += len;
	}
	if (n == 0)
		return -1;
	if (out != NULL)
		memcpy(out, pool, n * sizeof(pool[0]));
	return n;
}

int
table_valid_route(const char *v)
{
	return table_route_split(v, NULL) != -1;
}

/*
 * Rendezvous hashing: a user stays on a backend while it is up; when it
 * goes only its users move.  The key is fixed so that every router of a
 * fleet and every restart choose alike; the hash only spreads.
 */
int
table_route_pick(const char *user, char addrs[][INET6_ADDRSTRLEN], int n,
    const int *usable)
{
	static const uint64_t	 key[2] = { 0x706f7064706f6f6cULL,
				    0x72656e64657a766fULL };
	char			 buf[POPD_MAXUSER + 1 + INET6_ADDRSTRLEN];
	uint64_t		 h, best = 0;
	size_t			 ulen = strlen(user);
	int			 i, pick = -1;

	if (ulen > POPD_MAXUSER)
		return -1;
	memcpy(buf, user, ulen + 1);
	for (i = 0; i < n; i++) {
		if (!usable[i])
			continue;
		(void)strlcpy(buf + ulen + 1, addrs[i], INET6_ADDRSTRLEN);
		h = siphash(key, buf, ulen + 1 + strlen(addrs[i]));
		if (pick == -1 || h > best) {
			best = h;
			pick = i;
		}
	}
	return pick;
}
