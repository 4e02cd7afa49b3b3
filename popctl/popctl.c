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
 * See and steer a running popd over its control socket (popctl(8)).  The
 * request is checked against popd's own table and sent in canonical form;
 * the answer's last line, "ok" or "error: why", is the exit status.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "control_cmd.h"
#include "pathnames.h"
#include "version.h"

#ifndef POPD_OPENBSD
#include <sys/prctl.h>
#include <seccomp.h>
#endif

#define ENDED	"popd closed the connection before the end of its answer"

__dead static void
usage(void)
{
	const char	*u;
	size_t		 i;

	fprintf(stderr, "usage: popctl [-V] [-s socket] command [argument ...]\n"
	    "commands:\n");
	for (i = 0; (u = ctlcmd_usage(i)) != NULL; i++)
		if (strncmp(u, "report ", 7) != 0)	/* mda's */
			fprintf(stderr, "\t%s\n", u);
	exit(1);
}

/* No file, no new socket, no exec, whatever the answer holds. */
static void
sandbox_popctl(void)
{
#ifdef POPD_OPENBSD
	int	r;

	r = unveil("/", "");
	if (r == 0)
		r = unveil(NULL, NULL);
	if (r == 0)
		r = pledge("stdio", NULL);
	if (r == -1)
		err(1, "confinement");
#else
	static const int	 allow[] = {
		SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(close),
		SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(brk),
		SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
		SCMP_SYS(rt_sigreturn), SCMP_SYS(exit), SCMP_SYS(exit_group),
	};
	scmp_filter_ctx		 ctx;
	size_t			 i;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		err(1, "no_new_privs");
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		errx(1, "seccomp_init");
	for (i = 0; i < nitems(allow); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0) < 0)
			errx(1, "seccomp_rule_add");
	if (seccomp_load(ctx) < 0)
		errx(1, "seccomp_load");
	seccomp_release(ctx);
#endif
}

static void
send_all(int fd, const char *s, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, s, len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				return;		/* its answer says why */
			err(1, "write");
		}
		s += n;
		len -= n;
	}
}

static void
ctl_out(const char *s, size_t len)
{
	if (len > 0 && fwrite(s, 1, len, stdout) != len)
		err(1, "stdout");
}

static int
finish(const char *s, size_t len)
{
	if (len > 0 && s[len - 1] == '\n' && memchr(s, '\n', len - 1) ==
	    NULL) {
		if (len == 3 && memcmp(s, "ok\n", 3) == 0) {
			if (fflush(stdout) == EOF || ferror(stdout))
				err(1, "stdout");
			return 0;
		}
		if (len > 7 && memcmp(s, "error: ", 7) == 0) {
			if (fflush(stdout) == EOF)
				err(1, "stdout");
			fprintf(stderr, "popctl: %.*s\n", (int)(len - 8),
			    s + 7);
			return 1;
		}
	}
	ctl_out(s, len);
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	fprintf(stderr, "popctl: %s\n", ENDED);
	return 1;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct msg_ctlreq	 req;
	const char		*sock = POPD_CTLSOCK;
	char			 line[CTL_LINEMAX], why[CTL_ERRMAX];
	char			*buf = NULL, *nbuf, *lf, *prev;
	size_t			 len = 0, cap = 0, n;
	ssize_t			 r;
	int			 ch, fd, i;

	while ((ch = getopt(argc, argv, "s:V")) != -1) {
		switch (ch) {
		case 'V':
			printf("popctl (popd) %s\n", POPD_VERSION);
			exit(0);
		case 's':
			sock = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();

	line[0] = '\0';
	for (i = 0; i < argc; i++)
		if ((i > 0 && strlcat(line, " ", sizeof(line)) >=
		    sizeof(line)) || strlcat(line, argv[i], sizeof(line)) >=
		    sizeof(line) - 1)
			errx(1, "request too long");
	if (ctlcmd_parse(line, strlen(line), &req, why, sizeof(why)) == -1) {
		warnx("%s", why);
		usage();
	}
	/* The words in full: the only form popd takes on its socket. */
	if (ctlcmd_line(&req, line, sizeof(line) - 1) == -1)
		errx(1, "request too long");
	(void)strlcat(line, "\n", sizeof(line));

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, sock, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "%s: path too long", sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		errx(1, "%s: %s: is popd running?", sock, strerror(errno));
	/* popd may answer before reading it all ("busy"): read that. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		err(1, "signal");
	sandbox_popctl();
	send_all(fd, line, strlen(line));

	/*
	 * Print every line but the last one seen: it may be the status.
	 * buf holds that line and what came after it.
	 */
	for (;;) {
		if (cap - len < 8192) {
			if ((nbuf = realloc(buf, cap + 65536)) == NULL)
				err(1, NULL);
			buf = nbuf;
			cap += 65536;
		}
		if ((r = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET)
				break;
			err(1, "%s", sock);
		}
		if (r == 0)
			break;
		len += r;
		if ((lf = memrchr(buf, '\n', len)) == NULL)
			continue;
		prev = lf > buf ? memrchr(buf, '\n', lf - buf) : NULL;
		if (prev == NULL)
			continue;
		n = prev + 1 - buf;
		ctl_out(buf, n);
		memmove(buf, buf + n, len - n);
		len -= n;
	}
	close(fd);
	return finish(buf, len);
}
