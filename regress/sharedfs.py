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

"""The shared stores the tests run popd on (issue 73), one API for
each engine: a private cluster in a network namespace of the test's
own, mounted twice through FUSE (one mount per popd "host"), torn down
at stop().

    eng = sharedfs.start("cephfs")      # or "glusterfs"; once per process
    eng.mounts                          # [path, path]: host A's, host B's
    eng.client_pids()                   # [pid, pid]: each mount's FUSE
                                        # client (SIGSTOP freezes that
                                        # host's store)
    eng.stop()                          # also at exit

CephFS (Ceph class; ../shared/notes/cephfs.md has how it was found to
work here): one mon, one mgr, three BlueStore OSDs on sparse files, two
MDS (one active, one standby), two ceph-fuse clients, all of Debian's
packages (installed when missing), no cephx, on 198.18.0.10 inside the
namespace.  Faults: kill_mds() (the active one, kill -9, and `ceph mds
fail` at once: the standby takes over in about 4 s instead of the
beacon grace), kill_osd(i)/start_osd(i), evict(i) (mount i's client
evicted and blocklisted by the MDS) and remount(i).

GlusterFS (Gluster class): regress/gluster.py's replica-3 volume."""

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import popdtest as T
import gluster

ENGINES = ("glusterfs", "cephfs")
CEPH_ADDR = "198.18.0.10"
CEPH_PREFIX = "popdceph"
CEPH_PKGS = (("ceph-mon", "ceph-mon"), ("ceph-mgr", "ceph-mgr"),
             ("ceph-osd", "ceph-osd"), ("ceph-mds", "ceph-mds"),
             ("ceph-fuse", "ceph-fuse"), ("ceph-common", "ceph"))

_started = {}


def start(name):
    """The engine called name, started once per process and stopped at
    exit; another engine started before is stopped first (the machine
    has room for one cluster at a time)."""
    for other in list(_started):
        if other != name:
            _started.pop(other).stop()
    if name not in _started:
        eng = {"glusterfs": Gluster, "cephfs": Ceph}[name]()
        atexit.register(eng.stop)
        try:
            eng.start()
        except BaseException:
            eng.stop()          # the next test tries again
            raise
        _started[name] = eng
    return _started[name]


def fuse_pid(mount):
    """The pid of the process serving FUSE mount (its command line names
    the mount point last), or None."""
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                argv = f.read().rstrip(b"\0").split(b"\0")
        except OSError:
            continue
        if argv and argv[-1].decode(errors="replace") == mount and \
                os.path.basename(argv[0].decode(errors="replace")) in \
                ("glusterfs", "ceph-fuse"):
            return int(p)
    return None


class Gluster:
    name = "glusterfs"

    def __init__(self):
        self.vol = gluster.Volume(mounts=2)
        self.mounts = []

    def start(self):
        self.vol.start()
        self.mounts = self.vol.mounts
        return self

    def client_pids(self):
        return [fuse_pid(m) for m in self.mounts]

    def stop(self):
        self.vol.stop()


