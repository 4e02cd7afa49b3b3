/*
 * oldids.c -- the UIDLs Dovecot or Courier gave a maildir's messages,
 * read from their records, so that popd answers the same ones and no
 * client that leaves mail on the server downloads it all again after a
 * migration.
 *
 * Courier's courierpop3dsizelist: "/2 <next uid> <uidvalidity>", then
 * "<file name> <size> <uid>:<uidvalidity>" per message; its UIDL is
 * "UID<uid>-<uidvalidity>".  qmail-pop3d and vpopmail answer the file
 * name up to ':', which is popd's own rule already.
 *
 * dovecot-uidlist (Dovecot's Maildir format): a header line, version 3
 * "3 V<uidvalidity> N<next uid> G<guid>" (version 1: "1 <uidvalidity>
 * <next uid>"), then one line per message, "<uid> [<key><value> ...]
 * :<file name>" (version 1: "<uid> <file name>").  A message's POP3
 * UIDL is pop3_uidl_format applied to its UID and the UIDVALIDITY,
 * unless Dovecot saved the UIDL it gave in a P<uidl> field.
 *
 * A UIDL must never change.  So the first time popd takes UIDLs from a
 * maildir's records it writes popd.migrated ("<file> V<v> N<n>"), and
 * from then on takes only UIDs below that N, with that
 * UIDVALIDITY: messages Dovecot (IMAP, say) numbers later were first
 * seen by popd and keep popd's own UIDLs, also when the popcache is
 * rebuilt.  Used only when popd builds its list from the directories
 * (no popcache, or a damaged one).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"
#include "oldids.h"

#define UIDLIST_MAX		(512 * 1024 * 1024)
#define COURIER			100	/* + the version of its header */

/* What each server left, looked for in this order. */
static const char *const lists[] = {
	"dovecot-uidlist",
	"courierpop3dsizelist",
};

struct oldent {
	const char	*base;		/* into the file's text */
	size_t		 baselen;
	char		 uidl[UIDL_MAX + 1];
	off_t		 vsize;		/* Dovecot's W: CRLF size, or -1 */
	int		 dup;		/* another record has this UIDL */
};

struct oldids {
	const char	*source;	/* the file's name */
	char		*text;		/* the file, NULs put in */
	struct oldent	*v;
	size_t		 n;
	uint32_t	*tab;		/* index + 1 by base name */
	size_t		 mask;
};

static char	*slurp(int, const char *, size_t *);
static int	 header(char *, unsigned long *, unsigned long *, int *);
static int	 stamp(int, const char *, const char *, unsigned long *,
		    unsigned long *, int);
static int	 record(char *, int, unsigned long, unsigned long,
		    const char *, struct oldent *);
static int	 courier_record(char *, unsigned long, struct oldent *);
static uint64_t	 hash(const char *, size_t);
static size_t	 find(const struct oldids *, const char *, size_t);
static size_t	 mark_dups(struct oldids *);
static int	 uidl_ok(const char *);

/*
 * The UIDLs of dirfd's dovecot-uidlist, fmt being its pop3_uidl_format;
 * NULL when there is none (or nothing usable, logged).
 */
