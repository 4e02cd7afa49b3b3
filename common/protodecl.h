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

/* protodecl.h -- field checks and the row macro of proto.c and peers.c. */
#ifndef PROTODECL_H
#define PROTODECL_H

#include "proto.h"

#define OPTUSER(f)	(TERMINATED(f) && ((f)[0] == '\0' || \
			    valid_username(f)))

const char	*valid_none(const void *);
const char	*valid_login(const void *);
const char	*valid_count(const void *);
const char	*valid_notours(const void *);
int		 valid_label(const char *, size_t);
int		 valid_net(const struct netaddr *);
int		 valid_time(double);
void		 msg_index(const struct msg_decl *, size_t);
void		 peers_decls(void);

#define P	PROC_PARENT
#define L	PROC_LISTENER
#define A	PROC_AUTHPOP
#define W	PROC_WRKRPOP
#define M	PROC_LMTP
#define V	PROC_DLVRPOP
#define C	PROC_CONTROL
#define T	PROC_TABLE
#define R	PROC_ROUTE
#define Y	PROC_KEY
#define H	PROC_HTTP
#define RUN	PH_RUN
#define ANY	(PH_RUN | PH_DRAIN)
/*
 * PROTO_SELF keeps the field checks of what it receives: chan_send checks only
 * type, size, descriptor and phase.
 */
#ifdef PROTO_SELF
#define OURS(from, to)	((to) & (PROTO_SELF))
#else
#define OURS(from, to)	1
#endif
/*
 * The programs before login lack the messages none of them uses: their reviewer
 * reads only theirs.
 */
#if !defined(PROTO_SELF) || !((PROTO_SELF) & (L | A | H))
#define HAS_REST	1
#endif
#define D(t, from, to, payload, fd, valid, phases, next)		\
	{ t, &(#t)[4], from, to, payload, fd,				\
	    OURS(from, to) ? valid : valid_notours, phases, next }

#endif
