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

"""dbtest -- real databases behind OpenSMTPD's table backends, for the
integration tests and benchmarks of popd's table support (Python 3
standard library only), and a client of the table protocol to ask a
backend directly.

    import dbtest as D

    with D.Postgres(top) as db:            # Sqlite, Postgres, MariaDB, Slapd
        db.add_user("alice", "$2b$10$...", 1000, 1000, "/home/alice")
        conf = db.table_config()
        with D.TableProc(db.backend, conf, env=db.env) as t:
            t.credentials("alice")          # (1, "alice:$2b$10$...")
            t.userinfo("alice")             # (1, "1000:1000:/home/alice")
        db.stop()                           # the database goes down
        db.start()                          # and comes back, data kept

Each database lives in a private directory under top (a ForeignDaemon
of popdtest.py), is created by its first start(), and answers the two
lookups popd makes, keyed by the user name: credentials "user:hash"
and userinfo "uid:gid:home".  The hashes are stored verbatim.

The backend runs as TABLE_USER (_pop3table), never root.  What it must
read is made readable to that user's group and no more: the
configuration file (it holds the database password) and the SQLite file
are mode 0640, owner root, group _pop3table; the directories on the way
are 0755; the PostgreSQL and MariaDB sockets are in a 0755 directory of
the server's user, the sockets themselves 0777 as the servers make them.

Common interface: start() (returns self), stop(), cleanup() (stop and
remove the directory unless POPDTEST_KEEP), `with`; add_user(name, hash,
uid, gid, home), remove_user(name), set_password(name, hash),
set_userinfo(name, uid, gid, home) (AssertionError naming the user when
it is not there); table_config(path=None) writes the backend's
configuration file and returns its path; backend (the table-<backend>
program's suffix); env (the environment the backend needs: MariaDB's
socket, see MariaDB); make_slow(seconds) (Postgres and MariaDB: each
credentials lookup sleeps that long in the database; rewrites the
configuration, which a running backend reads again on update()); freeze()
and thaw() (the servers: SIGSTOP and SIGCONT, a database that hangs).

For SQLite there is no server: stop() holds an exclusive lock on the
file (BEGIN EXCLUSIVE, as a writer would), so that every read fails
"database is locked" until start() releases it.
"""

import base64
import grp
import os
import pwd
import secrets
import signal
import socket
import sqlite3
import shutil
import struct
import subprocess

import popdtest as T

TABLE_USER = "_pop3table"
LIBEXEC = "/usr/libexec/opensmtpd"
PGBIN = "/usr/lib/postgresql/15/bin"
DBNAME = "popd"
DBUSER = "pop3table"            # the role the backend logs in as
SUFFIX = "dc=popd,dc=test"

# The table protocol (opensmtpd-extras api/smtpd-api.h, API version 2).
PROC_TABLE_OK, PROC_TABLE_FAIL, PROC_TABLE_OPEN, PROC_TABLE_CLOSE, \
    PROC_TABLE_UPDATE, PROC_TABLE_CHECK, PROC_TABLE_LOOKUP, \
    PROC_TABLE_FETCH = range(8)
PROC_TABLE_API_VERSION = 2
K_CREDENTIALS = 0x004
K_USERINFO = 0x010
IMSG_HDR = struct.Struct("=IHHII")      # type, len, flags, peerid, pid
LINE_MAX = 2048                         # table_open_params.name


def table_user():
    """The passwd entry of TABLE_USER, created (useradd -r) when missing;
    None when not root (then everything runs as the caller)."""
    if not T.is_root:
        return None
    return T._useradd(TABLE_USER, "/nonexistent")


def need_backend(backend):
    """The path of table-<backend>, installing opensmtpd-extras when
    missing."""
    return T.apt_install("opensmtpd-extras",
                         os.path.join(LIBEXEC, "table-" + backend))


