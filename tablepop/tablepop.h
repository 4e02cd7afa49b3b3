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

#ifndef POPD_TABLEPOP_H
#define POPD_TABLEPOP_H

#include <sys/types.h>
#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>

#include "chan.h"
#include "settings.h"

/* backend.c */
typedef void	(*tables_answer_cb)(uint64_t, int, const char *);
void		 tables_add(struct chan *, const void *, int);
void		 tables_env(struct chan *, const void *, int);
void		 tables_home(const char *);
void		 tables_start(const struct conf_settings *, tables_answer_cb);
void		 tables_lookup(uint64_t, const char *, int, const char *);
void		 tables_drain(struct chan *, const void *, int);
void		 tables_reap(void);
__dead void	 tables_shutdown(void);
const char	**tables_exec(void);

/* ask.c */
void		 ask_start(const struct conf_settings *);
void		 ask_peer(struct chan *, const void *, int);
int		 ask_answer(uint64_t, int, const char *);

/* tapi.c: OpenSMTPD's table API (version 2) as the programs speak it */
#define TAPI_VERSION		2
#define TAPI_NAMELEN		2048	/* struct table_open_params */
#define TAPI_OK			0	/* PROC_TABLE_OK */
#define TAPI_OPEN		2
#define TAPI_LOOKUP		6
#define TAPI_HDRLEN		16	/* struct imsg_hdr */
#define TAPI_MAXLEN		16384	/* MAX_IMSGSIZE */
#define TAPI_KEYMAX		256	/* a key we ask, with its NUL */

/* K_ALIAS, K_CREDENTIALS and K_USERINFO */
#define TAPI_ALIAS		0x01
#define TAPI_CREDENTIALS	0x04
#define TAPI_USERINFO		0x10

#define TAPI_FOUND		1	/* value holds the answer */
#define TAPI_NONE		0	/* no such key */
#define TAPI_ERROR		(-1)	/* the program could not say */
#define TAPI_INVALID		(-2)	/* a value we do not take: why */
#define TAPI_BAD		(-3)	/* out of step: why */

ssize_t		 tapi_frame(const unsigned char *, size_t, uint32_t *,
		    size_t *, char *, size_t);
size_t		 tapi_request(unsigned char *, size_t, uint32_t, const void *,
		    size_t);
size_t		 tapi_open(unsigned char *, size_t, const char *);
size_t		 tapi_lookup(unsigned char *, size_t, int, const char *);
int		 tapi_opened(uint32_t, size_t, char *, size_t);
int		 tapi_answer(uint32_t, const unsigned char *, size_t, int,
		    const char *, char *, size_t, char *, size_t);

/* tablecache.c: the answers a database table keeps (table ... cache) */
struct cached;
RB_HEAD(cachetree, cached);

struct tablecache {
	struct cachetree	 tree;
	size_t			 n;
	int			 ttl;		/* seconds; 0 or less: none */
};

void	tablecache_init(struct tablecache *, int);
int	tablecache_get(struct tablecache *, int, const char *, int *,
	    const char **);
void	tablecache_put(struct tablecache *, int, const char *, int,
	    const char *);
void	tablecache_clear(struct tablecache *);


#endif
