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
 * popd's counters and how popctl prints them.  Everything that prints is
 * given the numbers and a line writer, so the unit test sees exactly what
 * popctl prints.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "version.h"
#include "stats.h"

/* The first counter of a family carries its help text. */
static const struct stat_desc {
	const char	*name;
	const char	*family;
	const char	*labels;
	const char	*help;
} descs[STAT_MAX] = {
	[STAT_CONNECTIONS] = { "connections", "popd_connections_total", NULL,
	    "TCP connections accepted by the POP3 listeners." },
	[STAT_TLS_FAILURES] = { "tls_failures",
	    "popd_tls_handshake_failures_total", NULL,
	    "TLS handshakes that failed or timed out." },
	[STAT_LOGIN_OK] = { "logins_ok", "popd_logins_total", "result=\"ok\"",
	    "Logins by result: ok reached the TRANSACTION state, the others "
	    "were refused." },
	[STAT_LOGIN_AUTH] = { "logins_failed_auth", "popd_logins_total",
	    "result=\"auth\"", NULL },
	[STAT_LOGIN_PLAINTEXT] = { "logins_failed_plaintext",
	    "popd_logins_total", "result=\"plaintext\"", NULL },
	[STAT_LOGIN_INUSE] = { "logins_failed_in_use", "popd_logins_total",
	    "result=\"in_use\"", NULL },
	[STAT_LOGIN_LIMIT] = { "logins_failed_limit", "popd_logins_total",
	    "result=\"limit\"", NULL },
	[STAT_LOGIN_TEMP] = { "logins_failed_temp", "popd_logins_total",
	    "result=\"temp\"", NULL },
	[STAT_LOGIN_PERM] = { "logins_failed_perm", "popd_logins_total",
	    "result=\"perm\"", NULL },
	[STAT_REFUSED_HANDSHAKES] = { "refused_handshakes",
	    "popd_refused_total", "limit=\"handshakes\"",
	    "Connections, sessions and logins refused or ended by a limit, "
	    "by limit." },
	[STAT_REFUSED_ADDR_HANDSHAKES] = { "refused_per_address_handshakes",
	    "popd_refused_total", "limit=\"per_address_handshakes\"", NULL },
	[STAT_REFUSED_ADDR_CONNECTIONS] = { "refused_per_address_connections",
	    "popd_refused_total", "limit=\"per_address_connections\"", NULL },
	[STAT_REFUSED_SESSIONS] = { "refused_sessions", "popd_refused_total",
	    "limit=\"sessions\"", NULL },
	[STAT_REFUSED_ADDR_SESSIONS] = { "refused_per_address_sessions",
	    "popd_refused_total", "limit=\"per_address_sessions\"", NULL },
	[STAT_REFUSED_LOGGED_IN] = { "refused_logged_in",
	    "popd_refused_total", "limit=\"logged_in\"", NULL },
	[STAT_REFUSED_ADDR_LOGGED_IN] = { "refused_per_address_logged_in",
	    "popd_refused_total", "limit=\"per_address_logged_in\"", NULL },
	[STAT_REFUSED_LOGIN_DELAY] = { "refused_login_delay",
	    "popd_refused_total", "limit=\"login_delay\"", NULL },
	[STAT_REFUSED_FAILURES] = { "refused_failures", "popd_refused_total",
	    "limit=\"failures\"", NULL },
	[STAT_REFUSED_HASH_COST] = { "refused_hash_cost", "popd_refused_total",
	    "limit=\"hash_cost\"", NULL },
	[STAT_REFUSED_BAD_COMMANDS] = { "refused_bad_commands",
	    "popd_refused_total", "limit=\"bad_commands\"", NULL },
	[STAT_REFUSED_LMTP_SESSIONS] = { "refused_lmtp_sessions",
	    "popd_refused_total", "limit=\"lmtp_sessions\"", NULL },
	[STAT_REFUSED_MESSAGE_SIZE] = { "refused_message_size",
	    "popd_refused_total", "limit=\"message_size\"", NULL },
	[STAT_REFUSED_RECIPIENTS] = { "refused_recipients",
	    "popd_refused_total", "limit=\"recipients\"", NULL },
	[STAT_REFUSED_QUOTA_RCPT] = { "quota_refused_rcpt",
	    "popd_quota_refused_total", "at=\"rcpt\"",
	    "Recipients refused for their quota: over it at RCPT, SIZE= "
	    "too big for what is left, the message too big after DATA, "
	    "by mda." },
	[STAT_REFUSED_QUOTA_SIZE] = { "quota_refused_size",
	    "popd_quota_refused_total", "at=\"size\"", NULL },
	[STAT_REFUSED_QUOTA_DATA] = { "quota_refused_data",
	    "popd_quota_refused_total", "at=\"data\"", NULL },
	[STAT_REFUSED_QUOTA_MDA] = { "quota_refused_mda",
	    "popd_quota_refused_total", "at=\"mda\"", NULL },
	[STAT_RETRIEVED] = { "retrieved_messages",
	    "popd_retrieved_messages_total", NULL,
	    "Messages sent by RETR and TOP." },
	[STAT_RETRIEVED_OCTETS] = { "retrieved_octets",
	    "popd_retrieved_bytes_total", NULL,
	    "Octets sent by RETR (the message sizes) and TOP." },
	[STAT_DELETED] = { "deleted_messages", "popd_deleted_messages_total",
	    NULL, "Messages removed in the UPDATE state." },
	[STAT_MDA_OK] = { "mda_delivered", "popd_deliveries_total",
	    "via=\"mda\",result=\"ok\"",
	    "Deliveries by mda (as it reports them) and LMTP (per "
	    "recipient), by result." },
	[STAT_MDA_TEMP] = { "mda_deferred", "popd_deliveries_total",
	    "via=\"mda\",result=\"temp\"", NULL },
	[STAT_LMTP_OK] = { "lmtp_delivered", "popd_deliveries_total",
	    "via=\"lmtp\",result=\"ok\"", NULL },
	[STAT_LMTP_TEMP] = { "lmtp_deferred", "popd_deliveries_total",
	    "via=\"lmtp\",result=\"temp\"", NULL },
	[STAT_LMTP_PERM] = { "lmtp_refused", "popd_deliveries_total",
	    "via=\"lmtp\",result=\"perm\"", NULL },
	[STAT_LOOKUP_FOUND] = { "lookups_found", "popd_lookups_total",
	    "result=\"found\"",
	    "Questions to database tables, by answer." },
	[STAT_LOOKUP_NONE] = { "lookups_not_found", "popd_lookups_total",
	    "result=\"not_found\"", NULL },
	[STAT_LOOKUP_TEMP] = { "lookups_failed", "popd_lookups_total",
	    "result=\"temp\"", NULL },
	[STAT_LOOKUP_USEC] = { .name = "lookup_microseconds" },
	[STAT_LOOKUP_1MS] = { .name = "lookups_within_1ms" },
	[STAT_LOOKUP_10MS] = { .name = "lookups_within_10ms" },
	[STAT_LOOKUP_100MS] = { .name = "lookups_within_100ms" },
	[STAT_LOOKUP_1S] = { .name = "lookups_within_1s" },
	[STAT_LOGIN_CACHE_HIT] = { "login_cache_hits",
	    "popd_login_cache_total", "result=\"hit\"",
	    "Passwords of known users looked up in authpop's login cache: a "
	    "hit skipped the hash check, a miss made it; evictions made "
	    "room." },
	[STAT_LOGIN_CACHE_MISS] = { "login_cache_misses",
	    "popd_login_cache_total", "result=\"miss\"", NULL },
	[STAT_LOGIN_CACHE_EVICT] = { "login_cache_evictions",
	    "popd_login_cache_total", "result=\"eviction\"", NULL },
	[STAT_STORE_STUCK] = { "store_stuck", "popd_store_stuck_total", NULL,
	    "Sessions found inside one call into the mail store for longer "
	    "than timeout store." },
};

