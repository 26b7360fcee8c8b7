"""The community bridge (issue 11) on a Prosody that keeps from the
bridge's puppets what they do not need: contrib/prosody/
mod_polygate_quiet_puppets.lua, the operator's optional module for rooms
with many IRC nicks (contrib/bench/README.md, "With 500 puppets in the
room").

First the module on its own, with raw clients shaped like a puppet and a
relay; then the bridge's own tests of the echo, the nick collision and the
consent, run again on a room with the module: the bridge must not need
what the module keeps away.
"""

import os
import uuid

import pytest

from harness.bridge import (  # noqa: F401 (fixtures)
    MUC, bridge_checker, bridge_configs, bridge_gateway, bridge_options, bridged,
    make_irc, ngircd, start_bridge_prosody)
from harness.bridge import IRC
from harness.client import XmppClient
from harness.ircgw import (join_room, messages, presences, record_stream, statuses, unique,
                           wait_message)
from harness.prosody import DOMAIN
# the bridge's own tests, collected here again with this module's Prosody
from test_bridge import (  # noqa: F401
    test_an_irc_nick_taken_in_the_room_joins_with_the_suffix,
    test_the_bridge_joins_only_after_a_chanop_approves_and_refuses_anyone_else,
    test_three_irc_nicks_and_three_xmpp_occupants_see_every_line_once)

MODULES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "contrib",
                       "prosody")


@pytest.fixture(scope="module")
def bridge_names():
    return ("consent", "both", "clash")


@pytest.fixture(scope="module")
def bridge_prosody(tmp_path_factory, cert_dir):
    # the gateway's domain, and the users' own for the raw clients below
    server = start_bridge_prosody(
        tmp_path_factory, cert_dir, ("polygate_quiet_puppets",), [MODULES],
        [f'  polygate_puppet_hosts = {{ "{IRC}", "{DOMAIN}" }}'])
    yield server
    server.stop()


def _client(prosody, resource):
    jid = prosody.create_user(unique("q"))
    client = XmppClient(f"{jid}/{resource}", prosody.passwords[jid],
                        port=prosody.c2s_port).connect()
    record_stream(client)
    return client


def _joined(client, room, nick):
    join_room(client, room, nick)
    from harness.ircgw import wait_presence
    return wait_presence(client, lambda p: p.get("from") == f"{room}/{nick}"
                         and 110 in statuses(p), 30, f"{nick}'s self-presence")


def test_a_puppet_gets_its_own_presence_and_private_messages_but_no_room_traffic(
        bridge_prosody):
    room = f"quiet-{uuid.uuid4().hex[:8]}@{MUC}"
    person = _client(bridge_prosody, "phone")
    _joined(person, room, "person")
    # an instant room (XEP-0045 §10.1.2), open to the others
    reply = person.iq_set(room, "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                                "<x xmlns='jabber:x:data' type='submit'/></query>")
    assert reply.get("type") == "result"
    # a user's JID with the resource "bridge" on a listed domain is shaped
    # like a puppet; "bridge.NAME@" like a relay
    puppet = _client(bridge_prosody, "bridge")
    _joined(puppet, room, "puppet")
    relay_jid = bridge_prosody.create_user(f"bridge.{uuid.uuid4().hex[:6]}")
    relay = XmppClient(f"{relay_jid}/bridge", bridge_prosody.passwords[relay_jid],
                       port=bridge_prosody.c2s_port).connect()
    record_stream(relay)
    _joined(relay, room, "relay")
    try:
        person.send_raw(f"<message xmlns='jabber:client' to='{room}' type='groupchat'>"
                        "<body>to everyone</body></message>")
        # a private message after it (XEP-0045 §7.5): the room handles the
        # two in order, so once it is here the groupchat line would be too
        person.send_raw(f"<message xmlns='jabber:client' to='{room}/puppet' type='chat'>"
                        "<body>just to you</body></message>")
        wait_message(puppet, lambda m: m.findtext("{jabber:client}body") == "just to you",
                     20, "the private message")
        wait_message(relay, lambda m: m.findtext("{jabber:client}body") == "to everyone",
                     20, "the relay's copy of the line")
        bodies = [m.findtext("{jabber:client}body") for m in messages(puppet)]
        assert "to everyone" not in bodies, bodies
        # its own join came with status 110; nobody else's presence did
        froms = [p.get("from") for p in presences(puppet)]
        assert f"{room}/puppet" in froms, froms
        assert f"{room}/person" not in froms and f"{room}/relay" not in froms, froms
        # the relay and the person see everyone
        assert f"{room}/puppet" in [p.get("from") for p in presences(relay)]
        assert f"{room}/puppet" in [p.get("from") for p in presences(person)]
    finally:
        for client in (person, puppet, relay):
            client.disconnect()
