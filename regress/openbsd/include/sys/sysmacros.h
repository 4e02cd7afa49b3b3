/* OpenBSD stand-in (regress/openbsd/check.sh): Linux or glibc only. */
#error "<sys/sysmacros.h> does not exist on OpenBSD"
