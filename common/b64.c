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

/* b64.c -- RFC 4648 base64 decoding for the hashes and AUTH PLAIN. */
#include <string.h>

#include "b64.h"

const char	 b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+/";

/* -1 on bad padding or symbols (out may hold part of it then). */
int
b64_decode(const char *s, unsigned char *out, size_t outsz, size_t *len)
{
	size_t		 i, n = strlen(s), o = 0, pad = 0;
	unsigned long	 acc = 0;
	const char	*p;
	int		 k;

	if (n == 0 || n % 4 != 0)
		return -1;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	if (n / 4 * 3 - pad > outsz)
		return -1;
	for (i = 0; i < n; i += 4) {
		acc = 0;
		for (k = 0; k < 4; k++) {
			acc <<= 6;
			if (i + k >= n - pad)
				continue;
			/* No NUL before n: strchr finds no terminator. */
			if ((p = strchr(b64_alphabet, s[i + k])) == NULL)
				return -1;
			acc |= (unsigned long)(p - b64_alphabet);
		}
		out[o++] = acc >> 16;
		if (i + 4 < n || pad < 2)
			out[o++] = acc >> 8 & 0xff;
		if (i + 4 < n || pad < 1)
			out[o++] = acc & 0xff;
	}
	*len = o;
	return 0;
}
