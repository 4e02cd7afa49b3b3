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

"""Run every test layer and print one summary line

  tests: N passed, N failed[, N skipped]; checks: N passed, N failed

A test is a C program (a unit test, sbtest: its checks beside), an
integration test function, or a fuzz target; ", N skipped" when
something was skipped.  `make test` builds first; this script builds
nothing except through `make fuzz-smoke`, `make sanitize` and
`make openbsd-test`.

  regress/unit/test_*            C unit tests ("N passed, N failed")
  regress/sandbox/sbtest         sandbox tests, if built
  regress/integration/test_*.py  integration tests, one process per file
  make openbsd-test              the programs with their OpenBSD
                                 confinement over an emulation of
                                 OpenBSD's runtime in a copy of the tree,
                                 and a subset of the tests (one test)
  make sanitize                  the programs built with ASan and UBSan in
                                 a copy of the tree, and a subset of the
                                 tests run against them (one test)
  make fuzz-smoke                short fuzz run of each target of FUZZ_PROGS
                                 (one test each); a failure when clang
                                 (FUZZ_CC) is missing or cannot link
                                 libFuzzer where regress/deps.sh could
                                 install it (root with apt-get), else a
                                 named skip; a named skip when the target
                                 has no source

A skip is only for what cannot be done here, and the summary lists each
with its reason; a program the tests need that could be installed and
was not is a failure (the tests install theirs: popdtest.NotInstalled).

Arguments: names (or substrings) of test files to run only those, or
FILE.py:TEST,TEST to run only those tests of FILE.py;
-j N: run the C programs N at a time (2 without -j: each works in a
directory of its own and times nothing), and the integration files of
PARALLEL N at a time after the others (which still run one at a time,
alone).
"""

import concurrent.futures
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time

REGRESS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(REGRESS)
TIMEOUT = int(os.environ.get("POPDTEST_FILE_TIMEOUT", "600"))
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$")

# Integration files that -j may run beside each other: each starts only
# its own popd on ports free_port() gives, in directories of its own,
# and asserts no time (a slower, shared CPU only makes it slower).  Not
# here: whatever installs packages, runs foreign daemons or system
# services, uses fixed ports, network namespaces, cgroups, mounts, files
# in /etc (system users: test_tables.py), or measures time.
PARALLEL = ("test_confinement.py", "test_install.py", "test_kill.py",
            "test_licence.py", "test_popcache.py", "test_reload.py",
            "test_transaction.py")

# The conformance and hostile-client files, run a second time with two
# listeners (popdtest.py's POPDTEST_LISTENERS): each client is steered to
# one of them, and what a client sees must not change.
TWO_LISTENERS = ("test_limits.py", "test_session.py", "test_stls.py")

total = {"passed": 0, "failed": 0, "skipped": 0}
checks = {"passed": 0, "failed": 0}
failures = []
skips = []
names = []      # the arguments that are not options


def selected(path):
    return not names or any(w.split(":")[0] in path for w in names)


def chosen(path):
    """The tests of an integration file that FILE.py:TEST,TEST names
    chose ([]: all of them)."""
    base = os.path.basename(path) + ":"
    return [t for w in names if w.startswith(base)
            for t in w[len(base):].split(",") if t]


