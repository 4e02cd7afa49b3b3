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
 * The control process turns the parent's fixed-size records into the
 * text popctl prints.  As smtpctl prints smtpd's structs, root formats
 * none of it.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "control_cmd.h"
#include "control.h"

static void
line(void *fp, const char *s)
{
	fprintf(fp, "%s\n", s);
}

static void
print_stats(FILE *fp, uint32_t cmd, const struct msg_ctlstats *m)
{
	struct stats_gauges	g;
	struct stats_kinds	k;
	struct stats_cert	certs[POPD_MAXPKI];
	uint32_t		i;

	if (cmd == CTL_SHOW_STATS) {
		stats_show(line, fp, m->start, m->reload);
		return;
	}
	memset(&g, 0, sizeof(g));
	memset(&k, 0, sizeof(k));
	g.authorization = m->authorization;
	g.transaction = m->transaction;
	g.update = m->update;
	g.quota_over = m->quota_over;
	g.stuck = m->stuck;
	g.started = m->started;
	g.reloaded = m->reloaded;
	for (i = 0; i < m->ncerts; i++) {
		certs[i].name = m->cert[i].name;
		certs[i].notafter = m->cert[i].notafter;
		certs[i].refused = m->cert[i].refused;
	}
	g.certs = certs;
	g.ncerts = m->ncerts;
	for (i = 0; i < m->nkinds; i++) {
		k.name[i] = m->kind[i].name;
		k.weak[i] = m->kind[i].weak;
		k.n[i] = m->kind[i].n;
	}
	k.nkinds = m->nkinds;
	g.kinds = m->nkinds > 0 ? &k : NULL;
	g.nologin = m->nologin;
	g.now = time(NULL);
	stats_metrics(line, fp, m->start, &g);
}

static void
print_sessions(FILE *fp, const struct msg_ctlsessions *m)
{
	const struct ctl_session	*r;
	struct stats_session		 s;
	uint32_t			 i;

	for (i = 0; i < m->n; i++) {
		r = &m->rec[i];
		memset(&s, 0, sizeof(s));
		s.user = r->user[0] != '\0' ? r->user : NULL;
		s.peer = r->peer;
		s.listener = r->listener[0] != '\0' ? r->listener : NULL;
		/* CTLS_* but the handshake are PAGE_* + 1. */
		s.state = r->state == CTLS_HANDSHAKE ? "handshake" :
		    r->state == CTLS_STUCK ? "stuck" :
		    stats_state_str(r->state - 1);
		s.since = r->since;
		s.counted = r->counted;
		s.retr = r->retr;
		s.octets = r->octets;
		s.marked = r->marked;
		stats_session_line(line, fp, &s);
	}
}

static void
print_penalties(FILE *fp, const struct msg_penalties *m)
{
	struct stats_penalty	p;
	uint32_t		i;

	memset(&p, 0, sizeof(p));
	p.v4bits = m->v4bits;
	p.v6bits = m->v6bits;
	for (i = 0; i < m->n; i++) {
		p.key = m->rec[i].key;
		p.user = m->rec[i].user[0] != '\0' ? m->rec[i].user : NULL;
		p.fails = m->rec[i].fails;
		p.delay = m->rec[i].delay;
		p.queued = m->rec[i].queued;
		stats_penalty_line(line, fp, &p);
	}
}

static int
print_count(FILE *fp, uint32_t cmd, const struct msg_count *m)
{
	const char	*s = m->n == 1 ? "" : "s";

	switch (cmd) {
	case CTL_KICK_USER:
	case CTL_KICK_ADDRESS:
		fprintf(fp, "%u session%s ended\n", m->n, s);
		return 0;
	case CTL_UNPENALIZE:
		fprintf(fp, "%u entr%s forgotten\n", m->n, m->n == 1 ? "y" :
		    "ies");
		return 0;
	case CTL_DRAIN:
	case CTL_UNDRAIN:
		fprintf(fp, "%s, %u session%s open\n", cmd == CTL_DRAIN ?
		    "draining" : "up", m->n, s);
		return 0;
	}
	return -1;
}

