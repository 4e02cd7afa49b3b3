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
 * OpenBSD stand-in (regress/openbsd/check.sh): <readpassphrase.h> as in
 * OpenBSD's readpassphrase(3); glibc has none.
 */
#ifndef POPD_OBSD_READPASSPHRASE_H
#define POPD_OBSD_READPASSPHRASE_H

#include <sys/types.h>

#define RPP_ECHO_OFF	0x00
#define RPP_ECHO_ON	0x01
#define RPP_REQUIRE_TTY	0x02
#define RPP_FORCELOWER	0x04
#define RPP_FORCEUPPER	0x08
#define RPP_SEVENBIT	0x10
#define RPP_STDIN	0x20

char	*readpassphrase(const char *prompt, char *buf, size_t bufsiz,
	    int flags);

#endif
