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

"""popd's command line and configuration checks: addresses (IPv4, IPv6,
several -l, listen on * on a host without IPv6: served on IPv4, said in
the log), Landlock refused with EPERM (popd does not start and says
what to do), and bad tables or flags refusing startup with a clear
message naming file:line, before anything listens."""

import grp
import os
import poplib
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402


def run_popd(args, timeout=10):
    """Run popd in the foreground expecting it to refuse to start."""
    r = subprocess.run([T.POPD, "-d"] + args, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace")


def base_args(srv, listen=None):
    return ["-a", srv.authtab, "-u", srv.usertab, "-c", srv.cert,
            "-k", srv.key, "-l", listen or "127.0.0.1:%d" % T.free_port()]


def have_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


@T.test(start=False)
def ipv6_and_two_addresses(srv):
    if not have_ipv6():
        raise T.Skip("no IPv6 on the loopback interface")
    p6 = T.free_port()
    srv.extra_args = ["-l", "[::1]:%d" % p6]
    srv.start()
    raw = T.Raw(p6, host="::1")
    T.expect(raw.line()[:3], b"+OK", "greeting on [::1]")
    T.expect(raw.cmd(b"USER alice")[:3], b"+OK", "USER on [::1]")
    T.expect(raw.cmd(b"PASS pw1")[:3], b"+OK", "PASS on [::1]")
    T.expect(raw.cmd(b"QUIT")[:3], b"+OK", "QUIT on [::1]")
    raw.close()
    p = srv.pop("alice")     # the IPv4 address still works
    p.quit()


# The kernel's answers popd must meet, where this machine's kernel does
# not give them: a seccomp filter installed before popd is exec'd (its
# processes inherit it across fork and exec, as they would inherit the
# kernel or a container's filter), as root, so without no_new_privs.
# Per arch: AUDIT_ARCH and the system call numbers.
ARCH = {"x86_64": (0xc000003e, {"socket": 41,
                                "landlock_create_ruleset": 444}),
        "aarch64": (0xc00000b7, {"socket": 198,
                                 "landlock_create_ruleset": 444})}


def seccomp_errno(call, errno, arg0=None):
    """In a preexec_fn: call (with args[0] == arg0, if given) fails with
    errno; every other call is left alone."""
    import ctypes
    arch, nrs = ARCH[os.uname().machine]
    ld, jeq, ret = 0x20, 0x15, 0x06     # BPF_LD|W|ABS, JMP|JEQ|K, RET|K

    class Insn(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                    ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort),
                    ("filter", ctypes.POINTER(Insn))]

    # seccomp_data: nr at 0, arch at 4, args[0]'s low half at 16.  The
    # jumps' false branch skips to the last instruction, RET_ALLOW.
    code = [(ld, 0, 0, 4), (jeq, 0, 3, arch), (ld, 0, 0, 0),
            (jeq, 0, 1, nrs[call])]
    if arg0 is not None:
        code = [(ld, 0, 0, 4), (jeq, 0, 5, arch), (ld, 0, 0, 0),
                (jeq, 0, 3, nrs[call]), (ld, 0, 0, 16), (jeq, 0, 1, arg0)]
    code += [(ret, 0, 0, 0x00050000 | errno),      # RET_ERRNO
             (ret, 0, 0, 0x7fff0000)]              # RET_ALLOW
    insns = (Insn * len(code))(*[Insn(*i) for i in code])
    prog = Prog(len(code), insns)
    libc = ctypes.CDLL(None, use_errno=True)
    # prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)
    if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:
        os._exit(99)


def need_seccomp_arch():
    if os.uname().machine not in ARCH:
        raise T.Skip("no seccomp filter written for %s" %
                     os.uname().machine)


# A kernel without IPv6 (built without it, or booted with
# ipv6.disable=1) answers socket(AF_INET6, ...) with EAFNOSUPPORT.  A
# network namespace cannot take IPv6 away that far: with disable_ipv6
# on every interface, lo included, socket(AF_INET6) and bind("::")
# still succeed.
def deny_ipv6_sockets():
    seccomp_errno("socket", 97, socket.AF_INET6)        # EAFNOSUPPORT


