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

"""mda: delivery into a maildir the way OpenSMTPD runs it (as the mail
user, HOME set, message on stdin), its names, exit codes and messages,
and what a POP3 session then serves."""

import ctypes
import fcntl
import os
import poplib
import re
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import popdtest as T  # noqa: E402

poplib._MAXLINE = 1 << 24      # long lines are part of the tests

EX_USAGE = 64
EX_TEMPFAIL = 75
NAME_RE = re.compile(rb"^(\d+)\.M(\d{6})P(\d+)R([0-9a-f]{8})(\.[A-Za-z0-9._-]+)?"
                     rb",S=(\d+),W=(\d+)$")


def check_name(name, data):
    m = NAME_RE.match(name.encode())
    T.expect_true(m is not None, "mda name format", name)
    T.expect_true(len(name) <= 70, "unique part <= 70 characters", name)
    T.expect_true(all(0x21 <= c <= 0x7e for c in name.encode()),
                  "name in 0x21-0x7e", name)
    T.expect(int(m.group(6)), len(data), "S= of " + name)
    T.expect(int(m.group(7)), T.rfc_size(data), "W= of " + name)
    return m


def fetch_all(srv, user):
    """{uidl: (size, message bytes as RETR sends them, un-stuffed)}"""
    return {m.uidl: (m.size, m.data, m.octets)
            for m in T.mailbox(srv, user, retr=True)}


