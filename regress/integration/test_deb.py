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

"""The Debian package (debian/, make deb), installed as an admin installs
it.

deb_builds_lintian_clean: INSTALL.md's steps in a fresh Debian 12
root (the one package_lifecycle boots, below, as a chroot): apt-get
install make, then make deb in a copy of the tree, which installs
debian/control's Build-Depends itself (regress/deps.sh deb: the root
has no debhelper before) and gives popd_VERSION-1_amd64.deb, its
-dbgsym and the .changes, with no warning from debhelper; Debian's
lintian finds no error and no warning in them, and hardening-check
finds every binary built PIE, with the stack protector, fortified
functions, RELRO and BIND_NOW (not CET: bookworm's crt files lack its
note, so even a hello world fails that check).  A second copy whose
debian/changelog says VERSION-2 is built meanwhile, for the upgrade.

package_lifecycle: a fresh Debian 12 root, debootstrap --variant=minbase
from the machine's own apt source plus systemd (cached as a tarball in
/var/cache/popd-test, made again when missing), boots under
systemd-nspawn with a network of its own (loopback only).  In it, as an
admin would:

- apt-get install ./popd_VERSION-1_amd64.deb, its dependencies resolved
  by apt from the archive (downloaded in the chroot beforehand: the
  booted container has no route out): the users, files, conffiles,
  the empty chroot directory and tables are there, popd -n says OK, and
  the unit runs, enabled and started by the package, with its
  hardening in force (no_new_privs, the capability bounding set), its
  log in the journal, serving POP3S on port 995 with the snakeoil
  certificate, to nobody;
- one user added with INSTALL.md's three lines (popdpass, a usertab
  line, systemctl reload popd), a message delivered by the packaged
  mda: the user's STAT over POP3S;
- the admin's edit of /etc/popd.conf (listen on 127.0.0.1, another
  port), a restart, then apt-get install of VERSION-2: the edit kept,
  popd restarted by the package, the user served;
- apt-get remove (popd stopped; conffiles, users and tables kept), then
  purge: conffiles, users, groups and the chroot directory gone, the
  tables kept while they hold users and the maildir always; installed
  again and purged with empty tables, those go too, and of the users
  it made the one a process still runs as stays, named;
- the postinst's line saying how popd was started, under systemd and
  without (dpkg -i in a chroot, where no /run/systemd/system is);
- users there before the package (popd/mkusers.sh, as make install
  makes them): installed over and purged, they stay as they were,
  each named by the purge.

Where systemd-nspawn cannot boot the root, the test says so and runs
the unit's commands (ExecStartPre, ExecStart, ExecReload) in the chroot,
in a network namespace of its own, instead.  Needs root, apt-get and the
archive (a skip only where those are missing)."""

import atexit
import glob
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

SUITE = "bookworm"
CACHE_DIR = "/var/cache/popd-test"
CACHE = os.path.join(CACHE_DIR, "%s-minbase-systemd.tar.gz" % SUITE)
# A Debian 12 server's init (and its bus), for systemd-nspawn -b.
BOOT_PKGS = ["systemd", "systemd-sysv", "dbus"]
# The tree as a release holds it: every program's folder (T.PROGRAMS, so
# that a new one is not forgotten) and what builds and documents them.
SOURCES = T.PROGRAMS + ("Makefile", "common", "store", "conf", "compat",
                        "mda", "popdpass", "popctl", "man", "regress",
                        "debian", "README.md", "INSTALL.md", "SECURITY.md",
                        "doc")
PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
USERS = ("_pop3d", "_pop3auth", "_pop3table")
CHROOTDIR = "/var/lib/popd/empty"
PORT = 10995            # the admin's edit: listen on 127.0.0.1 here

state = {}              # what the first test built, for the second


def _cleanup():
    """At exit: the second build, the build root's /proc and the work
    directory, if the second test did not get to remove them (it
    removes them itself)."""
    if "build2" in state and state["build2"][0].poll() is None:
        state["build2"][0].kill()
        state["build2"][0].wait()
    if "build_root" in state:
        state["build_root"].umount()
    if "work" in state and not glob.glob(os.path.join(state["work"],
                                                      "*", "proc", "1")):
        shutil.rmtree(state["work"], ignore_errors=True)


atexit.register(_cleanup)


def step(what, t0):
    print("# %-44s %5.1fs" % (what, time.monotonic() - t0), flush=True)


def tail(text, n=25):
    return "\n".join(text.strip().splitlines()[-n:])


def sh(argv, what, timeout=300, ok=(0,), env=None, cwd=None):
    """Run argv; its output, or AssertionError with the tail of it."""
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout,
                           env=env, cwd=cwd, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("%s: timed out after %ds:\n%s" % (
            what, timeout, tail((e.stdout or b"").decode(errors="replace"))))
    out = r.stdout.decode(errors="replace")
    if r.returncode not in ok:
        raise AssertionError("%s: exit %d:\n%s" % (what, r.returncode,
                                                   tail(out)))
    return out


def need_tools():
    T.need_root()
    # Not debhelper: make deb installs it, in the root it builds in.
    for package, prog in (("dpkg-dev", "dpkg-architecture"),
                          ("lintian", "lintian"),
                          ("devscripts", "hardening-check"),
                          ("debootstrap", "debootstrap"),
                          ("systemd-container", "systemd-nspawn")):
        T.apt_install(package, prog)


