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
 * test_stats -- popd's counters (common/stats.c): a page made by the
 * parent's side, mapped and written by a real child process, read back;
 * the seals that keep a child from shrinking it under the parent; the
 * clamping of what a child wrote; and every line popctl's show stats,
 * show metrics, show sessions and show penalties print, exactly.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "util.h"
#include "stats.h"
#include "version.h"
#include "unit.h"

/* What the formatters printed, one line after another. */
static char	out_buf[16384];
static int	out_lines;

static void
collect(void *arg, const char *line)
{
	(void)strlcat(out_buf, line, sizeof(out_buf));
	(void)strlcat(out_buf, "\n", sizeof(out_buf));
	out_lines++;
}

static void
reset(void)
{
	out_buf[0] = '\0';
	out_lines = 0;
}

/* Does the output hold this whole line? */
static int
has_line(const char *line)
{
	char	want[512];

	(void)snprintf(want, sizeof(want), "%s\n", line);
	return strncmp(out_buf, want, strlen(want)) == 0 ||
	    (snprintf(want, sizeof(want), "\n%s\n", line) > 0 &&
	    strstr(out_buf, want) != NULL);
}

/* The parent's page, written by a child that attached it, read back. */
static void
shared_page(void)
{
	struct stats_page	*p;
	uint64_t		 c[STAT_MAX];
	pid_t			 pid;
	int			 fd, status;

	p = stats_page_new(&fd);
	CHECK(p != NULL, "stats_page_new failed");
	if (p == NULL)
		return;
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "the page is not close-on-exec");
	if ((pid = fork()) == 0) {
		stats_attach(fd);
		/* The descriptor is closed once mapped. */
		if (fcntl(fd, F_GETFD) != -1)
			_exit(3);
		STAT_INC(STAT_LOGIN_OK);
		STAT_ADD(STAT_RETRIEVED_OCTETS, 123456789012ULL);
		stats->state = PAGE_UPDATE;
		stats->marked = 7;
		_exit(0);
	}
	close(fd);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "the child failed: status %d", status);
	stats_read(p, c);
	CHECK_INT(c[STAT_LOGIN_OK], 1);
	CHECK(c[STAT_RETRIEVED_OCTETS] == 123456789012ULL,
	    "octets: %llu", (unsigned long long)c[STAT_RETRIEVED_OCTETS]);
	CHECK_INT(c[STAT_CONNECTIONS], 0);
	CHECK_INT(stats_state(p), PAGE_UPDATE);
	CHECK_INT(stats_marked(p), 7);
	stats_page_free(p);
}

#ifdef __linux__
/*
 * A child cannot shrink the page under the parent's mapping (the parent
 * would die of SIGBUS reading it), nor grow it, nor lift the seals.
 */
static void
sealed(void)
{
	struct stats_page	*p;
	int			 fd;

	p = stats_page_new(&fd);
	CHECK(p != NULL, "stats_page_new failed");
	if (p == NULL)
		return;
	CHECK(ftruncate(fd, 0) == -1 && errno == EPERM,
	    "ftruncate to 0: %s, want EPERM", strerror(errno));
	CHECK(ftruncate(fd, 1 << 20) == -1 && errno == EPERM,
	    "ftruncate to 1 MB: %s, want EPERM", strerror(errno));
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == -1 && errno == EPERM,
	    "another seal: %s, want EPERM", strerror(errno));
	/* Still readable: every counter is there. */
	CHECK_INT(p->c[STAT_MAX - 1], 0);
	close(fd);
	stats_page_free(p);
}
#endif