static const struct {
	int		 id;
	const char	*le;
} buckets[] = {
	{ STAT_LOOKUP_1MS, "0.001" },
	{ STAT_LOOKUP_10MS, "0.01" },
	{ STAT_LOOKUP_100MS, "0.1" },
	{ STAT_LOOKUP_1S, "1" },
};

static struct stats_page	 private_page;
struct stats_page		*stats = &private_page;

static void	outf(stats_out, void *, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));

/* Before confinement.  Without it the process counts into a private page. */
void
stats_attach(int fd)
{
	struct stat	 st;
	void		*p;

	if (stats != &private_page)
		fatalx("a second page of counters");
	if (fstat(fd, &st) == -1 ||
	    st.st_size < (off_t)sizeof(struct stats_page) ||
	    (p = mmap(NULL, sizeof(struct stats_page), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0)) == MAP_FAILED)
		log_warn("counters: page not mapped, not counted");
	else
		stats = p;
	close(fd);
}

struct stats_page *
stats_page_new(int *fdp)
{
	void	*p;
	int	 fd;

	if ((fd = compat_page_create("popd-stats",
	    sizeof(struct stats_page))) == -1) {
		log_warn("counters: page");
		return NULL;
	}
	p = mmap(NULL, sizeof(struct stats_page), PROT_READ, MAP_SHARED, fd,
	    0);
	if (p == MAP_FAILED) {
		log_warn("counters: mmap");
		close(fd);
		return NULL;
	}
	/* A fork (a login's wrkrpop) must not copy one page per session. */
	if (compat_nofork(p, sizeof(struct stats_page)) == -1)
		log_warn("counters: madvise");
	*fdp = fd;
	return p;
}