# --- building ------------------------------------------------------------

def copy_tree(dst):
    os.makedirs(dst)
    for name in SOURCES:
        src = os.path.join(T.REPO, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dst, name), symlinks=True,
                            ignore=shutil.ignore_patterns(
                                "*.o", "__pycache__"))
        else:
            shutil.copy(src, dst)


def bump_changelog(tree, version):
    """A changelog entry for version above the others, as dch writes it."""
    path = os.path.join(tree, "debian", "changelog")
    with open(path) as f:
        old = f.read()
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    with open(path, "w") as f:
        f.write("popd (%s) unstable; urgency=medium\n\n"
                "  * The upgrade of regress/integration/test_deb.py.\n\n"
                " -- popd maintainers <maintainers@users.noreply."
                "b-seed-1a04194a.example>  %s\n\n%s" % (version, date, old))


def in_root(root, argv):
    """argv run in root (a chroot), as root.chroot runs it."""
    return ["chroot", root.path, "env", "-i", PATH, "LC_ALL=C.UTF-8",
            "DEBIAN_FRONTEND=noninteractive"] + list(argv)


def debs(top, version):
    arch = sh(["dpkg-architecture", "-q", "DEB_HOST_ARCH"], "arch").strip()
    return {k: os.path.join(top, "%s_%s_%s.%s" % (p, version, arch, e))
            for k, p, e in (("deb", "popd", "deb"),
                            ("dbgsym", "popd-dbgsym", "deb"),
                            ("changes", "popd", "changes"),
                            ("buildinfo", "popd", "buildinfo"))}


