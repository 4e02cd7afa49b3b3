/* expect: does not exist on OpenBSD -- a Linux-only header */
#include <sys/prctl.h>
