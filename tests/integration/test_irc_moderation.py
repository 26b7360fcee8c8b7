"""Modes, moderation, invites and self-ping in IRC rooms (issue 10, items 5
and 9).

- MODE +o/-o/+v after the join: the occupant's presence again, with the
  role (and affiliation) the new flags give; the user's own carries 110.
- A moderator's muc#admin: role=none is a KICK (reason kept),
  affiliation=outcast a ban (MODE +b *!*@host when the gateway knows the
  occupant's host, and a KICK), the outcast list is the channel's ban list,
  affiliation=none on an outcast lifts the ban (MODE -b, the same mask); a
  user who is no chanop gets forbidden (482).
- Invites: a XEP-0045 mediated invite and a XEP-0249 direct invite become
  INVITE; an INVITE to the user becomes a mediated invite from the room.
- XEP-0410 self-ping: result when joined, not-acceptable when not.
"""

from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    NS_MUC_USER, contact_jid, gateway, gateway_options, in_a_room, irc_checker, irc_prosody,
    make_irc_client, make_irc_user, muc_item, ngircd, ngircd_password, occupant_presence,
    room_jid, statuses, unique)

NS_ADMIN = "http://jabber.org/protocol/muc#admin"
NS_PING = "urn:xmpp:ping"


def _role(presence):
    item = muc_item(presence)
    return item.get("role"), item.get("affiliation")


def _op(alice, bob, channel, room):
    """bob makes alice chanop; wait until her client knows."""
    bob.send(f"MODE {channel} +o {alice.nick}")
    presence = alice.wait_presence(
        lambda p: p.get("from") == f"{room}/{alice.nick}"
        and _role(p)[0] == "moderator", 30, "alice's own presence as moderator")
    return presence


def _admin_set(alice, room, item):
    return alice.client.iq_set(room, f"<query xmlns='{NS_ADMIN}'>{item}</query>")


# -- modes ----------------------------------------------------------------------------

