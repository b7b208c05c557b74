"""Helpers for the qmail-ng integration suite.

An Instance is one throwaway QMAILHOME built with the real CLI
(`qmailctl init`, `domain add`, `user add`, `start`).  Everything here is
bounded in time: every subprocess has a timeout and every wait polls with a
deadline, so a hung program fails a test instead of hanging the suite.
"""

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

from workers import accounts_lock, free_port  # noqa: F401

TEST_USER = "qngtest"
DOMAIN = "example.test"
ME = "test.example"
ALICE = "alice@" + DOMAIN
ALICE_PW = "alice-secret-1"
OTHER_SERVICES = ("submission", "smtps", "pop3", "pop3s", "qmtp", "qmqp")

# Leftover processes killed by teardown; conftest prints them at the end.
KILLED_LEFTOVERS = []


class QngError(AssertionError):
    pass


def is_root():
    return os.geteuid() == 0


def test_id():
    """A unique marker to put in a message, found again on disk."""
    return "qngtid-" + uuid.uuid4().hex[:16]


def started(inst, before=None, after=None, start=True, env=None):
    """inst initialised, before(inst) run, started (start=True, with env),
    after(inst) run; torn down at once if any of that fails.  For fixtures:
    `i = qng.started(...)`, `yield i`, `i.teardown()`."""
    try:
        inst.init()
        if before:
            before(inst)
        if start:
            inst.start(env=env)
        if after:
            after(inst)
    except BaseException:
        inst.teardown()
        raise
    return inst


