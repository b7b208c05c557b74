"""SMTP AUTH SCRAM-SHA-256 (RFC 5802, RFC 7677) on the server side (issue
#4's stretch): off by default, turned on per client by tcprules with
SMTPAUTH="+scram" (or "+cram+scram"); users need a SCRAM secret
(`qmailctl user add --scram`); D-10 and D-11 hold as for PLAIN/LOGIN.  The
clients: GNU SASL's gsasl (a real SMTP SCRAM client, Debian's gsasl) and a
small RFC 5802 client here that can also misbehave on purpose.

Runs through the supervisor's own smtp service (STARTTLS; the TLS proxy
runs `qmail-checkpassword --scram`), in root and user mode.  Clients come
from different loopback addresses so each test meets its own tcprules row
and per-IP failure budget:
  127.0.0.1  SMTPAUTH="+scram"
  127.0.0.2  no SMTPAUTH (SCRAM off)
  127.0.0.3  SMTPAUTH="+cram+scram" (the per-IP budget test)
  127.0.0.4  SMTPAUTH="+scram" (the other tests that fail on purpose)
  127.0.0.5  SMTPAUTH="+scram" (three failures in one session)
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
from tls_fixture import auth_plain, session_from, started_instance

ERIN = "erin@" + qng.DOMAIN      # added with --scram
ERIN_PW = "erin-scram-pw-5"
FRANK = "frank@" + qng.DOMAIN    # --cram --scram, later passwd without
FRANK_PW = "frank,pw=4"          # ',' and '=' are only escaped in names

RULES = ('127.0.0.2:allow\n'
         '127.0.0.3:allow,SMTPAUTH="+cram+scram"\n'
         '127.:allow,SMTPAUTH="+scram"\n'
         ':allow\n')


class ScramInstance(qng.Instance):
    def init(self):
        super().init()
        self.ctl("user", "add", ERIN, "--password-stdin", "--scram", input=ERIN_PW + "\n")
        self.ctl("user", "add", FRANK, "--cram", "--scram", "--password-stdin",
                 input=FRANK_PW + "\n")
        self.write_file("control/tcprules/smtp", RULES)
        self.ctl("cdb")
        return self


@pytest.fixture(scope="module", params=MODES)
def sinst(request, session):
    yield from started_instance(session, request.param, ScramInstance)


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def saslname(user):
    return user.replace("=", "=3D").replace(",", "=2C")


class Scram:
    """One client side of the exchange (RFC 5802 3)."""

    def __init__(self, user, pw, cnonce=None, gs2="n,,"):
        self.pw = pw.encode()
        self.cnonce = cnonce or b64(os.urandom(18))
        self.gs2 = gs2
        self.bare = "n=%s,r=%s" % (saslname(user), self.cnonce)

    def first(self):
        return b64(self.gs2 + self.bare)

    def final(self, server_first, proof_xor=0, nonce=None, cbind=None):
        self.sfirst = server_first
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        self.salt, self.iter = base64.b64decode(attrs["s"]), int(attrs["i"])
        self.nonce = attrs["r"]
        salted = hashlib.pbkdf2_hmac("sha256", self.pw, self.salt, self.iter)
        ck = hmac.new(salted, b"Client Key", "sha256").digest()
        without = "c=%s,r=%s" % (cbind or b64(self.gs2), nonce or self.nonce)
        auth = ",".join([self.bare, server_first, without]).encode()
        sig = hmac.new(hashlib.sha256(ck).digest(), auth, "sha256").digest()
        proof = bytes(a ^ b for a, b in zip(ck, sig))
        proof = bytes([proof[0] ^ proof_xor]) + proof[1:]
        sk = hmac.new(salted, b"Server Key", "sha256").digest()
        self.server_sig = hmac.new(sk, auth, "sha256").digest()
        return b64(without + ",p=" + b64(proof))


def scram(c, user, pw, initial=True, **kw):
    """AUTH SCRAM-SHA-256: (code, text, seconds for the final step, client)."""
    s = Scram(user, pw, **{k: kw.pop(k) for k in ("cnonce", "gs2") if k in kw})
    if initial:
        code, text = c.docmd("AUTH", "SCRAM-SHA-256 " + s.first())
    else:
        code, text = c.docmd("AUTH", "SCRAM-SHA-256")
        assert (code, text) == (334, b""), (code, text)
        code, text = c.docmd(s.first())
    assert code == 334, (code, text)
    server_first = base64.b64decode(text).decode()
    assert server_first.startswith("r=" + s.cnonce), server_first
    t = time.monotonic()
    code, text = c.docmd(s.final(server_first, **kw))
    dt = time.monotonic() - t
    if code != 334:
        return code, text, dt, s
    assert base64.b64decode(text).decode() == "v=" + b64(s.server_sig), text
    code, text = c.docmd("")
    return code, text, dt, s


def gsasl(inst, user, pw):
    """GNU SASL's client (from 127.0.0.1): STARTTLS, then AUTH SCRAM-SHA-256
    (exit 0 = 235)."""
    return subprocess.run(
        ["gsasl", "--smtp", "--connect", "127.0.0.1:%d" % inst.port, "--starttls",
         "--x509-ca-file=", "-m", "SCRAM-SHA-256", "-a", user, "-p", pw, "--no-cb",
         "--verbose"],
        input=b"", capture_output=True, timeout=60)


def test_gsasl_and_relay(sinst):
    p = gsasl(sinst, ERIN, ERIN_PW)
    out = (p.stdout + p.stderr).decode(errors="replace")
    assert p.returncode == 0, out
    assert "235 2.7.0 authentication successful, user " + ERIN in out, out
    p = gsasl(sinst, ERIN, "wrong-" + ERIN_PW)
    assert p.returncode != 0
    assert "535 5.7.8" in (p.stdout + p.stderr).decode(errors="replace")
    # authenticated: may relay, and the message goes through
    tid = qng.test_id()
    c = session_from(sinst)
    code, text, _, _ = scram(c, ERIN, ERIN_PW)
    assert code == 235 and text.endswith(ERIN.encode()), (code, text)
    assert c.docmd("MAIL", "FROM:<%s>" % ERIN)[0] == 250
    assert c.docmd("RCPT", "TO:<someone@remote.invalid>")[0] == 250
    assert c.docmd("RCPT", "TO:<%s>" % qng.ALICE)[0] == 250
    c.data(("Subject: scram %s\r\n\r\nbody\r\n" % tid).encode())
    c.close()
    qng.wait_for_mail(sinst.maildir(), tid.encode())
    qng.wait_until(lambda: "mech=SCRAM-SHA-256" in sinst.log_text(), 10,
                   what="auth log line")


def test_offered_only_with_smtpauth(sinst):
    c = session_from(sinst, "127.0.0.2")
    assert c.esmtp_features.get("auth", "").split() == ["PLAIN", "LOGIN"]
    assert c.docmd("AUTH", "SCRAM-SHA-256")[0] == 504
    c.close()
    c = session_from(sinst, "127.0.0.1")
    assert c.esmtp_features.get("auth", "").split() == ["PLAIN", "LOGIN", "SCRAM-SHA-256"]
    assert c.docmd("AUTH", "CRAM-MD5")[0] == 504
    c.close()
    c = session_from(sinst, "127.0.0.3")
    feats = c.esmtp_features.get("auth", "").split()
    assert feats == ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"], feats
    c.close()
    with qng.RawSMTP(sinst.port) as r:   # D-10
        qng.expect(r.cmd("AUTH SCRAM-SHA-256"), 538, "5.7.11")


def test_exchange_variants(sinst):
    """No initial response; "y,," (client could bind, server offers no
    -PLUS); an authzid equal to the user; names with ',' and '=' in the
    password; server nonces differ between exchanges."""
    c = session_from(sinst)
    code, _, _, s1 = scram(c, FRANK, FRANK_PW, initial=False)
    assert code == 235
    c.close()
    c = session_from(sinst)
    code, _, _, s2 = scram(c, FRANK, FRANK_PW, gs2="y,,")
    assert code == 235
    c.close()
    c = session_from(sinst)
    code, _, _, _ = scram(c, FRANK, FRANK_PW, gs2="n,a=%s," % FRANK)
    assert code == 235
    c.close()
    assert s1.nonce != s2.nonce and s1.salt == s2.salt and s1.iter == s2.iter >= 4096
    assert re.fullmatch(r"[A-Za-z0-9+/]{24}", s1.nonce[len(s1.cnonce):]), s1.nonce


def test_refused_messages(sinst):
    """Channel binding asked for, another authzid, an m= extension, a
    malformed message: 501, nothing checked; a wrong c= or nonce: 535."""
    c = session_from(sinst, "127.0.0.4")
    for first in ("p=tls-exporter,,n=%s,r=abc" % FRANK, "n,a=x@y,n=%s,r=abc" % FRANK,
                  "n,,m=x,n=%s,r=abc" % FRANK, "n,,n=,r=abc", "n,,n=a=2Cb=XX,r=abc",
                  "garbage"):
        code, text = c.docmd("AUTH", "SCRAM-SHA-256 " + b64(first))
        assert code == 501, (first, code, text)
    code, text = c.docmd("AUTH", "SCRAM-SHA-256 not-base64!")
    assert code == 501, (code, text)
    # a response after the server-first that is not a client-final
    code, text = c.docmd("AUTH", "SCRAM-SHA-256 " + Scram(FRANK, "x").first())
    assert code == 334
    assert c.docmd(b64("c=biws"))[0] == 501
    # cancelled after the server-first
    assert c.docmd("AUTH", "SCRAM-SHA-256 " + Scram(FRANK, "x").first())[0] == 334
    assert c.docmd("*")[0] == 501
    c.close()
    c = session_from(sinst, "127.0.0.4")
    code, text, dt, _ = scram(c, FRANK, FRANK_PW, cbind=b64("y,,"))
    assert code == 535 and dt >= 0.95, (code, text, dt)
    code, text, dt, _ = scram(c, FRANK, FRANK_PW, nonce="someone-elses-nonce")
    assert code == 535 and dt >= 0.95, (code, text, dt)
    c.close()


def test_equal_failures(sinst):
    """D-11: an unknown user, a user without a SCRAM secret and a wrong
    password get the same replies, the same kind of salt, the same
    iteration count and the same pause; the unknown user's salt is the
    same every time (it does not give the user away)."""
    c = session_from(sinst, "127.0.0.4")
    results = {}
    for name, user, pw in (("unknown", "nobody@" + qng.DOMAIN, "x"),
                           ("nosecret", qng.ALICE, qng.ALICE_PW),
                           ("wrong", ERIN, "not-" + ERIN_PW)):
        code, text, dt, s = scram(c, user, pw)
        results[name] = (code, text, s.iter, len(s.salt))
        assert code == 535 and text.startswith(b"5.7.8") and 0.95 <= dt < 3, (name, dt)
        if name != "wrong":
            c.close()
            c = session_from(sinst, "127.0.0.4")
    c.close()
    assert len({r for r in results.values()}) == 1, results
    c = session_from(sinst, "127.0.0.4")
    salts = [scram(c, "nobody@" + qng.DOMAIN, "x")[3].salt for _ in range(2)]
    c.close()
    assert salts[0] == salts[1]


def test_third_failure_and_ip_budget(sinst):
    c = session_from(sinst, "127.0.0.5")
    assert scram(c, ERIN, "bad1")[0] == 535
    assert scram(c, ERIN, "bad2")[0] == 535
    code, text, _, _ = scram(c, ERIN, "bad3")
    assert code == 421 and text.startswith(b"4.7.0"), (code, text)
    c.close()
    fails, last = 0, None
    while fails < 10:
        c = session_from(sinst, "127.0.0.3")
        while fails < 10:
            last = scram(c, ERIN, "wrong")
            fails += 1
            if last[0] == 421:
                break
        c.close()
    assert last[0] == 421 and b"from your address" in last[1], last
    c = session_from(sinst, "127.0.0.3")
    code, text = c.docmd("AUTH", "SCRAM-SHA-256 " + Scram(ERIN, ERIN_PW).first())
    assert code == 421 and b"from your address" in text, (code, text)
    c.close()


def secret_of(inst, user):
    line = [l for l in open(inst.path("users", "vpasswd")).read().splitlines()
            if l.startswith(user + ":")][0]
    return line.split(":")


def test_secret_stored_and_dropped(sinst):
    """The 7th field is "iter,salt,StoredKey,ServerKey", the same as
    gsasl --mkpasswd makes from the password with that salt and what
    Dovecot's `doveadm pw -t` verifies; passwd without
    --scram drops it, and SCRAM fails for the user while PLAIN works."""
    f = secret_of(sinst, ERIN)
    assert len(f) == 7 and f[5] == "", f
    it, salt, _, _ = f[6].split(",")
    assert int(it) == 10000 and len(base64.b64decode(salt)) == 16
    p = subprocess.run(["gsasl", "--mkpasswd", "-m", "SCRAM-SHA-256", "-p", ERIN_PW,
                        "--salt", salt, "--iteration-count", it],
                       capture_output=True, timeout=30)
    assert p.stdout.decode().strip() == "{SCRAM-SHA-256}" + f[6], p.stdout
    # Dovecot's SCRAM-SHA-256 scheme reads the same field and verifies it
    for pw, ok in ((ERIN_PW, True), ("not-" + ERIN_PW, False)):
        p = subprocess.run(["doveadm", "pw", "-t", "{SCRAM-SHA-256}" + f[6], "-p", pw],
                           capture_output=True, timeout=30)
        assert (p.returncode == 0 and b"(verified)" in p.stdout) == ok, (pw, p)
    assert ERIN_PW not in open(sinst.path("users", "vpasswd")).read()
    assert re.fullmatch(r"[0-9a-f]{64}", open(sinst.path("users", "scramkey")).read())
    g = secret_of(sinst, FRANK)
    assert len(g) == 7 and re.fullmatch("[0-9a-f]{64}", g[5]), g
    sinst.ctl("user", "passwd", FRANK, "--password-stdin", input=FRANK_PW + "\n")
    assert len(secret_of(sinst, FRANK)) == 5
    c = session_from(sinst, "127.0.0.4")
    assert scram(c, FRANK, FRANK_PW)[0] == 535
    assert c.docmd("AUTH", "PLAIN " + auth_plain(FRANK, FRANK_PW))[0] == 235
    c.close()
    sinst.ctl("user", "passwd", FRANK, "--scram", "--password-stdin", input=FRANK_PW + "\n")
    c = session_from(sinst)
    assert scram(c, FRANK, FRANK_PW)[0] == 235
    c.close()


def scram_check(inst, req):
    """qmail-checkpassword --scram directly, the request on fd 3."""
    argv = ["sh", "-c", 'exec "$0" --scram 3<&0 </dev/null', inst.bin("qmail-checkpassword")]
    p = subprocess.run(inst.argv(argv), input=req, capture_output=True, timeout=30)
    return p.returncode, p.stdout


def test_checkpassword_scram_mode(sinst):
    rc, out = scram_check(sinst, b"salt\0" + ERIN.upper().encode() + b"\0")
    assert rc == 0 and re.fullmatch(rb"10000,[A-Za-z0-9+/]{22}==\n", out), (rc, out)
    assert out.decode().split(",")[1].strip() == secret_of(sinst, ERIN)[6].split(",")[1]
    s = Scram(ERIN, ERIN_PW)
    snonce = "srvnonce"
    server_first = "r=%s%s,s=%s,i=10000" % (s.cnonce, snonce, out.decode().split(",")[1].strip())
    final = base64.b64decode(s.final(server_first)).decode()
    without, proof = final.rsplit(",p=", 1)
    auth = ",".join([s.bare, server_first, without]).encode()
    req = b"proof\0" + ERIN.encode() + b"\0" + auth + b"\0" + proof.encode() + b"\0"
    rc, out = scram_check(sinst, req)
    assert rc == 0 and out.strip() == b64(s.server_sig).encode(), (rc, out)
    rc, out = scram_check(sinst, req.replace(b"proof\0" + ERIN.encode(),
                                             b"proof\0" + FRANK.encode()))
    assert (rc, out) == (1, b"")
    for bad in (b"", b"salt\0", b"salt\0\0", b"salt\0" + ERIN.encode(), b"what\0x\0",
                b"proof\0" + ERIN.encode() + b"\0", b"salt\0a\0b\0c\0d\0"):
        assert scram_check(sinst, bad)[0] == 2, bad
