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

#ifndef POPD_ROUTEPOP_H
#define POPD_ROUTEPOP_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <event.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "chan.h"
#include "settings.h"

struct page_rec;

/* healthline.c: a health port's line, parsed */
#define HEALTH_LINEMAX		32	/* "draining 4294967295\r\n" fits */
int		 health_line(const char *, size_t, uint32_t *);
int		 health_stuckline(const char *, size_t, char [][POPD_MAXUSER + 1]);

struct backend {
	TAILQ_ENTRY(backend)	 entry;
	char			 addr[INET6_ADDRSTRLEN];
	struct netaddr		 net;		/* addr, as popctl names it */
	int			 drained;	/* popctl drain BACKEND */
	uint64_t		 users;		/* routed since start, reload */
	uint32_t		 health;	/* HEALTH_*, CHECK_DOWN, 0:
						   not checked yet */
	uint32_t		 sessions;	/* its health line's */
	time_t			 checked;	/* monotonic, 0: never */
	int			 named;		/* by the routes (start) */
	struct page_rec		*k;		/* its place in the page */
	/* check.c's: its health port, the check in progress. */
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd;		/* or -1 */
	struct event		 ev;
	char			 buf[HEALTH_ANSWERMAX];
	char			 stuck[HEALTH_STUCKMAX][POPD_MAXUSER + 1];
	size_t			 len;
	int			 fails;		/* in a row */
};
TAILQ_HEAD(backends, backend);
extern struct backends	 backends;

/* router.c */
void		 router_file(struct chan *, const void *, int);
void		 router_page(struct chan *, const void *, int);
void		 router_start(const struct conf_settings *);
void		 router_drain(void);
const char	*router_lookup(const char *);
int		 router_pick(const char *, const char *, char *, size_t);
void		 router_state(struct backend *, int, uint32_t);
void		 router_control_backends(struct chan *, const void *, int);
void		 router_control_drain(struct chan *, const void *, int);

/* check.c */
void		 check_add(struct backend *, int);
void		 check_run(int);

#endif
