"""STARTTLS proxies reused across sessions (listen_tlspool.c, issue #4).

A proxy serves a session, then waits for the next one; contexts reloaded
on SIGHUP retire the proxies that hold the old ones; a proxy that dies is
replaced; a session never sees bytes of the one before it."""

import os
import re
import signal
import socket
import smtplib
import time

import pytest

import qng
from tls_fixture import TLSListener, cert_serial, client_ctx, new_cert_pem, tls_session, user_instance


@pytest.fixture(scope="module")
def tinst(session):
    yield from user_instance(session)


@pytest.fixture
def lst(tinst):
    listener = TLSListener(tinst, "-S")
    yield listener
    listener.stop()


def tls_pids(lst):
    """The proxy pid of each completed handshake, in order ("tcpserver: tls
    PID IP VERSION CIPHER", written by the proxy)."""
    return [int(m) for m in re.findall(r"tcpserver: tls (\d+) \S+ TLSv", lst.text())]


def one_session(port, tid):
    with tls_session(port) as c:
        c.sendmail(qng.ALICE, [qng.ALICE], "Subject: %s\r\n\r\npool %s\r\n" % (tid, tid))


def wait_sessions(lst, n):
    return qng.wait_until(lambda: (lambda p: p if len(p) >= n else None)(tls_pids(lst)),
                          15, what="%d TLS handshakes in the log" % n)


def assert_one_proxy_served(tinst, lst, tids):
    """Every message arrived over TLS, and one proxy, started beside the
    programs (not above them), served every handshake."""
    for tid in tids:
        data = qng.wait_for_mail(tinst.maildir(), tid)[0][1]
        assert b"with ESMTPS" in data
    pids = wait_sessions(lst, len(tids))
    assert len(set(pids)) == 1, "each session had a new proxy: %s" % pids
    assert re.search(r"tcpserver: tls proxy %d for \d+" % pids[0], lst.text())


def test_sequential_sessions_share_one_proxy(tinst, lst):
    tids = [qng.test_id() for _ in range(3)]
    for tid in tids:
        one_session(lst.port, tid)
        time.sleep(0.5)  # the proxy reports ready before the next STARTTLS
    pids = wait_sessions(lst, 3)
    assert len(set(pids)) == 1, "each session had a new proxy: %s" % pids
    for tid in tids:
        qng.wait_for_mail(tinst.maildir(), tid)
    # the proxy is alive between sessions, still the listener's child
    pid = pids[0]
    assert os.path.exists("/proc/%d" % pid)
    assert TLSListener._ppid(pid) == lst.listener_pid()


def test_reload_retires_proxies_with_old_contexts(tinst, session, lst):
    one_session(lst.port, qng.test_id())
    first = wait_sessions(lst, 1)[0]
    before = cert_serial(lst.port)
    pem = new_cert_pem(os.path.join(session.base, "pool-cert-%d" % lst.port))
    with open(tinst.path("control", "servercert.pem"), "rb") as f:
        old = f.read()
    tinst.write_file("control/servercert.pem", pem, 0o600)
    try:
        lst.hup()
        qng.wait_until(lambda: cert_serial(lst.port) not in (before, b""), 15,
                       what="the new certificate")
        qng.wait_until(lambda: not os.path.exists("/proc/%d" % first), 10,
                       what="the old proxy to exit")
        tid = qng.test_id()
        one_session(lst.port, tid)
        qng.wait_for_mail(tinst.maildir(), tid)
        assert first not in tls_pids(lst)[2:]
    finally:
        tinst.write_file("control/servercert.pem", old, 0o600)


def test_killed_idle_proxy_is_replaced(tinst, lst):
    one_session(lst.port, qng.test_id())
    pid = wait_sessions(lst, 1)[0]
    time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    qng.wait_until(lambda: "tls proxy %d ended status 9" % pid in lst.text(), 10,
                   what="the listener to reap the proxy")
    tid = qng.test_id()
    one_session(lst.port, tid)
    qng.wait_for_mail(tinst.maildir(), tid)
    pids = wait_sessions(lst, 2)
    assert pids[1] != pid


def test_next_session_starts_clean(tinst, lst):
    """Bytes a client leaves behind (after QUIT, a half-sent command) do not
    reach the next session that the same proxy serves."""
    c = smtplib.SMTP("127.0.0.1", lst.port, timeout=20)
    c.ehlo("client.test")
    c.starttls(context=client_ctx())
    c.ehlo("client.test")
    c.sock.sendall(b"QUIT\r\nMAIL FROM:<leftover@example.test>\r\nRCPT TO:<x")
    c.sock.recv(4096)
    c.close()
    time.sleep(0.5)
    tid = qng.test_id()
    with smtplib.SMTP("127.0.0.1", lst.port, timeout=20) as c2:
        c2.ehlo("client.test")
        c2.starttls(context=client_ctx())
        c2.ehlo("client.test")
        code, text = c2.docmd("RCPT", "TO:<%s>" % qng.ALICE)
        assert code == 503, "RCPT before MAIL accepted: state leaked (%r)" % text
        c2.sendmail(qng.ALICE, [qng.ALICE], "Subject: %s\r\n\r\nclean\r\n" % tid)
    data = qng.wait_for_mail(tinst.maildir(), tid)[0][1]
    assert b"leftover" not in data
    pids = wait_sessions(lst, 2)
    assert pids[0] == pids[1]


def test_implicit_tls_sessions_share_one_proxy(tinst):
    """smtps (-Z): the proxy starts the handshake at once, the program is
    started on the plaintext end, and the proxy is reused as for STARTTLS."""
    lst = TLSListener(tinst, "-Z")
    try:
        tids = [qng.test_id() for _ in range(3)]
        for tid in tids:
            with tls_session(lst.port, implicit=True) as c:
                c.sendmail(qng.ALICE, [qng.ALICE], "Subject: %s\r\n\r\nsmtps\r\n" % tid)
            time.sleep(0.5)
        assert_one_proxy_served(tinst, lst, tids)
    finally:
        lst.stop()


def test_implicit_tls_without_certificate_closes(tinst):
    cert = tinst.path("control", "servercert.pem")
    os.rename(cert, cert + ".away")
    try:
        lst = TLSListener(tinst, "-Z")
    finally:
        os.rename(cert + ".away", cert)
    try:
        with socket.create_connection(("127.0.0.1", lst.port), timeout=10) as s:
            assert s.recv(100) == b"", "an smtps port without a certificate spoke"
        qng.wait_until(lambda: "tcpserver: notls" in lst.text(), 10, what="notls logged")
        assert "tls proxy" not in lst.text()
    finally:
        lst.stop()


@pytest.mark.parametrize("mode", ["-hS", "-hZ"])
def test_reverse_lookup_path_uses_the_pool(tinst, mode):
    """-h (a child of the listener does the reverse lookup and execs the
    program): TLS is set up by the loop and served by pooled proxies too."""
    lst = TLSListener(tinst, mode)
    try:
        tids = [qng.test_id() for _ in range(2)]
        for tid in tids:
            with tls_session(lst.port, implicit=mode == "-hZ") as c:
                c.sendmail(qng.ALICE, [qng.ALICE], "Subject: %s\r\n\r\nh\r\n" % tid)
            time.sleep(0.5)
        assert_one_proxy_served(tinst, lst, tids)
    finally:
        lst.stop()
