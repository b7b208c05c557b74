"""Fixtures for the qmail-ng integration suite (see docs/TESTING.md).

Modes: as root, every core test runs twice, against a privilege-separated
instance ("root") and against an instance owned by the ordinary user
qngtest ("user", run through runuser).  As a normal user, "user" only.

Environment:
  QNG_BUILD   build directory (default: build, relative to the repository)
  QNG_MODES   restrict modes, e.g. "user"
  QNG_KEEP    keep /var/tmp/qng-test-* after the run
"""

import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import qng  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(REPO, os.environ.get("QNG_BUILD", "build"))
DEFAULT_TIMEOUT = 120


def available_modes():
    modes = ["root", "user"] if qng.is_root() else ["user"]
    want = os.environ.get("QNG_MODES")
    if want:
        modes = [m for m in modes if m in want.split(",")]
    return modes


MODES = available_modes()


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout_s(n): per-test time limit in seconds")
    config.addinivalue_line("markers", "rootonly: needs root (privilege-separated instance)")
    config.addinivalue_line("markers", "serial: asserts an upper bound on a time; "
                            "tools/check.sh runs these alone, after the parallel (-n) part")


class TestTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise TestTimeout("test exceeded its time limit")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Per-test guard (pytest-timeout is not installed): SIGALRM raises in
    the main thread, which interrupts blocking socket and sleep calls."""
    m = item.get_closest_marker("timeout_s")
    limit = m.args[0] if m else DEFAULT_TIMEOUT
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(limit))
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _user_mode_param(item):
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "user" in callspec.params.values()


def pytest_collection_modifyitems(config, items):
    # A root-only test is not generated for the ordinary-user instance at all:
    # privilege separation exists only in root mode, so there is nothing to skip.
    dropped = [i for i in items if i.get_closest_marker("rootonly") and _user_mode_param(i)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]
    for item in items:
        if item.get_closest_marker("rootonly") and not qng.is_root():
            item.add_marker(pytest.mark.skip(reason="needs root: privilege-separated instance"))


def pytest_sessionfinish(session):
    # An xdist worker hands its list to the controller (pytest_testnodedown).
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["qng_killed"] = list(qng.KILLED_LEFTOVERS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    qng.KILLED_LEFTOVERS.extend(getattr(node, "workeroutput", {}).get("qng_killed", []))


def pytest_terminal_summary(terminalreporter):
    if qng.KILLED_LEFTOVERS:
        terminalreporter.write_line("qmail-ng: teardown had to kill -9 leftover processes:")
        for line in qng.KILLED_LEFTOVERS:
            terminalreporter.write_line("  " + line)


@pytest.fixture(scope="session")
def session():
    if not os.path.isdir(os.path.join(BUILD, "bin")):
        pytest.fail("no programs in %s/bin: run make first" % BUILD)
    s = qng.Session(BUILD)
    if qng.is_root() and "user" in MODES:
        qng.ensure_test_user()
    yield s
    s.cleanup()


def _build(session, mode, crash=False, start=True, env=None):
    return qng.started(qng.Instance(session, mode, crash=crash), start=start, env=env)


@pytest.fixture(scope="module", params=MODES)
def inst(request, session):
    """A running instance shared by the tests of one module, per mode."""
    i = _build(session, request.param)
    yield i
    i.teardown()


@pytest.fixture(params=MODES)
def fresh(request, session):
    """A running instance of its own, for tests that change configuration."""
    i = _build(session, request.param)
    yield i
    i.teardown()


@pytest.fixture
def make_instance(session):
    """Factory: make_instance(mode, crash=False, start=True, env=None)."""
    made = []

    def factory(mode, crash=False, start=True, env=None):
        i = _build(session, mode, crash=crash, start=start, env=env)
        made.append(i)
        return i
    yield factory
    for i in made:
        i.teardown()


@pytest.fixture(scope="session")
def modes():
    return MODES


@pytest.fixture
def control(inst):
    """control(name, text) writes a control file for this test only."""
    written = []

    def write(name, text):
        inst.write_control(name, text)
        written.append(name)
    yield write
    for name in written:
        try:
            os.unlink(inst.path("control", name))
        except FileNotFoundError:
            pass
