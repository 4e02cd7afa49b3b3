#!/usr/bin/env python3
# Copyright (c) 2025-2026 The popd authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.

"""What can be checked of popd's OpenBSD side on Linux, where no OpenBSD
machine is reachable: `make openbsd-check`, and in `make test` through
regress/integration/test_openbsd.py.  Each check, and what it stands for:

  headers    the stand-in headers (regress/openbsd/include) against the
             snippets of regress/openbsd/selftest: the right calls
             compile; a wrong signature, a typo, a missing include, a
             Linux-only header or name, a libevent 2 call each fail with
             the error the snippet names.  This is what shows that the
             tree check can fail.
  tree       every C file of the seven programs compiled (-fsyntax-only,
             the top Makefile's warnings and -Werror) with __OpenBSD__
             defined and __linux__, __GLIBC__ undefined, the stand-in
             headers first: the OpenBSD branches meet OpenBSD's
             prototypes, each in the header OpenBSD's manual names, and
             the Linux branches are left out.  XFAIL lists the files
             known not to build for OpenBSD, with the error each gives.
  mutations  typos put into copies of today's OpenBSD branches (a
             pledge or unveil argument, shm_mkstemp's, a removed
             include) fail the tree check's compile.
  promises   every pledge(2) promise and unveil(2) permission string of
             the tree is one OpenBSD's manuals list.
  bsdmake    openbsd/'s Makefiles run by Debian's bmake with the
             stand-ins of regress/openbsd/mk: each program's SRCS, found
             through .PATH, are the objects the top Makefile links for
             it; MAN, BINDIR and the compiled-in paths are those of the
             top Makefile's install; LDADD and DPADD name the libraries
             the program's objects call (nm), no more.
  nogc       every program of the top Makefile links on Linux without
             --gc-sections, as OpenBSD's linker links them: no program
             calls what it does not link.
  port       openbsd/mail/popd: V is POPD_VERSION; PLIST lists what
             make install installs, the three users of common/util.h
             as OpenBSD's build sees it (ids as user.list wants them,
             no name or id user.list has given: a snapshot of its
             facts in USER_LIST_*), the chroot the port compiles in
             (not base's /var/empty) as root's and its tmp/ as the
             listener user's, where the lmtp process's shm_mkstemp
             makes its spool (compat.c, unveiled by sandbox_lmtp),
             and the example popd.conf;
             WANTLIB is what the BSD make build links; pkg/popd.rc is
             popd/popd.rc with the package's paths, its pexp is the
             parent's title and its rc_configtest runs popd -n; the
             login class popd (pkg/popd.login) holds 4,000 sessions and
             the users name it; pkg/README names kern.maxfiles; both parse (sh -n); the example popd.conf
             passes popd -n once its files exist.

Not proven here: that anything compiles with OpenBSD's own headers or
clang, links against OpenBSD's libraries, or runs; that OpenBSD's make
and its real bsd.prog.mk build and install as the stand-ins say; that
pledge and unveil allow what each role does (only OpenBSD's kernel can
say); that the port builds in the ports tree (make port-lib-depends-
check, update-plist).  The stand-ins are glibc's headers with OpenBSD's
declarations added and glibc's extra names hidden or poisoned: a glibc
name OpenBSD lacks that is not hidden still compiles here.

Usage: check.py [CHECK...]; prints "ok NAME", "skip NAME: why" or
"FAIL NAME: ..." per check and "N passed, N failed, N skipped".
"""

import concurrent.futures
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
INCLUDE = os.path.join(HERE, "include")
SELFTEST = os.path.join(HERE, "selftest")
MK = os.path.join(HERE, "mk")
OPENBSD = os.path.join(REPO, "openbsd")
PORT = os.path.join(OPENBSD, "mail", "popd")

PROGS = ("popd/popd", "listener/listener",
         "lmtp/lmtp", "control/control", "authpop/authpop",
         "wrkrpop/wrkrpop", "mda/mda", "dlvrpop/dlvrpop", "popdpass/popdpass", "popctl/popctl",
         "tablepop/tablepop", "routepop/routepop", "keypop/keypop",
         "authcheck/authcheck", "confpop/confpop", "httppop/httppop")

