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

"""From Dovecot, Courier or qmail to popd without a single re-download:
the real Dovecot (Debian's dovecot-pop3d and dovecot-imapd, a private
instance on loopback) serves a maildir first and writes its
dovecot-uidlist; then popd, pointed at the same maildir, answers the
same UIDLs, sizes and messages, also after losing its popcache, with
Dovecot's default pop3_uidl_format and with another one (popd.conf
uidl-format), and next to Dovecot's IMAP.  Courier's sizelist is written
by the test from its format; qmail's names are popd's own rule."""

import os
import shutil
import poplib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

poplib._MAXLINE = 1 << 20

MESSAGES = [b"Subject: one\r\n\r\nfirst\r\n",
            b"Subject: two\nFrom: a@example.org\n\nsecond, LF only\n",
            b"Subject: three\r\n\r\n" + b"x" * 5000 + b"\r\n",
            b"Subject: four\r\n\r\n.dot at the start\r\nend\r\n",
            b"Subject: five\r\n\r\nfifth\r\n"]


def mailbox(port, user, pw, retr=True):
    """[(uidl, size, message)] from any POP3 server over TLS (message
    None without retr: nothing marked seen)."""
    p = poplib.POP3_SSL(T.HOST, port, context=T.client_ctx(), timeout=30)
    p.user(user)
    p.pass_(pw)
    uidls = dict(ln.split() for ln in p.uidl()[1])
    sizes = dict(ln.split() for ln in p.list()[1])
    out = []
    for n in sorted(uidls, key=int):
        out.append((uidls[n], int(sizes[n]),
                    b"\r\n".join(p.retr(int(n))[1]) if retr else None))
    p.quit()
    return sorted(out)


def dovecot_then_popd(srv, extra=""):
    dovecot = T.need_dovecot()
    for i, m in enumerate(MESSAGES):
        srv.deliver("alice", m, subdir="cur" if i < 2 else "new")
    with T.Dovecot(dovecot, srv, extra=extra) as d:
        before = mailbox(d.port, "alice", srv.password("alice"))
    md = srv.maildir("alice")
    T.expect_true(os.path.exists(os.path.join(md, "dovecot-uidlist")),
                  "Dovecot wrote its dovecot-uidlist", os.listdir(md))
    uidlist = open(os.path.join(md, "dovecot-uidlist"), "rb").read()
    srv.start()
    T.expect(mailbox(srv.port, "alice", srv.password("alice")), before,
             "popd's UIDLs, sizes and messages are Dovecot's")
    srv.wait_log("UIDLs taken from dovecot-uidlist")
    # Sized from Dovecot's W records, checked against the files, not by
    # reading the messages.
    srv.wait_log("%d sized from another server's records" % len(MESSAGES))
    T.expect_true(os.path.exists(os.path.join(md, "popd.migrated")),
                  "the takeover is recorded")
    # Losing the popcache changes nothing.
    os.unlink(os.path.join(md, "popcache"))
    T.expect(mailbox(srv.port, "alice", srv.password("alice")), before,
             "the same after the popcache is rebuilt")
    T.expect(open(os.path.join(md, "dovecot-uidlist"), "rb").read(),
             uidlist, "Dovecot's file untouched")
    # Mail that comes later gets popd's own UIDL, and keeps it.
    srv.deliver("alice", b"Subject: later\r\n\r\nlater\r\n")
    after = mailbox(srv.port, "alice", srv.password("alice"))
    T.expect(len(after), len(before) + 1, "the new message listed")
    os.unlink(os.path.join(md, "popcache"))
    T.expect(mailbox(srv.port, "alice", srv.password("alice")), after,
             "all UIDLs kept through another rebuild")
    return before


@T.test(start=False, timeout=120)
def dovecot_default_format(srv):
    before = dovecot_then_popd(srv)
    # %08Xu%08Xv: 16 hexadecimal digits.
    T.expect_true(all(len(u) == 16 for u, _, _ in before),
                  "Dovecot's default UIDLs", before)