void
stats_page_free(struct stats_page *p)
{
	if (p != NULL && munmap(p, sizeof(*p)) == -1)
		fatal("%s: munmap", __func__);
}

/* A page's counters into c[STAT_MAX], each read once: a child writes. */
void
stats_read(const struct stats_page *p, uint64_t *c)
{
	const volatile uint64_t	*v = p->c;
	size_t			 i;

	for (i = 0; i < STAT_MAX; i++)
		c[i] = v[i];
}

/* A wrkrpop's state, clamped: what it wrote is untrusted. */
uint32_t
stats_state(const struct stats_page *p)
{
	uint32_t	s = *(const volatile uint32_t *)&p->state;

	return s == PAGE_TRANSACTION || s == PAGE_UPDATE ? s : PAGE_LOGIN;
}

uint32_t
stats_marked(const struct stats_page *p)
{
	return *(const volatile uint32_t *)&p->marked;
}

/* sum += c, saturating: a child may write any number. */
void
stats_sum(uint64_t *sum, const uint64_t *c)
{
	size_t	i;

	for (i = 0; i < STAT_MAX; i++)
		sum[i] = sum[i] + c[i] < sum[i] ? UINT64_MAX : sum[i] + c[i];
}

const char *
stats_name(int id)
{
	return id >= 0 && id < STAT_MAX ? descs[id].name : "unknown";
}

const char *
stats_state_str(uint32_t state)
{
	switch (state) {
	case PAGE_TRANSACTION:
		return "transaction";
	case PAGE_UPDATE:
		return "update";
	}
	return "authorization";
}

void
stats_lookup_time(double secs)
{
	size_t	i;
	double	bound;

	if (secs < 0)
		secs = 0;
	STAT_ADD(STAT_LOOKUP_USEC, (uint64_t)(secs * 1e6));
	for (i = 0, bound = 0.001; i < nitems(buckets); i++, bound *= 10)
		if (secs <= bound)
			STAT_INC(buckets[i].id);
}

static void
outf(stats_out out, void *arg, const char *fmt, ...)
{
	char	line[512];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	out(arg, line);
}

void
stats_show(stats_out out, void *arg, const uint64_t *start,
    const uint64_t *reload)
{
	size_t	i;

	outf(out, arg, "popd %s", POPD_VERSION);
	outf(out, arg, "%-32s %12s %12s", "COUNTER", "START", "RELOAD");
	for (i = 0; i < STAT_MAX; i++)
		outf(out, arg, "%-32s %12llu %12llu", descs[i].name,
		    (unsigned long long)start[i],
		    (unsigned long long)reload[i]);
}

static void
metric_head(stats_out out, void *arg, const char *family, const char *type,
    const char *help)
{
	outf(out, arg, "# HELP %s %s", family, help);
	outf(out, arg, "# TYPE %s %s", family, type);
}

static void
label_value(char *dst, size_t size, const char *s)
{
	size_t	n = 0;

	for (; *s != '\0' && n + 3 < size; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n')
			dst[n++] = '\\';
		dst[n++] = *s == '\n' ? 'n' : *s;
	}
	dst[n] = '\0';
}

