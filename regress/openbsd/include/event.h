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
 * OpenBSD stand-in (regress/openbsd/check.sh): OpenBSD's libevent is
 * libevent 1.4 (event(3), evbuffer_new(3)).  Debian's <event.h> is the
 * 1.4 compatibility header of libevent 2, which also declares the 2.x
 * API: the 2.x-only names are poisoned, so that using one fails here
 * as it would fail to compile on OpenBSD.
 */
#ifndef POPD_OBSD_EVENT_H
#define POPD_OBSD_EVENT_H

#include_next <event.h>

/* Macros of libevent 2 first, as a macro cannot be poisoned. */
#undef evtimer_new
#undef evtimer_assign
#undef evsignal_new
#undef evsignal_assign
#undef evsignal_add
#undef evsignal_del
#undef evsignal_set

#pragma GCC poison event_new event_free event_assign event_get_fd
#pragma GCC poison event_get_base event_get_callback event_get_events
#pragma GCC poison event_base_new_with_config event_config_new
#pragma GCC poison event_base_loopcontinue event_self_cbarg
#pragma GCC poison evtimer_new evtimer_assign evsignal_new evsignal_assign
#pragma GCC poison evsignal_add evsignal_del evsignal_set
#pragma GCC poison evbuffer_get_length evbuffer_pullup evbuffer_copyout
#pragma GCC poison evbuffer_add_reference evbuffer_search evbuffer_ptr_set
#pragma GCC poison evbuffer_get_contiguous_space evbuffer_reserve_space
#pragma GCC poison evbuffer_commit_space evbuffer_prepend
#pragma GCC poison evbuffer_write_atmost evbuffer_freeze evbuffer_unfreeze
#pragma GCC poison bufferevent_socket_new bufferevent_get_input
#pragma GCC poison bufferevent_get_output bufferevent_setcb

#endif
