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
 * flags.c -- popd's command line, read by popd and by confpop (popd -n
 * and -m exec it with the same arguments): the flags, and the
 * configuration they name, popd.conf or the original command line
 * (-a -c -e -k -l -p -t -u -T), a shorthand for the configuration file
 * it stands for: the parent's second front end to the same
 * configuration (config.c), which popd.c then checks and serves as it
 * does popd.conf; the files named on the command line, made absolute;
 * and popd's usage, which lists both.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "config.h"
#include "settings.h"
#include "addr.h"
#include "version.h"

static int	legacy_listen(struct popd_conf *, const char *, int);

/* Both command lines: popd.conf's, and the original shorthand. */
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

/*
 * popd's flags into a; self: the program's name, for -V.  Errors in
 * them end the program with the usage.
 */
void
flags_parse(int argc, char *argv[], struct popd_args *a, const char *self)
{
	int	ch;

	memset(a, 0, sizeof(*a));
	while ((ch = getopt(argc, argv, "a:c:dD:e:f:Fk:l:mnp:s:Tt:u:vV")) != -1) {
		switch (ch) {
		case 'a':
			a->flags[0] = optarg;
			a->legacy = 1;
			break;
		case 'c':
			a->flags[1] = optarg;
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
			if (cmdline_symset(optarg) == -1)
				errx(1, "-D %s: not a macro=value definition",
				    optarg);
			break;
		case 'e':
			a->flags[2] = optarg;
			a->legacy = 1;
			break;
		case 'f':
			a->conffile = optarg;
			break;
		case 'F':
			a->foreground = 1;
			break;
		case 'k':
			a->flags[3] = optarg;
			a->legacy = 1;
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
		case 'u':
			a->flags[4] = optarg;
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

/*
 * The configuration a names: the original command line's, or the file's
 * (a->conffile made absolute); -s wins over its control socket.  NULL if
 * it has errors, each logged as "file:line: message".
 */
struct popd_conf *
flags_conf(struct popd_args *a)
{
	static char		 conffile_abs[PATH_MAX];
	struct popd_conf	*c;

	if (a->legacy) {
		if (a->conffile != NULL)
			errx(1, "-f cannot be combined with the flags -a -c -e "
			    "-k -l -p -T -t -u, which stand for a "
			    "configuration file of their own");
		c = conf_from_flags(a->flags, a->tls12, a->listen_args, a->nl,
		    a->plain_args, a->np, a->trusted_args, a->nt);
	} else {
		if (a->conffile == NULL) {
			a->conffile = POPD_CONF;
			if (access(a->conffile, F_OK) == -1) {
				fprintf(stderr, "popd: %s: %s\n", a->conffile,
				    strerror(errno));
				popd_usage();
			}
		}
		absolute("-f", a->conffile, conffile_abs,
		    sizeof(conffile_abs));
		a->conffile = conffile_abs;
		c = parse_config(a->conffile, 0);
	}
	if (c == NULL)
		return NULL;
	if (a->ctlsock != NULL) {
		if (a->ctlsock[0] != '/' || strlen(a->ctlsock) >=
		    sizeof(((struct sockaddr_un *)0)->sun_path))
			errx(1, "-s %s: must be an absolute path of at most "
			    "%zu bytes", a->ctlsock,
			    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		(void)strlcpy(c->ctlsock, a->ctlsock, sizeof(c->ctlsock));
	}
	return c;
}

/*
 * The original command line, a shorthand for the configuration file it
 * stands for: one pki, -l (tls) and -p (starttls) listeners, -t trusted
 * networks (nets).  flags: authtab, certfile, subdir, keyfile, usertab.
 */
struct popd_conf *
conf_from_flags(char **flags, int tls12, char **tls_args, int ntls,
    char **plain_args, int nplain, char **nets, int nnets)
{
	struct conf_trusted	*t;
	const char		*errstr;
	static const char *const names[] = { "-a authtab", "-c certfile",
	    NULL, "-k keyfile", "-u usertab" };
	struct popd_conf	*c;
	struct conf_pki		*pki;
	char			 missing[128] = "";
	int			 i;

	for (i = 0; i < 5; i++)
		if (flags[i] == NULL && names[i] != NULL) {
			if (missing[0] != '\0')
				(void)strlcat(missing, ", ", sizeof(missing));
			(void)strlcat(missing, names[i], sizeof(missing));
		}
	if (missing[0] != '\0') {
		fprintf(stderr, "popd: missing %s\n", missing);
		popd_usage();
	}
	if (ntls + nplain == 0) {
		fprintf(stderr, "popd: nothing to listen on: give -l address "
		    "(implicit TLS) or -p address (STLS)\n");
		popd_usage();
	}
	if (flags[2] != NULL && !settings_subdir_ok(flags[2]))
		errx(1, "-e %s: must be a relative path without \"..\"",
		    flags[2]);
	if ((c = conf_new()) == NULL || (pki = calloc(1, sizeof(*pki))) ==
	    NULL)
		err(1, NULL);
	absolute("-a", flags[0], c->set.authtab, sizeof(c->set.authtab));
	absolute("-u", flags[4], c->set.usertab, sizeof(c->set.usertab));
	absolute("-c", flags[1], pki->cert, sizeof(pki->cert));
	absolute("-k", flags[3], pki->key, sizeof(pki->key));
	if (flags[2] != NULL && strlcpy(c->set.maildir, flags[2],
	    sizeof(c->set.maildir)) >= sizeof(c->set.maildir))
		errx(1, "-e %s: too long", flags[2]);
	(void)strlcpy(pki->name, "default", sizeof(pki->name));
	TAILQ_INSERT_TAIL(&c->pkis, pki, entry);
	if (tls12) {
		(void)strlcpy(c->set.tls_protocols, "tlsv1.2,tlsv1.3",
		    sizeof(c->set.tls_protocols));
		c->set.protocols = TLS_PROTOCOL_TLSv1_2 | TLS_PROTOCOL_TLSv1_3;
	}
	for (i = 0; i < ntls; i++)
		if (legacy_listen(c, tls_args[i], CONF_LISTEN_TLS) == -1)
			exit(1);
	for (i = 0; i < nplain; i++)
		if (legacy_listen(c, plain_args[i], CONF_LISTEN_STARTTLS) == -1)
			exit(1);
	for (i = 0; i < nnets; i++) {
		if ((t = calloc(1, sizeof(*t))) == NULL)
			err(1, NULL);
		if (conf_parse_network(nets[i], t, &errstr) == -1)
			errx(1, "-t %s: %s", nets[i], errstr);
		TAILQ_INSERT_TAIL(&c->trusted, t, entry);
	}
	return c;
}

/* -l and -p: "127.0.0.1", "127.0.0.1:9950", "[::1]:9950", "::1", "*:995". */
static int
legacy_listen(struct popd_conf *c, const char *arg, int flags)
{
	struct conf_listen	*l;
	char			 host[ADDR_HOSTMAX], port[ADDR_PORTMAX];
	const char		*errstr;
	const char		*opt = (flags & CONF_LISTEN_TLS) ? "-l" : "-p";

	if (addr_split(arg, (flags & CONF_LISTEN_TLS) ? POPD_PORT :
	    POPD_PLAIN_PORT, host, sizeof(host), port, sizeof(port),
	    &errstr) == -1) {
		log_warnx("%s %s: %s", opt, arg, errstr);
		return -1;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		err(1, NULL);
	l->flags = flags;
	l->port = strtonum(port, 1, 65535, &errstr);	/* checked */
	if (strlcpy(l->addr, host, sizeof(l->addr)) >= sizeof(l->addr)) {
		log_warnx("%s %s: too long", opt, arg);
		free(l);
		return -1;
	}
	/* Messages name the flag as given (listen_name). */
	if (asprintf(&l->where.file, "%s %s", opt, arg) == -1)
		err(1, NULL);
	TAILQ_INSERT_TAIL(&c->listens, l, entry);
	return 0;
}

/*
 * A file named on the command line, made absolute from the working
 * directory at startup: popd reads its files again on SIGHUP, and its
 * children read them, after daemon(3) has moved it to "/".  Symbolic
 * links are left to be followed again at each reload.
 */
void
absolute(const char *flag, const char *path, char *dst, size_t len)
{
	char	cwd[PATH_MAX];
	int	r;

	if (path[0] == '/')
		r = snprintf(dst, len, "%s", path);
	else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			err(1, "%s %s: getcwd", flag, path);
		while (path[0] == '.' && path[1] == '/')
			path += 2;
		r = snprintf(dst, len, "%s%s%s", cwd,
		    strcmp(cwd, "/") == 0 ? "" : "/", path);
	}
	if (r < 0 || (size_t)r >= len)
		errx(1, "%s %s: path too long", flag, path);
}
