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


if __name__ == "__main__":
    T.main()
