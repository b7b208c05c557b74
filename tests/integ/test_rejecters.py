"""rejectutils-style standalone rejecters (issue 6): qmail-rcptchecks as
RCPTCHECK running qmail-rcptcheck-badrcptto, qmail-rcptcheck-qregex and
scripted checks from control/rcptchecks, and qmail-qfilter-viruscan run by
qmail-qfilter from the list that QFILTERS (set by tcprules) names."""

import base64
import os
import smtplib
import subprocess

import pytest

import qng
from qng import ALICE, DOMAIN

# The viruscan patch's example: the first base64 line of a DOS/Windows
# executable, as a mailer that does not wrap base64 lines writes it.
SIGNATURE = "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
EXE = base64.b64decode(SIGNATURE[:80]) + b"\0\0\0" + b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd!" * 40

SCRIPTED = """#!/bin/sh
case "$SENDER" in
defer@*) echo "451 4.7.1 scripted check says later for $RECIPIENT"; exit 111 ;;
crash@*) kill -9 $$ ;;
esac
exit 0
"""
REJECT_ALL = "#!/bin/sh\ncat >/dev/null\nexit 31\n"


def b64_lines(data, width):
    text = base64.b64encode(data).decode()
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


def multipart(tid, payload, width, inner=False):
    """A message with a text part and an application/octet-stream part;
    inner=True puts the attachment inside a forwarded message/rfc822."""
    attach = ("Content-Type: application/octet-stream; name=\"setup.exe\"\n"
              "Content-Transfer-Encoding: base64\n\n%s\n" % b64_lines(payload, width))
    if inner:
        attach = ("Content-Type: message/rfc822\n\nSubject: fwd\nMIME-Version: 1.0\n"
                  "Content-Type: multipart/mixed; boundary=\"in-%s\"\n\n--in-%s\n%s"
                  "--in-%s--\n" % (tid, tid, attach, tid))
    return ("From: sender@remote.example\nTo: %s\nSubject: %s\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"out-%s\"\n\n"
            "This is a MIME message.\n--out-%s\nContent-Type: text/plain\n\nsee %s\n"
            "--out-%s\n%s--out-%s--\n" % (ALICE, tid, tid, tid, tid, tid, attach, tid))


def cdb_bytes(lines):
    """A cdb made by tinycdb's cdb -c -m, as qmail-rcptcheck-badrcptto(8) says."""
    out = "/tmp/qng-rejecters-%d.cdb" % os.getpid()
    subprocess.run(["cdb", "-c", "-m", out, "-"], input="\n".join(lines).encode() + b"\n",
                   check=True, timeout=30)
    with open(out, "rb") as f:
        data = f.read()
    os.unlink(out)
    return data


@pytest.fixture(scope="module")
def rejecters(inst):
    scripted = inst.write_file("rejecters-scripted.sh", SCRIPTED, mode=0o755)
    reject_all = inst.write_file("rejecters-reject-all.sh", REJECT_ALL, mode=0o755)
    inst.write_control("rcptchecks", "# the chain\n%s\n%s\n%s\n" % (
        inst.bin("qmail-rcptcheck-badrcptto"), inst.bin("qmail-rcptcheck-qregex"), scripted))
    inst.write_file("control/morebadrcptto.cdb",
                    cdb_bytes(["listed@remote.example", "@closed.example", ".sub.example"]))
    inst.write_control("badmailfromregex", "^spammer[0-9]+@\n@bulk\\.example$")
    inst.write_control("signatures", "# executables\n" + SIGNATURE)
    inst.write_control("smtpfilters", inst.bin("qmail-qfilter-viruscan"))
    # control/qfilters refuses everything: mail gets through only if
    # QFILTERS from the rules is honoured.
    inst.write_control("qfilters", reject_all)
    # RELAYCLIENT lets remote recipients reach the RCPT hooks (RCPTCHECK
    # runs for relay clients too).
    inst.set_tcprules('127.:allow,RELAYCLIENT="",RCPTCHECK="%s",QMAILQUEUE="%s",'
                      'QFILTERS="%s"\n:allow\n' % (
        inst.bin("qmail-rcptchecks"), inst.bin("qmail-qfilter"),
        inst.path("control", "smtpfilters")))
    yield inst
    inst.set_tcprules(":allow\n")
    for name in ("rcptchecks", "morebadrcptto.cdb", "badmailfromregex", "signatures",
                 "smtpfilters", "qfilters"):
        try:
            os.unlink(inst.path("control", name))
        except FileNotFoundError:
            pass


def wait_log(inst, text):
    """The smtp service's log is written by a separate process: poll it."""
    qng.wait_until(lambda: text in inst.log_text("smtp"), 15, what="%r in the smtp log" % text)


def rcpt_reply(inst, sender, rcpt):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("client.example")
        code, _ = s.mail(sender)
        assert code == 250
        code, text = s.rcpt(rcpt)
        return code, text.decode()


def send(inst, sender, msg):
    """Sends msg to ALICE; returns None on 250, else (code, text) of DATA."""
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=60) as s:
        try:
            s.sendmail(sender, [ALICE], msg)
        except smtplib.SMTPDataError as e:
            return e.smtp_code, e.smtp_error.decode()
    return None


@pytest.mark.parametrize("rcpt", ["listed@remote.example", "LISTED@Remote.Example",
                                  "x@closed.example", "x@a.sub.example"])
