#!/usr/bin/python3
"""qmail-ng vs Postfix on loopback, driven by Postfix's smtp-source.

For each system and each concurrency C: `smtp-source -s C -m N -l SIZE`
into a virtual mailbox; measures accepted msgs/s (smtp-source wall time),
end-to-end msgs/s (until N files are in the Maildir), peak memory (sum of
RSS of the system's processes, sampled every 0.1 s), and p50/p99 SMTP
session time from a short separate probe of single-message sessions.
Prints a table with the qmail-ng/Postfix ratios and writes bench/RESULTS.md.
Everything is bounded in time; a run that times out is reported as such.

The TLS run (tls_bench.py): sessions per second with STARTTLS plus one
message at concurrency BENCH_TLS_CONCURRENCY, both systems with the
qmail-ng instance's control/servercert.pem (key and certificate), and the
memory of the processes serving one idle TLS session.
"""

import argparse
import datetime
import glob
import os
import platform
import pwd
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time

import tls_bench

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


def session_times(port, n=200):
    """p50/p99 of single-message SMTP sessions (connect to QUIT), seconds."""
    body = ("Subject: probe\r\n\r\n" + "x" * 76 + "\r\n") * 50
    times = []
    for _ in range(n):
        t0 = time.monotonic()
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
            s.sendmail("probe@remote.example", [RCPT], body)
        times.append(time.monotonic() - t0)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]


def one_run(system, conc, args):
    clear_maildir(system.maildir)
    sampler = RssSampler(system.owns)
    sampler.start()
    t0 = time.monotonic()
    res = {"conc": conc, "accepted": None, "e2e": None, "rss": None, "note": ""}
    try:
        subprocess.run([SMTP_SOURCE, "-s", str(conc), "-m", str(args.messages), "-l",
                        str(args.size), "-f", "bench@remote.example", "-t", RCPT,
                        "127.0.0.1:%d" % system.port], capture_output=True, check=True,
                       timeout=args.timeout)
        t1 = time.monotonic()
        res["accepted"] = args.messages / (t1 - t0)
        deadline = t0 + args.timeout
        while count_new(system.maildir) < args.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        got = count_new(system.maildir)
        if got >= args.messages:
            res["e2e"] = args.messages / (time.monotonic() - t0)
        else:
            res["note"] = "only %d/%d delivered within %ds" % (got, args.messages, args.timeout)
    except subprocess.TimeoutExpired:
        res["note"] = "smtp-source timed out after %ds" % args.timeout
    except subprocess.CalledProcessError as e:
        res["note"] = "smtp-source failed: %s" % e.stderr.decode(errors="replace")[-200:]
    sampler.stop.set()
    sampler.join()
    res["rss"] = sampler.peak
    deadline = time.monotonic() + 60
    while not system.queue_empty() and time.monotonic() < deadline:
        time.sleep(0.2)
    return res


def tls_run(system, args):
    """The TLS figures for one system: sessions/s at the TLS concurrency,
    the peak RSS during that run, and one idle TLS session's memory."""
    clear_maildir(system.maildir)
    sampler = RssSampler(system.owns)
    sampler.start()
    r = tls_bench.sessions_per_second(system.port, RCPT, args.tls_sessions,
                                      args.tls_concurrency, args.tls_timeout)
    sampler.stop.set()
    sampler.join()
    r["peak"] = sampler.peak
    deadline = time.monotonic() + 60
    while not system.queue_empty() and time.monotonic() < deadline:
        time.sleep(0.2)
    r["idle"] = None
    try:
        r["idle"] = tls_bench.idle_session_memory(system.port, system.owns)
    except (OSError, smtplib.SMTPException) as e:
        r["note"] = (r["note"] + "; " if r["note"] else "") + "idle session: %s" % e
    return r


def tls_lines(tls, args):
    q = tls.get("qmail-ng", {})
    p = tls.get("Postfix", {})
    c = args.tls_concurrency
    mib = (lambda x: x / 2**20 if x else None)
    idle = (lambda r, i: r["idle"][i] / 2**20 if r.get("idle") else None)
    rows = [("%d" % c, "TLS sessions/s (STARTTLS + 1 msg)", q.get("rate"), p.get("rate")),
            ("%d" % c, "peak RSS during TLS run (MiB, sum)", mib(q.get("peak")),
             mib(p.get("peak"))),
            ("1", "idle TLS session RSS (MiB)", idle(q, 0), idle(p, 0)),
            ("1", "idle TLS session PSS (MiB)", idle(q, 1), idle(p, 1))]
    return ["| %s | %s | %s | %s | %s |" % (cc, m, fmt(a), fmt(b), ratio(a, b))
            for cc, m, a, b in rows]


