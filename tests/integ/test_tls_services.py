"""STARTTLS, smtps and submission+AUTH through the supervisor's own services
(issue #4), in both modes: root (privilege-separated: TLS proxy as qmailt,
qmail-smtpd as qmaild) and the ordinary-user instance.

The instance is made with `qmailctl init --listen smtp=... --listen
submission=... --listen smtps=...`; `qmailctl init` puts a self-signed
control/servercert.pem in place, so qmail-super starts the three listeners
with -S / -Z itself (no hand-started qmail-listen as in tls_fixture.py).
"""

import base64
import os
import pwd
import smtplib
import socket
import subprocess

import pytest

import qng
from conftest import MODES
from tls_fixture import cert_serial, client_ctx, new_cert_pem


class TLSInstance(qng.Instance):
    """An Instance with smtp, submission and smtps on free ports."""

    def init(self):
        self.sub_port = qng.free_port()
        self.smtps_port = qng.free_port()
        args = ["init", "--me", qng.ME,
                "--listen", "smtp=127.0.0.1:%d" % self.port,
                "--listen", "submission=127.0.0.1:%d" % self.sub_port,
                "--listen", "smtps=127.0.0.1:%d" % self.smtps_port]
        for svc in ("pop3", "pop3s", "qmtp", "qmqp"):
            args += ["--listen", svc + "=off"]
        self.ctl(*args)
        self.ctl("domain", "add", qng.DOMAIN)
        self.ctl("user", "add", qng.ALICE, "--password-stdin", input=qng.ALICE_PW + "\n")
        return self

    def wait_all(self, timeout=20):
        for port in (self.port, self.sub_port, self.smtps_port):
            qng.wait_until(lambda p=port: _accepts(p), timeout, interval=0.1,
                           what="listener on port %d" % port)


def _accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module", params=MODES)
def tinst(request, session):
    i = qng.started(TLSInstance(session, request.param), after=lambda i: i.wait_all())
    yield i
    i.teardown()


def msg(tid, subject="tls-services"):
    return ("From: %s\r\nTo: %s\r\nSubject: %s %s\r\n\r\nbody %s\r\n"
            % (qng.ALICE, qng.ALICE, subject, tid, tid))


def b64(s):
    return base64.b64encode(s.encode()).decode()


def test_submission_starttls_auth_plain_delivers(tinst):
    tid = qng.test_id()
    with smtplib.SMTP("127.0.0.1", tinst.sub_port, timeout=30) as c:
        c.ehlo("client.test")
        assert c.has_extn("starttls")
        assert not c.has_extn("auth"), "D-10: AUTH offered before TLS"
        c.starttls(context=client_ctx())
        c.ehlo("client.test")
        assert c.sock.version() in ("TLSv1.2", "TLSv1.3")
        assert "PLAIN" in c.esmtp_features["auth"].upper()
        code, text = c.docmd("AUTH", "PLAIN " + base64.b64encode(
            b"\0" + qng.ALICE.encode() + b"\0" + qng.ALICE_PW.encode()).decode())
        assert code == 235, text
        assert qng.ALICE.encode() in text
        c.sendmail(qng.ALICE, [qng.ALICE], msg(tid))
    got = qng.wait_for_mail(tinst.maildir(), tid)
    data = got[0][1]
    assert b"ESMTPSA" in data, data[:600]
    assert b"version=TLSv1." in data and b"cipher=" in data


def test_submission_without_auth_refused(tinst):
    with smtplib.SMTP("127.0.0.1", tinst.sub_port, timeout=30) as c:
        c.starttls(context=client_ctx())
        c.ehlo("client.test")
        code, _ = c.docmd("MAIL", "FROM:<%s>" % qng.ALICE)
        if code == 250:
            code, _ = c.docmd("RCPT", "TO:<%s>" % qng.ALICE)
        assert code // 100 == 5, code


def test_smtps_auth_login_delivers(tinst):
    tid = qng.test_id()
    with smtplib.SMTP_SSL("127.0.0.1", tinst.smtps_port, timeout=30, context=client_ctx()) as c:
        c.ehlo("client.test")
        assert c.sock.version() in ("TLSv1.2", "TLSv1.3")
        assert "LOGIN" in c.esmtp_features["auth"].upper()
        code, _ = c.docmd("AUTH", "LOGIN")
        assert code == 334
        code, _ = c.docmd(b64(qng.ALICE))
        assert code == 334
        code, text = c.docmd(b64(qng.ALICE_PW))
        assert code == 235, text
        c.sendmail(qng.ALICE, [qng.ALICE], msg(tid, "smtps"))
    got = qng.wait_for_mail(tinst.maildir(), tid)
    assert b"ESMTPSA" in got[0][1]


def test_swaks_tls_auth_submission(tinst):
    tid = qng.test_id()
    for mech in ("PLAIN", "LOGIN"):
        p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(tinst.sub_port),
                            "--tls", "--auth", mech, "--auth-user", qng.ALICE,
                            "--auth-password", qng.ALICE_PW, "--from", qng.ALICE,
                            "--to", qng.ALICE, "--header", "Subject: swaks " + tid,
                            "--body", "swaks " + mech + " " + tid],
                           capture_output=True, timeout=60)
        out = p.stdout.decode(errors="replace")
        assert p.returncode == 0, out[-2000:]
        assert "235 2.7.0" in out
    qng.wait_for_mail(tinst.maildir(), tid, n=2)


