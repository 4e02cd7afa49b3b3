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

"""TRANSACTION and UPDATE states (wrkrpop): every command, byte-exact
RETR of odd messages against LIST sizes, UPDATE rules (removal, moves to
cur/ with sorted flags, nothing changed without QUIT), stable UIDLs,
[IN-USE], pipelining and line limits, file ownership as root, and the
time of a 10 MB RETR."""

import os
import poplib
import random
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import popdtest as T  # noqa: E402

# poplib refuses lines over 2048 octets; our odd messages have longer ones.
poplib._MAXLINE = 4 * 1024 * 1024


def converted(data):
    """A message as RETR sends it, dot-stuffing undone: RFC 1939 size."""
    out = re.sub(rb"(?<!\r)\n", b"\r\n", data)
    if data and not data.endswith(b"\n"):
        out += b"\r\n"
    return out


def stuffed(data):
    """The exact bytes on the wire after "+OK ...\\r\\n": a dot after a
    bare CR is stuffed too (crlf.c)."""
    conv = converted(data)
    if not conv:
        return b".\r\n"
    lines = conv[:-2].split(b"\r\n")
    return b"".join(re.sub(rb"\r\.", b"\r..", b"." + ln if
                           ln.startswith(b".") else ln) + b"\r\n"
                    for ln in lines) + b".\r\n"


def strict_view(data):
    """What a client that ends lines at CRLF alone (poplib) reads: it
    keeps the dot stuffed after a bare CR."""
    return re.sub(rb"\r\.", b"\r..", converted(data))


def joined(lines):
    """poplib's lines back to bytes."""
    return b"".join(ln + b"\r\n" for ln in lines)


def login(srv, r, user="alice"):
    T.expect(r.line()[:3], b"+OK", "greeting")
    T.expect(r.cmd("USER " + user)[:3], b"+OK", "USER")
    st = r.cmd("PASS " + srv.password(user))
    T.expect(st[:3], b"+OK", "PASS")
    return st


def uidl_map(p):
    """{msgnum: uidl} from a poplib client."""
    out = {}
    for ln in p.uidl()[1]:
        n, u = ln.split(b" ", 1)
        out[int(n)] = u
    return out


# Odd messages: name -> bytes.  Chunk edges: wrkrpop reads 64 KiB (maps
# messages of 256 KiB and more) and buffers 256 KiB of output, crlf.c
# converts 16-byte blocks (8 without SSE2) and the rest byte by byte.
K = 32768
ODD = {
    "plain": b"Subject: plain\n\nhello\nworld\n",
    "crlf": b"Subject: crlf\r\n\r\nalready\r\ncrlf\r\n",
    "nofinal": b"Subject: nofinal\n\nno final newline",
    "bare_cr": b"Subject: cr\n\na\rb\r\rc\r\n\r",
    "final_cr": b"Subject: fcr\n\nends with CR\r",
    "nul": b"Subject: nul\n\n\0\0a\0\n\0",
    "dots": b"Subject: dots\n\n.\n..\n.x\n\r\n.\r\n. \nx.\n.",
    "empty": b"",
    "only_lf": b"\n",
    "only_cr": b"\r",
    "long_line": b"Subject: long\n\n" + b"x" * (1024 * 1024),
    "cr_at_edge": b"x" * (K - 1) + b"\r\n" + b"y" * (K - 2) + b"\r" +
                  b"\n." + b"z" * (2 * K) + b"\r",
    "dot_at_edge": b"a" * (K - 1) + b"\n" + b".b" * K + b"\n" +
                   b"c" * (2 * K - 3) + b"\n.\n",
    "lf_runs": b"\n" * (3 * K) + b".",
    # Every line end, stuffing and CR case at every offset of the
    # converter's 16-byte blocks and buffers: read (under 256 KB) and
    # mapped (over).
    "mix_read": bytes(random.Random(1).choice(b"aaaaaaaa.\r\n\n\0")
                      for _ in range(200 * 1024)),
    "mix_mapped": bytes(random.Random(2).choice(b"aaaaaaaaaaaaaa.\r\n\0")
                        for _ in range(700 * 1024)) + b"\r",
}


# --- the commands ---------------------------------------------------------

