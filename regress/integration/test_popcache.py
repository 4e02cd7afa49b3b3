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

"""popcache through real sessions: the warm open reads neither the
directories nor the messages, a change is examined where it happened,
damage of any kind is rebuilt with the same UIDLs (and logged), and
messages put there by other MDAs are served right."""

import os
import poplib
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import popdtest as T  # noqa: E402

poplib._MAXLINE = 1 << 20
SETTLE = 2.2        # directory stamps younger than 2 s are not trusted


def listing(srv, user="alice", retr=False):
    """[(uidl, size, message or None)] in message-number order."""
    return [(m.uidl, m.size, m.data)
            for m in T.mailbox(srv, user, retr=retr)]


def log_since(srv, mark):
    return srv.log()[mark:]


def popcache(srv, user="alice"):
    with open(os.path.join(srv.maildir(user), "popcache"), "rb") as f:
        return f.read()


def fill(srv, n, user="alice", subdir="new", prefix="17000"):
    names = []
    for i in range(n):
        names.append(srv.deliver(
            user, b"Subject: %d\n\nmessage %d\n%s" % (i, i, b"." * (i % 7)),
            name="%s%05d.M1P1Q%d.host" % (prefix, i, i), subdir=subdir))
    return names


@T.test
def warm_open_reads_nothing_else(srv):
    fill(srv, 200)
    fill(srv, 200, subdir="cur", prefix="16000")
    first = listing(srv)                 # cold: builds the popcache
    T.expect(len(first), 400, "messages")
    time.sleep(SETTLE)
    listing(srv)                         # records the settled stamps
    head = popcache(srv).split(b"\n", 1)[0]
    T.expect_true(re.match(rb"^popcache 1 \d+\.\d{9},\d+\.\d{9},\d+ "
                           rb"\d+\.\d{9},\d+\.\d{9},\d+ 400$", head),
                  "header with both stamps", head)
    # Rewrite a message in place: a directory read would not notice,
    # a message read would.  The warm open must serve the cached size.
    md = srv.maildir("alice")
    victim = os.path.join(md, "new", "1700000007.M1P1Q7.host")
    with open(victim, "r+b") as f:
        f.write(b"X" * 300)
    mark = len(srv.log())
    again = listing(srv)
    T.expect(again, first, "warm listing")
    log = log_since(srv, mark)
    T.expect_true("popcache: %s: warm, 400 messages" % md in log,
                  "warm open logged", log[-500:])


def traced_session(srv, user="alice"):
    """The system calls of the wrkrpop of one USER, PASS, STAT, QUIT
    (strace -f attached to popd): [(name, args, result)] from its
    execve on."""
    strace = T.need_prog("strace")
    out = tempfile.mkdtemp(prefix="strace.", dir=srv.tmpdir)
    st = subprocess.Popen([strace, "-f", "-ff", "-o",
                           os.path.join(out, "t"), "-p", str(srv.proc.pid)],
                          stderr=subprocess.PIPE)
    try:
        T.expect_true(b"attached" in st.stderr.readline(),
                      "strace attached to popd")
        p = srv.pop(user)
        p.stat()
        p.quit()
        w = None

        def worker():
            nonlocal w
            for f in os.listdir(out):
                with open(os.path.join(out, f)) as fp:
                    t = fp.read()
                if re.search(r'execve\("[^"]*/wrkrpop"', t) and \
                        "exit_group(" in t:
                    w = t
            return w is not None
        T.wait_for(worker, 10, "the wrkrpop's trace")
    finally:
        st.terminate()
        st.wait()
    calls = []
    for line in w[w.index("execve("):].splitlines():
        m = re.match(r"(\w+)\((.*)\)\s+=\s+(.*)$", line)
        if m:
            calls.append(m.groups())
    return calls


