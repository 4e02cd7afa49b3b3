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
 * test_http -- nginx's mail auth_http request as authpop reads it and
 * the answers it writes (httppop/http.c): the requests nginx 1.22 sends
 * byte for byte, for each method and protocol, fed whole and a byte at
 * a time; every limit at its edge (the head, a line, the headers);
 * every malformed request refused without the user's or password's
 * bytes in the reason and without the password left in the struct;
 * percent-decoding, control bytes and overlong names and passwords;
 * Client-IP as IPv4, IPv6 and IPv4-mapped; the answers as nginx reads
 * them, never over 1,024 bytes, never with a CR or LF of their own.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../httppop/http.h"
#include "unit.h"

/* What nginx 1.22 sends for USER alice / PASS "s%cr t" over POP3. */
#define NGINX_POP3							\
	"GET /auth HTTP/1.0\r\n"					\
	"Host: localhost\r\n"						\
	"Auth-Method: plain\r\n"					\
	"Auth-User: alice\r\n"						\
	"Auth-Pass: s%25cr%20t\r\n"					\
	"Auth-Protocol: pop3\r\n"					\
	"Auth-Login-Attempt: 1\r\n"					\
	"Client-IP: 127.0.0.1\r\n"					\
	"Client-Host: [UNAVAILABLE]\r\n"				\
	"\r\n"

#define REQLINE		"GET /auth HTTP/1.0\r\n"
/* The required headers but Client-IP and Auth-User, as nginx orders them. */
#define METHOD		"Auth-Method: plain\r\n"
#define USER		"Auth-User: alice\r\n"
#define PASS		"Auth-Pass: secret\r\n"
#define PROTO		"Auth-Protocol: pop3\r\n"
#define CLIENT		"Client-IP: 192.0.2.1\r\n"
#define SECRET		"Zq9!x"		/* a password no reason may hold */

static struct http_req	req;
static char		why[256];
static size_t		used;

static int
parse_len(const char *buf, size_t len)
{
	used = (size_t)-1;
	memset(why, 0, sizeof(why));
	memset(&req, 0xa5, sizeof(req));
	return http_parse(buf, len, &req, &used, why, sizeof(why));
}

static int
parse(const char *buf)
{
	return parse_len(buf, strlen(buf));
}

/* A request of the required headers with one line replaced or added. */
static int
parse_with(const char *hdrs)
{
	static char	buf[8192];

	(void)snprintf(buf, sizeof(buf), REQLINE "%s\r\n", hdrs);
	return parse(buf);
}

/* Nothing of the password is left in the struct: all zero. */
static int
wiped(void)
{
	static const struct http_req	zero;

	return memcmp(&req, &zero, sizeof(req)) == 0;
}

static void
bad(const char *hdrs, const char *want_why)
{
	int	rc = parse_with(hdrs);

	CHECK(rc == HTTP_BAD, "expected HTTP_BAD for [%s], got %d", hdrs, rc);
	CHECK(strstr(why, want_why) != NULL, "why \"%s\" lacks \"%s\"", why,
	    want_why);
	CHECK(strstr(why, SECRET) == NULL && strstr(why, "alice") == NULL,
	    "why \"%s\" holds a user or password", why);
	CHECK(wiped(), "struct not wiped after HTTP_BAD");
}

static void
test_nginx(void)
{
	const char	*r = NGINX_POP3;
	size_t		 n = strlen(r), k;
	char		 buf[1024];
	int		 rc, allmore = 1;

	CHECK_INT(parse(r), HTTP_DONE);
	CHECK_INT(used, n);
	CHECK_INT(req.method, HM_PLAIN);
	CHECK_INT(req.protocol, HP_POP3);
	CHECK_INT(req.attempt, 1);
	CHECK_INT(req.badchars, 0);
	CHECK_INT(req.usertoolong, 0);
	CHECK_INT(req.passtoolong, 0);
	CHECK_STR(req.user, "alice");
	CHECK_STR(req.pass, "s%cr t");
	CHECK_INT(req.client.af, AF_INET);
	CHECK_INT(req.client.port, 0);
	CHECK(memcmp(req.client.a, "\x7f\0\0\x01", 4) == 0 &&
	    peer_valid(&req.client), "Client-IP 127.0.0.1 not read as such");

	/* A byte at a time: more until the last. */
	for (k = 0; k < n; k++) {
		if ((rc = parse_len(r, k)) != HTTP_MORE) {
			allmore = 0;
			printf("prefix %zu: %d (%s)\n", k, rc, why);
		}
		if (!wiped())
			allmore = 0;
	}
	CHECK(allmore, "every prefix HTTP_MORE and the struct wiped");
	CHECK_INT(parse_len(r, n), HTTP_DONE);

	/* Bytes after the head are not its. */
	(void)snprintf(buf, sizeof(buf), "%sGET /auth", r);
	CHECK_INT(parse(buf), HTTP_DONE);
	CHECK_INT(used, n);
	CHECK_STR(req.user, "alice");
}

