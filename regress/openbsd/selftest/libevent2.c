/* expect: poisoned -- evbuffer_get_length is libevent 2; OpenBSD's is 1.4 */
#include <event.h>

size_t	f(struct evbuffer *);

size_t
f(struct evbuffer *b)
{
	return evbuffer_get_length(b);
}
