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

"""Quotas (popd.conf(5) quota, Maildir++ maildirsize) as users and
admins see them: popd -n -v and the errors of bad values; LMTP's
refusals at RCPT, for SIZE= and after DATA, permanent and temporary,
with the default, a quota users file and a SQLite table (table-sqlite
answering K_ALIAS); what maildirsize holds after deliveries and
removals; POP3 never refused for a quota; popctl show quota and the
metrics; mda -q and -t and maildirsize's own definition; a damaged,
missing, huge, linked or FIFO maildirsize recalculated; concurrent
mda and LMTP deliveries near the limit; and kill -9 of dlvrpop, mda
and wrkrpop mid-update, after which a recalculation equals what the
maildir holds and every acknowledged message is there once.

In detail, it checks popd -n -v and the file:line errors of bad values;
LMTP's 552 5.2.2 (452 4.2.2 with quota full temporary) at RCPT, for
SIZE= and after DATA, the other recipients delivered; a quota users file
and a SQLite table (table-sqlite answering K_ALIAS; a value that is no
quota: 451 4.3.0); maildirsize line by line; POP3 never refused; popctl
show quota and the counters; mda -q, -t and the file's own definition; a
damaged, missing, huge, linked or FIFO maildirsize recalculated and a
link never followed; 16 mda and 16 LMTP deliveries at once near the
limit; kill -9 of dlvrpop, mda and wrkrpop mid-update, then a
recalculation equal to the maildir."""

import os
import random
import re
import stat
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import popdtest as T  # noqa: E402
import dbtest as D  # noqa: E402
import test_lmtp as L  # noqa: E402  (its helpers; its tests are its own)

EX_TEMPFAIL = 75
EX_NOPERM = 77
QFILE = "maildirsize"
THREE = [("alice", "pw1"), ("bob", "pw2"), ("carol", "pw3")]


# --- what the maildir holds, what maildirsize says --------------------------

def truth(md):
    """(bytes, messages) of the maildir md as Maildir++ counts them: every
    file in new/ and cur/ of md and of its folders (".Name"), its size the
    ",S=" of its name, else the file's."""
    b = m = 0
    dirs = [md] + [os.path.join(md, d) for d in os.listdir(md)
                   if d.startswith(".") and d not in (".", "..") and
                   os.path.isdir(os.path.join(md, d)) and
                   not os.path.islink(os.path.join(md, d))]
    for d in dirs:
        for sub in ("new", "cur"):
            p = os.path.join(d, sub)
            if not os.path.isdir(p):
                continue
            for n in os.listdir(p):
                s = re.search(r",S=(\d+)", n.split(":")[0])
                b += int(s.group(1)) if s else \
                    os.lstat(os.path.join(p, n)).st_size
                m += 1
    return b, m


def qread(md):
    """(definition line, [(bytes, messages), ...]) of md's maildirsize,
    checked to be a regular file of whole lines."""
    path = os.path.join(md, QFILE)
    st = os.lstat(path)
    T.expect_true(stat.S_ISREG(st.st_mode), "maildirsize a regular file",
                  oct(st.st_mode))
    with open(path) as f:
        text = f.read()
    T.expect_true(text.endswith("\n"), "maildirsize of whole lines", text)
    lines = text.split("\n")[:-1]
    pairs = []
    for ln in lines[1:]:
        f = ln.split()
        T.expect(len(f), 2, "a line of two integers in %r" % text)
        pairs.append((int(f[0]), int(f[1])))
    return lines[0], pairs


def qsum(md):
    """The use maildirsize states: the sum of its lines."""
    _, pairs = qread(md)
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def qtext(md):
    with open(os.path.join(md, QFILE)) as f:
        return f.read()


def own(srv, user, path):
    if T.is_root:
        os.lchown(path, srv.uid(user), srv.gid(user))


def qwrite(srv, user, text):
    """Replace user's maildirsize with text, as the user's file."""
    md = srv.maildir(user)
    tmp = os.path.join(md, "tmp", "quotatest.maildirsize")
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    own(srv, user, tmp)
    os.rename(tmp, os.path.join(md, QFILE))


def qremove(srv, user):
    p = os.path.join(srv.maildir(user), QFILE)
    if os.path.lexists(p):
        os.unlink(p)


_seq = [0]


def put(srv, user, size, folder="", sub="new", sname=True):
    """A message of exactly size bytes written into user's maildir (or
    its folder ".Name", made when missing) as another MDA would; its name
    says ",S=size" unless sname is False.  Returns its path."""
    md = srv.maildir(user)
    d = os.path.join(md, folder) if folder else md
    for s in ("", "tmp", "new", "cur"):
        p = os.path.join(d, s)
        if not os.path.isdir(p):
            os.mkdir(p, 0o700)
            own(srv, user, p)
    _seq[0] += 1
    name = "%d.M%06dP%dQ%d.quotatest" % (time.time(), _seq[0] % 1000000,
                                         os.getpid(), _seq[0])
    if sname:
        name += ",S=%d" % size
    head = b"Subject: filler %d\n\n" % _seq[0]
    data = head + b"f" * (size - len(head) - 1) + b"\n"
    T.expect(len(data), size, "filler size")
    tmp = os.path.join(d, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o600)
    own(srv, user, tmp)
    final = os.path.join(d, sub, name + (":2,S" if sub == "cur" else ""))
    os.rename(tmp, final)
    return final


def lmtp_size(body):
    """What an LMTP delivery of body stores: Return-Path first, LF line
    ends."""
    return len(L.stored(body).replace(b"\r\n", b"\n"))


def body_of(tag, size):
    """An LMTP message that is stored in exactly size bytes."""
    head = "Subject: %s\r\nX-Tag: %s\r\n\r\n" % (tag, tag)
    base = lmtp_size(head + "\r\n")
    return head + "q" * (size - base) + "\r\n"


def metrics(srv):
    rc, out, err = srv.popctl("show", "metrics")
    T.expect((rc, err), (0, ""), "popctl show metrics")
    d = {}
    for ln in out.splitlines():
        if ln.startswith("#") or not ln.strip():
            continue
        k, v = ln.rsplit(" ", 1)
        d[k] = float(v)
    return d


def refused(m, at):
    return m['popd_quota_refused_total{at="%s"}' % at]


def stats(srv):
    rc, out, err = srv.popctl("show", "stats")
    T.expect((rc, err), (0, ""), "popctl show stats")
    return {f[0]: int(f[1]) for f in (ln.split() for ln in
                                      out.splitlines()[2:]) if len(f) == 3}


def show_quota(srv, user):
    rc, out, err = srv.popctl("show", "quota", user)
    T.expect((rc, err), (0, ""), "popctl show quota %s" % user)
    return out.splitlines()


# show quota's junk line for a user without any junk setting.
NOJUNK = "junk none (default)"


def quota_lines(srv, user, lim_b, lim_m, md=None):
    """What show quota prints for user with that limit and md's truth."""
    md = md or srv.maildir(user)
    b, m = truth(md)
    over = (lim_b and b >= lim_b) or (lim_m and m >= lim_m)
    return ["user %s" % user, "maildir %s" % md, NOJUNK,
            "limit %s, %s" % ("%d bytes" % lim_b if lim_b else
                              "no byte limit", "%d messages" % lim_m
                              if lim_m else "no message limit"),
            "used %d bytes, %d messages" % (b, m),
            "over %s" % ("yes" if over else "no")]


