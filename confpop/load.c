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
 * load.c -- the configuration popd's flags name: popd.conf, or the
 * original command line as the popd.conf it stands for.  Only confpop
 * parses: for popd -n and -m, and with -C for the parent.
 */
#include <sys/types.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "config.h"
#include "settings.h"
#include "confpop.h"

/*
 * Made absolute at startup: popd and its children read the files again
 * after daemon(3) has moved to "/".  Symlinks are followed at each reload.
 */
static void
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

static void
statement(FILE *fp, const char *words, const char *arg, const char *rest)
{
	fprintf(fp, "%s \"", words);
	for (; *arg != '\0'; arg++)
		fprintf(fp, "%s%c", *arg == '"' || *arg == '\\' ? "\\" : "",
		    *arg);
	fprintf(fp, "\"%s\n", rest);
}

/* -l and -p: "127.0.0.1", "127.0.0.1:9950", "[::1]:9950", "::1", "*:995". */
static void
listen_statement(FILE *fp, const char *opt, const char *arg)
{
	char		 host[ADDR_HOSTMAX], port[ADDR_PORTMAX], rest[32];
	const char	*errstr;
	int		 tls = strcmp(opt, "-l") == 0;

	if (addr_split(arg, tls ? POPD_PORT : POPD_PLAIN_PORT, host,
	    sizeof(host), port, sizeof(port), &errstr) == -1)
		errx(1, "%s %s: %s", opt, arg, errstr);
	if (!conf_valid_listen_addr(host))
		errx(1, "%s %s: not an address, \"*\" or an interface name",
		    opt, arg);
	(void)snprintf(rest, sizeof(rest), " port %s %s", port, tls ? "tls" :
	    "starttls");
	statement(fp, "listen on", host, rest);
}

static char *
conf_from_flags(char **flags, int tls12, char **tls_args, int ntls,
    char **plain_args, int nplain, char **nets, int nnets)
{
	static const char *const names[] = { "-a authtab", "-c certfile",
	    NULL, "-k keyfile", "-u usertab" };
	static const char *const words[] = { "authtab", "pki default cert",
	    "maildir", "pki default key", "usertab" };
	struct conf_trusted	 t;
	const char		*errstr;
	FILE			*fp;
	char			*text = NULL, path[PATH_MAX];
	char			 missing[128] = "";
	size_t			 len;
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
	/* Named by their flags, not by the statements they become. */
	if (flags[2] != NULL && !settings_subdir_ok(flags[2]))
		errx(1, "-e %s: must be a relative path without \"..\"",
		    flags[2]);
	for (i = 0; i < nnets; i++)
		if (conf_parse_network(nets[i], &t, &errstr) == -1)
			errx(1, "-t %s: %s", nets[i], errstr);
	if ((fp = open_memstream(&text, &len)) == NULL)
		err(1, NULL);
	for (i = 0; i < 5; i++) {
		if (flags[i] == NULL)
			continue;
		if (names[i] != NULL)
			absolute(names[i], flags[i], path, sizeof(path));
		statement(fp, words[i], names[i] != NULL ? path : flags[i], "");
	}
	if (tls12)
		statement(fp, "tls protocols", "tlsv1.2,tlsv1.3", "");
	for (i = 0; i < ntls; i++)
		listen_statement(fp, "-l", tls_args[i]);
	for (i = 0; i < nplain; i++)
		listen_statement(fp, "-p", plain_args[i]);
	for (i = 0; i < nnets; i++)
		statement(fp, "trusted", nets[i], "");
	if (fclose(fp) == EOF)
		err(1, NULL);
	return text;
}

/* NULL if it has errors, each logged as "file:line: message". */
struct popd_conf *
flags_conf(struct popd_args *a)
{
	static char		 conffile_abs[PATH_MAX];
	struct popd_conf	*c;
	int			 i;

	for (i = 0; i < a->nd; i++)
		if (cmdline_symset(a->macros[i]) == -1)
			errx(1, "-D %s: not a macro=value definition",
			    a->macros[i]);
	if (a->legacy) {
		if (a->conffile != NULL)
			errx(1, "-f cannot be combined with the flags -a -c -e "
			    "-k -l -p -T -t -u, which stand for a "
			    "configuration file of their own");
		if (a->text == NULL)
			a->text = conf_from_flags(a->flags, a->tls12,
			    a->listen_args, a->nl, a->plain_args, a->np,
			    a->trusted_args, a->nt);
		c = parse_config_text("the command line", a->text);
	} else {
		if (a->conffile == NULL) {
			a->conffile = POPD_CONF;
			if (access(a->conffile, F_OK) == -1) {
				fprintf(stderr, "popd: %s: %s\n", a->conffile,
				    strerror(errno));
				popd_usage();
			}
		}
		if (a->conffile != conffile_abs) {
			absolute("-f", a->conffile, conffile_abs,
			    sizeof(conffile_abs));
			a->conffile = conffile_abs;
		}
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
