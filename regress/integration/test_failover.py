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
and a backend killed -9 gets none either, while the other serves."""

import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

B1, B2, B3 = "127.0.0.21", "127.0.0.22", "127.0.0.23"
USERS = [("alice", "pw1"), ("bob", "pw2"), ("carol", "pw3")]


def port_free_on(*addrs):
    """A TCP port free on each of addrs."""
    for _ in range(100):
        s = socket.socket()
        s.bind((addrs[0], 0))
        port = s.getsockname()[1]
        held = [s]
        try:
            for a in addrs[1:]:
                t = socket.socket()
                held.append(t)
                t.bind((a, port))
            return port
        except OSError:
            continue
        finally:
            for h in held:
                h.close()
    raise RuntimeError("no port free on %s" % (addrs,))


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
    pop3 = port_free_on(B1, B2)
    hport = port_free_on(B1, B2)
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


if __name__ == "__main__":
    T.main(users=USERS)