def rcpt(c, user, size=None):
    """A fresh transaction on c: MAIL (with SIZE=size), then RCPT user;
    the reply to RCPT.  RSET after it."""
    if not getattr(c, "hello", False):
        c.ok("LHLO quota.test")
        c.hello = True
    c.ok("MAIL FROM:<%s>%s" % (L.SENDER, "" if size is None else
                               " SIZE=%d" % size))
    r = c.cmd("RCPT TO:<%s>" % user)
    c.ok("RSET")
    return r


def popd_n(srv, extra):
    """popd -n -v on srv's configuration with extra (written to
    srv.conffile): (exit status, output, the configuration's text)."""
    srv.conf_extra = extra
    rc, out = srv.check_config("-v")
    return rc, out, open(srv.conffile).read()


def line_of(text, stmt):
    return text.splitlines().index(stmt.rstrip("\n")) + 1


def files_named(md):
    """The unique names of md's messages (new/ or cur/, no flags)."""
    return set(os.path.basename(f).split(":")[0]
               for f in T.message_files(md))


# --- popd.conf ------------------------------------------------------------

@T.test(start=False, check_alive=False)
def conf_printed_and_checked(srv):
    """popd -n -v prints the default quota, quota users and quota full;
    each bad value is a file:line error, and popd refuses to start."""
    rc, out, _ = popd_n(srv, "")
    T.expect(rc, 0, "popd -n without quota: " + out)
    lines = out.splitlines()
    T.expect_true("quota none" in lines and "quota full permanent" in lines
                  and not any(ln.startswith("quota users") for ln in lines),
                  "the defaults printed", out)
    qf = os.path.join(srv.tmpdir, "quotas")
    with open(qf, "w") as f:
        f.write("# per user\nalice  10K\nbob\tnone\ncarol 1G messages 5\n")
    rc, out, _ = popd_n(srv, 'quota 10M messages 1000\nquota users "%s"\n'
                        'quota full temporary\n' % qf)
    T.expect(rc, 0, "popd -n with quotas: " + out)
    got = [ln for ln in out.splitlines() if ln.startswith("quota")]
    T.expect(got, ["quota 10M messages 1000", 'quota users "%s"' % qf,
                   "quota full temporary"], "the quota lines")
    rc, out, _ = popd_n(srv, "quota messages 20\n")
    T.expect_true(rc == 0 and "quota messages 20" in out.splitlines(),
                  "quota messages N", out)
    with open(qf, "w") as f:
        f.write("alice 10K\n\nbob 12Q\ncarol messages 0\n")
    cases = [("quota 10X\n", 'quota "10X": not a size'),
             ("quota 5M messages 0\n", 'quota messages "0": not a number '
              'of messages above 0'),
             ("quota full maybe\n", "quota full: temporary or permanent"),
             ('quota users "%s"\n' % qf, 'quota users "%s": not loaded'
              % qf)]
    for stmt, why in cases:
        rc, out, text = popd_n(srv, stmt)
        where = "%s:%d: " % (srv.conffile, line_of(text, stmt))
        T.expect_true(rc != 0 and (where + why) in out,
                      "popd -n on %r: %r" % (stmt, where + why), out)
        if "users" in stmt:
            for ln, what in ((3, '"bob": quota "12Q": not a size'),
                             (4, '"carol": quota messages "0": not a '
                              'number of messages above 0')):
                T.expect_true("%s:%d: %s" % (qf, ln, what) in out,
                              "the quota users file's line %d" % ln, out)
        try:
            srv.start(timeout=10, probe=False)
        except RuntimeError as e:
            T.expect_true(where + why in str(e), "popd's error at start",
                          str(e))
        else:
            srv.stop()
            raise AssertionError("popd started with %r" % stmt)
    # Every error, not only the first.
    rc, out, text = popd_n(srv, "quota 10X\nquota full maybe\n")
    T.expect_true(rc != 0 and ":%d: quota" % line_of(text, "quota 10X")
                  in out and ":%d: quota full" %
                  line_of(text, "quota full maybe") in out,
                  "both errors reported", out)


# --- LMTP -------------------------------------------------------------------

@T.test(start=False)
def lmtp_over_quota_at_rcpt(srv):
    """alice over the default quota is refused at RCPT, 552 5.2.2; bob,
    in the same transaction, gets the message once."""
    L.start(srv, "quota 10K\n")
    for _ in range(3):
        put(srv, "alice", 4000)
    before = metrics(srv)
    c = L.Lmtp(srv)
    rr, dr = c.transaction(["alice@popd.test", "bob@popd.test"], L.msg(1))
    T.expect(rr, [(552, "552 5.2.2 <alice@popd.test> mailbox full: over "
                   "quota"), (250, "250 2.1.5 ok")], "RCPT replies")
    T.expect(dr, [(250, "250 2.0.0 <bob@popd.test> delivered")],
             "one DATA reply, bob's")
    T.expect(len(srv.files("bob", "new")), 1, "bob has it once")
    T.expect(len(srv.files("alice", "new")), 3, "alice has only hers")
    T.expect(qtext(srv.maildir("alice")), "10240S\n12000 3\n",
             "alice's maildirsize, recalculated at RCPT")
    after = metrics(srv)
    T.expect(refused(after, "rcpt") - refused(before, "rcpt"), 1,
             "popd_quota_refused_total{at=\"rcpt\"}")
    T.expect(after["popd_quota_users_over"], 1, "popd_quota_users_over")
    srv.wait_log("<alice@popd.test>: over quota")


@T.test(start=False)
def lmtp_size_refused_at_rcpt(srv):
    """MAIL's SIZE= that cannot fit in what the quota leaves (even half
    of it, as LF line ends may store it): 552 5.2.2 at RCPT for that
    recipient only; a SIZE= whose half fits is accepted, and DATA
    checks the real size."""
    L.start(srv, "quota 10K\n")
    put(srv, "alice", 6000)
    before = metrics(srv)
    c = L.Lmtp(srv)
    T.expect(rcpt(c, "alice", 9000), (552, "552 5.2.2 <alice> mailbox "
                                      "full: the message would exceed the "
                                      "quota"), "SIZE=9000 for alice")
    T.expect(rcpt(c, "alice", 8000)[0], 250, "SIZE=8000 for alice: 4000 "
             "may fit")
    T.expect(rcpt(c, "bob", 9000)[0], 250, "SIZE=9000 for bob")
    T.expect(rcpt(c, "alice", 4000)[0], 250, "SIZE=4000 for alice")
    T.expect(rcpt(c, "alice")[0], 250, "no SIZE= for alice")
    after = metrics(srv)
    T.expect(refused(after, "size") - refused(before, "size"), 1,
             "popd_quota_refused_total{at=\"size\"}")
    T.expect(refused(after, "rcpt"), refused(before, "rcpt"),
             "not counted as over quota")
    c.ok("MAIL FROM:<%s> SIZE=4000" % L.SENDER)
    c.ok("RCPT TO:<alice>")
    c.ok("DATA", 354)
    c.send(L.stuff(body_of("fits", 4000)) + b".\r\n")
    T.expect(c.reply()[0], 250, "the 4000 bytes delivered")
    T.expect(qsum(srv.maildir("alice")), (10000, 2), "maildirsize")


