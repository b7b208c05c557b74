"""qmail-remote run by hand against real loopback peers (aiosmtpd, dnslib,
raw sockets): routing, MX order, DNS failures, per-recipient results, TLS
policy, AUTH, hostile replies, outbound encoding, backoff."""

import os
import shutil
import subprocess
import tempfile

import pytest

import qng
from remote_peers import Peer, RawPeer, fake_dns, make_cert, peers  # noqa: F401

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(REPO, os.environ.get("QNG_BUILD", "build"), "bin")
MSG = b"From: a@src.example\nTo: x@dest.example\nSubject: t\n\n.leading dot\nline\n..two\n"
WIRE = b"From: a@src.example\r\nTo: x@dest.example\r\nSubject: t\r\n\r\n.leading dot\r\nline\r\n..two\r\n"


def can_bind_25():
    return os.geteuid() == 0


needs25 = pytest.mark.skipif(not can_bind_25(), reason="MX delivery uses port 25: needs root")


class Home:
    def __init__(self, dns=None):
        self.dir = tempfile.mkdtemp(prefix="qng-remote-")
        os.makedirs(self.dir + "/control/tlshosts")
        os.makedirs(self.dir + "/control/notlshosts")
        os.makedirs(self.dir + "/queue/lock")
        self.control("me", "me.example")
        self.control("timeoutconnect", "5")
        self.control("timeoutremote", "10")
        if dns:
            self.control("dnsservers", dns.servers_line())

    def control(self, name, text):
        with open(os.path.join(self.dir, "control", name), "w") as f:
            f.write(text + "\n")

    def run(self, domain, rcpts, msg=MSG, sender="a@src.example", prog="qmail-remote"):
        p = subprocess.run([os.path.join(BIN, prog), domain, sender] + list(rcpts), input=msg,
                           capture_output=True, timeout=90, env={"QMAILHOME": self.dir})
        assert p.returncode == 0, p.stderr
        recs = p.stdout.split(b"\0")
        assert recs[-1] == b""
        recs = [r.decode() for r in recs[:-1]]
        for r in recs:
            assert "\r" not in r and "\n" not in r
        return recs

    def tool(self, prog):
        return subprocess.run([os.path.join(BIN, prog)], capture_output=True, timeout=30,
                              env={"QMAILHOME": self.dir})


@pytest.fixture
def home(fake_dns):  # noqa: F811
    h = Home(fake_dns)
    yield h
    shutil.rmtree(h.dir, ignore_errors=True)


def route_to(home, peer, domain="dest.example", extra=""):
    home.control("smtproutes", "%s:%s:%d%s" % (domain, peer.host, peer.port, extra))


def test_route_delivery_bytes(home, peers):  # noqa: F811
    p = peers()
    route_to(home, p)
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[0] == "r" and recs[1].startswith("K"), recs
    m = p.wait_messages()[0]
    assert m["data"] == WIRE and m["from"] == "a@src.example" and m["to"] == ["x@dest.example"]
    assert m["helo"] == "me.example"


def test_per_recipient_results(home, peers):  # noqa: F811
    p = peers()
    p.script.rcpt = {"bad@dest.example": "550 5.1.1 no such user", "later@dest.example": "451 4.2.0 busy"}
    route_to(home, p)
    recs = home.run("dest.example", ["x@dest.example", "bad@dest.example", "later@dest.example"])
    assert recs[0] == "r"
    assert recs[1].startswith("h") and "550 5.1.1 no such user" in recs[1]
    assert recs[2].startswith("s") and "451 4.2.0" in recs[2]
    assert recs[3].startswith("K")


@pytest.mark.parametrize("reply,tag", [("554 5.6.0 rejected", "D"), ("451 4.3.0 try later", "Z")])
def test_data_failure(home, peers, reply, tag):  # noqa: F811
    p = peers()
    p.script.data_reply = reply
    route_to(home, p)
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[0][0] == {"D": "h", "Z": "s"}[tag] and recs[-1][0] == tag
    assert reply in recs[-1]


@needs25
def test_mx_order_and_fallback(home, fake_dns, peers):  # noqa: F811
    a = peers(host="127.0.0.3", port=25)
    b = peers(host="127.0.0.4", port=25)
    fake_dns.add("dest.example", "MX", (20, "mx2.dest.example"))
    fake_dns.add("dest.example", "MX", (10, "mx1.dest.example"))
    fake_dns.add("mx1.dest.example", "A", "127.0.0.3")
    fake_dns.add("mx2.dest.example", "A", "127.0.0.4")
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[-1].startswith("K") and "mx1.dest.example[127.0.0.3]" in recs[-1]
    assert len(a.messages) == 1 and not b.messages
    a.stop()
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[-1].startswith("K") and "mx2.dest.example[127.0.0.4]" in recs[-1]
    assert b.messages[0]["data"] == WIRE


