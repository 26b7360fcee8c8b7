"""A real ejabberd 23.01 (Debian's) on 127.0.0.1, private to one test module.

It has the interface of harness.prosody.Prosody that the daemon's harness
uses (c2s_port, component_port, components, passwords, create_user,
start/stop/restart, log_path), plus kill() for a crash.

Everything is its own: the config, ejabberdctl's config, the Mnesia spool,
the logs, the node name and the Erlang cookie (HOME points into its dir, so
the cookie is created there and no other node can talk to it).  No epmd:
with ERL_DIST_PORT, ejabberdctl starts the node with `-start_epmd false`
listening for distribution on that port, and its control commands connect
there directly (Erlang/OTP 23+), so a system epmd, another ejabberd or a
second test run never collide.  ejabberdctl's config is a shell file it
sources, which lets it run the node as the current user (root here) rather
than `su ejabberd`, which could not read the test's directories.

The node runs in the foreground in its own process group, so kill() can
SIGKILL all of it (ejabberdctl's shell, erl, beam.smp) at once.
"""

import os
import shutil
import signal
import subprocess

from . import util

EJABBERDCTL = "/usr/sbin/ejabberdctl"
DOMAIN = "localhost"


def available():
    return os.access(EJABBERDCTL, os.X_OK) and os.path.isdir("/usr/lib/x86_64-linux-gnu") \
        and shutil.which("erl") is not None