@T.test
def login_without_needless_metadata_calls(srv):
    """Issue 56: on a network filesystem every lookup, mkdir and open
    can be a round trip.  A warm login+STAT+QUIT makes no mkdir (the
    maildir is there) and no statfs (a local disk's locks need no
    check), opens the maildir once, stats new/ and cur/ once before
    the popcache is read and fstats no file twice in a row."""
    fill(srv, 20)
    listing(srv)
    time.sleep(SETTLE)
    listing(srv)                         # the settled stamps: warm now
    calls = traced_session(srv)
    md = srv.maildir("alice")
    names = [c[0] for c in calls]
    T.expect([c for c in calls if c[0] in ("mkdir", "mkdirat")], [],
             "mkdir calls")
    # The lock's check (fslock.c): fstatfs is a round trip on FUSE.
    T.expect([c for c in calls if c[0] in ("statfs", "fstatfs")], [],
             "statfs calls")
    T.expect(len([c for c in calls if c[0] in ("open", "openat") and
                  '"%s"' % md in c[1] and "O_PATH" not in c[1]]), 1,
             "opens of the maildir")
    login = calls[:[i for i, c in enumerate(calls)
                    if c[0] == "read" and "STAT" in c[1]][0]]
    for sub in ("new", "cur"):
        T.expect(len([c for c in login if c[0] in ("newfstatat", "stat",
                                                  "statx", "fstatat64")
                      and c[1].split(",")[1].strip() == '"%s"' % sub]),
                 1, "stats of %s/ at login" % sub)
    # From the maildir's open on (glibc reads /etc/localtime its way).
    mine = calls[[i for i, c in enumerate(calls)
                  if '"%s"' % md in c[1]][0]:]
    for a, b in zip(mine, mine[1:]):
        if a[0] in ("fstat", "newfstatat") and a[:2] == b[:2] and \
                ('""' in a[1] or a[0] == "fstat"):
            raise AssertionError("fstat twice in a row: %s(%s)" % a[:2])
    T.expect_true("exit_group" in names, "the wrkrpop ended")


@T.test
def new_mail_reads_only_new(srv):
    fill(srv, 50, subdir="cur")
    listing(srv)
    time.sleep(SETTLE)
    before = listing(srv)
    srv.deliver("alice", b"Subject: late\n\nlate\n",
                name="1800000000.M1P1Q1.host")
    mark = len(srv.log())
    after = listing(srv)
    log = log_since(srv, mark)
    T.expect(after[:-1], before, "old messages unchanged")
    T.expect(after[-1][:2], ("1800000000.M1P1Q1.host",
                             T.rfc_size(b"Subject: late\n\nlate\n")),
             "new message last")
    T.expect_true("read new/: 1 new, 0 gone" in log,
                  "only new/ read", log[-600:])


@T.test
def uidls_survive_retr_dele_and_rebuild(srv):
    fill(srv, 30)
    a = listing(srv)
    p = srv.pop("alice")
    for i in range(1, 11):
        p.retr(i)
    p.dele(11)
    p.dele(12)
    p.quit()
    md = srv.maildir("alice")
    T.expect(len(os.listdir(os.path.join(md, "cur"))), 10,
             "retrieved messages moved to cur/")
    b = listing(srv)
    want = [x for x in a if x[0] not in (a[10][0], a[11][0])]
    T.expect(sorted(b), sorted(want), "after UPDATE")
    os.unlink(os.path.join(md, "popcache"))
    mark = len(srv.log())
    c = listing(srv)
    T.expect(sorted(c), sorted(want), "after losing the popcache")
    T.expect_true("missing, rebuilding" in log_since(srv, mark),
                  "rebuild logged")


