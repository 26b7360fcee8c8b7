"""Hostile nicks from an IRC server never cut the transport (issue 8, item 1).

ngircd and inspircd refuse a nick with a control character, but a hostile
or broken server sends what it likes, and such a nick becomes part of a JID
(the occupant room@irc/nick, the contact nick%server@irc).  This module
replaces ngircd with a small IRC server of its own on 127.0.0.1 that puts
control characters in the nicks of a channel's members, in a message's
sender, in a nick change and in a private message's sender.

The names must arrive with each control character replaced by "?" (so that
"ev^Bil" never passes for "evil"), the daemon must be the same process and
its component must not have reconnected.
"""

import os
import socket
import threading

import pytest

from harness import util
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, body, gateway, gateway_options, irc_checker, irc_prosody, make_irc_user, muc_item,
    ngircd_password, occupant_presence, room_jid, unique)

# What a control character in a legacy name becomes (src/xmpp/pg-text.c).
R = "?"


class HostileIrcServer:
    """Just enough IRC for prpl-irc to sign on and join: every client gets
    001 and 422 (no MOTD), a JOIN gets its echo, a NAMES list and its end.
    send() writes a raw line to every client."""

    def __init__(self, directory, names):
        self.names = names
        self.log_path = os.path.join(directory, "hostile-irc.log")
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.clients = {}  # socket -> nick
        self.lock = threading.Lock()
        self.joined = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _log(self, text):
        with self.lock, open(self.log_path, "a", encoding="utf-8", errors="replace") as f:
            f.write(text + "\n")

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _send(self, conn, line):
        conn.sendall(line + b"\r\n")

    def _serve(self, conn):
        buf = b""
        nick = None
        user = False
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            if not data:
                break
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                line = line.rstrip(b"\r")
                self._log("<- " + line.decode("utf-8", "replace"))
                words = line.split(b" ")
                command = words[0].upper()
                if command in (b"NICK", b"USER"):
                    # welcome once both came, in whichever order
                    welcome = nick is None or not user
                    if command == b"NICK" and len(words) > 1:
                        nick = words[1].lstrip(b":")
                    user = user or command == b"USER"
                    if welcome and nick is not None and user:
                        with self.lock:
                            self.clients[conn] = nick
                        self._send(conn, b":fake.irc 001 " + nick + b" :Welcome")
                        self._send(conn, b":fake.irc 422 " + nick + b" :MOTD File is missing")
                elif command == b"PING":
                    self._send(conn, b":fake.irc PONG fake.irc :" + b" ".join(words[1:]).lstrip(b":"))
                elif command == b"JOIN" and len(words) > 1:
                    channel = words[1]
                    self._send(conn, b":" + nick + b"!u@h JOIN :" + channel)
                    self._send(conn, b":fake.irc 353 " + nick + b" = " + channel + b" :"
                               + b" ".join(self.names + [nick]))
                    self._send(conn, b":fake.irc 366 " + nick + b" " + channel + b" :End")
                    self.joined.set()
                elif command == b"WHO" and len(words) > 1:
                    self._send(conn, b":fake.irc 315 " + nick + b" " + words[1] + b" :End")
                elif command == b"QUIT":
                    conn.close()
                    return
        with self.lock:
            self.clients.pop(conn, None)
        conn.close()

    def send(self, line):
        self._log("-> " + line.decode("utf-8", "replace"))
        with self.lock:
            for conn in list(self.clients):
                try:
                    self._send(conn, line)
                except OSError:
                    pass

    def stop(self):
        self.listener.close()
        with self.lock:
            for conn in list(self.clients):
                conn.close()


NAMES = [b"ev\x02il", b"@op\x11er", b"m\x03" b"4al", b"t\x1bab"]


@pytest.fixture(scope="module")
def ngircd(tmp_path_factory):
    """Replaces harness.ircgw's ngircd for this module's gateway."""
    server = HostileIrcServer(str(tmp_path_factory.mktemp("hostile-irc")), NAMES)
    yield server
    server.stop()


@pytest.fixture
def watch(gateway):
    pid = gateway.pid
    connects = gateway.output().count(f"{IRC}: connected to")
    yield
    assert gateway.running and gateway.pid == pid, "the daemon died or was restarted"
    assert gateway.output().count(f"{IRC}: connected to") == connects, \
        "the component reconnected: the server cut its stream\n" + gateway.tail(30)
    assert "XML 1.0 forbids" not in gateway.output(), "a builder skipped the text boundary"


def test_hostile_nicks_arrive_as_occupants_senders_and_contacts_with_controls_replaced(
        watch, ngircd, make_irc_user):
    alice = make_irc_user()
    channel = "#" + unique("h")
    room = room_jid(channel)
    alice.join(channel)
    for nick in (f"ev{R}il", f"op{R}er", f"m{R}4al", f"t{R}ab"):
        alice.wait_presence(occupant_presence(f"{room}/{nick}"), 30, f"the occupant {nick!r}")

    ngircd.send(b":m\x03" b"4al!u@h PRIVMSG " + channel.encode() + b" :hi\x11 there\x02")
    alice.wait_message(lambda m: m.get("from") == f"{room}/m{R}4al"
                       and body(m) == "hi there", 30, "the line from the hostile nick")

    ngircd.send(b":ev\x02il!u@h NICK :ev\x1f2")
    gone = alice.wait_presence(occupant_presence(f"{room}/ev{R}il", "unavailable", (303,)), 30,
                               "the 303 of the nick change")
    assert muc_item(gone).get("nick") == f"ev{R}2"
    alice.wait_presence(occupant_presence(f"{room}/ev{R}2"), 30, "the new nick")

    ngircd.send(b":x\x01y!u@h PRIVMSG " + alice.nick.encode() + b" :private\x1d")
    message = alice.wait_message(lambda m: (m.get("from") or "").startswith(f"x{R}y%")
                                 and body(m) == "private", 30, "the private message")
    assert message.get("type") == "chat"

    ngircd.send(b":t\x1bab!u@h PART " + channel.encode() + b" :bye\x07")
    gone = alice.wait_presence(occupant_presence(f"{room}/t{R}ab", "unavailable"), 30,
                               "the part of the hostile nick")
    reason = muc_item(gone).find("{http://jabber.org/protocol/muc#user}reason")
    assert reason is not None and reason.text == "bye"