/*
 * What nginx 1.22.1 (Debian 12) sent, captured from its mail module
 * with auth_http pointed at a socket that refused each login with
 * Auth-Wait: 1: USER/PASS, AUTH PLAIN, APOP, CRAM-MD5 and AUTH LOGIN
 * over POP3, IMAP LOGIN, SMTP AUTH and SMTP without AUTH.  They are the
 * nginx_* seeds of regress/fuzz/corpus_http too.
 */
static const struct {
	const char	*name;
	const char	*bytes;
	int		 method, protocol, attempt;
	const char	*user, *pass;
	int		 badchars;
} captured[] = {
	{ "POP3 USER alice, PASS s%cr t",
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: plain\r\n"
	    "Auth-User: alice\r\n"
	    "Auth-Pass: s%25cr%20t\r\n"
	    "Auth-Protocol: pop3\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 127.0.0.1\r\n"
	    "\r\n",
	    HM_PLAIN, HP_POP3, 1, "alice", "s%cr t", 0 },
	{ "POP3 AUTH PLAIN, a CRLF in the password",
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: plain\r\n"
	    "Auth-User: bob\r\n"
	    "Auth-Pass: p%0D%0Aw\r\n"
	    "Auth-Protocol: pop3\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 127.0.0.1\r\n"
	    "\r\n",
	    HM_PLAIN, HP_POP3, 1, "", "", 1 },
	{ "IMAP LOGIN",
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: plain\r\n"
	    "Auth-User: alice\r\n"
	    "Auth-Pass: secret\r\n"
	    "Auth-Protocol: imap\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 127.0.0.1\r\n"
	    "\r\n",
	    HM_PLAIN, HP_IMAP, 1, "alice", "secret", 0 },
	{ "SMTP AUTH PLAIN",
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: plain\r\n"
	    "Auth-User: alice\r\n"
	    "Auth-Pass: pw\r\n"
	    "Auth-Protocol: smtp\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 127.0.0.1\r\n"
	    "Client-Host: [UNAVAILABLE]\r\n"
	    "\r\n",
	    HM_PLAIN, HP_SMTP, 1, "alice", "pw", 0 },
	{ "SMTP without AUTH: From and To unescaped",
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: none\r\n"
	    "Auth-User: \r\n"
	    "Auth-Pass: \r\n"
	    "Auth-Protocol: smtp\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 127.0.0.1\r\n"
	    "Client-Host: [UNAVAILABLE]\r\n"
	    "Auth-SMTP-Helo: client.example\r\n"
	    "Auth-SMTP-From: MAIL FROM:<a@b.c>\r\n"
	    "Auth-SMTP-To: RCPT TO:<x@y.z>\r\n"
	    "\r\n",
	    HM_NONE, HP_SMTP, 1, "", "", 0 },
	{ "POP3 APOP",
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: apop\r\n"
	    "Auth-User: alice\r\n"
	    "Auth-Pass: 0d864568f3a1ae20e57a04a57badae51\r\n"
	    "Auth-Salt: <77025982.1795462761@vm>\r\n"
	    "Auth-Protocol: pop3\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 127.0.0.1\r\n"
	    "\r\n",
	    HM_APOP, HP_POP3, 1, "alice",
	    "0d864568f3a1ae20e57a04a57badae51", 0 },
	{ "POP3 AUTH CRAM-MD5, after a failure",
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: cram-md5\r\n"
	    "Auth-User: alice\r\n"
	    "Auth-Pass: 8dfa363819284692b871597ac2a9309c\r\n"
	    "Auth-Salt: <77025982.1795462761@vm>\r\n"
	    "Auth-Protocol: pop3\r\n"
	    "Auth-Login-Attempt: 2\r\n"
	    "Client-IP: 127.0.0.1\r\n"
	    "\r\n",
	    HM_CRAMMD5, HP_POP3, 2, "alice",
	    "8dfa363819284692b871597ac2a9309c", 0 },
	/* nginx names LOGIN "plain", and sends 0x7f unescaped. */
	{ "POP3 AUTH LOGIN",
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: plain\r\n"
	    "Auth-User: al%20ice%25\r\n"
	    "Auth-Pass: p\x7f""w\r\n"
	    "Auth-Protocol: pop3\r\n"
	    "Auth-Login-Attempt: 3\r\n"
	    "Client-IP: 127.0.0.1\r\n"
	    "\r\n",
	    HM_PLAIN, HP_POP3, 3, "al ice%", "p\x7f""w", 0 },
};