static void
metrics_counters(stats_out out, void *arg, const uint64_t *c)
{
	static const char	*fam = "popd_lookup_duration_seconds";
	uint64_t		 n;
	size_t			 i;

	for (i = 0; i < STAT_MAX; i++) {
		if (descs[i].family == NULL)
			continue;
		if (descs[i].help != NULL)
			metric_head(out, arg, descs[i].family, "counter",
			    descs[i].help);
		outf(out, arg, "%s%s%s%s %llu", descs[i].family,
		    descs[i].labels ? "{" : "", descs[i].labels ?
		    descs[i].labels : "", descs[i].labels ? "}" : "",
		    (unsigned long long)c[i]);
	}

	n = c[STAT_LOOKUP_FOUND] + c[STAT_LOOKUP_NONE] + c[STAT_LOOKUP_TEMP];
	metric_head(out, arg, fam, "histogram",
	    "How long database tables took to answer.");
	for (i = 0; i < nitems(buckets); i++)
		outf(out, arg, "%s_bucket{le=\"%s\"} %llu", fam, buckets[i].le,
		    (unsigned long long)c[buckets[i].id]);
	outf(out, arg, "%s_bucket{le=\"+Inf\"} %llu", fam,
	    (unsigned long long)n);
	outf(out, arg, "%s_sum %.6f", fam, c[STAT_LOOKUP_USEC] / 1e6);
	outf(out, arg, "%s_count %llu", fam, (unsigned long long)n);
}

static void
metrics_gauges(stats_out out, void *arg, const struct stats_gauges *g)
{
	metric_head(out, arg, "popd_sessions", "gauge",
	    "POP3 sessions now, by state (after the TLS handshake).");
	outf(out, arg, "popd_sessions{state=\"authorization\"} %llu",
	    (unsigned long long)g->authorization);
	outf(out, arg, "popd_sessions{state=\"transaction\"} %llu",
	    (unsigned long long)g->transaction);
	outf(out, arg, "popd_sessions{state=\"update\"} %llu",
	    (unsigned long long)g->update);
	metric_head(out, arg, "popd_store_stuck", "gauge",
	    "Sessions inside one call into the mail store for longer than "
	    "timeout store, now.");
	outf(out, arg, "popd_store_stuck %llu", (unsigned long long)g->stuck);
	metric_head(out, arg, "popd_quota_users_over", "gauge",
	    "Maildirs over their quota, as the LMTP process's last "
	    "delivery or RCPT check found them.");
	outf(out, arg, "popd_quota_users_over %llu",
	    (unsigned long long)g->quota_over);
	metric_head(out, arg, "popd_build_info", "gauge",
	    "popd's version, as a label; the value is always 1.");
	outf(out, arg, "popd_build_info{version=\"%s\"} 1", POPD_VERSION);
	metric_head(out, arg, "popd_start_time_seconds", "gauge",
	    "When popd started, in seconds since the epoch.");
	outf(out, arg, "popd_start_time_seconds %lld", g->started);
	metric_head(out, arg, "popd_reload_time_seconds", "gauge",
	    "When the last reload took effect (or popd started), in seconds "
	    "since the epoch.");
	outf(out, arg, "popd_reload_time_seconds %lld", g->reloaded);
}

static void
metrics_certs(stats_out out, void *arg, const struct stats_gauges *g)
{
	char	name[256];
	size_t	i;

	if (g->ncerts > 0)
		metric_head(out, arg, "popd_tls_certificate_expiry_seconds",
		    "gauge", "Seconds until the certificate each pki serves "
		    "expires (its not-after); negative once it has.");
	for (i = 0; i < g->ncerts; i++) {
		label_value(name, sizeof(name), g->certs[i].name);
		outf(out, arg, "popd_tls_certificate_expiry_seconds"
		    "{name=\"%s\"} %lld", name, g->certs[i].notafter - g->now);
	}
	if (g->ncerts > 0)
		metric_head(out, arg, "popd_tls_renewal_refused_time_seconds",
		    "gauge", "When popd first refused renewed files of each "
		    "pki since the pair it serves was loaded, in seconds since "
		    "the epoch; 0 if it refused none.");
	for (i = 0; i < g->ncerts; i++) {
		label_value(name, sizeof(name), g->certs[i].name);
		outf(out, arg, "popd_tls_renewal_refused_time_seconds"
		    "{name=\"%s\"} %lld", name, g->certs[i].refused);
	}
}

