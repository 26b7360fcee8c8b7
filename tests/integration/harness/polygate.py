"""The daemon under test: writes its config, starts POLYGATE_BIN, waits until
every transport answers disco#info, and on stop checks the exit code and that
no sanitizer (ASan, LSan, UBSan) reported anything.
"""

import os
import re
import signal
import subprocess

from . import util
from .client import error_condition

NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"

SANITIZER_PATTERNS = re.compile(
    r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
    r"SUMMARY: UndefinedBehaviorSanitizer|SUMMARY: AddressSanitizer")

DEFAULT_TRANSPORTS = (
    # the tests' IRC servers run on loopback, which the operator must allow
    {"name": "irc", "jid": "irc.localhost", "type": "irc", "display": "IRC gateway",
     "irc_allow": "*;127.0.0.0/8;::1;"},
    {"name": "sms", "jid": "sms.localhost", "type": "sms", "display": "SMS gateway"},
    {"name": "purple", "jid": "purple.localhost", "type": "purple", "display": "XMPP gateway",
     "purple_protocol": "prpl-jabber"},
)


def find_binary():
    """POLYGATE_BIN, else the first built daemon found in a usual build dir."""
    path = os.environ.get("POLYGATE_BIN")
    if path:
        return os.path.abspath(path)
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    for build in ("build-test", "build-harness-asan", "build-harness", "build"):
        candidate = os.path.join(root, build, "src", "polygate")
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def sanitizer_report(text):
    """The sanitizer report lines in text, or '' if there are none."""
    if not SANITIZER_PATTERNS.search(text):
        return ""
    return text