@T.test
def damaged_popcache_is_rebuilt(srv):
    fill(srv, 40)
    fill(srv, 40, subdir="cur", prefix="16000")
    want = listing(srv, retr=True)
    good = popcache(srv)
    md = srv.maildir("alice")
    path = os.path.join(md, "popcache")
    nl = good.index(b"\n") + 1
    damages = {
        "truncated": good[:len(good) // 2],
        "truncated at a line end": good[:good.index(b"\n", nl + 10) + 1],
        "no trailer": good[:good.rindex(b"end ")],
        "empty": b"",
        "flipped size digit": good[:nl] + (b"9" if good[nl:nl + 1] != b"9"
                                           else b"8") + good[nl + 1:],
        "garbage": os.urandom(5000),
        "version 9": b"popcache 9" + good[len(b"popcache 1"):],
        "binary zeros": b"\0" * len(good),
    }
    for what, data in damages.items():
        with open(path, "wb") as f:
            f.write(data)
        mark = len(srv.log())
        got = listing(srv, retr=True)
        T.expect(got, want, "listing after popcache " + what)
        log = log_since(srv, mark)
        T.expect_true("rebuilding it from the maildir" in log,
                      "rebuild logged for " + what, log[-400:])
        T.expect(popcache(srv).split(b"\n")[-2][:4], b"end ",
                 "popcache rewritten after " + what)


@T.test
def stale_popcache_keeps_uidls(srv):
    """A popcache from before (old stamps) is stale: the directories are
    read again, known names keep the UIDL recorded for them."""
    fill(srv, 10)
    listing(srv)
    old = popcache(srv)
    # New deliveries, a removal, and a flag change by someone else.
    md = srv.maildir("alice")
    fill(srv, 3, prefix="18000")
    os.unlink(os.path.join(md, "new", "1700000002.M1P1Q2.host"))
    os.rename(os.path.join(md, "new", "1700000003.M1P1Q3.host"),
              os.path.join(md, "cur", "1700000003.M1P1Q3.host:2,FS"))
    with open(os.path.join(md, "popcache"), "wb") as f:
        f.write(old)
    got = listing(srv)
    names = [u for u, _, _ in got]
    T.expect(len(got), 12, "messages")
    T.expect_true("1700000002.M1P1Q2.host" not in names, "removed one gone",
                  names)
    T.expect_true("1700000003.M1P1Q3.host" in names,
                  "renamed one keeps its UIDL", names)
    T.expect_true("1800000002.M1P1Q2.host" in names, "new one shown",
                  names)


@T.test
def foreign_mda_names(srv):
    """Names other MDAs use: OpenSMTPD's maildir, Dovecot's LDA with
    ,S= and ,W=, procmail, an info already set, a long unique part."""
    body = b"Subject: foreign\n\nline one\nline two\n"
    w = T.rfc_size(body)
    names = [
        ("new", "1700000001.4a5b6c7d8e9f0a1b.mail.example.org"),
        ("new", "1700000002.M123456P789.mx,S=%d,W=%d" % (len(body), w)),
        ("cur", "1700000003.M5P6.mx,S=%d,W=%d:2,S" % (len(body), w)),
        ("new", "1700000004.12345_0.host"),
        ("cur", "1700000005.P1Q2.host:2,RS"),
        ("new", "1700000006." + "z" * 90),
        ("cur", "1700000007.x:2,"),
    ]
    for sub, n in names:
        srv.deliver("alice", body, name=n, subdir=sub)
    got = listing(srv, retr=True)
    T.expect(len(got), len(names), "messages")
    for u, size, msg in got:
        T.expect(size, w, "size of " + u)
        T.expect(len(msg), w, "RETR octets of " + u)
        T.expect(msg, body.replace(b"\n", b"\r\n"), "RETR of " + u)
        T.expect_true(1 <= len(u) <= 70 and
                      all(0x21 <= ord(c) <= 0x7e for c in u),
                      "UIDL syntax", u)
    T.expect(len(set(u for u, _, _ in got)), len(names), "UIDLs unique")
    # And the same again from the popcache, and after a rebuild.
    T.expect(listing(srv, retr=True), got, "second session")
    os.unlink(os.path.join(srv.maildir("alice"), "popcache"))
    T.expect(sorted(listing(srv, retr=True)), sorted(got), "rebuilt")


@T.test
def dovecot_w_without_final_newline(srv):
    """Issue 43: Dovecot names a message without a final newline with
    its W= (every LF as CRLF) and adds no line end; popd sends one, so
    LIST, the count in RETR's +OK and the octets RETR sends are all W=
    + 2, with a popcache, after a rebuild and without one, and nothing
    is logged as "announced".  popd's own names keep their W= as is."""
    md = srv.maildir("alice")
    bodies = [b"Subject: no newline\n\nlast line without one",
              b"Subject: crlf\r\n\r\nbody\r\nend",
              b"Subject: with one\n\nbody\n"]
    names = []
    for i, b in enumerate(bodies):
        w = len(b) + b.count(b"\n") - b.count(b"\r\n")
        n = "17000000%02d.M%dP%d.dovecot,S=%d,W=%d" % (i, i, 100 + i,
                                                       len(b), w)
        srv.deliver("alice", b, name=n, subdir="new" if i % 2 else "cur")
        names.append((n, b))
    mark = len(srv.log())
    for round_ in ("cold", "warm", "rebuilt"):
        if round_ == "rebuilt":
            os.unlink(os.path.join(md, "popcache"))
        with T.Raw(srv.port) as c:
            c.line()
            c.login("alice", srv.password("alice"))
            lst = c.cmd("LIST")
            T.expect_true(lst.startswith(b"+OK"), "LIST", lst)
            sizes = [int(ln.split()[1]) for ln in c.multiline()]
            for i, (n, b) in enumerate(names):
                want = T.rfc_size(b)
                T.expect(sizes[i], want, "%s: LIST of %s" % (round_, n))
                r = c.cmd("RETR %d" % (i + 1))
                T.expect(r, b"+OK %d octets" % want,
                         "%s: RETR's count of %s" % (round_, n))
                data = c.block()
                T.expect(len(data), want, "%s: octets sent of %s"
                         % (round_, n))
            c.ok("QUIT")
    T.expect([ln for ln in srv.log()[mark:].splitlines()
              if "announced" in ln], [],
             "no size announced wrongly")


@T.test
def popcache_format(srv):
    fill(srv, 3)
    listing(srv)
    data = popcache(srv)
    lines = data.split(b"\n")
    T.expect(lines[-1], b"", "ends with a line end")
    T.expect_true(re.match(rb"^popcache 1 (-|\S+) (-|\S+) 3$", lines[0]),
                  "header", lines[0])
    for ln in lines[1:4]:
        T.expect_true(re.match(rb"^\d+ \S{1,70} new/\S+$", ln), "record",
                      ln)
    T.expect_true(re.match(rb"^end 3 [0-9a-f]{16}$", lines[4]), "trailer",
                  lines[4])
    md = srv.maildir("alice")
    T.expect(os.stat(os.path.join(md, "popcache")).st_mode & 0o777, 0o600,
             "mode")
    T.expect_true(not os.path.exists(os.path.join(md, "popcache.tmp")),
                  "no temp file left")



@T.test
def damaged_hint_is_not_believed(srv):
    """mda's hint after the trailer says 916 for a message whose name
    says ,W=116: the name and the hint disagree, so the file is read;
    LIST, RETR and the records written afterwards all say the truth."""
    md = srv.maildir("alice")
    fill(srv, 3, subdir="cur")
    listing(srv)
    data = b"Subject: hinted\n\n" + b"x" * 90 + b"\n"
    r = T.run_mda(srv, "alice", data)
    T.expect(r.returncode, 0, "mda (stderr %r)" % r.stderr)
    name = [n for n in T.files(md, "new") if ",W=" in n][0]
    size = T.rfc_size(data)
    with open(os.path.join(md, "popcache"), "rb") as f:
        pc = f.read()
    hint = b"%d %s new/%s\n" % (size, name.encode(), name.encode())
    T.expect_true(pc.endswith(hint), "mda's hint", pc[-200:])
    bad = b"9" + hint[1:]
    with open(os.path.join(md, "popcache"), "wb") as f:
        f.write(pc[:-len(hint)] + bad)
    got = listing(srv, retr=True)
    T.expect(got[-1][:2], (name, size), "LIST of the hinted message")
    T.expect(len(got[-1][2]), size, "RETR sends what it announces")
    # The records written after that session hold the true size.
    recs = [ln for ln in popcache(srv).splitlines()
            if name.encode() in ln]
    T.expect_true(recs and all(ln.split()[0] == b"%d" % size
                               for ln in recs), "records", recs)


@T.test
def hint_must_fit_the_raw_size(srv):
    """A name with ",S=" but no ",W=" (another MDA's) and a hint that
    cannot be its size (more than twice the raw octets): the file is
    read instead."""
    md = srv.maildir("alice")
    fill(srv, 2, subdir="cur")
    listing(srv)
    data = b"Subject: s only\n\nbody\n"
    name = "1800000001.M1P1.host,S=%d" % len(data)
    srv.deliver("alice", data, name=name)
    with open(os.path.join(md, "popcache"), "ab") as f:
        f.write(b"%d %s new/%s\n" % (3 * len(data), name.encode(),
                                     name.encode()))
    got = listing(srv, retr=True)
    T.expect(got[-1][:2], (name, T.rfc_size(data)), "LIST of that message")
    T.expect(len(got[-1][2]), T.rfc_size(data), "RETR as announced")


def fifo(path, uid=None, gid=None):
    os.mkfifo(path, 0o600)
    if T.is_root and uid is not None:
        os.chown(path, uid, gid)


@T.test(timeout=60)
def fifos_are_never_opened_or_served(srv):
    """A FIFO named popcache, one named like a message in new/, and one
    that replaced a message the cache knows: no open blocks, no FIFO is
    served, the session and mda go on."""
    uid, gid = srv.uid("alice"), srv.gid("alice")
    md = srv.maildir("alice")
    fill(srv, 2)
    before = listing(srv)
    T.expect(len(before), 2, "messages before")
    # A cached message replaced by a FIFO of the same name.
    victim = sorted(os.listdir(os.path.join(md, "new")) +
                    os.listdir(os.path.join(md, "cur")))[0]
    for sub in ("new", "cur"):
        p = os.path.join(md, sub, victim)
        if os.path.exists(p):
            os.unlink(p)
            fifo(p, uid, gid)
    fifo(os.path.join(md, "new", "1800000000.M1P1.fifo"), uid, gid)
    p = T.pop_when_free(srv)
    T.expect_true(p.stat()[0] <= 2, "STAT answered", p.stat())
    for n in range(1, p.stat()[0] + 1):
        try:
            p.retr(n)
        except poplib.error_proto as e:
            T.expect_true(b"removed" in str(e).encode() or
                          b"-ERR" in str(e).encode(), "RETR of a FIFO", e)
    p.quit()
    # popcache itself a FIFO: rebuilt around it, never opened blocking.
    pc = os.path.join(md, "popcache")
    if os.path.exists(pc):
        os.unlink(pc)
    fifo(pc, uid, gid)
    p = T.pop_when_free(srv)
    T.expect_true(p.stat()[0] >= 1, "STAT with a FIFO popcache", p.stat())
    p.quit()
    r = T.run_mda(srv, "alice", b"Subject: after\n\nbody\n", timeout=20)
    T.expect(r.returncode, 0, "mda next to a FIFO popcache")
    msgs = T.mailbox(srv, "alice", retr=True)
    T.expect_true(any(b"Subject: after" in m.data for m in msgs),
                  "the delivery is served", [m.data[:30] for m in msgs])

if __name__ == "__main__":
    T.main()
