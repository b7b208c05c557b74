"""System-call fault injection (POLICY.md promises 1, 2 and 4).

strace's `-e inject=SYSCALL:error=ERRNO[:when=N]` makes one system call fail
without touching the disk: ENOSPC, EDQUOT and EIO where the programs write,
fsync, link and rename.  Counting (`when=N`) is per process, so `when=N`
hits the Nth call of the process that makes it (docs/INTERNALS.md lists
qmail-queue's four fsyncs: message, mess/, envelope, todo/; a Maildir
delivery's two: the file in tmp/, then new/).

Each case checks what POLICY.md promises:
  - the submitter gets a temporary error (qmail-queue exit 53, SMTP 451,
    sendmail 111), never a success;
  - nothing partial is visible: no queue file of the message, no file in
    the queue's tmp/, nothing in the Maildir's new/ or cur/ and nothing
    left in its tmp/;
  - a failed delivery is retried and delivered exactly once when the fault
    is gone (`qmailctl flush` stands in for the retry schedule's wait);
  - qmail-qcheck finds the queue consistent afterwards.

qmail-queue runs under strace directly (its own program); the daemons (the
queue daemon qmail-queue -d, whose workers write the queue for sendmail and
qmail-smtpd, qmail-lspawn, qmail-send, qmail-clean) are attached to by pid
and released again, which is "the fault is gone".
"""

import os
import signal
import smtplib
import subprocess
import time

import pytest

import qng
from conftest import MODES
from qng import ALICE, DOMAIN, assert_qcheck

FAIL = "fail@" + DOMAIN
SENDER = "faults@remote.example"


@pytest.fixture(scope="module", params=MODES)
def finst(request, session):
    i = qng.started(qng.Instance(session, request.param),
                    before=lambda i: i.write_file("domains/%s/.qmail-fail" % DOMAIN,
                                                  "|echo fault-test failure; exit 100\n"))
    yield i
    i.teardown()


# -- strace --------------------------------------------------------------------

