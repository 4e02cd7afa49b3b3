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

"""Passwords as the servers popd replaces stored them (issue 52): an
authtab with a user for each kind of hash Dovecot 2.3 writes (`doveadm
pw -s SCHEME`, as its passwd-file and every SQL or LDAP site of it hold
them), bare argon2 (PHP's password_hash, PostfixAdmin) and md5crypt
(`openssl passwd -1`), and SSHA512 and PBKDF2 made here with hashlib as
a second opinion.  Each user logs in over POP3 with TLS and fails with
a wrong password; weak kinds (fast digests, salted or not: issue 69)
load only with "weak-hashes yes" and are
otherwise refused at load with the file, line, user and kind; passwords
in clear and their equivalents never load, with the way out said;
a table backend's weak answer is [SYS/TEMP] with a log line; a wrong
password's failure takes the same time whatever the kind of hash; and
popd -n -v counts the users of each kind and names the weak ones;
popd -n counts those who log in with weak hashes, popd -m names them,
and each one's login is logged once a day (issue 70).  A
hash over its kind's ceiling (issue 69: bcrypt cost 31, a billion
SHA-crypt rounds, 2 GiB of yescrypt, 1000 argon2 passes, 10^7 PBKDF2
rounds) is never checked: named by file and line at load, [SYS/TEMP]
from a database, while another user logs in as fast as ever."""

import base64
import hashlib
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))
import popdtest as T  # noqa: E402
import test_tables as TT  # noqa: E402  (its table backend helpers)

PASSWORD = "correct horse battery"

# Dovecot's schemes, by the user that holds each: (user, scheme, weak).
STRONG = (("s-crypt", "CRYPT"), ("s-blf", "BLF-CRYPT"),
          ("s-sha256crypt", "SHA256-CRYPT"), ("s-sha512crypt",
                                              "SHA512-CRYPT"),
          ("s-argon2i", "ARGON2I"), ("s-argon2id", "ARGON2ID"),
          ("s-pbkdf2", "PBKDF2"))
WEAK = (("w-md5crypt", "MD5-CRYPT", "MD5-CRYPT"), ("w-md5", "MD5", "MD5"),
        ("w-plainmd5", "PLAIN-MD5", "PLAIN-MD5"),
        ("w-ldapmd5", "LDAP-MD5", "LDAP-MD5"), ("w-sha", "SHA", "SHA"),
        ("w-sha256", "SHA256", "SHA256"), ("w-sha512", "SHA512", "SHA512"),
        ("w-smd5", "SMD5", "SMD5"), ("w-ssha", "SSHA", "SSHA"),
        ("w-ssha256", "SSHA256", "SSHA256"),
        ("w-ssha512", "SSHA512", "SSHA512"),
        ("w-ssha512hex", "SSHA512.HEX", "SSHA512"))
PLAIN = (("p-plain", "PLAIN", False), ("p-clear", "CLEAR", False),
         ("p-trunc", "PLAIN-TRUNC", True))
# Dovecot's CRAM-MD5 and DIGEST-MD5 secrets, weak kinds (issue 69):
# (user, scheme, the name doveadm pw -u is given).
SECRETS = (("c-crammd5", "CRAM-MD5", None), ("c-hmacmd5", "HMAC-MD5", None),
           ("c-digestmd5", "DIGEST-MD5", "c-digestmd5"),
           ("c-digestrealm@example.org", "DIGEST-MD5",
            "c-digestrealm@example.org"))


def doveadm(scheme, pw=PASSWORD, user="someone"):
    path = T.apt_install("dovecot-core", "doveadm")
    out = subprocess.run([path, "pw", "-s", scheme, "-p", pw, "-u",
                          user], stdout=subprocess.PIPE, check=True,
                         text=True).stdout.strip()
    T.expect_true(out.startswith("{"), "doveadm pw -s %s" % scheme, out)
    return out


def hashlib_ssha512(pw):
    salt = os.urandom(8)
    d = hashlib.sha512(pw.encode() + salt).digest()
    return "{SSHA512}" + base64.b64encode(d + salt).decode()


def hashlib_pbkdf2(pw, rounds=5000):
    """Dovecot's PBKDF2: under 5000 rounds (its default), weak."""
    salt = base64.b64encode(os.urandom(12), b"./").decode()
    key = hashlib.pbkdf2_hmac("sha1", pw.encode(), salt.encode(), rounds)
    return "{PBKDF2}$1$%s$%d$%s" % (salt, rounds, key.hex())


def argon2_hash(pw, t=2, m_kib=8192, lanes=1):
    """An argon2id hash from libargon2 itself (ctypes): t passes over
    m_kib KiB in lanes lanes."""
    import ctypes
    import ctypes.util
    name = ctypes.util.find_library("argon2") or "libargon2.so.1"
    lib = ctypes.CDLL(name)
    sz, u32, cp = ctypes.c_size_t, ctypes.c_uint32, ctypes.c_char_p
    lib.argon2_hash.argtypes = (u32, u32, u32, cp, sz, cp, sz,
                                ctypes.c_void_p, sz, cp, sz, ctypes.c_int,
                                ctypes.c_int)
    out = ctypes.create_string_buffer(256)
    salt = os.urandom(16)
    # argon2_hash(t, m, p, pwd, pwdlen, salt, saltlen, hash, hashlen,
    #             encoded, encodedlen, Argon2_id, ARGON2_VERSION_13)
    r = lib.argon2_hash(t, m_kib, lanes, pw.encode(), len(pw.encode()),
                        salt, len(salt), None, 32, out, len(out), 2, 0x13)
    T.expect(r, 0, "argon2_hash")
    return out.value.decode()


def argon2_lanes(pw, lanes=2):
    """An argon2id hash of several lanes, as PHP's password_hash makes
    with "threads" above 1 (libsodium, and so doveadm, makes 1 only):
    from libargon2 itself, which authpop then runs with threads."""
    h = argon2_hash(pw, lanes=lanes)
    T.expect_true(",p=%d$" % lanes in h, "argon2id of %d lanes" % lanes, h)
    return h


