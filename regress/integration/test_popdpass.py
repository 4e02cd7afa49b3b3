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
password twice without echo (driven through a pty)."""

import ctypes
import ctypes.util
import errno
import fcntl
import os
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
    for bad in ("3", "32", "ten", ""):
        refused(["-s", "-c", bad], "pw\n", "bcrypt takes 4 to 31")


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


if __name__ == "__main__":
    T.main()
