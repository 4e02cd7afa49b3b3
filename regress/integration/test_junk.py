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


"""popd.conf(5) junk FOLDER merge [tag [subject PREFIX]]: the messages
a spam filter filed into a Maildir++ folder (.Junk) follow INBOX's in
the maildrop, tagged by RETR and TOP (X-Spam-Flag: YES, or a subject
prefix), with sizes that count the tag exactly; their UIDLs never
collide with INBOX's and stay when Dovecot's IMAP moves a message
between the two (its GUID in dovecot-uidlist); DELE removes from the
folder, and maildirsize, EXPIRE, the records and the journal follow.
Dovecot's LDA files a message with Sieve's fileinto "Junk" where
dovecot-sieve can be had.  junk users: each user's own folder, tag or
none, from a file (a bad line a file:line error, a reload for new
sessions) or from a database through table-sqlite (a bad answer or a
broken database -ERR [SYS/TEMP], never a wrong password or a session
without the folder)."""

import imaplib
import os
import re
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402
import dbtest as D  # noqa: E402

TAG = b"X-Spam-Flag: YES\r\n"
JUNK = "junk Junk merge tag\n"

# Messages of every shape the octet counts must hold for: a line
# starting with '.', bare LF, no final newline, a lone ".".
SHAPES = [
    b"From: spam@example.org\r\nSubject: cheap\r\n\r\n.hidden dot\r\n"
    b"..two dots\r\n.\r\nend\r\n",
    b"From: spam@example.org\nSubject: lf only\n\nline one\n.dot\nlast",
    b"Subject: no from\r\n\r\nbody\r\n",
]


