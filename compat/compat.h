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
 * compat.h -- the small layer that hides OS differences from the role files.
 * On Linux, libbsd (overlay mode) supplies strlcpy, strtonum, closefrom,
 * setproctitle, explicit_bzero, reallocarray, freezero, getprogname.
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

/* A string field must end inside its fixed-size buffer. */
#define TERMINATED(f)	(memchr((f), '\0', sizeof(f)) != NULL)

/*
 * The OpenBSD branches of compat.c and sandbox.c: on OpenBSD, and in
 * make openbsd-test's build on Linux (regress/openbsd/emu.sh), which
 * runs them over an emulation of OpenBSD's calls; never in Linux's.
 */
#if defined(__OpenBSD__) || defined(POPD_EMU_OPENBSD)
#define POPD_OPENBSD	1
#endif

#ifndef MSG_CMSG_CLOEXEC
#define MSG_CMSG_CLOEXEC 0
#endif

/*
 * The absolute path of the running executable, used to find the helpers
 * next to a popd run from the build tree.  Returns -1 on failure.
 */
int	compat_exe_path(char *, size_t);
void	compat_exe_keep(const char *);

/*
 * A file that a less privileged user may swap (a certificate in a
 * directory someone else owns, a table, a state file), opened only if
 * it is a regular file: flags O_RDONLY or O_RDWR, with O_NOFOLLOW if a
 * symbolic link at the end is refused; O_NONBLOCK, O_NOCTTY and
 * O_CLOEXEC added (the caller clears O_NONBLOCK).  Nothing else is
 * ever opened by it, not even without blocking: on Linux the name is
 * resolved once (O_PATH), the inode checked, and that inode opened
 * through /proc/self/fd (by name again, and checked to be the same
 * inode, where there is no /proc: a chroot); elsewhere stat(2), open
 * and fstat(2) of the descriptor.  -1 with errno, EFTYPE if the file
 * is not a regular one.
 */
#ifndef EFTYPE
#define EFTYPE	EMEDIUMTYPE
#endif
int	compat_open_regular(const char *, int);

/*
 * Hold back (on 1) or send at once (0) the partial segments of a TCP
 * socket: Linux TCP_CORK, BSD TCP_NOPUSH.  -1 with errno on failure.
 */
int	compat_cork(int, int);

/*
 * Moving bytes between descriptors without copying them through the
 * process: compat_relay_pipe makes a non-blocking, close-on-exec pipe
 * of about size bytes; compat_splice moves up to len bytes from one
 * descriptor to another, one of them a pipe, without blocking (Linux
 * splice(2)).  Elsewhere both fail with ENOSYS and the caller copies.
 */
int	compat_relay_pipe(int [2], size_t);
ssize_t	compat_splice(int, int, size_t);

/*
 * A mapping a child of fork(2) does not get (Linux MADV_DONTFORK; else
 * nothing).  -1 with errno on failure.
 */
int	compat_nofork(void *, size_t);

/*
 * Can the root parent start a mail user's process with root's real uid
 * and no capabilities at its exec (popd/child.c)?  On Linux that needs
 * CAP_SETPCAP, for SECBIT_NOROOT: 0, or -1 with errno EPERM without it.
 * Elsewhere 0.
 */
int	compat_spawn_ready(void);

/* Does this process hold no capability at all?  0, or -1 (Linux). */
int	compat_nocaps(void);

/* Return the stack pages below the caller's frame (Linux; else nothing). */
void	compat_stack_trim(void);

/* Return freed heap memory to the system (glibc keeps it). */
void	compat_memtrim(void);

/* The memory this process may use (limits, cgroup), KiB; 0: none. */
unsigned long	compat_mem_limit(void);

/*
 * A file of no name, read and write, close-on-exec, that can be sealed
 * (Linux memfd): the lmtp process's spool, and what the parent hands
 * its children as files (pki.c, users.c); compat_spool_seal
 * forbids any further write, growth or shrinking, and any other seal,
 * so that whoever is handed the descriptor reads what was written.
 * OpenBSD has no seals: an unlinked shm_mkstemp(3) file, which only the
 * holders of the descriptor reach.  -1 with errno on failure.
 */
