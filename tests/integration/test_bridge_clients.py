"""Per-occupant IRC connections of a bridge (issue 11 §3, irc_clients =
per-occupant): each XMPP occupant who speaks is on IRC under their own nick,
up to a cap per network, and parks when idle without leaving the room.

The cap counts every bridge's connections to one IRC server, and all the
bridges of this module share ngircd: the cap test runs first, and every
test's people leave the room when it ends (which quits their connections).
"""

import pytest

from harness.bridge import (  # noqa: F401 (fixtures)
    bridge_checker, bridge_configs, bridge_gateway, bridge_options, bridge_prosody, bridged,
    make_irc, ngircd, presence_of, relayed, unbroken)
from harness.ircgw import (happens_within, join_room, leave_room, messages, presences, statuses,
                           unique, wait_presence)

PER_OCCUPANT = {"irc_clients": "per-occupant"}


@pytest.fixture(scope="module")
def bridge_names():
    return ("cap", "clash", "leave", "idle", "rename")


@pytest.fixture(scope="module")
def bridge_options():
    return {"cap": dict(PER_OCCUPANT, max_occupant_clients=2),
            "clash": dict(PER_OCCUPANT),
            "leave": dict(PER_OCCUPANT),
            "idle": dict(PER_OCCUPANT, occupant_idle="10s"),
            "rename": dict(PER_OCCUPANT)}


def said_by(nick, channel, text):
    """IRC predicate: @nick's own plain line @text in @channel."""
    def match(line):
        return line.is_("PRIVMSG", nick=nick, target=channel) and line.text == text
    return match


def in_channel(b, op):
    """A bridge approved by chanop @op, with the bridge's relay in the room."""
    b.approve(op)
    return op


def test_occupants_speak_from_their_own_nicks_up_to_the_cap_then_through_the_relay(bridged):
    b = bridged("cap")
    owner = b.create_room()
    op = in_channel(b, b.chanop("op"))
    people = [b.occupant(), b.occupant(), b.occupant()]
    for person in people:
        person.join()
    for i, person in enumerate(people[:2]):
        person.say(f"own line {i}")
        op.wait_for(lambda l: l.is_("JOIN", nick=person.nick), 60,
                    f"{person.nick}'s own connection in the channel", b.logs)
        op.wait_for(said_by(person.nick, b.channel, f"own line {i}"), 30,
                    f"{person.nick}'s plain line", b.logs)
    # the cap (2) is reached: the third person speaks through the relay
    people[2].say("relayed line")
    op.wait_for(relayed(people[2].nick, "relayed line"), 30, "the relay's line", b.logs)
    assert not op.lines(lambda l: l.is_("JOIN", nick=people[2].nick))

    # no echo: the connections' nicks never become puppets, and each line
    # is in the room once
    people[0].say("sync")
    op.wait_for(said_by(people[0].nick, b.channel, "sync"), 30, "the sync line", b.logs)
    op.privmsg(b.channel, "sync from irc")
    owner.wait_line(op.nick, "sync from irc", logs=b.logs)
    for person in people[:2]:
        assert not any(p.get("from", "").startswith(f"{b.room}/{person.nick}[")
                       for p in presences(owner.client)), "a connection became a puppet"
    bodies = [m.findtext("{jabber:client}body") for m in messages(owner.client)
              if m.get("type") == "groupchat"]
    for i in range(2):
        assert bodies.count(f"own line {i}") == 1, bodies
    assert bodies.count("relayed line") == 1, bodies
    # and nobody on IRC got the lines from the relay too
    assert not op.lines(lambda l: l.command == "PRIVMSG" and "own line" in l.text
                        and l.nick.lower() == b.nick.lower())


