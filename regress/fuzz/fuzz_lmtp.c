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
 * fuzz_lmtp -- libFuzzer target for what an MTA sends the lmtp process
 * (lmtp/lmtp_cmd.c).  The input is read twice:
 *  - as command lines (split at LF, a CR before it dropped), each parsed
 *    from an exact-size heap copy: a reply is "NNN N.N.N text", a parsed
 *    path is 0x21-0x7E and at most LMTP_MAXADDR long (what the parent's
 *    channel accepts), empty only for MAIL;
 *  - as a DATA stream: decoded whole, and in chunks cut where a PRNG
 *    seeded by the first byte says, each chunk an exact-size copy: both
 *    must agree with a line-by-line reference, take no byte after the
 *    end, leave only a last CR unconsumed, and never write more than
 *    they consume.
 *
 *	make regress/fuzz/fuzz_lmtp && regress/fuzz/fuzz_lmtp -max_total_time=60
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lmtp/lmtp_cmd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#include "../lmtpref.h"

static char *
dup_exact(const char *p, size_t len)
{
	char	*s;

	if ((s = malloc(len == 0 ? 1 : len)) == NULL)
		abort();
	if (len > 0)
		memcpy(s, p, len);
	return s;
}

/*
 * The keys of a RCPT path: 1 to LMTP_MAXKEYS, the first the path, each
 * a terminated string no longer than the one before it.
 */
static void
check_keys(const char *path)
{
	char	keys[LMTP_MAXKEYS][LMTP_MAXADDR + 1];
	int	i, n;

	memset(keys, 'x', sizeof(keys));
	n = lmtp_rcpt_keys(path, keys);
	if (n < 1 || n > LMTP_MAXKEYS || strcmp(keys[0], path) != 0)
		abort();
	for (i = 0; i < n; i++)
		if (memchr(keys[i], '\0', sizeof(keys[i])) == NULL ||
		    (i > 0 && strlen(keys[i]) > strlen(keys[i - 1])))
			abort();
}

static void
check_line(const char *line, size_t len)
{
	struct lmtp_cmd	 cmd;
	const char	*err;
	char		*copy;
	size_t		 i, n;

	copy = dup_exact(line, len);
	err = lmtp_parse(copy, len, &cmd);
	free(copy);
	if (err != NULL) {
		n = strlen(err);
		if (n < 11 || err[0] < '4' || err[0] > '5' || err[3] != ' ' ||
		    err[4] != err[0] || err[5] != '.' || err[9] != ' ')
			abort();
		return;
	}
	if (cmd.verb == LMTP_UNKNOWN || cmd.verb == LMTP_HELO)
		abort();
	n = strnlen(cmd.path, sizeof(cmd.path));
	if (n == sizeof(cmd.path))
		abort();
	if (cmd.verb != LMTP_MAIL && cmd.verb != LMTP_RCPT && n != 0)
		abort();
	if (cmd.verb == LMTP_RCPT && n == 0)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)cmd.path[i] <= ' ' ||
		    (unsigned char)cmd.path[i] >= 0x7f)
			abort();
	if (cmd.size < -1 || cmd.body < LMTP_BODY_NONE ||
	    cmd.body > LMTP_BODY_8BITMIME)
		abort();
	if (cmd.verb == LMTP_RCPT)
		check_keys(cmd.path);
}

/* Decode with cuts from the PRNG state *seed (0: in one piece). */
static size_t
decode(const char *in, size_t len, uint32_t seed, struct buf *out,
    int *done)
{
	struct lmtp_data st;
	struct buf	 acc = { 0 };
	char		*chunk, *o;
	size_t		 from = 0, to, used, olen, total = 0;

	lmtp_data_init(&st);
	*done = 0;
	while (from < len && !*done) {
		if (seed == 0)
			to = len;
		else {
			seed = seed * 1103515245 + 12345;
			to = from + (seed >> 16) % 9;
			if (to > len)
				to = len;
		}
		buf_add(&acc, in + from, to - from);
		from = to;
		chunk = dup_exact(acc.p, acc.len);
		o = malloc(acc.len == 0 ? 1 : acc.len);
		if (o == NULL)
			abort();
		used = lmtp_data(&st, chunk, acc.len, o, &olen, done);
		if (used > acc.len || olen > used)
			abort();
		if (!*done && used != acc.len &&
		    (used != acc.len - 1 || chunk[used] != '\r'))
			abort();
		buf_add(out, o, olen);
		free(o);
		free(chunk);
		total += used;
		memmove(acc.p, acc.p + used, acc.len - used);
		acc.len -= used;
	}
	free(acc.p);
	return total;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*in = (const char *)data, *p, *end, *lf;
	struct buf	 a = { 0 }, b = { 0 }, r = { 0 };
	size_t		 ua, ub, ur, n;
	int		 da, db, dr;

	end = in + size;
	for (p = in; p < end; p = lf + 1) {
		if ((lf = memchr(p, '\n', end - p)) == NULL)
			lf = end;
		n = lf - p;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		check_line(p, n);
		if (lf == end)
			break;
	}

	ua = decode(in, size, 0, &a, &da);
	ub = decode(in, size, size > 0 ? data[0] + 1 : 1, &b, &db);
	ur = reference(in, size, &r, &dr);
	if (ua != ub || da != db || a.len != b.len ||
	    (a.len > 0 && memcmp(a.p, b.p, a.len) != 0))
		abort();
	if (ua != ur || da != dr || a.len != r.len ||
	    (a.len > 0 && memcmp(a.p, r.p, a.len) != 0))
		abort();
	if (a.len > ua)
		abort();
	free(a.p);
	free(b.p);
	free(r.p);
	return 0;
}