class MemoryCgroup:
    """A memory cgroup of limit bytes and no swap, v2 or v1 as this
    machine mounts it (a systemd unit's MemoryMax, a container's
    limit); procs: its cgroup.procs."""

    def __init__(self, limit):
        name = "popdtest-%d" % os.getpid()
        if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            with open("/sys/fs/cgroup/cgroup.subtree_control", "w") as f:
                f.write("+memory\n")
            self.dir = os.path.join("/sys/fs/cgroup", name)
            files = {"memory.max": limit, "memory.swap.max": 0}
        else:
            self.dir = os.path.join("/sys/fs/cgroup/memory", name)
            files = {"memory.limit_in_bytes": limit,
                     "memory.memsw.limit_in_bytes": limit}
        os.mkdir(self.dir)
        for k, v in files.items():
            if os.path.exists(os.path.join(self.dir, k)):
                with open(os.path.join(self.dir, k), "w") as f:
                    f.write("%d\n" % v)
        self.procs = os.path.join(self.dir, "cgroup.procs")

    def remove(self):
        for _ in range(100):
            try:
                os.rmdir(self.dir)
                return
            except OSError:
                time.sleep(0.1)


def strong_hashes():
    """user -> hash of every kind that loads without weak-hashes."""
    h = {user: doveadm(s) for user, s in STRONG}
    # Bare: PHP's password_hash writes argon2 without a prefix.
    h["b-argon2id"] = doveadm("ARGON2ID")[len("{ARGON2ID}"):]
    h["b-argon2i"] = doveadm("ARGON2I")[len("{ARGON2I}"):]
    h["b-argon2id-p2"] = argon2_lanes(PASSWORD)
    h["h-pbkdf2"] = hashlib_pbkdf2(PASSWORD)
    return h


def weak_hashes():
    h = {user: doveadm(s) for user, s, _ in WEAK}
    md5crypt = subprocess.run(["openssl", "passwd", "-1", PASSWORD],
                              stdout=subprocess.PIPE, check=True,
                              text=True).stdout.strip()
    T.expect(md5crypt[:3], "$1$", "openssl passwd -1")
    h["b-md5crypt"] = md5crypt
    h["h-ssha512"] = hashlib_ssha512(PASSWORD)
    h["h-pbkdf2-3000"] = hashlib_pbkdf2(PASSWORD, 3000)
    return h


def each_logs_in(srv, hashes):
    """Each user of hashes logs in with PASSWORD over POP3 with TLS, and
    not with another password (each from an address of its own: no
    failure delay)."""
    for i, user in enumerate(sorted(hashes)):
        p = srv.pop(user, PASSWORD)
        T.expect(p.stat()[0], 0, "a login as %s (%s)" % (
            user, hashes[user][:hashes[user].find("$", 2) + 1]))
        p.quit()
        reply, _ = pass_reply(srv, user, PASSWORD + "x",
                              src="127.0.%d.%d" % (10 + i // 200,
                                                   2 + i % 200))
        T.expect(reply[:12], b"-ERR [AUTH] ", "a wrong password for " +
                 user)


def check(srv, *args):
    """popd -n [args] on srv's configuration: (exit status, output)."""
    return srv.check_config(*args)


def line_of(srv, user):
    for i, line in enumerate(open(srv.authtab), 1):
        if line.split()[0] == user:
            return i
    raise AssertionError("%s not in authtab" % user)


def pass_reply(srv, user, pw, src="127.0.0.1"):
    r = srv.raw(src=src, timeout=60)
    try:
        T.expect(r.line()[:3], b"+OK", "greeting")
        T.expect(r.cmd("USER " + user)[:3], b"+OK", "USER " + user)
        t = time.monotonic()
        reply = r.cmd("PASS " + pw)
        return reply, time.monotonic() - t
    finally:
        r.close()


@T.test(start=False, conf_extra="weak-hashes yes", timeout=300)
def every_kind_logs_in(srv):
    """Each user, whatever its kind, logs in with its password over
    POP3 with TLS and not with another."""
    hashes = strong_hashes()
    hashes.update(weak_hashes())
    srv.add_users(hashes)
    srv.start()
    each_logs_in(srv, hashes)
    T.expect_true("cannot check" not in srv.log(), "no check failed",
                  srv.log_tail())


PERM = b"-ERR [SYS/PERM] the stored password of this user cannot be used"


@T.test(start=False, timeout=120)
def weak_kinds_need_the_setting(srv):
    """Without weak-hashes, every weak line is named with its file,
    line, user and kind, and its user alone cannot log in (issue 69:
    popd starts all the same); with it, popd -n is quiet."""
    srv.add_users(weak_hashes())
    rc, out = check(srv)
    T.expect(rc, 0, "popd -n with weak hashes, not allowed: " + out)
    for user, _, kind in WEAK + (("b-md5crypt", None, "md5crypt"),):
        want = '%s:%d: "%s" has a weak %s hash, read only with ' \
            '"weak-hashes yes" in popd.conf: %s cannot log in' % (
                srv.authtab, line_of(srv, user), user,
                kind if user.startswith("b-") else "{%s}" % kind, user)
        T.expect_true(want in out, "the message for " + user, out)
    T.expect_true(PASSWORD not in out, "no password in the output")
    srv.conf_extra = "weak-hashes yes"
    rc, out = check(srv)
    T.expect(rc, 0, "popd -n with weak-hashes yes: " + out)
    T.expect_true("cannot log in" not in out, "none refused", out)
    # Issue 70: not in silence: how many log in with weak hashes, by
    # kind, without -v.
    nweak = len(weak_hashes())
    want = "authtab: %d users log in with weak hashes (" % nweak
    T.expect_true(want in out, "popd -n's count of weak users", out)
    kinds = out[out.index(want) + len(want):].split(")")[0]
    for kind in ("MD5-CRYPT 1", "SSHA512 3", "md5crypt 1", "PBKDF2 1",
                 "SHA 1"):
        T.expect_true(kind in kinds.split(", "), "the count of " + kind,
                      out)
    # A path bash's and zsh's popd builtin does not take first.
    T.expect_true(out.endswith("): /usr/local/sbin/popd -n -v names them\n"
                               "configuration OK\n"), "the line's end", out)
    rc, out = check(srv, "-v")
    T.expect_true("users log in with weak hashes" not in out,
                  "-v names them instead", out)
    T.expect_true("# authtab: b-md5crypt has a weak md5crypt hash\n" in out,
                  "-v names b-md5crypt", out)
    # A reload that brings a weak hash without the setting: that user
    # alone cannot log in, never told a wrong password.
    srv.conf_extra = ""
    srv.rewrite_authtab("alice %s\nbob %s\n" % (
        T.make_hash(srv.password("alice")),
        T.make_hash(srv.password("bob"))))
    srv.start()
    srv.rewrite_authtab("alice %s\nbob %s\n" % (
        doveadm("SHA", srv.password("alice")),
        T.make_hash(srv.password("bob"))))
    mark = len(srv.log())
    srv.reload()
    T.wait_for(lambda: 'has a weak {SHA} hash' in srv.log()[mark:], 10,
               "the reload's message")
    T.wait_for(lambda: pass_reply(srv, "alice", srv.password("alice"))[0]
               .startswith(PERM), 10, "alice refused after the reload")
    srv.pop("bob").quit()


