/*
 * popd.h -- the popd program: the parent (popd.c) and the listener
 * (listener.c).
 */
#ifndef POPD_POPD_H
#define POPD_POPD_H

#include "proto.h"

#define POPD_PORT		"995"		/* implicit TLS */
#define POPD_PLAIN_PORT		"110"		/* plaintext with STLS */

/* syslog.c */
void		 logrelay_init(void);
int		 logrelay_fd(const char *);

/* listener.c */
struct tls;
__dead void	 listener_main(int, char *[]);
struct tls	*listener_tls(size_t, char *const [], char *const [], size_t,
		    const char *);

#endif
