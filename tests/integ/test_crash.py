"""Durability under crashes (POLICY.md promises 1-3, docs/INTERNALS.md).

Uses the crash-point build (BUILD-crash/bin): with QNG_CRASH=<name> in its
environment a program kills itself with SIGKILL at that step.  qmail-queue
inherits the injector's environment; qmail-send and the local deliveries
inherit the environment of `qmailctl start` through the supervisor.

After each crash the instance is restarted and checked with qmail-qcheck
and a reconciler: every acknowledged message is delivered at least once and
at most once more per crash, every delivered copy is complete (nothing
partial in new/), and a message that was not acknowledged is delivered only
if the crash came after the commit point.
"""

import os
import random
import smtplib
import threading
import time

import pytest

import qng
from conftest import MODES
from qng import ALICE, DOMAIN, assert_qcheck

# name -> committed: whether the message is durable when the crash hits
QUEUE_POINTS = {
    "queue-after-mess-write": False,
    "queue-after-mess-rename": False,
    "queue-after-env-write": False,
    "queue-before-todo-link": False,
    "queue-after-todo-link": True,
    "queue-before-exit": True,
}
SEND_POINTS = ["send-after-adopt", "send-before-done-mark", "send-after-done-mark"]
BOUNCE_POINTS = ["send-after-bounce-record", "send-after-bounce-inject"]
LOCAL_POINTS = ["local-after-tmp-write", "local-before-link-new", "local-after-link-new",
                "local-before-report"]


@pytest.fixture(scope="module", params=MODES)
def cinst(request, session):
    i = qng.started(qng.Instance(session, request.param, crash=True),
                    before=lambda i: i.write_file("domains/%s/.qmail-fail" % DOMAIN,
                                                  "|echo crash-test failure; exit 100\n"))
    yield i
    i.teardown()


def message(tid, rcpt=ALICE):
    body = "crash test %s\nline 2\n" % tid
    head = "To: %s\nSubject: %s\nMessage-ID: <%s@crash.example>\n" % (rcpt, tid, tid)
    return (head + "\n" + body).encode(), body.encode()


def inject(inst, tid, rcpt=ALICE, env=None):
    msg, _ = message(tid, rcpt)
    p = inst.run([inst.bin("qmail-inject"), "-f", "crash@remote.example", rcpt],
                 input=msg, env=env, timeout=60)
    return p.returncode == 0


def copies(inst, tid, maildir=None):
    return qng.maildir_files(maildir or inst.maildir(), tid)


def check_complete(files, tid):
    """Every copy in new/ or cur/ holds the whole message."""
    _, body = message(tid)
    for name, data in files:
        assert data.endswith(b"\n\n" + body), "partial or altered copy %s: %r" % (name, data[-200:])


def settle(inst, tids, timeout=60):
    """Flush until no message with these ids is left in the queue."""
    deadline = time.monotonic() + timeout
    while any(inst.queue_files_with(t) for t in tids):
        if time.monotonic() > deadline:
            raise qng.QngError("queue did not drain for %s:\n%s" % (
                tids, inst.ctl("queue", check=False).stdout.decode()))
        inst.ctl("flush", check=False)
        time.sleep(1)


def reconcile(inst, acked, unacked_committed=(), unacked_lost=(), extra=1, maildir=None):
    md = maildir or inst.maildir()
    for tid in acked:
        files = qng.wait_for_mail(md, tid, timeout=30)
    time.sleep(1)
    for tid in acked:
        files = copies(inst, tid, md)
        assert 1 <= len(files) <= 1 + extra, "%s: %d copies" % (tid, len(files))
        if maildir is None:
            check_complete(files, tid)
    for tid in unacked_committed:
        files = copies(inst, tid, md)
        assert len(files) <= 1 + extra, "%s: %d copies" % (tid, len(files))
        check_complete(files, tid)
    for tid in unacked_lost:
        assert not copies(inst, tid, md), "unacknowledged, uncommitted %s delivered" % tid


@pytest.mark.timeout_s(120)
@pytest.mark.parametrize("point", list(QUEUE_POINTS))
def test_queue_crash_point(cinst, point):
    tid = qng.test_id()
    ok = inject(cinst, tid, env={"QNG_CRASH": point})
    assert not ok, "%s: injection succeeded, so the crash point was never reached" % point
    assert_qcheck(cinst)
    cinst.restart()
    control = qng.test_id()
    assert inject(cinst, control)
    settle(cinst, [tid, control])
    if QUEUE_POINTS[point]:
        reconcile(cinst, [control], unacked_committed=[tid])
    else:
        reconcile(cinst, [control], unacked_lost=[tid])
    assert_qcheck(cinst)


def queue_idle(inst, timeout=60):
    """Waits (flushing) until the queue holds nothing, so that a daemon
    started with QNG_CRASH meets only this test's message."""
    def empty():
        out = inst.ctl("queue", check=False).stdout.decode()
        if "messages in queue: 0" in out:
            return True
        inst.ctl("flush", check=False)
        return False
    qng.wait_until(empty, timeout, interval=1, what="an empty queue")


