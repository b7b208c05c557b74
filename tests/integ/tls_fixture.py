"""A TLS-enabled qmail-listen started by hand for the TLS/AUTH tests.

qmail-super does not yet start the submission and smtps services with the
TLS flags (-S, -Z), so these tests run qmail-listen from the instance's
bin/ exactly as the supervisor would, as the instance owner (user mode:
one uid; the proxy is then only protected by PR_SET_DUMPABLE).
"""

import base64
import os
import smtplib
import ssl
import signal
import socket
import subprocess
import time

import qng


class TLSListener:
    def __init__(self, inst, mode="-S", env=None, smtpd_args=(), listen_args=()):
        self.inst = inst
        self.port = qng.free_port()
        self.log = inst.path("log", "tls-%d.log" % self.port)
        argv = [inst.bin("qmail-listen"), mode] + list(listen_args) + ["-s", "tls-test", "127.0.0.1",
                str(self.port), inst.bin("qmail-smtpd")] + list(smtpd_args)
        logf = open(self.log, "ab")
        if qng.is_root():
            os.chown(self.log, inst.uid, inst.gid)
        self.proc = subprocess.Popen(inst.argv(argv, env), stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=logf, start_new_session=True)
        logf.close()
        qng.wait_until(self._accepts, 15, what="qmail-listen on %d" % self.port)

    def _accepts(self):
        if self.proc.poll() is not None:
            raise qng.QngError("qmail-listen exited: " + self.text())
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def text(self):
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")

    def listener_pid(self):
        """qmail-listen itself (runuser may sit between us and it)."""
        for pid in self.inst.pids("qmail-listen"):
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    if str(self.port).encode() in f.read().split(b"\0"):
                        if os.getppid() != pid:
                            return pid
            except OSError:
                pass
        return None

    def hup(self):
        pids = [p for p in self.inst.pids("qmail-listen")
                if self._ppid(p) not in self.inst.pids("qmail-listen")]
        for pid in pids:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if str(self.port).encode() in f.read().split(b"\0"):
                    os.kill(pid, signal.SIGHUP)

    @staticmethod
    def _ppid(pid):
        try:
            with open("/proc/%d/stat" % pid) as f:
                return int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            return -1

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        time.sleep(0.2)


def client_ctx(**kw):
    """A client context that accepts the instance's self-signed certificate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for k, v in kw.items():
        setattr(ctx, k, v)
    return ctx


def checkpassword_script(accepts):
    """A checkpassword program in Python: it reads fd 3 (fields NUL-split
    into f, checkpassword's and cmd5checkpw's interface), exits 2 when
    there are fewer than 3, runs its arguments when the expression accepts
    is true and exits 1 otherwise."""
    return """#!/usr/bin/python3
import hashlib, hmac, os, sys
data = b""
while True:
    b = os.read(3, 4096)
    if not b:
        break
    data += b
f = data.split(b"\\0")
if len(f) < 3:
    sys.exit(2)
if %s:
    os.execvp(sys.argv[1], sys.argv[1:])
sys.exit(1)
""" % accepts


def auth_plain(user, pw):
    """The initial response of AUTH PLAIN (RFC 4616)."""
    return base64.b64encode(b"\0" + user.encode() + b"\0" + pw.encode()).decode()


def tls_session(port, implicit=False, src=None):
    """An smtplib session on port from src (an address, default any) after
    TLS (STARTTLS, or implicit TLS from the start) and EHLO."""
    source = (src, 0) if src else None
    if implicit:
        c = smtplib.SMTP_SSL("127.0.0.1", port, timeout=30, source_address=source,
                             context=client_ctx())
    else:
        c = smtplib.SMTP("127.0.0.1", port, timeout=30, source_address=source)
        c.ehlo("client.test")
        c.starttls(context=client_ctx())
    c.ehlo("client.test")
    return c


def session_from(inst, src="127.0.0.1", tls=True):
    """An smtplib session to inst's smtp port from loopback address src,
    after EHLO (and STARTTLS and EHLO again when tls)."""
    c = smtplib.SMTP("127.0.0.1", inst.port, timeout=30, source_address=(src, 0))
    c.ehlo("client.test")
    if tls:
        c.starttls(context=client_ctx())
        c.ehlo("client.test")
    return c


def started_instance(session, mode, cls=qng.Instance):
    """A started instance (cls, in mode) with its smtp port listening, for a
    module fixture; torn down after."""
    i = qng.started(cls(session, mode), after=lambda i: i.wait_listening())
    yield i
    i.teardown()


def user_instance(session):
    """A started user-mode instance for a module fixture; torn down after."""
    yield from started_instance(session, "user")


def cert_serial(port, starttls=True):
    """The serial of the certificate the server on port presents."""
    args = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port]
    if starttls:
        args += ["-starttls", "smtp"]
    p = subprocess.run(args, input=b"", capture_output=True, timeout=30)
    x = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=p.stdout,
                       capture_output=True, timeout=30)
    return x.stdout.strip()


def new_cert_pem(d):
    """A fresh self-signed key + certificate for qng.ME, made in directory d."""
    os.makedirs(d)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                    "2", "-subj", "/CN=" + qng.ME, "-keyout", d + "/k", "-out", d + "/c"],
                   check=True, capture_output=True, timeout=60)
    return open(d + "/k", "rb").read() + open(d + "/c", "rb").read()
