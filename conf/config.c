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
 * config.c -- popd.conf(5) apart from the grammar: defaults, and the checks
 * that need every statement.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "addr.h"
#include "apppass.h"
#include "config.h"
#include "quotarule.h"
#include "chan.h"

struct popd_conf *
conf_new(void)
{
	static const char *const refuse[] = { REFUSE_GROUPS };
	struct popd_conf	*conf;
	size_t			 i;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return NULL;
	conf->set = settings_defaults;
	TAILQ_INIT(&conf->listens);
	TAILQ_INIT(&conf->pkis);
	TAILQ_INIT(&conf->trusted);
	TAILQ_INIT(&conf->proxies);
	TAILQ_INIT(&conf->tables);
	/* Debian's login.defs UID_MIN and UID_MAX. */
	conf->system_uid[0] = 1000;
	conf->system_uid[1] = 60000;
	for (i = 0; i < nitems(refuse); i++)
		(void)strlcpy(conf->refuse_groups[i], refuse[i],
		    sizeof(conf->refuse_groups[i]));
	conf->nrefuse = nitems(refuse);
	(void)strlcpy(conf->ctlsock, POPD_CTLSOCK, sizeof(conf->ctlsock));
	(void)strlcpy(conf->apps_last, POPD_STATEDIR "/app-passwords.last",
	    sizeof(conf->apps_last));
	return conf;
}

void
conf_free(struct popd_conf *conf)
{
	struct conf_listen	*l;
	struct conf_pki		*p;
	struct conf_trusted	*t;
	struct conf_table	*tb;
	size_t			 i;

	if (conf == NULL)
		return;
	while ((l = TAILQ_FIRST(&conf->listens)) != NULL) {
		TAILQ_REMOVE(&conf->listens, l, entry);
		free(l);
	}
	while ((p = TAILQ_FIRST(&conf->pkis)) != NULL) {
		TAILQ_REMOVE(&conf->pkis, p, entry);
		if (p->served != NULL) {
			close(p->served->fd);
			close(p->served->keyfd);
			free(p->served);
		}
		free(p);
	}
	TAILQ_CONCAT(&conf->trusted, &conf->proxies, entry);
	while ((t = TAILQ_FIRST(&conf->trusted)) != NULL) {
		TAILQ_REMOVE(&conf->trusted, t, entry);
		free(t);
	}
	while ((tb = TAILQ_FIRST(&conf->tables)) != NULL) {
		TAILQ_REMOVE(&conf->tables, tb, entry);
		free(tb);
	}
	for (i = 0; i < conf->nfiles; i++)
		free(conf->files[i]);
	free(conf->files);
	free(conf->ctluids);
	free(conf);
}

/* Static buffers, so that one printf can show several. */
const char *
conf_duration(long long secs)
{
	static char	bufs[4][32];
	static int	n;
	char		*buf = bufs[n++ % 4];
	size_t		 len = sizeof(bufs[0]);

	if (secs != 0 && secs % 3600 == 0)
		(void)snprintf(buf, len, "%lldh", secs / 3600);
	else if (secs != 0 && secs % 60 == 0)
		(void)snprintf(buf, len, "%lldm", secs / 60);
	else
		(void)snprintf(buf, len, "%llds", secs);
	return buf;
}

/* Host bits are cleared; the text is kept for popd -n -v. */
int
conf_parse_network(const char *text, struct conf_trusted *t,
    const char **errstr)
{
	struct netaddr	 n;
	const char	*slash;
	int		 i;

	/* A prefix length is digits only: no sign, no space. */
	if ((slash = strchr(text, '/')) != NULL &&
	    !isdigit((unsigned char)slash[1])) {
		*errstr = "prefix length is invalid";
		return -1;
	}
	if (net_parse(text, &n, errstr) == -1)
		return -1;
	for (i = 0; i < 16; i++) {
		if (i * 8 >= n.bits)
			n.addr[i] = 0;
		else if (i * 8 + 8 > n.bits)
			n.addr[i] &= 0xff << (8 - (n.bits - i * 8));
	}
	t->net = n;
	if (strlcpy(t->text, text, sizeof(t->text)) >= sizeof(t->text)) {
		*errstr = "too long";
		return -1;
	}
	return 0;
}

