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
 * fuzz_wrkrpop -- libFuzzer target for wrkrpop's TRANSACTION state as it
 * runs: the real wrkrpop.c (its line framing, command table, number
 * parsing, RETR/TOP/LIST/UIDL/DELE/RSET/LAST) on a small maildrop made
 * once in a temporary directory, fed the input in reads of up to a
 * buffer at a time.  Replies go to /dev/null.  QUIT would end the
 * process (UPDATE, then exit), so "QUIT" at the start of a line is
 * changed to "XUIT", and limit bad-commands is set out of reach, since
 * both end the process by design.  Aborts when the session's counts break.
 *
 *	make fuzz && regress/fuzz/fuzz_wrkrpop -max_total_time=60
 */
#define main	wrkrpop_program_main
#include "../../wrkrpop/wrkrpop.c"
#undef main

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_setup(struct session *s)
{
	static const char *const msgs[] = {
		"Subject: one\n\nbody\n.dot\n",
		"Subject: two\r\n\r\nline\r\n\r\n",
		"Subject: three\n\n" "no final newline",
	};
	char		 dir[] = "/tmp/fuzz_wrkrpop.XXXXXX", path[PATH_MAX];
	size_t		 i;
	int		 fd;

	if (mkdtemp(dir) == NULL || maildir_create(dir) == -1)
		abort();
	for (i = 0; i < nitems(msgs); i++) {
		(void)snprintf(path, sizeof(path), "%s/new/%zu.M%zuP1.fuzz",
		    dir, i + 1000, i);
		if ((fd = open(path, O_WRONLY | O_CREAT, 0600)) == -1 ||
		    write(fd, msgs[i], strlen(msgs[i])) == -1)
			abort();
		close(fd);
	}
	log_init(0, LOG_USER);
	/* What the parent would send (MSG_PARENT_WORKER's), with LAST on. */
	settings_worker(&settings_defaults, &set);
	set.last = 1;
	/* The end at limit bad-commands is an exit: not within a run. */
	set.bad_commands = INT_MAX;
	s->user = "fuzz";
	if ((s->fd = open("/dev/null", O_WRONLY)) == -1 ||
	    maildrop_open(&s->md, dir, set.uidl_format) == -1 ||
	    maildrop_scan(&s->md) == -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	struct session	*s = &sess;
	unsigned char	*in;
	size_t		 i, n, off;

	if (!init) {
		fuzz_setup(s);
		init = 1;
	}
	if ((in = malloc(size + 1)) == NULL)
		abort();
	memcpy(in, data, size);
	for (i = 0; i < size; i++)
		if ((i == 0 || in[i - 1] == '\n') && i + 4 <= size &&
		    strncasecmp((char *)in + i, "QUIT", 4) == 0)
			in[i] = 'X';

	/* A fresh session on the same maildrop. */
	for (i = 0; i < s->md.nmsgs; i++)
		s->md.msgs[i].flags = 0;
	s->live = s->md.nmsgs;
	s->liveoct = s->md.total;
	s->lastno = s->lastinit = 0;
	s->rpos = s->rlen = s->wlen = 0;
	pop3_frame_reset(&s->fr);

	for (off = 0; off < size; off += n) {
		n = size - off;
		if (n > sizeof(s->rbuf) - s->rlen)
			n = sizeof(s->rbuf) - s->rlen;
		memcpy(s->rbuf + s->rlen, in + off, n);
		s->rlen += n;
		while (next_line(s))
			;
		if (s->live > s->md.nmsgs || s->liveoct < 0 ||
		    s->liveoct > s->md.total || s->lastno > s->md.nmsgs ||
		    s->rlen > sizeof(s->rbuf) || s->wlen > sizeof(s->wbuf))
			abort();
	}
	out_flush(s);
	free(in);
	return 0;
}
