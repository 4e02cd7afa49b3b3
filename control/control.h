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
 * control.h -- the control process (control.c), the app passwords' last
 * uses it keeps (lastuse.c), and how it prints the answers (print.c).
 */
#ifndef POPD_CONTROL_H
#define POPD_CONTROL_H

#include <stdint.h>
#include <stdio.h>

/* lastuse.c */
#define LASTUSE_LINEMAX	160	/* a state file's line, without its newline */
struct lastuse_rec {
	char		user[POPD_MAXUSER + 1];
	char		label[APPS_LABELMAX + 1];
	int64_t		at;
	char		addr[INET6_ADDRSTRLEN];
};
struct chan;
struct msg_appused;
struct msg_appskept;
struct msg_ctlapps;
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
struct msg_ctldenied;
void	print_denied(char *, size_t, const struct msg_ctldenied *);

#endif
