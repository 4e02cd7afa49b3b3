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
 * pki.h -- the TLS server contexts of popd.conf's pki statements
 * (pki.c): the listener's, and the parent's check of a configuration.
 */
#ifndef POPD_PKI_H
#define POPD_PKI_H

#include <sys/types.h>

#include <stdint.h>

struct tls;
struct tls_config;
struct tls	*pki_tls(size_t, char *const [], char *const [], size_t,
		    const char *, int, struct tls_config **);
uint8_t		*pki_load(const char *, size_t *);

/*
 * The listener's, before pki_tls without keys: how such a context signs
 * (compat_tls_keyless), and whether all its keypairs do
 * (compat_tls_keyless_done).  The parent, which has the keys, links
 * none of it.
 */
extern int	(*pki_keyless)(struct tls_config *);
extern int	(*pki_keyless_done)(size_t);

#endif
