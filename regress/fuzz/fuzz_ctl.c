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
 * fuzz_ctl -- libFuzzer target for what a client of the control socket
 * sends (common/control_cmd.c), as the control process reads it: the input is
 * cut into lines at LF, each parsed from an exact-size heap copy.  A
 * request accepted must pass the parent's check of MSG_CONTROL_REQUEST
 * (proto.c), unchanged by a second parse of the same line, and have a
 * canonical line (ctlcmd_line, which the parent compares the socket's
 * line with, requests.c) that parses back to it and is its own; a
 * refusal must leave the request zeroed and give a printable reason
 * that fits.
 *
 *	make regress/fuzz/fuzz_ctl && regress/fuzz/fuzz_ctl -max_total_time=60
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control_cmd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_line(const char *line, size_t len)
{
	static const struct msg_ctlreq	 zero;
	const struct msg_decl		*d = msg_decl(MSG_CONTROL_REQUEST);
	struct msg_ctlreq		 req, again;
	char				 err[CTL_ERRMAX];
	char				 canon[CTL_LINEMAX], canon2[CTL_LINEMAX];
	char				*copy;
	size_t				 i, n;

	if ((copy = malloc(len == 0 ? 1 : len)) == NULL)
		abort();
	memcpy(copy, line, len);
	memset(err, 'x', sizeof(err));
	if (ctlcmd_parse(copy, len, &req, err, sizeof(err)) == 0) {
		if (req.req != 0 || d->valid(&req) != NULL)
			abort();
		if (ctlcmd_parse(copy, len, &again, err, sizeof(err)) != 0 ||
		    memcmp(&req, &again, sizeof(req)) != 0)
			abort();
		if (ctlcmd_line(&req, canon, sizeof(canon)) != 0 ||
		    ctlcmd_parse(canon, strlen(canon), &again, err,
		    sizeof(err)) != 0 || memcmp(&req, &again, sizeof(req)) != 0 ||
		    ctlcmd_line(&again, canon2, sizeof(canon2)) != 0 ||
		    strcmp(canon, canon2) != 0)
			abort();
	} else {
		if (memcmp(&req, &zero, sizeof(req)) != 0)
			abort();
		n = strnlen(err, sizeof(err));
		if (n == 0 || n == sizeof(err))
			abort();
		for (i = 0; i < n; i++)
			if (err[i] < 0x20 || err[i] >= 0x7f)
				abort();
	}
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data, *lf;
	size_t		 left = size;

	while (left > 0) {
		if ((lf = memchr(p, '\n', left)) == NULL) {
			check_line(p, left);
			break;
		}
		check_line(p, lf - p);
		left -= lf + 1 - p;
		p = lf + 1;
	}
	return 0;
}
