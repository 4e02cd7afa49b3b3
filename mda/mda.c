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
 * OpenSMTPD's "mda" action (see mda(8)), by deliver.c's steps.
 *
 * Exit 0 means the message is safely in new/; anything that may work
 * later exits EX_TEMPFAIL so that the MTA retries, and leaves nothing
 * in new/ or tmp/.  A POP3 session never makes mda wait: the only lock
 * is popcache.lock, tried for a bounded time, and without it only the
 * popcache record is skipped.
 *
 * For popd's counters (popctl show stats) mda connects to popd's control
 * socket before its confinement and, as it exits, whatever the path,
 * writes one line (report).  Without popd there, or with popd slow,
 * nothing waits and nothing fails.
 *
 * Quotas: the limit is -q's, else the one maildirsize's first line
 * states (Maildir++: set by whoever keeps the user's limit, popd's
 * LMTP deliveries or Dovecot).  A message that does not fit is
 * removed from tmp/ and refused with EX_NOPERM, which OpenSMTPD turns
 * into a bounce with mda's last line of output as its text (smtpd's
 * mda.c: every status but EX_TEMPFAIL and EX_OSERR is permanent);
 * with -t, EX_TEMPFAIL: the mail waits in the queue.  One that fits is
 * counted in maildirsize once it is in new/.  Concurrent mdas each
 * check before they count: together they overshoot the limit by at
 * most one message per mda running at once for that maildir.
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

/* popd.conf's default control socket (popd.conf(5): control socket). */
#define MDA_CTLSOCK	"/var/run/popd.sock"

/* The one delivery: the signal handler undoes what it has begun. */
static struct delivery	dlv;
static int		ctlfd = -1;	/* popd's control socket */
static int		overquota;	/* refused for the quota */

/* A bounce (EX_USAGE), neither delivered nor deferred: no report. */
static void
report_none(void)
{
	if (ctlfd != -1)
		(void)close(ctlfd);
	ctlfd = -1;
}

/*
 * At exit, on every path (exit, err, fatal, the signal handler): what
 * became of the message.  Async-signal-safe; never waits.
 */
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

/* A step failed: say which (errno kept), ask for a retry. */
__dead static void
fail(void)
{
	err(EX_TEMPFAIL, "%s", dlv.errmsg);
}

/* Undo a delivery that did not finish: called by exit(). */
static void
cleanup(void)
{
	deliver_cleanup(&dlv);
}

/*
 * SIGTERM, or SIGALRM from the MTA's delivery timeout: clean up and
 * ask for a retry.  Only async-signal-safe calls here.
 */
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

/*
 * Connect to popd's control socket, if it is there and takes us at once;
 * the line goes at exit (report).  Anything else: no report.
 */
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

/*
 * The options and the maildir's home: the argument, or HOME as
 * OpenSMTPD sets it to the userbase directory.  Sets *subdir (-e), and
 * connects to the control socket (-s) first thing after the options.
 */
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

/*
 * Create the maildir where it is missing and open it, tmp/ and new/;
 * dlv.maildir is its real path (the sandbox wants it).
 */
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

/* The cleanup runs on exit() and on the signals that end a delivery. */
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
	/* Held while a name is taken: see deliver_spool. */
	sigemptyset(&dlv.blocksigs);
	for (i = 0; i < nitems(sigs); i++)
		(void)sigaddset(&dlv.blocksigs, sigs[i]);
	sa.sa_mask = dlv.blocksigs;
	for (i = 0; i < nitems(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			err(EX_TEMPFAIL, "sigaction");
	/* A write error is an error, not a signal. */
	(void)signal(SIGPIPE, SIG_IGN);
}

/*
 * The message is in tmp/, its size known: refused if it does not fit
 * (tmp/ is cleaned at exit), with one line that ends in the bounce.
 */
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
	/* Without -q: maildirsize's own limit, read before confinement. */
	if (!haslim && quota_file_limit(dlv.dirfd, &lim) == -1)
		warn("%s/%s: its limit cannot be read: none applied",
		    dlv.maildir, QUOTA_FILE);
	mda_signals();

	/* From here on, the maildir is all mda needs to see. */
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
