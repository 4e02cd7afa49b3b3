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

"""Quotas against the real peers: Debian 12's Dovecot 2.3 quota plugin
(quota = maildir, a private instance: dovecot-core, dovecot-lda,
doveadm) on the maildirs and the maildirsize files popd writes and
reads, and Debian 12's OpenSMTPD 6.8 delivering to users over quota
through popd's LMTP socket (its lmtp action) and through popd's mda.
Installs dovecot-core (with dovecot-pop3d for the private instance)
and opensmtpd with apt-get when they are missing and we are root;
skipped only when they cannot be installed.

What OpenSMTPD 6.8 does with a refusal (its sources, and pinned here):
- lmtp action: smtpd runs mail.lmtp, which exits EX_TEMPFAIL (75) on
  any LMTP reply it does not want, 5xx included (mail.lmtp.c: "LMTP
  server error: %s").  So popd's "552 5.2.2 ... mailbox full" is a
  temporary failure for smtpd 6.8, as is "452 4.2.2" (quota full
  temporary): the message stays queued and is retried (10 s, 40 s,
  90 s...); the sender hears of it in a delay notice (bounce
  warn-interval, 4h by default) that quotes popd's line, and gets a
  bounce only when the queue ttl runs out (4d by default), saying
  "Envelope expired" (Status 4.4.7; 6.8 still titles it "delayed"),
  not popd's line.  The other recipients of the message are delivered
  once: each recipient is a delivery of its own.
- mda action: mda's EX_NOPERM (77) is a permanent failure: an
  immediate bounce whose text is mda's last line of output ("mda:
  5.2.2 mailbox full: ..."); with mda -t, EX_TEMPFAIL (75): queued.

The exact smtpd.conf of each test is in SMTPD_LMTP, SMTPD_MDA_Q and
SMTPD_MDA_T below (what the tests add in braces), the dovecot.conf
lines in DOVECOT_QUOTA (after popdtest.DOVECOT_CONF's)."""

import os
import re
import smtplib
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import popdtest as T  # noqa: E402
from test_opensmtpd import install_smtpd, smtpd_check  # noqa: E402

DOMAIN = "popd.test"
SENDER = "sender@example.net"
USERS = [("alice", "pw1"), ("bob", "pw2"), ("carol", "pw3")]
LDA = "/usr/lib/dovecot/dovecot-lda"
QUOTA_PLUGIN = "/usr/lib/dovecot/modules/lib10_quota_plugin.so"
EX_NOPERM = 77
EX_TEMPFAIL = 75
MIB = 1024 * 1024

# --- Dovecot -----------------------------------------------------------------

# dovecot.conf lines after popdtest.DOVECOT_CONF's (passwd-file users
# with srv's uids and homes).  quota_grace = 0: Dovecot's default lets
# the last message of an LDA or LMTP delivery exceed the limit by 10%;
# popd has no grace, so without it the two would refuse at different
# sizes.  {rule2}: "  quota_rule2 = *:messages=100\n" or nothing.
DOVECOT_QUOTA = """\
mail_location = maildir:~/Maildir
mail_plugins = $mail_plugins quota
postmaster_address = postmaster@popd.test
plugin {{
  quota = maildir:User quota
  quota_rule = *:storage={storage}
{rule2}  quota_grace = 0
}}
"""


def need_dovecot_quota():
    """Dovecot (need_dovecot: dovecot-pop3d for the private instance)
    with doveadm, dovecot-lda and the quota plugin of dovecot-core."""
    prog = T.need_dovecot()
    T.apt_install("dovecot-core", "doveadm", needs=QUOTA_PLUGIN)
    T.apt_install("dovecot-core", "doveadm", needs=LDA)
    return prog


