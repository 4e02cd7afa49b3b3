/*
 * OpenBSD stand-in (regress/openbsd/check.sh): glibc's <sys/mman.h>
 * without the Linux-only names popd tests for, plus shm_mkstemp, as in
 * OpenBSD's manual pages.
 */
#ifndef POPD_OBSD_SYS_MMAN_H
#define POPD_OBSD_SYS_MMAN_H

#include_next <sys/mman.h>

/* madvise(2) and mmap(2) flags that only Linux has. */
#undef MADV_DONTFORK
#undef MADV_DOFORK
#undef MAP_POPULATE
#undef MAP_LOCKED
#undef MAP_NORESERVE

/* shm_open(3) */
int	 shm_mkstemp(char *template);

#endif
