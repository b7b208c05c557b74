"""What lets several pytest-xdist workers (pytest -n, see docs/TESTING.md)
run the integration suite at once: ports that no two workers can be handed,
and a lock around making users."""

import contextlib
import fcntl
import os
import socket


# Ports for listeners the tests start (instances, peers, fake DNS servers).
# Binding port 0 and closing is not enough once xdist runs several workers:
# two workers (or an outgoing connection) can be handed the same ephemeral
# port before either listens on it.  So each process takes ports from a
# range of its own below the kernel's ephemeral range (32768-60999 on
# Debian): the serial run 20000-20999, worker gwN 21000+1000*N, at most
# gw10.  It starts at a random point of its range (so that two runs at once
# seldom meet) and skips ports something already holds.
PORT_BASE = 20000
PORT_SPAN = 1000
PORT_SLOTS = 12
_port_next = []


def _port_slot():
    w = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not w:
        return 0
    if not (w.startswith("gw") and w[2:].isdigit() and int(w[2:]) < PORT_SLOTS - 1):
        raise RuntimeError("no port range for xdist worker %r (at most gw%d)"
                           % (w, PORT_SLOTS - 2))
    return 1 + int(w[2:])


def free_port(host="127.0.0.1", kind=socket.SOCK_STREAM):
    """A port on host, from this process's range, that nothing holds now
    (kind: SOCK_STREAM or SOCK_DGRAM)."""
    base = PORT_BASE + PORT_SPAN * _port_slot()
    if not _port_next:
        _port_next.append(int.from_bytes(os.urandom(2), "big") % PORT_SPAN)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(PORT_SPAN):
        port = base + _port_next[0] % PORT_SPAN
        _port_next[0] += 1
        with socket.socket(family, kind) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in %d-%d" % (base, base + PORT_SPAN - 1))


@contextlib.contextmanager
def accounts_lock():
    """Held while users are made: xdist workers would otherwise run useradd
    at once (one fails on /etc/passwd's lock or on "already exists").  An
    flock on this directory, so no fixed path under /tmp is needed."""
    fd = os.open(os.path.dirname(os.path.abspath(__file__)), os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
