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
 * popd.h -- the popd program: what its processes share, the parent
 * (popd.c and its modules, declared in parent.h) and the roles it runs
 * as popd -P (listener.c, lmtp.c, control.c, declared here).
 */
#ifndef POPD_POPD_H
#define POPD_POPD_H

#include <sys/types.h>
#include <sys/resource.h>

#include "proto.h"

#define POPD_PORT		"995"		/* implicit TLS */
#define POPD_PLAIN_PORT		"110"		/* plaintext with STLS */

/* What the parent and the listener answer a client they turn away. */
#define BUSY		"-ERR [SYS/TEMP] server busy, try later\r\n"
#define BUSY_ADDR	"-ERR [SYS/TEMP] too many connections from your " \
			"address, try later\r\n"

/* The supervised children (supervise.c). */
enum proc_id { KIND_LISTENER, KIND_AUTHPOP, KIND_LMTP, KIND_CONTROL,
    KIND_TABLE, KIND_MAX };

struct chan;
struct conf_listen;
struct proc;
struct userinfo;

/* listener.c, lmtp.c, control.c: popd -P ROLE (proc.h) */
struct proc_role;
extern const struct proc_role listener_role, lmtp_role, control_role;

/* pki.c */
struct tls;
struct tls_config;
struct tls	*pki_tls(size_t, char *const [], char *const [], size_t,
		    const char *, int, struct tls_config **);

#endif
