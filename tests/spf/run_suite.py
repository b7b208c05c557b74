#!/usr/bin/python3
"""Drives the RFC 7208 test suite (python3-spf's rfc7208-tests.yml) through
qmail-spfquery and a fake DNS server (python3-dnslib) on a loopback port that
serves each scenario's zonedata.  Prints one line per failing case and a last
line "spf-suite: P passed, F failed of N".

  run_suite.py BINDIR [YAML] [-v] [-k NAME]

Zone rules follow the suite's own driver (testspf.py): a name's SPF records
are copied to TXT unless it has TXT records; "TIMEOUT" makes the query fail
(we answer SERVFAIL, which is a temperror just the same); unknown names are
NXDOMAIN, names under "error." fail."""

import gzip
import os
import socket
import subprocess
import sys

import yaml
from dnslib import AAAA, CNAME, MX, PTR, QTYPE, RCODE, RR, TXT, A, DNSLabel
from dnslib.server import BaseResolver, DNSLogger, DNSServer

SUITE = "/usr/share/doc/python3-spf/rfc7208-tests.yml.gz"


def txt_strings(v):
    if isinstance(v, str):
        v = [v]
    return [s.encode("utf-8") if isinstance(s, str) else s for s in v]


def key(name):
    """A name as the server sees it in a query: dnslib's text form, which
    escapes spaces and the like (\\032), lower-cased, no trailing dot."""
    return str(DNSLabel(name.rstrip("."))).rstrip(".").lower()


def load_zone(zonedata):
    zone = {}
    for name, recs in (zonedata or {}).items():
        out, gen, has_txt = [], [], False
        for r in recs:
            if r == "TIMEOUT":
                out.append(("TIMEOUT", None))
                continue
            for t, v in r.items():
                if t == "TXT":
                    has_txt = True
                if t in ("TXT", "SPF"):
                    if v == "NONE" or v == []:
                        continue
                    v = txt_strings(v)
                    if t == "SPF":
                        gen.append(("TXT", v))
                out.append((t, v))
        if not has_txt:
            out.extend(gen)
        zone[key(name)] = out
    return zone


class Resolver(BaseResolver):
    def __init__(self):
        self.zone = {}

    def rdata(self, t, v):
        if t == "A":
            return A(v)
        if t == "AAAA":
            return AAAA(v)
        if t == "MX":
            return MX(v[1] + "." if not v[1].endswith(".") else v[1], v[0])
        if t == "PTR":
            return PTR(v + ".")
        if t == "CNAME":
            return CNAME(v + ".")
        return TXT(v)

    def answer(self, reply, name, qtype, depth):
        recs = self.zone[name]
        for t, v in recs:
            if t == "TIMEOUT" or (v == "TIMEOUT" and t == qtype):
                if not any(tt == qtype and vv != "TIMEOUT" for tt, vv in recs):
                    return False
        for t, v in recs:
            if t == "CNAME" and qtype != "CNAME" and depth < 8:
                reply.add_answer(RR(name + ".", QTYPE.CNAME, rdata=self.rdata(t, v), ttl=60))
                target = key(v)
                if target in self.zone:
                    return self.answer(reply, target, qtype, depth + 1)
                return True
            if t == qtype and v != "TIMEOUT":
                reply.add_answer(RR(name + ".", getattr(QTYPE, t), rdata=self.rdata(t, v),
                                    ttl=60))
        return True

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        if name not in self.zone:
            reply.header.rcode = RCODE.SERVFAIL if name.startswith("error.") else RCODE.NXDOMAIN
            return reply
        try:
            if not self.answer(reply, name, qtype, 0):
                reply = request.reply()
                reply.header.rcode = RCODE.SERVFAIL
        except Exception:
            reply = request.reply()
            reply.header.rcode = RCODE.SERVFAIL
        return reply


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(bindir, path, verbose=False, only=None):
    resolver = Resolver()
    port = free_port()
    server = DNSServer(resolver, port=port, address="127.0.0.1",
                       logger=DNSLogger(logf=lambda s: None))
    server.start_thread()
    passed = failed = 0
    try:
        with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
            docs = list(yaml.safe_load_all(f))
        for doc in docs:
            resolver.zone = load_zone(doc.get("zonedata"))
            for name, t in sorted(doc["tests"].items()):
                if only and name != only:
                    continue
                want = t["result"] if isinstance(t["result"], list) else [t["result"]]
                argv = [os.path.join(bindir, "qmail-spfquery"), "-s", "127.0.0.1@%d" % port,
                        t["host"], t["mailfrom"], t["helo"]]
                try:
                    p = subprocess.run(argv, capture_output=True, timeout=30)
                    lines = p.stdout.decode(errors="replace").split("\n")
                    got, exp = lines[0], lines[1] if len(lines) > 1 else ""
                except subprocess.TimeoutExpired:
                    got, exp = "timeout", ""
                ok = got in want
                if ok and t.get("explanation") is not None and got == "fail":
                    ok = exp == t["explanation"] or (exp == "" and t["explanation"] == "DEFAULT")
                if ok:
                    passed += 1
                else:
                    failed += 1
                    print("FAIL %s: want %s got %s exp=%r want-exp=%r" % (
                        name, "/".join(want), got, exp, t.get("explanation")))
    finally:
        server.stop()
    print("spf-suite: %d passed, %d failed of %d" % (passed, failed, passed + failed))
    return passed, failed


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    only = None
    if "-k" in sys.argv:
        only = sys.argv[sys.argv.index("-k") + 1]
        args.remove(only)
    bindir = args[0] if args else "build/bin"
    path = args[1] if len(args) > 1 else SUITE
    p, f = run(bindir, path, "-v" in sys.argv, only)
    sys.exit(0 if f == 0 else 1)
