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

"""popdtest -- harness for the popd integration tests (Python 3 stdlib only).

    import popdtest as T

    @T.test
    def greeting(srv):
        r = srv.raw()
        T.expect(r.line()[:3], b"+OK", "greeting")

    @T.test(users=[("carol", "pw")], subdir="Maildir", extra_args=[])
    def other_config(srv): ...

    @T.test(shared=True)          # reuse one server for the whole file
    def cheap(srv): ...

    @T.test(start=False)          # the test calls srv.start() itself
    def bad_config(srv): ...

    if __name__ == "__main__":
        T.main()                  # or T.main(users=[...], subdir=...)

Each test gets a fresh Server (default users alice/pw1 and bob/pw2) unless
it asks for the shared one.  After the test the harness checks that the
daemon is still alive (parent running and a TLS greeting) unless the test
stopped it itself or said check_alive=False, then stops it.  Output: one
"ok NAME" / "FAIL NAME: why" / "skip NAME: why" line per test and a final
"N passed, N failed, N skipped".  Exit status 1 if anything failed.
A test also fails when the daemon log shows a crash (a process killed by
SIGSYS/SIGSEGV/..., or a supervised child that exited and was restarted)
unless it says allow_crash=True.
Arguments to the test script select tests by name; -v prints the daemon
log of failed tests; POPDTEST_KEEP=1 keeps the temporary directories.

A skip is only for what cannot be done here (not root, no apt-get, no
IPv6 on loopback) and says why.  A program a test needs (curl, nginx,
Dovecot, fail2ban...) is installed with apt-get (need_prog, apt_install);
if it could be installed and was not, the test fails (NotInstalled).

As root the mail users get real distinct uids (system users popdtest1,
popdtest2, ... created when missing) and the daemon runs with full
privilege separation; as non-root everything runs as the current user
and tests that need root call T.need_root().
"""

import collections
import errno
import grp
import os
import resource
import poplib
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POPD = os.path.join(REPO, "popd", "popd")
LISTENER = os.path.join(REPO, "listener", "listener")
LMTP = os.path.join(REPO, "lmtp", "lmtp")
CONTROL = os.path.join(REPO, "control", "control")
AUTHPOP = os.path.join(REPO, "authpop", "authpop")
# popd -n and -m exec it (confpop/).
CONFPOP = os.path.join(REPO, "confpop", "confpop")
# The programs popd runs, each in its folder of the build tree (a test
# that copies the build tree copies these).
PROGRAMS = ("popd", "listener", "lmtp", "control", "authpop", "wrkrpop",
            "dlvrpop", "tablepop", "routepop", "keypop", "authcheck",
            "confpop", "httppop")
WRKRPOP = os.path.join(REPO, "wrkrpop", "wrkrpop")
DLVRPOP = os.path.join(REPO, "dlvrpop", "dlvrpop")
MDA = os.path.join(REPO, "mda", "mda")
POPCTL = os.path.join(REPO, "popctl", "popctl")
MKHASH = os.path.join(REPO, "regress", "mkhash")
MKUSERS = os.path.join(REPO, "popd", "mkusers.sh")


# The build's CHROOTDIR: make openbsd-test's (regress/openbsd/emu.sh) has
# the tmp/ of the port's chroot, for lmtp's shm_mkstemp.
CHROOTDIR = os.environ.get("POPDTEST_CHROOT", "/var/empty")
HOST = "127.0.0.1"
# popd.conf's listeners for every Server: POPDTEST_LISTENERS=2 runs a
# file's tests with two, each client address steered to one of them
# (make test runs the conformance and hostile-client files so too).
LISTENERS = int(os.environ.get("POPDTEST_LISTENERS", "1"))

is_root = os.geteuid() == 0


def lowest_free_fd(pid):
    """The descriptor pid would get next: a limit of it allows no more."""
    fds = set(int(f) for f in os.listdir("/proc/%d/fd" % pid))
    n = 0
    while n in fds:
        n += 1
    return n


def prlimit_as_owner(pid, resource_id, limits):
    """prlimit(2) on pid from a child with pid's uids and gids: root here
    lacks CAP_SYS_RESOURCE (see env), and a process may change the limits
    of its own user's processes.  Returns the old (soft, hard); limits
    None only reads them."""
    st = proc_status(pid)
    uid, gid = st["Uid"][1], st["Gid"][1]
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(r)
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            old = (resource.prlimit(pid, resource_id) if limits is None
                   else resource.prlimit(pid, resource_id, limits))
            os.write(w, ("%d %d" % old).encode())
            os._exit(0)
        except BaseException as e:
            os.write(w, ("error %r" % e).encode())
            os._exit(1)
    os.close(w)
    out = os.read(r, 200).decode()
    os.close(r)
    os.waitpid(child, 0)
    if out.startswith("error"):
        raise AssertionError("prlimit of %d as its owner: %s" % (pid, out))
    soft, hard = out.split()
    return int(soft), int(hard)


def version():
    """popd's version, as common/version.h holds it (and the Makefile
    reads it)."""
    with open(os.path.join(REPO, "common", "version.h")) as f:
        for line in f:
            f = line.split()
            if f[:2] == ["#define", "POPD_VERSION"]:
                return line.split('"')[1]
    raise AssertionError("no POPD_VERSION in common/version.h")

DEFAULT_USERS = [("alice", "pw1"), ("bob", "pw2")]
TEST_TIMEOUT = int(os.environ.get("POPDTEST_TIMEOUT", "180"))


class Skip(Exception):
    """Raised by a test that cannot run here; the reason is printed."""


class NotInstalled(AssertionError):
    """A program a test needs could be installed here and was not: a
    failure, never a skip."""


def need_root():
    if not is_root:
        raise Skip("needs root (real uids and privilege separation)")


# The Debian package of each program the tests run, where the names differ.
PACKAGE_OF = {
    "unshare": "util-linux",
    "fail2ban-regex": "fail2ban",
    "fail2ban-server": "fail2ban",
    "fail2ban-client": "fail2ban",
    "rsyslogd": "rsyslog",
    "smtpd": "opensmtpd",
    "ss": "iproute2",
}


def need_prog(name, package=None):
    """The path of the program name, installed from Debian's package
    (PACKAGE_OF, or the program's name) when missing."""
    return apt_install(package or PACKAGE_OF.get(name, name), name)


def expect(got, want, what):
    if got != want:
        raise AssertionError("%s: expected %r, got %r" % (what, want, got))


def expect_true(cond, what, got=None):
    if not cond:
        if got is None:
            raise AssertionError(what)
        raise AssertionError("%s: got %r" % (what, got))


def wait_for(cond, timeout=10.0, what="condition", interval=0.05):
    """Poll cond() until it is true; return its value or raise."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %gs waiting for %s"
                                 % (timeout, what))
        time.sleep(interval)


def client_ctx(minver=None, maxver=None):
    """A client TLS context that does not verify the throw-away cert."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if minver is not None:
        ctx.minimum_version = minver
    if maxver is not None:
        ctx.maximum_version = maxver
    return ctx


# --- system users (root only) ------------------------------------------

_users_checked = False


def _ensure_daemon_users():
    """The same as popd/mkusers.sh: _pop3d, _pop3auth, _pop3table and
    CHROOTDIR."""
    global _users_checked
    if _users_checked or not is_root:
        return
    _users_checked = True
    if os.path.exists(MKUSERS):
        subprocess.run(["sh", MKUSERS], check=True, cwd=REPO,
                       stdout=subprocess.DEVNULL)
    for name in ("_pop3d", "_pop3auth", "_pop3table"):
        _useradd(name, CHROOTDIR)
    if not os.path.isdir(CHROOTDIR):
        os.mkdir(CHROOTDIR, 0o755)