@T.test(start=False, timeout=120, conf_extra='uidl-format "%v-%u"')
def dovecot_other_format(srv):
    before = dovecot_then_popd(srv, extra="pop3_uidl_format = %v-%u\n")
    T.expect_true(all(b"-" in u for u, _, _ in before),
                  "Dovecot's UIDLs in that format", before)


@T.test(start=False, timeout=180)
def coexistence_with_dovecot_imap(srv):
    """Dovecot's IMAP and popd on the same maildir in turn: a message
    popd RETRs is \\Seen in IMAP; IMAP flags one (a rename in cur/),
    moves new/ to cur/ and expunges one; the others keep their UIDLs in
    popd, and Dovecot's numbering stays its own."""
    import imaplib
    dovecot = T.need_dovecot(imap=True)
    for i, m in enumerate(MESSAGES):
        srv.deliver("alice", m, subdir="cur" if i < 2 else "new")
    pw = srv.password("alice")
    # Dovecot's POP3 leaves the flags alone here: only popd's RETR sets
    # one.
    with T.Dovecot(dovecot, srv, imap=True,
                   extra="pop3_no_flag_updates = yes\n") as d:
        before = mailbox(d.port, "alice", pw, retr=False)
    srv.start()
    T.expect(mailbox(srv.port, "alice", pw, retr=False), before,
             "taken over")
    # popd RETRs one message (and so marks it seen) and QUITs.
    p = srv.pop("alice")
    uidls = {n.decode(): u.decode()
             for n, u in (ln.split() for ln in p.uidl()[1])}
    p.retr(1)
    seen_uid = int(uidls["1"][:8], 16)
    p.quit()
    with T.Dovecot(dovecot, srv, imap=True) as d:
        im = imaplib.IMAP4_SSL(T.HOST, d.imap_port,
                               ssl_context=T.client_ctx())
        im.login("alice", pw)
        im.select("INBOX")
        typ, data = im.uid("FETCH", "1:*", "(FLAGS)")
        flags = {int(x.split()[2]): x for x in data if x}
        T.expect(sorted(u for u, f in flags.items() if b"\\Seen" in f),
                 [seen_uid], "popd's RETR, and only it, is \\Seen in IMAP")
        uids = sorted(flags)
        flagged, expunged = uids[1], uids[-1]
        im.uid("STORE", str(flagged), "+FLAGS", "(\\Flagged)")
        im.uid("STORE", str(expunged), "+FLAGS", "(\\Deleted)")
        im.expunge()
        im.logout()
    T.expect(T.files(srv.maildir("alice"), "new"), [],
             "IMAP moved new/ to cur/")
    after = mailbox(srv.port, "alice", pw, retr=False)
    gone = "%08x" % expunged
    T.expect(sorted(u for u, _, _ in after),
             sorted(u for u, _, _ in before if not u.decode().startswith(
                 gone)), "the others keep their UIDLs in popd")
    T.expect_true(any("F" in n.split(":2,")[-1]
                      for n in T.files(srv.maildir("alice"), "cur")),
                  "IMAP's flag is in a name", T.files(srv.maildir("alice"),
                                                      "cur"))


def courier_maildir(srv):
    """Three messages and Courier's courierpop3dsizelist for them, written
    here from its format ("/2 <next uid> <uidvalidity>", then "<name>
    <size> <uid>:<uidv>"); returns the file's text and the UIDLs Courier
    answered, "UID<uid>-<uidvalidity>"."""
    md = srv.maildir("alice")
    names = []
    for i, m in enumerate(MESSAGES[:3]):
        names.append("17000000%02d.M%dP9.courier" % (i, i))
        srv.deliver("alice", m, name=names[-1] + (":2,S" if i else ""),
                    subdir="cur" if i else "new")
    text = "/2 4 1600000000\n" + "".join(
        "%s %d %d:1600000000\n" % (n, len(MESSAGES[i]), i + 1)
        for i, n in enumerate(names))
    with open(os.path.join(md, "courierpop3dsizelist"), "w") as f:
        f.write(text)
    return text, sorted("UID%d-1600000000" % (i + 1) for i in range(3))


