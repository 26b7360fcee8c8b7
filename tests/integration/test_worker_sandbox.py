"""polygate-purple in its Landlock sandbox, against a real ngircd over TLS.

The worker confines itself before it reads its first command
(backends/purple/pg-purple-sandbox.c).  libpurple's TLS path (NSS, the CA
pool, the peer certificate cache in the user dir) must still work there:
this logs in over TLS and joins a channel with --sandbox=required, and the
same with --sandbox=off as the control.  The self-signed certificate of
this ngircd is put into libpurple's peer cache (certificates/x509/
tls_peers/127.0.0.1 in the user dir), as a user who accepted it once
would have it.
"""

import ctypes
import os
import shutil
import socket
import struct
import subprocess
import threading

import pytest

from harness import util
from test_sms_worker import PROTOCOL_VERSION, decode, encode, find_worker

NGIRCD = "/usr/sbin/ngircd"


def landlock_abi():
    """landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) (x86-64: 444)."""
    libc = ctypes.CDLL(None, use_errno=True)
    return max(libc.syscall(444, None, 0, 1), 0)


@pytest.fixture(scope="module")
def tls_ngircd(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("ngircd-tls"))
    cert, key = util.selfsigned_cert(directory, "127.0.0.1")
    os.chmod(key, 0o644)  # ngircd reads it after dropping to nobody
    plain, tls = util.free_port(), util.free_port()
    config = os.path.join(directory, "ngircd.conf")
    with open(config, "w") as f:
        f.write("\n".join([
            "[Global]", "\tName = irc.localhost", "\tListen = 127.0.0.1", f"\tPorts = {plain}",
            "[Limits]", "\tMaxConnectionsIP = 0", "\tMaxPenaltyTime = 0",
            "[Options]", "\tDNS = no", "\tIdent = no", "\tPAM = no",
            f"\tIncludeDir = {directory}",
            "[SSL]", f"\tCertFile = {cert}", f"\tKeyFile = {key}", f"\tPorts = {tls}", ""]))
    log_path = os.path.join(directory, "ngircd.log")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([NGIRCD, "-n", "-f", config], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, cwd=directory)
    util.wait_for(lambda: util.port_open("127.0.0.1", tls), 30, "ngircd's TLS port", log_path,
                  alive=lambda: proc.poll() is None)
    yield tls, cert
    util.stop_process(proc)


class SandboxedWorker:
    """polygate-purple started as the daemon starts it: --user-dir, --sandbox."""

    def __init__(self, directory, mode, plugins=()):
        binary, _ = find_worker()
        if binary is None or not os.access(binary, os.X_OK):
            pytest.fail(f"worker not built ({binary})", pytrace=False)
        self.user_dir = os.path.join(directory, f"user-{mode}")
        os.mkdir(self.user_dir, 0o700)
        self.stderr_path = os.path.join(directory, f"worker-{mode}.stderr")
        self.sock, child = socket.socketpair()
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                [binary, "--ipc-fd", str(child.fileno()), f"--user-dir={self.user_dir}",
                 f"--sandbox={mode}"] + [f"--plugin={p}" for p in plugins],
                pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL,
                stdout=stderr, stderr=stderr, env=env)
        child.close()
        self.events = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.expect("hello")
        self.send(1, "hello", version=PROTOCOL_VERSION, program="test")

    def _recv(self, size):
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _read(self):
        try:
            while True:
                header = self._recv(4)
                payload = header and self._recv(struct.unpack(">I", header)[0])
                if payload is None:
                    break
                with self.cond:
                    self.events.append(decode(payload))
                    self.cond.notify_all()
        except OSError:
            pass

    def send(self, request, kind, **fields):
        self.sock.sendall(encode(request, kind, fields))

    def expect(self, kind, predicate=lambda e: True, timeout=60):
        def found():
            return next((e for e in self.events if e.kind == kind and predicate(e)), None)
        with self.cond:
            self.cond.wait_for(found, timeout)
            event = found()
        if event is None:
            raise util.HarnessError(f"no {kind} within {timeout}s: {self.events[-5:]}\n"
                                    f"{util.log_tail(self.stderr_path)}")
        return event

    def close(self):
        try:
            self.send(99, "shutdown")
        except OSError:
            pass
        rc, _ = util.stop_process(self.proc, 30)
        self.sock.close()
        return rc


@pytest.mark.parametrize("mode", ["required", "off"])
def test_a_sandboxed_worker_logs_in_over_tls_and_joins_a_room(tls_ngircd, tmp_path, mode):
    if mode == "required" and landlock_abi() == 0:
        pytest.skip("the kernel offers no Landlock")
    port, cert = tls_ngircd
    worker = SandboxedWorker(str(tmp_path), mode)
    try:
        peers = os.path.join(worker.user_dir, "certificates", "x509", "tls_peers")
        os.makedirs(peers, exist_ok=True)  # libpurple makes it at init
        shutil.copy(cert, os.path.join(peers, "127.0.0.1"))
        nick = f"sbx{mode[:3]}"
        worker.send(2, "login", account="a/irc", protocol="prpl-irc",
                    username=f"{nick}@127.0.0.1", options={"port": str(port), "ssl": "true"})
        state = worker.expect("login-state", lambda e: e["state"] != "connecting")
        assert state["state"] == "connected", (state, util.log_tail(worker.stderr_path))
        worker.send(3, "join-room", account="a/irc", room="#sandbox")
        joined = worker.expect("room-joined")
        assert joined["room"] == "#sandbox" and joined["nick"] == nick
    finally:
        assert worker.close() == 0, util.log_tail(worker.stderr_path)
    # the worker emptied its dir; the dir itself is the daemon's to remove
    assert os.listdir(worker.user_dir) == []


def test_the_plugin_probe_worker_is_confined_whole_under_a_required_sandbox(tmp_path):
    """Landlock confines the thread that applies it and the threads it starts
    later, never one already running (Linux 6.1 has no flag to confine them
    all).  The worker that reads every installed plugin (the daemon's probe,
    --plugin=*, src/session/pg-protocol-probe.c) must still have one thread
    when it applies the sandbox: with `required` a worker that had more
    refuses to start (pg-purple-sandbox.c), and so this fails."""
    if landlock_abi() == 0:
        pytest.skip("the kernel offers no Landlock")
    worker = SandboxedWorker(str(tmp_path), "required", plugins=("*",))
    try:
        worker.send(2, "login", account="a/irc", protocol="prpl-irc",
                    username="probe@127.0.0.1", options={"port": str(util.free_port())})
        worker.expect("login-state", lambda e: e["state"] != "connecting")
        assert worker.proc.poll() is None
    finally:
        rc = worker.close()
    log = open(worker.stderr_path, errors="replace").read()
    assert "not confined" not in log, log
    assert rc == 0, log
