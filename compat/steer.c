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

/* steer.c -- the kernel steers each client address to one listener. */
#include <sys/types.h>
#include <sys/socket.h>
#ifdef __linux__
#include <linux/filter.h>
#endif

#include <errno.h>
#include <stdint.h>

#include "compat.h"

/*
 * One client's connections all go to one listener, so its per-address
 * counts are exact.  Only Linux can steer (SO_ATTACH_REUSEPORT_CBPF):
 * elsewhere the listeners share one socket.
 */
int
compat_steer_sockets(void)
{
#ifdef __linux__
	return 1;
#else
	return 0;
#endif
}

int
compat_reuseport(int fd)
{
#ifdef __linux__
	int	on = 1;

	return setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
#else
	errno = EOPNOTSUPP;
	return -1;
#endif
}

#ifdef __linux__
static uint32_t
steer_mask(int prefix, int w)
{
	int	bits = prefix - 32 * w;

	if (bits <= 0)
		return 0;
	return bits >= 32 ? 0xffffffffU : 0xffffffffU << (32 - bits);
}
#endif

int
compat_steer(int fd, unsigned int n, int v4, int v6)
{
#ifdef __linux__
#define NET(k)	(SKF_NET_OFF + (k))
	struct sock_filter	 prog[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, NET(0)),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 3, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(12)),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, steer_mask(v4, 0)),
		BPF_JUMP(BPF_JMP | BPF_JA, 14, 0, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(8)),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, steer_mask(v6, 0)),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(12)),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, steer_mask(v6, 1)),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(16)),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, steer_mask(v6, 2)),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(20)),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, steer_mask(v6, 3)),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		/* Fibonacci hashing, then one of n. */
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1U),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog	 fp = { nitems(prog), prog };
#undef NET

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &fp,
	    sizeof(fp));
#else
	errno = EOPNOTSUPP;
	return -1;
#endif
}
