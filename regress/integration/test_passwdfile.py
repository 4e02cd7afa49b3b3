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

"""Dovecot's passwd-file read as it is: "table NAME passwd-file:/path"
as authtab, usertab and quota users.  A real Dovecot 2.3 serves the same
file (passdb and userdb passwd-file): the same users log in to both with
the same passwords, popd takes uid, gid, home, userdb_mail and the
userdb_quota_rule limit from it without a byte changed, a bad line is
file:line and refuses the load as authtab's do, and a reload reads an
edited file.  popdpass -P hashes the file's passwords in clear in place,
every other field and line kept, and both still load it."""

import grp
import os
import poplib
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import popdtest as T  # noqa: E402
import test_lmtp as L  # noqa: E402  (its helpers; its tests are its own)

USERS = [("alice", "pw1"), ("bob", "pw2"), ("carol", "pw3")]
SUB = "Maildir"
# yescrypt of "pw3" (Debian's default for shadow): libxcrypt makes it,
# Dovecot's CRYPT and popd check it.
YESCRYPT = ("$y$j9T$F5Jx5fExrKuPp53xLKQ..1$"
            "eGZhLuxcSCZtEhU7hDuBnwwoTfcAiJfsk7SLEhZHgYD")


def sha512_crypt(pw):
    """A SHA-crypt hash as doveadm pw -s SHA512-CRYPT makes it, with its
    {SHA512-CRYPT} prefix, as Dovecot sites store it."""
    out = subprocess.run(["doveadm", "pw", "-s", "SHA512-CRYPT", "-p", pw],
                         stdout=subprocess.PIPE, check=True, timeout=30)
    h = out.stdout.decode().strip()
    T.expect(h.startswith("{SHA512-CRYPT}$6$"), True, "doveadm's hash %s" % h)
    return h


def users_file(srv, bob_hash=None):
    """The passwd-file of srv's users as a Dovecot site has it: a
    comment, a blank line, bcrypt, {SHA512-CRYPT} (doveadm's, prefix and
    all) and yescrypt hashes, a
    gecos and a shell, a quota rule (and a Trash rule popd ignores), and
    carol's maildir from userdb_mail rather than mail_location."""
    def ids(u):
        return srv.uid(u), srv.gid(u)
    if bob_hash is None:
        bob_hash = sha512_crypt("pw2")
    return ("# /etc/dovecot/users\n"
            "\n"
            "alice:%s:%d:%d::%s::userdb_quota_rule=*:storage=10K "
            "userdb_quota_rule2=Trash:ignore\n"
            "bob:%s:%d:%d:Bob B:%s:/bin/false:\n"
            "carol:%s:%d:%d::%s::userdb_mail=maildir:~/Other\n"
            % ((T.make_hash("pw1"),) + ids("alice") +
               (srv.users["alice"]["home"],) +
               (bob_hash,) + ids("bob") + (srv.users["bob"]["home"],) +
               (YESCRYPT,) + ids("carol") + (srv.users["carol"]["home"],)))


def setup(srv, text, extra=""):
    """Write text as srv's passwd-file (srv.pwfile) and configure popd
    to read it for passwords, users and quotas."""
    srv.pwfile = os.path.join(srv.tmpdir, "dovecot-users")
    with open(srv.pwfile, "w") as f:
        f.write(text)
    # As Debian's /etc/dovecot/users: Dovecot's auth process reads it as
    # the dovecot user, popd as root.
    try:
        os.chown(srv.pwfile, 0, grp.getgrnam("dovecot").gr_gid)
    except KeyError:
        pass
    os.chmod(srv.pwfile, 0o640)
    srv.tables = ('table dovecot "passwd-file:%s"\n'
                  "authtab <dovecot>\nusertab <dovecot>" % srv.pwfile)
    srv.conf_extra = extra


