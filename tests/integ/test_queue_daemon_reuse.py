"""The queue daemon's workers are long-lived (src/cmd/qmail-queue/qq_daemon.h):
one worker queues message after message, nothing of one message reaches the
next, and every client gets exactly one answer, even when its worker dies,
when it never sends its request, or when the daemon is told to stop.

Clients here speak the daemon's protocol directly (docs/PROTOCOLS.md "Queue
daemon"): connect, one packet "Q" with the message's and the envelope's
pipe read ends, then one byte back, a qmail-queue exit code."""

import os
import signal
import smtplib
import socket
import time

import pytest

import qng
from qng import ALICE

SOCK = "run/queue/qmail-queue.sock"
QQ_OK, QQ_READ_ERROR, QQ_BUG, QQ_ENVELOPE_FORMAT = 0, 54, 81, 91
RECV_TIMEOUT_S = 30   # QQ_DAEMON_RECV_MS
WORKER_MESSAGES = 1000   # QQ_WORKER_MESSAGES
IDLE_KEEP, IDLE_SECS = 4, 30   # QQ_IDLE_KEEP, QQ_IDLE_SECS


def daemon(inst):
    pid = qng.queue_daemon_pid(inst)
    qng.wait_until(lambda: os.path.exists(inst.path(SOCK)), 15, what="its socket")
    return pid


children = qng.child_pids  # the workers: the daemon's children


class Request:
    """A client of the daemon with its pipes still open: the message and the
    envelope are written (and their pipes closed) when the test says so."""

    def __init__(self, inst, send=True):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.connect(inst.path(SOCK))
        self.msg_rd, self.msg_wr = os.pipe()
        self.env_rd, self.env_wr = os.pipe()
        if send:
            socket.send_fds(self.sock, [b"Q"], [self.msg_rd, self.env_rd])
        os.close(self.msg_rd)
        os.close(self.env_rd)

    def worker(self, daemon_pid):
        """The worker whose fd 0 is this request's message pipe."""
        want = "pipe:[%d]" % os.fstat(self.msg_wr).st_ino

        def find():
            for pid in children(daemon_pid):
                try:
                    if os.readlink("/proc/%d/fd/0" % pid) == want:
                        return pid
                except OSError:
                    continue
            return None
        return qng.wait_until(find, 10, interval=0.02, what="the request's worker")

    def finish(self, msg, env):
        os.write(self.msg_wr, msg)
        os.close(self.msg_wr)
        os.write(self.env_wr, env)
        os.close(self.env_wr)
        self.msg_wr = self.env_wr = -1

    def answer(self, timeout=20):
        self.sock.settimeout(timeout)
        try:
            b = self.sock.recv(16)
        finally:
            self.sock.close()
            for fd in (self.msg_wr, self.env_wr):
                if fd >= 0:
                    os.close(fd)
        assert len(b) == 1, "the daemon answered %r" % b
        return b[0]


def envelope(rcpt=ALICE):
    return b"Freuse@remote.example\0T" + rcpt.encode() + b"\0\0"


def message(tid):
    return ("To: %s\nSubject: %s\n\n%s\n" % (ALICE, tid, tid)).encode()


def queue_direct(inst, tid, env=None):
    r = Request(inst)
    r.finish(message(tid), envelope() if env is None else env)
    return r.answer()


def smtp_send(inst, tid):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=15) as s:
        s.sendmail("someone@remote.example", [ALICE], "Subject: %s\r\n\r\n%s\r\n" % (tid, tid))


def worker_pid_of(inst, tid):
    """The pid in the delivered message's "Received: (qmail PID invoked" line."""
    data = qng.wait_for_mail(inst.maildir(), tid)[0][1]
    for line in data.split(b"\n"):
        if line.startswith(b"Received: (qmail "):
            return int(line.split()[2])
    raise AssertionError("no Received line from qmail-queue")


def test_one_worker_queues_many_messages(fresh):
    dpid = daemon(fresh)
    tids = [qng.test_id() for _ in range(12)]
    for tid in tids:
        smtp_send(fresh, tid)
    pids = {worker_pid_of(fresh, tid) for tid in tids}
    assert dpid not in pids
    # One after another: the same idle worker takes each (a fork per message
    # would show twelve pids).
    assert len(pids) <= 2, pids


def test_idle_worker_holds_nothing_of_its_message(fresh):
    """Between messages a worker has /dev/null on fds 0 and 1, its channel
    and /dev/null above, and no lock or file of the queue: qmail-clean may
    remove an orphan at once only when no process holds its flock."""
    dpid = daemon(fresh)
    assert queue_direct(fresh, qng.test_id()) == QQ_OK
    idle = qng.wait_until(lambda: children(dpid), 10, what="an idle worker")
    assert len(idle) == 1, idle
    fds = {int(fd): os.readlink("/proc/%d/fd/%s" % (idle[0], fd))
           for fd in os.listdir("/proc/%d/fd" % idle[0])}
    assert fds[0] == fds[1] == "/dev/null", fds
    assert set(fds) == {0, 1, 2, 3, 4}, fds
    assert not any(fresh.path("queue") in target for target in fds.values()), fds
    with open("/proc/locks") as f:
        holders = [line.split()[4] for line in f if "FLOCK" in line]
    assert str(idle[0]) not in holders


def test_worker_killed_mid_message(fresh):
    """SIGKILL while the client streams: a temporary failure for that client
    (QQ_BUG), and the next message queues (on a new worker)."""
    dpid = daemon(fresh)
    r = Request(fresh)
    os.write(r.msg_wr, b"Subject: half\n\nhalf a mess")
    victim = r.worker(dpid)
    os.kill(victim, signal.SIGKILL)
    assert r.answer() == QQ_BUG
    tid = qng.test_id()
    smtp_send(fresh, tid)
    assert worker_pid_of(fresh, tid) != victim