static void
test_captured(void)
{
	size_t	i;
	int	rc;

	for (i = 0; i < nitems(captured); i++) {
		rc = parse(captured[i].bytes);
		CHECK(rc == HTTP_DONE && used == strlen(captured[i].bytes) &&
		    req.method == captured[i].method &&
		    req.protocol == captured[i].protocol &&
		    req.attempt == captured[i].attempt &&
		    strcmp(req.user, captured[i].user) == 0 &&
		    strcmp(req.pass, captured[i].pass) == 0 &&
		    req.badchars == captured[i].badchars &&
		    req.client.af == AF_INET, "%s: rc %d (%s) method %d "
		    "protocol %d attempt %d user \"%s\" badchars %d",
		    captured[i].name, rc, why, req.method, req.protocol,
		    req.attempt, req.user, req.badchars);
	}
}

static void
test_methods(void)
{
	/* IMAP LOGIN, attempt 3, over TLS. */
	CHECK_INT(parse("GET /auth HTTP/1.0\r\n"
	    "Host: localhost\r\n"
	    "Auth-Method: login\r\n"
	    "Auth-User: bob%40example.org\r\n"
	    "Auth-Pass: p%C3%A4ss\r\n"
	    "Auth-Protocol: imap\r\n"
	    "Auth-Login-Attempt: 3\r\n"
	    "Client-IP: 2001:db8::7\r\n"
	    "Client-Host: [UNAVAILABLE]\r\n"
	    "Auth-SSL: on\r\n"
	    "Auth-SSL-Protocol: TLSv1.3\r\n"
	    "Auth-SSL-Cipher: TLS_AES_256_GCM_SHA384\r\n"
	    "Auth-SSL-Verify: NONE\r\n"
	    "\r\n"), HTTP_DONE);
	CHECK_INT(req.method, HM_LOGIN);
	CHECK_INT(req.protocol, HP_IMAP);
	CHECK_INT(req.attempt, 3);
	CHECK_STR(req.user, "bob@example.org");
	CHECK_STR(req.pass, "p\xc3\xa4ss");
	CHECK_INT(req.badchars, 0);
	CHECK_INT(req.client.af, AF_INET6);
	CHECK(memcmp(req.client.a, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x07",
	    16) == 0, "Client-IP 2001:db8::7 not read as such");

	/* APOP: the salt line as nginx copies it, CRLF and all. */
	CHECK_INT(parse("GET /auth HTTP/1.0\r\n"
	    "Host: localhost\r\n"
	    "Auth-Method: apop\r\n"
	    "Auth-User: alice\r\n"
	    "Auth-Pass: 0123456789abcdef0123456789abcdef\r\n"
	    "Auth-Salt: <1896.697170952@mail.example.org>\r\n"
	    "Auth-Protocol: pop3\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 192.0.2.1\r\n"
	    "\r\n"), HTTP_DONE);
	CHECK_INT(req.method, HM_APOP);

	/* SMTP CRAM-MD5 with the SMTP headers. */
	CHECK_INT(parse("GET /auth HTTP/1.0\r\n"
	    "Host: localhost\r\n"
	    "Auth-Method: cram-md5\r\n"
	    "Auth-User: alice\r\n"
	    "Auth-Pass: b913a602c7eda7a495b4e6e7334d3890\r\n"
	    "Auth-Salt: <1896.697170952@mail.example.org>\r\n"
	    "Auth-Protocol: smtp\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 192.0.2.1\r\n"
	    "Client-Host: client.example.org\r\n"
	    "Auth-SMTP-Helo: client.example.org\r\n"
	    "Auth-SMTP-From: MAIL%20FROM:%3Calice@example.org%3E\r\n"
	    "Auth-SMTP-To: RCPT%20TO:%3Cbob@example.org%3E\r\n"
	    "X-Custom: whatever: it says\r\n"
	    "\r\n"), HTTP_DONE);
	CHECK_INT(req.method, HM_CRAMMD5);
	CHECK_INT(req.protocol, HP_SMTP);

	/* SMTP without AUTH: empty user and password. */
	CHECK_INT(parse_with("Auth-Method: none\r\nAuth-User: \r\n"
	    "Auth-Pass: \r\nAuth-Protocol: smtp\r\n" CLIENT), HTTP_DONE);
	CHECK_INT(req.method, HM_NONE);
	CHECK_STR(req.user, "");
	CHECK_STR(req.pass, "");
	CHECK_INT(parse_with("Auth-Method: external\r\n" USER PASS PROTO
	    CLIENT), HTTP_DONE);
	CHECK_INT(req.method, HM_EXTERNAL);
	/* An unknown method is refused by authpop, not by the parser. */
	CHECK_INT(parse_with("Auth-Method: gssapi\r\n" USER PASS PROTO
	    CLIENT), HTTP_DONE);
	CHECK_INT(req.method, HM_OTHER);
	CHECK_INT(parse_with("Auth-Method: \r\n" USER PASS PROTO CLIENT),
	    HTTP_DONE);
	CHECK_INT(req.method, HM_OTHER);
	CHECK_INT(parse_with("Auth-Method: plainx\r\n" USER PASS PROTO
	    CLIENT), HTTP_DONE);
	CHECK_INT(req.method, HM_OTHER);

	/* Names without case, values trimmed, HTTP/1.1. */
	CHECK_INT(parse("GET /a/b?c=d HTTP/1.1\r\nauth-method:PLAIN\r\n"
	    "AUTH-USER: \t alice \t\r\nauth-pass:  two  words \r\n"
	    "Auth-protocol: POP3\r\nclient-ip:192.0.2.1 \r\n\r\n"),
	    HTTP_DONE);
	CHECK_INT(req.method, HM_PLAIN);
	CHECK_INT(req.protocol, HP_POP3);
	CHECK_STR(req.user, "alice");
	CHECK_STR(req.pass, "two  words");
	/* Auth-Login-Attempt absent: the first. */
	CHECK_INT(req.attempt, 1);
}

