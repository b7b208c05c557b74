"""The TLS run of `make bench` (issue #4): sessions per second with STARTTLS
plus one message, and the memory of the processes serving one idle TLS
session, for qmail-ng and Postfix with the same certificate and key.

Load: CONC client processes (multiprocessing, so the client's handshakes
are not serialised by the GIL) share a counter of SESSIONS sessions; each
session is smtplib connect, EHLO, STARTTLS, EHLO, MAIL, RCPT, DATA of a
small message, QUIT.  Bounded by a deadline: a session not started before
it is not run, and the run reports how many completed.
"""

import multiprocessing
import os
import smtplib
import socket
import ssl
import time

BODY = ("Subject: tls bench\r\n\r\n" + "x" * 76 + "\r\n") * 10


def client_ctx():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def one_session(port, rcpt, ctx):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo("bench.client")
        if not s.has_extn("starttls"):
            raise RuntimeError("no STARTTLS offered")
        s.starttls(context=ctx)
        s.ehlo("bench.client")
        s.sendmail("bench@remote.example", [rcpt], BODY)


def _worker(port, rcpt, total, counter, deadline, out):
    ctx = client_ctx()
    ok = fail = 0
    err = ""
    while time.time() < deadline:
        with counter.get_lock():
            if counter.value >= total:
                break
            counter.value += 1
        try:
            one_session(port, rcpt, ctx)
            ok += 1
        except (OSError, smtplib.SMTPException, RuntimeError) as e:
            fail += 1
            err = "%s: %s" % (type(e).__name__, e)
    out.put((ok, fail, err))


def sessions_per_second(port, rcpt, total, conc, timeout):
    """{'rate', 'ok', 'fail', 'note'}: completed sessions / wall time."""
    mp = multiprocessing.get_context("fork")
    counter = mp.Value("i", 0)
    out = mp.Queue()
    t0 = time.monotonic()
    deadline = time.time() + timeout
    procs = [mp.Process(target=_worker, args=(port, rcpt, total, counter, deadline, out))
             for _ in range(conc)]
    for p in procs:
        p.start()
    res = []
    for _ in procs:
        try:
            res.append(out.get(timeout=timeout + 60))
        except Exception:  # queue.Empty: a worker hung past its deadline
            break
    elapsed = time.monotonic() - t0
    for p in procs:
        p.join(5)
        if p.is_alive():
            p.kill()
            p.join(5)
    ok = sum(r[0] for r in res)
    fail = sum(r[1] for r in res)
    errs = [r[2] for r in res if r[2]]
    note = ""
    if ok < total:
        note = "%d/%d TLS sessions completed (%d failed)%s" % (
            ok, total, fail, ("; last error: " + errs[-1][:160]) if errs else "")
    return {"rate": ok / elapsed if ok and elapsed > 0 else None, "ok": ok,
            "fail": fail, "elapsed": elapsed, "note": note}


# -- per-connection memory --------------------------------------------------

def _inodes_for(local_port, server_port):
    """Socket inodes of the server side of 127.0.0.1:local_port ->
    127.0.0.1:server_port (from /proc/net/tcp)."""
    want_local = "0100007F:%04X" % server_port
    want_rem = "0100007F:%04X" % local_port
    found = set()
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            x = line.split()
            if x[1] == want_local and x[2] == want_rem:
                found.add(x[9])
    return found


def _holders(inodes):
    out = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            for fd in os.listdir("/proc/%s/fd" % d):
                link = os.readlink("/proc/%s/fd/%s" % (d, fd))
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    out.add(int(d))
                    break
        except OSError:
            continue
    return out


def _ppid(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def _children(pids):
    out = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if _ppid(int(d)) in pids:
                    out.add(int(d))
            except (OSError, ValueError, IndexError):
                continue
    return out


def _mem(pid):
    """(RSS, PSS) in bytes from /proc/PID/smaps_rollup."""
    rss = pss = 0
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
    return rss, pss


def idle_session_memory(port, owns):
    """Opens one TLS session (EHLO, STARTTLS, EHLO) and leaves it idle; sums
    RSS and PSS of the processes that hold its server socket plus their
    children that belong to the system (qmail-ng: the TLS proxy and the
    qmail-smtpd it runs; Postfix: the smtpd(8) serving it).
    Returns (rss, pss, nprocs) or None."""
    s = smtplib.SMTP("127.0.0.1", port, timeout=30)
    try:
        s.ehlo("bench.client")
        s.starttls(context=client_ctx())
        s.ehlo("bench.client")
        time.sleep(0.5)
        local_port = s.sock.getsockname()[1]
        holders = _holders(_inodes_for(local_port, port))
        if not holders:
            return None
        procs = set(holders)
        for p in _children(holders):
            try:
                if owns(p, os.readlink("/proc/%d/exe" % p)):
                    procs.add(p)
            except OSError:
                continue
        rss = pss = 0
        for p in procs:
            r, q = _mem(p)
            rss += r
            pss += q
        return rss, pss, len(procs)
    finally:
        try:
            s.quit()
        except (OSError, smtplib.SMTPException):
            s.close()


def wait_accepting(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False
