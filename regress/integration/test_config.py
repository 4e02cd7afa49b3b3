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

"""popd.conf(5) end to end: popd -n on good and bad files, -n -v, done
by confpop (popd execs it; the daemon holds none of its code), a
reload that changes a limit, SNI choosing the certificate, and the
features only the file turns on: EXPIRE, LOGIN-DELAY, LAST.  Also the
messages a new admin meets: -P typed by hand, a staged (DESTDIR) copy
run in place, a command line that names no listener."""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402


def popd(args, timeout=20):
    r = subprocess.run([T.POPD] + args, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace")


def capa_of(srv):
    """The CAPA list before login, one line per capability."""
    with srv.raw() as r:
        r.line()
        T.expect(r.cmd(b"CAPA")[:3], b"+OK", "CAPA")
        return b"\n".join(r.multiline())


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


@T.test(start=False)
def check_good_file(srv):
    """popd -n: "configuration OK", exit 0; -n -v prints it back."""
    if srv.port is None:
        srv.port = T.free_port()
    text, _ = srv.config()
    conf = write(os.path.join(srv.tmpdir, "good.conf"), text)
    rc, out = popd(["-n", "-f", conf])
    T.expect((rc, out.strip()), (0, "configuration OK"), "popd -n")
    rc, out = popd(["-n", "-v", "-f", conf])
    T.expect(rc, 0, "popd -n -v exit status")
    T.expect_true('authtab "%s"' % srv.authtab in out and
                  "listen on" in out and "timeout idle" in out and
                  out.rstrip().endswith("configuration OK"),
                  "the effective configuration, then OK", out)
    # What -n -v prints is itself a good configuration.
    printed = write(os.path.join(srv.tmpdir, "printed.conf"),
                    out.rsplit("configuration OK", 1)[0])
    rc, out2 = popd(["-n", "-f", printed])
    T.expect((rc, out2.strip()), (0, "configuration OK"),
             "popd -n on its own output")


@T.test(start=False)
def one_shot_modes_run_confpop(srv):
    """popd -n and -m are confpop's (confpop/): the daemon's binary
    holds none of their code, popd execs confpop with its own arguments
    (-n -v prints the configuration, -m the report), and a popd whose
    confpop is missing says so, naming the path it looked for."""
    srv.port = T.free_port()
    text, _ = srv.config()
    conf = write(os.path.join(srv.tmpdir, "c.conf"), text)
    nm = subprocess.run(["nm", T.POPD], stdout=subprocess.PIPE,
                        check=True).stdout.decode()
    syms = set(ln.split()[-1] for ln in nm.splitlines() if ln.strip())
    T.expect(sorted(syms & {"conf_print", "migration_report",
                            "users_kinds", "users_passwords",
                            "certs_warn"}), [],
             "one-shot modes' code in the daemon")
    T.expect_true("conf_print" in subprocess.run(
        ["nm", T.CONFPOP], stdout=subprocess.PIPE,
        check=True).stdout.decode(), "confpop prints the configuration")
    # Printed by confpop, with every argument popd was given (-s too).
    sock = os.path.join(srv.tmpdir, "other.sock")
    rc, out = popd(["-n", "-v", "-s", sock, "-f", conf])
    T.expect(rc, 0, "popd -n -v exit status (%s)" % out)
    T.expect_true('authtab "%s"' % srv.authtab in out and
                  'control socket "%s"' % sock in out and
                  out.rstrip().endswith("configuration OK"),
                  "popd -n -v prints the configuration", out)
    srv.deliver("alice", b"Subject: a\r\n\r\nx\r\n")
    rc, out = popd(["-m", "-f", conf])
    T.expect_true(rc == 0 and "passwords:" in out and
                  re.search(r"(?m)^alice: .*popd's own UIDLs", out),
                  "popd -m's report (%d)" % rc, out)
    # A build tree without confpop: popd names the path it looked for.
    top = os.path.join(srv.tmpdir, "build")
    os.makedirs(os.path.join(top, "popd"))
    shutil.copy(T.POPD, os.path.join(top, "popd", "popd"))
    for args in (["-n", "-f", conf], ["-m", "-f", conf]):
        r = subprocess.run([os.path.join(top, "popd", "popd")] + args,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=20)
        out = r.stdout.decode(errors="replace")
        T.expect(r.returncode, 1, "exit status without confpop")
        T.expect_true(os.path.join(top, "confpop", "confpop") + ":" in out
                      and "No such file or directory" in out and
                      "configuration OK" not in out,
                      "names the missing confpop", out)


@T.test(start=False)
def check_bad_file_names_every_error(srv):
    srv.port = T.free_port()
    conf = write(os.path.join(srv.tmpdir, "bad.conf"),
                 'authtab "%s"\n'
                 'usertab "%s"\n'
                 'pki a cert "%s"\n'
                 'pki a key "%s"\n'
                 'listen on 127.0.0.1 port %d tls\n'
                 'timeout idle 5m\n'
                 'limit sessions lots\n'
                 'frobnicate yes\n'
                 % (srv.authtab, srv.usertab, srv.cert, srv.key, srv.port))
    rc, out = popd(["-n", "-f", conf])
    T.expect(rc, 1, "exit status")
    for line in (6, 7, 8):
        T.expect_true(re.search(r"(?m)^%s:%d: " % (re.escape(conf), line),
                                out), "an error for line %d" % line, out)
    T.expect_true("configuration OK" not in out, "no OK", out)


@T.test(start=False)
def check_bad_tables_and_certificate(srv):
    """Every table's bad lines at once, each checked by its authcheck,
    all of them running together: usertab's, quota users' and junk
    users', each named file:line, and each table not loaded."""
    srv.port = T.free_port()
    text, _ = srv.config()
    # A name popd refuses: no user to refuse alone, the file is bad.
    with open(srv.usertab, "a") as f:
        f.write("ro/ot 1:1:/root\n")
    quota = write(os.path.join(srv.tmpdir, "quota-users"),
                  "alice 1M\nbob lots\n")
    junk = write(os.path.join(srv.tmpdir, "junk-users"),
                 "alice none\ncarol Junk frobnicate\n")
    conf = write(os.path.join(srv.tmpdir, "t.conf"), text +
                 'quota users "%s"\njunk users "%s"\n' % (quota, junk))
    rc, out = popd(["-n", "-f", conf])
    T.expect(rc, 1, "exit status with a bad name in usertab")
    T.expect_true(srv.usertab + ":" in out, "names usertab:line", out)
    for want in (quota + ":2: ", junk + ":2: ",
                 'usertab "%s": not loaded' % srv.usertab,
                 'quota users "%s": not loaded' % quota,
                 'junk users "%s": not loaded' % junk):
        T.expect_true(want in out, "reported: %s" % want, out)


@T.test(start=False)
def programs_hold_their_own_checks(srv):
    """Each program holds the checks of the messages it receives, and
    no other's (proto.c built per program): what it sends is checked
    where it arrives.  The pre-login listener and authpop have none of
    the parent's talk with lmtp, control or dlvrpop; the parent has
    none of the messages it only sends (a wrkrpop's MSG_PARENT_WORKER,
    authpop's sessions, control's records), and not even the
    declarations of the channels between two children (peers.c),
    which a wrkrpop, talking to the parent alone, has none of either.
    wrkrpop and dlvrpop check the settings a session reads, which come
    with their session; the listener and authpop, which never get them,
    link no such check."""
    own = {T.LISTENER: "valid_signed", T.AUTHPOP: "valid_session",
           T.POPD: "valid_ctlreq"}
    sent = {T.LISTENER: ("valid_sign",), T.AUTHPOP: ("valid_login",),
            T.POPD: ("valid_worker", "valid_session", "valid_ctlsessions",
                     "valid_pki")}
    others = ("valid_rcpt", "valid_deliver", "valid_ctlreq", "valid_job",
              "valid_table")
    for prog, mine in own.items():
        nm = subprocess.run(["nm", prog], stdout=subprocess.PIPE,
                            check=True).stdout.decode()
        syms = set(ln.split()[-1] for ln in nm.splitlines() if ln.strip())
        T.expect_true(mine in syms, "%s holds %s" % (prog, mine))
        T.expect(sorted(syms & set(sent[prog])), [],
                 "checks of what %s only sends" % prog)
        T.expect("peers_decls" in syms, prog != T.POPD,
                 "%s holds the children's channels (peers.c)" % prog)
        if prog != T.POPD:
            T.expect(sorted(syms & set(others)), [],
                     "other processes' checks in %s" % prog)
    # One popd: LMTP's recipients and the health ports always built in.
    nm = subprocess.run(["nm", T.POPD], stdout=subprocess.PIPE,
                        check=True).stdout.decode()
    syms = set(ln.split()[-1] for ln in nm.splitlines() if ln.strip())
    for name in ("valid_rcpt", "valid_dlvrpop", "rcpt_found", "probe_tick",
                 "health_push"):
        T.expect_true(name in syms, "popd holds %s" % name)
    # A wrkrpop talks to the parent alone.
    nm = subprocess.run(["nm", T.WRKRPOP], stdout=subprocess.PIPE,
                        check=True).stdout.decode()
    T.expect("peers_decls" in nm, False, "wrkrpop holds no peers.c")
    # A session's settings (uidl-format, expire, ...) are checked where
    # a maildir is worked on, and only there (invariant 6).
    for prog, holds in ((T.WRKRPOP, True), (T.DLVRPOP, True),
                        (T.LISTENER, False), (T.AUTHPOP, False)):
        nm = subprocess.run(["nm", prog], stdout=subprocess.PIPE,
                            check=True).stdout.decode()
        T.expect(" settings_check_worker" in nm, holds,
                 "%s checks a session's settings" % prog)


@T.test(start=False)
def programs_bind_at_start(srv):
    """Every program binds its library symbols at start (-z now) with a
    read-only GOT (relro): no lazy binding runs while a process holds a
    password or a key, which would save the registers holding it on the
    stack, where no explicit_bzero reaches."""
    readelf = T.need_prog("readelf")
    progs = (["%s/%s" % (p, p) for p in T.PROGRAMS] +
             ["mda/mda", "popctl/popctl", "popdpass/popdpass"])
    for prog in (os.path.join(T.REPO, p) for p in progs):
        out = subprocess.run([readelf, "-d", "-l", prog],
                             stdout=subprocess.PIPE, check=True
                             ).stdout.decode()
        T.expect_true("BIND_NOW" in out and "GNU_RELRO" in out,
                      "%s: -z now and relro" % os.path.relpath(prog, T.REPO))

@T.test(start=False)
def root_parses_no_certificate(srv):
    """Issue 53: the parent reads the pki files but parses none of them:
    popd holds no pki_check, no pki_tls and none of libtls's calls (the
    grammar's check of tls protocols is confpop's); keypop holds pki_check (its
    check mode, keypop -c: no third program holds a key), the listener
    pki_tls."""
    def syms(prog):
        nm = subprocess.run(["nm", prog], stdout=subprocess.PIPE,
                            check=True).stdout.decode()
        return set(ln.split()[-1].split("@")[0] for ln in nm.splitlines()
                   if ln.strip())
    popd = syms(T.POPD)
    T.expect(sorted(s for s in popd if s in ("pki_check", "pki_tls") or
                    s.startswith("tls_")), [],
             "certificate parsing in popd")
    T.expect_true("pki_verdict" in popd, "popd reads keypop -c's verdict")
    T.expect_true("pki_check" in syms(os.path.join(T.REPO, "keypop",
                                                   "keypop")),
                  "keypop holds pki_check")
    T.expect_true("pki_tls" in syms(T.LISTENER), "the listener, pki_tls")


@T.test
def parent_parses_nothing(srv):
    """Issue 71: the parent holds no parser of popd.conf: confpop -C,
    read-only, parses and checks it at start and at each reload, and
    the parent takes what it writes back as a message (conf_unimage).
    A reload of a file with an error keeps the old configuration, and
    popctl and the log name the error as confpop said it."""
    def syms(prog):
        nm = subprocess.run(["nm", prog], stdout=subprocess.PIPE,
                            check=True).stdout.decode()
        return set(ln.split()[-1] for ln in nm.splitlines() if ln.strip())
    grammar = {"parse_config", "yyparse", "conf_check", "cmdline_symset",
               "flags_conf"}
    popd = syms(T.POPD)
    T.expect(sorted(popd & grammar), [], "the grammar in popd")
    T.expect_true("conf_unimage" in popd, "popd reads confpop's image")
    confpop = syms(os.path.join(T.REPO, "confpop", "confpop"))
    T.expect(sorted(grammar - confpop), [], "the grammar not in confpop")
    with open(srv.conffile) as f:
        good = f.read()
    n = len(good.splitlines()) + 1
    write(srv.conffile, good + "limit sessions nonsense\n")
    rc, out, err = srv.popctl("reload")
    T.expect(rc, 1, "popctl reload of a bad file: %s %s" % (out, err))
    T.expect_true("%s:%d: syntax error" % (srv.conffile, n) in out + err,
                  "popctl names the line", out + err)
    T.expect_true("%s:%d: syntax error" % (srv.conffile, n) in srv.log(),
                  "the log names the line", srv.log_tail(10))
    srv.pop("alice").quit()
    write(srv.conffile, good.replace("listen on", "limit sessions 7\n"
                                     "listen on", 1))
    rc, out, err = srv.popctl("reload")
    T.expect(rc, 0, "popctl reload of a good file: %s %s" % (out, err))
    srv.pop("alice").quit()


@T.test(start=False, timeout=180)
def confpop_lies_or_hangs(srv):
    """The parent takes confpop -C's configuration as a less privileged
    process's message: a confpop that writes what is no image, an image
    larger than CONF_IMAGEMAX (4 MB: cut short, it ends on SIGPIPE), or
    that never ends (CONF_WAIT,
    30 s: killed), leaves popd refusing to start, saying why; one that
    fails has its own words logged as it said them."""
    srv.port = T.free_port()
    text, _ = srv.config()
    conf = write(os.path.join(srv.tmpdir, "c.conf"), text)
    top = os.path.join(srv.tmpdir, "build")
    T.copy_programs(top)
    fake = os.path.join(top, "confpop", "confpop")
    for body, want in (
            ("printf 'no image' >&3", "the configuration's image: "
             "truncated"),
            ("exec 0<&- 1>&- 2>&-; head -c 8388608 /dev/zero >&3",
             "the configuration is "
             "larger than 4194303 bytes"),
            ("echo 'c.conf:7: as confpop said it' >&2; exit 1",
             "c.conf:7: as confpop said it"),
            ("exec sleep 600", "took too long: killed")):
        os.unlink(fake)
        write(fake, "#!/bin/sh\n%s\n" % body)
        os.chmod(fake, 0o755)
        started = time.monotonic()
        r = subprocess.run([os.path.join(top, "popd", "popd"), "-d", "-f",
                            conf], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=90)
        out = r.stdout.decode(errors="replace")
        T.expect(r.returncode, 1, "popd's exit status (%s): %s"
                 % (body, out))
        T.expect_true(want in out, "popd says why (%s)" % body, out)
        if body.startswith("exec sleep"):
            T.expect_true(25 < time.monotonic() - started < 60,
                          "killed after CONF_WAIT", out)


@T.test(start=False)
def authtab_read_by_authpop(srv):
    """The parent reads no password hash: the popd binary holds no
    parser of hashes or app password records, and popd -n's errors in
    authtab, found by authpop -n, name authtab's file and line, and a
    user usertab lacks."""
    nm = subprocess.run(["nm", T.POPD], stdout=subprocess.PIPE,
                        check=True).stdout.decode()
    T.expect([ln for ln in nm.splitlines()
              if re.search(r"pwscheme|apppass|appfile", ln)], [],
             "hash and record parsers in the popd binary")
    srv.port = T.free_port()
    text, _ = srv.config()
    with open(srv.authtab, "a") as f:
        f.write("mallory {SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n")
    conf = write(os.path.join(srv.tmpdir, "t.conf"), text)
    rc, out = popd(["-n", "-f", conf])
    with open(srv.authtab) as f:
        line = len(f.read().splitlines())
    T.expect(rc, 1, "exit status with a weak hash in authtab")
    T.expect_true('%s:%d: "mallory" has a weak {SHA} hash' % (srv.authtab,
                                                              line) in out,
                  "names authtab:line and why", out)
    with open(srv.authtab, "a") as f:
        f.write("mallory %s\n" % T.make_hash("x"))
    with open(srv.authtab) as f:
        lines = f.read().splitlines()
    write(srv.authtab, "\n".join(lines[:-2] + lines[-1:]) + "\n")
    rc, out = popd(["-n", "-f", conf])
    T.expect(rc, 1, "exit status with a user usertab lacks")
    T.expect_true('%s:%d: user "mallory" is not in %s' % (
        srv.authtab, line, srv.usertab) in out, "names the user", out)


def fifo_conf(srv, kind):
    """A configuration of srv in which kind ("include", "authtab",
    "usertab", "cert" or "key") names a FIFO; (conf, fifo, line of the
    statement that names it)."""
    fifo = os.path.join(srv.tmpdir, kind + ".fifo")
    os.mkfifo(fifo)
    text, _ = srv.config()
    lines = text.splitlines()
    for i, ln in enumerate(lines):
        if kind in ("authtab", "usertab") and ln.startswith(kind + " "):
            lines[i] = '%s "%s"' % (kind, fifo)
            break
        if kind in ("cert", "key") and ln.startswith("pki test " + kind):
            lines[i] = 'pki test %s "%s"' % (kind, fifo)
            break
    else:
        lines.append('include "%s"' % fifo)
        i = len(lines) - 1
    conf = write(os.path.join(srv.tmpdir, kind + ".conf"),
                 "\n".join(lines) + "\n")
    return conf, fifo, i + 1


def check_fifo(srv, kind):
    """popd -n on a configuration with a FIFO: a prompt refusal that
    names the FIFO and the popd.conf line, exit 1."""
    srv.port = T.free_port()
    conf, fifo, line = fifo_conf(srv, kind)
    try:
        rc, out = popd(["-n", "-f", conf], timeout=10)
    except subprocess.TimeoutExpired:
        raise AssertionError("popd -n blocks on the FIFO %s" % fifo)
    T.expect(rc, 1, "exit status")
    T.expect_true(fifo + "\": not a regular file" in out or
                  fifo + ": not a regular file" in out,
                  "names the FIFO and says why", out)
    T.expect_true(re.search(r"(?m)^%s:%d: .*%s" % (re.escape(conf), line,
                                                   re.escape(fifo)), out),
                  "names the popd.conf line %d" % line, out)
    T.expect_true("configuration OK" not in out, "no OK", out)


@T.test(start=False)
def check_fifo_include(srv):
    check_fifo(srv, "include")
    # The file itself, too.
    fifo = os.path.join(srv.tmpdir, "include.fifo")
    rc, out = popd(["-n", "-f", fifo], timeout=10)
    T.expect((rc, fifo + ": not a regular file" in out), (1, True),
             "popd -n -f FIFO: %s" % out)


@T.test(start=False)
def check_fifo_table(srv):
    check_fifo(srv, "authtab")


@T.test(start=False)
def check_fifo_usertab(srv):
    check_fifo(srv, "usertab")


@T.test(start=False)
def check_fifo_certificate(srv):
    check_fifo(srv, "cert")


@T.test(start=False)
def check_fifo_key(srv):
    check_fifo(srv, "key")


@T.test(start=False)
def check_pki_errors_name_the_line(srv):
    """A missing certificate or key: the file and the pki statement."""
    srv.port = T.free_port()
    text, _ = srv.config()
    for kind in ("cert", "key"):
        missing = os.path.join(srv.tmpdir, "missing." + kind)
        lines = text.splitlines()
        line = [i for i, ln in enumerate(lines, 1)
                if ln.startswith("pki test " + kind)][0]
        lines[line - 1] = 'pki test %s "%s"' % (kind, missing)
        conf = write(os.path.join(srv.tmpdir, kind + ".conf"),
                     "\n".join(lines) + "\n")
        rc, out = popd(["-n", "-f", conf])
        T.expect(rc, 1, "exit status, missing " + kind)
        want = '%s:%d: pki test %s "%s": No such file or directory' % (
            conf, line, kind, missing)
        T.expect_true(want in out, "expected %r" % want, out)


@T.test(start=False)
def check_singletons_given_twice(srv):
    """A second authtab or usertab is an error naming both lines."""
    srv.port = T.free_port()
    text, _ = srv.config()
    conf = write(os.path.join(srv.tmpdir, "twice.conf"), text +
                 'authtab "/etc/other/authtab"\n'
                 'usertab "/etc/other/usertab"\n')
    n = len(text.splitlines())
    rc, out = popd(["-n", "-f", conf])
    T.expect(rc, 1, "exit status")
    for kind, first, second in (("authtab", 1, n + 1),
                                ("usertab", 2, n + 2)):
        want = "%s:%d: %s given twice, first at %s:%d" % (
            conf, second, kind, conf, first)
        T.expect_true(want in out, "expected %r" % want, out)


@T.test(start=False)
def check_syntax_error_names_the_word(srv):
    srv.port = T.free_port()
    text, _ = srv.config()
    conf = write(os.path.join(srv.tmpdir, "syntax.conf"), text +
                 "frobnicate yes\nlisten on 127.0.0.1 port tls\n"
                 "authtab\nlistn on *\n")
    n = len(text.splitlines())
    rc, out = popd(["-n", "-f", conf])
    T.expect(rc, 1, "exit status")
    # A statement's unknown first word is named, not the next one.
    for line, near in ((n + 1, ': unknown keyword "frobnicate"'),
                       (n + 2, 'near "tls"'), (n + 3, "at end of line"),
                       (n + 4, ': unknown keyword "listn"')):
        want = "%s:%d: syntax error%s%s" % (conf, line,
                                           "" if near[0] == ":" else " ",
                                           near)
        T.expect_true(want in out, "expected %r" % want, out)


@T.test(start=False)
def check_nul_byte(srv):
    """A NUL byte ends nothing silently: maildir "Maildir\\0/../../etc"
    is not maildir "Maildir"."""
    srv.port = T.free_port()
    text, _ = srv.config()
    n = len(text.splitlines())
    for bad in (b"maildir Maildir\0/../../etc\n",
                b'maildir "Maildir\0/../../etc"\n'):
        conf = os.path.join(srv.tmpdir, "nul.conf")
        with open(conf, "wb") as f:
            f.write(text.encode() + bad + b"last yes\n")
        rc, out = popd(["-n", "-v", "-f", conf])
        T.expect(rc, 1, "exit status for %r" % bad)
        want = "%s:%d: NUL byte" % (conf, n + 1)
        T.expect_true(want in out, "expected %r" % want, out)


@T.test(start=False)
def check_macro_newline_loop(srv):
    """-D a=<newline>$a: an error, not an endless loop."""
    srv.port = T.free_port()
    text, _ = srv.config()
    n = len(text.splitlines())
    conf = write(os.path.join(srv.tmpdir, "macro.conf"),
                 text + "listen on $a port %d tls\n" % T.free_port())
    for value in ("x\n$a", "\n$a", "$a\n"):
        try:
            rc, out = popd(["-n", "-D", "a=" + value, "-f", conf],
                           timeout=10)
        except subprocess.TimeoutExpired:
            raise AssertionError("popd -n -D a=%r loops" % value)
        T.expect(rc, 1, "exit status for -D a=%r" % value)
        want = '%s:%d: macro "a": the value has a newline' % (conf, n + 1)
        T.expect_true(want in out, "expected %r" % want, out)


@T.test(start=False)
def usertab_may_not_name_daemon_uids(srv):
    T.need_root()
    import pwd
    srv.port = T.free_port()
    text, _ = srv.config()
    conf = write(os.path.join(srv.tmpdir, "d.conf"), text)
    for daemon in ("_pop3d", "_pop3auth"):
        pe = pwd.getpwnam(daemon)
        with open(srv.usertab) as f:
            good = f.read()
        with open(srv.usertab, "a") as f:
            f.write("mallory %d:%d:/tmp\n" % (pe.pw_uid, pe.pw_gid))
        with open(srv.authtab, "a") as f:
            f.write("mallory %s\n" % T.make_hash("x"))
        rc, out = popd(["-n", "-f", conf])
        T.expect(rc, 1, "exit status with the uid of " + daemon)
        T.expect_true(srv.usertab + ":" in out and daemon in out,
                      "names the line and the daemon user", out)
        with open(srv.usertab, "w") as f:
            f.write(good)
        with open(srv.authtab) as f:
            lines = [ln for ln in f if not ln.startswith("mallory")]
        with open(srv.authtab, "w") as f:
            f.write("".join(lines))


@T.test(start=False)
def usertab_may_not_name_secret_groups(srv):
    """Issue 69: gid 42 (shadow) or a daemon's group (_pop3table's reads
    the table configurations) in usertab: popd -n refuses the file,
    naming the line and the group (usertab(5)'s rule)."""
    T.need_root()
    import grp
    import pwd
    srv.port = T.free_port()
    text, _ = srv.config()
    conf = write(os.path.join(srv.tmpdir, "g.conf"), text)
    uid = srv.uid("alice")
    with open(srv.usertab) as f:
        good = f.read()
    with open(srv.authtab) as f:
        goodauth = f.read()
    for gid, what in ((grp.getgrnam("shadow").gr_gid, "the group shadow"),
                      (pwd.getpwnam("_pop3table").pw_gid,
                       "the group of _pop3table"),
                      (pwd.getpwnam("_pop3d").pw_gid,
                       "the group of _pop3d")):
        n = len(good.splitlines()) + 1
        with open(srv.usertab, "w") as f:
            f.write(good + "mallory %d:%d:/tmp\n" % (uid, gid))
        with open(srv.authtab, "w") as f:
            f.write(goodauth + "mallory %s\n" % T.make_hash("x"))
        rc, out = popd(["-n", "-f", conf])
        T.expect(rc, 1, "exit status with gid %d" % gid)
        want = "%s:%d: user mallory: gid %d is %s" % (srv.usertab, n, gid,
                                                      what)
        T.expect_true(want in out, "names the line and the group",
                      (want, out))
    with open(srv.usertab, "w") as f:
        f.write(good)
    with open(srv.authtab, "w") as f:
        f.write(goodauth)
    rc, out = popd(["-n", "-f", conf])
    T.expect(rc, 0, "the good files: %s" % out)


@T.test(start=False)
def default_file_missing_says_so(srv):
    if os.path.exists("/etc/popd.conf"):
        raise T.Skip("/etc/popd.conf exists here")
    rc, out = popd([])
    T.expect(rc, 1, "exit status")
    T.expect_true("/etc/popd.conf" in out and "usage: popd" in out,
                  "names the missing file and prints the usage", out)


@T.test(start=False)
def flags_and_file_exclusive(srv):
    rc, out = popd(["-f", "/nonexistent", "-a", srv.authtab])
    T.expect(rc, 1, "exit status")
    T.expect_true("-f cannot be combined" in out, "says why", out)


@T.test(start=False)
def missing_flags_named(srv):
    rc, out = popd(["-a", srv.authtab, "-u", srv.usertab])
    T.expect(rc, 1, "exit status")
    T.expect_true("missing -c certfile, -k keyfile" in out, "names them",
                  out)
    rc, out = popd(["-a", srv.authtab, "-u", srv.usertab, "-c", srv.cert,
                    "-k", srv.key])
    T.expect_true("nothing to listen on" in out and "usage:" in out,
                  "says a listener is missing", out)


@T.test(start=False)
def roles_run_by_hand_speak(srv):
    """The parent's children are programs of their own: one run by hand
    (no channel from popd) says who starts it; popd has no role flag."""
    for prog, name in ((T.LISTENER, "listener"), (T.LMTP, "lmtp"),
                       (T.CONTROL, "control"),
                       (os.path.join(T.REPO, "keypop", "keypop"), "keypop")):
        r = subprocess.run([prog], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=20)
        out = r.stdout.decode(errors="replace")
        T.expect(r.returncode, 1, "%s: exit status" % name)
        T.expect_true(out.startswith("usage: %s [-dVv]\n" % name) and
                      "started by popd" in out, "%s explains" % name, out)
    rc, out = popd(["-P", "listener"])
    T.expect(rc, 1, "popd -P: exit status")
    T.expect_true("usage: popd" in out, "popd -P: its usage", out)
    # Nor any of their code: no symbol of popd's is defined in their
    # folders (nm -l names each one's file).
    nm = subprocess.run(["nm", "-l", "--defined-only", T.POPD],
                        stdout=subprocess.PIPE, check=True).stdout.decode()
    theirs = [ln for ln in nm.splitlines()
              if re.search(r"\t.*/(listener|lmtp|control|keypop)/[^/]*:",
                           ln)]
    T.expect(theirs, [], "the children's code in popd")
    T.expect_true(re.search(r"\t.*/popd/supervise\.c:", nm) is not None,
                  "nm -l names popd's own files", nm[:300])


@T.test(start=False)
def staged_copy_names_libexecdir(srv):
    srv.port = T.free_port()
    stage = os.path.join(srv.tmpdir, "stage", "usr", "local", "sbin")
    os.makedirs(stage)
    shutil.copy(T.POPD, stage)
    text, _ = srv.config()
    conf = write(os.path.join(srv.tmpdir, "s.conf"), text)
    r = subprocess.run([os.path.join(stage, "popd"), "-n", "-f", conf],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=20)
    out = r.stdout.decode(errors="replace")
    T.expect(r.returncode, 1, "exit status")
    T.expect_true("LIBEXECDIR" in out and "not where it was installed" in
                  out, "says where the helpers are expected", out)


@T.test(conf_extra="limit failures 3\n")
def reload_changes_a_limit(srv):
    def failures_until_close():
        with srv.raw() as r:
            r.line()
            for n in range(1, 6):
                r.cmd(b"USER alice")
                resp = r.cmd(b"PASS nope")
                if b"too many" in resp:
                    return n
        return None
    T.expect(failures_until_close(), 3, "failures before the close")
    srv.conf_extra = "limit failures 1\n"
    text, _ = srv.config()
    write(srv.conffile, text)
    srv.reload()
    srv.wait_log("reloaded " + srv.conffile)
    T.expect(failures_until_close(), 1, "failures after the reload")
    # A bad file keeps the old configuration, and says why.
    write(srv.conffile, text + "limit failures 0\n")
    srv.reload()
    srv.wait_log("has errors, keeping the old configuration")
    T.expect(failures_until_close(), 1, "failures after a bad reload")
    # A new listen address needs a restart: said in the log.
    port = T.free_port()
    write(srv.conffile, text + "listen on 127.0.0.1 port %d tls\n" % port)
    srv.reload()
    srv.wait_log("port %d: not bound until a restart" % port)


@T.test(start=False)
def one_popd_for_every_option(srv):
    """One popd serves every site: with an lmtp and a health socket it
    runs as itself, no other image (issue 89).  Without a health port it
    refuses popctl drain, which only health ports say."""
    srv.start()
    rc, out, err = srv.popctl("drain")
    T.expect_true(rc != 0 and "no health port" in err,
                  "popctl drain without a health port", (rc, out, err))
    srv.stop()
    hport = T.free_port()
    srv.conf_extra = ('listen on 127.0.0.1 port %d health\n'
                      'listen on socket "%s" lmtp\n'
                      % (hport, os.path.join(srv.tmpdir, "lmtp.sock")))
    srv.start()
    exe = os.path.realpath("/proc/%d/exe" % srv.proc.pid)
    T.expect(exe, os.path.realpath(T.POPD), "the parent's program")
    T.expect(T.proc_cmdline(srv.proc.pid), "popd: parent",
             "what ps says of it")
    rc, out, err = srv.popctl("drain")
    T.expect(rc, 0, "popctl drain with a health port: %s" % err)
    T.wait_for(lambda: T.health_line(hport).startswith("draining"),
               what="the health port saying draining")


def http_get(port, method="GET", path="/health"):
    """A health port's HTTP answer: (status, body)."""
    c = http.client.HTTPConnection(T.HOST, port, timeout=5)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def read_all(s, timeout):
    """What s reads to its close (a reset too); None if still open."""
    s.settimeout(timeout)
    out = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return out
            out += d
    except ConnectionResetError:
        return out
    except socket.timeout:
        return None


@T.test(start=False)
def health_http_answers(srv):
    """Issue 88: listen ... health http answers a GET 200 with the line
    when up, 503 when draining (popctl drain, or popd stopping with a
    session open), a HEAD without the body, anything else 400.  A slow
    request is closed unanswered within 2 s, a huge one after 1024 bytes
    (a 400, or a reset for the bytes left unread), and 40 held open do not keep a probe out."""
    hport = T.free_port()
    srv.conf_extra = "listen on 127.0.0.1 port %d health http\n" % hport
    srv.start()
    T.expect(http_get(hport), (200, "up 0\n"), "GET when up")
    T.expect(http_get(hport, "HEAD"), (200, ""), "HEAD when up")
    T.expect(http_get(hport, "POST")[0], 400, "POST")
    slow = socket.create_connection((T.HOST, hport))
    slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    t0 = time.monotonic()
    T.expect(read_all(slow, 5), b"", "a slow request: closed, unanswered")
    T.expect_true(time.monotonic() - t0 < 3, "within 2 s",
                  time.monotonic() - t0)
    slow.close()
    huge = socket.create_connection((T.HOST, hport))
    huge.sendall(b"GET / HTTP/1.1\r\n" + b"X: " + b"y" * 4000)
    got = read_all(huge, 5)
    T.expect_true(got is not None and (got == b"" or got.startswith(
        b"HTTP/1.1 400 ")), "a huge request: 400 or reset, closed", got)
    huge.close()
    held = [socket.create_connection((T.HOST, hport)) for _ in range(40)]
    try:
        T.expect(http_get(hport), (200, "up 0\n"), "GET past 40 held")
    finally:
        for h in held:
            h.close()
    rc, out, err = srv.popctl("drain")
    T.expect(rc, 0, "popctl drain: %s" % err)
    T.wait_for(lambda: http_get(hport)[0] == 503, 5, "503 once drained")
    T.expect(http_get(hport), (503, "draining 0\n"), "GET when drained")
    srv.popctl("undrain")
    T.wait_for(lambda: http_get(hport)[0] == 200, 5, "200 once undrained")
    p = srv.pop("alice")
    srv.proc.send_signal(signal.SIGTERM)
    T.wait_for(lambda: http_get(hport)[0] == 503, 5,
               "503 while popd stops with a session open")
    T.expect(http_get(hport)[1], "draining 1\n", "the line then")
    p.quit()
    T.expect(srv.proc.wait(10), 0, "popd's exit once the session ended")
    srv.stop()


def make_sni(srv):
    certs = {}
    for cn in ("pop.example.org", "mail.example.net"):
        c = os.path.join(srv.tmpdir, cn + ".crt")
        k = os.path.join(srv.tmpdir, cn + ".key")
        T.make_cert(c, k, cn=cn)
        certs[cn] = (c, k)
    return certs


def served_cn(port, name):
    openssl = T.need_prog("openssl")
    args = [openssl, "s_client", "-connect", "127.0.0.1:%d" % port]
    if name:
        args += ["-servername", name]
    r = subprocess.run(args, input=b"QUIT\r\n", stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=20)
    out = r.stdout.decode(errors="replace")
    m = re.search(r"subject=.*?CN\s*=\s*([^\s,/]+)", out)
    return m.group(1) if m else out


@T.test(start=False)
def sni_picks_the_certificate(srv):
    certs = make_sni(srv)
    srv.conf_extra = "".join(
        'pki %s cert "%s"\npki %s key "%s"\n' % (cn, c, cn, k)
        for cn, (c, k) in certs.items())
    srv.start()
    T.expect(served_cn(srv.port, "mail.example.net"), "mail.example.net",
             "certificate for SNI mail.example.net")
    T.expect(served_cn(srv.port, "pop.example.org"), "pop.example.org",
             "certificate for SNI pop.example.org")
    T.expect(served_cn(srv.port, None), "localhost",
             "certificate without SNI (the first pki)")
    p = srv.pop("alice")
    p.quit()


@T.test(conf_extra="last yes\n")
def last_command(srv):
    for i in range(3):
        srv.deliver("alice", b"Subject: %d\r\n\r\nbody\r\n" % i)
    with srv.raw() as r:
        r.line()
        r.cmd(b"USER alice")
        r.cmd(b"PASS pw1")
        T.expect(r.cmd(b"LAST"), b"+OK 0", "LAST before any RETR")
        r.cmd(b"RETR 2")
        r.read_until(b"\r\n.\r\n")
        T.expect(r.cmd(b"LAST"), b"+OK 2", "LAST after RETR 2")
        r.cmd(b"RSET")
        T.expect(r.cmd(b"LAST"), b"+OK 0", "LAST after RSET")
        r.cmd(b"RETR 1")
        r.read_until(b"\r\n.\r\n")
        T.expect(r.cmd(b"QUIT")[:3], b"+OK", "QUIT")
    with srv.raw() as r:
        r.line()
        r.cmd(b"USER alice")
        r.cmd(b"PASS pw1")
        # RSET undid LAST, not the retrieval: 1 and 2 are both seen.
        T.expect(r.cmd(b"LAST"), b"+OK 2", "LAST in the next session")


@T.test()
def last_off_by_default(srv):
    with srv.raw() as r:
        r.line()
        r.cmd(b"USER alice")
        r.cmd(b"PASS pw1")
        T.expect(r.cmd(b"LAST")[:4], b"-ERR", "LAST without 'last yes'")


@T.test(conf_extra="login-delay 300\n")
def login_delay_refuses_early_login(srv):
    capa = capa_of(srv)
    T.expect_true(b"LOGIN-DELAY 300" in capa, "CAPA announces it", capa)
    p = srv.pop("alice")
    p.quit()
    with srv.raw() as r:
        r.line()
        r.cmd(b"USER alice")
        resp = r.cmd(b"PASS pw1")
    T.expect_true(resp.startswith(b"-ERR [LOGIN-DELAY]"),
                  "second login within the delay", resp)
    # Another user is not affected.
    p = srv.pop("bob")
    p.quit()


@T.test(conf_extra="expire 30\n")
def expire_removes_only_after_n_days(srv):
    capa = capa_of(srv)
    T.expect_true(b"EXPIRE 30" in capa, "CAPA announces EXPIRE 30", capa)
    for i in range(3):
        srv.deliver("alice", b"Subject: %d\r\n\r\nbody %d\r\n" % (i, i))
    p = srv.pop("alice")
    uidls = [ln.split()[1] for ln in p.uidl()[1]]
    p.retr(1)
    p.retr(2)
    p.quit()
    listed = os.path.join(srv.maildir("alice"), "popd.expire")
    with open(listed) as f:
        recs = dict(ln.split() for ln in f)
    T.expect(sorted(recs), sorted(u.decode() for u in uidls[:2]),
             "retrieved messages are listed")
    # Retrieved 29 days ago: kept.  31 days ago: removed at the next QUIT.
    now = int(time.time())
    with open(listed, "w") as f:
        f.write("%s %d\n%s %d\n" % (uidls[0].decode(), now - 29 * 86400,
                                     uidls[1].decode(), now - 31 * 86400))
    p = srv.pop("alice")
    T.expect(p.stat()[0], 3, "nothing removed before UPDATE")
    p.quit()
    p = srv.pop("alice")
    left = [ln.split()[1] for ln in p.uidl()[1]]
    p.quit()
    T.expect(left, [uidls[0], uidls[2]], "only the 31-day-old one expired")


@T.test(start=False)
def plaintext_refusal_logged(srv):
    port = T.free_port()
    srv.conf_extra = "listen on 127.0.0.1 port %d starttls\n" % port
    srv.start()
    with T.Raw(port, tls=False) as r:
        r.line()
        T.expect(r.cmd(b"USER alice")[:11], b"-ERR [AUTH]", "USER in clear")
        r.cmd(b"PASS pw1")
    srv.wait_log("authpop[")
    T.wait_for(lambda: re.search(r"plaintext login refused from 127\.0\.0\.1 "
                                 r"port \d+", srv.log()), 10,
               "the refusal in the log")
    T.expect(srv.log().count("plaintext login refused"), 1,
             "logged once per session")


@T.test(conf_extra="limit bad-commands 3\n")
def bad_commands_end_the_session(srv):
    """Before login and after, each count their own invalid commands."""
    with srv.raw() as r:
        r.line()
        for junk in (b"FOO", b"STAT"):
            T.expect(r.cmd(junk)[:4], b"-ERR", "reply to %r" % junk)
        T.expect(r.cmd(b"USER alice")[:3], b"+OK", "still open after 2")
        T.expect(r.cmd(b"PASS pw1")[:3], b"+OK", "login")
        T.expect(r.cmd(b"BAR")[:4], b"-ERR", "after login: 1")
        T.expect(r.cmd(b"RETR")[:4], b"-ERR", "after login: 2")
        T.expect(r.cmd(b"STAT")[:3], b"+OK", "still open after 2")
        r.send(b"X" * 300 + b"\r\n")
        T.expect(r.line(), b"-ERR too many invalid commands, closing",
                 "the third: its one reply is the close")
        T.expect_true(r.closed(), "connection closed")
    with srv.raw() as r:
        r.line()
        r.send(b"A\r\nB\r\nC\r\nD\r\n")
        for _ in range(2):
            T.expect(r.line()[:4], b"-ERR", "garbage answered")
        T.expect(r.line(), b"-ERR too many invalid commands, closing",
                 "closed before login")
        T.expect_true(r.closed(), "connection closed")
    srv.wait_log("too many invalid commands from 127.0.0.1")


@T.test(conf_extra="timeout login 3s\n")
def login_deadline_not_extended_by_talking(srv):
    """timeout login is a deadline for AUTHORIZATION: CAPA and partial
    lines every half second do not push it back."""
    with srv.raw() as r:
        r.line()
        start = time.monotonic()
        closed_after = None
        for i in range(20):
            try:
                r.send(b"CAPA\r\n" if i % 2 else b"N")
                time.sleep(0.5)
            except OSError:
                closed_after = time.monotonic() - start
                break
            if r.closed(timeout=0.01):
                closed_after = time.monotonic() - start
                break
        T.expect_true(closed_after is not None and closed_after < 6,
                      "closed near the 3 s deadline", closed_after)
        T.expect_true(b"no login within 3 seconds" in r.buf,
                      "says why", r.buf[-200:])


@T.test()
def expire_never_by_default(srv):
    capa = capa_of(srv)
    T.expect_true(b"EXPIRE NEVER" in capa, "CAPA says EXPIRE NEVER", capa)


if __name__ == "__main__":
    T.main()
