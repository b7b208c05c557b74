"""qmail-lspawn's delivery workers (src/cmd/qmail-lspawn/lspawn.h).

A worker becomes one mailbox owner once and serves that owner's local
deliveries one at a time.  A |program line sees the worker as its parent
($PPID), which makes reuse observable from a .qmail file: many deliveries
to one owner share few processes, two owners never share one, a later
delivery in a worker sees the same cwd, umask, environment, signal mask and
descriptors as the first, a worker killed mid-delivery gives a deferral and
exactly one delivery on retry, idle workers go away, and stopping the
instance leaves none behind.
"""

import os
import signal
import smtplib
import time

import pytest

import qng
from conftest import MODES
from qng import ALICE, DOMAIN, ME

# One line per delivery: the worker's pid, then what the program sees.
PROBE = ("|echo \"$PPID $(id -u) $(pwd) $(umask)"
         " $(grep -E '^Sig(Ign|Blk)' /proc/$$/status | tr -d '\\t\\n')"
         " $(ls /proc/$$/fd | sort -n | tr '\\n' ,)"
         " $(env | grep -v -E '^(PWD|SHLVL|_|OLDPWD)=' | grep -v -E '^(RECIPIENT|LOCAL|EXT|EXT2|EXT3|EXT4|DTLINE|RPLINE|UFLINE|SENDER|NEWSENDER|HOST|HOST2|HOST3|HOST4|DEFAULT)=' | sort | md5sum | cut -c1-8)\""
         " >> %s.out\n")
SLOW = ("|if [ ! -e slow.retry ]; then echo \"$PPID $$\" > slow.pid.tmp;"
        " mv slow.pid.tmp slow.pid; exec sleep 60; fi\n"
        "|cat >> slow.got\n")


@pytest.fixture(scope="module", params=MODES)
def rinst(request, session):
    """One local delivery at a time, so that one owner has one worker."""
    def prepare(i):
        i.write_control("concurrencylocal", "1")
        for name in ("probe", "probe2"):
            i.write_file("domains/%s/.qmail-%s" % (DOMAIN, name), PROBE % name)
        i.write_file("domains/%s/.qmail-fwdprobe" % DOMAIN, "&probe2@%s\n" % DOMAIN)
        i.write_file("domains/%s/.qmail-slow" % DOMAIN, SLOW)
        i.write_file("alias/.qmail-aprobe", PROBE % "aprobe")
    i = qng.started(qng.Instance(session, request.param), before=prepare)
    yield i
    i.teardown()


def dhome(inst, name=""):
    return inst.path("domains", DOMAIN, name)


def send(inst, rcpt, tid):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=15) as s:
        s.sendmail("probe@remote.example", [rcpt], "Subject: %s\r\n\r\nbody %s\r\n" % (tid, tid))


def lines(path):
    try:
        with open(path) as f:
            return [line.split() for line in f if line.strip()]
    except FileNotFoundError:
        return []


def wait_lines(path, n, timeout=30):
    return qng.wait_until(lambda: (lambda r: r if len(r) >= n else None)(lines(path)),
                          timeout, what="%d line(s) in %s" % (n, path))


def deliver_one(inst, rcpt, out):
    """Sends one message and waits for its line; returns that line."""
    n = len(lines(out))
    send(inst, rcpt, qng.test_id())
    return wait_lines(out, n + 1)[n]


def parent_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def test_one_owner_few_processes(rinst):
    out = dhome(rinst, "probe.out")
    got = [deliver_one(rinst, "probe@" + DOMAIN, out) for _ in range(12)]
    ppids = {int(g[0]) for g in got}
    assert len(ppids) <= 3, "12 deliveries in %d processes: %s" % (len(ppids), ppids)
    worker = int(got[-1][0])
    assert qng.exe_name(worker) == "qmail-lspawn", qng.exe_name(worker)
    assert qng.exe_name(parent_of(worker)) == "qmail-lspawn"


