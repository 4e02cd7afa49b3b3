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
 * popd's command line, read by popd and by confpop (run with the same
 * arguments): the flags and the usage.  confpop alone reads what they name.
 */
#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "popd.h"
#include "config.h"
#include "settings.h"
#include "addr.h"
#include "version.h"

int	debug, verbose;

__dead void
popd_usage(void)
{
	fprintf(stderr, "usage: popd [-dFmnVv] [-D macro=value] [-f file] "
	    "[-s socket]\n"
	    "       popd [-dFmnTv] -a authtab -c certfile [-e subdir] "
	    "-k keyfile [-l address]\n"
	    "            [-p address] [-s socket] [-t network] "
	    "-u usertab\n");
	exit(1);
}

void
flags_parse(int argc, char *argv[], struct popd_args *a, const char *self)
{
	int	ch;

	memset(a, 0, sizeof(*a));
	while ((ch = getopt(argc, argv, "a:c:dD:e:f:Fk:l:mnp:s:Tt:u:vV")) != -1) {
		switch (ch) {
		case 'a':
		case 'c':
		case 'e':
		case 'k':
		case 'u':
			/* In struct popd_args's order (parent.h). */
			a->flags[strchr("aceku", ch) - "aceku"] = optarg;
			a->legacy = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'V':
			if (strcmp(self, "popd") == 0)
				printf("popd %s\n", POPD_VERSION);
			else
				printf("%s (popd) %s\n", self, POPD_VERSION);
			exit(0);
		case 'D':
			/* Defined by flags_conf: the parent parses nothing. */
			if (a->nd == MAX_LISTEN)
				errx(1, "too many -D macros (max %d)",
				    MAX_LISTEN);
			a->macros[a->nd++] = optarg;
			break;
		case 'f':
			a->conffile = optarg;
			break;
		case 'F':
			a->foreground = 1;
			break;
		case 'l':
		case 'p':
			if (a->nl + a->np == MAX_LISTEN)
				errx(1, "too many -l and -p addresses (max %d)",
				    MAX_LISTEN);
			if (ch == 'l')
				a->listen_args[a->nl++] = optarg;
			else
				a->plain_args[a->np++] = optarg;
			a->legacy = 1;
			break;
		case 'm':
			a->report = 1;
			break;
		case 'n':
			a->noaction = 1;
			break;
		case 's':
			a->ctlsock = optarg;
			break;
		case 't':
			if (a->nt == MAX_LISTEN)
				errx(1, "too many -t networks (max %d)",
				    MAX_LISTEN);
			a->trusted_args[a->nt++] = optarg;
			a->legacy = 1;
			break;
		case 'T':
			a->tls12 = 1;
			a->legacy = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			popd_usage();
		}
	}
	if (argc != optind)
		popd_usage();
}

/* Then the directory popd started in must be found again at reload. */
int
flags_relative(const struct popd_args *a)
{
	static const int	files[] = { 0, 1, 3, 4 };	/* not -e */
	size_t			i;

	if (a->conffile != NULL && a->conffile[0] != '/')
		return 1;
	for (i = 0; i < nitems(files); i++)
		if (a->flags[files[i]] != NULL && a->flags[files[i]][0] != '/')
			return 1;
	return 0;
}
