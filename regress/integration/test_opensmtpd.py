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

"""End to end: Debian's OpenSMTPD receives mail on a loopback port and
delivers it through mda (action mda ... virtual ... userbase ...), then
popd serves it over POP3S byte for byte, OpenSMTPD's own header lines
aside; the same with one SQLite database (OpenSMTPD's table-sqlite) as
the tables of both.  Installs opensmtpd and opensmtpd-extras with
apt-get when they are missing and we are root; skipped only when they
cannot be installed."""

import os
import pwd
import shutil
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import popdtest as T  # noqa: E402
import dbtest as D  # noqa: E402

DOMAIN = "popd.test"


def install_smtpd():
    """OpenSMTPD's smtpd, installed from Debian when missing; its service
    must not keep port 25 if a service manager started it anyway."""
    if not T.is_root:
        raise T.Skip("OpenSMTPD runs as root only")
    installed = T.find_prog("smtpd") is not None
    smtpd = T.apt_install("opensmtpd", "smtpd")
    if not installed:
        for cmd in (["systemctl", "stop", "opensmtpd"],
                    ["service", "opensmtpd", "stop"]):
            if shutil.which(cmd[0]):
                subprocess.run(cmd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    return smtpd


def smtpd_check(prog, conf):
    """smtpd -n on conf: AssertionError unless it takes it."""
    r = subprocess.run([prog, "-n", "-f", conf], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    if r.returncode != 0:
        raise AssertionError("smtpd -n rejects our smtpd.conf: %s"
                             % r.stdout.decode(errors="replace"))


class Smtpd(T.ForeignDaemon):
    """OpenSMTPD in the foreground (-d -v) on a port of its own, for
    srv's users at DOMAIN, delivering through mda -e subdir with srv's
    usertab as its userbase; its configuration checked with -n first.
    tables: smtpd.conf's table statements for <vusers> and <users>
    instead (a database's)."""

    name = "smtpd"

    def __init__(self, srv, smtpd, subdir, tables=None, lmtp=None):
        super().__init__(smtpd, srv.tmpdir)
        self.port = T.free_port()
        if tables is None:
            vusers = self.write("vusers", "".join(
                "%s@%s\t%s\n" % (u, DOMAIN, u) for u in srv.users))
            # The usertab popd reads is the userbase OpenSMTPD reads.
            tables = ('table vusers file:%s\ntable users file:%s\n'
                      % (vusers, srv.usertab))
        # lmtp: popd's LMTP socket, and OpenSMTPD's lmtp action.
        method = 'mda "%s -e %s"' % (T.MDA, subdir)
        if lmtp is not None:
            method = 'lmtp "%s" rcpt-to' % lmtp
        self.conf = self.write(
            "smtpd.conf", tables +
            'listen on 127.0.0.1 port %d\n'
            'action "pop" %s virtual <vusers> '
            'userbase <users>\n'
            'match from any for domain "%s" action "pop"\n'
            % (self.port, method, DOMAIN))
        self.args = ["-d", "-v", "-f", self.conf]

    def start(self):
        smtpd_check(self.prog, self.conf)
        return super().start()


def strip_added(msg):
    """Drop the header lines OpenSMTPD adds (Received, Return-Path,
    Delivered-To) so what is left is what was sent."""
    head, sep, body = msg.partition(b"\r\n\r\n")
    out, skip = [], False
    for ln in head.split(b"\r\n"):
        if ln[:1] in (b" ", b"\t"):
            if not skip:
                out.append(ln)
            continue
        name = ln.split(b":", 1)[0].lower()
        skip = name in (b"received", b"return-path", b"delivered-to")
        if not skip:
            out.append(ln)
    return b"\r\n".join(out) + sep + body


@T.test(subdir="Maildir", timeout=900)
def smtp_to_pop3_byte_for_byte(srv):
    e2e(srv, install_smtpd())


@T.test(subdir="Maildir", timeout=900, start=False)
def smtp_lmtp_to_pop3_byte_for_byte(srv):
    """The same messages through OpenSMTPD's lmtp action (rcpt-to: it
    names alice@popd.test, which popd finds as alice) into popd's LMTP
    socket: byte for byte, with one Return-Path."""
    smtpd_path = install_smtpd()
    sock = os.path.join(srv.tmpdir, "lmtp.sock")
    srv.conf_extra = 'listen on socket "%s" lmtp\n' % sock
    srv.start()
    e2e(srv, smtpd_path, lmtp=sock)
    T.expect_true("dlvrpop for alice: pid" in srv.log(), "delivered by "
                  "popd's dlvrpop", srv.log_tail())


def e2e(srv, smtpd_path, lmtp=None):
    with Smtpd(srv, smtpd_path, srv.subdir, lmtp=lmtp) as smtpd:
        sent = []
        bodies = [
            b"plain text\r\nsecond line\r\n",
            b".leading dot must survive\r\n..two dots\r\n.\r\nafter\r\n",
            b"long line " + b"x" * 900 + b"\r\n" + b"y\r\n" * 3000,
            b"no trailing newline at all",
            "utf-8 body: gr\u00fc\u00dfe, \u65e5\u672c\r\n".encode(),
        ]
        with smtplib.SMTP("127.0.0.1", smtpd.port, timeout=30) as s:
            for i, b in enumerate(bodies):
                msg = (b"From: sender@example.org\r\n"
                       b"To: alice@" + DOMAIN.encode() + b"\r\n"
                       b"Subject: e2e %d\r\n"
                       b"Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
                       b"Message-ID: <e2e-%d@example.org>\r\n"
                       b"MIME-Version: 1.0\r\n"
                       b"Content-Type: text/plain; charset=utf-8\r\n"
                       b"Content-Transfer-Encoding: 8bit\r\n"
                       b"\r\n" % (i, i)) + b
                s.sendmail("sender@example.org", ["alice@" + DOMAIN], msg)
                sent.append(msg)
            # Unknown recipients are refused, not delivered somewhere.
            try:
                s.sendmail("sender@example.org", ["nobody@" + DOMAIN],
                           b"Subject: x\r\n\r\nx\r\n")
                raise AssertionError("mail to an unknown user accepted")
            except smtplib.SMTPRecipientsRefused:
                pass
        md = srv.maildir("alice")
        try:
            T.wait_for(lambda: len(os.listdir(os.path.join(md, "new")))
                       >= len(sent), 60, "delivery into new/")
        except AssertionError:
            raise AssertionError("not delivered; smtpd log: %s"
                                 % smtpd.log()[-1500:])
        names = sorted(os.listdir(os.path.join(md, "new")))
        for n in names:
            T.expect_true(",S=" in n and ",W=" in n, "delivered by our "
                          "mda", n)
            st = os.stat(os.path.join(md, "new", n))
            if T.is_root:
                T.expect(st.st_uid, srv.uid("alice"), "owner of " + n)
        T.expect(os.listdir(os.path.join(md, "tmp")), [], "tmp/ empty")

        p = srv.pop("alice")
        count, _ = p.stat()
        T.expect(count, len(sent), "messages served")
        _, lst, _ = p.list()
        got = {}
        for ln in lst:
            num, size = ln.split()
            # Raw RETR: the exact bytes on the wire, un-stuffed here.
            resp, lines, octets = p.retr(int(num))
            msg = b"".join(x + b"\r\n" for x in lines)
            T.expect(len(msg), int(size), "RETR octets of %s == LIST"
                     % num.decode())
            subj = [x for x in lines if x.startswith(b"Subject: e2e ")]
            got[int(subj[0].split()[-1])] = msg
        p.quit()
        for i, msg in enumerate(sent):
            want = msg if msg.endswith(b"\r\n") else msg + b"\r\n"
            T.expect(strip_added(got[i]), want, "message %d" % i)
            T.expect_true(b"Delivered-To: alice@" + DOMAIN.encode()
                          in got[i], "OpenSMTPD's Delivered-To", got[i][:300])
            T.expect(got[i].count(b"\nReturn-Path: ") +
                     got[i].startswith(b"Return-Path: "), 1,
                     "one Return-Path line")


def smtpd_user():
    """The user OpenSMTPD's lookup process (and so its table programs)
    runs as: Debian's opensmtpd, or OpenBSD's _smtpd."""
    for name in ("opensmtpd", "_smtpd"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    raise AssertionError("no user opensmtpd or _smtpd after installing "
                         "OpenSMTPD")


@T.test(start=False, subdir="Maildir", timeout=900)
def sqlite_user_smtp_to_pop3(srv):
    """One SQLite database drives both: OpenSMTPD's virtual and userbase
    tables (table-sqlite) deliver through mda to carol, a user of the
    database alone, and popd (table users sqlite:, the same
    configuration file) lets carol log in with the password whose hash
    is there and serves her that message."""
    smtpd_path = install_smtpd()
    D.need_backend("sqlite")
    db = D.Sqlite(srv.tmpdir).start()
    pe = T.mailuser(3)
    home = os.path.join(srv.homes, "carol")
    for d in ("", "Maildir", "Maildir/tmp", "Maildir/new", "Maildir/cur"):
        os.makedirs(os.path.join(home, d), 0o700, exist_ok=True)
        os.chown(os.path.join(home, d), pe.pw_uid, pe.pw_gid)
    db.add_user("carol", T.make_hash("carol-pw"), pe.pw_uid, pe.pw_gid,
                home)
    db.run([("CREATE TABLE virtuals (email TEXT PRIMARY KEY, "
             "destination TEXT NOT NULL)", ()),
            ("INSERT INTO virtuals VALUES (?, ?)",
             ("carol@" + DOMAIN, "carol"))])
    users = db.table_config()
    virtuals = db.path("table-virtuals.conf")
    with open(virtuals, "w") as f:
        f.write("dbpath %s\nquery_alias SELECT destination FROM virtuals "
                "WHERE email = ?\n" % db.db)
    # Read by smtpd's table-sqlite as its own user and by popd's as
    # _pop3table: owner the one, group the other, no one else.
    for p in (db.db, users, virtuals):
        os.chown(p, smtpd_user().pw_uid, D.table_user().pw_gid)
        os.chmod(p, 0o640)
    for p in (srv.authtab, srv.usertab):
        T.expect_true("carol" not in open(p).read(), "carol only in SQLite")
    srv.tables = ("table users sqlite:%s\nauthtab <users>\nusertab <users>"
                  % users)
    srv.start()
    tables = ("table vusers sqlite:%s\ntable users sqlite:%s\n"
              % (virtuals, users))
    msg = (b"From: sender@example.org\r\nTo: carol@" + DOMAIN.encode() +
           b"\r\nSubject: from SQLite to SQLite\r\n"
           b"Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
           b"Message-ID: <sqlite-e2e@example.org>\r\n\r\n"
           b"carol lives in a database\r\n.leading dot\r\n")
    with Smtpd(srv, smtpd_path, srv.subdir, tables) as smtpd:
        with smtplib.SMTP("127.0.0.1", smtpd.port, timeout=30) as s:
            s.sendmail("sender@example.org", ["carol@" + DOMAIN], msg)
            try:
                s.sendmail("sender@example.org", ["nobody@" + DOMAIN],
                           b"Subject: x\r\n\r\nx\r\n")
                raise AssertionError("mail to an unknown user accepted")
            except smtplib.SMTPRecipientsRefused:
                pass
        new = os.path.join(home, "Maildir", "new")
        try:
            T.wait_for(lambda: os.listdir(new), 60, "delivery to carol")
        except AssertionError:
            raise AssertionError("not delivered; smtpd log: %s"
                                 % smtpd.log()[-1500:])
        T.expect(os.stat(os.path.join(new, os.listdir(new)[0])).st_uid,
                 pe.pw_uid, "owner of carol's message (the userbase's uid)")
    with srv.raw() as r:
        r.line()
        T.expect(r.cmd("USER carol")[:3], b"+OK", "USER carol")
        T.expect(r.cmd("PASS wrong")[:11], b"-ERR [AUTH]", "wrong password")
        r.login("carol", "carol-pw")
        T.expect(r.ok("STAT").split()[1], b"1", "carol's messages")
        r.ok("RETR 1")
        got = r.multiline()
        r.ok("QUIT")
    got = b"".join(ln + b"\r\n" for ln in got)
    T.expect(strip_added(got), msg, "carol's message over POP3S")
    T.expect_true(b"Delivered-To: carol@" + DOMAIN.encode() in got,
                  "OpenSMTPD's Delivered-To", got[:300])
    T.expect_true("wrkrpop for carol: pid" in srv.log() and
                  "uid %d " % pe.pw_uid in srv.log(), "carol served with "
                  "the database's uid")


if __name__ == "__main__":
    T.main()
