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

"""popd's users in a database table and in the system's accounts
(issue 17), against the real daemon: SQLite through OpenSMTPD's
table-sqlite (Debian's opensmtpd-extras, installed when missing) for
logins, revocation without a reload, a userinfo of uid 0, a killed
backend, a database that cannot answer and comes back, and timing;
regress/tablefake.py, a table program of our own, for a database that is
slow or answers garbage; Unix accounts made with useradd and chpasswd
for "authtab system" and "usertab system"."""

import contextlib
import grp
import json
import os
import pwd
import shutil
import socket
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402
import dbtest as D  # noqa: E402

TEMP = b"-ERR [SYS/TEMP] "
PERM = b"-ERR [SYS/PERM] "
AUTH = b"-ERR [AUTH] "
FAKE = os.path.join(T.REPO, "regress", "tablefake.py")
MSG = (b"From: a@example.org\r\nSubject: table test\r\n\r\n"
       b"delivered for a table's user\r\n")


# --- helpers ---------------------------------------------------------------

def hash_of(srv, user):
    """user's hash in srv's authtab."""
    with open(srv.authtab) as f:
        for ln in f:
            k, v = ln.split(None, 1)
            if k == user:
                return v.strip()
    raise KeyError(user)


def sqlite_tables(srv, users=("alice", "bob")):
    """A SQLite database (dbtest.Sqlite in srv.tmpdir) holding users of
    srv with their hashes, ids and homes, and srv configured to read it:
    table users sqlite:CONF, authtab <users>, usertab <users>.  Returns
    the database."""
    T.need_root()
    D.need_backend("sqlite")
    db = D.Sqlite(srv.tmpdir).start()
    for name in users:
        u = srv.users[name]
        db.add_user(name, hash_of(srv, name), u["uid"], u["gid"], u["home"])
    srv.tables = ("table users sqlite:%s\nauthtab <users>\nusertab <users>"
                  % db.table_config())
    return db


def fake_tables(srv, users, **conf_kw):
    """srv configured with regress/tablefake.py as its table "users"
    (copied into srv.tmpdir, where _pop3table may run it) and users (the
    "users" of its configuration) in it.  Returns a function that
    rewrites the configuration with other users."""
    T.need_root()
    prog = os.path.join(srv.tmpdir, "tablefake.py")
    shutil.copy(FAKE, prog)
    os.chmod(prog, 0o755)
    conf = os.path.join(srv.tmpdir, "tablefake.json")
    extra = dict(conf_kw)      # tablefake's settings besides users

    def write(users):
        tmp = conf + ".tmp"
        with open(tmp, "w") as f:
            json.dump(dict(extra, users=users), f)
        os.chmod(tmp, 0o644)
        os.rename(tmp, conf)
    write(users)
    srv.tables = ('table users "%s:%s"\nauthtab <users>\nusertab <users>'
                  % (prog, conf))
    return write


def userinfo(srv, user):
    u = srv.users[user]
    return "%d:%d:%s" % (u["uid"], u["gid"], u["home"])


def pass_reply(srv, user, pw, src=None, timeout=30):
    """(the answer to PASS, seconds from PASS to it); a session that logs
    in reads its first message (checked against MSG when there is one)
    and ends with QUIT."""
    with srv.raw(src=src, timeout=timeout) as r:
        T.expect(r.line()[:3], b"+OK", "greeting")
        T.expect(r.cmd("USER " + user)[:3], b"+OK", "USER " + user)
        t = time.monotonic()
        resp = r.cmd("PASS " + pw)
        took = time.monotonic() - t
        if resp.startswith(b"+OK"):
            if int(r.ok("STAT").split()[1]) > 0:
                r.ok("RETR 1")
                T.expect(r.block(), MSG, "message of " + user)
            r.ok("QUIT")
        return resp, took


def reply(srv, user, pw=None, src=None):
    """The answer to PASS; [IN-USE] (the user's last session still
    leaving) is waited out."""
    pw = srv.password(user) if pw is None else pw

    def once():
        resp = pass_reply(srv, user, pw, src)[0]
        return None if b"[IN-USE]" in resp else resp
    return T.wait_for(once, 10, "%s's maildrop lock" % user)


def logs_in(srv, user, pw=None, what=None):
    resp = reply(srv, user, pw)
    T.expect(resp[:3], b"+OK", what or "login of " + user)


def refused(srv, user, pw, prefix, what):
    resp = reply(srv, user, pw)
    T.expect(resp[:len(prefix)], prefix, what)
    return resp


def backends(srv, comm):
    """pids of popd's live descendants named comm (its table programs,
    tablepop's children), not the zombies of those killed and not
    reaped yet."""
    out = []
    for p in T.descendants(srv.proc.pid):
        try:
            if T.proc_comm(p) == comm and \
                    not T.proc_status(p)["State"].startswith("Z"):
                out.append(p)
        except OSError:
            pass
    return sorted(out)


def check_backends(srv, comm, n=2):
    """n processes of comm, each with _pop3table's uids and gids only;
    returns their pids."""
    tu = pwd.getpwnam(D.TABLE_USER)
    T.expect_true(tu.pw_uid != 0, "%s is not root" % D.TABLE_USER)
    def running():
        pids = backends(srv, comm)
        return len(pids) == n and pids
    pids = T.wait_for(running, 10, "%d %s" % (n, comm))
    for p in pids:
        st = T.proc_status(p)
        T.expect(st["Uid"], [tu.pw_uid] * 4, "uids of %s %d" % (comm, p))
        T.expect(st["Gid"], [tu.pw_gid] * 4, "gids of %s %d" % (comm, p))
        T.expect_true(set(st["Groups"]) <= {tu.pw_gid}, "groups of %s %d"
                      % (comm, p), st["Groups"])
    return pids


def log_since(srv, mark):
    return srv.log()[mark:]


# --- SQLite through table-sqlite -------------------------------------------

