"""After-connect commands per server (issue 10, item 2; biboumi's
after_connect_commands): raw IRC lines set in the configure form on a
server's JID, sent by the worker once the server registered the user.

- They reach the IRC server, in order: a JOIN and a PRIVMSG seen by a raw
  IRC client on ngircd, without the user joining anything from XMPP.
- They are a secret (they may hold passwords): the form never shows them
  (a count), an empty submission keeps them, clear_commands removes them,
  and the daemon's log never has them.
- Each line is checked: a line without a command word, too long a line or
  too many lines are not-acceptable, and nothing is kept.  (A CR cannot
  reach the gateway inside a line: XML turns a CR into a line break, which
  starts the next value; tests/unit/test-network.c checks that a CR or NUL
  in a line is refused all the same.)
"""

import xml.etree.ElementTree as ET

import pytest

from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, IRCNET, SERVER, gateway, gateway_options, irc_checker, irc_prosody, make_irc_client,
    make_irc_user, ngircd, ngircd_password, unique)
from test_irc_server_tls import execute, fields_of

NS_COMMANDS = "http://jabber.org/protocol/commands"
NS_DATA = "jabber:x:data"
SERVER_JID = f"{SERVER}@{IRC}"


def submit_lines(client, to, lines, extra=None):
    """The configure form with commands as a text-multi of lines (one
    <value/> each, XEP-0004 §3.3), plus extra single fields."""
    form = execute(client, to)
    values = "".join(f"<value>{ln}</value>" for ln in lines)
    more = "".join(f"<field var='{k}'><value>{v}</value></field>"
                   for k, v in (extra or {}).items())
    return client.iq_set(to, f"<command xmlns='{NS_COMMANDS}' node='configure' "
                             f"sessionid='{form.get('sessionid')}' action='complete'>"
                             f"<x xmlns='{NS_DATA}' type='submit'>"
                             f"<field var='commands' type='text-multi'>{values}</field>{more}"
                             "</x></command>")


def completed(reply):
    assert reply.get("type") == "result", to_string(reply)
    assert reply.find(f"{{{NS_COMMANDS}}}command").get("status") == "completed"


def commands_label(client, to):
    field = fields_of(execute(client, to))["commands"]
    assert field.get("type") == "text-multi", ET.tostring(field, encoding="unicode")
    assert field.find(f"{{{NS_DATA}}}value") is None, ET.tostring(field, encoding="unicode")
    return field.get("label") or ""


def test_the_commands_are_sent_after_connecting_in_order(make_irc_user, make_irc_client,
                                                         gateway):
    alice = make_irc_user(transports=(IRCNET,), online=False)
    bob = make_irc_client()
    channel = "#" + unique("ac")
    bob.join(channel)
    secret = unique("sesame")
    completed(submit_lines(alice.client, IRCNET, [
        f"JOIN {channel}",
        f"PRIVMSG {channel} :after connect {secret}",
        "MODE {} +i".format(alice.nick),
    ]))
    assert "3 set" in commands_label(alice.client, IRCNET)
    alice.go_online(IRCNET)
    bob.wait_for(lambda l: l.is_("JOIN", nick=alice.nick), 45, f"{alice.nick} to JOIN",
                 alice.logs)
    bob.wait_for_privmsg(f"after connect {secret}", sender=alice.nick, target=channel,
                         timeout=30, log_paths=alice.logs)
    assert secret not in gateway.output(), "an after-connect command is in the daemon's log"


def test_the_form_keeps_them_on_empty_and_clears_them(make_irc_user):
    alice = make_irc_user(online=False)
    assert "not set" in commands_label(alice.client, SERVER_JID)
    completed(submit_lines(alice.client, SERVER_JID, ["MODE x +x", "", "AWAY :later"]))
    assert "2 set" in commands_label(alice.client, SERVER_JID)
    completed(submit_lines(alice.client, SERVER_JID, [""]))
    assert "2 set" in commands_label(alice.client, SERVER_JID)
    completed(submit_lines(alice.client, SERVER_JID, [], {"clear_commands": "true"}))
    assert "not set" in commands_label(alice.client, SERVER_JID)


@pytest.mark.parametrize("lines", [
    [":prefix PRIVMSG x :y"],            # no command word
    [" JOIN #a"],
    ["PRIVMSG x :" + "y" * 400],         # too long
    [f"MODE x +{i}" for i in range(11)],  # too many
])
def test_a_line_that_is_not_one_irc_command_is_not_acceptable(make_irc_user, lines):
    alice = make_irc_user(online=False)
    reply = submit_lines(alice.client, SERVER_JID, lines)
    assert reply.get("type") == "error", to_string(reply)
    assert error_condition(reply)[1] == "not-acceptable", to_string(reply)
    assert "not set" in commands_label(alice.client, SERVER_JID)
