/* expect: format -- setproctitle(3) is printf-like */
#include <stdlib.h>

void	f(void);

void
f(void)
{
	setproctitle("%s", 1);
}
