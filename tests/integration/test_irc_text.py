"""Text between XMPP and IRC: /me and CTCP ACTION, NOTICE, long messages and
pastes (issue 10, item 7).

- XEP-0245: a body that starts with "/me " is an action; on IRC that is a
  CTCP ACTION (\\x01ACTION text\\x01), both ways, in rooms and in 1:1 chats.
- A NOTICE arrives as the same type as a PRIVMSG from the same place
  (groupchat from room/nick, chat from nick%server), its text prefixed with
  "(notice) " (backends/purple/pg-purple-lines.c says why).
- A long message is cut at UTF-8 characters into lines that a server can
  relay whole (512 bytes with its prefix), a paste goes as one line per
  line, in order; a paste past max_lines_per_message (20 by default) is
  refused with policy-violation and nothing of it reaches IRC.
"""

from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, chat_from, contact_jid, gateway, gateway_options, groupchat_from, in_a_room,
    irc_checker, irc_prosody, make_irc_client, make_irc_user, messages, ngircd,
    ngircd_password, send_message, sync, unique)

ACTION = "\x01ACTION "


def _pieces(bob, nick, target, text, logs, joiner=" "):
    """alice's PRIVMSGs to target until their texts, joined, are as long as text."""
    got = []
    while len(joiner.join(l.text for l in got)) < len(text):
        got.append(bob.wait_for(lambda l: l.is_("PRIVMSG", nick=nick, target=target), 30,
                                f"piece {len(got) + 1} of the long message", logs))
    return got


def _privmsgs(bob, nick, target, count, what, logs):
    """The next count PRIVMSGs from nick to target, in the order they came."""
    return [bob.wait_for(lambda l: l.is_("PRIVMSG", nick=nick, target=target), 30,
                         f"{what} ({i + 1} of {count})", logs) for i in range(count)]


# -- /me -------------------------------------------------------------------------

def test_slash_me_in_a_room_becomes_a_ctcp_action_and_is_reflected_as_slash_me(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    msg_id = alice.send(room, "/me waves at everyone", mtype="groupchat")
    line = bob.wait_for(lambda l: l.is_("PRIVMSG", nick=alice.nick, target=channel), 30,
                        "the action", alice.logs)
    assert line.text == ACTION + "waves at everyone\x01", line
    echo = alice.wait_message(groupchat_from(f"{room}/{alice.nick}", "/me waves at everyone"),
                              30, "the reflection of the action")
    assert echo.get("id") == msg_id


def test_a_ctcp_action_in_a_channel_arrives_as_slash_me(make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    bob.privmsg(channel, ACTION + "dances <&>\x01")
    alice.wait_message(groupchat_from(f"{room}/{bob.nick}", "/me dances <&>"), 30,
                       "bob's action as /me")


def test_slash_me_in_a_chat_is_an_action_both_ways(make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    alice = make_irc_user()
    alice.send(contact_jid(bob.nick), "/me nods")
    line = bob.wait_for(lambda l: l.is_("PRIVMSG", nick=alice.nick, target=bob.nick), 45,
                        "the private action", alice.logs)
    assert line.text == ACTION + "nods\x01", line
    bob.privmsg(alice.nick, ACTION + "nods back\x01")
    alice.wait_message(chat_from(contact_jid(bob.nick), "/me nods back"), 30,
                       "bob's private action as /me")


def test_slash_me_in_a_private_message_to_an_occupant_is_an_action(
        make_irc_user, make_irc_client):
    alice, bob, _channel, room = in_a_room(make_irc_user, make_irc_client)
    alice.send(f"{room}/{bob.nick}", "/me pokes you")
    line = bob.wait_for(lambda l: l.is_("PRIVMSG", nick=alice.nick, target=bob.nick), 30,
                        "the private action", alice.logs)
    assert line.text == ACTION + "pokes you\x01", line


# -- NOTICE -------------------------------------------------------------------------

def test_a_notice_arrives_as_the_type_a_privmsg_from_there_has(make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    bob.send(f"NOTICE {channel} :to the channel")
    alice.wait_message(groupchat_from(f"{room}/{bob.nick}", "(notice) to the channel"), 30,
                       "the channel notice, as groupchat")
    bob.send(f"NOTICE {alice.nick} :to you")
    alice.wait_message(chat_from(contact_jid(bob.nick), "(notice) to you"), 30,
                       "the private notice, as chat")


# -- long messages and pastes -------------------------------------------------------

def test_a_2000_character_message_reaches_irc_whole_in_lines_a_server_relays(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    words = [f"w\u00f6rd{i}" for i in range(400)]
    text = " ".join(words)[:2000]
    assert len(text) == 2000
    msg_id = alice.send(room, text, mtype="groupchat")
    echo = alice.wait_message(groupchat_from(f"{room}/{alice.nick}", text), 60,
                              "the reflection of the long message")
    assert echo.get("id") == msg_id
    lines = _pieces(bob, alice.nick, channel, text, alice.logs)
    assert len(lines) > 1, "2000 characters cannot be one IRC line"
    # cut between words, not inside one: the space where a line ends is the
    # line break (a reader sees whole words on each line)
    assert " ".join(l.text for l in lines) == text, [l.text[-12:] for l in lines]
    for line in lines:
        assert len(line.raw) + 2 <= 512, f"a relayed line of {len(line.raw) + 2} bytes"


def test_a_long_line_without_spaces_is_cut_between_utf8_characters(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    text = "\u65e5\u672c\u8a9e" * 400 + "\u00e9"   # 3601 bytes, no space
    alice.send(room, text, mtype="groupchat")
    alice.wait_message(groupchat_from(f"{room}/{alice.nick}", text), 60, "the reflection")
    lines = _pieces(bob, alice.nick, channel, text, alice.logs, joiner="")
    for line in lines:
        line.raw.decode("utf-8")  # a cut inside a character would not decode
        assert len(line.raw) + 2 <= 512
    assert "".join(l.text for l in lines) == text


def test_a_20_line_paste_arrives_as_20_lines_in_order_and_is_reflected_once(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    paste = [f"line {i} of the paste" for i in range(1, 21)]
    msg_id = alice.send(room, "\n".join(paste), mtype="groupchat")
    got = _privmsgs(bob, alice.nick, channel, 20, "the paste", alice.logs)
    assert [l.text for l in got] == paste
    echo = alice.wait_message(groupchat_from(f"{room}/{alice.nick}", "\n".join(paste)), 30,
                              "the reflection of the paste")
    assert echo.get("id") == msg_id
    sync(alice, bob, channel, room)
    assert len(messages(alice.client, groupchat_from(f"{room}/{alice.nick}"))) == 1


def test_a_paste_past_max_lines_per_message_is_refused_and_nothing_of_it_sent(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    paste = "\n".join(f"too long {i}" for i in range(1, 22))
    msg_id = send_message(alice.client, room, paste, mtype="groupchat")
    refused = alice.wait_message(lambda m: m.get("id") == msg_id and m.get("type") == "error",
                                 30, "the refusal of the 21-line paste")
    assert error_condition(refused)[1] == "policy-violation", to_string(refused)
    assert "max_lines_per_message" in to_string(refused)
    # alice's lines reach bob in order: had the paste gone, it would be first
    alice.send(room, "after the paste", mtype="groupchat")
    first = bob.wait_for(lambda l: l.is_("PRIVMSG", nick=alice.nick), 30,
                         "alice's next line", alice.logs)
    assert first.text == "after the paste", "no line of a refused paste may reach IRC"
