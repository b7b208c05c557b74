"""Clock jumps do not lose or stall mail (POLICY.md D-18, D-14).

libfaketime is preloaded into every service through `qmailctl start`'s
environment.  The fake clock comes from a file (FAKETIME_TIMESTAMP_FILE,
re-read at every call), so a test moves it by rewriting the file; "x20"
makes the faked clock run 20 times as fast (sleeps and poll timeouts are
scaled too), so that qmail-send's retry schedule (the first retry 100 s
after birth for local recipients) plays out in seconds; only qmail-send's
own clock needs to be consistent for that.  Programs the test runs itself
(qmail-inject, qmail-queue) use the real clock, so a message's birth time
is real.

What qmail-send promises (docs/INTERNALS.md "Retry schedule", D-18):
  - after a restart every recipient still to do is tried at once;
  - the k-th retry is at birth + (10k)^2 s, a birth in the future counts
    as now, so a clock that went back does not hold mail until it catches
    up;
  - after queuelifetime a deferred recipient bounces ("I'm not going to try
    again"); a recipient that succeeds is delivered however old it is.
Greylisting (D-14, greylist.h): an entry from the future starts over; the
delay counts on the faked clock.  Date: and Received: show the clock's date.
"""

import os
import smtplib
import time

import pytest

import qng
from conftest import MODES
from qng import ALICE, DOMAIN, assert_qcheck

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
EXPIRED = b"I'm not going to try again; this message has been in the queue too long."

pytestmark = pytest.mark.skipif(not os.path.exists(LIBFAKETIME), reason="libfaketime missing")


