/* expect: ok -- every stand-in declaration used as OpenBSD's manuals say */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event.h>
#include <readpassphrase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if !defined(__OpenBSD__) || defined(__linux__) || defined(__GLIBC__)
#error "not compiled as on OpenBSD"
#endif
#if defined(TCP_CORK) || !defined(TCP_NOPUSH) || defined(MADV_DONTFORK)
#error "Linux-only names visible"
#endif

int	use(int, struct evbuffer *);

int
use(int fd, struct evbuffer *b)
{
	char		 t[] = "/tmp/x.XXXXXXXXXX", buf[64], *s = NULL;
	const char	*errstr;
	uid_t		 uid;
	gid_t		 gid;
	void		*p;
	int		 fds[2];

	if (pledge("stdio rpath", NULL) == -1 || unveil("/", "r") == -1 ||
	    unveil(NULL, NULL) == -1)
		return -1;
	if (getpeereid(fd, &uid, &gid) == -1 || shm_mkstemp(t) == -1 ||
	    closefrom(3) == -1 || pipe2(fds, 0) == -1 || dup3(0, 1, 0) == -1)
		return -1;
	if (setresuid(uid, uid, uid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    getresuid(&uid, &uid, &uid) == -1 || getresgid(&gid, &gid, &gid))
		return -1;
	setproctitle("%s", "parent");
	(void)strtonum("1", 0, 9, &errstr);
	p = reallocarray(NULL, 2, 8);
	freezero(p, 16);
	arc4random_buf(buf, sizeof(buf));
	(void)arc4random();
	explicit_bzero(buf, sizeof(buf));
	(void)strlcpy(buf, getprogname(), sizeof(buf));
	(void)strlcat(buf, "x", sizeof(buf));
	(void)timingsafe_bcmp(buf, t, 4);
	(void)memrchr(buf, 'x', sizeof(buf));
	(void)mkostemp(t, 0);
	(void)accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	(void)crypt_checkpass("pw", "$2b$");
	(void)crypt_newhash("pw", "bcrypt,10", buf, sizeof(buf));
	(void)readpassphrase("pw: ", buf, sizeof(buf), RPP_REQUIRE_TTY);
	if (asprintf(&s, "%d", fd) == -1)
		return -1;
	free(s);
	return EVBUFFER_LENGTH(b) > 0 ? evbuffer_write(b, fd) : 0;
}
