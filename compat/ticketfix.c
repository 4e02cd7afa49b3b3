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
 * ticketfix.c -- libretls's ticket key callback returns 0, which OpenSSL
 * takes for "issue no ticket": popd defines SSL_CTX_callback_ctrl (a
 * program's own definitions come first) to wrap it and answer 1 where
 * libtls answered 0 to an encryption.  OpenBSD's libtls needs none.
 */
#include <dlfcn.h>
#include <stddef.h>

/* openssl/ssl.h: SSL_CTRL_SET_TLSEXT_TICKET_KEY_CB */
#define TICKET_KEY_CB	72

typedef int	(*ticket_cb)(void *, unsigned char *, unsigned char *, void *,
		    void *, int);
typedef long	(*callback_ctrl)(void *, int, void (*)(void));

long		 SSL_CTX_callback_ctrl(void *, int, void (*)(void));

static ticket_cb	libtls_cb;

static int
ticket_fix(void *ssl, unsigned char *name, unsigned char *iv, void *cctx,
    void *hctx, int enc)
{
	int	r;

	r = libtls_cb(ssl, name, iv, cctx, hctx, enc);
	return enc == 1 && r == 0 ? 1 : r;
}

long
SSL_CTX_callback_ctrl(void *ctx, int cmd, void (*fp)(void))
{
	static callback_ctrl	next;

	if (next == NULL && (next = (callback_ctrl)dlsym(RTLD_NEXT,
	    "SSL_CTX_callback_ctrl")) == NULL)
		return 0;	/* libtls: "failed to set the ticket callback" */
	if (cmd == TICKET_KEY_CB && fp != NULL) {
		libtls_cb = (ticket_cb)fp;
		fp = (void (*)(void))ticket_fix;
	}
	return next(ctx, cmd, fp);
}