@T.test(start=False, timeout=1500)
def deb_builds_lintian_clean(srv):
    need_tools()
    v = T.version()
    work = tempfile.mkdtemp(prefix="popddeb.", dir="/var/tmp")
    state["work"] = work
    t0 = time.monotonic()
    # INSTALL.md's steps, as on a fresh Debian 12: make, then make deb.
    broot = make_root(os.path.join(work, "build"))
    state["build_root"] = broot
    shutil.copy("/etc/resolv.conf", broot.file("/etc/resolv.conf"))
    broot.mount_proc()
    broot.chroot(["apt-get", "update", "-q"], "apt-get update", timeout=600)
    broot.chroot(["apt-get", "install", "-y", "-q",
                  "--no-install-recommends", "make"],
                 "apt-get install make", timeout=600)
    status = broot.chroot(["dpkg-query", "-W", "-f", "${Status}",
                           "debhelper"], "dpkg-query debhelper",
                          ok=range(256))
    T.expect_true("install ok installed" not in status,
                  "a fresh root: no debhelper before make deb", status)
    tree = broot.file("/build/v1/src")
    copy_tree(tree)
    subprocess.run(["make", "-s", "clean"], cwd=tree,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = broot.chroot(["make", "-C", "/build/v1/src", "-s", "deb"],
                       "make deb in a fresh Debian 12", timeout=1200)
    T.expect_true("deps: installing the build dependencies of "
                  "debian/control" in out,
                  "make deb installed its build dependencies", out)
    step("make deb (%s-1), its dependencies installed" % v, t0)
    # Such as "package popd@ is not in control info", which a
    # debian/popd.service.* file made dh_installsystemd print.
    T.expect([ln for ln in out.splitlines()
              if re.match(r"dh(_\w+)?: warning: ", ln)], [],
             "debhelper's warnings in make deb")
    one = debs(os.path.dirname(tree), v + "-1")
    for k, path in one.items():
        T.expect_true(os.path.exists(path), "make deb made %s" % path, out)
    T.expect_true(not glob.glob(os.path.join(tree, "*/*.o")),
                  "make deb cleans the tree after the build")
    state["one"] = one

    # The package of the upgrade, built while this test goes on.
    tree2 = broot.file("/build/v2/src")
    shutil.copytree(tree, tree2, symlinks=True)
    bump_changelog(tree2, v + "-2")
    state["two"] = debs(os.path.dirname(tree2), v + "-2")
    log2 = open(os.path.join(work, "build2.log"), "wb")
    state["build2"] = (subprocess.Popen(
        in_root(broot, ["DEB_BUILD_OPTIONS=noddebs", "make", "-C",
                        "/build/v2/src", "-s", "deb"]),
        stdin=subprocess.DEVNULL, stdout=log2, stderr=subprocess.STDOUT,
        preexec_fn=T._die_with_harness), log2)

    # A changelog that does not say common/version.h's version.
    bad = broot.file("/build/bad/src")
    os.makedirs(os.path.dirname(bad))
    shutil.copytree(os.path.join(tree, "debian"),
                    os.path.join(bad, "debian"))
    shutil.copytree(os.path.join(tree, "common"), os.path.join(bad, "common"))
    bump_changelog(bad, v + ".1-1")
    out = broot.chroot(["sh", "-c", "cd /build/bad/src && "
                        "debian/rules override_dh_auto_configure"],
                       "debian/rules with a changelog of %s.1" % v,
                       timeout=60, ok=range(1, 256))
    T.expect_true("common/version.h" in out,
                  "debian/rules refuses a changelog version (%s.1) that is "
                  "not common/version.h's" % v, out)

    out = sh(["lintian", "--fail-on", "none", one["changes"]], "lintian",
             timeout=300)
    bad_tags = [ln for ln in out.splitlines() if re.match(r"^[EWX]: ", ln)]
    T.expect(bad_tags, [], "lintian errors and warnings")
    step("lintian", t0)

    x = os.path.join(work, "x")
    sh(["dpkg-deb", "-x", one["deb"], x], "dpkg-deb -x")
    elves = [os.path.join(x, "usr/sbin", p)
             for p in ("popd", "popdpass", "popctl")] + \
        [os.path.join(x, "usr/libexec/popd", p)
         for p in ("listener", "lmtp", "control", "authpop",
                   "wrkrpop", "mda", "dlvrpop", "tablepop", "routepop",
                   "keypop", "authcheck", "confpop")]
    out = sh(["hardening-check", "--nocfprotection"] + elves,
             "hardening-check")
    for flag in ("Position Independent Executable", "Stack protected",
                 "Fortify Source functions", "Read-only relocations",
                 "Immediate binding"):
        T.expect(out.count(flag + ": yes"), len(elves), flag)
    step("hardening-check", t0)


# --- the root --------------------------------------------------------------

def mirror():
    """The URI of this machine's apt source for bookworm (deb822 or
    one-line form), as debootstrap's mirror."""
    try:
        with open("/etc/apt/sources.list.d/debian.sources") as f:
            text = f.read()
    except OSError:
        text = ""
    for stanza in re.split(r"\n\s*\n", text):
        fields = {}
        for ln in stanza.splitlines():
            if ":" in ln and not ln.startswith(("#", " ", "\t")):
                k, val = ln.split(":", 1)
                fields[k.strip().lower()] = val.split()
        if "deb" in fields.get("types", []) and \
                SUITE in fields.get("suites", []) and fields.get("uris"):
            return fields["uris"][0]
    for path in ["/etc/apt/sources.list"] + \
            sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        try:
            with open(path) as f:
                for ln in f:
                    m = re.match(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+%s\s"
                                 % SUITE, ln)
                    if m:
                        return m.group(1)
        except OSError:
            pass
    return "http://deb.debian.org/debian"


class Root:
    """A Debian root on the host: chroot commands, its /proc mount."""

    def __init__(self, path):
        self.path = path
        self.mounted = []

    def file(self, name):
        return os.path.join(self.path, name.lstrip("/"))

    def read(self, name):
        with open(self.file(name)) as f:
            return f.read()

    def mount_proc(self):
        if self.file("/proc") not in self.mounted:
            sh(["mount", "-t", "proc", "proc", self.file("/proc")],
               "mount /proc")
            self.mounted.append(self.file("/proc"))

    def umount(self):
        for m in reversed(self.mounted):
            if subprocess.run(["umount", m]).returncode != 0:
                subprocess.run(["umount", "-l", m])
        self.mounted = []

    def mounts_below(self):
        below = []
        with open("/proc/self/mountinfo") as f:
            for ln in f:
                mp = ln.split()[4]
                if mp == self.path or mp.startswith(self.path + "/"):
                    below.append(mp)
        return below

    def chroot(self, argv, what, **kw):
        env = ["env", "-i", PATH, "LC_ALL=C.UTF-8",
               "DEBIAN_FRONTEND=noninteractive"]
        return sh(["chroot", self.path] + env + list(argv), what, **kw)

    def remove(self):
        self.umount()
        left = self.mounts_below()
        if left:
            raise AssertionError("still mounted, %s not removed: %s"
                                 % (self.path, left))
        shutil.rmtree(self.path, ignore_errors=True)


def make_root(path):
    """A fresh Debian 12 root with systemd at path: the cached tarball
    unpacked, or debootstrap (and the tarball written for next time)."""
    t0 = time.monotonic()
    os.makedirs(path)
    if os.path.exists(CACHE):
        r = subprocess.run(["tar", "-xzf", CACHE, "-C", path,
                            "--numeric-owner"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=300)
        if r.returncode == 0 and \
                os.path.exists(os.path.join(path, "lib/systemd/systemd")):
            step("root from %s" % CACHE, t0)
            return Root(path)
        print("# %s unusable, made again: %s" % (CACHE, tail(
            r.stdout.decode(errors="replace"), 3)))
        shutil.rmtree(path)
        os.makedirs(path)
    uri = mirror()
    sh(["debootstrap", "--variant=minbase", SUITE, path, uri],
       "debootstrap %s from %s" % (SUITE, uri), timeout=1200)
    step("debootstrap --variant=minbase %s %s" % (SUITE, uri), t0)
    root = Root(path)
    # The machine's apt sources (updates, security), as a server has.
    host = "/etc/apt/sources.list.d/debian.sources"
    if os.path.exists(host):
        shutil.copy(host, root.file(host))
        os.unlink(root.file("/etc/apt/sources.list"))
    shutil.copy("/etc/resolv.conf", root.file("/etc/resolv.conf"))
    try:
        root.mount_proc()
        root.chroot(["apt-get", "update", "-q"], "apt-get update",
                    timeout=600)
        root.chroot(["apt-get", "install", "-y", "-q",
                     "--no-install-recommends"] + BOOT_PKGS,
                    "apt-get install " + " ".join(BOOT_PKGS), timeout=900)
        root.chroot(["apt-get", "clean"], "apt-get clean")
    finally:
        root.umount()
    os.makedirs(CACHE_DIR, exist_ok=True)
    tmp = "%s.%d.tmp" % (CACHE, os.getpid())
    try:
        sh(["tar", "-czf", tmp, "-C", path, "--numeric-owner", "."],
           "tar " + CACHE, timeout=600)
        os.rename(tmp, CACHE)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    step("root made and cached", t0)
    return root


# --- running the unit --------------------------------------------------

CLIENT = r"""
import json, poplib, ssl, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
out = {}
try:
    p = poplib.POP3_SSL(host, port, context=ctx, timeout=20)
except OSError as e:
    print(json.dumps({"error": str(e)}))
    sys.exit(0)
out["greeting"] = p.getwelcome().decode(errors="replace")
out["cert"] = ssl.DER_cert_to_PEM_cert(p.sock.getpeercert(True))
try:
    p.user(user)
    p.pass_(pw)
    out["stat"] = list(p.stat())
except poplib.error_proto as e:
    out["login"] = e.args[0].decode(errors="replace")
p.quit()
print(json.dumps(out))
"""


class BootFailed(Exception):
    pass


# systemd-nspawn 252 (Debian 12) leaves Landlock out of the calls its
# containers may make (they fail with EPERM), and popd refuses to start
# without the confinement it asked for: the container gets them, as a
# host or a newer nspawn has them.
LANDLOCK = ("landlock_create_ruleset", "landlock_add_rule",
            "landlock_restrict_self")


class Booted:
    """The root booted by systemd-nspawn, with a network of its own
    (loopback only); commands enter its namespaces with nsenter."""

    systemd = True

    def __init__(self, root, log):
        self.root = root
        self.name = "popdtest-%d" % os.getpid()
        self.log = log
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "-q", "-D", root.path, "-b",
             "--register=no", "--keep-unit", "--private-network",
             "--console=pipe", "-M", self.name,
             "--system-call-filter=" + " ".join(LANDLOCK)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=T._die_with_harness)
        self.leader = None
        try:
            self.boot()
        except BaseException:
            self.close()
            raise

    def boot(self):
        deadline = time.monotonic() + 30
        while self.leader is None:
            if self.proc.poll() is not None:
                raise BootFailed("systemd-nspawn exited %d"
                                 % self.proc.returncode)
            if time.monotonic() > deadline:
                raise BootFailed("no systemd in the container after 30 s")
            for pid in T.proc_children().get(self.proc.pid, []):
                if T.proc_comm(pid) == "systemd":
                    self.leader = pid
            time.sleep(0.2)
        # Until systemd listens on its socket, systemctl cannot ask.
        deadline = time.monotonic() + 120
        while True:
            r = subprocess.run(self.enter(["systemctl", "is-system-running",
                                           "--wait"]),
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=120)
            boot = r.stdout.decode(errors="replace").strip()
            if boot in ("running", "degraded"):
                break
            if "Failed to connect to bus" not in boot or \
                    time.monotonic() > deadline or \
                    self.proc.poll() is not None:
                raise BootFailed("systemctl is-system-running: %r" % boot)
            time.sleep(0.3)
        self.boot_state = boot

    def enter(self, argv, net_only=False):
        if net_only:
            return ["nsenter", "-t", str(self.leader), "-n"] + argv
        return ["nsenter", "-t", str(self.leader), "-m", "-u", "-i", "-n",
                "-p", "-r", "-w", "env", "-i", PATH, "LC_ALL=C.UTF-8",
                "DEBIAN_FRONTEND=noninteractive"] + argv

    def run(self, argv, what, **kw):
        return sh(self.enter(argv), what, **kw)

    def net(self, argv, what, **kw):
        return sh(self.enter(argv, net_only=True), what, **kw)

    def start(self):
        self.run(["systemctl", "start", "popd"], "systemctl start popd")

    def restart(self):
        self.run(["systemctl", "restart", "popd"], "systemctl restart popd")

    def reload(self):
        return self.run(["systemctl", "reload", "popd"],
                        "systemctl reload popd")

    def stop(self):
        self.run(["systemctl", "stop", "popd"], "systemctl stop popd")

    def main_pid(self):
        out = self.run(["systemctl", "show", "-p", "MainPID", "--value",
                        "popd"], "systemctl show MainPID")
        return int(out.strip() or 0)

    def active(self):
        return self.run(["systemctl", "is-active", "popd"],
                        "systemctl is-active popd", ok=(0, 3)).strip()

    def install(self, deb, what):
        # Offline: what apt needs from the archive was downloaded.
        return self.run(["apt-get", "install", "-y", "-q", "/root/" +
                         os.path.basename(deb)], what, timeout=300)

    def apt(self, argv, what):
        return self.run(["apt-get", "-y", "-q"] + argv, what, timeout=300)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)   # halts the container
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        shutil.rmtree("/run/systemd/nspawn/propagate/" + self.name,
                      ignore_errors=True)


