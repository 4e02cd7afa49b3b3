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
 * test_popcache -- popcache.c with maildir.c on a real maildir in a
 * temporary directory: write/load round trip, the warm open reading no
 * directory and no message, incremental updates (new/ only, moves to
 * cur/, deletions), hints appended by mda, and every kind of damage
 * (missing, truncated, bad checksum, bad fields with a good checksum,
 * unknown version, stale stamps) falling back to a rebuild that keeps
 * the UIDLs.  Then popd.migrated (oldids.c), the record of the UIDLs
 * taken over from another server: written at the first rebuild (empty
 * when there was nothing to take), the only source once it is there,
 * and every kind of damage refused with EBADMSG.  Takes a few seconds:
 * directory stamps are only trusted once they are two seconds old.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <seccomp.h>
#endif

#include "maildrop.h"
#include "unit.h"

#define NMSG	40

static char	 base[128], root[256];

struct snap {
	size_t	 n;
	char	 name[NMSG * 2][128];
	char	 uidl[NMSG * 2][UIDL_MAX + 1];
	off_t	 size[NMSG * 2];
};

/* root/rel in a static buffer. */
static const char *
mpath(const char *rel)
{
	static char	buf[PATH_MAX];

	if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", root, rel) >=
	    sizeof(buf))
		abort();
	return buf;
}

/* RFC 1939 size of data, computed independently of crlf.c. */
static off_t
rfcsize(const char *data, size_t len)
{
	off_t	n = 0;
	size_t	i;

	for (i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			n++;
		n++;
	}
	if (len > 0 && data[len - 1] != '\n')
		n += 2;
	return n;
}

static void
put(const char *rel, const char *data)
{
	char	path[PATH_MAX];
	int	fd;

	strlcpy(path, mpath(rel), sizeof(path));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, data, strlen(data)) != (ssize_t)strlen(data) ||
	    close(fd) == -1) {
		perror(path);
		exit(2);
	}
}

static void
mv(const char *from, const char *to)
{
	char	a[PATH_MAX], b[PATH_MAX];

	if (strlcpy(a, mpath(from), sizeof(a)) >= sizeof(a) ||
	    strlcpy(b, mpath(to), sizeof(b)) >= sizeof(b))
		abort();
	if (rename(a, b) == -1) {
		perror(a);
		exit(2);
	}
}

static void
rm(const char *rel)
{
	char	a[PATH_MAX];

	strlcpy(a, mpath(rel), sizeof(a));
	if (unlink(a) == -1 && errno != ENOENT) {
		perror(a);
		exit(2);
	}
}

/* The whole popcache file, NUL-terminated; NULL if there is none. */
static char *
slurp(size_t *lenp)
{
	char		 path[PATH_MAX], *buf;
	struct stat	 st;
	int		 fd;

	strlcpy(path, mpath("popcache"), sizeof(path));
	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || (buf = malloc(st.st_size + 1)) == NULL ||
	    read(fd, buf, st.st_size) != st.st_size) {
		perror(path);
		exit(2);
	}
	close(fd);
	buf[st.st_size] = '\0';
	if (lenp != NULL)
		*lenp = st.st_size;
	return buf;
}

static void
spew(const char *buf, size_t len)
{
	char	path[PATH_MAX];
	int	fd;

	strlcpy(path, mpath("popcache"), sizeof(path));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, buf, len) != (ssize_t)len || close(fd) == -1) {
		perror(path);
		exit(2);
	}
}

/*
 * The checksum of popcache(5), written again from the manual page: it
 * pins the format down independently of popcache.c.
 */