def weak_said(srv, user, kind):
    return srv.log().count("%s logged in with a weak %s hash (weak-hashes "
                           "yes): give the user a new password (popdpass); "
                           "said once a day" % (user, kind))


@T.test(start=False, conf_extra="weak-hashes yes", timeout=120)
def weak_logins_logged_once_a_day(srv):
    """Issue 70: a login with a weak hash is logged with what to do, once
    a day for each user: two logins of one user make one line, another
    user's login a line of its own; a strong hash's login none."""
    srv.add_users({"l-sha": doveadm("SHA"), "l-md5crypt":
                   doveadm("MD5-CRYPT"), "l-pbkdf2": doveadm("PBKDF2")})
    srv.start()
    for i in range(2):
        srv.pop("l-sha", PASSWORD).quit()
        T.wait_for(lambda: weak_said(srv, "l-sha", "SHA") == 1, 5,
                   "the line for l-sha's login %d" % (i + 1))
    srv.pop("l-pbkdf2", PASSWORD).quit()
    srv.pop("l-md5crypt", PASSWORD).quit()
    T.wait_for(lambda: weak_said(srv, "l-md5crypt", "MD5-CRYPT") == 1, 5,
               "the line for l-md5crypt")
    srv.pop("l-sha", PASSWORD).quit()
    srv.pop("alice").quit()
    time.sleep(0.5)
    T.expect(weak_said(srv, "l-sha", "SHA"), 1, "l-sha's lines, after "
             "three logins")
    T.expect(srv.log().count("logged in with a weak"), 2, "lines in all")


@T.test(start=False, timeout=180)
def refused_hash_locks_out_its_user_alone(srv):
    """Issue 69: a site moving from Dovecot whose authtab holds hashes
    popd will not take starts: each such line is named at load
    (file:line) and by popd -n, -n -v and -m; those users alone cannot
    log in, told so with [SYS/PERM] (never a wrong password), with a log
    line at each login; the others log in; a gauge counts them.  A
    syntax error still refuses the file whole.  Issue 86: a SHA-crypt
    hash cut short is one of them, never a wrong password; issue 85: a
    password in clear shaped like a scheme is never shown (G5), and a
    name twice refuses that user alone, neither line's password
    working (G2)."""
    srv.add_users({"x-plain": doveadm("PLAIN"),
                   "x-unknown": doveadm("OTP"),
                   "x-sha": doveadm("SHA"),
                   "x-pbkdf2": doveadm("PBKDF2"),
                   "x-trunc": "{SHA512-CRYPT}$6$rounds=5000$trunc",
                   "x-hunter": "{HUNTER2-2024}",
                   "x-dup": doveadm("SHA512-CRYPT")})
    with open(srv.authtab, "a") as f:
        f.write("x-dup %s\n" % doveadm("SHA512-CRYPT"))
    dupline = sum(1 for _ in open(srv.authtab))
    rc, out = check(srv)
    T.expect(rc, 0, "popd -n: " + out)
    for user, why in (("x-plain", "a {PLAIN} password in clear"),
                      ("x-unknown", "a hash of kind {OTP} that "
                       "popd does not read, or a malformed one, which "
                       '"popdpass -P" cannot convert: reset the user\'s '
                       "password (popdpass)"),
                      ("x-sha", "a weak {SHA} hash"),
                      ("x-trunc", "a hash of kind {SHA512-CRYPT} that "
                       "popd does not read, or a malformed one"),
                      ("x-hunter", "no bcrypt, SHA-crypt, yescrypt")):
        want = '%s:%d: "%s" has %s' % (srv.authtab, line_of(srv, user),
                                       user, why)
        T.expect_true(want in out and "%s cannot log in" % user in out,
                      "popd -n names " + user, (want, out))
    want = '%s:%d: "x-dup" has a duplicate entry (first on line %d)' % (
        srv.authtab, dupline, line_of(srv, "x-dup"))
    T.expect_true(want in out, "popd -n names the duplicate", (want, out))
    T.expect_true("HUNTER2" not in out, "a clear value shown", out)
    T.expect_true("x-pbkdf2" not in out, "a good one named", out)
    T.expect_true(PASSWORD not in out, "no password in the output")
    rc, out = check(srv, "-v")
    T.expect(rc, 0, "popd -n -v: " + out)
    T.expect_true("# authtab: x-plain cannot log in: its stored password "
                  "(PLAIN) cannot be used" in out, "popd -n -v", out)
    rc, out, err = report(srv)
    T.expect(rc, 0, "popd -m: " + out + err)
    for user in ("x-sha", "x-trunc", "x-hunter"):
        T.expect_true("passwords: %s (line %d) cannot log in" %
                      (user, line_of(srv, user)) in out,
                      "popd -m names " + user, out)
    T.expect_true("HUNTER2" not in out + err, "popd -m shows a clear value",
                  out)
    T.expect_true("alice: %s: " % srv.users["alice"]["home"] in out,
                  "popd -m's maildirs' report", out)
    srv.start()
    srv.pop("x-pbkdf2", PASSWORD).quit()
    srv.pop("alice").quit()
    for user in ("x-plain", "x-unknown", "x-sha", "x-trunc", "x-hunter",
                 "x-dup"):
        mark = len(srv.log())
        reply, _ = pass_reply(srv, user, PASSWORD)
        T.expect(reply[:len(PERM)], PERM, "the answer to " + user)
        T.wait_for(lambda: "login of %s refused: the stored password" % user
                   in srv.log()[mark:], 5, "the log line for " + user)
    T.expect_true("failed login" not in srv.log(), "no failed login",
                  srv.log_tail())
    text = metrics(srv)
    T.expect_true("popd_users_no_login 6\n" in text, "the gauge", text)
    T.expect_true("HUNTER2" not in srv.log(), "a clear value logged",
                  srv.log_tail())
    # A syntax error: refused whole, as before.
    with open(srv.authtab, "a") as f:
        f.write("novalue\n")
    rc, out = check(srv)
    T.expect(rc, 1, "popd -n with a line without a value: " + out)
    T.expect_true('"novalue" has no value' in out, "named", out)


