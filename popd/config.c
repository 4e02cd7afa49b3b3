/*
 * config.c -- popd.conf(5) apart from the grammar: the defaults, the
 * checks that need every statement, and printing the configuration back
 * in its own syntax (popd -n -v).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>

#include "log.h"
#include "addr.h"
#include "oldids.h"
#include "config.h"

/*
 * Every default, in one place; popd.conf(5) lists each one next to its
 * keyword.  The lists are empty: conf_new() initializes their heads.
 */
static const struct popd_conf conf_defaults = {
	.authtab = "/etc/mail/authtab",
	.usertab = "/etc/mail/usertab",
	.maildir = "",
	.tls_protocols = "tlsv1.3",
	.protocols = TLS_PROTOCOL_TLSv1_3,
	.timeout = {
		.handshake = 60,
		.login = 600,
		.idle = 600,
		.send = 600,
		.close = 60,
	},
	.limit = {
		.handshakes = 1024,
		.sessions = 4096,
		.logged_in = 10000,
		.failures = 3,
		.bad_commands = 10,
	},
	.per_address = {
		.handshakes = 16,
		.sessions = 32,
		.logged_in = 64,
		.ipv4_prefix = 32,
		.ipv6_prefix = 64,
	},
	.failure_delay = {
		.first = 1,
		.max = 15,
	},
	.expire = -1,
	.uidl_format = OLDIDS_DEFAULT_FORMAT,
	.login_delay = 0,
	.last = 0,
};

#define T(f)	offsetof(struct popd_conf, timeout.f)
#define L(f)	offsetof(struct popd_conf, limit.f)
#define A(f)	offsetof(struct popd_conf, per_address.f)
static const struct conf_knob knobs[] = {
	{ KNOB_TIMEOUT, "handshake",	T(handshake),	1, 86400, NULL },
	{ KNOB_TIMEOUT, "login",	T(login),	1, 86400, NULL },
	{ KNOB_TIMEOUT, "idle",		T(idle),	CONF_MIN_IDLE, 86400,
	    "RFC 1939 asks for at least 10m" },
	{ KNOB_TIMEOUT, "send",		T(send),	1, 86400, NULL },
	{ KNOB_TIMEOUT, "close",	T(close),	1, 3600, NULL },
	{ KNOB_LIMIT,	"handshakes",	L(handshakes),	1, 1000000, NULL },
	{ KNOB_LIMIT,	"sessions",	L(sessions),	1, 1000000, NULL },
	{ KNOB_LIMIT,	"logged-in",	L(logged_in),	1, 1000000, NULL },
	{ KNOB_LIMIT,	"failures",	L(failures),	1, 1000, NULL },
	{ KNOB_LIMIT,	"bad-commands",	L(bad_commands), 1, 1000000, NULL },
	{ KNOB_PERADDR,	"handshakes",	A(handshakes),	1, 1000000, NULL },
	{ KNOB_PERADDR,	"sessions",	A(sessions),	1, 1000000, NULL },
	{ KNOB_PERADDR,	"logged-in",	A(logged_in),	1, 1000000, NULL },
	{ KNOB_PERADDR,	"ipv4-prefix",	A(ipv4_prefix),	8, 32, NULL },
	{ KNOB_PERADDR,	"ipv6-prefix",	A(ipv6_prefix),	16, 128, NULL },
};
#undef T
#undef L
#undef A

static int	conf_error(const struct popd_conf *, const struct conf_where *,
		    const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));

struct popd_conf *
conf_new(void)
{
	struct popd_conf	*conf;

	if ((conf = malloc(sizeof(*conf))) == NULL)
		return NULL;
	*conf = conf_defaults;
	TAILQ_INIT(&conf->listens);
	TAILQ_INIT(&conf->pkis);
	TAILQ_INIT(&conf->trusted);
	TAILQ_INIT(&conf->proxies);
	return conf;
}

void
conf_free(struct popd_conf *conf)
{
	struct conf_listen	*l;
	struct conf_pki		*p;
	struct conf_trusted	*t;

	if (conf == NULL)
		return;
	while ((l = TAILQ_FIRST(&conf->listens)) != NULL) {
		TAILQ_REMOVE(&conf->listens, l, entry);
		free(l->where.file);
		free(l);
	}
	while ((p = TAILQ_FIRST(&conf->pkis)) != NULL) {
		TAILQ_REMOVE(&conf->pkis, p, entry);
		free(p->where.file);
		free(p);
	}
	while ((t = TAILQ_FIRST(&conf->proxies)) != NULL) {
		TAILQ_REMOVE(&conf->proxies, t, entry);
		free(t->where.file);
		free(t);
	}
	while ((t = TAILQ_FIRST(&conf->trusted)) != NULL) {
		TAILQ_REMOVE(&conf->trusted, t, entry);
		free(t->where.file);
		free(t);
	}
	free(conf);
}

