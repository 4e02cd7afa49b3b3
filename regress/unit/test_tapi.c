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
 * test_tapi -- OpenSMTPD's table API as popd speaks it (tablepop/tapi.c):
 * frames cut from a stream (short, long, exact), the requests byte for
 * byte as the table programs' table_api.c reads them, the answer to the
 * open, the answers to lookups (a credential is the hash alone and only
 * for the user asked, a userinfo as it came, and every malformed answer
 * refused without its value in the reason or left in the buffer), and
 * what is checked of such answers (pwscheme_allowed,
 * table_parse_user).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "pwscheme.h"
#include "table.h"
#include "../../tablepop/tablepop.h"
#include "unit.h"

#define BC	"$2b$04$YdByxKSiJ.4e00dW5oeBN./JDD86S0BXGZETea57GhiFIf4iu2nQG"
#define SHA	"$6$rounds=5000$saltsalt$8RWsOfwR6M6PpnoeQiEiWzNTPo1f0HjVYjDnL" \
		"ZhGx16aBFRkeqiHAzfXP/LgrOWMBMXqiU2pLrXsSOHNUyUm91"
#define YES	"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9S" \
		"qC.5i5rd.RhAtQ7"
#define FILL	0xa5

/* An imsg header (host order, as imsg(3) writes it) and payload. */
static size_t
frame(unsigned char *buf, uint32_t type, uint16_t len, const void *p,
    size_t plen)
{
	uint16_t	flags = 0;
	uint32_t	zero = 0;

	memcpy(buf, &type, 4);
	memcpy(buf + 4, &len, 2);
	memcpy(buf + 6, &flags, 2);
	memcpy(buf + 8, &zero, 4);
	memcpy(buf + 12, &zero, 4);
	if (plen > 0)
		memcpy(buf + TAPI_HDRLEN, p, plen);
	return TAPI_HDRLEN + plen;
}

static void
test_frame(void)
{
	static const struct {
		const char	*name;
		uint16_t	 flen;		/* in the header */
		size_t		 have;		/* bytes in the buffer */
		ssize_t		 want;
	} cases[] = {
		{ "nothing", 16, 0, 0 },
		{ "a header but one byte", 16, 15, 0 },
		{ "an empty frame", 16, 16, 16 },
		{ "a payload to come", 20, 16, 0 },
		{ "a payload but one byte", 20, 19, 0 },
		{ "exactly a frame", 20, 20, 20 },
		{ "a frame and the next", 20, 36, 20 },
		{ "a frame of 15 bytes", 15, 16, -1 },
		{ "a frame of 0 bytes", 0, 16, -1 },
		{ "the longest frame, to come", TAPI_MAXLEN, 16, 0 },
		{ "the longest frame", TAPI_MAXLEN, TAPI_MAXLEN, TAPI_MAXLEN },
		/* It could never fit lookup.c's buffer: it would wait. */
		{ "a frame of MAXLEN + 1", TAPI_MAXLEN + 1, 16, -1 },
		{ "a frame of 65535", 65535, TAPI_MAXLEN, -1 },
	};
	static unsigned char	 buf[TAPI_MAXLEN + 64];
	uint32_t		 type;
	size_t			 i, plen;
	ssize_t			 n;
	char			 why[128];

	for (i = 0; i < nitems(cases); i++) {
		memset(buf, 'x', sizeof(buf));
		(void)frame(buf, 7, cases[i].flen, NULL, 0);
		type = 0;
		plen = (size_t)-1;
		why[0] = '\0';
		n = tapi_frame(buf, cases[i].have, &type, &plen, why,
		    sizeof(why));
		CHECK(n == cases[i].want, "%s: tapi_frame %zd, want %zd",
		    cases[i].name, n, cases[i].want);
		if (n > 0)
			CHECK(type == 7 && plen == (size_t)n - TAPI_HDRLEN,
			    "%s: type %u plen %zu, want 7 and %zd",
			    cases[i].name, type, plen, n - TAPI_HDRLEN);
		if (n == -1)
			CHECK(strstr(why, "a frame of ") != NULL,
			    "%s: why \"%s\"", cases[i].name, why);
	}
}