@T.test
def courier_sizelist(srv):
    """Courier's UIDLs: popd answers them, keeps them when the popcache
    is lost, records them in popd.migrated and never writes Courier's
    file."""
    md = srv.maildir("alice")
    text, want = courier_maildir(srv)
    T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), want,
             "Courier's UIDLs")
    srv.wait_log("3 UIDLs taken from courierpop3dsizelist")
    os.unlink(os.path.join(md, "popcache"))
    T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), want,
             "after the popcache is rebuilt")
    T.expect(open(os.path.join(md, "courierpop3dsizelist")).read(), text,
             "Courier's file untouched")
    rec = open(os.path.join(md, "popd.migrated")).read().splitlines()
    T.expect(rec[0], "popd.migrated 2 courierpop3dsizelist 3",
             "the takeover recorded")
    T.expect(sorted(ln.split()[0] for ln in rec[1:-1]), want,
             "the UIDLs taken over, in the record")


def imap_open(dovecot, srv, pw):
    """Dovecot's IMAP opens alice's INBOX (and so writes its own
    dovecot-uidlist, with its own UIDs and UIDVALIDITY) and logs out."""
    import imaplib
    with T.Dovecot(dovecot, srv, imap=True) as d:
        im = imaplib.IMAP4_SSL(T.HOST, d.imap_port,
                               ssl_context=T.client_ctx())
        im.login("alice", pw)
        im.select("INBOX")
        typ, data = im.uid("FETCH", "1:*", "(FLAGS)")
        T.expect(typ, "OK", "IMAP FETCH")
        im.logout()


def dovecot_imap_binary():
    dovecot = T.find_dovecot(imap=True)
    if dovecot is None or not os.path.exists("/usr/lib/dovecot/imap"):
        raise T.Skip("dovecot-imapd cannot be installed")
    return dovecot


@T.test(timeout=180)
def courier_then_dovecot_imap(srv):
    """Courier's UIDLs taken over; then Dovecot's IMAP, which may run
    next to popd, opens the maildir and writes a dovecot-uidlist of its
    own, and the popcache is lost: popd still answers Courier's UIDLs,
    from popd.migrated alone."""
    dovecot = dovecot_imap_binary()
    md = srv.maildir("alice")
    text, want = courier_maildir(srv)
    pw = srv.password("alice")
    T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), want,
             "Courier's UIDLs")
    imap_open(dovecot, srv, pw)
    T.expect_true(os.path.exists(os.path.join(md, "dovecot-uidlist")),
                  "Dovecot's IMAP wrote its dovecot-uidlist", os.listdir(md))
    os.unlink(os.path.join(md, "popcache"))
    T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), want,
             "Courier's UIDLs after Dovecot's IMAP wrote its list and "
             "the popcache was lost")
    # Mail that comes later keeps popd's own UIDL through a rebuild.
    srv.deliver("alice", b"Subject: later\r\n\r\nlater\r\n",
                name="1800000000.M1P1.later")
    imap_open(dovecot, srv, pw)
    os.unlink(os.path.join(md, "popcache"))
    T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")),
             sorted(want + ["1800000000.M1P1.later"]),
             "a later message has popd's own UIDL")


@T.test(start=False, timeout=180)
def dovecot_imap_then_popd(srv):
    """A maildir Dovecot's IMAP opened first: Dovecot 2.3 writes the
    header of its dovecot-uidlist ("N1") and appends the records after
    it without rewriting the header, so the header's next UID is no
    limit.  popd takes every message's UIDL over, the one Dovecot's POP3
    answers."""
    dovecot = dovecot_imap_binary()
    md = srv.maildir("alice")
    pw = srv.password("alice")
    for i, m in enumerate(MESSAGES):
        srv.deliver("alice", m, name="17000002%02d.M%dP4.imap" % (i, i))
    imap_open(dovecot, srv, pw)
    lines = open(os.path.join(md, "dovecot-uidlist")).read().splitlines()
    v = int(lines[0].split()[1][1:])
    want = sorted("%08x%08x" % (int(ln.split()[0]), v) for ln in lines[1:])
    T.expect(len(want), len(MESSAGES), "a record per message")
    srv.start()
    T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), want,
             "Dovecot's UIDLs, also of records after the header's N")
    with T.Dovecot(dovecot, srv) as d:
        T.expect(sorted(u.decode() for u, _, _ in
                        mailbox(d.port, "alice", pw, retr=False)), want,
                 "what Dovecot's POP3 answers")