@needs25
def test_implicit_mx_and_cname(home, fake_dns, peers):  # noqa: F811
    p = peers(host="127.0.0.5", port=25)
    fake_dns.add("alias.example", "CNAME", "real.example")
    fake_dns.add("real.example", "A", "127.0.0.5")
    recs = home.run("alias.example", ["x@alias.example"])
    assert recs[-1].startswith("K"), recs
    assert p.messages[0]["to"] == ["x@alias.example"]


def test_null_mx_is_permanent(home, fake_dns):  # noqa: F811
    fake_dns.add("nomail.example", "MX", (0, "."))
    recs = home.run("nomail.example", ["x@nomail.example"])
    assert recs[-1].startswith("D") and "5.1.10" in recs[-1]


def test_nxdomain_is_permanent(home):
    recs = home.run("nowhere.example", ["x@nowhere.example"])
    assert recs[-1].startswith("D") and "5.1.2" in recs[-1]


def test_servfail_defers(home, fake_dns):  # noqa: F811
    fake_dns.resolver.servfail.add("broken.example")
    recs = home.run("broken.example", ["x@broken.example"])
    assert recs[-1].startswith("Z"), recs


def test_bare_cr_is_not_sent(home, peers):  # noqa: F811
    p = peers()
    route_to(home, p)
    recs = home.run("dest.example", ["x@dest.example"], msg=b"Subject: x\n\nbad\rline\n")
    assert recs[-1].startswith("Z")
    assert not p.messages


def test_crlf_input_is_normalised(home, peers):  # noqa: F811
    p = peers()
    route_to(home, p)
    recs = home.run("dest.example", ["x@dest.example"], msg=MSG.replace(b"\n", b"\r\n"))
    assert recs[-1].startswith("K")
    assert p.wait_messages()[0]["data"] == WIRE


def test_starttls_opportunistic(home, peers, tmp_path):  # noqa: F811
    p = peers(tls=make_cert(str(tmp_path), "peer.example"))
    route_to(home, p)
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[-1].startswith("K") and "TLS: TLSv1." in recs[-1]
    assert p.wait_messages()[0]["tls"]


def test_notlshosts_disables_tls(home, peers, tmp_path):  # noqa: F811
    p = peers(tls=make_cert(str(tmp_path), "peer.example"))
    route_to(home, p)
    open(os.path.join(home.dir, "control/notlshosts", p.host), "w").close()
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[-1].startswith("K") and "TLS: none" in recs[-1]
    assert not p.wait_messages()[0]["tls"]


def test_tlshosts_verifies(home, peers, tmp_path):  # noqa: F811
    """tlshosts/NAME.pem: TLS required and verified against that CA.  The
    route names the peer by address, so the certificate carries it."""
    d = str(tmp_path)
    cert, key = make_cert(d, "127.0.0.1")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    p = peers(tls=(cert, key))
    route_to(home, p)
    shutil.copy(cert, os.path.join(home.dir, "control/tlshosts/127.0.0.1.pem"))
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[-1].startswith("K") and "verified" in recs[-1], recs
    other, _ = make_cert(d, "other.example")
    shutil.copy(other, os.path.join(home.dir, "control/tlshosts/127.0.0.1.pem"))
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[-1].startswith("Z") and "verif" in recs[-1], recs
    assert len(p.messages) == 1


def test_tlsdestinations_requires_tls(home, peers):  # noqa: F811
    p = peers()
    route_to(home, p)
    home.control("tlsdestinations", "dest.example")
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[-1].startswith("Z") and "STARTTLS" in recs[-1]
    assert not p.messages


def test_auth_over_tls(home, peers, tmp_path):  # noqa: F811
    p = peers(tls=make_cert(str(tmp_path), "peer.example"), users={"relayuser": "s3cret"})
    route_to(home, p, extra=" relayuser s3cret")
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[-1].startswith("K"), recs
    assert p.auth_seen and p.auth_seen[-1][1:] == ("relayuser", True)
    assert p.wait_messages()[0]["tls"]


def test_auth_wrong_password_defers(home, peers, tmp_path):  # noqa: F811
    p = peers(tls=make_cert(str(tmp_path), "peer.example"), users={"relayuser": "s3cret"})
    route_to(home, p, extra=" relayuser wrong")
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[-1].startswith("Z") and "AUTH" in recs[-1]
    assert not p.messages


