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
 * test_proto -- a child's configuration as messages: every good
 * configuration in regress/unit/conf/ (and one at the limits, made
 * here) is parsed (conf/parse.y), sent by conf_send() (conf/config.c)
 * for the listener, authpop and httppop over a real SOCK_SEQPACKET
 * socketpair, received with chan_init(PH_START) and chan_poll() as the
 * children do, rebuilt into a struct popd_conf by handlers, and printed:
 * conf_print() of the rebuilt configuration must equal that of the
 * parsed one (what popd -n -v prints) for what each child is sent.  The
 * settings arrive byte for byte, the phase ends in PH_RUN, and nothing
 * comes after the message that ends the configuration.  A wrkrpop's
 * settings (settings_worker, sent in its MSG_PARENT_WORKER) are those
 * parsed and pass the check it applies.
 *
 * The names of keypairs, listen statements and trusted networks are not
 * sent (a listener knows its keypairs by index, the parent keeps the
 * rest): they are copied from the parsed configuration.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <event.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "chan.h"
#include "log.h"
#include "pki.h"
#include "config.h"
#include "../fdcount.h"
#include "unit.h"

static const struct popd_conf	*sent;	/* what is sent */
static struct popd_conf		*rebuilt; /* what arrived */
static uint32_t			 types[512];	/* in the order received */
static size_t			 ntypes;
static int			 eof_called, bad_called;

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

static void
received(uint32_t type)
{
	if (ntypes < nitems(types))
		types[ntypes++] = type;
}

static void
on_conf(struct chan *c, const void *data, int fd)
{
	received(MSG_PARENT_CONF);
	memcpy(&rebuilt->set, data, sizeof(rebuilt->set));
}

/* The n-th keypair, under the name of the n-th one parsed. */
static void
on_pki(struct chan *c, const void *data, int fd)
{
	const struct msg_pki	*m = data;
	const struct conf_pki	*p;
	struct conf_pki		*np;
	struct pki_pair		 pp;
	size_t			 n = 0, i = 0;

	received(MSG_PARENT_CONF_PKI);
	TAILQ_FOREACH(np, &rebuilt->pkis, entry)
		n++;
	if ((np = calloc(1, sizeof(*np))) == NULL)
		die("calloc");
	(void)strlcpy(np->name, "(not sent)", sizeof(np->name));
	/* Nor is the key's file: its bytes go to keypop (supervise.c). */
	TAILQ_FOREACH(p, &sent->pkis, entry)
		if (i++ == n) {
			(void)strlcpy(np->name, p->name, sizeof(np->name));
			(void)strlcpy(np->key, p->key, sizeof(np->key));
		}
	/* Its bytes are the name of its certificate's file: served(). */
	if (pki_recv(fd, m->certlen, &pp) == -1)
		die("pki_recv");
	CHECK(pp.certlen < sizeof(np->cert), "keypair %zu: %zu bytes", n,
	    pp.certlen);
	if (pp.certlen < sizeof(np->cert))
		memcpy(np->cert, pp.cert, pp.certlen);
	pki_free(&pp);
	TAILQ_INSERT_TAIL(&rebuilt->pkis, np, entry);
}

/*
 * Each pki of conf as the parent serves it (popd/certs.c), with the
 * names of its files for bytes: on_pki rebuilds the statements of them
 * (the key's from what was sent: its bytes go to keypop).
 */
static void
served(struct popd_conf *conf)
{
	struct conf_pki	*p;
	struct pki_pair	 pp;

	TAILQ_FOREACH(p, &conf->pkis, entry) {
		if ((p->served = calloc(1, sizeof(*p->served))) == NULL)
			die("calloc");
		pp.cert = (uint8_t *)p->cert;
		pp.certlen = strlen(p->cert);
		pp.key = (uint8_t *)p->key;
		pp.keylen = strlen(p->key);
		if ((p->served->fd = pki_memfd(pp.cert, pp.certlen)) == -1 ||
		    (p->served->keyfd = pki_memfd(pp.key, pp.keylen)) == -1)
			die("pki_memfd");
		p->served->certlen = pp.certlen;
		p->served->keylen = pp.keylen;
	}
}

