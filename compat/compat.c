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

/* OS glue that role files must not carry as #ifdefs. */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <linux/sockios.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <crypt.h>
#include <shadow.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <string.h>
#include <unistd.h>

#include "compat.h"

#ifdef __linux__
int
compat_timingsafe_bcmp(const void *a, const void *b, size_t n)
{
	const unsigned char	*x = a, *y = b;
	unsigned char		 diff = 0;
	size_t			 i;

	for (i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return diff != 0;
}
#endif

/* Thread-safe: authpop runs it in several threads at once. */
int
compat_checkpass(const char *pass, const char *hash)
{
#ifdef __linux__
	struct crypt_data	*cd;
	const char		*out;
	int			 r, saved;

	/* About 32 KiB: too big for a thread stack on every call. */
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return -1;
	errno = 0;
	if ((out = crypt_rn(pass, hash, cd, sizeof(*cd))) == NULL) {
		r = -1;
		saved = errno != 0 ? errno : EINVAL;
	} else {
		r = strlen(out) == strlen(hash) &&
		    timingsafe_bcmp(out, hash, strlen(out)) == 0 ? 0 : -1;
		saved = EACCES;
	}
	freezero(cd, sizeof(*cd));
	if (r == -1)
		errno = saved;
	return r;
#else
	if (crypt_checkpass(pass, hash) == 0)
		return 0;
	errno = EACCES;
	return -1;
#endif
}

int
compat_newhash(const char *pass, int cost, char *out, size_t outlen)
{
#ifdef __linux__
	struct crypt_data	*cd;
	char			 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	int			 r = -1;

	if (crypt_gensalt_rn("$2b$", cost, NULL, 0, setting,
	    sizeof(setting)) == NULL)
		return -1;
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return -1;
	if (crypt_rn(pass, setting, cd, sizeof(*cd)) != NULL &&
	    cd->output[0] == '$') {
		if (strlcpy(out, cd->output, outlen) < outlen)
			r = 0;
		else
			errno = ENAMETOOLONG;
	} else if (errno == 0)
		errno = EINVAL;
	freezero(cd, sizeof(*cd));
	return r;
#else
	char	pref[16];

	(void)snprintf(pref, sizeof(pref), "bcrypt,%d", cost);
	return crypt_newhash(pass, pref, out, outlen);
#endif
}

#ifdef __SANITIZE_ADDRESS__
/*
 * Children get no ASAN_OPTIONS from the parent.  No LeakSanitizer: it
 * uses ptrace(2), which confinement refuses; no symbolizer: a program the
 * confined may not run; a report ends the process, so the test fails.
 */
const char	*__asan_default_options(void);
const char	*__ubsan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0:abort_on_error=1:symbolize=0:"
	    "allocator_may_return_null=1";
}

const char *
__ubsan_default_options(void)
{
	return "print_stacktrace=1:halt_on_error=1:symbolize=0";
}
#endif

static int
close_err(int fd)
{
	int	save = errno;

	close(fd);
	errno = save;
	return -1;
}

int
compat_open_regular(const char *path, int flags)
{
	struct stat	 st, ost;
	int		 fd;
#ifdef __linux__
	char		 proc[32];
	int		 pfd;

	/* The name resolved once; the inode it names checked, not opened. */
	if ((pfd = open(path, O_PATH | O_CLOEXEC | (flags & O_NOFOLLOW))) ==
	    -1)
		return -1;
	if (fstat(pfd, &st) == -1)
		return close_err(pfd);
	if (!S_ISREG(st.st_mode)) {
		errno = EFTYPE;
		return close_err(pfd);
	}
	flags |= O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	/* The magic link is one to follow: O_NOFOLLOW would refuse it. */
	if ((fd = open(proc, flags & ~O_NOFOLLOW)) == -1 && errno == ENOENT)
		fd = open(path, flags);
	if (fd == -1)
		return close_err(pfd);
	close(pfd);
#else
	if ((flags & O_NOFOLLOW ? lstat(path, &st) : stat(path, &st)) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EFTYPE;
		return -1;
	}
	if ((fd = open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) ==
	    -1)
		return -1;
#endif
	/* Opened by name (no /proc, or not Linux): it may have been swapped. */
	if (fstat(fd, &ost) == -1)
		return close_err(fd);
	if (!S_ISREG(ost.st_mode) || ost.st_dev != st.st_dev ||
	    ost.st_ino != st.st_ino) {
		close(fd);
		errno = S_ISREG(ost.st_mode) ? ESTALE : EFTYPE;
		return -1;
	}
	return fd;
}

