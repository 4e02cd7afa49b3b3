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
 * fuzz_maildir -- libFuzzer target for the maildir naming rules
 * (store/maildir.c): file names in a maildir come from whoever can
 * deliver or rename files there (other MDAs, IMAP servers, the user),
 * and UIDLs taken from them must hold for ever.
 *
 * The input is one or two names split at the first NUL.  Checked for
 * the first name: its UIDL is 1 to UIDL_MAX characters in 0x21-0x7E and
 * stays the same in new/ and in cur/ with any flags; a size taken from
 * ",W=" is believable next to ",S="; the cur/ name of a seen message
 * keeps the unique name and has sorted flags without repeats, S among
 * them, and is its own seen name.  For the pair: maildir_namecmp is
 * antisymmetric and a name equals itself.
 *
 *	make fuzz && regress/fuzz/fuzz_maildir -max_total_time=60 \
 *	    /tmp/corpus regress/fuzz/corpus_maildir
 */
#include <sys/types.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maildir.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_uidl_chars(const char *u)
{
	size_t	i, n = strlen(u);

	if (n < 1 || n > UIDL_MAX)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)u[i] < 0x21 || (unsigned char)u[i] > 0x7e)
			abort();
}

/* The UIDL of "<dir>/<uniq><info>" is the UIDL of name. */
static void
check_uidl_moves(const char *uidl, const char *uniq, size_t n)
{
	static const char	*forms[] = { "new/%.*s", "cur/%.*s:2,S",
				    "cur/%.*s:2,FRS", "%.*s:1,x" };
	char			 name[PATH_MAX], u[UIDL_MAX + 1];
	size_t			 i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if ((size_t)snprintf(name, sizeof(name), forms[i], (int)n,
		    uniq) >= sizeof(name))
			continue;
		if (maildir_uidl(name, u, sizeof(u)) == -1 ||
		    strcmp(u, uidl) != 0)
			abort();
	}
}

static void
check_size(const char *name)
{
	off_t	v;

	v = maildir_namesize(name);
	if (v < -1 || v > 999999999999999999LL)
		abort();
	if (v >= 0 && strstr(name, ",W=") == NULL)
		abort();
}

/* maildir_seen_name of base: "cur/<uniq>..." with sorted flags. */
static void
check_seen(const char *base, size_t n)
{
	char		 out[PATH_MAX], again[PATH_MAX];
	char		 u1[UIDL_MAX + 1], u2[UIDL_MAX + 1];
	const char	*flags;
	size_t		 i;

	if (maildir_seen_name(base, out, sizeof(out)) == -1)
		return;
	if (strncmp(out, "cur/", 4) != 0 || strncmp(out + 4, base, n) != 0)
		abort();
	if (maildir_uidl(base, u1, sizeof(u1)) == -1 ||
	    maildir_uidl(out, u2, sizeof(u2)) == -1 || strcmp(u1, u2) != 0)
		abort();
	if (strncmp(out + 4 + n, ":2,", 3) == 0 &&
	    (base[n] == '\0' || strncmp(base + n, ":2,", 3) == 0) &&
	    strcmp(out + 4, base) != 0) {
		/* A "2," info we rewrote: sorted letters, unique, with S. */
		flags = out + 4 + n + 3;
		if (strchr(flags, 'S') == NULL)
			abort();
		for (i = 0; flags[i] != '\0'; i++)
			if (i > 0 && (unsigned char)flags[i - 1] >=
			    (unsigned char)flags[i])
				abort();
	}
	/* Seen already: the same name again. */
	if (maildir_seen_name(out + 4, again, sizeof(again)) == -1 ||
	    strcmp(again, out) != 0)
		abort();
}

static int
sign(int v)
{
	return v < 0 ? -1 : v > 0;
}

static void
check_order(const char *a, const char *b)
{
	if (maildir_namecmp(a, a) != 0 || maildir_namecmp(b, b) != 0)
		abort();
	if (sign(maildir_namecmp(a, b)) != -sign(maildir_namecmp(b, a)))
		abort();
	if (strcmp(a, b) != 0 && maildir_namecmp(a, b) == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*a, *b, *nul, uidl[UIDL_MAX + 1];
	const char	*base;
	size_t		 n;

	/* Exact-size copies: ASan sees any read past the name. */
	if ((a = malloc(size + 1)) == NULL)
		abort();
	memcpy(a, data, size);
	a[size] = '\0';
	nul = memchr(a, '\0', size + 1);
	if ((b = strdup(nul < a + size ? nul + 1 : "")) == NULL)
		abort();

	if (maildir_uidl(a, uidl, sizeof(uidl)) == -1)
		abort();
	check_uidl_chars(uidl);
	base = strrchr(a, '/') != NULL ? strrchr(a, '/') + 1 : a;
	n = strcspn(base, ":");
	check_uidl_moves(uidl, base, n);
	check_size(a);
	check_seen(base, n);
	check_order(a, b);

	free(a);
	free(b);
	return 0;
}