@T.test(start=False)
def sqlite_logins(srv):
    db = sqlite_tables(srv)
    srv.deliver("alice", MSG)
    srv.start()
    logs_in(srv, "alice")
    logs_in(srv, "bob")
    wrong = refused(srv, "alice", "wrong", AUTH, "wrong password")
    unknown = refused(srv, "nosuchuser", "pw1", AUTH, "unknown user")
    T.expect(unknown, wrong, "an unknown user's answer is a wrong "
             "password's")
    log = srv.log()
    T.expect_true('failed login for "nosuchuser"' in log and
                  'failed login for "alice"' in log, "failures logged")
    T.expect_true("wrkrpop for alice" in log, "alice served")
    # Two table-sqlite per table, as _pop3table, never root, holding
    # nothing of popd's: their socket and message pipe on 0-2, and
    # beyond those only the database's own files.
    for p in check_backends(srv, "table-sqlite"):
        fds = {int(f): os.readlink("/proc/%d/fd/%s" % (p, f))
               for f in os.listdir("/proc/%d/fd" % p)}
        T.expect_true({0, 1, 2} <= set(fds) and
                      fds[0].startswith("socket:") and
                      fds[1].startswith("pipe:") and fds[2] == fds[1],
                      "table-sqlite's stdin a socket, stdout and stderr "
                      "a pipe", fds)
        extra = {f: t for f, t in fds.items() if f > 2}
        T.expect_true(all(t.startswith(db.dir) for t in extra.values()),
                      "table-sqlite holds only its database beyond 0-2",
                      extra)


def lmtp_rcpt(sock, user):
    """The reply to RCPT TO:<user> in a new LMTP session on sock."""
    return lmtp_send(sock, [user], None)[0]