def s_client(port, starttls=True, extra=()):
    args = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-brief"]
    if starttls:
        args += ["-starttls", "smtp"]
    p = subprocess.run(args + list(extra), input=b"QUIT\r\n", capture_output=True, timeout=30)
    return p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


@pytest.mark.parametrize("svc", ["smtp", "submission"])
def test_openssl_s_client_tls13(tinst, svc):
    port = tinst.port if svc == "smtp" else tinst.sub_port
    out = s_client(port)
    assert "Protocol version: TLSv1.3" in out, out


def test_openssl_smtps_tls13(tinst):
    out = s_client(tinst.smtps_port, starttls=False)
    assert "Protocol version: TLSv1.3" in out, out


# -- root mode: privilege separation, seen from /proc ------------------------

def proc_uid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    return None


def user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def ppid_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def session_processes(inst, port):
    """With one TLS session open on port: the uids of the processes serving
    it, as (proxies, smtpds).  The listener forks the proxy; the proxy forks
    qmail-smtpd (listen_tls.c)."""
    listeners = set()
    for pid in inst.pids("qmail-listen"):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if str(port).encode() in f.read().split(b"\0"):
                    listeners.add(pid)
        except OSError:
            pass
    tree = {}
    for pid in inst.pids():
        try:
            tree[pid] = (ppid_of(pid), qng.exe_name(pid), proc_uid(pid))
        except OSError:
            continue
    top = {p for p in listeners if tree.get(p, (0,))[0] not in listeners}
    proxy_pids = {p for p, (pp, name, _) in tree.items()
                  if pp in top and name == "qmail-listen"}
    proxies = [tree[p][2] for p in proxy_pids]
    smtpds = [u for p, (pp, name, u) in tree.items()
              if name == "qmail-smtpd" and (pp in proxy_pids or pp in top)]
    return proxies, smtpds


@pytest.mark.rootonly
@pytest.mark.parametrize("svc", ["smtp", "submission", "smtps"])
def test_root_roles_from_proc(tinst, svc):
    assert tinst.mode == "root"
    port = {"smtp": tinst.port, "submission": tinst.sub_port, "smtps": tinst.smtps_port}[svc]
    if svc == "smtps":
        c = smtplib.SMTP_SSL("127.0.0.1", port, timeout=30, context=client_ctx())
    else:
        c = smtplib.SMTP("127.0.0.1", port, timeout=30)
        c.starttls(context=client_ctx())
    try:
        c.ehlo("client.test")
        found = qng.wait_until(
            lambda: (lambda r: r if r[0] and r[1] else None)(
                session_processes(tinst, port)),
            10, what="the session's proxy and qmail-smtpd")
        proxies, smtpds = found
        for u in proxies:
            assert set(user_name(x) for x in u) == {"qmailt"}, u
        for u in smtpds:
            assert set(user_name(x) for x in u) == {"qmaild"}, u
    finally:
        c.close()


@pytest.mark.rootonly
@pytest.mark.parametrize("rel", ["control/servercert.pem", "users/vpasswd.cdb"])
def test_root_qmaild_cannot_read_secrets(tinst, rel):
    assert tinst.mode == "root"
    path = tinst.path(rel)
    assert os.path.exists(path)
    p = subprocess.run(["runuser", "-u", "qmaild", "--", "cat", path],
                       capture_output=True, timeout=30)
    assert p.returncode != 0 and not p.stdout, "qmaild can read " + rel


# -- certificate reload ----------------------------------------------------

@pytest.mark.timeout_s(150)
def test_reload_new_certificate(tinst, session):
    before = {p: cert_serial(p, p != tinst.smtps_port)
              for p in (tinst.port, tinst.sub_port, tinst.smtps_port)}
    for v in before.values():
        assert v.startswith(b"serial="), before
    # a session open across the reload continues, on the old certificate
    c = smtplib.SMTP("127.0.0.1", tinst.sub_port, timeout=30)
    c.starttls(context=client_ctx())
    c.ehlo("client.test")
    pem = new_cert_pem(os.path.join(session.base, "reload-cert-%d" % tinst.port))
    old = os.stat(tinst.path("control", "servercert.pem"))
    tinst.write_file("control/servercert.pem", pem, 0o600)
    if qng.is_root():
        os.chown(tinst.path("control", "servercert.pem"), old.st_uid, old.st_gid)
    pids = {s: tinst.stat_pid(s) for s in ("smtp", "submission", "smtps")}
    tinst.ctl("reload")
    for p, v in before.items():
        qng.wait_until(lambda p=p, v=v: cert_serial(p, p != tinst.smtps_port) not in (v, b""),
                       20, interval=0.3, what="new certificate on port %d" % p)
    assert {s: tinst.stat_pid(s) for s in pids} == pids, "a reload restarted a listener"
    code, text = c.docmd("AUTH", "PLAIN " + base64.b64encode(
        b"\0" + qng.ALICE.encode() + b"\0" + qng.ALICE_PW.encode()).decode())
    assert code == 235, text
    tid = qng.test_id()
    c.sendmail(qng.ALICE, [qng.ALICE], msg(tid, "across-reload"))
    c.quit()
    qng.wait_for_mail(tinst.maildir(), tid)
