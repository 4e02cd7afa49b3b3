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

"""Credentials as real sites hold them (issue 52), in real databases
through OpenSMTPD's table programs, popd as root with real uids and TLS
(test_databases.py runs the same databases with bcrypt only):

postfixadmin    MariaDB (dbtest.MariaDB) with PostfixAdmin's mailbox
                table: username the whole address, compared without
                case (latin1_general_ci, as PostfixAdmin creates it),
                maildir "domain/local_part/", active.  table-mysql asks
                as a PostfixAdmin site's Dovecot does:

                    SELECT username, password FROM mailbox
                        WHERE username = ? AND active = 1
                    SELECT UID, GID, CONCAT('VMAIL/', maildir) FROM
                        mailbox WHERE username = ? AND active = 1

                one vmail uid for every mailbox, here the harness's
                user alice's (a real uid, so that popd's checks of the
                maildir's owner pass).  Rows: md5crypt "$1$" (openssl
                passwd -1, PostfixAdmin's old default), "$argon2i$" and
                "$argon2id$" as PHP's password_hash makes them (m=65536,
                t=4, p=1, 16 bytes of salt; Debian's argon2 program),
                "{SHA512-CRYPT}" (PostfixAdmin's dovecot:SHA512-CRYPT)
                and an inactive row.  With weak-hashes yes each logs in
                and reads its message, a wrong password is -ERR [AUTH],
                the inactive row and the address in capitals are
                unknown users (-ERR [AUTH]); without it the md5crypt
                user is -ERR [SYS/TEMP] with its right password and a
                wrong one (never [AUTH]), the log names the table and
                why, and the others still log in.

iredmail        slapd (dbtest.Slapd) with users as iRedMail keeps them:
                found by their address (mail=), userPassword
                "{SSHA512}" base64(SHA512(password + salt) + salt) as
                iRedMail writes it (made here with hashlib), one
                "{SSHA}" beside it, all with one vmail uid.  iRedMail's
                own schema (mailUser, accountStatus) is not in Debian:
                the entries are inetOrgPerson and posixAccount, which
                give table-ldap its three userinfo attributes.  Fast
                digests, salted or not, are weak (issue 69): with
                weak-hashes yes each logs in and reads its message; a
                wrong password is
                -ERR [AUTH]; and a wrong password of the SSHA512 user
                and an unknown user are answered after about the same
                time (medians within SAME s), none sooner than the
                failure floor authpop logs at start."""

import base64
import hashlib
import os
import re
import secrets
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))
import popdtest as T  # noqa: E402
import dbtest as D  # noqa: E402
import test_databases as TD  # noqa: E402  (popd with a database table)

DOMAIN = "example.org"
TABLE = TD.TABLE
SAME = 0.3      # failure replies of two kinds: medians this close, s
ROUNDS = 5      # failures timed of each kind


# --- hashes as the sites' own tools make them ------------------------------

def openssl_passwd(flag, pw):
    openssl = T.apt_install("openssl", "openssl")
    return subprocess.run([openssl, "passwd", flag, "-stdin"], input=pw,
                          stdout=subprocess.PIPE, check=True, text=True,
                          timeout=30).stdout.strip()


def php_argon2(variant, pw):
    """password_hash(pw, PASSWORD_ARGON2I or PASSWORD_ARGON2ID) as PHP
    7.3 and later make it with libargon2: 64 MiB, 4 passes, 1 lane, 16
    bytes of salt, 32 of hash."""
    argon2 = T.apt_install("argon2", "argon2")
    # The program takes the salt as text: 16 characters, 16 bytes.
    salt = secrets.token_hex(8)
    out = subprocess.run([argon2, salt, "-" + variant[len("argon2"):],
                          "-t", "4", "-m", "16", "-p", "1", "-l", "32",
                          "-e"], input=pw.encode(), stdout=subprocess.PIPE,
                         check=True, timeout=60).stdout.decode().strip()
    T.expect(out.split("$")[1:4], [variant, "v=19", "m=65536,t=4,p=1"],
             "argon2 -%s as PHP's password_hash" % variant[6:])
    return out


