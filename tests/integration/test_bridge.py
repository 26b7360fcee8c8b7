"""The community bridge (issue 11): an IRC channel bridged to a room of
Prosody's own MUC service (mod_muc + mod_muc_mam), with ngircd.

Each test uses its own bridge (its own channel and room) of the module's
config.  "Exactly once" is checked after a sync point (a later line that
must arrive), never after a sleep.
"""

import pytest

from harness.bridge import (  # noqa: F401 (fixtures)
    bridge_checker, bridge_configs, bridge_gateway, bridge_jid, bridge_options, bridge_prosody,
    bridged, make_irc, ngircd, presence_of, puppet_jid, relayed, unbroken)
from harness.ircgw import happens_within, messages, ptype, presences, statuses, unique


@pytest.fixture(scope="module")
def bridge_names():
    return ("consent", "both", "clash", "edits")


def names_of(client, channel):
    client.send(f"NAMES {channel}")
    reply = client.wait_for(lambda l: l.command == "353" and len(l.params) > 2
                            and l.params[2].lower() == channel.lower(), 20, "NAMES")
    return [n.lstrip("@+").lower() for n in reply.text.split()]


def test_the_bridge_joins_only_after_a_chanop_approves_and_refuses_anyone_else(bridged):
    b = bridged("consent")
    owner = b.create_room()
    op = b.chanop("op")
    b.wait_bridge_on_irc()
    assert b.nick.lower() not in names_of(op, b.channel), "no join before an approval"

    stranger = b.make_irc("str")
    stranger.join(b.channel)
    stranger.privmsg(b.nick, "approve")
    stranger.wait_for(lambda l: l.is_("PRIVMSG", nick=b.nick) and l.text.startswith("Refused"),
                      30, "the refusal of a non-op", b.logs)
    assert b.nick.lower() not in names_of(op, b.channel), "a non-op cannot approve"

    b.approve(op)
    assert b.nick.lower() in names_of(op, b.channel)

    # revoked: the bridge parts, and its people leave the room at once
    owner_wait_presence(owner, b.room, op.nick)
    stranger.privmsg(b.nick, "revoke")
    stranger.wait_for(lambda l: l.is_("PRIVMSG", nick=b.nick) and l.text.startswith("Refused"),
                      30, "the refusal of a non-op's revoke", b.logs)
    op.privmsg(b.nick, "!bridge revoke")
    op.wait_for(lambda l: l.is_("PART", nick=b.nick), 30, "the bridge's PART", b.logs)
    from harness.ircgw import wait_presence
    for nick in (op.nick, stranger.nick, b.nick):
        wait_presence(owner.client, presence_of(b.room, nick, "unavailable"), 10,
                      f"{nick} out of the room", b.logs)


def test_three_irc_nicks_and_three_xmpp_occupants_see_every_line_once(bridged):
    b = bridged("both")
    owner = b.create_room()
    op = b.chanop("op")
    b.approve(op)
    irc = [op, b.make_irc("ia"), b.make_irc("ib")]
    for client in irc[1:]:
        client.join(b.channel)
    xmpp = [owner, b.occupant(), b.occupant()]
    for person in xmpp[1:]:
        person.join()
    # every IRC nick is an occupant, from its stable puppet JID
    for client in irc:
        owner.client and owner_wait_presence(owner, b.room, client.nick)

    for i, client in enumerate(irc):
        client.privmsg(b.channel, f"from irc {i}")
    for i, person in enumerate(xmpp):
        person.say(f"from xmpp {i}")
    for person in xmpp:
        for i, client in enumerate(irc):
            person.wait_line(client.nick, f"from irc {i}", logs=b.logs)
    for client in irc:
        for i, person in enumerate(xmpp):
            client.wait_for(relayed(person.nick, f"from xmpp {i}"), 30,
                            f"{person.nick}'s line", b.logs)

    # sync points: one more line each way, then count
    irc[0].privmsg(b.channel, "sync irc")
    xmpp[0].say("sync xmpp")
    for person in xmpp:
        person.wait_line(irc[0].nick, "sync irc", logs=b.logs)
    for client in irc:
        client.wait_for(relayed(xmpp[0].nick, "sync xmpp"), 30, "the sync line", b.logs)
    for person in xmpp:
        got = [m for m in messages(person.client)
               if m.get("type") == "groupchat" and (m.findtext("{jabber:client}body") or "")
               .startswith("from ")]
        bodies = sorted(m.findtext("{jabber:client}body") for m in got)
        assert bodies == sorted([f"from irc {i}" for i in range(3)] +
                                [f"from xmpp {i}" for i in range(3)]), bodies
    # one shared history: the room's own MAM (XEP-0313) holds the IRC lines
    reply = owner.client.iq_set(b.room, "<query xmlns='urn:xmpp:mam:2'/>")
    assert reply.get("type") == "result"
    archived = [m for m in owner.client.every_message
                if m.find(".//{urn:xmpp:mam:2}result") is not None]
    texts = [el.text for m in archived for el in m.iter("{jabber:client}body")]
    assert all(f"from irc {i}" in texts for i in range(3)), texts
    for me, client in enumerate(irc):
        lines = sorted(unbroken(l.text) for l in client.lines(
            lambda l: l.command == "PRIVMSG" and "from " in l.text))
        expected = sorted([f"<{p.nick}> from xmpp {i}" for i, p in enumerate(xmpp)] +
                          [f"from irc {i}" for i in range(3) if i != me])
        assert lines == expected, lines