static void
test_request_line(void)
{
	static const char *const bads[] = {
		"POST /auth HTTP/1.0\r\n",
		"get /auth HTTP/1.0\r\n",
		"GET /auth HTTP/2.0\r\n",
		"GET /auth HTTP/1.0 \r\n",
		"GET  /auth HTTP/1.0\r\n",
		"GET /auth  HTTP/1.0\r\n",
		"GET HTTP/1.0\r\n",
		"GET /a\x7f HTTP/1.0\r\n",
		"GET /a\x80 HTTP/1.0\r\n",
		"GET /a\tb HTTP/1.0\r\n",
		"GET /auth\r\n",
		"\r\n",
	};
	char		 buf[512];
	size_t		 i;
	int		 rc;

	for (i = 0; i < nitems(bads); i++) {
		(void)snprintf(buf, sizeof(buf), "%s" METHOD USER PASS PROTO
		    CLIENT "\r\n", bads[i]);
		rc = parse(buf);
		CHECK(rc == HTTP_BAD && strstr(why, "line 1") != NULL,
		    "request line %zu: expected HTTP_BAD on line 1, got %d "
		    "(%s)", i, rc, why);
	}
	/* Refused as soon as it is there. */
	CHECK_INT(parse("PUT /auth HTTP/1.0\r\n"), HTTP_BAD);
}

static void
test_framing(void)
{
	static char	 buf[HTTP_MAXREQ + 64];
	const char	*r = NGINX_POP3;
	size_t		 n;

	/* Lines end in CRLF, nothing else. */
	CHECK_INT(parse("GET /auth HTTP/1.0\n"), HTTP_BAD);
	CHECK_INT(parse(REQLINE METHOD "Auth-User: al\nice\r\n"), HTTP_BAD);
	CHECK(strstr(why, "line 3: an LF without CR") != NULL, "why: %s", why);
	CHECK_INT(parse(REQLINE METHOD "Auth-User: al\rice\r\n"), HTTP_BAD);
	CHECK(strstr(why, "line 3: a CR without LF") != NULL, "why: %s", why);
	CHECK_INT(parse(REQLINE METHOD USER PASS PROTO CLIENT "\n"), HTTP_BAD);
	CHECK_INT(parse(REQLINE METHOD USER PASS PROTO CLIENT "\r\r\n"),
	    HTTP_BAD);
	/* A CR that ends what came so far may yet get its LF. */
	CHECK_INT(parse(REQLINE METHOD "\r"), HTTP_MORE);

	/* NUL bytes: in the head refused, after it not read. */
	n = strlen(r);
	memcpy(buf, r, n);
	buf[40] = '\0';
	CHECK_INT(parse_len(buf, n), HTTP_BAD);
	CHECK(strstr(why, "NUL") != NULL, "why: %s", why);
	memcpy(buf, r, n);
	buf[n] = '\0';
	CHECK_INT(parse_len(buf, n + 1), HTTP_DONE);
	CHECK_INT(used, n);
	/* A NUL decoded is a control byte, not the end of the value. */
	CHECK_INT(parse_with(METHOD "Auth-User: al%00ice\r\n" PASS PROTO
	    CLIENT), HTTP_DONE);
	CHECK_INT(req.badchars, 1);
}

/* A header line "X-Pad: aaa...\r\n" of exactly len bytes, into p. */
static size_t
pad_line(char *p, size_t len)
{
	memcpy(p, "X-Pad: ", 7);
	memset(p + 7, 'a', len - 9);
	memcpy(p + len - 2, "\r\n", 2);
	return len;
}