def fill(srv, user, size):
    """Another writer's delivery, as mda makes it: a message of size
    bytes, then its line appended to maildirsize."""
    put(srv, user, size)
    with open(os.path.join(srv.maildir(user), QFILE), "a") as f:
        f.write("%d 1\n" % size)


@T.test(start=False)
def fresh_answer_then_another_writer(srv):
    """The worker's answer is kept two seconds (userquota.c): alice's
    next RCPT is taken without asking; another writer that fills her
    maildir meanwhile gets her refused after DATA (552, nothing left),
    and once the answer is older, at RCPT again."""
    L.start(srv, "quota 10K\n")
    c = L.Lmtp(srv)
    rr, dr = c.transaction(["alice"], body_of("first", 2000))
    T.expect([r[0] for r in rr] + [r[0] for r in dr], [250, 250],
             "the first message")
    fill(srv, "alice", 9000)
    rr, dr = c.transaction(["alice", "bob"], body_of("second", 2000))
    T.expect([r[0] for r in rr], [250, 250], "RCPT within the fresh "
             "answer's two seconds: taken without asking")
    T.expect([r[0] for r in dr], [552, 250], "alice refused after DATA, "
             "bob delivered")
    T.expect(len(srv.files("alice", "new")), 2, "alice has the first and "
             "the other writer's only")
    time.sleep(2.2)
    rr, dr = c.transaction(["alice", "bob"], body_of("third", 2000))
    T.expect(rr[0][0], 552, "an answer past its two seconds: asked, "
             "refused at RCPT")


@T.test(start=False)
def lmtp_refused_after_data(srv):
    """A message too big for alice's quota, sent without SIZE=: both
    recipients accepted at RCPT, alice refused after DATA (552 5.2.2,
    nothing left in her maildir), bob (1M in the quota users file)
    delivered."""
    qf = os.path.join(srv.tmpdir, "quotas")
    with open(qf, "w") as f:
        f.write("bob 1M\n")
    L.start(srv, 'quota 10K\nquota users "%s"\n' % qf)
    before, sbefore = metrics(srv), stats(srv)
    body = body_of("big", 12000)
    c = L.Lmtp(srv)
    rr, dr = c.transaction(["alice", "bob"], body)
    T.expect([r[0] for r in rr], [250, 250], "RCPT replies")
    T.expect(dr, [(552, "552 5.2.2 <alice> mailbox full: the message "
                   "would exceed the quota"),
                  (250, "250 2.0.0 <bob> delivered")], "DATA replies")
    md = srv.maildir("alice")
    T.expect((T.files(md, "new"), T.files(md, "tmp")), ([], []),
             "nothing in alice's new/ or tmp/")
    T.expect(qtext(md), "10240S\n0 0\n", "alice's maildirsize")
    bob = srv.files("bob", "new")
    T.expect(len(bob), 1, "bob's message")
    T.expect(qtext(srv.maildir("bob")), "1048576S\n0 0\n12000 1\n",
             "bob's maildirsize")
    T.expect_true(bob[0].endswith(",S=12000,W=12005"),
                  "S= is the stored size", bob[0])
    T.expect(os.path.getsize(os.path.join(srv.maildir("bob"), "new",
                                          bob[0])), 12000, "bob's file")
    after, safter = metrics(srv), stats(srv)
    T.expect(refused(after, "data") - refused(before, "data"), 1,
             "popd_quota_refused_total{at=\"data\"}")
    T.expect(safter["lmtp_refused"] - sbefore["lmtp_refused"], 1,
             "a permanent refusal in show stats")
    T.expect(safter["quota_refused_data"] - sbefore["quota_refused_data"],
             1, "show stats quota_refused_data")
    srv.wait_log("<alice> (alice): over quota, 12000 bytes")


@T.test(start=False)
def lmtp_quota_full_temporary(srv):
    """quota full temporary: the same three refusals are 452 4.2.2, and
    count as deferred, not refused."""
    L.start(srv, "quota 10K\nquota full temporary\n")
    for _ in range(3):
        put(srv, "alice", 4000)
    sbefore = stats(srv)
    c = L.Lmtp(srv)
    T.expect(rcpt(c, "alice"), (452, "452 4.2.2 <alice> mailbox full: "
                                "over quota"), "over quota at RCPT")
    T.expect(rcpt(c, "bob", 30000), (452, "452 4.2.2 <bob> mailbox full: "
                                     "the message would exceed the "
                                     "quota"), "SIZE=")
    rr, dr = c.transaction(["bob"], body_of("big", 12000))
    T.expect(dr, [(452, "452 4.2.2 <bob> mailbox full: the message would "
                   "exceed the quota")], "after DATA")
    T.expect(srv.files("bob", "new") + srv.files("bob", "tmp"), [],
             "nothing delivered")
    s = stats(srv)
    T.expect((s["lmtp_deferred"] - sbefore["lmtp_deferred"],
              s["lmtp_refused"] - sbefore["lmtp_refused"]), (1, 0),
             "deferred, not refused")


def fresh_rcpt(srv, user):
    """rcpt's code on a new connection, after a reload."""
    return rcpt(L.hello_after_reload(srv), user)[0]


@T.test(start=False, users=THREE)
def quota_users_file_overrides(srv):
    """The quota users file's line wins over the default: alice (none)
    takes what carol (the default) may not; bob's "20K messages 2"
    refuses a third message; show quota says each; a reload reads the
    file again."""
    qf = os.path.join(srv.tmpdir, "quotas")
    with open(qf, "w") as f:
        f.write("# comment\nalice\tnone\n\nbob   20K messages 2\n")
    L.start(srv, 'quota 10K\nquota users "%s"\n' % qf)
    c = L.Lmtp(srv)
    body = body_of("fifteen", 15000)
    rr, dr = c.transaction(["alice", "carol"], body)
    T.expect([d[0] for d in dr], [250, 552], "alice delivered, carol not")
    T.expect(os.path.exists(os.path.join(srv.maildir("alice"), QFILE)),
             False, "no maildirsize for a user without a limit")
    for i in range(2):
        T.expect(c.transaction(["bob"], L.msg(i))[1][0][0], 250,
                 "bob's message %d" % i)
    T.expect(rcpt(c, "bob"), (552, "552 5.2.2 <bob> mailbox full: over "
                              "quota"), "bob's third")
    T.expect(show_quota(srv, "alice"), ["user alice", "maildir %s" %
                                        srv.maildir("alice"), NOJUNK,
                                        "limit none"], "show quota alice")
    T.expect(show_quota(srv, "bob"), quota_lines(srv, "bob", 20480, 2),
             "show quota bob")
    T.expect(show_quota(srv, "carol"), quota_lines(srv, "carol", 10240, 0),
             "show quota carol")
    with open(qf, "w") as f:
        f.write("alice 10K\n")
    c.s.close()
    srv.reload()
    T.wait_for(lambda: fresh_rcpt(srv, "alice") == 552, 10,
               "alice's new quota after the reload")
    T.wait_for(lambda: fresh_rcpt(srv, "bob") == 250, 10,
               "bob back to the default")