# Files known not to compile for OpenBSD, with the error each must
# give; a file that compiles, or fails otherwise, fails the check.
XFAIL = {
}

# Typos put into copies of the tree's files: (file, text, typo, the
# error the compile must give).  A text no longer in its file is a skip.
MUTATIONS = (
    ("common/sandbox.c", "pledge(promises, NULL)", "pledge(promises)",
     r"too few arguments"),
    ("common/sandbox.c", "unveil(path, perm)", "unveil(path, perm, 0)",
     r"too many arguments"),
    ("common/sandbox.c", "unveil(path, perm)", "unvei1(path, perm)",
     r"implicit declaration of function .unvei1"),
    ("compat/compat.c", "shm_mkstemp(path)", "shm_mkstemp(path, 0600)",
     r"too many arguments"),
    ("compat/compat.c", "getpeereid(fd, uid, gid)",
     "getpeereid(fd, uid, &gid)", r"incompatible pointer type"),
    ("compat/compat.c", "#include <sys/mman.h>\n", "\n",
     r"implicit declaration of function .shm_mkstemp"),
)

# pledge(2), OpenBSD 7.6.
PROMISES = set("""stdio rpath wpath cpath dpath tmppath inet mcast fattr
    chown flock unix dns getpw sendfd recvfd tape tty proc exec prot_exec
    settime ps vminfo id pf route wroute audio video bpf unveil error
    disklabel drm vmm""".split())

# What a program's objects call, by prefix, and the library it is in.
LIBS_OF = (("tls_", "tls"), ("event_", "event"), ("evbuffer_", "event"),
           ("pthread_create", "pthread"), ("pthread_join", "pthread"),
           ("argon2_", "argon2"), ("EVP_", "crypto"),
           # libmd's on Linux, libcrypto's MD4_* on OpenBSD (scheme.c)
           ("MD4Init", "crypto"))


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def run(argv, cwd=REPO, env=None, check=False):
    p = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    out = p.stdout.decode(errors="replace")
    if check and p.returncode != 0:
        raise Fail("%s: exit %d\n%s" % (" ".join(argv), p.returncode,
                                        out[-2000:]))
    return p.returncode, out


def gmake_lines(*args):
    """GNU make's dry run (make -n), its continued lines joined."""
    _, out = run(["make", "-n", "--no-print-directory"] + list(args),
                 check=True)
    return out.replace("\\\n", " ").splitlines()


# Objects the top Makefile links on Linux only: libretls's session
# tickets (compat/ticketfix.c); OpenBSD's libtls needs no such fix.
# Keys held by keypop: compat/tlssign.c reaches OpenSSL under libretls,
# OpenBSD's libtls has a sign callback (compat/tlssign_openbsd.c).
# Landlock and seccomp (common/landlock.c, common/sandbox_linux.c):
# pledge(2) and unveil(2) in sandbox.c stand for them.
LINUX_ONLY = {"compat/ticketfix", "compat/tlssign", "common/landlock",
              "common/sandbox_linux"}
OPENBSD_ONLY = {"compat/tlssign_openbsd"}


def gnu_objects(prog):
    """The objects the top Makefile links into prog."""
    for ln in gmake_lines("-B", prog):
        t = ln.split()
        if "-o" in t and t[t.index("-o") + 1] == prog:
            return [w for w in t if w.endswith(".o")]
    raise Fail("make -n -B %s: no link line" % prog)


def gnu_compile_flags():
    """The warnings and compiled-in paths of the top Makefile's compile
    line (-W..., -DSBINDIR=... ), the Linux-only flags left out."""
    for ln in gmake_lines("-B", "common/log.o", "PREFIX=/usr/local",
                          "TABLEDIR=/usr/local/libexec/smtpd"):
        t = shlex.split(ln)
        if "-c" in t:
            return [w for w in t if w.startswith("-W") or
                    re.match(r"-D(SBINDIR|LIBEXECDIR|CHROOTDIR|TABLEDIR)=",
                             w)]
    raise Fail("make -n -B common/log.o: no compile line")