/* What a child wrote is clamped where it could mislead. */
static void
clamped(void)
{
	struct stats_page	p;
	uint64_t		sum[STAT_MAX], add[STAT_MAX];

	memset(&p, 0, sizeof(p));
	p.state = 7;
	CHECK_INT(stats_state(&p), PAGE_LOGIN);
	p.state = PAGE_TRANSACTION;
	CHECK_INT(stats_state(&p), PAGE_TRANSACTION);
	p.state = (uint32_t)-1;
	CHECK_STR(stats_state_str(stats_state(&p)), "authorization");
	CHECK_STR(stats_state_str(PAGE_UPDATE), "update");

	memset(sum, 0, sizeof(sum));
	memset(add, 0, sizeof(add));
	sum[STAT_CONNECTIONS] = UINT64_MAX - 1;
	add[STAT_CONNECTIONS] = 5;
	sum[STAT_DELETED] = 2;
	add[STAT_DELETED] = 3;
	stats_sum(sum, add);
	CHECK(sum[STAT_CONNECTIONS] == UINT64_MAX, "no saturation: %llu",
	    (unsigned long long)sum[STAT_CONNECTIONS]);
	CHECK_INT(sum[STAT_DELETED], 5);
}

static void
lookup_time(void)
{
	stats = calloc(1, sizeof(*stats));
	stats_lookup_time(0.0005);
	stats_lookup_time(0.05);
	stats_lookup_time(3);
	stats_lookup_time(-1);		/* a clock step: 0 */
	CHECK_INT(stats->c[STAT_LOOKUP_1MS], 2);
	CHECK_INT(stats->c[STAT_LOOKUP_10MS], 2);
	CHECK_INT(stats->c[STAT_LOOKUP_100MS], 3);
	CHECK_INT(stats->c[STAT_LOOKUP_1S], 3);
	CHECK_INT(stats->c[STAT_LOOKUP_USEC], 500 + 50000 + 3000000);
}

static void
show_stats(void)
{
	uint64_t	start[STAT_MAX], reload[STAT_MAX];
	size_t		i;

	for (i = 0; i < STAT_MAX; i++) {
		start[i] = 100 + i;
		reload[i] = i;
	}
	reset();
	stats_show(collect, NULL, start, reload);
	CHECK_INT(out_lines, STAT_MAX + 2);
	CHECK(strncmp(out_buf, "popd " POPD_VERSION "\nCOUNTER        "
	    "                         START       RELOAD\nconnections    "
	    "                           100            0\ntls_failures ",
	    126 + strlen("popd " POPD_VERSION "\n")) == 0,
	    "show stats begins:\n%.200s", out_buf);
	CHECK(has_line("logins_failed_in_use                      105"
	    "            5"), "no logins_failed_in_use line:\n%s", out_buf);
	CHECK(has_line("lookups_within_1s                         142"
	    "           42"), "no lookups_within_1s line");
	CHECK(has_line("quota_refused_data                        125"
	    "           25"), "no quota_refused_data line:\n%s", out_buf);
	/* Every name once, snake case. */
	for (i = 0; i < STAT_MAX; i++)
		CHECK(strspn(stats_name(i), "abcdefghijklmnopqrstuvwxyz"
		    "0123456789_") == strlen(stats_name(i)), "name %s",
		    stats_name(i));
}