@T.test
def message_removed_meanwhile(srv):
    """Issue 43: a message another program removes during the session
    (an IMAP expunge) is answered "-ERR message N has been removed" once
    the session finds it gone, and from then on STAT, LIST and UIDL no
    longer count it, RSET does not bring it back, the other numbers stay,
    and QUIT's count is what is left on disk."""
    md = srv.maildir("alice")
    names = [srv.deliver("alice", b"Subject: %d\n\nbody %d\n" % (i, i),
                         name="1700000%03d.M1P1Q%d.host" % (i, i))
             for i in range(5)]
    sizes = [T.rfc_size(b"Subject: %d\n\nbody %d\n" % (i, i))
             for i in range(5)]
    with T.Raw(srv.port) as c:
        c.line()
        c.login("alice", srv.password("alice"))
        T.expect(c.cmd("STAT"), b"+OK 5 %d" % sum(sizes), "STAT before")
        os.unlink(os.path.join(md, "new", names[2]))
        T.expect(c.cmd("RETR 3"), b"-ERR message 3 has been removed",
                 "RETR of the removed one")
        T.expect(c.cmd("STAT"), b"+OK 4 %d" % (sum(sizes) - sizes[2]),
                 "STAT after")
        T.expect(c.cmd("LIST")[:3], b"+OK", "LIST")
        T.expect([int(ln.split()[0]) for ln in c.multiline()], [1, 2, 4, 5],
                 "LIST's numbers")
        T.expect(c.cmd("UIDL")[:3], b"+OK", "UIDL")
        T.expect([int(ln.split()[0]) for ln in c.multiline()], [1, 2, 4, 5],
                 "UIDL's numbers")
        for cmd in ("LIST 3", "UIDL 3", "TOP 3 0", "RETR 3"):
            T.expect(c.cmd(cmd), b"-ERR message 3 has been removed", cmd)
        # DELE of what is gone anyway is no error, and changes nothing.
        T.expect(c.cmd("DELE 3"), b"+OK message 3 deleted", "DELE 3")
        T.expect(c.cmd("STAT")[:5], b"+OK 4", "STAT after DELE 3")
        T.expect(c.cmd("DELE 1")[:3], b"+OK", "DELE 1")
        T.expect(c.cmd("RSET"), b"+OK maildrop has 4 messages (%d octets)"
                 % (sum(sizes) - sizes[2]), "RSET")
        T.expect(c.cmd("DELE 5")[:3], b"+OK", "DELE 5")
        T.expect(c.cmd("QUIT"), b"+OK popd signing off (3 messages left)",
                 "QUIT")
    left = srv.files("alice", "new") + srv.files("alice", "cur")
    T.expect(len(left), 3, "on disk: %r" % left)
    srv.wait_log("alice: logout, 0 retrieved, 1 deleted, 3 left")
    p = srv.pop("alice")
    T.expect(p.stat(), (3, sizes[0] + sizes[1] + sizes[3]), "next session")
    p.quit()


@T.test
def stat_list_uidl(srv):
    msgs = [b"Subject: a\n\none\n", b"Subject: b\r\n\r\ntwo\r\n",
            b"Subject: c\n\nthree"]
    names = [srv.deliver("alice", m, name="%d.M1P1.host" % (1000 + i))
             for i, m in enumerate(msgs)]
    sizes = [len(converted(m)) for m in msgs]
    p = srv.pop("alice")
    T.expect(p.stat(), (3, sum(sizes)), "STAT")
    resp, lines, _ = p.list()
    T.expect(resp, b"+OK 3 messages (%d octets)" % sum(sizes), "LIST status")
    T.expect(lines, [b"%d %d" % (i + 1, s) for i, s in enumerate(sizes)],
             "LIST")
    T.expect(p.list(2), b"+OK 2 %d" % sizes[1], "LIST 2")
    T.expect(uidl_map(p), {i + 1: n.encode() for i, n in enumerate(names)},
             "UIDL = unique names")
    T.expect(p.uidl(3), b"+OK 3 " + names[2].encode(), "UIDL 3")
    T.expect(p.noop(), b"+OK", "NOOP")
    T.expect(p.quit()[:3], b"+OK", "QUIT")
    T.expect(srv.files("alice", "new"), sorted(names),
             "nothing retrieved: still in new/")