int	compat_spool_create(const char *);
int	compat_spool_seal(int);
/*
 * A spool and, in *ro, the descriptor to hand on once it is written and
 * sealed: the spool itself where seals keep it from changing (Linux),
 * else (OpenBSD) the file opened read-only before its name went.
 */
int	compat_spool_ro(const char *, int *);

/*
 * A shared page of counters (stats.c): a file of no name, size bytes,
 * close-on-exec.  On Linux it is sealed against shrinking and growing,
 * so that no holder can make another's mapping fault (SIGBUS); OpenBSD
 * has no seals.  -1 with errno on failure.
 */
int	compat_page_create(const char *, size_t);
/*
 * Several listeners on one address: whether the kernel can steer each
 * client to one of them (compat_steer), and SO_REUSEPORT set on a
 * socket before its bind.
 */
int	compat_steer_sockets(void);
int	compat_reuseport(int);
int	compat_steer(int, unsigned int, int, int);
/*
 * The next entry of the user database, as getpwent(3): 0 with *pw the
 * entry in pwbuf and buf (Linux) or in static storage (OpenBSD), or
 * NULL at the end; else an errno value.
 */
struct passwd;
int	compat_getpwent(struct passwd *, char *, size_t, struct passwd **);

/*
 * user's password hash from the shadow database (Linux getspnam_r(3),
 * OpenBSD getpwnam_shadow(3)), root only: 1 with it in hash, 0 if the
 * user has none or it does not fit, -1 with errno if the database
 * cannot be read.  Not to be called while compat_getpwent walks.
 */
int	compat_pwhash(const char *, char *, size_t);

/*
 * Bytes sent on a unix socket and not read by its peer (0 where the
 * system cannot say); -1 with errno.
 */
int	compat_unread(int);

/* The effective uid and gid of a unix socket's peer; -1 with errno. */
int	compat_peerid(int, uid_t *, gid_t *);
int	compat_tcp_exists(int, const void *, uint16_t, const void *,
	    uint16_t);

/* Disable core dumps for processes that may hold secrets. */
int	compat_nocoredump(void);

/*
 * crypt(3) through libxcrypt on Linux, crypt_checkpass(3) on OpenBSD.
 * Longer passwords cannot match any hash we accept; hashes are shorter.
 */
#define COMPAT_PASS_MAX		511
#define COMPAT_HASH_MAX		383
int	compat_checkpass(const char *, const char *);
int	compat_newhash(const char *, int, char *, size_t);

/*
 * The listener's TLS with keys it never holds (compat/tlssign.c on
 * libtls over OpenSSL, tlssign_openbsd.c on LibreSSL's libtls): each
 * keypair of a configuration given to compat_tls_keyless has its
 * certificate only, and each signature of a handshake is asked of the
 * signer that compat_tls_signer set (keypop's, listener.c): the key's
 * id (SHA-256 of the certificate's public key bits), the kind below,
 * the input; it puts the signature in sig (SIGN_MAXSIG bytes) and its
 * length in *siglen, or returns -1.  compat_tls_keyless_done says
 * whether the n keypairs of a configured context do sign that way:
 * -1 with the reason logged if this libtls cannot, and the listener
 * refuses to serve rather than hold a key.
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
/*
 * OpenBSD's timingsafe_bcmp(3), which glibc and Debian 12's libbsd
 * lack: 0 if the n bytes are equal, in time that depends on n alone.
 */
int	compat_timingsafe_bcmp(const void *, const void *, size_t);
#define timingsafe_bcmp	compat_timingsafe_bcmp

/* Title for ps(1), as OpenBSD's setproctitle(3). */
void	compat_setproctitle(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
#define setproctitle	compat_setproctitle
#endif

#endif
