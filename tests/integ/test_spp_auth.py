"""qmail-spp [auth] plugins (issue 6): run after a successful SMTP AUTH
with SMTPAUTHUSER set, before 235; a refusal leaves the session
unauthenticated (no relaying) with the plugin's reply, and counts as an
AUTH failure in the session."""

import smtplib

import pytest

import qng
from tls_fixture import TLSListener, auth_plain, tls_session, user_instance

BLOCKED = "blocked@" + qng.DOMAIN
LATER = "later@" + qng.DOMAIN
PW = "plugin-test-pw-1"

BLOCKER = """#!/bin/sh
case "$SMTPAUTHUSER" in
  %s) echo "R553 5.7.1 user $SMTPAUTHUSER is blocked by policy" ;;
  %s) echo "R451 4.7.1 account check unavailable, try later" ;;
esac
""" % (BLOCKED, LATER)
LOGGER = """#!/bin/sh
echo "Lauth-plugin saw user=$SMTPAUTHUSER helo=$SMTPHELOHOST"
echo "SAUTH_TAG=tag-$SMTPAUTHUSER"
"""
# A [mail] plugin that logs what the [auth] plugin put in the environment.
MAILLOG = """#!/bin/sh
echo "Lmail-plugin tag=$AUTH_TAG"
"""


@pytest.fixture(scope="module")
def ainst(session):
    yield from user_instance(session)


@pytest.fixture(scope="module")
def smtp(ainst):
    for user in (BLOCKED, LATER):
        ainst.ctl("user", "add", user, "--password-stdin", input=PW + "\n")
    blocker = ainst.write_file("spp-auth-block.sh", BLOCKER, mode=0o755)
    logger = ainst.write_file("spp-auth-log.sh", LOGGER, mode=0o755)
    maillog = ainst.write_file("spp-mail-log.sh", MAILLOG, mode=0o755)
    ainst.write_control("smtpplugins", "[auth]\n%s\n%s\n[mail]\n%s\n" % (blocker, logger, maillog))
    lst = TLSListener(ainst, "-S")
    yield lst
    lst.stop()


plain = auth_plain


def test_accepted_user_is_logged_and_relays(smtp):
    c = tls_session(smtp.port)
    code, text = c.docmd("AUTH", "PLAIN " + plain(qng.ALICE, qng.ALICE_PW))
    assert code == 235 and qng.ALICE in text.decode()
    assert c.docmd("MAIL", "FROM:<%s>" % qng.ALICE)[0] == 250
    assert c.docmd("RCPT", "TO:<someone@remote.invalid>")[0] == 250
    c.close()
    qng.wait_until(lambda: "mail-plugin tag=tag-" + qng.ALICE in smtp.text(), 10,
                   what="the [mail] plugin's log line")
    log = smtp.text()
    assert "auth-plugin saw user=%s helo=client.test" % qng.ALICE in log


def test_blocked_user_refused_cannot_relay(smtp):
    c = tls_session(smtp.port)
    code, text = c.docmd("AUTH", "PLAIN " + plain(BLOCKED, PW))
    assert code == 553 and text == ("5.7.1 user %s is blocked by policy" % BLOCKED).encode()
    # still unauthenticated: AUTH may be tried again, relaying is refused
    assert c.docmd("MAIL", "FROM:<%s>" % BLOCKED)[0] == 250
    assert c.docmd("RCPT", "TO:<someone@remote.invalid>")[0] // 100 == 5
    c.close()
    log = smtp.text()
    assert "result=plugin-rejected" in log
    # the blocked user never reached the logging plugin
    assert "auth-plugin saw user=" + BLOCKED not in log


def test_blocked_user_smtplib_login(smtp):
    c = tls_session(smtp.port)
    with pytest.raises(smtplib.SMTPAuthenticationError) as e:
        c.login(BLOCKED, PW)
    assert e.value.smtp_code == 553
    c.close()


def test_refusals_count_as_failures(smtp):
    c = tls_session(smtp.port)
    assert c.docmd("AUTH", "PLAIN " + plain(BLOCKED, PW))[0] == 553
    assert c.docmd("AUTH", "PLAIN " + plain(BLOCKED, PW))[0] == 553
    code, text = c.docmd("AUTH", "PLAIN " + plain(BLOCKED, PW))
    assert code == 421 and text.startswith(b"4.7.0")
    c.close()


def test_deferred_user_then_another_login(smtp):
    c = tls_session(smtp.port)
    code, text = c.docmd("AUTH", "PLAIN " + plain(LATER, PW))
    assert code == 451 and text.startswith(b"4.7.1")
    assert c.docmd("RCPT", "TO:<x@remote.invalid>")[0] == 503
    # a deferral is not a failure and the session is not authenticated:
    # the next AUTH in the same session is allowed and succeeds
    code, _ = c.docmd("AUTH", "PLAIN " + plain(qng.ALICE, qng.ALICE_PW))
    assert code == 235
    assert c.docmd("MAIL", "FROM:<%s>" % qng.ALICE)[0] == 250
    assert c.docmd("RCPT", "TO:<someone@remote.invalid>")[0] == 250
    c.close()


def test_wrong_password_skips_plugins(smtp):
    c = tls_session(smtp.port)
    code, text = c.docmd("AUTH", "PLAIN " + plain(BLOCKED, "wrong"))
    assert code == 535 and text.startswith(b"5.7.8")
    c.close()
