/*
 * table.c -- authtab and usertab, parsed as OpenSMTPD parses table(5)
 * "file" tables: one "key value" per line, key and value separated by
 * any run of spaces, tabs or colons; blank lines and lines whose first
 * non-blank character is '#' are ignored; the last line may lack '\n'.
 * Every bad line is reported as "file:line: reason".  Only a regular
 * file is read (open_regular), and a NUL byte is an error.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table.h"

static int	userent_cmp(struct userent *, struct userent *);
static int	parse_userinfo(struct userent *, char *, const char *, size_t);
static int	valid_hash(const char *);
static int	table_parse(const char *, struct usertree *, int);

RB_GENERATE(usertree, userent, entry, userent_cmp)

static int
userent_cmp(struct userent *a, struct userent *b)
{
	return strcmp(a->name, b->name);
}

struct userent *
table_lookup(struct usertree *t, const char *name)
{
	struct userent	key;

	if (strlcpy(key.name, name, sizeof(key.name)) >= sizeof(key.name))
		return NULL;
	return RB_FIND(usertree, t, &key);
}

void
table_free(struct usertree *t)
{
	struct userent	*u, *next;

	RB_FOREACH_SAFE(u, usertree, t, next) {
		RB_REMOVE(usertree, t, u);
		if (u->hash != NULL)
			freezero(u->hash, strlen(u->hash) + 1);
		freezero(u, sizeof(*u));
	}
}

/* "uid:gid:/absolute/path", as OpenSMTPD's userinfo tables. */
static int
parse_userinfo(struct userent *u, char *val, const char *file, size_t lineno)
{
	char		*uid, *gid, *path;
	const char	*errstr;

	uid = strsep(&val, ":");
	gid = strsep(&val, ":");
	path = val;
	if (gid == NULL || path == NULL) {
		log_warnx("%s:%zu: value must be uid:gid:/path", file, lineno);
		return -1;
	}
	u->uid = strtonum(uid, 0, UINT32_MAX - 1, &errstr);
	if (errstr != NULL) {
		log_warnx("%s:%zu: uid \"%s\" is %s", file, lineno, uid,
		    errstr);
		return -1;
	}
	u->gid = strtonum(gid, 0, UINT32_MAX - 1, &errstr);
	if (errstr != NULL) {
		log_warnx("%s:%zu: gid \"%s\" is %s", file, lineno, gid,
		    errstr);
		return -1;
	}
	if (u->uid == 0 || u->gid == 0) {
		log_warnx("%s:%zu: uid and gid 0 are refused", file, lineno);
		return -1;
	}
	if (path[0] != '/') {
		log_warnx("%s:%zu: path \"%s\" is not absolute", file, lineno,
		    path);
		return -1;
	}
	if (strstr(path, "/../") != NULL ||
	    (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0)) {
		log_warnx("%s:%zu: path \"%s\" contains \"..\"", file, lineno,
		    path);
		return -1;
	}
	if (strlcpy(u->path, path, sizeof(u->path)) >= sizeof(u->path)) {
		log_warnx("%s:%zu: path too long", file, lineno);
		return -1;
	}
	return 0;
}

/* crypt(3) hashes we can check: bcrypt, and SHA-crypt as smtpctl makes. */
static int
valid_hash(const char *h)
{
	size_t	len = strlen(h);
	int	cost;

	/* "$2b$NN$" and 53 characters of bcrypt's base64, cost 4..31. */
	if (len == 60 && h[0] == '$' && h[1] == '2' &&
	    (h[2] == 'a' || h[2] == 'b' || h[2] == 'y') && h[3] == '$' &&
	    isdigit((unsigned char)h[4]) && isdigit((unsigned char)h[5]) &&
	    h[6] == '$') {
		cost = (h[4] - '0') * 10 + (h[5] - '0');
		return cost >= 4 && cost <= 31 &&
		    strspn(h + 7, "./ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789") == 53;
	}
	if (len > 4 && h[0] == '$' && (h[1] == '5' || h[1] == '6') &&
	    h[2] == '$')
		return 1;
	return 0;
}

static int
table_parse(const char *file, struct usertree *t, int isauth)
{
	FILE		*fp;
	char		*line = NULL, *key, *val, *end;
	const char	*errstr;
	size_t		 sz = 0, lineno = 0;
	ssize_t		 len;
	struct userent	*u;
	int		 fd, bad = 0;

	RB_INIT(t);
	/* A FIFO or a device would hang or harm the root parent. */
	if ((fd = open_regular(file, &errstr)) == -1) {
		log_warnx("%s: %s", file, errstr);
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		log_warn("%s", file);
		close(fd);
		return -1;
	}
	while ((len = getline(&line, &sz, fp)) != -1) {
		lineno++;
		if (memchr(line, '\0', len) != NULL) {
			log_warnx("%s:%zu: NUL byte", file, lineno);
			bad = 1;
			continue;
		}
		/* Trailing newline, CR and blanks are not part of the value. */
		end = line + len;
		while (end > line && (end[-1] == '\n' || end[-1] == '\r' ||
		    end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		key = line + strspn(line, " \t");
		if (*key == '\0' || *key == '#')
			continue;
		val = key + strcspn(key, " \t:");
		if (*val != '\0') {
			*val++ = '\0';
			val += strspn(val, " \t:");
		}
		if (*val == '\0') {
			log_warnx("%s:%zu: \"%s\" has no value", file, lineno,
			    key);
			bad = 1;
			continue;
		}
		if (!valid_username(key)) {
			log_warnx("%s:%zu: invalid user name \"%s\"", file,
			    lineno, key);
			bad = 1;
			continue;
		}
		if (table_lookup(t, key) != NULL) {
			log_warnx("%s:%zu: duplicate entry for \"%s\"", file,
			    lineno, key);
			bad = 1;
			continue;
		}
		if ((u = calloc(1, sizeof(*u))) == NULL)
			fatal("%s", __func__);
		(void)strlcpy(u->name, key, sizeof(u->name));
		u->lineno = lineno;
		if (isauth) {
			if (!valid_hash(val)) {
				/* Never log the value: it may be a password. */
				log_warnx("%s:%zu: \"%s\" has no bcrypt or "
				    "SHA-crypt hash", file, lineno, key);
				free(u);
				bad = 1;
				continue;
			}
			if ((u->hash = strdup(val)) == NULL)
				fatal("%s", __func__);
		} else if (parse_userinfo(u, val, file, lineno) == -1) {
			free(u);
			bad = 1;
			continue;
		}
		RB_INSERT(usertree, t, u);
	}
	if (ferror(fp)) {
		log_warn("%s", file);
		bad = 1;
	}
	if (line != NULL)
		freezero(line, sz);
	fclose(fp);
	if (bad) {
		table_free(t);
		return -1;
	}
	return 0;
}

int
table_load_users(const char *file, struct usertree *t)
{
	return table_parse(file, t, 0);
}

int
table_load_auth(const char *file, struct usertree *t)
{
	return table_parse(file, t, 1);
}

/*
 * A user who can log in must have a mailbox: every authtab entry needs a
 * usertab entry.  usertab may list users who only receive mail.
 */
int
table_crosscheck(const char *authfile, struct usertree *auth,
    const char *userfile, struct usertree *users)
{
	struct userent	*u;
	int		 bad = 0;

	RB_FOREACH(u, usertree, auth) {
		if (table_lookup(users, u->name) == NULL) {
			log_warnx("%s:%zu: user \"%s\" is not in %s",
			    authfile, u->lineno, u->name, userfile);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}
