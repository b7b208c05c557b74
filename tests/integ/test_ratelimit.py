"""Rate limits (issue 6): control/ratelimit_ip and control/ratelimit_auth,
enforced by qmail-smtpd with state shared by all its processes.  Each test
connects from its own loopback address (127.0.0.N), so the keys of one
test never meet another's."""

import os
import pwd
import smtplib
import threading
import time

import pytest

import qng
from qng import ALICE, ALICE_PW
from tls_fixture import client_ctx

BODY = "Subject: rate limit test\r\n\r\nhello\r\n"
DEFAULT_RULES = "127.:allow,RELAYCLIENT=\"\"\n:allow\n"


def make_ratelimit_dir(inst):
    """$QMAILHOME/ratelimit, owned by the smtpd user.  qmail-smtpd makes it
    itself when it can (user mode); in root mode the instance directory is
    root's, so qmailctl init has to (or, until it does, this test)."""
    d = inst.path("ratelimit")
    os.makedirs(d, mode=0o700, exist_ok=True)
    if inst.mode == "root":
        pw = pwd.getpwnam("qmaild")
        os.chown(d, pw.pw_uid, pw.pw_gid)
    elif qng.is_root():
        os.chown(d, inst.uid, inst.gid)


@pytest.fixture
def control(inst, control):
    """conftest's control(), with the rate-limit store made first."""
    make_ratelimit_dir(inst)
    return control


def connect(inst, src):
    c = smtplib.SMTP("127.0.0.1", inst.port, timeout=30, source_address=(src, 0))
    c.ehlo("client.example")
    return c


def send(inst, src, rcpts=(ALICE,), sender="rl@remote.example"):
    """One message in its own session: (MAIL reply code, [RCPT codes], DATA code)."""
    with connect(inst, src) as c:
        code, _ = c.mail(sender)
        if code != 250:
            return code, [], None
        got = [c.rcpt(r)[0] for r in rcpts]
        data = c.data(BODY)[0] if 250 in got else None
        return code, got, data


def test_messages_per_address(inst, control):
    control("ratelimit_ip", "127.0.0.21 3 0 3600\n127.0.0.0/8 1000 1000 3600\n")
    assert [send(inst, "127.0.0.21")[0] for _ in range(3)] == [250, 250, 250]
    with connect(inst, "127.0.0.21") as c:
        code, text = c.mail("rl@remote.example")
        assert code == 451 and text.startswith(b"4.7.1"), (code, text)
        assert b"too many messages" in text
    # another address has its own budget
    assert send(inst, "127.0.0.22")[0] == 250
    qng.wait_until(lambda: "reason=ratelimit" in inst.log_text("smtp") and
                   "key=\"ip 127.0.0.21\"" in inst.log_text("smtp"), 10,
                   what="the rate-limit refusal in the smtp log")


def test_recipients_per_address(inst, control):
    control("ratelimit_ip", "127.0.0.23 0 3 3600\n")
    tid = qng.test_id()
    with connect(inst, "127.0.0.23") as c:
        assert c.mail("rl@remote.example")[0] == 250
        # a refused recipient is not counted
        assert c.rcpt("nobody-%s@%s" % (tid, qng.DOMAIN))[0] == 550
        codes = [c.rcpt(ALICE)[0] for _ in range(4)]
        assert codes == [250, 250, 250, 451], codes
        code, text = c.rcpt(ALICE)
        assert code == 451 and b"4.7.1 too many recipients" in text
        # the message still goes to the recipients accepted
        assert c.data("Subject: %s\r\n\r\nx\r\n" % tid)[0] == 250
    qng.wait_for_mail(inst.maildir(), tid, n=3)


@pytest.mark.timeout_s(60)
@pytest.mark.serial   # two sessions inside the first 4 s window
def test_window_slides(inst, control):
    """Windows are aligned to multiples of SECONDS (wall clock): start just
    after a boundary, so that a slow machine still refuses the second
    message inside the first window."""
    window = 4
    control("ratelimit_ip", "127.0.0.24 1 0 %d\n" % window)
    qng.wait_until(lambda: time.time() % window < 0.5, window + 1, interval=0.05,
                   what="the start of a window")
    assert send(inst, "127.0.0.24")[0] == 250
    assert send(inst, "127.0.0.24")[0] == 451
    t0 = time.monotonic()
    qng.wait_until(lambda: send(inst, "127.0.0.24")[0] == 250, 3 * window, interval=0.5,
                   what="the window to move on")
    assert time.monotonic() - t0 > 0.2


