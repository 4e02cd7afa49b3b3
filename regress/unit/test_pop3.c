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
 * test_pop3 -- the POP3 command parser, the CAPA list and AUTH PLAIN
 * decoding (common/pop3.c).
 */
#include <sys/types.h>

#include <stdio.h>
#include <limits.h>
#include <string.h>

#include "pop3.h"
#include "unit.h"

static int
parse(struct pop3_line *l, const char *s)
{
	return pop3_parse(l, s, strlen(s));
}

static void
test_keywords(void)
{
	struct pop3_line	l;

	CHECK_INT(parse(&l, "USER alice"), POP3_OK);
	CHECK_INT(l.cmd, CMD_USER);
	CHECK_STR(l.name, "USER");
	CHECK_INT(l.nargs, 1);
	CHECK_STR(l.args[0], "alice");

	CHECK_INT(parse(&l, "uSeR Alice"), POP3_OK);
	CHECK_INT(l.cmd, CMD_USER);
	CHECK_STR(l.name, "USER");
	CHECK_STR(l.args[0], "Alice");	/* arguments keep their case */

	CHECK_INT(parse(&l, "quit"), POP3_OK);
	CHECK_INT(l.cmd, CMD_QUIT);
	CHECK_INT(l.nargs, 0);
	CHECK_INT(parse(&l, "capa"), POP3_OK);
	CHECK_INT(l.cmd, CMD_CAPA);
	CHECK_INT(parse(&l, "Stls"), POP3_OK);
	CHECK_INT(l.cmd, CMD_STLS);
	CHECK_INT(parse(&l, "top 1 10"), POP3_OK);
	CHECK_INT(l.cmd, CMD_TOP);
	CHECK_INT(l.nargs, 2);
	CHECK_STR(l.args[0], "1");
	CHECK_STR(l.args[1], "10");
	CHECK_INT(parse(&l, "RETR   5"), POP3_OK);
	CHECK_INT(l.nargs, 1);
	CHECK_STR(l.args[0], "5");
	CHECK_INT(parse(&l, "STAT "), POP3_OK);
	CHECK_INT(l.cmd, CMD_STAT);
	CHECK_INT(l.nargs, 0);
	CHECK_INT(parse(&l, "LIST 3  "), POP3_OK);
	CHECK_INT(l.nargs, 1);
	CHECK_STR(l.args[0], "3");

	CHECK_INT(parse(&l, "XYZZY"), POP3_OK);
	CHECK_INT(l.cmd, CMD_UNKNOWN);
	CHECK_INT(parse(&l, "FOO bar"), POP3_OK);
	CHECK_INT(l.cmd, CMD_UNKNOWN);
	CHECK_STR(l.name, "FOO");
	CHECK_INT(parse(&l, ""), POP3_OK);
	CHECK_INT(l.cmd, CMD_UNKNOWN);
	CHECK_INT(parse(&l, " USER alice"), POP3_OK);
	CHECK_INT(l.cmd, CMD_UNKNOWN);
	CHECK_INT(parse(&l, "USERS"), POP3_OK);
	CHECK_INT(l.cmd, CMD_UNKNOWN);
	CHECK_INT(parse(&l, "USER\talice"), POP3_OK);
	CHECK_INT(l.cmd, CMD_UNKNOWN);
}

static void
test_pass(void)
{
	struct pop3_line	l;

	/* PASS takes the rest of the line: passwords may hold spaces. */
	CHECK_INT(parse(&l, "PASS my secret  pw "), POP3_OK);
	CHECK_INT(l.cmd, CMD_PASS);
	CHECK_INT(l.nargs, 1);
	CHECK_STR(l.args[0], "my secret  pw ");
	CHECK_INT(parse(&l, "pass x"), POP3_OK);
	CHECK_STR(l.args[0], "x");
	CHECK_INT(parse(&l, "PASS"), POP3_OK);
	CHECK_INT(l.nargs, 0);
	CHECK_INT(parse(&l, "PASS "), POP3_OK);
	CHECK_INT(l.nargs, 1);
	CHECK_STR(l.args[0], "");
}

