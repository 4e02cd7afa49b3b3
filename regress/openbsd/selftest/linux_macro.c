/* expect: TCP_CORK.*undeclared -- a Linux-only socket option */
#include <netinet/in.h>
#include <netinet/tcp.h>

int	cork = TCP_CORK;