static void
metrics_users(stats_out out, void *arg, const struct stats_gauges *g)
{
	size_t	i;

	if (g->kinds == NULL || g->kinds->nkinds == 0)
		return;
	metric_head(out, arg, "popd_users_no_login", "gauge",
	    "Users of authtab whose stored password popd cannot use (a kind "
	    "it refuses), as the last load or reload read it: they cannot "
	    "log in until it is replaced.");
	outf(out, arg, "popd_users_no_login %llu",
	    (unsigned long long)g->nologin);
	metric_head(out, arg, "popd_users_by_hash", "gauge",
	    "Users of authtab by the kind of their password hash, as the "
	    "last load or reload read it; weak ones work only with "
	    "weak-hashes yes.");
	for (i = 0; i < g->kinds->nkinds; i++)
		outf(out, arg, "popd_users_by_hash{kind=\"%s\",weak=\"%s\"} "
		    "%llu", g->kinds->name[i], g->kinds->weak[i] ? "yes" : "no",
		    (unsigned long long)g->kinds->n[i]);
}

/* Prometheus text format 0.0.4, as promtool and node_exporter read it. */
void
stats_metrics(stats_out out, void *arg, const uint64_t *c,
    const struct stats_gauges *g)
{
	metrics_counters(out, arg, c);
	metrics_gauges(out, arg, g);
	metrics_certs(out, arg, g);
	metrics_users(out, arg, g);
}

/* kind lives as long as k; names past STATS_KINDS are not counted. */
void
stats_kind_add(struct stats_kinds *k, const char *kind, int weak)
{
	size_t	i;

	for (i = 0; i < k->nkinds; i++)
		if (strcmp(k->name[i], kind) == 0)
			break;
	if (i == k->nkinds) {
		if (k->nkinds == STATS_KINDS)
			return;
		k->name[i] = kind;
		k->weak[i] = weak;
		k->nkinds++;
	}
	k->n[i]++;
}

const char *
stats_time(long long t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)strlcpy(buf, "-", len);
	return buf;
}

#define SESSION_FMT	"%-16s %-24s %-22s %-13s %-20s %6s %12s %6s"

void
stats_session_line(stats_out out, void *arg, const struct stats_session *s)
{
	char	addr[PEER_STRLEN], since[32];
	char	retr[24] = "-", octets[24] = "-", marked[16] = "-";

	if (s == NULL) {
		outf(out, arg, SESSION_FMT, "USER", "ADDRESS", "LISTENER",
		    "STATE", "SINCE", "RETR", "OCTETS", "DELE");
		return;
	}
	if (s->counted) {
		(void)snprintf(retr, sizeof(retr), "%llu",
		    (unsigned long long)s->retr);
		(void)snprintf(octets, sizeof(octets), "%llu",
		    (unsigned long long)s->octets);
		(void)snprintf(marked, sizeof(marked), "%u", s->marked);
	}
	outf(out, arg, SESSION_FMT, s->user != NULL ? s->user : "-",
	    peer_str(&s->peer, addr, sizeof(addr)), s->listener != NULL ?
	    s->listener : "-", s->state != NULL ? s->state : "-",
	    stats_time(s->since, since, sizeof(since)), retr, octets, marked);
}

#define PENALTY_FMT	"%-28s %-16s %8s %6s %6s"

void
stats_penalty_line(stats_out out, void *arg, const struct stats_penalty *p)
{
	char	addr[INET6_ADDRSTRLEN + 8];
	char	fails[16], delay[24] = "-", queued[16] = "-";

	if (p == NULL) {
		outf(out, arg, PENALTY_FMT, "ADDRESS", "USER", "FAILURES",
		    "DELAY", "QUEUED");
		return;
	}
	(void)snprintf(fails, sizeof(fails), "%u", p->fails);
	if (p->user == NULL) {
		(void)snprintf(delay, sizeof(delay), "%.0f", p->delay);
		(void)snprintf(queued, sizeof(queued), "%u", p->queued);
	}
	outf(out, arg, PENALTY_FMT, addrkey_str(&p->key, p->v4bits,
	    p->v6bits, addr, sizeof(addr)), p->user != NULL ? p->user : "-",
	    fails, delay, queued);
}
