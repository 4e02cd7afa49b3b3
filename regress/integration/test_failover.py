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

"""A fleet that loses a backend (issue 56, part 2): health ports on the
backends (listen ... health), popctl drain, and the fronts that read
them.

haproxy_follows_health: two popd backends on 127.0.0.21 and .22, each
with a PROXY listener and a health port, behind the real HAProxy, which
checks the health ports with the tcp-check doc/fleet.md gives (one
line, "up N" or "draining N"): a drained backend gets no new connection
from HAProxy within its checks' bound, gets them again once undrained,
and a backend killed -9 gets none either, while the other serves.

The router's tests: the real nginx mail proxy asks a popd router
(auth_http on a unix socket), whose routes name a pool of three
backends (127.0.0.21-23, each with its own users' copies, as if on
shared storage) and check their health ports (route ... health, a
routepop): a backend killed -9 loses its users to the others within
5 s (measured), and gets them back when it returns; popctl drain on
the router sends no new user there and show backends says draining,
then drained; tickets stay bound to the backend they name; a user
whose whole pool is down gets -ERR [SYS/TEMP].

health_port_under_flood: a flood on a backend's health port, held
unread and opened and closed fast, from one address and from many,
costs its listener no descriptor and no memory, stops no POP3 login on
it, and checks from elsewhere (the test's, a router's routepop) are
answered within FLOOD_CHECK_BOUND."""

import atexit
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import popdtest as T  # noqa: E402
import test_fleet as F  # noqa: E402
import test_stuckstore as S  # noqa: E402

B1, B2, B3 = "127.0.0.21", "127.0.0.22", "127.0.0.23"
USERS = [("alice", "pw1"), ("bob", "pw2"), ("carol", "pw3")]


def health(addr, port):
    """What a health port says, read to its close."""
    s = socket.create_connection((addr, port), timeout=5)
    out = b""
    try:
        while True:
            d = s.recv(100)
            if not d:
                return out
            out += d
    finally:
        s.close()


def backend(addr, pop3, hport, users=USERS, extra=""):
    """A popd backend on addr: PROXY listener, health port."""
    b = T.Server(users=users)
    b.addr = addr
    b.conf_extra = ("listen on %s port %d starttls proxy-protocol\n"
                    "listen on %s port %d health\n"
                    'proxy "127.0.0.1" trusted\n' % (addr, pop3, addr, hport)
                    + extra)
    return b.start()


def kill_tree(b):
    """kill -9 of a backend's whole process tree, as a host lost."""
    os.killpg(b.proc.pid, signal.SIGKILL)
    b.proc.wait()
    deadline = time.monotonic() + 5
    while b._group() and time.monotonic() < deadline:
        time.sleep(0.05)
    b.running = False


# The check doc/fleet.md gives: the health port (no PROXY header goes
# to a check "port"), one line that must begin with "up".
HAPROXY_CONF = """\
global
    maxconn 2000
defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 1s
frontend pop3
    bind 127.0.0.1:{front}
    default_backend popd
backend popd
    balance roundrobin
    option tcp-check
    tcp-check expect rstring ^up
    default-server check port {health} inter 1s fall 2 rise 1
    server b1 {b1}:{pop3} send-proxy-v2
    server b2 {b2}:{pop3} send-proxy-v2
"""
# fall 2 checks, a second apart, each at most timeout check: a backend
# that stopped saying "up" gets no new connection after this.
HAPROXY_BOUND = 3.0


class Haproxy(T.ForeignDaemon):
    name = "haproxy"

    def __init__(self, haproxy, top, pop3, hport):
        super().__init__(haproxy, top)
        self.port = T.free_port()
        conf = self.write("haproxy.cfg", HAPROXY_CONF.format(
            front=self.port, health=hport, b1=B1, b2=B2, pop3=pop3))
        self.args = ["-db", "-f", conf]


SRC = [0]


