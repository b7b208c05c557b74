"""The queue daemon (qmail-queue -d, docs/INTERNALS.md "Queue daemon"):
started by qmail-start as the queue's account, used by every program that
queues when QMAILQUEUE is unset, replaced by running qmail-queue itself
whenever it is not there."""

import os
import pwd
import signal
import smtplib
import stat

import pytest

import qng
from qng import ALICE

SOCK = "run/queue/qmail-queue.sock"


def daemon_pid(inst):
    try:
        return qng.queue_daemon_pid(inst, timeout=0)
    except qng.QngError:
        return None


def smtp_send(inst, tid):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=15) as s:
        s.sendmail("someone@remote.example", [ALICE], "Subject: %s\r\n\r\n%s\r\n" % (tid, tid))


def received_line(data):
    for line in data.split(b"\n"):
        if line.startswith(b"Received: (qmail "):
            return line
    return b""


def test_daemon_runs_as_queue_account(fresh):
    pid = qng.wait_until(lambda: daemon_pid(fresh), 15, what="the queue daemon")
    qng.wait_until(lambda: os.path.exists(fresh.path(SOCK)), 15, what="its socket")
    st = os.stat(fresh.path(SOCK))
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o777
    with open("/proc/%d/status" % pid) as f:
        uids = [l.split()[1:] for l in f if l.startswith("Uid:")][0]
    if fresh.mode == "root":
        qmailq = pwd.getpwnam("qmailq").pw_uid
        assert uids == [str(qmailq)] * 4, uids
        assert os.stat(fresh.path("run/queue")).st_uid == qmailq
        assert os.stat(fresh.path("run")).st_uid == 0, "run/ must stay root's"
    tid = qng.test_id()
    smtp_send(fresh, tid)
    got = qng.wait_for_mail(fresh.maildir(), tid)
    line = received_line(got[0][1])
    assert b"invoked from network" in line or b"invoked by uid" in line, line
    # The worker is a child of the daemon: its pid is not the daemon's.
    assert b"qmail %d " % pid not in line


def test_fallback_when_daemon_is_gone(fresh):
    pid = qng.wait_until(lambda: daemon_pid(fresh), 15, what="the queue daemon")
    qng.wait_until(lambda: os.path.exists(fresh.path(SOCK)), 15, what="its socket")
    os.kill(pid, signal.SIGKILL)          # leaves a stale socket behind
    qng.wait_until(lambda: daemon_pid(fresh) is None, 10, what="the daemon gone")
    assert os.path.exists(fresh.path(SOCK))
    tid = qng.test_id()
    smtp_send(fresh, tid)
    qng.wait_for_mail(fresh.maildir(), tid)
    tid2 = qng.test_id()
    msg = "To: %s\nSubject: %s\n\n%s\n" % (ALICE, tid2, tid2)
    p = fresh.inject(msg.encode())
    assert p.returncode == 0, p.stderr
    qng.wait_for_mail(fresh.maildir(), tid2)
    qng.wait_until(lambda: "queue daemon exited" in fresh.log_text("send"), 10,
                   what="the warning in the log")


def test_stop_ends_daemon_and_removes_socket(fresh):
    qng.wait_until(lambda: daemon_pid(fresh), 15, what="the queue daemon")
    fresh.stop()
    assert daemon_pid(fresh) is None
    assert not os.path.exists(fresh.path(SOCK))
    fresh.start()
    qng.wait_until(lambda: daemon_pid(fresh), 15, what="the queue daemon again")


@pytest.mark.skipif(not qng.is_root(), reason="needs root to run as another user")
def test_local_user_gets_own_uid(fresh):
    if fresh.mode != "root":
        pytest.skip("root-mode instance only")
    qng.wait_until(lambda: daemon_pid(fresh), 15, what="the queue daemon")
    tid = qng.test_id()
    msg = "To: %s\nSubject: %s\n\n%s\n" % (ALICE, tid, tid)
    nobody = pwd.getpwnam("nobody")
    p = fresh.run(["setpriv", "--reuid=%d" % nobody.pw_uid, "--regid=%d" % nobody.pw_gid,
                   "--clear-groups", fresh.bin("sendmail"), "-t"], input=msg.encode())
    assert p.returncode == 0, p.stderr
    got = qng.wait_for_mail(fresh.maildir(), tid)
    assert b"invoked by uid %d)" % nobody.pw_uid in received_line(got[0][1])
