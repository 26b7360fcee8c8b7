"""Private messages across a bridge (issue 11 §3): from IRC to an XMPP
person's own connection only if that person allowed it (the ad-hoc command
bridge-private-messages), as a XEP-0045 §7.5 private message from the
sender's puppet; the person's answer goes out from their own connection.
In relay mode a private message to a puppet gets a stanza error.
"""

import pytest

from harness.bridge import (  # noqa: F401 (fixtures)
    NS_COMMANDS, NS_DATA, bridge_checker, bridge_configs, bridge_gateway, bridge_options,
    bridge_prosody, bridged, make_irc, ngircd, presence_of, util_text)
from harness.ircgw import IRC, happens_within, messages, wait_message, wait_presence

NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"


@pytest.fixture(scope="module")
def bridge_names():
    return ("relaypm", "pm")


@pytest.fixture(scope="module")
def bridge_options():
    return {"pm": {"irc_clients": "per-occupant"}}


def private(person, nick, text, msg_id):
    person.client.send_raw(f"<message xmlns='jabber:client' to='{person.room}/{nick}' "
                           f"type='chat' id='{msg_id}'><body>{text}</body>"
                           f"<x xmlns='{NS_MUC_USER}'/></message>")


def set_private_messages(person, value):
    """The person's answer to the transport's bridge-private-messages."""
    client = person.client
    reply = client.iq_set(IRC, f"<command xmlns='{NS_COMMANDS}' "
                               "node='bridge-private-messages' action='execute'/>")
    command = reply.find(f"{{{NS_COMMANDS}}}command")
    assert command is not None and command.get("status") == "executing", util_text(reply)
    reply = client.iq_set(IRC, f"<command xmlns='{NS_COMMANDS}' node='bridge-private-messages' "
                               f"sessionid='{command.get('sessionid')}' action='complete'>"
                               f"<x xmlns='{NS_DATA}' type='submit'>"
                               f"<field var='private_messages'><value>{value}</value></field>"
                               "</x></command>")
    command = reply.find(f"{{{NS_COMMANDS}}}command")
    assert command is not None and command.get("status") == "completed", util_text(reply)


def test_a_private_message_to_a_puppet_in_relay_mode_gets_an_error_not_silence(bridged):
    b = bridged("relaypm")
    owner = b.create_room()
    op = b.chanop("op")
    b.approve(op)
    wait_presence(owner.client, presence_of(b.room, op.nick), 45, "the op's puppet")
    private(owner, op.nick, "are you there?", "pm-relay-1")
    error = wait_message(owner.client, lambda m: m.get("id") == "pm-relay-1"
                         and m.get("type") == "error", 30, "the stanza error", b.logs)
    assert error.get("from") == f"{b.room}/{op.nick}", util_text(error)
    assert error.find(f".//{{{NS_STANZAS}}}not-allowed") is not None, util_text(error)
    assert "private messages" in (error.findtext(f".//{{{NS_STANZAS}}}text") or "")
    # the puppet is still in the room (an error must not get it kicked)
    op.privmsg(b.channel, "still here")
    owner.wait_line(op.nick, "still here", logs=b.logs)
    assert not op.lines(lambda l: l.command == "PRIVMSG" and "are you there" in l.text)


def test_irc_private_messages_reach_only_a_person_who_allowed_them(bridged):
    b = bridged("pm")
    owner = b.create_room()
    op = b.chanop("op")
    b.approve(op)
    person = b.occupant()
    person.join()
    wait_presence(person.client, presence_of(b.room, op.nick), 45, "the op's puppet")
    person.say("hello all")
    op.wait_for(lambda l: l.is_("PRIVMSG", nick=person.nick, target=b.channel), 60,
                "the person's own connection", b.logs)

    # not allowed yet: one NOTICE back, nothing reaches the person
    op.privmsg(person.nick, "psst, first")
    refusal = op.wait_for(lambda l: l.is_("NOTICE", nick=person.nick, target=op.nick), 30,
                          "the refusal NOTICE", b.logs)
    assert "does not take private messages" in refusal.text, refusal
    op.privmsg(person.nick, "psst, again")
    op.privmsg(b.channel, "sync")
    person.wait_line(op.nick, "sync", logs=b.logs)
    assert not messages(person.client, lambda m: m.get("type") == "chat"
                        and "psst" in (m.findtext("{jabber:client}body") or ""))
    assert len(op.lines(lambda l: l.is_("NOTICE", nick=person.nick))) == 1, "told once"

    # allowed: from the sender's puppet in the room (XEP-0045 §7.5)
    set_private_messages(person, "allow")
    op.privmsg(person.nick, "psst, now")
    got = wait_message(person.client, lambda m: m.get("type") == "chat"
                       and m.findtext("{jabber:client}body") == "psst, now", 30,
                       "the private message", b.logs)
    assert got.get("from") == f"{b.room}/{op.nick}", util_text(got)
    # the answer goes out from the person's own connection
    private(person, op.nick, "what is it?", "pm-answer-1")
    op.wait_for(lambda l: l.is_("PRIVMSG", nick=person.nick, target=op.nick)
                and l.text == "what is it?", 30, "the answer", b.logs)
    assert not happens_within(lambda: messages(person.client, lambda m: m.get("type") ==
                                               "error"), 2)

    # and denied again
    set_private_messages(person, "deny")
    op.privmsg(person.nick, "psst, after deny")
    op.privmsg(b.channel, "sync 2")
    person.wait_line(op.nick, "sync 2", logs=b.logs)
    assert not messages(person.client, lambda m: "after deny" in
                        (m.findtext("{jabber:client}body") or ""))
