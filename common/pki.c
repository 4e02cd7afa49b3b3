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
 * pki.c -- the TLS server contexts of popd.conf's pki statements, made
 * from the certificate and key files (libtls).  The listener loads them
 * before it confines itself; the parent builds them once and throws them
 * away, to check a configuration before a listener is started with it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "util.h"
#include "log.h"
#include "pki.h"

/*
 * The whole of a certificate or key file, or NULL with the reason logged
 * ("path: reason").  What tls_load_file() does without a password, but
 * through open_regular(): a FIFO named as a certificate must not hang
 * the parent or the listener.  Free with freezero(): it may be a key.
 */
int	(*pki_keyless)(struct tls_config *);
int	(*pki_keyless_done)(size_t);

uint8_t *
pki_load(const char *path, size_t *lenp)
{
	struct stat	 st;
	uint8_t		*buf;
	const char	*errstr;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open_regular(path, &errstr)) == -1) {
		log_warnx("%s: %s", path, errstr);
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("%s", path);
		close(fd);
		return NULL;
	}
	if ((buf = malloc(st.st_size > 0 ? st.st_size : 1)) == NULL) {
		log_warn("%s", path);
		close(fd);
		return NULL;
	}
	while (len < (size_t)st.st_size) {
		if ((n = read(fd, buf + len, st.st_size - len)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s", path);
			freezero(buf, st.st_size);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	*lenp = len;
	return buf;
}

/*
 * A TLS server context with the n keypairs certs[i], keys[i], keypair
 * first as the default and the others chosen by SNI, or NULL with the
 * reason logged.  The listener serves with it, keys NULL: it has the
 * certificates alone, and keypop signs (pki_keyless); the parent
 * calls it with the keys to refuse a bad pair at startup or reload
 * before a listener would die on it.
 * tickets: the session lifetime of TLS session tickets in seconds, 0
 * for none; their keys come later (tickets.c), added to *cfgp, which is
 * the context's configuration (NULL: not wanted).  Every listener names
 * the sessions of a default keypair alike, so that a ticket one of them
 * issued resumes on another.
 */
struct tls *
pki_tls(size_t n, char *const certs[], char *const keys[],
    size_t first, const char *protocols, int tickets,
    struct tls_config **cfgp)
{
	struct tls_config	*cfg;
	struct tls		*ctx = NULL;
	uint8_t			*cert = NULL, *key = NULL;
	size_t			 certlen = 0, keylen = 0, i, k;
	uint32_t		 protos;
	char			 sid[32];
	int			 r;

	if ((cfg = tls_config_new()) == NULL) {
		log_warnx("tls_config_new failed");
		return NULL;
	}
	if (tls_config_parse_protocols(&protos, protocols) == -1 ||
	    tls_config_set_protocols(cfg, protos) == -1) {
		log_warnx("tls protocols \"%s\": %s", protocols,
		    tls_config_error(cfg));
		goto done;
	}
	(void)snprintf(sid, sizeof(sid), "popd pki %zu", first);
	if (tickets > 0 &&
	    (tls_config_set_session_lifetime(cfg, tickets) == -1 ||
	    tls_config_set_session_id(cfg, (unsigned char *)sid,
	    strlen(sid)) == -1)) {
		log_warnx("tls tickets %d: %s", tickets,
		    tls_config_error(cfg));
		goto done;
	}
	for (i = 0; i < n; i++) {
		k = i == 0 ? first : (i <= first ? i - 1 : i);
		if ((cert = pki_load(certs[k], &certlen)) == NULL ||
		    (keys != NULL && (key = pki_load(keys[k], &keylen)) ==
		    NULL))
			goto done;
		if (i == 0)
			r = tls_config_set_keypair_mem(cfg, cert, certlen, key,
			    keylen);
		else
			r = tls_config_add_keypair_mem(cfg, cert, certlen, key,
			    keylen);
		if (r == -1) {
			log_warnx("%s, %s: %s", certs[k], keys != NULL ?
			    keys[k] : "keypop", tls_config_error(cfg));
			goto done;
		}
		freezero(cert, certlen);
		freezero(key, keylen);		/* wipes the key */
		cert = key = NULL;
	}
	if (keys == NULL && (pki_keyless == NULL || pki_keyless(cfg) == -1))
		goto done;
	if ((ctx = tls_server()) == NULL) {
		log_warnx("tls_server failed");
		goto done;
	}
	r = tls_configure(ctx, cfg);
	if (r == -1)
		log_warnx("%s, %s: %s", certs[first], keys != NULL ?
		    keys[first] : "keypop", tls_error(ctx));
	/* Says why a listener has no key, as well. */
	if (keys == NULL && pki_keyless_done(n) == -1)
		r = -1;
	if (r == -1) {
		tls_free(ctx);
		ctx = NULL;
	}
 done:
	if (cert != NULL)
		freezero(cert, certlen);
	if (key != NULL)
		freezero(key, keylen);
	/* The server context keeps its own copy; drop ours. */
	tls_config_clear_keys(cfg);
	/* It holds a reference of its own: ticket keys added reach it. */
	if (cfgp != NULL && ctx != NULL)
		*cfgp = cfg;
	else
		tls_config_free(cfg);
	return ctx;
}
