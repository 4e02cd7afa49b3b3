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
 * fuzz_verdict -- libFuzzer target for the parent's reading of
 * keypop -c's verdict (common/pki.c pki_verdict): any bytes.  A verdict
 * is one line of printable ASCII of at most PKI_VERDICTMAX bytes;
 * "ok" gives back a time in range, a serial number, a fingerprint and
 * the subject byte for byte,
 * "bad" its reason byte for byte; anything else is refused with a
 * reason, and nothing is read or written out of bounds.
 *
 *	make regress/fuzz/fuzz_verdict && \
 *	    regress/fuzz/fuzz_verdict -max_total_time=60
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_info	 info;
	const uint8_t	*sp;
	uint8_t		*copy;
	char		 why[PKI_REASONMAX + 8];
	size_t		 n;
	int		 k, r;

	/* An exact copy: a read past the end is the sanitizer's. */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	memset(why, 'x', sizeof(why));
	r = pki_verdict(copy, size, &info, why, sizeof(why));
	/* A reason, when there is one, is a string within why. */
	if (r != 0 && memchr(why, '\0', sizeof(why)) == NULL)
		abort();
	if (r != -1 && (size == 0 || size > PKI_VERDICTMAX ||
	    data[size - 1] != '\n' || memchr(data, '\n', size - 1) != NULL))
		abort();
	switch (r) {
	case -1:
		if (why[0] == '\0')
			abort();
		break;
	case 0:
		if (size < 6 || memcmp(data, "ok ", 3) != 0 ||
		    info.notafter < PKI_MINTIME || info.notafter > PKI_MAXTIME)
			abort();
		printable(info.subject);
		/* The subject is all after the fingerprint's space. */
		sp = data + 2;
		for (k = 0; k < 3; k++) {
			n = data + size - (sp + 1);
			if ((sp = memchr(sp + 1, ' ', n)) == NULL)
				abort();
		}
		if (strlen(info.sha256) != PKI_SHA256LEN ||
		    info.serial[0] == '\0' || memcmp(sp - PKI_SHA256LEN,
		    info.sha256, PKI_SHA256LEN) != 0)
			abort();
		n = data + size - 1 - (sp + 1);
		if (strlen(info.subject) != n ||
		    memcmp(info.subject, sp + 1, n) != 0)
			abort();
		break;
	case 1:
		if (size < 6 || memcmp(data, "bad ", 4) != 0)
			abort();
		printable(why);
		n = size - 5;
		if (n == 0 || n >= PKI_REASONMAX || strlen(why) != n ||
		    memcmp(why, data + 4, n) != 0)
			abort();
		break;
	default:
		abort();
	}
	free(copy);
	return 0;
}
