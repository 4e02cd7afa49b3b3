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
 * mda -- deliver one message from standard input into a maildir, for
 * OpenSMTPD's "mda" action (mda(8)).  Exit 0 means it is safely in new/;
 * whatever may work later is EX_TEMPFAIL and leaves nothing behind.  Over
 * quota is EX_NOPERM, which smtpd bounces (all but EX_TEMPFAIL and
 * EX_OSERR are permanent), or EX_TEMPFAIL with -t.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "deliver.h"
#include "maildir.h"
#include "quota.h"
#include "sandbox.h"
#include "version.h"

#define MDA_CTLSOCK	"/var/run/popd.sock"

static struct delivery	dlv;
static int		ctlfd = -1;	/* popd's control socket */
static int		overquota;	/* refused for the quota */

static void
report_none(void)
{
	if (ctlfd != -1)
		(void)close(ctlfd);
	ctlfd = -1;
}

/* On every exit path; async-signal-safe, never waits. */
static void
report(void)
{
	static const char	ok[] = "report mda delivered\n";
	static const char	temp[] = "report mda deferred\n";
	static const char	quota[] = "report mda quota\n";
	const char		*line = dlv.delivered ? ok : overquota ?
				    quota : temp;

	if (ctlfd == -1)
		return;
	/* Never waited for: a report lost is a count missed. */
	if (write(ctlfd, line, strlen(line)) == -1) {
	}
	report_none();
}

__dead static void
usage(void)
{
	report_none();
	fprintf(stderr, "usage: mda [-tV] [-e subdir] [-q quota] [-s socket] "
	    "[maildir]\n");
	exit(EX_USAGE);
}

__dead static void
fail(void)
{
	err(EX_TEMPFAIL, "%s", dlv.errmsg);
}

static void
cleanup(void)
{
	deliver_cleanup(&dlv);
}

static void
on_signal(int sig)
{
	static const char	msg[] = "mda: killed by a signal, "
				    "delivery abandoned\n";

		/* Safely in new/ already: a retry would deliver it twice. */
	if (dlv.delivered) {
		report();
		_exit(0);
	}
	deliver_cleanup(&dlv);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) == -1) {
		/* the exit status says it */
	}
	report();
	_exit(EX_TEMPFAIL);
}

static void
report_open(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		return;
	/* popd gone meanwhile: an EPIPE to ignore, not a signal. */
	(void)signal(SIGPIPE, SIG_IGN);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    atexit(report) != 0) {
		close(fd);
		return;
	}
	ctlfd = fd;
}

/* HOME, as OpenSMTPD sets it to the userbase directory. */
static const char *
parse_args(int argc, char *argv[], const char **subdir,
    struct quota_limit *lim, int *haslim, int *temp)
{
	const char	*home, *sock = MDA_CTLSOCK;
	char		 why[128];
	int		 ch;

	*subdir = NULL;
	*haslim = *temp = 0;
	memset(lim, 0, sizeof(*lim));
	while ((ch = getopt(argc, argv, "e:q:s:tV")) != -1) {
		switch (ch) {
		case 'q':
			if (quota_spec_parse(optarg, lim, why,
			    sizeof(why)) == -1) {
				warnx("-q %s", why);
				usage();
			}
			*haslim = 1;
			break;
		case 't':
			*temp = 1;
			break;
		case 'V':
			printf("mda (popd) %s\n", POPD_VERSION);
			exit(0);
		case 'e':
			*subdir = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		default:
			usage();
		}
	}
	report_open(sock);
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();
	if (*subdir != NULL && !settings_subdir_ok(*subdir)) {
		warnx("-e %s: must be a relative path without \"..\"",
		    *subdir);
		usage();
	}
	if (argc == 1) {
		home = argv[0];
		if (home[0] == '\0')
			usage();
	} else {
		home = getenv("HOME");
		if (home == NULL || home[0] != '/')
			errx(EX_TEMPFAIL, "HOME is not set to an absolute "
			    "path and no maildir was given");
	}
	return home;
}

static void
mda_open(const char *home, const char *subdir)
{
	char	path[PATH_MAX];

	if (settings_maildir(path, sizeof(path), home, subdir) == -1) {
		report_none();
		errx(EX_USAGE, "%s: maildir path too long", home);
	}
	if (deliver_open(&dlv, path) == -1)
		fail();
}

static void
mda_signals(void)
{
	static const int	sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGALRM };
	struct sigaction	sa;
	size_t			i;

	if (atexit(cleanup) != 0)
		errx(EX_TEMPFAIL, "atexit failed");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&dlv.blocksigs);
	for (i = 0; i < nitems(sigs); i++)
		(void)sigaddset(&dlv.blocksigs, sigs[i]);
	sa.sa_mask = dlv.blocksigs;
	for (i = 0; i < nitems(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			err(EX_TEMPFAIL, "sigaction");
	(void)signal(SIGPIPE, SIG_IGN);
}

static void
quota_check(const struct quota_limit *lim, int temp)
{
	struct quota_use	use;
	int			fits;

	if ((fits = deliver_fits(&dlv, lim, &use)) == -1)
		fail();
	if (fits)
		return;
	overquota = 1;
	fflush(stderr);
	if (lim->msgs != 0 && (uint64_t)use.msgs >= lim->msgs)
		fprintf(stderr, "mda: %s mailbox full: %lld messages, the "
		    "quota of %s is %llu\n", temp ? "4.2.2" : "5.2.2",
		    (long long)use.msgs, dlv.maildir,
		    (unsigned long long)lim->msgs);
	else
		fprintf(stderr, "mda: %s mailbox full: the message (%lld "
		    "bytes) would exceed the quota of %s (%lld of %llu bytes "
		    "used)\n", temp ? "4.2.2" : "5.2.2", (long long)dlv.size,
		    dlv.maildir, (long long)use.bytes,
		    (unsigned long long)lim->bytes);
	exit(temp ? EX_TEMPFAIL : EX_NOPERM);
}

int
main(int argc, char *argv[])
{
	struct quota_limit	 lim;
	const char		*home, *subdir;
	int			 haslim, temp;

	log_init(1, LOG_MAIL);		/* shared code logs to stderr */
	log_procinit("mda");
	/* A fatal() in shared code (the sandbox) is no bounce either. */
	log_setfatalstatus(EX_TEMPFAIL);
	(void)umask(077);
	deliver_init(&dlv, warn);

	home = parse_args(argc, argv, &subdir, &lim, &haslim, &temp);
	mda_open(home, subdir);
	if (!haslim && quota_file_limit(dlv.dirfd, &lim) == -1)
		warn("%s/%s: its limit cannot be read: none applied",
		    dlv.maildir, QUOTA_FILE);
	mda_signals();

	sandbox_mda(dlv.maildir);

	if (deliver_spool(&dlv, STDIN_FILENO, 0) == -1)
		fail();
	quota_check(&lim, temp);
	if (deliver_commit(&dlv) == -1)
		fail();
	deliver_record(&dlv);
	deliver_account(&dlv, &lim);
	return 0;
}
