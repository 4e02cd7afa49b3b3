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

"""Real POP3 clients against popd: fetchmail (keep mode with UIDL across
runs, then fetch-and-delete), mpop (SASL PLAIN, pipelined RETR, keep and
delete), getmail6 and curl, each checked byte for byte (modulo line ends
and the trace headers the client adds) on odd messages and a 10 MB one.
Also the RFC 5034 AUTH PLAIN exchange by hand and a client that drops
mid-RETR with a DELE pending.

The Debian clients are installed with apt-get when missing and running
as root; otherwise their tests are skipped and say why."""

import base64
import os
import pwd
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import popdtest as T  # noqa: E402

BIG = b"".join(b"Line %07d of a big message: " % i + b"x" * 60 + b"\n"
               for i in range(120000))          # about 10 MB

# name -> bytes as delivered.  Names become the unique part of the file
# name, so a client's output can be matched by its "Subject:".
ODD = {
    "plain": b"From: a@example.org\nTo: alice@example.org\n"
             b"Subject: plain\n\nHello.\n",
    "nofinal": b"From: a@example.org\nSubject: nofinal\n\nno final newline",
    "dots": b"From: a@example.org\nSubject: dots\n\n.\n..\n.foo\n...bar\n"
            b". \nend\n",
    "dotend": b"From: a@example.org\nSubject: dotend\n\nlast line is a dot\n.",
    "crlf": b"From: a@example.org\r\nSubject: crlf\r\n\r\nline1\r\n.dot\r\n"
            b"line3\r\n",
    "barecr": b"From: a@example.org\nSubject: barecr\n\nab\rcd\nend\r\n",
    "nul": b"From: a@example.org\nSubject: nul\n\nbefore\0after\n",
    "longline": b"From: a@example.org\nSubject: longline\n\n" +
                b"y" * 200000 + b"\nshort\n",
    "big": b"From: a@example.org\nSubject: big\n\n" + BIG,
}

def need_client(prog, package):
    """The path of prog, installed from Debian (with the packages it
    recommends, as a user would have them) when missing."""
    return T.apt_install(package, prog, recommends=True)


def norm(b):
    return b.replace(b"\r\n", b"\n")


def wanted(msg):
    """What a client that stores LF line ends should store."""
    m = norm(msg)
    return m if m.endswith(b"\n") else m + b"\n"


HDR = re.compile(rb"^([!-9;-~]+:|[ \t])")


def check_stored(stored, msgs, who):
    """stored: list of file contents.  Each must be one of msgs (name ->
    bytes) with only header lines added in front; every msg once."""
    T.expect(len(stored), len(msgs), "%s: messages stored" % who)
    left = dict(msgs)
    for data in stored:
        data = norm(data)
        for name, m in list(left.items()):
            want = wanted(m)
            if not data.endswith(want):
                continue
            added = data[:len(data) - len(want)]
            bad = [ln for ln in added.split(b"\n")[:-1]
                   if not HDR.match(ln)]
            T.expect_true(not bad, "%s: only header lines added to %s"
                          % (who, name), bad[:3])
            del left[name]
            break
        else:
            m = re.search(rb"Subject: (\S+)", data)
            name = m.group(1).decode() if m else "?"
            want = wanted(msgs.get(name, b""))
            i = next((j for j in range(min(len(want), len(data)))
                      if want[-1 - j] != data[-1 - j]),
                     min(len(want), len(data)))
            at = len(data) - i
            raise AssertionError(
                "%s: message %s differs (%d octets stored, %d expected; "
                "first difference %d octets from the end: stored %r, "
                "expected %r)" % (who, name, len(data), len(want), i + 1,
                                  data[max(0, at - 21):at],
                                  want[max(0, len(want) - i - 21):
                                       len(want) - i]))
    T.expect(sorted(left), [], "%s: messages not stored" % who)


def deliver_all(srv, msgs, base=1700000000):
    for i, (name, m) in enumerate(msgs.items()):
        srv.deliver("alice", m, name="%d.M%dP1.%s" % (base + i, i, name))


def maildir_count(srv, user="alice"):
    return len(T.message_files(srv.maildir(user)))


def read_dir(d):
    return [open(os.path.join(d, f), "rb").read() for f in sorted(
        os.listdir(d))]