def ssha(digest, pw):
    """{SSHA512} (iRedMail's default) or {SSHA}: base64 of the digest of
    password + salt, then the salt."""
    salt = os.urandom(8)
    d = hashlib.new(digest, pw.encode() + salt).digest()
    scheme = {"sha512": "SSHA512", "sha1": "SSHA"}[digest]
    return "{%s}%s" % (scheme, base64.b64encode(d + salt).decode())


# --- one vmail owner, mailboxes under VMAIL/DOMAIN/ ------------------------

def vmail_mailbox(srv, user, local):
    """A maildir VMAIL/DOMAIN/local/ owned by alice's uid and gid (the
    site's one vmail user), registered with the harness under user (an
    address) so that srv.deliver works; returns the maildir's path
    relative to VMAIL, as PostfixAdmin's maildir column holds it."""
    a = srv.users["alice"]
    dom = os.path.join(srv.homes, DOMAIN)
    if not os.path.isdir(dom):
        os.mkdir(dom, 0o755)
        os.chown(dom, a["uid"], a["gid"])
    md = os.path.join(dom, local)
    for d in ("", "tmp", "new", "cur"):
        os.mkdir(os.path.join(md, d), 0o700)
        os.chown(os.path.join(md, d), a["uid"], a["gid"])
    srv.users[user] = {"password": None, "uid": a["uid"], "gid": a["gid"],
                       "home": md, "maildir": md}
    return "%s/%s/" % (DOMAIN, local)


def message(user, site):
    return (b"From: postmaster@%s\r\nTo: %s\r\nSubject: your %s "
            b"mailbox\r\n\r\nkept where %s keeps it\r\n"
            % (DOMAIN.encode(), user.encode(), site.encode(),
               site.encode()))


def unknown_logged(srv, since, user, what):
    """authpop logged the failure as an unknown user's."""
    pat = r'failed login for "%s" from [^:]*: unknown user' % \
        re.escape(user)
    T.wait_for(lambda: re.search(pat, srv.log()[since:]), 5,
               "%s: the log has %s" % (what, pat))


# --- PostfixAdmin on MariaDB ---------------------------------------------

# PostfixAdmin's mailbox table as its upgrade.php leaves it, the
# address columns latin1 and compared without case ({LATIN1}): a name
# in another case finds the row.
MAILBOX = """\
CREATE TABLE %s.mailbox (
  username varchar(255) NOT NULL,
  password varchar(255) NOT NULL,
  name varchar(255) CHARACTER SET utf8mb4 NOT NULL,
  maildir varchar(255) NOT NULL,
  quota bigint(20) NOT NULL DEFAULT 0,
  local_part varchar(255) NOT NULL,
  domain varchar(255) NOT NULL,
  created datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
  modified datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
  active tinyint(1) NOT NULL DEFAULT 1,
  phone varchar(30) CHARACTER SET utf8mb4 NOT NULL DEFAULT '',
  email_other varchar(255) NOT NULL DEFAULT '',
  token varchar(255) NOT NULL DEFAULT '',
  token_validity datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
  password_expiry datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
  totp_secret varchar(255) DEFAULT NULL,
  PRIMARY KEY (username),
  KEY domain (domain)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_general_ci
  COMMENT='Postfix Admin - Virtual Mailboxes';
GRANT SELECT ON %s.mailbox TO '%s'@'localhost';
"""


class PostfixAdmin(D.MariaDB):
    """dbtest.MariaDB with PostfixAdmin's mailbox table beside the
    fixture's own, readable by the backend's account; the backend's
    configuration asks it as a PostfixAdmin site does.  vmail: (uid,
    gid, the directory the maildir column is relative to)."""

    vmail = None

    def create(self):
        super().create()
        self.client(MAILBOX % (D.DBNAME, D.DBNAME, D.DBUSER), db=None)

    def add_mailbox(self, local, hash, maildir, active=1):
        user = "%s@%s" % (local, DOMAIN)
        self.run([("INSERT INTO mailbox (username, password, name, "
                   "maildir, quota, local_part, domain, created, modified, "
                   "active) VALUES (?, ?, ?, ?, ?, ?, ?, NOW(), NOW(), ?)",
                   (user, hash, local.capitalize() + " Example", maildir,
                    0, local, DOMAIN, active))])
        return user

    def conf_text(self):
        uid, gid, top = self.vmail
        where = "FROM mailbox WHERE username = ? AND active = 1"
        return ("host localhost\n"
                "username %s\n"
                "password %s\n"
                "database %s\n"
                "query_credentials SELECT username, password %s\n"
                "query_userinfo SELECT %d, %d, CONCAT('%s/', maildir) %s\n"
                % (D.DBUSER, self.password, D.DBNAME, where, uid, gid, top,
                   where))


