"""IRC credentials stay with their server, and the operator decides which
IRC servers users may reach (issue 8, "Credentials bound to their server").

A fake IRC server on another loopback address (127.0.0.2, then 127.0.0.3)
records every byte it receives and plays just enough IRC (CAP/SASL, the
welcome, JOIN) for prpl-irc to send whatever it would send to a real one.

- A user registered on ircnet.localhost (fixed irc_server = 127.0.0.1) with
  a NickServ password and/or a server password joins #x%127.0.0.2: the fake
  server must see no PASS, no AUTHENTICATE payload, no IDENTIFY and no trace
  of either password.
- Servers the operator does not allow (a loopback address outside the allow
  list, a name that resolves to loopback, a private address, a public
  address outside the allow list, a denied name) get a stanza error on the
  join or message that named them, and no connection.

Every test checks that the daemon's PID did not change.
"""

import base64
import re
import socket
import threading

import pytest

from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, IRCNET, NS_CLIENT, gateway, gateway_options, happens_within, irc_checker, irc_prosody,
    join_room, make_irc_user, ngircd, ngircd_password, ptype, send_message, statuses, unique,
    wait_until)

FAKE = "127.0.0.2"      # allowed: the "evil" server a link in a chat points to
OUTSIDE = "127.0.0.3"   # loopback, not allowed


@pytest.fixture(scope="module")
def gateway_options():
    # ircnet's fixed server (127.0.0.1) is always reachable: the operator
    # named it.  Users may reach 127.0.0.2 and names under .localhost (which
    # GLib resolves to loopback, still refused); nothing under .invalid.
    return {"irc_allow": f"{FAKE};*.localhost;", "irc_deny": "*.denied.invalid;"}