@T.test(timeout=180)
def popd_first_then_dovecot_imap(srv):
    """A maildir popd served from the start (its own UIDLs, the file
    names); Dovecot's IMAP then writes a dovecot-uidlist and the
    popcache is lost: the UIDLs served stay, none is taken from
    Dovecot's file."""
    dovecot = dovecot_imap_binary()
    md = srv.maildir("alice")
    for i, m in enumerate(MESSAGES):
        srv.deliver("alice", m, name="17000001%02d.M%dP3.first" % (i, i))
    before = sorted(m.uidl for m in T.mailbox(srv, "alice"))
    imap_open(dovecot, srv, srv.password("alice"))
    T.expect_true(os.path.exists(os.path.join(md, "dovecot-uidlist")),
                  "Dovecot's IMAP wrote its dovecot-uidlist", os.listdir(md))
    os.unlink(os.path.join(md, "popcache"))
    T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), before,
             "popd's own UIDLs after the popcache was lost")
    T.expect(open(os.path.join(md, "popd.migrated")).readline(),
             "popd.migrated 2 - 0\n", "nothing taken over, recorded")


@T.test(start=False, timeout=180)
def dovecot_uidvalidity_changes(srv):
    """Dovecot's UIDLs taken over; then Dovecot starts a new UIDVALIDITY
    (its dovecot-uidlist lost: it numbers every message anew) and the
    popcache is lost: popd's UIDLs do not change."""
    dovecot = T.find_dovecot()
    if dovecot is None:
        raise T.Skip("dovecot-pop3d cannot be installed")
    md = srv.maildir("alice")
    pw = srv.password("alice")
    for i, m in enumerate(MESSAGES):
        srv.deliver("alice", m, subdir="cur" if i < 2 else "new")
    with T.Dovecot(dovecot, srv) as d:
        before = mailbox(d.port, "alice", pw, retr=False)
    uidlist = os.path.join(md, "dovecot-uidlist")
    v1 = open(uidlist).readline().split()[1]
    srv.start()
    T.expect(mailbox(srv.port, "alice", pw, retr=False), before,
             "Dovecot's UIDLs taken over")
    os.unlink(uidlist)
    with T.Dovecot(dovecot, srv) as d:
        again = mailbox(d.port, "alice", pw, retr=False)
    v2 = open(uidlist).readline().split()[1]
    T.expect_true(v1 != v2, "a new UIDVALIDITY", (v1, v2))
    T.expect_true(again != before, "Dovecot's own UIDLs changed", again)
    os.unlink(os.path.join(md, "popcache"))
    T.expect(mailbox(srv.port, "alice", pw, retr=False), before,
             "popd's UIDLs after Dovecot's new UIDVALIDITY and the loss "
             "of the popcache")


def wrkrpop_peak_kb(srv):
    """VmHWM of the session's wrkrpop (one session open), in kB."""
    peaks = []
    for pid in srv.pids()["wrkrpop"]:
        with open("/proc/%d/status" % pid) as f:
            peaks += [int(ln.split()[1]) for ln in f
                      if ln.startswith("VmHWM:")]
    T.expect(len(peaks), 1, "one wrkrpop")
    return peaks[0]


PEAK_KB = 16 * 1024


