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
 * test_lmtpcmd -- the LMTP command parser and DATA decoder of the lmtp
 * process (lmtp/lmtp_cmd.c): what OpenSMTPD's lmtp client and Python's
 * smtplib.LMTP send, then every kind of bad line; DATA streams with
 * their traps (bare LF, bare CR, dots, pipelined commands after the
 * end), each decoded whole, split at every byte, byte by byte, and
 * random streams against a line-by-line reference.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lmtp/lmtp_cmd.h"
#include "unit.h"

#define E_UNKNOWN	"500 5.5.1 unknown command"
#define E_HELO		"500 5.5.1 this is LMTP: use LHLO"
#define E_TOOLONG	"500 5.5.2 line too long"
#define E_CHARS		"501 5.5.4 invalid character in command"
#define E_LHLO		"501 5.5.4 syntax: LHLO hostname"
#define E_MAIL		"501 5.5.4 syntax: MAIL FROM:<address>"
#define E_RCPT		"501 5.5.4 syntax: RCPT TO:<address>"
#define E_VRFY		"501 5.5.4 syntax: VRFY address"
#define E_NOARGS	"501 5.5.4 no parameters allowed"
#define E_SIZE		"501 5.5.4 bad SIZE parameter"
#define E_BODY		"501 5.5.4 bad BODY parameter"
#define E_DUP		"501 5.5.4 parameter given twice"
#define E_PARAM		"555 5.5.4 unsupported parameter"
#define E_ADDR		"553 5.1.3 invalid character or syntax in address"
#define E_ADDRLONG	"553 5.1.3 address too long"
#define E_EMPTY		"553 5.1.3 empty address"

#include "../lmtpref.h"

/* A line given with its length, so that it may hold NUL. */
static const char *
parse_n(const char *line, size_t len, struct lmtp_cmd *cmd)
{
	return lmtp_parse(line, len, cmd);
}

static const char *
parse(const char *line, struct lmtp_cmd *cmd)
{
	return parse_n(line, strlen(line), cmd);
}

#define OKCMD(line, v, want) do {					\
	struct lmtp_cmd c_;						\
	CHECK_STR(parse(line, &c_), NULL);				\
	CHECK_INT(c_.verb, v);						\
	CHECK_STR(c_.path, want);					\
} while (0)

#define BAD(line, v, err) do {						\
	struct lmtp_cmd c_;						\
	CHECK_STR(parse(line, &c_), err);				\
	CHECK_INT(c_.verb, v);						\
} while (0)

/* The keys of a RCPT path, in order, joined by "|". */
static const char *
keys(const char *path)
{
	static char	 out[4 * (LMTP_MAXADDR + 1)];
	char		 k[LMTP_MAXKEYS][LMTP_MAXADDR + 1];
	int		 i, n;

	n = lmtp_rcpt_keys(path, k);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			(void)strlcat(out, "|", sizeof(out));
		(void)strlcat(out, k[i], sizeof(out));
	}
	return out;
}

/* The usertab keys a recipient names: what the parent is asked. */
static void
test_keys(void)
{
	CHECK_STR(keys("alice+news@example.org"),
	    "alice+news@example.org|alice@example.org|alice");
	CHECK_STR(keys("alice@example.org"), "alice@example.org|alice");
	CHECK_STR(keys("alice"), "alice");
	CHECK_STR(keys("alice+x"), "alice+x|alice");
	/* A + in the domain is no detail. */
	CHECK_STR(keys("alice@ex+ample.org"), "alice@ex+ample.org|alice");
	/* The last @ ends the local part; the first + starts a detail. */
	CHECK_STR(keys("a+b+c@d@e"), "a+b+c@d@e|a@e|a");
	CHECK_STR(keys("+x@example.org"), "+x@example.org|@example.org|");
}

