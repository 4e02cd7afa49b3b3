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


"""The record wrkrpop logs of each message a client reads or removes
(wrkrpop.8, LOGGING in popd.8): RETR, TOP, and each removal UPDATE
applied, DELE or EXPIRE, one line each with the user, UIDL, size,
Message-ID (or none), the client's address and the credential that
logged in (password here; test_apppasswords.py: an app password's
label).  A removal that did not happen (no QUIT) has no record."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

MSGS = [
    b"From: a@example.org\r\nMessage-ID: <m1@example.org>\r\n"
    b"Subject: one\r\n\r\nbody one\r\n",
    b"From: a@example.org\r\nSubject: two, no id\r\n\r\n"
    b"Message-ID: <in-the-body@example.org>\r\n",
    b"From: a@example.org\r\nmessage-id:\r\n\t<m3\x01@example.org> (x)\r\n"
    b"\r\nbody three\r\n",
    b"From: a@example.org\r\nMessage-ID: <m4@example.org>\r\n\r\nfour\r\n",
]
IDS = ["<m1@example.org>", "none", "<m3\\x01@example.org>",
       "<m4@example.org>"]


def records(srv, what):
    """(uidl, size, message-id, address, credential) of each record of
    kind what, in log order."""
    pat = re.compile(r"wrkrpop\[\d+\]: message %s: user alice uidl (\S+) "
                     r"size (\d+) message-id (\S+) from (\S+) port \d+ "
                     r"credential (\S+)$" % what, re.M)
    return [(u, int(n), i, a, c) for u, n, i, a, c in pat.findall(srv.log())]


@T.test(conf_extra="expire 30\n")
def each_read_and_removal_recorded(srv):
    for i, m in enumerate(MSGS):
        srv.deliver("alice", m, name="%d.M%dP1.records" % (1700000000 + i,
                                                            i))
    with srv.raw(src="127.0.0.7") as r:
        r.line()
        r.login("alice", srv.password("alice"))
        r.ok("UIDL")
        uidls = [ln.split()[1].decode() for ln in r.multiline()]
        r.ok("LIST")
        sizes = [int(ln.split()[1]) for ln in r.multiline()]
        r.ok("RETR 1")
        r.multiline()
        r.ok("TOP 2 0")
        r.multiline()
        r.ok("DELE 1")
        r.ok("DELE 2")
        r.ok("QUIT")
    srv.wait_log("session end: user alice")
    want = [(uidls[i], sizes[i], IDS[i], "127.0.0.7", "password")
            for i in range(4)]
    T.expect(records(srv, "retr"), [want[0]], "RETR's record")
    T.expect(records(srv, "top"), [want[1]], "TOP's record")
    T.expect(records(srv, "dele"), [want[0], want[1]],
             "each DELE UPDATE applied, with the Message-ID it had")
    # A DELE without QUIT removes nothing, and records nothing.
    with srv.raw() as r:
        r.line()
        r.login("alice", srv.password("alice"))
        r.ok("DELE 1")
    srv.wait_log("session ended (connection closed), nothing removed")
    T.expect(len(records(srv, "dele")), 2, "no record of an undone DELE")
    # Message 3 retrieved 31 days ago: EXPIRE removes it at the next QUIT.
    with open(os.path.join(srv.maildir("alice"), "popd.expire"), "w") as f:
        f.write("%s %d\n" % (uidls[2], int(time.time()) - 31 * 86400))
    p = srv.pop("alice")
    p.quit()
    srv.wait_log("1 messages expired")
    T.expect(records(srv, "expire"), [(uidls[2], sizes[2], IDS[2],
                                       "127.0.0.1", "password")],
             "EXPIRE's record")
    p = srv.pop("alice")
    left = [ln.split()[1].decode() for ln in p.uidl()[1]]
    p.quit()
    T.expect(left, [uidls[3]], "what is left")


@T.test(start=False)
def retrievals_recorded_when_asked(srv):
    """Without -v only removals are recorded (a line per message read
    would cost small messages a quarter of their rate: RESULTS.md);
    popctl log verbose records the reads of the sessions after it."""
    srv.argv = lambda: [a for a in T.Server.argv(srv) if a != "-v"]
    srv.start()
    for i, m in enumerate(MSGS[:2]):
        srv.deliver("alice", m, name="%d.M%dP1.records" % (1700000000 + i,
                                                            i))
    for verbose in (False, True):
        if verbose:
            T.expect(srv.popctl("log", "verbose")[0], 0, "log verbose")
        p = srv.pop("alice")
        p.retr(1)
        p.dele(1)
        p.quit()
        srv.wait_log("message dele: user alice uidl 170000000%d"
                     % (1 if verbose else 0))
    T.expect([u for u, n, i, a, c in records(srv, "retr")],
             ["1700000001.M1P1.records"], "only the verbose session's read")
    T.expect(len(records(srv, "dele")), 2, "both removals")


def journal(srv):
    with open(os.path.join(srv.maildir("alice"), "popd.journal")) as f:
        return f.read().splitlines()


@T.test()
def journal_keeps_sessions_and_removals(srv):
    """popd.journal (popcache(5)): each session's line and each removal's,
    in the maildir, across a restart; past its size it is rewritten with
    the newest 100 sessions and 30 days of removals, damaged lines
    dropped."""
    for i, m in enumerate(MSGS):
        srv.deliver("alice", m, name="%d.M%dP1.records" % (1700000000 + i,
                                                            i))
    t0 = int(time.time())
    with srv.raw(src="127.0.0.7") as r:
        r.line()
        r.login("alice", srv.password("alice"))
        r.ok("UIDL")
        uidls = [ln.split()[1].decode() for ln in r.multiline()]
        r.ok("RETR 1")
        r.multiline()
        r.ok("DELE 1")
        r.ok("QUIT")
    with srv.raw(src="127.0.0.8") as r:
        r.line()
        r.login("alice", srv.password("alice"))
        r.ok("DELE 2")
    srv.wait_log("session ended (connection closed), nothing removed")
    srv.stop()
    srv.start()
    p = srv.pop("alice")
    p.quit()
    srv.wait_log("session end: user alice from 127.0.0.1")
    lines = journal(srv)
    T.expect(lines[0], "popd.journal 1", "the header")
    words = [ln.split() for ln in lines[1:]]
    T.expect([w[0] for w in words], ["removed", "session", "session",
                                     "session"], "the lines, in order")
    T.expect(words[0][2:], [uidls[0], "<m1@example.org>", "dele",
                            "127.0.0.7", "password"], "the removal")
    T.expect_true(t0 <= int(words[0][1]) <= time.time(), "its time",
                  words[0])
    T.expect([w[3:] for w in words[1:]],
             [["127.0.0.7", "password", "1", "0", "1", "quit"],
              ["127.0.0.8", "password", "0", "0", "0", "dropped"],
              ["127.0.0.1", "password", "0", "0", "0", "quit"]],
             "the sessions: address, credential, retr, top, dele, end")
    # Past 256 KB: 150 old sessions, removals of 40 and of 2 days ago,
    # a damaged line; the next session rewrites it.
    now = int(time.time())
    old = ["popd.journal 1"]
    for i in range(5000):
        old.append("removed %d u%d <x%d.%s@example.org> dele 192.0.2.1 "
                   "password" % (now - 40 * 86400, i, i, "p" * 30))
    for i in range(150):
        old.append("session %d %d 192.0.2.%d app:phone 1 0 1 quit"
                   % (now - 3600, now - 3500, i % 250))
    old.append("removed %d recent <r@y> expire 192.0.2.9 ticket"
               % (now - 2 * 86400))
    old.append("session 12 cut sho")
    path = os.path.join(srv.maildir("alice"), "popd.journal")
    with open(path, "w") as f:
        f.write("\n".join(old) + "\n")
    T.expect_true(os.path.getsize(path) > 256 * 1024, "past its size")
    p = srv.pop("alice")
    p.quit()
    T.wait_for(lambda: os.path.getsize(path) < 256 * 1024, 10,
               "the journal rewritten")
    lines = journal(srv)
    sessions = [ln for ln in lines if ln.startswith("session ")]
    T.expect(lines[0], "popd.journal 1", "the header after")
    T.expect(len(sessions), 100, "the newest 100 sessions kept")
    T.expect(sessions[-1].split()[3:], ["127.0.0.1", "password", "0", "0",
                                        "0", "quit"], "the new one last")
    T.expect([ln for ln in lines if ln.startswith("removed ")],
             ["removed %d recent <r@y> expire 192.0.2.9 ticket"
              % (now - 2 * 86400)], "only removals of the last 30 days")
    T.expect_true("session 12 cut sho" not in lines, "the damaged line")


@T.test()
def popctl_show_user(srv):
    """popctl show user NAME: the last login of each credential from each
    address, the newest sessions and removals, as a wrkrpop of the user
    reads popd.journal; with a Message-ID or a UIDL, who removed it."""
    rc, out, err = srv.popctl("show", "user", "alice")
    T.expect((rc, out.splitlines()[-1:]), (0, [
        "alice: %s: no journal: no session has ended here since popd kept "
        "one" % srv.maildir("alice")]), "before any session: " + err)
    for i, m in enumerate(MSGS):
        srv.deliver("alice", m, name="%d.M%dP1.records" % (1700000000 + i,
                                                            i))
    # Message 1 (m1) goes, then message 2 of those left (m3).
    for src, dele in (("127.0.0.7", "DELE 1"), ("127.0.0.8", None),
                      ("127.0.0.7", "DELE 2")):
        with srv.raw(src=src) as r:
            r.line()
            r.login("alice", srv.password("alice"))
            if dele:
                r.ok(dele)
            r.ok("QUIT")
        srv.wait_log("session end: user alice from %s" % src)
    rc, out, err = srv.popctl("show", "user", "alice")
    T.expect(rc, 0, "popctl show user: " + err)
    lines = out.splitlines()
    T.expect(lines[:4], ["user alice", "maildir %s" % srv.maildir("alice"),
                         "junk none (default)",
                         "3 sessions in the journal"], "its head: " + out)
    logins = lines[lines.index("last login of each credential from each "
                               "address:") + 1:
                   lines.index("sessions, newest first:")]
    T.expect([ln.split()[:3] + ln.split()[-2:] for ln in logins],
             [["password", "from", "127.0.0.7:", "(2", "sessions)"],
              ["password", "from", "127.0.0.8:", "(1", "sessions)"]],
             "the last login of each credential and address: " + out)
    removed = lines[lines.index("removed, newest first (2 in the "
                                "journal):") + 1:]
    T.expect([ln.split()[1:] for ln in removed],
             [["1700000002.M2P1.records", "<m3\\x01@example.org>", "(dele)",
               "from", "127.0.0.7", "with", "password"],
              ["1700000000.M0P1.records", "<m1@example.org>", "(dele)",
               "from", "127.0.0.7", "with", "password"]],
             "the removals, newest first: " + out)
    # Who removed <m1@example.org>?
    rc, out, err = srv.popctl("show", "user", "alice", "<m1@example.org>")
    T.expect(rc, 0, "popctl show user with a Message-ID: " + err)
    T.expect_true(re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ "
                            r"removed \S+ <m1@example.org> \(dele\) from "
                            r"127\.0\.0\.7 with password$", out, re.M),
                  "who removed it", out)
    rc, out, err = srv.popctl("show", "user", "alice", "<nothing@x>")
    T.expect(out.splitlines()[-1], "no removal of <nothing@x> in the "
             "journal", "a message never removed")
    rc, out, err = srv.popctl("show", "user", "nobody-here")
    T.expect_true(rc != 0 and "no such user" in out + err,
                  "an unknown user", out + err)


if __name__ == "__main__":
    T.main()
