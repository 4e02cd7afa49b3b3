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
 * core.c -- the core authpop's answers where authpop-full has its
 * options (apps.c, nginx.c, loginticket.c): app passwords, nginx's
 * auth_http and a router's tickets.  The parent runs authpop-full
 * whenever popd.conf names one of them (popd/supervise.c prog_path),
 * so this one is never asked for them; what it answers is what
 * authpop-full answers with none configured.  A setting that names one
 * anyway ends it at load, and a message that needs one ends it or the
 * peer that sent it: never a login checked without an option the site
 * set (app passwords that bar the main password).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "log.h"
#include "proto.h"
#include "util.h"
#include "auth.h"

#define NOT_BUILT	"this authpop is built without app passwords, " \
			"auth_http and tickets (authpop-full has them)"

/* Configured (verify_load): no option may be. */
void
opts_load(void)
{
	if (set.app_key[0] != '\0' || set.apps_file[0] != '\0' ||
	    set.apps_table[0] != '\0' || set.ticket_key[0] != '\0')
		fatalx("%s", NOT_BUILT);
}

int
ticket_init(int fd, const char *path)
{
	fatalx("ticket key %s: %s", path, NOT_BUILT);
}

/* No password is a ticket here: each is checked against its hash. */
int
ticket_login(struct session *s, const char *pass)
{
	return 0;
}

void
apps_key(int fd)
{
	fatalx("app-passwords key: %s", NOT_BUILT);
}

void
apps_start(struct session *s)
{
	fatalx("app passwords: %s", NOT_BUILT);
}

void
verify_apps(struct session *s, int status, const char *joined)
{
	fatalx("app passwords: %s", NOT_BUILT);
}

/*
 * A reload's image of app passwords, for the sessions this (older)
 * authpop keeps: they go on with the settings they began with, which
 * have none (as authpop-full's with no app-passwords key).
 */
void
apps_image(int fd)
{
	close(fd);
}

void
apps_read(void)
{
}

void
verify_appsask(struct chan *c, const void *data, int fd)
{
}

void
verify_used_flush(void)
{
}

/* None of the control process's last uses is ours to say gone. */
void
verify_appskept(struct chan *c, const void *data, int fd)
{
}

/* popctl's show app-passwords: none, as with no app-passwords key. */
void
verify_ctlapps(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlappsq	*q = data;
	static struct msg_ctlapps	 m;

	memset(&m, 0, sizeof(m));
	m.req = q->req;
	m.status = CRED_NONE;
	auth_ctl_send(MSG_AUTHPOP_CTLAPPS, &m, sizeof(m));
}

/*
 * tablepop's app passwords, which this authpop never asks for, and an
 * httppop's channel: msg.c refuses both before any handler, as this
 * program keeps no check of them (common/protodecl.h OPTION).
 */
void
apps_table(struct chan *c, const void *data, int fd)
{
	chan_bad(c, "app passwords this authpop never asked for");
}

void
http_peerchan(struct chan *c, const void *data, int fd)
{
	fatalx("%s from parent: %s", msg_type_str(MSG_PARENT_HTTPPEER),
	    NOT_BUILT);
}