def test_listed_recipient_refused(rejecters, rcpt):
    code, text = rcpt_reply(rejecters, "ok@remote.example", rcpt)
    assert code == 553 and text.startswith("5.7.1") and "badrcptto" in text, (code, text)
    local, domain = rcpt.rsplit("@", 1)  # qmail-smtpd logs the domain in lower case
    wait_log(rejecters, "rcpt=%s@%s reason=rcptcheck" % (local, domain.lower()))


@pytest.mark.parametrize("sender", ["spammer42@remote.example", "anyone@BULK.example"])
def test_regex_sender_refused(rejecters, sender):
    code, text = rcpt_reply(rejecters, sender, ALICE)
    assert code == 553 and "sender has been denied" in text, (code, text)


def test_unlisted_delivered(rejecters):
    tid = qng.test_id()
    body = "From: a@remote.example\nTo: %s\nSubject: %s\n\nplain %s\n" % (ALICE, tid, tid)
    assert rcpt_reply(rejecters, "spammer@remote.example", "x@sub.example")[0] == 250
    assert send(rejecters, "spammer@remote.example", body) is None
    data = qng.wait_for_mail(rejecters.maildir(), tid)[0][1]
    qng.check_delivered(data, "spammer@remote.example", body.encode())


def test_chain_defer_passes_reply_on(rejecters):
    code, text = rcpt_reply(rejecters, "defer@remote.example", ALICE)
    assert code == 451 and text == "4.7.1 scripted check says later for " + ALICE


def test_chain_program_crash_defers(rejecters):
    code, text = rcpt_reply(rejecters, "crash@remote.example", ALICE)
    assert code == 451 and text.startswith("4.3.0"), (code, text)


def test_invalid_regex_defers_and_is_logged(rejecters):
    good = "^spammer[0-9]+@\n@bulk\\.example$"
    rejecters.write_control("badmailfromregex", good + "\n(unclosed")
    try:
        code, text = rcpt_reply(rejecters, "ok@remote.example", ALICE)
        assert code == 451 and text.startswith("4.3.0"), (code, text)
        wait_log(rejecters, "event=config file=badmailfromregex pattern=3")
    finally:
        rejecters.write_control("badmailfromregex", good)


@pytest.mark.parametrize("inner", [False, True])
def test_signature_refused_at_data(rejecters, inner):
    tid = qng.test_id()
    r = send(rejecters, "a@remote.example", multipart(tid, EXE, 120, inner=inner))
    # qmail-qfilter passes the filter's own text on (fd 4, exit 82).
    assert r == (554, "5.7.1 sorry, this message carries an attachment we do not accept"), r
    wait_log(rejecters, "reason=signature-1")
    qng.assert_no_mail(rejecters.maildir(), tid)
    assert not rejecters.queue_files_with(tid)


def test_unscannable_structure_refused(rejecters):
    tid = qng.test_id()
    msg = "Subject: %s\n" % tid + "".join(
        "Content-Type: multipart/mixed; boundary=n%d\n\n--n%d\n" % (i, i) for i in range(40))
    r = send(rejecters, "a@remote.example", msg + "\nhidden\n")
    assert r is not None and r[0] == 554 and r[1].startswith("5.6.0"), r
    qng.assert_no_mail(rejecters.maildir(), tid)


def test_clean_attachment_delivered_byte_for_byte(rejecters):
    tid = qng.test_id()
    msg = multipart(tid, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, 76)
    assert send(rejecters, "a@remote.example", msg) is None
    data = qng.wait_for_mail(rejecters.maildir(), tid)[0][1]
    qng.check_delivered(data, "a@remote.example", msg.encode())


def test_wrapped_signature_line_not_matched(rejecters):
    """The signature is a prefix of the first line as written: a mailer that
    wraps at 76 columns writes a shorter first line, which does not match."""
    tid = qng.test_id()
    assert send(rejecters, "a@remote.example", multipart(tid, EXE, 76)) is None
    qng.wait_for_mail(rejecters.maildir(), tid)


def test_programs_directly(rejecters):
    inst = rejecters
    inst.write_control("badrcptto", "exact@%s\n@whole.example\n.parent.example" % DOMAIN)
    inst.write_control("badmailtoregex", "!@(%s|keep\\.example)$" % DOMAIN.replace(".", "\\."))
    try:
        bad = inst.bin("qmail-rcptcheck-badrcptto")
        for addr, want in (("EXACT@" + DOMAIN, 100), ("a@whole.example", 100),
                           ("a@x.parent.example", 100), ("a@parent.example", 0),
                           ("other@" + DOMAIN, 0)):
            assert inst.run([bad, addr]).returncode == want, addr
        assert inst.run([bad]).returncode == 112
        qre = inst.bin("qmail-rcptcheck-qregex")
        for rcpt, want in ((ALICE, 0), ("a@keep.example", 0), ("a@elsewhere.example", 100)):
            p = inst.run([qre], env={"SENDER": "", "RECIPIENT": rcpt})
            assert p.returncode == want, (rcpt, p.stdout)
        vs = inst.bin("qmail-qfilter-viruscan")
        msg = multipart("direct", EXE, 200).encode()
        assert inst.run([vs], input=msg).returncode == 31
        clean = multipart("direct", b"hello", 76).encode()
        p = inst.run([vs], input=clean)
        assert p.returncode == 0 and p.stdout == clean
    finally:
        for name in ("badrcptto", "badmailtoregex"):
            os.unlink(inst.path("control", name))