/* Blocks of "word value" lines, blank-line separated (popctl(8)). */
static void
print_cert(FILE *fp, int first, const struct msg_ctlcert *m)
{
	char		date[32];
	long long	left = (long long)(m->notafter - time(NULL));
	size_t		i;

	fprintf(fp, "%spki %s\nsubject %s\nserial %s\nsha256 ", first ? "" :
	    "\n", m->name, m->subject, m->serial);
	/* As openssl x509 -fingerprint prints it: pairs, colons between. */
	for (i = 0; m->sha256[i] != '\0'; i++)
		fprintf(fp, "%s%c", i > 0 && i % 2 == 0 ? ":" : "",
		    m->sha256[i]);
	fprintf(fp, "\nnot-after %s (%s%lld days)\n", stats_time(m->notafter,
	    date, sizeof(date)), left < 0 ? "expired " : "", (left < 0 ?
	    -left : left) / (24 * 3600));
	fprintf(fp, "cert %s\nkey %s\nserving since %s\n", m->cert, m->key,
	    stats_time(m->loaded, date, sizeof(date)));
	if (m->refused != 0)
		fprintf(fp, "renewal refused since %s: %s\n", stats_time(
		    m->refused, date, sizeof(date)), m->why);
}

/* A wrkrpop's text follows with the use. */
static void
print_user(FILE *fp, const struct msg_ctluser *m)
{
	char	junk[JUNK_SPECMAX];

	fprintf(fp, "user %s\nmaildir %s\n", m->user, m->maildir);
	if (m->junkfrom == CTLJ_TEMP)
		fprintf(fp, "junk unknown (junk users cannot answer)\n");
	else if (m->junkfrom != CTLJ_NONE) {
		(void)junk_spec_format(&m->junk, junk, sizeof(junk));
		fprintf(fp, "junk %s (%s)\n", junk, m->junkfrom == CTLJ_TABLE ?
		    "junk users" : "default");
	}
	if (m->quota == CTLQ_NOLIMIT)
		fprintf(fp, "limit none\n");
	else if (m->quota != CTLQ_NONE) {
		/* 0: no limit of that kind, never a limit of none. */
		if (m->limit_bytes == 0)
			fprintf(fp, "limit no byte limit, ");
		else
			fprintf(fp, "limit %llu bytes, ",
			    (unsigned long long)m->limit_bytes);
		if (m->limit_msgs == 0)
			fprintf(fp, "no message limit\n");
		else
			fprintf(fp, "%llu messages\n",
			    (unsigned long long)m->limit_msgs);
	}
}

/* lastuse.c added the last uses, and put them in order. */
static void
print_apps(FILE *fp, const struct msg_ctlapps *m)
{
	const struct ctl_app	*r;
	char			 date[32];
	uint32_t		 i;

	fprintf(fp, "user %s\n", m->user);
	for (i = 0; i < m->n; i++)
		if (strcmp(m->rec[i].label, "main") == 0)
			fprintf(fp, "main password barred\n");
	for (i = 0; i < m->n; i++) {
		r = &m->rec[i];
		if (strcmp(r->label, "main") == 0)
			continue;
		if (r->last == 0)
			fprintf(fp, "app-password %s %s last-used never\n",
			    r->label, r->desc);
		else
			fprintf(fp, "app-password %s %s last-used %s %s\n",
			    r->label, r->desc, stats_time(r->last, date,
			    sizeof(date)), r->addr);
	}
}

/*
 * Draining (by popctl, or by its own) until its last session ends;
 * degraded: its store is stuck.
 */
static void
print_backend(FILE *fp, uint32_t cmd, const struct msg_ctlbackend *m)
{
	const char	*state;
	char		 sess[16] = "-", age[32] = "-";

	if (m->health == CHECK_DOWN)
		state = "down";
	else if (m->drained || m->health == HEALTH_DRAINING)
		state = m->age != -1 && m->sessions > 0 ? "draining" :
		    "drained";
	else if (m->health == HEALTH_DEGRADED)
		state = "degraded";
	else
		state = "up";
	if (cmd != CTL_SHOW_BACKENDS) {
		fprintf(fp, "%s %s\n", m->addr, state);
		return;
	}
	if (m->age != -1) {
		if (m->health != CHECK_DOWN)
			(void)snprintf(sess, sizeof(sess), "%u", m->sessions);
		(void)snprintf(age, sizeof(age), "%llds ago",
		    (long long)m->age);
	}
	fprintf(fp, "%-39s %-8s %8llu %8s %s\n", m->addr, state,
	    (unsigned long long)m->users, sess, age);
}

