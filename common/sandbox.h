/*
 * sandbox.h -- each role's confinement: pledge/unveil, or seccomp,
 * Landlock and no_new_privs (sandbox.c).
 */
#ifndef POPD_SANDBOX_H
#define POPD_SANDBOX_H

#include "util.h"

/* sandbox.c */
void		 sandbox_parent(const char *const [], const char *const [],
		    const char *const [], int);
void		 sandbox_listener(void);
void		 sandbox_lmtp(void);
void		 sandbox_control(void);
void		 sandbox_authpop(int);
void		 sandbox_wrkrpop(const char *);
void		 sandbox_mda(const char *);
void		 sandbox_dlvrpop(const char *);
const char	*sandbox_describe(void);

#endif