class Chrooted:
    """No systemd: the unit's own commands, run in the chroot, popd in a
    network namespace of its own (held by a sleeping unshare)."""

    systemd = False

    def __init__(self, root):
        self.root = root
        self.popd = None
        self.holder = subprocess.Popen(
            ["unshare", "--net", "--", "sleep", "3600"],
            stdin=subprocess.DEVNULL, preexec_fn=T._die_with_harness)
        mine = os.readlink("/proc/self/ns/net")
        T.wait_for(lambda: os.readlink("/proc/%d/ns/net" % self.holder.pid)
                   != mine, 10, "a network namespace")
        sh(["nsenter", "-t", str(self.holder.pid), "-n", "ip", "link",
            "set", "lo", "up"], "loopback up")
        root.mount_proc()

    def enter(self, argv, net_only=False):
        pre = ["nsenter", "-t", str(self.holder.pid), "-n"]
        if net_only:
            return pre + argv
        return pre + ["chroot", self.root.path, "env", "-i", PATH,
                      "LC_ALL=C.UTF-8", "DEBIAN_FRONTEND=noninteractive"] + \
            argv

    def run(self, argv, what, **kw):
        return sh(self.enter(argv), what, **kw)

    def net(self, argv, what, **kw):
        return sh(self.enter(argv, net_only=True), what, **kw)

    def unit(self, key):
        return [ln.split("=", 1)[1] for ln in
                self.root.read("/lib/systemd/system/popd.service")
                .splitlines() if ln.startswith(key + "=")]

    def start(self):
        for cmd in self.unit("ExecStartPre"):
            self.run(shlex.split(cmd), "ExecStartPre " + cmd)
        self.popd = subprocess.Popen(
            self.enter(shlex.split(self.unit("ExecStart")[0])),
            stdin=subprocess.DEVNULL, preexec_fn=T._die_with_harness)

    def stop(self):
        if self.popd is not None and self.popd.poll() is None:
            self.popd.terminate()
            try:
                self.popd.wait(20)
            except subprocess.TimeoutExpired:
                self.popd.kill()
                self.popd.wait(10)
        self.popd = None

    def restart(self):
        self.stop()
        self.start()

    def reload(self):
        return self.run(shlex.split(self.unit("ExecReload")[0]),
                        "ExecReload")

    def main_pid(self):
        return self.popd.pid if self.popd is not None else 0

    def active(self):
        return "active" if self.popd is not None and \
            self.popd.poll() is None else "inactive"

    def install(self, deb, what):
        return self.root.chroot(["apt-get", "install", "-y", "-q", "/root/" +
                                 os.path.basename(deb)], what, timeout=600)

    def apt(self, argv, what):
        self.stop()     # prerm would have stopped it
        return self.root.chroot(["apt-get", "-y", "-q"] + argv, what,
                                timeout=300)

    def close(self):
        self.stop()
        if self.holder.poll() is None:
            self.holder.kill()
            self.holder.wait(10)