@T.test
def retr_odd_messages_exact(srv):
    order = sorted(ODD)
    for i, k in enumerate(order):
        srv.deliver("alice", ODD[k], name="%d.odd.%s" % (2000 + i, k))
    p = srv.pop("alice")
    total = sum(len(converted(ODD[k])) for k in order)
    T.expect(p.stat(), (len(order), total), "STAT of odd messages")
    sizes = {int(ln.split()[0]): int(ln.split()[1]) for ln in p.list()[1]}
    for i, k in enumerate(order, 1):
        want = converted(ODD[k])
        T.expect(sizes[i], len(want), "LIST size of %s" % k)
        resp, lines, octets = p.retr(i)
        T.expect(resp, b"+OK %d octets" % len(want), "RETR status of %s" % k)
        want = strict_view(ODD[k])
        T.expect(octets, len(want), "octets received for %s" % k)
        T.expect_true(joined(lines) == want, "RETR bytes of %s" % k)
    p.quit()

    # The same on the wire, dot-stuffing included.
    with srv.raw() as r:
        login(srv, r)
        for i, k in enumerate(order, 1):
            st = r.cmd("RETR %d" % i)
            T.expect(st, b"+OK %d octets" % len(converted(ODD[k])),
                     "raw RETR status of %s" % k)
            want = stuffed(ODD[k])
            got = r.read_exact(len(want))
            T.expect_true(got == want, "wire bytes of %s" % k,
                          (got[:60], got[-60:]))
        T.expect(r.cmd("NOOP"), b"+OK", "nothing after the terminator")
        r.cmd("QUIT")
    # What RETR counted as it sent is what LIST announced.
    T.expect_true("announced" not in srv.log(), "RETR sent the LIST size",
                  [ln for ln in srv.log().splitlines() if "announced" in ln])


@T.test
def bare_cr_ends_no_message(srv):
    """Bare-CR smuggling: a message holding "A\\r.\\r\\n+OK x" read by a
    client that ends lines at a CR as well.  It finds no lone "." before
    the terminator, unstuffs to the message and its LIST size, and the
    next reply is the server's own."""
    msg = b"A\r.\r\n+OK x\r\nB"
    srv.deliver("alice", msg, name="3100.smuggle")
    with srv.raw() as r:
        login(srv, r)
        T.expect(r.cmd("RETR 1"), b"+OK %d octets" % len(converted(msg)),
                 "RETR status")
        wire = r.read_until(b"\r\n.\r\n")
        lines = re.split(rb"\r|\n", wire[:-5])
        T.expect_true(b"." not in lines, "no lone dot before the end, "
                      "lines split at CR or LF", wire)
        got = re.sub(rb"(^|[\r\n])\.", rb"\1", wire[:-3])
        T.expect(got, converted(msg), "the message, unstuffed at CR or LF")
        T.expect(r.cmd("NOOP"), b"+OK", "the next reply")
        r.cmd("QUIT")


@T.test
def top_lines(srv):
    msg = b"From: x\nSubject: top\n\nl1\n.l2\nl3\n"
    srv.deliver("alice", msg, name="3000.top")
    srv.deliver("alice", b"Subject: crlf\r\n\r\nb1\r\nb2", name="3001.top")
    p = srv.pop("alice")
    hdr = [b"From: x", b"Subject: top", b""]
    T.expect(p.top(1, 0)[1], hdr, "TOP 1 0")
    T.expect(p.top(1, 2)[1], hdr + [b"l1", b".l2"], "TOP 1 2 (unstuffed)")
    T.expect(p.top(1, 100)[1], hdr + [b"l1", b".l2", b"l3"], "TOP 1 100")
    T.expect(p.top(2, 5)[1], [b"Subject: crlf", b"", b"b1", b"b2"],
             "TOP without final newline")
    with srv.raw() as r:
        r.settimeout(10)
        p.quit()
        login(srv, r)
        T.expect(r.cmd("TOP 1 1"), b"+OK top of message follows",
                 "raw TOP status")
        T.expect(r.read_until(b"\r\n.\r\n"),
                 b"From: x\r\nSubject: top\r\n\r\nl1\r\n.\r\n", "TOP 1 1 wire")
        T.expect(r.cmd("TOP 1 2"), b"+OK top of message follows", "TOP 1 2")
        T.expect(r.read_until(b"\r\n.\r\n"),
                 b"From: x\r\nSubject: top\r\n\r\nl1\r\n..l2\r\n.\r\n",
                 "TOP 1 2 wire, dot-stuffed")
        for bad, why in (("TOP 1", "TOP without a line count"),
                         ("TOP 1 -1", "negative line count"),
                         ("TOP 1 x", "line count not a number"),
                         ("TOP 9 1", "no such message")):
            T.expect(r.cmd(bad)[:4], b"-ERR", why)
        T.expect(r.cmd("QUIT")[:3], b"+OK", "QUIT")


