# Stand-in for OpenBSD's bsd.prog.mk (regress/openbsd/check.py).  It
# does what the real one does before any rule -- include
# ../Makefile.inc, then bsd.own.mk's defaults and the LIB* names DPADD
# uses -- and instead of building prints the program's variables, each
# source and manual as make finds it through .PATH.  A source found
# nowhere stops make ("don't know how to make").

.if exists(${.CURDIR}/../Makefile.inc)
.include "${.CURDIR}/../Makefile.inc"
.endif

# bsd.own.mk
BINDIR?=	/usr/bin
BINOWN?=	root
BINGRP?=	bin
BINMODE?=	555
MANDIR?=	/usr/share/man/man
INSTALL_COPY?=	-c

# bsd.prog.mk
LIBC?=		${DESTDIR}/usr/lib/libc.a
LIBCRYPTO?=	${DESTDIR}/usr/lib/libcrypto.a
LIBEVENT?=	${DESTDIR}/usr/lib/libevent.a
LIBPTHREAD?=	${DESTDIR}/usr/lib/libpthread.a
LIBSSL?=	${DESTDIR}/usr/lib/libssl.a
LIBTLS?=	${DESTDIR}/usr/lib/libtls.a
LIBUTIL?=	${DESTDIR}/usr/lib/libutil.a

.MAIN: all
all: _prog _srcs _man

_prog:
	@echo "PROG ${PROG}"
	@echo "BINDIR ${BINDIR}"
	@echo "MANDIR ${MANDIR}"
	@echo "CFLAGS ${CFLAGS}"
	@echo "LDADD ${LDADD}"
	@echo "DPADD ${DPADD}"
	@echo "AFTERINSTALL ${.ALLTARGETS:Mafterinstall}"

_srcs: ${SRCS}
	@echo "SRCS ${.ALLSRC}"

_man: ${MAN}
	@echo "MAN ${.ALLSRC}"
