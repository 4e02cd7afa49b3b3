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
 * test_lastuse -- the app passwords' last uses as the control process
 * keeps them (control/lastuse.c): the state file's lines read strictly
 * (what the old parent wrote reads, anything else is skipped and
 * counted), a later use winning, written back as the old parent's code
 * reads them; show app-passwords' merge, in the order of the labels,
 * forgetting what the user no longer has; a reload's revoked ones
 * forgotten; and the bound, the oldest use going first.
 */
#include <sys/types.h>

#include <arpa/inet.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "../../control/control.h"
#include "unit.h"

#define MAX		100000		/* lastuse.c's LASTUSE_MAX */

/* A scratch file holding text. */
static int
file_of(const char *text, size_t len)
{
	int	fd;

	if ((fd = compat_spool_create("test-lastuse")) == -1 ||
	    (len > 0 && write(fd, text, len) != (ssize_t)len)) {
		perror("test-lastuse");
		exit(1);
	}
	return fd;
}

/* What lastuse_write writes (malloc'd). */
static char *
written(void)
{
	char	*buf;
	off_t	 end;
	int	 fd = file_of("stale bytes that must go\n", 25);

	CHECK(lastuse_write(fd) == 0, "lastuse_write");
	if ((end = lseek(fd, 0, SEEK_END)) == -1 ||
	    (buf = calloc(1, end + 1)) == NULL || pread(fd, buf, end, 0) != end)
		exit(1);
	close(fd);
	return buf;
}

static size_t
read_text(const char *text)
{
	size_t	bad;
	int	fd = file_of(text, strlen(text));

	bad = lastuse_read(fd);
	close(fd);
	return bad;
}

static void
parse(void)
{
	struct lastuse_rec	r;
	char			long_user[100];

	CHECK(lastuse_parse("alice phone 1764000000 127.0.0.9", 32, &r) == 0,
	    "the old parent's line");
	CHECK_STR(r.user, "alice");
	CHECK_STR(r.label, "phone");
	CHECK_INT(r.at, 1764000000);
	CHECK_STR(r.addr, "127.0.0.9");
	CHECK(lastuse_parse("bob l.a_p-1\t17 2001:db8::7 ", 27, &r) == 0,
	    "tabs, a trailing blank, IPv6");
	CHECK_STR(r.addr, "2001:db8::7");
	CHECK(lastuse_parse("al ice phone 1 ::1", 18, &r) == -1, "5 fields");
	CHECK(lastuse_parse("alice phone 1", 13, &r) == -1, "3 fields");
	CHECK(lastuse_parse("alice main 1 ::1", 16, &r) == -1, "\"main\"");
	CHECK(lastuse_parse("alice ph/one 1 ::1", 18, &r) == -1, "a label "
	    "with a slash");
	CHECK(lastuse_parse("alice phone 0 ::1", 17, &r) == -1, "time 0");
	CHECK(lastuse_parse("alice phone -5 ::1", 18, &r) == -1,
	    "a negative time");
	CHECK(lastuse_parse("alice phone 253402300800 ::1", 28, &r) == -1,
	    "after 9999");
	CHECK(lastuse_parse("alice phone 1x ::1", 18, &r) == -1,
	    "not a number");
	CHECK(lastuse_parse("alice phone 5 example.org", 25, &r) == -1,
	    "a host name");
	CHECK(lastuse_parse("alice phone 5 unknown", 21, &r) == -1,
	    "no address");
	CHECK(lastuse_parse("-alice phone 5 ::1", 18, &r) == -1,
	    "a user name popd refuses");
	CHECK(lastuse_parse("alice phone 5 ::1\0x", 19, &r) == -1,
	    "a NUL");
	memset(long_user, 'a', sizeof(long_user));
	CHECK(lastuse_parse(long_user, sizeof(long_user), &r) == -1,
	    "a long line");
	CHECK(lastuse_parse("", 0, &r) == -1, "an empty line");
}

static void
read_write(void)
{
	char	*text;

	/* Duplicates (a crash's): the later use wins; a cut line goes. */
	CHECK_INT(read_text("bob laptop 1764000100 2001:db8::7\n"
	    "alice phone 1764000000 127.0.0.9\n"
	    "alice phone 1763000000 192.0.2.1\n"
	    "garbage\n"
	    "\n"
	    "alice tablet 1764000200 192.0.2.2\n"
	    "alice cut 17640"), 3);
	text = written();
	CHECK_STR(text, "alice phone 1764000000 127.0.0.9\n"
	    "alice tablet 1764000200 192.0.2.2\n"
	    "bob laptop 1764000100 2001:db8::7\n");
	free(text);
	lastuse_free();
	text = written();
	CHECK_STR(text, "");
	free(text);
}