const struct conf_knob *
conf_knob(enum conf_knob_kind kind, const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		if (knobs[i].kind == kind && strcmp(knobs[i].name, name) == 0)
			return &knobs[i];
	return NULL;
}

/*
 * Seconds in the largest unit that divides them: "90s", "10m", "2h".
 * A few static buffers, so that one printf can show several.
 */
const char *
conf_duration(long long secs)
{
	static char	bufs[4][32];
	static int	n;
	char		*buf = bufs[n++ % 4];
	size_t		 len = sizeof(bufs[0]);

	if (secs != 0 && secs % 3600 == 0)
		(void)snprintf(buf, len, "%lldh", secs / 3600);
	else if (secs != 0 && secs % 60 == 0)
		(void)snprintf(buf, len, "%lldm", secs / 60);
	else
		(void)snprintf(buf, len, "%llds", secs);
	return buf;
}

/*
 * "192.0.2.0/24", "2001:db8::/32" or a single address; host bits are
 * cleared.  A small parser of its own until common/ has a shared one.
 */
int
conf_parse_network(const char *text, struct conf_trusted *t,
    const char **errstr)
{
	struct netaddr	 n;
	const char	*slash;
	int		 i;

	/* A prefix length is digits only: no sign, no space. */
	if ((slash = strchr(text, '/')) != NULL &&
	    !isdigit((unsigned char)slash[1])) {
		*errstr = "prefix length is invalid";
		return -1;
	}
	if (net_parse(text, &n, errstr) == -1)
		return -1;
	t->af = n.af;
	t->prefix = n.bits;
	memcpy(t->addr, n.addr, sizeof(t->addr));
	for (i = 0; i < 16; i++) {
		if (i * 8 >= t->prefix)
			t->addr[i] = 0;
		else if (i * 8 + 8 > t->prefix)
			t->addr[i] &= 0xff << (8 - (t->prefix - i * 8));
	}
	if (strlcpy(t->text, text, sizeof(t->text)) >= sizeof(t->text)) {
		*errstr = "too long";
		return -1;
	}
	return 0;
}

/*
 * "*", an IPv4 or IPv6 address, or an interface name, which is looked
 * up when popd binds.
 */
int
conf_valid_listen_addr(const char *addr)
{
	unsigned char	 a[16];
	const char	*p;

	if (strcmp(addr, "*") == 0)
		return 1;
	if (strchr(addr, ':') != NULL)
		return inet_pton(AF_INET6, addr, a) == 1;
	if (strspn(addr, "0123456789.") == strlen(addr))
		return inet_pton(AF_INET, addr, a) == 1;
	if (addr[0] == '\0' || strlen(addr) >= 16)	/* IFNAMSIZ */
		return 0;
	for (p = addr; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("_.-", *p) == NULL)
			return 0;
	return 1;
}

static int
conf_error(const struct popd_conf *conf, const struct conf_where *w,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w != NULL && w->file != NULL)
		log_warnx("%s:%d: %s", w->file, w->line, msg);
	else
		log_warnx("%s: %s", conf->file, msg);
	return -1;
}

