"""The DNS answer cache shared by the qmail-smtpd sessions of one zygote
(src/mail/dnscache.h): a question one session asked is answered to the
next sessions from the cache until the answer's TTL runs out, for a DNSBL
(the client not listed: NXDOMAIN with the zone's SOA, as real lists
answer) and for SPF (the sender domain's TXT record).  DNS answers come
from abuse_dns.py's server, which counts the queries it receives."""

import time

import pytest

import qng
from abuse_dns import abuse_dns  # noqa: F401
from qng import ALICE, RawSMTP, expect

TTL = 3
LISTED_NAME = "1.0.0.127.bl.example"   # the DNSBL question for 127.0.0.1


@pytest.fixture(scope="module", autouse=True)
def no_relay(inst):
    """The default rules make 127. a RELAYCLIENT, which skips these checks."""
    inst.set_tcprules(":allow\n")


def mail_from(inst, sender):
    """One session up to an accepted MAIL."""
    with RawSMTP(inst.port) as c:
        expect(c.cmd("EHLO client.example"), 250)
        expect(c.cmd("MAIL FROM:<%s>" % sender), 250)


def dnsbl_setup(control, abuse_dns):  # noqa: F811
    control("dnsservers", abuse_dns.servers_line())
    control("spfbehavior", "0")
    control("dnsbl", "bl.example")


def test_dnsbl_asked_once_per_ttl(inst, control, abuse_dns):  # noqa: F811
    abuse_dns.nxdomain_soa("bl.example", TTL)
    dnsbl_setup(control, abuse_dns)
    t0 = time.monotonic()
    mail_from(inst, "a@b.example")
    mail_from(inst, "a@b.example")
    assert time.monotonic() - t0 < TTL, "two sessions took longer than the TTL"
    assert abuse_dns.asked(LISTED_NAME, "A") == 1, abuse_dns.resolver.queries
    time.sleep(TTL + 0.5)
    mail_from(inst, "a@b.example")
    assert abuse_dns.asked(LISTED_NAME, "A") == 2
    # A configuration change gives the next sessions a fresh cache.
    control("dnsblallow", "192.0.2.")
    mail_from(inst, "a@b.example")
    assert abuse_dns.asked(LISTED_NAME, "A") == 3


def test_dnsbl_nxdomain_without_soa_not_kept(inst, control, abuse_dns):  # noqa: F811
    """Without an SOA an NXDOMAIN has no TTL (libunbound says 0): not kept."""
    dnsbl_setup(control, abuse_dns)
    mail_from(inst, "a@b.example")
    mail_from(inst, "a@b.example")
    assert abuse_dns.asked(LISTED_NAME, "A") == 2


def test_dnsbl_listed_answer_from_cache(inst, control, abuse_dns):  # noqa: F811
    abuse_dns.add(LISTED_NAME, "A", "127.0.0.2")
    abuse_dns.add(LISTED_NAME, "TXT", "cached listing")
    abuse_dns.set_ttl(LISTED_NAME, 60)
    dnsbl_setup(control, abuse_dns)
    for _ in range(3):
        with RawSMTP(inst.port) as c:
            expect(c.cmd("EHLO client.example"), 250)
            r = expect(c.cmd("MAIL FROM:<a@b.example>"), 554, "5.7.1")
            assert "cached listing" in r[1][0]
    assert abuse_dns.asked(LISTED_NAME, "A") == 1
    assert abuse_dns.asked(LISTED_NAME, "TXT") == 1


def send(inst, sender):
    tid = qng.test_id()
    with RawSMTP(inst.port) as c:
        expect(c.cmd("EHLO client.example"), 250)
        expect(c.cmd("MAIL FROM:<%s>" % sender), 250)
        expect(c.cmd("RCPT TO:<%s>" % ALICE), 250)
        expect(c.cmd("DATA"), 354)
        c.send("Subject: %s\r\n\r\nbody\r\n.\r\n" % tid)
        expect(c.reply(), 250)
    return tid


def test_spf_txt_asked_once_for_two_messages(inst, control, abuse_dns):  # noqa: F811
    abuse_dns.add("spf-cache.example", "TXT", "v=spf1 ip4:127.0.0.0/8 -all")
    abuse_dns.set_ttl("spf-cache.example", TTL)
    control("dnsservers", abuse_dns.servers_line())
    control("spfbehavior", "3")
    t0 = time.monotonic()
    tids = [send(inst, "someone@spf-cache.example") for _ in range(2)]
    assert time.monotonic() - t0 < TTL, "two sessions took longer than the TTL"
    assert abuse_dns.asked("spf-cache.example", "TXT") == 1, abuse_dns.resolver.queries
    for tid in tids:   # the cached answer gave the same result
        (_, data), = qng.wait_for_mail(inst.maildir(), tid)
        assert b"Received-SPF: pass (" in data.split(b"\n\n", 1)[0]
    time.sleep(TTL + 0.5)
    mail_from(inst, "someone@SPF-Cache.example")
    assert abuse_dns.asked("spf-cache.example", "TXT") == 2
    mail_from(inst, "other@spf-cache.example")
    assert abuse_dns.asked("spf-cache.example", "TXT") == 2
