/*
 * mda -- deliver one message from standard input into a maildir, for
 * OpenSMTPD's "mda" action (see mda(8)).
 *
 * The message is written to tmp/, made durable, then linked into new/
 * under a name no other file has: link(2) never replaces, so a clash
 * only costs a new name.  Exit 0 means the message is safely in new/;
 * anything that may work later exits EX_TEMPFAIL so that the MTA
 * retries, and leaves nothing in new/ or tmp/.  A POP3 session never
 * makes mda wait: the only lock is popcache.lock, tried for a bounded
 * time, and without it only the popcache record is skipped.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "maildir.h"
#include "crlf.h"
#include "popcache.h"
#include "sandbox.h"

#define MDA_BUFSZ	65536
#define MDA_TRIES	100	/* names tried before giving up */
#define MDA_HOSTMAX	64

static char			 maildir[PATH_MAX];
static int			 tmpdirfd = -1, newdirfd = -1;
/* What the cleanup must undo; set before the step that creates it. */
static char			 tmpname[NAME_MAX + 1];
static char			 newname[NAME_MAX + 1];
static volatile sig_atomic_t	 have_tmp, have_new, delivered;
static sigset_t			 blocksigs;	/* held while naming */

__dead static void	usage(void);
static void		cleanup(void);
static void		on_signal(int);
static void		hostpart(char *, size_t);
static void		uniqname(char *, size_t, const char *, off_t, off_t,
			    int);
static const char	*parse_args(int, char *[], const char **);
static int		mda_open(const char *, const char *);
static void		mda_signals(void);
static void		spool(const char *, off_t *, off_t *);
static void		commit(const char *, off_t, off_t);
static void		record(int, off_t);

__dead static void
usage(void)
{
	fprintf(stderr, "usage: mda [-e subdir] [maildir]\n");
	exit(EX_USAGE);
}

/* Undo a delivery that did not finish: called by exit() and signals. */
static void
cleanup(void)
{
	int	saved = errno;

	if (have_new && newdirfd != -1)
		(void)unlinkat(newdirfd, newname, 0);
	if (have_tmp && tmpdirfd != -1)
		(void)unlinkat(tmpdirfd, tmpname, 0);
	have_new = have_tmp = 0;
	errno = saved;
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
	if (delivered)
		_exit(0);
	cleanup();
	(void)write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(EX_TEMPFAIL);
}

/*
 * The host name for unique names: letters, digits, '-' and '.' only
 * (',' ':' and '/' mean something in maildir names).
 */
static void
hostpart(char *out, size_t outlen)
{
	char	host[256];
	size_t	i;

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		(void)strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0' && i + 1 < outlen; i++) {
		unsigned char c = host[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.')
			out[i] = c;
		else
			out[i] = '_';
	}
	out[i] = '\0';
}

/*
 * "<sec>.M<usec>P<pid>R<random>.<host>[,S=<size>,W=<octets>]": time,
 * pid and 32 random bits make it unique, and the host part is cut so
 * that the whole name (there is no ":2," info in new/) is at most
 * UIDL_MAX characters: its own UIDL.  size < 0: no ",S=,W=" (tmp/).
 */
static void
uniqname(char *out, size_t outlen, const char *host, off_t size,
    off_t octets, int full)
{
	struct timeval	 tv;
	char		 pre[64], suf[64];
	long		 room;

	(void)gettimeofday(&tv, NULL);
	(void)snprintf(pre, sizeof(pre), "%lld.M%06ldP%ldR%08x",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
	    arc4random());
	suf[0] = '\0';
	if (size >= 0)
		(void)snprintf(suf, sizeof(suf), ",S=%lld,W=%lld",
		    (long long)size, (long long)octets);
	room = UIDL_MAX - (long)strlen(pre) - (long)strlen(suf);
	if (full)
		room = MDA_HOSTMAX;
	/* ".x" at least, or no host at all. */
	if (room >= 2 && host[0] != '\0')
		(void)snprintf(out, outlen, "%s.%.*s%s", pre, (int)(room - 1),
		    host, suf);
	else
		(void)snprintf(out, outlen, "%s%s", pre, suf);
}

/*
 * The options and the maildir's home: the argument, or HOME as
 * OpenSMTPD sets it to the userbase directory.  Sets *subdir (-e).
 */
