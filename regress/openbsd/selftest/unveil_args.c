/* expect: too few arguments -- unveil(2) takes a path and permissions */
#include <unistd.h>

int	f(void);

int
f(void)
{
	return unveil("/etc/popd.conf");
}