class Ceph:
    name = "cephfs"
    extra = ""          # more ceph.conf (a benchmark's: regress/bench)

    def __init__(self):
        self.ns = "%s%d" % (CEPH_PREFIX, os.getpid())
        self.dir = None
        self.mounts = []
        self.running = False
        self.fs = "popdfs"

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def _ns(self, argv, check=True, timeout=60, stderr=True):
        r = subprocess.run(["nsenter", "--net=/run/netns/" + self.ns] +
                           argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT if stderr else
                           subprocess.DEVNULL, timeout=timeout,
                           start_new_session=True)
        if check and r.returncode != 0:
            raise AssertionError("%s: %s" % (" ".join(argv),
                                              r.stdout.decode()))
        return r.stdout.decode()

    def daemon(self, prog, *args):
        """prog started in the namespace, in a session of its own
        (ceph-mds and ceph-fuse do not setsid when they daemonize: the
        harness's process group would take them along)."""
        return self._ns([prog, "-c", self.path("ceph.conf")] + list(args))

    def ceph(self, *args, check=True, timeout=30, stderr=True):
        return self._ns(["ceph", "-c", self.path("ceph.conf"),
                         "--connect-timeout", "10"] + list(args),
                        check=check, timeout=timeout, stderr=stderr)

    def conf(self, fsid):
        d = self.dir
        return """[global]
fsid = %(fsid)s
mon_host = %(addr)s
public_network = %(addr)s/32
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_bind_ipv6 = false
run_dir = %(d)s/run
pid_file = %(d)s/run/$name.pid
log_file = %(d)s/log/$name.log
mon_data = %(d)s/mon/$id
mgr_data = %(d)s/mgr/$id
osd_data = %(d)s/osd/$id
mds_data = %(d)s/mds/$id
osd_crush_chooseleaf_type = 0
osd_pool_default_size = 3
osd_pool_default_min_size = 2
osd_pool_default_pg_autoscale_mode = off
mon_allow_pool_delete = true
mon_data_avail_warn = 5
mon_data_avail_crit = 2
ms_async_op_threads = 2
mds_beacon_grace = 8
mds_beacon_interval = 1
mon_warn_on_insecure_global_id_reclaim_allowed = false
auth_allow_insecure_global_id_reclaim = false
[mon]
mon_memory_target = 256M
rocksdb_cache_size = 32M
mon_osd_cache_size_min = 16M
[osd]
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = 2G
osd_memory_target = 512M
bluestore_cache_autotune = false
bluestore_cache_size = 64M
osd_op_num_shards = 2
osd_op_num_threads_per_shard = 1
osd_recovery_sleep = 0
osd_recovery_sleep_hdd = 0
[mds]
mds_cache_memory_limit = 64M
mds_tick_interval = 0.25
""" % {"fsid": fsid, "addr": CEPH_ADDR, "d": d} + self.extra

    def start(self):
        for pkg, prog in CEPH_PKGS:
            T.apt_install(pkg, prog)
        self._leftovers()
        t0 = time.monotonic()
        self.dir = tempfile.mkdtemp(prefix="%s.%d." % (CEPH_PREFIX,
                                                       os.getpid()),
                                    dir="/srv" if os.path.isdir("/srv")
                                    else "/var/tmp")
        os.chmod(self.dir, 0o755)      # the mail users reach the mounts
        for d in ("run", "log", "mon/a", "mgr/x", "mds/a", "mds/b",
                  "osd/0", "osd/1", "osd/2", "mount0", "mount1"):
            os.makedirs(self.path(d))
        fsid = str(uuid.uuid4())
        with open(self.path("ceph.conf"), "w") as f:
            f.write(self.conf(fsid))
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        self.running = True
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"],
                       check=True)
        subprocess.run(["ip", "-n", self.ns, "addr", "add", CEPH_ADDR +
                        "/32", "dev", "lo"], check=True)
        subprocess.run(["monmaptool", "--create", "--fsid", fsid, "--addv",
                        "a", "[v2:%s:3300,v1:%s:6789]" % (CEPH_ADDR,
                                                         CEPH_ADDR),
                        self.path("monmap")], check=True,
                       stdout=subprocess.DEVNULL)
        # mkfs in the namespace too: it looks for public_network's address.
        self.daemon("ceph-mon", "--mkfs", "-i", "a", "--monmap",
                    self.path("monmap"))
        self.daemon("ceph-mon", "-i", "a")
        self.daemon("ceph-mgr", "-i", "x")
        for i in range(3):
            u = str(uuid.uuid4())
            self.ceph("osd", "new", u, str(i))
            self.daemon("ceph-osd", "-i", str(i), "--mkfs", "--osd-uuid",
                        u)
            self.start_osd(i)
        self.ceph("osd", "pool", "create", "cephfs_metadata", "16", "16",
                  "replicated")
        self.ceph("osd", "pool", "create", "cephfs_data", "32", "32",
                  "replicated")
        self.ceph("fs", "new", self.fs, "cephfs_metadata", "cephfs_data")
        self.daemon("ceph-mds", "-i", "a")
        self.daemon("ceph-mds", "-i", "b")
        # HEALTH_OK comes before the pools' PGs exist: wait on both.
        T.wait_for(lambda: self.active_mds() is not None and
                   re.match(r"(\d+) pgs: \1 active\+clean;",
                            self.ceph("pg", "stat", check=False)),
                   timeout=90, interval=0.5, what="an active MDS and "
                   "every PG active+clean")
        for i in range(2):
            self.mounts.append(self.path("mount%d" % i))
            self.remount(i)
        self.startup = time.monotonic() - t0
        print("  CephFS: cluster up and both mounts usable in %.1fs" %
              self.startup)
        return self

    def fsmap(self):
        try:
            return json.loads(self.ceph("fs", "dump", "--format", "json",
                                        check=False, stderr=False))
        except ValueError:
            return None

    def active_mds(self):
        """The name of the active MDS, or None."""
        m = self.fsmap()
        if m is None:
            return None
        for fs in m.get("filesystems", []):
            for info in fs["mdsmap"]["info"].values():
                if info["state"] == "up:active":
                    return info["name"]
        return None

    def standbys(self):
        m = self.fsmap()
        return [] if m is None else [s["name"] for s in m.get("standbys",
                                                              [])]

    def pid(self, name):
        try:
            with open(self.path("run", name + ".pid")) as f:
                return int(f.read())
        except (OSError, ValueError):
            return None

    def client_pids(self):
        return [self.pid("client.%s" % "AB"[i]) for i in range(2)]

    def _kill(self, name):
        pid = self.pid(name)
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return pid

    def kill_mds(self):
        """The active MDS killed -9 and failed at once (`ceph mds fail`,
        as an admin or a watchdog would: the mon would wait for the
        beacon grace otherwise); restarted, as a standby.  Its name."""
        name = self.active_mds()
        self._kill("mds." + name)
        self.ceph("mds", "fail", name)
        T.wait_for(lambda: self.active_mds() not in (None, name),
                   timeout=60, interval=0.2, what="the standby MDS active")
        self.daemon("ceph-mds", "-i", name)
        T.wait_for(lambda: name in self.standbys(), timeout=30,
                   interval=0.5, what="mds.%s a standby again" % name)
        return name

    def kill_osd(self, i):
        self._kill("osd.%d" % i)

    def start_osd(self, i):
        self.daemon("ceph-osd", "-i", str(i))

    def osds_up(self, timeout=60):
        """Until every OSD is up again (recovery goes on by itself)."""
        T.wait_for(lambda: re.search(r"3 osds: 3 up.*3 in", self.ceph(
            "osd", "stat", check=False)), timeout=timeout, interval=0.5,
            what="3 OSDs up")

    def clean(self, timeout=60):
        T.wait_for(lambda: re.match(r"(\d+) pgs: \1 active\+clean;",
                                    self.ceph("pg", "stat", check=False)),
                   timeout=timeout, interval=0.5, what="every PG "
                   "active+clean")

    def client_id(self, i):
        """The MDS's id of mount i's client."""
        out = self.ceph("tell", "mds.%s:0" % self.fs, "client", "ls",
                        "--format", "json", stderr=False)
        for c in json.loads(out):
            if c.get("client_metadata", {}).get("entity_id") == "AB"[i]:
                return c["id"]
        raise AssertionError("no client %s in %s" % ("AB"[i], out))

    def evict(self, i):
        """Mount i's client evicted (and blocklisted) by the MDS."""
        self.ceph("tell", "mds.%s:0" % self.fs, "client", "evict",
                  "id=%d" % self.client_id(i))

    def remount(self, i):
        """Mount i (again): the old one lazily unmounted, its client
        killed, a new ceph-fuse."""
        m = self.mounts[i]
        # Not ismount(): a dead FUSE mount fails stat (ENOTCONN).
        with open("/proc/mounts") as f:
            if any(ln.split()[1] == m for ln in f):
                subprocess.run(["umount", "-l", m])
        self._kill("client.%s" % "AB"[i])
        self.daemon("ceph-fuse", "--id", "AB"[i], m)
        T.wait_for(lambda: os.path.ismount(m), timeout=30,
                   what="the ceph-fuse mount " + m)
        os.chmod(m, 0o755)

    def stop(self):
        if not self.running:
            return
        self.running = False
        conns = fuse_conns(self.mounts)
        for m in self.mounts:
            subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
        abort_fuse(conns)
        run = self.path("run")
        pids = []
        for f in os.listdir(run) if os.path.isdir(run) else []:
            if f.endswith(".pid"):
                p = self.pid(f[:-4])
                if p is not None:
                    pids.append(p)
                    try:
                        os.kill(p, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and any(
                os.path.exists("/proc/%d" % p) and not zombie(p)
                for p in pids):
            time.sleep(0.1)
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "del", self.ns],
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def _leftovers():
        """What a killed run left (its daemons' command lines and its
        mounts name its directory, its namespace its pid); another run's,
        alive, is left alone."""
        dead = gluster.reap(re.compile(r"%s\.?(\d+)" % CEPH_PREFIX))
        for top in ("/srv", "/var/tmp"):
            if os.path.isdir(top):
                for d in os.listdir(top):
                    if dead(d, "match"):
                        shutil.rmtree(os.path.join(top, d),
                                      ignore_errors=True)


def abort_fuse(conns):
    """The FUSE connections numbered conns aborted: callers stuck in
    them (D state) get ENOTCONN.  fusectl is mounted first if it is not
    (nothing mounts it on these machines)."""
    top = "/sys/fs/fuse/connections"
    if conns and not os.listdir(top):
        subprocess.run(["mount", "-t", "fusectl", "fusectl", top],
                       stderr=subprocess.DEVNULL)
    for c in conns:
        try:
            with open("%s/%d/abort" % (top, c), "w") as f:
                f.write("1")
        except OSError:
            pass


def fuse_conns(mounts):
    """The FUSE connection numbers of mounts (their device minors, read
    from mountinfo: a stat of a dead mount could hang)."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for ln in f:
            x = ln.split()
            if x[4] in mounts and x[2].startswith("0:"):
                out.append(int(x[2][2:]))
    return out


def zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True