static void
print_reload(FILE *fp, const struct msg_ctlreload *m)
{
	const char	*s, *lf;

	fprintf(fp, "reloaded %s\n", m->conffile[0] != '\0' ? m->conffile :
	    "the tables and certificates");
	for (s = m->restart; *s != '\0'; s = *lf != '\0' ? lf + 1 : lf) {
		lf = s + strcspn(s, "\n");
		fprintf(fp, "needs a restart: %.*s\n", (int)(lf - s), s);
	}
}

/* Before the first record or text, not before a refusal. */
void
print_begin(FILE *fp, uint32_t cmd)
{
	switch (cmd) {
	case CTL_SHOW_SESSIONS:
		stats_session_line(line, fp, NULL);
		break;
	case CTL_SHOW_PENALTIES:
		stats_penalty_line(line, fp, NULL);
		break;
	case CTL_SHOW_BACKENDS:
		fprintf(fp, "%-39s %-8s %8s %8s %s\n", "BACKEND", "STATE",
		    "USERS", "SESSIONS", "CHECKED");
		break;
	case CTL_LOG_VERBOSE:
	case CTL_LOG_BRIEF:
		fprintf(fp, "log %s\n", cmd == CTL_LOG_BRIEF ? "brief" :
		    "verbose");
		break;
	}
}

/* -1 if cmd is not answered so. */
int
print_record(FILE *fp, uint32_t type, const void *data, uint32_t cmd,
    uint32_t n)
{
	int	ok = 0;

	switch (type) {
	case MSG_PARENT_CTLSTATS:
		if ((ok = cmd == CTL_SHOW_STATS || cmd == CTL_SHOW_METRICS))
			print_stats(fp, cmd, data);
		break;
	case MSG_PARENT_CTLSESSIONS:
		if ((ok = cmd == CTL_SHOW_SESSIONS))
			print_sessions(fp, data);
		break;
	case MSG_AUTHPOP_PENALTIES:
		if ((ok = cmd == CTL_SHOW_PENALTIES))
			print_penalties(fp, data);
		break;
	case MSG_PARENT_CTLCOUNT:
		return print_count(fp, cmd, data);
	case MSG_PARENT_CTLCERT:
		if ((ok = cmd == CTL_SHOW_CERTS))
			print_cert(fp, n == 0, data);
		break;
	case MSG_PARENT_CTLUSER:
		if ((ok = cmd == CTL_SHOW_USER || cmd == CTL_UNDELETE ||
		    cmd == CTL_SHOW_QUOTA))
			print_user(fp, data);
		break;
	case MSG_AUTHPOP_CTLAPPS:
		if ((ok = cmd == CTL_SHOW_APPS))
			print_apps(fp, data);
		break;
	case MSG_ROUTE_BACKENDS:
		if ((ok = cmd == CTL_SHOW_BACKENDS || cmd == CTL_DRAIN ||
		    cmd == CTL_UNDRAIN))
			print_backend(fp, cmd, data);
		break;
	case MSG_PARENT_CTLRELOAD:
		if ((ok = cmd == CTL_RELOAD))
			print_reload(fp, data);
		break;
	}
	return ok ? 0 : -1;
}

void
print_denied(char *why, size_t len, const struct msg_ctldenied *m)
{
	const char	*verb = ctlcmd_verb(m->cmd);

	if (m->group[0] == '\0')
		(void)snprintf(why, len, "permission denied: uid %u may not "
		    "%s (root may; no control group is configured)", m->uid,
		    verb);
	else if (strcmp(verb, "show") == 0)
		(void)snprintf(why, len, "permission denied: uid %u may not "
		    "%s (root and members of group %s may)", m->uid, verb,
		    m->group);
	else
		(void)snprintf(why, len, "permission denied: uid %u may not "
		    "%s (root may; members of group %s may use show)", m->uid,
		    verb, m->group);
}
