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
 * test_print -- how the control process prints the parent's records
 * (control/print.c): every state and column of show backends and
 * drain, each line of show certificates (a renewal refused or none),
 * each line of show app-passwords, reload's, the three refusals,
 * and the junk line of show user and show quota, byte for byte as
 * popctl(8) gives them.  Each record printed also passes its
 * declaration's check (proto.c), which the parent applies as its
 * sender; a record for another command is refused, and the checks
 * refuse records that say nothing sensible.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "../../control/control.h"
#include "unit.h"

/* What print_record writes for a record of type, answering cmd. */
static const char *
printed(uint32_t type, const void *rec, uint32_t cmd, uint32_t n)
{
	static char	*text;
	const struct msg_decl *d = msg_decl(type);
	const char	*bad = d->valid(rec);
	size_t		 len;
	FILE		*fp;

	CHECK(bad == NULL, "%s refused: %s", d->name, bad ? bad : "");
	free(text);
	text = NULL;
	if ((fp = open_memstream(&text, &len)) == NULL)
		return "(open_memstream)";
	if (print_record(fp, type, rec, cmd, n) == -1)
		fprintf(fp, "(refused)");
	fclose(fp);
	return text;
}

/* What a record fails its check with, or NULL. */
static const char *
refused(uint32_t type, const void *rec)
{
	return msg_decl(type)->valid(rec);
}

static void
backends(void)
{
	struct msg_ctlbackend	 b;
	char			*text = NULL;
	size_t			 len;
	FILE			*fp;

	if ((fp = open_memstream(&text, &len)) != NULL) {
		print_begin(fp, CTL_SHOW_BACKENDS);
		fclose(fp);
		CHECK_STR(text, "BACKEND                                 "
		    "STATE       USERS SESSIONS CHECKED\n");
		free(text);
	}
	memset(&b, 0, sizeof(b));
	(void)strlcpy(b.addr, "192.0.2.1", sizeof(b.addr));
	b.age = -1;
	b.users = 3;
	/* Never checked (no health port): up, no sessions known. */
	CHECK_STR(printed(MSG_ROUTE_BACKENDS, &b, CTL_SHOW_BACKENDS, 0),
	    "192.0.2.1                               up              3 "
	    "       - -\n");
	b.health = HEALTH_UP;
	b.sessions = 2;
	b.age = 1;
	CHECK_STR(printed(MSG_ROUTE_BACKENDS, &b, CTL_SHOW_BACKENDS, 0),
	    "192.0.2.1                               up              3 "
	    "       2 1s ago\n");
	b.health = CHECK_DOWN;
	b.sessions = 0;
	CHECK_STR(printed(MSG_ROUTE_BACKENDS, &b, CTL_SHOW_BACKENDS, 0),
	    "192.0.2.1                               down            3 "
	    "       - 1s ago\n");
	/* Drained here, sessions open: draining until the last ends. */
	b.health = HEALTH_UP;
	b.drained = 1;
	b.sessions = 4;
	CHECK_STR(printed(MSG_ROUTE_BACKENDS, &b, CTL_DRAIN, 0),
	    "192.0.2.1 draining\n");
	b.sessions = 0;
	CHECK_STR(printed(MSG_ROUTE_BACKENDS, &b, CTL_DRAIN, 0),
	    "192.0.2.1 drained\n");
	/* Drained without a health port: its sessions are not known. */
	b.sessions = 4;
	b.age = -1;
	b.health = 0;
	CHECK_STR(printed(MSG_ROUTE_BACKENDS, &b, CTL_UNDRAIN, 0),
	    "192.0.2.1 drained\n");
	/* Draining by its own health line. */
	b.drained = 0;
	b.health = HEALTH_DRAINING;
	b.age = 12;
	CHECK_STR(printed(MSG_ROUTE_BACKENDS, &b, CTL_SHOW_BACKENDS, 0),
	    "192.0.2.1                               draining        3 "
	    "       4 12s ago\n");
	CHECK_STR(printed(MSG_ROUTE_BACKENDS, &b, CTL_SHOW_STATS, 0),
	    "(refused)");
	/* Degraded by its own health line: its store stuck. */
	b.health = HEALTH_DEGRADED;
	CHECK_STR(printed(MSG_ROUTE_BACKENDS, &b, CTL_SHOW_BACKENDS, 0),
	    "192.0.2.1                               degraded        3 "
	    "       4 12s ago\n");
	b.health = HEALTH_DEGRADED + 1;
	CHECK(refused(MSG_ROUTE_BACKENDS, &b) != NULL, "a health of 5");
	b.health = HEALTH_UP;
	b.age = -2;
	CHECK(refused(MSG_ROUTE_BACKENDS, &b) != NULL, "an age of -2");
	b.age = 0;
	(void)strlcpy(b.addr, "backend", sizeof(b.addr));
	CHECK(refused(MSG_ROUTE_BACKENDS, &b) != NULL, "not an address");
}