static void
test_limits(void)
{
	static char	 buf[2 * HTTP_MAXREQ];
	const char	*start = REQLINE METHOD USER PASS PROTO CLIENT;
	size_t		 n, k, head;
	int		 i;

	/* A line of HTTP_MAXLINE bytes, CRLF included, and one more. */
	n = strlcpy(buf, start, sizeof(buf));
	n += pad_line(buf + n, HTTP_MAXLINE);
	memcpy(buf + n, "\r\n", 2);
	CHECK_INT(parse_len(buf, n + 2), HTTP_DONE);
	n = strlcpy(buf, start, sizeof(buf));
	n += pad_line(buf + n, HTTP_MAXLINE + 1);
	memcpy(buf + n, "\r\n", 2);
	CHECK_INT(parse_len(buf, n + 2), HTTP_BAD);
	CHECK(strstr(why, "longer than 1024") != NULL, "why: %s", why);
	/* Refused before its end comes: 1,023 bytes and a CR cannot fit. */
	n = strlen(start);
	CHECK_INT(parse_len(buf, n + HTTP_MAXLINE - 1), HTTP_MORE);
	CHECK_INT(parse_len(buf, n + HTTP_MAXLINE), HTTP_BAD);
	/* A request line too. */
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'p', HTTP_MAXLINE);
	CHECK_INT(parse_len(buf, HTTP_MAXLINE + 5), HTTP_BAD);

	/* A head of HTTP_MAXREQ bytes, and one more. */
	for (head = HTTP_MAXREQ; head <= HTTP_MAXREQ + 1; head++) {
		n = strlcpy(buf, start, sizeof(buf));
		k = head - n - 2;	/* pad lines, the final CRLF */
		while (k > 0) {
			n += pad_line(buf + n, k > 1000 ? (k - 1000 < 9 ?
			    900 : 1000) : k);
			k = head - n - 2;
		}
		memcpy(buf + n, "\r\n", 2);
		n += 2;
		CHECK_INT(n, head);
		CHECK_INT(parse_len(buf, n), head <= HTTP_MAXREQ ? HTTP_DONE :
		    HTTP_BAD);
		if (head == HTTP_MAXREQ)
			CHECK_INT(used, HTTP_MAXREQ);
		else
			CHECK(strstr(why, "head longer than 4096") != NULL,
			    "why: %s", why);
	}
	/* No end in HTTP_MAXREQ bytes: refused without waiting for more. */
	CHECK_INT(parse_len(buf, HTTP_MAXREQ - 1), HTTP_MORE);
	CHECK_INT(parse_len(buf, HTTP_MAXREQ), HTTP_BAD);

	/* HTTP_MAXHDRS headers, the required ones among them, and one more. */
	for (k = HTTP_MAXHDRS; k <= HTTP_MAXHDRS + 1; k++) {
		n = strlcpy(buf, start, sizeof(buf));
		for (i = 5; i < (int)k; i++)
			n += snprintf(buf + n, sizeof(buf) - n, "Host: h%d\r\n",
			    i);
		n += snprintf(buf + n, sizeof(buf) - n, "\r\n");
		CHECK_INT(parse_len(buf, n), k <= HTTP_MAXHDRS ? HTTP_DONE :
		    HTTP_BAD);
	}
	CHECK(strstr(why, "more than 32 headers") != NULL, "why: %s", why);
}

static void
test_headers(void)
{
	static const char *const attempts_bad[] = {
		"0", "10000", "-1", "+1", "1a", "", "0x1", "1 2", "99999999999",
	};
	char	 buf[512];
	size_t	 i;

	/* Each required header missing. */
	bad(USER PASS PROTO CLIENT, "no Auth-Method");
	bad(METHOD PASS PROTO CLIENT, "no Auth-User");
	bad(METHOD USER PROTO CLIENT, "no Auth-Pass");
	bad(METHOD USER PASS CLIENT, "no Auth-Protocol");
	bad(METHOD USER PASS PROTO, "no Client-IP");
	/* Each known header twice; others may repeat. */
	bad(METHOD METHOD USER PASS PROTO CLIENT, "Auth-Method given twice");
	bad(METHOD USER "auth-user: bob\r\n" PASS PROTO CLIENT,
	    "Auth-User given twice");
	bad(METHOD USER PASS "Auth-Pass: " SECRET "\r\n" PROTO CLIENT,
	    "Auth-Pass given twice");
	bad(METHOD USER PASS PROTO PROTO CLIENT, "Auth-Protocol given twice");
	bad(METHOD USER PASS PROTO CLIENT CLIENT, "Client-IP given twice");
	bad(METHOD USER PASS PROTO CLIENT "Auth-Login-Attempt: 1\r\n"
	    "Auth-Login-Attempt: 2\r\n", "Auth-Login-Attempt given twice");
	CHECK_INT(parse_with("Host: a\r\nHost: b\r\n" METHOD USER PASS PROTO
	    CLIENT), HTTP_DONE);

	/* Header lines that are none. */
	bad(METHOD "Auth-User alice\r\n" PASS PROTO CLIENT, "line 3: a header "
	    "without ':'");
	bad(METHOD "Auth-User : alice\r\n" PASS PROTO CLIENT, "line 3: a "
	    "header name that is not a token");
	bad(METHOD ": alice\r\n" USER PASS PROTO CLIENT, "not a token");
	bad(METHOD " Auth-User: alice\r\n" PASS PROTO CLIENT, "not a token");
	bad(METHOD USER "Auth(Pass): x\r\n" PASS PROTO CLIENT, "not a token");
	/* Folded lines (obs-fold) are refused, not joined. */
	bad(METHOD USER "Auth-Pass:\r\n " SECRET "\r\n" PROTO CLIENT,
	    "line 5: a header without ':'");
	bad(METHOD USER "Auth-Pass:\r\n\t" SECRET ":\r\n" PROTO CLIENT,
	    "line 5: a header name that is not a token");

	bad(METHOD USER PASS "Auth-Protocol: pop4\r\n" CLIENT,
	    "Auth-Protocol is not pop3, imap or smtp");
	bad(METHOD USER PASS "Auth-Protocol: \r\n" CLIENT, "Auth-Protocol");

	/* Auth-Login-Attempt: 1 to 9999, digits only. */
	for (i = 0; i < nitems(attempts_bad); i++) {
		(void)snprintf(buf, sizeof(buf), METHOD USER PASS PROTO CLIENT
		    "Auth-Login-Attempt: %s\r\n", attempts_bad[i]);
		bad(buf, "Auth-Login-Attempt is not a number");
	}
	CHECK_INT(parse_with(METHOD USER PASS PROTO CLIENT
	    "Auth-Login-Attempt: 9999\r\n"), HTTP_DONE);
	CHECK_INT(req.attempt, 9999);
	CHECK_INT(parse_with(METHOD USER PASS PROTO CLIENT
	    "Auth-Login-Attempt:  7 \r\n"), HTTP_DONE);
	CHECK_INT(req.attempt, 7);
}