static void
show(void)
{
	static struct msg_ctlapps	m;
	struct msg_appskept		g;
	char				*text;

	CHECK_INT(read_text("alice phone 1764000000 127.0.0.9\n"
	    "alice old 1760000000 192.0.2.9\n"
	    "alice zeta 1764000300 192.0.2.3\n"
	    "bob laptop 1764000100 2001:db8::7\n"), 0);
	memset(&m, 0, sizeof(m));
	m.status = CRED_FOUND;
	m.n = 3;
	(void)strlcpy(m.rec[0].label, "zeta", sizeof(m.rec[0].label));
	(void)strlcpy(m.rec[1].label, "phone", sizeof(m.rec[1].label));
	(void)strlcpy(m.rec[2].label, "main", sizeof(m.rec[2].label));
	lastuse_show("alice", &m);
	CHECK_STR(m.user, "alice");
	CHECK_STR(m.rec[0].label, "main");
	CHECK_INT(m.rec[0].last, 0);
	CHECK_STR(m.rec[1].label, "phone");
	CHECK_INT(m.rec[1].last, 1764000000);
	CHECK_STR(m.rec[1].addr, "127.0.0.9");
	CHECK_STR(m.rec[2].label, "zeta");
	CHECK_INT(m.rec[2].last, 1764000300);
	/* "old" is alice's no more: forgotten, bob's kept. */
	text = written();
	CHECK_STR(text, "alice phone 1764000000 127.0.0.9\n"
	    "alice zeta 1764000300 192.0.2.3\n"
	    "bob laptop 1764000100 2001:db8::7\n");
	free(text);
	/* A table that cannot answer forgets nothing. */
	memset(&m, 0, sizeof(m));
	m.status = CRED_TEMP;
	lastuse_show("alice", &m);
	text = written();
	CHECK(strstr(text, "alice zeta") != NULL, "kept at CRED_TEMP");
	free(text);
	/* A reload revoked alice's zeta: authpop says so. */
	memset(&g, 0, sizeof(g));
	g.n = 2;
	(void)strlcpy(g.rec[0].user, "alice", sizeof(g.rec[0].user));
	(void)strlcpy(g.rec[0].label, "zeta", sizeof(g.rec[0].label));
	(void)strlcpy(g.rec[1].user, "carol", sizeof(g.rec[1].user));
	(void)strlcpy(g.rec[1].label, "none", sizeof(g.rec[1].label));
	lastuse_gone(&g);
	text = written();
	CHECK_STR(text, "alice phone 1764000000 127.0.0.9\n"
	    "bob laptop 1764000100 2001:db8::7\n");
	free(text);
	lastuse_free();
}

/* At the bound the oldest use goes, whatever its name. */
static void
bound(void)
{
	struct msg_appused	 mu;
	char			*file, *p, *text;
	size_t			 i, n = 0;

	if ((file = malloc(MAX * 64)) == NULL)
		exit(1);
	p = file;
	for (i = 0; i < MAX; i++)
		p += snprintf(p, 64, "u%zu app %zu 192.0.2.1\n", i,
		    i == 500 ? (size_t)1000 : 2000 + i);
	CHECK_INT(read_text(file), 0);
	free(file);
	memset(&mu, 0, sizeof(mu));
	mu.n = 1;
	(void)strlcpy(mu.use[0].user, "zed", sizeof(mu.use[0].user));
	(void)strlcpy(mu.use[0].label, "phone", sizeof(mu.use[0].label));
	mu.use[0].peer.af = AF_INET;
	mu.use[0].peer.a[0] = 192;
	mu.use[0].peer.a[1] = 0;
	mu.use[0].peer.a[2] = 2;
	mu.use[0].peer.a[3] = 7;
	mu.use[0].peer.port = 995;
	lastuse_used(&mu);
	text = written();
	for (p = text; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	CHECK_INT(n, MAX);
	CHECK(strstr(text, "\nu500 app ") == NULL, "the oldest use went");
	CHECK(strstr(text, "\nu0 app 2000 ") != NULL ||
	    strncmp(text, "u0 app 2000 ", 12) == 0, "the next oldest stays");
	CHECK(strstr(text, "\nzed phone ") != NULL, "the new use, kept");
	CHECK(strstr(text, " 192.0.2.7\n") != NULL, "its address, no port");
	free(text);
	lastuse_free();
}
/* One message, a second's uses: each kept, the later of a label's wins. */
static void
batch(void)
{
	struct msg_appused	 mu;
	char			*text;
	size_t			 i;
	const char		*who[3][3] = {
		{ "alice", "phone", "10.0.0.1" },
		{ "bob", "laptop", "10.0.0.2" },
		{ "alice", "phone", "10.0.0.3" },
	};

	memset(&mu, 0, sizeof(mu));
	for (i = 0; i < 3; i++) {
		(void)strlcpy(mu.use[i].user, who[i][0],
		    sizeof(mu.use[i].user));
		(void)strlcpy(mu.use[i].label, who[i][1],
		    sizeof(mu.use[i].label));
		mu.use[i].peer.af = AF_INET;
		CHECK(inet_pton(AF_INET, who[i][2], mu.use[i].peer.a) == 1,
		    "address");
		mu.n++;
	}
	lastuse_used(&mu);
	text = written();
	CHECK(strncmp(text, "alice phone ", 12) == 0 &&
	    strstr(text, " 10.0.0.3\nbob laptop ") != NULL &&
	    strstr(text, " 10.0.0.2\n") != NULL, "both users, alice's last");
	CHECK(strstr(text, "10.0.0.1") == NULL, "alice's earlier use");
	free(text);
	lastuse_free();
}

int
main(void)
{
	if (event_init() == NULL)
		exit(1);
	lastuse_start(-1);
	parse();
	read_write();
	show();
	bound();
	batch();
	return unit_done();
}