def sqlite_alias(tmpdir, table, column, rows):
    """A SQLite database in tmpdir of one table (name, column) holding
    rows, and a table-sqlite configuration whose query_alias answers
    column for a name (K_ALIAS: popd's quota users, junk users), both
    readable by TABLE_USER: (the configuration's path, sql), sql(stmt,
    *args) running one statement on the database."""
    need_backend("sqlite")
    db = os.path.join(tmpdir, table + ".sqlite")

    def sql(stmt, *args):
        con = sqlite3.connect(db, timeout=10)
        with con:
            con.execute(stmt, args)
        con.close()
    sql("CREATE TABLE %s (name TEXT PRIMARY KEY, %s TEXT NOT NULL)" %
        (table, column))
    for row in rows:
        sql("INSERT INTO %s VALUES (?, ?)" % table, *row)
    conf = os.path.join(tmpdir, "table-sqlite-%s.conf" % table)
    with open(conf, "w") as f:
        f.write("dbpath %s\nquery_alias SELECT %s FROM %s WHERE name = ?\n"
                % (db, column, table))
    for p in (db, conf):
        _owned(p, mode=0o640)
    return conf, sql


def _secret():
    # Hex: no quoting needed in a conninfo or a configuration line.
    return secrets.token_hex(12)


def _owned(path, user=None, mode=None):
    """chown path to user (name) and its group, or to root and
    TABLE_USER's group when user is None; chmod to mode.  Root only."""
    if mode is not None:
        os.chmod(path, mode)
    if not T.is_root:
        return
    if user is None:
        os.chown(path, 0, table_user().pw_gid)
    else:
        pw = pwd.getpwnam(user)
        os.chown(path, pw.pw_uid, pw.pw_gid)


class Database(T.ForeignDaemon):
    """What every database shares: the configuration file and the
    operations on users, written for SQL; Slapd overrides the user
    operations."""

    backend = None
    slow_ok = False

    def __init__(self, prog, top):
        super().__init__(prog, top)
        table_user()
        self.password = _secret()       # DBUSER's password
        self.created = False
        self.conf_path = None
        self.slow = 0
        self.env = {}

    # --- life cycle
    def start(self):
        super().start()
        if not self.created:
            self.create()
            self.created = True
        return self

    def create(self):
        """Runs once, after the first start: the database, its table and
        the backend's account."""
        raise NotImplementedError

    def freeze(self):
        """SIGSTOP to the server and every process under it (PostgreSQL's
        have process groups of their own): a database that hangs, once
        every thread of them is stopped (kill returns before a thread
        running on another CPU stops: it could answer one more query)."""
        self._signal(signal.SIGSTOP)
        pids = [self.proc.pid] + T.descendants(self.proc.pid)

        def stopped():
            for pid in pids:
                try:
                    tasks = os.listdir("/proc/%d/task" % pid)
                except FileNotFoundError:
                    continue
                for t in tasks:
                    try:
                        with open("/proc/%d/task/%s/stat" % (pid, t)) as f:
                            st = f.read()
                    except FileNotFoundError:
                        continue
                    if st[st.rindex(")") + 2] not in "tTXZ":
                        return False
            return True
        T.wait_for(stopped, timeout=10, what="the database stopped")

    def thaw(self):
        self._signal(signal.SIGCONT)

    def _signal(self, sig):
        for pid in [self.proc.pid] + T.descendants(self.proc.pid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    # --- the backend's configuration
    def conf_text(self):
        raise NotImplementedError

    def table_config(self, path=None):
        """Write the backend's configuration (0640 root:_pop3table: it
        may hold the database password); returns its path."""
        path = path or self.conf_path or self.path(
            "table-%s.conf" % self.backend)
        tmp = path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.conf_text())
        _owned(tmp, mode=0o640)
        os.rename(tmp, path)
        self.conf_path = path
        return path

    def make_slow(self, seconds):
        """Each credentials lookup takes seconds more (0: back to
        normal); rewrites the configuration (a running backend reads it
        again on update()).  Returns its path."""
        if not self.slow_ok:
            raise NotImplementedError("%s has no sleep in a query"
                                      % self.backend)
        self.slow = seconds
        return self.table_config()

    # --- users, in SQL; run() executes (sql, params) pairs, each "?" a
    # parameter, and returns the rows of the last one.
    def run(self, stmts):
        raise NotImplementedError

    def add_user(self, name, hash, uid, gid, home):
        self.run([("INSERT INTO users (name, hash, uid, gid, home) "
                   "VALUES (?, ?, ?, ?, ?)",
                   (name, hash, int(uid), int(gid), home))])

    def remove_user(self, name):
        self._found(name, self.run([self._count(name)]))
        self.run([("DELETE FROM users WHERE name = ?", (name,))])

    def set_password(self, name, hash):
        self._found(name, self.run([
            ("UPDATE users SET hash = ? WHERE name = ?", (hash, name)),
            self._count(name)]))

    def set_userinfo(self, name, uid, gid, home):
        self._found(name, self.run([
            ("UPDATE users SET uid = ?, gid = ?, home = ? WHERE name = ?",
             (int(uid), int(gid), home, name)),
            self._count(name)]))

    @staticmethod
    def _count(name):
        return ("SELECT COUNT(*) FROM users WHERE name = ?", (name,))

    def _found(self, name, rows):
        if int(rows[0][0]) != 1:
            raise AssertionError("%s: no user %r" % (self.name, name))