static void
test_client(void)
{
	static const char *const bads[] = {
		"", "localhost", "1.2.3", "1.2.3.4.5", "256.1.1.1",
		"192.0.2.1:80", "[::1]", "[::1]:80", "fe80::1%eth0",
		"192.0.2.1/32", "::1 ::2",
		"1111:2222:3333:4444:5555:6666:7777:8888:9999:0000",
	};
	char		 buf[256];
	size_t		 i;

	for (i = 0; i < nitems(bads); i++) {
		(void)snprintf(buf, sizeof(buf), METHOD USER PASS PROTO
		    "Client-IP: %s\r\n", bads[i]);
		bad(buf, "Client-IP is not an IPv4 or IPv6 address");
	}

	CHECK_INT(parse_with(METHOD USER PASS PROTO "Client-IP: ::1\r\n"),
	    HTTP_DONE);
	CHECK(req.client.af == AF_INET6 && req.client.a[15] == 1 &&
	    req.client.port == 0 && peer_valid(&req.client), "::1");
	/* IPv4-mapped is the IPv4 client, as everywhere in popd. */
	CHECK_INT(parse_with(METHOD USER PASS PROTO
	    "Client-IP: ::ffff:192.0.2.1\r\n"), HTTP_DONE);
	CHECK_INT(req.client.af, AF_INET);
	CHECK(memcmp(req.client.a, "\xc0\x00\x02\x01", 4) == 0 &&
	    peer_valid(&req.client), "::ffff:192.0.2.1 is 192.0.2.1");
	CHECK_INT(parse_with(METHOD USER PASS PROTO
	    "Client-IP: ::FFFF:c000:201\r\n"), HTTP_DONE);
	CHECK_INT(req.client.af, AF_INET);
	/* NAT64 stays IPv6 (addr.c). */
	CHECK_INT(parse_with(METHOD USER PASS PROTO
	    "Client-IP: 64:ff9b::192.0.2.1\r\n"), HTTP_DONE);
	CHECK_INT(req.client.af, AF_INET6);
}