static void
apps(void)
{
	static struct msg_ctlapps	a;

	memset(&a, 0, sizeof(a));
	a.status = CRED_NONE;
	(void)strlcpy(a.user, "alice", sizeof(a.user));
	CHECK_STR(printed(MSG_AUTHPOP_CTLAPPS, &a, CTL_SHOW_APPS, 0),
	    "user alice\n");
	a.status = CRED_FOUND;
	a.n = 2;
	(void)strlcpy(a.rec[0].label, "main", sizeof(a.rec[0].label));
	(void)strlcpy(a.rec[1].label, "phone", sizeof(a.rec[1].label));
	(void)strlcpy(a.rec[1].desc, "created 2026-11-25T23:30:00Z expires "
	    "never from any", sizeof(a.rec[1].desc));
	CHECK(refused(MSG_AUTHPOP_CTLAPPS, &a) == NULL, "a bar and a phone");
	CHECK_STR(printed(MSG_AUTHPOP_CTLAPPS, &a, CTL_SHOW_APPS, 0),
	    "user alice\nmain password barred\n"
	    "app-password phone created 2026-11-25T23:30:00Z expires never "
	    "from any last-used never\n");
	a.rec[1].last = 1764000000;
	(void)strlcpy(a.rec[1].addr, "192.0.2.7", sizeof(a.rec[1].addr));
	CHECK_STR(printed(MSG_AUTHPOP_CTLAPPS, &a, CTL_SHOW_APPS, 0),
	    "user alice\nmain password barred\n"
	    "app-password phone created 2026-11-25T23:30:00Z expires never "
	    "from any last-used 2025-11-24T16:00:00Z 192.0.2.7\n");
	CHECK_STR(printed(MSG_AUTHPOP_CTLAPPS, &a, CTL_SHOW_USER, 0),
	    "(refused)");
	(void)strlcpy(a.rec[0].desc, "created", sizeof(a.rec[0].desc));
	CHECK(refused(MSG_AUTHPOP_CTLAPPS, &a) != NULL, "the bar with a "
	    "description");
	memset(a.rec[0].desc, 0, sizeof(a.rec[0].desc));
	a.rec[1].desc[3] = '\n';
	CHECK(refused(MSG_AUTHPOP_CTLAPPS, &a) != NULL, "a description on "
	    "two lines");
	a.rec[1].desc[3] = 'a';
	a.rec[1].last = -1;
	CHECK(refused(MSG_AUTHPOP_CTLAPPS, &a) != NULL, "a last use before "
	    "1970");
	a.rec[1].last = 0;
	CHECK(refused(MSG_AUTHPOP_CTLAPPS, &a) != NULL, "an address without "
	    "a last use");
	a.rec[1].last = 1764000000;
	a.n = 1;
	CHECK(refused(MSG_AUTHPOP_CTLAPPS, &a) != NULL, "a record past n");
	a.n = 2;
	a.status = CRED_TEMP;
	CHECK(refused(MSG_AUTHPOP_CTLAPPS, &a) != NULL, "records with no "
	    "answer");
	a.status = CRED_FOUND;
	(void)strlcpy(a.user, "al ice", sizeof(a.user));
	CHECK(refused(MSG_AUTHPOP_CTLAPPS, &a) != NULL, "a user name with a "
	    "blank");
}

