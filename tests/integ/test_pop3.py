"""POP3: qmail-popup -> qmail-checkpassword -> qmail-pop3d (issue 5).

Driven with Python's poplib and a byte-exact raw client; fetchmail and
getmail6 live in test_pop3_clients.py.  Every test runs in each mode
(root: popup's network half as qmaild, pop3d as qmailv; user: all as the
instance owner)."""

import base64
import glob
import os
import poplib
import smtplib
import socket
import time

import pytest

import qng
from qng import ALICE, ALICE_PW, DOMAIN

SERVICES = ("submission", "smtps", "pop3s", "qmtp", "qmqp")


def pop3_instance(session, mode, start=True):
    inst = qng.Instance(session, mode)
    inst.pop3_port = qng.free_port()
    args = ["init", "--me", qng.ME, "--listen", "smtp=127.0.0.1:%d" % inst.port,
            "--listen", "pop3=127.0.0.1:%d" % inst.pop3_port]
    for svc in SERVICES:
        args += ["--listen", svc + "=off"]
    try:
        inst.ctl(*args)
        inst.ctl("domain", "add", DOMAIN)
        inst.ctl("user", "add", ALICE, "--password-stdin", input=ALICE_PW + "\n")
        if start:
            inst.start()
            qng.wait_until(lambda: port_open(inst.pop3_port), 15, what="pop3 listener")
    except BaseException:
        inst.teardown()
        raise
    return inst


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module", params=qng.is_root() and ["root", "user"] or ["user"])
def pinst(request, session):
    i = pop3_instance(session, request.param)
    yield i
    i.teardown()


@pytest.fixture(params=qng.is_root() and ["root", "user"] or ["user"])
def pfresh(request, session):
    i = pop3_instance(session, request.param)
    yield i
    i.teardown()


SEQ = [0]