def gnu_install():
    """{installed path relative to PREFIX: source} of make install."""
    got = {}
    for ln in gmake_lines("install", "DESTDIR=/D", "PREFIX=/P"):
        t = ln.split()
        if t[:2] != ["install", "-m"]:
            continue
        dest = t[-1].rstrip("/")
        if not dest.startswith("/D/P/"):
            raise Fail("make install: %s outside PREFIX" % dest)
        for src in t[3:-1]:
            got[dest[len("/D/P/"):] + "/" + os.path.basename(src)] = src
    if not got:
        raise Fail("make -n install: no install line")
    return got


def cc():
    return os.environ.get("CC") or "cc"


def obsd_flags():
    return ["-fsyntax-only", "-U__linux__", "-U__linux", "-Ulinux",
            "-U__gnu_linux__", "-D__OpenBSD__", "-I" + INCLUDE,
            "-Icommon", "-Istore", "-Iconf", "-Icompat"] + \
        gnu_compile_flags()


def compile_one(path, flags, extra=()):
    return run([cc()] + flags + list(extra) + [path])


def check_headers():
    flags = obsd_flags()
    bad = []
    snippets = sorted(glob.glob(os.path.join(SELFTEST, "*.c")))
    if not snippets:
        raise Fail("no snippet in %s" % SELFTEST)
    for s in snippets:
        with open(s) as f:
            m = re.match(r"/\* expect: (.*?) -- ", f.readline())
        if m is None:
            bad.append("%s: no '/* expect: ... -- ' first line" % s)
            continue
        want = m.group(1)
        rc, out = compile_one(s, flags)
        name = os.path.basename(s)
        if want == "ok":
            if rc != 0:
                bad.append("%s: expected to compile, got:\n%s" % (name, out))
        elif rc == 0:
            bad.append("%s: expected an error matching %r, compiled"
                       % (name, want))
        elif not re.search(want, out):
            bad.append("%s: expected an error matching %r, got:\n%s"
                       % (name, want, out))
    if bad:
        raise Fail("\n".join(bad))
    return "%d snippets" % len(snippets)


def source_of(obj):
    """An object's source without ".c": common/proto-X.o is proto.c
    built for one program (PROTO_SELF), common/peers-X.o peers.c."""
    return re.sub(r"^common/(proto|peers)-[a-z]+$", r"common/\1",
                  obj[:-2])


def gnu_proto_self(prog):
    """The -DPROTO_SELF= the top Makefile builds prog's proto.c with."""
    for o in gnu_objects(prog):
        if re.match(r"common/proto-[a-z]+\.o$", o):
            for ln in gmake_lines("-B", o):
                m = re.search(r"-DPROTO_SELF=(\w+)", ln)
                if m:
                    return m.group(1)
    return None


def tree_sources():
    srcs = set()
    for p in PROGS:
        for o in gnu_objects(p):
            srcs.add(source_of(o) + ".c")
    srcs.update(s + ".c" for s in OPENBSD_ONLY)
    if not os.path.exists(os.path.join(REPO, "conf", "parse.c")):
        run(["make", "conf/parse.c"], check=True)
    return sorted(srcs)


def check_tree():
    flags = obsd_flags()
    srcs = tree_sources()
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        # confpop's files, as the Makefile compiles them (popd/parent.h).
        res = dict(zip(srcs, ex.map(lambda s: compile_one(
            s, flags, ["-Ipopd"] if s.startswith("confpop/") else []),
            srcs)))
    bad, notes = [], []
    for s in srcs:
        rc, out = res[s]
        if s in XFAIL:
            if rc == 0:
                bad.append("%s compiles now: remove it from XFAIL" % s)
            elif XFAIL[s] not in out:
                bad.append("%s: expected %r, got:\n%s" % (s, XFAIL[s], out))
            else:
                notes.append("%s fails as expected (%s)" % (s, XFAIL[s]))
        elif rc != 0:
            bad.append("%s:\n%s" % (s, out))
    for s in XFAIL:
        if s not in srcs:
            bad.append("XFAIL %s: no longer a source of the programs" % s)
    if bad:
        raise Fail("\n".join(bad))
    return "%d files%s" % (len(srcs), "; " + "; ".join(notes) if notes
                            else "")