struct oldids *
oldids_load(int dirfd, const char *path, const char *fmt, int flags)
{
	struct oldids	*o;
	unsigned long	 uidv, next, sv, sn;
	size_t		 len, i, k, bad = 0, dup = 0;
	char		*p, *nl, *recs;
	const char	*list;
	int		 version;
	size_t		 src;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	for (src = 0; src < nitems(lists); src++)
		if ((o->text = slurp(dirfd, lists[src], &len)) != NULL)
			break;
	if (src == nitems(lists))
		goto none;
	list = lists[src];
	if ((nl = memchr(o->text, '\n', len)) == NULL)
		goto damaged;
	*nl = '\0';
	recs = nl + 1;
	if (header(o->text, &uidv, &next, &version) == -1)
		goto damaged;
	/* The takeover's limit, set the first time and kept. */
	sv = uidv;
	sn = next;
	o->source = list;
	switch (stamp(dirfd, path, list, &sv, &sn, flags & OLDIDS_DRYRUN)) {
	case 0:
		if (sv != uidv) {
			log_warnx("%s: %s has UIDVALIDITY %lu, not %lu as when "
			    "popd took it over: none of its UIDLs is used",
			    path, list, uidv, sv);
			goto none;
		}
		next = sn;
		break;
	case 1:
		break;		/* just written: this is the takeover */
	default:
		goto none;
	}
	for (p = recs, k = 0; p < o->text + len; p = nl + 1, k++)
		if ((nl = memchr(p, '\n', o->text + len - p)) == NULL)
			break;
	if ((o->v = calloc(k + 1, sizeof(*o->v))) == NULL)
		goto none;
	for (p = recs; p < o->text + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', o->text + len - p)) == NULL)
			break;		/* a line being written */
		*nl = '\0';
		switch (record(p, version, uidv, next, fmt, &o->v[o->n])) {
		case 0:
			o->n++;
			break;
		case -1:
			bad++;
			break;
		}
	}
	for (o->mask = 15; o->mask < o->n * 2; o->mask = o->mask * 2 + 1)
		;
	if ((o->tab = calloc(o->mask + 1, sizeof(*o->tab))) == NULL)
		goto none;
	for (i = 0; i < o->n; i++) {
		k = find(o, o->v[i].base, o->v[i].baselen);
		if (o->tab[k] == 0)
			o->tab[k] = i + 1;
	}
	if ((dup = mark_dups(o)) == (size_t)-1)
		goto none;
	log_info("%s: %zu UIDLs taken from %s", path, o->n - dup, list);
	if (bad + dup > 0)
		log_warnx("%s: %s: %zu records unusable (UIDL too long, not "
		    "printable or given twice, or a bad line): popd's own "
		    "UIDLs for those", path, list, bad + dup);
	return o;

 damaged:
	log_warnx("%s: %s: not in a format popd knows: popd's own UIDLs",
	    path, list);
 none:
	oldids_free(o);
	return NULL;
}

/* The record of a message ("new/x", "cur/x:2,S"), or NULL. */
static const struct oldent *
lookup(const struct oldids *o, const char *name)
{
	const char	*base = strrchr(name, '/');
	size_t		 k;

	base = base == NULL ? name : base + 1;
	if (o == NULL || o->n == 0)
		return NULL;
	k = find(o, base, strcspn(base, ":"));
	return o->tab[k] == 0 ? NULL : &o->v[o->tab[k] - 1];
}

/* The UIDL taken over for a message, or NULL. */
const char *
oldids_get(const struct oldids *o, const char *name)
{
	const struct oldent	*e = lookup(o, name);

	return e == NULL || e->dup ? NULL : e->uidl;
}

/*
 * The size Dovecot recorded for a message (its W: every bare LF counted
 * as CRLF, no line end added after a last line without one), or -1.
 * Not checked here: see maildir_recsize().
 */
off_t
oldids_size(const struct oldids *o, const char *name)
{
	const struct oldent	*e = lookup(o, name);

	return e == NULL ? -1 : e->vsize;
}

/* Which server's file it is: "dovecot-uidlist", "courierpop3dsizelist". */
const char *
oldids_source(const struct oldids *o)
{
	return o == NULL ? NULL : o->source;
}

void
oldids_free(struct oldids *o)
{
	if (o == NULL)
		return;
	free(o->text);
	free(o->v);
	free(o->tab);
	free(o);
}

