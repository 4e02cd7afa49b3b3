/* OpenBSD stand-in (regress/openbsd/check.sh): Linux or glibc only. */
#error "<seccomp.h> does not exist on OpenBSD"
