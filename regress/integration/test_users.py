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

"""authtab and usertab as an admin of many users sees them: 100,000
users start, log in and reload in bounded time (the figures are
printed: start and reload times, the PSS of popd's process tree), a
reload revokes for sessions already open, and the table files' edge
cases (CRLF, comments, blank lines, no final newline, a path of
PATH_MAX - 1 bytes) behave as table(5) says."""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

NUSERS = 100000
PATH_MAX = 4096


def name_at(i):
    """The user on line i of the big tables: a permutation of 0..NUSERS-1,
    so the file is not in name order."""
    return "user%05d@example.org" % (i * 7919 % NUSERS)


def make_maildir(srv, name, nmsgs):
    """A maildir for name under srv.homes, owned by alice's uid (the mail
    users share it), with nmsgs messages in new/; returns its path."""
    u = srv.users["alice"]
    home = os.path.join(srv.homes, name)
    for d in ("", "tmp", "new", "cur"):
        os.makedirs(os.path.join(home, d), 0o700, exist_ok=True)
        os.chown(os.path.join(home, d), u["uid"], u["gid"])
    for k in range(nmsgs):
        path = os.path.join(home, "new", "%d.M%dP1.popdtest" % (k, k))
        with open(path, "wb") as f:
            f.write(b"Subject: %d of %s\r\n\r\nhello\r\n"
                    % (k, name.encode()))
        os.chown(path, u["uid"], u["gid"])
    return home


def usertab_line(srv, name, home=None):
    u = srv.users["alice"]
    return "%s\t%d:%d:%s\n" % (name, u["uid"], u["gid"],
                               home or os.path.join(srv.homes, name))


def pass_reply(srv, user, pw):
    """The answer to PASS over TLS; on +OK, STAT's answer is checked and
    the session ends with QUIT.  Returns (PASS answer, STAT count)."""
    with srv.raw() as r:
        T.expect(r.line()[:3], b"+OK", "greeting")
        T.expect(r.cmd("USER " + user)[:3], b"+OK", "USER " + user)
        resp = r.cmd("PASS " + pw)
        count = None
        if resp.startswith(b"+OK"):
            count = int(r.ok("STAT").split()[1])
            r.ok("QUIT")
        return resp, count


def logs_in(srv, user, pw, nmsgs):
    """user logs in with pw and STAT shows the nmsgs messages of its own
    maildir; [IN-USE] (its previous session's worker still leaving) is
    waited out, for 10 s at most."""
    def once():
        resp, count = pass_reply(srv, user, pw)
        if b"[IN-USE]" in resp:
            return None
        return resp, count
    resp, count = T.wait_for(once, 10, "%s's maildrop lock" % user)
    T.expect(resp[:3], b"+OK", "PASS of " + user)
    T.expect(count, nmsgs, "STAT count of " + user)


def refused(srv, user, pw, what):
    resp, _ = pass_reply(srv, user, pw)
    T.expect(resp[:11], b"-ERR [AUTH]", what)


def tree_pss_kb(srv):
    """Pss of popd's parent and every descendant, in kB, and how many
    processes that is (from /proc/PID/smaps_rollup)."""
    total = n = 0
    for pid in [srv.proc.pid] + T.descendants(srv.proc.pid):
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for ln in f:
                    if ln.startswith("Pss:"):
                        total += int(ln.split()[1])
                        n += 1
                        break
        except OSError:
            pass                # gone meanwhile, or a zombie
    return total, n


def before_pass(srv, user):
    """A TLS session in AUTHORIZATION that has sent USER user."""
    r = srv.raw()
    T.expect(r.line()[:3], b"+OK", "greeting")
    T.expect(r.cmd("USER " + user)[:3], b"+OK", "USER " + user)
    return r