def crash_then_recover(inst, point, rcpt, evidence):
    """Start with QNG_CRASH=point, inject acknowledged mail, wait until the
    crash is seen, stop, check the queue, restart normally."""
    queue_idle(inst)
    inst.stop()
    inst.start(env={"QNG_CRASH": point})
    send_pids = set(inst.pids("qmail-send"))
    deferrals = inst.log_text().count("deferral")
    tid = qng.test_id()
    assert inject(inst, tid, rcpt=rcpt), "injection with crash points in the daemons failed"
    deadline = time.monotonic() + 20
    seen = False
    while time.monotonic() < deadline and not seen:
        now = set(inst.pids("qmail-send"))
        crashed = bool(send_pids - now) if evidence == "send" else \
            inst.log_text().count("deferral") > deferrals
        send_pids |= now
        seen = crashed
        time.sleep(0.05)
    inst.stop()
    assert seen, "%s: no sign of the crash within 20 s" % point
    assert_qcheck(inst)
    inst.start()
    return tid, max(1, len(send_pids) - 1)


@pytest.mark.timeout_s(150)
@pytest.mark.parametrize("point", SEND_POINTS)
def test_send_crash_point(cinst, point):
    tid, crashes = crash_then_recover(cinst, point, ALICE, "send")
    settle(cinst, [tid])
    reconcile(cinst, [tid], extra=crashes)
    assert_qcheck(cinst)


@pytest.mark.timeout_s(150)
@pytest.mark.parametrize("point", BOUNCE_POINTS)
def test_bounce_crash_point(cinst, point):
    # Sender crash@remote.example is not local: the bounce stays queued for
    # remote delivery.  Use qmail-inject -f alice so the bounce comes home.
    queue_idle(cinst)
    cinst.stop()
    cinst.start(env={"QNG_CRASH": point})
    pids = set(cinst.pids("qmail-send"))
    tid = qng.test_id()
    msg, _ = message(tid, "fail@" + DOMAIN)
    p = cinst.run([cinst.bin("qmail-inject"), "-f", ALICE, "fail@" + DOMAIN], input=msg)
    assert p.returncode == 0, p.stderr
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (pids - set(cinst.pids("qmail-send"))):
        pids |= set(cinst.pids("qmail-send"))
        time.sleep(0.05)
    crashed = bool(pids - set(cinst.pids("qmail-send")))
    cinst.stop()
    assert crashed, "%s: qmail-send never crashed" % point
    assert_qcheck(cinst)
    cinst.start()
    settle(cinst, [tid])
    bounces = qng.wait_for_mail(cinst.maildir(), tid, timeout=30)
    time.sleep(1)
    bounces = copies(cinst, tid)
    assert 1 <= len(bounces) <= 1 + max(1, len(pids) - 1), len(bounces)
    for _, data in bounces:
        assert data.startswith(b"Return-Path: <>\n")
    assert_qcheck(cinst)


@pytest.mark.timeout_s(150)
@pytest.mark.parametrize("point", LOCAL_POINTS)
def test_local_crash_point(cinst, point):
    tid, _ = crash_then_recover(cinst, point, ALICE, "local")
    settle(cinst, [tid])
    reconcile(cinst, [tid], extra=1)
    assert_qcheck(cinst)


@pytest.mark.timeout_s(240)
def test_kill9_under_load(cinst):
    """kill -9 qmail-send and delivering processes at random moments while
    a client sends; afterwards every acknowledged message is there."""
    rng = random.Random(os.getpid())
    acked, kills, stop = [], [0], threading.Event()

    def load():
        for i in range(40):
            tid = qng.test_id()
            msg, _ = message(tid)
            try:
                with smtplib.SMTP("127.0.0.1", cinst.port, timeout=20) as s:
                    s.sendmail("crash@remote.example", [ALICE], msg.replace(b"\n", b"\r\n"))
                acked.append(tid)
            except (smtplib.SMTPException, OSError):
                pass
            if stop.is_set():
                return

    t = threading.Thread(target=load, daemon=True)
    t.start()
    deadline = time.monotonic() + 60
    while t.is_alive() and time.monotonic() < deadline and kills[0] < 8:
        time.sleep(rng.uniform(0.05, 0.6))
        victims = cinst.pids("qmail-send") if rng.random() < 0.5 else \
            children_of(cinst.pids("qmail-lspawn"))
        for pid in victims[:1]:
            try:
                os.kill(pid, 9)
                kills[0] += 1
            except OSError:
                pass
    stop.set()
    t.join(timeout=60)
    assert acked, "no message was acknowledged under load"
    settle(cinst, acked, timeout=120)
    reconcile(cinst, acked, extra=max(1, kills[0]))
    assert_qcheck(cinst)


def children_of(parents):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) in parents:
            out.append(int(d))
    return out