def check_mutations():
    flags = obsd_flags()
    bad, gone, n = [], [], 0
    for path, text, typo, want in MUTATIONS:
        with open(os.path.join(REPO, path)) as f:
            src = f.read()
        if text not in src:
            gone.append("%s: %r" % (path, text))
            continue
        tmp = tempfile.mkdtemp(prefix="popd-obsd.")
        try:
            mut = os.path.join(tmp, os.path.basename(path))
            with open(mut, "w") as f:
                f.write(src.replace(text, typo, 1))
            rc, out = compile_one(mut, flags, ["-iquote",
                                               os.path.dirname(path)])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        n += 1
        if rc == 0 or not re.search(want, out):
            bad.append("%s: %r -> %r: expected an error matching %r, got "
                       "%s" % (path, text, typo, want,
                               "none" if rc == 0 else out))
    if bad:
        raise Fail("\n".join(bad))
    if gone:
        raise Skip("text gone, update MUTATIONS: " + "; ".join(gone))
    return "%d typos caught" % n


def check_promises():
    bad, n = [], 0
    for path in sorted(glob.glob(os.path.join(REPO, "*", "*.[cy]"))):
        rel = os.path.relpath(path, REPO)
        if rel.startswith("regress/"):
            continue
        with open(path) as f:
            src = f.read()
        for m in re.finditer(r"\b(sb_pledge|pledge)\((.*?)\);", src, re.S):
            lits = re.findall(r'"([^"]*)"', m.group(2))
            if m.group(1) == "sb_pledge":
                lits = lits[1:]         # the role's name
            for lit in lits:
                n += 1
                for w in lit.split():
                    if w not in PROMISES:
                        bad.append("%s: pledge promise %r" % (rel, w))
        for m in re.finditer(r"\b(sb_unveil|unveil)\([^;]*?,\s*"
                             r'"([^"]*)"\s*\)', src):
            n += 1
            if not re.fullmatch(r"[rwxc]*", m.group(2)) or \
                    len(set(m.group(2))) != len(m.group(2)):
                bad.append("%s: unveil permissions %r" % (rel, m.group(2)))
    if bad:
        raise Fail("\n".join(bad))
    if n == 0:
        raise Fail("no pledge or unveil string found")
    return "%d strings" % n


def bmake_run(*args):
    bmake = shutil.which("bmake")
    if bmake is None:
        raise Skip("bmake is not installed (Debian: apt-get install bmake)")
    env = dict(os.environ, MAKESYSPATH=MK)
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES"):
        env.pop(k, None)
    _, out = run([bmake, "-m", MK] + list(args), cwd=OPENBSD, env=env,
                 check=True)
    progs, cur = {}, None
    for ln in out.splitlines():
        k, _, v = ln.partition(" ")
        if k == "PROG":
            cur = progs.setdefault(v, {})
        elif cur is not None and k in ("BINDIR", "MANDIR", "CFLAGS",
                                       "LDADD", "DPADD", "SRCS", "MAN",
                                       "AFTERINSTALL"):
            cur[k] = v
    return progs


