"""IRC error numerics become stanza errors on the stanza that caused them
(issue 8, item 7): a private message to a nick that is not there (401), a
line to a moderated channel (404), a topic change without ops (482), and
joins refused by the channel's modes (471, 473, 474, 475) each come back
to the XMPP user as an error with the stanza's id (a message) or as an
error presence from room/nick (a join, XEP-0045 §7.2), never as silence.

The real chain: slixmpp -> Prosody -> polygate -> polygate-purple (prpl-irc)
-> ngircd; bob is a raw IRC client who sets the channel modes.  Every wait
has a deadline.
"""

import pytest

from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, SERVER, gateway, gateway_options, in_a_room, irc_checker, irc_prosody, join_room,
    make_irc_client, make_irc_user, ngircd, ngircd_password, ptype, room_jid, send_message,
    unique)


def wait_error_for(user, msg_id, what):
    return user.wait_message(lambda m: m.get("type") == "error" and m.get("id") == msg_id,
                             30, what)


def set_mode(bob, channel, mode):
    bob.send(f"MODE {channel} {mode}")
    bob.wait_for(lambda l: l.command == "MODE" and l.target == channel, 20,
                 f"MODE {channel} {mode} echoed")


def test_a_private_message_to_a_missing_nick_is_item_not_found(make_irc_user):
    user = make_irc_user()
    # the message also brings the link up: it waits, then goes, then fails
    ghost = unique("ghost")
    msg_id = send_message(user.client, f"{ghost}%{SERVER}@{IRC}", "anyone there?")
    error = wait_error_for(user, msg_id, f"an error for the message to {ghost}")
    assert error_condition(error) == ("cancel", "item-not-found"), to_string(error)


def test_a_line_to_a_moderated_channel_is_forbidden(make_irc_user, make_irc_client):
    user, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    set_mode(bob, channel, "+m")
    msg_id = send_message(user.client, room, "may I speak?", mtype="groupchat")
    error = wait_error_for(user, msg_id, "an error for the line to the +m channel")
    assert error_condition(error) == ("auth", "forbidden"), to_string(error)
    assert not bob.lines(lambda l: l.command == "PRIVMSG" and l.text == "may I speak?")


def test_a_topic_change_without_ops_is_forbidden(make_irc_user, make_irc_client):
    user, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    set_mode(bob, channel, "+t")
    msg_id = send_message(user.client, room, subject="my topic now", mtype="groupchat")
    error = wait_error_for(user, msg_id, "an error for the topic change")
    assert error_condition(error) == ("auth", "forbidden"), to_string(error)


@pytest.mark.parametrize("mode, condition", [
    ("+i", ("auth", "registration-required")),
    ("+k sesame", ("auth", "not-authorized")),
    ("+l 1", ("cancel", "service-unavailable")),
    ("+b *!*@*", ("auth", "forbidden")),
], ids=["invite-only-473", "key-475", "full-471", "banned-474"])
def test_a_refused_join_is_an_error_presence_from_room_slash_nick(
        make_irc_user, make_irc_client, mode, condition):
    bob = make_irc_client("bob")
    channel = "#" + unique("r")
    bob.join(channel)
    set_mode(bob, channel, mode)
    user = make_irc_user()
    room = room_jid(channel)
    join_room(user.client, room, user.nick)
    error = user.wait_presence(
        lambda p: p.get("from") == f"{room}/{user.nick}" and ptype(p) == "error", 45,
        f"an error presence for the join to the {mode} channel")
    assert error_condition(error) == condition, to_string(error)