@T.test
def argument_errors(srv):
    srv.deliver("alice", b"Subject: a\n\nx\n")
    with srv.raw() as r:
        login(srv, r)
        for cmd in ("LIST 0", "LIST 2", "LIST x", "LIST -1", "LIST 1 2",
                    "RETR", "RETR 0", "RETR 99999999999999999999",
                    "DELE", "DELE 2", "UIDL 5", "STAT 1", "NOOP x",
                    "RSET 1", "FOO", "USER bob", "PASS x", "AUTH PLAIN",
                    "STLS", "APOP a b", "QUIT now", "\x01"):
            T.expect(r.cmd(cmd)[:5], b"-ERR ", "answer to %r" % cmd)
        T.expect(r.cmd("LIST x"), b"-ERR invalid message number", "LIST x")
        T.expect(r.cmd("RETR 2"), b"-ERR no such message", "RETR 2")
        T.expect(r.cmd("USER bob"), b"-ERR already logged in", "USER")
        T.expect(r.cmd("CAPA")[:3], b"+OK", "CAPA")
        capa = r.multiline()
        for want in (b"TOP", b"UIDL", b"PIPELINING", b"RESP-CODES"):
            T.expect_true(want in capa, "CAPA has %s" % want.decode(), capa)
        T.expect_true(b"USER" not in capa, "no USER in TRANSACTION", capa)
        T.expect(r.cmd("list 1")[:3], b"+OK", "lower-case command")
        T.expect(r.cmd("QUIT")[:3], b"+OK", "QUIT")
    T.expect(len(srv.files("alice", "new")), 1, "nothing removed")


# --- UPDATE ---------------------------------------------------------------

@T.test
def dele_quit_removes(srv):
    a = srv.deliver("alice", b"Subject: a\n\na\n", name="4000.a")
    b = srv.deliver("alice", b"Subject: b\n\nb\n", name="4001.b", subdir="cur")
    c = srv.deliver("alice", b"Subject: c\n\nc\n", name="4002.c")
    p = srv.pop("alice")
    T.expect(p.dele(1), b"+OK message 1 deleted", "DELE 1")
    T.expect(p.dele(2)[:3], b"+OK", "DELE 2")
    T.expect(p.stat(), (1, len(converted(b"Subject: c\n\nc\n"))),
             "STAT after DELE")
    T.expect(p.quit(), b"+OK popd signing off (1 messages left)", "QUIT")
    T.expect(srv.files("alice", "new"), [c], "new/ after QUIT")
    T.expect(srv.files("alice", "cur"), [], "cur/ after QUIT")
    p = T.pop_when_free(srv)
    T.expect(p.stat()[0], 1, "next session sees one message")
    T.expect(list(uidl_map(p).values()), [c.encode()], "the one left")
    p.quit()
    del a, b


@T.test
def dele_drop_keeps(srv):
    names = [srv.deliver("alice", b"Subject: %d\n\nx\n" % i,
                         name="5%03d.k" % i) for i in range(3)]
    p = srv.pop("alice")
    p.retr(1)
    p.dele(2)
    p.top(3, 0)
    p.close()               # no QUIT: the connection just drops
    p = T.pop_when_free(srv)
    T.expect(p.stat()[0], 3, "all messages still there")
    p.close()
    T.expect(srv.files("alice", "new"), names, "nothing moved or removed")
    T.expect(srv.files("alice", "cur"), [], "cur/ untouched")


@T.test
def rset_undeletes(srv):
    for i in range(3):
        srv.deliver("alice", b"Subject: %d\n\nx\n" % i, name="6%03d.r" % i)
    p = srv.pop("alice")
    st = p.stat()
    p.dele(1)
    p.dele(3)
    T.expect(p.stat()[0], 1, "STAT after 2 DELE")
    T.expect(p.rset(), b"+OK maildrop has 3 messages (%d octets)" % st[1],
             "RSET")
    T.expect(p.stat(), st, "STAT after RSET")
    T.expect(p.retr(3)[0][:3], b"+OK", "RETR after RSET")
    p.quit()
    T.expect(len(srv.files("alice", "new")) +
             len(srv.files("alice", "cur")), 3, "nothing removed")


