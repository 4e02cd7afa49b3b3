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

"""Behind the front ends admins run: the PROXY protocol (v1 and v2) on a
listener, with the real HAProxy (TCP mode, send-proxy-v2, TLS passed
through to popd) and the real nginx mail proxy (TLS terminated by nginx,
users routed to one of two popd backends by an auth_http responder,
proxy_protocol on).  popd must see, log, limit and trust the client's
own address, never the proxy's, and refuse anything else on a PROXY
listener without blocking it."""

import base64
import http.server
import os
import re
import socket
import ssl
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

MSG = b"Subject: through the proxy\r\n\r\nhello\r\n"
V2SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def proxy_conf(srv, flags="tls", trusted=False, extra=""):
    """A PROXY listener on a port of its own, the harness's proxy being
    127.0.0.1."""
    srv.pport = T.free_port()
    return ("listen on 127.0.0.1 port %d %s proxy-protocol\n"
            'proxy "127.0.0.1"%s\n%s' % (srv.pport, flags,
                                          " trusted" if trusted else "",
                                          extra))


def start_proxied(srv, **kw):
    srv.conf_extra += proxy_conf(srv, **kw)
    srv.start()


def v2_header(src, sport, dst="127.0.0.1", dport=995, tlvs=b""):
    """A v2 PROXY header, TCP over IPv6 when src is IPv6 (dst then too)."""
    af = socket.AF_INET6 if ":" in src else socket.AF_INET
    body = socket.inet_pton(af, src) + socket.inet_pton(af, dst) + \
        struct.pack("!HH", sport, dport) + tlvs
    return V2SIG + (b"\x21\x21" if af == socket.AF_INET6 else
                    b"\x21\x11") + struct.pack("!H", len(body)) + body


def via_header(srv, header, src="127.0.0.1", tls=True):
    """A client that speaks to the PROXY listener itself, header first."""
    return T.Raw(srv.pport, tls=tls, timeout=10, src=src, preamble=header)


def login(r, user, pw):
    T.expect(r.line()[:3], b"+OK", "greeting")
    T.expect(r.cmd("USER " + user)[:3], b"+OK", "USER")
    return r.cmd("PASS " + pw)


# --- the PROXY listener by hand ------------------------------------------

@T.test(start=False)
def v1_and_v2_headers(srv):
    start_proxied(srv)
    srv.deliver("alice", MSG)
    r = via_header(srv, b"PROXY TCP4 192.0.2.9 127.0.0.1 5555 995\r\n")
    T.expect(login(r, "alice", srv.password("alice"))[:3], b"+OK", "v1")
    r.cmd("QUIT")
    r.close()
    srv.wait_log("user alice from 192.0.2.9 port 5555")
    r = via_header(srv, v2_header("198.51.100.7", 4242,
                                  tlvs=b"\x01\x00\x02h2\x04\x00\x00"))
    T.expect(login(r, "alice", "wrong")[:11], b"-ERR [AUTH]", "v2 failure")
    r.close()
    srv.wait_log('failed login for "alice" from 198.51.100.7 port 4242')
    # IPv6 in a v1 header.
    r = via_header(srv, b"PROXY TCP6 2001:db8::7 ::1 6000 995\r\n")
    T.expect(login(r, "bob", srv.password("bob"))[:3], b"+OK", "TCP6")
    r.cmd("QUIT")
    r.close()
    srv.wait_log("user bob from 2001:db8::7 port 6000")
    # An IPv4 client as a dual-stack proxy names it, v1 and v2: IPv4.
    r = via_header(srv, b"PROXY TCP6 ::ffff:192.0.2.33 ::ffff:127.0.0.1 "
                   b"6001 995\r\n")
    T.expect(login(r, "bob", srv.password("bob"))[:3], b"+OK", "mapped v1")
    r.cmd("QUIT")
    r.close()
    srv.wait_log("user bob from 192.0.2.33 port 6001")
    r = via_header(srv, v2_header("::ffff:198.51.100.34", 6002,
                                  dst="::ffff:127.0.0.1"))
    T.expect(login(r, "bob", "wrong")[:11], b"-ERR [AUTH]", "mapped v2")
    r.close()
    srv.wait_log('failed login for "bob" from 198.51.100.34 port 6002')
    # LOCAL (a health check): the proxy's own address.
    r = via_header(srv, V2SIG + b"\x20\x00\x00\x00")
    T.expect(r.line()[:3], b"+OK", "LOCAL greeting")
    r.close()


