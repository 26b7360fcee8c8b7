"""The daemon's own hardening (issue 8, item 10): a crash must not dump the
registry key or an unsealed secret, and no process of the same uid may read
its memory.

The daemon is started as an unprivileged uid (nobody) against an XMPP port
where nothing listens: it keeps retrying, which is all these checks need.
For a process that is not dumpable, the kernel makes /proc/PID/* owned by
root (proc(5), "/proc/pid": "If the process's dumpable attribute is ...
other than 1, the files ... are owned by root"), and refuses a same-uid
reader of /proc/PID/environ."""

import os
import pathlib
import pwd
import shutil
import signal
import subprocess
import tempfile

import pytest

from harness import util
from harness.polygate import sanitizer_report

CONFIG = """\
[polygate]
database = registry.db
key_file = registry.key
log_level = debug

[xmpp]
host = 127.0.0.1
port = {port}

[http]
port = 0

[transport irc]
jid = irc.localhost
secret = {secret}
type = irc
"""

UNIT = os.path.join(os.path.dirname(__file__), "..", "..", "contrib", "systemd",
                    "polygate.service")


def nobody():
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody'")
    return entry.pw_uid, entry.pw_gid


@pytest.fixture
def unprivileged_daemon(polygate_binary, request):
    if os.geteuid() != 0:
        pytest.skip("needs root to start the daemon as another uid")
    uid, gid = nobody()
    # Not under tmp_path: pytest resets its base directory to 0700 whenever
    # another pytest session on the machine starts, and nobody would then be
    # locked out half way through.  tempfile's directory (/tmp) is 1777.
    directory = pathlib.Path(tempfile.mkdtemp(prefix="polygate-hardening-"))
    request.addfinalizer(lambda: shutil.rmtree(directory, ignore_errors=True))
    config = directory / "polygate.conf"
    config.write_text(CONFIG.format(port=util.free_port(), secret=util.secret()))
    os.chmod(config, 0o600)
    os.chown(directory, uid, gid)
    os.chown(config, uid, gid)
    log_path = directory / "polygate.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [shutil.which("setpriv"), f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
             "--inh-caps=-all", "--bounding-set=-all", polygate_binary, "--config", str(config)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=directory)
    # "ready" comes once its signal handlers are in place, long after main()
    # made itself non-dumpable
    util.wait_for(lambda: "ready: " in log_path.read_text(errors="replace"), 30,
                  "the daemon to be ready", str(log_path), alive=lambda: proc.poll() is None)
    yield proc, uid, gid
    rc, killed = util.stop_process(proc, 30)
    text = log_path.read_text(errors="replace")
    assert not sanitizer_report(text), text
    assert not killed and rc == 0, text


def test_the_daemon_is_not_dumpable(unprivileged_daemon):
    proc, uid, gid = unprivileged_daemon
    status = os.stat(f"/proc/{proc.pid}/status")
    assert status.st_uid == 0, (
        f"/proc/{proc.pid} belongs to uid {status.st_uid}: the daemon (uid {uid}) is dumpable")


def test_a_process_of_the_same_uid_cannot_read_the_daemons_memory(unprivileged_daemon):
    proc, uid, gid = unprivileged_daemon
    probe = subprocess.run(
        [shutil.which("setpriv"), f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
         "--inh-caps=-all", "--bounding-set=-all", "head", "-c", "1",
         f"/proc/{proc.pid}/environ"], capture_output=True, text=True, timeout=30)
    assert probe.returncode != 0 and "Permission denied" in probe.stderr, (
        f"uid {uid} read the daemon's environment: rc {probe.returncode}, {probe.stderr!r}")


def test_the_systemd_unit_forbids_core_dumps():
    with open(UNIT) as f:
        lines = [line.strip() for line in f]
    assert "LimitCORE=0" in lines
