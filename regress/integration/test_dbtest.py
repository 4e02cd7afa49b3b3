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

"""regress/dbtest.py's databases (SQLite, PostgreSQL, MariaDB, OpenLDAP)
against OpenSMTPD's real table backends (opensmtpd-extras), asked
through dbtest.TableProc as smtpd asks them, running as _pop3table;
popd is not involved.  For each: the credentials and userinfo lookups,
an unknown user, a removed user, a changed password and userinfo, the
configuration's and the database file's modes, then what the backend
does when its database goes down (at its start, between lookups, during
lookups), hangs, is slow, and comes back: BEHAVIOUR below, which popd's
table support relies on.  Lookup times and the backends' stderr lines
are printed ("#" lines)."""

import os
import pwd
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402
import dbtest as D  # noqa: E402

# opensmtpd-extras 6.7.1 (Debian 12).  A difference is a change of the
# backend to look at, not a flaky test.
#   down_once:  a lookup while the database is down, then one once it
#          is back (1 found, -1 error, 0 not found, "SIGSEGV" the backend
#          died so)
#   down:  the first and the second lookup while the database is down
#   back:  the same backend answers once the database is back after
#          "down" (if not, only a new one does)
#   case:  "ALICE" finds alice;  star: "*" finds a user (the key goes
#          into the LDAP filter unescaped)
#   password_logged:  the database password is on the backend's stderr
# Every backend exits 1 when it cannot reach its database at its start,
# and reconnects by itself after a restart between two lookups.
BEHAVIOUR = {
    "sqlite": dict(down_once=(-1, 1), down=(-1, -1), back=True,
                   case=False, star=False, password_logged=False),
    "postgres": dict(down_once=(-1, 1), down=(-1, -1), back=True,
                     case=False, star=False, password_logged=False),
    "mysql": dict(down_once=(-1, 1), down=(-1, -1), back=True,
                  case=False, star=False, password_logged=False),
    "ldap": dict(down_once=(0, "SIGSEGV"), down=(0, "SIGSEGV"), back=False,
                 case=True, star=True, password_logged=True),
}

# The fatal line of each backend that cannot reach its database at start.
FATAL_AT_START = {
    "sqlite": "fatal: error parsing config file",
    "postgres": "fatal: could not connect",
    "mysql": "fatal: could not connect",
    "ldap": "fatal: failed to connect",
}

SLOW = 0.5


def note(db, text):
    print("#  %s: %s" % (db.backend, text))


def outcome(t, user, service=D.K_CREDENTIALS):
    """r of a lookup, or how the backend died."""
    try:
        return t.lookup(service, user)[0]
    except D.BackendGone as e:
        if e.status is not None and e.status < 0:
            return signal.Signals(-e.status).name
        return "exit %s" % e.status


def new_lines(t, since):
    return [ln for ln in t.stderr()[since:].splitlines() if ln.strip()]


def timed(t, user, n=100):
    t0 = time.monotonic()
    for _ in range(n):
        t.credentials(user)
    return (time.monotonic() - t0) / n * 1000


def check_modes(db, conf):
    """The configuration (and the SQLite file) readable by _pop3table's
    group alone, owned by root."""
    paths = [conf] + ([db.db] if db.backend == "sqlite" else [])
    for p in paths:
        st = os.stat(p)
        T.expect(oct(st.st_mode & 0o777), oct(0o640), "mode of " + p)
        if T.is_root:
            T.expect((st.st_uid, st.st_gid),
                     (0, D.table_user().pw_gid), "owner of " + p)


