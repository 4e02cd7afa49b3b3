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

"""Every configuration the documents show loads (issue 70): each one is
taken from the document itself and checked, popd.conf with popd -n,
nginx.conf with nginx -t.

Which blocks: every indented code block of README.md, INSTALL.md,
SECURITY.md and doc/*.md, and every .Bd -literal of the EXAMPLES
section of man/*.5 and man/*.8.  Each carries a marker just before it
that says what it is, so that nothing is guessed:

    <!-- example: KIND ... -->          (markdown, on the line before)
    .\\" example: KIND ...               (mdoc, the line before .Bd)

One KIND is the whole block's; several are its paragraphs' (the parts
between blank lines), in order, and must be as many.  A block without
a marker, a marker without a block, or a KIND not listed here fails.

    popd.conf       a whole popd.conf: popd -n -f FILE, "configuration
                    OK".  It names its own authtab and usertab (popd's
                    defaults, /etc/mail/..., are not the test's to
                    make).
    popd.conf-part  statements shown alone: the test adds what the part
                    lacks of BASE (an authtab, a usertab, a pki, a TLS
                    listener), then as popd.conf.
    nginx.conf      nginx's mail block (and a "user" line): nginx -t,
                    after load_module, pid, error_log and events.
    authtab         an authtab(5) (usertab(5)): popd -n on BASE with
    usertab         it as its authtab (usertab), the other table
                    naming its users (with the test's mail user's ids).
    /PATH           the file at PATH, as the document gives it, for the
                    block's checked parts to read.
    UNCHECKED       other programs' files, commands, output, formats.

Substitutions, in checked parts only: every absolute path /etc, /run,
/var, /usr, /home or /srv P becomes ROOT/P, ROOT a fresh directory for
each part (macros expanded as popd does); a file a statement names and
the block does not give is written with plausible content by what
names it (FILE_RULES: authtab, usertab, pki cert/key pairs, ticket and
app-password keys, routes, quota users, Dovecot's passwd-file, table
configurations; "empty" in a name: an empty file); a file the test has
no rule for fails.  The user and group names of NAMES become the test's
own system users.  About 25 s (popd -n some 30 times)."""

import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

CHECKED = ("popd.conf", "popd.conf-part", "nginx.conf", "authtab",
           "usertab")
UNCHECKED = ("shell", "output", "text", "haproxy.cfg", "smtpd.conf",
             "acme-client.conf", "table.conf", "crontab")
NAMES = {"nginx-mail": "popdnginx", "vmail": "popdtest1",
         "popusers": "popdtest1", "popctl": "popdnginx"}
PATHS = re.compile(r"(?<![\w.$/])/(?:etc|run|var|usr|home|srv)/"
                   r"[^\s\"';:,)]*")
MD_MARK = re.compile(r"^\s*<!-- example: (.*) -->$")
MAN_MARK = re.compile(r'^\.\\" example: (.*)$')


def markdown_blocks(path):
    """[(line, marker or None, text)] of path's indented code blocks: a
    line indented 4 or more after a blank line, and what follows with
    that indent (blank lines inside included)."""
    lines = open(path).read().split("\n")
    out = []
    i = 0
    prev = ""
    while i < len(lines):
        ln = lines[i]
        ind = len(ln) - len(ln.lstrip(" "))
        if ln.strip() and ind >= 4 and not prev.strip():
            start = i
            body = []
            while i < len(lines) and (
                    not lines[i].strip() or
                    len(lines[i]) - len(lines[i].lstrip(" ")) >= ind):
                body.append(lines[i][ind:])
                i += 1
            while body and not body[-1].strip():
                body.pop()
            j = start - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            m = MD_MARK.match(lines[j]) if j >= 0 else None
            out.append((start + 1, m.group(1) if m else None,
                        "\n".join(body)))
            prev = body[-1]
            continue
        prev = ln
        i += 1
    marks = sum(1 for ln in lines if MD_MARK.match(ln))
    return out, marks


def man_text(ln):
    return ln.replace("\\e", "\\").replace("\\&", "")


def man_blocks(path):
    """[(line, marker or None, text)] of the .Bd -literal blocks of
    path's EXAMPLES section."""
    lines = open(path).read().split("\n")
    out = []
    sect = None
    marks = 0
    for i, ln in enumerate(lines):
        if ln.startswith(".Sh "):
            sect = ln[4:]
        if MAN_MARK.match(ln):
            marks += 1
        if sect != "EXAMPLES" or not ln.startswith(".Bd -literal"):
            continue
        m = MAN_MARK.match(lines[i - 1])
        body = []
        for b in lines[i + 1:]:
            if b.startswith(".Ed"):
                break
            body.append(man_text(b))
        out.append((i + 1, m.group(1) if m else None, "\n".join(body)))
    return out, marks