static uint64_t
sum(const char *buf, size_t len)
{
	const unsigned char	*s = (const unsigned char *)buf;
	uint64_t		 h, w;
	size_t			 i;

	h = (uint64_t)len * 0x9e3779b97f4a7c15ULL;
	for (; len >= 8; s += 8, len -= 8) {
		for (w = 0, i = 0; i < 8; i++)
			w |= (uint64_t)s[i] << (8 * i);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	for (w = 0, i = 0; i < len; i++)
		w |= (uint64_t)s[i] << (8 * i);
	h = (h ^ w) * 0x94d049bb133111ebULL;
	h ^= h >> 29;
	return h;
}

/* Write body (header and records) with a correct trailer. */
static void
spew_signed(const char *body, size_t count)
{
	char	*buf;
	size_t	 len = strlen(body);

	if ((buf = malloc(len + 64)) == NULL)
		exit(2);
	memcpy(buf, body, len);
	len += snprintf(buf + len, 64, "end %zu %016llx\n", count,
	    (unsigned long long)sum(body, strlen(body)));
	spew(buf, len);
	free(buf);
}

static void
take(struct maildrop *md, struct snap *s)
{
	size_t	i;

	memset(s, 0, sizeof(*s));
	s->n = md->nmsgs;
	for (i = 0; i < md->nmsgs && i < NMSG * 2; i++) {
		strlcpy(s->name[i], md->msgs[i].name, sizeof(s->name[i]));
		strlcpy(s->uidl[i], md->msgs[i].uidl, sizeof(s->uidl[i]));
		s->size[i] = md->msgs[i].size;
	}
}

/* Look a unique name up in a snapshot. */
static int
find(const struct snap *s, const char *uniq)
{
	size_t	i, n = strlen(uniq);

	for (i = 0; i < s->n; i++)
		if (strncmp(s->name[i] + 4, uniq, n) == 0 &&
		    (s->name[i][4 + n] == '\0' || s->name[i][4 + n] == ':'))
			return i;
	return -1;
}

/*
 * Every message of a is in b with the same UIDL and size (by unique
 * name), and b has no other one.
 */
static void
same(const struct snap *a, const struct snap *b, const char *what)
{
	size_t	i;
	int	j;

	CHECK(a->n == b->n, "%s: expected %zu messages, got %zu", what,
	    a->n, b->n);
	for (i = 0; i < a->n; i++) {
		char	uniq[128];

		strlcpy(uniq, a->name[i] + 4, sizeof(uniq));
		uniq[strcspn(uniq, ":")] = '\0';
		j = find(b, uniq);
		CHECK(j != -1, "%s: expected %s, not found", what, a->name[i]);
		if (j == -1)
			continue;
		CHECK(strcmp(a->uidl[i], b->uidl[j]) == 0,
		    "%s: %s: expected UIDL %s, got %s", what, uniq,
		    a->uidl[i], b->uidl[j]);
		CHECK(a->size[i] == b->size[j],
		    "%s: %s: expected size %lld, got %lld", what, uniq,
		    (long long)a->size[i], (long long)b->size[j]);
	}
}

/* One session: open, scan; the caller checks, then session_end. */
static void
session(struct maildrop *md)
{
	if (maildrop_open(md, root, NULL) == -1 || maildrop_lock(md) == -1 ||
	    maildrop_scan(md) == -1) {
		perror("maildrop");
		exit(2);
	}
}

static void
session_end(struct maildrop *md)
{
	(void)maildrop_update(md);
	maildrop_close(md);
}

/* A session that rebuilds the popcache and finds the messages of s. */
static void
rebuilt(struct maildrop *md, const struct snap *s, const char *what)
{
	static struct snap	 now;

	session(md);
	CHECK(md->pc.stats.result == POPCACHE_REBUILD,
	    "%s: expected a rebuild, got %d", what, md->pc.stats.result);
	take(md, &now);
	same(s, &now, what);
	session_end(md);
}

/*
 * Directory stamps younger than 2 s are not trusted: wait until those
 * made so far, of this second at the latest, are 2 s old (1 to 2 s).
 */
static void
settle(void)
{
	struct timespec	now, nap;

	if (clock_gettime(CLOCK_REALTIME, &now) == -1)
		abort();
	nap.tv_sec = 1;
	nap.tv_nsec = 1000000000L - now.tv_nsec + 10000000L;
	if (nap.tv_nsec >= 1000000000L) {
		nap.tv_sec++;
		nap.tv_nsec -= 1000000000L;
	}
	while (nanosleep(&nap, &nap) == -1)
		;
}


/* --- popd.migrated ---------------------------------------------------- */

/* 64-bit FNV-1a, the checksum of popd.migrated, from popcache(5). */
static uint64_t
fnv(const char *s, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

/* rel in the maildir: body, then "end <count> <checksum>" if count >= 0. */
static void
put_signed(const char *rel, const char *body, long count)
{
	char	buf[4096];

	if (count < 0)
		(void)strlcpy(buf, body, sizeof(buf));
	else
		(void)snprintf(buf, sizeof(buf), "%send %ld %016llx\n", body,
		    count, (unsigned long long)fnv(body, strlen(body)));
	put(rel, buf);
}

/* The whole of a file of the maildir, NUL-terminated; NULL if none. */
static char *
readall(const char *rel)
{
	static char	buf[8192];
	ssize_t		n;
	int		fd;

	if ((fd = open(mpath(rel), O_RDONLY)) == -1)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* A cold open: 0, or the errno of a scan that failed. */
static int
cold(struct maildrop *md)
{
	rm("popcache");
	if (maildrop_open(md, root, NULL) == -1 || maildrop_lock(md) == -1) {
		perror("maildrop");
		exit(2);
	}
	errno = 0;
	if (maildrop_scan(md) == -1)
		return errno != 0 ? errno : -1;
	return 0;
}

/* The UIDL of the message with unique name uniq, or "". */
static const char *
uidl_of(const struct maildrop *md, const char *uniq)
{
	size_t	i, n = strlen(uniq);

	for (i = 0; i < md->nmsgs; i++)
		if (strncmp(md->msgs[i].name + 4, uniq, n) == 0 &&
		    (md->msgs[i].name[4 + n] == '\0' ||
		    md->msgs[i].name[4 + n] == ':'))
			return md->msgs[i].uidl;
	return "";
}

static void
test_migrated(void)
{
	struct maildrop	 md;
	const char	*t;
	char		 body[1024];
	size_t		 i;
	int		 e;
	static const char *bad[] = {
		/* header */
		"popd.migrated 3 - 0\n",
		"popd.migrated 2 other-list 0\n",
		"popd.migrated 2 - 01\n1 1700000000.M1P1.a\n",
		"popd.migrated 2 -  0\n",
		"popd.migrated 2 - -1\n",
		"popd.migrated  2 - 0\n",
		"dovecot-uidlist V1 N2 extra\n",
		"unknown-list V1 N2\n",
		"dovecot-uidlist V1 N02\n",
		/* records */
		"popd.migrated 2 - 1\n1 1700000000.M1P1.a\n",	/* -
		    ok: the control below */
		"popd.migrated 2 - 1\n" "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
		    "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy 1700000000.M1P1.a\n",
		"popd.migrated 2 - 1\na\001 1700000000.M1P1.a\n",
		"popd.migrated 2 - 1\n 1700000000.M1P1.a\n",
		"popd.migrated 2 - 1\nu \n",
		"popd.migrated 2 - 1\nu cur/1700000000.M1P1.a\n",
		"popd.migrated 2 - 1\nu 1700000000.M1P1.a:2,S\n",
		"popd.migrated 2 - 1\nu .1700000000.M1P1.a\n",
		"popd.migrated 2 - 1\nnospace\n",
		"popd.migrated 2 - 2\nu 1700000000.M1P1.a\nv "
		    "1700000000.M1P1.a\n",
		"popd.migrated 2 - 2\nu 1700000000.M1P1.a\nu "
		    "1700000001.M2P2.b\n",
	};

	/* A new maildir: the first rebuild records that it took nothing. */
	snprintf(root, sizeof(root), "%s/Migrated", base);
	if (maildir_create(root) == -1) {
		perror(root);
		exit(2);
	}
	put("cur/1700000000.M1P1.a:2,S", "Subject: a\n\na\n");
	put("new/1700000001.M2P2.b", "Subject: b\n\nb\n");
	CHECK_INT(cold(&md), 0);
	CHECK_STR(uidl_of(&md, "1700000000.M1P1.a"), "1700000000.M1P1.a");
	maildrop_close(&md);
	(void)snprintf(body, sizeof(body), "popd.migrated 2 - 0\nend 0 "
	    "%016llx\n", (unsigned long long)fnv("popd.migrated 2 - 0\n",
	    20));
	CHECK_STR(readall("popd.migrated"), body);
	CHECK(access(mpath("popd.migrated.tmp"), F_OK) == -1,
	    "expected no popd.migrated.tmp left");

	/* Once it is there, another server's file counts for nothing. */
	put("dovecot-uidlist", "3 V1600000000 N3 Gabc\n"
	    "1 :1700000000.M1P1.a\n2 :1700000001.M2P2.b\n");
	CHECK_INT(cold(&md), 0);
	CHECK_STR(uidl_of(&md, "1700000000.M1P1.a"), "1700000000.M1P1.a");
	maildrop_close(&md);

	/* Without a record, the first rebuild takes over and records. */
	rm("popd.migrated");
	CHECK_INT(cold(&md), 0);
	CHECK_STR(uidl_of(&md, "1700000000.M1P1.a"), "000000015f5e1000");
	CHECK_STR(uidl_of(&md, "1700000001.M2P2.b"), "000000025f5e1000");
	maildrop_close(&md);
	t = readall("popd.migrated");
	CHECK(t != NULL && strncmp(t, "popd.migrated 2 dovecot-uidlist 2\n",
	    34) == 0 && strstr(t, "\n000000015f5e1000 1700000000.M1P1.a\n")
	    != NULL && strstr(t, "\n000000025f5e1000 1700000001.M2P2.b\n") !=
	    NULL, "expected the two UIDLs recorded, got %s", t ? t : "none");
	/* Another UIDVALIDITY, a lost popcache: the same UIDLs. */
	put("dovecot-uidlist", "3 V1700000000 N3 Gabc\n"
	    "1 :1700000001.M2P2.b\n2 :1700000000.M1P1.a\n");
	CHECK_INT(cold(&md), 0);
	CHECK_STR(uidl_of(&md, "1700000000.M1P1.a"), "000000015f5e1000");
	CHECK_STR(uidl_of(&md, "1700000001.M2P2.b"), "000000025f5e1000");
	maildrop_close(&md);

	/*
	 * No record but a popcache (damaged here): a popd from before the
	 * record served this maildir with its own UIDLs, which stay.
	 */
	rm("popd.migrated");
	put("popcache", "damaged\n");
	CHECK(maildrop_open(&md, root, NULL) == 0 && maildrop_lock(&md) == 0 &&
	    maildrop_scan(&md) == 0, "scan with a damaged popcache");
	CHECK_STR(uidl_of(&md, "1700000000.M1P1.a"), "1700000000.M1P1.a");
	maildrop_close(&md);
	t = readall("popd.migrated");
	CHECK(t != NULL && strncmp(t, "popd.migrated 2 - 0\n", 20) == 0,
	    "expected an empty record, got %s", t ? t : "none");

	/* A record written by hand: its UIDLs, records of gone files too. */
	put_signed("popd.migrated", "popd.migrated 2 courierpop3dsizelist 2\n"
	    "UID1-5 1700000000.M1P1.a\nUID9-5 1600000000.M9P9.gone\n", 2);
	CHECK_INT(cold(&md), 0);
	CHECK_STR(uidl_of(&md, "1700000000.M1P1.a"), "UID1-5");
	CHECK_STR(uidl_of(&md, "1700000001.M2P2.b"), "1700000001.M2P2.b");
	maildrop_close(&md);

	/* The example of popcache(5), as it is there. */
	put("cur/1763600000.M1P2.mx,S=1253,W=1290:2,S", "x\n");
	put("new/1763600100.4a5b.example.org", "y\n");
	put("popd.migrated", "popd.migrated 2 dovecot-uidlist 2\n"
	    "000000015f5e1000 1763600000.M1P2.mx,S=1253,W=1290\n"
	    "000000025f5e1000 1763600100.4a5b.example.org\n"
	    "end 2 18055e843ffb8822\n");
	CHECK_INT(cold(&md), 0);
	CHECK_STR(uidl_of(&md, "1763600000.M1P2.mx,S=1253,W=1290"),
	    "000000015f5e1000");
	CHECK_STR(uidl_of(&md, "1763600100.4a5b.example.org"),
	    "000000025f5e1000");
	maildrop_close(&md);
	rm("cur/1763600000.M1P2.mx,S=1253,W=1290:2,S");
	rm("new/1763600100.4a5b.example.org");

	/* Bad fields behind a good checksum: each refused, nothing kept. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_signed("popd.migrated", bad[i], i == 2 ? 1 : i >= 17 ? 2 :
		    i >= 9 ? 1 : 0);
		e = cold(&md);
		if (i == 9)
			CHECK(e == 0, "expected the control record to load, "
			    "got %s", strerror(e));
		else
			CHECK(e == EBADMSG, "expected EBADMSG for %s, got %s",
			    bad[i], e > 0 ? strerror(e) : "success");
		CHECK_INT(md.nmsgs, 0 + (i == 9) * 2);
		maildrop_close(&md);
		CHECK(access(mpath("popcache"), F_OK) == -1 || i == 9,
		    "expected no popcache written for %s", bad[i]);
	}

	/* Damage in the frame. */
	(void)snprintf(body, sizeof(body), "popd.migrated 2 - 1\nu "
	    "1700000000.M1P1.a\nend 1 %016llx\n",
	    (unsigned long long)fnv("popd.migrated 2 - 1\nu "
	    "1700000000.M1P1.a\n", 40));
	put("popd.migrated", body);
	CHECK_INT(cold(&md), 0);
	CHECK_STR(uidl_of(&md, "1700000000.M1P1.a"), "u");
	maildrop_close(&md);
	{
		char	 buf[1024];
		size_t	 len = strlen(body);
		static const char *what[] = { "a changed byte", "the end "
		    "line cut", "the end line missing", "a line after the end",
		    "a wrong count in the end line", "empty" };

		for (i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
			(void)strlcpy(buf, body, sizeof(buf));
			if (i == 0)
				buf[20] = 'v';
			else if (i == 1)
				buf[len - 3] = '\0';
			else if (i == 2)
				*strstr(buf, "end ") = '\0';
			else if (i == 3)
				(void)strlcat(buf, "x\n", sizeof(buf));
			else if (i == 4)
				strstr(buf, "end ")[4] = '2';
			else
				buf[0] = '\0';
			put("popd.migrated", buf);
			e = cold(&md);
			CHECK(e == EBADMSG, "%s: expected EBADMSG, got %s",
			    what[i], e > 0 ? strerror(e) : "success");
			maildrop_close(&md);
		}
	}
}

static const char *bodies[] = {
	"Subject: a\n\nhello\n",
	"Subject: b\r\n\r\ncrlf already\r\n",
	"Subject: c\n\nno final newline",
	"Subject: d\n\n.leading dot\n..two\n",
	"Subject: e\n\nbare\rcr and \r\n mixed\n\n\n",
};

/*
 * maildir_uidl_ok and maildir_uidl_span check eight octets at a time:
 * against the rule itself (1 to 70 octets in 0x21..0x7e) for every
 * octet value at every position of every length, among good neighbours;
 * the span ends at the bad octet.
 */
/*
 * A folder merged after INBOX (popd.conf junk): a maildrop of its own,
 * UIDLs after INBOX's, and a message Dovecot moved there under a new
 * name (its first name as "G" in the folder's dovecot-uidlist) keeps
 * that name's UIDL, from the maildir's popd.migrated or popd's rule,
 * in a full scan and in a warm open's reconciliation.
 */
static void
test_folder(void)
{
	struct maildrop	 md, junk;
	const char	*u;
	char		 copy[UIDL_MAX + 1];

	snprintf(root, sizeof(root), "%s/Folders", base);
	if (maildir_create(root) == -1) {
		perror(root);
		exit(2);
	}
	put("cur/1700000000.M1P1.a:2,S", "Subject: a\n\na\n");
	put_signed("popd.migrated", "popd.migrated 2 dovecot-uidlist 1\n"
	    "0000000a5f5e1000 1600000000.M0P0.orig\n", 1);
	CHECK(maildrop_open(&md, root, NULL) == 0 && maildrop_lock(&md) == 0 &&
	    maildrop_scan(&md) == 0, "INBOX's scan");
	CHECK(maildrop_folder(&junk, &md, "Junk") == -1 && errno == ENOENT,
	    "no folder: ENOENT");
	CHECK(access(mpath(".Junk"), F_OK) == -1, "and none made");
	maildrop_close(&junk);

	snprintf(root, sizeof(root), "%s/Folders/.Junk", base);
	if (maildir_create(root) == -1) {
		perror(root);
		exit(2);
	}
	put("cur/1700000000.M1P1.a:2,S", "Subject: a copy\n\na\n");
	put("new/1700000005.M5P5.moved", "Subject: m\n\nm\n");
	put("cur/1700000006.M6P6.moved2:2,S", "Subject: m2\n\nm2\n");
	put("dovecot-uidlist", "3 V1 N4 Gabc\n1 :1700000000.M1P1.a\n"
	    "2 G1600000000.M0P0.orig :1700000005.M5P5.moved\n"
	    "3 W12 G1690000000.M9P9.gone :1700000006.M6P6.moved2\n");
	CHECK(maildrop_folder(&junk, &md, "Junk") == 0 &&
	    maildrop_scan(&junk) == 0, "the folder's scan");
	CHECK_INT(junk.nmsgs, 3);
	CHECK_STR(uidl_of(&junk, "1700000005.M5P5.moved"), "0000000a5f5e1000");
	CHECK_STR(uidl_of(&junk, "1700000006.M6P6.moved2"),
	    "1690000000.M9P9.gone");
	CHECK_STR(uidl_of(&junk, "1700000000.M1P1.a"), "1700000000.M1P1.a");
	CHECK_INT(maildrop_uniq_after(&junk, &md), 1);
	u = uidl_of(&junk, "1700000000.M1P1.a");
	CHECK(u[0] == 'H' && strlen(u) == 33, "the copy's own UIDL: %s", u);
	/* junk's strings go with maildrop_close: the UIDL is kept aside. */
	(void)strlcpy(copy, u, sizeof(copy));
	CHECK_STR(uidl_of(&md, "1700000000.M1P1.a"), "1700000000.M1P1.a");
	CHECK_INT(maildrop_cache_write(&junk), 0);
	CHECK(access(mpath("popcache"), F_OK) == 0, "the folder's popcache");
	maildrop_close(&junk);

	/* Warm: the cache's; a new moved message read against the list. */
	settle();
	put("cur/1700000007.M7P7.third:2,S", "Subject: t\n\nt\n");
	put("dovecot-uidlist", "3 V1 N5 Gabc\n1 :1700000000.M1P1.a\n"
	    "2 G1600000000.M0P0.orig :1700000005.M5P5.moved\n"
	    "3 W12 G1690000000.M9P9.gone :1700000006.M6P6.moved2\n"
	    "4 G1680000000.M8P8.earlier :1700000007.M7P7.third\n");
	CHECK(maildrop_folder(&junk, &md, "Junk") == 0 &&
	    maildrop_scan(&junk) == 0, "the folder's warm open");
	CHECK_INT(junk.pc.stats.result, POPCACHE_UPDATED);
	CHECK_INT(junk.nmsgs, 4);
	CHECK_STR(uidl_of(&junk, "1700000007.M7P7.third"),
	    "1680000000.M8P8.earlier");
	CHECK_STR(uidl_of(&junk, "1700000000.M1P1.a"), copy);
	CHECK_STR(uidl_of(&junk, "1700000005.M5P5.moved"), "0000000a5f5e1000");
	maildrop_close(&junk);
	maildrop_close(&md);
}

static void
test_uidl_ok(void)
{
	char	u[UIDL_MAX + 9];
	size_t	len, pos, span;
	int	v, want;

	for (len = 0; len <= UIDL_MAX + 8; len++)
		for (pos = 0; pos < len || pos == 0; pos++)
			for (v = 0; v < 256; v++) {
				memset(u, v % 2 ? '!' : '~', sizeof(u));
				if (len > 0)
					u[pos] = v;
				want = len >= 1 && len <= UIDL_MAX &&
				    v >= 0x21 && v <= 0x7e;
				CHECK(maildir_uidl_ok(u, len) == want,
				    "uidl_ok: length %zu, 0x%02x at %zu: "
				    "want %d", len, v, pos, want);
				span = len > 0 && (v < 0x21 || v > 0x7e) ?
				    pos : len;
				CHECK(maildir_uidl_span(u, len) == span,
				    "uidl_span: length %zu, 0x%02x at %zu: "
				    "want %zu", len, v, pos, span);
			}
}

/*
 * Kept messages (kept.h): names made and read back, UIDLs with every
 * octet, names that are not ours, the one that does not fit; UPDATE
 * with keep set moves a deleted message there, maildrop_restore puts it
 * back with its UIDL, the sweep removes the old ones only.
 */
static void
test_kept(void)
{
	static const char	*bad[] = {
		"", "x.-.a", "01.-.a", "1..a", "1.-.", "1.-.a:2,S", "1.-..a",
		"1.%2G.a", "1.%2f.a", "1.%2.a", "1.-", "1099511627777.-.a",
		"1.a b.c", "-1.-.a", "1.-.a/b", "1./.a", "1+.-.a", "1+Junk.a",
		"1+%2E%2E.-.a", "1+a%2Fb.-.a", "1+INBOX.-.a", "1+%2EJ.-.a",
		"1+J%2E.-.a", "1+a%20b.-.a", "1+J%.-.a",
	};
	struct maildrop	 md;
	struct kept	 k;
	struct kept_sum	 sum;
	char		 name[NAME_MAX + 1], uidl[UIDL_MAX + 2], msg[300];
	size_t		 i;
	int		 c, fd;

	CHECK_INT(kept_name("cur/1700.M1P1.h,S=5:2,S", "1700.M1P1.h,S=5",
	    NULL, 123, name, sizeof(name)), 0);
	CHECK_STR(name, "123.-.1700.M1P1.h,S=5");
	CHECK_INT(kept_parse(name, &k), 0);
	CHECK_INT(k.time, 123);
	CHECK_STR(k.uidl, "1700.M1P1.h,S=5");
	CHECK_STR(k.uniq, "1700.M1P1.h,S=5");
	CHECK_STR(k.folder, "");
	CHECK_INT(kept_name("new/x", "a/b.c%d", "", 5, name, sizeof(name)), 0);
	CHECK_STR(name, "5.a%2Fb%2Ec%25d.x");
	CHECK_INT(kept_parse(name, &k), 0);
	CHECK_STR(k.uidl, "a/b.c%d");
	CHECK_STR(k.uniq, "x");
	CHECK_STR(k.folder, "");
	/* A merged folder's: "+folder" after the time, coded as a UIDL. */
	CHECK_INT(kept_name("cur/1700.M1P1.h:2,S", "1700.M1P1.h", "Junk", 7,
	    name, sizeof(name)), 0);
	CHECK_STR(name, "7+Junk.-.1700.M1P1.h");
	CHECK_INT(kept_parse(name, &k), 0);
	CHECK_INT(k.time, 7);
	CHECK_STR(k.folder, "Junk");
	CHECK_STR(k.uidl, "1700.M1P1.h");
	CHECK_STR(k.uniq, "1700.M1P1.h");
	CHECK_INT(kept_name("new/x", "u.1", "Spam.a%b", 8, name,
	    sizeof(name)), 0);
	CHECK_STR(name, "8+Spam%2Ea%25b.u%2E1.x");
	CHECK_INT(kept_parse(name, &k), 0);
	CHECK_STR(k.folder, "Spam.a%b");
	CHECK_STR(k.uidl, "u.1");
	CHECK(kept_name("new/x", "u", "../x", 8, name, sizeof(name)) == -1,
	    "a folder that is none");
	/* Every octet a UIDL may hold, at the start, middle and end. */
	for (c = 0x21; c <= 0x7e; c++) {
		for (i = 0; i < 3; i++) {
			memset(uidl, 'u', UIDL_MAX);
			uidl[UIDL_MAX] = '\0';
			uidl[i == 0 ? 0 : i == 1 ? UIDL_MAX / 2 : UIDL_MAX - 1] =
			    c;
			CHECK(kept_name("cur/1.M2P3.h:2,", uidl, NULL,
			    1700000000, name, sizeof(name)) == 0 &&
			    kept_parse(name, &k) == 0 &&
			    strcmp(k.uidl, uidl) == 0, "0x%02x at %zu: %s",
			    c, i, name);
		}
	}
	for (i = 0; i < nitems(bad); i++)
		CHECK(kept_parse(bad[i], &k) == -1, "\"%s\" taken", bad[i]);
	memset(uidl, '.', UIDL_MAX + 1);
	uidl[UIDL_MAX + 1] = '\0';
	CHECK(kept_name("new/x", uidl, NULL, 1, name, sizeof(name)) == -1,
	    "a UIDL too long");
	(void)snprintf(name, sizeof(name), "1.%.71s.x", "aaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	CHECK(kept_parse(name, &k) == -1, "a UIDL of 71 octets taken");
	/* 70 octets written %2E each, and a long unique name: too long. */
	memset(uidl, '.', UIDL_MAX);
	uidl[UIDL_MAX] = '\0';
	memset(msg, 'n', 200);
	memcpy(msg, "new/", 4);
	msg[200] = '\0';
	errno = 0;
	CHECK(kept_name(msg, uidl, NULL, 1, name, sizeof(name)) == -1 &&
	    errno == ENAMETOOLONG, "a name over NAME_MAX");

	/* UPDATE keeps, restore puts back, the sweep takes the old. */
	put("new/1800000001.M1P1.kept", "kept one\n");
	put("new/1800000002.M1P1.kept", "stays\n");
	session(&md);
	md.keep = 1;
	for (i = 0; i < md.nmsgs; i++)
		if (strcmp(md.msgs[i].name, "new/1800000001.M1P1.kept") == 0)
			maildrop_mark(&md, &md.msgs[i], MMSG_DELETED);
	CHECK_INT(maildrop_update(&md), 0);
	CHECK_INT(md.nkept, 1);
	maildrop_close(&md);
	CHECK(access(mpath("new/1800000001.M1P1.kept"), F_OK) == -1,
	    "still in new/");
	CHECK_INT(kept_sweep(open(root, O_RDONLY | O_DIRECTORY), 0, &sum), 0);
	CHECK_INT(sum.n, 1);
	CHECK_INT(sum.swept, 0);
	CHECK_INT(sum.bytes, 9);
	put(KEPT_DIR "/1000.-.1000.M1P1.old", "old\n");
	put(KEPT_DIR "/not ours", "?\n");
	fd = open(root, O_RDONLY | O_DIRECTORY);
	CHECK_INT(kept_sweep(fd, 2000, &sum), 0);
	CHECK_INT(sum.swept, 1);
	CHECK_INT(sum.n, 1);
	CHECK(access(mpath(KEPT_DIR "/not ours"), F_OK) == 0,
	    "a name not ours swept");
	session(&md);
	(void)snprintf(msg, sizeof(msg), "%lld.-.1800000001.M1P1.kept",
	    (long long)time(NULL));
	/* Named now, or a second ago. */
	if (kept_parse(msg, &k) == 0 && maildrop_restore(&md, msg, &k) ==
	    -1) {
		(void)snprintf(msg, sizeof(msg), "%lld.-.1800000001.M1P1.kept",
		    (long long)time(NULL) - 1);
		CHECK(kept_parse(msg, &k) == 0 && maildrop_restore(&md, msg,
		    &k) == 0, "restore %s", msg);
	}
	CHECK_STR(md.msgs[md.nmsgs - 1].name, "new/1800000001.M1P1.kept");
	CHECK_STR(md.msgs[md.nmsgs - 1].uidl, "1800000001.M1P1.kept");
	CHECK_INT(md.msgs[md.nmsgs - 1].size, 10);
	/* A second time: its UIDL is in the maildrop now. */
	errno = 0;
	CHECK(maildrop_restore(&md, msg, &k) == -1 && errno == EEXIST,
	    "restored twice");
	maildrop_close(&md);
	close(fd);
	rm(KEPT_DIR "/not ours");
	rm("new/1800000001.M1P1.kept");
	rm("new/1800000002.M1P1.kept");
}

/*
 * Opening a maildir that is there makes nothing: on a network
 * filesystem a mkdir of a name that exists costs a round trip to the
 * server (issue 56: four per login on GlusterFS).  A child where
 * mkdir(2) and mkdirat(2) fail with EROFS (a seccomp filter) opens it;
 * one with cur/ gone, or no maildir at all, still gets them made.
 */
static void
test_open_nomkdir(void)
{
	struct maildrop	 md;
	int		 status = -1;
	pid_t		 pid;

	snprintf(root, sizeof(root), "%s/Opened", base);
	CHECK(maildrop_open(&md, root, NULL) == 0, "a missing maildir made");
	maildrop_close(&md);
	CHECK(access(mpath("tmp"), F_OK) == 0 && access(mpath("new"),
	    F_OK) == 0 && access(mpath("cur"), F_OK) == 0,
	    "tmp/, new/ and cur/ made");
	CHECK(rmdir(mpath("cur")) == 0, "rmdir cur");
	CHECK(maildrop_open(&md, root, NULL) == 0 &&
	    access(mpath("cur"), F_OK) == 0, "a missing cur/ made again");
	maildrop_close(&md);
#ifdef __linux__
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		scmp_filter_ctx	ctx;

		if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL ||
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EROFS),
		    SCMP_SYS(mkdir), 0) < 0 ||
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EROFS),
		    SCMP_SYS(mkdirat), 0) < 0 || seccomp_load(ctx) < 0)
			_exit(3);
		if (maildrop_open(&md, root, NULL) == -1) {
			fprintf(stderr, "maildrop_open: %s\n",
			    strerror(errno));
			_exit(1);
		}
		_exit(0);
	}
	if (waitpid(pid, &status, 0) == -1)
		status = -1;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "an existing maildir opened without mkdir (status %#x)", status);
