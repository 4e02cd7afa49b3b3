# popd -- privilege-separated POP3 server for maildir mailboxes.
# Works with GNU make and OpenBSD make.

PREFIX?=	/usr/local
SBINDIR?=	${PREFIX}/sbin
LIBEXECDIR?=	${PREFIX}/libexec/popd
MANDIR?=	${PREFIX}/man
CHROOTDIR?=	/var/empty
# OpenSMTPD's table programs (opensmtpd-extras): Debian's place; the
# OpenBSD package's is /usr/local/libexec/smtpd.
TABLEDIR?=	/usr/libexec/opensmtpd
DESTDIR?=

# The version: common/version.h holds it, make dist and make deb read it.
VERSION!=	sed -n 's/^\#define POPD_VERSION[^"]*"\(.*\)"/\1/p' \
		    common/version.h

CC?=		cc
YACC?=		yacc
PKGS!=		if [ "`uname -s`" = Linux ]; then \
		    echo libtls libevent libseccomp libbsd-overlay libbsd-ctor; \
		else echo libtls libevent; fi
PKG_CFLAGS!=	pkg-config --cflags ${PKGS} 2>/dev/null || true
PKG_LIBS!=	pkg-config --libs ${PKGS} 2>/dev/null || true
OS_CFLAGS!=	if [ "`uname -s`" = Linux ]; then echo -D_GNU_SOURCE; fi
CRYPT_LIBS!=	if [ "`uname -s`" = Linux ]; then echo -lcrypt -lpthread; \
		else echo -lpthread; fi
# SHA-256 (sha2.h, loginticket.c): libc on OpenBSD, libmd (libbsd's) on Linux.
MD_LIBS!=	if [ "`uname -s`" = Linux ]; then echo -lmd; fi
# argon2 hashes (authpop/scheme.c): libargon2, authpop alone.
ARGON2_LIBS=	-largon2
# Each program keeps only the functions it calls and links only the
# libraries those need: a library costs every process its relocated
# pages (about 8 KB each for a wrkrpop, one per session).
SECTIONS!=	if [ "`uname -s`" = Linux ]; then \
		    echo -ffunction-sections -fdata-sections; fi
GC_LDFLAGS!=	if [ "`uname -s`" = Linux ]; then \
		    echo -Wl,--gc-sections -Wl,--as-needed; fi
LDFLAGS+=	${GC_LDFLAGS}
# Every symbol bound at start, the GOT read-only after (relro): lazy
# binding, run at a function's first call, saves the vector registers on
# the stack, where what they last held (a password copied, a key) stays
# out of explicit_bzero's reach (test_authhttp httppop_keeps_no_password
# found one in httppop's stack in 3 runs of 40).
BIND_LDFLAGS!=	if [ "`uname -s`" = Linux ]; then \
		    echo -Wl,-z,relro -Wl,-z,now; fi
LDFLAGS+=	${BIND_LDFLAGS}
# wrkrpop runs once per session: on Linux its libraries but libc are
# linked in (Debian ships them as PIE archives), so that a session does
# not pay each one's relocated pages and the loader's work.
WRKRPOP_LDLIBS!= if [ "`uname -s`" = Linux ]; then \
		    echo -Wl,-u,libbsd_init_func -Wl,-Bstatic -levent \
		    -lseccomp -lbsd-ctor -lbsd -lmd -lcrypt -Wl,-Bdynamic \
		    -lpthread; \
		else echo '$${LDLIBS}'; fi

# libretls (libtls on OpenSSL) issues no session ticket without
# compat/ticketfix.c; OpenBSD's libtls needs none.  Keys held by keypop:
# compat/tlssign.c over libretls, tlssign_openbsd.c on OpenBSD (the
# listener's); TLSSIGN_LIBS are what it and keypop call.
TLS_COMPAT!=	if [ "`uname -s`" = Linux ]; then \
		    echo compat/ticketfix.o; fi
TLSSIGN_OBJS!=	if [ "`uname -s`" = Linux ]; then echo compat/tlssign.o; \
		else echo compat/tlssign_openbsd.o; fi
TEST_TLSSIGN!=	if [ "`uname -s`" = Linux ]; then \
		    echo regress/unit/test_tlssign; fi
TLSSIGN_LIBS!=	pkg-config --libs libssl libcrypto 2>/dev/null || \
		    echo -lssl -lcrypto

CFLAGS+=	-O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
		-Wmissing-prototypes -Wstrict-prototypes -Wshadow \
		-Icommon -Istore -Iconf -Icompat ${OS_CFLAGS} ${PKG_CFLAGS} \
		${SECTIONS} \
		-DSBINDIR=\"${SBINDIR}\" -DLIBEXECDIR=\"${LIBEXECDIR}\" \
		-DCHROOTDIR=\"${CHROOTDIR}\" -DTABLEDIR=\"${TABLEDIR}\"
LDLIBS=		${PKG_LIBS} ${CRYPT_LIBS}
# make sanitize builds a copy of the tree with SANITIZE set (the
# sanitizers' flags), never this one: regress/sanitize.sh.
SANITIZE?=
CFLAGS+=	${SANITIZE}
LDFLAGS+=	${SANITIZE}
# make openbsd-test builds a copy of the tree with the OpenBSD branches
# over regress/openbsd/emu (EMU_CFLAGS, EMU_LDFLAGS), never this one:
# regress/openbsd/emu.sh.
EMU_CFLAGS?=
EMU_LDFLAGS?=
CFLAGS+=	${EMU_CFLAGS}
LDFLAGS+=	${EMU_LDFLAGS}

# common/ in two layers, each linked only into the programs that use it:
# the process layer (log, channels and messages, the settings, the child
# prologue, sandbox, addresses) and the protocol helpers (POP3 lines, the
# user tables).  store/ is the mail store (maildir naming, CRLF, popcache,
# the UIDLs of other servers, the maildrop, Maildir++ quotas, the maildir
# lock), for wrkrpop, mda and dlvrpop only.
PROC_BASE=	common/log.o common/msg.o common/settings.o common/quotarule.o \
		common/util.o common/proc.o common/sandbox.o common/sandbox_linux.o \
		common/addr.o common/stats.o compat/compat.o \
		common/protocheck.o common/landlock.o
PROC_OBJS=	${PROC_BASE} common/proto.o common/peers.o
STORE_OBJS=	store/maildir.o store/crlf.o store/popcache.o \
		store/popcache_scan.o store/oldids.o store/maildrop.o \
		store/quota.o store/kept.o
# The steps of a delivery, for mda and dlvrpop.
DELIVER_OBJS=	store/deliver.o
COMMON_OBJS=	${PROC_OBJS} ${STORE_OBJS} ${DELIVER_OBJS} common/pop3.o \
		common/table.o common/pwscheme.o common/b64.o store/fslock.o

POPD_OBJS=	popd/popd.o conf/flags.o popd/startup.o popd/supervise.o \
		popd/requests.o popd/commands.o popd/login.o \
		popd/mailuser.o popd/answers.o \
		popd/counters.o popd/spent.o popd/users.o \
		popd/lookup.o popd/apps.o popd/bind.o popd/syslog.o \
		popd/child.o popd/parent.o conf/config.o conf/confimage.o \
		popd/userquota.o popd/userjunk.o popd/tlskeys.o popd/certs.o \
		compat/steer.o popd/recipients.o popd/health.o
POPD_LIBS=	${PROC_BASE} common/proto-popd.o common/table.o common/pki.o \
		common/control_cmd.o
# confpop: popd -n and -m, which exec it.  It reads the command line
# and checks the configuration with the parent's own files, and starts
# authcheck and wrkrpop as the parent does.
CONFPOP_OBJS=	confpop/confpop.o confpop/print.o confpop/migrate.o \
		confpop/load.o
CONFPOP_LIBS=	conf/flags.o ${CONF_OBJS} popd/startup.o popd/users.o \
		popd/lookup.o popd/certs.o popd/mailuser.o popd/child.o \
		popd/syslog.o popd/parent.o ${PROC_BASE} common/proto-popd.o \
		common/table.o common/pki.o
