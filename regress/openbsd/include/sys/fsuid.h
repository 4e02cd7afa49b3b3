/* OpenBSD stand-in (regress/openbsd/check.sh): Linux or glibc only. */
#error "<sys/fsuid.h> does not exist on OpenBSD"
