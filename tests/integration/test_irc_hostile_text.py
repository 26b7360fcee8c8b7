"""Hostile text from IRC never cuts the transport (issue 8, item 1).

An IRC user sends every C0 control byte (but NUL, CR and LF, which end an
IRC line) and bytes that are not UTF-8, through every path that carries IRC
text into a stanza: a channel line, a private message, a /me action, a
channel and a private notice, a topic, a part reason and a quit reason.
Before the text boundary (src/stanza/pg-text.c), the first such byte was
written verbatim into the component stream, and Prosody closed it as
not-well-formed: every user of the transport dropped.

The paths issue 10 added are here too: a private /me, mIRC colour and
format codes, a line the server cut inside a UTF-8 character, a /me from
XMPP with newlines and past the line limit (it must stay CTCP ACTION lines
and inject nothing), the subject a join finds (332), channel names and
topics from LIST (disco#items), a kick reason and an away message (the
contact's <status/>).  MONITOR nicks cannot carry such bytes: ngircd and
inspircd refuse them as nicks (432), and a contact JID names only an
RFC 2812 nick (src/network/pg-network-irc.c).

Each test passes only if the text arrives cleaned (controls and mIRC codes
gone, TAB kept, the rest intact), the daemon is the same process, its
component to Prosody did not reconnect (it logs "<jid>: connected to" once
per connection) and no stanza needed the component's last-resort repair.
"""

import pytest

from harness.client import to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, IRCNET, SERVER, body, contact_jid, gateway, gateway_options, groupchat_from,
    in_a_room, irc_checker, irc_prosody, is_from, make_irc_client, make_irc_user, muc_item,
    ngircd, ngircd_password, occupant_presence, ptype, subject, sync, unique)

# Every C0 byte an IRC line can carry; NUL, CR and LF end it.
C0 = [b for b in range(0x01, 0x20) if b not in (0x0a, 0x0d)]


def hostile(token):
    """A line holding every C0 byte, each followed by 'q' (not a digit nor a
    hex digit, so no mIRC colour code takes it), and what must arrive."""
    raw = token.encode() + b" " + b"".join(bytes([b]) + b"q" for b in C0) + b" end"
    want = token + " " + "".join(("\t" if b == 0x09 else "") + "q" for b in C0) + " end"
    return raw, want


# Not UTF-8: prpl-irc reads such a line whole as irc_charset (default
# WINDOWS-1252; src/session/pg-session.c), or as Latin-1 if a byte is
# undefined there; the daemon then drops the controls mixed in, and the C1
# controls Latin-1 yields.
INVALID = b" caf\xe9 \xc0\xbc \xed\xa0\x80 \xff\x11 \xe2\x82 end"
INVALID_WANT = " caf\u00e9 \u00c0\u00bc \u00ed\u00a0\u20ac \u00ff \u00e2\u201a end"
UNDEFINED_IN_CP1252 = b" na\xefve \x81\x9d\x02 end"
UNDEFINED_WANT = " na\u00efve  end"

# mIRC codes with their arguments (colour fg,bg; hex colour), each format
# toggle, and the reset: only the words stay.
COLOURS = (b" \x0304,12red\x03 \x0399green \x02bold\x02 \x1ditalic\x1d \x1funder\x1f"
           b" \x16rev\x16 \x11mono\x11 \x1estrike\x1e \x04ff0000hex\x04 \x0f end")
COLOURS_WANT = " red green bold italic under rev mono strike hex  end"


def everything(token):
    """Every C0 byte, bytes that are not UTF-8 and mIRC codes in one text."""
    raw, want = hostile(token)
    return raw + INVALID + COLOURS, want + INVALID_WANT + COLOURS_WANT


def xml_clean(text):
    """No character XML 1.0 forbids, nor a C1 control or DEL."""
    return text is not None and not any(
        (ord(c) < 0x20 and c not in "\t\n\r") or 0x7f <= ord(c) <= 0x9f
        or c in "\ufffe\uffff" for c in text)


def same(text, want):
    """text is want, cleaned: no forbidden character, and equal but for
    whitespace (prpl-irc turns some TABs into spaces on the way)."""
    return xml_clean(text) and "".join(text.split()) == "".join(want.split())


def line_from(jid, want):
    """Predicate: a message from jid (full, or a bare prefix) whose body is want."""
    return lambda m: (m.get("from") or "").lower().startswith(jid.lower()) \
        and body(m) is not None and same(body(m), want)