# The roles the parent supervises besides authpop, each a program of its
# own: the listener (TLS, the PROXY protocol), lmtp (LMTP) and control
# (popctl's socket).
LISTENER_OBJS=	listener/listener.o listener/listener_accept.o \
		listener/listener_admit.o listener/listener_relay.o \
		listener/listener_control.o listener/listener_proxied.o \
		listener/listener_proxy.o listener/listener_health.o \
		${TLS_COMPAT}
LISTENER_LIBS=	${PROC_BASE} common/proto-listener.o common/peers-listener.o \
		common/acceptor.o common/pki.o common/pkitls.o ${TLSSIGN_OBJS}
# keypop: the keys, and libcrypto to sign with them; keypop -c, the
# parent's check of a pair (popd/certs.c), libtls.
KEYPOP_OBJS=	keypop/keypop.o keypop/sigcheck.o ${TLSSIGN_OBJS}
KEYPOP_LIBS=	${PROC_BASE} common/proto-keypop.o common/peers-keypop.o \
		common/pki.o common/pkitls.o
LMTP_OBJS=	lmtp/lmtp.o lmtp/lmtp_accept.o lmtp/lmtp_cmd.o lmtp/lmtp_txn.o \
		lmtp/lmtp_pool.o
LMTP_LIBS=	${PROC_BASE} common/proto-lmtp.o common/peers-lmtp.o \
		common/acceptor.o
CONTROL_OBJS=	control/control.o control/ask.o control/print.o control/lastuse.o
CONTROL_LIBS=	${PROC_BASE} common/proto-control.o common/peers-control.o \
		common/control_cmd.o
AUTHPOP_OBJS=	authpop/authpop.o authpop/session.o \
		authpop/verify.o authpop/host.o authpop/check.o \
		authpop/scheme.o authpop/state.o authpop/logincache.o \
		authpop/nginx.o authpop/loginticket.o authpop/apps.o
# authpop maps authtab as authcheck loaded it (tabimage.o) and only
# looks users up in it (table.o's lookups): it parses no authtab.
AUTHPOP_LIBS=	${PROC_BASE} common/proto-authpop.o common/peers-authpop.o \
		common/tabimage.o common/table.o common/pwscheme.o \
		common/pop3.o common/b64.o common/apppass.o
# tablepop: OpenSMTPD's table programs, run and asked for the parent,
# authpop and routepop.
TABLEPOP_OBJS=	tablepop/tablepop.o tablepop/backend.o tablepop/ask.o \
		tablepop/tapi.o tablepop/tablecache.o
TABLEPOP_LIBS=	${PROC_BASE} common/proto-tablepop.o common/peers-tablepop.o \
		common/table.o common/pwscheme.o common/b64.o
# authcheck: authtab and app passwords read for the parent, which reads
# no hash itself (popd/users.c); a program apart, so that the pre-login
# authpop does not map it.
AUTHCHECK_OBJS=	authcheck/authcheck.o authcheck/system.o
AUTHCHECK_LIBS=	${PROC_BASE} common/proto-none.o common/table.o \
		common/tabimage.o common/pwscheme.o common/b64.o common/apppass.o
# routepop: auth_http's router, its backends and their health checks.
ROUTEPOP_OBJS=	routepop/routepop.o routepop/router.o routepop/check.o \
		routepop/healthline.o
ROUTEPOP_LIBS=	${PROC_BASE} common/proto-routepop.o common/peers-routepop.o \
		common/table.o common/pwscheme.o common/b64.o
WRKRPOP_OBJS=	wrkrpop/wrkrpop.o wrkrpop/report.o wrkrpop/msgid.o \
		wrkrpop/journal.o wrkrpop/undelete.o wrkrpop/send.o \
		wrkrpop/expire.o
WRKRPOP_LIBS=	${PROC_BASE} common/proto-wrkrpop.o ${STORE_OBJS} \
		common/pop3.o common/b64.o store/fslock.o
MDA_OBJS=	mda/mda.o
MDA_LIBS=	${PROC_BASE} common/proto-none.o ${STORE_OBJS} ${DELIVER_OBJS}
DLVRPOP_OBJS=	dlvrpop/dlvrpop.o
DLVRPOP_LIBS=	${PROC_BASE} common/proto-dlvrpop.o common/peers-dlvrpop.o \
		${STORE_OBJS} ${DELIVER_OBJS}
# httppop: nginx's auth_http requests, parsed apart from the hashes.
HTTPPOP_OBJS=	httppop/httppop.o httppop/http.o
HTTPPOP_LIBS=	${PROC_BASE} common/proto-httppop.o common/peers-httppop.o \
		common/authhttp.o
# popdpass needs valid_username (util.o, which logs), the hashes, and
# for -P the table parsers popd loads authtab with (table.o).
POPDPASS_OBJS=	popdpass/popdpass.o popdpass/apps.o common/util.o \
		common/log.o common/table.o common/settings.o common/quotarule.o \
		compat/compat.o common/pwscheme.o common/b64.o common/apppass.o \
		common/addr.o common/landlock.o
# popctl parses its command line with the control process's parser.
POPCTL_OBJS=	popctl/popctl.o common/control_cmd.o common/addr.o

PROGS=		popd/popd listener/listener \
		lmtp/lmtp control/control authpop/authpop wrkrpop/wrkrpop mda/mda \
		dlvrpop/dlvrpop popdpass/popdpass popctl/popctl tablepop/tablepop \
		routepop/routepop keypop/keypop authcheck/authcheck \
		confpop/confpop httppop/httppop
MANS=		man/popd.8 man/authpop.8 man/wrkrpop.8 man/mda.8 \
		man/dlvrpop.8 man/popdpass.8 man/popctl.8 man/tablepop.8 \
		man/routepop.8 man/keypop.8 man/authcheck.8 man/confpop.8 \
		man/httppop.8 man/authtab.5 man/usertab.5 man/popcache.5 \
		man/popd.conf.5

HDRS=		common/util.h common/log.h common/proto.h common/protodecl.h \
		common/table.h common/landlock.h \
		common/apppass.h common/authhttp.h \
		common/pop3.h store/crlf.h store/maildir.h store/maildrop.h \
		store/popcache.h store/popcache_file.h common/sandbox.h \
		common/sandbox_linux.h \
		common/addr.h common/proc.h \
		conf/popd.h compat/compat.h conf/config.h \
		store/oldids.h common/chan.h common/settings.h popd/parent.h \
		popd/lookup.h store/deliver.h store/fslock.h \
		common/control_cmd.h common/stats.h common/acceptor.h \
		store/quota.h common/pwscheme.h common/pki.h store/kept.h \
		common/b64.h common/quotarule.h common/pathnames.h
LISTENER_HDRS=	listener/listener.h listener/listener_proxy.h \
		listener/listener_health.h
LMTP_HDRS=	lmtp/lmtp_cmd.h lmtp/lmtp.h
CONTROL_HDRS=	control/control.h

# popd.conf(5): the grammar and what goes with it (conf/config.h).
CONF_OBJS=	conf/parse.o conf/config.o conf/confimage.o

UNIT_TESTS=	regress/unit/test_pop3 regress/unit/test_table \
		regress/unit/test_tabimage \
		regress/unit/test_crlf regress/unit/test_popcache \
		regress/unit/test_conf regress/unit/test_addr \
		regress/unit/test_msg regress/unit/test_proxy \
		regress/unit/test_proto regress/unit/test_tapi \
		regress/unit/test_http regress/unit/test_lmtpcmd \
		regress/unit/test_dlvrpop regress/unit/test_ctlcmd \
		regress/unit/test_stats regress/unit/test_ticket \
		regress/unit/test_print regress/unit/test_lastuse \
		regress/unit/test_host \
		regress/unit/test_quota \
		regress/unit/test_logincache regress/unit/test_pwscheme \
		regress/unit/test_apppass regress/unit/test_msgid \
		regress/unit/test_healthline \
		regress/unit/test_msgsum regress/unit/test_fslock \
		regress/unit/test_openreg regress/unit/test_scfilter \
		${TEST_TLSSIGN}

all: ${PROGS}

