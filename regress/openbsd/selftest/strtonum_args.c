/* expect: too few arguments -- strtonum(3) reports through errstr */
#include <stdlib.h>

long long	f(const char *);

long long
f(const char *s)
{
	return strtonum(s, 0, 9);
}