class Watch:
    """The daemon's PID and its component connections before a test."""

    def __init__(self, gateway):
        self.gateway = gateway
        self.pid = gateway.pid
        self.connects = self._connects()

    def _connects(self):
        out = self.gateway.output()
        return {jid: out.count(f"{jid}: connected to") for jid in (IRC, IRCNET)}

    def assert_unharmed(self):
        assert self.gateway.running, "the daemon died"
        assert self.gateway.pid == self.pid, "the daemon was restarted"
        assert self._connects() == self.connects, \
            "a component reconnected: the server cut its stream\n" + self.gateway.tail(30)
        assert "XML 1.0 forbids" not in self.gateway.output(), \
            "a builder skipped the text boundary"


@pytest.fixture
def watch(gateway):
    w = Watch(gateway)
    yield w
    w.assert_unharmed()


def test_every_c0_byte_in_a_channel_line_arrives_cleaned(watch, make_irc_user,
                                                          make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    lines = [hostile(unique("t"))]
    # and one line per byte, so a failure names the byte
    singles = [(f"b{b:02x}".encode() + b" x" + bytes([b]) + b"y", f"b{b:02x} x"
                + ("\t" if b == 0x09 else "") + "y") for b in C0]
    bob.send_many([b"PRIVMSG " + channel.encode() + b" :" + raw
                   for raw, _ in lines + singles])
    for _, want in lines + singles:
        alice.wait_message(line_from(f"{room}/{bob.nick}", want), 30,
                           f"the channel line {want!r}")


@pytest.mark.parametrize("raw, want", [(INVALID, INVALID_WANT),
                                       (UNDEFINED_IN_CP1252, UNDEFINED_WANT)],
                         ids=["read-as-cp1252", "undefined-in-cp1252-read-as-latin1"])
def test_invalid_utf8_in_a_channel_line_arrives_decoded_and_cleaned(
        watch, make_irc_user, make_irc_client, raw, want):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    token = unique("u")
    bob.privmsg(channel, token.encode() + raw)
    alice.wait_message(line_from(f"{room}/{bob.nick}", token + want), 30,
                       "the non-UTF-8 channel line")


def test_every_c0_byte_in_a_me_action_arrives_cleaned(watch, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    raw, want = hostile(unique("a"))
    bob.privmsg(channel, b"\x01ACTION " + raw + b"\x01")
    alice.wait_message(line_from(f"{room}/{bob.nick}", "/me " + want), 30, "the action")


def test_every_c0_byte_in_a_channel_notice_arrives_cleaned(watch, make_irc_user,
                                                            make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    raw, want = hostile(unique("n"))
    bob.send(b"NOTICE " + channel.encode() + b" :" + raw)
    alice.wait_message(line_from(room, "(notice) " + want), 30, "the channel notice")


def test_every_c0_byte_in_a_topic_arrives_cleaned(watch, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    raw, want = hostile(unique("s"))
    bob.send(b"TOPIC " + channel.encode() + b" :" + raw + INVALID)
    alice.wait_message(lambda m: (m.get("from") or "").lower().startswith(room.lower())
                       and same(subject(m), want + INVALID_WANT), 30, "the new subject")


def test_every_c0_byte_in_a_part_reason_arrives_cleaned(watch, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    raw, want = hostile(unique("p"))
    bob.send(b"PART " + channel.encode() + b" :" + raw)
    gone = alice.wait_presence(occupant_presence(f"{room}/{bob.nick}", "unavailable"), 30,
                               "bob's unavailable after PART")
    reason = muc_item(gone).find("{http://jabber.org/protocol/muc#user}reason")
    assert reason is not None and same(reason.text, want), \
        f"the part reason: {None if reason is None else reason.text!r}"


def test_every_c0_byte_in_a_quit_reason_arrives_cleaned(watch, make_irc_user,
                                                         make_irc_client):
    alice, bob, _channel, room = in_a_room(make_irc_user, make_irc_client)
    raw, want = hostile(unique("q"))
    # ngircd quotes a client's reason ("..."); prpl-irc prefixes its own
    # lower-case "quit: " (libpurple msgs.c, irc_chat_remove_buddy), which the
    # worker takes off: the room sees bob's words only
    bob.send(b"QUIT :" + raw + INVALID)
    gone = alice.wait_presence(occupant_presence(f"{room}/{bob.nick}", "unavailable"), 30,
                               "bob's unavailable after QUIT")
    reason = muc_item(gone).find("{http://jabber.org/protocol/muc#user}reason")
    assert reason is not None and same(reason.text, '"' + want + INVALID_WANT + '"'), \
        f"the quit reason: {None if reason is None else reason.text!r}"


def test_every_c0_byte_in_a_private_message_and_notice_arrives_cleaned(
        watch, make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    alice = make_irc_user(transports=(IRCNET,))
    alice.wait_on_irc()
    contact = contact_jid(bob.nick, IRCNET)
    raw, want = hostile(unique("m"))
    bob.privmsg(alice.nick, raw)
    alice.wait_message(line_from(contact, want), 30, "the private message")
    token = unique("i")
    bob.privmsg(alice.nick, token.encode() + INVALID)
    alice.wait_message(line_from(contact, token + INVALID_WANT), 30, "the non-UTF-8 message")
    raw, want = hostile(unique("o"))
    bob.send(b"NOTICE " + alice.nick.encode() + b" :" + raw)
    alice.wait_message(line_from(contact, "(notice) " + want), 30, "the private notice")


def test_a_nick_with_a_control_byte_is_refused_by_ngircd_and_harms_nothing(
        watch, make_irc_user, make_irc_client):
    """ngircd refuses such a nick (432), so this path cannot carry one here;
    tests/unit/test-text.c covers names built from hostile nicks."""
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    bob.send(b"NICK b\x02o\x11b")
    bob.wait_for(lambda l: l.command == "432", 20, "ngircd's 432 Erroneous nickname")
    token = unique("after")
    bob.privmsg(channel, token)
    alice.wait_message(groupchat_from(f"{room}/{bob.nick}", token), 30, "a line after it")


# -- the paths of issue 10 ------------------------------------------------------------

def test_mirc_colour_and_format_codes_arrive_stripped(watch, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    token = unique("c")
    bob.privmsg(channel, token.encode() + COLOURS)
    alice.wait_message(line_from(f"{room}/{bob.nick}", token + COLOURS_WANT), 30,
                       "the coloured line")


def test_a_line_the_server_cut_inside_a_character_arrives_as_valid_text(
        watch, make_irc_user, make_irc_client):
    """bob's line fits 512 bytes, but relayed with his prefix it does not,
    and ngircd cuts it (Conn_WriteStr): 'é' is two bytes, so with one of the
    two paddings the cut falls inside one; that line then is not UTF-8 and
    is read in the fallback charset.  (A client's own line past 512 bytes
    is refused by ngircd: "Request too long".)"""
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    for pad in (b"", b"x"):
        token = unique("o")
        head = b"PRIVMSG " + channel.encode() + b" :" + token.encode() + b" " + pad
        bob.send(head + "\u00e9".encode() * ((510 - len(head)) // 2))
        line = alice.wait_message(
            lambda m: (m.get("from") or "") == f"{room}/{bob.nick}"
            and (body(m) or "").startswith(token), 30, "the cut line")
        assert xml_clean(body(line)) and len(body(line)) > 200, body(line)


def test_every_c0_byte_in_a_private_me_action_arrives_cleaned(
        watch, make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    alice = make_irc_user(transports=(IRCNET,))
    alice.wait_on_irc()
    raw, want = everything(unique("pa"))
    bob.privmsg(alice.nick, b"\x01ACTION " + raw + b"\x01")
    alice.wait_message(line_from(contact_jid(bob.nick, IRCNET), "/me " + want), 30,
                       "the private action")


def test_a_me_from_xmpp_with_newlines_and_past_the_limit_stays_ctcp_action_lines(
        watch, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    token = unique("x")
    text = f"/me {token} " + "\u00e9" * 700 + "\nQUIT :injected\r\nPRIVMSG #x :two end"
    alice.send(room, text, "groupchat")
    seen = []
    while not any("end" in l.text for l in seen):
        seen.append(bob.wait_for(lambda l: l.is_("PRIVMSG", nick=alice.nick, target=channel),
                                 30, "alice's action lines", alice.logs))
    for line in seen:
        # one CTCP ACTION per line, whole: never a bare \x01 that would open
        # or close one in the middle
        assert line.text.startswith("\x01ACTION ") and line.text.endswith("\x01") \
            and line.text.count("\x01") == 2, line
        assert len(line.raw) <= 512, line
    joined = "".join(l.text[len("\x01ACTION "):-1] for l in seen)
    assert "QUIT :injected" in joined and "PRIVMSG #x :two end" in joined, joined
    assert "".join(joined.split()).count("\u00e9") == 700
    sync(alice, bob, channel, room)  # alice is still in the channel: no QUIT went out


def test_every_c0_byte_in_the_subject_found_at_join_arrives_cleaned(
        watch, make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    channel = "#" + unique("j")
    bob.join(channel)
    raw, want = everything(unique("js"))
    bob.send(b"TOPIC " + channel.encode() + b" :" + raw)
    bob.wait_for(lambda l: l.is_("TOPIC", nick=bob.nick, target=channel), 20, "the TOPIC echo")
    alice = make_irc_user()
    room = alice.join(channel)
    alice.wait_message(lambda m: (m.get("from") or "").lower().startswith(room.lower())
                       and subject(m) is not None and same(subject(m), want), 30,
                       "the subject at join (332)")


def test_hostile_channel_names_and_topics_in_the_channel_list_harm_nothing(
        watch, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    raw, _want = everything(unique("lt"))
    bob.send(b"TOPIC " + channel.encode() + b" :" + raw)
    bob.wait_for(lambda l: l.is_("TOPIC", nick=bob.nick, target=channel), 20, "the TOPIC echo")
    # RFC 2812 §1.3: a channel name may hold any byte but NUL, BELL, CR, LF,
    # space, comma and colon
    odd = b"#" + unique("ln").encode() + b"\x02\x03\x1f\xff\x0f"
    bob.send(b"JOIN " + odd)
    bob.wait_for(lambda l: (l.is_("JOIN", nick=bob.nick) and l.target != channel)
                 or l.command in ("403", "479"), 20, "the odd channel's JOIN or refusal")
    reply = alice.client.iq_get(f"{SERVER}@{IRC}",
                                "<query xmlns='http://jabber.org/protocol/disco#items'>"
                                "<set xmlns='http://jabber.org/protocol/rsm'><max>500</max>"
                                "</set></query>", timeout=60)
    assert reply.get("type") == "result", to_string(reply)
    items = reply.find("{http://jabber.org/protocol/disco#items}query").findall(
        "{http://jabber.org/protocol/disco#items}item")
    assert any((i.get("jid") or "").lower() == room.lower() for i in items), to_string(reply)
    for item in items:
        assert xml_clean(item.get("name")) and xml_clean(item.get("jid")), to_string(item)


def test_every_c0_byte_in_a_kick_reason_arrives_cleaned(watch, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    carol = make_irc_client("carol")
    carol.join(channel)
    alice.wait_presence(occupant_presence(f"{room}/{carol.nick}"), 30, "carol's arrival")
    raw, want = everything(unique("k"))
    bob.send(b"KICK " + channel.encode() + b" " + carol.nick.encode() + b" :" + raw)
    gone = alice.wait_presence(occupant_presence(f"{room}/{carol.nick}", "unavailable", (307,)),
                               30, "carol's kick (307)")
    reason = muc_item(gone).find("{http://jabber.org/protocol/muc#user}reason")
    # prpl-irc's words around it (irc_msg_kick)
    assert reason is not None and same(reason.text, f"Kicked by {bob.nick} ({want})"), \
        f"the kick reason: {None if reason is None else reason.text!r}"


def test_every_c0_byte_in_an_away_message_arrives_cleaned_as_the_status(
        watch, make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    alice = make_irc_user()
    contact = contact_jid(bob.nick)
    alice.client.send_presence(to=contact, ptype="subscribe")
    alice.wait_presence(lambda p: is_from(p, contact) and ptype(p) == "available", 45,
                        "bob available")
    raw, want = everything(unique("aw"))
    bob.send(b"AWAY :" + raw)

    def away(p):
        show = p.find("{jabber:client}show")
        return is_from(p, contact) and show is not None and show.text == "away"
    presence = alice.wait_presence(away, 45, "bob away")
    status = presence.find("{jabber:client}status")
    # ngircd keeps the first AWAYLEN (127) bytes of it
    assert status is not None and xml_clean(status.text) and len(status.text) > 60 \
        and "".join(want.split()).startswith("".join(status.text.split())), \
        f"the away status: {None if status is None else status.text!r}"