@T.test(start=False)
def reload_that_drops_the_proxy(srv):
    """A reload that removes the proxy statement and the proxy-protocol
    listen line keeps the socket (bound sockets change at a restart):
    and a connection to that socket is refused as not from a proxy; no
    listener ends, the sessions it holds go on."""
    start_proxied(srv)
    held = srv.raw()
    held.line()
    T.expect(held.login("alice", srv.password("alice"))[:3], b"+OK",
             "a session before the reload")
    srv.conf_extra = ""
    srv._write(srv.conffile, srv.config()[0], 0o644)
    n = srv.log().count("reloaded")
    srv.reload()
    T.wait_for(lambda: srv.log().count("reloaded") > n, what="the reload")
    T.wait_for(lambda: len(T.role_pids(srv, "listener")) ==
               len(set(T.role_pids(srv, "keypop"))) or None,
               what="the reload's listeners")
    mark = len(srv.log())
    for _ in range(3):
        s = socket.create_connection((T.HOST, srv.pport), timeout=10)
        s.sendall(b"PROXY TCP4 192.0.2.1 127.0.0.1 1 995\r\n")
        T.expect_true(T.is_closed(s), "refused: no proxy now")
        s.close()
    srv.wait_log("not a proxy")
    time.sleep(1)       # the parent reaps a child within its second
    T.expect_true(re.search(r"listener \(pid \d+\) (exited|killed)",
                            srv.log()[mark:]) is None,
                  "no listener ended", srv.log_tail(10))
    T.expect(held.cmd("STAT")[:3], b"+OK", "the session goes on")
    held.ok("QUIT")
    held.close()
    with srv.raw() as r:
        r.line()
        T.expect(r.login("bob", srv.password("bob"))[:3], b"+OK",
                 "a login on the TLS port")
        r.ok("QUIT")


@T.test(start=False)
def refused_without_a_good_header(srv):
    start_proxied(srv, extra="timeout handshake 2\n")
    # Not a proxy: refused at once, whatever it sends.
    s = socket.create_connection((T.HOST, srv.pport), timeout=10,
                                 source_address=("127.0.0.4", 0))
    s.sendall(b"PROXY TCP4 192.0.2.1 127.0.0.1 1 995\r\n")
    T.expect_true(T.is_closed(s), "a connection not from a proxy")
    s.close()
    srv.wait_log("127.0.0.4")
    srv.wait_log("not a proxy")
    # From the proxy's address but no header (a client's ClientHello).
    s = socket.create_connection((T.HOST, srv.pport), timeout=10)
    try:
        T.client_ctx().wrap_socket(s)
        raise AssertionError("TLS without a PROXY header went through")
    except (ssl.SSLError, OSError):
        pass
    srv.wait_log("bad PROXY header: not a PROXY protocol header")
    for junk in (b"PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n",
                 b"PROXY UDP4 1.2.3.4 5.6.7.8 1 1\r\n",
                 b"PROXY " + b"1" * 120,
                 V2SIG + b"\x21\x12\x00\x0c" + b"\x00" * 12,
                 V2SIG + b"\x21\x11\xff\xff"):
        s = socket.create_connection((T.HOST, srv.pport), timeout=10)
        s.sendall(junk)
        T.expect_true(T.is_closed(s), "closed after %r" % junk[:20])
        s.close()
    # Slow: half a header, then nothing, until timeout handshake.
    s = socket.create_connection((T.HOST, srv.pport), timeout=10)
    s.sendall(b"PROXY TCP4 1.2.")
    t = time.monotonic()
    T.expect_true(T.is_closed(s, 6), "a slow header is cut")
    T.expect_true(time.monotonic() - t < 5, "within timeout handshake")
    s.close()
    srv.wait_log("no PROXY header in time")
    # All the while the listener serves the good ones.
    r = via_header(srv, v2_header("192.0.2.50", 1000))
    T.expect(login(r, "bob", srv.password("bob"))[:3], b"+OK", "after")
    r.close()


