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
 * pkicheck.c -- a pki's keypair checked for the parent, which reads the
 * files as root and parses none of them (popd/certs.c).  The parent
 * puts the certificate's bytes on fd 0 and the key's on fd 3 (sealed
 * anonymous files) and runs this at start, at each reload and when the
 * files change on disk; it becomes the listener's user in the empty
 * chroot, not dumpable, confined with no file and no network, and has
 * libtls try the pair (pki_check: a handshake with itself).  Its one
 * line on stdout is the verdict (pki.h), which the parent reads
 * strictly (pki_verdict):
 *	ok NOTAFTER SUBJECT
 *	bad REASON
 *
 * A program of its own, not a mode of authcheck: authcheck runs as
 * _pop3auth, the user of the password hashes, and a private key has
 * no business there; the keys belong to the listener's user, whose
 * keypop holds them.  It is not keypop either, which is long-lived and
 * needs no socket of its own.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <tls.h>
#include <unistd.h>

#include "log.h"
#include "pki.h"
#include "proc.h"
#include "proto.h"
#include "sandbox.h"
#include "version.h"

#define PKICHECK_KEYFD	3

static void	pkicheck_sandbox(void *);
static uint8_t	*pkicheck_read(int, size_t *);
static void	printable(char *);

static const struct proc_setup	check_setup = {
	.role = "pkicheck",
	.title = "pkicheck",
	.user = POPD_USER,
	.chroot = 1,
	.sandbox = pkicheck_sandbox,
};

int
main(int argc, char *argv[])
{
	struct pki_pair	 pp;
	struct pki_info	 info;
	const char	*protocols = NULL;
	char		 why[PKI_REASONMAX];
	int		 ch;

	while ((ch = getopt(argc, argv, "P:V")) != -1) {
		switch (ch) {
		case 'P':
			protocols = optarg;
			break;
		case 'V':
			printf("pkicheck (popd) %s\n", POPD_VERSION);
			exit(0);
		default:
			goto usage;
		}
	}
	if (optind != argc || protocols == NULL)
		goto usage;
	log_init(1, LOG_MAIL);
	log_procinit("");
	/* OpenSSL's configuration, read while there is a file system. */
	if (tls_init() == -1)
		fatalx("tls_init failed");
	proc_prologue(&check_setup);

	memset(&pp, 0, sizeof(pp));
	if ((pp.cert = pkicheck_read(STDIN_FILENO, &pp.certlen)) == NULL ||
	    (pp.key = pkicheck_read(PKICHECK_KEYFD, &pp.keylen)) == NULL)
		(void)snprintf(why, sizeof(why), "cannot read the pair: %s",
		    strerror(errno));
	else {
		/*
		 * libtls appends strerror(errno) to some of its messages:
		 * the words the parent's own check gave, not what the
		 * prologue left in errno.
		 */
		errno = 0;
		if (pki_check(&pp, protocols, &info, why, sizeof(why)) == 0) {
			printable(info.subject);
			printf("ok %lld %s\n", (long long)info.notafter,
			    info.subject);
			goto done;
		}
	}
	printable(why);
	printf("bad %s\n", why[0] != '\0' ? why : "no reason given");
 done:
	pki_free(&pp);
	if (fflush(stdout) == EOF || ferror(stdout))
		exit(1);
	exit(0);
 usage:
	fprintf(stderr, "usage: pkicheck -P protocols < cert 3< key\n"
	    "       pkicheck -V\n");
	exit(1);
}

/* No file, no network: a socketpair for its handshake with itself. */
static void
pkicheck_sandbox(void *arg)
{
	sandbox_pkicheck();
}

/* The whole of what fd holds, from its start: NULL with errno. */
static uint8_t *
pkicheck_read(int fd, size_t *lenp)
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

/* The verdict is one line of printable ASCII: '?' for any other byte. */
static void
printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}
