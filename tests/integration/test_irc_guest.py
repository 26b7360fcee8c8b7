"""IRC without registering first (issue 10, item 1), as with biboumi.

A user of an allowed domain who never registered joins
`#chan%server@irc.localhost/nick`: the MUC nick is the IRC nick.  A 1:1
message works too, as the user's JID local part made an IRC nick.  A nick
the network changes is told with status 210 (XEP-0045 §7.2.9).  The
server policy (irc_allow/irc_deny, loopback) holds for them as for anyone.
"""

import re

from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    contact_jid, gateway, gateway_options, groupchat_from, irc_checker, irc_prosody,
    join_room, make_irc_client, make_irc_user, ngircd, ngircd_password, room_jid, statuses,
    unique)


def _guest(make_irc_user):
    return make_irc_user(transports=())


def test_an_unregistered_user_joins_a_room_as_the_muc_nick(make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    channel = "#" + unique("g")
    bob.join(channel)
    guest = _guest(make_irc_user)
    nick = unique("guest")
    room = room_jid(channel)
    join_room(guest.client, room, nick)
    own = guest.wait_presence(lambda p: p.get("from") == f"{room}/{nick}"
                              and 110 in statuses(p), 45, "the guest's self-presence")
    assert 210 not in statuses(own)
    bob.wait_for(lambda l: l.is_("JOIN", nick=nick), 30, "the guest's JOIN", guest.logs)
    guest.send(room, "hello as a guest", mtype="groupchat")
    bob.wait_for_privmsg("hello as a guest", sender=nick, target=channel, timeout=30)
    bob.privmsg(channel, "welcome")
    guest.wait_message(groupchat_from(f"{room}/{bob.nick}", "welcome"), 30, "bob's line")


def test_a_taken_nick_is_reported_with_status_210_and_the_nick_given(
        make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    channel = "#" + unique("g")
    bob.join(channel)
    guest = _guest(make_irc_user)
    room = room_jid(channel)
    join_room(guest.client, room, bob.nick)
    own = guest.wait_presence(lambda p: (p.get("from") or "").startswith(room + "/")
                              and 110 in statuses(p), 45, "the guest's self-presence")
    assert 210 in statuses(own), to_string(own)
    assert own.get("from") != f"{room}/{bob.nick}"


def test_an_unregistered_user_chats_one_to_one_as_the_jid_local_part(
        make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    guest = _guest(make_irc_user)
    guest.send(contact_jid(bob.nick), "hi from a guest")
    line = bob.wait_for(lambda l: l.is_("PRIVMSG", target=bob.nick, text="hi from a guest"),
                        45, "the guest's message", guest.logs)
    local = guest.jid.split("@", 1)[0]
    assert line.nick.lower() == re.sub(r"[^A-Za-z0-9_\-\[\]\\`^{|}]", "_", local)[:16].lower()


def test_the_server_policy_holds_for_unregistered_users(make_irc_user):
    guest = _guest(make_irc_user)
    room = f"#x%10.1.2.3@irc.localhost"
    join_room(guest.client, room, "someone")
    refused = guest.wait_presence(lambda p: (p.get("from") or "").startswith(room)
                                  and p.get("type") == "error", 30, "the refusal")
    assert error_condition(refused)[1] == "not-allowed", to_string(refused)