def check_bsdmake():
    progs = bmake_run("PREFIX=/P")
    bad = []
    if sorted(progs) != sorted(os.path.basename(p) for p in PROGS):
        raise Fail("bmake built %s, the top Makefile %s" %
                   (sorted(progs), [os.path.basename(p) for p in PROGS]))
    installed = gnu_install()
    gnu_d_p = set()
    for ln in gmake_lines("-B", "common/log.o", "PREFIX=/P",
                          "TABLEDIR=/P/libexec/smtpd"):
        if " -c " in ln:
            gnu_d_p = set(w.replace('"', "") for w in shlex.split(ln)
                          if re.match(r"-D[A-Z]+DIR=", w))
    mans = set()
    for path in PROGS:
        name = os.path.basename(path)
        v = progs[name]
        # SRCS as found through .PATH against the GNU link line.
        found = [os.path.relpath(os.path.normpath(s), REPO)
                 for s in v.get("SRCS", "").split()]
        want = sorted(source_of(o) for o in gnu_objects(path)
                      if o[:-2] not in LINUX_ONLY)
        got = sorted(g for g in (re.sub(r"\.[cy]$", "", s) for s in found)
                     if g not in OPENBSD_ONLY)
        if got != want:
            bad.append("%s: SRCS %s, the top Makefile links %s" % (
                name, " ".join(sorted(set(got) - set(want))) or "-",
                " ".join(sorted(set(want) - set(got))) or "-"))
        # Where it is installed.
        where = [k for k, s in installed.items() if s == path]
        if [os.path.relpath(v["BINDIR"], "/P") + "/" + name] != where:
            bad.append("%s: BINDIR %s, make install puts it in %s" %
                       (name, v["BINDIR"], where))
        for m in v.get("MAN", "").split():
            m = os.path.relpath(os.path.normpath(m), REPO)
            mans.add(os.path.relpath(v["MANDIR"], "/P") + m[-1] + "/" +
                     os.path.basename(m))
        # The compiled-in paths.
        d = set(w.replace('"', "") for w in v["CFLAGS"].split()
                if re.match(r"-D[A-Z]+DIR=", w))
        if d != gnu_d_p:
            bad.append("%s: %s, the top Makefile %s" %
                       (name, sorted(d), sorted(gnu_d_p)))
        # The messages whose checks proto.c keeps.
        m = re.search(r"-DPROTO_SELF=(\w+)", v["CFLAGS"])
        self_ = gnu_proto_self(path)
        got = m.group(1) if m else "-"
        if self_ is not None and got != self_:
            bad.append("%s: PROTO_SELF %s, the top Makefile %s" %
                       (name, got, self_))
        # Libraries: what the objects call, with libtls's own.
        need = set()
        objs = [os.path.join(REPO, o) for o in gnu_objects(path)]
        if all(os.path.exists(o) for o in objs):
            _, nm = run(["nm", "-u"] + objs)
            syms = set(ln.split()[-1] for ln in nm.splitlines()
                       if ln.strip() and not ln.endswith(":"))
            for prefix, lib in LIBS_OF:
                if any(s.startswith(prefix) for s in syms):
                    need.add(lib)
            if "tls" in need:
                need |= {"ssl", "crypto"}
            ldadd = [w[2:] for w in v["LDADD"].split()]
            if set(ldadd) != need:
                bad.append("%s: LDADD %s, its objects call %s" %
                           (name, v["LDADD"] or "-", sorted(need)))
        else:
            bad.append("%s: objects not built (make all first)" % name)
        dpadd = [os.path.basename(w) for w in v["DPADD"].split()]
        if dpadd != ["lib%s.a" % w[2:] for w in v["LDADD"].split()]:
            bad.append("%s: DPADD %s does not follow LDADD %s" %
                       (name, v["DPADD"], v["LDADD"]))
    # The example popd.conf of the PLIST: popd's afterinstall.
    if [n for n, v in progs.items() if v.get("AFTERINSTALL")] != ["popd"]:
        bad.append("afterinstall (the example popd.conf): popd's only")
    gnu_mans = set(k for k in installed if k.startswith("man/"))
    if mans != gnu_mans:
        bad.append("MAN: %s; make install: %s" % (
            sorted(mans - gnu_mans), sorted(gnu_mans - mans)))
    if bad:
        raise Fail("\n".join(bad))
    return "%d programs" % len(progs)


def util_users():
    """The daemon users an OpenBSD build compiles in: common/util.h's
    POPD_USER, POPD_AUTH_USER, POPD_TABLE_USER, preprocessed as
    OpenBSD's (the listener's name differs from Linux's)."""
    flags = [f for f in obsd_flags() if f != "-fsyntax-only"]
    rc, out = run([cc(), "-E", "-dM"] + flags +
                  [os.path.join(REPO, "common", "util.h")])
    if rc != 0:
        raise Fail("common/util.h, preprocessed for OpenBSD: %s" % out)
    users = dict(re.findall(r'^#define\s+(POPD_\w*USER)\s+"(_[\w-]+)"$',
                            out, re.M))
    names = ("POPD_USER", "POPD_AUTH_USER", "POPD_TABLE_USER")
    if sorted(users) != sorted(names):
        raise Fail("common/util.h: expected %s, found %s" % (names, users))
    return [users[n] for n in names]