class Polygate:
    def __init__(self, binary, directory, prosody, transports=DEFAULT_TRANSPORTS,
                 log_level="debug", admins=None, http=None, global_options=None):
        self.binary = binary
        self.dir = os.path.abspath(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.prosody = prosody
        self.transports = [dict(t) for t in transports]
        self.log_level = log_level
        self.admins = admins
        self.http = dict(http or {})  # more [http] keys (max_connections...)
        # more [polygate] keys (worker...); not "global_options", which
        # ircgw.IrcPolygate sets itself before calling us
        self.polygate_options = dict(global_options or {})
        self.config_path = os.path.join(self.dir, "polygate.conf")
        self.database = os.path.join(self.dir, "registry.db")
        self.key_file = os.path.join(self.dir, "registry.key")
        self.log_path = os.path.join(self.dir, "polygate.log")
        self.proc = None
        self._log_offset = 0
        # each daemon its own HTTP port (Kannel callbacks, /metrics) and, per
        # SMS transport, the token Kannel's callbacks carry
        self.http_port = util.free_port()
        self.kannel_token = util.secret()
        self.write_config()

    @property
    def jids(self):
        return [t["jid"] for t in self.transports]

    def transport(self, ttype):
        return next(t["jid"] for t in self.transports if t["type"] == ttype)

    def write_config(self):
        lines = [
            "[polygate]",
            "database = registry.db",
            "key_file = registry.key",
            f"log_level = {self.log_level}",
        ]
        if self.admins:
            lines.append("admins = " + ";".join(self.admins) + ";")
        lines += [f"{key} = {value}" for key, value in self.polygate_options.items()]
        lines += ["", "[xmpp]", "host = 127.0.0.1", f"port = {self.prosody.component_port}", ""]
        lines += ["[http]", "listen = 127.0.0.1", f"port = {self.http_port}"]
        lines += [f"{key} = {value}" for key, value in self.http.items()] + [""]
        for t in self.transports:
            lines += [
                f"[transport {t['name']}]",
                f"jid = {t['jid']}",
                f"secret = {self.prosody.components[t['jid']]}",
                f"type = {t['type']}",
                f"name = {t['display']}",
            ]
            for key in ("allowed_domains", "irc_server", "purple_protocol"):
                if key in t:
                    lines.append(f"{key} = {t[key]}")
            if t["type"] == "sms" and "kannel_token" not in t:
                lines.append(f"kannel_token = {self.kannel_token}")
            # anything else the test gives (irc_port, kannel_*, sms_*...)
            for key, value in t.items():
                if key not in ("name", "jid", "type", "display", "allowed_domains",
                               "irc_server", "purple_protocol"):
                    lines.append(f"{key} = {value}")
            lines.append("")
        # An inline component secret makes polygate refuse a world-readable
        # config: create it 0600 from the start.
        fd = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines))
        os.chmod(self.config_path, 0o600)

    # -- lifecycle ---------------------------------------------------------
    def start(self, checker=None, timeout=90):
        """Start the daemon; with a checker client, wait until every transport
        answers disco#info."""
        if self.binary is None:
            raise util.HarnessError(
                "no polygate binary: set POLYGATE_BIN or build into build-test/src/polygate")
        assert self.proc is None or self.proc.poll() is not None, "polygate already running"
        self._log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--config", self.config_path],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        log.close()
        if checker is not None:
            self.wait_ready(checker, timeout)
        return self

    def answers_disco(self, checker, jid):
        # No answer in time is "not yet", as an error reply is: the daemon
        # may be busy (re)connecting on a loaded machine, and wait_ready's
        # own deadline decides when it is too late.
        try:
            reply = checker.iq_get(jid, f"<query xmlns='{NS_DISCO_INFO}'/>", timeout=5)
        except util.HarnessError:
            return False
        return reply.get("type") == "result"

    def wait_ready(self, checker, timeout=90):
        for jid in self.jids:
            util.wait_for(lambda: self.answers_disco(checker, jid), timeout,
                          f"{jid} to answer disco#info", self.log_path, interval=0.2,
                          alive=lambda: self.proc.poll() is None)

    def output(self):
        """Everything the current (or last) run wrote to stderr/stdout."""
        with open(self.log_path, "rb") as f:
            f.seek(self._log_offset)
            return f.read().decode("utf-8", "replace")

    def tail(self, lines=40):
        return "\n".join(self.output().splitlines()[-lines:])

    def stop(self, timeout=30, sig=signal.SIGTERM):
        """SIGTERM (or sig); the daemon must exit 0 within timeout with no
        sanitizer report."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        already_dead = proc.poll() is not None
        rc, killed = util.stop_process(proc, timeout, sig)
        report = sanitizer_report(self.output())
        if report:
            raise util.HarnessError(f"sanitizer report from polygate:\n{self.tail(80)}")
        if already_dead:
            raise util.HarnessError(
                f"polygate had already exited (code {rc}) before SIGTERM:\n{self.tail()}")
        if killed:
            raise util.HarnessError(f"polygate ignored {sig.name} for {timeout}s:\n{self.tail()}")
        if rc != 0:
            raise util.HarnessError(f"polygate exited {rc} after {sig.name}:\n{self.tail()}")

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None else None

    def run_cli(self, *args, timeout=60):
        """Run the binary once (--check-config, rekey ...) and return the
        CompletedProcess; a sanitizer report fails the test."""
        if self.binary is None:
            raise util.HarnessError("no polygate binary: set POLYGATE_BIN")
        result = subprocess.run([self.binary, *args], stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=timeout, cwd=self.dir)
        report = sanitizer_report(result.stdout + result.stderr)
        if report:
            raise util.HarnessError(f"sanitizer report from polygate {' '.join(args)}:\n{report}")
        return result


def run_binary(binary, *args, cwd=None, timeout=60):
    """Run POLYGATE_BIN with args outside any Polygate instance (e.g. a bad config)."""
    if binary is None:
        raise util.HarnessError("no polygate binary: set POLYGATE_BIN")
    result = subprocess.run([binary, *args], stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=timeout, cwd=cwd)
    report = sanitizer_report(result.stdout + result.stderr)
    if report:
        raise util.HarnessError(f"sanitizer report from polygate {' '.join(args)}:\n{report}")
    return result


__all__ = ["Polygate", "find_binary", "run_binary", "error_condition", "DEFAULT_TRANSPORTS"]
