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
 * The parent's listening sockets, bound once as root before it confines
 * itself and kept across reloads: a reload cannot bind anew.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>

#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "config.h"
#include "addr.h"
#include "util.h"

/* Removed at exit only if still ours (device and inode), else left. */
static struct made {
	char	 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t	 dev;
	ino_t	 ino;
}			 made[MAX_LISTEN];
static int		 nmade;

struct listen_socket	 listens[MAX_LISTEN];
int			 nlistens;
int			 nlisteners = 1;

/* One per core where the kernel can steer a client to one of them. */
void
bind_init(const struct popd_conf *c)
{
	long	ncpu;

	if (c->listeners != 0)
		nlisteners = c->listeners;
	else if (compat_steer_sockets() &&
	    (ncpu = sysconf(_SC_NPROCESSORS_ONLN)) > 1)
		nlisteners = ncpu < LISTENERS_MAX ? ncpu : LISTENERS_MAX;
}

/* "control socket" or "popd.conf:12: listen on 1.2.3.4", for messages. */
static const char *
listen_name(const struct conf_listen *l)
{
	static char	buf[PATH_MAX + 128];

	if (l->where.line == 0)
		return l->where.file;
	(void)snprintf(buf, sizeof(buf), "%s:%d: listen on %s%s",
	    l->where.file, l->where.line, l->path[0] != '\0' ? "socket " : "",
	    l->path[0] != '\0' ? l->path : l->addr);
	return buf;
}

static void
listen_add(const struct conf_listen *l, int fd, int flags)
{
	listens[nlistens].fd = fd;
	listens[nlistens].flags = flags | (l->flags & LISTEN_ALL);
	(void)strlcpy(listens[nlistens].pki, l->pki,
	    sizeof(listens[nlistens].pki));
	listens[nlistens].uid = LISTEN_ANYUID;
	listens[nlistens].slot = 0;
	nlistens++;
}

/*
 * 0 if nothing is there or a crash's socket (removed), 1 if a socket
 * answers (a running popd's), -1 (logged) otherwise.
 */
static int
unix_stale(const struct sockaddr_un *sun, const char *what)
{
	const char	*path = sun->sun_path;
	struct stat	 st;
	int		 probe, live;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("%s: %s", what, path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("%s: %s exists and is not a socket", what, path);
		return -1;
	}
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("%s: socket", what);
		return -1;
	}
	live = connect(probe, (const struct sockaddr *)sun,
	    sizeof(*sun)) == 0 || errno != ECONNREFUSED;
	close(probe);
	if (live)
		return 1;
	if (unlink(path) == -1) {
		log_warn("%s: unlink %s", what, path);
		return -1;
	}
	log_debug("%s: removed %s, left by a popd that ended", what, path);
	return 0;
}

/* Made root's and 0755 where no systemd did: the socket's mode rules. */
static int
unix_dir(const struct conf_listen *l)
{
	char	 dir[sizeof(l->path)], *slash;

	(void)strlcpy(dir, l->path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) == -1) {
		if (errno == EEXIST)
			return 0;
		log_warn("%s: mkdir %s", listen_name(l), dir);
		return -1;
	}
	if (chmod(dir, 0755) == -1) {
		log_warn("%s: chmod %s", listen_name(l), dir);
		return -1;
	}
	log_info("%s: made the directory %s", listen_name(l), dir);
	return 0;
}

/*
 * any: a kernel without IPv6 refuses AF_INET6 (EAFNOSUPPORT); "*" then
 * means IPv4 alone, logged.
 */
static int
bind_one(const struct conf_listen *l, struct sockaddr *sa, socklen_t salen,
    int any)
{
	int	 fd, on = 1, k, n, first = nlistens;

	/*
	 * A socket per listener where the kernel steers clients.  PROXY
	 * and health ports keep one socket, served by the first listener,
	 * so its counts per client stay exact.
	 */
	n = nlisteners > 1 && compat_steer_sockets() &&
	    !(l->flags & (CONF_LISTEN_HTTP | CONF_LISTEN_LMTP |
	    CONF_LISTEN_CONTROL | CONF_LISTEN_HEALTH | CONF_LISTEN_PROXY)) ?
	    nlisteners : 1;
	for (k = 0; k < n; k++) {
		if (nlistens == MAX_LISTEN) {
			log_warnx("%s: too many addresses (max %d, %d of "
			    "them per listener)", listen_name(l), MAX_LISTEN,
			    n);
			goto fail;
		}
		if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) == -1) {
			if (any && sa->sa_family == AF_INET6 &&
			    errno == EAFNOSUPPORT) {
				log_info("%s: no IPv6 on this host (%s), "
				    "serving IPv4 only", listen_name(l),
				    strerror(errno));
				return 0;
			}
			log_warn("%s: socket", listen_name(l));
			goto fail;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == -1 || (n > 1 && compat_reuseport(fd) ==
		    -1) || (sa->sa_family == AF_INET6 &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on)) == -1)) {
			log_warn("%s: setsockopt", listen_name(l));
			close(fd);
			goto fail;
		}
		if (bind(fd, sa, salen) == -1 || listen(fd, 512) == -1) {
			log_warn("%s: %s", listen_name(l),
			    sockaddr_str(sa, salen));
			close(fd);
			goto fail;
		}
		listen_add(l, fd, 0);
		/* Listener k alone; -1: every one (a shared socket). */
		listens[nlistens - 1].slot = n > 1 ? k :
		    (l->flags & (CONF_LISTEN_PROXY | CONF_LISTEN_HEALTH)) ?
		    0 : -1;
	}
	/* In the order of listen(2): the kernel's index is the slot. */
	if (n > 1 && compat_steer(listens[first].fd, n,
	    conf->set.per_address.ipv4_prefix,
	    conf->set.per_address.ipv6_prefix) == -1) {
		log_warn("%s: steering clients to %d listeners",
		    listen_name(l), n);
		goto fail;
	}
	log_debug("listening on %s%s", sockaddr_str(sa, salen),
	    n > 1 ? ", a socket per listener" : "");
	return 0;
 fail:
	while (nlistens > first)
		close(listens[--nlistens].fd);
	return -1;
}