static void
reload_denied(void)
{
	struct msg_ctlreload	r;
	struct msg_ctldenied	d;
	char			why[256];

	memset(&r, 0, sizeof(r));
	CHECK_STR(printed(MSG_PARENT_CTLRELOAD, &r, CTL_RELOAD, 0),
	    "reloaded the tables and certificates\n");
	(void)strlcpy(r.conffile, "/etc/popd.conf", sizeof(r.conffile));
	CHECK_STR(printed(MSG_PARENT_CTLRELOAD, &r, CTL_RELOAD, 0),
	    "reloaded /etc/popd.conf\n");
	(void)strlcpy(r.restart, "/etc/popd.conf:3: listen on ::1 port 995: "
	    "not bound until a restart\ncontrol socket /run/p.sock: popd "
	    "keeps /var/run/popd.sock until a restart", sizeof(r.restart));
	CHECK_STR(printed(MSG_PARENT_CTLRELOAD, &r, CTL_RELOAD, 0),
	    "reloaded /etc/popd.conf\n"
	    "needs a restart: /etc/popd.conf:3: listen on ::1 port 995: not "
	    "bound until a restart\n"
	    "needs a restart: control socket /run/p.sock: popd keeps "
	    "/var/run/popd.sock until a restart\n");
	r.restart[0] = '\0';
	CHECK_STR(printed(MSG_PARENT_CTLRELOAD, &r, CTL_DRAIN, 0),
	    "(refused)");

	memset(&d, 0, sizeof(d));
	d.uid = 1000;
	d.cmd = CTL_RELOAD;
	CHECK(refused(MSG_PARENT_CTLDENIED, &d) == NULL, "a refusal");
	print_denied(why, sizeof(why), &d);
	CHECK_STR(why, "permission denied: uid 1000 may not reload (root "
	    "may; no control group is configured)");
	(void)strlcpy(d.group, "_popctl", sizeof(d.group));
	print_denied(why, sizeof(why), &d);
	CHECK_STR(why, "permission denied: uid 1000 may not reload (root "
	    "may; members of group _popctl may use show)");
	d.cmd = CTL_SHOW_STATS;
	print_denied(why, sizeof(why), &d);
	CHECK_STR(why, "permission denied: uid 1000 may not show (root and "
	    "members of group _popctl may)");
	d.cmd = CTL_MAX + 1;
	CHECK(refused(MSG_PARENT_CTLDENIED, &d) != NULL, "no command");
}

static void
user_junk(void)
{
	struct msg_ctluser	u;

	memset(&u, 0, sizeof(u));
	(void)strlcpy(u.user, "alice", sizeof(u.user));
	(void)strlcpy(u.maildir, "/home/alice/Maildir", sizeof(u.maildir));
	/* undelete: no junk line. */
	CHECK_STR(printed(MSG_PARENT_CTLUSER, &u, CTL_UNDELETE, 0),
	    "user alice\nmaildir /home/alice/Maildir\n");
	u.junkfrom = CTLJ_DEFAULT;
	CHECK_STR(printed(MSG_PARENT_CTLUSER, &u, CTL_SHOW_USER, 0),
	    "user alice\nmaildir /home/alice/Maildir\njunk none (default)\n");
	u.junkfrom = CTLJ_TABLE;
	(void)strlcpy(u.junk.folder, "Spam", sizeof(u.junk.folder));
	u.junk.tag = JUNK_TAG_SUBJECT;
	(void)strlcpy(u.junk.subject, "[SPAM] ", sizeof(u.junk.subject));
	CHECK_STR(printed(MSG_PARENT_CTLUSER, &u, CTL_SHOW_USER, 0),
	    "user alice\nmaildir /home/alice/Maildir\njunk Spam merge tag "
	    "subject \"[SPAM] \" (junk users)\n");
	u.junkfrom = CTLJ_DEFAULT;
	u.junk.tag = JUNK_TAG_HEADER;
	u.junk.subject[0] = '\0';
	u.quota = CTLQ_NOLIMIT;
	CHECK_STR(printed(MSG_PARENT_CTLUSER, &u, CTL_SHOW_QUOTA, 0),
	    "user alice\nmaildir /home/alice/Maildir\njunk Spam merge tag "
	    "(default)\nlimit none\n");
	u.junkfrom = CTLJ_TEMP;
	CHECK(refused(MSG_PARENT_CTLUSER, &u) != NULL, "a folder with junk "
	    "unknown");
	memset(&u.junk, 0, sizeof(u.junk));
	CHECK_STR(printed(MSG_PARENT_CTLUSER, &u, CTL_SHOW_QUOTA, 0),
	    "user alice\nmaildir /home/alice/Maildir\njunk unknown (junk "
	    "users cannot answer)\nlimit none\n");
	u.junkfrom = CTLJ_TEMP + 1;
	CHECK(refused(MSG_PARENT_CTLUSER, &u) != NULL, "junkfrom 4");
	u.junkfrom = CTLJ_TABLE;
	(void)strlcpy(u.junk.folder, "../etc", sizeof(u.junk.folder));
	CHECK(refused(MSG_PARENT_CTLUSER, &u) != NULL, "a folder up");
}

