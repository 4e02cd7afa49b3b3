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

#ifndef POPD_PKI_H
#define POPD_PKI_H

#include <sys/types.h>

#include <stdint.h>
#include <time.h>

struct pki_pair {
	uint8_t		*cert;
	size_t		 certlen;
	uint8_t		*key;		/* NULL: keypop signs */
	size_t		 keylen;
};

/* The serial as openssl x509 -serial prints it, and the SHA-256. */
#define PKI_SERIALMAX	68
#define PKI_SHA256LEN	64
struct pki_info {
	char		 subject[256];
	char		 serial[PKI_SERIALMAX];
	char		 sha256[PKI_SHA256LEN + 1];
	time_t		 notafter;
};

/* keypop -c's verdict: "ok NOTAFTER SERIAL SHA256 SUBJECT" or "bad REASON". */
#define PKI_VERDICTMAX	512
#define PKI_REASONMAX	400
#define PKI_MINTIME	(-62167219200LL)	/* 0000-01-01T00:00:00Z */
#define PKI_MAXTIME	253402300799LL		/* 9999-12-31T23:59:59Z */

struct tls;
struct tls_config;
int		 pki_read(const char *, const char *, struct pki_pair *,
		    char *, size_t);
void		 pki_free(struct pki_pair *);
int		 pki_memfd(const uint8_t *, size_t);
int		 pki_recv(int, uint32_t, struct pki_pair *);
int		 pki_pread(int, uint8_t *, size_t, off_t);
int		 pki_verdict(const uint8_t *, size_t, struct pki_info *,
		    char *, size_t);
struct tls	*pki_tls(size_t, const struct pki_pair [], size_t,
		    const char *, int, struct tls_config **, char *, size_t);
int		 pki_check(const struct pki_pair *, const char *,
		    struct pki_info *, char *, size_t);

/*
 * The listener's only; keypop -c checks pairs with their keys and sets neither.
 */
extern int	(*pki_keyless)(struct tls_config *);
extern int	(*pki_keyless_done)(size_t);

#endif
