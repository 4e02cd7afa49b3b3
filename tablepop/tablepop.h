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
 * tablepop.h -- the tablepop process (tablepop.c): OpenSMTPD's table
 * programs run and asked for the parent (backend.c), in OpenSMTPD's
 * table protocol (tapi.c), with the answers a table keeps (tablecache.c);
 * authpop's and routepop's questions (ask.c), which asks backend.c.
 * tablepop.c calls backend.c, which answers through the callback it was
 * given: no call goes back up.
 */
#ifndef POPD_TABLEPOP_H
#define POPD_TABLEPOP_H

#include <sys/types.h>

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

#endif