LOGIN4 = r"""
import poplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3_SSL("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=10)
p.user(sys.argv[2])
p.pass_(sys.argv[3])
print(p.stat()[0])
p.quit()
"""


@T.test(start=False)
def listen_any_without_ipv6(srv):
    """listen on * in a network namespace with IPv6 disabled on every
    interface and popd's sockets refused IPv6 as a kernel without it
    refuses them: popd serves IPv4 (alice logs in over 127.0.0.1) and
    logs that it serves IPv4 only."""
    T.need_root()
    T.need_prog("ip", "iproute2")
    need_seccomp_arch()
    ns = "popdtest-noip6-%d-%d" % (os.getpid(), T.free_port())
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        def in_ns(argv, **kw):
            return subprocess.run(["ip", "netns", "exec", ns] + argv,
                                  stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=30, **kw)
        in_ns(["ip", "link", "set", "lo", "up"], check=True)
        for i in ("all", "default", "lo"):
            in_ns(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % i],
                  check=True)
        srv.port = 995          # the namespace's own ports: all free
        text, _ = srv.config()
        text = text.replace("listen on %s port 995 tls" % T.HOST,
                            "listen on * port 995 tls")
        srv._write(srv.conffile, text, 0o644)
        srv.logf = open(srv.logfile, "ab")
        srv.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, T.POPD, "-d", "-v", "-f",
             srv.conffile], cwd=T.REPO, stdin=subprocess.DEVNULL,
            stdout=srv.logf, stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda: (T._die_with_harness(), deny_ipv6_sockets()))
        srv.running = True
        T.wait_for(lambda: "started:" in srv.log() or
                   srv.proc.poll() is not None, 15, "popd's start")
        T.expect(srv.proc.poll(), None, "popd runs:\n" + srv.log_tail())
        T.expect_true(re.search(r"popd\.conf:\d+: listen on \*: no IPv6 on "
                                r"this host \(Address family not supported "
                                r"by protocol\), serving IPv4 only",
                                srv.log()), "the log says IPv4 only",
                      srv.log_tail())
        for _ in range(50):
            r = in_ns(["python3", "-c", LOGIN4, "995", "alice",
                       srv.password("alice")])
            if r.returncode == 0 or "Connection refused" not in \
                    r.stdout.decode(errors="replace"):
                break
            time.sleep(0.1)
        T.expect((r.returncode, r.stdout.decode(errors="replace").strip()),
                 (0, "0"), "alice's login and STAT over 127.0.0.1")
        listening = in_ns(["ss", "-Hltn"]).stdout.decode()
        T.expect_true("0.0.0.0:995" in listening and
                      ":::995" not in listening and
                      "[::]:995" not in listening,
                      "IPv4 only in the namespace", listening)
        T.expect(srv.stop(), 0, "popd's exit at SIGTERM")
    finally:
        srv.stop()
        subprocess.run(["ip", "netns", "del", ns])


@T.test(start=False)
def landlock_refused_stops_popd(srv):
    """A kernel with Landlock that refuses it to popd with EPERM (what
    systemd-nspawn 252's filter does): popd does not start, exits 1,
    and its message says what to do, as popd.8 does."""
    need_seccomp_arch()
    import ctypes
    # landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)
    if ctypes.CDLL(None).syscall(ARCH[os.uname().machine][1][
            "landlock_create_ruleset"], None, 0, 1) < 1:
        raise T.Skip("this kernel has no Landlock to refuse")
    srv.port = T.free_port()
    r = subprocess.run(srv.argv(), cwd=T.REPO, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30, preexec_fn=lambda: seccomp_errno(
                           "landlock_create_ruleset", 1))      # EPERM
    out = r.stdout.decode(errors="replace")
    T.expect(r.returncode, 1, "popd's exit status:\n" + out)
    T.expect_true(re.search(r"landlock_create_ruleset: Operation not "
                            r"permitted: Landlock is refused to popd .*"
                            r"allow landlock_create_ruleset, "
                            r"landlock_add_rule and landlock_restrict_self, "
                            r"or run popd on the host", out),
                  "the message says what to do", out)
    T.expect_true("started" not in out, "no child, no start", out)


