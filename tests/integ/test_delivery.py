"""Real clients deliver to a virtual mailbox; the bytes on disk are checked.

smtplib and swaks over SMTP, sendmail -t / -f and qmail-inject locally;
recipient validation (D-05) and relay control (D-04, tcprules RELAYCLIENT).
"""

import email
import email.policy
import shutil
import smtplib
import subprocess

import pytest

import qng
from qng import ALICE, DOMAIN


def body_for(tid):
    """A message exercising dot-stuffing, 8-bit bytes, long and empty lines."""
    crlf = (b"From: Sender <sender@remote.example>\r\n"
            b"To: " + ALICE.encode() + b"\r\n"
            b"Subject: " + tid.encode() + b"\r\n"
            b"\r\n"
            b"first line\r\n"
            b".a line that starts with a dot\r\n"
            b"..two dots\r\n"
            b".\tdot tab\r\n"
            b"\r\n"
            b"8-bit: \xc3\xa9t\xc3\xa9\r\n" + b"x" * 900 + b"\r\n"
            b"last line\r\n")
    return crlf, crlf.replace(b"\r\n", b"\n")


def test_ehlo_capabilities(inst):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=15) as s:
        code, _ = s.ehlo("client.example")
        assert code == 250
        for ext in ("pipelining", "8bitmime", "size", "enhancedstatuscodes"):
            assert s.has_extn(ext), "EHLO lacks %s: %s" % (ext, s.esmtp_features)
        assert s.esmtp_features["size"].strip() == str(50 * 1024 * 1024)


def test_smtplib_delivery(inst):
    tid = qng.test_id()
    crlf, lf = body_for(tid)
    sender = "sender@remote.example"
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=15) as s:
        s.ehlo("client.example")
        refused = s.sendmail(sender, [ALICE], crlf)
        assert refused == {}
    got = qng.wait_for_mail(inst.maildir(), tid)
    assert len(got) == 1
    name, data = got[0]
    assert "/new/" in name
    fields = qng.check_delivered(data, sender, lf)
    assert ALICE.encode() in fields[1]


def test_swaks_delivery(inst, tmp_path):
    if not shutil.which("swaks"):
        pytest.skip("swaks is not installed")
    tid = qng.test_id()
    _, lf = body_for(tid)
    f = tmp_path / "msg"
    # swaks adds a line break of its own when the data ends with one.
    f.write_bytes(lf[:-1])
    sender = "swaks@remote.example"
    p = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % inst.port, "--from", sender,
                        "--to", ALICE, "--helo", "swaks.example", "--data", "@" + str(f)],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stdout.decode(errors="replace")[-2000:]
    got = qng.wait_for_mail(inst.maildir(), tid)
    assert len(got) == 1
    qng.check_delivered(got[0][1], sender, lf)


def test_unknown_recipient_rejected_at_rcpt(inst):
    with qng.RawSMTP(inst.port) as c:
        qng.expect(c.cmd("EHLO client.example"), 250)
        qng.expect(c.cmd("MAIL FROM:<a@remote.example>"), 250)
        qng.expect(c.cmd("RCPT TO:<nosuchuser@%s>" % DOMAIN), 550, "5.1.1")
        qng.expect(c.cmd("RCPT TO:<%s>" % ALICE), 250)
        qng.expect(c.cmd("QUIT"), 221)


def _parse(data):
    return email.message_from_bytes(data, policy=email.policy.compat32)


@pytest.mark.parametrize("how", ["sendmail-t", "sendmail-f", "qmail-inject"])
def test_local_injection(inst, how):
    tid = qng.test_id()
    msg = ("To: %s\nSubject: %s\n\nlocal injection %s\nline two\r\n" % (ALICE, tid, tid)).encode()
    if how == "sendmail-t":
        p = inst.inject(msg, ["-t"])
        sender = None
    elif how == "sendmail-f":
        sender = "envsender@remote.example"
        p = inst.inject(msg, ["-f", sender, ALICE])
    else:
        p = inst.inject(msg, [ALICE], prog="qmail-inject")
        sender = None
    assert p.returncode == 0, p.stderr
    got = qng.wait_for_mail(inst.maildir(), tid)
    assert len(got) == 1
    data = got[0][1]
    assert b"\r" not in data
    m = _parse(data)
    assert m["Date"], "Date not completed"
    assert m["Message-ID"] and "@" in m["Message-ID"], "Message-ID not completed"
    assert m["From"] and "@" in m["From"], "From not completed"
    assert m["Subject"] == tid
    assert m.get_payload() == "local injection %s\nline two\n" % tid
    rp = data.split(b"\n", 1)[0]
    assert rp.startswith(b"Return-Path: <")
    if sender:
        assert rp == b"Return-Path: <" + sender.encode() + b">"
    else:
        assert b"@" in rp


def test_relay_denied_without_relayclient(fresh):
    fresh.set_tcprules(":allow\n")
    with qng.RawSMTP(fresh.port) as c:
        qng.expect(c.cmd("EHLO client.example"), 250)
        qng.expect(c.cmd("MAIL FROM:<a@remote.example>"), 250)
        code, texts = c.cmd("RCPT TO:<bob@foreign.example>")
        assert code in (550, 553), (code, texts)
        assert texts[0].startswith("5.7.1"), texts
        qng.expect(c.cmd("RCPT TO:<%s>" % ALICE), 250)


def test_relay_with_relayclient_stays_queued(fresh):
    # Hermetic: the foreign domain's mail goes to a closed local port, a
    # temporary failure, so the message must stay queued and never bounce.
    fresh.write_control("smtproutes", "foreign.example:127.0.0.1:%d" % qng.free_port())
    fresh.ctl("reload")
    fresh.set_tcprules('127.:allow,RELAYCLIENT=""\n:allow\n')
    tid = qng.test_id()
    with smtplib.SMTP("127.0.0.1", fresh.port, timeout=15) as s:
        s.sendmail(ALICE, ["bob@foreign.example"],
                   "Subject: %s\r\n\r\nrelayed\r\n" % tid)
    out = qng.wait_until(
        lambda: (lambda t: t if "bob@foreign.example" in t else None)(
            fresh.ctl("queue").stdout.decode(errors="replace")),
        20, what="relayed message in qmailctl queue")
    assert "remote\tbob@foreign.example" in out, out
    assert "messages in queue: 1" in out, out
    # Deferred (connection refused is temporary), never bounced.
    qng.assert_no_mail(fresh.maildir(), tid, settle=3)
    assert fresh.queue_files_with(tid)