@T.test
def deleted_invisible(srv):
    for i in range(3):
        srv.deliver("alice", b"Subject: %d\n\nx\n" % i, name="7%03d.d" % i)
    with srv.raw() as r:
        login(srv, r)
        T.expect(r.cmd("DELE 2"), b"+OK message 2 deleted", "DELE 2")
        for cmd in ("LIST 2", "UIDL 2", "RETR 2", "TOP 2 0", "DELE 2"):
            T.expect(r.cmd(cmd), b"-ERR message 2 is deleted", cmd)
        st = r.cmd("STAT")
        T.expect(st.split()[:2], [b"+OK", b"2"], "STAT counts 2")
        T.expect(r.cmd("LIST")[:3], b"+OK", "LIST")
        T.expect([ln.split()[0] for ln in r.multiline()], [b"1", b"3"],
                 "LIST skips message 2")
        T.expect(r.cmd("UIDL")[:3], b"+OK", "UIDL")
        T.expect([ln.split()[0] for ln in r.multiline()], [b"1", b"3"],
                 "UIDL skips message 2")
        T.expect(r.cmd("QUIT"), b"+OK popd signing off (2 messages left)",
                 "QUIT")


@T.test
def seen_moves_to_cur(srv):
    srv.deliver("alice", b"Subject: a\n\na\n", name="8000.a")
    srv.deliver("alice", b"Subject: b\n\nb\n", name="8001.b:2,RF")
    srv.deliver("alice", b"Subject: c\n\nc\n", name="8002.c:2,T")
    srv.deliver("alice", b"Subject: d\n\nd\n", name="8003.d")
    srv.deliver("alice", b"Subject: e\n\ne\n", name="8004.e:2,a",
                subdir="cur")
    srv.deliver("alice", b"Subject: f\n\nf\n", name="8005.f")
    p = srv.pop("alice")
    before = uidl_map(p)
    p.retr(1)
    p.retr(2)
    p.top(3, 0)
    p.retr(5)
    p.retr(6)
    p.dele(6)
    p.quit()
    # TOP is a preview: 8002.c stays unread in new/.
    T.expect(srv.files("alice", "new"), ["8002.c:2,T", "8003.d"],
             "unread and previewed stay in new/")
    # Retrieved: in cur/ with S among its flags (ASCII order), also the
    # one another program had put in cur/ unseen (IMAP reads \Seen).
    T.expect(srv.files("alice", "cur"),
             ["8000.a:2,S", "8001.b:2,FRS", "8004.e:2,Sa"],
             "retrieved in cur/ with sorted flags")
    p = T.pop_when_free(srv)
    T.expect(uidl_map(p), {k: v for k, v in before.items() if k != 6},
             "UIDLs unchanged by the moves")
    p.quit()


@T.test
def move_never_overwrites(srv):
    srv.deliver("alice", b"Subject: new copy\n\nx\n", name="9000.dup")
    srv.deliver("alice", b"Subject: cur copy\n\nyy\n", name="9000.dup:2,S",
                subdir="cur")
    p = srv.pop("alice")
    u = uidl_map(p)
    T.expect(len(set(u.values())), 2, "duplicates get distinct UIDLs")
    T.expect_true(all(1 <= len(x) <= 70 for x in u.values()), "UIDL length",
                  u)
    p.retr(1)
    p.retr(2)
    T.expect(p.quit()[:3], b"+OK", "QUIT")
    T.expect(srv.files("alice", "new"), ["9000.dup"], "new copy kept")
    T.expect(srv.files("alice", "cur"), ["9000.dup:2,S"], "cur copy kept")
    with open(os.path.join(srv.maildir("alice"), "cur", "9000.dup:2,S"),
              "rb") as f:
        T.expect(f.read(), b"Subject: cur copy\n\nyy\n", "not overwritten")
    p = T.pop_when_free(srv)
    T.expect(uidl_map(p), u, "UIDLs of duplicates stable")
    p.quit()


