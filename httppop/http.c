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
 * http.c -- the request nginx's mail module sends its auth_http server, read
 * as strictly as what a client sends.  No state, I/O or logging, so that the
 * unit test and fuzzer reach every case.  Each call reads all bytes so far
 * from the start: a head is at most HTTP_MAXREQ and nginx writes it at once.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"

enum http_hdr {
	H_METHOD, H_USER, H_PASS, H_PROTOCOL, H_ATTEMPT, H_CLIENT
};
static const struct {
	const char	*name;
	int		 required;
} hdrs[] = {
	[H_METHOD] =	{ "Auth-Method", 1 },
	[H_USER] =	{ "Auth-User", 1 },
	[H_PASS] =	{ "Auth-Pass", 1 },
	[H_PROTOCOL] =	{ "Auth-Protocol", 1 },
	[H_ATTEMPT] =	{ "Auth-Login-Attempt", 0 },
	[H_CLIENT] =	{ "Client-IP", 1 },
};

static const char *const methods[] = {
	[HM_PLAIN] = "plain",
	[HM_LOGIN] = "login",
	[HM_APOP] = "apop",
	[HM_CRAMMD5] = "cram-md5",
	[HM_EXTERNAL] = "external",
	[HM_NONE] = "none",
};

static const char *const protocols[] = {
	[HP_POP3] = "pop3",
	[HP_IMAP] = "imap",
	[HP_SMTP] = "smtp",
};

static int __attribute__((__format__ (printf, 4, 5)))
refuse(struct http_req *r, char *why, size_t whylen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	explicit_bzero(r, sizeof(*r));
	return HTTP_BAD;
}

static int
word_eq(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A control byte in a name, or NUL, CR or LF in a password, sets *badchars:
 * the rule of POP3 logins too, as no POP3 command can carry them.  Every
 * escape is read, also past max.
 */
static int
decode(const char *v, size_t n, char *out, size_t max, int pass,
    int *toolong, int *badchars)
{
	size_t		i, o;
	int		hi, lo;
	unsigned char	c;

	for (i = 0, o = 0; i < n; i++, o++) {
		c = v[i];
		if (c == '%') {
			if (n - i < 3 || (hi = hexval(v[i + 1])) == -1 ||
			    (lo = hexval(v[i + 2])) == -1) {
				explicit_bzero(out, max + 1);
				return -1;
			}
			c = hi << 4 | lo;
			i += 2;
		}
		if (pass ? c == '\0' || c == '\r' || c == '\n' :
		    c < 0x20 || c == 0x7f)
			*badchars = 1;
		if (o < max)
			out[o] = c;
	}
	if (o > max) {
		explicit_bzero(out, max + 1);
		*toolong = 1;
	} else
		out[o] = '\0';
	return 0;
}

static int
client_ip(const char *v, size_t n, struct peeraddr *p)
{
	char		 text[INET6_ADDRSTRLEN];
	unsigned char	 a[16];

	if (n >= sizeof(text))
		return -1;
	memcpy(text, v, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, a) == 1)
		return peer_set(p, AF_INET, a, 0);
	if (inet_pton(AF_INET6, text, a) == 1)
		return peer_set(p, AF_INET6, a, 0);
	return -1;
}

static int
request_line(const char *l, size_t n)
{
	size_t	i;

	if (n < 4 || memcmp(l, "GET ", 4) != 0)
		return -1;
	for (i = 4; i < n && l[i] > ' ' && l[i] < 0x7f; i++)
		;
	if (i == 4 || n - i != 9 || (memcmp(l + i, " HTTP/1.0", 9) != 0 &&
	    memcmp(l + i, " HTTP/1.1", 9) != 0))
		return -1;
	return 0;
}