static void
on_proxy(struct chan *c, const void *data, int fd)
{
	const struct msg_proxy	*m = data;
	struct conf_trusted	*t;

	received(MSG_PARENT_CONF_PROXY);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		die("calloc");
	t->net = m->net;
	t->trusted = m->trusted;
	TAILQ_INSERT_TAIL(&rebuilt->proxies, t, entry);
}

static void
on_end(struct chan *c, const void *data, int fd)
{
	received(MSG_PARENT_CONF_END);
}

/* authpop's app passwords' image, with its settings. */
static void
on_table(struct chan *c, const void *data, int fd)
{
	received(MSG_PARENT_TABLE);
	if (fd != -1)
		close(fd);
}

/* authpop's key files, opened by the parent: each of a known kind. */
static void
on_authkey(struct chan *c, const void *data, int fd)
{
	const struct msg_authkey	*mk = data;

	received(MSG_PARENT_AUTHKEY);
	CHECK(fd != -1 && mk->kind <= AUTHKEY_APPS, "a key: fd %d, kind %u",
	    fd, mk->kind);
	if (fd != -1)
		close(fd);
}

/* What a child takes only once it serves: never during this test. */
static void
on_later(struct chan *c, const void *data, int fd)
{
	received(MSG_NONE);
	if (fd != -1)
		close(fd);
}

static void
on_eof(struct chan *c)
{
	eof_called++;
}

static void
on_bad(struct chan *c)
{
	bad_called++;
}

static const struct msg_handler to_listener[] = {
	{ MSG_PARENT_CONF,		on_conf },
	{ MSG_PARENT_CONF_PKI,		on_pki },
	{ MSG_PARENT_CONF_PROXY,	on_proxy },
	{ MSG_PARENT_CONF_END,		on_end },
	{ MSG_PARENT_LISTEN,		on_later },
	{ MSG_PARENT_STARTTLS,		on_later },
	{ MSG_PARENT_DRAIN,		on_later },
	{ MSG_PARENT_VERBOSE,		on_later },
	{ MSG_PARENT_STATS,		on_later },
	{ MSG_PARENT_KICK,		on_later },
	{ MSG_PARENT_CTLCHAN,		on_later },
	{ MSG_PARENT_TICKET,		on_later },
	{ MSG_PARENT_HEALTH,		on_later },
};
static const struct msg_handler to_authpop[] = {
	{ MSG_PARENT_CONF,		on_conf },
	{ MSG_PARENT_CONF_END,		on_end },
	{ MSG_PARENT_SESSION,		on_later },
	{ MSG_PARENT_REFUSED,		on_later },
	{ MSG_PARENT_TABLE,		on_table },
	{ MSG_PARENT_AUTHKEY,		on_authkey },
	{ MSG_PARENT_DRAIN,		on_later },
	{ MSG_PARENT_PENALTY,		on_later },
	{ MSG_PARENT_APPSASK,		on_later },
	{ MSG_PARENT_VERBOSE,		on_later },
	{ MSG_PARENT_STATS,		on_later },
	{ MSG_PARENT_CTLCHAN,		on_later },
	{ MSG_PARENT_TABLECHAN,		on_later },
	{ MSG_PARENT_HTTPPEER,		on_later },
};
static const struct msg_handler to_httppop[] = {
	{ MSG_PARENT_CONF,		on_conf },
	{ MSG_PARENT_CONF_PROXY,	on_proxy },
	{ MSG_PARENT_CONF_END,		on_end },
	{ MSG_PARENT_LISTEN,		on_later },
	{ MSG_PARENT_AUTHCHAN,		on_later },
	{ MSG_PARENT_ROUTECHAN,		on_later },
	{ MSG_PARENT_DRAIN,		on_later },
	{ MSG_PARENT_VERBOSE,		on_later },
};
/* The parent's end takes what the child may say, which is nothing here. */
static const struct msg_handler from_listener[] = {
	{ MSG_LISTENER_SESSION,		on_later },
	{ MSG_LISTENER_FULL,		on_later },
	{ MSG_LISTENER_REKEY,		on_later },
};
static const struct msg_handler from_authpop[] = {
	{ MSG_AUTHPOP_LOGIN,		on_later },
	{ MSG_AUTHPOP_CLOSED,		on_later },
	{ MSG_AUTHPOP_STLS,		on_later },
	{ MSG_AUTHPOP_PENALTY,		on_later },
	{ MSG_AUTHPOP_READY,		on_later },
	{ MSG_AUTHPOP_HANDBACK,		on_later },
};

