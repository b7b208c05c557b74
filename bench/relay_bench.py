"""The relay and drain runs of `make bench` (issue 3): mail in over SMTP and
out over SMTP to Postfix's smtp-sink on loopback, qmail-ng and Postfix side
by side, each with its own sink, whose running `mesg=` counter (`-c`,
updated at every final dot) is what counts as delivered.

run_relay: args.messages messages in (smtp-source -s 20) for relay.example,
msgs/s from the start of injection until the sink has them all.
run_drain: BENCH_DRAIN_MESSAGES (20000) queued while the sink is down
(connection refused, all deferred), then the sink starts and each system is
told to retry now; the time to drain and the rate in fixed time buckets.
The texts written to RESULTS.md describe the method in full.  Every wait is
bounded (args.timeout per phase); a failing system is reported, not waited for.
"""

import os
import re
import shutil
import subprocess
import threading
import time

import results_md
from results_md import fmt, ratio
from systems import (SMTP_SOURCE, Postfix, QmailNg, RssSampler, free_port, run,
                     wait_port)

SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
RELAY_DOMAIN = "relay.example"
RELAY_RCPT = "bench@" + RELAY_DOMAIN
SENDER = "bench@remote.example"
INJECT_CONCURRENCY = 20
MESG_RE = re.compile(rb"mesg=(\d+)")


class Sink:
    """smtp-sink on 127.0.0.1:port; a thread reads its running counters
    (`sess=.. quit=.. mesg=N` records ending in CR) and keeps every change
    of the message count as (monotonic time, count)."""

    def __init__(self, port):
        self.port = port
        self.proc = None
        self.count = 0
        self.events = [(time.monotonic(), 0)]
        self.lock = threading.Lock()

    def start(self):
        argv = [SMTP_SINK, "-c", "-4"]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]
        argv += ["127.0.0.1:%d" % self.port, "256"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL)
        threading.Thread(target=self._reader, daemon=True).start()
        wait_port(self.port)

    def _reader(self):
        fd = self.proc.stdout.fileno()
        rest = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            recs = (rest + chunk).split(b"\r")
            rest = recs.pop()
            for rec in reversed(recs):
                m = MESG_RE.search(rec)
                if m:
                    self._note(int(m.group(1)))
                    break

    def _note(self, n):
        with self.lock:
            if n != self.count:
                self.count = n
                self.events.append((time.monotonic(), n))

    def wait_for(self, n, deadline):
        while self.count < n and time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                return False
            time.sleep(0.02)
        return self.count >= n

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def count_files(top):
    n = 0
    for _, _, files in os.walk(top):
        n += len(files)
    return n


