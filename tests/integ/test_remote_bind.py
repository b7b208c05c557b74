"""control/bindroutes and bindroutes6: the local address qmail-remote sends
from, per remote address (exact, prefix), recipient domain and default,
before control/outgoingip.  The loopback peers see the source address
(all of 127.0.0.0/8 is local); ::1 when the machine has IPv6.  An address
that cannot be bound, or a malformed file, defers: nothing is sent from
another address and nothing bounces."""

import os
import shutil
import smtplib
import socket
import subprocess
import tempfile

import pytest

import qng
from remote_peers import Peer, peers  # noqa: F401

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(REPO, os.environ.get("QNG_BUILD", "build"), "bin")
MSG = b"From: a@src.example\nTo: x@one.example\nSubject: bind\n\nbody\n"
UNBINDABLE = "192.0.2.1"     # TEST-NET-1: never a local address


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


needs_v6 = pytest.mark.skipif(not has_ipv6_loopback(), reason="no ::1 on this machine")


class Home:
    """A bare QMAILHOME for running qmail-remote by hand."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="qng-bind-")
        os.makedirs(self.dir + "/control")
        os.makedirs(self.dir + "/queue/lock")
        self.control("me", "me.example")
        self.control("timeoutconnect", "5")
        self.control("timeoutremote", "10")

    def control(self, name, text):
        with open(os.path.join(self.dir, "control", name), "w") as f:
            f.write(text + "\n")

    def routes(self, peer, *domains):
        host = "[%s]" % peer.host if ":" in peer.host else peer.host
        self.control("smtproutes", "\n".join("%s:%s:%d" % (d, host, peer.port) for d in domains))

    def run(self, domain, rcpt=None):
        rcpt = rcpt or "x@" + domain
        p = subprocess.run([os.path.join(BIN, "qmail-remote"), domain, "a@src.example", rcpt],
                           input=MSG, capture_output=True, timeout=60,
                           env={"QMAILHOME": self.dir})
        assert p.returncode == 0, p.stderr
        recs = [r.decode() for r in p.stdout.split(b"\0")[:-1]]
        assert recs, p.stdout
        return recs


@pytest.fixture
def home():
    h = Home()
    yield h
    shutil.rmtree(h.dir, ignore_errors=True)


def sent_from(home, peer, domain, n):
    """Delivers to domain; the source address the peer saw, and the report."""
    recs = home.run(domain)
    assert recs[-1].startswith("K"), recs
    peer.wait_messages(n)
    return peer.messages[n - 1]["client"][0], recs[-1]


def test_domains_leave_from_their_addresses(home, peers):  # noqa: F811
    p = peers()
    home.routes(p, "one.example", "two.example", "sub.three.example")
    home.control("bindroutes", "one.example:127.0.0.2\ntwo.example:127.0.0.3\n"
                 ".three.example:127.0.0.4")
    src, rep = sent_from(home, p, "one.example", 1)
    assert src == "127.0.0.2" and "(local 127.0.0.2)" in rep, rep
    src, rep = sent_from(home, p, "two.example", 2)
    assert src == "127.0.0.3" and "(local 127.0.0.3)" in rep, rep
    src, _ = sent_from(home, p, "sub.three.example", 3)
    assert src == "127.0.0.4"


def test_lookup_order(home, peers):  # noqa: F811
    """Exact remote address, then d.d.d., d.d., d., then domain, then the
    empty key, then outgoingip, then the kernel's choice."""
    p = peers()   # listens on 127.0.0.1
    home.routes(p, "one.example", "two.example")
    home.control("outgoingip", "127.0.0.9")
    steps = [
        ("127.0.0.1:127.0.0.11\n127.0.0.:127.0.0.12\n127.0.:127.0.0.13\n127.:127.0.0.14\n"
         "one.example:127.0.0.15\n:127.0.0.16", "127.0.0.11"),
        ("127.0.0.:127.0.0.12\n127.0.:127.0.0.13\n127.:127.0.0.14\none.example:127.0.0.15\n"
         ":127.0.0.16", "127.0.0.12"),
        ("127.0.:127.0.0.13\n127.:127.0.0.14\none.example:127.0.0.15\n:127.0.0.16", "127.0.0.13"),
        ("127.:127.0.0.14\none.example:127.0.0.15\n:127.0.0.16", "127.0.0.14"),
        ("10.:127.0.0.20\none.example:127.0.0.15\n:127.0.0.16", "127.0.0.15"),
        ("10.:127.0.0.20\ntwo.example:127.0.0.15\n:127.0.0.16", "127.0.0.16"),
        ("10.:127.0.0.20\ntwo.example:127.0.0.15", "127.0.0.9"),
    ]
    for n, (text, want) in enumerate(steps, 1):
        home.control("bindroutes", text)
        src, rep = sent_from(home, p, "one.example", n)
        assert src == want and "(local %s)" % want in rep, (text, rep)
    os.unlink(os.path.join(home.dir, "control", "outgoingip"))
    src, rep = sent_from(home, p, "one.example", len(steps) + 1)
    assert src == "127.0.0.1" and "(local 127.0.0.1)" in rep, rep


