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
 * protocheck.c -- the field checks of both declaration tables, proto.c's and
 * peers.c's.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>
#include <time.h>

#include "protodecl.h"

const char *
valid_none(const void *p)
{
	return NULL;
}

int
valid_label(const char *label, size_t size)
{
	size_t	n;

	if (memchr(label, '\0', size) == NULL)
		return 0;
	n = strspn(label, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
	return n > 0 && label[n] == '\0';
}

const char *
valid_login(const void *p)
{
	const struct msg_login	*m = p;

	if (!TERMINATED(m->user) || !valid_username(m->user))
		return "user name";
	if (m->expiry < 0 || (m->expiry == 0 && m->nonce != 0))
		return "ticket";
	/*
	 * Nonces from further ahead would outlive the parent's record of them
	 * (spent.c).
	 */
	if (m->expiry > time(NULL) + 2 * TICKET_LIFE)
		return "ticket expiry";
	if (m->app[0] != '\0' && !valid_label(m->app, sizeof(m->app)))
		return "label";
	return NULL;
}

int
valid_time(double t)
{
	return t >= 0 && t < 1e12;	/* and not NaN */
}

const char *
valid_count(const void *p)
{
	const struct msg_count	*m = p;

	return m->pad != 0 ? "padding" : NULL;
}

int
valid_net(const struct netaddr *n)
{
	int	i, max;

	if (n->af != AF_INET && n->af != AF_INET6)
		return 0;
	max = n->af == AF_INET ? 32 : 128;
	if (n->bits < 0 || n->bits > max)
		return 0;
	for (i = 0; i < 16; i++) {
		if (i * 8 >= max || i * 8 >= n->bits) {
			if (n->addr[i] != 0)
				return 0;
		} else if (i * 8 + 8 > n->bits &&
		    (n->addr[i] & (0xff >> (n->bits - i * 8))) != 0)
			return 0;
	}
	return 1;
}

const char *
valid_notours(const void *p)
{
	return "a message of other processes";
}
