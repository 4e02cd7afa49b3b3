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

"""popdpass(8): the line it prints lets the user log in to a real popd
after a reload, the cost and the format are as asked, the hash verifies,
bad input is refused with a message, and the terminal path reads the
password twice without echo (driven through a pty).  App passwords (-A,
-R, -B): the key file made once, mode 0600; the secret printed is the
one whose HMAC-SHA256 (computed here with Python's hmac) is stored; the
file rewritten whole under a lock, its other lines, owner and mode
kept; every bad argument and bad file refused with a message."""

import ctypes
import ctypes.util
import datetime
import errno
import fcntl
import hashlib
import hmac
import os
import re
import poplib
import pty
import select
import subprocess
import sys
import termios
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

POPDPASS = os.path.join(T.REPO, "popdpass", "popdpass")
HASH_CHARS = set("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                 "0123456789")


def popdpass(args, stdin=b""):
    """Run popdpass without a controlling terminal; (rc, out, err)."""
    if not os.path.exists(POPDPASS):
        raise RuntimeError("%s is not built" % POPDPASS)
    if isinstance(stdin, str):
        stdin = stdin.encode()
    r = subprocess.run([POPDPASS] + args, input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       start_new_session=True, timeout=60)
    return (r.returncode, r.stdout.decode(errors="replace"),
            r.stderr.decode(errors="replace"))


def expect_bcrypt(h, cost, what):
    T.expect(h[:7], "$2b$%02d$" % cost, what + ": prefix and cost")
    T.expect(len(h), 60, what + ": length")
    T.expect_true(set(h[7:]) <= HASH_CHARS, what + ": bcrypt base64", h)


_libcrypt = None


def verifies(pw, h):
    """crypt(3) from libcrypt, as authpop uses it."""
    global _libcrypt
    if _libcrypt is None:
        _libcrypt = ctypes.CDLL(ctypes.util.find_library("crypt") or
                                "libcrypt.so.1")
        _libcrypt.crypt.restype = ctypes.c_char_p
        _libcrypt.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    out = _libcrypt.crypt(pw.encode(), h.encode())
    return out is not None and out.decode() == h


def refused(args, stdin, want):
    rc, out, err = popdpass(args, stdin)
    T.expect(rc, 1, "exit status of popdpass %s" % " ".join(args))
    T.expect(out, "", "nothing on stdout for popdpass %s" % " ".join(args))
    T.expect_true(want in err, "message %r" % want, err)
    return err


def _try(srv, user, pw):
    try:
        return srv.pop(user, pw)
    except Exception:
        return None


# --- -s: scripts ---------------------------------------------------------

@T.test
def line_appended_logs_in(srv):
    """The admin's day: usertab entry, popdpass line >> authtab, HUP."""
    u = srv.users["alice"]
    home = os.path.join(srv.homes, "carol")
    for d in ("", "tmp", "new", "cur"):
        os.makedirs(os.path.join(home, d), 0o700, exist_ok=True)
        os.chown(os.path.join(home, d), u["uid"], u["gid"])
    with open(srv.usertab, "a") as f:
        f.write("carol\t%d:%d:%s\n" % (u["uid"], u["gid"], home))
    pw = "c0rrect horse:#"
    rc, out, err = popdpass(["-s", "-c", "4", "carol"], pw + "\n")
    T.expect(rc, 0, "popdpass exit status (stderr %r)" % err)
    user, tab, h = out.partition("\t")
    T.expect(user, "carol", "user name first")
    T.expect(tab, "\t", "then a tab")
    T.expect_true(h.endswith("\n") and "\n" not in h[:-1],
                  "one line", out)
    expect_bcrypt(h[:-1], 4, "authtab line")
    T.expect_true(pw not in out + err, "password not printed", out + err)
    with open(srv.authtab, "a") as f:
        f.write(out)
    srv.reload()
    srv.wait_log("reloaded")
    p = T.wait_for(lambda: _try(srv, "carol", pw), what="carol's login")
    T.expect(p.stat()[0], 0, "carol's STAT")
    p.quit()
    try:
        srv.pop("carol", pw + "x").quit()
        raise AssertionError("a wrong password logged in")
    except poplib.error_proto as e:
        T.expect_true(str(e).startswith("b'-ERR"), "wrong password -ERR",
                      str(e))


@T.test(start=False)
def cost_and_format(srv):
    rc, out, err = popdpass(["-s", "-c", "4"], "pw\n")
    T.expect(rc, 0, "exit status (stderr %r)" % err)
    T.expect_true(out.endswith("\n") and out.count("\n") == 1,
                  "the hash alone, one line", out)
    expect_bcrypt(out[:-1], 4, "-c 4")
    rc, out, err = popdpass(["-s", "-c", "05", "dave"], "pw")
    T.expect(rc, 0, "no newline at the end of input (stderr %r)" % err)
    expect_bcrypt(out.split("\t")[1].strip(), 5, "-c 05")
    # The one check at the default cost (about 75 ms here).
    rc, out, err = popdpass(["-s"], "pw\n")
    T.expect(rc, 0, "default cost exit status (stderr %r)" % err)
    expect_bcrypt(out.strip(), 10, "default cost")
    # Over 14 popd would refuse the hash it made (authtab(5)).
    for bad in ("3", "15", "32", "ten", ""):
        refused(["-s", "-c", bad], "pw\n", "popd takes bcrypt of 4 to 14")


@T.test(start=False)
def hash_verifies(srv):
    for pw in ("pw", "with space", "x" * 71, "caf\u00e9\u00fc"):
        rc, out, err = popdpass(["-s", "-c", "4"], pw + "\n")
        T.expect(rc, 0, "exit status for %r (stderr %r)" % (pw, err))
        h = out.strip()
        T.expect_true(verifies(pw, h), "hash of %r verifies" % pw, h)
        T.expect_true(not verifies(pw + "x", h),
                      "hash of %r refuses another password" % pw, h)
    # Two runs: two salts.
    a = popdpass(["-s", "-c", "4"], "pw\n")[1]
    b = popdpass(["-s", "-c", "4"], "pw\n")[1]
    T.expect_true(a != b, "a fresh salt each time", (a, b))
    # Only the first line, without a CR before its newline.
    rc, out, err = popdpass(["-s", "-c", "4"], "pw\r\nsecond line\n")
    T.expect_true(verifies("pw", out.strip()), "CRLF stripped", out)
    # bcrypt ignores what is past 72 bytes: said, not hidden.
    rc, out, err = popdpass(["-s", "-c", "4"], "y" * 80 + "\n")
    T.expect(rc, 0, "80-byte password accepted")
    T.expect_true("72 bytes" in err, "warning about 72 bytes", err)


@T.test(start=False)
def bad_input_refused(srv):
    refused(["-s"], "\n", "empty password refused")
    refused(["-s", "alice"], "", "empty password refused")
    refused(["-s"], "\r\n", "empty password refused")
    refused(["-s"], "a\0b\n", "NUL byte")
    refused(["-s"], "a\rb\n", "password with a CR refused")
    refused(["-s"], "z" * 512 + "\n", "longer than 511 bytes")
    for name in ("bad user", "al:ice", "x" * 65, "-alice", "\u00e9lise",
                 "a/b"):
        err = refused(["-s", "--", name], "pw\n", "invalid user name")
        T.expect_true("pw" not in err.replace("popdpass", ""),
                      "no password in the message", err)
    # The longest and oddest names valid_username takes are fine.
    rc, out, err = popdpass(["-s", "-c", "4", "a" * 64], "pw\n")
    T.expect(rc, 0, "64-character name (stderr %r)" % err)
    rc, out, err = popdpass(["-s", "-c", "4", "a.b_c-d+e@example.org"],
                            "pw\n")
    T.expect(rc, 0, "name with ._-+@ (stderr %r)" % err)
    for args, want in ((["a", "b"], "one user name at most"),
                       (["-c"], "usage: popdpass [-sV] [-c cost] [user]"),
                       (["-x"], "usage: popdpass [-sV] [-c cost] [user]")):
        refused(args, "pw\n", want)
    # No -s and no terminal: say how to give the password instead.
    refused(["-c", "4"], "pw\npw\n", "-s reads standard input")


# --- the terminal ---------------------------------------------------------

class Tty:
    """popdpass with a pty as its controlling terminal (/dev/tty) and
    separate pipes for stdout and stderr."""

    def __init__(self, args):
        self.master, slave = pty.openpty()

        def ctty():
            # start_new_session made a session: take the pty as its tty.
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        self.proc = subprocess.Popen([POPDPASS] + args, stdin=slave,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     start_new_session=True,
                                     preexec_fn=ctty)
        os.close(slave)
        self.seen = b""

    def wait_for(self, text, timeout=20):
        """Read the terminal until text appears; return what was read."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("terminal: expected %r, got %r"
                                     % (text, self.seen))
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    d = os.read(self.master, 4096)
                except OSError as e:
                    if e.errno != errno.EIO:
                        raise
                    d = b""
                if not d:
                    raise AssertionError("terminal closed: expected %r, "
                                         "got %r" % (text, self.seen))
                self.seen += d
        return self.seen

    def type(self, line):
        os.write(self.master, line.encode() + b"\n")

    def finish(self):
        out, err = self.proc.communicate(timeout=60)
        # Whatever else reached the terminal before it closed.
        while True:
            try:
                r, _, _ = select.select([self.master], [], [], 0.2)
                if not r:
                    break
                d = os.read(self.master, 4096)
            except OSError:
                break
            if not d:
                break
            self.seen += d
        os.close(self.master)
        return (self.proc.returncode, out.decode(errors="replace"),
                err.decode(errors="replace"))


@T.test(start=False)
def terminal_twice_no_echo(srv):
    pw = "t3rminal secret"
    t = Tty(["-c", "4", "carol"])
    t.wait_for(b"Password for carol: ")
    t.type(pw)
    t.wait_for(b"Retype password: ")
    t.type(pw)
    rc, out, err = t.finish()
    T.expect(rc, 0, "exit status (stderr %r)" % err)
    T.expect_true(out.startswith("carol\t"), "an authtab line", out)
    h = out.split("\t", 1)[1].strip()
    expect_bcrypt(h, 4, "terminal path")
    T.expect_true(verifies(pw, h), "the typed password verifies", h)
    shown = t.seen.decode(errors="replace")
    T.expect_true(pw not in shown, "no echo on the terminal", shown)
    T.expect_true("t3rm" not in shown, "not even part of it", shown)
    T.expect_true(pw not in out + err, "password not printed", out + err)


@T.test(start=False)
def terminal_mismatch_refused(srv):
    t = Tty(["-c", "4"])
    t.wait_for(b"Password: ")
    t.type("first try")
    t.wait_for(b"Retype password: ")
    t.type("first trx")
    rc, out, err = t.finish()
    T.expect(rc, 1, "exit status on a mismatch")
    T.expect(out, "", "nothing on stdout")
    T.expect_true("do not match" in err, "message", err)
    shown = t.seen.decode(errors="replace")
    T.expect_true("first" not in shown, "no echo on the terminal", shown)
    # An empty entry on the terminal is refused at once.
    t = Tty(["-c", "4"])
    t.wait_for(b"Password: ")
    t.type("")
    rc, out, err = t.finish()
    T.expect(rc, 1, "exit status on an empty password")
    T.expect(out, "", "nothing on stdout for an empty password")
    T.expect_true("empty password" in err, "message", err)


# --- app passwords: -A, -R, -B ---------------------------------------------

SYMBOL = "[0-9abcdefghjkmnpqrstvwxyz]"
SECRET_RE = re.compile("^%s{4}(-%s{4}){6}$" % (SYMBOL, SYMBOL))
TIME_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
RECORD_RE = re.compile(r"^(\S+) (\S+) hmac-sha256:([0-9a-f]{64}) (%s) "
                       r"(%s|never) (\S+)$" % (TIME_RE, TIME_RE))
HASH0 = "hmac-sha256:" + "0" * 64


def app_mac(keyfile, user, secret):
    """The hash popd keeps: HMAC-SHA256 under the key file's bytes of the
    user, a NUL and the secret's symbols (no dashes, lower case)."""
    with open(keyfile, "rb") as f:
        key = f.read()
    msg = user.encode() + b"\0" + secret.lower().replace("-", "").encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def utc(stamp):
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def record(user, label, created="2026-11-25T10:00:00Z", rest="never any"):
    return "%s %s %s %s %s\n" % (user, label, HASH0, created, rest)


def app_ok(args, what):
    rc, out, err = popdpass(args)
    T.expect(rc, 0, "%s: exit status (stderr %r)" % (what, err))
    return out, err


def check_record(line, user, label, keyfile, secret, before, after):
    """line is user's record of label for secret, made between before
    and after; its expires and from fields are returned."""
    m = RECORD_RE.match(line)
    T.expect_true(m is not None, "a record line", line)
    T.expect(m.group(1), user, "the user")
    T.expect(m.group(2), label, "the label")
    T.expect(m.group(3), app_mac(keyfile, user, secret),
             "the stored hash is HMAC-SHA256(key, user NUL secret)")
    created = utc(m.group(4))
    T.expect_true(before - 1 <= created <= after + 1, "created now",
                  (before, m.group(4), after))
    return m.group(4), m.group(5), m.group(6)


@T.test(start=False)
def app_key_made_once(srv):
    """Without -f: the secret and the record on stdout; the key file is
    made (32 bytes, 0600) on first use and never replaced."""
    key = os.path.join(srv.tmpdir, "apppass.key")
    before = time.time()
    out, err = app_ok(["-A", "phone", "-k", key, "alice"], "first -A")
    after = time.time()
    T.expect_true("made the key file %s" % key in err,
                  "the key's making said on stderr", err)
    st = os.stat(key)
    T.expect(oct(st.st_mode & 0o7777), oct(0o600), "the key file's mode")
    T.expect(st.st_size, 32, "the key file's size")
    k1 = read(key)
    lines = out.split("\n")
    T.expect(len(lines), 3, "two lines and the end: %r" % out)
    secret = lines[0]
    T.expect_true(SECRET_RE.match(secret), "the secret's form", secret)
    _, expires, nets = check_record(lines[1], "alice", "phone", key, secret,
                                    before, after)
    T.expect(expires, "never", "no -e: never expires")
    T.expect(nets, "any", "no -n: from anywhere")
    T.expect_true(secret not in err, "the secret only on stdout", err)
    T.expect_true("shown this once" in err, "the hint", err)
    # Typed without dashes, in upper case: the same hash.
    T.expect(app_mac(key, "alice", secret.upper().replace("-", "")),
             app_mac(key, "alice", secret), "the MAC of the typed form")

    out2, err2 = app_ok(["-A", "phone", "-k", key, "alice"], "second -A")
    T.expect_true("made" not in err2, "the key is not made again", err2)
    T.expect(read(key), k1, "the key file unchanged")
    s2, line2 = out2.split("\n")[:2]
    T.expect_true(s2 != secret, "a new secret each time", (secret, s2))
    check_record(line2, "alice", "phone", key, s2, before, time.time())
    # Another user, the same secret's symbols: another hash.
    T.expect_true(app_mac(key, "bob", secret) != app_mac(key, "alice", secret),
                  "the user is part of the hash")

    # A key file popd would refuse names the file; nothing printed.
    bad = os.path.join(srv.tmpdir, "short.key")
    with open(bad, "wb") as f:
        f.write(b"k" * 31)
    refused(["-A", "x", "-k", bad, "alice"], "",
            "key file %s: 31 bytes: a key is 32 to 4096 bytes" % bad)
    refused(["-A", "x", "-k", srv.tmpdir, "alice"], "",
            "key file %s: not a regular file" % srv.tmpdir)
    refused(["-A", "x", "-k", os.path.join(srv.tmpdir, "no", "key"),
             "alice"], "", "No such file or directory")
    with open(bad, "wb") as f:
        f.write(os.urandom(4096))
    app_ok(["-A", "x", "-k", bad, "alice"], "a key of 4096 bytes")
    with open(bad, "ab") as f:
        f.write(b"k")
    refused(["-A", "x", "-k", bad, "alice"], "", "4097 bytes")


@T.test(start=False)
def app_with_file(srv):
    """-f: only the secret on stdout, the record appended to the file
    (made 0600), -e and -n stored as given."""
    key = os.path.join(srv.tmpdir, "apppass.key")
    apw = os.path.join(srv.tmpdir, "apppass")
    before = time.time()
    out, err = app_ok(["-A", "phone", "-e", "30d", "-n",
                       "192.0.2.0/24,2001:db8::/32,10.1.2.3",
                       "-k", key, "-f", apw, "alice"], "-A -f")
    after = time.time()
    T.expect_true(out.endswith("\n") and out.count("\n") == 1,
                  "one line on stdout", out)
    secret = out.strip()
    T.expect_true(SECRET_RE.match(secret), "only the secret", out)
    for hint in ("shown this once", "popctl reload", apw):
        T.expect_true(hint in err, "stderr says %r" % hint, err)
    T.expect(oct(os.stat(apw).st_mode & 0o7777), oct(0o600),
             "the new file's mode")
    text = read(apw).decode()
    T.expect_true(secret not in text and secret.replace("-", "") not in text,
                  "no secret in the file", text)
    T.expect(text.count("\n"), 1, "one line in the file: %r" % text)
    created, expires, nets = check_record(text.rstrip("\n"), "alice",
                                          "phone", key, secret, before,
                                          after)
    T.expect(utc(expires) - utc(created), 30 * 86400, "-e 30d")
    T.expect(nets, "192.0.2.0/24;2001:db8::/32;10.1.2.3",
             "-n's networks joined by ';'")

    # More forms of -e, and the records pile up.
    for label, exp, want in (("tab", "36h", None),
                             ("car", "2031-02-03", "2031-02-03T00:00:00Z"),
                             ("tv", "2032-03-04T05:06:07Z",
                              "2032-03-04T05:06:07Z")):
        out, err = app_ok(["-A", label, "-e", exp, "-k", key, "-f", apw,
                           "alice"], "-e %s" % exp)
        line = read(apw).decode().splitlines()[-1]
        created, expires, nets = check_record(line, "alice", label, key,
                                              out.strip(), before,
                                              time.time())
        if want is None:
            T.expect(utc(expires) - utc(created), 36 * 3600, "-e 36h")
        else:
            T.expect(expires, want, "-e %s" % exp)
        T.expect(nets, "any", "no -n")
    T.expect(len(read(apw).decode().splitlines()), 4, "four records")

    # A label alice has is refused, the file untouched; bob may use it.
    old = read(apw)
    refused(["-A", "phone", "-k", key, "-f", apw, "alice"], "",
            "%s: alice already has an app password \"phone\"" % apw)
    T.expect(read(apw), old, "the file unchanged by a refused -A")
    app_ok(["-A", "phone", "-k", key, "-f", apw, "bob"], "bob's phone")
    T.expect_true(read(apw).startswith(old), "appended after the rest")

    # The secret cannot be shown: the record is kept, and said how to
    # revoke it.
    with open("/dev/full", "wb") as full:
        r = subprocess.run([POPDPASS, "-A", "lost", "-k", key, "-f", apw,
                            "alice"], stdout=full, stderr=subprocess.PIPE,
                           timeout=60)
    T.expect(r.returncode, 1, "exit status with stdout full")
    T.expect_true(b"the secret is lost" in r.stderr and
                  ("popdpass -R lost -f %s alice" % apw).encode()
                  in r.stderr, "how to revoke it", r.stderr)
    T.expect_true(" lost " in read(apw).decode().splitlines()[-1],
                  "the record kept", read(apw))


@T.test(start=False)
def app_limits(srv):
    """At most 32 records a user: -A and -B refuse the 33rd."""
    key = os.path.join(srv.tmpdir, "apppass.key")
    apw = os.path.join(srv.tmpdir, "apppass")
    with open(apw, "w") as f:
        for i in range(31):
            f.write(record("alice", "l%d" % i))
        f.write(record("bob", "l0"))
    app_ok(["-A", "l31", "-k", key, "-f", apw, "alice"], "the 32nd")
    old = read(apw)
    refused(["-A", "l32", "-k", key, "-f", apw, "alice"], "",
            "%s: alice already has 32 records" % apw)
    refused(["-B", "-f", apw, "alice"], "",
            "%s: alice already has 32 records" % apw)
    T.expect(read(apw), old, "the file unchanged")
    app_ok(["-A", "l32", "-k", key, "-f", apw, "bob"], "bob's second")


@T.test(start=False)
def app_remove_and_bar(srv):
    """-R removes the label's lines alone, -B adds "main barred" once,
    -R main lifts it; comments, blank lines, odd spacing, a CRLF and
    a last line without its newline are kept byte for byte, with the
    file's owner and mode, in a new file renamed over the old."""
    T.need_root()
    apw = os.path.join(srv.tmpdir, "apppass")
    head = ("# app passwords\n"
            "\n"
            "  bob\tphone %s 2026-11-25T10:00:00Z never any  \r\n"
            "alice phone %s 2026-11-25T10:00:00Z 2030-01-01T00:00:00Z "
            "192.0.2.0/24\n"
            "   # indented comment\t\n"
            % (HASH0, HASH0)).encode()
    dup = record("alice", "tab").encode()
    tail = ("carol  main   barred\n" + record("alice", "laptop")
            + "# no newline at the end").encode()
    with open(apw, "wb") as f:
        f.write(head + dup + dup + tail)
    uid, gid = srv.uid("alice"), srv.gid("alice")
    os.chown(apw, uid, gid)
    os.chmod(apw, 0o640)
    ino = os.stat(apw).st_ino

    out, err = app_ok(["-R", "tab", "-f", apw, "alice"], "-R tab")
    T.expect(out, "", "nothing on stdout")
    T.expect_true("revoked" in err and "popctl reload" in err, "hint", err)
    T.expect(read(apw), head + tail, "both tab lines gone, the rest kept")
    st = os.stat(apw)
    T.expect((st.st_uid, st.st_gid), (uid, gid), "the owner kept")
    T.expect(oct(st.st_mode & 0o7777), oct(0o640), "the mode kept")
    T.expect_true(st.st_ino != ino, "a new file renamed over the old",
                  (ino, st.st_ino))
    T.expect(sorted(os.listdir(srv.tmpdir)).count("apppass"), 1,
             "one file")
    T.expect_true(not [n for n in os.listdir(srv.tmpdir)
                       if n.startswith(".popdpass")],
                  "no temporary file left", os.listdir(srv.tmpdir))

    refused(["-R", "tab", "-f", apw, "alice"], "",
            "%s: alice has no app password \"tab\"" % apw)
    refused(["-R", "phone", "-f", apw, "dave"], "",
            "%s: dave has no app password \"phone\"" % apw)
    refused(["-R", "main", "-f", apw, "alice"], "",
            "%s: alice has no bar of the main password" % apw)
    T.expect(read(apw), head + tail, "refusals changed nothing")

    out, err = app_ok(["-B", "-f", apw, "alice"], "-B")
    T.expect(out, "", "nothing on stdout for -B")
    T.expect_true("no longer logs in" in err, "-B's hint", err)
    barred = head + tail + b"\nalice main barred\n"
    T.expect(read(apw), barred,
             "a newline ends the last line, then the bar")
    out, err = app_ok(["-B", "-f", apw, "alice"], "-B again")
    T.expect_true("barred already" in err, "said", err)
    T.expect(read(apw), barred, "nothing added twice")
    # carol's bar, spaced as a person typed it, counts as one.
    app_ok(["-B", "-f", apw, "carol"], "-B carol")
    T.expect(read(apw), barred, "carol was barred already")

    app_ok(["-R", "main", "-f", apw, "alice"], "-R main")
    T.expect(read(apw), head + tail + b"\n", "the bar lifted")
    app_ok(["-R", "phone", "-f", apw, "bob"], "-R bob's phone")
    T.expect(read(apw), head.replace(
        ("  bob\tphone %s 2026-11-25T10:00:00Z never any  \r\n"
         % HASH0).encode(), b"") + tail + b"\n", "bob's CRLF line gone")
    st = os.stat(apw)
    T.expect((st.st_uid, st.st_gid, oct(st.st_mode & 0o7777)),
             (uid, gid, oct(0o640)), "owner and mode after four rewrites")

    # -B makes the file when there is none; -R does not.
    apw2 = os.path.join(srv.tmpdir, "apppass2")
    refused(["-R", "x", "-f", apw2, "alice"], "",
            "%s: No such file or directory" % apw2)
    T.expect_true(not os.path.exists(apw2), "-R made no file")
    app_ok(["-B", "-f", apw2, "alice"], "-B on no file")
    T.expect(read(apw2), b"alice main barred\n", "the new file")
    T.expect(oct(os.stat(apw2).st_mode & 0o7777), oct(0o600), "its mode")


@T.test(start=False)
def app_bad_file_untouched(srv):
    """A file popd would refuse is not changed: each bad line named
    with file:line; a symbolic link is refused, not replaced."""
    key = os.path.join(srv.tmpdir, "apppass.key")
    apw = os.path.join(srv.tmpdir, "apppass")
    text = (record("alice", "phone") + "alice main open\n" +
            record("bad/user", "x") + record("bob", "tab")).encode()
    with open(apw, "wb") as f:
        f.write(text)
    for args in (["-A", "x", "-k", key, "-f", apw, "bob"],
                 ["-R", "tab", "-f", apw, "bob"],
                 ["-B", "-f", apw, "bob"]):
        err = refused(args, "", "%s: not changed: correct the lines above"
                      % apw)
        T.expect_true("%s:2: \"alice\": \"main\" is followed by "
                      "\"barred\"" % apw in err, "line 2 named", err)
        T.expect_true("%s:3: invalid user name \"bad/user\"" % apw in err,
                      "line 3 named", err)
        T.expect(read(apw), text, "the file unchanged by %s" % args[0])
    link = os.path.join(srv.tmpdir, "link")
    good = os.path.join(srv.tmpdir, "good")
    with open(good, "w") as f:
        f.write(record("alice", "phone"))
    os.symlink(good, link)
    refused(["-B", "-f", link, "alice"], "", "%s: a symbolic link" % link)
    T.expect_true(os.path.islink(link), "the link is still one")


@T.test(start=False)
def app_bad_arguments(srv):
    """Every bad argument is refused with what is wrong, before the key
    or the file is made."""
    key = os.path.join(srv.tmpdir, "apppass.key")
    apw = os.path.join(srv.tmpdir, "apppass")
    nine = ",".join("10.0.0.%d" % i for i in range(9))
    for extra, label, want in (
            (["-e", "0d"], "x", "not in the future"),
            (["-e", "2020-01-01"], "x",
             "expiry \"2020-01-01\" is 2020-01-01T00:00:00Z, not in the "
             "future"),
            (["-e", "2031-02-30"], "x",
             "expiry \"2031-02-30\": not Nd (days from now), Nh (hours), "
             "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"),
            (["-e", "2031-02-03T00:00:00"], "x", "not Nd"),
            (["-e", "tomorrow"], "x", "not Nd"),
            (["-e", "-3d"], "x", "not Nd"),
            (["-e", " 2031-02-03"], "x", "not Nd"),
            (["-e", "10000000d"], "x", "after 9999-12-31"),
            (["-e", "99999999d"], "x", "the number is too large"),
            (["-n", "192.0.2.0/33"], "x",
             "network \"192.0.2.0/33\": prefix length is too large"),
            (["-n", "example.org"], "x",
             "network \"example.org\": not an IPv4 or IPv6 network"),
            (["-n", "10.0.0.1,,10.0.0.2"], "x", "an empty one"),
            (["-n", "10.0.0.1;10.0.0.2"], "x",
             "network \"10.0.0.1;10.0.0.2\""),
            (["-n", nine], "x", "more than 8"),
            ([], "main", "label \"main\" is reserved"),
            ([], "a b", "label \"a b\": 1 to 32 letters, digits"),
            ([], "a,b", "label \"a,b\""),
            ([], "x" * 33, "label \"%s\"" % ("x" * 33)),
            ([], "", "label \"\""),
            ):
        refused(["-A", label] + extra + ["-k", key, "-f", apw, "alice"],
                "", want)
        T.expect_true(not os.path.exists(key) and not os.path.exists(apw),
                      "nothing made for %r" % (extra or label))
    for args, want in (
            (["-A", "x", "alice"], "-A needs -k keyfile"),
            (["-R", "x", "alice"], "-R needs -f file"),
            (["-B", "alice"], "-B needs -f file"),
            (["-A", "x", "-k", key, "-B", "-f", apw, "alice"],
             "one at a time"),
            (["-A", "x", "-k", key, "-s", "alice"], "not app passwords"),
            (["-A", "x", "-k", key], "one user name"),
            (["-A", "x", "-k", key, "alice", "bob"], "one user name"),
            (["-A", "x", "-k", key, "al/ice"], "invalid user name"),
            (["-B", "-f", apw, "-alice"], "usage: popdpass"),
            (["-e", "1d", "alice"], "-e, -k and -n go with -A"),
            (["-f", apw, "alice"], "-f goes with -A, -R or -B"),
            (["-R", "a b", "-f", apw, "alice"], "label \"a b\"")):
        err = refused(args, "", want)
        T.expect_true(not os.path.exists(key) and not os.path.exists(apw),
                      "nothing made for %r" % args)
    err = refused(["-A"], "", "usage:")
    T.expect_true("popdpass -A label [-e expiry] [-f file] "
                  "[-n network[,...]] -k keyfile user" in err,
                  "the usage names -A", err)


@T.test(start=False)
def app_concurrent_adds(srv):
    """Eight popdpass -A at once on one file (and one key made by one of
    them): the lock keeps every line, every secret matches its hash."""
    key = os.path.join(srv.tmpdir, "apppass.key")
    apw = os.path.join(srv.tmpdir, "apppass")
    procs = [subprocess.Popen([POPDPASS, "-A", "dev%d" % i, "-k", key,
                               "-f", apw, "alice"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(8)]
    secrets = {}
    made = 0
    for i, p in enumerate(procs):
        out, err = p.communicate(timeout=60)
        T.expect(p.returncode, 0, "popdpass %d (stderr %r)" % (i, err))
        secrets["dev%d" % i] = out.decode().strip()
        made += b"made the key file" in err
    T.expect(made, 1, "one of them made the key")
    lines = read(apw).decode().splitlines()
    T.expect(len(lines), 8, "eight lines: %r" % lines)
    for line in lines:
        m = RECORD_RE.match(line)
        T.expect_true(m is not None, "a record", line)
        T.expect(m.group(3), app_mac(key, "alice", secrets[m.group(2)]),
                 "%s's hash" % m.group(2))



@T.test(start=False)
def app_key_made_whole(srv):
    """Sixteen popdpass -A at once, twenty times, each time on a key file
    not yet there: one makes it, none reads it half written (32 bytes
    or nothing), all hash with it."""
    keys = os.path.join(srv.tmpdir, "keys")
    os.mkdir(keys)
    for rnd in range(20):
        key = os.path.join(keys, "key%d" % rnd)
        procs = [subprocess.Popen([POPDPASS, "-A", "d%d" % i, "-k", key,
                                   "alice"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
                 for i in range(16)]
        made = 0
        for i, p in enumerate(procs):
            out, err = p.communicate(timeout=60)
            T.expect(p.returncode, 0, "round %d, popdpass %d (stderr %r)"
                     % (rnd, i, err))
            secret, line = out.decode().split("\n")[:2]
            T.expect(RECORD_RE.match(line).group(3),
                     app_mac(key, "alice", secret),
                     "round %d: hashed with the key on disk" % rnd)
            made += b"made the key file" in err
        T.expect(made, 1, "round %d: one made the key" % rnd)
        T.expect(sorted(os.listdir(keys)),
                 sorted("key%d" % r for r in range(rnd + 1)),
                 "no temporary file left")


@T.test(start=False)
def convert_refuses_hard_links(srv):
    """popdpass -P on a file with another hard link refuses, names the
    file and the count, and changes neither name: rewriting one name
    would leave the passwords in clear in the other (issue 85 G8)."""
    path = os.path.join(srv.tmpdir, "clear")
    other = os.path.join(srv.tmpdir, "clear.bak")
    with open(path, "w") as f:
        f.write("alice {PLAIN}hunter2-x\n")
    os.link(path, other)
    rc, out, err = popdpass(["-c", "4", "-P", path])
    T.expect(rc, 1, "popdpass -P on a file of 2 links: " + out + err)
    T.expect_true("%s: not changed: it has 2 hard links" % path in err,
                  "named, with its links", err)
    for name in (path, other):
        T.expect(read(name), b"alice {PLAIN}hunter2-x\n", name + " kept")
    os.unlink(other)
    rc, out, err = popdpass(["-c", "4", "-P", path])
    T.expect(rc, 0, "one link: converted: " + err)
    T.expect_true(b"hunter2-x" not in read(path), "hashed", read(path))


@T.test(start=False)
def convert_confined(srv):
    """popdpass -P runs confined before it opens the file (issue 84
    item 4): no new privileges and a seccomp filter, seen while it waits
    for the file's lock; then it converts the file all the same."""
    import fcntl
    path = os.path.join(srv.tmpdir, "clear")
    with open(path, "w") as f:
        f.write("alice {PLAIN}hunter2-y\n")
    held = open(path)
    fcntl.flock(held, fcntl.LOCK_EX)
    p = subprocess.Popen([POPDPASS, "-c", "4", "-P", path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        T.wait_for(lambda: T.proc_status(p.pid)["State"].startswith("S")
                   and T.proc_status(p.pid)["Seccomp"] == "2", 10,
                   "popdpass waiting for the lock, confined")
        st = T.proc_status(p.pid)
        T.expect((st["NoNewPrivs"], st["Seccomp"]), ("1", "2"),
                 "popdpass's NoNewPrivs and Seccomp")
    finally:
        held.close()
        out, err = p.communicate(timeout=60)
    T.expect(p.returncode, 0, "converted: " + err.decode())
    T.expect_true(b"hunter2-y" not in read(path), "hashed", read(path))


if __name__ == "__main__":
    T.main()