@T.test
def uidl_stable(srv):
    names = ["10000.plain", "10001.with space", "10002." + "l" * 90,
             "10003.\u00e9t\u00e9", "10004.colon:2,S"]
    for n in names:
        srv.deliver("alice", b"Subject: u\n\nx\n", name=n)
    p = srv.pop("alice")
    u1 = uidl_map(p)
    for v in u1.values():
        T.expect_true(1 <= len(v) <= 70 and
                      all(0x21 <= c <= 0x7e for c in v), "UIDL syntax", v)
    T.expect(len(set(u1.values())), len(names), "UIDLs unique")
    T.expect(u1[1], b"10000.plain", "plain name is the UIDL")
    T.expect(u1[5], b"10004.colon", "UIDL stops at the colon")
    for i in range(1, 6):
        p.retr(i)
    p.quit()
    T.expect(srv.files("alice", "new"), [], "all moved to cur/")
    p = T.pop_when_free(srv)
    T.expect(uidl_map(p), u1, "UIDLs after new/ -> cur/")
    p.dele(1)
    p.quit()
    for f in os.listdir(srv.maildir("alice")):
        if f.startswith("popcache"):
            os.unlink(os.path.join(srv.maildir("alice"), f))
    p = T.pop_when_free(srv)
    T.expect(sorted(uidl_map(p).values()), sorted(list(u1.values())[1:]),
             "UIDLs after a deletion and without popcache")
    p.quit()


@T.test
def vanished_message(srv):
    a = srv.deliver("alice", b"Subject: a\n\na\n", name="11000.a")
    srv.deliver("alice", b"Subject: b\n\nb\n", name="11001.b")
    c = srv.deliver("alice", b"Subject: c\n\nc\n", name="11002.c")
    with srv.raw() as r:
        login(srv, r)
        md = srv.maildir("alice")
        os.unlink(os.path.join(md, "new", a))
        # Another program marks c as read meanwhile.
        os.rename(os.path.join(md, "new", c),
                  os.path.join(md, "cur", c + ":2,S"))
        T.expect(r.cmd("RETR 1"), b"-ERR message 1 has been removed",
                 "RETR of a removed file")
        T.expect(r.cmd("RETR 3")[:3], b"+OK", "RETR of a moved file")
        r.read_until(b"\r\n.\r\n")
        T.expect(r.cmd("DELE 1")[:3], b"+OK", "DELE of a removed file")
        T.expect(r.cmd("DELE 3")[:3], b"+OK", "DELE of a moved file")
        T.expect(r.cmd("QUIT"), b"+OK popd signing off (1 messages left)",
                 "QUIT")
    T.expect(srv.files("alice", "cur"), [], "moved file deleted")


@T.test
def delivered_during_session(srv):
    srv.deliver("alice", b"Subject: a\n\na\n")
    p = srv.pop("alice")
    T.expect(p.stat()[0], 1, "one at login")
    srv.deliver("alice", b"Subject: b\n\nb\n")
    T.expect(p.stat()[0], 1, "still one during the session")
    p.quit()
    p = T.pop_when_free(srv)
    T.expect(p.stat()[0], 2, "two in the next session")
    p.quit()


# --- sessions, pipelining, lines ------------------------------------------

@T.test
def second_login_in_use(srv):
    srv.deliver("alice", b"Subject: a\n\na\n")
    p = srv.pop("alice")
    with srv.raw() as r:
        T.expect(r.line()[:3], b"+OK", "greeting")
        r.cmd("USER alice")
        st = r.cmd("PASS " + srv.password("alice"))
        T.expect_true(st.startswith(b"-ERR [IN-USE]"), "second login", st)
    T.expect(p.stat()[0], 1, "first session unaffected")
    T.expect(p.quit()[:3], b"+OK", "first session QUIT")


@T.test
def pipeline_200_after_login(srv):
    for i in range(5):
        srv.deliver("alice", b"Subject: %d\n\n.body %d\n" % (i, i),
                    name="12%03d.p" % i)
    cycle = [("STAT", 0), ("LIST 1", 0), ("UIDL 2", 0), ("RETR 3", 1),
             ("TOP 4 0", 1), ("NOOP", 0), ("LIST", 1), ("DELE 5", 0),
             ("RSET", 0), ("UIDL", 1)]
    cmds = [cycle[i % len(cycle)] for i in range(200)]
    with srv.raw() as r:
        login(srv, r)
        r.send(b"".join(c.encode() + b"\r\n" for c, _ in cmds))
        for c, multi in cmds:
            st = r.line()
            T.expect(st[:3], b"+OK", "pipelined %s" % c)
            if multi:
                r.multiline()
        T.expect(r.cmd("QUIT")[:3], b"+OK", "QUIT after the pipeline")
    T.expect(len(srv.files("alice", "new")) +
             len(srv.files("alice", "cur")), 5, "RSET undid the DELEs")


