"""The community bridge (issue 11): XEP-0410 self-ping brings back a puppet
the room forgot.

The room drops a puppet without a word (a test-only Prosody module,
prosody-modules/mod_pg_muc_drop.lua, stands in for a server that lost its
state): no presence tells the bridge.  Its next self-ping, every
self_ping_interval seconds (a per-bridge key), is answered not-acceptable
(XEP-0410 §4), and the puppet joins again.
"""

import os

import pytest

from harness.bridge import (  # noqa: F401 (fixtures)
    bridge_checker, bridge_configs, bridge_gateway, bridge_options, bridged,
    make_irc, ngircd, presence_of, start_bridge_prosody)
from harness.ircgw import presences, ptype, wait_presence

MODULES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prosody-modules")
INTERVAL = 5


@pytest.fixture(scope="module")
def bridge_names():
    return ("ping",)


@pytest.fixture(scope="module")
def bridge_options():
    return {"ping": {"self_ping_interval": str(INTERVAL), "kicks_to_irc": "false"}}


@pytest.fixture(scope="module")
def bridge_prosody(tmp_path_factory, cert_dir):
    server = start_bridge_prosody(tmp_path_factory, cert_dir, ("pg_muc_drop",), [MODULES])
    yield server
    server.stop()


def test_a_puppet_the_room_forgot_joins_again_after_its_self_ping(bridged):
    b = bridged("ping")
    owner = b.create_room()
    op = b.chanop("op")
    b.approve(op)
    person = b.make_irc("p")
    person.join(b.channel)
    wait_presence(owner.client, presence_of(b.room, person.nick), 45, "the puppet", b.logs)
    before = {id(p) for p in presences(owner.client)}
    owner.client.send_raw(f"<message to='{b.room}' type='groupchat'>"
                          f"<body>pg-drop {person.nick}</body></message>")
    # the room said nothing of the drop; the next self-ping finds it out
    back = wait_presence(owner.client,
                         lambda p: id(p) not in before and p.get("from") == f"{b.room}/{person.nick}"
                         and ptype(p) != "unavailable",
                         4 * INTERVAL + 15, "the puppet's join after its self-ping", b.logs)
    assert back is not None
    assert not any(p.get("from") == f"{b.room}/{person.nick}" and ptype(p) == "unavailable"
                   for p in presences(owner.client) if id(p) not in before), \
        "the room told nobody: the bridge found out by itself"
