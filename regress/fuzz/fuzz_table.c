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
 * fuzz_table -- libFuzzer target for the table parser (common/table.c):
 * each input is loaded as every kind of table (authtab, usertab, route,
 * quota users, junk users), and every entry of a table that loads is
 * checked and looked up again.  A junk users value (what a database
 * answers too) is also parsed on its own: refused with a reason, or
 * formatted back to the same setting.  The log functions are stubs that
 * still format every message, so bad format arguments show up under the
 * sanitizers.
 *
 *	make fuzz && regress/fuzz/fuzz_table -max_total_time=60
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <limits.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quotarule.h"
#include "settings.h"
#include "pwscheme.h"
#include "table.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Every entry is what the parser may let through, and is found again. */
/* A junk setting: refused with a reason, or read back the same. */
static void
check_junk(const char *v, int must)
{
	struct conf_junk	 j, back;
	char			 buf[JUNK_SPECMAX], err[JUNK_SPECMAX + 160];

	err[0] = '\0';
	if (junk_spec_parse(v, &j, err, sizeof(err)) == -1) {
		if (must || err[0] == '\0' || j.folder[0] != '\0' ||
		    j.tag != JUNK_TAG_NONE || j.subject[0] != '\0')
			abort();
		return;
	}
	if (!settings_junk_ok(&j) ||
	    junk_spec_format(&j, buf, sizeof(buf)) >= (int)sizeof(buf) ||
	    junk_spec_parse(buf, &back, NULL, 0) == -1 ||
	    memcmp(&j, &back, sizeof(j)) != 0)
		abort();
}

static void
check_table(const struct table *t, int kind)
{
	struct quota_limit lim;
	struct userinfo	 u;
	const char	*v;
	size_t		 i;

	for (i = 0; i < t->n; i++) {
		if (!valid_username(table_name(t, i)) ||
		    table_find(t, table_name(t, i)) != (ssize_t)i)
			abort();
		if (i > 0 && strcmp(table_name(t, i - 1), table_name(t, i)) >= 0)
			abort();
		v = table_value(t, i);
		/* A refused hash: the marker and a kind's name, never it. */
		if (kind == TABLE_AUTH && v[0] != '$' &&
		    (v[0] != TABLE_NOLOGIN || strlen(v) > 32))
			abort();
		if (kind == TABLE_ROUTES && !table_valid_route(v))
			abort();
		if (kind == TABLE_QUOTAS &&
		    quota_spec_parse(v, &lim, NULL, 0) == -1)
			abort();
		if (kind == TABLE_JUNK)
			check_junk(v, 1);
		if (kind != TABLE_USERS)
			continue;
		/* A line refused at load: its user alone, the marker alone. */
		if (v[0] == TABLE_NOLOGIN) {
			if (v[1] != '\0')
				abort();
			continue;
		}
		table_user(t, i, &u);
		if (u.uid == 0 || u.gid == 0 || u.path[0] != '/' ||
		    strstr(u.path, "/../") != NULL || strlen(u.path) >= PATH_MAX)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 fd = -1;
	static char	 path[64];
	struct table	 t;
	int		 kind;

	/* As authpop: authtab's hashes are checked. */
	table_hash_allowed = pwscheme_allowed;
	if (fd == -1) {
		if ((fd = memfd_create("fuzz_table", 0)) == -1)
			abort();
		(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();

	/* The input as one database answer. */
	if (size < JUNK_SPECMAX * 2) {
		char	v[JUNK_SPECMAX * 2];

		memcpy(v, data, size);
		v[size] = '\0';
		if (strlen(v) == size)
			check_junk(v, 0);
	}
	for (kind = TABLE_AUTH; kind <= TABLE_JUNK; kind++) {
		if (table_load(path, kind, NULL, NULL, &t) == -1) {
			if (t.n != 0 || t.buf != NULL || t.off != NULL)
				abort();
			continue;
		}
		check_table(&t, kind);
		table_free(&t);
	}
	return 0;
}
