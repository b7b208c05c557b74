"""A loopback DNS server (python3-dnslib) for the anti-abuse tests: A, AAAA,
MX and TXT records, names that answer SERVFAIL, NXDOMAIN for the rest.
Records have TTL 1 unless set_ttl gave their name another; NXDOMAIN has no
SOA unless nxdomain_soa named a zone (then names under it get the zone's
SOA in the authority section, its TTL and minimum the negative TTL)."""

import socket

import pytest
from dnslib import AAAA, MX, QTYPE, RCODE, RR, SOA, TXT, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer

import qng


class Resolver(BaseResolver):
    def __init__(self):
        self.zone = {}
        self.servfail = set()
        self.ttl = {}       # name: TTL of its records (default 1)
        self.soa = {}       # zone: negative TTL of NXDOMAIN below it
        self.queries = []   # (name, type, query id, client port)

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        self.queries.append((name, qtype, request.header.id, handler.client_address[1]))
        if name in self.servfail:
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        if name not in self.zone:
            reply.header.rcode = RCODE.NXDOMAIN
            for zone, ttl in self.soa.items():
                if name == zone or name.endswith("." + zone):
                    soa = SOA("ns." + zone + ".", "hostmaster." + zone + ".",
                              (1, 3600, 600, 86400, ttl))
                    reply.add_auth(RR(zone + ".", QTYPE.SOA, rdata=soa, ttl=ttl))
            return reply
        for t, v in self.zone[name]:
            if t != qtype:
                continue
            rd = {"A": A, "AAAA": AAAA, "TXT": lambda x: TXT(x)}.get(t)
            rd = MX(v[1] + ".", v[0]) if t == "MX" else rd(v)
            reply.add_answer(RR(name + ".", getattr(QTYPE, t), rdata=rd,
                                ttl=self.ttl.get(name, 1)))
        return reply


class AbuseDNS:
    def __init__(self):
        self.resolver = Resolver()
        self.port = qng.free_port("127.0.0.1", socket.SOCK_DGRAM)
        self.server = DNSServer(self.resolver, port=self.port, address="127.0.0.1",
                                logger=DNSLogger(logf=lambda s: None))

    def add(self, name, rtype, value):
        self.resolver.zone.setdefault(name.lower(), []).append((rtype, value))

    def set_ttl(self, name, ttl):
        self.resolver.ttl[name.lower()] = ttl

    def nxdomain_soa(self, zone, ttl):
        self.resolver.soa[zone.lower()] = ttl

    def asked(self, name, qtype):
        return sum(1 for n, t, _, _ in self.resolver.queries if n == name and t == qtype)

    def servfail(self, name):
        self.resolver.servfail.add(name.lower())

    def servers_line(self):
        return "127.0.0.1@%d" % self.port


@pytest.fixture
def abuse_dns():
    d = AbuseDNS()
    d.server.start_thread()
    yield d
    d.server.stop()