def documents():
    top = T.REPO
    md = [os.path.join(top, f) for f in ("README.md", "INSTALL.md",
                                         "SECURITY.md")]
    md += sorted(glob.glob(os.path.join(top, "doc", "*.md")))
    man = sorted(glob.glob(os.path.join(top, "man", "*.[58]")))
    return [(f, markdown_blocks) for f in md] + \
        [(f, man_blocks) for f in man]


def paragraphs(text):
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def examples():
    """[(where, kind, text, files)]: each part to check, with the files
    ({path: text}) its block gives; and the errors of the markers."""
    out, errors = [], []
    for path, reader in documents():
        rel = os.path.relpath(path, T.REPO)
        blocks, marks = reader(path)
        if marks != sum(1 for b in blocks if b[1] is not None):
            errors.append("%s: %d example markers, %d on a block"
                          % (rel, marks, sum(1 for b in blocks
                                             if b[1] is not None)))
        for line, mark, text in blocks:
            where = "%s:%d" % (rel, line)
            if mark is None:
                errors.append("%s: a block without an example marker: %r"
                              % (where, text.split("\n")[0]))
                continue
            kinds = mark.split()
            parts = paragraphs(text) if len(kinds) > 1 else [text]
            if len(parts) != len(kinds):
                errors.append("%s: %d kinds for %d paragraphs"
                              % (where, len(kinds), len(parts)))
                continue
            files = {}
            for k, p in zip(kinds, parts):
                if k.startswith("/"):
                    files[k] = "\n".join(ln for ln in p.split("\n")
                                         if not ln.startswith("#")) + "\n"
                elif k not in CHECKED + UNCHECKED:
                    errors.append("%s: unknown kind %r" % (where, k))
            for k, p in zip(kinds, parts):
                if k in CHECKED:
                    out.append((where, k, p, files))
    return out, errors


def names(text):
    for a, b in NAMES.items():
        text = re.sub(r"(?<![\w-])%s(?![\w-])" % re.escape(a), b, text)
    return text


def rooted(text, root):
    return PATHS.sub(lambda m: root + m.group(0), text)


def statements(text):
    """popd.conf's statements as token lists: continuation lines joined,
    comments dropped, macros expanded."""
    text = re.sub(r"\\\n", " ", text)
    macros = {}
    out = []
    for ln in text.split("\n"):
        try:
            t = shlex.split(ln, comments=True)
        except ValueError:
            continue
        if not t:
            continue
        if len(t) == 3 and t[1] == "=":
            macros[t[0]] = t[2]
            continue
        t = [re.sub(r"\$(\w+)", lambda m: macros.get(m.group(1), m.group(0)),
                    w) for w in t]
        out.append(t)
    return out


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        return
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


