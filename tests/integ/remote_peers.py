"""Real loopback peers for the remote-delivery tests: a scripted SMTP server
(python3-aiosmtpd, with STARTTLS and AUTH) and a DNS server (python3-dnslib)
on a high port.  Both run in threads of the test process and stop at the end
of their fixture."""

import os
import socket
import ssl
import subprocess
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from dnslib import AAAA, A, CNAME, MX, QTYPE, RCODE, RR
from dnslib.server import BaseResolver, DNSLogger, DNSServer

import qng


# -- DNS -------------------------------------------------------------------
class ZoneResolver(BaseResolver):
    """zone: {name: [("MX", (pref, host)) | ("A", ip) | ("AAAA", ip) |
    ("CNAME", target)]}; names in servfail answer SERVFAIL; others NXDOMAIN."""

    def __init__(self):
        self.zone = {}
        self.servfail = set()
        self.queries = []

    def resolve(self, request, handler):
        reply = request.reply()
        qname = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        self.queries.append((qname, qtype))
        if qname in self.servfail:
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        name = qname
        for _ in range(8):
            recs = self.zone.get(name)
            if recs is None:
                break
            cn = [v for t, v in recs if t == "CNAME"]
            if cn and qtype != "CNAME":
                reply.add_answer(RR(name + ".", QTYPE.CNAME, rdata=CNAME(cn[0] + "."), ttl=60))
                name = cn[0]
                continue
            for t, v in recs:
                if t != qtype:
                    continue
                if t == "MX":
                    rd = MX(v[1] + "." if v[1] != "." else ".", v[0])
                elif t == "A":
                    rd = A(v)
                else:
                    rd = AAAA(v)
                reply.add_answer(RR(name + ".", QTYPE.reverse[t], rdata=rd, ttl=60))
            return reply
        if name not in self.zone:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class FakeDNS:
    def __init__(self):
        self.resolver = ZoneResolver()
        self.port = _free_udp_port()
        self.server = DNSServer(self.resolver, port=self.port, address="127.0.0.1",
                                logger=DNSLogger(logf=lambda s: None))

    def start(self):
        self.server.start_thread()
        return self

    def stop(self):
        self.server.stop()

    def add(self, name, rtype, value):
        self.resolver.zone.setdefault(name.lower(), []).append((rtype, value))

    def servers_line(self):
        return "127.0.0.1@%d" % self.port


def _free_udp_port():
    return qng.free_port("127.0.0.1", socket.SOCK_DGRAM)


def free_tcp_port(host="127.0.0.1"):
    """A port from this xdist worker's own range (qng.free_port)."""
    return qng.free_port(host)


# -- certificates ------------------------------------------------------------
def make_cert(directory, cn):
    """A self-signed certificate for cn (also its SAN); returns (cert, key)."""
    cert = os.path.join(directory, cn + ".crt")
    key = os.path.join(directory, cn + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + cn,
                    "-addext", "subjectAltName=DNS:" + cn],
                   check=True, capture_output=True, timeout=60)
    return cert, key


# -- SMTP --------------------------------------------------------------------
class Script:
    """What the peer answers.  rcpt: {address: "550 5.1.1 no such user"};
    data_reply: a reply to the end of data instead of 250; mail_reply;
    delay: seconds before answering the end of data."""

    def __init__(self):
        self.rcpt = {}
        self.data_reply = None
        self.mail_reply = None
        self.delay = 0.0


class Handler:
    def __init__(self, peer):
        self.peer = peer

    async def handle_MAIL(self, server, session, envelope, address, options):
        s = self.peer.script
        if s.mail_reply:
            return s.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 ok"

    async def handle_RCPT(self, server, session, envelope, address, options):
        r = self.peer.script.rcpt.get(address)
        if r:
            return r
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 ok"

    async def handle_DATA(self, server, session, envelope):
        s = self.peer.script
        if s.delay:
            time.sleep(s.delay)
        if s.data_reply:
            return s.data_reply
        self.peer.messages.append({
            "from": envelope.mail_from, "to": list(envelope.rcpt_tos),
            "data": envelope.original_content, "tls": session.ssl is not None,
            "auth": bool(session.authenticated),
            "options": list(envelope.mail_options), "helo": session.host_name,
            "client": session.peer,
        })
        return "250 2.0.0 queued as qngpeer"


class Peer:
    """A scripted SMTP server on host:port.  tls=(cert, key) enables
    STARTTLS (or implicit TLS with smtps=True); users={user: password}
    enables AUTH (PLAIN, LOGIN, CRAM-MD5 is not offered by aiosmtpd)."""

    def __init__(self, host="127.0.0.1", port=None, tls=None, smtps=False, users=None,
                 auth_plaintext=False):
        self.host = host
        self.port = port or free_tcp_port(host)
        self.script = Script()
        self.messages = []
        self.auth_seen = []
        self.tls = tls
        self.smtps = smtps
        self.users = users
        self.auth_plaintext = auth_plaintext
        self.controller = None

    def _authenticator(self, server, session, envelope, mechanism, auth_data):
        ok = self.users and self.users.get(auth_data.login.decode()) == auth_data.password.decode()
        self.auth_seen.append((mechanism, auth_data.login.decode(), ok))
        return AuthResult(success=bool(ok), handled=False)

    def _context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self.tls)
        return ctx

    def start(self):
        kw = {}
        if self.tls and not self.smtps:
            kw["tls_context"] = self._context()
            kw["require_starttls"] = False
        if self.tls and self.smtps:
            kw["ssl_context"] = self._context()
        if self.users is not None:
            kw["authenticator"] = self._authenticator
            kw["auth_require_tls"] = not self.auth_plaintext
        self.controller = Controller(Handler(self), hostname=self.host, port=self.port,
                                     server_hostname="peer.test", ready_timeout=10, **kw)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def wait_messages(self, n=1, timeout=30):
        deadline = time.monotonic() + timeout
        while len(self.messages) < n:
            if time.monotonic() > deadline:
                raise AssertionError("peer got %d messages, wanted %d" % (len(self.messages), n))
            time.sleep(0.1)
        return self.messages


@pytest.fixture
def fake_dns():
    d = FakeDNS().start()
    yield d
    d.stop()


@pytest.fixture
def peers():
    made = []

    def factory(**kw):
        p = Peer(**kw).start()
        made.append(p)
        return p
    yield factory
    for p in made:
        p.stop()


class RawPeer:
    """A hand-driven SMTP peer for hostile behaviour: answers each command
    with replies[command-word] (raw bytes, sent as they are), records every
    line it reads."""

    def __init__(self, host="127.0.0.1", replies=None, greeting=b"220 raw.test ESMTP\r\n"):
        self.host = host
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.replies = replies or {}
        self.greeting = greeting
        self.lines = []
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _serve(self):
        self.sock.settimeout(30)
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            conn.sendall(self.greeting)
            f = conn.makefile("rb")
            in_data = False
            for line in f:
                self.lines.append(line)
                if in_data:
                    if line == b".\r\n":
                        in_data = False
                        conn.sendall(self.replies.get("DOT", b"250 ok\r\n"))
                    continue
                word = line.split(b" ")[0].split(b":")[0].strip().upper().decode(errors="replace")
                default = {"EHLO": b"250 raw.test\r\n", "DATA": b"354 go\r\n",
                           "QUIT": b"221 bye\r\n"}.get(word, b"250 ok\r\n")
                r = self.replies.get(word, default)
                if r is None:
                    return
                conn.sendall(r)
                if word == "DATA" and r.startswith(b"354"):
                    in_data = True
                if word == "QUIT":
                    return

    def stop(self):
        self.sock.close()
