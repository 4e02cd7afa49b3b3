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
 * listener_core.c -- the core listener's answers where listener-full
 * reads PROXY headers (listener_proxied.c) and HTTP health requests
 * (listener_health.c).  The parent runs listener-full whenever
 * popd.conf has a proxy statement or a proxy-protocol or health http
 * socket is bound (popd/supervise.c prog_path), so this
 * one takes no proxy: msg.c refuses MSG_PARENT_CONF_PROXY before any
 * handler (common/protodecl.h OPTION).  A connection to a
 * proxy-protocol socket, which it is never given, is refused as one
 * from no proxy: a stranger's connection never ends the process.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <unistd.h>

#include "proto.h"
#include "chan.h"
#include "log.h"
#include "listener.h"
#include "listener_health.h"

#define NOT_BUILT	"this listener is built without the PROXY protocol " \
			"(listener-full has it)"

void
listener_parent_conf_proxy(struct chan *c, const void *data, int fd)
{
	fatalx("%s", NOT_BUILT);
}

int
proxy_accept(struct session *s)
{
	log_warnx("%s: refused: a proxy-protocol listener: %s", s->addr,
	    NOT_BUILT);
	session_free(s);
	return -1;
}

int
session_proxy(struct session *s)
{
	fatalx("%s", NOT_BUILT);
}

/* Never given a health http socket: one would close unanswered. */
void
health_http_conn(int s)
{
	close(s);
}
