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


"""The undelete window (popd.conf "deleted keep", popctl undelete,
popcache.5 KEPT MESSAGES): UPDATE moves what DELE and EXPIRE remove into
the maildir's popd.deleted by one rename; popctl undelete puts it back
as new mail with its UIDL, so that a client that leaves mail on the
server (fetchmail with its UIDL file) does not fetch it again; a sweep
at each UPDATE removes what is past its time, while sessions and LMTP
deliveries go on; kill -9 of wrkrpop in the middle of UPDATE leaves
every message in exactly one place; Dovecot's IMAP does not list
popd.deleted as a folder; show quota counts what is kept.

In detail, it keeps what sessions remove (deleted keep): DELE and QUIT
into popd.deleted, popctl undelete by Message-ID, UIDL, since and all
with the UIDLs and sizes of before (Dovecot's, taken over, too, also
after the popcache is lost); fetchmail with its UIDL file not fetching
an undeleted message again; "in use" while a session holds the maildrop;
a show user whose wrkrpop is stopped, killed in time and reaped; show
quota and a recalculation leaving kept messages out; the sweep while
LMTP deliveries and sessions run; wrkrpop stopped then killed half way
through UPDATE's 20,000 moves, each message in exactly one place;
Dovecot's IMAP LIST without popd.deleted."""

import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))
import popdtest as T  # noqa: E402
import test_clients as C  # noqa: E402  (its helpers; its tests are its own)
import test_lmtp as L  # noqa: E402

KEEP = "deleted keep 7d\n"
KEPT = "popd.deleted"
NAME = re.compile(r"^(\d+)(?:\+[^.]+)?\.([^.]+)\.(.+)$")


def msg(i):
    return (b"From: a@example.org\r\nMessage-ID: <u%d@example.org>\r\n"
            b"Subject: %d\r\n\r\nbody %d\r\n" % (i, i, i))


def uidls(srv, user="alice"):
    """{UIDL: size} of user's maildrop, over POP3."""
    p = srv.pop(user)
    try:
        sizes = {n: s for n, s in (ln.split() for ln in p.list()[1])}
        return {u.decode(): int(sizes[n]) for n, u in
                (ln.split() for ln in p.uidl()[1])}
    finally:
        p.quit()


def kept(srv, user="alice"):
    d = os.path.join(srv.maildir(user), KEPT)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def dele(srv, nums, user="alice"):
    with srv.raw() as r:
        r.line()
        r.login(user, srv.password(user))
        for n in nums:
            r.ok("DELE %d" % n)
        r.ok("QUIT")
    srv.wait_log("session end: user %s" % user)