def _yaml_string(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Ejabberd:
    def __init__(self, directory, components, global_routes=False, privileged=None):
        """privileged: component JID -> mod_privilege roster access
        ("get", "set" or "both"), XEP-0356 as ejabberd 23.01 grants it."""
        self.privileged = dict(privileged or {})
        self.dir = os.path.abspath(directory)
        self.c2s_port = util.free_port()
        self.component_port = util.free_port()
        self.dist_port = util.free_port()
        self.node = f"pgtest{self.dist_port}@localhost"
        self.components = {jid: util.secret() for jid in components}
        self.global_routes = global_routes
        self.passwords = {}
        self.proc = None
        self.spool = os.path.join(self.dir, "spool")
        self.logs = os.path.join(self.dir, "logs")
        self.home = os.path.join(self.dir, "home")
        for d in (self.spool, self.logs, self.home):
            os.makedirs(d, exist_ok=True)
        self.config_path = os.path.join(self.dir, "ejabberd.yml")
        self.ctl_config_path = os.path.join(self.dir, "ejabberdctl.cfg")
        self.log_path = os.path.join(self.logs, "ejabberd.log")
        self.stdout_path = os.path.join(self.dir, "ejabberd.stdout")
        self._write_configs()

    def _write_configs(self):
        lines = [
            f"hosts: [{_yaml_string(DOMAIN)}]",
            "loglevel: info",
            "log_rotate_count: 0",
            "auth_method: internal",
            "auth_password_format: plain",
            "listen:",
            f"  - port: {self.c2s_port}",
            '    ip: "127.0.0.1"',
            "    module: ejabberd_c2s",
            "    starttls: false",
            f"  - port: {self.component_port}",
            '    ip: "127.0.0.1"',
            "    module: ejabberd_service",
            f"    global_routes: {'true' if self.global_routes else 'false'}",
            "    hosts:",
        ]
        for jid, secret in self.components.items():
            lines.append(f"      {_yaml_string(jid)}:")
            lines.append(f"        password: {_yaml_string(secret)}")
        lines += [
            "acl:",
            "  local:",
            "    user_regexp: \"\"",
        ]
        for access in sorted(set(self.privileged.values())):
            servers = ", ".join(_yaml_string(jid) for jid, a in self.privileged.items()
                                if a == access)
            lines += [f"  priv_{access}:", f"    server: [{servers}]"]
        lines += [
            "access_rules:",
            "  local:",
            "    allow: local",
        ]
        # mod_privilege takes ACCESS RULE names; an ACL name grants nothing
        for access in sorted(set(self.privileged.values())):
            lines += [f"  priv_{access}_rule:", f"    allow: priv_{access}"]
        lines += [
            "modules:",
            "  mod_roster: {}",
            "  mod_disco: {}",
            "  mod_ping: {}",
            "  mod_last: {}",
        ]
        if self.privileged:
            lines += ["  mod_privilege:", "    roster:"]
            lines += [f"      {access}: priv_{access}_rule"
                      for access in sorted(set(self.privileged.values()))]
        lines.append("")
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines))
        # sourced by ejabberdctl (a shell script) after it chose the user
        with open(self.ctl_config_path, "w") as f:
            f.write("\n".join([
                "EXEC_CMD=as_current_user",
                f"ERLANG_NODE={self.node}",
                f"ERL_DIST_PORT={self.dist_port}",
                "EJABBERD_BYPASS_WARNINGS=true",
                'ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"',
                f"EJABBERD_PID_PATH={self.dir}/ejabberd.pid",
                "",
            ]))
        with open(os.path.join(self.dir, "inetrc"), "w") as f:
            f.write('{lookup,["file","native"]}.\n'
                    '{host,{127,0,0,1}, ["localhost"]}.\n')

    def _env(self):
        env = dict(os.environ)
        env["HOME"] = self.home  # the Erlang cookie lives here
        for name in ("ERL_EPMD_PORT", "ERL_EPMD_ADDRESS", "ERL_FLAGS", "ERL_AFLAGS",
                     "ERL_ZFLAGS", "EJABBERD_CONFIG_PATH"):
            env.pop(name, None)
        return env

    def _ctl_args(self):
        return [EJABBERDCTL, "--config-dir", self.dir, "--config", self.config_path,
                "--ctl-config", self.ctl_config_path, "--logs", self.logs,
                "--spool", self.spool]

    def ctl(self, *args, timeout=60):
        result = subprocess.run(self._ctl_args() + list(args), stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=timeout,
                                env=self._env(), cwd=self.dir)
        return result

    # -- lifecycle ---------------------------------------------------------
    def start(self, timeout=60):
        assert not self.running, "ejabberd already running"
        out = open(self.stdout_path, "ab")
        self.proc = subprocess.Popen(
            self._ctl_args() + ["foreground"], stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, cwd=self.dir, env=self._env(), start_new_session=True)
        out.close()
        alive = lambda: self.proc.poll() is None  # noqa: E731
        for port, what in ((self.c2s_port, "c2s"), (self.component_port, "component")):
            util.wait_for(lambda: util.port_open("127.0.0.1", port), timeout,
                          f"ejabberd {what} port {port}", self.stdout_path, interval=0.2,
                          alive=alive)
        return self

    def _signal_group(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def _group_gone(self):
        """No live process of the node's process group is left, and its
        ports are closed (a killed beam.smp releases them a moment later)."""
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # state ppid pgrp: a zombie holds nothing any more
            if int(fields[2]) == self.proc.pid and fields[0] != "Z":
                return False
        return not util.port_open("127.0.0.1", self.c2s_port) and \
            not util.port_open("127.0.0.1", self.component_port)

    def _wait_gone(self, timeout=30):
        self.proc.wait(timeout=timeout)
        util.wait_for(self._group_gone, timeout, "ejabberd's processes to exit",
                      self.log_path, interval=0.1)

    def sync_disk(self, timeout=60):
        """Write Mnesia's disc_only tables (accounts, rosters) to disk now.
        DETS saves them every 3 minutes on its own; a SIGKILL sooner loses
        what the test just made, which a server that has been up for a while
        would have kept."""
        code = ("R = rpc:call('%s', erlang, apply, [fun() -> "
                "[dets:sync(T) || T <- mnesia:system_info(tables), "
                "mnesia:table_info(T, storage_type) == disc_only_copies] end, []]), "
                "io:format(\"~p~n\", [R]), halt()." % self.node)
        result = subprocess.run(
            ["erl", "-sname", f"sync{self.dist_port}@localhost", "-hidden", "-noinput",
             "-erl_epmd_port", str(self.dist_port), "-start_epmd", "false",
             "-dist_listen", "false", "-eval", code],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
            env=self._env(), cwd=self.dir)
        if result.returncode != 0 or "badrpc" in result.stdout or "[" not in result.stdout:
            raise util.HarnessError(f"ejabberd: syncing its tables failed: "
                                    f"{result.stdout}{result.stderr}")

    def kill(self, sync=True):
        """SIGKILL the whole node (a crash: no stream is closed properly).
        With sync, its accounts and rosters are on disk first (sync_disk)."""
        if self.proc is None:
            return
        if sync:
            self.sync_disk()
        self._signal_group(signal.SIGKILL)
        self._wait_gone()
        self.proc = None

    def stop(self, timeout=30):
        if self.proc is None:
            return
        proc = self.proc
        if proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                proc.wait(timeout=timeout)
                self.proc = None
                raise util.HarnessError(
                    f"ejabberd ignored SIGTERM; log tail:\n{util.log_tail(self.log_path)}")
        # the node's children (erl_child_setup) go with it; none may linger
        self._signal_group(signal.SIGKILL)
        self._wait_gone()
        self.proc = None

    def restart(self, timeout=60):
        self.stop()
        return self.start(timeout)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # -- accounts ----------------------------------------------------------
    def create_user(self, localpart, domain=DOMAIN, password=None):
        """Register user@domain on the running node and return its JID."""
        password = password or util.secret()
        jid = f"{localpart}@{domain}"
        result = self.ctl("register", localpart, domain, password)
        if result.returncode != 0:
            raise util.HarnessError(
                f"ejabberdctl register {jid} failed ({result.returncode}): "
                f"{result.stdout}{result.stderr}\n{util.log_tail(self.log_path)}")
        self.passwords[jid] = password
        return jid

    def log(self):
        return util.log_tail(self.log_path, 60)