def exercise(srv, cls):
    want = BEHAVIOUR[cls.backend]
    h1, h2 = T.make_hash("pw1"), T.make_hash("pw2")
    with cls(srv.tmpdir) as db:
        db.add_user("alice", h1, 2001, 2002, "/home/alice")
        db.add_user("bob", h2, 2003, 2002, "/home/bob")
        conf = db.table_config()
        check_modes(db, conf)
        t = D.TableProc(db.backend, conf, env=db.env)
        try:
            if T.is_root:
                T.expect(T.proc_status(t.proc.pid)["Uid"],
                         [pwd.getpwnam(D.TABLE_USER).pw_uid] * 4,
                         "backend's uids")
            T.expect(t.credentials("alice"), (1, "alice:" + h1),
                     "credentials")
            T.expect(t.userinfo("alice"), (1, "2001:2002:/home/alice"),
                     "userinfo")
            T.expect(t.credentials("carol"), (0, None), "unknown user")
            T.expect(t.userinfo("carol"), (0, None), "unknown userinfo")
            T.expect(t.credentials("ALICE")[0] == 1, want["case"],
                     "ALICE finds alice")
            T.expect(t.credentials("*")[0] == 1, want["star"],
                     "* finds a user")
            T.expect(db.password in t.stderr(), want["password_logged"],
                     "database password on stderr")
            note(db, "lookup %.3f ms found, %.3f ms not found"
                 % (timed(t, "alice"), timed(t, "carol")))

            db.set_password("alice", h2)
            T.expect(t.credentials("alice"), (1, "alice:" + h2),
                     "changed password")
            db.set_userinfo("alice", 2005, 2006, "/srv/alice")
            T.expect(t.userinfo("alice"), (1, "2005:2006:/srv/alice"),
                     "changed userinfo")
            db.remove_user("bob")
            T.expect(t.credentials("bob"), (0, None), "removed user")
            T.expect(t.userinfo("bob"), (0, None), "removed userinfo")
            try:
                db.set_password("bob", h1)
                err = None
            except AssertionError as e:
                err = str(e)
            T.expect_true(err and "'bob'" in err,
                          "set_password of a removed user fails naming it",
                          err)

            # A restart between two lookups goes unnoticed.
            db.stop()
            db.start()
            T.expect(t.credentials("alice"), (1, "alice:" + h2),
                     "lookup after a restart")

            # One lookup while down, then the first once it is back.
            db.stop()
            got = [outcome(t, "alice")]
            db.start()
            got.append(outcome(t, "alice"))
            note(db, "one lookup down, then back: %s, %s" % tuple(got))
            T.expect(tuple(got), want["down_once"], "a lookup while down, "
                     "then one once back")
            if not t.alive():
                t.close()
                t = D.TableProc(db.backend, conf, env=db.env)

            # Two lookups while down, then back.
            since = len(t.stderr())
            db.stop()
            got = []
            for _ in range(2):
                t0 = time.monotonic()
                got.append(outcome(t, "alice"))
                note(db, "down: %s after %.1f ms" % (
                    got[-1], (time.monotonic() - t0) * 1000))
            for ln in new_lines(t, since):
                note(db, "stderr: " + ln)
            T.expect(tuple(got), want["down"], "lookups while down")
            db.start()
            T.expect(t.alive(), want["back"], "same backend after the "
                     "database is back")
            if not t.alive():
                t.close()
                t = D.TableProc(db.backend, conf, env=db.env)
            T.expect(t.credentials("alice"), (1, "alice:" + h2),
                     "lookup once the database is back")
            T.expect(t.userinfo("alice"), (1, "2005:2006:/srv/alice"),
                     "userinfo once the database is back")

            # Down at the backend's start.
            db.stop()
            t0 = time.monotonic()
            try:
                D.TableProc(db.backend, conf, env=db.env).close()
                raise AssertionError("backend started with its database "
                                     "down")
            except D.BackendGone as e:
                last = e.stderr.strip().splitlines()[-1]
                note(db, "down at start: exit %s after %.1f ms: %s"
                     % (e.status, (time.monotonic() - t0) * 1000, last))
                T.expect(e.status, 1, "exit status")
                T.expect_true(last.endswith(FATAL_AT_START[db.backend]),
                              "fatal line", last)
            db.start()
            T.expect(t.credentials("alice"), (1, "alice:" + h2),
                     "lookup after the failed start")
            if db.backend != "sqlite":
                frozen(db, t, h2)
            if db.slow_ok:
                slow(db, t)
        finally:
            t.close()


