"""bench/RESULTS.md as independent sections, one per benchmark run.

Each run rewrites only its own section (between `<!-- bench:KEY -->` and
`<!-- /bench:KEY -->`), so `BENCH_RUNS=relay make bench` refreshes the relay
figures and keeps the others.  Every section starts with the date and the
machine it was measured on.
"""

import datetime
import os
import platform
import re
import subprocess

HEADER = """# qmail-ng benchmark results

Written by `make bench` (bench/run.sh). Each section is rewritten by the run
that measures it (`BENCH_RUNS` picks runs: smtp, relay, drain, pop3, policy;
default all), and says when and on which machine it was measured. All runs put
qmail-ng and the reference server side by side in the same run.
"""


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


def stamp():
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    m = machine()
    return "Measured %s on: %s." % (now, "; ".join("%s %s" % kv for kv in m.items()))


def fmt(x, unit=""):
    return "—" if x is None else ("%.1f%s" % (x, unit))


def ratio(a, b):
    return "—" if not a or not b else "%.2f" % (a / b)


def update(path, key, title, body):
    """Replaces (or appends) section KEY of the results file at PATH with
    a heading TITLE, the date/machine line and BODY (a list of lines)."""
    text = open(path).read() if os.path.exists(path) else ""
    if "<!-- bench:" not in text:
        text = HEADER          # an old single-table file: start over
    block = "\n".join(["<!-- bench:%s -->" % key, "## " + title, "", stamp(), ""] + body +
                      ["<!-- /bench:%s -->" % key])
    pat = re.compile(r"<!-- bench:%s -->.*?<!-- /bench:%s -->" % (re.escape(key), re.escape(key)),
                     re.S)
    if pat.search(text):
        text = pat.sub(lambda m: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(path, "w") as f:
        f.write(text.rstrip("\n") + "\n")
