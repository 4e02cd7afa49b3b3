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
 * pki.c -- keypairs: the parent reads the files into sealed memfds and keypop
 * -c checks them, so the parent parses no certificate nor key, and a pair
 * changed on disk never reaches a listener unchecked.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "util.h"
#include "log.h"
#include "proto.h"
#include "pki.h"

/* open_regular(): a FIFO must not hang the parent.  freezero(): a key. */
static uint8_t *
pki_load(const char *path, size_t *lenp, char *why, size_t whylen)
{
	struct stat	 st;
	uint8_t		*buf;
	const char	*errstr;
	int		 fd;

	if ((fd = open_regular(path, &errstr)) == -1) {
		(void)snprintf(why, whylen, "%s: %s", path, errstr);
		return NULL;
	}
	if (fstat(fd, &st) == -1)
		goto fail;
	if (st.st_size == 0 || st.st_size > PKI_MAXFILE) {
		(void)snprintf(why, whylen, "%s: %lld bytes (1 to %d)", path,
		    (long long)st.st_size, PKI_MAXFILE);
		close(fd);
		return NULL;
	}
	if ((buf = malloc(st.st_size)) == NULL)
		goto fail;
	/* A file cut short meanwhile is an error (EIO): its change comes. */
	if (pki_pread(fd, buf, st.st_size, 0) == -1) {
		freezero(buf, st.st_size);
		goto fail;
	}
	close(fd);
	*lenp = st.st_size;
	return buf;
 fail:
	(void)snprintf(why, whylen, "%s: %s", path, strerror(errno));
	close(fd);
	return NULL;
}

int
pki_read(const char *cert, const char *key, struct pki_pair *pp, char *why,
    size_t whylen)
{
	memset(pp, 0, sizeof(*pp));
	if ((pp->cert = pki_load(cert, &pp->certlen, why, whylen)) == NULL ||
	    (pp->key = pki_load(key, &pp->keylen, why, whylen)) == NULL) {
		pki_free(pp);
		return -1;
	}
	return 0;
}

void
pki_free(struct pki_pair *pp)
{
	freezero(pp->cert, pp->certlen);
	freezero(pp->key, pp->keylen);
	memset(pp, 0, sizeof(*pp));
}

/* Sealed where the system can: listener and keypop read what was checked. */
int
pki_memfd(const uint8_t *buf, size_t len)
{
	int	fd, saved;

	if ((fd = compat_spool_create("popd pki")) == -1)
		return -1;
	if (write_all(fd, buf, len) == -1 || compat_spool_seal(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
pki_pread(int fd, uint8_t *buf, size_t n, off_t off)
{
	ssize_t	r;

	while (n > 0) {
		if ((r = pread(fd, buf, n, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		buf += r;
		off += r;
		n -= r;
	}
	return 0;
}

/* Mapped, not read: fd's offset is the parent's. */
int
pki_recv(int fd, uint32_t certlen, struct pki_pair *pp)
{
	struct stat	 st;
	void		*map = MAP_FAILED;
	int		 saved;

	memset(pp, 0, sizeof(*pp));
	if (fstat(fd, &st) == -1)
		goto fail;
	if (st.st_size != (off_t)certlen) {
		errno = EINVAL;
		goto fail;
	}
	if ((map = mmap(NULL, certlen, PROT_READ, MAP_PRIVATE, fd, 0)) ==
	    MAP_FAILED || (pp->cert = malloc(certlen)) == NULL)
		goto fail;
	memcpy(pp->cert, map, certlen);
	pp->certlen = certlen;
	(void)munmap(map, certlen);
	close(fd);
	return 0;
 fail:
	saved = errno;
	if (map != MAP_FAILED)
		(void)munmap(map, certlen);
	close(fd);
	errno = saved;
	return -1;
}

/* Read strictly: a process that parsed what the parent will not wrote it. */
int
pki_verdict(const uint8_t *buf, size_t len, struct pki_info *info,
    char *why, size_t whylen)
{
	char		 line[PKI_VERDICTMAX], *serial, *fp, *sp, *p;
	const char	*errstr;
	long long	 t;
	size_t		 i;

	memset(info, 0, sizeof(*info));
	if (len == 0 || len > sizeof(line) || buf[len - 1] != '\n')
		goto garbage;
	for (i = 0; i < len - 1; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			goto garbage;
	memcpy(line, buf, len - 1);
	line[len - 1] = '\0';
	if (strncmp(line, "bad ", 4) == 0 && line[4] != '\0' &&
	    strlen(line + 4) < PKI_REASONMAX) {
		(void)strlcpy(why, line + 4, whylen);
		return 1;
	}
	if (strncmp(line, "ok ", 3) != 0 ||
	    (serial = strchr(line + 3, ' ')) == NULL)
		goto garbage;
	*serial++ = '\0';
	if ((fp = strchr(serial, ' ')) == NULL)
		goto garbage;
	*fp++ = '\0';
	if ((sp = strchr(fp, ' ')) == NULL)
		goto garbage;
	*sp++ = '\0';
	/* Digits and a minus alone: strtonum would skip spaces, take '+'. */
	p = line + 3 + (line[3] == '-');
	if (*p == '\0' || strspn(p, "0123456789") != strlen(p))
		goto garbage;
	t = strtonum(line + 3, PKI_MINTIME, PKI_MAXTIME, &errstr);
	if (errstr != NULL || strlen(sp) >= sizeof(info->subject))
		goto garbage;
	if (*serial == '\0' || strlen(serial) >= sizeof(info->serial) ||
	    strspn(serial, "-.0123456789ABCDEF") != strlen(serial))
		goto garbage;
	if (strlen(fp) != PKI_SHA256LEN ||
	    strspn(fp, "0123456789ABCDEF") != PKI_SHA256LEN)
		goto garbage;
	info->notafter = t;
	(void)strlcpy(info->subject, sp, sizeof(info->subject));
	(void)strlcpy(info->serial, serial, sizeof(info->serial));
	(void)strlcpy(info->sha256, fp, sizeof(info->sha256));
	return 0;
 garbage:
	if (len == 0)
		(void)snprintf(why, whylen, "nothing");
	else
		(void)snprintf(why, whylen, "%zu byte%s that %s no verdict",
		    len, len == 1 ? "" : "s", len == 1 ? "is" : "are");
	return -1;
}