def owner_wait_presence(owner, room, nick):
    from harness.ircgw import wait_presence
    return wait_presence(owner.client, presence_of(room, nick), 45, f"{nick}'s puppet")


def test_an_irc_nick_taken_in_the_room_joins_with_the_suffix(bridged):
    b = bridged("clash")
    owner = b.create_room()
    op = b.chanop("op")
    b.approve(op)
    taken = unique("same")
    xmpp_person = b.occupant(taken)
    xmpp_person.join()
    irc_person = b.make_irc(nick=taken)
    irc_person.join(b.channel)
    owner_wait_presence(owner, b.room, f"{taken}[irc]")
    irc_person.privmsg(b.channel, "hello from the other one")
    owner.wait_line(f"{taken}[irc]", "hello from the other one", logs=b.logs)


def test_corrections_replies_and_long_messages_from_xmpp_read_as_irc_does(bridged):
    b = bridged("edits")
    owner = b.create_room()
    op = b.chanop("op")
    b.approve(op)
    owner_wait_presence(owner, b.room, op.nick)

    first = owner.say("the meeting is on tuesday", msg_id="edit-1")
    op.wait_for(relayed(owner.nick, "the meeting is on tuesday"), 30, "the first line", b.logs)
    owner.say("the meeting is on thursday", extra="<replace xmlns='urn:xmpp:message-correct:0' "
                                               f"id='{first}'/>")
    fixed = op.wait_for(lambda l: l.command == "PRIVMSG" and "thursday" in l.text, 30,
                        "the correction line", b.logs)
    assert unbroken(fixed.text).startswith(f"<{owner.nick}> "), fixed.text
    assert "tuesday" in fixed.text or "corrected" in fixed.text, fixed.text

    op.privmsg(b.channel, "who brings the cake?")
    asked = owner.wait_line(op.nick, "who brings the cake?", logs=b.logs)
    quote = f"> {op.nick}: who brings the cake?\n"
    owner.say(quote + "I do", extra=(
        f"<reply xmlns='urn:xmpp:reply:0' to='{b.room}/{op.nick}' id='{asked.get('id')}'/>"
        "<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'>"
        f"<body start='0' end='{len(quote)}'/></fallback>"))
    op.wait_for(relayed(owner.nick, f"{op.nick}: I do"), 30, "the reply line", b.logs)

    owner.say("\n".join(f"line {i}" for i in range(6)))
    from harness.ircgw import wait_message
    wait_message(owner.client, lambda m: m.get("type") == "chat"
                 and m.get("from") == f"{b.room}/{b.nick}"
                 and "Not relayed" in (m.findtext("{jabber:client}body") or ""), 30,
                 "the refusal of a long message")
    owner.say("after the long one")
    op.wait_for(relayed(owner.nick, "after the long one"), 30, "the sync line", b.logs)
    assert not op.lines(lambda l: l.command == "PRIVMSG" and "line 0" in l.text)

