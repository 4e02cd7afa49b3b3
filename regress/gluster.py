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

"""A private GlusterFS replica-3 volume for the tests of shared storage
(Debian's glusterfs-server, installed when missing): glusterd, its three
bricks and the FUSE clients run in a network namespace of the test's
own, on 192.0.2.10 there (gluster refuses loopback addresses), so
nothing listens outside it; the mounts, like every mount, are seen by
the whole machine.  ../shared/notes/glusterfs.md has how this was
found to work here.

    vol = Volume(mounts=2).start()      # vol.mounts: [path, path]
    ...
    vol.kill_brick(0); vol.start_brick()   # a lost storage node, back
    vol.client_pid(0)                   # mounts[0]'s FUSE client
    vol.stop()

glusterd keeps its state in /var/lib/glusterd: each run's volume has a
name of its own and is deleted at stop(), and a volume a killed run left
is deleted at the next start()."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import popdtest as T

ADDR = "192.0.2.10"
PREFIX = "popdtestvol"


class Volume:
    def __init__(self, mounts=2):
        self.nmounts = mounts
        self.ns = "popdgl%d" % os.getpid()
        self.name = "%s%d" % (PREFIX, os.getpid())
        self.dir = None
        self.mounts = []
        self.glusterd_pid = None
        self.running = False

    def _ns(self, argv, check=True, timeout=60):
        r = subprocess.run(["nsenter", "--net=/run/netns/" + self.ns] +
                           argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("%s: %s" % (" ".join(argv),
                                              r.stdout.decode()))
        return r.stdout.decode()

    def gluster(self, *args, check=True):
        return self._ns(["gluster", "--mode=script"] + list(args), check)

    def start(self):
        T.apt_install("glusterfs-server", "glusterd")
        T.apt_install("glusterfs-client", "glusterfs")
        self._leftovers()
        # The pid in the name: _leftovers() knows a dead run's.
        self.dir = tempfile.mkdtemp(prefix="popdgl.%d." % os.getpid(),
                                    dir="/srv"
                                    if os.path.isdir("/srv") else "/var/tmp")
        os.chmod(self.dir, 0o755)      # the mail users reach the mounts
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"],
                       check=True)
        subprocess.run(["ip", "-n", self.ns, "addr", "add", ADDR + "/32",
                        "dev", "lo"], check=True)
        self.running = True
        pidfile = os.path.join(self.dir, "glusterd.pid")
        self._ns(["glusterd", "-p", pidfile, "--log-file=" +
                  os.path.join(self.dir, "glusterd.log")])
        T.wait_for(lambda: os.path.exists(pidfile) and
                   self.gluster("peer", "status", check=False) != "",
                   timeout=30, what="glusterd")
        self.glusterd_pid = int(open(pidfile).read())
        bricks = []
        for i in range(3):
            b = os.path.join(self.dir, "brick%d" % i)
            os.mkdir(b)
            bricks.append("%s:%s" % (ADDR, b))
        # Bricks on one host need force; the test needs one answer.
        T.wait_for(lambda: self.gluster(
            "volume", "create", self.name, "replica", "3", *bricks,
            "force", check=False).startswith("volume create: " +
                                             self.name + ": success"),
            timeout=30, interval=1, what="volume create")
        self.gluster("volume", "start", self.name)
        for i in range(self.nmounts):
            m = os.path.join(self.dir, "mount%d" % i)
            os.mkdir(m)
            self._ns(["glusterfs", "--volfile-server=" + ADDR,
                      "--volfile-id=" + self.name, m])
            T.wait_for(lambda: os.path.ismount(m), timeout=30,
                       what="the FUSE mount " + m)
            self.mounts.append(m)
        return self

    def brick_pids(self):
        """{brick index: glusterfsd pid} of the bricks online, as volume
        status says (its XML: the text form wraps long paths)."""
        import xml.etree.ElementTree as ET
        out = self.gluster("volume", "status", self.name, "--xml",
                           check=False)
        pids = {}
        try:
            nodes = ET.fromstring(out).iter("node")
        except ET.ParseError:
            return pids
        for n in nodes:
            m = re.search(r"/brick(\d+)$", n.findtext("path") or "")
            if m and n.findtext("status") == "1":
                pids[int(m.group(1))] = int(n.findtext("pid"))
        return pids

    def client_pid(self, i):
        """The pid of the FUSE client (glusterfs) of mounts[i]: the one
        whose command line ends with that mount's path."""
        out = subprocess.run(["ps", "-eo", "pid=,args="],
                             stdout=subprocess.PIPE).stdout.decode()
        for line in out.splitlines():
            pid, _, args = line.strip().partition(" ")
            argv = args.split()
            if argv and os.path.basename(argv[0]) == "glusterfs" and \
                    argv[-1] == self.mounts[i]:
                return int(pid)
        raise AssertionError("no glusterfs client for " + self.mounts[i])

    def kill_brick(self, i):
        os.kill(self.brick_pids()[i], signal.SIGKILL)

    def start_brick(self):
        """Every brick up again (the first call may leave one down)."""
        for _ in range(5):
            self.gluster("volume", "start", self.name, "force", check=False)
            if len(self.brick_pids()) == 3:
                break
            time.sleep(1)
        self.gluster("volume", "heal", self.name, check=False)

    def stop(self):
        if not self.running:
            return
        self.running = False
        for m in self.mounts:
            subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
        self.gluster("volume", "stop", self.name, check=False)
        self.gluster("volume", "delete", self.name, check=False)
        if self.glusterd_pid is not None:
            try:
                os.kill(self.glusterd_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "del", self.ns],
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def _leftovers():
        """What a killed run left: its glusterd, bricks and clients
        (their command lines name its volume or its directory, both
        with its pid), its mounts, volumes and namespace.  Another
        run's, alive, is left alone."""
        dead = reap(re.compile(r"(?:%s|/popdgl\.|popdgl)(\d+)" % PREFIX))
        vols = "/var/lib/glusterd/vols"
        if os.path.isdir(vols):
            for v in os.listdir(vols):
                if dead(v, "match"):
                    shutil.rmtree(os.path.join(vols, v), ignore_errors=True)


def reap(own):
    """Kill the processes, unmount the mounts and delete the network
    namespaces of runs that are gone: those whose names own matches
    with a pid (group 1) no process has.  The predicate on a name."""
    def dead(name, how="search"):
        m = getattr(own, how)(name)
        return m is not None and not os.path.exists("/proc/" + m.group(1))

    out = subprocess.run(["ps", "-eo", "pid=,args="],
                         stdout=subprocess.PIPE).stdout.decode()
    for line in out.splitlines():
        pid, _, args = line.strip().partition(" ")
        if dead(args):
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
    with open("/proc/mounts") as f:
        for line in f:
            point = line.split()[1]
            if dead(point):
                subprocess.run(["umount", "-l", point],
                               stderr=subprocess.DEVNULL)
    if os.path.isdir("/run/netns"):
        for ns in os.listdir("/run/netns"):
            if dead(ns, "fullmatch"):
                subprocess.run(["ip", "netns", "del", ns])
    return dead