def expect_active(c, what):
    """popd.service active within 20 s, or its status and journal."""
    deadline = time.monotonic() + 20
    while c.active() != "active":
        if time.monotonic() > deadline:
            why = c.active()
            if c.systemd:
                why += "\n" + c.run(["systemctl", "status", "--no-pager",
                                     "-l", "popd"], "status", ok=range(256))
                why += "\n" + c.run(["journalctl", "--no-pager", "-n", "30"],
                                    "journal", ok=range(256))
            raise AssertionError("%s: popd.service %s" % (what, why))
        time.sleep(0.2)


def pop(c, port, user="nobody", pw="x", up=True):
    """A POP3S session on 127.0.0.1:port in the container's network:
    its greeting, certificate and STAT (or the login's -ERR); when up,
    retried until popd answers (20 s)."""
    deadline = time.monotonic() + 20
    while True:
        out = json.loads(c.net([sys.executable, "-c", CLIENT, "127.0.0.1",
                                str(port), user, pw], "POP3S client"))
        if "error" not in out or not up or time.monotonic() > deadline:
            return out
        time.sleep(0.3)


def stat(c, port, what):
    """carol's STAT message count over POP3S on port."""
    out = pop(c, port, "carol", "carol-pw")
    if "stat" not in out:
        raise AssertionError("%s: carol's login on port %d: %r"
                             % (what, port, out))
    return out["stat"][0]


def getent(c, db, name):
    return c.run(["getent", db, name], "getent %s %s" % (db, name),
                 ok=(0, 2)).strip()


def pem_body(pem):
    return "".join(ln for ln in pem.strip().splitlines()
                   if not ln.startswith("-----"))