def test_mode_plus_o_and_minus_o_change_the_users_role_with_110(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    presence = _op(alice, bob, channel, room)
    assert 110 in statuses(presence)
    assert _role(presence) == ("moderator", "admin")
    bob.send(f"MODE {channel} -o {alice.nick}")
    presence = alice.wait_presence(
        lambda p: p.get("from") == f"{room}/{alice.nick}"
        and _role(p)[0] == "participant", 30, "alice back to participant")
    assert 110 in statuses(presence)


def test_mode_plus_v_on_another_occupant_is_seen_as_member(make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    carol = make_irc_client("carol")
    carol.join(channel)
    alice.wait_presence(occupant_presence(f"{room}/{carol.nick}"), 30, "carol's arrival")
    bob.send(f"MODE {channel} +v {carol.nick}")
    presence = alice.wait_presence(
        lambda p: p.get("from") == f"{room}/{carol.nick}" and _role(p)[1] == "member", 30,
        "carol voiced")
    assert 110 not in statuses(presence)
    assert (presence.get("type") or "available") == "available"


# -- kick and ban ---------------------------------------------------------------------

def test_a_moderator_kicks_from_xmpp_with_the_reason(make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    carol = make_irc_client("carol")
    carol.join(channel)
    alice.wait_presence(occupant_presence(f"{room}/{carol.nick}"), 30, "carol's arrival")
    _op(alice, bob, channel, room)
    reply = _admin_set(alice, room,
                       f"<item nick='{carol.nick}' role='none'><reason>spam</reason></item>")
    assert reply.get("type") == "result", to_string(reply)
    kick = carol.wait_for(lambda l: l.is_("KICK", nick=alice.nick, target=channel), 30,
                          "the KICK", alice.logs)
    assert kick.params[1].lower() == carol.nick.lower() and kick.text == "spam"
    gone = alice.wait_presence(occupant_presence(f"{room}/{carol.nick}", "unavailable", (307,)),
                               30, "carol's 307")
    assert 110 not in statuses(gone)


def test_a_kick_by_a_user_who_is_no_chanop_is_forbidden(make_irc_user, make_irc_client):
    alice, bob, _channel, room = in_a_room(make_irc_user, make_irc_client)
    reply = _admin_set(alice, room, f"<item nick='{bob.nick}' role='none'/>")
    assert reply.get("type") == "error", to_string(reply)
    assert error_condition(reply)[1] == "forbidden", to_string(reply)


def _carol_in_the_room(make_irc_user, make_irc_client):
    """alice (chanop, XMPP), bob and carol (IRC) in one channel; carol's host
    as bob saw it on her JOIN."""
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    carol = make_irc_client("carol")
    carol.join(channel)
    joined = bob.wait_for(lambda l: l.is_("JOIN", nick=carol.nick), 30, "carol's JOIN")
    host = joined.prefix.rsplit("@", 1)[1]
    alice.wait_presence(occupant_presence(f"{room}/{carol.nick}"), 30, "carol's arrival")
    _op(alice, bob, channel, room)
    return alice, bob, carol, channel, room, host


def _outcasts(alice, room):
    listed = alice.client.iq_get(room, f"<query xmlns='{NS_ADMIN}'>"
                                       "<item affiliation='outcast'/></query>")
    assert listed.get("type") == "result", to_string(listed)
    return [i for i in listed.find(f"{{{NS_ADMIN}}}query").findall(f"{{{NS_ADMIN}}}item")
            if i.get("affiliation") == "outcast"]


def test_a_ban_from_xmpp_sets_the_host_mask_kicks_and_lists_it_as_outcast(
        make_irc_user, make_irc_client):
    alice, bob, carol, channel, room, host = _carol_in_the_room(make_irc_user,
                                                                make_irc_client)
    reply = _admin_set(alice, room, f"<item jid='{contact_jid(carol.nick)}' "
                                    f"affiliation='outcast'><reason>bye</reason></item>")
    assert reply.get("type") == "result", to_string(reply)
    mode = bob.wait_for(lambda l: l.is_("MODE", nick=alice.nick, target=channel), 30,
                        "the MODE +b", alice.logs)
    # the host, not the nick: a banned user cannot come back under another nick
    assert mode.params[1:3] == ["+b", f"*!*@{host}"], mode
    carol.wait_for(lambda l: l.is_("KICK", nick=alice.nick, target=channel), 30,
                   "the KICK after the ban")
    alice.wait_presence(occupant_presence(f"{room}/{carol.nick}", "unavailable", (301,)), 30,
                        "carol's 301 (XEP-0045 §9.1)")
    items = _outcasts(alice, room)
    assert any(f"@{host}".lower() in (i.get("jid") or "").replace("\\40", "@").lower()
               for i in items), items


def test_affiliation_none_on_an_outcast_lifts_the_ban_it_set(make_irc_user, make_irc_client):
    alice, bob, carol, channel, room, host = _carol_in_the_room(make_irc_user,
                                                                make_irc_client)
    reply = _admin_set(alice, room, f"<item nick='{carol.nick}' affiliation='outcast'/>")
    assert reply.get("type") == "result", to_string(reply)
    bob.wait_for(lambda l: l.is_("MODE", nick=alice.nick, target=channel)
                 and l.params[1] == "+b", 30, "the MODE +b", alice.logs)
    # by nick: the gateway lifts the mask it set for that nick
    reply = _admin_set(alice, room, f"<item nick='{carol.nick}' affiliation='none'/>")
    assert reply.get("type") == "result", to_string(reply)
    mode = bob.wait_for(lambda l: l.is_("MODE", nick=alice.nick, target=channel)
                        and l.params[1] == "-b", 30, "the MODE -b", alice.logs)
    assert mode.params[2] == f"*!*@{host}", mode
    assert _outcasts(alice, room) == []
    carol.join(channel)  # not banned any more: 366, not 474


def test_affiliation_none_on_a_listed_outcast_jid_lifts_that_mask(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    _op(alice, bob, channel, room)
    bob.send(f"MODE {channel} +b troll!*@*.example")
    bob.wait_for(lambda l: l.is_("MODE", nick=bob.nick, target=channel), 30, "bob's ban")
    (item,) = _outcasts(alice, room)
    reply = _admin_set(alice, room, f"<item jid='{item.get('jid')}' affiliation='none'/>")
    assert reply.get("type") == "result", to_string(reply)
    mode = bob.wait_for(lambda l: l.is_("MODE", nick=alice.nick, target=channel), 30,
                        "the MODE -b", alice.logs)
    assert mode.params[1:3] == ["-b", "troll!*@*.example"], mode
    assert _outcasts(alice, room) == []


def test_affiliation_none_on_a_voiced_member_devoices_them(make_irc_user, make_irc_client):
    """XEP-0045 §9.4: affiliation none on a member revokes the membership;
    on IRC a member is a voiced occupant."""
    alice, bob, carol, channel, room, _host = _carol_in_the_room(make_irc_user,
                                                                 make_irc_client)
    bob.send(f"MODE {channel} +v {carol.nick}")
    alice.wait_presence(lambda p: p.get("from") == f"{room}/{carol.nick}"
                        and _role(p)[1] == "member", 30, "carol voiced")
    reply = _admin_set(alice, room, f"<item nick='{carol.nick}' affiliation='none'/>")
    assert reply.get("type") == "result", to_string(reply)
    mode = bob.wait_for(lambda l: l.is_("MODE", nick=alice.nick, target=channel), 30,
                        "the MODE -v", alice.logs)
    assert mode.params[1:3] == ["-v", carol.nick], mode


def test_affiliation_none_on_someone_not_banned_is_item_not_found(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    _op(alice, bob, channel, room)
    # no flag (bob is an op: that would be a deop), no ban
    reply = _admin_set(alice, room, f"<item nick='{unique('nobody')}' affiliation='none'/>")
    assert reply.get("type") == "error", to_string(reply)
    assert error_condition(reply)[1] == "item-not-found", to_string(reply)


# -- invites ----------------------------------------------------------------------------

def test_a_mediated_invite_from_xmpp_becomes_an_irc_invite(make_irc_user, make_irc_client):
    alice, _bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    dave = make_irc_client("dave")
    alice.client.send_raw(
        f"<message xmlns='jabber:client' to='{room}'><x xmlns='{NS_MUC_USER}'>"
        f"<invite to='{contact_jid(dave.nick)}'><reason>come</reason></invite></x></message>")
    invite = dave.wait_for(lambda l: l.is_("INVITE", nick=alice.nick), 30, "the INVITE",
                           alice.logs)
    assert invite.text.lower() == channel.lower()


def test_a_direct_invite_from_xmpp_becomes_an_irc_invite(make_irc_user, make_irc_client):
    alice, _bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    dave = make_irc_client("dave")
    alice.client.send_raw(
        f"<message xmlns='jabber:client' to='{contact_jid(dave.nick)}'>"
        f"<x xmlns='jabber:x:conference' jid='{room}'/></message>")
    invite = dave.wait_for(lambda l: l.is_("INVITE", nick=alice.nick), 30, "the INVITE",
                           alice.logs)
    assert invite.text.lower() == channel.lower()


def test_an_irc_invite_reaches_the_user_as_a_mediated_invite_from_the_room(
        make_irc_user, make_irc_client):
    alice, bob, _channel, _room = in_a_room(make_irc_user, make_irc_client)
    other = "#" + unique("inv")
    bob.join(other)
    bob.send(f"INVITE {alice.nick} {other}")

    def is_invite(m):
        x = m.find(f"{{{NS_MUC_USER}}}x")
        invite = x.find(f"{{{NS_MUC_USER}}}invite") if x is not None else None
        return (m.get("from") or "").lower() == room_jid(other).lower() and invite is not None
    message = alice.wait_message(is_invite, 30, "the invite from the room")
    invite = message.find(f"{{{NS_MUC_USER}}}x").find(f"{{{NS_MUC_USER}}}invite")
    assert invite.get("from").lower() == contact_jid(bob.nick).lower()


# -- XEP-0410 self-ping ------------------------------------------------------------------

def test_self_ping_is_a_result_when_joined_and_not_acceptable_when_not(
        make_irc_user, make_irc_client):
    alice, bob, _channel, room = in_a_room(make_irc_user, make_irc_client)
    ping = f"<ping xmlns='{NS_PING}'/>"
    joined = alice.client.iq_get(f"{room}/{alice.nick}", ping)
    assert joined.get("type") == "result", to_string(joined)
    other = room_jid("#" + unique("never"))
    absent = alice.client.iq_get(f"{other}/{alice.nick}", ping)
    assert absent.get("type") == "error", to_string(absent)
    assert error_condition(absent)[1] == "not-acceptable", to_string(absent)
    occupant = alice.client.iq_get(f"{room}/{bob.nick}", ping)
    assert error_condition(occupant)[1] == "service-unavailable", to_string(occupant)


# -- nick changes (XEP-0045 §7.6) ---------------------------------------------------------

def test_a_nick_change_from_xmpp_is_an_irc_nick_change_with_303(
        make_irc_user, make_irc_client):
    alice, bob, _channel, room = in_a_room(make_irc_user, make_irc_client)
    old, new = alice.nick, unique("renamed")
    alice.client.send_raw(f"<presence xmlns='jabber:client' to='{room}/{new}'/>")
    bob.wait_for(lambda l: l.is_("NICK", nick=old) and l.text.lower() == new.lower(), 30,
                 "alice's NICK", alice.logs)
    gone = alice.wait_presence(occupant_presence(f"{room}/{old}", "unavailable", (303, 110)),
                               30, "the old nick's 303")
    assert muc_item(gone).get("nick") == new
    alice.wait_presence(occupant_presence(f"{room}/{new}", "available", (110,)), 30,
                        "the new nick's self-presence")


def test_a_nick_change_to_a_taken_nick_is_a_409_conflict(make_irc_user, make_irc_client):
    alice, bob, _channel, room = in_a_room(make_irc_user, make_irc_client)
    alice.client.send_raw(f"<presence xmlns='jabber:client' to='{room}/{bob.nick}'/>")
    refused = alice.wait_presence(lambda p: p.get("type") == "error"
                                  and p.get("from") == f"{room}/{bob.nick}", 30,
                                  "the refused nick change")
    assert error_condition(refused) == ("cancel", "conflict"), to_string(refused)