#ifdef POPD_OPENBSD
static char	exe_path[PATH_MAX];
#endif

/*
 * OpenBSD has no /proc, and its getprogname() is argv[0]'s last
 * component: argv[0] is resolved at start, as smtpd and bgpd do.
 */
void
compat_exe_keep(const char *argv0)
{
#ifdef POPD_OPENBSD
	const char	*p, *e;
	char		 buf[PATH_MAX];
	int		 n;

	if (strchr(argv0, '/') != NULL) {
		if (realpath(argv0, exe_path) == NULL)
			exe_path[0] = '\0';
		return;
	}
	for (p = getenv("PATH"); p != NULL && *p != '\0'; p = e + (*e != '\0')) {
		e = p + strcspn(p, ":");
		n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)(e - p), p,
		    argv0);
		if (n > 0 && (size_t)n < sizeof(buf) && access(buf, X_OK) == 0 &&
		    realpath(buf, exe_path) != NULL)
			return;
	}
	exe_path[0] = '\0';
#else
	(void)argv0;
#endif
}

int
compat_exe_path(char *buf, size_t len)
{
#ifndef POPD_OPENBSD
	ssize_t	n;

	if ((n = readlink("/proc/self/exe", buf, len - 1)) == -1)
		return -1;
	if ((size_t)n >= len - 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	buf[n] = '\0';
	return 0;
#else
	if (exe_path[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (strlcpy(buf, exe_path, len) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
#endif
}

int
compat_nocoredump(void)
{
	struct rlimit	rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		return -1;
#ifdef __linux__
	/* Also keeps /proc/PID/mem and ptrace away from same-uid peers. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return -1;
#endif
	return 0;
}

int
compat_spawn_ready(void)
{
#ifdef __linux__
	struct __user_cap_header_struct	hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct	data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data) == -1)
		return -1;
	if ((data[CAP_TO_INDEX(CAP_SETPCAP)].effective &
	    CAP_TO_MASK(CAP_SETPCAP)) == 0) {
		errno = EPERM;
		return -1;
	}
#endif
	return 0;
}

int
compat_nocaps(void)
{
#ifdef __linux__
	struct __user_cap_header_struct	hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct	data[_LINUX_CAPABILITY_U32S_3];
	int				i;

	if (syscall(SYS_capget, &hdr, data) == -1)
		return -1;
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].permitted != 0 || data[i].effective != 0) {
			errno = EPERM;
			return -1;
		}
#endif
	return 0;
}

#ifdef __linux__
/*
 * libbsd's setproctitle leaves a stray '.' in ps output when the title
 * is shorter than argv[0], so we write over the original argument area,
 * found in /proc/self/stat before any chroot.
 */
static char	*title_base;
static size_t	 title_size;

static void __attribute__((__constructor__))
compat_title_init(void)
{
	FILE			*fp;
	char			 buf[1024], *p;
	/* Fields 48 to 51: arg_start, arg_end, env_start, env_end. */
	unsigned long long	 v[4] = { 0 }, end;
	int			 field;

	if ((fp = fopen("/proc/self/stat", "re")) == NULL)
		return;
	p = fgets(buf, sizeof(buf), fp);
	fclose(fp);
	if (p == NULL || (p = strrchr(buf, ')')) == NULL)
		return;
	for (field = 3; field <= 51 && (p = strchr(p + 1, ' ')) != NULL;
	    field++)
		if (field >= 48)
			v[field - 48] = strtoull(p + 1, NULL, 10);
	end = v[1];
	if (v[0] == 0 || end <= v[0] + 1)
		return;
	/* popd gives its children an environment with room for a title. */
	if (v[2] == end && v[3] > v[2])
		end = v[3];
	title_base = (char *)(uintptr_t)v[0];
	title_size = end - v[0];
}

void
compat_setproctitle(const char *fmt, ...)
{
	char	 title[256];
	va_list	 ap;
	int	 n;

	if (title_base == NULL)
		return;
	n = snprintf(title, sizeof(title), "%s: ", getprogname());
	if (n < 0 || (size_t)n >= sizeof(title))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(title + n, sizeof(title) - n, fmt, ap);
	va_end(ap);
	/* The last byte stays NUL: the kernel then shows the area as is. */
	memset(title_base, 0, title_size);
	(void)strlcpy(title_base, title, title_size);
}
#endif

int
compat_getpwent(struct passwd *pwbuf, char *buf, size_t len,
    struct passwd **pw)
{
#ifdef __linux__
	int	r;

	if ((r = getpwent_r(pwbuf, buf, len, pw)) == ENOENT) {
		*pw = NULL;
		return 0;
	}
	return *pw == NULL ? r : 0;
#else
	errno = 0;
	if ((*pw = getpwent()) == NULL && errno != 0 && errno != ENOENT)
		return errno;
	return 0;
#endif
}

int
compat_pwhash(const char *user, char *hash, size_t len)
{
#ifdef __linux__
	struct spwd	 spbuf, *sp;
	char		*buf;
	size_t		 buflen = 16384;
	int		 r, found = 0;

	if ((buf = malloc(buflen)) == NULL)
		return -1;
	r = getspnam_r(user, &spbuf, buf, buflen, &sp);
	if (sp == NULL && r != 0 && r != ENOENT) {
		freezero(buf, buflen);
		errno = r;
		return -1;
	}
	if (sp != NULL && strlcpy(hash, sp->sp_pwdp, len) < len)
		found = 1;
	freezero(buf, buflen);
	return found;
#else
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam_shadow(user)) == NULL)
		return errno != 0 && errno != ENOENT ? -1 : 0;
	return strlcpy(hash, pw->pw_passwd, len) < len;
#endif
}

int
compat_spool_create(const char *name)
{
#ifndef POPD_OPENBSD
	return memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
#else
	char	path[] = "/tmp/popd-spool.XXXXXXXXXX";
	int	fd;

	(void)name;
	if ((fd = shm_mkstemp(path)) == -1)
		return -1;
	if (shm_unlink(path) == -1 || fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return close_err(fd);
	return fd;
#endif
}

int
compat_spool_ro(const char *name, int *ro)
{
#ifndef POPD_OPENBSD
	return *ro = compat_spool_create(name);
#else
	char	path[] = "/tmp/popd-spool.XXXXXXXXXX";
	int	fd;

	(void)name;
	if ((fd = shm_mkstemp(path)) == -1)
		return -1;
	if ((*ro = shm_open(path, O_RDONLY, 0)) == -1) {
		(void)shm_unlink(path);
		return close_err(fd);
	}
	if (shm_unlink(path) == -1 || fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		close(*ro);
		return close_err(fd);
	}
	return fd;
#endif
}

int
compat_spool_seal(int fd)
{
#ifndef POPD_OPENBSD
	return fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK |
	    F_SEAL_GROW | F_SEAL_SEAL);
#else
	return 0;
#endif
}

int
compat_page_create(const char *name, size_t size)
{
	int	fd;

	if ((fd = compat_spool_create(name)) == -1)
		return -1;
	if (ftruncate(fd, size) == -1)
		return close_err(fd);
#ifndef POPD_OPENBSD
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_SEAL) == -1)
		return close_err(fd);
#endif
	return fd;
}

/* glibc keeps freed heap pages: a spike of sessions would cost its peak. */
#ifdef __SANITIZE_ADDRESS__
void	__sanitizer_purge_allocator(void);
#endif

void
compat_memtrim(void)
{
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's allocator (make sanitize): its quarantine and free pages. */
	__sanitizer_purge_allocator();
#elif defined(__GLIBC__)
	(void)malloc_trim(0);
#endif
}

#ifdef __linux__
static unsigned long long
cgroup_limit(const char *top, const char *path, const char *file)
{
	FILE			*fp;
	char			 p[PATH_MAX], f[PATH_MAX], *slash;
	unsigned long long	 v, least = 0;

	if (strlcpy(p, path, sizeof(p)) >= sizeof(p))
		return 0;
	for (;;) {
		if ((size_t)snprintf(f, sizeof(f), "%s%s/%s", top, p, file) <
		    sizeof(f) && (fp = fopen(f, "re")) != NULL) {
			if (fscanf(fp, "%llu", &v) == 1 && v > 0 &&
			    (least == 0 || v < least))
				least = v;
			fclose(fp);
		}
		if ((slash = strrchr(p, '/')) == NULL)
			break;
		*slash = '\0';
	}
	return least;
}
#endif

/* Read before a chroot: /proc and /sys are gone after it. */
unsigned long
compat_mem_limit(void)
{
	struct rlimit		 rl;
	unsigned long long	 least = 0;
	int			 i;
	static const int	 res[] = {
#ifdef RLIMIT_AS
		RLIMIT_AS,	/* OpenBSD has none: RLIMIT_DATA bounds malloc */
#endif
		RLIMIT_DATA };
#ifdef __linux__
	unsigned long long	 v;
	FILE			*fp;
	char			*line = NULL, *path;
	size_t			 sz = 0;

	if ((fp = fopen("/proc/self/cgroup", "re")) != NULL) {
		while (getline(&line, &sz, fp) != -1) {
			line[strcspn(line, "\n")] = '\0';
			v = 0;
			if (strncmp(line, "0::", 3) == 0) {
				path = line + 3;
				if ((v = cgroup_limit("/sys/fs/cgroup", path,
				    "memory.max")) == 0)
					v = cgroup_limit("/sys/fs/cgroup/unified",
					    path, "memory.max");
			} else if ((path = strstr(line, ":memory:")) != NULL)
				v = cgroup_limit("/sys/fs/cgroup/memory",
				    path + 8, "memory.limit_in_bytes");
			if (v > 0 && (least == 0 || v < least))
				least = v;
		}
		free(line);
		fclose(fp);
	}
#endif
	for (i = 0; i < (int)(sizeof(res) / sizeof(res[0])); i++)
		if (getrlimit(res[i], &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    (least == 0 || rl.rlim_cur < least))
			least = rl.rlim_cur;
	return (unsigned long)(least / 1024);
}

int
compat_nofork(void *p, size_t len)
{
#ifdef MADV_DONTFORK
	return madvise(p, len, MADV_DONTFORK);
#else
	return 0;
#endif
}

/*
 * Pages setup dirtied (a 32 KB buffer, deep calls): a process that idles
 * for hours keeps only what its loop uses.  Linux keeps 128 MB between
 * the stack and other mappings; madvise skips what is not mapped.
 */
void
compat_stack_trim(void)
{
#ifdef __linux__
	volatile char	 here;
	uintptr_t	 top, pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	const size_t	 span = 1024 * 1024;

	top = ((uintptr_t)&here & ~(pg - 1)) - pg;
	if (top > span)
		(void)madvise((void *)(top - span), span, MADV_DONTNEED);
#endif
}

int
compat_relay_pipe(int fds[2], size_t size)
{
#ifdef __linux__
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	/* 64 KB by default; more only helps, so a refusal is no error. */
	(void)fcntl(fds[0], F_SETPIPE_SZ, (int)size);
	return 0;
#else
	errno = ENOSYS;
	return -1;
#endif
}

ssize_t
compat_splice(int from, int to, size_t len)
{
#ifdef __linux__
	return splice(from, NULL, to, NULL, len, SPLICE_F_MOVE |
	    SPLICE_F_NONBLOCK);
#else
	errno = ENOSYS;
	return -1;
#endif
}

int
compat_cork(int fd, int on)
{
#ifdef TCP_CORK
	return setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
#else
	return setsockopt(fd, IPPROTO_TCP, TCP_NOPUSH, &on, sizeof(on));
#endif
}

int
compat_unread(int fd)
{
	int	n = 0;

#ifndef POPD_OPENBSD
	if (ioctl(fd, SIOCOUTQ, &n) == -1)
		return -1;
#endif
	return n;
}

int
compat_peerid(int fd, uid_t *uid, gid_t *gid)
{
#ifdef __linux__
	struct ucred	cr;
	socklen_t	len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return -1;
	/* pid 0 is a peer in another pid namespace (an MTA's container). */
	if (len != sizeof(cr) || cr.uid == (uid_t)-1) {
		errno = ENOTCONN;
		return -1;
	}
	*uid = cr.uid;
	*gid = cr.gid;
	return 0;
#else
	return getpeereid(fd, uid, gid);
#endif
}

/*
 * OpenBSD's way, sysctl net.inet.tcp.ident, is outside the parent's
 * pledge: ENOSYS there, and root goes by the listener's word.
 */
int
compat_tcp_exists(int af, const void *local, uint16_t lport,
    const void *peer, uint16_t pport)
{
#if defined(__linux__) && !defined(POPD_OPENBSD)
	struct {
		struct nlmsghdr		nh;
		struct inet_diag_req_v2	r;
	} req;
	union {
		struct nlmsghdr		nh;
		char			b[1024];
	} ans;
	struct sockaddr_nl	 sa;
	struct inet_diag_msg	*m;
	struct nlmsgerr		*e;
	size_t			 alen = af == AF_INET ? 4 : 16;
	ssize_t			 n;
	int			 fd, rv = -1;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = af;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0U;
	req.r.id.idiag_sport = htons(lport);
	req.r.id.idiag_dport = htons(pport);
	memcpy(req.r.id.idiag_src, local, alen);
	memcpy(req.r.id.idiag_dst, peer, alen);
	req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] =
	    INET_DIAG_NOCOOKIE;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return -1;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa,
	    sizeof(sa)) != sizeof(req) ||
	    (n = recv(fd, &ans, sizeof(ans), 0)) == -1)
		goto done;
	errno = EPROTO;
	if (n < (ssize_t)sizeof(ans.nh) || (size_t)n < ans.nh.nlmsg_len)
		goto done;
	if (ans.nh.nlmsg_type == NLMSG_ERROR &&
	    ans.nh.nlmsg_len >= NLMSG_LENGTH(sizeof(*e))) {
		e = NLMSG_DATA(&ans.nh);
		errno = e->error < 0 ? -e->error : EPROTO;
	} else if (ans.nh.nlmsg_type == SOCK_DIAG_BY_FAMILY &&
	    ans.nh.nlmsg_len >= NLMSG_LENGTH(sizeof(*m))) {
		/* The lookup falls back to the listening socket: not it. */
		m = NLMSG_DATA(&ans.nh);
		if (m->id.idiag_dport == htons(pport) &&
		    memcmp(m->id.idiag_dst, peer, alen) == 0)
			rv = 0;
		else
			errno = ENOENT;
	}
 done:
	close(fd);
	return rv;
#else
	errno = ENOSYS;
	return -1;
#endif
}