static void
metrics(void)
{
	struct stats_gauges	g = { 1, 2, 3, 4, 1700000000, 1700000100,
				    NULL, NULL, 0, 1700000000, 2, 7 };
	const struct stats_cert	certs[] = { { "default", 1700086400, 0 },
				    { "old \"one\"\\", 1699999999,
				    1699990000 } };
	struct stats_kinds	k;
	uint64_t		c[STAT_MAX];
	const char		*p;
	int			n;

	memset(c, 0, sizeof(c));
	c[STAT_LOGIN_OK] = 4;
	c[STAT_LOGIN_AUTH] = 2;
	c[STAT_RETRIEVED_OCTETS] = 5000;
	c[STAT_MDA_TEMP] = 1;
	c[STAT_LOOKUP_FOUND] = 5;
	c[STAT_LOOKUP_TEMP] = 1;
	c[STAT_LOOKUP_USEC] = 1234567;
	c[STAT_LOOKUP_1MS] = 2;
	c[STAT_LOOKUP_10MS] = 3;
	c[STAT_LOOKUP_100MS] = 4;
	c[STAT_LOOKUP_1S] = 5;
	reset();
	stats_metrics(collect, NULL, c, &g);
	CHECK(has_line("# TYPE popd_logins_total counter"), "logins type");
	CHECK(has_line("popd_logins_total{result=\"ok\"} 4"), "logins ok");
	CHECK(has_line("popd_logins_total{result=\"auth\"} 2"), "logins auth");
	CHECK(has_line("popd_retrieved_bytes_total 5000"), "bytes");
	CHECK(has_line("popd_deliveries_total{via=\"mda\",result=\"temp\"} 1"),
	    "mda deferred");
	CHECK(has_line("# TYPE popd_lookup_duration_seconds histogram"),
	    "histogram type");
	CHECK(has_line("popd_lookup_duration_seconds_bucket{le=\"0.01\"} 3"),
	    "bucket 0.01");
	CHECK(has_line("popd_lookup_duration_seconds_bucket{le=\"+Inf\"} 6"),
	    "bucket +Inf");
	CHECK(has_line("popd_lookup_duration_seconds_sum 1.234567"), "sum");
	CHECK(has_line("popd_lookup_duration_seconds_count 6"), "count");
	CHECK(has_line("popd_sessions{state=\"update\"} 3"), "update gauge");
	CHECK(has_line("popd_quota_users_over 4"), "users over quota");
	CHECK(has_line("popd_store_stuck 7"), "sessions stuck in the store");
	CHECK(has_line("popd_start_time_seconds 1700000000"), "start");
	CHECK(has_line("popd_reload_time_seconds 1700000100"), "reload");
	CHECK(has_line("popd_build_info{version=\"" POPD_VERSION "\"} 1"),
	    "the version");
	/* One HELP and one TYPE per family. */
	for (n = 0, p = out_buf; (p = strstr(p, "# TYPE popd_logins_total "))
	    != NULL; p++)
		n++;
	CHECK_INT(n, 1);
	for (n = 0, p = out_buf; (p = strstr(p, "# HELP ")) != NULL; p++)
		n++;
	CHECK_INT(n, 19);
	/* Nothing but HELP, TYPE and samples. */
	CHECK(strstr(out_buf, "\n\n") == NULL && out_buf[0] == '#',
	    "blank lines or a bad start");	/* No authtab read: no gauge of its hashes. */
	CHECK(strstr(out_buf, "popd_users_by_hash") == NULL, "no kinds");
	CHECK(strstr(out_buf, "popd_users_no_login") == NULL, "no no-login");
	/* No certificate: no family. */
	CHECK(strstr(out_buf, "popd_tls_certificate") == NULL &&
	    strstr(out_buf, "popd_tls_renewal") == NULL, "no certs");

	/* Seconds left, negative once expired; the name escaped. */
	g.certs = certs;
	g.ncerts = nitems(certs);
	reset();
	stats_metrics(collect, NULL, c, &g);
	CHECK(has_line("# TYPE popd_tls_certificate_expiry_seconds gauge"),
	    "certificate type");
	CHECK(has_line("popd_tls_certificate_expiry_seconds{name="
	    "\"default\"} 86400"), "a day left");
	CHECK(has_line("popd_tls_certificate_expiry_seconds{name="
	    "\"old \\\"one\\\"\\\\\"} -1"), "expired, escaped");
	/* When a renewal was refused, 0 for none. */
	CHECK(has_line("# TYPE popd_tls_renewal_refused_time_seconds gauge"),
	    "refusal type");
	CHECK(has_line("popd_tls_renewal_refused_time_seconds{name="
	    "\"default\"} 0"), "none refused");
	CHECK(has_line("popd_tls_renewal_refused_time_seconds{name="
	    "\"old \\\"one\\\"\\\\\"} 1699990000"), "refused, escaped");
	g.certs = NULL;
	g.ncerts = 0;

	/* One line per kind, in the order first seen, weak ones marked. */
	memset(&k, 0, sizeof(k));
	stats_kind_add(&k, "bcrypt", 0);
	stats_kind_add(&k, "SHA", 1);
	stats_kind_add(&k, "bcrypt", 0);
	g.kinds = &k;
	reset();
	stats_metrics(collect, NULL, c, &g);
	CHECK(has_line("# TYPE popd_users_by_hash gauge"), "kinds type");
	CHECK(has_line("popd_users_by_hash{kind=\"bcrypt\",weak=\"no\"} 2"),
	    "bcrypt");
	CHECK(has_line("popd_users_by_hash{kind=\"SHA\",weak=\"yes\"} 1"),
	    "SHA");
	for (n = 0, p = out_buf; (p = strstr(p, "popd_users_by_hash{")) !=
	    NULL; p++)
		n++;
	CHECK_INT(n, 2);
	/* Issue 69: the users who cannot log in, with the kinds. */
	CHECK(has_line("# TYPE popd_users_no_login gauge"), "no-login type");
	CHECK(has_line("popd_users_no_login 2"), "no-login users");
}

