"""Per-server passwords (issue 10, item 2): the XEP-0050 "configure"
command on a server's JID sets a server password (PASS) and a SASL/NickServ
password for that server only.

This ngircd requires a server password ([Global] Password), as in
test_irc_server_password.py.  The users register with no password at all:
only the configure form gives one.

- The form never shows a password back (text-private, no value); it says
  whether one is set; an empty submission keeps it; "clear" removes it.
- The password set for 127.0.0.1 lets the next login there in.
- A wrong one gives the user an error on the join that caused the login.
- A fake server on 127.0.0.2 (as in test_irc_server_policy.py) never sees
  the passwords set for 127.0.0.1.
- No password shows up in the daemon's log.
"""

import re
import xml.etree.ElementTree as ET

import pytest

from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, IRCNET, NS_CLIENT, SERVER, contact_jid, gateway, gateway_options, irc_checker, irc_prosody, join_room,
    make_irc_client, make_irc_user, ngircd, statuses, unique, wait_until)
from harness.irc import IrcClient
from test_irc_server_policy import FAKE, FakeIrcServer, secrets_seen

NS_COMMANDS = "http://jabber.org/protocol/commands"
NS_DATA = "jabber:x:data"
SERVER_JID = f"{SERVER}@{IRC}"
FAKE_JID = f"{FAKE}@{IRC}"
PASSWORD = "s3rver-pass"


@pytest.fixture(scope="module")
def ngircd_password():
    return PASSWORD


@pytest.fixture
def bob(ngircd):
    client = IrcClient(ngircd.port, unique("bobsp"), password=PASSWORD).connect()
    yield client
    client.quit()
    client.close()


@pytest.fixture
def fake(gateway, ngircd):
    server = FakeIrcServer(FAKE, ngircd.port)
    yield server
    server.close()


def execute(client, to):
    reply = client.iq_set(to, f"<command xmlns='{NS_COMMANDS}' node='configure' "
                              "action='execute'/>")
    assert reply.get("type") == "result", to_string(reply)
    command = reply.find(f"{{{NS_COMMANDS}}}command")
    assert command.get("status") == "executing", to_string(reply)
    return command


def fields_of(command):
    return {f.get("var"): f for f in
            command.find(f"{{{NS_DATA}}}x").findall(f"{{{NS_DATA}}}field")}


def configure(client, to, fields):
    form = execute(client, to)
    values = "".join(f"<field var='{k}'><value>{v}</value></field>" for k, v in fields.items())
    reply = client.iq_set(to, f"<command xmlns='{NS_COMMANDS}' node='configure' "
                              f"sessionid='{form.get('sessionid')}' action='complete'>"
                              f"<x xmlns='{NS_DATA}' type='submit'>{values}</x></command>")
    return reply


def configured(client, to, fields):
    reply = configure(client, to, fields)
    assert reply.get("type") == "result", to_string(reply)
    assert reply.find(f"{{{NS_COMMANDS}}}command").get("status") == "completed"


def is_set(command, var):
    """What the form says about the password var: True (set), False (not
    set); and it must never carry the password itself."""
    fields = fields_of(command)
    field = fields[var]
    assert field.get("type") == "text-private", ET.tostring(field, encoding="unicode")
    assert field.find(f"{{{NS_DATA}}}value") is None or \
        not (field.find(f"{{{NS_DATA}}}value").text or ""), \
        f"the form echoes {var}: {ET.tostring(field, encoding='unicode')}"
    label = field.get("label") or ""
    assert re.search(r"\b(set|not set)\b", label), label
    return "not set" not in label