static const struct child {
	int				 proc;
	const struct msg_handler	*to, *from;
	size_t				 nto, nfrom;
} children[] = {
	{ PROC_LISTENER, to_listener, from_listener, nitems(to_listener),
	    nitems(from_listener) },
	{ PROC_AUTHPOP, to_authpop, from_authpop, nitems(to_authpop),
	    nitems(from_authpop) },
	{ PROC_HTTP, to_httppop, NULL, nitems(to_httppop), 0 },
};

/* The configuration as conf_print() shows it (malloc'd). */
static char *
printed(const struct popd_conf *conf)
{
	char	*buf;
	size_t	 len;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		die("open_memstream");
	conf_print(fp, conf);
	if (fclose(fp) == EOF)
		die("fclose");
	return buf;
}

/*
 * text without the lines of what only the parent knows (the table
 * statements, "system uid", "system group", "refuse groups", how many
 * listeners, health probe).
 */
static char *
parent_only_out(char *text)
{
	char	*r = text, *w = text, *nl;
	size_t	 n;

	while (*r != '\0') {
		n = (nl = strchr(r, '\n')) != NULL ? (size_t)(nl - r + 1) :
		    strlen(r);
		if (strncmp(r, "table ", 6) != 0 &&
		    strncmp(r, "app-passwords ", 14) != 0 &&
		    strncmp(r, "system ", 7) != 0 &&
		    strncmp(r, "refuse ", 7) != 0 &&
		    strncmp(r, "control ", 8) != 0 &&
		    strncmp(r, "listeners ", 10) != 0 &&
		    strncmp(r, "health probe ", 13) != 0) {
			memmove(w, r, n);
			w += n;
		}
		r += n;
	}
	*w = '\0';
	return text;
}

/* Copies of the lists that are not sent (or are, for the expectation). */
static void
copy_listens(struct popd_conf *dst, const struct popd_conf *src)
{
	const struct conf_listen	*l;
	struct conf_listen		*n;

	TAILQ_FOREACH(l, &src->listens, entry) {
		if ((n = malloc(sizeof(*n))) == NULL)
			die("malloc");
		*n = *l;
		n->where.file = NULL;
		TAILQ_INSERT_TAIL(&dst->listens, n, entry);
	}
}

static void
copy_nets(struct conf_trusteds *dst, const struct conf_trusteds *src)
{
	const struct conf_trusted	*t;
	struct conf_trusted		*n;

	TAILQ_FOREACH(t, src, entry) {
		if ((n = malloc(sizeof(*n))) == NULL)
			die("malloc");
		*n = *t;
		n->where.file = NULL;
		TAILQ_INSERT_TAIL(dst, n, entry);
	}
}

static void
copy_pkis(struct popd_conf *dst, const struct popd_conf *src)
{
	const struct conf_pki	*p;
	struct conf_pki		*n;

	TAILQ_FOREACH(p, &src->pkis, entry) {
		if ((n = malloc(sizeof(*n))) == NULL)
			die("malloc");
		*n = *p;
		n->where.file = NULL;
		n->cert_where.file = NULL;
		n->key_where.file = NULL;
		n->served = NULL;		/* src's to close */
		TAILQ_INSERT_TAIL(&dst->pkis, n, entry);
	}
}

static size_t
count(const uint32_t type)
{
	size_t	i, n = 0;

	for (i = 0; i < ntypes; i++)
		if (types[i] == type)
			n++;
	return n;
}

/*
 * Send conf to one child as the parent does and take it as the child
 * does; what it printed is what was sent.
 */
