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
 * msgends.h -- for test_msg.c and fuzz_msg.c: the handler table of each
 * end of each channel, derived from the declarations (common/proto.c)
 * rather than copied from the daemons.  chan_init() takes exactly one
 * table for self's end of a channel to peer: a handler for every type
 * declared from peer to self, and for no other; msgends() makes that
 * table.  Every entry's handler is on_any(), which calls the includer's
 * on_message(c, type, data, fd) (defined before the include) with the
 * type being handled (c->intype, set by msg.c).  A new message is added
 * in proto.c, and nowhere else in the tests.
 */
#ifndef REGRESS_MSGENDS_H
#define REGRESS_MSGENDS_H

#include <stdlib.h>

#include "chan.h"

static void
on_any(struct chan *c, const void *data, int fd)
{
	on_message(c, c->intype, data, fd);
}

/*
 * Fill out with { type, on_any } for every declaration peer sends to
 * self, in declaration order; the count.  max is out's size: a table
 * longer than that is the caller's bug (abort).
 */
static size_t
msgends(int self, int peer, struct msg_handler *out, size_t max)
{
	const struct msg_decl	*const *d;
	size_t			 i, n, k = 0;

	d = msg_decls(&n);
	for (i = 0; i < n; i++) {
		if (d[i]->from != peer || !(d[i]->to & self))
			continue;
		if (k == max)
			abort();
		out[k].type = d[i]->type;
		out[k].fn = on_any;
		k++;
	}
	return k;
}

#endif