def other_maildir(srv):
    """carol's ~/Other, the maildir her userdb_mail names, with one
    message in new/."""
    md = os.path.join(srv.users["carol"]["home"], "Other")
    for d in ("", "tmp", "new", "cur"):
        os.makedirs(os.path.join(md, d), 0o700, exist_ok=True)
        os.chown(os.path.join(md, d), srv.uid("carol"), srv.gid("carol"))
    path = os.path.join(md, "new", "1700000000.other.test")
    with open(path, "wb") as f:
        f.write(b"Subject: in Other\r\n\r\ncarol's own maildir\r\n")
    os.chown(path, srv.uid("carol"), srv.gid("carol"))
    return md


def bodies(port, user, pw):
    """[(size, message)] of user's maildrop on the POP3 server at port."""
    p = poplib.POP3_SSL(T.HOST, port, context=T.client_ctx(), timeout=30)
    p.user(user)
    p.pass_(pw)
    out = []
    for ln in p.list()[1]:
        n, size = ln.split()
        out.append((int(size), b"\r\n".join(p.retr(int(n))[1])))
    p.quit()
    return sorted(out)


def refused(port, user, pw):
    """The server at port refuses user's pw: its -ERR line."""
    p = poplib.POP3_SSL(T.HOST, port, context=T.client_ctx(), timeout=30)
    try:
        p.user(user)
        p.pass_(pw)
    except poplib.error_proto as e:
        return e.args[0].decode()
    finally:
        p.close()
    raise AssertionError("%s logged in with %r" % (user, pw))


def dovecot_on(dovecot, srv):
    """A Dovecot whose passdb and userdb are srv's passwd-file, unprefixed
    hashes as {CRYPT} (its default)."""
    d = T.Dovecot(dovecot, srv)
    conf = open(d.conf).read()
    conf = conf.replace("args = scheme=BLF-CRYPT %s/passwd" % d.dir,
                        "args = %s" % srv.pwfile)
    conf = conf.replace("args = %s/passwd" % d.dir, "args = %s" % srv.pwfile)
    T.expect(conf.count(srv.pwfile), 2, "passdb and userdb on the file")
    d.write("dovecot.conf", conf)
    return d


def popd_n(srv):
    """popd -n -v on srv's configuration: (exit status, output)."""
    return srv.check_config("-v")


@T.test(start=False, users=USERS, subdir=SUB, timeout=120)
def dovecot_and_popd_same_file(srv):
    """Dovecot and popd on one passwd-file, unchanged: every user logs
    in to both with the same password (bcrypt, SHA-crypt, yescrypt) and
    sees the same messages, carol in the maildir of her userdb_mail; a
    wrong password fails on both; the Trash rule is logged once."""
    dovecot = T.need_dovecot()
    setup(srv, users_file(srv))
    before = open(srv.pwfile, "rb").read()
    for u, _ in USERS:
        srv.deliver(u, "Subject: to %s\r\n\r\nhello %s\r\n" % (u, u))
    other_maildir(srv)
    srv.start()
    with dovecot_on(dovecot, srv) as d:
        for u, pw in USERS:
            theirs = bodies(d.port, u, pw)
            ours = bodies(srv.port, u, pw)
            T.expect(ours, theirs, "%s: popd's maildrop is Dovecot's" % u)
            T.expect(len(ours), 1, "%s: one message" % u)
            T.expect(refused(d.port, u, pw + "x").startswith("-ERR"), True,
                     "Dovecot refuses a wrong password")
            T.expect_true("-ERR [AUTH]" in refused(srv.port, u, pw + "x"),
                          "popd refuses a wrong password", u)
        T.expect_true(b"carol's own maildir" in
                      bodies(srv.port, "carol", "pw3")[0][1],
                      "carol's maildir is userdb_mail's ~/Other")
    T.expect(open(srv.pwfile, "rb").read(), before, "the file unchanged")
    log = srv.log()
    T.expect(log.count("with extra fields popd ignores"), 1,
             "the ignored rule logged once: %s" % log)
    srv.wait_log("%s: 1 line with extra fields popd ignores (the first on "
                 "line 3: userdb_quota_rule2)" % srv.pwfile)
    # popd -n -v prints the table form back.
    rc, out = popd_n(srv)
    T.expect(rc, 0, "popd -n: %s" % out)
    T.expect_true("authtab <dovecot>" in out and "usertab <dovecot>" in out,
                  "popd -n -v prints the table's name", out)


