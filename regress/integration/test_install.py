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

"""make install: an installed popd runs its helpers from LIBEXECDIR (the
paths come from the build, never from the build tree; popd -n and -m
through confpop too; an lmtp socket's helper too), and DESTDIR
stages the same layout; INSTALL.md and the manual pages name mda where
each way of installing puts it.  Built in a copy of the tree with its own
PREFIX so the working tree is left alone."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

SOURCES = T.PROGRAMS + ("Makefile", "common", "store", "conf", "compat",
                       "mda", "popdpass", "popctl", "man", "regress")


def copy_tree(dst):
    for name in SOURCES:
        src = os.path.join(T.REPO, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dst, name),
                            ignore=shutil.ignore_patterns("*.o",
                                                          "__pycache__"))
        else:
            shutil.copy(src, dst)
    subprocess.run(["make", "-s", "clean"], cwd=dst, check=True,
                   stdout=subprocess.DEVNULL)


def make(tree, *args):
    r = subprocess.run(["make", "-s"] + list(args), cwd=tree,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=600)
    if r.returncode != 0:
        raise AssertionError("make %s failed:\n%s" %
                             (" ".join(args), r.stdout.decode()[-2000:]))


@T.test(start=False, timeout=600)
def installed_popd_uses_libexecdir(srv):
    work = tempfile.mkdtemp(prefix="popdinst.", dir="/tmp")
    try:
        os.chmod(work, 0o755)
        tree, prefix = os.path.join(work, "src"), os.path.join(work, "pfx")
        os.mkdir(tree)
        copy_tree(tree)
        make(tree, "PREFIX=" + prefix)
        make(tree, "PREFIX=" + prefix, "install")
        libexec = os.path.join(prefix, "libexec", "popd")
        for f in ("sbin/popd", "sbin/popdpass", "sbin/popctl",
                  "man/man8/popctl.8", "libexec/popd/listener",
                  "libexec/popd/lmtp", "libexec/popd/control",
                  "libexec/popd/authpop",
                  "libexec/popd/wrkrpop", "libexec/popd/mda",
                  "libexec/popd/dlvrpop", "man/man8/dlvrpop.8",
                  "libexec/popd/tablepop", "man/man8/tablepop.8",
                  "libexec/popd/routepop", "man/man8/routepop.8",
                  "libexec/popd/keypop", "man/man8/keypop.8",
                  "libexec/popd/authcheck", "man/man8/authcheck.8",
                  "libexec/popd/confpop", "man/man8/confpop.8",
                  "man/man8/popd.8", "man/man5/popcache.5"):
            T.expect_true(os.path.exists(os.path.join(prefix, f)),
                          "installed " + f)
        # DESTDIR stages the same files under another root.
        stage = os.path.join(work, "stage")
        make(tree, "PREFIX=" + prefix, "DESTDIR=" + stage, "install")
        T.expect_true(os.path.exists(stage + prefix + "/sbin/popd"),
                      "DESTDIR staging")
        # The build tree's helpers are gone: only LIBEXECDIR can serve.
        make(tree, "clean")
        srv.deliver("alice", b"Subject: installed\r\n\r\nhi\r\n")
        T.POPD, saved = os.path.join(prefix, "sbin", "popd"), T.POPD
        T.POPCTL, saved_ctl = os.path.join(prefix, "sbin", "popctl"), \
            T.POPCTL
        try:
            srv.start()
            T.expect(srv.popctl("reload")[0], 0, "installed popctl reload")
            p = srv.pop("alice")
            pids = srv.pids()
            exe = {k: os.readlink("/proc/%d/exe" % pids[k])
                   for k in ("parent", "listener", "authpop")}
            wexe = os.readlink("/proc/%d/exe" % pids["wrkrpop"][0])
            T.expect(p.stat()[0], 1, "STAT through the installed popd")
            p.quit()
            # popd -n and -m: the installed confpop, which runs the
            # installed authcheck and wrkrpop.
            rc, out = srv.check_config("-v")
            T.expect_true(rc == 0 and out.rstrip().endswith(
                "configuration OK") and "# authtab: " in out,
                "installed popd -n -v (%d)" % rc, out)
            r = subprocess.run([T.POPD, "-m", "-f", srv.conffile],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=60)
            out = r.stdout.decode(errors="replace")
            T.expect_true(r.returncode == 0 and "passwords:" in out and
                          "alice: " in out,
                          "installed popd -m (%d)" % r.returncode, out)
            # An lmtp socket: the installed popd itself serves it and
            # runs lmtp from LIBEXECDIR.
            srv.stop()
            srv.conf_extra = 'listen on socket "%s" lmtp\n' % \
                os.path.join(srv.tmpdir, "lmtp.sock")
            srv.start()
            fexe = os.readlink("/proc/%d/exe" % srv.proc.pid)
            lmtp = T.wait_for(lambda: [
                p for p in T.descendants(srv.proc.pid)
                if T.proc_comm(p) == "lmtp"], what="the lmtp process")
            lexe = [os.readlink("/proc/%d/exe" % p) for p in lmtp]
        finally:
            T.POPD = saved
            T.POPCTL = saved_ctl
        T.expect(exe["parent"], os.path.join(prefix, "sbin", "popd"),
                 "parent binary")
        T.expect(exe["listener"], os.path.join(libexec, "listener"),
                 "listener from LIBEXECDIR")
        T.expect(exe["authpop"], os.path.join(libexec, "authpop"),
                 "authpop from LIBEXECDIR")
        T.expect(wexe, os.path.join(libexec, "wrkrpop"),
                 "wrkrpop from LIBEXECDIR")
        T.expect(fexe, os.path.join(prefix, "sbin", "popd"),
                 "the parent with an lmtp socket")
        T.expect(lexe, [os.path.join(libexec, "lmtp")],
                 "its lmtp from LIBEXECDIR")
        srv.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


@T.test(start=False, timeout=900)
def dist_tarball_builds_without_git(srv):
    """make dist: popd-VERSION.tar.gz of the committed tree, whose build
    needs neither git nor yacc (with both off PATH), and whose programs
    say that version."""
    if subprocess.run(["git", "-C", T.REPO, "rev-parse", "--verify", "-q",
                       "HEAD"], stdout=subprocess.DEVNULL).returncode != 0:
        raise T.Skip("the tree is not a git checkout")
    v = T.version()
    work = tempfile.mkdtemp(prefix="popddist.", dir="/tmp")
    try:
        r = subprocess.run(["make", "-s", "dist", "DISTDIR=" + work],
                           cwd=T.REPO, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=300)
        T.expect(r.returncode, 0, "make dist: %s" % r.stdout.decode())
        tarball = os.path.join(work, "popd-%s.tar.gz" % v)
        T.expect_true(os.path.exists(tarball), "popd-%s.tar.gz" % v)
        subprocess.run(["tar", "-xzf", tarball], cwd=work, check=True)
        tree = os.path.join(work, "popd-" + v)
        T.expect_true(not os.path.exists(os.path.join(tree, ".git")),
                      "no .git in the tarball")
        # No git, no yacc: a PATH of what the build may use.
        bindir = os.path.join(work, "bin")
        os.mkdir(bindir)
        for tool in ("make", "cc", "gcc", "pkg-config", "sh", "sed", "uname",
                     "install", "rm", "mkdir", "mv", "cat", "echo", "as",
                     "ld", "nm"):
            path = shutil.which(tool)
            if path is not None:
                os.symlink(path, os.path.join(bindir, tool))
        env = dict(os.environ, PATH=bindir)
        r = subprocess.run(["make", "-s", "all"], cwd=tree, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=600)
        T.expect(r.returncode, 0, "make all in the tarball's tree: %s"
                 % r.stdout.decode()[-2000:])
        r = subprocess.run([os.path.join(tree, "popd", "popd"), "-V"],
                           stdout=subprocess.PIPE, timeout=10)
        T.expect(r.stdout.decode(), "popd %s\n" % v, "its popd -V")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def make_var(args, name):
    """A variable as GNU make expands it in this tree."""
    r = subprocess.run(["make", "-s", "--no-print-directory"] + args +
                       ["--eval", "printvar: ; @echo $(%s)" % name,
                        "printvar"], cwd=T.REPO, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    T.expect(r.returncode, 0, "make's %s: %s" % (name, r.stdout.decode()))
    return r.stdout.decode().strip()


@T.test(start=False, users=[])
def documented_mda_paths(srv):
    """Where mda is after each way of installing (make install's
    default LIBEXECDIR, debian/rules', the OpenBSD port's under
    /usr/local), INSTALL.md's table says, and every mda path the
    documents (README.md, INSTALL.md, SECURITY.md, doc/) and the
    manual pages name is one of them."""
    paths = {"make install": make_var([], "LIBEXECDIR")}
    m = re.search(r"LIBEXECDIR=(\S+)", make_var(["-f", "debian/rules"],
                                                 "PATHS"))
    T.expect_true(m is not None, "debian/rules' LIBEXECDIR")
    paths["the Debian package"] = m.group(1)
    with open(os.path.join(T.REPO, "openbsd", "mail", "popd",
                           "Makefile")) as f:
        m = re.search(r"LIBEXECDIR=(\S+)", f.read())
    T.expect_true(m is not None, "the port's LIBEXECDIR")
    # TRUEPREFIX is LOCALBASE, /usr/local, in OpenBSD's ports.
    paths["the OpenBSD port"] = m.group(1).replace("${TRUEPREFIX}",
                                                   "/usr/local")
    with open(os.path.join(T.REPO, "INSTALL.md")) as f:
        install = f.read()
    for how, d in paths.items():
        T.expect_true(re.search(r"^\| `?%s\b[^|]*\| %s/mda\b" % (
            re.escape(how), re.escape(d)), install, re.M),
            "INSTALL.md's table: %s puts mda in %s" % (how, d))
    known = set(d + "/mda" for d in paths.values())
    named = []
    docs = ["README.md", "INSTALL.md", "SECURITY.md"]
    docs += sorted(os.path.join("doc", f) for f in os.listdir(
        os.path.join(T.REPO, "doc")) if f.endswith(".md"))
    for doc in docs + sorted(
            os.path.join("man", f) for f in os.listdir(
                os.path.join(T.REPO, "man"))):
        with open(os.path.join(T.REPO, doc)) as f:
            for path in re.findall(r"(/[\w/]*/libexec/popd/mda)\b",
                                   f.read()):
                named.append((doc, path))
    T.expect([(doc, path) for doc, path in named if path not in known], [],
             "mda paths that no way of installing puts mda at")
    for d in paths.values():
        T.expect_true(any(p == d + "/mda" for _, p in named if
                          _.startswith("man/")),
                      "a manual page names %s/mda" % d)


if __name__ == "__main__":
    T.main()