@T.test(start=False)
def no_setpcap_serves(srv):
    """Issue 88: without CAP_SETPCAP (a container's capabilities, a
    systemd unit's CapabilityBoundingSet that lacks it) popd starts,
    says so, and a mail user's wrkrpop runs with the user's ids and no
    capability at all: it drops root's real uid itself, then proves it
    holds none.  Before, popd refused to start."""
    T.need_root()
    argv = srv.argv
    srv.argv = lambda: ["setpriv", "--bounding-set=-setpcap"] + argv()
    srv.start()
    p = srv.pop("alice", "pw1")
    try:
        pid = T.wait_for(lambda: srv.pids()["wrkrpop"], 5, "wrkrpop")[0]
        st = T.proc_status(pid)
        T.expect(st["Uid"], [srv.uid("alice")] * 4, "wrkrpop's uids")
        T.expect((st["CapPrm"], st["CapEff"]), ("0" * 16, "0" * 16),
                 "wrkrpop's capabilities")
    finally:
        p.quit()
    T.expect_true("no CAP_SETPCAP: mail users' processes drop root's real "
                  "uid themselves" in srv.log(), "the log says so",
                  srv.log()[-600:])


def refused_with(srv, table, extra, want):
    """Append extra to a table; popd must refuse to start, saying want."""
    with open(table) as f:
        text = f.read()
    with open(table, "w") as f:
        f.write(text + extra)
    rc, out = run_popd(base_args(srv))
    T.expect(rc, 1, "exit status")
    T.expect_true(want in out, "file:line reason", out)
    return out


@T.test(start=False)
def bad_usertab_lines_refuse_their_users(srv):
    """A usertab line popd refuses names its user alone (issue 85 G2):
    popd -n says file:line and who cannot log in, and passes; a line
    that names no user still refuses the start."""
    with open(srv.usertab) as f:
        text = f.read()
    with open(srv.usertab, "w") as f:
        f.write(text + "# root is refused\n\nroot 0:0:/root\n"
                "carol 1000:1000:home/carol\n")
    rc, out = srv.check_config()
    T.expect(rc, 0, "popd -n: " + out)
    for want in ("%s:5: uid and gid 0 are refused: root cannot log in",
                 '%s:6: path "home/carol" is not absolute: carol cannot '
                 "log in"):
        T.expect_true(want % srv.usertab in out, "named", (want, out))
    refused_with(srv, srv.usertab, "ro/ot 1:1:/root\n",
                 '%s:7: invalid user name "ro/ot"' % srv.usertab)


