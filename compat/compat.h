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
 * The small layer that hides OS differences from the role files.  On
 * Linux, libbsd (overlay mode) supplies strlcpy, strtonum, closefrom...
 */
#ifndef POPD_COMPAT_H
#define POPD_COMPAT_H

#include <sys/types.h>

#include <stdint.h>

#ifndef __dead
#define __dead __attribute__((__noreturn__))
#endif

#ifndef __unused
#define __unused __attribute__((__unused__))
#endif

#ifndef nitems
#define nitems(a)	(sizeof((a)) / sizeof((a)[0]))
#endif

#define TERMINATED(f)	(memchr((f), '\0', sizeof(f)) != NULL)

/* Also in make openbsd-test's Linux build, over an emulation of OpenBSD. */
#if defined(__OpenBSD__) || defined(POPD_EMU_OPENBSD)
#define POPD_OPENBSD	1
#endif

#ifndef MSG_CMSG_CLOEXEC
#define MSG_CMSG_CLOEXEC 0
#endif

int	compat_exe_path(char *, size_t);
void	compat_exe_keep(const char *);

/*
 * Opens only a regular file, never anything else, not even without
 * blocking: a less privileged user may swap it.  EFTYPE if not regular.
 */
#ifndef EFTYPE
#define EFTYPE	EMEDIUMTYPE
#endif
int	compat_open_regular(const char *, int);

int	compat_cork(int, int);

/* Linux splice(2); elsewhere ENOSYS and the caller copies. */
int	compat_relay_pipe(int [2], size_t);
ssize_t	compat_splice(int, int, size_t);

int	compat_nofork(void *, size_t);

/* Linux needs CAP_SETPCAP for SECBIT_NOROOT: -1 with EPERM without it. */
int	compat_spawn_ready(void);

int	compat_nocaps(void);

void	compat_stack_trim(void);

void	compat_memtrim(void);

unsigned long	compat_mem_limit(void);

/*
 * Sealed so that whoever is handed the descriptor reads what was
 * written.  OpenBSD has no seals: an unlinked shm_mkstemp(3) file.
 */
int	compat_spool_create(const char *);
int	compat_spool_seal(int);
int	compat_spool_ro(const char *, int *);

/* Sealed on Linux: no holder can make another's mapping fault (SIGBUS). */
int	compat_page_create(const char *, size_t);
int	compat_steer_sockets(void);
int	compat_reuseport(int);
int	compat_steer(int, unsigned int, int, int);
struct passwd;
int	compat_getpwent(struct passwd *, char *, size_t, struct passwd **);

/* Not to be called while compat_getpwent walks. */
int	compat_pwhash(const char *, char *, size_t);

int	compat_unread(int);

int	compat_peerid(int, uid_t *, gid_t *);
int	compat_tcp_exists(int, const void *, uint16_t, const void *,
	    uint16_t);

int	compat_nocoredump(void);

/* Longer passwords cannot match any hash we accept; hashes are shorter. */
#define COMPAT_PASS_MAX		511
#define COMPAT_HASH_MAX		383
int	compat_checkpass(const char *, const char *);
int	compat_newhash(const char *, int, char *, size_t);

/*
 * TLS with keys the listener never holds: keypop signs.  If this libtls
 * cannot, the listener refuses to serve rather than hold a key.
 */
#define SIGN_RSA_PKCS1		1	/* a DigestInfo, PKCS#1 v1.5 padded */
#define SIGN_RSA_RAW		2	/* a PSS encoding, no padding added */
#define SIGN_ECDSA		3	/* a digest, signed as DER */
typedef int	(*compat_signer)(const uint8_t *, uint32_t, const uint8_t *,
		    size_t, uint8_t *, size_t *);
struct tls_config;
void	compat_tls_signer(compat_signer);
int	compat_tls_keyless(struct tls_config *);
int	compat_tls_keyless_done(size_t);

#ifdef __linux__
/* glibc and Debian 12's libbsd lack timingsafe_bcmp(3). */
int	compat_timingsafe_bcmp(const void *, const void *, size_t);
#define timingsafe_bcmp	compat_timingsafe_bcmp

void	compat_setproctitle(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
#define setproctitle	compat_setproctitle
#endif

#endif