@T.test(timeout=180)
def large_uidlist_bounded_memory(srv):
    """A 30 MB dovecot-uidlist, nearly all of it records of files that
    are not in the maildir (and one 1 MB line), on a maildir of three
    messages: the wrkrpop reads it a line at a time and keeps only the
    records of those three, so its peak resident memory stays under
    16 MB, less than the file, and the three get Dovecot's UIDLs."""
    md = srv.maildir("alice")
    names = ["1700000300.M%dP1.big" % i for i in range(3)]
    for i, n in enumerate(names):
        srv.deliver("alice", MESSAGES[i], name=n, subdir="cur")
    total = 2000000
    uids = {names[0]: 1, names[1]: total // 2, names[2]: total + 2}
    with open(os.path.join(md, "dovecot-uidlist"), "w") as f:
        f.write("3 V1600000000 N%d Gabc\n" % (total + 3))
        f.write("1 :%s\n" % names[0])
        for uid in range(2, total + 2):
            if uid == total // 2:
                f.write("%d W12 :%s\n" % (uid, names[1]))
            else:
                f.write("%d :x%d\n" % (uid, uid))
        f.write("%d P%s :%s\n" % (total + 1, "y" * 1000000, "long"))
        f.write("%d :%s\n" % (total + 2, names[2]))
    size = os.path.getsize(os.path.join(md, "dovecot-uidlist"))
    T.expect_true(size > 25 << 20, "a big file", size)
    p = srv.pop("alice")
    try:
        got = sorted(ln.split()[1].decode() for ln in p.uidl()[1])
        peak = wrkrpop_peak_kb(srv)
        p.quit()
    finally:
        p.close()
    T.expect(got, sorted("%08x%08x" % (uids[n], 1600000000)
                         for n in names), "Dovecot's UIDLs of the three")
    T.expect_true(peak < PEAK_KB, "wrkrpop's peak RSS under %d kB (the "
                  "file: %d kB)" % (PEAK_KB, size >> 10), peak)
    srv.wait_log("3 UIDLs taken from dovecot-uidlist")


@T.test
def damaged_record_refused(srv):
    """popd.migrated is what keeps taken-over UIDLs: one that does not
    check (a changed byte, cut short) is refused with a log line naming
    it, and a session that would have to build the list without it gets
    -ERR [SYS/PERM] rather than other UIDLs; a session whose popcache is
    current is served as before; the record put back, all is as it
    was."""
    md = srv.maildir("alice")
    text, want = courier_maildir(srv)
    T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), want,
             "Courier's UIDLs")
    path = os.path.join(md, "popd.migrated")
    good = open(path, "rb").read()
    # A changed UIDL (the checksum catches it), then a cut.
    for n, bad in enumerate((good.replace(b"UID2-", b"UID7-"),
                             good[:len(good) // 2])):
        with open(path, "wb") as f:
            f.write(bad)
        T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), want,
                 "a current popcache does not need the record")
        os.unlink(os.path.join(md, "popcache"))
        try:
            p = srv.pop("alice")
            p.quit()
            T.expect_true(False, "login refused")
        except poplib.error_proto as e:
            T.expect_true(b"[SYS/PERM]" in e.args[0], "[SYS/PERM]", e)
        srv.wait_log("popd.migrated:5: the checksum does not match"
                     if n == 0 else "popd.migrated:3: cut short")
        T.expect(open(path, "rb").read(), bad, "the record left alone")
        T.expect_true(not os.path.exists(os.path.join(md, "popcache")),
                      "no list was written")
        with open(path, "wb") as f:
            f.write(good)
        T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), want,
                 "the record put back")


