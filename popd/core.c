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
 * core.c -- the core parent's answers where popd-full has LMTP's
 * recipients (recipients.c) and the health ports (health.c).  popd
 * execs popd-full, with its own arguments, before it binds anything
 * when popd.conf has an lmtp or health socket or a health probe
 * (options_missing, popd.c): both need a socket bound at start, so a
 * reload could not add them anyway, and one that adds a probe says it
 * takes a restart.  No lmtp process runs here, and msg.c refuses its
 * messages before any handler (common/protodecl.h OPTION).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <stdint.h>

#include "popd.h"
#include "parent.h"

#define NOT_BUILT	"this popd is built without LMTP (popd-full has it)"

const char	 popd_installed[] = SBINDIR "/popd";
static size_t	 stuck;		/* sessions in the mail store (login.c) */

/* sockets 0: a reload's, whose new sockets say so already (popd.c). */
const char *
options_missing(const struct popd_conf *c, int sockets)
{
	const struct conf_listen	*l;

	TAILQ_FOREACH(l, &c->listens, entry)
		if (sockets && l->flags & (CONF_LISTEN_LMTP |
		    CONF_LISTEN_HEALTH))
			return l->flags & CONF_LISTEN_LMTP ? "an lmtp socket" :
			    "a health port";
	return c->probe_user[0] != '\0' ? "a health probe" : NULL;
}

/* No health port: nothing to say, or to drain. */
void
health_send(struct chan *c)
{
}

void
health_sessions(size_t n)
{
}

void
health_drain(struct ctlans *a, int on)
{
	ctlans_end(a, NO_HEALTH_PORT);
}

void
health_stop(void)
{
}

void
health_stuck(int kind, size_t n)
{
	stuck = n;
}

void
health_stuck_users(char names[][POPD_MAXUSER + 1])
{
}

size_t
health_stuck_now(void)
{
	return stuck;
}

void
health_probe_start(void)
{
}

int
health_probe_exited(pid_t pid, int status)
{
	return 0;
}

void
parent_lmtp_rcpt(struct chan *c, const void *data, int fd)
{
	fatalx("%s", NOT_BUILT);
}

void
parent_lmtp_forget(struct chan *c, const void *data, int fd)
{
	fatalx("%s", NOT_BUILT);
}

void
parent_lmtp_dlvrpop(struct chan *c, const void *data, int fd)
{
	fatalx("%s", NOT_BUILT);
}

void
parent_lmtp_kill(struct chan *c, const void *data, int fd)
{
	fatalx("%s", NOT_BUILT);
}

void
recipients_lmtp_new(struct proc *p)
{
}

void
recipients_lmtp_gone(struct proc *p)
{
}

int
dlvrpops_exited(pid_t pid, int status)
{
	return 0;
}
