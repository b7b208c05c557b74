"""qmail-rspawn's qmail-remote zygote (src/cmd/qmail-rspawn/rzygote.h):
qmail-remote started once as qmailr and forked per delivery; $QMAILREMOTE
and a lost zygote fall back to running qmail-remote per delivery."""

import os
import pwd
import signal
import smtplib

import pytest

import qng
from remote_peers import free_tcp_port, peers  # noqa: F401

RCPT = "bob@dest.example"


def zygote_pid(inst):
    """The qmail-remote process with no arguments whose parent is
    qmail-rspawn (kept sessions are the zygote's children)."""
    for pid in inst.pids("qmail-remote"):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if len([a for a in f.read().split(b"\0") if a]) != 1:
                    continue
            if qng.parent_comm(pid) == "qmail-rspawn":
                return pid
        except OSError:
            continue
    return None


def send(inst, peer, tid):
    inst.write_control("smtproutes", "dest.example:%s:%d" % (peer.host, peer.port))
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("alice@example.test", [RCPT],
                   "Subject: %s\r\n\r\nbody %s\r\n" % (tid, tid))


def got(peer, tid, n):
    msgs = peer.wait_messages(n, timeout=60)
    return any(tid.encode() in m["data"] for m in msgs)


@pytest.mark.timeout_s(120)
def test_deliveries_fork_from_the_zygote(fresh, peers):  # noqa: F811
    p = peers()
    t1, t2 = qng.test_id(), qng.test_id()
    send(fresh, p, t1)
    assert got(p, t1, 1)
    pid = qng.wait_until(lambda: zygote_pid(fresh), 10, what="the qmail-remote zygote")
    with open("/proc/%d/status" % pid) as f:
        uid = [l.split()[1] for l in f if l.startswith("Uid:")][0]
    if fresh.mode == "root":
        assert int(uid) == pwd.getpwnam("qmailr").pw_uid
    if os.geteuid() == 0:  # the zygote is non-dumpable: only root reads its environ
        with open("/proc/%d/environ" % pid, "rb") as f:
            assert b"LD_BIND_NOW=1" in f.read().split(b"\0")  # zygote.h ZYGOTE_BIND_NOW
    send(fresh, p, t2)
    assert got(p, t2, 2)
    assert zygote_pid(fresh) == pid, "the zygote was replaced"
    qng.wait_until(lambda: "success" in fresh.log_text("send"), 10, what="success in the log")


@pytest.mark.timeout_s(120)
def test_lost_zygote_falls_back(fresh, peers):  # noqa: F811
    p = peers()
    t1, t2 = qng.test_id(), qng.test_id()
    send(fresh, p, t1)
    assert got(p, t1, 1)
    pid = qng.wait_until(lambda: zygote_pid(fresh), 10, what="the qmail-remote zygote")
    os.kill(pid, signal.SIGKILL)
    send(fresh, p, t2)
    assert got(p, t2, 2)
    qng.wait_until(lambda: "qmail-remote zygote" in fresh.log_text("send"), 20,
                   what="the fallback in the log")


@pytest.mark.timeout_s(120)
def test_flush_retries_a_host_that_came_back(fresh, peers):  # noqa: F811
    """`qmailctl flush` also clears the connection-failure table: a host
    that refused connections and is back gets the mail at once."""
    port = free_tcp_port("127.0.0.1")
    fresh.write_control("smtproutes", "dest.example:127.0.0.1:%d" % port)
    tids = [qng.test_id() for _ in range(3)]
    for tid in tids:     # two failures in a row put the address in backoff
        with smtplib.SMTP("127.0.0.1", fresh.port, timeout=30) as s:
            s.sendmail("alice@example.test", [RCPT], "Subject: %s\r\n\r\nbody\r\n" % tid)
    qng.wait_until(lambda: fresh.log_text("send").count("Connection refused") >= 2, 30,
                   what="two refused connections")
    # The flush must come after the third delivery is deferred too (refused,
    # or backing off): one still under way during the flush is deferred
    # after it and retried only minutes later.
    qng.wait_until(lambda: fresh.log_text("send").count(": deferral: ") >= 3, 30,
                   what="all three deliveries deferred")
    p = peers(port=port)
    fresh.ctl("flush")
    msgs = p.wait_messages(3, timeout=20)
    assert all(any(t.encode() in m["data"] for m in msgs) for t in tids)
