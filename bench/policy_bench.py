"""The policy run of `make bench` (issue 6): what each anti-abuse feature
costs per message.

The core run (bench.one_run: `smtp-source -s 10 -m N -l SIZE` into one
virtual Maildir) is repeated against one qmail-ng instance configured as
  (a) nothing: spfbehavior 0, no DNSBL, no RCPTCHECK
  (b) SPF in header mode (spfbehavior 1; the sender's domain has a record
      that passes, so every message gets a Received-SPF field)
  (c) one DNSBL (control/dnsbl; the client is not listed: one A lookup
      answered NXDOMAIN per connection)
  (d) RCPTCHECK=qmail-rcptcheck (a program run per recipient)
  (e) all three
  (f) rate limits on (control/ratelimit_ip with limits never reached; all
      load comes from 127.0.0.1, so every process updates one locked file)
in BENCH_POLICY_REPEAT interleaved rounds (default 2; the best end-to-end run
of each case counts), with Postfix's plain run in every round right after
case (a).  In every case the
tcprules are ":allow" (no RELAYCLIENT, which would skip SPF and DNSBL).
DNS answers come from a dnslib server on loopback in its own process
(control/dnsservers points at it), as in the integration tests.  The section
also gives the RFC 7208 suite's pass count (tests/spf/run_suite.py, as
`make check` runs it through tests/integ/test_abuse.py).
"""

import multiprocessing
import os
import socket
import subprocess
import sys
import time

import results_md
from results_md import fmt, ratio
from systems import REPO, SMTP_SOURCE, Postfix, QmailNg, clear_maildir, wait_port

CONCURRENCY = 10
SENDER_DOMAIN = "remote.example"   # bench.one_run's sender is bench@remote.example
DNSBL_ZONE = "bl.bench.example"
RATELIMIT_RULE = "* 1000000 1000000 3600\n"

CONFIGS = [
    ("a", "nothing", {"spf": False, "dnsbl": False, "rcptcheck": False, "ratelimit": False}),
    ("b", "SPF (header mode)", {"spf": True, "dnsbl": False, "rcptcheck": False,
                                "ratelimit": False}),
    ("c", "one DNSBL", {"spf": False, "dnsbl": True, "rcptcheck": False, "ratelimit": False}),
    ("d", "RCPTCHECK (qmail-rcptcheck)", {"spf": False, "dnsbl": False, "rcptcheck": True,
                                          "ratelimit": False}),
    ("e", "SPF + DNSBL + RCPTCHECK", {"spf": True, "dnsbl": True, "rcptcheck": True,
                                      "ratelimit": False}),
    ("f", "rate limits (never reached)", {"spf": False, "dnsbl": False, "rcptcheck": False,
                                          "ratelimit": True}),
]


# ---- the DNS server ------------------------------------------------------

NEGATIVE_TTL = 300   # the SOA's TTL and minimum: how long an NXDOMAIN may be kept


def _serve_dns(port, ready):
    """Answers as a real zone does: the sender domain's TXT record, and
    NXDOMAIN with the zone's SOA in the authority section (rbldnsd answers
    a DNSBL miss so; resolvers keep it for the SOA's negative TTL)."""
    from dnslib import QTYPE, RCODE, RR, SOA, TXT
    from dnslib.server import BaseResolver, DNSLogger, DNSServer

    records = {SENDER_DOMAIN: "v=spf1 ip4:127.0.0.0/8 -all"}

    def zone_of(name):
        if name == DNSBL_ZONE or name.endswith("." + DNSBL_ZONE):
            return DNSBL_ZONE
        return ".".join(name.split(".")[-2:])

    class Resolver(BaseResolver):
        def resolve(self, request, handler):
            reply = request.reply()
            name = str(request.q.qname).rstrip(".").lower()
            if name in records and QTYPE[request.q.qtype] == "TXT":
                reply.add_answer(RR(name + ".", QTYPE.TXT, rdata=TXT(records[name]), ttl=60))
            elif name not in records:
                reply.header.rcode = RCODE.NXDOMAIN
                zone = zone_of(name)
                soa = SOA("ns." + zone + ".", "hostmaster." + zone + ".",
                          (1, 3600, 600, 86400, NEGATIVE_TTL))
                reply.add_auth(RR(zone + ".", QTYPE.SOA, rdata=soa, ttl=NEGATIVE_TTL))
            return reply

    server = DNSServer(Resolver(), port=port, address="127.0.0.1",
                       logger=DNSLogger(logf=lambda s: None))
    ready.set()
    server.start()


