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

#ifndef POPD_POP3_H
#define POPD_POP3_H

#include <stddef.h>

#include "util.h"

#define POP3_MAXLINE		255	/* RFC 2449: commands and CAPA lines */
#define POP3_MAXARG		40	/* RFC 2449: arguments */
#define POP3_IDLE_TIMEOUT	600	/* RFC 1939 section 3: 10 minutes */

#define POP3_GREETING	"+OK popd ready\r\n"
#define BUSY		"-ERR [SYS/TEMP] server busy, try later\r\n"
#define BUSY_ADDR	"-ERR [SYS/TEMP] too many connections from your " \
			"address, try later\r\n"

enum pop3_cmd {
	CMD_UNKNOWN = 0,
	CMD_USER, CMD_PASS, CMD_QUIT, CMD_CAPA, CMD_AUTH, CMD_STLS,
	CMD_STAT, CMD_LIST, CMD_RETR, CMD_DELE, CMD_NOOP, CMD_RSET,
	CMD_TOP, CMD_UIDL, CMD_APOP, CMD_LAST
};

struct pop3_line {
	enum pop3_cmd	 cmd;
	char		 name[5];	/* the keyword as sent, upper-cased */
	int		 nargs;
	char		*args[2];	/* point into the line buffer */
	char		 buf[POP3_MAXLINE + 1];
};

#define POP3_SASL_MAXLINE	1024	/* base64 AUTH PLAIN response */

struct pop3_framer {
	size_t		 len;		/* bytes of the line so far */
	int		 toolong;	/* dropping up to the LF */
	char		 line[POP3_SASL_MAXLINE + 1];
};
#define FRAME_MORE		0	/* no complete line yet */
#define FRAME_LINE		1	/* fr->line holds one */
#define FRAME_TOOLONG		2	/* an overlong line was dropped */

/* pop3.c */
#define POP3_OK			0
#define POP3_ETOOLONG		(-1)	/* line over POP3_MAXLINE octets */
#define POP3_EBADCHAR		(-2)	/* NUL or control byte in the line */
#define POP3_EARG		(-3)	/* argument too long or too many */
#define CAPA_USER		0x01	/* USER/PASS allowed here */
#define CAPA_STLS		0x02	/* plaintext port offering STLS */
#define CAPA_SASL		0x04	/* AUTH PLAIN allowed here */
long long	 pop3_number(const char *);
int		 pop3_parse(struct pop3_line *, const char *, size_t);
const char	*pop3_capa(int, int, int);
int		 pop3_frame(struct pop3_framer *, const char *, size_t, size_t,
		    size_t *);
void		 pop3_frame_reset(struct pop3_framer *);
int		 pop3_sasl_plain(const char *, char *, size_t, char *, size_t);

#endif