def lmtp_send(sock, rcpts, data=b"Subject: t\r\n\r\nhello\r\n"):
    """One LMTP transaction on sock to rcpts: the replies to each RCPT
    and, when some were accepted and data is not None, DATA's replies
    (one per accepted recipient)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.settimeout(30)
        c.connect(sock)
        f = c.makefile("rwb")

        def reply():
            while True:
                ln = f.readline().decode().rstrip("\r\n")
                if len(ln) < 4 or ln[3] != "-":
                    return ln

        def cmd(line):
            f.write(line.encode() + b"\r\n")
            f.flush()
            return reply()
        reply()
        cmd("LHLO t")
        cmd("MAIL FROM:<s@example.net>")
        got = [cmd("RCPT TO:<%s>" % r) for r in rcpts]
        ok = sum(1 for r in got if r.startswith("250"))
        if ok and data is not None:
            T.expect(cmd("DATA")[:3], "354", "DATA")
            f.write(data + b".\r\n")
            f.flush()
            got += [reply() for _ in range(ok)]
        cmd("QUIT")
        return got


@T.test(start=False)
def lmtp_one_question_per_rcpt(srv):
    """Issue 38: the parent keeps what RCPT found for the transaction:
    DATA asks the table nothing, and each RCPT asks each key once, in
    the documented order (as given, without +detail, the local part)."""
    log = os.path.join(srv.tmpdir, "lookups.log")
    with open(log, "w"):
        pass
    os.chmod(log, 0o666)      # the table user appends to it
    fake_tables(srv, {"alice": {"hash": hash_of(srv, "alice"),
                                "userinfo": userinfo(srv, "alice")},
                      "bob": {"hash": hash_of(srv, "bob"),
                              "userinfo": userinfo(srv, "bob"),
                              "sleep": 1}}, log=log)
    sock = os.path.join(srv.tmpdir, "lmtp.sock")
    srv.conf_extra = 'listen on socket "%s" lmtp\n' % sock
    srv.start()
    T.wait_for(lambda: os.path.exists(sock), what="the lmtp socket")
    t = time.monotonic()
    got = lmtp_send(sock, ["alice+x@example.org", "bob", "nobody@x.org"])
    took = time.monotonic() - t
    T.expect(got[0][:3], "250", "RCPT alice+x@example.org")
    T.expect(got[1][:3], "250", "RCPT bob")
    T.expect(got[2][:3], "550", "RCPT nobody@x.org")
    T.expect([g[:3] for g in got[3:]], ["250", "250"], "DATA's replies")
    with open(log) as f:
        asked = f.read().splitlines()
    T.expect(asked, ["userinfo alice+x@example.org",
                     "userinfo alice@example.org", "userinfo alice",
                     "userinfo bob",
                     "userinfo nobody@x.org", "userinfo nobody"],
             "the table's questions, RCPT's only, in order")
    # bob's table answers in 1 s: once at RCPT, not again at DATA.
    T.expect_true(took < 1.9, "one second of table for bob, not two",
                  took)
    for user in ("alice", "bob"):
        new = os.listdir(os.path.join(srv.maildir(user), "new"))
        T.expect(len(new), 1, user + "'s message in new/")


@T.test(start=False)
def sqlite_userinfo_of_root_or_daemon_refused(srv):
    db = sqlite_tables(srv)
    h = hash_of(srv, "alice")
    home = srv.users["alice"]["home"]
    db.add_user("rooty", h, 0, 0, home)
    db.add_user("tabled", h, pwd.getpwnam(D.TABLE_USER).pw_uid,
                srv.gid("alice"), home)
    db.add_user("relhome", h, srv.uid("alice"), srv.gid("alice"),
                "relative/home")
    # Issue 69: groups that read secrets (usertab(5)): shadow, and the
    # group of _pop3table, which reads the table configurations.
    db.add_user("shadowed", h, srv.uid("alice"),
                grp.getgrnam("shadow").gr_gid, home)
    db.add_user("tablegrp", h, srv.uid("alice"),
                pwd.getpwnam(D.TABLE_USER).pw_gid, home)
    sock = os.path.join(srv.tmpdir, "lmtp.sock")
    srv.conf_extra = 'listen on socket "%s" lmtp\n' % sock
    srv.start()
    T.wait_for(lambda: os.path.exists(sock), what="the lmtp socket")
    # Issue 37: an answer popd refuses is the admin's error, not the
    # sender's: LMTP answers 451 4.3.0 (the mail waits in the queue
    # until the table is fixed), and the log says why, naming the table.
    for user in ("rooty", "tabled", "relhome", "shadowed", "tablegrp"):
        mark = len(srv.log())
        got = lmtp_rcpt(sock, user)
        T.expect(got[:9], "451 4.3.0", "LMTP RCPT of %s: %s" % (user, got))
        T.wait_for(lambda: 'lmtp: the userinfo of "%s" in table users: '
                   % user in log_since(srv, mark), 5, "why, for " + user)
    T.expect(lmtp_rcpt(sock, "alice")[:3], "250", "LMTP RCPT of alice")
    for user in ("rooty", "tabled", "shadowed", "tablegrp"):
        refused(srv, user, srv.password("alice"), PERM, "userinfo of " +
                user)
        ln = [x for x in srv.log().splitlines()
              if 'login of "%s" refused' % user in x]
        T.expect_true(ln and "table users" in ln[0], "a log line naming "
                      "the table", ln)
    for user, why in (("shadowed", "is the group shadow"),
                      ("tablegrp", "is the group of _pop3table")):
        ln = [x for x in srv.log().splitlines()
              if 'login of "%s" refused' % user in x]
        T.expect_true(ln and why in ln[0], "the log says why", (why, ln))
        T.expect_true("wrkrpop for " + user not in srv.log(),
                      "no worker for " + user)
    logs_in(srv, "alice")


@T.test(start=False)
def sqlite_password_change_and_removal(srv):
    db = sqlite_tables(srv)
    srv.start()
    logs_in(srv, "alice")
    # A new password works at once, the old one no more: no reload.
    db.set_password("alice", T.make_hash("newpw"))
    refused(srv, "alice", srv.password("alice"), AUTH, "old password")
    logs_in(srv, "alice", "newpw", "new password")
    # bob is removed while logged in: his session goes on, the next
    # login fails.
    srv.deliver("bob", MSG)
    with srv.raw() as r:
        r.line()
        r.login("bob", srv.password("bob"))
        db.remove_user("bob")
        T.expect(r.ok("STAT").split()[1], b"1", "STAT of the open session")
        r.ok("RETR 1")
        T.expect(r.block(), MSG, "RETR of the open session")
        r.ok("QUIT")
    refused(srv, "bob", srv.password("bob"), AUTH, "removed user")
    T.expect_true("reload" not in srv.log(), "no reload")


@T.test(start=False)
def sqlite_cache_and_reload(srv):
    """cache 2s: a changed password still works, and the new one fails,
    for at most that long; nothing is cached without it (the test
    above).  A reload starts new table programs; logins go on."""
    db = sqlite_tables(srv)
    srv.tables = srv.tables.replace("sqlite:%s" % db.table_config(),
                                    "sqlite:%s cache 2s" %
                                    db.table_config())
    srv.start()
    logs_in(srv, "alice")
    old = backends(srv, "table-sqlite")
    db.set_password("alice", T.make_hash("newpw"))
    t = time.monotonic()
    resp = reply(srv, "alice")
    if time.monotonic() - t < 1.5:
        T.expect(resp[:3], b"+OK", "the old password, from the cache")
    time.sleep(max(0, 2.2 - (time.monotonic() - t)))
    refused(srv, "alice", srv.password("alice"), AUTH,
            "the old password once the cache expired")
    logs_in(srv, "alice", "newpw", "the new password after the cache")
    mark = len(srv.log())
    srv.reload()
    T.wait_for(lambda: "reloaded" in srv.log()[mark:], 20, "reloaded")
    T.wait_for(lambda: len(backends(srv, "table-sqlite")) == 2 and
               not set(backends(srv, "table-sqlite")) & set(old), 20,
               "two new table-sqlite after the reload")
    logs_in(srv, "alice", "newpw", "a login after the reload")
    logs_in(srv, "bob", None, "bob after the reload")


@T.test(start=False)
def sqlite_backend_killed(srv):
    sqlite_tables(srv)
    srv.start()
    logs_in(srv, "alice")
    old = check_backends(srv, "table-sqlite")
    for p in old:
        os.kill(p, signal.SIGKILL)
    # At once: either no backend yet ([SYS/TEMP]) or a new one.
    resp = reply(srv, "alice")
    T.expect_true(resp.startswith(b"+OK") or resp.startswith(TEMP),
                  "a login right after the kill", resp)
    t = time.monotonic()
    T.wait_for(lambda: reply(srv, "alice").startswith(b"+OK"), 5,
               "logins after the backends were killed", interval=0.2)
    print("#  logins again %.1f s after the kill" % (time.monotonic() - t))
    new = check_backends(srv, "table-sqlite")
    T.expect_true(not set(new) & set(old), "new backends", (old, new))
    srv.wait_log("table users: table-sqlite (pid %d) killed by signal 9"
                 % old[0])


@T.test(start=False, timeout=120)
def sqlite_database_cannot_answer(srv):
    db = sqlite_tables(srv)
    srv.start()
    logs_in(srv, "alice")
    pids = check_backends(srv, "table-sqlite")
    # Locked by a writer: every query fails at once.
    db.stop()
    mark = len(srv.log())
    for user, pw in (("alice", srv.password("alice")), ("alice", "wrong"),
                     ("nosuchuser", "pw")):
        resp, took = pass_reply(srv, user, pw)
        T.expect(resp, TEMP + b"cannot check passwords now, try again "
                 b"later", "%s with the database locked" % user)
        T.expect_true(took < 6, "[SYS/TEMP] within timeout lookup", took)
    log = log_since(srv, mark)
    T.expect_true('table users: credentials lookup of "nosuchuser" failed'
                  in log, "a log line naming the table", log[-600:])
    T.expect_true("database is locked" in log, "table-sqlite's reason "
                  "logged", log[-600:])
    db.start()
    logs_in(srv, "alice", what="login once the lock is gone")
    T.expect(check_backends(srv, "table-sqlite"), pids, "same backends")

    # Unreadable, and table-sqlite started again: it cannot open it.
    os.chmod(db.db, 0)
    for p in pids:
        os.kill(p, signal.SIGKILL)
    mark = len(srv.log())
    T.wait_for(lambda: "unable to open database file" in
               log_since(srv, mark), 10, "table-sqlite failing to open")
    for user, pw in (("alice", srv.password("alice")),
                     ("nosuchuser", "pw")):
        resp, took = pass_reply(srv, user, pw)
        T.expect(resp[:len(TEMP)], TEMP, "%s with the database unreadable"
                 % user)
        T.expect_true(took < 6, "[SYS/TEMP] within timeout lookup", took)
    log = log_since(srv, mark)
    T.expect_true("table users: table-sqlite[" in log and
                  "table users: no table-sqlite running" in log,
                  "log lines naming the table", log[-800:])
    # Readable again: logins come back by themselves (a restart after
    # at most 8 s, its longest pause).
    os.chmod(db.db, 0o640)
    t = time.monotonic()
    T.wait_for(lambda: pass_reply(srv, "alice", srv.password("alice"))[0]
               .startswith(b"+OK"), 15, "logins once readable again",
               interval=0.5)
    print("#  logins again %.1f s after the fix" % (time.monotonic() - t))
    check_backends(srv, "table-sqlite")


# --- a table program of our own: slow, or answering garbage ----------------

@T.test(start=False, conf_extra="timeout lookup 2")
def slow_backend_temp_in_time(srv):
    write = fake_tables(srv, {
        "alice": {"hash": hash_of(srv, "alice"),
                  "userinfo": userinfo(srv, "alice")},
        "slowpoke": {"hash": hash_of(srv, "alice"),
                     "userinfo": userinfo(srv, "alice"), "sleep": 6}})
    srv.start()
    logs_in(srv, "alice")
    pids = check_backends(srv, "tablefake.py")
    slow = srv.raw()
    slow.line()
    slow.ok("USER slowpoke")
    t = time.monotonic()
    slow.send("PASS " + srv.password("alice") + "\r\n")
    # While one backend sleeps: another session is answered, and alice
    # logs in through the other backend.
    with srv.raw() as r:
        r.line()
        r.ok("CAPA")
        r.multiline()
        r.ok("QUIT")
    T.expect_true(time.monotonic() - t < 1.5, "CAPA answered while a "
                  "lookup waits", time.monotonic() - t)
    resp, took = pass_reply(srv, "alice", srv.password("alice"))
    T.expect(resp[:3], b"+OK", "alice while slowpoke's lookup waits")
    T.expect_true(time.monotonic() - t < 1.8, "alice before slowpoke's "
                  "lookup times out", time.monotonic() - t)
    resp = slow.line()
    took = time.monotonic() - t
    slow.close()
    T.expect(resp, TEMP + b"cannot check passwords now, try again later",
             "slow lookup")
    T.expect_true(1.9 <= took <= 3.0, "[SYS/TEMP] after timeout lookup "
                  "(2 s), within 1 s more", took)
    srv.wait_log('no answer to the credentials lookup of "slowpoke" '
                 'within 2 s (timeout lookup): restarting it')
    T.expect_true("table users: tablefake.py (pid " in srv.log(),
                  "the log names the table")
    # The one killed is started again; logins go on.
    T.wait_for(lambda: len(set(backends(srv, "tablefake.py")) -
                           set(pids)) == 1, 10,
               "the slow backend started again")
    new = check_backends(srv, "tablefake.py")
    T.expect(len(set(new) & set(pids)), 1, "the other backend kept")
    logs_in(srv, "alice", what="login after the slow lookup")
    # Slow no more: slowpoke logs in.
    write({"slowpoke": {"hash": hash_of(srv, "alice"),
                        "userinfo": userinfo(srv, "alice")}})
    logs_in(srv, "slowpoke", srv.password("alice"), "slowpoke, fast")


@T.test(start=False)
def garbage_backend_temp(srv):
    h = hash_of(srv, "alice")
    ui = userinfo(srv, "alice")
    fake_tables(srv, {
        "alice": {"hash": h, "userinfo": ui},
        # A frame that is no PROC_TABLE_OK: the stream is out of step.
        "badframe": {"hash": h, "userinfo": ui, "frame": 5},
        # alice's line for another user: never the other user's login.
        "imposter": {"hash": h, "userinfo": ui, "as": "alice"},
        "nohash": {"hash": "plain-text", "userinfo": ui}})
    srv.start()
    pids = check_backends(srv, "tablefake.py")
    pw = srv.password("alice")
    for user, why in (("badframe", "a frame of type 5: restarting it"),
                      ("imposter", 'the credentials of "imposter": the '
                       'answer is for another user'),
                      ("nohash", 'the credentials of "nohash": no '
                       'bcrypt, SHA-crypt, yescrypt, argon2 or Dovecot '
                       '{SCHEME} hash')):
        mark = len(srv.log())
        resp, _ = pass_reply(srv, user, pw if user != "nohash"
                             else "plain-text")
        T.expect(resp, TEMP + b"cannot check passwords now, try again "
                 b"later", "garbage for " + user)
        T.wait_for(lambda: why in log_since(srv, mark), 5, why)
        T.expect_true("table users: " in log_since(srv, mark),
                      "the log names the table")
    # The backend that sent a bad frame was killed and started again.
    T.wait_for(lambda: len(set(backends(srv, "tablefake.py")) -
                           set(pids)) == 1, 10, "a new backend")
    check_backends(srv, "tablefake.py")
    logs_in(srv, "alice", what="login after the garbage")


def tablepops(srv):
    """pids of the live tablepop processes under popd: the parent's
    children, not one a tablepop forked to run a table program (its
    name is tablepop's until it execs)."""
    out = []
    for p in T.descendants(srv.proc.pid):
        try:
            st = T.proc_status(p)
            if T.proc_comm(p) == "tablepop" and \
                    not st["State"].startswith("Z") and \
                    int(st["PPid"]) == srv.proc.pid:
                out.append(p)
        except OSError:
            pass
    return sorted(out)


@T.test(start=False)
def database_hash_never_in_root(srv):
    """A database's password hash goes from tablepop to authpop: the
    root parent never receives it.  strace shows every byte the parent
    reads during a login through SQLite: the user's home, which the
    parent asks for, is there (so the trace sees its table answers);
    no part of the hash is."""
    sqlite_tables(srv)
    srv.start()
    logs_in(srv, "alice")      # the table programs are up
    strace = T.need_prog("strace")
    trace = os.path.join(srv.tmpdir, "parent.trace")
    st = subprocess.Popen([strace, "-qq", "-s", "70000", "-o", trace,
                           "-e", "trace=read,readv,recvfrom,recvmsg",
                           "-p", str(srv.proc.pid)],
                          stderr=subprocess.DEVNULL)
    try:
        T.wait_for(lambda: open("/proc/%d/status" % srv.proc.pid).read()
                   .count("TracerPid:\t0") == 0, 10, "strace attached")
        logs_in(srv, "alice", what="alice through SQLite, traced")
        refused(srv, "alice", "wrong", AUTH, "a wrong password, traced")
    finally:
        st.terminate()
        st.wait(10)
    with open(trace, errors="replace") as f:
        seen = f.read()
    T.expect_true(srv.users["alice"]["home"] in seen, "the parent's reads "
                  "traced: alice's home, from its userinfo answer",
                  seen[-2000:])
    hsh = hash_of(srv, "alice")
    T.expect_true(hsh[-31:] not in seen and hsh[7:29] not in seen,
                  "no part of alice's hash (salt or digest) read by the "
                  "parent")


@T.test(start=False)
def tablepop_killed_mid_lookup(srv):
    """Issue 53: the table programs run under tablepop, not the root
    parent.  tablepop killed while a credentials lookup is out: the
    client gets [SYS/TEMP] at once (not after the lookup's deadline,
    never a wrong password's answer), the parent starts a new tablepop
    and logins go on."""
    log = os.path.join(srv.tmpdir, "lookups.log")
    with open(log, "w"):
        pass
    os.chmod(log, 0o666)      # the table user appends to it
    alice = {"hash": hash_of(srv, "alice"),
             "userinfo": userinfo(srv, "alice")}
    write = fake_tables(srv, {"alice": dict(alice, sleep=5)}, log=log)
    srv.start()
    old = T.wait_for(lambda: tablepops(srv), 10, "a tablepop")
    T.expect(len(old), 1, "one tablepop: %s" % old)
    st = T.proc_status(old[0])
    uid = pwd.getpwnam(D.TABLE_USER).pw_uid
    T.expect(st["Uid"], [uid] * 4, "tablepop runs as %s" % D.TABLE_USER)
    # Its table programs are its children, not the parent's.
    progs = check_backends(srv, "tablefake.py")
    T.expect(sorted(p for p in T.proc_children().get(old[0], [])
                    if p in progs), progs, "the table programs are "
             "tablepop's children")
    T.expect([p for p in T.proc_children().get(srv.proc.pid, [])
              if p in progs], [], "none is the parent's")
    before = srv.stats()
    mark = len(srv.log())
    with srv.raw() as r:
        T.expect(r.line()[:3], b"+OK", "greeting")
        r.ok("USER alice")
        r.send("PASS " + srv.password("alice") + "\r\n")
        T.wait_for(lambda: "credentials alice" in open(log).read(), 10,
                   "the lookup at the table program")
        t = time.monotonic()
        os.kill(old[0], signal.SIGKILL)
        resp = r.line()
        took = time.monotonic() - t
    T.expect(resp, TEMP + b"cannot check passwords now, try again later",
             "a login whose lookup tablepop took with it")
    T.expect_true(took < 2, "[SYS/TEMP] as soon as tablepop is gone, "
                  "not at the lookup's deadline", took)
    # authpop asked tablepop itself: the parent never held the hash.
    srv.wait_log('table users: tablepop gone: credentials lookup of '
                 '"alice" failed')
    # authpop counts its lookups, the failed one too, as the parent did.
    after = srv.stats()
    T.expect(after.get("lookups_failed", 0) -
             before.get("lookups_failed", 0), 1,
             "lookups_failed in popctl show stats")
    T.expect_true("tablepop (pid %d) killed by signal 9" % old[0] in
                  log_since(srv, mark), "the death logged",
                  log_since(srv, mark)[-600:])
    new = T.wait_for(lambda: [p for p in tablepops(srv) if p not in old],
                     10, "a new tablepop")
    T.expect(len(new), 1, "one new tablepop: %s" % new)
    write({"alice": alice})
    t = time.monotonic()
    T.wait_for(lambda: reply(srv, "alice").startswith(b"+OK"), 10,
               "logins after tablepop was killed", interval=0.2)
    print("#  logins again %.1f s after the new tablepop" %
          (time.monotonic() - t))
    check_backends(srv, "tablefake.py")


@T.test(start=False)
def tablepop_stopped_mid_lookup(srv):
    """tablepop stopped (SIGSTOP) while authpop asks it for a password
    hash: [SYS/TEMP] at timeout lookup and a second, not at the
    session's deadline, never a wrong password.  The stuck question's
    answer, when it comes, is no later question's: the session asks
    nothing more until it came, then bob with alice's password is
    refused and logs in with his own."""
    sqlite_tables(srv)
    srv.tables += "\ntimeout lookup 2s"
    srv.start()
    logs_in(srv, "alice")      # the table programs are up
    tp = tablepops(srv)
    T.expect(len(tp), 1, "one tablepop: %s" % tp)
    temp = TEMP + b"cannot check passwords now, try again later"
    with srv.raw() as r:
        T.expect(r.line()[:3], b"+OK", "greeting")
        r.ok("USER alice")
        os.kill(tp[0], signal.SIGSTOP)
        try:
            t = time.monotonic()
            resp = r.cmd("PASS " + srv.password("alice"))
            took = time.monotonic() - t
            T.expect(resp, temp, "a login whose tablepop is stopped")
            T.expect_true(2.5 <= took < 6, "[SYS/TEMP] at timeout lookup "
                          "and a second (2 s + 1 s)", took)
            r.ok("USER bob")
            T.expect(r.cmd("PASS " + srv.password("alice")), temp,
                     "no new question while the stuck one's answer is due")
        finally:
            os.kill(tp[0], signal.SIGCONT)
        srv.wait_log("its password hash came after its bound")
        r.ok("USER bob")
        T.expect(r.cmd("PASS " + srv.password("alice"))[:len(AUTH)], AUTH,
                 "bob with alice's password, once the late answer came")
        r.ok("USER bob")
        T.expect(r.cmd("PASS " + srv.password("bob"))[:3], b"+OK",
                 "bob with his own")
    T.expect_true("authtab: no answer from tablepop within 3 s"
                  in srv.log(), "the stuck lookup logged",
                  srv.log_tail(10))
    T.expect_true(srv.alive(), "daemon alive")


@T.test(start=False)
def tablepop_follows_reloads(srv):
    """Issue 53: a reload that brings a database table starts a new
    tablepop; one that takes the last one away drains it: it goes, and
    its table programs with it, while logins go on through the files,
    which a tablepop serves too."""
    plain = srv.tables
    db = sqlite_tables(srv)
    sqlite = srv.tables
    srv.tables = plain
    srv.start()
    logs_in(srv, "alice", what="a login through the files")
    old = T.wait_for(lambda: tablepops(srv), 10, "the files' tablepop")
    T.expect(backends(srv, "table-sqlite"), [], "no table program")
    mark = len(srv.log())
    srv.tables = sqlite
    srv.argv()                  # writes the configuration file
    srv.reload()
    T.wait_for(lambda: "reloaded" in srv.log()[mark:], 20, "reloaded")
    pids = T.wait_for(lambda: [p for p in tablepops(srv) if p not in old],
                      10, "a new tablepop")
    check_backends(srv, "table-sqlite")
    db.set_password("alice", T.make_hash("dbpw"))
    logs_in(srv, "alice", "dbpw", "a login through SQLite")
    mark = len(srv.log())
    srv.tables = plain
    srv.argv()
    srv.reload()
    T.wait_for(lambda: "reloaded" in srv.log()[mark:], 20, "reloaded")
    T.wait_for(lambda: pids[0] not in tablepops(srv) and
               not backends(srv, "table-sqlite"), 10,
               "tablepop %s and its table programs gone" % pids)
    logs_in(srv, "alice", what="a login through the files again")


@T.test(start=False)
def quiet_error_says_so(srv):
    """Issue 37: a table program that answers an error without a word on
    its stderr: [SYS/TEMP], and the log says it said nothing instead of
    pointing at lines that are not there."""
    fake_tables(srv, {"quiet": {"hash": hash_of(srv, "alice"),
                                "userinfo": userinfo(srv, "alice"),
                                "error": True}})
    srv.start()
    check_backends(srv, "tablefake.py")
    mark = len(srv.log())
    resp, _ = pass_reply(srv, "quiet", srv.password("alice"))
    T.expect(resp[:len(TEMP)], TEMP, "an error is [SYS/TEMP]")
    want = ('table users: credentials lookup of "quiet" failed '
            '(tablefake.py said nothing on its standard error)')
    T.wait_for(lambda: want in log_since(srv, mark), 5, want)
    T.expect_true("see the lines" not in log_since(srv, mark),
                  "no lines pointed at", log_since(srv, mark))


@contextlib.contextmanager
def backend_script(name, interp="/usr/bin/python3"):
    """regress/tablefake.py installed as TABLEDIR/table-NAME (a script
    whose "#!" line names interp), removed after, with TABLEDIR if it was
    made for it."""
    made = not os.path.isdir(D.LIBEXEC)
    os.makedirs(D.LIBEXEC, exist_ok=True)
    path = os.path.join(D.LIBEXEC, "table-" + name)
    with open(FAKE, "rb") as f:
        text = f.read().split(b"\n", 1)[1]
    with open(path, "wb") as f:
        f.write(b"#!" + interp.encode() + b"\n" + text)
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        os.unlink(path)
        if made:
            os.rmdir(D.LIBEXEC)


@T.test(start=False)
def script_named_by_backend(srv):
    """Issue 37: a table program that is a script, named by its backend
    (table users "popdtest:CONF" runs TABLEDIR/table-popdtest) runs with
    its interpreter, as one named by its path does; one whose
    interpreter cannot run is refused by popd -n, with the reason."""
    write = fake_tables(srv, {"alice": {"hash": hash_of(srv, "alice"),
                                        "userinfo": userinfo(srv, "alice")}})
    conf = os.path.join(srv.tmpdir, "tablefake.json")
    with backend_script("popdtest-%d" % os.getpid()) as prog:
        name = os.path.basename(prog)[len("table-"):]
        srv.tables = ('table users "%s:%s"\nauthtab <users>\n'
                      'usertab <users>' % (name, conf))
        srv.start()
        check_backends(srv, os.path.basename(prog)[:15])
        logs_in(srv, "alice", what="login through table-" + name)
        T.expect_true("Permission denied" not in srv.log(),
                      "no exec refused", srv.log_tail())
        write({})
    with backend_script("popdtest-%d" % os.getpid(),
                        interp="/nonexistent/python3") as prog:
        srv.argv()              # writes the configuration file
        r = subprocess.run([T.POPD, "-n", "-f", srv.conffile],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=30)
        out = r.stdout.decode(errors="replace")
        T.expect(r.returncode, 1, "popd -n: %s" % out)
        T.expect_true("%s: a script whose interpreter cannot run: "
                      "/nonexistent/python3: No such file or directory"
                      % prog in out, "popd -n says why", out)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@T.test(start=False, timeout=120)
def stderr_flood_bounded(srv):
    """Issue 42: a table program that floods its stderr costs the root
    parent neither its log nor its CPU: at most 20 of its lines a second
    are logged, the rest counted in one line a second, the parent stays
    under a fifth of a core, and logins are served meanwhile."""
    secs = 6
    fake_tables(srv, {"alice": {"hash": hash_of(srv, "alice"),
                                "userinfo": userinfo(srv, "alice")}},
                flood=secs)
    srv.start()
    t0 = time.monotonic()
    cpu0 = cpu_seconds(srv.proc.pid)
    size0 = len(srv.log())
    while time.monotonic() - t0 < secs - 1:
        t = time.monotonic()
        logs_in(srv, "alice", what="login during the flood")
        T.expect_true(time.monotonic() - t < 3, "a login in time",
                      time.monotonic() - t)
    time.sleep(max(0, secs + 1.5 - (time.monotonic() - t0)))
    took = time.monotonic() - t0
    cpu = cpu_seconds(srv.proc.pid) - cpu0
    log = srv.log()[size0:]
    lines = [ln for ln in log.splitlines() if "flood line" in ln]
    T.expect_true(len(lines) <= 20 * (took + 2) * 2, "flood lines logged "
                  "(two programs, 20 a second each)", len(lines))
    T.expect_true("lines of tablefake.py not logged (at most 20 a second)"
                  in log, "the rest counted", log[-2000:])
    tl = sum(len(ln) + 1 for ln in log.splitlines() if "table users" in ln)
    T.expect_true(tl < 64 * 1024, "the table's log lines, in octets", tl)
    T.expect_true(cpu < 0.2 * took, "the parent's CPU: %.2fs in %.1fs"
                  % (cpu, took))


# --- the system's accounts ---------------------------------------------------

SYS_RANGE = (7700, 7749)


def free_uid(lo, hi):
    for uid in range(lo, hi + 1):
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
    raise T.Skip("no free uid in %d-%d" % (lo, hi))


def run(argv, input=None):
    r = subprocess.run(argv, input=input, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise AssertionError("%s: exit %d: %s" % (" ".join(argv),
                             r.returncode, r.stdout.decode().strip()))


class SystemUsers:
    """Unix accounts made for a test (useradd, chpasswd), each with a
    home in srv.tmpdir holding Maildir with MSG in it, removed (userdel
    -r) on leaving, whatever happened; and groups (groupadd)."""

    def __init__(self, srv):
        self.srv = srv
        self.names, self.groups = [], []

    def group(self, name):
        with contextlib.suppress(KeyError):
            grp.getgrnam(name)
            run(["groupdel", name])
        run(["groupadd", name])
        self.groups.append(name)

    def add(self, name, pw, uid, method=None, gid=None, groups=None):
        """A user of uid with password pw set by chpasswd (PAM's
        default, yescrypt on Debian 12, or -c method); its primary group
        gid, or one of its own."""
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            run(["userdel", "-r", "-f", name])
        home = os.path.join(self.srv.tmpdir, "sys", name)
        os.makedirs(os.path.dirname(home), 0o755, exist_ok=True)
        argv = ["useradd", "-M", "-d", home, "-s", "/usr/sbin/nologin",
                "-u", str(uid)]
        if gid is not None:
            argv += ["-g", str(gid)]
        if groups:
            argv += ["-G", ",".join(groups)]
        run(argv + [name])
        self.names.append(name)
        run(["chpasswd"] + (["-c", method] if method else []),
            input=("%s:%s\n" % (name, pw)).encode())
        pe = pwd.getpwnam(name)
        md = os.path.join(home, "Maildir")
        for d in ("", "Maildir", "Maildir/tmp", "Maildir/new",
                  "Maildir/cur"):
            os.makedirs(os.path.join(home, d), 0o700, exist_ok=True)
            os.chown(os.path.join(home, d), pe.pw_uid, pe.pw_gid)
        path = os.path.join(md, "new", "1.M1P1.popdtest")
        with open(path, "wb") as f:
            f.write(MSG)
        os.chown(path, pe.pw_uid, pe.pw_gid)
        return pe

    def shadow(self, name):
        with open("/etc/shadow") as f:
            for ln in f:
                f = ln.split(":")
                if f[0] == name:
                    return f[1]
        return None

    def __enter__(self):
        return self

    def __exit__(self, *a):
        for name in self.names:
            subprocess.run(["userdel", "-r", "-f", name],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        for name in self.groups:
            subprocess.run(["groupdel", name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)


@T.test(start=False, subdir="Maildir")
def system_accounts(srv):
    """Debian's yescrypt and SHA-512 accounts log in with their own
    uids; root's group, a uid out of the range, root and an unknown user
    are unknown users.  The root parent reads neither the user database
    nor the shadow one (no getpwent or getspnam in it): authcheck -m
    system does, as _pop3auth with the shadow group."""
    T.need_root()
    T.expect(T.symbols(T.POPD, r" U (getpwent|getspnam|getspent)"), [],
             "the system's databases walked in the popd binary")
    T.expect_true(T.symbols(os.path.join(T.REPO, "authcheck", "authcheck"),
                            r" U getspnam"), "authcheck reads shadow")
    lo, hi = SYS_RANGE
    with SystemUsers(srv) as su:
        su.add("popdsys-y", "yes-pw", free_uid(lo, hi))
        su.add("popdsys-s", "sha-pw", free_uid(lo, hi), method="SHA512")
        # In the range, but of group root; and one out of the range.
        su.add("popdsys-g", "gid0-pw", free_uid(lo, hi), gid=0)
        su.add("popdsys-o", "out-pw", free_uid(hi + 1, hi + 50))
        # Issue 69: of the group shadow, which reads every hash.
        su.add("popdsys-sh", "sh-pw", free_uid(lo, hi),
               gid=grp.getgrnam("shadow").gr_gid)
        T.expect(su.shadow("popdsys-y")[:3], "$y$", "Debian's default "
                 "hash (yescrypt) in /etc/shadow")
        T.expect(su.shadow("popdsys-s")[:3], "$6$", "chpasswd -c SHA512")
        srv.tables = ("authtab system\nusertab system\nsystem uid %d-%d"
                      % (lo, hi))
        srv.start()
        logs_in(srv, "popdsys-y", "yes-pw", "yescrypt system user")
        logs_in(srv, "popdsys-s", "sha-pw", "SHA-512 system user")
        T.expect_true("wrkrpop for popdsys-y: pid" in srv.log() and
                      "uid %d " % pwd.getpwnam("popdsys-y").pw_uid
                      in srv.log(), "served with its own uid",
                      srv.log_tail(5))
        wrong = refused(srv, "popdsys-y", "wrong", AUTH, "wrong password")
        for user, pw in (("popdsys-g", "gid0-pw"), ("popdsys-o", "out-pw"),
                         ("popdsys-sh", "sh-pw"),
                         ("root", "root"), ("nosuchuser", "pw")):
            T.expect(refused(srv, user, pw, AUTH, user), wrong,
                     "%s is an unknown user" % user)
        T.expect_true("wrkrpop for popdsys-g" not in srv.log() and
                      "wrkrpop for popdsys-o" not in srv.log() and
                      "wrkrpop for popdsys-sh" not in srv.log(),
                      "no worker outside the range, of gid 0 or shadow")
        T.expect_true("system user popdsys-sh: gid %d is the group shadow: "
                      "left out" % grp.getgrnam("shadow").gr_gid
                      in srv.log(), "the shadow group's user logged",
                      srv.log_tail())
        authcheck_ids(srv)
        T.expect_true(srv.alive(), "daemon alive")
        srv.stop()


def authcheck_ids(srv):
    """The ids authcheck -m system takes, as the kernel saw them: a
    reload runs it again under strace, which follows the parent's
    children.  It must become _pop3auth, with the shadow group beside
    its own, and never walk the databases as root."""
    strace = T.need_prog("strace")
    trace = os.path.join(srv.tmpdir, "authcheck.trace")
    # -ff: a file per process, so that no call is split in two.
    st = subprocess.Popen([strace, "-ff", "-qq", "-o", trace, "-e",
                           "trace=execve,execveat,setgroups,setresgid,"
                           "setresuid", "-p", str(srv.proc.pid)],
                          stderr=subprocess.DEVNULL)
    try:
        T.wait_for(lambda: open("/proc/%d/status" % srv.proc.pid).read()
                   .count("TracerPid:\t0") == 0, 10, "strace attached")
        n = srv.log().count("reloaded ")
        srv.reload()
        T.wait_for(lambda: srv.log().count("reloaded ") > n, 30,
                   "the reload done")
    finally:
        st.terminate()
        st.wait(10)
    calls = {}
    for name in os.listdir(srv.tmpdir):
        if name.startswith("authcheck.trace."):
            with open(os.path.join(srv.tmpdir, name)) as f:
                calls[name] = [ln.strip() for ln in f]
    runs = {}
    for c in calls.values():
        for x in c:
            if x.startswith("execve") and '["authcheck", "-m", ' in x:
                runs[x.split('"-m", "')[1].split('"')[0]] = [
                    " ".join(y.split()) for y in c if y.startswith("set")]
    T.expect_true("system" in runs, "authcheck -m system run by the "
                  "reload", sorted(calls))
    auth = pwd.getpwnam("_pop3auth")
    shadow = grp.getgrnam("shadow").gr_gid
    ids = ["setresgid(%d, %d, %d) = 0" % ((auth.pw_gid,) * 3),
           "setresuid(%d, %d, %d) = 0" % ((auth.pw_uid,) * 3),
           # ids_final: root cannot be had back.
           "setresuid(-1, 0, -1) = -1 EPERM (Operation not permitted)",
           "setresgid(-1, 0, -1) = -1 EPERM (Operation not permitted)"]
    for mode, seen in runs.items():
        groups = [auth.pw_gid, shadow] if mode == "system" else \
            [auth.pw_gid]
        want = ["setgroups(%d, [%s]) = 0" % (
            len(groups), ", ".join(map(str, groups)))] + ids
        T.expect(seen, want, "authcheck -m %s: its groups, then its ids"
                 % mode)


@T.test(start=False, subdir="Maildir")
def system_group(srv):
    T.need_root()
    lo, hi = SYS_RANGE
    with SystemUsers(srv) as su:
        su.group("popdsysg")
        gid = grp.getgrnam("popdsysg").gr_gid
        su.add("popdsys-m", "mem-pw", free_uid(lo, hi), groups=["popdsysg"])
        su.add("popdsys-p", "pri-pw", free_uid(lo, hi), gid=gid)
        su.add("popdsys-n", "non-pw", free_uid(lo, hi))
        srv.tables = ("authtab system\nusertab system\nsystem uid %d-%d\n"
                      "system group popdsysg" % (lo, hi))
        srv.start()
        logs_in(srv, "popdsys-m", "mem-pw", "a member of the group")
        logs_in(srv, "popdsys-p", "pri-pw", "the group is its primary one")
        refused(srv, "popdsys-n", "non-pw", AUTH, "not in the group")
        T.expect_true(srv.alive(), "daemon alive")
        srv.stop()


# --- timing ------------------------------------------------------------------

def timing_users(srv, db):
    """bcrypt 4 and 10 and SHA-512-crypt users in db, their homes
    alice's ids; returns {name: password}."""
    sha = subprocess.run(["openssl", "passwd", "-6", "pw-sha"],
                         stdout=subprocess.PIPE, check=True,
                         text=True).stdout.strip()
    T.expect(sha[:3], "$6$", "openssl passwd -6")
    users = {"cost4": ("pw4", T.make_hash("pw4", 4)),
             "cost10": ("pw10", T.make_hash("pw10", 10)),
             "sha512": ("pw-sha", sha)}
    u = srv.users["alice"]
    for name, (_, h) in users.items():
        db.add_user(name, h, u["uid"], u["gid"], u["home"])
    return {name: pw for name, (pw, _) in users.items()}


@T.test(start=False, timeout=180)
def sqlite_constant_time_failures(srv):
    db = sqlite_tables(srv)
    pws = timing_users(srv, db)
    srv.start()
    # The passwords do work: the hashes are real.
    for user, pw in pws.items():
        logs_in(srv, user, pw)
    kinds = ("nosuchuser", "cost4", "cost10", "sha512")
    times = {k: [] for k in kinds}
    for i in range(20):
        for j, k in enumerate(kinds):
            # Each from an address of its own: no failure delay at all.
            resp, took = pass_reply(srv, k, "wrong password",
                                    src="127.0.%d.%d" % (60 + i, 2 + j))
            T.expect(resp[:len(AUTH)], AUTH, "failed PASS of " + k)
            times[k].append(took)
    med = {k: statistics.median(v) for k, v in times.items()}
    print("#  medians: %s" % ", ".join("%s %.3f s" % kv
                                       for kv in med.items()))
    lo, hi = min(med.values()), max(med.values())
    T.expect_true(hi <= lo * 1.2, "medians within 20%% of each other", med)
    # Not a delay of zero: longer than the slowest check (bcrypt 10).
    T.expect_true(lo > 0.03, "failure replies wait for the slowest hash",
                  med)


def timed_logins(srv, user, n):
    """n times from PASS to +OK for user (each session then ends)."""
    out = []
    while len(out) < n:
        resp, took = pass_reply(srv, user, srv.password(user))
        if b"[IN-USE]" in resp:
            time.sleep(0.05)
            continue
        T.expect(resp[:3], b"+OK", "login of " + user)
        out.append(took)
    return out


@T.test(start=False, cost=10, timeout=180)
def sqlite_login_as_fast_as_file(srv):
    # Two servers with the same users and bcrypt cost 10: one reads
    # SQLite, the other its files; logins alternate between them.
    # Other work on the machine only ever adds time, and to one side
    # more than the other by chance: a round of 20 logins each that
    # meets the bound shows the cost, and up to three rounds are tried,
    # so that only a cost that stays in every round fails.
    sqlite_tables(srv)
    srv.start()
    rounds = []
    with T.Server(cost=10) as files:
        files.start()
        for _ in range(3):
            times = {"sqlite": [], "file": []}
            for _ in range(20):
                times["sqlite"] += timed_logins(srv, "alice", 1)
                times["file"] += timed_logins(files, "alice", 1)
            med = {k: statistics.median(v) for k, v in times.items()}
            print("#  login medians: sqlite %.4f s, file %.4f s"
                  % (med["sqlite"], med["file"]))
            rounds.append(med)
            # A login the cache answers costs 2 to 3 ms here, and the
            # lookup in SQLite is a round trip to table-sqlite (0.3 to
            # 0.5 ms, measured the same before and after issue 51): 20%
            # or 1 ms, the larger, either way.
            if (med["sqlite"] <= max(med["file"] * 1.2,
                                     med["file"] + 0.001) and
                    med["file"] <= max(med["sqlite"] * 1.2,
                                       med["sqlite"] + 0.001)):
                break
        T.expect_true(not files.crashes(), "file server log",
                      files.crashes())
    med = rounds[-1]
    T.expect_true(med["sqlite"] <= max(med["file"] * 1.2,
                                       med["file"] + 0.001),
                  "a login through SQLite within 20% (or 1 ms) of one "
                  "through a file, in one of 3 rounds", rounds)
    T.expect_true(med["file"] <= max(med["sqlite"] * 1.2,
                                     med["sqlite"] + 0.001),
                  "a login through a file within 20% (or 1 ms) of one "
                  "through SQLite, in one of 3 rounds", rounds)


@T.test(start=False)
def refusal_after_its_authpop_drained(srv):
    """authpop hands the socket over with the login and forgets it: a
    login refused after a reload drained the authpop that took the
    password (usertab's table answering late) gets its answer from the
    current authpop, with the parent's reason, never a closed
    connection."""
    log = os.path.join(srv.tmpdir, "lookups.log")
    with open(log, "w"):
        pass
    os.chmod(log, 0o666)
    fake_tables(srv, {"alice": {"hash": hash_of(srv, "alice"),
                                "sleep": 4, "error": True}}, log=log)
    # authtab from the harness's file: only the userinfo goes to the table.
    srv.tables = srv.tables.replace("authtab <users>",
                                    'authtab "%s"' % srv.authtab)
    srv.start()
    old = T.wait_for(lambda: srv.pids()["authpop"], 10, "authpop")
    with srv.raw() as r:
        T.expect(r.line()[:3], b"+OK", "greeting")
        r.ok("USER alice")
        r.send("PASS " + srv.password("alice") + "\r\n")
        T.wait_for(lambda: "userinfo alice" in open(log).read(), 10,
                   "the userinfo lookup at the table program")
        srv.reload()
        T.wait_for(lambda: not os.path.exists("/proc/%d" % old), 10,
                   "the drained authpop gone before the answer")
        resp = r.line()
    T.expect(resp, TEMP + b"cannot open the maildrop now, try again later",
             "the refusal, from the authpop after the reload")


if __name__ == "__main__":
    T.main()