class Files:
    """What a part's statements name, written under root."""

    def __init__(self, root):
        self.root = root
        self.uid = T.mailuser(1)
        self.hash = T.make_hash("secret")
        self.missing = []

    def user_line(self):
        return "alice\t%d:%d:/var/vmail/alice\n" % (self.uid.pw_uid,
                                                    self.uid.pw_gid)

    def table(self, path, use):
        if "empty" in os.path.basename(path):
            write(path, "")
        elif use == "authtab":
            write(path, "alice\t%s\n" % self.hash, 0o640)
        elif use == "usertab":
            write(path, self.user_line())
        elif use == "both":
            write(path, "alice:%s:%d:%d::/var/vmail/alice::"
                  "userdb_quota_rule=*:storage=1G\n"
                  % (self.hash, self.uid.pw_uid, self.uid.pw_gid), 0o640)

    def popd(self, text):
        sts = statements(text)
        pkis = {}
        uses = {}
        for t in sts:
            if t[0] in ("authtab", "usertab", "quota", "junk") and \
                    t[-1].startswith("<"):
                uses.setdefault(t[-1][1:-1], set()).add(t[0])
        for t in sts:
            w = t[0]
            if w in ("authtab", "usertab") and t[1].startswith("/"):
                self.table(t[1], w)
            elif w == "pki" and len(t) == 4:
                pkis.setdefault(t[1], {})[t[2]] = t[3]
            elif w == "ticket" and t[1] == "key":
                write(t[2], os.urandom(32).hex() + "\n", 0o600)
            elif w == "route" and t[1].startswith("/"):
                write(t[1], "alice\t192.0.2.21\n")
            elif w == "app-passwords":
                write(t[1], "", 0o640)
                if len(t) > 3 and t[2] == "key":
                    write(t[3], os.urandom(32).hex() + "\n", 0o600)
            elif w == "quota" and t[1] == "users" and t[2].startswith("/"):
                write(t[2], "alice\t5G\n")
            elif w == "listen" and t[2] == "socket":
                os.makedirs(os.path.dirname(t[3]), exist_ok=True)
            elif w == "table":
                kind, _, path = t[2].partition(":")
                use = uses.get(t[1], set())
                if kind == "file":
                    self.table(path, "authtab" if "authtab" in use
                               else "usertab")
                elif kind == "passwd-file":
                    self.table(path, "both")
                else:
                    write(path, "# a table-%s configuration\n" % kind,
                          0o640)
        for name, pair in pkis.items():
            if "cert" in pair and "key" in pair and \
                    not os.path.exists(pair["cert"]):
                for p in pair.values():
                    os.makedirs(os.path.dirname(p), exist_ok=True)
                T.make_cert(pair["cert"], pair["key"], cn=name)
        self.check_named(sts)

    def check_named(self, sts):
        for t in sts:
            for w in t:
                if w.startswith(self.root) and not os.path.exists(w) and \
                        not (t[0] == "listen" and t[2] == "socket"):
                    self.missing.append("%s (in %s)" % (
                        w[len(self.root):], " ".join(t)))

    def nginx(self, text):
        pair = {}
        for m in re.finditer(r"^\s*(ssl_certificate(?:_key)?)\s+(\S+);",
                             text, re.M):
            pair[m.group(1)] = m.group(2)
        if pair:
            for p in pair.values():
                os.makedirs(os.path.dirname(p), exist_ok=True)
            T.make_cert(pair["ssl_certificate"],
                        pair["ssl_certificate_key"], cn="mail.example.org")


BASE = {
    "authtab": 'authtab "/etc/mail/authtab"\n',
    "usertab": 'usertab "/etc/mail/usertab"\n',
    "pki": ('pki base.example cert "/etc/ssl/base.example.crt"\n'
            'pki base.example key "/etc/ssl/private/base.example.key"\n'),
    "listen": "listen on 127.0.0.1 port 1110 tls\n",
}


def completed(text):
    """A popd.conf-part with what it lacks of BASE before it."""
    sts = statements(text)
    have = {t[0] for t in sts}
    pop3 = any(t[0] == "listen" and ("tls" in t or "starttls" in t)
               for t in sts)
    add = "".join(v for k, v in BASE.items()
                  if k not in have and not (k == "listen" and pop3))
    return add + text


def check_table(root, kind, text):
    """An authtab or usertab example as BASE's table."""
    users = [re.split(r"[\s:]", ln, 1)[0] for ln in text.split("\n")
             if ln.strip() and not ln.startswith("#")]
    f = Files(root)
    other = "usertab" if kind == "authtab" else "authtab"
    write(root + "/etc/mail/" + kind, text + "\n", 0o640)
    if other == "usertab":
        write(root + "/etc/mail/usertab", "".join(
            "%s\t%d:%d:/var/vmail/%s\n" % (u, f.uid.pw_uid, f.uid.pw_gid,
                                           u) for u in users))
    else:
        write(root + "/etc/mail/authtab", "", 0o640)
    return check_popd(root, "popd.conf-part", "", {}, None)