@T.test(start=False, timeout=300, check_alive=False)
def takeover_on_a_full_disk(srv):
    """UIDLs taken over are served only once popd.migrated is written:
    on a full disk the login gets -ERR [SYS/TEMP] and nothing is
    written; once there is room the takeover is done and recorded."""
    import subprocess
    T.need_root()
    md = srv.maildir("alice")
    shutil.rmtree(md)
    os.mkdir(md)
    uid, gid = srv.uid("alice"), srv.gid("alice")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700,"
                        "uid=%d,gid=%d" % (uid, gid), "tmpfs", md],
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise T.Skip("cannot mount a tmpfs: %s" % r.stderr.decode())
    try:
        for sub in ("tmp", "new", "cur"):
            os.mkdir(os.path.join(md, sub), 0o700)
            os.chown(os.path.join(md, sub), uid, gid)
        text, want = courier_maildir(srv)
        filler = os.path.join(md, ".filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        srv.start()
        try:
            p = srv.pop("alice")
            p.quit()
            T.expect_true(False, "login refused")
        except poplib.error_proto as e:
            T.expect_true(b"[SYS/TEMP]" in e.args[0], "[SYS/TEMP]", e)
        srv.wait_log("popd.migrated: not written")
        T.expect(sorted(f for f in os.listdir(md) if f.startswith("pop")),
                 ["popd.lock"], "neither popd.migrated nor popcache "
                 "written")
        os.unlink(filler)
        T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), want,
                 "Courier's UIDLs once there is room")
        T.expect(open(os.path.join(md, "popd.migrated")).readline(),
                 "popd.migrated 2 courierpop3dsizelist 3\n", "recorded")
    finally:
        if srv.running:
            srv.stop()
        subprocess.run(["umount", "-l", md])


@T.test
def record_version_1_taken_over_again(srv):
    """A popd.migrated of version 1 (the file and its limit only, "<file>
    V<uidvalidity> N<next uid>") is read once more from its file, within
    that limit, and replaced by a record of the UIDLs; from then on
    Dovecot's file no longer counts."""
    md = srv.maildir("alice")
    names = ["1700000400.M%dP1.v1" % i for i in range(3)]
    for i, n in enumerate(names):
        srv.deliver("alice", MESSAGES[i], name=n, subdir="cur")
    with open(os.path.join(md, "dovecot-uidlist"), "w") as f:
        f.write("3 V1600000000 N4 Gabc\n" + "".join(
            "%d :%s\n" % (i + 1, n) for i, n in enumerate(names)))
    with open(os.path.join(md, "popd.migrated"), "w") as f:
        f.write("dovecot-uidlist V1600000000 N3\n")
    want = sorted(["%08x%08x" % (1, 1600000000),
                   "%08x%08x" % (2, 1600000000), names[2]])
    T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), want,
             "UIDs below N from Dovecot, popd's own for the third")
    T.expect(open(os.path.join(md, "popd.migrated")).readline(),
             "popd.migrated 2 dovecot-uidlist 2\n", "the new record")
    with open(os.path.join(md, "dovecot-uidlist"), "w") as f:
        f.write("3 V1700000000 N4 Gabc\n" + "".join(
            "%d :%s\n" % (i + 1, n) for i, n in enumerate(names)))
    os.unlink(os.path.join(md, "popcache"))
    T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), want,
             "the same after Dovecot's new UIDVALIDITY")


@T.test
def qmail_names(srv):
    """qmail-pop3d and vpopmail answer a message's file name up to ':':
    popd's own UIDL is the same, in new/ and in cur/ with flags."""
    names = ["1700000000.12345.mail.example.org",
             "1700000001.12346.mail.example.org"]
    srv.deliver("alice", MESSAGES[0], name=names[0])
    srv.deliver("alice", MESSAGES[1], name=names[1] + ":2,RS", subdir="cur")
    T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), names,
             "the names up to ':'")


@T.test
def unusable_records_fall_back(srv):
    """A uidlist of another server's making: records whose UIDL would be
    too long, given twice, or a bad line fall back to popd's own, and
    the others are taken; logged once for the maildir."""
    md = srv.maildir("alice")
    names = []
    for i in range(4):
        names.append("170000000%d.M%dP1.host" % (i, i))
        srv.deliver("alice", b"Subject: %d\r\n\r\nbody\r\n" % i,
                    name=names[-1], subdir="cur")
    with open(os.path.join(md, "dovecot-uidlist"), "w") as f:
        f.write("3 V1600000000 N10 Gabc\n")
        f.write("1 W9999 :%s\n" % names[0])     # a W that cannot be
        f.write("2 P%s :%s\n" % ("y" * 71, names[1]))     # too long
        f.write("3 Pdup :%s\n4 Pdup :%s\n" % (names[2], names[3]))
        f.write("garbage line\n")
    msgs = T.mailbox(srv, "alice")
    T.expect(sorted(m.size for m in msgs),
             sorted(T.rfc_size(b"Subject: %d\r\n\r\nbody\r\n" % i)
                    for i in range(4)), "sizes: a W that does not fit is "
             "not believed")
    got = sorted(m.uidl for m in msgs)
    T.expect(got, sorted(["%08x%08x" % (1, 1600000000)] + names[1:]),
             "the first taken over, popd's own (the name) for the others")
    srv.wait_log("4 records unusable")