def execute(argv, cwd=REPO, env=None):
    """Run one test program: its output and exit status (None: timed
    out) and the seconds it took."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=TIMEOUT,
                           env=env)
        out, rc = p.stdout.decode(errors="replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        rc = None
    return out, rc, time.monotonic() - t0


def run(label, argv, env=None):
    """Run one integration file, print its output and add its tests."""
    print("=== %s" % label, flush=True)
    account(label, False, *execute(argv, env=env))


def account(label, counts_checks, out, rc, took):
    sys.stdout.write(out)
    if out and not out.endswith("\n"):
        sys.stdout.write("\n")
    summary = None
    for ln in out.splitlines():
        if ln.startswith("skip "):
            skips.append("%s: %s" % (label, ln[5:]))
        elif ln.startswith("FAIL"):
            failures.append("%s: %s" % (label, ln))
        m = SUMMARY.match(ln)
        if m:
            summary = m
    failed = False
    if summary and counts_checks:
        checks["passed"] += int(summary.group(1))
        checks["failed"] += int(summary.group(2))
        failed = int(summary.group(2)) != 0
    elif summary:
        total["passed"] += int(summary.group(1))
        total["failed"] += int(summary.group(2))
        total["skipped"] += int(summary.group(3) or 0)
    if rc is None:
        failed = True
        failures.append("%s: timed out after %ds" % (label, TIMEOUT))
    elif rc < 0 or summary is None:
        failed = True
        why = ("killed by signal %d" % -rc if rc < 0
               else "exit %d without a summary line" % rc)
        failures.append("%s: %s" % (label, why))
    elif rc != 0 and int(summary.group(2)) == 0:
        failed = True
        failures.append("%s: exit %d but no failure counted" % (label, rc))
    if counts_checks:
        total["failed" if failed else "passed"] += 1
    elif failed:
        total["failed"] += 1
    print("--- %s: %.1fs" % (label, took), flush=True)


def run_parallel(progs, jobs, counts_checks):
    """The programs ([argv]) N at a time; each one's output whole, in
    order."""
    labels = [os.path.relpath(argv[0] if len(argv) == 1 else argv[1], REPO)
              for argv in progs]
    print("=== %d %s, %d at a time: %s" % (
        len(progs), "programs" if counts_checks else "files", jobs,
        " ".join(labels)), flush=True)
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        done = pool.map(execute, progs)
        for label, (out, rc, took) in zip(labels, done):
            print("=== %s" % label, flush=True)
            account(label, counts_checks, out, rc, took)


def skip(label, why):
    print("=== %s\nskip %s: %s" % (label, label, why), flush=True)
    skips.append("%s: %s" % (label, why))
    total["skipped"] += 1


def missing(label, why):
    """A tool the tests need is missing: a failure where regress/deps.sh
    could install it (root with apt-get), a named skip elsewhere."""
    if os.geteuid() == 0 and shutil.which("apt-get") is not None:
        print("=== %s\nFAIL %s: %s" % (label, label, why), flush=True)
        failures.append("%s: %s (regress/deps.sh installs it)"
                        % (label, why))
        total["failed"] += 1
    else:
        skip(label, why + " (installing it needs root and apt-get)")


def has_make_target(target):
    r = subprocess.run(["make", "-n", target], cwd=REPO,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


def fuzz_targets():
    """FUZZ_PROGS of the Makefile (make fuzz-list), or None."""
    r = subprocess.run(["make", "-s", "fuzz-list"], cwd=REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        return None
    return r.stdout.decode().split()


def fuzz_one(prog):
    """make fuzz-smoke of one target: its output, whether it passed, why
    not, and its seconds.  Each target's seeds, then 5 s of search."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(["make", "fuzz-smoke", "FUZZ_TIME=5",
                            "FUZZ_PROGS=" + prog],
                           cwd=REPO, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=TIMEOUT)
        out = p.stdout.decode(errors="replace")
        ok, why = p.returncode == 0, "exit %d" % p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        ok, why = False, "timed out"
    return out, ok, why, time.monotonic() - t0


def fuzz_smoke():
    """make fuzz-smoke, two targets at a time (each builds from sources
    alone and uses one CPU): each is a test of its own, or a named skip
    when it cannot be built or run here."""
    cc = os.environ.get("FUZZ_CC", "clang")
    targets = fuzz_targets() if has_make_target("fuzz-smoke") else None
    if targets is None:
        if selected("fuzz-smoke"):
            skip("fuzz-smoke", "no fuzz-smoke target in the Makefile")
        return
    todo = []
    for prog in targets:
        label = "fuzz-smoke " + os.path.basename(prog)
        if not (selected("fuzz-smoke") or selected(prog)):
            continue
        if shutil.which(cc) is None:
            missing(label, "%s is not installed" % cc)
        elif not os.path.exists(os.path.join(REPO, prog + ".c")):
            skip(label, "no source %s.c" % prog)
        else:
            todo.append(prog)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for prog, (out, ok, why, took) in zip(todo,
                                              pool.map(fuzz_one, todo)):
            label = "fuzz-smoke " + os.path.basename(prog)
            print("=== make fuzz-smoke FUZZ_PROGS=%s" % prog, flush=True)
            if not ok and re.search(r"clang_rt\.fuzzer|unsupported option "
                                    r"'-fsanitize=fuzzer", out):
                missing(label, "%s cannot link libFuzzer "
                        "(-fsanitize=fuzzer)" % cc)
                continue
            # Only the tail and the totals: fuzzers are chatty.
            lines = out.splitlines()
            stats = [ln for ln in lines
                     if ln.startswith(("stat::number_of_executed_units",
                                       "stat::average_exec_per_sec"))]
            sys.stdout.write("\n".join(lines[-15:] if not ok else stats) +
                             "\n")
            outcome(label, ok, why, took)


def outcome(label, ok, why, took):
    """One make-run test's line, counted: ok, or FAIL and why."""
    if ok:
        total["passed"] += 1
        print("ok %s" % label)
    else:
        total["failed"] += 1
        failures.append("%s: %s" % (label, why))
        print("FAIL %s: %s" % (label, why))
    print("--- %s: %.1fs" % (label, took), flush=True)


