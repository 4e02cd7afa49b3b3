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
 * The key process: it holds the private keys of one listener's pki and
 * signs its handshakes (smtpd's ca.c), so a listener taken over by a
 * client can use the keys while it lives, not carry them away.  Only the
 * encodings sigcheck.c allows are signed.  keypop -c is the parent's
 * check of one pair, so that no other process parses a private key.
 */
/* EVP_PKEY_get1_RSA: an RSA-PSS key as RSA (rsa_of_pss), as LibreSSL has. */
#define OPENSSL_API_COMPAT	0x10100000L

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <tls.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "proto.h"
#include "chan.h"
#include "pki.h"
#include "proc.h"
#include "sandbox.h"
#include "sigcheck.h"

/*
 * Contexts made once: OpenSSL 3 looks up the implementation at each
 * EVP_PKEY_sign_init, which cost more than an ECDSA signature itself.
 */
struct key {
	uint8_t		 id[32];	/* SHA-256 of the public key bits */
	EVP_PKEY	*pkey;
	int		 rsa;
	int		 bits;
	EVP_PKEY_CTX	*ctx[2];	/* RSA: PKCS#1, none; EC: ECDSA */
};

static struct chan	parent_chan, listener_chan;
static struct key	keys[POPD_MAXPKI];
static size_t		nkeys;

#define KEYPOP_USAGE	"usage: keypop [-dVv]\n" \
			"       keypop -c -P protocols < cert 3< key"
#define KEYPOP_KEYFD	3		/* keypop -c: the key's bytes */

static EVP_PKEY_CTX *
sign_ctx(EVP_PKEY *pkey, int padding)
{
	EVP_PKEY_CTX	*ctx;

	if ((ctx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_sign_init(ctx) != 1 || (padding != 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, padding) != 1)) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * OpenSSL signs with an RSA-PSS key only through its own PSS encoding,
 * and we are given the encoding, checked, to sign with no padding.
 */
static EVP_PKEY *
rsa_of_pss(EVP_PKEY *pss)
{
	EVP_PKEY	*pkey;
	RSA		*rsa;

	if ((rsa = EVP_PKEY_get1_RSA(pss)) == NULL)
		pkey = NULL;
	else if ((pkey = EVP_PKEY_new()) != NULL &&
	    EVP_PKEY_set1_RSA(pkey, rsa) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	RSA_free(rsa);
	EVP_PKEY_free(pss);
	return pkey;
}

/* OpenSSL's default would ask a terminal for an encrypted key. */
static int
no_password(char *buf, int size, int rwflag, void *arg)
{
	return 0;
}

/*
 * Shared by the serving keypop and keypop -c, so that a pair the check
 * passes is one keypop serves.
 */
static const char *
key_load(struct key *k, const void *pem, size_t pemlen)
{
	static char	 why[128];
	BIO		*bio;
	const RSA	*rsa;
	uint8_t		*der = NULL;
	int		 len, type;

	if ((bio = BIO_new_mem_buf(pem, pemlen)) == NULL)
		return "out of memory";
	k->pkey = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	BIO_free(bio);
	if (k->pkey == NULL)
		return "not a private key in PEM";
	type = EVP_PKEY_base_id(k->pkey);
	if (type != EVP_PKEY_RSA && type != EVP_PKEY_RSA_PSS &&
	    type != EVP_PKEY_EC) {
		(void)snprintf(why, sizeof(why), "a key of type %s: keypop "
		    "signs with RSA and EC keys only", OBJ_nid2sn(type));
		return why;
	}
	if (EVP_PKEY_size(k->pkey) > SIGN_MAXSIG) {
		(void)snprintf(why, sizeof(why), "an RSA key of %d bits: "
		    "keypop signs with 8192 at most",
		    EVP_PKEY_bits(k->pkey));
		return why;
	}
	k->rsa = type == EVP_PKEY_EC ? SIGKEY_EC : type == EVP_PKEY_RSA ?
	    SIGKEY_RSA : SIGKEY_PSS;
	/* Restricted (one hash, one salt): libcrypto signs nothing else. */
	if (k->rsa == SIGKEY_PSS && ((rsa = EVP_PKEY_get0_RSA(k->pkey)) ==
	    NULL || RSA_get0_pss_params(rsa) != NULL))
		return "an RSA-PSS key restricted to one hash: keypop signs "
		    "with unrestricted RSA-PSS keys only";
	if (k->rsa == SIGKEY_PSS && (k->pkey = rsa_of_pss(k->pkey)) == NULL)
		return "an RSA-PSS key without its RSA key";
	k->bits = EVP_PKEY_bits(k->pkey);
	if ((k->ctx[0] = sign_ctx(k->pkey, k->rsa ? RSA_PKCS1_PADDING :
	    0)) == NULL || (k->rsa && (k->ctx[1] = sign_ctx(k->pkey,
	    RSA_NO_PADDING)) == NULL))
		return "keypop cannot sign with it";
	/* libtls's name of a key: the hash of its public key's bits. */
	if ((len = i2d_PublicKey(k->pkey, &der)) <= 0)
		return "i2d_PublicKey failed";
	SHA256(der, len, k->id);
	OPENSSL_free(der);
	return NULL;
}

/* The message's bytes are wiped: the key lives in its EVP_PKEY alone. */
static void
keypop_parent_key(struct chan *c, const void *data, int fd)
{
	struct msg_key	*m = (struct msg_key *)(uintptr_t)data;
	const char	*why;

	if (nkeys == POPD_MAXPKI)
		fatalx("more than %d keys", POPD_MAXPKI);
	why = key_load(&keys[nkeys], m->pem, m->len);
	explicit_bzero(m->pem, m->len);
	if (why != NULL)
		fatalx("key %zu: %s", nkeys, why);
	log_debug("key %zu: %s, %d bits", nkeys, keys[nkeys].rsa ? "RSA" :
	    "EC", keys[nkeys].bits);
	nkeys++;
}

static void
keypop_parent_eof(struct chan *c)
{
	exit(0);
}

static void
keypop_listener_eof(struct chan *c)
{
	log_debug("the listener closed its channel");
	exit(0);
}

/*
 * The listener is not to be trusted with our keys any more: without us
 * it cannot finish a handshake, and the parent restarts it.
 */
static void
keypop_listener_bad(struct chan *c)
{
	exit(1);
}

static const char	*sign_why;

static int
keypop_sign(const uint8_t *id, uint32_t kind, const uint8_t *in,
    size_t len, uint8_t *sig, size_t *siglen)
{
	size_t	 i;
	int	 h;

	*siglen = SIGN_MAXSIG;
	for (i = 0; i < nkeys; i++)
		if (memcmp(keys[i].id, id, sizeof(keys[i].id)) == 0)
			break;
	if (i == nkeys) {
		sign_why = "the key does not match the certificate";
		log_warnx("listener: a signature by a key we do not have "
		    "(%02x%02x%02x%02x...): the certificate and key files do "
		    "not match?", id[0], id[1], id[2], id[3]);
	} else if ((sign_why = sigcheck(keys[i].rsa, keys[i].bits, kind, in,
	    len, &h)) != NULL)
		log_warnx("listener: refused to sign with key %zu: %s (%zu "
		    "bytes): that handshake fails", i, sign_why, len);
	else if (EVP_PKEY_sign(keys[i].ctx[kind == SIGN_RSA_RAW], sig,
	    siglen, in, len) != 1) {
		sign_why = "keypop could not sign";
		log_warnx("listener: key %zu could not sign %zu bytes", i,
		    len);
	} else {
		log_debug("signed %s %s", kind == SIGN_ECDSA ? "ecdsa" :
		    kind == SIGN_RSA_RAW ? "pss" : "pkcs1", sigcheck_hash(h));
		return 0;
	}
	return -1;
}

/*
 * The listener waits for each answer: a request while our last answer
 * is unread is out of phase, a listener flooding us.
 */
static void
keypop_listener_sign(struct chan *c, const void *data, int fd)
{
	const struct msg_sign	*m = data;
	struct msg_signed	 r;
	size_t			 len;
	int			 unread;

	if ((unread = compat_unread(c->fd)) == -1)
		fatal("the listener's channel");
	if (unread > 0 || !TAILQ_EMPTY(&c->outq)) {
		chan_bad(c, "%s from listener out of phase: %d bytes of "
		    "our answer unread", msg_type_str(MSG_LISTENER_SIGN),
		    unread);
		return;
	}
	memset(&r, 0, sizeof(r));
	if (keypop_sign(m->id, m->kind, m->in, m->len, r.sig, &len) == 0)
		r.len = len;
	chan_send(c, MSG_KEY_SIGNED, -1, &r, sizeof(r));
}

static const struct msg_handler from_listener[] = {
	{ MSG_LISTENER_SIGN,	keypop_listener_sign },
};

static void
keypop_open(void *arg)
{
	if (event_init() == NULL)
		fatalx("event_init failed");
	if (set_cloexec(POPD_CONF_FD) == -1)
		fatal("no channel to the listener on fd %d", POPD_CONF_FD);
	chan_init(&listener_chan, POPD_CONF_FD, PROC_KEY, PROC_LISTENER,
	    PH_RUN, from_listener, nitems(from_listener),
	    keypop_listener_eof, NULL);
	listener_chan.bad = keypop_listener_bad;
	chan_start(&listener_chan);
}

static void
keypop_sandbox(void *arg)
{
	sandbox_keypop();
}

/* Its handshake with itself needs no file and no network. */
static void
keypop_check_sandbox(void *arg)
{
	sandbox_keycheck();
}

static uint8_t *
check_read(int fd, size_t *lenp)
{
	struct stat	 st;
	uint8_t		*buf;

	if (fstat(fd, &st) == -1)
		return NULL;
	if (st.st_size <= 0 || st.st_size > PKI_MAXFILE) {
		errno = EFBIG;
		return NULL;
	}
	if ((buf = malloc(st.st_size)) == NULL)
		return NULL;
	if (pki_pread(fd, buf, st.st_size, 0) == -1) {
		freezero(buf, st.st_size);
		return NULL;
	}
	*lenp = st.st_size;
	return buf;
}

/* The first PEM block, as SSL_CTX_use_certificate_chain serves it. */
static X509 *
check_cert(const struct pki_pair *pp)
{
	BIO	*bio;
	X509	*x;

	if ((bio = BIO_new_mem_buf(pp->cert, pp->certlen)) == NULL)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, no_password, NULL);
	BIO_free(bio);
	return x;
}

static int
check_ident(const struct pki_pair *pp, struct pki_info *info)
{
	const ASN1_INTEGER	*sn;
	const unsigned char	*d;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen, i;
	X509			*x;
	size_t			 o = 0;
	int			 n, k;

	if ((x = check_cert(pp)) == NULL)
		return -1;
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 ||
	    mdlen * 2 != PKI_SHA256LEN || (sn = X509_get0_serialNumber(x)) ==
	    NULL) {
		X509_free(x);
		return -1;
	}
	for (i = 0; i < mdlen; i++)
		(void)snprintf(info->sha256 + 2 * i, 3, "%02X", md[i]);
	d = ASN1_STRING_get0_data(sn);
	n = ASN1_STRING_length(sn);
	if (ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER)
		info->serial[o++] = '-';
	/* openssl prints "00" for a serial of zero. */
	if (n <= 0)
		(void)strlcpy(info->serial + o, "00", sizeof(info->serial) - o);
	for (k = 0; k < n; k++) {
		if (o + 2 + 3 >= sizeof(info->serial) && k + 1 < n) {
			(void)strlcpy(info->serial + o, "...",
			    sizeof(info->serial) - o);
			break;
		}
		(void)snprintf(info->serial + o, sizeof(info->serial) - o,
		    "%02X", d[k]);
		o += 2;
	}
	X509_free(x);
	return 0;
}

/* libtls appends ": Success" when errno is 0. */
static void
cut_noerror(char *why)
{
	char	 tail[64];
	size_t	 n, len = strlen(why);

	n = (size_t)snprintf(tail, sizeof(tail), ": %s", strerror(0));
	if (n < sizeof(tail) && len > n && strcmp(why + len - n, tail) == 0)
		why[len - n] = '\0';
}

static void
printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static const struct proc_setup	check_setup = {
	.role = "keypop -c",
	.title = "check",
	.user = POPD_USER,
	.chroot = 1,
	.sandbox = keypop_check_sandbox,
};

static __dead void
keypop_check(int argc, char *argv[])
{
	struct pki_pair	 pp;
	struct pki_info	 info;
	const char	*protocols = NULL, *kwhy;
	char		 why[PKI_REASONMAX];
	int		 ch;

	while ((ch = getopt(argc, argv, "cP:")) != -1) {
		switch (ch) {
		case 'c':
			break;
		case 'P':
			protocols = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || protocols == NULL)
		goto usage;
	log_init(1, LOG_MAIL);
	log_procinit("");
	if (tls_init() == -1)
		fatalx("tls_init failed");
	proc_prologue(&check_setup);

	memset(&pp, 0, sizeof(pp));
	if ((pp.cert = check_read(STDIN_FILENO, &pp.certlen)) == NULL ||
	    (pp.key = check_read(KEYPOP_KEYFD, &pp.keylen)) == NULL)
		(void)snprintf(why, sizeof(why), "cannot read the pair: %s",
		    strerror(errno));
	else if ((kwhy = key_load(&keys[0], pp.key, pp.keylen)) != NULL)
		(void)strlcpy(why, kwhy, sizeof(why));
	else {
		nkeys = 1;
		freezero(pp.key, pp.keylen);
		pp.key = NULL;
		pki_keyless = compat_tls_keyless;
		pki_keyless_done = compat_tls_keyless_done;
		compat_tls_signer(keypop_sign);
		/* libtls appends strerror(errno) to some messages. */
		errno = 0;
		why[0] = '\0';
		if (pki_check(&pp, protocols, &info, why, sizeof(why)) == 0) {
			if (check_ident(&pp, &info) == 0) {
				printable(info.subject);
				printf("ok %lld %s %s %s\n",
				    (long long)info.notafter, info.serial,
				    info.sha256, info.subject);
				goto done;
			}
			(void)strlcpy(why, "cannot read the certificate's "
			    "serial number", sizeof(why));
		} else if (sign_why != NULL)
			(void)strlcpy(why, sign_why, sizeof(why));
		else
			cut_noerror(why);
	}
	printable(why);
	printf("bad %s\n", why[0] != '\0' ? why : "no reason given");
 done:
	pki_free(&pp);
	if (fflush(stdout) == EOF || ferror(stdout))
		exit(1);
	exit(0);
 usage:
	fprintf(stderr, "%s\n", KEYPOP_USAGE);
	exit(1);
}

static const struct msg_handler from_parent[] = {
	{ MSG_PARENT_CONF,	proc_parent_conf },
	{ MSG_PARENT_CONF_KEY,	keypop_parent_key },
	{ MSG_PARENT_CONF_END,	proc_parent_conf_end },
	{ MSG_PARENT_VERBOSE,	proc_parent_verbose },
};

static const struct proc_role keypop_role = {
	.setup = {
		.role = "keypop",
		.title = "keypop",
		.user = POPD_USER,
		.chroot = 1,
		.open = keypop_open,
		.sandbox = keypop_sandbox,
	},
	.self = PROC_KEY,
	.chan = &parent_chan,
	.usage = KEYPOP_USAGE "\n"
	    "keypop is started by popd with a listener: it sends it the "
	    "keys on its channel",
	.handlers = from_parent,
	.nhandlers = nitems(from_parent),
	.eof = keypop_parent_eof,
};

int
main(int argc, char *argv[])
{
	if (argc > 1 && strcmp(argv[1], "-c") == 0)
		keypop_check(argc, argv);
	proc_run(&keypop_role, argc, argv);
}