class Clock:
    """The spec file every faked process reads."""

    def __init__(self, session, mode):
        self.path = os.path.join(session.base, "faketime-%s" % mode)
        self.flags = os.path.join(session.base, "flags-%s" % mode)
        os.makedirs(self.flags, exist_ok=True)
        os.chmod(self.flags, 0o755)
        self.set("+0")

    def set(self, spec):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(spec + "\n")
        os.chmod(tmp, 0o644)
        os.rename(tmp, self.path)

    def env(self):
        # A sanitizer build (make check-asan) refuses to start with a
        # library preloaded ahead of its runtime unless told it is fine.
        asan = os.environ.get("ASAN_OPTIONS", "")
        return {"LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": self.path,
                "FAKETIME_NO_CACHE": "1",
                "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}

    def flag(self, name):
        p = os.path.join(self.flags, name)
        with open(p, "w"):
            pass
        os.chmod(p, 0o644)


@pytest.fixture(scope="module", params=MODES)
def ck(request, session):
    """(instance, clock): defer-NAME@ defers until flags/NAME exists, then
    forwards to alice."""
    i = qng.Instance(session, request.param)
    clock = Clock(session, request.param)
    try:
        i.init()
        # 127. would be a RELAYCLIENT, which greylisting exempts.
        i.write_file("control/tcprules/smtp", ":allow\n")
        i.write_file("domains/%s/.qmail-defer-default" % DOMAIN,
                     '|test -e %s/"$DEFAULT" || { echo not yet; exit 111; }\n&%s\n'
                     % (clock.flags, ALICE))
        i.start(env=clock.env())
    except BaseException:
        i.teardown()
        raise
    yield i, clock
    i.teardown()


def restart(inst, clock, spec):
    inst.stop()
    clock.set(spec)
    inst.start(env=clock.env())


def message(tid, rcpt):
    return ("To: %s\nSubject: %s\n\nclock test %s\n" % (rcpt, tid, tid)).encode()


def inject(inst, tid, rcpt):
    p = inst.run([inst.bin("qmail-inject"), "-f", ALICE, rcpt], input=message(tid, rcpt))
    assert p.returncode == 0, p.stderr


def deferrals(inst, rcpt_local):
    """Deferral lines of qmail-send's log for deliveries to rcpt_local@."""
    text = inst.log_text("send")
    started = {}
    out = []
    for line in text.splitlines():
        if "starting delivery " in line:
            did = line.split("starting delivery ", 1)[1].split(":", 1)[0]
            started[did] = line
        elif ": deferral: " in line:
            did = line.split("delivery ", 1)[1].split(":", 1)[0]
            if "-%s@" % rcpt_local in started.get(did, ""):
                out.append(line)
    return out


def wait_deferrals(inst, rcpt_local, n, timeout=20):
    return qng.wait_until(lambda: len(deferrals(inst, rcpt_local)) >= n, timeout,
                          interval=0.1, what="%d deferral(s) for %s" % (n, rcpt_local))


def wait_gone(inst, tid, timeout=20):
    qng.wait_until(lambda: not inst.queue_files_with(tid), timeout, interval=0.1,
                   what="%s to leave the queue" % tid)


def one_copy(inst, tid, timeout=20):
    md = inst.maildir()
    qng.wait_for_mail(md, tid, timeout=timeout)
    time.sleep(0.3)
    files = qng.maildir_files(md, tid)
    assert len(files) == 1, "%s: %d copies" % (tid, len(files))
    return files[0][1]


@pytest.mark.timeout_s(60)
def test_forward_jump_at_start(ck):
    """Queued, deferred mail, then qmail-send starts a day later with a one
    hour queuelifetime: every recipient is tried at once; the one that now
    succeeds is delivered, the one that still defers bounces as expired.
    Nothing is lost or left behind."""
    inst, clock = ck
    ok, exp = qng.test_id(), qng.test_id()
    inject(inst, ok, "defer-%s@%s" % (ok, DOMAIN))
    inject(inst, exp, "defer-%s@%s" % (exp, DOMAIN))
    wait_deferrals(inst, ok, 1)
    wait_deferrals(inst, exp, 1)
    inst.write_control("queuelifetime", "3600")
    clock.flag(ok)
    try:
        restart(inst, clock, "+1d")
        delivered = one_copy(inst, ok)
        assert b"Return-Path: <%s>" % ALICE.encode() in delivered
        bounce = one_copy(inst, exp)
        assert bounce.startswith(b"Return-Path: <>\n"), bounce[:200]
        assert EXPIRED in bounce, bounce[:1500]
        wait_gone(inst, ok)
        wait_gone(inst, exp)
        assert_qcheck(inst)
    finally:
        os.unlink(inst.path("control", "queuelifetime"))
        restart(inst, clock, "+0")


@pytest.mark.timeout_s(60)
def test_backward_jump_at_start(ck):
    """qmail-send starts with the clock a day back: the deferred recipient
    is tried at once, is not expired (birth in the future counts as now),
    and its next retry is 100 s (5 s at x20) away, not a day."""
    inst, clock = ck
    restart(inst, clock, "+0 x20")
    try:
        tid = qng.test_id()
        inject(inst, tid, "defer-%s@%s" % (tid, DOMAIN))
        wait_deferrals(inst, tid, 1)
        restart(inst, clock, "-1d x20")
        wait_deferrals(inst, tid, 2)        # tried at start
        clock.flag(tid)
        one_copy(inst, tid, timeout=20)     # the next retry, without a flush
        wait_gone(inst, tid)
        assert EXPIRED.decode() not in inst.log_text("send")
        assert_qcheck(inst)
    finally:
        restart(inst, clock, "+0")


@pytest.mark.timeout_s(60)
def test_forward_jump_running(ck):
    """The clock of a running qmail-send jumps a day ahead: the waiting
    recipient becomes due and, past queuelifetime, bounces."""
    inst, clock = ck
    inst.write_control("queuelifetime", "3600")
    restart(inst, clock, "+0 x20")
    try:
        tid = qng.test_id()
        inject(inst, tid, "defer-%s@%s" % (tid, DOMAIN))
        wait_deferrals(inst, tid, 1)
        clock.set("+1d x20")
        bounce = one_copy(inst, tid, timeout=20)
        assert bounce.startswith(b"Return-Path: <>\n") and EXPIRED in bounce
        wait_gone(inst, tid)
        assert_qcheck(inst)
    finally:
        os.unlink(inst.path("control", "queuelifetime"))
        restart(inst, clock, "+0")


@pytest.mark.timeout_s(60)
def test_backward_jump_running(ck):
    """The clock of a running qmail-send steps back a day after a deferral:
    the recipient must still be retried on the schedule's scale (100 s, 5 s
    at x20; 9 s allowed), not when the clock has caught up."""
    inst, clock = ck
    restart(inst, clock, "+0 x20")
    try:
        tid = qng.test_id()
        inject(inst, tid, "defer-%s@%s" % (tid, DOMAIN))
        wait_deferrals(inst, tid, 1)
        clock.set("-1d x20")
        clock.flag(tid)
        one_copy(inst, tid, timeout=9)
    finally:
        restart(inst, clock, "+0")
        inst.ctl("flush", check=False)


# -- greylisting and stamps ---------------------------------------------------------------

def rcpt_code(inst, sender):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=15) as s:
        s.ehlo("client.example")
        s.mail(sender)
        code, text = s.rcpt(ALICE)
        assert code != 451 or text.startswith(b"4.7.1"), text
        return code