/* The whole of a regular file in dirfd, NUL-terminated, or NULL. */
static char *
slurp(int dirfd, const char *name, size_t *len)
{
	struct stat	 st;
	char		*buf = NULL;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	if ((fd = maildir_openat(dirfd, name, O_RDONLY, 0)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || st.st_size > UIDLIST_MAX ||
	    (buf = malloc(st.st_size + 1)) == NULL)
		goto fail;
	while (off < (size_t)st.st_size && (n = read(fd, buf + off,
	    st.st_size - off)) > 0)
		off += n;
	close(fd);
	buf[off] = '\0';
	*len = off;
	return buf;
 fail:
	close(fd);
	free(buf);
	return NULL;
}

/*
 * Dovecot's "3 V1700000000 N57 G..." or "1 1700000000 57", Courier's
 * "/2 57 1700000000" (its version + COURIER).
 */
static int
header(char *line, unsigned long *uidv, unsigned long *next, int *version)
{
	char	*f, *end;
	int	 i, courier;

	*uidv = *next = 0;
	if ((f = strsep(&line, " ")) == NULL)
		return -1;
	if ((courier = *f == '/'))
		f++;
	*version = strtol(f, &end, 10);
	if (*end != '\0' || (courier ? *version != 2 && *version != 3 :
	    *version != 1 && *version != 3))
		return -1;
	if (courier)
		*version += COURIER;
	for (i = 0; (f = strsep(&line, " ")) != NULL; i++) {
		if (courier && i < 2)
			*(i == 0 ? next : uidv) = strtoul(f, &end, 10);
		else if (*version == 1 && i < 2)
			*(i == 0 ? uidv : next) = strtoul(f, &end, 10);
		else if (*version == 3 && (*f == 'V' || *f == 'N'))
			*(*f == 'V' ? uidv : next) = strtoul(f + 1, &end, 10);
		else
			continue;
		if (*end != '\0')
			return -1;
	}
	return (*uidv == 0 && !courier) || *next == 0 ? -1 : 0;
}

/*
 * popd.migrated: 0 with the takeover's UIDVALIDITY and next UID in
 * *uidv and *next, 1 when there was none and it has been written now
 * with the current ones (given in *uidv and *next), -1 if it cannot be
 * read or written (logged).
 */
static int
stamp(int dirfd, const char *path, const char *list, unsigned long *uidv,
    unsigned long *next, int dryrun)
{
	char	 buf[128], name[32], *text;
	size_t	 len;
	int	 fd, n;

	if ((text = slurp(dirfd, OLDIDS_STAMP, &len)) != NULL) {
		n = sscanf(text, "%31s V%lu N%lu", name, uidv, next);
		free(text);
		if (n == 3 && strcmp(name, list) == 0)
			return 0;
		log_warnx("%s/%s: damaged, or not of %s: no UIDLs taken "
		    "over", path, OLDIDS_STAMP, list);
		return -1;
	}
	if (errno != ENOENT) {
		log_warn("%s/%s", path, OLDIDS_STAMP);
		return -1;
	}
	if (dryrun)
		return 1;
	n = snprintf(buf, sizeof(buf), "%s V%lu N%lu\n", list, *uidv, *next);
	if ((fd = maildir_openat(dirfd, OLDIDS_STAMP ".tmp",
	    O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, buf, n) != n || fsync(fd) == -1 || close(fd) == -1 ||
	    renameat(dirfd, OLDIDS_STAMP ".tmp", dirfd, OLDIDS_STAMP) == -1) {
		log_warn("%s/%s: not written, no UIDLs taken over", path,
		    OLDIDS_STAMP);
		return -1;
	}
	return 1;
}

/*
 * One record into *e: 0, 1 to skip it (a UID after the takeover), -1
 * when it is unusable.
 */
static int
record(char *line, int version, unsigned long uidv, unsigned long next,
    const char *fmt, struct oldent *e)
{
	unsigned long	 uid;
	char		*end, *f, *base = NULL, *pop3 = NULL;

	if (version > COURIER)
		return courier_record(line, next, e);
	uid = strtoul(line, &end, 10);
	if (end == line || *end != ' ' || uid == 0)
		return -1;
	if (uid >= next)
		return 1;
	line = end + 1;
	e->vsize = -1;
	if (version == 1)
		base = line;
	else
		while ((f = strsep(&line, " ")) != NULL) {
			if (*f == ':') {
				/* The name is the rest, spaces and all. */
				base = f + 1;
				if (line != NULL)
					line[-1] = ' ';
				break;
			}
			if (*f == 'P')
				pop3 = f + 1;
			else if (*f == 'W' && f[1] >= '0' && f[1] <= '9' &&
			    strlen(f + 1) <= 15 && strspn(f + 1,
			    "0123456789") == strlen(f + 1))
				e->vsize = strtoll(f + 1, NULL, 10);
		}
	if (base == NULL || *base == '\0')
		return -1;
	e->base = base;
	e->baselen = strcspn(base, ":");
	if (pop3 != NULL && *pop3 == '\0') {
		/* An empty P: the file's unique name. */
		if (e->baselen >= sizeof(e->uidl))
			return -1;
		memcpy(e->uidl, base, e->baselen);
		e->uidl[e->baselen] = '\0';
	} else if (pop3 != NULL) {
		if (strlcpy(e->uidl, pop3, sizeof(e->uidl)) >= sizeof(e->uidl))
			return -1;
	} else if (settings_uidl(fmt, uid, uidv, base, e->uidl,
	    sizeof(e->uidl)) == -1)
		return -1;
	return uidl_ok(e->uidl) ? 0 : -1;
}

/*
 * Courier's "<file name> <size> <uid>:<uidvalidity>[:...]", read from
 * the right (a name may hold spaces); its UIDL is "UID<uid>-<uidv>", or
 * "UID<uid>" without one.  0, 1 to skip it, -1 when unusable.
 */
static int
courier_record(char *line, unsigned long next, struct oldent *e)
{
	unsigned long	 uid, uidv;
	char		*ids, *size, *end;

	if ((ids = strrchr(line, ' ')) == NULL)
		return -1;
	*ids++ = '\0';
	if ((size = strrchr(line, ' ')) == NULL || size == line)
		return -1;
	*size = '\0';
	uid = strtoul(ids, &end, 10);
	if (end == ids || *end != ':' || uid == 0)
		return -1;
	uidv = strtoul(end + 1, &end, 10);
	if (*end != '\0' && *end != ':')
		return -1;
	if (uid >= next)
		return 1;
	e->vsize = -1;		/* counts CRLF lines twice: not exact */
	e->base = line;
	e->baselen = strcspn(line, ":");
	if (uidv == 0)
		(void)snprintf(e->uidl, sizeof(e->uidl), "UID%lu", uid);
	else
		(void)snprintf(e->uidl, sizeof(e->uidl), "UID%lu-%lu", uid,
		    uidv);
	return 0;
}

/* 1 to 70 characters from 0x21 to 0x7e (RFC 1939). */
static int
uidl_ok(const char *u)
{
	size_t	i;

	for (i = 0; u[i] != '\0'; i++)
		if (u[i] < 0x21 || u[i] > 0x7e)
			return 0;
	return i >= 1 && i <= UIDL_MAX;
}

/* 64-bit FNV-1a. */
static uint64_t
hash(const char *s, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

/* The slot of base (len bytes) in o->tab: its own, or the empty one. */
static size_t
find(const struct oldids *o, const char *base, size_t len)
{
	const struct oldent	*e;
	size_t			 k;

	k = hash(base, len) & o->mask;
	for (; o->tab[k] != 0; k = (k + 1) & o->mask) {
		e = &o->v[o->tab[k] - 1];
		if (e->baselen == len && memcmp(e->base, base, len) == 0)
			break;
	}
	return k;
}

/*
 * A UIDL that two records give is neither's: mark them.  Returns how
 * many records lost theirs, or -1 without memory.
 */
static size_t
mark_dups(struct oldids *o)
{
	uint32_t	*u;
	size_t		 i, j, dup = 0;

	if ((u = calloc(o->mask + 1, sizeof(*u))) == NULL)
		return (size_t)-1;
	for (i = 0; i < o->n; i++) {
		j = hash(o->v[i].uidl, strlen(o->v[i].uidl)) & o->mask;
		for (; u[j] != 0; j = (j + 1) & o->mask)
			if (strcmp(o->v[u[j] - 1].uidl, o->v[i].uidl) == 0)
				break;
		if (u[j] == 0) {
			u[j] = i + 1;
			continue;
		}
		dup += o->v[u[j] - 1].dup ? 1 : 2;
		o->v[u[j] - 1].dup = o->v[i].dup = 1;
	}
	free(u);
	return dup;
}
