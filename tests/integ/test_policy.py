"""POLICY.md pinned decisions for plain SMTP, each over a raw socket."""

import socket
import time

import pytest

import qng
from qng import ALICE, RawSMTP, expect


def start_data(c):
    expect(c.cmd("EHLO client.example"), 250)
    expect(c.cmd("MAIL FROM:<hostile@remote.example>"), 250)
    expect(c.cmd("RCPT TO:<%s>" % ALICE), 250)
    expect(c.cmd("DATA"), 354)


def assert_not_queued(inst, tid):
    qng.assert_no_mail(inst.maildir(), tid, settle=1.5)
    assert not inst.queue_files_with(tid), "message %s reached the queue" % tid


@pytest.mark.parametrize("ending", [b"\n", b"\r"], ids=["D-01-bare-LF", "D-02-bare-CR"])
def test_bare_line_ending_in_data(inst, ending):
    tid = qng.test_id()
    with RawSMTP(inst.port) as c:
        start_data(c)
        c.send(b"Subject: " + tid.encode() + b"\r\n\r\nok line\r\nbad line" + ending +
               b"more\r\n.\r\n")
        expect(c.reply(), 451, "4.5.2")
        assert c.is_closed(), "connection not closed after 451"
    assert_not_queued(inst, tid)


def test_d03_bare_lf_command_accepted(inst):
    with RawSMTP(inst.port) as c:
        c.send(b"EHLO client.example\n")
        expect(c.reply(), 250)
        c.send(b"NOOP\n")
        expect(c.reply(), 250)


@pytest.mark.parametrize("line", [b"NOOP\rx", b"HELO a\rb", b"MAIL FROM:<a@b.example>\r "])
def test_d03_cr_inside_command(inst, line):
    with RawSMTP(inst.port) as c:
        expect(c.cmd("EHLO client.example"), 250)
        c.send(line + b"\r\n")
        expect(c.reply(), 501, "5.5.2")


def test_d06_command_too_long(inst):
    with RawSMTP(inst.port) as c:
        expect(c.cmd("EHLO client.example"), 250)
        long_line = b"NOOP " + b"x" * (4097 - 5)
        assert len(long_line) == 4097
        c.send(long_line + b"\r\n")
        expect(c.reply(), 500, "5.5.2")
        # The rest was discarded, not taken as a command; the session goes on.
        expect(c.cmd("NOOP"), 250)
        ok_line = b"NOOP " + b"y" * 3000
        c.send(ok_line + b"\r\n")
        code, texts = c.reply()
        assert code != 500, texts


def test_d06_header_field_too_long(inst):
    tid = qng.test_id()
    folded = b"X-Long: " + (b"a" * 900 + b"\r\n ") * 80 + b"end\r\n"
    assert len(folded) > 64 * 1024
    with RawSMTP(inst.port, timeout=30) as c:
        start_data(c)
        c.send(b"Subject: " + tid.encode() + b"\r\n" + folded + b"\r\nbody\r\n.\r\n")
        expect(c.reply(), 552, "5.3.4")
    assert_not_queued(inst, tid)


def test_d06_header_section_too_big(inst):
    tid = qng.test_id()
    fields = b"".join(b"X-F%d: " % i + b"h" * 990 + b"\r\n" for i in range(1100))
    assert len(fields) > 1024 * 1024
    with RawSMTP(inst.port, timeout=30) as c:
        start_data(c)
        c.send(b"Subject: " + tid.encode() + b"\r\n" + fields + b"\r\nbody\r\n.\r\n")
        expect(c.reply(), 552, "5.3.4")
    assert_not_queued(inst, tid)


def test_d07_default_size_limit(inst):
    with RawSMTP(inst.port) as c:
        expect(c.cmd("EHLO client.example"), 250)
        expect(c.cmd("MAIL FROM:<a@remote.example> SIZE=%d" % (50 * 1024 * 1024 + 1)), 552)
        expect(c.cmd("MAIL FROM:<a@remote.example> SIZE=%d" % (50 * 1024 * 1024)), 250)