@T.test(start=False)
def unparseable_client_refused(srv):
    """A TCP4/TCP6 line whose client does not parse (a scoped link-local
    address, which no proxy writes; "unknown") is a bad header: closed
    and logged like any other, never a client, let alone one key for all
    of them.  The protocol UNKNOWN (a proxy's health check) names no
    client: the connection keeps the proxy's own address and is served."""
    start_proxied(srv, flags="starttls")
    for n, junk in enumerate((b"PROXY TCP6 fe80::1%eth0 ::1 1 110\r\n",
                              b"PROXY TCP6 unknown ::1 1 110\r\n",
                              b"PROXY TCP4 unknown 127.0.0.1 1 110\r\n"),
                             start=1):
        # One such line a second is logged: wait for the next second.
        time.sleep(1.1)
        s = socket.create_connection((T.HOST, srv.pport), timeout=10)
        s.sendall(junk)
        T.expect_true(T.is_closed(s), "closed after %r" % junk)
        s.close()
        T.wait_for(lambda: srv.log().count(
            "bad PROXY header: v1 header: bad address") == n,
            what="%r logged as a bad header" % junk)
    for header in (b"PROXY UNKNOWN\r\n", b"PROXY UNKNOWN fe80::1%eth0 "
                   b"::1 1 110\r\n", V2SIG + b"\x20\x00\x00\x00"):
        r = via_header(srv, header, tls=False)
        T.expect(r.line()[:3], b"+OK", "greeting after %r" % header)
        r.close()
    T.wait_for(lambda: srv.log().count("PROXY header for the proxy "
                                       "itself") == 3,
               what="three health checks with the proxy's address")


@T.test(start=False)
def limits_and_trust_use_the_client(srv):
    """Per-address limits count the client the header names; a trusted
    network is the client's; the proxy's own address is trusted only
    when its proxy statement says so."""
    srv.conf_extra = "limit per-address sessions 2\n" \
        'trusted "192.0.2.0/24"\n'
    start_proxied(srv, flags="starttls")
    held = [via_header(srv, v2_header("203.0.113.5", 1000 + i), tls=False)
            for i in range(2)]
    for h in held:
        T.expect(h.line()[:3], b"+OK", "greeting")
        h.capa()
    r = via_header(srv, v2_header("203.0.113.5", 2000), tls=False)
    T.expect(r.line()[:3], b"+OK", "the listener's greeting")
    T.expect(r.cmd("CAPA")[:34], b"-ERR [SYS/TEMP] too many connectio",
             "third from the same client")
    r.close()
    r = via_header(srv, v2_header("203.0.113.6", 2000), tls=False)
    T.expect(r.line()[:3], b"+OK", "another client through the proxy")
    # 203.0.113.6 is not trusted, so no plaintext password.
    T.expect(r.cmd("USER alice")[:11], b"-ERR [AUTH]", "plaintext refused")
    r.close()
    # 192.0.2.7 is in a trusted network: plaintext allowed.
    r = via_header(srv, v2_header("192.0.2.7", 2000), tls=False)
    T.expect(login(r, "alice", srv.password("alice"))[:3], b"+OK",
             "trusted client through the proxy")
    r.close()
    for h in held:
        h.close()


@T.test(start=False)
def trusted_proxy_allows_plaintext(srv):
    start_proxied(srv, flags="starttls", trusted=True)
    r = via_header(srv, v2_header("203.0.113.9", 3000), tls=False)
    T.expect(login(r, "alice", srv.password("alice"))[:3], b"+OK",
             "plaintext through a trusted proxy")
    r.close()
    srv.wait_log("user alice from 203.0.113.9 port 3000")


# --- HAProxy ---------------------------------------------------------------

HAPROXY_CONF = """\
global
    maxconn 2000
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend pop3s
    bind 127.0.0.1:{front}
    default_backend popd
backend popd
    server popd1 127.0.0.1:{back} send-proxy-v2
"""


class Haproxy(T.ForeignDaemon):
    """HAProxy in the foreground on a port of its own, passing TCP on to
    the PROXY listener on port back with a v2 header."""

    name = "haproxy"

    def __init__(self, haproxy, top, back):
        super().__init__(haproxy, top)
        self.port = T.free_port()
        conf = self.write("haproxy.cfg", HAPROXY_CONF.format(front=self.port,
                                                             back=back))
        self.args = ["-db", "-f", conf]


