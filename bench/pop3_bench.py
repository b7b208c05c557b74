"""POP3: qmail-pop3d against Dovecot's POP3 server on the same Maildir (issue 5).

run_pop3(args, base): a qmail-ng instance (bench/systems.py QmailNg with its
pop3 service on, STLS with the instance's control/servercert.pem) with one
virtual user whose Maildir gets BENCH_POP3_MESSAGES (100,000) messages of
2-8 KiB written directly into new/, named as qmail-ng's own delivery names
them (no ",S=" size hint, LF line ends); and a private Dovecot (its own
config, base_dir, state, index and control directories under base, a
passwd-file user with the Maildir owner's uid and qmail-ng's own yescrypt
hash of the password, the same key and certificate, STLS on a free port)
serving the SAME Maildir.

Each server's first session starts from the same state (every message in
new/, no index or cache; the messages are put back into new/ between the
two): both move new/ to cur/ in it, qmail-pop3d writes its size cache,
Dovecot its index.  Then BENCH_POP3_REPEAT (3) rounds, the servers taking
turns in each round (so both see the same machine load), medians kept:
  - connect, STLS, USER/PASS, LIST (all lines read), QUIT: seconds
  - the same with UIDL: seconds
  - one session with RETR of BENCH_POP3_RETR (2,000) messages, one command
    at a time: msgs/s and MB/s of wire octets (QUIT not timed)
Writes section "pop3" of RESULTS.md.
"""

import os
import random
import shutil
import socket
import ssl
import subprocess
import time

import results_md
from results_md import fmt, ratio
from systems import REPO, RCPT, QmailNg, free_port, wait_port

USER_PW = "bench-pw"
HOST = "bench.example"


# -- the Dovecot package ------------------------------------------------------

def ensure_dovecot():
    """Installs dovecot-core and dovecot-pop3d (root only) with a
    policy-rc.d that keeps the package from starting its own service."""
    if os.path.exists("/usr/sbin/dovecot") and os.path.exists("/usr/lib/dovecot/pop3"):
        return True
    if os.geteuid() != 0:
        print("bench: pop3: Dovecot missing; as root: apt-get install -y dovecot-core "
              "dovecot-pop3d")
        return False
    print("bench: pop3: installing dovecot-core dovecot-pop3d (service not started)",
          flush=True)
    prc = "/usr/sbin/policy-rc.d"
    saved = prc + ".qng-saved"
    had = os.path.exists(prc)
    if had:
        shutil.copy2(prc, saved)
    try:
        with open(prc, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(prc, 0o755)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = ["apt-get", "install", "-y", "-q", "dovecot-core", "dovecot-pop3d"]
        with open("/tmp/qng-bench-apt.log", "ab") as log:
            rc = subprocess.run(cmd, env=env, stdout=log, stderr=log, timeout=600).returncode
            if rc != 0:
                subprocess.run(["apt-get", "update", "-q"], env=env, stdout=log, stderr=log,
                               timeout=600)
                rc = subprocess.run(cmd, env=env, stdout=log, stderr=log,
                                    timeout=600).returncode
    finally:
        if had:
            os.replace(saved, prc)
        else:
            os.unlink(prc)
    return rc == 0


# -- the mailbox --------------------------------------------------------------

WORDS = ("the queue delivery message server mailbox remote local address header body "
         "relay domain transfer agent network protocol retry bounce envelope sender "
         "recipient report status week meeting budget review draft schedule").split()


def make_message(rng, i, size):
    """An LF-terminated message of about SIZE octets, as qmail-local stores it."""
    t = 1700000000 + i
    head = ("Return-Path: <sender%d@remote.example>\n"
            "Delivered-To: %s\n"
            "Received: from mx.remote.example (mx.remote.example [192.0.2.%d])\n"
            "\tby %s (qmail-ng) with ESMTPS id q%08d; %s\n"
            "From: Sender %d <sender%d@remote.example>\n"
            "To: %s\n"
            "Subject: bench message %d %s\n"
            "Date: %s\n"
            "Message-ID: <%d.%d@remote.example>\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=us-ascii\n\n") % (
        i % 97, RCPT, i % 250 + 1, HOST, i, time.strftime(
            "%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t)), i % 97, i % 97, RCPT, i,
        rng.choice(WORDS), time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t)),
        t, i)
    lines = [head]
    n = len(head)
    while n < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 12)))
        if rng.random() < 0.02:
            line = "." + line          # needs byte-stuffing on the wire
        lines.append(line + "\n")
        n += len(line) + 1
    return "".join(lines).encode()