/* An interface name is looked up when popd binds. */
int
conf_valid_listen_addr(const char *addr)
{
	unsigned char	 a[16];
	const char	*p;

	if (strcmp(addr, "*") == 0)
		return 1;
	if (strchr(addr, ':') != NULL)
		return inet_pton(AF_INET6, addr, a) == 1;
	if (strspn(addr, "0123456789.") == strlen(addr))
		return inet_pton(AF_INET, addr, a) == 1;
	if (addr[0] == '\0' || strlen(addr) >= 16)	/* IFNAMSIZ */
		return 0;
	for (p = addr; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("_.-", *p) == NULL)
			return 0;
	return 1;
}

int
conf_loopback_addr(const char *addr)
{
	unsigned char	a[16];

	if (inet_pton(AF_INET, addr, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, addr, a) != 1)
		return 0;
	if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
		return a[12] == 127;
	return memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
}

/* Without a file (the command-line flags), the message alone.  Returns -1. */
int
conf_error(const struct popd_conf *conf, const struct conf_where *w,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w != NULL && w->file != NULL)
		log_warnx("%s:%d: %s", w->file, w->line, msg);
	else if (conf->file[0] != '\0')
		log_warnx("%s: %s", conf->file, msg);
	else
		log_warnx("%s", msg);
	return -1;
}

/*
 * A peer's share must leave one message-size of lmtp-spool for root and the MTA
 * user (lmtp_txn.c), or one peer could hold all of it.
 */
static int
lmtp_spool_check(const struct popd_conf *conf)
{
	long long	share, size, spool;
	char		fix[64];

	share = (long long)conf->set.limit.lmtp_peer *
	    conf->set.limit.message_size;
	size = conf->set.limit.message_size;
	spool = conf->set.limit.lmtp_spool;
	if (share <= spool - size)
		return 0;
	if (share + size > INT_MAX)
		(void)strlcpy(fix, "lower limit lmtp-peer or limit message-size",
		    sizeof(fix));
	else
		(void)snprintf(fix, sizeof(fix), "limit lmtp-spool must be at "
		    "least %lld", share + size);
	return conf_error(conf, &conf->spool_where, "limit lmtp-peer %d "
	    "times limit message-size %lld (what one peer may hold) leaves "
	    "less than one message-size of limit lmtp-spool %lld for the "
	    "MTA: %s", conf->set.limit.lmtp_peer, size, spool, fix);
}