#else
	(void)pid;
	(void)status;
#endif
}

int
main(void)
{
	struct maildrop	 md;
	struct snap	 s1, s2, s3;
	char		 name[PATH_MAX], *buf, *p;
	size_t		 len, i;
	off_t		 want;
	int		 j, fd, lfd, n;
	struct timespec	 t0, t1;

	log_init(1, 0);
	test_uidl_ok();
	snprintf(base, sizeof(base), "/tmp/test_popcache.XXXXXX");
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_open_nomkdir();
	snprintf(root, sizeof(root), "%s/Maildir", base);
	if (maildir_create(root) == -1) {
		perror(root);
		return 2;
	}

	/* An empty maildrop: a cache with no records. */
	session(&md);
	CHECK_INT(md.nmsgs, 0);
	CHECK_INT(md.pc.stats.result, POPCACHE_REBUILD);
	session_end(&md);
	buf = slurp(&len);
	CHECK(buf != NULL && strncmp(buf, "popcache 1 ", 11) == 0,
	    "expected a popcache header, got %.40s", buf ? buf : "nothing");
	CHECK(buf != NULL && strstr(buf, "\nend 0 ") != NULL,
	    "expected an empty popcache, got %s", buf ? buf : "nothing");
	free(buf);

	/* Messages in new/ and cur/, with and without ",W=". */
	for (i = 0; i < NMSG; i++) {
		const char *b = bodies[i % 5];

		want = rfcsize(b, strlen(b));
		if (i % 3 == 0)
			snprintf(name, sizeof(name), "%s/1700000%03zu.M1P1R0000abcd.h,"
			    "S=%zu,W=%lld%s", i % 2 ? "cur" : "new", i,
			    strlen(b), (long long)want, i % 2 ? ":2,S" : "");
		else
			snprintf(name, sizeof(name), "%s/1700000%03zu.M1P%zu."
			    "host%s", i % 2 ? "cur" : "new", i, i,
			    i % 2 ? ":2,RS" : "");
		put(name, b);
	}
	/* Not messages: a dotfile and a directory. */
	put("new/.hidden", "x");
	strlcpy(name, mpath("cur/subdir"), sizeof(name));
	mkdir(name, 0700);
	settle();

	/* Cold: full scan, cache written with settled stamps. */
	rm("popcache");
	session(&md);
	CHECK_INT(md.pc.stats.result, POPCACHE_REBUILD);
	CHECK_INT(md.nmsgs, NMSG);
	for (i = 0; i < md.nmsgs; i++) {
		const char *b;

		j = atoi(md.msgs[i].name + 4 + 7);
		b = bodies[j % 5];
		CHECK(md.msgs[i].size == rfcsize(b, strlen(b)),
		    "%s: expected size %lld, got %lld", md.msgs[i].name,
		    (long long)rfcsize(b, strlen(b)),
		    (long long)md.msgs[i].size);
	}
	take(&md, &s1);
	session_end(&md);
	buf = slurp(NULL);
	CHECK(buf != NULL && strncmp(buf, "popcache 1 -", 12) != 0,
	    "expected settled stamps, got %.60s", buf ? buf : "nothing");
	free(buf);

	/* Warm: the same list, no directory read, no message read. */
	session(&md);
	CHECK_INT(md.pc.stats.result, POPCACHE_WARM);
	CHECK_INT(md.pc.stats.dirs_read, 0);
	CHECK_INT(md.pc.stats.sized, 0);
	take(&md, &s2);
	same(&s1, &s2, "warm");
	for (i = 0; i < s1.n; i++)
		CHECK(strcmp(s1.name[i], s2.name[i]) == 0,
		    "warm: message %zu: expected %s, got %s", i + 1,
		    s1.name[i], s2.name[i]);
	session_end(&md);

	/* Rewriting a message in place (no directory change): the warm
	 * open must not notice, since it never opens a message. */
	put("new/1700000008.M1P8.host", "changed in place, not a size we "
	    "know\n");
	session(&md);
	CHECK_INT(md.pc.stats.result, POPCACHE_WARM);
	take(&md, &s2);
	j = find(&s2, "1700000008.M1P8.host");
	CHECK(j != -1 && s2.size[j] == rfcsize(bodies[3], strlen(bodies[3])),
	    "warm open read a message");
	session_end(&md);
	put("new/1700000008.M1P8.host", bodies[3]);

	/*
	 * A session that changes nothing leaves a current popcache as it
	 * is (QUIT without DELE costs no pass over the records); one that
	 * saw a delivery meanwhile rewrites it.
	 */
	{
		struct stat	a, b;
		char		pcpath[PATH_MAX];

		(void)snprintf(pcpath, sizeof(pcpath), "%s/popcache", root);
		session(&md);
		CHECK_INT(md.pc.stats.result, POPCACHE_WARM);
		CHECK(stat(pcpath, &a) == 0, "popcache: %s", strerror(errno));
		session_end(&md);
		CHECK(stat(pcpath, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
		    a.st_mtime == b.st_mtime,
		    "an unchanged session rewrote the popcache");
		session(&md);
		CHECK_INT(md.pc.stats.result, POPCACHE_WARM);
		put("new/1750000000.M9P9.host", "Subject: mid\n\nduring\n");
		session_end(&md);
		CHECK(stat(pcpath, &b) == 0 && a.st_ino != b.st_ino,
		    "a delivery during the session: popcache not rewritten");
		rm("new/1750000000.M9P9.host");
		settle();
		session(&md);
		session_end(&md);
		settle();
	}

	/* A new message in new/: only new/ is read, only it is sized. */
	session(&md);
	CHECK_INT(md.pc.stats.result, POPCACHE_WARM);
	take(&md, &s1);
	session_end(&md);
	put("new/1800000000.M5P5.host", "Subject: new\n\nnew one\n");
	session(&md);
	CHECK_INT(md.pc.stats.result, POPCACHE_UPDATED);
	CHECK_INT(md.pc.stats.dirs_read, 1);
	CHECK_INT(md.pc.stats.sized, 1);
	CHECK_INT(md.nmsgs, s1.n + 1);
	CHECK_STR(md.nmsgs ? md.msgs[md.nmsgs - 1].name : NULL,
	    "new/1800000000.M5P5.host");
	CHECK_STR(md.nmsgs ? md.msgs[md.nmsgs - 1].uidl : NULL,
	    "1800000000.M5P5.host");
	CHECK_INT(md.nmsgs ? md.msgs[md.nmsgs - 1].size : 0,
	    rfcsize("Subject: new\n\nnew one\n", 22));
	take(&md, &s2);
	/* Retrieve two and delete one: UPDATE moves and removes. */
	for (i = 0; i < md.nmsgs; i++) {
		if (strcmp(md.msgs[i].name, "new/1700000000.M1P1R0000abcd.h,S=19,"
		    "W=20") == 0 || strcmp(md.msgs[i].name,
		    "new/1800000000.M5P5.host") == 0)
			maildrop_mark(&md, &md.msgs[i], MMSG_SEEN);
		if (strcmp(md.msgs[i].name, "new/1700000002.M1P2.host") == 0)
			maildrop_mark(&md, &md.msgs[i], MMSG_DELETED);
	}
	session_end(&md);
	j = find(&s2, "1700000002.M1P2.host");
	CHECK(j != -1, "expected 1700000002.M1P2.host in the list");
	if (j != -1) {
		s2.n--;
		memmove(&s2.name[j], &s2.name[j + 1],
		    (s2.n - j) * sizeof(s2.name[0]));
		memmove(&s2.uidl[j], &s2.uidl[j + 1],
		    (s2.n - j) * sizeof(s2.uidl[0]));
		memmove(&s2.size[j], &s2.size[j + 1],
		    (s2.n - j) * sizeof(s2.size[0]));
	}
	session(&md);
	CHECK_INT(md.pc.stats.sized, 0);
	take(&md, &s3);
	same(&s2, &s3, "after UPDATE");
	j = find(&s3, "1800000000.M5P5.host");
	CHECK(j != -1 && strcmp(s3.name[j], "cur/1800000000.M5P5.host:2,S")
	    == 0, "expected the retrieved message in cur/, got %s",
	    j != -1 ? s3.name[j] : "nothing");
	session_end(&md);

	/* Moves and flag changes by someone else keep UIDL and size. */
	mv("cur/1800000000.M5P5.host:2,S", "cur/1800000000.M5P5.host:2,FS");
	mv("new/1700000004.M1P4.host", "cur/1700000004.M1P4.host:2,");
	session(&md);
	CHECK_INT(md.pc.stats.sized, 0);
	take(&md, &s1);
	same(&s3, &s1, "after foreign renames");
	session_end(&md);

	/* Rebuilds keep the UIDLs: missing, truncated, bad sum. */
	settle();
	session(&md);
	take(&md, &s1);
	session_end(&md);

	/*
	 * On the warm path, behind a good checksum: the second record with
	 * the first one's UIDL, then a record with a bad size.  Each is
	 * refused and rebuilt with the real UIDLs.
	 */
	for (n = 0; n < 2; n++) {
		static const char *what[] = { "one UIDL twice",
		    "a bad record" };
		char	*out, *r1, *r2, *u1, *u1e, *u2, *e;

		session(&md);
		CHECK_INT(md.pc.stats.result, POPCACHE_WARM);
		session_end(&md);
		buf = slurp(&len);
		out = malloc(len + 256);
		if (buf == NULL || out == NULL || s1.n < 2)
			exit(2);
		r1 = strchr(buf, '\n') + 1;
		r2 = strchr(r1, '\n') + 1;
		u1 = strchr(r1, ' ') + 1;
		u1e = strchr(u1, ' ');
		u2 = strchr(r2, ' ') + 1;
		e = strstr(buf, "\nend ") + 1;
		p = out;
		memcpy(p, buf, r2 - buf);
		p += r2 - buf;
		if (n == 0) {
			memcpy(p, r2, u2 - r2);
			p += u2 - r2;
			memcpy(p, u1, u1e - u1);
			p += u1e - u1;
			u2 = strchr(u2, ' ');
		} else
			*p++ = 'x';
		memcpy(p, u2, e - u2);
		p += e - u2;
		*p = '\0';
		spew_signed(out, s1.n);
		free(out);
		free(buf);
		rebuilt(&md, &s1, what[n]);
		settle();
	}
	rm("popcache");
	session(&md);
	CHECK_INT(md.pc.stats.result, POPCACHE_REBUILD);
	take(&md, &s2);
	same(&s1, &s2, "missing");
	session_end(&md);

	buf = slurp(&len);
	for (n = 0; n < 4 && buf != NULL; n++) {
		static const char *what[] = { "truncated in a record",
		    "truncated before the trailer", "a flipped digit",
		    "empty" };

		if (n == 0)
			spew(buf, len / 2);
		else if (n == 1)
			spew(buf, strstr(buf, "\nend ") - buf + 1);
		else if (n == 2) {
			p = strchr(buf, '\n') + 1;
			*p = *p == '1' ? '2' : '1';
			spew(buf, len);
			*p = *p == '1' ? '2' : '1';
		} else
			spew("", 0);
		rebuilt(&md, &s1, what[n]);
	}
	free(buf);

	/*
	 * Bad fields behind a good checksum, and an unknown version: each
	 * must be refused.  The stamps are "-" so a good file would load.
	 */
	{
		static const char *bad[] = {
			"popcache 2 - - 1\n5 u new/1.x\n",
			"popcache 1 - - 1\n05 u new/1.x\n",
			"popcache 1 - - 1\n-5 u new/1.x\n",
			"popcache 1 - - 1\n5 u tmp/1.x\n",
			"popcache 1 - - 1\n5 u new/.x\n",
			"popcache 1 - - 1\n5 u new/a/b\n",
			"popcache 1 - - 1\n5 u new/abcdefghijk/lmnopqrstuvw\n",
			"popcache 1 - - 1\n5 u new/abcdefghijklmnopqrstuv/\n",
			"popcache 1 - - 1\n5 u cur/abcdefghijklmnopq\r/stu\n",
			"popcache 1 - - 1\n5 uvwxyzabcdefg\001h new/1.x\n",
			"popcache 1 - - 1\n5 uvwxyzabcdefgh\177 new/1.x\n",
			"popcache 1 - - 1\n5 u123456789012345678901234567890"
			    "1234567890123456789012345678901234567890 new/1.x\n",
			"popcache 1 - - 1\n5 u\001 new/1.x\n",
			"popcache 1 - - 1\n5  new/1.x\n",
			"popcache 1 - - 1\n1234567890123456789 u new/1.x\n",
			"popcache 1 - - 1\n5 u new/\n",
			"popcache 1 - - 2\n5 u new/1.x\n",
			"popcache 1 1.5,1.000000005,7 - 1\n5 u new/1.x\n",
			"popcache 1 x - 1\n5 u new/1.x\n",
			"popcache 1 - 1.000000005,1.000000005,07 1\n5 u "
			    "new/1.x\n",
			"popcache 1 - - 1 \n5 u new/1.x\n",
			"popcache 1 - - 1\n5 u new/1.x\n5 u new/1.x\n",
		};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char b[256];

			/* The last two lie about the count. */
			spew_signed(bad[i], i == sizeof(bad) / sizeof(bad[0])
			    - 1 ? 2 : 1);
			memset(&md, 0, sizeof(md));
			if (maildrop_open(&md, root, NULL) == -1)
				exit(2);
			n = maildrop_cache_load(&md);
			CHECK(n == -1, "expected -1 for %s",
			    (strlcpy(b, bad[i], sizeof(b)), b));
			maildrop_close(&md);
		}
		/*
		 * Header and trailer agree on a count the lines do not
		 * have: more, fewer, none.  Refused as well.
		 */
		{
			static const struct {
				const char	*body;
				size_t		 count;
			} lie[] = {
				{ "popcache 1 - - 1\n5 u new/1.x\n"
				    "5 v new/2.x\n", 1 },
				{ "popcache 1 - - 2\n5 u new/1.x\n", 2 },
				{ "popcache 1 - - 0\n5 u new/1.x\n", 0 },
				{ "popcache 1 - - 1\n", 1 },
			};
			for (i = 0; i < sizeof(lie) / sizeof(lie[0]); i++) {
				spew_signed(lie[i].body, lie[i].count);
				memset(&md, 0, sizeof(md));
				if (maildrop_open(&md, root, NULL) == -1)
					exit(2);
				CHECK(maildrop_cache_load(&md) == -1,
				    "expected -1 for lines that are not %zu "
				    "records (case %zu)", lie[i].count, i);
				maildrop_close(&md);
			}
		}
		/* The same frame with good fields loads. */
		spew_signed("popcache 1 - - 1\n5 u new/1.x\n", 1);
		memset(&md, 0, sizeof(md));
		if (maildrop_open(&md, root, NULL) == -1)
			exit(2);
		CHECK_INT(maildrop_cache_load(&md), 0);
		maildrop_close(&md);
		/* So do a 70-octet UIDL and a long name with every octet. */
		spew_signed("popcache 1 - - 1\n5 !~34567890123456789012345678"
		    "90123456789012345678901234567890123456789~ cur/a b\t.\001"
		    "\377:2,ST~\n", 1);
		memset(&md, 0, sizeof(md));
		if (maildrop_open(&md, root, NULL) == -1)
			exit(2);
		CHECK_INT(maildrop_cache_load(&md), 0);
		maildrop_close(&md);
	}

	/*
	 * Stale: records from another directory (stamps that do not match)
	 * keep their UIDLs for names that still exist, even UIDLs that
	 * maildir_uidl would not give.
	 */
	session(&md);
	take(&md, &s1);
	session_end(&md);

	/* Wrong stamps, and one record with the UIDL "KEPT-UIDL". */
	{
		char	*out, *q, *e;
		size_t	 cnt = 0;

		buf = slurp(&len);
		out = malloc(len + 256);
		q = out + sprintf(out, "popcache 1 1.000000000,1.000000000,1 "
		    "1.000000000,1.000000000,1 %zu\n", s1.n);
		p = strchr(buf, '\n') + 1;
		e = strstr(buf, "\nend ") + 1;
		while (p < e) {
			char *nl = strchr(p, '\n'), *sp1, *sp2;

			sp1 = strchr(p, ' ');
			sp2 = strchr(sp1 + 1, ' ');
			if (strncmp(sp2 + 1, "cur/1700000005.M1P5.host", 24)
			    == 0)
				q += sprintf(q, "%.*s KEPT-UIDL %.*s\n",
				    (int)(sp1 - p), p, (int)(nl - sp2 - 1),
				    sp2 + 1);
			else {
				memcpy(q, p, nl - p + 1);
				q += nl - p + 1;
			}
			cnt++;
			p = nl + 1;
		}
		*q = '\0';
		spew_signed(out, cnt);
		free(out);
		free(buf);
	}
	session(&md);
	CHECK_INT(md.pc.stats.result, POPCACHE_UPDATED);
	CHECK_INT(md.pc.stats.dirs_read, 2);
	CHECK_INT(md.pc.stats.sized, 0);
	take(&md, &s2);
	j = find(&s2, "1700000005.M1P5.host");
	CHECK(j != -1 && strcmp(s2.uidl[j], "KEPT-UIDL") == 0,
	    "stale: expected UIDL KEPT-UIDL, got %s",
	    j != -1 ? s2.uidl[j] : "nothing");
	session_end(&md);
	/* Written back: the next open has it too. */
	session(&md);
	take(&md, &s3);
	j = find(&s3, "1700000005.M1P5.host");
	CHECK(j != -1 && strcmp(s3.uidl[j], "KEPT-UIDL") == 0,
	    "stale, rewritten: expected UIDL KEPT-UIDL, got %s",
	    j != -1 ? s3.uidl[j] : "nothing");
	session_end(&md);

	/*
	 * mda hints: a record appended for a new/ name without ",W=" spares
	 * reading it; a partial line before it does not hurt.
	 */
	buf = slurp(&len);
	strlcpy(name, mpath("popcache"), sizeof(name));
	fd = open(name, O_WRONLY | O_APPEND);
	CHECK(fd != -1 && write(fd, "12 partial new/x", 16) == 16,
	    "append a partial line");
	close(fd);
	if ((fd = open(root, O_RDONLY | O_DIRECTORY)) == -1)
		exit(2);
	put("new/1900000000.M1P1.hint", "Subject: hinted\n\nbody\n");
	CHECK_INT(popcache_append(fd, "new/1900000000.M1P1.hint",
	    "1900000000.M1P1.hint", 777), 0);
	CHECK_INT(popcache_append(fd, "cur/x", "x", 1), -1);
	CHECK_INT(popcache_append(fd, "new/x", "bad uidl", 1), -1);
	free(buf);
	buf = slurp(NULL);
	CHECK(strstr(buf, "12 partial new/x\n777 1900000000.M1P1.hint "
	    "new/1900000000.M1P1.hint\n") != NULL,
	    "expected the hint after a line end, got ...%s",
	    buf + (strlen(buf) > 80 ? strlen(buf) - 80 : 0));
	free(buf);
	/* After a complete line: no empty line before the next hint. */
	CHECK_INT(popcache_append(fd, "new/1900000000.M2P1.hint",
	    "1900000000.M2P1.hint", 778), 0);
	buf = slurp(NULL);
	CHECK(strstr(buf, "new/1900000000.M1P1.hint\n778 1900000000.M2P1.hint "
	    "new/1900000000.M2P1.hint\n") != NULL,
	    "expected the second hint right after the first, got ...%s",
	    buf + (strlen(buf) > 80 ? strlen(buf) - 80 : 0));
	free(buf);
	session(&md);
	CHECK_INT(md.pc.stats.sized, 0);
	take(&md, &s1);
	j = find(&s1, "1900000000.M1P1.hint");
	CHECK(j != -1 && s1.size[j] == 777, "expected the hinted size 777, "
	    "got %lld", j != -1 ? (long long)s1.size[j] : -1LL);
	/* A hint that comes during the session is carried over. */
	put("new/1900000001.M1P1.hint", "Subject: hinted\n\nbody\n");
	CHECK_INT(popcache_append(fd, "new/1900000001.M1P1.hint",
	    "1900000001.M1P1.hint", 778), 0);
	for (i = 0; i < md.nmsgs; i++)
		maildrop_mark(&md, &md.msgs[i], MMSG_SEEN); /* a rewrite */
	session_end(&md);
	buf = slurp(NULL);
	CHECK(strstr(buf, "\n778 1900000001.M1P1.hint new/1900000001.M1P1."
	    "hint\n") != NULL, "expected the hint carried over");
	CHECK(strstr(buf, "partial") == NULL, "expected no partial line");
	free(buf);
	session(&md);
	take(&md, &s1);
	j = find(&s1, "1900000001.M1P1.hint");
	CHECK(j != -1 && s1.size[j] == 778, "expected the carried size 778, "
	    "got %lld", j != -1 ? (long long)s1.size[j] : -1LL);
	session_end(&md);
	strlcpy(name, mpath("popcache.tmp"), sizeof(name));
	CHECK(access(name, F_OK) == -1, "expected no popcache.tmp left");

	/* The lock is bounded: a held popcache.lock costs ~2 s, then
	 * ETIMEDOUT, and the popcache is left alone. */
	strlcpy(name, mpath("popcache.lock"), sizeof(name));
	lfd = open(name, O_RDWR | O_CREAT, 0600);
	CHECK(lfd != -1 && flock(lfd, LOCK_EX) == 0, "take popcache.lock");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	errno = 0;
	n = popcache_append(fd, "new/1900000002.M1P1.hint",
	    "1900000002.M1P1.hint", 5);
	CHECK(n == -1 && errno == ETIMEDOUT, "expected ETIMEDOUT, got %d/%s",
	    n, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec >= 1 && t1.tv_sec - t0.tv_sec <= 3,
	    "expected a wait of about 2 s, got %lld s",
	    (long long)(t1.tv_sec - t0.tv_sec));
	close(lfd);

	/* No popcache: nothing to append to, and that is fine. */
	rm("popcache");
	CHECK_INT(popcache_append(fd, "new/1900000003.M1P1.hint",
	    "1900000003.M1P1.hint", 5), 0);
	strlcpy(name, mpath("popcache"), sizeof(name));
	CHECK(access(name, F_OK) == -1, "expected no popcache created");

	/*
	 * A copy under a second unique name collides with nothing; two
	 * files with one unique name get distinct UIDLs.
	 */
	put("new/1700000010.M1P10.host", "dup\n");
	session(&md);
	session_end(&md);
	put("cur/1700000010.M1P10.host:2,S", "dup\n");
	session(&md);
	for (i = 0, n = 0; i < md.nmsgs; i++)
		for (len = i + 1; len < md.nmsgs; len++)
			if (strcmp(md.msgs[i].uidl, md.msgs[len].uidl) == 0)
				n++;
	CHECK_INT(n, 0);
	session_end(&md);

	close(fd);

	test_kept();
	test_migrated();
	test_folder();

	(void)snprintf(name, sizeof(name), "rm -rf '%s'", base);
	if (system(name) != 0)
		fprintf(stderr, "could not remove %s\n", base);
	return unit_done();
}
