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

"""popd in a container (issue 88, doc/container.md): make image, run as
the contract says (read-only root and config, tmpfs /run and /tmp,
no-new-privileges, Docker's default seccomp profile, fewer capabilities
than Docker's default), and what a user sees: a session through a
published port, LMTP from the host, a docker stop that drains, two
containers on one mail volume, a restart that keeps the UIDLs, the
HEALTHCHECK and the HTTP probe.  Installs docker.io (and docker-compose)
and starts dockerd when none runs.  About 1-2 minutes once installed;
its containers and image are removed at the end, also on failure."""

import http.client
import json
import os
import poplib
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import popdtest as T  # noqa: E402

IMAGE = "popd:latest"
PREFIX = "popdtest-ctr-%d-" % os.getpid()
# The contract's capabilities (doc/container.md): Docker's default set
# less MKNOD, NET_RAW, SETFCAP, SETPCAP, AUDIT_WRITE and FSETID.
CAPS = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "NET_BIND_SERVICE",
        "SETGID", "SETUID", "SYS_CHROOT"]
UID = 2000
USERS = [("alice", "pw1"), ("bob", "pw2")]
started = []            # container names, removed at the end
state = {}


def docker(*args, check=True, timeout=120):
    r = subprocess.run(["docker"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("docker %s: exit %d: %s" % (
            " ".join(args), r.returncode, r.stderr.decode()[-600:]))
    return r.stdout.decode().strip()


def need_docker():
    """dockerd answering, installed and started here if need be."""
    if "ready" in state:
        return
    T.need_root()
    T.apt_install("docker.io", "dockerd")
    if subprocess.run(["docker", "info"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        log = open(os.path.join(tempfile.gettempdir(), "popdtest-dockerd."
                                "log"), "ab")
        subprocess.Popen(["dockerd"], stdout=log, stderr=log,
                         start_new_session=True)
        T.wait_for(lambda: subprocess.run(
            ["docker", "info"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL).returncode == 0, 60, "dockerd")
    state["ready"] = True


def build_image():
    if "built" in state:
        return
    need_docker()
    r = subprocess.run(["make", "-s", "image"], cwd=T.REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=600)
    T.expect(r.returncode, 0, "make image: %s" % r.stdout.decode()[-800:])
    state["built"] = True
    state["size"] = int(docker("image", "inspect", "-f", "{{.Size}}",
                               IMAGE))


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def site():
    """/etc/popd and the mail volume on the host (bind mounts)."""
    if "dir" in state:
        return state["dir"]
    d = tempfile.mkdtemp(prefix="popdtest-ctr-")
    os.chmod(d, 0o755)
    etc = os.path.join(d, "etc")
    os.mkdir(etc)
    shutil.copy(os.path.join(T.REPO, "docker", "popd.conf"), etc)
    write(os.path.join(etc, "authtab"), "".join(
        "%s %s\n" % (u, T.make_hash(pw)) for u, pw in USERS), 0o600)
    write(os.path.join(etc, "usertab"), "".join(
        "%s %d:%d:/var/mail/%s\n" % (u, UID + i, UID + i, u)
        for i, (u, _) in enumerate(USERS)))
    T.make_cert(os.path.join(etc, "cert.pem"), os.path.join(etc, "key.pem"))
    for i, (u, _) in enumerate(USERS):
        for sub in ("", "/Maildir", "/Maildir/new", "/Maildir/cur",
                    "/Maildir/tmp"):
            p = os.path.join(d, "mail", u) + sub
            os.makedirs(p, 0o700)
            os.chown(p, UID + i, UID + i)
    os.makedirs(os.path.join(d, "lmtp"))
    state["dir"] = d
    return d


def maildir(user):
    return os.path.join(site(), "mail", user, "Maildir")


def deliver(user, data):
    i = [u for u, _ in USERS].index(user)
    name = "%d.M%dP%d.ctr" % (time.time(), time.time_ns() % 10**9,
                              os.getpid())
    tmp = os.path.join(maildir(user), "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    os.chown(tmp, UID + i, UID + i)
    os.rename(tmp, os.path.join(maildir(user), "new", name))


def messages(user):
    return sorted(f for sub in ("new", "cur")
                  for f in os.listdir(os.path.join(maildir(user), sub)))


def run(tag, lmtpdir="lmtp"):
    """A container as doc/container.md runs it: its name and ports."""
    build_image()
    d = site()
    os.makedirs(os.path.join(d, lmtpdir), exist_ok=True)
    name = PREFIX + tag
    pop, health = T.free_port(), T.free_port()
    args = ["run", "-d", "--name", name, "--read-only",
            "--tmpfs", "/run", "--tmpfs", "/tmp",
            "--security-opt", "no-new-privileges", "--cap-drop", "ALL"]
    for c in CAPS:
        args += ["--cap-add", c]
    args += ["-v", "%s/etc:/etc/popd:ro" % d, "-v", "%s/mail:/var/mail" % d,
             "-v", "%s/%s:/run/lmtp" % (d, lmtpdir),
             "-p", "127.0.0.1:%d:995" % pop,
             "-p", "127.0.0.1:%d:8080" % health, IMAGE]
    t0 = time.monotonic()
    docker(*args)
    started.append(name)
    T.wait_for(lambda: status(name) == "healthy", 20,
               "%s healthy (logs: %s)" % (name, logs(name)[-600:]))
    state.setdefault("healthy_s", []).append(time.monotonic() - t0)
    # From the container's start to its first passing check, in Docker's
    # own times: docker run's part (create, network) aside.
    h = json.loads(docker("inspect", "-f", "{{.State.StartedAt}} "
                          "{{json .State.Health.Log}}", name).split(" ", 1)[1])
    started_at = docker("inspect", "-f", "{{.State.StartedAt}}", name)
    state.setdefault("start_healthy_s", []).append(
        stamp(h[-1]["End"]) - stamp(started_at))
    return name, pop, health


def stamp(s):
    """Docker's RFC 3339 time with nanoseconds, in seconds."""
    day, _, t = s.rstrip("Z").partition("T")
    hms, _, frac = t.partition(".")
    h, m, sec = (int(x) for x in hms.split(":"))
    return h * 3600 + m * 60 + sec + float("0." + (frac or "0"))


def status(name):
    return docker("inspect", "-f", "{{.State.Health.Status}}", name,
                  check=False)


def logs(name):
    r = subprocess.run(["docker", "logs", name], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    return r.stdout.decode(errors="replace")


def probe(port):
    c = http.client.HTTPConnection(T.HOST, port, timeout=5)
    try:
        c.request("GET", "/health")
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def login(port, user, pw):
    p = poplib.POP3_SSL(T.HOST, port, context=T.client_ctx(), timeout=20)
    p.user(user)
    p.pass_(pw)
    return p


def uidls(port, user, pw):
    p = login(port, user, pw)
    try:
        return sorted(x.split()[1] for x in p.uidl()[1])
    finally:
        p.quit()


def lmtp(user, data):
    """One LMTP delivery from the host, through the socket's mount."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(os.path.join(site(), "lmtp", "lmtp.sock"))
    f = s.makefile("rwb")

    def reply():
        while True:
            ln = f.readline()
            if ln[3:4] != b"-":
                return ln
    try:
        reply()
        for cmd in ("LHLO host", "MAIL FROM:<a@example.org>",
                    "RCPT TO:<%s>" % user, "DATA"):
            f.write(cmd.encode() + b"\r\n")
            f.flush()
            ln = reply()
        T.expect(ln[:3], b"354", "DATA")
        f.write(data + b".\r\n")
        f.flush()
        return reply()
    finally:
        s.close()


def stop(name, wait=True):
    r = subprocess.run(["docker", "stop", name], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    T.expect(r.returncode, 0, "docker stop")
    return int(docker("inspect", "-f", "{{.State.ExitCode}}", name))


def remove(name):
    subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)
    if name in started:
        started.remove(name)


MSG = b"From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n"


@T.test(start=False, timeout=900)
def image_and_session(srv):
    """make image builds popd:VERSION and popd:latest FROM scratch, at
    most 40 MB; run with the contract's flags, the container is healthy
    within 5 s of its start, its processes run confined (NoNewPrivs,
    seccomp) and without the capabilities dropped; popd is PID 1 and
    leaves no zombie; login, RETR, DELE and QUIT through
    the published port remove the message from the volume; an LMTP
    delivery from the host arrives; the HTTP probe says 200."""
    build_image()
    T.expect_true(state["size"] <= 40 * 1024 * 1024, "image at most 40 MB",
                  state["size"])
    version = T.version()
    docker("image", "inspect", "popd:%s" % version)
    name, pop, health = run("serve")
    try:
        T.expect_true(state["start_healthy_s"][-1] < 5,
                      "healthy within 5 s of its start",
                      state["start_healthy_s"][-1])
        pid = docker("inspect", "-f", "{{.State.Pid}}", name)
        st = T.proc_status(int(pid))
        T.expect(st.get("NoNewPrivs"), "1", "PID 1 no-new-privileges")
        T.expect(st.get("Seccomp"), "2", "Docker's seccomp profile")
        T.expect(int(st["CapBnd"], 16) & (1 << 8 | 1 << 13 | 1 << 27), 0,
                 "no SETPCAP, NET_RAW, MKNOD in the bounding set")
        T.expect(T.proc_cmdline(int(pid)), "popd: parent", "PID 1")
        deliver("alice", MSG)
        deliver("alice", MSG.replace(b"hello", b"again"))
        before = messages("alice")
        p = login(pop, "alice", "pw1")
        T.expect(p.stat()[0], 2, "STAT")
        T.expect(b"\r\n".join(p.retr(1)[1]) + b"\r\n" in
                 (MSG, MSG.replace(b"hello", b"again")), True, "RETR")
        p.dele(1)
        T.expect(p.quit()[:3], b"+OK", "QUIT")
        T.expect(len(messages("alice")), len(before) - 1,
                 "the DELE applied on the volume")
        T.expect(lmtp("bob", MSG)[:3], b"250", "LMTP from the host")
        T.expect(len(messages("bob")), 1, "bob's message on the volume")
        # The session's wrkrpop and the delivery's dlvrpop, reaped.
        T.wait_for(lambda: not T.zombies(int(pid)), 5,
                   "no zombie under PID 1")
        code, line = probe(health)
        T.expect((code, line.split()[0]), (200, "up"), "the HTTP probe")
        T.expect_true("stopping" not in logs(name), "docker logs works",
                      logs(name)[-300:])
    finally:
        remove(name)


@T.test(start=False, timeout=900)
def stop_drains_mid_retr(srv):
    """docker stop with a session in the middle of a RETR: the probe
    says 503 while it drains, the session finishes, its DELE applies,
    and the container exits 0."""
    for _ in range(2):
        deliver("alice", MSG + b"x" * 2000000 + b"\r\n")
    name, pop, health = run("stop")
    try:
        n = len(messages("alice"))
        s = T.Raw(pop)
        s.line()
        s.login("alice", "pw1")
        s.ok("LIST")
        big = max(s.multiline(), key=lambda ln: int(ln.split()[1]))
        s.send(b"RETR %s\r\n" % big.split()[0])
        s.read_exact(1000)                  # mid-RETR of 2 MB
        result = {}
        t = threading.Thread(target=lambda: result.update(rc=stop(name)))
        t.start()
        T.wait_for(lambda: probe(health)[0] == 503, 5,
                   "503 while draining")
        T.expect(probe(health)[1], "draining 1\n", "the line")
        try:
            s.read_until(b"\r\n.\r\n")
            s.ok(b"DELE " + big.split()[0])
            s.ok("QUIT")
        except (EOFError, OSError) as e:
            raise AssertionError("the session, cut: %s; docker logs:\n%s"
                                 % (e, logs(name)[-1500:]))
        t.join(30)
        T.expect(result.get("rc"), 0, "the container's exit status")
        T.expect(len(messages("alice")), n - 1, "the DELE applied")
        T.expect_true("sessions may run to their end" in logs(name),
                      "the log says it drained", logs(name)[-500:])
    finally:
        remove(name)


@T.test(start=False, timeout=900)
def two_containers_one_volume(srv):
    """Two containers on one mail volume: the second login to a
    maildrop in use gets [IN-USE]; a restart on the same volume keeps
    every UIDL."""
    deliver("bob", MSG)
    a, apop, _ = run("one")
    b, bpop, _ = run("two", "lmtp2")
    try:
        before = uidls(apop, "bob", "pw2")
        p = login(apop, "bob", "pw2")
        try:
            login(bpop, "bob", "pw2")
            T.expect_true(False, "a second login on the other container")
        except poplib.error_proto as e:
            T.expect_true(b"[IN-USE]" in e.args[0], "[IN-USE]", e.args)
        p.quit()
        T.expect(stop(a), 0, "exit status")
        docker("start", a)
        T.wait_for(lambda: status(a) == "healthy", 20, "healthy again")
        T.expect(uidls(apop, "bob", "pw2"), before, "UIDLs after a restart")
    finally:
        remove(a)
        remove(b)


@T.test(start=False, timeout=900)
def dockerfile_and_compose(srv):
    """docker/Dockerfile's final stage, built from a stand-in build
    stage holding make image's tree, gives the same files, entry point
    and HEALTHCHECK as make image; docker/compose.yaml passes
    docker-compose config."""
    build_image()
    ctx = os.path.join(T.REPO, "image.d")
    text = open(os.path.join(T.REPO, "docker", "Dockerfile")).read()
    final = text[text.index("\nFROM scratch"):]
    with open(os.path.join(ctx, "Dockerfile.stage"), "w") as f:
        f.write("FROM scratch AS build\nCOPY root/ /image/\n" + final)
    tag = PREFIX + "stage"
    docker("build", "-q", "-t", tag, "-f",
           os.path.join(ctx, "Dockerfile.stage"), ctx, timeout=300)
    try:
        for what in ("{{json .Config.Entrypoint}}",
                     "{{json .Config.Healthcheck}}",
                     "{{json .Config.ExposedPorts}}",
                     "{{json .Config.StopSignal}}"):
            T.expect(docker("image", "inspect", "-f", what, tag),
                     docker("image", "inspect", "-f", what, IMAGE), what)
        T.expect(files(tag), files(IMAGE), "the files of the two images")
    finally:
        docker("rmi", "-f", tag, check=False)
    compose = T.apt_install("docker-compose", "docker-compose")
    r = subprocess.run([compose, "-f", os.path.join(T.REPO, "docker",
                                                     "compose.yaml"),
                        "config", "-q"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    T.expect(r.returncode, 0, "docker-compose config: %s" % r.stdout)


def files(image):
    c = docker("create", image)
    try:
        out = subprocess.run("docker export %s | tar tv" % c, shell=True,
                             stdout=subprocess.PIPE, timeout=120).stdout
        return sorted(" ".join(ln.split()[:2] + ln.split()[5:])
                      for ln in out.decode().splitlines())
    finally:
        docker("rm", c, check=False)


if __name__ == "__main__":
    try:
        T.main()
    finally:
        for c in list(started):
            remove(c)
        if "dir" in state:
            shutil.rmtree(state["dir"], ignore_errors=True)
        if "built" in state:
            print("image %s: %d bytes; docker run to healthy %s s; "
                  "start to healthy %s s" % (IMAGE, state["size"], ", ".join(
                      "%.1f" % x for x in state.get("healthy_s", [])),
                      ", ".join("%.1f" % x for x in
                                state.get("start_healthy_s", []))))
