"""End to end: mail in through qmail-smtpd or sendmail, out through
qmail-send, qmail-rspawn and qmail-remote to a real loopback peer."""

import email
import email.policy
import smtplib

import pytest

import qng
from remote_peers import fake_dns, make_cert, peers  # noqa: F401

RCPT = "bob@dest.example"


def message(tid, to=RCPT):
    return ("From: alice@example.test\nTo: %s\nSubject: remote %s\n\n"
            ".starts with a dot\nbody %s\n" % (to, tid, tid))


def route(inst, peer, extra=""):
    inst.write_control("smtproutes", "dest.example:%s:%d%s" % (peer.host, peer.port, extra))


def send_smtp(inst, tid, to=RCPT):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("alice@example.test", [to], message(tid, to).replace("\n", "\r\n"))


def wire_of(body_lf):
    """What the peer stores (aiosmtpd has undone the dot-stuffing)."""
    return body_lf.replace("\n", "\r\n").encode()


@pytest.mark.timeout_s(120)
def test_smtp_in_remote_out_bytes_and_tls(fresh, peers, tmp_path):  # noqa: F811
    p = peers(tls=make_cert(str(tmp_path), "peer.example"))
    route(fresh, p)
    tid = qng.test_id()
    send_smtp(fresh, tid)
    m = p.wait_messages(1, timeout=60)[0]
    assert m["to"] == [RCPT] and m["from"] == "alice@example.test" and m["tls"]
    assert m["data"].endswith(wire_of(message(tid))), m["data"]
    qng.wait_until(lambda: "TLS: TLSv1." in fresh.log_text(), 30, what="TLS in the log")


@pytest.mark.timeout_s(120)
def test_sendmail_to_smarthost_with_auth(fresh, peers, tmp_path):  # noqa: F811
    p = peers(tls=make_cert(str(tmp_path), "peer.example"), users={"relay": "pw1"})
    route(fresh, p, " relay pw1")
    tid = qng.test_id()
    r = fresh.inject(message(tid), args=("-f", "alice@example.test", RCPT))
    assert r.returncode == 0, r.stderr
    m = p.wait_messages(1, timeout=60)[0]
    assert tid.encode() in m["data"] and m["auth"] and m["tls"]
    assert p.auth_seen[-1][1:] == ("relay", True)


@pytest.mark.timeout_s(150)
def test_permanent_failure_bounces_as_dsn(fresh, peers):  # noqa: F811
    p = peers()
    p.script.rcpt = {RCPT: "550 5.1.1 <bob@dest.example>: no such user"}
    route(fresh, p)
    tid = qng.test_id()
    send_smtp(fresh, tid)
    files = qng.wait_for_mail(fresh.maildir(), tid, timeout=90)
    msg = email.message_from_bytes(files[0][1], policy=email.policy.default)
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    parts = list(msg.iter_parts())
    assert "qmail-send" in parts[0].get_content()
    status = parts[1].as_string()
    assert "5.1.1" in status and "no such user" in status


@pytest.mark.timeout_s(150)
def test_temporary_failure_defers_then_flush(fresh, peers):  # noqa: F811
    p = peers()
    p.script.rcpt = {RCPT: "451 4.2.0 try again"}
    route(fresh, p)
    tid = qng.test_id()
    send_smtp(fresh, tid)
    qng.wait_until(lambda: "try again" in fresh.log_text(), 60, what="the deferral")
    assert not p.messages
    p.script.rcpt = {}
    fresh.ctl("flush")
    m = p.wait_messages(1, timeout=60)[0]
    assert tid.encode() in m["data"]


@pytest.mark.timeout_s(120)
@pytest.mark.skipif(not qng.is_root(), reason="MX delivery uses port 25: needs root")
def test_delivery_by_mx(fresh, fake_dns, peers):  # noqa: F811
    # Port 25 is fixed: each mode's peers have addresses of their own, so
    # that [root] and [user] can run at once (pytest -n).
    a, b = {"root": ("127.0.0.7", "127.0.0.8"), "user": ("127.0.0.9", "127.0.0.10")}[fresh.mode]
    low = peers(host=a, port=25)
    high = peers(host=b, port=25)
    fake_dns.add("dest.example", "MX", (5, "mx-a.dest.example"))
    fake_dns.add("dest.example", "MX", (50, "mx-b.dest.example"))
    fake_dns.add("mx-a.dest.example", "A", a)
    fake_dns.add("mx-b.dest.example", "A", b)
    fresh.write_control("dnsservers", fake_dns.servers_line())
    tid = qng.test_id()
    send_smtp(fresh, tid)
    m = low.wait_messages(1, timeout=60)[0]
    assert tid.encode() in m["data"] and not high.messages
