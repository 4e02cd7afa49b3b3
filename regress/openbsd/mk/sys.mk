# Stand-in for OpenBSD's sys.mk (regress/openbsd/check.py): the few
# defaults the popd Makefiles build on.
CC?=		cc
CFLAGS?=	-O2 -pipe
YACC?=		yacc
INSTALL?=	install
