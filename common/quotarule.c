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

/* quotarule.c -- a quota's limit as popd.conf and the quota tables write it. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "quotarule.h"
#include "settings.h"

/*
 * K, M, G or T are powers of 1024, as Dovecot's quota_rule reads them.  -1 if
 * over 2^63 bytes.
 */
static int
parse_size(const char *s, uint64_t *v)
{
	const char	*p = s;
	uint64_t	 n = 0;
	int		 shift = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - (*p - '0')) / 10)
			return -1;
		n = n * 10 + (*p - '0');
	}
	switch (*p) {
	case 'k': case 'K': shift = 10; p++; break;
	case 'm': case 'M': shift = 20; p++; break;
	case 'g': case 'G': shift = 30; p++; break;
	case 't': case 'T': shift = 40; p++; break;
	}
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p != '\0' || n > ((uint64_t)INT64_MAX >> shift))
		return -1;
	*v = n << shift;
	return 0;
}

int
quota_spec_parse(const char *spec, struct quota_limit *lim, char *err,
    size_t errlen)
{
	char		 buf[128], *w[4], *p, *last;
	uint64_t	 v;
	int		 n = 0, i = 0;

	memset(lim, 0, sizeof(*lim));
	if (strlcpy(buf, spec, sizeof(buf)) >= sizeof(buf))
		return spec_err(err, errlen, "\"%.20s...\": too long", spec);
	for (p = strtok_r(buf, " \t", &last); p != NULL;
	    p = strtok_r(NULL, " \t", &last)) {
		if (n == 4)
			goto bad;
		w[n++] = p;
	}
	if (n == 1 && (strcmp(w[0], "none") == 0 || strcmp(w[0], "0") == 0))
		return 0;
	if (n == 1 && strcmp(w[0], "messages") == 0)
		return spec_err(err, errlen, "messages: a number must follow");
	if (n == 1 || n == 3) {
		if (parse_size(w[0], &v) == -1)
			return spec_err(err, errlen, "\"%s\": not a size (a number, "
			    "and K, M, G or T; at most 8388607T)", w[0]);
		if (v == 0)
			goto bad;
		lim->bytes = v;
		i = 1;
	}
	if (n - i == 2 && strcmp(w[i], "messages") == 0) {
		if (parse_size(w[i + 1], &v) == -1 || v == 0 ||
		    strspn(w[i + 1], "0123456789") != strlen(w[i + 1])) {
			memset(lim, 0, sizeof(*lim));
			return spec_err(err, errlen, "messages \"%s\": not a "
			    "number of messages above 0", w[i + 1]);
		}
		lim->msgs = v;
		i += 2;
	}
	if (i == n && n > 0)
		return 0;
 bad:
	memset(lim, 0, sizeof(*lim));
	return spec_err(err, errlen, "\"%s\": must be SIZE [messages N], "
	    "messages N, or none", spec);
}

int
quota_spec_format(const struct quota_limit *lim, char *buf, size_t len)
{
	static const char	 units[] = "KMGT";
	uint64_t		 b = lim->bytes;
	char			 size[32] = "";
	int			 u = -1;

	if (b == 0 && lim->msgs == 0)
		return snprintf(buf, len, "none");
	while (b != 0 && b % 1024 == 0 && u < 3) {
		b /= 1024;
		u++;
	}
	if (lim->bytes != 0)
		(void)snprintf(size, sizeof(size), "%llu%.*s",
		    (unsigned long long)b, u >= 0 ? 1 : 0,
		    u >= 0 ? units + u : "");
	if (lim->msgs == 0)
		return snprintf(buf, len, "%s", size);
	return snprintf(buf, len, "%s%smessages %llu", size,
	    size[0] != '\0' ? " " : "", (unsigned long long)lim->msgs);
}
