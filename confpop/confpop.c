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
 * popd -n and popd -m exec it: the configuration checked as popd checks
 * it, then printed back, or the migration report.  A one-shot tool: the
 * daemon holds none of this code.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "config.h"
#include "settings.h"
#include "sandbox.h"
#include "confpop.h"

/*
 * Run by the parent at start and at each reload: the image goes on fd 3
 * once 0 to 2 are closed.  The parent holds no parser of these files.
 */
static __dead void
for_parent(int argc, char *argv[])
{
	struct popd_args	 a;
	FILE			*fp;
	const char		*dir;
	int			 null;

	if ((null = open("/dev/null", O_WRONLY)) == -1)
		err(1, "/dev/null");
	dir = argv[2];
	argv[2] = argv[0];
	flags_parse(argc - 2, argv + 2, &a, "popd");
	if (flags_relative(&a) && chdir(dir) == -1)
		err(1, "%s, where popd started, for its relative paths", dir);
	log_setverbose(verbose);
	log_procinit("");
	sandbox_confpop();
	if ((conf = flags_conf(&a)) == NULL)
		exit(1);
	if (dup2(null, STDIN_FILENO) == -1 ||
	    dup2(null, STDOUT_FILENO) == -1 ||
	    dup2(null, STDERR_FILENO) == -1 ||
	    (fp = fdopen(3, "w")) == NULL || conf_image(fp, conf) == -1)
		exit(2);
	exit(0);
}

static void
certs_warn(const struct popd_conf *c)
{
	const struct conf_pki	*pki;
	time_t			 now = time(NULL);
	char			 date[32];

	TAILQ_FOREACH(pki, &c->pkis, entry)
		if (pki->served != NULL &&
		    pki->served->notafter - now < CERTS_WARN)
			(void)conf_error(c, &pki->cert_where, "warning: pki "
			    "%s: certificate %s %s %s", pki->name, pki->cert,
			    pki->served->notafter < now ? "expired on" :
			    "expires on", stats_time(pki->served->notafter,
			    date, sizeof(date)));
}

/*
 * A shared store's failover (a CephFS MDS takeover: 13 to 21 s) longer
 * than timeout store says degraded on every backend at once.
 */
#define STORE_FAILOVER	20
static void
store_warn(const struct popd_conf *c)
{
	if (c->probe_user[0] != '\0' && c->set.timeout.store < STORE_FAILOVER)
		(void)conf_error(c, &c->probe_where, "warning: timeout store "
		    "%ds is below the %d s a shared store's failover may take "
		    "(a CephFS MDS takeover): every backend would say degraded "
		    "at once", c->set.timeout.store, STORE_FAILOVER);
}

static int
authcheck(FILE *fp, const struct popd_conf *c, const struct users *u,
    const char *what, int flags)
{
	const char	*errstr;
	pid_t		 pid;
	int		 fd;

	fd = c->set.authsrc == TABSRC_SYSTEM ? u->authfd : -1;
	/* A FIFO or a device would hang or harm the root parent. */
	if ((c->set.authsrc == TABSRC_FILE ||
	    c->set.authsrc == TABSRC_PASSWD) &&
	    (fd = open_regular(c->set.authtab, &errstr)) == -1)
		log_warnx("%s: %s", c->set.authtab, errstr);
	if (fd == -1)
		return -1;
	fflush(fp);
	if ((pid = authtab_spawn(what, fd, flags | (c->set.authsrc ==
	    TABSRC_PASSWD ? TABLE_PASSWD : 0), -1, 0, fileno(fp), 2)) != -1)
		(void)child_wait(pid, monotime() + AUTHTAB_WAIT,
		    "authcheck");
	if (c->set.authsrc != TABSRC_SYSTEM)
		close(fd);
	return 0;
}

/* Without weak-hashes they cannot log in, and were named already. */
static void
users_weak(FILE *fp, const struct popd_conf *c, const struct users *u)
{
	const struct stats_kinds	*k = &u->kinds;
	uint64_t			 n = 0;
	size_t				 i;
	int				 first = 1;

	if (!c->set.weak_hashes || !u->kinds_read)
		return;
	for (i = 0; i < k->nkinds; i++)
		if (k->weak[i])
			n += k->n[i];
	if (n == 0)
		return;
	fprintf(fp, "authtab: %llu user%s log%s in with weak hashes (",
	    (unsigned long long)n, n == 1 ? "" : "s", n == 1 ? "s" : "");
	for (i = 0; i < k->nkinds; i++)
		if (k->weak[i]) {
			fprintf(fp, "%s%s %llu", first ? "" : ", ",
			    k->name[i], (unsigned long long)k->n[i]);
			first = 0;
		}
	/* The full path: bash's and zsh's popd is a builtin. */
	fprintf(fp, "): " SBINDIR "/popd -n -v names them\n");
}

static void
users_passwords(FILE *fp, const struct popd_conf *c, const struct users *u)
{
	if (c->set.authsrc == TABSRC_LOOKUP) {
		fprintf(fp, "passwords: authtab is a database table, whose "
		    "hashes popd reads only at each login: not counted\n");
		return;
	}
	if (authcheck(fp, c, u, "passwords", c->set.weak_hashes ?
	    TABLE_WEAK : 0) == -1) {
		fprintf(fp, "passwords: authtab not read: see below\n");
		fflush(fp);
	}
}

int
main(int argc, char *argv[])
{
	struct popd_args	 a;
	int			 badtab;

	compat_exe_keep(argv[0]);
	log_init(1, LOG_MAIL);
	if (argc > 2 && strcmp(argv[1], "-C") == 0)
		for_parent(argc, argv);
	flags_parse(argc, argv, &a, "confpop");
	if (!a.noaction && !a.report) {
		fprintf(stderr, "confpop: " SBINDIR "/popd -n and -m run it: "
		    "give -n or -m\n");
		popd_usage();
	}
	log_setverbose(verbose);
	log_procinit("");
	if ((conf = flags_conf(&a)) == NULL)
		exit(1);

	privsep = (geteuid() == 0);
	if (privsep)
		check_users();
	find_helpers(LIBEXECDIR "/confpop");
	badtab = users_load(conf, &users);
	/* Before the verdict: the users whose hashes refuse authtab. */
	if (a.report)
		users_passwords(stdout, conf, &users);
	if (conf_usable(conf, &users, badtab) != 0)
		exit(1);
	if (a.report)
		exit(migration_report());
	certs_warn(conf);
	store_warn(conf);
	if (verbose) {
		conf_print(stdout, conf);
		/* Comments, so that -nv's output still parses as popd.conf. */
		(void)authcheck(stdout, conf, &users, "kinds",
		    conf->set.authsrc == TABSRC_SYSTEM ? TABLE_SKIP : 0);
	} else
		users_weak(stdout, conf, &users);
	printf("configuration OK\n");
	exit(0);
}