def test_unbindable_address_tries_next_host_then_defers(home, peers):  # noqa: F811
    p = peers()
    home.routes(p, "one.example")
    home.control("bindroutes", "one.example:%s\n:127.0.0.2" % UNBINDABLE)
    recs = home.run("one.example")
    assert recs[-1].startswith("Z") and "(#4.4.1)" in recs[-1], recs
    assert "Cannot bind to outgoing address %s (control/bindroutes)" % UNBINDABLE in recs[-1]
    assert not any(r.startswith(("h", "D")) for r in recs)
    assert not p.messages


def test_failed_bind_does_not_back_off_the_host(home, peers):  # noqa: F811
    """A bind that fails is our configuration, not the peer's: two of them
    in a row must not put the peer's address in backoff for other routes."""
    p = peers()
    home.routes(p, "bad.example", "good.example")
    home.control("bindroutes", "bad.example:%s" % UNBINDABLE)
    for _ in range(3):
        recs = home.run("bad.example")
        assert "Cannot bind to outgoing address" in recs[-1], recs
    recs = home.run("good.example")
    assert recs[-1].startswith("K"), recs
    assert len(p.messages) == 1


@pytest.mark.parametrize("text", [
    "one.example:127.0.0.2\none.example 127.0.0.3",
    "one.example:127.0.0",
    "127.0.0.300:127.0.0.2",
    "one.example|127.0.0.2",
])
def test_malformed_file_defers_instead_of_default(home, peers, text):  # noqa: F811
    """A bad line anywhere defers every delivery: sending from the default
    address instead could break SPF."""
    p = peers()
    home.routes(p, "one.example")
    home.control("bindroutes", text)
    recs = home.run("one.example")
    assert len(recs) == 1 and recs[0].startswith("Z"), recs
    assert "control/bindroutes:" in recs[0] and "(#4.3.0)" in recs[0], recs
    assert not p.messages


@needs_v6
def test_ipv6_bindroutes6(home, peers):  # noqa: F811
    p = peers(host="::1", port=qng.free_port("::1"))
    home.routes(p, "six.example", "bad6.example", "prefix.example")
    # v4 bindroutes never apply to an IPv6 peer.
    home.control("bindroutes", ":%s" % UNBINDABLE)
    home.control("bindroutes6", "six.example|::1\nbad6.example|2001:db8::1")
    src, rep = sent_from(home, p, "six.example", 1)
    assert src == "::1" and "(local ::1)" in rep, rep
    recs = home.run("bad6.example")
    assert recs[-1].startswith("Z"), recs
    assert "Cannot bind to outgoing address 2001:db8::1 (control/bindroutes6)" in recs[-1]
    # Prefix keys are groups of the full form: ::1 starts with 0:0:0:0:0:0:0:.
    home.control("bindroutes6", "0:0:0:0:0:0:0:|2001:db8::2\n|::1")
    recs = home.run("prefix.example")
    assert "Cannot bind to outgoing address 2001:db8::2" in recs[-1], recs
    home.control("bindroutes6", "0:0:0:0:0:0:1:|2001:db8::2\n0000:|::1")
    src, _ = sent_from(home, p, "prefix.example", 2)
    assert src == "::1"
    home.control("bindroutes6", "six.example:::1")
    recs = home.run("six.example")
    assert recs[-1].startswith("Z") and "control/bindroutes6:" in recs[-1], recs
    assert len(p.messages) == 2


# -- through a running instance ---------------------------------------------
def send(inst, to, tid):
    body = "From: alice@example.test\r\nTo: %s\r\nSubject: bind %s\r\n\r\nbody %s\r\n" % (
        to, tid, tid)
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("alice@example.test", [to], body)


@pytest.mark.timeout_s(150)
def test_instance_sends_from_route_addresses(fresh, peers):  # noqa: F811
    p = peers()
    q = peers(host="127.0.0.9")
    fresh.write_control("smtproutes", "one.example:127.0.0.1:%d\ntwo.example:127.0.0.1:%d\n"
                        "bad.example:127.0.0.9:%d" % (p.port, p.port, q.port))
    fresh.write_control("bindroutes", "one.example:127.0.0.2\ntwo.example:127.0.0.3\n"
                        "bad.example:%s" % UNBINDABLE)
    tid = qng.test_id()
    for dom in ("one", "two", "bad"):
        send(fresh, "bob@%s.example" % dom, tid)
    msgs = p.wait_messages(2, timeout=60)
    by_rcpt = {m["to"][0]: m["client"][0] for m in msgs}
    assert by_rcpt == {"bob@one.example": "127.0.0.2", "bob@two.example": "127.0.0.3"}, by_rcpt
    qng.wait_until(lambda: "(local 127.0.0.2)" in fresh.log_text()
                   and "(local 127.0.0.3)" in fresh.log_text(), 30, what="local addresses logged")
    qng.wait_until(lambda: "Cannot bind to outgoing address %s" % UNBINDABLE in fresh.log_text(),
                   60, what="the deferral")
    assert not q.messages
    assert fresh.queue_files_with(tid), "the deferred message left the queue"
    qng.assert_no_mail(fresh.maildir(), tid)
    # Fixed configuration: the next try delivers from the new address.
    fresh.write_control("bindroutes", "bad.example:127.0.0.4")
    fresh.ctl("flush")
    m = q.wait_messages(1, timeout=60)[0]
    assert m["client"][0] == "127.0.0.4" and tid.encode() in m["data"]