/*
 * Our requests as table_api.c reads them: the imsg header, then for
 * PROC_TABLE_OPEN exactly a struct table_open_params (uint32_t version,
 * char name[LINE_MAX]), for PROC_TABLE_LOOKUP an int (the service), a
 * size_t (the count of parameters, 0) and the key, whose last byte is
 * its NUL.  Also byte for byte against a frame made by hand.
 */
static void
test_request(void)
{
	static unsigned char	 buf[TAPI_MAXLEN + 64], want[TAPI_MAXLEN];
	static unsigned char	 op[4 + TAPI_NAMELEN], big[TAPI_MAXLEN];
	unsigned char		 lookup[4 + 8 + 6];
	uint32_t		 type, version = TAPI_VERSION, u32;
	uint16_t		 u16;
	uint64_t		 count = 0;
	int32_t			 service = TAPI_CREDENTIALS, i32;
	size_t			 n, sz;

	/* The open. */
	memset(op, 0, sizeof(op));
	memcpy(op, &version, 4);
	(void)strlcpy((char *)op + 4, "auth", TAPI_NAMELEN);
	n = tapi_request(buf, sizeof(buf), TAPI_OPEN, op, sizeof(op));
	CHECK_INT(n, TAPI_HDRLEN + 4 + 2048);
	memcpy(&type, buf, 4);
	memcpy(&u16, buf + 4, 2);
	CHECK(type == 2 && u16 == n, "open: type %u length %u, want 2 and "
	    "%zu", type, u16, n);
	memcpy(&u16, buf + 6, 2);
	CHECK_INT(u16, 0);			/* flags */
	memcpy(&u32, buf + 8, 4);
	CHECK_INT(u32, 0);			/* peer id */
	memcpy(&u32, buf + 12, 4);
	CHECK_INT(u32, 0);			/* pid */
	memcpy(&u32, buf + TAPI_HDRLEN, 4);
	CHECK_INT(u32, 2);			/* op.version */
	CHECK_STR((char *)buf + TAPI_HDRLEN + 4, "auth");	/* op.name */
	CHECK_INT(frame(want, 2, n, op, sizeof(op)), n);
	CHECK(memcmp(buf, want, n) == 0, "open: other bytes than by hand");
	/* What lookup.c sends: the same bytes. */
	memset(buf, 0xa5, sizeof(buf));
	CHECK(tapi_open(buf, sizeof(buf), "auth") == n &&
	    memcmp(buf, want, n) == 0, "tapi_open: other bytes than by hand");
	CHECK_INT(tapi_open(buf, n - 1, "auth"), 0);

	/* A lookup of alice's credentials. */
	memcpy(lookup, &service, 4);
	memcpy(lookup + 4, &count, 8);
	memcpy(lookup + 12, "alice", 6);
	n = tapi_request(buf, sizeof(buf), TAPI_LOOKUP, lookup,
	    sizeof(lookup));
	CHECK_INT(n, TAPI_HDRLEN + 18);
	memcpy(&type, buf, 4);
	memcpy(&u16, buf + 4, 2);
	CHECK(type == 6 && u16 == n, "lookup: type %u length %u, want 6 and "
	    "%zu", type, u16, n);
	memcpy(&i32, buf + TAPI_HDRLEN, sizeof(int));
	CHECK_INT(i32, 0x04);			/* K_CREDENTIALS */
	memcpy(&sz, buf + TAPI_HDRLEN + 4, sizeof(size_t));
	CHECK_INT(sz, 0);			/* no parameters */
	CHECK(buf[n - 1] == '\0', "lookup: the key ends the frame");
	CHECK_STR((char *)buf + TAPI_HDRLEN + 12, "alice");
	CHECK_INT(frame(want, 6, n, lookup, sizeof(lookup)), n);
	CHECK(memcmp(buf, want, n) == 0, "lookup: other bytes than by hand");
	memset(buf, 0xa5, sizeof(buf));
	CHECK(tapi_lookup(buf, sizeof(buf), TAPI_CREDENTIALS, "alice") == n &&
	    memcmp(buf, want, n) == 0, "tapi_lookup: other bytes than by "
	    "hand");
	CHECK_INT(tapi_lookup(buf, n - 1, TAPI_CREDENTIALS, "alice"), 0);
	memset(big, 'k', TAPI_KEYMAX);
	big[TAPI_KEYMAX] = '\0';
	CHECK_INT(tapi_lookup(buf, sizeof(buf), TAPI_USERINFO, (char *)big),
	    0);
	big[TAPI_KEYMAX - 1] = '\0';
	CHECK_INT(tapi_lookup(buf, sizeof(buf), TAPI_USERINFO, (char *)big),
	    TAPI_HDRLEN + 12 + TAPI_KEYMAX);

	/* The largest frame fits, one byte more does not, nor a small buf. */
	memset(big, 'k', sizeof(big));
	CHECK_INT(tapi_request(buf, sizeof(buf), TAPI_LOOKUP, big,
	    TAPI_MAXLEN - TAPI_HDRLEN), TAPI_MAXLEN);
	CHECK_INT(tapi_request(buf, sizeof(buf), TAPI_LOOKUP, big,
	    TAPI_MAXLEN - TAPI_HDRLEN + 1), 0);
	CHECK_INT(tapi_request(buf, TAPI_HDRLEN + 17, TAPI_LOOKUP, lookup,
	    sizeof(lookup)), 0);
	CHECK_INT(tapi_request(buf, TAPI_HDRLEN + 18, TAPI_LOOKUP, lookup,
	    sizeof(lookup)), TAPI_HDRLEN + 18);
}