def start_dns():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp = multiprocessing.get_context("fork")
    ready = mp.Event()
    proc = mp.Process(target=_serve_dns, args=(port, ready), daemon=True)
    proc.start()
    if not ready.wait(15):
        proc.kill()
        raise RuntimeError("the DNS server did not start")
    time.sleep(0.2)
    return proc, port


# ---- configuring qmail-ng ------------------------------------------------

def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)


def remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def configure(q, feat, dns_port):
    """Writes the control files and tcprules for one case and restarts."""
    control = os.path.join(q.dir, "control")
    q.ctl("stop")
    write(os.path.join(control, "dnsservers"), "127.0.0.1@%d\n" % dns_port)
    write(os.path.join(control, "spfbehavior"), "1\n" if feat["spf"] else "0\n")
    if feat["dnsbl"]:
        write(os.path.join(control, "dnsbl"), DNSBL_ZONE + "\n")
    else:
        remove(os.path.join(control, "dnsbl"))
    if feat["ratelimit"]:
        write(os.path.join(control, "ratelimit_ip"), RATELIMIT_RULE)
        make_ratelimit_dir(q)
    else:
        remove(os.path.join(control, "ratelimit_ip"))
    rule = ":allow"
    if feat["rcptcheck"]:
        rule += ',RCPTCHECK="%s"' % os.path.join(q.dir, "bin", "qmail-rcptcheck")
    write(os.path.join(control, "tcprules", "smtp"), rule + "\n")
    q.ctl("cdb")
    q.ctl("start")
    wait_port(q.port)


def make_ratelimit_dir(q):
    """$QMAILHOME/ratelimit for the smtpd user (qmailctl init may not make it)."""
    d = os.path.join(q.dir, "ratelimit")
    os.makedirs(d, mode=0o700, exist_ok=True)
    st = os.stat(os.path.join(q.dir, "greylist"))
    os.chown(d, st.st_uid, st.st_gid)


def check_case(q, feat):
    """One message by hand: the case does what it claims (a Received-SPF
    field with SPF on, none with it off; nothing refused)."""
    import smtplib
    clear_maildir(q.maildir)
    with smtplib.SMTP("127.0.0.1", q.port, timeout=30) as s:
        s.sendmail("bench@" + SENDER_DOMAIN, ["bench@example.test"],
                   "Subject: policy probe\r\n\r\nprobe\r\n")
    new = os.path.join(q.maildir, "new")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for name in os.listdir(new):
            with open(os.path.join(new, name), "rb") as f:
                head = f.read().split(b"\n\n", 1)[0]
            if b"Subject: policy probe" not in head:
                continue
            has_spf = b"Received-SPF: pass" in head
            clear_maildir(q.maildir)
            return "" if has_spf == feat["spf"] else \
                "probe: Received-SPF pass %s, expected %s" % (has_spf, feat["spf"])
        time.sleep(0.1)
    return "probe message not delivered"


# ---- the run -------------------------------------------------------------

