"""Connection reuse (qmail-rspawn rsession.h, docs/PROTOCOLS.md "Connection
reuse"): a qmail-remote delivery that leaves the connection clean keeps it
for control/remotereusetime seconds, and the next delivery to the same
domain goes over it; a connection the peer dropped while idle is replaced
without a failure; remotereusetime 0 turns reuse off."""

import smtplib
import socket
import threading
import time

import pytest

import qng
from remote_peers import peers  # noqa: F401

DOMAIN = "dest.example"


def route(inst, host, port, reuse=None, concurrency="1"):
    inst.write_control("smtproutes", "%s:%s:%d" % (DOMAIN, host, port))
    inst.write_control("concurrencyremote", concurrency)
    if reuse is not None:
        inst.write_control("remotereusetime", reuse)
    # A restart, not a reload: the first messages must already see
    # concurrencyremote 1 (a reload is applied asynchronously).
    inst.restart()
    inst.wait_listening()


def send_many(inst, tids, rcpt="bob@" + DOMAIN):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        for tid in tids:
            s.sendmail("alice@example.test", [rcpt], "Subject: %s\r\n\r\nbody %s\r\n" % (tid, tid))


def delivered(peer, tids):
    msgs = peer.wait_messages(len(tids), timeout=60)
    for tid in tids:
        assert any(tid.encode() in m["data"] for m in msgs), tid
    return msgs


def kept_sessions(inst):
    """qmail-remote processes that are children of the zygote."""
    out = []
    for pid in inst.pids("qmail-remote"):
        try:
            if qng.parent_comm(pid) == "qmail-remote":
                out.append(pid)
        except OSError:
            continue
    return out


@pytest.mark.timeout_s(120)
def test_deliveries_share_one_connection(fresh, peers):  # noqa: F811
    p = peers()
    route(fresh, p.host, p.port)
    tids = [qng.test_id() for _ in range(6)]
    send_many(fresh, tids)
    msgs = delivered(p, tids)
    clients = {m["client"] for m in msgs}
    # Without reuse each message has its own connection (6 here).
    assert len(clients) <= 2, clients
    # the peer has the last message a moment before qmail-send logs it
    qng.wait_until(lambda: fresh.log_text("send").count("success") >= 6, 15,
                   what="six successes in the send log")


@pytest.mark.timeout_s(120)
def test_reuse_off(fresh, peers):  # noqa: F811
    p = peers()
    route(fresh, p.host, p.port, reuse="0")
    tids = [qng.test_id() for _ in range(4)]
    send_many(fresh, tids)
    msgs = delivered(p, tids)
    assert len({m["client"] for m in msgs}) == 4
    assert kept_sessions(fresh) == []


@pytest.mark.timeout_s(120)
def test_idle_session_quits_after_reuse_time(fresh, peers):  # noqa: F811
    p = peers()
    route(fresh, p.host, p.port, reuse="1")
    t1, t2 = qng.test_id(), qng.test_id()
    send_many(fresh, [t1])
    delivered(p, [t1])
    qng.wait_until(lambda: kept_sessions(fresh) == [], 10, what="the idle session to end")
    send_many(fresh, [t2])
    msgs = delivered(p, [t1, t2])
    assert len({m["client"] for m in msgs}) == 2


class DroppingPeer:
    """An SMTP peer that serves one message per connection and then, on
    the next MAIL of that connection, drops it without a reply: what a
    server that timed out an idle connection looks like to the client."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.messages = []
        self.connections = 0
        self.drops = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            conn.settimeout(20)
            conn.sendall(b"220 drop.test ESMTP\r\n")
            f = conn.makefile("rb")
            served, data = 0, None
            for line in f:
                if data is not None:
                    if line == b".\r\n":
                        self.messages.append(b"".join(data))
                        served += 1
                        data = None
                        conn.sendall(b"250 2.0.0 ok\r\n")
                    else:
                        data.append(line)
                    continue
                word = line[:4].upper()
                if word == b"MAIL" and served:
                    self.drops += 1
                    return
                if word == b"DATA":
                    data = []
                    conn.sendall(b"354 go\r\n")
                elif word == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")

    def stop(self):
        self.sock.close()


@pytest.mark.timeout_s(120)
def test_connection_dropped_while_idle_is_replaced(fresh):
    p = DroppingPeer()
    try:
        route(fresh, "127.0.0.1", p.port, reuse="10")
        tids = [qng.test_id() for _ in range(3)]
        send_many(fresh, tids)
        qng.wait_until(lambda: len(p.messages) >= 3, 60, what="three messages at the peer")
        for tid in tids:
            assert any(tid.encode() in m for m in p.messages)
        assert p.drops >= 1, "the kept connection was never reused"
        time.sleep(0.5)
        log = fresh.log_text("send")
        assert log.count("success") >= 3
        assert "deferral" not in log and "failure" not in log
    finally:
        p.stop()