static void
test_opened(void)
{
	char	why[128];

	CHECK_INT(tapi_opened(TAPI_OK, 0, why, sizeof(why)), 0);
	why[0] = '\0';
	CHECK_INT(tapi_opened(TAPI_OK, 4, why, sizeof(why)), -1);
	CHECK(strstr(why, "4 bytes") != NULL, "open with a payload: why "
	    "\"%s\"", why);
	why[0] = '\0';
	CHECK_INT(tapi_opened(1, 0, why, sizeof(why)), -1);	/* FAIL */
	CHECK(strstr(why, "type 1") != NULL, "open answered 1: why \"%s\"",
	    why);
	CHECK_INT(tapi_opened(TAPI_OPEN, 0, why, sizeof(why)), -1);
}

static const char *
result_str(int r)
{
	switch (r) {
	case TAPI_FOUND:
		return "FOUND";
	case TAPI_NONE:
		return "NONE";
	case TAPI_ERROR:
		return "ERROR";
	case TAPI_INVALID:
		return "INVALID";
	case TAPI_BAD:
		return "BAD";
	}
	return "?";
}

static void
test_answer(void)
{
	static const struct {
		const char	*name;
		uint32_t	 type;
		int32_t		 res;
		const char	*val;		/* NULL: the res alone */
		size_t		 vlen;		/* 0: strlen(val) + 1 */
		int		 service;
		size_t		 bufsz;		/* 0: TAPI_MAXLEN */
		int		 want;
		const char	*value;		/* FOUND: what value holds */
		const char	*why;		/* in why; not FOUND */
		const char	*secret;	/* never in why */
	} cases[] = {
		{ "bcrypt", TAPI_OK, 1, "alice:" BC, 0, TAPI_CREDENTIALS, 0,
		    TAPI_FOUND, BC, NULL, NULL },
		{ "SHA-512", TAPI_OK, 1, "alice:" SHA, 0, TAPI_CREDENTIALS, 0,
		    TAPI_FOUND, SHA, NULL, NULL },
		{ "yescrypt", TAPI_OK, 1, "alice:" YES, 0, TAPI_CREDENTIALS, 0,
		    TAPI_FOUND, YES, NULL, NULL },
		{ "credentials of bob", TAPI_OK, 1, "bob:" BC, 0,
		    TAPI_CREDENTIALS, 0, TAPI_INVALID, NULL, "another user",
		    BC + 7 },
		{ "credentials of alicex", TAPI_OK, 1, "alicex:" BC, 0,
		    TAPI_CREDENTIALS, 0, TAPI_INVALID, NULL, "another user",
		    BC + 7 },
		{ "credentials of no one", TAPI_OK, 1, ":" BC, 0,
		    TAPI_CREDENTIALS, 0, TAPI_INVALID, NULL, "another user",
		    BC + 7 },
		{ "a password", TAPI_OK, 1, "alice:plaintext", 0,
		    TAPI_CREDENTIALS, 0, TAPI_INVALID, NULL, "hash",
		    "plaintext" },
		{ "a password alone", TAPI_OK, 1, "plaintext", 0,
		    TAPI_CREDENTIALS, 0, TAPI_INVALID, NULL, "user:hash",
		    "plaintext" },
		/* Weak: taken here, refused by lookup.c unless weak-hashes. */
		{ "MD5-crypt", TAPI_OK, 1, "alice:$1$salt$qJH7.N4xYta3aEG/dfqo/0",
		    0, TAPI_CREDENTIALS, 0, TAPI_FOUND,
		    "$1$salt$qJH7.N4xYta3aEG/dfqo/0", NULL, NULL },
		{ "Dovecot's SSHA512", TAPI_OK, 1, "alice:{SSHA512}SugW8aQ1RrA"
		    "FypW+2Yf+E+3Lmg39jv9zPmRW4PoVFEQvyOH4CZaHDY3kRuZLpUL6yCA"
		    "ShDLiBhp/CEtdExWnZseEplY=", 0, TAPI_CREDENTIALS, 0,
		    TAPI_FOUND, "{SSHA512}SugW8aQ1RrAFypW+2Yf+E+3Lmg39jv9zPm"
		    "RW4PoVFEQvyOH4CZaHDY3kRuZLpUL6yCAShDLiBhp/CEtdExWnZseEp"
		    "lY=", NULL, NULL },
		{ "Dovecot's PLAIN", TAPI_OK, 1, "alice:{PLAIN}hunter2", 0,
		    TAPI_CREDENTIALS, 0, TAPI_INVALID, NULL, "popdpass -P",
		    "hunter2" },
		{ "Dovecot's LANMAN", TAPI_OK, 1, "alice:{LANMAN}5350280f8"
		    "5bc507e6b49c9eee863ab20", 0,
		    TAPI_CREDENTIALS, 0, TAPI_INVALID, NULL, "reset the user",
		    "5350280f" },
		/* Weak since issue 69: checked as Dovecot does. */
		{ "Dovecot's CRAM-MD5", TAPI_OK, 1, "alice:{CRAM-MD5}5350280f8"
		    "5bc507e6b49c9eee863ab2048b91ebfe30258f038f8aad48bfa219c", 0,
		    TAPI_CREDENTIALS, 0, TAPI_FOUND, "{CRAM-MD5}5350280f85bc507e"
		    "6b49c9eee863ab2048b91ebfe30258f038f8aad48bfa219c", NULL,
		    NULL },
		{ "\"$y$\" alone", TAPI_OK, 1, "alice:$y$", 0,
		    TAPI_CREDENTIALS, 0, TAPI_INVALID, NULL, "hash", NULL },
		{ "no hash", TAPI_OK, 1, "alice:", 0, TAPI_CREDENTIALS, 0,
		    TAPI_INVALID, NULL, "hash", NULL },
		{ "userinfo", TAPI_OK, 1, "1000:1000:/home/alice", 0,
		    TAPI_USERINFO, 0, TAPI_FOUND, "1000:1000:/home/alice",
		    NULL, NULL },
		{ "userinfo as it came", TAPI_OK, 1, "not a userinfo", 0,
		    TAPI_USERINFO, 0, TAPI_FOUND, "not a userinfo", NULL,
		    NULL },
		{ "userinfo that just fits", TAPI_OK, 1, "1:1:/a", 0,
		    TAPI_USERINFO, 7, TAPI_FOUND, "1:1:/a", NULL, NULL },
		{ "userinfo one byte too long", TAPI_OK, 1, "1:1:/ab", 0,
		    TAPI_USERINFO, 7, TAPI_INVALID, NULL,
		    "a value of 7 bytes", "1:1:/ab" },
		{ "credentials too long", TAPI_OK, 1, "alice:" BC, 0,
		    TAPI_CREDENTIALS, 32, TAPI_INVALID, NULL,
		    "a value of 66 bytes", BC + 7 },
		{ "none", TAPI_OK, 0, NULL, 0, TAPI_CREDENTIALS, 0, TAPI_NONE,
		    NULL, NULL, NULL },
		{ "error", TAPI_OK, -1, NULL, 0, TAPI_USERINFO, 0, TAPI_ERROR,
		    NULL, NULL, NULL },
		{ "none and a value", TAPI_OK, 0, "alice:" BC, 0,
		    TAPI_CREDENTIALS, 0, TAPI_BAD, NULL, "after its answer 0",
		    BC + 7 },
		{ "error and a byte", TAPI_OK, -1, "", 0, TAPI_USERINFO, 0,
		    TAPI_BAD, NULL, "1 bytes after its answer -1", NULL },
		{ "the answer 2", TAPI_OK, 2, "alice:" BC, 0,
		    TAPI_CREDENTIALS, 0, TAPI_BAD, NULL, "the answer 2",
		    BC + 7 },
		{ "the answer -2", TAPI_OK, -2, NULL, 0, TAPI_CREDENTIALS, 0,
		    TAPI_BAD, NULL, "the answer -2", NULL },
		{ "found and no value", TAPI_OK, 1, NULL, 0, TAPI_CREDENTIALS,
		    0, TAPI_BAD, NULL, "not one string", NULL },
		{ "a value without its NUL", TAPI_OK, 1, "alice:" BC,
		    sizeof("alice:" BC) - 1, TAPI_CREDENTIALS, 0, TAPI_BAD,
		    NULL, "not one string", BC + 7 },
		{ "a value with a NUL inside", TAPI_OK, 1, "alice:$2b\0" BC,
		    sizeof("alice:$2b\0" BC), TAPI_CREDENTIALS, 0, TAPI_BAD,
		    NULL, "not one string", BC + 7 },
		{ "two values", TAPI_OK, 1, "1:1:/a\0" "2:2:/b",
		    sizeof("1:1:/a\0" "2:2:/b"), TAPI_USERINFO, 0, TAPI_BAD,
		    NULL, "not one string", NULL },
		{ "a frame of type 1", 1, 1, "alice:" BC, 0,
		    TAPI_CREDENTIALS, 0, TAPI_BAD, NULL, "type 1", BC + 7 },
		{ "a lookup for an answer", TAPI_LOOKUP, 0, NULL, 0,
		    TAPI_CREDENTIALS, 0, TAPI_BAD, NULL, "type 6", NULL },
	};
	static char	 value[TAPI_MAXLEN];
	unsigned char	 p[TAPI_MAXLEN];
	char		 why[192];
	size_t		 i, j, plen, vlen, bufsz;
	int		 r, clean;

	for (i = 0; i < nitems(cases); i++) {
		memcpy(p, &cases[i].res, 4);
		plen = 4;
		if (cases[i].val != NULL) {
			vlen = cases[i].vlen ? cases[i].vlen :
			    strlen(cases[i].val) + 1;
			memcpy(p + 4, cases[i].val, vlen);
			plen += vlen;
		}
		bufsz = cases[i].bufsz ? cases[i].bufsz : sizeof(value);
		memset(value, FILL, sizeof(value));
		memset(why, 0, sizeof(why));
		r = tapi_answer(cases[i].type, p, plen, cases[i].service,
		    "alice", value, bufsz, why, sizeof(why));
		CHECK(r == cases[i].want, "%s: %s, want %s (%s)",
		    cases[i].name, result_str(r), result_str(cases[i].want),
		    why);
		if (r == TAPI_FOUND) {
			CHECK_STR(value, cases[i].value);
			continue;
		}
		if (cases[i].why != NULL)
			CHECK(strstr(why, cases[i].why) != NULL,
			    "%s: why \"%s\", want \"%s\" in it",
			    cases[i].name, why, cases[i].why);
		if (cases[i].secret != NULL)
			CHECK(strstr(why, cases[i].secret) == NULL,
			    "%s: why \"%s\" holds the value", cases[i].name,
			    why);
		/* What was refused is not left in the buffer. */
		for (j = 0, clean = 1; j < sizeof(value); j++)
			if ((unsigned char)value[j] != FILL && value[j] != '\0')
				clean = 0;
		CHECK(clean, "%s: the value stays in the buffer",
		    cases[i].name);
	}

	/* A payload shorter than the answer's int. */
	memset(p, 0, 4);
	for (plen = 0; plen < 4; plen++) {
		why[0] = '\0';
		r = tapi_answer(TAPI_OK, p, plen, TAPI_USERINFO, "alice",
		    value, sizeof(value), why, sizeof(why));
		CHECK(r == TAPI_BAD && strstr(why, "an answer of") != NULL,
		    "an answer of %zu bytes: %s (%s)", plen, result_str(r),
		    why);
	}
}

