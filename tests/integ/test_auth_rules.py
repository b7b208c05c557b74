"""tcprules settings for the password checks (issue #4): CHECKPASSWORD and
AUTHFAILIPMAX set per client in control/tcprules/SERVICE reach the TLS
proxy that runs the checks (qmail-smtpd never names the program itself),
on STARTTLS through the supervisor's smtp service (root and user mode) and
on implicit TLS (qmail-listen -Z).

Clients come from different loopback addresses, one tcprules row each:
  127.0.0.5  CHECKPASSWORD=<a program that knows only ext-user>
  127.0.0.6  AUTHFAILIPMAX="2"
  127.0.0.7  CHECKPASSWORD="not/absolute" (every check fails temporarily)
  others     the defaults (qmail-checkpassword, 10 failures)
"""

import smtplib

import pytest

import qng
from conftest import MODES
from tls_fixture import TLSListener, auth_plain, checkpassword_script, client_ctx

EXT_USER = "ext-user"          # known only to the rules' program
EXT_PW = "ext-secret-4"

# checkpassword's interface: fd 3 holds user NUL password NUL timestamp NUL.
EXT_CHECKPW = checkpassword_script("f[0] == %r and f[1] == %r"
                                   % (EXT_USER.encode(), EXT_PW.encode()))


class RulesInstance(qng.Instance):
    def init(self):
        super().init()
        prog = self.write_file("bin/rules-checkpw-test", EXT_CHECKPW, mode=0o755)
        self.write_file("control/tcprules/smtp",
                        '127.0.0.5:allow,CHECKPASSWORD="%s"\n'
                        '127.0.0.6:allow,AUTHFAILIPMAX="2"\n'
                        '127.0.0.7:allow,CHECKPASSWORD="not/absolute"\n'
                        ':allow\n' % prog)
        self.ctl("cdb")
        return self


@pytest.fixture(scope="module", params=MODES)
def rinst(request, session):
    i = qng.started(RulesInstance(session, request.param), after=lambda i: i.wait_listening())
    yield i
    i.teardown()


def login(port, src, user, pw, implicit=False):
    """AUTH PLAIN from src: (code, text)."""
    if implicit:
        c = smtplib.SMTP_SSL("127.0.0.1", port, timeout=30, source_address=(src, 0),
                             context=client_ctx())
    else:
        c = smtplib.SMTP("127.0.0.1", port, timeout=30, source_address=(src, 0))
        c.ehlo("client.test")
        c.starttls(context=client_ctx())
    c.ehlo("client.test")
    try:
        return c.docmd("AUTH", "PLAIN " + auth_plain(user, pw))
    finally:
        c.close()


def test_rules_choose_the_program(rinst):
    code, text = login(rinst.port, "127.0.0.5", EXT_USER, EXT_PW)
    assert code == 235, (code, text)
    # the instance's own users are unknown to that program
    assert login(rinst.port, "127.0.0.5", qng.ALICE, qng.ALICE_PW)[0] == 535
    # other clients keep qmail-checkpassword
    assert login(rinst.port, "127.0.0.1", EXT_USER, EXT_PW)[0] == 535
    assert login(rinst.port, "127.0.0.1", qng.ALICE, qng.ALICE_PW)[0] == 235


def test_rules_set_the_failure_budget(rinst):
    assert login(rinst.port, "127.0.0.6", qng.ALICE, "wrong")[0] == 535
    code, text = login(rinst.port, "127.0.0.6", qng.ALICE, "wrong")
    assert code == 421 and b"from your address" in text, (code, text)
    # the default budget (10) still holds elsewhere
    assert login(rinst.port, "127.0.0.8", qng.ALICE, "wrong")[0] == 535
    assert login(rinst.port, "127.0.0.8", qng.ALICE, "wrong")[0] == 535


def test_relative_program_fails_closed(rinst):
    code, text = login(rinst.port, "127.0.0.7", qng.ALICE, qng.ALICE_PW)
    assert code == 454, (code, text)
    qng.wait_until(lambda: "CHECKPASSWORD from the rules is not an absolute path"
                   in rinst.log_text("smtp"), 10, what="the warning in the smtp log")


def test_implicit_tls_gets_the_rules(rinst):
    lst = TLSListener(rinst, "-Z", listen_args=["-x", rinst.path("control", "tcprules",
                                                                  "smtp.cdb")])
    try:
        code, text = login(lst.port, "127.0.0.5", EXT_USER, EXT_PW, implicit=True)
        assert code == 235, (code, text)
        assert login(lst.port, "127.0.0.1", EXT_USER, EXT_PW, implicit=True)[0] == 535
    finally:
        lst.stop()
