"""IRC channels as XEP-0045 rooms: `#chan%127.0.0.1@irc.localhost/nick`.

Each test gets a fresh channel, a raw IRC client "bob" who joins it first
(so ngircd makes him chanop) and an XMPP user who joins through the gateway.
"Exactly once" is checked after a sync point (a later line from bob that the
user must see), never after a sleep.
"""

from harness.ircgw import (  # noqa: F401 (fixtures)
    NS_DISCO_INFO, disco_info_identities, gateway, gateway_options, groupchat_from,
    irc_checker, irc_prosody, is_from, join_room, leave_room, make_irc_client, make_irc_user,
    messages, muc_item, ngircd, ngircd_password, occupant_presence, ptype, room_jid,
    send_message, statuses, stream, subject, unique, bare, in_a_room, sync)


# -- joining -------------------------------------------------------------------

def test_joining_lists_the_occupants_then_self_presence_110_then_the_subject(
        make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    channel = "#" + unique("c")
    bob.join(channel)
    bob.topic(channel, "Welcome to the test channel")
    bob.wait_for(lambda l: l.is_("TOPIC", target=channel), 20, "bob's TOPIC echo")
    alice = make_irc_user()
    room = room_jid(channel)
    join_room(alice.client, room, alice.nick)
    alice.wait_message(lambda m: bare(m.get("from")) == room and subject(m) is not None,
                       45, "the room subject")

    events = stream(alice.client, lambda kind, e: bare(e.get("from")) == room)
    first_subject = next(i for i, (kind, e) in enumerate(events)
                         if kind == "message" and subject(e) is not None)
    before = events[:first_subject]
    assert before and all(kind == "presence" for kind, _ in before), \
        f"only presences may come before the subject: {[k for k, _ in events]}"
    last = before[-1][1]
    assert last.get("from") == f"{room}/{alice.nick}", "self-presence must be the last"
    assert 110 in statuses(last)
    assert ptype(last) == "available"
    others = [e for _, e in before[:-1]]
    bobs = [e for e in others if e.get("from") == f"{room}/{bob.nick}"]
    assert len(bobs) == 1, f"bob must be listed once among {[e.get('from') for e in others]}"
    assert all(110 not in statuses(e) for e in others)
    assert muc_item(bobs[0]).get("role") == "moderator", "bob is chanop: a moderator"
    assert subject(events[first_subject][1]) == "Welcome to the test channel"


def test_the_user_appears_on_irc_as_a_channel_member(make_irc_user, make_irc_client):
    alice, bob, channel, _room = in_a_room(make_irc_user, make_irc_client)
    bob.send(f"NAMES {channel}")
    names = bob.wait_for(lambda l: l.command == "353" and len(l.params) > 2
                         and l.params[2].lower() == channel.lower(), 20, "the NAMES reply")
    assert alice.nick.lower() in [n.lstrip("@+").lower() for n in names.text.split()]


def test_disco_info_on_the_room_says_conference(make_irc_user, make_irc_client):
    alice, _bob, _channel, room = in_a_room(make_irc_user, make_irc_client)
    reply = alice.client.iq_get(room, f"<query xmlns='{NS_DISCO_INFO}'/>")
    assert reply.get("type") == "result"
    identities = disco_info_identities(reply)
    assert any(category == "conference" for category, _ in identities), identities
    features = [f.get("var") for f in
                reply.find(f"{{{NS_DISCO_INFO}}}query").findall(f"{{{NS_DISCO_INFO}}}feature")]
    assert "http://jabber.org/protocol/muc" in features


# -- messages ------------------------------------------------------------------

def test_a_groupchat_message_reaches_irc_and_is_reflected_once_with_its_id(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    msg_id = alice.send(room, "hello channel", mtype="groupchat")
    bob.wait_for_privmsg("hello channel", sender=alice.nick, target=channel, timeout=30,
                         log_paths=alice.logs)
    echo = alice.wait_message(groupchat_from(f"{room}/{alice.nick}", "hello channel"), 30,
                              "the reflection of our message")
    assert echo.get("id") == msg_id
    sync(alice, bob, channel, room)
    assert len(messages(alice.client, groupchat_from(f"{room}/{alice.nick}",
                                                     "hello channel"))) == 1
    assert len(bob.lines(lambda l: l.is_("PRIVMSG", nick=alice.nick,
                                         text="hello channel"))) == 1


def test_an_irc_message_arrives_as_groupchat_from_room_slash_nick(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    bob.privmsg(channel, "hello from irc <&>")
    message = alice.wait_message(groupchat_from(f"{room}/{bob.nick}", "hello from irc <&>"),
                                 30, "bob's channel line")
    assert message.get("type") == "groupchat"


def test_a_private_message_to_an_occupant_reaches_irc_as_a_privmsg(
        make_irc_user, make_irc_client):
    alice, bob, _channel, room = in_a_room(make_irc_user, make_irc_client)
    alice.send(f"{room}/{bob.nick}", "psst, only for you", mtype="chat")
    bob.wait_for_privmsg("psst, only for you", sender=alice.nick, target=bob.nick,
                         timeout=30, log_paths=alice.logs)


# -- occupants -----------------------------------------------------------------

def test_an_irc_nick_change_is_unavailable_303_with_the_new_nick_then_available(
        make_irc_user, make_irc_client):
    alice, bob, _channel, room = in_a_room(make_irc_user, make_irc_client)
    old = bob.nick
    new = unique("robert")
    bob.change_nick(new)
    gone = alice.wait_presence(occupant_presence(f"{room}/{old}", "unavailable", (303,)), 30,
                               "the old nick's 303")
    assert muc_item(gone).get("nick") == new
    back = alice.wait_presence(occupant_presence(f"{room}/{new}", "available"), 30,
                               "the new nick's presence")
    assert 110 not in statuses(back)
    events = [e for kind, e in stream(alice.client) if kind == "presence"]
    first_gone = next(i for i, e in enumerate(events)
                      if occupant_presence(f"{room}/{old}", "unavailable", (303,))(e))
    first_back = next(i for i, e in enumerate(events)
                      if occupant_presence(f"{room}/{new}", "available")(e))
    assert first_gone < first_back, "303 unavailable must come before the new nick"


def test_an_irc_part_makes_the_occupant_unavailable(make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    bob.part(channel, "see you")
    presence = alice.wait_presence(occupant_presence(f"{room}/{bob.nick}", "unavailable"), 30,
                                   "bob's unavailable after PART")
    assert 110 not in statuses(presence)


def test_a_kick_by_the_chanop_is_unavailable_307_and_110_for_the_user(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    bob.kick(channel, alice.nick, "behave")
    bob.wait_for(lambda l: l.is_("KICK", nick=bob.nick, target=channel), 20, "the KICK echo")
    presence = alice.wait_presence(
        lambda p: p.get("from") == f"{room}/{alice.nick}" and ptype(p) == "unavailable", 30,
        "our own unavailable after the KICK")
    assert {307, 110} <= statuses(presence), \
        f"kicked self-presence must carry 307 and 110, got {sorted(statuses(presence))}"


def test_a_topic_change_on_irc_arrives_as_the_subject(make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    bob.topic(channel, "a brand new topic")
    message = alice.wait_message(
        lambda m: bare(m.get("from")) == room and subject(m) == "a brand new topic", 30,
        "the new subject")
    assert message.get("type") == "groupchat"


def test_a_subject_set_by_the_user_becomes_the_irc_topic(make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    send_message(alice.client, room, mtype="groupchat", subject="set from xmpp")
    bob.wait_for(lambda l: l.is_("TOPIC", nick=alice.nick, target=channel,
                                 text="set from xmpp"), 30, "the TOPIC from the user")


def test_leaving_gives_self_unavailable_110_and_irc_sees_the_part(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    leave_room(alice.client, room, alice.nick)
    presence = alice.wait_presence(
        lambda p: p.get("from") == f"{room}/{alice.nick}" and ptype(p) == "unavailable", 30,
        "our own unavailable after leaving")
    assert 110 in statuses(presence)
    bob.wait_for(lambda l: l.is_("PART", nick=alice.nick, target=channel), 30,
                 "the user's PART", alice.logs)


# -- two XMPP users ------------------------------------------------------------

def test_two_xmpp_users_in_one_channel_see_each_others_messages_once(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    carol = make_irc_user()
    carol.join(channel)
    bob.wait_for(lambda l: l.is_("JOIN", nick=carol.nick), 20, "carol's JOIN")
    alice.wait_presence(occupant_presence(f"{room}/{carol.nick}", "available"), 30,
                        "carol's arrival, seen by alice")

    alice.send(room, "from alice", mtype="groupchat")
    carol.send(room, "from carol", mtype="groupchat")
    carol.wait_message(groupchat_from(f"{room}/{alice.nick}", "from alice"), 30,
                       "alice's line at carol")
    alice.wait_message(groupchat_from(f"{room}/{carol.nick}", "from carol"), 30,
                       "carol's line at alice")
    sync(alice, bob, channel, room)
    sync(carol, bob, channel, room)
    for user in (alice, carol):
        for sender in (alice, carol):
            text = f"from {'alice' if sender is alice else 'carol'}"
            got = messages(user.client, groupchat_from(f"{room}/{sender.nick}", text))
            assert len(got) == 1, f"{user.nick} got {text!r} {len(got)} times"
    for text in ("from alice", "from carol"):
        assert len(bob.lines(lambda l: l.is_("PRIVMSG", text=text))) == 1