static void
test_limits(void)
{
	struct pop3_line	l;
	char			buf[600];

	/* 253 octets + CRLF = 255: the RFC 2449 maximum. */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "PASS ", 5);
	buf[253] = '\0';
	CHECK_INT(parse(&l, buf), POP3_OK);
	CHECK_INT(l.cmd, CMD_PASS);
	CHECK_INT(strlen(l.args[0]), 248);
	buf[253] = 'x';
	buf[254] = '\0';
	CHECK_INT(parse(&l, buf), POP3_ETOOLONG);
	buf[500] = '\0';
	CHECK_INT(parse(&l, buf), POP3_ETOOLONG);
	CHECK_INT(l.cmd, CMD_UNKNOWN);

	CHECK_INT(pop3_parse(&l, "USER a\0b", 8), POP3_EBADCHAR);
	CHECK_INT(pop3_parse(&l, "PASS pw\0", 8), POP3_EBADCHAR);
	CHECK_INT(parse(&l, "USER a\rb"), POP3_EBADCHAR);
	CHECK_INT(parse(&l, "USER a\nb"), POP3_EBADCHAR);

	CHECK_INT(parse(&l, "TOP 1 2 3"), POP3_EARG);
	CHECK_INT(parse(&l, "USER a b c"), POP3_EARG);

	/* RFC 2449: 40-octet arguments, but not for user names and SASL. */
	memset(buf, '1', sizeof(buf));
	memcpy(buf, "LIST ", 5);
	buf[5 + 40] = '\0';
	CHECK_INT(parse(&l, buf), POP3_OK);
	buf[5 + 40] = '1';
	buf[5 + 41] = '\0';
	CHECK_INT(parse(&l, buf), POP3_EARG);
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "USER ", 5);
	buf[5 + POPD_MAXUSER] = '\0';
	CHECK_INT(parse(&l, buf), POP3_OK);
	CHECK_INT(l.cmd, CMD_USER);
	CHECK_INT(strlen(l.args[0]), POPD_MAXUSER);
	memset(buf, 'A', sizeof(buf));
	memcpy(buf, "AUTH PLAIN ", 11);
	buf[200] = '\0';
	CHECK_INT(parse(&l, buf), POP3_OK);
	CHECK_INT(l.cmd, CMD_AUTH);
	CHECK_INT(l.nargs, 2);
	CHECK_INT(strlen(l.args[1]), 189);
}

static void
test_capa(void)
{
	const char	*c, *p, *e;

	c = pop3_capa(0, -1, 0);
	CHECK(strncmp(c, "+OK", 3) == 0, "capa starts with +OK: %s", c);
	CHECK(strstr(c, "\r\nUSER\r\n") == NULL, "no USER without flag");
	CHECK(strstr(c, "\r\nSASL PLAIN\r\n") == NULL, "no SASL without flag");
	CHECK(strstr(c, "\r\nSTLS\r\n") == NULL, "no STLS without flag");
	CHECK(strstr(c, "\r\nRESP-CODES\r\n") != NULL, "RESP-CODES");
	CHECK(strstr(c, "\r\nAUTH-RESP-CODE\r\n") != NULL, "AUTH-RESP-CODE");
	CHECK(strstr(c, "\r\nPIPELINING\r\n") != NULL, "PIPELINING");
	CHECK(strstr(c, "\r\nEXPIRE NEVER\r\n") != NULL, "EXPIRE NEVER");
	CHECK(strstr(c, "LOGIN-DELAY") == NULL, "no LOGIN-DELAY at 0");
	/* The site's policy is a parameter, not a setting of the module. */
	c = pop3_capa(0, 30, 900);
	CHECK(strstr(c, "\r\nEXPIRE 30\r\n") != NULL, "EXPIRE 30: %s", c);
	CHECK(strstr(c, "\r\nLOGIN-DELAY 900\r\n") != NULL,
	    "LOGIN-DELAY 900: %s", c);
	c = pop3_capa(0, -1, 0);
	CHECK(strstr(c, "EXPIRE NEVER") != NULL, "EXPIRE NEVER again");
	c = pop3_capa(CAPA_USER | CAPA_SASL | CAPA_STLS, -1, 0);
	CHECK(strstr(c, "\r\nUSER\r\n") != NULL, "USER with flag");
	CHECK(strstr(c, "\r\nSASL PLAIN\r\n") != NULL, "SASL with flag");
	CHECK(strstr(c, "\r\nSTLS\r\n") != NULL, "STLS with flag");
	CHECK(strlen(c) >= 5 && strcmp(c + strlen(c) - 5, "\r\n.\r\n") == 0,
	    "capa ends with the terminator");
	/* Every line CRLF-terminated and within 255 octets. */
	for (p = c; *p != '\0'; p = e + 2) {
		e = strstr(p, "\r\n");
		CHECK(e != NULL, "unterminated capa line at \"%s\"", p);
		if (e == NULL)
			break;
		CHECK(e - p + 2 <= POP3_MAXLINE, "capa line too long");
	}
}