static void
test_decode(void)
{
	char	 buf[2048], user[256];
	size_t	 i;

	/* Any %XX, hex in either case. */
	CHECK_INT(parse_with(METHOD "Auth-User: %4a%4A%6f%65\r\n"
	    "Auth-Pass: %25%2525%ff\r\n" PROTO CLIENT), HTTP_DONE);
	CHECK_STR(req.user, "JJoe");
	CHECK_STR(req.pass, "%%25\xff");
	CHECK_INT(req.badchars, 0);

	bad(METHOD "Auth-User: al%zzice\r\n" PASS PROTO CLIENT,
	    "line 3: Auth-User has a % not followed by two hex digits");
	bad(METHOD "Auth-User: alice%\r\n" PASS PROTO CLIENT, "Auth-User has");
	bad(METHOD "Auth-User: alice%4\r\n" PASS PROTO CLIENT, "Auth-User has");
	bad(METHOD USER "Auth-Pass: " SECRET "%g0\r\n" PROTO CLIENT,
	    "Auth-Pass has");
	bad(METHOD USER "Auth-Pass: " SECRET "%%41\r\n" PROTO CLIENT,
	    "Auth-Pass has");
	bad(METHOD USER "Auth-Pass: %+1" SECRET "\r\n" PROTO CLIENT,
	    "Auth-Pass has");

	/* Control bytes once decoded: refused by authpop, not here. */
	CHECK_INT(parse_with(METHOD "Auth-User: alice%0d%0aUSER bob\r\n"
	    PASS PROTO CLIENT), HTTP_DONE);
	CHECK(req.badchars == 1 && req.user[0] == '\0' && req.pass[0] == '\0',
	    "CRLF in the user: badchars %d, user and password cleared",
	    req.badchars);
	/*
	 * A password is any octets but NUL, CR and LF, as over POP3
	 * (issue 37): DEL, TAB and other control bytes are its own.
	 */
	CHECK_INT(parse_with(METHOD USER "Auth-Pass: se%7fcret\r\n" PROTO
	    CLIENT), HTTP_DONE);
	CHECK_INT(req.badchars, 0);
	CHECK_STR(req.pass, "se\x7f""cret");
	CHECK_INT(parse_with(METHOD USER "Auth-Pass: se%1Fc%09ret\r\n" PROTO
	    CLIENT), HTTP_DONE);
	CHECK_INT(req.badchars, 0);
	CHECK_STR(req.pass, "se\x1f""c\tret");
	CHECK_INT(parse_with(METHOD USER "Auth-Pass: se%0dcret\r\n" PROTO
	    CLIENT), HTTP_DONE);
	CHECK_INT(req.badchars, 1);
	CHECK_STR(req.pass, "");
	CHECK_INT(parse_with(METHOD USER "Auth-Pass: se%0acret\r\n" PROTO
	    CLIENT), HTTP_DONE);
	CHECK_INT(req.badchars, 1);
	CHECK_INT(parse_with(METHOD USER "Auth-Pass: se%00cret\r\n" PROTO
	    CLIENT), HTTP_DONE);
	CHECK_INT(req.badchars, 1);
	/* Sent raw (nginx escapes them): the same. */
	CHECK_INT(parse_with(METHOD "Auth-User: al\tice\r\n" PASS PROTO
	    CLIENT), HTTP_DONE);
	CHECK_INT(req.badchars, 1);
	CHECK_INT(parse_with(METHOD "Auth-User: al\x7fice\r\n" PASS PROTO
	    CLIENT), HTTP_DONE);
	CHECK_INT(req.badchars, 1);
	/* 0x20 and 0x80 up are not control bytes. */
	CHECK_INT(parse_with(METHOD USER "Auth-Pass: %20%80%fe\r\n" PROTO
	    CLIENT), HTTP_DONE);
	CHECK_INT(req.badchars, 0);
	CHECK_STR(req.pass, " \x80\xfe");

	/* The longest user, and one byte more; escaped, too. */
	memset(user, 'u', POPD_MAXUSER);
	user[POPD_MAXUSER] = '\0';
	(void)snprintf(buf, sizeof(buf), METHOD "Auth-User: %s\r\n" PASS PROTO
	    CLIENT, user);
	CHECK_INT(parse_with(buf), HTTP_DONE);
	CHECK(req.usertoolong == 0 && strcmp(req.user, user) == 0,
	    "a user of %d bytes", POPD_MAXUSER);
	(void)snprintf(buf, sizeof(buf), METHOD "Auth-User: %sv\r\n" PASS PROTO
	    CLIENT, user);
	CHECK_INT(parse_with(buf), HTTP_DONE);
	CHECK(req.usertoolong == 1 && req.user[0] == '\0' &&
	    strcmp(req.pass, "secret") == 0, "a user of %d bytes: toolong %d",
	    POPD_MAXUSER + 1, req.usertoolong);
	(void)strlcpy(buf, METHOD "Auth-User: ", sizeof(buf));
	for (i = 0; i < POPD_MAXUSER; i++)
		(void)strlcat(buf, "%41", sizeof(buf));
	(void)strlcat(buf, "\r\n" PASS PROTO CLIENT, sizeof(buf));
	CHECK_INT(parse_with(buf), HTTP_DONE);
	CHECK(req.usertoolong == 0 && strlen(req.user) == POPD_MAXUSER,
	    "%d escaped bytes of user", POPD_MAXUSER);
	/* A bad escape past the limit is still bad. */
	bad(METHOD "Auth-User: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%x\r\n" PASS PROTO CLIENT,
	    "Auth-User has");

	/* The longest password, and one byte more. */
	(void)strlcpy(buf, METHOD USER "Auth-Pass: ", sizeof(buf));
	for (i = 0; i < COMPAT_PASS_MAX; i++)
		(void)strlcat(buf, "p", sizeof(buf));
	(void)strlcat(buf, "\r\n" PROTO CLIENT, sizeof(buf));
	CHECK_INT(parse_with(buf), HTTP_DONE);
	CHECK(req.passtoolong == 0 && strlen(req.pass) == COMPAT_PASS_MAX,
	    "a password of %d bytes", COMPAT_PASS_MAX);
	(void)strlcpy(buf, METHOD USER "Auth-Pass: ", sizeof(buf));
	for (i = 0; i < COMPAT_PASS_MAX + 1; i++)
		(void)strlcat(buf, "p", sizeof(buf));
	(void)strlcat(buf, "\r\n" PROTO CLIENT, sizeof(buf));
	CHECK_INT(parse_with(buf), HTTP_DONE);
	CHECK(req.passtoolong == 1 && req.pass[0] == '\0' &&
	    strcmp(req.user, "alice") == 0, "a password of %d bytes: toolong %d",
	    COMPAT_PASS_MAX + 1, req.passtoolong);

	/* A bad request after the password leaves nothing of it. */
	bad(METHOD USER "Auth-Pass: " SECRET "\r\n" PROTO "Client-IP: x\r\n",
	    "Client-IP");
	/* Nor does one that is not over yet. */
	CHECK_INT(parse(REQLINE METHOD USER "Auth-Pass: " SECRET "\r\n"),
	    HTTP_MORE);
	CHECK(wiped(), "struct not wiped after HTTP_MORE");
}

