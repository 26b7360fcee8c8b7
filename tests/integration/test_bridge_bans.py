"""An IRC ban reaches the room (issue 11 item 5), on Prosody with ngircd.

A chanop's MODE +b makes the puppets its mask matches (nick!user@host,
IRC wildcards, any case) outcasts of the room (XEP-0045 §9.1: removed with
status 301); -b makes them members again and they come back.  A ban that
matches nobody bridged changes nothing in the room.
"""

import pytest

from harness.bridge import (  # noqa: F401 (fixtures)
    NS_MUC_ADMIN, bridge_checker, bridge_configs, bridge_gateway, bridge_options,
    bridge_prosody, bridged, make_irc, ngircd, presence_of, puppet_jid)
from harness.ircgw import presences, ptype, statuses, wait_presence


@pytest.fixture(scope="module")
def bridge_names():
    return ("bans",)


def affiliated(owner, room, affiliation):
    reply = owner.client.iq_get(room, f"<query xmlns='{NS_MUC_ADMIN}'>"
                                      f"<item affiliation='{affiliation}'/></query>")
    assert reply.get("type") == "result"
    return {item.get("jid") for item in reply.iter(f"{{{NS_MUC_ADMIN}}}item")}


def bare(jid):
    return jid.split("/", 1)[0]


def test_an_irc_ban_makes_the_matching_puppets_outcasts_and_an_unban_brings_them_back(bridged):
    b = bridged("bans")
    owner = b.create_room()
    op = b.chanop("op")
    b.approve(op)
    banned, spared = b.make_irc("v"), b.make_irc("w")
    for client in (banned, spared):
        client.join(b.channel)
    for client in (op, banned, spared):
        wait_presence(owner.client, presence_of(b.room, client.nick), 45,
                      f"{client.nick}'s puppet", b.logs)
    # the bridge is a chanop, so it could KICK (kicks_to_irc): it must not
    # kick back what IRC banned
    op.send(f"MODE {b.channel} +o {b.nick}")
    op.wait_for(lambda l: l.command == "MODE" and b.nick in l.params, 20, "the bridge's +o")
    # a ban that matches nobody bridged, then one that matches one puppet
    # (upper case and a wildcard: IRC compares masks without case)
    op.send(f"MODE {b.channel} +b nobody*!*@*")
    mask = f"{banned.nick[:-1].upper()}?!*@127.0.0.*"
    op.send(f"MODE {b.channel} +b {mask}")
    gone = wait_presence(owner.client, lambda p: p.get("from") == f"{b.room}/{banned.nick}"
                         and ptype(p) == "unavailable", 30, "the banned puppet's removal",
                         b.logs)
    assert 301 in statuses(gone), gone
    assert affiliated(owner, b.room, "outcast") == {bare(puppet_jid(banned.nick))}, \
        "only the matching ban made an outcast"
    assert not any(p.get("from") == f"{b.room}/{spared.nick}" and ptype(p) == "unavailable"
                   for p in presences(owner.client)), "the other puppet stays"
    op.send(f"MODE {b.channel} -b {mask}")
    wait_presence(owner.client, presence_of(b.room, banned.nick), 30,
                  "the unbanned puppet back in the room", b.logs)
    assert affiliated(owner, b.room, "outcast") == set()
    assert bare(puppet_jid(banned.nick)) in affiliated(owner, b.room, "member")
    assert not op.lines(lambda l: l.is_("KICK", nick=b.nick)), "no KICK back on IRC"
    assert not banned.lines(lambda l: l.command == "KICK")
