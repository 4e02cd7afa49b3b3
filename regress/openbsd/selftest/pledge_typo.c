/* expect: implicit declaration of function .plegde -- a typo in the name */
#include <unistd.h>

int	f(void);

int
f(void)
{
	return plegde("stdio", NULL);
}