def in_git():
    """A copy build takes the sources git knows: a tarball's tree has
    none."""
    return subprocess.run(["git", "ls-files", "--error-unmatch", "Makefile"],
                          cwd=REPO, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def copy_build(label):
    """make sanitize (the programs built with ASan and UBSan, regress/
    sanitize.sh) or make openbsd-test (with their OpenBSD confinement
    over an emulation of OpenBSD's runtime, regress/openbsd/emu.sh): a
    copy of the tree built so and a subset of the tests run against it,
    one test: passed if every one of them did."""
    if not selected(label):
        return
    if not has_make_target(label):
        skip(label, "no %s target in the Makefile" % label)
        return
    if not in_git():
        skip(label, "not a git checkout: make %s cannot tell sources "
             "from build outputs" % label)
        return
    print("=== make " + label, flush=True)
    t0 = time.monotonic()
    try:
        p = subprocess.run(["make", "-s", label], cwd=REPO,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=3 * TIMEOUT)
        out, ok = p.stdout.decode(errors="replace"), p.returncode == 0
        why = "exit %d" % p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        ok, why = False, "timed out"
    lines = out.splitlines()
    # The failures and the totals; all of it if it failed otherwise.
    keep = [ln for ln in lines if ln.startswith(("FAIL", "tests: "))]
    if not ok and not keep:
        keep = lines[-30:]
    sys.stdout.write("".join(ln + "\n" for ln in keep))
    outcome(label, ok, why, time.monotonic() - t0)


def prebuild():
    """The copies of make sanitize and make openbsd-test built at nice 19
    while the integration files run (they mostly wait): CI's 60
    minutes.  Their own runs later find the builds done, or redo and
    report what failed here.  Its session is an autogroup of its own
    where the kernel has them, weighed as one process at nice 0 whatever
    its processes' nice: the group's own nice goes to 19 as well, or the
    build takes half the CPU from timed tests (a health check under
    flood waited 1 s for a SYN dropped from a full backlog)."""
    want = [script for label, script in
            (("sanitize", "regress/sanitize.sh"),
             ("openbsd-test", "regress/openbsd/emu.sh"))
            if selected(label) and has_make_target(label)]
    if not want or not in_git():
        return None
    cmd = "; ".join(["echo 19 2>/dev/null >/proc/self/autogroup"] +
                    ["sh %s -b" % script for script in want])
    return subprocess.Popen(["nice", "-n", "19", "sh", "-c", cmd], cwd=REPO,
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def options(argv):
    """-j N (or -jN): the C programs, then the integration files of
    PARALLEL, N at a time; the names to select."""
    jobs, i = 1, 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("-j"):
            if a == "-j" and i + 1 < len(argv):
                i += 1
                a = "-j" + argv[i]
            try:
                jobs = int(a[2:])
            except ValueError:
                jobs = 0
            if jobs < 1:
                sys.exit("usage: run.py [-j N] [NAME ...]")
        elif not a.startswith("-"):
            names.append(a)
        i += 1
    return jobs


def main():
    jobs = options(sys.argv[1:])
    os.environ["PYTHONPATH"] = REGRESS + os.pathsep + \
        os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    progs = []
    for t in sorted(glob.glob(os.path.join(REGRESS, "unit", "test_*"))):
        if t.endswith((".c", ".o", ".h", ".py", ".d")) or \
                not os.access(t, os.X_OK) or not selected(t):
            continue
        progs.append([t])
    sb = os.path.join(REGRESS, "sandbox", "sbtest")
    if os.access(sb, os.X_OK) and selected(sb):
        progs.append([sb])
    # The C programs each work in a directory of their own and time
    # nothing: two at a time at least.
    if progs:
        run_parallel(progs, max(jobs, 2), True)
    prebuilt = prebuild()
    together = []
    for t in sorted(glob.glob(os.path.join(REGRESS, "integration",
                                           "test_*.py"))):
        if not selected(t):
            continue
        if jobs > 1 and os.path.basename(t) in PARALLEL:
            together.append([sys.executable, t] + chosen(t))
        else:
            run(os.path.relpath(t, REPO), [sys.executable, t] + chosen(t))
        # make openbsd-test (emu.sh) runs each file once: CI's 60 minutes.
        if os.path.basename(t) in TWO_LISTENERS and \
                "POPDTEST_CHROOT" not in os.environ:
            run(os.path.relpath(t, REPO) + " (listeners 2)",
                [sys.executable, t] + chosen(t),
                env=dict(os.environ, POPDTEST_LISTENERS="2"))
    if together:
        run_parallel(together, jobs, False)
    fuzz_smoke()
    if prebuilt is not None:
        try:
            prebuilt.wait(timeout=3 * TIMEOUT)
        except subprocess.TimeoutExpired:
            # Its makes too; copy_build builds again, and says why.
            os.killpg(prebuilt.pid, signal.SIGKILL)
            prebuilt.wait()
    copy_build("sanitize")
    copy_build("openbsd-test")
    print()
    if skips:
        print("skipped:")
        for s in skips:
            print("  " + s)
    if failures:
        print("failed:")
        for f in failures:
            print("  " + f)
    line = "tests: %d passed, %d failed" % (total["passed"],
                                            total["failed"])
    if total["skipped"]:
        line += ", %d skipped" % total["skipped"]
    line += "; checks: %d passed, %d failed" % (checks["passed"],
                                                 checks["failed"])
    print(line, flush=True)
    return 1 if total["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
