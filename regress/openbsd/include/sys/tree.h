/*
 * OpenBSD stand-in (regress/openbsd/check.sh): OpenBSD's <sys/tree.h>
 * macros, which glibc lacks, from libbsd's copy of them.
 */
#include <bsd/sys/tree.h>