# proto.c once per program, with PROTO_SELF its PROC_* (0: no channel):
# a program holds the checks of the messages it receives only (what it
# sends is checked where it arrives).
PROTO_popd=	PROC_PARENT
PROTO_listener=	PROC_LISTENER
PROTO_lmtp=	PROC_LMTP
PROTO_control=	PROC_CONTROL
PROTO_authpop=	PROC_AUTHPOP
PROTO_tablepop=	PROC_TABLE
PROTO_routepop=	PROC_ROUTE
PROTO_wrkrpop=	PROC_WRKRPOP
PROTO_dlvrpop=	PROC_DLVRPOP
PROTO_keypop=	PROC_KEY
PROTO_httppop=	PROC_HTTP
PROTO_none=	0
PROTO_PROGS=	common/proto-popd.o \
		common/proto-listener.o \
		common/proto-lmtp.o common/proto-control.o \
		common/proto-authpop.o \
		common/proto-tablepop.o \
		common/proto-routepop.o common/proto-wrkrpop.o \
		common/proto-dlvrpop.o common/proto-keypop.o common/proto-none.o \
		common/proto-httppop.o
${PROTO_PROGS}: common/proto.c ${HDRS}
	${CC} ${CFLAGS} -DPROTO_SELF=${PROTO_${@:common/proto-%.o=%}} \
	    -c common/proto.c -o $@
# peers.c likewise, in every program with a channel to another child:
# not the parent, which never reads one, nor a wrkrpop, which has none.
PEERS_PROGS=	common/peers-listener.o common/peers-lmtp.o \
		common/peers-control.o common/peers-authpop.o \
		common/peers-tablepop.o common/peers-routepop.o \
		common/peers-dlvrpop.o \
		common/peers-keypop.o common/peers-httppop.o
${PEERS_PROGS}: common/peers.c ${HDRS}
	${CC} ${CFLAGS} -DPROTO_SELF=${PROTO_${@:common/peers-%.o=%}} \
	    -c common/peers.c -o $@

.SUFFIXES: .c .o
.c.o:
	${CC} ${CFLAGS} -c $< -o $@

${COMMON_OBJS} ${POPD_OBJS} \
${AUTHPOP_OBJS} ${WRKRPOP_OBJS} ${MDA_OBJS} \
${DLVRPOP_OBJS} ${LISTENER_OBJS} ${LMTP_OBJS} ${CONTROL_OBJS} \
${KEYPOP_OBJS} ${TLSSIGN_OBJS} ${AUTHCHECK_OBJS} ${CONFPOP_OBJS} \
${HTTPPOP_OBJS} common/control_cmd.o common/pki.o \
common/pkitls.o common/tabimage.o common/authhttp.o \
common/acceptor.o: ${HDRS}
${CONFPOP_OBJS}: confpop/confpop.h
# confpop checks with the parent's own files (popd/parent.h).
${CONFPOP_OBJS}:
	${CC} ${CFLAGS} -Ipopd -c ${@:.o=.c} -o $@

# wrkrpop's seccomp filter is built once here rather than by libseccomp
# in every session: common/mkfilter links sandbox.c's rules (compiled
# without the filter it makes) and prints common/sc_wrkrpop.h, which
# sandbox.c includes (test_scfilter proves the two the same).
SCFILTER!=	if [ "`uname -s`" = Linux ]; then echo common/sc_wrkrpop.h; fi
MKFILTER_OBJS=	common/mkfilter.o common/sandbox-mkfilter.o common/sandbox_linux.o \
		common/landlock.o common/log.o compat/compat.o
common/sandbox.o: ${SCFILTER}
common/sandbox-mkfilter.o: common/sandbox.c ${HDRS}
	${CC} ${CFLAGS} -DSANDBOX_MKFILTER -c common/sandbox.c -o $@
common/mkfilter.o: ${HDRS}
common/mkfilter: ${MKFILTER_OBJS}
	${CC} ${LDFLAGS} -o $@ ${MKFILTER_OBJS} ${LDLIBS}
common/sc_wrkrpop.h: common/mkfilter
	./common/mkfilter > $@.tmp && mv $@.tmp $@
${LISTENER_OBJS}: ${LISTENER_HDRS}
${CONTROL_OBJS}: ${CONTROL_HDRS}
${LMTP_OBJS}: ${LMTP_HDRS}
${KEYPOP_OBJS}: keypop/sigcheck.h
${CONF_OBJS}: ${HDRS} conf/config.h
popdpass/popdpass.o popdpass/apps.o popctl/popctl.o: ${HDRS} popdpass/popdpass.h
${AUTHPOP_OBJS}: authpop/auth.h
${HTTPPOP_OBJS}: httppop/http.h
${WRKRPOP_OBJS}: wrkrpop/wrkrpop.h
${TABLEPOP_OBJS}: ${HDRS} tablepop/tablepop.h
${ROUTEPOP_OBJS}: ${HDRS} routepop/routepop.h

# YACC: yacc on OpenBSD; byacc on Debian (regress/deps.sh installs it).
conf/parse.c: conf/parse.y
	${YACC} -o $@ conf/parse.y
conf/parse.o: conf/parse.c

popd/popd: ${POPD_OBJS} ${POPD_LIBS}
	${CC} ${LDFLAGS} -o $@ ${POPD_OBJS} ${POPD_LIBS} ${MD_LIBS} ${LDLIBS}

# The build-time check of tlssign.c: libtls must call libssl's
# SSL_CTX_check_private_key through its dynamic symbols, where the
# listener's definition comes first.  (The listener checks again at
# start that every key went through it, and refuses to serve if not.)
listener/listener: ${LISTENER_OBJS} ${LISTENER_LIBS}
	@if [ "`uname -s`" = Linux ]; then \
	    lib=`${CC} -print-file-name=libtls.so`; \
	    if [ -z "`nm -D --undefined-only $$lib 2>/dev/null | sed -n \
	        '/ SSL_CTX_check_private_key\(@.*\)\{0,1\}$$/p'`" ]; then \
		echo "$$lib does not call SSL_CTX_check_private_key:" \
		    "compat/tlssign.c cannot give keypop's keys to it" >&2; \
		exit 1; \
	    fi; \
	fi
	${CC} ${LDFLAGS} -o $@ ${LISTENER_OBJS} ${LISTENER_LIBS} ${LDLIBS} \
	    ${TLSSIGN_LIBS}

keypop/keypop: ${KEYPOP_OBJS} ${KEYPOP_LIBS}
	${CC} ${LDFLAGS} -o $@ ${KEYPOP_OBJS} ${KEYPOP_LIBS} ${LDLIBS} \
	    ${TLSSIGN_LIBS}

lmtp/lmtp: ${LMTP_OBJS} ${LMTP_LIBS}
	${CC} ${LDFLAGS} -o $@ ${LMTP_OBJS} ${LMTP_LIBS} ${LDLIBS}

control/control: ${CONTROL_OBJS} ${CONTROL_LIBS}
	${CC} ${LDFLAGS} -o $@ ${CONTROL_OBJS} ${CONTROL_LIBS} ${LDLIBS}

httppop/httppop: ${HTTPPOP_OBJS} ${HTTPPOP_LIBS}
	${CC} ${LDFLAGS} -o $@ ${HTTPPOP_OBJS} ${HTTPPOP_LIBS} ${LDLIBS}

authpop/authpop: ${AUTHPOP_OBJS} ${AUTHPOP_LIBS}
	${CC} ${LDFLAGS} -o $@ ${AUTHPOP_OBJS} ${AUTHPOP_LIBS} ${MD_LIBS} \
	    ${LDLIBS} ${ARGON2_LIBS}

tablepop/tablepop: ${TABLEPOP_OBJS} ${TABLEPOP_LIBS}
	${CC} ${LDFLAGS} -o $@ ${TABLEPOP_OBJS} ${TABLEPOP_LIBS} ${MD_LIBS} \
	    ${LDLIBS}

routepop/routepop: ${ROUTEPOP_OBJS} ${ROUTEPOP_LIBS}
	${CC} ${LDFLAGS} -o $@ ${ROUTEPOP_OBJS} ${ROUTEPOP_LIBS} ${MD_LIBS} \
	    ${LDLIBS}

