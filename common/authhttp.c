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
 * authhttp.c -- nginx's auth_http header tokens and answer: no I/O, no state,
 * so the unit test and the fuzzer link it alone.
 */
#include <sys/types.h>

#include <string.h>

#include "authhttp.h"

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int
http_token(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!is_tchar(s[i]))
			return 0;
	return n > 0;
}

/*
 * 0 if it does not fit size or HTTP_MAXANSWER (nginx would wait for the rest),
 * or a CR or LF is in it, or a header is not "Name:...".
 */
size_t
http_answer(char *buf, size_t size, const char *status,
    const char *const *headers)
{
	size_t	len, i;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (strpbrk(status, "\r\n") != NULL)
		return 0;
	if (strlcat(buf, "HTTP/1.0 200 OK\r\nAuth-Status: ", size) >= size ||
	    strlcat(buf, status, size) >= size ||
	    strlcat(buf, "\r\n", size) >= size)
		goto fail;
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		if (strpbrk(headers[i], "\r\n") != NULL ||
		    !http_token(headers[i], strcspn(headers[i], ":")) ||
		    headers[i][strcspn(headers[i], ":")] != ':' ||
		    strlcat(buf, headers[i], size) >= size ||
		    strlcat(buf, "\r\n", size) >= size)
			goto fail;
	if ((len = strlcat(buf, "\r\n", size)) >= size || len > HTTP_MAXANSWER)
		goto fail;
	return len;
fail:
	buf[0] = '\0';
	return 0;
}