def check_installed(c, root, v):
    """Everything the package puts on the system, and nothing more."""
    for f in ("/usr/sbin/popd", "/usr/sbin/popdpass", "/usr/sbin/popctl",
              "/usr/libexec/popd/listener", "/usr/libexec/popd/lmtp",
              "/usr/libexec/popd/control",
              "/usr/libexec/popd/authpop", "/usr/libexec/popd/wrkrpop",
              "/usr/libexec/popd/mda", "/usr/libexec/popd/dlvrpop",
              "/usr/libexec/popd/tablepop", "/usr/libexec/popd/routepop",
              "/usr/libexec/popd/keypop", "/usr/libexec/popd/authcheck",
              "/usr/libexec/popd/confpop"):
        T.expect_true(os.access(root.file(f), os.X_OK), "installed " + f)
    for f in ("/usr/share/man/man8/popd.8.gz",
              "/usr/share/man/man5/popd.conf.5.gz",
              "/usr/share/man/man8/popdpass.8.gz",
              "/usr/share/doc/popd/copyright"):
        T.expect_true(os.path.exists(root.file(f)), "installed " + f)
    # debian/docs: the map, the security model and the walkthroughs
    # (dh_compress may have compressed the larger ones).
    for f in ["README.md", "SECURITY.md"] + sorted(
            os.path.join("doc", d) for d in os.listdir(
                os.path.join(T.REPO, "doc")) if d.endswith(".md")):
        f = "/usr/share/doc/popd/" + f
        T.expect_true(os.path.exists(root.file(f)) or
                      os.path.exists(root.file(f + ".gz")), "installed " + f)
    with open(os.path.join(T.REPO, "debian", "popd.conf")) as f:
        T.expect(root.read("/etc/popd.conf"), f.read(),
                 "/etc/popd.conf as shipped")
    unit = root.read("/lib/systemd/system/popd.service")
    for ln in ("ExecStartPre=/usr/sbin/popd -n -f /etc/popd.conf",
               "ExecStart=/usr/sbin/popd -F -f /etc/popd.conf",
               "ExecReload=/usr/sbin/popctl reload", "NoNewPrivileges=yes",
               "ProtectSystem=full"):
        T.expect_true(ln in unit.splitlines(), "the unit has " + ln, unit)
    T.expect_true(os.path.islink(root.file(
        "/etc/systemd/system/multi-user.target.wants/popd.service")),
        "popd.service enabled")
    jail = root.read("/etc/fail2ban/jail.d/popd.conf")
    T.expect_true(re.search(r"^enabled\s*=\s*false$", jail, re.M) and
                  "[popd]" in jail, "the jail inactive", jail)
    T.expect_true("failregex" in root.read(
        "/etc/fail2ban/filter.d/popd.conf"), "the fail2ban filter")
    conffiles = c.run(["dpkg-query", "-W", "-f", "${Conffiles}", "popd"],
                      "dpkg-query Conffiles")
    for f in ("/etc/popd.conf", "/etc/fail2ban/jail.d/popd.conf",
              "/etc/fail2ban/filter.d/popd.conf"):
        T.expect_true(" %s " % f in conffiles, f + " a conffile", conffiles)
    T.expect(c.run(["dpkg-query", "-W", "-f", "${Version}", "popd"],
                   "dpkg-query Version"), v, "the installed version")
    for u in USERS:
        pw = getent(c, "passwd", u).split(":")
        T.expect(pw[5:], [CHROOTDIR, "/usr/sbin/nologin"],
                 u + "'s home and shell")
        T.expect_true(0 < int(pw[2]) < 1000, u + " a system user", pw)
        T.expect_true(getent(c, "group", u) != "", u + "'s group")
    st = os.stat(root.file(CHROOTDIR))
    T.expect((st.st_uid, oct(st.st_mode & 0o7777), os.listdir(
        root.file(CHROOTDIR))), (0, "0o755", []), CHROOTDIR)
    for t, mode in (("authtab", 0o600), ("usertab", 0o644)):
        st = os.stat(root.file("/etc/popd/" + t))
        T.expect((st.st_size, oct(st.st_mode & 0o7777)), (0, oct(mode)),
                 "/etc/popd/%s: empty, mode" % t)
    out = c.run(["popd", "-n", "-f", "/etc/popd.conf"], "popd -n")
    T.expect(out.strip(), "configuration OK", "popd -n on a fresh install")


def check_serves_nobody(c, root):
    out = pop(c, 995)
    T.expect_true(out.get("greeting", "").startswith("+OK"),
                  "a POP3S greeting on port 995", out)
    T.expect_true(out.get("login", "").startswith("-ERR"),
                  "nobody logs in with empty tables", out)
    T.expect(pem_body(out["cert"]), pem_body(root.read(
        "/etc/ssl/certs/ssl-cert-snakeoil.pem")), "the snakeoil certificate")


def check_unit_confined(c):
    """The unit's hardening holds for popd's processes (read in the
    container: /proc there is the container's)."""
    pid = c.main_pid()
    T.expect_true(pid > 0, "popd.service has a main process")
    status = c.run(["cat", "/proc/%d/status" % pid], "popd's status")
    fields = dict(ln.split(":", 1) for ln in status.splitlines()
                  if ":" in ln)
    T.expect(fields["NoNewPrivs"].strip(), "1", "NoNewPrivileges")
    # CAP_CHOWN 0, DAC_OVERRIDE 1, DAC_READ_SEARCH 2, KILL 5, SETGID 6,
    # SETUID 7, SETPCAP 8 (child.c's SECBIT_NOROOT), NET_BIND_SERVICE 10,
    # SYS_CHROOT 18.
    want = sum(1 << b for b in (0, 1, 2, 5, 6, 7, 8, 10, 18))
    T.expect(int(fields["CapBnd"], 16), want, "the capability bounding set")
    log = c.run(["journalctl", "-u", "popd", "--no-pager", "-o", "cat"],
                "journalctl -u popd")
    T.expect_true(re.search(r"popd \S+ started: .*privilege separation by "
                            r"uid", log), "popd's start in the journal", log)


