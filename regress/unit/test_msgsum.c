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
 * test_msgsum -- MSG_VERSION (common/proto.h) moves with the messages.
 * A parent and a child of two builds (an upgrade under a running popd)
 * tell each other apart only by it, so any change a peer depends on
 * needs a new version.  regress/unit/msgdecls.sum holds one line:
 *
 *	MSG_VERSION <n> <digest> <system> <machine>
 *
 * and the digest is computed here, from the code itself:
 *
 *	- each declaration of proto.c's and peers.c's tables, by type:
 *	  its number, name, sender, receivers, payload size, descriptor
 *	  and phases;
 *	- the header's size, MSG_MAXPAYLOAD and MSG_MAXFDS;
 *	- the text of common/proto.h, and of the structs of
 *	  common/settings.h (struct conf_settings is MSG_PARENT_CONF's
 *	  payload, struct conf_worker part of MSG_PARENT_WORKER's) and
 *	  common/addr.h, comments and spacing left out: the
 *	  order and types of the fields (their offsets), and the values of
 *	  the codes and flags.
 *
 * Same version, another digest: FAIL, bump MSG_VERSION and run make
 * msg-update.  Another version: FAIL until the file says it (make
 * msg-update), so the change is one line in the diff.  test_msgsum -u
 * (make msg-update) writes the file, and refuses while the digest
 * differs under the same version.  -p prints what is digested.  Sizes
 * are the machine's: a file made on another system or machine is not
 * compared (a "skip" line).
 */
#include <sys/types.h>
#include <sys/utsname.h>

#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "unit.h"

#define SUMFILE		"msgdecls.sum"

static char	 top[PATH_MAX];		/* the tree, from argv[0] */

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

/*
 * A header's text without comments, spaces collapsed; with structs (" a
 * b "), only the definitions of struct a and struct b.
 */
static void
header_text(FILE *out, const char *rel, const char *structs)
{
	FILE	*fp;
	char	 path[PATH_MAX], name[64], *buf, *p, *q, *end;
	size_t	 len = 0, n;
	int	 c, prev, space = 0, depth;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", top, rel) >=
	    sizeof(path) || (fp = fopen(path, "r")) == NULL)
		die(path);
	if ((buf = malloc(1 << 20)) == NULL)
		die("malloc");
	while ((c = getc(fp)) != EOF && len < (1 << 20) - 2) {
		if (c == '*' && len > 0 && buf[len - 1] == '/') {
			/* A comment: drop it, up to its end, as a space. */
			if (--len > 0 && buf[len - 1] == ' ')
				len--;
			for (prev = 0; (c = getc(fp)) != EOF; prev = c)
				if (prev == '*' && c == '/')
					break;
			space = 1;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n') {
			space = 1;
			continue;
		}
		if (space && len > 0)
			buf[len++] = ' ';
		space = 0;
		buf[len++] = c;
	}
	if (c != EOF) {
		fprintf(stderr, "%s: more than 1 MB\n", path);
		exit(2);
	}
	buf[len] = '\0';
	fclose(fp);

	fprintf(out, "%s\n", rel);
	if (structs == NULL) {
		fprintf(out, "%s\n", buf);
		free(buf);
		return;
	}
	for (p = buf; (p = strstr(p, "struct ")) != NULL; p = end) {
		/* "struct name {" opens a definition, to its "};". */
		q = p + strlen("struct ");
		n = strspn(q, "abcdefghijklmnopqrstuvwxyz_0123456789");
		(void)snprintf(name, sizeof(name), " %.*s ", (int)n, q);
		end = q += n;
		if (strncmp(q, " {", 2) != 0 || strstr(structs, name) == NULL)
			continue;
		for (depth = 0, end = q + 1; *end != '\0'; end++)
			if (*end == '{')
				depth++;
			else if (*end == '}' && --depth == 0)
				break;
		if (*end != '\0')
			end++;
		fprintf(out, "%.*s\n", (int)(end - p), p);
	}
	free(buf);
}