def test_worker_killed_while_idle(fresh):
    dpid = daemon(fresh)
    assert queue_direct(fresh, qng.test_id()) == QQ_OK
    idle = qng.wait_until(lambda: children(dpid), 10, what="an idle worker")
    for pid in idle:
        os.kill(pid, signal.SIGKILL)
    qng.wait_until(lambda: not set(idle) & set(children(dpid)), 10, what="the workers gone")
    tid = qng.test_id()
    assert queue_direct(fresh, tid) == QQ_OK
    assert worker_pid_of(fresh, tid) not in idle


def test_failed_message_does_not_reach_the_next(fresh):
    """A refused envelope ends its worker with the code; the next message,
    on the same daemon, is queued whole."""
    daemon(fresh)
    bad = qng.test_id()
    assert queue_direct(fresh, bad, env=b"Xnot an envelope\0\0") == QQ_ENVELOPE_FORMAT
    tid = qng.test_id()
    assert queue_direct(fresh, tid) == QQ_OK
    qng.wait_for_mail(fresh.maildir(), tid)
    qng.assert_no_mail(fresh.maildir(), bad, settle=1.0)
    qng.assert_qcheck(fresh)


def test_busy_workers_at_once(fresh):
    """Three clients streaming at once hold three workers; a fourth message
    still goes through; each client then gets its own answer."""
    dpid = daemon(fresh)
    reqs = [Request(fresh) for _ in range(3)]
    busy = {r.worker(dpid) for r in reqs}
    assert len(busy) == 3
    tid = qng.test_id()
    smtp_send(fresh, tid)
    assert worker_pid_of(fresh, tid) not in busy
    tids = [qng.test_id() for _ in reqs]
    for r, t in zip(reqs, tids):
        r.finish(message(t), envelope())
    assert [r.answer() for r in reqs] == [QQ_OK] * 3
    for t in tids:
        qng.wait_for_mail(fresh.maildir(), t)


@pytest.mark.timeout_s(120)
def test_silent_client_times_out_alone(fresh):
    """A client that connects and never sends its request holds one worker
    until the receive timeout, then gets QQ_READ_ERROR; meanwhile other
    messages are queued at once."""
    daemon(fresh)
    silent = Request(fresh, send=False)
    started = time.monotonic()
    tid = qng.test_id()
    smtp_send(fresh, tid)
    assert queue_direct(fresh, qng.test_id()) == QQ_OK
    assert time.monotonic() - started < 10
    assert silent.answer(timeout=RECV_TIMEOUT_S + 20) == QQ_READ_ERROR
    assert time.monotonic() - started >= RECV_TIMEOUT_S - 1


def test_sigterm_lets_busy_worker_finish(fresh):
    dpid = daemon(fresh)
    r = Request(fresh)
    r.worker(dpid)
    assert queue_direct(fresh, qng.test_id()) == QQ_OK   # leaves an idle worker
    os.kill(dpid, signal.SIGTERM)
    qng.wait_until(lambda: not os.path.exists(fresh.path(SOCK)), 10, what="the socket gone")
    assert qng.queue_daemon_pid(fresh, timeout=0) == dpid   # still working
    tid = qng.test_id()
    r.finish(message(tid), envelope())
    assert r.answer() == QQ_OK
    qng.wait_until(lambda: not os.path.exists("/proc/%d" % dpid) or
                   open("/proc/%d/stat" % dpid).read().split()[2] == "Z",
                   10, what="the daemon to exit")
    qng.wait_for_mail(fresh.maildir(), tid)
    qng.wait_until(lambda: "queue daemon exited (status 0)" in fresh.log_text("send"), 10,
                   what="its exit status 0 in the log")


@pytest.mark.timeout_s(300)
def test_worker_retired_after_its_messages(fresh):
    """After QQ_WORKER_MESSAGES messages a worker exits and a fresh one
    takes the next message."""
    dpid = daemon(fresh)
    assert queue_direct(fresh, qng.test_id()) == QQ_OK
    first = qng.wait_until(lambda: children(dpid), 10, what="an idle worker")
    assert len(first) == 1, first
    tid = qng.test_id()
    for _ in range(WORKER_MESSAGES - 2):
        assert queue_direct(fresh, tid) == QQ_OK
    assert first[0] in children(dpid)   # one message left
    assert queue_direct(fresh, tid) == QQ_OK
    qng.wait_until(lambda: first[0] not in children(dpid), 10, what="the worker retired")
    last = qng.test_id()
    assert queue_direct(fresh, last) == QQ_OK
    assert worker_pid_of(fresh, last) != first[0]


@pytest.mark.timeout_s(120)
def test_surplus_idle_workers_exit(fresh):
    """After a burst, idle workers beyond QQ_IDLE_KEEP exit once idle for
    QQ_IDLE_SECS; the ones kept still queue."""
    dpid = daemon(fresh)
    reqs = [Request(fresh) for _ in range(IDLE_KEEP + 3)]
    busy = {r.worker(dpid) for r in reqs}
    assert len(busy) == len(reqs)
    for r in reqs:
        r.finish(message(qng.test_id()), envelope())
    assert [r.answer() for r in reqs] == [QQ_OK] * len(reqs)
    idle_from = time.monotonic()
    assert set(children(dpid)) == busy
    qng.wait_until(lambda: len(children(dpid)) == IDLE_KEEP, IDLE_SECS + 15, interval=0.5,
                   what="the surplus idle workers gone")
    assert time.monotonic() - idle_from >= IDLE_SECS - 1
    assert set(children(dpid)) <= busy
    tid = qng.test_id()
    assert queue_direct(fresh, tid) == QQ_OK
    assert worker_pid_of(fresh, tid) in busy