# OpenBSD's ports register every package user and group in
# infrastructure/db/user.list (id, name, port), never reusing a name or
# an id, also once commented out when its port is gone.  Read from
# user.list 1.490 (2026/06/06): the highest id given is 908, and the
# names below are those of other mail servers' users, POP3 ones above
# all.  Take the next free ids when the port is imported (the README of
# the port says so); the check keeps the ports's ids above 908.
USER_LIST_TOP = 908
USER_LIST_TAKEN = {"_pop3d": 733, "_popa3d": 737, "_solid-pop3d": 635,
                   "_dovecot": 518, "_dovenull": 666, "_courier": 571,
                   "_cyrus": 543, "_perdition": 573, "_poppassd": 595,
                   "_smtpd": None, "_smtpq": None}   # base's, not ports'


def plist_dirs(plist):
    """{directory: (owner, group, mode)} of PLIST's @sample DIR/ lines,
    with the @owner, @group and @mode in force there (empty: root,
    wheel and the default)."""
    owner = group = mode = ""
    dirs = {}
    for ln in plist:
        w = ln.split()
        if not w:
            continue
        if w[0] == "@owner":
            owner = w[1] if len(w) > 1 else ""
        elif w[0] == "@group":
            group = w[1] if len(w) > 1 else ""
        elif w[0] == "@mode":
            mode = w[1] if len(w) > 1 else ""
        elif w[0] == "@sample" and w[1].endswith("/"):
            dirs[w[1].rstrip("/")] = (owner or "root", group or "wheel",
                                      mode)
    return dirs


def popd_version():
    with open(os.path.join(REPO, "common", "version.h")) as f:
        m = re.search(r'#define\s+POPD_VERSION\s+"([^"]+)"', f.read())
    if m is None:
        raise Fail("no POPD_VERSION in common/version.h")
    return m.group(1)


def read(path):
    with open(path) as f:
        return f.read()


