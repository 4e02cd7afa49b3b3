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
 * listener_proxied.c -- who may send a PROXY header, and each session's header
 * read before anything else.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "chan.h"
#include "log.h"
#include "addr.h"
#include "util.h"
#include "listener.h"
#include "listener_proxy.h"

static struct lograte	rate_notproxy, rate_badproxy;
static struct netaddr	proxies[POPD_MAXPROXY];
static struct netaddr	tproxies[POPD_MAXPROXY];
static size_t		nproxies, ntproxies;

void
listener_parent_conf_proxy(struct chan *c, const void *data, int fd)
{
	const struct msg_proxy	*m = data;

	if (nproxies == POPD_MAXPROXY)
		fatalx("more than %d proxies", POPD_MAXPROXY);
	proxies[nproxies++] = m->net;
	if (m->trusted)
		tproxies[ntproxies++] = m->net;
}

int
proxy_accept(struct session *s)
{
	if (!net_match(proxies, nproxies, &s->peer)) {
		log_rate(&rate_notproxy, "%s: refused: not a proxy, "
		    "on a proxy-protocol listener", s->addr);
		session_free(s);
		return -1;
	}
	s->proxytrust = net_match(tproxies, ntproxies, &s->peer);
	if ((s->ph = malloc(PROXY_MAX)) == NULL) {
		log_warn("%s: PROXY header", s->addr);
		session_free(s);
		return -1;
	}
	s->state = SESS_PROXY;
	session_timer(s, 1);
	return 0;
}

/*
 * Never a byte past its end: what follows is the client's.  A LOCAL header (a
 * health check) keeps the proxy's address.
 */
int
session_proxy(struct session *s)
{
	struct proxy_hdr	 h;
	unsigned char		*lf;
	const char		*errstr = NULL;
	size_t			 want;
	ssize_t			 n;
	int			 r, to_lf;

	while ((r = proxy_parse(s->ph, s->phlen, &h, &errstr)) == 0) {
		want = proxy_want(s->ph, s->phlen, &to_lf);
		n = recv(s->io.sock, s->ph + s->phlen, want,
		    to_lf ? MSG_PEEK : 0);
		if (n > 0 && to_lf) {
			if ((lf = memchr(s->ph + s->phlen, '\n', n)) != NULL)
				n = lf - (s->ph + s->phlen) + 1;
			n = recv(s->io.sock, s->ph + s->phlen, n, 0);
		}
		if (n > 0) {
			s->phlen += n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR)) {
			session_watch(s, s->io.sock, &s->sockev, &s->sockwant,
			    EV_READ);
			return -1;
		}
		log_rate(&rate_badproxy, "%s: closed before the end of its "
		    "PROXY header%s%s", s->addr, n == 0 ? "" : ": ",
		    n == 0 ? "" : strerror(errno));
		session_free(s);
		return -1;
	}
	if (r == -1) {
		log_rate(&rate_badproxy, "%s: bad PROXY header: %s", s->addr,
		    errstr);
		session_free(s);
		return -1;
	}
	if (!h.local) {
		s->peer = h.peer;
		(void)peer_str(&s->peer, s->addr, sizeof(s->addr));
	}
	log_debug("%s: PROXY header for %s", s->addr, h.local ? "the proxy "
	    "itself" : "its client");
	freezero(s->ph, PROXY_MAX);
	s->ph = NULL;
	session_timer(s, 0);
	return session_begin(s);
}
