"""A channel's own settings (issue 10, item 2): the room's configuration
(XEP-0045 §10.2, muc#owner on #chan%server@gateway, from inside the room)
holds, beside persistence (test_irc_history.py), the user's own limit on
the room's archive, which can only be lower than the operator's
(history_max_messages here: 5).

- The form shows the limit with the operator's bound; a value over it, or
  no number, is not-acceptable.
- With a limit of 3, the archive keeps the 3 newest lines of 6.
- A room's own encoding (polygate#encoding), from the next join: its lines
  that are not UTF-8 are read in it, the user's lines are sent in it; a
  room without one keeps the transport's (irc_charset WINDOWS-1252, where
  0xA4 is a currency sign, not the euro of ISO-8859-15).
"""

import xml.etree.ElementTree as ET

import pytest

from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    gateway, gateway_options, groupchat_from, in_a_room, irc_checker, irc_prosody, leave_room,
    make_irc_client, make_irc_user, ngircd, ngircd_password, unique, wait_until)
from test_irc_history import NS_DATA, NS_MUC_OWNER, NS_ROOMCONFIG, bob_says, bodies, mam_query

FIELD = "polygate#history_max_messages"
ENCODING = "polygate#encoding"


@pytest.fixture(scope="module")
def gateway_options():
    return {"history_max_messages": 5}


def owner_form(user, room):
    reply = user.client.iq_get(room, f"<query xmlns='{NS_MUC_OWNER}'/>")
    assert reply.get("type") == "result", to_string(reply)
    x = reply.find(f"{{{NS_MUC_OWNER}}}query/{{{NS_DATA}}}x")
    return {f.get("var"): f for f in x.findall(f"{{{NS_DATA}}}field")}


def set_limit(user, room, value, var=FIELD):
    return user.client.iq_set(
        room, f"<query xmlns='{NS_MUC_OWNER}'><x xmlns='{NS_DATA}' type='submit'>"
        f"<field var='FORM_TYPE'><value>{NS_ROOMCONFIG}</value></field>"
        f"<field var='{var}'><value>{value}</value></field></x></query>")


def value_of(field):
    value = field.find(f"{{{NS_DATA}}}value")
    return value.text if value is not None else None


def test_the_room_limit_is_bounded_by_the_operators(make_irc_user, make_irc_client):
    user, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    field = owner_form(user, room)[FIELD]
    assert field.get("type") == "text-single", ET.tostring(field, encoding="unicode")
    assert "1 to 5" in (field.get("label") or ""), field.get("label")
    assert value_of(field) is None
    for bad in ("6", "0", "many"):
        reply = set_limit(user, room, bad)
        assert reply.get("type") == "error", to_string(reply)
        assert error_condition(reply)[1] == "not-acceptable", to_string(reply)
    assert value_of(owner_form(user, room)[FIELD]) is None


def test_the_archive_keeps_what_the_user_set(make_irc_user, make_irc_client):
    user, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    reply = set_limit(user, room, "3")
    assert reply.get("type") == "result", to_string(reply)
    assert value_of(owner_form(user, room)[FIELD]) == "3"
    texts = [f"kept {unique('k')}" for _ in range(6)]
    bob_says(user, bob, channel, room, texts)
    wait_until(lambda: bodies(mam_query(user, room)[1]) == texts[-3:], 30,
               "the archive to keep the 3 newest lines", user.logs)
    # back to the operator's limit
    assert set_limit(user, room, "").get("type") == "result"
    assert value_of(owner_form(user, room)[FIELD]) is None


def test_a_room_with_its_own_encoding_is_read_and_written_in_it(make_irc_user,
                                                                 make_irc_client):
    user, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    field = owner_form(user, room)[ENCODING]
    assert field.get("type") == "text-single" and value_of(field) is None
    reply = set_limit(user, room, "UTF-16LE", ENCODING)
    assert error_condition(reply)[1] == "not-acceptable", to_string(reply)
    assert set_limit(user, room, "iso-8859-15", ENCODING).get("type") == "result"
    assert value_of(owner_form(user, room)[ENCODING]) == "ISO-8859-15"

    # from the next join
    leave_room(user.client, room, user.nick)
    bob.wait_for(lambda l: l.is_("PART", nick=user.nick), 30, "the PART", user.logs)
    user.join(channel)
    bob.wait_for(lambda l: l.is_("JOIN", nick=user.nick), 30, "the JOIN again", user.logs)
    bob.privmsg(channel, b"caf\xe9 \xa4")
    user.wait_message(groupchat_from(f"{room}/{bob.nick}", "caf\u00e9 \u20ac"), 30,
                      "the ISO-8859-15 line as UTF-8")
    user.send(room, "\u00e7a co\u00fbte 5 \u20ac", mtype="groupchat")
    line = bob.wait_for(lambda l: l.is_("PRIVMSG", nick=user.nick, target=channel), 30,
                        "the user's line", user.logs)
    assert line.raw.endswith(b" :" + "\u00e7a co\u00fbte 5 \u20ac".encode("iso-8859-15")), \
        line.raw

    # another room of the same user and server keeps the transport's
    other = "#" + unique("plain")
    bob.join(other)
    other_room = user.join(other)
    bob.wait_for(lambda l: l.is_("JOIN", nick=user.nick, target=other), 30, "the other JOIN",
                 user.logs)
    bob.privmsg(other, b"caf\xe9 \xa4")
    user.wait_message(groupchat_from(f"{other_room}/{bob.nick}", "caf\u00e9 \u00a4"), 30,
                      "the WINDOWS-1252 line")
