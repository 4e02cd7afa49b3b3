/*
 * OpenBSD stand-in (regress/openbsd/check.sh): glibc's <features.h>,
 * which every glibc header includes first, then without __GLIBC__, so
 * that the tree's "#if defined(__GLIBC__)" branches are compiled as on
 * OpenBSD, whose libc defines no such macro.
 */
#include_next <features.h>
#undef __GLIBC__
#undef __GLIBC_MINOR__