def run(argv, what, env=None, preexec_fn=None, ok=(0,), timeout=120):
    r = subprocess.run(argv, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=env,
                       preexec_fn=preexec_fn, timeout=timeout)
    out = r.stdout.decode(errors="replace")
    T.expect_true(r.returncode in ok, "%s exited %d" % (what, r.returncode),
                  out[-1500:])
    return out


# --- fetchmail ---------------------------------------------------------------

# fetchmail (6.4.37) corrupts lines longer than its 8 KiB buffer on its
# own (the server sends them exactly, see mpop and curl), so its long
# line stays under that.
FM_MSGS = dict(ODD)
FM_MSGS["longline"] = (b"From: a@example.org\nSubject: longline\n\n" +
                       b"y" * 5000 + b"\nshort\n")


def fetchmail_setup(srv, keep):
    d = os.path.join(srv.tmpdir, "fetchmail")
    out = os.path.join(d, "out")
    os.makedirs(out, exist_ok=True)
    os.chmod(d, 0o700)
    mda = os.path.join(d, "mda.sh")
    with open(mda, "w") as f:
        f.write('#!/bin/sh\nf=$(mktemp "%s/msg.XXXXXXXX") && '
                'cat > "$f"\n' % out)
    os.chmod(mda, 0o755)
    rc = os.path.join(d, "fetchmailrc")
    with open(rc, "w") as f:
        f.write("set no syslog\n"
                "poll 127.0.0.1 port %d protocol pop3 uidl\n"
                "  user alice there with password pw1 is %s here\n"
                "  options ssl no sslcertck %s no rewrite no stripcr\n"
                "  mda \"%s\"\n"
                % (srv.port, pwd.getpwuid(os.getuid()).pw_name,
                   "keep" if keep else "fetchall", mda))
    os.chmod(rc, 0o600)
    return d, rc, out


def fetchmail(srv, keep):
    prog = need_client("fetchmail", "fetchmail")
    d, rc, out = fetchmail_setup(srv, keep)
    env = dict(os.environ, FETCHMAILHOME=d, HOME=d)
    # Status 1: no mail.
    log = run([prog, "-f", rc, "--nodetach", "-i",
               os.path.join(d, "fetchids")], "fetchmail", env=env,
              ok=(0, 1))
    stored = read_dir(out)
    for f in os.listdir(out):
        os.unlink(os.path.join(out, f))
    return stored, log


@T.test(timeout=120)
def fetchmail_keep_uidl_then_flush(srv):
    deliver_all(srv, FM_MSGS)
    # Keep mode: everything once, byte-exact; nothing moved or removed.
    stored, log = fetchmail(srv, keep=True)
    check_stored(stored, FM_MSGS, "fetchmail keep, run 1")
    T.expect(maildir_count(srv), len(FM_MSGS), "keep: nothing removed")
    # Run 2: UIDL says all were seen.
    stored, log = fetchmail(srv, keep=True)
    T.expect(len(stored), 0, "fetchmail keep, run 2 fetches nothing")
    # A new message: run 3 fetches that one only.
    new = {"newone": b"From: n@example.org\nSubject: newone\n\nnew\n"}
    deliver_all(srv, new, base=1800000000)
    stored, log = fetchmail(srv, keep=True)
    check_stored(stored, new, "fetchmail keep, run 3")
    # Fetch and delete everything.
    stored, log = fetchmail(srv, keep=False)
    allm = dict(FM_MSGS, **new)
    check_stored(stored, allm, "fetchmail fetchall")
    T.pop_when_free(srv).quit()
    T.expect(maildir_count(srv), 0, "fetchmail flush: maildrop empty")


# --- mpop ---------------------------------------------------------------------

def mpop(srv, d, keep, auth):
    prog = need_client("mpop", "mpop")
    md = os.path.join(d, "md")
    for s in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(md, s), exist_ok=True)
    rc = os.path.join(d, "mpoprc")
    with open(rc, "w") as f:
        f.write("account default\nhost 127.0.0.1\nport %d\ntls on\n"
                "tls_starttls off\ntls_certcheck off\nauth %s\n"
                "user alice\npassword pw1\ndelivery maildir %s\n"
                "keep %s\nuidls_file %s\n"
                % (srv.port, auth, md, "on" if keep else "off",
                   os.path.join(d, "uidls")))
    os.chmod(rc, 0o600)
    log = run([prog, "-q", "-C", rc], "mpop")
    new = os.path.join(md, "new")
    stored = read_dir(new)
    for f in os.listdir(new):
        os.unlink(os.path.join(new, f))
    return stored, log


