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

#ifndef POPD_LMTP_CMD_H
#define POPD_LMTP_CMD_H

#include <stddef.h>

#include "proto.h"

/* A command line with its CRLF: RFC 5321 4.5.3.1.4. */
#define LMTP_MAXLINE		512

enum lmtp_verb {
	LMTP_UNKNOWN,
	LMTP_LHLO,
	LMTP_HELO,		/* HELO or EHLO: not LMTP */
	LMTP_MAIL,
	LMTP_RCPT,
	LMTP_DATA,
	LMTP_RSET,
	LMTP_NOOP,
	LMTP_QUIT,
	LMTP_VRFY,
};

#define LMTP_BODY_NONE		0
#define LMTP_BODY_7BIT		1
#define LMTP_BODY_8BITMIME	2

struct lmtp_cmd {
	enum lmtp_verb	 verb;
	/* MAIL, RCPT: the path without <> and source route; MAIL: "" = <>. */
	char		 path[LMTP_MAXADDR + 1];
	long long	 size;		/* MAIL SIZE=, or -1 */
	int		 body;		/* MAIL BODY=: LMTP_BODY_* */
};

/*
 * A CR is never held across calls: lmtp_data leaves it unconsumed until the
 * byte after it has come.
 */
struct lmtp_data {
	int		 state;
	int		 done;
};

/* lmtp_cmd.c */
const char	*lmtp_parse(const char *, size_t, struct lmtp_cmd *);
int		 lmtp_rcpt_keys(const char *, char [][LMTP_MAXADDR + 1]);
void		 lmtp_data_init(struct lmtp_data *);
size_t		 lmtp_data(struct lmtp_data *, const char *, size_t, char *,
		    size_t *, int *);

#endif