@T.test(start=False, timeout=560)
def package_lifecycle(srv):
    need_tools()
    if "one" not in state:
        raise AssertionError("deb_builds_lintian_clean built no package")
    v = T.version()
    one, two = state["one"], state["two"]
    work = state["work"]
    t0 = time.monotonic()
    root = c = None
    log = open(os.path.join(work, "nspawn.log"), "wb")
    try:
        root = make_root(os.path.join(work, "root"))
        shutil.copy("/etc/resolv.conf", root.file("/etc/resolv.conf"))
        shutil.copy(one["deb"], root.file("/root"))
        root.mount_proc()
        root.chroot(["apt-get", "update", "-q"], "apt-get update",
                    timeout=600)
        # What apt install needs from the archive, fetched while the
        # root has the host's network.
        root.chroot(["apt-get", "install", "-y", "-q", "--download-only",
                     "/root/" + os.path.basename(one["deb"])],
                    "apt-get install --download-only", timeout=600)
        step("apt-get update, dependencies downloaded", t0)
        if os.environ.get("POPDTEST_DEB_CHROOT"):
            c = Chrooted(root)
        else:
            root.umount()
            try:
                c = Booted(root, log)
                step("booted (systemd-nspawn: %s)" % c.boot_state, t0)
            except BootFailed as e:
                log.flush()
                with open(log.name, errors="replace") as f:
                    why = tail(f.read(), 5)
                print("# systemd-nspawn cannot boot the root here (%s: %s):"
                      " the unit's commands run in the chroot" % (e, why))
                if c is not None:
                    c.close()
                c = Chrooted(root)

        # apt-get install: dependencies from the archive, popd started.
        out = c.install(one["deb"], "apt-get install popd")
        T.expect_true(("popd: running, started by systemd (popd.service)"
                       if c.systemd else "popd: not started: this host runs "
                       "no systemd; start /usr/sbin/popd") in out,
                      "the postinst says how popd was started", out)
        if not c.systemd:
            c.start()
        step("apt-get install popd_%s-1" % v, t0)
        check_installed(c, root, v + "-1")
        expect_active(c, "after apt install")
        check_serves_nobody(c, root)
        if c.systemd:
            check_unit_confined(c)
        step("installed, started, serving nobody", t0)

        # INSTALL.md's three lines, and a message from the packaged mda.
        c.run(["adduser", "--disabled-password", "--gecos", "", "carol"],
              "adduser carol")
        c.run(["sh", "-c", "printf '%s\\n' carol-pw | "
               "popdpass -s carol >>/etc/popd/authtab"], "popdpass")
        c.run(["sh", "-c", 'echo "carol $(id -u carol):$(id -g carol):'
               '/home/carol" >>/etc/popd/usertab'], "usertab line")
        c.reload()
        with open(root.file("/root/message"), "w") as f:
            f.write("Subject: packaged\n\nDelivered by the package's mda.\n")
        c.run(["sh", "-c", "runuser -u carol -- /usr/libexec/popd/mda "
               "/home/carol/Maildir </root/message"], "mda")
        T.expect(stat(c, 995, "README"), 1,
                 "carol's STAT after INSTALL.md's three lines")
        step("a user added as INSTALL.md says, STAT", t0)

        # The admin's edit, kept by the upgrade.
        conf = root.read("/etc/popd.conf")
        T.expect_true("\nlisten on * tls\n" in conf, "listen on * tls")
        with open(root.file("/etc/popd.conf"), "w") as f:
            f.write(conf.replace(
                "\nlisten on * tls\n",
                "\n# the admin: loopback only, another port\n"
                "listen on 127.0.0.1 port %d tls\n" % PORT))
        edited = root.read("/etc/popd.conf")
        c.restart()
        expect_active(c, "after the admin's edit")
        T.expect(stat(c, PORT, "edited"), 1,
                 "carol's STAT on the admin's port")
        T.expect_true("error" in pop(c, 995, up=False),
                      "port 995 closed after the admin's edit")
        proc2, log2 = state["build2"]
        try:
            rc = proc2.wait(max(1, 500 - (time.monotonic() - t0)))
        except subprocess.TimeoutExpired:
            proc2.kill()
            rc = "timeout"
        log2.close()
        with open(log2.name, errors="replace") as f:
            T.expect(rc, 0, "make deb of %s-2: %s" % (v, tail(f.read())))
        step("admin's edit; %s-2 built" % v, t0)
        shutil.copy(two["deb"], root.file("/root"))
        pid = c.main_pid()
        c.install(two["deb"], "apt-get install popd_%s-2" % v)
        if not c.systemd:
            c.restart()
        expect_active(c, "after the upgrade")
        T.expect(c.run(["dpkg-query", "-W", "-f", "${Version}", "popd"],
                       "dpkg-query Version"), v + "-2", "upgraded")
        T.expect(root.read("/etc/popd.conf"), edited,
                 "the admin's /etc/popd.conf after the upgrade")
        T.expect(glob.glob(root.file("/etc/popd.conf.dpkg-*")), [],
                 "no .dpkg-new or .dpkg-dist next to it")
        T.expect_true(c.main_pid() not in (0, pid),
                      "popd restarted by the upgrade")
        T.expect(stat(c, PORT, "upgraded"), 1,
                 "carol's STAT after the upgrade")
        step("upgraded to %s-2, edit kept" % v, t0)

        # remove: popd stopped, the admin's files and the users kept.
        c.apt(["remove", "popd"], "apt-get remove popd")
        T.expect(c.active(), "inactive", "popd.service after remove")
        T.expect_true(not os.path.exists(root.file("/usr/sbin/popd")),
                      "/usr/sbin/popd removed")
        T.expect(root.read("/etc/popd.conf"), edited,
                 "/etc/popd.conf kept by remove")
        for u in USERS:
            T.expect_true(getent(c, "passwd", u), u + " kept by remove")
        # purge: what the package made and holds no mail goes.
        out = c.apt(["purge", "popd"], "apt-get purge popd")
        T.expect(re.findall(r"^popd: .* kept: [^\r\n]*", out, re.M), [],
                 "purge keeps none of the users it made")
        for f in ("/etc/popd.conf", "/etc/fail2ban/jail.d/popd.conf",
                  "/etc/fail2ban/filter.d/popd.conf", "/var/lib/popd",
                  "/etc/systemd/system/multi-user.target.wants/"
                  "popd.service"):
            T.expect_true(not os.path.lexists(root.file(f)),
                          f + " gone after purge")
        for u in USERS:
            T.expect(getent(c, "passwd", u), "", u + " gone after purge")
            T.expect(getent(c, "group", u), "", u + "'s group gone")
        T.expect_true(re.match(r"carol\s+\$2b\$",
                               root.read("/etc/popd/authtab")),
                      "authtab with a user kept by purge")
        T.expect_true(root.read("/etc/popd/usertab").startswith("carol "),
                      "usertab with a user kept by purge")
        T.expect(len(os.listdir(root.file("/home/carol/Maildir/new")) +
                     os.listdir(root.file("/home/carol/Maildir/cur"))), 1,
                 "carol's maildir kept by purge")
        step("removed, purged", t0)

        # Again, and purged with empty tables: those go too; an
        # install never overwrites tables that are there.
        tables = root.read("/etc/popd/authtab")
        c.run(["dpkg", "-i", "/root/" + os.path.basename(two["deb"])],
              "dpkg -i again", timeout=300)
        T.expect(root.read("/etc/popd/authtab"), tables,
                 "an install leaves the authtab it finds")
        for t in ("authtab", "usertab"):
            open(root.file("/etc/popd/" + t), "w").close()
        # A process still runs as _pop3auth: that user stays.
        c.run(["start-stop-daemon", "--start", "--background",
               "--chuid", "_pop3auth", "--make-pidfile", "--pidfile",
               "/run/inuse.pid", "--exec", "/usr/bin/sleep", "--", "600"],
              "a process as _pop3auth")
        inuse = c.run(["cat", "/run/inuse.pid"], "its pid").strip()
        out = c.apt(["purge", "popd"], "apt-get purge popd (empty tables)")
        T.expect_true(not os.path.lexists(root.file("/etc/popd")),
                      "/etc/popd with empty tables gone after purge")
        T.expect(re.findall(r"^popd: .* kept: [^\r\n]*", out, re.M),
                 ["popd: user _pop3auth kept: in use by process " + inuse],
                 "purge keeps the user in use, and says why")
        T.expect_true(getent(c, "passwd", "_pop3auth"),
                      "_pop3auth, in use, kept by purge")
        for u in ("_pop3d", "_pop3table"):
            T.expect(getent(c, "passwd", u), "", u + " gone after purge")
        c.run(["sh", "-c", "kill " + inuse], "the process as _pop3auth ended")
        c.run(["userdel", "_pop3auth"], "userdel _pop3auth")
        c.run(["sh", "-c", "! getent group _pop3auth || groupdel _pop3auth"],
              "groupdel _pop3auth")
        step("installed again, purged with empty tables, a user in use", t0)

        # Users there before (a source install's make install,
        # popd/mkusers.sh), and a host without systemd (a chroot: no
        # /run/systemd/system there): the package takes them as they
        # are, says it started nothing, and its purge keeps them.
        shutil.copy(os.path.join(T.REPO, "popd", "mkusers.sh"),
                    root.file("/root"))
        c.run(["sh", "/root/mkusers.sh"], "popd/mkusers.sh")
        before = {u: getent(c, "passwd", u) for u in USERS}
        out = root.chroot(["dpkg", "-i", "/root/" +
                           os.path.basename(two["deb"])],
                          "dpkg -i without systemd", timeout=300)
        T.expect_true("popd: not started: this host runs no systemd; "
                      "start /usr/sbin/popd" in out,
                      "the postinst says popd was not started", out)
        out = c.apt(["purge", "popd"], "apt-get purge popd (users before)")
        T.expect(sorted(re.findall(r"^popd: .* kept: [^\r\n]*", out, re.M)),
                 sorted("popd: user %s kept: the package did not make it"
                        % u for u in USERS), "purge names the users kept")
        T.expect({u: getent(c, "passwd", u) for u in USERS}, before,
                 "the users there before the package, after its purge")
        for u in USERS:
            T.expect_true(getent(c, "group", u), u + "'s group kept")
        step("users there before: kept by purge", t0)
    finally:
        if c is not None:
            c.close()
        log.close()
        if root is not None:
            root.remove()
        if "build2" in state and state["build2"][0].poll() is None:
            state["build2"][0].kill()
            state["build2"][0].wait()
        if "build_root" in state:
            state.pop("build_root").remove()
        shutil.rmtree(work, ignore_errors=True)
        step("cleaned up", t0)


if __name__ == "__main__":
    T.main()