@pytest.mark.timeout_s(120)
def test_shared_across_processes(inst, control):
    """Ten concurrent clients (ten qmail-smtpd processes), 40 messages, a
    limit of 20: exactly 20 accepted."""
    control("ratelimit_ip", "127.0.0.25 20 0 3600\n")
    codes = []
    lock = threading.Lock()

    def client():
        for _ in range(4):
            r = send(inst, "127.0.0.25")[0]
            with lock:
                codes.append(r)
    threads = [threading.Thread(target=client) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert len(codes) == 40
    assert codes.count(250) == 20 and codes.count(451) == 20, codes


def test_exempt_and_unlisted(inst, control):
    """"0 0 0" exempts a network; an address no line matches is not limited."""
    control("ratelimit_ip", "127.0.0.26 0 0 0\n127.0.0.0/28 1 1 3600\n")
    assert [send(inst, "127.0.0.26")[0] for _ in range(3)] == [250] * 3
    assert [send(inst, "127.0.0.27")[0] for _ in range(3)] == [250] * 3
    assert [send(inst, "127.0.0.14")[0] for _ in range(2)] == [250, 451]


def test_noratelimit_from_tcprules(inst, control):
    control("ratelimit_ip", "* 1 1 3600\n")
    inst.set_tcprules("127.0.0.28:allow,NORATELIMIT=\"\"\n" + DEFAULT_RULES)
    try:
        assert [send(inst, "127.0.0.28")[0] for _ in range(3)] == [250] * 3
        assert [send(inst, "127.0.0.29")[0] for _ in range(2)] == [250, 451]
    finally:
        inst.set_tcprules(DEFAULT_RULES)


def auth_session(inst, src, user=ALICE, pw=ALICE_PW):
    c = connect(inst, src)
    c.starttls(context=client_ctx())
    c.ehlo("client.example")
    c.login(user, pw)
    return c


@pytest.mark.timeout_s(90)
def test_authenticated_user(inst, control):
    """An authenticated client is counted by its user name against
    ratelimit_auth, not by its address."""
    control("ratelimit_ip", "127.0.0.30 1 0 3600\n")
    control("ratelimit_auth", "@%s 2 0 3600\n* 1000 1000 3600\n" % qng.DOMAIN)
    for i in range(3):
        with auth_session(inst, "127.0.0.30") as c:
            code, text = c.mail(ALICE)
            if i < 2:
                assert code == 250, (code, text)
                assert c.rcpt(ALICE)[0] == 250
                assert c.data(BODY)[0] == 250
            else:
                assert code == 451 and b"4.7.1 too many messages from your account" in text
    # the address's own budget is untouched by the user's messages
    assert [send(inst, "127.0.0.30")[0] for _ in range(2)] == [250, 451]


def test_bad_rule_refuses_to_start(inst, control):
    control("ratelimit_ip", "* 100 500\n")
    with qng.RawSMTP(inst.port) as c:
        assert c.greeting[0] == 421, c.greeting
    qng.wait_until(lambda: "file=ratelimit_ip" in inst.log_text("smtp"), 10,
                   what="the config error in the smtp log")


def test_store_error_fails_open(inst, control):
    control("ratelimit_ip", "127.0.0.31 1 1 3600\n")
    d = inst.path("ratelimit")
    os.rename(d, d + ".away")
    inst.write_file("ratelimit", "not a directory\n")
    try:
        assert [send(inst, "127.0.0.31")[0] for _ in range(2)] == [250, 250]
        qng.wait_until(lambda: "store failed" in inst.log_text("smtp"), 10,
                       what="the store error in the smtp log")
    finally:
        os.unlink(d)
        os.rename(d + ".away", d)
