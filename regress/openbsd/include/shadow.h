/* OpenBSD stand-in (regress/openbsd/check.sh): Linux or glibc only. */
#error "<shadow.h> does not exist on OpenBSD"
