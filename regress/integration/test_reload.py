"""SIGHUP: popd rereads authtab and usertab and starts a new listener and
authpop; sessions in progress, before and after login, are not cut, and
the previous processes leave once their sessions are over."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

MSG = b"Subject: reload\r\n\r\nstill here\r\n"


def old_gone(srv, pid):
    return lambda: pid not in T.descendants(srv.proc.pid)


@T.test
def sessions_survive_reload(srv):
    srv.deliver("alice", MSG)
    pids = srv.pids()
    # One session logged in (wrkrpop), one still in AUTHORIZATION.
    p = srv.pop("alice")
    pre = srv.raw()
    T.expect(pre.line()[:3], b"+OK", "greeting before reload")
    srv.reload()
    srv.wait_log("reloaded")
    T.wait_for(lambda: srv.pids()["listener"] not in (None,
               pids["listener"]) or len([x for x in T.descendants(
                   srv.proc.pid) if T.classify(x) == "listener"]) >= 2,
               what="a new listener")
    # The logged-in session goes on through the old listener.
    resp, lines, octets = p.retr(1)
    T.expect(b"\r\n".join(lines) + b"\r\n", MSG, "RETR after reload")
    # The pre-login session goes on through the old authpop.
    T.expect(pre.cmd(b"USER bob")[:3], b"+OK", "USER after reload")
    T.expect(pre.cmd(b"PASS " + srv.password("bob").encode())[:3], b"+OK",
             "PASS after reload")
    T.expect(pre.cmd(b"QUIT")[:3], b"+OK", "QUIT after reload")
    pre.close()
    p.quit()
    # Both previous processes leave once their sessions are over.
    T.wait_for(old_gone(srv, pids["listener"]), what="old listener to exit")
    T.wait_for(old_gone(srv, pids["authpop"]), what="old authpop to exit")
    # New connections are served by the new processes.
    q = srv.pop("alice")
    T.expect(q.stat()[0], 1, "STAT after reload")
    q.quit()


@T.test
def reload_adds_user(srv):
    with open(srv.usertab) as f:
        utab = f.read()
    with open(srv.authtab) as f:
        atab = f.read()
    u = srv.users["alice"]
    home = os.path.join(srv.homes, "carol")
    for d in ("", "tmp", "new", "cur"):
        os.makedirs(os.path.join(home, d), 0o700, exist_ok=True)
        os.chown(os.path.join(home, d), u["uid"], u["gid"])
    srv.rewrite_usertab(utab + "carol\t%d:%d:%s\n" % (u["uid"], u["gid"],
                                                      home))
    srv.rewrite_authtab(atab + "carol %s\n" % T.make_hash("pw3"))
    try:
        srv.pop("carol", "pw3")
        raise AssertionError("carol logged in before the reload")
    except Exception as e:
        if isinstance(e, AssertionError):
            raise
    srv.reload()
    srv.wait_log("reloaded")
    p = T.wait_for(lambda: T.try_pop(srv, "carol", "pw3"),
                   what="carol's login")
    T.expect(p.stat()[0], 0, "carol's STAT")
    p.quit()


@T.test
def bad_reload_keeps_old_tables(srv):
    with open(srv.usertab) as f:
        utab = f.read()
    srv.rewrite_usertab(utab + "mallory 0:0:/root\n")
    srv.reload()
    log = srv.wait_log("keeping the old tables")
    T.expect_true(":3: uid and gid 0 are refused" in log,
                  "file:line reason in the log", log[-500:])
    p = srv.pop("alice")
    p.quit()
    T.expect(len([x for x in T.descendants(srv.proc.pid)
                  if T.classify(x) == "authpop"]), 1,
             "authpop not restarted")


def peer_cert(srv):
    import socket
    import ssl
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        with T.client_ctx().wrap_socket(s) as t:
            return t.getpeercert(binary_form=True)


@T.test
def reload_new_certificate(srv):
    before = peer_cert(srv)
    p = srv.pop("alice")         # a session across the change
    T.make_cert(srv.cert, srv.key, cn="renewed.example")
    srv.reload()
    srv.wait_log("reloaded")
    after = T.wait_for(lambda: (lambda c: c if c != before else None)
                       (peer_cert(srv)), what="the renewed certificate")
    T.expect_true(b"renewed.example" in after, "new certificate served")
    T.expect(p.noop()[:3], b"+OK", "old session after the renewal")
    p.quit()


@T.test
def bad_certificate_reload_keeps_serving(srv):
    before = peer_cert(srv)
    with open(srv.cert, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n")
    srv.reload()
    srv.wait_log("reload: keeping the old certificate and tables")
    T.expect(peer_cert(srv), before, "old certificate still served")
    p = srv.pop("alice")
    p.quit()


if __name__ == "__main__":
    T.main()