@T.test(timeout=120)
def mpop_plain_keep_then_delete(srv):
    deliver_all(srv, ODD)
    d = os.path.join(srv.tmpdir, "mpop")
    os.makedirs(d, 0o700)
    stored, _ = mpop(srv, d, keep=True, auth="plain")     # AUTH PLAIN
    check_stored(stored, ODD, "mpop keep, run 1")
    T.pop_when_free(srv).quit()
    T.expect(maildir_count(srv), len(ODD), "mpop keep: nothing removed")
    stored, _ = mpop(srv, d, keep=True, auth="user")      # USER/PASS
    T.expect(len(stored), 0, "mpop keep, run 2 (UIDL) fetches nothing")
    stored, _ = mpop(srv, d, keep=False, auth="plain")
    T.expect(len(stored), 0, "mpop delete run: all seen already")
    T.pop_when_free(srv).quit()
    T.expect(maildir_count(srv), 0, "mpop keep off: maildrop empty")


# --- getmail6 ----------------------------------------------------------------

# getmail stores a bare CR as a line end (its own choice): not compared.
GM_MSGS = {k: v for k, v in ODD.items() if k != "barecr"}


@T.test(timeout=120)
def getmail_keep_then_delete(srv):
    prog = need_client("getmail", "getmail6")
    d = os.path.join(srv.tmpdir, "getmail")
    md = os.path.join(d, "md")
    for s in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(md, s))
    pre = None
    if T.is_root:
        # getmail refuses to deliver as root.
        nb = pwd.getpwnam("nobody")
        for root, dirs, _ in os.walk(d):
            os.chown(root, nb.pw_uid, nb.pw_gid)

        def pre():
            os.setgroups([])
            os.setgid(nb.pw_gid)
            os.setuid(nb.pw_uid)
    deliver_all(srv, GM_MSGS)

    def getmail(delete):
        rc = os.path.join(d, "getmailrc")
        with open(rc, "w") as f:
            f.write("[retriever]\ntype = SimplePOP3SSLRetriever\n"
                    "server = 127.0.0.1\nport = %d\nusername = alice\n"
                    "password = pw1\n\n[destination]\ntype = Maildir\n"
                    "path = %s/\n\n[options]\nread_all = false\n"
                    "delete = %s\nverbose = 1\n"
                    % (srv.port, md, "true" if delete else "false"))
        if T.is_root:
            os.chown(rc, pwd.getpwnam("nobody").pw_uid, -1)
        os.chmod(rc, 0o600)
        log = run([prog, "--getmaildir", d, "--rcfile", rc], "getmail",
                  preexec_fn=pre)
        new = os.path.join(md, "new")
        stored = read_dir(new)
        for f in os.listdir(new):
            os.unlink(os.path.join(new, f))
        return stored, log

    stored, _ = getmail(delete=False)
    check_stored(stored, GM_MSGS, "getmail, run 1")
    stored, log = getmail(delete=False)
    T.expect(len(stored), 0, "getmail run 2 (UIDL) fetches nothing")
    T.pop_when_free(srv).quit()
    T.expect(maildir_count(srv), len(GM_MSGS), "getmail keeps the mail")
    # read_all = false, delete = true: seen ones are not deleted again by
    # getmail; fetch them anew with a fresh oldmail file.
    for f in os.listdir(d):
        if f.startswith("oldmail"):
            os.unlink(os.path.join(d, f))
    stored, _ = getmail(delete=True)
    check_stored(stored, GM_MSGS, "getmail delete run")
    T.pop_when_free(srv).quit()
    T.expect(maildir_count(srv), 0, "getmail delete: maildrop empty")


# --- curl ---------------------------------------------------------------------

