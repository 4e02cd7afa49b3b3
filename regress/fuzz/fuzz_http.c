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
 * fuzz_http -- libFuzzer target for nginx's auth_http request as
 * httppop reads it (httppop/http.c): any bytes, as what came so far
 * from nginx.  A request found ends at the first CRLFCRLF, within the
 * input and HTTP_MAXREQ, holds no NUL, and its strings end within their
 * buffers (an overlong one is "", control bytes leave both ""); the
 * client is what peer_set makes.  Every prefix of a request found is
 * HTTP_MORE (a byte more never turns a good start bad); every longer
 * input than one refused is refused too.  Anything but HTTP_DONE leaves
 * the struct zero, and a refusal says why.  The answer built of the
 * input's lines holds no line of theirs and is never over
 * HTTP_MAXANSWER bytes.
 *
 *	make fuzz && regress/fuzz/fuzz_http -max_total_time=60
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../httppop/http.h"

#define FILL	0xa5

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
all_zero(const void *p, size_t n)
{
	const unsigned char	*b = p;
	size_t			 i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* A name's rule: no control byte; a password's: no CR or LF. */
static int
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int
has_crlf(const char *s)
{
	return strchr(s, '\r') != NULL || strchr(s, '\n') != NULL;
}

/* One parse of len bytes of buf, with every invariant checked. */
static int
parse(const char *buf, size_t len, struct http_req *r, size_t *used)
{
	char		 why[128];
	const char	*end;
	int		 rc;

	memset(r, FILL, sizeof(*r));
	memset(why, FILL, sizeof(why));
	*used = (size_t)-1;
	rc = http_parse(buf, len, r, used, why, sizeof(why));
	switch (rc) {
	case HTTP_DONE:
		if (*used < 4 || *used > len || *used > HTTP_MAXREQ ||
		    memcmp(buf + *used - 4, "\r\n\r\n", 4) != 0 ||
		    memchr(buf, '\0', *used) != NULL)
			abort();
		/* The first CRLFCRLF ends it. */
		end = memmem(buf, *used, "\r\n\r\n", 4);
		if (end != buf + *used - 4)
			abort();
		if (memchr(r->user, '\0', sizeof(r->user)) == NULL ||
		    memchr(r->pass, '\0', sizeof(r->pass)) == NULL)
			abort();
		if (r->method < HM_PLAIN || r->method > HM_OTHER ||
		    r->protocol < HP_POP3 || r->protocol > HP_SMTP ||
		    r->attempt < 1 || r->attempt > 9999 ||
		    (r->badchars != 0 && r->badchars != 1) ||
		    (r->usertoolong != 0 && r->usertoolong != 1) ||
		    (r->passtoolong != 0 && r->passtoolong != 1))
			abort();
		if ((r->usertoolong || r->badchars) && r->user[0] != '\0')
			abort();
		if ((r->passtoolong || r->badchars) && r->pass[0] != '\0')
			abort();
		if (has_ctl(r->user) || has_crlf(r->pass))
			abort();
		if ((r->client.af != AF_INET && r->client.af != AF_INET6) ||
		    r->client.port != 0 || !peer_valid(&r->client))
			abort();
		break;
	case HTTP_MORE:
		if (len >= HTTP_MAXREQ || !all_zero(r, sizeof(*r)))
			abort();
		break;
	case HTTP_BAD:
		if (!all_zero(r, sizeof(*r)) ||
		    memchr(why, '\0', sizeof(why)) == NULL || why[0] == '\0')
			abort();
		break;
	default:
		abort();
	}
	return rc;
}

/* The input's first lines as the status and headers of an answer. */
static void
check_answer(const uint8_t *data, size_t size)
{
	static char	 text[8192], buf[HTTP_MAXANSWER + 512];
	const char	*hdrs[9];
	char		*p, *nl;
	size_t		 n, i, nh = 0;

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	/* Lines cut at '|', so that a CR or LF may stay in one. */
	for (p = text; nh < nitems(hdrs) - 1 && (nl = strchr(p, '|')) != NULL;
	    p = nl + 1) {
		*nl = '\0';
		hdrs[nh++] = p;
	}
	hdrs[nh] = NULL;
	n = http_answer(buf, sizeof(buf), p, hdrs);
	if (n == 0) {
		if (buf[0] != '\0')
			abort();
		return;
	}
	if (n > HTTP_MAXANSWER || n != strlen(buf) ||
	    strncmp(buf, "HTTP/1.0 200 OK\r\nAuth-Status: ", 30) != 0 ||
	    strcmp(buf + n - 4, "\r\n\r\n") != 0 ||
	    strpbrk(p, "\r\n") != NULL)
		abort();
	/* Exactly 2 + nh lines of ours, and the empty one. */
	for (i = 0, p = buf; (nl = strstr(p, "\r\n")) != NULL; p = nl + 2)
		i++;
	if (i != 3 + nh)
		abort();
	for (i = 0; i < nh; i++)
		if (strpbrk(hdrs[i], "\r\n") != NULL || strstr(buf, hdrs[i]) ==
		    NULL)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_req	 r, r2;
	const char		*buf = (const char *)data;
	size_t			 used, used2, cut;
	int			 rc, rc2;

	check_answer(data, size);
	rc = parse(buf, size, &r, &used);

	/* A few prefixes, as nginx's bytes may come in pieces. */
	for (cut = size / 3; cut < size; cut += size / 3 + 1) {
		rc2 = parse(buf, cut, &r2, &used2);
		if (rc == HTTP_DONE && cut < used && rc2 != HTTP_MORE)
			abort();
		if (rc2 == HTTP_DONE && (rc != HTTP_DONE || used2 != used ||
		    memcmp(&r, &r2, sizeof(r)) != 0))
			abort();
		if (rc2 == HTTP_BAD && rc != HTTP_BAD)
			abort();
	}
	if (rc == HTTP_DONE) {
		if (parse(buf, used - 1, &r2, &used2) != HTTP_MORE)
			abort();
		if (parse(buf, used, &r2, &used2) != HTTP_DONE ||
		    memcmp(&r, &r2, sizeof(r)) != 0)
			abort();
	}
	return 0;
}