def machine():
    mem = ""
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem = "%.1f GiB" % (int(line.split()[1]) / 1048576)
    disk = subprocess.run(["df", "-hT", "/var/tmp"], capture_output=True).stdout.decode()
    disk = disk.splitlines()[-1] if disk else "?"
    cpu = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"nproc": os.cpu_count(), "memory": mem, "kernel": platform.release(),
            "cpu": cpu, "disk (/var/tmp)": " ".join(disk.split())}


def fmt(x, unit=""):
    return "—" if x is None else ("%.1f%s" % (x, unit))


def ratio(a, b):
    return "—" if not a or not b else "%.2f" % (a / b)


def report(results, sessions, args, tls=None):
    lines = ["| concurrency | metric | qmail-ng | Postfix | qmail-ng/Postfix |",
             "|---|---|---|---|---|"]
    empty = [{"conc": 0, "accepted": None, "e2e": None, "rss": 0, "note": ""}] * 3
    for q, p in zip(results.get("qmail-ng", empty), results.get("Postfix", empty)):
        c = q["conc"]
        lines.append("| %d | accepted msgs/s | %s | %s | %s |" % (
            c, fmt(q["accepted"]), fmt(p["accepted"]), ratio(q["accepted"], p["accepted"])))
        lines.append("| %d | end-to-end msgs/s | %s | %s | %s |" % (
            c, fmt(q["e2e"]), fmt(p["e2e"]), ratio(q["e2e"], p["e2e"])))
        qm, pm = q["rss"] / 2**20, p["rss"] / 2**20
        lines.append("| %d | peak RSS (MiB, sum) | %.1f | %.1f | %s |" % (c, qm, pm, ratio(qm, pm)))
    q50, q99 = sessions.get("qmail-ng", (None, None))
    p50, p99 = sessions.get("Postfix", (None, None))
    lines.append("| 1 | session p50 (ms) | %s | %s | %s |" % (
        fmt(q50 and q50 * 1000), fmt(p50 and p50 * 1000), ratio(q50, p50)))
    lines.append("| 1 | session p99 (ms) | %s | %s | %s |" % (
        fmt(q99 and q99 * 1000), fmt(p99 and p99 * 1000), ratio(q99, p99)))
    if tls:
        lines += tls_lines(tls, args)
    notes = ["- %s, concurrency %d: %s" % (n, r["conc"], r["note"])
             for n in results for r in results[n] if r["note"]]
    for n, r in (tls or {}).items():
        if r.get("note"):
            notes.append("- %s, TLS run: %s" % (n, r["note"]))
        if r.get("idle"):
            notes.append("- %s, idle TLS session: %d process(es)" % (n, r["idle"][2]))
    return lines, notes


def write_results(lines, notes, args, m):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# qmail-ng benchmark results", "",
           "Generated by `make bench` (bench/run.sh) on %s." % now, "",
           "## Machine", ""]
    out += ["- %s: %s" % (k, v) for k, v in m.items()]
    out += ["", "## Method", "",
            "Both systems on loopback, each delivering to one virtual Maildir "
            "(qmail-ng: `qmailctl user add`; Postfix %s: `virtual(8)` with a texthash map, "
            "smtpd on a high port, no chroot). Load: `smtp-source -s C -m %d -l %d -f "
            "bench@remote.example -t %s 127.0.0.1:PORT`. Accepted msgs/s = messages / "
            "smtp-source wall time; end-to-end = messages / time until all files are in "
            "`new/`; peak RSS = the largest sampled sum (every 0.1 s) of the RSS of all the "
            "system's processes; session p50/p99 = %d sequential single-message sessions "
            "(smtplib, connect to QUIT)." % (postfix_version(), args.messages, args.size, RCPT,
                                             args.probe),
            "",
            "TLS run: both systems use the key and self-signed certificate that `qmailctl "
            "init` put in qmail-ng's control/servercert.pem (Postfix: `smtpd_tls_chain_files`, "
            "`smtpd_tls_security_level = may`; qmail-ng: its smtp service, STARTTLS via "
            "qmail-listen -S as the supervisor starts it). %d client processes share %d "
            "sessions, each smtplib connect, EHLO, STARTTLS, EHLO, one %d-byte message, QUIT "
            "(full handshakes, no resumption); sessions/s = completed sessions / wall time. "
            "Idle TLS session = one session left open after STARTTLS and EHLO: RSS and PSS "
            "(smaps_rollup) of the processes holding its server socket and their children "
            "(qmail-ng: TLS proxy + qmail-smtpd; Postfix: smtpd)."
            % (args.tls_concurrency, args.tls_sessions, len(tls_bench.BODY)),
            "", "## Results", ""] + lines
    if notes:
        out += ["", "## Notes", ""] + notes
    with open(args.results, "w") as f:
        f.write("\n".join(out) + "\n")