def test_auth_needs_tls_unless_plaintext(home, peers):  # noqa: F811
    p = peers(users={"u": "pw"}, auth_plaintext=True)
    route_to(home, p, extra=" u pw")
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[-1].startswith("Z") and "plaintext" in recs[-1]
    assert not p.auth_seen
    route_to(home, p, extra=" u pw plaintext")
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[-1].startswith("K")
    assert p.auth_seen[-1][1:] == ("u", True)


@needs25
def test_smtps_route(home, peers, tmp_path):  # noqa: F811
    p = peers(host="127.0.0.6", port=465, tls=make_cert(str(tmp_path), "peer.example"), smtps=True)
    home.control("smtproutes", "dest.example:127.0.0.6:465")
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[-1].startswith("K") and "TLS: TLSv1." in recs[-1], recs
    assert p.wait_messages()[0]["data"] == WIRE


@pytest.mark.parametrize("bad", [
    b"250-x\r\n" * 150 + b"250 x\r\n",               # more than 100 lines
    b"250 " + b"x" * 5000 + b"\r\n",                  # longer than 4 KiB
    b"250-a\r\n251 b\r\n",                            # code changes
    b"2x0 what\r\n",                                  # not a code
])
def test_hostile_ehlo_reply(home, bad):
    p = RawPeer(replies={"EHLO": bad, "HELO": bad}).start()
    route_to(home, p)
    recs = home.run("dest.example", ["x@dest.example"])
    p.stop()
    assert recs[-1].startswith("Z")
    assert not any(line.startswith(b"MAIL") for line in p.lines)


def test_reply_text_cannot_inject(home):
    p = RawPeer(replies={"RCPT": b"550 5.1.1 evil\x00Kfake\x01\r\n"}).start()
    route_to(home, p)
    recs = home.run("dest.example", ["x@dest.example"])
    p.stop()
    assert len(recs) == 2
    assert recs[0].startswith("h") and "evil_Kfake_" in recs[0]


def test_data_after_starttls_reply_aborts(home):
    p = RawPeer(replies={"EHLO": b"250-raw.example\r\n250 STARTTLS\r\n",
                         "STARTTLS": b"220 go\r\n250 injected\r\n"}).start()
    route_to(home, p)
    recs = home.run("dest.example", ["x@dest.example"])
    p.stop()
    assert recs[-1].startswith("Z") and "after its STARTTLS" in recs[-1]


def test_size_limit_refused(home):
    p2 = RawPeer(replies={"EHLO": b"250-raw.example\r\n250 SIZE 20\r\n"}).start()
    route_to(home, p2)
    recs = home.run("dest.example", ["x@dest.example"])
    p2.stop()
    assert recs[-1].startswith("D") and "5.3.4" in recs[-1]
    assert not any(line.startswith(b"MAIL") for line in p2.lines)


def test_pipelining_and_8bitmime(home):
    p = RawPeer(replies={"EHLO": b"250-raw.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n"}).start()
    route_to(home, p)
    recs = home.run("dest.example", ["x@dest.example"],
                    msg="Subject: \u00e9\n\n.dot\nbody\n.\n".encode())
    p.stop()
    i = p.lines.index(b"DATA\r\n")
    assert p.lines[i + 1:] [:5] == ["Subject: \u00e9\r\n".encode(), b"\r\n", b"..dot\r\n",
                                    b"body\r\n", b"..\r\n"]
    assert p.lines[i + 6] == b".\r\n"
    assert recs[-1].startswith("K"), recs
    mail = [line for line in p.lines if line.startswith(b"MAIL")]
    assert mail == [b"MAIL FROM:<a@src.example> BODY=8BITMIME\r\n"]


def test_backoff_and_tcpok(home):
    port = qng.free_port()    # nothing listens there
    home.control("smtproutes", "dest.example:127.0.0.1:%d" % port)
    for _ in range(2):
        recs = home.run("dest.example", ["x@dest.example"])
        assert recs[-1].startswith("Z") and "Cannot connect" in recs[-1]
    recs = home.run("dest.example", ["x@dest.example"])
    assert recs[-1].startswith("Z") and "backing off" in recs[-1]
    out = home.tool("qmail-tcpto").stdout.decode()
    assert "127.0.0.1 failed 2 times" in out
    assert home.tool("qmail-tcpok").returncode == 0
    assert home.tool("qmail-tcpto").stdout == b""
    recs = home.run("dest.example", ["x@dest.example"])
    assert "Cannot connect" in recs[-1]