def check_popd(root, kind, text, files, where):
    if kind == "popd.conf":
        have = {t[0] for t in statements(text)}
        for tab in ("authtab", "usertab"):
            if tab not in have:
                return "a whole popd.conf that names no %s" % tab
    else:
        text = completed(text)
    text = rooted(names(text), root)
    f = Files(root)
    for p, body in files.items():
        write(root + p, rooted(body, root))
    f.popd(text)
    if f.missing:
        return "the test has no rule for " + ", ".join(f.missing)
    conf = os.path.join(root, "popd.conf")
    write(conf, text)
    r = subprocess.run([T.POPD, "-n", "-f", conf], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    out = r.stdout.decode(errors="replace").strip()
    if r.returncode != 0 or out != "configuration OK":
        return "popd -n: exit %d: %s\n--- as checked:\n%s" % (
            r.returncode, out, text)
    return None


def check_nginx(root, nginx, text, where):
    text = rooted(names(text), root)
    Files(root).nginx(text)
    conf = os.path.join(root, "nginx.conf")
    log = os.path.join(root, "error.log")
    write(conf, "load_module %s;\npid %s/nginx.pid;\nerror_log %s;\n"
          "events { worker_connections 64; }\n%s\n"
          % (T.NGINX_MODULE, root, log, text))
    r = subprocess.run([nginx, "-t", "-p", root + "/", "-c", conf, "-e",
                        log], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    out = r.stdout.decode(errors="replace").strip()
    if r.returncode != 0:
        return "nginx -t: exit %d: %s\n--- as checked:\n%s" % (
            r.returncode, out, text)
    return None


@T.test(start=False)
def every_block_is_marked(srv):
    """Each code block of the documents says what it is."""
    _, errors = examples()
    T.expect_true(not errors, "every block marked, with known kinds",
                  "\n".join(errors))


# A command bash and zsh run as their directory-stack builtin: popd
# without its path, with a flag or alone at a prompt (issue 86).
BARE = re.compile(r"(?<![\w/.-])popd -[a-zA-Z]|^\s+[#$] popd(?:\s|$)", re.M)
# The documents and the files with comments an admin reads, by path.
BARE_FILES = ("README.md", "INSTALL.md", "SECURITY.md", "doc/*.md",
              "doc/*.txt", "debian/popd.conf", "openbsd/popd.conf",
              "popd/popd.rc", "openbsd/mail/popd/pkg/popd.rc")


@T.test(start=False)
def no_bare_popd_command(srv):
    """Every document gives popd's full path where it shows a command:
    bash and zsh take a bare "popd -n" for their builtin.  The manual
    pages as mandoc renders them."""
    texts = {}
    for pat in BARE_FILES:
        for path in sorted(glob.glob(os.path.join(T.REPO, pat))):
            with open(path) as f:
                texts[os.path.relpath(path, T.REPO)] = f.read()
    for path in sorted(glob.glob(os.path.join(T.REPO, "man", "*.[58]"))):
        r = subprocess.run(["mandoc", "-Tascii", "-Owidth=300", path],
                           stdout=subprocess.PIPE, check=True)
        texts[os.path.relpath(path, T.REPO)] = re.sub(
            ".\b", "", r.stdout.decode(errors="replace"))
    bare = ["%s: %s" % (name, text[text.rfind("\n", 0, m.start()) + 1:
                                   text.find("\n", m.end())].strip())
            for name, text in sorted(texts.items())
            for m in BARE.finditer(text)]
    T.expect_true(len(texts) > 25, "the documents read", sorted(texts))
    T.expect(bare, [], "bare popd commands")


def scram(name, pw=b"pw", salt=b"popd-salt-16byte", rounds=4096):
    """A Dovecot {SCRAM-SHA-*} line's value: rounds,salt,stored,server."""
    import base64
    import hashlib
    import hmac
    salted = hashlib.pbkdf2_hmac(name, pw, salt, rounds)
    ck = hmac.new(salted, b"Client Key", name).digest()
    sk = hmac.new(salted, b"Server Key", name).digest()
    b64 = base64.b64encode
    return "%d,%s,%s,%s" % (rounds, b64(salt).decode(),
                            b64(hashlib.new(name, ck).digest()).decode(),
                            b64(sk).decode())


# Well-formed hashes of the kinds authtab(5) may name (their passwords
# do not matter: popd -n reads, it does not check).
KIND_SAMPLES = {
    "{PLAIN-MD4}": "{PLAIN-MD4}8a9d093f14f8701df17732b2bb182c74",
    "{NTLM}": "{NTLM}8a9d093f14f8701df17732b2bb182c74",
    "{SCRAM-SHA-1}": "{SCRAM-SHA-1}" + scram("sha1"),
    "{SCRAM-SHA-256}": "{SCRAM-SHA-256}" + scram("sha256"),
    "{CRYPT}": "{CRYPT}abJnggxhB/yWI",          # DES crypt(3)
    "{DES-CRYPT}": "{DES-CRYPT}abJnggxhB/yWI",
    "{CRAM-MD5}": "{CRAM-MD5}" + "e02d374fde0dc75a17a557039a3a5338"
                  "c7743304777dccd376f332bee68d2cf6",
    "{DIGEST-MD5}": "{DIGEST-MD5}8a9d093f14f8701df17732b2bb182c74",
    "{OTP}": "{OTP}md5 1234 abcdef 0123456789abcdef",
    "{SKEY}": "{SKEY}md4 1234 abcdef 0123456789abcdef",
}


@T.test(start=False)
def authtab_kinds_as_documented(srv):
    """authtab(5)'s table of kinds and its DIAGNOSTICS agree with each
    other and with popd -n under weak-hashes yes: a kind the table
    marks weak-hashes loads as weak, one DIAGNOSTICS says popd never
    reads is refused (issue 86)."""
    T.need_root()
    with open(os.path.join(T.REPO, "man", "authtab.5")) as f:
        man = f.read()
    weak = set()
    for row in re.findall(r"^\.It (.*) Ta Li (.*) Ta (.*)$", man, re.M):
        if row[2] == "weak-hashes":
            weak |= set(re.findall(r"\{[A-Z0-9-]+\}", row[1]))
    diag = man[man.index("A Dovecot scheme popd does not read"):]
    never = set(re.findall(r"^\.Ql (\{[A-Z0-9-]+\})", diag[:diag.index(
        ".Pc")], re.M))
    T.expect(sorted(weak & never), [], "kinds both weak and never read")
    kinds = sorted(k for k in weak | never if k in KIND_SAMPLES)
    T.expect_true(len(kinds) >= 8 and never <= set(KIND_SAMPLES),
                  "samples of the kinds the page names", (kinds, never))
    mu = T.mailuser(1)
    at = os.path.join(srv.tmpdir, "kinds-authtab")
    ut = os.path.join(srv.tmpdir, "kinds-usertab")
    with open(at, "w") as f:
        f.write("".join("k%d %s\n" % (i, KIND_SAMPLES[k])
                        for i, k in enumerate(kinds)))
    with open(ut, "w") as f:
        f.write("".join("k%d %d:%d:/var/empty/k%d\n" % (
            i, mu.pw_uid, mu.pw_gid, i) for i in range(len(kinds))))
    srv.tables = 'authtab "%s"\nusertab "%s"' % (at, ut)
    srv.conf_extra = "weak-hashes yes\n"
    rc, out = srv.check_config("-v")
    got = {}
    for i, k in enumerate(kinds):
        if re.search(r"^# authtab: k%d has a weak " % i, out, re.M):
            got[k] = "weak"
        elif '"k%d" has a hash of kind %s that popd does not read' % (
                i, k) in out:
            got[k] = "never"
        else:
            got[k] = "?"
    T.expect(got, {k: "weak" if k in weak else "never" for k in kinds},
             "each kind as authtab(5) says: " + out)


@T.test(start=False)
def popdpass_names_as_documented(srv):
    """popdpass(8)'s -P: each secret it says no hash can be made from is
    named by file:line with exit status 1; each weak kind it says it
    keeps is kept and not named (issue 86: {CRAM-MD5} was listed as
    named, and was not)."""
    with open(os.path.join(T.REPO, "man", "popdpass.8")) as f:
        man = f.read()
    m = re.search(r"^A line whose secret (?:in clear )?no hash can be "
                  r"made from\n\.Po\n(.*?)^\.Pc", man, re.M | re.S)
    named = re.findall(r"\{[A-Z0-9-]+\}", m.group(1))
    m = re.search(r"hashes of other kinds \(weak ones too, such as\n"
                  r"(.*?)which", man, re.S)
    kept = re.findall(r"\{[A-Z0-9-]+\}", m.group(1)) if m else []
    T.expect_true(named and kept, "the kinds popdpass(8) names",
                  (named, kept))
    values = dict(KIND_SAMPLES, **{"{MD5-CRYPT}": "{MD5-CRYPT}$1$ab$"
                                   "xKtMAJZ3tM2H9w6Bsx1Eb.",
                                   "{PLAIN-TRUNC}": "{PLAIN-TRUNC}8-pw",
                                   "{LANMAN}": "{LANMAN}pw",
                                   "{RPA}": "{RPA}pw"})
    mu = T.mailuser(1)
    for kind in named + kept:
        path = os.path.join(srv.tmpdir, "users-%s" % kind.strip("{}"))
        line = "u:%s:%d:%d::/var/empty/u::\n" % (values[kind], mu.pw_uid,
                                                mu.pw_gid)
        with open(path, "w") as f:
            f.write(line)
        r = subprocess.run([os.path.join(T.REPO, "popdpass", "popdpass"),
                            "-P", path], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30)
        err = r.stderr.decode(errors="replace")
        with open(path) as f:
            T.expect(f.read(), line, "popdpass -P keeps a %s line" % kind)
        if kind in named:
            T.expect((r.returncode, "%s:1: \"u\": not converted" % path
                      in err), (1, True), "a %s line named: %s"
                     % (kind, err))
        else:
            T.expect((r.returncode, "not converted" in err), (0, False),
                     "a %s line kept unnamed: %s" % (kind, err))


@T.test(start=False)
def migrating_opensmtpd_tables(srv):
    """doc/migrating.md's recipe: OpenSMTPD's vusers and users tables
    made from a Dovecot passwd-file by its own lines, then its
    smtpd.conf with them, checked by smtpd -n (issue 86)."""
    T.need_root()
    smtpd = T.apt_install("opensmtpd", "smtpd")
    blocks, _ = markdown_blocks(os.path.join(T.REPO, "doc",
                                             "migrating.md"))
    recipe = [b for b in blocks if "/etc/mail/vusers" in b[2]]
    T.expect([b[1] for b in recipe], ["shell", "smtpd.conf"],
             "the recipe's two blocks")
    root = tempfile.mkdtemp(prefix="popddocs.", dir=srv.tmpdir)
    os.chmod(root, 0o755)
    mu = T.mailuser(1)
    write(root + "/etc/dovecot/users",
          "# /etc/dovecot/users\n"
          "alice:{BLF-CRYPT}%s:%d:%d::/var/vmail/alice::"
          "userdb_quota_rule=*:storage=1G\n"
          "bob@example.net:{PLAIN}x:%d:%d:Bob:/var/vmail/bob:/bin/false\n"
          "nouid:{PLAIN}x\n" % (T.make_hash("pw"), mu.pw_uid, mu.pw_gid,
                                 mu.pw_uid, mu.pw_gid))
    os.makedirs(root + "/etc/mail")
    r = subprocess.run(["sh", "-ec", rooted(recipe[0][2], root)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    T.expect(r.returncode, 0, "the recipe: " + r.stdout.decode())
    with open(root + "/etc/mail/vusers") as f:
        T.expect(f.read(), "alice@example.org\talice\n"
                 "bob@example.net\tbob@example.net\n", "vusers")
    with open(root + "/etc/mail/users") as f:
        T.expect(f.read(), "alice\t%d:%d:/var/vmail/alice\n"
                 "bob@example.net\t%d:%d:/var/vmail/bob\n"
                 % (mu.pw_uid, mu.pw_gid, mu.pw_uid, mu.pw_gid), "users")
    conf = os.path.join(root, "smtpd.conf")
    write(conf, rooted(recipe[1][2], root) + "\n")
    r = subprocess.run([smtpd, "-n", "-f", conf], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    T.expect((r.returncode, r.stdout.decode(errors="replace").strip()),
             (0, "configuration OK"), "smtpd -n on the recipe's tables")


@T.test(start=False)
def examples_load(srv):
    """popd -n and nginx -t on every checked part."""
    T.need_root()
    T.daemon_user("popdnginx")
    nginx = T.need_nginx()
    parts, _ = examples()
    failed = []
    counts = {}
    for where, kind, text, files in parts:
        root = tempfile.mkdtemp(prefix="popddocs.", dir=srv.tmpdir)
        os.chmod(root, 0o755)
        if kind == "nginx.conf":
            err = check_nginx(root, nginx, text, where)
        elif kind in ("authtab", "usertab"):
            err = check_table(root, kind, text)
        else:
            err = check_popd(root, kind, text, files, where)
        counts[kind] = counts.get(kind, 0) + 1
        if err:
            failed.append("%s (%s): %s" % (where, kind, err))
        else:
            shutil.rmtree(root, ignore_errors=True)
    print("# checked: %s" % ", ".join("%d %s" % (n, k)
                                     for k, n in sorted(counts.items())))
    T.expect_true(counts.get("popd.conf", 0) >= 5 and
                  counts.get("nginx.conf", 0) >= 3,
                  "the documents' examples found", counts)
    T.expect_true(not failed, "every example loads", "\n\n".join(failed))


if __name__ == "__main__":
    T.main()
