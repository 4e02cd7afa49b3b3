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
 * test_tabimage -- a table's image (common/tabimage.c): what authcheck
 * writes maps back to the same table, and every image a compromised
 * authcheck could make that breaks a bound is refused, the table left
 * empty: unsealed, a size not its header's, an offset or a record out
 * of it, an empty name or value, names out of order or twice.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "table.h"
#include "unit.h"

struct head {
	char		magic[8];
	uint32_t	n;
	uint32_t	size;
};

/* A file of no name holding len bytes of p, sealed if asked. */
static int
spool(const void *p, size_t len, int seal)
{
	int	fd;

	if ((fd = compat_spool_create("test_tabimage")) == -1 ||
	    write(fd, p, len) != (ssize_t)len ||
	    (seal && compat_spool_seal(fd) == -1)) {
		perror("spool");
		exit(2);
	}
	return fd;
}

/*
 * An image of n offsets and size bytes of records, its magic and size
 * as given (extra bytes after it), mapped: table_image_map's verdict,
 * the table left empty when it refuses.
 */
static int
image(const char *magic, uint32_t n, const uint32_t *off, const char *recs,
    uint32_t size, size_t extra, struct table *t)
{
	struct head	 h;
	char		 buf[256];
	size_t		 len;
	int		 fd, r;

	memset(buf, 0, sizeof(buf));
	memcpy(h.magic, magic, sizeof(h.magic));
	h.n = n;
	h.size = size;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), off, n * sizeof(*off));
	memcpy(buf + sizeof(h) + n * sizeof(*off), recs, size);
	len = sizeof(h) + n * sizeof(*off) + size + extra;
	fd = spool(buf, len, 1);
	r = table_image_map(fd, "test", t);
	close(fd);
	if (r == -1)
		CHECK(t->n == 0 && t->off == NULL && t->buf == NULL,
		    "a refused image leaves the table empty");
	return r;
}

#define M	"popdtab1"

static void
test_bounds(void)
{
	struct table	 t;
	uint32_t	 off0[] = { 0 }, off2[] = { 0, 4 }, off2r[] = { 4, 0 };

	/* The smallest good image, and an empty one. */
	CHECK_INT(image(M, 1, off0, "a\0b", 4, 0, &t), 0);
	CHECK_INT(t.n, 1);
	CHECK_STR(table_get(&t, "a"), "b");
	CHECK(table_get(&t, "b") == NULL, "b is no name");
	table_image_free(&t);
	CHECK(t.off == NULL && t.n == 0, "freed: empty");
	CHECK_INT(image(M, 0, off0, "", 0, 0, &t), 0);
	CHECK_INT(t.n, 0);
	table_image_free(&t);

	/* Its size is its header's, exactly; the magic is ours. */
	CHECK_INT(image(M, 1, off0, "a\0b", 4, 1, &t), -1);
	CHECK_INT(image(M, 1, off0, "a\0b", 3, 0, &t), -1);
	CHECK_INT(image("popdtab0", 1, off0, "a\0b", 4, 0, &t), -1);
	/* More records than the bytes can hold (4 a record at least). */
	CHECK_INT(image(M, 2, off2, "a\0b\0c\0d", 7, 0, &t), -1);
	/* The records end with a NUL. */
	CHECK_INT(image(M, 1, off0, "a\0bc", 4, 0, &t), -1);
	/* Offsets inside, each a name then a value inside. */
	{
		uint32_t	at[] = { 4 }, last[] = { 3 }, tail[] = { 2 };

		CHECK_INT(image(M, 1, at, "a\0b", 4, 0, &t), -1);
		CHECK_INT(image(M, 1, last, "a\0b", 4, 0, &t), -1);
		CHECK_INT(image(M, 1, tail, "a\0b", 4, 0, &t), -1);
	}
	/* No empty name, no empty value. */
	CHECK_INT(image(M, 1, off0, "\0ab", 4, 0, &t), -1);
	CHECK_INT(image(M, 1, off0, "a\0\0", 4, 0, &t), -1);
	/* Names strictly in order: none out of it, none twice. */
	CHECK_INT(image(M, 2, off2, "b\0x\0a\0y", 8, 0, &t), -1);
	CHECK_INT(image(M, 2, off2, "a\0x\0a\0y", 8, 0, &t), -1);
	CHECK_INT(image(M, 2, off2r, "b\0x\0a\0y", 8, 0, &t), 0);
	CHECK_STR(table_get(&t, "a"), "y");
	CHECK_STR(table_get(&t, "b"), "x");
	table_image_free(&t);
}

/* Not sealed, not a file, a header cut short: refused. */
static void
test_files(void)
{
	struct table	 t;
	struct head	 h;
	int		 fd, p[2];

	memcpy(h.magic, M, sizeof(h.magic));
	h.n = h.size = 0;
	fd = spool(&h, sizeof(h), 0);
	CHECK_INT(table_image_map(fd, "test", &t), -1);
	close(fd);
	fd = spool(&h, sizeof(h) - 1, 1);
	CHECK_INT(table_image_map(fd, "test", &t), -1);
	close(fd);
	fd = spool("", 0, 1);
	CHECK_INT(table_image_map(fd, "test", &t), 0);
	CHECK_INT(t.n, 0);
	close(fd);
	if (pipe(p) == -1) {
		perror("pipe");
		exit(2);
	}
	CHECK_INT(table_image_map(p[0], "test", &t), -1);
	close(p[0]);
	close(p[1]);
}

static void
rec(const void *arg, size_t i, const char **name, const char **value)
{
	*name = table_name(arg, i);
	*value = table_value(arg, i);
}

/* What authcheck writes of a loaded table maps back to the same. */
static void
test_roundtrip(void)
{
	char		 path[] = "/tmp/test_tabimage.XXXXXX";
	struct table	 t, m;
	size_t		 i;
	int		 fd, img;

	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, "zed 1:1:/z\nbob 2:2:/b\nalice 3:3:/a\n", 35) != 35) {
		perror(path);
		exit(2);
	}
	close(fd);
	CHECK_INT(table_load(path, TABLE_USERS, NULL, NULL, &t), 0);
	(void)unlink(path);
	img = spool("", 0, 0);
	CHECK_INT(table_image_write(dup(img), t.n, rec, &t), 0);
	CHECK_INT(table_image_map(img, "test", &m), 0);
	CHECK_INT(m.n, t.n);
	for (i = 0; i < t.n && i < m.n; i++) {
		CHECK_STR(table_name(&m, i), table_name(&t, i));
		CHECK_STR(table_value(&m, i), table_value(&t, i));
	}
	CHECK_STR(table_get(&m, "bob"), "2:2:/b");
	CHECK(table_find(&m, "carol") == -1, "carol is no name");
	/* Sealed: no one writes it again. */
	CHECK(write(img, "x", 1) == -1, "a write to a sealed image");
	table_image_free(&m);
	table_free(&t);
	close(img);
}

int
main(void)
{
	log_init(1, LOG_MAIL);
	test_bounds();
	test_files();
	test_roundtrip();
	return unit_done();
}