def put_msg(inst, data, addr=ALICE, sub="new", info=""):
    """Drops a message into addr's Maildir as its owner would."""
    md = inst.maildir(addr)
    SEQ[0] += 1
    name = "%d.M%dP%dQ%d.pop3test%s" % (time.time(), SEQ[0], os.getpid(), SEQ[0], info)
    path = os.path.join(md, sub, name)
    tmp = os.path.join(md, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    st = os.stat(os.path.join(md, sub))
    if qng.is_root():
        os.chown(tmp, st.st_uid, st.st_gid)
    os.rename(tmp, path)
    return name


def clear_box(inst, addr=ALICE):
    md = inst.maildir(addr)
    for sub in ("new", "cur"):
        for f in glob.glob(os.path.join(md, sub, "*")):
            os.unlink(f)


def box_files(inst, addr=ALICE):
    md = inst.maildir(addr)
    return {sub: sorted(os.listdir(os.path.join(md, sub))) for sub in ("new", "cur")}


def login(inst, user=ALICE, pw=ALICE_PW):
    p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
    p.user(user)
    p.pass_(pw)
    return p


class Raw:
    """Byte-exact POP3 client for hostile input."""

    def __init__(self, port, timeout=15):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.greeting = self.line()

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def cmd(self, data):
        self.send((data if isinstance(data, bytes) else data.encode()) + b"\r\n")
        return self.line()

    def multi(self):
        lines = []
        while True:
            l = self.line()
            assert l is not None, "connection closed inside a multi-line reply"
            if l == b".":
                return lines
            lines.append(l)

    def closed(self, timeout=3.0):
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def has_cert(inst):
    return os.path.exists(inst.path("control", "servercert.pem"))


def tls_ctx():
    import ssl
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def raw_stls(inst, before=b""):
    """Raw client that sends before + STLS, then does the TLS handshake."""
    if not has_cert(inst):
        pytest.skip("no certificate (openssl missing)")
    r = Raw(inst.pop3_port)
    r.send(before + b"STLS\r\n")
    for _ in range(before.count(b"\r\n")):
        r.line()
    assert r.line() == b"+OK Begin TLS negotiation"
    assert r.buf == b""
    r.sock = tls_ctx().wrap_socket(r.sock)
    return r


def raw_login(inst):
    r = Raw(inst.pop3_port)
    assert r.greeting.startswith(b"+OK <"), r.greeting
    assert r.cmd("USER " + ALICE).startswith(b"+OK")
    assert r.cmd("PASS " + ALICE_PW).startswith(b"+OK")
    return r


# -- AUTHORIZATION -----------------------------------------------------------

def test_greeting_and_capa_before_auth(pinst):
    r = Raw(pinst.pop3_port)
    assert r.greeting.startswith(b"+OK <") and r.greeting.endswith(b">"), r.greeting
    assert r.cmd("CAPA").startswith(b"+OK")
    capa = r.multi()
    for want in (b"USER", b"SASL PLAIN", b"TOP", b"UIDL", b"RESP-CODES"):
        assert want in capa, capa
    # STLS is offered when a certificate is in place (qmail-listen -S)
    assert (b"STLS" in capa) == has_cert(pinst), capa
    assert r.cmd("QUIT").startswith(b"+OK")
    assert r.closed()


def test_commands_before_auth_refused(pinst):
    r = Raw(pinst.pop3_port)
    for c in ("STAT", "LIST", "RETR 1", "DELE 1", "UIDL", "TOP 1 0", "RSET", "NOOP"):
        assert r.cmd(c).startswith(b"-ERR"), c
    assert r.cmd("PASS x").startswith(b"-ERR")       # PASS without USER
    assert r.cmd("XYZZY").startswith(b"-ERR")
    assert r.cmd("USER").startswith(b"-ERR")
    assert r.cmd("QUIT").startswith(b"+OK")


def test_poplib_session(pinst):
    clear_box(pinst)
    body = b"Subject: one\n\nline1\n.dotted\n..two dots\nlast"
    put_msg(pinst, body)
    put_msg(pinst, b"Subject: two\nX-H: y\n\nb1\nb2\nb3\n")
    p = login(pinst)
    assert p.stat() == (2, len(body) + len(b"Subject: two\nX-H: y\n\nb1\nb2\nb3\n"))
    resp, items, _ = p.list()
    assert [i.split()[0] for i in items] == [b"1", b"2"]
    resp, lines, _ = p.retr(1)
    assert lines == [b"Subject: one", b"", b"line1", b".dotted", b"..two dots", b"last"]
    resp, lines, _ = p.top(2, 1)
    assert lines == [b"Subject: two", b"X-H: y", b"", b"b1"]
    resp, lines, _ = p.top(2, 0)
    assert lines == [b"Subject: two", b"X-H: y", b""]
    uids = [u.split()[1] for u in p.uidl()[1]]
    assert len(set(uids)) == 2
    assert p.dele(1).startswith(b"+OK")
    assert p.stat()[0] == 1
    p.quit()
    files = box_files(pinst)
    assert files["new"] == [] and len(files["cur"]) == 1, files
    assert files["cur"][0].endswith(":2,"), files
    assert files["cur"][0].split(":")[0] == uids[1].decode()


def test_wire_format_is_crlf_and_stuffed(pinst):
    clear_box(pinst)
    put_msg(pinst, b"Subject: s\n\n.\n.x\nCRLF line\r\nend")
    r = raw_login(pinst)
    r.send(b"RETR 1\r\n")
    data = b""
    while not data.endswith(b"\r\n.\r\n"):
        chunk = r.sock.recv(65536)
        assert chunk
        data += chunk
    data = r.buf + data
    assert data.split(b"\r\n", 1)[1] == b"Subject: s\r\n\r\n..\r\n..x\r\nCRLF line\r\nend\r\n.\r\n", data
    r.close()


def test_uidl_stable_across_sessions(pinst):
    clear_box(pinst)
    name = put_msg(pinst, b"Subject: u\n\nx\n")
    p = login(pinst)
    u1 = p.uidl(1).split()[2]
    p.quit()
    p = login(pinst)
    assert p.uidl(1).split()[2] == u1 == name.encode()
    p.quit()


def test_smtp_delivery_then_pop3(pinst):
    clear_box(pinst)
    tid = qng.test_id()
    with smtplib.SMTP("127.0.0.1", pinst.port, timeout=15) as s:
        s.sendmail("pop@remote.example", [ALICE], "Subject: %s\r\n\r\nhello %s\r\n" % (tid, tid))
    qng.wait_for_mail(pinst.maildir(), tid)
    p = login(pinst)
    resp, lines, octets = p.retr(1)
    assert b"hello " + tid.encode() in lines
    p.dele(1)
    p.quit()
    assert box_files(pinst) == {"new": [], "cur": []}


def test_auth_plain(pinst):
    clear_box(pinst)
    put_msg(pinst, b"Subject: a\n\nx\n")
    tok = base64.b64encode(b"\0" + ALICE.encode() + b"\0" + ALICE_PW.encode()).decode()
    r = Raw(pinst.pop3_port)
    assert r.cmd("AUTH PLAIN " + tok).startswith(b"+OK")
    assert r.cmd("STAT").startswith(b"+OK 1 ")
    assert r.cmd("QUIT").startswith(b"+OK")
    r = Raw(pinst.pop3_port)
    assert r.cmd("AUTH PLAIN") == b"+ "
    assert r.cmd(tok).startswith(b"+OK")
    assert r.cmd("CAPA").startswith(b"+OK")
    capa = r.multi()
    assert b"SASL PLAIN" not in capa and b"UIDL" in capa
    assert r.cmd("QUIT").startswith(b"+OK")
    r = Raw(pinst.pop3_port)
    other = base64.b64encode(b"bob@x\0" + ALICE.encode() + b"\0" + ALICE_PW.encode()).decode()
    assert r.cmd("AUTH PLAIN " + other).startswith(b"-ERR")
    assert r.cmd("AUTH PLAIN !!!!").startswith(b"-ERR")
    assert r.cmd("AUTH CRAM-MD5").startswith(b"-ERR")
    r.close()


# -- failed logins ----------------------------------------------------------

def test_failed_logins_look_alike_and_pause(pinst):
    r = Raw(pinst.pop3_port)
    replies = []
    for user, pw in (("nobody@" + DOMAIN, "x"), (ALICE, "wrong")):
        assert r.cmd("USER " + user).startswith(b"+OK")
        t0 = time.monotonic()
        replies.append(r.cmd("PASS " + pw))
        assert time.monotonic() - t0 >= 0.9
    assert replies[0] == replies[1] and replies[0].startswith(b"-ERR [AUTH]"), replies
    assert r.cmd("USER " + ALICE).startswith(b"+OK")
    assert r.cmd("PASS again-wrong").startswith(b"-ERR [AUTH]")
    assert r.closed(), "third failure must close the session"
    log = qng.wait_until(lambda: (lambda t: t if t.count("event=login result=fail") >= 3
                                  else None)(pinst.log_text("pop3")), 10,
                         what="three failed logins in the log")
    assert ALICE_PW not in log and "again-wrong" not in log


@pytest.mark.timeout_s(120)
def test_per_ip_budget(pfresh):
    for _ in range(4):
        r = Raw(pfresh.pop3_port)
        for _ in range(3):
            assert r.cmd("USER " + ALICE).startswith(b"+OK")
            reply = r.cmd("PASS wrong")
            assert reply.startswith(b"-ERR [AUTH]"), reply
            if b"too many" in reply:
                break
        r.close()
    r = Raw(pfresh.pop3_port)
    assert r.cmd("USER " + ALICE).startswith(b"+OK")
    reply = r.cmd("PASS " + ALICE_PW)
    assert reply.startswith(b"-ERR [AUTH]") and b"address" in reply, reply
    assert r.closed()


# -- TRANSACTION and UPDATE -------------------------------------------------

def test_dropped_connection_deletes_nothing(pinst):
    clear_box(pinst)
    for i in range(3):
        put_msg(pinst, b"Subject: %d\n\nx\n" % i)
    r = raw_login(pinst)
    for i in (1, 2, 3):
        assert r.cmd("DELE %d" % i).startswith(b"+OK")
    r.close()   # no QUIT
    time.sleep(0.5)
    assert len(box_files(pinst)["cur"]) == 3
    r = raw_login(pinst)
    assert r.cmd("DELE 1").startswith(b"+OK")
    assert r.cmd("DELE 1").startswith(b"-ERR")
    assert r.cmd("RETR 1").startswith(b"-ERR")
    assert r.cmd("RSET").startswith(b"+OK")
    assert r.cmd("DELE 2").startswith(b"+OK")
    assert r.cmd("QUIT").startswith(b"+OK")
    assert len(box_files(pinst)["cur"]) == 2


def test_hostile_numbers_and_lines(pinst):
    clear_box(pinst)
    put_msg(pinst, b"Subject: h\n\nx\n")
    r = raw_login(pinst)
    bad = ["RETR 0", "RETR -1", "RETR 2", "RETR 18446744073709551617", "RETR 1 1",
           "RETR +1", "RETR  1", "RETR 1 ", "RETR x", "LIST 99999999999999999999999",
           "TOP 1", "TOP 1 -1", "TOP 1 99999999999999999999", "TOP -1 0", "DELE 0",
           "UIDL 2", "STAT 1", "USER x", "PASS y"]
    for c in bad:
        assert r.cmd(c).startswith(b"-ERR"), c
    assert r.cmd("A" * 300).startswith(b"-ERR"), "long line"
    assert r.cmd("NOOP " + "x" * 5000).startswith(b"-ERR")
    assert r.cmd(b"NO\x00OP").startswith(b"-ERR")
    assert r.cmd("NOOP").startswith(b"+OK")
    assert r.cmd("STAT") == b"+OK 1 %d" % len(b"Subject: h\n\nx\n")
    assert r.cmd("QUIT").startswith(b"+OK")
    r = Raw(pinst.pop3_port)
    assert r.cmd("USER " + "u" * 400).startswith(b"-ERR")
    assert r.cmd("NOOP").startswith(b"-ERR")   # still alive, still unauthenticated
    r.close()


def test_pipelining(pinst):
    clear_box(pinst)
    put_msg(pinst, b"Subject: p\n\nx\n")
    r = raw_login(pinst)
    r.send(b"STAT\r\nLIST\r\nUIDL 1\r\nNOOP\r\n")
    assert r.line().startswith(b"+OK 1")
    assert r.line().startswith(b"+OK")
    assert r.multi()[0].startswith(b"1 ")
    assert r.line().startswith(b"+OK 1 ")
    assert r.line() == b"+OK"
    r.cmd("QUIT")


def test_many_messages_list_and_uidl(pinst):
    clear_box(pinst)
    md = pinst.maildir()
    st = os.stat(os.path.join(md, "cur"))
    for i in range(2000):
        p = os.path.join(md, "cur", "1700000000.M%06dP1Q%d.h,S=12:2," % (i, i))
        with open(p, "wb") as f:
            f.write(b"Subject: m\n\n")
        if qng.is_root():
            os.chown(p, st.st_uid, st.st_gid)
    p = login(pinst)
    assert p.stat() == (2000, 2000 * 12)
    assert len(p.uidl()[1]) == 2000
    assert len(p.list()[1]) == 2000
    p.quit()
    clear_box(pinst)


# -- several mailboxes per account -----------------------------------------

def test_box_per_account(pinst):
    box = "alice-work@" + DOMAIN
    if box not in pinst.ctl("user", "list").stdout.decode():
        pinst.ctl("user", "add", box, "--password-stdin", input="work-secret\n")
    clear_box(pinst)
    clear_box(pinst, box)
    put_msg(pinst, b"Subject: main\n\nm\n")
    put_msg(pinst, b"Subject: work\n\nw\n", addr=box)
    p = login(pinst, box, "work-secret")
    assert p.retr(1)[1][0] == b"Subject: work"
    p.quit()
    p = login(pinst)
    assert p.retr(1)[1][0] == b"Subject: main"
    p.quit()
    with pytest.raises(poplib.error_proto):
        login(pinst, box, ALICE_PW)


def proc_uid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    return None


def test_privilege_flow(pinst):
    """Root mode: the popup half that reads the network is qmaild, pop3d
    runs as the mailbox owner; the root half never touches the socket's
    data (it only passes the descriptor on).  User mode: nobody is root."""
    r = Raw(pinst.pop3_port)
    time.sleep(0.3)
    popups = {pid: proc_uid(pid) for pid in pinst.pids("qmail-popup")}
    assert len(popups) == 2, popups
    r.cmd("USER " + ALICE)
    r.cmd("PASS " + ALICE_PW)
    time.sleep(0.3)
    pop3d = pinst.pids("qmail-pop3d")
    assert len(pop3d) == 1
    md_uid = os.stat(pinst.maildir()).st_uid
    assert proc_uid(pop3d[0]) == [md_uid] * 4
    r.cmd("QUIT")
    uids = sorted(u[0] for u in popups.values())
    if pinst.mode == "root":
        import pwd
        assert uids == sorted([0, pwd.getpwnam("qmaild").pw_uid]), popups
        assert md_uid != 0
    else:
        assert uids == [pinst.uid, pinst.uid]


# -- STLS (RFC 2595) ---------------------------------------------------------

def test_stls_poplib_login_and_retr(pinst):
    if not has_cert(pinst):
        pytest.skip("no certificate (openssl missing)")
    clear_box(pinst)
    put_msg(pinst, b"Subject: stls\n\nsecret over stls\n")
    p = poplib.POP3("127.0.0.1", pinst.pop3_port, timeout=20)
    assert "STLS" in p.capa()
    p.stls(context=tls_ctx())
    assert "STLS" not in p.capa()           # a new CAPA after TLS, without STLS
    p.user(ALICE)
    p.pass_(ALICE_PW)
    assert p.stat()[0] == 1
    assert b"secret over stls" in p.retr(1)[1]
    p.dele(1)
    assert p.quit().startswith(b"+OK")
    assert box_files(pinst) == {"new": [], "cur": []}


def test_stls_openssl_s_client(pinst):
    import shutil
    import subprocess
    if not has_cert(pinst) or not shutil.which("openssl"):
        pytest.skip("no certificate or no openssl")
    out = subprocess.run(["openssl", "s_client", "-starttls", "pop3", "-connect",
                          "127.0.0.1:%d" % pinst.pop3_port, "-ign_eof"],
                         input=b"CAPA\r\nQUIT\r\n", capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert b"Cipher is" in out.stdout or b"Cipher    :" in out.stdout, out.stdout
    assert b"IMPLEMENTATION qmail-ng" in out.stdout
    assert b"+OK bye" in out.stdout


def test_stls_pipelined_input_is_discarded(pinst):
    """Bytes after STLS in the same write are not executed (as D-12)."""
    if not has_cert(pinst):
        pytest.skip("no certificate (openssl missing)")
    r = Raw(pinst.pop3_port)
    r.send(b"STLS\r\nUSER " + ALICE.encode() + b"\r\n")
    assert r.line() == b"+OK Begin TLS negotiation"
    r.sock = tls_ctx().wrap_socket(r.sock)
    r.sock.settimeout(1.5)
    with pytest.raises(socket.timeout):
        r.sock.recv(100)                   # nobody answers the USER
    r.sock.settimeout(15)
    assert r.cmd("PASS " + ALICE_PW).startswith(b"-ERR")   # USER was never seen
    assert r.cmd("USER " + ALICE).startswith(b"+OK")
    assert r.cmd("PASS " + ALICE_PW).startswith(b"+OK")
    assert r.cmd("STAT").startswith(b"+OK")
    assert r.cmd("QUIT").startswith(b"+OK")


def test_stls_resets_state_and_twice_refused(pinst):
    r = raw_stls(pinst, b"USER " + ALICE.encode() + b"\r\n")
    assert r.cmd("PASS " + ALICE_PW).startswith(b"-ERR")   # USER before TLS forgotten
    assert r.cmd("STLS").startswith(b"-ERR")               # TLS already active
    assert r.cmd("CAPA").startswith(b"+OK")
    capa = r.multi()
    assert b"STLS" not in capa and b"USER" in capa, capa
    assert r.cmd("STLS x").startswith(b"-ERR")
    assert r.cmd("QUIT").startswith(b"+OK")
    assert r.closed()


def test_stls_with_argument_refused(pinst):
    if not has_cert(pinst):
        pytest.skip("no certificate (openssl missing)")
    r = Raw(pinst.pop3_port)
    assert r.cmd("STLS now").startswith(b"-ERR")
    assert r.cmd("QUIT").startswith(b"+OK")


def test_stls_privilege_flow(pinst):
    """After STLS pop3d still runs as the mailbox owner and its fds 0/1 are
    the proxy's plaintext end (a UNIX socket), not the TCP connection."""
    r = raw_stls(pinst)
    assert r.cmd("USER " + ALICE).startswith(b"+OK")
    assert r.cmd("PASS " + ALICE_PW).startswith(b"+OK")
    time.sleep(0.3)
    pop3d = pinst.pids("qmail-pop3d")
    assert len(pop3d) == 1
    assert proc_uid(pop3d[0]) == [os.stat(pinst.maildir()).st_uid] * 4
    with open("/proc/net/unix") as f:
        unix_inodes = {line.split()[6] for line in f.readlines()[1:] if len(line.split()) > 6}
    for fd in (0, 1):
        link = os.readlink("/proc/%d/fd/%d" % (pop3d[0], fd))
        assert link.startswith("socket:["), link
        assert link[8:-1] in unix_inodes, link
    assert r.cmd("QUIT").startswith(b"+OK")


def test_pop3requiretls(pinst):
    if not has_cert(pinst):
        pytest.skip("no certificate (openssl missing)")
    path = pinst.path("control", "pop3requiretls")
    with open(path, "w") as f:
        f.write("1\n")
    try:
        r = Raw(pinst.pop3_port)
        assert r.cmd("CAPA").startswith(b"+OK")
        capa = r.multi()
        assert b"STLS" in capa and b"USER" not in capa and b"SASL PLAIN" not in capa, capa
        assert r.cmd("USER " + ALICE).startswith(b"-ERR")
        assert r.cmd("AUTH PLAIN").startswith(b"-ERR")
        r.close()
        r = raw_stls(pinst)
        assert r.cmd("USER " + ALICE).startswith(b"+OK")
        assert r.cmd("PASS " + ALICE_PW).startswith(b"+OK")
        assert r.cmd("QUIT").startswith(b"+OK")
    finally:
        os.unlink(path)


def test_pop3s_implicit_tls(session, modes):
    """POP3S (RFC 8314): qmail-listen -Z terminates TLS, popup sees plaintext."""
    import ssl
    for mode in modes:
        inst = qng.Instance(session, mode)
        inst.pop3_port = qng.free_port()
        inst.pop3s_port = qng.free_port()
        try:
            args = ["init", "--me", qng.ME, "--listen", "smtp=127.0.0.1:%d" % inst.port,
                    "--listen", "pop3=off", "--listen", "pop3s=127.0.0.1:%d" % inst.pop3s_port]
            for svc in ("submission", "smtps", "qmtp", "qmqp"):
                args += ["--listen", svc + "=off"]
            inst.ctl(*args)
            if not os.path.exists(inst.path("control", "servercert.pem")):
                pytest.skip("no certificate (openssl missing)")
            inst.ctl("domain", "add", DOMAIN)
            inst.ctl("user", "add", ALICE, "--password-stdin", input=ALICE_PW + "\n")
            inst.start()
            qng.wait_until(lambda: port_open(inst.pop3s_port), 15, what="pop3s listener")
            put_msg(inst, b"Subject: tls\n\nsecret body\n")
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            p = poplib.POP3_SSL("127.0.0.1", inst.pop3s_port, context=ctx, timeout=20)
            assert p.getwelcome().startswith(b"+OK <")
            p.user(ALICE)
            p.pass_(ALICE_PW)
            assert b"secret body" in p.retr(1)[1]
            p.dele(1)
            p.quit()
            assert box_files(inst) == {"new": [], "cur": []}
        finally:
            inst.teardown()
