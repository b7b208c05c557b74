"""Queue programs that refuse with their own reply text (issue 6; the
qmail-queue-custom-error convention): "D<text>" or "Z<text>" on fd 4 and
exit 82, directly as QMAILQUEUE or as a qmail-qfilter filter; qmail-smtpd
answers 554/451 with the text, sendmail prints it and exits 100/111."""

import os
import smtplib
import subprocess

import pytest

import qng
from qng import ALICE, RawSMTP, expect

VIRUS = b"DYour message contains a virus (EICAR)"
# What the queue program writes on fd 4 is the content of this file.
QQERR = """#!/bin/sh
cat >/dev/null
cat "%s" >&4
exit 82
"""
# Exit 82 without reading the message or writing anything on fd 4.
SILENT82 = "#!/bin/sh\nexit 82\n"
PASS = "#!/bin/sh\nexec cat\n"


@pytest.fixture(scope="module")
def progs(inst):
    msgfile = inst.path("qqerr-message")
    paths = {
        "msgfile": msgfile,
        "qqerr": inst.write_file("qqerr.sh", QQERR % msgfile, mode=0o755),
        "silent": inst.write_file("qqerr-silent.sh", SILENT82, mode=0o755),
        "pass": inst.write_file("qqerr-pass.sh", PASS, mode=0o755),
    }
    yield paths
    inst.set_tcprules('127.:allow,RELAYCLIENT=""\n:allow\n')
    try:
        os.unlink(inst.path("control", "qfilters"))
    except FileNotFoundError:
        pass


@pytest.fixture
def direct(inst, progs):
    """QMAILQUEUE set by tcprules to the fd-4 script itself."""
    inst.set_tcprules('127.:allow,RELAYCLIENT="",QMAILQUEUE="%s"\n:allow\n' % progs["qqerr"])
    return progs


@pytest.fixture
def chained(inst, progs):
    """QMAILQUEUE=qmail-qfilter with a pass-through filter and then the
    fd-4 script as the second filter."""
    inst.set_tcprules('127.:allow,RELAYCLIENT="",QMAILQUEUE="%s"\n:allow\n'
                      % inst.bin("qmail-qfilter"))
    inst.write_control("qfilters", "%s\n%s\n" % (progs["pass"], progs["qqerr"]))
    return progs


def set_message(inst, progs, raw):
    inst.write_file(os.path.basename(progs["msgfile"]), raw)


def smtp_send(inst, tid):
    """One message through SMTP; returns the reply to the final dot."""
    with RawSMTP(inst.port) as c:
        expect(c.cmd("HELO client.example"), 250)
        expect(c.cmd("MAIL FROM:<sender@remote.example>"), 250)
        expect(c.cmd("RCPT TO:<%s>" % ALICE), 250)
        expect(c.cmd("DATA"), 354)
        c.send(("Subject: %s\r\n\r\nbody %s\r\n.\r\n" % (tid, tid)).encode())
        reply = c.reply()
        # the session goes on: the next transaction is accepted as usual
        expect(c.cmd("RSET"), 250)
        return reply


def assert_nothing_queued(inst, tid):
    assert not inst.queue_files_with(tid)
    qng.assert_no_mail(inst.maildir(), tid, settle=0.5)


def refused(inst, progs, raw, code, enh):
    set_message(inst, progs, raw)
    tid = qng.test_id()
    got, lines = expect(smtp_send(inst, tid), code, enh)
    assert_nothing_queued(inst, tid)
    return lines[-1]


def test_permanent_text(inst, direct):
    set_message(inst, direct, VIRUS)
    tid = qng.test_id()
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as c:
        with pytest.raises(smtplib.SMTPDataError) as e:
            c.sendmail("sender@remote.example", [ALICE], "Subject: %s\r\n\r\nx\r\n" % tid)
    assert e.value.smtp_code == 554
    assert e.value.smtp_error == b"5.7.1 Your message contains a virus (EICAR)"
    assert_nothing_queued(inst, tid)
    qng.wait_until(lambda: "result=qq-custom-permanent" in inst.log_text() and
                   "contains a virus (EICAR)" in inst.log_text(), 10,
                   what="the custom reply in the log")
    qng.wait_until(lambda: "contains a virus (EICAR)" in inst.log_text(), 10,
                   what="the custom reply in the log")


def test_temporary_text(inst, direct):
    text = refused(inst, direct, b"Zvirus scanner busy, try later\n", 451, "4.7.1")
    assert text == "4.7.1 virus scanner busy, try later"


def test_own_enhanced_code_kept(inst, direct):
    text = refused(inst, direct, b"D5.7.0 message refused by policy", 554, "5.7.0")
    assert text == "5.7.0 message refused by policy"


@pytest.mark.parametrize("raw", [
    b"DVirus\r\n250 2.0.0 ok injected",            # CR/LF: protocol injection
    b"D" + b"x" * 5120,                             # 5 KiB
    b"Dctl\x00\x07\x1b[31m bytes",                  # NUL and control bytes
    b"Qno such command",
    b"",
])
def test_garbage_is_temporary(inst, direct, raw):
    text = refused(inst, direct, raw, 451, "4.3.0")
    assert "injected" not in text and "xxxx" not in text
    assert all(0x20 <= ord(ch) < 0x7f for ch in text)