struct conf_pki *
conf_pki(const struct popd_conf *conf, const char *name)
{
	struct conf_pki	*p;

	TAILQ_FOREACH(p, &conf->pkis, entry)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* Read at each load, so that a reload sees a changed group. */
static int
ctlgroup_load(struct popd_conf *conf)
{
	struct group	 grbuf, *gr = NULL;
	struct passwd	*pw;
	char		*buf = NULL, *nbuf;
	size_t		 len, n;
	int		 r = ERANGE;

	if (conf->ctlgroup[0] == '\0')
		return 0;
	/* getgrnam_r: getpwnam below may reuse getgrnam's static entry. */
	for (len = 16384; r == ERANGE && len <= (1 << 24); len *= 2) {
		if ((nbuf = realloc(buf, len)) == NULL) {
			r = errno;
			break;
		}
		buf = nbuf;
		r = getgrnam_r(conf->ctlgroup, &grbuf, buf, len, &gr);
	}
	if (gr == NULL) {
		free(buf);
		return conf_error(conf, &conf->ctlgroup_where, "control group "
		    "%s: %s", conf->ctlgroup, r != 0 ? strerror(r) :
		    "no such group");
	}
	conf->ctlgid = gr->gr_gid;
	for (n = 0; gr->gr_mem != NULL && gr->gr_mem[n] != NULL; n++)
		;
	if ((conf->ctluids = reallocarray(NULL, n + 1,
	    sizeof(*conf->ctluids))) == NULL) {
		free(buf);
		return conf_error(conf, &conf->ctlgroup_where, "control group "
		    "%s: %s", conf->ctlgroup, strerror(errno));
	}
	for (n = 0; gr->gr_mem != NULL && gr->gr_mem[n] != NULL; n++)
		if ((pw = getpwnam(gr->gr_mem[n])) != NULL)
			conf->ctluids[conf->nctluids++] = pw->pw_uid;
	free(buf);
	return 0;
}

static int
key_file_ok(const struct popd_conf *conf, const struct conf_where *w,
    const char *what, const char *path, off_t min, off_t max)
{
	struct stat	 st;
	const char	*errstr;
	int		 fd;

	if ((fd = open_regular(path, &errstr)) == -1)
		return conf_error(conf, w, "%s %s: %s", what, path, errstr);
	errstr = NULL;
	if (fstat(fd, &st) == -1)
		errstr = strerror(errno);
	else if (st.st_mode & S_IRWXO)
		errstr = "others may read it (chmod o-rwx it)";
	close(fd);
	if (errstr == NULL && (st.st_size < min || st.st_size > max))
		return conf_error(conf, w, "%s %s: must hold %lld to %lld "
		    "bytes", what, path, (long long)min, (long long)max);
	if (errstr != NULL)
		return conf_error(conf, w, "%s %s: %s", what, path, errstr);
	return 0;
}

/*
 * nginx's auth_http: TCP only from the proxy addresses, and a ticket key that
 * only root may read (the router signs logins with it).
 */
static int
http_check(const struct popd_conf *conf)
{
	const struct conf_listen	*l;
	const struct passwd		*pw;
	int				 errors = 0, http = 0;

	TAILQ_FOREACH(l, &conf->listens, entry) {
		if (l->group[0] != '\0' && getgrnam(l->group) == NULL)
			errors += -conf_error(conf, &l->where, "listen on "
			    "socket %s: no group %s", l->path, l->group);
		if (l->user[0] != '\0' && ((pw = getpwnam(l->user)) == NULL ||
		    pw->pw_uid == 0))
			errors += -conf_error(conf, &l->where, "listen on "
			    "socket %s: %s %s", l->path, pw == NULL ? "no user" :
			    "root is always let in, not a user for", l->user);
		if (!(l->flags & CONF_LISTEN_HTTP))
			continue;
		http = 1;
		if (l->path[0] == '\0' && TAILQ_EMPTY(&conf->proxies))
			errors += -conf_error(conf, &l->where, "listen on %s "
			    "auth-http: no \"proxy\" statement names the "
			    "nginx hosts that may ask it", l->addr);
	}
	if (http && conf->set.route[0] == '\0')
		errors += -conf_error(conf, NULL, "auth-http: no \"route\" "
		    "statement names the users' backends");
	if (!http && conf->set.route[0] != '\0')
		errors += -conf_error(conf, &conf->route_where, "route: no "
		    "\"listen on ... auth-http\" statement asks it");
	if (conf->set.ticket_key[0] != '\0' && key_file_ok(conf,
	    &conf->ticket_where, "ticket key", conf->set.ticket_key,
	    TICKET_KEYMIN, TICKET_KEYMAX) == -1)
		errors++;
	return errors ? -1 : 0;
}

int
conf_valid_table_name(const char *name)
{
	size_t	n = strlen(name);

	return n > 0 && n < CONF_NAMELEN && strspn(name,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == n;
}

const struct conf_table *
conf_table(const struct popd_conf *conf, const char *name)
{
	const struct conf_table	*t;

	TAILQ_FOREACH(t, &conf->tables, entry)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

int
conf_table_file(const struct conf_table *t)
{
	return strcmp(t->backend, "file") == 0 ||
	    strcmp(t->backend, "passwd-file") == 0;
}

static int
resolve_table(struct popd_conf *conf, const char *what, char *name,
    int *src, const struct conf_where *w)
{
	const struct conf_table	*t;

	if (*src != TABSRC_LOOKUP)
		return 0;
	if ((t = conf_table(conf, name)) == NULL)
		return conf_error(conf, w, "%s <%s>: no table %s", what, name,
		    name);
	if (strcmp(t->backend, "passwd-file") == 0 &&
	    (strcmp(what, "route") == 0 || strcmp(what, "app-passwords") == 0))
		return conf_error(conf, w, "%s <%s>: a passwd-file has no "
		    "%s", what, name, what[0] == 'r' ? "routes" :
		    "app passwords");
	/* Dovecot has no field for it: a popd-only one would be ours. */
	if (strcmp(t->backend, "passwd-file") == 0 &&
	    strcmp(what, "junk users") == 0)
		return conf_error(conf, w, "%s <%s>: a passwd-file has no "
		    "junk folders: name a file of lines \"USER FOLDER merge "
		    "...\"", what, name);
	if (conf_table_file(t)) {
		*src = strcmp(t->backend, "file") == 0 ? TABSRC_FILE :
		    TABSRC_PASSWD;
		(void)strlcpy(name, t->config, PATH_MAX);
	}
	return 0;
}

/*
 * The parent is root: access(2) would say yes to anything, so check as the
 * backend's user.
 */
static int
table_files_ok(const struct popd_conf *conf, struct conf_table *t)
{
	struct passwd	*pw;
	struct stat	 st;
	const char	*errstr;
	int		 fd;

	if (conf_table_file(t))
		return 0;
	if (stat(t->program, &st) == -1)
		return conf_error(conf, &t->where, "table %s: %s: %s%s",
		    t->name, t->program, strerror(errno), errno == ENOENT ?
		    " (Debian: apt-get install opensmtpd-extras)" : "");
	if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR))
		return conf_error(conf, &t->where, "table %s: %s: not an "
		    "executable file", t->name, t->program);
	/* The parent's sandbox and tablepop run it from the image. */
	switch (conf_script_interp(t->program, t->interp, sizeof(t->interp))) {
	case -1:
		return conf_error(conf, &t->where, "table %s: %s: a script "
		    "whose interpreter cannot run: %s", t->name, t->program,
		    t->interp);
	case 0:
		t->interp[0] = '\0';
	}
	if ((fd = open_regular(t->config, &errstr)) == -1)
		return conf_error(conf, &t->where, "table %s: %s: %s",
		    t->name, t->config, errstr);
	if (fstat(fd, &st) == -1) {
		close(fd);
		return conf_error(conf, &t->where, "table %s: %s: %s",
		    t->name, t->config, strerror(errno));
	}
	close(fd);
	if (geteuid() == 0 && (pw = getpwnam(POPD_TABLE_USER)) != NULL &&
	    !(st.st_mode & S_IROTH) &&
	    !(st.st_uid == pw->pw_uid && (st.st_mode & S_IRUSR)) &&
	    !(st.st_gid == pw->pw_gid && (st.st_mode & S_IRGRP)))
		return conf_error(conf, &t->where, "table %s: %s: not "
		    "readable by %s, who runs %s (chgrp %s and chmod g+r "
		    "it)", t->name, t->config, POPD_TABLE_USER, t->program,
		    POPD_TABLE_USER);
	return 0;
}

int
conf_check(struct popd_conf *conf)
{
	struct conf_listen	*l, *l2;
	struct conf_pki		*p;
	struct conf_trusted	*t;
	struct conf_table	*tb;
	struct group		*gr;
	int			 errors = 0, n, i;

	errors += -resolve_table(conf, "authtab", conf->set.authtab,
	    &conf->set.authsrc, &conf->authtab_where);
	errors += -resolve_table(conf, "usertab", conf->set.usertab,
	    &conf->set.usersrc, &conf->usertab_where);
	n = 0;
	TAILQ_FOREACH(tb, &conf->tables, entry) {
		if (++n == POPD_MAXTABLES + 1)
			errors += -conf_error(conf, &tb->where, "more than %d "
			    "table statements", POPD_MAXTABLES);
		errors += -table_files_ok(conf, tb);
	}

	n = 0;
	TAILQ_FOREACH(p, &conf->pkis, entry) {
		if (++n == POPD_MAXPKI + 1)
			errors += -conf_error(conf, &p->where, "more than %d "
			    "pki statements", POPD_MAXPKI);
		if (p->cert[0] == '\0')
			errors += -conf_error(conf, &p->where,
			    "pki %s: no cert", p->name);
		if (p->key[0] == '\0')
			errors += -conf_error(conf, &p->where,
			    "pki %s: no key", p->name);
	}
	if (TAILQ_EMPTY(&conf->listens))
		errors += -conf_error(conf, NULL, "no \"listen on\" statement");
	n = 0;
	TAILQ_FOREACH(t, &conf->proxies, entry)
		if (++n == POPD_MAXPROXY + 1)
			errors += -conf_error(conf, &t->where, "more than %d "
			    "proxy statements", POPD_MAXPROXY);
	errors += -resolve_table(conf, "route", conf->set.route,
	    &conf->set.routesrc, &conf->route_where);
	errors += -resolve_table(conf, "app-passwords", conf->apps,
	    &conf->appssrc, &conf->apps_where);
	if (conf->apps[0] != '\0' && conf->appssrc == TABSRC_FILE)
		(void)strlcpy(conf->set.apps_file, conf->apps,
		    sizeof(conf->set.apps_file));
	else if (conf->apps[0] != '\0')
		(void)strlcpy(conf->set.apps_table, conf->apps,
		    sizeof(conf->set.apps_table));
	if (conf->apps[0] != '\0' && key_file_ok(conf, &conf->apps_where,
	    "app-passwords key", conf->set.app_key, APP_KEYMIN,
	    APP_KEYMAX) == -1)
		errors++;
	errors += -resolve_table(conf, "quota users", conf->set.quota.users,
	    &conf->set.quota.userssrc, &conf->quota_where);
	errors += -resolve_table(conf, "junk users", conf->set.junk_users,
	    &conf->set.junk_userssrc, &conf->junk_where);
	errors += -http_check(conf);
	errors += -lmtp_spool_check(conf);
	errors += -ctlgroup_load(conf);
	/* Read at each load: a group made later is refused at the reload. */
	for (i = 0; i < conf->nrefuse; i++)
		conf->refuse_gid[i] = (gr = getgrnam(conf->refuse_groups[i])) !=
		    NULL ? gr->gr_gid : (gid_t)-1;
	TAILQ_FOREACH(l, &conf->listens, entry) {
		if (l->flags & (CONF_LISTEN_HTTP | CONF_LISTEN_LMTP |
		    CONF_LISTEN_HEALTH))
			;	/* http_check's, lmtp's, health: no TLS */
		else if (l->pki[0] != '\0' && conf_pki(conf, l->pki) == NULL)
			errors += -conf_error(conf, &l->where,
			    "listen on %s: unknown pki %s", l->addr, l->pki);
		else if (TAILQ_EMPTY(&conf->pkis))
			errors += -conf_error(conf, &l->where,
			    "listen on %s: no pki for %s", l->addr,
			    (l->flags & CONF_LISTEN_TLS) ? "tls" : "starttls");
		if ((l->flags & CONF_LISTEN_PROXY) &&
		    TAILQ_EMPTY(&conf->proxies))
			errors += -conf_error(conf, &l->where,
			    "listen on %s proxy-protocol: no \"proxy\" "
			    "statement names who may send it", l->addr);
		TAILQ_FOREACH(l2, &conf->listens, entry) {
			if (l2 == l)
				break;
			if (l2->port == l->port &&
			    strcmp(l2->addr, l->addr) == 0 &&
			    strcmp(l2->path, l->path) == 0) {
				errors += -conf_error(conf, &l->where,
				    "listen on %s port %d: given twice",
				    l->path[0] != '\0' ? l->path : l->addr,
				    l->port);
				break;
			}
		}
	}
	return errors ? -1 : 0;
}

/*
 * 1 and the interpreter of path's "#!" line in interp; 0 if no script; -1 if it
 * cannot run, with why in interp.
 */
int
conf_script_interp(const char *path, char *interp, size_t len)
{
	const char	*errstr;
	char		 line[PATH_MAX + 3], *p;
	ssize_t		 n;
	int		 fd;

	if ((fd = open_regular(path, &errstr)) == -1)
		return 0;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n < 3 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = '\0';
	p = line + 2 + strspn(line + 2, " \t");
	p[strcspn(p, " \t\n")] = '\0';
	if (*p != '/') {
		(void)snprintf(interp, len, "\"%s\" is not an absolute path",
		    p);
		return -1;
	}
	if (access(p, X_OK) == -1) {
		(void)snprintf(interp, len, "%s: %s", p, strerror(errno));
		return -1;
	}
	if (strlcpy(interp, p, len) >= len) {
		(void)snprintf(interp, len, "too long");
		return -1;
	}
	return 1;
}

/*
 * Key files are opened here as root: the child opens none.  -1 (logged) if
 * descriptors are short or a key file cannot be opened.
 */
int
conf_send(struct chan *c, const struct popd_conf *conf, int proc, int appsfd)
{
	const struct conf_pki		*pki;
	const struct conf_trusted	*t;
	struct msg_pki			 mp;
	struct msg_proxy		 mx;
	struct msg_newtab		 mt;
	struct msg_authkey		 mk;
	const struct {
		const char	*what, *path;
	} keys[] = {			/* by AUTHKEY_* */
		{ "ticket key", conf->set.ticket_key },
		{ "app-passwords key", conf->set.app_key },
	};
	const char			*errstr;
	size_t				 i;
	int				 fd;

	chan_send(c, MSG_PARENT_CONF, -1, &conf->set, sizeof(conf->set));
	if (proc == PROC_LISTENER) {
		TAILQ_FOREACH(pki, &conf->pkis, entry) {
			if (pki->served == NULL)
				fatalx("pki %s: not read", pki->name);
			/* chan_send closes what it passes: keep ours. */
			if ((fd = fcntl(pki->served->fd, F_DUPFD_CLOEXEC,
			    0)) == -1) {
				log_warn("pki %s: dup", pki->name);
				return -1;
			}
			memset(&mp, 0, sizeof(mp));
			mp.certlen = pki->served->certlen;
			chan_send(c, MSG_PARENT_CONF_PKI, fd, &mp, sizeof(mp));
		}
	}
	if (proc == PROC_LISTENER || proc == PROC_HTTP) {
		TAILQ_FOREACH(t, &conf->proxies, entry) {
			memset(&mx, 0, sizeof(mx));
			mx.net = t->net;
			mx.trusted = t->trusted != 0;
			chan_send(c, MSG_PARENT_CONF_PROXY, -1, &mx,
			    sizeof(mx));
		}
	}
	/* authpop maps the app passwords' image as it loads (verify.c). */
	if (appsfd != -1) {
		if ((fd = fcntl(appsfd, F_DUPFD_CLOEXEC, 0)) == -1) {
			log_warn("app passwords: dup");
			return -1;
		}
		memset(&mt, 0, sizeof(mt));
		chan_send(c, MSG_PARENT_TABLE, fd, &mt, sizeof(mt));
	}
	for (i = 0; proc == PROC_AUTHPOP && i < nitems(keys); i++) {
		if (keys[i].path[0] == '\0')
			continue;
		if ((fd = open_regular(keys[i].path, &errstr)) == -1) {
			log_warnx("%s %s: %s", keys[i].what, keys[i].path,
			    errstr);
			return -1;
		}
		memset(&mk, 0, sizeof(mk));
		mk.kind = i;
		chan_send(c, MSG_PARENT_AUTHKEY, fd, &mk, sizeof(mk));
	}
	chan_send(c, MSG_PARENT_CONF_END, -1, NULL, 0);
	return 0;
}
