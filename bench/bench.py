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
import importlib
import os
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time

import results_md
import tls_bench
from results_md import fmt, ratio

from systems import (REPO, SMTP_SOURCE, RCPT, Postfix, QmailNg,
                     RssSampler, clear_maildir, count_new)

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


def write_results(lines, notes, args):
    body = ["Both systems on loopback, each delivering to one virtual Maildir "
            "(qmail-ng: `qmailctl user add`; Postfix %s: `virtual(8)` with a texthash map, "
            "smtpd on a high port, no chroot). Load: `smtp-source -s C -m %d -l %d -f "
            "bench@remote.example -t %s 127.0.0.1:PORT`. Accepted msgs/s = messages / "
            "smtp-source wall time; end-to-end = messages / time until all files are in "
            "`new/`; peak RSS = the largest sampled sum (every 0.1 s) of the RSS of all the "
            "system's processes; session p50/p99 = %d sequential single-message sessions "
            "(smtplib, connect to QUIT). Both systems are up for the whole section and take "
            "turns: at each concurrency qmail-ng then Postfix, then the two session probes, "
            "then the two TLS runs." % (postfix_version(), args.messages, args.size, RCPT,
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
            ""] + lines
    if notes:
        body += ["", "Notes:", ""] + notes
    results_md.update(args.results, "smtp", "SMTP in, Maildir out; TLS sessions (issues 2, 4)",
                      body)


def postfix_version():
    p = subprocess.run(["postconf", "-d", "-h", "mail_version"], capture_output=True)
    return p.stdout.decode().strip() or "?"


def plain_runs(systems, args, results):
    """smtp-source at each concurrency, the systems taking turns at each one
    (this VM's speed drifts within minutes: a system's runs must not all
    fall in one phase and the other's in another)."""
    for c in [int(x) for x in args.concurrency.split()]:
        for s in systems:
            print("bench: %s concurrency %d ..." % (s.name, c), flush=True)
            r = one_run(s, c, args)
            print("  accepted %s/s end-to-end %s/s peak RSS %.1f MiB %s" % (
                fmt(r["accepted"]), fmt(r["e2e"]), r["rss"] / 2**20, r["note"]), flush=True)
            results.setdefault(s.name, []).append(r)


def probe(s, args, sessions):
    try:
        clear_maildir(s.maildir)
        sessions[s.name] = session_times(s.port, args.probe)
    except (OSError, smtplib.SMTPException) as e:
        print("bench: session probe failed for %s: %s" % (s.name, e))


def tls_step(s, args, tls):
    print("bench: %s TLS, concurrency %d, %d sessions ..." % (
        s.name, args.tls_concurrency, args.tls_sessions), flush=True)
    r = tls_run(s, args)
    tls[s.name] = r
    print("  %s sessions/s (%d ok, %d failed, %.1f s) idle session %s %s" % (
        fmt(r["rate"]), r["ok"], r["fail"], r["elapsed"],
        "RSS %.1f MiB PSS %.1f MiB" % (r["idle"][0] / 2**20, r["idle"][1] / 2**20)
        if r["idle"] else "?", r["note"]), flush=True)


def smtp_runs(args, runs):
    """The smtp-source runs, the session probe and the TLS run (section "smtp").
    Both systems are up for the whole section and take turns in each step."""
    base = tempfile.mkdtemp(prefix="qng-bench-", dir="/var/tmp")
    os.chmod(base, 0o755)
    systems = [QmailNg(base, os.path.join(REPO, args.build)), Postfix(base)]
    systems = [s for s in systems if s.name in args.systems.split(",")]
    results, sessions, tls = {s.name: [] for s in systems}, {}, {}
    try:
        for s in systems:
            if isinstance(s, Postfix) and systems[0].name == "qmail-ng":
                s.cert_source = os.path.join(systems[0].dir, "control", "servercert.pem")
            s.setup()
        if "plain" in runs:
            plain_runs(systems, args, results)
        for s in systems if "probe" in runs else []:
            probe(s, args, sessions)
        for s in systems if "tls" in runs else []:
            tls_step(s, args, tls)
    finally:
        for s in systems:
            s.teardown()
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(base, ignore_errors=True)
    lines, notes = report(results, sessions, args, tls)
    print("\n".join(lines))
    for n in notes:
        print(n)
    write_results(lines, notes, args)
    print("bench: wrote %s" % args.results)


# Further runs, each in its own module with run_X(args, base); each writes its
# own section of RESULTS.md.
EXTRA_RUNS = {"relay": ("relay_bench", "run_relay"), "drain": ("relay_bench", "run_drain"),
              "pop3": ("pop3_bench", "run_pop3"), "policy": ("policy_bench", "run_policy")}


def extra_run(name, args):
    modname, fn = EXTRA_RUNS[name]
    try:
        mod = importlib.import_module(modname)
    except ImportError as e:
        print("bench: %s run unavailable: %s" % (name, e), file=sys.stderr)
        return 1
    base = tempfile.mkdtemp(prefix="qng-bench-%s-" % name, dir="/var/tmp")
    os.chmod(base, 0o755)
    try:
        return getattr(mod, fn)(args, base) or 0
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(base, ignore_errors=True)


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
    ap.add_argument("--runs", default=os.environ.get("BENCH_RUNS", "smtp," + ",".join(EXTRA_RUNS)),
                    help="smtp (= plain, probe, tls), " + ", ".join(EXTRA_RUNS))
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
    runs = args.runs.split(",")
    if "smtp" in runs:
        runs += ["plain", "probe", "tls"]
    rc = 0
    if set(runs) & {"plain", "probe", "tls"}:
        smtp_runs(args, runs)
    for name in EXTRA_RUNS:
        if name in runs:
            print("bench: %s run ..." % name, flush=True)
            rc |= extra_run(name, args)
    return rc


if __name__ == "__main__":
    sys.exit(main())
