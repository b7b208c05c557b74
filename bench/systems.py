"""The systems under test in `make bench` and the helpers every run shares.

QmailNg: a throwaway instance made with qmailctl init (smtp on a free port,
the other services off, one virtual user).  Postfix: a private instance
(its own main.cf/master.cf, queue and data directories under base, no
chroot, virtual(8) delivery to one Maildir).  Each has setup(), teardown(),
owns(pid, exe) for the memory sampler, queue_empty() and .port/.maildir.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SMTP_SOURCE = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
RCPT_DOMAIN = "example.test"
RCPT = "bench@" + RCPT_DOMAIN


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(argv, **kw):
    kw.setdefault("timeout", 120)
    p = subprocess.run(argv, capture_output=True, **kw)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(argv), p.returncode,
                                                 p.stderr.decode(errors="replace")[-800:]))
    return p.stdout.decode(errors="replace")


def wait_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("nothing listens on %d" % port)


class RssSampler(threading.Thread):
    """Peak of the summed RSS of the processes select(pid, exe) accepts."""

    def __init__(self, select):
        super().__init__(daemon=True)
        self.select = select
        self.peak = 0
        self.stop = threading.Event()

    def run(self):
        page = os.sysconf("SC_PAGE_SIZE")
        while not self.stop.is_set():
            total = 0
            for d in glob.glob("/proc/[0-9]*"):
                try:
                    exe = os.readlink(d + "/exe")
                    if not self.select(int(d[6:]), exe):
                        continue
                    with open(d + "/statm") as f:
                        total += int(f.read().split()[1]) * page
                except (OSError, ValueError, IndexError):
                    continue
            self.peak = max(self.peak, total)
            self.stop.wait(0.1)


class QmailNg:
    name = "qmail-ng"

    def __init__(self, base, build):
        self.dir = os.path.join(base, "qng")
        self.build = os.path.abspath(build)
        self.port = free_port()
        self.bindir = os.path.realpath(os.path.join(self.dir, "bin"))

    def ctl(self, *args, input=None):
        return run([os.path.join(self.build, "bin", "qmailctl"), "-d", self.dir] + list(args),
                   input=input)

    def setup(self):
        args = ["init", "--me", "bench.example", "--listen", "smtp=127.0.0.1:%d" % self.port]
        for svc in ("submission", "smtps", "pop3", "pop3s", "qmtp", "qmqp"):
            args += ["--listen", svc + "=off"]
        self.ctl(*args)
        # All load comes from 127.0.0.1. Postfix exempts $mynetworks from its
        # per-client limits by default; give qmail-ng the same room.
        with open(os.path.join(self.dir, "control", "concurrencyperip"), "w") as f:
            f.write("100\n")
        self.ctl("domain", "add", RCPT_DOMAIN)
        self.ctl("user", "add", RCPT, "--password-stdin", input=b"bench-pw\n")
        self.ctl("start")
        wait_port(self.port)
        self.maildir = self.ctl("user", "path", RCPT).strip()

    def owns(self, pid, exe):
        return os.path.dirname(exe) == self.bindir

    def queue_empty(self):
        return not glob.glob(os.path.join(self.dir, "queue", "mess", "*", "*")) and \
            not [f for f in glob.glob(os.path.join(self.dir, "queue", "mess", "*"))
                 if os.path.isfile(f)]

    def teardown(self):
        try:
            self.ctl("stop")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass


MASTER_TYPES = ("inet", "unix", "fifo", "pass", "unix-dgram")


class Postfix:
    name = "Postfix"

    def __init__(self, base):
        self.base = os.path.join(base, "pf")
        self.etc = os.path.join(self.base, "etc")
        self.port = free_port()
        self.maildir = os.path.join(self.base, "mail", RCPT_DOMAIN, "bench") + "/"
        self.cert_source = None     # qmail-ng's control/servercert.pem, if set

    def _tls(self):
        """STARTTLS as offered to any client (security level "may"), with the
        same key and certificate as qmail-ng (one PEM: key, then chain)."""
        pem = os.path.join(self.etc, "servercert.pem")
        if self.cert_source and os.path.exists(self.cert_source):
            shutil.copyfile(self.cert_source, pem)
        else:
            run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=bench.example", "-keyout", pem + ".k", "-out", pem + ".c"])
            with open(pem, "wb") as f:
                f.write(open(pem + ".k", "rb").read() + open(pem + ".c", "rb").read())
        os.chmod(pem, 0o600)
        return {"smtpd_tls_security_level": "may", "smtpd_tls_chain_files": pem,
                "smtpd_tls_loglevel": "0"}

    def setup(self):
        for d in ("etc", "queue", "data", "mail"):
            os.makedirs(os.path.join(self.base, d), exist_ok=True)
        os.chmod(self.base, 0o755)
        pf = pwd.getpwnam("postfix")
        os.chown(os.path.join(self.base, "data"), pf.pw_uid, pf.pw_gid)
        vm = pwd.getpwnam("nobody")
        os.chown(os.path.join(self.base, "mail"), vm.pw_uid, vm.pw_gid)
        with open(os.path.join(self.etc, "vmailbox"), "w") as f:
            f.write("%s %s/bench/\n" % (RCPT, RCPT_DOMAIN))
        main = {
            "compatibility_level": "3.6",
            "queue_directory": os.path.join(self.base, "queue"),
            "data_directory": os.path.join(self.base, "data"),
            "myhostname": "bench.example",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "virtual_mailbox_domains": RCPT_DOMAIN,
            "virtual_mailbox_base": os.path.join(self.base, "mail"),
            "virtual_mailbox_maps": "texthash:" + os.path.join(self.etc, "vmailbox"),
            "virtual_uid_maps": "static:%d" % vm.pw_uid,
            "virtual_gid_maps": "static:%d" % vm.pw_gid,
            "maillog_file": os.path.join(self.base, "maillog"),
            "smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination",
            "default_process_limit": "100",
            "smtpd_client_connection_count_limit": "0",
            "message_size_limit": str(50 * 1024 * 1024),
            "virtual_mailbox_limit": "0",
            "alias_maps": "", "alias_database": "",
        }
        main.update(self._tls())
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            for k, v in main.items():
                f.write("%s = %s\n" % (k, v))
        self._master()
        run(["postfix", "-c", self.etc, "start"], timeout=60)
        wait_port(self.port)

    def _master(self):
        out = []
        for line in open("/etc/postfix/master.cf"):
            f = line.split()
            if line[:1] in ("#", " ", "\t") or len(f) < 8 or f[1] not in MASTER_TYPES:
                out.append(line)
                continue
            f[4] = "n"              # no chroot: the queue is in a scratch dir
            if f[0] == "smtp" and f[1] == "inet":
                f[0] = "127.0.0.1:%d" % self.port
            out.append("  ".join(f[:8]) + ("  " + " ".join(f[8:]) if f[8:] else "") + "\n")
        if not any(l.startswith("postlog") for l in out):
            out.append("postlog unix-dgram n - n - 1 postlogd\n")
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.writelines(out)

    def owns(self, pid, exe):
        """The instance's master and its children (postfix daemons are
        direct children of master(8))."""
        if not exe.startswith("/usr/lib/postfix/"):
            return False
        try:
            with open(os.path.join(self.base, "queue", "pid", "master.pid")) as f:
                master = int(f.read().split()[0])
            with open("/proc/%d/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        return pid == master or ppid == master

    def queue_empty(self):
        for q in ("incoming", "active", "deferred", "maildrop"):
            for _ in glob.iglob(os.path.join(self.base, "queue", q, "**", "*"), recursive=True):
                if os.path.isfile(_):
                    return False
        return True

    def teardown(self):
        subprocess.run(["postfix", "-c", self.etc, "stop"], capture_output=True, timeout=60)


def count_new(maildir):
    try:
        return len(os.listdir(os.path.join(maildir, "new")))
    except FileNotFoundError:
        return 0


def clear_maildir(maildir):
    for sub in ("new", "cur"):
        for f in glob.glob(os.path.join(maildir, sub, "*")):
            os.unlink(f)
