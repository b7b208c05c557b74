"""Dovecot reads a Maildir that qmail-ng delivered into and qmail-pop3d used
(issue 5): a private Dovecot (its own config, base_dir and index/control
directories outside the Maildir, a passwd-file user mapped to the Maildir's
owner, POP3 on a free loopback port) is pointed at a virtual user's Maildir
after mail came in over SMTP and a POP3 session through qmail-pop3d.

Checked: the same messages with the same bodies (doveadm fetch and Dovecot's
own POP3), no message deleted at QUIT comes back, flags survive
(qmail-pop3d's new/ -> cur/ move marks nothing read; an IMAP-set \\Seen and
\\Flagged stay), Dovecot with `pop3_uidl_format = %f` gives the same UIDLs
as qmail-pop3d, and a flag Dovecot sets later (a rename in cur/) does not
change qmail-pop3d's UIDL.  With dovecot-imapd installed, a real IMAP client
(imaplib) reads the same messages, bodies and flags from Dovecot's IMAP.
Needs root (Dovecot's master) and dovecot-core + dovecot-pop3d; skipped
otherwise."""

import imaplib
import json
import os
import poplib
import re
import smtplib
import socket
import subprocess

import pytest

import qng
from qng import ALICE, ALICE_PW
from test_pop3 import login, pop3_instance, put_msg

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
DOVECOT_POP3 = "/usr/lib/dovecot/pop3"
DOVECOT_IMAP = "/usr/lib/dovecot/imap"   # dovecot-imapd: IMAP too when installed

pytestmark = [
    pytest.mark.skipif(not (os.path.exists(DOVECOT) and os.path.exists(DOVEADM) and
                            os.path.exists(DOVECOT_POP3)),
                       reason="Dovecot not installed (dovecot-core, dovecot-pop3d)"),
    pytest.mark.skipif(not qng.is_root(), reason="needs root (Dovecot's master process)"),
    pytest.mark.timeout_s(60),
]


DOVECOT_CONF = """\
base_dir = {d}/run
state_dir = {d}/state
instance_name = qng-test-{port}
protocols = pop3{imap}
listen = 127.0.0.1
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
mail_location = maildir:{maildir}:INDEX={d}/mail/index:CONTROL={d}/mail/control
pop3_uidl_format = %f
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = {d}/passwd
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""

IMAP_CONF = """\
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class Dovecot:
    """A private Dovecot serving MAILDIR to ALICE (password ALICE_PW)."""

    def __init__(self, base, maildir):
        self.dir = base
        self.port = qng.free_port()
        st = os.stat(maildir)
        for d in ("run", "state", "mail"):
            os.makedirs(os.path.join(base, d), exist_ok=True)
        os.chmod(base, 0o755)
        os.chown(os.path.join(base, "mail"), st.st_uid, st.st_gid)
        with open(os.path.join(base, "passwd"), "w") as f:
            f.write("%s:{PLAIN}%s:%d:%d::%s::\n" % (ALICE, ALICE_PW, st.st_uid, st.st_gid,
                                                    os.path.join(base, "mail")))
        self.imap_port = qng.free_port() if os.path.exists(DOVECOT_IMAP) else None
        self.conf = os.path.join(base, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(DOVECOT_CONF.format(d=base, port=self.port, maildir=maildir.rstrip("/"),
                                        imap=" imap" if self.imap_port else ""))
            if self.imap_port:
                f.write(IMAP_CONF.format(imap_port=self.imap_port))
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        qng.wait_until(lambda: self.proc.poll() is not None or port_open(self.port), 15,
                       what="Dovecot on port %d" % self.port)
        assert self.proc.poll() is None, self.proc.stderr.read().decode(errors="replace")

    def doveadm(self, *args):
        p = subprocess.run([DOVEADM, "-c", self.conf] + list(args), capture_output=True,
                           timeout=30)
        assert p.returncode == 0, (args, p.stderr.decode(errors="replace"), self.log())
        return p.stdout.decode(errors="replace")

    def fetch(self):
        """{marker: (flags, text)} of INBOX as Dovecot sees it (\\Recent, which
        only says Dovecot had not seen the message yet, left out)."""
        out = json.loads(self.doveadm("-f", "json", "fetch", "-u", ALICE, "uid flags text",
                                      "mailbox", "INBOX", "all") or "[]")
        return {marker_of(m["text"]): (set(m["flags"].split()) - {"\\Recent"}, m["text"])
                for m in out}

    def pop3(self):
        p = poplib.POP3("127.0.0.1", self.port, timeout=20)
        p.user(ALICE)
        p.pass_(ALICE_PW)
        return p

    def imap_read(self):
        """{marker: (flags, LF text)} of INBOX over IMAP (imaplib, read-only,
        BODY.PEEK: reading changes no flag)."""
        m = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=20)
        try:
            m.login(ALICE, ALICE_PW)
            typ, _ = m.select("INBOX", readonly=True)
            assert typ == "OK"
            typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[])")
            assert typ == "OK"
            out = {}
            for item in data:
                if not isinstance(item, tuple):
                    continue
                flags = re.search(rb"FLAGS \(([^)]*)\)", item[0])
                text = item[1].replace(b"\r\n", b"\n").decode()
                got = set(flags.group(1).decode().split()) if flags else set()
                out[marker_of(text)] = (got - {"\\Recent"}, text)
            m.logout()
            return out
        finally:
            try:
                m.shutdown()
            except OSError:
                pass

    def log(self):
        try:
            return open(os.path.join(self.dir, "dovecot.log")).read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def marker_of(text):
    for word in text.replace("\r", " ").replace("\n", " ").split():
        if word.startswith("qngtid-"):
            return word
    return None