def rc_body(text, prefix):
    return [ln.replace("${TRUEPREFIX}", prefix) for ln in text.splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def example_conf_ok(bad):
    popd = os.path.join(REPO, "popd", "popd")
    if not os.access(popd, os.X_OK) or shutil.which("openssl") is None:
        bad.append("popd/popd or openssl missing: make all first")
        return
    tmp = tempfile.mkdtemp(prefix="popd-obsd.")
    try:
        files = {}
        conf = read(os.path.join(OPENBSD, "popd.conf"))
        for i, path in enumerate(re.findall(r'"(/[^"]+)"', conf)):
            files[path] = os.path.join(tmp, "f%d" % i)
        certs = [p for p in files if p.endswith(".crt")]
        keys = [p for p in files if p.endswith(".key")]
        if len(certs) != 1 or len(keys) != 1:
            bad.append("openbsd/popd.conf: expected one cert and one key")
            return
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
             "-subj", "/CN=mail.example.org", "-keyout", files[keys[0]],
             "-out", files[certs[0]]], check=True)
        for path, f in files.items():
            if not os.path.exists(f):
                open(f, "w").close()
            os.chmod(f, 0o600)
            conf = conf.replace('"%s"' % path, '"%s"' % f)
        cf = os.path.join(tmp, "popd.conf")
        with open(cf, "w") as f:
            f.write(conf)
        rc, out = run([popd, "-n", "-f", cf])
        if rc != 0 or "configuration OK" not in out:
            bad.append("openbsd/popd.conf, its files made: popd -n: %s"
                       % out.strip())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_port():
    bad = []
    mk = read(os.path.join(PORT, "Makefile"))
    m = re.search(r"^V\s*=\s*(\S+)", mk, re.M)
    if m is None or m.group(1) != popd_version():
        bad.append("Makefile: V %s, common/version.h %s" %
                   (m and m.group(1), popd_version()))
    if not re.search(r"^DISTNAME\s*=\s*popd-\$\{V\}$", mk, re.M):
        bad.append("Makefile: DISTNAME is not popd-${V} (make dist's name)")
    # WANTLIB: libc and what the BSD make build links.
    libs = {"c"}
    for f in glob.glob(os.path.join(OPENBSD, "*", "Makefile")):
        for ln in re.findall(r"^LDADD\+?=(.*)$", read(f), re.M):
            libs |= set(w[2:] for w in ln.split())
    m = re.search(r"^WANTLIB\s*=(.*)$", mk, re.M)
    if m is None or set(m.group(1).split()) != libs:
        bad.append("Makefile: WANTLIB %s, openbsd/*/Makefile link %s" %
                   (m and m.group(1).split(), sorted(libs)))
    # PLIST: the users, then what make install installs.
    plist = read(os.path.join(PORT, "pkg", "PLIST")).splitlines()
    groups = dict(ln.split()[1].split(":") for ln in plist
                  if ln.startswith("@newgroup "))
    ids = set()
    for u in util_users():
        lines = [ln for ln in plist if ln.startswith("@newuser %s:" % u)]
        if len(lines) != 1:
            bad.append("PLIST: %d @newuser lines for %s" % (len(lines), u))
            continue
        f = lines[0][len("@newuser "):].split(":")
        if len(f) != 7 or f[2] != u or groups.get(u) != f[1] or \
                not f[1].isdigit() or f[3] != "popd" or \
                f[5] != "/var/empty" or f[6] != "/sbin/nologin":
            bad.append("PLIST: %r: want name:id:name:popd:comment:"
                       "/var/empty:/sbin/nologin, the group %s of the same "
                       "id" % (lines[0], u))
        if f[1] in ids:
            bad.append("PLIST: id %s used twice" % f[1])
        ids.add(f[1])
        if u in USER_LIST_TAKEN or (f[1].isdigit() and (
                int(f[1]) in USER_LIST_TAKEN.values() or
                not USER_LIST_TOP < int(f[1]) < 1000)):
            bad.append("PLIST: %s:%s: user.list has that name or id "
                       "(ids up to %d are taken, ports' end below 1000)"
                       % (u, f[1], USER_LIST_TOP))
    # The chroot: the port's own, with the tmp/ that the lmtp process's
    # spool needs (shm_mkstemp(3) makes its files in /tmp, the one path
    # sandbox_lmtp unveils), the listener's user's alone.
    m = re.search(r"\bCHROOTDIR=(\S+)", mk)
    chroot = m.group(1) if m else "/var/empty"
    compat = read(os.path.join(REPO, "compat", "compat.c"))
    spool = re.search(r'char\s+path\[\] = "(/[^"/]+)/popd-spool\.X+";\n'
                      r'.*\n.*\n.*\n\s+if \(\(fd = shm_mkstemp\(path\)\)',
                      compat)
    sandbox = read(os.path.join(REPO, "common", "sandbox.c"))
    if spool is None or 'sb_unveil("%s", "rwc")' % spool.group(1) not in \
            sandbox:
        bad.append("compat.c's shm_mkstemp template or sandbox_lmtp's "
                   "unveil of its directory not found")
    else:
        dirs = plist_dirs(plist)
        tmp = chroot + spool.group(1)
        if chroot == "/var/empty":
            bad.append("Makefile: CHROOTDIR is base's /var/empty, which "
                       "must stay empty, and the lmtp process needs %s" %
                       tmp)
        if dirs.get(chroot, ("",) * 3)[:2] != ("root", "wheel") or \
                dirs[chroot][2] not in ("", "0755", "755"):
            bad.append("PLIST: no @sample %s/ of root's, mode 0755 (%s)" %
                       (chroot, dirs.get(chroot)))
        listener = util_users()[0]
        if dirs.get(tmp) != (listener, listener, "0700"):
            bad.append("PLIST: no @sample %s/ of %s's, mode 0700, for "
                       "the lmtp process's spool (%s)" %
                       (tmp, listener, dirs.get(tmp)))
    want = set(gnu_install()) | {"share/examples/popd/popd.conf",
                                 "share/examples/login.conf.d/popd",
                                 "share/doc/pkg-readmes/${PKGSTEM}"}
    got = set(ln.split()[-1] for ln in plist if ln and ln[0] != "@" and
              not ln.endswith("/") or ln.startswith(("@bin ", "@man ")))
    if got != want:
        bad.append("PLIST: extra %s, missing %s" %
                   (sorted(got - want), sorted(want - got)))
    for need in ("@rcscript ${RCDIR}/popd", "@sample ${SYSCONFDIR}/popd.conf",
                 "@sample ${SYSCONFDIR}/login.conf.d/popd"):
        if need not in plist:
            bad.append("PLIST: no %r" % need)
    # The login class rc.subr starts popd in (the script's name), as
    # bsd.port.mk(5) installs one: pkg/popd.login; and the README.
    login = os.path.join(PORT, "pkg", "popd.login")
    text = read(login).replace("\\\n", "") if os.path.exists(login) else ""
    m = re.search(r"^popd:(.*)$", text, re.M)
    caps = dict(c.partition("=")[::2] for c in m.group(1).split(":")
                if c) if m else {}
    if not caps.get("openfiles", "0").isdigit() or \
            int(caps.get("openfiles", "0")) < 2 * 4000 or \
            caps.get("maxproc") != "infinity" or \
            caps.get("tc") != "daemon":
        bad.append("pkg/popd.login: no class popd with openfiles for "
                   "4,000 sessions, maxproc=infinity, tc=daemon: %s" % caps)
    if "kern.maxfiles" not in read(os.path.join(PORT, "pkg", "README")):
        bad.append("pkg/README: says nothing of kern.maxfiles")
    if not os.path.exists(os.path.join(OPENBSD, "popd.conf")):
        bad.append("no openbsd/popd.conf (the example)")
    else:
        example_conf_ok(bad)
    # The rc.d script: the tree's with the package's paths.
    tree_rc = read(os.path.join(REPO, "popd", "popd.rc"))
    port_rc = read(os.path.join(PORT, "pkg", "popd.rc"))
    if rc_body(tree_rc, "/usr/local") != rc_body(port_rc, "/usr/local"):
        bad.append("pkg/popd.rc is not popd/popd.rc with ${TRUEPREFIX}")
    for name, text in (("popd/popd.rc", tree_rc), ("pkg/popd.rc", port_rc)):
        rc, out = run(["sh", "-n", "-c", text])
        if rc != 0:
            bad.append("%s: sh -n: %s" % (name, out))
        # rcctl configtest, and rc.subr's check before a reload.
        if not re.search(r"^rc_configtest\(\) \{\n\t\$\{daemon\} -n "
                         r"\$\{daemon_flags\}\n\}", text, re.M):
            bad.append("%s: no rc_configtest running popd -n" % name)
        m = re.search(r'^pexp="popd: ([^"]*)"$', text, re.M)
        popd_c = read(os.path.join(REPO, "popd", "popd.c"))
        if m is None or 'setproctitle("%s")' % m.group(1) not in popd_c:
            bad.append('%s: pexp is not "popd: " and the title the parent '
                       "sets (popd/popd.c)" % name)
    if bad:
        raise Fail("\n".join(bad))
    return "users %s, %d files" % (" ".join(util_users()), len(want))


