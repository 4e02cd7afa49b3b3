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
 * popd.h -- the popd program, which is the parent alone: the kinds of
 * child it supervises and the default ports.  Its modules are declared
 * in parent.h; each child is a program of its own (listener/, lmtp/,
 * control/, authpop/, wrkrpop/, dlvrpop/).
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

#endif
