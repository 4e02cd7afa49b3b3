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

"""doc/fleet.md's three hosts on one machine (issue 56), for
test_fleetfaults.py and bench/shared.py: network namespaces of the
test's own, nothing outside them.

    front   192.0.2.1 on a bridge: nginx's mail proxy, the popd router
            (the test's srv) and the test's clients (the test's thread
            enters this namespace: its 127.0.0.1 is the front's)
    hostN   192.0.2.21, .22, .23, each on a veth into the bridge: a popd
            backend (PROXY listener on port 110 for nginx, TLS on 995
            for direct clients, a health port on 1111, an LMTP socket),
            its maildirs on its own FUSE mount of the volume
            and a brick of the GlusterFS replica-3 volume (Volume): its
            own glusterd, in a mount namespace of its own too (a private
            /run and /var/lib/glusterd: the three are peers, and nothing
            is shared with the machine's glusterd or another run's), its
            glusterfsd, and the FUSE client of its backend

    fleet = Fleet(users, backends=3).start(srv)   # srv: the router
    fleet.backends[0].kill_tree(); fleet.backends[0].start()
    fleet.stop()      # everything stopped, namespaces and bricks gone

storage="local" puts the maildirs on local disk instead (one backend
only: the benchmark's reference)."""

import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import popdtest as T
import gluster

FRONT = "192.0.2.1"
HOSTS = ("192.0.2.21", "192.0.2.22", "192.0.2.23")
POP3, DIRECT, HEALTH = 110, 995, 1111      # each host's own ports
PREFIX = "popdf"
CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)


