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

"""popd end to end with real databases through OpenSMTPD's table
programs (Debian's opensmtpd-extras): PostgreSQL (table-postgres),
MariaDB (table-mysql) and OpenLDAP slapd (table-ldap), each started once
by regress/dbtest.py and kept for all its checks; SQLite is
test_tables.py's.  popd runs as root with real uids and TLS, with

    table users BACKEND:CONFIG
    authtab <users>
    usertab <users>

and two mail users, alice and bob, known only to the database (their
passwords are in no file popd reads), each a maildir with a message.
For each database, in this order (each check leaves the database as it
found it, so that all run; the failure names the checks that failed):

  login          the right password logs in; STAT and RETR show the
                 message
  wrong          a wrong password and an unknown user: -ERR [AUTH]
  password       a password changed in the database: the old one fails
                 at once, the new one works (no reload, no cache)
  removed        bob removed while a session of his is open: that
                 session goes on to QUIT, his next login is -ERR [AUTH]
  uid0           a userinfo of uid and gid 0, uid 0, gid 0, then the uid
                 of _pop3table: -ERR [SYS/PERM], no wrkrpop, the log
                 names the table; back to his own ids, he logs in
  killed         kill -9 of the table-BACKEND processes popd runs (as
                 _pop3table): logins work again within KILLED s, new
                 processes, as _pop3table; meanwhile no -ERR [AUTH]
  restarted      the database restarted between two logins: an unknown
                 user and a wrong password are still -ERR [AUTH] (the
                 backend warns on stderr as it reconnects, then answers)
  stopped        the database stopped: -ERR [SYS/TEMP] (never [AUTH])
                 within timeout lookup + 2 s, the log names the table;
                 started again: logins work by themselves within BACK s
and with PostgreSQL,
  slow           each credentials lookup sleeps SLOW s, timeout lookup
                 1s (a reload): -ERR [SYS/TEMP] within 2 s and the
                 backend killed and started again; meanwhile a second
                 client gets its greeting and CAPA at once
and with LDAP,
  ldap_keys      "ALICE" (the directory matches without case), "*" and
                 "a*" (table-ldap puts the key in its filter unescaped)
                 with alice's password: -ERR [AUTH], no wrkrpop.

Nothing may crash but table-ldap, which dies of SIGSEGV at its lookup
after one while its directory was down (test_dbtest.py's BEHAVIOUR).
Each check prints its time ("#" lines)."""

import os
import pwd
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402
import dbtest as D  # noqa: E402

LOOKUP = 3      # timeout lookup, seconds
KILLED = 5      # a killed backend is running again (restart after 1 s)
BACK = 20       # logins work again after the database is back
SLOW = 3        # seconds a slow credentials lookup takes
TABLE = "users"


def note(text):
    print("#  " + text)
    sys.stdout.flush()


# --- popd with the database's table ----------------------------------------

def use_table(srv, db, lookup=LOOKUP):
    """srv's popd.conf names db's table for both authtab and usertab
    (instead of the harness's files) and sets timeout lookup;
    srv.write_conf(lookup) writes it again (for a reload)."""
    conf = db.table_config()

    def config(lookup=lookup):
        text, rest = T.Server.config(srv)
        lines = text.split("\n")
        T.expect([ln.split()[0] for ln in lines[:2]], ["authtab", "usertab"],
                 "the harness's popd.conf starts with its tables")
        lines[:2] = ['table %s "%s:%s"' % (TABLE, db.backend, conf),
                     "authtab <%s>" % TABLE, "usertab <%s>" % TABLE,
                     "timeout lookup %ds" % lookup]
        return "\n".join(lines), rest

    def write_conf(lookup=lookup):
        srv._write(srv.conffile, config(lookup)[0], 0o644)
    srv.config = config
    srv.write_conf = write_conf