class FakeIrcServer:
    """A listener on (host, port) that records every line of every
    connection and answers like a minimal IRC server with SASL."""

    def __init__(self, host, port, early_welcome=False):
        self.host = host
        self.port = port
        # welcome as soon as NICK and USER are in, even while SASL is still
        # being negotiated: a server may do that, and a hostile one will
        self.early_welcome = early_welcome
        self.lines = []          # (connection number, bytes) in arrival order
        self.connections = 0
        self.cond = threading.Condition()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.closed = False
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.cond:
                self.connections += 1
                number = self.connections
                self.cond.notify_all()
            thread = threading.Thread(target=self._serve, args=(conn, number), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(self, conn, number):
        state = {"nick": None, "user": False, "welcomed": False, "cap": False}

        def send(text):
            try:
                conn.sendall(f"{text}\r\n".encode())
            except OSError:
                pass

        def welcome():
            # after both NICK and USER (prpl-irc sends USER first), and after
            # CAP END once capabilities are negotiated (IRCv3 capability
            # negotiation: registration waits for it)
            negotiating = state["cap"] and not self.early_welcome
            if state["nick"] and state["user"] and not negotiating and not state["welcomed"]:
                state["welcomed"] = True
                nick = state["nick"]
                send(f":fake.test 001 {nick} :Welcome to the fake network {nick}")
                send(f":fake.test 376 {nick} :End of MOTD")

        buffer = b""
        with conn:
            while True:
                try:
                    data = conn.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                buffer += data
                while b"\n" in buffer:
                    raw, buffer = buffer.split(b"\n", 1)
                    raw = raw.rstrip(b"\r")
                    with self.cond:
                        self.lines.append((number, raw))
                        self.cond.notify_all()
                    self._answer(raw.decode("utf-8", "replace").split(" "), state, send,
                                 welcome)

    @staticmethod
    def _answer(words, state, send, welcome):
        command = words[0].upper()
        arg = words[1].lstrip(":") if len(words) > 1 else ""
        nick = state["nick"] or "*"
        if command == "CAP" and arg.upper() == "LS":
            send(":fake.test CAP * LS :sasl")
        elif command == "CAP" and arg.upper() == "REQ":
            state["cap"] = True
            send(":fake.test CAP * ACK :sasl")
        elif command == "CAP" and arg.upper() == "END":
            state["cap"] = False
            welcome()
        elif command == "AUTHENTICATE" and arg == "PLAIN":
            send("AUTHENTICATE +")
        elif command == "AUTHENTICATE" and arg.isupper():
            # steer the client to PLAIN, whose payload carries the password
            send(f":fake.test 908 {nick} PLAIN :are available SASL mechanisms")
            send(f":fake.test 904 {nick} :SASL authentication failed")
        elif command == "AUTHENTICATE":
            send(f":fake.test 903 {nick} :SASL authentication successful")
        elif command == "NICK" and arg:
            state["nick"] = arg
            welcome()
        elif command == "USER":
            state["user"] = True
            welcome()
        elif command == "PING":
            send(f":fake.test PONG fake.test :{words[-1].lstrip(':')}")
        elif command == "JOIN" and arg:
            send(f":{nick}!u@fake.test JOIN {arg}")
            send(f":fake.test 353 {nick} = {arg} :{nick}")
            send(f":fake.test 366 {nick} {arg} :End of /NAMES list.")

    def received(self):
        with self.cond:
            return [raw for _, raw in self.lines]

    def wait_line(self, predicate, timeout, what):
        with self.cond:
            if not self.cond.wait_for(
                    lambda: any(predicate(raw) for _, raw in self.lines), timeout):
                got = b"\n".join(raw for _, raw in self.lines[-20:]).decode("utf-8", "replace")
                raise AssertionError(f"the fake server {self.host} saw no {what} within "
                                     f"{timeout}s; it got:\n{got}")

    def shown(self):
        return b"\n".join(self.received()).decode("utf-8", "replace")

    def close(self):
        # shutdown() first: it wakes the accept() of the other thread, which
        # would otherwise keep the socket listening
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


@pytest.fixture
def fake(gateway, ngircd):
    # the transports' irc_port is ngircd's port, which ngircd holds on
    # 127.0.0.1 only
    server = FakeIrcServer(FAKE, ngircd.port)
    yield server
    server.close()


@pytest.fixture
def outside(gateway, ngircd):
    server = FakeIrcServer(OUTSIDE, ngircd.port)
    yield server
    server.close()


def secrets_seen(lines, secrets, nick):
    """Which of the secrets show up in lines, plainly or as a SASL PLAIN
    payload (base64 of authzid NUL authcid NUL password)."""
    blob = b"\n".join(lines)
    found = []
    for secret in secrets:
        forms = [secret.encode()]
        for authz in ("", nick):
            forms.append(base64.b64encode(f"{authz}\0{nick}\0{secret}".encode()))
        if any(form in blob for form in forms):
            found.append(secret)
    return found


@pytest.mark.parametrize("credentials", [
    {"password": "nickserv-Secret-1"},
    {"server_password": "server-Secret-2"},
    {"password": "nickserv-Secret-3", "server_password": "server-Secret-4"},
], ids=["nickserv", "server-password", "both"])
def test_a_password_registered_for_the_fixed_server_never_reaches_another_server(
        gateway, ngircd, make_irc_user, fake, credentials):
    pid = gateway.pid
    alice = make_irc_user(transports=(IRCNET,), **credentials)
    if "server_password" in credentials:
        # the server they belong to does get them: this ngircd has no
        # password, so it turns the PASS down
        wait_until(lambda: re.search(rf'User "{re.escape(alice.nick)}![^"]*" rejected .*'
                                     r"Bad server password", ngircd.log()),
                   45, f"ngircd to receive {alice.nick}'s PASS", alice.logs)
    else:
        alice.wait_on_irc()
    room = f"#leak%{FAKE}@{IRCNET}"
    join_room(alice.client, room, alice.nick)
    try:
        alice.wait_presence(lambda p: (p.get("from") or "").startswith(room + "/")
                            and 110 in statuses(p), 45, f"self-presence of {room}")
    except AssertionError as e:
        raise AssertionError(f"{e}\n--- the fake server got:\n{fake.shown()}") from None
    # a line after the join: anything the worker sent before it is in
    marker = "marker " + unique("m")
    send_message(alice.client, room, marker, mtype="groupchat")
    fake.wait_line(lambda raw: marker.encode() in raw, 30, "the marker line")

    lines = fake.received()
    commands = [raw.split(b" ", 1)[0].upper() for raw in lines]
    shown = b"\n".join(lines).decode("utf-8", "replace")
    assert b"PASS" not in commands, f"PASS sent to {FAKE}:\n{shown}"
    assert not [raw for raw in lines if raw.upper().startswith(b"AUTHENTICATE ")
                and not re.fullmatch(rb"[A-Z0-9_-]+|\*", raw.split(b" ", 1)[1])], \
        f"a SASL payload sent to {FAKE}:\n{shown}"
    assert not [raw for raw in lines if b"IDENTIFY" in raw.upper()], \
        f"NickServ IDENTIFY sent to {FAKE}:\n{shown}"
    assert not secrets_seen(lines, credentials.values(), alice.nick), \
        f"a registered password reached {FAKE}:\n{shown}"
    assert gateway.pid == pid and gateway.running


def wait_error(user, kind, sender, what):
    """The stanza error of kind ('presence' or 'message') from sender."""
    wait = user.wait_presence if kind == "presence" else user.wait_message
    return wait(lambda s: (s.get("from") or "").split("/")[0] == sender.split("/")[0]
                and s.get("type") == "error", 45, what)


def assert_refused(stanza, server):
    condition = error_condition(stanza)
    assert condition is not None and condition[1] in ("not-allowed", "policy-violation"), \
        f"expected not-allowed or policy-violation for {server}, got {to_string(stanza)}"
    text = stanza.find(f"{{{NS_CLIENT}}}error/{{urn:ietf:params:xml:ns:xmpp-stanzas}}text")
    assert text is not None and (text.text or "").strip(), \
        f"the error for {server} must say why: {to_string(stanza)}"


def test_a_loopback_server_outside_the_allow_list_gets_an_error_and_no_connection(
        gateway, make_irc_user, outside):
    pid = gateway.pid
    alice = make_irc_user(transports=(IRC,))
    room = f"#probe%{OUTSIDE}@{IRC}"
    join_room(alice.client, room, alice.nick)
    assert_refused(wait_error(alice, "presence", room, f"an error for {room}"), OUTSIDE)
    # a message naming the same server is refused as well
    contact = f"bob%{OUTSIDE}@{IRC}"
    send_message(alice.client, contact, "hello?")
    assert_refused(wait_error(alice, "message", contact, f"an error for {contact}"), OUTSIDE)
    assert not happens_within(lambda: outside.connections > 0, 3), \
        f"the gateway connected to {OUTSIDE}:{outside.port}"
    assert gateway.pid == pid and gateway.running


@pytest.mark.parametrize("server,kind", [
    ("fake.localhost", "presence"),   # allowed by name, resolves to 127.0.0.1 / ::1
    ("10.11.12.13", "presence"),      # private range
    ("192.0.2.1", "message"),         # a public address outside the allow list
    ("irc.denied.invalid", "message"),  # denied by name, before any resolution
], ids=["name-resolving-to-loopback", "private", "outside-allow-list", "denied"])
def test_a_server_the_operator_does_not_allow_gets_an_error_and_no_connection(
        gateway, ngircd, make_irc_user, server, kind):
    pid = gateway.pid
    accepted = ngircd.connections_accepted()
    alice = make_irc_user(transports=(IRC,))
    if kind == "presence":
        target = f"#probe%{server}@{IRC}"
        join_room(alice.client, target, alice.nick)
    else:
        target = f"bob%{server}@{IRC}"
        send_message(alice.client, target, "hello?")
    assert_refused(wait_error(alice, kind, target, f"an error for {target}"), server)
    assert "logging in" not in "\n".join(
        line for line in gateway.output().splitlines() if f"/{server}:" in line), \
        f"the daemon started a login to {server}"
    # a name resolving to 127.0.0.1 would have reached ngircd
    assert ngircd.connections_accepted() == accepted
    assert gateway.pid == pid and gateway.running


def test_an_allowed_server_is_reached(gateway, make_irc_user, fake):
    """The positive control: 127.0.0.2 is in the allow list."""
    pid = gateway.pid
    alice = make_irc_user(transports=(IRC,))
    room = f"#ok%{FAKE}@{IRC}"
    join_room(alice.client, room, alice.nick)
    presence = alice.wait_presence(lambda p: (p.get("from") or "").startswith(room + "/"),
                                   45, f"a presence from {room}")
    assert ptype(presence) != "error", to_string(presence)
    assert 110 in statuses(presence)
    assert fake.connections >= 1
    assert gateway.pid == pid and gateway.running


def test_a_password_registered_for_a_server_goes_to_that_server(gateway, make_irc_user, fake):
    """The registration's server field binds the passwords to the server the
    user names (here the fake one, on a transport with no fixed server)."""
    pid = gateway.pid
    alice = make_irc_user(transports=(IRC,), server_password="for-the-fake-5", server=FAKE)
    room = f"#mine%{FAKE}@{IRC}"
    join_room(alice.client, room, alice.nick)
    fake.wait_line(lambda raw: raw == b"PASS for-the-fake-5" or raw == b"PASS :for-the-fake-5",
                   45, "the PASS of the server the password was registered for")
    assert gateway.pid == pid and gateway.running


def test_a_server_that_welcomes_before_sasl_ends_does_not_crash_the_worker(
        gateway, make_irc_user, ngircd):
    """The welcome (001) signs the account on, and sign-on wipes the
    password; a server that then still asks for the SASL payload
    ("AUTHENTICATE +") must get nothing, and the worker must live."""
    server = FakeIrcServer(FAKE, ngircd.port, early_welcome=True)
    try:
        pid = gateway.pid
        alice = make_irc_user(transports=(IRC,), password="early-Secret-7", server=FAKE)
        room = f"#early%{FAKE}@{IRC}"
        join_room(alice.client, room, alice.nick)
        server.wait_line(lambda raw: raw.upper().startswith(b"AUTHENTICATE PLAIN"), 45,
                         "the SASL PLAIN request")
        presence = alice.wait_presence(
            lambda p: (p.get("from") or "").startswith(room + "/"), 45,
            f"a presence from {room}")
        assert ptype(presence) != "error", to_string(presence)
        assert 110 in statuses(presence)
        # the payload question comes after the welcome: let it be answered
        # (or not) before looking for a dead worker.  The fence is a line
        # through the room, or the account's QUIT: libpurple goes on through
        # its other mechanisms after the empty PLAIN and, when the server
        # fails them all, ends the connection with "SASL authentication
        # failed" (which of the two comes first is a race, seen both ways)
        alice.send(room, "after the welcome", mtype="groupchat")
        server.wait_line(lambda raw: b"after the welcome" in raw or raw.startswith(b"QUIT"), 45,
                         "the line after sign-on, or the account's QUIT")
        if not any(b"after the welcome" in raw for raw in server.received()):
            wait_until(lambda: "SASL authentication failed" in gateway.output(), 20,
                       "the reason of the account's end in the log")
        log = gateway.output()
        assert "is gone" not in log and "sanitizer" not in log.lower(), gateway.tail()
        assert b"early-Secret-7" not in b"\n".join(server.received())
        assert gateway.pid == pid and gateway.running
    finally:
        server.close()
