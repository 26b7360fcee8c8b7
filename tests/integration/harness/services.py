"""An IRC network with services: inspircd 3 + atheme 7 (NickServ, SASL
PLAIN), on free 127.0.0.1 ports, from generated configs in their own dir.
Neither is a dependency of the rest of the suite: available() says whether
both are installed.

inspircd registers clients only in its once-a-second housekeeping, so a
client's 001 comes up to ~1 s after NICK/USER; ready() waits until atheme has
linked (inspircd then offers sasl in CAP LS).
"""

import os
import shutil
import subprocess

from . import util

INSPIRCD = "/usr/sbin/inspircd"
ATHEME = shutil.which("atheme-services") or "/usr/bin/atheme-services"
SERVER_NAME = "irc.localhost"
SERVICES_NAME = "services.localhost"


def available():
    return os.access(INSPIRCD, os.X_OK) and os.access(ATHEME, os.X_OK)


class IrcServices:
    def __init__(self, directory):
        self.dir = os.path.abspath(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.port = util.free_port()
        self.link_port = util.free_port()
        self.link_password = util.secret()
        self.inspircd_log = os.path.join(self.dir, "inspircd.log")
        self.inspircd_out = os.path.join(self.dir, "inspircd.stdout")
        self.atheme_log = os.path.join(self.dir, "atheme.log")
        self.atheme_out = os.path.join(self.dir, "atheme.stdout")
        self.inspircd = None
        self.atheme = None
        self._write_configs()

    @property
    def log_paths(self):
        return (self.inspircd_log, self.atheme_log)

    def _write_configs(self):
        d = self.dir
        with open(os.path.join(d, "inspircd.conf"), "w") as f:
            f.write(f"""
<server name="{SERVER_NAME}" description="polygate tests" network="TestNet" id="1TB">
<bind address="127.0.0.1" port="{self.port}" type="clients">
<bind address="127.0.0.1" port="{self.link_port}" type="servers">
<connect name="main" allow="*" resolvehostnames="no" localmax="10000" globalmax="10000"
         maxconnwarn="no" threshold="1000000" commandrate="1000000000" fakelag="no"
         recvq="1048576" softsendq="1048576" hardsendq="16777216">
<performance netbuffersize="65534">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{self.inspircd_log}">
<module name="cap">
<module name="spanningtree">
<module name="services_account">
<module name="sasl">
<module name="hidechans">
<module name="servprotect">
<module name="chghost">
<module name="svshold">
<module name="monitor">
<module name="ircv3">
<link name="{SERVICES_NAME}" ipaddr="127.0.0.1" port="{self.link_port}"
      allowmask="127.0.0.0/8" sendpass="{self.link_password}"
      recvpass="{self.link_password}">
<uline server="{SERVICES_NAME}" silent="yes">
<sasl target="{SERVICES_NAME}" requiressl="no">
""")
        with open(os.path.join(d, "atheme.conf"), "w") as f:
            f.write(f"""
loadmodule "modules/protocol/inspircd";
loadmodule "modules/backend/opensex";
loadmodule "modules/crypto/pbkdf2v2";
pbkdf2v2 {{ rounds = 10000; }};
loadmodule "modules/nickserv/main";
loadmodule "modules/nickserv/register";
loadmodule "modules/nickserv/identify";
loadmodule "modules/nickserv/help";
loadmodule "modules/saslserv/main";
loadmodule "modules/saslserv/plain";
serverinfo {{
  name = "{SERVICES_NAME}"; desc = "Services"; numeric = "00A"; recontime = 1;
  netname = "TestNet"; hidehostsuffix = "users.test"; adminname = "t";
  adminemail = "t@example.invalid"; registeremail = "noreply@example.invalid";
  mta = "/bin/false"; loglevel = {{ error; info; network; }};
  auth = none; maxusers = 0; maxlogins = 100; mdlimit = 30; emaillimit = 10;
  emailtime = 300; casemapping = rfc1459;
}};
uplink "{SERVER_NAME}" {{
  host = "127.0.0.1"; port = {self.link_port};
  send_password = "{self.link_password}"; receive_password = "{self.link_password}";
}};
nickserv {{ nick = "NickServ"; user = "NickServ"; host = "{SERVICES_NAME}"; real = "NickServ"; }};
saslserv {{ nick = "SaslServ"; user = "SaslServ"; host = "{SERVICES_NAME}"; real = "SaslServ"; }};
general {{
  flood_msgs = 0; flood_time = 10; ratelimit_uses = 0; ratelimit_period = 0;
  commit_interval = 5; uplink_sendq_limit = 16777216; language = "en";
  immune_level = immune; exempts {{ }};
}};
""")

    # the part of Ngircd's interface the gateway fixture and IrcUser use
    @property
    def log_path(self):
        return self.inspircd_log

    def log(self):
        try:
            with open(self.inspircd_log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # -- lifecycle ---------------------------------------------------------
    def start(self, timeout=30):
        out = open(self.inspircd_out, "ab")
        self.inspircd = subprocess.Popen(
            [INSPIRCD, "--config", os.path.join(self.dir, "inspircd.conf"), "--nofork",
             "--nopid", "--runasroot"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir)
        out.close()
        util.wait_for(lambda: util.port_open("127.0.0.1", self.port), timeout,
                      f"inspircd port {self.port}", self.inspircd_out,
                      alive=lambda: self.inspircd.poll() is None)
        out = open(self.atheme_out, "ab")
        self.atheme = subprocess.Popen(
            [ATHEME, "-n", "-c", os.path.join(self.dir, "atheme.conf"), "-D", self.dir,
             "-l", self.atheme_log, "-p", os.path.join(self.dir, "atheme.pid")],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir)
        out.close()
        util.wait_for(self._services_linked, timeout, "atheme to link to inspircd",
                      self.atheme_log, interval=0.2,
                      alive=lambda: self.atheme.poll() is None)
        return self

    def _services_linked(self):
        try:
            with open(self.atheme_log, "rb") as f:
                return b"finished synching with uplink" in f.read()
        except OSError:
            return False

    def stop(self):
        errors = []
        for name in ("atheme", "inspircd"):
            proc = getattr(self, name)
            setattr(self, name, None)
            if proc is None:
                continue
            _rc, killed = util.stop_process(proc)
            if killed:
                errors.append(f"{name} ignored SIGTERM")
        if errors:
            raise util.HarnessError("; ".join(errors))

    # -- accounts ----------------------------------------------------------
    def register_account(self, nick, password, timeout=30):
        """Register nick with NickServ from a throwaway raw connection."""
        from .irc import IrcClient
        with IrcClient(self.port, nick).connect(timeout) as client:
            client.privmsg("NickServ", f"REGISTER {password} {nick}@example.invalid")
            client.wait_for(lambda l: l.command == "900"
                            or (l.command == "NOTICE" and "registered" in l.text), timeout,
                            f"NickServ to register {nick}", self.log_paths)
            client.quit()
            # The nick is free for the gateway's user only once the server
            # has processed the QUIT (it then closes the connection); a login
            # before that finds the nick in use and gets another one.
            util.wait_for(lambda: not client.connected, timeout,
                          f"inspircd to close {nick}'s connection after QUIT",
                          self.inspircd_log, interval=0.05)