@T.test(start=False)
def quota_users_database(srv):
    """quota users <table>: table-sqlite answers K_ALIAS with each
    user's quota, read at each RCPT; a user the database does not name
    has the default; a value that is no quota is a temporary failure
    (451 4.3.0) naming the table, never a 5xx."""
    T.need_root()
    conf, sql = D.sqlite_alias(srv.tmpdir, "quotas", "quota",
                               [("alice", "10K")])

    def set_quota(value):
        sql("UPDATE quotas SET quota = ? WHERE name = 'alice'", value)
    extra = "table quotas sqlite:%s\nquota users <quotas>\n" % conf
    rc, out, _ = popd_n(srv, extra)
    T.expect_true(rc == 0 and "quota users <quotas>" in out.splitlines(),
                  "popd -n -v prints the table", out)
    for _ in range(3):
        put(srv, "alice", 4000)
    L.start(srv, extra)
    c = L.Lmtp(srv)
    rr, dr = c.transaction(["alice", "bob"], L.msg(1))
    T.expect([r[0] for r in rr], [552, 250], "alice over her 10K, bob none")
    T.expect(os.path.exists(os.path.join(srv.maildir("bob"), QFILE)),
             False, "no limit for bob: no maildirsize")
    T.expect(show_quota(srv, "alice"), quota_lines(srv, "alice", 10240, 0),
             "show quota alice")
    set_quota("20K messages 10")
    T.expect(rcpt(c, "alice")[0], 250, "20K read at the next RCPT")
    set_quota("banana")
    code, text = rcpt(c, "alice")
    T.expect((code, text), (451, "451 4.3.0 <alice>: cannot check the "
                            "mailbox's quota, try later"),
             "a value that is no quota")
    T.expect(rcpt(c, "bob")[0], 250, "bob meanwhile")
    srv.wait_log('quota users <quotas>: alice: "banana": not a size')
    rc, out, err = srv.popctl("show", "quota", "alice")
    T.expect_true(rc != 0 and "quota table cannot answer" in err,
                  "show quota with a bad value", (rc, out, err))
    set_quota("none")
    rr, dr = c.transaction(["alice"], L.msg(2))
    T.expect(dr[0][0], 250, "none: delivered")


@T.test(start=False)
def maildirsize_after_deliveries(srv):
    """maildirsize holds the definition, the count of the recalculation
    that made it (the maildir and its folders), then one "SIZE 1" line a
    delivery, SIZE the file's size and its name's S=; mda without -q
    keeps the same file."""
    L.start(srv, "quota 1M messages 100\n")
    md = srv.maildir("alice")
    put(srv, "alice", 1000)
    put(srv, "alice", 2000, sub="cur")
    put(srv, "alice", 700, folder=".Archive", sub="cur", sname=False)
    put(srv, "alice", 300, folder=".Archive")
    c = L.Lmtp(srv)
    sizes = []
    for i, n in enumerate((500, 1500, 4321)):
        old = files_named(md)
        T.expect(c.transaction(["alice"], body_of("m%d" % i, n))[1][0][0],
                 250, "delivery %d" % i)
        new = files_named(md) - old
        T.expect(len(new), 1, "one new file")
        path = os.path.join(md, "new", new.pop())
        with open(path, "rb") as f:
            data = f.read()
        T.expect(len(data), n, "the stored size")
        T.expect_true(path.endswith(",S=%d,W=%d" % (n, T.rfc_size(data))),
                      "S= in the name", path)
        sizes.append(n)
    data = b"Subject: by mda\n\n" + b"m" * 200 + b"\n"
    r = T.run_mda(srv, "alice", data)
    T.expect(r.returncode, 0, "mda (stderr %r)" % r.stderr)
    sizes.append(len(data))
    T.expect(qtext(md), "1048576S,100C\n4000 4\n" +
             "".join("%d 1\n" % n for n in sizes), "maildirsize")
    T.expect(qsum(md), truth(md), "its sum is the maildir's")
    st = os.stat(os.path.join(md, QFILE))
    T.expect((st.st_uid, st.st_mode & 0o777), (srv.uid("alice"), 0o600),
             "owner and mode")


# --- POP3, popctl, metrics -------------------------------------------------

@T.test(start=False)
def pop3_never_refused_for_quota(srv):
    """alice over quota logs in, DELEs and QUITs; maildirsize gets one
    negative line, show quota reports the lower use and "over no", LMTP
    delivers again and popd_quota_users_over goes back to 0 with its
    check (show quota's reader tells the lmtp process nothing)."""
    L.start(srv, "quota 10K\n")
    md = srv.maildir("alice")
    for _ in range(3):
        put(srv, "alice", 4000)
    c = L.Lmtp(srv)
    T.expect(rcpt(c, "alice")[0], 552, "over quota at RCPT")
    T.expect(show_quota(srv, "alice"), quota_lines(srv, "alice", 10240, 0),
             "show quota over")
    T.expect(show_quota(srv, "alice")[-1], "over yes", "over yes")
    T.expect(metrics(srv)["popd_quota_users_over"], 1, "one user over")
    p = srv.pop("alice")
    T.expect(p.stat()[0], 3, "STAT")
    p.dele(1)
    p.dele(2)
    p.quit()
    T.wait_for(lambda: qread(md)[1][-1] == (-8000, -2), 10,
               "the removal's line")
    T.expect(qtext(md), "10240S\n12000 3\n-8000 -2\n", "maildirsize")
    T.expect(metrics(srv)["popd_quota_users_over"], 1,
             "still over until the next check")
    T.expect(show_quota(srv, "alice"), ["user alice", "maildir %s" % md,
                                        NOJUNK,
                                        "limit 10240 bytes, no message limit",
                                        "used 4000 bytes, 1 messages",
                                        "over no"], "show quota after")
    T.expect(metrics(srv)["popd_quota_users_over"], 1,
             "still over: show quota is no delivery's check")
    rr, dr = c.transaction(["alice"], L.msg(3))
    T.expect(dr[0][0], 250, "delivered again")
    T.expect(metrics(srv)["popd_quota_users_over"], 0, "none over")
    T.expect(len(srv.files("alice", "new")) + len(srv.files("alice",
                                                            "cur")),
             2, "alice's messages")