def check_nogc():
    """Every program links without --gc-sections (the top Makefile's
    GC_LDFLAGS), as OpenBSD's build links: none may call what it does
    not link and lean on the linker dropping the call.  Relinked in a
    copy of the built tree."""
    tmp = tempfile.mkdtemp(prefix="popd-nogc.")
    try:
        run(["sh", "-c", "tar --exclude=.git -cf - . | tar -C %s -xf -" %
             shlex.quote(tmp)], check=True)
        for p in PROGS:
            os.unlink(os.path.join(tmp, p))
        rc, out = run(["make", "-j2", "GC_LDFLAGS="] + list(PROGS), cwd=tmp)
        bad = [p for p in PROGS if not os.path.exists(os.path.join(tmp, p))]
        if rc != 0 or bad:
            raise Fail("without --gc-sections, %s do not link:\n%s" % (
                " ".join(bad) or "all", "\n".join(
                    ln for ln in out.splitlines() if "undefined" in ln or
                    "***" in ln)[-3000:]))
        return "%d programs" % len(PROGS)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


CHECKS = (("headers", check_headers), ("tree", check_tree),
          ("mutations", check_mutations), ("promises", check_promises),
          ("bsdmake", check_bsdmake), ("port", check_port),
          ("nogc", check_nogc))


def main():
    want = sys.argv[1:]
    passed = failed = skipped = 0
    for name, fn in CHECKS:
        if want and name not in want:
            continue
        try:
            note = fn()
            print("ok %s: %s" % (name, note))
            passed += 1
        except Skip as e:
            print("skip %s: %s" % (name, e))
            skipped += 1
        except Fail as e:
            lines = str(e).splitlines() or [""]
            print("FAIL %s: %s" % (name, lines[0]))
            for ln in lines[1:]:
                print("#  " + ln)
            failed += 1
        sys.stdout.flush()
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
