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

"""The plaintext port (-p) with STLS (RFC 2595) and trusted networks
(-t): credentials only over TLS unless the client is trusted, plaintext
sent after STLS never reaches a later state, and nothing learned before
TLS (the USER name) is kept."""

import os
import random
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402


def plain(port):
    """A Raw client on the plaintext port (STLS with starttls())."""
    return T.Raw(port, tls=False, timeout=10)


def capa_of(c):
    T.expect(c.cmd(b"CAPA")[:3], b"+OK", "CAPA")
    out = []
    for _ in range(40):
        ln = c.line()
        if ln == b".":
            return out
        out.append(ln)
    raise AssertionError("CAPA does not end")


def starttls(c):
    T.expect(c.starttls(), b"", "nothing buffered before TLS")


def plain_server(srv, *extra):
    port = T.free_port()
    srv.extra_args = ["-p", "127.0.0.1:%d" % port] + list(extra)
    srv.start()
    return port


@T.test(start=False)
def stls_then_login(srv):
    srv.deliver("alice", b"Subject: s\r\n\r\nover stls\r\n")
    c = plain(plain_server(srv))
    T.expect(c.line()[:3], b"+OK", "greeting")
    capa = capa_of(c)
    T.expect_true(b"STLS" in capa and b"USER" not in capa and
                  b"SASL PLAIN" not in capa,
                  "plaintext CAPA: STLS, no USER or SASL", capa)
    T.expect(c.cmd(b"USER alice")[:10], b"-ERR [AUTH", "USER in the clear")
    T.expect(c.cmd(b"AUTH PLAIN AGFsaWNlAHB3MQ==")[:10], b"-ERR [AUTH",
             "AUTH PLAIN in the clear")
    T.expect(c.cmd(b"STLS x")[:4], b"-ERR", "STLS with an argument")
    T.expect(c.cmd(b"STLS")[:3], b"+OK", "STLS")
    starttls(c)
    T.expect(c.sock.version(), "TLSv1.3", "TLS version after STLS")
    capa = capa_of(c)          # no second greeting comes first
    T.expect_true(b"USER" in capa and b"STLS" not in capa,
                  "CAPA after STLS: USER, no STLS", capa)
    T.expect(c.cmd(b"STLS")[:4], b"-ERR", "STLS twice")
    T.expect(c.cmd(b"USER alice")[:3], b"+OK", "USER over TLS")
    T.expect(c.cmd(b"PASS pw1")[:3], b"+OK", "PASS over TLS")
    T.expect(c.cmd(b"RETR 1"), b"+OK 25 octets", "RETR")
    T.expect([c.line(), c.line(), c.line(), c.line()],
             [b"Subject: s", b"", b"over stls", b"."], "message")
    T.expect(c.cmd(b"QUIT")[:3], b"+OK", "QUIT")
    c.close()


@T.test(start=False)
def stls_beyond_handshakes_waits(srv):
    """Issue 37: more STLS clients of one address at once than limit
    per-address handshakes: each got +OK, so each handshake waits its
    turn, as implicit TLS ones do; none is closed without a word."""
    srv.conf_extra = "limit per-address handshakes 2\n"
    port = plain_server(srv)
    cs = []
    for i in range(12):
        c = plain(port)
        T.expect(c.line()[:3], b"+OK", "greeting %d" % i)
        T.expect(c.cmd(b"STLS")[:3], b"+OK", "STLS %d" % i)
        cs.append(c)
    time.sleep(0.5)     # every +OK is out, two handshakes hold the slots
    for i, c in enumerate(cs):
        starttls(c)
        T.expect(c.sock.version(), "TLSv1.3", "TLS %d" % i)
        T.expect(c.cmd(b"NOOP")[:4], b"-ERR", "a command over TLS %d" % i)
        c.close()
    srv.wait_log("waits: 2 TLS handshakes in progress from 127.0.0.1")


@T.test(start=False, users=[("alice", "pw1")])
def user_before_stls_forgotten(srv):
    # Trusted, so USER is taken in the clear; STLS must forget it.
    c = plain(plain_server(srv, "-t", "127.0.0.0/8"))
    c.line()
    T.expect(c.cmd(b"USER alice")[:3], b"+OK", "USER (trusted)")
    T.expect(c.cmd(b"STLS")[:3], b"+OK", "STLS")
    starttls(c)
    T.expect(c.cmd(b"PASS pw1")[:4], b"-ERR", "PASS after STLS without "
             "a new USER")
    T.expect(c.cmd(b"USER alice")[:3], b"+OK", "USER again")
    T.expect(c.cmd(b"PASS pw1")[:3], b"+OK", "PASS")
    c.cmd(b"QUIT")
    c.close()


@T.test(start=False)
def plaintext_after_stls_is_discarded(srv):
    """Commands pipelined after STLS in the clear (an injection, RFC 2595
    section 3.1) never act: either the handshake fails on them, or they
    were thrown away with the plaintext session."""
    port = plain_server(srv, "-t", "127.0.0.0/8")
    for _ in range(5):
        c = plain(port)
        c.line()
        c.send(b"STLS\r\nUSER alice\r\nPASS pw1\r\n")
        T.expect(c.line()[:3], b"+OK", "STLS")
        try:
            c.starttls()        # drops what came in the clear
            r = c.cmd(b"STAT")
        except (OSError, EOFError):
            r = None        # the handshake read the plaintext: refused
        T.expect_true(r is None or r.startswith(b"-ERR"),
                      "no login from plaintext sent after STLS", r)
        c.close()
    T.expect_true("login alice" not in srv.log(), "nobody logged in",
                  srv.log_tail())