@T.test(start=False, conf_extra="weak-hashes yes", timeout=120)
def plaintext_never_loads(srv):
    """{PLAIN} and {CLEAR}: refused, pointing at popdpass -P;
    {PLAIN-TRUNC}: refused, the password to be reset.  weak-hashes
    does not change that.  Their users alone cannot log in (issue
    69)."""
    srv.add_users({user: doveadm(s) for user, s, _ in PLAIN})
    rc, out = check(srv)
    T.expect(rc, 0, "popd -n with passwords in clear: " + out)
    for user, scheme, reset in PLAIN:
        if reset:
            want = '%s:%d: "%s" has a {%s} secret, as good as the ' \
                'password, which no hash can be made from: reset the ' \
                "user's password" % (srv.authtab, line_of(srv, user),
                                     user, scheme)
        else:
            want = '%s:%d: "%s" has a {%s} password in clear: ' \
                '"popdpass -P" turns such lines into bcrypt hashes' % (
                    srv.authtab, line_of(srv, user), user, scheme)
        T.expect_true(want in out, "the message for " + user, out)
    T.expect_true(PASSWORD not in out, "no password in the output")
    # What the message says works: popdpass -P, then every user logs in
    # but those whose secrets cannot be converted.
    conv = subprocess.run([os.path.join(T.REPO, "popdpass", "popdpass"),
                           "-c", "4", "-P", srv.authtab],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    T.expect(conv.returncode, 1, "popdpass -P with PLAIN-TRUNC lines")
    T.expect_true("reset the user's password" in conv.stderr,
                  "popdpass names what it cannot convert", conv.stderr)
    T.expect_true(PASSWORD not in conv.stdout + conv.stderr,
                  "popdpass shows no password")
    # The file is rewritten in place; the lines it cannot convert stay,
    # and popd -n still names them alone.  The admin resets those
    # users' passwords; every converted user logs in.
    T.expect(conv.stdout, "", "nothing on standard output")
    rc, out = check(srv)
    for user, _, reset in PLAIN:
        T.expect('"%s"' % user in out, reset,
                 "popd -n after popdpass -P names %s: %s" % (user, out))
    keep = [ln for ln in open(srv.authtab)
            if ln.split()[0] not in [u for u, _, r in PLAIN if r]]
    new = T.make_hash("new password", 4)
    srv.rewrite_authtab("".join(keep) + "".join(
        "%s %s\n" % (u, new) for u, _, r in PLAIN if r))
    srv.start()
    for user, _, reset in PLAIN:
        reply, _ = pass_reply(srv, user, PASSWORD)
        T.expect(reply[:3], b"-ER" if reset else b"+OK",
                 "%s after popdpass -P" % user)


@T.test(start=False, timeout=180)
def cram_and_digest_md5_are_weak_kinds(srv):
    """Issue 69: Dovecot's {CRAM-MD5}, {HMAC-MD5} and {DIGEST-MD5}
    (doveadm pw -s ..., DIGEST-MD5 with -u the login's name, its realm
    after the last '@') are weak kinds: without weak-hashes their users
    cannot log in and are named; with it they log in with their
    password, over POP3 and not with another, and popd -n -v reports
    them as weak."""
    hashes = {user: doveadm(s, user=u or "someone")
              for user, s, u in SECRETS}
    srv.add_users(hashes)
    rc, out = check(srv)
    T.expect(rc, 0, "popd -n: " + out)
    for user, scheme, _ in SECRETS:
        want = '%s:%d: "%s" has a weak {%s} hash, read only with ' \
            '"weak-hashes yes" in popd.conf: %s cannot log in' % (
                srv.authtab, line_of(srv, user), user, scheme, user)
        T.expect_true(want in out, "the message for " + user, out)
    srv.conf_extra = "weak-hashes yes"
    rc, out = check(srv, "-v")
    T.expect(rc, 0, "popd -n -v: " + out)
    for user, scheme, _ in SECRETS:
        T.expect_true("# authtab: %s has a weak %s hash" % (user, scheme)
                      in out, "weak: " + user, out)
    srv.start()
    each_logs_in(srv, hashes)
    # DIGEST-MD5 binds the name: another user's secret does not do.
    srv.rewrite_authtab(open(srv.authtab).read().replace(
        hashes["c-digestmd5"], doveadm("DIGEST-MD5", user="mallory")))
    srv.reload()
    T.wait_for(lambda: pass_reply(srv, "c-digestmd5", PASSWORD,
                                  src="127.0.9.9")[0][:12] ==
               b"-ERR [AUTH] ", 10, "another name's DIGEST-MD5 refused")


@T.test(start=False, conf_extra="weak-hashes yes", timeout=300)
def every_kind_in_a_passwd_file(srv):
    """The same users in Dovecot's passwd-file, as doveadm pw wrote
    their hashes (prefix and all), read unchanged as credentials and
    users (table passwd-file): each logs in and not with another
    password."""
    hashes = strong_hashes()
    hashes.update(weak_hashes())
    # Their maildrops as add_users makes them; the file names them.
    srv.add_users(hashes)
    u = srv.users["alice"]
    lines = ["# /etc/dovecot/users, as doveadm pw made it\n"]
    for name, h in sorted(hashes.items()):
        lines.append("%s:%s:%d:%d::%s::\n" % (name, h, u["uid"], u["gid"],
                                              os.path.join(srv.homes, name)))
    pwfile = os.path.join(srv.tmpdir, "dovecot-users")
    with open(pwfile, "w") as f:
        f.write("".join(lines))
    os.chmod(pwfile, 0o640)
    srv.tables = ('table dove "passwd-file:%s"\nauthtab <dove>\n'
                  'usertab <dove>' % pwfile)
    srv.start()
    each_logs_in(srv, hashes)


@T.test(start=False, conf_extra="weak-hashes yes", timeout=400)
def same_failure_time_every_kind(srv):
    """A wrong password is answered after the same time whatever the
    kind of hash met, the fast unsalted and salted ones (SHA, SSHA512)
    as the slow ones (argon2id at 64 MiB, PBKDF2, bcrypt) and an
    unknown user: test_limits.py's constant_time_failures, across the
    new kinds."""
    kinds = {"k-argon2id": doveadm("ARGON2ID"),
             "k-ssha512": doveadm("SSHA512"),
             "k-pbkdf2": doveadm("PBKDF2"),
             "k-sha": doveadm("SHA"),
             "k-sha512crypt": doveadm("SHA512-CRYPT"),
             "k-bcrypt": T.make_hash(PASSWORD, 10)}
    srv.add_users(kinds)
    srv.start()
    for user in kinds:
        reply, _ = pass_reply(srv, user, PASSWORD)
        T.expect(reply[:3], b"+OK", "a login as " + user)
    names = ("nosuchuser",) + tuple(kinds)
    times = {k: [] for k in names}
    for i in range(12):
        for j, k in enumerate(names):
            # Each from an address of its own: no failure delay at all.
            reply, took = pass_reply(srv, k, "wrong password",
                                     src="127.0.%d.%d" % (20 + i, 2 + j))
            T.expect(reply[:12], b"-ERR [AUTH] ", "failed PASS for " + k)
            times[k].append(took)
    med = {k: statistics.median(v) for k, v in times.items()}
    print("# medians: %r" % med)
    lo, hi = min(med.values()), max(med.values())
    T.expect_true(hi <= lo * 1.2, "medians within 20%% of each other", med)
    T.expect_true(lo > 0.03, "failure replies wait for the slowest hash",
                  med)


@T.test(start=False, timeout=300)
def argon2_memory_bound(srv):
    """argon2 checks running at once hold at most a quarter of the
    memory authpop may use, a cgroup's limit included: popd in a
    memory cgroup of 400 MB (no swap), a user whose argon2id costs 256
    MiB a check, 4 of them logging in at once.  Each check runs alone (a quarter is
    100 MiB; one runs whatever it costs), so all 4 log in and authpop
    is never killed; two at once would need 512 MiB, and the kernel
    would kill authpop."""
    T.need_root()
    big = argon2_hash(PASSWORD, t=1, m_kib=256 * 1024)
    # Four users, four addresses: no [IN-USE], no queue of one address.
    srv.add_users({"heavy%d" % i: big for i in range(4)})
    cg = MemoryCgroup(400 * 1024 * 1024)
    try:
        srv.cgroup = cg.procs
        srv.start(timeout=60)
        T.wait_for(lambda: "argon2 and yescrypt checks hold 100 MiB at "
                   "most (a memory limit)" in srv.log(),
                   what="authpop's budget")
        auth = srv.pids()["authpop"]
        results = []

        def one(i):
            results.append(pass_reply(srv, "heavy%d" % i, PASSWORD,
                                      src="127.0.0.%d" % (11 + i))[0])
        threads = [threading.Thread(target=one, args=(i,))
                   for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        T.expect([r[:3] for r in results], [b"+OK"] * 4,
                 "4 logins at once (%s)" % srv.log_tail(8))
        T.expect(srv.pids()["authpop"], auth, "the same authpop")
        T.expect(srv.crashes(), [], "crashes")
        srv.stop()
    finally:
        srv.cleanup()
        cg.remove()


@T.test(start=False, timeout=120)
def table_backend_kinds(srv):
    """Credentials from an OpenSMTPD table backend (regress/tablefake.py
    as table-mysql or table-ldap would answer): a {PBKDF2} logs in; a
    weak {SHA} or a {PLAIN} answer is never a wrong password but
    [SYS/TEMP], with a log line naming the table, the user and why; with
    weak-hashes yes the weak one logs in, the plain one still not.  An
    argon2id of two lanes, the first authpop meets (none in a file to
    time at start), logs in."""
    ui = TT.userinfo(srv, "alice")
    TT.fake_tables(srv, {
        "strong": {"hash": doveadm("PBKDF2"), "userinfo": ui},
        "lanes": {"hash": argon2_lanes(PASSWORD), "userinfo": ui},
        "weak": {"hash": doveadm("SHA"), "userinfo": ui},
        "plain": {"hash": "{PLAIN}" + PASSWORD, "userinfo": ui}})
    srv.start()
    reply, _ = pass_reply(srv, "strong", PASSWORD)
    T.expect(reply[:3], b"+OK", "{PBKDF2} from the table")
    # Its first argon2 of two lanes, long after the chroot and sandbox:
    # libargon2's threads end with pthread_exit, which needs libgcc_s.
    reply, _ = pass_reply(srv, "lanes", PASSWORD)
    T.expect(reply[:3], b"+OK", "argon2id of two lanes from the table")
    T.expect_true("authpop" not in "".join(srv.crashes()),
                  "authpop alive", srv.log_tail())
    for user, why in (("weak", 'table users: the credentials of "weak": '
                       'a weak {SHA} hash, read only with "weak-hashes '
                       'yes" in popd.conf'),
                      ("plain", 'table users: the credentials of "plain": '
                       'a {PLAIN} password in clear: "popdpass -P" turns '
                       'such lines into bcrypt hashes')):
        mark = len(srv.log())
        reply, _ = pass_reply(srv, user, PASSWORD)
        T.expect(reply, TT.TEMP + b"cannot check passwords now, try again "
                 b"later", "the answer for " + user)
        T.wait_for(lambda: why in srv.log()[mark:], 5, why)
    T.expect_true(PASSWORD not in srv.log(), "no password in the log")
    srv.stop()
    srv.conf_extra = "weak-hashes yes"
    srv.start()
    reply, _ = pass_reply(srv, "weak", PASSWORD)
    T.expect(reply[:3], b"+OK", "{SHA} from the table with weak-hashes")
    reply, _ = pass_reply(srv, "plain", PASSWORD)
    T.expect(reply[:16], TT.TEMP, "{PLAIN} from the table, weak-hashes")


@T.test(start=False, subdir="Maildir", timeout=120)
def system_md5crypt(srv):
    """A system account whose shadow hash is md5crypt (chpasswd -c MD5):
    left out, said in the log, without weak-hashes; logs in with it."""
    T.need_root()
    lo, hi = TT.SYS_RANGE
    with TT.SystemUsers(srv) as su:
        su.add("popdsys-md5", "md5-pw", TT.free_uid(lo, hi), method="MD5")
        su.add("popdsys-y", "yes-pw", TT.free_uid(lo, hi))
        T.expect(su.shadow("popdsys-md5")[:3], "$1$", "chpasswd -c MD5")
        srv.tables = ("authtab system\nusertab system\nsystem uid %d-%d"
                      % (lo, hi))
        srv.start()
        srv.wait_log('authtab system: user popdsys-md5: a weak md5crypt '
                     'hash, read only with "weak-hashes yes" in popd.conf: '
                     'no login')
        reply, _ = pass_reply(srv, "popdsys-md5", "md5-pw")
        T.expect(reply[:12], b"-ERR [AUTH] ", "md5crypt without the setting")
        TT.logs_in(srv, "popdsys-y", "yes-pw", "yescrypt beside it")
        srv.stop()
        srv.conf_extra = "weak-hashes yes"
        srv.start()
        TT.logs_in(srv, "popdsys-md5", "md5-pw", "md5crypt, weak-hashes yes")
        rc, out = check(srv, "-v")
        T.expect_true("# authtab: popdsys-md5 has a weak md5crypt hash" in
                      out, "popd -n -v names the system user", out)
        srv.stop()


@T.test(start=False, timeout=120)
def check_counts_kinds(srv):
    """popd -n -v: how many users of each kind, the weak ones marked
    and named."""
    srv.add_users({"c-pbkdf2": doveadm("PBKDF2"),
                    "c-pbkdf2b": doveadm("PBKDF2"),
                    "c-argon2id": doveadm("ARGON2ID"),
                    "c-sha": doveadm("SHA"),
                    "c-ssha512": doveadm("SSHA512"),
                    "c-md5crypt": doveadm("MD5-CRYPT")})
    srv.conf_extra = "weak-hashes yes"
    rc, out = check(srv, "-v")
    T.expect(rc, 0, "popd -n -v: " + out)
    n = len(srv.users)      # the harness's own, bcrypt
    for want in ("# authtab: %d users" % (n + 6),
                 "# authtab: %d bcrypt" % n,
                 "# authtab: 2 PBKDF2\n",
                 "# authtab: 1 ARGON2ID\n",
                 "# authtab: 1 SHA (weak)\n",
                 "# authtab: 1 SSHA512 (weak)\n",
                 "# authtab: 1 MD5-CRYPT (weak)\n",
                 "# authtab: c-sha has a weak SHA hash\n",
                 "# authtab: c-ssha512 has a weak SSHA512 hash\n",
                 "# authtab: c-md5crypt has a weak MD5-CRYPT hash\n"):
        T.expect_true(want in out, repr(want), out)
    T.expect_true("c-pbkdf2 has" not in out, "strong kinds not named")


def metrics(srv):
    rc, out, err = srv.popctl("show", "metrics")
    T.expect(rc, 0, "popctl show metrics: " + err)
    return out


@T.test(start=False, conf_extra="weak-hashes yes", timeout=180)
def metrics_count_kinds(srv):
    """show metrics: a gauge of authtab's users by hash kind, the weak
    ones labelled, as the last load or reload counted them; promtool
    accepts it."""
    srv.add_users({"m-pbkdf2": doveadm("PBKDF2"),
                    "m-pbkdf2b": doveadm("PBKDF2"),
                    "m-argon2id": doveadm("ARGON2ID"),
                    "m-sha": doveadm("SHA")})
    srv.start()
    n = len(srv.users)      # the harness's own, bcrypt
    text = metrics(srv)
    for want in ('popd_users_by_hash{kind="bcrypt",weak="no"} %d\n' % n,
                 'popd_users_by_hash{kind="PBKDF2",weak="no"} 2\n',
                 'popd_users_by_hash{kind="ARGON2ID",weak="no"} 1\n',
                 'popd_users_by_hash{kind="SHA",weak="yes"} 1\n',
                 "# TYPE popd_users_by_hash gauge\n"):
        T.expect_true(want in text, repr(want), text)
    promtool = T.apt_install("prometheus", "promtool")
    chk = subprocess.run([promtool, "check", "metrics"], input=text,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=60)
    T.expect((chk.returncode, chk.stdout), (0, ""), "promtool check")
    # A reload counts again: m-sha gone, one PBKDF2 now MD5-CRYPT.
    atab = [line for line in open(srv.authtab)
            if line.split()[0] not in ("m-sha", "m-pbkdf2b")]
    atab.append("m-pbkdf2b %s\n" % doveadm("MD5-CRYPT"))
    utab = [line for line in open(srv.usertab)
            if line.split()[0] != "m-sha"]
    srv.rewrite_usertab("".join(utab))
    srv.rewrite_authtab("".join(atab))
    srv.reload()
    T.wait_for(lambda: 'kind="SHA"' not in metrics(srv), 10, "the reload")
    text = metrics(srv)
    for want in ('popd_users_by_hash{kind="PBKDF2",weak="no"} 1\n',
                 'popd_users_by_hash{kind="MD5-CRYPT",weak="yes"} 1\n',
                 'popd_users_by_hash{kind="bcrypt",weak="no"} %d\n' % n):
        T.expect_true(want in text, repr(want), text)


def report(srv):
    """popd -m on srv's configuration: (exit status, stdout, stderr)."""
    if srv.port is None:
        srv.port = T.free_port()
    srv.argv()
    r = subprocess.run([T.POPD, "-m", "-f", srv.conffile],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


@T.test(start=False, timeout=180)
def migration_report_passwords(srv):
    """popd -m says how many users' passwords will work, which are weak
    and whether weak-hashes is set, which never will and what to do;
    with refused ones (issue 69) it names each user who cannot log in
    and goes on to the maildirs' report."""
    hashes = {"r-pbkdf2": doveadm("PBKDF2"), "r-sha": doveadm("SHA"),
              "r-md5crypt": doveadm("MD5-CRYPT"),
              "r-plain": doveadm("PLAIN"), "r-crammd5": doveadm("CRAM-MD5"),
              "r-unknown": "{NOSUCH}abc"}
    srv.add_users(hashes)
    n = len(srv.users)
    rc, out, err = report(srv)
    T.expect(rc, 0, "popd -m with refused hashes: " + out + err)
    for want in ("passwords: %d users: %d will work, 3 only with "
                 "weak-hashes yes (not set), 2 never\n" % (n + 6, n + 1),
                 "passwords: %d bcrypt: checked\n" % n,
                 "passwords: 1 PBKDF2: checked\n",
                 "passwords: 1 SHA: weak, refused without weak-hashes "
                 "yes\n",
                 "passwords: 1 MD5-CRYPT: weak, refused without "
                 "weak-hashes yes\n",
                 'passwords: 1 PLAIN: in clear, never read: "popdpass -P" '
                 "turns them into bcrypt hashes\n",
                 "passwords: 1 CRAM-MD5: weak, refused without "
                 "weak-hashes yes\n",
                 "passwords: 1 of no kind popd reads: reset these users' "
                 "passwords (popdpass)\n",
                 "passwords: r-plain (line %d) cannot log in: a {PLAIN} "
                 "password in clear" % line_of(srv, "r-plain"),
                 "passwords: r-sha (line %d) cannot log in: a weak {SHA} "
                 "hash" % line_of(srv, "r-sha"),
                 "passwords: r-unknown (line %d) cannot log in: no "
                 "bcrypt, SHA-crypt" % line_of(srv, "r-unknown"),
                 "passwords: popd loads authtab all the same: the users "
                 "named above cannot log in"):
        T.expect_true(want in out, repr(want), out)
    T.expect_true("r-pbkdf2 (line" not in out, "a good one named", out)
    T.expect_true("r-pbkdf2: %s: " % os.path.join(srv.homes, "r-pbkdf2")
                  in out, "the maildirs' report with refused ones", out)
    T.expect_true(PASSWORD not in out + err, "no password shown")
    T.expect_true('%s:%d: "r-plain" has' % (srv.authtab,
                                            line_of(srv, "r-plain"))
                  in err, "the refused line, by file:line", err)
    # Weak ones set, the others gone: every password works, and the
    # maildirs' report follows.
    srv.rewrite_authtab("".join(
        line for line in open(srv.authtab)
        if line.split()[0] not in ("r-plain", "r-crammd5", "r-unknown")))
    srv.conf_extra = "weak-hashes yes"
    rc, out, err = report(srv)
    T.expect(rc, 0, "popd -m: " + out + err)
    T.expect_true("passwords: %d users: %d will work with strong hashes, "
                  "2 with weak ones (weak-hashes yes is set), 0 never\n"
                  % (n + 3, n + 1) in out, "three counts that add up",
                  out)
    T.expect_true("passwords: 1 SHA: weak, checked as weak-hashes is yes: "
                  "give these users new passwords\n" in out, "weak", out)
    T.expect_true("refuses authtab" not in out, "no refusal", out)
    # Issue 70: each user who logs in with a weak hash, by name.
    for user, kind in (("r-sha", "{SHA}"), ("r-md5crypt", "{MD5-CRYPT}")):
        T.expect_true("passwords: %s (line %d) logs in with a weak %s hash: "
                      "give the user a new password (popdpass)\n" % (
                          user, line_of(srv, user), kind) in out,
                      "popd -m names " + user, out)
    T.expect_true("r-pbkdf2 (line" not in out and "cannot log in" not in out,
                  "only the weak ones named", out)
    T.expect_true("r-pbkdf2: %s: " % os.path.join(srv.homes, "r-pbkdf2")
                  in out, "the maildirs' report", out)


def costly_hashes():
    """user -> (a hash of each kind far over its ceiling, as a hostile
    row or line would hold it: hours of one core, or 2 GiB, a check;
    its kind as popd names it).  Well formed; never checked, so their
    digests are filler."""
    b64 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./"
    return {
        "x-bcrypt31": ("$2b$31$" + b64[:53], "bcrypt"),
        "x-sha512crypt": ("{SHA512-CRYPT}$6$rounds=999999999$abcdefgh$" +
                          (b64 * 2)[:86], "{SHA512-CRYPT}"),
        "x-yescrypt": ("$y$jGT$" + b64[:22] + "$" + b64[:43], "yescrypt"),
        "x-argon2": ("$argon2id$v=19$m=65536,t=1000,p=1$" + b64[:22] + "$" +
                     b64[:43], "argon2id"),
        "x-pbkdf2": ("{PBKDF2}$1$abcdefgh$10000000$" + "ab" * 20,
                     "{PBKDF2}")}


def costly_why(kind):
    return "a hash over popd's ceiling for its kind, %s (" % kind


def answered_meanwhile(srv, hostile, expect):
    """Each user of hostile tries its password twice at once, each try
    from an address of its own, while alice logs in: alice is answered
    within 1 s; each try's answer starts with expect."""
    results = []

    def one(i, user):
        results.append((user, pass_reply(srv, user, PASSWORD,
                                         src="127.0.1.%d" % (2 + i))[0]))
    threads = [threading.Thread(target=one, args=(i, u))
               for i, u in enumerate(sorted(hostile) * 2)]
    for t in threads:
        t.start()
    resp, took = TT.pass_reply(srv, "alice", srv.password("alice"),
                               src="127.0.2.2")
    for t in threads:
        t.join(60)
    T.expect(resp[:3], b"+OK", "alice's login beside them")
    T.expect_true(took < 1.0, "alice answered within 1 s", took)
    T.expect(sorted(r[:len(expect)] for _, r in results),
             [expect] * len(threads), "the costly users' answers (%r)" %
             results)


@T.test(start=False, timeout=120)
def costly_hashes_in_a_file(srv):
    """authtab lines over their kinds' ceilings: each named with its
    file, line, user, kind and ceiling by popd -n and at a reload, which
    load the file (those users alone cannot log in); the users beside
    them log in as fast as ever."""
    hostile = costly_hashes()
    base = open(srv.authtab).read()
    srv.add_users({u: h for u, (h, _) in hostile.items()})
    rc, out = check(srv)
    T.expect(rc, 0, "popd -n with costly hashes: " + out)
    for user, (_, kind) in hostile.items():
        want = '%s:%d: "%s" has %s' % (srv.authtab, line_of(srv, user),
                                       user, costly_why(kind))
        T.expect_true(want in out, "the message for " + user, out)
    T.expect_true("never checked" in out, "never checked", out)
    # popd -m counts them among those that never work.
    rc, out, err = report(srv)
    T.expect(rc, 0, "popd -m with costly hashes: " + out + err)
    for want in ("passwords: 1 bcrypt: over popd's ceiling for the kind "
                 "(authtab(5)), never checked: reset these users' "
                 "passwords (popdpass)\n",
                 "passwords: 1 yescrypt: over popd's ceiling",
                 "passwords: 1 argon2id: over popd's ceiling"):
        T.expect_true(want in out, repr(want), out)
    # Started without them, then a reload that brings them: refused by
    # file and line, and alice goes on logging in at once.
    costly = open(srv.authtab).read()
    srv.rewrite_authtab(base)
    srv.start()
    srv.rewrite_authtab(costly)
    mark = len(srv.log())
    srv.reload()
    for user, (_, kind) in hostile.items():
        want = '%s:%d: "%s" has %s' % (srv.authtab, line_of(srv, user),
                                       user, costly_why(kind))
        T.wait_for(lambda: want in srv.log()[mark:], 10, want)
    answered_meanwhile(srv, hostile, b"-ERR ")
    T.expect(srv.crashes(), [], "crashes")


@T.test(start=False, timeout=180)
def costly_hashes_in_a_database(srv):
    """The same hashes as rows of an SQLite table (OpenSMTPD's
    table-sqlite): each login of them is [SYS/TEMP], never a wrong
    password and never checked, logged with the table, user, kind and
    ceiling and counted (refused_hash_cost); alice, asking the same
    table meanwhile, is answered within 1 s; and the failure replies'
    floor stays that of the hashes really checked."""
    hostile = costly_hashes()
    srv.add_users({u: h for u, (h, _) in hostile.items()})
    db = TT.sqlite_tables(srv)
    u = srv.users["alice"]
    for user, (h, _) in hostile.items():
        db.add_user(user, h, u["uid"], u["gid"],
                    os.path.join(srv.homes, user))
    srv.start()
    before = srv.stats()
    mark = len(srv.log())
    answered_meanwhile(srv, hostile, TT.TEMP + b"cannot check passwords "
                       b"now, try again later")
    for user, (_, kind) in hostile.items():
        srv.wait_log('table users: the credentials of "%s": %s' % (
            user, costly_why(kind)))
    after = srv.stats()
    T.expect(after.get("refused_hash_cost", 0) -
             before.get("refused_hash_cost", 0), 2 * len(hostile),
             "refused_hash_cost in popctl show stats")
    T.expect_true("cannot check the password" not in srv.log()[mark:],
                  "none was checked", srv.log_tail())
    # A wrong password is answered after the floor of bob's bcrypt, as
    # before any of them: no refused kind raised it.
    reply, took = pass_reply(srv, "bob", "wrong", src="127.0.3.2")
    T.expect(reply[:12], b"-ERR [AUTH] ", "bob's wrong password")
    T.expect_true(took < 1.0, "bob's failure within 1 s", took)
    T.expect(srv.crashes(), [], "crashes")


# Of doveadm pw -l's kinds, those no typed password can be checked
# against (a password cut short, one-time passwords): their users are
# named as needing a new password.
NEEDS_RESET = ("PLAIN-TRUNC", "OTP", "SKEY")


@T.test(start=False, conf_extra="weak-hashes yes", timeout=600)
def every_doveadm_kind_moves_over(srv):
    """Issue 69's "Done when": a Dovecot passwd-file with a user of
    every kind doveadm pw -l offers (SCRAM-SHA-1, SCRAM-SHA-256,
    PLAIN-MD4, DES-CRYPT among them), each hash made by doveadm and
    checked by it (doveadm pw -t), moves over with popdpass -P and
    weak-hashes yes alone: popd -n and popd -m name the {PLAIN-TRUNC}
    and {OTP} users as needing a new password and no one else; every
    other user logs in with the password Dovecot takes, and not with
    another; those named are told [SYS/PERM]."""
    doveadm_path = T.apt_install("dovecot-core", "doveadm")
    kinds = subprocess.run([doveadm_path, "pw", "-l"],
                           stdout=subprocess.PIPE, check=True,
                           text=True).stdout.split()
    for want in ("SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN-MD4", "DES-CRYPT",
                 "OTP", "PLAIN-TRUNC"):
        T.expect_true(want in kinds, "doveadm pw -l offers " + want, kinds)
    hashes = {}
    for kind in kinds:
        user = "d-" + kind.lower()
        h = doveadm(kind, user=user)
        if kind not in NEEDS_RESET:
            # Dovecot itself takes this password for this hash.
            t = subprocess.run([doveadm_path, "pw", "-t", h, "-p",
                                PASSWORD, "-u", user],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            T.expect(t.returncode, 0, "doveadm pw -t for %s: %s" % (
                kind, t.stdout))
        hashes[user] = h
    resets = ["d-" + k.lower() for k in kinds if k in NEEDS_RESET]
    srv.add_users(hashes)
    u = srv.users["alice"]
    lines = ["# /etc/dovecot/users, as doveadm pw made it\n"]
    for name, h in sorted(hashes.items()):
        lines.append("%s:%s:%d:%d::%s::\n" % (name, h, u["uid"], u["gid"],
                                              os.path.join(srv.homes, name)))
    pwfile = os.path.join(srv.tmpdir, "dovecot-users")
    with open(pwfile, "w") as f:
        f.write("".join(lines))
    os.chmod(pwfile, 0o640)
    srv.tables = ('table dove "passwd-file:%s"\nauthtab <dove>\n'
                  'usertab <dove>' % pwfile)
    # popdpass -P: the passwords in clear become bcrypt; the others stay.
    conv = subprocess.run([os.path.join(T.REPO, "popdpass", "popdpass"),
                           "-c", "4", "-P", pwfile],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    T.expect(conv.returncode, 1, "popdpass -P: " + conv.stderr)
    T.expect_true('"d-plain-trunc": not converted' in conv.stderr,
                  "popdpass -P names d-plain-trunc", conv.stderr)
    rc, out = check(srv)
    T.expect(rc, 0, "popd -n: " + out)
    named = sorted(user for user in hashes if '"%s"' % user in out)
    T.expect(named, sorted(resets), "popd -n names these alone: " + out)
    for user in resets:
        T.expect_true("reset the user's password" in
                      out[out.find('"%s"' % user):], "reset: " + user, out)
    rc, out, err = report(srv)
    T.expect(rc, 0, "popd -m: " + out + err)
    named = sorted(user for user in hashes
                   if "passwords: %s (line" % user in out and
                   "%s (line %d) cannot log in" % (
                       user, 1 + sorted(hashes).index(user) + 1) in out)
    T.expect(named, sorted(resets), "popd -m says who cannot log in: " +
             out)
    T.expect_true(PASSWORD not in out + err, "no password shown")
    srv.start()
    for i, user in enumerate(sorted(hashes)):
        if user in resets:
            reply, _ = pass_reply(srv, user, PASSWORD)
            T.expect(reply[:len(PERM)], PERM, "the answer to " + user)
            continue
        p = srv.pop(user, PASSWORD)
        T.expect(p.stat()[0], 0, "a login as %s (%s)" % (
            user, hashes[user].split("}")[0] + "}"))
        p.quit()
        # Another password: unlike the first 8 characters (DES).
        reply, _ = pass_reply(srv, user, "x" + PASSWORD,
                              src="127.0.%d.%d" % (10 + i // 200,
                                                   2 + i % 200))
        T.expect(reply[:12], b"-ERR [AUTH] ", "a wrong password for " +
                 user)
    T.expect_true("cannot check" not in srv.log(), "no check failed",
                  srv.log_tail())


if __name__ == "__main__":
    T.main()