static const char *
parse_args(int argc, char *argv[], const char **subdir)
{
	const char	*home;
	int		 ch;

	*subdir = NULL;
	while ((ch = getopt(argc, argv, "e:")) != -1) {
		switch (ch) {
		case 'e':
			*subdir = optarg;
			break;
		default:
			usage();
		}
	}
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
 * Create the maildir where it is missing, set maildir to its real path
 * (the sandbox wants it) and open it, tmp/ and new/.  Returns the fd of
 * the maildir.
 */
static int
mda_open(const char *home, const char *subdir)
{
	char	real[PATH_MAX];
	int	dirfd;

	if (settings_maildir(maildir, sizeof(maildir), home, subdir) == -1)
		errx(EX_USAGE, "%s: maildir path too long", home);
	if (maildir_create(maildir) == -1)
		err(EX_TEMPFAIL, "%s: cannot create the maildir", maildir);
	if (realpath(maildir, real) == NULL)
		err(EX_TEMPFAIL, "%s", maildir);
	(void)strlcpy(maildir, real, sizeof(maildir));
	if ((dirfd = open(maildir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(EX_TEMPFAIL, "%s", maildir);
	if ((tmpdirfd = openat(dirfd, "tmp", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		err(EX_TEMPFAIL, "%s/tmp", maildir);
	if ((newdirfd = openat(dirfd, "new", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		err(EX_TEMPFAIL, "%s/new", maildir);
	return dirfd;
}

/* The cleanup runs on exit() and on the signals that end a delivery. */
static void
mda_signals(void)
{
	struct sigaction	sa;

	if (atexit(cleanup) != 0)
		errx(EX_TEMPFAIL, "atexit failed");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&blocksigs);
	(void)sigaddset(&blocksigs, SIGTERM);
	(void)sigaddset(&blocksigs, SIGINT);
	(void)sigaddset(&blocksigs, SIGHUP);
	(void)sigaddset(&blocksigs, SIGALRM);
	sa.sa_mask = blocksigs;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGALRM, &sa, NULL) == -1)
		err(EX_TEMPFAIL, "sigaction");
	/* A write error is an error, not a signal. */
	(void)signal(SIGPIPE, SIG_IGN);
}

/*
 * Step 1: the message from stdin into tmp/, made durable, sized on the
 * way: *size bytes, *octets as RFC 1939 counts them.
 */
static void
spool(const char *host, off_t *size, off_t *octets)
{
	sigset_t	 osigs;
	struct crlf	 st;
	FILE		*fp;
	char		*buf;
	size_t		 n;
	int		 fd, i, saved;

	/*
	 * Signals wait while a name is being taken: the cleanup must
	 * remove our file, never one that had the name already.
	 */
	for (i = 0;; i++) {
		uniqname(tmpname, sizeof(tmpname), host, -1, 0, 1);
		(void)sigprocmask(SIG_BLOCK, &blocksigs, &osigs);
		fd = openat(tmpdirfd, tmpname, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, 0600);
		have_tmp = fd != -1;
		saved = errno;
		(void)sigprocmask(SIG_SETMASK, &osigs, NULL);
		if (fd != -1)
			break;
		errno = saved;
		if (errno != EEXIST || i >= MDA_TRIES)
			err(EX_TEMPFAIL, "%s/tmp/%s", maildir, tmpname);
	}
	if ((fp = fdopen(fd, "w")) == NULL)
		err(EX_TEMPFAIL, "fdopen");
	if ((buf = malloc(MDA_BUFSZ)) == NULL)
		err(EX_TEMPFAIL, "malloc");
	*size = *octets = 0;
	crlf_init(&st, -1);
	while ((n = fread(buf, 1, MDA_BUFSZ, stdin)) > 0) {
		*size += n;
		*octets += crlf_count(&st, buf, n);
		if (fwrite(buf, 1, n, fp) != n)
			err(EX_TEMPFAIL, "%s/tmp/%s: write", maildir, tmpname);
	}
	if (ferror(stdin))
		err(EX_TEMPFAIL, "reading the message");
	*octets += crlf_count_finish(&st);
	free(buf);
	/* Each of these can be the first to report a full disk. */
	if (fflush(fp) == EOF)
		err(EX_TEMPFAIL, "%s/tmp/%s: write", maildir, tmpname);
	if (ferror(fp))
		errx(EX_TEMPFAIL, "%s/tmp/%s: write error", maildir, tmpname);
	if (fsync(fileno(fp)) == -1)
		err(EX_TEMPFAIL, "%s/tmp/%s: fsync", maildir, tmpname);
	if (fclose(fp) == EOF)
		err(EX_TEMPFAIL, "%s/tmp/%s: close", maildir, tmpname);
}

/*
 * Step 2: into new/ under a name nobody has (link never replaces),
 * made durable; from then on the delivery is never undone.
 */
static void
commit(const char *host, off_t size, off_t octets)
{
	sigset_t	osigs;
	int		i, r, saved;

	for (i = 0;; i++) {
		uniqname(newname, sizeof(newname), host, size, octets, 0);
		(void)sigprocmask(SIG_BLOCK, &blocksigs, &osigs);
		r = linkat(tmpdirfd, tmpname, newdirfd, newname, 0);
		have_new = r == 0;
		saved = errno;
		(void)sigprocmask(SIG_SETMASK, &osigs, NULL);
		if (r == 0)
			break;
		errno = saved;
		if (errno != EEXIST || i >= MDA_TRIES)
			err(EX_TEMPFAIL, "%s/new/%s", maildir, newname);
	}
	if (fsync(newdirfd) == -1)
		err(EX_TEMPFAIL, "%s/new: fsync", maildir);
	delivered = 1;			/* never undo from here */
	have_new = 0;
	if (unlinkat(tmpdirfd, tmpname, 0) == -1)
		warn("%s/tmp/%s: unlink", maildir, tmpname);
	have_tmp = 0;
}

/* Step 3: the popcache record, a hint, skipped if the lock is busy. */
static void
record(int dirfd, off_t octets)
{
	char	rel[NAME_MAX + 8], uidl[UIDL_MAX + 1];

	(void)snprintf(rel, sizeof(rel), "new/%s", newname);
	if (maildir_uidl(rel, uidl, sizeof(uidl)) == -1)
		warn("%s: uidl", rel);
	else if (popcache_append(dirfd, rel, uidl, octets) == -1)
		warn("%s/popcache: record for %s skipped", maildir, newname);
}

int
main(int argc, char *argv[])
{
	const char	*home, *subdir;
	char		 host[MDA_HOSTMAX + 1];
	off_t		 size, octets;
	int		 dirfd;

	log_init(1, LOG_MAIL);		/* shared code logs to stderr */
	log_procinit("mda");
	/* A fatal() in shared code (the sandbox) is no bounce either. */
	log_setfatalstatus(EX_TEMPFAIL);
	(void)umask(077);

	home = parse_args(argc, argv, &subdir);
	dirfd = mda_open(home, subdir);
	hostpart(host, sizeof(host));
	mda_signals();

	/* From here on, the maildir is all mda needs to see. */
	sandbox_mda(maildir);

	spool(host, &size, &octets);
	commit(host, size, octets);
	record(dirfd, octets);
	return 0;
}
