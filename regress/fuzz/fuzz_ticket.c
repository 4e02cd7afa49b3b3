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
 * fuzz_ticket -- libFuzzer target for a backend's check of a router's
 * ticket (authpop/loginticket.c): the input is a user, a NUL and the
 * password as PASS brings it.  The check reads it without a fault; a
 * ticket made here for the input's user is taken for that user and for
 * no other name (the user with one more byte, or one less).
 *
 *	make fuzz && regress/fuzz/fuzz_ticket -max_total_time=60
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../authpop/auth.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct peeraddr	local;

static void
setup(void)
{
	static const unsigned char	a[4] = { 192, 0, 2, 1 };
	char				key[32];
	int				fd;

	memset(key, 'k', sizeof(key));
	if ((fd = memfd_create("fuzz_ticket", 0)) == -1 ||
	    write(fd, key, sizeof(key)) != sizeof(key) ||
	    lseek(fd, 0, SEEK_SET) != 0 || ticket_init(fd, "key") == -1 ||
	    peer_set(&local, AF_INET, a, 110) == -1)
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 ready;
	char		*in, *user, *pass, t[TICKET_MAX], other[300];
	const char	*why;
	uint64_t	 nonce;
	int64_t		 expiry;
	size_t		 ulen;

	if (!ready) {
		setup();
		ready = 1;
	}
	/* An exact copy, NUL-terminated: a read past it is ASan's. */
	if ((in = malloc(size + 1)) == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	user = in;
	ulen = strlen(user);
	pass = ulen < size ? in + ulen + 1 : in + size;
	(void)ticket_check(user, pass, &local, &nonce, &expiry, &why);
	if (ulen > 0 && ulen < sizeof(other) - 1) {
		if (ticket_make(user, "192.0.2.1", t, sizeof(t)) == -1 ||
		    ticket_check(user, t, &local, &nonce, &expiry, &why) != 1)
			abort();
		memcpy(other, user, ulen);
		other[ulen] = 'x';
		other[ulen + 1] = '\0';
		if (ticket_check(other, t, &local, &nonce, &expiry, &why) != 0)
			abort();
		other[ulen - 1] = '\0';
		if (ticket_check(other, t, &local, &nonce, &expiry, &why) != 0)
			abort();
	}
	free(in);
	return 0;
}