@T.test(start=False, users=THREE)
def show_quota_answers(srv):
    """popctl show quota: a user with a limit, one without (quota users
    says none), an unknown user (an error, exit 1)."""
    qf = os.path.join(srv.tmpdir, "quotas")
    with open(qf, "w") as f:
        f.write("carol none\n")
    L.start(srv, 'quota 2M messages 50\nquota users "%s"\n' % qf)
    put(srv, "alice", 1234)
    put(srv, "alice", 5000, folder=".Sent", sub="cur")
    T.expect(show_quota(srv, "alice"), ["user alice", "maildir %s" %
                                        srv.maildir("alice"), NOJUNK,
                                        "limit 2097152 bytes, 50 messages",
                                        "used 6234 bytes, 2 messages",
                                        "over no"], "alice")
    T.expect(qtext(srv.maildir("alice")), "2097152S,50C\n6234 2\n",
             "made by the check")
    T.expect(show_quota(srv, "carol"), ["user carol", "maildir %s" %
                                        srv.maildir("carol"), NOJUNK,
                                        "limit none"], "carol")
    rc, out, err = srv.popctl("show", "quota", "nobody")
    T.expect((rc, out), (1, ""), "an unknown user: exit and output")
    T.expect_true("no such user" in err, "an unknown user's error", err)
    T.expect(srv.crashes(), [], "no process restarted")


@T.test(start=False)
def metrics_counters_move(srv):
    """Each refusal moves its own counter by one, in show metrics and in
    show stats: rcpt (over), size (SIZE=), data (after DATA), mda."""
    L.start(srv, "quota 10K\n")
    for _ in range(3):
        put(srv, "bob", 4000)
    m0, s0 = metrics(srv), stats(srv)
    kinds = ("rcpt", "size", "data", "mda")

    def moved(want):
        m, s = metrics(srv), stats(srv)
        got = {k: (refused(m, k) - refused(m0, k),
                   s["quota_refused_" + k] - s0["quota_refused_" + k])
               for k in kinds}
        return got == {k: (want.get(k, 0),) * 2 for k in kinds} and got
    c = L.Lmtp(srv)
    T.expect(rcpt(c, "bob")[0], 552, "bob over")
    T.expect_true(moved({"rcpt": 1}), "rcpt +1", moved({}))
    T.expect(rcpt(c, "alice", 30000)[0], 552, "SIZE=")
    T.expect_true(moved({"rcpt": 1, "size": 1}), "size +1", moved({}))
    T.expect(c.transaction(["alice"], body_of("x", 11000))[1][0][0], 552,
             "after DATA")
    T.expect_true(moved({"rcpt": 1, "size": 1, "data": 1}), "data +1",
                  moved({}))
    r = T.run_mda(srv, "alice", b"Subject: x\n\n" + b"x" * 3000 + b"\n",
                  args=["-q", "1K", "-s", srv.ctlsock])
    T.expect(r.returncode, EX_NOPERM, "mda refused (stderr %r)" % r.stderr)
    T.wait_for(lambda: moved({"rcpt": 1, "size": 1, "data": 1, "mda": 1}),
               10, "mda's report counted")


# --- mda --------------------------------------------------------------------

@T.test(start=False, check_alive=False)
def mda_quota_refusals(srv):
    """mda -q: a message that does not fit exits 77 with one line on
    stderr and leaves nothing in tmp/ or new/; -t exits 75 with 4.2.2; a
    limit of messages says so; one that fits is delivered and counted."""
    md = srv.maildir("alice")
    big = b"Subject: big\n\n" + b"b" * 12000 + b"\n"
    r = T.run_mda(srv, "alice", big, args=["-q", "10K"])
    T.expect(r.returncode, EX_NOPERM, "exit status (stderr %r)" % r.stderr)
    T.expect(r.stderr.decode(), "mda: 5.2.2 mailbox full: the message (%d "
             "bytes) would exceed the quota of %s (0 of 10240 bytes used)\n"
             % (len(big), md), "stderr")
    T.expect((T.files(md, "tmp"), T.files(md, "new")), ([], []),
             "nothing left")
    r = T.run_mda(srv, "alice", big, args=["-t", "-q", "10K"])
    T.expect(r.returncode, EX_TEMPFAIL, "-t (stderr %r)" % r.stderr)
    T.expect_true(r.stderr.decode().startswith("mda: 4.2.2 mailbox full: "
                                               "the message"), "-t's line",
                  r.stderr)
    T.expect((T.files(md, "tmp"), T.files(md, "new")), ([], []),
             "nothing left after -t")
    small = b"Subject: small\n\nhello\n"
    r = T.run_mda(srv, "alice", small, args=["-q", "10K messages 1"])
    T.expect(r.returncode, 0, "one that fits (stderr %r)" % r.stderr)
    T.expect(qtext(md), "10240S,1C\n0 0\n%d 1\n" % len(small),
             "maildirsize made and counted")
    r = T.run_mda(srv, "alice", small, args=["-q", "10K messages 1"])
    T.expect((r.returncode, r.stderr.decode()),
             (EX_NOPERM, "mda: 5.2.2 mailbox full: 1 messages, the quota of "
              "%s is 1\n" % md), "a limit of messages")
    T.expect((len(T.files(md, "new")), T.files(md, "tmp")), (1, []),
             "one message, tmp/ empty")
    r = T.run_mda(srv, "alice", small, args=["-q", "10X"])
    T.expect(r.returncode, 64, "a bad -q is a usage error")
    T.expect_true(b'"10X": not a size' in r.stderr, "-q's error", r.stderr)


@T.test(start=False, check_alive=False)
def mda_without_q(srv):
    """Without -q mda keeps maildirsize's own definition; with no
    maildirsize it has no limit and makes none; -q over another
    definition recalculates."""
    md = srv.maildir("alice")
    small = b"Subject: s\n\n" + b"s" * 987 + b"\n"
    r = T.run_mda(srv, "alice", small)
    T.expect(r.returncode, 0, "no file, no -q (stderr %r)" % r.stderr)
    T.expect(os.path.lexists(os.path.join(md, QFILE)), False,
             "no maildirsize made")
    qwrite(srv, "alice", "5120S\n1000 1\n")
    r = T.run_mda(srv, "alice", small)
    T.expect(r.returncode, 0, "fits the file's 5120S (stderr %r)"
             % r.stderr)
    T.expect(qtext(md), "5120S\n1000 1\n%d 1\n" % len(small), "counted")
    big = b"Subject: b\n\n" + b"b" * 4000 + b"\n"
    r = T.run_mda(srv, "alice", big)
    T.expect(r.returncode, EX_NOPERM, "over the file's 5120S (stderr %r)"
             % r.stderr)
    T.expect_true(b"5.2.2 mailbox full" in r.stderr, "its line", r.stderr)
    r = T.run_mda(srv, "alice", big, args=["-q", "1M"])
    T.expect(r.returncode, 0, "-q 1M (stderr %r)" % r.stderr)
    b, m = truth(md)
    T.expect(qtext(md), "1048576S\n%d %d\n%d 1\n" % (b - len(big), m - 1,
                                                     len(big)),
             "recalculated for -q's definition")


# --- maildirsize damaged ---------------------------------------------------