@T.test(conf_extra=KEEP)
def dele_kept_then_undeleted(srv):
    """DELE and QUIT move the messages into popd.deleted under names that
    say when and which UIDL; popctl undelete by Message-ID, then all,
    puts them back into new/ with the UIDLs and sizes they had."""
    for i in range(3):
        srv.deliver("alice", msg(i), name="%d.M%dP1.undel" % (1700000000 +
                                                              i, i))
    before = uidls(srv)
    t0 = int(time.time())
    dele(srv, [1, 3])
    names = kept(srv)
    T.expect(len(names), 2, "two kept: %r" % names)
    for n in names:
        m = NAME.match(n)
        T.expect_true(m and t0 <= int(m.group(1)) <= time.time() and
                      m.group(2) == "-", "a kept name: <time>.-.<unique>",
                      n)
    T.expect(sorted(NAME.match(n).group(3) for n in names),
             ["1700000000.M0P1.undel", "1700000002.M2P1.undel"],
             "their unique names")
    T.expect(sorted(uidls(srv)), ["1700000001.M1P1.undel"], "one left")
    rc, out, err = srv.popctl("show", "quota", "alice")
    T.expect((rc, out.splitlines()[-1]), (0, "kept 2 messages, %d bytes "
             "(deleted keep; not counted)" % (len(msg(0)) + len(msg(2)))),
             "show quota: " + out + err)
    # show user says what is kept, and how to get one back.
    rc, out, err = srv.popctl("show", "user", "alice")
    T.expect((rc, out.splitlines()[-1]), (0, "kept for popctl undelete: 2 "
             "messages, %d bytes" % (len(msg(0)) + len(msg(2)))),
             "show user: " + out + err)
    rc, out, err = srv.popctl("show", "user", "alice", "<u2@example.org>")
    T.expect((rc, out.splitlines()[-1]), (0, 'kept: "popctl undelete alice '
             '<u2@example.org>" puts it back'), "show user: " + out + err)
    # One by Message-ID, the other with all.
    rc, out, err = srv.popctl("undelete", "alice", "<u2@example.org>")
    T.expect(rc, 0, "undelete by Message-ID: " + out + err)
    T.expect_true(re.search(r"^restored 1700000002\.M2P1\.undel "
                            r"<u2@example\.org> \(\d+ octets\), removed "
                            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", out, re.M),
                  "its line", out)
    T.expect(out.splitlines()[-1], "1 message restored", "its count")
    rc, out, err = srv.popctl("undelete", "alice", "all")
    T.expect((rc, out.splitlines()[-1]), (0, "1 message restored"),
             "undelete all: " + out + err)
    T.expect(uidls(srv), before, "every UIDL and size as before")
    T.expect(kept(srv), [], "nothing kept")
    T.expect(sorted(T.files(srv.maildir("alice"), "new")),
             ["1700000000.M0P1.undel", "1700000001.M1P1.undel",
              "1700000002.M2P1.undel"], "back as new mail")
    # Errors: nothing kept, no match, unknown user, a bad time.
    rc, out, err = srv.popctl("undelete", "alice")
    T.expect((rc, err.strip()), (1, "popctl: no message is kept for "
                                 "alice"), "nothing kept: " + out)
    dele(srv, [1])
    rc, out, err = srv.popctl("undelete", "alice", "<nothing@x>")
    T.expect((rc, err.strip()), (1, "popctl: none of the 1 kept messages "
                                 "is <nothing@x>"), "no match: " + out)
    rc, out, err = srv.popctl("undelete", "alice", "since", "2099-01-01")
    T.expect_true(rc == 1 and "none of the 1 kept messages was removed "
                  "since 2099-01-01T00:00:00Z" in err, "since: none",
                  out + err)
    rc, out, err = srv.popctl("undelete", "nobody-here")
    T.expect((rc, err.strip()), (1, "popctl: no such user"), "unknown user")
    rc, out, err = srv.popctl("undelete", "alice", "since", "yesterday")
    T.expect_true(rc == 1 and "since \"yesterday\": a time ago" in err,
                  "a bad TIME", out + err)
    rc, out, err = srv.popctl("undelete", "alice", "since", "1h")
    T.expect((rc, out.splitlines()[-1]), (0, "1 message restored"),
             "since 1h: " + out + err)
    T.expect(uidls(srv), before, "every UIDL again")


def listed(srv, user="alice"):
    """[(UIDL, LIST size, RETR bytes)] of user's maildrop, over POP3."""
    with srv.raw() as r:
        r.line()
        r.login(user, srv.password(user))
        r.ok("LIST")
        sizes = [int(ln.split()[1]) for ln in r.multiline()]
        r.ok("UIDL")
        ids = [ln.split()[1].decode() for ln in r.multiline()]
        out = []
        for i, u in enumerate(ids):
            r.ok("RETR %d" % (i + 1))
            out.append((u, sizes[i], b"".join(ln + b"\r\n" for ln in
                                               r.multiline())))
        r.ok("QUIT")
    srv.wait_log("session end: user %s" % user)
    return out


@T.test(conf_extra=KEEP + "junk Junk merge tag\n")
def junk_removal_back_into_folder(srv):
    """Issue 70: with junk ... merge, a message DELE'd from the merged
    folder is kept in the maildir's popd.deleted under a name that says
    the folder, and undelete puts it back into .Junk/new, not INBOX
    (where IMAP would show spam): served again after INBOX's, tagged,
    with the UIDL, LIST size and RETR bytes it had.  A kept name from
    before (no folder) still goes back into INBOX."""
    srv.deliver("alice", msg(0), name="1700000000.M0P1.inbox")
    junk = srv.folder("alice", ".Junk")
    name = "1700000001.M1P1.junk"
    with open(os.path.join(junk, "new", name), "wb") as f:
        f.write(msg(1))
    os.chown(os.path.join(junk, "new", name), srv.uid("alice"),
             srv.gid("alice"))
    before = listed(srv)
    T.expect([u for u, _, _ in before], ["1700000000.M0P1.inbox", name],
             "INBOX's then Junk's")
    T.expect_true(before[1][2].startswith(b"X-Spam-Flag: YES\r\n") and
                  before[1][1] == len(before[1][2]),
                  "Junk's tagged, its size exact", before[1])
    dele(srv, [2])
    T.expect([NAME.match(n).group(3) for n in kept(srv)], [name],
             "the Junk message kept in the maildir's popd.deleted")
    T.expect_true(re.match(r"^\d+\+Junk\.-\.%s$" % re.escape(name),
                           kept(srv)[0]),
                  "its kept name says the folder", kept(srv))
    T.expect(os.listdir(os.path.join(junk, "new")) +
             os.listdir(os.path.join(junk, "cur")), [], "gone from .Junk")
    rc, out, err = srv.popctl("undelete", "alice", "all")
    T.expect((rc, out.splitlines()[-1]), (0, "1 message restored"),
             "undelete: " + out + err)
    T.expect_true(re.search(r"^restored %s <u1@example\.org> \(\d+ "
                            r"octets\) into Junk, removed " %
                            re.escape(name), out, re.M),
                  "its line names the folder", out)
    T.expect(os.listdir(os.path.join(junk, "new")), [name],
             "back in .Junk/new")
    T.expect([f for f in T.message_files(srv.maildir("alice"))
              if name in f], [], "not in INBOX")
    T.expect(listed(srv), before,
             "the same UIDLs, LIST sizes and RETR bytes as before")
    # A name kept before the folder was recorded: back into INBOX.
    os.rename(os.path.join(junk, "cur", name + ":2,S"),
              os.path.join(srv.maildir("alice"), KEPT, "1700000100.-." +
                           name))
    rc, out, err = srv.popctl("undelete", "alice", "all")
    T.expect((rc, out.splitlines()[-1]), (0, "1 message restored"),
             "undelete of an old name: " + out + err)
    T.expect(T.files(srv.maildir("alice"), "new"), [name],
             "an old name: into INBOX")


@T.test(conf_extra=KEEP + "expire 0\n")
def expire_kept_too(srv):
    """A message EXPIRE removes at UPDATE is kept as one DELE removes,
    and comes back the same way."""
    srv.deliver("alice", msg(1))
    before = uidls(srv)
    with srv.raw() as r:
        r.line()
        r.login("alice", srv.password("alice"))
        r.ok("RETR 1")
        r.multiline()
        r.ok("QUIT")
    dele(srv, [])
    T.expect(len(kept(srv)), 1, "expired, kept")
    T.expect_true(re.search(r"message expire: user alice uidl %s "
                            % re.escape(list(before)[0]), srv.log()),
                  "its record says expire", srv.log_tail())
    rc, out, err = srv.popctl("undelete", "alice")
    T.expect((rc, out.splitlines()[-1]), (0, "1 message restored"),
             "undelete: " + out + err)
    T.expect(uidls(srv), before, "back with its UIDL")


@T.test(conf_extra=KEEP)
def undelete_waits_for_the_session(srv):
    """While a session holds the maildrop, undelete says so and does
    nothing; a session cannot log in while an undelete holds it (it is
    the same lock)."""
    srv.deliver("alice", msg(1))
    dele(srv, [1])
    with srv.raw() as r:
        r.line()
        r.login("alice", srv.password("alice"))
        rc, out, err = srv.popctl("undelete", "alice", "all")
        T.expect((rc, err.strip()), (1, "popctl: the maildrop of alice is "
                                     "in use by a session: try again when "
                                     "it ends"), "in use: " + out)
        T.expect(len(kept(srv)), 1, "still kept")
        r.ok("QUIT")
    rc, out, err = srv.popctl("undelete", "alice", "all")
    T.expect((rc, out.splitlines()[-1]), (0, "1 message restored"),
             "after the session: " + out + err)
    rc, out, err = srv.popctl("undelete", "alice", uid=1000)
    T.expect_true(rc == 1 and "permission denied" in err,
                  "root only", out + err)



@T.test(conf_extra=KEEP, timeout=300)
def stopped_reader_is_killed_in_time(srv):
    """Issue 53: the control process relays the text of show user's
    wrkrpop, the parent bounds its time.  A wrkrpop that stops (caught
    with SIGSTOP as it starts; tried again if it finished first) is
    killed after 10 s and reaped; popctl says why, the control process
    goes on, and show user answers again."""
    srv.deliver("alice", msg(1))
    dele(srv, [1])
    ctl = srv.pids()["control"]
    argv = [T.POPCTL, "-s", srv.ctlsock, "show", "user", "alice"]
    kids = "/proc/%d/task/%d/children" % (srv.proc.pid, srv.proc.pid)
    for attempt in range(20):
        before = set(srv.pids()["wrkrpop"])
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        caught = False
        while p.poll() is None and not caught:
            # The parent's children, read fast: one file, no /proc walk.
            try:
                with open(kids) as f:
                    new = [int(w) for w in f.read().split()
                           if int(w) not in before]
            except OSError:
                new = []
            for w in new:
                try:
                    with open("/proc/%d/comm" % w) as f:
                        if f.read().strip() != "wrkrpop":
                            continue    # not exec'd yet: look again
                    os.kill(w, signal.SIGSTOP)
                    caught = True
                except (OSError, ProcessLookupError):
                    pass
        t0 = time.monotonic()
        out, err = p.communicate(timeout=60)
        if p.returncode == 0:
            continue                    # it finished before the stop
        T.expect((p.returncode, err.decode().strip()), (1, "popctl: the "
                 "maildir's reader did not finish in time"), "stopped: " +
                 out.decode())
        T.expect_true(time.monotonic() - t0 < 15, "within its 10 s",
                      time.monotonic() - t0)
        break
    else:
        T.expect_true(False, "a wrkrpop caught stopped in 20 tries")
    T.wait_for(lambda: T.zombies(srv.proc.pid) == [], 10, "it is reaped")
    T.expect(srv.pids()["control"], ctl, "the same control process")
    rc, out, err = srv.popctl("show", "user", "alice")
    T.expect((rc, out.splitlines()[:1]), (0, ["user alice"]),
             "show user again: " + out + err)


@T.test(conf_extra=KEEP + "quota 1M\n")
def quota_leaves_kept_messages_out(srv):
    """A kept message is out of the quota (maildirsize's line for the
    removal, as without deleted keep; a recalculation does not count
    popd.deleted, which is no Maildir++ folder); undelete counts it
    again."""
    for i in range(3):
        srv.deliver("alice", msg(i))
    size = len(msg(0))

    def used():
        rc, out, err = srv.popctl("show", "quota", "alice")
        T.expect(rc, 0, "show quota: " + out + err)
        return [ln for ln in out.splitlines()
                if ln.startswith(("used ", "kept "))]
    T.expect(used(), ["used %d bytes, 3 messages" % (3 * size),
                      "kept 0 messages, 0 bytes (deleted keep; not "
                      "counted)"], "before")
    dele(srv, [2])
    want = ["used %d bytes, 2 messages" % (2 * size),
            "kept 1 messages, %d bytes (deleted keep; not counted)" % size]
    T.expect(used(), want, "a DELE kept")
    os.unlink(os.path.join(srv.maildir("alice"), "maildirsize"))
    T.expect(used(), want, "recalculated: popd.deleted is not counted")
    rc, out, err = srv.popctl("undelete", "alice")
    T.expect(rc, 0, "undelete: " + out + err)
    T.expect(used(), ["used %d bytes, 3 messages" % (3 * size),
                      "kept 0 messages, 0 bytes (deleted keep; not "
                      "counted)"], "undeleted: counted again")


@T.test(conf_extra=KEEP)
def migrated_uidl_comes_back(srv):
    """Messages whose UIDLs popd took over from Dovecot (popd.migrated,
    one of them a UIDL with '/', '.' and '%' that Dovecot saved) are
    kept under names that spell those UIDLs, and come back with them,
    also once the popcache is gone and the maildir is read again."""
    md = srv.maildir("alice")
    names = ["1600000000.M%dP1.dove" % i for i in range(3)]
    for i, n in enumerate(names):
        srv.deliver("alice", msg(i), name=n + ":2,S", subdir="cur")
    with open(os.path.join(md, "dovecot-uidlist"), "w") as f:
        f.write("3 V1600000000 N4 Gabc\n1 :%s\n2 Pa/b.c%%d :%s\n3 :%s\n"
                % tuple(names))
    before = uidls(srv)
    T.expect(sorted(before), ["000000015f5e1000", "000000035f5e1000",
                              "a/b.c%d"], "Dovecot's UIDLs")
    dele(srv, [1, 2])
    T.expect([NAME.match(n).group(2, 3) for n in kept(srv)],
             [("000000015f5e1000", names[0]), ("a%2Fb%2Ec%25d", names[1])],
             "their UIDLs in the names")
    rc, out, err = srv.popctl("undelete", "alice", "000000015f5e1000")
    T.expect(rc, 0, "undelete by UIDL: " + out + err)
    rc, out, err = srv.popctl("undelete", "alice", "a/b.c%d")
    T.expect(rc, 0, "undelete by UIDL: " + out + err)
    T.expect(uidls(srv), before, "the same UIDLs")
    os.unlink(os.path.join(md, "popcache"))
    T.expect(uidls(srv), before, "the same UIDLs from the maildir alone")


# --- a client that leaves mail on the server ---------------------------------

def fetchmail(srv):
    """test_clients.py's fetchmail in keep mode, its UIDL file kept from
    run to run: the messages it fetched this run."""
    return C.fetchmail(srv, keep=True)[0]


@T.test(conf_extra=KEEP, timeout=240)
def leave_on_server_client_does_not_fetch_again(srv):
    """fetchmail keeps mail on the server and remembers UIDLs; another
    device deletes one, the admin undeletes it: fetchmail's next run
    fetches nothing (the UIDL is the one it knows), and a message that
    is really new is fetched."""
    for i in range(3):
        srv.deliver("alice", msg(i))
    T.expect(len(fetchmail(srv)), 3, "the first run fetches all")
    dele(srv, [2])
    rc, out, err = srv.popctl("undelete", "alice", "all")
    T.expect(rc, 0, "undelete: " + out + err)
    T.expect(fetchmail(srv), [], "undeleted: not fetched again")
    srv.deliver("alice", msg(9))
    got = fetchmail(srv)
    T.expect(len(got) == 1 and b"<u9@example.org>" in got[0], True,
             "a new one is fetched: %r" % got)


# --- the sweep -----------------------------------------------------------------

def plant(srv, t, i, user="alice"):
    """A kept message removed at time t, as UPDATE names it."""
    d = os.path.join(srv.maildir(user), KEPT)
    os.makedirs(d, exist_ok=True)
    os.chown(d, srv.uid(user), srv.gid(user))
    p = os.path.join(d, "%d.-.%d.M%dP2.old" % (t, t, i))
    with open(p, "wb") as f:
        f.write(msg(i))
    os.chown(p, srv.uid(user), srv.gid(user))
    return os.path.basename(p)


@T.test(start=False, timeout=240)
def sweep_during_sessions_and_deliveries(srv):
    """Kept messages past deleted keep go at the next UPDATE, under the
    maildrop's lock, while LMTP deliveries and other sessions go on:
    the young ones stay, no delivered message is lost or doubled."""
    L.start(srv, "deleted keep 1h\n")
    now = int(time.time())
    old = [plant(srv, now - 7200 - i, i) for i in range(50)]
    young = [plant(srv, now - 60 - i, 100 + i) for i in range(20)]
    stop = threading.Event()
    delivered = []
    errors = []

    def deliver():
        try:
            c = L.Lmtp(srv)
            for n in range(200):
                if stop.is_set():
                    break
                rr, dr = c.transaction(["alice@popd.test"], L.msg(1000 + n))
                T.expect(dr[0][0], 250, "LMTP delivery")
                delivered.append(n)
            c.close()
        except Exception as e:      # reported below
            errors.append(e)
    th = threading.Thread(target=deliver)
    th.start()
    sessions = 0
    deadline = time.time() + 60
    while th.is_alive() and time.time() < deadline:
        with srv.raw() as r:
            r.line()
            r.cmd("USER alice")
            got = r.cmd("PASS " + srv.password("alice"))
            if got.startswith(b"+OK"):
                r.ok("QUIT")
                sessions += 1
    stop.set()
    th.join(30)
    T.expect(errors, [], "the deliveries")
    T.expect_true(sessions > 0, "sessions ran", sessions)
    left = kept(srv)
    T.expect([n for n in old if n in left], [], "the old ones swept")
    T.expect(sorted(n for n in young if n in left), sorted(young),
             "the young ones kept")
    T.expect(len(uidls(srv)), len(delivered), "each delivery once")
    T.expect_true("50 kept messages (" in srv.log(), "the sweep's line",
                  srv.log_tail())


# --- kill -9 in the middle of UPDATE ---------------------------------------------

def where(srv, uniq, user="alice"):
    """For each unique name, the places it is in: new, cur, popd.deleted."""
    md = srv.maildir(user)
    seen = {u: [] for u in uniq}
    for sub in ("new", "cur", KEPT):
        d = os.path.join(md, sub)
        for n in (os.listdir(d) if os.path.isdir(d) else []):
            u = NAME.match(n).group(3) if sub == KEPT else n.split(":")[0]
            seen.setdefault(u, []).append(sub)
    return seen


@T.test(conf_extra=KEEP, timeout=300)
def kill_in_update_loses_nothing(srv):
    """wrkrpop stopped in the middle of UPDATE's moves, then killed
    (SIGKILL): every message is in exactly one place, new/ or cur/ or
    popd.deleted, never two, never none; the next session lists those
    left, each once, and undelete brings the kept ones back with their
    UIDLs."""
    n = 20000
    md = srv.maildir("alice")
    uniq = ["%d.M%dP3.kill" % (1700000000 + i, i) for i in range(n)]
    tmp = os.path.join(md, "tmp")
    for i, u in enumerate(uniq):
        p = os.path.join(tmp, u)
        with open(p, "wb") as f:
            f.write(b"Subject: %d\r\n\r\n%d\r\n" % (i, i))
        os.chown(p, srv.uid("alice"), srv.gid("alice"))
        os.rename(p, os.path.join(md, "new", u))
    before = uidls(srv)
    T.expect(len(before), n, "all listed")
    r = srv.raw()
    r.line()
    r.login("alice", srv.password("alice"))
    w = [p for p in srv.pids()["wrkrpop"]]
    T.expect(len(w), 1, "one session")
    for k in range(0, n, 500):
        r.send(b"".join(b"DELE %d\r\n" % (i + 1)
                        for i in range(k, min(n, k + 500))))
        for i in range(k, min(n, k + 500)):
            T.expect_true(r.line().startswith(b"+OK"), "DELE %d" % (i + 1))
    # Let it run a millisecond at a time until it is half way.
    os.kill(w[0], signal.SIGSTOP)
    r.send(b"QUIT\r\n")
    kd = os.path.join(md, KEPT)
    nkept = 0
    deadline = time.time() + 60
    while nkept == 0 and time.time() < deadline:
        os.kill(w[0], signal.SIGCONT)
        time.sleep(0.001)
        os.kill(w[0], signal.SIGSTOP)
        time.sleep(0.01)        # stopped for sure: no move under way
        nkept = len(os.listdir(kd)) if os.path.isdir(kd) else 0
    places = where(srv, uniq)
    T.expect_true(0 < nkept < n, "stopped in the middle of the moves",
                  nkept)
    T.expect([u for u, p in places.items() if len(p) != 1], [],
             "each message in one place, stopped")
    os.kill(w[0], signal.SIGKILL)
    r.abort()
    T.wait_for(lambda: not srv.pids()["wrkrpop"], 10, "the worker gone")
    T.expect([u for u, p in places.items() if len(p) != 1], [],
             "each message in one place, killed")
    left = uidls(srv)
    T.expect(len(left), n - nkept, "the next session lists the rest once")
    T.expect_true(set(left) <= set(before), "with their UIDLs")
    rc, out, err = srv.popctl("undelete", "alice", "all", timeout=120)
    T.expect((rc, out.splitlines()[-1]), (0, "%d message%s restored"
                                          % (nkept, "s"[:nkept > 1])),
             "undelete: " + err)
    T.expect(uidls(srv), before, "all back, with their UIDLs")


# --- Dovecot's IMAP on the same maildir ------------------------------------------

@T.test(conf_extra=KEEP, timeout=180)
def dovecot_imap_lists_no_kept_folder(srv):
    """Dovecot 2.3's IMAP on the same maildir lists INBOX and the real
    Maildir++ folder .Junk, never popd.deleted, also with a kept
    message in it."""
    import imaplib
    dovecot = T.need_dovecot(imap=True)
    srv.deliver("alice", msg(1))
    srv.deliver("alice", msg(2))
    dele(srv, [1])
    T.expect(len(kept(srv)), 1, "one kept")
    md = srv.maildir("alice")
    for sub in ("", "/cur", "/new", "/tmp"):
        os.mkdir(md + "/.Junk" + sub, 0o700)
        os.chown(md + "/.Junk" + sub, srv.uid("alice"), srv.gid("alice"))
    with T.Dovecot(dovecot, srv, imap=True) as d:
        im = imaplib.IMAP4_SSL(T.HOST, d.imap_port,
                               ssl_context=T.client_ctx())
        im.login("alice", srv.password("alice"))
        typ, data = im.list('""', "*")
        names = sorted(x.decode().rsplit(" ", 1)[-1].strip('"')
                       for x in data)
        typ, count = im.select("INBOX")
        im.logout()
    T.expect(names, ["INBOX", "Junk"], "Dovecot's folders")
    T.expect(int(count[0]), 1, "INBOX: the one left")
    T.expect(len(kept(srv)), 1, "still kept")


if __name__ == "__main__":
    T.main()