def start(srv, db):
    """Start popd with db.env in its environment (table-mysql finds its
    socket through MYSQL_UNIX_PORT, as under smtpd)."""
    saved = {k: os.environ.get(k) for k in db.env}
    os.environ.update(db.env)
    try:
        srv.start()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def backends(srv, db):
    """{pid: uids} of the live table-BACKEND processes under popd."""
    comm = ("table-" + db.backend)[:15]
    out = {}
    for p in T.descendants(srv.proc.pid):
        if T.proc_comm(p) != comm:
            continue
        try:
            st = T.proc_status(p)
        except OSError:
            continue
        if not st.get("State", "").startswith("Z"):
            out[p] = st["Uid"]
    return out


def ready_backends(srv, db, since, n=2, timeout=10):
    """Wait for n backends that said they are ready in the log after
    since and still run; returns {pid: uids}."""
    def ready():
        said = set(int(p) for p in re.findall(
            r"table %s: table-%s \(pid (\d+)\) ready" % (TABLE, db.backend),
            srv.log()[since:]))
        now = backends(srv, db)
        up = {p: u for p, u in now.items() if p in said}
        return up if len(up) >= n else None
    return T.wait_for(ready, timeout, "%d ready table-%s" % (n, db.backend))


def as_table_user(procs, what):
    uid = pwd.getpwnam(D.TABLE_USER).pw_uid
    for p, uids in procs.items():
        T.expect(uids, [uid] * 4, "%s: uids of table process %d" % (what, p))


def wrkrpops(srv):
    return T.role_pids(srv, "wrkrpop")


# --- clients --------------------------------------------------------------

def pass_answer(srv, user, pw):
    """A new connection, USER, PASS: (PASS's answer, the seconds it took,
    the client, still open)."""
    r = srv.raw(timeout=30)
    try:
        T.expect(r.line()[:3], b"+OK", "greeting")
        r.ok("USER " + user)
        t0 = time.monotonic()
        a = r.cmd("PASS " + pw)
        return a, time.monotonic() - t0, r
    except BaseException:
        r.close()
        raise


def refused(srv, user, pw, code, what, within=None):
    """A login of user refused with -ERR [code] (within seconds)."""
    a, took, r = pass_answer(srv, user, pw)
    r.close()
    T.expect_true(a.startswith(b"-ERR [" + code.encode() + b"]"),
                  "%s: -ERR [%s]" % (what, code), a)
    if within is not None:
        T.expect_true(took <= within, "%s: answered within %g s"
                      % (what, within), round(took, 2))
    return a, took


def mailbox(r, msg, what):
    """STAT and RETR 1 on a logged-in client: the one message."""
    T.expect(r.ok("STAT"), b"+OK 1 %d" % T.rfc_size(msg), what + ": STAT")
    r.ok("RETR 1")
    T.expect(r.block(), msg, what + ": RETR 1")


def logged_in(srv, user, pw, what, timeout=5):
    """A client logged in as user (the maildrop lock of the previous
    session may take a moment to go: [IN-USE] is retried)."""
    deadline = time.monotonic() + timeout
    while True:
        a, _, r = pass_answer(srv, user, pw)
        if a.startswith(b"+OK"):
            return r
        r.close()
        if b"[IN-USE]" not in a or time.monotonic() > deadline:
            raise AssertionError("%s: login of %s: %r" % (what, user, a))
        time.sleep(0.1)


def session(srv, user, pw, msg, what):
    with logged_in(srv, user, pw, what) as r:
        mailbox(r, msg, what)
        r.ok("QUIT")


def until_login(srv, user, pw, msg, timeout, what):
    """Log in again and again until it works, within timeout seconds;
    every refusal meanwhile is -ERR [SYS/TEMP] (or [IN-USE]).  Returns
    the seconds it took and the refusals seen."""
    t0 = time.monotonic()
    seen = []
    while True:
        a, _, r = pass_answer(srv, user, pw)
        with r:
            if a.startswith(b"+OK"):
                mailbox(r, msg, what)
                r.ok("QUIT")
                return time.monotonic() - t0, seen
        seen.append(a)
        T.expect_true(a.startswith(b"-ERR [SYS/TEMP]") or b"[IN-USE]" in a,
                      "%s: a refusal until logins work again" % what, a)
        if time.monotonic() - t0 > timeout:
            raise AssertionError("%s: no login within %d s (last: %r)"
                                 % (what, timeout, a))
        time.sleep(0.2)