@T.test(start=False, timeout=240)
def haproxy_send_proxy_v2(srv):
    haproxy = T.apt_install("haproxy", "haproxy")
    start_proxied(srv)
    srv.deliver("alice", MSG)
    with Haproxy(haproxy, srv.tmpdir, srv.pport) as hp:
        front = hp.port
        # TLS passes through HAProxy to popd.
        r = T.Raw(front, src="127.0.0.3")
        T.expect(login(r, "alice", srv.password("alice"))[:3], b"+OK",
                 "login through HAProxy")
        T.expect(r.cmd("STAT")[:5], b"+OK 1", "STAT")
        T.expect(r.cmd("RETR 1")[:3], b"+OK", "RETR")
        T.expect(b"\r\n".join(r.multiline()) + b"\r\n", MSG, "message")
        r.cmd("QUIT")
        r.close()
        srv.wait_log("user alice from 127.0.0.3 port")
        r = T.Raw(front, src="127.0.0.3")
        T.expect(login(r, "bob", "wrong")[:11], b"-ERR [AUTH]", "failure")
        r.close()
        srv.wait_log('failed login for "bob" from 127.0.0.3 port')
        log = srv.log()
        T.expect_true("from 127.0.0.1 port" not in
                      "".join(ln for ln in log.splitlines()
                              if "session end" in ln or "failed" in ln),
                      "the proxy's address is in no session line")
        # Garbage straight to the PROXY port; HAProxy's users go on.
        s = socket.create_connection((T.HOST, srv.pport), timeout=10)
        s.sendall(b"GARBAGE\r\n" * 20)
        T.expect_true(T.is_closed(s), "garbage header closed")
        s.close()
        r = T.Raw(front, src="127.0.0.3")
        T.expect(login(r, "bob", srv.password("bob"))[:3], b"+OK",
                 "login after garbage")
        r.close()


HAPROXY_V4V6_CONF = """\
global
    maxconn 2000
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend pop3
    bind ::ffff:127.0.0.1:{front} v4v6
    default_backend popd
backend popd
    server popd1 127.0.0.1:{back} {send}
"""


class HaproxyV4v6(T.ForeignDaemon):
    """HAProxy on a dual-stack socket (an IPv6 socket taking IPv4, bound
    to 127.0.0.1 as ::ffff:127.0.0.1, so that only loopback reaches it),
    as a site with "bind :::995 v4v6" has: it names its IPv4 clients
    ::ffff:a.b.c.d in the header it sends (send is send-proxy for v1,
    send-proxy-v2 for v2)."""

    name = "haproxy"

    def __init__(self, haproxy, top, back, send):
        super().__init__(haproxy, top)
        self.port = T.free_port()
        conf = self.write("haproxy.cfg", HAPROXY_V4V6_CONF.format(
            front=self.port, back=back, send=send))
        self.args = ["-db", "-f", conf]

    def ready(self):
        # A listening IPv6 socket is in /proc/net/tcp6, not tcp.
        want = ":%04X" % self.port
        with open("/proc/net/tcp6") as f:
            return any(ln.split()[1].endswith(want) and
                       ln.split()[3] == "0A" for ln in list(f)[1:])


