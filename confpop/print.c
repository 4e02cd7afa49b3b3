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

/* popd -n -v: what it prints parses to the same configuration. */
#include <sys/types.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "quotarule.h"

/* A string as the lexer reads it back, between before and after. */
static void
print_str(FILE *fp, const char *before, const char *s, const char *after)
{
	fprintf(fp, "%s\"", before);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fprintf(fp, "\"%s", after);
}

/* A passwd-file goes by the name of its table, the only way to say it. */
static void
print_tab(FILE *fp, const struct popd_conf *conf, const char *what,
    const char *v, int src, const char *after)
{
	const struct conf_table	*t;

	fprintf(fp, "%s ", what);
	if (src == TABSRC_PASSWD) {
		TAILQ_FOREACH(t, &conf->tables, entry)
			if (strcmp(t->backend, "passwd-file") == 0 &&
			    strcmp(t->config, v) == 0)
				break;
		fprintf(fp, "<%s>", t != NULL ? t->name : "?");
	} else if (src == TABSRC_LOOKUP)
		fprintf(fp, "<%s>", v);
	else if (src == TABSRC_SYSTEM)
		fputs("system", fp);
	else
		print_str(fp, "", v, "");
	fputs(after, fp);
}

static void
print_tables(FILE *fp, const struct popd_conf *conf)
{
	const struct conf_table		*tb;
	int				 i;

	TAILQ_FOREACH(tb, &conf->tables, entry) {
		fprintf(fp, "table %s \"%s:%s\"", tb->name,
		    strcmp(tb->backend, "proc") == 0 ? tb->program :
		    tb->backend, tb->config);
		if (tb->cache > 0)
			fprintf(fp, " cache %s", conf_duration(tb->cache));
		fputc('\n', fp);
	}
	print_tab(fp, conf, "authtab", conf->set.authtab, conf->set.authsrc,
	    "\n");
	print_tab(fp, conf, "usertab", conf->set.usertab, conf->set.usersrc,
	    "\n");
	if (conf->set.authsrc == TABSRC_SYSTEM ||
	    conf->set.usersrc == TABSRC_SYSTEM) {
		fprintf(fp, "system uid %u-%u\n", conf->system_uid[0],
		    conf->system_uid[1]);
		if (conf->system_group[0] != '\0')
			fprintf(fp, "system group %s\n", conf->system_group);
	}
	fprintf(fp, "refuse groups%s", conf->nrefuse == 0 ? " none" : "");
	for (i = 0; i < conf->nrefuse; i++)
		fprintf(fp, " %s", conf->refuse_groups[i]);
	fputc('\n', fp);
	if (conf->set.maildir[0] != '\0')
		print_str(fp, "maildir ", conf->set.maildir, "\n");
}

static void
print_tls(FILE *fp, const struct popd_conf *conf)
{
	const struct conf_pki		*p;
	int				 i;

	print_str(fp, "tls protocols ", conf->set.tls_protocols, "\n");
	fprintf(fp, "tls tickets %s\n", conf_duration(conf->set.tls_tickets));

	TAILQ_FOREACH(p, &conf->pkis, entry)
		for (i = 0; i < 2; i++)
			if ((i ? p->key : p->cert)[0] != '\0') {
				print_str(fp, "pki ", p->name, i ? " key " :
				    " cert ");
				print_str(fp, "", i ? p->key : p->cert, "\n");
			}
}

static void
print_options(FILE *fp, const struct popd_conf *conf)
{
	struct quota_limit		 lim;
	char				 buf[INET6_ADDRSTRLEN + 64];

	if (conf->set.route[0] != '\0') {
		print_tab(fp, conf, "route", conf->set.route,
		    conf->set.routesrc, "");
		fprintf(fp, " pop3 %d imap %d smtp %d",
		    conf->set.route_port[ROUTE_POP3],
		    conf->set.route_port[ROUTE_IMAP],
		    conf->set.route_port[ROUTE_SMTP]);
		if (conf->set.route_health != 0)
			fprintf(fp, " health %d", conf->set.route_health);
		fputc('\n', fp);
	}
	lim.bytes = conf->set.quota.bytes;
	lim.msgs = conf->set.quota.msgs;
	(void)quota_spec_format(&lim, buf, sizeof(buf));
	fprintf(fp, "quota %s\n", buf);
	if (conf->set.quota.users[0] != '\0')
		print_tab(fp, conf, "quota users", conf->set.quota.users,
		    conf->set.quota.userssrc, "\n");
	fprintf(fp, "quota full %s\n", conf->set.quota.temporary ?
	    "temporary" : "permanent");
	if (conf->apps[0] != '\0') {
		print_tab(fp, conf, "app-passwords", conf->apps,
		    conf->appssrc, "");
		print_str(fp, " key ", conf->set.app_key, "");
		print_str(fp, " last ", conf->apps_last, "\n");
	}
	if (conf->set.ticket_key[0] != '\0')
		print_str(fp, "ticket key ", conf->set.ticket_key, "\n");
}

