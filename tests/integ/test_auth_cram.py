"""SMTP AUTH CRAM-MD5 (RFC 2195) on the server side (issue #4): off by
default, turned on per client by tcprules with SMTPAUTH="+cram" (the qmail
AUTH patches' convention); users need a CRAM secret (`qmailctl user add
--cram`); D-10 and D-11 hold as for PLAIN/LOGIN; an external checkpassword
program in cmd5checkpw's convention works unchanged.

Runs through the supervisor's own smtp service (STARTTLS, the TLS proxy
runs the password check), in root and user mode.  Clients come from
different loopback addresses so that each test meets its own tcprules row
and per-IP failure budget:
  127.0.0.1  SMTPAUTH="+cram"
  127.0.0.2  no SMTPAUTH (CRAM-MD5 off)
  127.0.0.3  SMTPAUTH="+cram" (the per-IP budget test)
  127.0.0.4  SMTPAUTH="+cram" (the other tests that fail on purpose)
"""

import base64
import hashlib
import hmac
import os
import re
import subprocess
import time

import pytest

import qng
from conftest import MODES
from tls_fixture import auth_plain, checkpassword_script, session_from, started_instance

CAROL = "carol@" + qng.DOMAIN      # added with --cram
CAROL_PW = "carol-cram-pw-7"
DAVE = "dave@" + qng.DOMAIN        # --cram, then passwd without --cram
DAVE_PW = "dave-pw-3"
EXT_USER = "ext-user"              # known only to the external program
EXT_PW = "ext-secret-9"

RULES = ('127.0.0.2:allow\n'
         '127.:allow,SMTPAUTH="+cram"\n'
         ':allow\n')

# cmd5checkpw's interface: fd 3 holds user NUL digest NUL challenge NUL.
EXT_CHECKPW = checkpassword_script(
    "f[0] == %r and hmac.compare_digest(hmac.new(%r, f[2], hashlib.md5).hexdigest().encode(), "
    "f[1])" % (EXT_USER.encode(), EXT_PW.encode()))


class CramInstance(qng.Instance):
    def init(self):
        super().init()
        self.ctl("user", "add", CAROL, "--password-stdin", "--cram", input=CAROL_PW + "\n")
        self.ctl("user", "add", DAVE, "--cram", "--password-stdin", input=DAVE_PW + "\n")
        self.write_file("control/tcprules/smtp", RULES)
        self.ctl("cdb")
        return self


@pytest.fixture(scope="module", params=MODES)
def cinst(request, session):
    yield from started_instance(session, request.param, CramInstance)


def cram(c, user, pw, digest=None):
    """One AUTH CRAM-MD5 exchange: (code, text, challenge, seconds)."""
    code, text = c.docmd("AUTH", "CRAM-MD5")
    assert code == 334, (code, text)
    chal = base64.b64decode(text)
    if digest is None:
        digest = hmac.new(pw.encode(), chal, hashlib.md5).hexdigest()
    t = time.monotonic()
    code, text = c.docmd(base64.b64encode(("%s %s" % (user, digest)).encode()).decode())
    return code, text, chal, time.monotonic() - t


def swaks(inst, user, pw, src, tid):
    return subprocess.run(
        ["swaks", "--server", "127.0.0.1", "--port", str(inst.port), "--tls",
         "--local-interface", src, "--auth", "CRAM-MD5", "--auth-user", user,
         "--auth-password", pw, "--from", qng.ALICE, "--to", qng.ALICE,
         "--header", "Subject: cram " + tid, "--body", "body " + tid],
        capture_output=True, timeout=60)


def test_swaks_cram_delivers_and_relays(cinst):
    tid = qng.test_id()
    p = swaks(cinst, CAROL, CAROL_PW, "127.0.0.1", tid)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, out
    assert "AUTH PLAIN LOGIN CRAM-MD5" in out, out
    assert "235 2.7.0 authentication successful, user " + CAROL in out, out
    qng.wait_for_mail(cinst.maildir(), tid.encode())
    # authenticated: may relay (the 127. row has no RELAYCLIENT)
    c = session_from(cinst)
    code, text, chal, _ = cram(c, CAROL, CAROL_PW)
    assert code == 235, text
    assert re.fullmatch(rb"<\d+\.\d+@" + re.escape(qng.ME.encode()) + rb">", chal), chal
    assert c.docmd("MAIL", "FROM:<%s>" % CAROL)[0] == 250
    assert c.docmd("RCPT", "TO:<someone@remote.invalid>")[0] == 250
    c.close()
    qng.wait_until(lambda: "mech=CRAM-MD5" in cinst.log_text(), 10, what="auth log line")