def test_later_delivery_sees_a_clean_process(rinst):
    """cwd, umask, signals, descriptors and environment of a delivery are
    those of the first one in the worker, whatever ran in between."""
    out = dhome(rinst, "probe.out")
    first = deliver_one(rinst, "probe@" + DOMAIN, out)
    for _ in range(2):
        deliver_one(rinst, "fwdprobe@" + DOMAIN, dhome(rinst, "probe2.out"))  # qmail-queue
        tid = qng.test_id()
        send(rinst, ALICE, tid)                                               # Maildir
        qng.wait_for_mail(rinst.maildir(), tid)
    later = deliver_one(rinst, "probe@" + DOMAIN, out)
    assert later[0] == first[0], "not the same worker: %s %s" % (first, later)
    assert later[1:] == first[1:], "state changed:\n%s\n%s" % (first, later)
    assert os.path.realpath(first[2]) == os.path.realpath(dhome(rinst))


@pytest.mark.rootonly
def test_two_owners_never_share(rinst):
    by_pid = {}
    for i in range(6):
        for rcpt, out in (("probe@" + DOMAIN, dhome(rinst, "probe.out")),
                          ("aprobe@" + ME, rinst.path("alias", "aprobe.out"))):
            line = deliver_one(rinst, rcpt, out)
            by_pid.setdefault(int(line[0]), []).append(int(line[1]))
    assert len(set(sum(by_pid.values(), []))) == 2, by_pid
    for pid, uids in by_pid.items():
        assert len(set(uids)) == 1, "worker %d served uids %s" % (pid, uids)
    assert max(len(u) for u in by_pid.values()) >= 2, "no worker was reused: %s" % by_pid


def test_worker_killed_mid_delivery(rinst):
    out = dhome(rinst, "probe.out")
    warm = int(deliver_one(rinst, "probe@" + DOMAIN, out)[0])
    for f in ("slow.pid", "slow.retry", "slow.got"):
        if os.path.exists(dhome(rinst, f)):
            os.unlink(dhome(rinst, f))
    tid = qng.test_id()
    send(rinst, "slow@" + DOMAIN, tid)
    pid_file = dhome(rinst, "slow.pid")
    qng.wait_until(lambda: os.path.exists(pid_file), 30, what=pid_file)
    worker, prog = (int(x) for x in open(pid_file).read().split())
    assert worker == warm, "the idle worker was not reused (%d, %d)" % (warm, worker)
    os.kill(worker, signal.SIGKILL)
    qng.wait_until(lambda: "Delivery process crashed" in rinst.log_text("send"), 30,
                   what="a crash report in the send log")
    rinst.write_file("domains/%s/slow.retry" % DOMAIN, "")
    try:
        os.killpg(prog, signal.SIGKILL)
    except OSError:
        pass
    assert not os.path.exists(dhome(rinst, "slow.got"))
    deadline = time.monotonic() + 60
    while rinst.queue_files_with(tid):
        assert time.monotonic() < deadline, "the message was not retried"
        rinst.ctl("flush", check=False)
        time.sleep(1)
    time.sleep(1)
    with open(dhome(rinst, "slow.got")) as f:
        assert f.read().count("Subject: %s\n" % tid) == 1


def test_idle_workers_exit_and_stop_reaps(rinst):
    out = dhome(rinst, "probe.out")
    worker = int(deliver_one(rinst, "probe@" + DOMAIN, out)[0])
    assert qng.exe_name(worker) == "qmail-lspawn", "worker %d gone at once" % worker
    qng.wait_until(lambda: qng.exe_name(worker) == "?", 20, interval=0.5,
                   what="idle worker %d to exit" % worker)
    workers = {int(deliver_one(rinst, "probe@" + DOMAIN, out)[0]) for _ in range(2)}
    rinst.stop()
    try:
        for w in workers:
            assert qng.exe_name(w) == "?", "worker %d outlived the instance" % w
        assert not rinst.pids("qmail-lspawn")
    finally:
        rinst.start()