static void
print_listen(FILE *fp, const struct conf_listen *l)
{
	if (l->path[0] != '\0') {
		print_str(fp, "listen on socket ", l->path,
		    (l->flags & CONF_LISTEN_LMTP) ? " lmtp" : " auth-http");
		if (l->group[0] != '\0')
			print_str(fp, " group ", l->group, "");
		if (l->user[0] != '\0')
			print_str(fp, " user ", l->user, "");
		fputc('\n', fp);
		return;
	}
	print_str(fp, "listen on ", l->addr, "");
	fprintf(fp, " port %d %s", l->port,
	    (l->flags & CONF_LISTEN_TLS) ? "tls" :
	    (l->flags & CONF_LISTEN_HTTP) ? "auth-http" :
	    (l->flags & CONF_LISTEN_LMTP) ? "lmtp" :
	    (l->flags & CONF_LISTEN_HEALTHHTTP) ? "health http" :
	    (l->flags & CONF_LISTEN_HEALTH) ? "health" : "starttls");
	if (l->pki[0] != '\0')
		print_str(fp, " pki ", l->pki, "");
	if (l->flags & CONF_LISTEN_PROXY)
		fputs(" proxy-protocol", fp);
	fputc('\n', fp);
}

static void
print_listens(FILE *fp, const struct popd_conf *conf)
{
	const struct conf_listen	*l;
	const struct conf_trusted	*t;
	char				 buf[INET6_ADDRSTRLEN + 64];

	TAILQ_FOREACH(l, &conf->listens, entry)
		print_listen(fp, l);
	if (conf->listeners != 0)
		fprintf(fp, "listeners %d\n", conf->listeners);
	if (conf->probe_user[0] != '\0')
		print_str(fp, "health probe ", conf->probe_user, "\n");
	TAILQ_FOREACH(t, &conf->trusted, entry)
		fprintf(fp, "trusted \"%s\"\n", net_str(&t->net, buf,
		    sizeof(buf)));
	TAILQ_FOREACH(t, &conf->proxies, entry)
		fprintf(fp, "proxy \"%s\"%s\n", net_str(&t->net, buf,
		    sizeof(buf)), t->trusted ? " trusted" : "");
}

static void
print_limits(FILE *fp, const struct popd_conf *conf)
{
	const struct conf_knob		*knobs;
	size_t				 i, nknobs;
	int				 v;

	knobs = conf_knobs(&nknobs);
	for (i = 0; i < nknobs; i++) {
		memcpy(&v, (const char *)&conf->set + knobs[i].off, sizeof(v));
		if (knobs[i].kind == KNOB_OTHER)
			continue;
		if (knobs[i].kind == KNOB_TIMEOUT)
			fprintf(fp, "timeout %s %s\n", knobs[i].name,
			    conf_duration(v));
		else
			fprintf(fp, "limit %s%s %d\n",
			    knobs[i].kind == KNOB_PERADDR ? "per-address " : "",
			    knobs[i].name, v);
	}
	fprintf(fp, "failure-delay %s %s\n",
	    conf_duration(conf->set.failure_delay.first),
	    conf_duration(conf->set.failure_delay.max));
}

static void
print_mailbox(FILE *fp, const struct popd_conf *conf)
{
	if (conf->set.expire == -1)
		fputs("expire never\n", fp);
	else
		fprintf(fp, "expire %d\n", conf->set.expire);
	if (conf->set.deleted_keep == 0)
		fputs("deleted keep none\n", fp);
	else if (conf->set.deleted_keep % 86400 == 0)
		fprintf(fp, "deleted keep %dd\n", conf->set.deleted_keep / 86400);
	else
		fprintf(fp, "deleted keep %s\n",
		    conf_duration(conf->set.deleted_keep));
	fprintf(fp, "login-delay %s\n", conf_duration(conf->set.login_delay));
	fprintf(fp, "login cache %s\n", conf_duration(conf->set.login_cache));
	fprintf(fp, "last %s\n", conf->set.last ? "yes" : "no");
	fprintf(fp, "weak-hashes %s\n", conf->set.weak_hashes ? "yes" : "no");
	print_str(fp, "uidl-format ", conf->set.uidl_format, "\n");
	if (conf->set.junk.folder[0] != '\0') {
		print_str(fp, "junk ", conf->set.junk.folder, " merge");
		if (conf->set.junk.tag != JUNK_TAG_NONE)
			fputs(" tag", fp);
		if (conf->set.junk.tag == JUNK_TAG_SUBJECT)
			print_str(fp, " subject ", conf->set.junk.subject, "");
		fputc('\n', fp);
	}
	if (conf->set.junk_users[0] != '\0')
		print_tab(fp, conf, "junk users", conf->set.junk_users,
		    conf->set.junk_userssrc, "\n");
}

/* The blocks in the order popd.conf(5) describes them. */
void
conf_print(FILE *fp, const struct popd_conf *conf)
{
	print_tables(fp, conf);
	print_tls(fp, conf);
	print_options(fp, conf);
	print_listens(fp, conf);
	print_limits(fp, conf);
	print_mailbox(fp, conf);
	print_str(fp, "control socket ", conf->ctlsock, "\n");
	if (conf->ctlgroup[0] != '\0')
		fprintf(fp, "control group %s\n", conf->ctlgroup);
}