# --- the checks ----------------------------------------------------------

class Ctx:
    """What every check of one database shares."""

    def __init__(self, srv, db):
        self.srv, self.db = srv, db
        self.pw = {"alice": "alice-in-%s" % db.name,
                   "bob": "bob-in-%s" % db.name}
        self.msg = {u: b"From: sender@example.org\r\nTo: %s@example.org\r\n"
                    b"Subject: a user of %s\r\n\r\nserved from %s's "
                    b"table\r\n" % (u.encode(), db.name.encode(),
                                    db.backend.encode())
                    for u in self.pw}

    def home(self, user):
        return self.srv.users[user]["home"]

    def add(self, user):
        self.db.add_user(user, T.make_hash(self.pw[user]),
                         self.srv.uid(user), self.srv.gid(user),
                         self.home(user))

    def mark(self):
        return len(self.srv.log())

    def logged(self, since, pattern, what):
        T.expect_true(re.search(pattern, self.srv.log()[since:]),
                      "%s: the log has %s" % (what, pattern),
                      self.srv.log()[since:][-1500:])


def check_login(c):
    session(c.srv, "alice", c.pw["alice"], c.msg["alice"], "login")
    session(c.srv, "bob", c.pw["bob"], c.msg["bob"], "login")


def check_wrong(c):
    refused(c.srv, "alice", c.pw["bob"], "AUTH", "wrong password")
    refused(c.srv, "carol", c.pw["alice"], "AUTH", "unknown user")


def check_password(c):
    old, new = c.pw["alice"], c.pw["alice"] + "-changed"
    c.db.set_password("alice", T.make_hash(new))
    c.pw["alice"] = new
    refused(c.srv, "alice", old, "AUTH", "the old password")
    session(c.srv, "alice", new, c.msg["alice"], "the new password")
    refused(c.srv, "alice", old, "AUTH", "the old password again")


def check_removed(c):
    removed = False
    try:
        with logged_in(c.srv, "bob", c.pw["bob"], "bob's session") as r:
            mailbox(r, c.msg["bob"], "before the removal")
            c.db.remove_user("bob")
            removed = True
            refused(c.srv, "bob", c.pw["bob"], "AUTH",
                    "a login of bob while his session is open")
            mailbox(r, c.msg["bob"], "bob's session after his removal")
            r.ok("QUIT", "QUIT of bob's session after his removal")
        refused(c.srv, "bob", c.pw["bob"], "AUTH", "bob's next login")
    finally:
        if removed:
            c.add("bob")
    session(c.srv, "bob", c.pw["bob"], c.msg["bob"], "bob added again")


def check_uid0(c):
    uid, gid = c.srv.uid("bob"), c.srv.gid("bob")
    table = pwd.getpwnam(D.TABLE_USER)
    try:
        for bad in ((0, 0), (0, gid), (uid, 0),
                    (table.pw_uid, table.pw_gid)):
            since = c.mark()
            c.db.set_userinfo("bob", bad[0], bad[1], c.home("bob"))
            before = wrkrpops(c.srv)
            what = "userinfo %d:%d" % bad
            refused(c.srv, "bob", c.pw["bob"], "SYS/PERM", what)
            T.expect(wrkrpops(c.srv), before, what + ": wrkrpops")
            c.logged(since, r'login of "bob" refused: the userinfo of '
                     r'table %s: ' % TABLE, what)
            T.expect_true("wrkrpop for bob" not in c.srv.log()[since:],
                          what + ": no wrkrpop started")
    finally:
        c.db.set_userinfo("bob", uid, gid, c.home("bob"))
    session(c.srv, "bob", c.pw["bob"], c.msg["bob"], "bob's own ids again")


