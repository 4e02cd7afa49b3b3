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

"""authpop's login cache (popd.conf(5) "login cache", authpop(8)), against
the real daemon: a returning client with the same password is let in
without the hash check, and nothing else is: a first login, a wrong
password for a cached user, a password changed in authtab (reload) or
in a database table (no reload), a user removed, an entry past its time
and one evicted by the bound all go through the full check.  What
the cache did is read from popctl show stats and the log, never from
a timer; the timing tests compare a wrong password for a cached user
with an unknown user and a wrong password of an uncached one."""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402
_ntests = len(T._tests)
import test_tables as TT  # noqa: E402
del T._tests[_ntests:]          # its helpers only, not its tests

AUTH = b"-ERR [AUTH] "
USERS = [("alice", "pw1"), ("bob", "pw2"), ("carol", "pw3")]


def login(srv, user, pw=None):
    """The PASS reply of one login, then QUIT."""
    with srv.raw() as r:
        r.line()
        r.cmd("USER " + user)
        p = r.cmd("PASS " + (pw if pw is not None else srv.password(user)))
        if p.startswith(b"+OK"):
            r.cmd("QUIT")
        return p


def cached_logins(srv):
    return srv.log().count("(login cache)")


@T.test(start=False, users=USERS)
def hit_and_miss(srv):
    """The first login is a miss and a full check; the next ones with the
    same password are hits; show stats and the metrics count them."""
    srv.start()
    T.expect(login(srv, "alice")[:3], b"+OK", "first login")
    s = srv.stats()
    T.expect(s["login_cache_misses"], 1, "the first login missed")
    T.expect(s["login_cache_hits"], 0, "no hit yet")
    for i in range(3):
        T.expect(login(srv, "alice")[:3], b"+OK", "login %d" % (i + 2))
    s = srv.stats()
    T.expect(s["login_cache_hits"], 3, "three hits")
    T.expect(s["login_cache_misses"], 1, "still one miss")
    T.expect(cached_logins(srv), 3, "three log lines say login cache")
    rc, out, _ = srv.popctl("show", "metrics")
    T.expect_true('popd_login_cache_total{result="hit"} 3' in out,
                  "the hits in the metrics", out)
    # Unknown users are neither hits nor misses: no entry to look at.
    T.expect(login(srv, "nosuchuser", "pw1")[:len(AUTH)], AUTH,
             "an unknown user")
    T.expect(srv.stats()["login_cache_misses"], 1, "unknown: not a miss")


@T.test(start=False, users=USERS)
def wrong_password_for_cached_user(srv):
    """A wrong password for a cached user is a miss, checked in full and
    refused; the cached password still hits afterwards."""
    srv.start()
    login(srv, "alice")
    T.expect(login(srv, "alice", "wrong")[:len(AUTH)], AUTH,
             "wrong password refused")
    s = srv.stats()
    T.expect(s["login_cache_misses"], 2, "the wrong password missed")
    T.expect(s["logins_failed_auth"], 1, "and failed as a wrong password")
    T.expect(login(srv, "alice")[:3], b"+OK", "the right one again")
    T.expect(srv.stats()["login_cache_hits"], 1, "and it hits")


@T.test(start=False, users=USERS, conf_extra="login cache 2s\n")
def entry_expires(srv):
    """login cache 2s: a login 2 seconds after the full check is a miss,
    checked in full; an entry is not made younger by its hits."""
    srv.start()
    t0 = time.monotonic()
    login(srv, "alice")
    T.expect(login(srv, "alice")[:3], b"+OK", "within the time")
    T.expect(srv.stats()["login_cache_hits"], 1, "a hit within 2s")
    time.sleep(max(0, 2.3 - (time.monotonic() - t0)))
    T.expect(login(srv, "alice")[:3], b"+OK", "after the time")
    s = srv.stats()
    T.expect(s["login_cache_hits"], 1, "no hit after 2s")
    T.expect(s["login_cache_misses"], 2, "a second miss")
    T.expect(login(srv, "alice")[:3], b"+OK", "again")
    T.expect(srv.stats()["login_cache_hits"], 2, "the new entry hits")


@T.test(start=False, users=USERS, conf_extra="limit login-cache 2\n")
def least_recently_used_go_first(srv):
    """limit login-cache 2: a third user's entry evicts the least
    recently used one, whose next login is a full check."""
    srv.start()
    login(srv, "alice")
    login(srv, "bob")
    login(srv, "alice")             # a hit: bob is now the oldest
    login(srv, "carol")             # evicts bob
    s = srv.stats()
    T.expect(s["login_cache_evictions"], 1, "one eviction")
    T.expect(s["login_cache_hits"], 1, "one hit so far")
    login(srv, "alice")
    T.expect(srv.stats()["login_cache_hits"], 2, "alice is still there")
    login(srv, "bob")
    s = srv.stats()
    T.expect(s["login_cache_hits"], 2, "bob was evicted: no hit")
    T.expect(s["login_cache_evictions"], 2, "bob's entry evicts another")


