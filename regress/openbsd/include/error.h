/* OpenBSD stand-in (regress/openbsd/check.sh): Linux or glibc only. */
#error "<error.h> does not exist on OpenBSD"
