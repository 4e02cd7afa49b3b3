/*
 * OpenBSD stand-in (regress/openbsd/check.py): glibc's <pwd.h> without
 * what OpenBSD lacks (getpwent_r), plus what OpenBSD's declares, as in
 * its getpwent(3) and getpwnam(3) manual pages.  Only what popd uses.
 */
#ifndef POPD_OBSD_PWD_H
#define POPD_OBSD_PWD_H

#define getpwent_r	popd_linux_only_getpwent_r
#include_next <pwd.h>
#undef getpwent_r

/* getpwnam(3): the password hash, for root only. */
struct passwd	*getpwnam_shadow(const char *name);
struct passwd	*getpwuid_shadow(uid_t uid);

#endif