def test_an_occupant_whose_nick_is_taken_on_irc_gets_the_suffix(bridged):
    b = bridged("clash")
    owner = b.create_room()
    op = in_channel(b, b.chanop("op"))
    taken = unique("same")
    xmpp_person = b.occupant(taken)
    xmpp_person.join()
    irc_person = b.make_irc(nick=taken)
    irc_person.join(b.channel)
    from harness.ircgw import wait_presence
    wait_presence(owner.client, presence_of(b.room, f"{taken}[irc]"), 45, "the IRC one's puppet")
    xmpp_person.say("which one am I")
    line = op.wait_for(lambda l: l.command == "PRIVMSG" and l.text == "which one am I", 60,
                       "the occupant's line", b.logs)
    assert line.nick == f"{taken}[x]", line
    assert irc_person.nick == taken


def test_leaving_the_room_quits_the_occupants_connection(bridged):
    b = bridged("leave")
    owner = b.create_room()
    op = in_channel(b, b.chanop("op"))
    person = b.occupant()
    person.join()
    person.say("hello, then bye")
    op.wait_for(said_by(person.nick, b.channel, "hello, then bye"), 60, "the line", b.logs)
    leave_room(person.client, b.room, person.nick)
    quit_line = op.wait_for(lambda l: l.is_("QUIT", nick=person.nick), 30,
                            "the connection's QUIT", b.logs)
    assert "Left the XMPP room" in quit_line.text, quit_line
    # its nick never comes back as a puppet
    assert not happens_within(lambda: any(p.get("from", "").startswith(
        f"{b.room}/{person.nick}[") for p in presences(owner.client)), 3)


def test_an_idle_connection_parks_without_the_person_leaving_the_room(bridged):
    b = bridged("idle")
    owner = b.create_room()
    op = in_channel(b, b.chanop("op"))
    person = b.occupant()
    person.join()
    person.say("before the nap")
    op.wait_for(said_by(person.nick, b.channel, "before the nap"), 60, "the first line",
                b.logs)
    parked = op.wait_for(lambda l: l.is_("QUIT", nick=person.nick), 40,
                         "the idle connection's QUIT (occupant_idle = 10s)", b.logs)
    assert "Parked" in parked.text and b.room in parked.text, parked
    # the room never saw the person go
    assert not any(p.get("from") == f"{b.room}/{person.nick}"
                   and p.get("type") == "unavailable" for p in presences(owner.client))
    person.say("after the nap")
    op.wait_for(lambda l: l.is_("JOIN", nick=person.nick), 60, "the connection back",
                b.logs)
    op.wait_for(said_by(person.nick, b.channel, "after the nap"), 30,
                "the line that woke it", b.logs)
    owner.wait_line(person.nick, "after the nap", logs=b.logs)
    assert not op.lines(relayed(person.nick, "after the nap")), "said once, not relayed too"


def test_a_nick_change_in_the_room_is_a_nick_change_on_irc(bridged):
    b = bridged("rename")
    owner = b.create_room()
    op = in_channel(b, b.chanop("op"))
    person = b.occupant()
    person.join()
    person.say("under my first name")
    old = person.nick
    op.wait_for(said_by(old, b.channel, "under my first name"), 60, "the first line", b.logs)
    new = unique("renamed")
    join_room(person.client, b.room, new)  # XEP-0045 §7.6: presence to the new nick
    wait_presence(person.client, lambda p: p.get("from") == f"{b.room}/{new}"
                  and 110 in statuses(p), 30, "the new nick in the room", b.logs)
    person.nick = new
    renamed = op.wait_for(lambda l: l.is_("NICK", nick=old), 30, "the NICK on IRC", b.logs)
    assert renamed.text == new, renamed
    person.say("under my second name")
    op.wait_for(said_by(new, b.channel, "under my second name"), 30, "the line after", b.logs)
    owner.wait_line(new, "under my second name", logs=b.logs)
    # the new nick is not taken for someone of IRC's
    assert not any(p.get("from", "").startswith(f"{b.room}/{new}[")
                   for p in presences(owner.client))
    assert not op.lines(relayed(new, "under my second name"))
    assert not op.lines(lambda l: l.is_("QUIT", nick=old) or l.is_("QUIT", nick=new))