def fill_maildir(maildir, n, seed=5):
    """N messages in new/, written via tmp/ like a delivery (no fsync: the
    benchmark measures reading).  Names: sec.MusecPpidQn.host."""
    rng = random.Random(seed)
    st = os.stat(maildir)
    tmp, new = os.path.join(maildir, "tmp"), os.path.join(maildir, "new")
    bodies = [make_message(rng, i, rng.randint(2048, 8192)) for i in range(512)]
    total = 0
    for i in range(n):
        data = bodies[i % len(bodies)]
        name = "%d.M%dP%dQ%d.%s" % (1700000000 + i // 10, (i * 7919) % 1000000,
                                    20000 + i % 9000, i, HOST)
        path = os.path.join(tmp, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, data)
            os.fchown(fd, st.st_uid, st.st_gid)
        finally:
            os.close(fd)
        os.rename(path, os.path.join(new, name))
        total += len(data)
    return total


# -- Dovecot ------------------------------------------------------------------

class Dovecot:
    name = "Dovecot"

    def __init__(self, base, maildir, pem, password="{PLAIN}" + USER_PW):
        self.dir = os.path.join(base, "dovecot")
        self.password = password
        self.maildir = maildir.rstrip("/")
        self.pem = pem
        self.port = free_port()
        self.proc = None

    def _tls_files(self):
        """servercert.pem holds the key, then the chain: split for Dovecot."""
        text = open(self.pem).read()
        key = text[:text.index("-----BEGIN CERTIFICATE-----")]
        cert = text[len(key):]
        paths = (os.path.join(self.dir, "key.pem"), os.path.join(self.dir, "cert.pem"))
        for path, data in zip(paths, (key, cert)):
            with open(path, "w") as f:
                f.write(data)
            os.chmod(path, 0o600)
        return paths

    def config(self):
        st = os.stat(self.maildir)
        for d in ("run", "state", "mail"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        os.chmod(self.dir, 0o755)
        os.chown(os.path.join(self.dir, "mail"), st.st_uid, st.st_gid)
        key, cert = self._tls_files()
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            f.write("%s:%s:%d:%d::%s::\n" % (RCPT, self.password, st.st_uid, st.st_gid,
                                              os.path.join(self.dir, "mail")))
        conf = os.path.join(self.dir, "dovecot.conf")
        with open(conf, "w") as f:
            f.write(dovecot_conf(self.dir, self.maildir, self.port, key, cert))
        return conf

    def setup(self):
        conf = self.config()
        self.proc = subprocess.Popen(["/usr/sbin/dovecot", "-F", "-c", conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def teardown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def dovecot_conf(d, maildir, port, key, cert):
    """A private Dovecot: nothing from /etc/dovecot, everything under D."""
    return """\
base_dir = {d}/run
state_dir = {d}/state
instance_name = qng-bench-{port}
protocols = pop3
listen = 127.0.0.1
log_path = {d}/dovecot.log
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain
first_valid_uid = 1
mail_location = maildir:{maildir}:INDEX={d}/mail/index:CONTROL={d}/mail/control
mail_max_userip_connections = 100
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = {d}/passwd
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""".format(d=d, maildir=maildir, port=port, key=key, cert=cert)


# -- the client ---------------------------------------------------------------

class Client:
    """A minimal POP3 client: STLS, USER/PASS, raw multi-line reads (so the
    figures measure the server, not poplib's line splitting)."""

    def __init__(self, port, user=RCPT, pw=USER_PW):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=300)
        self.buf = bytearray()
        self.expect_ok(self.line())
        self.sock.sendall(b"STLS\r\n")
        self.expect_ok(self.line())
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock)
        self.cmd("USER " + user)
        self.cmd("PASS " + pw)

    @staticmethod
    def expect_ok(line):
        if not line.startswith(b"+OK"):
            raise RuntimeError("POP3 server said %r" % bytes(line[:200]))
        return line

    def fill(self):
        chunk = self.sock.recv(262144)
        if not chunk:
            raise RuntimeError("POP3 server closed the connection")
        self.buf += chunk

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return out
            self.fill()

    def cmd(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.expect_ok(self.line())

    def multi(self, text):
        """Sends TEXT, returns the octets of the multi-line reply's body."""
        self.cmd(text)
        while not (self.buf.endswith(b"\r\n.\r\n") or self.buf == b".\r\n"):
            self.fill()
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def quit(self):
        try:
            self.cmd("QUIT")
        finally:
            self.sock.close()


def timed_listing(port, verb):
    t0 = time.monotonic()
    c = Client(port)
    body = c.multi(verb)
    c.quit()
    return time.monotonic() - t0, body.count(b"\r\n") - 1


def timed_retr(port, n):
    c = Client(port)
    octets = 0
    t0 = time.monotonic()
    for i in range(1, n + 1):
        octets += len(c.multi("RETR %d" % i))
    elapsed = time.monotonic() - t0
    c.quit()
    return n / elapsed, octets / elapsed / 1e6


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    return xs[len(xs) // 2] if xs else None


def measure(ports, maildir, n_msgs, n_retr, repeat):
    """PORTS: {name: port}.  Each server's first session, then REPEAT rounds
    of (LIST, UIDL, RETR) with the servers taking turns inside each round,
    so that both see the same machine load; medians."""
    res = {}
    for name, port in ports.items():
        if res:
            restore_new(maildir)    # the next server starts from the same state
        first, n = timed_listing(port, "LIST")
        if n != n_msgs:
            raise RuntimeError("%s: LIST gave %d messages, not %d" % (name, n, n_msgs))
        res[name] = {"first": first, "list": [], "uidl": [], "retr": [], "mbs": []}
        print("  %s: first session %.3f s, then new/ %d, cur/ %d" % (
            name, first, *box_state(maildir).values()), flush=True)
    for rnd in range(repeat):
        for name, port in ports.items():
            r = res[name]
            r["list"].append(timed_listing(port, "LIST")[0])
            t, n = timed_listing(port, "UIDL")
            if n != n_msgs:
                raise RuntimeError("%s: UIDL gave %d messages, not %d" % (name, n, n_msgs))
            r["uidl"].append(t)
            rate, mbs = timed_retr(port, n_retr)
            r["retr"].append(rate)
            r["mbs"].append(mbs)
            print("  round %d %s: LIST %.3f s, UIDL %.3f s, RETR %.0f msgs/s %.1f MB/s" % (
                rnd + 1, name, r["list"][-1], t, rate, mbs), flush=True)
    return {name: {k: (median(v) if isinstance(v, list) else v) for k, v in r.items()}
            for name, r in res.items()}


# -- the run ------------------------------------------------------------------

class QmailNgPop3(QmailNg):
    """QmailNg with its pop3 service (STLS) on a free port instead of smtp's
    load settings; the user's password is USER_PW."""

    def setup(self):
        self.pop3_port = free_port()
        args = ["init", "--me", HOST, "--listen", "smtp=127.0.0.1:%d" % self.port,
                "--listen", "pop3=127.0.0.1:%d" % self.pop3_port]
        for svc in ("submission", "smtps", "pop3s", "qmtp", "qmqp"):
            args += ["--listen", svc + "=off"]
        self.ctl(*args)
        self.ctl("domain", "add", RCPT.split("@")[1])
        self.ctl("user", "add", RCPT, "--password-stdin", input=(USER_PW + "\n").encode())
        self.ctl("start")
        wait_port(self.pop3_port)
        self.maildir = self.ctl("user", "path", RCPT).strip()

    def password_hash(self):
        """The user's crypt(3) hash from users/vpasswd (address:hash:...)."""
        with open(os.path.join(self.dir, "users", "vpasswd")) as f:
            for line in f:
                fields = line.rstrip("\n").split(":")
                if fields[0] == RCPT:
                    return fields[1]
        raise RuntimeError("%s not in users/vpasswd" % RCPT)


def restore_new(maildir):
    """Puts every message back into new/ under its delivery name (the part
    before ':'), as it was before the first server's first session."""
    cur, new = os.path.join(maildir, "cur"), os.path.join(maildir, "new")
    for name in os.listdir(cur):
        os.rename(os.path.join(cur, name), os.path.join(new, name.split(":", 1)[0]))


def box_state(maildir):
    return {sub: len(os.listdir(os.path.join(maildir, sub))) for sub in ("new", "cur")}


def report_lines(q, d):
    rows = [("first login + LIST (s)", "first"), ("login + LIST (s, median)", "list"),
            ("login + UIDL (s, median)", "uidl"), ("RETR msgs/s (median)", "retr"),
            ("RETR MB/s (median)", "mbs")]
    lines = ["| metric | qmail-ng | Dovecot | qmail-ng/Dovecot |", "|---|---|---|---|"]
    for label, key in rows:
        a, b = q.get(key), d.get(key)
        fa = "%.3f" % a if a is not None and key in ("first", "list", "uidl") else fmt(a)
        fb = "%.3f" % b if b is not None and key in ("first", "list", "uidl") else fmt(b)
        lines.append("| %s | %s | %s | %s |" % (label, fa, fb, ratio(a, b)))
    return lines


def dovecot_version():
    p = subprocess.run(["/usr/sbin/dovecot", "--version"], capture_output=True)
    return p.stdout.decode().strip() or "?"


def run_pop3(args, base):
    n_msgs = int(os.environ.get("BENCH_POP3_MESSAGES", 100000))
    n_retr = int(os.environ.get("BENCH_POP3_RETR", 2000))
    repeat = int(os.environ.get("BENCH_POP3_REPEAT", 3))
    if not ensure_dovecot():
        print("bench: pop3: Dovecot unavailable, run skipped")
        return 1
    load0 = os.getloadavg()[0]
    q = QmailNgPop3(base, os.path.join(REPO, args.build))
    d = None
    notes = []
    try:
        q.setup()
        pem = os.path.join(q.dir, "control", "servercert.pem")
        if not os.path.exists(pem):
            raise RuntimeError("no control/servercert.pem (STLS needs it)")
        print("bench: pop3: writing %d messages into new/ ..." % n_msgs, flush=True)
        t0 = time.monotonic()
        octets = fill_maildir(q.maildir, n_msgs)
        print("  %.1f s, %.0f MB" % (time.monotonic() - t0, octets / 1e6), flush=True)
        d = Dovecot(base, q.maildir, pem, "{CRYPT}" + q.password_hash())
        d.setup()
        print("bench: pop3: new/ %d, cur/ %d"
              % tuple(box_state(q.maildir).values()), flush=True)
        results = measure({"qmail-ng": q.pop3_port, "Dovecot": d.port}, q.maildir, n_msgs,
                          n_retr, repeat)
        st = box_state(q.maildir)
        notes.append("- after the runs: new/ %d, cur/ %d files" % (st["new"], st["cur"]))
        notes.append("- load average at the start and the end: %.1f, %.1f (%d cores)" % (
            load0, os.getloadavg()[0], os.cpu_count()))
    finally:
        if d:
            d.teardown()
        q.teardown()
    lines = report_lines(results["qmail-ng"], results["Dovecot"])
    print("\n".join(lines))
    write_results(args.results, lines, notes, n_msgs, octets, n_retr, repeat)
    print("bench: wrote %s" % args.results)
    return 0


def write_results(path, lines, notes, n_msgs, octets, n_retr, repeat):
    body = [
        "One virtual user's Maildir with %d messages (%.0f MB, 2-8 KiB each, LF line "
        "ends, names as qmail-ng's delivery writes them: `sec.MusecPpidQn.host`, no `,S=` "
        "size hint), written straight into `new/`. qmail-ng: its pop3 service (qmail-listen "
        "-S, qmail-popup, qmail-checkpassword, qmail-pop3d). Dovecot %s: a private instance "
        "(own config, `mail_location = maildir:` the same Maildir, index and control files "
        "outside it, a passwd-file user with the Maildir owner's uid and qmail-ng's own "
        "yescrypt hash of the password, so both hash the same way at login). Both with STLS "
        "and the key and certificate of qmail-ng's control/servercert.pem. Client: a raw "
        "socket client (connect, STLS, USER/PASS, the command, QUIT). First session: each "
        "server starts from every message in `new/` and no index or cache (the files are "
        "put back between the two); both move `new/` to `cur/` (`:2,` appended), "
        "qmail-pop3d writes its size cache (`qmail-ng-pop3.sizes`), Dovecot its index. Then "
        "%d rounds, the two servers taking turns in each: login + LIST (all lines read), "
        "login + UIDL, one session with RETR 1..%d one command at a time (QUIT not timed: "
        "Dovecot marks retrieved messages \\Seen there, qmail-pop3d changes no flags); "
        "medians. Times: lower is better; rates: higher is better."
        % (n_msgs, octets / 1e6, dovecot_version(), repeat, n_retr),
        ""] + lines
    if notes:
        body += ["", "Notes:", ""] + notes
    results_md.update(path, "pop3", "POP3: LIST, UIDL, RETR against Dovecot (issue 5)", body)