static void
sessions(void)
{
	struct stats_session	s;

	reset();
	stats_session_line(collect, NULL, NULL);
	CHECK_STR(out_buf, "USER             ADDRESS                  "
	    "LISTENER               STATE         SINCE                  "
	    "RETR       OCTETS   DELE\n");

	memset(&s, 0, sizeof(s));
	s.peer.af = AF_INET6;
	s.peer.port = 40001;
	s.peer.a[0] = 0x20;
	s.peer.a[1] = 0x01;
	s.peer.a[2] = 0x0d;
	s.peer.a[3] = 0xb8;
	s.peer.a[15] = 7;
	s.listener = "127.0.0.1:995";
	s.state = "handshake";
	s.since = 1700000000;
	reset();
	stats_session_line(collect, NULL, &s);
	CHECK_STR(out_buf, "-                [2001:db8::7]:40001      "
	    "127.0.0.1:995          handshake     2023-11-14T22:13:20Z      "
	    "-            -      -\n");

	memset(&s, 0, sizeof(s));
	s.user = "alice";
	s.peer.af = AF_INET;
	s.peer.port = 5678;
	memcpy(s.peer.a, "\x01\x02\x03\x04", 4);
	s.state = "transaction";
	s.counted = 1;
	s.retr = 3;
	s.octets = 123456;
	s.marked = 2;
	reset();
	stats_session_line(collect, NULL, &s);
	CHECK_STR(out_buf, "alice            1.2.3.4:5678             "
	    "-                      transaction   -                         "
	    "3       123456      2\n");
}

static void
penalties(void)
{
	struct stats_penalty	p;

	reset();
	stats_penalty_line(collect, NULL, NULL);
	CHECK_STR(out_buf, "ADDRESS                      USER             "
	    "FAILURES  DELAY QUEUED\n");
	memset(&p, 0, sizeof(p));
	p.key.af = AF_INET6;
	p.key.a[0] = 0x20;
	p.key.a[1] = 0x01;
	p.v4bits = 32;
	p.v6bits = 64;
	p.fails = 5;
	p.delay = 16;
	p.queued = 3;
	reset();
	stats_penalty_line(collect, NULL, &p);
	CHECK_STR(out_buf, "2001::/64                    -                "
	    "       5     16      3\n");
	p.key.af = AF_INET;
	memcpy(p.key.a, "\xc0\x00\x02\x07", 4);
	memset(p.key.a + 4, 0, 12);
	p.user = "alice";
	p.fails = 2;
	reset();
	stats_penalty_line(collect, NULL, &p);
	CHECK_STR(out_buf, "192.0.2.7                    alice            "
	    "       2      -      -\n");
}

static void
times(void)
{
	char	buf[32];

	CHECK_STR(stats_time(0, buf, sizeof(buf)), "-");
	CHECK_STR(stats_time(-5, buf, sizeof(buf)), "-");
	CHECK_STR(stats_time(1700000000, buf, sizeof(buf)),
	    "2023-11-14T22:13:20Z");
	/* Beyond what gmtime can say: "-", not garbage. */
	CHECK_STR(stats_time(0x7fffffffffffffffLL, buf, sizeof(buf)), "-");
}

int
main(void)
{
	log_init(1, LOG_MAIL);
	log_procinit("test_stats");
	shared_page();
#ifdef __linux__
	sealed();
#endif
	clamped();
	lookup_time();
	show_stats();
	metrics();
	sessions();
	penalties();
	times();
	return unit_done();
}