def test_the_form_hides_the_passwords_keeps_them_on_empty_and_clears_them(make_irc_user):
    alice = make_irc_user(online=False)
    form = execute(alice.client, SERVER_JID)
    assert not is_set(form, "server_password") and not is_set(form, "password")
    configured(alice.client, SERVER_JID, {"server_password": "hidden-1", "password": "hidden-2"})
    form = execute(alice.client, SERVER_JID)
    assert is_set(form, "server_password") and is_set(form, "password")
    assert "hidden-" not in ET.tostring(form, encoding="unicode")
    # set for 127.0.0.1 only
    other = execute(alice.client, FAKE_JID)
    assert not is_set(other, "server_password") and not is_set(other, "password")
    # an empty submission keeps them
    configured(alice.client, SERVER_JID, {"server_password": "", "password": ""})
    form = execute(alice.client, SERVER_JID)
    assert is_set(form, "server_password") and is_set(form, "password")
    # clearing one clears that one
    configured(alice.client, SERVER_JID, {"clear_server_password": "true"})
    form = execute(alice.client, SERVER_JID)
    assert not is_set(form, "server_password") and is_set(form, "password")


def test_a_server_password_configured_for_a_server_logs_in_there(gateway, make_irc_user,
                                                                 bob):
    alice = make_irc_user(online=False)
    configured(alice.client, SERVER_JID, {"server_password": PASSWORD})
    alice.go_online(IRC)
    alice.send(contact_jid(bob.nick), "in by the configured password")
    bob.wait_for_privmsg("in by the configured password", sender=alice.nick, timeout=45,
                         log_paths=alice.logs)
    assert PASSWORD not in gateway.output(), "the server password is in the daemon's log"


def test_the_fixed_servers_password_is_configured_on_the_transport(gateway, make_irc_user,
                                                                    bob):
    alice = make_irc_user(transports=(IRCNET,), online=False)
    configured(alice.client, IRCNET, {"server_password": PASSWORD})
    alice.go_online(IRCNET)
    alice.wait_on_irc()
    alice.send(contact_jid(bob.nick, IRCNET), "in on the fixed server")
    bob.wait_for_privmsg("in on the fixed server", sender=alice.nick, timeout=45,
                         log_paths=alice.logs)


def test_a_wrong_configured_password_is_an_error_on_the_join(gateway, make_irc_user, ngircd):
    alice = make_irc_user(online=False)
    configured(alice.client, SERVER_JID, {"server_password": "not-the-password"})
    alice.go_online(IRC)
    room = f"#sp{unique('r')}%{SERVER}@{IRC}"
    join_room(alice.client, room, alice.nick)
    error = alice.wait_presence(lambda p: (p.get("from") or "").split("/")[0] == room
                                and p.get("type") == "error", 60,
                                f"an error presence from {room}")
    assert error_condition(error) is not None, to_string(error)
    text = error.find(f"{{{NS_CLIENT}}}error/{{urn:ietf:params:xml:ns:xmpp-stanzas}}text")
    assert text is not None and re.search(r"password|access denied", text.text or "", re.I), \
        f"the error must say the password was refused: {to_string(error)}"
    assert "not-the-password" not in gateway.output()


def test_the_passwords_configured_for_one_server_never_reach_another(gateway, make_irc_user,
                                                                     fake):
    secrets = {"server_password": "for-A-only-7", "password": "nickserv-A-only-8"}
    alice = make_irc_user(online=False)
    configured(alice.client, SERVER_JID, secrets)
    alice.go_online(IRC)
    room = f"#leak%{FAKE}@{IRC}"
    join_room(alice.client, room, alice.nick)
    alice.wait_presence(lambda p: (p.get("from") or "").startswith(room + "/")
                        and 110 in statuses(p), 45, f"self-presence of {room}")
    fake.wait_line(lambda raw: raw.upper().startswith(b"JOIN"), 30, "the JOIN")
    lines = fake.received()
    shown = b"\n".join(lines).decode("utf-8", "replace")
    commands = [raw.split(b" ", 1)[0].upper() for raw in lines]
    assert b"PASS" not in commands, f"PASS sent to {FAKE}:\n{shown}"
    assert not [raw for raw in lines if b"IDENTIFY" in raw.upper()], shown
    assert not secrets_seen(lines, secrets.values(), alice.nick), \
        f"a password set for {SERVER} reached {FAKE}:\n{shown}"