static void
send_receive(const char *name, const struct popd_conf *conf,
    const struct child *ch)
{
	const char		*cname = proc_str(ch->proc);
	struct popd_conf	*want;
	struct chan		 p, r;
	char			*got_text, *want_text;
	size_t			 npki = 0, nproxy = 0;
	const struct conf_pki	*pki;
	const struct conf_trusted *t;
	int			 sp[2], before, last, apps = -1;

	before = open_fds();
	sent = conf;
	if ((rebuilt = conf_new()) == NULL)
		die("conf_new");
	copy_listens(rebuilt, conf);
	copy_nets(&rebuilt->trusted, &conf->trusted);
	ntypes = 0;
	eof_called = bad_called = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
		die("socketpair");
	chan_init(&p, sp[0], PROC_PARENT, ch->proc, PH_START, ch->from,
	    ch->nfrom, on_eof, NULL);
	chan_init(&r, sp[1], ch->proc, PROC_PARENT, PH_START, ch->to, ch->nto,
	    on_eof, NULL);
	r.bad = on_bad;
	/* Started, so that what does not fit the socket leaves later. */
	chan_start(&p);
	if (ch->proc == PROC_AUTHPOP &&
	    (apps = compat_spool_create("test_proto")) == -1)
		die("compat_spool_create");
	conf_send(&p, conf, ch->proc, apps);
	if (apps != -1)
		close(apps);
	CHECK(p.phase == PH_RUN, "%s, %s: the parent's end in phase %#x, "
	    "want PH_RUN", name, cname, p.phase);

	/* As the child does: one message at a time until it may serve. */
	while (r.fd != -1 && (r.phase & PH_SETUP)) {
		if (!TAILQ_EMPTY(&p.outq))
			(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);
		else if (p.fd != -1)
			chan_close(&p);		/* all sent: the end next */
		chan_poll(&r);
	}
	CHECK(r.phase == PH_RUN && r.fd != -1 && bad_called == 0 &&
	    eof_called == 0, "%s, %s: phase %#x, open %d, bad %d, eof %d; "
	    "want PH_RUN, 1, 0, 0", name, cname, r.phase, r.fd != -1,
	    bad_called, eof_called);
	/* Nothing after the end of the configuration. */
	last = ntypes;
	while (!TAILQ_EMPTY(&p.outq))
		(void)event_loop(EVLOOP_NONBLOCK | EVLOOP_ONCE);
	chan_close(&p);
	while (r.fd != -1)
		chan_poll(&r);
	CHECK((size_t)last == ntypes && eof_called == 1 && bad_called == 0,
	    "%s, %s: %zu messages after the end, eof %d, bad %d", name, cname,
	    ntypes - last, eof_called, bad_called);

	/* Settings first, once; the end last; what each child gets. */
	TAILQ_FOREACH(pki, &conf->pkis, entry)
		npki++;
	TAILQ_FOREACH(t, &conf->proxies, entry)
		nproxy++;
	CHECK(ntypes > 0 && types[0] == MSG_PARENT_CONF &&
	    count(MSG_PARENT_CONF) == 1, "%s, %s: the settings first and "
	    "once (%zu)", name, cname, count(MSG_PARENT_CONF));
	CHECK(ntypes > 0 && types[ntypes - 1] == MSG_PARENT_CONF_END,
	    "%s, %s: ends with %s",
	    name, cname, ntypes > 0 ? msg_type_str(types[ntypes - 1]) : "-");
	CHECK(count(MSG_PARENT_CONF_PKI) == (ch->proc == PROC_LISTENER ?
	    npki : 0), "%s, %s: %zu keypairs of %zu", name, cname,
	    count(MSG_PARENT_CONF_PKI), npki);
	CHECK(count(MSG_PARENT_CONF_PROXY) == (ch->proc == PROC_LISTENER ||
	    ch->proc == PROC_HTTP ? nproxy : 0), "%s, %s: %zu proxies of "
	    "%zu", name, cname,
	    count(MSG_PARENT_CONF_PROXY), nproxy);
	CHECK(count(MSG_PARENT_TABLE) == (ch->proc == PROC_AUTHPOP),
	    "%s, %s: %zu images of app passwords", name, cname,
	    count(MSG_PARENT_TABLE));
	CHECK(count(MSG_PARENT_AUTHKEY) == (ch->proc != PROC_AUTHPOP ? 0 :
	    (size_t)(conf->set.ticket_key[0] != '\0') +
	    (conf->set.app_key[0] != '\0')), "%s, %s: %zu key files", name,
	    cname, count(MSG_PARENT_AUTHKEY));
	CHECK(count(MSG_NONE) == 0, "%s, %s: a message of a later phase",
	    name, cname);
	CHECK(memcmp(&rebuilt->set, &conf->set, sizeof(conf->set)) == 0,
	    "%s, %s: the settings are not those sent", name, cname);

	/* Printed: the parsed configuration, less what this child lacks. */
	if ((want = conf_new()) == NULL)
		die("conf_new");
	want->set = conf->set;
	copy_listens(want, conf);
	copy_nets(&want->trusted, &conf->trusted);
	if (ch->proc == PROC_LISTENER)
		copy_pkis(want, conf);
	/* httppop: who may ask auth_http over TCP. */
	if (ch->proc == PROC_LISTENER || ch->proc == PROC_HTTP)
		copy_nets(&want->proxies, &conf->proxies);
	got_text = printed(rebuilt);
	want_text = printed(want);
	CHECK(strcmp(got_text, want_text) == 0, "%s, %s: expected:\n%s-- "
	    "got:\n%s--", name, cname, want_text, got_text);
	if (ch->proc == PROC_LISTENER) {
		/* All of it but the tables and control: the parent's. */
		free(want_text);
		want_text = parent_only_out(printed(conf));
		got_text = parent_only_out(got_text);
		CHECK(strcmp(got_text, want_text) == 0, "%s, listener: "
		    "popd -n prints:\n%s-- got:\n%s--", name, want_text,
		    got_text);
	}
	free(got_text);
	free(want_text);
	conf_free(want);
	conf_free(rebuilt);
	rebuilt = NULL;
	CHECK(open_fds() == before, "%s, %s: %d descriptors open, %d before",
	    name, cname, open_fds(), before);
}

