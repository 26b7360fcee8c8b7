"""The end of a move (issue 11 §7): the "moved" phase sets the channel's
topic and tells each joiner where the room is; the read-only phase relays
XMPP to IRC only."""

import pytest

from harness.bridge import (  # noqa: F401 (fixtures)
    bridge_checker, bridge_configs, bridge_gateway, bridge_prosody, bridged, make_irc, ngircd,
    presence_of, relayed, run_command)
from harness.ircgw import consume_all, happens_within, messages, wait_presence

MOVED_TO = "xmpp:moved@conference.localhost?join"
WEB = "https://chat.example.org/#/moved"


@pytest.fixture(scope="module")
def bridge_names():
    return ("moved", "ro", "pause", "kept")


@pytest.fixture(scope="module")
def bridge_options():
    return {"moved": {"phase": "moved", "moved_to": MOVED_TO, "web_link": WEB},
            "ro": {"phase": "readonly"}}


def test_the_moved_phase_sets_the_topic_and_tells_joiners_where_the_room_is(bridged):
    b = bridged("moved")
    b.create_room()
    op = b.chanop("op")
    # ngircd makes channels without +t: anyone in it may set the topic
    b.approve(op)
    topic = op.wait_for(lambda l: l.is_("TOPIC", nick=b.nick), 30, "the bridge's topic",
                        b.logs)
    assert MOVED_TO in topic.text and WEB in topic.text, topic.text
    newcomer = b.make_irc("new")
    newcomer.join(b.channel)
    notice = newcomer.wait_for(lambda l: l.is_("NOTICE", nick=b.nick), 30,
                               "the notice to a joiner", b.logs)
    assert MOVED_TO in notice.text and WEB in notice.text, notice.text


def test_the_readonly_phase_relays_xmpp_to_irc_only(bridged):
    b = bridged("ro")
    owner = b.create_room()
    op = b.chanop("op")
    b.approve(op)
    wait_presence(owner.client, presence_of(b.room, b.nick), 45, "the relay", b.logs)
    owner.say("from the room")
    op.wait_for(relayed(owner.nick, "from the room"), 30, "the room's line on IRC", b.logs)
    op.privmsg(b.channel, "from irc, not relayed")
    assert not happens_within(
        lambda: any("not relayed" in (m.findtext("{jabber:client}body") or "")
                    for m in messages(owner.client)), 3), "read-only: IRC lines stay on IRC"


def test_an_admin_lists_pauses_and_resumes_a_bridge_with_adhoc_commands(bridged,
                                                                        bridge_checker):
    b = bridged("pause")
    owner = b.create_room()
    op = b.chanop("op")
    b.approve(op)
    wait_presence(owner.client, presence_of(b.room, op.nick), 45, "the op's puppet", b.logs)
    listing = run_command(bridge_checker, "bridges")
    assert f"pause: {b.channel}" in listing and f"approved by {op.nick}" in listing, listing
    assert "Bridge pause paused" in run_command(bridge_checker, "bridge-pause", "pause")
    op.privmsg(b.channel, "said while paused")
    owner.say("typed while paused")
    # fences: the bridge answers op's next line, and the relay occupant
    # answers the owner's ping (the room passes both on in order)
    op.privmsg(b.nick, "help")
    op.wait_for(lambda l: l.is_("PRIVMSG", nick=b.nick), 30, "the bridge's answer", b.logs)
    pong = owner.client.iq_get(f"{b.room}/{b.nick}", "<ping xmlns='urn:xmpp:ping'/>")
    assert pong.get("type") == "result"
    assert "resumed" in run_command(bridge_checker, "bridge-resume", "pause")
    op.privmsg(b.channel, "said after resume")
    owner.wait_line(op.nick, "said after resume", 30, b.logs)
    owner.say("typed after resume")
    op.wait_for(relayed(owner.nick, "typed after resume"), 30, "the relay again", b.logs)
    assert not [m for m in messages(owner.client)
                if "said while paused" in (m.findtext("{jabber:client}body") or "")]
    assert not op.lines(lambda l: "typed while paused" in l.text)


def test_an_approval_outlives_a_restart_of_the_gateway(bridged, bridge_gateway, bridge_checker):
    b = bridged("kept")
    owner = b.create_room()
    op = b.chanop("op")
    b.approve(op)
    wait_presence(owner.client, presence_of(b.room, op.nick), 45, "the op's puppet", b.logs)
    consume_all(owner.client)
    bridge_gateway.stop()
    op.wait_for(lambda l: l.is_("QUIT", nick=b.nick), 30, "the bridge's QUIT", b.logs)
    wait_presence(owner.client, presence_of(b.room, op.nick, "unavailable"), 30,
                  "the puppet's goodbye", b.logs)
    bridge_gateway.start(bridge_checker)
    op.wait_for(lambda l: l.is_("JOIN", nick=b.nick), 60, "the bridge back, unasked", b.logs)
    wait_presence(owner.client, presence_of(b.room, op.nick), 45, "the op's puppet again",
                  b.logs)
    approvals = op.lines(lambda l: l.is_("PRIVMSG", nick=b.nick) and l.text.startswith("Approved"))
    assert len(approvals) == 1, "one approval, kept in the bridges' store"
