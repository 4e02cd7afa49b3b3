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
 * fuzz_apppass -- libFuzzer target for app passwords' records
 * (common/apppass.c), which come from a file an admin edits and from a
 * database's answers: the whole input is split as a user's records
 * joined, each line is parsed as one record and read as a typed secret,
 * and the input is scanned as a file of them.  Every record that parses
 * must print back (apppass_format) to text that parses to the same
 * record and prints the same again; what is refused says why.
 *
 *	make regress/fuzz/fuzz_apppass &&
 *	    regress/fuzz/fuzz_apppass regress/fuzz/corpus_fuzz_apppass
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apppass.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char	symbols[] = "0123456789abcdefghjkmnpqrstvwxyz";

static void
why_said(const char *why, size_t len)
{
	if (memchr(why, '\0', len) == NULL || why[0] == '\0')
		abort();
}

static int
same(const struct apprec *a, const struct apprec *b)
{
	size_t	i;

	if (strcmp(a->label, b->label) != 0 || strcmp(a->hash, b->hash) != 0 ||
	    a->created != b->created || a->expires != b->expires ||
	    a->nnets != b->nnets)
		return 0;
	for (i = 0; i < a->nnets; i++)
		if (a->nets[i].af != b->nets[i].af ||
		    a->nets[i].bits != b->nets[i].bits ||
		    memcmp(a->nets[i].addr, b->nets[i].addr,
		    sizeof(a->nets[i].addr)) != 0)
			return 0;
	return 1;
}

/* A record that parsed: what the rest of popd may take for granted. */
static void
check_record(const struct apprec *r)
{
	struct apprec	 back;
	char		 text[APP_RECSMAX], again[APP_RECSMAX], why[160];

	if (strcmp(r->label, "main") == 0) {
		if (r->hash[0] != '\0' || r->nnets != 0 || r->created != 0)
			abort();
	} else if (!apppass_valid_label(r->label) ||
	    strlen(r->hash) != APP_HASHLEN ||
	    strncmp(r->hash, APP_HASHPFX, sizeof(APP_HASHPFX) - 1) != 0 ||
	    r->created <= 0 || r->expires < 0 || r->nnets > APP_MAXNETS)
		abort();
	if (apppass_format(r, text, sizeof(text)) == -1)
		abort();
	if (apppass_parse(text, &back, why, sizeof(why)) == -1 ||
	    !same(r, &back))
		abort();
	if (apppass_format(&back, again, sizeof(again)) == -1 ||
	    strcmp(text, again) != 0)
		abort();
	/* A record is found by its own hash. */
	if (r->hash[0] != '\0' && apppass_match(r, 1, r->hash) != 0)
		abort();
}

static void
one_line(const char *line)
{
	struct apprec	 r;
	char		 why[160], norm[APP_SECRETLEN + 1];
	char		 again[APP_SECRETLEN + 1];

	if (apppass_parse(line, &r, why, sizeof(why)) == 0)
		check_record(&r);
	else
		why_said(why, sizeof(why));
	if (apppass_shaped(line, norm) == 1) {
		if (strlen(norm) != APP_SECRETLEN ||
		    strspn(norm, symbols) != APP_SECRETLEN ||
		    apppass_shaped(norm, again) != 1 ||
		    strcmp(norm, again) != 0)
			abort();
	} else if (norm[0] != '\0')
		abort();
}

static int
scanned(void *arg, const char *user, const char *rec, size_t lineno)
{
	struct apprec	 r;
	char		 why[160];

	if (!valid_username(user) || strchr(rec, ',') != NULL ||
	    lineno == 0 || apppass_parse(rec, &r, why, sizeof(why)) == -1)
		abort();
	check_record(&r);
	++*(size_t *)arg;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct apprec recs[APP_MAXPERUSER];
	static int	 fd = -1;
	static char	 path[64];
	char		*buf, *line, *next, why[160];
	size_t		 i, j, n = 0;
	int		 got;

	if ((buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';

	/* The input up to a NUL as a database's answer for one user. */
	got = apppass_split(buf, recs, nitems(recs), why, sizeof(why));
	if (got == -1)
		why_said(why, sizeof(why));
	else if (got > (int)nitems(recs))
		abort();
	for (i = 0; got > 0 && i < (size_t)got; i++) {
		check_record(&recs[i]);
		for (j = 0; j < i; j++)
			if (strcmp(recs[i].label, recs[j].label) == 0)
				abort();
	}

	for (line = buf; line != NULL && line < buf + size; line = next) {
		if ((next = memchr(line, '\n', buf + size - line)) != NULL)
			*next++ = '\0';
		one_line(line);
	}
	free(buf);

	if (fd == -1) {
		if ((fd = memfd_create("fuzz_apppass", 0)) == -1)
			abort();
		(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	(void)apppass_scan(path, scanned, &n);
	return 0;
}