@T.test(subdir="Maildir")
def delivers_into_home_subdir(srv):
    data = b"Subject: one\n\nhello\nworld\n"
    r = T.run_mda(srv, "alice", data)
    T.expect(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
    md = srv.maildir("alice")
    new = T.files(md, "new")
    T.expect(len(new), 1, "files in new/")
    T.expect(T.files(md, "tmp"), [], "tmp/ after delivery")
    check_name(new[0], data)
    with open(os.path.join(md, "new", new[0]), "rb") as f:
        T.expect(f.read(), data, "stored message")
    st = os.stat(os.path.join(md, "new", new[0]))
    T.expect(st.st_mode & 0o777, 0o600, "file mode")
    if T.is_root:
        T.expect(st.st_uid, srv.uid("alice"), "file owner")
    got = fetch_all(srv, "alice")
    T.expect(list(got), [new[0]], "UIDL is the unique name")
    size, msg, _ = got[new[0]]
    T.expect(size, T.rfc_size(data), "LIST size")
    T.expect(msg, data.replace(b"\n", b"\r\n"), "RETR")
    T.expect(len(msg), size, "RETR octets == LIST size")


@T.test
def creates_missing_maildir(srv):
    home = srv.users["alice"]["home"]
    r = T.run_mda(srv, "alice", b"Subject: x\n\nx\n",
                  args=["-e", "Mail.new"])
    T.expect(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
    md = os.path.join(home, "Mail.new")
    for d in ("tmp", "new", "cur"):
        T.expect_true(os.path.isdir(os.path.join(md, d)), d + "/ created")
        T.expect(os.stat(os.path.join(md, d)).st_mode & 0o777, 0o700,
                 d + "/ mode")
    T.expect(len(T.files(md, "new")), 1, "delivered")


@T.test
def explicit_maildir_argument(srv):
    md = srv.maildir("alice")
    r = T.run_mda(srv, "alice", b"Subject: x\n\nx\n", args=[md],
                  env={"HOME": None})
    T.expect(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
    T.expect(len(T.files(md, "new")), 1, "delivered to the argument")


@T.test(start=False, check_alive=False)
def usage_errors(srv):
    for args in (["-x"], ["a", "b"], ["-e"], ["-e", "/abs"],
                 ["-e", "../up"], ["-e", ""], [""]):
        r = T.run_mda(srv, "alice", b"x\n", args=args)
        T.expect(r.returncode, EX_USAGE, "exit status of mda %r" % args)
        T.expect_true(b"usage: mda" in r.stderr, "usage on stderr",
                      r.stderr)
    T.expect(T.files(srv.maildir("alice"), "new"), [], "nothing delivered")


@T.test(start=False, check_alive=False)
def no_home_is_tempfail(srv):
    r = T.run_mda(srv, "alice", b"x\n", args=[], env={"HOME": None})
    T.expect(r.returncode, EX_TEMPFAIL, "exit status without HOME")
    T.expect_true(b"HOME" in r.stderr, "says why", r.stderr)
    r = T.run_mda(srv, "alice", b"x\n", args=[], env={"HOME": "relative"})
    T.expect(r.returncode, EX_TEMPFAIL, "exit status, relative HOME")


@T.test(start=False, check_alive=False)
def unwritable_maildir_is_tempfail(srv):
    md = srv.maildir("alice")
    os.chmod(os.path.join(md, "new"), 0o500)
    try:
        r = T.run_mda(srv, "alice", b"Subject: x\n\nx\n")
        T.expect(r.returncode, EX_TEMPFAIL, "exit status")
        T.expect_true(b"Permission denied" in r.stderr, "says why",
                      r.stderr)
        T.expect(T.files(md, "tmp"), [], "tmp/ cleaned")
    finally:
        os.chmod(os.path.join(md, "new"), 0o700)
    r = T.run_mda(srv, "alice", b"Subject: x\n\nx\n",
                  args=["/nonexistent/x/y"])
    T.expect(r.returncode, EX_TEMPFAIL, "exit status, no parent dir")
    T.expect_true(b"/nonexistent/x/y" in r.stderr, "names the path",
                  r.stderr)


def has_landlock():
    """landlock_create_ruleset(NULL, 0, VERSION) answers: the kernel has
    Landlock, so the sandbox asks for a ruleset descriptor."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint(1)) > 0


@T.test(start=False, check_alive=False)
def sandbox_failure_is_tempfail(srv):
    """A failure that is not the message's fault, here the sandbox that
    finds no descriptor for its Landlock ruleset (RLIMIT_NOFILE, as a
    tight MTA or service limit sets it), exits 75, never 1 (a bounce),
    and leaves nothing in tmp/ or new/; the retry delivers."""
    md = srv.maildir("alice")
    drop = T.as_user(srv, "alice")
    data = b"Subject: retry me\n\nx\n"
    delivered = sandbox_fatal = 0
    # From 4: with 3 (stdio only) the dynamic linker cannot start mda.
    for n in range(4, 16):
        def limit(n=n):
            resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
            if drop is not None:
                drop()
        r = subprocess.run([T.MDA, md], input=data,
                           env=T.mda_env(srv, "alice"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30, preexec_fn=limit)
        T.expect_true(r.returncode in (0, EX_TEMPFAIL),
                      "RLIMIT_NOFILE %d: exit 0 or 75" % n,
                      (r.returncode, r.stderr))
        if r.returncode == 0:
            delivered += 1
        elif re.search(rb"landlock|seccomp|sandbox", r.stderr):
            sandbox_fatal += 1
        T.expect(T.files(md, "tmp"), [], "tmp/ after RLIMIT_NOFILE %d" % n)
        T.expect(len(T.files(md, "new")), delivered,
                 "messages in new/ after RLIMIT_NOFILE %d (exit %d)"
                 % (n, r.returncode))
    if sandbox_fatal == 0 and not has_landlock():
        raise T.Skip("no Landlock in this kernel: the sandbox needs no "
                     "descriptor, so this limit cannot make it fail")
    T.expect_true(sandbox_fatal > 0, "some limit made the sandbox fail")
    T.expect_true(delivered > 0, "a higher limit delivers")
    with open(os.path.join(md, "new", T.files(md, "new")[0]), "rb") as f:
        T.expect(f.read(), data, "the delivered message")


@T.test(start=False, check_alive=False)
def odd_messages_sized_right(srv):
    md = srv.maildir("alice")
    cases = [b"", b"no newline at all", b"crlf\r\nalready\r\n",
             b"bare\rcr\r\n\rx\n", b"nul\0byte\n", b"\n\n\n",
             b".dot\n..two\n.\n",
             b"Subject: big\n\n" + b"x" * 100000 + b"\n" +
             b"line\n" * 200000,
             bytes(range(256)) * 300]
    for data in cases:
        before = set(T.files(md, "new"))
        r = T.run_mda(srv, "alice", data)
        T.expect(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        new = set(T.files(md, "new")) - before
        T.expect(len(new), 1, "one new file")
        name = new.pop()
        check_name(name, data)
        with open(os.path.join(md, "new", name), "rb") as f:
            T.expect(f.read() == data, True, "stored bytes of " + name)
    srv.start()
    for m in T.mailbox(srv, "alice", retr=True):
        w = int(NAME_RE.match(m.uidl.encode()).group(7))
        T.expect(m.size, w, "LIST size of " + m.uidl)
        T.expect(len(m.data), w, "RETR octets of " + m.uidl)


@T.test(start=False, check_alive=False)
def long_odd_hostname_is_cut(srv):
    T.need_root()
    unshare = T.need_prog("unshare")
    host = "Very,Long:host/name_" + "x" * 40
    md = srv.maildir("alice")
    data = b"Subject: host\n\n" + b"y" * 123456
    uid, gid = srv.uid("alice"), srv.gid("alice")
    # A private UTS namespace: the machine's hostname stays as it is.
    script = ("import os,socket,subprocess,sys\n"
              "socket.sethostname(%r)\n"
              "os.setgroups([%d]); os.setgid(%d); os.setuid(%d)\n"
              "sys.exit(subprocess.run([%r, %r], input=sys.stdin.buffer"
              ".read()).returncode)\n" % (host, gid, gid, uid, T.MDA, md))
    r = subprocess.run([unshare, "--uts", sys.executable, "-c", script],
                       input=data, stderr=subprocess.PIPE, timeout=30)
    T.expect(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
    new = T.files(md, "new")
    T.expect(len(new), 1, "delivered")
    m = check_name(new[0], data)
    hostpart = m.group(5).decode()
    T.expect_true(len(hostpart) >= 8 and
                  (".Very_Long_host_name_" + "x" * 40).startswith(hostpart),
                  "sanitized host, cut", hostpart)
    T.expect_true(len(new[0]) <= 70 and len(hostpart) < len(host),
                  "host cut to keep the name within 70", new[0])


@T.test
def popcache_record_appended(srv):
    md = srv.maildir("alice")
    srv.deliver("alice", b"Subject: first\n\nfirst\n")
    p = srv.pop("alice")
    p.stat()
    p.quit()
    T.expect_true(os.path.exists(os.path.join(md, "popcache")),
                  "popcache written by the session")
    data = b"Subject: second\n\nsecond\n"
    r = T.run_mda(srv, "alice", data)
    T.expect(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
    name = [n for n in T.files(md, "new") if ",W=" in n][0]
    with open(os.path.join(md, "popcache"), "rb") as f:
        tail = f.read().splitlines()[-1]
    T.expect(tail, b"%d %s new/%s" % (T.rfc_size(data), name.encode(),
                                     name.encode()), "appended record")
    got = fetch_all(srv, "alice")
    T.expect(got[name][0], T.rfc_size(data), "size served")


@T.test
def no_wait_for_session_and_shown_next_time(srv):
    srv.deliver("alice", b"Subject: old\n\nold\n")
    p = srv.pop("alice")
    T.expect(p.stat()[0], 1, "messages at login")
    t0 = time.monotonic()
    for i in range(5):
        r = T.run_mda(srv, "alice", b"Subject: during %d\n\nx\n" % i)
        T.expect(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
    took = time.monotonic() - t0
    T.expect_true(took < 5, "five deliveries during a session are quick",
                  took)
    T.expect(p.stat()[0], 1, "the open session keeps its view")
    p.quit()
    got = fetch_all(srv, "alice")
    T.expect(len(got), 6, "all shown at the next login")


@T.test
def busy_popcache_lock_still_delivers(srv):
    md = srv.maildir("alice")
    srv.deliver("alice", b"Subject: first\n\nfirst\n")
    p = srv.pop("alice")
    p.stat()
    p.quit()
    fd = os.open(os.path.join(md, "popcache.lock"), os.O_RDWR | os.O_CREAT,
                 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        t0 = time.monotonic()
        r = T.run_mda(srv, "alice", b"Subject: locked out\n\nx\n")
        took = time.monotonic() - t0
    finally:
        os.close(fd)
    T.expect(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
    T.expect_true(1.5 <= took < 5, "bounded wait for the lock (~2 s)",
                  took)
    T.expect_true(b"popcache" in r.stderr, "warns that the record was "
                  "skipped", r.stderr)
    T.expect(len(fetch_all(srv, "alice")), 2, "the message is served")


@T.test(start=False, check_alive=False)
def sigterm_cleans_up(srv):
    md = srv.maildir("alice")
    p = T.mda_popen(srv, "alice")
    p.stdin.write(b"Subject: half\n\n" + b"z" * 100000)
    p.stdin.flush()
    T.wait_for(lambda: T.files(md, "tmp"), 10, "a file in tmp/")
    p.terminate()
    err = p.stderr.read()
    p.wait()
    T.expect(p.returncode, EX_TEMPFAIL, "exit status after SIGTERM")
    T.expect_true(err, "says something on stderr", err)
    T.expect(T.files(md, "tmp"), [], "tmp/ cleaned")
    T.expect(T.files(md, "new"), [], "nothing in new/")


@T.test(start=False, check_alive=False)
def unique_names_under_load(srv):
    md = srv.maildir("alice")
    procs = []
    for i in range(60):
        procs.append(T.mda_popen(srv, "alice"))
    for i, p in enumerate(procs):
        p.stdin.write(b"Subject: %d\n\n%d\n" % (i, i))
        p.stdin.close()
    for p in procs:
        p.wait()
        T.expect(p.returncode, 0, "exit status (stderr %r)"
                 % p.stderr.read())
    new = T.files(md, "new")
    T.expect(len(new), 60, "every message in its own file")
    seen = set()
    for n in new:
        with open(os.path.join(md, "new", n), "rb") as f:
            seen.add(f.read())
    T.expect(len(seen), 60, "no message overwritten")


if __name__ == "__main__":
    T.main()