static void
test_commands(void)
{
	struct lmtp_cmd	 c;
	char		 line[1024], addr[300];

	/* OpenSMTPD's mda_lmtp.c. */
	OKCMD("LHLO mx.example.org", LMTP_LHLO, "");
	OKCMD("MAIL FROM:<alice@example.org>", LMTP_MAIL,
	    "alice@example.org");
	OKCMD("MAIL FROM:<>", LMTP_MAIL, "");
	OKCMD("RCPT TO:<bob@example.org>", LMTP_RCPT, "bob@example.org");
	OKCMD("DATA", LMTP_DATA, "");
	OKCMD("QUIT", LMTP_QUIT, "");
	/* Python's smtplib.LMTP: lower-case verbs and size=. */
	OKCMD("lhlo client.example.org", LMTP_LHLO, "");
	CHECK_STR(parse("mail FROM:<a@example.org> size=1234", &c), NULL);
	CHECK_INT(c.verb, LMTP_MAIL);
	CHECK_STR(c.path, "a@example.org");
	CHECK_INT(c.size, 1234);
	CHECK_INT(c.body, LMTP_BODY_NONE);
	OKCMD("rcpt TO:<b@example.org>", LMTP_RCPT, "b@example.org");
	OKCMD("data", LMTP_DATA, "");
	OKCMD("rset", LMTP_RSET, "");
	OKCMD("noop", LMTP_NOOP, "");
	OKCMD("quit", LMTP_QUIT, "");
	OKCMD("NOOP anything at all", LMTP_NOOP, "");
	OKCMD("VRFY alice", LMTP_VRFY, "");
	OKCMD("LHLO [127.0.0.1]", LMTP_LHLO, "");

	/* Liberal: one space after the colon; any case in the keyword. */
	OKCMD("MAIL FROM: <a@b>", LMTP_MAIL, "a@b");
	OKCMD("mail from:<a@b>", LMTP_MAIL, "a@b");
	OKCMD("RCPT TO: <a@b>", LMTP_RCPT, "a@b");
	OKCMD("RcPt To:<postmaster>", LMTP_RCPT, "postmaster");
	/* Source routes are dropped. */
	OKCMD("MAIL FROM:<@a.example,@b.example:u@c.example>", LMTP_MAIL,
	    "u@c.example");
	OKCMD("RCPT TO:<@relay:alice@example.org>", LMTP_RCPT,
	    "alice@example.org");
	BAD("RCPT TO:<@relay>", LMTP_RCPT, E_ADDR);
	BAD("MAIL FROM:<@relay:>", LMTP_MAIL, E_EMPTY);

	/* Parameters of MAIL. */
	CHECK_STR(parse("MAIL FROM:<a@b> SIZE=0 BODY=8BITMIME", &c), NULL);
	CHECK_INT(c.size, 0);
	CHECK_INT(c.body, LMTP_BODY_8BITMIME);
	CHECK_STR(parse("MAIL FROM:<a@b> body=7bit", &c), NULL);
	CHECK_INT(c.body, LMTP_BODY_7BIT);
	CHECK_INT(c.size, -1);
	CHECK_STR(parse("MAIL FROM:<> SIZE=9223372036854775807", &c), NULL);
	CHECK_INT(c.size, 9223372036854775807LL);
	CHECK_STR(c.path, "");
	BAD("MAIL FROM:<a@b> SIZE=9223372036854775808", LMTP_MAIL, E_SIZE);
	BAD("MAIL FROM:<a@b> SIZE=99999999999999999999999", LMTP_MAIL,
	    E_SIZE);
	BAD("MAIL FROM:<a@b> SIZE=", LMTP_MAIL, E_SIZE);
	BAD("MAIL FROM:<a@b> SIZE=-1", LMTP_MAIL, E_SIZE);
	BAD("MAIL FROM:<a@b> SIZE=+1", LMTP_MAIL, E_SIZE);
	BAD("MAIL FROM:<a@b> SIZE=12k", LMTP_MAIL, E_SIZE);
	BAD("MAIL FROM:<a@b> SIZE=1 SIZE=2", LMTP_MAIL, E_DUP);
	BAD("MAIL FROM:<a@b> BODY=7BIT BODY=7BIT", LMTP_MAIL, E_DUP);
	BAD("MAIL FROM:<a@b> BODY=BINARYMIME", LMTP_MAIL, E_BODY);
	BAD("MAIL FROM:<a@b> BODY=", LMTP_MAIL, E_BODY);
	BAD("MAIL FROM:<a@b> AUTH=<>", LMTP_MAIL, E_PARAM);
	BAD("MAIL FROM:<a@b> SMTPUTF8", LMTP_MAIL, E_PARAM);
	BAD("MAIL FROM:<a@b> SIZE", LMTP_MAIL, E_PARAM);
	BAD("MAIL FROM:<a@b> SIZE=1\001", LMTP_MAIL, E_CHARS);
	BAD("MAIL FROM:<a@b> BODY=8BITMIME\t", LMTP_MAIL, E_CHARS);
	BAD("RCPT TO:<a@b> NOTIFY=NEVER", LMTP_RCPT, E_PARAM);
	BAD("RCPT TO:<a@b> SIZE=1", LMTP_RCPT, E_PARAM);

	/* Strict everywhere else. */
	BAD("MAIL FROM:  <a@b>", LMTP_MAIL, E_MAIL);
	BAD("MAIL FROM:a@b", LMTP_MAIL, E_MAIL);
	BAD("MAIL FROM:<a@b", LMTP_MAIL, E_MAIL);
	BAD("MAIL FROM:<a@b>x", LMTP_MAIL, E_MAIL);
	BAD("MAIL FROM:<a@b> ", LMTP_MAIL, E_MAIL);
	BAD("MAIL FROM:<a@b>  SIZE=1", LMTP_MAIL, E_MAIL);
	BAD("MAIL FROM:", LMTP_MAIL, E_MAIL);
	BAD("MAIL FROM", LMTP_MAIL, E_MAIL);
	BAD("MAIL", LMTP_MAIL, E_MAIL);
	BAD("MAIL TO:<a@b>", LMTP_MAIL, E_MAIL);
	BAD("MAIL  FROM:<a@b>", LMTP_MAIL, E_MAIL);
	BAD("RCPT FROM:<a@b>", LMTP_RCPT, E_RCPT);
	BAD("RCPT TO:", LMTP_RCPT, E_RCPT);
	BAD("RCPT TO:alice", LMTP_RCPT, E_RCPT);
	BAD("RCPT TO:<>", LMTP_RCPT, E_EMPTY);
	BAD("RCPT TO:<a b@c>", LMTP_RCPT, E_ADDR);
	BAD("RCPT TO:<\"a b\"@c>", LMTP_RCPT, E_ADDR);
	BAD("RCPT TO:<a<b@c>", LMTP_RCPT, E_ADDR);
	BAD("RCPT TO:<a\001@c>", LMTP_RCPT, E_ADDR);
	BAD("RCPT TO:<a\t@c>", LMTP_RCPT, E_ADDR);
	BAD("RCPT TO:<a\177@c>", LMTP_RCPT, E_ADDR);
	BAD("RCPT TO:<j\303\251@example.org>", LMTP_RCPT, E_ADDR);
	BAD("MAIL FROM:<\303\251@example.org>", LMTP_MAIL, E_ADDR);
	CHECK_STR(parse_n("RCPT TO:<a\0b@c>", 15, &c), E_ADDR);
	CHECK_STR(parse_n("MAIL FROM:<a@b>\0", 16, &c), E_MAIL);
	CHECK_STR(parse_n("NOOP \0", 6, &c), E_CHARS);
	CHECK_STR(parse_n("DATA\0", 5, &c), E_UNKNOWN);

	BAD("HELO mx.example.org", LMTP_HELO, E_HELO);
	BAD("EHLO mx.example.org", LMTP_HELO, E_HELO);
	BAD("ehlo", LMTP_HELO, E_HELO);
	BAD("LHLO", LMTP_LHLO, E_LHLO);
	BAD("LHLO ", LMTP_LHLO, E_LHLO);
	BAD("LHLO  x", LMTP_LHLO, E_LHLO);
	BAD("LHLO h\303\251", LMTP_LHLO, E_CHARS);
	BAD("LHLO a\rb", LMTP_LHLO, E_CHARS);
	BAD("DATA x", LMTP_DATA, E_NOARGS);
	BAD("DATA ", LMTP_DATA, E_NOARGS);
	BAD("RSET now", LMTP_RSET, E_NOARGS);
	BAD("QUIT ", LMTP_QUIT, E_NOARGS);
	BAD("VRFY", LMTP_VRFY, E_VRFY);
	BAD("VRFY ", LMTP_VRFY, E_VRFY);
	BAD("NOOP \033[2J", LMTP_NOOP, E_CHARS);
	BAD("", LMTP_UNKNOWN, E_UNKNOWN);
	BAD(" DATA", LMTP_UNKNOWN, E_UNKNOWN);
	BAD("DATAX", LMTP_UNKNOWN, E_UNKNOWN);
	BAD("XDATA", LMTP_UNKNOWN, E_UNKNOWN);
	BAD("DAT", LMTP_UNKNOWN, E_UNKNOWN);
	BAD("STARTTLS", LMTP_UNKNOWN, E_UNKNOWN);
	BAD("AUTH PLAIN AGFsaWNlAHNlY3JldA==", LMTP_UNKNOWN, E_UNKNOWN);
	BAD("BDAT 100 LAST", LMTP_UNKNOWN, E_UNKNOWN);
	BAD("GET / HTTP/1.0", LMTP_UNKNOWN, E_UNKNOWN);

	/* A path of 255 octets is the longest (RFC 5321 4.5.3.1.3). */
	memset(addr, 'a', 255);
	memcpy(addr + 250, "@b.de", 5);
	addr[255] = '\0';
	(void)snprintf(line, sizeof(line), "RCPT TO:<%s>", addr);
	CHECK_STR(parse(line, &c), NULL);
	CHECK_STR(c.path, addr);
	(void)snprintf(line, sizeof(line), "RCPT TO:<a%s>", addr);
	CHECK_STR(parse(line, &c), E_ADDRLONG);
	/* The route does not count. */
	(void)snprintf(line, sizeof(line), "MAIL FROM:<@r.example:%s>", addr);
	CHECK_STR(parse(line, &c), NULL);
	CHECK_STR(c.path, addr);

	/* 510 octets and CRLF: the longest line. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "NOOP ", 5);
	CHECK_STR(parse_n(line, 510, &c), NULL);
	CHECK_INT(c.verb, LMTP_NOOP);
	CHECK_STR(parse_n(line, 511, &c), E_TOOLONG);
}

/*
 * Decode in, cut at the offsets in cuts (ascending), as the process
 * does: what lmtp_data leaves unconsumed stays in front of the next
 * bytes.  Returns the input consumed up to the end of the message (or
 * all of it), the output in out.
 */
static size_t
decode(const char *in, size_t len, const size_t *cuts, size_t ncuts,
    struct buf *out, int *done)
{
	struct lmtp_data st;
	struct buf	 acc = { 0 };
	char		*o;
	size_t		 k, from, to, used, olen, total = 0;

	out->len = 0;
	*done = 0;
	lmtp_data_init(&st);
	buf_add(out, "", 0);
	buf_add(&acc, "", 0);
	for (k = 0, from = 0; from < len && !*done; k++, from = to) {
		to = k < ncuts && cuts[k] < len ? cuts[k] : len;
		if (to < from)
			to = from;
		buf_add(&acc, in + from, to - from);
		if ((o = malloc(acc.len + 1)) == NULL)
			abort();
		used = lmtp_data(&st, acc.p, acc.len, o, &olen, done);
		CHECK(olen <= used, "output %zu > consumed %zu", olen, used);
		CHECK(used <= acc.len, "consumed %zu of %zu", used, acc.len);
		/* Only a last CR may wait, unless the message ended. */
		if (!*done)
			CHECK(used == acc.len || (used == acc.len - 1 &&
			    acc.p[used] == '\r'), "left %zu bytes",
			    acc.len - used);
		buf_add(out, o, olen);
		free(o);
		total += used;
		memmove(acc.p, acc.p + used, acc.len - used);
		acc.len -= used;
	}
	free(acc.p);
	return total;
}


struct dcase {
	const char	*in;
	size_t		 inlen;
	const char	*out;
	size_t		 outlen;
	size_t		 used;
	int		 done;
};
#define DC(i, o, u, d)	{ i, sizeof(i) - 1, o, sizeof(o) - 1, u, d }

static const struct dcase dcases[] = {
	DC(".\r\n", "", 3, 1),
	DC("\r\n.\r\n", "\n", 5, 1),
	DC("a\r\n.\r\n", "a\n", 6, 1),
	DC("Subject: x\r\n\r\nbody\r\n.\r\n", "Subject: x\n\nbody\n", 23, 1),
	/* Pipelined commands after the end are not consumed. */
	DC("a\r\n.\r\nQUIT\r\n", "a\n", 6, 1),
	DC(".\r\nRSET\r\n", "", 3, 1),
	/* Dot-stuffing. */
	DC("..\r\n.\r\n", ".\n", 7, 1),
	DC("..a\r\n.\r\n", ".a\n", 8, 1),
	DC(".a\r\n.\r\n", "a\n", 7, 1),
	DC("a\r\n...\r\n.\r\n", "a\n..\n", 11, 1),
	DC("a.\r\n.\r\n", "a.\n", 7, 1),
	/* DESIGN 24: LF.LF and LF.CRLF are data. */
	DC("a\n.\nb\r\n.\r\n", "a\n.\nb\n", 10, 1),
	DC("a\n.\r\nb\r\n.\r\n", "a\n.\nb\n", 11, 1),
	DC("a\n.\r\n", "a\n.\n", 5, 0),
	DC("\n.\n", "\n.\n", 3, 0),
	DC("a\r.\r\n.\r\n", "a\r.\n", 8, 1),
	/* A line ".\n..." starts with a dot: it is removed. */
	DC("\r\n.\nx\r\n.\r\n", "\n\nx\n", 10, 1),
	/* Bare CRs stay. */
	DC("a\rb\r\n.\r\n", "a\rb\n", 8, 1),
	DC("\r\r\n.\r\n", "\r\n", 6, 1),
	DC("\r\r\r\n.\r\n", "\r\r\n", 7, 1),
	DC(".\r.\r\n.\r\n", "\r.\n", 8, 1),
	DC(".\r\r\n.\r\n", "\r\n", 7, 1),
	DC("\r\n\r\n.\r\n", "\n\n", 7, 1),
	/* NUL and 8-bit bytes are data. */
	DC("a\0b\r\n\377\r\n.\r\n", "a\0b\n\377\n", 11, 1),
	/* Not finished: a last CR waits, a last dot is held in the state. */
	DC("abc", "abc", 3, 0),
	DC("abc\r", "abc", 3, 0),
	DC("abc\r\n", "abc\n", 5, 0),
	DC("abc\r\n.", "abc\n", 6, 0),
	DC("abc\r\n.\r", "abc\n", 6, 0),
	DC("abc\r\n.\n", "abc\n\n", 7, 0),
	DC("", "", 0, 0),
	DC("\r", "", 0, 0),
	DC(".", "", 1, 0),
};

static void
check_case(const struct dcase *d)
{
	struct buf	 out = { 0 }, ref = { 0 };
	size_t		 cuts[2], *all, used, i, j, rused;
	int		 done, rdone;

	rused = reference(d->in, d->inlen, &ref, &rdone);
	CHECK(rused == d->used && rdone == d->done && ref.len == d->outlen &&
	    memcmp(ref.p, d->out, ref.len) == 0,
	    "reference of case %zu bytes \"%s\": used %zu done %d len %zu",
	    d->inlen, d->in, rused, rdone, ref.len);

	/* Whole, and at every one or two cuts. */
	for (i = 0; i <= d->inlen; i++)
		for (j = i; j <= d->inlen; j++) {
			cuts[0] = i;
			cuts[1] = j;
			used = decode(d->in, d->inlen, cuts, 2, &out, &done);
			CHECK(used == d->used && done == d->done &&
			    out.len == d->outlen &&
			    memcmp(out.p, d->out, out.len) == 0,
			    "\"%s\" cut at %zu, %zu: used %zu (want %zu) done "
			    "%d (want %d) out %zu bytes \"%s\" (want \"%s\")",
			    d->in, i, j, used, d->used, done, d->done,
			    out.len, out.p, d->out);
		}
	/* Byte by byte. */
	if ((all = calloc(d->inlen + 1, sizeof(*all))) == NULL)
		abort();
	for (i = 0; i < d->inlen; i++)
		all[i] = i + 1;
	used = decode(d->in, d->inlen, all, d->inlen, &out, &done);
	CHECK(used == d->used && done == d->done && out.len == d->outlen &&
	    memcmp(out.p, d->out, out.len) == 0,
	    "\"%s\" byte by byte: used %zu done %d", d->in, used, done);
	free(all);
	free(out.p);
	free(ref.p);
}

static void
test_data(void)
{
	struct lmtp_data st;
	char		 o[16];
	size_t		 i, olen;
	int		 done;

	for (i = 0; i < nitems(dcases); i++)
		check_case(&dcases[i]);

	/* After the end nothing more is taken. */
	lmtp_data_init(&st);
	CHECK_INT(lmtp_data(&st, ".\r\n", 3, o, &olen, &done), 3);
	CHECK_INT(done, 1);
	CHECK_INT(lmtp_data(&st, "x\r\n", 3, o, &olen, &done), 0);
	CHECK_INT(olen, 0);
	CHECK_INT(done, 1);
	/* Init starts a new message. */
	lmtp_data_init(&st);
	CHECK_INT(lmtp_data(&st, "x", 1, o, &olen, &done), 1);
	CHECK_INT(done, 0);
	CHECK_INT(olen, 1);
}

/* Random streams of the bytes that matter, at random cuts. */
static void
test_random(void)
{
	static const char alphabet[] = ".\r\na\0";
	struct buf	 out = { 0 }, ref = { 0 };
	char		 in[64];
	size_t		 cuts[8], len, used, rused, i, k, bad = 0;
	int		 round, done, rdone;

	srandom(19);
	for (round = 0; round < 200000; round++) {
		len = random() % sizeof(in);
		for (i = 0; i < len; i++)
			in[i] = alphabet[random() % (sizeof(alphabet) - 1)];
		for (k = 0; k < nitems(cuts); k++)
			cuts[k] = len ? random() % (len + 1) : 0;
		/* Ascending. */
		for (i = 1; i < nitems(cuts); i++)
			for (k = i; k > 0 && cuts[k - 1] > cuts[k]; k--) {
				size_t t = cuts[k];

				cuts[k] = cuts[k - 1];
				cuts[k - 1] = t;
			}
		rused = reference(in, len, &ref, &rdone);
		used = decode(in, len, cuts, nitems(cuts), &out, &done);
		if (used != rused || done != rdone || out.len != ref.len ||
		    memcmp(out.p, ref.p, out.len) != 0 || out.len > len)
			bad++;
	}
	CHECK(bad == 0, "%zu random streams differ from the reference", bad);
	free(out.p);
	free(ref.p);
}

int
main(void)
{
	test_commands();
	test_keys();
	test_data();
	test_random();
	return unit_done();
}