@T.test(start=False)
def damaged_maildirsize_recalculated(srv):
    """Garbage, a line cut short, a negative total, no file, 5,120 bytes
    or more, a symlink (to a file and dangling) and a FIFO: the next
    delivery, by LMTP and by mda -q, recalculates: a regular file with
    the maildir's count and the delivery's line; a link is replaced,
    never followed; nothing is lost."""
    L.start(srv, "quota 1M\n")
    md = srv.maildir("alice")
    put(srv, "alice", 1111)
    put(srv, "alice", 2222, folder=".Trash", sub="cur")
    put(srv, "alice", 333, folder=".Trash", sname=False)
    target = os.path.join(srv.tmpdir, "precious")
    with open(target, "w") as f:
        f.write("1048576S\n0 0\n")
    os.chmod(target, 0o666)

    def damage(kind):
        qremove(srv, "alice")
        p = os.path.join(md, QFILE)
        if kind == "garbage":
            qwrite(srv, "alice", "hello\nworld\n")
        elif kind == "cut":
            qwrite(srv, "alice", "1048576S\n100 1\n20")
        elif kind == "negative":
            qwrite(srv, "alice", "1048576S\n-5000 -3\n")
        elif kind == "huge":
            qwrite(srv, "alice", "1048576S\n" + "0 0\n" * 1300)
        elif kind == "symlink":
            os.symlink(target, p)
            own(srv, "alice", p)
        elif kind == "dangling":
            os.symlink(os.path.join(srv.tmpdir, "nothing"), p)
            own(srv, "alice", p)
        elif kind == "fifo":
            os.mkfifo(p, 0o600)
            own(srv, "alice", p)
    c = L.Lmtp(srv)
    kinds = ("garbage", "cut", "negative", "missing", "huge", "symlink",
             "dangling", "fifo")
    for how in ("lmtp", "mda"):
        for kind in kinds:
            damage(kind)
            old = files_named(md)
            b, m = truth(md)
            body = body_of("%s-%s" % (how, kind), 600)
            if how == "lmtp":
                rr, dr = c.transaction(["alice"], body)
                T.expect(dr[0][0], 250, "LMTP after %s: %r" % (kind, dr))
            else:
                data = L.stored(body).replace(b"\r\n", b"\n")
                r = T.run_mda(srv, "alice", data, args=["-q", "1M"],
                              timeout=20)
                T.expect(r.returncode, 0, "mda after %s (stderr %r)"
                         % (kind, r.stderr))
            new = files_named(md) - old
            T.expect((len(new), old <= files_named(md)), (1, True),
                     "%s %s: one more, nothing lost" % (how, kind))
            T.expect(qtext(md), "1048576S\n%d %d\n600 1\n" % (b, m),
                     "%s after %s: recalculated" % (how, kind))
            T.expect(T.files(md, "tmp"), [], "tmp/ empty")
    with open(target) as f:
        T.expect(f.read(), "1048576S\n0 0\n", "the link's target untouched")
    T.expect(os.path.exists(os.path.join(srv.tmpdir, "nothing")), False,
             "nothing made at a dangling link's target")
    T.expect(len(T.message_files(md)), 1 + 2 * len(kinds), "every message")


