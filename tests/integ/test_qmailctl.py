"""qmailctl verbs (CONTRACT.md) and their effects on a running instance."""

import os
import smtplib
import socket
import subprocess

import pytest

import qng
from qng import ALICE, DOMAIN, RawSMTP, expect


def rcpt_reply(inst, rcpt):
    with RawSMTP(inst.port) as c:
        expect(c.cmd("EHLO client.example"), 250)
        expect(c.cmd("MAIL FROM:<a@remote.example>"), 250)
        return c.cmd("RCPT TO:<%s>" % rcpt)


def send(inst, rcpt, tid):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=15) as s:
        s.sendmail("ctl@remote.example", [rcpt], "Subject: %s\r\n\r\nbody %s\r\n" % (tid, tid))


def stat_lines(inst):
    out = inst.ctl("stat").stdout.decode()
    return {l.split()[0].rstrip(":"): l.split() for l in out.splitlines() if l.strip()}


def test_stat(inst):
    lines = stat_lines(inst)
    for svc in ("smtp", "send"):
        assert svc in lines, lines
        f = lines[svc]
        assert f[1] == "up", f
        pid = int(f[2])
        os.kill(pid, 0)
        assert f[3].rstrip("s").isdigit(), f


def test_queue_output(inst):
    out = inst.ctl("queue").stdout.decode()
    assert out.startswith("messages in queue: "), out
    assert "messages in queue but not yet preprocessed: " in out