@T.test(start=False, users=USERS, conf_extra="login cache 0\n")
def off(srv):
    """login cache 0: every login is a full check; popd -n -v says so."""
    srv.start()
    for _ in range(3):
        T.expect(login(srv, "alice")[:3], b"+OK", "login")
    s = srv.stats()
    T.expect(s["login_cache_hits"] + s["login_cache_misses"], 0,
             "the cache is never looked at")
    T.expect(cached_logins(srv), 0, "no login from the cache")


@T.test(start=False, users=USERS)
def password_changed_and_reloaded(srv):
    """A password changed in authtab, then a reload: the old one is
    refused at once, the new one accepted (a full check, then hits)."""
    srv.start()
    login(srv, "alice")
    login(srv, "alice")
    T.expect(srv.stats()["login_cache_hits"], 1, "cached")
    lines = open(srv.authtab).read().splitlines()
    lines = ["alice\t" + T.make_hash("newpw") if ln.startswith("alice")
             else ln for ln in lines]
    srv.rewrite_authtab("\n".join(lines) + "\n")
    rc, out, err = srv.popctl("reload")
    T.expect(rc, 0, "reload: %s" % err)
    T.expect(login(srv, "alice")[:len(AUTH)], AUTH,
             "the old password after the reload")
    T.expect(login(srv, "alice", "newpw")[:3], b"+OK", "the new password")
    T.expect(login(srv, "alice", "newpw")[:3], b"+OK", "again")
    T.expect_true(srv.log().count("(login cache)") >= 2,
                  "the new password is cached in turn")


@T.test(start=False, users=USERS)
def user_removed(srv):
    """A cached user removed from authtab and usertab, then a reload: the
    next login is an unknown user's."""
    srv.start()
    login(srv, "alice")
    login(srv, "alice")
    srv.rewrite_authtab("".join(ln for ln in open(srv.authtab)
                                if not ln.startswith("alice")))
    srv.rewrite_usertab("".join(ln for ln in open(srv.usertab)
                                if not ln.startswith("alice")))
    rc, out, err = srv.popctl("reload")
    T.expect(rc, 0, "reload: %s" % err)
    T.expect(login(srv, "alice")[:len(AUTH)], AUTH, "removed user refused")


@T.test(start=False, users=USERS, timeout=180)
def database_password_changed(srv):
    """A user of a SQLite table, cached; its password changed in the
    database, no reload: the old password is refused at once (its MAC
    named the old stored hash), the new one accepted."""
    db = TT.sqlite_tables(srv, users=("alice", "bob"))
    srv.start()
    login(srv, "alice")
    login(srv, "alice")
    T.expect(srv.stats()["login_cache_hits"], 1, "cached from the database")
    db.set_password("alice", T.make_hash("newpw"))
    T.expect(login(srv, "alice")[:len(AUTH)], AUTH,
             "the old password, at once")
    T.expect(login(srv, "alice", "newpw")[:3], b"+OK", "the new one")
    db.remove_user("alice")
    T.expect(login(srv, "alice", "newpw")[:len(AUTH)], AUTH,
             "a user removed from the database")


@T.test(start=False, users=USERS, cost=10, timeout=300)
def no_new_oracle(srv):
    """With alice cached, a wrong password for her, a wrong password for
    bob (not cached) and an unknown user take about the same time: the
    cache answers sooner only for the right password."""
    srv.start()
    login(srv, "alice")
    login(srv, "alice")

    def timed(user, pw):
        out = []
        for _ in range(4):
            with srv.raw() as r:
                r.line()
                r.cmd("USER " + user)
                t0 = time.monotonic()
                p = r.cmd("PASS " + pw)
                out.append(time.monotonic() - t0)
                T.expect(p[:len(AUTH)], AUTH, "refused: %s" % user)
        return statistics.median(out)
    cached = timed("alice", "not-hers")
    uncached = timed("bob", "not-his")
    unknown = timed("nosuchuser", "pw1")
    for name, t in (("uncached", uncached), ("unknown", unknown)):
        T.expect_true(t > cached * 0.5 and t < cached * 2,
                      "a wrong password for a cached user takes about as "
                      "long as %s (%.1f ms vs %.1f ms)"
                      % (name, cached * 1000, t * 1000))


if __name__ == "__main__":
    T.main()