@T.test
def dovecot_size_of_a_last_line_without_end(srv):
    """Dovecot's W adds no CRLF after a last line that has none; popd
    does (and sends it), so the record is taken plus 2, from the file's
    last octet, without reading the message."""
    md = srv.maildir("alice")
    data = b"Subject: open end\n\nno line end"
    name = "1700000100.M1P1.host"
    srv.deliver("alice", data, name=name, subdir="cur")
    with open(os.path.join(md, "dovecot-uidlist"), "w") as f:
        f.write("3 V1600000000 N2 Gabc\n1 W%d :%s\n"
                % (len(data) + data.count(b"\n"), name))
    msgs = T.mailbox(srv, "alice", retr=True)
    T.expect(msgs[0].size, T.rfc_size(data), "LIST")
    T.expect(len(msgs[0].data), T.rfc_size(data), "RETR as announced")
    srv.wait_log("1 sized from another server's records")


@T.test(start=False)
def migration_report(srv):
    """popd -m says, per maildir, how many UIDLs would come from the
    previous server and how many would be popd's own; it writes
    nothing."""
    import subprocess
    md = srv.maildir("alice")
    for i in range(3):
        srv.deliver("alice", b"Subject: %d\r\n\r\nx\r\n" % i,
                    name="170000000%d.M%dP1.host" % (i, i), subdir="cur")
    with open(os.path.join(md, "dovecot-uidlist"), "w") as f:
        f.write("3 V1600000000 N3 Gabc\n1 :1700000000.M0P1.host\n"
                "2 :1700000001.M1P1.host\n")
    srv.deliver("bob", b"Subject: b\r\n\r\nb\r\n")
    srv.port = T.free_port()
    srv.argv()          # writes the configuration file
    r = subprocess.run([T.POPD, "-m", "-f", srv.conffile],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    out = r.stdout.decode()
    T.expect(r.returncode, 0, "exit status (%s)" % out)
    T.expect_true("alice: %s: 3 messages, 2 UIDLs from dovecot-uidlist, "
                  "1 popd's own" % md in out, "alice's line", out)
    T.expect_true("bob: %s: 1 messages, popd's own UIDLs" %
                  srv.maildir("bob") in out, "bob's line", out)
    T.expect(sorted(os.listdir(md)), ["cur", "dovecot-uidlist", "new",
                                      "tmp"], "nothing written")

    # Read as each user by its own wrkrpop: a maildir already served and
    # a maildir that is missing each get their line, and the status says
    # something went wrong.
    open(os.path.join(srv.maildir("bob"), "popcache"), "w").close()
    shutil.rmtree(md)
    r = subprocess.run([T.POPD, "-m", "-f", srv.conffile],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    out = r.stdout.decode()
    T.expect(r.returncode, 1, "exit status (%s)" % out)
    T.expect_true("alice: %s: No such file or directory" % md in out,
                  "alice's line", out)
    T.expect_true("bob: %s: served by popd already (popcache)" %
                  srv.maildir("bob") in out, "bob's line", out)


@T.test(start=False, users=[("alice", "pw1"), ("bob", "pw2"),
                             ("carol", "pw3")])
def migration_report_past_a_worker_that_cannot_start(srv):
    """popd -m goes on past a user whose wrkrpop cannot start: bob may
    not execute wrkrpop (its group is bob's, with no rights, so the
    kernel refuses his execve with EACCES, whatever the others' bits
    say); alice before him and carol after him are read, bob's line and
    the log name him, and the exit status is 1.  A copy of the build
    (popd finds its helpers next to itself), so the tree's wrkrpop stays
    as it is."""
    import subprocess
    T.need_root()
    T.expect_true(len({srv.gid(u) for u in ("alice", "bob", "carol")}) == 3,
                  "each user a group of its own")
    for u in ("alice", "bob", "carol"):
        srv.deliver(u, b"Subject: %s\r\n\r\nx\r\n" % u.encode())
    top = os.path.join(srv.tmpdir, "build")
    T.copy_programs(top)
    wrkrpop = os.path.join(top, "wrkrpop", "wrkrpop")
    os.chown(wrkrpop, 0, srv.gid("bob"))
    os.chmod(wrkrpop, 0o705)
    srv.port = T.free_port()
    srv.argv()          # writes the configuration file
    r = subprocess.run([os.path.join(top, "popd", "popd"), "-m", "-f",
                        srv.conffile], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    out = r.stdout.decode()
    T.expect(r.returncode, 1, "exit status (%s)" % out)
    for u in ("alice", "carol"):
        T.expect_true("%s: %s: 1 messages, popd's own UIDLs" %
                      (u, srv.maildir(u)) in out, u + "'s line", out)
    T.expect_true("bob: %s: not read: cannot start wrkrpop: Permission "
                  "denied" % srv.maildir("bob") in out, "bob's line", out)
    T.expect_true("wrkrpop for bob: exec %s: Permission denied" % wrkrpop
                  in out, "the log names bob and the failure", out)
    T.expect_true(out.index("alice:") < out.index("bob:") <
                  out.index("carol:"), "bob is read between the two", out)


def fnv64(data):
    """64-bit FNV-1a, popd.migrated's checksum, from popcache(5)."""
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def write_record(path, source, recs):
    """popd.migrated as popcache(5) describes it, written here."""
    body = "popd.migrated 2 %s %d\n" % (source, len(recs)) + "".join(
        "%s %s\n" % (u, n) for u, n in recs)
    with open(path, "w") as f:
        f.write(body + "end %d %016x\n" % (len(recs),
                                           fnv64(body.encode())))


@T.test(start=False)
def migration_report_after_takeover(srv):
    """popd -m on a maildir taken over already whose popcache is gone:
    the UIDLs come from popd.migrated (written here from popcache(5)),
    not from Dovecot's file; a damaged record is reported and the exit
    status is 1; a session then answers the record's UIDLs."""
    import subprocess
    md = srv.maildir("alice")
    names = ["170000050%d.M%dP1.host" % (i, i) for i in range(3)]
    for i, n in enumerate(names):
        srv.deliver("alice", b"Subject: %d\r\n\r\nx\r\n" % i, name=n,
                    subdir="cur")
    with open(os.path.join(md, "dovecot-uidlist"), "w") as f:
        f.write("3 V1600000000 N9 Gabc\n" + "".join(
            "%d :%s\n" % (i + 5, n) for i, n in enumerate(names)))
    path = os.path.join(md, "popd.migrated")
    write_record(path, "dovecot-uidlist", [("kept-0", names[0]),
                                           ("kept-1", names[1]),
                                           ("gone", "1600000000.M9P9.x")])
    srv.port = T.free_port()
    srv.argv()

    def report():
        r = subprocess.run([T.POPD, "-m", "-f", srv.conffile],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60)
        return r.returncode, r.stdout.decode()
    status, out = report()
    T.expect(status, 0, "exit status (%s)" % out)
    T.expect_true("alice: %s: 3 messages, 2 UIDLs from popd.migrated, 1 "
                  "popd's own" % md in out, "alice's line", out)
    good = open(path).read()
    with open(path, "w") as f:
        f.write(good.replace("kept-1", "kept-2"))
    status, out = report()
    T.expect(status, 1, "exit status (%s)" % out)
    T.expect_true("alice: %s: popd.migrated is damaged" % md in out,
                  "alice's line", out)
    with open(path, "w") as f:
        f.write(good)
    srv.start()
    T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")),
             sorted(["kept-0", "kept-1", names[2]]), "the record's UIDLs")
    T.expect(open(path).read(), good, "the record unchanged")


if __name__ == "__main__":
    T.main()