/*
 * A wrkrpop's configuration is its MSG_PARENT_WORKER: the settings it
 * reads are popd.conf's, and pass its check (proto.c's valid_worker).
 */
static void
worker_settings(const char *name, const struct conf_settings *cs)
{
	struct conf_worker	 w;
	const char		*why;

	settings_worker(cs, &w);
	why = settings_check_worker(&w);
	CHECK(why == NULL, "%s, wrkrpop: its settings refused (%s)", name,
	    why);
	CHECK(strcmp(w.uidl_format, cs->uidl_format) == 0 &&
	    w.last == cs->last && w.expire == cs->expire &&
	    w.login_delay == cs->login_delay &&
	    w.deleted_keep == cs->deleted_keep && w.idle == cs->timeout.idle &&
	    w.bad_commands == cs->limit.bad_commands,
	    "%s, wrkrpop: its settings are not those parsed", name);
}

static void
each_child(const char *name, const struct popd_conf *conf)
{
	size_t	i;

	for (i = 0; i < nitems(children); i++)
		send_receive(name, conf, &children[i]);
	worker_settings(name, &conf->set);
}

/*
 * A configuration at the limits of the messages: POPD_MAXPKI keypairs
 * with paths of PATH_MAX - 1, POPD_MAXPROXY proxies, every setting off
 * its default.  More than fits a socket's buffer at once.
 */
