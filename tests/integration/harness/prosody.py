"""A real Prosody 0.12 on 127.0.0.1, from a generated config in its own dir.

Ports are picked free (bind to port 0) so a running demo or a second test run
never collides.  The config: run_as_root, no s2s, plain
c2s allowed (the test client skips TLS), one Component per transport JID with
its own generated secret.
"""

import os
import shutil
import subprocess

from . import util

PROSODY = "/usr/bin/prosody"
PROSODYCTL = "/usr/bin/prosodyctl"

DOMAIN = "localhost"
EVIL_DOMAIN = "evil.localhost"  # a second VirtualHost, not in allowed_domains
DEFAULT_COMPONENTS = ("irc.localhost", "sms.localhost", "purple.localhost")
# XEP-0356, from Debian's prosody-modules (it speaks urn:xmpp:privilege:2)
MOD_PRIVILEGE = "/usr/lib/prosody/modules/mod_privilege/mod_privilege.lua"


def _lua_string(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Prosody:
    def __init__(self, directory, cert_dir, components=DEFAULT_COMPONENTS, plugin_paths=(),
                 extra_lines=(), privileged=None, nagle=False):
        """plugin_paths: directories of test-only Prosody modules; extra_lines:
        config lines appended at the end (e.g. a Component using one);
        privileged: component JID -> XEP-0356 permissions, e.g.
        {"xmpp.localhost": {"roster": "both"}}, granted by mod_privilege from
        Debian's prosody-modules (loaded on every host and on those
        components, as its documentation asks); nagle: leave Nagle's
        algorithm on Prosody's sockets (its default): off, every stanza
        Prosody writes goes out at once (TCP_NODELAY), else a burst (a MAM
        page) waits ~40 ms for the client's delayed ACK
        (contrib/bench/README.md, history_bench)."""
        self.privileged = dict(privileged or {})
        self.nagle = nagle
        if self.privileged and not os.path.exists(MOD_PRIVILEGE):
            raise util.HarnessError(f"{MOD_PRIVILEGE} is missing: install prosody-modules "
                                    "(contrib/scripts/install-deps.sh)")
        self.plugin_paths = [os.path.abspath(p) for p in plugin_paths]
        self.extra_lines = list(extra_lines)
        self.dir = os.path.abspath(directory)
        self.c2s_port = util.free_port()
        self.component_port = util.free_port()
        self.components = {jid: util.secret() for jid in components}
        self.passwords = {}
        self.proc = None
        self.config_path = os.path.join(self.dir, "prosody.cfg.lua")
        self.log_path = os.path.join(self.dir, "prosody.log")
        self.stdout_path = os.path.join(self.dir, "prosody.stdout")
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        certs = os.path.join(self.dir, "certs")
        os.makedirs(certs, exist_ok=True)
        for name in os.listdir(cert_dir):
            shutil.copy(os.path.join(cert_dir, name), certs)
        self._write_config()

    def _write_config(self):
        d = self.dir
        lines = [
            f"run_as_root = true",
            f"pidfile = {_lua_string(d + '/prosody.pid')}",
            f"data_path = {_lua_string(d + '/data')}",
            f"certificates = {_lua_string(d + '/certs')}",
            "log = { { levels = { min = \"info\" }, to = \"file\", filename = "
            + _lua_string(self.log_path) + " } }",
            'interfaces = { "127.0.0.1" }',
            f"c2s_ports = {{ {self.c2s_port} }}",
            'component_interfaces = { "127.0.0.1" }',
            f"component_ports = {{ {self.component_port} }}",
            'modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "posix"'
            + (', "privilege"' if self.privileged else "") + " }",
            'modules_disabled = { "s2s" }',
            "c2s_require_encryption = false",
            "allow_unencrypted_plain_auth = true",
            # net/server_epoll.lua sets TCP_NODELAY only when told
            f"network_settings = {{ nagle = {'true' if self.nagle else 'false'} }}",
        ]
        if self.privileged:
            entities = ", ".join(
                f"[{_lua_string(jid)}] = {{ "
                + ", ".join(f"{k} = {_lua_string(v)}" for k, v in perms.items()) + " }"
                for jid, perms in self.privileged.items())
            lines.append(f"privileged_entities = {{ {entities} }}")
        if self.plugin_paths:
            lines.append("plugin_paths = { " + ", ".join(_lua_string(p) for p in self.plugin_paths)
                         + " }")
        lines += [
            "",
            f'VirtualHost "{DOMAIN}"',
            f'VirtualHost "{EVIL_DOMAIN}"',
            "",
        ]
        for jid, secret in self.components.items():
            lines.append(f'Component "{jid}"')
            lines.append(f"  component_secret = {_lua_string(secret)}")
            if jid in self.privileged:
                lines.append('  modules_enabled = { "privilege" }')
        lines += self.extra_lines
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    # -- lifecycle ---------------------------------------------------------
    def start(self, timeout=30):
        assert self.proc is None or self.proc.poll() is not None, "Prosody already running"
        out = open(self.stdout_path, "ab")
        self.proc = subprocess.Popen(
            [PROSODY, "-F", "--config", self.config_path],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir)
        out.close()
        alive = lambda: self.proc.poll() is None  # noqa: E731
        util.wait_for(lambda: util.port_open("127.0.0.1", self.c2s_port), timeout,
                      f"Prosody c2s port {self.c2s_port}", self.log_path, alive=alive)
        util.wait_for(lambda: util.port_open("127.0.0.1", self.component_port), timeout,
                      f"Prosody component port {self.component_port}", self.log_path,
                      alive=alive)
        return self

    def stop(self):
        if self.proc is None:
            return
        rc, killed = util.stop_process(self.proc)
        self.proc = None
        if killed:
            raise util.HarnessError(
                f"Prosody ignored SIGTERM; log tail:\n{util.log_tail(self.log_path)}")

    def restart(self, timeout=30):
        self.stop()
        return self.start(timeout)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # -- accounts ----------------------------------------------------------
    def create_user(self, localpart, domain=DOMAIN, password=None):
        """Create user@domain (before or while running) and return its JID."""
        password = password or util.secret()
        jid = f"{localpart}@{domain}"
        result = subprocess.run(
            [PROSODYCTL, "--config", self.config_path, "register", localpart, domain, password],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise util.HarnessError(
                f"prosodyctl register {jid} failed ({result.returncode}): "
                f"{result.stdout}{result.stderr}")
        self.passwords[jid] = password
        return jid

    def log(self):
        return util.log_tail(self.log_path, 60)