@T.test(start=False, users=USERS, subdir=SUB, timeout=60)
def quota_rule_at_lmtp(srv):
    """quota users <dovecot>: alice's userdb_quota_rule=*:storage=10K
    refuses her at RCPT once she holds 12000 bytes, LMTP's own answer;
    bob has no rule (the default, none) and gets the message, written
    with the uid and gid of his line into his home's Maildir."""
    setup(srv, users_file(srv, bob_hash=T.make_hash("pw2")))
    srv.deliver("alice", "Subject: big\r\n\r\n" + "x" * 12000 + "\r\n")
    L.lmtp_conf(srv, "quota users <dovecot>\n")
    srv.start()
    T.wait_for(lambda: os.path.exists(srv.sock), what="the lmtp socket")
    c = L.Lmtp(srv)
    rr, dr = c.transaction(["alice@popd.test", "bob@popd.test"], L.msg(1))
    T.expect(rr, [(552, "552 5.2.2 <alice@popd.test> mailbox full: over "
                   "quota"), (250, "250 2.1.5 ok")], "RCPT replies")
    T.expect([x[0] for x in dr], [250], "bob's DATA")
    new = srv.files("bob", "new")
    T.expect(len(new), 1, "bob's message")
    st = os.stat(os.path.join(srv.maildir("bob"), "new", new[0]))
    T.expect((st.st_uid, st.st_gid), (srv.uid("bob"), srv.gid("bob")),
             "written as bob's uid:gid from the file")
    rc, out, _ = srv.popctl("show", "quota", "alice")
    T.expect_true("limit 10240 bytes" in out, "show quota alice", out)


@T.test(start=False, users=USERS, subdir=SUB, timeout=60)
def bad_line_and_reload(srv):
    """A reload of an edited file: with a bad line it is refused
    (file:line, the old passwords go on), as authtab's; once fixed,
    bob's new password works and his old one no longer does.  A
    password popd will not take is no bad line (issue 69): its user
    alone cannot log in."""
    setup(srv, users_file(srv, bob_hash=T.make_hash("pw2")))
    srv.start()
    srv.pop("bob", "pw2").quit()
    good = users_file(srv, bob_hash=T.make_hash("new2"))
    with open(srv.pwfile, "w") as f:
        f.write(good + "dave:%s:1:1::/x::nologin=y\n" % T.make_hash("d"))
    srv.reload()
    log = srv.wait_log("%s:6: " % srv.pwfile)
    T.expect_true('%s:6: user "dave"' % srv.pwfile in log,
                  "file:line names dave", log)
    srv.pop("bob", "pw2").quit()
    # {PLAIN}: named, never shown, and only dave is kept out.
    with open(srv.pwfile, "w") as f:
        f.write(good + "dave:{PLAIN}secret:%d:%d::%s\n" % (
            srv.uid("alice"), srv.gid("alice"), srv.users["alice"]["home"]))
    mark = len(srv.log())
    srv.reload()
    T.wait_for(lambda: '%s:6: "dave" has' % srv.pwfile in
               srv.log()[mark:], 10, "the line named")
    T.expect_true("secret" not in srv.log(), "the password not logged")
    T.wait_for(lambda: T.try_pop(srv, "bob", "new2"), 10,
               "bob's new password after the reload").quit()
    T.expect_true("-ERR [SYS/PERM]" in refused(srv.port, "dave", "secret"),
                  "dave cannot log in, and is told so")
    T.expect_true("-ERR [AUTH]" in refused(srv.port, "bob", "pw2"),
                  "bob's old password refused")


