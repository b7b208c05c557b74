"""dot-qmail(5) / qmail-command(8) semantics through the whole system.

The virtual domain's home (DIR/domains/example.test) holds .qmail-EXT files
that qmail-local reads for EXT@example.test; in root mode deliveries run as
the qmailv user, in user mode as the instance owner.
"""

import email
import email.policy
import os
import smtplib

import pytest

import qng
from qng import ALICE, DOMAIN

DOTQMAIL = {
    "envtest": "|env > envtest.out\n",
    "envtest-default": "|env > envdefault.out\n",
    "fail": "|echo no such mailbox here; exit 100\n",
    "defer": "|if [ -e defer.ok ]; then cat > defer.got; else echo not yet; exit 111; fi\n",
    "stop": "|echo ran > stop.ran; exit 99\n|echo ran > stop.after\n./alice/Maildir/\n",
    "fwd": "&%s\n" % ALICE,
    "mbox": "./mbox.file\n",
    "alice-default": "./alice/Maildir/\n",
    "alice-special": "|cat > special.got\n",
}


@pytest.fixture(scope="module")
def dq(inst):
    for ext, text in DOTQMAIL.items():
        inst.write_file("domains/%s/.qmail-%s" % (DOMAIN, ext), text)
    return inst


def home(inst, name):
    return inst.path("domains", DOMAIN, name)


def send(inst, rcpt, tid, sender="sender@remote.example", body="hello"):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=15) as s:
        s.sendmail(sender, [rcpt], "Subject: %s\r\n\r\n%s %s\r\n" % (tid, body, tid))


def wait_file(path, marker=None, timeout=30):
    def ok():
        if not os.path.exists(path):
            return None
        data = open(path, "rb").read()
        if marker and marker.encode() not in data:
            return None
        return data
    return qng.wait_until(ok, timeout, what=path)


def read_env(data):
    env = {}
    for line in data.decode(errors="replace").split("\n"):
        if "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
    return env


def wait_dequeued(inst, tid, timeout=30):
    qng.wait_until(lambda: not inst.queue_files_with(tid), timeout,
                   what="message %s to leave the queue" % tid)


def test_program_environment(dq):
    tid = qng.test_id()
    out = home(dq, "envtest.out")
    if os.path.exists(out):
        os.unlink(out)
    send(dq, "envtest@" + DOMAIN, tid, sender="Env.Sender@remote.example")
    env = read_env(wait_file(out, "RECIPIENT"))
    assert env["SENDER"] == "Env.Sender@remote.example"
    assert env["HOST"] == DOMAIN
    assert env["RECIPIENT"].endswith("envtest@" + DOMAIN), env["RECIPIENT"]
    assert env["LOCAL"].endswith("envtest"), env["LOCAL"]
    assert env["EXT"] == "envtest"
    assert env["RPLINE"] == "Return-Path: <Env.Sender@remote.example>"
    assert env["DTLINE"].startswith("Delivered-To: ") and "envtest@" + DOMAIN in env["DTLINE"]
    assert os.path.realpath(env["HOME"]) == os.path.realpath(home(dq, ""))
    assert env.get("USER")
    assert "UFLINE" in env


def test_default_and_ext_variables(dq):
    tid = qng.test_id()
    out = home(dq, "envdefault.out")
    if os.path.exists(out):
        os.unlink(out)
    send(dq, "envtest-a-b-c@" + DOMAIN, tid)
    env = read_env(wait_file(out, "RECIPIENT"))
    assert env["EXT"] == "envtest-a-b-c"
    assert env["EXT2"] == "a-b-c"
    assert env["EXT3"] == "b-c"
    assert env["EXT4"] == "c"
    assert env["DEFAULT"] == "a-b-c"


def _parse(data):
    return email.message_from_bytes(data, policy=email.policy.compat32)


def find_dsn(msg):
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            return part
    return None