@T.test
def pipeline_with_login(srv):
    srv.deliver("alice", b"Subject: a\n\n.x\n", name="13000.a")
    cmds = ["STAT", "LIST 1", "RETR 1", "UIDL 1"] * 50
    with srv.raw() as r:
        T.expect(r.line()[:3], b"+OK", "greeting")
        r.send(("USER alice\r\nPASS %s\r\n" % srv.password("alice") +
                "".join(c + "\r\n" for c in cmds) + "QUIT\r\n").encode())
        T.expect(r.line()[:3], b"+OK", "USER")
        T.expect(r.line(), b"+OK maildrop has 1 messages (%d octets)"
                 % len(converted(b"Subject: a\n\n.x\n")), "PASS")
        for c in cmds:
            st = r.line()
            T.expect(st[:3], b"+OK", "pipelined %s" % c)
            if c == "RETR 1":
                T.expect(r.multiline(), [b"Subject: a", b"", b".x"],
                         "pipelined RETR body")
        T.expect(r.line()[:3], b"+OK", "QUIT")
        T.expect_true(r.closed(), "closed after QUIT")
    T.expect(srv.files("alice", "cur"), ["13000.a:2,S"], "moved at QUIT")


@T.test(conf_extra="limit bad-commands 4\n")
def bad_command_limit_one_reply_each(srv):
    """After login, pipelined: each invalid command gets one reply, the
    one that reaches limit bad-commands only the closing -ERR, and what
    follows it (NOOP) none: a pipelining client stays in step."""
    srv.deliver("alice", b"Subject: a\n\na\n")
    bad = [b"FOO", b"RETR", b"LIST\x00", b"X" * 300]
    with srv.raw() as r:
        login(srv, r)
        r.send(b"".join(c + b"\r\n" for c in bad) + b"NOOP\r\n")
        T.expect_true(r.closed(10), "closed at the limit", bytes(r.buf))
        got = r.drain().split(b"\r\n")
    T.expect(got[-1], b"", "replies end with a CRLF")
    T.expect(len(got[:-1]), len(bad), "one reply per command, then EOF: %r"
             % got)
    T.expect([g[:4] for g in got[:-2]], [b"-ERR"] * 3, "the first three")
    T.expect(got[-2], b"-ERR too many invalid commands, closing",
             "the last reply")
    T.expect(len(srv.files("alice", "new")) +
             len(srv.files("alice", "cur")), 1, "nothing removed")


@T.test
def line_limits(srv):
    srv.deliver("alice", b"Subject: a\n\na\n")
    with srv.raw() as r:
        login(srv, r)
        line = b"LIST" + b" " * 248 + b"1"
        T.expect(len(line) + 2, 255, "test line length")
        T.expect(r.cmd(line)[:5], b"+OK 1", "255-octet command")
        T.expect(r.cmd(b"LIST" + b" " * 249 + b"1"), b"-ERR line too long",
                 "256-octet command")
        T.expect(r.cmd(b"X" * 298), b"-ERR line too long", "300 octets")
        T.expect(r.cmd("NOOP"), b"+OK", "session continues")
        r.send(b"Y" * 100000)
        T.expect(r.cmd(""), b"-ERR line too long", "100 kB line")
        T.expect(r.cmd("NOOP"), b"+OK", "NOOP after the long line")
        T.expect(r.cmd("QUIT")[:3], b"+OK", "QUIT")


@T.test
def empty_maildrop(srv):
    p = srv.pop("alice")
    T.expect(p.stat(), (0, 0), "STAT")
    T.expect(p.list()[1], [], "LIST")
    T.expect(p.uidl()[1], [], "UIDL")
    with srv.raw() as r:
        p.quit()
        login(srv, r)
        T.expect(r.cmd("RETR 1"), b"-ERR no such message", "RETR 1")
        T.expect(r.cmd("QUIT"), b"+OK popd signing off (0 messages left)",
                 "QUIT")


@T.test
def process_title(srv):
    p = srv.pop("alice")
    pids = T.wait_for(lambda: srv.pids()["wrkrpop"], 5, "a wrkrpop")
    T.expect_true(any("wrkrpop: alice" in T.proc_cmdline(x) for x in pids),
                  "ps shows wrkrpop: alice",
                  [T.proc_cmdline(x) for x in pids])
    p.quit()