def check_killed(c):
    before = backends(c.srv, c.db)
    T.expect(len(before), 2, "table-%s processes" % c.db.backend)
    as_table_user(before, "before the kill")
    since = c.mark()
    for p in before:
        os.kill(p, signal.SIGKILL)
    took, seen = until_login(c.srv, "alice", c.pw["alice"], c.msg["alice"],
                             KILLED, "after kill -9 of the backends")
    note("%s: killed: logins again after %.1f s (%d refused meanwhile)"
         % (c.db.name, took, len(seen)))
    for p in before:
        c.logged(since, r"table %s: table-%s \(pid %d\) killed by signal 9"
                 % (TABLE, c.db.backend, p), "killed")
    after = ready_backends(c.srv, c.db, since)
    T.expect_true(not set(after) & set(before), "new processes",
                  (sorted(before), sorted(after)))
    as_table_user(after, "restarted")


def check_restarted(c):
    """The database restarted between two logins, none while it was
    down: nothing to see for the clients.  table-postgres and
    table-mysql notice at their next lookup, warn "trying to reconnect
    after error" on stderr, reconnect and answer: an unknown user is
    still one (-ERR [AUTH])."""
    try:
        c.db.stop()
    finally:
        c.db.start()
    since = c.mark()
    refused(c.srv, "carol", c.pw["alice"], "AUTH",
            "an unknown user, the first lookup after the restart")
    refused(c.srv, "alice", c.pw["bob"], "AUTH",
            "a wrong password after the restart")
    session(c.srv, "alice", c.pw["alice"], c.msg["alice"],
            "after the restart")
    for ln in c.srv.log()[since:].splitlines():
        if "table %s:" % TABLE in ln:
            note("%s: restarted: %s" % (c.db.name, ln))


def check_stopped(c):
    since = c.mark()
    c.db.stop()
    try:
        for i in range(3):
            _, took = refused(c.srv, "alice", c.pw["alice"], "SYS/TEMP",
                              "database down, login %d" % (i + 1),
                              within=LOOKUP + 2)
            note("%s: stopped: login %d refused in %.2f s"
                 % (c.db.name, i + 1, took))
        refused(c.srv, "carol", c.pw["alice"], "SYS/TEMP",
                "database down, an unknown user", within=LOOKUP + 2)
        c.logged(since, r'table %s: .*"(alice|carol)"' % TABLE,
                 "database down")
    finally:
        c.db.start()
    took, seen = until_login(c.srv, "alice", c.pw["alice"], c.msg["alice"],
                             BACK, "database back")
    note("%s: stopped: logins again %.1f s after the start (%d refused)"
         % (c.db.name, took, len(seen)))
    session(c.srv, "bob", c.pw["bob"], c.msg["bob"], "database back")
    refused(c.srv, "alice", c.pw["bob"], "AUTH",
            "database back, a wrong password")


def reload(srv, db, lookup):
    """popd.conf written again with timeout lookup, SIGHUP; returns once
    the new configuration's two processes are ready."""
    since = len(srv.log())
    srv.write_conf(lookup)
    srv.reload()
    T.wait_for(lambda: "reloaded" in srv.log()[since:], 10, "the reload")
    return ready_backends(srv, db, since)