static struct conf_pki *
pki_find(const struct popd_conf *conf, const char *name)
{
	struct conf_pki	*p;

	TAILQ_FOREACH(p, &conf->pkis, entry)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/*
 * What one statement cannot tell: every error is reported, each with the
 * place of the statement at fault where there is one.
 */
int
conf_check(struct popd_conf *conf)
{
	struct conf_listen	*l, *l2;
	struct conf_pki		*p;
	struct conf_trusted	*t;
	int			 errors = 0, n;

	TAILQ_FOREACH(p, &conf->pkis, entry) {
		if (p->cert[0] == '\0')
			errors += -conf_error(conf, &p->where,
			    "pki %s: no cert", p->name);
		if (p->key[0] == '\0')
			errors += -conf_error(conf, &p->where,
			    "pki %s: no key", p->name);
	}
	if (TAILQ_EMPTY(&conf->listens))
		errors += -conf_error(conf, NULL, "no \"listen on\" statement");
	n = 0;
	TAILQ_FOREACH(t, &conf->proxies, entry)
		if (++n == CONF_MAX_PROXY + 1)
			errors += -conf_error(conf, &t->where, "more than %d "
			    "proxy statements", CONF_MAX_PROXY);
	TAILQ_FOREACH(l, &conf->listens, entry) {
		if (l->pki[0] != '\0' && pki_find(conf, l->pki) == NULL)
			errors += -conf_error(conf, &l->where,
			    "listen on %s: unknown pki %s", l->addr, l->pki);
		else if (TAILQ_EMPTY(&conf->pkis))
			errors += -conf_error(conf, &l->where,
			    "listen on %s: no pki for %s", l->addr,
			    (l->flags & CONF_LISTEN_TLS) ? "tls" : "starttls");
		if ((l->flags & CONF_LISTEN_PROXY) &&
		    TAILQ_EMPTY(&conf->proxies))
			errors += -conf_error(conf, &l->where,
			    "listen on %s proxy-protocol: no \"proxy\" "
			    "statement names who may send it", l->addr);
		TAILQ_FOREACH(l2, &conf->listens, entry) {
			if (l2 == l)
				break;
			if (l2->port == l->port &&
			    strcmp(l2->addr, l->addr) == 0) {
				errors += -conf_error(conf, &l->where,
				    "listen on %s port %d: given twice",
				    l->addr, l->port);
				break;
			}
		}
	}
	return errors ? -1 : 0;
}

/* A string as the lexer reads it back. */
static void
print_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

void
conf_print(FILE *fp, const struct popd_conf *conf)
{
	const struct conf_listen	*l;
	const struct conf_pki		*p;
	const struct conf_trusted	*t;
	char				 buf[INET6_ADDRSTRLEN];
	size_t				 i;
	int				 v;

	fputs("authtab ", fp);
	print_str(fp, conf->authtab);
	fputs("\nusertab ", fp);
	print_str(fp, conf->usertab);
	fputc('\n', fp);
	if (conf->maildir[0] != '\0') {
		fputs("maildir ", fp);
		print_str(fp, conf->maildir);
		fputc('\n', fp);
	}
	fputs("tls protocols ", fp);
	print_str(fp, conf->tls_protocols);
	fputc('\n', fp);

	TAILQ_FOREACH(p, &conf->pkis, entry) {
		if (p->cert[0] != '\0') {
			fputs("pki ", fp);
			print_str(fp, p->name);
			fputs(" cert ", fp);
			print_str(fp, p->cert);
			fputc('\n', fp);
		}
		if (p->key[0] != '\0') {
			fputs("pki ", fp);
			print_str(fp, p->name);
			fputs(" key ", fp);
			print_str(fp, p->key);
			fputc('\n', fp);
		}
	}
	TAILQ_FOREACH(l, &conf->listens, entry) {
		fputs("listen on ", fp);
		print_str(fp, l->addr);
		fprintf(fp, " port %d %s", l->port,
		    (l->flags & CONF_LISTEN_TLS) ? "tls" : "starttls");
		if (l->pki[0] != '\0') {
			fputs(" pki ", fp);
			print_str(fp, l->pki);
		}
		if (l->flags & CONF_LISTEN_PROXY)
			fputs(" proxy-protocol", fp);
		fputc('\n', fp);
	}
	TAILQ_FOREACH(t, &conf->trusted, entry) {
		if (inet_ntop(t->af, t->addr, buf, sizeof(buf)) == NULL)
			(void)strlcpy(buf, "?", sizeof(buf));
		if (t->prefix == (t->af == AF_INET ? 32 : 128))
			fprintf(fp, "trusted \"%s\"\n", buf);
		else
			fprintf(fp, "trusted \"%s/%d\"\n", buf, t->prefix);
	}
	TAILQ_FOREACH(t, &conf->proxies, entry) {
		if (inet_ntop(t->af, t->addr, buf, sizeof(buf)) == NULL)
			(void)strlcpy(buf, "?", sizeof(buf));
		if (t->prefix == (t->af == AF_INET ? 32 : 128))
			fprintf(fp, "proxy \"%s\"", buf);
		else
			fprintf(fp, "proxy \"%s/%d\"", buf, t->prefix);
		fputs(t->trusted ? " trusted\n" : "\n", fp);
	}

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		memcpy(&v, (const char *)conf + knobs[i].off, sizeof(v));
		if (knobs[i].kind == KNOB_TIMEOUT)
			fprintf(fp, "timeout %s %s\n", knobs[i].name,
			    conf_duration(v));
		else
			fprintf(fp, "limit %s%s %d\n",
			    knobs[i].kind == KNOB_PERADDR ? "per-address " : "",
			    knobs[i].name, v);
	}
	fprintf(fp, "failure-delay %s %s\n",
	    conf_duration(conf->failure_delay.first),
	    conf_duration(conf->failure_delay.max));
	if (conf->expire == -1)
		fputs("expire never\n", fp);
	else
		fprintf(fp, "expire %d\n", conf->expire);
	fprintf(fp, "login-delay %s\n", conf_duration(conf->login_delay));
	fprintf(fp, "last %s\n", conf->last ? "yes" : "no");
	fputs("uidl-format ", fp);
	print_str(fp, conf->uidl_format);
	fputc('\n', fp);
}