@T.test(start=False)
def trusted_network_plaintext_login(srv):
    c = plain(plain_server(srv, "-t", "10.0.0.0/8", "-t", "127.0.0.1"))
    c.line()
    capa = capa_of(c)
    T.expect_true(b"USER" in capa and b"STLS" in capa,
                  "trusted CAPA: USER and STLS", capa)
    T.expect(c.cmd(b"USER alice")[:3], b"+OK", "USER")
    T.expect(c.cmd(b"PASS pw1")[:3], b"+OK", "PASS in the clear, trusted")
    c.cmd(b"QUIT")
    c.close()


@T.test(start=False)
def untrusted_network_refused(srv):
    c = plain(plain_server(srv, "-t", "10.0.0.0/8", "-t", "::1"))
    c.line()
    T.expect(c.cmd(b"USER alice"),
             b"-ERR [AUTH] plaintext login is only allowed over TLS",
             "USER from an untrusted address")
    c.cmd(b"QUIT")
    c.close()


@T.test
def stls_on_tls_port_refused(srv):
    r = srv.raw()
    r.line()
    T.expect(r.cmd(b"STLS"), b"-ERR TLS is already active", "STLS on 995")
    r.close()


@T.test(start=False)
def bad_trusted_network(srv):
    for arg, why in (("10.0.0.0/33", "prefix length"),
                     ("example.org", "not an IPv4 or IPv6 network")):
        r = subprocess.run([T.POPD, "-d", "-a", srv.authtab, "-u",
                            srv.usertab, "-c", srv.cert, "-k", srv.key,
                            "-p", "127.0.0.1:%d" % T.free_port(), "-t",
                            arg], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=10)
        out = r.stdout.decode(errors="replace")
        T.expect(r.returncode, 1, "exit status for -t " + arg)
        T.expect_true("-t %s: " % arg in out and why in out,
                      "message names the network", out)


def converted(data):
    """A message as RETR sends it before dot-stuffing: its RFC size."""
    out = re.sub(rb"(?<!\r)\n", b"\r\n", data)
    if data and not data.endswith(b"\n"):
        out += b"\r\n"
    return out


def wire(data):
    """RETR's reply on the wire: status, dot-stuffed lines (a dot after
    a bare CR too: crlf.c), terminator."""
    conv = converted(data)
    lines = conv[:-2].split(b"\r\n") if conv else []
    return (b"+OK %d octets\r\n" % len(conv) +
            b"".join(re.sub(rb"\r\.", b"\r..", b"." + ln
                            if ln.startswith(b".") else ln) + b"\r\n"
                     for ln in lines) + b".\r\n")


SPLICERS = [("u%d" % i, "pw%d" % i) for i in range(12)]


@T.test(start=False, users=SPLICERS, timeout=240)
def plain_relay_spliced(srv):
    """Plaintext from a trusted network is relayed by splice(2) through
    the few pipes the listener keeps: more sessions streaming at once
    than pipes (the others are copied), slow readers that keep a pipe
    full, clients that leave with octets in their pipe; every session
    gets every octet of its own, in order, and none of another's."""
    rng = random.Random(7)
    msgs = [bytes(rng.choice(b"aaaaaaaaaaaa.\r\n\n\0") for _ in range(n))
            for n in (700 * 1024, 300 * 1024, 5000, 200 * 1024)]
    big = b"x" * 99 + b"\n"
    big = big * (8 * 1024 * 1024 // len(big))
    for u, _ in SPLICERS:
        for i, m in enumerate(msgs):
            srv.deliver(u, m + u.encode(), name="%d.spl" % (5000 + i))
        # Message 5: more than a socket's send buffer holds.
        srv.deliver(u, big, name="%d.spl" % (5000 + len(msgs)))
    port = plain_server(srv, "-t", "127.0.0.0/8")

    def start(u, pw, rcvbuf=None):
        c = T.Raw(port, tls=False, timeout=60, rcvbuf=rcvbuf)
        T.expect(c.line()[:3], b"+OK", "greeting")
        c.login(u, pw)
        c.send(b"".join(b"RETR %d\r\n" % i
                        for i in range(1, len(msgs) + 1)))
        return c

    def finish(c, u, slow=False):
        want = b"".join(wire(m + u.encode()) for m in msgs)
        got = bytearray(c.drain())
        while len(got) < len(want):
            if slow:
                time.sleep(0.001)
            got += c.sock.recv(4096 if slow else 65536)
        T.expect_true(bytes(got) == want, "%s's octets, in order" % u,
                      (len(got), len(want)))
        c.ok(b"QUIT")
        c.close()

    # Leavers: the socket's send buffer full, the pipe behind it too.
    for u, pw in SPLICERS[:10]:
        c = T.Raw(port, tls=False, timeout=60, rcvbuf=4096)
        c.line()
        c.login(u, pw)
        c.send(b"RETR %d\r\n" % (len(msgs) + 1))
        time.sleep(0.3)
        c.abort()
    T.wait_for(lambda: not srv.pids()["wrkrpop"], 20, "the leavers gone")
    # Twelve at once, none reading yet: eight pipes, four copies.
    held = [(start(u, pw, rcvbuf=8192), u) for u, pw in SPLICERS]
    time.sleep(0.5)
    for i, (c, u) in enumerate(held):
        finish(c, u, slow=(i % 3 == 0))
    # The pipes came back clean: one more round, all at once.
    held = [(start(u, pw), u) for u, pw in SPLICERS]
    for c, u in held:
        finish(c, u)


if __name__ == "__main__":
    T.main()