confpop/confpop: ${CONFPOP_OBJS} ${CONFPOP_LIBS}
	${CC} ${LDFLAGS} -o $@ ${CONFPOP_OBJS} ${CONFPOP_LIBS} ${MD_LIBS} \
	    ${LDLIBS}

authcheck/authcheck: ${AUTHCHECK_OBJS} ${AUTHCHECK_LIBS}
	${CC} ${LDFLAGS} -o $@ ${AUTHCHECK_OBJS} ${AUTHCHECK_LIBS} \
	    ${MD_LIBS} ${LDLIBS}

wrkrpop/wrkrpop: ${WRKRPOP_OBJS} ${WRKRPOP_LIBS}
	${CC} ${LDFLAGS} -o $@ ${WRKRPOP_OBJS} ${WRKRPOP_LIBS} \
	    ${WRKRPOP_LDLIBS}

mda/mda: ${MDA_OBJS} ${MDA_LIBS}
	${CC} ${LDFLAGS} -o $@ ${MDA_OBJS} ${MDA_LIBS} ${LDLIBS}

dlvrpop/dlvrpop: ${DLVRPOP_OBJS} ${DLVRPOP_LIBS}
	${CC} ${LDFLAGS} -o $@ ${DLVRPOP_OBJS} ${DLVRPOP_LIBS} ${LDLIBS}

popdpass/popdpass: ${POPDPASS_OBJS}
	${CC} ${LDFLAGS} -o $@ ${POPDPASS_OBJS} ${MD_LIBS} ${LDLIBS}

popctl/popctl: ${POPCTL_OBJS}
	${CC} ${LDFLAGS} -o $@ ${POPCTL_OBJS} ${LDLIBS}

# Unit tests link the code they test and what it calls, nothing more
# where that is known (test_crlf, test_popcache); each is one C file.
TEST_CRLF_OBJS=	store/crlf.o store/maildir.o common/settings.o
TEST_PC_OBJS=	store/maildrop.o store/popcache.o store/popcache_scan.o \
		store/maildir.o store/oldids.o common/settings.o common/util.o \
		compat/compat.o \
		store/crlf.o common/log.o store/quota.o store/kept.o

regress/unit/test_pop3: regress/unit/test_pop3.o common/pop3.o common/b64.o
	${CC} ${LDFLAGS} -o $@ regress/unit/test_pop3.o common/pop3.o \
	    common/b64.o ${LDLIBS}
TEST_TABLE_OBJS=	common/table.o common/pwscheme.o common/b64.o \
			common/settings.o common/quotarule.o \
			common/util.o common/log.o compat/compat.o
