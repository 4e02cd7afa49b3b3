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

"""SIGHUP: popd rereads authtab and usertab and starts a new listener and
authpop; sessions in progress, before and after login, are not cut, and
the previous processes leave once their sessions are over."""

import base64
import os
import re
import signal
import subprocess
import sys
import time

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
    pre.capa()      # spoken: with the current authpop, not the listener
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
    # A name popd refuses: no user to refuse alone, the file is bad.
    srv.rewrite_usertab(utab + "mall/ory 1:1:/root\n")
    srv.reload()
    log = srv.wait_log("keeping the old tables")
    T.expect_true(':3: invalid user name "mall/ory"' in log,
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


def alice_reload(srv, lines, pw, n):
    """authtab's lines with alice's password pw, written and reloaded
    (the n-th reload of srv): the new lines once popd says reloaded."""
    lines = ["%s %s" % (ln.split()[0], T.make_hash(pw))
             if ln.split()[0] == "alice" else ln for ln in lines]
    srv.rewrite_authtab("\n".join(lines) + "\n")
    srv.reload()
    T.wait_for(lambda: srv.log().count("\nparent[%d]: reloaded "
                                       % srv.proc.pid) == n, 20,
               "reload %d" % n)
    return lines


@T.test
def reload_hands_authtab_to_its_authpop(srv):
    """A session an older authpop has, that waits for a command, goes to
    the authpop that serves: its PASS is checked against the last
    reload's authtab, and that older authpop, left with none, exits
    without reading the new one.  A session with half a command stays
    with its authpop, which reads the last reload's authtab whole before
    its check: it logs in with the password of the last one, not with
    those before."""
    with open(srv.authtab) as f:
        lines = f.read().splitlines()
    idle = srv.raw()
    T.expect(idle.line()[:3], b"+OK", "greeting")
    idle.capa()     # spoken: with the current authpop, not the listener
    T.expect(idle.cmd("USER alice")[:3], b"+OK", "USER alice, before")
    half = srv.raw()
    T.expect(half.line()[:3], b"+OK", "greeting")
    half.capa()
    half.send(b"USER ali")
    first = T.wait_for(lambda: T.authpops(srv), what="authpop")
    for n in (1, 2):
        lines = alice_reload(srv, lines, "new%d" % n, n)
    T.wait_for(lambda: "to the current authpop" in srv.log(), 10,
               "the idle session handed on")
    T.expect_true("to the current authpop" in srv.log(),
                  "the idle session handed on", srv.log_tail(20))
    T.expect_true("reload: the new authtab" not in srv.log(),
                  "an authpop read a reload's authtab before a check "
                  "needed it", srv.log_tail(20))
    T.wait_for(lambda: len(T.authpops(srv)) == 2, 10,
               "the second authpop gone: it had no session left")
    T.expect_true(first[0] in T.authpops(srv), "the first authpop stays, "
                  "with its half command", (first, T.authpops(srv)))
    # The idle session: its USER kept, the last reload's password.
    T.expect(idle.cmd("PASS " + srv.password("alice"))[:11],
             b"-ERR [AUTH]", "the first password, after two reloads")
    T.expect(idle.cmd("USER alice")[:3], b"+OK", "USER alice")
    T.expect(idle.cmd("PASS new2")[:3], b"+OK",
             "the last reload's password in the handed-on session")
    idle.close()
    half.send(b"ce\r\n")
    T.expect(half.line()[:3], b"+OK", "the half command, finished")
    for pw in (srv.password("alice"), "new1"):
        T.expect(half.cmd("PASS " + pw)[:11], b"-ERR [AUTH]",
                 "an older password in the older authpop's session")
        T.expect(half.cmd("USER alice")[:3], b"+OK", "USER alice")
    T.expect(half.cmd("PASS new2")[:3], b"+OK",
             "the last reload's password in the older authpop's session")
    half.close()
    T.expect(srv.log().count("reload: the new authtab, %d users"
                             % len(lines)), 1,
             "the first authpop reading the last reload's authtab, once")
    p = srv.pop("alice", "new2")
    p.quit()


def fifo_reload(srv, kind):
    """SIGHUP while kind ("include", "authtab" or "cert") is a FIFO: the
    parent refuses it at once, logs the file and the popd.conf line, and
    keeps serving with the old configuration, new sessions included."""
    fifo = os.path.join(srv.tmpdir, kind + ".fifo")
    os.mkfifo(fifo)
    before = peer_cert(srv)
    with open(srv.conffile) as f:
        lines = f.read().splitlines()
    if kind == "include":
        lines.append('include "%s"' % fifo)
        line = len(lines)
    else:
        line = [i for i, ln in enumerate(lines, 1)
                if ln.startswith(kind) or ln.startswith("pki test " + kind)][0]
        lines[line - 1] = lines[line - 1].rsplit(" ", 1)[0] + ' "%s"' % fifo
    with open(srv.conffile, "w") as f:
        f.write("\n".join(lines) + "\n")
    srv.reload()
    log = srv.wait_log("keeping the old")
    T.expect_true(re.search(r"%s:%d: .*%s" % (re.escape(srv.conffile), line,
                                              re.escape(fifo)), log),
                  "the file and the popd.conf line in the log", log[-800:])
    T.expect_true("not a regular file" in log, "says why", log[-800:])
    T.expect_true("reloaded" not in log, "nothing reloaded", log[-800:])
    # Still served, old password and old certificate, new sessions too.
    p = srv.pop("alice")
    T.expect(p.stat()[0], 0, "STAT after the refused reload")
    p.quit()
    T.expect(peer_cert(srv), before, "old certificate still served")


@T.test(timeout=120)
def reload_loses_no_session_before_login(srv):
    """Sixty sessions before login across two reloads in a row, ten in
    each state: greeted only (still the listener's), after CAPA, after
    USER, with half a command, with AUTH PLAIN's response due, and after
    a wrong password.  Every one then logs in with the last reload's
    password, and refuses the first one: none is cut, none keeps an
    older authtab's password."""
    with open(srv.authtab) as f:
        lines = f.read().splitlines()
    states = ("greeted", "capa", "user", "half", "sasl", "failed")
    held = []
    for i, st in enumerate(states):
        for j in range(10):
            # Each from its own address: under limit per-address sessions.
            r = srv.raw(src="127.0.%d.%d" % (40 + i, 10 + j))
            T.expect(r.line()[:3], b"+OK", "greeting")
            if st != "greeted":
                r.capa()
            if st == "user":
                T.expect(r.cmd("USER alice")[:3], b"+OK", "USER")
            elif st == "half":
                r.send(b"USER al")
            elif st == "sasl":
                T.expect(r.cmd("AUTH PLAIN")[:1], b"+", "AUTH PLAIN")
            elif st == "failed":
                T.expect(r.cmd("USER alice")[:3], b"+OK", "USER")
                T.expect(r.cmd("PASS nope")[:11], b"-ERR [AUTH]",
                         "a wrong password")
            held.append((st, r))
    for n in (1, 2):
        lines = alice_reload(srv, lines, "again%d" % n, n)
    plain = base64.b64encode(b"\0alice\0again2").decode()
    for st, r in held:
        if st == "half":
            r.send(b"ice\r\n")
            T.expect(r.line()[:3], b"+OK", "the half USER, finished")
        elif st == "sasl":
            T.expect(r.cmd(plain)[:3], b"+OK", "AUTH PLAIN's response")
            r.ok("QUIT")    # the maildrop free for the next one
            r.close()
            continue
        elif st != "user":
            T.expect(r.cmd("USER alice")[:3], b"+OK", "USER (%s)" % st)
        T.expect(r.cmd("PASS " + srv.password("alice"))[:11],
                 b"-ERR [AUTH]", "the first password (%s)" % st)
        T.expect(r.cmd("USER alice")[:3], b"+OK", "USER (%s)" % st)
        T.expect(r.cmd("PASS again2")[:3], b"+OK",
                 "the last reload's password (%s)" % st)
        r.ok("QUIT")
        r.close()
    T.expect_true(srv.alive(), "daemon alive")


@T.test(timeout=60)
def reload_refuses_fifo_include(srv):
    fifo_reload(srv, "include")


@T.test(timeout=60)
def reload_refuses_fifo_table(srv):
    fifo_reload(srv, "authtab")


@T.test(timeout=60)
def reload_refuses_fifo_certificate(srv):
    fifo_reload(srv, "cert")


# Seconds a table edited on disk takes to serve: the documented 10 (two
# looks, 5 seconds apart, that agree), and its load.
FOLLOW = 15


@T.test(timeout=60)
def reload_names_what_needs_a_restart(srv):
    """popctl reload with a listen statement changed and a password too:
    the password is applied, the listen statement is not, and popctl
    prints each change that needs a restart and exits 1; a second
    reload says so again (compared with what was bound, not the last
    reload)."""
    other = T.free_port()
    with open(srv.conffile) as f:
        lines = f.read().splitlines()
    n = [i for i, ln in enumerate(lines, 1) if ln.startswith("listen on")][0]
    lines[n - 1] = "listen on %s port %d tls" % (T.HOST, other)
    with open(srv.conffile, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(srv.authtab) as f:
        atab = [ln for ln in f.read().splitlines()
                if not ln.startswith("alice")]
    srv.rewrite_authtab("\n".join(atab + ["alice " + T.make_hash("new1")])
                        + "\n")
    for i in (1, 2):
        rc, out, err = srv.popctl("reload")
        T.expect(rc, 1, "popctl reload's exit status (%d): %s %s"
                 % (i, out, err))
        want = ["reloaded %s" % srv.conffile,
                "needs a restart: %s:%d: listen on %s port %d: not bound "
                "until a restart" % (srv.conffile, n, T.HOST, other),
                "needs a restart: listen on %s port %d, as at startup: "
                "served until a restart" % (T.HOST, srv.port)]
        T.expect(out.splitlines(), want, "popctl reload's output (%d)" % i)
        T.expect(err, "popctl: 2 changes need a restart of popd\n",
                 "popctl reload's error (%d)" % i)
    log = srv.log()
    T.expect_true("reloaded %s, %s and %s; 2 changes need a restart"
                  % (srv.conffile, srv.authtab, srv.usertab) in log,
                  "the reload's log line", srv.log_tail(10))
    # The rest applied, on the port bound at startup.
    srv.pop("alice", "new1").quit()
    try:
        T.Raw(other, timeout=2)
        raise AssertionError("port %d bound by a reload" % other)
    except OSError:
        pass


def add_carol(srv, atab_extra=""):
    """carol, a maildrop with alice's ids, in usertab and authtab."""
    u = srv.users["alice"]
    home = os.path.join(srv.homes, "carol")
    for d in ("", "tmp", "new", "cur"):
        os.makedirs(os.path.join(home, d), 0o700, exist_ok=True)
        os.chown(os.path.join(home, d), u["uid"], u["gid"])
    with open(srv.usertab) as f:
        utab = f.read()
    with open(srv.authtab) as f:
        atab = f.read()
    srv.rewrite_usertab(utab + "carol\t%d:%d:%s\n" % (u["uid"], u["gid"],
                                                       home))
    srv.rewrite_authtab(atab + "carol %s\n" % T.make_hash("pw3"))


@T.test(timeout=90)
def tables_followed_on_disk(srv):
    """authtab and usertab edited, no reload: the new user logs in within
    the documented delay.  A broken edit of authtab is logged once, with
    its file and line, and the tables before it serve on: users still
    log in, and it is not read again until it changes."""
    add_carol(srv)
    T.wait_for(lambda: T.try_pop(srv, "carol", "pw3"), FOLLOW,
               "carol's login, with no reload").quit()
    srv.wait_log("tables changed on disk, now served: %s and %s"
                 % (srv.authtab, srv.usertab))
    with open(srv.authtab) as f:
        atab = f.read()
    line = len(atab.splitlines()) + 1
    srv.rewrite_authtab(atab + "dave\n")
    log = srv.wait_log("changed on disk: not loaded", FOLLOW)
    T.expect_true("%s:%d: " % (srv.authtab, line) in log,
                  "the file and line at fault in the log",
                  srv.log_tail(10))
    for user, pw in (("alice", srv.password("alice")), ("carol", "pw3")):
        srv.pop(user, pw).quit()
    # Two more looks: logged once.
    time.sleep(11)
    T.expect(srv.log().count("changed on disk: not loaded"), 1,
             "the broken edit logged once")
    T.expect(srv.log().count("%s:%d: " % (srv.authtab, line)), 1,
             "its line named once")


def pass_reply(srv, user):
    """The answer to PASS with user's password; the session is closed."""
    with srv.raw() as r:
        r.line()
        r.cmd(b"USER " + user.encode())
        resp = r.cmd(b"PASS " + srv.password(user).encode())
        r.send(b"QUIT\r\n")
        return resp


def subreaper():
    """Become the parent of the daemon once it has detached."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)                # PR_SET_CHILD_SUBREAPER


def daemon_revokes(srv, args):
    """popd args (relative paths, no -d) started from srv.tmpdir as a
    daemon, which then works from "/": logins work, and after alice is
    removed from authtab and SIGHUP her password is refused."""
    subreaper()
    r = subprocess.run([T.POPD] + args, cwd=srv.tmpdir,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    T.expect(r.returncode, 0, "popd (daemon) exit status: %s"
             % r.stdout.decode(errors="replace"))
    pids = T.wait_for(lambda: [p for p in T.proc_children().get(
        os.getpid(), []) if T.proc_title(p).startswith("popd: parent")],
        10, "the daemonized popd parent")
    pid = pids[0]
    try:
        T.wait_for(lambda: pass_reply(srv, "alice").startswith(b"+OK"), 10,
                   "alice's login")
        with open(srv.authtab) as f:
            left = [ln for ln in f if not ln.startswith("alice")]
        srv.rewrite_authtab("".join(left))
        os.kill(pid, signal.SIGHUP)
        # The old password is refused once the reload is done.
        T.wait_for(lambda: pass_reply(srv, "alice").startswith(
            b"-ERR [AUTH] invalid user name or password"), 10,
            "alice's password refused after the reload")
        T.wait_for(lambda: pass_reply(srv, "bob").startswith(b"+OK"), 10,
                   "bob's login")
    finally:
        os.kill(pid, signal.SIGTERM)
        T.wait_for(lambda: os.waitpid(pid, os.WNOHANG)[0] == pid, 10,
                   "popd to stop")


@T.test(start=False, check_alive=False)
def relative_conf_file_in_daemon_mode(srv):
    """popd -f popd.conf, relative, with a relative include: a reload
    reads the same files."""
    srv.port = T.free_port()
    text, _ = srv.config()
    # The tables come from an include named relative to popd.conf.
    tables = [ln for ln in text.splitlines() if ln.startswith(("authtab",
                                                               "usertab"))]
    rest = [ln for ln in text.splitlines() if ln not in tables]
    with open(os.path.join(srv.tmpdir, "tables.conf"), "w") as f:
        f.write("\n".join(tables) + "\n")
    with open(srv.conffile, "w") as f:
        f.write("\n".join(rest) + '\ninclude "tables.conf"\n')
    daemon_revokes(srv, ["-f", "popd.conf"])


@T.test(start=False, check_alive=False)
def relative_flags_in_daemon_mode(srv):
    """popd -a authtab -u usertab -c cert.pem -k key.pem: the children
    and the reloads read the files named from the starting directory."""
    srv.port = T.free_port()
    args = ["-a", "authtab", "-u", "usertab", "-c", "cert.pem", "-k",
            "./key.pem", "-l", "%s:%d" % (T.HOST, srv.port),
            "-s", srv.ctlsock]
    if srv.subdir:
        args += ["-e", srv.subdir]
    daemon_revokes(srv, args)


if __name__ == "__main__":
    T.main()