def test_exit_82_without_reading(inst, progs):
    inst.set_tcprules('127.:allow,RELAYCLIENT="",QMAILQUEUE="%s"\n:allow\n' % progs["silent"])
    tid = qng.test_id()
    expect(smtp_send(inst, tid), 451, "4.3.0")
    assert_nothing_queued(inst, tid)


def test_qfilter_chain_permanent(inst, chained):
    text = refused(inst, chained, VIRUS, 554, "5.7.1")
    assert text == "5.7.1 Your message contains a virus (EICAR)"


def test_qfilter_chain_temporary(inst, chained):
    text = refused(inst, chained, b"Zgreylisted by content\n", 451, "4.7.1")
    assert text == "4.7.1 greylisted by content"


def test_qfilter_chain_garbage(inst, chained):
    refused(inst, chained, b"D\r\n" + b"\x01" * 5000, 451, "4.3.0")


def test_qfilter_chain_passes(inst, chained):
    """The chain without the refusing filter still queues (31/99 semantics
    are covered by test_qfilter.py)."""
    inst.write_control("qfilters", chained["pass"] + "\n")
    tid = qng.test_id()
    expect(smtp_send(inst, tid), 250, "2.0.0")
    qng.wait_for_mail(inst.maildir(), tid)


def inject(inst, progs, via_qfilter):
    tid = qng.test_id()
    env = {"QMAILQUEUE": progs["qqerr"]}
    if via_qfilter:
        inst.write_control("qfilters", progs["qqerr"] + "\n")
        env = {"QMAILQUEUE": inst.bin("qmail-qfilter")}
    p = inst.inject("To: %s\nSubject: %s\n\nx\n" % (ALICE, tid), env=env)
    return tid, p


@pytest.mark.parametrize("via_qfilter", [False, True])
def test_sendmail_exit_codes(inst, progs, via_qfilter):
    set_message(inst, progs, VIRUS)
    tid, p = inject(inst, progs, via_qfilter)
    assert p.returncode == 100, p.stderr
    assert b"Your message contains a virus (EICAR)" in p.stderr
    assert_nothing_queued(inst, tid)
    set_message(inst, progs, b"Zscanner busy")
    tid, p = inject(inst, progs, via_qfilter)
    assert p.returncode == 111 and b"scanner busy" in p.stderr, p.stderr
    set_message(inst, progs, b"Dtwo\nlines")
    tid, p = inject(inst, progs, via_qfilter)
    assert p.returncode == 111 and b"two" not in p.stderr, p.stderr
    assert_nothing_queued(inst, tid)


def run_qfilter(inst, want_fd4):
    """qmail-qfilter run by hand: message on 0, envelope on 1, and a pipe
    on fd 4 or nothing there; returns (exit code, stderr, fd 4 bytes)."""
    msg = inst.write_file("qqerr-msg.in", "Subject: by hand\n\nbody\n")
    env = inst.write_file("qqerr-env.in", b"Fs@remote.example\0T" + ALICE.encode() + b"\0\0")
    rd, wr = os.pipe()

    def child():  # close_fds stays off: only this fd 4 is inheritable
        if want_fd4:
            os.dup2(wr, 4)
    with open(msg, "rb") as m, open(env, "rb") as e:
        p = subprocess.run(inst.argv([inst.bin("qmail-qfilter")]), stdin=m, stdout=e,
                           stderr=subprocess.PIPE, preexec_fn=child, close_fds=False,
                           timeout=60)
    os.close(wr)
    os.set_blocking(rd, False)
    try:
        got = os.read(rd, 4096)
    except BlockingIOError:
        got = b""
    os.close(rd)
    return p.returncode, p.stderr, got


def test_qfilter_passes_reply_on_fd4(inst, progs):
    set_message(inst, progs, VIRUS + b"\n")
    inst.write_control("qfilters", progs["qqerr"] + "\n")
    code, err, got = run_qfilter(inst, True)
    assert code == 82 and got == VIRUS, (code, err, got)
    set_message(inst, progs, b"Z  busy  ")
    assert run_qfilter(inst, True)[0::2] == (82, b"Zbusy")


def test_qfilter_without_fd4_falls_back(inst, progs):
    inst.write_control("qfilters", progs["qqerr"] + "\n")
    set_message(inst, progs, VIRUS)
    code, err, _ = run_qfilter(inst, False)
    assert code == 31 and b"Your message contains a virus (EICAR)" in err
    set_message(inst, progs, b"Zbusy")
    code, err, _ = run_qfilter(inst, False)
    assert code == 71 and b"busy" in err


def test_forward_program_passes_the_reply(inst, progs):
    """forward(1) (and condredirect, which shares its queueing code) exits
    100 with the queue program's own text for D, 111 for Z."""
    env = {"QMAILQUEUE": progs["qqerr"], "NEWSENDER": "s@remote.example",
           "DTLINE": "Delivered-To: alice@example.test\n"}
    set_message(inst, progs, VIRUS)
    p = inst.inject("Subject: fwd\n\nx\n", args=(ALICE,), prog="forward", env=env)
    assert p.returncode == 100, (p.stdout, p.stderr)
    assert b"Your message contains a virus (EICAR)" in p.stdout
    set_message(inst, progs, b"Zscanner busy")
    p = inst.inject("Subject: fwd\n\nx\n", args=(ALICE,), prog="forward", env=env)
    assert p.returncode == 111 and b"scanner busy" in p.stdout, (p.stdout, p.stderr)