def wait_until(pred, timeout, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        res = pred()
        if res:
            return res
        if time.monotonic() >= deadline:
            raise QngError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(interval)


# Set once this process has seen a root `qmailctl init` succeed: the role
# users and groups (qmaild, qmailq, ...) it makes exist from then on.
_role_users_made = []


def ensure_test_user():
    """Root only: the ordinary user that owns user-mode instances."""
    with accounts_lock():
        try:
            return pwd.getpwnam(TEST_USER)
        except KeyError:
            subprocess.run(["useradd", "-m", "-s", "/bin/sh", TEST_USER],
                           check=True, timeout=30)
            return pwd.getpwnam(TEST_USER)


class Session:
    """Per-run scratch space: a 0755 base under /var/tmp and copies of the
    build's programs (so a rebuild by someone else mid-run cannot change the
    binaries under a running test, and so qngtest can execute them)."""

    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.base = tempfile.mkdtemp(prefix="qng-test-", dir="/var/tmp")
        os.chmod(self.base, 0o755)
        self.bins = {}
        self.counter = 0

    def bindir(self, crash=False):
        key = "crash" if crash else "normal"
        if key not in self.bins:
            src = self.build + ("-crash" if crash else "") + "/bin"
            dst = os.path.join(self.base, key + "-bin")
            if os.path.isdir(src):
                shutil.copytree(src, dst, symlinks=True)
            else:
                os.makedirs(dst)
            os.chmod(dst, 0o755)
            self.bins[key] = dst
        return self.bins[key]

    def new_dir(self, mode):
        """A not-yet-existing instance path whose parent the owner can write."""
        self.counter += 1
        parent = os.path.join(self.base, mode)
        if not os.path.isdir(parent):
            os.makedirs(parent)
            os.chmod(parent, 0o755)
            if mode == "user" and is_root():
                pw = ensure_test_user()
                os.chown(parent, pw.pw_uid, pw.pw_gid)
        return os.path.join(parent, "inst%d" % self.counter)

    def cleanup(self):
        if os.environ.get("QNG_KEEP"):
            return
        shutil.rmtree(self.base, ignore_errors=True)


class Instance:
    def __init__(self, session, mode, crash=False):
        self.session = session
        self.mode = mode                  # "root" or "user"
        self.crash = crash
        self.bin_src = session.bindir(crash)
        self.dir = session.new_dir(mode)
        self.port = free_port()
        self.started = False
        self.run_as = TEST_USER if (mode == "user" and is_root()) else None
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            self.uid, self.gid = pw.pw_uid, pw.pw_gid
        else:
            self.uid, self.gid = os.getuid(), os.getgid()

    # -- running programs -------------------------------------------------
    def argv(self, argv, env=None):
        """Wraps argv to run as the instance owner with QMAILHOME set."""
        envs = ["QMAILHOME=" + self.dir, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        for k, v in (env or {}).items():
            envs.append("%s=%s" % (k, v))
        full = ["env", "-i"] + envs + list(argv)
        if self.run_as:
            full = ["runuser", "-u", self.run_as, "--"] + full
        return full

    def run(self, argv, input=None, env=None, timeout=60, check=False, cwd=None):
        if isinstance(input, str):
            input = input.encode()
        p = subprocess.run(self.argv(argv, env), input=input, capture_output=True,
                           timeout=timeout, cwd=cwd or "/")
        if check and p.returncode != 0:
            raise QngError("%s exited %d: %s" % (" ".join(argv), p.returncode,
                                                  p.stderr.decode(errors="replace")))
        return p

    def ctl(self, *args, input=None, env=None, timeout=90, check=True):
        """qmailctl from the copied build directory (init copies that dir's
        programs into DIR/bin); afterwards the instance's own copy."""
        prog = os.path.join(self.bin_src, "qmailctl")
        argv = [prog, "-d", self.dir] + list(args)
        if args[:1] != ("init",) or self.run_as or not is_root() or _role_users_made:
            return self.run(argv, input=input, env=env, timeout=timeout, check=check)
        with accounts_lock():   # a root init makes the role users
            p = self.run(argv, input=input, env=env, timeout=timeout, check=check)
        if p.returncode == 0:
            _role_users_made.append(True)
        return p

    def bin(self, name):
        return os.path.join(self.dir, "bin", name)

    # -- lifecycle --------------------------------------------------------
    def init(self):
        args = ["init", "--me", ME, "--listen", "smtp=127.0.0.1:%d" % self.port]
        for svc in OTHER_SERVICES:
            args += ["--listen", svc + "=off"]
        self.ctl(*args)
        self.ctl("domain", "add", DOMAIN)
        self.ctl("user", "add", ALICE, "--password-stdin", input=ALICE_PW + "\n")
        return self

    def start(self, env=None):
        self.ctl("start", env=env, timeout=60)
        self.started = True
        return self

    def stop(self):
        p = self.ctl("stop", check=False, timeout=60)
        self.started = False
        return p

    def restart(self, env=None):
        self.stop()
        return self.start(env=env)

    def pids(self, name=None):
        """Processes whose executable is one of this instance's programs."""
        out = []
        bindir = os.path.realpath(os.path.join(self.dir, "bin"))
        for d in glob.glob("/proc/[0-9]*"):
            try:
                exe = os.readlink(d + "/exe")
            except OSError:
                continue
            if exe.endswith(" (deleted)"):
                exe = exe[:-10]
            if os.path.dirname(exe) != bindir:
                continue
            if name is None or os.path.basename(exe) == name:
                out.append(int(os.path.basename(d)))
        return out

    def teardown(self):
        if self.started or self.pids():
            try:
                self.stop()
            except subprocess.TimeoutExpired:
                pass
        left = self.pids()
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
                KILLED_LEFTOVERS.append("%s: pid %d (%s)" % (self.dir, pid, exe_name(pid)))
            except OSError:
                pass

    # -- files -------------------------------------------------------------
    def path(self, *rel):
        return os.path.join(self.dir, *rel)

    def write_file(self, rel, data, mode=0o644):
        """Writes a file in the instance as its owner would (root mode: the
        owner of the directory it goes into)."""
        p = self.path(rel)
        st = os.stat(os.path.dirname(p))
        if isinstance(data, str):
            data = data.encode()
        tmp = p + ".tmp-test"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        if is_root():
            os.chown(tmp, st.st_uid, st.st_gid)
        os.rename(tmp, p)
        return p

    def write_control(self, name, value):
        return self.write_file("control/" + name, value if value.endswith("\n") else value + "\n")

    def set_tcprules(self, text):
        self.write_file("control/tcprules/smtp", text)
        self.ctl("cdb")
        # A reload must not take the listener down, but if it does, that is
        # test_reload's finding, not this caller's: wait until the smtp
        # service has kept one pid for a while, then until it accepts.
        seen = []

        def stable():
            seen.append(self.stat_pid("smtp"))
            return len(seen) >= 6 and seen[-1] and len(set(seen[-6:])) == 1
        wait_until(stable, 20, interval=0.3, what="a stable smtp service")
        self.wait_listening()

    def wait_listening(self, timeout=15):
        def up():
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
                return True
            except OSError:
                return False
        wait_until(up, timeout, interval=0.1, what="smtp listener on port %d" % self.port)

    def maildir(self, addr=ALICE):
        p = self.ctl("user", "path", addr)
        path = p.stdout.decode().strip()
        if not os.path.isabs(path):
            path = self.path(path)
        return path

    def log_text(self, service=None):
        pattern = self.path("log", service or "*", "*")
        chunks = []
        for f in sorted(glob.glob(pattern)):
            try:
                with open(f, "rb") as fh:
                    chunks.append(fh.read().decode(errors="replace"))
            except (IsADirectoryError, PermissionError, FileNotFoundError):
                continue
        return "".join(chunks)

    def queue_files_with(self, marker):
        """Queue message files containing marker (bytes or str)."""
        if isinstance(marker, str):
            marker = marker.encode()
        hits = []
        for f in glob.glob(self.path("queue", "mess", "*")) + \
                glob.glob(self.path("queue", "mess", "*", "*")):
            if not os.path.isfile(f):
                continue
            try:
                with open(f, "rb") as fh:
                    if marker in fh.read():
                        hits.append(f)
            except FileNotFoundError:   # delivered and cleaned since the glob
                continue
        return hits

    def qcheck(self):
        return self.run([self.bin("qmail-qcheck")], timeout=60)

    def stat_pid(self, service):
        p = self.ctl("stat", check=False)
        for line in p.stdout.decode().splitlines():
            f = line.split()
            if f and f[0].rstrip(":") == service:
                for x in f[1:]:
                    if x.isdigit():
                        return int(x)
        return None

    def inject(self, msg, args=("-t",), prog="sendmail", env=None):
        return self.run([self.bin(prog)] + list(args), input=msg, env=env, timeout=60)


def parent_comm(pid):
    """The command name of pid's parent process."""
    with open("/proc/%d/stat" % pid) as f:
        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
    with open("/proc/%d/comm" % ppid) as f:
        return f.read().strip()


def child_pids(pid):
    """The pids whose parent is pid (from /proc)."""
    out = []
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % d) as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d))
        except (OSError, ValueError, IndexError):
            continue
    return out


