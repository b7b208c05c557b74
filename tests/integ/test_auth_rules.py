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

import pytest

import qng
from conftest import MODES
from tls_fixture import TLSListener, auth_plain, checkpassword_script, started_instance, tls_session

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
    yield from started_instance(session, request.param, RulesInstance)


def login(port, src, user, pw, implicit=False):
    """AUTH PLAIN from src: (code, text)."""
    c = tls_session(port, implicit, src)
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


def test_reverse_lookup_path_warns(rinst):
    """-h: the proxy is set up before the child reads the rules, so their
    settings for it are not used; the listener says so."""
    lst = TLSListener(rinst, "-hS", listen_args=["-x", rinst.path("control", "tcprules",
                                                                   "smtp.cdb")])
    try:
        assert login(lst.port, "127.0.0.6", qng.ALICE, "wrong")[0] == 535
        qng.wait_until(lambda: "AUTHFAILIPMAX from the rules is not used with -h"
                       in lst.text(), 10, what="the -h warning")
        assert "CHECKPASSWORD from the rules" not in lst.text()
    finally:
        lst.stop()