# local part: how its hash is made ("weak": only with weak-hashes yes)
PFA_USERS = (("md5", "weak", lambda pw: openssl_passwd("-1", pw)),
             ("argon2i", "", lambda pw: php_argon2("argon2i", pw)),
             ("argon2id", "", lambda pw: php_argon2("argon2id", pw)),
             ("sha512crypt", "",
              lambda pw: "{SHA512-CRYPT}" + openssl_passwd("-6", pw)))


@T.test(start=False, timeout=240)
def postfixadmin(srv):
    T.need_root()
    a = srv.users["alice"]
    with PostfixAdmin(srv.tmpdir) as db:
        db.vmail = (a["uid"], a["gid"], srv.homes)
        pw, msg, users = {}, {}, []
        for local, weak, make in PFA_USERS:
            user = "%s@%s" % (local, DOMAIN)
            pw[user] = "%s's secret in PostfixAdmin" % local
            h = make(pw[user])
            prefix = h[:h.index("}") + 1] if h[0] == "{" else \
                h[:h.index("$", 1) + 1]
            db.add_mailbox(local, h, vmail_mailbox(srv, user, local))
            msg[user] = message(user, "PostfixAdmin")
            srv.deliver(user, msg[user])
            users.append((user, weak, prefix))
        # An inactive mailbox, with its right password and a maildir.
        gone = "gone@" + DOMAIN
        pw[gone] = "gone's secret"
        db.add_mailbox("gone", php_argon2("argon2i", pw[gone]),
                       vmail_mailbox(srv, gone, "gone"), active=0)
        md5 = users[0][0]
        TD.use_table(srv, db)

        srv.conf_extra = "weak-hashes yes"
        TD.start(srv, db)
        for user, _, kind in users:
            t = time.monotonic()
            TD.session(srv, user, pw[user], msg[user], "%s (%s)"
                       % (user, kind))
            TD.note("postfixadmin: %s (%s) logged in, %.2f s"
                 % (user, kind, time.monotonic() - t))
            TD.refused(srv, user, pw[user] + "x", "AUTH",
                       "a wrong password for %s (%s)" % (user, kind))
        since = len(srv.log())
        TD.refused(srv, gone, pw[gone], "AUTH",
                   "an inactive mailbox with its password")
        unknown_logged(srv, since, gone, "an inactive mailbox")
        # PostfixAdmin's collation finds the row for another case:
        # popd's names have case, so no such user.
        upper = "ARGON2I@" + DOMAIN.upper()
        since = len(srv.log())
        TD.refused(srv, upper, pw["argon2i@" + DOMAIN], "AUTH",
                   "%s, found by the database without case" % upper)
        unknown_logged(srv, since, upper, "the address in capitals")
        srv.stop()

        srv.conf_extra = ""
        TD.start(srv, db)
        for word in (pw[md5], pw[md5] + "x"):
            since = len(srv.log())
            ans, _ = TD.refused(srv, md5, word, "SYS/TEMP",
                              "md5crypt without weak-hashes (%s password)"
                              % ("its" if word == pw[md5] else "a wrong"))
            why = ('table %s: the credentials of "%s": a weak md5crypt '
                   'hash, read only with "weak-hashes yes" in popd.conf'
                   % (TABLE, md5))
            T.wait_for(lambda: why in srv.log()[since:], 5,
                       "the log says " + why)
        TD.note("postfixadmin: md5crypt without weak-hashes: %r" % ans)
        for user, weak, kind in users:
            if not weak:
                TD.session(srv, user, pw[user], msg[user],
                           "%s (%s) without weak-hashes" % (user, kind))
        T.expect_true(not any(p in srv.log() for p in pw.values()),
                      "no password in the log")
        srv.stop()


# --- iRedMail on OpenLDAP ------------------------------------------------