def test_challenges_differ_and_cancel(cinst):
    c = session_from(cinst)
    seen = set()
    for _ in range(3):
        code, text = c.docmd("AUTH", "CRAM-MD5")
        assert code == 334
        seen.add(text)
        assert c.docmd("*")[0] == 501
    assert len(seen) == 3
    # CRAM-MD5 has no initial response (RFC 2195)
    assert c.docmd("AUTH", "CRAM-MD5 " + base64.b64encode(b"x y").decode())[0] == 501
    # a response that is not "user SP 32 hex digits"
    assert c.docmd("AUTH", "CRAM-MD5")[0] == 334
    assert c.docmd(base64.b64encode(CAROL.encode() + b" 1234").decode())[0] == 501
    # PLAIN still works for a --cram user
    assert c.docmd("AUTH", "PLAIN " + auth_plain(CAROL, CAROL_PW))[0] == 235
    c.close()


def test_off_without_smtpauth(cinst):
    c = session_from(cinst, "127.0.0.2")
    auth = [l for l in c.esmtp_features.get("auth", "").split()]
    assert auth == ["PLAIN", "LOGIN"], auth
    assert c.docmd("AUTH", "CRAM-MD5")[0] == 504
    assert c.docmd("AUTH", "PLAIN " + auth_plain(CAROL, CAROL_PW))[0] == 235
    c.close()
    c = session_from(cinst, "127.0.0.1")
    assert c.esmtp_features.get("auth", "").split() == ["PLAIN", "LOGIN", "CRAM-MD5"]
    c.close()


def test_not_before_tls(cinst):
    with qng.RawSMTP(cinst.port) as c:
        code, texts = c.cmd("EHLO x")
        assert not any(t.startswith("AUTH") for t in texts), texts
        qng.expect(c.cmd("AUTH CRAM-MD5"), 538, "5.7.11")


def test_user_without_cram_secret(cinst):
    """ALICE has no CRAM secret; DAVE loses his with passwd without --cram:
    both get 535 after the D-11 pause, like a wrong password."""
    c = session_from(cinst, "127.0.0.4")
    code, text, _, dt = cram(c, qng.ALICE, qng.ALICE_PW)
    assert code == 535 and text.startswith(b"5.7.8") and dt >= 0.95, (code, text, dt)
    c.close()
    c = session_from(cinst)
    assert cram(c, DAVE, DAVE_PW)[0] == 235
    c.close()
    cinst.ctl("user", "passwd", DAVE, "--password-stdin", input=DAVE_PW + "\n")
    line = [l for l in open(cinst.path("users", "vpasswd")).read().splitlines()
            if l.startswith(DAVE + ":")][0]
    assert line.count(":") == 4, line   # the CRAM secret is gone
    c = session_from(cinst, "127.0.0.4")
    code, text, _, dt = cram(c, DAVE, DAVE_PW)
    assert code == 535 and dt >= 0.95, (code, text, dt)
    assert c.docmd("AUTH", "PLAIN " + auth_plain(DAVE, DAVE_PW))[0] == 235
    c.close()
    cinst.ctl("user", "passwd", DAVE, "--cram", "--password-stdin", input=DAVE_PW + "\n")
    c = session_from(cinst)
    assert cram(c, DAVE, DAVE_PW)[0] == 235
    c.close()


def test_cram_secret_stored_not_password(cinst):
    text = open(cinst.path("users", "vpasswd")).read()
    line = [l for l in text.splitlines() if l.startswith(CAROL + ":")][0]
    secret = line.rsplit(":", 1)[1]
    assert re.fullmatch("[0-9a-f]{64}", secret), line
    assert CAROL_PW not in text
    # Dovecot's CRAM-MD5 scheme keeps the same 32 bytes
    p = subprocess.run(["doveadm", "pw", "-s", "CRAM-MD5", "-p", CAROL_PW],
                       capture_output=True, timeout=30)
    if p.returncode == 0:
        assert p.stdout.decode().strip() == "{CRAM-MD5}" + secret