@T.test(start=False)
def system_group_refused(srv):
    """Issue 85 G4: a mail user whose primary group is a system group
    (below gid 1000) or one of refuse groups (adm reads the logs, disk
    the raw disks; here also a group of gid >= 1000 named there) is
    refused by name at load, and the others serve: a session would run
    with that group.  refuse groups none leaves the gid rule."""
    uid = srv.uid("alice")
    mine = grp.getgrgid(srv.gid("bob"))
    adm, mail = grp.getgrnam("adm").gr_gid, grp.getgrnam("mail").gr_gid
    with open(srv.usertab, "a") as f:
        f.write("carol %d:%d:/h/carol\ndave %d:%d:/h/dave\n"
                "erin %d:%d:/h/erin\n" % (uid, adm, uid, mine.gr_gid,
                                           uid, mail))
    srv.conf_extra = "refuse groups disk adm %s\n" % mine.gr_name
    rc, out = srv.check_config()
    T.expect(rc, 0, "popd -n: " + out)
    for who, why in (("carol", "gid %d, the group adm of refuse groups"
                      % adm),
                     ("dave", "gid %d, the group %s of refuse groups"
                      % (mine.gr_gid, mine.gr_name)),
                     ("erin", "gid %d, a system group's (below 1000)"
                      % mail)):
        T.expect_true('"%s" has %s: %s cannot log in' % (who, why, who)
                      in out, who + " named", out)
    T.expect_true('"alice" has' not in out, "alice is not named", out)
    srv.conf_extra = "refuse groups none\n"
    rc, out = srv.check_config()
    T.expect_true('"dave" has' not in out and '"carol" has gid %d, a '
                  "system group's" % adm in out, "none: the gid rule "
                  "alone", out)
    # Bob is refused, alice serves.
    srv.conf_extra = "refuse groups %s\n" % mine.gr_name
    srv.start()
    try:
        srv.pop("bob", "pw2").quit()
        T.expect_true(False, "bob refused", "bob logged in")
    except poplib.error_proto as e:
        T.expect_true(e.args[0].startswith(b"-ERR"), "bob refused", e)
    srv.pop("alice", "pw1").quit()


@T.test(start=False)
def authtab_user_missing_from_usertab(srv):
    refused_with(srv, srv.authtab, "dave %s\n" % T.make_hash("pw"),
                 ":3: user \"dave\" is not in %s" % srv.usertab)


@T.test(start=False)
def bad_hash_refuses_start_without_leaking_it(srv):
    out = refused_with(srv, srv.authtab, "carol s3cretpassw0rd\n",
                       "%s:3:" % srv.authtab)
    T.expect_true("s3cretpassw0rd" not in out, "value not logged", out)


@T.test(start=False)
def bad_flags_print_usage(srv):
    """Each case names the test's own files and control socket: popd
    without -f reads /etc/popd.conf, which a host running popd has
    (issue 86), and would start with it."""
    # No flag, no /etc/popd.conf: in a mount namespace whose /etc is a
    # copy without it.
    etc = os.path.join(srv.tmpdir, "etc")
    subprocess.run(["cp", "-a", "/etc", etc], check=True)
    if os.path.lexists(os.path.join(etc, "popd.conf")):
        os.unlink(os.path.join(etc, "popd.conf"))
    bare = ["unshare", "-m", "--", "sh", "-c",
            'mount --bind "$0" /etc && exec "$@"', etc, T.POPD, "-d"]
    for args in (bare, ["-x"], base_args(srv) + ["extra"],
                 ["-a", srv.authtab, "-u", srv.usertab, "-s",
                  srv.ctlsock]):
        if args is bare:
            r = subprocess.run(bare, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=10)
            rc, out = r.returncode, r.stdout.decode(errors="replace")
        else:
            rc, out = run_popd(args)
        T.expect(rc, 1, "exit status for %r" % args)
        T.expect_true("\nusage: popd" in "\n" + out, "usage line", out)


@T.test(start=False)
def every_program_says_its_version(srv):
    """-V: each program prints "<program> (popd) <version>" (popd itself
    "popd <version>") and exits 0, without a configuration or a channel;
    the usage lines name -V; the parent logs the version at start."""
    v = T.version()
    T.expect_true(v.count(".") == 2 and all(x.isdigit()
                                            for x in v.split(".")),
                  "a version of three numbers", v)
    progs = [([T.POPD, "-V"], "popd " + v),
             ([T.LISTENER, "-V"], "listener (popd) " + v),
             ([T.LMTP, "-V"], "lmtp (popd) " + v),
             ([T.CONTROL, "-V"], "control (popd) " + v),
             ([T.AUTHPOP, "-V"], "authpop (popd) " + v),
             ([T.WRKRPOP, "-V"], "wrkrpop (popd) " + v),
             ([os.path.join(T.REPO, "dlvrpop", "dlvrpop"), "-V"],
              "dlvrpop (popd) " + v),
             ([T.MDA, "-V"], "mda (popd) " + v),
             ([T.POPCTL, "-V"], "popctl (popd) " + v),
             ([os.path.join(T.REPO, "popdpass", "popdpass"), "-V"],
              "popdpass (popd) " + v),
             ([os.path.join(T.REPO, "authcheck", "authcheck"), "-V"],
              "authcheck (popd) " + v),
             ([os.path.join(T.REPO, "keypop", "keypop"), "-V"],
              "keypop (popd) " + v),
             ([T.CONFPOP, "-V"], "confpop (popd) " + v)]
    for argv, want in progs:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=10)
        T.expect((r.returncode, r.stdout.decode(), r.stderr.decode()),
                 (0, want + "\n", ""), " ".join(argv[:3]))
    rc, out = run_popd(["-x"])
    T.expect_true("[-dFmnVv]" in out, "popd's usage names -V", out)
    srv.start()
    srv.wait_log("popd %s started: " % v)


