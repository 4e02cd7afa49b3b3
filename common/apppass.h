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
 * apppass.h -- app passwords: one random secret per device, stored only as
 * HMAC-SHA256(key, user NUL secret) with a label, an expiry and its networks.
 * A record is "label hmac-sha256:HEX created expires from", or "main barred":
 * the main password does not log in.
 */
#ifndef POPD_APPPASS_H
#define POPD_APPPASS_H

#include <sys/types.h>

#include <sha2.h>
#include <time.h>

#include "addr.h"

#define APP_LABELMAX	32
#define APP_SECRETLEN	28	/* symbols of 5 bits: 140 bits */
#define APP_SHOWNLEN	(APP_SECRETLEN + APP_SECRETLEN / 4 - 1)
#define APP_MACLEN	32
#define APP_HASHPFX	"hmac-sha256:"
#define APP_HASHLEN	(sizeof(APP_HASHPFX) - 1 + 2 * APP_MACLEN)
#define APP_MAXNETS	8
#define APP_MAXPERUSER	32	/* records of one user */
#define APP_RECSMAX	8192	/* a user's records, joined, with NUL */
#define APP_KEYMIN	32	/* the key file: bytes */
#define APP_KEYMAX	4096

struct apprec {
	char		 label[APP_LABELMAX + 1];	/* "main": barred */
	char		 hash[APP_HASHLEN + 1];
	time_t		 created;
	time_t		 expires;	/* 0: never */
	struct netaddr	 nets[APP_MAXNETS];
	size_t		 nnets;		/* 0: from anywhere */
};

struct appkey {
	unsigned char	 k[APP_KEYMAX + 1];	/* + 1: a longer one */
	size_t		 len;
	int		 padded;	/* ipad, opad set (apppass_key) */
	SHA2_CTX	 ipad, opad;	/* HMAC's state after each pad */
};

struct appuser {
	char		*user;
	char		*recs;
};
struct appfile {
	struct appuser	*v;		/* by user */
	size_t		 n;
};

typedef int	(*apppass_fn)(void *, const char *, const char *, size_t);

int	 apppass_shaped(const char *, char *);
void	 apppass_secret(char *, char *);
void	 apppass_mac(const struct appkey *, const char *, const char *,
	    char *);
int	 apppass_key(const char *, struct appkey *, char *, size_t);
int	 apppass_keyfd(int, struct appkey *, char *, size_t);
void	 hmac_pads(const unsigned char *, size_t, SHA2_CTX *, SHA2_CTX *);
int	 apppass_valid_label(const char *);
int	 apppass_parse(const char *, struct apprec *, char *, size_t);
int	 apppass_split(const char *, struct apprec *, size_t, char *,
	    size_t);
int	 apppass_format(const struct apprec *, char *, size_t);
int	 apppass_desc(const struct apprec *, char *, size_t);
int	 apppass_scan(const char *, apppass_fn, void *);
int	 apppass_match(const struct apprec *, size_t, const char *);
const char *apppass_time(time_t, char *, size_t);
int	 appfile_load(const char *, struct appfile *);
void	 appfile_free(struct appfile *);

#endif