def postfix_version():
    p = subprocess.run(["postconf", "-d", "-h", "mail_version"], capture_output=True)
    return p.stdout.decode().strip() or "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--messages", type=int, default=int(os.environ.get("BENCH_MESSAGES", 5000)))
    ap.add_argument("--size", type=int, default=int(os.environ.get("BENCH_SIZE", 4096)))
    ap.add_argument("--concurrency", default=os.environ.get("BENCH_CONCURRENCY", "1 10 50"))
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("BENCH_TIMEOUT", 400)))
    ap.add_argument("--probe", type=int, default=200)
    ap.add_argument("--systems", default="qmail-ng,Postfix")
    ap.add_argument("--results", default=os.environ.get(
        "BENCH_RESULTS", os.path.join(REPO, "bench", "RESULTS.md")))
    ap.add_argument("--runs", default=os.environ.get("BENCH_RUNS", "plain,probe,tls"),
                    help="which runs: plain (smtp-source), probe (session times), tls")
    ap.add_argument("--tls-sessions", type=int,
                    default=int(os.environ.get("BENCH_TLS_SESSIONS", 1000)))
    ap.add_argument("--tls-concurrency", type=int,
                    default=int(os.environ.get("BENCH_TLS_CONCURRENCY", 10)))
    ap.add_argument("--tls-timeout", type=int,
                    default=int(os.environ.get("BENCH_TLS_TIMEOUT", 300)))
    ap.add_argument("--install-only", action="store_true")
    args = ap.parse_args()
    if args.install_only:
        return 0
    signal.signal(signal.SIGTERM, lambda *a: sys.exit("bench: terminated"))
    if os.geteuid() != 0:
        print("bench: must run as root (Postfix instance)", file=sys.stderr)
        return 1
    base = tempfile.mkdtemp(prefix="qng-bench-", dir="/var/tmp")
    os.chmod(base, 0o755)
    systems = [QmailNg(base, os.path.join(REPO, args.build)), Postfix(base)]
    systems = [s for s in systems if s.name in args.systems.split(",")]
    results, sessions, tls = {}, {}, {}
    runs = args.runs.split(",")
    try:
        for s in systems:
            if isinstance(s, Postfix) and systems[0].name == "qmail-ng":
                s.cert_source = os.path.join(systems[0].dir, "control", "servercert.pem")
            s.setup()
            results[s.name] = []
            for c in [int(x) for x in args.concurrency.split()] if "plain" in runs else []:
                print("bench: %s concurrency %d ..." % (s.name, c), flush=True)
                r = one_run(s, c, args)
                print("  accepted %s/s end-to-end %s/s peak RSS %.1f MiB %s" % (
                    fmt(r["accepted"]), fmt(r["e2e"]), r["rss"] / 2**20, r["note"]), flush=True)
                results[s.name].append(r)
            try:
                if "probe" in runs:
                    clear_maildir(s.maildir)
                    sessions[s.name] = session_times(s.port, args.probe)
            except (OSError, smtplib.SMTPException) as e:
                print("bench: session probe failed for %s: %s" % (s.name, e))
            if "tls" in runs:
                print("bench: %s TLS, concurrency %d, %d sessions ..." % (
                    s.name, args.tls_concurrency, args.tls_sessions), flush=True)
                r = tls_run(s, args)
                tls[s.name] = r
                print("  %s sessions/s (%d ok, %d failed, %.1f s) idle session %s %s" % (
                    fmt(r["rate"]), r["ok"], r["fail"], r["elapsed"],
                    "RSS %.1f MiB PSS %.1f MiB" % (r["idle"][0] / 2**20, r["idle"][1] / 2**20)
                    if r["idle"] else "?", r["note"]), flush=True)
            s.teardown()
    finally:
        for s in systems:
            s.teardown()
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(base, ignore_errors=True)
    lines, notes = report(results, sessions, args, tls)
    print("\n".join(lines))
    for n in notes:
        print(n)
    write_results(lines, notes, args, machine())
    print("bench: wrote %s" % args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
