"""The community bridge (issue 11) across restarts, and moderation both ways.

- The ircd restarts: every IRC nick (and the bridge) drops and comes back;
  the room sees no part/join flood: the puppets stay.
- Prosody restarts: the bridge joins the room again by itself, and lines
  flow again.
- An IRC op's KICK is an occupant kick of the puppet; a room moderator's
  kick of a puppet is a KICK on IRC when the bridge is a chanop.
"""

import pytest

from harness.bridge import (  # noqa: F401 (fixtures)
    bridge_checker, bridge_configs, bridge_gateway, bridge_options, bridge_prosody, bridged,
    make_irc, ngircd, presence_of, puppet_jid, relayed)
from harness.bridge import allow_leaf, link_leaf, util_text
from harness.irc import IrcClient
from harness.ircgw import (happens_within, presences, ptype, record_stream, statuses, unique,
                           wait_presence)

NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin"


@pytest.fixture(scope="module")
def bridge_names():
    return ("kicks", "split", "netsplit", "restart")


def set_up(b, n_irc=2):
    owner = b.create_room()
    op = b.chanop("op")
    b.approve(op)
    irc = [op] + [b.make_irc(f"i{i}") for i in range(n_irc)]
    for client in irc[1:]:
        client.join(b.channel)
    for client in irc:
        wait_presence(owner.client, presence_of(b.room, client.nick), 45,
                      f"{client.nick}'s puppet", b.logs)
    return owner, irc


def puppet_leaves(owner, room, nicks):
    return [p for p in presences(owner.client)
            if ptype(p) == "unavailable" and p.get("from") in {f"{room}/{n}" for n in nicks}]


def test_an_irc_op_kick_is_an_occupant_kick_and_a_room_kick_is_an_irc_kick(bridged):
    b = bridged("kicks")
    owner, (op, first, second, third) = set_up(b, n_irc=3)
    op.kick(b.channel, first.nick, "behave")
    gone = wait_presence(owner.client, presence_of(b.room, first.nick, "unavailable"), 30,
                         "the kicked puppet", b.logs)
    assert 307 in statuses(gone), "an IRC kick is an occupant kick (XEP-0045 §8.2)"

    op.send(f"MODE {b.channel} +o {b.nick}")
    op.wait_for(lambda l: l.command == "MODE" and b.nick in l.params, 20, "the +o echo")
    # the bridge hears its +o before a kick needs it: its NAMES answer
    # comes after the MODE in the server's order
    op.privmsg(b.nick, "status")
    op.wait_for(lambda l: l.is_("PRIVMSG", nick=b.nick), 20, "the bridge's answer")
    reply = owner.client.iq_set(b.room, f"<query xmlns='{NS_MUC_ADMIN}'><item nick="
                                        f"'{second.nick}' role='none'><reason>spam"
                                        "</reason></item></query>")
    assert reply.get("type") == "result"
    op.wait_for(lambda l: l.is_("KICK", nick=b.nick) and second.nick in l.params, 30,
                "the bridge's KICK", b.logs)

    # a room ban (outcast, XEP-0045 §9.1) of a puppet: +b on its host, then KICK
    bare = puppet_jid(third.nick).split("/")[0]
    reply = owner.client.iq_set(b.room, f"<query xmlns='{NS_MUC_ADMIN}'><item jid='{bare}' "
                                        "affiliation='outcast'/></query>")
    assert reply.get("type") == "result"
    op.wait_for(lambda l: l.is_("MODE", nick=b.nick) and "+b" in l.params, 30,
                "the bridge's ban", b.logs)
    op.wait_for(lambda l: l.is_("KICK", nick=b.nick) and third.nick in l.params, 30,
                "the KICK after the ban", b.logs)


def test_an_ircd_restart_brings_no_part_join_flood_into_the_room(bridged, ngircd):
    b = bridged("split")
    owner, irc = set_up(b)
    nicks = [c.nick for c in irc]
    seen = len(presences(owner.client))
    ngircd.stop()
    ngircd.start()
    back = [b.make_irc(nick=n) for n in nicks]
    for client in back:
        client.join(b.channel)
    back[0].wait_for(lambda l: l.is_("JOIN", nick=b.nick) or (
        l.command == "353" and b.nick.lower() in l.text.lower()), 90,
        "the bridge back in the channel", b.logs)
    back[1].privmsg(b.channel, "after the restart")
    owner.wait_line(nicks[1], "after the restart", 60, b.logs)
    owner.say("and back to irc")
    back[2].wait_for(relayed(owner.nick, "and back to irc"), 30, "the relay", b.logs)
    after = presences(owner.client)[seen:]
    flood = [util_text(p) for p in after if ptype(p) == "unavailable"]
    assert flood == [], f"puppets left and came back: {flood}"


def test_a_netsplit_quit_is_held_and_a_plain_quit_is_not(bridged, ngircd, tmp_path):
    allow_leaf(ngircd)
    b = bridged("netsplit")
    owner, (op, plain) = set_up(b, n_irc=1)
    leaf = link_leaf(ngircd, str(tmp_path / "leaf"))
    away = []
    try:
        away += [IrcClient(leaf.port, unique(f"s{i}")).connect() for i in range(2)]
        for client in away:
            client.join(b.channel)
            wait_presence(owner.client, presence_of(b.room, client.nick), 45,
                          f"{client.nick}'s puppet", b.logs)
        leaf.stop()
        for client in away:
            quit = op.wait_for(lambda l: l.is_("QUIT", nick=client.nick), 30, "the split")
            assert "leaf.localhost" in quit.text, quit.text
        plain.quit("off to bed")
        wait_presence(owner.client, presence_of(b.room, plain.nick, "unavailable"), 30,
                      "the plain quit's leave", b.logs)
        back = b.make_irc(nick=away[0].nick)
        back.join(b.channel)
        back.privmsg(b.channel, "back from the split")
        owner.wait_line(away[0].nick, "back from the split", 30, b.logs)
        assert puppet_leaves(owner, b.room, [c.nick for c in away]) == [], \
            "a nick in a netsplit stays in the room for the grace period"
    finally:
        leaf.stop()
        for client in away:
            client.close()


def test_after_a_prosody_restart_the_bridge_rejoins_the_room_by_itself(bridged,
                                                                       bridge_prosody):
    b = bridged("restart")
    owner, (op, first, _second) = set_up(b)
    if hasattr(bridge_prosody, "sync_disk"):
        bridge_prosody.sync_disk()  # ejabberd: accounts and rooms reach Mnesia's disk copy
    bridge_prosody.restart()
    owner.client.reconnect()
    record_stream(owner.client)
    owner.join(60)
    wait_presence(owner.client, presence_of(b.room, first.nick), 60,
                  "the puppet back in the room", b.logs)
    wait_presence(owner.client, presence_of(b.room, b.nick), 60,
                  "the relay back in the room", b.logs)
    first.privmsg(b.channel, "after prosody")
    owner.wait_line(first.nick, "after prosody", 30, b.logs)
    owner.say("back to irc after prosody")
    op.wait_for(relayed(owner.nick, "back to irc after prosody"), 30, "the relay", b.logs)
