/*
 * OpenBSD stand-in (regress/openbsd/check.sh): glibc's <netinet/tcp.h>
 * without the Linux-only socket options, with OpenBSD's TCP_NOPUSH
 * (tcp(4)).
 */
#ifndef POPD_OBSD_NETINET_TCP_H
#define POPD_OBSD_NETINET_TCP_H

#include_next <netinet/tcp.h>

#undef TCP_CORK
#undef TCP_KEEPIDLE
#undef TCP_KEEPINTVL
#undef TCP_KEEPCNT
#undef TCP_DEFER_ACCEPT
#undef TCP_QUICKACK
#undef TCP_USER_TIMEOUT
#undef TCP_FASTOPEN
#undef TCP_CONGESTION
#define TCP_NOPUSH	0x10

#endif