def cpu_seconds(system):
    """utime + stime + cutime + cstime summed over the system's live
    processes: a process that exited was reaped by one of them, so its
    whole CPU time is in that parent's cutime/cstime."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            exe = os.readlink("/proc/%s/exe" % d)
            if not system.owns(int(d), exe):
                continue
            with open("/proc/%s/stat" % d) as f:
                f = f.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in f[11:15])
        except (OSError, ValueError, IndexError):
            continue
    return total / tick


def one(system, args):
    """bench.one_run, plus the CPU time the system spent per message
    (including the wait until its queue is empty): less sensitive than the
    rates to other work on the machine."""
    import bench
    c0 = cpu_seconds(system)
    r = bench.one_run(system, CONCURRENCY, args)
    r["cpu_ms"] = (cpu_seconds(system) - c0) * 1000.0 / args.messages
    print("  accepted %s/s end-to-end %s/s CPU %.2f ms/msg %s" % (
        fmt(r["accepted"]), fmt(r["e2e"]), r["cpu_ms"], r["note"]), flush=True)
    return r


def better(a, b):
    """The run with the higher end-to-end rate (None counts as 0)."""
    return b if a is None or (b["e2e"] or 0) > (a["e2e"] or 0) else a


def spf_suite(args):
    bindir = os.path.join(REPO, args.build, "bin")
    try:
        p = subprocess.run([sys.executable, os.path.join(REPO, "tests", "spf", "run_suite.py"),
                            bindir], capture_output=True, timeout=300)
        last = p.stdout.decode(errors="replace").strip().splitlines()[-1]
        return last.replace("spf-suite: ", "")
    except (subprocess.TimeoutExpired, IndexError, OSError) as e:
        return "not run (%s)" % e


def cost_ms(rate, base):
    if not rate or not base:
        return None
    return 1000.0 / rate - 1000.0 / base


def signed(x):
    return "—" if x is None else "%+.2f" % x


def report(results, postfix, suite, args):
    base = results.get("a", {})
    lines = ["| case | accepted msgs/s | end-to-end msgs/s | ms/msg vs (a), end-to-end | "
             "CPU ms/msg | CPU ms/msg vs (a) | end-to-end / Postfix |",
             "|---|---|---|---|---|---|---|"]
    pf = postfix.get("e2e") if postfix else None
    for key, title, _ in CONFIGS:
        r = results.get(key)
        if not r:
            continue
        cpu_diff = r["cpu_ms"] - base["cpu_ms"] if base.get("cpu_ms") is not None else None
        lines.append("| (%s) %s | %s | %s | %s | %.2f | %s | %s |" % (
            key, title, fmt(r["accepted"]), fmt(r["e2e"]),
            signed(cost_ms(r["e2e"], base.get("e2e"))), r["cpu_ms"], signed(cpu_diff),
            ratio(r["e2e"], pf)))
    if postfix:
        lines.append("| Postfix, plain | %s | %s | | %.2f | | 1.00 |" % (
            fmt(postfix["accepted"]), fmt(postfix["e2e"]), postfix["cpu_ms"]))
    lines += ["", "RFC 7208 test suite (python3-spf's rfc7208-tests.yml through "
              "qmail-spfquery and a fake DNS, tests/spf/run_suite.py): %s." % suite]
    notes = ["- (%s): %s" % (k, r["note"]) for k, r in results.items() if r.get("note")]
    if postfix and postfix.get("note"):
        notes.append("- Postfix: %s" % postfix["note"])
    return lines, notes


def run_cases(args, base, repeat, p):
    """Every case once per round, rounds interleaved, so that a burst of
    load from elsewhere on the machine hits one run of each case at most.
    Postfix (p) runs in every round too, right after case (a): the ratios
    compare runs minutes apart at most.  Returns (results by case, Postfix's
    best run, the end-to-end rates of every round)."""
    results, notes, rounds, postfix = {}, {}, [], None
    dns_proc, dns_port = start_dns()
    q = QmailNg(base, os.path.join(REPO, args.build))
    try:
        q.setup()
        p.setup()
        for rnd in range(repeat):
            rounds.append([])
            for key, title, feat in CONFIGS:
                print("bench: policy (%s) %s, %d messages at concurrency %d, round %d ..." % (
                    key, title, args.messages, CONCURRENCY, rnd + 1), flush=True)
                configure(q, feat, dns_port)
                if rnd == 0:
                    notes[key] = check_case(q, feat)
                r = one(q, args)
                results[key] = better(results.get(key), r)
                rounds[-1].append(("(%s)" % key, r["e2e"]))
                if key == "a":
                    print("bench: policy Postfix plain, round %d ..." % (rnd + 1), flush=True)
                    r = one(p, args)
                    postfix = better(postfix, r)
                    rounds[-1].append(("Postfix", r["e2e"]))
    finally:
        p.teardown()
        q.teardown()
        dns_proc.kill()
        dns_proc.join(5)
    for key, note in notes.items():
        if note:
            r = results[key] = dict(results[key])
            r["note"] = (r["note"] + "; " if r["note"] else "") + note
    return results, postfix, rounds


def rounds_note(rounds):
    return "- End-to-end msgs/s in each round: " + "; ".join(
        "round %d: %s" % (i + 1, ", ".join("%s %s" % (k, fmt(v)) for k, v in rnd))
        for i, rnd in enumerate(rounds))


def run_policy(args, base):
    if not os.path.exists(SMTP_SOURCE):
        print("bench: policy run needs smtp-source (Postfix)", file=sys.stderr)
        return 1
    repeat = max(1, int(os.environ.get("BENCH_POLICY_REPEAT", "2")))
    load_start = os.getloadavg()[0]
    results, postfix, rounds = run_cases(args, base, repeat, Postfix(base))
    suite = spf_suite(args)
    lines, notes = report(results, postfix, suite, args)
    notes.append(rounds_note(rounds))
    notes.append("- 1-minute load average: %.1f at the start, %.1f at the end (2 cores; "
                 "anything well above 2 means other work competed with the runs)"
                 % (load_start, os.getloadavg()[0]))
    print("\n".join(lines + notes))
    body = ["The core run (`smtp-source -s %d -m %d -l %d -f bench@%s -t bench@example.test`, "
            "one virtual Maildir) against one qmail-ng instance per case, best end-to-end of "
            "%d interleaved rounds; tcprules `:allow` in every case (RELAYCLIENT would skip SPF and "
            "DNSBL). SPF: spfbehavior 1, the sender domain's record `v=spf1 ip4:127.0.0.0/8 "
            "-all` passes and every message gets `Received-SPF: pass`. DNSBL: control/dnsbl "
            "`%s`, the client is not listed (an A query answered NXDOMAIN with the zone's SOA, "
            "negative TTL 300 s, as rbldnsd answers; the sender's TXT record has TTL 60; "
            "qmail-smtpd's sessions share these answers, src/mail/dnscache.c). RCPTCHECK: "
            "`$QMAILHOME/bin/qmail-rcptcheck` set by tcprules, one process per recipient. "
            "DNS: a python3-dnslib server on loopback in its own process, named in "
            "control/dnsservers; its own CPU time is part of the cost on this 2-core machine. "
            "Rate limits: control/ratelimit_ip `%s` (never reached; every message updates one "
            "locked file, the worst case for contention). Cost per message = 1000/rate(case) "
            "- 1000/rate(a) (wall clock), and CPU ms/msg = user + system time of all the "
            "system's processes and the children they reaped, from the start of injection "
            "until the queue is empty, per message (the fake DNS server's own CPU not "
            "included), from the same run as the rates. Postfix %s: plain, as in the smtp "
            "section, in every round right after case (a); its best round is shown."
            % (CONCURRENCY, args.messages, args.size, SENDER_DOMAIN, repeat, DNSBL_ZONE,
               RATELIMIT_RULE.strip(), postfix_version()), ""] + lines
    if notes:
        body += ["", "Notes:", ""] + notes
    results_md.update(args.results, "policy",
                      "Anti-abuse features: cost per message (issue 6)", body)
    print("bench: wrote %s (policy)" % args.results)
    return 0


def postfix_version():
    p = subprocess.run(["postconf", "-d", "-h", "mail_version"], capture_output=True)
    return p.stdout.decode().strip() or "?"
