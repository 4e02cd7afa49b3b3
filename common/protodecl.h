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
 * protodecl.h -- what the two tables of message declarations share:
 * proto.c's (every channel of the parent's) and peers.c's (the channels
 * the parent makes between two children and never reads).  The field
 * checks both use (protocheck.c), and the row macro.
 */
#ifndef PROTODECL_H
#define PROTODECL_H

#include "proto.h"

/* A user name, or none (""). */
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
 * A program built with PROTO_SELF, its PROC_* (0 for one with no
 * channel), keeps the checks of the messages it receives only: the
 * others' validators are then not in it (Makefile).  chan_send checks
 * what leaves against its declaration (type, size, descriptor, phase),
 * never its fields: its receiver does, and a message that does not
 * pass is that receiver's to refuse.  The transport never calls another
 * process's validator, since it refuses any message not to the process
 * first.  Unit tests and fuzzers keep them all.
 */
#ifdef PROTO_SELF
#define OURS(from, to)	((to) & (PROTO_SELF))
#else
#define OURS(from, to)	1
#endif
/*
 * The programs before login (listener, authpop, httppop) are built
 * without the declarations of the messages that none of them sends or
 * receives (decls_rest, peers_rest): their reviewer reads only theirs,
 * and they refuse those types as unknown, as the parent does peers.c's.
 */
#if !defined(PROTO_SELF) || !((PROTO_SELF) & (L | A | H))
#define HAS_REST	1
#endif
#define D(t, from, to, payload, fd, valid, phases, next)		\
	{ t, &(#t)[4], from, to, payload, fd,				\
	    OURS(from, to) ? valid : valid_notours, phases, next }

#endif
