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
 * mkhash -- print a bcrypt hash of the password read from stdin, for the
 * test harness and the demo (authtab lines).  Test helper only.
 *
 *	mkhash [cost] < password
 */
#include <crypt.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char *argv[])
{
	static struct crypt_data cd;	/* crypt_rn wants the whole struct */
	char		 pw[1024], setting[CRYPT_GENSALT_OUTPUT_SIZE];
	char		*out;
	const char	*errstr;
	long long	 cost = 10;
	size_t		 len;

	if (argc > 2) {
		fprintf(stderr, "usage: mkhash [cost] < password\n");
		return 2;
	}
	if (argc == 2) {
		cost = strtonum(argv[1], 4, 31, &errstr);
		if (errstr != NULL)
			errx(2, "cost %s: %s", argv[1], errstr);
	}
	if (fgets(pw, sizeof(pw), stdin) == NULL) {
		if (ferror(stdin))
			err(1, "stdin");
		pw[0] = '\0';
	}
	len = strcspn(pw, "\r\n");
	pw[len] = '\0';

	/* NULL entropy: libxcrypt reads the salt from the OS. */
	if (crypt_gensalt_rn("$2b$", cost, NULL, 0, setting,
	    sizeof(setting)) == NULL)
		err(1, "crypt_gensalt_rn");
	out = crypt_rn(pw, setting, &cd, sizeof(cd));
	explicit_bzero(pw, sizeof(pw));
	if (out == NULL || out[0] == '*')
		err(1, "crypt_rn");
	printf("%s\n", out);
	return 0;
}