def check_slow(c):
    """PostgreSQL: a credentials lookup that takes longer than timeout
    lookup."""
    srv, db = c.srv, c.db
    db.make_slow(SLOW)
    try:
        old = reload(srv, db, 1)
        since = c.mark()
        with srv.raw() as slow:
            T.expect(slow.line()[:3], b"+OK", "greeting")
            slow.ok("USER alice")
            t0 = time.monotonic()
            slow.send("PASS %s\r\n" % c.pw["alice"])
            # While the lookup is out, another client is answered at once.
            t1 = time.monotonic()
            with srv.raw() as other:
                T.expect(other.line()[:3], b"+OK",
                         "the other client's greeting")
                other.ok("CAPA")
                other.multiline()
                other_took = time.monotonic() - t1
                other.ok("QUIT")
            a = slow.line()
            took = time.monotonic() - t0
        note("%s: slow: -ERR after %.2f s; another client's greeting and "
             "CAPA in %.3f s" % (db.name, took, other_took))
        T.expect_true(a.startswith(b"-ERR [SYS/TEMP]"),
                      "slow database: -ERR [SYS/TEMP]", a)
        T.expect_true(0.9 <= took <= 2.0, "slow database: answered after "
                      "timeout lookup (1 s), within 2 s", round(took, 2))
        T.expect_true(other_took < 0.5, "the other client answered at once",
                      round(other_took, 3))
        m = re.search(r"table %s: table-postgres \(pid (\d+)\): no answer to "
                      r"the credentials lookup of \"alice\" within 1 s "
                      r"\(timeout lookup\): restarting it" % TABLE,
                      srv.log()[since:])
        T.expect_true(m, "the log says the backend is restarted",
                      srv.log()[since:][-1500:])
        T.expect_true(int(m.group(1)) in old, "the slow backend was one of "
                      "the two", (m.group(1), sorted(old)))
        new = ready_backends(srv, db, since, n=1, timeout=KILLED)
        T.expect_true(int(m.group(1)) not in new, "a new process", new)
        as_table_user(new, "restarted after the timeout")
    finally:
        # Fast again (a reload reads the configuration again).
        db.make_slow(0)
        reload(srv, db, LOOKUP)
    session(srv, "alice", c.pw["alice"], c.msg["alice"], "fast again")


def check_ldap_keys(c):
    """Keys the directory finds that are not the user asked for: "ALICE"
    (LDAP matches without case; popd's names have case) and "*", "a*"
    (table-ldap puts the key in its filter unescaped): no such user."""
    for user in ("ALICE", "*", "a*"):
        since = c.mark()
        before = wrkrpops(c.srv)
        refused(c.srv, user, c.pw["alice"], "AUTH",
                "USER %s with alice's password" % user)
        T.expect(wrkrpops(c.srv), before, "USER %s: wrkrpops" % user)
        T.expect_true("wrkrpop for" not in c.srv.log()[since:],
                      "USER %s: no wrkrpop started" % user)


CHECKS = [("login", check_login), ("wrong", check_wrong),
          ("password", check_password), ("removed", check_removed),
          ("uid0", check_uid0), ("killed", check_killed),
          ("restarted", check_restarted), ("stopped", check_stopped)]


def exercise(srv, cls, extra=()):
    T.need_root()
    with cls(srv.tmpdir) as db:
        c = Ctx(srv, db)
        for user in ("alice", "bob"):
            c.add(user)
            srv.deliver(user, c.msg[user])
        use_table(srv, db)
        start(srv, db)
        t0 = time.monotonic()
        ready_backends(srv, db, 0)
        as_table_user(backends(srv, db), "at start")
        failed = []
        for name, fn in CHECKS + list(extra):
            t = time.monotonic()
            try:
                fn(c)
                note("%s: %s %.1f s" % (db.name, name,
                                        time.monotonic() - t))
            except AssertionError as e:
                # The checks leave the database as they found it: the
                # next ones still say something.
                note("%s: %s FAILED: %s" % (db.name, name, e))
                failed.append("%s: %s" % (name, e))
        note("%s: all checks %.1f s" % (db.name, time.monotonic() - t0))
        bad = [ln for ln in srv.crashes() if not (
            cls is D.Slapd and re.search(
                r"table %s: table-ldap \(pid \d+\) killed by signal 11"
                % TABLE, ln))]
        if bad:
            failed.append("daemon log: " + " | ".join(bad))
        if failed:
            raise AssertionError(" | ".join(failed))


@T.test(start=False)
def postgres(srv):
    exercise(srv, D.Postgres, [("slow", check_slow)])


@T.test(start=False)
def mariadb(srv):
    exercise(srv, D.MariaDB)


@T.test(start=False, allow_crash=True)
def ldap(srv):
    exercise(srv, D.Slapd, [("ldap_keys", check_ldap_keys)])


if __name__ == "__main__":
    T.main()