def frozen(db, t, h):
    """A database that hangs: no answer; the answer comes, late and
    right, when it goes on."""
    db.freeze()
    try:
        t.sock.settimeout(1)
        try:
            r = t.credentials("alice")
            raise AssertionError("frozen database answered %r" % (r,))
        except socket.timeout:
            pass
    finally:
        db.thaw()
        t.sock.settimeout(t.timeout)
    data = t.reply("late answer")
    T.expect(data, b"\1\0\0\0alice:" + h.encode() + b"\0", "late answer")
    T.expect(t.credentials("alice"), (1, "alice:" + h),
             "lookup after the freeze")


def slow(db, t):
    """make_slow: found or not, a lookup takes SLOW seconds."""
    db.make_slow(SLOW)
    T.expect(t.update(), 1, "update")
    for user, r in (("alice", 1), ("carol", 0)):
        t0 = time.monotonic()
        T.expect(t.credentials(user)[0], r, "slow lookup of " + user)
        took = time.monotonic() - t0
        T.expect_true(SLOW <= took < SLOW + 2, "slow lookup time", took)
    db.make_slow(0)
    T.expect(t.update(), 1, "update")
    t0 = time.monotonic()
    t.credentials("alice")
    T.expect_true(time.monotonic() - t0 < SLOW, "fast again")


@T.test(start=False)
def sqlite(srv):
    exercise(srv, D.Sqlite)


@T.test(start=False)
def postgres(srv):
    exercise(srv, D.Postgres)


@T.test(start=False)
def mariadb(srv):
    exercise(srv, D.MariaDB)


@T.test(start=False)
def mariadb_socket_from_environment(srv):
    """table-mysql has no socket setting: without MYSQL_UNIX_PORT it
    tries Debian's default socket and exits."""
    with D.MariaDB(srv.tmpdir) as db:
        conf = db.table_config()
        with D.TableProc(db.backend, conf, env=db.env) as t:
            T.expect(t.credentials("alice"), (0, None), "with env")
        try:
            D.TableProc(db.backend, conf).close()
            raise AssertionError("table-mysql started without "
                                 "MYSQL_UNIX_PORT")
        except D.BackendGone as e:
            T.expect(e.status, 1, "exit status")
            T.expect_true("/run/mysqld/mysqld.sock" in e.stderr,
                          "names the default socket", e.stderr)


@T.test(start=False)
def ldap(srv):
    exercise(srv, D.Slapd)


@T.test(start=False)
def ldap_attribute_counts(srv):
    """table-ldap takes exactly 2 credentials and 3 userinfo attributes.
    Another count is not refused at start: the backend dies (SIGSEGV) at
    the first lookup that finds an entry.  An attribute the entry lacks
    makes the lookup -1."""
    with D.Slapd(srv.tmpdir) as db:
        db.add_user("alice", "$2b$04$x", 2001, 2002, "/home/alice")
        conf = db.table_config()
        good = open(conf).read()
        cred = "credentials_attributes uid,userPassword\n"
        info = "userinfo_attributes uidNumber,gidNumber,homeDirectory\n"
        cases = [
            (D.K_CREDENTIALS, cred, "credentials_attributes uid\n",
             "SIGSEGV"),
            (D.K_CREDENTIALS, cred,
             "credentials_attributes uid,userPassword,cn\n", "SIGSEGV"),
            (D.K_USERINFO, info,
             "userinfo_attributes uidNumber,gidNumber\n", "SIGSEGV"),
            (D.K_USERINFO, info,
             "userinfo_attributes uidNumber,gidNumber,homeDirectory,cn\n",
             "SIGSEGV"),
            (D.K_CREDENTIALS, cred,
             "credentials_attributes uid,description\n", -1),
        ]
        for service, old, new, want in cases:
            T.expect_true(old in good, "configuration has " + old)
            with open(conf, "w") as f:
                f.write(good.replace(old, new))
            with D.TableProc(db.backend, conf) as t:
                T.expect(outcome(t, "alice", service), want, new.strip())


if __name__ == "__main__":
    T.main()