def test_d07_databytes(fresh):
    fresh.write_control("databytes", "10000")
    tid = qng.test_id()
    with RawSMTP(fresh.port) as c:
        expect(c.cmd("EHLO client.example"), 250)
        expect(c.cmd("MAIL FROM:<a@remote.example> SIZE=10001"), 552)
        expect(c.cmd("MAIL FROM:<a@remote.example> SIZE=10000"), 250)
        expect(c.cmd("RCPT TO:<%s>" % ALICE), 250)
        expect(c.cmd("DATA"), 354)
        c.send(b"Subject: " + tid.encode() + b"\r\n\r\n" + (b"z" * 70 + b"\r\n") * 300 + b".\r\n")
        expect(c.reply(), 552)
        # Still in sync after draining the oversized message.
        expect(c.cmd("RSET"), 250)
    assert_not_queued(fresh, tid)


@pytest.mark.timeout_s(180)
def test_d08_too_many_recipients(inst):
    with RawSMTP(inst.port, timeout=60) as c:
        expect(c.cmd("EHLO client.example"), 250)
        expect(c.cmd("MAIL FROM:<a@remote.example>"), 250)
        c.send(("RCPT TO:<%s>\r\n" % ALICE) * 1001)
        for i in range(1000):
            expect(c.reply(), 250)
        expect(c.reply(), 452, "4.5.3")
        expect(c.cmd("RSET"), 250)


@pytest.mark.parametrize("hops,code", [(99, 250), (100, 554)])
def test_d09_hop_count(inst, hops, code):
    tid = qng.test_id()
    received = b"".join(b"Received: from h%d.example by h%d.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
                        % (i, i + 1) for i in range(hops))
    with RawSMTP(inst.port) as c:
        start_data(c)
        c.send(received + b"Subject: " + tid.encode() + b"\r\n\r\nloop\r\n.\r\n")
        if code == 554:
            expect(c.reply(), 554, "5.4.6")
        else:
            expect(c.reply(), 250)
    if code == 554:
        assert_not_queued(inst, tid)
    else:
        qng.wait_for_mail(inst.maildir(), tid)


def test_d13_talking_before_greeting(inst):
    # Our bytes must arrive before the server writes its greeting; a fork and
    # exec lie in between, but allow a few attempts against scheduling luck.
    results = []
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", inst.port), timeout=10)
        s.sendall(b"EHLO early.example\r\n")
        c = RawSMTP.__new__(RawSMTP)
        c.sock, c.buf = s, b""
        first = c.reply()
        results.append(first)
        c.close()
        if first[0] == 554:
            assert first[1][0].startswith("5.5.0"), first
            return
    pytest.fail("no 554 5.5.0 for bytes before the greeting: %s" % results)


def test_d13_pipelining_after_data(inst):
    tid = qng.test_id()
    with RawSMTP(inst.port) as c:
        expect(c.cmd("EHLO client.example"), 250)
        c.send(("MAIL FROM:<a@remote.example>\r\nRCPT TO:<%s>\r\nDATA\r\n"
                "Subject: %s\r\n\r\nsmuggled\r\n.\r\n" % (ALICE, tid)).encode())
        expect(c.reply(), 250)
        expect(c.reply(), 250)
        expect(c.reply(), 554, "5.5.0")
        assert c.is_closed()
    assert_not_queued(inst, tid)


def test_d16_vrfy_expn(inst):
    with RawSMTP(inst.port) as c:
        expect(c.cmd("EHLO client.example"), 250)
        expect(c.cmd("VRFY alice"), 252, "2.1.5")
        expect(c.cmd("EXPN staff"), 502, "5.5.1")


@pytest.mark.timeout_s(90)
@pytest.mark.serial   # the 21st client is refused and closed in < 2 s
def test_d21_per_ip_connection_limit(fresh):
    conns = []
    try:
        for i in range(20):
            c = RawSMTP(fresh.port)
            expect((c.greeting[0], c.greeting[1]), 220)
            conns.append(c)
        t0 = time.monotonic()
        extra = RawSMTP(fresh.port, greet=False)
        conns.append(extra)
        expect(extra.reply(), 421, "4.7.0")
        assert extra.is_closed(timeout=2)
        assert time.monotonic() - t0 < 2.0
        # Freeing a slot lets a new client in again.
        conns[0].cmd("QUIT")
        conns[0].close()
        def admitted():
            c = RawSMTP(fresh.port, greet=False)
            conns.append(c)
            return c.reply()[0] == 220
        qng.wait_until(admitted, 10, interval=0.3, what="a slot after QUIT")
    finally:
        for c in conns:
            c.close()
