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
 * tabimage.c -- a table as one sealed memfd, written by authcheck and mapped by
 * authpop, which parses no file.  A header, the records' offsets by name (4
 * bytes each), the records ("name\0value\0"); nothing else.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "table.h"

#define IMAGE_MAGIC	"popdtab1"
#ifdef F_GET_SEALS
#define IMAGE_SEALS	(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)
#endif

struct image_head {
	char		magic[8];
	uint32_t	n;		/* records */
	uint32_t	size;		/* their bytes */
};

/* -1 if it could not be sealed (logged). */
int
table_image_write(int fd, size_t n, table_rec_fn rec, const void *arg)
{
	struct image_head	 h;
	FILE			*fp;
	const char		*name, *value;
	uint64_t		 size = 0;
	uint32_t		 off;
	size_t			 i;

	for (i = 0; i < n; i++) {
		rec(arg, i, &name, &value);
		size += strlen(name) + 1 + strlen(value) + 1;
	}
	if (size > UINT32_MAX) {
		log_warnx("%s: the table is larger than an image", __func__);
		return -1;
	}
	memcpy(h.magic, IMAGE_MAGIC, sizeof(h.magic));
	h.n = n;
	h.size = size;
	if ((fp = fdopen(fd, "w")) == NULL) {
		log_warn("%s: fdopen", __func__);
		return -1;
	}
	(void)fwrite(&h, sizeof(h), 1, fp);
	for (i = 0, off = 0; i < n; i++) {
		(void)fwrite(&off, sizeof(off), 1, fp);
		rec(arg, i, &name, &value);
		off += strlen(name) + 1 + strlen(value) + 1;
	}
	for (i = 0; i < n; i++) {
		rec(arg, i, &name, &value);
		(void)fwrite(name, strlen(name) + 1, 1, fp);
		(void)fwrite(value, strlen(value) + 1, 1, fp);
	}
	if (fflush(fp) == EOF || ferror(fp) || compat_spool_seal(fd) == -1 ||
	    fclose(fp) == EOF) {
		log_warn("%s", __func__);
		return -1;
	}
	return 0;
}

/*
 * Checked as a compromised process's work: sealed, offsets and records inside,
 * NUL-terminated, names strictly in order for table_find's binary search.
 */
int
table_image_map(int fd, const char *what, struct table *t)
{
	struct image_head	 h;
	struct stat		 sb;
	const char		*map, *buf, *why = "its size is not its header's";
	size_t			 i, len;
#ifdef F_GET_SEALS
	int			 seals;
#endif

	memset(t, 0, sizeof(*t));
	if (fstat(fd, &sb) == -1) {
		log_warn("%s: image", what);
		return -1;
	}
	/*
	 * Without seals (OpenBSD) authcheck has ended: the parent alone holds
	 * it.
	 */
#ifdef F_GET_SEALS
	if ((seals = fcntl(fd, F_GET_SEALS)) == -1 ||
	    (seals & IMAGE_SEALS) != IMAGE_SEALS) {
		why = "not sealed";
		goto bad;
	}
#endif
	if (!S_ISREG(sb.st_mode)) {
		why = "not a file";
		goto bad;
	}
	if (sb.st_size == 0)
		return 0;
	/* Nor more than a size_t holds (32 bits): mmap would map less. */
	if ((uint64_t)sb.st_size < sizeof(h) ||
	    (uint64_t)sb.st_size > sizeof(h) + 2 * (uint64_t)UINT32_MAX ||
	    (off_t)(size_t)sb.st_size != sb.st_size)
		goto bad;
	if ((map = mmap(NULL, sb.st_size, PROT_READ, MAP_SHARED, fd, 0)) ==
	    MAP_FAILED) {
		log_warn("%s: image: mmap", what);
		return -1;
	}
	memcpy(&h, map, sizeof(h));
	t->off = (uint32_t *)(map + sizeof(h));
	t->offsz = sb.st_size;
	if (memcmp(h.magic, IMAGE_MAGIC, sizeof(h.magic)) != 0 ||
	    h.n > h.size / 4 || sizeof(h) + (uint64_t)h.n * 4 + h.size !=
	    (uint64_t)sb.st_size)
		goto bad;
	buf = t->buf = (char *)t->off + (size_t)h.n * sizeof(*t->off);
	why = "a record out of it";
	if (h.size > 0 && buf[h.size - 1] != '\0')
		goto bad;
	for (i = 0; i < h.n; i++) {
		/* buf's last byte is NUL: each string ends inside it. */
		if (t->off[i] >= h.size ||
		    (len = strlen(buf + t->off[i])) == 0 ||
		    len + 2 > h.size - t->off[i] ||
		    buf[t->off[i] + len + 1] == '\0')
			goto bad;
		why = "names out of order, or one twice";
		if (i > 0 && strcmp(buf + t->off[i - 1], buf + t->off[i]) >= 0)
			goto bad;
		why = "a record out of it";
	}
	t->n = h.n;
	t->bufsz = h.size;
	return 0;
 bad:
	log_warnx("%s: image: %s", what, why);
	table_image_free(t);
	return -1;
}

void
table_image_free(struct table *t)
{
	if (t->off != NULL && munmap((char *)t->off - sizeof(struct
	    image_head), t->offsz) == -1)
		fatal("%s: munmap", __func__);
	memset(t, 0, sizeof(*t));
}
