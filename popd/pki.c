/*
 * pki.c -- the TLS server contexts of popd.conf's pki statements, made
 * from the certificate and key files (libtls).  The listener loads them
 * before it confines itself; the parent builds them once and throws them
 * away, to check a configuration before a listener is started with it.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <tls.h>

#include "util.h"
#include "popd.h"

/*
 * A TLS server context with the n keypairs certs[i], keys[i], keypair
 * first as the default and the others chosen by SNI, or NULL with the
 * reason logged.  The listener serves with it; the parent calls it to
 * refuse a bad certificate at startup or reload before a listener would
 * die on it.
 */
struct tls *
pki_tls(size_t n, char *const certs[], char *const keys[],
    size_t first, const char *protocols)
{
	struct tls_config	*cfg;
	struct tls		*ctx = NULL;
	uint8_t			*cert = NULL, *key = NULL;
	size_t			 certlen = 0, keylen = 0, i, k;
	uint32_t		 protos;
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
	for (i = 0; i < n; i++) {
		k = i == 0 ? first : (i <= first ? i - 1 : i);
		if ((cert = tls_load_file(certs[k], &certlen, NULL)) == NULL) {
			log_warn("%s", certs[k]);
			goto done;
		}
		if ((key = tls_load_file(keys[k], &keylen, NULL)) == NULL) {
			log_warn("%s", keys[k]);
			goto done;
		}
		if (i == 0)
			r = tls_config_set_keypair_mem(cfg, cert, certlen, key,
			    keylen);
		else
			r = tls_config_add_keypair_mem(cfg, cert, certlen, key,
			    keylen);
		if (r == -1) {
			log_warnx("%s, %s: %s", certs[k], keys[k],
			    tls_config_error(cfg));
			goto done;
		}
		tls_unload_file(cert, certlen);
		tls_unload_file(key, keylen);		/* wipes the key */
		cert = key = NULL;
	}
	if ((ctx = tls_server()) == NULL) {
		log_warnx("tls_server failed");
		goto done;
	}
	if (tls_configure(ctx, cfg) == -1) {
		log_warnx("%s, %s: %s", certs[first], keys[first],
		    tls_error(ctx));
		tls_free(ctx);
		ctx = NULL;
	}
 done:
	if (cert != NULL)
		tls_unload_file(cert, certlen);
	if (key != NULL)
		tls_unload_file(key, keylen);
	/* The server context keeps its own copy; drop ours. */
	tls_config_clear_keys(cfg);
	tls_config_free(cfg);
	return ctx;
}