def setns(path):
    """The calling thread (and the threads and processes it starts
    later) into the network namespace at path."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns %s: %s" % (path, os.strerror(e)))
    finally:
        os.close(fd)


def ip(*args):
    subprocess.run(["ip"] + list(args), check=True)


class Net:
    """The front and the three hosts, as network namespaces."""

    def __init__(self):
        self.front = "%s%d" % (PREFIX, os.getpid())
        self.hosts = ["%s%d-%d" % (PREFIX, os.getpid(), i)
                      for i in range(len(HOSTS))]
        self.made = []
        self.root = None

    @staticmethod
    def _leftovers():
        """Namespaces a killed run left (its pid is in their names)."""
        for ns in os.listdir("/run/netns") if os.path.isdir(
                "/run/netns") else ():
            if not ns.startswith(PREFIX):
                continue
            pid = ns[len(PREFIX):].split("-")[0]
            if pid.isdigit() and not os.path.exists("/proc/" + pid):
                subprocess.run(["ip", "netns", "del", ns])

    def start(self):
        self._leftovers()
        self.root = os.open("/proc/self/ns/net", os.O_RDONLY)
        for ns in [self.front] + self.hosts:
            ip("netns", "add", ns)
            self.made.append(ns)
            ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", self.front, "link", "add", "br0", "type", "bridge")
        ip("-n", self.front, "addr", "add", FRONT + "/24", "dev", "br0")
        ip("-n", self.front, "link", "set", "br0", "up")
        for i, ns in enumerate(self.hosts):
            v = "v%d" % i
            ip("link", "add", v, "netns", self.front, "type", "veth",
               "peer", "name", "eth0", "netns", ns)
            ip("-n", self.front, "link", "set", v, "master", "br0", "up")
            ip("-n", ns, "addr", "add", HOSTS[i] + "/24", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
        self.enter()
        return self

    def enter(self):
        setns("/run/netns/" + self.front)

    def leave(self):
        if self.root is not None and \
                _libc.setns(self.root, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns back to the root "
                          "namespace")

    def stop(self):
        self.leave()
        for ns in self.made:
            subprocess.run(["ip", "netns", "del", ns])
        self.made = []
        if self.root is not None:
            os.close(self.root)
            self.root = None


_Volume1 = gluster.Volume      # one host's: its brick calls are these


class Volume:
    """A GlusterFS replica-3 volume, a brick on each host of net, and a
    FUSE mount for each of the first n hosts (made in that host's
    network namespace, mounted for the whole machine): the interface of
    gluster.Volume (mounts, dir, name, gluster(), brick_pids(),
    kill_brick(), start_brick(), stop())."""

    def __init__(self, net, n):
        self.net = net
        self.n = n
        self.name = "%s%d" % (gluster.PREFIX, os.getpid())  # noqa
        self.dir = None
        self.mounts = []
        self.pids = []          # each host's glusterd

    def start(self):
        T.apt_install("glusterfs-server", "glusterd")
        T.apt_install("glusterfs-client", "glusterfs")
        _Volume1._leftovers()
        # The pid in the name: gluster.Volume._leftovers() knows a
        # killed run's.
        self.dir = tempfile.mkdtemp(prefix="popdgl.%d." % os.getpid(),
                                    dir="/srv" if os.path.isdir("/srv")
                                    else "/var/tmp")
        os.chmod(self.dir, 0o755)      # the mail users reach the mounts
        for i, ns in enumerate(self.net.hosts):
            h = os.path.join(self.dir, "host%d" % i)
            os.makedirs(os.path.join(h, "lib"))
            os.mkdir(os.path.join(self.dir, "brick%d" % i))
            pidfile = os.path.join(h, "glusterd.pid")
            subprocess.run(
                ["nsenter", "--net=/run/netns/" + ns, "unshare", "--mount",
                 "--propagation", "private", "sh", "-c",
                 'mount -t tmpfs tmpfs /run && mkdir /run/gluster && '
                 'mount --bind "$1/lib" /var/lib/glusterd && exec glusterd '
                 '-p "$1/glusterd.pid" --log-file="$1/glusterd.log"',
                 "sh", h], check=True)
            T.wait_for(lambda: os.path.exists(pidfile) and
                       open(pidfile).read().strip(), timeout=30,
                       what="glusterd on host %d" % i)
            self.pids.append(int(open(pidfile).read()))
            T.wait_for(lambda: self.gluster("peer", "status", host=i,
                                            check=False)
                       .startswith("Number of Peers"), timeout=30,
                       what="glusterd on host %d answers" % i)
        for a in HOSTS[1:]:
            T.wait_for(lambda: self.gluster("peer", "probe", a, check=False)
                       .startswith("peer probe: success"), timeout=30,
                       interval=0.5, what="peer probe %s" % a)
        T.wait_for(lambda: self.gluster("peer", "status").count(
            "Peer in Cluster (Connected)") == 2, timeout=30, interval=0.5,
            what="the three glusterds peers")
        bricks = ["%s:%s" % (a, os.path.join(self.dir, "brick%d" % i))
                  for i, a in enumerate(HOSTS)]
        # force: the bricks are on the root filesystem.
        T.wait_for(lambda: self.gluster(
            "volume", "create", self.name, "replica", "3", *bricks,
            "force", check=False).startswith("volume create: " +
                                             self.name + ": success"),
            timeout=30, interval=1, what="volume create")
        self.gluster("volume", "start", self.name)
        for i in range(self.n):
            m = os.path.join(self.dir, "mount%d" % i)
            os.mkdir(m)
            subprocess.run(["nsenter", "--net=/run/netns/" +
                            self.net.hosts[i], "glusterfs",
                            "--volfile-server=" + HOSTS[i],
                            "--volfile-id=" + self.name, m], check=True)
            T.wait_for(lambda: os.path.ismount(m), timeout=30,
                       what="the FUSE mount " + m)
            self.mounts.append(m)
        return self

    def gluster(self, *args, check=True, host=0):
        """The gluster command, asking host's glusterd."""
        r = subprocess.run(["nsenter", "-t", str(self.pids[host]), "-n",
                            "-m", "gluster", "--mode=script"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("gluster %s: %s" % (" ".join(args),
                                                     r.stdout.decode()))
        return r.stdout.decode()

    brick_pids = _Volume1.brick_pids
    kill_brick = _Volume1.kill_brick
    start_brick = _Volume1.start_brick

    def stop(self):
        if self.dir is None:
            return
        for m in self.mounts:
            subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
        if self.pids:
            self.gluster("volume", "stop", self.name, check=False)
            self.gluster("volume", "delete", self.name, check=False)
        # glusterd, the bricks, the clients: the processes that name
        # this run's directory or volume.
        ours = re.compile(re.escape(self.dir) + "|" + re.escape(self.name)
                          + r"(?!\d)")
        out = subprocess.run(["ps", "-eo", "pid=,args="],
                             stdout=subprocess.PIPE).stdout.decode()
        for line in out.splitlines():
            pid, _, args = line.strip().partition(" ")
            if ours.search(args) or int(pid) in self.pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


def health(addr, timeout=2):
    """What addr's health port says ("up 3"), or None."""
    try:
        with socket.create_connection((addr, HEALTH), timeout=timeout) as s:
            out = b""
            while True:
                d = s.recv(100)
                if not d:
                    return out.decode().strip()
                out += d
    except OSError:
        return None


class Backend(T.Server):
    """A popd backend on host i of net: its users' maildirs in top (a
    mount of the volume), the fleet's ticket key; popd is self.popd
    (the build's, or a copy: an upgrade)."""

    def __init__(self, net, i, users, key, top):
        super().__init__(users=users)
        self.ns = net.hosts[i]
        self.addr = HOSTS[i]
        self.popd = T.POPD
        self.lmtp = os.path.join(self.tmpdir, "lmtp.sock")
        self.conf_extra = (
            "listen on %s port %d starttls proxy-protocol\n"
            "listen on %s port %d tls\n"
            "listen on %s port %d health\n"
            'listen on socket "%s" lmtp\n'
            'proxy "%s" trusted\n'
            'ticket key "%s"\n' % (self.addr, POP3, self.addr, DIRECT,
                                   self.addr, HEALTH, self.lmtp, FRONT, key))
        self.rewrite_usertab("".join(
            "%s\t%d:%d:%s\n" % (u, v["uid"], v["gid"], os.path.join(top, u))
            for u, v in self.users.items()))
        for u, v in self.users.items():
            v["home"] = v["maildir"] = os.path.join(top, u)

    def argv(self):
        a = super().argv()
        a[0] = self.popd
        return ["nsenter", "--net=/run/netns/" + self.ns] + a

    def start(self, timeout=20):
        if self.port is None:
            self.port = T.free_port()
        self.logf = open(self.logfile, "ab")
        self.proc = subprocess.Popen(self.argv(), cwd=T.REPO,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.logf,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True,
                                     preexec_fn=T._die_with_harness)
        self.running = True
        self._first_pid = self.proc.pid
        deadline = time.monotonic() + timeout
        while health(self.addr) is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("backend %s not up:\n%s" % (
                    self.addr, self.log_tail()))
            time.sleep(0.05)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None and \
            health(self.addr) is not None

    def kill_tree(self):
        """kill -9 of the whole process tree, as a host lost (its FUSE
        client, in the storage namespace, lives on)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.killed = time.monotonic()
        self.proc.wait()
        T.wait_for(lambda: not self._group(), timeout=5,
                   what="backend %s's processes gone" % self.addr)
        self.running = False
        self.logf.close()

    def raw(self, port=None, tls=True, ctx=None, timeout=30, src=None):
        return T.Raw(port or DIRECT, host=self.addr, tls=tls, ctx=ctx,
                     timeout=timeout, src=src)


def copy_build(top):
    """A copy of the build's programs under top, laid out as the build
    tree (popd runs its helpers from beside it): another binary at
    another path, for an upgrade.  Returns its popd."""
    os.chmod(top, 0o755)        # wrkrpop is run as the mail user
    T.copy_programs(top)
    return os.path.join(top, "popd", "popd")


class Fleet:
    """The net, the volume (or local disk), n backends with every user,
    nginx in front; start(srv) makes srv the router.  users: [(name,
    password)]; nginx_lines: more directives for nginx's pop3 server
    block (test_partition.py's "timeout 5s;")."""

    def __init__(self, users, backends=3, storage="gluster", nginx=True,
                 nginx_lines=""):
        T.need_root()
        self.nginx_lines = nginx_lines
        self.users = users
        self.n = backends
        self.storage = storage
        self.want_nginx = nginx
        self.net = None
        self.vol = None
        self.backends = []
        self.nginx = None
        self.router = None
        self.top = tempfile.mkdtemp(prefix="popdfleetns.", dir="/tmp")
        os.chmod(self.top, 0o755)

    def start(self, router=None):
        try:
            return self._start(router)
        except BaseException:
            self.stop()
            raise

    def _start(self, router):
        nginx = T.need_nginx() if self.want_nginx else None
        self.net = Net().start()
        if self.storage == "gluster":
            self.vol = Volume(self.net, self.n).start()
            tops = self.vol.mounts
        else:
            local = os.path.join(self.top, "maildirs")
            os.mkdir(local, 0o755)
            tops = [local] * self.n
        self.key = os.path.join(self.top, "ticket.key")
        fd = os.open(self.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        for i, (name, _) in enumerate(self.users, 1):
            pe = T.mailuser(i)
            for d in ("", "tmp", "new", "cur"):
                p = os.path.join(tops[0], name, d)
                os.makedirs(p, 0o700, exist_ok=True)
                os.chown(p, pe.pw_uid, pe.pw_gid)
        for i in range(self.n):
            self.backends.append(Backend(self.net, i, self.users, self.key,
                                         tops[i]))
            self.backends[-1].start()
        self.routes = os.path.join(self.top, "routes")
        pool = ", ".join(b.addr for b in self.backends)
        with open(self.routes, "w") as f:
            f.write("".join("%s\t%s\n" % (u, pool) for u, _ in self.users))
        self.sock = os.path.join(self.top, "auth.sock")
        if nginx is not None:
            b = self.backends[0]
            self.nginx = T.Nginx(
                nginx, self.top, b.cert, b.key, "unix:%s:/auth" % self.sock,
                {"pop3s": ("pop3", True, "pop3_auth plain;\n"
                           "        proxy_protocol on;" +
                           self.nginx_lines)},
                user=T.daemon_user("popdnginx").pw_name).start()
            self.front = self.nginx.ports["pop3s"]
        if router is not None:
            self.start_router(router)
        return self

    def start_router(self, srv):
        """srv, a T.Server with the users' passwords, as the router;
        returns once its checks see every backend up."""
        self.router = srv
        srv.conf_extra = ('listen on socket "%s" auth-http group popdnginx '
                          'user popdnginx\n'
                          'route "%s" pop3 %d health %d\n'
                          'ticket key "%s"\n'
                          % (self.sock, self.routes, POP3, HEALTH, self.key))
        srv.start()
        T.wait_for(lambda: os.path.exists(self.sock), what="auth socket")
        T.wait_for(lambda: all(self.states().get(b.addr) == "up"
                               for b in self.backends),
                   what="the router sees every backend up")

    def table(self):
        """The router's popctl show backends: {address: [state, users,
        sessions, checked]}."""
        rc, out, err = self.router.popctl("show", "backends")
        T.expect(rc, 0, "popctl show backends: %s" % err)
        return {ln.split()[0]: ln.split()[1:]
                for ln in out.splitlines()[1:]}

    def states(self):
        return {a: row[0] for a, row in self.table().items()}

    def stop(self):
        """Everything stopped and removed, whatever state it is in."""
        # The router is the test's: stopped here, cleaned up by the
        # harness.
        for what, how in ([(self.nginx, "cleanup"), (self.router, "stop")] +
                          [(b, "cleanup") for b in self.backends]):
            if what is None:
                continue
            try:
                getattr(what, how)()
            except Exception as e:
                print("# fleet stop: %r" % e)
        if self.vol is not None:
            self.vol.stop()
            self.vol = None
        if self.net is not None:
            self.net.stop()
            self.net = None
        if not os.environ.get("POPDTEST_KEEP"):
            shutil.rmtree(self.top, ignore_errors=True)