/* base64 of the given bytes, for the PLAIN cases. */
static void
b64(const char *in, size_t len, char *out)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 i;
	unsigned long		 v;

	for (i = 0; i + 2 < len; i += 3) {
		v = s[i] << 16 | s[i + 1] << 8 | s[i + 2];
		*out++ = tab[v >> 18];
		*out++ = tab[(v >> 12) & 63];
		*out++ = tab[(v >> 6) & 63];
		*out++ = tab[v & 63];
	}
	if (len - i == 1) {
		v = s[i] << 16;
		*out++ = tab[v >> 18];
		*out++ = tab[(v >> 12) & 63];
		*out++ = '=';
		*out++ = '=';
	} else if (len - i == 2) {
		v = s[i] << 16 | s[i + 1] << 8;
		*out++ = tab[v >> 18];
		*out++ = tab[(v >> 12) & 63];
		*out++ = tab[(v >> 6) & 63];
		*out++ = '=';
	}
	*out = '\0';
}

static int
plain(const char *raw, size_t len, char *user, size_t usize, char *pass,
    size_t psize)
{
	char	enc[2048];

	b64(raw, len, enc);
	return pop3_sasl_plain(enc, user, usize, pass, psize);
}

#define RAW(s)	s, sizeof(s) - 1

/* RFC 1939 numbers: digits only; huge counts mean "all". */
static void
test_number(void)
{
	CHECK_INT(pop3_number("1"), 1);
	CHECK_INT(pop3_number("0"), 0);
	CHECK_INT(pop3_number("007"), 7);
	CHECK_INT(pop3_number("9223372036854775807"), LLONG_MAX);
	CHECK_INT(pop3_number("99999999999999999999999999"), LLONG_MAX);
	CHECK_INT(pop3_number(""), -1);
	CHECK_INT(pop3_number("+1"), -1);
	CHECK_INT(pop3_number("-0"), -1);
	CHECK_INT(pop3_number("1x"), -1);
	CHECK_INT(pop3_number("0x1"), -1);
	CHECK_INT(pop3_number(" 1"), -1);
}