static void
test_answer(void)
{
	static const char *const ok[] = {
		"Auth-Server: 192.0.2.10", "Auth-Port: 110",
		"Auth-Pass: ticket", NULL
	};
	static const char *const wait[] = { "Auth-Wait: 3", NULL };
	static const char *const cr[] = { "Auth-Wait: 3\r\nX: y", NULL };
	static const char *const lf[] = { "Auth-Wait: 3\nX: y", NULL };
	static const char *const nocolon[] = { "Auth-Wait 3", NULL };
	static const char *const badname[] = { "Auth Wait: 3", NULL };
	const char	*big[] = { NULL, NULL };
	const char	*want;
	char		 buf[4096], line[2048];
	size_t		 n, fixed;

	want = "HTTP/1.0 200 OK\r\nAuth-Status: OK\r\n"
	    "Auth-Server: 192.0.2.10\r\nAuth-Port: 110\r\n"
	    "Auth-Pass: ticket\r\n\r\n";
	n = http_answer(buf, sizeof(buf), "OK", ok);
	CHECK_INT(n, strlen(want));
	CHECK_STR(buf, want);
	/* Exactly its size with the NUL, and one byte less. */
	CHECK_INT(http_answer(buf, strlen(want) + 1, "OK", ok), strlen(want));
	CHECK_INT(http_answer(buf, strlen(want), "OK", ok), 0);
	CHECK_INT(http_answer(buf, 0, "OK", ok), 0);

	want = "HTTP/1.0 200 OK\r\nAuth-Status: [AUTH] invalid user name or "
	    "password\r\nAuth-Wait: 3\r\n\r\n";
	CHECK_INT(http_answer(buf, sizeof(buf), "[AUTH] invalid user name or "
	    "password", wait), strlen(want));
	CHECK_STR(buf, want);
	want = "HTTP/1.0 200 OK\r\nAuth-Status: x\r\n\r\n";
	CHECK_INT(http_answer(buf, sizeof(buf), "x", NULL), strlen(want));
	CHECK_STR(buf, want);

	/* Nothing may add a line of its own. */
	CHECK_INT(http_answer(buf, sizeof(buf), "OK\r\nAuth-Server: x", NULL),
	    0);
	CHECK_INT(http_answer(buf, sizeof(buf), "OK\n", NULL), 0);
	CHECK_INT(http_answer(buf, sizeof(buf), "OK", cr), 0);
	CHECK_INT(http_answer(buf, sizeof(buf), "OK", lf), 0);
	CHECK_INT(http_answer(buf, sizeof(buf), "OK", nocolon), 0);
	CHECK_INT(http_answer(buf, sizeof(buf), "OK", badname), 0);

	/* HTTP_MAXANSWER bytes, and one more, whatever the buffer. */
	fixed = strlen("HTTP/1.0 200 OK\r\nAuth-Status: OK\r\n" "X: \r\n"
	    "\r\n");
	memcpy(line, "X: ", 3);
	memset(line + 3, 'x', HTTP_MAXANSWER - fixed);
	line[3 + HTTP_MAXANSWER - fixed] = '\0';
	big[0] = line;
	CHECK_INT(http_answer(buf, sizeof(buf), "OK", big), HTTP_MAXANSWER);
	CHECK_INT(strlen(buf), HTTP_MAXANSWER);
	line[3 + HTTP_MAXANSWER - fixed] = 'x';
	line[4 + HTTP_MAXANSWER - fixed] = '\0';
	CHECK_INT(http_answer(buf, sizeof(buf), "OK", big), 0);
	CHECK_STR(buf, "");

	want = "HTTP/1.0 400 Bad Request\r\nConnection: close\r\n\r\n";
	CHECK_INT(http_bad(buf, sizeof(buf)), strlen(want));
	CHECK_STR(buf, want);
	CHECK_INT(http_bad(buf, strlen(want)), 0);
}

int
main(void)
{
	test_nginx();
	test_captured();
	test_methods();
	test_request_line();
	test_framing();
	test_limits();
	test_headers();
	test_client();
	test_decode();
	test_answer();
	return unit_done();
}
