/*
 * OpenBSD stand-in (regress/openbsd/check.sh): OpenBSD's <sys/queue.h>
 * has the _SAFE iterators glibc's lacks; libbsd's copy has them too.
 */
#include <bsd/sys/queue.h>