def test_doctor_clean_then_problem(fresh):
    p = fresh.ctl("doctor", check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    os.rename(fresh.path("control", "me"), fresh.path("control", "me.away"))
    try:
        p = fresh.ctl("doctor", check=False)
        assert p.returncode == 1
        out = (p.stdout + p.stderr).decode()
        assert "me" in out and out.strip(), out
    finally:
        os.rename(fresh.path("control", "me.away"), fresh.path("control", "me"))


def test_user_verbs(inst):
    bob = "bob@" + DOMAIN
    expect(rcpt_reply(inst, bob), 550, "5.1.1")
    inst.ctl("user", "add", bob, "--password-stdin", input="bob-pw\n")
    assert bob in inst.ctl("user", "list").stdout.decode()
    assert ALICE in inst.ctl("user", "list").stdout.decode()
    path = inst.maildir(bob)
    assert os.path.isdir(os.path.join(path, "new")), path
    tid = qng.test_id()
    send(inst, bob, tid)
    qng.wait_for_mail(path, tid)
    inst.ctl("user", "del", bob)
    assert bob not in inst.ctl("user", "list").stdout.decode()
    expect(rcpt_reply(inst, bob), 550, "5.1.1")
    p = inst.ctl("user", "path", "nosuch@" + DOMAIN, check=False)
    assert p.returncode != 0 and p.stderr.strip()


def checkpassword(inst, user, password):
    """The checkpassword interface: user NUL password NUL timestamp NUL on fd 3."""
    data = user.encode() + b"\0" + password.encode() + b"\0" + b"12345\0"
    argv = ["sh", "-c", 'exec "$0" /bin/true 3<&0 </dev/null', inst.bin("qmail-checkpassword")]
    p = subprocess.run(inst.argv(argv), input=data, capture_output=True, timeout=30)
    return p.returncode


def test_user_passwd(inst):
    carol = "carol@" + DOMAIN
    inst.ctl("user", "add", carol, "--password-stdin", input="old-pw\n")
    assert checkpassword(inst, carol, "old-pw") == 0
    assert checkpassword(inst, carol, "wrong") == 1
    inst.ctl("user", "passwd", carol, "--password-stdin", input="new-pw\n")
    assert checkpassword(inst, carol, "new-pw") == 0
    assert checkpassword(inst, carol, "old-pw") == 1
    inst.ctl("user", "del", carol)


def test_domain_verbs(inst):
    dom = "other.test"
    inst.ctl("domain", "add", dom)
    assert dom in inst.ctl("domain", "list").stdout.decode().split()
    rcpthosts = open(inst.path("control", "rcpthosts")).read().split()
    assert dom in rcpthosts
    user = "dave@" + dom
    inst.ctl("user", "add", user, "--password-stdin", input="pw\n")
    tid = qng.test_id()
    send(inst, user, tid)
    qng.wait_for_mail(inst.maildir(user), tid)
    inst.ctl("user", "del", user)
    inst.ctl("domain", "del", dom)
    assert dom not in inst.ctl("domain", "list").stdout.decode().split()
    assert dom not in open(inst.path("control", "rcpthosts")).read().split()
    assert DOMAIN in inst.ctl("domain", "list").stdout.decode().split()


def test_alias_verbs(inst):
    team = "team@" + DOMAIN
    inst.ctl("alias", "add", team, ALICE)
    assert team in inst.ctl("alias", "list", DOMAIN).stdout.decode()
    tid = qng.test_id()
    send(inst, team, tid)
    got = qng.wait_for_mail(inst.maildir(), tid)
    assert len(got) == 1
    inst.ctl("alias", "del", team)
    assert team not in inst.ctl("alias", "list", DOMAIN).stdout.decode()
    expect(rcpt_reply(inst, team), 550, "5.1.1")


def test_reload_rereads_control_files(fresh):
    fresh.write_file("domains/%s/.qmail-fail" % DOMAIN, "|exit 100\n")
    fresh.write_control("bouncefrom", "reloaded-bouncer")
    before = stat_lines(fresh)
    n_status = fresh.log_text("send").count("status: local")
    fresh.ctl("reload")
    # the signal goes through qmail-super: wait for qmail-send's status line
    # after its reread, or the message may bounce before it
    qng.wait_until(lambda: fresh.log_text("send").count("status: local") > n_status, 10,
                   what="qmail-send's reload")
    tid = qng.test_id()
    with smtplib.SMTP("127.0.0.1", fresh.port, timeout=15) as s:
        s.sendmail(ALICE, ["fail@" + DOMAIN], "Subject: %s\r\n\r\nx\r\n" % tid)
    got = qng.wait_for_mail(fresh.maildir(), tid)
    head = got[0][1].split(b"\n\n", 1)[0]
    assert b"reloaded-bouncer@" in head, head
    after = stat_lines(fresh)
    assert before["smtp"][2] == after["smtp"][2], "reload restarted the listener"


def test_stop(fresh):
    pids = fresh.pids()
    assert pids, "no instance processes while running"
    p = fresh.stop()
    assert p.returncode == 0, p.stderr
    assert not fresh.pids(), "processes left after stop: %s" % fresh.pids()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", fresh.port), timeout=3).close()
    lines = stat_lines(fresh)
    assert all(f[1] != "up" for f in lines.values()), lines
    fresh.start()
    expect(rcpt_reply(fresh, ALICE), 250)


def test_unknown_verb_fails_clearly(inst):
    p = inst.ctl("no-such-verb", check=False)
    assert p.returncode != 0
    err = p.stderr.decode().strip()
    assert err and len(err.splitlines()) == 1, err


def test_cdb_compiles_morercpthosts_and_morebadrcptto(fresh):
    """qmailctl cdb builds control/morercpthosts.cdb (qmail-newmrh's job) and
    control/morebadrcptto.cdb from their text lists, keys in lower case."""
    fresh.write_control("tcprules/smtp", ":allow\n")  # no RELAYCLIENT for us
    fresh.write_control("morercpthosts", "# relayed for a customer\nRelayed.Example\n")
    fresh.write_control("morebadrcptto", "Spamtrap@%s\n" % DOMAIN)
    fresh.ctl("cdb")
    code, text = rcpt_reply(fresh, "someone@relayed.example")
    assert code == 250, (code, text)
    code, text = rcpt_reply(fresh, "someone@elsewhere.example")
    assert code == 553, (code, text)
    env = dict(os.environ, QMAILHOME=fresh.dir)
    p = subprocess.run([fresh.bin("qmail-rcptcheck-badrcptto"), "spamtrap@" + DOMAIN],
                       env=env, capture_output=True, timeout=30)
    assert p.returncode == 100 and p.stdout.startswith(b"553"), p
    p = subprocess.run([fresh.bin("qmail-rcptcheck-badrcptto"), ALICE],
                       env=env, capture_output=True, timeout=30)
    assert p.returncode == 0, p
