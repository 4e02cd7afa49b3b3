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
 * fuzz_confimage -- libFuzzer target for the parent's reader of the
 * configuration confpop -C writes (conf/confimage.c), which a confpop
 * made to misbehave could spoil: an image it takes must hold only what
 * the parent relies on (each where's file one of the names, each TLS
 * listener's pki found), and written again it must read back the same.
 * The seeds are images of regress/unit/conf's files, written by
 * test_conf -s.  The log functions are stubs.
 *
 *	make fuzz && regress/fuzz/fuzz_confimage -max_total_time=60
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
named(const struct popd_conf *c, const struct conf_where *w)
{
	size_t	i;

	if (w->file == NULL)
		return 1;
	for (i = 0; i < c->nfiles; i++)
		if (w->file == c->files[i])
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct popd_conf		*c, *again;
	const struct conf_listen	*l;
	const char			*why;
	char				*buf = NULL;
	size_t				 len = 0;
	FILE				*fp;

	if ((c = conf_unimage(data, size, &why)) == NULL)
		return 0;
	TAILQ_FOREACH(l, &c->listens, entry)
		if (!named(c, &l->where) || (l->pki[0] != '\0' &&
		    !(l->flags & (CONF_LISTEN_HTTP | CONF_LISTEN_LMTP |
		    CONF_LISTEN_HEALTH)) && conf_pki(c, l->pki) == NULL))
			abort();
	if (!named(c, &c->ctlsock_where) || !named(c, &c->authtab_where))
		abort();
	if ((fp = open_memstream(&buf, &len)) == NULL ||
	    conf_image(fp, c) == -1 || fclose(fp) == EOF)
		abort();
	if ((again = conf_unimage(buf, len, &why)) == NULL)
		abort();
	conf_free(again);
	conf_free(c);
	free(buf);
	return 0;
}