static int
header(const char *l, size_t n, int lineno, struct http_req *r,
    unsigned int *seen, char *why, size_t whylen)
{
	const char	*colon, *v;
	size_t		 vlen, i, h;

	if ((colon = memchr(l, ':', n)) == NULL)
		return refuse(r, why, whylen, "line %d: a header without ':'",
		    lineno);
	if (!http_token(l, colon - l))
		return refuse(r, why, whylen, "line %d: a header name that "
		    "is not a token", lineno);
	v = colon + 1;
	vlen = n - (v - l);
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;

	for (h = 0; h < nitems(hdrs); h++)
		if (word_eq(l, colon - l, hdrs[h].name))
			break;
	if (h == nitems(hdrs))
		return 0;
	if (*seen & (1U << h))
		return refuse(r, why, whylen, "line %d: %s given twice",
		    lineno, hdrs[h].name);
	*seen |= 1U << h;

	switch (h) {
	case H_METHOD:
		r->method = HM_OTHER;
		for (i = 0; i < nitems(methods); i++)
			if (word_eq(v, vlen, methods[i]))
				r->method = i;
		break;
	case H_PROTOCOL:
		for (i = 0; i < nitems(protocols); i++)
			if (word_eq(v, vlen, protocols[i]))
				break;
		if (i == nitems(protocols))
			return refuse(r, why, whylen, "line %d: "
			    "Auth-Protocol is not pop3, imap or smtp", lineno);
		r->protocol = i;
		break;
	case H_ATTEMPT:
		/* strtonum would take a sign and blanks. */
		for (i = 0; i < vlen && i < 4 && v[i] >= '0' && v[i] <= '9';
		    i++)
			r->attempt = r->attempt * 10 + v[i] - '0';
		if (vlen == 0 || i != vlen || r->attempt == 0)
			return refuse(r, why, whylen, "line %d: "
			    "Auth-Login-Attempt is not a number from 1 to "
			    "9999", lineno);
		break;
	case H_CLIENT:
		if (client_ip(v, vlen, &r->client) == -1)
			return refuse(r, why, whylen, "line %d: Client-IP is "
			    "not an IPv4 or IPv6 address", lineno);
		break;
	case H_USER:
	case H_PASS:
		if ((h == H_USER ? decode(v, vlen, r->user, POPD_MAXUSER, 0,
		    &r->usertoolong, &r->badchars) : decode(v, vlen, r->pass,
		    COMPAT_PASS_MAX, 1, &r->passtoolong, &r->badchars)) ==
		    -1)
			return refuse(r, why, whylen, "line %d: %s has a %% "
			    "not followed by two hex digits", lineno,
			    hdrs[h].name);
		break;
	}
	return 0;
}

/*
 * Not a string: a NUL is refused.  HTTP_BAD's why never holds bytes of the
 * user name or password.  *r is wiped unless HTTP_DONE.
 */
int
http_parse(const char *buf, size_t len, struct http_req *r, size_t *used,
    char *why, size_t whylen)
{
	size_t		 i, start = 0;
	unsigned int	 seen = 0;
	int		 lineno = 1, nhdrs = 0;
	size_t		 h;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < len && i < HTTP_MAXREQ; i++) {
		if (buf[i] != '\n') {
			if (i > start && buf[i - 1] == '\r')
				return refuse(r, why, whylen, "line %d: a CR "
				    "without LF", lineno);
			if (buf[i] == '\0')
				return refuse(r, why, whylen, "line %d: a NUL "
				    "byte", lineno);
			/* No room left for its LF. */
			if (i - start + 1 >= HTTP_MAXLINE)
				return refuse(r, why, whylen, "line %d: "
				    "longer than %d bytes", lineno,
				    HTTP_MAXLINE);
			continue;
		}
		if (i == start || buf[i - 1] != '\r')
			return refuse(r, why, whylen, "line %d: an LF without "
			    "CR", lineno);

		if (lineno == 1) {
			if (request_line(buf, i - 1) == -1)
				return refuse(r, why, whylen, "line 1: not "
				    "GET <path> HTTP/1.0");
		} else if (i - 1 == start) {
			for (h = 0; h < nitems(hdrs); h++)
				if (hdrs[h].required && !(seen & (1U << h)))
					return refuse(r, why, whylen, "no %s",
					    hdrs[h].name);
			if (!(seen & (1U << H_ATTEMPT)))
				r->attempt = 1;
			if (r->badchars) {
				explicit_bzero(r->user, sizeof(r->user));
				explicit_bzero(r->pass, sizeof(r->pass));
			}
			*used = i + 1;
			return HTTP_DONE;
		} else {
			if (++nhdrs > HTTP_MAXHDRS)
				return refuse(r, why, whylen, "more than %d "
				    "headers", HTTP_MAXHDRS);
			if (header(buf + start, i - 1 - start, lineno, r,
			    &seen, why, whylen) == HTTP_BAD)
				return HTTP_BAD;
		}
		start = i + 1;
		lineno++;
	}
	if (i < HTTP_MAXREQ) {
		explicit_bzero(r, sizeof(*r));
		return HTTP_MORE;
	}
	return refuse(r, why, whylen, "a head longer than %d bytes",
	    HTTP_MAXREQ);
}

size_t
http_bad(char *buf, size_t size)
{
	size_t	n;

	n = strlcpy(buf, "HTTP/1.0 400 Bad Request\r\nConnection: close\r\n"
	    "\r\n", size);
	return n < size ? n : 0;
}
