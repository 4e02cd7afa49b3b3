/*
 * popd.h -- the popd program: the parent (popd.c) and the listener
 * (listener.c).
 */
#ifndef POPD_POPD_H
#define POPD_POPD_H

#include "proto.h"

#define POPD_PORT		"995"		/* implicit TLS */
#define POPD_PLAIN_PORT		"110"		/* plaintext with STLS */

/* What the parent and the listener answer a client they turn away. */
#define BUSY		"-ERR [SYS/TEMP] server busy, try later\r\n"
#define BUSY_ADDR	"-ERR [SYS/TEMP] too many connections from your " \
			"address, try later\r\n"

/* syslog.c */
void		 logrelay_init(void);
int		 logrelay_fd(const char *);

/* listener.c */
__dead void	 listener_main(int, char *[]);

/* pki.c */
struct tls;
struct tls	*pki_tls(size_t, char *const [], char *const [], size_t,
		    const char *);

#endif