def filed(srv, user, data, folder="Junk", sub="new", name=None):
    """A message written into .FOLDER as a filter would (tmp/, then a
    rename into new/), owned by the user; its file name."""
    top = srv.folder(user, "." + folder)
    if name is None:
        T.Server._seq += 1
        name = "%d.M%dP%dQ%d.filter" % (time.time(), time.time_ns() %
                                        1000000, os.getpid(),
                                        T.Server._seq)
    tmp = os.path.join(top, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    if T.is_root:
        os.chown(tmp, srv.uid(user), srv.gid(user))
    os.rename(tmp, os.path.join(top, sub, name))
    return name


def junk_files(srv, user="alice", folder="Junk"):
    top = os.path.join(srv.maildir(user), "." + folder)
    return sorted(os.listdir(os.path.join(top, "new")) +
                  os.listdir(os.path.join(top, "cur")))


def listing(r):
    """STAT, LIST and UIDL of a logged-in Raw client: (count, octets,
    [size], [uidl])."""
    st = r.ok("STAT").split()
    r.ok("LIST")
    sizes = [int(ln.split()[1]) for ln in r.multiline()]
    r.ok("UIDL")
    uidls = [ln.split()[1].decode() for ln in r.multiline()]
    return int(st[1]), int(st[2]), sizes, uidls


def retr(r, n):
    """RETR n: the message as sent, unstuffed, CRLFs kept, and the octet
    count its +OK announced."""
    ok = r.ok("RETR %d" % n)
    return b"".join(ln + b"\r\n" for ln in r.multiline()), \
        int(ok.split()[1])


def crlf(data):
    """data as RFC 1939 sends it, before dot-stuffing."""
    out = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return out if out.endswith(b"\r\n") else out + b"\r\n"


@T.test(conf_extra=JUNK)
def junk_after_inbox_tagged_exact(srv):
    """INBOX's messages first, then the folder's, each with the tag
    line first; LIST, STAT, the RETR announcement and the scan listing
    count it, CRLF and dot-stuffing included; TOP 0 and TOP n send it
    as a header line."""
    inbox = [b"Subject: in one\r\n\r\nhello\r\n",
             b"Subject: in two\r\n\r\n.dot in inbox\r\n"]
    names = [srv.deliver("alice", m, name="17000000%02d.M1P1.in" % i)
             for i, m in enumerate(inbox)]
    jnames = [filed(srv, "alice", m, name="16000000%02d.M1P1.spam" % i)
              for i, m in enumerate(SHAPES)]
    want = [crlf(m) for m in inbox] + [TAG + crlf(m) for m in SHAPES]
    with srv.raw() as r:
        r.line()
        greet = r.login("alice", srv.password("alice"))
        count, octets, sizes, uidls = listing(r)
        T.expect(count, 5, "STAT counts INBOX's and the folder's")
        T.expect(sizes, [len(w) for w in want],
                 "LIST: RFC 1939 sizes, the tag included")
        T.expect(octets, sum(sizes), "STAT's octets")
        T.expect_true(b"(%d octets)" % octets in greet,
                      "the PASS answer's octets", greet)
        # The folder's come after INBOX's although their names sort
        # first; the UIDLs are the unique names, as in INBOX.
        T.expect(uidls, names + jnames, "UIDLs, INBOX's first")
        for i, w in enumerate(want):
            got, announced = retr(r, i + 1)
            T.expect(got, w, "RETR %d's bytes" % (i + 1))
            T.expect(announced, sizes[i], "RETR %d's +OK octets" % (i + 1))
        # As sent: the line starting with '.' is stuffed after the tag.
        r.ok("RETR 3")
        raw = r.block()
        T.expect_true(raw.startswith(TAG + b"From: spam@example.org\r\n")
                      and b"\r\n..hidden dot\r\n...two dots\r\n..\r\n"
                      in raw, "the tag, then the message dot-stuffed",
                      raw)
        T.expect(len(raw) - raw.count(b"\r\n.."), sizes[2],
                 "the octets sent less the stuffed dots")
        r.ok("TOP 3 0")
        T.expect(r.multiline(), [b"X-Spam-Flag: YES",
                                 b"From: spam@example.org",
                                 b"Subject: cheap", b""],
                 "TOP 0: the tag is a header line")
        r.ok("TOP 4 1")
        T.expect(r.multiline(), [b"X-Spam-Flag: YES",
                                 b"From: spam@example.org",
                                 b"Subject: lf only", b"", b"line one"],
                 "TOP 1: one body line after the headers and the tag")
        r.ok("TOP 1 0")
        T.expect(r.multiline(), [b"Subject: in one", b""],
                 "INBOX's messages are not tagged")
        r.ok("QUIT")
    # Retrieved: seen, in cur/ with flag S, as in INBOX.
    T.expect(junk_files(srv), sorted(n + ":2,S" for n in jnames),
             "the folder's files, seen")
    # A second session reads the folder's popcache: the same listing.
    with srv.raw() as r:
        r.line()
        r.login("alice", srv.password("alice"))
        T.expect(listing(r), (count, octets, sizes, uidls),
                 "the listing of a warm open")
        r.ok("QUIT")
    T.expect_true(os.path.exists(os.path.join(srv.maildir("alice"),
                                              ".Junk", "popcache")),
                  "the folder's own popcache")


@T.test(conf_extra=JUNK)
def junk_already_flagged_not_twice(srv):
    """Issue 70: spam a filter already marked with X-Spam-Flag: YES (any
    case, LF or CRLF, not first) gets no second one; LIST, STAT, the
    RETR announcement and its bytes, and TOP agree; a message with
    X-Spam-Flag: NO, or the field only in its body, is tagged.  The
    file is not changed."""
    msgs = [
        b"X-Spam-Flag: YES\r\nSubject: marked\r\n\r\n.dot\r\n",
        b"From: a@x\nx-spam-flag:  yes\nSubject: lf\n\nbody",
        b"X-Spam-Flag: NO\r\nSubject: ham-ish\r\n\r\nb\r\n",
        b"Subject: body\r\n\r\nX-Spam-Flag: YES\r\n",
    ]
    want = [crlf(msgs[0]), crlf(msgs[1]), TAG + crlf(msgs[2]),
            TAG + crlf(msgs[3])]
    names = [filed(srv, "alice", m, name="16000000%02d.M1P1.spam" % i)
             for i, m in enumerate(msgs)]
    with srv.raw() as r:
        r.line()
        greet = r.login("alice", srv.password("alice"))
        count, octets, sizes, _ = listing(r)
        T.expect(sizes, [len(w) for w in want],
                 "LIST: no tag counted where the header is already")
        T.expect(octets, sum(sizes), "STAT's octets")
        T.expect_true(b"(%d octets)" % octets in greet,
                      "the PASS answer's octets", greet)
        for i, w in enumerate(want):
            got, n = retr(r, i + 1)
            T.expect((got, n), (w, sizes[i]), "RETR %d" % (i + 1))
            head = got.split(b"\r\n\r\n")[0]
            T.expect(len(re.findall(rb"(?im)^x-spam-flag:[ \t]*yes\r?$",
                                    head)), 1,
                     "one X-Spam-Flag: YES in the header of %d" % (i + 1))
        r.ok("TOP 1 0")
        T.expect(r.multiline(), [b"X-Spam-Flag: YES", b"Subject: marked",
                                 b""], "TOP 0: the header once")
        r.ok("TOP 2 0")
        T.expect(r.multiline(), [b"From: a@x", b"x-spam-flag:  yes",
                                 b"Subject: lf", b""],
                 "TOP 0: the filter's header only")
        r.ok("QUIT")
    for n, m in zip(names, msgs):
        with open(os.path.join(srv.maildir("alice"), ".Junk", "cur",
                               n + ":2,S"), "rb") as f:
            T.expect(f.read(), m, "the file of %s unchanged" % n)
    T.expect_true("announced" not in srv.log(),
                  "no \"sent ... announced\" warning", srv.log_tail(5))


@T.test(conf_extra=JUNK)
def junk_big_messages_exact(srv):
    """Messages of 256 KB and more are sent from a mapping: the tag
    before them, their octets exact, in the folder's new/ and cur/."""
    big = b"Subject: big\n\n" + b".dotted line of text\nplain line\n" * 12000
    bigger = b"Subject: bigger\r\n\r\n" + \
        b"".join(b"%06d ....\r\n.\r\n" % i for i in range(30000))
    filed(srv, "alice", big, name="1600000001.M1P1.big")
    filed(srv, "alice", bigger, sub="cur", name="1600000002.M1P1.bigger:2,S")
    with srv.raw() as r:
        r.line()
        r.login("alice", srv.password("alice"))
        count, octets, sizes, _ = listing(r)
        T.expect(sizes, [len(TAG + crlf(big)), len(TAG + crlf(bigger))],
                 "LIST of big messages, the tag included")
        for i, m in enumerate((big, bigger)):
            got, n = retr(r, i + 1)
            T.expect((got == TAG + crlf(m), n), (True, sizes[i]),
                     "RETR %d exact" % (i + 1))
        r.ok("QUIT")
    T.expect_true("announced" not in srv.log(),
                  "no \"sent ... announced\" warning", srv.log_tail(5))


@T.test(conf_extra='junk Junk merge tag subject "[SPAM] "\n')
def junk_subject_prefix_exact(srv):
    """tag subject: the prefix goes before the Subject's value; a
    message without a Subject in its first 8 KB gets a Subject line of
    the prefix first.  Sizes exact, TOP counts it in the header."""
    msgs = [
        (b"From: a@x\r\nSubject: cheap pills\r\n\r\n.dot\r\n",
         b"From: a@x\r\nSubject: [SPAM] cheap pills\r\n\r\n.dot\r\n"),
        (b"From: a@x\nsubject:\tfolded\n more\n\nbody",
         b"From: a@x\r\nsubject:\t[SPAM] folded\r\n more\r\n\r\nbody\r\n"),
        (b"From: a@x\r\n\r\nSubject: in the body\r\n",
         b"Subject: [SPAM] \r\nFrom: a@x\r\n\r\nSubject: in the body\r\n"),
        (b"X-Long: " + b"y" * 9000 + b"\r\nSubject: late\r\n\r\nz\r\n",
         b"Subject: [SPAM] \r\nX-Long: " + b"y" * 9000 +
         b"\r\nSubject: late\r\n\r\nz\r\n"),
        (b"Subject:", b"Subject:[SPAM] \r\n"),
    ]
    for i, (m, _) in enumerate(msgs):
        filed(srv, "alice", m, name="16000000%02d.M1P1.spam" % i)
    big = b"Subject: big\r\n\r\n" + b"0123456789abcdef\r\n" * 20000
    filed(srv, "alice", big, name="1600000099.M1P1.big")
    want = [w for _, w in msgs] + [b"Subject: [SPAM] big\r\n\r\n" +
                                   b"0123456789abcdef\r\n" * 20000]
    with srv.raw() as r:
        r.line()
        r.login("alice", srv.password("alice"))
        count, octets, sizes, uidls = listing(r)
        T.expect(sizes, [len(w) for w in want], "LIST with the prefix")
        T.expect(octets, sum(sizes), "STAT")
        for i, w in enumerate(want):
            got, n = retr(r, i + 1)
            T.expect((got, n), (w, sizes[i]), "RETR %d" % (i + 1))
        r.ok("TOP 1 0")
        T.expect(r.multiline(), [b"From: a@x",
                                 b"Subject: [SPAM] cheap pills", b""],
                 "TOP 0 with the prefix")
        r.ok("TOP 3 1")
        T.expect(r.multiline(), [b"Subject: [SPAM] ", b"From: a@x", b"",
                                 b"Subject: in the body"],
                 "TOP 1: the added Subject is a header line")
        r.ok("QUIT")
    T.expect_true("announced" not in srv.log(),
                  "no \"sent ... announced\" warning", srv.log_tail(5))


@T.test(conf_extra="junk Junk merge\n")
def junk_untagged(srv):
    """Without tag the folder's messages are sent as they are."""
    filed(srv, "alice", SHAPES[0])
    with srv.raw() as r:
        r.line()
        r.login("alice", srv.password("alice"))
        count, octets, sizes, _ = listing(r)
        got, n = retr(r, 1)
        T.expect((count, sizes, got), (1, [len(crlf(SHAPES[0]))],
                                       crlf(SHAPES[0])),
                 "merged, untagged")
        r.ok("QUIT")


@T.test
def without_setting_inbox_only(srv):
    """No junk statement: the folder is not served (and not touched)."""
    name = srv.deliver("alice", b"Subject: x\r\n\r\nx\r\n")
    filed(srv, "alice", SHAPES[0])
    with srv.raw() as r:
        r.line()
        r.login("alice", srv.password("alice"))
        count, octets, sizes, uidls = listing(r)
        T.expect((count, uidls), (1, [name]), "INBOX only")
        r.ok("QUIT")
    T.expect(sorted(os.listdir(os.path.join(srv.maildir("alice"),
                                            ".Junk"))),
             ["cur", "new", "tmp"], "the folder left alone")


@T.test(conf_extra=JUNK)
def no_folder_none_made(srv):
    """A maildir without the folder: INBOX alone, and no folder made
    (IMAP would show it)."""
    srv.deliver("alice", b"Subject: x\r\n\r\nx\r\n")
    with srv.raw() as r:
        r.line()
        r.login("alice", srv.password("alice"))
        T.expect(listing(r)[0], 1, "INBOX's message")
        r.ok("QUIT")
    T.expect_true(not os.path.exists(os.path.join(srv.maildir("alice"),
                                                  ".Junk")),
                  "no .Junk made")


@T.test(conf_extra=JUNK)
def same_name_in_both_distinct_uidls(srv):
    """A copy in INBOX and in the folder under one name (IMAP COPY that
    kept the name): INBOX's keeps the name as its UIDL, the folder's
    gets one of its own, in this session and the next."""
    name = "1700000000.M1P1.copied"
    srv.deliver("alice", b"Subject: c\r\n\r\nc\r\n", name=name)
    filed(srv, "alice", b"Subject: c\r\n\r\nc\r\n", name=name)
    with srv.raw() as r:
        r.line()
        r.login("alice", srv.password("alice"))
        uidls = listing(r)[3]
        r.ok("QUIT")
    T.expect(uidls[0], name, "INBOX's UIDL")
    T.expect_true(len(set(uidls)) == 2 and re.match(r"H[0-9a-f]{32}$",
                                                    uidls[1]),
                  "the folder's copy: a UIDL of its own", uidls)
    with srv.raw() as r:
        r.line()
        r.login("alice", srv.password("alice"))
        T.expect(listing(r)[3], uidls, "the same UIDLs next time")
        r.ok("QUIT")


@T.test(conf_extra=JUNK + "expire 0\n")
def dele_and_expire_from_the_folder(srv):
    """DELE removes the file from the folder, EXPIRE too; maildirsize
    (in the maildir) loses what was removed; the record and the
    journal name the folder."""
    md = srv.maildir("alice")
    inbox = srv.deliver("alice", b"Subject: keep\r\n\r\nkeep\r\n")
    a = filed(srv, "alice", b"Message-ID: <a@x>\r\n\r\naaaa\r\n",
              name="1600000001.M1P1.a")
    b = filed(srv, "alice", b"Message-ID: <b@x>\r\n\r\nbbbbbbbb\r\n",
              name="1600000002.M1P1.b")
    sa = os.path.getsize(os.path.join(md, ".Junk", "new", a))
    sb = os.path.getsize(os.path.join(md, ".Junk", "new", b))
    with open(os.path.join(md, "maildirsize"), "w") as f:
        f.write("1048576S\n%d 3\n" % (sa + sb + 20))
    if T.is_root:
        os.chown(os.path.join(md, "maildirsize"), srv.uid("alice"),
                 srv.gid("alice"))
    with srv.raw(src="127.0.0.9") as r:
        r.line()
        r.login("alice", srv.password("alice"))
        r.ok("RETR 3")      # b: retrieved, expires next time
        r.multiline()
        r.ok("DELE 2")      # a
        r.ok("QUIT")
    srv.wait_log("session end: user alice")
    T.expect(junk_files(srv), [b + ":2,S"],
             "a removed from the folder, b seen")
    T.expect(srv.files("alice", "new"), [inbox], "INBOX untouched")
    with open(os.path.join(md, "maildirsize")) as f:
        lines = f.read().splitlines()
    T.expect(lines[-1], "-%d -1" % sa, "maildirsize: a's removal")
    with srv.raw() as r:
        r.line()
        r.login("alice", srv.password("alice"))
        r.ok("QUIT")        # b expires (expire 0)
    srv.wait_log("messages expired")
    T.wait_for(lambda: junk_files(srv) == [], 10, "b expired")
    log = srv.log()
    T.expect_true(re.search(r"message dele: user alice uidl %s size %d "
                            r"message-id <a@x> from 127\.0\.0\.9 port \d+ "
                            r"credential password folder Junk$" %
                            (re.escape(a), sa + 18), log, re.M),
                  "the DELE record names the folder", log)
    T.expect_true(re.search(r"message expire: user alice uidl %s .* "
                            r"folder Junk$" % re.escape(b), log, re.M),
                  "the EXPIRE record names the folder", log)
    with open(os.path.join(md, "popd.journal")) as f:
        journal = f.read()
    T.expect_true(re.search(r"^removed \d+ %s <a@x> dele 127\.0\.0\.9 "
                            r"password Junk$" % re.escape(a), journal,
                            re.M), "the journal's removal", journal)
    rc, out, err = srv.popctl("show", "user", "alice", "<a@x>")
    T.expect_true(re.search(r"removed %s <a@x> \(dele\) from 127\.0\.0\.9 "
                            r"with password in Junk$" % re.escape(a), out,
                            re.M), "popctl show user: in Junk", out + err)


# --- Dovecot's IMAP and LDA on the same maildir ------------------------------



def imap(d):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return imaplib.IMAP4_SSL("127.0.0.1", d.imap_port, ssl_context=ctx)


def imap_move(d, srv, user, frm, to, subject):
    """Dovecot's IMAP MOVE (RFC 6851) of the message with subject from
    folder frm to folder to."""
    m = imap(d)
    try:
        m.login(user, srv.password(user))
        T.expect(m.select(frm)[0], "OK", "SELECT " + frm)
        typ, data = m.uid("SEARCH", None, "SUBJECT", '"%s"' % subject)
        uids = data[0].split()
        T.expect(len(uids), 1, "the message in " + frm)
        typ, data = m.uid("MOVE", uids[0].decode(), to)
        T.expect(typ, "OK", "UID MOVE to %s: %r" % (to, data))
        m.logout()
    finally:
        try:
            m.shutdown()
        except Exception:
            pass


def uidl_of(srv, subject):
    """(message number, UIDL, tagged) of the message with subject."""
    with srv.raw() as r:
        r.line()
        r.login("alice", srv.password("alice"))
        _, _, _, uidls = listing(r)
        for i, u in enumerate(uidls):
            r.ok("TOP %d 0" % (i + 1))
            head = r.multiline()
            if b"Subject: " + subject.encode() in head:
                r.ok("QUIT")
                return i + 1, u, head[0] == TAG[:-2]
        r.ok("QUIT")
    raise AssertionError("no message %s over POP3" % subject)


@T.test(conf_extra=JUNK, timeout=120)
def uidl_stable_across_dovecot_imap_move(srv):
    """Dovecot 2.3's IMAP MOVE gives the message a new file name in the
    other folder (maildir_copy_preserve_filename is gone) and records
    its GUID, the name it had first, in dovecot-uidlist: its UIDL over
    POP3 stays the same, from the folder to INBOX and back."""
    T.need_root()
    d = T.Dovecot(T.need_dovecot(imap=True), srv, imap=True)
    with d:
        srv.deliver("alice", b"Subject: first\r\n\r\nin inbox\r\n")
        filed(srv, "alice", b"Subject: spammy\r\n\r\nnot spam\r\n")
        n0, u0, tagged = uidl_of(srv, "spammy")
        T.expect((n0, tagged), (2, True), "in the folder, tagged")
        first = junk_files(srv)[0].split(":")[0]
        imap_move(d, srv, "alice", "Junk", "INBOX", "spammy")
        T.expect(junk_files(srv), [], "moved out of the folder")
        n1, u1, tagged = uidl_of(srv, "spammy")
        T.expect((u1, tagged), (u0, False),
                 "its UIDL in INBOX, untagged")
        # Back: the folder's dovecot-uidlist still has its first name,
        # so Dovecot gives it a new one and records the GUID.
        imap_move(d, srv, "alice", "INBOX", "Junk", "spammy")
        now = junk_files(srv)[0].split(":")[0]
        T.expect_true(now != first, "Dovecot gave it a new name",
                      (first, now))
        with open(os.path.join(srv.maildir("alice"), ".Junk",
                               "dovecot-uidlist")) as f:
            T.expect_true(" G%s :%s" % (first, now) in f.read(),
                          "its GUID, the first name, recorded",
                          (first, now))
        _, u2, tagged = uidl_of(srv, "spammy")
        T.expect((u2, tagged), (u0, True), "the same UIDL in the folder")
        # And to INBOX again, under a third name.
        imap_move(d, srv, "alice", "Junk", "INBOX", "spammy")
        _, u2, tagged = uidl_of(srv, "spammy")
        T.expect((u2, tagged), (u0, False), "the same UIDL in INBOX")
        # A message popd served in INBOX, moved to the folder.
        _, u4, _ = uidl_of(srv, "first")
        imap_move(d, srv, "alice", "INBOX", "Junk", "first")
        _, u3, tagged = uidl_of(srv, "first")
        T.expect((u3, tagged), (u4, True), "INBOX's message in the folder")


SIEVE = 'require ["fileinto", "mailbox"];\n' \
    'if header :contains "subject" "SPAM" {\n' \
    '  fileinto :create "Junk";\n}\n'

DOVECOT_SIEVE = """\
mail_plugins = $mail_plugins sieve
postmaster_address = postmaster@popd.test
plugin {{
  sieve = file:{dir}/sieve;active={dir}/sieve/active.sieve
}}
"""


@T.test(conf_extra=JUNK, timeout=120)
def sieve_fileinto_junk_served(srv):
    """dovecot-lda with a Sieve script that files into Junk: the
    message is served after INBOX's, tagged, its size exact."""
    T.need_root()
    prog = T.need_dovecot()
    T.apt_install("dovecot-core", "doveadm",
                  needs="/usr/lib/dovecot/dovecot-lda")
    T.apt_install("dovecot-sieve", "doveadm",
                  needs="/usr/lib/dovecot/modules/lib90_sieve_plugin.so")
    d = T.Dovecot(prog, srv, extra=DOVECOT_SIEVE.format(dir=srv.tmpdir))
    os.makedirs(os.path.join(srv.tmpdir, "sieve"), exist_ok=True)
    with open(os.path.join(srv.tmpdir, "sieve", "active.sieve"), "w") as f:
        f.write(SIEVE)
    os.chmod(os.path.join(srv.tmpdir, "sieve"), 0o755)
    os.chmod(os.path.join(srv.tmpdir, "sieve", "active.sieve"), 0o644)
    body = b"From: x@example.org\nSubject: SPAM offer\n\n.dot\nbuy\n"
    with d:
        srv.deliver("alice", b"Subject: ham\r\n\r\nham\r\n")
        r = subprocess.run(["/usr/lib/dovecot/dovecot-lda", "-c", d.conf,
                            "-d", "alice", "-f", "x@example.org"],
                           input=body, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        T.expect(r.returncode, 0, "dovecot-lda: %s" % r.stderr.decode())
    T.expect(len(junk_files(srv)), 1, "Sieve filed it into .Junk")
    with srv.raw() as r:
        r.line()
        r.login("alice", srv.password("alice"))
        count, octets, sizes, uidls = listing(r)
        T.expect(count, 2, "INBOX's and the filed one")
        got, n = retr(r, 2)
        r.ok("QUIT")
    T.expect(got, TAG + crlf(body), "the filed message, tagged")
    T.expect((n, sizes[1]), (len(got), len(got)), "its octets exact")


# --- junk users: each user's own ---------------------------------------------

THREE = [("alice", "pw1"), ("bob", "pw2"), ("carol", "pw3")]
INBOX_MSG = b"Subject: ham\r\n\r\nham\r\n"
JUNK_MSG = b"Subject: in junk\r\n\r\njunk\r\n"
SPAM_MSG = b"Subject: in spam\r\n\r\nspam\r\n"


def three_folders(srv):
    """Each user's INBOX, .Junk and .Spam, a message in each."""
    for user, _ in THREE:
        srv.deliver(user, INBOX_MSG)
        filed(srv, user, JUNK_MSG)
        filed(srv, user, SPAM_MSG, folder="Spam")


def served(srv, user):
    """What user's session serves: each message's RETR bytes, checked
    against LIST, STAT and the RETR announcement."""
    with srv.raw() as r:
        r.line()
        r.login(user, srv.password(user))
        count, octets, sizes, _ = listing(r)
        out = []
        for i in range(count):
            got, n = retr(r, i + 1)
            T.expect((n, len(got)), (sizes[i], sizes[i]),
                     "%s: RETR %d's octets" % (user, i + 1))
            out.append(got)
        T.expect(octets, sum(sizes), "%s: STAT's octets" % user)
        r.ok("QUIT")
    return out


def pass_reply(srv, user):
    """USER and PASS on a new connection: PASS's answer."""
    with srv.raw() as r:
        r.line()
        r.ok("USER " + user)
        a = r.cmd("PASS " + srv.password(user))
        if a.startswith(b"+OK"):
            r.ok("QUIT")
        return a


@T.test(users=THREE, start=False)
def junk_users_file(srv):
    """junk users FILE: alice's own folder with a subject prefix, none
    for bob, popd.conf's junk for carol, whom the file does not name;
    each over POP3 with exact sizes.  A reload applies to the sessions
    that start after it."""
    jf = os.path.join(srv.tmpdir, "junks")
    with open(jf, "w") as f:
        f.write("# per user\nalice\tSpam merge tag subject \"[SPAM] \"\n"
                "bob none\n")
    srv.conf_extra = JUNK + 'junk users "%s"\n' % jf
    rc, out = srv.check_config("-v")
    T.expect_true(rc == 0 and 'junk users "%s"' % jf in out.splitlines(),
                  "popd -n -v prints junk users", out)
    three_folders(srv)
    srv.start()
    ham = crlf(INBOX_MSG)
    T.expect(served(srv, "alice"),
             [ham, b"Subject: [SPAM] in spam\r\n\r\nspam\r\n"],
             "alice: her .Spam, its subject prefixed; not .Junk")
    T.expect(served(srv, "bob"), [ham], "bob: none, INBOX only")
    T.expect(served(srv, "carol"), [ham, TAG + crlf(JUNK_MSG)],
             "carol: popd.conf's junk, tagged")
    # Open across the reload: what it listed stays.
    r = srv.raw()
    r.line()
    r.login("bob", srv.password("bob"))
    with open(jf, "w") as f:
        f.write("bob Junk merge\n")
    srv.reload()
    srv.wait_log("reloaded")
    T.expect(listing(r)[0], 1, "bob's session from before the reload")
    r.ok("QUIT")
    r.close()
    T.expect(served(srv, "bob"), [ham, crlf(JUNK_MSG)],
             "bob after the reload: .Junk, untagged")
    T.expect(served(srv, "alice"), [ham, TAG + crlf(JUNK_MSG)],
             "alice, no longer in the file: popd.conf's junk")


def popctl_junk(srv, user):
    """The junk line of popctl show user and show quota for user, which
    must be the same."""
    lines = []
    for cmd in ("user", "quota"):
        rc, out, err = srv.popctl("show", cmd, user)
        T.expect((rc, out.splitlines()[:2]), (0, [
            "user " + user, "maildir " + srv.maildir(user)]),
            "popctl show %s %s: %s" % (cmd, user, out + err))
        lines.append(out.splitlines()[2])
    T.expect(lines[0], lines[1], "%s: show user's and show quota's" % user)
    return lines[0]


@T.test(users=THREE, start=False)
def junk_users_popctl(srv):
    """popctl show user and show quota say each user's junk setting and
    where it comes from: junk users' line (a folder with its tag and
    prefix, or none), or popd.conf's junk for a user it does not name;
    without junk users, popd.conf's junk for all, none by default."""
    srv.start()
    T.expect(popctl_junk(srv, "alice"), "junk none (default)",
             "no junk statement")
    srv.stop()
    jf = os.path.join(srv.tmpdir, "junks")
    with open(jf, "w") as f:
        f.write("alice\tSpam merge tag subject \"[SPAM] \"\nbob none\n")
    srv.conf_extra = JUNK + 'junk users "%s"\n' % jf
    srv.start()
    T.expect(popctl_junk(srv, "alice"),
             'junk Spam merge tag subject "[SPAM] " (junk users)', "alice")
    T.expect(popctl_junk(srv, "bob"), "junk none (junk users)", "bob")
    T.expect(popctl_junk(srv, "carol"), "junk Junk merge tag (default)",
             "carol, whom junk users does not name")


@T.test(users=THREE, start=False, check_alive=False)
def junk_users_bad_line(srv):
    """A bad line of junk users is an error naming the file, the line
    and the user, and the statement's line in popd.conf: popd -n fails,
    popd does not start, and a reload keeps the tables it had."""
    jf = os.path.join(srv.tmpdir, "junks")
    good = "alice Spam merge\n"
    bad = ("alice Spam merge\nbob Junk/.. merge\ncarol\n"
           "dave ../Junk merge tag\n")
    with open(jf, "w") as f:
        f.write(bad)
    stmt = 'junk users "%s"' % jf
    srv.conf_extra = JUNK + stmt + "\n"
    rc, out = srv.check_config("-v")
    text = open(srv.conffile).read()
    where = "%s:%d: " % (srv.conffile, text.splitlines().index(stmt) + 1)
    for want in ('%s:2: "bob": junk "Junk/..": a folder\'s name' % jf,
                 '%s:3: "carol" has no value' % jf,
                 '%s:4: "dave": junk "../Junk": a folder\'s name' % jf,
                 where + stmt + ": not loaded"):
        T.expect_true(rc != 0 and want in out, "popd -n: %r" % want, out)
    try:
        srv.start(timeout=10, probe=False)
    except RuntimeError as e:
        T.expect_true(where + stmt + ": not loaded" in str(e),
                      "popd's error at start", str(e))
    else:
        srv.stop()
        raise AssertionError("popd started with a bad junk users file")
    # Running: a bad file at a reload is refused, the old one stays.
    with open(jf, "w") as f:
        f.write(good)
    three_folders(srv)
    srv.start()
    T.expect(len(served(srv, "alice")), 2, "alice's .Spam")
    with open(jf, "w") as f:
        f.write(bad)
    srv.reload()
    srv.wait_log('%s:2: "bob": junk' % jf)
    T.expect(len(served(srv, "alice")), 2, "the old table after a bad one")
    T.expect(served(srv, "bob"), [crlf(INBOX_MSG), TAG + crlf(JUNK_MSG)],
             "bob: popd.conf's junk, as before")


@T.test(users=THREE, start=False, timeout=120)
def junk_users_database(srv):
    """junk users <table>: table-sqlite answers K_ALIAS with each user's
    junk setting, read at each login; a user the database does not name
    has popd.conf's.  An answer that is no junk setting, and a database
    that fails, are -ERR [SYS/TEMP] with a log line naming the table,
    never [AUTH] and never a session without the folder; the database
    mended, logins work again by themselves."""
    T.need_root()
    conf, sql = D.sqlite_alias(srv.tmpdir, "junks", "junk",
                               [("alice", "Spam merge tag"),
                                ("bob", "none")])
    srv.conf_extra = JUNK + "table junks sqlite:%s\njunk users <junks>\n" \
        % conf
    rc, out = srv.check_config("-v")
    T.expect_true(rc == 0 and "junk users <junks>" in out.splitlines(),
                  "popd -n -v prints the table", out)
    three_folders(srv)
    srv.start()
    ham = crlf(INBOX_MSG)
    T.expect(served(srv, "alice"), [ham, TAG + crlf(SPAM_MSG)],
             "alice: .Spam, tagged, from the database")
    T.expect(served(srv, "bob"), [ham], "bob: none")
    T.expect(served(srv, "carol"), [ham, TAG + crlf(JUNK_MSG)],
             "carol, not in the database: popd.conf's junk")
    T.expect(popctl_junk(srv, "alice"), "junk Spam merge tag (junk users)",
             "popctl show: alice's from the database")
    sql("UPDATE junks SET junk = 'Junk merge' WHERE name = 'alice'")
    T.expect(served(srv, "alice"), [ham, crlf(JUNK_MSG)],
             "alice's new value at her next login")
    sql("UPDATE junks SET junk = '../../etc merge' WHERE name = 'alice'")
    a = pass_reply(srv, "alice")
    T.expect_true(a.startswith(b"-ERR [SYS/TEMP]"),
                  "a value that is no junk setting: [SYS/TEMP]", a)
    srv.wait_log('junk users <junks>: alice: junk "../../etc": a folder')
    srv.wait_log('login of "alice" refused: junk users <junks> could not '
                 'say which folder to merge')
    # The database fails: its table is gone.
    sql("ALTER TABLE junks RENAME TO gone")
    for user in ("alice", "bob", "carol"):
        a = pass_reply(srv, user)
        T.expect_true(a.startswith(b"-ERR [SYS/TEMP]"),
                      "%s with the database broken: [SYS/TEMP]" % user, a)
    T.expect(popctl_junk(srv, "bob"), "junk unknown (junk users cannot "
             "answer)", "popctl with the database broken")
    sql("ALTER TABLE gone RENAME TO junks")
    sql("UPDATE junks SET junk = 'Spam merge' WHERE name = 'alice'")
    T.wait_for(lambda: pass_reply(srv, "bob").startswith(b"+OK"), 20,
               "bob logs in again, the database mended")
    T.expect(served(srv, "alice"), [ham, crlf(SPAM_MSG)],
             "alice's .Spam again")


if __name__ == "__main__":
    T.main()
