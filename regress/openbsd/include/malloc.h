/* OpenBSD stand-in (regress/openbsd/check.sh): Linux or glibc only. */
#error "<malloc.h> does not exist on OpenBSD"
