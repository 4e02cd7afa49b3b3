"""The plaintext port (-p) with STLS (RFC 2595) and trusted networks
(-t): credentials only over TLS unless the client is trusted, plaintext
sent after STLS never reaches a later state, and nothing learned before
TLS (the USER name) is kept."""

import os
import subprocess
import sys

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


if __name__ == "__main__":
    T.main()