def _dual_stack(srv, send):
    """IPv4 clients through a dual-stack HAProxy are IPv4 clients, each
    of its own: per-address limits, failure delays, trusted networks and
    the log lines take each one's own address (127.0.0.x), not one
    IPv6 address, nor one /64, for all of them."""
    haproxy = T.apt_install("haproxy", "haproxy")
    srv.conf_extra = "limit per-address sessions 2\n" \
        "failure-delay 1s 15s\n" 'trusted "127.0.0.0/24"\n'
    start_proxied(srv, flags="starttls")
    with HaproxyV4v6(haproxy, srv.tmpdir, srv.pport, send) as hp:
        def greeted(src):
            r = T.Raw(hp.port, src=src, tls=False, timeout=20)
            T.expect(r.line()[:3], b"+OK", "greeting for %s" % src)
            r.capa()
            return r
        # Five clients, one connection each, and a second for the first:
        # all in, under a limit of 2 per address.
        held = [greeted("127.0.0.%d" % i) for i in range(11, 16)]
        held.append(greeted("127.0.0.11"))
        r = T.Raw(hp.port, src="127.0.0.11", tls=False, timeout=20)
        T.expect(r.line()[:3], b"+OK", "the listener's greeting")
        T.expect(r.cmd("CAPA")[:34], b"-ERR [SYS/TEMP] too many connectio",
                 "a third from 127.0.0.11")
        r.close()
        for h in held:
            h.close()
        srv.wait_log("refused: 2 sessions before login")
        T.expect_true(any(ln.endswith("(limit per-address sessions)") and
                          "from 127.0.0.11:" in ln
                          for ln in srv.log().splitlines()),
                      "the refusal names 127.0.0.11", srv.log_tail(5))
        # 127.0.0.12 fails; meanwhile 127.0.0.13 logs in at once.  Both
        # are in the trusted 127.0.0.0/24: passwords in the clear.
        bad = greeted("127.0.0.12")
        T.expect(bad.cmd("USER alice")[:3], b"+OK", "USER, trusted")
        T.expect(bad.cmd("PASS wrong1")[:11], b"-ERR [AUTH]", "failure 1")
        took = {}

        def second_failure():
            t = time.monotonic()
            bad.cmd("USER alice")
            # A new guess: the same wrong password again would be a
            # stale client's, not counted twice.
            took["fail"] = (bad.cmd("PASS wrong2"), time.monotonic() - t)
        th = threading.Thread(target=second_failure)
        th.start()
        time.sleep(0.2)
        t = time.monotonic()
        good = T.Raw(hp.port, src="127.0.0.13", tls=False, timeout=20)
        T.expect(login(good, "bob", srv.password("bob"))[:3], b"+OK",
                 "bob from 127.0.0.13")
        took["good"] = time.monotonic() - t
        good.cmd("QUIT")
        good.close()
        th.join(20)
        bad.close()
        T.expect_true(took["good"] < 1.0, "127.0.0.13 not held up by "
                      "127.0.0.12's failures", took)
        T.expect_true(took.get("fail", (b"", 0))[1] >= 1.9,
                      "127.0.0.12's second failure waits 2 s", took)
        # The log names each client by its IPv4 address.
        srv.wait_log('failed login for "alice" from 127.0.0.12 port')
        srv.wait_log("user bob from 127.0.0.13 port")
        # Outside the trusted network: no password in the clear.
        r = greeted("127.0.1.5")
        T.expect(r.cmd("USER alice")[:11], b"-ERR [AUTH]",
                 "plaintext from 127.0.1.5")
        r.close()
        log = srv.log()
        T.expect_true("::ffff:" not in log, "no mapped address logged",
                      [ln for ln in log.splitlines() if "::ffff:" in ln])


@T.test(start=False, timeout=240)
def haproxy_dual_stack_v1(srv):
    _dual_stack(srv, "send-proxy")


@T.test(start=False, timeout=240)
def haproxy_dual_stack_v2(srv):
    _dual_stack(srv, "send-proxy-v2")


# --- nginx mail proxy ------------------------------------------------------