@T.test(start=False, timeout=90)
def hundred_thousand_users(srv):
    t_begin = time.monotonic()
    pw, newpw = "shared-pw", "changed-pw"
    hash_ = T.make_hash(pw, 4)
    names = [name_at(i) for i in range(NUSERS)]
    first, middle, last = names[0], names[NUSERS // 2], names[-1]
    added = "newcomer@example.org"
    mail = {first: 1, middle: 2, last: 3, added: 4}
    for name, n in mail.items():
        make_maildir(srv, name, n)
    auth = ["%s %s\n" % (n, hash_) for n in names]
    utab = [usertab_line(srv, n) for n in names]
    srv.rewrite_authtab("".join(auth))
    srv.rewrite_usertab("".join(utab))
    t0 = time.monotonic()
    srv.start(timeout=30)
    start_s = time.monotonic() - t0

    for name in (first, middle, last):
        logs_in(srv, name, pw, mail[name])
    refused(srv, last, "not-" + pw, "a wrong password for " + last)
    refused(srv, "nobody@example.org", pw, "an unknown user")
    pss1, np1 = tree_pss_kb(srv)

    # Two sessions opened before the reload, USER sent, PASS not yet.
    old_removed = before_pass(srv, middle)
    old_changed = before_pass(srv, last)
    # middle is removed, last gets a new password, added arrives.
    auth = [ln for ln in auth if not ln.startswith(middle + " ")]
    auth[-1] = "%s %s\n" % (last, T.make_hash(newpw, 4))
    auth.append("%s %s\n" % (added, hash_))
    utab = [ln for ln in utab if not ln.startswith(middle + "\t")]
    utab.append(usertab_line(srv, added))
    srv.rewrite_authtab("".join(auth))
    srv.rewrite_usertab("".join(utab))
    t0 = time.monotonic()
    srv.reload()
    srv.wait_log("reloaded", timeout=30)
    reload_s = time.monotonic() - t0
    refused(srv, middle, pw, "the removed user, next attempt")
    first_after_s = time.monotonic() - t0
    refused(srv, last, pw, "the changed user's old password")
    logs_in(srv, last, newpw, mail[last])
    logs_in(srv, added, pw, mail[added])
    logs_in(srv, first, pw, mail[first])
    # The sessions opened before the reload: revoked for them too.
    T.expect(old_removed.cmd("PASS " + pw)[:11], b"-ERR [AUTH]",
             "the removed user in a session opened before the reload")
    T.expect(old_changed.cmd("PASS " + pw)[:11], b"-ERR [AUTH]",
             "the old password in a session opened before the reload")
    for r in (old_removed, old_changed):
        r.close()
    # Once the old authpop and listener have drained (not a check).
    n0 = 1 + len(T.descendants(srv.proc.pid))
    try:
        T.wait_for(lambda: 1 + len(T.descendants(srv.proc.pid)) <= np1,
                   10, "the old processes to leave")
    except AssertionError:
        pass
    pss2, np2 = tree_pss_kb(srv)
    total_s = time.monotonic() - t_begin

    print("#  %d users: start %.2f s; reload %.2f s to \"reloaded\", "
          "%.2f s to the first answer" % (NUSERS, start_s, reload_s,
                                          first_after_s))
    print("#  PSS of popd's tree: %.1f MB in %d processes after the "
          "first logins, %.1f MB in %d after the reload (%d right "
          "after it)" % (pss1 / 1024, np1, pss2 / 1024, np2, n0))
    print("#  whole test %.1f s" % total_s)
    T.expect_true(start_s < 30, "start under 30 s", start_s)
    T.expect_true(first_after_s < 30, "reload under 30 s", first_after_s)
    T.expect_true(total_s < 60, "the whole test under 60 s", total_s)


@T.test(start=False, timeout=120)
def logins_go_on_during_reloads(srv):
    """While the parent has 100,000 users checked again (by authchecks
    it reads from its event loop: it runs one thread throughout) and the
    new authpop loads them, a user keeps logging in: every login is
    answered +OK (or [IN-USE] while its last session's worker leaves),
    by the old tables or the new.  A second SIGHUP that
    comes during a reload makes another one after it: the tables of the
    second one are in force at the end."""
    import threading
    pw = "shared-pw"
    hash_ = T.make_hash(pw, 4)
    names = [name_at(i) for i in range(NUSERS)]
    first, one, two = names[0], "one@example.org", "two@example.org"
    for name in (first, one, two):
        make_maildir(srv, name, 1)
    auth = ["%s %s\n" % (n, hash_) for n in names]
    utab = [usertab_line(srv, n) for n in names]
    srv.rewrite_authtab("".join(auth))
    srv.rewrite_usertab("".join(utab))
    srv.start(timeout=30)
    logs_in(srv, first, pw, 1)

    answers, stop, threads = [], threading.Event(), set()
    tasks = "/proc/%d/task" % srv.proc.pid

    def busy():
        while not stop.is_set() and len(answers) < 2000:
            threads.add(len(os.listdir(tasks)))
            try:
                answers.append(pass_reply(srv, first, pw)[0])
            except (OSError, EOFError) as e:
                answers.append(repr(e).encode())
            threads.add(len(os.listdir(tasks)))
    t = threading.Thread(target=busy, daemon=True)
    t.start()
    try:
        for extra in ([one], [one, two]):
            srv.rewrite_authtab("".join(auth) + "".join(
                "%s %s\n" % (n, hash_) for n in extra))
            srv.rewrite_usertab("".join(utab) + "".join(
                usertab_line(srv, n) for n in extra))
            srv.reload()
            time.sleep(0.05)
        T.wait_for(lambda: pass_reply(srv, two, pw)[0].startswith(b"+OK"),
                   30, "the second reload's user")
        logs_in(srv, one, pw, 1)
        time.sleep(0.5)
    finally:
        stop.set()
        t.join(30)
    # [IN-USE]: the previous session's worker still leaving, as always.
    bad = [a for a in answers
           if not a.startswith(b"+OK") and b"[IN-USE]" not in a]
    print("#  %d logins during two reloads, %d not +OK" % (len(answers),
                                                         len(bad)))
    T.expect_true(len(answers) > 0, "logins during the reloads", answers)
    T.expect(bad, [], "answers other than +OK during the reloads")
    T.expect(sorted(threads), [1], "the parent's threads during the reloads")


@T.test(start=False, timeout=120)
def stopped_authcheck_holds_up_the_reload_alone(srv):
    """A reload's authcheck stopped (SIGSTOP) while it checks 100,000
    users holds up that reload and nothing else: logins go on with the
    old tables, in the parent's one event loop.  Killed, it said no
    "=ok": its table is not loaded, the reload is refused, the old
    tables serve on, and the next reload takes."""
    pw = "shared-pw"
    hash_ = T.make_hash(pw, 4)
    names = [name_at(i) for i in range(NUSERS)]
    first, new = names[0], "new@example.org"
    for name in (first, new):
        make_maildir(srv, name, 1)
    auth = "".join("%s %s\n" % (n, hash_) for n in names)
    utab = "".join(usertab_line(srv, n) for n in names)
    srv.rewrite_authtab(auth)
    srv.rewrite_usertab(utab)
    srv.start(timeout=30)
    logs_in(srv, first, pw, 1)

    def authchecks():
        out = []
        for pid in T.descendants(srv.proc.pid):
            try:
                with open("/proc/%d/comm" % pid) as f:
                    if f.read().strip() == "authcheck":
                        out.append(pid)
            except OSError:
                pass
        return out
    srv.rewrite_authtab(auth + "%s %s\n" % (new, hash_))
    srv.rewrite_usertab(utab + usertab_line(srv, new))
    stopped = []
    for attempt in range(5):
        done = srv.log().count("reloaded")
        srv.reload()
        deadline = time.monotonic() + 10
        while not stopped and time.monotonic() < deadline and \
                srv.log().count("reloaded") == done:
            for pid in authchecks():
                try:
                    os.kill(pid, signal.SIGSTOP)
                    stopped.append(pid)
                except ProcessLookupError:
                    pass
        if stopped:
            break
        T.wait_for(lambda: srv.log().count("reloaded") > done, 30,
                   "a reload that no authcheck was caught in")
        # Caught none: back to the old tables, and again.
        srv.rewrite_authtab(auth)
        srv.rewrite_usertab(utab)
        srv.reload()
        T.wait_for(lambda: srv.log().count("reloaded") > done + 1, 30,
                   "the old tables again")
        srv.rewrite_authtab(auth + "%s %s\n" % (new, hash_))
        srv.rewrite_usertab(utab + usertab_line(srv, new))
    T.expect_true(len(stopped) > 0, "an authcheck caught in 5 reloads")
    print("#  authcheck %s stopped on attempt %d" % (stopped, attempt + 1))
    before = srv.log().count("reloaded")
    t0 = time.monotonic()
    for _ in range(3):
        logs_in(srv, first, pw, 1)
    print("#  3 logins while it is stopped: %.2f s" %
          (time.monotonic() - t0))
    T.expect(srv.log().count("reloaded"), before, "no reload meanwhile")
    refused(srv, new, pw, "the stopped reload's user")
    for pid in stopped:
        os.kill(pid, signal.SIGKILL)
    srv.wait_log("keeping the old tables", timeout=30)
    T.expect(srv.log().count("reloaded"), before, "the reload refused")
    logs_in(srv, first, pw, 1)
    refused(srv, new, pw, "the refused reload's user")
    srv.reload()
    T.wait_for(lambda: srv.log().count("reloaded") > before, 30,
               "the next reload")
    logs_in(srv, new, pw, 1)


def authpops(srv):
    return set(T.authpops(srv))


@T.test(start=False, timeout=120)
def successor_serves_once_ready(srv):
    """After a reload the new authpop takes over only once it has loaded
    authtab.  Stopped before it is ready (SIGSTOP), it gets no session:
    logins go on with the old authpop, with the passwords it has, and
    "reloaded" is not logged; 5 s after the new one started (popd.c
    RELOAD_AUTHWAIT) the old one has the reload's password change, so
    that a stuck reload keeps no revoked password working; killed before
    it is ready, it leaves the old one serving, and the parent says so."""
    pw, newpw = "shared-pw", "changed-pw"
    hash_ = T.make_hash(pw, 4)
    names = [name_at(i) for i in range(NUSERS)]
    first = names[0]
    make_maildir(srv, first, 1)
    auth = ["%s %s\n" % (n, hash_) for n in names]
    srv.rewrite_authtab("".join(auth))
    srv.rewrite_usertab("".join(usertab_line(srv, n) for n in names))
    srv.start(timeout=30)
    logs_in(srv, first, pw, 1)
    old = authpops(srv)
    T.expect(len(old), 1, "authpops before the reload")

    # Catch the new authpop while it loads 100,000 users (a few tries:
    # it may be ready before it is seen).
    caught = None
    for attempt in range(5):
        auth[0] = "%s %s\n" % (first, T.make_hash(newpw if attempt % 2 == 0
                                                  else pw, 4))
        want = newpw if attempt % 2 == 0 else pw
        srv.rewrite_authtab("".join(auth))
        nlog = srv.log().count("reloaded")
        srv.reload()
        deadline = time.monotonic() + 10
        while caught is None and time.monotonic() < deadline:
            new = authpops(srv) - old
            if new:
                caught = new.pop()
                os.kill(caught, signal.SIGSTOP)
        if caught is not None and srv.log().count("reloaded") == nlog:
            break
        # Too late: it was ready already.  Let it finish and try again.
        if caught is not None:
            os.kill(caught, signal.SIGCONT)
        T.wait_for(lambda: srv.log().count("reloaded") > nlog, 30,
                   "the reload")
        T.wait_for(lambda: len(authpops(srv)) == 1, 30,
                   "the old authpop to leave")
        old, caught = authpops(srv), None
    T.expect_true(caught is not None, "a new authpop caught before it "
                  "was ready", caught)
    other = pw if want == newpw else newpw
    time.sleep(1)
    T.expect(srv.log().count("reloaded"), nlog,
             "\"reloaded\" while the new authpop is not ready")
    srv.wait_log("does not serve after 5 s: the current one reads the "
                 "new tables meanwhile")
    logs_in(srv, first, want, 1)
    refused(srv, first, other, "the password the reload replaced")
    os.kill(caught, signal.SIGKILL)
    srv.wait_log("exited before it was ready: the previous one serves on")
    logs_in(srv, first, want, 1)
    T.expect(authpops(srv), old, "the authpop that serves on")


@T.test(start=False, users=[("alice", "pw1"), ("bob", "pw2"),
                            ("carol", "pw3")])
def table_file_edge_cases(srv):
    """CRLF line ends, comments (one of them a user's line commented
    out), blank and blank-looking lines, runs of blanks between key and
    value, and a last line without a newline: every user logs in and
    the commented-out one does not."""
    h = {n: T.make_hash(srv.password(n)) for n in srv.users}
    u = {n: "%d:%d:%s" % (srv.uid(n), srv.gid(n), srv.users[n]["home"])
         for n in srv.users}
    srv.rewrite_authtab(
        "# popd authtab\r\n"
        "\r\n"
        "alice\t%s\r\n"
        "   # an indented comment\r\n"
        "#dave %s\r\n"
        " \t \r\n"
        "bob   \t %s  \r\n"
        "\n"
        "carol %s" % (h["alice"], T.make_hash("pw4"), h["bob"], h["carol"]))
    srv.rewrite_usertab(
        "\r\n"
        "carol\t%s\r\n"
        "# dave 1000:1000:/tmp\r\n"
        "bob  %s\r\n"
        "\t\r\n"
        "alice\t\t%s" % (u["carol"], u["bob"], u["alice"]))
    srv.start()
    for name in srv.users:
        logs_in(srv, name, srv.password(name), 0)
    refused(srv, "dave", "pw4", "a user commented out")


def popd_n(conf):
    r = subprocess.run([T.POPD, "-n", "-f", conf], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=20)
    return r.returncode, r.stdout.decode(errors="replace")


@T.test(start=False)
def usertab_path_max(srv):
    """A usertab path of PATH_MAX - 1 bytes loads (popd's -n); one of
    PATH_MAX bytes refuses that user alone, the message naming
    usertab:line, and the file still loads."""
    srv.port = T.free_port()
    text, _ = srv.config()
    conf = os.path.join(srv.tmpdir, "long.conf")
    with open(conf, "w") as f:
        f.write(text)
    with open(srv.usertab) as f:
        good = f.read()
    lineno = len(good.splitlines()) + 2
    u = srv.users["alice"]
    for length, ok in ((PATH_MAX - 1, True), (PATH_MAX, False)):
        path = ("/" + "d" * 254) * (length // 255) + "/"
        path += "f" * (length - len(path))
        T.expect(len(path), length, "path length")
        srv.rewrite_usertab(good + "# long\nlong %d:%d:%s\n"
                            % (u["uid"], u["gid"], path))
        rc, out = popd_n(conf)
        T.expect(rc, 0, "popd -n exit status with a %d-byte path" % length)
        if ok:
            T.expect(out.strip(), "configuration OK",
                     "popd -n with a %d-byte path" % length)
        else:
            T.expect_true("%s:%d: " % (srv.usertab, lineno) in out,
                          "names usertab:%d" % lineno, out)
            T.expect_true("long" in out, "names the user", out)


if __name__ == "__main__":
    T.main()
