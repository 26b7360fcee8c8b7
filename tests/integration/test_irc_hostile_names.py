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

prpl-irc decodes the text of a line, but not the nicks in it: a nick that is
not UTF-8 reached the worker's g_variant_new_string() as it came, which
refuses it with a critical.  Such bytes must arrive read as WINDOWS-1252,
the daemon's fallback (src/stanza/pg-text.c), with the same worker process.
"""

import re
import os
import socket
import threading
import unicodedata

import pytest

from harness import util
from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, SERVER, body, gateway, gateway_options, irc_checker, irc_prosody, make_irc_user, muc_item,
    ngircd_password, occupant_presence, room_jid, send_message, subject, unique)

# What a control character in a legacy name becomes (src/stanza/pg-text.c).
R = "?"


def nfkc(resource):
    """A resource as Prosody's resourceprep leaves it (RFC 3920 Appendix B
    maps with NFKC: U+00AF becomes a space and U+0304)."""
    return unicodedata.normalize("NFKC", resource)


class HostileIrcServer:
    """Just enough IRC for prpl-irc to sign on and join: every client gets
    001 and 422 (no MOTD), a JOIN gets its echo, a NAMES list and its end.
    send() writes a raw line to every client."""

    def __init__(self, directory, names):
        self.names = names
        self.channel_names = {}  # channel (bytes) -> its own NAMES list
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
                               + b" ".join(self.channel_names.get(channel, self.names)
                                           + [nick]))
                    self._send(conn, b":fake.irc 366 " + nick + b" " + channel + b" :End")
                    self.joined.set()
                elif command == b"WHO" and len(words) > 1:
                    self._send(conn, b":fake.irc 315 " + nick + b" " + words[1] + b" :End")
                elif command == b"PRIVMSG" and len(words) > 1 and words[1].startswith(b"ghost"):
                    # the text of a numeric reaches the worker raw (its
                    # "irc-receiving-text" hook, backends/purple/pg-purple-numerics.c)
                    self._send(conn, b":fake.irc 401 " + nick + b" " + words[1]
                               + b" :No such nick \xff\xc0\xaf\x80")
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
    start = len(gateway.output())
    connects = gateway.output().count(f"{IRC}: connected to")
    yield
    assert gateway.running and gateway.pid == pid, "the daemon died or was restarted"
    assert gateway.output().count(f"{IRC}: connected to") == connects, \
        "the component reconnected: the server cut its stream\n" + gateway.tail(30)
    assert "XML 1.0 forbids" not in gateway.output(), "a builder skipped the text boundary"
    # a worker the gateway stopped (its last user left, from an earlier
    # test) logs "stopped"; one that crashed or was killed logs "is gone"
    # (session/pg-worker.c)
    assert not re.search(r"worker \d+ \(pid \d+\) is gone", gateway.output()[start:]), \
        "a worker died\n" + gateway.tail(30)
    assert "CRITICAL" not in gateway.output(), "a critical was logged\n" + gateway.tail(30)


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


def test_nicks_that_are_not_utf8_arrive_decoded_in_every_path(watch, gateway, ngircd,
                                                              make_irc_user):
    alice = make_irc_user()
    channel = "#" + unique("u")
    room = room_jid(channel)
    # 0xff, an overlong "/", a lone continuation byte; prpl-irc decodes a
    # NAMES line whole (as WINDOWS-1252 here), but not the nick of a sender
    ngircd.channel_names[channel.encode()] = [b"ev\xffil", b"@op\xc0\xafer", b"lo\x80ne"]
    start = len(gateway.output())
    alice.join(channel)
    for nick in ("ev\u00ffil", "op\u00c0\u00afer", "lo\u20acne"):
        alice.wait_presence(occupant_presence(f"{room}/{nfkc(nick)}"), 30,
                            f"the occupant {nick!r}")
    assert not re.search(r"worker \d+ \(pid \d+\) is gone", gateway.output()[start:]), \
        "the worker died on the occupant list"

    # 0x81 is undefined in WINDOWS-1252: U+FFFD, which a name cannot hold
    ngircd.send(b":u\x81d!u@h JOIN :" + channel.encode())
    alice.wait_presence(occupant_presence(f"{room}/u{R}d"), 30, "the join of a non-UTF-8 nick")

    ngircd.send(b":lo\x80ne!u@h PRIVMSG " + channel.encode() + b" :hi there")
    alice.wait_message(lambda m: m.get("from") == f"{room}/lo\u20acne"
                       and body(m) == "hi there", 30, "the line from the non-UTF-8 nick")

    ngircd.send(b":lo\x80ne!u@h TOPIC " + channel.encode() + b" :new topic")
    alice.wait_message(lambda m: m.get("from") == f"{room}/lo\u20acne"
                       and subject(m) == "new topic", 30, "the topic set by the non-UTF-8 nick")

    ngircd.send(b":ev\xffil!u@h NICK :ev\xfe2")
    gone = alice.wait_presence(occupant_presence(f"{room}/ev\u00ffil", "unavailable", (303,)),
                               30, "the 303 of the nick change")
    assert muc_item(gone).get("nick") == "ev\u00fe2"
    alice.wait_presence(occupant_presence(f"{room}/ev\u00fe2"), 30, "the new nick")

    ngircd.send(b":x\xffy!u@h PRIVMSG " + alice.nick.encode() + b" :private")
    message = alice.wait_message(lambda m: (m.get("from") or "").startswith("x\u00ffy%")
                                 and body(m) == "private", 30, "the private message")
    assert message.get("type") == "chat"

    ngircd.send(b":op\xc0\xafer!u@h PART " + channel.encode() + b" :bye")
    gone = alice.wait_presence(occupant_presence(room + "/" + nfkc("op\u00c0\u00afer"), "unavailable"),
                               30, "the part of the non-UTF-8 nick")
    reason = muc_item(gone).find("{http://jabber.org/protocol/muc#user}reason")
    assert reason is not None and reason.text == "bye"

    ngircd.send(b":u\x81d!u@h QUIT :gone")
    alice.wait_presence(occupant_presence(f"{room}/u{R}d", "unavailable"), 30,
                        "the quit of the non-UTF-8 nick")


def test_a_numeric_whose_text_is_not_utf8_becomes_an_error_with_that_text(watch, ngircd,
                                                                          make_irc_user):
    alice = make_irc_user()
    ghost = unique("ghost")
    msg_id = send_message(alice.client, f"{ghost}%{SERVER}@{IRC}", "anyone there?")
    error = alice.wait_message(lambda m: m.get("type") == "error" and m.get("id") == msg_id,
                               30, f"an error for the message to {ghost}")
    assert error_condition(error) == ("cancel", "item-not-found"), to_string(error)
    text = error.find("{jabber:client}error/{urn:ietf:params:xml:ns:xmpp-stanzas}text")
    assert text is not None and text.text.endswith("No such nick \u00ff\u00c0\u00af\u20ac"), \
        to_string(error)
