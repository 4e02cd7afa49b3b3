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

/* pkitls.c -- keypairs as a TLS server context: the parent links no libtls. */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "compat.h"
#include "util.h"
#include "pki.h"

int	(*pki_keyless)(struct tls_config *);
int	(*pki_keyless_done)(size_t);

/*
 * Every listener names a default pair's sessions alike: tickets resume
 * anywhere.
 */
struct tls *
pki_tls(size_t n, const struct pki_pair pairs[], size_t first,
    const char *protocols, int tickets, struct tls_config **cfgp, char *why,
    size_t whylen)
{
	struct tls_config	*cfg;
	struct tls		*ctx = NULL;
	const struct pki_pair	*pp;
	size_t			 i, k;
	uint32_t		 protos;
	char			 sid[32];
	int			 r, keyless = pairs[0].key == NULL;

	if ((cfg = tls_config_new()) == NULL) {
		(void)snprintf(why, whylen, "tls_config_new failed");
		return NULL;
	}
	if (tls_config_parse_protocols(&protos, protocols) == -1 ||
	    tls_config_set_protocols(cfg, protos) == -1) {
		(void)snprintf(why, whylen, "tls protocols \"%s\": %s",
		    protocols, tls_config_error(cfg));
		goto done;
	}
	(void)snprintf(sid, sizeof(sid), "popd pki %zu", first);
	if (tickets > 0 &&
	    (tls_config_set_session_lifetime(cfg, tickets) == -1 ||
	    tls_config_set_session_id(cfg, (unsigned char *)sid,
	    strlen(sid)) == -1)) {
		(void)snprintf(why, whylen, "tls tickets %d: %s", tickets,
		    tls_config_error(cfg));
		goto done;
	}
	for (i = 0; i < n; i++) {
		k = i == 0 ? first : (i <= first ? i - 1 : i);
		pp = &pairs[k];
		if ((i == 0 ? tls_config_set_keypair_mem :
		    tls_config_add_keypair_mem)(cfg, pp->cert, pp->certlen,
		    pp->key, pp->keylen) == -1) {
			(void)snprintf(why, whylen, "%s",
			    tls_config_error(cfg));
			goto done;
		}
	}
	/* The listener's: keypop signs (compat_tls_keyless). */
	if (keyless && (pki_keyless == NULL || pki_keyless(cfg) == -1)) {
		(void)snprintf(why, whylen, "no key, and no way to sign");
		goto done;
	}
	if ((ctx = tls_server()) == NULL) {
		(void)snprintf(why, whylen, "tls_server failed");
		goto done;
	}
	r = tls_configure(ctx, cfg);
	if (r == -1)
		(void)snprintf(why, whylen, "%s", tls_error(ctx));
	if (keyless && pki_keyless_done(n) == -1) {
		if (r == 0)
			(void)snprintf(why, whylen, "keys not through keypop");
		r = -1;
	}
	if (r == -1) {
		tls_free(ctx);
		ctx = NULL;
	}
 done:
	tls_config_clear_keys(cfg);
	/* It holds a reference of its own: ticket keys added reach it. */
	if (cfgp != NULL && ctx != NULL)
		*cfgp = cfg;
	else
		tls_config_free(cfg);
	return ctx;
}

/*
 * libtls reads a certificate only as a client: one over our socketpair shakes
 * hands with pp, proving the key too.  No byte comes from outside.
 */
int
pki_check(const struct pki_pair *pp, const char *protocols,
    struct pki_info *info, char *why, size_t whylen)
{
	struct tls_config	*ccfg = NULL;
	struct tls		*srv, *conn = NULL, *cli = NULL;
	const char		*s;
	int			 sv[2] = { -1, -1 }, i, rs, rc, ret = -1;

	memset(info, 0, sizeof(*info));
	/* A key not the certificate's: keypop -c says so (check_mismatch). */
	if ((srv = pki_tls(1, pp, 0, protocols, 0, NULL, why, whylen)) ==
	    NULL)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1) {
		(void)snprintf(why, whylen, "socketpair: %s",
		    strerror(errno));
		goto done;
	}
	if ((ccfg = tls_config_new()) == NULL || (cli = tls_client()) ==
	    NULL) {
		(void)snprintf(why, whylen, "tls_client failed");
		goto done;
	}
	tls_config_insecure_noverifycert(ccfg);
	tls_config_insecure_noverifyname(ccfg);
	tls_config_insecure_noverifytime(ccfg);
	if (tls_configure(cli, ccfg) == -1 ||
	    tls_connect_socket(cli, sv[0], NULL) == -1) {
		(void)snprintf(why, whylen, "%s", tls_error(cli));
		goto done;
	}
	if (tls_accept_socket(srv, &conn, sv[1]) == -1) {
		(void)snprintf(why, whylen, "%s", tls_error(srv));
		goto done;
	}
	/* A few turns each: TLS 1.2's handshake takes two round trips. */
	rs = rc = TLS_WANT_POLLIN;
	for (i = 0; i < 16 && (rs != 0 || rc != 0); i++) {
		if (rc != 0 && (rc = tls_handshake(cli)) == -1) {
			(void)snprintf(why, whylen, "%s", tls_error(cli));
			goto done;
		}
		if (rs != 0 && (rs = tls_handshake(conn)) == -1) {
			(void)snprintf(why, whylen, "%s", tls_error(conn));
			goto done;
		}
	}
	if (rs != 0 || rc != 0 || !tls_peer_cert_provided(cli)) {
		(void)snprintf(why, whylen, "no handshake with itself");
		goto done;
	}
	if ((info->notafter = tls_peer_cert_notafter(cli)) == -1 ||
	    (s = tls_peer_cert_subject(cli)) == NULL) {
		(void)snprintf(why, whylen, "%s", tls_error(cli));
		goto done;
	}
	(void)strlcpy(info->subject, s, sizeof(info->subject));
	ret = 0;
 done:
	tls_free(conn);		/* NULL: no action (tls_client(3)) */
	tls_free(cli);
	tls_config_free(ccfg);
	tls_free(srv);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	return ret;
}
