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
 * loginticket.c -- a router's ticket that vouches for a login to a backend, so
 * a fleet checks each password once: popd2.EXPIRY.NONCE.MAC, MAC an HMAC-SHA256
 * of "popd2.EXPIRY.NONCE" NUL user NUL server under the shared key, server as
 * inet_ntop(3) writes it.  A ticket seen on its way to one backend is nothing
 * to another; the parent spends each once (spent.c).  Clocks must agree within
 * TICKET_LIFE.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "settings.h"
#include "util.h"
#include "addr.h"
#include "apppass.h"
#include "auth.h"

#define TICKET_TAG	"popd2."

static SHA2_CTX		 ipad, opad;
static int		 haskey;

static void	mac(const char *, size_t, const char *, const char *, char *);

/* Only HMAC's state after its two pads stays in memory. */
int
ticket_init(int fd, const char *path)
{
	unsigned char	 key[TICKET_KEYMAX + 1];
	ssize_t		 n;

	n = key_read(fd, key, sizeof(key));
	if (n < TICKET_KEYMIN || n > TICKET_KEYMAX) {
		if (n == -1)
			log_warn("ticket key %s", path);
		else
			log_warnx("ticket key %s: must hold %s", path,
			    TICKET_KEYSIZES);
		explicit_bzero(key, sizeof(key));
		return -1;
	}
	hmac_pads(key, n, &ipad, &opad);
	explicit_bzero(key, sizeof(key));
	haskey = 1;
	return 0;
}

static void
mac(const char *head, size_t headlen, const char *user, const char *server,
    char *out)
{
	SHA2_CTX	 ctx = ipad;
	unsigned char	 d[SHA256_DIGEST_LENGTH];
	size_t		 i;

	SHA256Update(&ctx, (const unsigned char *)head, headlen);
	SHA256Update(&ctx, (const unsigned char *)"", 1);
	SHA256Update(&ctx, (const unsigned char *)user, strlen(user));
	SHA256Update(&ctx, (const unsigned char *)"", 1);
	SHA256Update(&ctx, (const unsigned char *)server, strlen(server));
	SHA256Final(d, &ctx);
	ctx = opad;
	SHA256Update(&ctx, d, sizeof(d));
	SHA256Final(d, &ctx);
	for (i = 0; i < sizeof(d); i++)
		(void)snprintf(out + 2 * i, 3, "%02x", d[i]);
	explicit_bzero(d, sizeof(d));
}

/* -1 without a key or with another server. */
int
ticket_make(const char *user, const char *server, char *buf, size_t size)
{
	struct peeraddr	 p;
	unsigned char	 a[16];
	char		 text[PEER_STRLEN];
	uint64_t	 nonce;
	int		 n, af = AF_INET;

	if (!haskey || size < TICKET_MAX)
		return -1;
	if (inet_pton(af, server, a) != 1 &&
	    inet_pton(af = AF_INET6, server, a) != 1)
		return -1;
	/* As the MAC covers it: without a port, IPv4-mapped as IPv4. */
	if (peer_set(&p, af, a, 0) == -1)
		return -1;
	(void)peer_str(&p, text, sizeof(text));
	arc4random_buf(&nonce, sizeof(nonce));
	n = snprintf(buf, size, TICKET_TAG "%lld.%016llx.",
	    (long long)time(NULL) + TICKET_LIFE, (unsigned long long)nonce);
	mac(buf, n - 1, user, text, buf + n);
	return 0;
}

int
ticket_like(const char *pass)
{
	return haskey && strncmp(pass, TICKET_TAG, strlen(TICKET_TAG)) == 0;
}

int
ticket_check(const char *user, const char *pass,
    const struct peeraddr *local, uint64_t *nonce, int64_t *expiry,
    const char **why)
{
	const char	*p, *dot;
	char		 want[2 * SHA256_DIGEST_LENGTH + 1], num[24];
	char		 server[PEER_STRLEN];
	struct peeraddr	 a = *local;
	long long	 exp, t = time(NULL);
	uint64_t	 n;
	size_t		 headlen;

	*why = "no ticket key";
	if (!haskey)
		return 0;
	*why = "malformed";
	if (strncmp(pass, TICKET_TAG, strlen(TICKET_TAG)) != 0)
		return 0;
	p = pass + strlen(TICKET_TAG);
	if ((dot = strchr(p, '.')) == NULL || dot == p ||
	    (size_t)(dot - p) >= sizeof(num) ||
	    strspn(p, "0123456789") != (size_t)(dot - p))
		return 0;
	memcpy(num, p, dot - p);
	num[dot - p] = '\0';
	exp = strtoll(num, NULL, 10);
	p = dot + 1;
	if (strspn(p, "0123456789abcdef") != 16 || p[16] != '.')
		return 0;
	n = strtoull(p, NULL, 16);
	headlen = p + 16 - pass;
	p += 17;
	if (strlen(p) != 2 * SHA256_DIGEST_LENGTH ||
	    strspn(p, "0123456789abcdef") != strlen(p))
		return 0;
	a.port = 0;
	if (a.af == 0) {
		*why = "no address of ours to check it against";
		return 0;
	}
	(void)peer_str(&a, server, sizeof(server));
	mac(pass, headlen, user, server, want);
	if (timingsafe_bcmp(want, p, sizeof(want) - 1) != 0) {
		*why = "not made for this user at this address with our key";
		return 0;
	}
	if (exp < t) {
		*why = "expired";
		return 0;
	}
	if (exp > t + 2 * TICKET_LIFE) {
		*why = "from the future: are the clocks apart?";
		return 0;
	}
	*nonce = n;
	*expiry = exp;
	*why = NULL;
	return 1;
}
