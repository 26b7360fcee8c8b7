"""A hostile IRC server's nicks through a community bridge (issue 11).

ngircd refuses a nick with a control character, but a hostile or broken
server sends what it likes.  This module runs the bridge against the small
IRC server of test_irc_hostile_names.py: the channel holds "ev\\x02il", which
becomes the puppet "ev?il" (src/stanza/pg-text.c), and each of its lines
must come from that one puppet.  The puppets table is keyed by the clean
nick; a lookup by the raw one made a second puppet per line under the same
key and freed the first while the room could still write to it.
"""

import pytest

from harness import util
from harness.bridge import (  # noqa: F401 (fixtures)
    bridge_checker, bridge_configs, bridge_gateway, bridge_options, bridge_prosody, bridged,
    make_irc, presence_of)
from harness.ircgw import presences, ptype, wait_presence
from test_irc_hostile_names import HostileIrcServer

R = "?"  # a control character in a legacy name (src/stanza/pg-text.c)


@pytest.fixture(scope="module")
def bridge_names():
    return ("hostirc",)


@pytest.fixture(scope="module")
def ngircd(tmp_path_factory):
    """Replaces harness.bridge's ngircd for this module's gateway."""
    server = HostileIrcServer(str(tmp_path_factory.mktemp("hostile-irc")),
                              [b"ev\x02il", b"@op"])
    yield server
    server.stop()


def test_a_nick_with_a_control_character_is_one_puppet_for_all_its_lines(bridged, ngircd):
    b = bridged("hostirc")
    owner = b.create_room()
    nick = b.nick.encode()
    channel = b.channel.encode()
    util.wait_for(lambda: nick in ngircd.clients.values(), 60, "the bridge on the server",
                  b.gateway.log_path, alive=lambda: b.gateway.running)
    # consent: "op" asks, the bridge asks NAMES of the channel, "@op" is there
    ngircd.send(b":op!u@h PRIVMSG " + nick + b" :approve")
    util.wait_for(lambda: f"<- NAMES {b.channel}" in ngircd.log(), 30, "the bridge's NAMES",
                  b.gateway.log_path, alive=lambda: b.gateway.running)
    ngircd.send(b":fake.irc 353 " + nick + b" = " + channel + b" :@op ev\x02il")
    ngircd.send(b":fake.irc 366 " + nick + b" " + channel + b" :End")
    wait_presence(owner.client, presence_of(b.room, f"ev{R}il"), 60, "the hostile nick's puppet",
                  b.logs)
    for n in range(3):
        ngircd.send(b":ev\x02il!u@h PRIVMSG " + channel + b" :hostile line %d" % n)
        owner.wait_line(f"ev{R}il", f"hostile line {n}", 30, b.logs)
    # one puppet: no second join under the suffix (a 409 for the same nick)
    joins = [p for p in presences(owner.client)
             if p.get("from", "").startswith(f"{b.room}/ev{R}il") and ptype(p) == "available"]
    assert {p.get("from") for p in joins} == {f"{b.room}/ev{R}il"}, [p.get("from") for p in joins]
    assert b.gateway.running
