/*
 * OpenBSD stand-in (regress/openbsd/check.sh): glibc's <stdio.h> plus
 * what OpenBSD's <stdio.h> declares and glibc hides without
 * _GNU_SOURCE, as in OpenBSD's manual pages.  Only what popd uses.
 */
#ifndef POPD_OBSD_STDIO_H
#define POPD_OBSD_STDIO_H

#include_next <stdio.h>

/* printf(3) */
int	 asprintf(char **ret, const char *format, ...)
	    __attribute__((__format__ (printf, 2, 3)));
int	 vasprintf(char **ret, const char *format, __gnuc_va_list ap)
	    __attribute__((__format__ (printf, 2, 0)));

#endif