def tracer_of(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("TracerPid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def alive(pid):
    """Not gone and not a zombie (an idle worker may retire meanwhile)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def trace_file(inst):
    return os.path.join(inst.session.base, "strace-%s.out" % inst.mode)


class Attached:
    """strace attached to a running daemon with one injection; leaving the
    block detaches (the fault is gone)."""

    def __init__(self, inst, pid, inject, follow=True, also=()):
        self.pid = pid
        self.pids = [pid] + list(also)
        argv = ["strace", "-qq", "-o", trace_file(inst), "-e",
                "trace=" + inject.split(":", 1)[0], "-e", "inject=" + inject]
        for p in self.pids:
            argv += ["-p", str(p)]
        if follow:
            argv.insert(1, "-f")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)

    def __enter__(self):
        try:
            qng.wait_until(lambda: all(tracer_of(p) == self.proc.pid or not alive(p)
                                       for p in self.pids) or
                           self.proc.poll() is not None, 10, interval=0.02,
                           what="strace to attach to %s" % self.pids)
        except BaseException:
            self.proc.kill()
            raise
        assert self.proc.poll() is None, "strace could not attach to %s" % self.pids
        return self

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        qng.wait_until(lambda: tracer_of(self.pid) == 0, 10, interval=0.02,
                       what="strace to detach from %d" % self.pid)


def traced(argv, inject):
    """argv (an instance program) run under strace -f with one injection
    (as the instance owner, who cannot write the session's trace file)."""
    return ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "inject=" + inject] + argv


# -- messages and checks ---------------------------------------------------------

def message(tid, rcpt=ALICE, big=False):
    body = "fault test %s\n" % tid
    if big:   # several 64 KiB writes in every copy loop
        body += ("%s\n" % ("y" * 71)) * 4000
    head = "To: %s\nSubject: %s\nMessage-ID: <%s@faults.example>\n" % (rcpt, tid, tid)
    return (head + "\n" + body).encode(), body.encode()


def queue_tmp(inst):
    return sorted(os.listdir(inst.path("queue", "tmp")))


def assert_not_queued(inst, tid):
    """Nothing of a refused message is left in the queue, not even in tmp/."""
    assert not inst.queue_files_with(tid), "refused message %s is in the queue" % tid
    assert queue_tmp(inst) == [], "left in queue/tmp: %s" % queue_tmp(inst)
    assert_qcheck(inst)


def assert_nothing_partial(inst, tid):
    md = inst.maildir()
    assert not qng.maildir_files(md, tid), "%s visible in the Maildir" % tid
    left = os.listdir(os.path.join(md, "tmp"))
    assert left == [], "left in Maildir/tmp: %s" % left


def assert_delivered_once(inst, tid, body, timeout=20):
    md = inst.maildir()
    qng.wait_for_mail(md, tid, timeout=timeout)
    time.sleep(0.5)
    files = qng.maildir_files(md, tid)
    assert len(files) == 1, "%s: %d copies: %s" % (tid, len(files), [f for f, _ in files])
    assert files[0][1].endswith(b"\n\n" + body), "altered copy of %s" % tid
    assert os.listdir(os.path.join(md, "tmp")) == []


def wait_gone_from_queue(inst, tid, timeout=20):
    qng.wait_until(lambda: not inst.queue_files_with(tid), timeout, interval=0.1,
                   what="%s to leave the queue" % tid)


def run_queue(inst, tid, inject=None, rcpt=ALICE):
    """qmail-queue with the fd protocol: message on 0, envelope on 1."""
    msg, _ = message(tid, rcpt)
    argv = [inst.bin("qmail-queue")]
    if inject:
        argv = traced(argv, inject)
    rd, wr = os.pipe()
    os.write(wr, b"F" + SENDER.encode() + b"\0T" + rcpt.encode() + b"\0\0")
    os.close(wr)
    try:
        p = subprocess.run(inst.argv(argv), input=msg, stdout=rd, stderr=subprocess.PIPE,
                           timeout=30, cwd="/")
    finally:
        os.close(rd)
    return p.returncode


def inject_local(inst, tid, rcpt=ALICE, sender=SENDER, big=False):
    msg, _ = message(tid, rcpt, big)
    p = inst.run([inst.bin("qmail-inject"), "-f", sender, rcpt], input=msg)
    assert p.returncode == 0, p.stderr
    return message(tid, rcpt, big)[1]


def log_count(inst, what):
    return inst.log_text("send").count(what)


def wait_log(inst, what, before, timeout=20):
    qng.wait_until(lambda: log_count(inst, what) > before, timeout, interval=0.05,
                   what="a new %r in qmail-send's log" % what)
    lines = [ln for ln in inst.log_text("send").splitlines() if what in ln]
    return lines[-1]


def flush(inst):
    inst.ctl("flush", check=False)


# -- qmail-queue, run directly ------------------------------------------------------

QUEUE_FAULTS = [
    "write:error=ENOSPC",            # the message copy into tmp/
    "write:error=EDQUOT:when=2",
    "fsync:error=EIO:when=1",        # the message file
    "fsync:error=ENOSPC:when=2",     # mess/
    "fsync:error=EIO:when=3",        # the envelope
    "fsync:error=EIO:when=4",        # todo/ (the link is taken back)
    "rename:error=EDQUOT",           # tmp/ -> mess/N
    "link:error=ENOSPC",             # envelope -> todo/N
    "link:error=EIO",
]


@pytest.mark.timeout_s(60)
@pytest.mark.parametrize("inject", QUEUE_FAULTS)
def test_queue_fault(finst, inject):
    tid = qng.test_id()
    code = run_queue(finst, tid, inject)
    assert code == 53, "%s: qmail-queue exited %d, want 53 (temporary write error)" % (
        inject, code)
    assert_not_queued(finst, tid)
    qng.assert_no_mail(finst.maildir(), tid, settle=0.3)


@pytest.mark.timeout_s(60)
def test_queue_after_faults_ok(finst):
    """The same injection aimed past the last fsync changes nothing: the
    harness itself does not make qmail-queue fail."""
    tid = qng.test_id()
    assert run_queue(finst, tid, "fsync:error=EIO:when=5") == 0
    assert_delivered_once(finst, tid, message(tid)[1])
    wait_gone_from_queue(finst, tid)
    assert_qcheck(finst)


def queue_ids(inst, sub):
    return set(os.listdir(inst.path("queue", sub)))


@pytest.mark.timeout_s(60)
@pytest.mark.parametrize("mode", MODES)
def test_queue_todo_fsync_fault_races_adoption(make_instance, session, mode):
    """fsync(todo/) fails (slowly) while qmail-send adopts the new todo/N:
    the queue must stay consistent, and a message qmail-send took must
    still be delivered (the submitter was told 'failure': at most the
    documented duplicate of queue-after-todo-link).  An instance of its
    own: the bug leaves a broken queue behind."""
    inst = make_instance(mode, start=False)
    # hold-NAME@ defers until the file hold-NAME exists in the session's base.
    inst.write_file("domains/%s/.qmail-hold-default" % DOMAIN,
                    '|test -e %s/hold-"$DEFAULT" || exit 111\n&%s\n' % (session.base, ALICE))
    inst.start()
    tid = qng.test_id()
    rcpt = "hold-%s@%s" % (tid, DOMAIN)
    msg, _ = message(tid, rcpt)
    argv = traced([inst.bin("qmail-queue")], "fsync:error=EIO:delay_enter=2000000:when=4")
    rd, wr = os.pipe()
    os.write(wr, b"F" + ALICE.encode() + b"\0T" + rcpt.encode() + b"\0\0")
    os.close(wr)
    p = subprocess.Popen(inst.argv(argv), stdin=subprocess.PIPE, stdout=rd, cwd="/")
    os.close(rd)
    try:
        p.stdin.write(msg)
        p.stdin.close()
        num = qng.wait_until(lambda: [os.path.basename(f) for f in inst.queue_files_with(tid)
                                      if os.path.basename(f) in queue_ids(inst, "todo")],
                             10, interval=0.02, what="todo/N of %s" % tid)[0]
        flush(inst)          # qmail-send rescans todo/ inside the 2 s window
        qng.wait_until(lambda: num in queue_ids(inst, "env"), 5, interval=0.02,
                       what="qmail-send to adopt %s" % num)
        assert p.wait(timeout=20) == 53
    finally:
        if p.poll() is None:
            p.kill()
    assert_qcheck(inst)
    open(os.path.join(session.base, "hold-" + tid), "w").close()
    flush(inst)
    md = inst.maildir()
    qng.wait_for_mail(md, tid)
    wait_gone_from_queue(inst, tid)
    assert len(qng.maildir_files(md, tid)) == 1
    assert_qcheck(inst)


# -- through sendmail and qmail-smtpd -------------------------------------------------

@pytest.mark.timeout_s(60)
@pytest.mark.parametrize("inject", ["fsync:error=EIO", "link:error=ENOSPC"])
def test_sendmail_fault(finst, inject):
    """sendmail hands the message to the queue daemon, whose worker fails."""
    tid = qng.test_id()
    msg, body = message(tid)
    with queue_daemon_attached(finst, inject):
        p = finst.run([finst.bin("sendmail"), "-f", SENDER, "-t"], input=msg)
    assert p.returncode == 111, "sendmail exited %d: %s" % (p.returncode, p.stderr)
    assert_not_queued(finst, tid)
    p = finst.inject(msg, args=("-f", SENDER, "-t"))
    assert p.returncode == 0, p.stderr
    assert_delivered_once(finst, tid, body)


def queue_daemon_pid(inst):
    """qmail-queue -d (docs/PROTOCOLS.md "Queue daemon"): its workers write
    the queue for sendmail and qmail-smtpd."""
    return qng.queue_daemon_pid(inst)


def queue_daemon_attached(inst, inject):
    """strace on the queue daemon and on the workers it already has (idle
    ones take the next message; -f catches the ones forked later)."""
    pid = queue_daemon_pid(inst)
    return Attached(inst, pid, inject, also=qng.child_pids(pid))


@pytest.mark.timeout_s(60)
@pytest.mark.parametrize("inject", ["fsync:error=EIO", "link:error=ENOSPC",
                                    "rename:error=EDQUOT"])
def test_smtpd_fault(finst, inject):
    tid = qng.test_id()
    msg, body = message(tid)
    wire = msg.replace(b"\n", b"\r\n")
    with queue_daemon_attached(finst, inject):
        with smtplib.SMTP("127.0.0.1", finst.port, timeout=20) as s:
            with pytest.raises(smtplib.SMTPDataError) as e:
                s.sendmail(SENDER, [ALICE], wire)
            assert e.value.smtp_code == 451, e.value
            assert e.value.smtp_error.startswith(b"4.3.0"), e.value
    assert_not_queued(finst, tid)
    with smtplib.SMTP("127.0.0.1", finst.port, timeout=20) as s:
        assert s.sendmail(SENDER, [ALICE], wire) == {}
    assert_delivered_once(finst, tid, body)


# -- local delivery: qmail-lspawn's delivery workers --------------------------------

def lspawn_attached(inst, inject):
    """strace on qmail-lspawn and on the delivery workers it already has
    (an idle one takes the next delivery; -f catches the ones forked later)."""
    pid = [p for p in inst.pids("qmail-lspawn") if qng.parent_comm(p) != "qmail-lspawn"]
    assert len(pid) == 1, pid
    return Attached(inst, pid[0], inject, also=qng.child_pids(pid[0]))


# Counting is per process: qmail-lspawn itself is traced too, and its only
# write while attached is the one report, so write faults start at when=2
# (when=1 would break that report: qmail-lspawn exits and the supervisor
# restarts the delivery side, which is recovery, not what is tested here).
LOCAL_FAULTS = [
    # (injection, big message, deferral text must contain)
    ("fsync:error=EIO:when=1", False, "#4."),                 # the file in tmp/
    ("write:error=ENOSPC:when=3", True, "mailbox is full"),   # mid-message
    ("write:error=EDQUOT:when=2", False, "mailbox is full"),  # the body
    ("link:error=EIO", False, "Unable to link"),              # tmp/ -> new/
]


def deliver_with_fault(inst, inject, big):
    """Injects a message while qmail-lspawn's children fail; returns its id,
    body and the deferral line, with the fault still in place at the checks."""
    tid = qng.test_id()
    before = log_count(inst, ": deferral: ")
    with lspawn_attached(inst, inject):
        body = inject_local(inst, tid, big=big)
        line = wait_log(inst, ": deferral: ", before)
        assert_nothing_partial(inst, tid)
        assert inst.queue_files_with(tid), "deferred message %s left the queue" % tid
        assert_qcheck(inst)
    return tid, body, line


@pytest.mark.timeout_s(60)
@pytest.mark.parametrize("inject,big,text", LOCAL_FAULTS)
def test_local_fault(finst, inject, big, text):
    tid, body, line = deliver_with_fault(finst, inject, big)
    assert text in line, line
    flush(finst)
    assert_delivered_once(finst, tid, body)
    wait_gone_from_queue(finst, tid)
    assert_qcheck(finst)


@pytest.mark.timeout_s(60)
def test_local_fault_new_dir_fsync(finst):
    """fsync(new/) fails after the link: the delivery is deferred, so the
    file must not stay in new/ (else the retry makes an undocumented
    duplicate)."""
    tid = qng.test_id()
    before = log_count(finst, ": deferral: ")
    with lspawn_attached(finst, "fsync:error=EIO:when=2"):
        body = inject_local(finst, tid)
        wait_log(finst, ": deferral: ", before)
    flush(finst)
    wait_gone_from_queue(finst, tid)
    assert_qcheck(finst)
    assert_delivered_once(finst, tid, body)


@pytest.mark.timeout_s(60)
def test_local_fsync_fault_text(finst):
    tid, _, line = deliver_with_fault(finst, "fsync:error=EIO:when=1", False)
    flush(finst)
    assert "Unable to read message" not in line, line


# -- qmail-send and qmail-clean --------------------------------------------------------

@pytest.mark.timeout_s(60)
def test_send_bounce_record_fault(finst):
    """fsync(bounce/N) fails: the recipient stays to do (no bounce, no done
    mark) and fails again on the retry, and then exactly one bounce goes out."""
    tid = qng.test_id()
    md = finst.maildir()
    before = log_count(finst, "unable to write bounce/")
    send = finst.pids("qmail-send")
    assert len(send) == 1, send
    # Not -f: the bounce's own qmail-queue must not be hit.
    with Attached(finst, send[0], "fsync:error=EIO", follow=False):
        msg, _ = message(tid, FAIL)
        p = finst.run([finst.bin("qmail-inject"), "-f", ALICE, FAIL], input=msg)
        assert p.returncode == 0, p.stderr
        wait_log(finst, "unable to write bounce/", before)
        assert finst.queue_files_with(tid), "failed message %s left the queue" % tid
        assert_qcheck(finst)
    assert not qng.maildir_files(md, tid), "bounce sent although its record failed"
    flush(finst)
    wait_gone_from_queue(finst, tid)
    qng.wait_for_mail(md, tid)
    time.sleep(0.5)
    bounces = qng.maildir_files(md, tid)
    assert len(bounces) == 1, [f for f, _ in bounces]
    data = bounces[0][1]
    assert data.startswith(b"Return-Path: <>\n")
    # The recipient is listed once although two records were written.
    assert data.count(b"\n<" + FAIL.encode() + b">:\n") == 1, data[:1500]
    assert data.count(b"Final-Recipient: rfc822; " + FAIL.encode() + b"\n") == 1, data[:1500]
    assert_qcheck(finst)


@pytest.mark.timeout_s(60)
def test_send_done_mark_fault(finst):
    """fdatasync of the done mark fails: logged, and the message is still
    delivered exactly once and removed (the worst case is a duplicate)."""
    tid = qng.test_id()
    before = log_count(finst, "may deliver twice")
    with Attached(finst, finst.pids("qmail-send")[0], "fdatasync:error=EIO", follow=False):
        body = inject_local(finst, tid)
        wait_log(finst, "may deliver twice", before)
    assert_delivered_once(finst, tid, body)
    wait_gone_from_queue(finst, tid)
    assert_qcheck(finst)


@pytest.mark.timeout_s(60)
def test_clean_fault(finst):
    """qmail-clean's directory fsync fails: it answers failure, keeps the
    message file (never an envelope without its message), and the orphan is
    removed after a restart."""
    tid = qng.test_id()
    before = log_count(finst, "qmail-clean unable to clean up")
    clean = finst.pids("qmail-clean")
    assert len(clean) == 1, clean
    with Attached(finst, clean[0], "fsync:error=EIO"):
        body = inject_local(finst, tid)
        wait_log(finst, "qmail-clean unable to clean up", before)
        assert_qcheck(finst)
    assert_delivered_once(finst, tid, body)
    finst.restart()
    wait_gone_from_queue(finst, tid)
    assert_qcheck(finst)
    time.sleep(0.5)
    assert len(qng.maildir_files(finst.maildir(), tid)) == 1