/*
 * Mode 0660 with a group, else 0600 (auth-http) or 0666 (lmtp, control:
 * the parent judges the peer's credentials).
 */
static int
bind_socket(const struct conf_listen *l)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	struct group		*gr = NULL;
	struct passwd		*pw = NULL;
	int			 fd;

	if (nlistens == MAX_LISTEN) {
		log_warnx("%s: too many addresses (max %d)", listen_name(l),
		    MAX_LISTEN);
		return -1;
	}
	if (l->group[0] != '\0' && (gr = getgrnam(l->group)) == NULL) {
		log_warnx("%s: no group %s", listen_name(l), l->group);
		return -1;
	}
	if (l->user[0] != '\0' && (pw = getpwnam(l->user)) == NULL) {
		log_warnx("%s: no user %s", listen_name(l), l->user);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, l->path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		log_warnx("%s: path too long", listen_name(l));
		return -1;
	}
	switch (unix_stale(&sun, listen_name(l))) {
	case -1:
		return -1;
	case 1:
		if (l->flags & CONF_LISTEN_CONTROL)
			errx(1, "%s: another popd is running (its control "
			    "socket answers)", l->path);
		log_warnx("%s: %s is in use (another popd?)", listen_name(l),
		    l->path);
		return -1;
	}
	if (unix_dir(l) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("%s: socket", listen_name(l));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("%s: bind %s", listen_name(l), l->path);
		close(fd);
		return -1;
	}
	/*
	 * LMTP without a group: every local user may deliver, as over
	 * loopback TCP (or port 25); the MTA's delivery user is often
	 * one uid per virtual user.  auth_http is nginx's only.
	 */
	if (chmod(l->path, gr != NULL ? 0660 : (l->flags & (CONF_LISTEN_LMTP |
	    CONF_LISTEN_CONTROL)) ? 0666 : 0600) == -1 ||
	    ((gr != NULL || pw != NULL) && chown(l->path, pw != NULL ?
	    pw->pw_uid : 0, gr != NULL ? gr->gr_gid : 0) == -1) ||
	    listen(fd, 512) == -1) {
		log_warn("%s: %s", listen_name(l), l->path);
		(void)unlink(l->path);
		close(fd);
		return -1;
	}
	log_debug("listening on %s", l->path);
	if (nmade < MAX_LISTEN && lstat(l->path, &st) == 0) {
		(void)strlcpy(made[nmade].path, l->path,
		    sizeof(made[nmade].path));
		made[nmade].dev = st.st_dev;
		made[nmade++].ino = st.st_ino;
	}
	listen_add(l, fd, LISTEN_UNIX);
	if (pw != NULL)
		listens[nlistens - 1].uid = pw->pw_uid;
	return 0;
}

int
bind_listen(const struct conf_listen *l)
{
	struct addrinfo	 hints, *res, *ai;
	struct ifaddrs	*ifa, *i;
	char		 port[8];
	const char	*h;
	int		 error, n = 0;

	if (l->path[0] != '\0')
		return bind_socket(l);
	(void)snprintf(port, sizeof(port), "%d", l->port);
	h = strcmp(l->addr, "*") == 0 ? NULL : l->addr;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((error = getaddrinfo(h, port, &hints, &res)) == 0) {
		for (ai = res; ai != NULL && error == 0; ai = ai->ai_next)
			error = bind_one(l, ai->ai_addr, ai->ai_addrlen,
			    h == NULL);
		freeaddrinfo(res);
		return error;
	}
	/* Not an address: an interface. */
	if (getifaddrs(&ifa) == -1) {
		log_warn("%s: getifaddrs", listen_name(l));
		return -1;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || strcmp(i->ifa_name, l->addr) != 0 ||
		    (i->ifa_addr->sa_family != AF_INET &&
		    i->ifa_addr->sa_family != AF_INET6))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			((struct sockaddr_in *)i->ifa_addr)->sin_port =
			    htons(l->port);
		else
			((struct sockaddr_in6 *)i->ifa_addr)->sin6_port =
			    htons(l->port);
		if (bind_one(l, i->ifa_addr, i->ifa_addr->sa_family ==
		    AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6), 0) == -1) {
			freeifaddrs(ifa);
			return -1;
		}
		n++;
	}
	freeifaddrs(ifa);
	if (n == 0) {
		log_warnx("%s: not an address or an interface with an "
		    "address", listen_name(l));
		return -1;
	}
	return 0;
}

/* Stopping: a client connecting now is refused, not left queued. */
void
bind_close(void)
{
	int	i;

	for (i = 0; i < nlistens; i++)
		if (listens[i].fd != -1) {
			(void)close(listens[i].fd);
			listens[i].fd = -1;
		}
}

/* At a clean exit: remove the socket files that are still ours. */
void
bind_unlink(void)
{
	struct stat	st;
	int		i;

	for (i = 0; i < nmade; i++) {
		if (lstat(made[i].path, &st) == -1 || !S_ISSOCK(st.st_mode) ||
		    st.st_dev != made[i].dev || st.st_ino != made[i].ino) {
			log_debug("%s: not the socket popd made, left alone",
			    made[i].path);
			continue;
		}
		if (unlink(made[i].path) == -1)
			log_warn("unlink %s", made[i].path);
	}
}