@pytest.fixture
def greylisting(ck):
    """Greylisting on (300 s); the fixture's rules make 127.0.0.1 no RELAYCLIENT."""
    inst, clock = ck
    inst.write_control("greylist", "300")
    yield inst, clock
    os.unlink(inst.path("control", "greylist"))
    clock.set("+0")


@pytest.mark.timeout_s(60)
def test_greylist_forward(greylisting):
    """The delay counts on the wall clock: a jump past it lets the triple pass."""
    inst, clock = greylisting
    sender = "grey-%s@remote.example" % qng.test_id()
    clock.set("+0")
    assert rcpt_code(inst, sender) == 451            # new triple
    clock.set("+290")
    assert rcpt_code(inst, sender) == 451            # delay not over
    clock.set("+310")
    assert rcpt_code(inst, sender) == 250            # passed
    clock.set("+2d")
    assert rcpt_code(inst, sender) == 250            # still known, not expired


@pytest.mark.timeout_s(60)
def test_greylist_backward(greylisting):
    """After the clock steps back a day an entry from the future starts over
    (D-18): the triple waits again, then passes once the delay has gone by
    on the new clock."""
    inst, clock = greylisting
    sender = "grey-%s@remote.example" % qng.test_id()
    clock.set("+0")
    assert rcpt_code(inst, sender) == 451            # first seen "today"
    clock.set("-1d")
    assert rcpt_code(inst, sender) == 451            # from the future: start over
    clock.set("-85800")                              # 600 s after that
    assert rcpt_code(inst, sender) == 250


@pytest.mark.timeout_s(60)
def test_date_and_received_stamps(ck):
    """A clock past 2038 shows in smtpd's Received: and qmail-inject's
    Date: (the programs format 64-bit times); the mail is delivered."""
    inst, clock = ck
    tid = qng.test_id()
    clock.set("@2040-02-29 12:00:00")
    try:
        with smtplib.SMTP("127.0.0.1", inst.port, timeout=15) as s:
            s.sendmail("stamp@remote.example", [ALICE],
                       b"Subject: %s\r\n\r\nstamp\r\n" % tid.encode())
        data = one_copy(inst, tid)
        head = data.split(b"\n\n", 1)[0].replace(b"\n\t", b" ")   # unfolded
        received = [f for f in head.split(b"\n") if f.startswith(b"Received: from")]
        assert received and b"29 Feb 2040 12:0" in received[0], head
        p = inst.run([inst.bin("qmail-inject"), "-n"], input=message(tid, ALICE),
                     env=clock.env())
        assert p.returncode == 0, p.stderr
        assert b"\nDate: Wed, 29 Feb 2040 12:0" in b"\n" + p.stdout, p.stdout
    finally:
        clock.set("+0")
