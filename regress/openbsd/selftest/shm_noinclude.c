/* expect: implicit declaration of function .shm_mkstemp -- <sys/mman.h> */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int	f(void);

int
f(void)
{
	char	path[] = "/tmp/x.XXXXXXXXXX";

	return shm_mkstemp(path);
}
