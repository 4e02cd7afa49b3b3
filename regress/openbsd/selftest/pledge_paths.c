/* expect: incompatible pointer type -- pledge(2) took paths before 6.3 */
#include <unistd.h>

int	f(void);

int
f(void)
{
	const char	*paths[] = { "/tmp", NULL };

	return pledge("stdio", paths);
}