def _useradd(name, home):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    r = subprocess.run(["useradd", "-r", "-M", "-d", home,
                        "-s", "/usr/sbin/nologin", name],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # Another test run may have created it at the same moment.
        return pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError("useradd %s failed: %s"
                           % (name, r.stdout.decode(errors="replace")))


def daemon_user(name):
    """passwd entry of system user name, with a group of its own (as
    useradd -r makes it on Debian), created if missing.  Root only."""
    return _useradd(name, "/nonexistent")


_HOLDER = r"""
import socket, sys
path, n, send = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode("latin1")
held = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    try:
        s.connect(path)
        if send:
            s.sendall(send)
        d = s.recv(4096)
    except OSError as e:
        d = ("error " + type(e).__name__).encode()
    print(repr(d), flush=True)
    held.append(s)
sys.stdin.read()
"""


class Holder:
    """n connections to the unix socket path, made one after the other
    by a process of uid and gid (no other groups); each sends send (if
    any) and reads what comes first.  got: what each read (b"" when
    closed without a word), in order.  They are held until close()."""

    def __init__(self, path, uid, gid, n, send=b""):
        def pre():
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        self.p = subprocess.Popen(
            ["/usr/bin/python3", "-c", _HOLDER, path, str(n),
             send.decode("latin1")], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, preexec_fn=pre)
        import ast
        self.got = [ast.literal_eval(self.p.stdout.readline().decode())
                    for _ in range(n)]

    def close(self):
        self.p.stdin.close()
        self.p.wait(10)


def mailuser(i):
    """passwd entry of test system user popdtest<i> (i >= 1), created
    if missing, in a group of its own of gid >= 1000: popd refuses a
    system group's (popd.conf(5) refuse groups).  One an older harness
    made (useradd -r, its group's gid below 1000) gets a new gid.  Root
    only."""
    name = "popdtest%d" % i
    try:
        g = grp.getgrnam(name)
    except KeyError:
        subprocess.run(["groupadd", "-f", name], check=True)
        g = grp.getgrnam(name)
    if g.gr_gid < 1000:
        gid = 1 + max([999] + [x.gr_gid for x in grp.getgrall()
                               if 1000 <= x.gr_gid < 60000])
        subprocess.run(["groupmod", "-g", str(gid), name], check=True)
    try:
        pe = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "-r", "-M", "-d", "/nonexistent", "-g",
                        name, "-s", "/usr/sbin/nologin", name],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pe = pwd.getpwnam(name)
    if pe.pw_gid != grp.getgrnam(name).gr_gid:
        subprocess.run(["usermod", "-g", name, name], check=True)
        pe = pwd.getpwnam(name)
    return pe


def rfc_size(data):
    """RFC 1939 octets of a stored message: bare LF -> CRLF, and a final
    line end added when the message lacks one."""
    n = len(data) + data.count(b"\n") - data.count(b"\r\n")
    if data and not data.endswith(b"\n"):
        n += 2
    return n


def as_user(srv, user):
    """preexec_fn for subprocess: become the mail user (as root), as
    OpenSMTPD runs the mda; None when not root."""
    if not is_root:
        return None
    uid, gid = srv.uid(user), srv.gid(user)

    def drop():
        os.setgroups([gid])
        os.setgid(gid)
        os.setuid(uid)
    return drop


def make_hash(password, cost=4):
    if not os.path.exists(MKHASH):
        subprocess.run(["make", "-s", "regress/mkhash"], cwd=REPO,
                       check=True, stdout=subprocess.DEVNULL)
    if isinstance(password, str):
        password = password.encode()
    r = subprocess.run([MKHASH, str(cost)], input=password + b"\n",
                       stdout=subprocess.PIPE, check=True)
    return r.stdout.decode().strip()