@T.test(start=False)
def size_rule_in_a_long_lived_worker(srv):
    """maildirsize a few lines short of 5,120 bytes, then 12 deliveries
    over one LMTP connection (one dlvrpop for the maildir, which keeps
    the count it read and appended): the delivery that finds the file
    at 5,120 bytes or more recalculates it, as a fresh process would;
    the file ends short, its sum the maildir's."""
    L.start(srv, "quota 1M\n")
    md = srv.maildir("alice")
    put(srv, "alice", 1111)
    pad = "1048576S\n1111 1\n"
    pad += "0 0\n" * ((5100 - len(pad)) // 4)
    qwrite(srv, "alice", pad)
    c = L.Lmtp(srv)
    for i in range(12):
        T.expect(c.transaction(["alice"], body_of("r%d" % i, 600))[1][0][0],
                 250, "delivery %d" % i)
    size = os.path.getsize(os.path.join(md, QFILE))
    T.expect_true(size < 200, "maildirsize recalculated past 5,120 bytes "
                  "(%d bytes now)" % size)
    T.expect(qsum(md), truth(md), "its sum is the maildir's")
    T.expect(len(T.message_files(md)), 13, "every message")


@T.test(start=False)
def writers_without_a_limit_leave_links_and_fifos(srv):
    """Writers that only keep others' count (mda without -q, a session's
    UPDATE) never follow a maildirsize symlink nor block on a FIFO: the
    link's target is untouched, the delivery and the removal are done at
    once, quietly."""
    L.start(srv)
    md = srv.maildir("alice")
    p = os.path.join(md, QFILE)
    target = os.path.join(srv.tmpdir, "precious")
    with open(target, "w") as f:
        f.write("10240S\n0 0\n")
    os.chmod(target, 0o666)
    for kind in ("symlink", "fifo"):
        qremove(srv, "alice")
        if kind == "symlink":
            os.symlink(target, p)
        else:
            os.mkfifo(p, 0o600)
        own(srv, "alice", p)
        r = T.run_mda(srv, "alice", b"Subject: %s\n\nx\n" % kind.encode(),
                      timeout=10)
        T.expect((r.returncode, r.stderr), (0, b""), "mda with a %s" % kind)
        t = time.monotonic()
        pop = T.pop_when_free(srv, "alice")
        pop.dele(1)
        pop.quit()
        T.expect_true(time.monotonic() - t < 5, "UPDATE did not wait",
                      time.monotonic() - t)
        T.expect(T.message_files(md), [], "the message removed")
        st = os.lstat(p)
        T.expect_true(stat.S_ISLNK(st.st_mode) if kind == "symlink" else
                      stat.S_ISFIFO(st.st_mode), "the %s left as it was"
                      % kind, oct(st.st_mode))
    with open(target) as f:
        T.expect(f.read(), "10240S\n0 0\n", "the link's target untouched")
    log = srv.log()
    T.expect([ln for ln in log.splitlines() if QFILE in ln], [],
             "nothing logged about maildirsize")


# --- concurrency ------------------------------------------------------------

def mda_wave(srv, user, bodies, args):
    """One mda per body, all started first, their messages ended at the
    same moment: [(exit status, stderr)] in order."""
    procs = [T.mda_popen(srv, user, args=args) for _ in bodies]
    try:
        for p, b in zip(procs, bodies):
            p.stdin.write(b[:-1])
            p.stdin.flush()
        for p, b in zip(procs, bodies):
            p.stdin.write(b[-1:])
            p.stdin.close()
        return [(p.wait(30), p.stderr.read()) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stderr.close()


def tagged(tag, size):
    """An mda message of exactly size bytes carrying tag."""
    head = b"Subject: %s\nX-Tag: %s\n\n" % (tag, tag)
    return head + b"t" * (size - len(head) - 1) + b"\n"


def tags_in(md):
    """{tag: number of files holding it} over new/ and cur/."""
    out = {}
    for rel in T.message_files(md):
        with open(os.path.join(md, rel), "rb") as f:
            m = re.search(rb"X-Tag: (\S+)", f.read(4096))
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + 1
    return out


@T.test(start=False, check_alive=False, timeout=90)
def concurrent_mda_near_limit(srv):
    """16 mda -q 10K at once, 1 KB each, 8 KB already used: at least the
    two that fit are delivered, at most one more per concurrent writer
    beyond the first (15); each exit 0 is there once, each refusal
    (77) nowhere; a recalculation then equals the maildir; a second wave
    on the full maildir is refused whole."""
    md = srv.maildir("alice")
    for _ in range(8):
        put(srv, "alice", 1024)
    qwrite(srv, "alice", "10240S\n8192 8\n")
    bodies = [tagged(b"w1-%d" % i, 1024) for i in range(16)]
    res = mda_wave(srv, "alice", bodies, ["-q", "10K"])
    codes = [rc for rc, _ in res]
    T.expect_true(all(rc in (0, EX_NOPERM) for rc in codes),
                  "exit 0 or 77 only", res)
    ok = codes.count(0)
    T.expect_true(2 <= ok and ok - 2 <= 15, "2 fit, at most 15 beyond",
                  codes)
    for rc, err in res:
        if rc:
            T.expect_true(err.startswith(b"mda: 5.2.2 mailbox full"),
                          "a refusal's line", err)
    have = tags_in(md)
    for (rc, _), b in zip(res, bodies):
        tag = re.search(rb"X-Tag: (\S+)", b).group(1)
        T.expect(have.get(tag, 0), 1 if rc == 0 else 0,
                 "%s (exit %d) in the maildir" % (tag.decode(), rc))
    T.expect(T.files(md, "tmp"), [], "tmp/ empty")
    T.expect(truth(md), (8192 + 1024 * ok, 8 + ok), "the maildir")
    print("# concurrent_mda_near_limit: %d of 16 delivered, 2 fit" % ok)
    # A recalculation: the file damaged, the next mda reads the truth.
    qwrite(srv, "alice", "damaged\n")
    r = T.run_mda(srv, "alice", tagged(b"after", 1024), args=["-q", "10K"])
    T.expect(r.returncode, EX_NOPERM, "over after the wave (stderr %r)"
             % r.stderr)
    T.expect(qread(md), ("10240S", [truth(md)]),
             "maildirsize after the recalculation")
    res = mda_wave(srv, "alice", [tagged(b"w2-%d" % i, 100)
                                  for i in range(16)], ["-q", "10K"])
    T.expect([rc for rc, _ in res], [EX_NOPERM] * 16, "the second wave")
    T.expect(truth(md), (8192 + 1024 * ok, 8 + ok), "nothing more")


@T.test(start=False, timeout=90)
def concurrent_lmtp_one_user(srv):
    """16 LMTP sessions at once to alice (10K, 8 KB used), 1,000 bytes
    each: her jobs are one dlvrpop's, one at a time, so exactly the two
    that fit are delivered, the others refused 552 5.2.2, and the use
    never exceeds the limit; maildirsize equals the maildir."""
    L.start(srv, "quota 10K\n")
    md = srv.maildir("alice")
    for _ in range(8):
        put(srv, "alice", 1024)
    T.expect(show_quota(srv, "alice")[4], "used 8192 bytes, 8 messages",
             "the use before")
    n = 16
    ready = threading.Barrier(n, timeout=30)
    res = [None] * n

    def one(i):
        try:
            c = L.Lmtp(srv)
            c.ok("LHLO x")
            c.ok("MAIL FROM:<%s>" % L.SENDER)
            ready.wait()
            code, text = c.cmd("RCPT TO:<alice>")
            if code != 250:
                res[i] = ("rcpt", code, text)
                return
            c.ok("DATA", 354)
            c.send(L.stuff(body_of("c%d" % i, 1000)) + b".\r\n")
            res[i] = ("data",) + c.reply()
            c.close()
        except Exception as e:
            res[i] = ("error", 0, repr(e))
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    codes = [r[1] for r in res]
    T.expect(codes.count(250), 2, "delivered: %r" % res)
    T.expect_true(all(r[1] == 250 or (r[1] == 552 and
                                      r[2].startswith("552 5.2.2 <alice> "
                                                      "mailbox full"))
                      for r in res), "the others 552 5.2.2", res)
    T.expect(truth(md), (8192 + 2000, 10), "the maildir")
    T.expect_true(truth(md)[0] <= 10240, "never over the limit", truth(md))
    T.expect(qsum(md), truth(md), "maildirsize")


# --- kill -9 ----------------------------------------------------------------

def force_recalc_by_show(srv, user, lim):
    """maildirsize rewritten over quota with several lines: show quota
    must not believe it and recalculates.  Returns show quota's lines."""
    qwrite(srv, user, "%dS\n%d 1\n0 0\n" % (lim, lim * 2))
    return show_quota(srv, user)


@T.test(start=False, allow_crash=True, timeout=150)
def kill_dlvrpop_during_deliveries(srv):
    """Deliveries on two connections (alice, bob; 100M each) while their
    dlvrpop are killed at random: maildirsize never counts a message
    twice; every message answered 250 is there once, every 451 not at
    all; a recalculation, forced by a damaged file (alice) or an
    over-quota file of several lines (bob), equals the maildir."""
    lim = 100 * 1048576
    L.start(srv, "quota 100M\n")
    for user in ("alice", "bob"):
        put(srv, user, 3000, folder=".Archive", sub="cur")
        put(srv, user, 4000)
    stop = threading.Event()
    kills = [0]

    def killer():
        rnd = random.Random(2033)
        while not stop.is_set():
            time.sleep(rnd.uniform(0.001, 0.02))
            for p in L.dlvrpops(srv):
                try:
                    os.kill(p, 9)
                    kills[0] += 1
                except ProcessLookupError:
                    pass
    results = {}

    def sender(user, n):
        c = L.Lmtp(srv)
        for i in range(n):
            tag = "%s-%d" % (user, i)
            rr, dr = c.transaction([user], body_of(tag, 500 + i * 37))
            if rr[0][0] != 250:
                # Its worker killed while it read the use: 451 at RCPT.
                c.ok("RSET")
            results[tag] = rr[0][0] if rr[0][0] != 250 else dr[0][0]
    k = threading.Thread(target=killer)
    k.start()
    try:
        ts = [threading.Thread(target=sender, args=(u, 80))
              for u in ("alice", "bob")]
        for t in ts:
            t.start()
        for t in ts:
            t.join(100)
    finally:
        stop.set()
        k.join()
    T.expect(len(results), 160, "every message answered")
    T.expect_true(kills[0] >= 5, "workers were killed", kills[0])
    T.expect_true(set(results.values()) <= {250, 451},
                  "250 or 451 only", sorted(set(results.values())))
    for user in ("alice", "bob"):
        md = srv.maildir(user)
        have = tags_in(md)
        for tag, code in results.items():
            if tag.startswith(user + "-"):
                T.expect(have.get(tag.encode(), 0), 1 if code == 250 else 0,
                         "%s (answered %d)" % (tag, code))
        # A worker killed in a recalculation leaves its new maildirsize
        # in tmp/, as a killed mda leaves a message: maildir's 36 hours.
        T.expect([f for f in T.files(md, "tmp")
                  if not f.endswith("." + QFILE)], [],
                 "%s: no message in tmp/" % user)
        fb, fm = qsum(md)
        tb, tm = truth(md)
        T.expect_true(fb <= tb and fm <= tm, "%s: maildirsize never "
                      "counts a message twice" % user, ((fb, fm), (tb, tm)))
    md = srv.maildir("alice")
    qwrite(srv, "alice", "garbage\n")
    b, m = truth(md)
    T.expect(L.Lmtp(srv).transaction(["alice"], body_of("last", 999))[1],
             [(250, "250 2.0.0 <alice> delivered")], "alice's last")
    T.expect(qtext(md), "%dS\n%d %d\n999 1\n" % (lim, b, m),
             "alice's maildirsize recalculated")
    T.expect(force_recalc_by_show(srv, "bob", lim),
             quota_lines(srv, "bob", lim, 0), "bob's show quota")
    T.expect(qread(srv.maildir("bob")), ("%dS" % lim,
                                         [truth(srv.maildir("bob"))]),
             "bob's maildirsize recalculated")


@T.test(start=False, allow_crash=True, timeout=120)
def kill_mda_at_random(srv):
    """mda -q 1M killed by SIGKILL at random moments, most while it
    reads a slow stdin, some after it: each exit 0 is there once, a
    killed one at most once, nothing else in new/; a recalculation then
    equals the maildir."""
    L.start(srv, "quota 1M\n")
    md = srv.maildir("alice")
    put(srv, "alice", 2000, folder=".Drafts", sub="cur")
    rnd = random.Random(1122)
    res = {}

    def one(i):
        data = tagged(b"k%d" % i, rnd.randrange(300, 60000))
        p = T.mda_popen(srv, "alice", args=["-q", "1M"])
        half = len(data) // 2
        try:
            p.stdin.write(data[:half])
            p.stdin.flush()
            if i % 3:                   # killed while reading stdin
                time.sleep(rnd.uniform(0, 0.02))
                p.kill()
            else:                       # killed at any later moment
                p.stdin.write(data[half:])
                p.stdin.close()
                time.sleep(rnd.uniform(0, 0.004))
                p.kill()
        except (BrokenPipeError, OSError):
            pass
        rc = p.wait(30)
        p.stderr.close()
        try:
            p.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        res[b"k%d" % i] = rc
    for start in range(0, 48, 8):
        ts = [threading.Thread(target=one, args=(i,))
              for i in range(start, start + 8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
    T.expect(len(res), 48, "every mda ended")
    T.expect_true(set(res.values()) <= {0, -9}, "exit 0 or killed",
                  sorted(set(res.values())))
    T.expect_true(list(res.values()).count(-9) >= 20, "most were killed",
                  res)
    have = tags_in(md)
    for tag, rc in res.items():
        n = have.get(tag, 0)
        T.expect_true(n == 1 if rc == 0 else n <= 1, "%s (exit %d) %d "
                      "times" % (tag.decode(), rc, n))
    T.expect(set(have) - set(res), set(), "no other message")
    qwrite(srv, "alice", "1048576S\n1 1\n2")
    b, m = truth(md)
    data = tagged(b"last", 777)
    r = T.run_mda(srv, "alice", data, args=["-q", "1M"])
    T.expect(r.returncode, 0, "the last mda (stderr %r)" % r.stderr)
    T.expect(qtext(md), "1048576S\n%d %d\n777 1\n" % (b, m),
             "maildirsize recalculated")
    T.expect(qsum(md), truth(md), "equal to the maildir")


@T.test(start=False, allow_crash=True, timeout=150)
def kill_wrkrpop_mid_update(srv):
    """Sessions DELE half of alice's 600 messages and QUIT.  The first
    runs its UPDATE whole: maildirsize then equals the maildir, and the
    time UPDATE takes is measured.  The next ones are killed at a random
    moment of that time, until three kills landed between the first
    removal and the line in maildirsize: only what was DELEd is
    removed, maildirsize never says less than the maildir holds, and a
    recalculation (show quota over an over-quota file of several lines)
    equals it; the next session serves what is there."""
    lim = 10 * 1048576
    L.start(srv, "quota 10M\n")
    md = srv.maildir("alice")
    put(srv, "alice", 5555, folder=".Old", sub="cur")
    rnd = random.Random(1939)
    landed = rounds = 0
    took = None
    while landed < 3 and rounds < 20:
        rounds += 1
        for _ in range(600 - truth(md)[1]):
            put(srv, "alice", rnd.randrange(200, 3000))
        force_recalc_by_show(srv, "alice", lim)
        T.expect(qread(md), ("%dS" % lim, [truth(md)]), "recalculated")
        before = files_named(md)
        r = T.wait_for(lambda: _login(srv), 10, "a login")
        n = int(r.ok("STAT").split()[1])
        dele = list(range(1, n + 1, 2))
        r.send("".join("DELE %d\r\n" % i for i in dele))
        for i in dele:
            T.expect(r.line()[:3], b"+OK", "DELE %d" % i)
        pid = srv.pids()["wrkrpop"]
        T.expect(len(pid), 1, "one wrkrpop")
        t = time.monotonic()
        r.send("QUIT\r\n")
        if took is None:
            T.expect(r.line()[:3], b"+OK", "QUIT")
            took = time.monotonic() - t
        else:
            time.sleep(rnd.uniform(0, took))
            try:
                os.kill(pid[0], 9)
            except ProcessLookupError:
                pass
        r.close()
        T.wait_for(lambda: pid[0] not in srv.pids()["wrkrpop"], 10,
                   "the wrkrpop gone")
        after = files_named(md)
        gone = len(before - after)
        T.expect(after - before, set(), "round %d: nothing new" % rounds)
        T.expect_true(gone <= len(dele), "round %d: at most the DELEd "
                      "removed" % rounds, (gone, len(dele)))
        fb, fm = qsum(md)
        tb, tm = truth(md)
        if rounds == 1:
            T.expect((gone, (fb, fm)), (len(dele), (tb, tm)),
                     "a whole UPDATE: removed, and counted in one line")
            T.expect(qread(md)[1][-1][1], -len(dele), "its line")
        T.expect_true(fb >= tb and fm >= tm, "round %d: maildirsize never "
                      "below the maildir" % rounds, ((fb, fm), (tb, tm)))
        if gone > 0 and (fb, fm) != (tb, tm):
            landed += 1
        T.expect(force_recalc_by_show(srv, "alice", lim),
                 quota_lines(srv, "alice", lim, 0), "show quota")
        T.expect(qread(md), ("%dS" % lim, [truth(md)]),
                 "round %d: recalculated" % rounds)
    T.expect_true(landed > 0, "a kill between the removals and their "
                  "line", (rounds, took))
    p = T.pop_when_free(srv, "alice")
    T.expect(p.stat()[0], len(T.message_files(md)),
             "the next session's STAT (the folder is not POP3's)")
    p.quit()
    print("# kill_wrkrpop_mid_update: UPDATE took %.1f ms; %d of %d kills "
          "mid-UPDATE" % (took * 1000, landed, rounds - 1))


def _login(srv):
    """A Raw session logged in as alice, or None while the lock is held."""
    r = srv.raw()
    r.line()
    r.ok("USER alice")
    got = r.cmd("PASS " + srv.password("alice"))
    if got.startswith(b"+OK"):
        return r
    r.close()
    if b"IN-USE" not in got:
        raise AssertionError("PASS: %r" % got)
    return None


if __name__ == "__main__":
    T.main()
