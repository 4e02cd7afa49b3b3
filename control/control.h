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

#ifndef POPD_CONTROL_H
#define POPD_CONTROL_H

#include <sys/queue.h>

#include <event.h>
#include <stdint.h>
#include <stdio.h>

#include "control_cmd.h"

/* control.c */
#define RELAY_LINEMAX	256	/* a wrkrpop's last line is held back */
#define ASK_PEERS	16	/* listeners (one drains per reload) */
struct chan;
struct peer;

enum client_state {
	C_READ,			/* reading the request */
	C_WAIT,			/* the parent has it: waiting for answers */
	C_ASK,			/* the listeners, authpop or routepop
				   have it */
	C_LAST,			/* the last line is queued: flush it */
	C_DRAIN,		/* all sent: read to the client's close */
};

struct client {
	TAILQ_ENTRY(client)	 entry;
	int			 fd;
	uid_t			 uid;		/* the peer's, at accept */
	enum client_state	 state;
	uint64_t		 req;
	uint32_t		 cmd;		/* CTL_*: what it asked */
	uint32_t		 nrec;		/* records of its answer */
	int			 begun;		/* its answer has begun */
	int			 parent_ok;	/* the parent ended it ok */
	int			 relay;		/* a wrkrpop's text, or -1 */
	struct event		 relayev;
	size_t			 relayed;
	char			 cur[RELAY_LINEMAX], held[RELAY_LINEMAX];
	size_t			 curlen, heldlen;
	char			 relayerr[RELAY_LINEMAX];	/* its
						   "error: why", why */
	struct event		 rev, wev, tmo, peek;
	struct netaddr		 net;		/* kick address, unpenalize */
	struct peer		*owed[ASK_PEERS];	/* asked, not done */
	int			 nowed;
	uint32_t		 count;		/* kicked, forgotten; backends
						   drained */
	struct msg_ctlsessions	*sess;		/* the parent's sessions, */
	size_t			 nsess;		/* after the handshakes */
	struct event		 asktmo;
	char			 user[POPD_MAXUSER + 1];	/* show
						   app-passwords */
	char			 in[CTL_LINEMAX];
	char			*out;
	size_t			 outoff, outlen, outcap;
	char			 last;		/* byte queued last */
};

TAILQ_HEAD(client_list, client);
extern struct client_list	 clients;
extern uint64_t			 next_req;
extern int			 stopping;
int	client_print(struct client *, uint32_t, const void *);
void	client_last(struct client *, const char *);
void	stop_if_done(void);

/* ask.c */
void	control_parent_peer(struct chan *, const void *, int);
int	client_ask(struct client *);
void	ask_timeout(int, short, void *);
int	ask_authpops(void);

/* lastuse.c */
#define LASTUSE_LINEMAX	160	/* a state file's line, without its newline */
struct lastuse_rec {
	char		user[POPD_MAXUSER + 1];
	char		label[APPS_LABELMAX + 1];
	int64_t		at;
	char		addr[INET6_ADDRSTRLEN];
};
int	lastuse_parse(const char *, size_t, struct lastuse_rec *);
size_t	lastuse_read(int);
int	lastuse_write(int);
void	lastuse_free(void);
void	lastuse_start(int);
void	lastuse_used(const struct msg_appused *);
void	lastuse_show(const char *, struct msg_ctlapps *);
void	lastuse_check(struct chan *);
void	lastuse_gone(const struct msg_appskept *);
void	lastuse_flush(void);

/* print.c */
void	print_begin(FILE *, uint32_t);
int	print_record(FILE *, uint32_t, const void *, uint32_t, uint32_t);
void	print_denied(char *, size_t, const struct msg_ctldenied *);

#endif
