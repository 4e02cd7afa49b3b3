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
 * The popd program, the parent alone: the kinds of child it supervises,
 * the default ports and its command line.  Its modules: popd/parent.h.
 */
#ifndef POPD_POPD_H
#define POPD_POPD_H

#include <sys/types.h>
#include <sys/resource.h>

#include "proto.h"

#define POPD_PORT		"995"		/* implicit TLS */
#define POPD_PLAIN_PORT		"110"		/* plaintext with STLS */

/* The supervised children (supervise.c). */
enum proc_id { KIND_LISTENER, KIND_AUTHPOP, KIND_LMTP, KIND_CONTROL,
    KIND_TABLE, KIND_ROUTE, KIND_KEY, KIND_HTTP, KIND_MAX };

#define MAX_LISTEN	POPD_MAXLISTEN	/* bound sockets */

/* -a authtab, -c certfile, -e subdir, -k keyfile, -u usertab. */
struct popd_args {
	const char	*conffile;	/* -f; NULL: the flags' shorthand */
	const char	*ctlsock;	/* -s: wins over popd.conf's */
	char		*flags[5];
	char		*listen_args[MAX_LISTEN], *plain_args[MAX_LISTEN];
	char		*trusted_args[MAX_LISTEN];
	char		*macros[MAX_LISTEN];	/* -D */
	int		 nl, np, nt, nd;
	int		 legacy, tls12;
	int		 foreground;	/* -F: no detaching, still syslog */
	int		 noaction;	/* -n */
	int		 report;	/* -m */
	char		*text;		/* the flags' statements, once made */
};
__dead void	 popd_usage(void);
void		 flags_parse(int, char *[], struct popd_args *, const char *);
int		 flags_relative(const struct popd_args *);

extern int	debug, verbose;	/* -d, -v */

#endif
