"""qmail-qfilter (issue 6, queue filters): a QMAILQUEUE set per client by
tcprules, the chain from control/qfilters, exit codes 0 / 31 / other,
and sendmail with QMAILQUEUE in its environment."""

import os

import pytest

import qng
from qng import ALICE, RawSMTP, expect

ADDHDR = """#!/bin/sh
printf 'X-QFilter: from=%s rcpts=%s\\n' "$QMAILMAILFROM" "$(printf %s "$QMAILRCPTS" | tr '\\n' ,)"
[ -z "$QMAILQUEUE" ] || printf 'X-QFilter-Loop: %s\\n' "$QMAILQUEUE"
exec cat
"""
UPPER = "#!/bin/sh\nexec tr a-z A-Z\n"
REJECT = "#!/bin/sh\ncat >/dev/null\nexit 31\n"
DEFER = "#!/bin/sh\ncat >/dev/null\nexit 111\n"
DROP = "#!/bin/sh\ncat >/dev/null\nexit 99\n"


@pytest.fixture(scope="module")
def filters(inst):
    paths = {}
    for name, text in (("addhdr", ADDHDR), ("upper", UPPER), ("reject", REJECT),
                       ("defer", DEFER), ("drop", DROP)):
        paths[name] = inst.write_file("qf-%s.sh" % name, text, mode=0o755)
    inst.set_tcprules('127.:allow,RELAYCLIENT="",QMAILQUEUE="%s"\n:allow\n'
                      % inst.bin("qmail-qfilter"))
    yield paths
    inst.set_tcprules('127.:allow,RELAYCLIENT=""\n:allow\n')
    try:
        os.unlink(inst.path("control", "qfilters"))
    except FileNotFoundError:
        pass


def chain(inst, filters, *names, extra=""):
    inst.write_control("qfilters", "# test chain\n" + extra +
                       "".join(filters[n] + "\n" for n in names))


def smtp_send(inst, tid, code, enh):
    with RawSMTP(inst.port) as c:
        expect(c.cmd("HELO client.example"), 250)
        expect(c.cmd("MAIL FROM:<sender@remote.example>"), 250)
        expect(c.cmd("RCPT TO:<%s>" % ALICE), 250)
        expect(c.cmd("DATA"), 354)
        c.send(("Subject: %s\r\n\r\nbody %s\r\n.\r\n" % (tid, tid)).encode())
        return expect(c.reply(), code, enh)


def test_filter_adds_header(inst, filters):
    chain(inst, filters, "addhdr")
    tid = qng.test_id()
    smtp_send(inst, tid, 250, "2.0.0")
    got = qng.wait_for_mail(inst.maildir(), tid)
    data = got[0][1]
    assert b"X-QFilter: from=sender@remote.example rcpts=%s," % ALICE.encode() in data
    assert b"X-QFilter-Loop" not in data
    assert b"body " + tid.encode() in data


def test_chain_of_two_with_args(inst, filters):
    chain(inst, filters, "addhdr", extra="/usr/bin/sed -e s/^body/BODY/\n")
    tid = qng.test_id()
    smtp_send(inst, tid, 250, "2.0.0")
    data = qng.wait_for_mail(inst.maildir(), tid)[0][1]
    assert b"BODY " + tid.encode() in data and b"X-QFilter:" in data


def test_filter_rejects_31(inst, filters):
    chain(inst, filters, "addhdr", "reject")
    tid = qng.test_id()
    smtp_send(inst, tid, 554, "5.3.0")
    qng.assert_no_mail(inst.maildir(), tid)
    assert not inst.queue_files_with(tid)


def test_filter_defers_111(inst, filters):
    chain(inst, filters, "defer")
    tid = qng.test_id()
    smtp_send(inst, tid, 451, "4.3.0")
    qng.assert_no_mail(inst.maildir(), tid)


def test_filter_drops_99(inst, filters):
    chain(inst, filters, "drop")
    tid = qng.test_id()
    smtp_send(inst, tid, 250, "2.0.0")
    qng.assert_no_mail(inst.maildir(), tid)


def test_bad_chain_is_temporary(inst, filters):
    inst.write_control("qfilters", "relative/filter\n")
    tid = qng.test_id()
    smtp_send(inst, tid, 451, "4.3.0")
    qng.assert_no_mail(inst.maildir(), tid)


def test_timeout_is_temporary(inst, filters):
    inst.write_control("qfilters", "/bin/sleep 30\n")
    inst.write_control("qfiltertimeout", "1")
    try:
        tid = qng.test_id()
        smtp_send(inst, tid, 451, "4.3.0")
    finally:
        os.unlink(inst.path("control", "qfiltertimeout"))


def test_sendmail_with_qmailqueue(inst, filters):
    chain(inst, filters, "upper")
    tid = qng.test_id().lower()
    msg = "To: %s\nSubject: s\n\nlower %s\n" % (ALICE, tid)
    p = inst.inject(msg, env={"QMAILQUEUE": inst.bin("qmail-qfilter")})
    assert p.returncode == 0, p.stderr
    got = qng.wait_for_mail(inst.maildir(), tid.upper())
    assert b"LOWER " + tid.upper().encode() in got[0][1]


def test_sendmail_filter_rejects(inst, filters):
    chain(inst, filters, "reject")
    tid = qng.test_id()
    p = inst.inject("To: %s\nSubject: %s\n\nx\n" % (ALICE, tid),
                    env={"QMAILQUEUE": inst.bin("qmail-qfilter")})
    assert p.returncode == 100
    qng.assert_no_mail(inst.maildir(), tid, settle=1.0)


def test_qfilters_env_names_the_file(inst, filters):
    other = inst.write_file("qfilters-alt", filters["upper"] + "\n")
    chain(inst, filters, "reject")
    tid = qng.test_id().lower()
    p = inst.inject("To: %s\nSubject: s\n\nalt %s\n" % (ALICE, tid),
                    env={"QMAILQUEUE": inst.bin("qmail-qfilter"), "QFILTERS": other})
    assert p.returncode == 0, p.stderr
    qng.wait_for_mail(inst.maildir(), tid.upper())
