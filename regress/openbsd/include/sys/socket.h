/*
 * OpenBSD stand-in (regress/openbsd/check.sh): glibc's <sys/socket.h>
 * plus what OpenBSD's declares and glibc does not, or hides without
 * _GNU_SOURCE, as in OpenBSD's manual pages.  Only what popd uses.
 */
#ifndef POPD_OBSD_SYS_SOCKET_H
#define POPD_OBSD_SYS_SOCKET_H

#include_next <sys/socket.h>

/* getpeereid(2) */
int	 getpeereid(int s, uid_t *euid, gid_t *egid);
/* accept(2) */
int	 accept4(int s, struct sockaddr *addr, socklen_t *addrlen, int flags);

#endif