class Dovecot(T.Dovecot):
    """popdtest's private Dovecot with the quota plugin on ~/Maildir:
    doveadm and dovecot-lda ask its auth process for the users."""

    def __init__(self, srv, storage="1M", messages=None):
        rule2 = "" if messages is None else \
            "  quota_rule2 = *:messages=%d\n" % messages
        super().__init__(need_dovecot_quota(), srv,
                         extra=DOVECOT_QUOTA.format(storage=storage,
                                                    rule2=rule2))
        self.doveadm_prog = T.find_prog("doveadm")

    def doveadm(self, *args):
        r = subprocess.run([self.doveadm_prog, "-c", self.conf] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        T.expect(r.returncode, 0, "doveadm %s: %s" % (
            " ".join(args), r.stderr.decode(errors="replace")))
        return r.stdout.decode()

    def quota_get(self, user):
        """doveadm quota get: {"STORAGE": (KiB, KiB limit or None),
        "MESSAGE": (count, limit or None)}.  Dovecot 2.3 prints
        storage in kilobytes rounded up ((bytes + 1023) / 1024)."""
        out = self.doveadm("-f", "tab", "quota", "get", "-u", user)
        rows = {}
        for ln in out.splitlines()[1:]:
            f = ln.split("\t")
            rows[f[1]] = (int(f[2]), None if f[3] == "-" else int(f[3]))
        return rows

    def lda(self, user, body):
        """dovecot-lda -e (a refusal on stderr, EX_NOPERM, no rejection
        mail sent): (exit status, stderr)."""
        r = subprocess.run([LDA, "-c", self.conf, "-e", "-d", user,
                            "-f", SENDER], input=body,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        return r.returncode, r.stderr.decode(errors="replace")


def kib(n):
    return (n + 1023) // 1024


# --- maildirs and maildirsize ------------------------------------------------

def maildirsize(md):
    """(definition line, [(bytes, messages)...], the file's bytes,
    its inode)."""
    path = os.path.join(md, "maildirsize")
    with open(path, "rb") as f:
        data = f.read()
    text = data.decode()
    T.expect_true(text.endswith("\n"), "maildirsize ends in a newline",
                  text)
    lines = text.split("\n")[:-1]
    rows = []
    for ln in lines[1:]:
        b, n = ln.split()
        rows.append((int(b), int(n)))
    return lines[0], rows, data, os.stat(path).st_ino


def summed(md):
    """The use maildirsize states: the sum of its lines."""
    _, rows, _, _ = maildirsize(md)
    return sum(b for b, _ in rows), sum(n for _, n in rows)


def counted(md):
    """The use of the maildir and its folders as Maildir++ counts it:
    every file in new/ and cur/, by its ",S=", else its size."""
    b = n = 0
    dirs = [md] + [os.path.join(md, f) for f in os.listdir(md)
                   if f.startswith(".") and
                   os.path.isdir(os.path.join(md, f, "cur"))]
    for d in dirs:
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(d, sub)):
                m = re.search(r",S=(\d+)", name)
                b += int(m.group(1)) if m else \
                    os.stat(os.path.join(d, sub, name)).st_size
                n += 1
    return b, n


def size_of(name):
    return int(re.search(r",S=(\d+)", name).group(1))


def folder_message(srv, user, folder, sub, data):
    """A message put into a Maildir++ folder by hand (.Trash, .Sent),
    owned by the user; its file name carries no size."""
    top = srv.folder(user, folder)
    name = "%d.M%dP%d.handmade" % (time.time(), time.time_ns() % 1000000,
                                   os.getpid())
    if sub == "cur":
        name += ":2,S"
    path = os.path.join(top, sub, name)
    with open(path, "wb") as f:
        f.write(data)
    if T.is_root:
        os.chown(path, srv.uid(user), srv.gid(user))
    return len(data)


def popd_quota(srv, user):
    """popctl show quota: (used bytes, used messages, (byte limit,
    message limit), over)."""
    rc, out, err = srv.popctl("show", "quota", user)
    T.expect(rc, 0, "popctl show quota %s: %s%s" % (user, out, err))
    used = re.search(r"^used (-?\d+) bytes, (-?\d+) messages$", out, re.M)
    lim = re.search(r"^limit (?:(\d+) bytes|no byte limit), "
                    r"(?:(\d+) messages|no message limit)$", out, re.M)
    over = re.search(r"^over (yes|no)$", out, re.M)
    T.expect_true(used and lim and over, "popctl show quota's lines", out)
    return (int(used.group(1)), int(used.group(2)),
            (int(lim.group(1) or 0), int(lim.group(2) or 0)),
            over.group(1) == "yes")


# --- popd's LMTP -------------------------------------------------------------

def lmtp_start(srv, conf):
    srv.lmtp_sock = os.path.join(srv.tmpdir, "lmtp.sock")
    srv.conf_extra = 'listen on socket "%s" lmtp\n%s' % (srv.lmtp_sock, conf)
    srv.start()
    T.wait_for(lambda: os.path.exists(srv.lmtp_sock), what="the lmtp socket")


def body_of(size, tag):
    """A message of exactly size bytes, LF line ends, lines of at most
    80 bytes, tag in its Subject."""
    head = ("From: %s\nTo: someone@%s\nSubject: %s\n"
            "Message-ID: <%s@example.net>\n\n" % (SENDER, DOMAIN, tag, tag)
            ).encode()
    T.expect_true(size >= len(head) + 1, "a body of %d bytes holds its "
                  "header" % size)
    left = size - len(head)
    lines = []
    while left > 0:
        n = min(80, left)
        lines.append(b"x" * (n - 1) + b"\n")
        left -= n
    return head + b"".join(lines)


RETURN_PATH = ("Return-Path: <%s>\n" % SENDER).encode()


def lmtp(srv, rcpt, body, size=None):
    """One LMTP transaction on popd's socket for one recipient, body
    (LF line ends) sent with CRLF and dot-stuffed, SIZE= when size is
    given: (code, "RCPT" or "DATA", the reply's text).  popd stores
    RETURN_PATH + body: that is what maildirsize counts."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(srv.lmtp_sock)
    f = s.makefile("rb")

    def reply():
        while True:
            ln = f.readline().decode(errors="replace").rstrip("\r\n")
            if len(ln) < 4 or ln[3] != "-":
                return int(ln[:3]), ln

    def cmd(line):
        s.sendall(line.encode() + b"\r\n")
        return reply()
    try:
        T.expect(reply()[0], 220, "LMTP greeting")
        T.expect(cmd("LHLO quota.test")[0], 250, "LHLO")
        code, text = cmd("MAIL FROM:<%s>%s" % (
            SENDER, "" if size is None else " SIZE=%d" % size))
        T.expect(code, 250, "MAIL FROM: " + text)
        code, text = cmd("RCPT TO:<%s>" % rcpt)
        if code != 250:
            cmd("QUIT")
            return code, "RCPT", text
        T.expect(cmd("DATA")[0], 354, "DATA")
        wire = body.replace(b"\n", b"\r\n")
        wire = re.sub(rb"(?m)^\.", b"..", wire)
        s.sendall(wire + b".\r\n")
        code, text = reply()
        cmd("QUIT")
        return code, "DATA", text
    finally:
        f.close()
        s.close()


def lmtp_ok(srv, rcpt, body):
    code, where, text = lmtp(srv, rcpt, body)
    T.expect(code, 250, "LMTP delivery to %s: %s %s" % (rcpt, where, text))


def delivered(srv, rcpt, body):
    """lmtp_ok, and the size in the name of the one file it added."""
    md = srv.maildir(rcpt)
    before = set(T.message_files(md))
    lmtp_ok(srv, rcpt, body)
    new = set(T.message_files(md)) - before
    T.expect(len(new), 1, "files delivered")
    return size_of(new.pop())


# --- 1. popd writes, Dovecot reads -------------------------------------------

SIZES = [900, 5000, 20000, 70000, 150000, 3000]


def popd_then_dovecot(srv, spec, messages, defline):
    """popd delivers over LMTP under `quota SPEC` and removes two
    messages over POP3; Dovecot's quota plugin then reads popd's
    maildirsize as it is (doveadm quota get: the same bytes and count,
    the file not rewritten), and `doveadm quota recalc` writes byte for
    byte the file popd's own recalculation writes, folders and Trash
    counted."""
    lmtp_start(srv, "quota %s\n" % spec)
    md = srv.maildir("alice")
    sizes = []
    for i, n in enumerate(SIZES):
        body = body_of(n, "q%d" % i)
        got = delivered(srv, "alice", body)
        T.expect(got, len(RETURN_PATH) + len(body),
                 "S= of an LMTP delivery: Return-Path and the message")
        sizes.append(got)
    defn, rows, _, _ = maildirsize(md)
    T.expect(defn, defline, "maildirsize's definition")
    T.expect(rows, [(0, 0)] + [(s, 1) for s in sizes],
             "maildirsize: recalculated before the first delivery, then "
             "one line a delivery")
    # Messages 2 and 5 removed in UPDATE: one line, their sizes.
    files = set(T.message_files(md))
    p = T.pop_when_free(srv, "alice")
    p.dele(2)
    p.dele(5)
    p.quit()
    T.wait_for(lambda: len(maildirsize(md)[1]) == len(sizes) + 2, 10,
               "UPDATE's line in maildirsize")
    gone = files - set(T.message_files(md))
    T.expect(len(gone), 2, "messages removed")
    T.expect(maildirsize(md)[1][-1],
             (-sum(size_of(g) for g in gone), -2),
             "UPDATE's line: minus the two messages' sizes")
    b, n = summed(md)
    T.expect((b, n), counted(md), "maildirsize's sum == the maildir")
    T.expect((b, n), (sum(sizes) - sum(size_of(g) for g in gone),
                      len(sizes) - 2), "the sum")
    pb, pn, plim, pover = popd_quota(srv, "alice")
    T.expect((pb, pn, plim, pover), (b, n, (MIB, messages or 0), False),
             "popctl show quota")
    _, _, before, ino = maildirsize(md)

    with Dovecot(srv, "1M", messages) as d:
        q = d.quota_get("alice")
        T.expect(q["STORAGE"], (kib(b), 1024), "doveadm quota get STORAGE "
                 "(KiB, rounded up) of %d bytes" % b)
        T.expect(q["MESSAGE"], (n, messages), "doveadm quota get MESSAGE")
        _, _, after, ino2 = maildirsize(md)
        T.expect((after, ino2), (before, ino), "maildirsize as popd left it "
                 "(Dovecot read it, did not recalculate)")

        # A delivery by popd appends to what Dovecot reads.
        b += delivered(srv, "alice", body_of(4321, "after-dovecot"))
        n += 1
        T.expect(d.quota_get("alice")["MESSAGE"][0], n,
                 "Dovecot counts popd's next delivery")
        T.expect(d.quota_get("alice")["STORAGE"][0], kib(b),
                 "Dovecot's KiB after popd's next delivery")

        # Folders and Trash: put there by hand (no maildirsize line),
        # counted by both recalculations.
        b += folder_message(srv, "alice", ".Trash", "cur",
                            body_of(7777, "in-trash"))
        b += folder_message(srv, "alice", ".Sent", "new",
                            body_of(333, "in-sent"))
        n += 2
        os.unlink(os.path.join(md, "maildirsize"))
        pb, pn, _, _ = popd_quota(srv, "alice")
        T.expect((pb, pn), (b, n), "popd's recalculation with the folders")
        _, _, ours, ino = maildirsize(md)
        T.expect(ours, ("%s\n%d %d\n" % (defline, b, n)).encode(),
                 "maildirsize as popd's recalculation writes it")
        d.doveadm("quota", "recalc", "-u", "alice")
        _, _, theirs, ino2 = maildirsize(md)
        T.expect_true(ino2 != ino, "doveadm quota recalc wrote a new file")
        T.expect(theirs, ours, "maildirsize by doveadm quota recalc == "
                 "popd's, byte for byte")
        T.expect(d.quota_get("alice")["MESSAGE"][0], n,
                 "doveadm quota get after the recalculations")
    pb, pn, _, _ = popd_quota(srv, "alice")
    T.expect((pb, pn), (b, n), "popctl show quota on Dovecot's file")


@T.test(start=False, subdir="Maildir", timeout=150)
def dovecot_reads_popd_maildirsize(srv):
    """popd.conf `quota 1M`; Dovecot `quota_rule = *:storage=1M`:
    maildirsize "1048576S"."""
    popd_then_dovecot(srv, "1M", None, "1048576S")


@T.test(start=False, subdir="Maildir", timeout=150)
def dovecot_reads_popd_maildirsize_messages(srv):
    """popd.conf `quota 1M messages 100`; Dovecot's quota_rule and
    `quota_rule2 = *:messages=100`: maildirsize "1048576S,100C"."""
    popd_then_dovecot(srv, "1M messages 100", 100, "1048576S,100C")


# --- 2. Dovecot writes, popd reads -------------------------------------------

@T.test(start=False, subdir="Maildir", timeout=150)
def popd_reads_dovecot_maildirsize(srv):
    """dovecot-lda delivers under Dovecot's `quota_rule =
    *:storage=1M` and doveadm expunges two messages: popd (`quota 1M`)
    takes Dovecot's maildirsize as it is (popctl show quota: its sum,
    the file not rewritten), appends its own deliveries to it, and
    refuses at the very size where Dovecot refuses: a message of the
    room left plus one byte is refused by both, one of the room left
    accepted by both; once full, each refuses the smallest message, as
    does mda without -q (the limit maildirsize's first line states)."""
    lmtp_start(srv, "quota 1M\n")
    md = srv.maildir("alice")
    with Dovecot(srv, "1M") as d:
        for i in range(7):
            rc, err = d.lda("alice", body_of(140000 + i, "lda%d" % i))
            T.expect(rc, 0, "dovecot-lda delivery %d: %s" % (i, err))
        d.doveadm("expunge", "-u", "alice", "mailbox", "INBOX", "uid", "2:3")
        defn, rows, data, ino = maildirsize(md)
        T.expect(defn, "1048576S", "Dovecot's definition line")
        used = summed(md)
        T.expect(used, counted(md), "Dovecot's sum == the maildir")
        T.expect(used, (sum(140000 + i for i in (0, 3, 4, 5, 6)), 5),
                 "Dovecot's sum after the expunge")
        T.expect(rows[-1], (-(140001 + 140002), -2),
                 "doveadm expunge's line")
        pb, pn, plim, pover = popd_quota(srv, "alice")
        T.expect((pb, pn, plim, pover), used + ((MIB, 0), False),
                 "popctl show quota on Dovecot's maildirsize")
        T.expect(maildirsize(md)[2:], (data, ino), "maildirsize as "
                 "Dovecot left it (popd read it, did not recalculate)")

        room = MIB - used[0]
        # One byte too many: refused by Dovecot and by popd (at RCPT
        # with a SIZE= that cannot fit, after DATA otherwise); nothing
        # counted.
        rc, err = d.lda("alice", body_of(room + 1, "dovecot-too-big"))
        T.expect(rc, EX_NOPERM, "dovecot-lda of room + 1 bytes: %s" % err)
        T.expect_true("Quota exceeded" in err, "Dovecot's refusal", err)
        too_big = body_of(room + 1 - len(RETURN_PATH), "popd-too-big")
        # SIZE= as a client declares it (RFC 1870: CRLF line ends): the
        # message may be stored in half of it, and half fits: not
        # refused at RCPT, refused after DATA for its real size.
        code, where, text = lmtp(srv, "alice", too_big,
                                 size=len(too_big) + too_big.count(b"\n"))
        T.expect((code, where), (552, "DATA"), "SIZE= over the room, its "
                 "half in it: %s" % text)
        # A SIZE= whose half does not fit: refused at RCPT.
        code, where, text = lmtp(srv, "alice", too_big,
                                 size=2 * (room + 1))
        T.expect((code, where), (552, "RCPT"), "SIZE= over twice the room: "
                 "%s" % text)
        T.expect(text, "552 5.2.2 <alice> mailbox full: the message would "
                 "exceed the quota", "popd's refusal at RCPT")
        code, where, text = lmtp(srv, "alice", too_big)
        T.expect((code, where), (552, "DATA"), "room + 1 bytes: %s" % text)
        T.expect(text, "552 5.2.2 <alice> mailbox full: the message would "
                 "exceed the quota", "popd's refusal after DATA")
        T.expect(summed(md), used, "nothing counted for the refusals")
        T.expect(counted(md), used, "nothing delivered for the refusals")

        # Exactly the room: Dovecot takes it (then expunges it again),
        # and so does popd.
        rc, err = d.lda("alice", body_of(room, "dovecot-fits"))
        T.expect(rc, 0, "dovecot-lda of exactly the room: %s" % err)
        T.expect(summed(md), (MIB, 6), "Dovecot full to the byte")
        uid = d.doveadm("search", "-u", "alice", "mailbox", "INBOX",
                        "header", "Subject", "dovecot-fits").split()[1]
        d.doveadm("expunge", "-u", "alice", "mailbox", "INBOX", "uid", uid)
        T.expect(summed(md), used, "Dovecot's expunge of it")
        fits = body_of(room - len(RETURN_PATH), "popd-fits")
        lmtp_ok(srv, "alice", fits)
        T.expect(maildirsize(md)[1][-1], (room, 1), "popd's line appended "
                 "to Dovecot's file")
        T.expect(summed(md), (MIB, 6), "popd full to the byte")
        T.expect(maildirsize(md)[0], "1048576S", "the definition kept")
        q = d.quota_get("alice")
        T.expect((q["STORAGE"], q["MESSAGE"]), ((1024, 1024), (6, None)),
                 "doveadm quota get: full")
        T.expect(popd_quota(srv, "alice")[:4], (MIB, 6, (MIB, 0), True),
                 "popctl show quota: full")

        # Full: the smallest message refused by each of the three.
        rc, err = d.lda("alice", b"\n")
        T.expect(rc, EX_NOPERM, "dovecot-lda when full: %s" % err)
        code, where, text = lmtp(srv, "alice", body_of(200, "when-full"))
        T.expect((code, where, text), (552, "RCPT", "552 5.2.2 <alice> "
                 "mailbox full: over quota"), "popd's LMTP when full")
        r = T.run_mda(srv, "alice", body_of(200, "mda-when-full"))
        err = r.stderr.decode(errors="replace")
        T.expect(r.returncode, EX_NOPERM, "mda without -q when full: %s"
                 % err)
        T.expect_true(err.startswith("mda: 5.2.2 mailbox full: the "
                                     "message (200 bytes) would exceed "
                                     "the quota of %s (1048576 of 1048576 "
                                     "bytes used)" % md), "mda's line", err)
        T.expect(counted(md), (MIB, 6), "nothing more delivered")
        d.doveadm("quota", "recalc", "-u", "alice")
        T.expect(maildirsize(md)[2], b"1048576S\n1048576 6\n",
                 "doveadm quota recalc")


# --- OpenSMTPD 6.8 -----------------------------------------------------------

# smtpd.conf of the tests, word for word but for what is in braces:
# {vusers} a file of "alice@popd.test alice" lines for srv's users,
# {usertab} srv's usertab (OpenSMTPD's userbase is popd's usertab),
# {port} a free loopback port, {sock} popd's LMTP socket, {mda} the
# built mda.  {lmtp_extra}: nothing, or "queue ttl 20s" and "bounce
# warn-interval 5s" lines (the defaults are 4d and 4h).
SMTPD_LMTP = """\
table vusers file:{vusers}
table users file:{usertab}
{lmtp_extra}listen on 127.0.0.1 port {port}
action "pop" lmtp "{sock}" rcpt-to virtual <vusers> userbase <users>
match from any for domain "popd.test" action "pop"
"""

# mda -q: alice's limit is 1 KiB, the others' none (the first match
# wins).
SMTPD_MDA_Q = """\
table vusers file:{vusers}
table users file:{usertab}
listen on 127.0.0.1 port {port}
action "quota" mda "{mda} -e Maildir -q 1K" virtual <vusers> userbase <users>
action "pop" mda "{mda} -e Maildir" virtual <vusers> userbase <users>
match from any for rcpt-to "alice@popd.test" action "quota"
match from any for domain "popd.test" action "pop"
"""

# mda -t without -q: each user's limit is the one his maildirsize
# states (none without one), and over it mda exits EX_TEMPFAIL.
SMTPD_MDA_T = """\
table vusers file:{vusers}
table users file:{usertab}
listen on 127.0.0.1 port {port}
action "pop" mda "{mda} -e Maildir -t" virtual <vusers> userbase <users>
match from any for domain "popd.test" action "pop"
"""


class Smtpd(T.ForeignDaemon):
    """OpenSMTPD in the foreground (-d -v) with the smtpd.conf template
    conf filled in for srv (checked with -n first).  Its queue is the
    system's (/var/spool/smtpd) and smtpctl talks to it on the
    system's socket: every message it still holds when it stops is
    removed (the test's own, never one that was there before)."""

    name = "smtpd"

    def __init__(self, srv, conf, **kw):
        super().__init__(install_smtpd(), srv.tmpdir)
        self.port = T.free_port()
        self.smtpctl_prog = T.find_prog("smtpctl")
        vusers = self.write("vusers", "".join(
            "%s@%s\t%s\n" % (u, DOMAIN, u) for u in srv.users))
        self.conf = self.write("smtpd.conf", conf.format(
            vusers=vusers, usertab=srv.usertab, port=self.port,
            mda=T.MDA, **kw))
        self.args = ["-d", "-v", "-f", self.conf]
        self.before = set()

    def start(self):
        smtpd_check(self.prog, self.conf)
        super().start()
        self.before = set(e.split("|")[0][:8] for e in self.queue())
        return self

    def smtpctl(self, *args):
        r = subprocess.run([self.smtpctl_prog] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30)
        T.expect(r.returncode, 0, "smtpctl %s: %s" % (
            " ".join(args), r.stderr.decode(errors="replace")))
        return r.stdout.decode(errors="replace")

    def queue(self):
        """smtpctl show queue: one line an envelope."""
        return [ln for ln in self.smtpctl("show", "queue").splitlines()
                if ln.strip()]

    def ours(self):
        return [e for e in self.queue()
                if e.split("|")[0][:8] not in self.before]

    def stop(self, timeout=10):
        """Our envelopes removed (one in flight, a notice being
        delivered, is waited for), then smtpd stopped."""
        deadline = time.monotonic() + 10
        while self.proc is not None and self.proc.poll() is None and \
                time.monotonic() < deadline:
            try:
                left = [e.split("|") for e in self.ours()]
                for e in left:
                    if e[11] != "inflight":
                        self.smtpctl("remove", e[0])
            except (AssertionError, OSError, subprocess.SubprocessError):
                break
            if not left:
                break
            time.sleep(0.2)
        super().stop(timeout)

    def send(self, rcpts, msg, sender="carol@" + DOMAIN):
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as s:
            s.sendmail(sender, rcpts, msg)


def unique(tag):
    """tag made unique to this run: a message another run left in
    smtpd's queue is never taken for this one's."""
    return "%s.%d.%d" % (tag, os.getpid(), time.time_ns() % 10**9)


def smtp_message(tag, size=0):
    return (("From: carol@%s\r\nTo: alice@%s, bob@%s\r\n"
             "Subject: %s\r\nMessage-ID: <%s@popd.test>\r\n\r\n"
             % (DOMAIN, DOMAIN, DOMAIN, tag, tag)).encode() +
            b"".join(b"y" * 70 + b"\r\n" for _ in range(size // 72 + 1)))


def copies(srv, user, tag):
    """How many messages of user's maildir hold Message-ID <tag@...>."""
    md = srv.maildir(user)
    n = 0
    for f in T.message_files(md):
        with open(os.path.join(md, f), "rb") as fh:
            n += ("<%s@popd.test>" % tag).encode() in fh.read()
    return n


def notices(srv, tag, user="carol"):
    """The delivery status notifications about the message tag in
    user's maildir, as text, oldest first."""
    md = srv.maildir(user)
    out = []
    for f in T.message_files(md):
        path = os.path.join(md, f)
        with open(path, "rb") as fh:
            data = fh.read().decode(errors="replace")
        if "Subject: Delivery status notification" in data and \
                "<%s@popd.test>" % tag in data:
            out.append((os.stat(path).st_mtime_ns, data))
    return [d for _, d in sorted(out)]


def fill(srv, user, size):
    """Put a message of size bytes into user's maildir by hand."""
    srv.deliver(user, body_of(size, "filler"))


def envelope(sm, rcpt):
    """Our one envelope in smtpd's queue for a delivery to rcpt (not a
    notice), split on "|" (0 evpid, 2 type, 5 recipient, 10 retries,
    11 state, 13 last error, as smtpctl show queue prints them), or
    None."""
    mine = [e.split("|") for e in sm.ours()]
    mine = [e for e in mine if e[2] == "mda"]
    T.expect_true(len(mine) <= 1, "one envelope at most", mine)
    if not mine:
        return None
    T.expect(mine[0][5], rcpt, "the envelope's recipient")
    return mine[0]


def wait_envelope(sm, rcpt, cond, what, timeout=30):
    """Wait until our envelope for rcpt is there and cond(it); it."""
    def ready():
        e = envelope(sm, rcpt)
        return e if e is not None and cond(e) else None
    return T.wait_for(ready, timeout, what)


def retried(sm, rcpt):
    """smtpctl schedule the waiting envelope for rcpt; once smtpd has
    tried it once more and it waits again, the envelope."""
    e = envelope(sm, rcpt)
    sm.smtpctl("schedule", e[0])
    return wait_envelope(sm, rcpt, lambda n: int(n[10]) > int(e[10]) and
                         n[11] == "pending", "one more attempt of the "
                         "delivery to %s" % rcpt)


def quota_file(srv, text):
    path = os.path.join(srv.tmpdir, "quotas")
    with open(path, "w") as f:
        f.write(text)
    return path


@T.test(start=False, subdir="Maildir", users=USERS, timeout=150)
def smtpd_lmtp_over_quota(srv):
    """OpenSMTPD 6.8's lmtp action into popd's LMTP socket; alice over
    her quota (`quota users FILE`: "alice 8K", the others without)
    receives a message carol sent to alice and bob.  popd answers 552
    5.2.2 at RCPT; mail.lmtp turns it into a temporary failure (smtpd
    6.8 bounces no LMTP refusal at once): bob has the message once,
    alice's envelope waits in the queue with popd's line as its error,
    carol's delay notice (bounce warn-interval 5s) quotes it, a retry
    is refused again and duplicates nothing, and when queue ttl (20s)
    runs out the envelope is dropped and carol told: "Envelope
    expired"."""
    tag = unique("two")
    lmtp_start(srv, 'quota users "%s"\n' % quota_file(srv, "alice 8K\n"))
    fill(srv, "alice", 9000)
    refusal = "552 5.2.2 <alice@popd.test> mailbox full: over quota"
    quoted = '"mail.lmtp: LMTP server error: %s"' % refusal
    with Smtpd(srv, SMTPD_LMTP, sock=srv.lmtp_sock,
               lmtp_extra="queue ttl 20s\nbounce warn-interval 5s\n") as sm:
        sm.send(["alice@" + DOMAIN, "bob@" + DOMAIN], smtp_message(tag))
        T.wait_for(lambda: copies(srv, "bob", tag), 30, "bob's copy")
        e = wait_envelope(sm, "alice@" + DOMAIN, lambda e: e[13] == quoted
                          and e[11] == "pending", "alice's envelope "
                          "waiting, popd's refusal its error")
        T.expect_true("result=TempFail stat=Error (temporary failure: %s)"
                      % quoted in sm.log(), "smtpd: a temporary failure",
                      sm.log_tail(5))
        T.expect_true("<carol@popd.test> -> <alice@popd.test>: over quota"
                      in srv.log(), "popd refused at RCPT", srv.log_tail())

        delayed = T.wait_for(lambda: notices(srv, tag), 30,
                             "the delay notice")
        T.expect(len(delayed), 1, "one notice")
        T.expect_true("Subject: Delivery status notification: delayed"
                      in delayed[0], "a delay notice", delayed[0][:600])
        T.expect_true("alice@popd.test: %s" % quoted in delayed[0] and
                      "Action: delayed" in delayed[0], "the notice quotes "
                      "popd's line", delayed[0])

        # queue ttl over: the envelope is dropped and carol told so
        # in a notice smtpd 6.8 still titles "delayed" (the expiry
        # keeps the temporary class): "Envelope expired", 4.4.7.
        T.wait_for(lambda: len(notices(srv, tag)) == 2, 60, "the bounce "
                   "at the end of queue ttl")
        bounce = notices(srv, tag)[1]
        T.expect_true("\nalice@popd.test: Envelope expired\n" in bounce and
                      "Final-Recipient: rfc822; alice@popd.test\n"
                      "Action: delayed\nStatus: 4.4.7\n" in bounce,
                      "the bounce at the end of queue ttl", bounce)
        # Expired at its next look after queue ttl: 20 s, or a little
        # more on a busy machine.
        T.expect_true(re.search(r"delay=2\ds, stat=Envelope expired",
                                sm.log()) is not None, "smtpd: expired",
                      [ln for ln in sm.log().splitlines()
                       if "Envelope expired" in ln])
        T.wait_for(lambda: not sm.ours(), 10, "an empty queue")
    T.expect_true(srv.log().count("<carol@popd.test> -> <alice@popd.test>"
                                  ": over quota") >= 2, "a retry refused "
                  "again", srv.log_tail())
    T.expect((copies(srv, "bob", tag), copies(srv, "alice", tag)),
             (1, 0), "bob's copies and alice's")
    T.expect(counted(srv.maildir("alice")), (9000, 1), "alice's maildir")


@T.test(start=False, subdir="Maildir", users=USERS, timeout=150)
def smtpd_lmtp_quota_full_temporary(srv):
    """`quota full temporary`: popd answers 452 4.2.2, here after DATA
    (alice under her 8K but the message would exceed it): OpenSMTPD
    keeps alice's envelope in its queue (smtpctl show queue: pending,
    popd's line as its error) and bounces nothing; bob has the message
    once, and still once after a retry (smtpctl schedule) that popd
    refuses again; with room made over POP3, the next retry delivers
    alice's copy, once."""
    lmtp_start(srv, 'quota users "%s"\nquota full temporary\n'
               % quota_file(srv, "alice 8K\n"))
    fill(srv, "alice", 5000)
    tag = unique("temp")
    quoted = ('"mail.lmtp: LMTP server error: 452 4.2.2 <alice@popd.test> '
              'mailbox full: the message would exceed the quota"')
    refused = "<carol@popd.test> -> <alice@popd.test> (alice): over quota"
    with Smtpd(srv, SMTPD_LMTP, sock=srv.lmtp_sock, lmtp_extra="") as sm:
        sm.send(["alice@" + DOMAIN, "bob@" + DOMAIN],
                smtp_message(tag, 4000))
        T.wait_for(lambda: copies(srv, "bob", tag), 30, "bob's copy")
        e = wait_envelope(sm, "alice@" + DOMAIN, lambda e: e[13] == quoted
                          and e[11] == "pending", "alice's envelope "
                          "waiting, popd's refusal its error")
        T.expect(srv.log().count(refused), int(e[10]), "popd's refusals "
                 "after DATA, one an attempt")
        e = retried(sm, "alice@" + DOMAIN)
        T.expect(srv.log().count(refused), int(e[10]), "the retry refused "
                 "again")
        T.expect((copies(srv, "bob", tag), copies(srv, "alice", tag)),
                 (1, 0), "bob's copies and alice's after the retry")

        p = T.pop_when_free(srv, "alice")
        p.dele(1)
        p.quit()
        T.wait_for(lambda: counted(srv.maildir("alice")) == (0, 0), 10,
                   "alice's filler removed")
        sm.smtpctl("schedule", e[0])
        T.wait_for(lambda: copies(srv, "alice", tag), 30, "alice's copy "
                   "once there is room")
        T.wait_for(lambda: not sm.ours(), 10, "an empty queue")
        T.expect(notices(srv, tag), [], "no notice to carol")
    T.expect((copies(srv, "bob", tag), copies(srv, "alice", tag)),
             (1, 1), "one copy each")
    md = srv.maildir("alice")
    T.expect(summed(md), counted(md), "alice's maildirsize")


@T.test(start=False, subdir="Maildir", users=USERS, timeout=150)
def smtpd_mda_over_quota_bounces(srv):
    """OpenSMTPD 6.8 running popd's mda, `mda -q 1K` for alice alone:
    a 2 KB message carol sent to alice and bob is refused for alice
    with EX_NOPERM, a permanent failure: carol's bounce comes at once
    and quotes mda's line "mda: 5.2.2 mailbox full: ..."; bob has the
    message once, the queue is empty, alice's maildir holds nothing
    (tmp/ included)."""
    srv.start()
    md = srv.maildir("alice")
    tag = unique("mda")
    with Smtpd(srv, SMTPD_MDA_Q) as sm:
        sm.send(["alice@" + DOMAIN, "bob@" + DOMAIN],
                smtp_message(tag, 2000))
        T.wait_for(lambda: copies(srv, "bob", tag), 30, "bob's copy")
        bounce = T.wait_for(lambda: notices(srv, tag), 30,
                            "carol's bounce")
        T.expect(len(bounce), 1, "one bounce")
        T.expect_true("Subject: Delivery status notification: failed" in
                      bounce[0], "a bounce", bounce[0][:600])
        line = re.search(r'^alice@popd\.test: "(mda: 5\.2\.2 mailbox full: '
                         r'the message \(\d+ bytes\) would exceed the quota '
                         r'of (\S+) \(0 of 1024 bytes used\))"\r?$',
                         bounce[0], re.M)
        T.expect_true(line is not None, "the bounce quotes mda's line",
                      bounce[0])
        T.expect(line.group(2), md, "the maildir in mda's line")
        T.expect_true("Final-Recipient: rfc822; alice@popd.test" in
                      bounce[0], "the bounce's recipient", bounce[0])
        T.expect_true('result=PermFail stat=Error (permission denied: "%s")'
                      % line.group(1) in sm.log(), "smtpd: a permanent "
                      "failure", sm.log_tail(5))
        T.wait_for(lambda: not sm.ours(), 10, "an empty queue")
    T.expect((copies(srv, "bob", tag), copies(srv, "alice", tag)),
             (1, 0), "bob's copies and alice's")
    T.expect(T.message_files(md) + T.files(md, "tmp"), [], "alice's maildir")


@T.test(start=False, subdir="Maildir", users=USERS, timeout=150)
def smtpd_mda_tempfail_stays_queued(srv):
    """`mda -t` without -q: alice's maildirsize (as Dovecot writes it)
    states 2048 bytes, bob has none.  A 3 KB message to both: bob has
    it once; alice's is a temporary failure (EX_TEMPFAIL): it waits in
    the queue with mda's line "mda: 4.2.2 mailbox full: ..." and
    nothing bounces, also after a retry; once the definition line says
    1 MiB, the next retry delivers it, once, and counts it."""
    srv.start()
    md = srv.maildir("alice")
    tag = unique("mdat")
    path = os.path.join(md, "maildirsize")
    with open(path, "w") as f:
        f.write("2048S\n0 0\n")
    if T.is_root:
        os.chown(path, srv.uid("alice"), srv.gid("alice"))
    with Smtpd(srv, SMTPD_MDA_T) as sm:
        sm.send(["alice@" + DOMAIN, "bob@" + DOMAIN],
                smtp_message(tag, 3000))
        T.wait_for(lambda: copies(srv, "bob", tag), 30, "bob's copy")
        e = wait_envelope(sm, "alice@" + DOMAIN, lambda e: e[13] != ""
                          and e[11] == "pending", "alice's envelope "
                          "waiting, mda's refusal its error")
        T.expect_true(re.match(r'^"mda: 4\.2\.2 mailbox full: the message '
                               r'\(\d+ bytes\) would exceed the quota of '
                               r'%s \(0 of 2048 bytes used\)"$'
                               % re.escape(md), e[13]) is not None,
                      "alice's envelope keeps mda's line", e[13])
        T.expect_true("result=TempFail stat=Error (temporary failure: "
                      in sm.log(), "smtpd: a temporary failure",
                      sm.log_tail(5))
        retried(sm, "alice@" + DOMAIN)
        T.expect((copies(srv, "bob", tag), copies(srv, "alice", tag),
                  notices(srv, tag)), (1, 0, []), "after the retry: bob's "
                 "copies, alice's and notices")
        with open(path, "w") as f:
            f.write("1048576S\n0 0\n")
        sm.smtpctl("schedule", e[0])
        T.wait_for(lambda: copies(srv, "alice", tag), 30,
                   "alice's copy under the new limit")
        T.wait_for(lambda: not sm.ours(), 10, "an empty queue")
        T.expect(notices(srv, tag), [], "no notice to carol")
    T.expect((copies(srv, "bob", tag), copies(srv, "alice", tag)),
             (1, 1), "one copy each")
    T.expect(summed(md), counted(md), "alice's delivery counted")
    T.expect_true(not os.path.exists(os.path.join(srv.maildir("bob"),
                                                  "maildirsize")),
                  "no maildirsize for bob, who has no limit")


if __name__ == "__main__":
    T.main(users=USERS)
