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
 * fuzz_passwdfile -- libFuzzer target for Dovecot's passwd-file as popd
 * reads it (common/table.c): each line is cut by table_parse_passwd and
 * made a usertab value, and the whole input is loaded as the hashes,
 * the user info and the quotas; every entry that loads is checked as
 * the rest of popd would take it.  The log functions are stubs that
 * still format every message.
 *
 *	make regress/fuzz/fuzz_passwdfile &&
 *	    regress/fuzz/fuzz_passwdfile regress/fuzz/corpus_fuzz_passwdfile
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <limits.h>
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

/*
 * Inside [buf, buf + len]: the parser cuts in place and copies nothing
 * (a field the line lacks is an empty string of its own).
 */
static void
within(const char *p, const char *buf, size_t len)
{
	if (p != NULL && p[0] != '\0' && (p < buf || p > buf + len))
		abort();
}

static void
one_line(char *line, size_t len)
{
	struct passwdline pl;
	struct userinfo	 ui;
	char		 why[160], val[PATH_MAX + 64], *p;

	if (table_parse_passwd(line, &pl, table_quota_rule, why,
	    sizeof(why)) == -1) {
		if (memchr(why, '\0', sizeof(why)) == NULL)
			abort();
		return;
	}
	if (pl.name[0] == '\0')
		abort();
	within(pl.name, line, len);
	within(pl.pass, line, len);
	within(pl.mail, line, len);
	within(pl.ignored_key, line, len);
	if (pl.ignored > 0 && pl.ignored_key == NULL)
		abort();
	if (pl.bytes > INT64_MAX || pl.msgs > INT64_MAX)
		abort();
	if (table_passwd_user(&pl, val, sizeof(val), why, sizeof(why)) == -1)
		return;
	/* What table_user reads back: the ids, then '=' and a maildir. */
	if ((p = strchr(val, ':')) == NULL || (p = strchr(p + 1, ':')) == NULL)
		abort();
	if (p[1] == '=')
		memmove(p + 1, p + 2, strlen(p + 2) + 1);
	if (table_parse_user(val, &ui, why, sizeof(why)) != 0 ||
	    ui.uid == 0 || ui.gid == 0 || ui.path[0] != '/')
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
		v = table_value(t, i);
		/* A refused hash: the marker and a kind's name, never it. */
		if (kind == TABLE_AUTH && (v[0] == TABLE_NOLOGIN ?
		    strlen(v) > 32 : pwscheme_allowed(v, 1, NULL, NULL, 0) ==
		    -1))
			abort();
		if (kind == TABLE_QUOTAS &&
		    quota_spec_parse(v, &lim, NULL, 0) == -1)
			abort();
		if (kind != TABLE_USERS)
			continue;
		/* A name twice: its user alone, the marker alone. */
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
	char		*buf, *line, *next;
	int		 kind;

	if ((buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (line = buf; line != NULL && line < buf + size; line = next) {
		if ((next = memchr(line, '\n', buf + size - line)) != NULL)
			*next++ = '\0';
		one_line(line, strlen(line));
	}
	free(buf);

	/* As authpop: authtab's hashes are checked. */
	table_hash_allowed = pwscheme_allowed;
	if (fd == -1) {
		if ((fd = memfd_create("fuzz_passwdfile", 0)) == -1)
			abort();
		(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	for (kind = TABLE_AUTH; kind <= TABLE_QUOTAS; kind++) {
		if (table_load(path, kind | TABLE_PASSWD, NULL, NULL, &t) ==
		    -1) {
			if (t.n != 0 || t.buf != NULL || t.off != NULL)
				abort();
			continue;
		}
		if (kind == TABLE_ROUTES)
			abort();
		check_table(&t, kind);
		table_free(&t);
	}
	return 0;
}