def auth_responder(routes, seen):
    """nginx's auth_http: a user's backend from the table (Auth-Status
    OK, Auth-Server, Auth-Port); anyone else is refused with a wait.
    The password is left to the backend."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            user = self.headers.get("Auth-User", "")
            seen.append((user, self.headers.get("Client-IP", ""),
                         self.headers.get("Auth-Protocol", "")))
            self.send_response(200)
            if user in routes:
                self.send_header("Auth-Status", "OK")
                self.send_header("Auth-Server", "127.0.0.1")
                self.send_header("Auth-Port", str(routes[user]))
            else:
                self.send_header("Auth-Status",
                                 "invalid user name or password")
                self.send_header("Auth-Wait", "1")
            self.end_headers()

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@T.test(start=False, timeout=300)
def nginx_mail_proxy_two_backends(srv):
    nginx = T.need_nginx()
    # Two backends: alice lives on the first, bob on the second.
    start_proxied(srv, flags="starttls", trusted=True)
    other = T.Server(users=[("bob", "pw2"), ("carol", "pw3")])
    other.conf_extra = proxy_conf(other, flags="starttls", trusted=True)
    try:
        other.start()
        srv.deliver("alice", MSG)
        other.deliver("bob", MSG)
        other.deliver("bob", b"Subject: second\r\n\r\nkeep me\r\n")
        seen = []
        httpd = auth_responder({"alice": srv.pport, "bob": other.pport},
                               seen)
        try:
            with T.Nginx(nginx, srv.tmpdir, srv.cert, srv.key,
                         "127.0.0.1:%d/auth" % httpd.server_address[1],
                         {"pop3s": ("pop3", True, "pop3_auth plain; "
                                    "proxy_protocol on;")}) as ng:
                _through_nginx(srv, other, ng.port, seen)
        finally:
            httpd.shutdown()
    finally:
        other.cleanup()


def _through_nginx(srv, other, port, seen):
    # alice: to the first backend, fetch and delete.
    r = T.Raw(port, src="127.0.0.3")
    T.expect(login(r, "alice", srv.password("alice"))[:3], b"+OK",
             "alice through nginx")
    T.expect(r.cmd("STAT")[:5], b"+OK 1", "alice's STAT")
    T.expect(r.cmd("RETR 1")[:3], b"+OK", "RETR")
    T.expect(b"\r\n".join(r.multiline()) + b"\r\n", MSG, "alice's message")
    T.expect(r.cmd("DELE 1")[:3], b"+OK", "DELE")
    T.expect(r.cmd("QUIT")[:3], b"+OK", "QUIT")
    r.close()
    T.wait_for(lambda: T.files(srv.maildir("alice"), "cur") == [] and
               T.files(srv.maildir("alice"), "new") == [],
               what="alice's message deleted on the first backend")
    srv.wait_log("user alice from 127.0.0.3 port")
    # bob: the second backend, a leave-on-server client (UIDL, RETR, no
    # DELE), twice: the same UIDLs, nothing removed.
    uidls = []
    for _ in range(2):
        r = T.Raw(port, src="127.0.0.4")
        T.expect(login(r, "bob", "pw2")[:3], b"+OK", "bob through nginx")
        T.expect(r.cmd("UIDL")[:3], b"+OK", "UIDL")
        uidls.append(r.multiline())
        bodies = b""
        for n in (1, 2):
            T.expect(r.cmd("RETR %d" % n)[:3], b"+OK", "RETR %d" % n)
            bodies += b"\r\n".join(r.multiline())
        T.expect_true(b"keep me" in bodies and b"hello" in bodies,
                      "both messages", bodies)
        T.expect(r.cmd("CAPA")[:3], b"+OK", "CAPA after login, relayed")
        capa = r.multiline()
        T.expect_true(b"UIDL" in capa, "popd's own CAPA", capa)
        r.cmd("QUIT")
        r.close()
    T.expect(uidls[0], uidls[1], "the same UIDLs on the second visit")
    T.expect(len(uidls[0]), 2, "both messages kept")
    other.wait_log("user bob from 127.0.0.4 port")
    # AUTH PLAIN to nginx: it logs in to the backend for the client.
    r = T.Raw(port, src="127.0.0.4")
    T.expect(r.line()[:3], b"+OK", "greeting")
    T.expect(r.cmd(b"AUTH PLAIN " + base64.b64encode(b"\0bob\0pw2"))[:3],
             b"+OK", "AUTH PLAIN through nginx")
    T.expect(r.cmd("STAT")[:5], b"+OK 2", "STAT after AUTH PLAIN")
    r.cmd("QUIT")
    r.close()
    # A wrong password: the backend's own -ERR, passed on.
    r = T.Raw(port, src="127.0.0.5")
    reply = login(r, "bob", "wrong")
    T.expect(reply[:11], b"-ERR [AUTH]", "wrong password through nginx")
    r.close()
    other.wait_log('failed login for "bob" from 127.0.0.5 port')
    # [IN-USE]: bob already has a session.
    a = T.Raw(port, src="127.0.0.6")
    T.expect(login(a, "bob", "pw2")[:3], b"+OK", "bob's first session")
    b = T.Raw(port, src="127.0.0.6")
    reply = login(b, "bob", "pw2")
    T.expect(reply[:13], b"-ERR [IN-USE]", "second session through nginx")
    b.close()
    a.cmd("QUIT")
    a.close()
    # A user no backend has: refused by the responder itself.
    r = T.Raw(port, src="127.0.0.7")
    T.expect(login(r, "mallory", "x")[:4], b"-ERR", "unknown user")
    r.close()
    T.expect_true(any(u == "alice" and ip == "127.0.0.3"
                      for u, ip, _ in seen),
                  "auth_http saw the client's address", seen)
    # Neither backend logged the proxy's address for a session.
    for s in (srv, other):
        lines = [ln for ln in s.log().splitlines()
                 if "session end" in ln or "failed login" in ln]
        T.expect_true(lines and all("from 127.0.0.1 port" not in ln
                                    for ln in lines),
                      "client addresses in the backend's log", lines)


if __name__ == "__main__":
    T.main()