static void
test_valid_hash(void)
{
	static const struct {
		const char	*hash;
		int		 want;
	} cases[] = {
		{ BC, 1 },
		{ "$2a$04$YdByxKSiJ.4e00dW5oeBN./JDD86S0BXGZETea57GhiFIf4iu2nQG",
		    1 },
		{ "$2y$31$YdByxKSiJ.4e00dW5oeBN./JDD86S0BXGZETea57GhiFIf4iu2nQG",
		    1 },
		{ "$2b$03$YdByxKSiJ.4e00dW5oeBN./JDD86S0BXGZETea57GhiFIf4iu2nQG",
		    0 },
		{ "$2b$32$YdByxKSiJ.4e00dW5oeBN./JDD86S0BXGZETea57GhiFIf4iu2nQG",
		    0 },
		{ "$2x$04$YdByxKSiJ.4e00dW5oeBN./JDD86S0BXGZETea57GhiFIf4iu2nQG",
		    0 },
		{ "$2b$04$YdByxKSiJ.4e00dW5oeBN./JDD86S0BXGZETea57GhiFIf4iu2nQ",
		    0 },
		{ "$2b$04$YdByxKSiJ.4e00dW5oeBN./JDD86S0BXGZETea57GhiFIf4iu2nQ!",
		    0 },
		{ SHA, 1 },
		{ "$5$salt$eC8iHMk0B/acxRGi4idWiCK/.xXHLUsxovn4V591t3.", 1 },
		{ "$5$salt$abc", 0 },	/* cut short */
		{ "$6$xy", 0 },
		{ "$6$x", 0 },		/* len > 4 */
		{ YES, 1 },
		{ "$y$j9", 0 },		/* no r, no '$' */
		{ "$y$j", 0 },
		{ "$y$", 0 },
		{ "$gy$j9T$salt$hash", 0 },	/* gost-yescrypt */
		{ "$1$salt$qJH7.N4xYta3aEG/dfqo/0", 1 },	/* weak */
		{ "{PLAIN}secret", 0 },
		{ "$7$salt$hash", 0 },
		{ "plaintext", 0 },
		{ "", 0 },
	};
	size_t	i;

	for (i = 0; i < nitems(cases); i++)
		/* As tablepop: authpop refuses a cost over its ceiling. */
		CHECK((pwscheme_allowed(cases[i].hash, 1 | PWA_COSTLY, NULL,
		    NULL, 0) ==
		    0) == cases[i].want,
		    "pwscheme_allowed(\"%s\") %d, want %d", cases[i].hash,
		    !cases[i].want, cases[i].want);
}

