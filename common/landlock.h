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

#ifndef POPD_LANDLOCK_H
#define POPD_LANDLOCK_H

#include <sys/syscall.h>

#include <stddef.h>
#include <stdint.h>

/*
 * Spelled out: the installed headers (Debian 12, ABI 2) are older than our
 * kernels, and the ABI is stable.
 */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset	444
#define SYS_landlock_add_rule		445
#define SYS_landlock_restrict_self	446
#endif

#define LL_CREATE_RULESET_VERSION	(1U << 0)
#define LL_RULE_PATH_BENEATH		1
#define LL_RULE_NET_PORT		2	/* ABI 4 */

#define LL_FS_EXECUTE		(1ULL << 0)
#define LL_FS_WRITE_FILE	(1ULL << 1)
#define LL_FS_READ_FILE		(1ULL << 2)
#define LL_FS_READ_DIR		(1ULL << 3)
#define LL_FS_REMOVE_DIR	(1ULL << 4)
#define LL_FS_REMOVE_FILE	(1ULL << 5)
#define LL_FS_MAKE_CHAR		(1ULL << 6)
#define LL_FS_MAKE_DIR		(1ULL << 7)
#define LL_FS_MAKE_REG		(1ULL << 8)
#define LL_FS_MAKE_SOCK		(1ULL << 9)
#define LL_FS_MAKE_FIFO		(1ULL << 10)
#define LL_FS_MAKE_BLOCK	(1ULL << 11)
#define LL_FS_MAKE_SYM		(1ULL << 12)
#define LL_FS_REFER		(1ULL << 13)	/* ABI 2 */
#define LL_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define LL_FS_ABI1		((1ULL << 13) - 1)
#define LL_FS_ALL		(LL_FS_ABI1 | LL_FS_REFER | LL_FS_TRUNCATE | \
				    LL_FS_IOCTL_DEV)
#define LL_FS_FILE		(LL_FS_EXECUTE | LL_FS_WRITE_FILE | \
				    LL_FS_READ_FILE | LL_FS_TRUNCATE | \
				    LL_FS_IOCTL_DEV)

#define LL_NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP	(1ULL << 1)	/* ABI 4 */
#define LL_NOBIND		2	/* ll_restrict nonet: TCP bind only */

#define LL_SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL		(1ULL << 1)	/* ABI 6 */

#define LL_ABI_KNOWN		7

struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;	/* ABI 4 */
	uint64_t	scoped;			/* ABI 6 */
};

struct ll_path_beneath_attr {
	uint64_t	allowed_access;
	int32_t		parent_fd;
} __attribute__((__packed__));

struct ll_path {
	const char	*path;
	uint64_t	 access;
};

struct ll_net_port_attr {
	uint64_t	allowed_access;
	uint64_t	port;
};

/*
 * A maildir role: read and write messages, create in tmp/, rename across tmp/
 * new/ cur/ (REFER), delete, truncate.  Not devices, fifos, sockets, symlinks,
 * rmdir, exec.
 */
#define LL_MAILDIR_RIGHTS	(LL_FS_READ_FILE | LL_FS_WRITE_FILE | \
				    LL_FS_READ_DIR | LL_FS_REMOVE_FILE | \
				    LL_FS_MAKE_REG | LL_FS_MAKE_DIR | \
				    LL_FS_REFER | LL_FS_TRUNCATE)

/* landlock.c */
int	sandbox_landlock_abi_hook(int);
int	ll_abi(void);
int	ll_restrict(const char *, uint64_t, int, const struct ll_path *,
	    size_t, int, int);

#endif
