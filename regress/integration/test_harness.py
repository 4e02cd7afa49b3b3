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

"""The harness itself (popdtest.py): a program a test needs that could
be installed here and was not makes the test fail, never skip, so that
`make test` cannot pass without running it; a skip stays for what cannot
be done here (not root) and names why; and no test runs a foreign
program by name without installing it in the same file.  And the
runner (run.py): its summary line counts tests, checks beside them,
also with -j."""

import os
import pwd
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import popdtest as T  # noqa: E402

# python3 is installed (regress/deps.sh) and holds no such program, so
# apt-get succeeds, changes nothing, and the program is still missing.
SCRIPT = """
import popdtest as T


@T.test(start=False, check_alive=False)
def needs_a_program(srv):
    T.apt_install("python3", "popd-regress-no-such-program")


T.main()
"""


def run_script(srv, user=None):
    path = os.path.join(srv.tmpdir, "test_needs.py")
    with open(path, "w") as f:
        f.write(SCRIPT)
    os.chmod(path, 0o644)
    drop = None
    if user is not None:
        def drop():
            os.setgroups([])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
    env = dict(os.environ, PYTHONPATH=os.path.join(T.REPO, "regress"),
               PYTHONDONTWRITEBYTECODE="1")
    # Debian's python3: another one may live where nobody cannot read.
    r = subprocess.run([T.find_prog("python3"), path], cwd=srv.tmpdir,
                       env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT,
                       timeout=900, preexec_fn=drop)
    return r.returncode, r.stdout.decode(errors="replace")


@T.test(start=False, check_alive=False, timeout=900)
def installable_program_missing_fails(srv):
    T.need_root()
    rc, out = run_script(srv)
    T.expect_true(out.startswith("FAIL needs_a_program: python3 could not "
                                 "be installed (no popd-regress-no-such-"
                                 "program after apt-get install"),
                  "a FAIL naming the package and the program", out)
    T.expect_true(out.rstrip().endswith("0 passed, 1 failed, 0 skipped"),
                  "counted as a failure", out)
    T.expect(rc, 1, "exit status of the test script:\n" + out)


@T.test(start=False, check_alive=False, timeout=900)
def not_root_is_a_named_skip(srv):
    """Installing is impossible without root: a skip, saying so."""
    T.need_root()
    rc, out = run_script(srv, pwd.getpwnam("nobody"))
    T.expect_true(out.startswith("skip needs_a_program: python3 is not "
                                 "installed and installing it needs root"),
                  "a named skip", out)
    T.expect(rc, 0, "exit status of the test script:\n" + out)


@T.test(start=False, check_alive=False)
def runner_counts_tests_and_checks(srv):
    """run.py -j 2 on a unit test and two files of PARALLEL: the C
    program is one test and its checks are counted beside; each file's
    tests are counted; the two files ran as a group."""
    r = subprocess.run([sys.executable, os.path.join(T.REPO, "regress",
                                                     "run.py"),
                        "-j", "2", "unit/test_addr", "test_licence",
                        "test_confinement"], cwd=srv.tmpdir,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=600)
    out = r.stdout.decode(errors="replace")
    T.expect(r.returncode, 0, "run.py's exit status:\n" + out)
    T.expect_true("=== 2 files, 2 at a time: regress/integration/"
                  "test_confinement.py regress/integration/test_licence.py"
                  in out, "the two files run together", out)
    counts = re.findall(r"^(\d+) passed, 0 failed(?:, (\d+) skipped)?$",
                        out, re.M)
    T.expect(len(counts), 3, "summaries of a unit test and two files:\n"
             + out)
    checks = int(counts[0][0])
    tests = 1 + sum(int(c[0]) for c in counts[1:])
    skipped = sum(int(c[1] or 0) for c in counts[1:])
    want = "tests: %d passed, 0 failed" % tests
    if skipped:
        want += ", %d skipped" % skipped
    want += "; checks: %d passed, 0 failed" % checks
    T.expect(out.rstrip().splitlines()[-1], want, "run.py's summary:\n"
             + out)


# Programs of no base system nor build dependency, and what in a test
# file installs each: a test that runs one by name must say it too.
FOREIGN = {
    "promtool": 'apt_install("prometheus", "promtool"',
    "prometheus": 'apt_install("prometheus"',
    "node_exporter": '"prometheus-node-exporter"',
    "nginx": "need_nginx(", "haproxy": 'apt_install("haproxy"',
    "doveadm": "need_dovecot(", "doveconf": "need_dovecot(",
    "dovecot": "need_dovecot(", "smtpd": 'need_prog("smtpd"',
    "smtpctl": 'need_prog("smtpd"', "docker": '"docker.io"',
    "ceph": '"ceph', "monmaptool": '"ceph', "psql": '"postgresql',
    "mysql": '"mariadb', "slapd": '"slapd"', "fetchmail": '"fetchmail"',
    "mpop": '"mpop"', "getmail": '"getmail6"', "curl": '"curl"',
    "bindfs": 'apt_install("bindfs"',
}
CALL_RE = re.compile(r'(?:run|Popen|check_output|check_call|call)\(\s*'
                     r'\[\s*"([A-Za-z0-9_.-]+)"')


def uninstalled_calls(path):
    """(program, line) of each call in path of a foreign program by name
    with no install of it in the same file."""
    with open(path) as f:
        text = f.read()
    found = []
    for m in CALL_RE.finditer(text):
        prog = m.group(1)
        if prog in FOREIGN and FOREIGN[prog] not in text:
            found.append((prog, text.count("\n", 0, m.start()) + 1))
    return found


@T.test(start=False, check_alive=False)
def foreign_programs_installed(srv):
    """Each integration test that runs a foreign program by name
    installs it in the same file (popdtest.apt_install, need_prog,
    need_nginx, need_dovecot): on a fresh machine it must not pass only
    where another test installed it first (issue 85: test_certs ran
    promtool so).  The scan finds a call without its install."""
    here = os.path.dirname(os.path.abspath(__file__))
    bad = []
    for name in sorted(os.listdir(here)):
        if name.startswith("test_") and name.endswith(".py"):
            bad += ["%s:%d: %s" % (name, line, prog) for prog, line in
                    uninstalled_calls(os.path.join(here, name))]
    T.expect(bad, [], "foreign programs run and not installed")
    # The scan itself finds one.
    probe = os.path.join(srv.tmpdir, "test_probe.py")
    with open(probe, "w") as f:
        f.write('subprocess.run(["promtool", "check", "metrics"])\n')
    T.expect(uninstalled_calls(probe), [("promtool", 1)], "the probe")


if __name__ == "__main__":
    T.main()
