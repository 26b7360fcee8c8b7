"""Per-server settings (issue 10, item 2): the XEP-0050 "configure" command
on a server's JID (`127.0.0.1@irc.localhost`, biboumi's scheme).  The nick
set there is the one the user has on that server, and on no other."""

import xml.etree.ElementTree as ET

from harness.client import error_condition
from harness.xep import register_form
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, IRCNET, SERVER, contact_jid, gateway, gateway_options, irc_checker, irc_prosody,
    make_irc_client, make_irc_user, ngircd, ngircd_password, unique)

NS_COMMANDS = "http://jabber.org/protocol/commands"
NS_DATA = "jabber:x:data"
SERVER_JID = f"{SERVER}@{IRC}"


def execute(client, to):
    return client.iq_set(to, f"<command xmlns='{NS_COMMANDS}' node='configure' "
                             "action='execute'/>")


def submit(client, to, sessionid, fields):
    values = "".join(f"<field var='{k}'><value>{v}</value></field>" for k, v in fields.items())
    return client.iq_set(to, f"<command xmlns='{NS_COMMANDS}' node='configure' "
                             f"sessionid='{sessionid}' action='complete'>"
                             f"<x xmlns='{NS_DATA}' type='submit'>{values}</x></command>")


def command_of(reply):
    assert reply.get("type") == "result", ET.tostring(reply, encoding="unicode")
    return reply.find(f"{{{NS_COMMANDS}}}command")


def field_value(command, var):
    for field in command.find(f"{{{NS_DATA}}}x").findall(f"{{{NS_DATA}}}field"):
        if field.get("var") == var:
            value = field.find(f"{{{NS_DATA}}}value")
            return value.text if value is not None else None
    raise AssertionError(f"no field {var}")


def configure(client, to, fields):
    form = command_of(execute(client, to))
    assert form.get("status") == "executing"
    return submit(client, to, form.get("sessionid"), fields)


def test_the_nick_set_for_a_server_is_the_users_nick_there(make_irc_user, make_irc_client):
    alice = make_irc_user()
    nick = unique("cfg")
    done = command_of(configure(alice.client, SERVER_JID, {"nick": nick}))
    assert done.get("status") == "completed"
    # the form shows it back, for this server only
    assert field_value(command_of(execute(alice.client, SERVER_JID)), "nick") == nick
    assert field_value(command_of(execute(alice.client, f"irc.example.net@{IRC}")),
                       "nick") is None
    bob = make_irc_client()
    alice.send(contact_jid(bob.nick), "hello from my server nick")
    bob.wait_for_privmsg("hello from my server nick", sender=nick, timeout=45,
                         log_paths=alice.logs)


def test_an_invalid_nick_is_not_acceptable(make_irc_user):
    alice = make_irc_user()
    reply = configure(alice.client, SERVER_JID, {"nick": "1bad"})
    assert reply.get("type") == "error"
    assert error_condition(reply)[1] == "not-acceptable"


def test_the_server_offers_the_configure_command(make_irc_user):
    alice = make_irc_user()
    reply = alice.client.iq_get(SERVER_JID, f"<query xmlns='http://jabber.org/protocol/"
                                            f"disco#items' node='{NS_COMMANDS}'/>")
    assert reply.get("type") == "result"
    nodes = [i.get("node") for i in reply.iter("{http://jabber.org/protocol/disco#items}item")]
    assert nodes == ["configure"]


def test_the_fixed_server_is_configured_on_the_transport_itself(make_irc_user,
                                                                 make_irc_client):
    alice = make_irc_user(transports=(IRCNET,), online=False)
    nick = unique("fx")
    done = command_of(configure(alice.client, IRCNET, {"nick": nick}))
    assert done.get("status") == "completed"
    alice.go_online(IRCNET)
    bob = make_irc_client()
    alice.send(contact_jid(bob.nick, IRCNET), "hello from the fixed server")
    bob.wait_for_privmsg("hello from the fixed server", sender=nick, timeout=45,
                         log_paths=alice.logs)


def test_registering_again_keeps_what_was_configured_per_server(make_irc_user):
    """A new XEP-0077 registration (a new nick or password) replaces the
    registration's own fields, never the per-server settings the user set
    with configure: they are not in the registration form."""
    alice = make_irc_user(online=False)
    nick = unique("kept")
    assert command_of(configure(alice.client, SERVER_JID, {"nick": nick})).get(
        "status") == "completed"
    reply = alice.client.iq_set(IRC, register_form({"nick": unique("renamed")}))
    assert reply.get("type") == "result", ET.tostring(reply, encoding="unicode")
    assert field_value(command_of(execute(alice.client, SERVER_JID)), "nick") == nick
