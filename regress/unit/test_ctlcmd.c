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
 * test_ctlcmd -- popctl's request parser (common/control_cmd.c), which the
 * control process runs on what a client of the control socket sends:
 * every command whole and abbreviated, the arguments (user names,
 * addresses and networks, IPv4-mapped, host bits cleared), and garbage
 * (control bytes, NUL, quotes, lines too long, words too many or too
 * few), each refused with a printable reason.  Every request it accepts
 * passes the parent's check of MSG_CONTROL_REQUEST (proto.c), and its
 * canonical line (ctlcmd_line: what popctl sends, the control process
 * passes on and the parent compares the socket's line with) parses back
 * to the same request and is its own canonical line.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "control_cmd.h"
#include "unit.h"

/*
 * req's canonical line: it parses back to req, is its own canonical
 * line, and is want (if not NULL).
 */
static void
canon_is(const struct msg_ctlreq *req, const char *want)
{
	struct msg_ctlreq	back;
	char			line[CTL_LINEMAX], again[CTL_LINEMAX];
	char			err[CTL_ERRMAX] = "";

	CHECK(ctlcmd_line(req, line, sizeof(line)) == 0, "command %u: no "
	    "canonical line", (unsigned)req->cmd);
	if (want != NULL)
		CHECK_STR(line, want);
	CHECK(ctlcmd_parse(line, strlen(line), &back, err, sizeof(err)) == 0,
	    "canonical \"%s\" refused: %s", line, err);
	back.req = req->req;
	CHECK(memcmp(&back, req, sizeof(back)) == 0, "\"%s\" parses to "
	    "another request", line);
	CHECK(ctlcmd_line(&back, again, sizeof(again)) == 0 &&
	    strcmp(again, line) == 0, "\"%s\" is not its own canonical "
	    "line", line);
}

/* A request accepted: its command, and the parent takes it as is. */
static void
ok(const char *line, uint32_t cmd, struct msg_ctlreq *out)
{
	const struct msg_decl	*d = msg_decl(MSG_CONTROL_REQUEST);
	struct msg_ctlreq	 req;
	char			 err[CTL_ERRMAX] = "";
	const char		*bad;

	CHECK(ctlcmd_parse(line, strlen(line), &req, err, sizeof(err)) == 0,
	    "\"%s\": refused: %s", line, err);
	CHECK_INT(req.cmd, cmd);
	req.req = 1;
	bad = d->valid(&req);
	CHECK(bad == NULL, "\"%s\": the parent refuses it: %s", line,
	    bad != NULL ? bad : "");
	canon_is(&req, NULL);
	if (out != NULL)
		*out = req;
}

/* A request refused, with this reason. */
static void
refused(const char *line, size_t len, const char *why)
{
	struct msg_ctlreq	req;
	char			err[CTL_ERRMAX] = "";
	size_t			i;
	int			printable = 1;

	CHECK(ctlcmd_parse(line, len, &req, err, sizeof(err)) == -1,
	    "\"%.*s\": accepted, want \"%s\"", (int)len, line, why);
	CHECK_STR(err, why);
	for (i = 0; err[i] != '\0'; i++)
		if (err[i] < 0x20 || err[i] >= 0x7f)
			printable = 0;
	CHECK(printable, "reason \"%s\" is printable", err);
	CHECK_INT(req.cmd, 0);
}

#define REFUSED(line, why)	refused((line), strlen(line), (why))

static void
net_is(const struct msg_ctlreq *r, int af, const char *addr, int bits)
{
	unsigned char	a[16] = { 0 };

	(void)inet_pton(af, addr, a);
	CHECK(r->net.af == af && r->net.bits == bits &&
	    memcmp(r->net.addr, a, 16) == 0, "network %s/%d: got af %d "
	    "bits %d", addr, bits, r->net.af, r->net.bits);
}

int
main(void)
{
	struct msg_ctlreq	 r;
	char			 longline[CTL_LINEMAX + 16], name[80];
	const char		*u;
	size_t			 i;

	/* Every command, whole. */
	ok("show sessions", CTL_SHOW_SESSIONS, NULL);
	ok("show stats", CTL_SHOW_STATS, NULL);
	ok("show penalties", CTL_SHOW_PENALTIES, NULL);
	ok("show metrics", CTL_SHOW_METRICS, NULL);
	ok("kick user alice", CTL_KICK_USER, &r);
	CHECK_STR(r.user, "alice");
	ok("kick address 192.0.2.7", CTL_KICK_ADDRESS, &r);
	net_is(&r, AF_INET, "192.0.2.7", 32);
	ok("unpenalize 2001:db8::1", CTL_UNPENALIZE, &r);
	net_is(&r, AF_INET6, "2001:db8::1", 128);
	ok("reload", CTL_RELOAD, NULL);
	ok("log verbose", CTL_LOG_VERBOSE, NULL);
	ok("log brief", CTL_LOG_BRIEF, NULL);
	ok("report mda delivered", CTL_MDA_DELIVERED, NULL);
	ok("report mda deferred", CTL_MDA_DEFERRED, NULL);
	ok("report mda quota", CTL_MDA_QUOTA, NULL);
	ok("show quota alice", CTL_SHOW_QUOTA, &r);
	CHECK_STR(r.user, "alice");
	ok("show user alice", CTL_SHOW_USER, &r);
	CHECK_STR(r.user, "alice");
	CHECK_STR(r.find, "");
	ok("show user alice <1@example.org>", CTL_SHOW_USER, &r);
	CHECK_STR(r.user, "alice");
	CHECK_STR(r.find, "<1@example.org>");
	REFUSED("show user alice a b", "show user NAME [UIDL | MESSAGE-ID]: "
	    "two arguments at most");
	ok("undelete alice", CTL_UNDELETE, &r);
	CHECK_STR(r.user, "alice");
	CHECK_STR(r.find, "");
	CHECK_INT(r.since, 0);
	ok("undelete alice all", CTL_UNDELETE, &r);
	CHECK_STR(r.find, "");
	CHECK_INT(r.since, 0);
	ok("undelete alice <1@example.org>", CTL_UNDELETE, &r);
	CHECK_STR(r.find, "<1@example.org>");
	CHECK_INT(r.since, 0);
	/* A time ago is negative: the same line parsed twice is the same. */
	ok("undelete alice since 90", CTL_UNDELETE, &r);
	CHECK_INT(r.since, -90);
	ok("undelete alice since 2h", CTL_UNDELETE, &r);
	CHECK_INT(r.since, -7200);
	ok("undelete alice since 3d", CTL_UNDELETE, &r);
	CHECK_INT(r.since, -3 * 86400);
	ok("undelete alice since 2026-11-26", CTL_UNDELETE, &r);
	CHECK_INT(r.since, 1795651200);
	ok("undelete alice since 2026-11-26T04:55:12Z", CTL_UNDELETE, &r);
	CHECK_INT(r.since, 1795651200 + 4 * 3600 + 55 * 60 + 12);
	CHECK_STR(r.find, "");
	ok("unde alice since 1m", CTL_UNDELETE, &r);
	CHECK_INT(r.since, -60);
	REFUSED("undelete", "undelete NAME [all | since TIME | UIDL | "
	    "MESSAGE-ID]: an argument is missing");
	REFUSED("undelete alice since", "undelete NAME [all | since TIME | "
	    "UIDL | MESSAGE-ID]: since needs a TIME");
	REFUSED("undelete alice a b", "undelete NAME [all | since TIME | "
	    "UIDL | MESSAGE-ID]: too many arguments");
	REFUSED("undelete alice since 1h x", "undelete NAME [all | since TIME "
	    "| UIDL | MESSAGE-ID]: too many arguments");
	REFUSED("undelete alice since yesterday", "undelete: since "
	    "\"yesterday\": a time ago (90s, 10m, 2h, 3d) or a UTC date "
	    "(2026-11-26T04:55:12Z)");
	REFUSED("undelete alice since 0", "undelete: since \"0\": a time ago "
	    "(90s, 10m, 2h, 3d) or a UTC date (2026-11-26T04:55:12Z)");
	REFUSED("undelete alice since 2026-11-26T04:55:12", "undelete: since "
	    "\"2026-11-26T04:55:12\": a time ago (90s, 10m, 2h, 3d) or a UTC "
	    "date (2026-11-26T04:55:12Z)");
	REFUSED("undelete alice since 2026-02-30", "undelete: since "
	    "\"2026-02-30\": a time ago (90s, 10m, 2h, 3d) or a UTC date "
	    "(2026-11-26T04:55:12Z)");
	REFUSED("undelete alice since 1w", "undelete: since \"1w\": a time "
	    "ago (90s, 10m, 2h, 3d) or a UTC date (2026-11-26T04:55:12Z)");
	/* drain: this popd, or a backend (a host, no prefix). */
	ok("drain", CTL_DRAIN, &r);
	CHECK_INT(r.net.af, 0);
	ok("undrain 192.0.2.21", CTL_UNDRAIN, &r);
	net_is(&r, AF_INET, "192.0.2.21", 32);
	ok("drain 2001:db8::21", CTL_DRAIN, &r);
	net_is(&r, AF_INET6, "2001:db8::21", 128);
	REFUSED("drain 192.0.2.0/24", "drain \"192.0.2.0/24\": not an IP "
	    "address");
	REFUSED("drain backend1", "drain \"backend1\": not an IP address");
	REFUSED("undrain 192.0.2.21 192.0.2.22", "undrain [BACKEND]: one "
	    "argument at most");

	/* Abbreviated: a prefix of one word only at its place. */
	ok("sh ses", CTL_SHOW_SESSIONS, NULL);
	ok("s st", CTL_SHOW_STATS, NULL);
	ok("show p", CTL_SHOW_PENALTIES, NULL);
	ok("k u bob", CTL_KICK_USER, NULL);
	ok("k a 10.1.2.3/8", CTL_KICK_ADDRESS, &r);
	net_is(&r, AF_INET, "10.0.0.0", 8);
	ok("unp 10.0.0.1", CTL_UNPENALIZE, NULL);
	REFUSED("u 10.0.0.1", "ambiguous word \"u\" in \"u 10.0.0.1\"");
	ok("rel", CTL_RELOAD, NULL);
	ok("l v", CTL_LOG_VERBOSE, NULL);
	ok("rep m def", CTL_MDA_DEFERRED, NULL);
	REFUSED("show s", "ambiguous word \"s\" in \"show s\"");
	REFUSED("re", "ambiguous word \"re\" in \"re\"");
	REFUSED("show sessionsx", "unknown command \"show sessionsx\"");

	/* Spaces, a CR before the LF. */
	ok("  show    stats  ", CTL_SHOW_STATS, NULL);
	ok("reload\r", CTL_RELOAD, NULL);
	REFUSED("show\tstats", "unknown command \"show?stats\"");
	REFUSED("reload\r\r", "unknown command \"reload?\"");

	/* Arguments. */
	ok("kick user alice@example.org", CTL_KICK_USER, &r);
	CHECK_STR(r.user, "alice@example.org");
	ok("kick user Bob!#$%&'*", CTL_KICK_USER, &r);
	CHECK_STR(r.user, "Bob!#$%&'*");
	memset(name, 'a', 64);
	(void)snprintf(longline, sizeof(longline), "kick user %.64s", name);
	ok(longline, CTL_KICK_USER, &r);
	CHECK_INT(strlen(r.user), 64);
	memset(name, 'a', 65);
	(void)snprintf(longline, sizeof(longline), "kick user %.65s", name);
	REFUSED(longline, "kick user NAME: a name of at most 64 characters");
	REFUSED("kick user", "kick user NAME: an argument is missing");
	REFUSED("kick user al ice", "kick user NAME: one argument only");
	REFUSED("kick", "incomplete command \"kick\": kick ...");
	REFUSED("show", "incomplete command \"show\": show ...");
	ok("kick address ::ffff:192.0.2.1", CTL_KICK_ADDRESS, &r);
	net_is(&r, AF_INET, "192.0.2.1", 32);
	ok("kick address ::ffff:192.0.2.1/120", CTL_KICK_ADDRESS, &r);
	net_is(&r, AF_INET, "192.0.2.0", 24);
	ok("unpenalize 2001:db8:ffff::1/32", CTL_UNPENALIZE, &r);
	net_is(&r, AF_INET6, "2001:db8::", 32);
	ok("unpenalize 198.51.100.77/0", CTL_UNPENALIZE, &r);
	net_is(&r, AF_INET, "0.0.0.0", 0);
	ok("unpenalize 198.51.100.77/27", CTL_UNPENALIZE, &r);
	net_is(&r, AF_INET, "198.51.100.64", 27);
	REFUSED("unpenalize 1.2.3.4/33",
	    "unpenalize \"1.2.3.4/33\": prefix length is too large");
	REFUSED("unpenalize 1.2.3.4/+3",
	    "unpenalize \"1.2.3.4/+3\": prefix length is invalid");
	REFUSED("unpenalize 1.2.3.4/",
	    "unpenalize \"1.2.3.4/\": prefix length is invalid");
	REFUSED("kick address example.org",
	    "kick address \"example.org\": not an IPv4 or IPv6 network");
	REFUSED("kick address ::ffff:1.2.3.4/64", "kick address "
	    "\"::ffff:1.2.3.4/64\": IPv4-mapped network shorter than /96");
	REFUSED("unpenalize", "unpenalize ADDRESS[/PREFIX]: an argument is "
	    "missing");

	/* Canonical lines: whole words, one space, host bits cleared. */
	ok("sh ses", CTL_SHOW_SESSIONS, &r);
	canon_is(&r, "show sessions");
	ok("  rep  m   del\r", CTL_MDA_DELIVERED, &r);
	canon_is(&r, "report mda delivered");
	ok("k a 10.1.2.3/8", CTL_KICK_ADDRESS, &r);
	canon_is(&r, "kick address 10.0.0.0/8");
	ok("kick address ::ffff:192.0.2.1/128", CTL_KICK_ADDRESS, &r);
	canon_is(&r, "kick address 192.0.2.1");
	ok("unpenalize 2001:0db8:0:0::1", CTL_UNPENALIZE, &r);
	canon_is(&r, "unpenalize 2001:db8::1");
	ok("dr", CTL_DRAIN, &r);
	canon_is(&r, "drain");
	ok("undr 192.0.2.21", CTL_UNDRAIN, &r);
	canon_is(&r, "undrain 192.0.2.21");
	ok("sh us alice <1@example.org>", CTL_SHOW_USER, &r);
	canon_is(&r, "show user alice <1@example.org>");
	ok("undelete alice all", CTL_UNDELETE, &r);
	canon_is(&r, "undelete alice");
	ok("undelete alice since 120m", CTL_UNDELETE, &r);
	canon_is(&r, "undelete alice since 2h");
	ok("undelete alice since 90", CTL_UNDELETE, &r);
	canon_is(&r, "undelete alice since 90s");
	ok("undelete alice since 999999999", CTL_UNDELETE, &r);
	canon_is(&r, "undelete alice since 999999999s");
	ok("undelete alice since 36500d", CTL_UNDELETE, &r);
	canon_is(&r, "undelete alice since 36500d");
	ok("undelete alice since 2026-11-26", CTL_UNDELETE, &r);
	canon_is(&r, "undelete alice since 2026-11-26T00:00:00Z");
	/* What no line parses to has none: "all" and "since" are words. */
	ok("undelete alice all", CTL_UNDELETE, &r);
	(void)strlcpy(r.find, "all", sizeof(r.find));
	CHECK(ctlcmd_line(&r, longline, sizeof(longline)) == -1,
	    "undelete of a message \"all\" has no line");
	(void)strlcpy(r.find, "since", sizeof(r.find));
	CHECK(ctlcmd_line(&r, longline, sizeof(longline)) == -1,
	    "undelete of a message \"since\" has no line");
	memset(&r, 0, sizeof(r));
	CHECK(ctlcmd_line(&r, longline, sizeof(longline)) == -1,
	    "command 0 has no line");
	ok("show user alice <1@example.org>", CTL_SHOW_USER, &r);
	CHECK(ctlcmd_line(&r, longline, 20) == -1, "a line too long for its "
	    "buffer");

	/* Garbage. */
	REFUSED("", "empty request");
	REFUSED("   ", "empty request");
	REFUSED("bogus", "unknown command \"bogus\"");
	REFUSED("reload now", "unknown command \"reload now\"");
	REFUSED("show stats please", "unknown command \"show stats please\"");
	REFUSED("a b c d e f", "unknown command \"a b c d e f\"");
	REFUSED("show \"stats\"", "unknown command \"show ?stats?\"");
	REFUSED("\x01\x7f\xff", "unknown command \"???\"");
	refused("show\0stats", 10, "unknown command \"show?stats\"");
	REFUSED("GET / HTTP/1.0", "unknown command \"GET / HTTP/1.0\"");
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	REFUSED(longline, "unknown command \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxx...\"");
	memcpy(longline, "show stats ", 11);
	REFUSED(longline, "unknown command \"show stats xxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxx...\"");

	/* The usage lists every command; verbs name refusals. */
	for (i = 0; (u = ctlcmd_usage(i)) != NULL; i++)
		;
	CHECK_INT(i, CTL_MAX);
	CHECK_STR(ctlcmd_usage(4), "kick user NAME");
	CHECK_STR(ctlcmd_verb(CTL_KICK_ADDRESS), "kick");
	CHECK_STR(ctlcmd_verb(CTL_SHOW_METRICS), "show");
	CHECK_STR(ctlcmd_verb(CTL_UNPENALIZE), "unpenalize");
	CHECK_STR(ctlcmd_verb(99), "?");
	return unit_done();
}