/* What a peer depends on, as text (malloc'd). */
static char *
described(void)
{
	const struct msg_decl	*d;
	FILE			*fp;
	char			*buf;
	size_t			 len;
	uint32_t		 t;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		die("open_memstream");
	fprintf(fp, "hdr %zu maxpayload %d maxfds %d\n",
	    sizeof(struct msg_hdr), MSG_MAXPAYLOAD, MSG_MAXFDS);
	for (t = MSG_NONE + 1; t < MSG_MAX; t++) {
		if ((d = msg_decl(t)) == NULL) {
			fprintf(fp, "%u undeclared\n", t);
			continue;
		}
		fprintf(fp, "%u %s from %#x to %#x size %zu fd %d phases %#x "
		    "next %#x\n", d->type, d->name, d->from, d->to, d->size,
		    d->fd, d->phases, d->next);
	}
	header_text(fp, "common/proto.h", NULL);
	header_text(fp, "common/settings.h", " conf_settings conf_worker ");
	header_text(fp, "common/addr.h", " netaddr peeraddr addrkey ");
	if (fclose(fp) == EOF)
		die("fclose");
	return buf;
}

/* FNV-1a, 64 bits: a change detector, not a defence. */
static uint64_t
digest(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int
main(int argc, char *argv[])
{
	struct utsname	 u;
	FILE		*fp;
	char		 self[PATH_MAX], path[PATH_MAX], line[256];
	char		 mine[32], sum[32], sys[64], mach[64], *text;
	unsigned int	 version;
	int		 update = 0, print = 0, have = 0, same;

	if (argc == 2 && strcmp(argv[1], "-u") == 0)
		update = 1;
	else if (argc == 2 && strcmp(argv[1], "-p") == 0)
		print = 1;
	else if (argc != 1) {
		fprintf(stderr, "usage: test_msgsum [-p | -u]\n");
		return 2;
	}
	(void)strlcpy(self, argv[0], sizeof(self));
	if ((size_t)snprintf(top, sizeof(top), "%s/../..", dirname(self)) >=
	    sizeof(top) || (size_t)snprintf(path, sizeof(path),
	    "%s/regress/unit/" SUMFILE, top) >= sizeof(path)) {
		fprintf(stderr, "%s: path too long\n", argv[0]);
		return 2;
	}
	if (uname(&u) == -1)
		die("uname");

	text = described();
	if (print) {
		fputs(text, stdout);
		return 0;
	}
	(void)snprintf(mine, sizeof(mine), "%016llx",
	    (unsigned long long)digest(text));
	(void)snprintf(line, sizeof(line), "MSG_VERSION %d %s %s %s\n",
	    MSG_VERSION, mine, u.sysname, u.machine);
	free(text);

	if ((fp = fopen(path, "r")) != NULL) {
		have = fscanf(fp, "MSG_VERSION %u %31s %63s %63s", &version,
		    sum, sys, mach) == 4;
		fclose(fp);
	}
	same = have && strcmp(sys, u.sysname) == 0 &&
	    strcmp(mach, u.machine) == 0;

	if (update) {
		if (same && version == MSG_VERSION && strcmp(sum, mine) != 0) {
			fprintf(stderr, "test_msgsum: the message declarations "
			    "changed but MSG_VERSION is still %d: bump it in "
			    "common/proto.h first\n", MSG_VERSION);
			return 1;
		}
		if (have && version > MSG_VERSION) {
			fprintf(stderr, "test_msgsum: MSG_VERSION %d is older "
			    "than " SUMFILE "'s %u\n", MSG_VERSION, version);
			return 1;
		}
		if (have && same && version == MSG_VERSION) {
			printf("regress/unit/" SUMFILE " is up to date: %s",
			    line);
			return 0;
		}
		if ((fp = fopen(path, "w")) == NULL)
			die(path);
		fputs(line, fp);
		if (fclose(fp) == EOF)
			die(path);
		printf("wrote regress/unit/" SUMFILE ": %s", line);
		return 0;
	}

	CHECK(have, "regress/unit/" SUMFILE " is missing or malformed: run "
	    "make msg-update");
	if (!have)
		return unit_done();
	CHECK(version == MSG_VERSION, "MSG_VERSION is %d, regress/unit/"
	    SUMFILE " says %u: run make msg-update and commit the file with "
	    "the change", MSG_VERSION, version);
	if (version == MSG_VERSION && !same)
		printf("skip " SUMFILE ": made on %s %s, this is %s %s: "
		    "sizes differ, not compared\n", sys, mach, u.sysname,
		    u.machine);
	else if (version == MSG_VERSION)
		CHECK(strcmp(sum, mine) == 0, "the message declarations "
		    "changed (common/proto.h, proto.c's table, struct "
		    "conf_settings) but MSG_VERSION is still %d: a process of "
		    "another build would read them as before.  Bump "
		    "MSG_VERSION in common/proto.h, run make msg-update, and "
		    "commit regress/unit/" SUMFILE " with the change "
		    "(digest %s, the file's %s)", MSG_VERSION, mine, sum);
	return unit_done();
}