static void
certs(void)
{
	static struct msg_ctlcert	c;
	const char			*out;

	memset(&c, 0, sizeof(c));
	(void)strlcpy(c.name, "mail", sizeof(c.name));
	(void)strlcpy(c.subject, "/CN=mail.example", sizeof(c.subject));
	(void)strlcpy(c.serial, "0A1B", sizeof(c.serial));
	(void)strlcpy(c.sha256, "A3B5EED3F3F7ACED4572F7D623AFB245E19569650FAE"
	    "9E01B09245E1472C132E", sizeof(c.sha256));
	(void)strlcpy(c.cert, "/etc/c.pem", sizeof(c.cert));
	(void)strlcpy(c.key, "/etc/k.pem", sizeof(c.key));
	c.notafter = 1900000000;
	c.loaded = 1800000000;
	out = printed(MSG_PARENT_CTLCERT, &c, CTL_SHOW_CERTS, 0);
	CHECK(strncmp(out, "pki mail\nsubject /CN=mail.example\nserial 0A1B\n"
	    "sha256 A3:B5:EE:D3:F3:F7:AC:ED:45:72:F7:D6:23:AF:B2:45:E1:95:69:"
	    "65:0F:AE:9E:01:B0:92:45:E1:47:2C:13:2E\nnot-after "
	    "2030-03-17T17:46:40Z (", 181) == 0, "the block's head: %s", out);
	CHECK(strstr(out, "\ncert /etc/c.pem\nkey /etc/k.pem\nserving since "
	    "2027-01-15T08:00:00Z\n") != NULL && strstr(out, "renewal") ==
	    NULL, "serving, no renewal refused: %s", out);
	c.refused = 1800000600;
	(void)strlcpy(c.why, "the key does not match the certificate",
	    sizeof(c.why));
	out = printed(MSG_PARENT_CTLCERT, &c, CTL_SHOW_CERTS, 1);
	CHECK(out[0] == '\n' && strstr(out, "serving since 2027-01-15T08:00:"
	    "00Z\nrenewal refused since 2027-01-15T08:10:00Z: the key does "
	    "not match the certificate\n") != NULL, "refused: %s", out);
	c.why[3] = '\033';
	CHECK(refused(MSG_PARENT_CTLCERT, &c) != NULL, "an escape in why");
	c.why[0] = '\0';
	CHECK(refused(MSG_PARENT_CTLCERT, &c) != NULL, "refused, no why");
	c.refused = 0;
	CHECK(refused(MSG_PARENT_CTLCERT, &c) == NULL, "none refused");
	c.sha256[0] = 'a';
	CHECK(refused(MSG_PARENT_CTLCERT, &c) != NULL, "a fingerprint in "
	    "lower case");
	c.sha256[0] = 'A';
	c.serial[0] = ' ';
	CHECK(refused(MSG_PARENT_CTLCERT, &c) != NULL, "a serial with a blank");
}

int
main(void)
{
	backends();
	certs();
	apps();
	reload_denied();
	user_junk();
	return unit_done();
}
