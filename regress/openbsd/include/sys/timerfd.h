/* OpenBSD stand-in (regress/openbsd/check.sh): Linux or glibc only. */
#error "<sys/timerfd.h> does not exist on OpenBSD"
