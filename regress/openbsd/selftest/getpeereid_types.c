/* expect: incompatible pointer type -- getpeereid(2): a uid_t, a gid_t */
#include <sys/types.h>
#include <sys/socket.h>

int	f(int);

int
f(int fd)
{
	long	uid, gid;

	return getpeereid(fd, &uid, &gid);
}
