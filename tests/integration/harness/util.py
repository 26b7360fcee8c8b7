"""Small helpers shared by the harness: free ports, bounded waits, log tails.

Every wait in the harness is "poll a condition until a deadline, then fail with
the log tail": never a bare sleep.
"""

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time


class HarnessError(AssertionError):
    """A server or the daemon did not behave; the message carries the log tail."""


_given_ports = set()


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0),
    and never handed out before in this run.

    The port is free only until the caller's server binds it, often seconds
    later: meanwhile the kernel may give the same port to the next bind(0),
    e.g. Prosody's c2s and component ports, or Kannel's four, picked one
    after the other and bound together later.  Remembering what was handed
    out keeps two of our servers from ever being given one port."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _given_ports:
            _given_ports.add(port)
            return port
    raise HarnessError("no free TCP port that was not handed out already")


def secret():
    return secrets.token_hex(16)


def log_tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return f"(no log at {path}: {e})"
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


def port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(condition, timeout, what, log_path=None, interval=0.1, alive=None):
    """Poll condition() until it returns a true value, or fail after timeout.

    alive(), if given, is checked on each round so a crashed process fails at
    once instead of at the deadline.  Returns condition()'s value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if alive is not None and not alive():
            raise HarnessError(
                f"process died while waiting for {what}"
                + (f"; log tail ({log_path}):\n{log_tail(log_path)}" if log_path else "")
            )
        if time.monotonic() >= deadline:
            raise HarnessError(
                f"timed out after {timeout}s waiting for {what}"
                + (f"; log tail ({log_path}):\n{log_tail(log_path)}" if log_path else "")
            )
        time.sleep(interval)  # polling interval of a bounded wait


def stop_process(proc, timeout=20, sig=signal.SIGTERM):
    """sig (SIGTERM), bounded wait, then SIGKILL.  Returns the exit code
    (negative for a signal, as subprocess reports it) and whether it had to be
    killed."""
    if proc.poll() is not None:
        return proc.returncode, False
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=timeout), False
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=timeout), True


def selfsigned_cert(directory, domain="localhost"):
    """directory/domain.crt + .key, valid for domain and *.domain (its components)."""
    os.makedirs(directory, exist_ok=True)
    crt = os.path.join(directory, f"{domain}.crt")
    key = os.path.join(directory, f"{domain}.key")
    if not (os.path.exists(crt) and os.path.exists(key)):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
             "-subj", f"/CN={domain}",
             "-addext", f"subjectAltName=DNS:{domain},DNS:*.{domain}",
             "-keyout", key, "-out", crt],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.chmod(key, 0o600)
    return crt, key


def ca_signed_cert(directory, domain="localhost"):
    """A test CA (directory/ca.crt) and directory/domain.crt + .key that it
    signed, valid for domain, *.domain and 127.0.0.1 (prpl-jabber checks
    the certificate against connect_server).  Returns the CA's path."""
    os.makedirs(directory, exist_ok=True)
    ca_key, ca_crt = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.crt")
    key, crt = os.path.join(directory, f"{domain}.key"), os.path.join(directory, f"{domain}.crt")
    csr, ext = os.path.join(directory, "leaf.csr"), os.path.join(directory, "leaf.cnf")
    quiet = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN=Polygate test CA {os.getpid()}", "-keyout", ca_key,
                    "-out", ca_crt], **quiet)
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={domain}",
                    "-keyout", key, "-out", csr], **quiet)
    with open(ext, "w") as f:
        f.write(f"subjectAltName=DNS:{domain},DNS:*.{domain},DNS:127.0.0.1,IP:127.0.0.1\n")
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
                    "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt], **quiet)
    os.chmod(key, 0o600)
    os.chmod(ca_key, 0o600)
    return ca_crt


# Where update-ca-certificates puts a local CA and how it lists it: the
# certificate under /usr/local/share/ca-certificates, a NAME.pem symlink to
# it in /etc/ssl/certs (libpurple's CA pool reads *.pem and *.crt there).
LOCAL_CA_DIR = "/usr/local/share/ca-certificates"
SYSTEM_CERTS = "/etc/ssl/certs"


@contextlib.contextmanager
def listed_system_ca(ca_crt):
    """@ca_crt listed as a system CA the way update-ca-certificates lists
    one, for as long as the block runs.  No hash link is made and the bundle
    is left alone, so only programs that read the *.pem files (libpurple's
    CA pool) trust it.  Needs root."""
    name = f"polygate-test-ca-{os.getpid()}"
    os.makedirs(LOCAL_CA_DIR, exist_ok=True)
    local = os.path.join(LOCAL_CA_DIR, f"{name}.crt")
    link = os.path.join(SYSTEM_CERTS, f"{name}.pem")
    shutil.copy(ca_crt, local)
    os.symlink(local, link)
    try:
        yield link
    finally:
        os.unlink(link)
        os.unlink(local)


def children_named(parent_pid, name):
    """PIDs of parent_pid's children whose command name is name, or any
    child when name is None (/proc)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split at ')'
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == parent_pid and (name is None or comm == name[:15]):  # comm is cut at 15
            pids.append(int(entry))
    return pids