regress/unit/test_table: regress/unit/test_table.o ${TEST_TABLE_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_table.o ${TEST_TABLE_OBJS} \
	    ${LDLIBS}
regress/unit/test_tabimage: regress/unit/test_tabimage.o \
    common/tabimage.o ${TEST_TABLE_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_tabimage.o common/tabimage.o \
	    ${TEST_TABLE_OBJS} ${LDLIBS}
regress/unit/test_crlf: regress/unit/test_crlf.o ${TEST_CRLF_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_crlf.o ${TEST_CRLF_OBJS} \
	    ${LDLIBS}
regress/unit/test_popcache: regress/unit/test_popcache.o ${TEST_PC_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_popcache.o ${TEST_PC_OBJS} \
	    ${LDLIBS}
regress/unit/test_openreg: regress/unit/test_openreg.o common/util.o \
    common/log.o compat/compat.o
	${CC} ${LDFLAGS} -o $@ regress/unit/test_openreg.o common/util.o \
	    common/log.o compat/compat.o ${LDLIBS}
TEST_SCFILTER_OBJS=	common/sandbox.o common/sandbox_linux.o common/landlock.o \
			common/log.o \
			compat/compat.o
regress/unit/test_scfilter: regress/unit/test_scfilter.o \
    ${TEST_SCFILTER_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_scfilter.o \
	    ${TEST_SCFILTER_OBJS} ${LDLIBS}
regress/unit/test_scfilter.o: regress/unit/test_scfilter.c \
    regress/unit/unit.h ${HDRS}
regress/unit/test_openreg.o: regress/unit/test_openreg.c \
    regress/unit/unit.h ${HDRS}
regress/unit/test_fslock: regress/unit/test_fslock.o store/fslock.o
	${CC} ${LDFLAGS} -o $@ regress/unit/test_fslock.o store/fslock.o \
	    ${LDLIBS}
regress/unit/test_fslock.o: regress/unit/test_fslock.c regress/unit/unit.h \
    ${HDRS}
TEST_MSGID_OBJS=	wrkrpop/msgid.o wrkrpop/journal.o store/maildir.o \
			common/util.o common/log.o common/settings.o \
			store/crlf.o compat/compat.o
regress/unit/test_msgid: regress/unit/test_msgid.o ${TEST_MSGID_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_msgid.o ${TEST_MSGID_OBJS} \
	    ${LDLIBS}
regress/unit/test_msgid.o: regress/unit/test_msgid.c wrkrpop/wrkrpop.h \
    regress/unit/unit.h ${HDRS}
	${CC} ${CFLAGS} -Iwrkrpop -c -o $@ regress/unit/test_msgid.c

# test_conf links the grammar, its checks and confpop's printing of it,
# not the daemon.
TEST_CONF_OBJS=	confpop/print.o common/addr.o common/log.o common/util.o \
		compat/compat.o common/settings.o common/quotarule.o \
		common/msg.o common/proto.o \
		common/peers.o common/protocheck.o
regress/unit/test_conf: regress/unit/test_conf.o ${CONF_OBJS} \
    ${TEST_CONF_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_conf.o ${CONF_OBJS} \
	    ${TEST_CONF_OBJS} ${LDLIBS}

# test_msg links the message layer and what it calls.
TEST_MSG_OBJS=	common/msg.o common/proto.o common/peers.o common/protocheck.o \
		common/settings.o common/addr.o common/util.o common/log.o \
		compat/compat.o
regress/unit/test_msg: regress/unit/test_msg.o ${TEST_MSG_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_msg.o ${TEST_MSG_OBJS} \
	    ${LDLIBS}

# test_msgsum digests the declarations (proto.o, peers.o) and the headers it
# reads at run time: MSG_VERSION against regress/unit/msgdecls.sum.
regress/unit/test_msgsum: regress/unit/test_msgsum.o ${TEST_MSG_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_msgsum.o ${TEST_MSG_OBJS} \
	    ${LDLIBS}
regress/unit/test_msgsum.o: ${HDRS} regress/unit/unit.h

# test_proto sends what the grammar parsed through conf_send (config.c)
# over the message layer: the grammar, its checks and the message layer.
TEST_PROTO_OBJS=	${TEST_CONF_OBJS} common/pki.o
regress/unit/test_proto: regress/unit/test_proto.o ${CONF_OBJS} \
    ${TEST_PROTO_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_proto.o ${CONF_OBJS} \
	    ${TEST_PROTO_OBJS} ${LDLIBS}

# test_proxy links listener_proxy.c and the addresses it makes: the
# parsing is pure.
regress/unit/test_healthline: regress/unit/test_healthline.o \
    routepop/healthline.o
	${CC} ${LDFLAGS} -o $@ regress/unit/test_healthline.o \
	    routepop/healthline.o ${LDLIBS}
regress/unit/test_proxy: regress/unit/test_proxy.o listener/listener_proxy.o \
    common/addr.o
	${CC} ${LDFLAGS} -o $@ regress/unit/test_proxy.o \
	    listener/listener_proxy.o common/addr.o ${LDLIBS}

# test_tapi links tapi.c and the checks of table.c it calls: both pure.
TEST_TAPI_OBJS=	tablepop/tapi.o ${TEST_TABLE_OBJS}
regress/unit/test_tapi: regress/unit/test_tapi.o ${TEST_TAPI_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_tapi.o ${TEST_TAPI_OBJS} \
	    ${LDLIBS}

# test_http links httppop's http.c and the addresses it makes: both pure.
regress/unit/test_http: regress/unit/test_http.o httppop/http.o common/addr.o \
    common/authhttp.o
	${CC} ${LDFLAGS} -o $@ regress/unit/test_http.o httppop/http.o \
	    common/addr.o common/authhttp.o ${LDLIBS}
regress/unit/test_http.o: httppop/http.h

# test_ticket links authpop's loginticket.c, its HMAC pads (apppass.c, and
# what that calls), the addresses it writes and the log it warns to;
# SHA-256 is libmd's (MD_LIBS), as for authpop.
TEST_TICKET_OBJS=	authpop/loginticket.o common/apppass.o common/addr.o \
			common/util.o common/log.o compat/compat.o
regress/unit/test_ticket: regress/unit/test_ticket.o ${TEST_TICKET_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_ticket.o \
	    ${TEST_TICKET_OBJS} ${LDLIBS} ${MD_LIBS}
# test_pwscheme links the kinds of hash (pwscheme.c) and authpop's
# checks of them (scheme.c) with what those call: crypt(3), libmd,
# libargon2.
TEST_PWSCHEME_OBJS=	common/pwscheme.o common/b64.o authpop/scheme.o \
			compat/compat.o
regress/unit/test_pwscheme: regress/unit/test_pwscheme.o \
    ${TEST_PWSCHEME_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_pwscheme.o \
	    ${TEST_PWSCHEME_OBJS} ${MD_LIBS} ${LDLIBS} ${ARGON2_LIBS}
regress/unit/test_pwscheme.o: common/pwscheme.h
# test_apppass links apppass.c and what it calls: the networks, the
# file checks and the log (whose capture it reads); SHA-256 is libmd's.
TEST_APPPASS_OBJS=	common/apppass.o common/addr.o common/util.o \
			common/log.o compat/compat.o
regress/unit/test_apppass: regress/unit/test_apppass.o ${TEST_APPPASS_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_apppass.o \
	    ${TEST_APPPASS_OBJS} ${MD_LIBS} ${LDLIBS}
regress/unit/test_apppass.o: ${HDRS} regress/unit/unit.h

# test_host links authpop's host.c with what it calls in common/; the
# rest of authpop it calls (the clock, timers, sessions, the workers,
# the settings, the channel) the test fakes.
TEST_HOST_OBJS=	authpop/host.o common/addr.o common/log.o common/util.o \
		compat/compat.o
regress/unit/test_host: regress/unit/test_host.o ${TEST_HOST_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_host.o ${TEST_HOST_OBJS} \
	    ${LDLIBS}
regress/unit/test_ticket.o regress/unit/test_host.o: authpop/auth.h
# test_logincache links authpop's logincache.c and what it calls: the
# counters it counts in, SipHash and the log.
TEST_LC_OBJS=	authpop/logincache.o common/stats.o common/addr.o \
		common/util.o common/log.o compat/compat.o
regress/unit/test_logincache: regress/unit/test_logincache.o ${TEST_LC_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_logincache.o \
	    ${TEST_LC_OBJS} ${LDLIBS}
regress/unit/test_logincache.o: authpop/auth.h

# test_tlssign links tlssign.c (Linux's) and the log it warns to; its
# signer signs in place of keypop.
TEST_TLSSIGN_OBJS=	compat/tlssign.o common/log.o common/util.o \
			compat/compat.o
regress/unit/test_tlssign: regress/unit/test_tlssign.o ${TEST_TLSSIGN_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_tlssign.o \
	    ${TEST_TLSSIGN_OBJS} ${LDLIBS} ${TLSSIGN_LIBS}
regress/unit/test_tlssign.o: ${HDRS} regress/unit/unit.h

# test_lmtpcmd links lmtp_cmd.c alone: the LMTP parser is pure.
regress/unit/test_lmtpcmd: regress/unit/test_lmtpcmd.o lmtp/lmtp_cmd.o
	${CC} ${LDFLAGS} -o $@ regress/unit/test_lmtpcmd.o lmtp/lmtp_cmd.o \
	    ${LDLIBS}
# test_dlvrpop is the parent of a real dlvrpop: the message layer only.
TEST_DLVRPOP_OBJS=	${TEST_MSG_OBJS}
regress/unit/test_dlvrpop: regress/unit/test_dlvrpop.o ${TEST_DLVRPOP_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_dlvrpop.o \
	    ${TEST_DLVRPOP_OBJS} ${LDLIBS}

# test_ctlcmd links control_cmd.c (pure) and the parent's check of a request.
TEST_CTLCMD_OBJS=	common/control_cmd.o ${TEST_MSG_OBJS}
regress/unit/test_ctlcmd: regress/unit/test_ctlcmd.o ${TEST_CTLCMD_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_ctlcmd.o \
	    ${TEST_CTLCMD_OBJS} ${LDLIBS}

# test_quota links quota.c and the maildir naming it counts with.
TEST_QUOTA_OBJS=	store/quota.o store/maildir.o store/crlf.o \
		common/settings.o common/quotarule.o
regress/unit/test_quota: regress/unit/test_quota.o ${TEST_QUOTA_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_quota.o ${TEST_QUOTA_OBJS} \
	    ${LDLIBS}

# test_addr links addr.c alone: the parsing is pure.
regress/unit/test_addr: regress/unit/test_addr.o common/addr.o
	${CC} ${LDFLAGS} -o $@ regress/unit/test_addr.o common/addr.o ${LDLIBS}

# test_stats links stats.c: the pages and how popctl prints them.
TEST_STATS_OBJS=	common/stats.o common/addr.o common/util.o \
		common/log.o compat/compat.o
regress/unit/test_stats: regress/unit/test_stats.o ${TEST_STATS_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_stats.o ${TEST_STATS_OBJS} \
	    ${LDLIBS}

# test_print links the control process's printer of the parent's
# records, and their declarations' checks.
TEST_PRINT_OBJS=	control/print.o common/stats.o common/control_cmd.o \
		${TEST_MSG_OBJS}
regress/unit/test_print: regress/unit/test_print.o ${TEST_PRINT_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_print.o ${TEST_PRINT_OBJS} \
	    ${LDLIBS}
# test_lastuse links the control process's keeper of the last uses.
TEST_LASTUSE_OBJS=	control/lastuse.o ${TEST_MSG_OBJS}
regress/unit/test_lastuse: regress/unit/test_lastuse.o ${TEST_LASTUSE_OBJS}
	${CC} ${LDFLAGS} -o $@ regress/unit/test_lastuse.o \
	    ${TEST_LASTUSE_OBJS} ${LDLIBS}

regress/unit/test_pop3.o regress/unit/test_table.o regress/unit/test_crlf.o \
regress/unit/test_tabimage.o \
regress/unit/test_popcache.o regress/unit/test_conf.o \
regress/unit/test_addr.o regress/unit/test_msg.o \
regress/unit/test_proxy.o regress/unit/test_proto.o \
regress/unit/test_tapi.o regress/unit/test_http.o \
regress/unit/test_lmtpcmd.o regress/unit/test_dlvrpop.o \
regress/unit/test_ctlcmd.o regress/unit/test_stats.o \
regress/unit/test_print.o regress/unit/test_lastuse.o \
regress/unit/test_ticket.o \
regress/unit/test_host.o regress/unit/test_quota.o regress/unit/test_logincache.o \
regress/unit/test_healthline.o: ${HDRS} regress/unit/unit.h \
    routepop/routepop.h tablepop/tablepop.h ${CONTROL_HDRS}
regress/unit/test_msg.o: regress/msgends.h

# Test helper: bcrypt hashes for the harness and the demo.
regress/mkhash: regress/mkhash.c
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/mkhash.c ${LDLIBS}

# Test helper: a wall clock of its own for the listener (test_tickets.py).
regress/clockshift.so: regress/clockshift.c
	${CC} -O2 -Wall -Wextra -Werror -Wno-unused-parameter -fPIC -shared -o $@ \
	    regress/clockshift.c -ldl

# Test helper: a slow keypop -c (test_certs.py).
regress/slowcheck.so: regress/slowcheck.c
	${CC} -O2 -Wall -Wextra -Werror -Wno-unused-parameter -fPIC -shared -o $@ \
	    regress/slowcheck.c

# The sandbox proof: links the real sandbox.c (regress/sandbox/sbtest.c).
SANDBOX_TEST=	regress/sandbox/sbtest
# authpop's hash checks (scheme.c) for its argon2 case.
regress/sandbox/sbtest: regress/sandbox/sbtest.o ${COMMON_OBJS} \
    authpop/scheme.o
	${CC} ${LDFLAGS} -o $@ regress/sandbox/sbtest.o ${COMMON_OBJS} \
	    authpop/scheme.o ${MD_LIBS} ${LDLIBS} ${ARGON2_LIBS}
regress/sandbox/sbtest.o: ${HDRS}

# libFuzzer targets for the parsers of untrusted bytes (clang only).
# A target NAME is regress/fuzz/NAME.c, one line in FUZZ_PROGS, a build
# rule below and seed inputs in regress/fuzz/corpus_NAME/.  fuzz-smoke
# runs each for FUZZ_TIME seconds, fuzz-long for FUZZ_RUNS inputs, both
# on a scratch copy of the seeds (regress/fuzz/run.sh).
FUZZ_CC?=	clang
FUZZ_CFLAGS=	-g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined \
		-Icommon -Istore -Icompat ${OS_CFLAGS} ${PKG_CFLAGS}
FUZZ_PROGS=	regress/fuzz/fuzz_pop3 \
		regress/fuzz/fuzz_table \
		regress/fuzz/fuzz_tabimage \
		regress/fuzz/fuzz_passwdfile \
		regress/fuzz/fuzz_popcache \
		regress/fuzz/fuzz_oldids \
		regress/fuzz/fuzz_pwscheme \
		regress/fuzz/fuzz_crlf \
		regress/fuzz/fuzz_maildir \
		regress/fuzz/fuzz_msg \
		regress/fuzz/fuzz_wrkrpop \
		regress/fuzz/fuzz_authpop \
		regress/fuzz/fuzz_proxy \
		regress/fuzz/fuzz_tapi \
		regress/fuzz/fuzz_http \
		regress/fuzz/fuzz_lmtp \
		regress/fuzz/fuzz_ctl \
		regress/fuzz/fuzz_quota \
		regress/fuzz/fuzz_apppass \
		regress/fuzz/fuzz_msgid \
		regress/fuzz/fuzz_journal \
		regress/fuzz/fuzz_mountinfo \
		regress/fuzz/fuzz_kept \
		regress/fuzz/fuzz_healthline \
		regress/fuzz/fuzz_healthhttp \
		regress/fuzz/fuzz_verdict \
		regress/fuzz/fuzz_sigcheck \
		regress/fuzz/fuzz_ticket \
		regress/fuzz/fuzz_lastuse \
		regress/fuzz/fuzz_confimage
FUZZ_TIME?=	10
FUZZ_RUNS?=	10000000

regress/fuzz/fuzz_pop3: regress/fuzz/fuzz_pop3.c common/pop3.c common/b64.c \
    ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_pop3.c \
	    common/pop3.c common/b64.c ${PKG_LIBS}
regress/fuzz/fuzz_table: regress/fuzz/fuzz_table.c common/table.c \
    common/pwscheme.c common/b64.c \
    common/settings.c common/util.c compat/compat.c regress/fuzz/logstub.c \
    ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_table.c \
	    common/table.c common/pwscheme.c common/b64.c common/settings.c \
	    common/quotarule.c common/util.c \
	    compat/compat.c \
	    regress/fuzz/logstub.c ${PKG_LIBS} ${CRYPT_LIBS}
regress/fuzz/fuzz_tabimage: regress/fuzz/fuzz_tabimage.c common/tabimage.c \
    common/table.c common/settings.c common/util.c compat/compat.c \
    regress/fuzz/logstub.c ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_tabimage.c \
	    common/tabimage.c common/table.c common/settings.c \
	    common/quotarule.c common/util.c compat/compat.c \
	    regress/fuzz/logstub.c ${PKG_LIBS} ${CRYPT_LIBS}
regress/fuzz/fuzz_passwdfile: regress/fuzz/fuzz_passwdfile.c common/table.c \
    common/pwscheme.c common/b64.c common/settings.c common/util.c \
    compat/compat.c \
    regress/fuzz/logstub.c ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_passwdfile.c \
	    common/table.c common/pwscheme.c common/b64.c common/settings.c \
	    common/quotarule.c common/util.c \
	    compat/compat.c regress/fuzz/logstub.c ${PKG_LIBS} ${CRYPT_LIBS}
regress/fuzz/fuzz_popcache: regress/fuzz/fuzz_popcache.c store/popcache.c \
    store/popcache_scan.c store/maildrop.c store/maildir.c store/crlf.c \
    regress/fuzz/logstub.c \
    store/oldids.c common/settings.c common/util.c compat/compat.c \
    store/quota.c store/kept.c ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_popcache.c \
	    store/popcache.c store/popcache_scan.c store/maildrop.c \
	    store/maildir.c store/oldids.c \
	    store/quota.c store/kept.c \
	    common/settings.c common/util.c compat/compat.c store/crlf.c \
	    regress/fuzz/logstub.c ${PKG_LIBS} ${CRYPT_LIBS}
regress/fuzz/fuzz_oldids: regress/fuzz/fuzz_oldids.c store/oldids.c \
    store/maildir.c store/crlf.c common/settings.c common/util.c \
    compat/compat.c regress/fuzz/logstub.c ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_oldids.c \
	    store/oldids.c store/maildir.c store/crlf.c common/settings.c \
	    common/util.c compat/compat.c regress/fuzz/logstub.c ${PKG_LIBS} \
	    ${CRYPT_LIBS}
regress/fuzz/fuzz_healthline: regress/fuzz/fuzz_healthline.c \
    routepop/healthline.c routepop/routepop.h ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_healthline.c \
	    routepop/healthline.c common/util.c compat/compat.c \
	    regress/fuzz/logstub.c ${PKG_LIBS} ${CRYPT_LIBS}
FUZZ_VERDICT_SRCS=	common/pki.c common/util.c compat/compat.c \
			regress/fuzz/logstub.c
regress/fuzz/fuzz_verdict: regress/fuzz/fuzz_verdict.c ${FUZZ_VERDICT_SRCS} \
    ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_verdict.c \
	    ${FUZZ_VERDICT_SRCS} ${PKG_LIBS} ${CRYPT_LIBS}
regress/fuzz/fuzz_sigcheck: regress/fuzz/fuzz_sigcheck.c keypop/sigcheck.c \
    keypop/sigcheck.h ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_sigcheck.c \
	    keypop/sigcheck.c ${TLSSIGN_LIBS}
regress/fuzz/fuzz_proxy: regress/fuzz/fuzz_proxy.c listener/listener_proxy.c \
    common/addr.c ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_proxy.c \
	    listener/listener_proxy.c common/addr.c ${PKG_LIBS}
regress/fuzz/fuzz_tapi: regress/fuzz/fuzz_tapi.c tablepop/tapi.c \
    common/table.c common/pwscheme.c \
    common/settings.c common/util.c compat/compat.c regress/fuzz/logstub.c \
    tablepop/tablepop.h ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_tapi.c \
	    tablepop/tapi.c common/table.c common/pwscheme.c common/b64.c common/settings.c common/util.c \
	    common/quotarule.c compat/compat.c \
	    regress/fuzz/logstub.c ${PKG_LIBS} ${CRYPT_LIBS}
regress/fuzz/fuzz_http: regress/fuzz/fuzz_http.c httppop/http.c \
    httppop/http.h common/addr.c common/authhttp.c ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_http.c \
	    httppop/http.c common/addr.c common/authhttp.c ${PKG_LIBS}
regress/fuzz/fuzz_healthhttp: regress/fuzz/fuzz_healthhttp.c \
    listener/listener_health.c listener/listener_health.h ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_healthhttp.c \
	    listener/listener_health.c ${PKG_LIBS}
regress/fuzz/fuzz_lmtp: regress/fuzz/fuzz_lmtp.c lmtp/lmtp_cmd.c ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_lmtp.c \
	    lmtp/lmtp_cmd.c ${PKG_LIBS}
FUZZ_CTL_SRCS=	common/control_cmd.c common/proto.c common/peers.c \
		common/protocheck.c \
		common/settings.c \
		common/addr.c common/util.c common/log.c compat/compat.c
regress/fuzz/fuzz_ctl: regress/fuzz/fuzz_ctl.c ${FUZZ_CTL_SRCS} ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_ctl.c \
	    ${FUZZ_CTL_SRCS} ${PKG_LIBS} ${CRYPT_LIBS}
FUZZ_QUOTA_SRCS=	store/quota.c store/maildir.c store/crlf.c \
			common/settings.c common/quotarule.c common/util.c \
			compat/compat.c regress/fuzz/logstub.c
regress/fuzz/fuzz_quota: regress/fuzz/fuzz_quota.c ${FUZZ_QUOTA_SRCS} ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_quota.c \
	    ${FUZZ_QUOTA_SRCS} ${PKG_LIBS} ${CRYPT_LIBS}
FUZZ_APPPASS_SRCS=	common/apppass.c common/addr.c common/util.c \
			compat/compat.c regress/fuzz/logstub.c
regress/fuzz/fuzz_apppass: regress/fuzz/fuzz_apppass.c ${FUZZ_APPPASS_SRCS} \
    ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_apppass.c \
	    ${FUZZ_APPPASS_SRCS} ${MD_LIBS} ${PKG_LIBS} ${CRYPT_LIBS}
regress/fuzz/fuzz_ticket: regress/fuzz/fuzz_ticket.c authpop/loginticket.c \
    ${FUZZ_APPPASS_SRCS} authpop/auth.h ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_ticket.c \
	    authpop/loginticket.c ${FUZZ_APPPASS_SRCS} ${MD_LIBS} ${PKG_LIBS} \
	    ${CRYPT_LIBS}
regress/fuzz/fuzz_mountinfo: regress/fuzz/fuzz_mountinfo.c store/fslock.c \
    ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_mountinfo.c \
	    store/fslock.c ${PKG_LIBS}
regress/fuzz/fuzz_msgid: regress/fuzz/fuzz_msgid.c wrkrpop/msgid.c \
    wrkrpop/wrkrpop.h ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -Iwrkrpop -o $@ regress/fuzz/fuzz_msgid.c \
	    wrkrpop/msgid.c compat/compat.c ${PKG_LIBS} ${CRYPT_LIBS}
FUZZ_JOURNAL_SRCS=	wrkrpop/journal.c store/maildir.c common/util.c \
			common/settings.c store/crlf.c compat/compat.c \
			regress/fuzz/logstub.c
regress/fuzz/fuzz_journal: regress/fuzz/fuzz_journal.c ${FUZZ_JOURNAL_SRCS} \
    wrkrpop/wrkrpop.h ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -Iwrkrpop -o $@ regress/fuzz/fuzz_journal.c \
	    ${FUZZ_JOURNAL_SRCS} ${PKG_LIBS} ${CRYPT_LIBS}
FUZZ_KEPT_SRCS=	store/kept.c store/maildir.c store/crlf.c \
		common/settings.c common/util.c compat/compat.c \
		regress/fuzz/logstub.c
regress/fuzz/fuzz_kept: regress/fuzz/fuzz_kept.c ${FUZZ_KEPT_SRCS} ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_kept.c \
	    ${FUZZ_KEPT_SRCS} ${PKG_LIBS} ${CRYPT_LIBS}
FUZZ_PWSCHEME_SRCS=	common/pwscheme.c common/b64.c authpop/scheme.c \
			compat/compat.c \
			regress/fuzz/logstub.c
regress/fuzz/fuzz_pwscheme: regress/fuzz/fuzz_pwscheme.c ${FUZZ_PWSCHEME_SRCS} \
    ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_pwscheme.c \
	    ${FUZZ_PWSCHEME_SRCS} ${MD_LIBS} ${PKG_LIBS} ${CRYPT_LIBS} \
	    ${ARGON2_LIBS}
regress/fuzz/fuzz_crlf: regress/fuzz/fuzz_crlf.c store/crlf.c ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_crlf.c \
	    store/crlf.c ${PKG_LIBS}

regress/fuzz/fuzz_maildir: regress/fuzz/fuzz_maildir.c store/maildir.c \
    store/crlf.c ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -fno-sanitize-recover=undefined -o $@ \
	    regress/fuzz/fuzz_maildir.c store/maildir.c store/crlf.c \
	    ${PKG_LIBS}

FUZZ_MSG_SRCS=	common/msg.c common/proto.c common/peers.c common/protocheck.c \
		common/settings.c common/addr.c common/util.c common/log.c \
		compat/compat.c
regress/fuzz/fuzz_msg: regress/fuzz/fuzz_msg.c ${FUZZ_MSG_SRCS} ${HDRS} \
    regress/msgends.h
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_msg.c \
	    ${FUZZ_MSG_SRCS} ${PKG_LIBS} ${CRYPT_LIBS}
# The control process's reader of the app passwords' state file.
FUZZ_LASTUSE_SRCS=	control/lastuse.c ${FUZZ_MSG_SRCS}
regress/fuzz/fuzz_lastuse: regress/fuzz/fuzz_lastuse.c ${FUZZ_LASTUSE_SRCS} \
    ${HDRS} ${CONTROL_HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_lastuse.c \
	    ${FUZZ_LASTUSE_SRCS} ${PKG_LIBS} ${CRYPT_LIBS}

# The parent's reader of confpop -C's image, with the checks it calls.
FUZZ_CONFIMAGE_SRCS=	conf/confimage.c conf/config.c common/quotarule.c \
		${FUZZ_MSG_SRCS}
regress/fuzz/fuzz_confimage: regress/fuzz/fuzz_confimage.c \
    ${FUZZ_CONFIMAGE_SRCS} ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -Iconf -o $@ regress/fuzz/fuzz_confimage.c \
	    ${FUZZ_CONFIMAGE_SRCS} ${PKG_LIBS} ${CRYPT_LIBS}

# The role fuzzers compile the role's own file (main renamed) with the
# shared code it calls.
FUZZ_ROLE_SRCS=	common/addr.c common/pop3.c store/crlf.c store/maildrop.c \
		store/oldids.c store/quota.c store/kept.c \
		store/maildir.c store/popcache.c store/popcache_scan.c \
		common/util.c common/proc.c \
		common/sandbox.c common/sandbox_linux.c common/log.c common/msg.c \
		common/table.c common/pwscheme.c \
		common/b64.c common/landlock.c \
		common/proto.c common/peers.c common/protocheck.c \
		common/settings.c common/quotarule.c common/stats.c \
		compat/compat.c
regress/fuzz/fuzz_wrkrpop: regress/fuzz/fuzz_wrkrpop.c wrkrpop/wrkrpop.c \
    wrkrpop/report.c wrkrpop/msgid.c wrkrpop/journal.c wrkrpop/undelete.c \
    wrkrpop/send.c wrkrpop/expire.c store/fslock.c wrkrpop/wrkrpop.h \
    ${FUZZ_ROLE_SRCS} ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_wrkrpop.c \
	    wrkrpop/report.c wrkrpop/msgid.c wrkrpop/journal.c \
	    wrkrpop/undelete.c wrkrpop/send.c wrkrpop/expire.c store/fslock.c \
	    ${FUZZ_ROLE_SRCS} -DCHROOTDIR=\"${CHROOTDIR}\" ${PKG_LIBS} \
	    ${CRYPT_LIBS}

regress/fuzz/fuzz_authpop: regress/fuzz/fuzz_authpop.c authpop/authpop.c \
    authpop/session.c authpop/verify.c authpop/state.c authpop/check.c \
    authpop/host.c authpop/nginx.c authpop/loginticket.c \
    authpop/logincache.c authpop/scheme.c authpop/apps.c authpop/auth.h \
    ${FUZZ_ROLE_SRCS} common/apppass.c common/tabimage.c ${HDRS}
	${FUZZ_CC} ${FUZZ_CFLAGS} -o $@ regress/fuzz/fuzz_authpop.c \
	    authpop/verify.c authpop/state.c authpop/check.c authpop/host.c \
	    authpop/nginx.c authpop/loginticket.c authpop/apps.c \
	    authpop/logincache.c authpop/scheme.c common/apppass.c \
	    common/tabimage.c \
	    ${FUZZ_ROLE_SRCS} \
	    -DCHROOTDIR=\"${CHROOTDIR}\" ${MD_LIBS} ${PKG_LIBS} ${CRYPT_LIBS} \
	    ${ARGON2_LIBS}

fuzz: ${FUZZ_PROGS}

fuzz-smoke: fuzz
	sh regress/fuzz/run.sh -max_total_time=${FUZZ_TIME} ${FUZZ_PROGS}

fuzz-long: fuzz
	sh regress/fuzz/run.sh -runs=${FUZZ_RUNS} ${FUZZ_PROGS}

# The fuzz targets, for regress/run.py.
fuzz-list:
	@echo ${FUZZ_PROGS}

# test and demo first install what is missing (as root on Debian), then
# build in a new make, which sees the packages' pkg-config flags.
test: deps
	@${MAKE} all ${UNIT_TESTS} regress/mkhash ${SANDBOX_TEST}
	python3 regress/names.py
	python3 regress/run.py

# The golden files of regress/unit/conf/ (NAME.out: conf_print of
# NAME.conf; bad-NAME.err: its errors) rewritten from the parser's own
# output; review the diff.  Nothing changes on a clean tree.
conf-update: regress/unit/test_conf
	regress/unit/test_conf -u

# regress/unit/msgdecls.sum: MSG_VERSION and the digest of the message
# declarations (test_msgsum -u), after MSG_VERSION was bumped.
msg-update: regress/unit/test_msgsum
	regress/unit/test_msgsum -u

# doc/topology.txt: the processes and channels, read from the message
# declarations and the parent's code (regress/topology.py); after any
# change to them.  test_topology.py fails while it is out of date.
topology:
	python3 regress/topology.py -o doc/topology.txt

# Every program and test program the test layers run.
test-programs: all ${UNIT_TESTS} regress/mkhash ${SANDBOX_TEST}

# The programs built with ASan and UBSan in a copy of the tree (never
# this one), and the unit tests and SANITIZE_TESTS run against them:
# regress/sanitize.sh.
sanitize:
	sh regress/sanitize.sh

# The inner loop: the unit tests and the sandbox test two at a time,
# then the config tests (test_config.py); nothing installed, no network,
# under a minute.  make test runs them too, one at a time.
check:
	@${MAKE} all ${UNIT_TESTS} regress/mkhash ${SANDBOX_TEST}
	python3 regress/names.py
	python3 regress/run.py -j 2 regress/unit/ regress/sandbox/ \
	    regress/integration/test_config.py \
	    regress/integration/test_topology.py

demo: deps
	@${MAKE} all regress/mkhash
	sh regress/demo.sh

# The lines of C the root and pre-login programs can run (how: the
# script's comment).
count: all
	python3 regress/codecount.py

deps:
	@sh regress/deps.sh

lint:
	mandoc -Tlint -Wwarning ${MANS}

# What can be checked here of the OpenBSD side (regress/openbsd/check.py:
# the OpenBSD branches compiled against OpenBSD's declarations, the BSD
# make build of openbsd/ against this one, the port); make test runs it
# through regress/integration/test_openbsd.py.  bmake: Debian's bmake.
openbsd-check: all conf/parse.c
	python3 regress/openbsd/check.py

# The programs with their OpenBSD confinement, over an emulation of
# OpenBSD's runtime, in a copy of the tree, and the integration tests
# run against them: regress/openbsd/emu.sh.
openbsd-test:
	sh regress/openbsd/emu.sh

install: all
	install -d ${DESTDIR}${SBINDIR} ${DESTDIR}${LIBEXECDIR} \
	    ${DESTDIR}${MANDIR}/man5 ${DESTDIR}${MANDIR}/man8
	install -m 555 popd/popd popdpass/popdpass popctl/popctl \
	    ${DESTDIR}${SBINDIR}/
	install -m 555 listener/listener lmtp/lmtp control/control \
	    authpop/authpop wrkrpop/wrkrpop mda/mda \
	    dlvrpop/dlvrpop tablepop/tablepop routepop/routepop keypop/keypop \
	    authcheck/authcheck confpop/confpop httppop/httppop \
	    ${DESTDIR}${LIBEXECDIR}/
	install -m 444 man/popd.8 man/authpop.8 man/wrkrpop.8 man/mda.8 \
	    man/dlvrpop.8 man/popdpass.8 man/popctl.8 man/tablepop.8 \
	    man/routepop.8 man/keypop.8 man/authcheck.8 man/confpop.8 \
	    man/httppop.8 ${DESTDIR}${MANDIR}/man8/
	install -m 444 man/authtab.5 man/usertab.5 man/popcache.5 \
	    man/popd.conf.5 ${DESTDIR}${MANDIR}/man5/
	if [ -z "${DESTDIR}" ] && [ "`id -u`" = 0 ]; then \
	    sh popd/mkusers.sh; fi

# popd:VERSION and popd:latest, FROM scratch, from what make built
# (docker/, doc/container.md); no base image is pulled.
IMAGEDIR=	image.d
image: all
	rm -rf ${IMAGEDIR}
	${MAKE} install DESTDIR=${IMAGEDIR}/root >/dev/null
	sh docker/mkimage.sh ${IMAGEDIR}/root ${SBINDIR} ${LIBEXECDIR}
	sed 's,@SBINDIR@,${SBINDIR},g' docker/Dockerfile.scratch \
	    >${IMAGEDIR}/Dockerfile
	docker build -q -t popd:${VERSION} -t popd:latest ${IMAGEDIR}

# A release tarball of the committed tree (HEAD), with the grammar's
# parser already made: its build needs neither git nor yacc.
DISTNAME=	popd-${VERSION}
DISTDIR?=	.
dist: conf/parse.c
	@git rev-parse --verify -q HEAD >/dev/null || \
	    { echo "make dist: needs the git tree (HEAD)" >&2; exit 1; }
	rm -rf ${DISTDIR}/${DISTNAME} ${DISTDIR}/${DISTNAME}.tar.gz
	git archive --format=tar --prefix=${DISTNAME}/ HEAD | \
	    (cd ${DISTDIR} && tar -xf -)
	cp conf/parse.c ${DISTDIR}/${DISTNAME}/conf/parse.c
	touch ${DISTDIR}/${DISTNAME}/conf/parse.c
	cd ${DISTDIR} && tar -czf ${DISTNAME}.tar.gz ${DISTNAME} && \
	    rm -rf ${DISTNAME}
	@echo ${DISTDIR}/${DISTNAME}.tar.gz

# deb-deps: debian/control's Build-Depends, installed with apt-get
# build-dep when missing (as root on Debian), as deps does for test.
deb-deps:
	@sh regress/deps.sh deb

# The Debian package (debian/): popd_VERSION-N_ARCH.deb and its -dbgsym
# in the directory above the tree, built with Debian's hardening flags
# and its paths (/usr/sbin, /usr/libexec/popd); debian/rules fails when
# debian/changelog's upstream version is not VERSION.  The tree is
# cleaned before and after: its objects would hold the package's paths.
deb: deb-deps
	dpkg-buildpackage -us -uc -b -tc -J2
	@v=`dpkg-parsechangelog -S Version` && \
	    a=`dpkg-architecture -q DEB_HOST_ARCH` && \
	    ls ../popd_$${v}_$$a.deb ../popd-dbgsym_$${v}_$$a.deb \
	    ../popd_$${v}_$$a.changes 2>/dev/null || true

clean:
	rm -f ${PROGS} ${UNIT_TESTS} regress/mkhash ${SANDBOX_TEST} \
	    regress/clockshift.so regress/slowcheck.so \
	    ${FUZZ_PROGS} */*.o */*/*.o conf/parse.c common/mkfilter \
	    common/sc_wrkrpop.h common/sc_wrkrpop.h.tmp
	rm -rf ${IMAGEDIR}

.PHONY: all test check demo count deps deb-deps lint install clean dist image \
	deb fuzz fuzz-smoke fuzz-long fuzz-list openbsd-check openbsd-test \
	conf-update \
	sanitize test-programs \
	msg-update topology