def test_wrong_digest_counts_as_failure(cinst):
    c = session_from(cinst, "127.0.0.4")
    assert cram(c, CAROL, "x", digest="0" * 32)[0] == 535
    assert c.docmd("AUTH", "PLAIN " + auth_plain(CAROL, "wrong"))[0] == 535
    code, text, _, _ = cram(c, CAROL, "wrong-password")
    assert code == 421 and text.startswith(b"4.7.0"), (code, text)
    c.close()


def test_wrong_digest_uses_ip_budget(cinst):
    """Wrong digests use up the address's budget (AUTH_IP_FAIL_MAX, 10) as
    wrong passwords do; then even the right digest gets 421."""
    fails = 0
    replies = []
    while fails < 10:
        c = session_from(cinst, "127.0.0.3")
        while fails < 10:
            code, text, _, _ = cram(c, CAROL, "wrong")
            fails += 1
            replies.append((code, text))
            if code == 421:
                break
        c.close()
    assert all(code in (535, 421) for code, _ in replies[:-1]), replies
    assert replies[-1][0] == 421 and b"from your address" in replies[-1][1], replies
    c = session_from(cinst, "127.0.0.3")
    code, text, _, _ = cram(c, CAROL, CAROL_PW)
    assert code == 421 and b"from your address" in text, (code, text)
    c.close()


def test_external_checkpassword(cinst):
    """A CRAM-capable checkpassword program (cmd5checkpw convention) gets
    user NUL digest NUL challenge NUL and accepts a swaks CRAM-MD5 login."""
    prog = cinst.write_file("bin/cram-checkpw-test", EXT_CHECKPW, mode=0o755)
    ctl_file = cinst.path("control", "checkpassword")
    before = open(ctl_file).read() if os.path.exists(ctl_file) else None
    cinst.write_control("checkpassword", prog)
    try:
        tid = qng.test_id()
        p = swaks(cinst, EXT_USER, EXT_PW, "127.0.0.1", tid)
        out = p.stdout.decode(errors="replace")
        assert p.returncode == 0 and "235 2.7.0" in out, out
        qng.wait_for_mail(cinst.maildir(), tid.encode())
        c = session_from(cinst, "127.0.0.4")
        assert cram(c, EXT_USER, "not-the-secret")[0] == 535
        c.close()
    finally:
        if before is None:
            os.unlink(ctl_file)
        else:
            cinst.write_file("control/checkpassword", before)


def checkpassword(inst, user, password, stamp):
    """qmail-checkpassword directly: user NUL password NUL stamp NUL on fd 3."""
    data = b"\0".join([user.encode(), password.encode(), stamp, b""])
    argv = ["sh", "-c", 'exec "$0" /bin/true 3<&0 </dev/null', inst.bin("qmail-checkpassword")]
    p = subprocess.run(inst.argv(argv), input=data, capture_output=True, timeout=30)
    return p.returncode


def test_checkpassword_interface(cinst):
    """cmd5checkpw's convention on qmail-checkpassword itself; a password
    that is 32 hex digits still works through yescrypt, --cram or not."""
    chal = b"<12345.678@" + qng.ME.encode() + b">"
    dig = hmac.new(CAROL_PW.encode(), chal, hashlib.md5).hexdigest()
    assert checkpassword(cinst, CAROL, dig, chal) == 0
    assert checkpassword(cinst, CAROL, dig.upper(), chal) == 0
    assert checkpassword(cinst, CAROL, dig, chal + b"x") == 1
    assert checkpassword(cinst, CAROL, CAROL_PW, chal) == 0
    assert checkpassword(cinst, "nobody@" + qng.DOMAIN, dig, chal) == 1
    hexpw = "0123456789abcdef0123456789abcdef"
    for user, flags in (("hex1@" + qng.DOMAIN, []), ("hex2@" + qng.DOMAIN, ["--cram"])):
        cinst.ctl("user", "add", user, "--password-stdin", *flags, input=hexpw + "\n")
        assert checkpassword(cinst, user, hexpw, b"<1@x>") == 0
        assert checkpassword(cinst, user, hexpw[::-1], b"<1@x>") == 1
        cinst.ctl("user", "del", user)
    # --cram is for add and passwd only
    p = cinst.ctl("user", "path", CAROL, "--cram", check=False)
    assert p.returncode != 0