@T.test(start=False, users=USERS, subdir=SUB, timeout=60)
def followed_as_dovecot_does(srv):
    """One passwd-file as authtab and usertab: a reload's log line names
    it once.  dave added to it, with no reload, logs in within the
    documented delay (10 seconds, and the load), as Dovecot reads an
    edited passwd-file."""
    setup(srv, users_file(srv, bob_hash=T.make_hash("pw2")))
    srv.start()
    rc, out, err = srv.popctl("reload")
    T.expect(rc, 0, "popctl reload: %s %s" % (out, err))
    line = [ln for ln in srv.log().splitlines() if "]: reloaded " in ln][-1]
    T.expect(line.count(srv.pwfile), 1,
             "the reload's log line names the file once: " + line)
    home = os.path.join(srv.homes, "dave")
    for d in ("", SUB, SUB + "/tmp", SUB + "/new", SUB + "/cur"):
        os.makedirs(os.path.join(home, d), 0o700, exist_ok=True)
        os.chown(os.path.join(home, d), srv.uid("alice"), srv.gid("alice"))
    with open(srv.pwfile, "a") as f:
        f.write("dave:%s:%d:%d::%s::\n" % (T.make_hash("pw4"),
                                           srv.uid("alice"),
                                           srv.gid("alice"), home))
    T.wait_for(lambda: T.try_pop(srv, "dave", "pw4"), 15,
               "dave's login, with no reload").quit()
    srv.wait_log("tables changed on disk, now served: %s\n" % srv.pwfile)


@T.test(start=False, users=USERS, subdir=SUB)
def refused_lines(srv):
    """popd -n names each line it cannot take, file:line: no uid (popd
    reads no userdb defaults), root's ids, a password field that
    restricts logins, a mail location that is no maildir, a bad quota
    rule; a line without user info, or with a bad quota rule, is fine
    when the file is only the authtab; a passwd-file is no route
    table."""
    h = T.make_hash("pw")
    shadow = grp.getgrnam("shadow").gr_gid
    setup(srv, "alice:%s\n"
          "bob:%s:0:0::/root\n"
          "carol:%s:5:5::/h::nologin=y\n"
          "dave:%s:5:5::/h::userdb_mail=mdbox:~/mdbox\n"
          "erin:%s:5:%d::/h\n" % (h, h, h, h, h, shadow))
    rc, out = popd_n(srv)
    T.expect(rc != 0, True, "popd -n refuses the file: %s" % out)
    for want in ('%s:1: user "alice": no uid' % srv.pwfile,
                 '%s:2: user "bob": uid and gid 0 are refused' % srv.pwfile,
                 '%s:3: user "carol": popd does not do what the field '
                 '"nologin" says' % srv.pwfile,
                 '%s:4: user "dave": mail location "mdbox:~/mdbox" is not '
                 'a maildir' % srv.pwfile,
                 # Issue 69: the group shadow (usertab(5)'s rule).
                 '%s:5: user erin: gid %d is the group shadow' % (
                     srv.pwfile, shadow)):
        T.expect_true(want in out, "reported", (want, out))
    # A quota rule is the userdb's: a bad one refuses the file read as
    # usertab (file:line), and is not read where the file holds only
    # the passwords.
    bad = "".join("%s:%s:%d:%d::%s::userdb_quota_rule=*:bogus=1\n" %
                  (u, T.make_hash(pw), srv.uid(u), srv.gid(u),
                   srv.users[u]["home"]) for u, pw in USERS)
    setup(srv, bad)
    rc, out = popd_n(srv)
    T.expect_true(rc != 0 and '%s:1: quota rule: unknown limit "bogus"' %
                  srv.pwfile in out, "a bad quota rule in usertab", out)
    srv.tables = ('table dovecot "passwd-file:%s"\nauthtab <dovecot>\n'
                  'usertab "%s"' % (srv.pwfile, srv.usertab))
    rc, out = popd_n(srv)
    T.expect(rc, 0, "a bad quota rule where only passwords are read: %s"
             % out)
    # Only the passwords from it: alice's line is enough.
    setup(srv, "".join("%s:%s\n" % (u, T.make_hash(pw)) for u, pw in USERS))
    srv.tables = ('table dovecot "passwd-file:%s"\nauthtab <dovecot>\n'
                  'usertab "%s"' % (srv.pwfile, srv.usertab))
    rc, out = popd_n(srv)
    T.expect(rc, 0, "a passdb-only file as authtab: %s" % out)
    srv.tables += "\nroute <dovecot>"
    rc, out = popd_n(srv)
    T.expect_true(rc != 0 and "route <dovecot>: a passwd-file has no routes"
                  in out, "no routes from a passwd-file", out)
    # As a file table: an absolute path, and no cache.
    srv.tables = ('table d1 "passwd-file:etc/users"\n'
                  'table d2 "passwd-file:%s" cache 10s\n'
                  'authtab "%s"\nusertab "%s"'
                  % (srv.pwfile, srv.authtab, srv.usertab))
    rc, out = popd_n(srv)
    T.expect_true(rc != 0 and 'table d1 "passwd-file:etc/users": the file '
                  'must be an absolute path' in out and
                  "table d2: a file table has no cache" in out,
                  "a passwd-file is a file table", out)


