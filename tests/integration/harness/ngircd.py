"""A real ngircd 26 on 127.0.0.1, from a generated config in its own dir.

The config: a free port (bind to port 0), no flood penalties
(MaxPenaltyTime = 0, DefaultUserModes = F) so tests are never slowed by the
server, no per-IP connection limit, nicks up to 30 characters, its own
IncludeDir (never /etc/ngircd/ngircd.conf.d), no DNS/ident/PAM lookups.
`ngircd -n` stays in the foreground and logs to its stdout, which is kept
in ngircd.log: tests count connections there.  No PidFile: as root ngircd
drops to nobody before writing it; the Popen object is the PID.
"""

import hashlib
import os
import re
import ssl
import subprocess

from . import util

NGIRCD = "/usr/sbin/ngircd"
SERVER_NAME = "ircd.localhost"


class Ngircd:
    def __init__(self, directory, password=None, tls=False):
        self.dir = os.path.abspath(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.include_dir = os.path.join(self.dir, "conf.d")
        os.makedirs(self.include_dir, exist_ok=True)
        self.port = util.free_port()
        self.password = password
        self.config_path = os.path.join(self.dir, "ngircd.conf")
        self.log_path = os.path.join(self.dir, "ngircd.log")
        self.motd_path = os.path.join(self.dir, "ngircd.motd")
        self.proc = None
        self.tls_port = None
        self.cert_path = self.key_path = self.cert_sha256 = None
        if tls:
            self.tls_port = util.free_port()
            self.cert_path, self.key_path = util.selfsigned_cert(
                os.path.join(self.dir, "tls"), "localhost")
            with open(self.cert_path) as f:
                der = ssl.PEM_cert_to_DER_cert(f.read())
            digest = hashlib.sha256(der).hexdigest().upper()
            self.cert_sha256 = ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
        self._write_config()

    def _write_config(self):
        with open(self.motd_path, "w") as f:
            f.write("Polygate integration tests\n")
        lines = [
            "[Global]",
            f"\tName = {SERVER_NAME}",
            "\tInfo = Polygate test network",
            "\tListen = 127.0.0.1",
            f"\tPorts = {self.port}",
            f"\tMotdFile = {self.motd_path}",
        ]
        if self.password is not None:
            lines.append(f"\tPassword = {self.password}")
        lines += [
            "[Limits]",
            "\tMaxConnectionsIP = 0",
            "\tMaxJoins = 0",
            "\tMaxNickLength = 30",
            "\tMaxPenaltyTime = 0",
            "\tPingTimeout = 120",
            "\tPongTimeout = 60",
            "[Options]",
            "\tDNS = no",
            "\tIdent = no",
            "\tPAM = no",
            "\tDefaultUserModes = F",
            f"\tIncludeDir = {self.include_dir}",
        ]
        if self.tls_port is not None:
            lines += [
                "[SSL]",
                f"\tCertFile = {self.cert_path}",
                f"\tKeyFile = {self.key_path}",
                f"\tPorts = {self.tls_port}",
            ]
        lines.append("")
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines))

    # -- lifecycle ---------------------------------------------------------
    def start(self, timeout=30):
        assert self.proc is None or self.proc.poll() is not None, "ngircd already running"
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [NGIRCD, "-n", "-f", self.config_path],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        log.close()
        for port in (self.port, self.tls_port):
            if port is not None:
                # with TLS, the DH parameters are made first (a few seconds)
                util.wait_for(lambda: util.port_open("127.0.0.1", port), timeout,
                              f"ngircd port {port}", self.log_path,
                              alive=lambda: self.proc.poll() is None)
        return self

    def stop(self):
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        _rc, killed = util.stop_process(proc)
        if killed:
            raise util.HarnessError(
                f"ngircd ignored SIGTERM; log tail:\n{util.log_tail(self.log_path)}")

    def restart(self, timeout=30):
        self.stop()
        return self.start(timeout)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # -- observation -------------------------------------------------------
    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def tail(self, lines=40):
        return util.log_tail(self.log_path, lines)

    def tls_connections(self):
        """How many TLS sessions ngircd set up so far (its log)."""
        return len(re.findall(r"Connection \d+: initialized TLS", self.log()))

    def connections_accepted(self):
        """How many client connections ngircd accepted so far (its log)."""
        return len(re.findall(r"Accepted connection", self.log()))