def test_exit_100_bounces_with_dsn(dq):
    tid = qng.test_id()
    send(dq, "fail@" + DOMAIN, tid, sender=ALICE)
    got = qng.wait_for_mail(dq.maildir(), tid)
    assert len(got) == 1
    data = got[0][1]
    assert data.startswith(b"Return-Path: <>\n"), data[:80]
    m = _parse(data)
    assert m.get_content_type() == "multipart/report"
    assert m.get_param("report-type") == "delivery-status"
    dsn = find_dsn(m)
    assert dsn is not None, "no message/delivery-status part"
    blocks = dsn.get_payload()
    assert len(blocks) >= 2, "per-message and per-recipient fields expected"
    rcpt = blocks[1]
    assert "fail@" + DOMAIN in rcpt["Final-Recipient"]
    assert rcpt["Final-Recipient"].lower().startswith("rfc822;")
    assert rcpt["Action"].strip() == "failed"
    assert rcpt["Status"].strip().startswith("5.")
    assert blocks[0]["Reporting-MTA"].lower().startswith("dns;")
    text = m.get_payload()[0].get_payload(decode=True).decode(errors="replace")
    assert "fail@" + DOMAIN in text and "no such mailbox here" in text


def test_double_bounce_to_postmaster(dq):
    tid = qng.test_id()
    send(dq, "fail@" + DOMAIN, tid, sender="nobody-here@" + DOMAIN)

    def found():
        hits = []
        for root, dirs, files in os.walk(dq.dir):
            if "/queue" in root or os.path.basename(root) != "new":
                continue
            for f in files:
                data = open(os.path.join(root, f), "rb").read()
                if tid.encode() in data:
                    hits.append(data)
        return hits
    hits = qng.wait_until(found, 40, what="double bounce of %s" % tid)
    assert len(hits) == 1
    head = hits[0].split(b"\n\n", 1)[0].lower()
    assert b"postmaster" in head, head[:400]


def test_exit_111_defers_then_flush(dq):
    tid = qng.test_id()
    for f in ("defer.ok", "defer.got"):
        if os.path.exists(home(dq, f)):
            os.unlink(home(dq, f))
    before = dq.log_text().count("deferral")
    send(dq, "defer@" + DOMAIN, tid)
    qng.wait_until(lambda: dq.log_text().count("deferral") > before, 30,
                   what="a deferral in the log")
    assert dq.queue_files_with(tid), "deferred message left the queue"
    assert not os.path.exists(home(dq, "defer.got"))
    open(home(dq, "defer.ok"), "w").close()
    dq.ctl("flush")
    assert tid.encode() in wait_file(home(dq, "defer.got"), tid, timeout=30)
    wait_dequeued(dq, tid)


def test_exit_99_stops(dq):
    tid = qng.test_id()
    for f in ("stop.ran", "stop.after"):
        if os.path.exists(home(dq, f)):
            os.unlink(home(dq, f))
    send(dq, "stop@" + DOMAIN, tid)
    wait_file(home(dq, "stop.ran"))
    wait_dequeued(dq, tid)
    assert not os.path.exists(home(dq, "stop.after"))
    assert not qng.maildir_files(dq.maildir(), tid)


def test_forward(dq):
    tid = qng.test_id()
    send(dq, "fwd@" + DOMAIN, tid)
    got = qng.wait_for_mail(dq.maildir(), tid)
    assert len(got) == 1
    assert b"Delivered-To: " in got[0][1]


def test_mbox_delivery(dq):
    tid = qng.test_id()
    send(dq, "mbox@" + DOMAIN, tid, sender="mboxer@remote.example")
    data = wait_file(home(dq, "mbox.file"), tid)
    start = data.rfind(b"\nFrom mboxer@remote.example ")
    chunk = data[start + 1:] if start >= 0 else data
    assert chunk.startswith(b"From mboxer@remote.example "), chunk[:80]
    assert b"Return-Path: <mboxer@remote.example>\n" in chunk
    assert chunk.endswith(b"hello " + tid.encode() + b"\n\n") or \
        chunk.endswith(b"hello " + tid.encode() + b"\n"), chunk[-80:]


def test_extension_default_and_specific(dq):
    tid = qng.test_id()
    send(dq, "alice-anything@" + DOMAIN, tid)
    got = qng.wait_for_mail(dq.maildir(), tid)
    assert len(got) == 1
    tid2 = qng.test_id()
    send(dq, "alice-special@" + DOMAIN, tid2)
    assert tid2.encode() in wait_file(home(dq, "special.got"), tid2)
    qng.assert_no_mail(dq.maildir(), tid2, settle=1)