def assert_qcheck(inst):
    """qmail-qcheck finds the instance's queue consistent."""
    p = inst.qcheck()
    assert p.returncode == 0, "qmail-qcheck: %s%s" % (p.stdout.decode(), p.stderr.decode())


def queue_daemon_pid(inst, timeout=15):
    """The instance's queue daemon (qmail-queue -d), waiting for it."""
    def find():
        for pid in inst.pids("qmail-queue"):
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    if f.read().split(b"\0")[1:2] == [b"-d"]:
                        return pid
            except OSError:
                continue
        return None
    return wait_until(find, timeout, what="the queue daemon")


def exe_name(pid):
    try:
        return os.path.basename(os.readlink("/proc/%d/exe" % pid))
    except OSError:
        return "?"


# -- Maildir ---------------------------------------------------------------

def maildir_files(maildir, marker=None):
    """(name, bytes) of files in new/ and cur/ (containing marker if given)."""
    if isinstance(marker, str):
        marker = marker.encode()
    out = []
    for sub in ("new", "cur"):
        for f in sorted(glob.glob(os.path.join(maildir, sub, "*"))):
            try:
                with open(f, "rb") as fh:
                    data = fh.read()
            except FileNotFoundError:
                continue
            if marker is None or marker in data:
                out.append((f, data))
    return out


