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
 * kept.c -- "<time>[+<folder>].<uidl>.<unique name>" in KEPT_DIR: the
 * one rename(2) that removes a message also records when and with which
 * UIDL, so there is no index to keep in step and a kill -9 leaves
 * nothing half done.  <uidl> is "-" when the unique name gives it.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kept.h"
#include "maildir.h"

#define KEPT_TIMEMAX	(1LL << 40)

struct walk {
	int		(*cb)(void *, const char *, const struct kept *);
	void		 *arg;
};

struct sweep {
	int		  dirfd;
	long long	  before;
	struct kept_sum	 *sum;
};

static void
kept_code(const char *s, char *out)
{
	for (; *s != '\0'; s++) {
		if (*s == '%' || *s == '.' || *s == '/')
			out += snprintf(out, 4, "%%%02X", *s);
		else
			*out++ = *s;
	}
	*out = '\0';
}

static int
kept_decode(const char *code, const char *end, char *out, size_t len)
{
	char	*u = out;

	for (; code < end; code++) {
		if ((size_t)(u - out) + 1 >= len || *code == '/')
			return -1;	/* not from kept_code */
		if (*code != '%')
			*u++ = *code;
		else if (strncmp(code, "%25", 3) == 0 ||
		    strncmp(code, "%2E", 3) == 0 ||
		    strncmp(code, "%2F", 3) == 0) {
			*u++ = code[2] == '5' ? '%' : code[2] == 'E' ? '.' :
			    '/';
			code += 2;
		} else
			return -1;
	}
	*u = '\0';
	return u - out;
}

int
kept_name(const char *name, const char *uidl, const char *folder,
    long long t, char *out, size_t len)
{
	const char	*base = strrchr(name, '/');
	char		 own[UIDL_MAX + 1], code[3 * UIDL_MAX + 1];
	char		 fcode[1 + 3 * CONF_FOLDERLEN] = "";
	size_t		 n;
	int		 r;

	base = base == NULL ? name : base + 1;
	n = strcspn(base, ":");
	if (folder == NULL)
		folder = "";
	if (n == 0 || t < 0 || t > KEPT_TIMEMAX || strlen(uidl) > UIDL_MAX ||
	    (folder[0] != '\0' && !settings_folder_ok(folder))) {
		errno = EINVAL;
		return -1;
	}
	if (maildir_uidl(base, own, sizeof(own)) == 0 &&
	    strcmp(own, uidl) == 0)
		(void)strlcpy(code, "-", sizeof(code));
	else
		kept_code(uidl, code);
	if (folder[0] != '\0') {
		fcode[0] = '+';
		kept_code(folder, fcode + 1);
	}
	r = snprintf(out, len, "%lld%s.%s.%.*s", t, fcode, code, (int)n,
	    base);
	if (r < 0 || (size_t)r >= len || r > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
kept_parse(const char *fname, struct kept *k)
{
	const char	*p, *code, *uniq, *errstr;
	char		 num[16];
	size_t		 n;
	int		 r;

	memset(k, 0, sizeof(*k));
	n = strspn(fname, "0123456789");
	if (n == 0 || n >= sizeof(num) || (fname[0] == '0' && n > 1) ||
	    (fname[n] != '.' && fname[n] != '+'))
		return -1;
	memcpy(num, fname, n);
	num[n] = '\0';
	k->time = strtonum(num, 0, KEPT_TIMEMAX, &errstr);
	if (errstr != NULL)
		return -1;
	code = fname + n + 1;
	if (fname[n] == '+') {
		if ((p = strchr(code, '.')) == NULL ||
		    kept_decode(code, p, k->folder, sizeof(k->folder)) <= 0 ||
		    !settings_folder_ok(k->folder))
			return -1;
		code = p + 1;
	}
	if ((p = strchr(code, '.')) == NULL || p == code)
		return -1;
	uniq = p + 1;
	n = strlen(uniq);
	if (n == 0 || n > NAME_MAX || uniq[0] == '.' ||
	    strpbrk(uniq, ":/") != NULL)
		return -1;
	memcpy(k->uniq, uniq, n + 1);
	if (p - code == 1 && code[0] == '-')
		return maildir_uidl(k->uniq, k->uidl, sizeof(k->uidl));
	if ((r = kept_decode(code, p, k->uidl, sizeof(k->uidl))) == -1)
		return -1;
	return maildir_uidl_ok(k->uidl, r) ? 0 : -1;
}

static int
walk_one(void *arg, const char *fname)
{
	struct walk	*w = arg;
	struct kept	 k;

	if (kept_parse(fname, &k) == -1)
		return 0;
	return w->cb(w->arg, fname, &k);
}

/* Names that are not ours are left alone.  ENOENT: nothing ever kept. */
int
kept_walk(int dirfd, int (*cb)(void *, const char *, const struct kept *),
    void *arg)
{
	struct walk	w = { cb, arg };

	return maildir_readdir(dirfd, KEPT_DIR, walk_one, &w);
}

off_t
kept_size(int dirfd, const char *fname, const struct kept *k)
{
	char	rel[sizeof(KEPT_DIR) + NAME_MAX + 1];

	(void)snprintf(rel, sizeof(rel), "%s/%s", KEPT_DIR, fname);
	return maildir_quotasize(dirfd, rel, k->uniq);
}

static int
sweep_one(void *arg, const char *fname, const struct kept *k)
{
	struct sweep	*s = arg;
	char		 rel[sizeof(KEPT_DIR) + NAME_MAX + 1];
	off_t		 size;

	if ((size = kept_size(s->dirfd, fname, k)) == -1)
		return 0;
	(void)snprintf(rel, sizeof(rel), "%s/%s", KEPT_DIR, fname);
	if (k->time < s->before && unlinkat(s->dirfd, rel, 0) == 0) {
		s->sum->swept++;
		s->sum->sweptbytes += size;
	} else {
		s->sum->n++;
		s->sum->bytes += size;
	}
	return 0;
}

/*
 * Only with the maildrop locked: an undelete must not find a message
 * gone between its look and its rename.
 */
int
kept_sweep(int dirfd, long long before, struct kept_sum *sum)
{
	struct sweep	s = { dirfd, before, sum };

	memset(sum, 0, sizeof(*sum));
	return kept_walk(dirfd, sweep_one, &s);
}
