"""POP3 with real mail fetchers: fetchmail and getmail6 read and delete
a virtual user's mail as users would configure them."""

import os
import shutil
import subprocess
import tempfile

import pytest

import qng
from qng import ALICE, ALICE_PW
from test_pop3 import box_files, clear_box, pinst, put_msg  # noqa: F401


def fetcher_dir():
    d = tempfile.mkdtemp(prefix="qng-pop3-client-")
    os.chmod(d, 0o700)
    return d


@pytest.mark.skipif(not shutil.which("fetchmail"), reason="fetchmail not installed")
def test_fetchmail(pinst):  # noqa: F811
    clear_box(pinst)
    for i in range(3):
        put_msg(pinst, b"Subject: fm%d\n\nfetchmail body %d\n" % (i, i))
    d = fetcher_dir()
    try:
        out = os.path.join(d, "out")
        rc = os.path.join(d, "fetchmailrc")
        with open(rc, "w") as f:
            f.write("poll 127.0.0.1 port %d proto pop3 auth password\n"
                    "  user '%s' password '%s' is root here\n"
                    "  sslproto '' no sslcertck\n"
                    "  mda '/bin/sh -c \"cat >> %s\"'\n"
                    % (pinst.pop3_port, ALICE, ALICE_PW, out))
        os.chmod(rc, 0o600)
        env = dict(os.environ, HOME=d, FETCHMAILHOME=d)
        p = subprocess.run(["fetchmail", "-f", rc, "--nodetach", "--nosyslog", "-v"],
                           env=env, capture_output=True, timeout=60)
        assert p.returncode == 0, p.stderr.decode() + p.stdout.decode()
        data = open(out, "rb").read()
        for i in range(3):
            assert b"fetchmail body %d" % i in data
        assert box_files(pinst) == {"new": [], "cur": []}
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.skipif(not shutil.which("getmail"), reason="getmail6 not installed")
def test_getmail(pinst):  # noqa: F811
    clear_box(pinst)
    for i in range(2):
        put_msg(pinst, b"Subject: gm%d\n\ngetmail body %d\n" % (i, i))
    d = fetcher_dir()
    try:
        md = os.path.join(d, "Maildir")
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(md, sub))
        rc = os.path.join(d, "getmailrc")
        with open(rc, "w") as f:
            f.write("[retriever]\ntype = SimplePOP3Retriever\nserver = 127.0.0.1\n"
                    "port = %d\nusername = %s\npassword = %s\n\n"
                    "[destination]\ntype = Maildir\npath = %s/\n%s\n"
                    "[options]\ndelete = true\nread_all = true\nverbose = 0\n"
                    % (pinst.pop3_port, ALICE, ALICE_PW, md,
                       "user = nobody\n" if qng.is_root() else ""))
        if qng.is_root():   # getmail refuses to write a Maildir as root
            import pwd
            nb = pwd.getpwnam("nobody")
            os.chmod(d, 0o755)
            for root, dirs, _ in os.walk(md):
                for x in [root] + [os.path.join(root, y) for y in dirs]:
                    os.chown(x, nb.pw_uid, nb.pw_gid)
        p = subprocess.run(["getmail", "--getmaildir", d, "--rcfile", rc],
                           capture_output=True, timeout=60)
        assert p.returncode == 0, p.stderr.decode() + p.stdout.decode()
        got = b"".join(open(os.path.join(md, "new", n), "rb").read()
                       for n in os.listdir(os.path.join(md, "new")))
        assert b"getmail body 0" in got and b"getmail body 1" in got
        assert box_files(pinst) == {"new": [], "cur": []}
    finally:
        shutil.rmtree(d, ignore_errors=True)