def wait_for_mail(maildir, marker, n=1, timeout=30):
    return wait_until(lambda: (lambda r: r if len(r) >= n else None)(
        maildir_files(maildir, marker)), timeout,
        what="%d message(s) with %s in %s" % (n, marker, maildir))


def assert_no_mail(maildir, marker, settle=2.0):
    time.sleep(settle)
    got = maildir_files(maildir, marker)
    assert not got, "unexpected delivery of %s: %s" % (marker, [g[0] for g in got])


TRACE_NAMES = (b"return-path", b"delivered-to", b"received")


def split_trace(data):
    """Splits a delivered file into its leading trace fields (Return-Path,
    Delivered-To, Received, with continuation lines) and the rest."""
    lines = data.split(b"\n")
    fields = []
    i = 0
    while i < len(lines):
        line = lines[i]
        name = line.split(b":", 1)[0].lower()
        if b":" in line and name in TRACE_NAMES:
            fields.append(line)
            i += 1
            while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
                fields[-1] += b"\n" + lines[i]
                i += 1
            continue
        break
    return fields, b"\n".join(lines[i:])


def check_delivered(data, sender, body_lf):
    """The file holds exactly body_lf under Return-Path, Delivered-To and
    Received lines, in that order."""
    fields, rest = split_trace(data)
    assert fields, "no trace fields on top: %r" % data[:200]
    assert fields[0] == b"Return-Path: <" + sender.encode() + b">", fields[0]
    assert fields[1].lower().startswith(b"delivered-to: "), fields[1:2]
    assert any(f.lower().startswith(b"received:") for f in fields[2:]), fields
    if rest != body_lf:
        i = next((k for k in range(min(len(rest), len(body_lf))) if rest[k] != body_lf[k]),
                 min(len(rest), len(body_lf)))
        raise AssertionError("body differs at byte %d (got %d bytes, want %d):\n%r\n!=\n%r" % (
            i, len(rest), len(body_lf), rest[max(0, i - 60):i + 60],
            body_lf[max(0, i - 60):i + 60]))
    return fields


# -- raw SMTP ----------------------------------------------------------------

REPLY_RE = re.compile(rb"^(\d{3})([ -])(.*)$")


class RawSMTP:
    """A byte-exact SMTP client for the hostile-input tests."""

    def __init__(self, port, host="127.0.0.1", timeout=15, greet=True):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.greeting = self.reply() if greet else None

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def reply(self):
        """(code, [texts]) for one possibly multi-line reply; (None, []) at EOF."""
        texts = []
        while True:
            line = self._line()
            if line is None:
                return (None, texts)
            m = REPLY_RE.match(line)
            if not m:
                raise QngError("malformed reply line %r" % line)
            texts.append(m.group(3).decode(errors="replace"))
            if m.group(2) == b" ":
                return (int(m.group(1)), texts)

    def cmd(self, line):
        self.send(line + "\r\n" if isinstance(line, str) else line + b"\r\n")
        return self.reply()

    def is_closed(self, timeout=2.0):
        """True if the server closed the connection (EOF or reset) in time."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def expect(reply, code, enh=None):
    c, texts = reply
    assert c == code, "expected %s, got %s %s" % (code, c, texts)
    if enh:
        assert texts and texts[0].startswith(enh), "expected %s %s, got %s" % (code, enh, texts)
    return reply
