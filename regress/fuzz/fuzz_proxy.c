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
 * fuzz_proxy -- libFuzzer target for the PROXY protocol header parser
 * (common/proxy.c): any bytes; a header that parses has a length within
 * the input, names a client as the listener writes addresses, and is
 * read exactly by proxy_want, byte by byte as a slow proxy sends it.
 *
 *	make fuzz && regress/fuzz/fuzz_proxy -max_total_time=60
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "../../listener/listener_proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_hdr	 h;
	const uint8_t		*lf;
	const char		*errstr;
	size_t			 have, more;
	int			 r, whole, to_lf;

	whole = proxy_parse(data, size, &h, &errstr);
	if (whole > (int)size || (whole > 0 && !h.local &&
	    (h.peer.af == 0 || !peer_valid(&h.peer))))
		abort();
	/* Read as the listener reads: never a byte past the header. */
	for (have = 0; have < size; have += more) {
		more = proxy_want(data, have, &to_lf);
		lf = to_lf ? memchr(data + have, '\n', size - have) : NULL;
		if (lf != NULL && (size_t)(lf - (data + have)) + 1 < more)
			more = lf - (data + have) + 1;
		if (more == 0 || have + more > size)
			break;
		r = proxy_parse(data, have + more, &h, &errstr);
		if (r != 0) {
			/* Done (or refused) exactly where the whole says. */
			if (whole > 0 && r != whole)
				abort();
			break;
		}
	}
	return 0;
}