def _as(user):
    """preexec_fn: become user (name) with its groups."""
    pw = pwd.getpwnam(user)

    def drop():
        os.initgroups(user, pw.pw_gid)
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
        T._die_with_harness()   # after the uid change, which clears it
    return drop


def _mkdir(path, user, mode=0o755):
    os.mkdir(path, mode)
    _owned(path, user)
    os.chmod(path, mode)
    return path


# --- SQLite ----------------------------------------------------------------

SCHEMA = ("CREATE TABLE users (name {text} PRIMARY KEY, "
          "hash {text} NOT NULL, uid {int} NOT NULL, gid {int} NOT NULL, "
          "home {long} NOT NULL)")


class Sqlite(Database):
    """A database file, users.sqlite, 0640 root:_pop3table in a 0755
    directory.  No server: stop() takes an exclusive lock, start()
    gives it back."""

    name = "sqlite"
    backend = "sqlite"

    def __init__(self, top):
        super().__init__(None, top)
        self.db = self.path("users.sqlite")
        self.lock = None

    def start(self):
        if not self.created:
            con = sqlite3.connect(self.db)
            with con:
                con.execute(SCHEMA.format(text="TEXT", int="INTEGER",
                                          long="TEXT"))
            con.close()
            _owned(self.db, mode=0o640)
            self.created = True
        if self.lock is not None:
            self.lock.execute("ROLLBACK")
            self.lock.close()
            self.lock = None
        return self

    def stop(self, timeout=10):
        if self.created and self.lock is None:
            self.lock = sqlite3.connect(self.db, timeout=timeout,
                                        isolation_level=None)
            self.lock.execute("BEGIN EXCLUSIVE")

    def cleanup(self):
        if self.lock is not None:
            self.start()
        super().cleanup()

    def freeze(self):
        raise NotImplementedError("sqlite has no server to freeze")

    thaw = freeze

    def run(self, stmts):
        con = sqlite3.connect(self.db, timeout=10)
        try:
            with con:
                for sql, params in stmts:
                    rows = con.execute(sql, params).fetchall()
        finally:
            con.close()
        return rows

    def conf_text(self):
        return ("dbpath %s\n"
                "query_credentials SELECT name, hash FROM users "
                "WHERE name = ?\n"
                "query_userinfo SELECT uid, gid, home FROM users "
                "WHERE name = ?\n" % self.db)


# --- servers driven by their command-line clients ------------------------

class _CliSql(Database):
    """A SQL server administered with its own client over its socket:
    run() puts the parameters in as literals (lit())."""

    def lit(self, v):
        raise NotImplementedError

    def client(self, script, db=DBNAME):
        """Run script in the server's client; returns its output."""
        raise NotImplementedError

    def run(self, stmts):
        parts = []
        for sql, params in stmts:
            pieces = sql.split("?")
            if len(pieces) != len(params) + 1:
                raise ValueError("%d parameters for %r" % (len(params), sql))
            out = pieces[0]
            for p, rest in zip(params, pieces[1:]):
                out += self.lit(p) + rest
            parts.append(out + ";\n")
        text = self.client("".join(parts))
        return [ln.split("\t") for ln in text.splitlines()]

    @staticmethod
    def _str(v):
        if isinstance(v, int):
            return None
        if "\0" in v:
            raise ValueError("NUL in %r" % v)
        return v

    def _client(self, argv, script, user=None):
        r = subprocess.run(argv, input=script.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           preexec_fn=_as(user) if user else None,
                           timeout=60)
        if r.returncode != 0:
            raise AssertionError("%s: %s failed (exit %d): %s\nscript: %s"
                                 % (self.name, os.path.basename(argv[0]),
                                    r.returncode,
                                    r.stderr.decode(errors="replace")
                                    .strip(), script.strip()))
        return r.stdout.decode()