@T.test
def files_owned_by_user(srv):
    T.need_root()
    srv.deliver("alice", b"Subject: a\n\na\n")
    srv.deliver("alice", b"Subject: b\n\nb\n")
    p = srv.pop("alice")
    p.retr(1)
    p.dele(2)
    p.quit()
    T.pop_when_free(srv).quit()
    md = srv.maildir("alice")
    uid, gid = srv.uid("alice"), srv.gid("alice")
    seen = []
    for root, dirs, fs in os.walk(md):
        for f in dirs + fs:
            st = os.lstat(os.path.join(root, f))
            seen.append(os.path.relpath(os.path.join(root, f), md))
            T.expect((st.st_uid, st.st_gid), (uid, gid),
                     "owner of %s" % os.path.relpath(os.path.join(root, f),
                                                     md))
    T.expect_true("popd.lock" in seen, "lock file exists", seen)
    T.expect_true(any(s.startswith("cur/") for s in seen), "cur/ file", seen)


@T.test(timeout=300)
def retr_10mb_time(srv):
    line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-\n"
    body = b"Subject: big\n\n" + line * (10 * 1024 * 1024 // len(line))
    srv.deliver("alice", body, name="14000.big")
    want = stuffed(body)
    with srv.raw() as r:
        login(srv, r)
        t0 = time.monotonic()
        T.expect(r.cmd("RETR 1"), b"+OK %d octets" % len(converted(body)),
                 "RETR status")
        buf = bytearray(len(want))
        early = r.drain()
        view, got = memoryview(buf), len(early)
        view[:got] = early
        while got < len(want):
            n = r.sock.recv_into(view[got:], len(want) - got)
            T.expect_true(n > 0, "connection open during RETR")
            got += n
        dt = time.monotonic() - t0
        T.expect_true(bytes(buf) == want, "10 MB RETR byte-exact")
        T.expect(r.cmd("QUIT")[:3], b"+OK", "QUIT")
    print("# RETR of %.1f MB over TLS on loopback: %.3f s (%.0f MB/s)"
          % (len(body) / 1e6, dt, len(want) / 1e6 / dt))


@T.test
def strict_numbers_and_huge_top(srv):
    body = b"Subject: n\r\n\r\nl1\r\nl2\r\n"
    srv.deliver("alice", body)
    r = srv.raw()
    r.line()
    T.expect(r.cmd(b"USER alice")[:3], b"+OK", "USER")
    T.expect(r.cmd(b"PASS pw1")[:3], b"+OK", "PASS")
    for bad in (b"LIST +1", b"LIST -1", b"LIST 0x1", b"RETR 1x",
                b"TOP 1 -0", b"TOP 1 +2", b"DELE  "):
        T.expect(r.cmd(bad)[:4], b"-ERR", bad.decode())
    T.expect(r.cmd(b"LIST 0")[:4], b"-ERR", "LIST 0")
    T.expect(r.cmd(b"LIST 01"), b"+OK 1 %d" % len(body), "LIST 01")
    # RFC 1939: a count past the end of the body sends the whole body.
    T.expect(r.cmd(b"TOP 1 99999999999999999999999")[:3], b"+OK",
             "TOP with a huge count")
    T.expect(b"\r\n".join(r.multiline()) + b"\r\n", body,
             "TOP with a huge count sends everything")
    T.expect(r.cmd(b"QUIT")[:3], b"+OK", "QUIT")
    r.close()


@T.test
def quit_sweeps_stale_tmp(srv):
    """Files left in tmp/ for 36 hours (a killed delivery) go at QUIT;
    younger ones, possibly a delivery in progress, stay."""
    tmp = os.path.join(srv.maildir("alice"), "tmp")
    old, young = os.path.join(tmp, "old.1"), os.path.join(tmp, "young.1")
    for f in (old, young):
        with open(f, "wb") as fp:
            fp.write(b"Subject: half\n\n")
    t = time.time() - 37 * 3600
    os.utime(old, (t, t))
    p = srv.pop("alice")
    p.noop()
    p.close()                   # dropped: no UPDATE, nothing swept
    T.expect(sorted(os.listdir(tmp)), ["old.1", "young.1"],
             "tmp/ after a dropped session")
    p = T.wait_for(lambda: T.try_pop(srv), what="login")
    p.quit()
    # The sweep follows the reply: the client need not wait for it.
    T.wait_for(lambda: sorted(os.listdir(tmp)) == ["young.1"],
               what="tmp/ after QUIT: young.1 only")


if __name__ == "__main__":
    T.main()