def make_cert(certfile, keyfile, cn="localhost", days=90):
    """A self-signed P-256 pair; 90 days as Let's Encrypt's, past the
    14 days within which popd warns of the expiry."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", keyfile, "-out", certfile, "-days", str(days),
                    "-subj", "/CN=" + cn],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    os.chmod(keyfile, 0o600)


def split_address(arg, defport):
    """"127.0.0.1:9950", "[::1]:995", "::1" or "*" -> (host, port)."""
    if arg.startswith("["):
        host, _, rest = arg[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else defport
    if arg.count(":") == 1:
        host, port = arg.split(":")
        return host, int(port) if port else defport
    return arg, defport


_ports_given = set()


def free_port():
    """A port free on HOST, never one this process was given before: the
    kernel may hand a closed port out again at once, and a test asking
    for two (a second listener, then the server's own) got one twice."""
    for _ in range(1000):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((HOST, 0))
        port = s.getsockname()[1]
        s.close()
        if port not in _ports_given:
            _ports_given.add(port)
            return port
    raise RuntimeError("no port free on %s that was not given before"
                       % HOST)


def _listening(port):
    """True if something listens on 127.0.0.1:port (from /proc/net/tcp)."""
    want = ":%04X" % port
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for ln in f:
                fields = ln.split()
                if fields[1].endswith(want) and fields[3] == "0A":
                    return True
    except OSError:
        pass
    return False


# --- processes -----------------------------------------------------------

def _die_with_harness():
    """In the forked child before exec: SIGTERM the daemon if the test
    process dies (killed by a timeout), so no popd outlives its test."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)      # PR_SET_PDEATHSIG
    except Exception:
        pass


def cpu_ticks(pid):
    """[utime, stime, cutime, cstime] of pid in clock ticks (every
    thread's, the dead ones' too, then the children it reaped), or None
    if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return None
    return list(map(int, st[st.rindex(")") + 2:].split()[11:15]))


def proc_children():
    """{ppid: [pid, ...]} for every process."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        # comm may contain spaces and parens: ppid follows the last ")".
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def symbols(prog, pattern):
    """The lines of nm(1) of program prog that match regular expression
    pattern: what a test of which process holds which code looks for."""
    out = subprocess.run(["nm", prog], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    return [ln for ln in out.splitlines() if re.search(pattern, ln)]


def descendants(pid):
    kids = proc_children()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in kids.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def role_pids(srv, role):
    """The pids of srv's processes of role ("keypop"), sorted, the
    draining ones too."""
    return sorted(p for p in descendants(srv.proc.pid)
                  if classify(p) == role)


def authpops(srv):
    """The pids of srv's authpops, the draining ones too."""
    return role_pids(srv, "authpop")


def zombies(pid):
    """The descendants of pid that are zombies, as "pid (comm)"."""
    out = []
    for c in descendants(pid):
        try:
            with open("/proc/%d/stat" % c) as f:
                st = f.read()
        except OSError:
            continue
        if st[st.rindex(")") + 2] == "Z":
            out.append(st[:st.rindex(")") + 1])
    return out


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            raw = f.read()
    except OSError:
        return ""
    # setproctitle may leave a single string padded with NULs.
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def tablepop_pid(srv, name="tablepop"):
    """The tablepop of srv (or the routepop, ...), or None."""
    for pid in descendants(srv.proc.pid):
        if name in proc_cmdline(pid):
            return pid
    return None


def proc_title(pid):
    """The process title as ps shows it."""
    return proc_cmdline(pid)


def steal_fd(pid, fd):
    """A copy of process pid's descriptor fd, taken with pidfd_getfd(2)
    (root): what a compromised process holds."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        got = libc.syscall(438, pidfd, fd, 0)   # SYS_pidfd_getfd
    finally:
        os.close(pidfd)
    if got < 0:
        raise OSError(ctypes.get_errno(), "pidfd_getfd")
    return got


def msg_numbers(*names):
    """MSG_VERSION and the numbers of the message types names, read
    from common/proto.h (its enum counts from MSG_NONE = 0)."""
    with open(os.path.join(REPO, "common", "proto.h")) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    version = int(re.search(r"#define MSG_VERSION\s+(\d+)", text).group(1))
    start = text.index("enum msg_type {")
    body = text[start:start + re.search(r"\bMSG_MAX\b",
                                        text[start:]).start()]
    found = re.findall(r"\b(MSG_[A-Z_]+)\b", body)
    return [version] + [found.index(n) for n in names]


def health_line(port, addr=HOST):
    """What a health port says, read to its close (at most 100 bytes)."""
    s = socket.create_connection((addr, port), timeout=5)
    out = b""
    try:
        while len(out) < 100:
            d = s.recv(100)
            if not d:
                break
            out += d
    finally:
        s.close()
    return out.decode(errors="replace")


def proc_comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def proc_status(pid):
    """/proc/PID/status as a dict; Uid/Gid/Groups values as int lists."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            k, _, v = ln.partition(":")
            v = v.strip()
            if k in ("Uid", "Gid", "Groups"):
                out[k] = [int(x) for x in v.split()]
            else:
                out[k] = v
    return out


def classify(pid):
    comm, cmd = proc_comm(pid), proc_cmdline(pid)
    # Exited and not yet reaped (a zombie has no command line): none.
    if cmd == "":
        return None
    # The tree's own path names no role (a checkout in .../wt-authpop).
    cmd = cmd.replace(REPO + "/", "/")
    if comm.startswith("wrkrpop") or "wrkrpop" in cmd:
        return "wrkrpop"
    # The parent's reading of authtab, a moment long.
    if comm == "authcheck" or "authcheck" in cmd:
        return "authcheck"
    # keypop -c, its trying of a keypair, a moment long too: not the
    # keypop that signs ("keypop: check" once it set its title).
    if "keypop -c" in cmd or "keypop: check" in cmd:
        return "keycheck"
    if comm.startswith("authpop") or "authpop" in cmd:
        return "authpop"
    if comm == "listener" or "listener" in cmd:
        return "listener"
    if comm == "control" or "popd: control" in cmd:
        return "control"
    if comm == "keypop" or "keypop" in cmd:
        return "keypop"
    return None


# --- the client side -----------------------------------------------------

class ProtoError(Exception):
    """A POP3 answer that is not the one wanted (Raw.ok, Raw.login)."""


class Raw:
    """A line-oriented POP3 client on one TLS (or plain) connection, for
    tests and benchmarks.  The greeting is NOT consumed: read it with
    line().  src: the loopback address it connects from; preamble: bytes
    sent before TLS starts (a PROXY protocol header); rcvbuf: SO_RCVBUF
    set before connecting (a client that reads slowly).  t0 is the
    perf_counter() of the connect, for timings.  .buf holds what was
    received and not read yet (a bytearray)."""

    def __init__(self, port, host=HOST, tls=True, ctx=None, timeout=30,
                 src=None, preamble=b"", rcvbuf=None):
        self.t0 = time.perf_counter()
        sock = socket.socket(socket.AF_INET6 if ":" in host
                             else socket.AF_INET, socket.SOCK_STREAM)
        try:
            if rcvbuf:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.settimeout(timeout)
            if src:
                sock.bind((src, 0))
            sock.connect((host, port))
            if preamble:
                sock.sendall(preamble)
            self.sock = (ctx or client_ctx()).wrap_socket(sock) if tls \
                else sock
        except BaseException:
            sock.close()
            raise
        self.buf = bytearray()
        self.tls = tls

    def starttls(self, ctx=None):
        """Upgrade after "+OK" to STLS.  Bytes already buffered are
        returned (they should be none)."""
        left = self.drain()
        self.sock = (ctx or client_ctx()).wrap_socket(self.sock)
        self.tls = True
        return left

    def drain(self):
        """The bytes received and not read yet, taken out of .buf."""
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def settimeout(self, t):
        self.sock.settimeout(t)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def fill(self):
        """Receive what the server sent next into .buf."""
        d = self.sock.recv(65536)
        if not d:
            raise EOFError("connection closed by server (unread: %r)"
                           % bytes(self.buf[:200]))
        self.buf += d

    def read_until(self, token):
        """Bytes up to and including token; only new bytes are searched,
        so a long answer read at once costs one pass."""
        start = 0
        while True:
            i = self.buf.find(token, start)
            if i >= 0:
                i += len(token)
                out = bytes(self.buf[:i])
                del self.buf[:i]
                return out
            start = max(0, len(self.buf) - len(token) + 1)
            self.fill()

    def read_exact(self, n):
        while len(self.buf) < n:
            self.fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def line(self):
        """One line without its CRLF."""
        return self.read_until(b"\r\n")[:-2]

    def cmd(self, line):
        """Send one command line, return the one-line answer."""
        if isinstance(line, str):
            line = line.encode()
        self.send(line + b"\r\n")
        return self.line()

    def ok(self, line, what=None):
        """cmd(line), raising ProtoError unless the answer is +OK."""
        r = self.cmd(line)
        if not r.startswith(b"+OK"):
            if isinstance(line, str):
                line = line.encode()
            raise ProtoError("%s: %r" % (what or line.split()[0].decode(),
                                         r[:100]))
        return r

    def login(self, user, pw):
        """USER and PASS (greeting already read); the PASS answer, or
        ProtoError."""
        if isinstance(user, str):
            user = user.encode()
        if isinstance(pw, str):
            pw = pw.encode()
        self.ok(b"USER " + user)
        return self.ok(b"PASS " + pw, "PASS")

    def capa(self):
        """CAPA (greeting read), its list returned: a client that has
        said something is the parent's at once (a silent one after a
        second: the listener's GREETED_WAIT)."""
        self.ok(b"CAPA")
        return self.block()

    def multiline(self):
        """Lines of a multi-line answer up to ".", dot-unstuffed (the
        status line is not included: read it with line() first)."""
        out = []
        while True:
            ln = self.line()
            if ln == b".":
                return out
            if ln.startswith(b"."):
                ln = ln[1:]
            out.append(ln)

    def block(self):
        """The body of a multi-line answer as sent, CRLFs and
        dot-stuffing kept, without the final ".\r\n" (the status line
        was read): one search, however long the answer."""
        while len(self.buf) < 3:
            self.fill()
        if self.buf[:3] == b".\r\n":
            del self.buf[:3]
            return b""
        return self.read_until(b"\r\n.\r\n")[:-3]

    def closed(self, timeout=5):
        """True if the server closes the connection within timeout
        (any data sent meanwhile is kept in .buf)."""
        old = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    return True
                self.buf += d
        except (socket.timeout, TimeoutError):
            return False
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            return True
        finally:
            try:
                self.sock.settimeout(old)
            except OSError:
                pass

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self):
        """Close with a RST (SO_LINGER 0)."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


# --- the server side -----------------------------------------------------

class Server:
    def __init__(self, users=None, subdir=None, extra_args=None, cost=4,
                 authtab_extra="", usertab_extra="", conf_extra=""):
        if users is None:
            users = DEFAULT_USERS
        _ensure_daemon_users()
        self.subdir = subdir
        self.extra_args = list(extra_args or [])
        self.conf_extra = conf_extra
        # popd.conf's listeners; None: no statement (one per core)
        self.nlisteners = LISTENERS
        # popd.conf lines in place of authtab and usertab FILE: table
        # statements, "authtab <NAME>", "usertab system"...
        self.tables = None
        self.nofile = None      # RLIMIT_NOFILE of the daemon, if set
        self.cgroup = None      # a cgroup.procs file popd starts in
        self.env = None         # popd's environment, if not the harness's
        self.cost = cost
        self.proc = None
        self.port = None
        self._seen_pids = set()
        self._first_pid = 1 << 30
        self.running = False
        self.tmpdir = tempfile.mkdtemp(prefix="popdtest.", dir="/tmp")
        try:
            self._setup(users, authtab_extra, usertab_extra)
        except BaseException:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            raise

    def _setup(self, users, authtab_extra, usertab_extra):
        cost = self.cost
        os.chmod(self.tmpdir, 0o755)
        self.cert = os.path.join(self.tmpdir, "cert.pem")
        self.key = os.path.join(self.tmpdir, "key.pem")
        self.authtab = os.path.join(self.tmpdir, "authtab")
        self.usertab = os.path.join(self.tmpdir, "usertab")
        self.logfile = os.path.join(self.tmpdir, "popd.log")
        self.conffile = os.path.join(self.tmpdir, "popd.conf")
        # Each server its own: /var/run/popd.sock is a running popd's.
        self.ctlsock = os.path.join(self.tmpdir, "popd.sock")
        self.homes = os.path.join(self.tmpdir, "home")
        os.mkdir(self.homes, 0o755)
        make_cert(self.cert, self.key)
        self.users = {}
        auth, utab = [], []
        for i, (name, pw) in enumerate(users, 1):
            self.users[name] = self._make_user(i, name, pw)
            u = self.users[name]
            auth.append("%s\t%s\n" % (name, make_hash(pw, cost)))
            utab.append("%s\t%d:%d:%s\n" % (name, u["uid"], u["gid"],
                                           u["home"]))
        self._write(self.authtab, "".join(auth) + authtab_extra, 0o640)
        self._write(self.usertab, "".join(utab) + usertab_extra, 0o644)

    def _make_user(self, i, name, pw):
        if is_root:
            pe = mailuser(i)
            uid, gid = pe.pw_uid, pe.pw_gid
        else:
            uid, gid = os.getuid(), os.getgid()
        home = os.path.join(self.homes, name)
        md = os.path.join(home, self.subdir) if self.subdir else home
        os.makedirs(md, 0o700, exist_ok=True)
        for d in ("tmp", "new", "cur"):
            os.mkdir(os.path.join(md, d), 0o700)
        os.chmod(home, 0o700)
        if is_root:
            for root, dirs, _ in os.walk(home):
                os.chown(root, uid, gid)
                for d in dirs:
                    os.chown(os.path.join(root, d), uid, gid)
        return {"password": pw, "uid": uid, "gid": gid, "home": home,
                "maildir": md}

    @staticmethod
    def _write(path, text, mode):
        # Replaced as an editor or a configuration tool does: a reload
        # still reading the previous version never sees half of this one.
        tmp = path + ".new"
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        with open(tmp, "w") as f:
            f.write(text)
        if st is not None:
            os.chown(tmp, st.st_uid, st.st_gid)
        os.chmod(tmp, mode)
        os.replace(tmp, path)

    # configuration helpers
    def rewrite_authtab(self, text):
        self._write(self.authtab, text, 0o640)

    def rewrite_usertab(self, text):
        self._write(self.usertab, text, 0o644)

    def add_users(self, hashes):
        """More users, {name: hash}, with alice's uid and gid: a
        maildrop each, their usertab and authtab lines."""
        u = self.users["alice"]
        utab = open(self.usertab).read()
        atab = open(self.authtab).read()
        for name, h in hashes.items():
            home = os.path.join(self.homes, name)
            for d in ("", "tmp", "new", "cur"):
                os.makedirs(os.path.join(home, d), 0o700, exist_ok=True)
                os.chown(os.path.join(home, d), u["uid"], u["gid"])
            utab += "%s\t%d:%d:%s\n" % (name, u["uid"], u["gid"], home)
            atab += "%s %s\n" % (name, h)
        self.rewrite_usertab(utab)
        self.rewrite_authtab(atab)

    def check_config(self, *args):
        """popd -n [args] on this server's configuration, written out
        first: (exit status, output as text)."""
        if self.port is None:
            self.port = free_port()
        self.argv()
        r = subprocess.run([POPD, "-n", "-f", self.conffile] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=120)
        return r.returncode, r.stdout.decode(errors="replace")

    def uid(self, user):
        return self.users[user]["uid"]

    def gid(self, user):
        return self.users[user]["gid"]

    def password(self, user):
        return self.users[user]["password"]

    def config(self):
        """popd.conf for this server: its tables (authtab and usertab,
        or self.tables when set), certificate and port,
        the original command-line flags found in extra_args (-e -l -p -t
        -T) as the statements they stand for, then conf_extra.  Returns
        (text, the other arguments)."""
        tabs = ['authtab "%s"' % self.authtab, 'usertab "%s"' % self.usertab]
        if self.tables is not None:
            tabs = self.tables.splitlines()
        lines = tabs + ['pki test cert "%s"' % self.cert,
                        'pki test key "%s"' % self.key,
                        "listen on %s port %d tls" % (HOST, self.port),
                        # Tests fail logins on purpose, all from
                        # 127.0.0.1: test_limits.py tests the default
                        # delay.
                        "failure-delay 0",
                        'control socket "%s"' % self.ctlsock]
        if self.nlisteners is not None:
            lines.append("listeners %d" % self.nlisteners)
        if self.subdir:
            lines.append('maildir "%s"' % self.subdir)
        rest, args = [], list(self.extra_args)
        while args:
            a = args.pop(0)
            if a == "-T":
                lines.append('tls protocols "tlsv1.2,tlsv1.3"')
            elif a in ("-l", "-p"):
                host, port = split_address(args.pop(0),
                                           995 if a == "-l" else 110)
                lines.append("listen on \"%s\" port %d %s" % (
                    host, port, "tls" if a == "-l" else "starttls"))
            elif a == "-t":
                lines.append('trusted "%s"' % args.pop(0))
            elif a == "-e":
                lines.append('maildir "%s"' % args.pop(0))
            else:
                rest.append(a)
        return "\n".join(lines + [self.conf_extra]) + "\n", rest

    def argv(self):
        text, rest = self.config()
        self._write(self.conffile, text, 0o644)
        return [POPD, "-d", "-v", "-f", self.conffile] + rest

    def legacy_argv(self):
        """The original command line, the shorthand for a file."""
        a = [POPD, "-d", "-v", "-a", self.authtab, "-u", self.usertab,
             "-l", "%s:%d" % (HOST, self.port), "-c", self.cert,
             "-k", self.key, "-s", self.ctlsock]
        if self.subdir:
            a += ["-e", self.subdir]
        return a + self.extra_args

    def start(self, timeout=10, probe=True):
        if not os.path.exists(POPD):
            raise RuntimeError("%s is not built" % POPD)
        if self.port is None:
            self.port = free_port()
        self.logf = open(self.logfile, "ab")
        self.proc = subprocess.Popen(self.argv(), cwd=REPO, env=self.env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.logf,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True,
                                     preexec_fn=self._preexec)
        self.running = True
        self._first_pid = self.proc.pid
        deadline = time.monotonic() + timeout
        while not _listening(self.port):
            if self.proc.poll() is not None:
                self.running = False
                raise RuntimeError("popd exited with %s at startup:\n%s"
                                   % (self.proc.returncode,
                                      self.log_tail()))
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("popd not listening on port %d after "
                                   "%ds:\n%s" % (self.port, timeout,
                                                 self.log_tail()))
            time.sleep(0.02)
        if probe:
            # Listening is not ready: wait for the first greeting.
            while not self._greets():
                if self.proc.poll() is not None or \
                        time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("popd gives no greeting on port "
                                       "%d:\n%s" % (self.port,
                                                    self.log_tail()))
                time.sleep(0.05)
        return self

    def _preexec(self):
        _die_with_harness()
        if self.cgroup is not None:
            with open(self.cgroup, "w") as f:
                f.write("%d\n" % os.getpid())
        if self.nofile is not None:
            import resource
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (self.nofile, self.nofile))

    def _greets(self, timeout=5):
        try:
            with Raw(self.port, timeout=timeout) as r:
                ok = r.line().startswith(b"+OK")
                try:
                    r.send(b"QUIT\r\n")
                    r.line()
                except (OSError, EOFError):
                    pass
                return ok
        except (OSError, EOFError, ssl.SSLError):
            return False

    def alive(self):
        return (self.proc is not None and self.proc.poll() is None and
                self._greets())

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL; returns the parent's exit status.
        Leftover processes of the session (a daemon bug) are killed and
        listed in self.leftovers."""
        self.running = False
        self.leftovers = []
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # The children should be gone with the parent; give them a moment.
        deadline = time.monotonic() + 5
        while self._group() and time.monotonic() < deadline:
            time.sleep(0.05)
        for p in self._group():
            self.leftovers.append((p, proc_cmdline(p)))
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        self.logf.close()
        return self.proc.returncode

    def _group(self):
        """Live (non-zombie) processes of the daemon's process group."""
        out = []
        pgid = self.proc.pid
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
            except OSError:
                continue
            f = st[st.rindex(")") + 2:].split()
            if int(f[2]) == pgid and f[0] != "Z" and int(d) != pgid:
                out.append(int(d))
        return out

    def reload(self):
        self.proc.send_signal(signal.SIGHUP)

    def stats(self):
        """popctl show stats as {counter: count since start}."""
        rc, out, err = self.popctl("show", "stats")
        expect(rc, 0, "popctl show stats: %s" % err)
        d = {}
        for ln in out.splitlines()[2:]:
            f = ln.split()
            if len(f) == 3:
                d[f[0]] = int(f[1])
        return d

    def popctl(self, *args, uid=None, timeout=30):
        """Run the built popctl on this server's control socket, as root
        or as uid (with that user's groups); returns (exit status,
        stdout, stderr) as text."""
        pre = None
        if uid is not None:
            try:
                pe = pwd.getpwuid(uid)
                gid = pe.pw_gid
                groups = os.getgrouplist(pe.pw_name, gid)
            except KeyError:
                gid, groups = uid, [uid]

            def pre():
                os.setgroups(groups)
                os.setgid(gid)
                os.setuid(uid)
        r = subprocess.run([POPCTL, "-s", self.ctlsock] + list(args),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, preexec_fn=pre,
                           timeout=timeout)
        return (r.returncode, r.stdout.decode(errors="replace"),
                r.stderr.decode(errors="replace"))

    def cleanup(self):
        if self.running:
            self.stop()
        if os.environ.get("POPDTEST_KEEP"):
            return
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.cleanup()

    def log(self):
        try:
            with open(self.logfile, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    CRASH_SIGNALS = (4, 5, 6, 7, 8, 11, 31)  # ILL TRAP ABRT BUS FPE SEGV SYS

    def crashes(self):
        """Log lines saying that a process of the daemon crashed (a crash
        signal, e.g. SIGSYS from the seccomp filter) or that a supervised
        child exited and was restarted."""
        out = []
        for ln in self.log().splitlines():
            m = re.search(r"killed by signal (\d+)", ln)
            if (m and int(m.group(1)) in self.CRASH_SIGNALS) or \
                    re.search(r"exited \d+, restarting", ln):
                out.append(ln.strip())
        if any("signal 31" in ln for ln in out):
            out += self.seccomp_audit()
        return out

    def seccomp_audit(self):
        """Kernel audit lines for seccomp kills of our binaries since the
        server started: name the syscall (x86_64 numbers) that was
        refused.  Empty where dmesg is not readable."""
        try:
            r = subprocess.run(["dmesg"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return []
        pids = set(str(p) for p in self._seen_pids)
        out = []
        for ln in r.stdout.decode(errors="replace").splitlines():
            if "type=1326" not in ln or REPO not in ln:
                continue
            m = re.search(r" pid=(\d+) .*comm=\"([^\"]*)\".*"
                          r"syscall=(\d+)", ln)
            if m and (not pids or m.group(1) in pids or
                      int(m.group(1)) > self._first_pid):
                out.append("seccomp killed %s[%s] on syscall %s" %
                           (m.group(2), m.group(1), m.group(3)))
        return sorted(set(out))[-10:]

    def log_tail(self, n=30):
        return "\n".join(self.log().splitlines()[-n:])

    def wait_log(self, text, timeout=10):
        """Wait until text appears in the log; returns the log."""
        return wait_for(lambda: text in self.log() and self.log(), timeout,
                        "%r in the daemon log" % text)

    def pids(self):
        out = {"parent": self.proc.pid if self.proc else None,
               "listener": None, "authpop": None, "control": None,
               "keypop": None, "authcheck": None, "keycheck": None,
               "wrkrpop": []}
        if self.proc is None:
            return out
        mine = self.listener_for(HOST)
        for p in descendants(self.proc.pid):
            self._seen_pids.add(p)
            kind = classify(p)
            if kind == "wrkrpop":
                out["wrkrpop"].append(p)
            elif kind == "listener" and mine is not None:
                out[kind] = mine
            elif kind is not None and out[kind] is None:
                out[kind] = p
        return out

    def listener_holding(self, sock):
        """The listener process that holds the server's end of the
        client socket sock (IPv4), from /proc/net/tcp and the
        listeners' descriptors; None if none does."""
        cport = sock.getsockname()[1]
        inode = None
        with open("/proc/net/tcp") as f:
            for ln in f.readlines()[1:]:
                p = ln.split()
                if int(p[1].split(":")[1], 16) == self.port and \
                        int(p[2].split(":")[1], 16) == cport:
                    inode = p[9]
        for pid in self.listeners():
            try:
                for fd in os.listdir("/proc/%d/fd" % pid):
                    if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == \
                            "socket:[%s]" % inode:
                        return pid
            except OSError:
                continue
        return None

    def listener_for(self, addr):
        """The listener that the kernel steers clients of IPv4 addr to
        when popd runs several (compat_steer's hash of 32 bits of
        address), as the parent's log names it: the last one started
        for its slot; None with one listener."""
        w = int.from_bytes(socket.inet_aton(addr), "big")
        h = ((w * 0x9e3779b1) & 0xffffffff) >> 16
        pid = None
        for m in re.finditer(r"started listener (\d+) of (\d+), pid (\d+)",
                             self.log()):
            if int(m.group(2)) > 1 and \
                    int(m.group(1)) == h % int(m.group(2)) + 1:
                pid = int(m.group(3))
        return pid

    def listeners(self):
        """Every listener process, oldest first (more than one with
        listeners N, when one is full, or while an old one drains after
        a reload)."""
        if self.proc is None:
            return []
        return sorted(p for p in descendants(self.proc.pid)
                      if classify(p) == "listener")

    # mail
    def maildir(self, user):
        return self.users[user]["maildir"]

    def files(self, user, sub):
        """Sorted file names in sub ("new", "cur", "tmp") of user's
        maildir."""
        return files(self.maildir(user), sub)

    _seq = 0

    def folder(self, user, folder):
        """The Maildir++ folder FOLDER (".Junk") of user's maildir with
        its tmp/, new/ and cur/, made where missing and owned by the
        user: its path."""
        top = os.path.join(self.maildir(user), folder)
        for d in ("", "tmp", "new", "cur"):
            p = os.path.join(top, d)
            if not os.path.isdir(p):
                os.mkdir(p, 0o700)
                if is_root:
                    os.chown(p, self.uid(user), self.gid(user))
        return top

    def deliver(self, user, data, name=None, subdir="new"):
        """Write one message file directly (tmp/ then rename); returns
        its file name."""
        if isinstance(data, str):
            data = data.encode()
        md = self.maildir(user)
        if name is None:
            Server._seq += 1
            name = "%d.M%dP%dQ%d.popdtest" % (time.time(), time.time_ns()
                                               % 1000000, os.getpid(),
                                               Server._seq)
        tmp = os.path.join(md, "tmp", name)
        # A shared filesystem's client may hold a stale handle of tmp/
        # another host's client changed (GlusterFS: ESTALE); as an MDA
        # would, the test tries the create once more, looked up anew.
        for tries in (1, 2):
            try:
                with open(tmp, "wb") as f:
                    f.write(data)
                break
            except OSError as e:
                if e.errno != errno.ESTALE or tries == 2:
                    raise
                time.sleep(0.2)
        if is_root:
            os.chown(tmp, self.uid(user), self.gid(user))
        os.chmod(tmp, 0o600)
        os.rename(tmp, os.path.join(md, subdir, name))
        return name

    def pop(self, user, pw=None, timeout=30):
        """A poplib.POP3_SSL client logged in as user."""
        if pw is None:
            pw = self.password(user)
        p = poplib.POP3_SSL(HOST, self.port, context=client_ctx(),
                            timeout=timeout)
        try:
            p.user(user)
            p.pass_(pw)
        except Exception:
            p.close()
            raise
        return p

    def raw(self, port=None, tls=True, ctx=None, timeout=30, src=None):
        """A Raw client; src: the loopback address it connects from."""
        return Raw(port or self.port, tls=tls, ctx=ctx, timeout=timeout,
                   src=src)



# --- Debian packages the tests drive (root only) ---------------------------

POLICY_RC_D = "/usr/sbin/policy-rc.d"


def find_prog(prog, dirs=("/usr/sbin", "/usr/bin", "/sbin", "/bin")):
    for d in dirs:
        p = os.path.join(d, prog)
        if os.access(p, os.X_OK):
            return p
    return shutil.which(prog)


_not_installed = {}


def apt_install(package, prog, recommends=False, needs=None):
    """The path of prog, installing Debian's package with apt-get when
    prog (or the file needs, when given) is missing, with no service
    started (a policy-rc.d that says no, for the time of the install)
    and nothing upgraded.  Raises Skip, naming why, when installing is
    impossible here (not root, no apt-get), and NotInstalled when the
    install did not give prog (again at once for a package that already
    failed)."""
    path = find_prog(prog)
    if path is not None and (needs is None or os.path.exists(needs)):
        return path
    if package in _not_installed:
        raise _not_installed[package]
    try:
        return _apt_install(package, prog, recommends, needs)
    except (Skip, NotInstalled) as e:
        _not_installed[package] = e
        raise


def _apt_install(package, prog, recommends, needs):
    if not is_root:
        raise Skip("%s is not installed and installing it needs root"
                   % package)
    if shutil.which("apt-get") is None:
        raise Skip("%s is not installed and there is no apt-get" % package)
    ours = not os.path.exists(POLICY_RC_D)
    if ours:
        with open(POLICY_RC_D, "w") as f:
            f.write("#!/bin/sh\n# popd regress: no service starts\n"
                    "exit 101\n")
        os.chmod(POLICY_RC_D, 0o755)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # Another install may hold the dpkg lock for a while: wait for it.
    cmd = ["apt-get", "install", "-y", "-q", "--no-upgrade",
           "-o", "DPkg::Lock::Timeout=300"] + \
        ([] if recommends else ["--no-install-recommends"]) + [package]
    try:
        r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=900)
        if r.returncode != 0:
            # A stale package list is the usual reason: refresh once.
            subprocess.run(["apt-get", "update", "-q",
                            "-o", "DPkg::Lock::Timeout=300"], env=env,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=900)
            r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise NotInstalled("%s could not be installed: %s" % (package, e))
    finally:
        if ours:
            os.unlink(POLICY_RC_D)
    path = find_prog(prog)
    if path is None or (needs is not None and not os.path.exists(needs)):
        tail = r.stdout.decode(errors="replace").strip().splitlines()[-3:]
        raise NotInstalled("%s could not be installed (no %s after apt-get "
                           "install, exit %d): %s"
                           % (package, needs if path else prog,
                              r.returncode, " | ".join(tail)))
    return path


def fail2ban_regex(tmp, logfile, filt):
    """Run Debian's fail2ban-regex with the filter filt, installed
    next to fail2ban's common.conf as in /etc/fail2ban/filter.d; returns
    the addresses it would ban, one per matched line, and its output."""
    prog = need_prog("fail2ban-regex")
    fdir = os.path.join(tmp, "fail2ban", "filter.d")
    os.makedirs(fdir)
    shutil.copy(filt, fdir)
    os.symlink("/etc/fail2ban/filter.d/common.conf",
               os.path.join(fdir, "common.conf"))
    r = subprocess.run([prog, "-v", logfile,
                        os.path.join(fdir, "popd.conf")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)
    out = r.stdout.decode(errors="replace")
    expect(r.returncode, 0, "fail2ban-regex exit status: %s" % out)
    m = re.search(r"Lines: (\d+) lines, (\d+) ignored, (\d+) matched", out)
    expect_true(m is not None, "fail2ban-regex summary", out)
    hosts = re.findall(r"^\|\s+(\S+)\s+\w{3} \w{3} +\d+ [0-9:]+ \d{4}$",
                       out, re.M)
    expect(len(hosts), int(m.group(3)), "addresses listed by "
             "fail2ban-regex:\n" + out)
    return hosts, out


def fail2ban_failures(srv):
    """srv's "failed login" lines as the journal writes them, read by
    fail2ban-regex with the shipped filter: (the addresses it would ban,
    one per matched line, the lines, its output)."""
    lines = [ln for ln in srv.log().splitlines() if "failed login for" in ln]
    log = os.path.join(srv.tmpdir, "journal.log")
    with open(log, "w") as f:
        for ln in lines:
            f.write(time.strftime("%b %d %H:%M:%S") + " mx popd[1]: " + ln +
                    "\n")
    hosts, out = fail2ban_regex(srv.tmpdir, log, os.path.join(
        REPO, "popd", "fail2ban", "popd.conf"))
    return hosts, lines, out


# --- reading a maildrop back ---------------------------------------------

Msg = collections.namedtuple("Msg", "num uidl size data octets")
Msg.__doc__ = """One message as a session serves it: num (int), uidl
(str), size (LIST, int), data (RETR or TOP bytes, every line ending in
CRLF and dot-stuffing undone; None unless fetched) and octets (what
poplib counted; None unless fetched)."""


# --- foreign daemons the tests and benchmarks start -------------------------

class ForeignDaemon:
    """Another program's daemon (HAProxy, nginx, OpenSMTPD, rsyslogd,
    Dovecot) run by a test or a benchmark: a private directory under top
    (self.dir), its files written there with write(), started as
    [prog] + self.args in a session of its own (its output in
    self.dir/output), ready once something listens on self.port or the
    file self.ready_path exists, both within self.timeout seconds, else
    stopped and RuntimeError with its output and its log (self.logfile,
    if it writes one).  stop(): SIGTERM to its process group, SIGKILL
    after a bounded wait.  As a context manager it is started, then
    stopped and its directory removed (POPDTEST_KEEP=1 keeps it).  A
    subclass sets name and, in its __init__, its files, args and port
    or ready_path."""

    name = "daemon"
    timeout = 20

    def __init__(self, prog, top):
        self.prog = prog
        self.dir = tempfile.mkdtemp(prefix=self.name + ".", dir=top)
        os.chmod(self.dir, 0o755)
        self.args = []
        self.port = None
        self.ready_path = None
        self.logfile = None
        self.outfile = self.path("output")
        self.proc = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text, mode=0o644):
        """Write self.dir/name; returns its path."""
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def ready(self):
        if self.port is not None:
            return _listening(self.port)
        return os.path.exists(self.ready_path)

    def start(self):
        with open(self.outfile, "ab") as out:
            self.proc = subprocess.Popen([self.prog] + self.args,
                                         stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True,
                                         preexec_fn=_die_with_harness)
        deadline = time.monotonic() + self.timeout
        while not self.ready():
            if self.proc.poll() is not None:
                why = "exited with %s" % self.proc.returncode
            elif time.monotonic() > deadline:
                why = "not ready after %ds" % self.timeout
            else:
                time.sleep(0.05)
                continue
            self.stop()
            raise RuntimeError("%s %s:\n%s" % (self.name, why,
                                                self.log_tail()))
        return self

    def log(self):
        """What it printed, then its log file."""
        text = ""
        for path in filter(None, (self.outfile, self.logfile)):
            try:
                with open(path, "rb") as f:
                    text += f.read().decode(errors="replace")
            except OSError:
                pass
        return text

    def log_tail(self, n=30):
        return "\n".join(self.log().splitlines()[-n:])

    def stop(self, timeout=10):
        if self.proc is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
                return
            except subprocess.TimeoutExpired:
                pass

    def cleanup(self):
        self.stop()
        if not os.environ.get("POPDTEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.cleanup()


# --- nginx's mail proxy ------------------------------------------------------

NGINX_MODULE = "/usr/lib/nginx/modules/ngx_mail_module.so"

NGINX_CONF = """\
load_module {module};
daemon off;
{master}
pid {dir}/nginx.pid;
error_log {log} info;
events {{
    worker_connections 1024;
}}
mail {{
    server_name mail.test;
    auth_http {auth};
    proxy_pass_error_message on;
    ssl_certificate {cert};
    ssl_certificate_key {key};
{servers}}}
"""


def need_nginx():
    """nginx with its mail module (libnginx-mod-mail), installed when
    missing; Skip or NotInstalled as apt_install."""
    return apt_install("libnginx-mod-mail", "nginx", needs=NGINX_MODULE)


class Nginx(ForeignDaemon):
    """nginx's mail proxy in the foreground, its TLS certificate and key
    cert and key, asking auth_http at auth ("127.0.0.1:PORT/auth" or
    "unix:PATH:/auth").  servers: {name: (protocol, tls, lines)}, one
    server block each on 127.0.0.1, a port of its own in
    self.ports[name] (self.port: the first's), listening with TLS when
    tls, lines (directives, "pop3_auth plain; proxy_protocol on;")
    inside.  user None: no master process, the one process root (as
    test_proxy.py runs it); user "www-data": a master (root) and one
    worker as that user, as Debian runs it, reaching auth_http with
    that user's rights."""

    name = "nginx"

    def __init__(self, nginx, top, cert, key, auth, servers, user=None):
        super().__init__(nginx, top)
        self.logfile = self.path("nginx-error.log")
        self.ports = {}
        blocks = []
        for name, (proto, tls, lines) in servers.items():
            self.ports[name] = free_port()
            if self.port is None:
                self.port = self.ports[name]
            blocks.append("    server {\n        listen 127.0.0.1:%d%s;\n"
                          "        protocol %s;\n        %s\n    }\n"
                          % (self.ports[name], " ssl" if tls else "",
                             proto, lines))
        master = "master_process off;" if user is None else \
            "master_process on;\nuser %s;\nworker_processes 1;" % user
        conf = self.write("nginx.conf", NGINX_CONF.format(
            module=NGINX_MODULE, master=master, dir=self.dir,
            log=self.logfile, auth=auth, cert=cert, key=key,
            servers="".join(blocks)))
        self.args = ["-e", self.logfile, "-p", self.dir, "-c", conf]


# --- Dovecot, for side-by-side benchmarks and migration tests ------------

DOVECOT_CONF = """\
base_dir = {d}/run
state_dir = {d}/state
instance_name = popdbench
log_path = {d}/dovecot.log
protocols = {protocols}
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain
disable_plaintext_auth = yes
first_valid_uid = 1
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:~/{sub}:INDEX=MEMORY
pop3_uidl_format = %08Xu%08Xv
passdb {{
  driver = passwd-file
  args = scheme=BLF-CRYPT {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = {d}/passwd
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = {port}
    ssl = yes
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {imapport}
  }}
}}
service stats {{
  unix_listener stats-reader {{
    user = root
  }}
  unix_listener stats-writer {{
    user = root
  }}
}}
"""


def need_dovecot(imap=False):
    """Dovecot's binary, installing dovecot-pop3d (and dovecot-imapd)
    when missing; Skip or NotInstalled as apt_install."""
    path = apt_install("dovecot-pop3d", "dovecot",
                       needs="/usr/lib/dovecot/pop3")
    if imap:
        apt_install("dovecot-imapd", "dovecot", needs="/usr/lib/dovecot/imap")
    return path


def find_dovecot(imap=False):
    """need_dovecot() for the benchmarks: None if it cannot be had."""
    try:
        return need_dovecot(imap)
    except (Skip, NotInstalled):
        return None


class Dovecot(ForeignDaemon):
    """A private Dovecot on loopback (POP3S on self.port, IMAPS on
    self.imap_port with imap=True) for srv's users, its passdb the same
    bcrypt hashes (srv.hashes, read from srv's authtab); their maildirs
    are srv's, or with own_homes=True copies the caller puts in
    self.home/USER.  extra: more settings, after DOVECOT_CONF's (a
    setting given again there wins).  passwd_extra: more passwd-file
    lines, after those of srv's users (bench/users.py: a million users
    written by the caller, as it wrote them into srv's tables)."""

    name = "dovecot"

    def __init__(self, dovecot, srv, extra="", imap=False, own_homes=False,
                 passwd_extra=""):
        super().__init__(dovecot, srv.tmpdir)
        for d in ("run", "state"):
            os.mkdir(self.path(d), 0o755)
        self.port = free_port()
        self.imap_port = free_port() if imap else 0
        self.logfile = self.path("dovecot.log")
        self.home = self.path("home") if own_homes else None
        if self.home:
            os.mkdir(self.home, 0o755)
        if not hasattr(srv, "hashes"):
            srv.hashes = {}
            with open(srv.authtab) as f:
                for line in f:
                    k, v = line.split(None, 1)
                    if k in srv.users:
                        srv.hashes[k] = v.strip()
        self.write("passwd", "".join(
            "%s:{BLF-CRYPT}%s:%d:%d::%s::\n"
            % (name, srv.hashes[name], u["uid"], u["gid"],
               os.path.join(self.home, name) if self.home else u["home"])
            for name, u in srv.users.items()) + passwd_extra)
        self.conf = self.write("dovecot.conf", DOVECOT_CONF.format(
            d=self.dir, cert=srv.cert, key=srv.key, port=self.port,
            imapport=self.imap_port,
            protocols="pop3 imap" if imap else "pop3",
            sub=srv.subdir or "") + extra)
        self.args = ["-F", "-c", self.conf]

    def settings(self, keys, wants):
        """doveconf's reading of keys in this configuration, a line a
        setting joined by ", "; RuntimeError unless each of wants is in
        it (the settings a figure depends on took)."""
        r = subprocess.run(["doveconf", "-c", self.conf] + list(keys),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=30)
        out = r.stdout.decode(errors="replace").strip()
        if r.returncode != 0 or any(w not in out for w in wants):
            raise RuntimeError("doveconf: %s" % out)
        return ", ".join(out.splitlines())


def mailbox(srv, user="alice", retr=False, top=None, check_stat=False):
    """Log in as user, read LIST and UIDL and each message by RETR
    (retr=True) or by TOP n top (top=n), then QUIT.  With check_stat,
    also STAT and check that LIST has that many lines adding up to its
    octets.  Returns [Msg] in message-number order."""
    p = srv.pop(user)
    try:
        if check_stat:
            count, octets = p.stat()
        _, lst, _ = p.list()
        _, uid, _ = p.uidl()
        if check_stat:
            expect(len(lst), count, "LIST lines == STAT count")
            expect(sum(int(x.split()[1]) for x in lst), octets,
                   "LIST sizes add up to STAT")
        sizes = dict(ln.split() for ln in lst)
        out = []
        for ln in uid:
            num, u = ln.split()
            data = octs = None
            if retr:
                _, lines, octs = p.retr(int(num))
            elif top is not None:
                _, lines, octs = p.top(int(num), top)
            if octs is not None:
                data = b"".join(x + b"\r\n" for x in lines)
            out.append(Msg(int(num), u.decode(), int(sizes[num]), data,
                           octs))
        p.quit()
        return out
    finally:
        try:
            p.close()
        except Exception:
            pass


def is_closed(sock, timeout=5):
    """True if the server closes the raw socket sock within timeout (a
    byte read meanwhile is dropped)."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except (socket.timeout, TimeoutError):
        return False
    except OSError:
        return True


def try_pop(srv, user="alice", pw=None):
    """srv.pop(user, pw), or None when the login fails for any reason:
    for wait_for(lambda: try_pop(srv)) while a process restarts."""
    try:
        return srv.pop(user, pw)
    except Exception:
        return None


def pop_when_free(srv, user="alice", timeout=10):
    """A client logged in as user once the maildrop lock is free (the
    previous session's wrkrpop may still be exiting after its QUIT
    answer); a login refused for another reason than [IN-USE] raises."""
    def free():
        try:
            p = srv.pop(user)
        except poplib.error_proto as e:
            if b"IN-USE" in e.args[0]:
                return None
            raise
        return p
    return wait_for(free, timeout, "the maildrop lock")


def files(md, sub):
    """Sorted file names in the maildir md's sub ("new", "cur", "tmp")."""
    return sorted(os.listdir(os.path.join(md, sub)))


def message_files(md):
    """Sorted "new/NAME" and "cur/NAME" of every message file in md."""
    return [sub + "/" + n for sub in ("new", "cur") for n in files(md, sub)]


# --- mda -------------------------------------------------------------------

def mda_env(srv, user, env=None, home=None):
    """The environment OpenSMTPD gives an mda: PATH and HOME (the user's
    directory unless home); env adds to it, a None value removes."""
    e = {"PATH": "/usr/bin:/bin", "HOME": home or srv.users[user]["home"]}
    if env is not None:
        e.update(env)
        e = {k: v for k, v in e.items() if v is not None}
    return e


def mda_popen(srv, user, args=(), env=None, home=None, **kw):
    """Start mda as the mail user (as root) with mda_env(); stdin and
    stderr are pipes, stdout is discarded unless kw says otherwise."""
    opts = {"stdin": subprocess.PIPE, "stdout": subprocess.DEVNULL,
            "stderr": subprocess.PIPE}
    opts.update(kw)
    return subprocess.Popen([MDA] + list(args),
                            env=mda_env(srv, user, env, home),
                            preexec_fn=as_user(srv, user), **opts)


def run_mda(srv, user, data, args=None, env=None, timeout=30, home=None):
    """Deliver data with mda as user (args default: -e SUBDIR when the
    server has one); returns the CompletedProcess, stdout and stderr as
    bytes."""
    if args is None:
        args = ["-e", srv.subdir] if srv.subdir else []
    return subprocess.run([MDA] + list(args), input=data,
                          env=mda_env(srv, user, env, home),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, preexec_fn=as_user(srv, user))


# --- registry and runner -------------------------------------------------

_tests = []


def copy_programs(top):
    """Every program of the build tree copied into top, in its folder
    (popd runs the helpers next to itself); the folders 0755."""
    for path in ["%s/%s" % (p, p) for p in PROGRAMS]:
        os.makedirs(os.path.join(top, os.path.dirname(path)), 0o755,
                    exist_ok=True)
        shutil.copy2(os.path.join(REPO, path), os.path.join(top, path))


def build_copy(srv):
    """A copy of the build tree in srv's directory (popd runs the
    helpers next to itself), srv started from it; keypop's path there,
    the program of keypop -c."""
    top = os.path.join(srv.tmpdir, "build")
    copy_programs(top)
    argv = srv.argv
    srv.argv = lambda: [os.path.join(top, "popd", "popd")] + argv()[1:]
    return os.path.join(top, "keypop", "keypop")


def test(fn=None, **opts):
    """Register fn(srv) as a test.  Options: shared=True (one server for
    all shared tests), users=, subdir=, extra_args=, cost= (fresh server
    with that configuration), start=False (the test starts it),
    check_alive=False, allow_crash=True (do not fail on crash lines in
    the daemon log: for tests that kill processes), timeout=seconds,
    listeners=1 (not repeated with POPDTEST_LISTENERS=2)."""
    def reg(f):
        _tests.append((f.__name__, f, opts))
        return f
    if fn is not None:
        return reg(fn)
    return reg


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout("test timed out")


def main(users=None, subdir=None, extra_args=None, cost=4):
    """Run the registered tests (those named in argv, or all) of the
    script being run: a test file imported by another for its helpers
    (test_quota.py imports test_lmtp.py) registers its tests, but they
    are its own file's to run."""
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    verbose = "-v" in sys.argv[1:]
    defaults = {"users": users, "subdir": subdir,
                "extra_args": extra_args, "cost": cost}
    passed = failed = skipped = 0
    shared = None
    signal.signal(signal.SIGALRM, _alarm)
    mine = [t for t in _tests if t[1].__module__ == "__main__"]
    unknown = set(args) - set(t[0] for t in mine)
    if unknown:
        sys.exit("no such test: " + ", ".join(sorted(unknown)))
    for name, fn, opts in mine:
        # listeners=1: authpop's timing and per-address delays, which a
        # second listener cannot change (an address is steered to one).
        if (args and name not in args) or \
                (opts.get("listeners") == 1 and LISTENERS > 1):
            continue
        srv = None
        why = None
        try:
            signal.alarm(opts.get("timeout", TEST_TIMEOUT))
            if opts.get("shared"):
                if shared is None or not shared.running:
                    if shared is not None:
                        shared.cleanup()
                    shared = Server(**defaults).start()
                srv = shared
            else:
                kw = dict(defaults)
                for k in ("users", "subdir", "extra_args", "cost",
                          "conf_extra"):
                    if k in opts:
                        kw[k] = opts[k]
                srv = Server(**kw)
                if opts.get("start", True):
                    srv.start()
            fn(srv)
            if opts.get("check_alive", True) and srv.running and \
                    not srv.alive():
                raise AssertionError("daemon not alive after the test")
            if not opts.get("allow_crash"):
                bad = srv.crashes()
                if bad:
                    raise AssertionError("daemon log: " + " | ".join(bad))
        except Skip as e:
            why = ("skip", str(e))
        except _Timeout:
            why = ("FAIL", "timed out after %ds" % opts.get(
                "timeout", TEST_TIMEOUT))
        except AssertionError as e:
            why = ("FAIL", str(e) or traceback.format_exc().strip()
                   .splitlines()[-2].strip())
        except Exception as e:
            tb = traceback.extract_tb(e.__traceback__)
            where = "%s:%d" % (os.path.basename(tb[-1].filename),
                               tb[-1].lineno) if tb else "?"
            why = ("FAIL", "%s: %s (at %s)" % (type(e).__name__, e, where))
        finally:
            signal.alarm(0)
        if why is None:
            passed += 1
            print("ok %s" % name)
        elif why[0] == "skip":
            skipped += 1
            print("skip %s: %s" % (name, why[1]))
        else:
            failed += 1
            msg = why[1].splitlines() or [""]
            print("FAIL %s: %s" % (name, msg[0]))
            for ln in msg[1:]:
                print("#  " + ln)
            if verbose and srv is not None:
                for ln in srv.log().splitlines()[-40:]:
                    print("#  " + ln)
            if srv is not None and os.environ.get("POPDTEST_KEEP"):
                print("#  temp dir: %s" % srv.tmpdir)
        sys.stdout.flush()
        if srv is not None and srv is not shared:
            try:
                srv.cleanup()
            except Exception as e:
                print("#  cleanup: %s" % e)
        if shared is not None and srv is shared and why is not None and \
                why[0] == "FAIL":
            # A failed test may have left the shared server broken.
            shared.cleanup()
            shared = None
    if shared is not None:
        shared.cleanup()
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    sys.stdout.flush()
    sys.exit(1 if failed else 0)


def read_shared(path, tries=5):
    """A file's text through a shared filesystem's mount, as an admin's
    tool reads it: a file another host replaced (rename over it) may
    leave this client a stale handle (ESTALE, GlusterFS), so the open is
    tried again, looked up anew, a few times."""
    for n in range(tries):
        try:
            with open(path) as f:
                return f.read()
        except OSError as e:
            if e.errno != errno.ESTALE or n == tries - 1:
                raise
            time.sleep(0.2)