class IRedMail(D.Slapd):
    """dbtest.Slapd with users found by their address, as iRedMail's
    Dovecot finds them (mail=%u): uid=ADDRESS,ou=users entries of
    inetOrgPerson and posixAccount with mail, userPassword as given,
    uidNumber, gidNumber, homeDirectory."""

    def add_user(self, name, hash, uid, gid, home):
        local = name.split("@")[0]
        self.modify(D._ldif("dn", self.dn(name)) + "changetype: add\n"
                    "objectClass: inetOrgPerson\nobjectClass: posixAccount\n"
                    + D._ldif("uid", name) + D._ldif("mail", name) +
                    D._ldif("cn", local) + D._ldif("sn", local) +
                    D._ldif("userPassword", hash) +
                    "uidNumber: %d\ngidNumber: %d\n" % (uid, gid) +
                    D._ldif("homeDirectory", home))

    def conf_text(self):
        filt = "(&(objectClass=inetOrgPerson)(mail=%s))"
        return ("url %s\n"
                "username %s\n"
                "password %s\n"
                "basedn %s\n"
                "credentials_filter %s\n"
                "credentials_attributes mail,userPassword\n"
                "userinfo_filter %s\n"
                "userinfo_attributes uidNumber,gidNumber,homeDirectory\n"
                % (self.url, self.binddn, self.password, self.basedn,
                   filt, filt))


def failure_times(srv, user, pw, n, offset):
    """n failed PASS of user, each from an address of its own (no
    failure delay): their seconds."""
    out = []
    for i in range(n):
        r = srv.raw(timeout=30, src="127.0.%d.%d" % (30 + offset, 2 + i))
        with r:
            T.expect(r.line()[:3], b"+OK", "greeting")
            r.ok("USER " + user)
            t = time.monotonic()
            a = r.cmd("PASS " + pw)
            out.append(time.monotonic() - t)
        T.expect(a[:12], b"-ERR [AUTH] ", "a failed PASS of " + user)
    return out


@T.test(start=False, timeout=240)
def iredmail(srv):
    T.need_root()
    a = srv.users["alice"]
    with IRedMail(srv.tmpdir) as db:
        pw, msg = {}, {}
        for local, digest in (("ssha512", "sha512"), ("ssha", "sha1")):
            user = "%s@%s" % (local, DOMAIN)
            pw[user] = "%s's secret in iRedMail" % local
            home = os.path.join(srv.homes, vmail_mailbox(srv, user, local))
            db.add_user(user, ssha(digest, pw[user]), a["uid"], a["gid"],
                        home.rstrip("/"))
            msg[user] = message(user, "iRedMail")
            srv.deliver(user, msg[user])
        TD.use_table(srv, db)
        srv.conf_extra = "weak-hashes yes"
        TD.start(srv, db)
        for user in pw:
            TD.session(srv, user, pw[user], msg[user], user)
            TD.refused(srv, user, pw[user] + "x", "AUTH",
                       "a wrong password for " + user)
        TD.refused(srv, "nobody@" + DOMAIN, "whatever", "AUTH",
                   "an unknown user")
        # Interleaved, so that a busy moment of the machine falls on
        # both alike.
        salted = "ssha512@" + DOMAIN
        times = {salted: [], "nobody@" + DOMAIN: []}
        for i in range(ROUNDS):
            for j, user in enumerate(times):
                times[user] += failure_times(srv, user, "not the password",
                                             1, i * 2 + j)
        med = {u: statistics.median(v) for u, v in times.items()}
        floor = [float(f) for f in re.findall(
            r"failure replies after ([0-9.]+) s at least", srv.log())]
        T.expect_true(floor, "authpop logged its failure floor")
        TD.note("iredmail: failure floor %.3f s, medians %s" % (
            floor[-1], ", ".join("%s %.3f s" % (u, m)
                                 for u, m in med.items())))
        T.expect_true(min(min(v) for v in times.values()) >= floor[-1],
                      "no failure answered sooner than the floor (%.3f s)"
                      % floor[-1], times)
        T.expect_true(max(med.values()) - min(med.values()) <= SAME,
                      "{SSHA512} and an unknown user fail within %g s of "
                      "each other" % SAME, med)
        srv.stop()


if __name__ == "__main__":
    T.main()