static void
test_plain(void)
{
	char	user[POPD_MAXUSER + 1], pass[512], big[800];

	CHECK_INT(plain(RAW("\0alice\0pw1"), user, sizeof(user), pass,
	    sizeof(pass)), 0);
	CHECK_STR(user, "alice");
	CHECK_STR(pass, "pw1");
	CHECK_INT(plain(RAW("bob\0bob\0pass word 2"), user, sizeof(user),
	    pass, sizeof(pass)), 0);
	CHECK_STR(user, "bob");
	CHECK_STR(pass, "pass word 2");
	/* Every padding length. */
	CHECK_INT(plain(RAW("\0ab\0c"), user, sizeof(user), pass,
	    sizeof(pass)), 0);
	CHECK_STR(pass, "c");
	CHECK_INT(plain(RAW("\0ab\0cd"), user, sizeof(user), pass,
	    sizeof(pass)), 0);
	CHECK_STR(pass, "cd");
	CHECK_INT(plain(RAW("\0ab\0cde"), user, sizeof(user), pass,
	    sizeof(pass)), 0);
	CHECK_STR(pass, "cde");

	/* Acting as somebody else is refused. */
	CHECK_INT(plain(RAW("bob\0alice\0pw"), user, sizeof(user), pass,
	    sizeof(pass)), -2);
	CHECK_INT(plain(RAW("alice\0\0pw"), user, sizeof(user), pass,
	    sizeof(pass)), -1);
	CHECK_INT(plain(RAW("\0alice\0"), user, sizeof(user), pass,
	    sizeof(pass)), -1);
	CHECK_INT(plain(RAW("\0alice"), user, sizeof(user), pass,
	    sizeof(pass)), -1);
	CHECK_INT(plain(RAW("alice pw"), user, sizeof(user), pass,
	    sizeof(pass)), -1);
	CHECK_INT(plain(RAW("\0alice\0p\0w"), user, sizeof(user), pass,
	    sizeof(pass)), -1);

	/* Bad base64. */
	CHECK_INT(pop3_sasl_plain("", user, sizeof(user), pass, sizeof(pass)),
	    -1);
	CHECK_INT(pop3_sasl_plain("=", user, sizeof(user), pass,
	    sizeof(pass)), -1);
	CHECK_INT(pop3_sasl_plain("AGFsaWNlAHB3", user, sizeof(user), pass,
	    sizeof(pass)), 0);
	CHECK_INT(pop3_sasl_plain("AGFsaWNlAHB", user, sizeof(user), pass,
	    sizeof(pass)), -1);
	CHECK_INT(pop3_sasl_plain("AGFsaWNl!HB3", user, sizeof(user), pass,
	    sizeof(pass)), -1);
	CHECK_INT(pop3_sasl_plain("AGFs=WNlAHB3", user, sizeof(user), pass,
	    sizeof(pass)), -1);
	CHECK_INT(pop3_sasl_plain("AGFsaWNlAH=3", user, sizeof(user), pass,
	    sizeof(pass)), -1);
	CHECK_INT(pop3_sasl_plain("AGFsaWNlA===", user, sizeof(user), pass,
	    sizeof(pass)), -1);
	CHECK_INT(pop3_sasl_plain("AGFsaWNlAHB3 ", user, sizeof(user), pass,
	    sizeof(pass)), -1);

	/* Too long for the caller's buffers: refused, never truncated. */
	memset(big, 0, sizeof(big));
	memset(big + 1, 'u', POPD_MAXUSER + 1);
	memcpy(big + POPD_MAXUSER + 3, "pw", 2);
	CHECK_INT(plain(big, POPD_MAXUSER + 5, user, sizeof(user), pass,
	    sizeof(pass)), -1);
	/* The same with a user name of exactly POPD_MAXUSER. */
	memset(big, 0, sizeof(big));
	memset(big + 1, 'u', POPD_MAXUSER);
	memcpy(big + POPD_MAXUSER + 2, "pw", 2);
	CHECK_INT(plain(big, POPD_MAXUSER + 4, user, sizeof(user), pass,
	    sizeof(pass)), 0);
	CHECK_INT(strlen(user), POPD_MAXUSER);
	CHECK_STR(pass, "pw");
	CHECK_INT(plain(RAW("\0a\0abcdef"), user, sizeof(user), pass, 6), -1);
	CHECK_INT(plain(RAW("\0a\0abcde"), user, sizeof(user), pass, 6), 0);
	/* More than POP3_SASL_MAXLINE characters of base64. */
	memset(big, 'A', sizeof(big));
	big[0] = '\0';
	CHECK_INT(plain(big, sizeof(big), user, sizeof(user), pass,
	    sizeof(pass)), -1);
}

int
main(void)
{
	test_keywords();
	test_pass();
	test_limits();
	test_capa();
	test_number();
	test_plain();
	return unit_done();
}
