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


@T.test
def courier_sizelist(srv):
    """Courier's courierpop3dsizelist, written here from its format
    ("/2 <next uid> <uidvalidity>", then "<name> <size> <uid>:<uidv>"):
    popd answers Courier's UIDLs, "UID<uid>-<uidvalidity>", keeps them
    when the popcache is lost, and never writes the file."""
    md = srv.maildir("alice")
    names = []
    for i, m in enumerate(MESSAGES[:3]):
        names.append("17000000%02d.M%dP9.courier" % (i, i))
        srv.deliver("alice", m, name=names[-1] + (":2,S" if i else ""),
                    subdir="cur" if i else "new")
    text = "/2 4 1600000000\n" + "".join(
        "%s %d %d:1600000000\n" % (n, len(MESSAGES[i]), i + 1)
        for i, n in enumerate(names))
    path = os.path.join(md, "courierpop3dsizelist")
    with open(path, "w") as f:
        f.write(text)
    want = sorted("UID%d-1600000000" % (i + 1) for i in range(3))
    T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), want,
             "Courier's UIDLs")
    srv.wait_log("3 UIDLs taken from courierpop3dsizelist")
    os.unlink(os.path.join(md, "popcache"))
    T.expect(sorted(m.uidl for m in T.mailbox(srv, "alice")), want,
             "after the popcache is rebuilt")
    T.expect(open(path).read(), text, "Courier's file untouched")
    T.expect(open(os.path.join(md, "popd.migrated")).read().split()[0],
             "courierpop3dsizelist", "the takeover recorded")


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


if __name__ == "__main__":
    T.main()