def through(port, bs):
    """A login through a front from a fresh client address: which of
    the backends bs served it (by the client its log names), or None
    when the login failed."""
    SRC[0] += 1
    src = "127.0.%d.%d" % (100 + SRC[0] // 250, 1 + SRC[0] % 250)
    try:
        r = T.Raw(port, tls=False, src=src, timeout=10)
        ok = r.line()[:3] == b"+OK" and \
            r.cmd("USER bob")[:3] == b"+OK" and \
            r.cmd("PASS pw2")[:3] == b"+OK"
        if ok:
            r.cmd("QUIT")
        r.close()
    except (OSError, EOFError):
        ok = False
    if not ok:
        return None
    key = "user bob from %s port" % src
    for _ in range(100):
        for b in bs:
            if key in b.log():
                return b
        time.sleep(0.05)
    return None


@T.test(start=False, timeout=240, allow_crash=True)
def haproxy_follows_health(srv):
    """HAProxy's tcp-check on the health ports: drain, undrain, kill."""
    haproxy = T.apt_install("haproxy", "haproxy")
    pop3 = F.port_free_on(B1, B2)
    hport = F.port_free_on(B1, B2)
    b1 = backend(B1, pop3, hport)
    b2 = backend(B2, pop3, hport)
    srv.start()     # unused, but the harness checks it
    try:
        T.expect(health(B1, hport), b"up 0\n", "b1's health port at start")
        # A session open on b1: its health line counts it.
        held = T.Raw(b1.port, timeout=20)
        held.line()
        held.login("alice", "pw1")
        T.wait_for(lambda: health(B1, hport) == b"up 1\n", timeout=3,
                   what="b1's health port says 1 session")
        with Haproxy(haproxy, srv.tmpdir, pop3, hport) as hp:
            got = [through(hp.port, (b1, b2)) for _ in range(6)]
            T.expect((got.count(b1), got.count(b2)), (3, 3),
                     "logins through HAProxy on b1, b2 (round robin)")
            rc, out, err = b1.popctl("drain")
            T.expect((rc, out), (0, "draining, 1 session open\n"),
                     "popctl drain on b1: %s" % err)
            t0 = time.monotonic()
            T.expect(health(B1, hport), b"draining 1\n",
                     "b1's health port, drained")
            # Logins still served by a draining backend, directly.
            p = T.try_pop(b1, "carol")
            T.expect_true(p is not None, "a direct login to a draining "
                          "backend")
            p.quit()
            time.sleep(max(0, HAPROXY_BOUND - (time.monotonic() - t0)))
            got = [through(hp.port, (b1, b2)) for _ in range(6)]
            T.expect(got, [b2] * 6, "logins through HAProxy %.1f s after "
                     "b1's drain" % HAPROXY_BOUND)
            # The session b1 had goes on; its end is the last.
            T.expect(held.cmd("STAT")[:3], b"+OK", "b1's session goes on")
            held.cmd("QUIT")
            held.close()
            b1.wait_log("drained: the last session ended")
            T.wait_for(lambda: health(B1, hport) == b"draining 0\n",
                       timeout=3, what="b1's health port: draining 0")
            rc, out, err = b1.popctl("undrain")
            T.expect((rc, out), (0, "up, 0 sessions open\n"),
                     "popctl undrain: %s" % err)
            t0 = time.monotonic()
            T.wait_for(lambda: through(hp.port, (b1, b2)) is b1,
                       timeout=HAPROXY_BOUND + 2, interval=0.1,
                       what="a login on b1 again after undrain")
            back = time.monotonic() - t0
            # Killed: no new connection goes there after the bound.
            kill_tree(b1)
            t0 = time.monotonic()
            time.sleep(HAPROXY_BOUND)
            got = [through(hp.port, (b1, b2)) for _ in range(6)]
            T.expect(got, [b2] * 6, "logins through HAProxy %.1f s after "
                     "b1 was killed" % HAPROXY_BOUND)
            print("# HAProxy: b1 back %.2f s after undrain" % back)
        T.expect_true(b2.alive(), "b2 alive")
        T.expect(b2.crashes(), [], "crashes in b2's log")
    finally:
        for b in (b1, b2):
            b.cleanup()


# --- a flood on a health port ----------------------------------------------

# What a check from elsewhere may take while the port is flooded: well
# inside the second that routepop and doc/fleet.md's HAProxy give one.
FLOOD_CHECK_BOUND = 0.5


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    return 0


def timed_check(addr, port):
    """A checker's look from 127.0.0.1: the line and its time, or
    (None, time) when it failed."""
    t0 = time.monotonic()
    try:
        out = health(addr, port)
    except OSError:
        out = None
    return out, time.monotonic() - t0


def flooder(port, secs, srcs, rst):
    """A child that opens and closes connections to port on B1 as fast
    as it can for secs, from srcs in turn (closing by RST when rst): its
    count of connections made, through a pipe."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        n = 0
        try:
            os.close(r)
            end = time.monotonic() + secs
            while time.monotonic() < end:
                s = socket.socket()
                try:
                    if rst:
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     b"\1\0\0\0\0\0\0\0")
                    s.settimeout(2)
                    s.bind((srcs[n % len(srcs)], 0))
                    s.connect((B1, port))
                    n += 1
                except OSError:
                    pass
                finally:
                    s.close()
            os.write(w, b"%d" % n)
        finally:
            os._exit(0)
    os.close(w)
    return pid, r


@T.test(start=False, timeout=180)
def health_port_under_flood(srv):
    """A flood on a backend's health port (5000 connections held unread,
    from one address and from a thousand; then opened and closed as fast
    as two processes can, by FIN from one address and by RST from a
    thousand): the listener holds no descriptor and no memory for them,
    a POP3 login on the same listener goes through, a check from
    elsewhere is answered within FLOOD_CHECK_BOUND, and a router's
    routepop (srv) sees no check fail."""
    pop3 = F.port_free_on(B1)
    hport = F.port_free_on(B1)
    b = backend(B1, pop3, hport)
    try:
        flood_health(srv, b, hport)
    finally:
        b.cleanup()


def flood_health(srv, b, hport):
    routes = os.path.join(srv.tmpdir, "routes")
    with open(routes, "w") as f:
        f.write("alice\t%s\n" % B1)
    srv.conf_extra = ('listen on socket "%s" auth-http group popdnginx '
                      'user popdnginx\nroute "%s" pop3 %d health %d\n'
                      % (os.path.join(srv.tmpdir, "auth.sock"), routes,
                         b.port, hport))
    T.daemon_user("popdnginx")
    srv.start()
    T.wait_for(lambda: states(srv).get(B1) == "up", what="the router's "
               "checks see %s up" % B1)
    lp = b.pids()["listener"]
    fds0, rss0 = nfds(lp), rss_kb(lp)
    worst = [0.0]

    def check(what):
        out, took = timed_check(B1, hport)
        T.expect_true(out in (b"up 0\n", b"up 1\n"), "a check %s" % what,
                      out)
        worst[0] = max(worst[0], took)

    # Held by clients that never read (the smallest receive buffer) and
    # never close: half from one address, half from a thousand.
    many = ["127.0.%d.%d" % (70 + i // 250, 1 + i % 250)
            for i in range(1000)]
    held = []
    try:
        t0 = time.monotonic()
        for i in range(5000):
            s = socket.socket()
            held.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
            s.settimeout(5)
            s.bind(("127.0.0.60" if i < 2500 else many[i % 1000], 0))
            s.connect((B1, hport))
            if i % 500 == 0:
                check("while %d are held" % i)
        opened = time.monotonic() - t0
        T.wait_for(lambda: nfds(lp) <= fds0, timeout=2, what="the "
                   "listener holding none of %d unread connections (%d "
                   "descriptors, %d before)" % (len(held), nfds(lp), fds0))
        check("with 5000 held")
        p = b.pop("alice")
        T.expect(p.stat()[0], 0, "a login with 5000 held")
        p.quit()
    finally:
        for s in held:
            s.close()
    print("# 5000 held, opened in %.2f s" % opened)

    # Churn, two processes for 4 s: FIN from one address, RST from a
    # thousand.
    cpu0 = sum(T.cpu_ticks(lp)[:2])
    kids = [flooder(hport, 4, ["127.0.0.61"], False),
            flooder(hport, 4, many, True)]
    t0 = time.monotonic()
    logins = []
    while time.monotonic() - t0 < 3.5:
        check("during the churn")
        t1 = time.monotonic()
        p = b.pop("alice")
        T.expect(p.stat()[0], 0, "a login during the churn")
        p.quit()
        logins.append(time.monotonic() - t1)
        time.sleep(0.1)
    made = []
    for pid, r in kids:
        os.waitpid(pid, 0)
        made.append(int(os.read(r, 32) or b"0"))
        os.close(r)
    cpu = (sum(T.cpu_ticks(lp)[:2]) - cpu0) / os.sysconf("SC_CLK_TCK")
    T.wait_for(lambda: nfds(lp) <= fds0, timeout=2, what="the listener's "
               "descriptors back to %d (%d)" % (fds0, nfds(lp)))
    T.expect_true(rss_kb(lp) - rss0 < 512, "the listener's memory (%d kB "
                  "before, %d kB after)" % (rss0, rss_kb(lp)))
    T.expect(b.pids()["listener"], lp, "the same listener")
    T.expect_true(worst[0] < FLOOD_CHECK_BOUND, "checks within %.1f s"
                  % FLOOD_CHECK_BOUND, worst[0])
    T.expect(states(srv).get(B1), "up", "the router's view of %s" % B1)
    failed = [ln for ln in srv.log().splitlines()
              if "%s: check failed" % B1 in ln]
    T.expect(failed, [], "routepop's failed checks")
    T.expect_true(min(made) > 1000, "the flooders' connections", made)
    print("# churn: %s connections in 4 s, the listener's CPU %.2f s; "
          "checks within %.3f s; logins within %.2f s"
          % (made, cpu, worst[0], max(logins)))


# --- the router ------------------------------------------------------------

# No backend listens there: erin's whole pool is down from the start.
DEAD = ("127.0.0.24", "127.0.0.25")
RUSERS = USERS + [("erin", "pw5")]
# The router's checks: down after 2 failed checks a second apart, the
# second given its second (routepop(8)); a login after it goes elsewhere.
FAILOVER_BOUND = 5.0


class Pool:
    """Three backends with the same users, nginx in front of each
    test's router (srv), shared by the tests."""

    def __init__(self):
        T.need_root()
        nginx = T.need_nginx()
        self.top = tempfile.mkdtemp(prefix="popdfail.", dir="/tmp")
        os.chmod(self.top, 0o755)
        atexit.register(self.cleanup)
        self.sock = os.path.join(self.top, "auth.sock")
        self.key = os.path.join(self.top, "ticket.key")
        fd = os.open(self.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        self.routes = os.path.join(self.top, "routes")
        with open(self.routes, "w") as f:
            f.write("alice\t%s, %s, %s\n" % (B1, B2, B3) +
                    "bob\t%s %s %s\n" % (B1, B2, B3) +
                    "carol\t%s %s %s\n" % (B1, B2, B3) +
                    "erin\t%s %s\n" % DEAD)
        self.pop3 = F.port_free_on(B1, B2, B3)
        self.hport = F.port_free_on(B1, B2, B3)
        self.backends = []
        self.nginx = None
        for addr in (B1, B2, B3):
            self.backends.append(backend(
                addr, self.pop3, self.hport,
                extra='ticket key "%s"\n' % self.key))
        b = self.backends[0]
        self.nginx = T.Nginx(
            nginx, self.top, b.cert, b.key, "unix:%s:/auth" % self.sock,
            {"pop3s": ("pop3", True, "pop3_auth plain;\n"
                       "        proxy_protocol on;")},
            user=T.daemon_user("popdnginx").pw_name).start()
        self.front = self.nginx.ports["pop3s"]

    def router_conf(self):
        return ('listen on socket "%s" auth-http group popdnginx '
                'user popdnginx\n'
                'route "%s" pop3 %d health %d\n'
                'ticket key "%s"\n'
                % (self.sock, self.routes, self.pop3, self.hport, self.key))

    check = F.Fleet.check

    def cleanup(self):
        if self.nginx is not None:
            self.nginx.cleanup()
        for b in self.backends:
            b.cleanup()
        if not os.environ.get("POPDTEST_KEEP"):
            shutil.rmtree(self.top, ignore_errors=True)


POOL = None


def router(srv):
    """The shared pool, srv started as its router, every backend seen
    up by its checks."""
    global POOL
    if POOL is None:
        POOL = Pool()
    for b in POOL.backends:
        if not b.running:
            b.start()
    srv.conf_extra = POOL.router_conf()
    srv.start()
    T.wait_for(lambda: os.path.exists(POOL.sock), what="the auth socket")
    T.wait_for(lambda: all(states(srv).get(a) == "up"
                           for a in (B1, B2, B3)),
               what="the router's checks see the backends up")
    return POOL


def backends_table(srv):
    """popctl show backends: {address: [state, users, sessions, age]}."""
    rc, out, err = srv.popctl("show", "backends")
    T.expect(rc, 0, "popctl show backends: %s" % err)
    lines = out.splitlines()
    T.expect(lines[0].split(), ["BACKEND", "STATE", "USERS", "SESSIONS",
                                "CHECKED"], "show backends' header")
    return {ln.split()[0]: ln.split()[1:] for ln in lines[1:]}


def states(srv):
    return {a: row[0] for a, row in backends_table(srv).items()}


def where(p, user, pw):
    """A login of user through nginx from a fresh client address: the
    backend that served it, or its -ERR line."""
    SRC[0] += 1
    src = "127.0.%d.%d" % (100 + SRC[0] // 250, 1 + SRC[0] % 250)
    r = T.Raw(p.front, src=src, timeout=20)
    T.expect(r.line()[:3], b"+OK", "nginx's greeting")
    rep, _ = F.login(r, user, pw)
    if rep[:3] != b"+OK":
        r.close()
        return rep
    r.cmd("QUIT")
    r.close()
    key = "user %s from %s port" % (user, src)
    for _ in range(200):
        for b in p.backends:
            if b.running and key in b.log():
                return b
        time.sleep(0.05)
    raise AssertionError("no backend logged %s" % key)


@T.test(start=False, users=RUSERS, timeout=240, allow_crash=True)
def pool_failover(srv):
    """Each user stays on one backend of the pool; the backend of alice
    is killed -9: her logins go to another within FAILOVER_BOUND s
    (measured), the others' stay where they were; it comes back: so
    does she; a user whose whole pool is down gets [SYS/TEMP]."""
    p = router(srv)
    home = {}
    for user, pw in USERS:
        home[user] = where(p, user, pw)
        T.expect(where(p, user, pw), home[user], "%s again on the same "
                 "backend" % user)
    x = home["alice"]
    kill_tree(x)
    t0 = time.monotonic()
    while True:
        got = where(p, "alice", "pw1")
        took = time.monotonic() - t0
        if not isinstance(got, bytes):
            break
        # nginx's own error while the router still sends her to x.
        T.expect(got[:4], b"-ERR", "alice's login while %s dies" % x.addr)
        T.expect_true(took < FAILOVER_BOUND, "alice logged in again "
                      "within %.0f s" % FAILOVER_BOUND, took)
        time.sleep(0.2)
    print("# failover: alice logged in through %s %.2f s after %s was "
          "killed" % (got.addr, took, x.addr))
    T.expect_true(got is not x and took < FAILOVER_BOUND, "alice on "
                  "another backend within %.0f s" % FAILOVER_BOUND, took)
    T.wait_for(lambda: states(srv).get(x.addr) == "down", timeout=5,
               what="show backends says %s down" % x.addr)
    srv.wait_log("backend %s down: no new user goes there" % x.addr)
    for user, pw in USERS:
        if home[user] is not x:
            T.expect(where(p, user, pw), home[user], "%s stays on her "
                     "backend" % user)
    x.start()
    t0 = time.monotonic()
    T.wait_for(lambda: where(p, "alice", "pw1") is x, timeout=5,
               interval=0.2, what="alice back on %s" % x.addr)
    print("# failback: alice on %s again %.2f s after its restart"
          % (x.addr, time.monotonic() - t0))
    srv.wait_log("backend %s up" % x.addr)
    rep = where(p, "erin", "pw5")
    T.expect(rep[:15], b"-ERR [SYS/TEMP]", "erin, whose pool is down")
    srv.wait_log("route for erin: no backend of")
    p.check()


@T.test(start=False, users=RUSERS, timeout=240)
def stuck_user_answered_at_once(srv):
    """Issue 87: alice's wrkrpop on her backend x stuck in the store
    (stopped, its page busy long since): x's health answer names her on
    a second line, and the router answers her logins at once with a
    temporary failure instead of routing her; bob is routed as ever;
    once her session is out, she is routed to x again."""
    p = router(srv)
    x = where(p, "alice", "pw1")
    held = T.Raw(p.front, src="127.0.0.9", timeout=20)
    held.line()
    T.expect(F.login(held, "alice", "pw1")[0][:3], b"+OK", "alice held")
    pid = [q for q in T.role_pids(x, "wrkrpop")
           if T.proc_status(q)["Uid"][0] == x.users["alice"]["uid"]]
    T.expect(len(pid), 1, "alice's one wrkrpop on %s" % x.addr)
    os.kill(pid[0], signal.SIGSTOP)
    try:
        with open("/proc/%d/maps" % pid[0]) as f:
            addr = [int(ln.split("-")[0], 16) for ln in f
                    if "popd-stats" in ln and " rw" in ln]
        with open("/proc/%d/mem" % pid[0], "r+b", buffering=0) as m:
            m.seek(addr[0] + S.page_busy_offset())
            m.write(struct.pack("=q", int(time.monotonic()) - 3600))
        T.wait_for(lambda: health(x.addr, POOL.hport).endswith(
                   b"\nstuck alice\n"), timeout=5,
                   what="x's health answer names alice stuck")
        time.sleep(1.5)     # the router's next check
        t0 = time.monotonic()
        rep = where(p, "alice", "pw1")
        took = time.monotonic() - t0
        print("# stuck alice answered %r in %.2f s" % (rep, took))
        T.expect(rep[:15], b"-ERR [SYS/TEMP]", "alice, stuck on x")
        srv.wait_log("route for alice: a session stuck in %s's store"
                     % x.addr)
        T.expect_true(not isinstance(where(p, "bob", "pw2"), bytes),
                      "bob routed as ever")
    finally:
        os.kill(pid[0], signal.SIGCONT)
    held.cmd("QUIT")
    held.close()
    T.wait_for(lambda: where(p, "alice", "pw1") is x, timeout=10,
               interval=0.5, what="alice on %s again once out" % x.addr)
    p.check()


@T.test(start=False, users=RUSERS, timeout=240)
def drain_on_the_router(srv):
    """popctl drain BACKEND on the router: no new login goes there, its
    session goes on; show backends says draining, then drained once the
    backend's last session ended (its health line), and the log says
    so; a restart of the router's popd keeps the drain (SOCKET.backends);
    undrain takes it back, and a restart after it keeps that."""
    p = router(srv)
    x = where(p, "alice", "pw1")
    # A session of alice on x, held through nginx.
    held = T.Raw(p.front, src="127.0.0.9", timeout=20)
    held.line()
    rep, _ = F.login(held, "alice", "pw1")
    T.expect(rep[:3], b"+OK", "alice's held session")
    T.wait_for(lambda: backends_table(srv)[x.addr][2] == "1", timeout=5,
               what="show backends: 1 session on %s" % x.addr)
    rc, out, err = srv.popctl("drain", x.addr)
    T.expect((rc, out), (0, "%s draining\n" % x.addr), "popctl drain %s: "
             "%s" % (x.addr, err))
    for user, pw in USERS:
        T.expect_true(where(p, user, pw) is not x, "%s's login not on "
                      "the drained %s" % (user, x.addr))
    T.expect(held.cmd("STAT")[:3], b"+OK", "the session on the drained "
             "backend goes on")
    held.cmd("QUIT")
    held.close()
    T.wait_for(lambda: states(srv)[x.addr] == "drained", timeout=5,
               what="show backends: %s drained" % x.addr)
    srv.wait_log("backend %s drained: its last session ended" % x.addr)
    srv.stop()
    srv.start()
    srv.wait_log("backend %s drained, as popctl drain left it" % x.addr)
    T.wait_for(lambda: [states(srv).get(a) for a in (B1, B2, B3)] ==
               ["drained" if a == x.addr else "up" for a in (B1, B2, B3)],
               what="show backends after a restart: only %s drained"
               % x.addr)
    T.expect_true(where(p, "alice", "pw1") is not x, "alice not on %s "
                  "after the restart" % x.addr)
    rc, out, err = srv.popctl("undrain", x.addr)
    T.expect((rc, out), (0, "%s up\n" % x.addr), "popctl undrain")
    T.expect(where(p, "alice", "pw1"), x, "alice back on %s" % x.addr)
    srv.stop()
    srv.start()
    T.wait_for(lambda: states(srv).get(x.addr) == "up",
               what="%s up after undrain and a restart" % x.addr)
    T.expect(where(p, "alice", "pw1"), x, "alice on %s after the restart"
             % x.addr)
    rc, out, err = srv.popctl("drain", "192.0.2.99")
    T.expect((rc, out.strip(), err.strip()), (1, "", "popctl: no route "
             "names that backend"), "drain of an unknown backend")
    p.check()


@T.test(start=False, users=RUSERS, timeout=240)
def drain_on_the_backend(srv):
    """popctl drain on a backend: the router's checks see it draining
    and send its users elsewhere; undrain, and they come back."""
    p = router(srv)
    x = where(p, "bob", "pw2")
    rc, out, err = x.popctl("drain")
    T.expect(rc, 0, "popctl drain on %s: %s" % (x.addr, err))
    T.wait_for(lambda: states(srv)[x.addr] == "drained", timeout=5,
               what="the router sees %s drained" % x.addr)
    srv.wait_log("backend %s draining: no new user goes there" % x.addr)
    T.expect_true(where(p, "bob", "pw2") is not x, "bob not on the "
                  "draining %s" % x.addr)
    rc, out, err = x.popctl("undrain")
    T.wait_for(lambda: states(srv)[x.addr] == "up", timeout=5,
               what="the router sees %s up" % x.addr)
    T.expect(where(p, "bob", "pw2"), x, "bob back on %s" % x.addr)
    p.check()


@T.test(start=False, users=RUSERS, timeout=240)
def tickets_stay_bound(srv):
    """The router's ticket for alice names her backend of the pool: it
    logs in there, and is refused at another backend of the same pool."""
    p = router(srv)
    ans = F.headers(F.ask(p, F.request("alice", "pw1")))
    server = ans.get("auth-server").decode()
    ticket = ans.get("auth-pass")
    T.expect_true(server in (B1, B2, B3), "Auth-Server is of the pool",
                  ans)
    other = [b for b in p.backends if b.addr != server][0]
    mine = [b for b in p.backends if b.addr == server][0]

    def via_proxy(b, port):
        r = T.Raw(p.pop3, host=b.addr, tls=False, timeout=20,
                  src="127.0.0.1", preamble=b"PROXY TCP4 127.0.0.3 %s %d "
                  b"%d\r\n" % (b.addr.encode(), port, p.pop3))
        r.line()
        r.cmd(b"USER alice")
        rep = r.cmd(b"PASS " + ticket)
        r.close()
        return rep

    T.expect(via_proxy(other, 4100)[:11], b"-ERR [AUTH]", "alice's ticket "
             "for %s at %s" % (server, other.addr))
    T.expect(via_proxy(mine, 4101)[:3], b"+OK", "alice's ticket at %s"
             % server)
    p.check()


@T.test(start=False, users=RUSERS, timeout=240)
def reload_forgets_backends(srv):
    """A reload whose routes no longer name a backend: show backends
    no longer lists it, and the new routepop checks the others; named
    again, it is back, up."""
    p = router(srv)
    with open(p.routes) as f:
        text = f.read()
    try:
        with open(p.routes, "w") as f:
            f.write(text.replace(", %s\n" % B3, "\n")
                    .replace(" %s\n" % B3, "\n"))
        rc, out, err = srv.popctl("reload")
        T.expect(rc, 0, "popctl reload: %s" % err)
        T.expect(sorted(states(srv)), sorted([B1, B2] + list(DEAD)),
                 "the backends after the reload")
        T.wait_for(lambda: backends_table(srv)[B1][3] in ("0s", "1s"),
                   timeout=5, what="the new routepop checks %s" % B1)
    finally:
        with open(p.routes, "w") as f:
            f.write(text)
    rc, out, err = srv.popctl("reload")
    T.expect(rc, 0, "popctl reload: %s" % err)
    T.wait_for(lambda: states(srv).get(B3) == "up", timeout=5,
               what="%s named and up again" % B3)
    T.expect(srv.crashes(), [], "crashes in the router's log")
    p.check()


@T.test(start=False, users=RUSERS, timeout=240, allow_crash=True)
def router_in_routepop(srv):
    """The root parent holds no router: the popd binary has no route
    or backend code (nm), nor has tablepop; routepop routes.  Killed -9
    while it holds a route question, that login is [SYS/TEMP], never a
    wrong password; routepop is restarted, routes again, and a drain
    made before it died holds: the drained backend gets no user, show
    backends shows it as before."""
    for prog in (T.POPD, os.path.join(T.REPO, "tablepop", "tablepop")):
        nm = subprocess.run(["nm", prog], stdout=subprocess.PIPE,
                            check=True).stdout.decode()
        T.expect([ln for ln in nm.splitlines() if re.search(
            r"backends_|route_send|route_answer|authpop_route|"
            r"route_pick|router_|check_tick|show_backends",
            ln)], [],
            "router code in %s" % prog)
    p = router(srv)
    x = where(p, "alice", "pw1")
    rc, out, err = srv.popctl("drain", x.addr)
    T.expect(rc, 0, "popctl drain %s: %s" % (x.addr, err))
    T.wait_for(lambda: states(srv)[x.addr] == "drained", timeout=5,
               what="show backends: %s drained" % x.addr)
    before = backends_table(srv)
    tp = T.tablepop_pid(srv, "routepop")
    T.expect_true(tp is not None, "a routepop runs for the routes")
    os.kill(tp, signal.SIGSTOP)
    got = []
    t = threading.Thread(target=lambda: got.append(F.headers(F.ask(
        p, F.request("alice", "pw1"), timeout=30))))
    t.start()
    # Its password checked, alice's route question waits in routepop.
    time.sleep(1.5)
    os.kill(tp, signal.SIGKILL)
    t.join(30)
    T.expect(got[0].get("auth-status"),
             b"[SYS/TEMP] cannot log in now, try again later",
             "alice's login as routepop died")
    srv.wait_log("routepop (pid %d) killed by signal 9, restarting" % tp)
    T.wait_for(lambda: T.tablepop_pid(srv, "routepop") not in (None, tp),
               timeout=10, what="a new routepop")
    T.wait_for(lambda: F.headers(F.ask(p, F.request("alice", "pw1"))).get(
        "auth-status") == b"OK", timeout=10, what="alice routed again")
    for _ in range(3):
        T.expect_true(where(p, "alice", "pw1") is not x, "alice not on "
                      "the drained %s" % x.addr)
    after = backends_table(srv)
    T.expect(sorted(after), sorted(before), "the backends after routepop "
             "died")
    T.expect(after[x.addr][:2], before[x.addr][:2], "%s's state and "
             "users after routepop died" % x.addr)
    rc, out, err = srv.popctl("undrain", x.addr)
    T.expect((rc, out), (0, "%s up\n" % x.addr), "popctl undrain")
    p.check()


if __name__ == "__main__":
    T.main(users=USERS)
