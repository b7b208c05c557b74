"""control/concurrencyperdomain: at most N remote deliveries at once to one
domain, while deliveries to other domains go on (qmail-send's scheduler)."""

import re
import smtplib

import pytest

import qng
from remote_peers import peers  # noqa: F401

START = re.compile(r"starting delivery (\d+): msg \d+ to remote \S+@(\S+)")
END = re.compile(r"delivery (\d+): (success|failure|deferral)")


def max_in_flight(log):
    """The largest number of deliveries at once per domain, from the log."""
    busy, peak, dom_of = {}, {}, {}
    for line in log.splitlines():
        m = START.search(line)
        if m:
            dom_of[m.group(1)] = m.group(2)
            busy[m.group(2)] = busy.get(m.group(2), 0) + 1
            peak[m.group(2)] = max(peak.get(m.group(2), 0), busy[m.group(2)])
            continue
        m = END.search(line)
        if m and m.group(1) in dom_of:
            busy[dom_of.pop(m.group(1))] -= 1
    return peak


def run(inst, peer, n_a, n_b):
    inst.write_control("smtproutes", "a.example:%s:%d\nb.example:%s:%d" % (
        peer.host, peer.port, peer.host, peer.port))
    peer.script.delay = 0.15          # slow DATA replies keep deliveries open
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        for i in range(n_a):
            s.sendmail("alice@example.test", ["r%d@a.example" % i], "Subject: a\r\n\r\nx\r\n")
        for i in range(n_b):
            s.sendmail("alice@example.test", ["r%d@b.example" % i], "Subject: b\r\n\r\nx\r\n")
    peer.wait_messages(n_a + n_b, timeout=90)
    qng.wait_until(lambda: inst.log_text("send").count(": success:") >= n_a + n_b, 30,
                   what="every delivery logged")
    return max_in_flight(inst.log_text("send"))


@pytest.mark.timeout_s(150)
def test_per_domain_limit(fresh, peers):  # noqa: F811
    fresh.write_control("concurrencyperdomain", "2")
    fresh.ctl("reload")
    peak = run(fresh, peers(), 10, 4)
    assert peak.get("a.example", 0) <= 2, peak
    assert peak.get("b.example", 0) >= 1, peak


@pytest.mark.timeout_s(150)
@pytest.mark.serial   # deliveries overlap only if injection outpaces the 0.15 s replies
def test_without_limit_more_at_once(fresh, peers):  # noqa: F811
    """The control: without the file the same load opens more than 2."""
    peak = run(fresh, peers(), 10, 0)
    assert peak.get("a.example", 0) > 2, peak
