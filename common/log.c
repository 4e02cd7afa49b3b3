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
 * syslog or stderr logging, bgpd style.  A child of a daemonized popd
 * cannot reconnect to syslog once chrooted, so its stderr is a datagram
 * socket to the parent, which passes each line on to syslog.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_TO_SYSLOG	0
#define LOG_TO_STDERR	1
#define LOG_TO_RELAY	2

static int		 debug;
static int		 verbose;
static int		 fatal_status = 1;
static const char	*procname = "popd";
static char		*capture;	/* log_capture's */
static size_t		 capturelen;
/* A line costs no getpid(2) (glibc caches none). */
static pid_t		 logpid;

/* One write(2) per line keeps the lines of several processes whole. */
static void
log_stderr(const char *msg)
{
	char	line[1200];
	int	n;

	/* No name: a command's own message ("popd.conf:3: ..."). */
	if (procname[0] == '\0')
		n = snprintf(line, sizeof(line), "%s\n", msg);
	else
		n = snprintf(line, sizeof(line), "%s[%d]: %s\n", procname,
		    (int)logpid, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (write(STDERR_FILENO, line, n) == -1) {
		/* nowhere else to say it */
	}
}

static void
log_relay(int pri, const char *msg)
{
	char	line[LOG_RELAY_MAX];
	int	n;

	n = snprintf(line, sizeof(line), "<%d>%d %s", pri, (int)logpid, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	(void)send(STDERR_FILENO, line, n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void
log_init(int n_debug, int facility)
{
	int		type;
	socklen_t	len = sizeof(type);

	tzset();
	logpid = getpid();
	if (n_debug)
		debug = LOG_TO_STDERR;
	else if (getsockopt(STDERR_FILENO, SOL_SOCKET, SO_TYPE, &type,
	    &len) == 0 && type == SOCK_DGRAM)
		debug = LOG_TO_RELAY;
	else {
		debug = LOG_TO_SYSLOG;
		openlog(getprogname(), LOG_PID | LOG_NDELAY, facility);
	}
}

void
log_procinit(const char *name)
{
	if (name != NULL)
		procname = name;
}

void
log_setverbose(int v)
{
	verbose = v;
}

int
log_getverbose(void)
{
	return verbose;
}

/* mda sets EX_TEMPFAIL: a failure not the message's must not bounce it. */
void
log_setfatalstatus(int status)
{
	fatal_status = status;
}

/* The reason a popctl reload gives.  The event loop's thread only. */
void
log_capture(char *buf, size_t len)
{
	capture = buf;
	capturelen = len;
	if (buf != NULL && len > 0)
		buf[0] = '\0';
}

static void
vlog(int pri, const char *err, const char *fmt, va_list ap)
{
	char	buf[1100];
	int	saved_errno = errno;
	size_t	n;

	if (pri == LOG_DEBUG && verbose < 1)
		return;
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	if (err != NULL && (n = strlen(buf)) < sizeof(buf) - 1)
		(void)snprintf(buf + n, sizeof(buf) - n, ": %s", err);
	if (capture != NULL && capture[0] == '\0' && pri <= LOG_ERR)
		(void)strlcpy(capture, buf, capturelen);
	if (debug == LOG_TO_STDERR)
		log_stderr(buf);
	else if (debug == LOG_TO_RELAY)
		log_relay(pri, buf);
	else
		syslog(pri, "%s: %s", procname, buf);
	errno = saved_errno;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, strerror(errno), fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_rate(struct lograte *r, const char *fmt, ...)
{
	struct timespec	 ts;
	char		 msg[512];
	va_list		 ap;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec == r->last) {
		r->skipped++;
		return;
	}
	r->last = ts.tv_sec;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->skipped > 0)
		log_info("%s (and %u more like it)", msg, r->skipped);
	else
		log_info("%s", msg);
	r->skipped = 0;
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

__dead void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, strerror(errno), fmt, ap);
	va_end(ap);
	exit(fatal_status);
}

__dead void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(fatal_status);
}
