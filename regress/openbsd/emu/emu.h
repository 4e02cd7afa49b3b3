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
 * Put before every file of make openbsd-test's build (-include): the
 * calls OpenBSD has and glibc lacks (emu.c), and no file seals, as on
 * OpenBSD: fcntl.h is read here once, its seal names taken away.
 */
#ifndef POPD_EMU_H
#define POPD_EMU_H

#include <fcntl.h>
#undef F_ADD_SEALS
#undef F_GET_SEALS

int	pledge(const char *, const char *);
int	unveil(const char *, const char *);
int	shm_mkstemp(char *);
int	shm_open(const char *, int, mode_t);
int	shm_unlink(const char *);

/* emu.c's promise table, for the unit test. */
#define EMU_OK		0
#define EMU_KILL	(-1)
int	emu_promises(const char *, unsigned long long *);
int	emu_check(unsigned long long, long, const unsigned long long[6]);

#endif
