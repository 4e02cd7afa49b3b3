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
 * A health port's HTTP form, for probes that speak only HTTP.  At most
 * HEALTH_HTTP_CONNS read at once, one more ends the oldest: slow or huge
 * requests hold a bounded few kilobytes, and none for long.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "listener_health.h"

#define HEALTH_HTTP_WAIT	2
#define HEALTH_HTTP_CONNS	32

struct hconn {
	TAILQ_ENTRY(hconn)	 entry;
	struct event		 ev;
	struct timespec		 start;
	size_t			 len;
	char			 buf[HEALTH_HTTP_MAX];
};
static TAILQ_HEAD(, hconn)	 hconns = TAILQ_HEAD_INITIALIZER(hconns);
static size_t			 nhconns;

/* 1 GET, 2 HEAD, 0 not whole yet, -1 anything else; no path looked at. */
int
health_http_request(const char *buf, size_t len)
{
	const char	*p, *end = buf + len, *eol;
	int		 kind;

	if (len >= 4 && memcmp(buf, "GET ", 4) == 0)
		kind = 1, p = buf + 4;
	else if (len >= 5 && memcmp(buf, "HEAD ", 5) == 0)
		kind = 2, p = buf + 5;
	else
		return len < 5 && (memcmp(buf, "GET ", len < 4 ? len : 4) ==
		    0 || memcmp(buf, "HEAD ", len) == 0) ? 0 : -1;
	/* The request line: a target, " HTTP/1.", a digit, a line end. */
	for (; p < end && *p > ' ' && *p < 0x7f; p++)
		;
	if (p == end)
		return len < HEALTH_HTTP_MAX ? 0 : -1;
	if ((eol = memchr(p, '\n', end - p)) == NULL)
		return end - p < 16 ? 0 : -1;
	if (eol - p < 9 || eol - p > 10 || memcmp(p, " HTTP/1.", 8) != 0 ||
	    p[8] < '0' || p[8] > '9' || (eol - p == 10 && p[9] != '\r'))
		return -1;
	for (p = eol + 1; p < end; p = eol + 1) {
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			return kind;
		if ((eol = memchr(p, '\n', end - p)) == NULL)
			break;
	}
	return len < HEALTH_HTTP_MAX ? 0 : -1;
}

static void
hconn_end(struct hconn *h)
{
	event_del(&h->ev);
	close(EVENT_FD(&h->ev));
	TAILQ_REMOVE(&hconns, h, entry);
	nhconns--;
	free(h);
}

/* Readable, or out of time: read on, answer, or end. */
static void
hconn_read(int fd, short ev, void *arg)
{
	struct hconn	*h = arg;
	struct timespec	 now;
	struct timeval	 tv;
	char		 reply[256 + HEALTH_ANSWERMAX];
	ssize_t		 n;
	int		 kind, len;

	if (ev & EV_TIMEOUT) {
		hconn_end(h);
		return;
	}
	n = recv(fd, h->buf + h->len, sizeof(h->buf) - h->len, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		n = 0;
	else if (n <= 0) {
		hconn_end(h);
		return;
	}
	h->len += n;
	if ((kind = health_http_request(h->buf, h->len)) == 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		tv.tv_sec = h->start.tv_sec + HEALTH_HTTP_WAIT - now.tv_sec;
		tv.tv_usec = 0;
		if (tv.tv_sec <= 0) {
			hconn_end(h);
			return;
		}
		event_add(&h->ev, &tv);
		return;
	}
	if (kind == -1)
		len = snprintf(reply, sizeof(reply), "HTTP/1.1 400 Bad "
		    "Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	else
		len = snprintf(reply, sizeof(reply), "HTTP/1.1 %s\r\n"
		    "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n%s",
		    strncmp(health_line_now, "up ", 3) == 0 ? "200 OK" :
		    "503 Service Unavailable", strlen(health_line_now),
		    kind == 1 ? health_line_now : "");
	/* A fresh socket's buffer takes it whole: never wait. */
	if (len > 0 && (size_t)len < sizeof(reply))
		(void)send(fd, reply, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	hconn_end(h);
}

void
health_http_conn(int s)
{
	struct timeval	 tv = { HEALTH_HTTP_WAIT, 0 };
	struct hconn	*h;

	if (nhconns == HEALTH_HTTP_CONNS)
		hconn_end(TAILQ_FIRST(&hconns));
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		close(s);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &h->start);
	event_set(&h->ev, s, EV_READ, hconn_read, h);
	event_add(&h->ev, &tv);
	TAILQ_INSERT_TAIL(&hconns, h, entry);
	nhconns++;
}