@T.test(start=False, users=USERS, subdir=SUB)
def fault_said_once(srv):
    """A fault of a passwd-file that authtab, usertab and quota users
    all read is said once per reading, with its file:line: a duplicate
    refuses its user alone in authtab and usertab (neither entry
    stands), and quota users, which cannot refuse one user, is not
    loaded."""
    text = users_file(srv, T.make_hash("pw2"))
    setup(srv, text + text.splitlines(True)[2],
          "quota users <dovecot>\n")
    rc, out = popd_n(srv)
    said = [ln for ln in out.splitlines()
            if ln.startswith(srv.pwfile + ":6: ")]
    T.expect_true(said and len(said) == len(set(said)),
                  "the duplicate named, no line said twice", out)
    T.expect_true(any("alice cannot log in" in ln for ln in said),
                  "alice refused alone", out)
    T.expect(rc, 1, "popd -n's exit status (quota users not loaded)")
    T.expect_true('quota users "%s": not loaded' % srv.pwfile in out,
                  "quota users not loaded", out)
    for st in ("authtab", "usertab"):
        T.expect_true('%s "%s": not loaded' % (st, srv.pwfile) not in out,
                      st + " loaded", out)


# popdpass -P on a passwd-file: (user, password field as doveadm pw -s
# SCHEME made it, password, converted).
PLAIN_USERS = [("alice", "PLAIN", "pw one", True),
               ("bob", "CLEAR", "pw2", True),
               ("carol", "SHA512-CRYPT", "pw3", False),
               ("dave", "CRAM-MD5", "pw4", False),
               ("erin", "PLAIN-TRUNC", "pw5", False),
               ("frank", "CLEARTEXT", "pw six", True)]


def doveadm_pw(scheme, pw):
    """The password field doveadm pw -s scheme makes of pw."""
    out = subprocess.run(["doveadm", "pw", "-s", scheme, "-p", pw],
                         stdout=subprocess.PIPE, check=True, timeout=30)
    h = out.stdout.decode().strip()
    T.expect(h.startswith("{%s}" % scheme), True, "doveadm's %s" % h)
    return h