def lf_text(lines):
    """poplib's RETR lines (dot-unstuffed) as the LF text Dovecot returns."""
    return b"".join(l + b"\n" for l in lines).decode()


def body_for(tid, i):
    lines = ["Subject: dovecot interop %d %s" % (i, tid), "From: <sender@remote.example>",
             "To: <%s>" % ALICE, "", "hello %s" % tid,
             ".a line that POP3 byte-stuffs", "last line %d" % i]
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture(scope="module")
def box(session):
    inst = pop3_instance(session, "root")
    try:
        tids = [qng.test_id() for _ in range(3)]
        with smtplib.SMTP("127.0.0.1", inst.port, timeout=20) as s:
            for i, tid in enumerate(tids):
                s.sendmail("sender@remote.example", [ALICE], body_for(tid, i))
        md = inst.maildir(ALICE)
        for tid in tids:
            qng.wait_for_mail(md, tid)
        # one message an IMAP client already read and flagged
        flagged = qng.test_id()
        put_msg(inst, ("Subject: read earlier %s\n\nseen %s\n" % (flagged, flagged)).encode(),
                sub="cur", info=":2,FS")
        dove_dir = os.path.join(session.base, "dovecot-%d" % inst.port)
        yield inst, md, tids, flagged, dove_dir, lambda: Dovecot(dove_dir, md)
    finally:
        inst.teardown()


def pop3_session(inst, delete_marker):
    """qmail-pop3d: UIDL, RETR of everything, DELE one message, QUIT."""
    p = login(inst)
    uidl = {int(n): u for n, u in (x.decode().split() for x in p.uidl()[1])}
    texts = {}
    for n in sorted(uidl):
        text = lf_text(p.retr(n)[1])
        texts[marker_of(text)] = (uidl[n], text)
        if marker_of(text) == delete_marker:
            p.dele(n)
    p.quit()
    return texts


def test_dovecot_reads_what_qmail_pop3d_left(box):
    inst, md, tids, flagged, dove_dir, start_dovecot = box
    texts = pop3_session(inst, delete_marker=tids[1])
    assert set(texts) == set(tids) | {flagged}
    assert os.listdir(os.path.join(md, "new")) == []
    dove = start_dovecot()
    try:
        seen = dove.fetch()
        # the deleted message is gone, the rest are there byte for byte
        assert set(seen) == {tids[0], tids[2], flagged}, (seen.keys(), dove.log())
        for tid in seen:
            assert seen[tid][1] == texts[tid][1], tid
        # qmail-pop3d marks nothing read; IMAP flags set before survive its move
        assert seen[flagged][0] == {"\\Seen", "\\Flagged"}, seen[flagged]
        for tid in (tids[0], tids[2]):
            assert not seen[tid][0] & {"\\Seen", "\\Deleted", "\\Flagged"}, seen[tid]
        # a real IMAP client (imaplib) sees the same messages, bodies and flags
        if dove.imap_port:
            over_imap = dove.imap_read()
            assert set(over_imap) == set(seen), (over_imap.keys(), dove.log())
            for tid in seen:
                assert over_imap[tid] == seen[tid], (tid, over_imap[tid], seen[tid])
        # Dovecot's POP3 with pop3_uidl_format = %f: the same UIDLs, same bodies
        p = dove.pop3()
        for n, uid in (x.decode().split() for x in p.uidl()[1]):
            text = lf_text(p.retr(int(n))[1])
            assert texts[marker_of(text)] == (uid, text), dove.log()
        p.quit()
        # an IMAP-side flag change (a rename in cur/) keeps qmail-pop3d's UIDL
        dove.doveadm("flags", "add", "-u", ALICE, "\\Answered", "mailbox", "INBOX", "all")
    finally:
        dove.stop()
    assert all(":2,R" in f or ":2,FRS" in f for f in os.listdir(os.path.join(md, "cur")))
    p = login(inst)
    after = {}
    for n, uid in (x.decode().split() for x in p.uidl()[1]):
        after[marker_of(lf_text(p.retr(int(n))[1]))] = uid
    p.quit()
    assert after == {tid: texts[tid][0] for tid in (tids[0], tids[2], flagged)}


def test_dovecot_sees_nothing_of_a_dropped_session(box):
    """DELE without QUIT (connection dropped): Dovecot still has every message."""
    inst, md, tids, flagged, dove_dir, start_dovecot = box
    # A login moves new/ to cur/; the module's box may be fresh here (tests
    # of a module can run in different pytest-xdist workers), so log in once
    # first, then compare.
    login(inst).quit()
    before = set(os.listdir(os.path.join(md, "cur")))
    p = login(inst)
    for n in range(1, len(p.list()[1]) + 1):
        p.dele(n)
    p.sock.shutdown(socket.SHUT_RDWR)   # poplib's file object keeps the fd open
    p.sock.close()
    qng.wait_until(lambda: not inst.pids("qmail-pop3d"), 10, what="qmail-pop3d to exit")
    assert set(os.listdir(os.path.join(md, "cur"))) == before
    dove = start_dovecot()
    try:
        assert len(dove.fetch()) == len(before)
    finally:
        dove.stop()