@T.test(timeout=120)
def curl_odd_messages_and_dele(srv):
    curl = T.need_prog("curl")
    deliver_all(srv, ODD)
    url = "pop3s://127.0.0.1:%d/" % srv.port
    base = [curl, "-sS", "-k", "-m", "60", "--user", "alice:pw1"]
    stored = []
    for i in range(1, len(ODD) + 1):
        r = subprocess.run(base + [url + str(i)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=90)
        T.expect((r.returncode, r.stderr), (0, b""), "curl RETR %d" % i)
        stored.append(r.stdout)
    check_stored(stored, ODD, "curl")
    # DELE with -I (no body expected), then the list is one shorter.
    r = subprocess.run(base + ["-I", "-X", "DELE", url + "1"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=90)
    T.expect(r.returncode, 0, "curl DELE")
    T.pop_when_free(srv).quit()
    T.expect(maildir_count(srv), len(ODD) - 1, "curl DELE removed one")


# --- by hand ----------------------------------------------------------------

def b64(raw):
    return base64.b64encode(raw).decode()


@T.test
def auth_plain_rfc5034(srv):
    srv.deliver("alice", b"Subject: a\n\na\n")
    ok = b"+OK maildrop has 1 messages"
    with srv.raw() as r:
        r.line()
        T.expect(r.cmd("CAPA")[:3], b"+OK", "CAPA")
        T.expect_true(b"SASL PLAIN" in r.multiline(), "CAPA SASL PLAIN")
        # Cancel, bad base64, unknown mechanism, authzid of another user,
        # empty response: -ERR each time, the session goes on.
        T.expect(r.cmd("AUTH PLAIN"), b"+ ", "continuation")
        T.expect(r.cmd("*")[:4], b"-ERR", "\"*\" cancels")
        for resp in ("!!!!", "=", "AGFsaWNlAHB3MQ", b64(b"\0alice\0"),
                     b64(b"bob\0alice\0pw1")):
            T.expect(r.cmd("AUTH PLAIN"), b"+ ", "continuation")
            T.expect(r.cmd(resp)[:11], b"-ERR [AUTH]", "response %r" % resp)
        T.expect(r.cmd("AUTH PLAIN " + b64(b"\0alice\0pw1")[:-1])[:11],
                 b"-ERR [AUTH]", "bad initial response")
        T.expect(r.cmd("AUTH CRAM-MD5")[:4], b"-ERR", "unknown mechanism")
        T.expect(r.cmd("AUTH PLAIN " + b64(b"\0alice\0wrong"))[:11],
                 b"-ERR [AUTH]", "wrong password")
        # Continuation, authzid equal to the user: logged in.
        T.expect(r.cmd("auth plain"), b"+ ", "continuation")
        T.expect(r.cmd(b64(b"alice\0alice\0pw1"))[:len(ok)], ok,
                 "AUTH PLAIN with authzid = authcid")
        T.expect(r.cmd("AUTH PLAIN")[:4], b"-ERR", "AUTH after login")
        T.expect(r.cmd("QUIT")[:3], b"+OK", "QUIT")
    # Initial response with commands pipelined behind it.
    with srv.raw() as r:
        r.line()
        r.send("AUTH PLAIN %s\r\nSTAT\r\nUIDL 1\r\nQUIT\r\n"
               % b64(b"\0alice\0pw1"))
        T.expect(r.line()[:len(ok)], ok, "initial response")
        T.expect(r.line()[:5], b"+OK 1", "pipelined STAT")
        T.expect(r.line()[:5], b"+OK 1", "pipelined UIDL 1")
        T.expect(r.line()[:3], b"+OK", "pipelined QUIT")


@T.test
def drop_mid_retr_keeps_everything(srv):
    srv.deliver("alice", b"Subject: small\n\nsmall\n", name="1000.a")
    srv.deliver("alice", ODD["big"], name="1001.big")
    with srv.raw() as r:
        r.line()
        r.cmd("USER alice")
        T.expect(r.cmd("PASS pw1")[:3], b"+OK", "login")
        T.expect(r.cmd("DELE 1")[:3], b"+OK", "DELE 1")
        T.expect(r.cmd("RETR 2")[:3], b"+OK", "RETR 2")
        r.read_exact(200000)
    # Dropped with most of the 10 MB unsent: no UPDATE.
    T.pop_when_free(srv).quit()
    md = srv.maildir("alice")
    T.expect(sorted(os.listdir(os.path.join(md, "new"))),
             ["1000.a", "1001.big"], "new/ untouched")
    T.expect(os.listdir(os.path.join(md, "cur")), [], "cur/ untouched")


if __name__ == "__main__":
    T.main()