static void
at_the_limits(const char *dir)
{
	struct popd_conf	*conf;
	struct chan		 c;
	char			 path[PATH_MAX], file[PATH_MAX], key[PATH_MAX];
	FILE			*fp;
	int			 i, n, sp[2];

	(void)snprintf(file, sizeof(file), "%s/limits.conf", dir);
	if ((fp = fopen(file, "w")) == NULL)
		die(file);
	n = PATH_MAX - 1 - (int)strlen("/etc/ssl/00.crt");
	fprintf(fp, "authtab \"/%0*d\"\n", PATH_MAX - 2, 1);
	fprintf(fp, "usertab \"/%0*d\"\n", PATH_MAX - 2, 2);
	fprintf(fp, "maildir \"%0*d\"\n", PATH_MAX - 1, 3);
	fputs("tls protocols \"tlsv1.2,tlsv1.3\"\n", fp);
	for (i = 0; i < POPD_MAXPKI; i++) {
		memset(path, 'c', n);
		path[n] = '\0';
		fprintf(fp, "pki p%d cert \"/etc/ssl/%s%02d.crt\"\n", i, path,
		    i);
		memset(path, 'k', n);
		fprintf(fp, "pki p%d key \"/etc/ssl/%s%02d.key\"\n", i, path,
		    i);
		fprintf(fp, "listen on 192.0.2.%d port %d tls pki p%d%s\n", i,
		    995 + i, i, i % 2 ? " proxy-protocol" : "");
	}
	for (i = 0; i < POPD_MAXPROXY; i++) {
		if (i % 2)
			fprintf(fp, "proxy 2001:db8:%x::/%d%s\n", i, 48 + i,
			    i % 3 ? " trusted" : "");
		else
			fprintf(fp, "proxy 198.51.%d.0/%d%s\n", i, 24 + i % 9,
			    i % 3 ? " trusted" : "");
	}
	fputs("trusted 10.0.0.0/8\ntrusted ::1\n"
	    "timeout handshake 1\ntimeout login 24h\ntimeout idle 24h\n"
	    "timeout send 24h\ntimeout close 1h\n"
	    "limit handshakes 1000000\nlimit sessions 1000000\n"
	    "limit logged-in 1000000\nlimit failures 1000\n"
	    "limit bad-commands 1000000\n"
	    "limit per-address handshakes 1\nlimit per-address sessions 1\n"
	    "limit per-address logged-in 1\n"
	    "limit per-address ipv4-prefix 8\n"
	    "limit per-address ipv6-prefix 128\n"
	    "failure-delay 1h 1h\nexpire 36500\nlogin-delay 24h\nlast yes\n"
	    "deleted keep 366d\nuidl-format \"%08Xu%08Xv\"\n", fp);
	/* Key files: authpop's, opened by the parent (conf_send). */
	(void)snprintf(key, sizeof(key), "%s/k", dir);
	fprintf(fp, "ticket key \"%s\"\napp-passwords \"%s/apps\" key "
	    "\"%s\"\n", key, dir, key);
	if (fclose(fp) == EOF)
		die(file);
	if ((i = open(key, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(i, file, 32) != 32 || close(i) == -1)
		die(key);
	conf = parse_config(file, 0);
	CHECK(conf != NULL, "%s: should parse", file);
	if (conf != NULL) {
		served(conf);
		each_child("limits.conf", conf);
		/* A key gone since popd -n: authpop cannot have it. */
		(void)unlink(key);
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
			die("socketpair");
		chan_init(&c, sp[0], PROC_PARENT, PROC_AUTHPOP, PH_START,
		    from_authpop, nitems(from_authpop), on_eof, NULL);
		CHECK(conf_send(&c, conf, PROC_AUTHPOP, -1) == -1,
		    "limits.conf, authpop: sent without its key file");
		chan_close(&c);
		close(sp[1]);
	}
	conf_free(conf);
	(void)unlink(file);
}

int
main(int argc, char *argv[])
{
	struct popd_conf	*conf;
	glob_t			 g;
	char			 self[PATH_MAX], dir[PATH_MAX];
	char			 tmpdir[] = "/tmp/test_proto.XXXXXX";
	size_t			 i, ngood = 0;

	log_init(1, LOG_MAIL);
	log_procinit("test_proto");
	event_init();
	if (mkdtemp(tmpdir) == NULL)
		die("mkdtemp");
	(void)strlcpy(self, argv[0], sizeof(self));
	(void)snprintf(dir, sizeof(dir), "%s/conf", dirname(self));
	if (chdir(dir) == -1)
		die(dir);
	if (glob("*.conf", 0, NULL, &g) != 0) {
		fprintf(stderr, "%s: no *.conf\n", dir);
		return 2;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		if (strncmp(g.gl_pathv[i], "bad-", 4) == 0)
			continue;
		conf = parse_config(g.gl_pathv[i], 0);
		CHECK(conf != NULL, "%s: should parse", g.gl_pathv[i]);
		if (conf == NULL)
			continue;
		served(conf);
		each_child(g.gl_pathv[i], conf);
		conf_free(conf);
		ngood++;
	}
	globfree(&g);
	CHECK(ngood >= 10, "only %zu good configurations in %s", ngood, dir);
	at_the_limits(tmpdir);
	(void)rmdir(tmpdir);
	return unit_done();
}