class RelayQmailNg(QmailNg):
    """A qmail-ng instance that relays relay.example to the sink."""

    def __init__(self, base, build, sink_port):
        super().__init__(base, build)
        self.sink_port = sink_port

    def setup(self):
        args = ["init", "--me", "bench.example", "--listen", "smtp=127.0.0.1:%d" % self.port]
        for svc in ("submission", "smtps", "pop3", "pop3s", "qmtp", "qmqp"):
            args += ["--listen", svc + "=off"]
        self.ctl(*args)
        ctl = os.path.join(self.dir, "control")
        with open(os.path.join(ctl, "concurrencyperip"), "w") as f:
            f.write("100\n")
        with open(os.path.join(ctl, "rcpthosts"), "a") as f:
            f.write(RELAY_DOMAIN + "\n")
        with open(os.path.join(ctl, "smtproutes"), "w") as f:
            f.write("%s:127.0.0.1:%d\n" % (RELAY_DOMAIN, self.sink_port))
        conc = os.environ.get("BENCH_QNG_CONCURRENCYREMOTE")
        if conc:
            with open(os.path.join(ctl, "concurrencyremote"), "w") as f:
                f.write(conc + "\n")
        self.ctl("start")
        wait_port(self.port)

    def remote_settings(self):
        try:
            with open(os.path.join(self.dir, "control", "concurrencyremote")) as f:
                conc = f.read().strip() or "20"
        except OSError:
            conc = "20 (default)"
        return "concurrencyremote %s" % conc

    def flush(self):
        env = dict(os.environ, QMAILHOME=self.dir)
        run([os.path.join(self.dir, "bin", "qmail-tcpok")], env=env)
        self.ctl("flush")

    def _last_status(self):
        try:
            with open(os.path.join(self.dir, "log", "send", "current"), "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 8192))
                tail = f.read().decode(errors="replace")
        except OSError:
            return ""
        lines = [l for l in tail.splitlines() if " status: " in l]
        return lines[-1] if lines else ""

    def idle_deferred(self, n):
        """Every message adopted and no remote delivery in flight."""
        if count_files(os.path.join(self.dir, "queue", "todo")):
            return False
        return re.search(r"remote 0/\d+", self._last_status()) is not None


class RelayPostfix(Postfix):
    """The bench Postfix instance plus a transport map entry for relay.example."""

    def __init__(self, base, sink_port):
        super().__init__(base)
        self.sink_port = sink_port

    def postconf(self, *params):
        return run(["postconf", "-c", self.etc, "-h"] + list(params)).split()

    def setup(self):
        super().setup()
        tmap = os.path.join(self.etc, "transport")
        with open(tmap, "w") as f:
            f.write("%s smtp:[127.0.0.1]:%d\n" % (RELAY_DOMAIN, self.sink_port))
        run(["postconf", "-c", self.etc, "-e", "transport_maps = texthash:" + tmap])
        run(["postfix", "-c", self.etc, "reload"], timeout=60)
        time.sleep(2)          # master restarts qmgr and trivial-rewrite
        wait_port(self.port)

    def remote_settings(self):
        keys = ("default_destination_concurrency_limit", "initial_destination_concurrency",
                "default_process_limit", "smtp_connection_cache_on_demand")
        vals = self.postconf(*keys)
        short = ("destination_concurrency_limit", "initial_destination_concurrency",
                 "process_limit", "connection_cache_on_demand")
        return ", ".join("%s %s" % kv for kv in zip(short, vals))

    def flush(self):
        run(["postqueue", "-c", self.etc, "-f"])

    def idle_deferred(self, n):
        q = os.path.join(self.base, "queue")
        if any(count_files(os.path.join(q, d)) for d in ("incoming", "active", "maildrop")):
            return False
        return count_files(os.path.join(q, "deferred")) >= n


def make_systems(args, base):
    """[(system, sink)] for the systems args.systems names, each with a sink port."""
    names = getattr(args, "systems", "qmail-ng,Postfix").split(",")
    out = []
    if "qmail-ng" in names:
        port = free_port()
        out.append((RelayQmailNg(base, os.path.abspath(args.build), port), Sink(port)))
    if "Postfix" in names:
        port = free_port()
        out.append((RelayPostfix(base, port), Sink(port)))
    return out


def inject(system, n, size, timeout):
    """smtp-source at concurrency 20; returns a note ("" when it worked)."""
    try:
        subprocess.run([SMTP_SOURCE, "-s", str(INJECT_CONCURRENCY), "-m", str(n), "-l",
                        str(size), "-f", SENDER, "-t", RELAY_RCPT,
                        "127.0.0.1:%d" % system.port], capture_output=True, check=True,
                       timeout=timeout)
        return ""
    except subprocess.TimeoutExpired:
        return "smtp-source timed out after %ds" % timeout
    except subprocess.CalledProcessError as e:
        return "smtp-source failed: %s" % e.stderr.decode(errors="replace")[-200:]


def wait_stable(pred, timeout, step=1.0):
    """True once pred() holds at two polls in a row, step seconds apart."""
    deadline = time.monotonic() + timeout
    held = False
    while time.monotonic() < deadline:
        now = pred()
        if now and held:
            return True
        held = now
        time.sleep(step)
    return False


def with_system(system, sink, body, start_sink=True):
    """Sets the system up, runs body(), always tears down and stops the
    sink; returns body's result or {'note': error}."""
    try:
        if start_sink:
            sink.start()
        system.setup()
        load = cpu_busy()
        res = body()
        res["settings"] = system.remote_settings()
        res["load"] = load
        return res
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        return {"note": "%s: %s" % (type(e).__name__, str(e)[-300:])}
    finally:
        system.teardown()
        sink.stop()


# -- relay ---------------------------------------------------------------------

def relay_one(system, sink, args):
    n = args.messages
    sampler = RssSampler(system.owns)
    sampler.start()
    t0 = time.monotonic()
    res = {"rate": None, "accepted": None, "rss": None, "note": ""}
    res["note"] = inject(system, n, args.size, args.timeout)
    t_inj = time.monotonic()
    if not res["note"]:
        res["accepted"] = n / (t_inj - t0)
    # After a failed injection fewer than n may ever come: wait 30 s at most.
    deadline = min(t0 + args.timeout, t_inj + 30) if res["note"] else t0 + args.timeout
    if sink.wait_for(n, deadline):
        res["elapsed"] = time.monotonic() - t0
        res["rate"] = n / res["elapsed"]
        res["lag"] = res["elapsed"] - (t_inj - t0)
    elif not res["note"]:
        res["note"] = "sink got only %d/%d within %ds" % (sink.count, n, args.timeout)
    sampler.stop.set()
    sampler.join()
    res["rss"] = sampler.peak
    res["delivered"] = sink.count
    return res


def cpu_busy(secs=2.0):
    """The machine's CPU use (0..1) over secs while the system under test
    idles: other work on a shared machine, which skews every figure."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]          # total, idle + iowait
    t0, i0 = sample()
    time.sleep(secs)
    t1, i1 = sample()
    return 1 - (i1 - i0) / (t1 - t0) if t1 > t0 else 0.0


def load_note(results):
    """One line with the CPU use by other work just before each system's run."""
    vals = ["%s %.0f %%" % (k, r["load"] * 100) for k, r in results.items() if "load" in r]
    busy = any(r.get("load", 0) > 0.1 for r in results.values())
    return ["- CPU busy with other work just before each system's run: %s of %d CPUs%s" % (
        ", ".join(vals), os.cpu_count(), "; the machine was shared, so these figures are "
        "rough and vary from run to run" if busy else "")] if vals else []


def ms(seconds):
    return None if seconds is None else seconds * 1000


def relay_lines(results, args):
    q = results.get("qmail-ng", {})
    p = results.get("Postfix", {})
    mib = (lambda r: r["rss"] / 2**20 if r.get("rss") else None)
    rows = [("relayed msgs/s (injection start to last message at the sink)",
             q.get("rate"), p.get("rate")),
            ("accepted msgs/s (smtp-source wall time)", q.get("accepted"), p.get("accepted")),
            ("last message at the sink, after smtp-source ended (ms)", ms(q.get("lag")),
             ms(p.get("lag"))),
            ("peak RSS (MiB, sum)", mib(q), mib(p))]
    lines = ["| metric | qmail-ng | Postfix | qmail-ng/Postfix |", "|---|---|---|---|"]
    lines += ["| %s | %s | %s | %s |" % (m, fmt(a), fmt(b), "—" if "(ms)" in m else ratio(a, b))
              for m, a, b in rows]
    lines += ["", "Remote delivery settings used:", ""]
    lines += ["- %s: %s" % (name, r.get("settings", "?")) for name, r in results.items()]
    notes = ["- %s: %s" % (name, r["note"]) for name, r in results.items() if r.get("note")]
    return lines, notes + load_note(results)


def run_relay(args, base):
    results = {}
    for system, sink in make_systems(args, base):
        print("bench: relay %s, %d messages of %d bytes ..." % (system.name, args.messages,
                                                               args.size), flush=True)
        r = with_system(system, sink, lambda: relay_one(system, sink, args))
        results[system.name] = r
        print("  relayed %s/s accepted %s/s peak RSS %s MiB (%s) %s" % (
            fmt(r.get("rate")), fmt(r.get("accepted")),
            fmt(r["rss"] / 2**20 if r.get("rss") else None), r.get("settings", "?"),
            r.get("note", "")), flush=True)
    lines, notes = relay_lines(results, args)
    print("\n".join(lines + notes))
    body = ["`smtp-source -s %d -m %d -l %d -f %s -t %s` into each system; qmail-ng relays "
            "because control/rcpthosts lists %s and sends it with control/smtproutes "
            "`%s:127.0.0.1:PORT`; Postfix %s with a transport map "
            "`%s smtp:[127.0.0.1]:PORT` (default connection caching). Each system has its own "
            "`smtp-sink -c` on loopback; relayed msgs/s = messages / time from the start of "
            "injection until the sink's message counter reaches the total. Peak RSS = largest "
            "sampled sum (every 0.1 s) of the RSS of the system's processes (sink excluded)."
            % (INJECT_CONCURRENCY, args.messages, args.size, SENDER, RELAY_RCPT, RELAY_DOMAIN,
               RELAY_DOMAIN, postfix_version(), RELAY_DOMAIN), ""] + lines
    if notes:
        body += ["", "Notes:", ""] + notes
    results_md.update(args.results, "relay", "Relay: SMTP in, SMTP out to smtp-sink (issue 3)",
                      body)
    print("bench: wrote %s (relay)" % args.results)
    return 0


def postfix_version():
    p = subprocess.run(["postconf", "-d", "-h", "mail_version"], capture_output=True)
    return p.stdout.decode().strip() or "?"


# -- drain ---------------------------------------------------------------------

def drain_one(system, sink, n, args):
    res = {"note": "", "rate": None}
    t0 = time.monotonic()
    res["note"] = inject(system, n, args.size, args.timeout)
    res["inject_s"] = time.monotonic() - t0
    if res["note"]:
        return res
    t1 = time.monotonic()
    if not wait_stable(lambda: system.idle_deferred(n), args.timeout):
        res["note"] = "not all %d messages deferred within %ds" % (n, args.timeout)
        return res
    res["defer_s"] = time.monotonic() - t1
    sink.start()
    sampler = RssSampler(system.owns)
    sampler.start()
    res["before"] = sink.count
    start = time.monotonic()
    system.flush()
    ok = sink.wait_for(res["before"] + n, start + args.timeout)
    end = time.monotonic()
    sampler.stop.set()
    sampler.join()
    res.update(start=start, end=end, rss=sampler.peak, delivered=sink.count)
    if ok:
        res["elapsed"] = end - start
        res["rate"] = n / (end - start)
    else:
        res["note"] = "sink got only %d/%d within %ds of the flush" % (sink.count, n,
                                                                      args.timeout)
    with sink.lock:        # counts since the retry command
        res["curve"] = [(0.0, 0)] + [(t - start, c - res["before"]) for t, c in sink.events
                                     if t > start]
    return res


def count_at(curve, t):
    c = 0
    for when, n in curve:
        if when > t:
            break
        c = n
    return c


def time_to(curve, k):
    """Seconds after the flush when the count first reached k (or None)."""
    for when, n in curve:
        if n >= k:
            return max(when, 0.0)
    return None


def halves(curve, n):
    """(rate while the queue held 90..50 % of n, rate while it held 50..10 %)."""
    t10, t50, t90 = time_to(curve, n // 10), time_to(curve, n // 2), time_to(curve, n * 9 // 10)
    # Under 4 s the comparison would mostly measure the ramp-up.
    if None in (t10, t50, t90) or t50 <= t10 or t90 <= t50 or t90 - t10 < 4:
        return None, None
    return (n // 2 - n // 10) / (t50 - t10), (n * 9 // 10 - n // 2) / (t90 - t50)


def bucket_width(duration):
    """1-s buckets for a short drain, 2-s up to 60 rows, wider beyond."""
    if duration <= 30:
        return 1
    for w in (2, 5, 10, 20, 30, 60):
        if duration / w <= 60:
            return w
    return 120


def curve_lines(results, n):
    names = [k for k in results if results[k].get("curve")]
    dur = max([results[k].get("elapsed") or (results[k]["end"] - results[k]["start"])
               for k in names] or [0])
    w = bucket_width(dur)
    head = "| t (s) |" + "".join(" %s msgs/s | %s queued |" % (k, k) for k in names)
    lines = [head, "|---|" + "---|---|" * len(names)]
    t = 0.0
    while t < dur:
        row = "| %g–%g |" % (t, t + w)
        for k in names:
            cv = results[k]["curve"]
            c0, c1 = count_at(cv, t), count_at(cv, t + w)
            span = min(w, (results[k].get("elapsed") or dur) - t)
            row += " %s | %s |" % (("%.0f" % ((c1 - c0) / span), "%d" % max(n - c0, 0))
                                   if span > 0 else ("—", "—"))
        lines.append(row)
        t += w
    return lines, w


def trend_text(name, r, n, ref):
    """Whether the rate falls as the queue grows: within the big drain (while
    90-50 % of it was queued against 50-10 %) and against the small drain's
    overall rate.  A drop of over 20 % in only one of them is called
    inconclusive: on a shared machine a burst of other work does that."""
    big, small = halves(r.get("curve", []), n)
    if big is None:
        return "%s: the drain was too short to judge a trend." % name
    text = "%s: %.0f msgs/s while %d–%d messages were queued, %.0f msgs/s while %d–%d" % (
        name, big, n * 9 // 10, n // 2, small, n // 2, n // 10)
    drops = [big < 0.8 * small]
    if ref.get("rate") and r.get("rate"):
        text += "; %.0f msgs/s overall with %d queued against %.0f with %d" % (
            r["rate"], n, ref["rate"], ref["n"])
        drops.append(r["rate"] < 0.8 * ref["rate"])
    if all(drops):
        return text + ": the rate falls as the queue grows."
    if any(drops):
        return text + ": inconclusive (only one comparison shows a drop over 20 %)."
    return text + ": the rate does not fall as the queue grows."


def drain_lines(results, n, refs):
    q = results.get("qmail-ng", {})
    p = results.get("Postfix", {})
    qr, pr = refs.get("qmail-ng", {}), refs.get("Postfix", {})
    rows = [("time to drain (s)", q.get("elapsed"), p.get("elapsed")),
            ("drain msgs/s", q.get("rate"), p.get("rate")),
            ("drain msgs/s, %s queued" % (qr.get("n") or pr.get("n")), qr.get("rate"),
             pr.get("rate")) if refs else None,
            ("peak RSS while draining (MiB, sum)", q.get("rss") and q["rss"] / 2**20,
             p.get("rss") and p["rss"] / 2**20),
            ("injection while down (s)", q.get("inject_s"), p.get("inject_s")),
            ("then until all deferred and idle (s)", q.get("defer_s"), p.get("defer_s"))]
    lines = ["| metric | qmail-ng | Postfix | qmail-ng/Postfix |", "|---|---|---|---|"]
    for m, a, b in filter(None, rows):
        rt = ratio(b, a) if "(s)" in m else ratio(a, b)
        lines.append("| %s | %s | %s | %s |" % (m, fmt(a), fmt(b), rt))
    lines += ["", "(For times the ratio is Postfix/qmail-ng, so > 1 means qmail-ng is "
              "faster.)", ""]
    lines += ["- " + trend_text(k, r, n, refs.get(k, {})) for k, r in results.items()
              if r.get("curve")]
    lines += ["", "Remote delivery settings used:", ""]
    lines += ["- %s: %s" % (k, r.get("settings", "?")) for k, r in results.items()]
    curve, w = curve_lines(results, n)
    lines += ["", "Delivery rate in %d-s buckets after the retry command (queued = messages "
              "not yet at the sink at the start of the bucket):" % w, ""] + curve
    notes = ["- %s, %d queued: %s" % (k, r["n"], r["note"])
             for res in (refs, results) for k, r in res.items() if r.get("note")]
    notes += ["- %s, %d queued: %d message(s) reached the sink before the retry command" % (
        k, r["n"], r["before"]) for res in (refs, results) for k, r in res.items()
        if r.get("before")]
    return lines, notes + load_note(results)


def run_drain(args, base):
    n = int(os.environ.get("BENCH_DRAIN_MESSAGES", 20000))
    small = int(os.environ.get("BENCH_DRAIN_SMALL", 2000))
    results, refs = {}, {}
    for size in ([small] if 0 < small < n else []) + [n]:
        sub = os.path.join(base, "q%d" % size)
        os.makedirs(sub, mode=0o755)
        for system, sink in make_systems(args, sub):
            print("bench: drain %s, %d messages queued while the sink is down ..." % (
                system.name, size), flush=True)
            r = with_system(system, sink, lambda: drain_one(system, sink, size, args),
                            start_sink=False)
            r["n"] = size
            (results if size == n else refs)[system.name] = r
            print("  injected in %s s, all deferred %s s later, drained in %s s: %s msgs/s "
                  "%s" % (fmt(r.get("inject_s")), fmt(r.get("defer_s")),
                          fmt(r.get("elapsed")), fmt(r.get("rate")), r.get("note", "")),
                  flush=True)
    lines, notes = drain_lines(results, n, refs)
    print("\n".join(lines + notes))
    body = ["%d messages of %d bytes (`smtp-source -s %d`, for %s) are queued while nothing "
            "listens on the route's port, so every attempt fails with connection refused. "
            "When the system is idle (qmail-ng: todo/ empty, no remote delivery in flight; "
            "Postfix: all in deferred/), `smtp-sink -c` starts and the system is told to "
            "retry now: qmail-ng `qmail-tcpok` (forget the connection failures) then "
            "`qmailctl flush` (SIGALRM to qmail-send); Postfix %s `postqueue -f`. Time to "
            "drain = from that command until the sink has counted every message.%s"
            % (n, args.size, INJECT_CONCURRENCY, RELAY_RCPT, postfix_version(),
               " The same with %d messages first, on fresh instances, for comparison." % small
               if refs else ""), ""] + lines
    if notes:
        body += ["", "Notes:", ""] + notes
    results_md.update(args.results, "drain", "Drain: a deferred queue meets a returning "
                      "destination (issue 3)", body)
    print("bench: wrote %s (drain)" % args.results)
    return 0
