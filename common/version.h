/*
 * version.h -- popd's version, the one place that holds it.  Every
 * program prints it for -V as "<program> (popd) <version>", popd logs it
 * at start, popctl show stats and show metrics carry it, and the
 * Makefile reads it for make dist and make deb.
 */
#ifndef POPD_VERSION_H
#define POPD_VERSION_H

#define POPD_VERSION	"0.9.0"

#endif