@T.test(start=False)
def bad_address_refused(srv):
    for addr, why in (("[::1", "missing ']'"), ("300.1.1.1:995", ""),
                      ("127.0.0.1:99999", "")):
        rc, out = run_popd(base_args(srv, listen=addr))
        T.expect(rc, 1, "exit status for -l %s" % addr)
        T.expect_true("-l %s" % addr in out and why in out,
                      "message names the address", out)


@T.test(start=False)
def missing_certificate(srv):
    rc, out = run_popd(["-a", srv.authtab, "-u", srv.usertab,
                        "-c", srv.cert + ".nope", "-k", srv.key,
                        "-l", "127.0.0.1:%d" % T.free_port()])
    T.expect(rc, 1, "exit status")
    T.expect_true(srv.cert + ".nope" in out, "names the file", out)


@T.test(start=False)
def bad_certificate_refuses_start(srv):
    with open(srv.key, "w") as f:
        f.write("-----BEGIN PRIVATE KEY-----\ngarbage\n")
    rc, out = run_popd(base_args(srv))
    T.expect(rc, 1, "exit status")
    T.expect_true(srv.key in out, "names the key file", out)


def three_sockets(srv):
    """srv with the control, LMTP and auth-http sockets; their paths."""
    lmtp = os.path.join(srv.tmpdir, "lmtp.sock")
    auth = os.path.join(srv.tmpdir, "auth.sock")
    key = os.path.join(srv.tmpdir, "ticket.key")
    with open(key, "wb") as f:
        f.write(os.urandom(32))
    os.chmod(key, 0o600)
    routes = os.path.join(srv.tmpdir, "routes")
    with open(routes, "w") as f:
        f.write("alice 127.0.0.2\n")
    srv.conf_extra = ('listen on socket "%s" lmtp\n'
                      'listen on socket "%s" auth-http\n'
                      'route "%s" imap 1143\nticket key "%s"\n'
                      % (lmtp, auth, routes, key))
    srv.start()
    paths = [srv.ctlsock, lmtp, auth]
    T.wait_for(lambda: all(os.path.exists(p) for p in paths),
               what="the three sockets")
    return paths


@T.test(start=False)
def sockets_removed_at_sigterm(srv):
    """Issue 37: a clean exit (SIGTERM) removes the sockets popd made."""
    paths = three_sockets(srv)
    T.expect(srv.stop(), 0, "exit status")
    T.expect([p for p in paths if os.path.lexists(p)], [],
             "socket files left")


@T.test(start=False)
def others_files_left_at_sigterm(srv):
    """A socket path that someone replaced meanwhile is not popd's any
    more: a clean exit leaves it alone, and removes the others."""
    paths = three_sockets(srv)
    os.unlink(paths[1])
    with open(paths[1], "w") as f:
        f.write("not popd's\n")
    T.expect(srv.stop(), 0, "exit status")
    T.expect_true(os.path.exists(paths[1]), "the other file kept")
    T.expect([p for p in (paths[0], paths[2]) if os.path.lexists(p)], [],
             "popd's socket files left")


if __name__ == "__main__":
    T.main()