# --- PostgreSQL ------------------------------------------------------------

class Postgres(_CliSql):
    """A PostgreSQL 15 cluster of its own: postgres as the OS user
    postgres, data in dir/data, no TCP (listen_addresses=''), its socket
    in dir/run (0755 postgres).  The fixture administers it as the
    superuser postgres (peer); the backend logs in as DBUSER with a
    password (scram-sha-256) given in its conninfo, so it may run as any
    OS user.  stop() is a fast shutdown (SIGINT), which ends the
    backend's session too; a smart one would wait for it."""

    name = "postgres"
    backend = "postgres"
    slow_ok = True

    def __init__(self, top):
        T.need_root()
        T.apt_install("postgresql-15", "psql",
                      needs=os.path.join(PGBIN, "postgres"))
        super().__init__(T.find_prog("setpriv"), top)
        self.data = self.path("data")
        self.sockdir = self.path("run")
        self.args = ["--reuid=postgres", "--regid=postgres",
                     "--init-groups", "--pdeathsig=TERM",
                     os.path.join(PGBIN, "postgres"), "-D", self.data]

    def start(self):
        if not self.created:
            self.initdb()
        return super().start()

    def initdb(self):
        _mkdir(self.data, "postgres", 0o700)
        _mkdir(self.sockdir, "postgres")
        r = subprocess.run([os.path.join(PGBIN, "initdb"), "-D", self.data,
                            "-U", "postgres", "-A", "peer", "-E", "UTF8",
                            "--no-instructions"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           preexec_fn=_as("postgres"), timeout=120)
        if r.returncode != 0:
            raise RuntimeError("initdb failed: %s"
                               % r.stdout.decode(errors="replace"))
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("listen_addresses = ''\n"
                    "unix_socket_directories = '%s'\n" % self.sockdir)
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all postgres peer\n"
                    "local %s %s scram-sha-256\n" % (DBNAME, DBUSER))

    def ready(self):
        # postmaster.pid says "ready" once it accepts sessions; its
        # socket exists earlier.
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                lines = f.read().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[0] == str(self.proc.pid) and \
            lines[7].strip() == "ready"

    def stop(self, timeout=10):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        super().stop(timeout)

    def create(self):
        self.client("CREATE ROLE %s LOGIN PASSWORD %s;\n"
                    "CREATE DATABASE %s;\n"
                    % (DBUSER, self.lit(self.password), DBNAME),
                    db="postgres")
        self.client(SCHEMA.format(text="text", int="integer", long="text") +
                    ";\nGRANT SELECT ON users TO %s;\n" % DBUSER)

    def lit(self, v):
        s = self._str(v)
        if s is None:
            return str(int(v))
        # standard_conforming_strings is on: only quotes are special.
        return "'" + s.replace("'", "''") + "'"

    def client(self, script, db=DBNAME):
        return self._client([os.path.join(PGBIN, "psql"), "-X", "-q",
                             "-v", "ON_ERROR_STOP=1", "-tA", "-F", "\t",
                             "-h", self.sockdir, "-U", "postgres",
                             "-d", db], script, "postgres")

    def conf_text(self):
        cred = "SELECT name, hash FROM users WHERE name = $1"
        if self.slow:
            # An uncorrelated subquery is a one-time filter: it sleeps
            # once, found or not.
            cred = ("SELECT name, hash FROM users WHERE "
                    "(SELECT 1 FROM pg_sleep(%g)) = 1 AND name = $1"
                    % self.slow)
        return ("conninfo host=%s dbname=%s user=%s password=%s\n"
                "query_credentials %s\n"
                "query_userinfo SELECT uid, gid, home FROM users "
                "WHERE name = $1\n"
                % (self.sockdir, DBNAME, DBUSER, self.password, cred))