def auth_test(d, user, pw):
    """doveadm auth test against Dovecot d's passdb: True if it logs in."""
    r = subprocess.run(["doveadm", "-c", d.conf, "auth", "test", user, pw],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    out = r.stdout.decode(errors="replace")
    T.expect_true(r.returncode in (0, 77), "doveadm auth test %s" % user,
                  out)
    return r.returncode == 0


def traced_popdpass(srv, args):
    """popdpass args under strace: (exit status, stdout, stderr, the
    trace of its file system calls)."""
    strace = T.need_prog("strace")
    trace = os.path.join(srv.tmpdir, "popdpass.trace")
    r = subprocess.run([strace, "-o", trace, "-e",
                        "trace=openat,write,fsync,close,rename,renameat,"
                        "renameat2,unlink", "--",
                        os.path.join(T.REPO, "popdpass", "popdpass")] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    with open(trace) as f:
        calls = f.read()
    os.unlink(trace)
    return (r.returncode, r.stdout.decode(errors="replace"),
            r.stderr.decode(errors="replace"), calls)


@T.test(start=False, users=[(u, pw) for u, _, pw, _ in PLAIN_USERS],
        subdir=SUB, timeout=240)
def popdpass_converts_in_place(srv):
    """popdpass -P, the command popd -n names for {PLAIN} lines, on a
    passwd-file whose passwords doveadm pw made ({PLAIN}, {CLEAR},
    {CLEARTEXT}, {SHA512-CRYPT}, {CRAM-MD5}, {PLAIN-TRUNC}): the file
    keeps its format, owner and mode, rewritten through a temporary
    file fsync'd and renamed over it; only the password field of the
    lines in clear changes, every other byte of the file stays; the
    secrets no hash can be made from are named file:line on standard
    error and stay.  Every converted user logs in with the old password
    to Dovecot (doveadm auth test, and POP3) and to popd, which load
    the same file."""
    dovecot = T.need_dovecot()

    def line(u, scheme, pw):
        return "%s:%s:%d:%d::%s::" % (u, doveadm_pw(scheme, pw), srv.uid(u),
                                      srv.gid(u), srv.users[u]["home"])
    a, b, c, d, e, f = [line(u, s, pw) for u, s, pw, _ in PLAIN_USERS]
    text = ("# /etc/dovecot/users {PLAIN}not-a-line\n"
            "\n" +
            a + "userdb_quota_rule=*:storage=10M "
            "userdb_quota_rule2=Trash:ignore\n" +
            b.replace("::", ":Bob B:", 1) + "/bin/false:\r\n" +
            c + "userdb_mail=maildir:~/" + SUB + "\n" +
            d + "\n" + e + "\n" +
            f.rstrip(":"))
    setup(srv, text)
    before = open(srv.pwfile, "rb").read()
    st0 = os.stat(srv.pwfile)
    rc, out, err, calls = traced_popdpass(srv, ["-c", "4", "-P",
                                                 srv.pwfile])
    T.expect(rc, 1, "popdpass -P with secrets it cannot convert: " + err)
    T.expect(out, "", "nothing on standard output")
    # {CRAM-MD5} is a weak kind popd reads (weak-hashes yes), not a
    # password in clear: left as it is, as hashes of other kinds are.
    want = '%s:7: "erin": not converted: a {PLAIN-TRUNC} secret' % srv.pwfile
    T.expect_true(want in err, "named on stderr: " + want, err)
    T.expect_true('"dave"' not in err, "dave's CRAM-MD5 left alone", err)
    T.expect_true("3 passwords in clear hashed, 1 not" in err,
                  "the count", err)
    for _, _, pw, _ in PLAIN_USERS:
        T.expect_true(pw not in err, "no password on stderr", err)

    # The format and every field kept; only the password fields change.
    after = open(srv.pwfile, "rb").read()
    old_lines = before.split(b"\n")
    new_lines = after.split(b"\n")
    T.expect(len(new_lines), len(old_lines), "as many lines")
    conv = {u for u, _, _, yes in PLAIN_USERS if yes}
    for old, new in zip(old_lines, new_lines):
        name = old.split(b":", 1)[0].decode()
        if name not in conv:
            T.expect(new, old, "a line kept byte for byte")
            continue
        o, n = old.split(b":", 2), new.split(b":", 2)
        T.expect(n[0], o[0], "the user name")
        T.expect(n[2], o[2], "%s: every field after the password" % name)
        T.expect_true(n[1].startswith(b"{BLF-CRYPT}$2b$04$") and
                      len(n[1]) == len("{BLF-CRYPT}") + 60,
                      "%s: a bcrypt hash with its prefix" % name, n[1])
    st = os.stat(srv.pwfile)
    T.expect((st.st_uid, st.st_gid, oct(st.st_mode & 0o7777)),
             (st0.st_uid, st0.st_gid, oct(st0.st_mode & 0o7777)),
             "owner and mode kept")
    T.expect_true(st.st_ino != st0.st_ino, "a new file renamed over the old")
    T.expect([n for n in os.listdir(srv.tmpdir) if n.startswith(".popdpass")],
             [], "no temporary file left")
    # In the trace: the new file written beside, fsync'd, then renamed.
    m = re.search(r'openat\(AT_FDCWD, "(%s/\.popdpass\.\w+)", '
                  r'O_RDWR\|O_CREAT\|O_EXCL[^)]*\) = (\d+)'
                  % re.escape(srv.tmpdir), calls)
    T.expect_true(m is not None, "a temporary file beside it", calls)
    tmp, fd = m.group(1), m.group(2)
    rest = calls[m.end():]
    fs = rest.find("fsync(%s)" % fd)
    rn = re.search(r'rename(at2?)?\([^\n]*"%s",[^\n]*"%s"[^\n]*\) = 0'
                   % (re.escape(tmp), re.escape(srv.pwfile)), rest)
    T.expect_true(fs != -1 and rn is not None and fs < rn.start(),
                  "fsync, then rename over the file", rest)

    # popd -n: only the two lines not converted are named (dave's a
    # weak kind without weak-hashes yes); those users alone cannot log
    # in, and the file loads.
    rc, out = popd_n(srv)
    T.expect_true(rc == 0 and '%s:6: "dave"' % srv.pwfile in out and
                  '%s:7: "erin"' % srv.pwfile in out, "popd -n", out)
    for u in conv | {"carol"}:
        T.expect_true('"%s"' % u not in out, "%s loads" % u, out)
    # Dovecot reads the file as it is now: CRAM-MD5 and PLAIN-TRUNC too.
    with dovecot_on(dovecot, srv) as dv:
        for u, _, pw, yes in PLAIN_USERS:
            if u == "erin":
                continue
            T.expect(auth_test(dv, u, pw), True,
                     "%s: doveadm auth test with the old password" % u)
            T.expect(auth_test(dv, u, pw + "x"), False,
                     "%s: a wrong password fails in Dovecot" % u)
        for u in sorted(conv):
            pw = [p for n, _, p, _ in PLAIN_USERS if n == u][0]
            T.expect(bodies(dv.port, u, pw), [], "%s: Dovecot's POP3" % u)
        # The admin resets the two others' passwords; popd loads it.
        text = open(srv.pwfile).read()
        for u, s, pw, _ in PLAIN_USERS:
            if u in ("dave", "erin"):
                old = [x for x in text.split("\n") if x.startswith(u + ":")]
                text = text.replace(old[0].split(":")[1],
                                    doveadm_pw("BLF-CRYPT", "new-" + u))
        with open(srv.pwfile, "w") as fp:
            fp.write(text)
        srv.start()
        for u, _, pw, yes in PLAIN_USERS:
            if u in ("dave", "erin"):
                pw = "new-" + u
            T.expect(bodies(srv.port, u, pw), [], "%s logs in to popd" % u)
            T.expect_true("-ERR [AUTH]" in refused(srv.port, u, pw + "x"),
                          "popd refuses a wrong password", u)
            T.expect(auth_test(dv, u, pw), True,
                     "%s: doveadm auth test after the reset" % u)


if __name__ == "__main__":
    T.main()