static void
test_parse_user(void)
{
	static const struct {
		const char	*val;
		uid_t		 uid;		/* 0: refused */
		gid_t		 gid;		/* refused: -1 or -2 */
		const char	*path;		/* refused: in why */
	} cases[] = {
		{ "1000:1000:/home/alice", 1000, 1000, "/home/alice" },
		{ "1:2:/", 1, 2, "/" },
		{ "1000:1000:/home/a:b", 1000, 1000, "/home/a:b" },
		{ "4294967294:4294967294:/x", 4294967294U, 4294967294U,
		    "/x" },
		{ "4294967295:1:/x", 0, -1, "uid" },
		{ "1:4294967295:/x", 0, -1, "gid" },
		{ "0:1000:/x", 0, -2, "0 are refused" },
		{ "1000:0:/x", 0, -2, "0 are refused" },
		{ "-1:1:/x", 0, -1, "uid" },
		{ "abc:1:/x", 0, -1, "uid" },
		{ ":1:/x", 0, -1, "uid" },
		{ "1000:1000:home/alice", 0, -2, "not absolute" },
		{ "1000:1000:", 0, -2, "not absolute" },
		{ "1000:1000:/a/../b", 0, -2, "\"..\"" },
		{ "1000:1000:/a/..", 0, -2, "\"..\"" },
		{ "1000:/x", 0, -1, "uid:gid:/path" },
		{ "1000", 0, -1, "uid:gid:/path" },
		{ "", 0, -1, "uid:gid:/path" },
	};
	static char		 buf[PATH_MAX + 64];
	struct userinfo		 ui;
	char			 why[256];
	size_t			 i;
	int			 r;

	for (i = 0; i < nitems(cases); i++) {
		(void)strlcpy(buf, cases[i].val, sizeof(buf));
		memset(&ui, 0, sizeof(ui));
		why[0] = '\0';
		r = table_parse_user(buf, &ui, why, sizeof(why));
		if (cases[i].uid == 0) {
			CHECK(r == (int)cases[i].gid &&
			    strstr(why, cases[i].path) != NULL,
			    "\"%s\": %d (%s), want %d with \"%s\"",
			    cases[i].val, r, why, (int)cases[i].gid,
			    cases[i].path);
			continue;
		}
		CHECK(r == 0 && ui.uid == cases[i].uid &&
		    ui.gid == cases[i].gid && ui.path != NULL &&
		    strcmp(ui.path, cases[i].path) == 0,
		    "\"%s\": %d (%s) %u:%u:%s", cases[i].val, r, why,
		    (unsigned)ui.uid, (unsigned)ui.gid,
		    ui.path ? ui.path : "(null)");
		/* The value is whole again. */
		CHECK_STR(buf, cases[i].val);
	}

	/* Paths of PATH_MAX - 1 bytes, and PATH_MAX. */
	(void)strlcpy(buf, "1:1:", sizeof(buf));
	memset(buf + 4, 'a', PATH_MAX - 1);
	buf[4] = '/';
	buf[4 + PATH_MAX - 1] = '\0';
	CHECK_INT(table_parse_user(buf, &ui, why, sizeof(why)), 0);
	buf[4 + PATH_MAX - 1] = 'a';
	buf[4 + PATH_MAX] = '\0';
	CHECK(table_parse_user(buf, &ui, why, sizeof(why)) == -2 &&
	    strstr(why, "too long") != NULL, "a path of PATH_MAX: %s", why);
}

int
main(void)
{
	test_frame();
	test_request();
	test_opened();
	test_answer();
	test_valid_hash();
	test_parse_user();
	return unit_done();
}