# --- MariaDB -----------------------------------------------------------------

class MariaDB(_CliSql):
    """A MariaDB server of its own: datadir dir/data made by
    mariadb-install-db, mariadbd --skip-networking as the OS user mysql,
    its socket dir/run/mysqld.sock (run 0755 mysql).  The fixture
    administers it as root (unix_socket authentication); the backend
    logs in as DBUSER@localhost with a password.  The names compare
    exactly (utf8mb4_bin), not MariaDB's default case-insensitive way.

    table-mysql 6.7.1 has no socket (nor port) setting: it connects to
    host "localhost" through the socket libmariadb finds, Debian's
    /run/mysqld/mysqld.sock unless MYSQL_UNIX_PORT names another.  So
    self.env holds MYSQL_UNIX_PORT, and whoever runs the backend must
    pass it."""

    name = "mariadb"
    backend = "mysql"
    slow_ok = True

    def __init__(self, top):
        T.need_root()
        mariadbd = T.apt_install("mariadb-server", "mariadbd")
        self.installdb = T.apt_install("mariadb-server",
                                       "mariadb-install-db")
        self.mariadb = T.apt_install("mariadb-client", "mariadb")
        super().__init__(mariadbd, top)
        self.data = self.path("data")
        self.sockdir = self.path("run")
        self.sock = os.path.join(self.sockdir, "mysqld.sock")
        self.env = {"MYSQL_UNIX_PORT": self.sock}
        self.timeout = 60
        self.args = ["--no-defaults", "--datadir=" + self.data,
                     "--socket=" + self.sock, "--skip-networking",
                     "--user=mysql",
                     "--pid-file=" + os.path.join(self.sockdir, "pid")]

    def start(self):
        if not self.created:
            _mkdir(self.sockdir, "mysql")
            r = subprocess.run([self.installdb, "--no-defaults",
                                "--datadir=" + self.data, "--user=mysql",
                                "--auth-root-authentication-method=socket",
                                "--skip-test-db", "--skip-name-resolve"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=300)
            if r.returncode != 0:
                raise RuntimeError("mariadb-install-db failed: %s"
                                   % r.stdout.decode(errors="replace"))
        return super().start()

    def ready(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.sock)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def create(self):
        self.client("CREATE DATABASE %s;\n" % DBNAME +
                    SCHEMA.format(text="VARCHAR(255)", int="INT UNSIGNED",
                                  long="VARCHAR(1024)")
                    .replace("users", DBNAME + ".users", 1) +
                    " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;\n"
                    "CREATE USER '%s'@'localhost' IDENTIFIED BY %s;\n"
                    "GRANT SELECT ON %s.users TO '%s'@'localhost';\n"
                    % (DBUSER, self.lit(self.password), DBNAME, DBUSER),
                    db=None)

    def lit(self, v):
        s = self._str(v)
        if s is None:
            return str(int(v))
        return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"

    def client(self, script, db=DBNAME):
        return self._client([self.mariadb, "--no-defaults", "-S", self.sock,
                             "-u", "root", "-N", "-B"] +
                            ([db] if db else []), script)

    def conf_text(self):
        cred = "SELECT name, hash FROM users WHERE name = ?"
        if self.slow:
            # A derived table of one row: it sleeps once, found or not.
            cred = ("SELECT name, hash FROM users, (SELECT SLEEP(%g) AS z) "
                    "AS s WHERE name = ?" % self.slow)
        return ("host localhost\n"
                "username %s\n"
                "password %s\n"
                "database %s\n"
                "query_credentials %s\n"
                "query_userinfo SELECT uid, gid, home FROM users "
                "WHERE name = ?\n"
                % (DBUSER, self.password, DBNAME, cred))


# --- OpenLDAP ----------------------------------------------------------------

SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "{suffix}"
rootdn "{rootdn}"
rootpw {rootpw}
directory {data}
access to attrs=userPassword
    by dn.exact="{binddn}" read
    by anonymous auth
    by * none
access to *
    by dn.exact="{binddn}" read
    by * none
"""


def install_slapd():
    """slapd, installed when missing without a question asked; a system
    slapd its package may have started is stopped (ours listens on a
    port of its own anyway)."""
    installed = T.find_prog("slapd") is not None
    path = T.apt_install("slapd", "slapd")
    if not installed:
        for cmd in (["systemctl", "stop", "slapd"],
                    ["service", "slapd", "stop"]):
            if shutil.which(cmd[0]):
                subprocess.run(cmd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    return path


def _dn_value(s):
    """An RDN value escaped (RFC 4514)."""
    out = "".join("\\" + c if c in ',+"\\<>;=' else c for c in s)
    if out[:1] in ("#", " "):
        out = "\\" + out
    if out.endswith(" "):
        out = out[:-1] + "\\ "
    return out


def _ldif(attr, value):
    """One LDIF line, the value in base64: nothing in it is special."""
    return "%s:: %s\n" % (attr, base64.b64encode(
        str(value).encode()).decode())


class Slapd(Database):
    """An OpenLDAP slapd of its own (slapd.conf, mdb in dir/data) as the
    OS user openldap on ldap://127.0.0.1:PORT, suffix SUFFIX, root DN
    cn=admin (self.rootdn, self.rootpw) for the fixture, a read-only
    account cn=pop3table (self.binddn, self.password) for the backend,
    the users uid=NAME,ou=users (inetOrgPerson + posixAccount: uid,
    userPassword, uidNumber, gidNumber, homeDirectory).  Changes go
    through ldapmodify (ldap-utils).

    table-ldap 6.7.1: credentials_attributes takes exactly 2 names and
    userinfo_attributes exactly 3 (another count is taken without a
    word at start, and the backend dies of SIGSEGV at the first lookup
    that finds an entry); an entry without one of the attributes is an
    error (-1); the key goes into the filter as it is (printf %s, no
    escaping: "*" finds a user); a lookup that finds nothing connects
    and binds again, then asks again.  It logs its configuration, the
    bind password too, on stderr."""

    name = "slapd"
    backend = "ldap"

    def __init__(self, top):
        T.need_root()
        slapd = install_slapd()
        self.ldapmodify = T.apt_install("ldap-utils", "ldapmodify")
        super().__init__(slapd, top)
        self.port = T.free_port()
        self.url = "ldap://127.0.0.1:%d" % self.port
        self.rootdn = "cn=admin," + SUFFIX
        self.rootpw = _secret()
        self.binddn = "cn=%s,%s" % (DBUSER, SUFFIX)
        self.basedn = "ou=users," + SUFFIX
        self.data = self.path("data")
        self.conf = self.path("slapd.conf")
        self.args = ["-d", "256", "-h", self.url + "/", "-f", self.conf,
                     "-u", "openldap", "-g", "openldap"]

    def start(self):
        if not self.created:
            _mkdir(self.data, "openldap", 0o700)
            self.write("slapd.conf", SLAPD_CONF.format(
                suffix=SUFFIX, rootdn=self.rootdn, rootpw=self.rootpw,
                data=self.data, binddn=self.binddn), 0o640)
            os.chown(self.conf, 0, grp.getgrnam("openldap").gr_gid)
            self.write("rootpw", self.rootpw, 0o600)
        return super().start()

    def create(self):
        dc = SUFFIX.split(",")[0].split("=")[1]
        self.modify("dn: %s\nchangetype: add\nobjectClass: dcObject\n"
                    "objectClass: organization\ndc: %s\no: %s\n\n"
                    "dn: %s\nchangetype: add\n"
                    "objectClass: organizationalUnit\nou: users\n\n"
                    "dn: %s\nchangetype: add\n"
                    "objectClass: organizationalRole\n"
                    "objectClass: simpleSecurityObject\ncn: %s\n%s"
                    % (SUFFIX, dc, dc, self.basedn, self.binddn, DBUSER,
                       _ldif("userPassword", self.password)))

    def modify(self, ldif, name=None):
        """ldapmodify as the root DN; a change of the user name that is
        not there says so, as the SQL databases do."""
        r = subprocess.run([self.ldapmodify, "-x", "-H", self.url,
                            "-D", self.rootdn, "-y", self.path("rootpw")],
                           input=ldif.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        if r.returncode == 32 and name is not None:     # noSuchObject
            raise AssertionError("%s: no user %r" % (self.name, name))
        if r.returncode != 0:
            raise AssertionError("slapd: ldapmodify failed (exit %d): %s"
                                 % (r.returncode,
                                    r.stdout.decode(errors="replace")
                                    .strip()))

    def dn(self, name):
        return "uid=%s,%s" % (_dn_value(name), self.basedn)

    def add_user(self, name, hash, uid, gid, home):
        self.modify(_ldif("dn", self.dn(name)) + "changetype: add\n"
                    "objectClass: inetOrgPerson\nobjectClass: posixAccount\n"
                    + _ldif("uid", name) + _ldif("cn", name) +
                    _ldif("sn", name) + _ldif("userPassword", hash) +
                    "uidNumber: %d\ngidNumber: %d\n" % (uid, gid) +
                    _ldif("homeDirectory", home))

    def remove_user(self, name):
        self.modify(_ldif("dn", self.dn(name)) + "changetype: delete\n", name)

    def set_password(self, name, hash):
        self.modify(_ldif("dn", self.dn(name)) + "changetype: modify\n"
                    "replace: userPassword\n" +
                    _ldif("userPassword", hash) + "-\n", name)

    def set_userinfo(self, name, uid, gid, home):
        self.modify(_ldif("dn", self.dn(name)) + "changetype: modify\n"
                    "replace: uidNumber\nuidNumber: %d\n-\n"
                    "replace: gidNumber\ngidNumber: %d\n-\n"
                    "replace: homeDirectory\n" % (uid, gid) +
                    _ldif("homeDirectory", home) + "-\n", name)

    def conf_text(self):
        filt = "(&(objectClass=posixAccount)(uid=%s))"
        return ("url %s\n"
                "username %s\n"
                "password %s\n"
                "basedn %s\n"
                "credentials_filter %s\n"
                "credentials_attributes uid,userPassword\n"
                "userinfo_filter %s\n"
                "userinfo_attributes uidNumber,gidNumber,homeDirectory\n"
                % (self.url, self.binddn, self.password, self.basedn,
                   filt, filt))


ALL = (Sqlite, Postgres, MariaDB, Slapd)


# --- a client of the table protocol -----------------------------------------

class BackendGone(AssertionError):
    """The backend closed its end: it exited (status: its exit status,
    negative for a signal, as subprocess says; None if still running)."""

    def __init__(self, what, status, stderr):
        super().__init__("%s: backend gone (status %s); stderr: %s"
                         % (what, status, stderr.strip()[-1500:]))
        self.status = status
        self.stderr = stderr


class TableProc:
    """A table backend (program: "sqlite", "postgres", "mysql", "ldap" or
    a path) run with config as user (TABLE_USER; the caller when
    user=None or not root), the environment PATH plus env, one end of
    a socketpair as its stdin, its stderr appended to errlog (config +
    ".stderr" by default, 0600: table-ldap writes its password there);
    opened as smtpd opens it (PROC_TABLE_OPEN, name).  A reply not
    within timeout seconds raises socket.timeout (the reply, when it
    comes, is the next one reply() reads); a closed channel
    BackendGone."""

    def __init__(self, program, config, user=TABLE_USER, env=None,
                 name="popd", timeout=30, errlog=None):
        self.prog = program if "/" in program else need_backend(program)
        self.config = config
        self.errlog = errlog or config + ".stderr"
        self.timeout = timeout
        self.sock, theirs = socket.socketpair(socket.AF_UNIX,
                                              socket.SOCK_STREAM)
        environ = {"PATH": "/usr/bin:/bin"}
        environ.update(env or {})
        drop = None
        if T.is_root and user is not None:
            table_user()
            drop = _as(user)
        fd = os.open(self.errlog, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                     0o600)
        with os.fdopen(fd, "ab") as err:
            self.errstart = err.seek(0, os.SEEK_END)
            try:
                self.proc = subprocess.Popen(
                    [self.prog, config], stdin=theirs,
                    stdout=subprocess.DEVNULL, stderr=err, env=environ,
                    preexec_fn=drop or T._die_with_harness)
            finally:
                theirs.close()
        self.sock.settimeout(timeout)
        try:
            self.open(name)
        except BaseException:
            self.close()
            raise

    # --- imsg frames
    def _gone(self, what):
        try:
            status = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            status = None
        return BackendGone(what, status, self.stderr())

    def send(self, type, data=b"", what="send"):
        try:
            self.sock.sendall(IMSG_HDR.pack(type, IMSG_HDR.size + len(data),
                                            0, 0, 0) + data)
        except (BrokenPipeError, ConnectionResetError):
            raise self._gone(what)

    def _read(self, n, what):
        buf = b""
        while len(buf) < n:
            try:
                got = self.sock.recv(n - len(buf))
            except ConnectionResetError:
                got = b""
            if not got:
                raise self._gone(what)
            buf += got
        return buf

    def recv(self, what):
        """The next frame: (type, data)."""
        type, length, _, _, _ = IMSG_HDR.unpack(
            self._read(IMSG_HDR.size, what))
        if length < IMSG_HDR.size:
            raise AssertionError("%s: bad frame length %d" % (what, length))
        return type, self._read(length - IMSG_HDR.size, what)

    def reply(self, what):
        """The next reply, PROC_TABLE_OK: its data."""
        type, data = self.recv(what)
        if type != PROC_TABLE_OK:
            raise AssertionError("%s: reply type %d, not PROC_TABLE_OK"
                                 % (what, type))
        return data

    # --- requests
    def open(self, name):
        if len(name) >= LINE_MAX:
            raise ValueError("table name too long")
        self.send(PROC_TABLE_OPEN, struct.pack("=I", PROC_TABLE_API_VERSION)
                  + name.encode().ljust(LINE_MAX, b"\0"), "open")
        data = self.reply("open")
        if data:
            raise AssertionError("open: reply with %d bytes" % len(data))

    def _int(self, what):
        data = self.reply(what)
        if len(data) != 4:
            raise AssertionError("%s: reply of %d bytes" % (what, len(data)))
        return struct.unpack("=i", data)[0]

    def update(self):
        """PROC_TABLE_UPDATE (the configuration read again): 1 or 0."""
        self.send(PROC_TABLE_UPDATE, what="update")
        return self._int("update")

    def lookup(self, service, key):
        """(r, value): r 1 found (value a str), 0 not found, -1 an
        error (value None)."""
        what = "lookup %#x %r" % (service, key)
        self.send(PROC_TABLE_LOOKUP, struct.pack("=iQ", service, 0) +
                  key.encode() + b"\0", what)
        data = self.reply(what)
        if len(data) < 4:
            raise AssertionError("%s: reply of %d bytes" % (what, len(data)))
        r = struct.unpack("=i", data[:4])[0]
        rest = data[4:]
        if r != 1:
            if rest:
                raise AssertionError("%s: %d with %d bytes" % (what, r,
                                                               len(rest)))
            return r, None
        if not rest.endswith(b"\0") or b"\0" in rest[:-1]:
            raise AssertionError("%s: value not one string: %r"
                                 % (what, rest))
        return r, rest[:-1].decode()

    def credentials(self, user):
        return self.lookup(K_CREDENTIALS, user)

    def userinfo(self, user):
        return self.lookup(K_USERINFO, user)

    # --- the process
    def alive(self):
        return self.proc.poll() is None

    def stderr(self):
        """What the backend wrote on stderr since it started."""
        try:
            with open(self.errlog, "rb") as f:
                f.seek(self.errstart)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def close(self, timeout=5):
        """PROC_TABLE_CLOSE, then the process ends (SIGTERM, SIGKILL if
        it does not); returns its exit status."""
        try:
            if self.alive():
                self.send(PROC_TABLE_CLOSE)
        except (OSError, BackendGone):
            pass
        self.sock.close()
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None and self.proc.poll() is None:
                self.proc.send_signal(sig)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        return self.proc.poll()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
