/* OpenBSD stand-in (regress/openbsd/check.sh): Linux or glibc only. */
#error "<sys/signalfd.h> does not exist on OpenBSD"
